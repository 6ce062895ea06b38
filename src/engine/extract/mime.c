/*
 * mime.c - email messages: MIME structure with GMime, leaves as children.
 *
 * Each leaf part becomes a child object holding its transfer-decoded bytes,
 * named by its IMAP section ("2.1") and file name. An encapsulated message
 * (message/rfc822, message/global) becomes a child of type "email" holding
 * its bytes exactly as they stand in the parent, and is unpacked again by
 * this extractor, with section numbers continuing its own ("2" -> "2.1",
 * "2.2"), as IMAP numbers them.
 *
 * Where GMime reads a message differently from the IMAP server whose section
 * numbers we report (Dovecot) or hides what lenient readers show, we follow
 * them instead, so that nothing a reader can open goes unscanned: an empty
 * part GMime drops still takes its number; the first of two Content-Type
 * fields wins; a boundary line with text after the boundary is a boundary;
 * a boundary parameter without its ';' is found; the text of a multipart
 * without parts and of a message/rfc822 part that is no message is scanned.
 * Some of these are done by parsing again a copy of the bytes patched at the
 * offsets GMime's warnings give (same length, so all offsets hold); the
 * golden tests in tests/golden/ measure the result against other parsers.
 *
 * Parser anomalies are findings: GMime's warning callback reports the places
 * where mail clients disagree (conflicting headers, missing boundaries, bad
 * header names, nesting overflow) and we add our own checks for tricks it
 * accepts silently (two different attachment names, unknown transfer
 * encodings, junk in base64).
 *
 * Ownership: GMime reads the object's bytes in place; when a copy is needed
 * (patches, a final line break) this module owns it until the parse is freed.
 * Children get malloc'ed buffers that vscan_emit() takes over.
 *
 * Limits: multipart nesting is bounded by VIGIL_LIMIT_MIME_DEPTH (counted
 * across encapsulated messages too); every child by vscan_room(); anomalies,
 * dropped parts and boundaries remembered by MAX_* below; at most three
 * parses of one message; every scan of the raw bytes is linear in them.
 */
#include "../internal.h"

#include <gmime/gmime.h>
#include <string.h>

#include "../../util/vbuf.h"
#include "password.h"

#define MAX_ANOMALIES 64
#define MAX_DROPPED 4096

struct anomaly {
	GMimeParserWarning code;
	char *item;
	gint64 offset;
	bool patched; /* fixed in the copy we parsed again */
};

struct mime_ctx {
	vigil_scan *s;
	vigil_object *o;
	GArray *anomalies;
	GArray *dropped;        /* gint64: where GMime skipped an empty part */
	GMimeObject *root_body; /* the message's body and its last header */
	gint64 root_last;
	const uint8_t *buf; /* the bytes GMime parsed: offsets point here */
	size_t len;         /* the object's length (buf may hold a line break more) */
	size_t plen;        /* the length GMime parsed */
	uint8_t *own;       /* our copy of the bytes, when we needed one */
	GMimeStream *stream;
	bool stop;
};

/* the boundaries of the multiparts around a part, innermost first */
struct bstack {
	const char *b;
	size_t blen;
	bool digest;
	const struct bstack *up;
};

static void warn_cb(gint64 offset, GMimeParserWarning code, const gchar *item, gpointer user)
{
	struct mime_ctx *c = user;
	struct anomaly a;

	/* an empty part between two boundaries: GMime drops it, IMAP counts it */
	if (code == GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT && offset >= 0 &&
	    c->dropped->len < MAX_DROPPED)
		g_array_append_val(c->dropped, offset);
	if (c->anomalies->len >= MAX_ANOMALIES)
		return;
	a.code = code;
	a.patched = false;
	a.item = item ? vstr_sanitize(item, 200) : NULL;
	a.offset = offset;
	g_array_append_val(c->anomalies, a);
}

static finding_kind anomaly_kind(GMimeParserWarning code)
{
	switch (code) {
	case GMIME_WARN_DUPLICATED_HEADER:
		return F_MIME_DUP_HEADER;
	case GMIME_WARN_DUPLICATED_PARAMETER:
		return F_MIME_DUP_PARAM;
	case GMIME_WARN_UNENCODED_8BIT_HEADER:
		return F_MIME_8BIT_HEADER;
	case GMIME_WARN_INVALID_CONTENT_TYPE:
		return F_MIME_BAD_CTYPE;
	case GMIME_WARN_INVALID_RFC2047_HEADER_VALUE:
		return F_MIME_BAD_RFC2047;
	case GMIME_WARN_MALFORMED_MULTIPART:
		return F_MIME_MALFORMED_MULTIPART;
	case GMIME_WARN_TRUNCATED_MESSAGE:
		return F_MIME_TRUNCATED;
	case GMIME_WARN_MALFORMED_MESSAGE:
		return F_MIME_MALFORMED;
	case GMIME_CRIT_INVALID_HEADER_NAME:
		return F_MIME_BAD_HEADER_NAME;
	case GMIME_CRIT_CONFLICTING_HEADER:
		return F_MIME_CONFLICT_HEADER;
	case GMIME_CRIT_CONFLICTING_PARAMETER:
		return F_MIME_CONFLICT_PARAM;
	case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
		return F_MIME_NO_BOUNDARY;
	case GMIME_WARN_INVALID_PARAMETER:
		return F_MIME_BAD_PARAM;
	case GMIME_WARN_INVALID_ADDRESS_LIST:
		return F_MIME_BAD_ADDRESS;
	case GMIME_CRIT_NESTING_OVERFLOW:
		return F_MIME_NESTING;
	case GMIME_WARN_PART_WITHOUT_CONTENT:
	case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT:
		return F_MIME_EMPTY_PART;
	}
	return F_MIME_MALFORMED;
}

static void report_anomalies(struct mime_ctx *c)
{
	for (guint i = 0; i < c->anomalies->len; i++) {
		struct anomaly *a = &g_array_index(c->anomalies, struct anomaly, i);

		vfinding_add(c->s, c->o, anomaly_kind(a->code), "%s%s(offset %lld)",
		             a->item ? a->item : "", a->item ? " " : "", (long long)a->offset);
		g_free(a->item);
	}
	g_array_set_size(c->anomalies, 0);
}

/* ---- message facts ---- */

static void add_addresses(vigil_scan *s, vigil_fact f, InternetAddressList *l, int level)
{
	int n;

	if (l == NULL || level > 4)
		return;
	n = internet_address_list_length(l);
	for (int i = 0; i < n && i < 500; i++) {
		InternetAddress *a = internet_address_list_get_address(l, i);

		if (INTERNET_ADDRESS_IS_MAILBOX(a)) {
			const char *addr =
			        internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a));

			if (addr != NULL && *addr) {
				char *low = g_ascii_strdown(addr, -1);

				vscan_fact(s, f, low);
				g_free(low);
			}
		} else if (INTERNET_ADDRESS_IS_GROUP(a)) {
			add_addresses(s, f,
			              internet_address_group_get_members(INTERNET_ADDRESS_GROUP(a)),
			              level + 1);
		}
	}
}

#define MAX_KEPT_HEADERS 300
#define MAX_KEPT_VALUE 8192

static void vhdr_free(gpointer p)
{
	struct vhdr *h = p;

	g_free(h->name);
	g_free(h->raw);
	g_free(h->value);
	g_free(h);
}

/* folded raw value on one line */
static char *unfold(const char *v)
{
	size_t n = strnlen(v, 4 * MAX_KEPT_VALUE), k = 0;
	char *r = g_malloc((n < MAX_KEPT_VALUE ? n : MAX_KEPT_VALUE) + 1);

	for (size_t i = 0; i < n && k < MAX_KEPT_VALUE; i++) {
		if (v[i] == '\r' || v[i] == '\n')
			continue;
		r[k++] = v[i] == '\t' ? ' ' : v[i];
	}
	r[k] = 0;
	return g_strstrip(r);
}

/* the message's own header, for analyzers that run after the extraction */
static void keep_headers(vigil_object *o, GMimeMessage *m)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(GMIME_OBJECT(m));
	int n = hl ? g_mime_header_list_get_count(hl) : 0;

	if (o->hdrs != NULL)
		g_ptr_array_unref(o->hdrs);
	o->hdrs = g_ptr_array_new_with_free_func(vhdr_free);
	for (int i = 0; i < n && i < MAX_KEPT_HEADERS; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		const char *name = g_mime_header_get_name(h);
		const char *raw = g_mime_header_get_raw_value(h);
		const char *val = g_mime_header_get_value(h);
		struct vhdr *x;
		char *u;

		if (name == NULL)
			continue;
		x = g_new0(struct vhdr, 1);
		x->name = vstr_sanitize(name, 128);
		u = unfold(raw ? raw : "");
		x->raw = vstr_sanitize(u, MAX_KEPT_VALUE);
		g_free(u);
		u = unfold(val ? val : (raw ? raw : ""));
		x->value = vstr_sanitize(u, MAX_KEPT_VALUE);
		g_free(u);
		g_ptr_array_add(o->hdrs, x);
	}
}

static void message_facts(vigil_scan *s, GMimeMessage *m)
{
	const char *v;

	add_addresses(s, VIGIL_FACT_FROM, g_mime_message_get_from(m), 0);
	add_addresses(s, VIGIL_FACT_TO, g_mime_message_get_to(m), 0);
	add_addresses(s, VIGIL_FACT_TO, g_mime_message_get_cc(m), 0);
	v = g_mime_message_get_subject(m);
	if (v != NULL)
		vscan_fact(s, VIGIL_FACT_SUBJECT, v);
	v = g_mime_message_get_message_id(m);
	if (v != NULL)
		vscan_fact(s, VIGIL_FACT_MESSAGE_ID, v);
	v = g_mime_object_get_header(GMIME_OBJECT(m), "Date");
	if (v != NULL) {
		char *d = g_strstrip(g_strdup(v));

		vscan_fact(s, VIGIL_FACT_DATE, d);
		g_free(d);
	}
}

/* ---- our own checks on a leaf ---- */

static bool names_differ(const char *a, const char *b)
{
	return a != NULL && b != NULL && *a && *b && strcmp(a, b) != 0;
}

static const char *const known_cte[] = {
        "7bit",       "8bit",     "binary", "base64", "quoted-printable",
        "x-uuencode", "uuencode", "x-uue",  NULL};

static void check_part(struct mime_ctx *c, GMimePart *part, const char *section)
{
	GMimeObject *obj = GMIME_OBJECT(part);
	const char *name = g_mime_object_get_content_type_parameter(obj, "name");
	const char *fname = g_mime_object_get_content_disposition_parameter(obj, "filename");
	const char *cte = g_mime_object_get_header(obj, "Content-Transfer-Encoding");

	if (names_differ(name, fname))
		vfinding_add(c->s, c->o, F_MIME_NAME_CONFLICT,
		             "part %s: name=\"%s\" filename=\"%s\"", section, name, fname);
	if (cte != NULL) {
		char *dup = g_strstrip(g_strdup(cte));
		char *t = g_ascii_strdown(dup, -1);
		bool known = false;

		g_free(dup);

		for (const char *const *k = known_cte; *k != NULL; k++)
			if (strcmp(t, *k) == 0)
				known = true;
		if (!known)
			vfinding_add(c->s, c->o, F_MIME_BAD_ENCODING, "part %s: \"%s\"", section,
			             t);
		g_free(t);
	}
}

/* base64 bodies that carry characters outside the alphabet */
static void check_base64(struct mime_ctx *c, GMimeDataWrapper *w, const char *section)
{
	GMimeStream *st = g_mime_data_wrapper_get_stream(w);
	char buf[4096];
	ssize_t n;
	size_t bad = 0, seen = 0;

	if (st == NULL || g_mime_stream_reset(st) != 0)
		return;
	while ((n = g_mime_stream_read(st, buf, sizeof buf)) > 0 && seen < (1u << 20)) {
		for (ssize_t i = 0; i < n; i++) {
			guchar ch = (guchar)buf[i];

			if (!(g_ascii_isalnum(ch) || ch == '+' || ch == '/' || ch == '=' ||
			      g_ascii_isspace(ch)))
				bad++;
		}
		seen += (size_t)n;
	}
	g_mime_stream_reset(st);
	if (bad > 0)
		vfinding_add(c->s, c->o, F_MIME_BAD_BASE64, "part %s: %zu invalid characters",
		             section, bad);
}

/* ---- where GMime's objects are in the raw bytes ---- */

static gint64 min_offset(gint64 a, gint64 b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a < b ? a : b;
}

static gint64 headers_first(GMimeObject *obj)
{
	GMimeHeaderList *hl = obj ? g_mime_object_get_header_list(obj) : NULL;
	int n = hl ? g_mime_header_list_get_count(hl) : 0;
	gint64 best = -1;

	for (int i = 0; i < n; i++)
		best = min_offset(
		        best, g_mime_header_get_offset(g_mime_header_list_get_header_at(hl, i)));
	return best;
}

/*
 * Where an object starts: its first header, or for one without headers the
 * start of its content (GMime keeps a leaf's content as a substream of the
 * message, so its bounds are offsets into our buffer). -1 if unknown.
 */
static gint64 obj_start(GMimeObject *obj, unsigned level)
{
	gint64 off = headers_first(obj);

	if (off >= 0 || obj == NULL || level > 8)
		return off;
	if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *m = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));

		if (m != NULL)
			off = min_offset(headers_first(GMIME_OBJECT(m)),
			                 obj_start(g_mime_message_get_mime_part(m), level + 1));
	} else if (GMIME_IS_MULTIPART(obj)) {
		if (g_mime_multipart_get_count(GMIME_MULTIPART(obj)) > 0)
			off = obj_start(g_mime_multipart_get_part(GMIME_MULTIPART(obj), 0),
			                level + 1);
	} else if (GMIME_IS_PART(obj)) {
		GMimeDataWrapper *w = g_mime_part_get_content(GMIME_PART(obj));
		GMimeStream *st = w ? g_mime_data_wrapper_get_stream(w) : NULL;

		if (st != NULL)
			off = st->bound_start;
	}
	return off;
}

static gint64 headers_last(GMimeObject *obj)
{
	GMimeHeaderList *hl = obj ? g_mime_object_get_header_list(obj) : NULL;
	int n = hl ? g_mime_header_list_get_count(hl) : 0;
	gint64 best = -1;

	for (int i = 0; i < n; i++) {
		gint64 off = g_mime_header_get_offset(g_mime_header_list_get_header_at(hl, i));

		if (off > best)
			best = off;
	}
	return best;
}

/* The last offset GMime recorded inside an object (a header, the end of a content). */
static gint64 obj_last(GMimeObject *obj, unsigned level)
{
	gint64 off = headers_last(obj), sub = -1;

	if (obj == NULL || level > 128)
		return off;
	if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *m = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));

		if (m != NULL) {
			sub = headers_last(GMIME_OBJECT(m));
			off = MAX(off, sub);
			sub = obj_last(g_mime_message_get_mime_part(m), level + 1);
		}
	} else if (GMIME_IS_MULTIPART(obj)) {
		int n = g_mime_multipart_get_count(GMIME_MULTIPART(obj));

		if (n > 0)
			sub = obj_last(g_mime_multipart_get_part(GMIME_MULTIPART(obj), n - 1),
			               level + 1);
	} else if (GMIME_IS_PART(obj)) {
		GMimeDataWrapper *w = g_mime_part_get_content(GMIME_PART(obj));
		GMimeStream *st = w ? g_mime_data_wrapper_get_stream(w) : NULL;

		if (st != NULL)
			sub = st->bound_end;
	}
	return MAX(off, sub);
}

static bool all_lwsp(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
			return false;
	return true;
}

/*
 * A line (without its '\n') that is "--boundary" (1) or "--boundary--" (2),
 * trailing blanks allowed, matched the way GMime's parser matches them.
 */
static int boundary_line(const uint8_t *p, size_t n, const struct bstack *b)
{
	size_t i = b->blen + 2;

	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (n < i || p[0] != '-' || p[1] != '-' || memcmp(p + 2, b->b, b->blen) != 0)
		return 0;
	if (n - i >= 2 && p[i] == '-' && p[i + 1] == '-' && all_lwsp(p + i + 2, n - i - 2))
		return 2;
	return all_lwsp(p + i, n - i) ? 1 : 0;
}

/* the first line at or after 'from' that is a boundary of any enclosing multipart */
static bool next_boundary(const struct mime_ctx *c, size_t from, const struct bstack *up,
                          size_t *at)
{
	size_t p = from;

	while (up != NULL && p < c->len) {
		const uint8_t *nl = memchr(c->buf + p, '\n', c->len - p);
		size_t n = nl != NULL ? (size_t)(nl - (c->buf + p)) : c->len - p;

		if (n >= 2 && c->buf[p] == '-' && c->buf[p + 1] == '-')
			for (const struct bstack *b = up; b != NULL; b = b->up)
				if (boundary_line(c->buf + p, n, b) != 0) {
					*at = p;
					return true;
				}
		if (nl == NULL)
			break;
		p += n + 1;
	}
	return false;
}

/*
 * Where the content after a header block starts: the line after the first
 * blank line from the header line at 'last' on (GMime reads every line up
 * to it as part of the block). False if a boundary or the end comes first.
 */
static bool content_start(const struct mime_ctx *c, gint64 last, const struct bstack *up,
                          size_t *start)
{
	size_t p;

	if (last < 0 || (guint64)last >= c->len)
		return false;
	p = (size_t)last;
	while (p < c->len) {
		const uint8_t *nl = memchr(c->buf + p, '\n', c->len - p);
		size_t n = nl != NULL ? (size_t)(nl - (c->buf + p)) : c->len - p;
		size_t len = n > 0 && c->buf[p + n - 1] == '\r' ? n - 1 : n;

		if (nl == NULL)
			return false;
		if (len == 0) {
			*start = p + n + 1;
			return true;
		}
		for (const struct bstack *b = up; b != NULL; b = b->up)
			if (boundary_line(c->buf + p, len, b) != 0)
				return false;
		p += n + 1;
	}
	return false;
}

/* the end of content that starts at p: the next boundary of up, without its line break */
static size_t content_end(const struct mime_ctx *c, size_t p, size_t from, const struct bstack *up)
{
	size_t e = c->len;

	if (next_boundary(c, from, up, &e) && e > p) {
		if (c->buf[e - 1] == '\n')
			e--;
		if (e > p && c->buf[e - 1] == '\r')
			e--;
	}
	return e;
}

/*
 * The bytes of an encapsulated message as they stand in its parent: from the
 * line after the blank line that ends the message/rfc822 part's headers, to
 * the boundary that ends the part (whose line break belongs to the boundary).
 * GMime parses the message in place and keeps no copy of it; writing it out
 * again would not give the same bytes (line endings, folding), so we find
 * its extent ourselves. False if it cannot be found (no headers to anchor).
 */
static bool message_range(const struct mime_ctx *c, GMimeMessagePart *mp, GMimeMessage *m,
                          const struct bstack *up, size_t *start, size_t *end)
{
	gint64 h = min_offset(headers_first(GMIME_OBJECT(m)),
	                      headers_first(g_mime_message_get_mime_part(m)));
	size_t p, from;

	/* after the part's own headers; or, in a digest where parts may have
	 * none, back from the message's first header */
	if (content_start(c, headers_last(GMIME_OBJECT(mp)), up, &p))
		goto found;
	if (h < 0 || (guint64)h > c->len)
		return false;
	/* back over the lines before the first header that GMime skipped
	 * (an mbox From_ line, junk) to the blank line that precedes them */
	p = (size_t)h;
	while (p > 0) {
		size_t q = p - 1, ls = q, n;

		if (c->buf[q] != '\n')
			return false;
		while (ls > 0 && c->buf[ls - 1] != '\n')
			ls--;
		n = q - ls;
		if (n > 0 && c->buf[q - 1] == '\r')
			n--;
		if (n == 0)
			break;
		p = ls;
	}
found:
	/*
	 * The part ends at the first boundary of an enclosing multipart after
	 * the last thing GMime found in the message: a multipart inside that
	 * reuses an outer boundary must not cut the message short of it.
	 */
	from = (size_t)MAX((gint64)p, MAX(headers_last(GMIME_OBJECT(m)),
	                                  obj_last(g_mime_message_get_mime_part(m), 0)));
	if (from > c->len)
		from = c->len;
	*start = p;
	*end = content_end(c, p, from, up);
	return true;
}

/* ---- decoding a leaf into a bounded buffer ---- */

static uint8_t *decode_part(struct mime_ctx *c, GMimePart *part, size_t *len, bool *truncated)
{
	GMimeDataWrapper *w = g_mime_part_get_content(part);
	GMimeStream *st, *filtered, *raw, *clamp = NULL;
	GMimeFilter *dec;
	GMimeContentEncoding enc;
	vigil_limit which;
	size_t room = vscan_room(c->s, c->o, &which);
	vbuf b;
	char buf[8192];
	ssize_t n;

	*truncated = false;
	*len = 0;
	vbuf_init(&b, room);
	if (w == NULL)
		return vbuf_steal(&b, len);
	raw = g_mime_data_wrapper_get_stream(w);
	enc = g_mime_data_wrapper_get_encoding(w);
	if (raw == NULL || g_mime_stream_reset(raw) != 0)
		return vbuf_steal(&b, len);
	/* not the line break we added at the end (see own_copy) */
	if (c->stream != NULL && raw->bound_start >= 0 && raw->bound_end > (gint64)c->len) {
		clamp = g_mime_stream_substream(c->stream, MIN(raw->bound_start, (gint64)c->len),
		                                (gint64)c->len);
		raw = clamp;
	}
	st = g_mime_stream_filter_new(raw);
	filtered = st;
	if (enc != GMIME_CONTENT_ENCODING_DEFAULT && enc != GMIME_CONTENT_ENCODING_7BIT &&
	    enc != GMIME_CONTENT_ENCODING_8BIT && enc != GMIME_CONTENT_ENCODING_BINARY) {
		dec = g_mime_filter_basic_new(enc, FALSE);
		g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered), dec);
		g_object_unref(dec);
	}
	while ((n = g_mime_stream_read(filtered, buf, sizeof buf)) > 0) {
		if (vbuf_append(&b, buf, (size_t)n) != VBUF_OK) {
			*truncated = true;
			break;
		}
	}
	g_object_unref(filtered);
	g_mime_stream_reset(raw);
	if (clamp != NULL)
		g_object_unref(clamp);
	if (*truncated)
		vscan_limit(c->s, c->o, which, "MIME part larger than the limit");
	return vbuf_steal(&b, len);
}

/* ---- the walk ---- */

static char *section_child(const char *prefix, int i)
{
	if (prefix == NULL || *prefix == 0)
		return g_strdup_printf("%d", i);
	return g_strdup_printf("%s.%d", prefix, i);
}

/* path segment: the section relative to the message being unpacked */
static char *make_seg(struct mime_ctx *c, const char *section, const char *name)
{
	const char *rel = section;
	size_t pl = c->o->part ? strlen(c->o->part) : 0;

	if (pl > 0 && strncmp(section, c->o->part, pl) == 0 && section[pl] == '.')
		rel = section + pl + 1;
	if (name != NULL && *name)
		return g_strdup_printf("%s:%s", rel, name);
	return g_strdup(rel);
}

static void emit_leaf(struct mime_ctx *c, GMimePart *part, const char *section, unsigned depth)
{
	GMimeObject *obj = GMIME_OBJECT(part);
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	char *mt = ct ? g_mime_content_type_get_mime_type(ct) : NULL;
	const char *charset = g_mime_object_get_content_type_parameter(obj, "charset");
	const char *disp = g_mime_object_get_disposition(obj);
	const char *fname = g_mime_part_get_filename(part);
	vchild ch;
	bool truncated;
	char *lower = mt ? g_ascii_strdown(mt, -1) : NULL;
	char *seg;

	check_part(c, part, section);
	if (g_mime_part_get_content_encoding(part) == GMIME_CONTENT_ENCODING_BASE64 &&
	    g_mime_part_get_content(part) != NULL)
		check_base64(c, g_mime_part_get_content(part), section);

	memset(&ch, 0, sizeof ch);
	ch.data = decode_part(c, part, &ch.len, &truncated);
	ch.flags = truncated ? VIGIL_OBJ_TRUNCATED : 0;
	ch.part = section;
	ch.name = fname;
	seg = make_seg(c, section, fname);
	ch.seg = seg;
	ch.ctype = lower;
	ch.charset = charset;
	ch.disposition = disp;
	ch.mime_depth = depth;
	if (lower != NULL &&
	    (strcmp(lower, "message/rfc822") == 0 || strcmp(lower, "message/global") == 0))
		ch.type_hint = "email";
	else if (lower != NULL && strcmp(lower, "application/mac-binhex40") == 0)
		ch.type_hint = "binhex";
	if (vscan_emit(c->s, c->o, &ch) == VSCAN_STOP)
		c->stop = true;
	g_free(seg);
	g_free(mt);
	g_free(lower);
}

static void walk(struct mime_ctx *c, GMimeObject *obj, const char *section, unsigned depth,
                 const struct bstack *up, gint64 limit);

static void emit_empty(struct mime_ctx *c, const char *section, unsigned depth, bool digest)
{
	vchild ch;
	char *seg = make_seg(c, section, NULL);

	memset(&ch, 0, sizeof ch);
	ch.data = malloc(1);
	if (ch.data == NULL) {
		g_free(seg);
		return;
	}
	ch.part = section;
	ch.seg = seg;
	/* the type a part without headers has (RFC 2046 5.1.5) */
	ch.ctype = digest ? "message/rfc822" : "text/plain";
	ch.mime_depth = depth;
	if (vscan_emit(c->s, c->o, &ch) == VSCAN_STOP)
		c->stop = true;
	g_free(seg);
}

/* true if the line before offset x is a "--boundary" line of multipart b */
static bool opened_by(const struct mime_ctx *c, gint64 x, const struct bstack *b)
{
	size_t q, ls;

	if (x <= 0 || (guint64)x > c->len || c->buf[x - 1] != '\n')
		return false;
	q = (size_t)x - 1;
	ls = q;
	while (ls > 0 && c->buf[ls - 1] != '\n')
		ls--;
	return boundary_line(c->buf + ls, q - ls, b) == 1;
}

/*
 * GMime drops a part that has neither headers nor content ("--b" right after
 * "--b"), but IMAP servers and other parsers count it, so the parts after it
 * would get other section numbers than the server gives them. GMime's warning
 * tells where it was; emit an empty part there to keep the numbering.
 */
static void emit_dropped(struct mime_ctx *c, const struct bstack *b, gint64 from, gint64 to,
                         const char *section, int *idx, unsigned depth)
{
	for (guint k = 0; k < c->dropped->len && !c->stop; k++) {
		gint64 x = g_array_index(c->dropped, gint64, k);
		char *sec;

		if (x < 0 || x <= from || (to >= 0 && x >= to) || !opened_by(c, x, b))
			continue;
		g_array_index(c->dropped, gint64, k) = -1;
		sec = section_child(section, (*idx)++);
		emit_empty(c, sec, depth, b->digest);
		g_free(sec);
	}
}

static void emit_message(struct mime_ctx *c, GMimeMessagePart *mp, const char *section,
                         unsigned depth, const struct bstack *up)
{
	GMimeMessage *m = g_mime_message_part_get_message(mp);
	GMimeObject *obj = GMIME_OBJECT(mp);
	GMimeStream *mem = NULL;
	const uint8_t *src;
	size_t start, end;
	vigil_limit which;
	size_t room = vscan_room(c->s, c->o, &which);
	vchild ch;
	char *seg;

	if (m == NULL)
		return;
	memset(&ch, 0, sizeof ch);
	if (message_range(c, mp, m, up, &start, &end)) {
		/* the original bytes: the parsed buffer may have a header renamed */
		src = c->o->data + start;
		ch.len = end - start;
	} else {
		GByteArray *arr;

		mem = g_mime_stream_mem_new();
		g_mime_object_write_to_stream(GMIME_OBJECT(m), NULL, mem);
		arr = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
		src = arr->data;
		ch.len = arr->len;
	}
	if (ch.len > room) {
		vscan_limit(c->s, c->o, which, "encapsulated message larger than the limit");
		ch.len = room;
		ch.flags |= VIGIL_OBJ_TRUNCATED;
	}
	ch.data = malloc(ch.len ? ch.len : 1);
	if (ch.data == NULL) {
		if (mem != NULL)
			g_object_unref(mem);
		return;
	}
	if (ch.len > 0)
		memcpy(ch.data, src, ch.len);
	if (mem != NULL)
		g_object_unref(mem);
	ch.part = section;
	ch.name = g_mime_object_get_content_disposition_parameter(obj, "filename");
	if (ch.name == NULL)
		ch.name = g_mime_object_get_content_type_parameter(obj, "name");
	ch.ctype = "message/rfc822";
	ch.disposition = g_mime_object_get_disposition(obj);
	ch.type_hint = "email";
	ch.mime_depth = depth;
	seg = make_seg(c, section, ch.name);
	ch.seg = seg;
	if (vscan_emit(c->s, c->o, &ch) == VSCAN_STOP)
		c->stop = true;
	g_free(seg);
}

/* a leaf made of the original bytes [start, end) */
static void emit_raw(struct mime_ctx *c, size_t start, size_t end, const char *section,
                     unsigned depth, const char *ctype)
{
	vigil_limit which;
	size_t room = vscan_room(c->s, c->o, &which);
	char *seg = make_seg(c, section, NULL);
	vchild ch;

	memset(&ch, 0, sizeof ch);
	ch.len = end > start ? end - start : 0;
	if (ch.len > room) {
		vscan_limit(c->s, c->o, which, "MIME part larger than the limit");
		ch.len = room;
		ch.flags |= VIGIL_OBJ_TRUNCATED;
	}
	ch.data = malloc(ch.len ? ch.len : 1);
	if (ch.data == NULL) {
		g_free(seg);
		return;
	}
	if (ch.len > 0)
		memcpy(ch.data, c->o->data + start, ch.len);
	ch.part = section;
	ch.seg = seg;
	ch.ctype = ctype;
	ch.mime_depth = depth;
	if (vscan_emit(c->s, c->o, &ch) == VSCAN_STOP)
		c->stop = true;
	g_free(seg);
}

/*
 * A multipart in which GMime found no part (its boundary never comes, or it
 * has none) keeps everything in its preamble, which no reader shows; but
 * lenient parsers show that text as the body, and an IMAP server lists a
 * single empty text/plain part there. Scan it as that part.
 */
static void emit_preamble(struct mime_ctx *c, GMimeObject *obj, const struct bstack *me,
                          const char *section, unsigned depth)
{
	gint64 last = headers_last(obj);
	size_t start;
	char *sec;

	if (obj == c->root_body)
		last = MAX(last, c->root_last);
	if (!content_start(c, last, me->up, &start))
		return;
	sec = section_child(section, 1);
	emit_raw(c, start, content_end(c, start, start, me->blen > 0 ? me : me->up), sec, depth,
	         "text/plain");
	g_free(sec);
}

static void walk_multipart(struct mime_ctx *c, GMimeMultipart *mp, const char *section,
                           unsigned depth, const struct bstack *up, gint64 limit)
{
	GMimeObject *obj = GMIME_OBJECT(mp);
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	const char *b = g_mime_multipart_get_boundary(mp);
	struct bstack me = {b ? b : "", b ? strlen(b) : 0,
	                    ct != NULL && g_mime_content_type_is_type(ct, "multipart", "digest"),
	                    up};
	int n = g_mime_multipart_get_count(mp), idx = 1;
	gint64 from = obj_start(obj, 0);

	for (int i = 0; i < n && !c->stop; i++) {
		GMimeObject *part = g_mime_multipart_get_part(mp, i);
		gint64 at = obj_start(part, 0);
		gint64 next =
		        i + 1 < n ? obj_start(g_mime_multipart_get_part(mp, i + 1), 0) : limit;
		char *sec;

		if (b != NULL && at >= 0) {
			emit_dropped(c, &me, from, at, section, &idx, depth + 1);
			from = at;
		}
		sec = section_child(section, idx++);
		walk(c, part, sec, depth + 1, b != NULL ? &me : up, next);
		g_free(sec);
		if (vscan_should_stop(c->s, c->o))
			c->stop = true;
	}
	if (b != NULL && !c->stop)
		emit_dropped(c, &me, from, limit, section, &idx, depth + 1);
	if (idx == 1 && !c->stop)
		emit_preamble(c, obj, &me, section, depth + 1);
}

/*
 * up: the boundaries around obj; limit: where the next part after obj
 * starts (-1: unknown), so that dropped empty parts are placed right.
 */
static void walk(struct mime_ctx *c, GMimeObject *obj, const char *section, unsigned depth,
                 const struct bstack *up, gint64 limit)
{
	if (c->stop || obj == NULL)
		return;
	if (depth > c->s->eng->limits[VIGIL_LIMIT_MIME_DEPTH]) {
		vscan_limit(c->s, c->o, VIGIL_LIMIT_MIME_DEPTH, section);
		return;
	}
	if (GMIME_IS_MULTIPART(obj))
		walk_multipart(c, GMIME_MULTIPART(obj), section, depth, up, limit);
	else if (GMIME_IS_MESSAGE_PART(obj))
		emit_message(c, GMIME_MESSAGE_PART(obj), section, depth, up);
	else if (GMIME_IS_PART(obj))
		emit_leaf(c, GMIME_PART(obj), section, depth);
}

/* ---- parsing ---- */

struct parse {
	GByteArray *arr;
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *msg;
};

static void parse_free(struct mime_ctx *c, struct parse *p)
{
	if (p->msg != NULL)
		g_object_unref(p->msg);
	if (p->parser != NULL)
		g_object_unref(p->parser);
	if (p->stream != NULL)
		g_object_unref(p->stream);
	c->stream = NULL;

	/* the array does not own the bytes */
	if (p->arr != NULL)
		g_byte_array_free(p->arr, FALSE);
	memset(p, 0, sizeof *p);
}

static void parse(struct mime_ctx *c, GMimeParserOptions *opts, struct parse *p)
{
	/* GMime reads the bytes in place (no copy) and only reads them */
	p->arr = g_byte_array_new_take((guint8 *)(uintptr_t)c->buf, c->plen);
	p->stream = g_mime_stream_mem_new_with_byte_array(p->arr);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(p->stream), FALSE);
	p->parser = g_mime_parser_new_with_stream(p->stream);
	/*
	 * Always the single-message format: GMime skips an mbox From_ line
	 * ahead of the headers by itself, while its mbox format would end the
	 * message at the first body line that starts with "From ".
	 */
	g_mime_parser_set_format(p->parser, GMIME_FORMAT_MESSAGE);
	p->msg = g_mime_parser_construct_message(p->parser, opts);
	c->stream = p->stream;
}

static void drop_anomalies(struct mime_ctx *c)
{
	guint j = 0;

	for (guint i = 0; i < c->anomalies->len; i++) {
		struct anomaly *a = &g_array_index(c->anomalies, struct anomaly, i);

		if (a->patched)
			g_array_index(c->anomalies, struct anomaly, j++) = *a;
		else
			g_free(a->item);
	}
	g_array_set_size(c->anomalies, j);
	g_array_set_size(c->dropped, 0);
}

/*
 * A part with two different Content-Type fields: GMime takes the last, while
 * Dovecot (whose section numbers we report), MIME-tools, mime4j and Python
 * take the first. Rename the later one ("Xontent-Type": an unknown field).
 */
static bool patch_second_ctype(const struct mime_ctx *c, uint8_t *copy, size_t off)
{
	if (c->len - off < 12 ||
	    g_ascii_strncasecmp((const char *)c->buf + off, "content-type", 12) != 0)
		return false;
	copy[off] = 'X';
	return true;
}

/*
 * "Content-Type: multipart/mixed boundary=x" (no ';'): GMime finds no
 * boundary and no part, while lenient readers take the parameter and show
 * the parts. Put the ';' in place of the blank before "boundary".
 */
static bool patch_boundary(const struct mime_ctx *c, uint8_t *copy, size_t off)
{
	size_t end = off, i, w;

	/* the field with its continuation lines */
	while (end < c->len) {
		const uint8_t *nl = memchr(c->buf + end, '\n', c->len - end);

		end = nl != NULL ? (size_t)(nl - c->buf) + 1 : c->len;
		if (end >= c->len || (c->buf[end] != ' ' && c->buf[end] != '\t'))
			break;
	}
	for (i = off + 13; i + 9 <= end; i++) {
		if (g_ascii_strncasecmp((const char *)c->buf + i, "boundary", 8) != 0)
			continue;
		for (w = i + 8; w < end && (c->buf[w] == ' ' || c->buf[w] == '\t'); w++)
			;
		if (w >= end || c->buf[w] != '=')
			continue;
		/* back over the blanks before it to what precedes them */
		for (w = i; w > off && g_ascii_isspace(c->buf[w - 1]); w--)
			;
		if (w == i || c->buf[w - 1] == ';')
			return false;
		if (c->buf[w] == '\r' && w + 1 < i && c->buf[w + 1] == '\n') {
			copy[w] = ';';
			copy[w + 1] = ' ';
		} else {
			copy[w] = ';';
		}
		return true;
	}
	return false;
}

/*
 * Our own copy of the bytes, made once. When they do not end in a line
 * break, the copy gets one: GMime strips only the LF before a closing
 * boundary that ends the input without one, and leaves the CR in the part
 * before it. Offsets stay; c->len still ends the object's own bytes.
 */
static uint8_t *own_copy(struct mime_ctx *c)
{
	bool crlf;

	if (c->own != NULL)
		return c->own;
	c->own = malloc(c->len + 2);
	if (c->own == NULL)
		return NULL;
	memcpy(c->own, c->buf, c->len);
	c->plen = c->len;
	if (c->len > 0 && c->buf[c->len - 1] != '\n') {
		const uint8_t *nl = memchr(c->buf, '\n', c->len);

		crlf = nl != NULL && nl > c->buf && nl[-1] == '\r';
		if (crlf)
			c->own[c->plen++] = '\r';
		c->own[c->plen++] = '\n';
	}
	c->buf = c->own;
	return c->own;
}

/* ---- boundary lines with text after the boundary ---- */

/* distinct boundary strings looked for at every "--" line (bounds the work) */
#define MAX_BOUNDARIES 32

struct bound {
	const char *b;
	size_t blen;
	gint64 start; /* where its multipart starts */
};

static void collect_bounds(GMimeObject *obj, GArray *out, unsigned level)
{
	if (obj == NULL || level > 128 || out->len >= MAX_BOUNDARIES)
		return;
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		const char *b = g_mime_multipart_get_boundary(mp);
		int n = g_mime_multipart_get_count(mp);

		if (b != NULL && *b) {
			struct bound x = {b, strlen(b), obj_start(obj, 0)};
			bool seen = false;

			for (guint i = 0; i < out->len && !seen; i++) {
				struct bound *y = &g_array_index(out, struct bound, i);

				if (y->blen == x.blen && memcmp(y->b, x.b, x.blen) == 0) {
					/* the same string: from the earliest start */
					y->start = min_offset(y->start, x.start);
					seen = true;
				}
			}
			if (!seen)
				g_array_append_val(out, x);
		}
		for (int i = 0; i < n; i++)
			collect_bounds(g_mime_multipart_get_part(mp, i), out, level + 1);
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *m = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));

		if (m != NULL)
			collect_bounds(g_mime_message_get_mime_part(m), out, level + 1);
	}
}

/*
 * "--boundaryXYZ": GMime and Thunderbird take a boundary line only when
 * nothing but blanks follows the boundary; Dovecot (whose section numbers we
 * report) and stalwart take any line that starts with it, as RFC 2046's note
 * to implementors says, and Dovecot prefers the longest boundary that fits.
 * A part that the server lists would be missing from the scan, so blank out
 * what follows the boundary in our copy ("--boundary   ", "--boundary--  ")
 * for lines after the start of a multipart with that boundary. Returns the
 * number of lines changed.
 */
static unsigned patch_prefix_bounds(struct mime_ctx *c, GMimeMessage *msg)
{
	GArray *bs = g_array_new(FALSE, FALSE, sizeof(struct bound));
	unsigned changed = 0;
	size_t p = 0;

	collect_bounds(g_mime_message_get_mime_part(msg), bs, 0);
	while (bs->len > 0 && p < c->len) {
		const uint8_t *nl = memchr(c->buf + p, '\n', c->len - p);
		size_t n = nl != NULL ? (size_t)(nl - (c->buf + p)) : c->len - p;
		size_t len = n > 0 && c->buf[p + n - 1] == '\r' ? n - 1 : n;
		const struct bound *best = NULL;
		bool exact = false;

		for (guint i = 0;
		     len > 2 && c->buf[p] == '-' && c->buf[p + 1] == '-' && i < bs->len; i++) {
			const struct bound *x = &g_array_index(bs, struct bound, i);
			struct bstack one = {x->b, x->blen, false, NULL};

			if (boundary_line(c->buf + p, len, &one) != 0) {
				exact = true;
				break;
			}
			if (x->start >= 0 && (size_t)x->start < p && len >= x->blen + 2 &&
			    memcmp(c->buf + p + 2, x->b, x->blen) == 0 &&
			    (best == NULL || x->blen > best->blen))
				best = x;
		}
		if (!exact && best != NULL && own_copy(c) != NULL) {
			size_t i = p + 2 + best->blen;

			if (len - (i - p) >= 2 && c->buf[i] == '-' && c->buf[i + 1] == '-')
				i += 2;
			for (; i < p + len; i++)
				c->own[i] = ' ';
			changed++;
		}
		if (nl == NULL)
			break;
		p += n + 1;
	}
	g_array_free(bs, TRUE);
	return changed;
}

/*
 * Applies the fixes above to our copy of the bytes (same length, so every
 * offset stays), or NULL if none applies. The anomalies that led to a fix
 * are marked, to be reported although the second parse no longer sees them.
 */
static bool patch_copy(struct mime_ctx *c)
{
	bool patched = false;

	for (guint i = 0; i < c->anomalies->len; i++) {
		struct anomaly *a = &g_array_index(c->anomalies, struct anomaly, i);
		bool ctype = a->code == GMIME_CRIT_CONFLICTING_HEADER && a->item != NULL &&
		             g_ascii_strcasecmp(a->item, "Content-Type") == 0;
		bool bound = a->code == GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY;
		uint8_t *copy;

		if ((!ctype && !bound) || a->offset < 0 || (guint64)a->offset >= c->len)
			continue;
		copy = own_copy(c);
		if (copy == NULL)
			return false;
		if (ctype)
			a->patched = patch_second_ctype(c, copy, (size_t)a->offset);
		else
			a->patched = patch_boundary(c, copy, (size_t)a->offset);
		patched = patched || a->patched;
	}
	return patched;
}

/* no header field at all, and the bytes do not start with the blank line */
static bool no_headers(const struct mime_ctx *c, GMimeMessage *m, GMimeObject *body)
{
	if (headers_first(GMIME_OBJECT(m)) >= 0 || headers_first(body) >= 0 || c->len == 0)
		return false;
	return c->buf[0] != '\n' && !(c->len > 1 && c->buf[0] == '\r' && c->buf[1] == '\n');
}

static void note_prefix(struct mime_ctx *c, unsigned n)
{
	struct anomaly a = {GMIME_WARN_MALFORMED_MULTIPART, NULL, -1, true};

	a.item = g_strdup_printf("%u boundary line(s) with text after the boundary, read as "
	                         "boundaries as IMAP servers do",
	                         n);
	g_array_append_val(c->anomalies, a);
}

static void mime_extract(vigil_scan *s, vigil_object *o)
{
	struct mime_ctx c = {
	        .s = s, .o = o, .root_last = -1, .buf = o->data, .len = o->len, .plen = o->len};
	struct parse p = {0};
	GMimeParserOptions *opts;
	GMimeObject *body;
	const char *prefix = o->part;
	char *first;

	if (o->len == 0)
		return;
	c.anomalies = g_array_new(FALSE, FALSE, sizeof(struct anomaly));
	c.dropped = g_array_new(FALSE, FALSE, sizeof(gint64));
	opts = g_mime_parser_options_new();
	g_mime_parser_options_set_warning_callback(opts, warn_cb, &c);
	if (o->data[o->len - 1] != '\n' && own_copy(&c) == NULL)
		goto out;
	parse(&c, opts, &p);
	/* two rounds: a fixed boundary can bring out a multipart whose own
	 * boundary lines need the same fix */
	for (int round = 0; round < 2 && p.msg != NULL; round++) {
		bool fixed = round == 0 && patch_copy(&c);
		unsigned n = patch_prefix_bounds(&c, p.msg);

		if (!fixed && n == 0)
			break;
		parse_free(&c, &p);
		drop_anomalies(&c);
		if (n > 0)
			note_prefix(&c, n);
		parse(&c, opts, &p);
	}
	if (p.msg != NULL) {
		message_facts(s, p.msg);
		keep_headers(o, p.msg);
		/* archive passwords from the text: read only if an encrypted
		 * archive turns up below (most messages have none, and reading
		 * every text cost a third of the scan); the whole message is
		 * parsed, so a body that follows its zip still counts */
		password_defer(s, p.msg);
		body = g_mime_message_get_mime_part(p.msg);
		c.root_body = body;
		c.root_last = headers_last(GMIME_OBJECT(p.msg));
		if (no_headers(&c, p.msg, body)) {
			/* not a message at all (an encapsulated "message" that
			 * is plain text): GMime would drop its lines as bad
			 * headers; keep them as the text they are */
			first = section_child(prefix, 1);
			emit_raw(&c, 0, c.len, first, o->mime_depth + 1, "text/plain");
			g_free(first);
		} else if (body != NULL && !GMIME_IS_MULTIPART(body)) {
			/* a single-part body is section "1" of its message */
			first = section_child(prefix, 1);
			walk(&c, body, first, o->mime_depth + 1, NULL, -1);
			g_free(first);
		} else if (body != NULL) {
			walk(&c, body, prefix, o->mime_depth, NULL, -1);
		}
	} else {
		vfinding_add(s, o, F_MIME_MALFORMED, "no message could be parsed");
		/* what GMime cannot read as a message is still text to scan */
		first = section_child(prefix, 1);
		emit_raw(&c, 0, c.len, first, o->mime_depth + 1, "text/plain");
		g_free(first);
	}
out:
	if (p.msg != NULL)
		password_forget(s, p.msg);
	report_anomalies(&c);
	parse_free(&c, &p);
	free(c.own);
	g_array_free(c.anomalies, TRUE);
	g_array_free(c.dropped, TRUE);
	g_mime_parser_options_free(opts);
}

static const char *const mime_types[] = {"email", NULL};
const extractor mime_extractor = {"mime", mime_types, mime_extract};
