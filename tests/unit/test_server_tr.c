/* test_server_tr.c - vigild's Vietnamese messages keep their English ids'
 * printf conversions (a mismatch would read the wrong argument). */
#include "testutil.h"

#include "server/tr.h"

/* the conversions of a format, e.g. "%s%zu" (flags and widths kept) */
static void convs(const char *f, char *out, size_t n)
{
	size_t k = 0;

	for (const char *p = f; *p && k + 8 < n; p++) {
		if (*p != '%')
			continue;
		p++;
		if (*p == '%')
			continue;
		out[k++] = '%';
		while (*p && strchr("-+ #0123456789.hlzjt", *p) != NULL)
			out[k++] = *p++;
		if (*p)
			out[k++] = *p;
		else
			break;
	}
	out[k] = 0;
}

static void same_conversions(void **state)
{
	size_t n = 0;

	(void)state;
	for (const struct tr_pair *p = tr_vi; p->en != NULL; p++, n++) {
		char a[64], b[64];

		convs(p->en, a, sizeof a);
		convs(p->vi, b, sizeof b);
		if (strcmp(a, b) != 0)
			fail_msg("\"%s\": %s in English, %s in Vietnamese", p->en, a, b);
		assert_true(g_utf8_validate(p->vi, -1, NULL));
	}
	assert_true(n >= 60);
}

static void lookup(void **state)
{
	(void)state;
	assert_string_equal(tr("vi", "no such incident"), "Không tìm thấy sự cố");
	assert_string_equal(tr("en", "no such incident"), "no such incident");
	assert_string_equal(tr("vi", "not in the table"), "not in the table");
	assert_null(tr("vi", NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(same_conversions),
	        cmocka_unit_test(lookup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
