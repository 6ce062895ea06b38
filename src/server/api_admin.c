/*
 * api_admin.c - users, API tokens, the audit log and the organisation
 * (docs/api.md). Every change is audited in its own transaction.
 *
 * Validation is a straight line of early 400s naming the field; nothing is
 * written until every field passed.
 */
#include "api.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "audit.h"
#include "auth.h"
#include "milter/log.h"
#include "org.h"
#include "orgmap.h"

/* ---- users ---- */

static const char *const user_cols[] = {"id",   "username", "display_name", "email",     "role",
                                        "unit", "region",   "lang",         "?disabled", NULL};
#define USER_SELECT                                                                                \
	"SELECT id, username, display_name, email, role, unit, region, lang, disabled FROM users "

static int users_read(store_db *db, void *ctx, char **err)
{
	struct rows *r = ctx;

	return store_sql(db, USER_SELECT "ORDER BY username", NULL, 0, rows_json, r, err);
}

void api_users_list(struct http_req *rq, struct http_resp *rs)
{
	struct vsrv *srv = rq->ctx;
	struct rows r = {user_cols, json_array()};
	char *err = NULL;
	int rc;

	if (!access_require(rq, rs, RIGHT_ADMIN))
		goto out;
	rc = store_with(srv->st, 0, users_read, &r, &err);
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
		goto out;
	}
	http_json(rs, 200, json_pack("{s:O}", "users", r.arr));
out:
	json_decref(r.arr);
}

struct user_write {
	const struct caller *c;
	const char *username, *name, *email, *role, *unit, *region, *lang;
	char *hash;
	int64_t id;
	int disabled; /* -1: unchanged */
	bool conflict, missing;
};

static int user_insert(store_db *db, void *ctx, char **err)
{
	struct user_write *w = ctx;
	struct store_val p[] = {store_text(w->username),  store_text(w->name),
	                        store_text(w->email),     store_text(w->role),
	                        store_text(w->unit),      store_text(w->region),
	                        store_text(w->hash),      store_text(w->lang ? w->lang : "vi"),
	                        store_int(store_now_ms())};
	struct store_val q = store_text(w->username);
	int64_t exists = 0;
	json_t *d;
	int rc;

	rc = store_sql(db, "SELECT count(*) FROM users WHERE username = ?", &q, 1, store_row_int,
	               &exists, err);
	if (rc != STORE_OK)
		return rc;
	if (exists) {
		w->conflict = true;
		return STORE_ECONFLICT;
	}
	rc = store_sql(db,
	               "INSERT INTO users (username, display_name, email, role, unit, region, "
	               "pw_hash, lang, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
	               p, 9, store_row_int, &w->id, err);
	if (rc != STORE_OK)
		return rc;
	d = json_pack("{s:s,s:s,s:s?,s:s?}", "username", w->username, "role", w->role, "unit",
	              w->unit, "region", w->region);
	rc = audit_append(db, w->c->username, "user.create", w->username, w->unit, d, err);
	json_decref(d);
	return rc;
}

/* checks role/unit/region together: a scoped role needs its scope */
static const char *scope_problem(const struct vsrv *srv, const char *role, const char *unit,
                                 const char *region)
{
	int r = role_parse(role);

	if (r < 0)
		return "\"role\" must be one of admin, central_analyst, provincial_analyst, "
		       "regional_coordinator, drill_controller, viewer";
	if (unit != NULL && !orgmap_has_unit(srv->org, unit))
		return "\"unit\" is not a unit of the organisation";
	if (r == ROLE_PROVINCIAL && unit == NULL)
		return "a provincial analyst needs a \"unit\"";
	if (r == ROLE_REGIONAL && region == NULL && unit == NULL)
		return "a regional coordinator needs a \"region\" (or a \"unit\" in it)";
	if (region != NULL && strcmp(region, "north") != 0 &&
	    strcmp(region, "central-highlands") != 0 && strcmp(region, "south") != 0 &&
	    strcmp(region, "national") != 0)
		return "\"region\" must be north, central-highlands, south or national";
	return NULL;
}

static bool opt_str(json_t *b, const char *k, size_t max, const char **out, const char **why)
{
	json_t *v = json_object_get(b, k);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return true;
	if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > max ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		*why = k;
		return false;
	}
	*out = json_string_value(v);
	return true;
}

void api_users_create(struct http_req *rq, struct http_resp *rs)
{
	struct vsrv *srv = rq->ctx;
	struct user_write w = {.c = rq->auth, .disabled = -1};
	const char *why = NULL, *pw = NULL, *problem;
	json_t *b = NULL;
	char *err = NULL;
	int rc;

	if (!access_require(rq, rs, RIGHT_ADMIN))
		return;
	b = http_body_json(rq, &why);
	if (b == NULL) {
		http_error(rs, 400, "invalid", "%s", why);
		return;
	}
	if (!opt_str(b, "username", 64, &w.username, &why) ||
	    !opt_str(b, "display_name", 200, &w.name, &why) ||
	    !opt_str(b, "email", 254, &w.email, &why) || !opt_str(b, "role", 32, &w.role, &why) ||
	    !opt_str(b, "unit", 64, &w.unit, &why) || !opt_str(b, "region", 32, &w.region, &why) ||
	    !opt_str(b, "lang", 2, &w.lang, &why) || !opt_str(b, "password", 128, &pw, &why)) {
		http_error(rs, 400, "invalid",
		           "\"%s\" must be a non-empty string of bounded length", why);
		goto out;
	}
	if (w.username == NULL || w.name == NULL || w.role == NULL || pw == NULL) {
		http_error(rs, 400, "invalid",
		           "\"username\", \"display_name\", \"role\" and "
		           "\"password\" are required");
		goto out;
	}
	for (const char *p = w.username; *p; p++)
		if (!g_ascii_isalnum(*p) && *p != '.' && *p != '_' && *p != '-') {
			http_error(
			        rs, 400, "invalid",
			        "\"username\" may contain letters, digits, '.', '_' and '-' only");
			goto out;
		}
	if (w.lang != NULL && strcmp(w.lang, "vi") != 0 && strcmp(w.lang, "en") != 0) {
		http_error(rs, 400, "invalid", "\"lang\" must be vi or en");
		goto out;
	}
	if ((problem = scope_problem(srv, w.role, w.unit, w.region)) != NULL ||
	    (problem = auth_password_problem(pw)) != NULL) {
		http_error(rs, 400, "invalid", "%s", problem);
		goto out;
	}
	if (w.region == NULL && w.unit != NULL && role_parse(w.role) == ROLE_REGIONAL)
		w.region = orgmap_region(srv->org, w.unit);
	w.hash = auth_hash_password(pw);
	if (w.hash == NULL) {
		http_error(rs, 503, "unavailable", "the password could not be hashed; try again");
		goto out;
	}
	rc = store_with(srv->st, 1, user_insert, &w, &err);
	if (w.conflict) {
		free(err);
		http_error(rs, 409, "conflict", "a user named %s already exists", w.username);
		goto out;
	}
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
		goto out;
	}
	http_json(rs, 201,
	          json_pack("{s:I,s:s,s:s}", "id", (json_int_t)w.id, "username", w.username, "role",
	                    w.role));
out:
	g_free(w.hash);
	json_decref(b);
}

static int user_update(store_db *db, void *ctx, char **err)
{
	struct user_write *w = ctx;
	struct store_val id = store_int(w->id);
	int64_t exists = 0;
	json_t *d = json_object();
	int rc;

	rc = store_sql(db, "SELECT count(*) FROM users WHERE id = ?", &id, 1, store_row_int,
	               &exists, err);
	if (rc != STORE_OK || !exists) {
		w->missing = rc == STORE_OK;
		json_decref(d);
		return rc == STORE_OK ? STORE_ENOTFOUND : rc;
	}
#define SET(col, val, jv)                                                                          \
	do {                                                                                       \
		struct store_val p[] = {val, store_int(w->id)};                                    \
		rc = store_sql(db, "UPDATE users SET " col " = ? WHERE id = ?", p, 2, NULL, NULL,  \
		               err);                                                               \
		if (rc != STORE_OK)                                                                \
			goto out;                                                                  \
		json_object_set_new(d, col, jv);                                                   \
	} while (0)
	if (w->role)
		SET("role", store_text(w->role), json_string(w->role));
	if (w->unit)
		SET("unit", store_text(w->unit), json_string(w->unit));
	if (w->region)
		SET("region", store_text(w->region), json_string(w->region));
	if (w->name)
		SET("display_name", store_text(w->name), json_string(w->name));
	if (w->lang)
		SET("lang", store_text(w->lang), json_string(w->lang));
	if (w->disabled >= 0)
		SET("disabled", store_int(w->disabled), json_boolean(w->disabled));
	if (w->hash) {
		SET("pw_hash", store_text(w->hash), json_string("(changed)"));
		SET("failed", store_int(0), json_integer(0));
		SET("locked_until_ms", store_int(0), json_integer(0));
	}
#undef SET
	/* a disabled user or a new password ends every session of that user */
	if (w->disabled == 1 || w->hash) {
		rc = store_sql(db, "DELETE FROM sessions WHERE user_id = ?", &id, 1, NULL, NULL,
		               err);
		if (rc != STORE_OK)
			goto out;
	}
	{
		char obj[32];

		g_snprintf(obj, sizeof obj, "user:%lld", (long long)w->id);
		rc = audit_append(db, w->c->username, "user.update", obj, w->unit, d, err);
	}
out:
	json_decref(d);
	return rc;
}

void api_users_update(struct http_req *rq, struct http_resp *rs)
{
	struct vsrv *srv = rq->ctx;
	struct user_write w = {.c = rq->auth, .disabled = -1};
	const char *why = NULL, *pw = NULL, *problem;
	json_t *b = NULL, *dis;
	char *err = NULL, *end;
	int rc;

	if (!access_require(rq, rs, RIGHT_ADMIN))
		return;
	w.id = strtoll(rq->params[0], &end, 10);
	if (*end != 0 || w.id <= 0) {
		http_error(rs, 404, "not_found", "no such user");
		return;
	}
	b = http_body_json(rq, &why);
	if (b == NULL) {
		http_error(rs, 400, "invalid", "%s", why);
		return;
	}
	if (!opt_str(b, "display_name", 200, &w.name, &why) ||
	    !opt_str(b, "role", 32, &w.role, &why) || !opt_str(b, "unit", 64, &w.unit, &why) ||
	    !opt_str(b, "region", 32, &w.region, &why) || !opt_str(b, "lang", 2, &w.lang, &why) ||
	    !opt_str(b, "password", 128, &pw, &why)) {
		http_error(rs, 400, "invalid",
		           "\"%s\" must be a non-empty string of bounded length", why);
		goto out;
	}
	dis = json_object_get(b, "disabled");
	if (dis != NULL && !json_is_boolean(dis)) {
		http_error(rs, 400, "invalid", "\"disabled\" must be true or false");
		goto out;
	}
	if (dis != NULL)
		w.disabled = json_is_true(dis);
	if ((w.role != NULL && (problem = scope_problem(srv, w.role, w.unit, w.region)) != NULL) ||
	    (pw != NULL && (problem = auth_password_problem(pw)) != NULL)) {
		http_error(rs, 400, "invalid", "%s", problem);
		goto out;
	}
	if (w.lang != NULL && strcmp(w.lang, "vi") != 0 && strcmp(w.lang, "en") != 0) {
		http_error(rs, 400, "invalid", "\"lang\" must be vi or en");
		goto out;
	}
	if (pw != NULL && (w.hash = auth_hash_password(pw)) == NULL) {
		http_error(rs, 503, "unavailable", "the password could not be hashed; try again");
		goto out;
	}
	rc = store_with(srv->st, 1, user_update, &w, &err);
	if (w.missing) {
		free(err);
		http_error(rs, 404, "not_found", "no such user");
		goto out;
	}
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
		goto out;
	}
	http_json(rs, 200, json_pack("{s:I}", "id", (json_int_t)w.id));
out:
	g_free(w.hash);
	json_decref(b);
}

/* ---- API tokens ---- */

struct tok {
	const struct caller *c;
	const char *name, *kind, *unit;
	char hash[65];
	int64_t id;
	bool missing;
	struct rows r;
};

static int token_insert(store_db *db, void *ctx, char **err)
{
	struct tok *t = ctx;
	struct store_val p[] = {store_text(t->name),
	                        store_text(t->hash),
	                        store_text(t->kind),
	                        t->kind[0] == 'a' ? store_int(t->c->user_id) : store_text(NULL),
	                        store_text(t->unit),
	                        store_int(store_now_ms())};
	json_t *d;
	int rc = store_sql(db,
	                   "INSERT INTO api_tokens (name, token_hash, kind, user_id, unit, "
	                   "created_ms) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
	                   p, 6, store_row_int, &t->id, err);

	if (rc != STORE_OK)
		return rc;
	d = json_pack("{s:s,s:s,s:s?}", "name", t->name, "kind", t->kind, "unit", t->unit);
	rc = audit_append(db, t->c->username, "token.create", t->name, t->unit, d, err);
	json_decref(d);
	return rc;
}

void api_tokens_create(struct http_req *rq, struct http_resp *rs)
{
	struct vsrv *srv = rq->ctx;
	struct tok t = {.c = rq->auth};
	const char *why = NULL;
	json_t *b;
	char *token = NULL, *err = NULL;
	int rc;

	if (!access_require(rq, rs, RIGHT_ADMIN))
		return;
	b = http_body_json(rq, &why);
	if (b == NULL) {
		http_error(rs, 400, "invalid", "%s", why);
		return;
	}
	if (!opt_str(b, "name", 128, &t.name, &why) || !opt_str(b, "kind", 16, &t.kind, &why) ||
	    !opt_str(b, "unit", 64, &t.unit, &why) || t.name == NULL || t.kind == NULL ||
	    (strcmp(t.kind, "gateway") != 0 && strcmp(t.kind, "agent") != 0 &&
	     strcmp(t.kind, "api") != 0) ||
	    (t.unit != NULL && !orgmap_has_unit(srv->org, t.unit))) {
		http_error(
		        rs, 400, "invalid",
		        "give \"name\", \"kind\" (gateway, agent or api) and optionally a \"unit\" "
		        "of the organisation");
		goto out;
	}
	token = auth_random_token("vgt_");
	auth_sha256_hex(token, t.hash);
	rc = store_with(srv->st, 1, token_insert, &t, &err);
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
		goto out;
	}
	/* the only time the token is shown: it is stored as a hash */
	http_json(rs, 201,
	          json_pack("{s:I,s:s,s:s,s:s}", "id", (json_int_t)t.id, "name", t.name, "kind",
	                    t.kind, "token", token));
out:
	g_free(token);
	json_decref(b);
}

static int tokens_read(store_db *db, void *ctx, char **err)
{
	struct tok *t = ctx;

	return store_sql(
	        db,
	        "SELECT id, name, kind, unit, created_ms, last_ms, revoked FROM api_tokens "
	        "ORDER BY id",
	        NULL, 0, rows_json, &t->r, err);
}

void api_tokens_list(struct http_req *rq, struct http_resp *rs)
{
	static const char *const cols[] = {"id",         "name",    "kind",     "unit",
	                                   "created_ms", "last_ms", "?revoked", NULL};
	struct vsrv *srv = rq->ctx;
	struct tok t = {.c = rq->auth, .r = {cols, json_array()}};
	char *err = NULL;
	int rc;

	if (!access_require(rq, rs, RIGHT_ADMIN))
		goto out;
	rc = store_with(srv->st, 0, tokens_read, &t, &err);
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
		goto out;
	}
	http_json(rs, 200, json_pack("{s:O}", "tokens", t.r.arr));
out:
	json_decref(t.r.arr);
}

static int token_revoke(store_db *db, void *ctx, char **err)
{
	struct tok *t = ctx;
	struct store_val id = store_int(t->id);
	int64_t n = 0;
	char obj[32];
	int rc = store_sql(db, "SELECT count(*) FROM api_tokens WHERE id = ?", &id, 1,
	                   store_row_int, &n, err);

	if (rc != STORE_OK)
		return rc;
	if (n == 0) {
		t->missing = true;
		return STORE_ENOTFOUND;
	}
	rc = store_sql(db, "UPDATE api_tokens SET revoked = 1 WHERE id = ?", &id, 1, NULL, NULL,
	               err);
	g_snprintf(obj, sizeof obj, "token:%lld", (long long)t->id);
	if (rc == STORE_OK)
		rc = audit_append(db, t->c->username, "token.revoke", obj, NULL, NULL, err);
	return rc;
}

void api_tokens_revoke(struct http_req *rq, struct http_resp *rs)
{
	struct vsrv *srv = rq->ctx;
	struct tok t = {.c = rq->auth};
	char *err = NULL, *end;
	int rc;

	if (!access_require(rq, rs, RIGHT_ADMIN))
		return;
	t.id = strtoll(rq->params[0], &end, 10);
	if (*end != 0 || t.id <= 0) {
		http_error(rs, 404, "not_found", "no such token");
		return;
	}
	rc = store_with(srv->st, 1, token_revoke, &t, &err);
	if (t.missing) {
		free(err);
		http_error(rs, 404, "not_found", "no such token");
		return;
	}
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
		return;
	}
	http_json(rs, 200, json_pack("{s:I,s:b}", "id", (json_int_t)t.id, "revoked", 1));
}

/* ---- audit ---- */

struct aud {
	struct rows r;
	int64_t limit, offset, checked, broken;
};

static int audit_read(store_db *db, void *ctx, char **err)
{
	struct aud *a = ctx;
	struct store_val p[] = {store_int(a->limit), store_int(a->offset)};

	return store_sql(db,
	                 "SELECT id, at_ms, actor, action, object, unit, detail, hash FROM audit "
	                 "ORDER BY id DESC LIMIT ? OFFSET ?",
	                 p, 2, rows_json, &a->r, err);
}

void api_audit_list(struct http_req *rq, struct http_resp *rs)
{
	static const char *const cols[] = {"id",   "at_ms",  "actor", "action", "object",
	                                   "unit", "detail", "hash",  NULL};
	struct vsrv *srv = rq->ctx;
	struct aud a = {.r = {cols, json_array()}};
	char *err = NULL;
	int rc;

	if (!access_require(rq, rs, RIGHT_ADMIN))
		goto out;
	page_args(rq, 100, 1000, &a.limit, &a.offset);
	rc = store_with(srv->st, 0, audit_read, &a, &err);
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
		goto out;
	}
	http_json(rs, 200,
	          json_pack("{s:O,s:I,s:I}", "entries", a.r.arr, "limit", (json_int_t)a.limit,
	                    "offset", (json_int_t)a.offset));
out:
	json_decref(a.r.arr);
}

static int audit_check(store_db *db, void *ctx, char **err)
{
	struct aud *a = ctx;

	return audit_verify(db, &a->checked, &a->broken, err);
}

void api_audit_verify(struct http_req *rq, struct http_resp *rs)
{
	struct vsrv *srv = rq->ctx;
	struct aud a = {0};
	char *err = NULL;
	int rc;

	if (!access_require(rq, rs, RIGHT_ADMIN))
		return;
	rc = store_with(srv->st, 0, audit_check, &a, &err);
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
		return;
	}
	http_json(rs, 200,
	          json_pack("{s:b,s:I,s:o}", "intact", a.broken == 0, "checked",
	                    (json_int_t)a.checked, "first_broken",
	                    a.broken ? json_integer(a.broken) : json_null()));
}

/* ---- organisation, health ---- */

void api_org_units(struct http_req *rq, struct http_resp *rs)
{
	struct vsrv *srv = rq->ctx;

	if (!access_require(rq, rs, RIGHT_READ))
		return;
	http_json(rs, 200, orgmap_units_json(srv->org));
}

void api_health(struct http_req *rq, struct http_resp *rs)
{
	struct vsrv *srv = rq->ctx;

	http_json(rs, 200,
	          json_pack("{s:s,s:s,s:i}", "status", "ok", "store", store_backend(srv->st),
	                    "schema", store_schema_version(srv->st)));
}

/* ---- notifications (one's own) ---- */

struct notes {
	const struct caller *c;
	struct rows r;
	int64_t unseen, limit;
	json_t *ids;
};

static int notes_read(store_db *db, void *ctx, char **err)
{
	struct notes *n = ctx;
	struct store_val p[] = {store_int(n->c->user_id), store_int(n->limit)};
	int rc = store_sql(db, "SELECT count(*) FROM notifications WHERE user_id = ? AND seen = 0",
	                   p, 1, store_row_int, &n->unseen, err);

	if (rc != STORE_OK)
		return rc;
	return store_sql(
	        db,
	        "SELECT id, at_ms, incident, text, seen FROM notifications WHERE user_id = ? "
	        "ORDER BY id DESC LIMIT ?",
	        p, 2, rows_json, &n->r, err);
}

void api_notifications_list(struct http_req *rq, struct http_resp *rs)
{
	static const char *const cols[] = {"id", "at_ms", "incident", "text", "?seen", NULL};
	struct vsrv *srv = rq->ctx;
	struct notes n = {.c = rq->auth, .r = {cols, json_array()}};
	int64_t off;
	char *err = NULL;
	int rc;

	if (!access_require(rq, rs, RIGHT_READ))
		goto out;
	page_args(rq, 50, 200, &n.limit, &off);
	rc = store_with(srv->st, 0, notes_read, &n, &err);
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
		goto out;
	}
	http_json(rs, 200,
	          json_pack("{s:O,s:I}", "notifications", n.r.arr, "unseen", (json_int_t)n.unseen));
out:
	json_decref(n.r.arr);
}

static int notes_seen(store_db *db, void *ctx, char **err)
{
	struct notes *n = ctx;
	struct store_val p = store_int(n->c->user_id);

	/* all of them: the UI marks what it showed */
	return store_sql(db, "UPDATE notifications SET seen = 1 WHERE user_id = ? AND seen = 0", &p,
	                 1, NULL, NULL, err);
}

void api_notifications_seen(struct http_req *rq, struct http_resp *rs)
{
	struct vsrv *srv = rq->ctx;
	struct notes n = {.c = rq->auth};
	char *err = NULL;
	int rc;

	if (!access_require(rq, rs, RIGHT_READ))
		return;
	rc = store_with(srv->st, 1, notes_seen, &n, &err);
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
		return;
	}
	http_json(rs, 200, json_pack("{s:b}", "seen", 1));
}

/* ---- the organisation: records and edits ---- */

void api_org_list(struct http_req *rq, struct http_resp *rs)
{
	struct vsrv *srv = rq->ctx;
	int kind = orgmap_kind(rq->params[0]);
	int64_t limit, offset;
	size_t total = 0;
	json_t *items;

	if (!access_require(rq, rs, RIGHT_READ))
		return;
	if (kind < 0) {
		http_error(rs, 404, "not_found", "no such kind of record");
		return;
	}
	page_args(rq, 50, 500, &limit, &offset);
	items = orgmap_list(srv->org, kind, http_query(rq, "q"), http_query(rq, "unit"),
	                    (size_t)limit, (size_t)offset, &total);
	http_json(rs, 200,
	          json_pack("{s:o,s:I,s:I,s:I}", "items", items, "total", (json_int_t)total,
	                    "limit", (json_int_t)limit, "offset", (json_int_t)offset));
}

struct org_audit {
	const struct caller *c;
	const char *action, *object;
	json_t *detail;
};

static int org_audit_tx(store_db *db, void *ctx, char **err)
{
	struct org_audit *a = ctx;

	return audit_append(db, a->c->username, a->action, a->object, NULL, a->detail, err);
}

static void org_edit(struct http_req *rq, struct http_resp *rs, const char *op)
{
	struct vsrv *srv = rq->ctx;
	int kind = orgmap_kind(rq->params[0]);
	const char *key = rq->nparams > 1 ? rq->params[1] : NULL;
	json_t *body = NULL;
	const char *why;
	char *err = NULL, obj[200];
	struct org_audit a = {rq->auth, NULL, obj, NULL};
	int rc;

	if (!access_require(rq, rs, RIGHT_ADMIN))
		return;
	if (kind < 0) {
		http_error(rs, 404, "not_found", "no such kind of record");
		return;
	}
	if (strcmp(op, "remove") != 0 && (body = http_body_json(rq, &why)) == NULL) {
		http_error(rs, 400, "invalid", "%s", why);
		return;
	}
	rc = orgmap_edit(srv->org, op, kind, key, body, &err);
	if (rc != 0) {
		/* org.c names the record and field: "staff[12].unit "x": no such unit" */
		http_error(rs,
		           rc == ORG_ERR_NOT_FOUND                        ? 404
		           : rc == ORG_ERR_EXISTS || rc == ORG_ERR_IN_USE ? 409
		                                                          : 400,
		           rc == ORG_ERR_NOT_FOUND ? "not_found" : "invalid", "%s",
		           err ? err : "?");
		g_free(err);
		json_decref(body);
		return;
	}
	g_snprintf(obj, sizeof obj, "org:%s:%s", rq->params[0],
	           key ? key : json_string_value(json_object_get(body, kind == ORG_ENDPOINT ? "host" : "id"))
	                               ?: "?");
	a.action = strcmp(op, "add") == 0      ? "org.add"
	           : strcmp(op, "update") == 0 ? "org.update"
	                                       : "org.remove";
	a.detail = body;
	if (store_with(srv->st, 1, org_audit_tx, &a, &err) != STORE_OK) {
		vlog_warn("org", "%s %s: no audit entry (%s)", a.action, obj, err ? err : "?");
		free(err);
	}
	http_json(rs, strcmp(op, "add") == 0 ? 201 : 200,
	          json_pack("{s:s,s:s}", "object", obj, "done", op));
	json_decref(body);
}

void api_org_add(struct http_req *rq, struct http_resp *rs)
{
	org_edit(rq, rs, "add");
}

void api_org_update(struct http_req *rq, struct http_resp *rs)
{
	org_edit(rq, rs, "update");
}

void api_org_remove(struct http_req *rq, struct http_resp *rs)
{
	org_edit(rq, rs, "remove");
}
