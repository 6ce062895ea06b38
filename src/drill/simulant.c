/*
 * simulant.c - harmless files that look like spyware techniques (decision
 * 0014): what a drill mail carries and what the team exercise plants.
 *
 *   macro-doc        an OOXML .docm (or .xlsm) whose VBA project runs on
 *                    open (AutoOpen / Document_Open, Workbook_Open) and does
 *                    one thing: GET <base>/t/<token>/a with MSXML2.XMLHTTP.
 *                    No file writes, no shell, no second stage.
 *   zip-lnk          a zip holding a shortcut (MS-SHLLINK) whose target is
 *                    PowerShell, window hidden, with a command line that only
 *                    requests the same URL.
 *   html-credential  a login page whose form posts to <base>/t/<token>/f;
 *                    the visible inputs have no name, so browsers never send
 *                    what was typed: only the hidden field typed=1.
 *
 * The VBA project is written to the letter of MS-OVBA so the engine's
 * analyzer (and Office) read it: the dir stream (2.3.4.2), module streams
 * holding only compressed source (MODULEOFFSET 0; _VBA_PROJECT version
 * 0xFFFF says there is no p-code cache, so Office compiles the source), a
 * PROJECT stream and PROJECTwm, in an OLE2 file written by libgsf's
 * GsfOutfileMSOle. Compression (2.4.1) uses literal-only chunks: valid, just
 * not small; a chunk holds at most OVBA_LITERAL_MAX bytes so that it stays
 * under the 4098-byte chunk limit, full 4096-byte pieces go raw.
 *
 * Each file carries "VIGIL-DRILL-SIMULANT v=1; r=...; t=...; s=..." as plain
 * bytes (zip entries are stored, not deflated) in a place its format keeps:
 * a custom document property and a VBA comment, the zip comment, an HTML
 * comment; drill_simulant_marker_find() finds it in any of them.
 *
 * Everything interpolated into code (URL, token, reference) is validated
 * first to characters that need no quoting in VBA, PowerShell single quotes,
 * HTML attributes or XML; that, not escaping, is what keeps the generated
 * code exactly as written here.
 */
#include <gsf/gsf-outfile-msole.h>
#include <gsf/gsf-outfile.h>
#include <gsf/gsf-output-memory.h>
#include <gsf/gsf-output.h>
#include <gsf/gsf-utils.h>
#include <string.h>
#include <zlib.h>

#include "drill_int.h"

#define URL_MAX 200
#define OVBA_LITERAL_MAX 3640 /* n + ceil(n / 8) + 2 <= 4098 */
#define SIM_MAX (1u << 20)

/* ---- small byte helpers ---- */

static void put8(GByteArray *g, uint8_t v)
{
	g_byte_array_append(g, &v, 1);
}

static void put16(GByteArray *g, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};

	g_byte_array_append(g, b, 2);
}

static void put32(GByteArray *g, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

	g_byte_array_append(g, b, 4);
}

static void putmem(GByteArray *g, const void *p, size_t n)
{
	g_byte_array_append(g, p, (guint)n);
}

static void putstr(GByteArray *g, const char *s)
{
	putmem(g, s, strlen(s));
}

/* UTF-16LE of ASCII/UTF-8 text, no terminator; returns characters written */
static size_t put_utf16(GByteArray *g, const char *s)
{
	glong n = 0;
	gunichar2 *w = g_utf8_to_utf16(s, -1, NULL, &n, NULL);

	if (w == NULL)
		return 0;
	for (glong i = 0; i < n; i++)
		put16(g, w[i]);
	g_free(w);
	return (size_t)n;
}

/* ---- checks on what goes into code ---- */

int drill_base_url_valid(const char *url)
{
	const char *p;
	size_t n;

	if (url == NULL)
		return DRILL_EINVAL;
	n = strlen(url);
	if (n > URL_MAX)
		return DRILL_EINVAL;
	if (strncmp(url, "http://", 7) == 0)
		p = url + 7;
	else if (strncmp(url, "https://", 8) == 0)
		p = url + 8;
	else
		return DRILL_EINVAL;
	if (*p == 0 || *p == '.' || *p == '-')
		return DRILL_EINVAL;
	while (*p && (g_ascii_isalnum(*p) || *p == '.' || *p == '-'))
		p++;
	if (*p == ':') {
		size_t d = 0;

		for (p++; g_ascii_isdigit(*p); p++)
			d++;
		if (d < 1 || d > 5)
			return DRILL_EINVAL;
	}
	if (*p == 0)
		return DRILL_OK;
	if (*p != '/')
		return DRILL_EINVAL;
	for (; *p; p++)
		if (!(g_ascii_isalnum(*p) || strchr("/._~-", *p) != NULL))
			return DRILL_EINVAL;
	return DRILL_OK;
}

struct sim {
	char base[URL_MAX + 1]; /* without a trailing '/' */
	char ref[DRILL_REF_MAX + 1];
	char token[DRILL_TOKEN_LEN + 1];
	char marker[DRILL_MARKER_MAX]; /* "v=1; r=..; t=..; s=.." */
	char url_a[URL_MAX + 64];      /* call-home */
	char url_f[URL_MAX + 64];      /* credentials typed */
};

static int sim_init(struct sim *s, const uint8_t key[DRILL_KEY_LEN], const char *ref,
                    const char *token, const char *base_url, drill_error *err)
{
	size_t n;

	if (drill_base_url_valid(base_url) != DRILL_OK) {
		DRILL_FAIL(err, DRILL_EINVAL, "base_url",
		           "\"%.80s\" is not an http(s)://host[:port][/path] URL",
		           "\"%.80s\" không phải URL dạng http(s)://máy[:cổng][/đường-dẫn]",
		           base_url != NULL ? base_url : "");
		return DRILL_EINVAL;
	}
	if (drill_marker_format(key, ref, token, s->marker) != DRILL_OK) {
		drill_err_text(err, DRILL_EINVAL, "ref/token", "invalid round reference or token",
		               "mã đợt diễn tập hoặc mã theo dõi không hợp lệ");
		return DRILL_EINVAL;
	}
	g_strlcpy(s->base, base_url, sizeof s->base);
	n = strlen(s->base);
	while (n > 0 && s->base[n - 1] == '/')
		s->base[--n] = 0;
	g_strlcpy(s->ref, ref, sizeof s->ref);
	g_strlcpy(s->token, token, sizeof s->token);
	g_snprintf(s->url_a, sizeof s->url_a, "%s/t/%s/a", s->base, token);
	g_snprintf(s->url_f, sizeof s->url_f, "%s/t/%s/f", s->base, token);
	return DRILL_OK;
}

/* ---- zip (stored entries; MS-DOS time fixed: the content, not the date, matters) ---- */

struct zmember {
	const char *name;
	const void *data;
	size_t len;
};

static GByteArray *zip_build(const struct zmember *m, size_t n, const char *comment)
{
	GByteArray *z = g_byte_array_new(), *cd = g_byte_array_new();
	const uint16_t dos_time = 0x6000, dos_date = 0x5b7c; /* 12:00, 28/11/2025 */
	size_t cl = comment != NULL ? strlen(comment) : 0;

	for (size_t i = 0; i < n; i++) {
		uint32_t crc = (uint32_t)crc32(0L, m[i].data, (uInt)m[i].len);
		uint32_t off = z->len;
		uint16_t nl = (uint16_t)strlen(m[i].name);
		/* bit 11: the name is UTF-8 (Vietnamese names) */
		uint16_t flags = 0x0800;

		put32(z, 0x04034b50);
		put16(z, 20);
		put16(z, flags);
		put16(z, 0); /* stored */
		put16(z, dos_time);
		put16(z, dos_date);
		put32(z, crc);
		put32(z, (uint32_t)m[i].len);
		put32(z, (uint32_t)m[i].len);
		put16(z, nl);
		put16(z, 0);
		putstr(z, m[i].name);
		putmem(z, m[i].data, m[i].len);

		put32(cd, 0x02014b50);
		put16(cd, 20);
		put16(cd, 20);
		put16(cd, flags);
		put16(cd, 0);
		put16(cd, dos_time);
		put16(cd, dos_date);
		put32(cd, crc);
		put32(cd, (uint32_t)m[i].len);
		put32(cd, (uint32_t)m[i].len);
		put16(cd, nl);
		put16(cd, 0); /* extra */
		put16(cd, 0); /* comment */
		put16(cd, 0); /* disk */
		put16(cd, 0); /* internal attributes */
		put32(cd, 0); /* external attributes */
		put32(cd, off);
		putstr(cd, m[i].name);
	}
	{
		uint32_t cdoff = z->len;

		putmem(z, cd->data, cd->len);
		put32(z, 0x06054b50);
		put16(z, 0);
		put16(z, 0);
		put16(z, (uint16_t)n);
		put16(z, (uint16_t)n);
		put32(z, cd->len);
		put32(z, cdoff);
		put16(z, (uint16_t)cl);
		if (cl > 0)
			putmem(z, comment, cl);
	}
	g_byte_array_free(cd, TRUE);
	return z;
}

/* ---- MS-OVBA compression (literal-only) ---- */

static int ovba_compress(GByteArray *out, const uint8_t *p, size_t n)
{
	put8(out, 0x01); /* SignatureByte */
	for (size_t cs = 0; cs < n;) {
		size_t k = n - cs;

		if (k >= 4096) {
			/* a raw chunk: CompressedChunkFlag 0, size field 0xFFF, 4096 bytes */
			put16(out, 0x3FFF);
			putmem(out, p + cs, 4096);
			cs += 4096;
			continue;
		}
		if (k > OVBA_LITERAL_MAX)
			return DRILL_ELIMIT; /* cannot end in a short raw chunk */
		{
			size_t size = k + (k + 7) / 8; /* data and one flag byte per 8 */

			put16(out, (uint16_t)(0xB000 | (size + 2 - 3)));
			for (size_t i = 0; i < k; i += 8) {
				put8(out, 0x00); /* FlagByte: eight literals */
				putmem(out, p + cs + i, k - i < 8 ? k - i : 8);
			}
		}
		cs += k;
	}
	return DRILL_OK;
}

/* ---- the dir stream (MS-OVBA 2.3.4.2), uncompressed ---- */

static void rec(GByteArray *g, uint16_t id, const void *d, uint32_t n)
{
	put16(g, id);
	put32(g, n);
	if (n > 0)
		putmem(g, d, n);
}

static void rec_str(GByteArray *g, uint16_t id, const char *s)
{
	rec(g, id, s, (uint32_t)strlen(s));
}

static void rec_utf16(GByteArray *g, uint16_t id, const char *s)
{
	GByteArray *w = g_byte_array_new();

	put_utf16(w, s);
	rec(g, id, w->data, w->len);
	g_byte_array_free(w, TRUE);
}

static void rec_u32(GByteArray *g, uint16_t id, uint32_t v)
{
	put16(g, id);
	put32(g, 4);
	put32(g, v);
}

static void rec_u16(GByteArray *g, uint16_t id, uint16_t v)
{
	put16(g, id);
	put32(g, 2);
	put16(g, v);
}

struct vmodule {
	const char *name;
	char *source;
	int document; /* MODULETYPE document (ThisDocument, ThisWorkbook) */
};

static GByteArray *dir_stream(const struct vmodule *m, size_t n)
{
	GByteArray *g = g_byte_array_new();
	static const char libid[] = "*\\G{00020430-0000-0000-C000-000000000046}#2.0#0#"
	                            "C:\\Windows\\System32\\stdole2.tlb#OLE Automation";

	/* PROJECTINFORMATION */
	rec_u32(g, 0x0001, 1);     /* PROJECTSYSKIND: win32 */
	rec_u32(g, 0x004A, 3);     /* PROJECTCOMPATVERSION */
	rec_u32(g, 0x0002, 0x409); /* PROJECTLCID */
	rec_u32(g, 0x0014, 0x409); /* PROJECTLCIDINVOKE */
	rec_u16(g, 0x0003, 1252);  /* PROJECTCODEPAGE: the source is ASCII */
	rec_str(g, 0x0004, "Project");
	rec_str(g, 0x0005, "");   /* PROJECTDOCSTRING */
	rec_utf16(g, 0x0040, ""); /* ... unicode */
	rec_str(g, 0x0006, "");   /* PROJECTHELPFILEPATH */
	rec_str(g, 0x003D, "");   /* ... second path */
	rec_u32(g, 0x0007, 0);    /* PROJECTHELPCONTEXT */
	rec_u32(g, 0x0008, 0);    /* PROJECTLIBFLAGS */
	/* PROJECTVERSION: its size field says 4 but 6 bytes follow (2.3.4.2.1.11) */
	put16(g, 0x0009);
	put32(g, 4);
	put32(g, 0x5A);
	put16(g, 0x0E);
	rec_str(g, 0x000C, "");   /* PROJECTCONSTANTS */
	rec_utf16(g, 0x003C, ""); /* ... unicode */
	/* PROJECTREFERENCES: stdole, as every project has */
	rec_str(g, 0x0016, "stdole");
	rec_utf16(g, 0x003E, "stdole");
	put16(g, 0x000D); /* REFERENCEREGISTERED */
	put32(g, (uint32_t)(4 + strlen(libid) + 6));
	put32(g, (uint32_t)strlen(libid));
	putstr(g, libid);
	put32(g, 0);
	put16(g, 0);
	/* PROJECTMODULES */
	rec_u16(g, 0x000F, (uint16_t)n);
	rec_u16(g, 0x0013, 0xFFFF); /* PROJECTCOOKIE */
	for (size_t i = 0; i < n; i++) {
		rec_str(g, 0x0019, m[i].name);   /* MODULENAME */
		rec_utf16(g, 0x0047, m[i].name); /* MODULENAMEUNICODE */
		rec_str(g, 0x001A, m[i].name);   /* MODULESTREAMNAME */
		rec_utf16(g, 0x0032, m[i].name);
		rec_str(g, 0x001C, ""); /* MODULEDOCSTRING */
		rec_utf16(g, 0x0048, "");
		rec_u32(g, 0x0031, 0);      /* MODULEOFFSET: the source starts the stream */
		rec_u32(g, 0x001E, 0);      /* MODULEHELPCONTEXT */
		rec_u16(g, 0x002C, 0xFFFF); /* MODULECOOKIE */
		rec(g, m[i].document ? 0x0022 : 0x0021, NULL, 0);
		rec(g, 0x002B, NULL, 0); /* terminator */
	}
	rec(g, 0x0010, NULL, 0); /* dir terminator */
	return g;
}

/* ---- OLE2 (vbaProject.bin) with libgsf ---- */

struct ole_stream {
	const char *dir; /* NULL: the root storage */
	const char *name;
	const GByteArray *data;
};

static GByteArray *ole_write(const struct ole_stream *st, size_t n)
{
	GsfOutput *sink = gsf_output_memory_new();
	GsfOutfile *root = gsf_outfile_msole_new(sink);
	GsfOutfile *vba = NULL;
	GByteArray *out = NULL;
	int ok = root != NULL;

	for (size_t i = 0; ok && i < n; i++) {
		GsfOutfile *parent = root;
		GsfOutput *o;

		if (st[i].dir != NULL) {
			if (vba == NULL)
				vba = GSF_OUTFILE(gsf_outfile_new_child(root, st[i].dir, TRUE));
			parent = vba;
			if (parent == NULL) {
				ok = 0;
				break;
			}
		}
		o = gsf_outfile_new_child(parent, st[i].name, FALSE);
		if (o == NULL) {
			ok = 0;
			break;
		}
		if (st[i].data->len > 0 && !gsf_output_write(o, st[i].data->len, st[i].data->data))
			ok = 0;
		if (!gsf_output_close(o))
			ok = 0;
		g_object_unref(o);
	}
	if (vba != NULL) {
		if (!gsf_output_close(GSF_OUTPUT(vba)))
			ok = 0;
		g_object_unref(vba);
	}
	if (root != NULL) {
		if (!gsf_output_close(GSF_OUTPUT(root)))
			ok = 0;
		g_object_unref(root);
	}
	if (ok) {
		out = g_byte_array_new();
		putmem(out, gsf_output_memory_get_bytes(GSF_OUTPUT_MEMORY(sink)),
		       (size_t)gsf_output_size(sink));
	}
	g_object_unref(sink);
	return out;
}

/*
 * vbaProject.bin: the storage "VBA" (dir, _VBA_PROJECT, one stream per
 * module) and the streams PROJECT and PROJECTwm at the root. The streams
 * must be written storage by storage (GsfOutfileMSOle keeps one open child
 * per storage), so VBA's come first.
 */
static GByteArray *vba_project_bin(const struct vmodule *m, size_t n)
{
	/* _VBA_PROJECT: Reserved1 0x61CC, Version 0xFFFF (no p-code cache), 0, 0 */
	static const uint8_t vba_project[] = {0xCC, 0x61, 0xFF, 0xFF, 0x00, 0x00, 0x00};
	GPtrArray *keep = g_ptr_array_new_with_free_func((GDestroyNotify)g_byte_array_unref);
	struct ole_stream st[8];
	size_t ns = 0;
	GByteArray *dir, *cdir, *vp, *project, *wm, *out = NULL;
	GString *txt;

	if (n > 4)
		goto out;
	for (size_t i = 0; i < n; i++) {
		GByteArray *ms = g_byte_array_new();

		g_ptr_array_add(keep, ms);
		if (ovba_compress(ms, (const uint8_t *)m[i].source, strlen(m[i].source)) !=
		    DRILL_OK)
			goto out;
		st[ns++] = (struct ole_stream){"VBA", m[i].name, ms};
	}
	dir = dir_stream(m, n);
	g_ptr_array_add(keep, dir);
	cdir = g_byte_array_new();
	g_ptr_array_add(keep, cdir);
	if (ovba_compress(cdir, dir->data, dir->len) != DRILL_OK)
		goto out;
	st[ns++] = (struct ole_stream){"VBA", "dir", cdir};
	vp = g_byte_array_new();
	g_ptr_array_add(keep, vp);
	putmem(vp, vba_project, sizeof vba_project);
	st[ns++] = (struct ole_stream){"VBA", "_VBA_PROJECT", vp};

	/* PROJECT (2.3.1): the project's properties as text */
	txt = g_string_new("ID=\"{4B2A1C3D-7E6F-4A5B-9C8D-1E2F3A4B5C6D}\"\r\n");
	for (size_t i = 0; i < n; i++)
		g_string_append_printf(
		        txt, m[i].document ? "Document=%s/&H00000000\r\n" : "Module=%s\r\n",
		        m[i].name);
	g_string_append(txt, "Name=\"Project\"\r\nHelpContextID=\"0\"\r\n"
	                     "VersionCompatible32=\"393222000\"\r\n\r\n"
	                     "[Host Extender Info]\r\n"
	                     "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000\r\n"
	                     "\r\n[Workspace]\r\n");
	for (size_t i = 0; i < n; i++)
		g_string_append_printf(txt, "%s=0, 0, 0, 0, C\r\n", m[i].name);
	project = g_byte_array_new();
	g_ptr_array_add(keep, project);
	putmem(project, txt->str, txt->len);
	g_string_free(txt, TRUE);
	/* PROJECTwm (2.3.3): module names in MBCS and UTF-16 */
	wm = g_byte_array_new();
	g_ptr_array_add(keep, wm);
	for (size_t i = 0; i < n; i++) {
		putmem(wm, m[i].name, strlen(m[i].name) + 1);
		put_utf16(wm, m[i].name);
		put16(wm, 0);
	}
	put16(wm, 0);
	st[ns++] = (struct ole_stream){NULL, "PROJECT", project};
	st[ns++] = (struct ole_stream){NULL, "PROJECTwm", wm};
	out = ole_write(st, ns);
out:
	g_ptr_array_free(keep, TRUE);
	return out;
}

/* ---- the VBA ---- */

static char *vba_source(const struct sim *s, const char *module, int workbook)
{
	const char *base =
	        workbook ? "0{00020819-0000-0000-C000-000000000046}" : "1Normal.ThisDocument";

	return g_strdup_printf(
	        "Attribute VB_Name = \"%s\"\r\n"
	        "Attribute VB_Base = \"%s\"\r\n"
	        "Attribute VB_GlobalNameSpace = False\r\n"
	        "Attribute VB_Creatable = False\r\n"
	        "Attribute VB_PredeclaredId = True\r\n"
	        "Attribute VB_Exposed = True\r\n"
	        "Attribute VB_TemplateDerived = False\r\n"
	        "Attribute VB_Customizable = True\r\n"
	        "' " DRILL_SIMULANT_TAG " %s\r\n"
	        "' Drill simulant made by vigil: it only tells the drill server that this\r\n"
	        "' document was opened. It writes no file and starts no program.\r\n"
	        "Private Reported As Boolean\r\n"
	        "\r\n"
	        "%s"
	        "\r\n"
	        "Private Sub CallHome()\r\n"
	        "    On Error Resume Next\r\n"
	        "    If Reported Then Exit Sub\r\n"
	        "    Reported = True\r\n"
	        "    Dim req As Object\r\n"
	        "    Set req = CreateObject(\"MSXML2.XMLHTTP\")\r\n"
	        "    req.Open \"GET\", \"%s\", False\r\n"
	        "    req.Send\r\n"
	        "End Sub\r\n",
	        module, base, s->marker,
	        workbook ? "Private Sub Workbook_Open()\r\n    CallHome\r\nEnd Sub\r\n"
	                   "\r\nSub Auto_Open()\r\n    CallHome\r\nEnd Sub\r\n"
	                 : "Private Sub Document_Open()\r\n    CallHome\r\nEnd Sub\r\n"
	                   "\r\nSub AutoOpen()\r\n    CallHome\r\nEnd Sub\r\n",
	        s->url_a);
}

/* ---- OOXML packages ---- */

static char *custom_props(const struct sim *s)
{
	return g_strdup_printf(
	        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n"
	        "<Properties "
	        "xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/custom-properties\" "
	        "xmlns:vt=\"http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes\">"
	        "<property fmtid=\"{D5CDD505-2E9C-101B-9397-08002B2CF9AE}\" pid=\"2\" "
	        "name=\"VigilDrill\"><vt:lpwstr>" DRILL_SIMULANT_TAG " %s</vt:lpwstr></property>"
	        "</Properties>",
	        s->marker);
}

static const char rels_root_fmt[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n"
        "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
        "<Relationship Id=\"rId1\" "
        "Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
        "officeDocument\" Target=\"%s\"/>"
        "<Relationship Id=\"rId2\" "
        "Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
        "custom-properties\" Target=\"docProps/custom.xml\"/>"
        "</Relationships>";

static GByteArray *docm_build(const struct sim *s)
{
	static const char types[] =
	        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n"
	        "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
	        "<Default Extension=\"rels\" "
	        "ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
	        "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
	        "<Default Extension=\"bin\" ContentType=\"application/vnd.ms-office.vbaProject\"/>"
	        "<Override PartName=\"/word/document.xml\" "
	        "ContentType=\"application/vnd.ms-word.document.macroEnabled.main+xml\"/>"
	        "<Override PartName=\"/docProps/custom.xml\" "
	        "ContentType=\"application/"
	        "vnd.openxmlformats-officedocument.custom-properties+xml\"/>"
	        "</Types>";
	static const char doc_rels[] =
	        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n"
	        "<Relationships "
	        "xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
	        "<Relationship Id=\"rId1\" "
	        "Type=\"http://schemas.microsoft.com/office/2006/relationships/vbaProject\" "
	        "Target=\"vbaProject.bin\"/></Relationships>";
	/* the classic lure: the "protected" text asks for macros to be enabled */
	static const char document[] =
	        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n"
	        "<w:document "
	        "xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">"
	        "<w:body>"
	        "<w:p><w:r><w:rPr><w:b/></w:rPr><w:t>TÀI LIỆU ĐƯỢC BẢO VỆ</w:t></w:r></w:p>"
	        "<w:p><w:r><w:t>Văn bản này được mã hóa bởi hệ thống quản lý văn bản. Để xem nội "
	        "dung, vui lòng nhấn \"Enable Content\" (Bật nội dung) trên thanh thông báo phía "
	        "trên.</w:t></w:r></w:p>"
	        "<w:p><w:r><w:t>This document is protected. Click \"Enable Content\" to view "
	        "it.</w:t></w:r></w:p>"
	        "</w:body></w:document>";
	struct vmodule m = {"ThisDocument", vba_source(s, "ThisDocument", 0), 1};
	GByteArray *bin = vba_project_bin(&m, 1), *zip = NULL;
	char *rels = g_strdup_printf(rels_root_fmt, "word/document.xml");
	char *props = custom_props(s);

	if (bin != NULL) {
		struct zmember z[] = {
		        {"[Content_Types].xml", types, strlen(types)},
		        {"_rels/.rels", rels, strlen(rels)},
		        {"word/document.xml", document, strlen(document)},
		        {"word/_rels/document.xml.rels", doc_rels, strlen(doc_rels)},
		        {"word/vbaProject.bin", bin->data, bin->len},
		        {"docProps/custom.xml", props, strlen(props)},
		};

		zip = zip_build(z, G_N_ELEMENTS(z), NULL);
		g_byte_array_free(bin, TRUE);
	}
	g_free(m.source);
	g_free(rels);
	g_free(props);
	return zip;
}

static GByteArray *xlsm_build(const struct sim *s)
{
	static const char types[] =
	        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n"
	        "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
	        "<Default Extension=\"rels\" "
	        "ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
	        "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
	        "<Default Extension=\"bin\" ContentType=\"application/vnd.ms-office.vbaProject\"/>"
	        "<Override PartName=\"/xl/workbook.xml\" "
	        "ContentType=\"application/vnd.ms-excel.sheet.macroEnabled.main+xml\"/>"
	        "<Override PartName=\"/xl/worksheets/sheet1.xml\" "
	        "ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml."
	        "worksheet+xml\"/>"
	        "<Override PartName=\"/docProps/custom.xml\" "
	        "ContentType=\"application/"
	        "vnd.openxmlformats-officedocument.custom-properties+xml\"/>"
	        "</Types>";
	static const char wb_rels[] =
	        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n"
	        "<Relationships "
	        "xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
	        "<Relationship Id=\"rId1\" "
	        "Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
	        "worksheet\" Target=\"worksheets/sheet1.xml\"/>"
	        "<Relationship Id=\"rId2\" "
	        "Type=\"http://schemas.microsoft.com/office/2006/relationships/vbaProject\" "
	        "Target=\"vbaProject.bin\"/></Relationships>";
	static const char workbook[] =
	        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n"
	        "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
	        "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">"
	        "<workbookPr codeName=\"ThisWorkbook\"/>"
	        "<sheets><sheet name=\"Bang luong\" sheetId=\"1\" r:id=\"rId1\"/></sheets>"
	        "</workbook>";
	static const char sheet[] =
	        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n"
	        "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
	        "<sheetData>"
	        "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>BẢNG ĐỐI CHIẾU LƯƠNG VÀ MỨC "
	        "ĐÓNG BHXH</t></is></c></row>"
	        "<row r=\"3\"><c r=\"A3\" t=\"inlineStr\"><is><t>Dữ liệu được bảo vệ. Nhấn "
	        "\"Enable Content\" để hiển thị bảng.</t></is></c></row>"
	        "</sheetData></worksheet>";
	struct vmodule m = {"ThisWorkbook", vba_source(s, "ThisWorkbook", 1), 1};
	GByteArray *bin = vba_project_bin(&m, 1), *zip = NULL;
	char *rels = g_strdup_printf(rels_root_fmt, "xl/workbook.xml");
	char *props = custom_props(s);

	if (bin != NULL) {
		struct zmember z[] = {
		        {"[Content_Types].xml", types, strlen(types)},
		        {"_rels/.rels", rels, strlen(rels)},
		        {"xl/workbook.xml", workbook, strlen(workbook)},
		        {"xl/_rels/workbook.xml.rels", wb_rels, strlen(wb_rels)},
		        {"xl/worksheets/sheet1.xml", sheet, strlen(sheet)},
		        {"xl/vbaProject.bin", bin->data, bin->len},
		        {"docProps/custom.xml", props, strlen(props)},
		};

		zip = zip_build(z, G_N_ELEMENTS(z), NULL);
		g_byte_array_free(bin, TRUE);
	}
	g_free(m.source);
	g_free(rels);
	g_free(props);
	return zip;
}

/* ---- the shortcut (MS-SHLLINK) ---- */

enum {
	SL_HAS_NAME = 0x4,
	SL_HAS_RELPATH = 0x8,
	SL_HAS_WORKDIR = 0x10,
	SL_HAS_ARGS = 0x20,
	SL_HAS_ICON = 0x40,
	SL_UNICODE = 0x80,
	SL_HAS_EXP_STRING = 0x200,
};

static void sl_string(GByteArray *g, const char *s)
{
	GByteArray *w = g_byte_array_new();
	size_t n = put_utf16(w, s);

	put16(g, (uint16_t)n); /* CountCharacters */
	putmem(g, w->data, w->len);
	g_byte_array_free(w, TRUE);
}

static GByteArray *lnk_build(const struct sim *s)
{
	static const uint8_t clsid[16] = {0x01, 0x14, 0x02, 0, 0, 0, 0, 0,
	                                  0xc0, 0,    0,    0, 0, 0, 0, 0x46};
	static const char target[] =
	        "%SystemRoot%\\System32\\WindowsPowerShell\\v1.0\\powershell.exe";
	GByteArray *g = g_byte_array_new(), *w;
	char *args;
	uint8_t ansi[260] = {0};

	/* the request, and nothing else: no download, no file, no second process */
	args = g_strdup_printf(
	        "-NoProfile -NonInteractive -WindowStyle Hidden -Command \"try { "
	        "Invoke-WebRequest -UseBasicParsing -Uri '%s' | Out-Null } catch { }\"",
	        s->url_a);
	put32(g, 0x4C);
	putmem(g, clsid, sizeof clsid);
	put32(g, SL_HAS_NAME | SL_HAS_RELPATH | SL_HAS_WORKDIR | SL_HAS_ARGS | SL_HAS_ICON |
	                 SL_UNICODE | SL_HAS_EXP_STRING);
	put32(g, 0x20); /* FILE_ATTRIBUTE_ARCHIVE */
	for (int i = 0; i < 6; i++)
		put32(g, 0); /* creation, access, write times */
	put32(g, 0);         /* FileSize */
	put32(g, 13);        /* IconIndex */
	put32(g, 7);         /* ShowCommand: SW_SHOWMINNOACTIVE */
	put16(g, 0);         /* HotKey */
	put16(g, 0);
	put32(g, 0);
	put32(g, 0);
	/* StringData, in the order the flags list them */
	sl_string(g, "Danh sách");
	sl_string(g, "..\\..\\..\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe");
	sl_string(g, "%SystemRoot%\\System32");
	sl_string(g, args);
	sl_string(g, "C:\\Program Files\\Adobe\\Acrobat DC\\Acrobat\\Acrobat.exe");
	/* EnvironmentVariableDataBlock: the target with %variables% */
	put32(g, 0x314);
	put32(g, 0xA0000001);
	memcpy(ansi, target, sizeof target);
	putmem(g, ansi, sizeof ansi);
	w = g_byte_array_new();
	put_utf16(w, target);
	while (w->len < 520)
		put8(w, 0); /* TargetUnicode is a fixed 520-byte field */
	putmem(g, w->data, 520);
	g_byte_array_free(w, TRUE);
	put32(g, 0); /* TerminalBlock */
	g_free(args);
	return g;
}

static GByteArray *zip_lnk_build(const struct sim *s, const char *inner)
{
	GByteArray *lnk = lnk_build(s), *zip;
	char *comment = g_strdup_printf(DRILL_SIMULANT_TAG " %s", s->marker);
	struct zmember z[] = {{inner, lnk->data, lnk->len}};

	zip = zip_build(z, 1, comment);
	g_free(comment);
	g_byte_array_free(lnk, TRUE);
	return zip;
}

/* ---- the credential page ---- */

static GByteArray *html_build(const struct sim *s)
{
	GByteArray *g = g_byte_array_new();
	char *page = g_strdup_printf(
	        "<!DOCTYPE html>\r\n"
	        "<html lang=\"vi\">\r\n"
	        "<!-- " DRILL_SIMULANT_TAG " %s -->\r\n"
	        "<head><meta charset=\"utf-8\">\r\n"
	        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\r\n"
	        "<title>Đăng nhập hệ thống thư điện tử</title>\r\n"
	        "<style>body{font-family:Arial,sans-serif;background:#eef2f7}"
	        ".box{max-width:360px;margin:80px auto;background:#fff;padding:24px;"
	        "border-radius:6px;box-shadow:0 1px 4px #0003}"
	        "input{width:100%%;padding:8px;margin:6px 0 14px;box-sizing:border-box}"
	        "button{width:100%%;padding:10px;background:#0b5394;color:#fff;border:0}</"
	        "style>\r\n"
	        "</head>\r\n"
	        "<body><div class=\"box\">\r\n"
	        "<h2>Xác thực tài khoản</h2>\r\n"
	        "<p>Phiên làm việc đã hết hạn. Vui lòng đăng nhập lại để tiếp tục sử dụng "
	        "hộp thư.</p>\r\n"
	        /* the inputs have no name: a browser sends only typed=1 */
	        "<form method=\"post\" action=\"%s\">\r\n"
	        "<label>Tên đăng nhập</label><input type=\"text\" autocomplete=\"off\">\r\n"
	        "<label>Mật khẩu</label><input type=\"password\" autocomplete=\"off\">\r\n"
	        "<input type=\"hidden\" name=\"typed\" value=\"1\">\r\n"
	        "<button type=\"submit\">Đăng nhập</button>\r\n"
	        "</form></div></body></html>\r\n",
	        s->marker, s->url_f);

	putstr(g, page);
	g_free(page);
	return g;
}

/* ---- entry points ---- */

static int finish(GByteArray *g, uint8_t **bytes, size_t *len, drill_error *err)
{
	if (g == NULL) {
		drill_err_text(err, DRILL_ENOMEM, "simulant", "the simulant could not be built",
		               "không tạo được tệp mô phỏng");
		return DRILL_ENOMEM;
	}
	if (g->len > SIM_MAX) {
		g_byte_array_free(g, TRUE);
		drill_err_text(err, DRILL_ELIMIT, "simulant", "the simulant is too large",
		               "tệp mô phỏng quá lớn");
		return DRILL_ELIMIT;
	}
	*len = g->len;
	*bytes = g_malloc(g->len > 0 ? g->len : 1);
	memcpy(*bytes, g->data, g->len);
	g_byte_array_free(g, TRUE);
	return DRILL_OK;
}

static int build(enum drill_sim_kind kind, const char *name, const char *inner,
                 const uint8_t key[DRILL_KEY_LEN], const char *ref, const char *token,
                 const char *base_url, uint8_t **bytes, size_t *len, drill_error *err)
{
	struct sim s;
	int rc;

	*bytes = NULL;
	*len = 0;
	rc = sim_init(&s, key, ref, token, base_url, err);
	if (rc != DRILL_OK)
		return rc;
	switch (kind) {
	case DRILL_SIM_MACRO_DOC: {
		size_t n = name != NULL ? strlen(name) : 0;
		int xl = n >= 5 && g_ascii_strcasecmp(name + n - 5, ".xlsm") == 0;

		return finish(xl ? xlsm_build(&s) : docm_build(&s), bytes, len, err);
	}
	case DRILL_SIM_ZIP_LNK:
		return finish(zip_lnk_build(&s, inner != NULL ? inner : "Tai_lieu.pdf.lnk"), bytes,
		              len, err);
	case DRILL_SIM_HTML_CREDENTIAL:
		return finish(html_build(&s), bytes, len, err);
	default:
		drill_err_text(err, DRILL_EINVAL, "kind", "this kind has no simulant file",
		               "loại này không có tệp mô phỏng");
		return DRILL_EINVAL;
	}
}

int drill_simulant_build(enum drill_sim_kind kind, const uint8_t key[DRILL_KEY_LEN],
                         const char *ref, const char *token, const char *base_url, uint8_t **bytes,
                         size_t *len, drill_error *err)
{
	return build(kind, NULL, NULL, key, ref, token, base_url, bytes, len, err);
}

static char *inner_default(const char *zipname)
{
	size_t n = strlen(zipname);

	/* "Danh_sach.zip" holds "Danh_sach.pdf.lnk": the icon and name say PDF */
	return g_strdup_printf("%.*s.pdf.lnk", (int)(n > 4 ? n - 4 : n), zipname);
}

int drill_simulant_build_for(const drill_scenario *sc, const uint8_t key[DRILL_KEY_LEN],
                             const char *ref, const char *token, const char *base_url,
                             uint8_t **bytes, size_t *len, drill_error *err)
{
	char *inner = NULL;
	int rc;

	if (sc->attachment_kind == DRILL_SIM_ZIP_LNK)
		inner = sc->attachment_inner != NULL ? g_strdup(sc->attachment_inner)
		                                     : inner_default(sc->attachment_name);
	rc = build(sc->attachment_kind, sc->attachment_name, inner, key, ref, token, base_url,
	           bytes, len, err);
	g_free(inner);
	return rc;
}

const char *drill_simulant_content_type(const drill_scenario *sc)
{
	size_t n = sc->attachment_name != NULL ? strlen(sc->attachment_name) : 0;

	switch (sc->attachment_kind) {
	case DRILL_SIM_MACRO_DOC:
		if (n >= 5 && g_ascii_strcasecmp(sc->attachment_name + n - 5, ".xlsm") == 0)
			return "application/vnd.ms-excel.sheet.macroEnabled.12";
		return "application/vnd.ms-word.document.macroEnabled.12";
	case DRILL_SIM_ZIP_LNK:
		return "application/zip";
	case DRILL_SIM_HTML_CREDENTIAL:
		return "text/html";
	default:
		return "application/octet-stream";
	}
}
