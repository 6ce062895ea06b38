/*
 * cmd_ioc.c - `vigil ioc import|export`: indicator exchange from the
 * command line, so that a STIX bundle or MISP event received today can feed
 * the gateways (vigil scan --ioc, vigil-milter's indicator files) and the
 * indicators of an indicator file can be shared.
 *
 *   vigil ioc import [OPTIONS] FILE   STIX 2.1 / MISP JSON -> indicator file
 *   vigil ioc export --format stix|misp [OPTIONS] FILE
 *                                     indicator file (or incident JSON) -> STIX / MISP
 *
 * The conversions are the pure modules of src/server (stix.c, misp.c,
 * iocfile.c); this file reads and writes files and prints what was not
 * taken. Output files are written whole or not at all (g_file_set_contents:
 * a temporary file renamed into place), so a gateway reloading its
 * indicators never reads half a file. Exit status: 0 done, 1 nothing to
 * write (no indicator could be taken), 2 error.
 */
#include <errno.h>
#include <getopt.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "server/exchange.h"
#include "server/iocfile.h"
#include "server/misp.h"
#include "server/stix.h"

#define IOC_SHOW_SKIPPED 40

/* reads FILE ("-": stdin), at most EXCHANGE_MAX_BYTES (a larger input, or
 * /dev/zero, is refused without reading it all); NULL and a message on
 * failure */
static char *ioc_read(const char *path, size_t *len)
{
	bool is_stdin = strcmp(path, "-") == 0;
	FILE *f = is_stdin ? stdin : fopen(path, "rb");
	GString *g;
	char chunk[65536];
	size_t r;
	bool ok = true;

	if (f == NULL) {
		fprintf(stderr, "vigil ioc: %s: %s: %s\n", path, _("cannot read"),
		        g_strerror(errno));
		return NULL;
	}
	g = g_string_new(NULL);
	while ((r = fread(chunk, 1, sizeof chunk, f)) > 0) {
		g_string_append_len(g, chunk, (gssize)r);
		if (g->len > EXCHANGE_MAX_BYTES) {
			fprintf(stderr, "vigil ioc: %s: %s (%u bytes)\n", path,
			        _("the input is larger than the limit"), EXCHANGE_MAX_BYTES);
			ok = false;
			break;
		}
	}
	if (ok && ferror(f)) {
		fprintf(stderr, "vigil ioc: %s: %s: %s\n", path, _("cannot read"),
		        g_strerror(errno));
		ok = false;
	}
	if (!is_stdin)
		fclose(f);
	if (!ok) {
		g_string_free(g, TRUE);
		return NULL;
	}
	*len = g->len;
	return g_string_free(g, FALSE);
}

static int ioc_write(const char *path, const char *text)
{
	GError *ge = NULL;

	if (path == NULL || strcmp(path, "-") == 0) {
		fputs(text, stdout);
		return fflush(stdout) == 0 ? 0 : -1;
	}
	if (!g_file_set_contents(path, text, -1, &ge)) {
		fprintf(stderr, "vigil ioc: %s: %s: %s\n", path, _("cannot write"), ge->message);
		g_error_free(ge);
		return -1;
	}
	return 0;
}

/* the skipped list on stderr: what, which, why (all from the input:
 * control characters were replaced by exchange.c) */
static void ioc_print_skipped(const json_t *skipped, size_t total, bool all)
{
	size_t i;
	json_t *s;

	if (total == 0)
		return;
	fprintf(stderr, "%zu %s:\n", total, _("not taken"));
	json_array_foreach(skipped, i, s)
	{
		if (!all && i >= IOC_SHOW_SKIPPED) {
			fprintf(stderr, "  ... %zu %s (--verbose)\n", total - i, _("more"));
			return;
		}
		fprintf(stderr, "  %s %s: %s\n", json_string_value(json_object_get(s, "type")),
		        json_string_value(json_object_get(s, "id")),
		        json_string_value(json_object_get(s, "reason")));
	}
	if (total > json_array_size(skipped))
		fprintf(stderr, "  ... %zu %s\n", total - json_array_size(skipped), _("more"));
}

/* "stix" or "misp" by the document's shape; NULL if neither */
static const char *ioc_detect(const json_t *doc)
{
	if (json_is_object(doc)) {
		if (json_object_get(doc, "Event") != NULL ||
		    json_object_get(doc, "response") != NULL ||
		    json_object_get(doc, "Attribute") != NULL)
			return "misp";
		if (json_is_string(json_object_get(doc, "type")))
			return "stix";
	}
	if (json_is_array(doc) && json_object_get(json_array_get(doc, 0), "Event") != NULL)
		return "misp";
	return NULL;
}

static void ioc_import_usage(void)
{
	printf("Usage: vigil ioc import [OPTIONS] FILE\n"
	       "Read a STIX 2.1 bundle or a MISP event (JSON) and write a vigil indicator file\n"
	       "(docs/indicators.md) for vigil scan --ioc and vigil-milter. What cannot be\n"
	       "taken is listed on stderr with the reason (docs/exchange.md).\n\n"
	       "  -o, --output FILE     write here (default: stdout; written whole or not at all)\n"
	       "      --format F        auto (default), stix or misp\n"
	       "      --json            write the indicators as JSON (vigild's shape) instead\n"
	       "      --tlp TLP         TLP of unmarked indicators (default TLP:AMBER)\n"
	       "      --source NAME     source of indicators whose producer is not named\n"
	       "      --include-non-ids MISP: take attributes with to_ids false too\n"
	       "      --include-expired take indicators whose valid_until has passed\n"
	       "  -v, --verbose         list everything not taken (default: the first %d)\n",
	       IOC_SHOW_SKIPPED);
}

static void ioc_export_usage(void)
{
	printf("Usage: vigil ioc export --format stix|misp [OPTIONS] FILE\n"
	       "Write the indicators of a vigil indicator file (or of an incident document or\n"
	       "an array of indicators, in JSON) as a STIX 2.1 bundle or a MISP event.\n\n"
	       "  -o, --output FILE     write here (default: stdout)\n"
	       "      --title TEXT      title of the report / event\n"
	       "      --id ID           incident id (default: none)\n"
	       "      --tlp TLP         TLP of the indicators of a file (default TLP:AMBER)\n"
	       "      --org NAME        the sharing organisation (default: vigil)\n"
	       "      --source NAME     source of the indicators of a file\n");
}

/* drops indicators whose valid_until is in the past (listed as skipped) */
static void ioc_drop_expired(json_t *res)
{
	json_t *inds = json_object_get(res, "indicators");
	json_t *skipped = json_object_get(res, "skipped");
	gint64 now = exchange_now_ms(), until;
	size_t i = 0, dropped = 0;

	while (i < json_array_size(inds)) {
		json_t *ind = json_array_get(inds, i);

		if (exchange_time_parse(json_string_value(json_object_get(ind, "valid_until")),
		                        &until) &&
		    until < now) {
			json_array_append_new(skipped,
			                      json_pack("{s:O, s:O, s:s}", "type",
			                                json_object_get(ind, "type"), "id",
			                                json_object_get(ind, "value"), "reason",
			                                "expired (valid_until has passed; "
			                                "--include-expired takes it)"));
			json_array_remove(inds, i);
			dropped++;
			continue;
		}
		i++;
	}
	if (dropped > 0)
		json_object_set_new(
		        res, "skipped_total",
		        json_integer(json_integer_value(json_object_get(res, "skipped_total")) +
		                     (json_int_t)dropped));
}

static int ioc_import(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"output", required_argument, NULL, 'o'},
	        {"format", required_argument, NULL, 1},
	        {"json", no_argument, NULL, 2},
	        {"tlp", required_argument, NULL, 3},
	        {"source", required_argument, NULL, 4},
	        {"include-non-ids", no_argument, NULL, 5},
	        {"include-expired", no_argument, NULL, 6},
	        {"verbose", no_argument, NULL, 'v'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	const char *output = NULL, *format = "auto", *tlp = NULL, *source = NULL;
	bool as_json = false, non_ids = false, expired = false, verbose = false;
	char err[300] = "", *buf, *text = NULL, *header;
	json_t *doc = NULL, *res = NULL;
	exchange_err e;
	size_t len, n;
	int o, rc = EXIT_ERROR;

	optind = 1;
	while ((o = getopt_long(argc, argv, "o:vh", opts, NULL)) != -1) {
		switch (o) {
		case 'o':
			output = optarg;
			break;
		case 1:
			format = optarg;
			break;
		case 2:
			as_json = true;
			break;
		case 3:
			tlp = optarg;
			break;
		case 4:
			source = optarg;
			break;
		case 5:
			non_ids = true;
			break;
		case 6:
			expired = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			ioc_import_usage();
			return EXIT_CLEAN;
		default:
			return EXIT_ERROR;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "vigil ioc import: %s\n", _("give one input file; try --help"));
		return EXIT_ERROR;
	}
	if (tlp != NULL && exchange_tlp_parse(tlp) == EXCHANGE_TLP_NONE) {
		fprintf(stderr, "vigil ioc import: --tlp %s: %s\n", tlp,
		        _("not TLP:CLEAR, TLP:GREEN, TLP:AMBER, TLP:AMBER+STRICT or TLP:RED"));
		return EXIT_ERROR;
	}
	if (strcmp(format, "auto") != 0 && strcmp(format, "stix") != 0 &&
	    strcmp(format, "misp") != 0) {
		fprintf(stderr, "vigil ioc import: --format %s: %s\n", format,
		        _("auto, stix or misp"));
		return EXIT_ERROR;
	}
	buf = ioc_read(argv[optind], &len);
	if (buf == NULL)
		return EXIT_ERROR;
	e = exchange_json_load(buf, len, 0, &doc, err, sizeof err);
	g_free(buf);
	if (e != EXCHANGE_OK)
		goto fail;
	if (strcmp(format, "auto") == 0)
		format = ioc_detect(doc);
	if (format == NULL) {
		snprintf(err, sizeof err, "%s", _("neither a STIX bundle nor a MISP event"));
		e = EXCHANGE_EFORMAT;
		goto fail;
	}
	if (strcmp(format, "stix") == 0) {
		stix_import_opts so = {tlp, source};

		e = stix_import(doc, &so, &res, err, sizeof err);
	} else {
		misp_import_opts mo = {tlp, source, non_ids};

		e = misp_import(doc, &mo, &res, err, sizeof err);
	}
	if (e != EXCHANGE_OK)
		goto fail;
	if (!expired)
		ioc_drop_expired(res);
	n = json_array_size(json_object_get(res, "indicators"));
	if (as_json) {
		text = json_dumps(res, JSON_INDENT(2));
		if (text != NULL) {
			char *t = g_strconcat(text, "\n", NULL);

			free(text);
			text = t;
		}
	} else {
		json_t *inds = json_object_get(res, "indicators");
		json_t *skipped = json_object_get(res, "skipped");
		enum exchange_tlp top = EXCHANGE_TLP_NONE;
		size_t before = json_array_size(skipped), i;
		json_t *ind;

		json_array_foreach(inds, i, ind)
		{
			enum exchange_tlp t =
			        exchange_tlp_parse(json_string_value(json_object_get(ind, "tlp")));

			if (t > top)
				top = t;
		}
		header = g_strdup_printf("vigil indicators from %s (%s): %zu, written by vigil ioc "
		                         "import\n"
		                         "handle as %s (the most restrictive TLP among them; "
		                         "--json shows each one's)",
		                         argv[optind],
		                         strcmp(format, "stix") == 0 ? "STIX 2.1" : "MISP", n,
		                         top == EXCHANGE_TLP_NONE ? "-" : exchange_tlp_name(top));
		e = iocfile_write(inds, header, &text, skipped, err, sizeof err);
		g_free(header);
		if (e != EXCHANGE_OK)
			goto fail;
		/* what the file format could not hold counts as not taken too */
		json_object_set_new(
		        res, "skipped_total",
		        json_integer(json_integer_value(json_object_get(res, "skipped_total")) +
		                     (json_int_t)(json_array_size(skipped) - before)));
	}
	if (text == NULL || ioc_write(output, text) != 0)
		goto out;
	ioc_print_skipped(json_object_get(res, "skipped"),
	                  (size_t)json_integer_value(json_object_get(res, "skipped_total")),
	                  verbose);
	fprintf(stderr, "%s: %zu %s (%s)\n", argv[optind], n, _("indicators imported"), format);
	rc = n > 0 ? EXIT_CLEAN : EXIT_FOUND;
	goto out;
fail:
	fprintf(stderr, "vigil ioc import: %s: %s: %s\n", argv[optind], _(exchange_strerror(e)),
	        err);
out:
	g_free(text);
	json_decref(doc);
	json_decref(res);
	return rc;
}

/* indicator file or JSON -> the incident document to export */
static json_t *ioc_incident(const char *path, const char *buf, size_t len, const char *tlp,
                            const char *source, const char *title, const char *id)
{
	const char *p = buf;
	json_t *doc = NULL, *inc;
	char err[300] = "";
	exchange_err e;

	while (p < buf + len && g_ascii_isspace(*p))
		p++;
	if (p < buf + len && (*p == '{' || *p == '[')) {
		e = exchange_json_load(buf, len, 0, &doc, err, sizeof err);
		if (e != EXCHANGE_OK) {
			fprintf(stderr, "vigil ioc export: %s: %s: %s\n", path,
			        _(exchange_strerror(e)), err);
			return NULL;
		}
		if (json_is_array(doc)) {
			inc = json_pack("{s:o}", "indicators", doc);
			doc = NULL;
		} else {
			inc = doc;
		}
	} else {
		iocfile_read_opts ro = {tlp, source};
		json_t *res, *skipped;

		e = iocfile_read(buf, len, &ro, &res, err, sizeof err);
		if (e != EXCHANGE_OK) {
			fprintf(stderr, "vigil ioc export: %s: %s: %s\n", path,
			        _(exchange_strerror(e)), err);
			return NULL;
		}
		skipped = json_object_get(res, "skipped");
		if (json_array_size(skipped) > 0) {
			/* the engine refuses such a file; say which lines */
			ioc_print_skipped(
			        skipped,
			        (size_t)json_integer_value(json_object_get(res, "skipped_total")),
			        true);
		}
		inc = json_pack("{s:O}", "indicators", json_object_get(res, "indicators"));
		if (tlp != NULL)
			json_object_set_new(inc, "tlp", json_string(tlp));
		json_decref(res);
	}
	if (inc == NULL)
		return NULL;
	if (title != NULL)
		json_object_set_new(inc, "title", json_string(title));
	if (id != NULL)
		json_object_set_new(inc, "id", json_string(id));
	return inc;
}

static int ioc_export(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"output", required_argument, NULL, 'o'},
	        {"format", required_argument, NULL, 1},
	        {"title", required_argument, NULL, 2},
	        {"id", required_argument, NULL, 3},
	        {"tlp", required_argument, NULL, 4},
	        {"org", required_argument, NULL, 5},
	        {"source", required_argument, NULL, 6},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	const char *output = NULL, *format = NULL, *title = NULL, *id = NULL, *tlp = NULL;
	const char *org = NULL, *source = NULL;
	char err[300] = "", *buf, *text = NULL;
	json_t *inc = NULL, *res = NULL;
	exchange_err e;
	size_t len;
	int o, rc = EXIT_ERROR;

	optind = 1;
	while ((o = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (o) {
		case 'o':
			output = optarg;
			break;
		case 1:
			format = optarg;
			break;
		case 2:
			title = optarg;
			break;
		case 3:
			id = optarg;
			break;
		case 4:
			tlp = optarg;
			break;
		case 5:
			org = optarg;
			break;
		case 6:
			source = optarg;
			break;
		case 'h':
			ioc_export_usage();
			return EXIT_CLEAN;
		default:
			return EXIT_ERROR;
		}
	}
	if (format == NULL || (strcmp(format, "stix") != 0 && strcmp(format, "misp") != 0)) {
		fprintf(stderr, "vigil ioc export: %s\n", _("--format stix or --format misp"));
		return EXIT_ERROR;
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "vigil ioc export: %s\n", _("give one input file; try --help"));
		return EXIT_ERROR;
	}
	if (tlp != NULL && exchange_tlp_parse(tlp) == EXCHANGE_TLP_NONE) {
		fprintf(stderr, "vigil ioc export: --tlp %s: %s\n", tlp,
		        _("not TLP:CLEAR, TLP:GREEN, TLP:AMBER, TLP:AMBER+STRICT or TLP:RED"));
		return EXIT_ERROR;
	}
	buf = ioc_read(argv[optind], &len);
	if (buf == NULL)
		return EXIT_ERROR;
	inc = ioc_incident(argv[optind], buf, len, tlp, source != NULL ? source : org, title, id);
	g_free(buf);
	if (inc == NULL)
		return EXIT_ERROR;
	if (strcmp(format, "stix") == 0) {
		stix_export_opts so = {org, 0};

		e = stix_export(inc, &so, &res, err, sizeof err);
	} else {
		misp_export_opts mo = {org, 0};

		e = misp_export(inc, &mo, &res, err, sizeof err);
	}
	if (e != EXCHANGE_OK) {
		fprintf(stderr, "vigil ioc export: %s: %s: %s\n", argv[optind],
		        _(exchange_strerror(e)), err);
		goto out;
	}
	text = json_dumps(json_object_get(res, "document"), JSON_INDENT(2));
	if (text == NULL)
		goto out;
	{
		char *t = g_strconcat(text, "\n", NULL);

		free(text);
		text = t;
	}
	if (ioc_write(output, text) != 0)
		goto out;
	ioc_print_skipped(json_object_get(res, "skipped"),
	                  json_array_size(json_object_get(res, "skipped")), true);
	rc = EXIT_CLEAN;
out:
	g_free(text);
	json_decref(inc);
	json_decref(res);
	return rc;
}

int cmd_ioc(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "import") == 0)
		return ioc_import(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "export") == 0)
		return ioc_export(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		printf("Usage: vigil ioc import|export ...\n"
		       "  import  STIX 2.1 bundle or MISP event -> vigil indicator file\n"
		       "  export  vigil indicator file -> STIX 2.1 bundle or MISP event\n"
		       "Run 'vigil ioc import --help' or 'vigil ioc export --help'.\n");
		return EXIT_CLEAN;
	}
	fprintf(stderr, "vigil ioc: %s\n", _("import or export? (try --help)"));
	return EXIT_ERROR;
}
