/*
 * cmd_quarantine.c - `vigil quarantine`: list, show, release and delete the
 * messages vigil-milter put in the quarantine (src/milter/quarantine.h).
 *
 * The quarantine is found with --dir, else with [milter] quarantine_dir of
 * vigil-milter's configuration (--config, default /etc/vigil/milter.conf),
 * whose [milter] sendmail (an argv written as a space-separated list, never
 * run through a shell) is also what release uses. Everything shown comes
 * from a message (subjects, names, evidence) and is printed with control
 * characters and bidirectional overrides replaced, so a subject cannot
 * rewrite the analyst's terminal. Releases and deletions record the
 * invoking user (getpwuid(getuid()), plus SUDO_USER when root runs it
 * through sudo). Exit status: 0 done, 1 no such message, wrong state or
 * cancelled, 2 error.
 */
#include <errno.h>
#include <getopt.h>
#include <glib.h>
#include <pwd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "milter/quarantine.h"

#define QCLI_DEFAULT_CONFIG "/etc/vigil/milter.conf"
#define QCLI_DEFAULT_DIR "/var/lib/vigil/quarantine"
#define QCLI_DEFAULT_SENDMAIL "/usr/sbin/sendmail"
#define QCLI_SENDMAIL_ARGS_MAX 32
#define QCLI_SHOW_LIST_MAX 50

struct qcli {
	const char *dir_opt;
	const char *config_opt;
	bool json, raw, yes;
	char *dir;
	char **sendmail; /* NULL-terminated argv */
	quar *q;
	size_t count;
};

/* ---- output of untrusted text ---- */

/* Prints s (UTF-8, from a message) with at most maxchars characters (0: no
 * limit); C0/C1 controls, DEL and bidirectional controls become '?'. */
static void qcli_put(FILE *out, const char *s, size_t maxchars)
{
	gchar *valid;
	size_t n = 0;

	if (s == NULL)
		return;
	valid = g_utf8_make_valid(s, -1);
	for (const gchar *p = valid; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (maxchars > 0 && n++ >= maxchars) {
			fputs("…", out);
			break;
		}
		if (c < 0x20 || (c >= 0x7f && c < 0xa0) || (c >= 0x202a && c <= 0x202e) ||
		    (c >= 0x2066 && c <= 0x2069) || c == 0x200e || c == 0x200f)
			fputc('?', out);
		else
			fwrite(p, 1, (size_t)(g_utf8_next_char(p) - p), out);
	}
	g_free(valid);
}

/* s padded with spaces to width characters (not bytes: Vietnamese labels) */
static void qcli_pad(FILE *out, const char *s, long width)
{
	long n = (long)g_utf8_strlen(s, -1);

	fputs(s, out);
	for (; n < width; n++)
		fputc(' ', out);
}

static void qcli_time(int64_t ms, char *buf, size_t n, bool seconds)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0 || localtime_r(&t, &tm) == NULL) {
		snprintf(buf, n, "-");
		return;
	}
	strftime(buf, n, seconds ? "%Y-%m-%d %H:%M:%S %z" : "%Y-%m-%d %H:%M", &tm);
}

static const char *qcli_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int64_t qcli_int(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

/* an array of strings (or one string) joined with ", " (g_free) */
static char *qcli_join(const json_t *v, size_t max)
{
	GString *s = g_string_new(NULL);
	size_t i;
	json_t *e;

	if (json_is_string(v)) {
		g_string_append(s, json_string_value(v));
		return g_string_free(s, FALSE);
	}
	json_array_foreach(v, i, e)
	{
		if (!json_is_string(e))
			continue;
		if (i >= max) {
			g_string_append_printf(s, ", … (+%zu)", json_array_size(v) - max);
			break;
		}
		if (s->len > 0)
			g_string_append(s, ", ");
		g_string_append(s, json_string_value(e));
	}
	return g_string_free(s, FALSE);
}

static const char *qcli_state_label(const char *state)
{
	return state != NULL ? _(state) : "?";
}

/* history events as sentences (the event names are the file format) */
static const char *qcli_event_label(const char *event)
{
	static const char *const map[][2] = {
	        {"quarantined", "put in the quarantine"},
	        {"release-started", "release started"},
	        {"release-failed", "release failed"},
	        {"released", "released: sendmail took it"},
	        {"delivered", "first copy let through by vigil-milter"},
	        {"deleted", "deleted"},
	};

	if (event == NULL)
		return "?";
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(map[i][0], event) == 0)
			return _(map[i][1]);
	return event;
}

/* ---- where the quarantine is ---- */

static char **qcli_split_argv(const char *s)
{
	GPtrArray *a = g_ptr_array_new();
	char **parts = g_strsplit_set(s, " \t", -1);

	for (char **p = parts; *p != NULL; p++)
		if (**p && a->len < QCLI_SENDMAIL_ARGS_MAX)
			g_ptr_array_add(a, g_strdup(*p));
	g_strfreev(parts);
	g_ptr_array_add(a, NULL);
	return (char **)g_ptr_array_free(a, FALSE);
}

static int qcli_locate(struct qcli *c)
{
	const char *file = c->config_opt;
	GKeyFile *kf;
	GError *gerr = NULL;
	char *dir = NULL, *sm = NULL;

	if (file == NULL && c->dir_opt == NULL) {
		if (access(QCLI_DEFAULT_CONFIG, F_OK) != 0) {
			fprintf(stderr, "vigil: %s (%s: %s)\n",
			        _("say where the quarantine is: --dir DIR or --config FILE"),
			        QCLI_DEFAULT_CONFIG, g_strerror(errno));
			return EXIT_ERROR;
		}
		file = QCLI_DEFAULT_CONFIG;
	}
	if (file != NULL) {
		kf = g_key_file_new();
		if (!g_key_file_load_from_file(kf, file, G_KEY_FILE_NONE, &gerr)) {
			fprintf(stderr, "vigil: %s: %s: %s\n", file,
			        _("cannot read the configuration"), gerr->message);
			g_error_free(gerr);
			g_key_file_free(kf);
			return EXIT_ERROR;
		}
		dir = g_key_file_get_string(kf, "milter", "quarantine_dir", NULL);
		sm = g_key_file_get_string(kf, "milter", "sendmail", NULL);
		g_key_file_free(kf);
	}
	if (c->dir_opt != NULL) {
		g_free(dir);
		dir = g_strdup(c->dir_opt);
	}
	if (dir != NULL)
		g_strstrip(dir);
	if (dir == NULL || *dir == 0) {
		g_free(dir);
		dir = g_strdup(QCLI_DEFAULT_DIR);
	}
	c->dir = dir;
	c->sendmail = qcli_split_argv(sm != NULL ? sm : QCLI_DEFAULT_SENDMAIL);
	g_free(sm);
	if (c->sendmail[0] == NULL) {
		g_strfreev(c->sendmail);
		c->sendmail = qcli_split_argv(QCLI_DEFAULT_SENDMAIL);
	}
	return EXIT_CLEAN;
}

/* The invoking user, for the record of who released or deleted. */
static char *qcli_who(void)
{
	struct passwd *pw = getpwuid(getuid());
	const char *sudo = getenv("SUDO_USER");
	GString *s = g_string_new(NULL);

	if (pw != NULL)
		g_string_append(s, pw->pw_name);
	else
		g_string_append_printf(s, "uid %u", (unsigned)getuid());
	if (getuid() == 0 && sudo != NULL && *sudo && strlen(sudo) <= 32 &&
	    strspn(sudo, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
	            strlen(sudo))
		g_string_append_printf(s, " (sudo: %s)", sudo);
	return g_string_free(s, FALSE);
}

/* ---- errors ---- */

static int qcli_fail_id(struct qcli *c, const char *id, int rc, const char *detail)
{
	json_t *m = NULL;
	char *text = NULL;
	const char *state = NULL;

	if (rc == QUAR_EINVAL && !quar_id_valid(id)) {
		fprintf(stderr, "vigil: ");
		qcli_put(stderr, id, 80);
		fprintf(stderr, ": %s\n",
		        _("not a quarantine id (32 lower-case hex characters, as 'vigil "
		          "quarantine list' shows them)"));
		return EXIT_ERROR;
	}
	if (rc == QUAR_ENOTFOUND) {
		fprintf(stderr, "vigil: %s: %s (%s)\n", id,
		        _("no such message in the quarantine; see: vigil quarantine list"), c->dir);
		return EXIT_FOUND;
	}
	if (rc == QUAR_ESTATE) {
		if (quar_get(c->q, id, &text, NULL) == QUAR_OK)
			m = json_loads(text, 0, NULL);
		state = qcli_str(m, "state");
		fprintf(stderr, "vigil: %s: ", id);
		if (state != NULL && strcmp(state, "released") == 0)
			fputs(_("it is already released; a message is never sent twice"), stderr);
		else if (state != NULL && strcmp(state, "deleted") == 0)
			fputs(_("it was deleted; only its record is kept"), stderr);
		else if (state != NULL && strcmp(state, "releasing") == 0 && detail != NULL &&
		         strstr(detail, "running now") != NULL)
			fputs(_("a release of it is running now; wait for it to finish"), stderr);
		else if (state != NULL && strcmp(state, "releasing") == 0)
			fputs(_("a release of it is unfinished; run 'vigil quarantine release' "
			        "again first"),
			      stderr);
		else
			fputs(detail != NULL ? detail : quar_strerror(rc), stderr);
		fputc('\n', stderr);
		json_decref(m);
		free(text);
		return EXIT_FOUND;
	}
	if (rc == QUAR_ESENDMAIL) {
		fprintf(stderr, "vigil: %s: %s\n  %s\n", id,
		        _("sendmail failed; the message stays in the quarantine and can be "
		          "released "
		          "again once the cause is fixed"),
		        detail != NULL ? detail : "");
		return EXIT_ERROR;
	}
	if (rc == QUAR_EINVAL) {
		fprintf(stderr, "vigil: %s: %s: %s\n", id,
		        _("the message's record cannot be used for a release"),
		        detail != NULL ? detail : quar_strerror(rc));
		return EXIT_ERROR;
	}
	fprintf(stderr, "vigil: %s\n  %s\n", detail != NULL ? detail : quar_strerror(rc),
	        _("check free disk space and the permissions of the quarantine (run as root or "
	          "as vigil-milter's user)"));
	return EXIT_ERROR;
}

/* ---- list ---- */

static void qcli_list_one(const char *id, const char *meta_json, void *arg)
{
	struct qcli *c = arg;
	json_t *m = json_loads(meta_json, 0, NULL), *rec;
	char when[32], *from;

	if (m == NULL)
		return;
	c->count++;
	if (c->json) {
		char *line = json_dumps(m, JSON_COMPACT);

		if (line != NULL)
			printf("%s\n", line);
		free(line);
		json_decref(m);
		return;
	}
	rec = json_object_get(m, "record");
	if (c->count == 1) {
		qcli_pad(stdout, "ID", 34);
		qcli_pad(stdout, _("STATE"), 16);
		qcli_pad(stdout, _("QUARANTINED"), 18);
		qcli_pad(stdout, _("VERDICT"), 12);
		printf("%s\n", _("FROM / SUBJECT"));
	}
	qcli_time(qcli_int(m, "quarantined_ms"), when, sizeof when, false);
	from = qcli_join(json_object_get(rec, "hdr_from"), 1);
	if (*from == 0) {
		g_free(from);
		from = g_strdup(qcli_str(rec, "env_from") ? qcli_str(rec, "env_from") : "");
	}
	qcli_pad(stdout, id, 34);
	qcli_pad(stdout, qcli_state_label(qcli_str(m, "state")), 16);
	qcli_pad(stdout, when, 18);
	qcli_pad(stdout, qcli_str(rec, "verdict") ? _(qcli_str(rec, "verdict")) : "-", 12);
	qcli_put(stdout, from, 40);
	fputs(" / ", stdout);
	qcli_put(stdout, qcli_str(rec, "subject"), 60);
	fputc('\n', stdout);
	g_free(from);
	json_decref(m);
}

static int qcli_list(struct qcli *c)
{
	char *err = NULL;
	int rc = quar_list(c->q, qcli_list_one, c, &err);

	if (!c->json) {
		if (c->count == 0)
			printf("%s\n", _("The quarantine is empty."));
		else
			printf("%zu %s\n", c->count, _("messages"));
	}
	if (rc != QUAR_OK) {
		rc = qcli_fail_id(c, "", rc, err);
		free(err);
		return rc;
	}
	return EXIT_CLEAN;
}

/* ---- show ---- */

static void qcli_field(const char *label, const char *value)
{
	char *l = g_strdup_printf("%s:", label);

	fputs("  ", stdout);
	qcli_pad(stdout, l, 24);
	qcli_put(stdout, value != NULL && *value ? value : "-", 0);
	fputc('\n', stdout);
	g_free(l);
}

static void qcli_field_list(const char *label, const json_t *v)
{
	char *s = qcli_join(v, QCLI_SHOW_LIST_MAX);

	qcli_field(label, s);
	g_free(s);
}

static void qcli_show_findings(const json_t *rec)
{
	const json_t *fs = json_object_get(rec, "findings");
	size_t i;
	json_t *f;

	printf("%s (%zu):\n", _("Findings"), json_array_size(fs));
	json_array_foreach(fs, i, f)
	{
		const json_t *att = json_object_get(f, "attack");
		char *attack;

		/* a record has "T1566.001,T1204.002"; a scan report an array */
		if (json_is_string(att)) {
			char **parts = g_strsplit(json_string_value(att), ",", 20);

			for (char **p = parts; *p != NULL; p++)
				g_strstrip(*p);
			attack = g_strjoinv(", ", parts);
			g_strfreev(parts);
		} else {
			attack = qcli_join(att, 20);
		}
		const char *ev = qcli_str(f, "evidence");

		printf("  [");
		qcli_put(stdout, qcli_str(f, "severity") ? qcli_str(f, "severity") : "?", 16);
		printf("] ");
		qcli_put(stdout, qcli_str(f, "object") ? qcli_str(f, "object") : "?", 200);
		printf(": ");
		qcli_put(stdout, qcli_str(f, "title"), 200);
		printf("\n      ");
		qcli_put(stdout, qcli_str(f, "id"), 120);
		if (*attack) {
			printf("  ATT&CK ");
			qcli_put(stdout, attack, 120);
		}
		if (ev != NULL && *ev) {
			printf("  — ");
			qcli_put(stdout, ev, 300);
		}
		fputc('\n', stdout);
		g_free(attack);
	}
}

static void qcli_show_attachments(const json_t *rec)
{
	const json_t *as = json_object_get(rec, "attachments");
	size_t i;
	json_t *a;

	if (json_array_size(as) == 0)
		return;
	printf("%s (%zu):\n", _("Objects"), json_array_size(as));
	json_array_foreach(as, i, a)
	{
		if (i >= QCLI_SHOW_LIST_MAX) {
			printf("  … (+%zu)\n", json_array_size(as) - i);
			break;
		}
		printf("  ");
		qcli_put(stdout, qcli_str(a, "path") ? qcli_str(a, "path") : "?", 200);
		printf("  ");
		qcli_put(stdout, qcli_str(a, "type") ? qcli_str(a, "type") : "?", 20);
		printf("  %lld  ", (long long)qcli_int(a, "size"));
		qcli_put(stdout, qcli_str(a, "sha256") ? qcli_str(a, "sha256") : "-", 64);
		if (qcli_str(a, "name") != NULL) {
			printf("  \"");
			qcli_put(stdout, qcli_str(a, "name"), 120);
			printf("\"");
		}
		fputc('\n', stdout);
	}
}

static void qcli_show_history(const json_t *m)
{
	const json_t *h = json_object_get(m, "history");
	size_t i;
	json_t *e;

	if (json_array_size(h) == 0)
		return;
	printf("%s:\n", _("History"));
	json_array_foreach(h, i, e)
	{
		char when[40];

		qcli_time(qcli_int(e, "ms"), when, sizeof when, true);
		printf("  %s  %s", when, qcli_event_label(qcli_str(e, "event")));
		if (qcli_str(e, "by") != NULL) {
			printf(" (%s ", _("by"));
			qcli_put(stdout, qcli_str(e, "by"), 80);
			printf(")");
		}
		if (qcli_str(e, "detail") != NULL) {
			printf(": ");
			qcli_put(stdout, qcli_str(e, "detail"), 300);
		}
		fputc('\n', stdout);
	}
}

static int qcli_show_raw(struct qcli *c, const char *id, const json_t *m)
{
	char *path = quar_message_path(c->q, id);
	FILE *f;
	char buf[65536];
	size_t n;
	int rc = EXIT_CLEAN;

	if (isatty(STDOUT_FILENO)) {
		fprintf(stderr, "vigil: %s\n",
		        _("--raw writes the message bytes; send them to a file: vigil quarantine "
		          "show ID --raw > message.eml"));
		free(path);
		return EXIT_ERROR;
	}
	if (path == NULL) {
		const char *state = qcli_str(m, "state");

		fprintf(stderr, "vigil: %s: %s\n", id,
		        state != NULL && strcmp(state, "deleted") == 0
		                ? _("it was deleted; only its record is kept")
		                : _("the message file is missing from the quarantine"));
		return state != NULL && strcmp(state, "deleted") == 0 ? EXIT_FOUND : EXIT_ERROR;
	}
	f = fopen(path, "rbe");
	if (f == NULL) {
		fprintf(stderr, "vigil: %s: %s: %s\n", path, _("cannot read"), g_strerror(errno));
		free(path);
		return EXIT_ERROR;
	}
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		if (fwrite(buf, 1, n, stdout) != n) {
			rc = EXIT_ERROR;
			break;
		}
	if (ferror(f) || fflush(stdout) != 0)
		rc = EXIT_ERROR;
	if (rc != EXIT_CLEAN)
		fprintf(stderr, "vigil: %s: %s\n", path, g_strerror(errno));
	fclose(f);
	free(path);
	return rc;
}

static int qcli_show(struct qcli *c, const char *id)
{
	char *text = NULL, *err = NULL, when[40], *s;
	json_t *m, *rec;
	const char *v;
	int rc = quar_get(c->q, id, &text, &err);

	if (rc != QUAR_OK) {
		rc = qcli_fail_id(c, id, rc, err);
		free(err);
		return rc;
	}
	m = json_loads(text, 0, NULL);
	rec = json_object_get(m, "record");
	if (c->raw) {
		rc = qcli_show_raw(c, id, m);
		goto out;
	}
	if (c->json) {
		s = json_dumps(m, JSON_INDENT(2));
		printf("%s\n", s != NULL ? s : "{}");
		free(s);
		rc = EXIT_CLEAN;
		goto out;
	}
	printf("%s %s\n", _("Message"), id);
	qcli_field(_("State"), qcli_state_label(qcli_str(m, "state")));
	qcli_time(qcli_int(m, "quarantined_ms"), when, sizeof when, true);
	qcli_field(_("Quarantined"), when);
	v = qcli_str(rec, "verdict");
	s = g_strdup_printf("%s, %s %lld, %s %s", v ? _(v) : "-", _("score"),
	                    (long long)qcli_int(rec, "score"), _("action"),
	                    qcli_str(rec, "action") ? qcli_str(rec, "action") : "-");
	qcli_field(_("Verdict"), s);
	g_free(s);
	qcli_field(_("Subject"), qcli_str(rec, "subject"));
	qcli_field_list(_("From"), json_object_get(rec, "hdr_from"));
	qcli_field_list(_("To"), json_object_get(rec, "hdr_to"));
	qcli_field(_("Envelope sender"), qcli_str(rec, "env_from"));
	qcli_field_list(_("Envelope recipients"), json_object_get(rec, "env_rcpts"));
	qcli_field(_("Message-ID"), qcli_str(rec, "message_id"));
	s = g_strdup_printf("%s, %s %s", qcli_str(rec, "gateway") ? qcli_str(rec, "gateway") : "-",
	                    _("queue id"),
	                    qcli_str(rec, "queue_id") ? qcli_str(rec, "queue_id") : "-");
	qcli_field(_("Gateway"), s);
	g_free(s);
	qcli_time(qcli_int(rec, "received_ms"), when, sizeof when, true);
	v = qcli_str(rec, "direction");
	s = g_strdup_printf("%s (%s)", when, v ? _(v) : "-");
	qcli_field(_("Received"), s);
	g_free(s);
	s = g_strdup_printf("%lld %s, SHA-256 %s", (long long)qcli_int(m, "size"), _("bytes"),
	                    qcli_str(m, "sha256") ? qcli_str(m, "sha256") : "-");
	qcli_field(_("Stored message"), s);
	g_free(s);
	if (qcli_int(m, "released_ms") > 0) {
		qcli_time(qcli_int(m, "released_ms"), when, sizeof when, true);
		s = g_strdup_printf("%s, %s %s", when, _("by"),
		                    qcli_str(m, "released_by") ? qcli_str(m, "released_by") : "-");
		qcli_field(_("Released"), s);
		g_free(s);
	}
	if (qcli_int(m, "duplicates") > 0) {
		s = g_strdup_printf("%lld", (long long)qcli_int(m, "duplicates"));
		qcli_field(_("Duplicate copies discarded"), s);
		g_free(s);
	}
	if (qcli_int(m, "deleted_ms") > 0) {
		qcli_time(qcli_int(m, "deleted_ms"), when, sizeof when, true);
		s = g_strdup_printf("%s, %s %s", when, _("by"),
		                    qcli_str(m, "deleted_by") ? qcli_str(m, "deleted_by") : "-");
		qcli_field(_("Deleted"), s);
		g_free(s);
	}
	if (qcli_str(m, "last_error") != NULL)
		qcli_field(_("Last error"), qcli_str(m, "last_error"));
	if (json_array_size(json_object_get(rec, "urls")) > 0)
		qcli_field_list(_("URLs"), json_object_get(rec, "urls"));
	qcli_show_findings(rec);
	qcli_show_attachments(rec);
	qcli_show_history(m);
	rc = EXIT_CLEAN;
out:
	json_decref(m);
	free(text);
	return rc;
}

/* ---- release / delete ---- */

/* Asks on the terminal; without one the answer must come from --yes. */
static int qcli_confirm(struct qcli *c, const char *what, const char *id, const json_t *rec)
{
	char line[64], *rcpts;

	if (c->yes)
		return EXIT_CLEAN;
	if (!isatty(STDIN_FILENO)) {
		fprintf(stderr, "vigil: %s: %s\n", id,
		        _("confirm with --yes (there is no terminal to ask on)"));
		return EXIT_ERROR;
	}
	rcpts = qcli_join(json_object_get(rec, "env_rcpts"), 10);
	fprintf(stderr, "%s %s (", what, id);
	qcli_put(stderr, qcli_str(rec, "subject"), 60);
	fprintf(stderr, ") %s ", _("to"));
	qcli_put(stderr, rcpts, 200);
	fprintf(stderr, "? %s ", _("[y/N]"));
	g_free(rcpts);
	if (fgets(line, sizeof line, stdin) == NULL)
		line[0] = 0;
	g_strstrip(line);
	if (g_ascii_strcasecmp(line, "y") == 0 || g_ascii_strcasecmp(line, "yes") == 0 ||
	    g_ascii_strcasecmp(line, "c") == 0 || g_ascii_strcasecmp(line, "co") == 0 ||
	    strcmp(line, "có") == 0 || strcmp(line, "Có") == 0)
		return EXIT_CLEAN;
	fprintf(stderr, "vigil: %s: %s\n", id, _("cancelled; nothing was changed"));
	return EXIT_FOUND;
}

static int qcli_change(struct qcli *c, const char *id, bool release)
{
	char *text = NULL, *err = NULL, *who = NULL, *rcpts;
	json_t *m = NULL, *rec;
	int rc = quar_get(c->q, id, &text, &err);

	if (rc != QUAR_OK)
		goto fail;
	m = json_loads(text, 0, NULL);
	rec = json_object_get(m, "record");
	rc = qcli_confirm(c, release ? _("Release message") : _("Delete message"), id, rec);
	if (rc != EXIT_CLEAN)
		goto out;
	who = qcli_who();
	if (release)
		rc = quar_release(c->q, id, (const char *const *)c->sendmail, who, &err);
	else
		rc = quar_delete(c->q, id, who, &err);
	if (rc != QUAR_OK)
		goto fail;
	rcpts = qcli_join(json_object_get(rec, "env_rcpts"), QCLI_SHOW_LIST_MAX);
	printf("%s: ", id);
	if (release) {
		printf("%s ", _("released to"));
		qcli_put(stdout, rcpts, 0);
		fputc('\n', stdout);
	} else {
		printf("%s\n", _("deleted; its record is kept"));
	}
	g_free(rcpts);
	rc = EXIT_CLEAN;
	goto out;
fail:
	rc = qcli_fail_id(c, id, rc, err);
out:
	g_free(who);
	free(err);
	json_decref(m);
	free(text);
	return rc;
}

static void qcli_usage(FILE *out)
{
	fprintf(out,
	        "Usage: vigil quarantine [OPTIONS] COMMAND [ID]\n"
	        "Look after the messages vigil-milter put in the quarantine.\n\n"
	        "Commands:\n"
	        "  list          every message, newest first\n"
	        "  show ID       verdict, findings (object paths, ATT&CK ids), envelope, history\n"
	        "  release ID    deliver the message to its envelope recipients through the\n"
	        "                MTA's sendmail; it is delivered exactly once\n"
	        "  delete ID     remove the message (its record is kept)\n\n"
	        "Options:\n"
	        "  --dir DIR      the quarantine directory\n"
	        "  --config FILE  vigil-milter's configuration: [milter] quarantine_dir and\n"
	        "                 sendmail (default %s)\n"
	        "  --json         list: one JSON object a line; show: the metadata as JSON\n"
	        "  --raw          show: write the stored message bytes to stdout\n"
	        "  --yes          release, delete: do not ask for confirmation\n"
	        "  --lang vi|en   language of the messages\n\n"
	        "Exit status: 0 done, 1 no such message, wrong state or cancelled, 2 error.\n",
	        QCLI_DEFAULT_CONFIG);
}

int cmd_quarantine(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"dir", required_argument, NULL, 1101}, {"config", required_argument, NULL, 1102},
	        {"json", no_argument, NULL, 1103},      {"raw", no_argument, NULL, 1104},
	        {"yes", no_argument, NULL, 'y'},        {"lang", required_argument, NULL, 1004},
	        {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0},
	};
	struct qcli c = {0};
	char *err = NULL;
	const char *cmd, *id = NULL;
	int opt, rc = EXIT_ERROR, want_id;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "yh", longopts, NULL)) != -1) {
		switch (opt) {
		case 1101:
			c.dir_opt = optarg;
			break;
		case 1102:
			c.config_opt = optarg;
			break;
		case 1103:
			c.json = true;
			break;
		case 1104:
			c.raw = true;
			break;
		case 'y':
			c.yes = true;
			break;
		case 1004:
			if (strcmp(optarg, "vi") == 0)
				cli_set_lang(VIGIL_LANG_VI);
			else if (strcmp(optarg, "en") == 0)
				cli_set_lang(VIGIL_LANG_EN);
			else {
				fprintf(stderr, "vigil: --lang takes vi or en\n");
				return EXIT_ERROR;
			}
			break;
		case 'h':
			qcli_usage(stdout);
			return EXIT_CLEAN;
		default:
			qcli_usage(stderr);
			return EXIT_ERROR;
		}
	}
	if (optind >= argc) {
		qcli_usage(stderr);
		return EXIT_ERROR;
	}
	cmd = argv[optind];
	want_id = strcmp(cmd, "list") != 0;
	if (strcmp(cmd, "list") != 0 && strcmp(cmd, "show") != 0 && strcmp(cmd, "release") != 0 &&
	    strcmp(cmd, "delete") != 0) {
		fprintf(stderr, "vigil: quarantine %s: %s\n", cmd,
		        _("unknown command; try: vigil quarantine --help"));
		return EXIT_ERROR;
	}
	if (argc - optind != 1 + want_id) {
		fprintf(stderr, "vigil: quarantine %s: %s\n", cmd,
		        want_id ? _("give one message id; see: vigil quarantine list")
		                : _("takes no arguments"));
		return EXIT_ERROR;
	}
	if (want_id) {
		id = argv[optind + 1];
		if (!quar_id_valid(id))
			return qcli_fail_id(&c, id, QUAR_EINVAL, NULL);
	}
	rc = qcli_locate(&c);
	if (rc != EXIT_CLEAN)
		goto out;
	rc = quar_open(c.dir, &c.q, &err);
	if (rc != QUAR_OK) {
		fprintf(stderr, "vigil: %s\n  %s\n", err != NULL ? err : quar_strerror(rc),
		        rc == QUAR_ENOTFOUND
		                ? _("no quarantine there; check --dir, or quarantine_dir "
		                    "in [milter] of the configuration")
		                : _("check free disk space and the permissions of the "
		                    "quarantine (run as root or as vigil-milter's user)"));
		rc = EXIT_ERROR;
		goto out;
	}
	if (strcmp(cmd, "list") == 0)
		rc = qcli_list(&c);
	else if (strcmp(cmd, "show") == 0)
		rc = qcli_show(&c, id);
	else
		rc = qcli_change(&c, id, strcmp(cmd, "release") == 0);
out:
	free(err);
	quar_close(c.q);
	g_free(c.dir);
	g_strfreev(c.sendmail);
	return rc;
}
