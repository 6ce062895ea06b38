/*
 * office_dde.c - DDE: documents that run a command through Dynamic Data
 * Exchange when they are opened (T1559.002).
 *
 * Word: a field whose code starts with DDE or DDEAUTO ("DDEAUTO c:\\windows\\
 * system32\\cmd.exe "/k calc.exe""). In WordprocessingML (word/document.xml,
 * headers, footers, the flat XML of Word 2003/2007) the code is the text of
 * the w:instrText runs between a w:fldChar "begin" and its "separate" or
 * "end" - Word lets it be split over any number of runs, so the runs are
 * joined before looking - or the w:instr attribute of w:fldSimple. In a
 * binary .doc the code follows the field-begin character 0x13 in the
 * WordDocument stream, as 8-bit or UTF-16LE text. In RTF it is the text of
 * the \fldinst group, control words and braces removed.
 * Excel: a ddeLink element (xl/externalLinks/externalLink1.xml: ddeService="cmd"
 * ddeTopic="/c calc"; in .xlsb a BrtSupBook record of type DDE), or a DDE formula =app|'arguments'!cell in CSV, SYLK
 * and the XML of Excel 2003 (ss:Formula). Formulas are looked for in text
 * only when it is a file (a named attachment, a member, the scanned file),
 * not in message bodies, where people discuss them.
 *
 * Limits: the first DDE_MAX_TEXT bytes of an object are read; a field code
 * keeps at most DDE_MAX_FIELD bytes; fields nest at most DDE_MAX_NEST deep
 * (deeper ones are still closed properly, their code is not kept).
 */
#include "office.h"

#include <stdlib.h>
#include <string.h>

#include "../../util/bytes.h"

#define DDE_MAX_TEXT (8u << 20)
#define DDE_MAX_FIELD 2048
#define DDE_MAX_NEST 8
#define DDE_MAX_APP 64
#define DDE_MAX_ARGS 1024

/* "DDE ..." or "DDEAUTO ..." after blanks and quotes */
static bool dde_is_code(const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n &&
	       (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n' || p[i] == '"'))
		i++;
	if (n - i < 3 || g_ascii_strncasecmp((const char *)p + i, "DDE", 3) != 0)
		return false;
	i += 3;
	if (n - i >= 4 && g_ascii_strncasecmp((const char *)p + i, "AUTO", 4) == 0)
		i += 4;
	return i == n || p[i] == ' ' || p[i] == '\t' || p[i] == '"' || p[i] == '\\';
}

static bool dde_report(vigil_scan *s, vigil_object *o, const char *what, const uint8_t *p, size_t n)
{
	char *q;

	if (!dde_is_code(p, n))
		return false;
	while (n > 0 && (*p == ' ' || *p == '\t'))
		p++, n--;
	q = vstr_printable(p, n < 300 ? n : 300, 300);
	vfinding_add(s, o, F_DDE_FIELD, "%s: %s", what, q);
	g_free(q);
	return true;
}

/* ---- WordprocessingML fields ---- */

static void dde_word_xml(vigil_scan *s, vigil_object *o, const uint8_t *p, size_t n)
{
	vbuf code[DDE_MAX_NEST];
	bool closed[DDE_MAX_NEST] = {false};
	unsigned depth = 0;
	size_t i = 0;

	while (i < n) {
		const uint8_t *lt = memchr(p + i, '<', n - i);
		size_t at, tl;
		bool selfclose;

		if (lt == NULL)
			break;
		at = (size_t)(lt - p);
		tl = office_tag_len(p + at, n - at);
		if (tl == 0) {
			i = at + 1;
			continue;
		}
		i = at + tl;
		selfclose = tl >= 2 && p[at + tl - 2] == '/';
		if (office_tag_is(p + at, tl, "fldChar")) {
			char *t = office_attr(p + at, tl, "fldCharType");

			if (t != NULL && strcmp(t, "begin") == 0) {
				if (depth < DDE_MAX_NEST) {
					vbuf_init(&code[depth], DDE_MAX_FIELD);
					closed[depth] = false;
				}
				depth++;
			} else if (t != NULL &&
			           (strcmp(t, "separate") == 0 || strcmp(t, "end") == 0) &&
			           depth > 0) {
				unsigned d = depth - 1;

				if (d < DDE_MAX_NEST && !closed[d]) {
					closed[d] = true;
					if (dde_report(s, o, "field code",
					               code[d].data ? code[d].data
					                            : (const uint8_t *)"",
					               code[d].len))
						i = n; /* one finding per part */
				}
				if (strcmp(t, "end") == 0) {
					if (d < DDE_MAX_NEST)
						vbuf_free(&code[d]);
					depth--;
				}
			}
			g_free(t);
		} else if (office_tag_is(p + at, tl, "instrText") && !selfclose) {
			const uint8_t *end = memchr(p + i, '<', n - i);
			size_t tn = end != NULL ? (size_t)(end - (p + i)) : n - i;

			if (depth > 0 && depth <= DDE_MAX_NEST && !closed[depth - 1]) {
				office_xml_text(&code[depth - 1], p + i, tn);
			} else {
				vbuf one;

				vbuf_init(&one, DDE_MAX_FIELD);
				office_xml_text(&one, p + i, tn);
				if (dde_report(s, o, "field code",
				               one.data ? one.data : (const uint8_t *)"", one.len))
					i = n;
				vbuf_free(&one);
			}
		} else if (office_tag_is(p + at, tl, "fldSimple")) {
			char *instr = office_attr(p + at, tl, "instr");

			if (instr != NULL &&
			    dde_report(s, o, "simple field", (const uint8_t *)instr, strlen(instr)))
				i = n;
			g_free(instr);
		}
	}
	for (unsigned d = 0; d < depth && d < DDE_MAX_NEST; d++)
		vbuf_free(&code[d]);
}

/* ---- Excel: ddeLink, DDE formulas ---- */

static void dde_excel_link(vigil_scan *s, vigil_object *o, const uint8_t *p, size_t n)
{
	long k = vmem_casefind(p, n, "<ddeLink");
	size_t at, tl;
	char *svc, *topic;

	if (k < 0)
		return;
	at = (size_t)k;
	tl = office_tag_len(p + at, n - at);
	if (tl == 0)
		return;
	svc = office_attr(p + at, tl, "ddeService");
	topic = office_attr(p + at, tl, "ddeTopic");
	if (svc != NULL) {
		char *a = vstr_sanitize(svc, 100), *b = vstr_sanitize(topic ? topic : "", 300);

		vfinding_add(s, o, F_DDE_FIELD, "DDE link %s|'%s'", a, b);
		g_free(a);
		g_free(b);
	}
	g_free(svc);
	g_free(topic);
}

/* XLWideString: cch (4), UTF-16LE; a printable copy, *used its size */
static char *dde_wide(const uint8_t *p, size_t n, size_t *used)
{
	uint32_t cch;
	vbuf b;
	size_t len;
	uint8_t *d;
	char *r;

	if (n < 4)
		return NULL;
	cch = le32(p);
	if (cch > (n - 4) / 2)
		return NULL;
	vbuf_init(&b, 300);
	for (uint32_t i = 0; i < cch; i++)
		vbuf_putc(&b, p[5 + 2 * (size_t)i] == 0 ? p[4 + 2 * (size_t)i] : '?');
	*used = 4 + 2 * (size_t)cch;
	d = vbuf_steal(&b, &len);
	r = vstr_printable(d != NULL ? d : (const uint8_t *)"", len, 300);
	free(d);
	return r;
}

/*
 * xl/externalLinks/externalLinkN.bin (MS-XLSB): records with a variable
 * length type and size; BrtSupBook (0x0168) with sbt 1 is a DDE link, its
 * service and topic follow as XLWideStrings.
 */
static void dde_xlsb_link(vigil_scan *s, vigil_object *o, const uint8_t *p, size_t n)
{
	size_t off = 0;
	unsigned records = 0;

	while (off < n && ++records <= 4096) {
		uint32_t type = 0, size = 0;
		unsigned k;

		for (k = 0; k < 2 && off < n; k++) {
			type |= (uint32_t)(p[off] & 0x7F) << (7 * k);
			if (!(p[off++] & 0x80))
				break;
		}
		for (k = 0; k < 4 && off < n; k++) {
			size |= (uint32_t)(p[off] & 0x7F) << (7 * k);
			if (!(p[off++] & 0x80))
				break;
		}
		if (size > n - off)
			return;
		if (type == 0x0168 && size >= 2 && le16(p + off) == 0x0001) {
			size_t u1 = 0, u2 = 0;
			char *svc = dde_wide(p + off + 2, size - 2, &u1);
			char *topic =
			        svc != NULL ? dde_wide(p + off + 2 + u1, size - 2 - u1, &u2) : NULL;

			if (svc != NULL)
				vfinding_add(s, o, F_DDE_FIELD, "DDE link %s|'%s'", svc,
				             topic != NULL ? topic : "");
			g_free(svc);
			g_free(topic);
			return;
		}
		off += size;
	}
}

static bool dde_app_char(uint8_t c)
{
	return g_ascii_isalnum(c) || c == '_' || c == '.' || c == '-' || c == '\\' || c == '$';
}

/*
 * =cmd|'/c calc'!A1, +cmd|..., @SUM(cmd|...), SYLK ";ECMD|'...'!": an
 * application name, '|', a quoted topic and '!'. Returns the offset of the
 * application name, or -1.
 */
static long dde_formula(const uint8_t *p, size_t n, size_t *flen)
{
	size_t from = 0;

	while (from < n) {
		const uint8_t *bar = memchr(p + from, '|', n - from);
		size_t k, j, app, q, e;

		if (bar == NULL)
			return -1;
		k = (size_t)(bar - p);
		from = k + 1;
		j = k;
		while (j > 0 && p[j - 1] == ' ')
			j--;
		app = j;
		while (app > 0 && k - app < DDE_MAX_APP && dde_app_char(p[app - 1]))
			app--;
		if (app == j || app == 0)
			continue;
		{
			size_t b = app;

			while (b > 0 && p[b - 1] == ' ')
				b--;
			if (b == 0)
				continue;
			if (strchr("=+-@(*&,^/", p[b - 1]) == NULL &&
			    !(p[b - 1] == 'E' && b >= 2 && p[b - 2] == ';'))
				continue;
		}
		q = k + 1;
		while (q < n && p[q] == ' ')
			q++;
		if (q >= n || p[q] != '\'')
			continue;
		e = q + 1;
		while (e < n && e - q < DDE_MAX_ARGS && p[e] != '\'')
			e++;
		if (e >= n || p[e] != '\'')
			continue;
		e++;
		while (e < n && p[e] == ' ')
			e++;
		if (e >= n || p[e] != '!')
			continue;
		*flen = e + 1 - app;
		return (long)app;
	}
	return -1;
}

static void dde_formulas(vigil_scan *s, vigil_object *o, const uint8_t *p, size_t n)
{
	size_t len = 0;
	long at = dde_formula(p, n, &len);
	char *q;

	if (at < 0)
		return;
	q = vstr_printable(p + at, len < 300 ? len : 300, 300);
	vfinding_add(s, o, F_DDE_FIELD, "DDE formula %s", q);
	g_free(q);
}

/* ---- binary Word: 0x13 field begin, then the code ---- */

static void dde_word_binary(vigil_scan *s, vigil_object *o)
{
	const uint8_t *p = o->data;
	size_t n = o->len < DDE_MAX_TEXT ? o->len : DDE_MAX_TEXT;

	for (size_t i = 0; i + 4 < n; i++) {
		bool wide;
		size_t j;
		vbuf b;

		if (p[i] != 0x13)
			continue;
		wide = p[i + 1] == 0;
		j = i + (wide ? 2 : 1);
		vbuf_init(&b, 300);
		/* the code, up to the separator (0x14) or end (0x15) */
		while (j < n && b.len < 300) {
			uint8_t c = p[j];

			if (wide && (j + 1 >= n || p[j + 1] != 0))
				break;
			if (c == 0x13 || c == 0x14 || c == 0x15 || c == 0)
				break;
			vbuf_putc(&b, c);
			j += wide ? 2 : 1;
		}
		if (dde_report(s, o, "field code", b.data ? b.data : (const uint8_t *)"", b.len)) {
			vbuf_free(&b);
			return;
		}
		vbuf_free(&b);
	}
}

/* ---- RTF: {\field{\*\fldinst DDEAUTO ...}} ---- */

static void dde_rtf(vigil_scan *s, vigil_object *o)
{
	const uint8_t *p = o->data;
	size_t n = o->len < DDE_MAX_TEXT ? o->len : DDE_MAX_TEXT, from = 0;

	while (from < n) {
		long k = vmem_casefind(p + from, n - from, "\\fldinst");
		size_t i;
		vbuf b;

		if (k < 0)
			return;
		i = from + (size_t)k + 8;
		from = i;
		vbuf_init(&b, 300);
		while (i < n && i - from < DDE_MAX_FIELD && b.len < 300) {
			uint8_t c = p[i];

			if (c == '{' || c == '}' || c == '\r' || c == '\n') {
				i++;
			} else if (c == '\\' && i + 1 < n && g_ascii_isalpha(p[i + 1])) {
				size_t w = i + 1;

				while (w < n && g_ascii_isalpha(p[w]))
					w++;
				if (w - i - 1 == 7 && memcmp(p + i + 1, "fldrslt", 7) == 0)
					break;
				if (w < n && (p[w] == '-' || g_ascii_isdigit(p[w])))
					w++;
				while (w < n && g_ascii_isdigit(p[w]))
					w++;
				if (w < n && p[w] == ' ')
					w++;
				i = w;
			} else if (c == '\\' && i + 3 < n && p[i + 1] == '\'' &&
			           hexval(p[i + 2]) >= 0 && hexval(p[i + 3]) >= 0) {
				vbuf_putc(&b, (uint8_t)(hexval(p[i + 2]) << 4 | hexval(p[i + 3])));
				i += 4;
			} else if (c == '\\' && i + 1 < n) {
				if (p[i + 1] == '\\' || p[i + 1] == '{' || p[i + 1] == '}')
					vbuf_putc(&b, p[i + 1]);
				i += 2;
			} else {
				vbuf_putc(&b, c);
				i++;
			}
		}
		/* the next field code is looked for after this one */
		from = i;
		if (dde_report(s, o, "RTF field code", b.data ? b.data : (const uint8_t *)"",
		               b.len)) {
			vbuf_free(&b);
			return;
		}
		vbuf_free(&b);
	}
}

/* a file, not a message body: named, a member, or the scanned file itself */
static bool dde_is_file(vigil_scan *s, const vigil_object *o)
{
	const vigil_object *p;

	if (o->parent == SIZE_MAX || o->name != NULL)
		return true;
	p = vscan_object(s, o->parent);
	return p != NULL && strcmp(p->type, "email") != 0;
}

static void dde_analyze(vigil_scan *s, vigil_object *o)
{
	const uint8_t *p = o->data;
	size_t n = o->len < DDE_MAX_TEXT ? o->len : DDE_MAX_TEXT;
	const char *rel;

	if (p == NULL || n == 0)
		return;
	if (strcmp(o->type, "rtf") == 0) {
		dde_rtf(s, o);
		return;
	}
	if (strcmp(o->type, "xml") == 0) {
		if (vmem_casefind(p, n, "instrText") >= 0 || vmem_casefind(p, n, "fldSimple") >= 0)
			dde_word_xml(s, o, p, n);
		dde_excel_link(s, o, p, n);
		if (dde_is_file(s, o))
			dde_formulas(s, o, p, n);
		return;
	}
	if (strcmp(o->type, "text") == 0) {
		if (dde_is_file(s, o))
			dde_formulas(s, o, p, n);
		return;
	}
	rel = office_rel(s, o, "ole2", NULL);
	if (rel != NULL && strcmp(rel, "WordDocument") == 0) {
		dde_word_binary(s, o);
		return;
	}
	rel = office_rel(s, o, "ooxml", NULL);
	if (rel != NULL && g_ascii_strncasecmp(rel, "xl/externalLinks/", 17) == 0 &&
	    g_str_has_suffix(rel, ".bin"))
		dde_xlsb_link(s, o, p, n);
}

/* WordDocument streams come as "binary"; the rest by type */
const analyzer office_dde_analyzer = {"office-dde", NULL, dde_analyze, false};
