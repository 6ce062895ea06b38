/* test_ioc.c - indicator files: every kind loads, matches, and bad lines fail. */
#include <unistd.h>

#include "testutil.h"

static char *write_tmp(const char *text)
{
	char *path = g_strdup("/tmp/vigil-ioc-XXXXXX");
	int fd = g_mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static const char msg[] =
        "From: \"Phòng TC\" <Boss@Evil-Sender.example>\r\n"
        "To: staff@agency.example\r\n"
        "Subject: Công văn khẩn: bảng lương tháng 11\r\n"
        "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
        "--b\r\nContent-Type: text/html\r\n\r\n"
        "<a href=\"https://login.cdn.bad-domain.example/path?x=1&amp;y=2\">x</a>\r\n"
        "--b\r\nContent-Type: application/octet-stream; name=\"Luong T11.xlsm\"\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n--b--\r\n";

static vigil_scan *scan_with(const char *iocs, vigil_engine **e)
{
	char *p = write_tmp(iocs);
	vigil_scan *s;

	*e = tu_engine(NULL, p);
	unlink(p);
	g_free(p);
	s = tu_scan_str(*e, msg);
	return s;
}

static void hash_kinds(void **state)
{
	vigil_engine *e;
	vigil_scan *s;

	(void)state;
	/* "hello": sha256, md5 */
	s = scan_with(
	        "# comment\n\n2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824\n",
	        &e);
	assert_true(tu_finding(s, "ioc.hash") >= 0);
	assert_non_null(strstr(tu_finding_path(s, tu_finding(s, "ioc.hash")), "Luong T11.xlsm"));
	assert_int_equal(vigil_scan_verdict(s), VIGIL_MALICIOUS);
	assert_int_equal(vigil_engine_indicator_count(e), 1);
	vigil_scan_free(s);
	vigil_engine_unref(e);
	s = scan_with("md5:5d41402abc4b2a76b9719d911017c592\n", &e);
	assert_true(tu_finding(s, "ioc.hash") >= 0);
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

static void sender_domain_url_subject_filename(void **state)
{
	vigil_engine *e;
	vigil_scan *s;

	(void)state;
	s = scan_with("sender:boss@evil-sender.example\n", &e);
	assert_true(tu_finding(s, "ioc.sender") >= 0);
	vigil_scan_free(s);
	vigil_engine_unref(e);

	s = scan_with("sender:@evil-sender.example\n", &e);
	assert_true(tu_finding(s, "ioc.sender") >= 0);
	vigil_scan_free(s);
	vigil_engine_unref(e);

	s = scan_with("domain:bad-domain.example\n", &e); /* subdomain of the URL host */
	assert_true(tu_finding(s, "ioc.domain") >= 0);
	vigil_scan_free(s);
	vigil_engine_unref(e);

	s = scan_with("url:https://LOGIN.cdn.bad-domain.example/path?x=1&y=2\n", &e);
	assert_true(tu_finding(s, "ioc.url") >= 0);
	vigil_scan_free(s);
	vigil_engine_unref(e);

	s = scan_with("url:https://login.cdn.bad-domain.example/pa*\n", &e);
	assert_true(tu_finding(s, "ioc.url") >= 0);
	vigil_scan_free(s);
	vigil_engine_unref(e);

	s = scan_with("subject:BẢNG LƯƠNG\n", &e);
	assert_true(tu_finding(s, "ioc.subject") >= 0);
	vigil_scan_free(s);
	vigil_engine_unref(e);

	s = scan_with("filename:luong*.xlsm\n", &e);
	assert_true(tu_finding(s, "ioc.filename") >= 0);
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

static void non_matching_indicators_stay_quiet(void **state)
{
	vigil_engine *e;
	vigil_scan *s;

	(void)state;
	s = scan_with("sender:other@evil-sender.example\ndomain:domain.example\n"
	              "url:https://login.cdn.bad-domain.example/other\nsubject:unrelated\n"
	              "filename:*."
	              "exe\n0000000000000000000000000000000000000000000000000000000000000000\n",
	              &e);
	assert_int_equal(tu_finding(s, "ioc.*"), -1);
	assert_int_equal(vigil_engine_indicator_count(e), 6);
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

static void malformed_lines_fail_the_load(void **state)
{
	const char *bad[] = {"sha256:abcd\n", "nokind\n", "colour:red\n", "url:not-a-url\n",
	                     "12345\n"};

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *p = write_tmp(bad[i]);
		vigil_config *cfg = vigil_config_new();
		vigil_engine *e = NULL;
		char *err = NULL;

		vigil_config_add_indicators(cfg, p);
		assert_int_equal(vigil_engine_new(cfg, &e, &err), VIGIL_EIOC);
		assert_non_null(err);
		assert_non_null(strstr(err, ":1:"));
		vigil_free(err);
		vigil_config_free(cfg);
		unlink(p);
		g_free(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(hash_kinds),
	        cmocka_unit_test(sender_domain_url_subject_filename),
	        cmocka_unit_test(non_matching_indicators_stay_quiet),
	        cmocka_unit_test(malformed_lines_fail_the_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
