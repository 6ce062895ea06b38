/*
 * cmd_extract.c - `vigil extract MESSAGE DIR`: every object as a file.
 *
 * Files are written flat into DIR as NNNN-<safe name> (only letters, digits,
 * '.', '-' and '_' survive from the declared name, never a leading dot), so
 * no name from the message can reach outside DIR: there is no '/' and no
 * "..". Files are created with openat(O_EXCL|O_NOFOLLOW) under a descriptor
 * of DIR, mode 0600. manifest.json maps every file to its place in the tree,
 * with hashes and findings.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static char *safe_name(const vigil_object *o)
{
	const char *n = vigil_object_name(o);
	const char *base;
	GString *s = g_string_new(NULL);

	g_string_append_printf(s, "%04zu-", vigil_object_index(o));
	if (n == NULL || *n == 0) {
		g_string_append(s, vigil_object_type(o));
		return g_string_free(s, FALSE);
	}
	base = strrchr(n, '/');
	base = base ? base + 1 : n;
	for (const char *p = base; *p && s->len < 100; p++) {
		char c = *p;

		if (g_ascii_isalnum(c) || c == '-' || c == '_' || (c == '.' && s->len > 5))
			g_string_append_c(s, c);
		else
			g_string_append_c(s, '_');
	}
	return g_string_free(s, FALSE);
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static bool dir_empty_or_new(const char *dir)
{
	GDir *d;
	bool empty;

	if (mkdir(dir, 0700) == 0)
		return true;
	if (errno != EEXIST)
		return false;
	d = g_dir_open(dir, 0, NULL);
	if (d == NULL)
		return false;
	empty = g_dir_read_name(d) == NULL;
	g_dir_close(d);
	return empty;
}

static void usage(FILE *out)
{
	fprintf(out,
	        "Usage: vigil extract [OPTIONS] MESSAGE DIR\n"
	        "Write every object found in MESSAGE (any file) into DIR, with manifest.json.\n"
	        "DIR must be empty or not exist. Nothing is written outside DIR.\n\n%s",
	        engine_opts_help());
}

int cmd_extract(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"rules", required_argument, NULL, 'r'},
	        {"ioc", required_argument, NULL, 'i'},
	        {"no-default-rules", no_argument, NULL, 1001},
	        {"limit", required_argument, NULL, 1002},
	        {"rule-severity", required_argument, NULL, 1003},
	        {"lang", required_argument, NULL, 1004},
	        {"option", required_argument, NULL, 1005},
	        {"options", required_argument, NULL, 1006},
	        {"direction", required_argument, NULL, 1007},
	        {"type", required_argument, NULL, 1008},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct engine_opts eo = {0};
	vigil_engine *eng = NULL;
	vigil_scan *s = NULL;
	struct input in = {0};
	unsigned char *data = NULL;
	size_t len = 0;
	bool trunc;
	int c, dfd = -1, rc = EXIT_ERROR;
	json_t *manifest = NULL, *objs;
	const char *msg, *dir;

	optind = 1;
	while ((c = getopt_long(argc, argv, "r:i:h", longopts, NULL)) != -1) {
		int r = engine_opt(&eo, c, optarg);

		if (r < 0)
			goto out;
		if (r > 0)
			continue;
		if (c == 'h') {
			usage(stdout);
			rc = EXIT_CLEAN;
			goto out;
		}
		usage(stderr);
		goto out;
	}
	if (argc - optind != 2) {
		usage(stderr);
		goto out;
	}
	msg = argv[optind];
	dir = argv[optind + 1];
	eng = engine_build(&eo);
	if (eng == NULL)
		goto out;
	in.path = (char *)msg;
	in.file = strcmp(msg, "-") == 0 ? NULL : (char *)msg;
	in.len = -1;
	data = input_read(&in, (size_t)vigil_config_get_limit(eo.cfg, VIGIL_LIMIT_OBJECT_BYTES) + 1,
	                  &len, &trunc);
	if (data == NULL) {
		fprintf(stderr, "vigil: %s: %s: %s\n", msg, _("cannot read"), g_strerror(errno));
		goto out;
	}
	if (!dir_empty_or_new(dir)) {
		fprintf(stderr, "vigil: %s: %s\n", dir,
		        _("the output folder must be empty or not exist yet"));
		goto out;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		fprintf(stderr, "vigil: %s: %s: %s\n", dir, _("cannot open"), g_strerror(errno));
		goto out;
	}
	s = vigil_scan_new(eng, VIGIL_SCAN_KEEP_DATA);
	vigil_scan_set_direction(s, eo.direction);
	vigil_scan_set_type(s, eo.type);
	if (vigil_scan_buffer(s, data, len, msg) != VIGIL_OK)
		goto out;
	manifest = report_json(s, msg);
	objs = json_object_get(manifest, "objects");
	for (size_t i = 0; i < vigil_scan_object_count(s); i++) {
		const vigil_object *o = vigil_scan_object(s, i);
		size_t dl;
		const uint8_t *d = vigil_object_data(o, &dl);
		char *fname = safe_name(o);
		int fd = openat(dfd, fname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		                0600);

		if (fd < 0 || write_all(fd, d ? d : (const uint8_t *)"", dl) != 0) {
			fprintf(stderr, "vigil: %s/%s: %s\n", dir, fname, g_strerror(errno));
			if (fd >= 0)
				close(fd);
			g_free(fname);
			goto out;
		}
		close(fd);
		json_object_set_new(json_array_get(objs, i), "file", json_string(fname));
		g_free(fname);
	}
	{
		char *text = json_dumps(manifest, JSON_INDENT(2) | JSON_ENSURE_ASCII);
		int fd = openat(dfd, "manifest.json",
		                O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

		if (fd < 0 || write_all(fd, (const uint8_t *)text, strlen(text)) != 0) {
			fprintf(stderr, "vigil: %s/manifest.json: %s\n", dir, g_strerror(errno));
			if (fd >= 0)
				close(fd);
			free(text);
			goto out;
		}
		close(fd);
		free(text);
	}
	printf("%s: %s (%s %d); %s %zu %s %s/ (%s: %s/manifest.json)\n", msg,
	       verdict_label(vigil_scan_verdict(s)), _("score"), vigil_scan_score(s), _("wrote"),
	       vigil_scan_object_count(s), _("objects to"), dir, _("manifest"), dir);
	rc = vigil_scan_verdict(s) == VIGIL_CLEAN ? EXIT_CLEAN : EXIT_FOUND;
out:
	if (dfd >= 0)
		close(dfd);
	json_decref(manifest);
	vigil_scan_free(s);
	g_free(data);
	vigil_engine_unref(eng);
	engine_opts_free(&eo);
	return rc;
}
