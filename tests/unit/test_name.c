/* test_name.c - what names claim against what bytes are. */
#include "testutil.h"

static vigil_scan *attach(vigil_engine *e, const char *name, const void *data, size_t n)
{
	gchar *b64 = g_base64_encode(data, n);
	gchar *m = g_strdup_printf("From: a@b.example\r\nMIME-Version: 1.0\r\n"
	                           "Content-Type: multipart/mixed; boundary=B\r\n\r\n"
	                           "--B\r\nContent-Type: application/octet-stream\r\n"
	                           "Content-Disposition: attachment; filename*=UTF-8''%s\r\n"
	                           "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--B--\r\n",
	                           name, b64);
	vigil_scan *s = tu_scan_str(e, m);

	g_free(b64);
	g_free(m);
	return s;
}

static const uint8_t mz_pe[0x100] = {'M', 'Z', [0x3c] = 0x80, [0x80] = 'P', [0x81] = 'E'};

static void rtlo_is_visible_and_reported(void **state)
{
	vigil_engine *e = tu_engine(NULL, NULL);
	/* "invoice_<RLO>fdp.exe" shows as "invoice_exe.pdf" in a mail client */
	vigil_scan *s = attach(e, "invoice_%E2%80%AEfdp.exe", mz_pe, sizeof mz_pe);
	long f = tu_finding(s, "name.rtlo");
	const vigil_object *o = vigil_scan_object(s, 1);

	(void)state;
	assert_true(f >= 0);
	assert_string_equal(vigil_object_name(o), "invoice_\\u{202E}fdp.exe");
	assert_string_equal(vigil_object_type(o), "pe");
	assert_true(tu_finding(s, "content.executable") >= 0);
	/* a program hiding behind a reversed name: the combination decides */
	assert_true(tu_finding(s, "combo.disguised_executable") >= 0);
	assert_int_equal(vigil_scan_verdict(s), VIGIL_MALICIOUS);
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

static void double_extension_and_padding(void **state)
{
	vigil_engine *e = tu_engine(NULL, NULL);
	vigil_scan *s = attach(e, "CongVan_123.pdf.exe", mz_pe, sizeof mz_pe);

	(void)state;
	assert_true(tu_finding(s, "name.double_extension") >= 0);
	vigil_scan_free(s);
	s = attach(e, "report%20%20%20%20%20%20%20%20%20%20.scr", mz_pe, sizeof mz_pe);
	assert_true(tu_finding(s, "name.double_extension") >= 0);
	vigil_scan_free(s);
	/* an ordinary program name is not a double extension */
	s = attach(e, "setup-1.2.exe", mz_pe, sizeof mz_pe);
	assert_int_equal(tu_finding(s, "name.double_extension"), -1);
	assert_true(tu_finding(s, "content.executable") >= 0);
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

static void executable_under_document_name(void **state)
{
	vigil_engine *e = tu_engine(NULL, NULL);
	vigil_scan *s = attach(e, "BangLuong.pdf", mz_pe, sizeof mz_pe);
	long f = tu_finding(s, "name.type_mismatch");

	(void)state;
	assert_true(f >= 0);
	assert_int_equal(vigil_finding_severity(vigil_scan_finding(s, (size_t)f)), VIGIL_SEV_HIGH);
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

static void harmless_mismatch_is_low(void **state)
{
	vigil_engine *e = tu_engine(NULL, NULL);
	vigil_scan *s = attach(e, "photo.png", "GIF89a\x01\0\x01\0", 10);
	long f = tu_finding(s, "name.extension_mismatch");

	(void)state;
	assert_true(f >= 0);
	assert_int_equal(vigil_finding_severity(vigil_scan_finding(s, (size_t)f)), VIGIL_SEV_LOW);
	assert_int_equal(vigil_scan_verdict(s), VIGIL_CLEAN);
	vigil_scan_free(s);
	/* a matching name and type: nothing */
	s = attach(e, "photo.gif", "GIF89a\x01\0\x01\0", 10);
	assert_int_equal(vigil_scan_finding_count(s), 0);
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

static void scripts_by_extension(void **state)
{
	vigil_engine *e = tu_engine(NULL, NULL);
	const char js[] = "var s = new ActiveXObject('WScript.Shell');";
	vigil_scan *s = attach(e, "HoaDon.js", js, sizeof js - 1);

	(void)state;
	assert_true(tu_finding(s, "content.executable") >= 0);
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(rtlo_is_visible_and_reported),
	        cmocka_unit_test(double_extension_and_padding),
	        cmocka_unit_test(executable_under_document_name),
	        cmocka_unit_test(harmless_mismatch_is_low),
	        cmocka_unit_test(scripts_by_extension),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
