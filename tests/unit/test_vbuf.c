/* test_vbuf.c - bounded buffers keep their bound and report it. */
#include "testutil.h"

#include "util/vbuf.h"

static void append_within_bound(void **state)
{
	vbuf b;
	size_t len;
	uint8_t *p;

	(void)state;
	vbuf_init(&b, 10);
	assert_int_equal(vbuf_append(&b, "hello", 5), VBUF_OK);
	assert_int_equal(vbuf_append(&b, "world!", 6), VBUF_FULL);
	assert_int_equal(b.len, 10);
	assert_memory_equal(b.data, "helloworld", 10);
	assert_int_equal(vbuf_putc(&b, 'x'), VBUF_FULL);
	assert_int_equal(vbuf_terminate(&b), VBUF_OK);
	assert_string_equal((char *)b.data, "helloworld");
	p = vbuf_steal(&b, &len);
	assert_int_equal(len, 10);
	assert_null(b.data);
	free(p);
}

static void reserve_respects_max(void **state)
{
	vbuf b;

	(void)state;
	vbuf_init(&b, 100);
	assert_non_null(vbuf_reserve(&b, 100));
	assert_null(vbuf_reserve(&b, 101));
	b.len = 60;
	assert_null(vbuf_reserve(&b, 41));
	assert_non_null(vbuf_reserve(&b, 40));
	vbuf_free(&b);
}

static void grows_past_initial_capacity(void **state)
{
	vbuf b;

	(void)state;
	vbuf_init(&b, 1 << 20);
	for (int i = 0; i < 100000; i++)
		assert_int_equal(vbuf_putc(&b, (uint8_t)i), VBUF_OK);
	assert_int_equal(b.len, 100000);
	assert_int_equal(b.data[99999], (uint8_t)99999);
	assert_true(b.cap <= (1 << 20) + 1);
	vbuf_free(&b);
}

static void printf_is_bounded(void **state)
{
	vbuf b;

	(void)state;
	vbuf_init(&b, 8);
	vbuf_printf(&b, "%s-%d", "abcdef", 12345);
	assert_int_equal(b.len, 8);
	assert_memory_equal(b.data, "abcdef-1", 8);
	vbuf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(append_within_bound),
	        cmocka_unit_test(reserve_respects_max),
	        cmocka_unit_test(grows_past_initial_capacity),
	        cmocka_unit_test(printf_is_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
