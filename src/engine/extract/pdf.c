/*
 * pdf.c - PDF documents: embedded files, JavaScript, XFA forms and hidden
 * programs become child objects.
 *
 * Children:
 *   - every embedded file: streams reached through /EF of a file
 *     specification (found in any object, or through the /EmbeddedFiles name
 *     tree) and any stream with /Type /EmbeddedFile. Named by the file spec's
 *     /UF, else /F (/Unix, /DOS, /Mac), else its name-tree key; the name is a
 *     PDF text string (PDFDocEncoding, UTF-16BE or UTF-8 with a BOM) turned
 *     into UTF-8;
 *   - JavaScript: every /JS string or stream, wherever the dictionary holding
 *     it is (actions, name trees, annotations), as "javascript-N.js";
 *   - XFA form packets (/XFA streams) as "xfa-N.xml";
 *   - any other stream whose decoded bytes are a program or a binary
 *     container (PE, ELF, zip, OLE2, RTF, another PDF, ...) as "stream-N-G".
 * Decision: ordinary page content, fonts and images do NOT become objects. A
 * large benign PDF has thousands of them; as objects they would exhaust the
 * object limit (and turn the verdict "not fully scanned") for bytes no
 * analyst reads. Each such stream is decoded only up to SNIFF_BYTES, enough
 * for ftype_detect() to tell whether it is really a program in disguise.
 *
 * Parsing: an own bounded parser, no PDF library. Objects are found by their
 * content ("N G obj"), never through the xref table, which attackers break on
 * purpose; a later definition of a number wins for references, but every
 * definition is searched. /Length is believed only when "endstream" follows
 * where it says (direct, or an indirect N 0 R resolved after the scan);
 * otherwise "endstream" is searched for. Object streams (/Type /ObjStm) are
 * decoded and their members parsed like the others. Filters: Flate (zlib,
 * raw deflate as a fallback), LZW (/EarlyChange), ASCIIHex, ASCII85,
 * RunLength, chains of them, and PNG (10-15) / TIFF (2, 8 and 16 bits)
 * predictors. Image codecs (DCT, JPX, JBIG2, CCITT) are left encoded.
 * Encryption: the standard security handler (RC4, AES-128, AES-256; R2-R6) is
 * opened with the empty user password, which is what most encrypted mail
 * attachments use; other documents are reported as document.encrypted.
 *
 * Limits: every decode is bounded by vscan_room() (object, total and ratio
 * limits); bytes decoded only to look inside (object streams, sniffs) are
 * charged with vscan_charge(), so a bomb hidden anywhere hits a limit. After
 * the first limit hit no stream is decoded any more. The parser bounds the
 * objects per document, nesting (MAX_NEST), values per parse (an arena of
 * ARENA_MAX), string length, name-tree depth and size, and reference chains
 * (MAX_REF_DEPTH; cycles end there). Hitting one of these is the finding
 * limit.pdf_structure. Damage (no %%EOF, wrong /Length, no endstream) is
 * collected into one pdf.malformed finding, damaged filter data into one
 * decode.error; extraction goes on with whatever can be read.
 *
 * Ownership: all state of one document lives in a struct pdoc on the stack
 * of pdf_extract() (no globals: a fuzz harness may call the scan on any
 * bytes). Parsed values live in an arena reset after each top-level object;
 * decoded object streams live until the document is done; child bytes are
 * malloc'ed vbuf contents handed to vscan_emit().
 */
#include "../internal.h"

#include <limits.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../../util/bytes.h"
#include "../../util/vbuf.h"

#define MAX_OBJECTS 200000    /* object definitions per document */
#define MAX_NEST 64           /* dictionaries and arrays inside each other */
#define MAX_NODES (1u << 21)  /* values in one parse */
#define ARENA_MAX (96u << 20) /* bytes of parsed values at once */
#define MAX_STRING (16u << 20)
#define MAX_NAME 1024 /* bytes kept of a /Name */
#define MAX_REF_DEPTH 16
#define MAX_TREE_DEPTH 32
#define MAX_TREE_NODES 20000 /* name-tree nodes per document */
#define MAX_FILTERS 8
#define MAX_STM_MEMBERS 100000 /* objects declared by one object stream */
#define MAX_ROW (4u << 20)     /* bytes of one predictor row */
#define SNIFF_BYTES 4096
#define MAX_LABEL 1024         /* bytes of a decoded file name */
#define MAX_NOTE 400           /* evidence collected for one finding */
#define WORK_FACTOR 16         /* bytes parsed per document: 16 x its size ... */
#define WORK_EXTRA (32u << 20) /* ... + 32 MiB */

enum { PV_NULL, PV_BOOL, PV_INT, PV_REAL, PV_STR, PV_NAME, PV_ARR, PV_DICT, PV_REF };

typedef struct pv {
	uint8_t t;
	union {
		int64_t i;
		double r;
		bool b;
		struct {
			uint8_t *p;
			size_t n;
		} s; /* PV_STR, PV_NAME */
		struct {
			struct pv *v;
			size_t n; /* items; for PV_DICT pairs (2n values) */
		} a;
		struct {
			uint32_t num, gen;
		} ref;
	} u;
} pv;

struct chunk {
	struct chunk *next;
	size_t used, cap;
	uint8_t data[];
};

typedef struct arena {
	struct chunk *head;
	size_t total;
} arena;

/* one object definition */
struct pobj {
	uint32_t num, gen;
	const uint8_t *buf; /* the file, or a decoded object stream */
	size_t len;
	size_t off;    /* where the value starts */
	uint32_t stm;  /* 0: in the file; else index + 1 of its object stream */
	bool stream;   /* a stream object (always in the file) */
	bool objstm;   /* /Type /ObjStm */
	bool xref;     /* /Type /XRef (never encrypted) */
	bool lind;     /* /Length is an indirect reference */
	uint32_t lnum; /* ... to this object */
	size_t doff;   /* stream data */
	size_t dlen;
};

enum { ROLE_EMBED = 1, ROLE_JS, ROLE_XFA, ROLE_STREAM };

struct role {
	int kind;
	char *name; /* UTF-8 or NULL */
};

enum { CM_NONE, CM_RC4, CM_AESV2, CM_AESV3, CM_UNKNOWN };

struct pcrypt {
	bool present; /* /Encrypt in a trailer */
	bool ok;      /* the empty user password opened it */
	int r;
	size_t keylen;
	uint8_t key[32];
	uint8_t stm, str, eff;
	bool meta; /* /EncryptMetadata */
	bool enc_ref;
	uint32_t enc_num;
};

typedef struct pdoc {
	vigil_scan *s;
	vigil_object *o;
	const uint8_t *buf;
	size_t len;
	GArray *objs;        /* struct pobj: file order, then object-stream members */
	GHashTable *bynum;   /* num -> index + 1 in objs */
	GPtrArray *stmbufs;  /* decoded object streams (malloc'ed) */
	GHashTable *roles;   /* num -> struct role* */
	GHashTable *seen;    /* string objects already emitted as JavaScript */
	GHashTable *scripts; /* GBytes: scripts emitted (a form repeats them) */
	arena ar;
	struct pcrypt cr;
	size_t enc_off;   /* trailer dictionary holding a direct /Encrypt */
	uint8_t id0[128]; /* first /ID string */
	size_t id0len;
	unsigned njs, nxfa;
	size_t tree_nodes;
	/* cache of the last search for "endstream" / "endobj" */
	size_t es_from, es_at, eo_from, eo_at;
	vbuf malformed, decerr, limit;
	uint64_t work, work_max; /* bytes parsed so far, and the budget */
	unsigned parses;
	/* actions and features seen while walking the dictionaries */
	unsigned n_js, n_openaction, n_aa, n_launch, n_uri, n_submit, n_richmedia, n_gotor,
	        n_acroform, n_import;
	bool auto_js, auto_launch, auto_uri; /* an automatic action runs these */
	vbuf actions;                        /* evidence: what the actions name */
	bool nodecode;                       /* a limit was hit: decode nothing more */
	bool stop;                           /* the scan is over */
} pdoc;

/* ---------------------------------------------------------------- arena */

static void *arena_alloc(arena *a, size_t n)
{
	struct chunk *c = a->head;
	void *p;

	n = (n + 7) & ~(size_t)7;
	if (n == 0)
		n = 8;
	if (c == NULL || n > c->cap - c->used) {
		size_t cap = n > 65536 ? n : 65536;

		if (cap > ARENA_MAX || a->total > ARENA_MAX - cap)
			return NULL;
		c = g_try_malloc(sizeof *c + cap);
		if (c == NULL)
			return NULL;
		c->next = a->head;
		c->used = 0;
		c->cap = cap;
		a->head = c;
		a->total += cap;
	}
	p = c->data + c->used;
	c->used += n;
	return p;
}

static void arena_reset(arena *a)
{
	while (a->head != NULL) {
		struct chunk *c = a->head;

		a->head = c->next;
		g_free(c);
	}
	a->total = 0;
}

/* ---------------------------------------------------------------- notes */

static void note(vbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Collects evidence for one finding; the first few problems are kept. */
static void note(vbuf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;

	if (b->len >= b->max)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (b->len > 0)
		vbuf_append(b, "; ", 2);
	vbuf_append(b, tmp, strlen(tmp));
}

/* ---------------------------------------------------------------- lexer */

static bool is_ws(uint8_t c)
{
	return c == 0 || c == 9 || c == 10 || c == 12 || c == 13 || c == 32;
}

static bool is_delim(uint8_t c)
{
	switch (c) {
	case '(':
	case ')':
	case '<':
	case '>':
	case '[':
	case ']':
	case '{':
	case '}':
	case '/':
	case '%':
		return true;
	default:
		return false;
	}
}

static bool is_regular(uint8_t c)
{
	return !is_ws(c) && !is_delim(c);
}

typedef struct parser {
	pdoc *d;
	const uint8_t *b;
	size_t n, i;
	size_t nodes;
	bool bound; /* a structure bound was hit */
} parser;

enum { PR_OK, PR_END, PR_FAIL };

static void skip_ws(parser *ps)
{
	while (ps->i < ps->n) {
		uint8_t c = ps->b[ps->i];

		if (is_ws(c)) {
			ps->i++;
		} else if (c == '%') {
			while (ps->i < ps->n && ps->b[ps->i] != '\n' && ps->b[ps->i] != '\r')
				ps->i++;
		} else {
			break;
		}
	}
}

/* Is the keyword kw at position i (followed by a non-regular byte)? */
static bool kw_at(const uint8_t *b, size_t n, size_t i, const char *kw)
{
	size_t m = strlen(kw);

	if (i > n || m > n - i || memcmp(b + i, kw, m) != 0)
		return false;
	return i + m == n || !is_regular(b[i + m]);
}

static bool parse_uint(parser *ps, uint64_t *v, size_t maxdigits)
{
	size_t k = 0;

	*v = 0;
	while (ps->i < ps->n && ps->b[ps->i] >= '0' && ps->b[ps->i] <= '9') {
		if (++k > maxdigits)
			return false;
		*v = *v * 10 + (uint64_t)(ps->b[ps->i] - '0');
		ps->i++;
	}
	return k > 0;
}

static void parse_number(parser *ps, pv *out)
{
	bool neg = false, dot = false, overflow = false;
	int64_t iv = 0;
	double rv = 0, scale = 1;
	size_t start;

	if (ps->b[ps->i] == '+' || ps->b[ps->i] == '-') {
		neg = ps->b[ps->i] == '-';
		ps->i++;
	}
	start = ps->i;
	while (ps->i < ps->n) {
		uint8_t c = ps->b[ps->i];

		if (c == '.' && !dot) {
			dot = true;
		} else if (c >= '0' && c <= '9') {
			if (dot) {
				scale /= 10;
				rv += (c - '0') * scale;
			} else {
				if (iv > (INT64_MAX - 9) / 10)
					overflow = true;
				else
					iv = iv * 10 + (c - '0');
				rv = rv * 10 + (c - '0');
			}
		} else {
			break;
		}
		ps->i++;
	}
	(void)start;
	if (dot || overflow) {
		out->t = PV_REAL;
		out->u.r = neg ? -rv : rv;
	} else {
		out->t = PV_INT;
		out->u.i = neg ? -iv : iv;
	}
}

/* "N G R" after an unsigned integer N already parsed into out */
static void maybe_ref(parser *ps, pv *out)
{
	size_t save = ps->i;
	uint64_t gen;

	if (out->t != PV_INT || out->u.i < 0 || out->u.i > UINT32_MAX)
		return;
	skip_ws(ps);
	if (!parse_uint(ps, &gen, 5) || gen > 65535) {
		ps->i = save;
		return;
	}
	skip_ws(ps);
	if (!kw_at(ps->b, ps->n, ps->i, "R")) {
		ps->i = save;
		return;
	}
	ps->i++;
	out->u.ref.num = (uint32_t)out->u.i;
	out->u.ref.gen = (uint32_t)gen;
	out->t = PV_REF;
}

static int parse_name(parser *ps, pv *out)
{
	size_t j = ++ps->i, n = 0;
	uint8_t *p;

	while (j < ps->n && is_regular(ps->b[j]))
		j++;
	p = arena_alloc(&ps->d->ar, (j - ps->i < MAX_NAME ? j - ps->i : MAX_NAME) + 1);
	if (p == NULL)
		return PR_FAIL;
	while (ps->i < j) {
		uint8_t c = ps->b[ps->i++];

		if (c == '#' && j - ps->i >= 2 && hexval(ps->b[ps->i]) >= 0 &&
		    hexval(ps->b[ps->i + 1]) >= 0) {
			c = (uint8_t)(hexval(ps->b[ps->i]) << 4 | hexval(ps->b[ps->i + 1]));
			ps->i += 2;
		}
		if (n < MAX_NAME)
			p[n++] = c;
	}
	p[n] = 0;
	out->t = PV_NAME;
	out->u.s.p = p;
	out->u.s.n = n;
	return PR_OK;
}

static int parse_literal(parser *ps, pv *out)
{
	size_t start = ps->i + 1, j = start, depth = 1, cap, k = 0;
	bool closed = false;
	uint8_t *p;

	while (j < ps->n) {
		uint8_t c = ps->b[j];

		if (c == '\\') {
			j += ps->n - j >= 2 ? 2 : 1;
			continue;
		}
		if (c == '(') {
			depth++;
		} else if (c == ')' && --depth == 0) {
			closed = true;
			break;
		}
		j++;
	}
	if (j > ps->n)
		j = ps->n;
	cap = j - start < MAX_STRING ? j - start : MAX_STRING;
	p = arena_alloc(&ps->d->ar, cap + 1);
	if (p == NULL)
		return PR_FAIL;
	for (size_t i = start; i < j && k < cap;) {
		uint8_t c = ps->b[i++];

		if (c == '\r') {
			if (i < j && ps->b[i] == '\n')
				i++;
			c = '\n';
		} else if (c == '\\' && i < j) {
			uint8_t e = ps->b[i++];

			switch (e) {
			case 'n':
				c = '\n';
				break;
			case 'r':
				c = '\r';
				break;
			case 't':
				c = '\t';
				break;
			case 'b':
				c = '\b';
				break;
			case 'f':
				c = '\f';
				break;
			case '\r':
				if (i < j && ps->b[i] == '\n')
					i++;
				continue;
			case '\n':
				continue;
			default:
				if (e >= '0' && e <= '7') {
					unsigned v = (unsigned)(e - '0');

					for (int m = 0;
					     m < 2 && i < j && ps->b[i] >= '0' && ps->b[i] <= '7';
					     m++)
						v = v * 8 + (unsigned)(ps->b[i++] - '0');
					c = (uint8_t)v;
				} else {
					c = e; /* \( \) \\ and unknown escapes: the byte itself */
				}
			}
		}
		p[k++] = c;
	}
	p[k] = 0;
	if (j - start > MAX_STRING)
		ps->bound = true;
	ps->i = closed ? j + 1 : j;
	out->t = PV_STR;
	out->u.s.p = p;
	out->u.s.n = k;
	return PR_OK;
}

static int parse_hexstr(parser *ps, pv *out)
{
	size_t start = ps->i + 1, j = start, k = 0, cap;
	int hi = -1;
	uint8_t *p;

	while (j < ps->n && ps->b[j] != '>')
		j++;
	cap = (j - start) / 2 + 1;
	if (cap > MAX_STRING) {
		cap = MAX_STRING;
		ps->bound = true;
	}
	p = arena_alloc(&ps->d->ar, cap + 1);
	if (p == NULL)
		return PR_FAIL;
	for (size_t i = start; i < j && k < cap; i++) {
		int v = hexval(ps->b[i]);

		if (v < 0)
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			p[k++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi >= 0 && k < cap)
		p[k++] = (uint8_t)(hi << 4);
	p[k] = 0;
	ps->i = j < ps->n ? j + 1 : j;
	out->t = PV_STR;
	out->u.s.p = p;
	out->u.s.n = k;
	return PR_OK;
}

static int parse_value(parser *ps, pv *out, unsigned depth);

/* Arrays and dictionaries; items are gathered in a growing buffer first. */
static int parse_container(parser *ps, pv *out, unsigned depth, bool dict)
{
	pv *items = NULL, *v;
	size_t n = 0, cap = 0;
	int rc = PR_OK;

	ps->i += dict ? 2 : 1;
	if (depth >= MAX_NEST) {
		ps->bound = true;
		return PR_FAIL;
	}
	for (;;) {
		pv item;
		int r;

		skip_ws(ps);
		if (ps->i >= ps->n)
			break; /* unterminated: keep what was read */
		if (dict && ps->b[ps->i] == '>' && ps->n - ps->i >= 2 && ps->b[ps->i + 1] == '>') {
			ps->i += 2;
			break;
		}
		if (!dict && ps->b[ps->i] == ']') {
			ps->i++;
			break;
		}
		if (dict && n % 2 == 0 && ps->b[ps->i] != '/') {
			/* not a key: skip one value (or end at a foreign closer) */
			r = parse_value(ps, &item, depth + 1);
			if (r == PR_FAIL) {
				rc = PR_FAIL;
				break;
			}
			if (r == PR_END)
				break;
			continue;
		}
		r = parse_value(ps, &item, depth + 1);
		if (r == PR_FAIL) {
			rc = PR_FAIL;
			break;
		}
		if (r == PR_END) {
			if (dict && n % 2 == 1) {
				item.t = PV_NULL; /* "/Key >>": a key without a value */
			} else {
				break;
			}
		}
		if (++ps->nodes > MAX_NODES) {
			ps->bound = true;
			rc = PR_FAIL;
			break;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			items = g_realloc_n(items, cap, sizeof *items);
		}
		items[n++] = item;
		if (r == PR_END)
			break;
	}
	if (rc == PR_OK) {
		if (dict && n % 2 == 1)
			n--;
		v = arena_alloc(&ps->d->ar, (n ? n : 1) * sizeof *v);
		if (v == NULL) {
			ps->bound = true;
			rc = PR_FAIL;
		} else {
			if (n)
				memcpy(v, items, n * sizeof *v);
			out->t = dict ? PV_DICT : PV_ARR;
			out->u.a.v = v;
			out->u.a.n = dict ? n / 2 : n;
		}
	}
	g_free(items);
	return rc;
}

/*
 * One value at ps->i. PR_END: nothing here (a closing delimiter, a structure
 * keyword such as endobj, or the end of the input) and nothing consumed.
 */
static int parse_value(parser *ps, pv *out, unsigned depth)
{
	uint8_t c;

	skip_ws(ps);
	if (ps->i >= ps->n)
		return PR_END;
	c = ps->b[ps->i];
	memset(out, 0, sizeof *out);
	switch (c) {
	case '/':
		return parse_name(ps, out);
	case '(':
		return parse_literal(ps, out);
	case '<':
		if (ps->n - ps->i >= 2 && ps->b[ps->i + 1] == '<')
			return parse_container(ps, out, depth, true);
		return parse_hexstr(ps, out);
	case '[':
		return parse_container(ps, out, depth, false);
	case ']':
	case '>':
	case ')':
		return PR_END;
	case '{':
	case '}':
		ps->i++;
		out->t = PV_NULL;
		return PR_OK;
	default:
		break;
	}
	if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.') {
		bool plain = c >= '0' && c <= '9';

		parse_number(ps, out);
		if (plain)
			maybe_ref(ps, out);
		return PR_OK;
	}
	{
		size_t j = ps->i;

		while (j < ps->n && is_regular(ps->b[j]))
			j++;
		if (kw_at(ps->b, ps->n, ps->i, "true") || kw_at(ps->b, ps->n, ps->i, "false")) {
			out->t = PV_BOOL;
			out->u.b = c == 't';
		} else if (kw_at(ps->b, ps->n, ps->i, "endobj") ||
		           kw_at(ps->b, ps->n, ps->i, "stream") ||
		           kw_at(ps->b, ps->n, ps->i, "endstream") ||
		           kw_at(ps->b, ps->n, ps->i, "obj") ||
		           kw_at(ps->b, ps->n, ps->i, "trailer") ||
		           kw_at(ps->b, ps->n, ps->i, "xref")) {
			return PR_END;
		} else {
			out->t = PV_NULL; /* null, or garbage read as null */
		}
		ps->i = j > ps->i ? j : ps->i + 1;
	}
	return PR_OK;
}

/* ---------------------------------------------------------------- values */

static const pv *dget(const pv *d, const char *key)
{
	size_t kl = strlen(key);

	if (d == NULL || d->t != PV_DICT)
		return NULL;
	for (size_t k = 0; k < d->u.a.n; k++) {
		const pv *kv = &d->u.a.v[2 * k];

		if (kv->t == PV_NAME && kv->u.s.n == kl && memcmp(kv->u.s.p, key, kl) == 0)
			return &d->u.a.v[2 * k + 1];
	}
	return NULL;
}

static bool name_is(const pv *v, const char *name)
{
	return v != NULL && v->t == PV_NAME && v->u.s.n == strlen(name) &&
	       memcmp(v->u.s.p, name, v->u.s.n) == 0;
}

static struct pobj *obj_at(pdoc *d, size_t idx)
{
	return &g_array_index(d->objs, struct pobj, idx);
}

static size_t lookup(pdoc *d, uint32_t num)
{
	gpointer v = g_hash_table_lookup(d->bynum, GUINT_TO_POINTER(num));

	return v == NULL ? SIZE_MAX : GPOINTER_TO_SIZE(v) - 1;
}

static void decrypt_strings(pdoc *d, pv *v, uint32_t num, uint32_t gen, unsigned depth);

/*
 * Every parse goes through here. A budget of bytes parsed per document stops
 * inputs built to make the parser read the same bytes again and again
 * (unterminated strings, many references to one huge object); the scan's
 * clock is looked at as it goes. *end: where the value ended.
 */
static int parse_at(pdoc *d, const uint8_t *b, size_t n, size_t off, pv *out, size_t *end,
                    bool *bound)
{
	parser ps = {d, b, n, off, 0, false};
	int rc;

	if (d->stop)
		return PR_FAIL;
	if (d->work > d->work_max) {
		note(&d->limit, "parsed more than %llu bytes", (unsigned long long)d->work_max);
		d->stop = true;
		return PR_FAIL;
	}
	if ((++d->parses & 63) == 0 && vscan_should_stop(d->s, d->o)) {
		d->stop = true;
		return PR_FAIL;
	}
	rc = parse_value(&ps, out, 0);
	d->work += ps.i - off;
	if (end != NULL)
		*end = ps.i;
	if (bound != NULL)
		*bound = ps.bound;
	return rc;
}

/* Parses the value of an object definition into the arena (NULL: none). */
static pv *parse_obj(pdoc *d, size_t idx)
{
	struct pobj *po = obj_at(d, idx);
	pv *v = arena_alloc(&d->ar, sizeof *v);

	if (v == NULL)
		return NULL;
	if (parse_at(d, po->buf, po->len, po->off, v, NULL, NULL) != PR_OK)
		return NULL;
	if (d->cr.ok && po->stm == 0 && !po->xref && !(d->cr.enc_ref && po->num == d->cr.enc_num))
		decrypt_strings(d, v, po->num, po->gen, 0);
	return v;
}

/*
 * Follows references (at most MAX_REF_DEPTH: cycles end there). *idx is the
 * object the value came from (SIZE_MAX: direct), *num its number.
 */
static const pv *resolve_ex(pdoc *d, const pv *v, size_t *idx, uint32_t *num)
{
	if (idx != NULL)
		*idx = SIZE_MAX;
	for (unsigned k = 0; v != NULL && v->t == PV_REF; k++) {
		size_t i;

		if (k >= MAX_REF_DEPTH) {
			note(&d->malformed, "reference chain too long or cyclic at object %u",
			     v->u.ref.num);
			return NULL;
		}
		i = lookup(d, v->u.ref.num);
		if (i == SIZE_MAX)
			return NULL;
		if (idx != NULL)
			*idx = i;
		if (num != NULL)
			*num = v->u.ref.num;
		v = parse_obj(d, i);
	}
	return v;
}

static const pv *resolve(pdoc *d, const pv *v)
{
	return resolve_ex(d, v, NULL, NULL);
}

static bool get_int(pdoc *d, const pv *dict, const char *key, int64_t *out)
{
	const pv *v = resolve(d, dget(dict, key));

	if (v == NULL || v->t != PV_INT)
		return false;
	*out = v->u.i;
	return true;
}

static int64_t int_or(pdoc *d, const pv *dict, const char *key, int64_t dflt)
{
	int64_t v;

	return get_int(d, dict, key, &v) ? v : dflt;
}

/* ---------------------------------------------------------------- text */

static const uint16_t pdfdoc_18[8] = {0x02d8, 0x02c7, 0x02c6, 0x02d9,
                                      0x02dd, 0x02db, 0x02da, 0x02dc};
static const uint16_t pdfdoc_80[33] = {
        0x2022, 0x2020, 0x2021, 0x2026, 0x2014, 0x2013, 0x0192, 0x2044, 0x2039, 0x203a, 0x2212,
        0x2030, 0x201e, 0x201c, 0x201d, 0x2018, 0x2019, 0x201a, 0x2122, 0xfb01, 0xfb02, 0x0141,
        0x0152, 0x0160, 0x0178, 0x017d, 0x0131, 0x0142, 0x0153, 0x0161, 0x017e, 0xfffd, 0x20ac};

static void put_utf8(vbuf *b, uint32_t u)
{
	char tmp[8];
	int n = g_unichar_to_utf8(u, tmp);

	vbuf_append(b, tmp, (size_t)n);
}

/* UTF-16BE (after the BOM) to UTF-8, surrogate pairs joined. */
static void utf16be_to_utf8(const uint8_t *p, size_t n, vbuf *b)
{
	for (size_t i = 0; i + 1 < n && b->len < b->max; i += 2) {
		uint32_t u = (uint32_t)p[i] << 8 | p[i + 1];

		if (u >= 0xd800 && u < 0xdc00 && i + 3 < n) {
			uint32_t lo = (uint32_t)p[i + 2] << 8 | p[i + 3];

			if (lo >= 0xdc00 && lo < 0xe000) {
				u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
				i += 2;
			} else {
				u = 0xfffd;
			}
		} else if (u >= 0xd800 && u < 0xe000) {
			u = 0xfffd;
		}
		put_utf8(b, u);
	}
}

/* A PDF text string as a NUL-terminated UTF-8 string (g_free), bounded. */
static char *text_string(const pv *v)
{
	vbuf b;
	const uint8_t *p;
	size_t n, len;
	uint8_t *r;

	if (v == NULL || v->t != PV_STR)
		return NULL;
	p = v->u.s.p;
	n = v->u.s.n;
	vbuf_init(&b, MAX_LABEL);
	if (n >= 2 && p[0] == 0xfe && p[1] == 0xff) {
		utf16be_to_utf8(p + 2, n - 2, &b);
	} else if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) {
		vbuf_append(&b, p + 3, n - 3);
	} else {
		for (size_t i = 0; i < n && b.len < b.max; i++) {
			uint8_t c = p[i];

			if (c >= 0x18 && c <= 0x1f)
				put_utf8(&b, pdfdoc_18[c - 0x18]);
			else if (c >= 0x80 && c <= 0xa0)
				put_utf8(&b, pdfdoc_80[c - 0x80]);
			else if (c >= 0xa1)
				put_utf8(&b, c);
			else
				vbuf_putc(&b, c);
		}
	}
	/* cut at a NUL: names are C strings from here on */
	if (b.data != NULL) {
		uint8_t *z = memchr(b.data, 0, b.len);

		if (z != NULL)
			b.len = (size_t)(z - b.data);
	}
	if (b.len == 0) {
		vbuf_free(&b);
		return NULL;
	}
	r = vbuf_steal(&b, &len);
	{
		char *s = g_strndup((const char *)r, len);

		free(r);
		if (!g_utf8_validate(s, -1, NULL)) {
			char *t = g_utf8_make_valid(s, -1);

			g_free(s);
			s = t;
		}
		return s;
	}
}

/* ---------------------------------------------------------------- filters */

enum { DEC_FULL = 1, DEC_ERROR = 2, DEC_UNSUP = 4 };

static unsigned flate(const uint8_t *in, size_t n, vbuf *out)
{
	z_stream z;
	unsigned st = 0;
	int rc;
	bool raw = false;

again:
	memset(&z, 0, sizeof z);
	if (inflateInit2(&z, raw ? -15 : 15) != Z_OK)
		return DEC_ERROR;
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = n > UINT_MAX ? UINT_MAX : (uInt)n;
	for (;;) {
		size_t want = out->max - out->len;
		uint8_t *p;

		if (want > 65536)
			want = 65536;
		if (want == 0) {
			uint8_t probe;

			/* full: is there more? */
			z.next_out = &probe;
			z.avail_out = 1;
			rc = inflate(&z, Z_NO_FLUSH);
			if (z.avail_out == 0)
				st |= DEC_FULL;
			break;
		}
		p = vbuf_reserve(out, want);
		if (p == NULL) {
			st |= DEC_ERROR;
			break;
		}
		z.next_out = p;
		z.avail_out = (uInt)want;
		rc = inflate(&z, Z_NO_FLUSH);
		out->len += want - z.avail_out;
		if (rc == Z_STREAM_END)
			break;
		if (rc == Z_OK)
			continue;
		if (rc == Z_DATA_ERROR && !raw && out->len == 0 && z.total_in <= 2) {
			/* no zlib header: some writers store raw deflate */
			inflateEnd(&z);
			raw = true;
			goto again;
		}
		st |= DEC_ERROR; /* damaged, or cut short (Z_BUF_ERROR) */
		break;
	}
	inflateEnd(&z);
	return st;
}

/* LZW as PDF has it: MSB-first codes of 9-12 bits, 256 clear, 257 end. */
static unsigned lzw(const uint8_t *in, size_t n, int early, vbuf *out)
{
	uint16_t *prefix = g_new(uint16_t, 4096);
	uint8_t *suffix = g_new(uint8_t, 4096), *first = g_new(uint8_t, 4096);
	uint8_t *stack = g_new(uint8_t, 4096);
	unsigned bits = 9, next = 258, st = 0;
	int prev = -1;
	uint32_t acc = 0;
	unsigned have = 0;
	size_t i = 0;

	for (unsigned k = 0; k < 256; k++) {
		prefix[k] = 0xffff;
		suffix[k] = (uint8_t)k;
		first[k] = (uint8_t)k;
	}
	for (;;) {
		unsigned code, sl = 0, c;

		while (have < bits && i < n) {
			acc = acc << 8 | in[i++];
			have += 8;
		}
		if (have < bits)
			break; /* no end-of-data code: tolerated */
		code = (acc >> (have - bits)) & ((1u << bits) - 1);
		have -= bits;
		if (code == 256) {
			bits = 9;
			next = 258;
			prev = -1;
			continue;
		}
		if (code == 257)
			break;
		if (prev < 0) {
			if (code > 255) {
				st |= DEC_ERROR;
				break;
			}
			if (vbuf_putc(out, (uint8_t)code) != VBUF_OK) {
				st |= DEC_FULL;
				break;
			}
			prev = (int)code;
			continue;
		}
		if (code > next || (code == next && next >= 4096)) {
			st |= DEC_ERROR;
			break;
		}
		/* the string of code (or of prev + its first byte when code is new) */
		c = code == next ? (unsigned)prev : code;
		if (code == next)
			stack[sl++] = first[prev];
		while (c != 0xffff && sl < 4096) {
			stack[sl++] = suffix[c];
			c = prefix[c];
		}
		if (next < 4096) {
			prefix[next] = (uint16_t)prev;
			suffix[next] = code == next ? first[prev] : first[code];
			first[next] = first[prev];
			next++;
			if (next + (unsigned)early >= (1u << bits) && bits < 12)
				bits++;
		}
		while (sl > 0)
			if (vbuf_putc(out, stack[--sl]) != VBUF_OK) {
				st |= DEC_FULL;
				break;
			}
		if (st & DEC_FULL)
			break;
		prev = (int)code;
	}
	g_free(prefix);
	g_free(suffix);
	g_free(first);
	g_free(stack);
	return st;
}

static unsigned ahex(const uint8_t *in, size_t n, vbuf *out)
{
	int hi = -1;
	unsigned st = 0;

	for (size_t i = 0; i < n; i++) {
		int v;

		if (in[i] == '>')
			break;
		if (is_ws(in[i]))
			continue;
		v = hexval(in[i]);
		if (v < 0) {
			st |= DEC_ERROR;
			continue;
		}
		if (hi < 0) {
			hi = v;
		} else if (vbuf_putc(out, (uint8_t)(hi << 4 | v)) != VBUF_OK) {
			return st | DEC_FULL;
		} else {
			hi = -1;
		}
	}
	if (hi >= 0 && vbuf_putc(out, (uint8_t)(hi << 4)) != VBUF_OK)
		st |= DEC_FULL;
	return st;
}

static unsigned a85(const uint8_t *in, size_t n, vbuf *out)
{
	uint64_t acc = 0;
	unsigned cnt = 0, st = 0;
	size_t i = 0;

	while (i < n && is_ws(in[i]))
		i++;
	if (n - i >= 2 && in[i] == '<' && in[i + 1] == '~')
		i += 2;
	for (; i < n; i++) {
		uint8_t c = in[i];

		if (is_ws(c))
			continue;
		if (c == '~')
			break;
		if (c == 'z' && cnt == 0) {
			if (vbuf_append(out, "\0\0\0\0", 4) != VBUF_OK)
				return st | DEC_FULL;
			continue;
		}
		if (c < '!' || c > 'u') {
			st |= DEC_ERROR;
			continue;
		}
		acc = acc * 85 + (uint64_t)(c - '!');
		if (++cnt == 5) {
			uint8_t b[4] = {(uint8_t)(acc >> 24), (uint8_t)(acc >> 16),
			                (uint8_t)(acc >> 8), (uint8_t)acc};

			if (acc > 0xffffffffu)
				st |= DEC_ERROR;
			if (vbuf_append(out, b, 4) != VBUF_OK)
				return st | DEC_FULL;
			acc = 0;
			cnt = 0;
		}
	}
	if (cnt == 1) {
		st |= DEC_ERROR;
	} else if (cnt > 1) {
		for (unsigned k = cnt; k < 5; k++)
			acc = acc * 85 + 84;
		uint8_t b[4] = {(uint8_t)(acc >> 24), (uint8_t)(acc >> 16), (uint8_t)(acc >> 8),
		                (uint8_t)acc};

		if (vbuf_append(out, b, cnt - 1) != VBUF_OK)
			st |= DEC_FULL;
	}
	return st;
}

static unsigned runlength(const uint8_t *in, size_t n, vbuf *out)
{
	size_t i = 0;

	while (i < n) {
		uint8_t l = in[i++];

		if (l == 128)
			return 0;
		if (l < 128) {
			size_t take = (size_t)l + 1;

			if (take > n - i)
				return vbuf_append(out, in + i, n - i) == VBUF_OK ? DEC_ERROR
				                                                  : DEC_FULL;
			if (vbuf_append(out, in + i, take) != VBUF_OK)
				return DEC_FULL;
			i += take;
		} else {
			if (i >= n)
				return DEC_ERROR;
			for (unsigned k = 0; k < 257u - l; k++)
				if (vbuf_putc(out, in[i]) != VBUF_OK)
					return DEC_FULL;
			i++;
		}
	}
	return 0;
}

struct predict {
	int64_t pred;
	size_t bpp, row; /* bytes per pixel, bytes per row */
	int bpc;
};

static bool predict_params(pdoc *d, const pv *parm, struct predict *pr)
{
	int64_t colors = int_or(d, parm, "Colors", 1), bpc = int_or(d, parm, "BitsPerComponent", 8);
	int64_t cols = int_or(d, parm, "Columns", 1);
	uint64_t bits;

	pr->pred = int_or(d, parm, "Predictor", 1);
	if (pr->pred < 2)
		return true;
	if (colors < 1 || colors > 64 || cols < 1 || cols > (1 << 24) ||
	    (bpc != 1 && bpc != 2 && bpc != 4 && bpc != 8 && bpc != 16))
		return false;
	bits = (uint64_t)colors * (uint64_t)bpc;
	pr->bpp = (size_t)((bits + 7) / 8);
	pr->row = (size_t)((bits * (uint64_t)cols + 7) / 8);
	pr->bpc = (int)bpc;
	return pr->row <= MAX_ROW;
}

static uint8_t paeth(uint8_t a, uint8_t b, uint8_t c)
{
	int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);

	if (pa <= pb && pa <= pc)
		return a;
	return pb <= pc ? b : c;
}

/* Undoes a PNG (10-15) or TIFF (2) predictor; a short last row is kept. */
static unsigned unpredict(const struct predict *pr, const uint8_t *in, size_t n, vbuf *out)
{
	uint8_t *prev = g_malloc0(pr->row), *cur = g_malloc(pr->row);
	unsigned st = 0;
	size_t i = 0;

	while (i < n) {
		size_t len;
		int tag = 0;

		if (pr->pred >= 10) {
			tag = in[i++];
			if (tag > 4) {
				st |= DEC_ERROR;
				tag = 0;
			}
		}
		len = n - i < pr->row ? n - i : pr->row;
		memcpy(cur, in + i, len);
		i += len;
		for (size_t k = 0; k < len; k++) {
			uint8_t a = k >= pr->bpp ? cur[k - pr->bpp] : 0, b = prev[k];
			uint8_t c = k >= pr->bpp ? prev[k - pr->bpp] : 0;

			if (pr->pred == 2) {
				if (pr->bpc == 8 && k >= pr->bpp)
					cur[k] = (uint8_t)(cur[k] + cur[k - pr->bpp]);
				continue;
			}
			switch (tag) {
			case 1:
				cur[k] = (uint8_t)(cur[k] + a);
				break;
			case 2:
				cur[k] = (uint8_t)(cur[k] + b);
				break;
			case 3:
				cur[k] = (uint8_t)(cur[k] + ((a + b) >> 1));
				break;
			case 4:
				cur[k] = (uint8_t)(cur[k] + paeth(a, b, c));
				break;
			default:
				break;
			}
		}
		if (pr->pred == 2 && pr->bpc == 16) {
			/* 16-bit samples, big-endian, each added to the one a pixel before */
			for (size_t k = pr->bpp; k + 1 < len; k += 2) {
				unsigned v =
				        (unsigned)(cur[k] << 8 | cur[k + 1]) +
				        (unsigned)(cur[k - pr->bpp] << 8 | cur[k - pr->bpp + 1]);

				cur[k] = (uint8_t)(v >> 8);
				cur[k + 1] = (uint8_t)v;
			}
		}
		if (vbuf_append(out, cur, len) != VBUF_OK) {
			st |= DEC_FULL;
			break;
		}
		memcpy(prev, cur, len);
	}
	if (pr->pred == 2 && pr->bpc != 8 && pr->bpc != 16)
		st |= DEC_ERROR; /* sub-byte TIFF prediction: left as is */
	g_free(prev);
	g_free(cur);
	return st;
}

static bool fname_is(const pv *f, const char *full, const char *abbr)
{
	return name_is(f, full) || (abbr != NULL && name_is(f, abbr));
}

/* One filter: in -> out (bounded by out->max). */
static unsigned apply_filter(pdoc *d, const pv *f, const pv *parm, const uint8_t *in, size_t n,
                             vbuf *out, char *why, size_t whylen)
{
	struct predict pr = {1, 1, 1, 8};
	bool lz = fname_is(f, "LZWDecode", "LZW");
	unsigned st;

	if (fname_is(f, "FlateDecode", "Fl") || lz) {
		vbuf raw;

		if (!predict_params(d, parm, &pr)) {
			g_strlcpy(why, "bad predictor parameters", whylen);
			return DEC_UNSUP | DEC_ERROR;
		}
		if (pr.pred < 2)
			return lz ? lzw(in, n, (int)int_or(d, parm, "EarlyChange", 1) != 0, out)
			          : flate(in, n, out);
		/* room for the PNG tag bytes, which the predictor removes */
		{
			size_t rows = out->max / pr.row + 1, max = out->max;

			max = rows > SIZE_MAX - max ? SIZE_MAX : max + rows;
			vbuf_init(&raw, max);
		}
		st = lz ? lzw(in, n, (int)int_or(d, parm, "EarlyChange", 1) != 0, &raw)
		        : flate(in, n, &raw);
		st |= unpredict(&pr, raw.data ? raw.data : (const uint8_t *)"", raw.len, out);
		vbuf_free(&raw);
		return st;
	}
	if (fname_is(f, "ASCIIHexDecode", "AHx"))
		return ahex(in, n, out);
	if (fname_is(f, "ASCII85Decode", "A85"))
		return a85(in, n, out);
	if (fname_is(f, "RunLengthDecode", "RL"))
		return runlength(in, n, out);
	if (fname_is(f, "DCTDecode", "DCT") || fname_is(f, "JPXDecode", NULL) ||
	    fname_is(f, "JBIG2Decode", NULL) || fname_is(f, "CCITTFaxDecode", "CCF"))
		return DEC_UNSUP; /* image codecs: the image stays encoded */
	if (fname_is(f, "Crypt", NULL)) {
		const pv *nm = resolve(d, dget(parm, "Name"));

		if (nm == NULL || name_is(nm, "Identity"))
			return vbuf_append(out, in, n) == VBUF_OK ? 0 : DEC_FULL;
		g_strlcpy(why, "crypt filter", whylen);
		return DEC_UNSUP;
	}
	if (f != NULL && f->t == PV_NAME)
		g_snprintf(why, whylen, "unknown filter /%.40s", (const char *)f->u.s.p);
	else
		g_strlcpy(why, "filter is not a name", whylen);
	return DEC_UNSUP | DEC_ERROR;
}

/*
 * Runs a stream's filter chain over in, into out (bounded by max). A filter
 * that cannot be undone stops the chain; out then holds the data as far as
 * it was decoded. Errors after a full stage are expected (cut input) and
 * dropped.
 */
static unsigned run_filters(pdoc *d, const pv *dict, const uint8_t *in, size_t n, size_t max,
                            vbuf *out, char *why, size_t whylen)
{
	const pv *filters = resolve(d, dget(dict, "Filter"));
	const pv *parms = resolve(d, dget(dict, "DecodeParms"));
	const pv *list;
	size_t nf;
	vbuf cur;
	bool have = false;
	unsigned st = 0;

	why[0] = 0;
	if (filters == NULL || filters->t == PV_NULL) {
		list = NULL;
		nf = 0;
	} else if (filters->t == PV_ARR) {
		list = filters->u.a.v;
		nf = filters->u.a.n;
	} else {
		list = filters;
		nf = 1;
	}
	if (nf > MAX_FILTERS) {
		g_snprintf(why, whylen, "%zu filters", nf);
		nf = MAX_FILTERS;
		st |= DEC_ERROR;
	}
	for (size_t k = 0; k < nf; k++) {
		const pv *f = resolve(d, &list[k]), *parm = NULL;
		vbuf next;
		unsigned r;

		if (parms != NULL && parms->t == PV_ARR && k < parms->u.a.n)
			parm = resolve(d, &parms->u.a.v[k]);
		else if (parms != NULL && parms->t == PV_DICT && k == 0)
			parm = parms;
		vbuf_init(&next, max);
		r = apply_filter(d, f, parm, have ? cur.data : in, have ? cur.len : n, &next, why,
		                 whylen);
		if (r & DEC_UNSUP) {
			vbuf_free(&next);
			st |= r;
			break;
		}
		if ((st & DEC_FULL) && (r & DEC_ERROR))
			r &= ~(unsigned)DEC_ERROR;
		if ((r & DEC_ERROR) && why[0] == 0 && f != NULL && f->t == PV_NAME)
			g_snprintf(why, whylen, "/%.40s data damaged", (const char *)f->u.s.p);
		st |= r;
		if (have)
			vbuf_free(&cur);
		cur = next;
		have = true;
	}
	if (have) {
		*out = cur;
	} else {
		vbuf_init(out, max);
		if (vbuf_append(out, in, n) != VBUF_OK)
			st |= DEC_FULL;
	}
	return st;
}

/* ---------------------------------------------------------------- crypto */

static const uint8_t pw_pad[32] = {0x28, 0xbf, 0x4e, 0x5e, 0x4e, 0x75, 0x8a, 0x41, 0x64, 0x00, 0x4e,
                                   0x56, 0xff, 0xfa, 0x01, 0x08, 0x2e, 0x2e, 0x00, 0xb6, 0xd0, 0x68,
                                   0x3e, 0x80, 0x2f, 0x0c, 0xa9, 0xfe, 0x64, 0x53, 0x69, 0x7a};

static void rc4(const uint8_t *key, size_t klen, const uint8_t *in, size_t n, uint8_t *out)
{
	uint8_t S[256];
	unsigned i, j = 0;

	for (i = 0; i < 256; i++)
		S[i] = (uint8_t)i;
	for (i = 0; i < 256; i++) {
		uint8_t t = S[i];

		j = (j + t + key[i % klen]) & 255;
		S[i] = S[j];
		S[j] = t;
	}
	i = j = 0;
	for (size_t k = 0; k < n; k++) {
		uint8_t t;

		i = (i + 1) & 255;
		j = (j + S[i]) & 255;
		t = S[i];
		S[i] = S[j];
		S[j] = t;
		out[k] = in[k] ^ S[(S[i] + S[j]) & 255];
	}
}

static void digest(const EVP_MD *md, const uint8_t *const *parts, const size_t *lens, size_t np,
                   uint8_t *out)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned dl;

	if (c == NULL || EVP_DigestInit_ex(c, md, NULL) != 1)
		g_error("vigil: cannot initialise digest (OpenSSL)");
	for (size_t i = 0; i < np; i++)
		EVP_DigestUpdate(c, parts[i], lens[i]);
	EVP_DigestFinal_ex(c, out, &dl);
	EVP_MD_CTX_free(c);
}

/* AES-CBC without padding; returns false on an OpenSSL error */
static bool aes_cbc(bool enc, const uint8_t *key, size_t klen, const uint8_t *iv, const uint8_t *in,
                    size_t n, uint8_t *out)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int ol = 0, fl = 0;
	bool ok;

	if (c == NULL)
		return false;
	ok = EVP_CipherInit_ex(c, klen == 32 ? EVP_aes_256_cbc() : EVP_aes_128_cbc(), NULL, key, iv,
	                       enc ? 1 : 0) == 1 &&
	     EVP_CIPHER_CTX_set_padding(c, 0) == 1 && n <= INT_MAX &&
	     EVP_CipherUpdate(c, out, &ol, in, (int)n) == 1 &&
	     EVP_CipherFinal_ex(c, out + ol, &fl) == 1;
	EVP_CIPHER_CTX_free(c);
	return ok;
}

/* ISO 32000-2 algorithm 2.B for the empty user password */
static void hash_r6(const uint8_t *salt, uint8_t *out32)
{
	uint8_t k[64], e[64 * 64];
	size_t klen = 32;
	const uint8_t *parts[1] = {salt};
	size_t lens[1] = {8};

	digest(EVP_sha256(), parts, lens, 1, k);
	for (unsigned round = 0;; round++) {
		/* K1 = (password || K || user data) * 64; both others are empty */
		size_t l1 = klen * 64;
		unsigned sum = 0;
		uint8_t *k1 = g_malloc(l1);
		const uint8_t *ep[1] = {e};
		size_t el[1] = {l1};

		for (unsigned r = 0; r < 64; r++)
			memcpy(k1 + r * klen, k, klen);
		if (!aes_cbc(true, k, 16, k + 16, k1, l1, e)) {
			g_free(k1);
			break;
		}
		g_free(k1);
		for (int b = 0; b < 16; b++)
			sum += e[b];
		switch (sum % 3) {
		case 0:
			digest(EVP_sha256(), ep, el, 1, k);
			klen = 32;
			break;
		case 1:
			digest(EVP_sha384(), ep, el, 1, k);
			klen = 48;
			break;
		default:
			digest(EVP_sha512(), ep, el, 1, k);
			klen = 64;
			break;
		}
		if (round + 1 >= 64 && e[l1 - 1] <= round + 1 - 32)
			break;
	}
	memcpy(out32, k, 32);
}

static uint8_t crypt_method(const pv *enc, const pv *cfname, int v)
{
	const pv *cf, *sub, *cfm;

	if (v < 4)
		return CM_RC4;
	if (cfname == NULL || name_is(cfname, "Identity"))
		return CM_NONE;
	if (cfname->t != PV_NAME)
		return CM_UNKNOWN;
	cf = dget(enc, "CF");
	sub = cf != NULL ? dget(cf, (const char *)cfname->u.s.p) : NULL;
	cfm = dget(sub, "CFM");
	if (name_is(cfm, "V2"))
		return CM_RC4;
	if (name_is(cfm, "AESV2"))
		return CM_AESV2;
	if (name_is(cfm, "AESV3"))
		return CM_AESV3;
	if (cfm == NULL || name_is(cfm, "None"))
		return CM_NONE;
	return CM_UNKNOWN;
}

static const pv *str_at_least(const pv *v, size_t n)
{
	return v != NULL && v->t == PV_STR && v->u.s.n >= n ? v : NULL;
}

/* Tries the empty user password; true when it opens the document. */
static bool crypt_open(pdoc *d, const pv *enc, char *why, size_t whylen)
{
	struct pcrypt *cr = &d->cr;
	int64_t v = int_or(d, enc, "V", 0), r = int_or(d, enc, "R", 0), p = int_or(d, enc, "P", 0);
	const pv *o, *u, *meta = dget(enc, "EncryptMetadata");

	if (!name_is(resolve(d, dget(enc, "Filter")), "Standard")) {
		g_strlcpy(why, "not the standard security handler", whylen);
		return false;
	}
	cr->r = (int)r;
	cr->meta = !(meta != NULL && meta->t == PV_BOOL && !meta->u.b);
	cr->stm = crypt_method(enc, dget(enc, "StmF"), (int)v);
	cr->str = crypt_method(enc, dget(enc, "StrF"), (int)v);
	cr->eff = dget(enc, "EFF") != NULL ? crypt_method(enc, dget(enc, "EFF"), (int)v) : cr->stm;
	o = str_at_least(resolve(d, dget(enc, "O")), 32);
	u = str_at_least(resolve(d, dget(enc, "U")), 32);
	if (o == NULL || u == NULL) {
		g_strlcpy(why, "/O or /U missing", whylen);
		return false;
	}
	if (r >= 2 && r <= 4) {
		uint32_t pu = (uint32_t)p;
		uint8_t h[16], x[32],
		        pb[4] = {(uint8_t)pu, (uint8_t)(pu >> 8), (uint8_t)(pu >> 16),
		                 (uint8_t)(pu >> 24)};
		const uint8_t ff[4] = {0xff, 0xff, 0xff, 0xff};
		const uint8_t *parts[5] = {pw_pad, o->u.s.p, pb, d->id0, ff};
		size_t lens[5] = {32, 32, 4, d->id0len, 4};
		int64_t bits = v == 1 ? 40 : v >= 4 ? 128 : int_or(d, enc, "Length", 40);

		cr->keylen = (size_t)(bits >= 40 && bits <= 128 ? bits / 8 : 5);
		digest(EVP_md5(), parts, lens, r >= 4 && !cr->meta ? 5 : 4, h);
		if (r >= 3)
			for (int k = 0; k < 50; k++) {
				const uint8_t *hp[1] = {h};
				size_t hl[1] = {cr->keylen};

				digest(EVP_md5(), hp, hl, 1, h);
			}
		memcpy(cr->key, h, cr->keylen);
		if (r == 2) {
			rc4(cr->key, cr->keylen, pw_pad, 32, x);
			if (memcmp(x, u->u.s.p, 32) != 0)
				goto wrong;
		} else {
			const uint8_t *hp[2] = {pw_pad, d->id0};
			size_t hl[2] = {32, d->id0len};
			uint8_t k2[16];

			digest(EVP_md5(), hp, hl, 2, x);
			rc4(cr->key, cr->keylen, x, 16, x);
			for (unsigned i = 1; i <= 19; i++) {
				for (size_t b = 0; b < cr->keylen; b++)
					k2[b] = (uint8_t)(cr->key[b] ^ i);
				rc4(k2, cr->keylen, x, 16, x);
			}
			if (memcmp(x, u->u.s.p, 16) != 0)
				goto wrong;
		}
		return true;
	}
	if (r == 5 || r == 6) {
		const pv *ue = str_at_least(resolve(d, dget(enc, "UE")), 32);
		uint8_t h[32], iv[16] = {0};

		if (u->u.s.n < 48 || ue == NULL) {
			g_strlcpy(why, "/U or /UE too short", whylen);
			return false;
		}
		if (r == 5) {
			const uint8_t *hp[1] = {u->u.s.p + 32};
			size_t hl[1] = {8};

			digest(EVP_sha256(), hp, hl, 1, h);
		} else {
			hash_r6(u->u.s.p + 32, h);
		}
		if (memcmp(h, u->u.s.p, 32) != 0)
			goto wrong;
		if (r == 5) {
			const uint8_t *hp[1] = {u->u.s.p + 40};
			size_t hl[1] = {8};

			digest(EVP_sha256(), hp, hl, 1, h);
		} else {
			hash_r6(u->u.s.p + 40, h);
		}
		if (!aes_cbc(false, h, 32, iv, ue->u.s.p, 32, cr->key)) {
			g_strlcpy(why, "AES failed", whylen);
			return false;
		}
		cr->keylen = 32;
		return true;
	}
	g_snprintf(why, whylen, "revision %d not supported", (int)r);
	return false;
wrong:
	g_strlcpy(why, "a user password is needed", whylen);
	return false;
}

/* Decrypts one string or stream of object num/gen into out (same size or less). */
static bool decrypt(pdoc *d, uint8_t method, uint32_t num, uint32_t gen, const uint8_t *in,
                    size_t n, uint8_t *out, size_t *outn)
{
	uint8_t ok[16 + 5 + 4], key[32];
	size_t klen;

	*outn = 0;
	if (method == CM_NONE) {
		memcpy(out, in, n);
		*outn = n;
		return true;
	}
	if (method == CM_UNKNOWN || (method == CM_AESV3) != (d->cr.keylen == 32))
		return false;
	if (method == CM_AESV3) {
		memcpy(key, d->cr.key, 32);
		klen = 32;
	} else {
		const uint8_t *parts[1] = {ok};
		size_t lens[1];

		memcpy(ok, d->cr.key, d->cr.keylen);
		ok[d->cr.keylen] = (uint8_t)num;
		ok[d->cr.keylen + 1] = (uint8_t)(num >> 8);
		ok[d->cr.keylen + 2] = (uint8_t)(num >> 16);
		ok[d->cr.keylen + 3] = (uint8_t)gen;
		ok[d->cr.keylen + 4] = (uint8_t)(gen >> 8);
		memcpy(ok + d->cr.keylen + 5, "sAlT", 4);
		lens[0] = d->cr.keylen + 5 + (method == CM_AESV2 ? 4 : 0);
		digest(EVP_md5(), parts, lens, 1, key);
		klen = d->cr.keylen + 5 < 16 ? d->cr.keylen + 5 : 16;
	}
	if (method == CM_RC4) {
		rc4(key, klen, in, n, out);
		*outn = n;
		return true;
	}
	/* AES: 16-byte IV first, then CBC blocks with PKCS#5 padding */
	if (n < 32 || (n - 16) % 16 != 0)
		return false;
	if (!aes_cbc(false, key, klen, in, in + 16, n - 16, out))
		return false;
	*outn = n - 16;
	{
		uint8_t pad = out[*outn - 1];

		if (pad >= 1 && pad <= 16)
			*outn -= pad;
	}
	return true;
}

static void decrypt_strings(pdoc *d, pv *v, uint32_t num, uint32_t gen, unsigned depth)
{
	if (depth > MAX_NEST)
		return;
	if (v->t == PV_STR && v->u.s.n > 0) {
		uint8_t *out = arena_alloc(&d->ar, v->u.s.n + 1);
		size_t n;

		if (out == NULL)
			return;
		if (decrypt(d, d->cr.str, num, gen, v->u.s.p, v->u.s.n, out, &n)) {
			out[n] = 0;
			v->u.s.p = out;
			v->u.s.n = n;
		}
	} else if (v->t == PV_ARR || v->t == PV_DICT) {
		size_t n = v->t == PV_DICT ? 2 * v->u.a.n : v->u.a.n;

		for (size_t k = 0; k < n; k++)
			decrypt_strings(d, &v->u.a.v[k], num, gen, depth + 1);
	}
}

/* ---------------------------------------------------------------- streams */

/* Decodes stream idx (decryption, then filters) into out, at most max bytes. */
static unsigned decode_stream(pdoc *d, size_t idx, const pv *dict, size_t max, bool embedded,
                              vbuf *out)
{
	struct pobj po = *obj_at(d, idx);
	const uint8_t *data = po.buf + po.doff;
	size_t n = po.dlen;
	uint8_t *plain = NULL;
	char why[96];
	unsigned st;

	if (d->cr.present && !po.xref && !(d->cr.enc_ref && po.num == d->cr.enc_num)) {
		uint8_t method = embedded ? d->cr.eff : d->cr.stm;
		const pv *f = resolve(d, dget(dict, "Filter"));

		if (!d->cr.ok) {
			vbuf_init(out, 0);
			return DEC_UNSUP;
		}
		if (name_is(resolve(d, dget(dict, "Type")), "Metadata") && !d->cr.meta)
			method = CM_NONE;
		if (name_is(f, "Crypt") ||
		    (f != NULL && f->t == PV_ARR && f->u.a.n > 0 && name_is(&f->u.a.v[0], "Crypt")))
			method = CM_NONE; /* its own crypt filter; only Identity is read */
		plain = g_malloc(n ? n : 1);
		if (!decrypt(d, method, po.num, po.gen, data, n, plain, &n)) {
			note(&d->decerr, "object %u %u: cannot decrypt", po.num, po.gen);
			g_free(plain);
			vbuf_init(out, 0);
			return DEC_UNSUP | DEC_ERROR;
		}
		data = plain;
	}
	st = run_filters(d, dict, data, n, max, out, why, sizeof why);
	if ((st & DEC_ERROR) && !(st & DEC_FULL))
		note(&d->decerr, "object %u %u: %s", po.num, po.gen, why[0] ? why : "damaged");
	g_free(plain);
	return st;
}

/* Where "endstream" or "endobj" next appears at or after from (cached). */
static size_t find_kw(pdoc *d, size_t from, const char *kw, size_t *cfrom, size_t *cat)
{
	const uint8_t *hit;

	if (from >= *cfrom && from <= *cat)
		return *cat;
	hit = from < d->len ? memmem(d->buf + from, d->len - from, kw, strlen(kw)) : NULL;
	*cfrom = from;
	*cat = hit != NULL ? (size_t)(hit - d->buf) : SIZE_MAX;
	return *cat;
}

/* Does "endstream" follow position e (after blanks)? Sets *after past it. */
static bool endstream_at(pdoc *d, size_t e, size_t *after)
{
	while (e < d->len && is_ws(d->buf[e]))
		e++;
	if (d->len - e >= 9 && memcmp(d->buf + e, "endstream", 9) == 0) {
		*after = e + 9;
		return true;
	}
	return false;
}

/* Stream data from doff: the stated length when it checks out, else search. */
static size_t stream_range(pdoc *d, struct pobj *po, bool have_len, int64_t len)
{
	size_t after, q;

	if (have_len && len >= 0 && (uint64_t)len <= d->len - po->doff &&
	    endstream_at(d, po->doff + (size_t)len, &after)) {
		po->dlen = (size_t)len;
		return after;
	}
	q = find_kw(d, po->doff, "endstream", &d->es_from, &d->es_at);
	if (q == SIZE_MAX) {
		size_t eo = find_kw(d, po->doff, "endobj", &d->eo_from, &d->eo_at);

		note(&d->malformed, "object %u %u: stream without endstream", po->num, po->gen);
		q = eo == SIZE_MAX ? d->len : eo;
		po->dlen = q - po->doff;
		return q;
	}
	after = q + 9;
	if (q > po->doff && d->buf[q - 1] == '\n')
		q--;
	if (q > po->doff && d->buf[q - 1] == '\r')
		q--;
	po->dlen = q - po->doff;
	if (have_len)
		note(&d->malformed, "object %u %u: /Length %lld is wrong", po->num, po->gen,
		     (long long)len);
	return after;
}

/* ---------------------------------------------------------------- scanning */

static bool digits_back(const uint8_t *b, size_t *j, uint64_t *v, size_t maxd)
{
	size_t k = 0;
	uint64_t mul = 1;

	*v = 0;
	while (*j > 0 && b[*j - 1] >= '0' && b[*j - 1] <= '9') {
		if (++k > maxd)
			return false;
		*v += (uint64_t)(b[*j - 1] - '0') * mul;
		mul *= 10;
		(*j)--;
	}
	return k > 0;
}

/* "N G " right before position at (where "obj" starts)? */
static bool obj_header(const uint8_t *b, size_t at, uint32_t *num, uint32_t *gen)
{
	size_t j = at;
	uint64_t g, n;

	while (j > 0 && is_ws(b[j - 1]))
		j--;
	if (!digits_back(b, &j, &g, 5) || g > 65535)
		return false;
	if (j == 0 || !is_ws(b[j - 1]))
		return false;
	while (j > 0 && is_ws(b[j - 1]))
		j--;
	if (!digits_back(b, &j, &n, 10) || n > 0x7fffffff)
		return false;
	if (j > 0 && is_regular(b[j - 1]))
		return false;
	*num = (uint32_t)n;
	*gen = (uint32_t)g;
	return true;
}

static void add_obj(pdoc *d, const struct pobj *po, bool prefer)
{
	g_array_append_val(d->objs, *po);
	if (prefer || lookup(d, po->num) == SIZE_MAX)
		g_hash_table_insert(d->bynum, GUINT_TO_POINTER(po->num),
		                    GSIZE_TO_POINTER(d->objs->len));
}

static void read_trailer_info(pdoc *d, const pv *t, size_t off)
{
	const pv *enc = dget(t, "Encrypt"), *id = dget(t, "ID");

	if (enc != NULL && enc->t != PV_NULL) {
		d->cr.present = true;
		d->cr.enc_ref = enc->t == PV_REF;
		if (enc->t == PV_REF)
			d->cr.enc_num = enc->u.ref.num;
		else
			d->enc_off = off;
	}
	if (id != NULL && id->t == PV_ARR && id->u.a.n > 0 && id->u.a.v[0].t == PV_STR) {
		size_t n = id->u.a.v[0].u.s.n;

		d->id0len = n < sizeof d->id0 ? n : sizeof d->id0;
		memcpy(d->id0, id->u.a.v[0].u.s.p, d->id0len);
	}
}

/*
 * Parses the object whose value starts at pos; returns where scanning goes
 * on: after a stream's data, else at the value itself, so that an object
 * swallowed by a broken one (an unterminated string) is still found.
 */
static size_t take_object(pdoc *d, uint32_t num, uint32_t gen, size_t pos)
{
	struct pobj po;
	pv v;
	size_t vend, end = pos;
	bool bound = false;
	int rc = parse_at(d, d->buf, d->len, pos, &v, &vend, &bound);
	parser ps = {d, d->buf, d->len, vend, 0, false};

	if (bound)
		note(&d->limit, "object %u %u exceeds the parser's bounds", num, gen);
	if (rc != PR_OK) {
		if (!d->stop)
			note(&d->malformed, "object %u %u has no readable value", num, gen);
		arena_reset(&d->ar);
		return pos;
	}
	memset(&po, 0, sizeof po);
	po.num = num;
	po.gen = gen;
	po.buf = d->buf;
	po.len = d->len;
	po.off = pos;
	skip_ws(&ps);
	if (v.t == PV_DICT && kw_at(d->buf, d->len, ps.i, "stream")) {
		const pv *l = dget(&v, "Length"), *type = dget(&v, "Type");
		size_t j = ps.i + 6;

		while (j < d->len && (d->buf[j] == ' ' || d->buf[j] == '\t'))
			j++;
		if (j < d->len && d->buf[j] == '\r')
			j++;
		if (j < d->len && d->buf[j] == '\n')
			j++;
		po.stream = true;
		po.doff = j;
		po.objstm = name_is(type, "ObjStm");
		po.xref = name_is(type, "XRef");
		if (l != NULL && l->t == PV_REF) {
			po.lind = true;
			po.lnum = l->u.ref.num;
		}
		if (po.xref)
			read_trailer_info(d, &v, pos);
		end = stream_range(d, &po, l != NULL && l->t == PV_INT, l ? l->u.i : 0);
	}
	add_obj(d, &po, true);
	arena_reset(&d->ar);
	return end;
}

static void scan_objects(pdoc *d)
{
	size_t pos = 0;
	unsigned iter = 0;

	while (pos < d->len && !d->stop) {
		const uint8_t *hit = memmem(d->buf + pos, d->len - pos, "obj", 3);
		size_t at, next;
		uint32_t num, gen;

		if (hit == NULL)
			break;
		at = (size_t)(hit - d->buf);
		next = at + 3;
		pos = next;
		if ((++iter & 1023) == 0 && vscan_should_stop(d->s, d->o)) {
			d->stop = true;
			break;
		}
		if ((next < d->len && is_regular(d->buf[next])) ||
		    !obj_header(d->buf, at, &num, &gen))
			continue;
		if (d->objs->len >= MAX_OBJECTS) {
			note(&d->limit, "more than %d objects", MAX_OBJECTS);
			break;
		}
		pos = take_object(d, num, gen, next);
		if (pos < next)
			pos = next;
	}
}

static void scan_trailers(pdoc *d)
{
	size_t pos = 0;
	unsigned count = 0;

	while (pos < d->len && count++ < 1000) {
		const uint8_t *hit = memmem(d->buf + pos, d->len - pos, "trailer", 7);
		pv v;

		if (hit == NULL || d->stop)
			break;
		pos = (size_t)(hit - d->buf) + 7;
		if (parse_at(d, d->buf, d->len, pos, &v, NULL, NULL) == PR_OK && v.t == PV_DICT)
			read_trailer_info(d, &v, pos);
		arena_reset(&d->ar);
	}
}

/* Indirect /Length values, now that every object is known. */
static void resolve_lengths(pdoc *d)
{
	for (size_t i = 0; i < d->objs->len; i++) {
		struct pobj *po = obj_at(d, i);
		size_t li, after;
		const pv *v;

		if (!po->stream || !po->lind)
			continue;
		li = lookup(d, po->lnum);
		v = li == SIZE_MAX ? NULL : resolve(d, parse_obj(d, li));
		po = obj_at(d, i);
		if (v != NULL && v->t == PV_INT && v->u.i >= 0 &&
		    (uint64_t)v->u.i <= d->len - po->doff &&
		    endstream_at(d, po->doff + (size_t)v->u.i, &after))
			po->dlen = (size_t)v->u.i;
		else
			note(&d->malformed, "object %u %u: indirect /Length %u is unusable",
			     po->num, po->gen, po->lnum);
		arena_reset(&d->ar);
	}
}

static void setup_crypt(pdoc *d)
{
	const pv *enc = NULL;
	char why[96] = "";

	if (!d->cr.present)
		return;
	if (d->cr.enc_ref) {
		size_t i = lookup(d, d->cr.enc_num);

		enc = i == SIZE_MAX ? NULL : parse_obj(d, i);
	} else {
		pv *t = arena_alloc(&d->ar, sizeof *t);

		if (t != NULL && parse_at(d, d->buf, d->len, d->enc_off, t, NULL, NULL) == PR_OK)
			enc = dget(t, "Encrypt");
	}
	enc = resolve(d, enc);
	if (enc == NULL || enc->t != PV_DICT) {
		g_strlcpy(why, "the /Encrypt dictionary is missing", sizeof why);
	} else if (crypt_open(d, enc, why, sizeof why)) {
		d->cr.ok = true;
		vfinding_add(d->s, d->o, F_PDF_EMPTY_PASSWORD, "revision %d, %zu-bit key", d->cr.r,
		             d->cr.keylen * 8);
	}
	if (!d->cr.ok) {
		vfinding_add(d->s, d->o, F_DOC_ENCRYPTED, "PDF: %s", why);
		d->o->flags |= VIGIL_OBJ_ENCRYPTED | VIGIL_OBJ_PARTIAL;
	}
	arena_reset(&d->ar);
}

/* Reports a limit hit on a decode; nothing is decoded after it. */
static void decode_limit(pdoc *d, vigil_limit which, const char *what)
{
	vscan_limit(d->s, d->o, which, what);
	d->o->flags |= VIGIL_OBJ_PARTIAL;
	d->nodecode = true;
}

static void read_objstm(pdoc *d, size_t idx)
{
	vigil_limit which;
	size_t room = vscan_room(d->s, d->o, &which);
	const pv *dict = parse_obj(d, idx);
	struct pobj po = *obj_at(d, idx);
	int64_t n = int_or(d, dict, "N", 0), first = int_or(d, dict, "First", -1);
	vbuf b;
	unsigned st;
	parser ps;
	uint32_t stm;
	uint8_t *data;
	size_t len;

	if (dict == NULL)
		return;
	st = decode_stream(d, idx, dict, room, false, &b);
	vscan_charge(d->s, d->o, b.len);
	if (st & DEC_FULL)
		decode_limit(d, which, "object stream");
	if (b.len == 0 || first < 0 || (uint64_t)first > b.len || n <= 0) {
		if (b.len > 0 || !(st & DEC_UNSUP))
			note(&d->malformed, "object stream %u %u is unreadable", po.num, po.gen);
		vbuf_free(&b);
		return;
	}
	if (n > MAX_STM_MEMBERS) {
		note(&d->limit, "object stream %u declares %lld objects", po.num, (long long)n);
		n = MAX_STM_MEMBERS;
	}
	data = vbuf_steal(&b, &len);
	g_ptr_array_add(d->stmbufs, data);
	stm = d->stmbufs->len;
	ps = (parser){d, data, (size_t)first, 0, 0, false};
	for (int64_t k = 0; k < n; k++) {
		uint64_t num, off;
		struct pobj m;

		skip_ws(&ps);
		if (!parse_uint(&ps, &num, 10))
			break;
		skip_ws(&ps);
		if (!parse_uint(&ps, &off, 12))
			break;
		if (num > 0x7fffffff || off >= len - (size_t)first)
			continue;
		if (d->objs->len >= MAX_OBJECTS) {
			note(&d->limit, "more than %d objects", MAX_OBJECTS);
			break;
		}
		memset(&m, 0, sizeof m);
		m.num = (uint32_t)num;
		m.buf = data;
		m.len = len;
		m.off = (size_t)first + (size_t)off;
		m.stm = stm;
		add_obj(d, &m, false);
	}
}

/* ---------------------------------------------------------------- children */

static bool emit(pdoc *d, const char *seg, const char *name, const char *ctype, vbuf *b,
                 unsigned flags, uint64_t size)
{
	vchild ch;

	memset(&ch, 0, sizeof ch);
	ch.seg = seg;
	ch.name = name;
	ch.ctype = ctype;
	ch.data = vbuf_steal(b, &ch.len);
	ch.flags = flags;
	ch.size = size;
	if (vscan_emit(d->s, d->o, &ch) == VSCAN_STOP)
		d->stop = true;
	return !d->stop;
}

static void role_set(pdoc *d, uint32_t num, int kind, const char *name)
{
	struct role *r = g_hash_table_lookup(d->roles, GUINT_TO_POINTER(num));

	if (r != NULL) {
		/* the first use decides; a file name found later still names it */
		if (r->kind == kind && r->name == NULL && name != NULL)
			r->name = g_strdup(name);
		return;
	}
	r = g_new0(struct role, 1);
	r->kind = kind;
	r->name = g_strdup(name);
	g_hash_table_insert(d->roles, GUINT_TO_POINTER(num), r);
}

static void role_free(gpointer p)
{
	struct role *r = p;

	g_free(r->name);
	g_free(r);
}

/*
 * True when the same script was emitted before: large forms repeat one
 * formatting script per field, and thousands of copies would only exhaust
 * the object limit.
 */
static bool script_seen(pdoc *d, const vbuf *b)
{
	GBytes *k = g_bytes_new(b->data, b->len);

	if (g_hash_table_contains(d->scripts, k)) {
		g_bytes_unref(k);
		return true;
	}
	g_hash_table_add(d->scripts, k);
	return false;
}

/* JavaScript in a string: UTF-16 text becomes UTF-8 so rules can match it. */
static void emit_js_string(pdoc *d, const pv *str)
{
	vigil_limit which;
	size_t room = vscan_room(d->s, d->o, &which);
	vbuf b;
	char seg[32];
	bool full;

	if (str->u.s.n == 0)
		return;
	if (room == 0) {
		decode_limit(d, which, "JavaScript");
		return;
	}
	vbuf_init(&b, room);
	if (str->u.s.n >= 2 && str->u.s.p[0] == 0xfe && str->u.s.p[1] == 0xff) {
		utf16be_to_utf8(str->u.s.p + 2, str->u.s.n - 2, &b);
		full = b.len >= b.max;
	} else {
		full = vbuf_append(&b, str->u.s.p, str->u.s.n) != VBUF_OK;
	}
	if (!full && script_seen(d, &b)) {
		vbuf_free(&b);
		return;
	}
	g_snprintf(seg, sizeof seg, "javascript-%u.js", ++d->njs);
	if (full)
		decode_limit(d, which, seg);
	emit(d, seg, NULL, NULL, &b, full ? VIGIL_OBJ_TRUNCATED : 0, 0);
}

static void on_javascript(pdoc *d, const pv *js)
{
	size_t idx;
	uint32_t num = 0;
	const pv *v = resolve_ex(d, js, &idx, &num);

	if (v == NULL)
		return;
	if (idx != SIZE_MAX && obj_at(d, idx)->stream) {
		role_set(d, num, ROLE_JS, NULL);
		return;
	}
	if (v->t != PV_STR || (d->cr.present && !d->cr.ok))
		return; /* an encrypted string we cannot read is no script */
	if (idx != SIZE_MAX) {
		/* an indirect string used by several actions is one script */
		if (g_hash_table_contains(d->seen, GUINT_TO_POINTER(num)))
			return;
		g_hash_table_add(d->seen, GUINT_TO_POINTER(num));
	}
	emit_js_string(d, v);
}

static void on_xfa(pdoc *d, const pv *x)
{
	size_t idx;
	uint32_t num = 0;
	const pv *v = resolve_ex(d, x, &idx, &num);

	if (v == NULL)
		return;
	if (idx != SIZE_MAX && obj_at(d, idx)->stream) {
		role_set(d, num, ROLE_XFA, NULL);
		return;
	}
	if (v->t != PV_ARR)
		return;
	/* [ (packet name) stream (packet name) stream ... ] */
	for (size_t k = 0; k < v->u.a.n; k++) {
		const pv *it = &v->u.a.v[k];

		if (it->t != PV_REF)
			continue;
		resolve_ex(d, it, &idx, &num);
		if (idx != SIZE_MAX && obj_at(d, idx)->stream)
			role_set(d, num, ROLE_XFA, NULL);
	}
}

static char *filespec_name(pdoc *d, const pv *fs)
{
	static const char *const keys[] = {"UF", "F", "Unix", "DOS", "Mac"};

	for (size_t k = 0; k < G_N_ELEMENTS(keys); k++) {
		char *n = text_string(resolve(d, dget(fs, keys[k])));

		if (n != NULL)
			return n;
	}
	return NULL;
}

static void on_filespec(pdoc *d, const pv *fs, const char *fallback)
{
	const pv *ef = resolve(d, dget(fs, "EF"));
	char *name;

	if (ef == NULL || ef->t != PV_DICT)
		return;
	name = filespec_name(d, fs);
	if (name == NULL && fallback != NULL)
		name = g_strdup(fallback);
	for (size_t k = 0; k < ef->u.a.n; k++) {
		const pv *val = &ef->u.a.v[2 * k + 1];
		size_t idx;
		uint32_t num = 0;

		if (val->t != PV_REF)
			continue;
		resolve_ex(d, val, &idx, &num);
		if (idx != SIZE_MAX && obj_at(d, idx)->stream)
			role_set(d, num, ROLE_EMBED, name);
	}
	g_free(name);
}

/* A name tree (/EmbeddedFiles): keys name the file specs they map to. */
static void name_tree(pdoc *d, const pv *node, unsigned depth, GHashTable *visited)
{
	const pv *n, *names, *kids;

	if (d->stop)
		return;
	if (depth > MAX_TREE_DEPTH || ++d->tree_nodes > MAX_TREE_NODES) {
		note(&d->limit, "name tree deeper than %d or larger than %d nodes", MAX_TREE_DEPTH,
		     MAX_TREE_NODES);
		return;
	}
	if (node->t == PV_REF) {
		if (g_hash_table_contains(visited, GUINT_TO_POINTER(node->u.ref.num))) {
			note(&d->malformed, "name tree loops at object %u", node->u.ref.num);
			return;
		}
		g_hash_table_add(visited, GUINT_TO_POINTER(node->u.ref.num));
	}
	n = resolve(d, node);
	if (n == NULL || n->t != PV_DICT)
		return;
	names = resolve(d, dget(n, "Names"));
	if (names != NULL && names->t == PV_ARR) {
		for (size_t k = 0; k + 1 < names->u.a.n; k += 2) {
			char *key = text_string(resolve(d, &names->u.a.v[k]));
			size_t idx;
			uint32_t num = 0;
			const pv *val = resolve_ex(d, &names->u.a.v[k + 1], &idx, &num);

			if (idx != SIZE_MAX && obj_at(d, idx)->stream)
				role_set(d, num, ROLE_EMBED, key);
			else if (val != NULL && val->t == PV_DICT)
				on_filespec(d, val, key);
			g_free(key);
		}
	}
	kids = resolve(d, dget(n, "Kids"));
	if (kids != NULL && kids->t == PV_ARR)
		for (size_t k = 0; k < kids->u.a.n && !d->stop; k++)
			name_tree(d, &kids->u.a.v[k], depth + 1, visited);
}

/* a string or name as text for evidence (bounded) */
static void pv_text(pdoc *d, const pv *v, char *out, size_t n)
{
	char *t;

	out[0] = 0;
	v = resolve(d, v);
	if (v == NULL || (v->t != PV_STR && v->t != PV_NAME))
		return;
	t = text_string(v);
	if (t != NULL)
		g_strlcpy(out, t, n);
	g_free(t);
}

/*
 * An action dictionary (/S names its kind). auto: it runs without a click
 * (the document's /OpenAction or an /AA trigger).
 */
static void on_action(pdoc *d, const pv *act, bool autorun, unsigned depth)
{
	const pv *kind, *next;
	char buf[256];

	act = resolve(d, act);
	if (act == NULL || act->t != PV_DICT || depth > 8)
		return;
	kind = resolve(d, dget(act, "S"));
	if (name_is(kind, "JavaScript")) {
		d->auto_js |= autorun;
	} else if (name_is(kind, "Launch")) {
		const pv *f = dget(act, "F"), *win = resolve(d, dget(act, "Win"));

		d->n_launch++;
		d->auto_launch |= autorun;
		if (win != NULL && win->t == PV_DICT)
			f = dget(win, "F");
		pv_text(d, f, buf, sizeof buf);
		if (f != NULL && resolve(d, f) != NULL && resolve(d, f)->t == PV_DICT)
			pv_text(d, dget(resolve(d, f), "F"), buf, sizeof buf);
		note(&d->actions, "Launch %s%s", buf[0] ? buf : "(file spec)",
		     autorun ? " (automatic)" : "");
	} else if (name_is(kind, "URI")) {
		d->n_uri++;
		d->auto_uri |= autorun;
		pv_text(d, dget(act, "URI"), buf, sizeof buf);
		if (buf[0]) {
			char *host = NULL, *sl;

			vscan_fact(d->s, VIGIL_FACT_URL, buf);
			if (g_str_has_prefix(buf, "http://") || g_str_has_prefix(buf, "https://")) {
				host = g_ascii_strdown(strstr(buf, "//") + 2, -1);
				if ((sl = strpbrk(host, "/?#:")) != NULL)
					*sl = 0;
				if (*host)
					vscan_fact(d->s, VIGIL_FACT_DOMAIN, host);
			}
			g_free(host);
			if (autorun)
				note(&d->actions, "opens %s automatically", buf);
		}
	} else if (name_is(kind, "SubmitForm")) {
		d->n_submit++;
		pv_text(d, dget(act, "F"), buf, sizeof buf);
		if (buf[0] == 0 && resolve(d, dget(act, "F")) != NULL &&
		    resolve(d, dget(act, "F"))->t == PV_DICT)
			pv_text(d, dget(resolve(d, dget(act, "F")), "F"), buf, sizeof buf);
		note(&d->actions, "SubmitForm to %s", buf[0] ? buf : "(unnamed)");
		if (buf[0])
			vscan_fact(d->s, VIGIL_FACT_URL, buf);
	} else if (name_is(kind, "GoToR") || name_is(kind, "GoToE")) {
		d->n_gotor++;
		pv_text(d, dget(act, "F"), buf, sizeof buf);
		note(&d->actions, "GoToR %s", buf);
	} else if (name_is(kind, "ImportData")) {
		d->n_import++;
	}
	/* /Next: a chain of actions (an array or one) */
	next = resolve(d, dget(act, "Next"));
	if (next != NULL && next->t == PV_ARR) {
		for (size_t k = 0; k < next->u.a.n && k < 16; k++)
			on_action(d, &next->u.a.v[k], autorun, depth + 1);
	} else if (next != NULL) {
		on_action(d, next, autorun, depth + 1);
	}
}

/* Every dictionary of every object: file specs, name trees, scripts, forms. */
static void walk(pdoc *d, const pv *v, unsigned depth)
{
	size_t n;

	if (d->stop || depth > MAX_NEST || (v->t != PV_DICT && v->t != PV_ARR))
		return;
	if (v->t == PV_DICT) {
		const pv *x;

		if (dget(v, "EF") != NULL)
			on_filespec(d, v, NULL);
		if ((x = dget(v, "EmbeddedFiles")) != NULL) {
			GHashTable *visited = g_hash_table_new(g_direct_hash, g_direct_equal);

			name_tree(d, x, 0, visited);
			g_hash_table_destroy(visited);
		}
		if ((x = dget(v, "JS")) != NULL) {
			d->n_js++;
			on_javascript(d, x);
		}
		if ((x = dget(v, "XFA")) != NULL)
			on_xfa(d, x);
		if ((x = dget(v, "OpenAction")) != NULL) {
			d->n_openaction++;
			on_action(d, x, true, 0);
		}
		if ((x = resolve(d, dget(v, "AA"))) != NULL && x->t == PV_DICT) {
			/* additional actions: triggers (open, close, page visible...) */
			d->n_aa++;
			for (size_t k = 0; k < x->u.a.n && k < 32; k++)
				on_action(d, &x->u.a.v[2 * k + 1], true, 0);
		}
		if (dget(v, "S") != NULL && dget(v, "OpenAction") == NULL)
			on_action(d, v, false, 0);
		if (dget(v, "RichMedia") != NULL ||
		    name_is(resolve(d, dget(v, "Subtype")), "RichMedia"))
			d->n_richmedia++;
		if (dget(v, "AcroForm") != NULL)
			d->n_acroform++;
	}
	n = v->t == PV_DICT ? 2 * v->u.a.n : v->u.a.n;
	for (size_t k = 0; k < n; k++)
		walk(d, &v->u.a.v[k], depth + 1);
}

static bool sniff_interesting(const char *t, const uint8_t *p, size_t n)
{
	static const char *const types[] = {
	        "pe",    "elf", "lnk", "chm",  "zip", "ooxml", "odf",  "7z",  "rar",     "gzip",
	        "bzip2", "xz",  "cab", "ole2", "pdf", "rtf",   "tnef", "tar", "iso9660", NULL};

	/* two-byte magics match pixel data too often to be believed alone */
	if (strcmp(t, "gzip") == 0 && (n < 3 || p[2] != 8))
		return false;
	for (const char *const *k = types; *k != NULL; k++)
		if (strcmp(*k, t) == 0)
			return true;
	return ftype_is_executable(t) && strcmp(t, "mz") != 0;
}

/* A stream with a role, decoded as far as the limits allow and emitted. */
static void extract_stream(pdoc *d, size_t idx, const pv *dict, const struct role *r)
{
	vigil_limit which;
	size_t room = vscan_room(d->s, d->o, &which);
	struct pobj po = *obj_at(d, idx);
	vbuf b;
	unsigned st, flags = 0;
	char seg[48];
	const char *segp = seg;
	char *ctype = NULL;
	uint64_t size = 0;

	if (room == 0) {
		decode_limit(d, which, "PDF stream");
		return;
	}
	st = decode_stream(d, idx, dict, room, r->kind == ROLE_EMBED, &b);
	if (st & DEC_FULL)
		flags |= VIGIL_OBJ_TRUNCATED;
	if ((st & DEC_UNSUP) && b.len == 0) {
		vbuf_free(&b);
		return;
	}
	switch (r->kind) {
	case ROLE_EMBED: {
		const pv *sub = resolve(d, dget(dict, "Subtype"));
		int64_t sz = int_or(d, resolve(d, dget(dict, "Params")), "Size", 0);

		if (sub != NULL && sub->t == PV_NAME && sub->u.s.n > 0)
			ctype = g_strndup((const char *)sub->u.s.p, sub->u.s.n);
		size = sz > 0 ? (uint64_t)sz : 0;
		g_snprintf(seg, sizeof seg, "embedded-%u", po.num);
		if (r->name != NULL)
			segp = r->name;
		break;
	}
	case ROLE_JS:
		if (b.len >= 2 && b.data[0] == 0xfe && b.data[1] == 0xff) {
			vbuf u;

			vbuf_init(&u, b.max);
			utf16be_to_utf8(b.data + 2, b.len - 2, &u);
			vbuf_free(&b);
			b = u;
		}
		if (!(st & DEC_FULL) && script_seen(d, &b)) {
			vbuf_free(&b);
			return;
		}
		g_snprintf(seg, sizeof seg, "javascript-%u.js", ++d->njs);
		break;
	case ROLE_XFA:
		g_snprintf(seg, sizeof seg, "xfa-%u.xml", ++d->nxfa);
		break;
	default:
		g_snprintf(seg, sizeof seg, "stream-%u-%u", po.num, po.gen);
		break;
	}
	if (st & DEC_FULL)
		decode_limit(d, which, segp);
	emit(d, segp, r->kind == ROLE_EMBED ? r->name : NULL, ctype, &b, flags, size);
	g_free(ctype);
}

/* Any other stream: a look at its first bytes decides whether it is one. */
static void sniff_stream(pdoc *d, size_t idx, const pv *dict)
{
	vigil_limit which;
	size_t room = vscan_room(d->s, d->o, &which);
	vbuf b;
	unsigned st;
	const char *t;
	struct role r = {ROLE_STREAM, NULL};

	if (room == 0)
		return;
	st = decode_stream(d, idx, dict, room < SNIFF_BYTES ? room : SNIFF_BYTES, false, &b);
	vscan_charge(d->s, d->o, b.len);
	t = ftype_detect(b.data ? b.data : (const uint8_t *)"", b.len, NULL);
	if (sniff_interesting(t, b.data, b.len))
		extract_stream(d, idx, dict, &r);
	(void)st;
	vbuf_free(&b);
}

static void process_streams(pdoc *d)
{
	for (size_t i = 0; i < d->objs->len && !d->stop && !d->nodecode; i++) {
		struct pobj po = *obj_at(d, i);
		const struct role *r;
		struct role anon = {ROLE_EMBED, NULL};
		const pv *dict;

		if (!po.stream || po.objstm || po.xref)
			continue;
		if ((i & 255) == 0 && vscan_should_stop(d->s, d->o)) {
			d->stop = true;
			break;
		}
		dict = parse_obj(d, i);
		if (dict == NULL || dict->t != PV_DICT) {
			arena_reset(&d->ar);
			continue;
		}
		r = g_hash_table_lookup(d->roles, GUINT_TO_POINTER(po.num));
		if (r == NULL && name_is(resolve(d, dget(dict, "Type")), "EmbeddedFile"))
			r = &anon;
		if (r != NULL)
			extract_stream(d, i, dict, r);
		else if (!(d->cr.present && !d->cr.ok))
			sniff_stream(d, i, dict);
		arena_reset(&d->ar);
	}
}

static void report(pdoc *d)
{
	if (d->limit.len > 0) {
		vbuf_terminate(&d->limit);
		vfinding_add(d->s, d->o, F_PDF_LIMIT, "%s", (const char *)d->limit.data);
		d->o->flags |= VIGIL_OBJ_PARTIAL;
	}
	if (d->malformed.len > 0) {
		vbuf_terminate(&d->malformed);
		vfinding_add(d->s, d->o, F_PDF_MALFORMED, "%s", (const char *)d->malformed.data);
	}
	if (d->decerr.len > 0) {
		vbuf_terminate(&d->decerr);
		vfinding_add(d->s, d->o, F_DECODE_ERROR, "%s", (const char *)d->decerr.data);
	}
	vbuf_terminate(&d->actions);
	if (d->auto_js || d->auto_launch)
		vfinding_add(d->s, d->o, F_PDF_AUTORUN, "%s%s%s", d->auto_js ? "JavaScript" : "",
		             d->auto_js && d->auto_launch ? " and " : "",
		             d->auto_launch ? "a program launch" : "");
	if (d->n_js > 0)
		vfinding_add(d->s, d->o, F_PDF_JAVASCRIPT, "%u /JS entries%s", d->n_js,
		             d->auto_js ? ", run when the document opens" : "");
	if (d->n_launch > 0)
		vfinding_add(d->s, d->o, F_PDF_LAUNCH, "%s",
		             d->actions.data ? (const char *)d->actions.data : "");
	if (d->n_submit > 0)
		vfinding_add(d->s, d->o, F_PDF_SUBMITFORM, "%s",
		             d->actions.data ? (const char *)d->actions.data : "");
	if (d->n_richmedia > 0)
		vfinding_add(d->s, d->o, F_PDF_RICHMEDIA, "%u rich media (Flash/3D) annotations",
		             d->n_richmedia);
	if (d->auto_uri)
		vfinding_add(d->s, d->o, F_PDF_AUTO_URI, "%s",
		             d->actions.data ? (const char *)d->actions.data : "");
	if (d->n_gotor > 0 || d->n_import > 0)
		vfinding_add(d->s, d->o, F_PDF_REMOTE, "%u remote go-to, %u import-data actions",
		             d->n_gotor, d->n_import);
}

static void pdf_extract(vigil_scan *s, vigil_object *o)
{
	pdoc d;
	size_t tail;

	if (o->len == 0)
		return;
	memset(&d, 0, sizeof d);
	d.s = s;
	d.o = o;
	d.buf = o->data;
	d.len = o->len;
	d.objs = g_array_new(FALSE, FALSE, sizeof(struct pobj));
	d.bynum = g_hash_table_new(g_direct_hash, g_direct_equal);
	d.stmbufs = g_ptr_array_new_with_free_func(free);
	d.roles = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, role_free);
	d.seen = g_hash_table_new(g_direct_hash, g_direct_equal);
	d.scripts = g_hash_table_new_full(g_bytes_hash, g_bytes_equal,
	                                  (GDestroyNotify)g_bytes_unref, NULL);
	d.es_from = d.eo_from = SIZE_MAX;
	d.work_max = (uint64_t)d.len * WORK_FACTOR + WORK_EXTRA;
	vbuf_init(&d.malformed, MAX_NOTE);
	vbuf_init(&d.decerr, MAX_NOTE);
	vbuf_init(&d.limit, MAX_NOTE);
	vbuf_init(&d.actions, MAX_NOTE);

	scan_objects(&d);
	/* text that merely mentions "%PDF-" (and holds no object) is left alone */
	tail = d.len > 1024 ? d.len - 1024 : 0;
	if ((d.objs->len > 0 || (d.len >= 5 && memcmp(d.buf, "%PDF-", 5) == 0)) &&
	    memmem(d.buf + tail, d.len - tail, "%%EOF", 5) == NULL)
		note(&d.malformed, "no %%%%EOF at the end (truncated?)");
	scan_trailers(&d);
	resolve_lengths(&d);
	setup_crypt(&d);
	for (size_t i = 0; i < d.objs->len && !d.stop && !d.nodecode; i++)
		if (obj_at(&d, i)->objstm && !(d.cr.present && !d.cr.ok)) {
			read_objstm(&d, i);
			arena_reset(&d.ar);
		}
	for (size_t i = 0; i < d.objs->len && !d.stop; i++) {
		pv *v;

		if ((i & 255) == 0 && vscan_should_stop(s, o))
			break;
		v = parse_obj(&d, i);
		if (v != NULL)
			walk(&d, v, 0);
		arena_reset(&d.ar);
	}
	process_streams(&d);
	report(&d);

	arena_reset(&d.ar);
	vbuf_free(&d.malformed);
	vbuf_free(&d.decerr);
	vbuf_free(&d.limit);
	vbuf_free(&d.actions);
	g_hash_table_destroy(d.seen);
	g_hash_table_destroy(d.scripts);
	g_hash_table_destroy(d.roles);
	g_ptr_array_free(d.stmbufs, TRUE);
	g_hash_table_destroy(d.bynum);
	g_array_free(d.objs, TRUE);
}

static const char *const pdf_types[] = {"pdf", NULL};
const extractor pdf_extractor = {"pdf", pdf_types, pdf_extract};
