/*
 * test_links.c - analyze/links.c and domains.c: links whose text lies,
 * look-alike and homograph domains, userinfo tricks, IP and shortener
 * links, credential forms; the benign look-alikes that must stay clean
 * (newsletters, same-domain links, legitimate sibling domains); punycode
 * decoding and confusable folding on their own. Messages are built here.
 */
#include "testutil.h"

#include "engine/analyze/domains.h"

/* an engine with KEY, VALUE, ... options (NULL-terminated) */
static vigil_engine *eng_opts(const char *first, ...)
{
	vigil_config *cfg = vigil_config_new();
	vigil_engine *e = NULL;
	char *err = NULL;
	va_list ap;

	va_start(ap, first);
	for (const char *k = first; k != NULL; k = va_arg(ap, const char *)) {
		const char *v = va_arg(ap, const char *);

		assert_int_equal(vigil_config_set_option(cfg, k, v), VIGIL_OK);
	}
	va_end(ap);
	if (vigil_engine_new(cfg, &e, &err) != VIGIL_OK) {
		fprintf(stderr, "engine: %s\n", err ? err : "?");
		fail();
	}
	vigil_config_free(cfg);
	return e;
}

static vigil_engine *eng(void)
{
	return eng_opts("protected_domains", "bhxh.gov.vn, baohiemxahoi.gov.vn", "brand_domains",
	                "microsoft.com;google.com;gmail.com;googlemail.com", NULL);
}

/* a one-part HTML message */
static vigil_scan *scan_html(vigil_engine *e, const char *html)
{
	char *m = g_strdup_printf("From: news@example.org\r\nTo: a@bhxh.gov.vn\r\n"
	                          "Subject: t\r\nMIME-Version: 1.0\r\n"
	                          "Content-Type: text/html; charset=utf-8\r\n\r\n%s\r\n",
	                          html);
	vigil_scan *s = tu_scan_str(e, m);

	g_free(m);
	return s;
}

static const vigil_finding *expect(const vigil_scan *s, const char *id, const char *path,
                                   const char *attack, const char *evidence_part)
{
	long i = tu_finding(s, id);
	const vigil_finding *f;

	if (i < 0) {
		fprintf(stderr, "missing %s\n", id);
		tu_dump(s);
	}
	assert_true(i >= 0);
	f = vigil_scan_finding(s, (size_t)i);
	assert_string_equal(tu_finding_path(s, i), path);
	if (attack != NULL)
		assert_string_equal(vigil_finding_attack(f), attack);
	if (evidence_part != NULL && strstr(vigil_finding_evidence(f), evidence_part) == NULL) {
		fprintf(stderr, "evidence of %s: %s\n", id, vigil_finding_evidence(f));
		fail();
	}
	return f;
}

static void none_of(const vigil_scan *s, const char *prefix)
{
	if (tu_finding(s, prefix) >= 0) {
		tu_dump(s);
		fail_msg("unexpected %s", prefix);
	}
}

/* the text shows the agency's domain, the href goes elsewhere */
static void text_shows_protected_domain(void **state)
{
	vigil_engine *e = eng();
	vigil_scan *s = scan_html(
	        e, "<p>Tra cứu: <a href=\"http://evil.example/x\">https://bhxh.gov.vn/tra-cuu</a>"
	           " and <A HREF='http://track.example.net/c?id=1'>www.shop.example</A></p>");
	const vigil_finding *f;

	(void)state;
	f = expect(s, "link.text_mismatch_trusted", "msg/1", "T1566.002,T1036",
	           "shows https://bhxh.gov.vn/tra-cuu, goes to http://evil.example/x");
	assert_int_equal(vigil_finding_severity(f), VIGIL_SEV_HIGH);
	f = expect(s, "link.text_mismatch", "msg/1", "T1566.002", "www.shop.example");
	assert_int_equal(vigil_finding_severity(f), VIGIL_SEV_LOW);
	assert_int_equal(vigil_scan_verdict(s), VIGIL_SUSPICIOUS);
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

/* newsletters, same-domain text, redirectors that forward to what they show */
static void benign_anchors_stay_clean(void **state)
{
	vigil_engine *e = eng();
	vigil_scan *s = scan_html(
	        e,
	        "<a href=\"http://news.example.com/a?u=1\">Click here</a>\n"
	        "<a href=\"https://www.bhxh.gov.vn/x\">bhxh.gov.vn</a>\n"
	        "<a href=\"https://dichvu.bhxh.gov.vn/a\">https://www.bhxh.gov.vn/</a>\n"
	        "<a href=\"https://mail.example.com/x\">https://www.example.com</a>\n"
	        "<a href=\"https://example.com/\"><b>example</b>.com</a>\n"
	        "<a href=\"https://github.com/x/y/blob/main/readme.md\">readme.md</a>\n"
	        "<a href=\"https://eur01.safelinks.protection.outlook.com/?url=https%3A%2F%2F"
	        "bhxh.gov.vn%2Fa&amp;data=1\">https://bhxh.gov.vn/a</a>\n"
	        "<a href=\"mailto:a@example.com\">a@example.com</a>\n"
	        "<a href=\"#top\">Top</a> <a href=\"#x\">www.example.com</a>\n"
	        "<a href=\"javascript:void(0)\">menu</a>\n"
	        "<form method=\"post\" action=\"https://search.example/s\">"
	        "<input type=\"text\" name=\"words\"><input type=\"text\" name=\"email\"></form>\n"
	        "<img src=\"http://192.0.2.7/pixel.gif\">\n"
	        "<a href=\"https://www.google.com/\">google</a> "
	        "<a href=\"https://googlemail.com/\">x</a>");

	(void)state;
	none_of(s, "link.*");
	none_of(s, "sender.*");
	assert_int_equal(vigil_scan_verdict(s), VIGIL_CLEAN);
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

static void lookalikes_of_protected_domain(void **state)
{
	vigil_engine *e = eng();
	vigil_scan *s;

	(void)state;
	s = scan_html(e, "<a href=\"http://bhxh-gov.vn/tra-cuu\">x</a> "
	                 "<a href=\"https://bhxh.gov.vn.evil.example/login\">y</a>");
	expect(s, "link.lookalike_domain", "msg/1", "T1566.002,T1583.001",
	       "bhxh-gov.vn imitates bhxh.gov.vn");
	expect(s, "link.lookalike_domain", "msg/1", NULL,
	       "bhxh.gov.vn.evil.example imitates bhxh.gov.vn (contains it as a subdomain");
	vigil_scan_free(s);

	/* same name elsewhere, one letter swapped, words added, digits for letters */
	s = scan_html(e, "see https://bhxh.vn/a and https://bhhx.gov.vn/b");
	expect(s, "link.lookalike_domain", "msg/1", NULL,
	       "bhxh.vn imitates bhxh.gov.vn (same name");
	expect(s, "link.lookalike_domain", "msg/1", NULL, "bhhx.gov.vn imitates bhxh.gov.vn");
	vigil_scan_free(s);
	s = scan_html(e, "https://baohiemxahoi-online.com/ https://baohiernxahoi.gov.vn/");
	expect(s, "link.lookalike_domain", "msg/1", NULL,
	       "baohiemxahoi-online.com imitates baohiemxahoi.gov.vn");
	expect(s, "link.lookalike_domain", "msg/1", NULL,
	       "baohiernxahoi.gov.vn imitates baohiemxahoi.gov.vn");
	vigil_scan_free(s);
	/* a brand: digits and rn for letters */
	s = scan_html(e, "<a href=\"https://rnicros0ft.com/\">x</a>");
	expect(s, "link.lookalike_domain", "msg/1", NULL, "rnicros0ft.com imitates microsoft.com");
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

/* bhxhtphcm.gov.vn is a look-alike until it is listed as the agency's own */
static void listed_sibling_is_not_a_lookalike(void **state)
{
	vigil_engine *e = eng();
	vigil_engine *e2 = eng_opts("protected_domains", "bhxh.gov.vn", "protected_domains",
	                            "bhxhtphcm.gov.vn", NULL);
	const char *html = "<a href=\"https://www.bhxhtphcm.gov.vn/tin\">bhxhtphcm.gov.vn</a>";
	vigil_scan *s = scan_html(e, html);

	(void)state;
	expect(s, "link.lookalike_domain", "msg/1", NULL, "bhxhtphcm.gov.vn imitates bhxh.gov.vn");
	vigil_scan_free(s);
	s = scan_html(e2, html);
	none_of(s, "link.*");
	vigil_scan_free(s);
	vigil_engine_unref(e);
	vigil_engine_unref(e2);
}

static void userinfo_trick(void **state)
{
	vigil_engine *e = eng();
	vigil_scan *s = scan_html(e, "<a href=\"https://bhxh.gov.vn@evil.example/login\">Đăng "
	                             "nhập</a> <a href=\"ftp://anonymous@ftp.example.org/\">f</a>"
	                             " <a href=\"https://baohiemxahoi.gov.vn:443@x@203.0.113.5/\">"
	                             "y</a>");
	const vigil_finding *f;

	(void)state;
	f = expect(s, "link.userinfo_trick", "msg/1", "T1566.002,T1036",
	           "shows bhxh.gov.vn, goes to evil.example");
	assert_null(strstr(vigil_finding_evidence(f), "ftp.example.org"));
	/* browsers read the userinfo up to the last '@' */
	assert_non_null(strstr(vigil_finding_evidence(f),
	                       "shows baohiemxahoi.gov.vn, goes to 203.0.113.5"));
	/* the host after the last '@' is what the facts hold */
	assert_int_equal(vigil_scan_fact_count(s, VIGIL_FACT_DOMAIN), 3);
	assert_string_equal(vigil_scan_fact(s, VIGIL_FACT_DOMAIN, 0), "evil.example");
	assert_string_equal(vigil_scan_fact(s, VIGIL_FACT_DOMAIN, 2), "203.0.113.5");
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

/* "bһxh.gov.vn" with a Cyrillic shha, and a mixed-script label */
static void punycode_homograph(void **state)
{
	vigil_engine *e = eng();
	vigil_scan *s;
	const vigil_finding *f;

	(void)state;
	s = scan_html(e, "<a href=\"https://xn--bxh-2sd.gov.vn/dang-nhap\">Đăng nhập</a>");
	f = expect(s, "link.idn_homograph", "msg/1", "T1566.002,T1583.001",
	           "xn--bxh-2sd.gov.vn (b\xd2\xbbxh.gov.vn) imitates bhxh.gov.vn");
	assert_int_equal(vigil_finding_severity(f), VIGIL_SEV_HIGH);
	none_of(s, "link.lookalike_domain");
	vigil_scan_free(s);
	/* Cyrillic о in "gооgle" */
	s = scan_html(e, "https://xn--ggle-55da.com/");
	expect(s, "link.idn_homograph", "msg/1", NULL, "imitates google.com");
	vigil_scan_free(s);
	/* a Vietnamese name with its diacritics: an IDN, but no imitation */
	s = scan_html(e, "https://xn--bnhvin-ik8be.vn/");
	expect(s, "link.idn", "msg/1", NULL, "xn--bnhvin-ik8be.vn");
	none_of(s, "link.idn_homograph");
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

static void ip_shortener_script_data(void **state)
{
	vigil_engine *e = eng();
	const char *page = "<html><body><a href=\"http://192.168.10.4/a.exe\">tải về</a>"
	                   "<a href=\"https://bit.ly/3abc\">x</a>"
	                   "<a href=\"java&#x09;script:alert(1)\">x</a>"
	                   "<a href=\"data:text/html;base64,PGgxPmhpPC9oMT4=\">x</a>"
	                   "</body></html>";
	vigil_scan *s = tu_scan(e, page, strlen(page), "trang.html");

	(void)state;
	expect(s, "link.ip_host", "trang.html", "T1566.002", "http://192.168.10.4/a.exe");
	expect(s, "link.shortener", "trang.html", "T1566.002", "https://bit.ly/3abc");
	expect(s, "link.javascript_href", "trang.html", "T1566.002,T1059.007", "javascript:alert");
	expect(s, "link.data_href", "trang.html", "T1566.002,T1027", "data:text/html");
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

/* an attached login page: a password field, a form posting outside */
static void credential_form_attachment(void **state)
{
	vigil_engine *e = eng();
	const char *page = "<form action=\"https://collect.example/p.php\" method=\"POST\">"
	                   "<input type=\"text\" name=\"taikhoan\">"
	                   "<input type=\"password\" name=\"matkhau\"></form>";
	char *b64 = g_base64_encode((const guchar *)page, strlen(page));
	char *m = g_strdup_printf(
	        "From: it@example.org\r\nTo: a@bhxh.gov.vn\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
	        "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n"
	        "Content-Type: text/plain\r\n\r\nXem tep dinh kem.\r\n--b\r\n"
	        "Content-Type: text/html; name=\"dang-nhap.html\"\r\n"
	        "Content-Disposition: attachment; filename=\"dang-nhap.html\"\r\n"
	        "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--b--\r\n",
	        b64);
	vigil_scan *s = tu_scan_str(e, m);

	(void)state;
	expect(s, "link.form_password", "msg/2:dang-nhap.html", "T1566.002,T1598.003",
	       "password field in an attached page, form sends to https://collect.example/p.php");
	expect(s, "link.form_external", "msg/2:dang-nhap.html", "T1566.002,T1598.003",
	       "field 'taikhoan'");
	assert_int_equal(vigil_scan_verdict(s), VIGIL_SUSPICIOUS);
	vigil_scan_free(s);
	g_free(m);
	g_free(b64);
	vigil_engine_unref(e);
}

/* URLs in a plain-text part are judged too, on the part that holds them */
static void plain_text_urls(void **state)
{
	vigil_engine *e = eng();
	const char *m =
	        "From: a@example.org\r\nTo: b@bhxh.gov.vn\r\nSubject: x\r\n"
	        "MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=z\r\n\r\n"
	        "--z\r\nContent-Type: text/plain\r\n\r\nVao https://bhxh-gov.vn/tra-cuu ngay."
	        "\r\n--z\r\nContent-Type: text/html\r\n\r\n<p>hello</p>\r\n--z--\r\n";
	vigil_scan *s = tu_scan_str(e, m);

	(void)state;
	expect(s, "link.lookalike_domain", "msg/1", NULL, "bhxh-gov.vn imitates bhxh.gov.vn");
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

/* no options: nothing is protected, and nothing is reported as imitating */
static void no_options_no_lookalikes(void **state)
{
	vigil_engine *e = tu_engine(NULL, NULL);
	vigil_scan *s = scan_html(e, "<a href=\"http://bhxh-gov.vn/\">https://bhxh.gov.vn/</a>");

	(void)state;
	none_of(s, "link.lookalike_domain");
	expect(s, "link.text_mismatch", "msg/1", NULL, "shows https://bhxh.gov.vn/");
	none_of(s, "link.text_mismatch_trusted");
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

/* ---- the pieces on their own ---- */

static char *utf8_of(const gunichar *cp, int n)
{
	return g_ucs4_to_utf8(cp, n, NULL, NULL, NULL);
}

static void punycode_decoding(void **state)
{
	gunichar out[64];
	int n;
	char *u;

	(void)state;
	n = domains_punycode_decode("bcher-kva", 9, out, 63);
	u = utf8_of(out, n);
	assert_string_equal(u, "b\xc3\xbc"
	                       "cher");
	g_free(u);
	/* RFC 3492 7.1 (L): 3<nen>B<gumi><kinpachi><sensei> */
	n = domains_punycode_decode("3B-ww4c5e180e575a65lsy2b", 24, out, 63);
	assert_int_equal(n, 8);
	assert_int_equal(out[0], '3');
	assert_int_equal(out[1], 0x5E74);
	assert_int_equal(out[2], 'B');
	assert_int_equal(out[3], 0x7D44);
	assert_int_equal(out[7], 0x751F);
	/* only basic code points */
	n = domains_punycode_decode("abc-", 4, out, 63);
	assert_int_equal(n, 3);
	/* invalid digits, a truncated delta, too long, overflow */
	assert_int_equal(domains_punycode_decode("a-b!", 4, out, 63), -1);
	assert_int_equal(domains_punycode_decode("a-9", 3, out, 63), -1);
	assert_int_equal(domains_punycode_decode("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"
	                                         "zzzzzzzzzzzzzzzzz",
	                                         65, out, 63),
	                 -1);
	assert_int_equal(domains_punycode_decode("99999999999999999999", 20, out, 63), -1);
	assert_int_equal(domains_punycode_decode("abcdef-kva", 10, out, 3), -1);
}

static void skeletons_and_distance(void **state)
{
	char *k;
	bool idn = false;

	(void)state;
	k = domains_skeleton("rnicros0ft", &idn);
	assert_string_equal(k, "mlcrosoft");
	assert_false(idn);
	g_free(k);
	k = domains_skeleton("xn--bxh-2sd", &idn);
	assert_string_equal(k, "bhxh");
	assert_true(idn);
	g_free(k);
	/* Vietnamese: diacritics and đ fold away */
	k = domains_fold_text("Nguyễn Văn ĐỨC  (BHXH-Hà Nội)", 200);
	assert_string_equal(k, "nguyen van duc bhxh ha noi");
	g_free(k);
	assert_int_equal(domains_distance("bhxh", "bhhx", 2), 1);
	assert_int_equal(domains_distance("microsoft", "micrsooft", 2), 1);
	assert_int_equal(domains_distance("windows", "lindows", 2), 1);
	assert_int_equal(domains_distance("abcdef", "uvwxyz", 2), 3);
	assert_int_equal(domains_distance("a", "abcdefgh", 2), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(text_shows_protected_domain),
	        cmocka_unit_test(benign_anchors_stay_clean),
	        cmocka_unit_test(lookalikes_of_protected_domain),
	        cmocka_unit_test(listed_sibling_is_not_a_lookalike),
	        cmocka_unit_test(userinfo_trick),
	        cmocka_unit_test(punycode_homograph),
	        cmocka_unit_test(ip_shortener_script_data),
	        cmocka_unit_test(credential_form_attachment),
	        cmocka_unit_test(plain_text_urls),
	        cmocka_unit_test(no_options_no_lookalikes),
	        cmocka_unit_test(punycode_decoding),
	        cmocka_unit_test(skeletons_and_distance),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
