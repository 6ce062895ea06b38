/*
 * cmd_report.c - `vigil report c20`: the Circular 20/2017 reports of an
 * incident document (src/server/report_c20.h, docs/reports.md) as PDF, JSON
 * or HTML, for operators and tests.
 *
 *   vigil report c20 --kind notification|initial|final --format pdf|json|html
 *                    INCIDENT.json -o OUT [--now RFC3339] [--strict]
 *
 * OUT "-" is standard output; a device or FIFO is written in place, a file is
 * replaced whole (temporary file and rename). The incident file is read up to
 * CLI_REPORT_MAX_INPUT bytes. The report date and the deadline are computed
 * at --now (default: the clock). Missing required fields are listed on
 * standard error; the report is still written, as a draft, unless --strict.
 * Exit status: 0 written, 1 --strict and fields are missing, 2 error.
 */
#include <errno.h>
#include <getopt.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "server/report_c20.h"

#define CLI_REPORT_MAX_INPUT (64u << 20)

static void usage(FILE *out)
{
	fprintf(out, "%s\n%s\n",
	        "Usage: vigil report c20 --kind notification|initial|final "
	        "--format pdf|json|html INCIDENT.json -o OUT [--now TIME] [--strict]",
	        _("Writes a report of Circular 20/2017/TT-BTTTT (incident notification, initial "
	          "report, final report) from an incident document. OUT '-' is standard output; "
	          "--now sets the report time (RFC 3339, default now); --strict writes nothing "
	          "when required fields are missing."));
}

static char *read_input(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	GByteArray *b;
	unsigned char buf[65536];
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "vigil report: %s: %s: %s\n", path, _("cannot open"),
		        g_strerror(errno));
		return NULL;
	}
	b = g_byte_array_new();
	while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
		if (n > CLI_REPORT_MAX_INPUT - b->len) {
			fprintf(stderr, "vigil report: %s: %s (%u MiB)\n", path,
			        _("the incident document is too large"),
			        CLI_REPORT_MAX_INPUT >> 20);
			g_byte_array_free(b, TRUE);
			if (f != stdin)
				fclose(f);
			return NULL;
		}
		g_byte_array_append(b, buf, (guint)n);
	}
	if (ferror(f)) {
		fprintf(stderr, "vigil report: %s: %s\n", path, _("cannot read"));
		g_byte_array_free(b, TRUE);
		if (f != stdin)
			fclose(f);
		return NULL;
	}
	if (f != stdin)
		fclose(f);
	*len = b->len;
	return (char *)g_byte_array_free(b, FALSE);
}

static int write_stream(FILE *f, const char *out, const char *data, size_t len)
{
	if (fwrite(data, 1, len, f) != len || fflush(f) != 0) {
		fprintf(stderr, "vigil report: %s: %s: %s\n", out, _("cannot write the output"),
		        g_strerror(errno));
		return -1;
	}
	return 0;
}

static int write_output(const char *out, const char *data, size_t len)
{
	GError *e = NULL;
	struct stat st;

	if (strcmp(out, "-") == 0)
		return write_stream(stdout, out, data, len);
	/* a device, a FIFO or a link to one (-o /dev/stdout, a pipe): written
	 * in place; renaming a file over it would replace the device itself */
	if (lstat(out, &st) == 0 && !S_ISREG(st.st_mode)) {
		FILE *f = fopen(out, "wb");
		int rc;

		if (f == NULL) {
			fprintf(stderr, "vigil report: %s: %s: %s\n", out, _("cannot open"),
			        g_strerror(errno));
			return -1;
		}
		rc = write_stream(f, out, data, len);
		if (fclose(f) != 0)
			rc = -1;
		return rc;
	}
	/* a file: written whole to a temporary file and renamed, never half a
	 * PDF */
	if (!g_file_set_contents(out, data, (gssize)len, &e)) {
		fprintf(stderr, "vigil report: %s: %s\n", _("cannot write the output"), e->message);
		g_error_free(e);
		return -1;
	}
	return 0;
}

static void print_summary(const json_t *rep)
{
	const json_t *d = json_object_get(rep, "deadline"), *m = json_object_get(rep, "missing");
	const json_t *v;
	size_t i;
	bool vi = cli_lang() == VIGIL_LANG_VI;
	const char *due = json_string_value(json_object_get(d, "due_local"));

	fprintf(stderr, "vigil report: %s %s: %s (%s)\n", _("deadline of the"),
	        json_string_value(json_object_get(d, "kind")), due ? due : _("not yet started"),
	        _(json_string_value(json_object_get(d, "state"))));
	json_array_foreach(m, i, v)
	{
		if (i == 0)
			fprintf(stderr, "vigil report: %s:\n",
			        _("required fields missing (draft)"));
		fprintf(stderr, "  - %s\n",
		        json_string_value(json_object_get(v, vi ? "vi" : "en")));
	}
}

static int report_c20_cli(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"kind", required_argument, NULL, 'k'},
	        {"format", required_argument, NULL, 'f'},
	        {"output", required_argument, NULL, 'o'},
	        {"now", required_argument, NULL, 'n'},
	        {"strict", no_argument, NULL, 's'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	report_c20_kind kind = REPORT_C20_NOTIFICATION;
	const char *format = NULL, *out = NULL, *kind_s = NULL;
	bool strict = false;
	int64_t now = (int64_t)time(NULL);
	int o, rc = EXIT_ERROR;
	char *in = NULL, *data = NULL;
	size_t in_len = 0, data_len = 0;
	json_t *inc = NULL, *rep = NULL;
	json_error_t jerr;

	optind = 1;
	while ((o = getopt_long(argc, argv, "k:f:o:n:sh", opts, NULL)) != -1) {
		switch (o) {
		case 'k':
			kind_s = optarg;
			break;
		case 'f':
			format = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'n':
			if (report_c20_parse_time(optarg, &now) != 0) {
				fprintf(stderr, "vigil report: --now %s: %s\n", optarg,
				        _("not an RFC 3339 time (e.g. 2026-11-27T08:15:00Z)"));
				return EXIT_ERROR;
			}
			break;
		case 's':
			strict = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_CLEAN;
		default:
			usage(stderr);
			return EXIT_ERROR;
		}
	}
	if (kind_s == NULL || report_c20_kind_parse(kind_s, &kind) != 0) {
		fprintf(stderr, "vigil report: %s\n",
		        _("--kind must be notification, initial or final"));
		return EXIT_ERROR;
	}
	if (format == NULL ||
	    (strcmp(format, "pdf") && strcmp(format, "json") && strcmp(format, "html"))) {
		fprintf(stderr, "vigil report: %s\n", _("--format must be pdf, json or html"));
		return EXIT_ERROR;
	}
	if (out == NULL || optind + 1 != argc) {
		fprintf(stderr, "vigil report: %s\n",
		        _("give one incident document and the output: INCIDENT.json -o OUT"));
		return EXIT_ERROR;
	}
	in = read_input(argv[optind], &in_len);
	if (in == NULL)
		goto out;
	inc = json_loadb(in, in_len, JSON_REJECT_DUPLICATES, &jerr);
	if (inc == NULL || !json_is_object(inc)) {
		fprintf(stderr, "vigil report: %s: %s (%s, %s %d)\n", argv[optind],
		        _("not an incident document"), inc ? "not an object" : jerr.text, _("line"),
		        inc ? 0 : jerr.line);
		goto out;
	}
	rep = report_c20_build(inc, kind, now);
	if (rep == NULL) {
		fprintf(stderr, "vigil report: %s\n", _("out of memory"));
		goto out;
	}
	print_summary(rep);
	if (strict && json_array_size(json_object_get(rep, "missing")) > 0) {
		fprintf(stderr, "vigil report: %s\n", _("--strict: nothing written"));
		rc = EXIT_FOUND;
		goto out;
	}
	if (strcmp(format, "json") == 0) {
		data = json_dumps(rep, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		data_len = data ? strlen(data) : 0;
		o = data ? REPORT_C20_OK : REPORT_C20_ENOMEM;
	} else if (strcmp(format, "html") == 0) {
		o = report_c20_render_html(rep, true, &data, &data_len);
	} else {
		o = report_c20_render_pdf(rep, (unsigned char **)&data, &data_len);
	}
	if (o != REPORT_C20_OK) {
		fprintf(stderr, "vigil report: %s: %s\n", _("cannot render the report"),
		        report_c20_strerror(o));
		goto out;
	}
	if (write_output(out, data, data_len) != 0)
		goto out;
	if (strcmp(out, "-") != 0)
		fprintf(stderr, "vigil report: %s %s (%zu %s)\n", _("wrote"), out, data_len,
		        _("bytes"));
	rc = EXIT_CLEAN;
out:
	free(data);
	json_decref(rep);
	json_decref(inc);
	g_free(in);
	return rc;
}

int cmd_report(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_ERROR : EXIT_CLEAN;
	}
	if (strcmp(argv[1], "c20") == 0)
		return report_c20_cli(argc - 1, argv + 1);
	fprintf(stderr, "vigil report: %s: %s\n", argv[1],
	        _("unknown report; try: vigil report c20 --help"));
	return EXIT_ERROR;
}
