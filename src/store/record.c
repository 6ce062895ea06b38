/*
 * record.c - a message record in and out of the normalised tables, once for
 * both back ends.
 *
 * Put: validate (a straight line of early rejects: anything the caller got
 * wrong is STORE_EINVAL), normalise (repair UTF-8, clip to the bounds in
 * store.h, lower-case hashes, derive the lower-case address and its domain,
 * the host of each URL), then one transaction: the messages row first with
 * ON CONFLICT (uid) DO NOTHING, so a duplicate uid inserts nothing and is
 * reported as STORE_ECONFLICT, then every child row.
 *
 * Get: the rows are read back into a struct store_msg (strings copied into
 * a GStringChunk the call owns) and serialised by store_rec_to_jsonv(), the
 * same code as store_msg_to_json(), so both give the same shape.
 *
 * A record is marked clipped when any string or list was cut; the messages
 * row is written before the children, so a clip found in a child costs one
 * UPDATE (rare: only for hostile or broken input).
 *
 * Ownership: nothing here outlives a call; strings made by normalisation
 * live in a GPtrArray freed at the end of insert().
 */
#include "store/store_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <jansson.h>

/* ---- SQL (one text for both back ends) ---- */

static const char *const sql_text[SQL_MAX] = {
        [SQL_INSERT_MESSAGE] =
                "INSERT INTO messages (uid, gateway, queue_id, message_id, date_header, "
                "received_ms, direction, client_addr, env_from, env_from_lc, env_from_domain, "
                "subject, verdict, score, action, quarantine_id, size, scan_ms, drill, clipped, "
                "stored_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (uid) DO NOTHING RETURNING id",
        /* child rows: id = msg * 65536 + position in the list (migrations.c) */
        [SQL_INSERT_RCPT] = "INSERT INTO recipients (id, msg, addr, addr_lc, domain) "
                            "VALUES (?, ?, ?, ?, ?)",
        [SQL_INSERT_HDR] = "INSERT INTO header_addrs (id, msg, field, addr, addr_lc, domain) "
                           "VALUES (?, ?, ?, ?, ?, ?)",
        [SQL_INSERT_ATT] = "INSERT INTO attachments (id, msg, path, name, type, mime, sha256, "
                           "sha1, md5, size, depth) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [SQL_INSERT_URL] = "INSERT INTO urls (id, msg, url, host) VALUES (?, ?, ?, ?)",
        [SQL_INSERT_DOMAIN] = "INSERT INTO domains (id, msg, domain) VALUES (?, ?, ?)",
        [SQL_INSERT_FINDING] = "INSERT INTO findings (id, msg, fid, severity, title, object, "
                               "attack, evidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [SQL_GET_MESSAGE] =
                "SELECT id, uid, gateway, queue_id, message_id, date_header, received_ms, "
                "direction, client_addr, env_from, subject, verdict, score, action, quarantine_id, "
                "size, scan_ms, drill, clipped FROM messages WHERE uid = ?",
        [SQL_GET_RCPTS] = "SELECT addr FROM recipients WHERE id BETWEEN ? AND ? ORDER BY id",
        [SQL_GET_HDRS] =
                "SELECT field, addr FROM header_addrs WHERE id BETWEEN ? AND ? ORDER BY id",
        [SQL_GET_ATTS] = "SELECT path, name, type, mime, sha256, sha1, md5, size, depth "
                         "FROM attachments WHERE id BETWEEN ? AND ? ORDER BY id",
        [SQL_GET_URLS] = "SELECT url FROM urls WHERE id BETWEEN ? AND ? ORDER BY id",
        [SQL_GET_DOMAINS] = "SELECT domain FROM domains WHERE id BETWEEN ? AND ? ORDER BY id",
        [SQL_GET_FINDINGS] = "SELECT fid, severity, title, object, attack, evidence "
                             "FROM findings WHERE id BETWEEN ? AND ? ORDER BY id",
        [SQL_SAVEPOINT] = "SAVEPOINT rec",
        [SQL_RELEASE] = "RELEASE rec",
        [SQL_ROLLBACK_TO] = "ROLLBACK TO rec",
        [SQL_MARK_CLIPPED] = "UPDATE messages SET clipped = 1 WHERE id = ?",
        [SQL_COUNT_ALL] = "SELECT count(*) FROM messages",
        [SQL_COUNT_VERDICT] = "SELECT count(*) FROM messages WHERE verdict = ?",
};

static const char *const directions[] = {"inbound", "outbound", "release", NULL};
static const char *const verdicts[] = {"clean", "suspicious", "malicious", "error", NULL};
static const char *const actions[] = {"accept", "tag",      "quarantine", "hold",
                                      "reject", "tempfail", "discard",    NULL};
static const char *const severities[] = {"info", "low", "medium", "high", "critical", NULL};

static int one_of(const char *s, const char *const *set)
{
	for (; s != NULL && *set != NULL; set++)
		if (strcmp(s, *set) == 0)
			return 1;
	return 0;
}

static int is_hex(const char *s, size_t n)
{
	if (strlen(s) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isxdigit(s[i]))
			return 0;
	return 1;
}

/* ---- values ---- */

static struct store_val vt(const char *s)
{
	return (struct store_val){.t = s != NULL ? SV_TEXT : SV_NULL, .s = s};
}

static struct store_val vi(int64_t i)
{
	return (struct store_val){.t = SV_INT, .i = i};
}

static struct store_val vr(double d)
{
	return (struct store_val){.t = SV_REAL, .d = d};
}

static const char *col_text(const struct store_val *v)
{
	return v->t == SV_TEXT ? v->s : NULL;
}

static int64_t col_int(const struct store_val *v)
{
	if (v->t == SV_INT)
		return v->i;
	if (v->t == SV_REAL)
		return (int64_t)v->d;
	if (v->t == SV_TEXT)
		return g_ascii_strtoll(v->s, NULL, 10);
	return 0;
}

static double col_real(const struct store_val *v)
{
	if (v->t == SV_REAL)
		return v->d;
	if (v->t == SV_INT)
		return (double)v->i;
	if (v->t == SV_TEXT)
		return g_ascii_strtod(v->s, NULL);
	return 0;
}

/* ---- normalisation ---- */

struct norm {
	GPtrArray *owned; /* strings made here (g_free) */
	int clipped;
};

static const char *keep(struct norm *n, char *s)
{
	g_ptr_array_add(n->owned, s);
	return s;
}

/* s as valid UTF-8 of at most max bytes (NULL stays NULL). */
static const char *text(struct norm *n, const char *s, size_t max)
{
	size_t len;
	char *t;

	if (s == NULL)
		return NULL;
	len = strlen(s);
	if (len <= max && g_utf8_validate_len(s, len, NULL))
		return s;
	t = g_utf8_validate_len(s, len, NULL) ? g_strndup(s, len) : g_utf8_make_valid(s, len);
	len = strlen(t);
	if (len > max) {
		/* back off to the start of a character */
		while (max > 0 && ((unsigned char)t[max] & 0xc0) == 0x80)
			max--;
		t[max] = 0;
		n->clipped = 1;
	}
	return keep(n, t);
}

static size_t items(struct norm *n, size_t count)
{
	if (count <= STORE_MAX_ITEMS)
		return count;
	n->clipped = 1;
	return STORE_MAX_ITEMS;
}

/*
 * An address for searching: the part inside the last <...> if there is one
 * ("Name <a@b>" and "<a@b>" give a@b), without surrounding blanks, ASCII
 * letters in lower case.
 */
static const char *addr_lc(struct norm *n, const char *a)
{
	const char *e, *lt;
	char *t;

	if (a == NULL)
		return NULL;
	e = a + strlen(a);
	lt = strrchr(a, '<');
	if (lt != NULL && memchr(lt, '>', (size_t)(e - lt)) != NULL) {
		a = lt + 1;
		e = strchr(a, '>');
	}
	while (a < e && (*a == ' ' || *a == '\t'))
		a++;
	while (e > a && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	t = g_strndup(a, (size_t)(e - a));
	for (char *p = t; *p; p++)
		*p = g_ascii_tolower(*p);
	return keep(n, t);
}

/* What follows the last '@' of a lower-cased address, or "". */
static const char *addr_domain(const char *lc)
{
	const char *at;

	if (lc == NULL)
		return NULL;
	at = strrchr(lc, '@');
	return at != NULL ? at + 1 : "";
}

/*
 * The host of a URL, lower-cased, without user info, port or trailing dot;
 * "mailto:" gives the address's domain; anything else without "://" gives "".
 */
static const char *url_host(struct norm *n, const char *url)
{
	const char *p = strstr(url, "://"), *e, *at;
	char *h;
	size_t len;

	if (p == NULL) {
		if (g_ascii_strncasecmp(url, "mailto:", 7) != 0)
			return "";
		p = url + 7;
		e = p + strcspn(p, "?#");
		at = NULL;
		for (const char *q = p; q < e; q++)
			if (*q == '@')
				at = q;
		if (at == NULL)
			return "";
		p = at + 1;
	} else {
		p += 3;
		e = p + strcspn(p, "/?#\\");
		for (const char *q = p; q < e; q++)
			if (*q == '@')
				p = q + 1;
		if (p < e && *p == '[') {
			const char *rb = memchr(p, ']', (size_t)(e - p));

			if (rb != NULL)
				e = rb + 1;
		} else {
			const char *colon = memchr(p, ':', (size_t)(e - p));

			if (colon != NULL)
				e = colon;
		}
	}
	while (e > p && e[-1] == '.')
		e--;
	len = (size_t)(e - p);
	if (len > STORE_MAX_SHORT)
		len = STORE_MAX_SHORT;
	h = g_strndup(p, len);
	for (char *q = h; *q; q++)
		*q = g_ascii_tolower(*q);
	return text(n, keep(n, h), STORE_MAX_SHORT);
}

/* A hash: NULL, or hex of the right length (lower-cased). */
static int hash(struct norm *n, const char *s, size_t len, const char **out)
{
	*out = NULL;
	if (s == NULL)
		return 0;
	if (!is_hex(s, len))
		return -1;
	*out = keep(n, g_ascii_strdown(s, (gssize)len));
	return 0;
}

/* ---- put ---- */

struct put {
	const struct store_driver *drv;
	void *conn;
	int64_t id;
	int got;
	char **err;
};

static int got_id(void *ctx, const struct store_val *cols, int ncols)
{
	struct put *p = ctx;

	if (ncols < 1)
		return STORE_EUNAVAILABLE;
	p->id = col_int(&cols[0]);
	p->got = 1;
	return 0;
}

/* The key of a message's child row: its rows are one range (migrations.c). */
#define STORE_CHILD_SHIFT 16
_Static_assert(2 * STORE_MAX_ITEMS < (1 << STORE_CHILD_SHIFT), "child keys overlap");

static struct store_val child_key(const struct put *p, size_t i)
{
	return vi(p->id * (1 << STORE_CHILD_SHIFT) + (int64_t)i);
}

static int run(struct put *p, int sid, const struct store_val *v, int nv)
{
	return p->drv->query(p->conn, sid, sql_text[sid], v, nv, NULL, NULL, p->err);
}

/* Addresses; base: the position of the first (To follows From). */
static int put_addrs(struct put *p, struct norm *n, int sid, const char *field, size_t base,
                     const char *const *v, size_t count, size_t max)
{
	for (size_t i = 0; i < count; i++) {
		const char *a = text(n, v[i], max), *lc = addr_lc(n, a);
		struct store_val r[6];
		int k = 0, rc;

		r[k++] = child_key(p, base + i);
		r[k++] = vi(p->id);
		if (field != NULL)
			r[k++] = vt(field);
		r[k++] = vt(a);
		r[k++] = vt(lc);
		r[k++] = vt(addr_domain(lc));
		rc = run(p, sid, r, k);
		if (rc != STORE_OK)
			return rc;
	}
	return STORE_OK;
}

static int check(const struct store_msg *m, char **err)
{
	if (m->uid == NULL || !is_hex(m->uid, 32))
		return store_fail(err, STORE_EINVAL, "store: uid must be 32 hex characters");
	for (const char *p = m->uid; *p; p++)
		if (g_ascii_isupper(*p))
			return store_fail(err, STORE_EINVAL, "store: uid must be lower-case hex");
	if (m->gateway == NULL)
		return store_fail(err, STORE_EINVAL, "store: record without gateway");
	if (!one_of(m->direction, directions))
		return store_fail(err, STORE_EINVAL, "store: bad direction");
	if (!one_of(m->verdict, verdicts))
		return store_fail(err, STORE_EINVAL, "store: bad verdict");
	if (!one_of(m->action, actions))
		return store_fail(err, STORE_EINVAL, "store: bad action");
	if ((m->n_env_rcpts > 0 && m->env_rcpts == NULL) ||
	    (m->n_hdr_from > 0 && m->hdr_from == NULL) || (m->n_hdr_to > 0 && m->hdr_to == NULL) ||
	    (m->n_atts > 0 && m->atts == NULL) || (m->n_urls > 0 && m->urls == NULL) ||
	    (m->n_domains > 0 && m->domains == NULL) || (m->n_finds > 0 && m->finds == NULL))
		return store_fail(err, STORE_EINVAL, "store: a list with a count but no items");
	for (size_t i = 0; i < m->n_env_rcpts; i++)
		if (m->env_rcpts[i] == NULL)
			return store_fail(err, STORE_EINVAL, "store: NULL recipient");
	for (size_t i = 0; i < m->n_hdr_from; i++)
		if (m->hdr_from[i] == NULL)
			return store_fail(err, STORE_EINVAL, "store: NULL From address");
	for (size_t i = 0; i < m->n_hdr_to; i++)
		if (m->hdr_to[i] == NULL)
			return store_fail(err, STORE_EINVAL, "store: NULL To address");
	for (size_t i = 0; i < m->n_urls; i++)
		if (m->urls[i] == NULL)
			return store_fail(err, STORE_EINVAL, "store: NULL URL");
	for (size_t i = 0; i < m->n_domains; i++)
		if (m->domains[i] == NULL)
			return store_fail(err, STORE_EINVAL, "store: NULL domain");
	for (size_t i = 0; i < m->n_atts; i++) {
		const struct store_attachment *a = &m->atts[i];

		if (a->path == NULL)
			return store_fail(err, STORE_EINVAL, "store: attachment %zu without path",
			                  i);
		if ((a->sha256 != NULL && !is_hex(a->sha256, 64)) ||
		    (a->sha1 != NULL && !is_hex(a->sha1, 40)) ||
		    (a->md5 != NULL && !is_hex(a->md5, 32)))
			return store_fail(err, STORE_EINVAL, "store: attachment %zu: bad hash", i);
	}
	for (size_t i = 0; i < m->n_finds; i++) {
		if (m->finds[i].id == NULL)
			return store_fail(err, STORE_EINVAL, "store: finding %zu without id", i);
		if (!one_of(m->finds[i].severity, severities))
			return store_fail(err, STORE_EINVAL, "store: finding %zu: bad severity", i);
	}
	return STORE_OK;
}

static int put_children(struct put *p, struct norm *n, const struct store_msg *m)
{
	size_t c;
	int rc;

	rc = put_addrs(p, n, SQL_INSERT_RCPT, NULL, 0, m->env_rcpts, items(n, m->n_env_rcpts),
	               STORE_MAX_ADDR);
	if (rc == STORE_OK)
		rc = put_addrs(p, n, SQL_INSERT_HDR, "from", 0, m->hdr_from,
		               items(n, m->n_hdr_from), STORE_MAX_ADDR);
	if (rc == STORE_OK)
		rc = put_addrs(p, n, SQL_INSERT_HDR, "to", items(n, m->n_hdr_from), m->hdr_to,
		               items(n, m->n_hdr_to), STORE_MAX_ADDR);
	c = items(n, m->n_atts);
	for (size_t i = 0; rc == STORE_OK && i < c; i++) {
		const struct store_attachment *a = &m->atts[i];
		struct store_val r[11];
		const char *h256, *h1, *h5;

		hash(n, a->sha256, 64, &h256);
		hash(n, a->sha1, 40, &h1);
		hash(n, a->md5, 32, &h5);
		r[0] = child_key(p, i);
		r[1] = vi(p->id);
		r[2] = vt(text(n, a->path, STORE_MAX_TEXT));
		r[3] = vt(text(n, a->name, STORE_MAX_NAME));
		r[4] = vt(text(n, a->type, STORE_MAX_SHORT));
		r[5] = vt(text(n, a->mime, STORE_MAX_SHORT));
		r[6] = vt(h256);
		r[7] = vt(h1);
		r[8] = vt(h5);
		r[9] = vi(a->size > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)a->size);
		r[10] = vi(a->depth);
		rc = run(p, SQL_INSERT_ATT, r, 11);
	}
	c = items(n, m->n_urls);
	for (size_t i = 0; rc == STORE_OK && i < c; i++) {
		const char *u = text(n, m->urls[i], STORE_MAX_URL);
		struct store_val r[4] = {child_key(p, i), vi(p->id), vt(u), vt(url_host(n, u))};

		rc = run(p, SQL_INSERT_URL, r, 4);
	}
	c = items(n, m->n_domains);
	for (size_t i = 0; rc == STORE_OK && i < c; i++) {
		struct store_val r[3] = {child_key(p, i), vi(p->id),
		                         vt(text(n, m->domains[i], STORE_MAX_SHORT))};

		rc = run(p, SQL_INSERT_DOMAIN, r, 3);
	}
	c = items(n, m->n_finds);
	for (size_t i = 0; rc == STORE_OK && i < c; i++) {
		const struct store_finding *f = &m->finds[i];
		struct store_val r[8] = {child_key(p, i),
		                         vi(p->id),
		                         vt(text(n, f->id, STORE_MAX_SHORT)),
		                         vt(f->severity),
		                         vt(text(n, f->title, STORE_MAX_NAME)),
		                         vt(text(n, f->object, STORE_MAX_TEXT)),
		                         vt(text(n, f->attack, STORE_MAX_NAME)),
		                         vt(text(n, f->evidence, STORE_MAX_TEXT))};

		rc = run(p, SQL_INSERT_FINDING, r, 8);
	}
	return rc;
}

/* One record's rows, inside the caller's transaction. */
static int insert(const struct store_driver *drv, void *conn, const struct store_msg *m, char **err)
{
	struct norm n = {NULL, 0};
	struct put p = {drv, conn, 0, 0, err};
	struct store_val r[21];
	const char *env_from, *env_lc;
	int rc;

	n.owned = g_ptr_array_new_with_free_func(g_free);
	env_from = text(&n, m->env_from, STORE_MAX_ADDR);
	env_lc = addr_lc(&n, env_from);
	r[0] = vt(m->uid);
	r[1] = vt(text(&n, m->gateway, STORE_MAX_SHORT));
	r[2] = vt(text(&n, m->queue_id, STORE_MAX_SHORT));
	r[3] = vt(text(&n, m->message_id, STORE_MAX_HEADER));
	r[4] = vt(text(&n, m->date_header, STORE_MAX_HEADER));
	r[5] = vi(m->received_ms);
	r[6] = vt(m->direction);
	r[7] = vt(text(&n, m->client_addr, STORE_MAX_SHORT));
	r[8] = vt(env_from);
	r[9] = vt(env_lc);
	r[10] = vt(addr_domain(env_lc));
	r[11] = vt(text(&n, m->subject, STORE_MAX_TEXT));
	r[12] = vt(m->verdict);
	r[13] = vi(m->score);
	r[14] = vt(m->action);
	r[15] = vt(text(&n, m->quarantine_id, STORE_MAX_SHORT));
	r[16] = vi(m->size > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)m->size);
	r[17] = vr(isfinite(m->scan_ms) ? m->scan_ms : 0);
	r[18] = vi(m->drill != 0);
	r[19] = vi(n.clipped);
	r[20] = vi(store_now_ms());

	rc = drv->query(conn, SQL_INSERT_MESSAGE, sql_text[SQL_INSERT_MESSAGE], r, 21, got_id, &p,
	                err);
	if (rc == STORE_OK && !p.got)
		rc = store_fail(err, STORE_ECONFLICT, "store: record %s already stored", m->uid);
	if (rc == STORE_OK)
		rc = put_children(&p, &n, m);
	if (rc == STORE_OK && n.clipped && r[19].i == 0) {
		/* a child was clipped: rare, so one more statement then */
		struct store_val id = vi(p.id);

		rc = run(&p, SQL_MARK_CLIPPED, &id, 1);
	}
	g_ptr_array_free(n.owned, TRUE);
	return rc;
}

int store_rec_put(const struct store_driver *drv, void *conn, const struct store_msg *m, char **err)
{
	int rc = check(m, err);

	if (rc == STORE_OK)
		rc = drv->begin(conn, STORE_TX_WRITE, err);
	if (rc != STORE_OK)
		return rc;
	rc = insert(drv, conn, m, err);
	if (rc == STORE_OK)
		rc = drv->end(conn, 1, err);
	else
		drv->end(conn, 0, NULL);
	return rc;
}

/*
 * Several records in one transaction (group commit), each inside its own
 * savepoint: a record that fails (a duplicate, a refusal) takes back only
 * its own rows. If the commit fails, every record that had gone in fails
 * with it.
 */
void store_rec_put_many(const struct store_driver *drv, void *conn,
                        const struct store_msg *const *ms, int *rcs, char **errs, size_t n)
{
	int rc;
	char *e = NULL;

	rc = drv->begin(conn, STORE_TX_WRITE, &e);
	for (size_t i = 0; i < n; i++) {
		rcs[i] = rc != STORE_OK
		                 ? store_fail(&errs[i], rc, "%s", e != NULL ? e : "store: failed")
		                 : check(ms[i], &errs[i]);
		if (rcs[i] != STORE_OK)
			continue;
		rcs[i] = drv->query(conn, SQL_SAVEPOINT, sql_text[SQL_SAVEPOINT], NULL, 0, NULL,
		                    NULL, &errs[i]);
		if (rcs[i] != STORE_OK)
			continue;
		rcs[i] = insert(drv, conn, ms[i], &errs[i]);
		if (rcs[i] != STORE_OK)
			drv->query(conn, SQL_ROLLBACK_TO, sql_text[SQL_ROLLBACK_TO], NULL, 0, NULL,
			           NULL, NULL);
		/* RELEASE after ROLLBACK TO ends the savepoint in both engines */
		rc = drv->query(conn, SQL_RELEASE, sql_text[SQL_RELEASE], NULL, 0, NULL, NULL, &e);
		if (rc != STORE_OK && rcs[i] == STORE_OK)
			rcs[i] = store_fail(&errs[i], rc, "%s", e != NULL ? e : "store: failed");
	}
	if (rc == STORE_OK)
		rc = drv->end(conn, 1, &e);
	else
		drv->end(conn, 0, NULL);
	for (size_t i = 0; rc != STORE_OK && i < n; i++)
		if (rcs[i] == STORE_OK)
			rcs[i] = store_fail(&errs[i], rc, "%s",
			                    e != NULL ? e : "store: commit failed");
	free(e);
}

/* ---- get ---- */

struct get {
	GStringChunk *chunk;
	struct store_msg m;
	int64_t id;
	int found, clipped;
	GPtrArray *rcpts, *from, *to, *urls, *domains;
	GPtrArray *list; /* where row_str() appends */
	GArray *atts, *finds;
};

static const char *cp(struct get *g, const struct store_val *v)
{
	const char *s = col_text(v);

	return s != NULL ? g_string_chunk_insert(g->chunk, s) : NULL;
}

static int row_message(void *ctx, const struct store_val *c, int nc)
{
	struct get *g = ctx;
	struct store_msg *m = &g->m;

	if (nc < 19)
		return STORE_EUNAVAILABLE;
	g->id = col_int(&c[0]);
	m->uid = cp(g, &c[1]);
	m->gateway = cp(g, &c[2]);
	m->queue_id = cp(g, &c[3]);
	m->message_id = cp(g, &c[4]);
	m->date_header = cp(g, &c[5]);
	m->received_ms = col_int(&c[6]);
	m->direction = cp(g, &c[7]);
	m->client_addr = cp(g, &c[8]);
	m->env_from = cp(g, &c[9]);
	m->subject = cp(g, &c[10]);
	m->verdict = cp(g, &c[11]);
	m->score = (int)col_int(&c[12]);
	m->action = cp(g, &c[13]);
	m->quarantine_id = cp(g, &c[14]);
	m->size = (uint64_t)col_int(&c[15]);
	m->scan_ms = col_real(&c[16]);
	m->drill = col_int(&c[17]) != 0;
	g->clipped = col_int(&c[18]) != 0;
	g->found = 1;
	return 0;
}

static int row_str(void *ctx, const struct store_val *c, int nc)
{
	struct get *g = ctx;

	(void)nc;
	g_ptr_array_add(g->list, (gpointer)cp(g, &c[0]));
	return 0;
}

static int row_hdr(void *ctx, const struct store_val *c, int nc)
{
	struct get *g = ctx;
	const char *f = col_text(&c[0]);

	if (nc < 2 || f == NULL)
		return STORE_EUNAVAILABLE;
	g_ptr_array_add(strcmp(f, "from") == 0 ? g->from : g->to, (gpointer)cp(g, &c[1]));
	return 0;
}

static int row_att(void *ctx, const struct store_val *c, int nc)
{
	struct get *g = ctx;
	struct store_attachment a;

	if (nc < 9)
		return STORE_EUNAVAILABLE;
	a.path = cp(g, &c[0]);
	a.name = cp(g, &c[1]);
	a.type = cp(g, &c[2]);
	a.mime = cp(g, &c[3]);
	a.sha256 = cp(g, &c[4]);
	a.sha1 = cp(g, &c[5]);
	a.md5 = cp(g, &c[6]);
	a.size = (uint64_t)col_int(&c[7]);
	a.depth = (unsigned)col_int(&c[8]);
	g_array_append_val(g->atts, a);
	return 0;
}

static int row_finding(void *ctx, const struct store_val *c, int nc)
{
	struct get *g = ctx;
	struct store_finding f;

	if (nc < 6)
		return STORE_EUNAVAILABLE;
	f.id = cp(g, &c[0]);
	f.severity = cp(g, &c[1]);
	f.title = cp(g, &c[2]);
	f.object = cp(g, &c[3]);
	f.attack = cp(g, &c[4]);
	f.evidence = cp(g, &c[5]);
	g_array_append_val(g->finds, f);
	return 0;
}

/* The keys of message id's child rows, for "id BETWEEN ? AND ?". */
static void child_range(int64_t id, struct store_val *range)
{
	range[0] = vi(id * (1 << STORE_CHILD_SHIFT));
	range[1] = vi(id * (1 << STORE_CHILD_SHIFT) + (1 << STORE_CHILD_SHIFT) - 1);
}

/* Reads one list of strings into arr. */
static int get_list(const struct store_driver *drv, void *conn, struct get *g, int sid,
                    GPtrArray *arr, char **err)
{
	struct store_val range[2];

	child_range(g->id, range);
	g->list = arr;
	return drv->query(conn, sid, sql_text[sid], range, 2, row_str, g, err);
}

int store_rec_get_json(const struct store_driver *drv, void *conn, const char *uid, char **json,
                       char **err)
{
	struct get g;
	struct store_val key = vt(uid), id[2];
	json_t *o = NULL;
	int rc;

	memset(&g, 0, sizeof g);
	g.chunk = g_string_chunk_new(4096);
	g.rcpts = g_ptr_array_new();
	g.from = g_ptr_array_new();
	g.to = g_ptr_array_new();
	g.urls = g_ptr_array_new();
	g.domains = g_ptr_array_new();
	g.atts = g_array_new(FALSE, TRUE, sizeof(struct store_attachment));
	g.finds = g_array_new(FALSE, TRUE, sizeof(struct store_finding));

	rc = drv->query(conn, SQL_GET_MESSAGE, sql_text[SQL_GET_MESSAGE], &key, 1, row_message, &g,
	                err);
	if (rc == STORE_OK && !g.found)
		rc = store_fail(err, STORE_ENOTFOUND, "store: no record %s", uid);
	if (rc != STORE_OK)
		goto out;
	child_range(g.id, id);
	rc = get_list(drv, conn, &g, SQL_GET_RCPTS, g.rcpts, err);
	if (rc == STORE_OK)
		rc = drv->query(conn, SQL_GET_HDRS, sql_text[SQL_GET_HDRS], id, 2, row_hdr, &g,
		                err);
	if (rc == STORE_OK)
		rc = drv->query(conn, SQL_GET_ATTS, sql_text[SQL_GET_ATTS], id, 2, row_att, &g,
		                err);
	if (rc == STORE_OK)
		rc = get_list(drv, conn, &g, SQL_GET_URLS, g.urls, err);
	if (rc == STORE_OK)
		rc = get_list(drv, conn, &g, SQL_GET_DOMAINS, g.domains, err);
	if (rc == STORE_OK)
		rc = drv->query(conn, SQL_GET_FINDINGS, sql_text[SQL_GET_FINDINGS], id, 2,
		                row_finding, &g, err);
	if (rc != STORE_OK)
		goto out;
	g.m.env_rcpts = (const char *const *)g.rcpts->pdata;
	g.m.n_env_rcpts = g.rcpts->len;
	g.m.hdr_from = (const char *const *)g.from->pdata;
	g.m.n_hdr_from = g.from->len;
	g.m.hdr_to = (const char *const *)g.to->pdata;
	g.m.n_hdr_to = g.to->len;
	g.m.urls = (const char *const *)g.urls->pdata;
	g.m.n_urls = g.urls->len;
	g.m.domains = (const char *const *)g.domains->pdata;
	g.m.n_domains = g.domains->len;
	g.m.atts = (const struct store_attachment *)(void *)g.atts->data;
	g.m.n_atts = g.atts->len;
	g.m.finds = (const struct store_finding *)(void *)g.finds->data;
	g.m.n_finds = g.finds->len;
	o = store_rec_to_jsonv(&g.m);
	if (o != NULL && g.clipped && json_object_set_new(o, "clipped", json_true()) != 0) {
		json_decref(o);
		o = NULL;
	}
	if (o != NULL)
		*json = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (*json == NULL)
		rc = store_fail(err, STORE_EUNAVAILABLE, "store: out of memory");
out:
	json_decref(o);
	g_string_chunk_free(g.chunk);
	g_ptr_array_free(g.rcpts, TRUE);
	g_ptr_array_free(g.from, TRUE);
	g_ptr_array_free(g.to, TRUE);
	g_ptr_array_free(g.urls, TRUE);
	g_ptr_array_free(g.domains, TRUE);
	g_array_free(g.atts, TRUE);
	g_array_free(g.finds, TRUE);
	return rc;
}

/* ---- count ---- */

static int row_count(void *ctx, const struct store_val *c, int nc)
{
	if (nc < 1)
		return STORE_EUNAVAILABLE;
	*(int64_t *)ctx = col_int(&c[0]);
	return 0;
}

int store_rec_count(const struct store_driver *drv, void *conn, const char *verdict, int64_t *count,
                    char **err)
{
	struct store_val v = vt(verdict);

	if (verdict != NULL && !one_of(verdict, verdicts))
		return store_fail(err, STORE_EINVAL, "store: bad verdict");
	if (verdict == NULL)
		return drv->query(conn, SQL_COUNT_ALL, sql_text[SQL_COUNT_ALL], NULL, 0, row_count,
		                  count, err);
	return drv->query(conn, SQL_COUNT_VERDICT, sql_text[SQL_COUNT_VERDICT], &v, 1, row_count,
	                  count, err);
}
