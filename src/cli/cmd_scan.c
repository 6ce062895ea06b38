/*
 * cmd_scan.c - `vigil scan`: scan files, directories, mbox files or stdin.
 *
 * Exit status as clamscan: 0 everything clean, 1 something suspicious or
 * malicious, 2 an error (an input could not be read, rules failed).
 * With -j N, N threads share one engine; results are printed as they finish.
 */
#include <getopt.h>
#include <glib.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

struct scan_job {
	vigil_engine *eng;
	struct input_list *in;
	bool json, verbose, quiet, progress;
	vigil_direction direction;
	const char *type;
	size_t max_bytes;
	gint next;
	pthread_mutex_t lock;
	/* counters, under lock */
	size_t done, clean, suspicious, malicious, errors;
	unsigned long long bytes;
	gint64 start_us, last_progress_us;
};

static void progress(struct scan_job *j, const char *path)
{
	gint64 now = g_get_monotonic_time();
	double secs;

	if (!j->progress || (now - j->last_progress_us < 100000 && j->done < j->in->n))
		return;
	j->last_progress_us = now;
	secs = (double)(now - j->start_us) / 1e6;
	fprintf(stderr, "\r\033[K[%zu/%zu] %.0f/s %s: %zu %s, %zu %s  %.40s", j->done, j->in->n,
	        secs > 0 ? (double)j->done / secs : 0.0, _("found"), j->suspicious + j->malicious,
	        _("suspicious inputs"), j->errors, _("errors"), path);
	if (j->done == j->in->n)
		fprintf(stderr, "\n");
	fflush(stderr);
}

static void scan_one(struct scan_job *j, const struct input *in)
{
	size_t len = 0;
	bool trunc;
	unsigned char *data = input_read(in, j->max_bytes, &len, &trunc);
	vigil_scan *s;
	vigil_err rc;

	if (data == NULL) {
		pthread_mutex_lock(&j->lock);
		fprintf(stderr, "vigil: %s: %s\n", in->path, _("cannot read"));
		j->errors++;
		j->done++;
		progress(j, in->path);
		pthread_mutex_unlock(&j->lock);
		return;
	}
	s = vigil_scan_new(j->eng, 0);
	vigil_scan_set_direction(s, j->direction);
	/* a message cut out of an mbox is a message, whatever its first bytes */
	vigil_scan_set_type(s, j->type != NULL ? j->type : in->len >= 0 ? "email" : NULL);
	rc = vigil_scan_buffer(s, data, len, in->path);
	g_free(data);
	pthread_mutex_lock(&j->lock);
	j->done++;
	j->bytes += len;
	if (rc != VIGIL_OK) {
		fprintf(stderr, "vigil: %s: %s\n", in->path, vigil_strerror(rc));
		j->errors++;
	} else {
		switch (vigil_scan_verdict(s)) {
		case VIGIL_CLEAN:
			j->clean++;
			break;
		case VIGIL_SUSPICIOUS:
			j->suspicious++;
			break;
		case VIGIL_MALICIOUS:
			j->malicious++;
			break;
		}
		if (j->progress)
			fprintf(stderr, "\r\033[K");
		if (j->json) {
			json_t *r = report_json(s, in->path);

			json_dumpf(r, stdout, JSON_COMPACT | JSON_ENSURE_ASCII);
			fputc('\n', stdout);
			json_decref(r);
		} else if (!j->quiet || vigil_scan_verdict(s) != VIGIL_CLEAN) {
			report_human(stdout, s, in->path, j->verbose);
		}
		fflush(stdout);
	}
	progress(j, in->path);
	pthread_mutex_unlock(&j->lock);
	vigil_scan_free(s);
}

static void *worker(void *arg)
{
	struct scan_job *j = arg;

	for (;;) {
		gint i = g_atomic_int_add(&j->next, 1);

		if ((size_t)i >= j->in->n)
			break;
		scan_one(j, &j->in->v[i]);
	}
	return NULL;
}

static void usage(FILE *out)
{
	fprintf(out,
	        "Usage: vigil scan [OPTIONS] PATH...\n"
	        "Scan emails and files: everything inside them, however deeply wrapped.\n"
	        "PATH is a file, a directory (recursive), an mbox file, or - for stdin.\n\n"
	        "  -j, --json               one JSON object per input (JSON Lines)\n"
	        "  -t, --threads N          scan with N threads (default 1)\n"
	        "  -v, --verbose            also list every object and informational findings\n"
	        "  -q, --quiet              print only inputs that are not clean\n"
	        "      --no-progress        no progress line on stderr\n"
	        "%s"
	        "\nExit status: 0 all clean, 1 something found, 2 an error.\n",
	        engine_opts_help());
}

int cmd_scan(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"json", no_argument, NULL, 'j'},
	        {"threads", required_argument, NULL, 't'},
	        {"verbose", no_argument, NULL, 'v'},
	        {"quiet", no_argument, NULL, 'q'},
	        {"no-progress", no_argument, NULL, 1100},
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
	struct input_list in = {0};
	struct scan_job j;
	int threads = 1, c, rc = EXIT_CLEAN;
	bool no_progress = false;
	pthread_t tids[64];
	char *end;
	gint64 elapsed;

	memset(&j, 0, sizeof j);
	optind = 1;
	while ((c = getopt_long(argc, argv, "jt:vqr:i:h", longopts, NULL)) != -1) {
		int r = engine_opt(&eo, c, optarg);

		if (r < 0) {
			engine_opts_free(&eo);
			return EXIT_ERROR;
		}
		if (r > 0)
			continue;
		switch (c) {
		case 'j':
			j.json = true;
			break;
		case 't':
			threads = (int)strtol(optarg, &end, 10);
			if (*end != 0 || threads < 1 || threads > 64) {
				fprintf(stderr, "vigil: --threads takes 1 to 64\n");
				engine_opts_free(&eo);
				return EXIT_ERROR;
			}
			break;
		case 'v':
			j.verbose = true;
			break;
		case 'q':
			j.quiet = true;
			break;
		case 1100:
			no_progress = true;
			break;
		case 'h':
			usage(stdout);
			engine_opts_free(&eo);
			return EXIT_CLEAN;
		default:
			usage(stderr);
			engine_opts_free(&eo);
			return EXIT_ERROR;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "vigil scan: %s\n", _("no input given; try --help"));
		engine_opts_free(&eo);
		return EXIT_ERROR;
	}
	j.eng = engine_build(&eo);
	if (j.eng == NULL) {
		engine_opts_free(&eo);
		return EXIT_ERROR;
	}
	for (int i = optind; i < argc; i++)
		inputs_add_arg(&in, argv[i]);
	j.in = &in;
	j.direction = eo.direction;
	j.type = eo.type;
	/* one byte over the limit lets the engine see and report the truncation */
	j.max_bytes = (size_t)vigil_config_get_limit(eo.cfg, VIGIL_LIMIT_OBJECT_BYTES) + 1;
	j.progress = !no_progress && isatty(2) && in.n > 1;
	j.start_us = g_get_monotonic_time();
	pthread_mutex_init(&j.lock, NULL);
	if ((size_t)threads > in.n)
		threads = in.n > 0 ? (int)in.n : 1;
	for (int i = 0; i < threads; i++)
		pthread_create(&tids[i], NULL, worker, &j);
	for (int i = 0; i < threads; i++)
		pthread_join(tids[i], NULL);
	elapsed = g_get_monotonic_time() - j.start_us;
	if (!j.json && in.n > 1) {
		double secs = (double)elapsed / 1e6;

		printf("\n----------- %s -----------\n", _("Scan summary"));
		printf("%s: %zu\n%s: %zu\n%s: %zu\n%s: %zu\n%s: %zu\n", _("inputs"), in.n,
		       _("clean inputs"), j.clean, _("suspicious inputs"), j.suspicious,
		       _("malicious inputs"), j.malicious, _("errors"),
		       j.errors + (size_t)in.errors);
		printf("%s: %.3f s (%.1f/s, %.2f MB/s)\n", _("time"), secs,
		       secs > 0 ? (double)in.n / secs : 0.0,
		       secs > 0 ? (double)j.bytes / 1e6 / secs : 0.0);
	}
	if (j.suspicious + j.malicious > 0)
		rc = EXIT_FOUND;
	if (j.errors > 0 || in.errors > 0)
		rc = EXIT_ERROR;
	pthread_mutex_destroy(&j.lock);
	inputs_free(&in);
	vigil_engine_unref(j.eng);
	engine_opts_free(&eo);
	return rc;
}
