/*
 * url.c - URLs and their hosts in text and HTML, recorded as message facts.
 *
 * A bounded scan for absolute http(s)/ftp URLs and bare "www." hosts; the
 * facts feed indicator matching (url:, domain:) and the message record. A
 * URL ends at a blank, a quote, '<' or '>', or after 2048 bytes; "&amp;" is
 * decoded (HTML attributes). Only the first 4 MiB of an object are looked at.
 *
 * The object each URL and host was first seen in is kept in the scan note
 * "url.origin" (value: object index + 1, at most MAX_ORIGINS entries), so
 * that links.c, which judges the URL list at the end of the scan, can put
 * its findings on the part that holds the link.
 */
#include "../internal.h"

#include <string.h>

#include "../../util/vbuf.h"

#define MAX_URL 2048
#define MAX_SCAN (4u << 20)
#define MAX_ORIGINS 4096

/* links.c reads this: where a URL or host was first seen */
static void origin(vigil_scan *s, const vigil_object *o, const char *value)
{
	GHashTable *t = vscan_note(s, "url.origin");

	if (t == NULL) {
		t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
		vscan_note_set(s, "url.origin", t, (GDestroyNotify)g_hash_table_destroy);
	}
	if (g_hash_table_size(t) < MAX_ORIGINS && !g_hash_table_contains(t, value))
		g_hash_table_insert(t, g_strdup(value), GSIZE_TO_POINTER(o->index + 1));
}

static bool url_char(uint8_t c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != '\'' && c != '<' && c != '>' && c != '`' &&
	       c != '\\' && c != '{' && c != '}' && c != '|' && c != '^';
}

/* host part of scheme://[user@]host[:port]/... lower-cased */
static char *url_host(const char *u)
{
	const char *h = strstr(u, "://");
	const char *end, *at;
	char *host;

	h = h ? h + 3 : u;
	end = h + strcspn(h, "/?#");
	/* the userinfo ends at the last '@' before the path, as browsers
	 * read it: http://bhxh.gov.vn@x@evil.example/ goes to evil.example */
	at = NULL;
	for (const char *p = h; p < end; p++)
		if (*p == '@')
			at = p;
	if (at != NULL)
		h = at + 1;
	if (*h == '[') {
		const char *rb = memchr(h, ']', (size_t)(end - h));

		if (rb == NULL)
			return NULL;
		return g_ascii_strdown(h + 1, rb - h - 1);
	}
	{
		const char *colon = memchr(h, ':', (size_t)(end - h));

		if (colon != NULL)
			end = colon;
	}
	if (end == h)
		return NULL;
	host = g_ascii_strdown(h, end - h);
	while (*host && host[strlen(host) - 1] == '.')
		host[strlen(host) - 1] = 0;
	return host;
}

static void record(vigil_scan *s, const vigil_object *o, const uint8_t *p, size_t n,
                   bool add_scheme)
{
	vbuf b;
	char *u, *host;

	vbuf_init(&b, MAX_URL);
	if (add_scheme)
		vbuf_append(&b, "http://", 7);
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '&' && n - i >= 5 && memcmp(p + i, "&amp;", 5) == 0) {
			vbuf_putc(&b, '&');
			i += 4;
			continue;
		}
		vbuf_putc(&b, p[i]);
	}
	/* trailing punctuation belongs to the sentence, not the URL */
	while (b.len > 0 && strchr(".,;:!?)]", b.data[b.len - 1]) != NULL)
		b.len--;
	vbuf_terminate(&b);
	u = (char *)b.data;
	if (u != NULL && strlen(u) > (add_scheme ? 11u : 10u)) {
		host = url_host(u);
		if (host != NULL && *host && strchr(host, '.') != NULL) {
			vscan_fact(s, VIGIL_FACT_URL, u);
			vscan_fact(s, VIGIL_FACT_DOMAIN, host);
			origin(s, o, u);
			origin(s, o, host);
		}
		g_free(host);
	}
	vbuf_free(&b);
}

static size_t url_len(const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n && i < MAX_URL && url_char(p[i]))
		i++;
	return i;
}

static void url_analyze(vigil_scan *s, vigil_object *o)
{
	const uint8_t *p = o->data;
	size_t n = o->len < MAX_SCAN ? o->len : MAX_SCAN;
	size_t i = 0;

	if (p == NULL)
		return;
	while (i + 4 < n) {
		uint8_t c = p[i] | 0x20;
		size_t l;

		if (c == 'h' && n - i > 8 &&
		    (g_ascii_strncasecmp((const char *)p + i, "http://", 7) == 0 ||
		     g_ascii_strncasecmp((const char *)p + i, "https://", 8) == 0)) {
			l = url_len(p + i, n - i);
			record(s, o, p + i, l, false);
			i += l;
		} else if (c == 'f' && n - i > 6 &&
		           g_ascii_strncasecmp((const char *)p + i, "ftp://", 6) == 0) {
			l = url_len(p + i, n - i);
			record(s, o, p + i, l, false);
			i += l;
		} else if (c == 'w' && n - i > 4 &&
		           g_ascii_strncasecmp((const char *)p + i, "www.", 4) == 0 &&
		           (i == 0 || !url_char(p[i - 1]))) {
			l = url_len(p + i, n - i);
			record(s, o, p + i, l, true);
			i += l;
		} else {
			i++;
		}
	}
}

static const char *const url_types[] = {"text", "html", "xml", NULL};
const analyzer url_analyzer = {"url", url_types, url_analyze, false};
