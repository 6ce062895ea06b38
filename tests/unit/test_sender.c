/*
 * test_sender.c - analyze/sender.c: display names of staff and of the
 * agency from outside addresses, look-alike sender domains, authentication
 * results, Reply-To and envelope sender of messages from the agency's
 * domain; and what must stay clean: the agency's own mail, mailing lists,
 * authentication results of untrusted servers, outbound mail. The staff
 * directory is an org.json (scripts/stack/org.py format) written here.
 */
#include "testutil.h"

#include <unistd.h>

static char *org_path;
static char *tmpdir;

static int setup(void **state)
{
	const char *org =
	        "{\"organisation\": \"Bảo hiểm xã hội Việt Nam (demo)\",\n"
	        " \"domain\": \"bhxh.example\",\n"
	        " \"units\": [{\"id\": \"cntt\", \"name\": \"Trung tâm Công nghệ thông "
	        "tin\", \"short\": \"Trung tâm CNTT\", \"region\": \"national\"}],\n"
	        " \"staff\": [\n"
	        "  {\"name\": \"Nguyễn Văn An\", \"email\": \"nguyen.van.an@bhxh.example\","
	        " \"unit\": \"cntt\", \"title\": \"Giám đốc Trung tâm\"},\n"
	        "  {\"name\": \"Trần Thị Bình\", \"email\": \"tran.thi.binh@bhxh.example\","
	        " \"unit\": \"cntt\", \"title\": \"Quản trị\"},\n"
	        "  {\"name\": \"An\", \"email\": \"an@bhxh.example\", \"unit\": \"cntt\"}\n"
	        " ],\n"
	        " \"aliases\": {\"postmaster@bhxh.example\": \"tran.thi.binh@bhxh.example\"}}\n";

	(void)state;
	tmpdir = g_dir_make_tmp("vigil-sender-XXXXXX", NULL);
	assert_non_null(tmpdir);
	org_path = g_build_filename(tmpdir, "org.json", NULL);
	assert_true(g_file_set_contents(org_path, org, -1, NULL));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(org_path);
	rmdir(tmpdir);
	g_free(org_path);
	g_free(tmpdir);
	return 0;
}

static vigil_engine *eng_with(const char *k1, const char *v1)
{
	vigil_config *cfg = vigil_config_new();
	vigil_engine *e = NULL;
	char *err = NULL;

	vigil_config_set_option(cfg, "staff_directory", org_path);
	vigil_config_set_option(cfg, "protected_domains", "bhxh.gov.vn");
	vigil_config_set_option(cfg, "protected_names", "Bảo hiểm xã hội Việt Nam, BHXH");
	vigil_config_set_option(cfg, "brand_domains", "gmail.com");
	if (k1 != NULL)
		vigil_config_set_option(cfg, k1, v1);
	if (vigil_engine_new(cfg, &e, &err) != VIGIL_OK) {
		fprintf(stderr, "engine: %s\n", err ? err : "?");
		fail();
	}
	vigil_config_free(cfg);
	return e;
}

static vigil_engine *eng(void)
{
	return eng_with(NULL, NULL);
}

/* a message with these header lines (CRLF-separated, no trailing CRLF) */
static vigil_scan *scan_hdrs(vigil_engine *e, const char *hdrs)
{
	char *m = g_strdup_printf("%s\r\nTo: x@bhxh.example\r\nSubject: Cong van\r\n"
	                          "MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n"
	                          "Kinh gui anh chi.\r\n",
	                          hdrs);
	vigil_scan *s = tu_scan_str(e, m);

	g_free(m);
	return s;
}

static void expect(const vigil_scan *s, const char *id, const char *attack, vigil_severity sev,
                   const char *evidence_part)
{
	long i = tu_finding(s, id);
	const vigil_finding *f;

	if (i < 0) {
		fprintf(stderr, "missing %s\n", id);
		tu_dump(s);
	}
	assert_true(i >= 0);
	f = vigil_scan_finding(s, (size_t)i);
	assert_string_equal(tu_finding_path(s, i), "msg");
	assert_string_equal(vigil_finding_attack(f), attack);
	assert_int_equal(vigil_finding_severity(f), sev);
	if (evidence_part != NULL && strstr(vigil_finding_evidence(f), evidence_part) == NULL) {
		fprintf(stderr, "evidence of %s: %s\n", id, vigil_finding_evidence(f));
		fail();
	}
}

static void clean_of_ours(const vigil_scan *s)
{
	if (tu_finding(s, "sender.*") >= 0 || tu_finding(s, "link.*") >= 0 ||
	    tu_finding(s, "analyzer.*") >= 0) {
		tu_dump(s);
		fail_msg("unexpected finding");
	}
}

static void staff_name_from_gmail(void **state)
{
	vigil_engine *e = eng();
	vigil_scan *s;

	(void)state;
	/* the name in RFC 2047 words, without diacritics in another message */
	s = scan_hdrs(e, "From: =?UTF-8?B?Tmd1eeG7hW4gVsSDbiBBbg==?= <nguyenvanan.cntt@gmail.com>");
	expect(s, "sender.display_name_spoof", "T1566,T1036", VIGIL_SEV_HIGH,
	       "the name of staff member or unit Nguyễn Văn An");
	vigil_scan_free(s);
	s = scan_hdrs(e, "From: \"TRAN THI BINH - Quan tri\" <binh.qt@mail.example>");
	expect(s, "sender.display_name_spoof", "T1566,T1036", VIGIL_SEV_HIGH, "Trần Thị Bình");
	vigil_scan_free(s);
	/* a unit's short name */
	s = scan_hdrs(e, "From: Trung tam CNTT <helpdesk@cntt-support.example>");
	expect(s, "sender.display_name_spoof", "T1566,T1036", VIGIL_SEV_HIGH, "Trung tâm CNTT");
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

static void agency_names_and_domains_in_display_name(void **state)
{
	vigil_engine *e = eng();
	vigil_scan *s;

	(void)state;
	s = scan_hdrs(e,
	              "From: =?utf-8?q?B=E1=BA=A3o_hi=E1=BB=83m_x=C3=A3_h=E1=BB=99i_Vi=E1=BB=87t_"
	              "Nam?= <thongbao@vn-notice.example>");
	expect(s, "sender.display_name_spoof", "T1566,T1036", VIGIL_SEV_HIGH,
	       "the protected name Bảo hiểm xã hội Việt Nam");
	vigil_scan_free(s);
	s = scan_hdrs(e, "From: \"BHXH tinh Binh Duong\" <bhxhbd@yahoo.com>");
	expect(s, "sender.display_name_spoof", "T1566,T1036", VIGIL_SEV_HIGH, "BHXH");
	vigil_scan_free(s);
	s = scan_hdrs(e, "From: \"an@bhxh.gov.vn\" <an@evil.example>");
	expect(s, "sender.display_name_spoof", "T1566,T1036", VIGIL_SEV_HIGH,
	       "shows the domain bhxh.gov.vn");
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

/* the same names from the agency's own domains, and one-word names */
static void own_staff_stays_clean(void **state)
{
	vigil_engine *e = eng();
	vigil_scan *s;

	(void)state;
	s = scan_hdrs(e, "From: Nguyễn Văn An <nguyen.van.an@bhxh.example>\r\n"
	                 "Authentication-Results: mx.bhxh.example; spf=pass "
	                 "smtp.mailfrom=bhxh.example; dkim=pass header.d=bhxh.example; dmarc=pass");
	clean_of_ours(s);
	vigil_scan_free(s);
	s = scan_hdrs(e, "From: BHXH Viet Nam <vanthu@bhxh.gov.vn>\r\nReceived-SPF: pass");
	clean_of_ours(s);
	vigil_scan_free(s);
	/* "An" alone is nobody's name; a longer name is not "Nguyễn Văn An" */
	s = scan_hdrs(e, "From: An <an.tran@gmail.com>");
	clean_of_ours(s);
	vigil_scan_free(s);
	s = scan_hdrs(e, "From: Nguyen Van Anh <anh@gmail.com>");
	clean_of_ours(s);
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

static void protected_from_fails_authentication(void **state)
{
	vigil_engine *e = eng();
	vigil_scan *s;

	(void)state;
	s = scan_hdrs(e, "Authentication-Results: mx.bhxh.example (vigil);\r\n"
	                 " spf=fail (sender IP is 203.0.113.9) smtp.mailfrom=bhxh.gov.vn;\r\n"
	                 " dkim=none; dmarc=fail (p=reject) header.from=bhxh.gov.vn\r\n"
	                 "From: Van thu <vanthu@bhxh.gov.vn>");
	expect(s, "sender.protected_auth_fail", "T1566,T1036", VIGIL_SEV_HIGH,
	       "From vanthu@bhxh.gov.vn: spf=fail, dmarc=fail");
	assert_int_equal(tu_finding(s, "sender.auth_fail"), -1);
	vigil_scan_free(s);
	/* any other sender: medium for fail, low for softfail */
	s = scan_hdrs(e,
	              "Authentication-Results: mx.example; dmarc=fail header.from=shop.example\r\n"
	              "From: shop@shop.example");
	expect(s, "sender.auth_fail", "T1566", VIGIL_SEV_MEDIUM, "dmarc=fail");
	vigil_scan_free(s);
	s = scan_hdrs(e, "Received-SPF: Softfail (mx: domain of transitioning x@shop.example)\r\n"
	                 "From: shop@shop.example");
	expect(s, "sender.auth_weak", "T1566", VIGIL_SEV_LOW, "spf=softfail");
	vigil_scan_free(s);
	/* a broken signature next to a valid one is no failure */
	s = scan_hdrs(e, "Authentication-Results: mx.example; dkim=fail header.d=list.example;"
	                 " dkim=pass header.d=shop.example\r\nFrom: shop@shop.example");
	clean_of_ours(s);
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

static void only_trusted_authserv_ids_count(void **state)
{
	vigil_engine *e = eng_with("trusted_authserv_ids", "mx.bhxh.example");
	vigil_scan *s;

	(void)state;
	s = scan_hdrs(e, "Authentication-Results: relay.elsewhere.example; dmarc=fail\r\n"
	                 "Received-SPF: fail\r\nFrom: Van thu <vanthu@bhxh.gov.vn>");
	clean_of_ours(s);
	vigil_scan_free(s);
	s = scan_hdrs(e, "Authentication-Results: MX.BHXH.EXAMPLE 1; dmarc=fail\r\n"
	                 "From: Van thu <vanthu@bhxh.gov.vn>");
	expect(s, "sender.protected_auth_fail", "T1566,T1036", VIGIL_SEV_HIGH, "dmarc=fail");
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

static void reply_to_and_envelope(void **state)
{
	vigil_engine *e = eng();
	vigil_scan *s;

	(void)state;
	s = scan_hdrs(e,
	              "From: Giam doc <giamdoc@bhxh.gov.vn>\r\n"
	              "Reply-To: giamdoc.bhxh@gmail.com\r\nReturn-Path: <bounce@mailer.example>");
	expect(s, "sender.reply_to_diverts", "T1566,T1036", VIGIL_SEV_HIGH,
	       "Reply-To giamdoc.bhxh@gmail.com");
	expect(s, "sender.return_path_mismatch", "T1566", VIGIL_SEV_MEDIUM,
	       "envelope sender bounce@mailer.example");
	vigil_scan_free(s);
	s = scan_hdrs(e, "From: Giam doc <giamdoc@bhxh.gov.vn>\r\nReply-To: gd@partner.example");
	expect(s, "sender.reply_to_external", "T1566", VIGIL_SEV_MEDIUM, "gd@partner.example");
	vigil_scan_free(s);
	/* not the agency: a free-mail Reply-To is only odd */
	s = scan_hdrs(e, "From: Sales <sales@shop.example>\r\nReply-To: shop.sales@yahoo.com");
	expect(s, "sender.reply_to_freemail", "T1566", VIGIL_SEV_LOW, "shop.sales@yahoo.com");
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

/* the envelope sender the gateway gives wins over Return-Path */
static void envelope_from_the_gateway(void **state)
{
	vigil_engine *e = eng();
	const char *m = "Return-Path: <vanthu@bhxh.gov.vn>\r\nFrom: <vanthu@bhxh.gov.vn>\r\n"
	                "Subject: x\r\n\r\nx\r\n";
	vigil_scan *s = vigil_scan_new(e, 0);

	(void)state;
	vigil_scan_set_envelope_from(s, "attacker@bulk.example");
	assert_int_equal(vigil_scan_buffer(s, m, strlen(m), NULL), VIGIL_OK);
	expect(s, "sender.return_path_mismatch", "T1566", VIGIL_SEV_MEDIUM,
	       "envelope sender attacker@bulk.example");
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

static void mailing_lists_stay_clean(void **state)
{
	vigil_engine *e = eng();
	vigil_scan *s;

	(void)state;
	/* an outside list: Reply-To is the list */
	s = scan_hdrs(e, "From: Bob <bob@example.org>\r\nReply-To: users@lists.example.net\r\n"
	                 "List-Id: Users <users.lists.example.net>\r\n"
	                 "List-Post: <mailto:users@lists.example.net>\r\n"
	                 "Return-Path: <users-bounces@lists.example.net>");
	clean_of_ours(s);
	vigil_scan_free(s);
	/* a colleague's post coming back through the same list */
	s = scan_hdrs(e, "From: An <an@bhxh.gov.vn>\r\nReply-To: users@lists.example.net\r\n"
	                 "List-Id: <users.lists.example.net>\r\n"
	                 "Return-Path: <users-bounces+an=bhxh.gov.vn@lists.example.net>");
	clean_of_ours(s);
	vigil_scan_free(s);
	/* Reply-To on the sender's own organisation */
	s = scan_hdrs(e, "From: news@mail.shop.example\r\nReply-To: care@shop.example");
	clean_of_ours(s);
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

static void lookalike_sender_domains(void **state)
{
	vigil_engine *e = eng();
	vigil_scan *s;

	(void)state;
	s = scan_hdrs(e, "From: Van thu <vanthu@bhxh-gov.vn>\r\n"
	                 "Reply-To: <hotro@bhxh.example.com.evil.example>");
	expect(s, "sender.lookalike_domain", "T1566,T1583.001", VIGIL_SEV_HIGH,
	       "From: vanthu@bhxh-gov.vn imitates bhxh.gov.vn");
	vigil_scan_free(s);
	s = scan_hdrs(e, "From: <support@gmaii.com>");
	expect(s, "sender.lookalike_domain", "T1566,T1583.001", VIGIL_SEV_HIGH,
	       "support@gmaii.com imitates gmail.com (characters that look the same)");
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

/* outbound: only look-alikes are checked */
static void outbound_only_lookalikes(void **state)
{
	vigil_engine *e = eng();
	const char *m = "From: Nguyen Van An <an.nguyen@gmail.com>\r\nReply-To: x@yahoo.com\r\n"
	                "To: y@bhxh-gov.vn\r\nSubject: x\r\n\r\nx\r\n";
	vigil_scan *s = vigil_scan_new(e, 0);

	(void)state;
	vigil_scan_set_direction(s, VIGIL_DIR_OUTBOUND);
	assert_int_equal(vigil_scan_buffer(s, m, strlen(m), NULL), VIGIL_OK);
	clean_of_ours(s);
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

/* an unreadable staff directory is said, once, as information */
static void missing_directory_is_reported(void **state)
{
	vigil_config *cfg = vigil_config_new();
	vigil_engine *e = NULL;
	vigil_scan *s;
	long i;

	(void)state;
	vigil_config_set_option(cfg, "staff_directory", "/nonexistent/org.json");
	assert_int_equal(vigil_engine_new(cfg, &e, NULL), VIGIL_OK);
	vigil_config_free(cfg);
	s = scan_hdrs(e, "From: a@example.org");
	i = tu_finding(s, "analyzer.config_error");
	assert_true(i >= 0);
	assert_int_equal(vigil_finding_severity(vigil_scan_finding(s, (size_t)i)), VIGIL_SEV_INFO);
	assert_non_null(strstr(vigil_finding_evidence(vigil_scan_finding(s, (size_t)i)),
	                       "staff_directory: /nonexistent/org.json"));
	assert_int_equal(vigil_scan_verdict(s), VIGIL_CLEAN);
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

/* the directory is read again when it changes */
static void directory_reloads_when_changed(void **state)
{
	vigil_engine *e = eng();
	vigil_scan *s;
	char *org2;

	(void)state;
	s = scan_hdrs(e, "From: Le Van Moi <moi@gmail.com>");
	clean_of_ours(s);
	vigil_scan_free(s);
	org2 = g_strdup_printf("{\"domain\": \"bhxh.example\", \"staff\": [{\"name\": "
	                       "\"Lê Văn Mới\", \"email\": \"le.van.moi@bhxh.example\"}],"
	                       " \"padding\": \"%s\"}",
	                       "a longer file than before");
	assert_true(g_file_set_contents(org_path, org2, -1, NULL));
	s = scan_hdrs(e, "From: Le Van Moi <moi@gmail.com>");
	expect(s, "sender.display_name_spoof", "T1566,T1036", VIGIL_SEV_HIGH, "Lê Văn Mới");
	vigil_scan_free(s);
	g_free(org2);
	vigil_engine_unref(e);
	/* put the first directory back for the other tests */
	teardown(state);
	setup(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(staff_name_from_gmail),
	        cmocka_unit_test(agency_names_and_domains_in_display_name),
	        cmocka_unit_test(own_staff_stays_clean),
	        cmocka_unit_test(protected_from_fails_authentication),
	        cmocka_unit_test(only_trusted_authserv_ids_count),
	        cmocka_unit_test(reply_to_and_envelope),
	        cmocka_unit_test(envelope_from_the_gateway),
	        cmocka_unit_test(mailing_lists_stay_clean),
	        cmocka_unit_test(lookalike_sender_domains),
	        cmocka_unit_test(outbound_only_lookalikes),
	        cmocka_unit_test(missing_directory_is_reported),
	        cmocka_unit_test(directory_reloads_when_changed),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
