/*
 * mime.c - email messages: MIME structure with GMime, leaves as children.
 *
 * Each leaf part becomes a child object holding its transfer-decoded bytes,
 * named by its IMAP section ("2.1") and file name. An encapsulated message
 * (message/rfc822, message/global) becomes a child of type "email" and is
 * unpacked again by this extractor, with section numbers continuing its own
 * ("2" -> "2.1", "2.2"), as IMAP numbers them.
 *
 * Parser anomalies are findings: GMime's warning callback reports the places
 * where mail clients disagree (conflicting headers, missing boundaries, bad
 * header names, nesting overflow) and we add our own checks for tricks it
 * accepts silently (two different attachment names, unknown transfer
 * encodings, junk in base64).
 *
 * Limits: multipart nesting is bounded by VIGIL_LIMIT_MIME_DEPTH (counted
 * across encapsulated messages too); every decoded part by vscan_room().
 * The parser reads the object's bytes in place (no copy).
 */
#include "../internal.h"

#include <gmime/gmime.h>
#include <string.h>

#include "../../util/vbuf.h"

#define MAX_ANOMALIES 64

struct anomaly {
	GMimeParserWarning code;
	char *item;
	gint64 offset;
};

struct mime_ctx {
	vigil_scan *s;
	vigil_object *o;
	GArray *anomalies;
	bool stop;
	bool is_root_message;
};

static void warn_cb(gint64 offset, GMimeParserWarning code, const gchar *item, gpointer user)
{
	struct mime_ctx *c = user;
	struct anomaly a;

	if (c->anomalies->len >= MAX_ANOMALIES)
		return;
	a.code = code;
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
		char *dup = g_strdup(cte);
		char *t = g_ascii_strdown(g_strstrip(dup), -1);
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

/* ---- decoding a leaf into a bounded buffer ---- */

static uint8_t *decode_part(struct mime_ctx *c, GMimePart *part, size_t *len, bool *truncated)
{
	GMimeDataWrapper *w = g_mime_part_get_content(part);
	GMimeStream *st, *filtered, *raw;
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

static void walk(struct mime_ctx *c, GMimeObject *obj, const char *section, unsigned depth);

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

static void emit_message(struct mime_ctx *c, GMimeMessagePart *mp, const char *section,
                         unsigned depth)
{
	GMimeMessage *m = g_mime_message_part_get_message(mp);
	GMimeObject *obj = GMIME_OBJECT(mp);
	GMimeStream *mem;
	GByteArray *arr;
	vigil_limit which;
	size_t room = vscan_room(c->s, c->o, &which);
	vchild ch;
	char *seg;

	if (m == NULL)
		return;
	mem = g_mime_stream_mem_new();
	g_mime_object_write_to_stream(GMIME_OBJECT(m), NULL, mem);
	arr = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	memset(&ch, 0, sizeof ch);
	ch.len = arr->len;
	if (ch.len > room) {
		vscan_limit(c->s, c->o, which, "encapsulated message larger than the limit");
		ch.len = room;
		ch.flags |= VIGIL_OBJ_TRUNCATED;
	}
	ch.data = malloc(ch.len ? ch.len : 1);
	if (ch.data == NULL) {
		g_object_unref(mem);
		return;
	}
	memcpy(ch.data, arr->data, ch.len);
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

static void walk(struct mime_ctx *c, GMimeObject *obj, const char *section, unsigned depth)
{
	if (c->stop || obj == NULL)
		return;
	if (depth > c->s->eng->limits[VIGIL_LIMIT_MIME_DEPTH]) {
		vscan_limit(c->s, c->o, VIGIL_LIMIT_MIME_DEPTH, section);
		return;
	}
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		int n = g_mime_multipart_get_count(mp);

		for (int i = 0; i < n && !c->stop; i++) {
			char *sec = section_child(section, i + 1);

			walk(c, g_mime_multipart_get_part(mp, i), sec, depth + 1);
			g_free(sec);
			if (vscan_should_stop(c->s, c->o))
				c->stop = true;
		}
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		emit_message(c, GMIME_MESSAGE_PART(obj), section, depth);
	} else if (GMIME_IS_PART(obj)) {
		emit_leaf(c, GMIME_PART(obj), section, depth);
	}
}

static void mime_extract(vigil_scan *s, vigil_object *o)
{
	struct mime_ctx c = {s, o, NULL, false, o->parent == SIZE_MAX};
	GByteArray *arr;
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeParserOptions *opts;
	GMimeMessage *msg;
	GMimeObject *body;
	const char *prefix = o->part;
	char *first;

	if (o->len == 0)
		return;
	c.anomalies = g_array_new(FALSE, FALSE, sizeof(struct anomaly));
	/* read the object's bytes in place: the array does not own them */
	arr = g_byte_array_new_take(o->data, o->len);
	stream = g_mime_stream_mem_new_with_byte_array(arr);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream), FALSE);
	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	opts = g_mime_parser_options_new();
	g_mime_parser_options_set_warning_callback(opts, warn_cb, &c);
	/* an mbox "From " line ahead of the headers is not a header */
	if (o->len > 5 && memcmp(o->data, "From ", 5) == 0)
		g_mime_parser_set_format(parser, GMIME_FORMAT_MBOX);

	msg = g_mime_parser_construct_message(parser, opts);
	if (msg != NULL) {
		message_facts(s, msg);
		body = g_mime_message_get_mime_part(msg);
		/* a single-part body is section "1" of its message */
		if (body != NULL && !GMIME_IS_MULTIPART(body)) {
			first = section_child(prefix, 1);
			walk(&c, body, first, o->mime_depth + 1);
			g_free(first);
		} else if (body != NULL) {
			walk(&c, body, prefix, o->mime_depth);
		}
		g_object_unref(msg);
	} else {
		vfinding_add(s, o, F_MIME_MALFORMED, "no message could be parsed");
	}
	report_anomalies(&c);
	g_array_free(c.anomalies, TRUE);
	g_mime_parser_options_free(opts);
	g_object_unref(parser);
	g_object_unref(stream);
	g_byte_array_free(arr, FALSE);
}

static const char *const mime_types[] = {"email", NULL};
const extractor mime_extractor = {"mime", mime_types, mime_extract};
