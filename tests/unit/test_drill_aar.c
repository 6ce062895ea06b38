/*
 * test_drill_aar.c - the drills' after-action report (src/server/drill_aar.c)
 * and the chart items of the report renderer: ratings computed from known
 * measures, the figures in the document equal to the input's, PDF read back
 * with poppler's pdftotext, the HTML's SVG bars proportional to the values,
 * and hostile input (wrong types, non-finite numbers, huge lists) bounded.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib.h>
#include <jansson.h>

#include "drill_aar.h"
#include "pdf_text.h"
#include "report_c20.h"

#define NOW 1795737600 /* 2026-11-27T00:00:00Z */

/* A round of 3 units: Hà Nội reports well and contains, Đà Nẵng is slow,
 * Hải Phòng misses a planted endpoint. */
static const char INPUT[] =
        "{\"round\": {\"ref\": \"DT-2026-MB-3\", \"theme\": \"Mã độc gián điệp qua thư\","
        " \"region\": \"Miền Bắc\", \"scenario\": \"cong-van-macro\", \"kind\": \"both\","
        " \"started\": \"2026-11-20T01:00:00Z\", \"ended\": \"2026-11-20T09:00:00Z\","
        " \"units\": [{\"id\": \"hanoi\", \"name\": \"BHXH Hà Nội\"},"
        "  {\"id\": \"danang\", \"name\": \"BHXH Đà Nẵng\"},"
        "  {\"id\": \"haiphong\", \"name\": \"BHXH Hải Phòng\"}],"
        " \"controllers\": [\"Nguyễn Văn Điều\"], \"evaluators\": [\"Trần Thị Giá\"]},"
        " \"objectives\": ["
        "  {\"id\": \"o1\", \"text\": \"Cán bộ báo cáo thư\", \"text_en\": \"Staff report\","
        "   \"metric\": \"staff.reported_rate\", \"target\": 40},"
        "  {\"id\": \"o2\", \"text\": \"Ít người bấm liên kết\", \"metric\": "
        "   \"staff.clicked_rate\", \"target\": 10},"
        "  {\"id\": \"o3\", \"text\": \"Ngăn chặn trong 60 phút\", \"metric\": "
        "   \"team.contain_min\", \"target\": 60},"
        "  {\"id\": \"o4\", \"text\": \"Tìm đủ máy nhiễm\", \"metric\": "
        "   \"team.plants_found_rate\", \"target\": 100},"
        "  {\"id\": \"o5\", \"text\": \"Chỉ số lạ\", \"metric\": \"staff.nothing\", "
        "   \"target\": 1}],"
        " \"staff\": {\"units\": ["
        "  {\"unit\": \"hanoi\", \"name\": \"BHXH Hà Nội\", \"targeted\": 50, \"delivered\": 50,"
        "   \"opened\": 30, \"clicked\": 5, \"attachment\": 2, \"credentials\": 1, \"reported\": "
        "   25, \"report_minutes\": [3, 4, 10, 20, 45, 100, 300]},"
        "  {\"unit\": \"danang\", \"name\": \"BHXH Đà Nẵng\", \"targeted\": 30, \"delivered\": 30,"
        "   \"opened\": 20, \"clicked\": 6, \"attachment\": 3, \"credentials\": 2, \"reported\": 5,"
        "   \"report_minutes\": [50]},"
        "  {\"unit\": \"haiphong\", \"name\": \"BHXH Hải Phòng\", \"targeted\": 20, "
        "   \"delivered\": 20, \"opened\": 10, \"clicked\": 4, \"attachment\": 0, "
        "   \"credentials\": 0, \"reported\": 0}]},"
        " \"team\": {\"units\": ["
        "  {\"unit\": \"hanoi\", \"name\": \"BHXH Hà Nội\", \"detect_min\": 5, \"open_min\": 8,"
        "   \"contain_min\": 40, \"copies\": 50, \"copies_pulled\": 50, \"plants\": 2,"
        "   \"plants_found\": 2, \"reports_due\": 2, \"reports_on_time\": 2,"
        "   \"central_involved\": true},"
        "  {\"unit\": \"danang\", \"name\": \"BHXH Đà Nẵng\", \"detect_min\": 30, \"open_min\":"
        "   45, \"contain_min\": 90, \"copies\": 30, \"copies_pulled\": 30, \"plants\": 1,"
        "   \"plants_found\": 1, \"reports_due\": 2, \"reports_on_time\": 1},"
        "  {\"unit\": \"haiphong\", \"name\": \"BHXH Hải Phòng\", \"detect_min\": 20, "
        "   \"open_min\": 25, \"contain_min\": null, \"copies\": 20, \"copies_pulled\": 20,"
        "   \"plants\": 2, \"plants_found\": 1, \"reports_due\": 2, \"reports_on_time\": 2}]},"
        " \"timeline\": [{\"at\": \"2026-11-20T01:00:00Z\", \"what\": \"Bắt đầu\"}],"
        " \"previous\": [{\"ref\": \"DT-2026-MB-2\", \"label\": \"Đợt 2\", \"reported_rate\": "
        "   20, \"clicked_rate\": 30}]}";

static json_t *input(void)
{
	json_error_t e;
	json_t *in = json_loads(INPUT, 0, &e);

	if (in == NULL)
		fprintf(stderr, "INPUT: %s at %d\n", e.text, e.position);
	assert_non_null(in);
	return in;
}

static const json_t *rating(const json_t *doc, const char *id)
{
	const json_t *r;
	size_t i;

	json_array_foreach(json_object_get(doc, "ratings"), i, r)
	{
		if (strcmp(json_string_value(json_object_get(r, "id")), id) == 0)
			return r;
	}
	fail_msg("no rating %s", id);
	return NULL;
}

static void ratings_follow_hseep_thresholds(void **state)
{
	(void)state;
	/* higher is better */
	assert_int_equal(drill_aar_rate(40, 40, true), AAR_P);
	assert_int_equal(drill_aar_rate(30, 40, true), AAR_S); /* 0.75 */
	assert_int_equal(drill_aar_rate(29.9, 40, true), AAR_M);
	assert_int_equal(drill_aar_rate(16, 40, true), AAR_M); /* 0.4 */
	assert_int_equal(drill_aar_rate(15.9, 40, true), AAR_U);
	assert_int_equal(drill_aar_rate(0, 0, true), AAR_P);
	/* lower is better: 60 min target */
	assert_int_equal(drill_aar_rate(60, 60, false), AAR_P);
	assert_int_equal(drill_aar_rate(80, 60, false), AAR_S);
	assert_int_equal(drill_aar_rate(150, 60, false), AAR_M);
	assert_int_equal(drill_aar_rate(151, 60, false), AAR_U);
	assert_int_equal(drill_aar_rate(0, 10, false), AAR_P);
	/* unmeasured is U */
	assert_int_equal(drill_aar_rate(-1, 10, false), AAR_U);
	assert_int_equal(drill_aar_rate(NAN, 10, true), AAR_U);
	assert_int_equal(drill_aar_rate(INFINITY, 10, false), AAR_U);
	assert_string_equal(drill_aar_rating_code(AAR_M), "M");
}

static void values_from_the_measures(void **state)
{
	json_t *in = input();
	double v;

	(void)state;
	/* 30 reported of 100 delivered */
	assert_int_equal(drill_aar_value(in, "staff.reported_rate", &v), 0);
	assert_true(fabs(v - 30.0) < 1e-9);
	assert_int_equal(drill_aar_value(in, "staff.clicked_rate", &v), 0);
	assert_true(fabs(v - 15.0) < 1e-9);
	assert_int_equal(drill_aar_value(in, "staff.credentials_rate", &v), 0);
	assert_true(fabs(v - 3.0) < 1e-9);
	/* report minutes 3 4 10 20 45 50 100 300: median (20 + 45) / 2 */
	assert_int_equal(drill_aar_value(in, "staff.report_median_min", &v), 0);
	assert_true(fabs(v - 32.5) < 1e-9);
	/* Hải Phòng did not contain: the median of 40 and 90 */
	assert_int_equal(drill_aar_value(in, "team.contain_min", &v), 0);
	assert_true(fabs(v - 65.0) < 1e-9);
	assert_int_equal(drill_aar_value(in, "team.detect_min", &v), 0);
	assert_true(fabs(v - 20.0) < 1e-9);
	/* 4 of 5 planted endpoints found */
	assert_int_equal(drill_aar_value(in, "team.plants_found_rate", &v), 0);
	assert_true(fabs(v - 80.0) < 1e-9);
	assert_int_equal(drill_aar_value(in, "team.contained_units_rate", &v), 0);
	assert_true(fabs(v - 200.0 / 3) < 1e-9);
	assert_int_equal(drill_aar_value(in, "team.reports_on_time_rate", &v), 0);
	assert_true(fabs(v - 500.0 / 6) < 1e-9);
	assert_int_equal(drill_aar_value(in, "staff.nothing", &v), -1);
	json_decref(in);

	/* nothing delivered: rates are not measured, never 0 % */
	in = json_pack("{s{s[{sisi}]}}", "staff", "units", "delivered", 0, "reported", 0);
	assert_int_equal(drill_aar_value(in, "staff.reported_rate", &v), -1);
	assert_int_equal(drill_aar_value(in, "team.contain_min", &v), -1);
	json_decref(in);
}

static void the_report_rates_each_objective(void **state)
{
	json_t *in = input(), *doc = drill_aar_build(in, "vi", NOW);
	const json_t *r;

	(void)state;
	assert_non_null(doc);
	assert_true(json_is_true(json_object_get(doc, "drill")));
	assert_string_equal(json_string_value(json_object_get(doc, "marking")),
	                    "DIỄN TẬP / EXERCISE");
	/* 30 % against 40 %: 0.75 -> S */
	r = rating(doc, "o1");
	assert_string_equal(json_string_value(json_object_get(r, "rating")), "S");
	assert_true(fabs(json_number_value(json_object_get(r, "value")) - 30) < 1e-9);
	/* 15 % clicked against at most 10 %: 0.67 -> M */
	assert_string_equal(json_string_value(json_object_get(rating(doc, "o2"), "rating")), "M");
	/* median 65 min against 60: 0.92 -> S */
	assert_string_equal(json_string_value(json_object_get(rating(doc, "o3"), "rating")), "S");
	/* 80 % of plants against 100 %: S */
	assert_string_equal(json_string_value(json_object_get(rating(doc, "o4"), "rating")), "S");
	/* an unknown measure cannot be rated better than U */
	r = rating(doc, "o5");
	assert_string_equal(json_string_value(json_object_get(r, "rating")), "U");
	assert_true(json_is_null(json_object_get(r, "value")));

	/* the plan: one item per objective not rated P, and one for the unit
	 * that missed a planted endpoint */
	const json_t *plan = json_object_get(doc, "plan"), *p;
	size_t i, unit_items = 0;

	assert_int_equal(json_array_size(plan), 5 + 1);
	json_array_foreach(plan, i, p)
	{
		const json_t *u = json_object_get(p, "units");

		if (json_array_size(u) == 1) {
			assert_string_equal(json_string_value(json_array_get(u, 0)), "haiphong");
			unit_items++;
		}
	}
	assert_int_equal(unit_items, 1);
	json_decref(doc);

	/* everything met: all P, a plan with nothing but no unit items either */
	json_object_set_new(json_array_get(json_object_get(in, "objectives"), 0), "target",
	                    json_integer(30));
	doc = drill_aar_build(in, "en", NOW);
	assert_string_equal(json_string_value(json_object_get(rating(doc, "o1"), "rating")), "P");
	assert_string_equal(json_string_value(json_object_get(rating(doc, "o1"), "text")),
	                    "Staff report");
	assert_string_equal(json_string_value(json_object_get(doc, "lang")), "en");
	json_decref(doc);
	json_decref(in);
}

static void pdf_and_html_carry_the_figures(void **state)
{
	json_t *in = input(), *doc = drill_aar_build(in, "vi", NOW);
	unsigned char *pdf = NULL;
	size_t len = 0, hlen = 0;
	char *html = NULL, *text;

	(void)state;
	assert_int_equal(report_c20_render_pdf(doc, &pdf, &len), REPORT_C20_OK);
	assert_true(len > 1000 && memcmp(pdf, "%PDF-", 5) == 0);
	if (getenv("AAR_SAVE") != NULL)
		g_file_set_contents(getenv("AAR_SAVE"), (const char *)pdf, (gssize)len, NULL);
	text = pdf_text_of(pdf, len, 1);
	if (text != NULL) {
		assert_non_null(strstr(text, "BÁO CÁO ĐÁNH GIÁ SAU DIỄN TẬP"));
		assert_non_null(strstr(text, "DIỄN TẬP / EXERCISE"));
		assert_non_null(strstr(text, "BHXH Hải Phòng"));
		assert_non_null(strstr(text, "chưa hoàn")); /* Hải Phòng has no time to contain */
		assert_non_null(strstr(text, "Hình 1. Phễu hành vi")); /* chart captions */
		assert_non_null(strstr(text, "Hình 4."));
		/* bar values printed next to bars: 30 reported in total */
		assert_non_null(strstr(text, "30 người"));
		g_free(text);
	}
	free(pdf);

	assert_int_equal(report_c20_render_html(doc, true, &html, &hlen), REPORT_C20_OK);
	/* the funnel: the longest bar (100 delivered) is 300 units wide, 30
	 * reported is 90 */
	assert_non_null(strstr(html, "<svg"));
	assert_non_null(strstr(html, "width=\"300.0\" height=\"12\""));
	assert_non_null(strstr(html, "width=\"90.0\" height=\"12\""));
	/* a unit that did not contain has no contain bar, it has a dash */
	assert_non_null(strstr(html, ">—</text>"));
	assert_null(strstr(html, "<script"));
	free(html);
	json_decref(doc);
	json_decref(in);
}

static void hostile_input_is_bounded(void **state)
{
	json_t *in = json_object(), *units = json_array(), *doc;
	unsigned char *pdf = NULL;
	size_t len = 0, hlen = 0;
	char *html = NULL, *big = g_malloc(100001);

	(void)state;
	memset(big, 'A', 100000);
	big[100000] = 0;
	big[5] = '<';
	for (int i = 0; i < 5000; i++)
		json_array_append_new(units,
		                      json_pack("{ss sf sf sf s[fff]}", "name", i == 0 ? big : "u",
		                                "delivered", 10.0, "reported", (double)i, "clicked",
		                                -5.0, "report_minutes", 1.0, -3.0, 1e300));
	json_object_set_new(in, "staff", json_pack("{so}", "units", units));
	json_object_set_new(in, "round", json_pack("{si}", "ref", 42)); /* wrong type */
	json_object_set_new(in, "objectives",
	                    json_pack("[{ss ss sf}]", "metric", "staff.reported_rate", "id", big,
	                              "target", -1.0));
	doc = drill_aar_build(in, "vi", NOW);
	assert_non_null(doc);
	/* a negative target is not a target: U, not P */
	assert_string_equal(json_string_value(json_object_get(
	                            json_array_get(json_object_get(doc, "ratings"), 0), "rating")),
	                    "U");
	assert_int_equal(report_c20_render_pdf(doc, &pdf, &len), REPORT_C20_OK);
	assert_true(len > 0);
	free(pdf);
	assert_int_equal(report_c20_render_html(doc, false, &html, &hlen), REPORT_C20_OK);
	/* the name is escaped, cut, and the unit table says how many more */
	assert_null(strstr(html, "AAAAA<A"));
	assert_non_null(strstr(html, "và 4800 dòng khác"));
	free(html);
	json_decref(doc);
	json_decref(in);
	g_free(big);
	assert_null(drill_aar_build(NULL, "vi", NOW));
	{
		json_t *arr = json_array();

		assert_null(drill_aar_build(arr, "vi", NOW));
		json_decref(arr);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(ratings_follow_hseep_thresholds),
	        cmocka_unit_test(values_from_the_measures),
	        cmocka_unit_test(the_report_rates_each_objective),
	        cmocka_unit_test(pdf_and_html_carry_the_figures),
	        cmocka_unit_test(hostile_input_is_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
