/* test_inflate.c - our DEFLATE/Deflate64 decoder against zlib and hand-built streams. */
#include <zlib.h>

#include "testutil.h"

#include "engine/extract/inflate.h"

static uint8_t *zlib_raw(const uint8_t *in, size_t n, int level, size_t *outlen)
{
	z_stream z;
	uint8_t *out = malloc(n + n / 10 + 1024);

	memset(&z, 0, sizeof z);
	assert_int_equal(deflateInit2(&z, level, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)(n + n / 10 + 1024);
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	*outlen = z.total_out;
	deflateEnd(&z);
	return out;
}

static void matches_zlib_at_every_level(void **state)
{
	size_t n = 300000, clen;
	uint8_t *data = malloc(n);
	uint32_t x = 1;

	(void)state;
	/* half compressible text-like bytes, half noise */
	for (size_t i = 0; i < n; i++) {
		x = x * 1664525u + 1013904223u;
		data[i] =
		        i < n / 2 ? (uint8_t)("abcdefgh  \n"[(x >> 24) % 11]) : (uint8_t)(x >> 24);
	}
	for (int level = 0; level <= 9; level += 3) {
		uint8_t *c = zlib_raw(data, n, level, &clen);
		vbuf out;
		size_t used;

		vbuf_init(&out, n);
		assert_int_equal(inflate_raw(c, clen, &out, false, &used), INFL_OK);
		assert_int_equal(out.len, n);
		assert_memory_equal(out.data, data, n);
		assert_int_equal(used, clen);
		vbuf_free(&out);
		free(c);
	}
	free(data);
}

static void bounded_and_truncated(void **state)
{
	size_t n = 100000, clen;
	uint8_t *data = calloc(1, n);
	uint8_t *c = zlib_raw(data, n, 9, &clen);
	vbuf out;

	(void)state;
	vbuf_init(&out, 1000);
	assert_int_equal(inflate_raw(c, clen, &out, false, NULL), INFL_FULL);
	assert_int_equal(out.len, 1000);
	vbuf_free(&out);
	vbuf_init(&out, n);
	assert_int_equal(inflate_raw(c, clen / 2, &out, false, NULL), INFL_TRUNCATED);
	vbuf_free(&out);
	vbuf_init(&out, n);
	c[0] ^= 0x06; /* block type 3 is invalid */
	assert_int_equal(inflate_raw(c, clen, &out, false, NULL), INFL_BAD);
	vbuf_free(&out);
	free(c);
	free(data);
}

/* a little bit writer for hand-made fixed-Huffman blocks */
struct bw {
	uint8_t *p;
	size_t len;
	unsigned acc, cnt;
};

static void put(struct bw *w, unsigned v, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		w->acc |= ((v >> i) & 1u) << w->cnt;
		if (++w->cnt == 8) {
			w->p[w->len++] = (uint8_t)w->acc;
			w->acc = w->cnt = 0;
		}
	}
}

/* Huffman codes go most-significant bit first */
static void put_code(struct bw *w, unsigned code, unsigned n)
{
	for (unsigned i = n; i-- > 0;)
		put(w, (code >> i) & 1u, 1);
}

static void put_litlen(struct bw *w, unsigned sym)
{
	if (sym < 144)
		put_code(w, 0x30 + sym, 8);
	else if (sym < 256)
		put_code(w, 0x190 + sym - 144, 9);
	else if (sym < 280)
		put_code(w, sym - 256, 7);
	else
		put_code(w, 0xC0 + sym - 280, 8);
}

static void deflate64_long_distance_and_length(void **state)
{
	const size_t lits = 33000;
	struct bw w = {calloc(1, 64000), 0, 0, 0};
	vbuf out;

	(void)state;
	put(&w, 1, 1); /* final */
	put(&w, 1, 2); /* fixed Huffman */
	for (size_t i = 0; i < lits; i++)
		put_litlen(&w, (unsigned)((i * 7) & 0xff));
	put_litlen(&w, 285); /* Deflate64: 3 + 16 extra bits */
	put(&w, 997, 16);    /* length 1000 */
	put_code(&w, 30, 5); /* distance 32769 + 14 extra bits */
	put(&w, 231, 14);    /* distance 33000 */
	put_litlen(&w, 256);
	put(&w, 0, 7);

	vbuf_init(&out, 1 << 20);
	assert_int_equal(inflate_raw(w.p, w.len, &out, true, NULL), INFL_OK);
	assert_int_equal(out.len, lits + 1000);
	for (size_t i = 0; i < out.len; i++)
		assert_int_equal(out.data[i], (uint8_t)(((i % lits) * 7) & 0xff));
	vbuf_free(&out);
	/* read as plain DEFLATE (length 258, no extra bits) it cannot give the same bytes */
	vbuf_init(&out, 1 << 20);
	assert_false(inflate_raw(w.p, w.len, &out, false, NULL) == INFL_OK &&
	             out.len == lits + 1000);
	vbuf_free(&out);
	free(w.p);
}

static void distance_before_start_is_rejected(void **state)
{
	struct bw w = {calloc(1, 64), 0, 0, 0};
	vbuf out;

	(void)state;
	put(&w, 1, 1);
	put(&w, 1, 2);
	put_litlen(&w, 'a');
	put_litlen(&w, 257); /* length 3 */
	put_code(&w, 1, 5);  /* distance 2: only 1 byte written */
	put_litlen(&w, 256);
	put(&w, 0, 7);
	vbuf_init(&out, 100);
	assert_int_equal(inflate_raw(w.p, w.len, &out, false, NULL), INFL_BAD);
	assert_int_equal(out.len, 1);
	vbuf_free(&out);
	free(w.p);
}

static void deflate64_zip_member_is_unpacked(void **state)
{
	vigil_engine *e = tu_engine(NULL, NULL);
	gchar *zip;
	gsize len;
	vigil_scan *s;
	const vigil_object *o;

	(void)state;
	/* tests/data/deflate64.zip: made with `7z a -tzip -mm=Deflate64` */
	assert_true(
	        g_file_get_contents(VIGIL_TEST_TOP "/tests/data/deflate64.zip", &zip, &len, NULL));
	s = tu_scan(e, zip, len, "deflate64.zip");
	o = tu_object(s, "deflate64.zip/d64.bin");
	if (o == NULL)
		tu_dump(s);
	assert_non_null(o);
	assert_int_equal(vigil_object_size(o), 172000);
	assert_string_equal(vigil_object_sha256(o),
	                    "09538cf5cccc83a8de370ac7cf01eec43213c3904ee4060394eee1409b06f496");
	assert_int_equal(tu_finding(s, "archive.unsupported"), -1);
	vigil_scan_free(s);
	g_free(zip);
	vigil_engine_unref(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(matches_zlib_at_every_level),
	        cmocka_unit_test(bounded_and_truncated),
	        cmocka_unit_test(deflate64_long_distance_and_length),
	        cmocka_unit_test(distance_before_start_is_rejected),
	        cmocka_unit_test(deflate64_zip_member_is_unpacked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
