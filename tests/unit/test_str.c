/* test_str.c - hostile names become safe, visible text. */
#include "testutil.h"

#include "engine/internal.h"

static void escapes_controls_and_bidi(void **state)
{
	char *s;

	(void)state;
	/* "invoice\u202Efdp.exe": the RLO must show, not act */
	s = vstr_sanitize("invoice\xE2\x80\xAE"
	                  "fdp.exe",
	                  100);
	assert_string_equal(s, "invoice\\u{202E}fdp.exe");
	g_free(s);
	s = vstr_printable((const uint8_t *)"a\x01"
	                                    "b\nc",
	                   5, 100);
	assert_string_equal(s, "a\\x01b\\x0Ac");
	g_free(s);
}

static void keeps_valid_utf8_and_escapes_invalid(void **state)
{
	char *s;

	(void)state;
	s = vstr_sanitize("Công văn số 123", 100);
	assert_string_equal(s, "Công văn số 123");
	g_free(s);
	s = vstr_printable((const uint8_t *)"x\xC3(y\xFF", 5, 100);
	assert_string_equal(s, "x\\xC3(y\\xFF");
	g_free(s);
}

static void bounded_on_char_boundary(void **state)
{
	char *s;

	(void)state;
	s = vstr_sanitize("ăăăăă", 5); /* 2 bytes each */
	assert_string_equal(s, "ăă");
	assert_true(g_utf8_validate(s, -1, NULL));
	g_free(s);
	s = vstr_printable((const uint8_t *)"\x01\x02", 2, 6);
	assert_string_equal(s, "\\x01");
	g_free(s);
}

static void casefind(void **state)
{
	(void)state;
	assert_int_equal(vmem_casefind((const uint8_t *)"abcHTML", 7, "html"), 3);
	assert_int_equal(vmem_casefind((const uint8_t *)"abc", 3, "abcd"), -1);
	assert_int_equal(vmem_casefind((const uint8_t *)"", 0, "a"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(escapes_controls_and_bidi),
	        cmocka_unit_test(keeps_valid_utf8_and_escapes_invalid),
	        cmocka_unit_test(bounded_on_char_boundary),
	        cmocka_unit_test(casefind),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
