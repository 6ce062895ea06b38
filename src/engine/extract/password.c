/*
 * password.c - candidate passwords for encrypted archives, from the message.
 *
 * A zip whose password stands in the body of its email ("Mật khẩu giải nén:
 * 2024") is the usual way past gateways that cannot open encrypted archives.
 * Before mime.c emits any part of a message it calls
 * password_collect_message(), which reads the subject and every text/plain
 * and text/html leaf (also those of attached messages) and adds candidates
 * with vscan_password_add(); archive.c tries them on encrypted zips. Images
 * are not read (no OCR).
 *
 * Candidates, in this order (the scan keeps 64; the first ones win):
 *   1. after a password keyword, English or Vietnamese, with or without
 *      diacritics (password, passwd, pass, pwd, pw, passcode, passphrase,
 *      mật khẩu, mat khau, mật mã, MK): the word that follows, and the word
 *      after the first separator (":", "=", "là", "is") in the next words;
 *   2. in short texts (2 KB or less), every word of 4..32 bytes.
 * Quotes, brackets and trailing punctuation are stripped from a candidate;
 * the word with only its quotes and brackets stripped is tried too ("Abc!").
 *
 * Limits: 256 KB of decoded text per part, 1 MB and 64 text parts per
 * message, 4096 MIME objects visited, 16 levels of nesting, 200,000 words per
 * text, candidates of 1..64 bytes, 10 words searched after a keyword.
 * Ownership: every string here is ours and freed before we return.
 */
#include "password.h"

#include <stdlib.h>
#include <string.h>

#include "../../util/vbuf.h"

#define MAX_PART_TEXT (256u << 10)
#define MAX_MSG_TEXT (1u << 20)
#define MAX_PARTS 64
#define MAX_VISITS 4096
#define MAX_DEPTH 16
#define MAX_WORDS 200000
#define SHORT_TEXT 2048
#define SEARCH_WORDS 10
#define PW_MAX 64
#define FB_MIN 4
#define FB_MAX 32

struct word {
	const char *p;
	size_t n;
};

/* lower case, NFC; longer before their prefixes; one blank = two words */
static const char *const keywords[] = {
        "passwords", "password", "passwd",  "passphrase", "passcode", "pass",   "pwd",    "pw",
        "mk",        "matkhau",  "mậtkhẩu", "mật khẩu",   "mat khau", "mật mã", "mat ma", NULL};

/* words that stand between a keyword and its password */
static const char *const sep_words[] = {"là", "la", "is", "was", "=>", "->", ":=", NULL};

static bool is_space_char(gunichar c)
{
	return g_unichar_isspace(c) || c == 0x200B || c == 0xFEFF;
}

static bool in_chars(gunichar c, const gunichar *set)
{
	for (; *set != 0; set++)
		if (*set == c)
			return true;
	return false;
}

/* quotes and brackets around a password */
static const gunichar wrap_lead[] = {'"',    '\'',   '(',    '[',    '{',  '<', '*',
                                     0x201C, 0x201D, 0x2018, 0x2019, 0xAB, 0};
static const gunichar wrap_trail[] = {'"',    '\'',   ')',    ']',    '}',  '>', '*',
                                      0x201C, 0x201D, 0x2018, 0x2019, 0xBB, 0};
/* punctuation after a password, and separators before it */
static const gunichar punct_trail[] = {'.', ',', ';', ':', '!', '?', 0x3002, 0xFF0C, 0};
static const gunichar sep_lead[] = {':', '=', 0xFF1A, 0};

/* bytes of word w that match keyword k (lower-cased char by char), or 0 */
static size_t match_prefix(const char *w, size_t n, const char *k)
{
	size_t i = 0;
	const char *kp = k;

	while (*kp != 0) {
		if (i >= n)
			return 0;
		if (g_unichar_tolower(g_utf8_get_char(w + i)) != g_utf8_get_char(kp))
			return 0;
		i = (size_t)(g_utf8_next_char(w + i) - w);
		kp = g_utf8_next_char(kp);
	}
	return i <= n ? i : 0;
}

/* true if the rest of a word after a keyword does not continue it ("passport") */
static bool word_ends(const char *rest, size_t rn)
{
	return rn == 0 || !g_unichar_isalnum(g_utf8_get_char(rest));
}

/*
 * Keyword at word i? Returns the number of words it spans (0: none) and
 * where the rest of its last word starts.
 */
static size_t keyword_at(const struct word *ws, size_t nw, size_t i, const char **rest, size_t *rn)
{
	const char *w = ws[i].p, *e = ws[i].p + ws[i].n;
	size_t wn;

	/* "*Mật khẩu*:", "(password:" */
	while (w < e && in_chars(g_utf8_get_char(w), wrap_lead))
		w = g_utf8_next_char(w);
	wn = (size_t)(e - w);
	if (wn == 0 || (*w != 'p' && *w != 'P' && *w != 'm' && *w != 'M'))
		return 0;
	for (const char *const *k = keywords; *k != NULL; k++) {
		const char *blank = strchr(*k, ' ');
		size_t m;

		if (blank == NULL) {
			m = match_prefix(w, wn, *k);
			if (m == 0 || !word_ends(w + m, wn - m))
				continue;
			*rest = w + m;
			*rn = wn - m;
			return 1;
		} else {
			char first[16];
			size_t fl = (size_t)(blank - *k);

			if (i + 1 >= nw || fl >= sizeof first)
				continue;
			memcpy(first, *k, fl);
			first[fl] = 0;
			if (match_prefix(w, wn, first) != wn)
				continue;
			m = match_prefix(ws[i + 1].p, ws[i + 1].n, blank + 1);
			if (m == 0 || !word_ends(ws[i + 1].p + m, ws[i + 1].n - m))
				continue;
			*rest = ws[i + 1].p + m;
			*rn = ws[i + 1].n - m;
			return 2;
		}
	}
	return 0;
}

static void strip(const char **p, size_t *n, bool punct)
{
	const char *s = *p, *e = *p + *n;
	bool more = true;

	while (more && s < e) {
		gunichar c = g_utf8_get_char(s);

		more = in_chars(c, wrap_lead) || in_chars(c, sep_lead);
		if (more)
			s = g_utf8_next_char(s);
	}
	more = true;
	while (more && s < e) {
		const char *last = g_utf8_find_prev_char(s, e);
		gunichar c;

		if (last == NULL)
			break;
		c = g_utf8_get_char(last);
		more = in_chars(c, wrap_trail) || (punct && in_chars(c, punct_trail));
		if (more)
			e = last;
	}
	*p = s;
	*n = (size_t)(e - s);
}

static void add_bytes(vigil_scan *s, const char *p, size_t n, size_t min, size_t max)
{
	char *c;

	if (n < min || n > max || memchr(p, 0, n) != NULL)
		return;
	c = g_strndup(p, n);
	vscan_password_add(s, c);
	g_free(c);
}

/* a word as a candidate: stripped of punctuation, then of quotes only */
static void add_word(vigil_scan *s, const char *p, size_t n, size_t min, size_t max)
{
	const char *a = p, *b = p;
	size_t an = n, bn = n;

	strip(&a, &an, true);
	add_bytes(s, a, an, min, max);
	strip(&b, &bn, false);
	if (bn != an)
		add_bytes(s, b, bn, min, max);
}

static bool is_sep_word(const struct word *w)
{
	const char *p = w->p, *e = w->p + w->n;
	bool all = true;

	for (const char *const *k = sep_words; *k != NULL; k++) {
		size_t m = match_prefix(w->p, w->n, *k);

		if (m == w->n || (m > 0 && w->n - m == 1 && (w->p[m] == ':' || w->p[m] == '=')))
			return true;
	}
	while (p < e && all) {
		gunichar c = g_utf8_get_char(p);

		all = c == ':' || c == '=' || c == '-' || c == 0x2013 || c == 0x2014 || c == '>' ||
		      c == 0xFF1A;
		p = g_utf8_next_char(p);
	}
	return all;
}

static bool ends_with_sep(const char *p, size_t n)
{
	return n > 0 && (p[n - 1] == ':' || p[n - 1] == '=');
}

/* the candidates around keyword occurrence i (spanning k words) */
static void after_keyword(vigil_scan *s, const struct word *ws, size_t nw, size_t i, size_t k,
                          const char *rest, size_t rn)
{
	bool sep = false;
	size_t j;

	/* "password:abc" */
	if (rn > 0) {
		const char *r = rest;
		size_t n = rn;
		gunichar c = g_utf8_get_char(r);

		if (in_chars(c, sep_lead)) {
			sep = true;
			strip(&r, &n, true);
			if (n > 0) {
				add_word(s, rest, rn, 1, PW_MAX);
				return;
			}
		}
	}
	for (j = i + k; j < nw && j < i + k + SEARCH_WORDS; j++) {
		const struct word *w = &ws[j];

		if (is_sep_word(w)) {
			sep = true;
			continue;
		}
		if (ends_with_sep(w->p, w->n)) {
			/* "giải nén:" - the password follows */
			sep = true;
			continue;
		}
		if (j == i + k || sep)
			add_word(s, w->p, w->n, 1, PW_MAX);
		if (sep)
			return;
	}
}

static GArray *split_words(const char *t, size_t n)
{
	GArray *ws = g_array_new(FALSE, FALSE, sizeof(struct word));
	const char *p = t, *e = t + n;

	while (p < e && ws->len < MAX_WORDS) {
		struct word w;

		while (p < e && is_space_char(g_utf8_get_char(p)))
			p = g_utf8_next_char(p);
		if (p >= e)
			break;
		w.p = p;
		while (p < e && !is_space_char(g_utf8_get_char(p)))
			p = g_utf8_next_char(p);
		w.n = (size_t)(p - w.p);
		g_array_append_val(ws, w);
	}
	return ws;
}

/* ---- html to text ---- */

static const struct {
	const char *name;
	gunichar c;
} entities[] = {
        {"nbsp", ' '},     {"amp", '&'},      {"lt", '<'},       {"gt", '>'},
        {"quot", '"'},     {"apos", '\''},    {"agrave", 0xE0},  {"aacute", 0xE1},
        {"acirc", 0xE2},   {"atilde", 0xE3},  {"egrave", 0xE8},  {"eacute", 0xE9},
        {"ecirc", 0xEA},   {"igrave", 0xEC},  {"iacute", 0xED},  {"ograve", 0xF2},
        {"oacute", 0xF3},  {"ocirc", 0xF4},   {"otilde", 0xF5},  {"ugrave", 0xF9},
        {"uacute", 0xFA},  {"yacute", 0xFD},  {"Agrave", 0xC0},  {"Aacute", 0xC1},
        {"Acirc", 0xC2},   {"Atilde", 0xC3},  {"Egrave", 0xC8},  {"Eacute", 0xC9},
        {"Ecirc", 0xCA},   {"Igrave", 0xCC},  {"Iacute", 0xCD},  {"Ograve", 0xD2},
        {"Oacute", 0xD3},  {"Ocirc", 0xD4},   {"Otilde", 0xD5},  {"Ugrave", 0xD9},
        {"Uacute", 0xDA},  {"Yacute", 0xDD},  {"ldquo", 0x201C}, {"rdquo", 0x201D},
        {"lsquo", 0x2018}, {"rsquo", 0x2019},
};

static void put_char(vbuf *b, gunichar c)
{
	char u[8];
	int l;

	if (c == 0 || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		c = 0xFFFD;
	l = g_unichar_to_utf8(c, u);
	(void)vbuf_append(b, u, (size_t)l);
}

/* "&...;" at p: the character and the bytes it takes, or 0 */
static size_t entity(const char *p, size_t n, gunichar *c)
{
	size_t i = 1, start;
	unsigned long v = 0;

	if (n > 1 && p[1] == '#') {
		bool hex = n > 2 && (p[2] == 'x' || p[2] == 'X');

		i = hex ? 3 : 2;
		start = i;
		while (i < n && i < start + 8 && g_ascii_isxdigit(p[i]) &&
		       (hex || g_ascii_isdigit(p[i]))) {
			v = v * (hex ? 16 : 10) + (unsigned long)g_ascii_xdigit_value(p[i]);
			i++;
		}
		if (i == start)
			return 0;
		*c = (gunichar)v;
		return i < n && p[i] == ';' ? i + 1 : i;
	}
	start = i;
	while (i < n && i < start + 10 && g_ascii_isalpha(p[i]))
		i++;
	if (i >= n || p[i] != ';')
		return 0;
	for (size_t k = 0; k < G_N_ELEMENTS(entities); k++)
		if (strlen(entities[k].name) == i - start &&
		    memcmp(entities[k].name, p + start, i - start) == 0) {
			*c = entities[k].c;
			return i + 1;
		}
	return 0;
}

static bool tag_is(const char *p, size_t n, const char *name)
{
	size_t l = strlen(name);

	return n > l && g_ascii_strncasecmp(p, name, l) == 0 && !g_ascii_isalnum(p[l]);
}

/* the text of an html document: markup becomes blanks, entities are decoded */
static char *html_text(const char *p, size_t n, size_t *outn)
{
	vbuf b;
	size_t i = 0;

	vbuf_init(&b, n + 1);
	while (i < n) {
		if (p[i] == '<') {
			const char *end;
			const char *skip_to = NULL;

			if (n - i >= 4 && memcmp(p + i, "<!--", 4) == 0) {
				end = g_strstr_len(p + i + 4, (gssize)(n - i - 4), "-->");
				if (end == NULL)
					break;
				i = (size_t)(end - p) + 3;
				(void)vbuf_putc(&b, ' ');
				continue;
			}
			if (tag_is(p + i + 1, n - i - 1, "script"))
				skip_to = "</script";
			else if (tag_is(p + i + 1, n - i - 1, "style"))
				skip_to = "</style";
			if (skip_to != NULL) {
				long k = vmem_casefind((const uint8_t *)p + i + 1, n - i - 1,
				                       skip_to);

				if (k < 0)
					break;
				i += 1 + (size_t)k;
			}
			end = memchr(p + i, '>', n - i);
			if (end == NULL)
				break;
			i = (size_t)(end - p) + 1;
			(void)vbuf_putc(&b, ' ');
		} else if (p[i] == '&') {
			gunichar c;
			size_t k = entity(p + i, n - i, &c);

			if (k == 0) {
				(void)vbuf_putc(&b, '&');
				i++;
			} else {
				put_char(&b, c);
				i += k;
			}
		} else {
			(void)vbuf_putc(&b, (uint8_t)p[i]);
			i++;
		}
	}
	return (char *)vbuf_steal(&b, outn);
}

/* valid NFC UTF-8 without NUL bytes (a new string) */
static char *clean_text(const char *p, size_t n)
{
	char *copy = g_strndup(p, n), *valid, *nfc;

	for (size_t i = 0; i < n; i++)
		if (copy[i] == 0)
			copy[i] = ' ';
	valid = g_utf8_make_valid(copy, (gssize)n);
	g_free(copy);
	nfc = g_utf8_normalize(valid, -1, G_NORMALIZE_NFC);
	if (nfc == NULL)
		return valid;
	g_free(valid);
	return nfc;
}

void password_collect_text(vigil_scan *s, const char *text, size_t n, bool html, bool keywords_,
                           bool fallback)
{
	char *own = NULL, *t;
	size_t tn = n;
	GArray *wa;
	const struct word *ws;

	if (text == NULL || n == 0)
		return;
	if (html) {
		own = html_text(text, n, &tn);
		if (own == NULL)
			return;
		text = own;
	}
	t = clean_text(text, tn);
	free(own);
	tn = strlen(t);
	wa = split_words(t, tn);
	ws = (const struct word *)(void *)wa->data;
	if (keywords_) {
		for (size_t i = 0; i < wa->len; i++) {
			const char *rest;
			size_t rn, k = keyword_at(ws, wa->len, i, &rest, &rn);

			if (k > 0)
				after_keyword(s, ws, wa->len, i, k, rest, rn);
		}
	}
	if (fallback && tn <= SHORT_TEXT)
		for (size_t i = 0; i < wa->len; i++)
			add_word(s, ws[i].p, ws[i].n, FB_MIN, FB_MAX);
	g_array_free(wa, TRUE);
	g_free(t);
}

/* ---- the texts of a message ---- */

struct text {
	char *p;
	size_t n;
};

struct gather {
	GArray *texts; /* struct text, already plain (html stripped) */
	size_t total;
	unsigned visits;
};

/* the decoded text of a part, converted to UTF-8 when its charset is known */
static char *part_text(GMimePart *part, size_t max, size_t *outn)
{
	GMimeDataWrapper *w = g_mime_part_get_content(part);
	const char *cs = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part), "charset");
	GMimeContentEncoding enc;
	GMimeStream *raw, *f;
	vbuf b;
	char buf[8192];
	ssize_t r;

	*outn = 0;
	if (w == NULL)
		return NULL;
	raw = g_mime_data_wrapper_get_stream(w);
	if (raw == NULL || g_mime_stream_reset(raw) != 0)
		return NULL;
	f = g_mime_stream_filter_new(raw);
	enc = g_mime_data_wrapper_get_encoding(w);
	if (enc == GMIME_CONTENT_ENCODING_BASE64 || enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
	    enc == GMIME_CONTENT_ENCODING_UUENCODE) {
		GMimeFilter *d = g_mime_filter_basic_new(enc, FALSE);

		g_mime_stream_filter_add(GMIME_STREAM_FILTER(f), d);
		g_object_unref(d);
	}
	if (cs != NULL && g_ascii_strcasecmp(cs, "utf-8") != 0 &&
	    g_ascii_strcasecmp(cs, "us-ascii") != 0) {
		GMimeFilter *c = g_mime_filter_charset_new(cs, "UTF-8");

		if (c != NULL) {
			g_mime_stream_filter_add(GMIME_STREAM_FILTER(f), c);
			g_object_unref(c);
		}
	}
	vbuf_init(&b, max);
	while ((r = g_mime_stream_read(f, buf, sizeof buf)) > 0)
		if (vbuf_append(&b, buf, (size_t)r) != VBUF_OK)
			break;
	g_object_unref(f);
	g_mime_stream_reset(raw);
	return (char *)vbuf_steal(&b, outn);
}

static void keep_text(struct gather *g, const char *p, size_t n, bool html)
{
	struct text t;
	char *plain = NULL;

	if (p == NULL || n == 0)
		return;
	if (html) {
		plain = html_text(p, n, &n);
		if (plain == NULL)
			return;
		p = plain;
	}
	t.p = clean_text(p, n);
	t.n = strlen(t.p);
	free(plain);
	g->total += t.n;
	g_array_append_val(g->texts, t);
}

static void gather(struct gather *g, GMimeObject *obj, unsigned depth)
{
	if (obj == NULL || depth > MAX_DEPTH || g->texts->len >= MAX_PARTS ||
	    g->total >= MAX_MSG_TEXT || ++g->visits > MAX_VISITS)
		return;
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		int n = g_mime_multipart_get_count(mp);

		for (int i = 0; i < n && g->visits <= MAX_VISITS; i++)
			gather(g, g_mime_multipart_get_part(mp, i), depth + 1);
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *m = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
		const char *subj = m ? g_mime_message_get_subject(m) : NULL;

		if (subj != NULL)
			keep_text(g, subj, strlen(subj), false);
		if (m != NULL)
			gather(g, g_mime_message_get_mime_part(m), depth + 1);
	} else if (GMIME_IS_PART(obj)) {
		GMimeContentType *ct = g_mime_object_get_content_type(obj);
		bool html;
		size_t n, max = MAX_MSG_TEXT - g->total;
		char *t;

		if (ct != NULL && g_mime_content_type_is_type(ct, "text", "html"))
			html = true;
		else if (ct == NULL || g_mime_content_type_is_type(ct, "text", "plain"))
			html = false;
		else
			return;
		t = part_text(GMIME_PART(obj), max < MAX_PART_TEXT ? max : MAX_PART_TEXT, &n);
		keep_text(g, t, n, html);
		free(t);
	}
}

void password_defer(vigil_scan *s, GMimeMessage *m)
{
	if (s->pw_pending == NULL)
		s->pw_pending = g_ptr_array_new_with_free_func(g_object_unref);
	g_ptr_array_add(s->pw_pending, g_object_ref(m));
}

void password_forget(vigil_scan *s, GMimeMessage *m)
{
	if (s->pw_pending != NULL)
		(void)g_ptr_array_remove(s->pw_pending, m);
}

void vscan_passwords_collect(vigil_scan *s)
{
	GPtrArray *p = s->pw_pending;

	if (p == NULL || p->len == 0)
		return;
	/* outermost first: its text comes before that of attached messages */
	for (guint i = 0; i < p->len; i++)
		password_collect_message(s, g_ptr_array_index(p, i));
	g_ptr_array_set_size(p, 0);
}

void password_collect_message(vigil_scan *s, GMimeMessage *m)
{
	struct gather g = {g_array_new(FALSE, FALSE, sizeof(struct text)), 0, 0};
	const char *subj;

	if (m == NULL)
		goto out;
	subj = g_mime_message_get_subject(m);
	if (subj != NULL)
		keep_text(&g, subj, strlen(subj), false);
	gather(&g, g_mime_message_get_mime_part(m), 0);
	/* all keyword candidates before any fallback word */
	for (guint i = 0; i < g.texts->len; i++) {
		struct text *t = &g_array_index(g.texts, struct text, i);

		password_collect_text(s, t->p, t->n, false, true, false);
	}
	for (guint i = 0; i < g.texts->len; i++) {
		struct text *t = &g_array_index(g.texts, struct text, i);

		password_collect_text(s, t->p, t->n, false, false, true);
	}
out:
	for (guint i = 0; i < g.texts->len; i++)
		g_free(g_array_index(g.texts, struct text, i).p);
	g_array_free(g.texts, TRUE);
}
