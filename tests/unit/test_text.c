/* test_text.c - uuencoded and BinHex files inside text become objects. */
#include "testutil.h"

static vigil_engine *eng(void)
{
	return tu_engine(NULL, NULL);
}

/* uuencode, written here from the format's definition */
static GString *uuencode(const char *name, const uint8_t *p, size_t n)
{
	GString *g = g_string_new(NULL);

	g_string_append_printf(g, "begin 644 %s\n", name);
	for (size_t off = 0; off < n; off += 45) {
		size_t len = n - off < 45 ? n - off : 45;

		g_string_append_c(g, (char)(0x20 + len));
		for (size_t i = 0; i < len; i += 3) {
			uint8_t b[3] = {0, 0, 0};

			for (size_t k = 0; k < 3 && i + k < len; k++)
				b[k] = p[off + i + k];
			char c[4] = {(char)(b[0] >> 2), (char)(((b[0] & 3) << 4) | (b[1] >> 4)),
			             (char)(((b[1] & 15) << 2) | (b[2] >> 6)), (char)(b[2] & 63)};
			for (int k = 0; k < 4; k++)
				g_string_append_c(g, c[k] ? (char)(c[k] + 0x20) : '`');
		}
		g_string_append_c(g, '\n');
	}
	g_string_append(g, "`\nend\n");
	return g;
}

static void uuencoded_block_in_text_body(void **state)
{
	uint8_t payload[200];
	GString *uu, *m;
	vigil_engine *e = eng();
	vigil_scan *s;
	const vigil_object *o;
	size_t len;

	(void)state;
	for (int i = 0; i < 200; i++)
		payload[i] = (uint8_t)(i * 7);
	uu = uuencode("tool.exe", payload, sizeof payload);
	m = g_string_new("From: a@b.example\nSubject: x\n\nHello, the file follows.\n\n");
	g_string_append_len(m, uu->str, (gssize)uu->len);
	g_string_append(m, "\nbye\n");
	s = tu_scan(e, m->str, m->len, NULL);
	o = tu_object(s, "msg/1/tool.exe");
	if (o == NULL)
		tu_dump(s);
	assert_non_null(o);
	assert_memory_equal(vigil_object_data(o, &len), payload, sizeof payload);
	assert_int_equal(len, sizeof payload);
	assert_int_equal(tu_finding(s, "decode.error"), -1);
	vigil_scan_free(s);
	g_string_free(uu, TRUE);
	g_string_free(m, TRUE);
	vigil_engine_unref(e);
}

static void base64_variant_and_missing_end(void **state)
{
	vigil_engine *e = eng();
	const char *t = "text before\nbegin-base64 600 a.txt\naGVsbG8gd29ybGQ=\n====\n"
	                "begin 644 b.bin\n#86)C\n";
	vigil_scan *s = tu_scan(e, t, strlen(t), "body.txt");
	const vigil_object *a = tu_object(s, "/a.txt"), *b = tu_object(s, "/b.bin");
	size_t len;

	(void)state;
	assert_non_null(a);
	assert_memory_equal(vigil_object_data(a, &len), "hello world", 11);
	assert_int_equal(len, 11);
	assert_non_null(b);
	assert_memory_equal(vigil_object_data(b, &len), "abc", 3);
	assert_true(tu_finding(s, "decode.error") >= 0); /* b.bin has no "end" */
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

/* BinHex 4.0 encoder (no run-length compression except for 0x90 itself) */
static const char hqx[] = "!\"#$%&'()*+,-012345689@ABCDEFGHIJKLMNPQRSTUVXYZ[`abcdefhijklmpqr";

static uint16_t crc(const uint8_t *p, size_t n, uint16_t c)
{
	for (size_t i = 0; i < n; i++) {
		c ^= (uint16_t)(p[i] << 8);
		for (int k = 0; k < 8; k++)
			c = (c & 0x8000) ? (uint16_t)(c << 1 ^ 0x1021) : (uint16_t)(c << 1);
	}
	return c;
}

static GString *binhex(const char *name, const uint8_t *data, uint32_t n)
{
	GByteArray *raw = g_byte_array_new(), *rle = g_byte_array_new();
	GString *g = g_string_new("(This file must be converted with BinHex 4.0)\n:");
	uint8_t nl = (uint8_t)strlen(name), z[16] = {0}, be[8], cr[2];
	uint16_t c;
	unsigned acc = 0;
	int bits = 0, col = 1;

	g_byte_array_append(raw, &nl, 1);
	g_byte_array_append(raw, (const uint8_t *)name, nl);
	g_byte_array_append(raw, z, 1 + 4 + 4 + 2);
	be[0] = (uint8_t)(n >> 24), be[1] = (uint8_t)(n >> 16), be[2] = (uint8_t)(n >> 8),
	be[3] = (uint8_t)n;
	memset(be + 4, 0, 4);
	g_byte_array_append(raw, be, 8);
	c = crc(raw->data, raw->len, 0);
	cr[0] = (uint8_t)(c >> 8), cr[1] = (uint8_t)c;
	g_byte_array_append(raw, cr, 2);
	g_byte_array_append(raw, data, n);
	c = crc(data, n, 0);
	cr[0] = (uint8_t)(c >> 8), cr[1] = (uint8_t)c;
	g_byte_array_append(raw, cr, 2);
	g_byte_array_append(raw, z, 2); /* empty resource fork CRC */
	for (guint i = 0; i < raw->len; i++) {
		uint8_t b = raw->data[i], esc[2] = {0x90, 0};

		if (b == 0x90)
			g_byte_array_append(rle, esc, 2);
		else
			g_byte_array_append(rle, &b, 1);
	}
	for (guint i = 0; i < rle->len; i++) {
		acc = (acc << 8) | rle->data[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			g_string_append_c(g, hqx[(acc >> bits) & 63]);
			if (++col == 64) {
				g_string_append_c(g, '\n');
				col = 0;
			}
		}
	}
	if (bits > 0)
		g_string_append_c(g, hqx[(acc << (6 - bits)) & 63]);
	g_string_append(g, ":\n");
	g_byte_array_free(raw, TRUE);
	g_byte_array_free(rle, TRUE);
	return g;
}

static void binhex_part(void **state)
{
	uint8_t payload[300];
	GString *h, *m;
	vigil_engine *e = eng();
	vigil_scan *s;
	const vigil_object *o;
	size_t len;

	(void)state;
	for (int i = 0; i < 300; i++)
		payload[i] = (uint8_t)(i % 3 == 0 ? 0x90 : i);
	h = binhex("Invoice.doc", payload, sizeof payload);
	m = g_string_new("From: a@b.example\nMIME-Version: 1.0\n"
	                 "Content-Type: application/mac-binhex40; name=\"Invoice.hqx\"\n\n");
	g_string_append_len(m, h->str, (gssize)h->len);
	s = tu_scan(e, m->str, m->len, NULL);
	o = tu_object(s, "/Invoice.doc");
	if (o == NULL)
		tu_dump(s);
	assert_non_null(o);
	assert_memory_equal(vigil_object_data(o, &len), payload, sizeof payload);
	assert_int_equal(len, sizeof payload);
	assert_int_equal(tu_finding(s, "decode.error"), -1);
	vigil_scan_free(s);
	g_string_free(h, TRUE);
	g_string_free(m, TRUE);
	vigil_engine_unref(e);
}

static void damaged_binhex_is_reported(void **state)
{
	vigil_engine *e = eng();
	const char *t = "(This file must be converted with BinHex 4.0)\n:!!!!~~~~:\n";
	vigil_scan *s = tu_scan(e, t, strlen(t), NULL);

	(void)state;
	assert_true(tu_finding(s, "decode.error") >= 0);
	assert_int_equal(vigil_scan_object_count(s), 1);
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(uuencoded_block_in_text_body),
	        cmocka_unit_test(base64_variant_and_missing_end),
	        cmocka_unit_test(binhex_part),
	        cmocka_unit_test(damaged_binhex_is_reported),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
