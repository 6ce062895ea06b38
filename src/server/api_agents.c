/*
 * api_agents.c - endpoint agents and the sweeps of an incident (api_agents.h).
 *
 * Cost of a check-in (20,000 agents once a minute is 333 a second): one
 * indexed SELECT finds the agent by its credential's hash and counts the
 * open jobs and orders of its host (partial indexes on state < 2), and
 * nothing is written: the time it was seen, and work handed out for the
 * first time, go to tables in memory that a thread writes every
 * SEEN_FLUSH_MS in batches (several vigild nodes each write theirs; the
 * newest time wins, "delivered" is set once). Only a check-in that has work
 * reads more. So a check-in never waits for the store's one writer, which
 * on PostgreSQL is an advisory lock shared by every vigild transaction.
 *
 * Sweep targets are keyed by host: the organisation's endpoints of the
 * units plus the enrolled agents of those units whose host it does not
 * list, so an agent enrolled after the sweep still gets it. A target stays
 * open (re-delivered at every check-in; the agent skips those it has) until
 * its result arrives or the sweep expires (SWEEP_EXPIRY_MS). Its status is
 * derived when read: a target without a result is pending until the
 * deadline and not reached after it, whatever its agent did or claimed, so
 * an agent that dies mid-sweep can never look clean.
 *
 * Quarantine orders may only name a file an agent reported as a hit of that
 * sweep (the server never asks an endpoint to move an arbitrary path); the
 * agent checks the path again against its own sweep roots (docs/agent.md).
 *
 * Ownership: handlers own their JSON; the seen table owns its entries (one
 * per agent that checked in, bounded by the agents enrolled).
 * Limits: 1,000 indicators and 64 KiB of YARA rules per sweep, 30,000
 * targets, 1,000 hits per result, paths of 4,096 bytes.
 */
#include "api_agents.h"

#include <glib.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access.h"
#include "audit.h"
#include "auth.h"
#include "drill_team.h"
#include "milter/log.h"
#include "orgmap.h"
#include "vigil/vigil.h"

#define SEEN_FLUSH_MS 2000
#define SEEN_BATCH 500
#define MAX_INDICATORS 1000
#define MAX_RULES (64u << 10)
#define MAX_TARGETS 30000
#define MAX_HITS 1000
#define MAX_PATH 4096
#define MAX_SWEEP_UNITS 64
#define MAX_SWEEPS_SHOWN 20
#define MAX_HITS_SHOWN 5000
#define SWEEP_EXPIRY_MS (7LL * 24 * 3600 * 1000)
#define DEADLINE_DEFAULT_S (4 * 3600)
#define DEADLINE_MIN_S 5
#define DEADLINE_MAX_S (7 * 24 * 3600)
#define ENROL_HOURS_DEFAULT 72
#define JOBS_PER_CHECKIN 8
#define ORDERS_PER_CHECKIN 32

static const char *const ind_types[] = {"sha256", "sha1", "md5", "filename", NULL};

/* an answer decided inside a transaction (which then rolls back) */
struct outcome {
	int status;
	const char *code, *msg;
};

static int fail(struct outcome *o, int status, const char *code, const char *msg)
{
	o->status = status;
	o->code = code;
	o->msg = msg;
	return STORE_EINVAL;
}

/* the store's answer, or the outcome the transaction chose */
static void answer_error(struct http_resp *rs, int rc, char *err, const struct outcome *o)
{
	if (rc == STORE_EINVAL && o->status != 0) {
		free(err);
		http_error(rs, o->status, o->code, "%s", o->msg);
		return;
	}
	store_unavailable(rs, rc, err);
}

/* ---- last seen and deliveries: in memory, written in batches ---- */

struct seen {
	int64_t id; /* the key: g_int64_hash reads it here */
	int64_t ms;
	char version[32];
	bool dirty;
};

/* work handed to an agent the first time: a sweep target or an order */
struct delivery {
	int64_t sweep, order, agent, ms; /* order 0: a sweep target */
	bool drill;                      /* order is a drill order (drill_team.h) */
	char host[256];
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	GHashTable *tab;   /* agent id -> struct seen */
	GHashTable *deliv; /* "s:SWEEP:HOST" / "o:ORDER" -> struct delivery */
	pthread_t tid;
	bool running, stop;
	struct vsrv *srv;
} seen = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static void seen_tables(void)
{
	if (seen.tab == NULL)
		seen.tab = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, g_free);
	if (seen.deliv == NULL)
		seen.deliv = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

static void seen_touch(int64_t id, const char *version, int64_t now)
{
	struct seen *s;

	pthread_mutex_lock(&seen.mu);
	seen_tables();
	s = g_hash_table_lookup(seen.tab, &id);
	if (s == NULL) {
		s = g_new0(struct seen, 1);
		s->id = id;
		g_hash_table_insert(seen.tab, &s->id, s);
	}
	if (now > s->ms)
		s->ms = now;
	if (version != NULL && *version)
		g_strlcpy(s->version, version, sizeof s->version);
	s->dirty = true;
	pthread_mutex_unlock(&seen.mu);
}

static int64_t seen_get(int64_t id)
{
	struct seen *s;
	int64_t ms = 0;

	pthread_mutex_lock(&seen.mu);
	s = seen.tab ? g_hash_table_lookup(seen.tab, &id) : NULL;
	if (s != NULL)
		ms = s->ms;
	pthread_mutex_unlock(&seen.mu);
	return ms;
}

/* remembered until the next flush (a second check-in before it adds
 * nothing); bounded by the open targets and orders */
static void delivered(int64_t sweep, int64_t order, int64_t agent, const char *host, int64_t now,
                      bool drill)
{
	char key[300];

	if (order != 0)
		g_snprintf(key, sizeof key, "%s:%lld", drill ? "d" : "o", (long long)order);
	else
		g_snprintf(key, sizeof key, "s:%lld:%s", (long long)sweep, host);
	pthread_mutex_lock(&seen.mu);
	seen_tables();
	if (!g_hash_table_contains(seen.deliv, key)) {
		struct delivery *d = g_new0(struct delivery, 1);

		d->sweep = sweep;
		d->order = order;
		d->drill = drill;
		d->agent = agent;
		d->ms = now;
		g_strlcpy(d->host, host, sizeof d->host);
		g_hash_table_insert(seen.deliv, g_strdup(key), d);
	}
	pthread_mutex_unlock(&seen.mu);
}

struct flush {
	GArray *rows;  /* struct seen copies */
	GArray *deliv; /* struct delivery copies */
	guint from, to;
};

static int flush_seen_tx(store_db *db, void *ctx, char **err)
{
	struct flush *f = ctx;
	int rc = STORE_OK;

	for (guint i = f->from; rc == STORE_OK && i < f->to; i++) {
		const struct seen *s = &g_array_index(f->rows, struct seen, i);
		struct store_val p[] = {store_int(s->ms),
		                        store_text(s->version[0] ? s->version : NULL),
		                        store_int(s->id), store_int(s->ms)};

		rc = store_sql(db,
		               "UPDATE agents SET last_seen_ms = ?, version = COALESCE(?, version) "
		               "WHERE id = ? AND last_seen_ms < ?",
		               p, 4, NULL, NULL, err);
	}
	return rc;
}

static int flush_deliv_tx(store_db *db, void *ctx, char **err)
{
	struct flush *f = ctx;
	int rc = STORE_OK;

	for (guint i = f->from; rc == STORE_OK && i < f->to; i++) {
		const struct delivery *d = &g_array_index(f->deliv, struct delivery, i);

		if (d->order != 0 && d->drill) {
			rc = drill_team_order_delivered(db, d->order, d->ms, err);
		} else if (d->order != 0) {
			struct store_val p[] = {store_int(d->ms), store_int(d->order)};

			rc = store_sql(
			        db,
			        "UPDATE agent_orders SET state = 1, delivered_ms = ? WHERE id = ? "
			        "AND state = 0",
			        p, 2, NULL, NULL, err);
		} else {
			struct store_val p[] = {store_int(d->ms), store_int(d->agent),
			                        store_int(d->sweep), store_text(d->host)};

			rc = store_sql(
			        db,
			        "UPDATE sweep_targets SET state = 1, delivered_ms = ?, agent = ? "
			        "WHERE sweep = ? AND host = ? AND state = 0",
			        p, 4, NULL, NULL, err);
		}
	}
	return rc;
}

static void seen_flush(struct vsrv *srv)
{
	GArray *rows = g_array_new(FALSE, FALSE, sizeof(struct seen));
	GArray *deliv = g_array_new(FALSE, FALSE, sizeof(struct delivery));
	GHashTableIter it;
	gpointer k, v;
	char *err = NULL;

	pthread_mutex_lock(&seen.mu);
	if (seen.tab != NULL) {
		g_hash_table_iter_init(&it, seen.tab);
		while (g_hash_table_iter_next(&it, &k, &v)) {
			struct seen *s = v;

			if (!s->dirty)
				continue;
			g_array_append_val(rows, *s);
			s->dirty = false;
		}
	}
	if (seen.deliv != NULL) {
		g_hash_table_iter_init(&it, seen.deliv);
		while (g_hash_table_iter_next(&it, &k, &v))
			g_array_append_vals(deliv, v, 1);
		g_hash_table_remove_all(seen.deliv);
	}
	pthread_mutex_unlock(&seen.mu);
	/* deliveries that are not written are simply delivered again */
	for (guint from = 0; from < deliv->len; from += SEEN_BATCH) {
		struct flush f = {rows, deliv, from, MIN(deliv->len, from + SEEN_BATCH)};

		if (store_with(srv->st, 1, flush_deliv_tx, &f, &err) != STORE_OK) {
			vlog_warn("agents", "cannot mark work delivered: %s", err ? err : "?");
			free(err);
			err = NULL;
			break;
		}
	}
	for (guint from = 0; from < rows->len; from += SEEN_BATCH) {
		struct flush f = {rows, deliv, from, MIN(rows->len, from + SEEN_BATCH)};

		if (store_with(srv->st, 1, flush_seen_tx, &f, &err) == STORE_OK)
			continue;
		vlog_warn("agents", "cannot write the agents' check-in times: %s", err ? err : "?");
		free(err);
		/* written next time, unless a newer check-in already is */
		pthread_mutex_lock(&seen.mu);
		for (guint i = from; i < rows->len; i++) {
			struct seen *s = g_hash_table_lookup(
			        seen.tab, &g_array_index(rows, struct seen, i).id);

			if (s != NULL)
				s->dirty = true;
		}
		pthread_mutex_unlock(&seen.mu);
		break;
	}
	g_array_free(rows, TRUE);
	g_array_free(deliv, TRUE);
}

static void *seen_run(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&seen.mu);
	while (!seen.stop) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += SEEN_FLUSH_MS / 1000;
		pthread_cond_timedwait(&seen.cv, &seen.mu, &ts);
		if (seen.stop)
			break;
		pthread_mutex_unlock(&seen.mu);
		seen_flush(seen.srv);
		pthread_mutex_lock(&seen.mu);
	}
	pthread_mutex_unlock(&seen.mu);
	return NULL;
}

int agents_start(struct vsrv *srv)
{
	seen.srv = srv;
	seen.stop = false;
	if (pthread_create(&seen.tid, NULL, seen_run, NULL) != 0)
		return -1;
	seen.running = true;
	return 0;
}

void agents_stop(void)
{
	if (!seen.running)
		return;
	pthread_mutex_lock(&seen.mu);
	seen.stop = true;
	pthread_cond_signal(&seen.cv);
	pthread_mutex_unlock(&seen.mu);
	pthread_join(seen.tid, NULL);
	seen.running = false;
	seen_flush(seen.srv);
	pthread_mutex_lock(&seen.mu);
	if (seen.tab != NULL)
		g_hash_table_destroy(seen.tab);
	if (seen.deliv != NULL)
		g_hash_table_destroy(seen.deliv);
	seen.tab = NULL;
	seen.deliv = NULL;
	pthread_mutex_unlock(&seen.mu);
}

/* ---- small helpers ---- */

/* a non-empty string of at most max bytes without NUL, else NULL */
static const char *str_field(json_t *b, const char *k, size_t max)
{
	json_t *v = json_object_get(b, k);

	if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > max ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return NULL;
	return json_string_value(v);
}

static bool hexlen(const char *s, size_t n)
{
	if (s == NULL || strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isxdigit(s[i]))
			return false;
	return true;
}

/* a host name as the agents send it: letters, digits, '.', '-', '_' */
static bool host_ok(const char *h)
{
	size_t n = h ? strlen(h) : 0;

	if (n == 0 || n > 253 || h[0] == '.' || h[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isalnum(h[i]) && h[i] != '.' && h[i] != '-' && h[i] != '_')
			return false;
	return true;
}

/* printable ASCII of at most max bytes (versions, OS names) */
static bool plain(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

static bool fleet_admin(const struct caller *c)
{
	return c->authenticated && c->user_id != 0 &&
	       (c->role == ROLE_ADMIN || c->role == ROLE_CENTRAL);
}

static bool covers(const struct vsrv *srv, const struct caller *c, enum right r, const char *unit,
                   bool drill)
{
	return unit != NULL && access_units(srv, c, r, &unit, 1, drill);
}

static void copy_text(char *dst, size_t n, const struct store_val *v)
{
	g_strlcpy(dst, v->t == SV_TEXT ? v->s : "", n);
}

static int64_t col_int(const struct store_val *v)
{
	if (v->t == SV_INT)
		return v->i;
	if (v->t == SV_TEXT)
		return g_ascii_strtoll(v->s, NULL, 10);
	if (v->t == SV_REAL)
		return (int64_t)v->d;
	return 0;
}

static int add_event(store_db *db, int64_t inc, const char *actor, const char *kind,
                     const char *text, char **err)
{
	int64_t now = store_now_ms();
	struct store_val p[] = {store_int(inc), store_int(now), store_text(actor), store_text(kind),
	                        store_text(text)};
	struct store_val q[] = {store_int(now), store_int(inc)};
	int rc = store_sql(
	        db,
	        "INSERT INTO events (incident, at_ms, actor, kind, text) VALUES (?, ?, ?, "
	        "?, ?)",
	        p, 5, NULL, NULL, err);

	if (rc == STORE_OK)
		rc = store_sql(db, "UPDATE incidents SET updated_ms = ? WHERE id = ?", q, 2, NULL,
		               NULL, err);
	return rc;
}

/* ---- the incident a sweep belongs to, and the caller's rights on it ---- */

struct igate {
	const struct vsrv *srv;
	const struct caller *c;
	enum right right;
	int64_t id;
	bool exists, allowed, visible, drill;
	GPtrArray *units; /* the incident's units (g_free'd) */
};

static int igate_row(void *ctx, const struct store_val *c, int nc)
{
	struct igate *g = ctx;

	if (nc < 1)
		return 0;
	g->exists = true;
	g->drill = col_int(&c[0]) != 0;
	return 0;
}

static int igate_unit_row(void *ctx, const struct store_val *c, int nc)
{
	struct igate *g = ctx;

	if (nc > 0 && c[0].t == SV_TEXT)
		g_ptr_array_add(g->units, g_strdup(c[0].s));
	return 0;
}

static int igate_check(store_db *db, struct igate *g, char **err)
{
	struct store_val id = store_int(g->id);
	int rc;

	if (g->units == NULL)
		g->units = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_set_size(g->units, 0);
	g->exists = false;
	rc = store_sql(db, "SELECT drill FROM incidents WHERE id = ?", &id, 1, igate_row, g, err);
	if (rc == STORE_OK && g->exists)
		rc = store_sql(db,
		               "SELECT unit FROM incident_units WHERE incident = ? ORDER BY unit",
		               &id, 1, igate_unit_row, g, err);
	if (rc == STORE_OK && g->exists) {
		g->allowed =
		        access_units(g->srv, g->c, g->right, (const char *const *)g->units->pdata,
		                     (int)g->units->len, g->drill);
		g->visible =
		        access_units(g->srv, g->c, RIGHT_READ, (const char *const *)g->units->pdata,
		                     (int)g->units->len, g->drill);
	}
	return rc;
}

/* 404 for what the caller may not see, 403 for what it may see but not change */
static int igate_outcome(struct igate *g, struct outcome *o)
{
	if (!g->exists || !g->visible)
		return fail(o, 404, "not_found", "no such incident");
	if (!g->allowed)
		return fail(o, 403, "forbidden", "you may see this incident but not change it");
	return STORE_OK;
}

static void igate_free(struct igate *g)
{
	if (g->units != NULL)
		g_ptr_array_unref(g->units);
	g->units = NULL;
}

/* ---- enrolment tokens (fleet administrators) ---- */

struct etok {
	const struct caller *c;
	const char *unit, *host;
	int64_t id, expires;
	char hash[65];
};

static int etok_insert(store_db *db, void *ctx, char **err)
{
	struct etok *t = ctx;
	int64_t now = store_now_ms();
	struct store_val p[] = {store_text(t->hash), store_text(t->unit),
	                        store_text(t->host), store_text(t->c->username),
	                        store_int(now),      store_int(t->expires)};
	char obj[48];
	json_t *d;
	int rc = store_sql(db,
	                   "INSERT INTO agent_enrol_tokens (token_hash, unit, host, created_by, "
	                   "created_ms, expires_ms) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
	                   p, 6, store_row_int, &t->id, err);

	if (rc != STORE_OK)
		return rc;
	g_snprintf(obj, sizeof obj, "enrol-token:%lld", (long long)t->id);
	d = json_pack("{s:s?,s:s?,s:o}", "unit", t->unit, "host", t->host, "expires_at",
	              json_time(t->expires));
	rc = audit_append(db, t->c->username, "agent.enrol_token", obj, t->unit, d, err);
	json_decref(d);
	return rc;
}

void api_agents_enrol_token(struct http_req *rq, struct http_resp *rs)
{
	struct vsrv *srv = rq->ctx;
	struct etok t = {.c = rq->auth};
	const char *why = NULL;
	json_t *b, *hours;
	char *token = NULL, *err = NULL, *host = NULL;
	int64_t h = ENROL_HOURS_DEFAULT;
	int rc;

	if (!access_require(rq, rs, RIGHT_READ))
		return;
	if (!fleet_admin(t.c)) {
		http_error(rs, 403, "forbidden",
		           "only administrators and central analysts manage endpoint agents");
		return;
	}
	b = rq->body_len == 0 ? json_object() : http_body_json(rq, &why);
	if (b == NULL) {
		http_error(rs, 400, "invalid", "%s", why);
		return;
	}
	t.unit = str_field(b, "unit", 64);
	t.host = str_field(b, "host", 253);
	hours = json_object_get(b, "hours");
	if (json_is_integer(hours))
		h = json_integer_value(hours);
	if ((json_object_get(b, "unit") &&
	     (t.unit == NULL || !orgmap_has_unit(srv->org, t.unit))) ||
	    (json_object_get(b, "host") && !host_ok(t.host)) ||
	    (hours != NULL && !json_is_integer(hours)) || h < 1 || h > 720) {
		http_error(
		        rs, 400, "invalid",
		        "give optionally \"unit\" (a unit of the organisation), \"host\" (the only "
		        "host that may use the token) and \"hours\" (1..720, default 72)");
		goto out;
	}
	if (t.host != NULL) {
		host = g_ascii_strdown(t.host, -1);
		t.host = host;
	}
	t.expires = store_now_ms() + h * 3600 * 1000;
	token = auth_random_token("vge_");
	auth_sha256_hex(token, t.hash);
	rc = store_with(srv->st, 1, etok_insert, &t, &err);
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
		goto out;
	}
	/* the only time the token is shown: it is stored as a hash */
	http_json(rs, 201,
	          json_pack("{s:I,s:s,s:s?,s:s?,s:o}", "id", (json_int_t)t.id, "token", token,
	                    "unit", t.unit, "host", t.host, "expires_at", json_time(t.expires)));
out:
	g_free(token);
	g_free(host);
	json_decref(b);
}

/* ---- enrolment (an agent with a one-time token) ---- */

struct enrol {
	const struct vsrv *srv;
	const char *os, *version;
	char host[256];
	char tok_hash[65], cred_hash[65];
	bool found;
	int64_t token_id, expires, used, agent_id, replaced;
	char tunit[128], thost[256];
	const char *unit, *owner; /* interned by the organisation, or tunit */
	struct outcome o;
};

static int enrol_tok_row(void *ctx, const struct store_val *c, int nc)
{
	struct enrol *e = ctx;

	if (nc < 5)
		return 0;
	e->found = true;
	e->token_id = col_int(&c[0]);
	copy_text(e->tunit, sizeof e->tunit, &c[1]);
	copy_text(e->thost, sizeof e->thost, &c[2]);
	e->expires = col_int(&c[3]);
	e->used = c[4].t == SV_NULL ? 0 : col_int(&c[4]);
	return 0;
}

static int enrol_tx(store_db *db, void *ctx, char **err)
{
	struct enrol *e = ctx;
	int64_t now = store_now_ms();
	struct store_val th = store_text(e->tok_hash), hv = store_text(e->host);
	char actor[300], obj[48];
	json_t *d;
	int rc = store_sql(db,
	                   "SELECT id, unit, host, expires_ms, used_ms FROM agent_enrol_tokens "
	                   "WHERE token_hash = ?",
	                   &th, 1, enrol_tok_row, e, err);

	if (rc != STORE_OK)
		return rc;
	if (!e->found || e->used != 0 || e->expires < now)
		return fail(
		        &e->o, 401, "unauthenticated",
		        "the enrolment token is unknown, already used or expired; ask for a new "
		        "one");
	if (e->thost[0] && strcmp(e->thost, e->host) != 0)
		return fail(&e->o, 403, "forbidden", "this enrolment token is for another host");
	/* the organisation knows the endpoint: its unit wins over the token's */
	if (!orgmap_endpoint(e->srv->org, e->host, &e->unit, &e->owner)) {
		e->owner = NULL;
		e->unit = e->tunit[0] && orgmap_has_unit(e->srv->org, e->tunit) ? e->tunit : NULL;
	}
	if (e->unit == NULL)
		return fail(
		        &e->o, 400, "invalid",
		        "this host is not an endpoint of the organisation; enrol it with a token "
		        "made for its unit");
	rc = store_sql(db, "SELECT count(*) FROM agents WHERE host = ? AND revoked = 0", &hv, 1,
	               store_row_int, &e->replaced, err);
	/* a host re-installed: its old credential stops working */
	if (rc == STORE_OK && e->replaced > 0)
		rc = store_sql(db, "UPDATE agents SET revoked = 1 WHERE host = ? AND revoked = 0",
		               &hv, 1, NULL, NULL, err);
	if (rc == STORE_OK) {
		struct store_val p[] = {store_text(e->host),
		                        store_text(e->unit),
		                        store_text(orgmap_region(e->srv->org, e->unit)),
		                        store_text(e->owner),
		                        store_text(e->os),
		                        store_text(e->version),
		                        store_text(e->cred_hash),
		                        store_int(e->token_id),
		                        store_int(now)};

		rc = store_sql(
		        db,
		        "INSERT INTO agents (host, unit, region, owner, os, version, cred_hash, "
		        "enrol_token, enrolled_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING "
		        "id",
		        p, 9, store_row_int, &e->agent_id, err);
	}
	if (rc == STORE_OK) {
		struct store_val p[] = {store_int(now), store_int(e->agent_id),
		                        store_int(e->token_id)};

		rc = store_sql(
		        db,
		        "UPDATE agent_enrol_tokens SET used_ms = ?, agent = ? WHERE id = ? AND "
		        "used_ms IS NULL",
		        p, 3, NULL, NULL, err);
	}
	if (rc != STORE_OK)
		return rc;
	g_snprintf(actor, sizeof actor, "agent:%s", e->host);
	g_snprintf(obj, sizeof obj, "agent:%lld", (long long)e->agent_id);
	d = json_pack("{s:s,s:s,s:s?,s:s?,s:s?,s:I,s:I}", "host", e->host, "unit", e->unit, "owner",
	              e->owner, "os", e->os, "version", e->version, "enrol_token",
	              (json_int_t)e->token_id, "replaced", (json_int_t)e->replaced);
	rc = audit_append(db, actor, "agent.enrol", obj, e->unit, d, err);
	json_decref(d);
	return rc;
}

void api_agents_enrol(struct http_req *rq, struct http_resp *rs)
{
	struct vsrv *srv = rq->ctx;
	struct enrol e = {.srv = srv};
	const char *why = NULL, *token, *host;
	json_t *b = http_body_json(rq, &why);
	char *cred = NULL, *err = NULL;
	int rc;

	if (b == NULL) {
		http_error(rs, 400, "invalid", "%s", why);
		return;
	}
	token = str_field(b, "token", 100);
	host = str_field(b, "host", 253);
	e.os = str_field(b, "os", 100);
	e.version = str_field(b, "version", 31);
	if (token == NULL || !host_ok(host) || (e.os != NULL && !plain(e.os, 100)) ||
	    (e.version != NULL && !plain(e.version, 31))) {
		http_error(rs, 400, "invalid",
		           "give \"token\" (the enrolment token), \"host\" (letters, digits, '.', "
		           "'-', '_'; at most 253) and optionally \"os\" and \"version\"");
		goto out;
	}
	g_strlcpy(e.host, host, sizeof e.host);
	for (char *p = e.host; *p; p++)
		*p = g_ascii_tolower(*p);
	auth_sha256_hex(token, e.tok_hash);
	cred = auth_random_token("vga_");
	auth_sha256_hex(cred, e.cred_hash);
	rc = store_with(srv->st, 1, enrol_tx, &e, &err);
	if (rc != STORE_OK) {
		answer_error(rs, rc, err, &e.o);
		goto out;
	}
	vlog_info("agents", "agent %lld enrolled: host %s, unit %s", (long long)e.agent_id, e.host,
	          e.unit);
	/* the only time the credential is shown: it is stored as a hash */
	http_json(rs, 201,
	          json_pack("{s:I,s:s,s:s,s:s?,s:s}", "id", (json_int_t)e.agent_id, "host", e.host,
	                    "unit", e.unit, "owner", e.owner, "credential", cred));
out:
	g_free(cred);
	json_decref(b);
}

/* ---- the agent behind a request ---- */

struct agent {
	bool found, revoked;
	int64_t id;
	char host[256], unit[128];
	int64_t open_jobs, open_orders, open_drill;
};

static int agent_row(void *ctx, const struct store_val *c, int nc)
{
	struct agent *a = ctx;

	if (nc < 7)
		return 0;
	a->found = true;
	a->id = col_int(&c[0]);
	a->revoked = col_int(&c[1]) != 0;
	copy_text(a->host, sizeof a->host, &c[2]);
	copy_text(a->unit, sizeof a->unit, &c[3]);
	a->open_jobs = col_int(&c[4]);
	a->open_orders = col_int(&c[5]);
	a->open_drill = col_int(&c[6]);
	return 0;
}

struct find {
	struct agent *a;
	const char *hash;
	int64_t now;
};

/* the whole of an idle check-in: three index probes (the partial indexes
 * of the open targets and orders, by host) */
static int agent_find(store_db *db, void *ctx, char **err)
{
	struct find *f = ctx;
	struct store_val p[] = {store_int(f->now), store_text(f->hash)};

	return store_sql(db,
	                 "SELECT a.id, a.revoked, a.host, a.unit, "
	                 "(SELECT count(*) FROM sweep_targets t WHERE t.host = a.host AND "
	                 "t.state < 2 AND t.expires_ms > ?), "
	                 "(SELECT count(*) FROM agent_orders o WHERE o.host = a.host AND "
	                 "o.state < 2), "
	                 "(SELECT count(*) FROM drill_orders d WHERE d.host = a.host AND "
	                 "d.state < 2) "
	                 "FROM agents a WHERE a.cred_hash = ?",
	                 p, 2, agent_row, f->a, err);
}

/* 401 unless the request carries the credential of an enrolled agent */
static bool agent_auth(struct http_req *rq, struct http_resp *rs, struct agent *a, int64_t now)
{
	struct vsrv *srv = rq->ctx;
	const char *authz = http_header(rq, "Authorization");
	char hash[65], *err = NULL;
	struct find f = {a, hash, now};
	int rc;

	if (authz == NULL || g_ascii_strncasecmp(authz, "Bearer vga_", 11) != 0 ||
	    strlen(authz) > 200) {
		http_error(rs, 401, "unauthenticated",
		           "send the agent's credential as 'Authorization: Bearer vga_...'");
		return false;
	}
	auth_sha256_hex(authz + 7, hash);
	rc = store_with(srv->st, 0, agent_find, &f, &err);
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
		return false;
	}
	if (!a->found || a->revoked) {
		http_error(rs, 401, "unauthenticated",
		           "this agent's credential is unknown or revoked; enrol the agent again");
		return false;
	}
	return true;
}

/* ---- check-in ---- */

struct work {
	struct agent *a;
	int64_t now;
	json_t *jobs, *orders;
	GArray *new_jobs, *new_orders; /* int64_t ids delivered the first time */
	GArray *new_drill;             /* drill orders (drill_team.h) */
};

/* sweep, state, incident, spec, deadline_ms, expires_ms */
static int job_row(void *ctx, const struct store_val *c, int nc)
{
	struct work *w = ctx;
	int64_t sweep;
	json_t *spec;

	if (nc < 6 || c[3].t != SV_TEXT)
		return 0;
	sweep = col_int(&c[0]);
	spec = json_loads(c[3].s, 0, NULL);
	if (spec == NULL)
		return 0;
	if (col_int(&c[1]) == 0)
		g_array_append_val(w->new_jobs, sweep);
	json_array_append_new(w->jobs,
	                      json_pack("{s:I,s:I,s:I,s:I,s:o}", "sweep", (json_int_t)sweep,
	                                "incident", (json_int_t)col_int(&c[2]), "deadline_ms",
	                                (json_int_t)col_int(&c[4]), "expires_ms",
	                                (json_int_t)col_int(&c[5]), "spec", spec));
	return 0;
}

/* id, kind, path, sha256, state */
static int order_row(void *ctx, const struct store_val *c, int nc)
{
	struct work *w = ctx;
	int64_t id;

	if (nc < 5 || c[1].t != SV_TEXT || c[2].t != SV_TEXT)
		return 0;
	id = col_int(&c[0]);
	if (col_int(&c[4]) == 0)
		g_array_append_val(w->new_orders, id);
	json_array_append_new(w->orders, json_pack("{s:I,s:s,s:s,s:s?}", "order", (json_int_t)id,
	                                           "kind", c[1].s, "path", c[2].s, "sha256",
	                                           c[3].t == SV_TEXT ? c[3].s : NULL));
	return 0;
}

static int work_read(store_db *db, void *ctx, char **err)
{
	struct work *w = ctx;
	struct store_val p[] = {store_text(w->a->host), store_int(w->now),
	                        store_int(JOBS_PER_CHECKIN)};
	int rc = STORE_OK;

	if (w->a->open_jobs > 0)
		rc = store_sql(db,
		               "SELECT t.sweep, t.state, s.incident, s.spec, s.deadline_ms, "
		               "s.expires_ms FROM sweep_targets t JOIN sweeps s ON s.id = t.sweep "
		               "WHERE t.host = ? AND t.state < 2 AND t.expires_ms > ? ORDER BY "
		               "t.sweep LIMIT ?",
		               p, 3, job_row, w, err);
	if (rc == STORE_OK && w->a->open_orders > 0) {
		struct store_val q[] = {store_text(w->a->host), store_int(ORDERS_PER_CHECKIN)};

		rc = store_sql(
		        db,
		        "SELECT id, kind, path, sha256, state FROM agent_orders WHERE host = ? "
		        "AND state < 2 ORDER BY id LIMIT ?",
		        q, 2, order_row, w, err);
	}
	/* a drill's plants and their removal (drill_team.c) */
	if (rc == STORE_OK && w->a->open_drill > 0)
		rc = drill_team_orders_read(db, w->a->host, ORDERS_PER_CHECKIN, w->orders,
		                            w->new_drill, err);
	return rc;
}

void api_agents_checkin(struct http_req *rq, struct http_resp *rs)
{
	struct vsrv *srv = rq->ctx;
	struct agent a = {0};
	int64_t now = store_now_ms();
	char version[32] = "";
	struct work w = {.a = &a, .now = now};
	char *err = NULL;
	int rc;

	if (!agent_auth(rq, rs, &a, now))
		return;
	/* the body is optional and small: {"version": "..."} */
	if (rq->body_len > 0 && rq->body_len <= 4096) {
		json_t *b = json_loadb(rq->body, rq->body_len, 0, NULL);
		const char *v = str_field(b, "version", sizeof version - 1);

		if (v != NULL && plain(v, sizeof version - 1))
			g_strlcpy(version, v, sizeof version);
		json_decref(b);
	}
	seen_touch(a.id, version, now);
	if (a.open_jobs == 0 && a.open_orders == 0 && a.open_drill == 0) {
		http_json(rs, 200, json_pack("{s:[],s:[]}", "jobs", "orders"));
		return;
	}
	w.jobs = json_array();
	w.orders = json_array();
	w.new_jobs = g_array_new(FALSE, FALSE, sizeof(int64_t));
	w.new_orders = g_array_new(FALSE, FALSE, sizeof(int64_t));
	w.new_drill = g_array_new(FALSE, FALSE, sizeof(int64_t));
	/* a read: what is delivered the first time is marked by the flush */
	rc = store_with(srv->st, 0, work_read, &w, &err);
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
		json_decref(w.jobs);
		json_decref(w.orders);
	} else {
		for (guint i = 0; i < w.new_jobs->len; i++)
			delivered(g_array_index(w.new_jobs, int64_t, i), 0, a.id, a.host, now,
			          false);
		for (guint i = 0; i < w.new_orders->len; i++)
			delivered(0, g_array_index(w.new_orders, int64_t, i), a.id, a.host, now,
			          false);
		for (guint i = 0; i < w.new_drill->len; i++)
			delivered(0, g_array_index(w.new_drill, int64_t, i), a.id, a.host, now,
			          true);
		http_json(rs, 200, json_pack("{s:o,s:o}", "jobs", w.jobs, "orders", w.orders));
	}
	g_array_free(w.new_jobs, TRUE);
	g_array_free(w.new_orders, TRUE);
	g_array_free(w.new_drill, TRUE);
}

/* ---- results: a sweep's, or a quarantine order's ---- */

struct hit {
	const char *path, *sha256, *object;
	char *matched; /* joined with ", " */
	int64_t size, mtime_ms;
};

struct result {
	struct agent *a;
	int64_t sweep, files, incident, deadline;
	bool complete, duplicate;
	const char *error;
	char *detail; /* JSON text */
	struct hit *hits;
	size_t n_hits;
	char unit[128];
	int state;
	bool found;
	const char *outcome;
	struct outcome o;
};

static int target_row(void *ctx, const struct store_val *c, int nc)
{
	struct result *r = ctx;

	if (nc < 4)
		return 0;
	r->found = true;
	r->state = (int)col_int(&c[0]);
	copy_text(r->unit, sizeof r->unit, &c[1]);
	r->incident = col_int(&c[2]);
	r->deadline = col_int(&c[3]);
	return 0;
}

static int result_tx(store_db *db, void *ctx, char **err)
{
	struct result *r = ctx;
	int64_t now = store_now_ms();
	struct store_val k[] = {store_int(r->sweep), store_text(r->a->host)};
	char actor[300], obj[48];
	json_t *d;
	int rc = store_sql(db,
	                   "SELECT t.state, t.unit, s.incident, s.deadline_ms FROM sweep_targets t "
	                   "JOIN sweeps s ON s.id = t.sweep WHERE t.sweep = ? AND t.host = ?",
	                   k, 2, target_row, r, err);

	if (rc != STORE_OK)
		return rc;
	if (!r->found)
		return fail(&r->o, 404, "not_found", "this endpoint was not asked for this sweep");
	if (r->state == 2) { /* a result sent again after a lost answer */
		r->duplicate = true;
		return STORE_OK;
	}
	r->outcome = r->n_hits > 0                        ? "infected"
	             : (r->error != NULL || !r->complete) ? "incomplete"
	                                                  : "clean";
	{
		/* delivered_ms too when the flush has not written it yet */
		struct store_val p[] = {
		        store_int(r->a->id),    store_int(now),      store_int(now),
		        store_text(r->outcome), store_int(r->files), store_int((int64_t)r->n_hits),
		        store_text(r->detail),  store_int(r->sweep), store_text(r->a->host)};

		rc = store_sql(db,
		               "UPDATE sweep_targets SET state = 2, agent = ?, reported_ms = ?, "
		               "delivered_ms = COALESCE(delivered_ms, ?), outcome = ?, files = ?, "
		               "hits = ?, detail = ? WHERE sweep = ? AND host = ?",
		               p, 9, NULL, NULL, err);
	}
	for (size_t i = 0; rc == STORE_OK && i < r->n_hits; i++) {
		const struct hit *h = &r->hits[i];
		struct store_val p[] = {store_int(r->sweep),
		                        store_text(r->a->host),
		                        store_text(h->path),
		                        store_text(h->sha256 ? h->sha256 : NULL),
		                        h->size >= 0 ? store_int(h->size) : store_text(NULL),
		                        store_int(h->mtime_ms),
		                        store_text(h->matched),
		                        store_text(h->object)};

		rc = store_sql(db,
		               "INSERT INTO sweep_hits (sweep, host, path, sha256, size, mtime_ms, "
		               "matched, object) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		               p, 8, NULL, NULL, err);
	}
	if (rc != STORE_OK)
		return rc;
	g_snprintf(actor, sizeof actor, "agent:%s", r->a->host);
	g_snprintf(obj, sizeof obj, "sweep:%lld", (long long)r->sweep);
	d = json_pack("{s:s,s:s,s:I,s:I,s:b,s:b}", "host", r->a->host, "outcome", r->outcome,
	              "files", (json_int_t)r->files, "hits", (json_int_t)r->n_hits, "complete",
	              r->complete, "late", now > r->deadline);
	rc = audit_append(db, actor, "sweep.result", obj, r->unit, d, err);
	json_decref(d);
	if (rc == STORE_OK && r->n_hits > 0) {
		GString *t = g_string_new(NULL);

		g_string_printf(t,
		                "Rà quét #%lld: máy %s (%s) nhiễm — %zu tệp:", (long long)r->sweep,
		                r->a->host, r->unit, r->n_hits);
		for (size_t i = 0; i < r->n_hits && i < 3; i++)
			g_string_append_printf(t, "%s %.300s", i ? "," : "", r->hits[i].path);
		if (r->n_hits > 3)
			g_string_append(t, ", …");
		rc = add_event(db, r->incident, actor, "sweep.infected", t->str, err);
		g_string_free(t, TRUE);
	}
	return rc;
}

struct ores {
	struct agent *a;
	int64_t order, incident, sweep, hit;
	bool found, duplicate, done;
	int state;
	char host[256], path[MAX_PATH + 1];
	const char *detail, *quarantined_as, *sha256;
	struct outcome o;
};

static int ores_row(void *ctx, const struct store_val *c, int nc)
{
	struct ores *r = ctx;

	if (nc < 6)
		return 0;
	r->found = true;
	copy_text(r->host, sizeof r->host, &c[0]);
	r->incident = col_int(&c[1]);
	r->sweep = col_int(&c[2]);
	r->hit = col_int(&c[3]);
	r->state = (int)col_int(&c[4]);
	copy_text(r->path, sizeof r->path, &c[5]);
	return 0;
}

static int ores_tx(store_db *db, void *ctx, char **err)
{
	int64_t now = store_now_ms();
	struct ores *r = ctx;
	struct store_val id = store_int(r->order);
	char actor[300], obj[48], *text, *res;
	json_t *d;
	int rc = store_sql(db,
	                   "SELECT host, incident, sweep, hit, state, path FROM agent_orders WHERE "
	                   "id = ?",
	                   &id, 1, ores_row, r, err);

	if (rc != STORE_OK)
		return rc;
	if (!r->found || strcmp(r->host, r->a->host) != 0)
		return fail(&r->o, 404, "not_found", "this endpoint has no such order");
	if (r->state >= 2) {
		r->duplicate = true;
		return STORE_OK;
	}
	d = json_pack("{s:s,s:s?,s:s?,s:s?}", "status", r->done ? "done" : "failed", "detail",
	              r->detail, "quarantined_as", r->quarantined_as, "sha256", r->sha256);
	res = json_dumps(d, JSON_COMPACT);
	{
		struct store_val p[] = {store_int(r->done ? 2 : 3), store_int(now), store_int(now),
		                        store_text(res), store_int(r->order)};

		rc = store_sql(db,
		               "UPDATE agent_orders SET state = ?, done_ms = ?, delivered_ms = "
		               "COALESCE(delivered_ms, ?), result = ? WHERE id = ?",
		               p, 5, NULL, NULL, err);
	}
	free(res);
	g_snprintf(actor, sizeof actor, "agent:%s", r->a->host);
	g_snprintf(obj, sizeof obj, "order:%lld", (long long)r->order);
	json_object_set_new(d, "path", json_string(r->path));
	if (rc == STORE_OK)
		rc = audit_append(db, actor, "sweep.quarantine_result", obj, r->a->unit, d, err);
	json_decref(d);
	text = r->done ? g_strdup_printf("Máy %s đã cách ly tệp %.300s (rà quét #%lld)", r->a->host,
	                                 r->path, (long long)r->sweep)
	               : g_strdup_printf("Máy %s không cách ly được tệp %.300s: %.300s", r->a->host,
	                                 r->path, r->detail ? r->detail : "?");
	if (rc == STORE_OK)
		rc = add_event(db, r->incident, actor,
		               r->done ? "sweep.quarantined" : "sweep.failed", text, err);
	g_free(text);
	return rc;
}

/* the hits of a result, checked; false with *why when one is not right */
static bool parse_hits(json_t *arr, struct result *r, const char **why)
{
	json_t *h;
	size_t i;

	if (arr == NULL)
		return true;
	if (!json_is_array(arr) || json_array_size(arr) > MAX_HITS) {
		*why = "\"hits\" must be an array of at most 1000 hits";
		return false;
	}
	r->hits = g_new0(struct hit, json_array_size(arr));
	json_array_foreach(arr, i, h)
	{
		struct hit *x = &r->hits[r->n_hits];
		json_t *m = json_object_get(h, "matched"), *v;
		json_t *size = json_object_get(h, "size"), *mtime = json_object_get(h, "mtime_ms");
		GString *joined = g_string_new(NULL);
		size_t k;

		x->path = str_field(h, "path", MAX_PATH);
		x->sha256 = str_field(h, "sha256", 64);
		x->object = str_field(h, "object", 1024);
		x->size = json_is_integer(size) ? json_integer_value(size) : -1;
		x->mtime_ms = json_is_integer(mtime) ? json_integer_value(mtime) : 0;
		if (json_is_string(m) && json_string_length(m) <= 300 &&
		    strlen(json_string_value(m)) == json_string_length(m))
			g_string_append(joined, json_string_value(m));
		else if (json_is_array(m) && json_array_size(m) <= 16)
			json_array_foreach(m, k, v)
			{
				if (!json_is_string(v) || json_string_length(v) > 300 ||
				    strlen(json_string_value(v)) != json_string_length(v))
					break;
				g_string_append_printf(joined, "%s%s", k ? ", " : "",
				                       json_string_value(v));
			}
		x->matched = g_string_free(joined, FALSE);
		r->n_hits++;
		if (x->path == NULL || x->path[0] != '/' || *x->matched == 0 ||
		    (json_object_get(h, "sha256") && !hexlen(x->sha256, 64)) ||
		    (json_object_get(h, "object") && x->object == NULL) ||
		    (size != NULL && (!json_is_integer(size) || x->size < 0)) ||
		    (mtime != NULL && !json_is_integer(mtime))) {
			*why = "each hit needs \"path\" (absolute), \"matched\" (what it matched) "
			       "and "
			       "optionally \"sha256\", \"size\", \"mtime_ms\", \"object\"";
			return false;
		}
	}
	return true;
}

static void result_free(struct result *r)
{
	for (size_t i = 0; i < r->n_hits; i++)
		g_free(r->hits[i].matched);
	g_free(r->hits);
	free(r->detail);
}

static void sweep_result(struct http_req *rq, struct http_resp *rs, struct agent *a, json_t *b)
{
	struct vsrv *srv = rq->ctx;
	struct result r = {.a = a};
	json_t *sweep = json_object_get(b, "sweep"), *files = json_object_get(b, "files");
	json_t *complete = json_object_get(b, "complete"), *detail;
	const char *why = NULL;
	char *err = NULL;
	int rc;

	r.error = str_field(b, "error", 1000);
	if (!json_is_integer(sweep) || json_integer_value(sweep) <= 0 ||
	    (files != NULL && (!json_is_integer(files) || json_integer_value(files) < 0)) ||
	    !json_is_boolean(complete) || (json_object_get(b, "error") && r.error == NULL)) {
		http_error(rs, 400, "invalid",
		           "a sweep result needs \"sweep\" (its id), \"complete\" (true or false), "
		           "\"files\", \"hits\" and optionally \"error\"");
		goto out;
	}
	if (!parse_hits(json_object_get(b, "hits"), &r, &why)) {
		http_error(rs, 400, "invalid", "%s", why);
		goto out;
	}
	r.sweep = json_integer_value(sweep);
	r.files = files ? json_integer_value(files) : 0;
	r.complete = json_is_true(complete);
	/* what the incident page shows besides the hits (bounded fields only) */
	detail = json_object();
	json_object_set(detail, "complete", complete);
	if (r.error != NULL)
		json_object_set_new(detail, "error", json_string(r.error));
	{
		static const char *const keys[] = {"elapsed_ms", "dirs", "skipped", "limits", NULL};

		for (int i = 0; keys[i] != NULL; i++) {
			json_t *v = json_object_get(b, keys[i]);
			char *t = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

			if (t != NULL && strlen(t) <= 1000)
				json_object_set(detail, keys[i], v);
			free(t);
		}
	}
	r.detail = json_dumps(detail, JSON_COMPACT);
	json_decref(detail);
	rc = store_with(srv->st, 1, result_tx, &r, &err);
	if (rc != STORE_OK) {
		answer_error(rs, rc, err, &r.o);
		goto out;
	}
	http_json(rs, r.duplicate ? 200 : 201,
	          json_pack("{s:I,s:s?,s:b}", "sweep", (json_int_t)r.sweep, "outcome", r.outcome,
	                    "duplicate", r.duplicate));
out:
	result_free(&r);
}

static void order_result(struct http_req *rq, struct http_resp *rs, struct agent *a, json_t *b)
{
	struct vsrv *srv = rq->ctx;
	struct ores r = {.a = a};
	json_t *order = json_object_get(b, "order");
	const char *status = str_field(b, "status", 16);
	char *err = NULL;
	int rc;

	r.detail = str_field(b, "detail", 1000);
	r.quarantined_as = str_field(b, "quarantined_as", MAX_PATH);
	r.sha256 = str_field(b, "sha256", 64);
	if (!json_is_integer(order) || json_integer_value(order) <= 0 || status == NULL ||
	    (strcmp(status, "done") != 0 && strcmp(status, "failed") != 0) ||
	    (json_object_get(b, "sha256") && !hexlen(r.sha256, 64))) {
		http_error(
		        rs, 400, "invalid",
		        "a quarantine result needs \"order\" (its id), \"status\" (done or failed) "
		        "and optionally \"detail\", \"quarantined_as\", \"sha256\"");
		return;
	}
	r.order = json_integer_value(order);
	r.done = strcmp(status, "done") == 0;
	rc = store_with(srv->st, 1, ores_tx, &r, &err);
	if (rc != STORE_OK) {
		answer_error(rs, rc, err, &r.o);
		return;
	}
	http_json(rs, r.duplicate ? 200 : 201,
	          json_pack("{s:I,s:b}", "order", (json_int_t)r.order, "duplicate", r.duplicate));
}

void api_agents_results(struct http_req *rq, struct http_resp *rs)
{
	struct agent a = {0};
	int64_t now = store_now_ms();
	const char *why = NULL, *kind;
	json_t *b;

	if (!agent_auth(rq, rs, &a, now))
		return;
	seen_touch(a.id, NULL, now);
	b = http_body_json(rq, &why);
	if (b == NULL) {
		http_error(rs, 400, "invalid", "%s", why);
		return;
	}
	kind = str_field(b, "kind", 16);
	if (kind != NULL && strcmp(kind, "sweep") == 0)
		sweep_result(rq, rs, &a, b);
	else if (kind != NULL && strcmp(kind, "quarantine") == 0)
		order_result(rq, rs, &a, b);
	else if (kind != NULL && (strcmp(kind, "plant") == 0 || strcmp(kind, "unplant") == 0))
		drill_team_order_result(rq->ctx, a.host, a.unit, b, rs);
	else
		http_error(rs, 400, "invalid",
		           "\"kind\" must be sweep, quarantine, plant or unplant");
	json_decref(b);
}

/* ---- the fleet: list, revoke ---- */

struct fleet {
	const char *scope, *unit, *q;
	int64_t limit, offset, total, id;
	struct rows r;
	const struct caller *c;
	char host[256], aunit[128];
	bool found;
};

static int fleet_read(store_db *db, void *ctx, char **err)
{
	struct fleet *f = ctx;
	const char *su = f->scope && g_str_has_prefix(f->scope, "unit:") ? f->scope + 5 : NULL;
	const char *sr = f->scope && g_str_has_prefix(f->scope, "region:") ? f->scope + 7 : NULL;
	char *like = f->q ? g_strdup_printf("%%%s%%", f->q) : NULL;
	struct store_val p[] = {store_text(su),      store_text(su),      store_text(sr),
	                        store_text(sr),      store_text(f->unit), store_text(f->unit),
	                        store_text(like),    store_text(like),    store_int(f->limit),
	                        store_int(f->offset)};
#define FLEET_WHERE                                                                                \
	" WHERE (CAST(? AS TEXT) IS NULL OR unit = ?) AND (CAST(? AS TEXT) IS NULL OR region = "   \
	"?) "                                                                                      \
	"AND (CAST(? AS TEXT) IS NULL OR unit = ?) AND (CAST(? AS TEXT) IS NULL OR host LIKE ?)"
	int rc = store_sql(db, "SELECT count(*) FROM agents" FLEET_WHERE, p, 8, store_row_int,
	                   &f->total, err);

	if (rc == STORE_OK)
		rc = store_sql(db,
		               "SELECT id, host, unit, region, owner, os, version, enrolled_ms, "
		               "last_seen_ms, revoked FROM agents" FLEET_WHERE
		               " ORDER BY host, id LIMIT ? OFFSET ?",
		               p, 10, rows_json, &f->r, err);
#undef FLEET_WHERE
	g_free(like);
	return rc;
}

void api_agents_list(struct http_req *rq, struct http_resp *rs)
{
	static const char *const cols[] = {"id",           "host",     "unit",    "region",
	                                   "owner",        "os",       "version", "enrolled_ms",
	                                   "last_seen_ms", "?revoked", NULL};
	struct vsrv *srv = rq->ctx;
	struct fleet f = {.c = rq->auth, .r = {cols, json_array()}};
	char buf[200], *err = NULL;
	json_t *o;
	size_t i;
	int rc;

	if (!access_require(rq, rs, RIGHT_READ))
		goto out;
	f.scope = access_scope(f.c, buf, sizeof buf);
	f.unit = http_query(rq, "unit");
	f.q = http_query(rq, "q");
	if ((f.unit != NULL && strlen(f.unit) > 64) || (f.q != NULL && strlen(f.q) > 253)) {
		http_error(rs, 400, "invalid", "\"unit\" and \"q\" are at most 64 and 253 bytes");
		goto out;
	}
	page_args(rq, 100, 1000, &f.limit, &f.offset);
	rc = store_with(srv->st, 0, fleet_read, &f, &err);
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
		goto out;
	}
	json_array_foreach(f.r.arr, i, o)
	{
		int64_t db_ms = json_integer_value(json_object_get(o, "last_seen_ms"));
		int64_t mem = seen_get(json_integer_value(json_object_get(o, "id")));

		json_object_set_new(o, "last_seen_at", json_time(MAX(db_ms, mem)));
		json_object_set_new(
		        o, "enrolled_at",
		        json_time(json_integer_value(json_object_get(o, "enrolled_ms"))));
		json_object_del(o, "last_seen_ms");
		json_object_del(o, "enrolled_ms");
	}
	http_json(rs, 200,
	          json_pack("{s:O,s:I,s:I,s:I}", "agents", f.r.arr, "total", (json_int_t)f.total,
	                    "limit", (json_int_t)f.limit, "offset", (json_int_t)f.offset));
out:
	json_decref(f.r.arr);
}

static int revoke_row(void *ctx, const struct store_val *c, int nc)
{
	struct fleet *f = ctx;

	if (nc < 2)
		return 0;
	f->found = true;
	copy_text(f->host, sizeof f->host, &c[0]);
	copy_text(f->aunit, sizeof f->aunit, &c[1]);
	return 0;
}

static int revoke_tx(store_db *db, void *ctx, char **err)
{
	struct fleet *f = ctx;
	struct store_val id = store_int(f->id);
	char obj[48];
	json_t *d;
	int rc = store_sql(db, "SELECT host, unit FROM agents WHERE id = ?", &id, 1, revoke_row, f,
	                   err);

	if (rc != STORE_OK || !f->found)
		return rc;
	rc = store_sql(db, "UPDATE agents SET revoked = 1 WHERE id = ?", &id, 1, NULL, NULL, err);
	g_snprintf(obj, sizeof obj, "agent:%lld", (long long)f->id);
	d = json_pack("{s:s}", "host", f->host);
	if (rc == STORE_OK)
		rc = audit_append(db, f->c->username, "agent.revoke", obj,
		                  f->aunit[0] ? f->aunit : NULL, d, err);
	json_decref(d);
	return rc;
}

void api_agents_revoke(struct http_req *rq, struct http_resp *rs)
{
	struct vsrv *srv = rq->ctx;
	struct fleet f = {.c = rq->auth};
	char *err = NULL;
	int rc;

	if (!access_require(rq, rs, RIGHT_READ))
		return;
	if (!fleet_admin(f.c)) {
		http_error(rs, 403, "forbidden",
		           "only administrators and central analysts manage endpoint agents");
		return;
	}
	if (!server_parse_id(rq->params[0], &f.id)) {
		http_error(rs, 404, "not_found", "no such agent");
		return;
	}
	rc = store_with(srv->st, 1, revoke_tx, &f, &err);
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
		return;
	}
	if (!f.found) {
		http_error(rs, 404, "not_found", "no such agent");
		return;
	}
	http_json(rs, 200, json_pack("{s:I,s:b}", "id", (json_int_t)f.id, "revoked", 1));
}

/* ---- sweeps: create ---- */

struct sweep_new {
	struct igate g;
	json_t *given; /* the body's indicators, checked: {"sha256": [...], ...} or NULL */
	json_t *ind;   /* what the agents look for */
	size_t n_ind;
	const char *rules; /* YARA source, or NULL */
	GPtrArray *units;  /* asked for (borrowed), or empty for the incident's */
	GPtrArray *chosen; /* the units swept (g_free'd) */
	GHashTable *hosts; /* host -> unit (both owned) */
	GPtrArray *order;  /* hosts in the order found (borrowed from hosts) */
	int64_t deadline_s, id, deadline, expires;
	struct outcome o;
};

static void ind_add(json_t *ind, const char *type, const char *value, size_t *n)
{
	json_t *arr = json_object_get(ind, type), *v;
	size_t i;

	if (arr == NULL) {
		arr = json_array();
		json_object_set_new(ind, type, arr);
	}
	json_array_foreach(arr, i, v) if (strcmp(json_string_value(v), value) == 0) return;
	json_array_append_new(arr, json_string(value));
	(*n)++;
}

/* why value is no indicator of type (a sweep takes hashes and file names) */
static const char *ind_problem(const char *type, const char *v)
{
	if (strcmp(type, "sha256") == 0)
		return hexlen(v, 64) ? NULL : "a SHA-256 is 64 hexadecimal digits";
	if (strcmp(type, "sha1") == 0)
		return hexlen(v, 40) ? NULL : "a SHA-1 is 40 hexadecimal digits";
	if (strcmp(type, "md5") == 0)
		return hexlen(v, 32) ? NULL : "an MD5 is 32 hexadecimal digits";
	if (strlen(v) > 255 || strchr(v, '/') != NULL || strcmp(v, ".") == 0 ||
	    strcmp(v, "..") == 0)
		return "a file name is at most 255 bytes, without '/'";
	return NULL;
}

/* an indicator's value as the agents compare it (hashes in lower case) */
static char *ind_norm(const char *type, const char *v)
{
	return strcmp(type, "filename") == 0 ? g_strdup(v) : g_ascii_strdown(v, -1);
}

static int incident_ind_row(void *ctx, const struct store_val *c, int nc)
{
	struct sweep_new *s = ctx;
	char *v;

	if (nc < 2 || c[0].t != SV_TEXT || c[1].t != SV_TEXT || s->n_ind >= MAX_INDICATORS)
		return 0;
	if (ind_problem(c[0].s, c[1].s) != NULL)
		return 0;
	v = ind_norm(c[0].s, c[1].s);
	ind_add(s->ind, c[0].s, v, &s->n_ind);
	g_free(v);
	return 0;
}

static void host_add(struct sweep_new *s, const char *host, const char *unit)
{
	char *h;

	if (g_hash_table_contains(s->hosts, host))
		return;
	h = g_strdup(host);
	g_hash_table_insert(s->hosts, h, g_strdup(unit));
	g_ptr_array_add(s->order, h);
}

struct ep_ctx {
	struct sweep_new *s;
	const char *unit;
};

static void ep_found(void *ctx, const char *host)
{
	struct ep_ctx *e = ctx;

	host_add(e->s, host, e->unit);
}

static int agent_host_row(void *ctx, const struct store_val *c, int nc)
{
	struct ep_ctx *e = ctx;

	if (nc > 0 && c[0].t == SV_TEXT)
		host_add(e->s, c[0].s, e->unit);
	return 0;
}

static int sweep_insert(store_db *db, void *ctx, char **err)
{
	struct sweep_new *s = ctx;
	struct store_val id = store_int(s->g.id);
	int64_t now = store_now_ms();
	json_t *spec, *units = json_array();
	char *spec_s = NULL, *units_s = NULL, *text, obj[48];
	int rc = igate_check(db, &s->g, err);

	if (rc != STORE_OK)
		goto out;
	if ((rc = igate_outcome(&s->g, &s->o)) != STORE_OK)
		goto out;
	/* what to look for: the body's, else the incident's hashes and names */
	if (s->given != NULL) {
		json_object_update(s->ind, s->given);
	} else {
		rc = store_sql(db,
		               "SELECT type, value FROM indicators WHERE incident = ? AND type IN "
		               "('sha256', 'sha1', 'md5', 'filename') ORDER BY id",
		               &id, 1, incident_ind_row, s, err);
		if (rc != STORE_OK)
			goto out;
	}
	if (s->n_ind == 0 && s->rules == NULL) {
		rc = fail(
		        &s->o, 400, "invalid",
		        "the incident has no hash or file name indicators; give \"indicators\" or "
		        "\"rules\"");
		goto out;
	}
	/* where: the units asked for (each in the caller's scope), else the
	 * incident's units that are */
	for (guint i = 0; i < s->units->len; i++) {
		if (!covers(s->g.srv, s->g.c, RIGHT_WORK, s->units->pdata[i], s->g.drill)) {
			rc = fail(&s->o, 403, "forbidden",
			          "you may sweep only the endpoints of units in your scope");
			goto out;
		}
		g_ptr_array_add(s->chosen, g_strdup(s->units->pdata[i]));
	}
	for (guint i = 0; s->units->len == 0 && i < s->g.units->len; i++)
		if (covers(s->g.srv, s->g.c, RIGHT_WORK, s->g.units->pdata[i], s->g.drill))
			g_ptr_array_add(s->chosen, g_strdup(s->g.units->pdata[i]));
	if (s->chosen->len == 0) {
		rc = fail(&s->o, 403, "forbidden",
		          "you may sweep only the endpoints of units in your scope");
		goto out;
	}
	for (guint i = 0; i < s->chosen->len; i++) {
		struct ep_ctx e = {s, s->chosen->pdata[i]};
		struct store_val u = store_text(e.unit);

		json_array_append_new(units, json_string(e.unit));
		orgmap_unit_endpoints(s->g.srv->org, e.unit, ep_found, &e);
		rc = store_sql(db, "SELECT host FROM agents WHERE unit = ? AND revoked = 0", &u, 1,
		               agent_host_row, &e, err);
		if (rc != STORE_OK)
			goto out;
	}
	if (s->order->len == 0) {
		rc = fail(
		        &s->o, 422, "no_endpoints",
		        "these units have no endpoints in the organisation and no enrolled agents");
		goto out;
	}
	if (s->order->len > MAX_TARGETS) {
		rc = fail(&s->o, 400, "invalid",
		          "a sweep reaches at most 30000 endpoints; choose fewer units");
		goto out;
	}
	spec = json_pack("{s:O}", "indicators", s->ind);
	if (s->rules != NULL)
		json_object_set_new(spec, "rules", json_string(s->rules));
	spec_s = json_dumps(spec, JSON_COMPACT);
	json_decref(spec);
	units_s = json_dumps(units, JSON_COMPACT);
	s->deadline = now + s->deadline_s * 1000;
	s->expires = now + SWEEP_EXPIRY_MS;
	{
		struct store_val p[] = {store_int(s->g.id),   store_text(spec_s),
		                        store_text(units_s),  store_text(s->g.c->username),
		                        store_int(now),       store_int(s->deadline),
		                        store_int(s->expires)};

		rc = store_sql(db,
		               "INSERT INTO sweeps (incident, spec, units, created_by, created_ms, "
		               "deadline_ms, expires_ms) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
		               p, 7, store_row_int, &s->id, err);
	}
	for (guint i = 0; rc == STORE_OK && i < s->order->len; i++) {
		const char *h = s->order->pdata[i];
		struct store_val p[] = {store_int(s->id), store_text(h),
		                        store_text(g_hash_table_lookup(s->hosts, h)),
		                        store_int(s->expires)};

		rc = store_sql(
		        db,
		        "INSERT INTO sweep_targets (sweep, host, unit, expires_ms) VALUES (?, ?, "
		        "?, ?)",
		        p, 4, NULL, NULL, err);
	}
	if (rc != STORE_OK)
		goto out;
	text = g_strdup_printf("Rà quét máy trạm #%lld: %zu chỉ dấu%s, %u đơn vị, %u máy trạm",
	                       (long long)s->id, s->n_ind, s->rules ? " và luật YARA" : "",
	                       s->chosen->len, s->order->len);
	rc = add_event(db, s->g.id, s->g.c->username, "sweep", text, err);
	g_free(text);
	g_snprintf(obj, sizeof obj, "sweep:%lld", (long long)s->id);
	if (rc == STORE_OK) {
		json_t *d = json_pack("{s:I,s:O,s:I,s:I,s:b,s:o}", "incident", (json_int_t)s->g.id,
		                      "units", units, "targets", (json_int_t)s->order->len,
		                      "indicators", (json_int_t)s->n_ind, "rules", s->rules != NULL,
		                      "deadline_at", json_time(s->deadline));

		rc = audit_append(db, s->g.c->username, "sweep.create", obj,
		                  s->chosen->len == 1 ? (const char *)s->chosen->pdata[0] : NULL, d,
		                  err);
		json_decref(d);
	}
out:
	json_decref(units);
	free(spec_s);
	free(units_s);
	return rc;
}

/* the rules compile (libvigil's YARA), else why not (g_free) */
static char *rules_problem(const char *rules)
{
	vigil_config *cfg = vigil_config_new();
	vigil_engine *eng = NULL;
	char *msg = NULL, *out = NULL;

	if (cfg == NULL)
		return g_strdup("out of memory");
	if (vigil_config_add_rules_text(cfg, "sweep", rules) != VIGIL_OK ||
	    vigil_engine_new(cfg, &eng, &msg) != VIGIL_OK)
		out = g_strdup_printf("%.500s", msg ? msg : "the rules do not compile");
	vigil_free(msg);
	vigil_engine_unref(eng);
	vigil_config_free(cfg);
	return out;
}

/* the body's indicators into s->given; false with *why */
static bool parse_indicators(json_t *arr, struct sweep_new *s, const char **why)
{
	json_t *x;
	size_t i;

	if (arr == NULL)
		return true;
	if (!json_is_array(arr) || json_array_size(arr) > MAX_INDICATORS) {
		*why = "\"indicators\" must be an array of at most 1000 {\"type\", \"value\"}";
		return false;
	}
	s->given = json_object();
	json_array_foreach(arr, i, x)
	{
		const char *type = str_field(x, "type", 16), *value = str_field(x, "value", 255);
		int t = -1;
		char *v;

		for (int k = 0; type != NULL && ind_types[k] != NULL; k++)
			if (strcmp(type, ind_types[k]) == 0)
				t = k;
		if (t < 0 || value == NULL) {
			*why = "each indicator needs \"type\" (sha256, sha1, md5 or filename) and "
			       "\"value\"";
			return false;
		}
		if ((*why = ind_problem(type, value)) != NULL)
			return false;
		v = ind_norm(type, value);
		ind_add(s->given, type, v, &s->n_ind);
		g_free(v);
	}
	return true;
}

void api_sweeps_create(struct http_req *rq, struct http_resp *rs)
{
	struct vsrv *srv = rq->ctx;
	struct sweep_new s = {.g = {.srv = srv, .c = rq->auth, .right = RIGHT_WORK},
	                      .deadline_s = DEADLINE_DEFAULT_S};
	const char *why = NULL;
	json_t *b = NULL, *units, *dl, *u;
	char *problem = NULL, *err = NULL;
	size_t i;
	int rc;

	if (!access_require(rq, rs, RIGHT_WORK))
		return;
	if (!server_parse_id(rq->params[0], &s.g.id)) {
		http_error(rs, 404, "not_found", "no such incident");
		return;
	}
	b = rq->body_len == 0 ? json_object() : http_body_json(rq, &why);
	if (b == NULL) {
		http_error(rs, 400, "invalid", "%s", why);
		return;
	}
	s.ind = json_object();
	s.units = g_ptr_array_new();
	s.chosen = g_ptr_array_new_with_free_func(g_free);
	s.hosts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	s.order = g_ptr_array_new();
	if (!parse_indicators(json_object_get(b, "indicators"), &s, &why)) {
		http_error(rs, 400, "invalid", "%s", why);
		goto out;
	}
	s.rules = str_field(b, "rules", MAX_RULES);
	units = json_object_get(b, "units");
	dl = json_object_get(b, "deadline_seconds");
	if ((json_object_get(b, "rules") && s.rules == NULL) ||
	    (units != NULL && (!json_is_array(units) || json_array_size(units) == 0 ||
	                       json_array_size(units) > MAX_SWEEP_UNITS)) ||
	    (dl != NULL && (!json_is_integer(dl) || json_integer_value(dl) < DEADLINE_MIN_S ||
	                    json_integer_value(dl) > DEADLINE_MAX_S))) {
		http_error(rs, 400, "invalid",
		           "give optionally \"indicators\", \"rules\" (YARA, at most 64 KiB), "
		           "\"units\" (1..64 unit ids; default the incident's) and "
		           "\"deadline_seconds\" (5..604800, default 14400)");
		goto out;
	}
	if (dl != NULL)
		s.deadline_s = json_integer_value(dl);
	json_array_foreach(units, i, u)
	{
		const char *id = json_string_value(u);

		if (id == NULL || !orgmap_has_unit(srv->org, id)) {
			http_error(rs, 400, "invalid",
			           "units[%zu] is not a unit of the organisation", i);
			goto out;
		}
		g_ptr_array_add(s.units, (gpointer)id);
	}
	if (s.rules != NULL && (problem = rules_problem(s.rules)) != NULL) {
		http_error(rs, 400, "invalid", "the YARA rules do not compile: %s", problem);
		goto out;
	}
	rc = store_with(srv->st, 1, sweep_insert, &s, &err);
	if (rc != STORE_OK) {
		answer_error(rs, rc, err, &s.o);
		goto out;
	}
	{
		json_t *ul = json_array();

		for (guint k = 0; k < s.chosen->len; k++)
			json_array_append_new(ul, json_string(s.chosen->pdata[k]));
		http_json(rs, 201,
		          json_pack("{s:I,s:I,s:o,s:I,s:I,s:o}", "id", (json_int_t)s.id, "incident",
		                    (json_int_t)s.g.id, "units", ul, "targets",
		                    (json_int_t)s.order->len, "indicators", (json_int_t)s.n_ind,
		                    "deadline_at", json_time(s.deadline)));
	}
out:
	g_free(problem);
	json_decref(s.given);
	json_decref(s.ind);
	g_ptr_array_unref(s.units);
	g_ptr_array_unref(s.chosen);
	g_ptr_array_unref(s.order);
	g_hash_table_destroy(s.hosts);
	igate_free(&s.g);
	json_decref(b);
}

/* ---- sweeps: what the endpoints found ---- */

static const char *const statuses[] = {"infected", "clean",       "incomplete",
                                       "pending",  "not_reached", NULL};

struct sweep_view {
	struct igate g;
	const char *f_status, *f_unit;
	int64_t limit, now;
	json_t *sweeps;
	/* the sweep being read */
	json_t *cur, *per_unit, *totals, *endpoints;
	GHashTable *by_host; /* host -> endpoint object (borrowed), listed ones */
	int64_t created, deadline, listed, matching;
};

static void count(json_t *o, const char *key)
{
	json_object_set_new(o, key, json_integer(json_integer_value(json_object_get(o, key)) + 1));
}

static json_t *counters(void)
{
	json_t *o = json_object();

	for (int i = 0; statuses[i] != NULL; i++)
		json_object_set_new(o, statuses[i], json_integer(0));
	json_object_set_new(o, "total", json_integer(0));
	return o;
}

/* host, unit, state, delivered_ms, reported_ms, outcome, files, hits, detail,
 * agent id, agent last_seen_ms, agent version */
static int view_target_row(void *ctx, const struct store_val *c, int nc)
{
	struct sweep_view *v = ctx;
	const char *host, *unit, *status, *reason = NULL;
	int64_t state, agent, seen_ms = 0;
	json_t *u, *e;

	if (nc < 12 || c[0].t != SV_TEXT || c[1].t != SV_TEXT)
		return 0;
	host = c[0].s;
	unit = c[1].s;
	/* endpoints outside the caller's units are not shown (nor counted) */
	if (!covers(v->g.srv, v->g.c, RIGHT_READ, unit, v->g.drill))
		return 0;
	state = col_int(&c[2]);
	agent = c[9].t == SV_NULL ? 0 : col_int(&c[9]);
	if (agent != 0)
		seen_ms = MAX(col_int(&c[10]), seen_get(agent));
	if (state == 2 && c[5].t == SV_TEXT) {
		status = c[5].s;
	} else if (v->now < v->deadline) {
		status = "pending";
		reason = agent == 0 ? "no_agent" : state == 1 ? "delivered" : "waiting";
	} else {
		/* no result by the deadline: not reached, whatever happened */
		status = "not_reached";
		reason = agent == 0             ? "no_agent"
		         : state == 1           ? "no_result"
		         : seen_ms < v->created ? "not_seen"
		                                : "no_result";
	}
	u = json_object_get(v->per_unit, unit);
	if (u == NULL) {
		u = counters();
		json_object_set_new(v->per_unit, unit, u);
	}
	count(u, status);
	count(u, "total");
	count(v->totals, status);
	count(v->totals, "total");
	if ((v->f_status != NULL && strcmp(v->f_status, status) != 0) ||
	    (v->f_unit != NULL && strcmp(v->f_unit, unit) != 0))
		return 0;
	v->matching++;
	if (v->listed >= v->limit)
		return 0;
	v->listed++;
	e = json_pack("{s:s,s:s,s:s,s:s?,s:o,s:o,s:o,s:b}", "host", host, "unit", unit, "status",
	              status, "reason", reason, "agent",
	              agent ? json_pack("{s:I,s:o,s:s?}", "id", (json_int_t)agent, "last_seen_at",
	                                json_time(seen_ms), "version",
	                                c[11].t == SV_TEXT ? c[11].s : NULL)
	                    : json_null(),
	              "delivered_at", json_time(c[3].t == SV_NULL ? 0 : col_int(&c[3])),
	              "reported_at", json_time(c[4].t == SV_NULL ? 0 : col_int(&c[4])), "late",
	              state == 2 && col_int(&c[4]) > v->deadline);
	if (state == 2) {
		json_t *d = c[8].t == SV_TEXT ? json_loads(c[8].s, 0, NULL) : NULL;

		json_object_set_new(e, "files", json_integer(col_int(&c[6])));
		json_object_set_new(e, "detail", d ? d : json_null());
	}
	json_object_set_new(e, "hits", json_array());
	json_array_append_new(v->endpoints, e);
	g_hash_table_insert(v->by_host, g_strdup(host), e);
	return 0;
}

static const char *const order_states[] = {"ordered", "delivered", "quarantined", "failed"};

/* id, host, path, sha256, size, mtime_ms, matched, object, order id, state, result */
static int view_hit_row(void *ctx, const struct store_val *c, int nc)
{
	struct sweep_view *v = ctx;
	json_t *e, *h;

	if (nc < 11 || c[1].t != SV_TEXT)
		return 0;
	e = g_hash_table_lookup(v->by_host, c[1].s);
	if (e == NULL)
		return 0;
	h = json_pack("{s:I,s:s,s:s?,s:o,s:o,s:s?,s:s?}", "id", (json_int_t)col_int(&c[0]), "path",
	              c[2].t == SV_TEXT ? c[2].s : "", "sha256", c[3].t == SV_TEXT ? c[3].s : NULL,
	              "size", c[4].t == SV_NULL ? json_null() : json_integer(col_int(&c[4])),
	              "mtime", json_time(col_int(&c[5])), "matched",
	              c[6].t == SV_TEXT ? c[6].s : NULL, "object",
	              c[7].t == SV_TEXT ? c[7].s : NULL);
	if (h == NULL)
		return 0;
	if (c[8].t != SV_NULL) {
		int64_t st = col_int(&c[9]);
		json_t *res = c[10].t == SV_TEXT ? json_loads(c[10].s, 0, NULL) : NULL;

		json_object_set_new(h, "quarantine",
		                    json_pack("{s:I,s:s,s:o}", "order", (json_int_t)col_int(&c[8]),
		                              "state", st >= 0 && st <= 3 ? order_states[st] : "?",
		                              "result", res ? res : json_null()));
	}
	json_array_append_new(json_object_get(e, "hits"), h);
	return 0;
}

/* id, spec, units, created_by, created_ms, deadline_ms, expires_ms */
static int view_sweep_row(void *ctx, const struct store_val *c, int nc)
{
	struct sweep_view *v = ctx;
	json_t *spec, *units, *s;

	if (nc < 7 || c[1].t != SV_TEXT || c[2].t != SV_TEXT)
		return 0;
	spec = json_loads(c[1].s, 0, NULL);
	units = json_loads(c[2].s, 0, NULL);
	s = json_pack("{s:I,s:o,s:o,s:s?,s:o,s:o,s:o,s:I,s:I}", "id", (json_int_t)col_int(&c[0]),
	              "indicators",
	              json_incref(json_object_get(spec, "indicators")) ?: json_object(), "units",
	              units ? units : json_array(), "created_by", c[3].t == SV_TEXT ? c[3].s : NULL,
	              "created_at", json_time(col_int(&c[4])), "deadline_at",
	              json_time(col_int(&c[5])), "expires_at", json_time(col_int(&c[6])),
	              "created_ms", (json_int_t)col_int(&c[4]), "deadline_ms",
	              (json_int_t)col_int(&c[5]));
	json_object_set_new(s, "rules", json_boolean(json_object_get(spec, "rules") != NULL));
	json_decref(spec);
	json_array_append_new(v->sweeps, s);
	return 0;
}

static int sweeps_read(store_db *db, void *ctx, char **err)
{
	struct sweep_view *v = ctx;
	struct store_val id = store_int(v->g.id);
	json_t *s;
	size_t i;
	int rc = igate_check(db, &v->g, err);

	if (rc != STORE_OK || !v->g.exists || !v->g.allowed)
		return rc;
	rc = store_sql(
	        db,
	        "SELECT id, spec, units, created_by, created_ms, deadline_ms, expires_ms FROM "
	        "sweeps WHERE incident = ? ORDER BY id DESC LIMIT 20",
	        &id, 1, view_sweep_row, v, err);
	json_array_foreach(v->sweeps, i, s)
	{
		struct store_val sid = store_int(json_integer_value(json_object_get(s, "id")));

		if (rc != STORE_OK)
			break;
		v->created = json_integer_value(json_object_get(s, "created_ms"));
		v->deadline = json_integer_value(json_object_get(s, "deadline_ms"));
		json_object_del(s, "created_ms");
		json_object_del(s, "deadline_ms");
		v->per_unit = json_object();
		v->totals = counters();
		v->endpoints = json_array();
		v->by_host = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
		v->listed = v->matching = 0;
		rc = store_sql(
		        db,
		        "SELECT t.host, t.unit, t.state, t.delivered_ms, t.reported_ms, "
		        "t.outcome, t.files, t.hits, t.detail, a.id, a.last_seen_ms, a.version "
		        "FROM sweep_targets t LEFT JOIN agents a ON a.host = t.host AND "
		        "a.revoked = 0 WHERE t.sweep = ? ORDER BY t.unit, t.host",
		        &sid, 1, view_target_row, v, err);
		if (rc == STORE_OK) {
			struct store_val p[] = {sid, store_int(MAX_HITS_SHOWN)};

			rc = store_sql(
			        db,
			        "SELECT h.id, h.host, h.path, h.sha256, h.size, h.mtime_ms, "
			        "h.matched, "
			        "h.object, o.id, o.state, o.result FROM sweep_hits h LEFT JOIN "
			        "agent_orders o ON o.id = (SELECT max(o2.id) FROM agent_orders o2 "
			        "WHERE "
			        "o2.hit = h.id) WHERE h.sweep = ? ORDER BY h.id LIMIT ?",
			        p, 2, view_hit_row, v, err);
		}
		json_object_set_new(s, "summary", v->totals);
		json_object_set_new(s, "units_summary", v->per_unit);
		json_object_set_new(s, "endpoints", v->endpoints);
		json_object_set_new(s, "endpoints_total", json_integer(v->matching));
		g_hash_table_destroy(v->by_host);
		v->by_host = NULL;
	}
	return rc;
}

void api_sweeps_list(struct http_req *rq, struct http_resp *rs)
{
	struct vsrv *srv = rq->ctx;
	struct sweep_view v = {.g = {.srv = srv, .c = rq->auth, .right = RIGHT_READ},
	                       .now = store_now_ms()};
	int64_t offset;
	char *err = NULL;
	int rc, ok = 0;

	if (!access_require(rq, rs, RIGHT_READ))
		return;
	if (!server_parse_id(rq->params[0], &v.g.id)) {
		http_error(rs, 404, "not_found", "no such incident");
		return;
	}
	v.f_status = http_query(rq, "status");
	v.f_unit = http_query(rq, "unit");
	for (int i = 0; v.f_status != NULL && statuses[i] != NULL; i++)
		ok |= strcmp(statuses[i], v.f_status) == 0;
	if (v.f_status != NULL && !ok) {
		http_error(
		        rs, 400, "invalid",
		        "status must be one of infected, clean, incomplete, pending, not_reached");
		return;
	}
	page_args(rq, 1000, 5000, &v.limit, &offset);
	v.sweeps = json_array();
	rc = store_with(srv->st, 0, sweeps_read, &v, &err);
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
	} else if (!v.g.exists || !v.g.allowed) {
		http_error(rs, 404, "not_found", "no such incident");
	} else {
		http_json(rs, 200,
		          json_pack("{s:I,s:O,s:o}", "incident", (json_int_t)v.g.id, "sweeps",
		                    v.sweeps, "now", json_time(v.now)));
	}
	json_decref(v.sweeps);
	igate_free(&v.g);
}

/* ---- quarantine orders ---- */

struct qnew {
	struct igate g;
	int64_t sweep, hit, order;
	const char *host_in, *path_in;
	bool found, existing;
	char host[256], path[MAX_PATH + 1], sha[65], unit[128];
	struct outcome o;
};

static int qhit_row(void *ctx, const struct store_val *c, int nc)
{
	struct qnew *q = ctx;

	if (nc < 4 || q->found)
		return 0;
	q->found = true;
	q->hit = col_int(&c[0]);
	copy_text(q->host, sizeof q->host, &c[1]);
	copy_text(q->path, sizeof q->path, &c[2]);
	copy_text(q->sha, sizeof q->sha, &c[3]);
	return 0;
}

static int qunit_row(void *ctx, const struct store_val *c, int nc)
{
	struct qnew *q = ctx;

	if (nc > 0)
		copy_text(q->unit, sizeof q->unit, &c[0]);
	return 0;
}

static int quarantine_tx(store_db *db, void *ctx, char **err)
{
	struct qnew *q = ctx;
	int64_t n = 0, now = store_now_ms();
	char obj[48], *text;
	int rc = igate_check(db, &q->g, err);

	if (rc != STORE_OK || (rc = igate_outcome(&q->g, &q->o)) != STORE_OK)
		return rc;
	{
		struct store_val p[] = {store_int(q->sweep), store_int(q->g.id)};

		rc = store_sql(db, "SELECT count(*) FROM sweeps WHERE id = ? AND incident = ?", p,
		               2, store_row_int, &n, err);
	}
	if (rc != STORE_OK)
		return rc;
	if (n == 0)
		return fail(&q->o, 404, "not_found", "no such sweep in this incident");
	if (q->hit != 0) {
		struct store_val p[] = {store_int(q->hit), store_int(q->sweep)};

		rc = store_sql(
		        db,
		        "SELECT id, host, path, sha256 FROM sweep_hits WHERE id = ? AND sweep "
		        "= ?",
		        p, 2, qhit_row, q, err);
	} else {
		struct store_val p[] = {store_int(q->sweep), store_text(q->host_in),
		                        store_text(q->path_in)};

		rc = store_sql(
		        db,
		        "SELECT id, host, path, sha256 FROM sweep_hits WHERE sweep = ? AND host "
		        "= ? AND path = ? ORDER BY id",
		        p, 3, qhit_row, q, err);
	}
	if (rc != STORE_OK)
		return rc;
	if (q->found) {
		struct store_val p[] = {store_int(q->sweep), store_text(q->host)};

		rc = store_sql(db, "SELECT unit FROM sweep_targets WHERE sweep = ? AND host = ?", p,
		               2, qunit_row, q, err);
		if (rc != STORE_OK)
			return rc;
	}
	/* a hit outside the caller's units is as absent as one never reported */
	if (!q->found || !covers(q->g.srv, q->g.c, RIGHT_WORK, q->unit, q->g.drill))
		return fail(&q->o, 404, "not_found",
		            "no such hit: only a file an agent reported in this sweep can be "
		            "quarantined");
	{
		struct store_val p = store_int(q->hit);

		rc = store_sql(
		        db,
		        "SELECT id FROM agent_orders WHERE hit = ? AND state < 3 ORDER BY id "
		        "DESC LIMIT 1",
		        &p, 1, store_row_int, &q->order, err);
		if (rc != STORE_OK)
			return rc;
		if (q->order != 0) {
			q->existing = true;
			return STORE_OK;
		}
	}
	{
		struct store_val p[] = {
		        store_text(q->host),          store_int(q->g.id),
		        store_int(q->sweep),          store_int(q->hit),
		        store_text(q->path),          store_text(q->sha[0] ? q->sha : NULL),
		        store_text(q->g.c->username), store_int(now)};

		rc = store_sql(
		        db,
		        "INSERT INTO agent_orders (host, incident, sweep, hit, kind, path, "
		        "sha256, created_by, created_ms) VALUES (?, ?, ?, ?, 'quarantine', ?, ?, "
		        "?, ?) RETURNING id",
		        p, 8, store_row_int, &q->order, err);
	}
	if (rc != STORE_OK)
		return rc;
	text = g_strdup_printf("Lệnh cách ly tệp %.300s trên máy %s (rà quét #%lld)", q->path,
	                       q->host, (long long)q->sweep);
	rc = add_event(db, q->g.id, q->g.c->username, "sweep.quarantine", text, err);
	g_free(text);
	g_snprintf(obj, sizeof obj, "order:%lld", (long long)q->order);
	if (rc == STORE_OK) {
		json_t *d =
		        json_pack("{s:I,s:s,s:s,s:s?}", "sweep", (json_int_t)q->sweep, "host",
		                  q->host, "path", q->path, "sha256", q->sha[0] ? q->sha : NULL);

		rc = audit_append(db, q->g.c->username, "sweep.quarantine", obj, q->unit, d, err);
		json_decref(d);
	}
	return rc;
}

void api_sweeps_quarantine(struct http_req *rq, struct http_resp *rs)
{
	struct vsrv *srv = rq->ctx;
	struct qnew q = {.g = {.srv = srv, .c = rq->auth, .right = RIGHT_WORK}};
	const char *why = NULL;
	json_t *b, *hit;
	char *err = NULL, *host = NULL;
	int rc;

	if (!access_require(rq, rs, RIGHT_WORK))
		return;
	if (!server_parse_id(rq->params[0], &q.g.id) || !server_parse_id(rq->params[1], &q.sweep)) {
		http_error(rs, 404, "not_found", "no such incident");
		return;
	}
	b = http_body_json(rq, &why);
	if (b == NULL) {
		http_error(rs, 400, "invalid", "%s", why);
		return;
	}
	hit = json_object_get(b, "hit");
	q.host_in = str_field(b, "host", 253);
	q.path_in = str_field(b, "path", MAX_PATH);
	if (json_is_integer(hit) && json_integer_value(hit) > 0) {
		q.hit = json_integer_value(hit);
	} else if (hit != NULL || q.host_in == NULL || q.path_in == NULL) {
		http_error(rs, 400, "invalid",
		           "give \"host\" and \"path\" of a hit (or its \"hit\" id) to quarantine");
		goto out;
	} else {
		host = g_ascii_strdown(q.host_in, -1);
		q.host_in = host;
	}
	rc = store_with(srv->st, 1, quarantine_tx, &q, &err);
	if (rc != STORE_OK) {
		answer_error(rs, rc, err, &q.o);
		goto out;
	}
	http_json(rs, q.existing ? 200 : 201,
	          json_pack("{s:I,s:I,s:s,s:s,s:b}", "order", (json_int_t)q.order, "sweep",
	                    (json_int_t)q.sweep, "host", q.host, "path", q.path, "existing",
	                    q.existing));
out:
	g_free(host);
	igate_free(&q.g);
	json_decref(b);
}
