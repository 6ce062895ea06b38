/*
 * cmd_hunt.c - `vigil hunt`: every copy of a message in the gateways'
 * records, by any indicator (src/store/hunt.c does the search).
 *
 *   vigil hunt --db URL|--config milter.conf [--sha256 H] [--md5 H] [--sha1 H]
 *              [--sender ADDR] [--sender-domain D] [--domain D] [--url URL]
 *              [--message-id ID] [--subject TEXT] [--from TIME] [--to TIME]
 *              [--drill] [--json] [--limit N]
 *
 * The store is the one vigil-milter writes to ([milter] db of its
 * configuration, or --db). Results come a page at a time, newest first;
 * on a terminal a progress line shows how many of how many. Everything
 * printed from a message is cleaned of control characters. Exit status:
 * 0 something found, 1 nothing, 2 error.
 */
#include <getopt.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "store/store.h"

#define PAGE 1000

static void put_clean(const char *s, size_t max)
{
	gchar *v = g_utf8_make_valid(s ? s : "", -1);
	size_t n = 0;

	for (const gchar *p = v; *p && n < max; p = g_utf8_next_char(p), n++) {
		gunichar c = g_utf8_get_char(p);

		if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) ||
		    (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069))
			putchar('?');
		else
			fwrite(p, 1, (size_t)(g_utf8_next_char(p) - p), stdout);
	}
	g_free(v);
}

static bool parse_time(const char *s, int64_t *ms)
{
	GDateTime *d = g_date_time_new_from_iso8601(s, NULL);

	if (d == NULL)
		return false;
	*ms = g_date_time_to_unix(d) * 1000;
	g_date_time_unref(d);
	return true;
}

/* [milter] db of a vigil-milter configuration */
static char *db_of(const char *config)
{
	GKeyFile *kf = g_key_file_new();
	char *db = NULL;

	if (g_key_file_load_from_file(kf, config, G_KEY_FILE_NONE, NULL))
		db = g_key_file_get_string(kf, "milter", "db", NULL);
	g_key_file_free(kf);
	return db;
}

static void usage(FILE *out)
{
	fprintf(out, "%s",
	        _("Usage: vigil hunt (--db URL | --config FILE) [criteria] [--json]\n"
	          "Finds every copy of a message in the gateways' records.\n\n"
	          "Criteria (all must match; at least one indicator or --from and --to):\n"
	          "  --sha256 H, --md5 H, --sha1 H   a hash of any object of the message\n"
	          "  --sender ADDR                   envelope or From: address\n"
	          "  --sender-domain D               envelope or From: domain\n"
	          "  --domain D                      a domain or URL host in the message\n"
	          "  --url URL                       an exact URL in the message\n"
	          "  --message-id ID                 the Message-ID (without <>)\n"
	          "  --subject TEXT                  a substring of the subject\n"
	          "  --from TIME, --to TIME          received in [from, to) (RFC 3339)\n"
	          "  --drill                         drill traffic instead of real mail\n"
	          "  --limit N                       at most N messages (default all)\n\n"
	          "Exit status: 0 found, 1 nothing found, 2 an error.\n"));
}

int cmd_hunt(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"db", required_argument, NULL, 'd'},
	        {"config", required_argument, NULL, 'c'},
	        {"sha256", required_argument, NULL, 1},
	        {"md5", required_argument, NULL, 2},
	        {"sha1", required_argument, NULL, 3},
	        {"sender", required_argument, NULL, 4},
	        {"sender-domain", required_argument, NULL, 5},
	        {"domain", required_argument, NULL, 6},
	        {"url", required_argument, NULL, 7},
	        {"message-id", required_argument, NULL, 8},
	        {"subject", required_argument, NULL, 9},
	        {"from", required_argument, NULL, 10},
	        {"to", required_argument, NULL, 11},
	        {"drill", no_argument, NULL, 12},
	        {"json", no_argument, NULL, 'j'},
	        {"limit", required_argument, NULL, 13},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct store_hunt q = {.drill = 0};
	const char *db_opt = NULL, *config = NULL;
	char *db = NULL, *err = NULL;
	bool json = false, tty = isatty(2);
	size_t limit = SIZE_MAX, shown = 0, copies = 0;
	store *st = NULL;
	int c, rc = EXIT_ERROR;

	optind = 1;
	while ((c = getopt_long(argc, argv, "d:c:jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			db_opt = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case 1:
			q.sha256 = optarg;
			break;
		case 2:
			q.md5 = optarg;
			break;
		case 3:
			q.sha1 = optarg;
			break;
		case 4:
			q.sender = optarg;
			break;
		case 5:
			q.sender_domain = optarg;
			break;
		case 6:
			q.domain = optarg;
			break;
		case 7:
			q.url = optarg;
			break;
		case 8:
			q.message_id = optarg;
			break;
		case 9:
			q.subject = optarg;
			break;
		case 10:
		case 11:
			if (!parse_time(optarg, c == 10 ? &q.from_ms : &q.to_ms)) {
				fprintf(stderr, "vigil hunt: %s: %s\n", optarg,
				        _("not an RFC 3339 time (e.g. 2026-11-27T08:15:00Z)"));
				return EXIT_ERROR;
			}
			break;
		case 12:
			q.drill = 1;
			break;
		case 13:
			limit = (size_t)strtoull(optarg, NULL, 10);
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_CLEAN;
		default:
			usage(stderr);
			return EXIT_ERROR;
		}
	}
	db = db_opt ? g_strdup(db_opt) : config ? db_of(config) : NULL;
	if (db == NULL) {
		fprintf(stderr, "vigil hunt: %s\n",
		        _("give the store with --db URL, or --config with vigil-milter's "
		          "configuration"));
		return EXIT_ERROR;
	}
	if (store_open(db, &st, &err) != STORE_OK) {
		fprintf(stderr, "vigil hunt: %s: %s\n", db, err ? err : _("cannot open"));
		goto out;
	}
	for (;;) {
		struct store_hunt_result r;

		q.limit = limit - shown < PAGE ? limit - shown : PAGE;
		q.offset = shown;
		if (q.limit == 0)
			break;
		if (store_hunt(st, &q, &r, &err) != STORE_OK) {
			fprintf(stderr, "vigil hunt: %s\n", err ? err : _("the store failed"));
			goto out;
		}
		for (size_t i = 0; i < r.n; i++) {
			struct store_hunt_hit *h = &r.hits[i];
			time_t t = (time_t)(h->received_ms / 1000);
			char when[32];
			struct tm tm;

			copies += h->rcpts->len;
			if (json) {
				json_t *o = json_pack(
				        "{s:s,s:I,s:s,s:s?,s:s?,s:s?,s:s?,s:s?,s:[]}", "uid",
				        h->uid, "received_ms", (json_int_t)h->received_ms,
				        "gateway", h->gateway, "message_id", h->message_id, "from",
				        h->env_from, "subject", h->subject, "verdict", h->verdict,
				        "action", h->action, "recipients");
				char *line;

				for (guint k = 0; o != NULL && k < h->rcpts->len; k++)
					json_array_append_new(json_object_get(o, "recipients"),
					                      json_string(h->rcpts->pdata[k]));
				line = o ? json_dumps(o, JSON_COMPACT) : NULL;
				if (line != NULL)
					puts(line);
				free(line);
				json_decref(o);
				continue;
			}
			localtime_r(&t, &tm);
			strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
			printf("%s  %-10s %4u %s  ", when, h->verdict ? h->verdict : "?",
			       h->rcpts->len, _("recipients"));
			put_clean(h->env_from, 60);
			fputs("  ", stdout);
			put_clean(h->subject, 80);
			putchar('\n');
		}
		shown += r.n;
		if (tty)
			fprintf(stderr, "\r\033[K[%zu/%lld]", shown, (long long)r.total);
		if (r.n == 0 || (int64_t)shown >= r.total) {
			store_hunt_result_free(&r);
			break;
		}
		store_hunt_result_free(&r);
	}
	if (tty)
		fputc('\n', stderr);
	if (!json)
		fprintf(stderr, "%zu %s, %zu %s\n", shown, _("messages"), copies, _("copies"));
	rc = shown > 0 ? EXIT_CLEAN : EXIT_FOUND;
out:
	free(err);
	g_free(db);
	store_close(st);
	return rc;
}
