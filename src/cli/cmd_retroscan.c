/*
 * cmd_retroscan.c - `vigil retroscan`: the gateway's stored messages scanned
 * again with new rules or indicators, and what they would have caught.
 *
 *   vigil retroscan (--dir DIR | --config milter.conf) [--rules R] [--ioc F] [--json]
 *
 * Every message in the quarantine (the messages the gateway kept: quarantined,
 * released or not) is scanned with the default rules plus those given; a
 * finding whose id the gateway did not report for that message is "new".
 * The report lists the messages with new findings (and verdicts that got
 * worse), so an analyst sees what a new rule would have caught before
 * deploying it. Delivered mail is not kept by the gateway: to scan it, hunt
 * for it (`vigil hunt`) and pull it back. Output of message data is cleaned
 * of control characters. Exit status: 0 nothing new, 1 something new, 2 error.
 */
#include <getopt.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "milter/quarantine.h"

#define MAX_MESSAGE (64u << 20)

struct retro {
	vigil_engine *eng;
	quar *q;
	bool json, tty;
	size_t scanned, changed, total, errors;
};

static int verdict_rank(const char *v)
{
	return v == NULL                      ? -1
	       : strcmp(v, "malicious") == 0  ? 2
	       : strcmp(v, "suspicious") == 0 ? 1
	                                      : 0;
}

static void count_one(const char *id, const char *meta, void *arg)
{
	(void)id;
	(void)meta;
	((struct retro *)arg)->total++;
}

static void scan_one(const char *id, const char *meta_json, void *arg)
{
	struct retro *r = arg;
	json_t *meta = json_loads(meta_json, 0, NULL), *rec, *f, *added = json_array();
	GHashTable *before = g_hash_table_new(g_str_hash, g_str_equal);
	char *path = quar_message_path(r->q, id), *data = NULL;
	gsize len = 0;
	vigil_scan *s = NULL;
	const char *old_verdict, *new_verdict;
	size_t i;

	r->scanned++;
	if (r->tty)
		fprintf(stderr, "\r\033[K[%zu/%zu]", r->scanned, r->total);
	rec = json_object_get(meta, "record");
	json_array_foreach(json_object_get(rec, "findings"), i, f)
	{
		const char *fid = json_string_value(json_object_get(f, "id"));

		if (fid != NULL)
			g_hash_table_add(before, (gpointer)fid);
	}
	/* a deleted entry keeps its record but not its bytes */
	if (path == NULL || !g_file_get_contents(path, &data, &len, NULL) || len > MAX_MESSAGE)
		goto out;
	s = vigil_scan_new(r->eng, 0);
	vigil_scan_set_type(s, "email");
	if (vigil_scan_buffer(s, data, len, id) != VIGIL_OK) {
		r->errors++;
		goto out;
	}
	for (size_t k = 0; k < vigil_scan_finding_count(s); k++) {
		const vigil_finding *nf = vigil_scan_finding(s, k);
		const char *fid = vigil_finding_id(nf);

		if (g_hash_table_contains(before, fid) ||
		    vigil_finding_severity(nf) == VIGIL_SEV_INFO)
			continue;
		g_hash_table_add(before, (gpointer)fid); /* once per id */
		json_array_append_new(
		        added, json_pack("{s:s,s:s,s:s}", "id", fid, "severity",
		                         vigil_severity_name(vigil_finding_severity(nf)), "object",
		                         vigil_object_path(
		                                 vigil_scan_object(s, vigil_finding_object(nf)))));
	}
	old_verdict = json_string_value(json_object_get(rec, "verdict"));
	new_verdict = vigil_scan_verdict(s) == VIGIL_MALICIOUS    ? "malicious"
	              : vigil_scan_verdict(s) == VIGIL_SUSPICIOUS ? "suspicious"
	                                                          : "clean";
	if (json_array_size(added) == 0 && verdict_rank(new_verdict) <= verdict_rank(old_verdict))
		goto out;
	r->changed++;
	if (r->json) {
		json_t *o = json_pack("{s:s,s:s?,s:s?,s:s?,s:s,s:O}", "id", id, "subject",
		                      json_string_value(json_object_get(rec, "subject")), "from",
		                      json_string_value(json_object_get(rec, "env_from")),
		                      "verdict_then", old_verdict, "verdict_now", new_verdict,
		                      "new_findings", added);
		char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;

		if (r->tty)
			fputs("\r\033[K", stderr);
		if (line)
			puts(line);
		free(line);
		json_decref(o);
	} else {
		gchar *subj = g_utf8_make_valid(
		        json_string_value(json_object_get(rec, "subject")) ?: "", -1);

		for (char *p = subj; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
		if (r->tty)
			fputs("\r\033[K", stderr);
		printf("%s  %s -> %s  %.80s\n", id, old_verdict ? old_verdict : "?", new_verdict,
		       subj);
		json_array_foreach(added, i, f) printf(
		        "    + [%s] %s  %s\n", json_string_value(json_object_get(f, "severity")),
		        json_string_value(json_object_get(f, "id")),
		        json_string_value(json_object_get(f, "object")));
		g_free(subj);
	}
out:
	vigil_scan_free(s);
	g_free(data);
	free(path);
	json_decref(added);
	json_decref(meta);
	g_hash_table_destroy(before);
}

static char *dir_of(const char *config)
{
	GKeyFile *kf = g_key_file_new();
	char *d = NULL;

	if (g_key_file_load_from_file(kf, config, G_KEY_FILE_NONE, NULL))
		d = g_key_file_get_string(kf, "milter", "quarantine_dir", NULL);
	g_key_file_free(kf);
	return d;
}

int cmd_retroscan(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"dir", required_argument, NULL, 1101},
	        {"config", required_argument, NULL, 1102},
	        {"json", no_argument, NULL, 'j'},
	        {"rules", required_argument, NULL, 'r'},
	        {"ioc", required_argument, NULL, 'i'},
	        {"no-default-rules", no_argument, NULL, 1001},
	        {"limit", required_argument, NULL, 1002},
	        {"rule-severity", required_argument, NULL, 1003},
	        {"lang", required_argument, NULL, 1004},
	        {"option", required_argument, NULL, 1005},
	        {"options", required_argument, NULL, 1006},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct engine_opts eo = {0};
	struct retro r = {.tty = isatty(2)};
	const char *dir_opt = NULL, *config = NULL;
	char *dir = NULL, *err = NULL;
	int c, rc = EXIT_ERROR;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jr:i:h", longopts, NULL)) != -1) {
		int e = engine_opt(&eo, c, optarg);

		if (e < 0)
			goto out;
		if (e > 0)
			continue;
		switch (c) {
		case 1101:
			dir_opt = optarg;
			break;
		case 1102:
			config = optarg;
			break;
		case 'j':
			r.json = true;
			break;
		case 'h':
			printf("%s%s",
			       _("Usage: vigil retroscan (--dir DIR | --config FILE) [--rules R] "
			         "[--ioc F] [--json]\nScans the messages the gateway kept again "
			         "with "
			         "new rules and indicators, and lists what they would have "
			         "caught.\n"
			         "Exit status: 0 nothing new, 1 something new, 2 an error.\n\n"),
			       engine_opts_help());
			rc = EXIT_CLEAN;
			goto out;
		default:
			goto out;
		}
	}
	dir = dir_opt ? g_strdup(dir_opt) : config ? dir_of(config) : NULL;
	if (dir == NULL) {
		fprintf(stderr, "vigil retroscan: %s\n",
		        _("say where the quarantine is: --dir DIR or --config FILE"));
		goto out;
	}
	if (quar_open(dir, &r.q, &err) != QUAR_OK) {
		fprintf(stderr, "vigil retroscan: %s: %s\n", dir, err ? err : _("cannot open"));
		goto out;
	}
	r.eng = engine_build(&eo);
	if (r.eng == NULL)
		goto out;
	(void)quar_list(r.q, count_one, &r, NULL);
	if (quar_list(r.q, scan_one, &r, &err) != QUAR_OK) {
		fprintf(stderr, "vigil retroscan: %s\n", err ? err : _("cannot read"));
		goto out;
	}
	if (r.tty)
		fputc('\n', stderr);
	fprintf(stderr, "%zu %s, %zu %s\n", r.scanned, _("messages"), r.changed,
	        _("with new findings"));
	rc = r.errors ? EXIT_ERROR : r.changed ? EXIT_FOUND : EXIT_CLEAN;
out:
	if (r.eng)
		vigil_engine_unref(r.eng);
	quar_close(r.q);
	free(err);
	g_free(dir);
	engine_opts_free(&eo);
	return rc;
}
