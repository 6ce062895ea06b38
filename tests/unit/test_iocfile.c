/*
 * test_iocfile.c - indicator files <-> indicator JSON (src/server/iocfile.c):
 *   - every kind of line reads to its type, comment blocks become the
 *     descriptions of the lines under them, bad lines are listed by number;
 *   - indicators of every type write to a file the engine loads (and
 *     matches), Message-IDs are listed instead of written;
 *   - a description or value from a hostile bundle cannot add a line of its
 *     own to the file (the engine loads exactly the indicators written);
 *   - read -> write -> read keeps every indicator and description.
 */
#include <jansson.h>
#include <unistd.h>

#include "exchange_fixture.h"
#include "server/iocfile.h"
#include "server/stix.h"

static json_t *read_text(const char *text)
{
	json_t *res = NULL;
	char err[200] = "";

	assert_int_equal(iocfile_read(text, strlen(text), NULL, &res, err, sizeof err),
	                 EXCHANGE_OK);
	return res;
}

static char *write_tmp(const char *text)
{
	char *path = g_strdup("/tmp/vigil-iocfile-XXXXXX");
	int fd = g_mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

/* loads text into an engine: the number of indicators it took */
static size_t engine_count(const char *text, vigil_engine **keep)
{
	char *p = write_tmp(text);
	vigil_engine *e = tu_engine(NULL, p);
	size_t n = vigil_engine_indicator_count(e);

	unlink(p);
	g_free(p);
	if (keep != NULL)
		*keep = e;
	else
		vigil_engine_unref(e);
	return n;
}

static void read_every_kind(void **state)
{
	static const char text[] =
	        "# header of the file\n"
	        "\n"
	        "# campaign 2026-11 \"bảng lương\"\n"
	        "#   second comment line  \n"
	        "2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824\n"
	        "sender:Ketoan@BHXH-vn.example\n"
	        "sender:@mail.bhxh-vn.example\n"
	        "  url:http://203.0.113.7/update*  \n"
	        "ip:203.0.113.7\n"
	        "ip:2001:DB8::7\n"
	        "# second group\n"
	        "subject:bảng lương tháng 11\n"
	        "filename:Luong*.xlsm\n"
	        "md5:" FX_MD5 "\n"
	        "sha1:" FX_SHA1 "\n"
	        "domain:bhxh-vn.example\n"
	        "\n"
	        "bad line\n"
	        "unknown:x\n"
	        "ip:not-an-ip\n"
	        "sha256:abc\n"
	        "url:no-scheme\n"
	        "sender:mail.bhxh-vn.example\n"
	        "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"; /* no final new line */
	static const struct {
		const char *type, *value, *desc;
	} want[] = {
	        {"sha256", FX_SHA256, "campaign 2026-11 \"bảng lương\" second comment line"},
	        {"email", "ketoan@bhxh-vn.example",
	         "campaign 2026-11 \"bảng lương\" second comment line"},
	        {"domain", "mail.bhxh-vn.example",
	         "campaign 2026-11 \"bảng lương\" second comment line"},
	        {"url", "http://203.0.113.7/update*",
	         "campaign 2026-11 \"bảng lương\" second comment line"},
	        {"ipv4", "203.0.113.7", "campaign 2026-11 \"bảng lương\" second comment line"},
	        {"ipv6", "2001:db8::7", "campaign 2026-11 \"bảng lương\" second comment line"},
	        {"subject", "bảng lương tháng 11", "second group"},
	        {"filename", "Luong*.xlsm", "second group"},
	        {"md5", FX_MD5, "second group"},
	        {"sha1", FX_SHA1, "second group"},
	        {"domain", "bhxh-vn.example", "second group"},
	};
	json_t *res = read_text(text);
	json_t *inds = json_object_get(res, "indicators");

	(void)state;
	assert_int_equal(json_array_size(inds), G_N_ELEMENTS(want));
	for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
		json_t *e = json_array_get(inds, i);

		assert_string_equal(json_string_value(json_object_get(e, "type")), want[i].type);
		assert_string_equal(json_string_value(json_object_get(e, "value")), want[i].value);
		assert_string_equal(json_string_value(json_object_get(e, "description")),
		                    want[i].desc);
		assert_string_equal(json_string_value(json_object_get(e, "tlp")), "TLP:AMBER");
		assert_string_equal(json_string_value(json_object_get(e, "source")), "vigil");
	}
	/* the bad lines, by number; the repeated SHA-1 merged */
	assert_int_equal(json_integer_value(json_object_get(res, "objects")), 24);
	assert_int_equal(json_integer_value(json_object_get(res, "skipped_total")), 5);
	assert_non_null(fx_find(json_object_get(res, "skipped"), "id", "18"));
	assert_int_equal(fx_skipped_with(res, "neither a hash"), 1);
	assert_int_equal(fx_skipped_with(res, "unknown kind"), 1);
	assert_int_equal(fx_skipped_with(res, "ip: needs"), 1);
	assert_int_equal(fx_skipped_with(res, "not a SHA-256"), 1);
	assert_int_equal(fx_skipped_with(res, "scheme"), 1);
	assert_int_equal(json_integer_value(json_object_get(res, "duplicates")), 2);
	json_decref(res);
}

static void read_limits(void **state)
{
	GString *g = g_string_new("domain:");
	json_t *res;
	const char bin[] = "domain:a\xff.example\nsubject:a\0b\ndomain:ok.example\n";
	char err[100];

	(void)state;
	while (g->len < 5000)
		g_string_append(g, "aaaa.");
	g_string_append(g, "example\ndomain:after.example\n");
	res = read_text(g->str);
	assert_int_equal(json_array_size(json_object_get(res, "indicators")), 1);
	assert_int_equal(fx_skipped_with(res, "longer than 4096"), 1);
	json_decref(res);
	assert_int_equal(iocfile_read(bin, sizeof bin - 1, NULL, &res, err, sizeof err),
	                 EXCHANGE_OK);
	assert_int_equal(json_array_size(json_object_get(res, "indicators")), 1);
	assert_int_equal(fx_skipped_with(res, "not UTF-8"), 2);
	json_decref(res);
	g_string_free(g, TRUE);
}

static void write_every_type(void **state)
{
	static const char want[] = "# exported for a test\n"
	                           "# second header line\n"
	                           "\n"
	                           "# BangLuong_T11.xlsm, the dropper\n"
	                           "sha256:" FX_SHA256 "\n"
	                           "\n"
	                           "# second stage\n"
	                           "sha1:" FX_SHA1 "\n"
	                           "\n"
	                           "md5:" FX_MD5 "\n"
	                           "\n"
	                           "# sender\n"
	                           "sender:ketoan@bhxh-vn.example\n"
	                           "\n"
	                           "# look-alike\n"
	                           "domain:bhxh-vn.example\n"
	                           "\n"
	                           "# download\n"
	                           "url:http://203.0.113.7/update/payload.php?id=1&x=2\n"
	                           "\n"
	                           "# every update URL\n"
	                           "url:http://203.0.113.7/update*\n"
	                           "\n"
	                           "# C2\n"
	                           "ip:203.0.113.7\n"
	                           "\n"
	                           "# C2 (IPv6)\n"
	                           "ip:2001:db8::7\n"
	                           "\n"
	                           "# lure\n"
	                           "filename:BangLuong_T11.xlsm\n"
	                           "\n"
	                           "# glob\n"
	                           "filename:invoice*.exe\n"
	                           "\n"
	                           "# subject with ' and \\\n"
	                           "subject:" FX_SUBJECT "\n";
	json_t *inc = fx_incident(), *skipped = json_array();
	char *text = NULL, err[100];
	vigil_engine *e;
	vigil_scan *s;

	(void)state;
	assert_int_equal(iocfile_write(json_object_get(inc, "indicators"),
	                               "exported for a test\nsecond header line", &text, skipped,
	                               err, sizeof err),
	                 EXCHANGE_OK);
	assert_string_equal(text, want);
	assert_int_equal(json_array_size(skipped), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(skipped, 0), "type")),
	                    "message_id");
	/* the engine takes every line, and matches them */
	assert_int_equal(engine_count(text, &e), FX_COUNT - 1);
	s = tu_scan_str(e, "From: Kế toán <ketoan@bhxh-vn.example>\r\n"
	                   "Subject: Fwd: Công văn khẩn: bảng lương tháng 11 (O'Brien \\ test)\r\n"
	                   "\r\n"
	                   "Tải về: http://203.0.113.7/update/v2.exe\r\n");
	assert_true(tu_finding(s, "ioc.sender") >= 0);
	assert_true(tu_finding(s, "ioc.subject") >= 0);
	assert_true(tu_finding(s, "ioc.url") >= 0);
	vigil_scan_free(s);
	vigil_engine_unref(e);
	g_free(text);
	json_decref(skipped);
	json_decref(inc);
}

/* whatever a bundle says, one indicator is one line */
static void write_cannot_inject_lines(void **state)
{
	json_t *res = NULL, *inds;
	char *text = NULL, err[200];
	/* a description with new lines (JSON escapes and U+2028) that would
	 * read as indicator lines; values with new lines are refused on import */
	static const char bundle[] =
	        "{\"type\": \"bundle\", \"objects\": [{\"type\": \"indicator\", \"id\": "
	        "\"indicator--1\", \"description\": \"x\\nsha256:" FX_SHA256
	        "\\r\\ndomain:bhxh.gov.vn\\u2028url:http://a.example/\","
	        " \"pattern\": \"[domain-name:value = 'evil.example' OR "
	        "email-message:subject = 'a\\nfilename:*']\"}]}";

	(void)state;
	assert_int_equal(stix_import_buffer(bundle, strlen(bundle), NULL, &res, err, sizeof err),
	                 EXCHANGE_OK);
	inds = json_object_get(res, "indicators");
	assert_int_equal(json_array_size(inds), 1);
	assert_int_equal(fx_skipped_with(res, "control characters"), 1);
	assert_int_equal(iocfile_write(inds, "header\nfilename:*", &text, NULL, err, sizeof err),
	                 EXCHANGE_OK);
	assert_int_equal(engine_count(text, NULL), 1);
	assert_null(strstr(text, "\nsha256:"));
	assert_null(strstr(text, "\nfilename:"));
	assert_non_null(strstr(text, "\ndomain:evil.example\n"));
	g_free(text);
	json_decref(res);

	/* indicators handed in directly (vigild's JSON) are checked too */
	inds = json_loads("[{\"type\": \"subject\", \"value\": \"a\\nsha256:" FX_SHA256 "\"},"
	                  " {\"type\": \"domain\", \"value\": \"a/b\"},"
	                  " {\"type\": \"url\", \"value\": \"http://ok.example/\","
	                  "  \"description\": \"d\\ndomain:x.example\"}]",
	                  0, NULL);
	res = json_array();
	assert_int_equal(iocfile_write(inds, NULL, &text, res, err, sizeof err), EXCHANGE_OK);
	assert_int_equal(json_array_size(res), 2);
	assert_int_equal(engine_count(text, NULL), 1);
	assert_string_equal(text, "# d domain:x.example\nurl:http://ok.example/\n");
	g_free(text);
	json_decref(res);
	json_decref(inds);
}

static void read_write_read(void **state)
{
	json_t *inc = fx_incident(), *a, *b;
	char *text = NULL, *text2 = NULL, err[100];
	size_t i;
	json_t *e;

	(void)state;
	assert_int_equal(iocfile_write(json_object_get(inc, "indicators"), "x", &text, NULL, err,
	                               sizeof err),
	                 EXCHANGE_OK);
	a = read_text(text);
	assert_int_equal(json_array_size(json_object_get(a, "indicators")), FX_COUNT - 1);
	json_array_foreach(json_object_get(a, "indicators"), i, e)
	{
		json_t *orig = fx_find(json_object_get(inc, "indicators"), "value",
		                       json_string_value(json_object_get(e, "value")));

		assert_non_null(orig);
		assert_string_equal(json_string_value(json_object_get(e, "type")),
		                    json_string_value(json_object_get(orig, "type")));
		assert_string_equal(json_string_value(json_object_get(e, "description")),
		                    json_string_value(json_object_get(orig, "description")));
	}
	assert_int_equal(
	        iocfile_write(json_object_get(a, "indicators"), "x", &text2, NULL, err, sizeof err),
	        EXCHANGE_OK);
	assert_string_equal(text, text2);
	b = read_text(text2);
	fx_assert_json_equal(json_object_get(a, "indicators"), json_object_get(b, "indicators"));
	g_free(text);
	g_free(text2);
	json_decref(a);
	json_decref(b);
	json_decref(inc);
}

/* the shared poisonivy report: what `vigil ioc import` writes loads whole */
static void shared_bundle_to_engine(void **state)
{
	char *path = fx_shared("stix/threat-reports/poisonivy.json"), *buf, *text, err[200];
	gsize len;
	json_t *res;

	(void)state;
	if (path == NULL)
		skip();
	assert_true(g_file_get_contents(path, &buf, &len, NULL));
	assert_int_equal(stix_import_buffer(buf, len, NULL, &res, err, sizeof err), EXCHANGE_OK);
	assert_int_equal(iocfile_write(json_object_get(res, "indicators"), NULL, &text, NULL, err,
	                               sizeof err),
	                 EXCHANGE_OK);
	assert_int_equal(engine_count(text, NULL), 44);
	g_free(text);
	g_free(buf);
	g_free(path);
	json_decref(res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(read_every_kind),  cmocka_unit_test(read_limits),
	        cmocka_unit_test(write_every_type), cmocka_unit_test(write_cannot_inject_lines),
	        cmocka_unit_test(read_write_read),  cmocka_unit_test(shared_bundle_to_engine),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
