/*
 * domains.c - the organisation's domains and names, brands, and the tests
 * links.c and sender.c run on domains: registrable domains, IDN decoding,
 * confusable folding and the lookalike test.
 *
 * Engine options read here (docs/analyzers.md has the reference):
 *   protected_domains   the organisation's domains (list)
 *   protected_names     names a sender must not borrow (list)
 *   staff_directory     org.json of scripts/stack/org.py: staff and unit
 *                       names are protected names, its domain and the staff
 *                       addresses' domains are protected domains
 *   brand_domains       well-known brands' domains (list), brand_list files
 *                       of them (one per line, rules/brands.txt)
 *   freemail_domains, url_shorteners   added to the built-in lists
 *   lookalike_allow     domains never reported as lookalikes (list)
 * List values are split at ',', ';' and (domains only) blanks.
 *
 * Registrable domains come from the Public Suffix List built into libpsl
 * (no file is read at scan time). Punycode (RFC 3492) is decoded here, for
 * one label at a time, at most DOMAINS_MAX_LABEL code points. Folding maps
 * each code point to ASCII: compatibility decomposition without its marks
 * (Vietnamese diacritics, fullwidth forms), a small table of Cyrillic,
 * Greek and Armenian letters that look Latin, then a skeleton in which
 * 0/o, 1/l/i, 5/s, rn/m, vv/w and cl/d are the same.
 *
 * Files (staff_directory, brand_list) are read once per process and path
 * and kept while they do not change (device, inode, size and mtime are
 * checked at each scan that uses them), so every engine and worker thread
 * shares one parsed copy; a changed file is read again by the next scan.
 * A file larger than its bound, unreadable or invalid is reported once per
 * scan by the analyzers as analyzer.config_error (info), never ignored in
 * silence. Bounds: DIR_MAX_BYTES / DIR_MAX_NAMES for the directory,
 * BRAND_MAX_BYTES / BRAND_MAX_LINES per brand file, MAX_TARGETS domains.
 *
 * Ownership: a domains_ctx belongs to its scan (a scan note); it holds
 * references on the shared files, released with the scan.
 */
#include "domains.h"

#include <errno.h>
#include <stdarg.h>
#include <jansson.h>
#include <libpsl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define DIR_MAX_BYTES (64u << 20)
#define DIR_MAX_NAMES 400000
#define DIR_MAX_DOMAINS 64
#define BRAND_MAX_BYTES (4u << 20)
#define BRAND_MAX_LINES 20000
#define MAX_BRAND_FILES 8
#define MAX_TARGETS 4096
#define MAX_NAME_TOKENS 24 /* of a display name that are looked at */
#define MAX_NAME_SPAN 10   /* tokens of one protected name */
#define MAX_NAME_BYTES 256

/* ---- built-in lists (options add to them) ---- */

static const char *const freemail_default[] = {"gmail.com",    "googlemail.com",
                                               "yahoo.com",    "yahoo.com.vn",
                                               "ymail.com",    "rocketmail.com",
                                               "hotmail.com",  "outlook.com",
                                               "live.com",     "msn.com",
                                               "aol.com",      "icloud.com",
                                               "me.com",       "mac.com",
                                               "mail.com",     "gmx.com",
                                               "gmx.net",      "gmx.de",
                                               "web.de",       "mail.ru",
                                               "inbox.ru",     "list.ru",
                                               "bk.ru",        "yandex.ru",
                                               "yandex.com",   "protonmail.com",
                                               "proton.me",    "pm.me",
                                               "tutanota.com", "zoho.com",
                                               "qq.com",       "163.com",
                                               "126.com",      "sina.com",
                                               "naver.com",    "daum.net",
                                               "hanmail.net",  "rediffmail.com",
                                               "fastmail.com", "hushmail.com",
                                               "yahoo.co.uk",  "yahoo.fr",
                                               "hotmail.fr",   "hotmail.co.uk",
                                               "libero.it",    NULL};

static const char *const shortener_default[] = {
        "bit.ly",  "bitly.com",  "tinyurl.com", "t.co",        "goo.gl",  "ow.ly",   "is.gd",
        "buff.ly", "rebrand.ly", "cutt.ly",     "shorturl.at", "rb.gy",   "t.ly",    "tiny.cc",
        "s.id",    "v.gd",       "bl.ink",      "short.io",    "lnkd.in", "trib.al", "qrco.de",
        "u.to",    "clck.ru",    "shorte.st",   "adf.ly",      "bc.vc",   "soo.gd",  "x.co",
        "urlz.fr", "surl.li",    "tinu.be",     NULL};

/* ---- shared files, parsed once per process and path ---- */

struct dfile {
	gint refs;
	char *key;
	char *path;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	void *data;
	GDestroyNotify free_fn;
};

static GMutex dfile_lock;
static GHashTable *dfile_cache; /* key -> struct dfile* (one reference) */

static void dfile_unref(gpointer p)
{
	struct dfile *f = p;

	if (f == NULL || !g_atomic_int_dec_and_test(&f->refs))
		return;
	if (f->free_fn != NULL && f->data != NULL)
		f->free_fn(f->data);
	g_free(f->key);
	g_free(f->path);
	g_free(f);
}

/* the file on disk is still the one f was read from */
static bool dfile_fresh(const struct dfile *f)
{
	struct stat st;

	return stat(f->path, &st) == 0 && f->dev == st.st_dev && f->ino == st.st_ino &&
	       f->size == st.st_size && f->mtime.tv_sec == st.st_mtim.tv_sec &&
	       f->mtime.tv_nsec == st.st_mtim.tv_nsec;
}

typedef void *(*dfile_parse_fn)(const char *text, size_t len, char **err);

/* the parsed file, a reference for the caller; NULL and *err on failure */
static struct dfile *dfile_get(const char *path, const char *kind, size_t max, dfile_parse_fn parse,
                               GDestroyNotify free_fn, char **err)
{
	struct stat st;
	struct dfile *f;
	char *key, *text = NULL;
	gsize len = 0;
	GError *ge = NULL;
	void *data;

	if (stat(path, &st) != 0) {
		*err = g_strdup_printf("%s: %s", path, g_strerror(errno));
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
		*err = g_strdup_printf("%s: not a regular file of at most %zu bytes", path, max);
		return NULL;
	}
	key = g_strdup_printf("%s\n%s", kind, path);
	g_mutex_lock(&dfile_lock);
	if (dfile_cache == NULL)
		dfile_cache = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, dfile_unref);
	f = g_hash_table_lookup(dfile_cache, key);
	if (f != NULL && f->dev == st.st_dev && f->ino == st.st_ino && f->size == st.st_size &&
	    f->mtime.tv_sec == st.st_mtim.tv_sec && f->mtime.tv_nsec == st.st_mtim.tv_nsec) {
		g_atomic_int_inc(&f->refs);
		g_mutex_unlock(&dfile_lock);
		g_free(key);
		return f;
	}
	g_mutex_unlock(&dfile_lock);

	/* read and parse outside the lock; two threads may both do it once */
	if (!g_file_get_contents(path, &text, &len, &ge)) {
		*err = g_strdup_printf("%s: %s", path, ge->message);
		g_error_free(ge);
		g_free(key);
		return NULL;
	}
	if (len > max) {
		*err = g_strdup_printf("%s: larger than %zu bytes", path, max);
		g_free(text);
		g_free(key);
		return NULL;
	}
	data = parse(text, len, err);
	g_free(text);
	if (data == NULL) {
		g_free(key);
		return NULL;
	}
	f = g_new0(struct dfile, 1);
	f->refs = 2; /* the cache's and the caller's */
	f->key = key;
	f->path = g_strdup(path);
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->size = st.st_size;
	f->mtime = st.st_mtim;
	f->data = data;
	f->free_fn = free_fn;
	g_mutex_lock(&dfile_lock);
	g_hash_table_replace(dfile_cache, f->key, f);
	g_mutex_unlock(&dfile_lock);
	return f;
}

/* ---- hosts and registrable domains ---- */

static const psl_ctx_t *psl(void)
{
	return psl_builtin();
}

static char *host_clean(const char *h, size_t n)
{
	char *r;

	while (n > 0 && h[n - 1] == '.')
		n--;
	if (n == 0 || n > DOMAINS_MAX_HOST)
		return NULL;
	r = g_ascii_strdown(h, (gssize)n);
	return r;
}

char *domains_host_of(const char *url, char **userinfo)
{
	const char *h = strstr(url, "://"), *end, *at = NULL;

	if (userinfo != NULL)
		*userinfo = NULL;
	h = h != NULL ? h + 3 : url;
	end = h + strcspn(h, "/?#\\");
	/* the userinfo ends at the last '@' before the path (WHATWG URL) */
	for (const char *p = h; p < end; p++)
		if (*p == '@')
			at = p;
	if (at != NULL) {
		if (userinfo != NULL)
			*userinfo = g_strndup(h, (gsize)(at - h));
		h = at + 1;
	}
	if (*h == '[') {
		const char *rb = memchr(h, ']', (size_t)(end - h));

		if (rb == NULL)
			return NULL;
		return host_clean(h + 1, (size_t)(rb - h - 1));
	}
	{
		const char *colon = memchr(h, ':', (size_t)(end - h));

		if (colon != NULL)
			end = colon;
	}
	return host_clean(h, (size_t)(end - h));
}

bool domains_is_ip(const char *host)
{
	unsigned parts = 0, digits = 0;

	if (host == NULL || *host == 0)
		return false;
	if (strchr(host, ':') != NULL)
		return true; /* IPv6 (brackets already removed) */
	for (const char *p = host; *p; p++) {
		if (*p == '.') {
			if (digits == 0)
				return false;
			parts++;
			digits = 0;
		} else if (g_ascii_isdigit(*p) && digits < 3) {
			digits++;
		} else {
			return false;
		}
	}
	return digits > 0 && parts == 3;
}

char *domains_registrable(const char *host)
{
	const char *r;

	if (host == NULL || *host == 0 || domains_is_ip(host))
		return NULL;
	r = psl_registrable_domain(psl(), host);
	return r != NULL ? g_strdup(r) : NULL;
}

bool domains_real_tld(const char *host)
{
	const char *dot = strrchr(host, '.');

	return psl_is_public_suffix2(psl(), dot != NULL ? dot + 1 : host,
	                             PSL_TYPE_ANY | PSL_TYPE_NO_STAR_RULE) != 0;
}

/* host equals d or ends with "." d */
static bool host_under(const char *host, const char *d)
{
	size_t hl = strlen(host), dl = strlen(d);

	if (dl == 0 || hl < dl)
		return false;
	if (strcmp(host + hl - dl, d) != 0)
		return false;
	return hl == dl || host[hl - dl - 1] == '.';
}

/* ---- punycode (RFC 3492, decoding only) ---- */

enum { PC_BASE = 36, PC_TMIN = 1, PC_TMAX = 26, PC_SKEW = 38, PC_DAMP = 700 };

static uint32_t pc_adapt(uint32_t delta, uint32_t numpoints, bool first)
{
	uint32_t k = 0;

	delta = first ? delta / PC_DAMP : delta / 2;
	delta += delta / numpoints;
	while (delta > ((PC_BASE - PC_TMIN) * PC_TMAX) / 2) {
		delta /= PC_BASE - PC_TMIN;
		k += PC_BASE;
	}
	return k + (PC_BASE - PC_TMIN + 1) * delta / (delta + PC_SKEW);
}

static int pc_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0' + 26;
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	return PC_BASE;
}

/*
 * Decodes the part of a label after "xn--" into at most max code points.
 * Returns their number, or -1 for invalid or oversized input. Arithmetic is
 * 64-bit with explicit bounds, so no step can overflow.
 */
int domains_punycode_decode(const char *in, size_t n, gunichar *out, size_t max)
{
	uint64_t code = 0x80, i = 0, bias = 72;
	size_t b = 0, pos, len = 0;

	if (n > DOMAINS_MAX_LABEL)
		return -1;
	for (size_t j = 0; j < n; j++)
		if (in[j] == '-')
			b = j;
	if (b > max)
		return -1;
	for (size_t j = 0; j < b; j++) {
		if ((unsigned char)in[j] >= 0x80)
			return -1;
		out[len++] = (gunichar)(unsigned char)in[j];
	}
	pos = b > 0 ? b + 1 : 0;
	while (pos < n) {
		uint64_t oldi = i, w = 1;

		for (uint64_t k = PC_BASE;; k += PC_BASE) {
			int d;
			uint64_t t;

			if (pos >= n || k > 64 * PC_BASE)
				return -1;
			d = pc_digit(in[pos++]);
			if (d >= PC_BASE)
				return -1;
			i += (uint64_t)d * w;
			if (i > 0x10FFFFull * (DOMAINS_MAX_LABEL + 1))
				return -1;
			t = k <= bias ? PC_TMIN : k >= bias + PC_TMAX ? PC_TMAX : k - bias;
			if ((uint64_t)d < t)
				break;
			w *= PC_BASE - t;
			if (w > 0xFFFFFFFFull)
				return -1;
		}
		if (len >= max)
			return -1;
		bias = pc_adapt((uint32_t)(i - oldi), (uint32_t)len + 1, oldi == 0);
		code += i / (len + 1);
		i %= len + 1;
		if (code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF))
			return -1;
		memmove(out + i + 1, out + i, (len - i) * sizeof *out);
		out[i] = (gunichar)code;
		len++;
		i++;
	}
	return (int)len;
}

/* ---- folding ---- */

/* letters of other scripts that look like Latin ones (lower case) */
static const struct {
	gunichar c;
	char a;
} confusable[] = {
        /* Cyrillic */
        {0x0430, 'a'},
        {0x0432, 'b'},
        {0x0435, 'e'},
        {0x0437, '3'},
        {0x043a, 'k'},
        {0x043c, 'm'},
        {0x043d, 'h'},
        {0x043e, 'o'},
        {0x0440, 'p'},
        {0x0441, 'c'},
        {0x0442, 't'},
        {0x0443, 'y'},
        {0x0445, 'x'},
        {0x044c, 'b'},
        {0x0451, 'e'},
        {0x0455, 's'},
        {0x0456, 'i'},
        {0x0457, 'i'},
        {0x0458, 'j'},
        {0x045b, 'h'},
        {0x04bb, 'h'},
        {0x04c0, 'l'},
        {0x04cf, 'l'},
        {0x0501, 'd'},
        {0x050d, 'g'},
        {0x051b, 'q'},
        {0x051d, 'w'},
        {0x0491, 'r'},
        {0x0433, 'r'},
        /* Greek */
        {0x03b1, 'a'},
        {0x03b2, 'b'},
        {0x03b3, 'y'},
        {0x03b5, 'e'},
        {0x03b9, 'i'},
        {0x03ba, 'k'},
        {0x03bd, 'v'},
        {0x03bf, 'o'},
        {0x03c1, 'p'},
        {0x03c4, 't'},
        {0x03c5, 'u'},
        {0x03c7, 'x'},
        {0x03c9, 'w'},
        {0x03f2, 'c'},
        {0x03f3, 'j'},
        /* Armenian */
        {0x0561, 'w'},
        {0x0563, 'q'},
        {0x0566, 'q'},
        {0x0570, 'h'},
        {0x0578, 'n'},
        {0x057c, 'n'},
        {0x057d, 'u'},
        {0x0581, 'g'},
        {0x0585, 'o'},
        /* Latin letters without a decomposition */
        {0x0111, 'd'},
        {0x0131, 'i'},
        {0x0142, 'l'},
        {0x00f8, 'o'},
        {0x0180, 'b'},
        {0x0250, 'a'},
        {0x0251, 'a'},
        {0x0261, 'g'},
        {0x0269, 'i'},
        {0x026a, 'i'},
        {0x0280, 'r'},
        {0x028f, 'y'},
        {0x1d0f, 'o'},
        {0x1d1c, 'u'},
        {0x1d20, 'v'},
        {0x1d21, 'w'},
        {0x1d22, 'z'},
};

/* one code point as ASCII (lower case letters, digits, '-'); 0: none */
static char fold_char(gunichar c)
{
	gunichar d[G_UNICHAR_MAX_DECOMPOSITION_LENGTH];
	gsize n;

	if (c < 0x80)
		return g_ascii_isalnum((char)c) || c == '-' ? g_ascii_tolower((char)c) : 0;
	c = g_unichar_tolower(c);
	for (size_t k = 0; k < G_N_ELEMENTS(confusable); k++)
		if (confusable[k].c == c)
			return confusable[k].a;
	/* compatibility decomposition: the base letter first, marks after */
	n = g_unichar_fully_decompose(c, TRUE, d, G_N_ELEMENTS(d));
	if (n >= 1 && d[0] < 0x80 && g_ascii_isalnum((char)d[0]))
		return g_ascii_tolower((char)d[0]);
	if (n >= 1 && d[0] != c) {
		for (size_t k = 0; k < G_N_ELEMENTS(confusable); k++)
			if (confusable[k].c == g_unichar_tolower(d[0]))
				return confusable[k].a;
	}
	return 0;
}

/* the code points of one label: punycode decoded, UTF-8 read, or ASCII */
static int label_points(const char *label, size_t n, gunichar *out, size_t max, bool *idn)
{
	size_t len = 0;

	if (n >= 4 && g_ascii_strncasecmp(label, "xn--", 4) == 0) {
		int k = domains_punycode_decode(label + 4, n - 4, out, max);

		if (k >= 0) {
			*idn = true;
			return k;
		}
	}
	for (const char *p = label; p < label + n && len < max;) {
		gunichar c = g_utf8_get_char_validated(p, (gssize)(label + n - p));

		if (c == (gunichar)-1 || c == (gunichar)-2) {
			c = 0xfffd;
			p++;
		} else {
			if (c >= 0x80)
				*idn = true;
			p = g_utf8_next_char(p);
		}
		out[len++] = c;
	}
	return (int)len;
}

/* ASCII folding of the confusable look-alikes: 0/o, 1/i/l, 5/s, rn/m ... */
static void skeleton_ascii(GString *s)
{
	size_t w = 0;

	for (size_t r = 0; r < s->len; r++) {
		char c = s->str[r];
		char nx = r + 1 < s->len ? s->str[r + 1] : 0;

		if (c == 'r' && nx == 'n') {
			s->str[w++] = 'm';
			r++;
		} else if (c == 'v' && nx == 'v') {
			s->str[w++] = 'w';
			r++;
		} else if (c == 'c' && nx == 'l') {
			s->str[w++] = 'd';
			r++;
		} else if (c == '0') {
			s->str[w++] = 'o';
		} else if (c == '1' || c == 'i' || c == '|') {
			s->str[w++] = 'l';
		} else if (c == '5') {
			s->str[w++] = 's';
		} else if (c == '3') {
			s->str[w++] = 'e';
		} else {
			s->str[w++] = c;
		}
	}
	g_string_truncate(s, w);
}

char *domains_skeleton(const char *label, bool *idn)
{
	gunichar cp[DOMAINS_MAX_LABEL + 1];
	GString *s = g_string_sized_new(16);
	bool any = false;
	int n = label_points(label, strlen(label), cp, DOMAINS_MAX_LABEL, &any);

	for (int i = 0; i < n; i++) {
		char c = fold_char(cp[i]);

		g_string_append_c(s, c != 0 ? c : '?');
	}
	skeleton_ascii(s);
	if (idn != NULL)
		*idn = any;
	return g_string_free(s, FALSE);
}

/* skeleton of a whole host, label by label */
static char *host_skeleton(const char *host, bool *idn)
{
	GString *s = g_string_sized_new(32);
	char **labels = g_strsplit(host, ".", 128);

	*idn = false;
	for (char **l = labels; *l != NULL; l++) {
		bool i = false;
		char *k = domains_skeleton(*l, &i);

		if (l != labels)
			g_string_append_c(s, '.');
		g_string_append(s, k);
		*idn = *idn || i;
		g_free(k);
	}
	g_strfreev(labels);
	return g_string_free(s, FALSE);
}

char *domains_to_unicode(const char *host)
{
	GString *s = g_string_sized_new(64);
	char **labels = g_strsplit(host, ".", 128);

	for (char **l = labels; *l != NULL; l++) {
		gunichar cp[DOMAINS_MAX_LABEL + 1];
		bool idn = false;
		int n = label_points(*l, strlen(*l), cp, DOMAINS_MAX_LABEL, &idn);

		if (l != labels)
			g_string_append_c(s, '.');
		if (!idn || n <= 0) {
			g_string_append(s, *l);
			continue;
		}
		for (int i = 0; i < n; i++)
			g_string_append_unichar(s, cp[i]);
	}
	g_strfreev(labels);
	return g_string_free(s, FALSE);
}

bool domains_has_idn(const char *host)
{
	for (const char *p = host; *p; p++) {
		if ((unsigned char)*p >= 0x80)
			return true;
		if ((p == host || p[-1] == '.') && g_ascii_strncasecmp(p, "xn--", 4) == 0)
			return true;
	}
	return false;
}

bool domains_mixed_script(const char *host)
{
	char **labels = g_strsplit(host, ".", 128);
	bool mixed = false;

	for (char **l = labels; *l != NULL && !mixed; l++) {
		gunichar cp[DOMAINS_MAX_LABEL + 1];
		bool idn = false, latin = false, other = false;
		int n = label_points(*l, strlen(*l), cp, DOMAINS_MAX_LABEL, &idn);

		if (!idn)
			continue;
		for (int i = 0; i < n; i++) {
			GUnicodeScript sc = g_unichar_get_script(cp[i]);

			if (sc == G_UNICODE_SCRIPT_LATIN)
				latin = true;
			else if (sc == G_UNICODE_SCRIPT_CYRILLIC || sc == G_UNICODE_SCRIPT_GREEK ||
			         sc == G_UNICODE_SCRIPT_ARMENIAN)
				other = true;
		}
		mixed = latin && other;
	}
	g_strfreev(labels);
	return mixed;
}

/*
 * Damerau-Levenshtein (optimal string alignment), or max + 1 if above max;
 * a substitution costs sub (2: only letters added, dropped or swapped).
 */
static unsigned distance(const char *a, const char *b, unsigned max, unsigned sub)
{
	enum { W = DOMAINS_MAX_LABEL + 2, INF = 1000 };
	unsigned rows[3][W];
	unsigned *pp = rows[0], *p = rows[1], *c = rows[2];
	size_t la = strlen(a), lb = strlen(b);

	if (la > DOMAINS_MAX_LABEL || lb > DOMAINS_MAX_LABEL || max > 8)
		return max + 1;
	if ((la > lb ? la - lb : lb - la) > max)
		return max + 1;
	/* only the band |i - j| <= max can hold a result <= max; the cell just
	 * outside it on each side is INF, so no cell outside is ever read */
	for (size_t j = 0; j <= lb; j++)
		p[j] = j <= max ? (unsigned)j : INF;
	for (size_t i = 1; i <= la; i++) {
		size_t lo = i > max ? i - max : 1, hi = i + max < lb ? i + max : lb;
		unsigned rowmin;
		unsigned *t;

		c[0] = i <= max ? (unsigned)i : INF;
		rowmin = c[0];
		if (lo > 1)
			c[lo - 1] = INF;
		for (size_t j = lo; j <= hi; j++) {
			unsigned cost = a[i - 1] != b[j - 1] ? sub : 0;
			unsigned v = p[j] + 1;

			if (c[j - 1] + 1 < v)
				v = c[j - 1] + 1;
			if (p[j - 1] + cost < v)
				v = p[j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    pp[j - 2] + 1 < v)
				v = pp[j - 2] + 1;
			c[j] = v;
			if (v < rowmin)
				rowmin = v;
		}
		if (hi < lb)
			c[hi + 1] = INF;
		if (rowmin > max)
			return max + 1;
		t = pp;
		pp = p;
		p = c;
		c = t;
	}
	return p[lb] <= max ? p[lb] : max + 1;
}

unsigned domains_distance(const char *a, const char *b, unsigned max)
{
	return distance(a, b, max, 1);
}

char *domains_fold_text(const char *utf8, size_t max)
{
	GString *s = g_string_sized_new(32);
	bool space = true;

	if (utf8 == NULL)
		return g_string_free(s, FALSE);
	for (const char *p = utf8; *p && s->len < max;) {
		gunichar c = g_utf8_get_char_validated(p, -1);
		char f;

		if (c == (gunichar)-1 || c == (gunichar)-2) {
			p++;
			continue;
		}
		p = g_utf8_next_char(p);
		if (g_unichar_ismark(c))
			continue;
		f = fold_char(c);
		if (f == '-' || (f == 0 && !g_unichar_isalnum(c)))
			f = ' ';
		else if (f == 0)
			f = '?';
		if (f == ' ') {
			if (!space)
				g_string_append_c(s, ' ');
			space = true;
			continue;
		}
		g_string_append_c(s, f);
		space = false;
	}
	if (s->len > 0 && s->str[s->len - 1] == ' ')
		g_string_truncate(s, s->len - 1);
	return g_string_free(s, FALSE);
}

/* ---- targets (protected domains and brands) ---- */

static void target_free(gpointer p)
{
	struct domains_target *t = p;

	g_free(t->domain);
	g_free(t->reg);
	g_free(t->label);
	g_free(t->skel);
	g_free(t->dashed);
	g_free(t->flat);
	g_free(t);
}

static bool domain_syntax(const char *d)
{
	if (*d == 0 || strlen(d) > DOMAINS_MAX_HOST || strchr(d, '.') == NULL)
		return false;
	for (const char *p = d; *p; p++)
		if (!g_ascii_isalnum(*p) && *p != '.' && *p != '-')
			return false;
	return true;
}

static struct domains_target *target_new(const char *domain, bool prot)
{
	struct domains_target *t;
	char *low = host_clean(domain, strlen(domain));
	char *reg;

	if (low == NULL || !domain_syntax(low) || domains_is_ip(low)) {
		g_free(low);
		return NULL;
	}
	reg = domains_registrable(low);
	t = g_new0(struct domains_target, 1);
	if (reg == NULL) {
		reg = g_strdup(low);
		t->no_reg = true;
	}
	t->domain = low;
	t->reg = reg;
	t->label = g_strndup(reg, strcspn(reg, "."));
	t->skel = domains_skeleton(t->label, NULL);
	t->dashed = g_strdelimit(g_strdup(low), ".", '-');
	{
		GString *f = g_string_new(NULL);

		for (const char *p = low; *p; p++)
			if (*p != '.')
				g_string_append_c(f, *p);
		t->flat = g_string_free(f, FALSE);
	}
	t->protected = prot;
	return t;
}

/* a brand file: one domain a line, '#' comments */
static void *brands_parse(const char *text, size_t len, char **err)
{
	GPtrArray *a = g_ptr_array_new_with_free_func(target_free);
	const char *p = text, *end = text + len;
	unsigned lines = 0;

	while (p < end && lines < BRAND_MAX_LINES) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *line = g_strndup(p, n);
		char *hash = strchr(line, '#');
		struct domains_target *t;

		if (hash != NULL)
			*hash = 0;
		g_strstrip(line);
		if (*line != 0) {
			t = target_new(line, false);
			if (t == NULL) {
				*err = g_strdup_printf("line %u: '%.60s' is not a domain",
				                       lines + 1, line);
				g_free(line);
				g_ptr_array_unref(a);
				return NULL;
			}
			g_ptr_array_add(a, t);
		}
		g_free(line);
		lines++;
		p = nl ? nl + 1 : end;
	}
	return a;
}

/* ---- the staff directory (org.json) ---- */

struct org {
	GHashTable *names;  /* folded name -> original (staff and units) */
	GPtrArray *domains; /* char* */
};

static void org_free(gpointer p)
{
	struct org *o = p;

	g_hash_table_destroy(o->names);
	g_ptr_array_unref(o->domains);
	g_free(o);
}

static void org_add_name(struct org *o, const char *name, unsigned min_tokens)
{
	char *f;
	unsigned tokens = 1;

	if (name == NULL || strlen(name) > MAX_NAME_BYTES ||
	    g_hash_table_size(o->names) >= DIR_MAX_NAMES)
		return;
	f = domains_fold_text(name, MAX_NAME_BYTES);
	for (const char *p = f; *p; p++)
		tokens += *p == ' ';
	/* one word ("An") names nobody; long names are never written in full */
	if (*f == 0 || tokens < min_tokens || tokens > MAX_NAME_SPAN) {
		g_free(f);
		return;
	}
	if (g_hash_table_contains(o->names, f))
		g_free(f);
	else
		g_hash_table_insert(o->names, f, g_strdup(name));
}

static void org_add_domain(struct org *o, const char *addr_or_domain)
{
	const char *at;
	char *d;

	if (addr_or_domain == NULL || o->domains->len >= DIR_MAX_DOMAINS)
		return;
	at = strrchr(addr_or_domain, '@');
	d = g_ascii_strdown(at ? at + 1 : addr_or_domain, -1);
	if (!domain_syntax(d)) {
		g_free(d);
		return;
	}
	for (guint i = 0; i < o->domains->len; i++)
		if (strcmp(g_ptr_array_index(o->domains, i), d) == 0) {
			g_free(d);
			return;
		}
	g_ptr_array_add(o->domains, d);
}

static void *org_parse(const char *text, size_t len, char **err)
{
	json_error_t je;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	json_t *staff, *units, *aliases, *v;
	struct org *o;
	size_t i;
	const char *k;

	if (root == NULL || !json_is_object(root)) {
		*err = g_strdup_printf("not a JSON object (line %d: %.80s)", je.line, je.text);
		json_decref(root);
		return NULL;
	}
	o = g_new0(struct org, 1);
	o->names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	o->domains = g_ptr_array_new_with_free_func(g_free);
	org_add_domain(o, json_string_value(json_object_get(root, "domain")));
	staff = json_object_get(root, "staff");
	json_array_foreach(staff, i, v)
	{
		org_add_name(o, json_string_value(json_object_get(v, "name")), 2);
		org_add_domain(o, json_string_value(json_object_get(v, "email")));
	}
	units = json_object_get(root, "units");
	json_array_foreach(units, i, v)
	{
		org_add_name(o, json_string_value(json_object_get(v, "name")), 2);
		org_add_name(o, json_string_value(json_object_get(v, "short")), 2);
	}
	aliases = json_object_get(root, "aliases");
	json_object_foreach(aliases, k, v)
	{
		org_add_domain(o, k);
	}
	json_decref(root);
	if (g_hash_table_size(o->names) == 0 && o->domains->len == 0) {
		*err = g_strdup("no staff, units or domain in it (scripts/stack/org.py format)");
		org_free(o);
		return NULL;
	}
	return o;
}

/* ---- the per-scan context ---- */

struct domains_ctx {
	gint refs;
	char *sig;            /* the options it was built from */
	GPtrArray *targets;   /* struct domains_target*, protected first; not owned */
	GPtrArray *own;       /* targets built for this scan (owned) */
	GHashTable *known;    /* registrable domains never called lookalikes */
	GPtrArray *known_dom; /* char*: known domains without a registrable domain */
	GPtrArray *prot_dom;  /* char*: protected domains */
	GHashTable *freemail; /* domain -> 1 */
	GHashTable *short_;   /* domain -> 1 */
	GHashTable *names;    /* folded protected name -> original (options) */
	struct dfile *org;    /* staff directory, or NULL */
	GPtrArray *files;     /* struct dfile* brand files */
	GString *error;       /* problems with the options' files */
};

static void ctx_unref(gpointer p)
{
	domains_ctx *c = p;

	if (c == NULL || !g_atomic_int_dec_and_test(&c->refs))
		return;
	g_free(c->sig);
	g_ptr_array_unref(c->targets);
	g_ptr_array_unref(c->own);
	g_hash_table_destroy(c->known);
	g_ptr_array_unref(c->known_dom);
	g_ptr_array_unref(c->prot_dom);
	g_hash_table_destroy(c->freemail);
	g_hash_table_destroy(c->short_);
	g_hash_table_destroy(c->names);
	if (c->org != NULL)
		dfile_unref(c->org);
	g_ptr_array_unref(c->files);
	g_string_free(c->error, TRUE);
	g_free(c);
}

/* every item of a list option; names keep their blanks */
static void each_item(const vigil_engine *e, const char *key, bool names,
                      void (*fn)(domains_ctx *, const char *), domains_ctx *c)
{
	const GPtrArray *vals = veng_option_list(e, key);

	for (guint i = 0; vals != NULL && i < vals->len && i < 10000; i++) {
		char **items =
		        g_strsplit_set(g_ptr_array_index(vals, i), names ? ",;" : ",; \t", 4096);

		for (char **it = items; *it != NULL; it++) {
			g_strstrip(*it);
			if (**it != 0)
				fn(c, *it);
		}
		g_strfreev(items);
	}
}

static void ctx_error(domains_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void ctx_error(domains_ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->error->len > 400)
		return;
	if (c->error->len > 0)
		g_string_append(c->error, "; ");
	va_start(ap, fmt);
	g_string_append_vprintf(c->error, fmt, ap);
	va_end(ap);
}

/* reg: its registrable domain when known, else NULL (computed here) */
static void add_known(domains_ctx *c, const char *domain, const char *reg)
{
	char *low = host_clean(domain, strlen(domain));
	char *r;

	if (low == NULL)
		return;
	r = reg != NULL ? g_strdup(reg) : domains_registrable(low);
	/* a subdomain's registrable domain covers it; only public suffixes
	 * and the like need the slower suffix test */
	if (r != NULL) {
		g_hash_table_add(c->known, r);
		g_free(low);
	} else {
		g_ptr_array_add(c->known_dom, low);
	}
}

static void add_target(domains_ctx *c, struct domains_target *t, bool owned)
{
	if (t == NULL)
		return;
	if (c->targets->len >= MAX_TARGETS) {
		if (owned)
			target_free(t);
		return;
	}
	if (owned)
		g_ptr_array_add(c->own, t);
	g_ptr_array_add(c->targets, t);
	add_known(c, t->domain, t->no_reg ? NULL : t->reg);
}

static void add_protected(domains_ctx *c, const char *d)
{
	struct domains_target *t = target_new(d, true);

	if (t == NULL) {
		ctx_error(c, "protected_domains: '%.60s' is not a domain", d);
		return;
	}
	g_ptr_array_add(c->prot_dom, g_strdup(t->domain));
	add_target(c, t, true);
}

static void add_brand(domains_ctx *c, const char *d)
{
	struct domains_target *t = target_new(d, false);

	if (t == NULL) {
		ctx_error(c, "brand_domains: '%.60s' is not a domain", d);
		return;
	}
	add_target(c, t, true);
}

static void add_brand_file(domains_ctx *c, const char *path)
{
	char *err = NULL;
	struct dfile *f;
	GPtrArray *a;

	if (c->files->len >= MAX_BRAND_FILES) {
		ctx_error(c, "brand_list: more than %d files", MAX_BRAND_FILES);
		return;
	}
	f = dfile_get(path, "brands", BRAND_MAX_BYTES, brands_parse,
	              (GDestroyNotify)g_ptr_array_unref, &err);
	if (f == NULL) {
		ctx_error(c, "brand_list: %s", err ? err : path);
		g_free(err);
		return;
	}
	g_ptr_array_add(c->files, f);
	a = f->data;
	for (guint i = 0; i < a->len; i++)
		add_target(c, g_ptr_array_index(a, i), false);
}

static void add_allow(domains_ctx *c, const char *d)
{
	add_known(c, d, NULL);
}

static void add_freemail(domains_ctx *c, const char *d)
{
	g_hash_table_add(c->freemail, g_ascii_strdown(d, -1));
}

static void add_shortener(domains_ctx *c, const char *d)
{
	g_hash_table_add(c->short_, g_ascii_strdown(d, -1));
}

static void add_name(domains_ctx *c, const char *n)
{
	char *f = domains_fold_text(n, MAX_NAME_BYTES);

	if (*f == 0 || g_hash_table_contains(c->names, f))
		g_free(f);
	else
		g_hash_table_insert(c->names, f, g_strdup(n));
}

static const char *const ctx_keys[] = {
        "protected_domains", "staff_directory", "protected_names",  "brand_domains",
        "brand_list",        "lookalike_allow", "freemail_domains", "url_shorteners",
};

/* every option value the context depends on, in one string */
static char *ctx_signature(const vigil_engine *e)
{
	GString *sig = g_string_sized_new(256);

	for (size_t k = 0; k < G_N_ELEMENTS(ctx_keys); k++) {
		const GPtrArray *v = veng_option_list(e, ctx_keys[k]);

		g_string_append(sig, ctx_keys[k]);
		for (guint i = 0; v != NULL && i < v->len; i++) {
			g_string_append_c(sig, '\x1f');
			g_string_append(sig, g_ptr_array_index(v, i));
		}
		g_string_append_c(sig, '\x1e');
	}
	return g_string_free(sig, FALSE);
}

static domains_ctx *ctx_build(const vigil_engine *e, char *sig)
{
	domains_ctx *c = g_new0(domains_ctx, 1);
	const char *dir;

	c->refs = 1;
	c->sig = sig;
	c->targets = g_ptr_array_new();
	c->own = g_ptr_array_new_with_free_func(target_free);
	c->known = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	c->known_dom = g_ptr_array_new_with_free_func(g_free);
	c->prot_dom = g_ptr_array_new_with_free_func(g_free);
	c->freemail = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	c->short_ = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	c->names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	c->files = g_ptr_array_new_with_free_func(dfile_unref);
	c->error = g_string_new(NULL);

	each_item(e, "protected_domains", false, add_protected, c);
	dir = veng_option(e, "staff_directory", NULL);
	if (dir != NULL && *dir) {
		char *err = NULL;

		c->org = dfile_get(dir, "org", DIR_MAX_BYTES, org_parse, org_free, &err);
		if (c->org == NULL) {
			ctx_error(c, "staff_directory: %s", err ? err : dir);
		} else {
			struct org *o = c->org->data;

			for (guint i = 0; i < o->domains->len; i++)
				if (!domains_is_protected(c, g_ptr_array_index(o->domains, i)))
					add_protected(c, g_ptr_array_index(o->domains, i));
		}
		g_free(err);
	}
	each_item(e, "protected_names", true, add_name, c);
	each_item(e, "brand_domains", false, add_brand, c);
	each_item(e, "brand_list", true, add_brand_file, c);
	each_item(e, "lookalike_allow", false, add_allow, c);
	for (const char *const *d = freemail_default; *d != NULL; d++)
		add_freemail(c, *d);
	each_item(e, "freemail_domains", false, add_freemail, c);
	for (const char *const *d = shortener_default; *d != NULL; d++)
		add_shortener(c, *d);
	each_item(e, "url_shorteners", false, add_shortener, c);
	return c;
}

/* every file it was built from is unchanged (and none was missing) */
static bool ctx_fresh(const domains_ctx *c)
{
	if (c->error->len > 0 || (c->org != NULL && !dfile_fresh(c->org)))
		return false;
	for (guint i = 0; i < c->files->len; i++)
		if (!dfile_fresh(g_ptr_array_index(c->files, i)))
			return false;
	return true;
}

#define MAX_CACHED_CTX 16

static GMutex ctx_lock;
static GHashTable *ctx_cache; /* signature -> domains_ctx* (one reference) */

/*
 * The context is built once per set of option values and kept while its
 * files do not change: building it costs a suffix lookup per brand, more
 * than judging a message's links. Contexts are immutable once built, so
 * scans on any thread share them, each with its own reference.
 */
domains_ctx *domains_ctx_get(vigil_scan *s)
{
	domains_ctx *c = vscan_note(s, "domains.ctx");
	char *sig;

	if (c != NULL)
		return c;
	sig = ctx_signature(s->eng);
	g_mutex_lock(&ctx_lock);
	if (ctx_cache == NULL)
		ctx_cache = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, ctx_unref);
	c = g_hash_table_lookup(ctx_cache, sig);
	if (c != NULL && ctx_fresh(c))
		g_atomic_int_inc(&c->refs);
	else
		c = NULL;
	g_mutex_unlock(&ctx_lock);
	if (c != NULL) {
		g_free(sig);
		vscan_note_set(s, "domains.ctx", c, ctx_unref);
		return c;
	}
	c = ctx_build(s->eng, sig);
	g_mutex_lock(&ctx_lock);
	if (g_hash_table_size(ctx_cache) >= MAX_CACHED_CTX)
		g_hash_table_remove_all(ctx_cache);
	g_atomic_int_inc(&c->refs);
	g_hash_table_replace(ctx_cache, c->sig, c);
	g_mutex_unlock(&ctx_lock);
	vscan_note_set(s, "domains.ctx", c, ctx_unref);
	return c;
}

const char *domains_ctx_error(const domains_ctx *c)
{
	return c->error->len > 0 ? c->error->str : NULL;
}

bool domains_is_protected(const domains_ctx *c, const char *host)
{
	for (guint i = 0; i < c->prot_dom->len; i++)
		if (host_under(host, g_ptr_array_index(c->prot_dom, i)))
			return true;
	return false;
}

static bool known_reg(const domains_ctx *c, const char *host, const char *reg)
{
	for (guint i = 0; i < c->known_dom->len; i++)
		if (host_under(host, g_ptr_array_index(c->known_dom, i)))
			return true;
	return reg != NULL && g_hash_table_contains(c->known, reg);
}

bool domains_is_known(const domains_ctx *c, const char *host)
{
	char *reg = domains_registrable(host);
	bool known = known_reg(c, host, reg);

	g_free(reg);
	return known;
}

static bool in_set(GHashTable *set, const char *host)
{
	/* the host or any parent domain of it */
	for (const char *p = host; p != NULL && *p; p = strchr(p, '.') ? strchr(p, '.') + 1 : NULL)
		if (g_hash_table_contains(set, p))
			return true;
	return false;
}

bool domains_is_freemail(const domains_ctx *c, const char *host)
{
	return in_set(c->freemail, host);
}

bool domains_is_shortener(const domains_ctx *c, const char *host)
{
	return g_hash_table_contains(c->short_, host) ||
	       (strncmp(host, "www.", 4) == 0 && g_hash_table_contains(c->short_, host + 4));
}

/* ---- the lookalike test ---- */

/* edits allowed for a label of this length */
static unsigned allowed_edits(size_t len, bool prot)
{
	/* the organisation's own names: few, and rarely near a real word */
	if (prot)
		return len >= 9 ? 2 : len >= 4 ? 1 : 0;
	/* brands: short ones are a letter away from common words (mail.com
	 * from gmail); only their look-alike letters count (skeleton test) */
	return len >= 11 ? 2 : len >= 7 ? 1 : 0;
}

/* d occurs in host as whole labels, and something follows it */
static bool embedded(const char *host, const char *d)
{
	size_t dl = strlen(d);

	for (const char *p = strstr(host, d); p != NULL; p = strstr(p + 1, d))
		if ((p == host || p[-1] == '.') && p[dl] == '.')
			return true;
	return false;
}

/* s occurs in host bounded by a label edge or '-' on both sides */
static bool spelled_in(const char *host, const char *s)
{
	size_t sl = strlen(s);

	for (const char *p = strstr(host, s); p != NULL; p = strstr(p + 1, s)) {
		bool start = p == host || p[-1] == '.' || p[-1] == '-';
		bool end = p[sl] == 0 || p[sl] == '.' || p[sl] == '-';

		if (start && end)
			return true;
	}
	return false;
}

/* label is t->label with words added ("bhxh-online", "bhxhvn") */
static bool has_name(const char *label, const char *name)
{
	size_t nl = strlen(name);

	if (nl < 3 || strcmp(label, name) == 0)
		return false;
	for (const char *p = strstr(label, name); p != NULL; p = strstr(p + 1, name)) {
		bool start = p == label || p[-1] == '-';
		bool end = p[nl] == 0 || p[nl] == '-';

		if ((start && end) || nl >= 4)
			return true;
	}
	return false;
}

bool domains_lookalike(const domains_ctx *c, const char *host, struct domains_match *m)
{
	char *reg = NULL, *label = NULL, *skel = NULL, *hskel = NULL;
	char **labels = NULL;
	bool idn = false, hidn = false, found = false;
	size_t nlabels;

	memset(m, 0, sizeof *m);
	if (host == NULL || *host == 0 || domains_is_ip(host) || c->targets->len == 0)
		return false;
	/* the lists are what is real: a listed free-mail provider (mail.com)
	 * imitates nobody */
	if (strlen(host) > DOMAINS_MAX_HOST || domains_is_freemail(c, host))
		return false;
	reg = domains_registrable(host);
	if (reg == NULL || known_reg(c, host, reg))
		goto out;
	label = g_strndup(reg, strcspn(reg, "."));
	skel = domains_skeleton(label, &idn);
	hskel = host_skeleton(host, &hidn);
	labels = g_strsplit(host, ".", 128);
	nlabels = g_strv_length(labels);

	for (guint i = 0; i < c->targets->len && !found; i++) {
		const struct domains_target *t = g_ptr_array_index(c->targets, i);
		unsigned k = allowed_edits(strlen(t->label), t->protected), d;
		/*
		 * Brands: a letter replaced by another counts only when the two
		 * look alike (the skeleton test above it); otherwise lindows.com
		 * would imitate windows and apply.com apple.com. The
		 * organisation's own names take any edit.
		 */
		unsigned sub = t->protected ? 1 : 2;

		m->target = t;
		m->idn = false;
		if (embedded(host, t->domain)) {
			m->how = "contains it as a subdomain of another domain";
			found = true;
		} else if (hidn && embedded(hskel, t->domain)) {
			m->how = "contains it, in look-alike letters, as a subdomain of another "
			         "domain";
			m->idn = found = true;
		} else if (strlen(t->dashed) >= 7 &&
		           (spelled_in(host, t->dashed) || spelled_in(host, t->flat))) {
			m->how = "spells it out inside another domain";
			found = true;
		} else if (t->protected && strcmp(label, t->label) == 0) {
			m->how = "same name under another suffix";
			found = true;
		} else if (t->protected && has_name(label, t->label)) {
			m->how = "its name with words added";
			found = true;
		} else if (strcmp(skel, t->skel) == 0 && strcmp(label, t->label) != 0) {
			m->how = idn ? "international letters that look the same"
			             : "characters that look the same";
			m->idn = idn;
			found = true;
		} else if (!idn && k > 0 && (d = distance(label, t->label, k, sub)) <= k) {
			m->how = d == 1 ? "one character added, dropped, swapped or changed"
			                : "two characters added, dropped, swapped or changed";
			found = true;
		} else if (k > 0 && distance(skel, t->skel, k, sub) <= k) {
			m->how = idn ? "international letters that look almost the same"
			             : "characters that look almost the same";
			m->idn = idn;
			found = true;
		} else if (t->protected) {
			/* a subdomain label named like us: bhxh.gov-vn.example */
			for (size_t j = 0; j + 2 < nlabels && !found; j++)
				if (strcmp(labels[j], t->label) == 0 && strlen(t->label) >= 3) {
					m->how = "uses its name as a subdomain of another domain";
					found = true;
				}
		}
	}
out:
	if (!found)
		memset(m, 0, sizeof *m);
	g_strfreev(labels);
	g_free(reg);
	g_free(label);
	g_free(skel);
	g_free(hskel);
	return found;
}

/* ---- protected names ---- */

const char *domains_protected_name(const domains_ctx *c, const char *name, bool *staff)
{
	char *f = domains_fold_text(name, 512);
	char *tok[MAX_NAME_TOKENS];
	size_t nt = 0;
	const struct org *o = c->org != NULL ? c->org->data : NULL;
	const char *hit = NULL;
	GString *span = g_string_sized_new(64);

	*staff = false;
	for (char *p = f; *p && nt < MAX_NAME_TOKENS;) {
		tok[nt++] = p;
		p = strchr(p, ' ');
		if (p == NULL)
			break;
		*p++ = 0;
	}
	for (size_t i = 0; i < nt && hit == NULL; i++) {
		g_string_truncate(span, 0);
		for (size_t j = i; j < nt && j - i < MAX_NAME_SPAN && hit == NULL; j++) {
			if (j > i)
				g_string_append_c(span, ' ');
			g_string_append(span, tok[j]);
			hit = g_hash_table_lookup(c->names, span->str);
			if (hit == NULL && o != NULL) {
				hit = g_hash_table_lookup(o->names, span->str);
				*staff = hit != NULL;
			}
		}
	}
	g_string_free(span, TRUE);
	g_free(f);
	return hit;
}
