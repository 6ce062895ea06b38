/*
 * vba.c - VBA macros in Office documents (MS-OVBA): what they would do when
 * the document is opened.
 *
 * A VBA project is an OLE2 storage "VBA" (".doc": Macros/VBA, ".xls":
 * _VBA_PROJECT_CUR/VBA, ".docm/.xlsm/.pptm": the OLE2 file vbaProject.bin,
 * ".ppt": an ExOleObjStg OLE2 object) holding a compressed "dir" stream that
 * lists the modules, and one stream per module: compiled p-code (the
 * performance cache) followed, from MODULEOFFSET on, by the compressed
 * source text.
 *
 * How the streams reach us: ole.c emits every stream as a child of the OLE2
 * object and the engine releases a child's bytes once its own subtree is
 * done. Rather than opening the compound file a second time with libgsf
 * (a second parse of hostile bytes, and ole.c's guards against libgsf's
 * recursion and log noise would have to be repeated), vba_collect() copies
 * the streams of every "VBA" storage into a scan note while they pass by
 * (at most VBA_MAX_KEEP bytes per scan; __SRP_ caches are skipped), and
 * vba_project(), an after-analyzer on "ole2", reads them once the OLE2
 * object's children are all done, then drops them.
 *
 * For each module the source is decompressed (MS-OVBA 2.4.1, bounded by
 * vscan_room()), converted from the project's code page to UTF-8 and
 * emitted as a text child ".../VBA/Module1.bas" (".cls" for document and
 * class modules), so YARA rules and the URL analyzer see it. The code is
 * then classified in the spirit of mraptor, with our own keyword lists:
 * auto-exec triggers, write and execute capabilities, downloads,
 * obfuscation, and indicators (URLs become message facts). Findings about
 * the project are made on the OLE2 object; evidence names the module and
 * quotes the line.
 *
 * VBA stomping (macro.stomped): Office runs the p-code when the VBA version
 * matches and never looks at the source, so tools (EvilClippy) replace the
 * source with something harmless or nothing. The p-code keeps string
 * literals and comments as plain bytes; the module's source must contain
 * each of them. So every printable run of VBA_STOMP_RUN or more bytes in the
 * p-code part that looks like text (enough letters, four in a row) is
 * looked up in the module's source (with "" unescaped); its ends are
 * trimmed first because opcode and length bytes next to a literal may be
 * printable. One literal missing from the source is the finding. The
 * identifier table in _VBA_PROJECT is not used: it keeps names of code
 * deleted long ago, so comparing it with the source flags honest documents.
 * A module whose source is empty but whose p-code holds no text is not
 * flagged: an empty document module has about 1 KiB of p-code too.
 *
 * Limits: VBA_MAX_KEEP bytes of streams kept per scan, VBA_MAX_STREAMS
 * streams per OLE2 file, a dir stream of at most VBA_MAX_DIR bytes once
 * decompressed and VBA_MAX_RECORDS records, VBA_MAX_MODULES modules, a
 * logical line of at most VBA_MAX_TOKENS tokens (the rest of it is still
 * scanned, as a new line); evidence strings are bounded.
 */
#include "office.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../../util/bytes.h"
#include "../../util/vbuf.h"

#define VBA_NOTE "vba.streams"
#define VBA_MAX_KEEP (64u << 20)
#define VBA_MAX_STREAMS 2048
#define VBA_MAX_DIR (1u << 20)
#define VBA_MAX_RECORDS 100000
#define VBA_MAX_MODULES 1024
#define VBA_MAX_TOKENS 4096
#define VBA_MAX_EVIDENCE 160
#define VBA_STOMP_RUN 10
#define VBA_STOMP_MAX_RUNS 64 /* each is searched in the whole source */
#define VBA_CHR_LINE 6        /* unusual Chr() calls in one statement: obfuscation */
#define VBA_CHR_TOTAL 24      /* ... in the whole project */
#define VBA_SHORT_CONCAT 10
#define VBA_HEX_RUN 64
#define VBA_B64_RUN 100

/* ---- collecting the streams (scan note) ---- */

struct vba_stream {
	char *rel; /* path inside the OLE2 file: "Macros/VBA/dir" */
	uint8_t *data;
	size_t len;
	bool cut; /* the stream object was truncated by a limit */
};

/* the streams kept for one OLE2 file */
struct vba_file {
	GPtrArray *streams; /* struct vba_stream* */
	bool over;          /* some were not kept (VBA_MAX_KEEP, VBA_MAX_STREAMS) */
};

struct vba_keep {
	GHashTable *by_ole; /* OLE2 object index -> struct vba_file* */
	size_t bytes;
};

static void vba_stream_free(gpointer p)
{
	struct vba_stream *v = p;

	g_free(v->rel);
	g_free(v->data);
	g_free(v);
}

static void vba_file_free(gpointer p)
{
	struct vba_file *f = p;

	g_ptr_array_unref(f->streams);
	g_free(f);
}

static void vba_keep_free(gpointer p)
{
	struct vba_keep *k = p;

	g_hash_table_destroy(k->by_ole);
	g_free(k);
}

/* "Macros/VBA/Module1": true when the storage holding the stream is "VBA" */
static bool vba_in_storage(const char *rel, const char **leaf)
{
	const char *slash = strrchr(rel, '/'), *base;

	if (slash == NULL)
		return false;
	base = slash;
	while (base > rel && base[-1] != '/')
		base--;
	*leaf = slash + 1;
	return slash - base == 3 && g_ascii_strncasecmp(base, "VBA", 3) == 0;
}

static void vba_collect(vigil_scan *s, vigil_object *o)
{
	vigil_object *ole = NULL;
	const char *rel = office_rel(s, o, "ole2", &ole), *leaf;
	struct vba_keep *k;
	struct vba_stream *v;
	struct vba_file *file;

	if (rel == NULL || !vba_in_storage(rel, &leaf) || o->data == NULL)
		return;
	/* the performance caches of forms and modules are not needed */
	if (g_ascii_strncasecmp(leaf, "__SRP_", 6) == 0)
		return;
	k = vscan_note(s, VBA_NOTE);
	if (k == NULL) {
		k = g_new0(struct vba_keep, 1);
		k->by_ole =
		        g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, vba_file_free);
		vscan_note_set(s, VBA_NOTE, k, vba_keep_free);
	}
	file = g_hash_table_lookup(k->by_ole, GSIZE_TO_POINTER(ole->index));
	if (file == NULL) {
		file = g_new0(struct vba_file, 1);
		file->streams = g_ptr_array_new_with_free_func(vba_stream_free);
		g_hash_table_insert(k->by_ole, GSIZE_TO_POINTER(ole->index), file);
	}
	if (o->len > VBA_MAX_KEEP - k->bytes || file->streams->len >= VBA_MAX_STREAMS) {
		file->over = true;
		return;
	}
	v = g_new0(struct vba_stream, 1);
	v->rel = g_strdup(rel);
	v->data = g_memdup2(o->data, o->len > 0 ? o->len : 1);
	v->len = o->len;
	v->cut = (o->flags & VIGIL_OBJ_TRUNCATED) != 0;
	k->bytes += o->len;
	g_ptr_array_add(file->streams, v);
}

/* ---- MS-OVBA 2.4.1: decompression ---- */

/* smallest b >= 4 with 2^b >= d (CopyToken help, 2.4.1.3.19.1) */
static unsigned vba_bitcount(size_t d)
{
	unsigned b = 4;

	while (b < 12 && ((size_t)1 << b) < d)
		b++;
	return b;
}

enum { VBA_DEC_OK = 0, VBA_DEC_DAMAGED, VBA_DEC_FULL };

/*
 * Decompresses the CompressedContainer p[0..n) into out. Returns
 * VBA_DEC_FULL when out->max stopped it, VBA_DEC_DAMAGED when the container
 * is invalid or cut short (out keeps what was decoded before).
 */
static int vba_decompress(const uint8_t *p, size_t n, vbuf *out)
{
	size_t i = 1;
	bool cut = false;

	if (n == 0 || p[0] != 0x01)
		return VBA_DEC_DAMAGED;
	while (2 <= n - i) {
		uint16_t h = le16(p + i);
		size_t size = (size_t)(h & 0x0FFF) + 3, end, start = out->len;

		if (((h >> 12) & 7) != 3)
			return VBA_DEC_DAMAGED;
		if (size > n - i)
			cut = true; /* the last chunk is cut short: decode what is there */
		end = size <= n - i ? i + size : n;
		i += 2;
		if (!(h & 0x8000)) {
			/* an uncompressed chunk: 4096 bytes as they are */
			size_t k = end - i < 4096 ? end - i : 4096;

			if (vbuf_append(out, p + i, k) != VBUF_OK)
				return VBA_DEC_FULL;
			i = end;
			continue;
		}
		while (i < end) {
			uint8_t flags = p[i++];

			for (int b = 0; b < 8 && i < end; b++) {
				size_t diff = out->len - start;

				if (!(flags & (1u << b))) {
					if (diff >= 4096)
						return VBA_DEC_DAMAGED;
					if (vbuf_putc(out, p[i++]) != VBUF_OK)
						return VBA_DEC_FULL;
				} else {
					uint16_t t;
					unsigned bits;
					size_t len, off;

					if (2 > end - i)
						return VBA_DEC_DAMAGED;
					t = le16(p + i);
					i += 2;
					bits = vba_bitcount(diff);
					len = (size_t)(t & (0xFFFFu >> bits)) + 3;
					off = (size_t)(t >> (16 - bits)) + 1;
					if (off > diff || len > 4096 - diff)
						return VBA_DEC_DAMAGED;
					for (size_t k = 0; k < len; k++)
						if (vbuf_putc(out, out->data[out->len - off]) !=
						    VBUF_OK)
							return VBA_DEC_FULL;
				}
			}
		}
	}
	return i == n && !cut ? VBA_DEC_OK : VBA_DEC_DAMAGED;
}

/* ---- code pages ---- */

/* bytes in the project's code page -> UTF-8 (NULL if it cannot be converted) */
static char *vba_to_utf8(const uint8_t *p, size_t n, unsigned cp, size_t *outlen)
{
	char cs[24];
	gsize out = 0;
	char *r;

	if (cp == 65001) {
		if (!g_utf8_validate((const char *)p, (gssize)n, NULL))
			return NULL;
		r = g_strndup((const char *)p, n);
		*outlen = n;
		return r;
	}
	if (cp == 1200)
		g_strlcpy(cs, "UTF-16LE", sizeof cs);
	else if (cp == 10000)
		g_strlcpy(cs, "MACINTOSH", sizeof cs);
	else if (cp == 20127)
		g_strlcpy(cs, "ASCII", sizeof cs);
	else
		g_snprintf(cs, sizeof cs, "CP%u", cp);
	r = g_convert((const char *)p, (gssize)n, "UTF-8", cs, NULL, &out, NULL);
	if (r == NULL && cp != 1252)
		r = g_convert((const char *)p, (gssize)n, "UTF-8", "CP1252", NULL, &out, NULL);
	if (r != NULL)
		*outlen = out;
	return r;
}

static char *vba_name(const uint8_t *p, size_t n, unsigned cp, bool utf16)
{
	size_t l = 0;
	char *u, *r;

	if (utf16) {
		u = g_convert((const char *)p, (gssize)(n & ~(size_t)1), "UTF-8", "UTF-16LE", NULL,
		              NULL, NULL);
	} else {
		u = vba_to_utf8(p, n, cp, &l);
	}
	if (u == NULL)
		return vstr_printable(p, n, 256);
	r = vstr_sanitize(u, 256);
	g_free(u);
	return r;
}

/* ---- MS-OVBA 2.3.4.2: the dir stream ---- */

struct vba_module {
	char *name;   /* MODULENAME(UNICODE), UTF-8 */
	char *stream; /* MODULESTREAMNAME(UNICODE), UTF-8 */
	uint32_t offset;
	bool has_offset;
	bool procedural; /* MODULETYPE 0x0021; 0x0022 = document/class */
};

struct vba_dir {
	unsigned codepage;
	GPtrArray *modules; /* struct vba_module* */
	bool damaged;
	bool too_many;
};

static void vba_module_free(gpointer p)
{
	struct vba_module *m = p;

	g_free(m->name);
	g_free(m->stream);
	g_free(m);
}

/*
 * Every record is Id (2), Size (4), data (Size), except PROJECTVERSION
 * (0x0009) whose Size field is a reserved 4 followed by 6 bytes of data.
 * Module records are taken in order; MODULENAME starts a module and the
 * Terminator (0x002B) ends it. Unknown records are skipped by their size, so
 * records of later versions (PROJECTCOMPATVERSION) do no harm.
 */
static void vba_dir_parse(const uint8_t *p, size_t n, struct vba_dir *d)
{
	size_t off = 0;
	unsigned records = 0;
	struct vba_module *m = NULL;

	d->codepage = 1252;
	while (6 <= n - off) {
		uint16_t id = le16(p + off);
		uint32_t size = le32(p + off + 2);
		const uint8_t *v = p + off + 6;

		if (++records > VBA_MAX_RECORDS) {
			d->damaged = true;
			break;
		}
		if (id == 0x0009)
			size = 6;
		if (size > n - off - 6) {
			d->damaged = true;
			break;
		}
		off += 6 + (size_t)size;
		switch (id) {
		case 0x0003: /* PROJECTCODEPAGE */
			if (size >= 2 && le16(v) != 0)
				d->codepage = le16(v);
			break;
		case 0x0019: /* MODULENAME: a new module */
			if (m != NULL)
				g_ptr_array_add(d->modules, m);
			m = NULL;
			if (d->modules->len >= VBA_MAX_MODULES) {
				d->too_many = true;
				goto out;
			}
			m = g_new0(struct vba_module, 1);
			m->name = vba_name(v, size, d->codepage, false);
			break;
		case 0x0047: /* MODULENAMEUNICODE */
			if (m != NULL && size > 0) {
				g_free(m->name);
				m->name = vba_name(v, size, d->codepage, true);
			}
			break;
		case 0x001A: /* MODULESTREAMNAME */
			if (m != NULL) {
				g_free(m->stream);
				m->stream = vba_name(v, size, d->codepage, false);
			}
			break;
		case 0x0032: /* MODULESTREAMNAMEUNICODE */
			if (m != NULL && size > 0) {
				g_free(m->stream);
				m->stream = vba_name(v, size, d->codepage, true);
			}
			break;
		case 0x0031: /* MODULEOFFSET */
			if (m != NULL && size >= 4) {
				m->offset = le32(v);
				m->has_offset = true;
			}
			break;
		case 0x0021: /* MODULETYPE: procedural */
			if (m != NULL)
				m->procedural = true;
			break;
		case 0x002B: /* Terminator of a module */
			if (m != NULL)
				g_ptr_array_add(d->modules, m);
			m = NULL;
			break;
		case 0x0010: /* end of the dir stream */
			goto out;
		default:
			break;
		}
	}
out:
	if (m != NULL)
		g_ptr_array_add(d->modules, m);
}

/* ---- classification of the source ---- */

/* what the code can do, over the whole project */
struct vba_feats {
	char *autoexec, *execute, *write, *download, *obf; /* first evidence of each */
	unsigned obf_strong, obf_weak;
	unsigned chr_total;
	GString *iocs;
	unsigned n_urls, n_iocs;
	bool has_url;
	const char *module; /* the module being scanned (for evidence) */
};

/* the line quoted in evidence: "Module1: Sub AutoOpen()" */
static void vba_note(char **slot, const struct vba_feats *f, const char *what, const char *line,
                     size_t n)
{
	char *q;

	if (*slot != NULL)
		return;
	while (n > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		n--;
	}
	q = vstr_printable((const uint8_t *)line, n, VBA_MAX_EVIDENCE);
	*slot = g_strdup_printf("%s in %s: %s", what, f->module, q);
	g_free(q);
}

enum tok_kind { TK_IDENT, TK_STRING, TK_NUMBER, TK_OP };

struct vba_tok {
	enum tok_kind kind;
	bool member;   /* an identifier right after '.' or '!' */
	const char *p; /* into the line (identifiers, numbers, operators) */
	size_t n;
	size_t str; /* TK_STRING: offset of the unescaped text in the line buffer */
	size_t slen;
	char op;
};

struct vba_line {
	const char *text; /* the logical line, for evidence */
	size_t n;
	struct vba_tok *t;
	size_t nt;
	GString *strs; /* unescaped string literals, NUL-separated */
};

static bool tok_is(const struct vba_tok *t, const char *word)
{
	size_t l = strlen(word);

	return t->kind == TK_IDENT && t->n == l && g_ascii_strncasecmp(t->p, word, l) == 0;
}

static bool tok_op(const struct vba_tok *t, char c)
{
	return t->kind == TK_OP && t->op == c;
}

static bool tok_in(const struct vba_tok *t, const char *const *list)
{
	for (; *list != NULL; list++)
		if (tok_is(t, *list))
			return true;
	return false;
}

/* identifier without a type suffix ("Chr$" -> "Chr") */
static bool tok_is_base(const struct vba_tok *t, const char *word)
{
	size_t l = strlen(word);

	if (t->kind != TK_IDENT)
		return false;
	if (t->n == l + 1 && strchr("$%&!#@", t->p[l]) != NULL)
		return g_ascii_strncasecmp(t->p, word, l) == 0;
	return tok_is(t, word);
}

static const char *tok_string(const struct vba_line *l, const struct vba_tok *t)
{
	return l->strs->str + t->str;
}

/* Event procedures Office runs by itself when the document opens or closes. */
static const char *const vba_autoexec_names[] = {"AutoExec",
                                                 "AutoOpen",
                                                 "AutoClose",
                                                 "AutoExit",
                                                 "AutoNew",
                                                 "Auto_Open",
                                                 "Auto_Close",
                                                 "Document_Open",
                                                 "Document_Close",
                                                 "Document_New",
                                                 "Document_BeforeClose",
                                                 "DocumentOpen",
                                                 "DocumentBeforeClose",
                                                 "DocumentChange",
                                                 "NewDocument",
                                                 "Workbook_Open",
                                                 "Workbook_Activate",
                                                 "Workbook_Close",
                                                 "Workbook_BeforeClose",
                                                 "Workbook_Deactivate",
                                                 "Workbook_WindowActivate",
                                                 "App_WorkbookOpen",
                                                 "App_DocumentOpen",
                                                 "App_NewDocument",
                                                 "OnSlideShowPageChange",
                                                 NULL};

/*
 * Events of ActiveX controls embedded in the document that fire without the
 * reader doing anything ("InkPicture1_Painted", "Frame1_Layout", the
 * WebBrowser control's navigation events).
 */
static const char *const vba_autoexec_events[] = {"_Layout",
                                                  "_Painted",
                                                  "_Painting",
                                                  "_GotFocus",
                                                  "_LostFocus",
                                                  "_MouseHover",
                                                  "_Resize",
                                                  "_BeforeNavigate2",
                                                  "_DocumentComplete",
                                                  "_DownloadBegin",
                                                  "_DownloadComplete",
                                                  "_FileDownload",
                                                  "_NavigateComplete2",
                                                  "_NavigateError",
                                                  "_ProgressChange",
                                                  "_PropertyChange",
                                                  "_SetSecureLockIcon",
                                                  "_StatusTextChange",
                                                  "_TitleChange",
                                                  "_OnConnecting",
                                                  NULL};

/* identifiers that run programs or code */
static const char *const vba_exec_words[] = {"Shell",
                                             "ShellExecute",
                                             "ShellExecuteA",
                                             "ShellExecuteW",
                                             "ShellExecuteEx",
                                             "ShellExecuteExA",
                                             "ShellExecuteExW",
                                             "WinExec",
                                             "CreateProcess",
                                             "CreateProcessA",
                                             "CreateProcessW",
                                             "MacScript",
                                             "AppleScriptTask",
                                             "ExecuteExcel4Macro",
                                             "CallByName",
                                             "InvokeVerb",
                                             "InvokeVerbEx",
                                             "VirtualAlloc",
                                             "VirtualAllocEx",
                                             "VirtualProtect",
                                             "RtlMoveMemory",
                                             "CreateThread",
                                             "CreateRemoteThread",
                                             "WriteProcessMemory",
                                             "CreateTimerQueueTimer",
                                             "EnumSystemLocalesA",
                                             "EnumSystemLocalesW",
                                             NULL};

/*
 * members that run things: WshShell.Run/Exec, Shell.Application.ShellExecute.
 * Application.Run only calls another macro of the project (scanned too).
 */
static const char *const vba_exec_members[] = {"Run", "Exec", "ShellExecute", NULL};

/* strings naming program launchers */
static const char *const vba_exec_strings[] = {
        "WScript.Shell", "Shell.Application", "powershell",    "cmd.exe",  "cmd /c",  "cmd /k",
        "mshta",         "rundll32",          "regsvr32",      "wscript",  "cscript", "certutil",
        "bitsadmin",     "winmgmts",          "Win32_Process", "schtasks", "msiexec", NULL};

/* CreateObject/GetObject of these does not run anything */
static const char *const vba_benign_progids[] = {"Scripting.Dictionary",
                                                 "Scripting.FileSystemObject",
                                                 "VBScript.RegExp",
                                                 "ADODB.Connection",
                                                 "ADODB.Recordset",
                                                 "ADODB.Command",
                                                 "Excel.Application",
                                                 "Word.Application",
                                                 "PowerPoint.Application",
                                                 "Outlook.Application",
                                                 "Access.Application",
                                                 "Excel.Sheet",
                                                 "MSXML2.DOMDocument",
                                                 "MSXML2.DOMDocument.6.0",
                                                 "MSXML2.DOMDocument.3.0",
                                                 "Microsoft.XMLDOM",
                                                 "System.Collections.ArrayList",
                                                 "Scripting.Encoder",
                                                 NULL};

/* members that write files or the registry */
static const char *const vba_write_members[] = {
        "SaveToFile", "CreateTextFile", "WriteText",  "WriteLine",  "Write",    "CopyFile",
        "MoveFile",   "DeleteFile",     "CopyFolder", "MoveFolder", "RegWrite", NULL};

static const char *const vba_write_strings[] = {"ADODB.Stream", NULL};

static const char *const vba_download_words[] = {"URLDownloadToFile",
                                                 "URLDownloadToFileA",
                                                 "URLDownloadToFileW",
                                                 "URLDownloadToCacheFile",
                                                 "URLDownloadToCacheFileA",
                                                 "URLDownloadToCacheFileW",
                                                 "InternetOpenUrl",
                                                 "InternetOpenUrlA",
                                                 "InternetOpenUrlW",
                                                 "InternetReadFile",
                                                 "HttpSendRequest",
                                                 "HttpSendRequestA",
                                                 NULL};

static const char *const vba_download_members[] = {"DownloadFile", "DownloadString", "DownloadData",
                                                   "responseBody", NULL};

static const char *const vba_download_strings[] = {"MSXML2.XMLHTTP",       "Microsoft.XMLHTTP",
                                                   "MSXML2.ServerXMLHTTP", "WinHttp.WinHttpRequest",
                                                   "Net.WebClient",        "DownloadFile",
                                                   "DownloadString",       "Invoke-WebRequest",
                                                   "bitsadmin /transfer",  NULL};

static const char *vba_strstr_list(const char *hay, const char *const *list)
{
	for (; *list != NULL; list++)
		if (vmem_casefind((const uint8_t *)hay, strlen(hay), *list) >= 0)
			return *list;
	return NULL;
}

static bool vba_is_autoexec(const struct vba_tok *t)
{
	if (tok_in(t, vba_autoexec_names))
		return true;
	for (const char *const *e = vba_autoexec_events; *e != NULL; e++) {
		size_t l = strlen(*e);

		if (t->n > l + 1 && g_ascii_strncasecmp(t->p + t->n - l, *e, l) == 0)
			return true;
	}
	return false;
}

/* Chr(34) and friends build quotes and line breaks in honest code */
static bool vba_chr_common(const struct vba_line *l, size_t i)
{
	static const char *const common[] = {"9", "10", "13", "32", "34", "39", "44", NULL};
	const struct vba_tok *v;

	if (i + 2 >= l->nt || !tok_op(&l->t[i], '(') || !tok_op(&l->t[i + 2], ')'))
		return false;
	v = &l->t[i + 1];
	if (v->kind != TK_NUMBER)
		return false;
	for (const char *const *c = common; *c != NULL; c++)
		if (v->n == strlen(*c) && memcmp(v->p, *c, v->n) == 0)
			return true;
	return false;
}

static bool vba_all_in(const char *s, size_t n, const char *set)
{
	for (size_t i = 0; i < n; i++)
		if (strchr(set, s[i]) == NULL || s[i] == 0)
			return false;
	return true;
}

static void vba_ioc_add(struct vba_feats *f, const char *kind, const char *v, size_t n)
{
	char *q;

	f->n_iocs++;
	if (f->iocs->len > 400)
		return;
	q = vstr_printable((const uint8_t *)v, n, 120);
	if (strstr(f->iocs->str, q) == NULL)
		g_string_append_printf(f->iocs, "%s%s %s", f->iocs->len ? ", " : "", kind, q);
	g_free(q);
}

static bool vba_ip_at(const char *s, size_t n, size_t i, size_t *len)
{
	unsigned parts = 0, first = 0;
	size_t j = i;

	if (i > 0 && (g_ascii_isalnum(s[i - 1]) || s[i - 1] == '.'))
		return false;
	while (parts < 4) {
		unsigned v = 0, d = 0;

		while (j < n && g_ascii_isdigit(s[j]) && d < 4) {
			v = v * 10 + (unsigned)(s[j] - '0');
			j++;
			d++;
		}
		if (d == 0 || d > 3 || v > 255)
			return false;
		if (parts == 0)
			first = v;
		parts++;
		if (parts < 4) {
			if (j >= n || s[j] != '.')
				return false;
			j++;
		}
	}
	if (j < n && (g_ascii_isalnum(s[j]) || s[j] == '.'))
		return false;
	if (first == 0 || first == 127 || first == 255)
		return false;
	*len = j - i;
	return true;
}

static const char *const vba_exe_exts[] = {"exe", "dll", "scr", "ps1", "bat", "cmd", "vbs",
                                           "vbe", "js",  "jse", "hta", "pif", "jar", "lnk",
                                           "wsf", "msi", "cpl", "sct", NULL};

/* URLs, IP addresses and program names in one string literal */
static void vba_literal_iocs(vigil_scan *s, struct vba_feats *f, const char *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t len;

		if ((v[i] == 'h' || v[i] == 'H' || v[i] == 'f' || v[i] == 'F') &&
		    (vmem_casefind((const uint8_t *)v + i, n - i < 8 ? n - i : 8, "http://") == 0 ||
		     vmem_casefind((const uint8_t *)v + i, n - i < 8 ? n - i : 8, "https://") ==
		             0 ||
		     vmem_casefind((const uint8_t *)v + i, n - i < 8 ? n - i : 8, "ftp://") == 0)) {
			size_t e = i;

			while (e < n && (unsigned char)v[e] > ' ' && v[e] != '"' && v[e] != '\'')
				e++;
			if (e - i > 10) {
				f->has_url = true;
				f->n_urls++;
				vba_ioc_add(f, "URL", v + i, e - i);
				office_url_fact(s, v + i, e - i);
			}
			i = e;
		} else if (g_ascii_isdigit(v[i]) && vba_ip_at(v, n, i, &len)) {
			vba_ioc_add(f, "IP", v + i, len);
			i += len;
		} else if (v[i] == '.' && i > 0 && g_ascii_isalnum(v[i - 1])) {
			size_t e = i + 1, b = i;

			while (e < n && g_ascii_isalnum(v[e]))
				e++;
			for (const char *const *x = vba_exe_exts; *x != NULL; x++) {
				if (e - i - 1 == strlen(*x) &&
				    g_ascii_strncasecmp(v + i + 1, *x, e - i - 1) == 0) {
					while (b > 0 && (g_ascii_isalnum(v[b - 1]) ||
					                 strchr("_-$~", v[b - 1]) != NULL))
						b--;
					vba_ioc_add(f, "file", v + b, e - b);
					break;
				}
			}
		}
	}
}

/* what a string literal says about the code */
static void vba_literal(vigil_scan *s, struct vba_feats *f, const struct vba_line *l, const char *v,
                        size_t n)
{
	const char *k;
	char what[96];

	if ((k = vba_strstr_list(v, vba_exec_strings)) != NULL) {
		g_snprintf(what, sizeof what, "\"%s\"", k);
		vba_note(&f->execute, f, what, l->text, l->n);
	}
	if ((k = vba_strstr_list(v, vba_write_strings)) != NULL) {
		g_snprintf(what, sizeof what, "\"%s\"", k);
		vba_note(&f->write, f, what, l->text, l->n);
	}
	if ((k = vba_strstr_list(v, vba_download_strings)) != NULL) {
		g_snprintf(what, sizeof what, "\"%s\"", k);
		vba_note(&f->download, f, what, l->text, l->n);
	}
	if (n >= VBA_HEX_RUN && n % 2 == 0 && vba_all_in(v, n, "0123456789abcdefABCDEF")) {
		f->obf_strong++;
		vba_note(&f->obf, f, "long hex string", l->text, l->n);
	} else if (n >= VBA_B64_RUN &&
	           vba_all_in(
	                   v, n,
	                   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")) {
		f->obf_strong++;
		vba_note(&f->obf, f, "long base64 string", l->text, l->n);
	}
	vba_literal_iocs(s, f, v, n);
}

/* CreateObject("Scripting.Dictionary") runs nothing; anything else may */
static bool vba_progid_benign(const struct vba_line *l, size_t i)
{
	const struct vba_tok *a;

	if (i + 2 >= l->nt || !tok_op(&l->t[i + 1], '('))
		return false;
	a = &l->t[i + 2];
	if (a->kind != TK_STRING)
		return false;
	for (const char *const *p = vba_benign_progids; *p != NULL; p++)
		if (g_ascii_strcasecmp(tok_string(l, a), *p) == 0)
			return true;
	/* new:{CLSID} objects of the Forms library (DataObject) */
	return g_ascii_strncasecmp(tok_string(l, a), "new:{1C3B4210", 13) == 0;
}

/*
 * Windows functions honest macros declare (timing, windows, the clipboard,
 * file dialogs): a Declare of these alone is no execute capability. The
 * Alias, when there is one, is the function really called.
 */
static const char *const vba_benign_apis[] = {"Sleep",
                                              "GetTickCount",
                                              "GetTickCount64",
                                              "timeGetTime",
                                              "GetUserNameA",
                                              "GetUserNameW",
                                              "GetComputerNameA",
                                              "GetComputerNameW",
                                              "GetSystemMetrics",
                                              "FindWindowA",
                                              "FindWindowW",
                                              "FindWindowExA",
                                              "SetForegroundWindow",
                                              "ShowWindow",
                                              "GetForegroundWindow",
                                              "GetActiveWindow",
                                              "GetWindowLongA",
                                              "SetWindowLongA",
                                              "GetWindowLongPtrA",
                                              "SetWindowLongPtrA",
                                              "DrawMenuBar",
                                              "GetDC",
                                              "ReleaseDC",
                                              "GetDeviceCaps",
                                              "QueryPerformanceCounter",
                                              "QueryPerformanceFrequency",
                                              "OpenClipboard",
                                              "CloseClipboard",
                                              "EmptyClipboard",
                                              "GetClipboardData",
                                              "SetClipboardData",
                                              "GlobalAlloc",
                                              "GlobalLock",
                                              "GlobalUnlock",
                                              "GlobalSize",
                                              "GetOpenFileNameA",
                                              "GetSaveFileNameA",
                                              "SHBrowseForFolderA",
                                              "SHGetPathFromIDListA",
                                              "MessageBoxA",
                                              "MessageBoxW",
                                              "MessageBoxTimeoutA",
                                              "GetTempPathA",
                                              "GetKeyboardState",
                                              "GetLocaleInfoA",
                                              "GetSystemDefaultLCID",
                                              "GetUserDefaultLCID",
                                              NULL};

/* Declare [PtrSafe] Function|Sub Name Lib "dll" [Alias "Real"] (...) */
static bool vba_declare_runs(const struct vba_line *l, size_t i, size_t e)
{
	const struct vba_tok *name = NULL;
	const char *alias = NULL;
	bool lib = false;

	for (size_t j = i + 1; j < e; j++) {
		const struct vba_tok *t = &l->t[j];

		if (name == NULL && j > i + 1 &&
		    (tok_is(&l->t[j - 1], "Function") || tok_is(&l->t[j - 1], "Sub")))
			name = t;
		if (tok_is(t, "Lib"))
			lib = true;
		if (tok_is(t, "Alias") && j + 1 < e && l->t[j + 1].kind == TK_STRING)
			alias = tok_string(l, &l->t[j + 1]);
		if (tok_op(t, '('))
			break;
	}
	if (!lib)
		return false;
	for (const char *const *b = vba_benign_apis; *b != NULL; b++) {
		if (alias != NULL ? g_ascii_strcasecmp(alias, *b) == 0
		                  : name != NULL && tok_is(name, *b))
			return false;
	}
	return true;
}

/* the statement starting at token i: [i, end) */
static size_t vba_stmt_end(const struct vba_line *l, size_t i)
{
	while (i < l->nt && !tok_op(&l->t[i], ':'))
		i++;
	return i;
}

static void vba_statement(vigil_scan *s, struct vba_feats *f, const struct vba_line *l, size_t b,
                          size_t e, unsigned *chr_line, unsigned *short_lits)
{
	unsigned replace_run = 0;

	for (size_t i = b; i < e; i++) {
		const struct vba_tok *t = &l->t[i];
		char what[96];

		if (t->kind == TK_STRING) {
			const char *v = tok_string(l, t);

			vba_literal(s, f, l, v, t->slen);
			if (t->slen <= 3 &&
			    ((i > b && (tok_op(&l->t[i - 1], '&') || tok_op(&l->t[i - 1], '+'))) ||
			     (i + 1 < e &&
			      (tok_op(&l->t[i + 1], '&') || tok_op(&l->t[i + 1], '+')))))
				(*short_lits)++;
			continue;
		}
		if (t->kind != TK_IDENT)
			continue;
		g_snprintf(what, sizeof what, "%.*s", (int)(t->n < 64 ? t->n : 64), t->p);
		/* Sub AutoOpen() / Private Sub Document_Open() */
		if (!t->member && i > b &&
		    (tok_is(&l->t[i - 1], "Sub") || tok_is(&l->t[i - 1], "Function")) &&
		    vba_is_autoexec(t))
			vba_note(&f->autoexec, f, what, l->text, l->n);
		if (!t->member && (tok_is(t, "CreateObject") || tok_is(t, "GetObject")) &&
		    !vba_progid_benign(l, i))
			vba_note(&f->execute, f, what, l->text, l->n);
		if (tok_in(t, vba_exec_words))
			vba_note(&f->execute, f, what, l->text, l->n);
		if (t->member && tok_in(t, vba_exec_members) &&
		    !(tok_is(t, "Run") && i >= b + 2 && tok_is(&l->t[i - 2], "Application")))
			vba_note(&f->execute, f, what, l->text, l->n);
		if (tok_is(t, "Declare") && vba_declare_runs(l, i, e))
			vba_note(&f->execute, f, "Declare ... Lib", l->text, l->n);
		/* files and the registry */
		if (!t->member && (tok_is(t, "Kill") || tok_is(t, "FileCopy")) &&
		    !(i + 1 < e && (tok_op(&l->t[i + 1], '=') || tok_op(&l->t[i + 1], '.'))))
			vba_note(&f->write, f, what, l->text, l->n);
		if (!t->member && (tok_is(t, "Put") || tok_is(t, "Print") || tok_is(t, "Write")) &&
		    i + 1 < e && tok_op(&l->t[i + 1], '#'))
			vba_note(&f->write, f, what, l->text, l->n);
		if (!t->member && tok_is(t, "Open")) {
			bool read_only = false, mode = false;

			for (size_t j = i + 1; j + 1 < e; j++) {
				if (tok_is(&l->t[j], "For") && (tok_is(&l->t[j + 1], "Output") ||
				                                tok_is(&l->t[j + 1], "Append") ||
				                                tok_is(&l->t[j + 1], "Binary") ||
				                                tok_is(&l->t[j + 1], "Random")))
					mode = true;
				if (tok_is(&l->t[j], "Access") && tok_is(&l->t[j + 1], "Read") &&
				    !(j + 2 < e && tok_is(&l->t[j + 2], "Write")))
					read_only = true;
			}
			if (mode && !read_only)
				vba_note(&f->write, f, "Open ... For Output/Binary", l->text, l->n);
		}
		if (t->member && tok_in(t, vba_write_members))
			vba_note(&f->write, f, what, l->text, l->n);
		if (tok_in(t, vba_download_words)) {
			vba_note(&f->download, f, what, l->text, l->n);
			if (g_ascii_strncasecmp(t->p, "URLDownloadTo", 13) == 0)
				vba_note(&f->write, f, what, l->text, l->n);
		}
		if (t->member && tok_in(t, vba_download_members))
			vba_note(&f->download, f, what, l->text, l->n);
		/* obfuscation */
		if ((tok_is_base(t, "Chr") || tok_is_base(t, "ChrW") || tok_is_base(t, "ChrB")) &&
		    i + 1 < e && tok_op(&l->t[i + 1], '(') && !vba_chr_common(l, i + 1)) {
			(*chr_line)++;
			f->chr_total++;
		}
		if (tok_is_base(t, "StrReverse") || tok_is(t, "CallByName")) {
			f->obf_weak++;
			vba_note(&f->obf, f, what, l->text, l->n);
		}
		if (tok_is_base(t, "Replace") && i + 1 < e && tok_op(&l->t[i + 1], '(')) {
			if (++replace_run == 3) {
				f->obf_strong++;
				vba_note(&f->obf, f, "nested Replace()", l->text, l->n);
			}
			i++; /* the '(' keeps the run going */
		} else {
			replace_run = 0;
		}
	}
}

static void vba_logical_line(vigil_scan *s, struct vba_feats *f, struct vba_line *l)
{
	unsigned chr_line = 0, short_lits = 0;
	size_t b = 0;

	if (l->nt == 0)
		return;
	if (tok_is(&l->t[0], "Attribute"))
		return;
	while (b < l->nt) {
		size_t e = vba_stmt_end(l, b);

		vba_statement(s, f, l, b, e, &chr_line, &short_lits);
		b = e + 1;
	}
	if (chr_line >= VBA_CHR_LINE) {
		f->obf_strong++;
		vba_note(&f->obf, f, "Chr() chain", l->text, l->n);
	}
	if (short_lits >= VBA_SHORT_CONCAT) {
		f->obf_strong++;
		vba_note(&f->obf, f, "string split into short pieces", l->text, l->n);
	}
}

static bool vba_ident_char(unsigned char c)
{
	return g_ascii_isalnum(c) || c == '_' || c >= 0x80;
}

/*
 * Tokenizes src (UTF-8) into logical lines (" _" continues a line), skips
 * comments (' and Rem) and hands each line to vba_logical_line(). Returns
 * true when the module has code beyond Attribute lines and blanks.
 */
static bool vba_scan_source(vigil_scan *s, struct vba_feats *f, const char *src, size_t n)
{
	struct vba_line l = {0};
	GArray *toks = g_array_new(FALSE, FALSE, sizeof(struct vba_tok));
	bool code = false;
	size_t i = 0, line_start = 0;
	bool stmt_start = true;

	l.strs = g_string_new(NULL);
	while (i <= n) {
		bool eol = i == n || src[i] == '\n' || src[i] == '\r';
		struct vba_tok t = {0};

		if (eol) {
			/* " _" at the end: the statement goes on */
			size_t k = toks->len;
			bool cont = k > 0 && i < n &&
			            g_array_index(toks, struct vba_tok, k - 1).kind == TK_IDENT &&
			            g_array_index(toks, struct vba_tok, k - 1).n == 1 &&
			            g_array_index(toks, struct vba_tok, k - 1).p[0] == '_';

			if (cont) {
				g_array_set_size(toks, k - 1);
				if (src[i] == '\r' && i + 1 < n && src[i + 1] == '\n')
					i++;
				i++;
				continue;
			}
			if (toks->len > 0) {
				l.text = src + line_start;
				l.n = (i < n ? i : n) - line_start;
				l.t = (struct vba_tok *)(void *)toks->data;
				l.nt = toks->len;
				if (!tok_is(&l.t[0], "Attribute") && !tok_is(&l.t[0], "Option"))
					code = true;
				vba_logical_line(s, f, &l);
			}
			g_array_set_size(toks, 0);
			g_string_truncate(l.strs, 0);
			i++;
			line_start = i;
			stmt_start = true;
			if (i > n)
				break;
			continue;
		}
		if (toks->len >= VBA_MAX_TOKENS) {
			/* an endless line: scan what we have, go on as a new line */
			l.text = src + line_start;
			l.n = i - line_start;
			l.t = (struct vba_tok *)(void *)toks->data;
			l.nt = toks->len;
			code = true;
			vba_logical_line(s, f, &l);
			g_array_set_size(toks, 0);
			g_string_truncate(l.strs, 0);
			line_start = i;
		}
		if (src[i] == ' ' || src[i] == '\t' || src[i] == 0) {
			i++;
			continue;
		}
		if (src[i] == '\'')
			goto comment;
		if (src[i] == '"') {
			/* a string literal; "" is a quote */
			size_t j = i + 1;

			t.kind = TK_STRING;
			t.str = l.strs->len;
			while (j < n && src[j] != '\n' && src[j] != '\r') {
				if (src[j] == '"') {
					if (j + 1 < n && src[j + 1] == '"') {
						g_string_append_c(l.strs, '"');
						j += 2;
						continue;
					}
					j++;
					break;
				}
				g_string_append_c(l.strs, src[j]);
				j++;
			}
			t.slen = l.strs->len - t.str;
			g_string_append_c(l.strs, 0);
			t.p = src + i;
			t.n = j - i;
			i = j;
		} else if (g_ascii_isalpha(src[i]) || src[i] == '_' ||
		           (unsigned char)src[i] >= 0x80) {
			size_t j = i;

			while (j < n && vba_ident_char((unsigned char)src[j]))
				j++;
			if (j < n && src[j] == '$')
				j++; /* type suffix: Chr$ */
			t.kind = TK_IDENT;
			t.p = src + i;
			t.n = j - i;
			{
				size_t k = toks->len;

				t.member =
				        k > 0 &&
				        (tok_op(&g_array_index(toks, struct vba_tok, k - 1), '.') ||
				         tok_op(&g_array_index(toks, struct vba_tok, k - 1), '!'));
			}
			if (stmt_start && tok_is(&t, "Rem"))
				goto comment;
			i = j;
		} else if (g_ascii_isdigit(src[i])) {
			size_t j = i;

			while (j < n && (g_ascii_isalnum(src[j]) || src[j] == '.'))
				j++;
			t.kind = TK_NUMBER;
			t.p = src + i;
			t.n = j - i;
			i = j;
		} else {
			t.kind = TK_OP;
			t.op = src[i];
			t.p = src + i;
			t.n = 1;
			/* "a := b" is a named argument, not a statement break */
			if (src[i] == ':' && i + 1 < n && src[i + 1] == '=') {
				t.op = '=';
				i++;
			}
			i++;
		}
		stmt_start = t.kind == TK_OP && t.op == ':';
		g_array_append_val(toks, t);
		continue;
	comment:
		while (i < n && src[i] != '\n' && src[i] != '\r')
			i++;
	}
	g_array_free(toks, TRUE);
	g_string_free(l.strs, TRUE);
	return code;
}

/* ---- stomping ---- */

/* looks like text a person wrote: letters, four of them in a row */
static bool vba_texty(const uint8_t *p, size_t n)
{
	size_t letters = 0, row = 0, best = 0;

	for (size_t i = 0; i < n; i++) {
		if (g_ascii_isalpha(p[i])) {
			letters++;
			if (++row > best)
				best = row;
		} else {
			row = 0;
		}
	}
	return best >= 4 && letters * 2 >= n;
}

/*
 * A printable run in the p-code that the source lacks, or NULL. src is the
 * module's source in its code page with "" unescaped.
 */
static char *vba_stomp_check(const uint8_t *pc, size_t pn, const uint8_t *src, size_t sn)
{
	unsigned runs = 0;
	size_t i = 0;

	while (i < pn && runs < VBA_STOMP_MAX_RUNS) {
		size_t j = i, a, b;

		while (j < pn && pc[j] >= 0x20 && pc[j] < 0x7f)
			j++;
		if (j - i < VBA_STOMP_RUN) {
			i = j + 1;
			continue;
		}
		runs++;
		/* opcode or length bytes next to a literal may be printable */
		a = i + (j - i >= 16 ? 3 : 0);
		b = j - (j - i >= 14 ? 4 : 3);
		if (b > a && vba_texty(pc + a, b - a) &&
		    (sn < b - a || memmem(src, sn, pc + a, b - a) == NULL))
			return vstr_printable(pc + i, j - i, 100);
		i = j + 1;
	}
	return NULL;
}

/* ---- one project ---- */

struct vba_ctx {
	vigil_scan *s;
	vigil_object *ole;
	GPtrArray *streams; /* struct vba_stream* of this OLE2 file */
	struct vba_feats f;
	GString *modules; /* names of modules with code, for evidence */
	unsigned n_code;
	char *stomped;
	char *damage;
};

static struct vba_stream *vba_find(GPtrArray *arr, const char *storage, const char *leaf)
{
	size_t sl = strlen(storage);

	for (guint i = 0; i < arr->len; i++) {
		struct vba_stream *v = g_ptr_array_index(arr, i);

		if (strncmp(v->rel, storage, sl) == 0 && v->rel[sl] == '/' &&
		    g_ascii_strcasecmp(v->rel + sl + 1, leaf) == 0)
			return v;
	}
	return NULL;
}

static void vba_damage(struct vba_ctx *c, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static void vba_damage(struct vba_ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->damage != NULL)
		return;
	va_start(ap, fmt);
	c->damage = g_strdup_vprintf(fmt, ap);
	va_end(ap);
}

/* "" -> " so that literals in the p-code can be found in the source */
static uint8_t *vba_unescape(const uint8_t *p, size_t n, size_t *out)
{
	uint8_t *r = g_malloc(n + 1);
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		r[k++] = p[i];
		if (p[i] == '"' && i + 1 < n && p[i + 1] == '"')
			i++;
	}
	*out = k;
	return r;
}

static char *vba_seg(const char *storage, const char *name, bool procedural)
{
	GString *g = g_string_new(storage);

	g_string_append_c(g, '/');
	for (const char *p = name; *p != 0; p++) {
		if (*p == '/')
			g_string_append(g, "\\x2F");
		else
			g_string_append_c(g, *p);
	}
	g_string_append(g, procedural ? ".bas" : ".cls");
	return g_string_free(g, FALSE);
}

static void vba_module(struct vba_ctx *c, const char *storage, const struct vba_dir *d,
                       const struct vba_module *m)
{
	struct vba_stream *st;
	vigil_limit which;
	size_t room, ulen = 0, un = 0;
	vbuf src;
	int rc;
	char *utf8, *seg, *leaf;
	uint8_t *unesc;
	bool code;
	vchild ch;

	if (m->stream == NULL || m->name == NULL) {
		vba_damage(c, "VBA dir stream: a module without a name");
		return;
	}
	st = vba_find(c->streams, storage, m->stream);
	if (st == NULL) {
		vba_damage(c, "VBA module %s: no stream %s", m->name, m->stream);
		return;
	}
	if (!m->has_offset || m->offset > st->len) {
		if (!st->cut)
			vba_damage(c, "VBA module %s: source offset past the end of stream %s",
			           m->name, m->stream);
		return;
	}
	room = vscan_room(c->s, c->ole, &which);
	vbuf_init(&src, room);
	/* no source container at all: only the p-code is left */
	rc = m->offset == st->len ? VBA_DEC_OK
	                          : vba_decompress(st->data + m->offset, st->len - m->offset, &src);
	if (rc == VBA_DEC_FULL) {
		vscan_limit(c->s, c->ole, which, m->name);
		c->ole->flags |= VIGIL_OBJ_PARTIAL;
	} else if (rc == VBA_DEC_DAMAGED && !st->cut) {
		vba_damage(c, "VBA module %s: compressed source is damaged", m->name);
	}
	/* stomping: literals of the p-code missing from the source */
	unesc = vba_unescape(src.data != NULL ? src.data : (const uint8_t *)"", src.len, &un);
	/*
	 * Also with a damaged source container: Office runs the p-code all the
	 * same, so what is missing from the readable part is hidden code. Not
	 * when a limit cut the source or the stream: the rest is just unread.
	 */
	if (c->stomped == NULL && rc != VBA_DEC_FULL && !st->cut) {
		char *run = vba_stomp_check(st->data, m->offset, unesc, un);

		if (run != NULL)
			c->stomped = g_strdup_printf("module %s: the p-code has \"%s\", the source "
			                             "(%zu bytes%s) does not",
			                             m->name, run, src.len,
			                             rc == VBA_DEC_OK ? "" : ", damaged");
		g_free(run);
	}
	g_free(unesc);
	utf8 = vba_to_utf8(src.data != NULL ? src.data : (const uint8_t *)"", src.len, d->codepage,
	                   &ulen);
	c->f.module = m->name;
	code = vba_scan_source(c->s, &c->f,
	                       utf8 != NULL ? utf8
	                                    : (const char *)(src.data ? src.data : (uint8_t *)""),
	                       utf8 != NULL ? ulen : src.len);
	if (code) {
		c->n_code++;
		if (c->modules->len < 200)
			g_string_append_printf(c->modules, "%s%s", c->modules->len ? ", " : "",
			                       m->name);
	}
	/* the source as a child: UTF-8 when it converts, else the bytes as they are */
	memset(&ch, 0, sizeof ch);
	seg = vba_seg(storage, m->name, m->procedural);
	leaf = strrchr(seg, '/') + 1;
	ch.seg = seg;
	ch.name = leaf;
	ch.type_hint = "text";
	ch.flags = rc != VBA_DEC_OK || st->cut ? VIGIL_OBJ_TRUNCATED : 0;
	if (utf8 != NULL && ulen <= room && (ch.data = malloc(ulen > 0 ? ulen : 1)) != NULL) {
		vbuf_free(&src);
		memcpy(ch.data, utf8, ulen);
		ch.len = ulen;
	} else {
		ch.data = vbuf_steal(&src, &ch.len);
		if (ch.data == NULL)
			ch.data = malloc(1);
	}
	g_free(utf8);
	if (ch.data != NULL)
		(void)vscan_emit(c->s, c->ole, &ch);
	g_free(seg);
}

static void vba_storage(struct vba_ctx *c, const char *storage, struct vba_stream *dir)
{
	struct vba_dir d = {0};
	vbuf b;
	int rc;

	vbuf_init(&b, VBA_MAX_DIR);
	rc = vba_decompress(dir->data, dir->len, &b);
	vscan_charge(c->s, c->ole, b.len);
	if (rc != VBA_DEC_OK && !dir->cut)
		vba_damage(c, "VBA dir stream in %s is %s", storage,
		           rc == VBA_DEC_FULL ? "larger than 1 MiB" : "damaged");
	d.modules = g_ptr_array_new_with_free_func(vba_module_free);
	vba_dir_parse(b.data != NULL ? b.data : (const uint8_t *)"", b.len, &d);
	if (d.damaged && !dir->cut)
		vba_damage(c, "VBA dir stream in %s has a damaged record", storage);
	if (d.too_many)
		vfinding_add(c->s, c->ole, F_LIMIT_OBJECTS,
		             "VBA project lists more than %u modules; the rest were not read",
		             VBA_MAX_MODULES);
	for (guint i = 0; i < d.modules->len && !vscan_should_stop(c->s, c->ole); i++)
		vba_module(c, storage, &d, g_ptr_array_index(d.modules, i));
	g_ptr_array_free(d.modules, TRUE);
	vbuf_free(&b);
}

static void vba_findings(struct vba_ctx *c)
{
	struct vba_feats *f = &c->f;
	vigil_scan *s = c->s;
	vigil_object *o = c->ole;
	bool obf;

	if (f->chr_total >= VBA_CHR_TOTAL && f->obf_strong == 0) {
		f->obf_strong++;
		if (f->obf == NULL)
			f->obf = g_strdup_printf("%u Chr() calls building strings", f->chr_total);
	}
	obf = f->obf_strong > 0 || f->obf_weak >= 2;
	if (c->n_code > 0)
		vfinding_add(s, o, F_MACRO_PRESENT, "%u module%s with code: %s", c->n_code,
		             c->n_code == 1 ? "" : "s", c->modules->str);
	if (f->autoexec != NULL)
		vfinding_add(s, o, F_MACRO_AUTOEXEC, "%s", f->autoexec);
	if (f->execute != NULL)
		vfinding_add(s, o, F_MACRO_EXECUTE, "%s", f->execute);
	if (f->write != NULL)
		vfinding_add(s, o, F_MACRO_WRITE, "%s", f->write);
	if (f->autoexec != NULL && f->execute != NULL)
		vfinding_add(s, o, F_MACRO_AUTOEXEC_EXECUTE, "%s; %s", f->autoexec, f->execute);
	if (f->autoexec != NULL && f->write != NULL && f->execute == NULL)
		vfinding_add(s, o, F_MACRO_AUTOEXEC_WRITE, "%s; %s", f->autoexec, f->write);
	if (obf)
		vfinding_add(s, o, F_MACRO_OBFUSCATED, "%s", f->obf != NULL ? f->obf : "");
	if (f->n_iocs > 0)
		vfinding_add(s, o, F_MACRO_IOC, "%s", f->iocs->str);
	if ((f->download != NULL && (f->has_url || f->write != NULL || f->execute != NULL)) ||
	    (f->has_url && f->write != NULL && f->execute != NULL))
		vfinding_add(s, o, F_MACRO_DOWNLOADER, "%s%s%s",
		             f->download != NULL ? f->download : f->write, f->has_url ? "; " : "",
		             f->has_url ? f->iocs->str : "");
	if (c->stomped != NULL)
		vfinding_add(s, o, F_MACRO_STOMPED, "%s", c->stomped);
	/*
	 * decode.error, not archive.damaged: Office cannot load a project whose
	 * dir stream it cannot read either, and hidden code behind a damaged
	 * source is macro.stomped above.
	 */
	if (c->damage != NULL)
		vfinding_add(s, o, F_DECODE_ERROR, "%s", c->damage);
}

static void vba_project(vigil_scan *s, vigil_object *o)
{
	struct vba_keep *k = vscan_note(s, VBA_NOTE);
	struct vba_ctx c = {.s = s, .ole = o};
	struct vba_file *file;
	GPtrArray *arr;
	GHashTable *done;

	if (k == NULL)
		return;
	file = g_hash_table_lookup(k->by_ole, GSIZE_TO_POINTER(o->index));
	if (file == NULL)
		return;
	g_hash_table_steal(k->by_ole, GSIZE_TO_POINTER(o->index));
	arr = file->streams;
	for (guint i = 0; i < arr->len; i++)
		k->bytes -= ((struct vba_stream *)g_ptr_array_index(arr, i))->len;
	if (file->over) {
		vfinding_add(s, o, F_LIMIT_OBJECT_BYTES,
		             "VBA streams beyond %u MiB or %u streams were not analyzed",
		             VBA_MAX_KEEP >> 20, VBA_MAX_STREAMS);
		o->flags |= VIGIL_OBJ_PARTIAL;
	}
	c.streams = arr;
	c.modules = g_string_new(NULL);
	c.f.iocs = g_string_new(NULL);
	c.f.module = "?";
	done = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	/* one project per VBA storage holding a dir stream */
	for (guint i = 0; i < arr->len; i++) {
		struct vba_stream *v = g_ptr_array_index(arr, i);
		const char *slash = strrchr(v->rel, '/');
		char *storage;

		if (slash == NULL || g_ascii_strcasecmp(slash + 1, "dir") != 0)
			continue;
		storage = g_strndup(v->rel, (gsize)(slash - v->rel));
		if (g_hash_table_contains(done, storage)) {
			g_free(storage);
			continue;
		}
		g_hash_table_add(done, storage);
		vba_storage(&c, storage, v);
	}
	vba_findings(&c);
	g_hash_table_destroy(done);
	g_string_free(c.modules, TRUE);
	g_string_free(c.f.iocs, TRUE);
	g_free(c.f.autoexec);
	g_free(c.f.execute);
	g_free(c.f.write);
	g_free(c.f.download);
	g_free(c.f.obf);
	g_free(c.stomped);
	g_free(c.damage);
	vba_file_free(file);
}

static const char *const vba_project_types[] = {"ole2", NULL};

/* streams pass by as children of the OLE2 file: any type */
const analyzer vba_collect_analyzer = {"vba-collect", NULL, vba_collect, false};
const analyzer vba_analyzer = {"vba", vba_project_types, vba_project, true};
