/*
 * str.c - turning hostile bytes into text that is safe to show and store.
 *
 * vstr_printable() keeps valid, printable UTF-8 and writes everything else as
 * an escape: control bytes and invalid sequences as \xNN, and the Unicode
 * direction controls (U+200E/F, U+202A..E, U+2066..9) as \u{NNNN}, so that a
 * right-to-left override in an attachment name is visible instead of
 * flipping the text on the analyst's screen. Output is bounded by maxlen
 * bytes (cut on a character boundary).
 */
#include "internal.h"

#include <string.h>

#include "../util/vbuf.h"

static bool is_bidi_control(gunichar c)
{
	return c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e) ||
	       (c >= 0x2066 && c <= 0x2069) || c == 0x061c;
}

static bool put(vbuf *b, const void *p, size_t n)
{
	if (n > b->max - b->len)
		return false;
	return vbuf_append(b, p, n) == VBUF_OK;
}

char *vstr_printable(const uint8_t *p, size_t n, size_t maxlen)
{
	vbuf b;
	size_t i = 0;
	char *r;

	/* most headers and names are plain printable ASCII: one copy */
	while (i < n && i < maxlen && p[i] >= 0x20 && p[i] < 0x7f)
		i++;
	if (i == n || i == maxlen)
		return g_strndup((const char *)p, i);
	i = 0;
	vbuf_init(&b, maxlen);
	while (i < n) {
		uint8_t c = p[i];
		char esc[16];
		int elen;
		bool ok;

		if (c >= 0x20 && c < 0x7f) {
			size_t j = i + 1, room = b.max - b.len;

			while (j < n && p[j] >= 0x20 && p[j] < 0x7f)
				j++;
			/* ASCII may be cut anywhere: keep what fits */
			ok = j - i <= room;
			if (!put(&b, p + i, ok ? j - i : room))
				ok = false;
			i = j;
		} else if (c >= 0x80) {
			size_t avail = n - i < 8 ? n - i : 8;
			gunichar u = g_utf8_get_char_validated((const char *)p + i, (gssize)avail);
			size_t cl = (size_t)g_utf8_skip[c];

			if (u == (gunichar)-1 || u == (gunichar)-2 || cl > avail) {
				elen = g_snprintf(esc, sizeof esc, "\\x%02X", c);
				ok = put(&b, esc, (size_t)elen);
				i++;
			} else if (is_bidi_control(u) || !g_unichar_isprint(u)) {
				elen = g_snprintf(esc, sizeof esc, "\\u{%04X}", (unsigned)u);
				ok = put(&b, esc, (size_t)elen);
				i += cl;
			} else {
				ok = put(&b, p + i, cl);
				i += cl;
			}
		} else {
			elen = g_snprintf(esc, sizeof esc, "\\x%02X", c);
			ok = put(&b, esc, (size_t)elen);
			i++;
		}
		if (!ok)
			break;
	}
	r = g_strndup(b.data ? (const char *)b.data : "", b.len);
	vbuf_free(&b);
	return r;
}

char *vstr_sanitize(const char *in, size_t maxlen)
{
	if (in == NULL)
		return g_strdup("");
	return vstr_printable((const uint8_t *)in, strlen(in), maxlen);
}

bool vstr_valid_utf8(const char *s, size_t n)
{
	return g_utf8_validate(s, (gssize)n, NULL);
}

static inline uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c | 0x20) : c;
}

/* memchr for either case of the first byte, then a short compare */
long vmem_casefind(const uint8_t *hay, size_t n, const char *needle)
{
	size_t m = strlen(needle);
	uint8_t first;
	size_t i = 0;

	if (m == 0)
		return 0;
	if (m > n)
		return -1;
	first = lower((uint8_t)needle[0]);
	while (i + m <= n) {
		const uint8_t *lo = memchr(hay + i, first, n - m + 1 - i);
		const uint8_t *up = NULL;
		size_t at;

		if (first >= 'a' && first <= 'z')
			up = memchr(hay + i, first & ~0x20,
			            (size_t)((lo ? lo : hay + n - m + 1) - (hay + i)));
		if (up != NULL)
			lo = up;
		if (lo == NULL)
			return -1;
		at = (size_t)(lo - hay);
		{
			size_t k = 1;

			while (k < m && lower(hay[at + k]) == lower((uint8_t)needle[k]))
				k++;
			if (k == m)
				return (long)at;
		}
		i = at + 1;
	}
	return -1;
}
