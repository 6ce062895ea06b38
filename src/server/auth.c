/*
 * auth.c - passwords, sessions, CSRF, API tokens, login throttling (auth.h).
 *
 * auth_before() runs before every API handler: it decides who is calling
 * (session cookie or Bearer token), refuses what may not even be attempted
 * (no identity → 401; a state-changing request with a cookie but without
 * the CSRF token → 403), and leaves the rest to the handlers, which ask
 * access.c. Endpoints that need no identity are listed here, not in the
 * handlers, so a forgotten check fails closed.
 */
#include "auth.h"

#include <glib.h>
#include <pthread.h>
#include <semaphore.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "orgmap.h"

#define COOKIE "vigil_session"
#define IP_WINDOW_MS (5 * 60 * 1000)
#define IP_ATTEMPTS 20
#define IP_TABLE_MAX 10000

static sem_t hashing;
static char *dummy_hash; /* verified against for unknown users: same timing */

/* per-address login attempts: ip -> struct attempts */
struct attempts {
	int64_t since;
	int n;
};
static GHashTable *by_ip;
static pthread_mutex_t ip_mu = PTHREAD_MUTEX_INITIALIZER;

int auth_init(void)
{
	if (sodium_init() < 0)
		return -1;
	sem_init(&hashing, 0, AUTH_MAX_HASHING);
	by_ip = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	dummy_hash = auth_hash_password("not a password of anyone");
	return dummy_hash != NULL ? 0 : -1;
}

char *auth_hash_password(const char *pw)
{
	char out[crypto_pwhash_STRBYTES];
	int rc;

	sem_wait(&hashing);
	rc = crypto_pwhash_str(out, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                       crypto_pwhash_MEMLIMIT_INTERACTIVE);
	sem_post(&hashing);
	return rc == 0 ? g_strdup(out) : NULL;
}

bool auth_check_password(const char *hash, const char *pw)
{
	int rc;

	if (hash == NULL || pw == NULL || strlen(hash) >= crypto_pwhash_STRBYTES)
		return false;
	sem_wait(&hashing);
	rc = crypto_pwhash_str_verify(hash, pw, strlen(pw));
	sem_post(&hashing);
	return rc == 0;
}

const char *auth_password_problem(const char *pw)
{
	size_t n = pw ? strlen(pw) : 0;

	if (n < 10)
		return "the password must be at least 10 characters long";
	if (n > 128)
		return "the password must be at most 128 characters long";
	if (!g_utf8_validate(pw, -1, NULL))
		return "the password must be valid UTF-8 text";
	return NULL;
}

char *auth_random_token(const char *prefix)
{
	uint8_t raw[32];
	char b64[64];

	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(b64, sizeof b64, raw, sizeof raw,
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return g_strconcat(prefix, b64, NULL);
}

void auth_sha256_hex(const char *s, char out[65])
{
	uint8_t md[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(md, (const uint8_t *)s, strlen(s));
	sodium_bin2hex(out, 65, md, sizeof md);
}

/* ---- who is calling ---- */

struct lookup {
	struct caller *c;
	bool found;
	int64_t expires, last;
	bool disabled, revoked;
};

static void copy_text(char *dst, size_t n, const struct store_val *v)
{
	g_strlcpy(dst, v->t == SV_TEXT ? v->s : "", n);
}

/* id, username, role, unit, region, lang, disabled, csrf, expires_ms, last_ms */
static int session_row(void *ctx, const struct store_val *c, int nc)
{
	struct lookup *l = ctx;
	int r;

	if (nc < 10)
		return 0;
	l->found = true;
	l->c->user_id = c[0].i;
	copy_text(l->c->username, sizeof l->c->username, &c[1]);
	r = role_parse(c[2].t == SV_TEXT ? c[2].s : "");
	l->c->role = r < 0 ? ROLE_VIEWER : (enum role)r;
	copy_text(l->c->unit, sizeof l->c->unit, &c[3]);
	copy_text(l->c->region, sizeof l->c->region, &c[4]);
	copy_text(l->c->lang, sizeof l->c->lang, &c[5]);
	l->disabled = c[6].i != 0;
	copy_text(l->c->csrf, sizeof l->c->csrf, &c[7]);
	l->expires = c[8].i;
	l->last = c[9].i;
	return 0;
}

struct sess_ctx {
	struct lookup *l;
	const char *sid;
	int64_t idle_ms;
};

static int find_session(store_db *db, void *ctx, char **err)
{
	struct sess_ctx *s = ctx;
	struct store_val p = store_text(s->sid);
	int64_t now = store_now_ms();
	int rc = store_sql(db,
	                   "SELECT u.id, u.username, u.role, u.unit, u.region, u.lang, u.disabled, "
	                   "s.csrf, s.expires_ms, s.last_ms FROM sessions s JOIN users u ON "
	                   "u.id = s.user_id WHERE s.id = ?",
	                   &p, 1, session_row, s->l, err);

	if (rc != STORE_OK || !s->l->found)
		return rc;
	if (s->l->disabled || s->l->expires < now || s->l->last + s->idle_ms < now) {
		s->l->found = false;
		return store_sql(db, "DELETE FROM sessions WHERE id = ?", &p, 1, NULL, NULL, err);
	}
	/* touch at most once a minute: a write per request would serialise reads */
	if (now - s->l->last > 60000) {
		struct store_val q[] = {store_int(now), store_text(s->sid)};

		return store_sql(db, "UPDATE sessions SET last_ms = ? WHERE id = ?", q, 2, NULL,
		                 NULL, err);
	}
	return STORE_OK;
}

/* kind, unit, revoked, user's id/username/role/unit/region/lang (may be
 * null), the token's id and name */
static int token_row(void *ctx, const struct store_val *c, int nc)
{
	struct lookup *l = ctx;

	if (nc < 11)
		return 0;
	l->found = true;
	l->c->token_id = c[9].t == SV_INT ? c[9].i : 0;
	copy_text(l->c->token_name, sizeof l->c->token_name, &c[10]);
	copy_text(l->c->kind, sizeof l->c->kind, &c[0]);
	copy_text(l->c->unit, sizeof l->c->unit, &c[1]);
	l->revoked = c[2].i != 0;
	if (c[3].t == SV_INT) {
		int r = role_parse(c[5].t == SV_TEXT ? c[5].s : "");

		l->c->user_id = c[3].i;
		copy_text(l->c->username, sizeof l->c->username, &c[4]);
		l->c->role = r < 0 ? ROLE_VIEWER : (enum role)r;
		if (l->c->unit[0] == 0)
			copy_text(l->c->unit, sizeof l->c->unit, &c[6]);
		copy_text(l->c->region, sizeof l->c->region, &c[7]);
		copy_text(l->c->lang, sizeof l->c->lang, &c[8]);
	} else {
		/* gateway and agent tokens act for no person and see nothing */
		l->c->role = ROLE_VIEWER;
		g_strlcpy(l->c->username, l->c->kind, sizeof l->c->username);
	}
	return 0;
}

static int find_token(store_db *db, void *ctx, char **err)
{
	struct sess_ctx *s = ctx;
	struct store_val p = store_text(s->sid);
	int rc = store_sql(db,
	                   "SELECT t.kind, t.unit, t.revoked, u.id, u.username, u.role, u.unit, "
	                   "u.region, u.lang, t.id, t.name FROM api_tokens t LEFT JOIN users u "
	                   "ON u.id = t.user_id AND u.disabled = 0 WHERE t.token_hash = ?",
	                   &p, 1, token_row, s->l, err);

	if (rc == STORE_OK && s->l->found && s->l->revoked)
		s->l->found = false;
	return rc;
}

static bool changes_state(const char *m)
{
	return strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0 && strcmp(m, "OPTIONS") != 0;
}

/* requests that need no identity */
static bool public_route(struct http_req *rq)
{
	/* GET /session answers {"authenticated": false} rather than 401, so the
	 * UI can ask who is signed in without an error in the browser */
	return (strcmp(rq->path, "/api/v1/session") == 0 &&
	        (strcmp(rq->method, "POST") == 0 || strcmp(rq->method, "GET") == 0)) ||
	       strcmp(rq->path, "/api/v1/health") == 0;
}

/*
 * vigil-agent's own endpoints: an agent proves its agent credential (or, to
 * enrol, a one-time enrolment token) to api_agents.c, which refuses every
 * request without one (agents_caller). They are not people's endpoints:
 * no session, no API token lookup here.
 */
static bool agent_route(struct http_req *rq)
{
	return strcmp(rq->method, "POST") == 0 &&
	       (strcmp(rq->path, "/api/v1/agents/enrol") == 0 ||
	        strcmp(rq->path, "/api/v1/agents/checkin") == 0 ||
	        strcmp(rq->path, "/api/v1/agents/results") == 0);
}

void auth_before(struct http_req *rq, struct http_resp *rs)
{
	struct vsrv *srv = rq->ctx;
	struct caller *c = g_new0(struct caller, 1);
	struct lookup l = {.c = c};
	const char *authz = http_header(rq, "Authorization");
	const char *cookie = http_cookie(rq, COOKIE);
	char hash[65];
	char *err = NULL;
	int rc = STORE_OK;

	rq->auth = c;
	g_strlcpy(c->lang, "vi", sizeof c->lang);
	if (agent_route(rq))
		return;
	if (authz != NULL && g_ascii_strncasecmp(authz, "Bearer ", 7) == 0 && strlen(authz) < 200) {
		struct sess_ctx s = {&l, hash, 0};

		auth_sha256_hex(authz + 7, hash);
		rc = store_with(srv->st, 0, find_token, &s, &err);
		if (rc == STORE_OK && l.found) {
			c->authenticated = true;
			c->via_token = true;
		}
	} else if (cookie != NULL && strlen(cookie) < 200) {
		struct sess_ctx s = {&l, hash, srv->session_idle_ms};

		auth_sha256_hex(cookie, hash);
		rc = store_with(srv->st, 1, find_session, &s, &err);
		if (rc == STORE_OK && l.found) {
			c->authenticated = true;
			g_strlcpy(c->kind, "session", sizeof c->kind);
			g_strlcpy(c->session, hash, sizeof c->session);
		}
	}
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
		return;
	}
	free(err);
	if (c->role == ROLE_REGIONAL && c->region[0] == 0 && c->unit[0] != 0)
		g_strlcpy(c->region, orgmap_region(srv->org, c->unit) ?: "", sizeof c->region);
	if (public_route(rq))
		return;
	if (!c->authenticated) {
		http_error(
		        rs, 401, "unauthenticated",
		        "sign in first (or send a valid API token as 'Authorization: Bearer ...')");
		return;
	}
	if (!c->via_token && changes_state(rq->method)) {
		const char *t = http_header(rq, "X-CSRF-Token");

		if (t == NULL || c->csrf[0] == 0 || strlen(t) != strlen(c->csrf) ||
		    sodium_memcmp(t, c->csrf, strlen(c->csrf)) != 0) {
			http_error(rs, 403, "csrf",
			           "the request lacks this session's X-CSRF-Token header; reload "
			           "the page");
			return;
		}
	}
}

/* ---- login ---- */

static bool ip_allowed(const char *ip)
{
	int64_t now = store_now_ms();
	struct attempts *a;
	bool ok;

	pthread_mutex_lock(&ip_mu);
	if (g_hash_table_size(by_ip) > IP_TABLE_MAX)
		g_hash_table_remove_all(by_ip); /* bounded; a flood only resets the counts */
	a = g_hash_table_lookup(by_ip, ip);
	if (a == NULL) {
		a = g_new0(struct attempts, 1);
		g_hash_table_insert(by_ip, g_strdup(ip), a);
	}
	if (now - a->since > IP_WINDOW_MS) {
		a->since = now;
		a->n = 0;
	}
	ok = ++a->n <= IP_ATTEMPTS;
	pthread_mutex_unlock(&ip_mu);
	return ok;
}

struct login {
	const char *username, *password, *ip;
	struct vsrv *srv;
	/* out */
	int64_t id;
	char hash[crypto_pwhash_STRBYTES];
	char role[32], unit[128], region[64], name[256], lang[4];
	int64_t locked_until;
	int failed;
	bool disabled, found;
	int outcome; /* 0 ok, 1 bad, 2 locked */
	char *token, *csrf;
};

static int login_row(void *ctx, const struct store_val *c, int nc)
{
	struct login *l = ctx;

	if (nc < 10)
		return 0;
	l->found = true;
	l->id = c[0].i;
	copy_text(l->hash, sizeof l->hash, &c[1]);
	copy_text(l->role, sizeof l->role, &c[2]);
	copy_text(l->unit, sizeof l->unit, &c[3]);
	copy_text(l->region, sizeof l->region, &c[4]);
	copy_text(l->name, sizeof l->name, &c[5]);
	l->disabled = c[6].i != 0;
	l->failed = (int)c[7].i;
	l->locked_until = c[8].i;
	copy_text(l->lang, sizeof l->lang, &c[9]);
	return 0;
}

static int login_read(store_db *db, void *ctx, char **err)
{
	struct login *l = ctx;
	struct store_val p = store_text(l->username);

	return store_sql(db,
	                 "SELECT id, pw_hash, role, unit, region, display_name, disabled, failed, "
	                 "locked_until_ms, lang FROM users WHERE username = ?",
	                 &p, 1, login_row, l, err);
}

static int login_write(store_db *db, void *ctx, char **err)
{
	struct login *l = ctx;
	int64_t now = store_now_ms();
	json_t *d = json_pack("{s:s}", "address", l->ip);
	int rc;

	if (l->outcome != 0) {
		int failed = l->failed + 1;
		struct store_val p[] = {store_int(failed),
		                        store_int(failed >= AUTH_LOCK_FAILURES ? now + AUTH_LOCK_MS
		                                                               : l->locked_until),
		                        store_int(l->id)};

		if (l->found && l->outcome == 1) {
			rc = store_sql(
			        db, "UPDATE users SET failed = ?, locked_until_ms = ? WHERE id = ?",
			        p, 3, NULL, NULL, err);
			if (rc != STORE_OK)
				goto out;
		}
		rc = audit_append(db, l->username,
		                  l->outcome == 2 ? "login.locked" : "login.failed", "session",
		                  NULL, d, err);
		goto out;
	}
	{
		char sid[65];
		struct store_val p[6];

		l->token = auth_random_token("");
		l->csrf = auth_random_token("");
		auth_sha256_hex(l->token, sid);
		p[0] = store_text(sid);
		p[1] = store_int(l->id);
		p[2] = store_text(l->csrf);
		p[3] = store_int(now);
		p[4] = store_int(now);
		p[5] = store_int(now + l->srv->session_ttl_ms);
		rc = store_sql(db,
		               "INSERT INTO sessions (id, user_id, csrf, created_ms, last_ms, "
		               "expires_ms) VALUES (?, ?, ?, ?, ?, ?)",
		               p, 6, NULL, NULL, err);
		if (rc != STORE_OK)
			goto out;
		p[0] = store_int(l->id);
		rc = store_sql(db, "UPDATE users SET failed = 0, locked_until_ms = 0 WHERE id = ?",
		               p, 1, NULL, NULL, err);
		if (rc == STORE_OK)
			rc = audit_append(db, l->username, "login", "session",
			                  l->unit[0] ? l->unit : NULL, d, err);
	}
out:
	json_decref(d);
	return rc;
}

static json_t *me_json(const char *username, const char *name, const char *role, const char *unit,
                       const char *region, const char *lang, const char *csrf)
{
	return json_pack("{s:b,s:s,s:s,s:s,s:s?,s:s?,s:s,s:s?}", "authenticated", 1, "username",
	                 username, "display_name", name, "role", role, "unit", *unit ? unit : NULL,
	                 "region", *region ? region : NULL, "lang", *lang ? lang : "vi", "csrf",
	                 csrf);
}

void auth_login(struct http_req *rq, struct http_resp *rs)
{
	struct vsrv *srv = rq->ctx;
	struct login l = {.ip = rq->client, .srv = srv};
	const char *why;
	json_t *body = http_body_json(rq, &why);
	char *err = NULL;
	int rc;

	if (body == NULL) {
		http_error(rs, 400, "invalid", "%s", why);
		return;
	}
	l.username = json_string_value(json_object_get(body, "username"));
	l.password = json_string_value(json_object_get(body, "password"));
	if (l.username == NULL || l.password == NULL || strlen(l.username) > 128 ||
	    strlen(l.password) > 128) {
		http_error(rs, 400, "invalid",
		           "give \"username\" and \"password\" as strings of at most 128 bytes");
		goto out;
	}
	if (!ip_allowed(rq->client)) {
		http_error(rs, 429, "too_many_attempts",
		           "too many sign-in attempts from this address; wait five minutes");
		goto out;
	}
	rc = store_with(srv->st, 0, login_read, &l, &err);
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
		goto out;
	}
	if (l.found && l.locked_until > store_now_ms())
		l.outcome = 2;
	else if (!l.found || l.disabled || !auth_check_password(l.hash, l.password))
		l.outcome = 1;
	if (!l.found) /* same work as a real check, so timing tells nothing */
		(void)auth_check_password(dummy_hash, l.password);
	rc = store_with(srv->st, 1, login_write, &l, &err);
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
		goto out;
	}
	if (l.outcome == 2) {
		http_error(
		        rs, 429, "locked",
		        "this account is locked for 15 minutes after %d failed sign-ins; wait, or "
		        "ask an administrator",
		        AUTH_LOCK_FAILURES);
		goto out;
	}
	if (l.outcome == 1) {
		http_error(rs, 401, "bad_credentials", "wrong user name or password");
		goto out;
	}
	rs->set_cookie[0] = g_strdup_printf(
	        "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%lld%s", COOKIE, l.token,
	        (long long)(srv->session_ttl_ms / 1000), srv->secure_cookies ? "; Secure" : "");
	http_json(rs, 200, me_json(l.username, l.name, l.role, l.unit, l.region, l.lang, l.csrf));
out:
	json_decref(body);
	g_free(l.token);
	g_free(l.csrf);
}

struct me {
	const struct caller *c;
	json_t *out;
};

static int me_read(store_db *db, void *ctx, char **err)
{
	struct me *m = ctx;
	const char *names[] = {"display_name", "email", NULL};
	struct rows r = {names, json_array()};
	struct store_val p = store_int(m->c->user_id);
	int rc = store_sql(db, "SELECT display_name, email FROM users WHERE id = ?", &p, 1,
	                   rows_json, &r, err);

	m->out = row_first(r.arr);
	json_decref(r.arr);
	return rc;
}

void auth_session(struct http_req *rq, struct http_resp *rs)
{
	struct vsrv *srv = rq->ctx;
	const struct caller *c = rq->auth;
	struct me m = {c, NULL};
	char *err = NULL;
	int rc;

	if (!c->authenticated) {
		http_json(rs, 200, json_pack("{s:b}", "authenticated", 0));
		return;
	}
	if (c->user_id == 0) {
		http_json(rs, 200,
		          json_pack("{s:b,s:s,s:s,s:s?}", "authenticated", 1, "kind", c->kind,
		                    "username", c->username, "unit", c->unit[0] ? c->unit : NULL));
		return;
	}
	rc = store_with(srv->st, 0, me_read, &m, &err);
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
		return;
	}
	http_json(rs, 200,
	          me_json(c->username,
	                  m.out ? json_string_value(json_object_get(m.out, "display_name")) : "",
	                  role_name(c->role), c->unit, c->region, c->lang,
	                  c->via_token ? NULL : c->csrf));
	json_decref(m.out);
}

static int logout_write(store_db *db, void *ctx, char **err)
{
	const struct caller *c = ctx;
	struct store_val p = store_text(c->session);
	int rc = store_sql(db, "DELETE FROM sessions WHERE id = ?", &p, 1, NULL, NULL, err);

	if (rc == STORE_OK)
		rc = audit_append(db, c->username, "logout", "session", NULL, NULL, err);
	return rc;
}

void auth_logout(struct http_req *rq, struct http_resp *rs)
{
	struct vsrv *srv = rq->ctx;
	const struct caller *c = rq->auth;
	char *err = NULL;
	int rc;

	if (c->via_token) {
		http_error(rs, 400, "invalid", "API tokens have no session to end");
		return;
	}
	rc = store_with(srv->st, 1, logout_write, (void *)c, &err);
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
		return;
	}
	rs->set_cookie[0] = g_strdup_printf("%s=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0%s",
	                                    COOKIE, srv->secure_cookies ? "; Secure" : "");
	http_json(rs, 200, json_pack("{s:b}", "signed_out", 1));
}
