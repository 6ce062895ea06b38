/*
 * test_misp.c - MISP events in and out (src/server/misp.c):
 *   - an incident with one indicator of every type exports to an event with
 *     the right info, threat level, analysis, date, TLP tags, attribute
 *     types and categories, and imports back to the same indicators;
 *   - import of the attribute types of the MISP core format: single,
 *     composite (split at '|'), to_ids, deleted, the file / email /
 *     domain-ip / url objects, TLP from event and attribute tags, the
 *     document shapes ({"Event"}, {"response"}, arrays, a bare event);
 *   - malformed documents give clear errors or listed skips, never a crash.
 */
#include <jansson.h>

#include "exchange_fixture.h"
#include "server/misp.h"
#include "server/stix.h"

static json_t *import_text(const char *text, const misp_import_opts *o)
{
	json_t *res = NULL;
	char err[300] = "";
	exchange_err e = misp_import_buffer(text, strlen(text), o, &res, err, sizeof err);

	if (e != EXCHANGE_OK)
		fprintf(stderr, "import: %s: %s\n", exchange_strerror(e), err);
	assert_int_equal(e, EXCHANGE_OK);
	return res;
}

static json_t *export_fixture(void)
{
	json_t *inc = fx_incident(), *res = NULL;
	misp_export_opts o = {NULL, FX_NOW};
	char err[300] = "";

	assert_int_equal(misp_export(inc, &o, &res, err, sizeof err), EXCHANGE_OK);
	json_decref(inc);
	return res;
}

static bool has_tag(const json_t *o, const char *name)
{
	return fx_find(json_object_get(o, "Tag"), "name", name) != NULL;
}

static void export_every_type(void **state)
{
	static const struct {
		const char *value, *type, *category, *tlp_tag;
	} want[] = {
	        {FX_SHA256, "sha256", "Payload delivery", "tlp:amber"},
	        {FX_SHA1, "sha1", "Payload delivery", "tlp:green"},
	        {FX_MD5, "md5", "Payload delivery", "tlp:red"},
	        {"ketoan@bhxh-vn.example", "email-src", "Payload delivery", "tlp:amber+strict"},
	        {"bhxh-vn.example", "domain", "Network activity", "tlp:clear"},
	        {"http://203.0.113.7/update/payload.php?id=1&x=2", "url", "Network activity",
	         "tlp:amber"},
	        {"http://203.0.113.7/update", "url", "Network activity", "tlp:amber"},
	        {"203.0.113.7", "ip-dst", "Network activity", "tlp:amber"},
	        {"2001:db8::7", "ip-dst", "Network activity", "tlp:amber"},
	        {"BangLuong_T11.xlsm", "filename", "Payload delivery", "tlp:amber"},
	        {"invoice*.exe", "filename-pattern", "Payload delivery", "tlp:amber"},
	        {FX_SUBJECT, "email-subject", "Payload delivery", "tlp:amber"},
	        {"<20261127081500.1234@bhxh-vn.example>", "email-message-id", "Payload delivery",
	         "tlp:amber"},
	};
	json_t *res = export_fixture();
	json_t *ev = json_object_get(json_object_get(res, "document"), "Event");
	json_t *attrs = json_object_get(ev, "Attribute");
	json_t *a;

	(void)state;
	assert_int_equal(json_array_size(json_object_get(res, "skipped")), 0);
	assert_string_equal(json_string_value(json_object_get(ev, "uuid")),
	                    "d2faea20-1321-5b82-851c-d04150f400c9");
	assert_string_equal(json_string_value(json_object_get(ev, "info")),
	                    "Chiến dịch \"bảng lương\" tháng 11");
	assert_string_equal(json_string_value(json_object_get(ev, "threat_level_id")), "1");
	assert_string_equal(json_string_value(json_object_get(ev, "analysis")), "1");
	assert_string_equal(json_string_value(json_object_get(ev, "date")), "2026-11-27");
	assert_string_equal(json_string_value(json_object_get(ev, "timestamp")), "1796083200");
	assert_true(json_is_false(json_object_get(ev, "published")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(ev, "Orgc"), "name")),
	                    FX_ORG);
	assert_true(has_tag(ev, "tlp:amber"));
	assert_true(json_is_array(json_object_get(ev, "Object")));
	assert_int_equal(json_array_size(attrs), FX_COUNT);
	for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
		a = fx_find(attrs, "value", want[i].value);
		assert_non_null(a);
		assert_string_equal(json_string_value(json_object_get(a, "type")), want[i].type);
		assert_string_equal(json_string_value(json_object_get(a, "category")),
		                    want[i].category);
		assert_true(json_is_true(json_object_get(a, "to_ids")));
		assert_true(has_tag(a, want[i].tlp_tag));
	}
	/* a URL prefix and a glob keep what they are in vigil tags */
	assert_true(has_tag(fx_find(attrs, "value", "http://203.0.113.7/update"),
	                    "vigil:match=\"prefix\""));
	assert_true(has_tag(fx_find(attrs, "value", "invoice*.exe"), "vigil:match=\"glob\""));
	/* a source other than the event's organisation, as a tag */
	a = fx_find(attrs, "value", FX_SHA1);
	assert_true(has_tag(a, "vigil:source=\"CIRCL OSINT feed\""));
	assert_string_equal(json_string_value(json_object_get(a, "first_seen")),
	                    "2026-11-27T08:15:00.250000+00:00");
	assert_null(json_object_get(a, "last_seen"));
	a = fx_find(attrs, "value", FX_SHA256);
	assert_int_equal(json_array_size(json_object_get(a, "Tag")), 1);
	assert_string_equal(json_string_value(json_object_get(a, "comment")),
	                    "BangLuong_T11.xlsm, the dropper");
	assert_string_equal(json_string_value(json_object_get(a, "last_seen")),
	                    "2027-02-27T00:00:00.000000+00:00");
	json_decref(res);
}

static void export_levels(void **state)
{
	static const struct {
		const char *severity, *status, *threat, *analysis;
	} cases[] = {
	        {"critical", "new", "1", "0"},       {"high", "triage", "1", "0"},
	        {"medium", "eradication", "2", "1"}, {"low", "recovery", "3", "1"},
	        {"odd", "closed", "4", "2"},
	};
	misp_export_opts o = {"CERT", FX_NOW};
	char err[200];

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		json_t *inc = json_pack("{s:s, s:s, s:s}", "severity", cases[i].severity, "status",
		                        cases[i].status, "title", "line one\nline two");
		json_t *res, *ev;

		assert_int_equal(misp_export(inc, &o, &res, err, sizeof err), EXCHANGE_OK);
		ev = json_object_get(json_object_get(res, "document"), "Event");
		assert_string_equal(json_string_value(json_object_get(ev, "threat_level_id")),
		                    cases[i].threat);
		assert_string_equal(json_string_value(json_object_get(ev, "analysis")),
		                    cases[i].analysis);
		/* info has no new lines (the core format); the date falls back to now */
		assert_string_equal(json_string_value(json_object_get(ev, "info")),
		                    "line one line two");
		assert_string_equal(json_string_value(json_object_get(ev, "date")), "2026-12-01");
		assert_string_equal(
		        json_string_value(json_object_get(json_object_get(ev, "Orgc"), "name")),
		        "CERT");
		json_decref(res);
		json_decref(inc);
	}
}

static void round_trip_every_type(void **state)
{
	json_t *inc = fx_incident(), *res = export_fixture(), *back;
	char *text = json_dumps(json_object_get(res, "document"), 0);

	(void)state;
	back = import_text(text, NULL);
	fx_assert_json_equal(json_object_get(inc, "indicators"),
	                     json_object_get(back, "indicators"));
	assert_int_equal(json_integer_value(json_object_get(back, "skipped_total")), 0);
	free(text);
	json_decref(back);
	json_decref(res);
	json_decref(inc);
}

/* MISP -> vigil -> STIX -> vigil: the same indicators */
static void cross_round_trip(void **state)
{
	json_t *inc = fx_incident(), *res = export_fixture(), *back, *stix = NULL, *again = NULL;
	stix_export_opts so = {FX_ORG, FX_NOW};
	char *text = json_dumps(json_object_get(res, "document"), 0), err[200];

	(void)state;
	back = import_text(text, NULL);
	assert_int_equal(
	        stix_export(json_object_get(back, "indicators"), &so, &stix, err, sizeof err),
	        EXCHANGE_OK);
	assert_int_equal(
	        stix_import(json_object_get(stix, "document"), NULL, &again, err, sizeof err),
	        EXCHANGE_OK);
	fx_assert_json_equal(json_object_get(inc, "indicators"),
	                     json_object_get(again, "indicators"));
	free(text);
	json_decref(again);
	json_decref(stix);
	json_decref(back);
	json_decref(res);
	json_decref(inc);
}

#define ATTR(type, value) "{\"type\": \"" type "\", \"value\": \"" value "\", \"to_ids\": true}"

static void import_attribute_types(void **state)
{
	static const struct {
		const char *attr;
		const char *ok; /* "type value" or "" */
		const char *ok2;
		const char *why;
	} cases[] = {
	        {ATTR("md5", FX_MD5), "md5 " FX_MD5, NULL, NULL},
	        {ATTR("sha1", FX_SHA1), "sha1 " FX_SHA1, NULL, NULL},
	        {ATTR("sha256", "2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824"),
	         "sha256 " FX_SHA256, NULL, NULL},
	        {ATTR("filename|sha256", "BangLuong_T11.xlsm|" FX_SHA256), "sha256 " FX_SHA256,
	         NULL, "file name 'BangLuong_T11.xlsm' left out"},
	        {ATTR("filename|md5", "a.exe|" FX_MD5), "md5 " FX_MD5, NULL, "left out"},
	        {ATTR("filename|sha1", "a.exe|" FX_SHA1), "sha1 " FX_SHA1, NULL, "left out"},
	        {ATTR("domain", "Evil.Example"), "domain evil.example", NULL, NULL},
	        {ATTR("hostname", "mail.evil.example"), "domain mail.evil.example", NULL, NULL},
	        {ATTR("url", "https://evil.example/login"), "url https://evil.example/login", NULL,
	         NULL},
	        {ATTR("ip-dst", "198.51.100.1"), "ipv4 198.51.100.1", NULL, NULL},
	        {ATTR("ip-src", "2001:db8::1"), "ipv6 2001:db8::1", NULL, NULL},
	        {ATTR("ip-dst", "198.51.100.0/24"), "", NULL, "CIDR"},
	        {ATTR("ip-dst|port", "198.51.100.2|443"), "ipv4 198.51.100.2", NULL, "port 443"},
	        {ATTR("hostname|port", "c2.example|8080"), "domain c2.example", NULL, "port 8080"},
	        {ATTR("domain|ip", "c2.example|198.51.100.3"), "domain c2.example",
	         "ipv4 198.51.100.3", NULL},
	        {ATTR("email", "a@evil.example"), "email a@evil.example", NULL, NULL},
	        {ATTR("email-src", "Boss@Evil.Example"), "email boss@evil.example", NULL, NULL},
	        {ATTR("email-dst", "victim@bhxh.example"), "", NULL, "recipient"},
	        {ATTR("email-reply-to", "r@evil.example"), "", NULL, "Reply-To"},
	        {ATTR("email-subject", "Công văn khẩn"), "subject Công văn khẩn", NULL, NULL},
	        {ATTR("email-message-id", "<x@evil.example>"), "message_id <x@evil.example>", NULL,
	         NULL},
	        {ATTR("filename", "BangLuong_T11.xlsm"), "filename BangLuong_T11.xlsm", NULL, NULL},
	        {ATTR("email-attachment", "Luong.zip"), "filename Luong.zip", NULL, NULL},
	        {ATTR("filename-pattern", "invoice*.exe"), "filename invoice*.exe", NULL, NULL},
	        {ATTR("filename-pattern", "^invoice.*\\\\.exe$"), "", NULL, "regular expression"},
	        {ATTR("link", "https://blog.example/report"), "", NULL, "reference"},
	        {ATTR("mutex", "Global\\\\x"), "", NULL, "no vigil indicator type"},
	        {ATTR("filename|sha256", "no-bar"), "", NULL, "without '|'"},
	        {ATTR("sha256", "not-a-hash"), "", NULL, "not a SHA-256 hash"},
	        {"{\"type\": \"md5\", \"value\": \"" FX_MD5 "\", \"to_ids\": false}", "", NULL,
	         "to_ids is false"},
	        {"{\"type\": \"md5\", \"value\": \"" FX_MD5 "\", \"to_ids\": \"1\"}", "md5 " FX_MD5,
	         NULL, NULL},
	        {"{\"type\": \"md5\", \"value\": \"" FX_MD5 "\"}", "", NULL, "to_ids is false"},
	        {"{\"type\": \"md5\", \"value\": \"" FX_MD5
	         "\", \"to_ids\": true, \"deleted\": true}",
	         "", NULL, "deleted"},
	        {"{\"type\": \"md5\", \"value\": 5, \"to_ids\": true}", "", NULL, "string value"},
	        {"7", "", NULL, "not a JSON object"},
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *text = g_strdup_printf("{\"Event\": {\"info\": \"t\", \"Attribute\": [%s]}}",
		                             cases[i].attr);
		json_t *res = import_text(text, NULL), *inds = json_object_get(res, "indicators");
		GString *got = g_string_new(NULL);
		size_t k;
		json_t *e;

		json_array_foreach(inds, k, e)
		{
			g_string_append_printf(got, "%s%s %s", k ? "|" : "",
			                       json_string_value(json_object_get(e, "type")),
			                       json_string_value(json_object_get(e, "value")));
		}
		{
			char *want = cases[i].ok2 != NULL
			                     ? g_strdup_printf("%s|%s", cases[i].ok, cases[i].ok2)
			                     : g_strdup(cases[i].ok);

			if (strcmp(got->str, want) != 0)
				fprintf(stderr, "%s -> %s\n", cases[i].attr, got->str);
			assert_string_equal(got->str, want);
			g_free(want);
		}
		if (cases[i].why != NULL) {
			if (fx_skipped_with(res, cases[i].why) != 1)
				fprintf(stderr, "%s: no '%s'\n", cases[i].attr, cases[i].why);
			assert_int_equal(fx_skipped_with(res, cases[i].why), 1);
		} else {
			assert_int_equal(json_integer_value(json_object_get(res, "skipped_total")),
			                 0);
		}
		g_string_free(got, TRUE);
		g_free(text);
		json_decref(res);
	}
}

static void import_non_ids_on_request(void **state)
{
	misp_import_opts o = {NULL, NULL, true};
	json_t *res = import_text("{\"Event\": {\"Attribute\": ["
	                          "{\"type\": \"domain\", \"value\": \"ctx.example\", \"to_ids\": "
	                          "false}]}}",
	                          &o);

	(void)state;
	assert_int_equal(json_array_size(json_object_get(res, "indicators")), 1);
	json_decref(res);
}

static void import_objects(void **state)
{
	json_t *res = import_text(
	        "{\"Event\": {\"info\": \"objects\", \"Object\": ["
	        "{\"name\": \"file\", \"uuid\": \"o-1\", \"Attribute\": ["
	        "  {\"object_relation\": \"md5\", \"type\": \"md5\", \"value\": \"" FX_MD5
	        "\", \"to_ids\": true},"
	        "  {\"object_relation\": \"filename\", \"type\": \"filename\", \"value\": "
	        "\"BangLuong_T11.xlsm\", \"to_ids\": true}]},"
	        "{\"name\": \"file\", \"uuid\": \"o-2\", \"Attribute\": ["
	        "  {\"object_relation\": \"filename\", \"type\": \"filename\", \"value\": "
	        "\"alone.scr\", \"to_ids\": true},"
	        "  {\"object_relation\": \"sha256\", \"type\": \"sha256\", \"value\": \"" FX_SHA256
	        "\", \"to_ids\": false}]},"
	        "{\"name\": \"email\", \"uuid\": \"o-3\", \"Attribute\": ["
	        "  {\"object_relation\": \"from\", \"type\": \"email-src\", \"value\": "
	        "\"ketoan@bhxh-vn.example\", \"to_ids\": true},"
	        "  {\"object_relation\": \"subject\", \"type\": \"email-subject\", \"value\": "
	        "\"Bảng lương\", \"to_ids\": true},"
	        "  {\"object_relation\": \"to\", \"type\": \"email-dst\", \"value\": "
	        "\"a@bhxh.example\", \"to_ids\": true}]},"
	        "{\"name\": \"domain-ip\", \"uuid\": \"o-4\", \"Attribute\": ["
	        "  {\"object_relation\": \"domain\", \"type\": \"domain\", \"value\": "
	        "\"c2.example\", \"to_ids\": true},"
	        "  {\"object_relation\": \"ip\", \"type\": \"ip-dst\", \"value\": \"198.51.100.4\","
	        " \"to_ids\": true}]},"
	        "{\"name\": \"url\", \"uuid\": \"o-5\", \"Attribute\": ["
	        "  {\"object_relation\": \"url\", \"type\": \"url\", \"value\": "
	        "\"http://c2.example/gate.php\", \"to_ids\": true}]},"
	        "{\"name\": \"url\", \"uuid\": \"o-6\", \"deleted\": true, \"Attribute\": ["
	        "  {\"type\": \"url\", \"value\": \"http://gone.example/\", \"to_ids\": true}]},"
	        "{\"name\": \"empty\", \"uuid\": \"o-7\"},"
	        "5]}}",
	        NULL);
	json_t *inds = json_object_get(res, "indicators");

	(void)state;
	assert_int_equal(json_array_size(inds), 7);
	assert_non_null(fx_find(inds, "value", FX_MD5));
	assert_null(fx_find(inds, "value", "BangLuong_T11.xlsm"));
	assert_non_null(fx_find(inds, "value", "alone.scr")); /* its hash is not for detection */
	assert_non_null(fx_find(inds, "value", "ketoan@bhxh-vn.example"));
	assert_non_null(fx_find(inds, "value", "Bảng lương"));
	assert_non_null(fx_find(inds, "value", "c2.example"));
	assert_non_null(fx_find(inds, "value", "198.51.100.4"));
	assert_non_null(fx_find(inds, "value", "http://c2.example/gate.php"));
	assert_int_equal(fx_skipped_with(res, "a file name next to the file's hash"), 1);
	assert_int_equal(fx_skipped_with(res, "to_ids is false"), 1);
	assert_int_equal(fx_skipped_with(res, "recipient"), 1);
	assert_int_equal(fx_skipped_with(res, "deleted"), 1);
	assert_int_equal(fx_skipped_with(res, "without attributes"), 1);
	assert_int_equal(fx_skipped_with(res, "not a JSON object"), 1);
	assert_int_equal(json_integer_value(json_object_get(res, "skipped_total")), 6);
	assert_int_equal(json_integer_value(json_object_get(res, "objects")), 18);
	json_decref(res);
}

static void import_tlp_and_source(void **state)
{
	misp_import_opts o = {"TLP:GREEN", "feed", false};
	json_t *res = import_text(
	        "{\"response\": ["
	        "{\"Event\": {\"Orgc\": {\"name\": \"CIRCL\"}, \"Tag\": [{\"name\": \"tlp:white\"},"
	        " {\"name\": \"type:OSINT\"}], \"Attribute\": ["
	        "  {\"type\": \"domain\", \"value\": \"a.example\", \"to_ids\": true},"
	        "  {\"type\": \"domain\", \"value\": \"b.example\", \"to_ids\": true,"
	        "   \"Tag\": [{\"name\": \"TLP:RED\"}, {\"name\": \"vigil:source=\\\"a "
	        "\\\"quoted\\\" "
	        "feed\\\"\"}]}]}},"
	        "{\"Event\": {\"EventTag\": [{\"Tag\": {\"name\": \"tlp:amber+strict\"}}],"
	        " \"Attribute\": [{\"type\": \"domain\", \"value\": \"c.example\", \"to_ids\": "
	        "true,"
	        "  \"first_seen\": \"2026-11-27T08:15:00.123456+07:00\","
	        "  \"last_seen\": \"2026-12-27T00:00:00+00:00\"}]}},"
	        "{\"Event\": {\"Attribute\": [{\"type\": \"domain\", \"value\": \"d.example\","
	        " \"to_ids\": true, \"AttributeTag\": [{\"Tag\": {\"name\": \"tlp:clear\"}}]},"
	        " {\"type\": \"domain\", \"value\": \"e.example\", \"to_ids\": true}]}}"
	        "]}",
	        &o);
	json_t *inds = json_object_get(res, "indicators"), *x;

	(void)state;
	assert_int_equal(json_array_size(inds), 5);
	x = fx_find(inds, "value", "a.example");
	assert_string_equal(json_string_value(json_object_get(x, "tlp")), "TLP:CLEAR");
	assert_string_equal(json_string_value(json_object_get(x, "source")), "CIRCL");
	x = fx_find(inds, "value", "b.example");
	assert_string_equal(json_string_value(json_object_get(x, "tlp")), "TLP:RED");
	assert_string_equal(json_string_value(json_object_get(x, "source")), "a \"quoted\" feed");
	x = fx_find(inds, "value", "c.example");
	assert_string_equal(json_string_value(json_object_get(x, "tlp")), "TLP:AMBER+STRICT");
	assert_string_equal(json_string_value(json_object_get(x, "source")), "feed");
	assert_string_equal(json_string_value(json_object_get(x, "first_seen")),
	                    "2026-11-27T01:15:00.123Z");
	assert_string_equal(json_string_value(json_object_get(x, "valid_until")),
	                    "2026-12-27T00:00:00Z");
	x = fx_find(inds, "value", "d.example");
	assert_string_equal(json_string_value(json_object_get(x, "tlp")), "TLP:CLEAR");
	x = fx_find(inds, "value", "e.example");
	assert_string_equal(json_string_value(json_object_get(x, "tlp")), "TLP:GREEN");
	json_decref(res);

	/* an array of events, and a bare event */
	res = import_text("[{\"Event\": {\"Attribute\": [" ATTR("domain", "f.example") "]}}]",
	                  NULL);
	assert_int_equal(json_array_size(json_object_get(res, "indicators")), 1);
	json_decref(res);
	res = import_text("{\"info\": \"bare\", \"Attribute\": [" ATTR("domain", "g.example") "]}",
	                  NULL);
	assert_int_equal(json_array_size(json_object_get(res, "indicators")), 1);
	assert_string_equal(json_string_value(json_object_get(
	                            json_array_get(json_object_get(res, "indicators"), 0), "tlp")),
	                    "TLP:AMBER");
	assert_string_equal(
	        json_string_value(json_object_get(
	                json_array_get(json_object_get(res, "indicators"), 0), "source")),
	        "MISP");
	json_decref(res);
}

static void import_malformed(void **state)
{
	static const struct {
		const char *text;
		exchange_err want;
		const char *msg;
	} cases[] = {
	        {"<Event/>", EXCHANGE_EJSON, "line 1"},
	        {"{\"foo\": 1}", EXCHANGE_EFORMAT, "not a MISP event"},
	        {"\"Event\"", EXCHANGE_EJSON, NULL},
	        {"{\"Event\": {}, \"Event\": {}}", EXCHANGE_EJSON, "duplicate"},
	};
	GString *g = g_string_new("{\"response\": [");
	json_t *res = NULL;
	char err[300];

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		err[0] = 0;
		assert_int_equal(misp_import_buffer(cases[i].text, strlen(cases[i].text), NULL,
		                                    &res, err, sizeof err),
		                 cases[i].want);
		assert_null(res);
		if (cases[i].msg != NULL)
			assert_non_null(strstr(err, cases[i].msg));
	}
	/* shapes that are events, but odd inside: listed, never a crash */
	res = import_text(
	        "{\"Event\": {\"Attribute\": \"x\", \"Object\": 5, \"Tag\": \"tlp:red\"}}", NULL);
	assert_int_equal(json_array_size(json_object_get(res, "indicators")), 0);
	assert_int_equal(fx_skipped_with(res, "without attributes or objects"), 1);
	json_decref(res);
	res = import_text("{\"response\": [5, {\"Event\": 7}]}", NULL);
	assert_int_equal(fx_skipped_with(res, "not a JSON object"), 2);
	json_decref(res);
	/* too many events, too many attributes */
	for (int i = 0; i < 1001; i++)
		g_string_append(g, i ? ",{}" : "{}");
	g_string_append(g, "]}");
	assert_int_equal(misp_import_buffer(g->str, g->len, NULL, &res, err, sizeof err),
	                 EXCHANGE_ELIMIT);
	assert_non_null(strstr(err, "events"));
	g_string_assign(g, "{\"Event\": {\"Attribute\": [");
	for (int i = 0; i < 20001; i++)
		g_string_append(g, i ? ",{}" : "{}");
	g_string_append(g, "]}}");
	assert_int_equal(misp_import_buffer(g->str, g->len, NULL, &res, err, sizeof err),
	                 EXCHANGE_ELIMIT);
	assert_non_null(strstr(err, "attributes"));
	g_string_free(g, TRUE);
}

static void export_odd(void **state)
{
	json_t *inds = json_loads("[{\"type\": \"ipv4\", \"value\": \"10.0.0.1\"},"
	                          " {\"type\": \"ipv4\", \"value\": \"10.0.0.1\"},"
	                          " {\"type\": \"nope\", \"value\": \"x\"}]",
	                          0, NULL);
	misp_export_opts o = {NULL, FX_NOW};
	json_t *res, *ev;
	char err[200];

	(void)state;
	assert_int_equal(misp_export(inds, &o, &res, err, sizeof err), EXCHANGE_OK);
	ev = json_object_get(json_object_get(res, "document"), "Event");
	assert_int_equal(json_array_size(json_object_get(ev, "Attribute")), 1);
	assert_string_equal(json_string_value(json_object_get(ev, "info")), "vigil indicators");
	assert_int_equal(json_array_size(json_object_get(res, "skipped")), 2);
	json_decref(res);
	json_decref(inds);
	inds = json_pack("{s:s}", "tlp", "TLP:UNKNOWN");
	assert_int_equal(misp_export(inds, &o, &res, err, sizeof err), EXCHANGE_EFORMAT);
	json_decref(inds);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(export_every_type),
	        cmocka_unit_test(export_levels),
	        cmocka_unit_test(round_trip_every_type),
	        cmocka_unit_test(cross_round_trip),
	        cmocka_unit_test(import_attribute_types),
	        cmocka_unit_test(import_non_ids_on_request),
	        cmocka_unit_test(import_objects),
	        cmocka_unit_test(import_tlp_and_source),
	        cmocka_unit_test(import_malformed),
	        cmocka_unit_test(export_odd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
