/*
 * html.c - files carried inside HTML (and XML such as SVG): data: URIs and
 * HTML smuggling.
 *
 * data: URIs (RFC 2397) are found anywhere in the text: attribute values,
 * CSS url(), script strings and plain text. Each payload is decoded as a
 * browser would (character references in the markup, tabs and newlines
 * dropped, percent-decoding, then base64 when ";base64" is declared) and
 * becomes a child "data-uri-N.EXT", the extension taken from the declared
 * media type when it is a well-known one, the declared type kept as the
 * child's content type. Every payload is emitted, small images included (a
 * PE declared as image/png is exactly what we want to see); empty ones are
 * skipped. Where a URI ends: at the quote that opened the attribute or
 * string it sits in, at ')' in an unquoted CSS url(), otherwise at blank
 * space, a quote or '<' / '>'. base64 is decoded leniently: characters
 * outside the alphabet are skipped and reported, decoding stops at '='.
 *
 * HTML smuggling (T1027.006): a script turns a long embedded string into a
 * Blob (or File) and makes the browser save it (a.download,
 * msSaveOrOpenBlob). The cheap test here: "new Blob(" or "new File(", a
 * download or msSave* call, and a quoted base64 literal (string pieces
 * joined by '+' count as one) of at least HTML_MIN_SMUGGLE characters. Each
 * such literal is decoded and emitted as "smuggled-N.bin", with the
 * html.smuggling finding. A data: URI of an "application/" type of at least
 * that size in a page that mentions "download" is the attribute form of the
 * same trick and is reported the same way.
 *
 * Limits: at most HTML_MAX_CHILDREN children per object (then a
 * limit.objects finding); every payload is decoded in a vbuf no larger than
 * its encoded text and cut to vscan_room(). Scanning is linear: each byte is
 * looked at a bounded number of times.
 */
#include "../internal.h"

#include <stdarg.h>
#include <string.h>

#include "../../util/bytes.h"
#include "../../util/vbuf.h"

#define HTML_MAX_CHILDREN 256  /* data: URIs and smuggled files per object */
#define HTML_MAX_MEDIATYPE 256 /* bytes between "data:" and ',' */
#define HTML_MIN_SMUGGLE 1024  /* base64 characters that make a smuggled file */
#define HTML_EVIDENCE 480

struct html {
	vigil_scan *s;
	vigil_object *o;
	unsigned children;
	unsigned uris, smuggled;
	bool stop;
	bool too_many;
	bool download; /* the page mentions download / msSave* */
	vbuf ev_smuggle, ev_decode;
};

static void html_note(vbuf *ev, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void html_note(vbuf *ev, const char *fmt, ...)
{
	va_list ap;
	char *t;

	va_start(ap, fmt);
	t = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (ev->len > 0)
		vbuf_append(ev, "; ", 2);
	vbuf_append(ev, t, strlen(t));
	g_free(t);
}

static bool is_blank(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f';
}

/* ---- decoding stages, each in place (output never longer than input) ---- */

/* A character reference at p ("&...;"): the ASCII byte it stands for. */
static size_t html_charref(const uint8_t *p, size_t n, uint8_t *out)
{
	static const struct {
		const char *name;
		char c;
	} named[] = {
	        {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
	unsigned long v = 0;
	size_t i = 2;
	bool hex;

	for (size_t k = 0; k < G_N_ELEMENTS(named); k++) {
		size_t l = strlen(named[k].name);

		if (n >= l && g_ascii_strncasecmp((const char *)p, named[k].name, l) == 0) {
			*out = (uint8_t)named[k].c;
			return l;
		}
	}
	if (n < 4 || p[1] != '#')
		return 0;
	hex = p[2] == 'x' || p[2] == 'X';
	if (hex)
		i++;
	for (size_t start = i; i < n && i - start < 8; i++) {
		int d = hex ? hexval(p[i]) : (g_ascii_isdigit(p[i]) ? p[i] - '0' : -1);

		if (d < 0)
			break;
		v = v * (hex ? 16 : 10) + (unsigned long)d;
	}
	if (i >= n || p[i] != ';' || i == (hex ? 3u : 2u) || v == 0 || v >= 0x80)
		return 0;
	*out = (uint8_t)v;
	return i + 1;
}

/* character references and the tabs and newlines a URL parser drops */
static size_t html_unescape(uint8_t *p, size_t n)
{
	size_t w = 0;

	for (size_t i = 0; i < n;) {
		uint8_t c = p[i];
		size_t used;

		if (c == '\t' || c == '\r' || c == '\n') {
			i++;
			continue;
		}
		if (c == '&' && (used = html_charref(p + i, n - i, &c)) > 0) {
			p[w++] = c;
			i += used;
			continue;
		}
		p[w++] = c;
		i++;
	}
	return w;
}

static size_t html_percent(uint8_t *p, size_t n)
{
	size_t w = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i] == '%' && n - i >= 3 && hexval(p[i + 1]) >= 0 && hexval(p[i + 2]) >= 0) {
			p[w++] = (uint8_t)(hexval(p[i + 1]) << 4 | hexval(p[i + 2]));
			i += 2;
		} else {
			p[w++] = p[i];
		}
	}
	return w;
}

/* lenient base64: blanks skipped, others counted in *bad, '=' ends */
static size_t html_base64(uint8_t *p, size_t n, size_t *bad)
{
	size_t w = 0;
	unsigned acc = 0;
	int bits = 0;

	*bad = 0;
	for (size_t i = 0; i < n; i++) {
		int v = b64val(p[i]);

		if (p[i] == '=')
			break;
		if (v < 0) {
			if (!is_blank(p[i]))
				(*bad)++;
			continue;
		}
		acc = (acc << 6 | (unsigned)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			p[w++] = (uint8_t)(acc >> bits);
		}
	}
	return w;
}

/* ---- children ---- */

static const struct {
	const char *type;
	const char *ext;
} html_exts[] = {
        {"text/plain", "txt"},
        {"text/html", "html"},
        {"text/css", "css"},
        {"text/javascript", "js"},
        {"application/javascript", "js"},
        {"application/x-javascript", "js"},
        {"text/vbscript", "vbs"},
        {"application/hta", "hta"},
        {"image/png", "png"},
        {"image/jpeg", "jpg"},
        {"image/jpg", "jpg"},
        {"image/gif", "gif"},
        {"image/bmp", "bmp"},
        {"image/webp", "webp"},
        {"image/x-icon", "ico"},
        {"image/vnd.microsoft.icon", "ico"},
        {"image/svg+xml", "svg"},
        {"application/pdf", "pdf"},
        {"application/zip", "zip"},
        {"application/x-zip-compressed", "zip"},
        {"application/x-rar-compressed", "rar"},
        {"application/vnd.rar", "rar"},
        {"application/x-7z-compressed", "7z"},
        {"application/gzip", "gz"},
        {"application/x-iso9660-image", "iso"},
        {"application/x-msdownload", "exe"},
        {"application/x-msdos-program", "exe"},
        {"application/vnd.microsoft.portable-executable", "exe"},
        {"application/x-ms-shortcut", "lnk"},
        {"application/x-msi", "msi"},
        {"application/msword", "doc"},
        {"application/vnd.ms-excel", "xls"},
        {"application/vnd.ms-powerpoint", "ppt"},
        {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"},
        {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"},
        {"application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx"},
        {"application/rtf", "rtf"},
        {"text/rtf", "rtf"},
        {"application/octet-stream", "bin"},
};

static const char *html_ext(const char *essence)
{
	if (*essence == 0)
		return "txt"; /* RFC 2397: text/plain by default */
	for (size_t i = 0; i < G_N_ELEMENTS(html_exts); i++)
		if (strcmp(html_exts[i].type, essence) == 0)
			return html_exts[i].ext;
	return NULL;
}

/* Takes b's data; false when no more children may be emitted. */
static bool html_emit(struct html *h, vbuf *b, const char *name, const char *ctype)
{
	vigil_limit which;
	size_t room = vscan_room(h->s, h->o, &which);
	vchild ch;

	memset(&ch, 0, sizeof ch);
	if (b->len > room) {
		vscan_limit(h->s, h->o, which, name);
		b->len = room;
		ch.flags |= VIGIL_OBJ_TRUNCATED;
	}
	ch.name = name;
	ch.ctype = ctype;
	ch.data = vbuf_steal(b, &ch.len);
	h->children++;
	if (vscan_emit(h->s, h->o, &ch) != VSCAN_CONTINUE)
		h->stop = true;
	return !h->stop;
}

static bool html_room_for_child(struct html *h)
{
	if (h->stop)
		return false;
	if (h->children < HTML_MAX_CHILDREN)
		return true;
	if (!h->too_many)
		vfinding_add(h->s, h->o, F_LIMIT_OBJECTS,
		             "more than %d data: URIs or smuggled files in one document; the rest "
		             "were not extracted",
		             HTML_MAX_CHILDREN);
	h->too_many = true;
	return false;
}

/* ---- data: URIs ---- */

/* RFC 2045 token characters and the separators of a media type */
static bool html_mt_char(uint8_t c)
{
	return g_ascii_isalnum(c) || (c != 0 && strchr("!#$&*+-.^_|~/;=%", c) != NULL);
}

/* lower-case media type without parameters, trimmed */
static char *html_essence(const uint8_t *mt, size_t n)
{
	size_t a = 0, e = 0;

	while (e < n && mt[e] != ';')
		e++;
	while (a < e && is_blank(mt[a]))
		a++;
	while (e > a && is_blank(mt[e - 1]))
		e--;
	return g_ascii_strdown((const char *)mt + a, (gssize)(e - a));
}

static bool html_is_base64(const uint8_t *mt, size_t n)
{
	while (n > 0 && is_blank(mt[n - 1]))
		n--;
	return n >= 7 && g_ascii_strncasecmp((const char *)mt + n - 7, ";base64", 7) == 0;
}

/* where the payload of a URI that started after a given byte ends */
static size_t html_body_end(const uint8_t *p, size_t n, size_t i, uint8_t close)
{
	for (; i < n; i++) {
		uint8_t c = p[i];

		if (close == '"' || close == '\'' || close == '`') {
			if (c == close)
				break;
		} else if (close == ')') {
			if (c == ')' || c == '"' || c == '\'' || is_blank(c))
				break;
		} else if (is_blank(c) || c == '"' || c == '\'' || c == '`' || c == '<' ||
		           c == '>') {
			break;
		}
	}
	return i;
}

/* One data: URI at p[at]; returns where scanning goes on. */
static size_t html_data_uri(struct html *h, size_t at)
{
	const uint8_t *p = h->o->data;
	size_t n = h->o->len, k = at, mt_start = at + 5, j, end, bad = 0;
	uint8_t close = 0;
	bool b64;
	char *essence, *name;
	const char *ext;
	vbuf b;

	/* the byte before says where the URI ends */
	while (k > 0 && is_blank(p[k - 1]))
		k--;
	if (k > 0 && (p[k - 1] == '"' || p[k - 1] == '\'' || p[k - 1] == '`'))
		close = p[k - 1];
	else if (k > 0 && p[k - 1] == '(')
		close = ')';
	for (j = mt_start; j < n && p[j] != ','; j++)
		if (j - mt_start >= HTML_MAX_MEDIATYPE || !html_mt_char(p[j]))
			return mt_start;
	if (j >= n)
		return mt_start;
	b64 = html_is_base64(p + mt_start, j - mt_start);
	end = html_body_end(p, n, j + 1, close);
	if (end == j + 1)
		return end; /* empty payload: nothing to scan */
	if (!html_room_for_child(h))
		return n;

	vbuf_init(&b, end - j - 1);
	vbuf_append(&b, p + j + 1, end - j - 1);
	b.len = html_unescape(b.data, b.len);
	b.len = html_percent(b.data, b.len);
	if (b64)
		b.len = html_base64(b.data, b.len, &bad);
	if (b.len == 0) {
		vbuf_free(&b);
		return end;
	}
	h->uris++;
	essence = html_essence(p + mt_start, j - mt_start);
	ext = html_ext(essence);
	name = ext ? g_strdup_printf("data-uri-%u.%s", h->uris, ext)
	           : g_strdup_printf("data-uri-%u", h->uris);
	if (bad > 0)
		html_note(&h->ev_decode, "%s: %zu characters outside the base64 alphabet", name,
		          bad);
	if (h->download && b.len >= HTML_MIN_SMUGGLE && g_str_has_prefix(essence, "application/"))
		html_note(&h->ev_smuggle, "%s (%s, %zu bytes) in a page that triggers a download",
		          name, essence, b.len);
	html_emit(h, &b, name, *essence ? essence : NULL);
	g_free(name);
	g_free(essence);
	return end;
}

static void html_data_uris(struct html *h)
{
	const uint8_t *p = h->o->data;
	size_t n = h->o->len, i = 0;

	while (i < n && !h->stop && !h->too_many) {
		long f = vmem_casefind(p + i, n - i, "data:");
		size_t at;
		uint8_t prev;

		if (f < 0)
			break;
		at = i + (size_t)f;
		prev = at > 0 ? p[at - 1] : ' ';
		/* "metadata:", "x-data:" are other words */
		if (g_ascii_isalnum(prev) || prev == '-' || prev == '_' || prev == '.' ||
		    prev == '+') {
			i = at + 5;
			continue;
		}
		i = html_data_uri(h, at);
	}
}

/* ---- smuggling ---- */

static bool html_lit_char(uint8_t c, uint8_t quote)
{
	return b64val(c) >= 0 || c == '=' || (quote == '`' && is_blank(c));
}

/*
 * A quoted literal of base64 characters at p[i] (p[i] is the quote):
 * returns the index of its closing quote, or 0 if it is none.
 */
static size_t html_literal(const uint8_t *p, size_t n, size_t i, size_t *resume)
{
	uint8_t q = p[i];
	size_t j = i + 1;

	while (j < n && html_lit_char(p[j], q))
		j++;
	*resume = j;
	return j < n && p[j] == q ? j : 0;
}

/* after a literal's closing quote: the next piece of "..." + "..." or 0 */
static size_t html_next_piece(const uint8_t *p, size_t n, size_t close)
{
	size_t k = close + 1;

	while (k < n && is_blank(p[k]))
		k++;
	if (k >= n || p[k] != '+')
		return 0;
	k++;
	while (k < n && is_blank(p[k]))
		k++;
	return k < n && (p[k] == '"' || p[k] == '\'' || p[k] == '`') ? k : 0;
}

/* decodes the joined pieces starting at the quote p[i] into b */
static void html_join(const uint8_t *p, size_t n, size_t i, vbuf *b)
{
	size_t close, resume;

	for (;;) {
		close = html_literal(p, n, i, &resume);
		if (close == 0)
			break;
		vbuf_append(b, p + i + 1, close - i - 1);
		i = html_next_piece(p, n, close);
		if (i == 0)
			break;
	}
}

static void html_smuggling(struct html *h)
{
	const uint8_t *p = h->o->data;
	size_t n = h->o->len, i = 0;

	if (vmem_casefind(p, n, "new Blob") < 0 && vmem_casefind(p, n, "new File(") < 0)
		return;
	if (!h->download)
		return;
	while (i < n && !h->stop) {
		size_t first = i, close, resume, total = 0, bad;
		vbuf b;
		char *name;

		if (p[i] != '"' && p[i] != '\'' && p[i] != '`') {
			i++;
			continue;
		}
		/* measure the joined literal before decoding anything */
		for (size_t k = i;;) {
			close = html_literal(p, n, k, &resume);
			if (close == 0) {
				/* no quote in [k + 1, resume): go on from there */
				i = resume > i + 1 ? resume : i + 1;
				break;
			}
			total += close - k - 1;
			i = close + 1;
			k = html_next_piece(p, n, close);
			if (k == 0)
				break;
		}
		if (total < HTML_MIN_SMUGGLE)
			continue;
		if (!html_room_for_child(h))
			return;
		vbuf_init(&b, total);
		html_join(p, n, first, &b);
		b.len = html_base64(b.data, b.len, &bad);
		if (b.len == 0) {
			vbuf_free(&b);
			continue;
		}
		h->smuggled++;
		name = g_strdup_printf("smuggled-%u.bin", h->smuggled);
		html_note(&h->ev_smuggle, "%s: %zu base64 characters decoded to %zu bytes", name,
		          total, b.len);
		html_emit(h, &b, name, NULL);
		g_free(name);
	}
}

static void html_extract(vigil_scan *s, vigil_object *o)
{
	struct html h;

	if (o->data == NULL || o->len == 0)
		return;
	memset(&h, 0, sizeof h);
	h.s = s;
	h.o = o;
	h.download = vmem_casefind(o->data, o->len, "download") >= 0 ||
	             vmem_casefind(o->data, o->len, "msSaveOrOpenBlob") >= 0 ||
	             vmem_casefind(o->data, o->len, "msSaveBlob") >= 0;
	vbuf_init(&h.ev_smuggle, HTML_EVIDENCE);
	vbuf_init(&h.ev_decode, HTML_EVIDENCE);
	html_data_uris(&h);
	html_smuggling(&h);
	if (h.ev_smuggle.len > 0) {
		vbuf_terminate(&h.ev_smuggle);
		vfinding_add(s, o, F_HTML_SMUGGLING, "%s", (const char *)h.ev_smuggle.data);
	}
	if (h.ev_decode.len > 0) {
		vbuf_terminate(&h.ev_decode);
		vfinding_add(s, o, F_DECODE_ERROR, "%s", (const char *)h.ev_decode.data);
	}
	vbuf_free(&h.ev_smuggle);
	vbuf_free(&h.ev_decode);
}

static const char *const html_types[] = {"html", "xml", NULL};
const extractor html_extractor = {"html", html_types, html_extract};
