/*
 * test_drill_scenario.c - the scenario loader (src/drill/scenario.c): a good
 * file loads with every field; malformed files (truncated JSON, huge
 * strings, unknown placeholders and keys, wrong types, out-of-range numbers,
 * inconsistent attachments) are refused with the file and field named in
 * English and Vietnamese; a folder loads the good files and reports the bad.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <jansson.h>

#include "drill/drill.h"

static const char good[] =
        "{\"id\": \"cong-van-test\", \"version\": 2,"
        " \"title\": {\"vi\": \"Công văn giả\", \"en\": \"Forged dispatch\"},"
        " \"summary\": {\"vi\": \"Tóm tắt\\nhai dòng\", \"en\": \"Summary\"},"
        " \"attack\": [\"T1566.001\", \"T1204\"],"
        " \"sender\": {\"name\": \"Văn phòng BHXH\", \"address\": \"vanthu@bhxh-gov.vn\"},"
        " \"subject\": \"Công văn gửi {{name}} ngày {{date}}\","
        " \"body_text\": \"Kính gửi {{name}} ({{unit}}, {{mailbox}}): {{link}}\","
        " \"body_html\": \"<p>Kính gửi {{name}}</p><a href=\\\"{{link}}\\\">xem</a><img "
        "src=\\\"{{pixel}}\\\">\","
        " \"attachment\": {\"kind\": \"zip-lnk\", \"name\": \"Danh_sach.zip\", \"inner\": "
        "\"Danh_sach.pdf.lnk\"},"
        " \"landing\": \"credential\","
        " \"expected\": [\"lnk.command\", \"lnk.hidden_window\"],"
        " \"injects\": [{\"after_min\": 10, \"kind\": \"second_report\", \"count\": 2,"
        "   \"text\": {\"vi\": \"Đơn vị thứ hai báo cáo\", \"en\": \"A second unit reports\"}},"
        "  {\"after_min\": 30, \"kind\": \"plant\","
        "   \"text\": {\"vi\": \"Cài tệp mô phỏng\", \"en\": \"Plant simulants\"}}]}";

static void test_good(void **state)
{
	drill_scenario *sc = NULL;
	drill_error err = {0};

	(void)state;
	assert_int_equal(drill_scenario_parse(good, strlen(good), "t.json", &sc, &err), DRILL_OK);
	assert_string_equal(sc->id, "cong-van-test");
	assert_int_equal(sc->version, 2);
	assert_string_equal(sc->title.vi, "Công văn giả");
	assert_string_equal(sc->summary.vi, "Tóm tắt\nhai dòng");
	assert_int_equal(sc->n_attack, 2);
	assert_string_equal(sc->attack[1], "T1204");
	assert_string_equal(sc->sender_address, "vanthu@bhxh-gov.vn");
	assert_int_equal(sc->attachment_kind, DRILL_SIM_ZIP_LNK);
	assert_string_equal(sc->attachment_name, "Danh_sach.zip");
	assert_string_equal(sc->attachment_inner, "Danh_sach.pdf.lnk");
	assert_int_equal(sc->landing, DRILL_LANDING_CREDENTIAL);
	assert_int_equal(sc->n_expected, 2);
	assert_int_equal(sc->n_injects, 2);
	assert_int_equal(sc->injects[0].count, 2);
	assert_int_equal(sc->injects[1].count, 1);
	assert_int_equal(sc->injects[1].kind, DRILL_INJECT_PLANT);
	assert_string_equal(sc->injects[1].text.en, "Plant simulants");
	drill_scenario_free(sc);
}

/* replaces the first occurrence of from in good with to and expects failure */
static void expect_bad(const char *from, const char *to, int code, const char *field)
{
	GString *s = g_string_new(good);
	const char *at = strstr(good, from);
	drill_scenario *sc = (drill_scenario *)0x1;
	drill_error err = {0};
	int rc;

	assert_non_null(at);
	g_string_erase(s, at - good, (gssize)strlen(from));
	g_string_insert(s, at - good, to);
	rc = drill_scenario_parse(s->str, s->len, "bad.json", &sc, &err);
	if (rc == DRILL_OK)
		fail_msg("accepted with %s -> %.80s", from, to);
	assert_null(sc);
	assert_int_equal(rc, code);
	assert_int_equal(err.code, code);
	assert_true(g_str_has_prefix(err.where, "bad.json"));
	if (field != NULL && strstr(err.where, field) == NULL)
		fail_msg("error at %s, expected %s (%s)", err.where, field, err.en);
	assert_true(strlen(err.en) > 0);
	assert_true(strlen(err.vi) > 0);
	g_string_free(s, TRUE);
}

static void test_malformed(void **state)
{
	(void)state;
	/* wrong types */
	expect_bad("\"version\": 2", "\"version\": \"2\"", DRILL_EFORMAT, "version");
	expect_bad("\"version\": 2", "\"version\": 2.5", DRILL_EFORMAT, "version");
	expect_bad("\"version\": 2", "\"version\": 0", DRILL_ELIMIT, "version");
	expect_bad("\"attack\": [\"T1566.001\", \"T1204\"]", "\"attack\": \"T1566\"", DRILL_EFORMAT,
	           "attack");
	expect_bad("\"T1204\"", "\"X1204\"", DRILL_EFORMAT, "attack[1]");
	expect_bad("\"T1204\"", "\"T1566.001\"", DRILL_EFORMAT, "attack[1]");
	expect_bad("\"title\": {\"vi\": \"Công văn giả\", \"en\": \"Forged dispatch\"}",
	           "\"title\": \"Forged\"", DRILL_EFORMAT, "title");
	expect_bad(", \"en\": \"Forged dispatch\"", "", DRILL_EFORMAT, "title.en");
	expect_bad("\"after_min\": 10", "\"after_min\": -1", DRILL_ELIMIT, "injects[0].after_min");
	expect_bad("\"after_min\": 30", "\"after_min\": 5", DRILL_EFORMAT, "injects[1].after_min");
	expect_bad("\"count\": 2", "\"count\": 100000", DRILL_ELIMIT, "injects[0].count");
	expect_bad("\"kind\": \"plant\"", "\"kind\": \"explode\"", DRILL_EFORMAT,
	           "injects[1].kind");
	expect_bad("\"text\": {\"vi\": \"Cài tệp mô phỏng\", \"en\": \"Plant simulants\"}",
	           "\"text\": {\"vi\": \"Cài tệp\"}", DRILL_EFORMAT, "injects[1].text.en");
	expect_bad("\"expected\": [\"lnk.command\", \"lnk.hidden_window\"]", "\"expected\": []",
	           DRILL_EFORMAT, "expected");
	expect_bad("\"lnk.hidden_window\"", "\"Lnk Hidden\"", DRILL_EFORMAT, "expected[1]");
	expect_bad("\"lnk.hidden_window\"", "\"lnk.command\"", DRILL_EFORMAT, "expected[1]");
	/* unknown placeholders, keys and values */
	expect_bad("{{unit}}", "{{password}}", DRILL_EFORMAT, "body_text");
	expect_bad("{{date}}", "{{date}", DRILL_EFORMAT, "subject");
	expect_bad("ngày {{date}}", "{{link}}", DRILL_EFORMAT, "subject");
	expect_bad("\"landing\": \"credential\"", "\"landin\": \"credential\"", DRILL_EFORMAT,
	           NULL);
	expect_bad("\"landing\": \"credential\"", "\"landing\": \"phish\"", DRILL_EFORMAT,
	           "landing");
	expect_bad("\"kind\": \"zip-lnk\"", "\"kind\": \"exe\"", DRILL_EFORMAT, "attachment.kind");
	expect_bad("\"kind\": \"zip-lnk\"", "\"kind\": \"macro-doc\"", DRILL_EFORMAT, "attachment");
	expect_bad("\"name\": \"Danh_sach.zip\"", "\"name\": \"../x.zip\"", DRILL_EFORMAT,
	           "attachment.name");
	expect_bad("\"inner\": \"Danh_sach.pdf.lnk\"", "\"inner\": \"Danh_sach.pdf\"",
	           DRILL_EFORMAT, "attachment.inner");
	expect_bad("\"address\": \"vanthu@bhxh-gov.vn\"", "\"address\": \"a@b@c.vn\"",
	           DRILL_EFORMAT, "sender.address");
	expect_bad("\"address\": \"vanthu@bhxh-gov.vn\"", "\"address\": \"x <a@b.vn>\"",
	           DRILL_EFORMAT, "sender.address");
	expect_bad("\"id\": \"cong-van-test\"", "\"id\": \"Cong Van\"", DRILL_EFORMAT, "id");
	expect_bad("\"id\": \"cong-van-test\", ", "", DRILL_EFORMAT, "id");
	/* header injection through the subject */
	expect_bad("Công văn gửi", "Công văn\\r\\nBcc: x@y.vn", DRILL_EFORMAT, "subject");
	expect_bad("Công văn gửi", "Công\\u0000văn", DRILL_EFORMAT, NULL);
	/* a credential landing must be reachable */
	expect_bad(": {{link}}\"", "\"", DRILL_EFORMAT, "landing");
}

static void test_truncated_and_huge(void **state)
{
	drill_scenario *sc = NULL;
	drill_error err = {0};

	(void)state;
	for (size_t cut = 0; cut < strlen(good); cut += 7) {
		err.code = 0;
		assert_int_equal(drill_scenario_parse(good, cut, "cut.json", &sc, &err),
		                 DRILL_EFORMAT);
		assert_null(sc);
	}
	/* a 70 KB body */
	{
		GString *s = g_string_new(good);
		const char *at = strstr(s->str, "Kính gửi {{name}} (");
		char *big = g_strnfill(70000, 'x');

		g_string_insert(s, at - s->str, big);
		assert_int_equal(drill_scenario_parse(s->str, s->len, "big.json", &sc, &err),
		                 DRILL_ELIMIT);
		assert_non_null(strstr(err.where, "body_text"));
		g_free(big);
		g_string_free(s, TRUE);
	}
	/* a subject of 301 bytes */
	{
		GString *s = g_string_new(good);
		const char *at = strstr(s->str, "Công văn gửi");
		char *big = g_strnfill(300, 'y');

		g_string_insert(s, at - s->str, big);
		assert_int_equal(drill_scenario_parse(s->str, s->len, "big.json", &sc, &err),
		                 DRILL_ELIMIT);
		g_free(big);
		g_string_free(s, TRUE);
	}
	/* a file over the size limit is refused before parsing */
	{
		char *big = g_strnfill(DRILL_SCENARIO_MAX_FILE + 1, ' ');

		assert_int_equal(drill_scenario_parse(big, strlen(big), "huge.json", &sc, &err),
		                 DRILL_ELIMIT);
		g_free(big);
	}
	/* duplicate keys and non-objects */
	{
		const char *dup = "{\"id\": \"a\", \"id\": \"b\"}";

		assert_int_equal(drill_scenario_parse(dup, strlen(dup), "dup.json", &sc, &err),
		                 DRILL_EFORMAT);
		assert_int_equal(drill_scenario_parse("[]", 2, "arr.json", &sc, &err),
		                 DRILL_EFORMAT);
		assert_int_equal(drill_scenario_parse("{}", 2, "empty.json", &sc, &err),
		                 DRILL_EFORMAT);
	}
	/* too many injects */
	{
		GString *s = g_string_new("{\"id\":\"x\",\"version\":1,"
		                          "\"title\":{\"vi\":\"a\",\"en\":\"a\"},"
		                          "\"summary\":{\"vi\":\"a\",\"en\":\"a\"},"
		                          "\"attack\":[\"T1566\"],"
		                          "\"sender\":{\"name\":\"a\",\"address\":\"a@b.vn\"},"
		                          "\"subject\":\"s\",\"body_text\":\"t\","
		                          "\"body_html\":\"<a href='{{link}}'>h</a>\","
		                          "\"attachment\":{\"kind\":\"none\"},"
		                          "\"expected\":[\"link.x\"],\"injects\":[");

		for (int i = 0; i < 40; i++)
			g_string_append_printf(s,
			                       "%s{\"after_min\":%d,\"kind\":\"message\","
			                       "\"text\":{\"vi\":\"a\",\"en\":\"a\"}}",
			                       i ? "," : "", i);
		g_string_append(s, "]}");
		assert_int_equal(drill_scenario_parse(s->str, s->len, "many.json", &sc, &err),
		                 DRILL_ELIMIT);
		assert_non_null(strstr(err.where, "injects"));
		g_string_free(s, TRUE);
	}
}

struct seen {
	int n;
	GString *where;
};

static void on_error(const drill_error *e, void *ctx)
{
	struct seen *s = ctx;

	s->n++;
	g_string_append_printf(s->where, "%s|", e->where);
}

static void test_dir(void **state)
{
	char *dir = g_dir_make_tmp("drillsc-XXXXXX", NULL);
	char *p1 = g_build_filename(dir, "cong-van-test.json", NULL);
	char *p2 = g_build_filename(dir, "other-name.json", NULL);
	char *p3 = g_build_filename(dir, "broken.json", NULL);
	char *p4 = g_build_filename(dir, "notes.txt", NULL);
	struct seen seen = {0, g_string_new(NULL)};
	drill_scenario **v = NULL;
	drill_error err = {0};
	size_t n = 0;

	(void)state;
	assert_true(g_file_set_contents(p1, good, -1, NULL));
	assert_true(g_file_set_contents(p2, good, -1, NULL)); /* id does not match its name */
	assert_true(g_file_set_contents(p3, "{\"id\":", -1, NULL));
	assert_true(g_file_set_contents(p4, "not a scenario", -1, NULL));
	assert_int_equal(drill_scenarios_load_dir(dir, &v, &n, on_error, &seen, &err),
	                 DRILL_EFORMAT);
	assert_int_equal(n, 1);
	assert_string_equal(v[0]->id, "cong-van-test");
	assert_non_null(drill_scenario_find(v, n, "cong-van-test"));
	assert_null(drill_scenario_find(v, n, "nope"));
	assert_int_equal(seen.n, 2);
	assert_non_null(strstr(seen.where->str, "broken.json"));
	assert_non_null(strstr(seen.where->str, "other-name.json"));
	drill_scenarios_free(v, n);

	g_unlink(p2);
	g_unlink(p3);
	assert_int_equal(drill_scenarios_load_dir(dir, &v, &n, NULL, NULL, &err), DRILL_OK);
	assert_int_equal(n, 1);
	drill_scenarios_free(v, n);
	g_unlink(p1);
	g_unlink(p4);
	g_rmdir(dir);
	assert_int_equal(drill_scenarios_load_dir(dir, &v, &n, NULL, NULL, &err), DRILL_EIO);
	assert_int_equal(err.code, DRILL_EIO);
	g_string_free(seen.where, TRUE);
	g_free(p1);
	g_free(p2);
	g_free(p3);
	g_free(p4);
	g_free(dir);
}

/* every scenario shipped in rules/scenarios loads */
static void test_shipped(void **state)
{
	char *dir = g_build_filename(VIGIL_TEST_TOP, "rules", "scenarios", NULL);
	struct seen seen = {0, g_string_new(NULL)};
	drill_scenario **v = NULL;
	drill_error err = {0};
	size_t n = 0;

	(void)state;
	if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
		g_free(dir);
		g_string_free(seen.where, TRUE);
		skip();
	}
	assert_int_equal(drill_scenarios_load_dir(dir, &v, &n, on_error, &seen, &err), DRILL_OK);
	assert_int_equal(seen.n, 0);
	assert_true(n >= 4);
	drill_scenarios_free(v, n);
	g_string_free(seen.where, TRUE);
	g_free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_good),
	        cmocka_unit_test(test_malformed),
	        cmocka_unit_test(test_truncated_and_huge),
	        cmocka_unit_test(test_dir),
	        cmocka_unit_test(test_shipped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
