/*
 * store.c - the store's front: URL dispatch, the connection pool, and the
 * JSON form of a message record.
 *
 * A store handle owns a small pool of back-end connections (SQLite: one, as
 * SQLite has one writer at a time anyway; PostgreSQL: STORE_PG_POOL). Each
 * call borrows a connection, so calls from many threads run side by side on
 * PostgreSQL and queue on SQLite. A connection the back end reports broken
 * is dropped and reconnected on its next use; after a failed connect, calls
 * answer STORE_EUNAVAILABLE at once for STORE_BACKOFF_MS instead of each
 * waiting for its own connect timeout. A put that failed on a connection
 * that broke under it is tried once more on a fresh one: it is idempotent
 * (a record already stored answers STORE_ECONFLICT), so a commit whose
 * answer was lost is not stored twice.
 *
 * Group commit (SQLite, one connection): puts that arrive while another is
 * being stored queue up, and the next thread to get the connection stores
 * up to STORE_BATCH of them in one transaction, each in a savepoint of its
 * own (record.c), then wakes their callers with their own results. A put
 * still returns only once its record is committed; concurrent writers share
 * a commit and the pages it writes (docs/store.md has the numbers).
 *
 * JSON: store_msg_to_json() is the one serialiser (the journal, the API and
 * store_get_message_json() all use it). Strings that are not valid UTF-8
 * have their bad bytes replaced by U+FFFD (JSON cannot carry them); nothing
 * else is changed, so to_json -> from_json -> store gives exactly what a
 * direct store gives. Parsed records borrow their strings from the parsed
 * JSON tree, which the arena owns.
 */
#include "store/sql.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>
#include <jansson.h>

#define STORE_PG_POOL 4
#define STORE_POOL_MAX 8
#define STORE_BACKOFF_MS 1000
#define STORE_BATCH 32 /* records per group commit at most */

/* A put waiting for the group commit (SQLite). */
struct put_req {
	const struct store_msg *m;
	int rc, done;
	char *err;
	struct put_req *next;
};

struct slot {
	void *conn; /* NULL: not connected */
	int busy;
};

struct store {
	const struct store_driver *drv;
	char *target;
	char *opts; /* SQLite options after '?' in a sqlite: URL, or NULL */
	int version;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct slot slots[STORE_POOL_MAX];
	int nslots;
	int64_t retry_after_ms; /* no connect attempt before this time */
	/* group commit: puts waiting, and whether a thread is storing a batch */
	struct put_req *q_head, **q_tail;
	int q_leader;
	pthread_cond_t q_cv;
};

int store_fail(char **err, int rc, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	if (err == NULL || *err != NULL)
		return rc;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	*err = s;
	return rc;
}

int64_t store_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *store_strerror(int rc)
{
	switch (rc) {
	case STORE_OK:
		return "success";
	case STORE_EINVAL:
		return "invalid argument";
	case STORE_EUNAVAILABLE:
		return "store unavailable";
	case STORE_ECONFLICT:
		return "record already stored";
	case STORE_ENOTFOUND:
		return "not found";
	}
	return "unknown error";
}

/*
 * "postgresql://..." / "postgres://..." -> libpq; "sqlite:PATH[?opts]",
 * "sqlite:///abs/path" or a plain path -> SQLite. Any other scheme is
 * refused rather than taken for a file name.
 */
static int parse_url(store *st, const char *url, char **err)
{
	if (url == NULL || *url == 0)
		return store_fail(err, STORE_EINVAL, "store: empty URL");
	if (strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0) {
		st->drv = &store_pg_driver;
		st->target = strdup(url);
	} else if (strncmp(url, "sqlite:", 7) == 0) {
		const char *p = url + 7, *q;

		if (strncmp(p, "//", 2) == 0) {
			if (p[2] != '/')
				return store_fail(err, STORE_EINVAL,
				                  "store: sqlite URL needs an absolute path: %s",
				                  url);
			p += 2;
		}
		q = strchr(p, '?');
		if (q == p || *p == 0)
			return store_fail(err, STORE_EINVAL, "store: sqlite URL without a path");
		st->drv = &store_sqlite_driver;
		st->target = q != NULL ? strndup(p, (size_t)(q - p)) : strdup(p);
		if (q != NULL && (st->opts = strdup(q + 1)) == NULL)
			return store_fail(err, STORE_EUNAVAILABLE, "store: out of memory");
	} else if (strstr(url, "://") != NULL) {
		return store_fail(err, STORE_EINVAL, "store: unknown URL scheme: %.40s", url);
	} else {
		/* a plain path, taken literally ('?' included) */
		st->drv = &store_sqlite_driver;
		st->target = strdup(url);
	}
	if (st->target == NULL)
		return store_fail(err, STORE_EUNAVAILABLE, "store: out of memory");
	return STORE_OK;
}

/* Borrows a connection (connecting it if needed). */
static int slot_get(store *st, struct slot **out, char **err)
{
	struct slot *s = NULL;
	void *conn = NULL;
	int rc;

	pthread_mutex_lock(&st->mu);
	for (;;) {
		for (int i = 0; i < st->nslots; i++) {
			if (st->slots[i].busy)
				continue;
			/* prefer a live connection over opening another */
			if (s == NULL || (s->conn == NULL && st->slots[i].conn != NULL))
				s = &st->slots[i];
		}
		if (s != NULL)
			break;
		pthread_cond_wait(&st->cv, &st->mu);
	}
	s->busy = 1;
	if (s->conn != NULL) {
		pthread_mutex_unlock(&st->mu);
		*out = s;
		return STORE_OK;
	}
	if (mono_ms() < st->retry_after_ms) {
		s->busy = 0;
		pthread_mutex_unlock(&st->mu);
		return store_fail(err, STORE_EUNAVAILABLE,
		                  "store: %s unavailable (last connect failed; retrying shortly)",
		                  st->drv->name);
	}
	pthread_mutex_unlock(&st->mu);

	rc = st->drv->connect(st->target, st->opts, &conn, err);

	pthread_mutex_lock(&st->mu);
	if (rc != STORE_OK) {
		s->busy = 0;
		if (rc == STORE_EUNAVAILABLE)
			st->retry_after_ms = mono_ms() + STORE_BACKOFF_MS;
		pthread_cond_signal(&st->cv);
		pthread_mutex_unlock(&st->mu);
		return rc;
	}
	st->retry_after_ms = 0;
	s->conn = conn;
	pthread_mutex_unlock(&st->mu);
	*out = s;
	return STORE_OK;
}

/* Returns a connection; one that broke is closed (reconnected next time). */
static void slot_put(store *st, struct slot *s)
{
	void *dead = NULL;

	pthread_mutex_lock(&st->mu);
	if (st->drv->broken(s->conn)) {
		dead = s->conn;
		s->conn = NULL;
	}
	s->busy = 0;
	pthread_cond_signal(&st->cv);
	pthread_mutex_unlock(&st->mu);
	if (dead != NULL)
		st->drv->disconnect(dead);
}

int store_open(const char *url, store **out, char **err)
{
	store *st;
	struct slot *s;
	int rc;

	if (out == NULL)
		return store_fail(err, STORE_EINVAL, "store: no handle");
	*out = NULL;
	st = calloc(1, sizeof *st);
	if (st == NULL)
		return store_fail(err, STORE_EUNAVAILABLE, "store: out of memory");
	pthread_mutex_init(&st->mu, NULL);
	pthread_cond_init(&st->cv, NULL);
	pthread_cond_init(&st->q_cv, NULL);
	st->q_tail = &st->q_head;
	rc = parse_url(st, url, err);
	if (rc != STORE_OK)
		goto out;
	st->nslots = st->drv == &store_pg_driver ? STORE_PG_POOL : 1;
	rc = slot_get(st, &s, err);
	if (rc != STORE_OK)
		goto out;
	rc = store_migrate(st->drv, s->conn, &st->version, err);
	slot_put(st, s);
	if (rc != STORE_OK)
		goto out;
	*out = st;
	return STORE_OK;
out:
	store_close(st);
	return rc;
}

void store_close(store *st)
{
	if (st == NULL)
		return;
	for (int i = 0; i < st->nslots; i++)
		if (st->slots[i].conn != NULL)
			st->drv->disconnect(st->slots[i].conn);
	pthread_mutex_destroy(&st->mu);
	pthread_cond_destroy(&st->cv);
	pthread_cond_destroy(&st->q_cv);
	free(st->target);
	free(st->opts);
	free(st);
}

const char *store_backend(const store *st)
{
	return st != NULL && st->drv != NULL ? st->drv->name : "";
}

int store_schema_version(store *st)
{
	return st != NULL ? st->version : 0;
}

/* One record on a connection of its own (PostgreSQL's pool). */
static int put_one(store *st, const struct store_msg *m, char **err)
{
	struct slot *s;
	int rc = STORE_EINVAL;

	for (int attempt = 0; attempt < 2; attempt++) {
		int broke;
		char *e = NULL;

		rc = slot_get(st, &s, err);
		if (rc != STORE_OK)
			return rc;
		rc = store_rec_put(st->drv, s->conn, m, &e);
		broke = rc == STORE_EUNAVAILABLE && st->drv->broken(s->conn);
		slot_put(st, s);
		if (!broke || attempt == 1) {
			if (e != NULL && err != NULL && *err == NULL)
				*err = e;
			else
				free(e);
			break;
		}
		free(e); /* the connection died under us: once more, afresh */
	}
	return rc;
}

/* Stores a batch of queued puts (the caller is the leader, not holding mu). */
static void put_batch(store *st, struct put_req **reqs, size_t n)
{
	const struct store_msg *ms[STORE_BATCH];
	int rcs[STORE_BATCH];
	char *errs[STORE_BATCH] = {0};
	struct slot *s;
	char *e = NULL;
	int rc;

	if (n == 1) {
		reqs[0]->rc = put_one(st, reqs[0]->m, &reqs[0]->err);
		return;
	}
	rc = slot_get(st, &s, &e);
	if (rc != STORE_OK) {
		for (size_t i = 0; i < n; i++) {
			reqs[i]->rc = rc;
			reqs[i]->err = e != NULL ? strdup(e) : NULL;
		}
		free(e);
		return;
	}
	for (size_t i = 0; i < n; i++)
		ms[i] = reqs[i]->m;
	store_rec_put_many(st->drv, s->conn, ms, rcs, errs, n);
	slot_put(st, s);
	for (size_t i = 0; i < n; i++) {
		reqs[i]->rc = rcs[i];
		reqs[i]->err = errs[i];
	}
}

int store_put_message(store *st, const struct store_msg *m, char **err)
{
	struct put_req req = {.m = m};

	if (st == NULL || m == NULL)
		return store_fail(err, STORE_EINVAL, "store: no store or record");
	if (st->nslots > 1)
		return put_one(st, m, err);
	pthread_mutex_lock(&st->mu);
	*st->q_tail = &req;
	st->q_tail = &req.next;
	while (!req.done) {
		struct put_req *batch[STORE_BATCH];
		size_t n = 0;

		if (st->q_leader) {
			pthread_cond_wait(&st->q_cv, &st->mu);
			continue;
		}
		/* lead: take the oldest waiting puts (ours among them, or later) */
		st->q_leader = 1;
		while (st->q_head != NULL && n < STORE_BATCH) {
			batch[n++] = st->q_head;
			st->q_head = st->q_head->next;
		}
		if (st->q_head == NULL)
			st->q_tail = &st->q_head;
		pthread_mutex_unlock(&st->mu);
		put_batch(st, batch, n);
		pthread_mutex_lock(&st->mu);
		for (size_t i = 0; i < n; i++)
			batch[i]->done = 1;
		st->q_leader = 0;
		pthread_cond_broadcast(&st->q_cv);
	}
	pthread_mutex_unlock(&st->mu);
	if (req.err != NULL && err != NULL && *err == NULL)
		*err = req.err;
	else
		free(req.err);
	return req.rc;
}

/* ---- generic SQL (sql.h) ---- */

int store_with(store *st, int write, store_with_fn fn, void *ctx, char **err)
{
	struct slot *s;
	store_db db;
	int rc, erc;

	if (st == NULL || fn == NULL)
		return store_fail(err, STORE_EINVAL, "store: bad arguments");
	rc = slot_get(st, &s, err);
	if (rc != STORE_OK)
		return rc;
	db.drv = st->drv;
	db.conn = s->conn;
	if (write) {
		rc = st->drv->begin(s->conn, STORE_TX_WRITE, err);
		if (rc != STORE_OK)
			goto out;
		/* PostgreSQL: one writer at a time among vigild's transactions, as
		 * SQLite's BEGIN IMMEDIATE gives. Each takes the audit chain's lock
		 * anyway; taken in the middle it deadlocked against row locks that
		 * another transaction took first (the bench found it) */
		if (st->drv == &store_pg_driver) {
			struct store_val k = {.t = SV_INT, .i = STORE_WRITE_LOCK};

			rc = st->drv->query(s->conn, -1, "SELECT pg_advisory_xact_lock(?)", &k, 1,
			                    NULL, NULL, err);
			if (rc != STORE_OK) {
				(void)st->drv->end(s->conn, 0, NULL);
				goto out;
			}
		}
	}
	rc = fn(&db, ctx, err);
	if (write) {
		erc = st->drv->end(s->conn, rc == STORE_OK, rc == STORE_OK ? err : NULL);
		if (rc == STORE_OK)
			rc = erc;
	}
out:
	slot_put(st, s);
	return rc;
}

int store_sql(store_db *db, const char *sql, const struct store_val *p, int np, store_row_fn row,
              void *ctx, char **err)
{
	if (db == NULL || sql == NULL || np < 0 || np > STORE_MAX_PARAMS)
		return store_fail(err, STORE_EINVAL, "store: bad arguments");
	return db->drv->query(db->conn, -1, sql, p, np, row, ctx, err);
}

int store_notify(store_db *db, const char *channel, char **err)
{
	struct store_val ch = {.t = SV_TEXT, .s = channel};

	if (db == NULL || db->drv != &store_pg_driver)
		return STORE_OK;
	return db->drv->query(db->conn, -1, "SELECT pg_notify(?, '')", &ch, 1, NULL, NULL, err);
}

int store_listen_open(store *st, const char *channel, store_listener **out, char **err)
{
	*out = NULL;
	if (st == NULL || channel == NULL)
		return store_fail(err, STORE_EINVAL, "store: bad arguments");
	if (st->drv != &store_pg_driver)
		return STORE_OK;
	return store_pg_listen(st->target, channel, out, err);
}

int store_row_int(void *ctx, const struct store_val *c, int nc)
{
	int64_t *v = ctx;

	if (nc > 0 && c[0].t == SV_INT)
		*v = c[0].i;
	else if (nc > 0 && c[0].t == SV_TEXT)
		*v = g_ascii_strtoll(c[0].s, NULL, 10);
	else if (nc > 0 && c[0].t == SV_REAL)
		*v = (int64_t)c[0].d;
	return 0;
}

int store_get_message_json(store *st, const char *uid, char **json, char **err)
{
	struct slot *s;
	int rc;

	if (json != NULL)
		*json = NULL;
	if (st == NULL || uid == NULL || json == NULL)
		return store_fail(err, STORE_EINVAL, "store: bad arguments");
	rc = slot_get(st, &s, err);
	if (rc != STORE_OK)
		return rc;
	rc = store_rec_get_json(st->drv, s->conn, uid, json, err);
	slot_put(st, s);
	return rc;
}

int store_count_messages(store *st, const char *verdict, int64_t *count, char **err)
{
	struct slot *s;
	int rc;

	if (st == NULL || count == NULL)
		return store_fail(err, STORE_EINVAL, "store: bad arguments");
	*count = 0;
	rc = slot_get(st, &s, err);
	if (rc != STORE_OK)
		return rc;
	rc = store_rec_count(st->drv, s->conn, verdict, count, err);
	slot_put(st, s);
	return rc;
}

/* ---- JSON ---- */

/* A JSON string of s (NULL -> null); invalid UTF-8 is repaired. */
static json_t *jstr(const char *s)
{
	json_t *j;
	gchar *fixed;

	if (s == NULL)
		return json_null();
	j = json_string(s);
	if (j != NULL)
		return j;
	fixed = g_utf8_make_valid(s, -1);
	j = json_string(fixed);
	g_free(fixed);
	return j;
}

static json_t *jstrs(const char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < n; i++)
		if (json_array_append_new(a, jstr(v != NULL ? v[i] : NULL)) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static int64_t clamp_u64(uint64_t v)
{
	return v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v;
}

/* Keys in this order, always all of them (null for NULL strings). */
json_t *store_rec_to_jsonv(const struct store_msg *m)
{
	json_t *o = json_object(), *atts = json_array(), *finds = json_array();
	int bad = o == NULL || atts == NULL || finds == NULL;

	for (size_t i = 0; !bad && i < m->n_atts; i++) {
		const struct store_attachment *a = m->atts != NULL ? &m->atts[i] : NULL;
		json_t *ja = json_object();

		if (ja == NULL || a == NULL) {
			json_decref(ja);
			bad = 1;
			break;
		}
		bad |= json_object_set_new(ja, "path", jstr(a->path));
		bad |= json_object_set_new(ja, "name", jstr(a->name));
		bad |= json_object_set_new(ja, "type", jstr(a->type));
		bad |= json_object_set_new(ja, "mime", jstr(a->mime));
		bad |= json_object_set_new(ja, "sha256", jstr(a->sha256));
		bad |= json_object_set_new(ja, "sha1", jstr(a->sha1));
		bad |= json_object_set_new(ja, "md5", jstr(a->md5));
		bad |= json_object_set_new(ja, "size", json_integer(clamp_u64(a->size)));
		bad |= json_object_set_new(ja, "depth", json_integer(a->depth));
		bad |= json_array_append_new(atts, ja);
	}
	for (size_t i = 0; !bad && i < m->n_finds; i++) {
		const struct store_finding *f = m->finds != NULL ? &m->finds[i] : NULL;
		json_t *jf = json_object();

		if (jf == NULL || f == NULL) {
			json_decref(jf);
			bad = 1;
			break;
		}
		bad |= json_object_set_new(jf, "id", jstr(f->id));
		bad |= json_object_set_new(jf, "severity", jstr(f->severity));
		bad |= json_object_set_new(jf, "title", jstr(f->title));
		bad |= json_object_set_new(jf, "object", jstr(f->object));
		bad |= json_object_set_new(jf, "attack", jstr(f->attack));
		bad |= json_object_set_new(jf, "evidence", jstr(f->evidence));
		bad |= json_array_append_new(finds, jf);
	}
	if (bad)
		goto fail;
	bad |= json_object_set_new(o, "uid", jstr(m->uid));
	bad |= json_object_set_new(o, "gateway", jstr(m->gateway));
	bad |= json_object_set_new(o, "queue_id", jstr(m->queue_id));
	bad |= json_object_set_new(o, "message_id", jstr(m->message_id));
	bad |= json_object_set_new(o, "date_header", jstr(m->date_header));
	bad |= json_object_set_new(o, "received_ms", json_integer(m->received_ms));
	bad |= json_object_set_new(o, "direction", jstr(m->direction));
	bad |= json_object_set_new(o, "client_addr", jstr(m->client_addr));
	bad |= json_object_set_new(o, "env_from", jstr(m->env_from));
	bad |= json_object_set_new(o, "env_rcpts", jstrs(m->env_rcpts, m->n_env_rcpts));
	bad |= json_object_set_new(o, "hdr_from", jstrs(m->hdr_from, m->n_hdr_from));
	bad |= json_object_set_new(o, "hdr_to", jstrs(m->hdr_to, m->n_hdr_to));
	bad |= json_object_set_new(o, "subject", jstr(m->subject));
	bad |= json_object_set_new(o, "attachments", atts);
	atts = NULL;
	bad |= json_object_set_new(o, "urls", jstrs(m->urls, m->n_urls));
	bad |= json_object_set_new(o, "domains", jstrs(m->domains, m->n_domains));
	bad |= json_object_set_new(o, "verdict", jstr(m->verdict));
	bad |= json_object_set_new(o, "score", json_integer(m->score));
	bad |= json_object_set_new(o, "action", jstr(m->action));
	bad |= json_object_set_new(o, "quarantine_id", jstr(m->quarantine_id));
	bad |= json_object_set_new(o, "findings", finds);
	finds = NULL;
	bad |= json_object_set_new(o, "size", json_integer(clamp_u64(m->size)));
	/* JSON has no NaN or infinity */
	bad |= json_object_set_new(o, "scan_ms", json_real(isfinite(m->scan_ms) ? m->scan_ms : 0));
	bad |= json_object_set_new(o, "drill", json_boolean(m->drill));
	if (!bad)
		return o;
fail:
	json_decref(o);
	json_decref(atts);
	json_decref(finds);
	return NULL;
}

char *store_msg_to_json(const struct store_msg *m)
{
	json_t *o;
	char *s;

	if (m == NULL)
		return NULL;
	o = store_rec_to_jsonv(m);
	if (o == NULL)
		return NULL;
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}

/* What store_msg_from_json() hands out as the arena. */
struct parsed {
	json_t *root;
	struct store_msg msg;
	/* arrays, each one malloc'ed block */
	const char **strs;
	struct store_attachment *atts;
	struct store_finding *finds;
};

/* A string member: absent or null -> NULL; anything else but a string fails. */
static int get_str(json_t *o, const char *key, const char **out)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return -1;
	*out = json_string_value(v);
	return 0;
}

static int get_int(json_t *o, const char *key, int64_t lo, int64_t hi, int64_t *out)
{
	json_t *v = json_object_get(o, key);

	*out = 0;
	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return -1;
	*out = json_integer_value(v);
	return 0;
}

/* Strings of array key, stored from strs[*used]. */
static int get_strs(json_t *o, const char *key, const char **strs, size_t *used,
                    const char *const **out, size_t *n)
{
	json_t *a = json_object_get(o, key);
	size_t i;
	json_t *v;

	*out = NULL;
	*n = 0;
	if (a == NULL || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return -1;
	*out = strs + *used;
	json_array_foreach(a, i, v)
	{
		if (!json_is_string(v))
			return -1;
		strs[(*used)++] = json_string_value(v);
	}
	*n = json_array_size(a);
	return 0;
}

static size_t arr_len(json_t *o, const char *key)
{
	json_t *a = json_object_get(o, key);

	return json_is_array(a) ? json_array_size(a) : 0;
}

static int parse_atts(struct parsed *p, json_t *a)
{
	size_t i;
	json_t *v;

	if (a == NULL || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return -1;
	json_array_foreach(a, i, v)
	{
		struct store_attachment *x = &p->atts[i];
		int64_t size, depth;

		if (!json_is_object(v) || get_str(v, "path", &x->path) ||
		    get_str(v, "name", &x->name) || get_str(v, "type", &x->type) ||
		    get_str(v, "mime", &x->mime) || get_str(v, "sha256", &x->sha256) ||
		    get_str(v, "sha1", &x->sha1) || get_str(v, "md5", &x->md5) ||
		    get_int(v, "size", 0, INT64_MAX, &size) ||
		    get_int(v, "depth", 0, UINT32_MAX, &depth))
			return -1;
		x->size = (uint64_t)size;
		x->depth = (unsigned)depth;
	}
	p->msg.atts = p->atts;
	p->msg.n_atts = json_array_size(a);
	return 0;
}

static int parse_finds(struct parsed *p, json_t *a)
{
	size_t i;
	json_t *v;

	if (a == NULL || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return -1;
	json_array_foreach(a, i, v)
	{
		struct store_finding *x = &p->finds[i];

		if (!json_is_object(v) || get_str(v, "id", &x->id) ||
		    get_str(v, "severity", &x->severity) || get_str(v, "title", &x->title) ||
		    get_str(v, "object", &x->object) || get_str(v, "attack", &x->attack) ||
		    get_str(v, "evidence", &x->evidence))
			return -1;
	}
	p->msg.finds = p->finds;
	p->msg.n_finds = json_array_size(a);
	return 0;
}

static void parsed_free(struct parsed *p)
{
	if (p == NULL)
		return;
	json_decref(p->root);
	free(p->strs);
	free(p->atts);
	free(p->finds);
	free(p);
}

/*
 * Types are checked strictly (a record with a number where a string belongs
 * is not a record); values are not: store_put_message() validates them, so
 * a parsed record it refuses is refused for the same reason as the
 * original.
 */
struct store_msg *store_msg_from_json(const char *json, void **arena)
{
	struct parsed *p;
	struct store_msg *m;
	json_t *o, *v;
	size_t nstr, used = 0;
	int64_t i64;

	if (arena != NULL)
		*arena = NULL;
	if (json == NULL || arena == NULL)
		return NULL;
	p = calloc(1, sizeof *p);
	if (p == NULL)
		return NULL;
	m = &p->msg;
	o = p->root = json_loads(json, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(o))
		goto fail;
	nstr = arr_len(o, "env_rcpts") + arr_len(o, "hdr_from") + arr_len(o, "hdr_to") +
	       arr_len(o, "urls") + arr_len(o, "domains");
	p->strs = calloc(nstr + 1, sizeof *p->strs);
	p->atts = calloc(arr_len(o, "attachments") + 1, sizeof *p->atts);
	p->finds = calloc(arr_len(o, "findings") + 1, sizeof *p->finds);
	if (p->strs == NULL || p->atts == NULL || p->finds == NULL)
		goto fail;
	if (get_str(o, "uid", &m->uid) || m->uid == NULL || get_str(o, "gateway", &m->gateway) ||
	    get_str(o, "queue_id", &m->queue_id) || get_str(o, "message_id", &m->message_id) ||
	    get_str(o, "date_header", &m->date_header) ||
	    get_int(o, "received_ms", INT64_MIN, INT64_MAX, &m->received_ms) ||
	    get_str(o, "direction", &m->direction) || get_str(o, "client_addr", &m->client_addr) ||
	    get_str(o, "env_from", &m->env_from) || get_str(o, "subject", &m->subject) ||
	    get_str(o, "verdict", &m->verdict) || get_str(o, "action", &m->action) ||
	    get_str(o, "quarantine_id", &m->quarantine_id))
		goto fail;
	if (get_strs(o, "env_rcpts", p->strs, &used, &m->env_rcpts, &m->n_env_rcpts) ||
	    get_strs(o, "hdr_from", p->strs, &used, &m->hdr_from, &m->n_hdr_from) ||
	    get_strs(o, "hdr_to", p->strs, &used, &m->hdr_to, &m->n_hdr_to) ||
	    get_strs(o, "urls", p->strs, &used, &m->urls, &m->n_urls) ||
	    get_strs(o, "domains", p->strs, &used, &m->domains, &m->n_domains))
		goto fail;
	if (parse_atts(p, json_object_get(o, "attachments")) ||
	    parse_finds(p, json_object_get(o, "findings")))
		goto fail;
	if (get_int(o, "score", INT32_MIN, INT32_MAX, &i64))
		goto fail;
	m->score = (int)i64;
	if (get_int(o, "size", 0, INT64_MAX, &i64))
		goto fail;
	m->size = (uint64_t)i64;
	v = json_object_get(o, "scan_ms");
	if (v != NULL && !json_is_number(v))
		goto fail;
	m->scan_ms = v != NULL ? json_number_value(v) : 0;
	v = json_object_get(o, "drill");
	if (v != NULL && !json_is_boolean(v) && !json_is_integer(v))
		goto fail;
	m->drill = v != NULL && (json_is_true(v) || (json_is_integer(v) && json_integer_value(v)));
	*arena = p;
	return m;
fail:
	parsed_free(p);
	return NULL;
}

void store_msg_free_parsed(struct store_msg *m, void *arena)
{
	(void)m; /* lives inside the arena */
	parsed_free(arena);
}
