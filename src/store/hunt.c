/*
 * hunt.c - finding every copy of a message in the gateways' records
 * (store.h: store_hunt).
 *
 * One SQL text for both stores. Every criterion is an indexed lookup that
 * yields message ids (attachments by hash, senders by address or domain in
 * the envelope or the From header, domains and URL hosts, Message-ID), so a
 * hunt over millions of records touches only the matching ones; the
 * subject (a substring) and the date range only narrow what the indexed
 * criteria found, and a hunt with neither an indexed criterion nor a date
 * range is refused (it would read every record). Results come a page at a
 * time, newest first, with each message's recipients read from its key
 * range (id = msg * 65536 + position; migrations.c).
 */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "store/sql.h"

#define HUNT_PAGE_MAX 5000
#define KEY_SPAN 65536

static char *lower(const char *s)
{
	return s != NULL && *s ? g_utf8_strdown(s, -1) : NULL;
}

struct collect {
	struct store_hunt_hit *hits;
	size_t n, cap;
};

/* id, uid, received_ms, gateway, queue_id, message_id, env_from, subject,
 * verdict, action, direction, drill */
static int hit_row(void *ctx, const struct store_val *c, int nc)
{
	struct collect *col = ctx;
	struct store_hunt_hit *h;

	if (nc < 12 || col->n >= col->cap)
		return 0;
	h = &col->hits[col->n++];
	memset(h, 0, sizeof *h);
	h->id = c[0].i;
#define DUP(field, i) h->field = c[i].t == SV_TEXT ? g_strdup(c[i].s) : NULL
	DUP(uid, 1);
	h->received_ms = c[2].i;
	DUP(gateway, 3);
	DUP(queue_id, 4);
	DUP(message_id, 5);
	DUP(env_from, 6);
	DUP(subject, 7);
	DUP(verdict, 8);
	DUP(action, 9);
	DUP(direction, 10);
#undef DUP
	h->drill = c[11].i != 0;
	h->rcpts = g_ptr_array_new_with_free_func(g_free);
	return 0;
}

static int rcpt_row(void *ctx, const struct store_val *c, int nc)
{
	struct store_hunt_hit *h = ctx;

	if (nc > 0 && c[0].t == SV_TEXT && h->rcpts->len < 10000)
		g_ptr_array_add(h->rcpts, g_strdup(c[0].s));
	return 0;
}

struct hunt_ctx {
	const struct store_hunt *q;
	struct collect col;
	int64_t total;
};

static int hunt_tx(store_db *db, void *ctx, char **err)
{
	struct hunt_ctx *x = ctx;
	const struct store_hunt *q = x->q;
	GString *w = g_string_new("");
	struct store_val p[STORE_MAX_PARAMS];
	char *sender = lower(q->sender), *sdom = lower(q->sender_domain), *dom = lower(q->domain);
	char *subj = q->subject && *q->subject ? g_strdup_printf("%%%s%%", q->subject) : NULL;
	char *subj_lc = subj ? g_utf8_strdown(subj, -1) : NULL;
	char *host = NULL;
	int np = 0, rc;

#define COND(sql, v)                                                                               \
	do {                                                                                       \
		g_string_append(w, " AND " sql);                                                   \
		p[np++] = store_text(v);                                                           \
	} while (0)
	if (q->sha256)
		COND("m.id IN (SELECT msg FROM attachments WHERE sha256 = ?)", q->sha256);
	if (q->md5)
		COND("m.id IN (SELECT msg FROM attachments WHERE md5 = ?)", q->md5);
	if (q->sha1)
		COND("m.id IN (SELECT msg FROM attachments WHERE sha1 = ?)", q->sha1);
	/* envelope or From: as one UNION of two index lookups: "x = ? OR id IN
	 * (...)" made PostgreSQL scan every message (1 s at a million records) */
	if (sender) {
		g_string_append(
		        w, " AND m.id IN (SELECT id FROM messages WHERE env_from_lc = ? UNION "
		           "SELECT msg FROM header_addrs WHERE field = 'from' AND addr_lc = ?)");
		p[np++] = store_text(sender);
		p[np++] = store_text(sender);
	}
	if (sdom) {
		g_string_append(w,
		                " AND m.id IN (SELECT id FROM messages WHERE env_from_domain = ? "
		                "UNION SELECT msg FROM header_addrs WHERE field = 'from' AND "
		                "domain = ?)");
		p[np++] = store_text(sdom);
		p[np++] = store_text(sdom);
	}
	if (dom)
		COND("m.id IN (SELECT msg FROM domains WHERE domain = ?)", dom);
	if (q->url) {
		/* URLs are indexed through their host (migrations.c): the domain
		 * narrows, the exact URL decides */
		const char *s = strstr(q->url, "://");
		const char *e;

		s = s ? s + 3 : q->url;
		e = s + strcspn(s, "/?#:");
		host = g_ascii_strdown(s, e - s);
		COND("m.id IN (SELECT msg FROM domains WHERE domain = ?)", host);
		COND("m.id IN (SELECT msg FROM urls WHERE url = ?)", q->url);
	}
	if (q->message_id)
		COND("m.message_id = ?", q->message_id);
	if (subj_lc)
		COND("lower(m.subject) LIKE ?", subj_lc);
	if (q->from_ms > 0) {
		g_string_append(w, " AND m.received_ms >= ?");
		p[np++] = store_int(q->from_ms);
	}
	if (q->to_ms > 0) {
		g_string_append(w, " AND m.received_ms < ?");
		p[np++] = store_int(q->to_ms);
	}
	if (q->drill >= 0) {
		g_string_append(w, " AND m.drill = ?");
		p[np++] = store_int(q->drill);
	}
#undef COND
	{
		char *sql =
		        g_strdup_printf("SELECT count(*) FROM messages m WHERE 1 = 1%s", w->str);

		rc = store_sql(db, sql, p, np, store_row_int, &x->total, err);
		g_free(sql);
	}
	if (rc == STORE_OK) {
		char *sql = g_strdup_printf(
		        "SELECT m.id, m.uid, m.received_ms, m.gateway, m.queue_id, m.message_id, "
		        "m.env_from, m.subject, m.verdict, m.action, m.direction, m.drill FROM "
		        "messages "
		        "m WHERE 1 = 1%s ORDER BY m.id DESC LIMIT ? OFFSET ?",
		        w->str);

		p[np] = store_int((int64_t)x->col.cap);
		p[np + 1] = store_int(q->offset);
		rc = store_sql(db, sql, p, np + 2, hit_row, &x->col, err);
		g_free(sql);
	}
	for (size_t i = 0; rc == STORE_OK && i < x->col.n; i++) {
		struct store_hunt_hit *h = &x->col.hits[i];
		struct store_val r[] = {store_int(h->id * KEY_SPAN),
		                        store_int(h->id * KEY_SPAN + (KEY_SPAN - 1))};

		rc = store_sql(db,
		               "SELECT addr FROM recipients WHERE id BETWEEN ? AND ? ORDER BY id",
		               r, 2, rcpt_row, h, err);
	}
	g_string_free(w, TRUE);
	g_free(sender);
	g_free(sdom);
	g_free(dom);
	g_free(subj);
	g_free(subj_lc);
	g_free(host);
	return rc;
}

int store_hunt(store *st, const struct store_hunt *q, struct store_hunt_result *out, char **err)
{
	struct hunt_ctx x = {q, {NULL, 0, 0}, 0};
	bool indexed;
	int rc;

	memset(out, 0, sizeof *out);
	if (st == NULL || q == NULL)
		return store_fail(err, STORE_EINVAL, "hunt: bad arguments");
	indexed = q->sha256 || q->md5 || q->sha1 || (q->sender && *q->sender) ||
	          (q->sender_domain && *q->sender_domain) || (q->domain && *q->domain) || q->url ||
	          q->message_id;
	if (!indexed && !(q->from_ms > 0 && q->to_ms > 0))
		return store_fail(
		        err, STORE_EINVAL,
		        "hunt: give an indicator (hash, sender, domain, URL, Message-ID) or a "
		        "date range; a subject alone would read every record");
	x.col.cap = q->limit == 0 || q->limit > HUNT_PAGE_MAX ? HUNT_PAGE_MAX : q->limit;
	x.col.hits = g_new0(struct store_hunt_hit, x.col.cap);
	rc = store_with(st, 0, hunt_tx, &x, err);
	out->hits = x.col.hits;
	out->n = x.col.n;
	out->total = x.total;
	if (rc != STORE_OK)
		store_hunt_result_free(out);
	return rc;
}

void store_hunt_result_free(struct store_hunt_result *r)
{
	for (size_t i = 0; r != NULL && r->hits != NULL && i < r->n; i++) {
		struct store_hunt_hit *h = &r->hits[i];

		g_free(h->uid);
		g_free(h->gateway);
		g_free(h->queue_id);
		g_free(h->message_id);
		g_free(h->env_from);
		g_free(h->subject);
		g_free(h->verdict);
		g_free(h->action);
		g_free(h->direction);
		if (h->rcpts)
			g_ptr_array_unref(h->rcpts);
	}
	if (r != NULL) {
		g_free(r->hits);
		memset(r, 0, sizeof *r);
	}
}
