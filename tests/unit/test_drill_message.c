/*
 * test_drill_message.c - drill mail and simulants (src/drill/message.c,
 * simulant.c): the message parses with GMime, carries a marker that
 * verifies, the recipient's placeholders (escaped in HTML), Vietnamese
 * headers in RFC 2047 that decode back, and the simulant attachment; the
 * engine sees each simulant as its technique (macro on open that
 * downloads, hidden PowerShell shortcut, password form) and each carries
 * the simulant marker. Bad recipients and URLs are refused.
 */
#include <gmime/gmime.h>

#include "testutil.h"

#include "drill/drill.h"

static const uint8_t key[DRILL_KEY_LEN] = {0x42, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
                                           7,    7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 9};
static const char token[] = "k3mzq7w2abcdefghijklmnopqa";
static const char base[] = "https://vigil.bhxh.local:8443/";

static vigil_engine *eng;

static int setup(void **state)
{
	(void)state;
	g_mime_init();
	eng = tu_engine(NULL, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vigil_engine_unref(eng);
	g_mime_shutdown();
	return 0;
}

static drill_scenario *scenario(const char *kind, const char *name)
{
	char *json = g_strdup_printf(
	        "{\"id\":\"t\",\"version\":1,"
	        "\"title\":{\"vi\":\"Thử\",\"en\":\"Test\"},\"summary\":{\"vi\":\"a\",\"en\":\"a\"}"
	        ","
	        "\"attack\":[\"T1566.001\"],"
	        "\"sender\":{\"name\":\"Văn phòng Bảo hiểm xã hội Việt Nam\","
	        "\"address\":\"vanphong@baohiemxahoi-vn.com\"},"
	        "\"subject\":\"V/v triển khai công văn số 1234/BHXH-CNTT gửi {{unit}} ngày "
	        "{{date}}\","
	        "\"body_text\":\"Kính gửi {{name}},\\nĐề nghị xem tại {{link}}\\n\","
	        "\"body_html\":\"<p>Kính gửi {{name}} ({{mailbox}})</p><a href=\\\"{{link}}\\\">Xem"
	        "</a><img src=\\\"{{pixel}}\\\" width=1 height=1>\","
	        "\"attachment\":{\"kind\":\"%s\"%s%s%s},"
	        "\"expected\":[\"macro.autoexec\"]}",
	        kind, name ? ",\"name\":\"" : "", name ? name : "", name ? "\"" : "");
	drill_scenario *sc = NULL;
	drill_error err = {0};

	if (drill_scenario_parse(json, strlen(json), "t.json", &sc, &err) != DRILL_OK)
		fail_msg("%s: %s", err.where, err.en);
	g_free(json);
	return sc;
}

static GMimeMessage *parse(const uint8_t *p, size_t n)
{
	GMimeStream *st = g_mime_stream_mem_new_with_buffer((const char *)p, n);
	GMimeParser *parser = g_mime_parser_new_with_stream(st);
	GMimeMessage *m = g_mime_parser_construct_message(parser, NULL);

	g_object_unref(parser);
	g_object_unref(st);
	assert_non_null(m);
	return m;
}

static GByteArray *part_bytes(GMimePart *part)
{
	GMimeDataWrapper *w = g_mime_part_get_content(part);
	GMimeStream *out = g_mime_stream_mem_new();
	GByteArray *copy = g_byte_array_new();
	GByteArray *arr;

	assert_true(g_mime_data_wrapper_write_to_stream(w, out) >= 0);
	arr = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out));
	g_byte_array_append(copy, arr->data, arr->len);
	g_object_unref(out);
	return copy;
}

struct walk {
	char *text, *html;
	GMimePart *att;
};

static void walk_cb(GMimeObject *parent, GMimeObject *part, gpointer data)
{
	struct walk *w = data;
	GMimeContentType *ct = g_mime_object_get_content_type(part);

	(void)parent;
	if (!GMIME_IS_PART(part))
		return;
	if (g_mime_part_get_filename(GMIME_PART(part)) != NULL) {
		w->att = GMIME_PART(part);
	} else if (g_mime_content_type_is_type(ct, "text", "plain")) {
		GByteArray *b = part_bytes(GMIME_PART(part));

		w->text = g_strndup((const char *)b->data, b->len);
		g_byte_array_free(b, TRUE);
	} else if (g_mime_content_type_is_type(ct, "text", "html")) {
		GByteArray *b = part_bytes(GMIME_PART(part));

		w->html = g_strndup((const char *)b->data, b->len);
		g_byte_array_free(b, TRUE);
	}
}

static int has(const vigil_scan *s, const char *id)
{
	return tu_finding(s, id) >= 0;
}

/* builds, parses and checks the common parts; returns the attachment bytes */
static GByteArray *check_message(drill_scenario *sc, const struct drill_recipient *to,
                                 vigil_scan **scan_out)
{
	uint8_t *msg = NULL;
	size_t len = 0;
	drill_error err = {0};
	GMimeMessage *m;
	struct walk w = {0};
	const char *hdr;
	GByteArray *att = NULL;
	char *want;
	/* 28/11/2026 10:00 +07 */
	time_t when = 1795834800;

	assert_int_equal(drill_message_build_at(sc, key, "2026-MB-1", token, to, base, when, &msg,
	                                        &len, &err),
	                 DRILL_OK);
	/* CRLF everywhere, ASCII headers */
	for (size_t i = 0; i < len; i++) {
		if (msg[i] == '\n')
			assert_true(i > 0 && msg[i - 1] == '\r');
		assert_true(msg[i] < 0x80);
	}
	m = parse(msg, len);
	hdr = g_mime_object_get_header(GMIME_OBJECT(m), "X-Vigil-Drill");
	assert_non_null(hdr);
	assert_int_equal(drill_marker_verify(key, hdr), DRILL_OK);
	want = g_strdup_printf("v=1; r=2026-MB-1; t=%s; s=", token);
	assert_true(g_str_has_prefix(hdr, want));
	g_free(want);
	want = g_strdup_printf("V/v triển khai công văn số 1234/BHXH-CNTT gửi %s ngày 28/11/2026",
	                       to->unit != NULL ? to->unit : "");
	assert_string_equal(g_mime_message_get_subject(m), want);
	g_free(want);
	{
		InternetAddressList *from = g_mime_message_get_from(m);
		InternetAddress *a = internet_address_list_get_address(from, 0);

		assert_string_equal(internet_address_get_name(a),
		                    "Văn phòng Bảo hiểm xã hội Việt Nam");
		assert_string_equal(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a)),
		                    "vanphong@baohiemxahoi-vn.com");
		a = internet_address_list_get_address(g_mime_message_get_to(m), 0);
		assert_string_equal(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a)),
		                    to->mailbox);
	}
	assert_string_equal(g_mime_message_get_message_id(m),
	                    "k3mzq7w2abcdefghijklmnopqa.2026-MB-1@baohiemxahoi-vn.com");
	{
		GDateTime *d = g_mime_message_get_date(m);

		assert_non_null(d);
		assert_int_equal(g_date_time_to_unix(d), when);
	}
	g_mime_message_foreach(m, walk_cb, &w);
	assert_non_null(w.text);
	assert_non_null(w.html);
	assert_non_null(
	        strstr(w.text, "https://vigil.bhxh.local:8443/t/k3mzq7w2abcdefghijklmnopqa/c"));
	assert_non_null(strstr(w.html, "https://vigil.bhxh.local:8443/t/k3mzq7w2abcdefghijklmnopqa/"
	                               "o.gif"));
	if (w.att != NULL) {
		att = part_bytes(w.att);
		assert_string_equal(g_mime_part_get_filename(w.att), sc->attachment_name);
		/* the same bytes drill_simulant_build_for makes */
		{
			uint8_t *sim = NULL;
			size_t sl = 0;

			assert_int_equal(drill_simulant_build_for(sc, key, "2026-MB-1", token, base,
			                                          &sim, &sl, &err),
			                 DRILL_OK);
			assert_int_equal(sl, att->len);
			assert_memory_equal(sim, att->data, sl);
			free(sim);
		}
		/* the simulant marker verifies too */
		{
			char mk[DRILL_MARKER_MAX];

			assert_int_equal(drill_simulant_marker_find(att->data, att->len, mk),
			                 DRILL_OK);
			assert_int_equal(drill_marker_verify(key, mk), DRILL_OK);
		}
	}
	if (scan_out != NULL)
		*scan_out = tu_scan(eng, msg, len, "drill.eml");
	/* the recipient's fields, filled in (and escaped in HTML) */
	if (to->name != NULL && strchr(to->name, '<') != NULL) {
		assert_null(strstr(w.html, to->name));
		assert_non_null(strstr(w.html, "&lt;"));
		assert_non_null(strstr(w.text, to->name));
	}
	g_free(w.text);
	g_free(w.html);
	g_object_unref(m);
	free(msg);
	return att;
}

static const struct drill_recipient nguyen = {"Nguyễn Thị Hồng Nhung",
                                              "nhung.nth@langson.vss.gov.vn", "BHXH tỉnh Lạng Sơn"};

static void test_macro_doc(void **state)
{
	drill_scenario *sc = scenario("macro-doc", "Cong_van_1234_BHXH-CNTT.docm");
	vigil_scan *s = NULL;
	GByteArray *att;

	(void)state;
	att = check_message(sc, &nguyen, &s);
	assert_non_null(att);
	assert_true(att->len > 4 && memcmp(att->data, "PK\3\4", 4) == 0);
	if (!has(s, "macro.autoexec") || !has(s, "macro.downloader") || !has(s, "macro.present"))
		tu_dump(s);
	assert_true(has(s, "macro.present"));
	assert_true(has(s, "macro.autoexec"));
	assert_true(has(s, "macro.downloader"));
	/* harmless by construction: nothing writes (CreateObject alone counts as
	 * "may execute" for the analyzer, as for mraptor: not asserted) */
	assert_false(has(s, "macro.write"));
	assert_false(has(s, "macro.stomped"));
	assert_false(has(s, "decode.error"));
	assert_true(vigil_scan_verdict(s) >= VIGIL_SUSPICIOUS);
	vigil_scan_free(s);
	g_byte_array_free(att, TRUE);
	drill_scenario_free(sc);
}

static void test_macro_xlsm(void **state)
{
	drill_scenario *sc = scenario("macro-doc", "Bang_luong_T11.xlsm");
	vigil_scan *s = NULL;
	GByteArray *att;

	(void)state;
	att = check_message(sc, &nguyen, &s);
	assert_non_null(att);
	assert_non_null(memmem(att->data, att->len, "xl/vbaProject.bin", 17));
	if (!has(s, "macro.autoexec") || !has(s, "macro.downloader"))
		tu_dump(s);
	assert_true(has(s, "macro.autoexec"));
	assert_true(has(s, "macro.downloader"));
	vigil_scan_free(s);
	g_byte_array_free(att, TRUE);
	drill_scenario_free(sc);
}

static void test_zip_lnk(void **state)
{
	drill_scenario *sc = scenario("zip-lnk", "Danh_sach_the_BHYT_2026.zip");
	struct drill_recipient evil = {"<b>Trần</b> & \"Lê\"", "tran@hcm.vss.gov.vn", NULL};
	vigil_scan *s = NULL;
	GByteArray *att;

	(void)state;
	att = check_message(sc, &evil, &s);
	assert_non_null(att);
	assert_non_null(memmem(att->data, att->len, "Danh_sach_the_BHYT_2026.pdf.lnk", 31));
	if (!has(s, "lnk.command") || !has(s, "lnk.hidden_window"))
		tu_dump(s);
	assert_true(has(s, "lnk.command"));
	assert_true(has(s, "lnk.hidden_window"));
	assert_true(has(s, "lnk.icon_mismatch"));
	assert_false(has(s, "lnk.malformed"));
	assert_true(vigil_scan_verdict(s) >= VIGIL_SUSPICIOUS);
	vigil_scan_free(s);
	g_byte_array_free(att, TRUE);
	drill_scenario_free(sc);
}

static void test_html_credential(void **state)
{
	drill_scenario *sc = scenario("html-credential", "Dang_nhap_he_thong.html");
	vigil_scan *s = NULL;
	GByteArray *att;
	char *page;

	(void)state;
	att = check_message(sc, &nguyen, &s);
	assert_non_null(att);
	page = g_strndup((const char *)att->data, att->len);
	/* posts to the tracking endpoint; the visible inputs have no name */
	assert_non_null(strstr(
	        page, "action=\"https://vigil.bhxh.local:8443/t/k3mzq7w2abcdefghijklmnopqa/f\""));
	assert_non_null(strstr(page, "<input type=\"password\" autocomplete=\"off\">"));
	assert_null(strstr(page, "name=\"password\""));
	assert_non_null(strstr(page, "name=\"typed\" value=\"1\""));
	if (!has(s, "link.form_password"))
		tu_dump(s);
	assert_true(has(s, "link.form_password"));
	g_free(page);
	vigil_scan_free(s);
	g_byte_array_free(att, TRUE);
	drill_scenario_free(sc);
}

static void test_none_and_bad_inputs(void **state)
{
	drill_scenario *sc = scenario("none", NULL);
	struct drill_recipient bad_addr = {"A", "not an address", NULL};
	struct drill_recipient crlf = {"A\r\nBcc: x@y.vn", "a@b.vn", NULL};
	struct drill_recipient ok = {NULL, "a@b.vn", NULL};
	drill_error err = {0};
	uint8_t *msg = NULL, *sim = NULL;
	size_t len = 0;
	GByteArray *att;

	(void)state;
	att = check_message(sc, &ok, NULL);
	assert_null(att);
	assert_int_equal(
	        drill_message_build(sc, key, "R", token, &bad_addr, base, &msg, &len, &err),
	        DRILL_EINVAL);
	assert_null(msg);
	assert_int_equal(drill_message_build(sc, key, "R", token, &crlf, base, &msg, &len, &err),
	                 DRILL_EINVAL);
	assert_int_equal(drill_message_build(sc, key, "R", token, &ok, "javascript:alert(1)", &msg,
	                                     &len, &err),
	                 DRILL_EINVAL);
	assert_int_equal(drill_message_build(sc, key, "R", token, &ok, "http://a.vn/\"onload=x",
	                                     &msg, &len, &err),
	                 DRILL_EINVAL);
	assert_int_equal(
	        drill_message_build(sc, key, "bad ref", token, &ok, base, &msg, &len, &err),
	        DRILL_EINVAL);
	assert_int_equal(drill_message_build(sc, key, "R", "TOKEN", &ok, base, &msg, &len, &err),
	                 DRILL_EINVAL);
	assert_int_equal(drill_message_build(sc, key, "R", token, &ok, base, &msg, &len, &err),
	                 DRILL_OK);
	/* the default name when the directory has none */
	assert_non_null(msg);
	free(msg);
	assert_int_equal(
	        drill_simulant_build(DRILL_SIM_NONE, key, "R", token, base, &sim, &len, &err),
	        DRILL_EINVAL);
	assert_int_equal(drill_base_url_valid("http://10.0.0.1:8080/drill/"), DRILL_OK);
	assert_int_equal(drill_base_url_valid("http://a.vn:123456"), DRILL_EINVAL);
	assert_int_equal(drill_base_url_valid("ftp://a.vn"), DRILL_EINVAL);
	assert_int_equal(drill_base_url_valid("http://a.vn/x y"), DRILL_EINVAL);
	drill_scenario_free(sc);
}

/* a subject far longer than one encoded word folds and decodes back */
static void test_long_header(void **state)
{
	drill_scenario *sc = scenario("none", NULL);
	struct drill_recipient to = {"Phạm Văn Đồng Khánh Hưng Thịnh Vượng Phát Đạt Trường Sơn",
	                             "pham@b.vn", "Trung tâm Công nghệ thông tin – BHXH Việt Nam"};
	uint8_t *msg = NULL;
	size_t len = 0;
	drill_error err = {0};
	GMimeMessage *m;
	char *want;

	(void)state;
	assert_int_equal(
	        drill_message_build_at(sc, key, "R", token, &to, base, 0, &msg, &len, &err),
	        DRILL_OK);
	/* no header line longer than 78 + CRLF */
	for (size_t i = 0, col = 0; i < len && !(i > 3 && memcmp(msg + i - 3, "\r\n\r\n", 4) == 0);
	     i++) {
		col = msg[i] == '\n' ? 0 : col + 1;
		assert_true(col <= 100);
	}
	m = parse(msg, len);
	want = g_strdup_printf("V/v triển khai công văn số 1234/BHXH-CNTT gửi %s ngày 01/01/1970",
	                       to.unit);
	assert_string_equal(g_mime_message_get_subject(m), want);
	assert_string_equal(internet_address_get_name(
	                            internet_address_list_get_address(g_mime_message_get_to(m), 0)),
	                    to.name);
	g_free(want);
	g_object_unref(m);
	free(msg);
	drill_scenario_free(sc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_macro_doc),
	        cmocka_unit_test(test_macro_xlsm),
	        cmocka_unit_test(test_zip_lnk),
	        cmocka_unit_test(test_html_credential),
	        cmocka_unit_test(test_none_and_bad_inputs),
	        cmocka_unit_test(test_long_header),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
