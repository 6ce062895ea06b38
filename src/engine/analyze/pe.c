/*
 * pe.c - Windows programs: structure, packing and what the code can do.
 *
 * Our own bounded parser of the PE/COFF format (Microsoft PE Format
 * specification): COFF header, optional header (PE32 and PE32+), section
 * table, data directories; imports (by name and by ordinal, delay-loaded
 * too), exports, TLS callbacks, the CLR header of .NET assemblies, the
 * Authenticode directory (present and well-formed, never validated) and the
 * overlay. Every RVA goes through pe_rva(), which maps it into a section's
 * raw data clamped to the file, so a lying SizeOfRawData, VirtualSize,
 * NumberOfSections or directory size can only make us read less.
 *
 * Capabilities come from imported names and from the strings in the file
 * (ASCII and UTF-16LE; API names resolved at run time and .NET P/Invoke
 * names are strings too): a table of indicators (pe_ind) and of rules
 * (pe_rules) that combine them. Each spyware capability (keylogging, screen,
 * clipboard, credentials, microphone, webcam) is a medium finding alone;
 * two of them plus a way to send data out make pe.spyware (high). URLs and
 * addresses with a port found in the strings become facts.
 *
 * "mz" objects (an MZ program without a readable PE header) get the string
 * scan only. Limits: PE_MAX_* below; the string scan reads the first
 * PE_SCAN_BYTES of the file and keeps PE_MAX_STRINGS bytes of strings.
 */
#include "ahelp.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../../util/bytes.h"

#define PE_MAX_SECTIONS 96
#define PE_MAX_DLLS 512
#define PE_MAX_THUNKS 4096  /* per DLL */
#define PE_MAX_IMPORTS 8192 /* in total */
#define PE_MAX_EXPORTS 4096 /* names read */
#define PE_MAX_TLS 64
#define PE_MAX_THUNK_READS 65536u     /* thunks read in all, names or not */
#define PE_ENTROPY_BUDGET (64u << 20) /* bytes of section data measured */
#define PE_MAX_NAME 256
#define PE_SCAN_BYTES (16u << 20)
#define PE_MAX_STRINGS (8u << 20)
#define PE_MAX_TOKENS 200000u
#define PE_MIN_ASCII 5
#define PE_MIN_WIDE 4
#define PE_HIGH_ENTROPY 7.2
#define PE_EVIDENCE 440

#define SCN_CODE 0x00000020u
#define SCN_EXEC 0x20000000u

enum {
	DIR_EXPORT = 0,
	DIR_IMPORT = 1,
	DIR_RESOURCE = 2,
	DIR_SECURITY = 4,
	DIR_TLS = 9,
	DIR_DELAY = 13,
	DIR_CLR = 14
};

struct pe_sect {
	char name[9];
	uint32_t va, vsize, raw_off, raw_size, chars;
	uint32_t decl_raw_size;
	double entropy;
};

struct pe {
	const uint8_t *p;
	size_t n;
	bool parsed; /* headers read */
	bool pe64, dll, dotnet, signed_ok, cert_bad;
	uint16_t machine, subsystem, nsect_decl;
	uint32_t timestamp, entry, hdr_size, sect_align, file_align;
	uint64_t image_base;
	struct {
		uint32_t rva, size;
	} dir[16];
	unsigned nsect;
	struct pe_sect sect[PE_MAX_SECTIONS];
	size_t raw_end; /* end of headers and section data in the file */
	size_t cert_off, cert_size;
	unsigned n_dlls, n_funcs, n_delay, n_exports, tls_callbacks;
	unsigned thunk_reads;
	size_t entropy_left;
	bool imports_capped;
	char clr_version[40];
	char export_name[64];
	vbuf notes;          /* anomalies for pe.malformed */
	GHashTable *imports; /* function name -> DLL name (both in chunk) */
	GHashTable *tokens;  /* identifiers in imports and strings */
	GStringChunk *chunk; /* storage of the two above */
	vbuf strs;           /* strings found, '\n' between them */
	uint8_t *lower;      /* lower-case copy of strs */
	unsigned urls;       /* interesting URLs and addresses */
	char *first_url;
};

/* ---- reading ---- */

static void pe_note(struct pe *pe, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void pe_note(struct pe *pe, const char *fmt, ...)
{
	char tmp[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (pe->notes.len > 0 && strstr((const char *)pe->notes.data, tmp) != NULL)
		return;
	if (pe->notes.len > 0)
		(void)vbuf_append(&pe->notes, "; ", 2);
	(void)vbuf_append(&pe->notes, tmp, strlen(tmp));
	vbuf_terminate(&pe->notes);
}

/*
 * File offset of an RVA and how many bytes of file data follow it there.
 * Section data beyond the file, and memory the loader zero-fills, have no
 * offset.
 */
static bool pe_rva(const struct pe *pe, uint64_t rva, size_t *off, size_t *avail)
{
	for (unsigned i = 0; i < pe->nsect; i++) {
		const struct pe_sect *s = &pe->sect[i];

		if (rva >= s->va && rva - s->va < s->raw_size) {
			*off = s->raw_off + (size_t)(rva - s->va);
			*avail = s->raw_size - (size_t)(rva - s->va);
			return true;
		}
	}
	if (rva < pe->hdr_size && rva < pe->n) {
		*off = (size_t)rva;
		*avail = (pe->hdr_size < pe->n ? pe->hdr_size : pe->n) - (size_t)rva;
		return true;
	}
	return false;
}

static bool pe_read(const struct pe *pe, uint64_t rva, void *out, size_t len)
{
	size_t off, avail;

	if (!pe_rva(pe, rva, &off, &avail) || len > avail)
		return false;
	memcpy(out, pe->p + off, len);
	return true;
}

/* a NUL-terminated printable ASCII name at rva (cut at max - 1) */
static bool pe_cstr(const struct pe *pe, uint64_t rva, char *out, size_t max)
{
	size_t off, avail, i;

	if (!pe_rva(pe, rva, &off, &avail))
		return false;
	for (i = 0; i < avail && i + 1 < max; i++) {
		uint8_t c = pe->p[off + i];

		if (c == 0)
			break;
		if (c < 0x20 || c > 0x7e)
			return false;
		out[i] = (char)c;
	}
	out[i] = 0;
	return i > 0;
}

static double pe_entropy(const uint8_t *p, size_t n)
{
	size_t count[256] = {0};
	double e = 0;

	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		count[p[i]]++;
	for (int i = 0; i < 256; i++) {
		double f;

		if (count[i] == 0)
			continue;
		f = (double)count[i] / (double)n;
		e -= f * log2(f);
	}
	return e;
}

/* ---- headers ---- */

static bool pe_headers(struct pe *pe)
{
	const uint8_t *p = pe->p;
	size_t n = pe->n, coff, opt, sect_off, fit, avail, need;
	uint32_t lfanew, ndirs;
	uint16_t opt_size, magic, chars;

	if (n < 0x40 || p[0] != 'M' || p[1] != 'Z')
		return false;
	lfanew = le32(p + 0x3c);
	if (lfanew > n || 24 > n - lfanew || memcmp(p + lfanew, "PE\0\0", 4) != 0) {
		pe_note(pe, "no PE header at offset %u", lfanew);
		return false;
	}
	coff = (size_t)lfanew + 4;
	pe->machine = le16(p + coff);
	pe->nsect_decl = le16(p + coff + 2);
	pe->timestamp = le32(p + coff + 4);
	opt_size = le16(p + coff + 16);
	chars = le16(p + coff + 18);
	pe->dll = (chars & 0x2000) != 0;
	opt = coff + 20;
	avail = opt <= n ? n - opt : 0;
	if (avail > opt_size)
		avail = opt_size;
	if (avail < 2) {
		pe_note(pe, "optional header missing");
		return false;
	}
	magic = le16(p + opt);
	if (magic != 0x10b && magic != 0x20b) {
		pe_note(pe, "unknown optional header magic 0x%x", magic);
		return false;
	}
	pe->pe64 = magic == 0x20b;
	need = pe->pe64 ? 112 : 96; /* where the data directories start */
	if (avail < need) {
		pe_note(pe, "optional header truncated (%zu bytes)", avail);
		return false;
	}
	pe->entry = le32(p + opt + 16);
	pe->image_base = pe->pe64 ? le64(p + opt + 24) : le32(p + opt + 28);
	pe->sect_align = le32(p + opt + 32);
	pe->file_align = le32(p + opt + 36);
	pe->hdr_size = le32(p + opt + 60);
	pe->subsystem = le16(p + opt + 68);
	ndirs = le32(p + opt + need - 4);
	if (ndirs > 16) {
		pe_note(pe, "NumberOfRvaAndSizes %u", ndirs);
		ndirs = 16;
	}
	if (ndirs > (avail - need) / 8)
		ndirs = (uint32_t)((avail - need) / 8);
	for (uint32_t i = 0; i < ndirs; i++) {
		pe->dir[i].rva = le32(p + opt + need + 8 * i);
		pe->dir[i].size = le32(p + opt + need + 8 * i + 4);
	}

	/* the loader finds the section table through SizeOfOptionalHeader */
	sect_off = opt + opt_size;
	pe->nsect = pe->nsect_decl;
	if (pe->nsect > PE_MAX_SECTIONS) {
		pe_note(pe, "NumberOfSections %u (read %u)", pe->nsect_decl, PE_MAX_SECTIONS);
		pe->nsect = PE_MAX_SECTIONS;
	}
	fit = sect_off <= n ? (n - sect_off) / 40 : 0;
	if (pe->nsect > fit) {
		pe_note(pe, "section table runs past the end of the file");
		pe->nsect = (unsigned)fit;
	}
	pe->raw_end = pe->hdr_size < n ? pe->hdr_size : n;
	if (sect_off + 40u * pe->nsect > pe->raw_end)
		pe->raw_end = sect_off + 40u * pe->nsect;
	for (unsigned i = 0; i < pe->nsect; i++) {
		const uint8_t *h = p + sect_off + 40u * i;
		struct pe_sect *s = &pe->sect[i];
		size_t off;

		for (int k = 0; k < 8; k++)
			s->name[k] = (h[k] >= 0x20 && h[k] < 0x7f) ? (char)h[k] : (h[k] ? '?' : 0);
		s->name[8] = 0;
		s->vsize = le32(h + 8);
		s->va = le32(h + 12);
		s->decl_raw_size = le32(h + 16);
		off = le32(h + 20);
		s->chars = le32(h + 36);
		/* the loader rounds the file offset down to 512 (normal alignment) */
		if (pe->sect_align >= 0x1000)
			off &= ~(size_t)0x1ff;
		s->raw_off = (uint32_t)off;
		if (s->decl_raw_size == 0) {
			s->raw_size = 0;
		} else if (off >= n) {
			pe_note(pe, "section %s starts past the end of the file", s->name);
			s->raw_size = 0;
		} else {
			s->raw_size = s->decl_raw_size <= n - off ? s->decl_raw_size
			                                          : (uint32_t)(n - off);
			if (s->raw_size < s->decl_raw_size)
				pe_note(pe, "section %s is cut short", s->name);
		}
		if (s->raw_size > 0 && off + s->raw_size > pe->raw_end)
			pe->raw_end = off + s->raw_size;
		/* overlapping sections must not multiply the work */
		s->entropy = -1;
		if (s->raw_size <= pe->entropy_left) {
			s->entropy = pe_entropy(p + s->raw_off, s->raw_size);
			pe->entropy_left -= s->raw_size;
		}
	}
	if (pe->raw_end > n)
		pe->raw_end = n;
	return true;
}

/* ---- imports ---- */

static void pe_token(struct pe *pe, const char *t)
{
	if (g_hash_table_size(pe->tokens) >= PE_MAX_TOKENS)
		return;
	if (g_hash_table_contains(pe->tokens, t))
		return;
	t = g_string_chunk_insert(pe->chunk, t);
	g_hash_table_add(pe->tokens, (gpointer)t);
}

static void pe_add_import(struct pe *pe, const char *dll, const char *fn)
{
	pe->n_funcs++;
	if (!g_hash_table_contains(pe->imports, fn))
		g_hash_table_insert(pe->imports, g_string_chunk_insert(pe->chunk, fn),
		                    g_string_chunk_insert_const(pe->chunk, dll));
	pe_token(pe, fn);
}

/* Winsock is often imported by ordinal; its ordinals are fixed */
static const char *pe_ws2_ordinal(unsigned ord)
{
	switch (ord) {
	case 1:
		return "accept";
	case 2:
		return "bind";
	case 3:
		return "closesocket";
	case 4:
		return "connect";
	case 16:
		return "recv";
	case 19:
		return "send";
	case 20:
		return "sendto";
	case 23:
		return "socket";
	case 52:
		return "gethostbyname";
	case 115:
		return "WSAStartup";
	default:
		return NULL;
	}
}

static void pe_thunks(struct pe *pe, const char *dll, uint64_t rva, uint64_t base)
{
	size_t tsz = pe->pe64 ? 8 : 4;
	bool ws2 = g_ascii_strcasecmp(dll, "ws2_32.dll") == 0 ||
	           g_ascii_strcasecmp(dll, "wsock32.dll") == 0;

	for (unsigned j = 0; j < PE_MAX_THUNKS; j++) {
		uint8_t t[8];
		uint64_t v;
		char fn[PE_MAX_NAME];

		if (pe->n_funcs >= PE_MAX_IMPORTS) {
			if (!pe->imports_capped)
				pe_note(pe, "more than %u imports", PE_MAX_IMPORTS);
			pe->imports_capped = true;
			return;
		}
		if (pe->thunk_reads >= PE_MAX_THUNK_READS)
			return;
		pe->thunk_reads++;
		if (!pe_read(pe, rva + (uint64_t)j * tsz, t, tsz))
			return;
		v = pe->pe64 ? le64(t) : le32(t);
		if (v == 0)
			return;
		if (pe->pe64 ? (v >> 63) != 0 : (v >> 31) != 0) {
			const char *name = ws2 ? pe_ws2_ordinal((unsigned)(v & 0xffff)) : NULL;

			if (name != NULL) {
				pe_add_import(pe, dll, name);
			} else {
				g_snprintf(fn, sizeof fn, "#%u", (unsigned)(v & 0xffff));
				pe_add_import(pe, dll, fn);
			}
			continue;
		}
		if (v < base)
			continue;
		v -= base;
		if (v > 0xffffffffu)
			continue;
		if (pe_cstr(pe, v + 2, fn, sizeof fn))
			pe_add_import(pe, dll, fn);
	}
}

static void pe_imports(struct pe *pe)
{
	uint32_t rva = pe->dir[DIR_IMPORT].rva;

	if (rva == 0)
		return;
	for (unsigned i = 0; i < PE_MAX_DLLS; i++) {
		uint8_t d[20];
		char dll[PE_MAX_NAME];
		uint32_t oft, name, ft;
		static const uint8_t zero[20];

		if (!pe_read(pe, (uint64_t)rva + 20u * i, d, sizeof d)) {
			if (i == 0)
				pe_note(pe, "import table outside the file");
			return;
		}
		if (memcmp(d, zero, sizeof d) == 0)
			return;
		oft = le32(d);
		name = le32(d + 12);
		ft = le32(d + 16);
		if (!pe_cstr(pe, name, dll, sizeof dll))
			continue;
		pe->n_dlls++;
		pe_thunks(pe, dll, oft != 0 ? oft : ft, 0);
	}
	pe_note(pe, "more than %u import descriptors", PE_MAX_DLLS);
}

static void pe_delay_imports(struct pe *pe)
{
	uint32_t rva = pe->dir[DIR_DELAY].rva;

	if (rva == 0)
		return;
	for (unsigned i = 0; i < PE_MAX_DLLS; i++) {
		uint8_t d[32];
		char dll[PE_MAX_NAME];
		uint64_t base, name, names;
		unsigned before = pe->n_funcs;
		static const uint8_t zero[32];

		if (!pe_read(pe, (uint64_t)rva + 32u * i, d, sizeof d))
			return;
		if (memcmp(d, zero, sizeof d) == 0)
			return;
		/* version 1 descriptors hold RVAs; the old ones hold VAs */
		base = (le32(d) & 1) ? 0 : pe->image_base;
		name = le32(d + 4);
		names = le32(d + 16);
		if (name < base || names < base)
			continue;
		if (!pe_cstr(pe, name - base, dll, sizeof dll))
			continue;
		pe->n_dlls++;
		pe_thunks(pe, dll, names - base, base);
		pe->n_delay += pe->n_funcs - before;
	}
}

static void pe_exports(struct pe *pe)
{
	uint8_t d[40];
	uint32_t nnames, names;

	if (pe->dir[DIR_EXPORT].rva == 0 || !pe_read(pe, pe->dir[DIR_EXPORT].rva, d, sizeof d))
		return;
	(void)pe_cstr(pe, le32(d + 12), pe->export_name, sizeof pe->export_name);
	nnames = le32(d + 24);
	names = le32(d + 32);
	pe->n_exports = le32(d + 20);
	if (nnames > PE_MAX_EXPORTS) {
		pe_note(pe, "%u exported names (read %u)", nnames, PE_MAX_EXPORTS);
		nnames = PE_MAX_EXPORTS;
	}
	for (uint32_t i = 0; i < nnames; i++) {
		uint8_t r[4];
		char fn[PE_MAX_NAME];

		if (!pe_read(pe, (uint64_t)names + 4u * i, r, 4))
			break;
		if (pe_cstr(pe, le32(r), fn, sizeof fn))
			pe_token(pe, fn);
	}
}

static void pe_tls(struct pe *pe)
{
	uint8_t d[40];
	uint64_t cb;
	size_t psz = pe->pe64 ? 8 : 4;

	if (pe->dir[DIR_TLS].rva == 0 || !pe_read(pe, pe->dir[DIR_TLS].rva, d, pe->pe64 ? 32 : 16))
		return;
	cb = pe->pe64 ? le64(d + 24) : le32(d + 12);
	if (cb == 0)
		return;
	if (cb < pe->image_base) {
		pe_note(pe, "TLS callback table below the image base");
		return;
	}
	cb -= pe->image_base;
	for (unsigned i = 0; i < PE_MAX_TLS; i++) {
		uint8_t v[8];
		uint64_t f;

		if (!pe_read(pe, cb + (uint64_t)i * psz, v, psz))
			break;
		f = pe->pe64 ? le64(v) : le32(v);
		if (f == 0)
			break;
		pe->tls_callbacks++;
	}
}

/* CLR header -> metadata root: "BSJB", version string, streams */
static void pe_clr(struct pe *pe)
{
	uint8_t h[16], root[16];
	uint32_t md, vlen;
	size_t off, avail;

	if (pe->dir[DIR_CLR].rva == 0 || !pe_read(pe, pe->dir[DIR_CLR].rva, h, sizeof h))
		return;
	if (le32(h) < 16) {
		pe_note(pe, "CLR header too small");
		return;
	}
	pe->dotnet = true;
	md = le32(h + 8);
	if (!pe_read(pe, md, root, sizeof root) || le32(root) != 0x424a5342) {
		pe_note(pe, "CLR metadata root missing");
		return;
	}
	vlen = le32(root + 12);
	if (vlen == 0 || vlen > 255 || !pe_rva(pe, (uint64_t)md + 16, &off, &avail) || vlen > avail)
		return;
	{
		size_t k = 0;

		for (size_t i = 0; i < vlen && k + 1 < sizeof pe->clr_version; i++) {
			uint8_t c = pe->p[off + i];

			if (c == 0)
				break;
			pe->clr_version[k++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
		}
		pe->clr_version[k] = 0;
	}
}

/* Authenticode: WIN_CERTIFICATE at a file offset, revision 1 or 2,
 * type PKCS#7 signed data, DER inside. Presence and shape only. */
static void pe_security(struct pe *pe)
{
	size_t off = pe->dir[DIR_SECURITY].rva, size = pe->dir[DIR_SECURITY].size;
	uint32_t len;
	uint16_t rev, type;

	if (off == 0 && size == 0)
		return;
	if (off == 0 || size < 8 || off > pe->n || size > pe->n - off) {
		pe->cert_bad = true;
		return;
	}
	pe->cert_off = off;
	pe->cert_size = size;
	len = le32(pe->p + off);
	rev = le16(pe->p + off + 4);
	type = le16(pe->p + off + 6);
	if (len < 9 || len > size || (rev != 0x100 && rev != 0x200) || type != 2 ||
	    pe->p[off + 8] != 0x30) {
		pe->cert_bad = true;
		return;
	}
	pe->signed_ok = true;
}

/* ---- strings ---- */

static bool pe_printable(uint8_t c)
{
	return (c >= 0x20 && c < 0x7f) || c == '\t';
}

static void pe_add_string(struct pe *pe, const uint8_t *p, size_t n, size_t step)
{
	if (pe->strs.len >= pe->strs.max)
		return;
	for (size_t i = 0; i < n; i += step)
		(void)vbuf_putc(&pe->strs, p[i]);
	(void)vbuf_putc(&pe->strs, '\n');
}

static void pe_scan_range(struct pe *pe, size_t from, size_t to)
{
	const uint8_t *p = pe->p;
	size_t run = 0, i;

	for (i = from; i < to; i++) {
		if (pe_printable(p[i])) {
			run++;
			continue;
		}
		if (run >= PE_MIN_ASCII)
			pe_add_string(pe, p + i - run, run, 1);
		run = 0;
	}
	if (run >= PE_MIN_ASCII)
		pe_add_string(pe, p + i - run, run, 1);
	i = from;
	while (i + 1 < to) {
		size_t j = i;

		while (j + 1 < to && pe_printable(p[j]) && p[j + 1] == 0)
			j += 2;
		if ((j - i) / 2 >= PE_MIN_WIDE) {
			pe_add_string(pe, p + i, j - i, 2);
			i = j;
		} else {
			i = j > i ? j : i + 1;
		}
	}
}

static void pe_strings(struct pe *pe)
{
	size_t n = pe->n < PE_SCAN_BYTES ? pe->n : PE_SCAN_BYTES;
	size_t start = 0;

	/* the certificate's URLs and names say nothing about the program */
	if (pe->signed_ok && pe->cert_off < n) {
		pe_scan_range(pe, 0, pe->cert_off);
		start = pe->cert_size < n - pe->cert_off ? pe->cert_off + pe->cert_size : n;
	}
	pe_scan_range(pe, start, n);
	vbuf_terminate(&pe->strs);
	if (pe->strs.len == 0)
		return;
	pe->lower = ahelp_lower(pe->strs.data, pe->strs.len);
	/* identifiers, for the API lookups */
	{
		const uint8_t *s = pe->strs.data;
		size_t i = 0, m = pe->strs.len;

		while (i < m) {
			size_t j = i;

			while (j < m && ahelp_word(s[j]))
				j++;
			if (j - i >= 3 && j - i <= 64) {
				char t[65];

				memcpy(t, s + i, j - i);
				t[j - i] = 0;
				pe_token(pe, t);
			}
			i = j + 1;
		}
	}
}

/* ---- capabilities ---- */

enum pe_cap {
	CAP_KEYLOG,
	CAP_SCREEN,
	CAP_CLIPBOARD,
	CAP_CREDS,
	CAP_LSASS,
	CAP_AUDIO,
	CAP_VIDEO,
	CAP_PERSIST,
	CAP_NET,
	CAP_EXFIL,
	CAP_ANTI,
	CAP_INJECT,
	CAP__COUNT
};

static const struct {
	finding_kind kind;
	const char *label; /* in pe.spyware's evidence */
	bool spy;          /* counts towards pe.spyware */
} pe_caps[CAP__COUNT] = {
        [CAP_KEYLOG] = {F_PE_KEYLOG, "keylogging", true},
        [CAP_SCREEN] = {F_PE_SCREEN, "screen capture", true},
        [CAP_CLIPBOARD] = {F_PE_CLIPBOARD, "clipboard", true},
        [CAP_CREDS] = {F_PE_CREDS, "stored credentials", true},
        [CAP_LSASS] = {F_PE_LSASS, "LSASS memory", true},
        [CAP_AUDIO] = {F_PE_AUDIO, "microphone", true},
        [CAP_VIDEO] = {F_PE_VIDEO, "webcam", true},
        [CAP_PERSIST] = {F_PE_PERSIST, "persistence", false},
        [CAP_NET] = {F_PE_NETWORK, "network", false},
        [CAP_EXFIL] = {F_PE_EXFIL, "exfiltration", false},
        [CAP_ANTI] = {F_PE_ANTI, "anti-analysis", false},
        [CAP_INJECT] = {F_PE_INJECT, "injection", false},
};

enum pe_ind {
	I_NONE = 0,
	/* keylogging */
	I_ASYNCKEY,
	I_HOOK,
	I_KEYXLATE,
	I_KEYSTATE,
	I_RAWINPUT,
	I_RAWREG,
	I_KBLL,
	I_KEYMARK,
	I_FGWIN,
	/* screen */
	I_BITBLT,
	I_COMPATBMP,
	I_SCREENDC,
	I_IMGOUT,
	I_PRINTWIN,
	I_COPYSCREEN,
	I_SCREENWORD,
	/* clipboard */
	I_OPENCLIP,
	I_GETCLIP,
	I_CLIPLISTEN,
	I_NETCLIP,
	I_GETTEXT,
	/* credentials */
	I_CREDSTORE,
	I_DECRYPT,
	I_CREDENUM,
	I_LSASS,
	I_MINIDUMP,
	I_OPENPROC,
	I_READMEM,
	I_MIMI,
	/* microphone, webcam */
	I_WAVEIN,
	I_MCIREC,
	I_AUDIOLIB,
	I_CAPWIN,
	I_MFSRC,
	I_CAMLIB,
	/* persistence */
	I_RUNKEY,
	I_WINLOGON,
	I_STARTUP,
	I_SERVICE,
	I_SCHTASK,
	/* network */
	I_WININET,
	I_WINHTTP,
	I_URLMON,
	I_SOCK,
	I_NETLIB,
	I_HARDURL,
	I_SMTP,
	I_SMTPLIB,
	I_FTP,
	I_WEBEXFIL,
	/* anti-analysis */
	I_ISDBG,
	I_DBGAPI,
	I_VMART,
	I_TOOLS,
	/* injection */
	I_VAEX,
	I_WPM,
	I_REMTHREAD,
	I_UNMAP,
	I_SETCTX,
	I_RESUME,
	I__COUNT
};

enum { K_API, K_TOKEN, K_PHRASE };

static const struct pe_indicator {
	enum pe_ind id;
	uint8_t kind;
	const char *text;
} pe_inds[] = {
        {I_ASYNCKEY, K_API, "GetAsyncKeyState"},
        {I_HOOK, K_API, "SetWindowsHookEx"},
        {I_KEYXLATE, K_API, "MapVirtualKey"},
        {I_KEYXLATE, K_API, "MapVirtualKeyEx"},
        {I_KEYXLATE, K_API, "ToUnicode"},
        {I_KEYXLATE, K_API, "ToUnicodeEx"},
        {I_KEYXLATE, K_API, "ToAscii"},
        {I_KEYXLATE, K_API, "ToAsciiEx"},
        {I_KEYXLATE, K_API, "GetKeyNameText"},
        {I_KEYSTATE, K_API, "GetKeyState"},
        {I_KEYSTATE, K_API, "GetKeyboardState"},
        {I_RAWINPUT, K_API, "GetRawInputData"},
        {I_RAWREG, K_API, "RegisterRawInputDevices"},
        {I_KBLL, K_TOKEN, "WH_KEYBOARD_LL"},
        {I_KBLL, K_PHRASE, "keylog"},
        {I_KEYMARK, K_PHRASE, "[ENTER]"},
        {I_KEYMARK, K_PHRASE, "[BACKSPACE]"},
        {I_KEYMARK, K_PHRASE, "[BACK]"},
        {I_KEYMARK, K_PHRASE, "[TAB]"},
        {I_KEYMARK, K_PHRASE, "[CAPSLOCK]"},
        {I_KEYMARK, K_PHRASE, "[ESC]"},
        {I_KEYMARK, K_PHRASE, "[DEL]"},
        {I_KEYMARK, K_PHRASE, "[SHIFT]"},
        {I_KEYMARK, K_PHRASE, "[CTRL]"},
        {I_FGWIN, K_API, "GetForegroundWindow"},
        {I_FGWIN, K_API, "GetWindowText"},

        {I_BITBLT, K_API, "BitBlt"},
        {I_BITBLT, K_API, "StretchBlt"},
        {I_COMPATBMP, K_API, "CreateCompatibleBitmap"},
        {I_COMPATBMP, K_API, "CreateDIBSection"},
        {I_SCREENDC, K_API, "GetDesktopWindow"},
        {I_SCREENDC, K_API, "GetWindowDC"},
        {I_SCREENDC, K_API, "GetDC"},
        {I_SCREENDC, K_API, "CreateDC"},
        {I_IMGOUT, K_API, "GetDIBits"},
        {I_IMGOUT, K_API, "GdipSaveImageToFile"},
        {I_IMGOUT, K_API, "GdipSaveImageToStream"},
        {I_IMGOUT, K_API, "GdipCreateBitmapFromHBITMAP"},
        {I_IMGOUT, K_PHRASE, "image/jpeg"},
        {I_PRINTWIN, K_API, "PrintWindow"},
        {I_COPYSCREEN, K_TOKEN, "CopyFromScreen"},
        {I_SCREENWORD, K_PHRASE, "screenshot"},
        {I_SCREENWORD, K_PHRASE, "screen capture"},

        {I_OPENCLIP, K_API, "OpenClipboard"},
        {I_GETCLIP, K_API, "GetClipboardData"},
        {I_CLIPLISTEN, K_API, "AddClipboardFormatListener"},
        {I_CLIPLISTEN, K_API, "SetClipboardViewer"},
        {I_NETCLIP, K_TOKEN, "Clipboard"},
        {I_GETTEXT, K_TOKEN, "GetText"},
        {I_GETTEXT, K_TOKEN, "ContainsText"},

        {I_CREDSTORE, K_PHRASE, "\\Login Data"},
        {I_CREDSTORE, K_PHRASE, "logins.json"},
        {I_CREDSTORE, K_PHRASE, "key4.db"},
        {I_CREDSTORE, K_PHRASE, "key3.db"},
        {I_CREDSTORE, K_PHRASE, "signons.sqlite"},
        {I_CREDSTORE, K_PHRASE, "\\Web Data"},
        {I_CREDSTORE, K_PHRASE, "\\Cookies"},
        {I_CREDSTORE, K_PHRASE, "\\Local State"},
        {I_CREDSTORE, K_PHRASE, "\\Google\\Chrome\\User Data"},
        {I_CREDSTORE, K_PHRASE, "\\Mozilla\\Firefox\\Profiles"},
        {I_CREDSTORE, K_PHRASE, "\\Thunderbird\\Profiles"},
        {I_CREDSTORE, K_PHRASE, "recentservers.xml"},
        {I_CREDSTORE, K_PHRASE, "wallet.dat"},
        {I_DECRYPT, K_API, "CryptUnprotectData"},
        {I_DECRYPT, K_API, "BCryptDecrypt"},
        {I_DECRYPT, K_TOKEN, "ProtectedData"},
        {I_DECRYPT, K_PHRASE, "encrypted_key"},
        {I_DECRYPT, K_PHRASE, "password_value"},
        {I_DECRYPT, K_PHRASE, "encryptedPassword"},
        {I_CREDENUM, K_API, "CredEnumerate"},
        {I_CREDENUM, K_API, "VaultEnumerateItems"},
        {I_LSASS, K_PHRASE, "lsass.exe"},
        {I_LSASS, K_PHRASE, "lsass.dmp"},
        {I_MINIDUMP, K_API, "MiniDumpWriteDump"},
        {I_OPENPROC, K_API, "OpenProcess"},
        {I_READMEM, K_API, "ReadProcessMemory"},
        {I_MIMI, K_PHRASE, "sekurlsa::"},
        {I_MIMI, K_PHRASE, "mimikatz"},

        {I_WAVEIN, K_API, "waveInOpen"},
        {I_WAVEIN, K_API, "waveInStart"},
        {I_MCIREC, K_PHRASE, "type waveaudio"},
        {I_AUDIOLIB, K_TOKEN, "WaveInEvent"},
        {I_AUDIOLIB, K_TOKEN, "WasapiCapture"},
        {I_AUDIOLIB, K_TOKEN, "IAudioCaptureClient"},
        {I_CAPWIN, K_API, "capCreateCaptureWindow"},
        {I_CAPWIN, K_API, "capGetDriverDescription"},
        {I_MFSRC, K_API, "MFEnumDeviceSources"},
        {I_MFSRC, K_API, "MFCreateDeviceSource"},
        {I_CAMLIB, K_TOKEN, "VideoCaptureDevice"},

        {I_RUNKEY, K_PHRASE, "\\CurrentVersion\\Run"},
        {I_WINLOGON, K_PHRASE, "\\CurrentVersion\\Winlogon"},
        {I_STARTUP, K_PHRASE, "\\Start Menu\\Programs\\Startup"},
        {I_STARTUP, K_PHRASE, "shell:startup"},
        {I_SERVICE, K_API, "CreateService"},
        {I_SCHTASK, K_PHRASE, "schtasks"},
        {I_SCHTASK, K_TOKEN, "ITaskService"},
        {I_SCHTASK, K_PHRASE, "Schedule.Service"},

        {I_WININET, K_API, "InternetOpen"},
        {I_WININET, K_API, "InternetOpenUrl"},
        {I_WININET, K_API, "InternetConnect"},
        {I_WININET, K_API, "HttpSendRequest"},
        {I_WININET, K_API, "HttpOpenRequest"},
        {I_WINHTTP, K_API, "WinHttpOpen"},
        {I_WINHTTP, K_API, "WinHttpSendRequest"},
        {I_WINHTTP, K_API, "WinHttpConnect"},
        {I_URLMON, K_API, "URLDownloadToFile"},
        {I_URLMON, K_API, "URLDownloadToCacheFile"},
        {I_URLMON, K_API, "URLOpenBlockingStream"},
        {I_SOCK, K_API, "WSAStartup"},
        {I_SOCK, K_TOKEN, "connect"},
        {I_SOCK, K_TOKEN, "send"},
        {I_NETLIB, K_TOKEN, "WebClient"},
        {I_NETLIB, K_TOKEN, "HttpClient"},
        {I_NETLIB, K_TOKEN, "HttpWebRequest"},
        {I_NETLIB, K_TOKEN, "UploadData"},
        {I_NETLIB, K_TOKEN, "UploadValues"},
        {I_SMTP, K_PHRASE, "MAIL FROM:"},
        {I_SMTP, K_PHRASE, "RCPT TO:"},
        {I_SMTP, K_PHRASE, "AUTH LOGIN"},
        {I_SMTP, K_PHRASE, "EHLO "},
        {I_SMTPLIB, K_TOKEN, "SmtpClient"},
        {I_FTP, K_API, "FtpPutFile"},
        {I_FTP, K_TOKEN, "FtpWebRequest"},
        {I_WEBEXFIL, K_PHRASE, "api.telegram.org"},
        {I_WEBEXFIL, K_PHRASE, "/api/webhooks/"},
        {I_WEBEXFIL, K_PHRASE, "pastebin.com/api"},

        {I_ISDBG, K_API, "IsDebuggerPresent"},
        {I_DBGAPI, K_API, "CheckRemoteDebuggerPresent"},
        {I_DBGAPI, K_API, "NtSetInformationThread"},
        {I_VMART, K_PHRASE, "VBoxService"},
        {I_VMART, K_PHRASE, "VBoxTray"},
        {I_VMART, K_PHRASE, "VBoxGuest"},
        {I_VMART, K_PHRASE, "VBOX__"},
        {I_VMART, K_PHRASE, "vmtoolsd"},
        {I_VMART, K_PHRASE, "vmwaretray"},
        {I_VMART, K_PHRASE, "VMware Tools"},
        {I_VMART, K_PHRASE, "SbieDll.dll"},
        {I_VMART, K_PHRASE, "wine_get_unix_file_name"},
        {I_VMART, K_PHRASE, "qemu-ga"},
        {I_VMART, K_PHRASE, "QEMU HARDDISK"},
        {I_VMART, K_PHRASE, "cuckoomon"},
        {I_TOOLS, K_PHRASE, "ollydbg"},
        {I_TOOLS, K_PHRASE, "x64dbg"},
        {I_TOOLS, K_PHRASE, "x32dbg"},
        {I_TOOLS, K_PHRASE, "idaq.exe"},
        {I_TOOLS, K_PHRASE, "ida64.exe"},
        {I_TOOLS, K_PHRASE, "procmon"},
        {I_TOOLS, K_PHRASE, "wireshark"},
        {I_TOOLS, K_PHRASE, "processhacker"},
        {I_TOOLS, K_PHRASE, "fiddler"},

        {I_VAEX, K_API, "VirtualAllocEx"},
        {I_VAEX, K_API, "NtAllocateVirtualMemory"},
        {I_WPM, K_API, "WriteProcessMemory"},
        {I_WPM, K_API, "NtWriteVirtualMemory"},
        {I_REMTHREAD, K_API, "CreateRemoteThread"},
        {I_REMTHREAD, K_API, "CreateRemoteThreadEx"},
        {I_REMTHREAD, K_API, "NtCreateThreadEx"},
        {I_REMTHREAD, K_API, "RtlCreateUserThread"},
        {I_REMTHREAD, K_API, "QueueUserAPC"},
        {I_UNMAP, K_API, "NtUnmapViewOfSection"},
        {I_UNMAP, K_API, "ZwUnmapViewOfSection"},
        {I_SETCTX, K_API, "SetThreadContext"},
        {I_SETCTX, K_API, "Wow64SetThreadContext"},
        {I_RESUME, K_API, "ResumeThread"},
};

/*
 * A rule fires when every indicator in need[] was seen; need[0] must have
 * been seen with at least min0 different texts. attack: the techniques this
 * rule shows (NULL: the finding's catalogue list).
 */
static const struct pe_rule {
	enum pe_cap cap;
	enum pe_ind need[4];
	unsigned min0;
	const char *attack;
} pe_rules[] = {
        {CAP_KEYLOG, {I_ASYNCKEY, I_KEYXLATE}, 1, NULL},
        {CAP_KEYLOG, {I_KEYMARK, I_ASYNCKEY}, 2, NULL},
        {CAP_KEYLOG, {I_HOOK, I_KEYXLATE}, 1, NULL},
        {CAP_KEYLOG, {I_KBLL, I_HOOK}, 1, NULL},
        {CAP_KEYLOG, {I_KEYMARK, I_HOOK}, 2, NULL},
        {CAP_KEYLOG, {I_RAWINPUT, I_RAWREG, I_KEYXLATE}, 1, NULL},
        {CAP_KEYLOG, {I_KEYMARK, I_KEYSTATE}, 3, NULL},

        {CAP_SCREEN, {I_BITBLT, I_COMPATBMP, I_SCREENDC, I_IMGOUT}, 1, NULL},
        {CAP_SCREEN, {I_PRINTWIN, I_IMGOUT}, 1, NULL},
        {CAP_SCREEN, {I_COPYSCREEN}, 1, NULL},
        {CAP_SCREEN, {I_SCREENWORD, I_BITBLT, I_COMPATBMP}, 1, NULL},

        {CAP_CLIPBOARD, {I_OPENCLIP, I_GETCLIP}, 1, NULL},
        {CAP_CLIPBOARD, {I_CLIPLISTEN, I_GETCLIP}, 1, NULL},
        {CAP_CLIPBOARD, {I_NETCLIP, I_GETTEXT}, 1, NULL},

        {CAP_CREDS, {I_CREDSTORE, I_DECRYPT}, 1, "T1555.003"},
        {CAP_CREDS, {I_CREDSTORE}, 3, "T1555.003"},
        {CAP_CREDS, {I_CREDENUM}, 1, "T1555.004"},
        {CAP_LSASS, {I_LSASS, I_MINIDUMP}, 1, NULL},
        {CAP_LSASS, {I_LSASS, I_OPENPROC, I_READMEM}, 1, NULL},
        {CAP_LSASS, {I_MIMI}, 1, NULL},

        {CAP_AUDIO, {I_WAVEIN}, 1, NULL},
        {CAP_AUDIO, {I_MCIREC}, 1, NULL},
        {CAP_AUDIO, {I_AUDIOLIB}, 1, NULL},
        {CAP_VIDEO, {I_CAPWIN}, 1, NULL},
        {CAP_VIDEO, {I_MFSRC}, 1, NULL},
        {CAP_VIDEO, {I_CAMLIB}, 1, NULL},

        {CAP_PERSIST, {I_RUNKEY}, 1, "T1547.001"},
        {CAP_PERSIST, {I_WINLOGON}, 1, "T1547.004"},
        {CAP_PERSIST, {I_STARTUP}, 1, "T1547.001"},
        {CAP_PERSIST, {I_SERVICE}, 1, "T1543.003"},
        {CAP_PERSIST, {I_SCHTASK}, 1, "T1053.005"},

        {CAP_NET, {I_WININET}, 1, "T1071.001"},
        {CAP_NET, {I_WINHTTP}, 1, "T1071.001"},
        {CAP_NET, {I_URLMON}, 1, "T1105"},
        {CAP_NET, {I_NETLIB}, 1, "T1071.001"},
        {CAP_NET, {I_SOCK, I_HARDURL}, 1, "T1095"},
        {CAP_EXFIL, {I_SMTP}, 2, "T1048.003,T1071.003"},
        {CAP_EXFIL, {I_SMTPLIB}, 1, "T1048.003,T1071.003"},
        {CAP_EXFIL, {I_FTP}, 1, "T1048.003"},
        {CAP_EXFIL, {I_WEBEXFIL}, 1, "T1567"},

        {CAP_ANTI, {I_VMART}, 2, "T1497.001"},
        {CAP_ANTI, {I_TOOLS}, 2, "T1497.001"},
        {CAP_ANTI, {I_DBGAPI, I_ISDBG}, 1, "T1622"},

        {CAP_INJECT, {I_VAEX, I_WPM, I_REMTHREAD}, 1, "T1055.002"},
        {CAP_INJECT, {I_UNMAP, I_WPM}, 1, "T1055.012"},
        {CAP_INJECT, {I_UNMAP, I_SETCTX}, 1, "T1055.012"},
        {CAP_INJECT, {I_SETCTX, I_WPM, I_RESUME}, 1, "T1055.012"},
};

struct pe_hits {
	const char *first[I__COUNT]; /* first text seen per indicator */
	unsigned distinct[I__COUNT];
	bool entry[G_N_ELEMENTS(pe_inds)]; /* which table entries were seen */
};

static bool pe_has_api(const struct pe *pe, const char *name)
{
	char t[PE_MAX_NAME];
	size_t l = strlen(name);

	if (g_hash_table_contains(pe->tokens, name))
		return true;
	if (l + 2 > sizeof t)
		return false;
	memcpy(t, name, l);
	t[l + 1] = 0;
	t[l] = 'A';
	if (g_hash_table_contains(pe->tokens, t))
		return true;
	t[l] = 'W';
	return g_hash_table_contains(pe->tokens, t);
}

static bool pe_has_phrase(const struct pe *pe, const char *text)
{
	char lo[96];
	size_t l = strlen(text);

	if (pe->lower == NULL || l >= sizeof lo)
		return false;
	for (size_t i = 0; i <= l; i++)
		lo[i] = g_ascii_tolower(text[i]);
	return ahelp_find(pe->lower, pe->strs.len, 0, lo) >= 0;
}

static void pe_match(const struct pe *pe, struct pe_hits *h)
{
	memset(h, 0, sizeof *h);
	for (size_t i = 0; i < G_N_ELEMENTS(pe_inds); i++) {
		const struct pe_indicator *d = &pe_inds[i];
		bool hit = false;

		switch (d->kind) {
		case K_API:
			hit = pe_has_api(pe, d->text);
			break;
		case K_TOKEN:
			hit = g_hash_table_contains(pe->tokens, d->text);
			break;
		default:
			hit = pe_has_phrase(pe, d->text);
			break;
		}
		if (!hit)
			continue;
		if (h->first[d->id] == NULL)
			h->first[d->id] = d->text;
		h->distinct[d->id]++;
		h->entry[i] = true;
	}
	if (pe->urls > 0) {
		h->first[I_HARDURL] = pe->first_url;
		h->distinct[I_HARDURL] = pe->urls;
	}
}

static bool pe_rule_fires(const struct pe_rule *r, const struct pe_hits *h)
{
	for (int k = 0; k < 4 && r->need[k] != I_NONE; k++)
		if (h->distinct[r->need[k]] < (k == 0 ? r->min0 : 1u))
			return false;
	return true;
}

/* "a, b" without repeats, bounded */
static void pe_list_add(vbuf *b, const char *item)
{
	size_t l;

	if (item == NULL)
		return;
	l = strlen(item);
	if (b->len > 0) {
		const char *s = (const char *)b->data;
		const char *at = g_strstr_len(s, (gssize)b->len, item);

		while (at != NULL) {
			bool start = at == s || (at >= s + 2 && at[-1] == ' ' && at[-2] == ',');
			bool end = (size_t)(at - s) + l == b->len || at[l] == ',';

			if (start && end)
				return;
			at = g_strstr_len(at + 1, (gssize)(b->len - (size_t)(at + 1 - s)), item);
		}
		(void)vbuf_append(b, ", ", 2);
	}
	(void)vbuf_append(b, item, l);
	vbuf_terminate(b);
}

static void pe_capabilities(vigil_scan *s, vigil_object *o, struct pe *pe, bool packed)
{
	struct pe_hits h;
	vbuf ev[CAP__COUNT], att[CAP__COUNT];
	bool fired[CAP__COUNT] = {false};
	vbuf spy;
	unsigned nspy = 0;

	pe_match(pe, &h);
	for (int c = 0; c < CAP__COUNT; c++) {
		vbuf_init(&ev[c], PE_EVIDENCE);
		vbuf_init(&att[c], 128);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(pe_rules); i++) {
		const struct pe_rule *r = &pe_rules[i];

		if (!pe_rule_fires(r, &h))
			continue;
		fired[r->cap] = true;
		for (int k = 0; k < 4 && r->need[k] != I_NONE; k++) {
			if (r->need[k] == I_HARDURL) {
				pe_list_add(&ev[r->cap], h.first[I_HARDURL]);
				continue;
			}
			for (size_t e = 0; e < G_N_ELEMENTS(pe_inds); e++)
				if (h.entry[e] && pe_inds[e].id == r->need[k])
					pe_list_add(&ev[r->cap], pe_inds[e].text);
		}
		if (r->attack != NULL) {
			gchar **ids = g_strsplit(r->attack, ",", 0);

			for (gchar **id = ids; *id != NULL; id++)
				pe_list_add(&att[r->cap], *id);
			g_strfreev(ids);
		}
	}
	vbuf_init(&spy, PE_EVIDENCE);
	for (int c = 0; c < CAP__COUNT; c++) {
		char *attack;

		if (!fired[c])
			continue;
		/* "a, b" -> "a,b" for the ATT&CK list */
		attack = att[c].len ? g_strndup((const char *)att[c].data, att[c].len) : NULL;
		if (attack != NULL) {
			char *w = attack;

			for (char *r = attack; *r; r++)
				if (*r != ' ')
					*w++ = *r;
			*w = 0;
		}
		ahelp_finding(s, o, pe_caps[c].kind, attack, "%s",
		              ev[c].len ? (const char *)ev[c].data : "");
		g_free(attack);
		if (pe_caps[c].spy) {
			nspy++;
			pe_list_add(&spy, pe_caps[c].label);
		}
	}
	if (nspy >= 2 && (fired[CAP_NET] || fired[CAP_EXFIL]))
		ahelp_finding(s, o, F_PE_SPYWARE, NULL, "%s; sends data out (%s)%s%s",
		              (const char *)spy.data,
		              fired[CAP_EXFIL] ? (const char *)ev[CAP_EXFIL].data
		                               : (const char *)ev[CAP_NET].data,
		              pe->signed_ok ? "" : "; unsigned", packed ? "; packed" : "");
	vbuf_free(&spy);
	for (int c = 0; c < CAP__COUNT; c++) {
		vbuf_free(&ev[c]);
		vbuf_free(&att[c]);
	}
}

/* ---- structure findings ---- */

static const char *const pe_packer_sections[] = {
        "UPX0",     "UPX1",     "UPX2",     "UPX!",     ".aspack",  ".adata",
        ".MPRESS1", ".MPRESS2", ".petite",  "PEC2",     "PEC2TO",   ".nsp0",
        ".nsp1",    ".nsp2",    "FSG!",     ".themida", ".winlice", ".vmp0",
        ".vmp1",    ".vmp2",    ".enigma1", ".enigma2", "MEW",      ".packed",
        ".RLPack",  "kkrunchy", ".perplex", ".spack",   NULL};

static bool pe_packed(struct pe *pe, vbuf *why)
{
	bool strong = false;
	unsigned high = 0;
	const struct pe_sect *hs = NULL;

	for (unsigned i = 0; i < pe->nsect; i++) {
		const struct pe_sect *s = &pe->sect[i];

		for (const char *const *k = pe_packer_sections; *k != NULL; k++) {
			if (strcmp(s->name, *k) == 0) {
				vbuf_printf(why, "%spacker section %s", why->len ? "; " : "",
				            s->name);
				strong = true;
				break;
			}
		}
		if (s->raw_size >= 4096 && s->entropy >= PE_HIGH_ENTROPY) {
			high++;
			if (hs == NULL)
				hs = s;
		}
	}
	if (pe->dotnet) {
		/* .NET programs import one function and keep compressed
		 * resources: only obfuscator marks count */
		if (pe_has_phrase(pe, "ConfusedByAttribute") || pe_has_phrase(pe, "ConfuserEx")) {
			vbuf_printf(why, "%sConfuserEx obfuscator", why->len ? "; " : "");
			strong = true;
		}
		return strong;
	}
	if (hs != NULL && pe->n_funcs <= 40) {
		vbuf_printf(why, "%shigh-entropy section %s (%.2f) with %u imports",
		            why->len ? "; " : "", hs->name, hs->entropy, pe->n_funcs);
		strong = true;
	}
	{
		bool gpa = g_hash_table_contains(pe->imports, "GetProcAddress");
		bool ll = g_hash_table_contains(pe->imports, "LoadLibraryA") ||
		          g_hash_table_contains(pe->imports, "LoadLibraryW") ||
		          g_hash_table_contains(pe->imports, "LoadLibraryExA") ||
		          g_hash_table_contains(pe->imports, "LoadLibraryExW");

		if (gpa && ll && pe->n_funcs <= 8) {
			vbuf_printf(why, "%sonly %u imports, resolving the rest at run time",
			            why->len ? "; " : "", pe->n_funcs);
			if (pe->n_funcs <= 4 || high > 0)
				strong = true;
		}
	}
	for (unsigned i = 0; i < pe->nsect; i++) {
		const struct pe_sect *s = &pe->sect[i];

		if (s->decl_raw_size == 0 && s->vsize >= 0x10000 && (s->chars & SCN_EXEC) &&
		    high > 0) {
			vbuf_printf(why, "%sempty executable section %s filled at run time",
			            why->len ? "; " : "", s->name);
			strong = true;
			break;
		}
	}
	return strong;
}

static const struct pe_sect *pe_section_of(const struct pe *pe, uint32_t rva)
{
	for (unsigned i = 0; i < pe->nsect; i++) {
		const struct pe_sect *s = &pe->sect[i];
		uint32_t span = s->vsize > s->decl_raw_size ? s->vsize : s->decl_raw_size;

		if (rva >= s->va && rva - s->va < span)
			return s;
	}
	return NULL;
}

static void pe_entry(vigil_scan *s, vigil_object *o, const struct pe *pe)
{
	const struct pe_sect *sec;

	if (pe->entry == 0)
		return;
	sec = pe_section_of(pe, pe->entry);
	if (sec == NULL)
		ahelp_finding(s, o, F_PE_ENTRY, NULL, "entry point 0x%x is %s", pe->entry,
		              pe->entry < pe->hdr_size ? "in the headers"
		                                       : "outside every section");
	else if (!(sec->chars & (SCN_CODE | SCN_EXEC)))
		ahelp_finding(s, o, F_PE_ENTRY, NULL,
		              "entry point 0x%x in section %s, which is not code (flags 0x%08x)",
		              pe->entry, sec->name, sec->chars);
}

static const char *pe_machine(uint16_t m)
{
	switch (m) {
	case 0x14c:
		return "x86";
	case 0x8664:
		return "x86-64";
	case 0x1c0:
		return "ARM";
	case 0x1c4:
		return "ARMv7";
	case 0xaa64:
		return "ARM64";
	case 0x200:
		return "IA-64";
	default:
		return "unknown machine";
	}
}

static const char *pe_subsystem(uint16_t s)
{
	switch (s) {
	case 1:
		return "native";
	case 2:
		return "GUI";
	case 3:
		return "console";
	case 10:
	case 11:
	case 12:
		return "EFI";
	default:
		return "other";
	}
}

static void pe_summary(vigil_scan *s, vigil_object *o, const struct pe *pe, size_t overlay)
{
	vbuf b;
	const struct pe_sect *es = pe_section_of(pe, pe->entry);
	char date[16] = "?";
	time_t t = (time_t)pe->timestamp;
	struct tm tm;

	if (pe->timestamp != 0 && gmtime_r(&t, &tm) != NULL)
		(void)strftime(date, sizeof date, "%Y-%m-%d", &tm);
	vbuf_init(&b, PE_EVIDENCE);
	vbuf_printf(&b, "%s %s %s %s; %u imports from %u DLL%s", pe->pe64 ? "PE32+" : "PE32",
	            pe_machine(pe->machine), pe_subsystem(pe->subsystem),
	            pe->dll ? "DLL" : "program", pe->n_funcs, pe->n_dlls,
	            pe->n_dlls == 1 ? "" : "s");
	if (pe->n_delay)
		vbuf_printf(&b, " (%u delay-loaded)", pe->n_delay);
	if (pe->n_exports)
		vbuf_printf(&b, "; %u exports%s%s", pe->n_exports, pe->export_name[0] ? " of " : "",
		            pe->export_name);
	vbuf_printf(&b, "; entry in %s; built %s", es ? es->name : "-", date);
	if (pe->dir[DIR_RESOURCE].size)
		vbuf_printf(&b, "; resources %u bytes", pe->dir[DIR_RESOURCE].size);
	if (overlay)
		vbuf_printf(&b, "; overlay %zu bytes", overlay);
	vbuf_printf(&b, "; %s; sections:", pe->signed_ok ? "signed" : "unsigned");
	for (unsigned i = 0; i < pe->nsect; i++) {
		const struct pe_sect *sec = &pe->sect[i];

		if (sec->entropy < 0)
			vbuf_printf(&b, " %s ?", sec->name[0] ? sec->name : "-");
		else
			vbuf_printf(&b, " %s %.1f", sec->name[0] ? sec->name : "-", sec->entropy);
	}
	vbuf_terminate(&b);
	ahelp_finding(s, o, F_PE_SUMMARY, NULL, "%s", (const char *)b.data);
	vbuf_free(&b);
}

/* the bytes after the last section, without the signature */
static void pe_overlay(vigil_scan *s, vigil_object *o, const struct pe *pe, size_t *olen)
{
	size_t start = pe->raw_end, end = pe->n;
	const char *type;
	vchild c = {0};
	uint8_t *copy;

	*olen = 0;
	if (pe->signed_ok && pe->cert_off >= start)
		end = pe->cert_off;
	if (start >= end)
		return;
	*olen = end - start;
	type = ftype_detect(pe->p + start, end - start, NULL);
	ahelp_finding(s, o, F_PE_OVERLAY, NULL,
	              "%zu bytes after the last section at offset %zu (%s)", end - start, start,
	              type);
	/* an appended archive or program is scanned as an object of its own */
	if (strcmp(type, "binary") == 0 || strcmp(type, "text") == 0 || strcmp(type, "empty") == 0)
		return;
	if (end - start > vscan_room(s, o, NULL))
		return;
	copy = malloc(end - start);
	if (copy == NULL)
		return;
	memcpy(copy, pe->p + start, end - start);
	c.seg = "overlay";
	c.data = copy;
	c.len = end - start;
	(void)vscan_emit(s, o, &c);
}

static void pe_analyze(vigil_scan *s, vigil_object *o)
{
	struct pe pe;
	size_t overlay = 0;
	bool packed = false;

	if (o->data == NULL || o->len == 0)
		return;
	memset(&pe, 0, sizeof pe);
	pe.p = o->data;
	pe.n = o->len;
	pe.entropy_left = PE_ENTROPY_BUDGET;
	vbuf_init(&pe.notes, 400);
	vbuf_init(&pe.strs, PE_MAX_STRINGS);
	pe.chunk = g_string_chunk_new(4096);
	pe.imports = g_hash_table_new(g_str_hash, g_str_equal);
	pe.tokens = g_hash_table_new(g_str_hash, g_str_equal);

	pe.parsed = pe_headers(&pe);
	if (pe.parsed) {
		pe_security(&pe);
		pe_imports(&pe);
		pe_delay_imports(&pe);
		pe_exports(&pe);
		pe_tls(&pe);
		pe_clr(&pe);
	}
	pe_strings(&pe);
	if (pe.strs.len > 0)
		pe.urls = ahelp_url_facts(s, pe.strs.data, pe.strs.len, &pe.first_url);

	if (pe.parsed) {
		vbuf why;

		pe_overlay(s, o, &pe, &overlay);
		pe_summary(s, o, &pe, overlay);
		if (pe.dotnet)
			ahelp_finding(s, o, F_PE_DOTNET, NULL, "managed assembly, runtime %s",
			              pe.clr_version[0] ? pe.clr_version : "?");
		if (pe.signed_ok)
			ahelp_finding(s, o, F_PE_SIGNED, NULL,
			              "Authenticode signature present, %zu bytes at offset %zu "
			              "(not verified)",
			              pe.cert_size, pe.cert_off);
		else if (pe.cert_bad)
			ahelp_finding(s, o, F_PE_BAD_SIGNATURE, NULL,
			              "security directory offset %u size %u is not a valid "
			              "certificate table",
			              pe.dir[DIR_SECURITY].rva, pe.dir[DIR_SECURITY].size);
		vbuf_init(&why, PE_EVIDENCE);
		packed = pe_packed(&pe, &why);
		if (packed) {
			vbuf_terminate(&why);
			ahelp_finding(s, o, F_PE_PACKED, NULL, "%s", (const char *)why.data);
		}
		vbuf_free(&why);
		pe_entry(s, o, &pe);
		if (pe.tls_callbacks)
			ahelp_finding(s, o, F_PE_TLS, NULL,
			              "%u TLS callback(s) run before the entry point",
			              pe.tls_callbacks);
	}
	/* a PE signature without usable headers is a stub or a cut file, not
	 * an evasion; lies in headers that parsed are worth a low finding */
	if (pe.notes.len > 0 && strcmp(o->type, "pe") == 0)
		ahelp_finding(s, o, pe.parsed ? F_PE_MALFORMED : F_PE_INCOMPLETE, NULL, "%s",
		              (const char *)pe.notes.data);
	pe_capabilities(s, o, &pe, packed);

	g_free(pe.first_url);
	free(pe.lower);
	vbuf_free(&pe.strs);
	vbuf_free(&pe.notes);
	g_hash_table_destroy(pe.imports);
	g_hash_table_destroy(pe.tokens);
	g_string_chunk_free(pe.chunk);
}

static const char *const pe_types[] = {"pe", "mz", NULL};
const analyzer pe_analyzer = {"pe", pe_types, pe_analyze, false};
