/*
 * audit.c - the hash-chained audit log (audit.h).
 *
 * Two writers must not both read the same last hash: SQLite's write
 * transaction (BEGIN IMMEDIATE) already serialises them; on PostgreSQL a
 * transaction-scoped advisory lock does, so several vigild nodes share one
 * chain.
 */
#include "audit.h"

#include <glib.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define AUDIT_LOCK_KEY STORE_WRITE_LOCK /* "vig1" */
#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"

static void feed(crypto_hash_sha256_state *h, const char *s)
{
	uint8_t len[8];
	uint64_t n = s ? strlen(s) : 0;

	for (int i = 0; i < 8; i++)
		len[i] = (uint8_t)(n >> (8 * i));
	crypto_hash_sha256_update(h, len, sizeof len);
	if (n)
		crypto_hash_sha256_update(h, (const uint8_t *)s, n);
}

static void entry_hash(const char *prev, int64_t at_ms, const char *actor, const char *action,
                       const char *object, const char *unit, const char *detail, char out[65])
{
	crypto_hash_sha256_state h;
	uint8_t md[crypto_hash_sha256_BYTES];
	char at[32];

	snprintf(at, sizeof at, "%lld", (long long)at_ms);
	crypto_hash_sha256_init(&h);
	feed(&h, prev);
	feed(&h, at);
	feed(&h, actor);
	feed(&h, action);
	feed(&h, object);
	feed(&h, unit ? unit : "");
	feed(&h, detail);
	crypto_hash_sha256_final(&h, md);
	sodium_bin2hex(out, 65, md, sizeof md);
}

static int row_text(void *ctx, const struct store_val *c, int nc)
{
	char *out = ctx;

	if (nc > 0 && c[0].t == SV_TEXT)
		g_strlcpy(out, c[0].s, 65);
	return 0;
}

int audit_append(store_db *db, const char *actor, const char *action, const char *object,
                 const char *unit, json_t *detail, char **err)
{
	char prev[65] = ZERO_HASH, hash[65];
	char *d = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : strdup("{}");
	int64_t now = store_now_ms();
	int rc;

	if (d == NULL)
		return store_fail(err, STORE_EINVAL, "audit: detail cannot be encoded");
	if (db->drv == &store_pg_driver) {
		struct store_val k = store_int(AUDIT_LOCK_KEY);

		rc = store_sql(db, "SELECT pg_advisory_xact_lock(?)", &k, 1, NULL, NULL, err);
		if (rc != STORE_OK)
			goto out;
	}
	rc = store_sql(db, "SELECT hash FROM audit ORDER BY id DESC LIMIT 1", NULL, 0, row_text,
	               prev, err);
	if (rc != STORE_OK)
		goto out;
	entry_hash(prev, now, actor, action, object, unit, d, hash);
	{
		struct store_val p[] = {store_int(now),     store_text(actor), store_text(action),
		                        store_text(object), store_text(unit),  store_text(d),
		                        store_text(prev),   store_text(hash)};

		rc = store_sql(db,
		               "INSERT INTO audit (at_ms, actor, action, object, unit, detail, "
		               "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		               p, 8, NULL, NULL, err);
	}
out:
	free(d);
	return rc;
}

struct walk {
	char prev[65];
	int64_t checked, broken;
};

static int verify_row(void *ctx, const struct store_val *c, int nc)
{
	struct walk *w = ctx;
	char hash[65];
	const char *s[7];

	if (w->broken != 0 || nc < 9)
		return 0;
	for (int i = 0; i < 7; i++)
		s[i] = c[i + 2].t == SV_TEXT ? c[i + 2].s : "";
	/* columns: id, at_ms, actor, action, object, unit, detail, prev_hash, hash */
	entry_hash(w->prev, c[1].i, s[0], s[1], s[2], c[5].t == SV_TEXT ? s[3] : NULL, s[4], hash);
	if (strcmp(s[5], w->prev) != 0 || strcmp(s[6], hash) != 0) {
		w->broken = c[0].i;
		return 0;
	}
	memcpy(w->prev, hash, sizeof hash);
	w->checked++;
	return 0;
}

int audit_verify(store_db *db, int64_t *checked, int64_t *broken_id, char **err)
{
	struct walk w = {ZERO_HASH, 0, 0};
	int rc = store_sql(db,
	                   "SELECT id, at_ms, actor, action, object, unit, detail, prev_hash, hash "
	                   "FROM audit ORDER BY id",
	                   NULL, 0, verify_row, &w, err);

	*checked = w.checked;
	*broken_id = w.broken;
	return rc;
}
