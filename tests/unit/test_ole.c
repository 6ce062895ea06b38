/*
 * test_ole.c - OLE2 compound files: streams, packages, PowerPoint objects,
 * password protection and damage.
 *
 * The documents are written here with libgsf's OLE2 writer; package headers,
 * FIB/BIFF/PowerPoint records and password verifiers are built byte by byte
 * from MS-OLEDS / MS-DOC / MS-XLS / MS-PPT / MS-OFFCRYPTO.
 */
#include <gsf/gsf-outfile-msole.h>
#include <gsf/gsf-outfile.h>
#include <gsf/gsf-output-memory.h>
#include <gsf/gsf-output.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <zlib.h>

#include "testutil.h"

/* ---- building OLE2 files ---- */

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
	GsfOutfile *d, *up;

	if (slash == NULL)
		return root;
	parent = g_strndup(path, (size_t)(slash - path));
	d = g_hash_table_lookup(dirs, parent);
	if (d == NULL) {
		const char *name = strrchr(parent, '/');

		up = storage_for(dirs, order, root, parent);
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

static void putz(GByteArray *g, const char *s)
{
	g_byte_array_append(g, (const uint8_t *)s, (guint)strlen(s) + 1);
}

static void put_w16(GByteArray *g, const char *utf8)
{
	glong n = 0;
	gunichar2 *w = g_utf8_to_utf16(utf8, -1, NULL, &n, NULL);

	put32(g, (uint32_t)n);
	for (glong i = 0; i < n; i++)
		put16(g, w[i]);
	g_free(w);
}

/* \x01Ole10Native of an OLE Package: kind 3 = embedded file, 1 = link */
static GByteArray *package(const char *label, const char *src, const char *tmp, const void *d,
                           uint32_t n, uint32_t declared, const char *wtmp)
{
	GByteArray *b = g_byte_array_new(), *out = g_byte_array_new();

	put16(b, 2);
	putz(b, label);
	putz(b, src);
	put16(b, 0);
	put16(b, 3);
	put32(b, (uint32_t)strlen(tmp) + 1);
	putz(b, tmp);
	put32(b, declared);
	g_byte_array_append(b, d, n);
	if (wtmp != NULL) {
		put_w16(b, wtmp);
		put_w16(b, label);
		put_w16(b, src);
	}
	put32(out, b->len);
	g_byte_array_append(out, b->data, b->len);
	g_byte_array_free(b, TRUE);
	return out;
}

static vigil_scan *scan_bytes(vigil_engine *e, const GByteArray *g, const char *name)
{
	return tu_scan(e, g->data, g->len, name);
}

static const uint8_t *obj_data(const vigil_scan *s, const char *suffix, size_t *len)
{
	const vigil_object *o = tu_object(s, suffix);

	if (o == NULL) {
		tu_dump(s);
		fail_msg("no object %s", suffix);
	}
	return vigil_object_data(o, len);
}

static long finding_on(const vigil_scan *s, const char *id, const char *path)
{
	for (size_t i = 0; i < vigil_scan_finding_count(s); i++) {
		const vigil_finding *f = vigil_scan_finding(s, i);

		if (strcmp(vigil_finding_id(f), id) == 0 &&
		    strcmp(tu_finding_path(s, (long)i), path) == 0)
			return (long)i;
	}
	return -1;
}

static const char *evidence(const vigil_scan *s, const char *id)
{
	long i = tu_finding(s, id);

	if (i < 0) {
		tu_dump(s);
		fail_msg("no finding %s", id);
	}
	return vigil_finding_evidence(vigil_scan_finding(s, (size_t)i));
}

/* a Word 97 FIB base: wIdent 0xA5EC, flags at 0x0A */
static void fib(uint8_t *w, size_t n, uint16_t flags)
{
	memset(w, 0, n);
	w[0] = 0xEC;
	w[1] = 0xA5;
	w[2] = 0xC1;
	w[0x0A] = (uint8_t)flags;
	w[0x0B] = (uint8_t)(flags >> 8);
}

/* ---- streams, storages, packages ---- */

static void streams_storages_and_a_package(void **state)
{
	static const char module[] =
	        "Attribute VB_Name = \"Module1\"\r\nSub AutoOpen()\r\nEnd Sub\r\n";
	static const char js[] = "var s = new ActiveXObject('WScript.Shell'); s.Run('calc');\n";
	uint8_t word[512], *big = g_malloc(100000);
	GByteArray *pkg = package("payload.js", "C:\\Users\\a\\payload.js",
	                          "C:\\Users\\a\\AppData\\Local\\Temp\\payload.js", js,
	                          sizeof js - 1, sizeof js - 1, NULL);
	vigil_engine *e = tu_engine(NULL, NULL);
	struct entry ents[] = {
	        {"WordDocument", word, sizeof word},
	        {"Macros/VBA/Module1", module, sizeof module - 1},
	        {"Macros/VBA/dir", "\x01\x02\x03", 3},
	        {"ObjectPool/_1234/\x01Ole10Native", pkg->data, pkg->len},
	        {"ObjectPool/_1234/\x01CompObj", "\x01\x00\xfe\xff", 4},
	        {"Data", big, 100000},
	};
	GByteArray *doc;
	vigil_scan *s;
	size_t len;
	const uint8_t *d;
	const vigil_object *o;

	(void)state;
	fib(word, sizeof word, 0);
	for (size_t i = 0; i < 100000; i++)
		big[i] = (uint8_t)(i * 31 + (i >> 8));
	doc = ole_build(ents, G_N_ELEMENTS(ents));
	s = scan_bytes(e, doc, "report.doc");

	/* root + 6 streams + the packaged file */
	assert_int_equal(vigil_scan_object_count(s), 8);
	assert_string_equal(vigil_object_type(vigil_scan_object(s, 0)), "ole2");
	d = obj_data(s, "report.doc/Macros/VBA/Module1", &len);
	assert_int_equal(len, sizeof module - 1);
	assert_memory_equal(d, module, len);
	d = obj_data(s, "report.doc/Macros/VBA/dir", &len);
	assert_int_equal(len, 3);
	assert_memory_equal(d, "\x01\x02\x03", 3);
	d = obj_data(s, "report.doc/Data", &len); /* a big-block stream, read in chunks */
	assert_int_equal(len, 100000);
	assert_memory_equal(d, big, 100000);
	d = obj_data(s, "report.doc/WordDocument", &len);
	assert_int_equal(len, sizeof word);
	o = tu_object(s, "report.doc/ObjectPool/_1234/\\x01Ole10Native");
	assert_non_null(o);
	assert_string_equal(vigil_object_type(o), "ole10native");
	assert_string_equal(vigil_object_name(o), "ObjectPool/_1234/\\x01Ole10Native");

	/* the file inside the package, named by the file it writes */
	o = tu_object(s, "report.doc/ObjectPool/_1234/\\x01Ole10Native/payload.js");
	assert_non_null(o);
	assert_string_equal(vigil_object_name(o), "payload.js");
	d = vigil_object_data(o, &len);
	assert_int_equal(len, sizeof js - 1);
	assert_memory_equal(d, js, len);
	assert_true(finding_on(s, "content.executable",
	                       "report.doc/ObjectPool/_1234/\\x01Ole10Native/payload.js") >= 0);
	assert_int_equal(tu_finding(s, "archive.damaged"), -1);
	assert_int_equal(tu_finding(s, "document.encrypted"), -1);
	assert_int_equal(tu_finding(s, "ole.package_label_mismatch"), -1);
	assert_int_equal(vigil_object_flags(vigil_scan_object(s, 0)), 0);

	vigil_scan_free(s);
	g_byte_array_free(doc, TRUE);
	g_byte_array_free(pkg, TRUE);
	g_free(big);
	vigil_engine_unref(e);
}

static void package_label_hides_the_real_file(void **state)
{
	static const char mz[] = "MZ\x90\0\x03\0\0\0 a program, not a pdf";
	/* the label the reader sees says .pdf; the file written (and run) is .exe */
	GByteArray *pkg = package("invoice.pdf", "C:\\x\\invoice.pdf", "C:\\Temp\\h?a d?n.exe", mz,
	                          sizeof mz - 1, sizeof mz - 1, "C:\\Temp\\hóa đơn.pdf.exe");
	vigil_engine *e = tu_engine(NULL, NULL);
	struct entry ents[] = {{"ObjectPool/_1/\x01Ole10Native", pkg->data, pkg->len}};
	GByteArray *doc = ole_build(ents, 1);
	vigil_scan *s = scan_bytes(e, doc, "x.doc");
	const vigil_object *o;
	size_t len;

	(void)state;
	/* the UTF-16 temp path wins over the ANSI one with its '?' */
	o = tu_object(s, "x.doc/ObjectPool/_1/\\x01Ole10Native/hóa đơn.pdf.exe");
	if (o == NULL)
		tu_dump(s);
	assert_non_null(o);
	assert_memory_equal(vigil_object_data(o, &len), mz, sizeof mz - 1);
	assert_int_equal(len, sizeof mz - 1);
	assert_string_equal(evidence(s, "ole.package_label_mismatch"),
	                    "label \"invoice.pdf\", file \"hóa đơn.pdf.exe\"");
	assert_true(finding_on(s, "ole.package_label_mismatch",
	                       "x.doc/ObjectPool/_1/\\x01Ole10Native") >= 0);
	assert_true(tu_finding(s, "name.double_extension") >= 0);
	vigil_scan_free(s);
	g_byte_array_free(doc, TRUE);
	g_byte_array_free(pkg, TRUE);
	vigil_engine_unref(e);
}

static void damaged_and_linked_packages(void **state)
{
	vigil_engine *e = tu_engine(NULL, NULL);
	/* declares 1000 bytes of data, holds 10 */
	GByteArray *cut =
	        package("a.txt", "C:\\a.txt", "C:\\T\\a.txt", "0123456789", 10, 1000, NULL);
	GByteArray *link = g_byte_array_new(), *lb = g_byte_array_new();
	static const uint8_t header_only[] = {0x40, 0, 0, 0, 2, 0, 'a', '.', 't', 'x', 't'};
	GByteArray *doc;
	vigil_scan *s;
	const vigil_object *o;
	size_t len;

	(void)state;
	put16(lb, 2);
	putz(lb, "notes.txt");
	putz(lb, "\\\\share.example\\pub\\notes.exe");
	put16(lb, 0);
	put16(lb, 1); /* a link: no data follows */
	put32(link, lb->len);
	g_byte_array_append(link, lb->data, lb->len);
	{
		struct entry ents[] = {
		        {"A/\x01Ole10Native", cut->data, cut->len},
		        {"B/\x01Ole10Native", link->data, link->len},
		        {"C/\x01Ole10Native", header_only, sizeof header_only},
		};

		doc = ole_build(ents, G_N_ELEMENTS(ents));
	}
	s = scan_bytes(e, doc, "p.doc");
	o = tu_object(s, "p.doc/A/\\x01Ole10Native/a.txt");
	assert_non_null(o);
	assert_memory_equal(vigil_object_data(o, &len), "0123456789", 10);
	assert_int_equal(len, 10);
	assert_int_equal(vigil_object_size(o), 1000);
	assert_true(vigil_object_flags(o) & VIGIL_OBJ_TRUNCATED);
	assert_true(finding_on(s, "archive.damaged", "p.doc/A/\\x01Ole10Native") >= 0);
	assert_true(finding_on(s, "ole.package_link", "p.doc/B/\\x01Ole10Native") >= 0);
	assert_string_equal(evidence(s, "ole.package_link"),
	                    "package \"notes.txt\" runs \\\\share.example\\pub\\notes.exe");
	assert_true(finding_on(s, "archive.damaged", "p.doc/C/\\x01Ole10Native") >= 0);
	/* root, 3 streams, 1 file: the link and the broken header have no child */
	assert_int_equal(vigil_scan_object_count(s), 5);
	vigil_scan_free(s);
	g_byte_array_free(doc, TRUE);
	g_byte_array_free(cut, TRUE);
	g_byte_array_free(link, TRUE);
	g_byte_array_free(lb, TRUE);
	vigil_engine_unref(e);
}

/* ---- password protection ---- */

static void sha1(const void *a, size_t an, const void *b, size_t bn, uint8_t out[20])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned l;

	assert_int_equal(EVP_DigestInit_ex(c, EVP_sha1(), NULL), 1);
	EVP_DigestUpdate(c, a, an);
	EVP_DigestUpdate(c, b, bn);
	EVP_DigestFinal_ex(c, out, &l);
	EVP_MD_CTX_free(c);
}

static size_t pw16(const char *pw, uint8_t *out)
{
	size_t n = strlen(pw);

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = (uint8_t)pw[i];
		out[2 * i + 1] = 0;
	}
	return 2 * n;
}

static void le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16),
	p[3] = (uint8_t)(v >> 24);
}

/* RC4 keystream xor, from the algorithm's definition */
static void rc4(const uint8_t *key, size_t kl, uint8_t *p, size_t n)
{
	uint8_t S[256], i = 0, j = 0, t;

	for (int k = 0; k < 256; k++)
		S[k] = (uint8_t)k;
	for (int k = 0; k < 256; k++) {
		j = (uint8_t)(j + S[k] + key[(size_t)k % kl]);
		t = S[k], S[k] = S[j], S[j] = t;
	}
	j = 0;
	for (size_t k = 0; k < n; k++) {
		i = (uint8_t)(i + 1);
		j = (uint8_t)(j + S[i]);
		t = S[i], S[i] = S[j], S[j] = t;
		p[k] ^= S[(uint8_t)(S[i] + S[j])];
	}
}

static void csp_header(GByteArray *h, uint32_t flags, uint32_t alg, uint32_t bits, const char *csp)
{
	put32(h, flags);
	put32(h, 0);      /* SizeExtra */
	put32(h, alg);    /* AlgID */
	put32(h, 0x8004); /* AlgIDHash: SHA-1 */
	put32(h, bits);
	put32(h, 0x18); /* ProviderType */
	put32(h, 0);
	put32(h, 0);
	for (const char *c = csp; *c; c++)
		put16(h, (uint8_t)*c);
	put16(h, 0);
}

/* EncryptionInfo of ECMA-376 standard encryption (AES-128), verifier made for pw */
static GByteArray *standard_info(const char *pw)
{
	uint8_t salt[16], ver[16], vh[32], pwb[64], h[20], it[4], x[64], x1[20], key[16];
	uint8_t ev[16], eh[32];
	size_t pwn = pw16(pw, pwb);
	GByteArray *info = g_byte_array_new(), *hdr = g_byte_array_new();
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int l;

	for (int i = 0; i < 16; i++)
		salt[i] = (uint8_t)(i * 7 + 1), ver[i] = (uint8_t)(i * 13 + 5);
	sha1(salt, 16, pwb, pwn, h);
	for (uint32_t i = 0; i < 50000; i++) {
		le32(it, i);
		sha1(it, 4, h, 20, h);
	}
	le32(it, 0);
	sha1(h, 20, it, 4, h);
	memset(x, 0x36, 64);
	for (int i = 0; i < 20; i++)
		x[i] ^= h[i];
	sha1(x, 64, NULL, 0, x1);
	memcpy(key, x1, 16);
	memset(vh, 0, sizeof vh);
	sha1(ver, 16, NULL, 0, vh);
	EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, key, NULL);
	EVP_CIPHER_CTX_set_padding(c, 0);
	EVP_EncryptUpdate(c, ev, &l, ver, 16);
	EVP_EncryptUpdate(c, eh, &l, vh, 32);
	EVP_CIPHER_CTX_free(c);

	csp_header(hdr, 0x24, 0x660E, 128, "Microsoft Enhanced RSA and AES Cryptographic Provider");
	put16(info, 3);
	put16(info, 2);
	put32(info, 0x24);
	put32(info, hdr->len);
	g_byte_array_append(info, hdr->data, hdr->len);
	put32(info, 16);
	g_byte_array_append(info, salt, 16);
	g_byte_array_append(info, ev, 16);
	put32(info, 20);
	g_byte_array_append(info, eh, 32);
	g_byte_array_free(hdr, TRUE);
	return info;
}

static void encrypted_ooxml_package(void **state)
{
	vigil_engine *e = tu_engine(NULL, NULL);
	uint8_t junk[3000];

	(void)state;
	for (size_t i = 0; i < sizeof junk; i++)
		junk[i] = (uint8_t)(i * 151 + 7);
	for (int velvet = 0; velvet < 2; velvet++) {
		GByteArray *info = standard_info(velvet ? "VelvetSweatshop" : "s3cret");
		struct entry ents[] = {
		        {"\x06"
		         "DataSpaces/Version",
		         "\x3c\0\0\0", 4},
		        {"EncryptionInfo", info->data, info->len},
		        {"EncryptedPackage", junk, sizeof junk},
		};
		GByteArray *doc = ole_build(ents, G_N_ELEMENTS(ents));
		vigil_scan *s = scan_bytes(e, doc, "budget.xlsx");
		size_t len;

		assert_true(finding_on(s, "document.encrypted", "budget.xlsx") >= 0);
		assert_true(vigil_object_flags(vigil_scan_object(s, 0)) & VIGIL_OBJ_ENCRYPTED);
		if (velvet) {
			assert_string_equal(
			        evidence(s, "document.encrypted"),
			        "encrypted OOXML package (ECMA-376 standard encryption); the "
			        "password is Excel's default \"VelvetSweatshop\": it opens "
			        "without a prompt");
			assert_true(finding_on(s, "document.default_password", "budget.xlsx") >= 0);
		} else {
			assert_string_equal(
			        evidence(s, "document.encrypted"),
			        "encrypted OOXML package (ECMA-376 standard encryption)");
			assert_int_equal(tu_finding(s, "document.default_password"), -1);
		}
		/* an encrypted .xlsx is OLE2 by design */
		assert_int_equal(tu_finding(s, "name.extension_mismatch"), -1);
		/* the streams are still objects (hashes for indicators) */
		assert_memory_equal(obj_data(s, "budget.xlsx/EncryptedPackage", &len), junk,
		                    sizeof junk);
		assert_non_null(tu_object(s, "budget.xlsx/\\x06DataSpaces/Version"));
		vigil_scan_free(s);
		g_byte_array_free(doc, TRUE);
		g_byte_array_free(info, TRUE);
	}
	{
		/* EncryptionInfo alone is no encrypted package */
		struct entry ents[] = {{"EncryptionInfo", "\x04\0\x04\0", 4}};
		GByteArray *doc = ole_build(ents, 1);
		vigil_scan *s = scan_bytes(e, doc, "a.doc");

		assert_int_equal(tu_finding(s, "document.encrypted"), -1);
		vigil_scan_free(s);
		g_byte_array_free(doc, TRUE);
	}
	vigil_engine_unref(e);
}

static void word_encryption_flag(void **state)
{
	static const struct {
		uint16_t flags;
		const char *evidence;
	} cases[] = {
	        {0x0000, NULL},
	        {0x0200, NULL}, /* fGlsy: not encryption */
	        {0x0100, "Word document with the fEncrypted flag (RC4)"},
	        {0x8100, "Word document with the fEncrypted flag (XOR obfuscation)"},
	};
	vigil_engine *e = tu_engine(NULL, NULL);

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		uint8_t w[600];
		struct entry ents[] = {{"WordDocument", w, sizeof w}, {"1Table", "x", 1}};
		GByteArray *doc;
		vigil_scan *s;

		fib(w, sizeof w, cases[i].flags);
		doc = ole_build(ents, G_N_ELEMENTS(ents));
		s = scan_bytes(e, doc, "letter.doc");
		if (cases[i].evidence == NULL) {
			assert_int_equal(tu_finding(s, "document.encrypted"), -1);
		} else {
			assert_string_equal(evidence(s, "document.encrypted"), cases[i].evidence);
			assert_int_equal(tu_finding(s, "document.default_password"), -1);
		}
		vigil_scan_free(s);
		g_byte_array_free(doc, TRUE);
	}
	vigil_engine_unref(e);
}

static void biff(GByteArray *g, uint16_t type, const void *d, uint16_t n)
{
	put16(g, type);
	put16(g, n);
	g_byte_array_append(g, d, n);
}

/* FILEPASS data for RC4 CryptoAPI, verifier made for pw */
static GByteArray *filepass_capi(const char *pw, unsigned bits)
{
	uint8_t salt[16], v[36], pwb[64], h[20], key[20], blk[4] = {0};
	size_t pwn = pw16(pw, pwb);
	GByteArray *fp = g_byte_array_new(), *hdr = g_byte_array_new();

	for (int i = 0; i < 16; i++)
		salt[i] = (uint8_t)(0xA0 + i), v[i] = (uint8_t)(i * 29 + 3);
	sha1(v, 16, NULL, 0, v + 16);
	sha1(salt, 16, pwb, pwn, h);
	sha1(h, 20, blk, 4, key);
	if (bits == 40)
		memset(key + 5, 0, 11); /* a 40-bit key is used as a 128-bit one */
	rc4(key, 16, v, sizeof v);
	csp_header(hdr, 0x04, 0x6801, bits, "Microsoft Enhanced Cryptographic Provider v1.0");
	put16(fp, 1); /* wEncryptionType: RC4 */
	put16(fp, 4);
	put16(fp, 2);
	put32(fp, 0x04);
	put32(fp, hdr->len);
	g_byte_array_append(fp, hdr->data, hdr->len);
	put32(fp, 16);
	g_byte_array_append(fp, salt, 16);
	g_byte_array_append(fp, v, 16);
	put32(fp, 20);
	g_byte_array_append(fp, v + 16, 20);
	g_byte_array_free(hdr, TRUE);
	return fp;
}

static GByteArray *workbook(const GByteArray *filepass, bool sheet_first)
{
	static const uint8_t bof[16] = {0x00, 0x06, 0x05, 0x00};
	static const uint8_t sheet[8] = {0};
	GByteArray *g = g_byte_array_new();

	biff(g, 0x0809, bof, sizeof bof);
	if (sheet_first)
		biff(g, 0x0085, sheet, sizeof sheet);
	if (filepass != NULL)
		biff(g, 0x002F, filepass->data, (uint16_t)filepass->len);
	biff(g, 0x0085, sheet, sizeof sheet);
	biff(g, 0x000A, NULL, 0);
	return g;
}

static void excel_filepass(void **state)
{
	vigil_engine *e = tu_engine(NULL, NULL);
	static const uint8_t xor_fp[6] = {0, 0, 0x34, 0x12, 0x78, 0x56};
	GByteArray xor_arr = {(guint8 *)xor_fp, sizeof xor_fp};

	(void)state;
	for (int c = 0; c < 6; c++) {
		GByteArray *fp = c == 0   ? filepass_capi("VelvetSweatshop", 128)
		                 : c == 1 ? filepass_capi("VelvetSweatshop", 40)
		                 : c == 2 ? filepass_capi("hunter2", 128)
		                          : NULL;
		GByteArray *wb = workbook(c == 3 || c == 5 ? &xor_arr : fp, c == 5);
		struct entry ents[] = {{c == 4 ? "Book" : "Workbook", wb->data, wb->len}};
		GByteArray *doc = ole_build(ents, 1);
		vigil_scan *s = scan_bytes(e, doc, "sheet.xls");

		switch (c) {
		case 0:
		case 1:
			assert_string_equal(
			        evidence(s, "document.default_password"),
			        "Excel workbook with a FILEPASS record (RC4 CryptoAPI)");
			assert_true(finding_on(s, "document.encrypted", "sheet.xls") >= 0);
			break;
		case 2:
			assert_string_equal(
			        evidence(s, "document.encrypted"),
			        "Excel workbook with a FILEPASS record (RC4 CryptoAPI)");
			assert_int_equal(tu_finding(s, "document.default_password"), -1);
			break;
		case 3:
			assert_string_equal(
			        evidence(s, "document.encrypted"),
			        "Excel workbook with a FILEPASS record (XOR obfuscation)");
			break;
		default:
			/* no FILEPASS, or one after the first BOUNDSHEET: not protected */
			assert_int_equal(tu_finding(s, "document.encrypted"), -1);
		}
		vigil_scan_free(s);
		g_byte_array_free(doc, TRUE);
		g_byte_array_free(wb, TRUE);
		if (fp != NULL)
			g_byte_array_free(fp, TRUE);
	}
	vigil_engine_unref(e);
}

/* ---- PowerPoint ---- */

static void ppt_record(GByteArray *g, uint16_t verinst, uint16_t type, const void *d, uint32_t n)
{
	put16(g, verinst);
	put16(g, type);
	put32(g, n);
	g_byte_array_append(g, d, n);
}

static GByteArray *current_user(uint32_t token)
{
	GByteArray *g = g_byte_array_new(), *atom = g_byte_array_new();

	put32(atom, 0x14);
	put32(atom, token);
	put32(atom, 0); /* offsetToCurrentEdit */
	put16(atom, 0);
	put16(atom, 0);
	put16(atom, 0);
	put16(atom, 0);
	ppt_record(g, 0, 0x0FF6, atom->data, atom->len);
	g_byte_array_free(atom, TRUE);
	return g;
}

static void powerpoint_objects_and_encryption(void **state)
{
	static const char module[] = "Attribute VB_Name = \"Module1\"\r\n";
	static const char text[] = "just some text in a package";
	vigil_engine *e = tu_engine(NULL, NULL);
	struct entry inner_ents[] = {{"VBA/Module1", module, sizeof module - 1}};
	GByteArray *inner = ole_build(inner_ents, 1);
	GByteArray *pkg = package("t.txt", "C:\\t.txt", "C:\\T\\t.txt", text, sizeof text - 1,
	                          sizeof text - 1, NULL);
	struct entry inner2_ents[] = {{"\x01Ole10Native", pkg->data, pkg->len}};
	GByteArray *inner2 = ole_build(inner2_ents, 1);
	GByteArray *stream = g_byte_array_new(), *comp = g_byte_array_new(),
	           *container = g_byte_array_new();
	GByteArray *cu = current_user(0xE391C05Fu), *cu_enc = current_user(0xF3D1C4DFu);
	uLongf zl = compressBound(inner->len);
	uint8_t *z = g_malloc(zl);
	size_t len;

	(void)state;
	assert_int_equal(compress2(z, &zl, inner->data, inner->len, 9), Z_OK);
	put32(comp, inner->len);
	g_byte_array_append(comp, z, (guint)zl);
	/* a DocumentContainer-like record, then a compressed storage, then an
	 * uncompressed one inside a container */
	ppt_record(stream, 0x000F, 0x03E8, "\0\0\0\0\0\0\0\0", 8);
	ppt_record(stream, 0x0010, 0x1011, comp->data, comp->len);
	ppt_record(container, 0x0000, 0x1011, inner2->data, inner2->len);
	ppt_record(stream, 0x000F, 0x0FF0, container->data, container->len);
	{
		struct entry ents[] = {{"Current User", cu->data, cu->len},
		                       {"PowerPoint Document", stream->data, stream->len}};
		GByteArray *doc = ole_build(ents, G_N_ELEMENTS(ents));
		vigil_scan *s = scan_bytes(e, doc, "deck.ppt");
		const vigil_object *o;

		assert_memory_equal(
		        obj_data(s, "deck.ppt/PowerPoint Document/ExOleObjStg-1/VBA/Module1", &len),
		        module, sizeof module - 1);
		assert_int_equal(len, sizeof module - 1);
		o = tu_object(s,
		              "deck.ppt/PowerPoint Document/ExOleObjStg-2/\\x01Ole10Native/t.txt");
		assert_non_null(o);
		assert_memory_equal(vigil_object_data(o, &len), text, sizeof text - 1);
		assert_int_equal(tu_finding(s, "document.encrypted"), -1);
		assert_int_equal(tu_finding(s, "archive.damaged"), -1);
		vigil_scan_free(s);
		g_byte_array_free(doc, TRUE);
	}
	{
		/* encrypted: the record stream is ciphertext and is not walked */
		struct entry ents[] = {{"Current User", cu_enc->data, cu_enc->len},
		                       {"PowerPoint Document", stream->data, stream->len}};
		GByteArray *doc = ole_build(ents, G_N_ELEMENTS(ents));
		vigil_scan *s = scan_bytes(e, doc, "deck.ppt");

		assert_string_equal(evidence(s, "document.encrypted"),
		                    "PowerPoint presentation with an encrypted document stream "
		                    "(CryptSession10Container)");
		assert_null(tu_object(s, "ExOleObjStg-1"));
		vigil_scan_free(s);
		g_byte_array_free(doc, TRUE);
	}
	{
		/* a compressed object that is cut short, and a record past the end */
		GByteArray *bad = g_byte_array_new();

		ppt_record(bad, 0x0010, 0x1011, comp->data, comp->len / 2);
		put16(bad, 0x000F);
		put16(bad, 0x03E8);
		put32(bad, 0x7FFFFFFF);
		{
			struct entry ents[] = {{"PowerPoint Document", bad->data, bad->len}};
			GByteArray *doc = ole_build(ents, 1);
			vigil_scan *s = scan_bytes(e, doc, "deck.ppt");

			assert_true(finding_on(s, "archive.damaged",
			                       "deck.ppt/PowerPoint Document") >= 0);
			{
				const vigil_object *o =
				        tu_object(s, "deck.ppt/PowerPoint Document/ExOleObjStg-1");

				assert_non_null(o);
				assert_true(vigil_object_flags(o) & VIGIL_OBJ_TRUNCATED);
			}
			vigil_scan_free(s);
			g_byte_array_free(doc, TRUE);
		}
		g_byte_array_free(bad, TRUE);
	}
	g_free(z);
	g_byte_array_free(inner, TRUE);
	g_byte_array_free(inner2, TRUE);
	g_byte_array_free(pkg, TRUE);
	g_byte_array_free(stream, TRUE);
	g_byte_array_free(comp, TRUE);
	g_byte_array_free(container, TRUE);
	g_byte_array_free(cu, TRUE);
	g_byte_array_free(cu_enc, TRUE);
	vigil_engine_unref(e);
}

/* ---- damage and limits ---- */

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* the 128-byte directory entry of a stream, found by its (ASCII) name */
static uint8_t *dir_entry(GByteArray *doc, const char *name)
{
	uint8_t w[64] = {0};
	size_t n = strlen(name);

	for (size_t i = 0; i < n; i++)
		w[2 * i] = (uint8_t)name[i];
	for (size_t off = 512; off + 128 <= doc->len; off += 128)
		if (memcmp(doc->data + off, w, 2 * n + 2) == 0 &&
		    doc->data[off + 0x40] == (uint8_t)(2 * n + 2) && doc->data[off + 0x42] == 2)
			return doc->data + off;
	fail_msg("no directory entry %s", name);
	return NULL;
}

static GByteArray *sample_doc(uint8_t **big)
{
	uint8_t word[512];
	struct entry ents[] = {
	        {"WordDocument", word, sizeof word},
	        {"Data", NULL, 200000},
	        {"Macros/VBA/Module1", "Sub x()\r\nEnd Sub\r\n", 18},
	};

	*big = g_malloc(200000);
	for (size_t i = 0; i < 200000; i++)
		(*big)[i] = (uint8_t)(i ^ (i >> 9));
	ents[1].data = *big;
	fib(word, sizeof word, 0);
	return ole_build(ents, G_N_ELEMENTS(ents));
}

static void damaged_files(void **state)
{
	vigil_engine *e = tu_engine(NULL, NULL);
	uint8_t *big, hdr[1024] = {0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1};
	GByteArray *doc = sample_doc(&big);
	vigil_scan *s;
	uint8_t *ent;
	uint32_t start, fat0;
	size_t len;

	(void)state;
	/* a signature and nothing usable */
	s = tu_scan(e, hdr, sizeof hdr, "junk.doc");
	assert_string_equal(vigil_object_type(vigil_scan_object(s, 0)), "ole2");
	assert_true(finding_on(s, "archive.damaged", "junk.doc") >= 0);
	assert_int_equal(vigil_scan_object_count(s), 1);
	vigil_scan_free(s);

	/* the chain of "Data" ends after 4 of its 391 sectors (libgsf refuses
	 * a whole file whose allocation table points outside it) */
	ent = dir_entry(doc, "Data");
	start = rd32(ent + 0x74);
	fat0 = rd32(doc->data + 0x4C); /* first FAT sector */
	assert_true(start < 128);
	le32(doc->data + 512 + (size_t)fat0 * 512 + 4 * (size_t)(start + 3), 0xFFFFFFFEu);
	s = scan_bytes(e, doc, "broken.doc");
	assert_true(finding_on(s, "archive.damaged", "broken.doc") >= 0);
	assert_true(vigil_object_flags(vigil_scan_object(s, 0)) & VIGIL_OBJ_PARTIAL);
	/* the other streams still come out whole */
	assert_memory_equal(obj_data(s, "broken.doc/Macros/VBA/Module1", &len),
	                    "Sub x()\r\nEnd Sub\r\n", 18);
	assert_non_null(tu_object(s, "broken.doc/WordDocument"));
	{
		/* what was read of "Data" (if anything) is a true prefix */
		const vigil_object *o = tu_object(s, "broken.doc/Data");

		if (o != NULL) {
			const uint8_t *d = vigil_object_data(o, &len);

			assert_true(len < 200000);
			assert_memory_equal(d, big, len);
		}
	}
	vigil_scan_free(s);
	g_byte_array_free(doc, TRUE);
	g_free(big);

	/* the directory claims 100 MB for a 200,000-byte chain: libgsf drops that
	 * entry and every entry below it in the tree; that must not be silent */
	doc = sample_doc(&big);
	le32(dir_entry(doc, "Data") + 0x78, 100u << 20);
	s = scan_bytes(e, doc, "liar.doc");
	/* libgsf's own complaint about the entry is counted after it */
	assert_string_equal(evidence(s, "archive.damaged"),
	                    "OLE2 directory: some entries cannot be reached (hidden behind a "
	                    "damaged entry) (and 1 more damaged entries)");
	assert_true(vigil_object_flags(vigil_scan_object(s, 0)) & VIGIL_OBJ_PARTIAL);
	vigil_scan_free(s);
	g_byte_array_free(doc, TRUE);
	g_free(big);
	vigil_engine_unref(e);
}

static void truncations_and_bit_flips_are_survived(void **state)
{
	vigil_engine *e = tu_engine(NULL, NULL);
	uint8_t *big;
	GByteArray *doc = sample_doc(&big);
	GByteArray *pkg = package("a.js", "C:\\a.js", "C:\\T\\a.js", "x", 1, 1, "C:\\T\\a.js");
	struct entry ents[] = {
	        {"O/\x01Ole10Native", pkg->data, pkg->len},
	        {"PowerPoint Document", "\x0f\0\xe8\x03\x08\0\0\0\x10\0\x11\x10", 12}};
	GByteArray *small = ole_build(ents, G_N_ELEMENTS(ents));

	(void)state;
	/* every cut at a sector boundary, and one byte changed all over the headers */
	for (size_t cut = 0; cut < small->len; cut += 64) {
		vigil_scan *s = tu_scan(e, small->data, cut, "t.doc");

		vigil_scan_free(s);
	}
	for (size_t at = 0; at < small->len; at += 7) {
		GByteArray *c = g_byte_array_new();
		vigil_scan *s;

		g_byte_array_append(c, small->data, small->len);
		c->data[at] ^= (uint8_t)(0x5A + at);
		s = scan_bytes(e, c, "t.doc");
		assert_true(vigil_scan_object_count(s) >= 1);
		vigil_scan_free(s);
		g_byte_array_free(c, TRUE);
	}
	for (size_t cut = 512; cut < doc->len; cut += 4096) {
		vigil_scan *s = tu_scan(e, doc->data, cut, "t.doc");

		vigil_scan_free(s);
	}
	g_byte_array_free(doc, TRUE);
	g_byte_array_free(small, TRUE);
	g_byte_array_free(pkg, TRUE);
	g_free(big);
	vigil_engine_unref(e);
}

static void limits(void **state)
{
	vigil_config *cfg = vigil_config_new();
	vigil_engine *e, *e2 = tu_engine(NULL, NULL);
	char *err = NULL;
	uint8_t *big;
	GByteArray *doc = sample_doc(&big);
	vigil_scan *s;
	const vigil_object *o;
	size_t len;

	(void)state;
	/* total size: "Data" (the first stream) is cut, reported, and its prefix kept */
	vigil_config_set_limit(cfg, VIGIL_LIMIT_TOTAL_BYTES, 60000);
	assert_int_equal(vigil_engine_new(cfg, &e, &err), VIGIL_OK);
	s = scan_bytes(e, doc, "big.doc");
	o = tu_object(s, "big.doc/Data");
	assert_non_null(o);
	assert_memory_equal(vigil_object_data(o, &len), big, 60000);
	assert_int_equal(len, 60000);
	assert_int_equal(vigil_object_size(o), 200000);
	assert_true(vigil_object_flags(o) & VIGIL_OBJ_TRUNCATED);
	assert_true(finding_on(s, "limit.total_bytes", "big.doc") >= 0);
	assert_true(vigil_object_flags(vigil_scan_object(s, 0)) & VIGIL_OBJ_PARTIAL);
	/* later streams: no room left, still listed (cut to nothing) */
	o = tu_object(s, "big.doc/Macros/VBA/Module1");
	assert_non_null(o);
	vigil_object_data(o, &len);
	assert_int_equal(len, 0);
	assert_true(vigil_object_flags(o) & VIGIL_OBJ_TRUNCATED);
	assert_int_equal(vigil_object_size(o), 18);
	vigil_scan_free(s);
	vigil_engine_unref(e);
	vigil_config_free(cfg);

	/* storages nested 40 deep: the walk stops at 32 and says so */
	{
		GString *p = g_string_new(NULL);
		struct entry ents[2];
		GByteArray *deep;

		for (int i = 0; i < 40; i++)
			g_string_append_printf(p, "S%d/", i);
		g_string_append(p, "deep");
		ents[0] = (struct entry){"S0/S1/shallow", "ok", 2};
		ents[1] = (struct entry){p->str, "no", 2};
		deep = ole_build(ents, 2);
		s = scan_bytes(e2, deep, "deep.doc");
		assert_non_null(tu_object(s, "deep.doc/S0/S1/shallow"));
		assert_null(tu_object(s, "/deep"));
		assert_true(finding_on(s, "limit.depth", "deep.doc") >= 0);
		vigil_scan_free(s);
		g_byte_array_free(deep, TRUE);
		g_string_free(p, TRUE);
	}

	/* more entries than OLE_MAX_ENTRIES (4096) */
	{
		struct entry *ents = g_new(struct entry, 4200);
		char(*names)[16] = g_malloc(4200 * 16);
		GByteArray *many;

		for (int i = 0; i < 4200; i++) {
			g_snprintf(names[i], 16, "s%04d", i);
			ents[i] = (struct entry){names[i], "z", 1};
		}
		many = ole_build(ents, 4200);
		s = scan_bytes(e2, many, "many.doc");
		assert_int_equal(vigil_scan_object_count(s), 1 + 4096);
		assert_true(vigil_object_flags(vigil_scan_object(s, 0)) & VIGIL_OBJ_PARTIAL);
		assert_string_equal(
		        evidence(s, "limit.objects"),
		        "OLE2 file has more than 4096 entries; the rest were not unpacked");
		vigil_scan_free(s);
		g_byte_array_free(many, TRUE);
		g_free(names);
		g_free(ents);
	}
	g_byte_array_free(doc, TRUE);
	g_free(big);
	vigil_engine_unref(e2);
}

/*
 * An OLE2 file written byte by byte (MS-CFB, 512-byte sectors): the root
 * and n empty streams, linked as one chain of right siblings - the shape
 * that makes libgsf recurse once per entry.
 */
static GByteArray *sibling_chain(uint32_t n)
{
	uint32_t ents = n + 1, dir_secs = (ents * 128 + 511) / 512, fat_secs = 1;
	GByteArray *g = g_byte_array_new();
	uint8_t *d;

	while (fat_secs * 128 < dir_secs + fat_secs)
		fat_secs++;
	assert_true(fat_secs <= 109);
	g_byte_array_set_size(g, 512 * (1 + fat_secs + dir_secs));
	d = g->data;
	memset(d, 0, g->len);
	memcpy(d, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8);
	d[0x18] = 0x3E, d[0x1A] = 3, d[0x1C] = 0xFE, d[0x1D] = 0xFF, d[0x1E] = 9, d[0x20] = 6;
	le32(d + 0x2C, fat_secs);
	le32(d + 0x30, fat_secs);
	le32(d + 0x38, 4096);
	le32(d + 0x3C, 0xFFFFFFFEu);
	le32(d + 0x44, 0xFFFFFFFEu);
	for (uint32_t i = 0; i < 109; i++)
		le32(d + 0x4C + 4 * i, i < fat_secs ? i : 0xFFFFFFFFu);
	for (uint32_t i = 0; i < fat_secs * 128; i++) {
		uint32_t v = i < fat_secs                   ? 0xFFFFFFFDu
		             : i < fat_secs + dir_secs - 1  ? i + 1
		             : i == fat_secs + dir_secs - 1 ? 0xFFFFFFFEu
		                                            : 0xFFFFFFFFu;

		le32(d + 512 + 4 * i, v);
	}
	for (uint32_t e = 0; e < ents; e++) {
		uint8_t *x = d + 512 * (1 + fat_secs) + 128 * e;
		char name[16];
		size_t nl;

		g_snprintf(name, sizeof name, e == 0 ? "Root Entry" : "s%05u", e);
		nl = strlen(name);
		for (size_t i = 0; i < nl; i++)
			x[2 * i] = (uint8_t)name[i];
		x[0x40] = (uint8_t)(2 * nl + 2);
		x[0x42] = e == 0 ? 5 : 2;
		x[0x43] = 1;
		le32(x + 0x44, 0xFFFFFFFFu);
		le32(x + 0x48, e > 0 && e < n ? e + 1 : 0xFFFFFFFFu);
		le32(x + 0x4C, e == 0 ? 1 : 0xFFFFFFFFu);
		le32(x + 0x74, 0xFFFFFFFEu);
	}
	return g;
}

static void directory_shapes_libgsf_cannot_take(void **state)
{
	vigil_engine *e = tu_engine(NULL, NULL);
	GByteArray *ok = sibling_chain(300), *deep = sibling_chain(9000);
	vigil_scan *s;

	(void)state;
	/* a plain chain of 300: every stream comes out, nothing to report */
	s = scan_bytes(e, ok, "chain.doc");
	assert_int_equal(vigil_scan_object_count(s), 301);
	assert_non_null(tu_object(s, "chain.doc/s00300"));
	assert_int_equal(vigil_scan_finding_count(s), 0);
	vigil_scan_free(s);
	/* 9000 deep: libgsf would recurse 9000 times; the file is refused */
	s = scan_bytes(e, deep, "chain.doc");
	assert_int_equal(vigil_scan_object_count(s), 1);
	assert_string_equal(evidence(s, "archive.damaged"),
	                    "OLE2 directory with more than 16384 entries or links nested deeper "
	                    "than 8192: not unpacked");
	vigil_scan_free(s);
	g_byte_array_free(ok, TRUE);
	g_byte_array_free(deep, TRUE);
	vigil_engine_unref(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(streams_storages_and_a_package),
	        cmocka_unit_test(package_label_hides_the_real_file),
	        cmocka_unit_test(damaged_and_linked_packages),
	        cmocka_unit_test(encrypted_ooxml_package),
	        cmocka_unit_test(word_encryption_flag),
	        cmocka_unit_test(excel_filepass),
	        cmocka_unit_test(powerpoint_objects_and_encryption),
	        cmocka_unit_test(damaged_files),
	        cmocka_unit_test(truncations_and_bit_flips_are_survived),
	        cmocka_unit_test(limits),
	        cmocka_unit_test(directory_shapes_libgsf_cannot_take),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
