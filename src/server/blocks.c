/*
 * blocks.c - the block list's model: membership, events, and what each
 * gateway has (blocks.h).
 *
 * Every function here runs inside the caller's store transaction and owns
 * nothing beyond the call. Membership is one query over the two sources
 * (indicators of open real incidents, the global list); the current state
 * is table blocks, so an event is appended only when the answer changes.
 * Events are never deleted or rewritten: a gateway that was away for a
 * month replays them in order (see docs/blocks.md for the cost).
 */
#include "blocks.h"

#include <glib.h>
#include <string.h>

static int64_t now_ms(void)
{
	return store_now_ms();
}

int blocks_head(store_db *db, int64_t *head, char **err)
{
	*head = 0;
	return store_sql(db, "SELECT COALESCE(max(seq), 0) FROM block_events", NULL, 0,
	                 store_row_int, head, err);
}

int blocks_sync(store_db *db, const char *type, const char *value_lc, const char *source,
                const char *actor, char **err)
{
	struct store_val q[] = {store_text(type), store_text(value_lc), store_text(type),
	                        store_text(value_lc)};
	int64_t want = 0, have = 0, seq = 0;
	const char *op;
	int rc;

	if (type == NULL || value_lc == NULL || *value_lc == 0)
		return STORE_OK;
	rc = store_sql(db,
	               "SELECT CASE WHEN EXISTS (SELECT 1 FROM indicators i JOIN incidents n ON "
	               "n.id = i.incident WHERE i.type = ? AND i.value_lc = ? AND n.status <> "
	               "'closed' AND n.drill = 0) OR EXISTS (SELECT 1 FROM blocklist WHERE type = "
	               "? AND value = ?) THEN 1 ELSE 0 END",
	               q, 4, store_row_int, &want, err);
	if (rc == STORE_OK)
		rc = store_sql(db, "SELECT seq FROM blocks WHERE type = ? AND value = ?", q, 2,
		               store_row_int, &have, err);
	if (rc != STORE_OK || (want != 0) == (have != 0))
		return rc;
	op = want ? "add" : "remove";
	{
		struct store_val e[] = {store_text(op),
		                        store_text(type),
		                        store_text(value_lc),
		                        store_text(source ? source : "?"),
		                        store_text(actor ? actor : "vigild"),
		                        store_int(now_ms())};

		rc = store_sql(db,
		               "INSERT INTO block_events (op, type, value, source, actor, at_ms) "
		               "VALUES (?, ?, ?, ?, ?, ?) RETURNING seq",
		               e, 6, store_row_int, &seq, err);
	}
	if (rc != STORE_OK)
		return rc;
	if (want) {
		struct store_val b[] = {store_text(type), store_text(value_lc), store_int(seq)};

		rc = store_sql(db, "INSERT INTO blocks (type, value, seq) VALUES (?, ?, ?)", b, 3,
		               NULL, NULL, err);
	} else {
		rc = store_sql(db, "DELETE FROM blocks WHERE type = ? AND value = ?", q, 2, NULL,
		               NULL, err);
	}
	/* other vigild nodes on this PostgreSQL wake their gateways' streams
	 * when this transaction commits */
	if (rc == STORE_OK)
		rc = store_notify(db, BLOCKS_CHANNEL, err);
	return rc;
}

struct pairs {
	GPtrArray *types, *values;
};

static int pair_row(void *ctx, const struct store_val *c, int nc)
{
	struct pairs *p = ctx;

	if (nc >= 2 && c[0].t == SV_TEXT && c[1].t == SV_TEXT) {
		g_ptr_array_add(p->types, g_strdup(c[0].s));
		g_ptr_array_add(p->values, g_strdup(c[1].s));
	}
	return 0;
}

int blocks_sync_incident(store_db *db, int64_t incident, const char *source, const char *actor,
                         char **err)
{
	struct pairs p = {g_ptr_array_new_with_free_func(g_free),
	                  g_ptr_array_new_with_free_func(g_free)};
	struct store_val id = store_int(incident);
	int rc;

	/* collected first: no statement runs inside another's rows */
	rc = store_sql(db, "SELECT DISTINCT type, value_lc FROM indicators WHERE incident = ?", &id,
	               1, pair_row, &p, err);
	for (guint i = 0; rc == STORE_OK && i < p.types->len; i++)
		rc = blocks_sync(db, p.types->pdata[i], p.values->pdata[i], source, actor, err);
	g_ptr_array_unref(p.types);
	g_ptr_array_unref(p.values);
	return rc;
}

/* ---- what each gateway has ---- */

struct gw {
	char *name;
	int64_t acked;
};

static int gw_row(void *ctx, const struct store_val *c, int nc)
{
	GArray *a = ctx;
	struct gw g;

	if (nc < 2 || c[0].t != SV_TEXT)
		return 0;
	g.name = g_strdup(c[0].s);
	g.acked = c[1].t == SV_INT ? c[1].i : 0;
	g_array_append_val(a, g);
	return 0;
}

static int seq_row(void *ctx, const struct store_val *c, int nc)
{
	GHashTable *t = ctx;

	if (nc >= 2 && c[0].t == SV_INT && c[1].t == SV_INT)
		g_hash_table_insert(t, g_memdup2(&c[0].i, sizeof c[0].i),
		                    g_memdup2(&c[1].i, sizeof c[1].i));
	return 0;
}

int blocks_annotate(store_db *db, int64_t incident, json_t *indicators, char **err)
{
	GArray *gws = g_array_new(FALSE, FALSE, sizeof(struct gw));
	GHashTable *seqs = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
	struct store_val id = store_int(incident);
	json_t *ind;
	size_t i;
	int rc;

	/* revoked tokens' gateways no longer count */
	rc = store_sql(db,
	               "SELECT g.name, g.acked_seq FROM gateways g JOIN api_tokens t ON t.id = "
	               "g.token_id WHERE t.revoked = 0 ORDER BY g.name",
	               NULL, 0, gw_row, gws, err);
	if (rc == STORE_OK)
		rc = store_sql(db,
		               "SELECT i.id, b.seq FROM indicators i JOIN blocks b ON b.type = "
		               "i.type AND b.value = i.value_lc WHERE i.incident = ?",
		               &id, 1, seq_row, seqs, err);
	json_array_foreach(indicators, i, ind)
	{
		json_int_t key = json_integer_value(json_object_get(ind, "id"));
		int64_t k = key, *seq = g_hash_table_lookup(seqs, &k);
		json_t *have, *pending;

		if (rc != STORE_OK || seq == NULL) {
			json_object_set_new(ind, "block", json_null());
			continue;
		}
		have = json_array();
		pending = json_array();
		for (guint g = 0; g < gws->len; g++) {
			const struct gw *w = &g_array_index(gws, struct gw, g);

			json_array_append_new(w->acked >= *seq ? have : pending,
			                      json_string(w->name));
		}
		json_object_set_new(ind, "block",
		                    json_pack("{s:I,s:o,s:o}", "seq", (json_int_t)*seq, "gateways",
		                              have, "pending", pending));
	}
	for (guint g = 0; g < gws->len; g++)
		g_free(g_array_index(gws, struct gw, g).name);
	g_array_free(gws, TRUE);
	g_hash_table_destroy(seqs);
	return rc;
}
