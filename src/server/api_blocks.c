/*
 * api_blocks.c - the global block list, the gateways' state, and their
 * acknowledgements (docs/api.md, docs/blocks.md).
 *
 *   GET    /api/v1/blocklist        central roles: the global list
 *   POST   /api/v1/blocklist        central roles: {type, value, description}
 *   DELETE /api/v1/blocklist/:id    central roles
 *   GET    /api/v1/gateways         central roles: each gateway's position
 *   POST   /api/v1/gateways/ack     gateway token: {"seq": N} applied
 *
 * Changes to the list are audited in their transaction, and sync the block
 * list (blocks.c), whose events the gateways follow; the hub is kicked
 * after the commit. Acknowledgements are gateway state, not decisions:
 * they are not audited (one per gateway per burst of events would drown
 * the log); the gateways table keeps the latest.
 */
#include "api.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "audit.h"
#include "blocks.h"

/* ---- the global list ---- */

struct bl {
	const struct caller *c;
	struct rows r;
	const char *type, *value, *desc;
	char *value_lc;
	int64_t id, seq, head;
	bool exists, still;
};

static int list_tx(store_db *db, void *ctx, char **err)
{
	struct bl *b = ctx;
	int rc = store_sql(db,
	                   "SELECT l.id, l.type, l.value, l.description, l.actor, l.created_ms, "
	                   "b.seq FROM blocklist l LEFT JOIN blocks b ON b.type = l.type AND "
	                   "b.value = l.value ORDER BY l.id",
	                   NULL, 0, rows_json, &b->r, err);

	if (rc == STORE_OK)
		rc = blocks_head(db, &b->head, err);
	return rc;
}

void api_blocklist_list(struct http_req *rq, struct http_resp *rs)
{
	static const char *const cols[] = {"id", "type",       "value", "description",
	                                   "by", "created_ms", "seq",   NULL};
	struct vsrv *srv = rq->ctx;
	struct bl b = {.c = rq->auth, .r = {cols, json_array()}};
	json_t *e;
	size_t i;
	char *err = NULL;
	int rc;

	if (!access_require(rq, rs, RIGHT_BLOCKS))
		goto out;
	rc = store_with(srv->st, 0, list_tx, &b, &err);
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
		goto out;
	}
	json_array_foreach(b.r.arr, i, e)
	{
		json_object_set_new(
		        e, "created_at",
		        json_time(json_integer_value(json_object_get(e, "created_ms"))));
		json_object_del(e, "created_ms");
	}
	http_json(rs, 200, json_pack("{s:O,s:I}", "entries", b.r.arr, "head", (json_int_t)b.head));
out:
	json_decref(b.r.arr);
}

static int seq_of(store_db *db, const char *type, const char *value, int64_t *seq, char **err)
{
	struct store_val p[] = {store_text(type), store_text(value)};

	*seq = 0;
	return store_sql(db, "SELECT seq FROM blocks WHERE type = ? AND value = ?", p, 2,
	                 store_row_int, seq, err);
}

static int add_tx(store_db *db, void *ctx, char **err)
{
	struct bl *b = ctx;
	struct store_val p[] = {store_text(b->type), store_text(b->value_lc), store_text(b->desc),
	                        store_text(b->c->username), store_int(store_now_ms())};
	int64_t known = 0;
	char obj[40];
	json_t *d;
	int rc;

	rc = store_sql(db, "SELECT count(*) FROM blocklist WHERE type = ? AND value = ?", p, 2,
	               store_row_int, &known, err);
	if (rc != STORE_OK)
		return rc;
	if (known) {
		b->exists = true;
		return STORE_ECONFLICT; /* nothing to write: roll back */
	}
	rc = store_sql(db,
	               "INSERT INTO blocklist (type, value, description, actor, created_ms) "
	               "VALUES (?, ?, ?, ?, ?) RETURNING id",
	               p, 5, store_row_int, &b->id, err);
	if (rc == STORE_OK)
		rc = blocks_sync(db, b->type, b->value_lc, "blocklist", b->c->username, err);
	if (rc == STORE_OK)
		rc = seq_of(db, b->type, b->value_lc, &b->seq, err);
	g_snprintf(obj, sizeof obj, "blocklist:%lld", (long long)b->id);
	d = json_pack("{s:s,s:s}", "type", b->type, "value", b->value_lc);
	if (rc == STORE_OK)
		rc = audit_append(db, b->c->username, "blocklist.add", obj, NULL, d, err);
	json_decref(d);
	return rc;
}

void api_blocklist_add(struct http_req *rq, struct http_resp *rs)
{
	struct vsrv *srv = rq->ctx;
	struct bl b = {.c = rq->auth};
	const char *why = NULL;
	json_t *body;
	char *err = NULL;
	int rc;

	if (!access_require(rq, rs, RIGHT_BLOCKS))
		return;
	body = http_body_json(rq, &why);
	if (body == NULL) {
		http_error(rs, 400, "invalid", "%s", why);
		return;
	}
	b.type = server_bounded(body, "type", 16);
	b.value = server_bounded(body, "value", 2048);
	b.desc = json_object_get(body, "description") ? server_bounded(body, "description", 1000)
	                                              : "";
	if (b.type == NULL || !indicator_type_known(b.type) || b.value == NULL || b.desc == NULL) {
		http_error(rs, 400, "invalid",
		           "give \"type\" (sha256, sha1, md5, email, domain, url, ipv4, ipv6, "
		           "filename, subject, message_id), \"value\" and optionally "
		           "\"description\"");
		goto out;
	}
	if ((why = indicator_problem(b.type, b.value)) != NULL) {
		http_error(rs, 400, "invalid", "%s", why);
		goto out;
	}
	b.value_lc = g_utf8_strdown(b.value, -1);
	rc = store_with(srv->st, 1, add_tx, &b, &err);
	if (b.exists) {
		free(err);
		http_error(rs, 409, "conflict", "this indicator is already on the block list");
		goto out;
	}
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
		goto out;
	}
	blockhub_kick(srv->hub);
	http_json(rs, 201,
	          json_pack("{s:I,s:s,s:s,s:I}", "id", (json_int_t)b.id, "type", b.type, "value",
	                    b.value_lc, "seq", (json_int_t)b.seq));
out:
	g_free(b.value_lc);
	json_decref(body);
}

struct entry {
	char type[20];
	char *value;
};

static int entry_row(void *ctx, const struct store_val *c, int nc)
{
	struct entry *e = ctx;

	if (nc >= 2 && c[0].t == SV_TEXT && c[1].t == SV_TEXT) {
		g_strlcpy(e->type, c[0].s, sizeof e->type);
		e->value = g_strdup(c[1].s);
	}
	return 0;
}

static int remove_tx(store_db *db, void *ctx, char **err)
{
	struct bl *b = ctx;
	struct store_val id = store_int(b->id);
	struct entry e = {{0}, NULL};
	char obj[40];
	json_t *d;
	int rc;

	rc = store_sql(db, "SELECT type, value FROM blocklist WHERE id = ?", &id, 1, entry_row, &e,
	               err);
	if (rc != STORE_OK || e.value == NULL)
		return rc != STORE_OK ? rc : STORE_ENOTFOUND;
	b->exists = true;
	rc = store_sql(db, "DELETE FROM blocklist WHERE id = ?", &id, 1, NULL, NULL, err);
	if (rc == STORE_OK)
		rc = blocks_sync(db, e.type, e.value, "blocklist", b->c->username, err);
	if (rc == STORE_OK)
		rc = seq_of(db, e.type, e.value, &b->seq, err);
	b->still = b->seq != 0; /* an open incident still has it */
	g_snprintf(obj, sizeof obj, "blocklist:%lld", (long long)b->id);
	d = json_pack("{s:s,s:s}", "type", e.type, "value", e.value);
	if (rc == STORE_OK)
		rc = audit_append(db, b->c->username, "blocklist.remove", obj, NULL, d, err);
	json_decref(d);
	g_free(e.value);
	return rc;
}

void api_blocklist_remove(struct http_req *rq, struct http_resp *rs)
{
	struct vsrv *srv = rq->ctx;
	struct bl b = {.c = rq->auth};
	char *err = NULL;
	int rc;

	if (!access_require(rq, rs, RIGHT_BLOCKS))
		return;
	if (!server_parse_id(rq->params[0], &b.id)) {
		http_error(rs, 404, "not_found", "no such block list entry");
		return;
	}
	rc = store_with(srv->st, 1, remove_tx, &b, &err);
	if (rc == STORE_ENOTFOUND || (rc == STORE_OK && !b.exists)) {
		free(err);
		http_error(rs, 404, "not_found", "no such block list entry");
		return;
	}
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
		return;
	}
	blockhub_kick(srv->hub);
	http_json(rs, 200,
	          json_pack("{s:I,s:b}", "removed", (json_int_t)b.id, "still_blocked", b.still));
}

/* ---- the gateways ---- */

struct gws {
	struct rows r;
	int64_t head, blocked, newest;
};

static int gws_tx(store_db *db, void *ctx, char **err)
{
	struct gws *g = ctx;
	int rc = store_sql(db,
	                   "SELECT g.token_id, g.name, g.host, g.acked_seq, g.acked_ms, "
	                   "g.connected_ms, g.disconnected_ms, g.node, t.revoked, (SELECT "
	                   "count(*) FROM blocks b WHERE b.seq > g.acked_seq) FROM gateways g "
	                   "LEFT JOIN api_tokens t ON t.id = g.token_id ORDER BY g.name, "
	                   "g.token_id",
	                   NULL, 0, rows_json, &g->r, err);

	if (rc == STORE_OK)
		rc = blocks_head(db, &g->head, err);
	if (rc == STORE_OK)
		rc = store_sql(db, "SELECT count(*) FROM blocks", NULL, 0, store_row_int,
		               &g->blocked, err);
	return rc;
}

void api_gateways_list(struct http_req *rq, struct http_resp *rs)
{
	static const char *const cols[] = {
	        "id",           "name", "host",     "acked_seq", "acked_ms", "connected_ms",
	        "disconnected", "node", "?revoked", "missing",   NULL};
	struct vsrv *srv = rq->ctx;
	struct gws g = {.r = {cols, json_array()}};
	json_t *e;
	size_t i;
	char *err = NULL;
	int rc;

	if (!access_require(rq, rs, RIGHT_BLOCKS))
		goto out;
	rc = store_with(srv->st, 0, gws_tx, &g, &err);
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
		goto out;
	}
	json_array_foreach(g.r.arr, i, e)
	{
		int64_t con = json_integer_value(json_object_get(e, "connected_ms"));
		int64_t dis = json_integer_value(json_object_get(e, "disconnected"));
		int64_t acked = json_integer_value(json_object_get(e, "acked_seq"));

		/* connected: subscribed, and not gone since (a node that died
		 * with its streams leaves them "connected": see docs/blocks.md) */
		json_object_set_new(e, "connected", json_boolean(con > 0 && dis < con));
		json_object_set_new(e, "connected_at", json_time(con));
		json_object_set_new(e, "disconnected_at", json_time(dis));
		json_object_set_new(e, "acked_at",
		                    json_time(json_integer_value(json_object_get(e, "acked_ms"))));
		json_object_set_new(e, "up_to_date", json_boolean(acked >= g.head));
		json_object_del(e, "connected_ms");
		json_object_del(e, "disconnected");
		json_object_del(e, "acked_ms");
	}
	http_json(rs, 200,
	          json_pack("{s:I,s:I,s:s,s:O}", "head", (json_int_t)g.head, "blocked",
	                    (json_int_t)g.blocked, "stream", blockhub_stream_id(srv->hub),
	                    "gateways", g.r.arr));
out:
	json_decref(g.r.arr);
}

struct ack {
	const struct caller *c;
	int64_t seq, head;
	bool beyond;
};

static int ack_tx(store_db *db, void *ctx, char **err)
{
	struct ack *a = ctx;
	int rc = blocks_head(db, &a->head, err);
	struct store_val p[] = {store_int(a->c->token_id), store_text(a->c->token_name),
	                        store_int(a->seq), store_int(store_now_ms())};

	if (rc != STORE_OK)
		return rc;
	if (a->seq > a->head) {
		a->beyond = true;
		return STORE_EINVAL;
	}
	/* the gateway's own position is the truth: lower after a reset */
	return store_sql(db,
	                 "INSERT INTO gateways (token_id, name, acked_seq, acked_ms) VALUES (?, ?, "
	                 "?, ?) ON CONFLICT (token_id) DO UPDATE SET acked_seq = "
	                 "excluded.acked_seq, acked_ms = excluded.acked_ms",
	                 p, 4, NULL, NULL, err);
}

void api_gateways_ack(struct http_req *rq, struct http_resp *rs)
{
	struct vsrv *srv = rq->ctx;
	struct ack a = {.c = rq->auth};
	const char *why = NULL;
	json_t *b, *seq;
	char *err = NULL;
	int rc;

	if (!access_require(rq, rs, RIGHT_GATEWAY))
		return;
	b = http_body_json(rq, &why);
	if (b == NULL) {
		http_error(rs, 400, "invalid", "%s", why);
		return;
	}
	seq = json_object_get(b, "seq");
	if (!json_is_integer(seq) || json_integer_value(seq) < 0) {
		http_error(rs, 400, "invalid", "give \"seq\": the last block event applied");
		goto out;
	}
	a.seq = json_integer_value(seq);
	rc = store_with(srv->st, 1, ack_tx, &a, &err);
	if (a.beyond) {
		free(err);
		http_error(rs, 409, "conflict",
		           "seq %lld is beyond the newest block event (%lld): follow the stream "
		           "again from the start",
		           (long long)a.seq, (long long)a.head);
		goto out;
	}
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
		goto out;
	}
	http_json(rs, 200,
	          json_pack("{s:I,s:I}", "acked", (json_int_t)a.seq, "head", (json_int_t)a.head));
out:
	json_decref(b);
}
