/*
 * ahelp.c - helpers shared by the Windows analyzers (see ahelp.h).
 *
 * The catalogue is read here the same way finding.c reads it (the X-macro
 * over findings.def), so a finding added with its own ATT&CK ids keeps the
 * catalogue's id, severity and titles. Decoders never write more than their
 * maxout; the URL scan looks at most at MAX_URL bytes per URL and records
 * at most MAX_URLS per call.
 */
#include "ahelp.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../../util/bytes.h"

#define MAX_EVIDENCE 512
#define MAX_URL 1024
#define MAX_URLS 200

struct ahelp_entry {
	vigil_severity sev;
	const char *attack, *en, *vi;
};

#define INFO VIGIL_SEV_INFO
#define LOW VIGIL_SEV_LOW
#define MEDIUM VIGIL_SEV_MEDIUM
#define HIGH VIGIL_SEV_HIGH
#define CRITICAL VIGIL_SEV_CRITICAL
static const struct ahelp_entry ahelp_catalogue[F__COUNT] = {
#define FINDING(e, id, sev, attack, en, vi) [e] = {sev, attack, en, vi},
#include "../findings.def"
#undef FINDING
};
#undef INFO
#undef LOW
#undef MEDIUM
#undef HIGH
#undef CRITICAL

void ahelp_finding(vigil_scan *s, const vigil_object *o, finding_kind k, const char *attack,
                   const char *fmt, ...)
{
	const struct ahelp_entry *c;
	char ev[MAX_EVIDENCE + 1];
	va_list ap;

	if ((unsigned)k >= F__COUNT)
		return;
	c = &ahelp_catalogue[k];
	ev[0] = 0;
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(ev, sizeof ev, fmt, ap);
		va_end(ap);
	}
	if (attack == NULL || *attack == 0)
		attack = c->attack;
	vfinding_add_custom(s, o, vfinding_catalogue_id(k), c->sev, c->en, c->vi, attack, ev);
}

static void ahelp_put_utf8(vbuf *b, uint32_t u)
{
	uint8_t t[4];
	size_t k;

	if (u < 0x80) {
		t[0] = (uint8_t)u;
		k = 1;
	} else if (u < 0x800) {
		t[0] = (uint8_t)(0xc0 | u >> 6);
		t[1] = (uint8_t)(0x80 | (u & 0x3f));
		k = 2;
	} else if (u < 0x10000) {
		t[0] = (uint8_t)(0xe0 | u >> 12);
		t[1] = (uint8_t)(0x80 | ((u >> 6) & 0x3f));
		t[2] = (uint8_t)(0x80 | (u & 0x3f));
		k = 3;
	} else {
		t[0] = (uint8_t)(0xf0 | u >> 18);
		t[1] = (uint8_t)(0x80 | ((u >> 12) & 0x3f));
		t[2] = (uint8_t)(0x80 | ((u >> 6) & 0x3f));
		t[3] = (uint8_t)(0x80 | (u & 0x3f));
		k = 4;
	}
	/* never a partial character at the end */
	if (k <= b->max - b->len)
		(void)vbuf_append(b, t, k);
	else
		b->max = b->len;
}

char *ahelp_utf16le(const uint8_t *p, size_t n, size_t maxout, bool stop_at_nul, size_t *outlen)
{
	vbuf b;
	size_t i = 0, len;
	uint8_t *r;

	vbuf_init(&b, maxout);
	while (n - i >= 2 && b.len < b.max) {
		uint32_t u = le16(p + i);

		i += 2;
		if (u == 0 && stop_at_nul)
			break;
		if (u >= 0xd800 && u < 0xdc00 && n - i >= 2 && le16(p + i) >= 0xdc00 &&
		    le16(p + i) < 0xe000) {
			u = 0x10000 + ((u - 0xd800) << 10) + (le16(p + i) - 0xdc00u);
			i += 2;
		} else if (u >= 0xd800 && u < 0xe000) {
			u = 0xfffd;
		}
		ahelp_put_utf8(&b, u);
	}
	vbuf_terminate(&b);
	r = vbuf_steal(&b, &len);
	if (r == NULL) {
		r = malloc(1);
		if (r != NULL)
			r[0] = 0;
		len = 0;
	}
	if (outlen != NULL)
		*outlen = len;
	return (char *)r;
}

uint8_t *ahelp_b64(const uint8_t *p, size_t n, size_t maxout, size_t *outlen)
{
	vbuf b;
	uint32_t acc = 0;
	int bits = 0;
	size_t len;
	uint8_t *r;

	*outlen = 0;
	vbuf_init(&b, maxout);
	for (size_t i = 0; i < n && b.len < b.max; i++) {
		int v;

		if (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n')
			continue;
		if (p[i] == '-')
			v = 62;
		else if (p[i] == '_')
			v = 63;
		else
			v = b64val(p[i]);
		if (v < 0)
			break;
		acc = (acc << 6 | (uint32_t)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (vbuf_putc(&b, (uint8_t)(acc >> bits)) != VBUF_OK)
				break;
		}
	}
	r = vbuf_steal(&b, &len);
	if (r == NULL || len == 0) {
		free(r);
		return NULL;
	}
	*outlen = len;
	return r;
}

bool ahelp_looks_utf16le(const uint8_t *p, size_t n)
{
	size_t zeros = 0, pairs = n / 2;

	if (pairs < 2)
		return false;
	for (size_t i = 0; i + 1 < n; i += 2)
		if (p[i + 1] == 0 && p[i] != 0)
			zeros++;
	return zeros * 10 >= pairs * 8;
}

void ahelp_snippet(vbuf *b, const uint8_t *p, size_t n, size_t at, size_t len, size_t ctx)
{
	size_t from = at > ctx ? at - ctx : 0;
	size_t to;
	bool blank = false;

	if (at > n)
		return;
	to = len > n - at ? n : at + len;
	to = ctx > n - to ? n : to + ctx;
	if (from > 0)
		(void)vbuf_append(b, "...", 3);
	for (size_t i = from; i < to; i++) {
		uint8_t c = p[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			if (!blank)
				(void)vbuf_putc(b, ' ');
			blank = true;
			continue;
		}
		blank = false;
		(void)vbuf_putc(b, c);
	}
	if (to < n)
		(void)vbuf_append(b, "...", 3);
}

uint8_t *ahelp_lower(const uint8_t *p, size_t n)
{
	uint8_t *r = malloc(n + 1);

	if (r == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		r[i] = (p[i] >= 'A' && p[i] <= 'Z') ? (uint8_t)(p[i] | 0x20) : p[i];
	r[n] = 0;
	return r;
}

long ahelp_find(const uint8_t *hay, size_t n, size_t from, const char *needle)
{
	size_t m = strlen(needle);
	const uint8_t *hit;

	if (from > n || m == 0 || m > n - from)
		return -1;
	hit = memmem(hay + from, n - from, needle, m);
	return hit == NULL ? -1 : (long)(hit - hay);
}

long ahelp_find_word(const uint8_t *hay, size_t n, size_t from, const char *needle)
{
	size_t m = strlen(needle);
	long at;

	while ((at = ahelp_find(hay, n, from, needle)) >= 0) {
		size_t a = (size_t)at;
		bool left = a == 0 || !ahelp_word(hay[a - 1]) || !ahelp_word((uint8_t)needle[0]);
		bool right = m >= n - a || !ahelp_word(hay[a + m]) ||
		             !ahelp_word((uint8_t)needle[m - 1]);

		if (left && right)
			return at;
		from = a + 1;
	}
	return -1;
}

/* ---- URL and IP facts ---- */

static bool ahelp_url_char(uint8_t c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != '\'' && c != '<' && c != '>' && c != '`' &&
	       c != '\\' && c != '{' && c != '}' && c != '|' && c != '^' && c != ')' && c != '(';
}

/* hosts every signed program or manifest names: never evidence of C2 */
static const char *const ahelp_quiet_hosts[] = {"schemas.microsoft.com",
                                                "www.w3.org",
                                                "crl.microsoft.com",
                                                "www.microsoft.com",
                                                "ocsp.digicert.com",
                                                "crl3.digicert.com",
                                                "crl4.digicert.com",
                                                "www.digicert.com",
                                                "cacerts.digicert.com",
                                                "ocsp.verisign.com",
                                                "crl.verisign.com",
                                                "ts-ocsp.ws.symantec.com",
                                                "ts-crl.ws.symantec.com",
                                                "ocsp.sectigo.com",
                                                "crl.sectigo.com",
                                                "ocsp.comodoca.com",
                                                "crl.comodoca.com",
                                                "crl.usertrust.com",
                                                "ocsp.usertrust.com",
                                                "ocsp.globalsign.com",
                                                "crl.globalsign.com",
                                                "secure.globalsign.com",
                                                "www.globalsign.com",
                                                "ns.adobe.com",
                                                "purl.org",
                                                "xml.org",
                                                "www.apache.org",
                                                "sectigo.com",
                                                "schemas.xmlsoap.org",
                                                "www.openssl.org",
                                                NULL};

static bool ahelp_quiet(const char *host)
{
	for (const char *const *q = ahelp_quiet_hosts; *q != NULL; q++)
		if (strcmp(host, *q) == 0)
			return true;
	return false;
}

/* host of scheme://[user@]host[:port]/..., lower-cased; NULL if none */
static char *ahelp_host(const char *u)
{
	const char *h = strstr(u, "://");
	const char *end, *at, *colon;

	if (h == NULL)
		return NULL;
	h += 3;
	end = h + strcspn(h, "/?#");
	at = memchr(h, '@', (size_t)(end - h));
	if (at != NULL)
		h = at + 1;
	colon = memchr(h, ':', (size_t)(end - h));
	if (colon != NULL)
		end = colon;
	if (end <= h)
		return NULL;
	return g_ascii_strdown(h, end - h);
}

static bool ahelp_host_ok(const char *host)
{
	size_t n = strlen(host);
	const char *dot = strrchr(host, '.');

	if (n < 4 || dot == NULL || dot == host || dot[1] == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = host[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-'))
			return false;
	}
	return true;
}

/* a dotted quad with no digit or dot around it; *len its length */
static bool ahelp_ipv4(const uint8_t *p, size_t n, size_t i, size_t *len, unsigned oct[4])
{
	size_t k = i;

	if (i > 0 && (g_ascii_isdigit(p[i - 1]) || p[i - 1] == '.'))
		return false;
	for (int part = 0; part < 4; part++) {
		unsigned v = 0, digits = 0;

		while (k < n && g_ascii_isdigit(p[k]) && digits < 4) {
			v = v * 10 + (unsigned)(p[k] - '0');
			k++;
			digits++;
		}
		if (digits == 0 || digits > 3 || v > 255)
			return false;
		oct[part] = v;
		if (part < 3) {
			if (k >= n || p[k] != '.')
				return false;
			k++;
		}
	}
	if (k < n && (g_ascii_isdigit(p[k]) || p[k] == '.'))
		return false;
	*len = k - i;
	return true;
}

unsigned ahelp_url_facts(vigil_scan *s, const uint8_t *p, size_t n, char **first)
{
	unsigned seen = 0, recorded = 0;
	size_t i = 0;

	if (first != NULL)
		*first = NULL;
	while (i + 8 < n && recorded < MAX_URLS) {
		size_t skip = 0;
		uint8_t c = p[i] | 0x20;

		if ((c == 'h' || c == 'f') &&
		    (g_ascii_strncasecmp((const char *)p + i, "http://", 7) == 0 ||
		     g_ascii_strncasecmp((const char *)p + i, "https://", 8) == 0 ||
		     g_ascii_strncasecmp((const char *)p + i, "ftp://", 6) == 0)) {
			size_t l = 0;
			char *u, *host;

			while (i + l < n && l < MAX_URL && ahelp_url_char(p[i + l]))
				l++;
			while (l > 0 && strchr(".,;:!?]", p[i + l - 1]) != NULL)
				l--;
			u = g_strndup((const char *)p + i, l);
			host = ahelp_host(u);
			if (host != NULL && ahelp_host_ok(host) && !ahelp_quiet(host)) {
				vscan_fact(s, VIGIL_FACT_URL, u);
				vscan_fact(s, VIGIL_FACT_DOMAIN, host);
				recorded++;
				seen++;
				if (first != NULL && *first == NULL)
					*first = g_strdup(u);
			}
			g_free(host);
			g_free(u);
			skip = l;
		} else if (g_ascii_isdigit(p[i])) {
			size_t l;
			unsigned o[4];

			/* an address with a port ("10.1.2.3:443"): version
			 * numbers and OIDs never carry one */
			if (ahelp_ipv4(p, n, i, &l, o) && i + l + 1 < n && p[i + l] == ':' &&
			    g_ascii_isdigit(p[i + l + 1]) && o[0] != 0 && o[0] != 127 &&
			    o[0] < 224) {
				char *ip = g_strndup((const char *)p + i, l);

				vscan_fact(s, VIGIL_FACT_DOMAIN, ip);
				recorded++;
				seen++;
				if (first != NULL && *first == NULL)
					*first = g_strdup(ip);
				g_free(ip);
			}
			while (i + skip < n && (g_ascii_isdigit(p[i + skip]) || p[i + skip] == '.'))
				skip++;
		}
		i += skip > 0 ? skip : 1;
	}
	return seen;
}
