/*
 * office_xlm.c - Excel 4.0 (XLM) macros: macro sheets, Auto_Open names and
 * the functions that reach Windows (EXEC, CALL, REGISTER).
 *
 * Where they live:
 *  - .xls (BIFF8, and BIFF5 "Book" streams): the Workbook stream of the OLE2
 *    file. BOUNDSHEET records name the sheets with their type (0x01: macro
 *    sheet) and visibility (hidden, very hidden); a NAME record with the
 *    built-in name 0x01 (Auto_Open) or 0x02 (Auto_Close), or a name starting
 *    with "Auto_Open", runs the macro sheet on opening; FORMULA records of
 *    a macro-sheet substream (BOF type 0x0040) hold the macro code as parsed
 *    expressions, walked token by token (MS-XLS 2.5.198) for function calls
 *    (ptgFunc/ptgFuncVar with Ftab EXEC 110, REGISTER 149, CALL 150,
 *    REGISTER.ID 267) and string constants naming Windows functions or
 *    program launchers.
 *  - .xlsm/.xlsb: parts xl/macrosheets/ (and xl/intlMacrosheets/), the
 *    definedName "_xlnm.Auto_Open" in xl/workbook.xml (a string in
 *    xl/workbook.bin), formulas as text in the XML, or binary in the .bin.
 *  - SYLK (.slk) text: "NN;NAuto_Open" names, "O;...;E" macro sheets and
 *    ";E" formulas.
 * Findings are made on the object that holds the evidence (the Workbook
 * stream, the part, the SYLK file). A Workbook stream with a FILEPASS record
 * is encrypted past it: the walk stops there (ole.c reports encryption).
 *
 * Limits: XLM_MAX_RECORDS records per stream, BOF nesting XLM_MAX_DEPTH,
 * a formula's tokens are walked within its record; unknown tokens end the
 * walk of that formula. Text parts are searched in their first
 * XLM_MAX_TEXT bytes.
 */
#include "office.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../../util/bytes.h"

#define XLM_MAX_RECORDS 2000000u
#define XLM_MAX_DEPTH 16
#define XLM_MAX_TEXT (8u << 20)
#define XLM_MAX_EVIDENCE 200

/* strings in macro formulas that reach outside Excel */
static const char *const xlm_api_strings[] = {"URLDownloadToFile",
                                              "URLDownloadToCacheFile",
                                              "ShellExecute",
                                              "WinExec",
                                              "CreateProcess",
                                              "VirtualAlloc",
                                              "WriteProcessMemory",
                                              "CreateThread",
                                              "RtlCopyMemory",
                                              "RtlMoveMemory",
                                              "Kernel32",
                                              "urlmon",
                                              "shell32",
                                              "powershell",
                                              "mshta",
                                              "rundll32",
                                              "regsvr32",
                                              "cmd.exe",
                                              "certutil",
                                              "bitsadmin",
                                              "wscript",
                                              "cscript",
                                              NULL};

/* Ftab numbers (MS-XLS 2.5.198.17) of the functions that call into Windows */
static const char *xlm_ftab_name(unsigned iftab)
{
	switch (iftab) {
	case 110:
		return "EXEC";
	case 149:
		return "REGISTER";
	case 150:
		return "CALL";
	case 267:
		return "REGISTER.ID";
	default:
		return NULL;
	}
}

static const char *xlm_api_in(const uint8_t *p, size_t n)
{
	for (const char *const *a = xlm_api_strings; *a != NULL; a++)
		if (vmem_casefind(p, n, *a) >= 0)
			return *a;
	return NULL;
}

struct xlm {
	vigil_scan *s;
	vigil_object *o;
	unsigned biff; /* 8, or 5 for BIFF5/7 */
	GString *sheets;
	unsigned n_macro;
	char *autoopen, *exec;
};

static void xlm_set(char **slot, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void xlm_set(char **slot, const char *fmt, ...)
{
	va_list ap;

	if (*slot != NULL)
		return;
	va_start(ap, fmt);
	*slot = g_strdup_vprintf(fmt, ap);
	va_end(ap);
}

/* a BIFF string: 8-bit, or UTF-16 when wide; printable ASCII copy for evidence */
static char *xlm_str(const uint8_t *p, size_t avail, size_t cch, bool wide)
{
	vbuf b;
	size_t len;
	uint8_t *d;
	char *r;

	vbuf_init(&b, 256);
	for (size_t i = 0; i < cch; i++) {
		size_t at = wide ? 2 * i : i;
		uint8_t c;

		if (at + (wide ? 2 : 1) > avail)
			break;
		c = p[at];
		if (wide && p[at + 1] != 0)
			c = '?';
		vbuf_putc(&b, c);
	}
	d = vbuf_steal(&b, &len);
	r = vstr_printable(d != NULL ? d : (const uint8_t *)"", len, 128);
	free(d);
	return r;
}

/* BOUNDSHEET: lbPlyPos (4), hsState (1), dt (1), name */
static void xlm_boundsheet(struct xlm *x, const uint8_t *d, size_t n)
{
	static const char *const state[] = {"visible", "hidden", "very hidden", "?"};
	char *name;

	if (n < 7 || d[5] != 0x01)
		return;
	if (x->biff == 8)
		name = n >= 8 ? xlm_str(d + 8, n - 8, d[6], d[7] & 1) : g_strdup("");
	else
		name = xlm_str(d + 7, n - 7, d[6], false);
	x->n_macro++;
	if (x->sheets->len < XLM_MAX_EVIDENCE)
		g_string_append_printf(x->sheets, "%s\"%s\" (%s)", x->sheets->len ? ", " : "", name,
		                       state[d[4] & 3]);
	g_free(name);
}

/* NAME (Lbl): flags (2), chKey, cch, cce (2), ..., the name at 14 (BIFF8: after a flag byte) */
static void xlm_name(struct xlm *x, const uint8_t *d, size_t n)
{
	uint16_t flags;
	size_t cch, at;
	bool wide = false;
	char *name;

	if (n < 15)
		return;
	flags = le16(d);
	cch = d[3];
	at = 14;
	if (x->biff == 8) {
		wide = d[14] & 1;
		at = 15;
	}
	if (at >= n || cch == 0)
		return;
	if (flags & 0x0020) {
		/* built-in: one character, 0x01 Auto_Open, 0x02 Auto_Close */
		uint8_t c = d[at];

		if (c == 0x01 || c == 0x02)
			xlm_set(&x->autoopen, "built-in name %s%s",
			        c == 1 ? "Auto_Open" : "Auto_Close", flags & 1 ? " (hidden)" : "");
		return;
	}
	name = xlm_str(d + at, n - at, cch, wide);
	if (g_ascii_strncasecmp(name, "auto_open", 9) == 0 ||
	    g_ascii_strncasecmp(name, "auto_close", 10) == 0)
		xlm_set(&x->autoopen, "name \"%s\"%s", name, flags & 1 ? " (hidden)" : "");
	g_free(name);
}

/* size of a token's data after its ptg byte (BIFF8 or BIFF5), or -1 if unknown */
static long xlm_ptg_size(uint8_t ptg, unsigned biff, const uint8_t *p, size_t avail)
{
	bool b8 = biff == 8;

	if (ptg < 0x20) {
		switch (ptg) {
		case 0x01: /* ptgExp */
		case 0x02: /* ptgTbl */
			return 4;
		case 0x17: /* ptgStr */
			if (avail < 1)
				return -1;
			if (b8)
				return avail < 2 ? -1 : 2 + (long)p[0] * ((p[1] & 1) ? 2 : 1);
			return 1 + (long)p[0];
		case 0x19: /* ptgAttr */
			if (avail < 3)
				return -1;
			if (p[0] & 0x04) /* tAttrChoose: a jump table */
				return 3 + ((long)le16(p + 1) + 1) * 2;
			return 3;
		case 0x1C: /* ptgErr */
		case 0x1D: /* ptgBool */
			return 1;
		case 0x1E: /* ptgInt */
			return 2;
		case 0x1F: /* ptgNum */
			return 8;
		default:
			/* operators and ptgMissArg take nothing; ptgExtend and others: stop */
			return ptg >= 0x03 && ptg <= 0x16 ? 0 : -1;
		}
	}
	switch (ptg & 0x1F) {
	case 0x00: /* ptgArray */
		return 7;
	case 0x01: /* ptgFunc */
		return 2;
	case 0x02: /* ptgFuncVar */
		return 3;
	case 0x03: /* ptgName */
		return b8 ? 4 : 14;
	case 0x04: /* ptgRef */
	case 0x0A: /* ptgRefErr */
	case 0x0C: /* ptgRefN */
		return b8 ? 4 : 3;
	case 0x05: /* ptgArea */
	case 0x0B: /* ptgAreaErr */
	case 0x0D: /* ptgAreaN */
		return b8 ? 8 : 6;
	case 0x06: /* ptgMemArea */
	case 0x07: /* ptgMemErr */
	case 0x08: /* ptgMemNoMem */
		return 6;
	case 0x09: /* ptgMemFunc */
		return 2;
	case 0x19: /* ptgNameX */
		return b8 ? 6 : 24;
	case 0x1A: /* ptgRef3d */
	case 0x1C: /* ptgRefErr3d */
		return b8 ? 6 : 17;
	case 0x1B: /* ptgArea3d */
	case 0x1D: /* ptgAreaErr3d */
		return b8 ? 10 : 20;
	default:
		return -1;
	}
}

/* walks the parsed expression rgce[0..n) of a macro-sheet formula */
static void xlm_rgce(struct xlm *x, const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n && x->exec == NULL) {
		uint8_t ptg = p[i++];
		long sz = xlm_ptg_size(ptg, x->biff, p + i, n - i);

		if (sz < 0 || (size_t)sz > n - i)
			return;
		if (ptg == 0x17) {
			size_t cch = p[i];
			bool wide = x->biff == 8 && (p[i + 1] & 1);
			char *str = xlm_str(p + i + (x->biff == 8 ? 2 : 1),
			                    (size_t)sz - (x->biff == 8 ? 2 : 1), cch, wide);
			const char *api = xlm_api_in((const uint8_t *)str, strlen(str));

			if (api != NULL)
				xlm_set(&x->exec, "macro formula uses \"%s\"", str);
			g_free(str);
		} else if (ptg >= 0x20 && ((ptg & 0x1F) == 0x01 || (ptg & 0x1F) == 0x02)) {
			uint16_t tab = (ptg & 0x1F) == 0x01 ? le16(p + i) : le16(p + i + 1);
			const char *fn = (tab & 0x8000) ? NULL : xlm_ftab_name(tab & 0x7FFF);

			if (fn != NULL)
				xlm_set(&x->exec, "macro formula calls %s()", fn);
		}
		i += (size_t)sz;
	}
}

static void xlm_biff(vigil_scan *s, vigil_object *o)
{
	struct xlm x = {.s = s, .o = o, .biff = 8};
	bool macro[XLM_MAX_DEPTH] = {false};
	unsigned depth = 0, records = 0;
	size_t off = 0;
	const uint8_t *p = o->data;
	size_t n = o->len;

	if (n < 8 || le16(p) != 0x0809)
		return;
	x.biff = le16(p + 4) == 0x0600 ? 8 : 5;
	x.sheets = g_string_new(NULL);
	while (4 <= n - off && ++records <= XLM_MAX_RECORDS) {
		uint16_t type = le16(p + off), len = le16(p + off + 2);
		const uint8_t *d = p + off + 4;

		if (len > n - off - 4)
			break;
		off += 4 + (size_t)len;
		if (type == 0x0809) {
			if (depth < XLM_MAX_DEPTH)
				macro[depth] = len >= 4 && le16(d + 2) == 0x0040;
			depth++;
		} else if (type == 0x000A) {
			if (depth > 0)
				depth--;
		} else if (type == 0x002F && depth <= 1) {
			break; /* FILEPASS: the rest is encrypted */
		} else if (type == 0x0085) {
			xlm_boundsheet(&x, d, len);
		} else if (type == 0x0018) {
			xlm_name(&x, d, len);
		} else if (type == 0x0006 && depth > 0 && depth <= XLM_MAX_DEPTH &&
		           macro[depth - 1] && len >= 22) {
			size_t cce = le16(d + 20);

			xlm_rgce(&x, d + 22, cce <= (size_t)len - 22 ? cce : (size_t)len - 22);
		} else if (type == 0x0207 && depth > 0 && depth <= XLM_MAX_DEPTH &&
		           macro[depth - 1]) {
			const char *api = xlm_api_in(d, len);

			if (api != NULL)
				xlm_set(&x.exec, "macro formula result names \"%s\"", api);
		}
	}
	if (x.n_macro > 0)
		vfinding_add(s, o, F_XLM_MACRO_SHEET, "%u macro sheet%s: %s", x.n_macro,
		             x.n_macro == 1 ? "" : "s", x.sheets->str);
	if (x.autoopen != NULL)
		vfinding_add(s, o, F_XLM_AUTOOPEN, "%s", x.autoopen);
	if (x.exec != NULL)
		vfinding_add(s, o, F_XLM_EXEC, "%s", x.exec);
	g_string_free(x.sheets, TRUE);
	g_free(x.autoopen);
	g_free(x.exec);
}

/* ---- OOXML parts ---- */

/* "EXEC(" with no letter before it: the function, not part of a name */
static const char *xlm_text_call(const uint8_t *p, size_t n, size_t *at)
{
	static const char *const fns[] = {"EXEC(", "CALL(", "REGISTER(", "REGISTER.ID(", NULL};

	for (const char *const *f = fns; *f != NULL; f++) {
		size_t from = 0;

		while (from < n) {
			long k = vmem_casefind(p + from, n - from, *f);
			size_t pos;

			if (k < 0)
				break;
			pos = from + (size_t)k;
			if (pos == 0 || !(g_ascii_isalnum(p[pos - 1]) || p[pos - 1] == '_' ||
			                  p[pos - 1] == '.')) {
				*at = pos;
				return *f;
			}
			from = pos + 1;
		}
	}
	return NULL;
}

/* the bytes without NULs: UTF-16 text of ASCII becomes searchable */
static uint8_t *xlm_squeeze(const uint8_t *p, size_t n, size_t *out)
{
	uint8_t *r = g_malloc(n + 1);
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			r[k++] = p[i];
	*out = k;
	return r;
}

static void xlm_part_formulas(vigil_scan *s, vigil_object *o, const char *rel, bool binary)
{
	size_t n = o->len < XLM_MAX_TEXT ? o->len : XLM_MAX_TEXT, at = 0, sn;
	const char *fn = NULL, *api;
	uint8_t *sq;

	if (!binary) {
		fn = xlm_text_call(o->data, n, &at);
		if (fn != NULL) {
			char *q = vstr_printable(o->data + at, n - at < 120 ? n - at : 120, 120);

			vfinding_add(s, o, F_XLM_EXEC, "%s: %s", rel, q);
			g_free(q);
			return;
		}
	} else {
		/* BIFF12 ptgFuncVar: 0x22/0x42/0x62, argument count, function number */
		for (size_t i = 0; i + 4 <= n; i++) {
			uint8_t t = o->data[i];
			uint16_t tab;

			if ((t != 0x22 && t != 0x42 && t != 0x62) || o->data[i + 1] == 0 ||
			    o->data[i + 1] > 30)
				continue;
			tab = le16(o->data + i + 2);
			if (!(tab & 0x8000) && (fn = xlm_ftab_name(tab)) != NULL) {
				vfinding_add(s, o, F_XLM_EXEC, "%s: macro formula calls %s()", rel,
				             fn);
				return;
			}
		}
	}
	sq = xlm_squeeze(o->data, n, &sn);
	api = xlm_api_in(sq, sn);
	if (api != NULL)
		vfinding_add(s, o, F_XLM_EXEC, "%s: macro sheet names \"%s\"", rel, api);
	g_free(sq);
}

static void xlm_workbook_xml(vigil_scan *s, vigil_object *o)
{
	size_t n = o->len < XLM_MAX_TEXT ? o->len : XLM_MAX_TEXT, from = 0;

	while (from < n) {
		long k = vmem_casefind(o->data + from, n - from, "<definedName");
		size_t pos, tl;
		char *name;

		if (k < 0)
			return;
		pos = from + (size_t)k;
		tl = office_tag_len(o->data + pos, n - pos);
		if (tl == 0)
			return;
		name = office_attr(o->data + pos, tl, "name");
		if (name != NULL) {
			const char *b =
			        g_ascii_strncasecmp(name, "_xlnm.", 6) == 0 ? name + 6 : name;

			if (g_ascii_strncasecmp(b, "auto_open", 9) == 0 ||
			    g_ascii_strncasecmp(b, "auto_close", 10) == 0) {
				char *q = vstr_sanitize(name, 80);

				vfinding_add(s, o, F_XLM_AUTOOPEN, "defined name %s", q);
				g_free(q);
				g_free(name);
				return;
			}
			g_free(name);
		}
		from = pos + tl;
	}
}

static void xlm_ooxml(vigil_scan *s, vigil_object *o, const char *rel)
{
	bool bin;

	if (o->data == NULL)
		return;
	if (g_ascii_strcasecmp(rel, "xl/workbook.xml") == 0) {
		xlm_workbook_xml(s, o);
		return;
	}
	if (g_ascii_strcasecmp(rel, "xl/workbook.bin") == 0) {
		size_t sn;
		uint8_t *sq =
		        xlm_squeeze(o->data, o->len < XLM_MAX_TEXT ? o->len : XLM_MAX_TEXT, &sn);

		if (vmem_casefind(sq, sn, "auto_open") >= 0)
			vfinding_add(s, o, F_XLM_AUTOOPEN, "defined name Auto_Open");
		else if (vmem_casefind(sq, sn, "auto_close") >= 0)
			vfinding_add(s, o, F_XLM_AUTOOPEN, "defined name Auto_Close");
		g_free(sq);
		return;
	}
	if (g_ascii_strncasecmp(rel, "xl/macrosheets/", 15) != 0 &&
	    g_ascii_strncasecmp(rel, "xl/intlMacrosheets/", 19) != 0)
		return;
	if (strstr(rel, "/_rels/") != NULL ||
	    vmem_casefind((const uint8_t *)rel, strlen(rel), "binaryIndex") >= 0)
		return;
	bin = g_str_has_suffix(rel, ".bin");
	if (!bin && !g_str_has_suffix(rel, ".xml"))
		return;
	vfinding_add(s, o, F_XLM_MACRO_SHEET, "%s", rel);
	xlm_part_formulas(s, o, rel, bin);
}

/* ---- SYLK ---- */

static void xlm_sylk(vigil_scan *s, vigil_object *o)
{
	size_t n = o->len < XLM_MAX_TEXT ? o->len : XLM_MAX_TEXT, i = 0;
	const uint8_t *p = o->data;
	bool sheet = false, autoopen = false, exec = false;

	while (i < n) {
		size_t e = i;
		const uint8_t *l = p + i;
		size_t ln;

		while (e < n && p[e] != '\n' && p[e] != '\r')
			e++;
		ln = e - i;
		if (ln >= 2 && l[0] == 'O' && l[1] == ';') {
			/* options record: a lone "E" field marks a macro sheet */
			for (size_t k = 1; k + 1 < ln; k++)
				if (l[k] == ';' && l[k + 1] == 'E' &&
				    (k + 2 == ln || l[k + 2] == ';'))
					sheet = true;
		} else if (ln >= 3 && l[0] == 'N' && l[1] == 'N' && l[2] == ';') {
			long k = vmem_casefind(l, ln, ";Nauto_open");

			if (k < 0)
				k = vmem_casefind(l, ln, ";Nauto_close");
			if (k >= 0 && !autoopen) {
				char *q = vstr_printable(l, ln < 80 ? ln : 80, 80);

				vfinding_add(s, o, F_XLM_AUTOOPEN, "SYLK name: %s", q);
				g_free(q);
				autoopen = true;
			}
		} else if (ln >= 2 && l[0] == 'C' && l[1] == ';' && !exec) {
			size_t at;
			const char *fn = xlm_text_call(l, ln, &at), *api = xlm_api_in(l, ln);

			if (fn != NULL || api != NULL) {
				char *q = vstr_printable(l, ln < 120 ? ln : 120, 120);

				vfinding_add(s, o, F_XLM_EXEC, "SYLK formula: %s", q);
				g_free(q);
				exec = true;
			}
		}
		i = e + 1;
	}
	if (sheet)
		vfinding_add(s, o, F_XLM_MACRO_SHEET, "SYLK file declares a macro sheet (O;E)");
}

static void xlm_analyze(vigil_scan *s, vigil_object *o)
{
	const char *rel;

	if (o->data == NULL || o->len == 0)
		return;
	if ((rel = office_rel(s, o, "ole2", NULL)) != NULL) {
		if (g_ascii_strcasecmp(rel, "Workbook") == 0 ||
		    g_ascii_strcasecmp(rel, "Book") == 0)
			xlm_biff(s, o);
		return;
	}
	if ((rel = office_rel(s, o, "ooxml", NULL)) != NULL) {
		xlm_ooxml(s, o, rel);
		return;
	}
	if (strcmp(o->type, "text") == 0 && o->len >= 4 && memcmp(o->data, "ID;", 3) == 0)
		xlm_sylk(s, o);
}

/* Workbook streams are "binary", parts "xml" or "binary", SYLK "text" */
const analyzer office_xlm_analyzer = {"office-xlm", NULL, xlm_analyze, false};
