/*
 * test_store.c - the store and its journal, against whichever back end
 * VIGIL_TEST_DB names (tests/store/test_store_backends.sh runs this once
 * with a fresh SQLite file and once with a PostgreSQL server it starts);
 * unset, a SQLite file in a temporary folder.
 *
 * Each test gets a fresh database (SQLite: a new file; PostgreSQL: a new
 * database on the same server), so counts are exact. Tests look into the
 * tables directly too (raw_*: sqlite3 or libpq on the same URL), to check
 * what the API alone cannot show: nothing duplicated, indexes used.
 *
 * VIGIL_TEST_DB_STOP / VIGIL_TEST_DB_START (shell commands, set by the
 * driver for PostgreSQL) let pg_down_and_back stop and restart the server.
 */
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "test_store_fixture.h"

static char *tmpdir;
static const char *base_url; /* VIGIL_TEST_DB, or NULL */

static int is_pg(void)
{
	return base_url != NULL && strncmp(base_url, "postgres", 8) == 0;
}

/* ---- raw access to the database behind a URL ---- */

static char *sqlite_path(const char *url)
{
	const char *p = strncmp(url, "sqlite:", 7) == 0 ? url + 7 : url;

	return g_strndup(p, strcspn(p, "?"));
}

static void quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* Runs sql; returns the rows' columns joined by '|' and rows by '\n'. */
static char *raw(const char *url, const char *sql)
{
	GString *out = g_string_new(NULL);

	if (strncmp(url, "postgres", 8) == 0) {
		PGconn *c = PQconnectdb(url);
		PGresult *r;

		assert_int_equal(PQstatus(c), CONNECTION_OK);
		PQsetNoticeProcessor(c, quiet, NULL);
		r = PQexec(c, sql);
		if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK) {
			fprintf(stderr, "raw: %s: %s\n", sql, PQresultErrorMessage(r));
			fail();
		}
		for (int i = 0; i < PQntuples(r); i++) {
			for (int k = 0; k < PQnfields(r); k++)
				g_string_append_printf(out, "%s%s", k ? "|" : "",
				                       PQgetisnull(r, i, k) ? "NULL"
				                                            : PQgetvalue(r, i, k));
			g_string_append_c(out, '\n');
		}
		PQclear(r);
		PQfinish(c);
	} else {
		char *path = sqlite_path(url);
		sqlite3 *db = NULL;
		const char *tail = sql;

		assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
		sqlite3_busy_timeout(db, 5000);
		while (tail != NULL && *tail) {
			sqlite3_stmt *st = NULL;
			int rc = sqlite3_prepare_v2(db, tail, -1, &st, &tail);

			if (rc != SQLITE_OK) {
				fprintf(stderr, "raw: %s: %s\n", sql, sqlite3_errmsg(db));
				fail();
			}
			if (st == NULL)
				break;
			g_string_truncate(out, 0); /* the last statement's rows */
			while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
				for (int k = 0; k < sqlite3_column_count(st); k++) {
					const char *v = (const char *)sqlite3_column_text(st, k);

					g_string_append_printf(out, "%s%s", k ? "|" : "",
					                       v != NULL ? v : "NULL");
				}
				g_string_append_c(out, '\n');
			}
			assert_int_equal(rc, SQLITE_DONE);
			sqlite3_finalize(st);
		}
		sqlite3_close(db);
		g_free(path);
	}
	return g_string_free(out, FALSE);
}

static long long raw_int(const char *url, const char *sql)
{
	char *s = raw(url, sql);
	long long v = g_ascii_strtoll(s, NULL, 10);

	g_free(s);
	return v;
}

/* A new, empty database for one test. */
static char *fresh_url(const char *name)
{
	if (is_pg()) {
		/* postgresql://auth@host:port/DB?query -> .../vt_NAME?query */
		const char *p = strstr(base_url, "://") + 3, *slash = strchr(p, '/'), *q;
		char *sql, *url;

		assert_non_null(slash);
		q = strchr(slash, '?');
		sql = g_strdup_printf("DROP DATABASE IF EXISTS vt_%s WITH (FORCE)", name);
		g_free(raw(base_url, sql));
		g_free(sql);
		sql = g_strdup_printf("CREATE DATABASE vt_%s ENCODING 'UTF8' TEMPLATE template0",
		                      name);
		g_free(raw(base_url, sql));
		g_free(sql);
		url = g_strdup_printf("%.*svt_%s%s", (int)(slash + 1 - base_url), base_url, name,
		                      q != NULL ? q : "");
		return url;
	}
	return g_strdup_printf("sqlite:%s/%s.db", tmpdir, name);
}

static store *open_ok(const char *url)
{
	store *st = NULL;
	char *err = NULL;
	int rc = store_open(url, &st, &err);

	if (rc != STORE_OK)
		fprintf(stderr, "store_open(%s): %s\n", url, err ? err : "?");
	assert_int_equal(rc, STORE_OK);
	assert_null(err);
	assert_non_null(st);
	assert_string_equal(store_backend(st), is_pg() ? "postgresql" : "sqlite");
	return st;
}

static void put_ok(store *st, const struct store_msg *m)
{
	char *err = NULL;
	int rc = store_put_message(st, m, &err);

	if (rc != STORE_OK)
		fprintf(stderr, "put %s: %d %s\n", m->uid, rc, err ? err : "");
	assert_int_equal(rc, STORE_OK);
	free(err);
}

static int64_t count(store *st, const char *verdict)
{
	int64_t n = -1;

	assert_int_equal(store_count_messages(st, verdict, &n, NULL), STORE_OK);
	return n;
}

/* ---- comparing records ---- */

static void str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		assert_ptr_equal(a, b); /* both NULL */
	else
		assert_string_equal(a, b);
}

static void strs_eq(const char *const *a, size_t na, const char *const *b, size_t nb)
{
	assert_int_equal(na, nb);
	for (size_t i = 0; i < na; i++)
		str_eq(a[i], b[i]);
}

static void msg_eq(const struct store_msg *a, const struct store_msg *b)
{
	str_eq(a->uid, b->uid);
	str_eq(a->gateway, b->gateway);
	str_eq(a->queue_id, b->queue_id);
	str_eq(a->message_id, b->message_id);
	str_eq(a->date_header, b->date_header);
	assert_int_equal(a->received_ms, b->received_ms);
	str_eq(a->direction, b->direction);
	str_eq(a->client_addr, b->client_addr);
	str_eq(a->env_from, b->env_from);
	strs_eq(a->env_rcpts, a->n_env_rcpts, b->env_rcpts, b->n_env_rcpts);
	strs_eq(a->hdr_from, a->n_hdr_from, b->hdr_from, b->n_hdr_from);
	strs_eq(a->hdr_to, a->n_hdr_to, b->hdr_to, b->n_hdr_to);
	str_eq(a->subject, b->subject);
	assert_int_equal(a->n_atts, b->n_atts);
	for (size_t i = 0; i < a->n_atts; i++) {
		const struct store_attachment *x = &a->atts[i], *y = &b->atts[i];

		str_eq(x->path, y->path);
		str_eq(x->name, y->name);
		str_eq(x->type, y->type);
		str_eq(x->mime, y->mime);
		str_eq(x->sha256, y->sha256);
		str_eq(x->sha1, y->sha1);
		str_eq(x->md5, y->md5);
		assert_int_equal(x->size, y->size);
		assert_int_equal(x->depth, y->depth);
	}
	strs_eq(a->urls, a->n_urls, b->urls, b->n_urls);
	strs_eq(a->domains, a->n_domains, b->domains, b->n_domains);
	str_eq(a->verdict, b->verdict);
	assert_int_equal(a->score, b->score);
	str_eq(a->action, b->action);
	str_eq(a->quarantine_id, b->quarantine_id);
	assert_int_equal(a->n_finds, b->n_finds);
	for (size_t i = 0; i < a->n_finds; i++) {
		const struct store_finding *x = &a->finds[i], *y = &b->finds[i];

		str_eq(x->id, y->id);
		str_eq(x->severity, y->severity);
		str_eq(x->title, y->title);
		str_eq(x->object, y->object);
		str_eq(x->attack, y->attack);
		str_eq(x->evidence, y->evidence);
	}
	assert_int_equal(a->size, b->size);
	assert_true(a->scan_ms == b->scan_ms);
	assert_int_equal(a->drill != 0, b->drill != 0);
}

/* The record as stored, parsed back into a struct (free with free_parsed). */
static struct store_msg *get(store *st, const char *uid, void **arena, char **json)
{
	char *j = NULL, *err = NULL;
	struct store_msg *m;
	int rc = store_get_message_json(st, uid, &j, &err);

	if (rc != STORE_OK)
		fprintf(stderr, "get %s: %d %s\n", uid, rc, err ? err : "");
	assert_int_equal(rc, STORE_OK);
	m = store_msg_from_json(j, arena);
	assert_non_null(m);
	if (json != NULL)
		*json = j;
	else
		free(j);
	return m;
}

/* ---- tests: schema ---- */

static void assert_uses_index(const char *url, const char *query, const char *index)
{
	char *sql = is_pg() ? g_strdup_printf("SET enable_seqscan = off; EXPLAIN %s", query)
	                    : g_strdup_printf("EXPLAIN QUERY PLAN %s", query);
	char *plan = raw(url, sql);

	if (strstr(plan, index) == NULL) {
		fprintf(stderr, "%s\ndoes not use %s:\n%s\n", query, index, plan);
		fail();
	}
	g_free(plan);
	g_free(sql);
}

static void migrations_current_and_idempotent(void **state)
{
	/* the database the driver made for this run, else a new file */
	char *url = base_url != NULL ? g_strdup(base_url) : fresh_url("migrate");
	struct fixture f;
	store *st;
	char *err = NULL;
	int v;
	long long rows;

	(void)state;
	st = open_ok(url);
	v = store_schema_version(st);
	assert_true(v >= 1);
	assert_int_equal(raw_int(url, "SELECT max(version) FROM schema_version"), v);
	rows = raw_int(url, "SELECT count(*) FROM schema_version");
	assert_int_equal(rows, v); /* versions 1..v, each once */
	fx_init(&f, 0x11, 1, 0);
	put_ok(st, &f.m);
	store_close(st);

	/* reopen: nothing re-applied, nothing lost */
	st = open_ok(url);
	assert_int_equal(store_schema_version(st), v);
	assert_int_equal(raw_int(url, "SELECT count(*) FROM schema_version"), rows);
	assert_int_equal(count(st, NULL), 1);
	store_close(st);

	/* the searches hunts make are served by indexes */
	assert_uses_index(url, "SELECT msg FROM attachments WHERE sha256 = 'ab'",
	                  "attachments_sha256");
	assert_uses_index(url, "SELECT msg FROM attachments WHERE md5 = 'ab'", "attachments_md5");
	assert_uses_index(url, "SELECT msg FROM attachments WHERE sha1 = 'ab'", "attachments_sha1");
	assert_uses_index(url, "SELECT id FROM messages WHERE env_from_lc = 'a@b'",
	                  "messages_env_from");
	assert_uses_index(url,
	                  "SELECT msg FROM header_addrs WHERE addr_lc = 'a@b' AND field = 'from'",
	                  "header_addrs_from");
	assert_uses_index(url, "SELECT msg FROM header_addrs WHERE domain = 'b' AND field = 'from'",
	                  "header_addrs_from_domain");
	assert_uses_index(url, "SELECT id FROM messages WHERE env_from_domain = 'b'",
	                  "messages_env_from_domain");
	assert_uses_index(url, "SELECT msg FROM recipients WHERE addr_lc = 'a@b'",
	                  "recipients_addr");
	assert_uses_index(url, "SELECT msg FROM recipients WHERE domain = 'b'",
	                  "recipients_domain");
	assert_uses_index(url, "SELECT msg FROM domains WHERE domain = 'b'", "domains_domain");
	assert_uses_index(url, "SELECT id FROM messages WHERE message_id = 'x@y'",
	                  "messages_message_id");
	assert_uses_index(url, "SELECT id FROM messages WHERE received_ms > 5",
	                  "messages_received");
	assert_uses_index(url, "SELECT msg FROM findings WHERE fid = 'ioc.sha256'", "findings_fid");
	/* the hunt: every copy of an attachment, and who received it; child rows
	 * are joined through their key range (docs/store.md) */
	assert_uses_index(
	        url,
	        "SELECT m.uid, r.addr_lc FROM attachments a JOIN messages m ON m.id = a.msg "
	        "JOIN recipients r ON r.id BETWEEN m.id * 65536 AND m.id * 65536 + 65535 "
	        "WHERE a.sha256 = 'ab'",
	        is_pg() ? "recipients_pkey" : "SEARCH r USING INTEGER PRIMARY KEY");

	/* a database from a newer vigil is refused, not written into */
	g_free(raw(url, "INSERT INTO schema_version (version, description, applied_ms) "
	                "VALUES (999, 'from the future', 0)"));
	st = NULL;
	assert_int_equal(store_open(url, &st, &err), STORE_EINVAL);
	assert_null(st);
	assert_non_null(strstr(err, "newer"));
	free(err);
	g_free(raw(url, "DELETE FROM schema_version WHERE version = 999"));
	st = open_ok(url);
	store_close(st);
	fx_free(&f);
	g_free(url);
}

static void bad_urls_refused(void **state)
{
	const char *bad[] = {"",
	                     "mysql://localhost/vigil",
	                     "sqlite:",
	                     "sqlite://relative.db",
	                     "sqlite:/tmp/x.db?bogus=1",
	                     "sqlite:/tmp/x.db?synchronous=maybe",
	                     "postgresql://[::1"};
	char *err = NULL;
	store *st = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(store_open(bad[i], &st, &err), STORE_EINVAL);
		assert_null(st);
		assert_non_null(err);
		free(err);
		err = NULL;
	}
	assert_int_equal(store_open(NULL, &st, NULL), STORE_EINVAL);
	assert_string_equal(store_strerror(STORE_EUNAVAILABLE), "store unavailable");
}

/* ---- tests: records ---- */

static void full_record_round_trips(void **state)
{
	char *url = fresh_url("roundtrip");
	store *st = open_ok(url);
	struct fixture f, e;
	struct store_msg *back;
	void *arena = NULL;
	char *json = NULL, *direct;
	json_t *o;
	char *s;

	(void)state;
	fx_init(&f, 0x22, 3, 1); /* every long field near its bound */
	assert_true(strlen(f.m.subject) > STORE_MAX_TEXT - 60);
	put_ok(st, &f.m);
	back = get(st, f.uid, &arena, &json);
	msg_eq(&f.m, back);
	/* the same bytes as the serialiser's, so the API and the journal agree */
	direct = store_msg_to_json(&f.m);
	assert_string_equal(json, direct);
	/* and, read independently, the fields that matter most to a hunt */
	o = json_loads(json, 0, NULL);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "subject")), f.m.subject);
	assert_string_equal(json_string_value(json_object_get(
	                            json_array_get(json_object_get(o, "attachments"), 1), "name")),
	                    "Công văn số 123.docm");
	assert_int_equal(json_integer_value(json_object_get(
	                         json_array_get(json_object_get(o, "attachments"), 1), "size")),
	                 5000000000LL);
	assert_true(json_is_null(
	        json_object_get(json_array_get(json_object_get(o, "attachments"), 1), "mime")));
	assert_true(json_is_null(
	        json_object_get(json_array_get(json_object_get(o, "findings"), 1), "evidence")));
	assert_string_equal(json_string_value(json_object_get(
	                            json_array_get(json_object_get(o, "findings"), 1), "attack")),
	                    "");
	assert_null(json_object_get(o, "clipped"));
	json_decref(o);
	store_msg_free_parsed(back, arena);
	free(json);
	free(direct);

	/* what hunts search by was derived from it */
	s = raw(url, "SELECT addr_lc, domain FROM recipients ORDER BY id");
	assert_string_equal(s, "nguyen.van.an@bhxh.example|bhxh.example\n"
	                       "tran.thi.binh3@hanoi.bhxh.example|hanoi.bhxh.example\n"
	                       "le.van.cuong@hcm.bhxh.example|hcm.bhxh.example\n");
	g_free(s);
	s = raw(url, "SELECT host FROM urls ORDER BY id");
	assert_string_equal(s, "bhxh-gov.example\nevil.example.com\n[2001:db8::1]\n"
	                       "phishing.example\ncdn.example\n");
	g_free(s);
	s = raw(url, "SELECT field, addr_lc, domain FROM header_addrs ORDER BY id");
	assert_string_equal(s, "from|tccb@bhxh-gov.example|bhxh-gov.example\n"
	                       "to|nguyen.van.an@bhxh.example|bhxh.example\n"
	                       "to|ketoan@bhxh.example|bhxh.example\n");
	g_free(s);
	s = raw(url, "SELECT env_from_lc, env_from_domain, verdict, action, direction, drill "
	             "FROM messages");
	assert_string_equal(s, "tccb@bhxh-gov.example|bhxh-gov.example|error|tag|inbound|0\n");
	g_free(s);

	/* a record with every optional field absent and every list empty */
	memset(&e, 0, sizeof e);
	e.owned = g_ptr_array_new();
	fx_uid(e.uid, 0x22, 4);
	e.m = (struct store_msg){.uid = e.uid,
	                         .gateway = "",
	                         .direction = "release",
	                         .env_from = "",
	                         .verdict = "error",
	                         .action = "tempfail",
	                         .received_ms = -1,
	                         .score = -5,
	                         .drill = 1};
	put_ok(st, &e.m);
	back = get(st, e.uid, &arena, NULL);
	msg_eq(&e.m, back);
	assert_null(back->subject);
	assert_string_equal(back->env_from, ""); /* the null sender is not NULL */
	store_msg_free_parsed(back, arena);
	fx_free(&e);
	fx_free(&f);
	store_close(st);
	g_free(url);
}

static void long_and_broken_text_is_clipped_and_repaired(void **state)
{
	char *url = fresh_url("clip");
	store *st = open_ok(url);
	struct fixture f;
	struct store_msg *back;
	void *arena = NULL;
	char *json = NULL, *s;
	const char **many;
	GString *subj = g_string_new(NULL);
	json_t *o;

	(void)state;
	fx_init(&f, 0x33, 1, 0);
	while (subj->len < 10000)
		g_string_append(subj, "ệ"); /* 3 bytes: the bound falls inside one */
	f.m.subject = subj->str;
	f.m.env_from = "\xff\xfe@bad.example";
	f.atts[0].sha256 = "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08";
	many = g_new(const char *, STORE_MAX_ITEMS + 5);
	for (size_t i = 0; i < STORE_MAX_ITEMS + 5; i++)
		many[i] = "r@x.example";
	f.m.env_rcpts = many;
	f.m.n_env_rcpts = STORE_MAX_ITEMS + 5;
	put_ok(st, &f.m);
	back = get(st, f.uid, &arena, &json);
	assert_true(strlen(back->subject) <= STORE_MAX_TEXT);
	assert_true(strlen(back->subject) > STORE_MAX_TEXT - 3);
	assert_int_equal(strlen(back->subject) % 3, 0); /* whole characters */
	assert_true(g_utf8_validate(back->subject, -1, NULL));
	assert_int_equal(strncmp(back->subject, subj->str, strlen(back->subject)), 0);
	assert_string_equal(back->env_from, "\xef\xbf\xbd\xef\xbf\xbd@bad.example");
	assert_string_equal(back->atts[0].sha256,
	                    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
	assert_int_equal(back->n_env_rcpts, STORE_MAX_ITEMS);
	o = json_loads(json, 0, NULL);
	assert_true(json_is_true(json_object_get(o, "clipped")));
	json_decref(o);
	s = raw(url, "SELECT clipped FROM messages");
	assert_string_equal(s, "1\n");
	g_free(s);
	/* the serialiser repairs too: its output is always JSON */
	free(json);
	json = store_msg_to_json(&f.m);
	o = json_loads(json, 0, NULL);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "env_from")),
	                    "\xef\xbf\xbd\xef\xbf\xbd@bad.example");
	json_decref(o);
	free(json);
	store_msg_free_parsed(back, arena);

	/* a clip in a child only (a long URL) marks the record too */
	fx_uid(f.uid, 0x33, 2);
	f.m.subject = "ngắn";
	f.m.env_rcpts = f.rcpts;
	f.m.n_env_rcpts = 3;
	f.urls[4] = fx_fill(&f, "https://x.example/aaaaaaaa", 3 * STORE_MAX_URL);
	put_ok(st, &f.m);
	s = raw(url, "SELECT uid, clipped FROM messages ORDER BY id");
	assert_string_equal(s, "00000033000000010000000000000000|1\n"
	                       "00000033000000020000000000000000|1\n");
	g_free(s);
	assert_int_equal(raw_int(url, "SELECT max(length(url)) FROM urls"), STORE_MAX_URL);
	g_free(many);
	g_string_free(subj, TRUE);
	fx_free(&f);
	store_close(st);
	g_free(url);
}

static void duplicate_uid_changes_nothing(void **state)
{
	char *url = fresh_url("dup");
	store *st = open_ok(url);
	struct fixture a, b;
	struct store_msg *back;
	void *arena = NULL;
	char *err = NULL, *before, *after;
	const char *tables =
	        "SELECT (SELECT count(*) FROM messages), (SELECT count(*) FROM "
	        "recipients), (SELECT count(*) FROM header_addrs), (SELECT count(*) "
	        "FROM attachments), (SELECT count(*) FROM urls), (SELECT count(*) FROM "
	        "domains), (SELECT count(*) FROM findings)";

	(void)state;
	fx_init(&a, 0x44, 1, 0);
	fx_init(&b, 0x44, 1, 0); /* same uid, other content */
	b.m.subject = "a different message";
	b.m.n_env_rcpts = 1;
	b.m.verdict = "clean";
	put_ok(st, &a.m);
	before = raw(url, tables);
	assert_string_equal(before, "1|3|3|2|5|3|3\n");
	assert_int_equal(store_put_message(st, &b.m, &err), STORE_ECONFLICT);
	assert_non_null(err);
	free(err);
	after = raw(url, tables);
	assert_string_equal(after, before);
	back = get(st, a.uid, &arena, NULL);
	msg_eq(&a.m, back);
	store_msg_free_parsed(back, arena);
	assert_int_equal(count(st, "clean"), 0);
	g_free(before);
	g_free(after);
	fx_free(&a);
	fx_free(&b);
	store_close(st);
	g_free(url);
}

static void invalid_records_refused(void **state)
{
	char *url = fresh_url("invalid");
	store *st = open_ok(url);
	struct fixture f;
	char *err = NULL, *json = NULL;
	int64_t n;

	(void)state;
#define REFUSED(change)                                                                            \
	do {                                                                                       \
		fx_init(&f, 0x55, 1, 0);                                                           \
		change;                                                                            \
		assert_int_equal(store_put_message(st, &f.m, &err), STORE_EINVAL);                 \
		assert_non_null(err);                                                              \
		free(err);                                                                         \
		err = NULL;                                                                        \
		fx_free(&f);                                                                       \
	} while (0)
	REFUSED(f.uid[31] = 0);
	REFUSED(f.uid[0] = 'A');
	REFUSED(f.uid[5] = 'g');
	REFUSED(f.m.uid = NULL);
	REFUSED(f.m.gateway = NULL);
	REFUSED(f.m.direction = "sideways");
	REFUSED(f.m.verdict = NULL);
	REFUSED(f.m.verdict = "Clean");
	REFUSED(f.m.action = "explode");
	REFUSED(f.m.env_rcpts = NULL);
	REFUSED(f.rcpts[1] = NULL);
	REFUSED(f.m.atts = NULL);
	REFUSED(f.atts[1].path = NULL);
	REFUSED(f.atts[0].sha256 = "abc");
	REFUSED(f.atts[0].md5 = "zz8f6bcd4621d373cade4e832627b4f6");
	REFUSED(f.finds[2].severity = "severe");
	REFUSED(f.finds[0].id = NULL);
#undef REFUSED
	assert_int_equal(count(st, NULL), 0);
	assert_int_equal(store_count_messages(st, "bogus", &n, NULL), STORE_EINVAL);
	assert_int_equal(store_put_message(st, NULL, NULL), STORE_EINVAL);
	assert_int_equal(
	        store_get_message_json(st, "00000000000000000000000000000000", &json, &err),
	        STORE_ENOTFOUND);
	assert_null(json);
	free(err);
	store_close(st);
	g_free(url);
}

static void counts_by_verdict(void **state)
{
	char *url = fresh_url("counts");
	store *st = open_ok(url);
	const char *v[] = {"clean",      "clean",      "clean",     "clean",     "suspicious",
	                   "suspicious", "suspicious", "malicious", "malicious", "error"};

	(void)state;
	for (unsigned i = 0; i < 10; i++) {
		struct fixture f;

		fx_init(&f, 0x66, i, 0);
		f.m.verdict = v[i];
		put_ok(st, &f.m);
		fx_free(&f);
	}
	assert_int_equal(count(st, NULL), 10);
	assert_int_equal(count(st, "clean"), 4);
	assert_int_equal(count(st, "suspicious"), 3);
	assert_int_equal(count(st, "malicious"), 2);
	assert_int_equal(count(st, "error"), 1);
	store_close(st);
	g_free(url);
}

static int64_t hunt_total(store *st, const struct store_hunt *q)
{
	struct store_hunt_result r;
	char *err = NULL;
	int64_t n;

	assert_int_equal(store_hunt(st, q, &r, &err), STORE_OK);
	n = r.total;
	assert_int_equal((int64_t)r.n, n); /* small: one page holds them all */
	store_hunt_result_free(&r);
	return n;
}

/* A sender is found whether it was the envelope's or only the From:
 * header's, and a message carrying it in both counts once. */
static void hunt_by_sender_either_place(void **state)
{
	char *url = fresh_url("hunt");
	store *st = open_ok(url);
	const char *from_other[] = {"Someone <other@elsewhere.example>"};

	(void)state;
	for (unsigned i = 0; i < 6; i++) {
		struct fixture f;

		fx_init(&f, 0x77, i, 0);
		if (i == 1 || i == 2)
			f.m.hdr_from = from_other; /* envelope only */
		if (i == 3 || i == 4)
			f.m.env_from = "<bounce@elsewhere.example>"; /* From: only */
		if (i == 5) {
			f.m.env_from = "<bounce@elsewhere.example>";
			f.m.hdr_from = from_other; /* neither */
		}
		put_ok(st, &f.m);
		fx_free(&f);
	}
	assert_int_equal(hunt_total(st, &(struct store_hunt){.sender = "TCCB@bhxh-gov.example",
	                                                     .drill = -1,
	                                                     .limit = 100}),
	                 5);
	assert_int_equal(hunt_total(st, &(struct store_hunt){.sender_domain = "BHXH-gov.example",
	                                                     .drill = -1,
	                                                     .limit = 100}),
	                 5);
	assert_int_equal(hunt_total(st, &(struct store_hunt){.sender_domain = "elsewhere.example",
	                                                     .drill = -1,
	                                                     .limit = 100}),
	                 5);
	/* combined with another condition: only the envelope-only ones */
	assert_int_equal(hunt_total(st, &(struct store_hunt){.sender = "tccb@bhxh-gov.example",
	                                                     .sender_domain = "elsewhere.example",
	                                                     .drill = -1,
	                                                     .limit = 100}),
	                 4);
	store_close(st);
	g_free(url);
}

#define THREADS 8
#define PER_THREAD 150

struct worker {
	store *st;
	unsigned id;
	int failures;
};

static void *put_many(void *arg)
{
	struct worker *w = arg;

	for (unsigned i = 0; i < PER_THREAD; i++) {
		struct fixture f;
		char *err = NULL;

		fx_init(&f, 0x7700 + w->id, i, 0);
		if (store_put_message(w->st, &f.m, &err) != STORE_OK) {
			fprintf(stderr, "thread %u put %u: %s\n", w->id, i, err ? err : "?");
			w->failures++;
		}
		free(err);
		fx_free(&f);
	}
	return NULL;
}

static void concurrent_puts_all_land(void **state)
{
	char *url = fresh_url("threads");
	store *st = open_ok(url);
	pthread_t t[THREADS];
	struct worker w[THREADS];
	struct fixture f;
	struct store_msg *back;
	void *arena = NULL;

	(void)state;
	for (unsigned i = 0; i < THREADS; i++) {
		w[i] = (struct worker){st, i, 0};
		assert_int_equal(pthread_create(&t[i], NULL, put_many, &w[i]), 0);
	}
	for (unsigned i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].failures, 0);
	}
	assert_int_equal(count(st, NULL), THREADS * PER_THREAD);
	assert_int_equal(raw_int(url, "SELECT count(*) FROM recipients"), THREADS * PER_THREAD * 3);
	assert_int_equal(raw_int(url, "SELECT count(DISTINCT uid) FROM messages"),
	                 THREADS * PER_THREAD);
	/* every child row belongs to its own message (rcpt 1 and the queue id
	 * carry the same number in the fixture) */
	assert_int_equal(
	        raw_int(url, "SELECT count(*) FROM recipients r JOIN messages m ON m.id = "
	                     "r.msg WHERE r.id = r.msg * 65536 + 1 AND r.addr = 'tran.thi.binh' || "
	                     "substr(m.queue_id, 3) || '@hanoi.bhxh.example'"),
	        THREADS * PER_THREAD);
	fx_init(&f, 0x7700 + 5, 77, 0);
	back = get(st, f.uid, &arena, NULL);
	msg_eq(&f.m, back);
	store_msg_free_parsed(back, arena);
	fx_free(&f);
	store_close(st);
	g_free(url);
}

#define SAME 60

struct racer {
	store *st;
	int ok[SAME], conflict[SAME], invalid[SAME];
};

/* Every racer puts the same records; every tenth is invalid. */
static void *put_same(void *arg)
{
	struct racer *r = arg;

	for (unsigned i = 0; i < SAME; i++) {
		struct fixture f;
		int rc;

		fx_init(&f, 0x7800, i, 0);
		if (i % 10 == 9)
			f.m.verdict = "bogus";
		rc = store_put_message(r->st, &f.m, NULL);
		r->ok[i] += rc == STORE_OK;
		r->conflict[i] += rc == STORE_ECONFLICT;
		r->invalid[i] += rc == STORE_EINVAL;
		fx_free(&f);
	}
	return NULL;
}

/*
 * Concurrent puts share commits (SQLite) or run side by side (PostgreSQL);
 * either way each caller gets its own record's answer: one winner per uid,
 * the others a conflict, an invalid record refused alone.
 */
static void concurrent_duplicates_each_get_their_answer(void **state)
{
	char *url = fresh_url("racers");
	store *st = open_ok(url);
	pthread_t t[THREADS];
	struct racer *r = calloc(THREADS, sizeof *r);

	(void)state;
	assert_non_null(r);
	for (unsigned i = 0; i < THREADS; i++) {
		r[i].st = st;
		assert_int_equal(pthread_create(&t[i], NULL, put_same, &r[i]), 0);
	}
	for (unsigned i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	for (unsigned k = 0; k < SAME; k++) {
		int ok = 0, conflict = 0, invalid = 0;

		for (unsigned i = 0; i < THREADS; i++) {
			ok += r[i].ok[k];
			conflict += r[i].conflict[k];
			invalid += r[i].invalid[k];
		}
		if (k % 10 == 9) {
			assert_int_equal(invalid, THREADS);
		} else {
			assert_int_equal(ok, 1);
			assert_int_equal(conflict, THREADS - 1);
		}
	}
	assert_int_equal(count(st, NULL), SAME - SAME / 10);
	assert_int_equal(raw_int(url, "SELECT count(*) FROM recipients"), 3 * (SAME - SAME / 10));
	assert_int_equal(raw_int(url, "SELECT count(*) FROM findings"), 3 * (SAME - SAME / 10));
	free(r);
	store_close(st);
	g_free(url);
}

static void json_round_trip_and_refusals(void **state)
{
	struct fixture f;
	struct store_msg *m;
	void *arena = NULL;
	char *a, *b;
	const char *bad[] = {
	        "",
	        "[]",
	        "{}",
	        "{\"uid\": 5}",
	        "{\"uid\": \"a\", \"env_rcpts\": \"not a list\"}",
	        "{\"uid\": \"a\", \"env_rcpts\": [1]}",
	        "{\"uid\": \"a\", \"attachments\": [1]}",
	        "{\"uid\": \"a\", \"attachments\": [{\"path\": \"p\", \"size\": -1}]}",
	        "{\"uid\": \"a\", \"findings\": [{\"id\": 3}]}",
	        "{\"uid\": \"a\", \"score\": \"high\"}",
	        "{\"uid\": \"a\", \"scan_ms\": \"slow\"}",
	        "{\"uid\": \"a\", \"uid\": \"b\"}",
	        "{\"uid\": \"a\"",
	};

	(void)state;
	fx_init(&f, 0x88, 9, 1);
	a = store_msg_to_json(&f.m);
	assert_non_null(a);
	assert_null(strchr(a, '\n')); /* one journal line */
	m = store_msg_from_json(a, &arena);
	assert_non_null(m);
	msg_eq(&f.m, m);
	b = store_msg_to_json(m);
	assert_string_equal(a, b);
	store_msg_free_parsed(m, arena);
	free(a);
	free(b);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		arena = (void *)1;
		assert_null(store_msg_from_json(bad[i], &arena));
		assert_null(arena);
	}
	/* a bare uid parses (values are the store's to judge) */
	m = store_msg_from_json("{\"uid\": \"x\", \"drill\": 1}", &arena);
	assert_non_null(m);
	assert_string_equal(m->uid, "x");
	assert_null(m->verdict);
	assert_int_equal(m->n_atts, 0);
	assert_int_equal(m->drill, 1);
	store_msg_free_parsed(m, arena);
	fx_free(&f);
}

/* ---- tests: journal ---- */

struct logcap {
	GString *text;
};

static void capture(void *ctx, const char *msg)
{
	struct logcap *c = ctx;

	g_string_append_printf(c->text, "%s\n", msg);
}

static char *jdir(const char *name)
{
	return g_strdup_printf("%s/journal-%s", tmpdir, name);
}

static journal *jopen(const char *dir)
{
	journal *j = NULL;
	char *err = NULL;

	if (journal_open(dir, &j, &err) != STORE_OK)
		fprintf(stderr, "journal_open: %s\n", err ? err : "?");
	assert_non_null(j);
	return j;
}

/* The segment files in dir. */
static GPtrArray *segments(const char *dir)
{
	GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *n;

	assert_non_null(d);
	while ((n = g_dir_read_name(d)) != NULL)
		if (g_str_has_suffix(n, ".jsonl") && strcmp(n, "rejected.jsonl") != 0)
			g_ptr_array_add(a, g_build_filename(dir, n, NULL));
	g_dir_close(d);
	return a;
}

static void append_n(journal *j, unsigned tag, unsigned from, unsigned n)
{
	for (unsigned i = from; i < from + n; i++) {
		struct fixture f;
		char *err = NULL;

		fx_init(&f, tag, i, 0);
		assert_int_equal(journal_append(j, &f.m, &err), STORE_OK);
		assert_null(err);
		fx_free(&f);
	}
}

static void journal_replays_everything_once_in_order(void **state)
{
	char *url = fresh_url("journal");
	char *dir = jdir("all");
	store *st = open_ok(url);
	journal *j = jopen(dir);
	struct fixture f;
	GPtrArray *segs;
	GString *want = g_string_new(NULL);
	char *got;

	(void)state;
	append_n(j, 0x99, 0, 50);
	assert_int_equal(journal_pending(j), 50);
	journal_close(j);
	/* durable: a new process sees all of them */
	j = jopen(dir);
	assert_int_equal(journal_pending(j), 50);
	/* one of them reached the store before a crash: it must not come twice */
	fx_init(&f, 0x99, 7, 0);
	put_ok(st, &f.m);
	fx_free(&f);
	assert_int_equal(journal_replay(j, st), 50);
	assert_int_equal(journal_pending(j), 0);
	assert_int_equal(journal_skipped(j), 0);
	assert_int_equal(count(st, NULL), 50);
	assert_int_equal(raw_int(url, "SELECT count(*) FROM attachments"), 100);
	/* in order: the store's ids follow the journal's lines */
	g_string_append(want, "00000099000000070000000000000000\n");
	for (unsigned i = 0; i < 50; i++)
		if (i != 7)
			g_string_append_printf(want, "00000099%08x0000000000000000\n", i);
	got = raw(url, "SELECT uid FROM messages ORDER BY id");
	assert_string_equal(got, want->str);
	g_free(got);
	segs = segments(dir);
	assert_int_equal(segs->len, 0); /* taken lines are gone */
	g_ptr_array_free(segs, TRUE);
	assert_int_equal(journal_replay(j, st), 0);

	/* appends after a replay start a new segment and replay later */
	append_n(j, 0x99, 50, 3);
	assert_int_equal(journal_pending(j), 3);
	assert_int_equal(journal_replay(j, st), 3);
	assert_int_equal(count(st, NULL), 53);
	journal_close(j);
	g_string_free(want, TRUE);
	store_close(st);
	g_free(dir);
	g_free(url);
}

static void journal_skips_a_torn_last_line(void **state)
{
	char *url = fresh_url("torn");
	char *dir = jdir("torn");
	char *rej = g_build_filename(dir, "rejected.jsonl", NULL);
	store *st = open_ok(url);
	journal *j = jopen(dir);
	struct logcap log = {g_string_new(NULL)};
	GPtrArray *segs;
	struct stat sb;
	char *s;

	(void)state;
	append_n(j, 0xaa, 0, 10);
	journal_close(j);
	/* a crash in the middle of the last append */
	segs = segments(dir);
	assert_int_equal(segs->len, 1);
	assert_int_equal(stat(segs->pdata[0], &sb), 0);
	assert_int_equal(truncate(segs->pdata[0], sb.st_size - 40), 0);
	g_ptr_array_free(segs, TRUE);

	j = jopen(dir);
	journal_set_log(j, capture, &log);
	assert_int_equal(journal_pending(j), 10);
	assert_int_equal(journal_replay(j, st), 9);
	assert_int_equal(journal_pending(j), 0);
	assert_int_equal(journal_skipped(j), 1);
	assert_non_null(strstr(log.text->str, "torn last line"));
	assert_int_equal(count(st, NULL), 9);
	s = raw(url,
	        "SELECT count(*) FROM messages WHERE uid = '000000aa000000090000000000000000'");
	assert_string_equal(s, "0\n");
	g_free(s);
	/* the torn bytes are kept for an operator, and replay is not stuck */
	assert_int_equal(stat(rej, &sb), 0);
	assert_true(sb.st_size > 100);
	segs = segments(dir);
	assert_int_equal(segs->len, 0);
	g_ptr_array_free(segs, TRUE);
	append_n(j, 0xaa, 9, 1);
	assert_int_equal(journal_replay(j, st), 1);
	assert_int_equal(count(st, NULL), 10);
	journal_close(j);
	g_string_free(log.text, TRUE);
	store_close(st);
	g_free(rej);
	g_free(dir);
	g_free(url);
}

static void write_file(const char *path, const char *data)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(data, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

static void journal_sets_aside_lines_it_cannot_store(void **state)
{
	char *url = fresh_url("badlines");
	char *dir = jdir("badlines");
	char *seg = g_build_filename(dir, "00000000000000000001.jsonl", NULL);
	char *rej = g_build_filename(dir, "rejected.jsonl", NULL);
	store *st = open_ok(url);
	struct logcap log = {g_string_new(NULL)};
	struct fixture a, b, c;
	char *ja, *jb, *jc, *text, *bad;
	journal *j;
	FILE *fp;

	(void)state;
	g_mkdir_with_parents(dir, 0700);
	fx_init(&a, 0xbb, 1, 0);
	fx_init(&b, 0xbb, 2, 0);
	fx_init(&c, 0xbb, 3, 0);
	c.m.verdict = "bogus"; /* JSON, but not a record the store takes */
	ja = store_msg_to_json(&a.m);
	jb = store_msg_to_json(&b.m);
	jc = store_msg_to_json(&c.m);
	text = g_strdup_printf("%s\nnot json {\n%s\n\n%s\n", ja, jc, jb);
	write_file(seg, text);
	/* and a line longer than any record may be, then one more record */
	fp = fopen(seg, "a");
	assert_non_null(fp);
	bad = g_malloc(1 << 20);
	memset(bad, 'x', 1 << 20);
	for (unsigned i = 0; i <= JOURNAL_MAX_LINE >> 20; i++)
		assert_int_equal(fwrite(bad, 1, 1 << 20, fp), 1 << 20);
	fputc('\n', fp);
	fputs(ja, fp); /* already stored by then: a duplicate, not an error */
	fputc('\n', fp);
	assert_int_equal(fclose(fp), 0);

	j = jopen(dir);
	journal_set_log(j, capture, &log);
	assert_int_equal(journal_pending(j), 7);
	assert_int_equal(journal_replay(j, st), 3); /* a, b, a again */
	assert_int_equal(journal_skipped(j), 3);
	assert_int_equal(journal_pending(j), 0);
	assert_int_equal(count(st, NULL), 2);
	assert_non_null(strstr(log.text->str, "not a record"));
	assert_non_null(strstr(log.text->str, "bad verdict"));
	assert_non_null(strstr(log.text->str, "skipped"));
	g_free(text);
	assert_true(g_file_get_contents(rej, &text, NULL, NULL));
	bad[0] = 0;
	g_free(bad);
	bad = g_strdup_printf("not json {\n%s\n", jc);
	assert_string_equal(text, bad);
	assert_false(g_file_test(seg, G_FILE_TEST_EXISTS));
	journal_close(j);
	g_free(bad);
	g_free(text);
	free(ja);
	free(jb);
	free(jc);
	fx_free(&a);
	fx_free(&b);
	fx_free(&c);
	g_string_free(log.text, TRUE);
	store_close(st);
	g_free(seg);
	g_free(rej);
	g_free(dir);
	g_free(url);
}

/* Makes the store refuse one uid for now, as an operator's trigger would. */
static void refuse_uid(const char *url, const char *uid, int on)
{
	char *sql;

	if (is_pg())
		sql = on ? g_strdup_printf(
		                   "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
		                   "$$ "
		                   "BEGIN IF NEW.uid = '%s' THEN RAISE EXCEPTION 'writes paused' "
		                   "USING ERRCODE = '55000'; END IF; RETURN NEW; END $$; "
		                   "CREATE TRIGGER refuse BEFORE INSERT ON messages FOR EACH ROW "
		                   "EXECUTE FUNCTION refuse()",
		                   uid)
		         : g_strdup("DROP TRIGGER refuse ON messages; DROP FUNCTION refuse()");
	else
		sql = on ? g_strdup_printf(
		                   "CREATE TRIGGER refuse BEFORE INSERT ON messages WHEN "
		                   "NEW.uid = '%s' BEGIN SELECT RAISE(ABORT, 'writes paused'); "
		                   "END",
		                   uid)
		         : g_strdup("DROP TRIGGER refuse");
	g_free(raw(url, sql));
	g_free(sql);
}

static void journal_stops_where_the_store_refuses(void **state)
{
	char *url = fresh_url("stop");
	char *dir = jdir("stop");
	store *st = open_ok(url);
	journal *j = jopen(dir);
	struct fixture f;
	char *err = NULL, *s;

	(void)state;
	append_n(j, 0xcc, 0, 5);
	fx_init(&f, 0xcc, 2, 0);
	refuse_uid(url, f.uid, 1);
	assert_int_equal(store_put_message(st, &f.m, &err), STORE_EUNAVAILABLE);
	free(err);
	assert_int_equal(journal_replay(j, st), 2);
	assert_int_equal(journal_pending(j), 3);
	assert_int_equal(journal_skipped(j), 0);
	assert_int_equal(count(st, NULL), 2);
	/* the rest survives a restart, and is not stored twice */
	journal_close(j);
	j = jopen(dir);
	assert_int_equal(journal_pending(j), 3);
	assert_int_equal(journal_replay(j, st), 0);
	assert_int_equal(journal_pending(j), 3);
	refuse_uid(url, f.uid, 0);
	assert_int_equal(journal_replay(j, st), 3);
	assert_int_equal(journal_pending(j), 0);
	s = raw(url, "SELECT substr(uid, 9, 8) FROM messages ORDER BY id");
	assert_string_equal(s, "00000000\n00000001\n00000002\n00000003\n00000004\n");
	g_free(s);
	journal_close(j);
	fx_free(&f);
	store_close(st);
	g_free(dir);
	g_free(url);
}

static void journal_has_one_owner(void **state)
{
	char *dir = jdir("lock");
	journal *a = jopen(dir), *b = NULL;
	char *err = NULL;

	(void)state;
	assert_int_equal(journal_open(dir, &b, &err), STORE_EUNAVAILABLE);
	assert_null(b);
	assert_non_null(strstr(err, "in use"));
	free(err);
	journal_close(a);
	b = jopen(dir);
	journal_close(b);
	assert_int_equal(journal_append(NULL, NULL, NULL), STORE_EINVAL);
	g_free(dir);
}

/* ---- tests: a PostgreSQL server that goes away ---- */

static void sh(const char *cmd)
{
	const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
	int status = -1;

	assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL,
	                         &status, NULL));
	assert_true(g_spawn_check_wait_status(status, NULL));
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void pg_down_and_back(void **state)
{
	const char *stop = getenv("VIGIL_TEST_DB_STOP"), *start = getenv("VIGIL_TEST_DB_START");
	char *url, *dir, *err = NULL, *json = NULL;
	store *st, *st2 = NULL;
	journal *j;
	struct fixture f;
	double t;
	size_t in = 0;

	(void)state;
	if (!is_pg() || stop == NULL || start == NULL)
		skip();
	url = fresh_url("down");
	dir = jdir("down");
	st = open_ok(url);
	j = jopen(dir);
	for (unsigned i = 0; i < 6; i++) {
		fx_init(&f, 0xdd, i, 0);
		put_ok(st, &f.m);
		fx_free(&f);
	}
	sh(stop);
	fx_init(&f, 0xdd, 100, 0);
	t = now_s();
	assert_int_equal(store_put_message(st, &f.m, &err), STORE_EUNAVAILABLE);
	assert_true(now_s() - t < 8); /* no hang beyond the connect timeout */
	assert_non_null(err);
	free(err);
	err = NULL;
	assert_int_equal(store_get_message_json(st, f.uid, &json, NULL), STORE_EUNAVAILABLE);
	/* a program starting now gets the same answer, not a hang */
	t = now_s();
	assert_int_equal(store_open(url, &st2, &err), STORE_EUNAVAILABLE);
	assert_null(st2);
	assert_true(now_s() - t < 8);
	free(err);
	err = NULL;
	assert_int_equal(journal_append(j, &f.m, NULL), STORE_OK);
	assert_int_equal(journal_replay(j, st), 0);
	assert_int_equal(journal_pending(j), 1);
	sh(start);
	/* the store reconnects by itself (after its short back-off) */
	for (t = now_s(); in == 0 && now_s() - t < 20; g_usleep(200000))
		in = journal_replay(j, st);
	assert_int_equal(in, 1);
	assert_int_equal(journal_pending(j), 0);
	assert_int_equal(store_get_message_json(st, f.uid, &json, NULL), STORE_OK);
	free(json);
	fx_free(&f);
	/* a restart while a connection sits idle: the next put notices the dead
	 * connection and goes through on a new one, no error to the caller */
	sh(stop);
	sh(start);
	for (unsigned i = 200; i < 210; i++) {
		fx_init(&f, 0xdd, i, 0);
		put_ok(st, &f.m);
		fx_free(&f);
	}
	assert_int_equal(count(st, NULL), 17);
	journal_close(j);
	store_close(st);
	g_free(dir);
	g_free(url);
}

/* ---- setup ---- */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	(void)state;
	base_url = getenv("VIGIL_TEST_DB");
	if (base_url != NULL && *base_url == 0)
		base_url = NULL;
	tmpdir = g_dir_make_tmp("vigil-store-XXXXXX", NULL);
	return tmpdir == NULL;
}

static int teardown(void **state)
{
	(void)state;
	if (tmpdir != NULL)
		nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	g_free(tmpdir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(migrations_current_and_idempotent),
	        cmocka_unit_test(bad_urls_refused),
	        cmocka_unit_test(full_record_round_trips),
	        cmocka_unit_test(long_and_broken_text_is_clipped_and_repaired),
	        cmocka_unit_test(duplicate_uid_changes_nothing),
	        cmocka_unit_test(invalid_records_refused),
	        cmocka_unit_test(counts_by_verdict),
	        cmocka_unit_test(hunt_by_sender_either_place),
	        cmocka_unit_test(concurrent_puts_all_land),
	        cmocka_unit_test(concurrent_duplicates_each_get_their_answer),
	        cmocka_unit_test(json_round_trip_and_refusals),
	        cmocka_unit_test(journal_replays_everything_once_in_order),
	        cmocka_unit_test(journal_skips_a_torn_last_line),
	        cmocka_unit_test(journal_sets_aside_lines_it_cannot_store),
	        cmocka_unit_test(journal_stops_where_the_store_refuses),
	        cmocka_unit_test(journal_has_one_owner),
	        cmocka_unit_test(pg_down_and_back),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
