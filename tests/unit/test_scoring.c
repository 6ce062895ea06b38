/* test_scoring.c - weights, confidence, combinations and the order of reasons. */
#include "testutil.h"

static vigil_scan *attach(vigil_engine *e, const char *name, const void *data, size_t n)
{
	gchar *b64 = g_base64_encode(data, n);
	gchar *m = g_strdup_printf("From: a@b.example\r\nMIME-Version: 1.0\r\n"
	                           "Content-Type: multipart/mixed; boundary=B\r\n\r\n"
	                           "--B\r\nContent-Type: application/octet-stream\r\n"
	                           "Content-Disposition: attachment; filename=\"%s\"\r\n"
	                           "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--B--\r\n",
	                           name, b64);
	vigil_scan *s = tu_scan_str(e, m);

	g_free(b64);
	g_free(m);
	return s;
}

static const uint8_t mz_pe[0x100] = {'M', 'Z', [0x3c] = 0x80, [0x80] = 'P', [0x81] = 'E'};

static void combination_adds_a_critical_reason(void **state)
{
	vigil_engine *e = tu_engine(NULL, NULL);
	vigil_scan *s = attach(e, "HopDong.pdf.exe", mz_pe, sizeof mz_pe);
	long c = tu_finding(s, "combo.disguised_executable");
	const vigil_finding *f;

	(void)state;
	assert_true(c >= 0);
	f = vigil_scan_finding(s, (size_t)c);
	assert_int_equal(vigil_finding_severity(f), VIGIL_SEV_CRITICAL);
	/* the evidence names both parts and where they are */
	assert_non_null(strstr(vigil_finding_evidence(f), "name.double_extension@msg/1:"));
	assert_non_null(strstr(vigil_finding_evidence(f), "content.executable@"));
	assert_int_equal(vigil_scan_verdict(s), VIGIL_MALICIOUS);
	assert_int_equal(vigil_scan_score(s), 100);
	/* the heaviest reason comes first */
	assert_string_equal(vigil_finding_id(vigil_scan_finding(s, 0)),
	                    "combo.disguised_executable");
	for (size_t i = 1; i < vigil_scan_finding_count(s); i++)
		assert_true(vigil_finding_weight(vigil_scan_finding(s, i - 1)) >=
		            vigil_finding_weight(vigil_scan_finding(s, i)));
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

static void parts_alone_stay_below_the_combination(void **state)
{
	vigil_engine *e = tu_engine(NULL, NULL);
	/* an honestly named program: executable content, no disguise */
	vigil_scan *s = attach(e, "setup.exe", mz_pe, sizeof mz_pe);

	(void)state;
	assert_true(tu_finding(s, "content.executable") >= 0);
	assert_int_equal(tu_finding(s, "combo.*"), -1);
	assert_int_equal(vigil_scan_verdict(s), VIGIL_SUSPICIOUS);
	assert_int_equal(vigil_scan_score(s), 30);
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

static void confidence_scales_the_weight(void **state)
{
	vigil_engine *e = tu_engine(NULL, NULL);
	/* a GIF named .png: low severity (10) at confidence 0.5 */
	vigil_scan *s = attach(e, "photo.png", "GIF89a\x01\0\x01\0", 10);
	long i = tu_finding(s, "name.extension_mismatch");

	(void)state;
	assert_true(i >= 0);
	assert_int_equal(vigil_finding_weight(vigil_scan_finding(s, (size_t)i)), 5);
	assert_int_equal(vigil_scan_score(s), 5);
	assert_int_equal(vigil_scan_verdict(s), VIGIL_CLEAN);
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

static void one_id_counts_once(void **state)
{
	vigil_engine *e = tu_engine("rule word { meta: severity = \"low\" strings: $a = \"needle\" "
	                            "condition: $a }",
	                            NULL);
	const char m[] = "From: a@b.example\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
	                 "--B\r\nContent-Type: text/plain\r\n\r\nneedle one\r\n"
	                 "--B\r\nContent-Type: text/plain\r\n\r\nneedle two\r\n"
	                 "--B\r\nContent-Type: text/plain\r\n\r\nneedle three\r\n--B--\r\n";
	vigil_scan *s = tu_scan_str(e, m);
	size_t hits = 0;

	(void)state;
	for (size_t i = 0; i < vigil_scan_finding_count(s); i++)
		hits += strcmp(vigil_finding_id(vigil_scan_finding(s, i)), "yara.word") == 0;
	/* the rule matched the message and each of the three parts ... */
	assert_int_equal(hits, 4);
	/* ... but a low finding adds 10 once: the score is about kinds of evidence */
	assert_int_equal(vigil_scan_score(s), 10);
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(combination_adds_a_critical_reason),
	        cmocka_unit_test(parts_alone_stay_below_the_combination),
	        cmocka_unit_test(confidence_scales_the_weight),
	        cmocka_unit_test(one_id_counts_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
