/*
 * test_stix.c - STIX 2.1 export and import (src/server/stix.c):
 *   - an incident with one indicator of every type exports to a bundle with
 *     the exact patterns, TLP 2.0 markings, identity, report and ids, and
 *     imports back to the same indicators;
 *   - pattern strings escape quotes and backslashes, both ways;
 *   - the patterning language: OR, AND with and without hashes, observation
 *     operators, qualifiers, IN, LIKE, MATCHES, ISSUBSET, NOT, every object
 *     path vigil maps, and what it does not (each with its reason);
 *   - malformed input (not JSON, wrong types, odd and huge patterns, deep
 *     nesting, too many objects) gives a clear error or a listed skip and
 *     never a crash;
 *   - every file in ../shared/testdata/stix imports with the counts written
 *     down below (docs/exchange.md lists them too).
 */
#include <jansson.h>

#include "exchange_fixture.h"
#include "server/stix.h"

static json_t *import_text(const char *text, const stix_import_opts *o)
{
	json_t *res = NULL;
	char err[300] = "";
	exchange_err e = stix_import_buffer(text, strlen(text), o, &res, err, sizeof err);

	if (e != EXCHANGE_OK)
		fprintf(stderr, "import: %s: %s\n", exchange_strerror(e), err);
	assert_int_equal(e, EXCHANGE_OK);
	return res;
}

static json_t *export_fixture(gint64 now)
{
	json_t *inc = fx_incident(), *res = NULL;
	stix_export_opts o = {NULL, now};
	char err[300] = "";

	assert_int_equal(stix_export(inc, &o, &res, err, sizeof err), EXCHANGE_OK);
	json_decref(inc);
	return res;
}

static json_t *objects_of_type(const json_t *bundle, const char *type)
{
	json_t *out = json_array();
	size_t i;
	json_t *e;

	json_array_foreach(json_object_get(bundle, "objects"), i, e)
	{
		if (strcmp(json_string_value(json_object_get(e, "type")), type) == 0)
			json_array_append(out, e);
	}
	return out;
}

static bool is_stix_time(const char *s)
{
	return s != NULL && strlen(s) == 24 && s[4] == '-' && s[10] == 'T' && s[19] == '.' &&
	       s[23] == 'Z';
}

/* ---- export ---- */

static void export_every_type(void **state)
{
	static const struct {
		const char *value, *pattern, *marking;
	} want[] = {
	        {FX_SHA256, "[file:hashes.'SHA-256' = '" FX_SHA256 "']",
	         "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"},
	        {FX_SHA1, "[file:hashes.'SHA-1' = '" FX_SHA1 "']",
	         "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"},
	        {FX_MD5, "[file:hashes.MD5 = '" FX_MD5 "']",
	         "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"},
	        {"ketoan@bhxh-vn.example", "[email-addr:value = 'ketoan@bhxh-vn.example']",
	         "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"},
	        {"bhxh-vn.example", "[domain-name:value = 'bhxh-vn.example']",
	         "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"},
	        {"http://203.0.113.7/update/payload.php?id=1&x=2",
	         "[url:value = 'http://203.0.113.7/update/payload.php?id=1&x=2']", NULL},
	        {"http://203.0.113.7/update*",
	         "[url:value MATCHES '^http://203\\\\.0\\\\.113\\\\.7/update']", NULL},
	        {"203.0.113.7", "[ipv4-addr:value = '203.0.113.7']", NULL},
	        {"2001:db8::7", "[ipv6-addr:value = '2001:db8::7']", NULL},
	        {"BangLuong_T11.xlsm", "[file:name = 'BangLuong_T11.xlsm']", NULL},
	        {"invoice*.exe", "[file:name MATCHES '^invoice.*\\\\.exe$']", NULL},
	        {FX_SUBJECT,
	         "[email-message:subject = 'Công văn khẩn: bảng lương tháng 11 (O\\'Brien \\\\ "
	         "test)']",
	         NULL},
	        {"<20261127081500.1234@bhxh-vn.example>",
	         "[email-message:message_id = '<20261127081500.1234@bhxh-vn.example>']", NULL},
	};
	json_t *res = export_fixture(FX_NOW);
	json_t *bundle = json_object_get(res, "document");
	json_t *inds = objects_of_type(bundle, "indicator");
	json_t *ids = objects_of_type(bundle, "identity");
	json_t *marks = objects_of_type(bundle, "marking-definition");
	json_t *reports = objects_of_type(bundle, "report");
	json_t *report, *identity;
	const char *identity_id;
	size_t i;
	json_t *e;

	(void)state;
	assert_string_equal(json_string_value(json_object_get(bundle, "type")), "bundle");
	assert_true(g_str_has_prefix(json_string_value(json_object_get(bundle, "id")), "bundle--"));
	assert_int_equal(json_array_size(json_object_get(res, "skipped")), 0);

	/* the agency, with a name-based id */
	assert_int_equal(json_array_size(ids), 1);
	identity = json_array_get(ids, 0);
	identity_id = json_string_value(json_object_get(identity, "id"));
	assert_string_equal(identity_id, "identity--56c97058-e86b-5016-acc1-f1350a99ac04");
	assert_string_equal(json_string_value(json_object_get(identity, "name")), FX_ORG);
	assert_string_equal(json_string_value(json_object_get(identity, "identity_class")),
	                    "organization");

	assert_int_equal(json_array_size(inds), FX_COUNT);
	for (size_t k = 0; k < G_N_ELEMENTS(want); k++) {
		json_t *ind = fx_find(inds, "pattern", want[k].pattern);

		if (ind == NULL)
			fprintf(stderr, "no indicator with pattern %s\n", want[k].pattern);
		assert_non_null(ind);
		assert_string_equal(json_string_value(json_object_get(ind, "spec_version")), "2.1");
		assert_string_equal(json_string_value(json_object_get(ind, "pattern_type")),
		                    "stix");
		assert_string_equal(json_string_value(json_object_get(ind, "pattern_version")),
		                    "2.1");
		assert_string_equal(json_string_value(json_array_get(
		                            json_object_get(ind, "indicator_types"), 0)),
		                    "malicious-activity");
		assert_string_equal(json_string_value(json_object_get(ind, "created_by_ref")),
		                    identity_id);
		assert_true(is_stix_time(json_string_value(json_object_get(ind, "valid_from"))));
		assert_true(is_stix_time(json_string_value(json_object_get(ind, "created"))));
		assert_string_equal(json_string_value(json_object_get(ind, "modified")),
		                    "2026-12-01T00:00:00.000Z");
		assert_int_equal(json_array_size(json_object_get(ind, "object_marking_refs")), 1);
		if (want[k].marking != NULL)
			assert_string_equal(
			        json_string_value(json_array_get(
			                json_object_get(ind, "object_marking_refs"), 0)),
			        want[k].marking);
	}
	/* the SHA-256 one in detail: id, times, name, validity */
	e = fx_find(inds, "pattern", want[0].pattern);
	assert_string_equal(json_string_value(json_object_get(e, "id")),
	                    "indicator--a4b2c529-0c7b-5e28-a61d-7b506b9e99a8");
	assert_string_equal(json_string_value(json_object_get(e, "valid_from")),
	                    "2026-11-27T08:15:00.000Z");
	assert_string_equal(json_string_value(json_object_get(e, "created")),
	                    "2026-11-27T08:15:00.000Z");
	assert_string_equal(json_string_value(json_object_get(e, "valid_until")),
	                    "2027-02-27T00:00:00.000Z");
	assert_string_equal(json_string_value(json_object_get(e, "name")),
	                    "BangLuong_T11.xlsm, the dropper");
	assert_null(json_object_get(e, "x_vigil_source")); /* the identity is the source */
	e = fx_find(inds, "pattern", want[1].pattern);
	assert_string_equal(json_string_value(json_object_get(e, "x_vigil_source")),
	                    "CIRCL OSINT feed");
	assert_string_equal(json_string_value(json_object_get(e, "valid_from")),
	                    "2026-11-27T08:15:00.250Z");
	e = fx_find(inds, "pattern", want[2].pattern);
	assert_null(json_object_get(e, "name")); /* no description: no name either */
	assert_null(json_object_get(e, "description"));

	/* the five TLP 2.0 markings, as the OASIS extension defines them */
	assert_int_equal(json_array_size(marks), 5);
	json_array_foreach(marks, i, e)
	{
		json_t *ext = json_object_get(
		        json_object_get(e, "extensions"),
		        "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d");

		assert_non_null(ext);
		assert_string_equal(json_string_value(json_object_get(ext, "extension_type")),
		                    "property-extension");
		assert_string_equal(json_string_value(json_object_get(e, "created")),
		                    "2022-10-01T00:00:00.000Z");
	}
	e = fx_find(marks, "id", "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003");
	assert_non_null(e);
	assert_string_equal(json_string_value(json_object_get(e, "name")), "TLP:AMBER+STRICT");

	/* the report: the incident, referring to every indicator */
	assert_int_equal(json_array_size(reports), 1);
	report = json_array_get(reports, 0);
	assert_string_equal(json_string_value(json_object_get(report, "id")),
	                    "report--e9fc21ba-56f5-5b00-b861-4b9e742a6ea5");
	assert_string_equal(json_string_value(json_object_get(report, "name")),
	                    "Chiến dịch \"bảng lương\" tháng 11");
	assert_string_equal(json_string_value(json_object_get(report, "description")),
	                    "Thư giả mạo phòng Tài chính gửi tệp BangLuong_T11.xlsm");
	assert_string_equal(json_string_value(json_object_get(report, "published")),
	                    "2026-12-01T00:00:00.000Z");
	assert_string_equal(json_string_value(json_object_get(report, "created")),
	                    "2026-11-27T08:15:00.000Z");
	assert_int_equal(json_array_size(json_object_get(report, "object_refs")), FX_COUNT);
	json_array_foreach(json_object_get(report, "object_refs"), i, e)
	{
		assert_non_null(fx_find(inds, "id", json_string_value(e)));
	}
	assert_string_equal(
	        json_string_value(json_object_get(
	                json_array_get(json_object_get(report, "external_references"), 0),
	                "external_id")),
	        "INC-2026-0001");
	assert_string_equal(json_string_value(json_array_get(
	                            json_object_get(report, "object_marking_refs"), 0)),
	                    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421");
	json_decref(inds);
	json_decref(ids);
	json_decref(marks);
	json_decref(reports);
	json_decref(res);
}

/* the same indicators later: the same ids (new versions), a new bundle */
static void export_ids_are_deterministic(void **state)
{
	json_t *a = export_fixture(FX_NOW), *b = export_fixture(FX_NOW + 86400000);
	json_t *ia = objects_of_type(json_object_get(a, "document"), "indicator");
	json_t *ib = objects_of_type(json_object_get(b, "document"), "indicator");

	(void)state;
	for (size_t i = 0; i < FX_COUNT; i++) {
		json_t *x = json_array_get(ia, i), *y = json_array_get(ib, i);

		assert_string_equal(json_string_value(json_object_get(x, "id")),
		                    json_string_value(json_object_get(y, "id")));
		assert_string_not_equal(json_string_value(json_object_get(x, "modified")),
		                        json_string_value(json_object_get(y, "modified")));
	}
	assert_string_not_equal(
	        json_string_value(json_object_get(json_object_get(a, "document"), "id")),
	        json_string_value(json_object_get(json_object_get(b, "document"), "id")));
	json_decref(ia);
	json_decref(ib);
	json_decref(a);
	json_decref(b);
}

/* export -> import gives the input back, every type and field */
static void round_trip_every_type(void **state)
{
	json_t *inc = fx_incident();
	json_t *res = export_fixture(FX_NOW), *back;
	char *text = json_dumps(json_object_get(res, "document"), 0);

	(void)state;
	back = import_text(text, NULL);
	fx_assert_json_equal(json_object_get(inc, "indicators"),
	                     json_object_get(back, "indicators"));
	/* identity, 5 markings and the report are context: listed, not lost */
	assert_int_equal(json_integer_value(json_object_get(back, "skipped_total")), 7);
	assert_int_equal(fx_skipped_with(back, "read as the TLP"), 5);
	assert_int_equal(fx_skipped_with(back, "read as the source"), 1);
	free(text);
	json_decref(back);
	json_decref(res);
	json_decref(inc);
}

static void export_odd_indicators(void **state)
{
	json_t *inc = json_loads(
	        "{\"tlp\": \"TLP:GREEN\", \"indicators\": ["
	        "{\"type\": \"sha256\", \"value\": \"abc\"},"
	        "{\"type\": \"mutex\", \"value\": \"x\"},"
	        "\"not an object\","
	        "{\"type\": \"domain\", \"value\": \"Evil.Example.\", \"first_seen\": "
	        "\"2026-11-27T08:15:00+07:00\", \"valid_until\": \"2026-11-01T00:00:00Z\"},"
	        "{\"type\": \"domain\", \"value\": \"evil.example\"},"
	        "{\"type\": \"ipv4\", \"value\": \"10.0.0.1\", \"tlp\": \"TLP:PURPLE\"},"
	        "{\"type\": \"url\", \"value\": \"http://a.example/x\", \"first_seen\": "
	        "\"yesterday\"},"
	        "{\"type\": \"subject\", \"value\": \"line\\nbreak\"}"
	        "]}",
	        0, NULL);
	stix_export_opts o = {"CERT", FX_NOW};
	json_t *res = NULL, *inds, *ind;
	char err[200];

	(void)state;
	assert_int_equal(stix_export(inc, &o, &res, err, sizeof err), EXCHANGE_OK);
	inds = objects_of_type(json_object_get(res, "document"), "indicator");
	assert_int_equal(json_array_size(inds), 1);
	ind = json_array_get(inds, 0);
	/* normalised, its zone converted, unmarked -> the incident's TLP */
	assert_string_equal(json_string_value(json_object_get(ind, "pattern")),
	                    "[domain-name:value = 'evil.example']");
	assert_string_equal(json_string_value(json_object_get(ind, "valid_from")),
	                    "2026-11-27T01:15:00.000Z");
	assert_null(json_object_get(ind, "valid_until"));
	assert_string_equal(
	        json_string_value(json_array_get(json_object_get(ind, "object_marking_refs"), 0)),
	        "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb");
	assert_int_equal(fx_skipped_with(res, "not a SHA-256 hash"), 1);
	assert_int_equal(fx_skipped_with(res, "not one of vigil's indicator types"), 1);
	assert_int_equal(fx_skipped_with(res, "not a JSON object"), 1);
	assert_int_equal(fx_skipped_with(res, "valid_until is not after first_seen"), 1);
	assert_int_equal(fx_skipped_with(res, "the same indicator twice"), 1);
	assert_int_equal(fx_skipped_with(res, "tlp is not"), 1);
	assert_int_equal(fx_skipped_with(res, "first_seen is not an RFC 3339 time"), 1);
	assert_int_equal(fx_skipped_with(res, "control characters"), 1);
	json_decref(inds);
	json_decref(res);

	/* a bad incident: clear errors */
	json_object_set_new(inc, "tlp", json_string("TLP:BLUE"));
	assert_int_equal(stix_export(inc, &o, &res, err, sizeof err), EXCHANGE_EFORMAT);
	assert_non_null(strstr(err, "tlp"));
	json_object_set_new(inc, "tlp", json_string("TLP:RED"));
	json_object_set_new(inc, "indicators", json_string("x"));
	assert_int_equal(stix_export(inc, &o, &res, err, sizeof err), EXCHANGE_EFORMAT);
	json_decref(inc);
	inc = json_string("x");
	assert_int_equal(stix_export(inc, &o, &res, err, sizeof err), EXCHANGE_EFORMAT);
	json_decref(inc);

	/* an empty incident still makes a valid report (object_refs is never empty) */
	inc = json_array();
	assert_int_equal(stix_export(inc, &o, &res, err, sizeof err), EXCHANGE_OK);
	inds = objects_of_type(json_object_get(res, "document"), "report");
	assert_int_equal(json_array_size(json_object_get(json_array_get(inds, 0), "object_refs")),
	                 1);
	json_decref(inds);
	json_decref(res);
	json_decref(inc);
}

/* ---- patterns ---- */

struct collected {
	GString *ok;  /* "type value\n" ... */
	GString *bad; /* "reason\n" ... */
	int nok, nbad;
};

static void cb_ok(void *arg, const char *type, const char *value)
{
	struct collected *c = arg;

	g_string_append_printf(c->ok, "%s %s\n", type, value);
	c->nok++;
}

static void cb_bad(void *arg, const char *reason)
{
	struct collected *c = arg;

	g_string_append_printf(c->bad, "%s\n", reason);
	c->nbad++;
}

/* parses p; returns false on a syntax error */
static bool parse(const char *p, struct collected *c, char *err, size_t errlen)
{
	stix_pattern_cb cb = {cb_ok, cb_bad, c};

	c->ok = g_string_new(NULL);
	c->bad = g_string_new(NULL);
	c->nok = c->nbad = 0;
	return stix_pattern_parse(p, strlen(p), &cb, err, errlen);
}

static void collected_free(struct collected *c)
{
	g_string_free(c->ok, TRUE);
	g_string_free(c->bad, TRUE);
}

static void pattern_escaping(void **state)
{
	static const struct {
		const char *type, *value, *pattern;
	} cases[] = {
	        {"subject", "it's", "[email-message:subject = 'it\\'s']"},
	        {"subject", "a\\b", "[email-message:subject = 'a\\\\b']"},
	        {"subject", "\\'", "[email-message:subject = '\\\\\\'']"},
	        {"subject", "''", "[email-message:subject = '\\'\\'']"},
	        {"subject", "ends in \\", "[email-message:subject = 'ends in \\\\']"},
	        {"filename", "o'neil (1).exe", "[file:name = 'o\\'neil (1).exe']"},
	        {"filename", "a[1]?.d$c*", "[file:name MATCHES '^a\\\\[1\\\\].\\\\.d\\\\$c.*$']"},
	        {"url", "http://x.example/a'b*",
	         "[url:value MATCHES '^http://x\\\\.example/a\\'b']"},
	        {"url", "http://x.example/(a)+b?c=d*",
	         "[url:value MATCHES '^http://x\\\\.example/\\\\(a\\\\)\\\\+b\\\\?c=d']"},
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *p = stix_pattern_for(cases[i].type, cases[i].value);
		struct collected c;
		char err[200], *want;

		assert_string_equal(p, cases[i].pattern);
		/* and back */
		assert_true(parse(p, &c, err, sizeof err));
		want = g_strdup_printf("%s %s\n", cases[i].type, cases[i].value);
		assert_string_equal(c.ok->str, want);
		assert_int_equal(c.nbad, 0);
		g_free(want);
		g_free(p);
		collected_free(&c);
	}
}

/* values as long as vigil takes them still fit a pattern, escaped */
static void long_values_round_trip(void **state)
{
	GString *url = g_string_new("http://a.example/"), *name = g_string_new(NULL);
	json_t *inds = json_array(), *res = NULL, *back = NULL;
	stix_export_opts o = {NULL, FX_NOW};
	char err[200];

	(void)state;
	while (url->len < EXCHANGE_MAX_VALUE - 1)
		g_string_append_c(url, '.');
	g_string_append_c(url, '*');
	while (name->len < EXCHANGE_MAX_VALUE - 1)
		g_string_append(name, name->len % 2 ? "(" : "'");
	g_string_append_c(name, '?');
	json_array_append_new(inds, json_pack("{s:s, s:s}", "type", "url", "value", url->str));
	json_array_append_new(inds,
	                      json_pack("{s:s, s:s}", "type", "filename", "value", name->str));
	assert_int_equal(stix_export(inds, &o, &res, err, sizeof err), EXCHANGE_OK);
	assert_int_equal(json_array_size(json_object_get(res, "skipped")), 0);
	assert_int_equal(
	        stix_import(json_object_get(res, "document"), NULL, &back, err, sizeof err),
	        EXCHANGE_OK);
	assert_int_equal(json_array_size(json_object_get(back, "indicators")), 2);
	assert_string_equal(
	        json_string_value(json_object_get(
	                json_array_get(json_object_get(back, "indicators"), 0), "value")),
	        url->str);
	assert_string_equal(
	        json_string_value(json_object_get(
	                json_array_get(json_object_get(back, "indicators"), 1), "value")),
	        name->str);
	json_decref(back);
	json_decref(res);
	json_decref(inds);
	g_string_free(url, TRUE);
	g_string_free(name, TRUE);
}

static void pattern_language(void **state)
{
	static const struct {
		const char *pattern;
		const char *ok;  /* "type value\n"... */
		int nbad;        /* problems reported */
		const char *why; /* in the problems, when nbad > 0 */
	} cases[] = {
	        /* comparison OR: every side */
	        {"[domain-name:value = 'a.example' OR ipv4-addr:value = '192.0.2.1']",
	         "domain a.example\nipv4 192.0.2.1\n", 0, NULL},
	        /* observation OR, upper-case hashes, == */
	        {"[file:hashes.'SHA-256' == '" FX_SHA256 "'] OR [url:value = 'http://b.example/x']",
	         "sha256 " FX_SHA256 "\nurl http://b.example/x\n", 0, NULL},
	        /* hash names: quoted, bare, lower case, without dashes */
	        {"[file:hashes.md5 = '" FX_MD5 "' OR file:hashes.SHA1 = '" FX_SHA1
	         "' OR file:hashes.'sha-1' = '" FX_SHA1 "']",
	         "md5 " FX_MD5 "\nsha1 " FX_SHA1 "\nsha1 " FX_SHA1 "\n", 0, NULL},
	        {"[artifact:hashes.'SHA-256' = '" FX_SHA256 "']", "sha256 " FX_SHA256 "\n", 0,
	         NULL},
	        {"[email-message:body_multipart[0].body_raw_ref.hashes.MD5 = '" FX_MD5 "']",
	         "md5 " FX_MD5 "\n", 0, NULL},
	        /* AND with a hash: the hash, the rest listed */
	        {"[file:hashes.MD5 = '" FX_MD5 "' AND file:name = 'a.exe']", "md5 " FX_MD5 "\n", 1,
	         "the hash identifies the file"},
	        /* AND without a hash: nothing taken */
	        {"[email-message:subject = 'Lương' AND email-message:from_ref.value = "
	         "'a@b.example']",
	         "", 1, "one part alone would match more"},
	        /* FOLLOWEDBY of an address and a hash: the hash */
	        {"[ipv4-addr:value = '192.0.2.1'] FOLLOWEDBY [file:hashes.'SHA-1' = '" FX_SHA1 "']",
	         "sha1 " FX_SHA1 "\n", 1, "joined by FOLLOWEDBY"},
	        /* parentheses, both levels */
	        {"([domain-name:value = 'a.example'] OR ([url:value = 'http://c.example/']))",
	         "domain a.example\nurl http://c.example/\n", 0, NULL},
	        {"[(domain-name:value = 'a.example' OR domain-name:value = 'b.example')]",
	         "domain a.example\ndomain b.example\n", 0, NULL},
	        /* qualifiers: the values, and a note */
	        {"[domain-name:value = 'a.example'] WITHIN 300 SECONDS", "domain a.example\n", 1,
	         "WITHIN 300 SECONDS ignored"},
	        {"[domain-name:value = 'a.example'] REPEATS 5 TIMES", "domain a.example\n", 1,
	         "REPEATS 5 TIMES"},
	        {"[domain-name:value = 'a.example'] START t'2026-01-01T00:00:00Z' STOP "
	         "t'2026-02-01T00:00:00Z'",
	         "domain a.example\n", 1, "START"},
	        /* IN */
	        {"[domain-name:value IN ('a.example', 'B.Example', 'bad name')]",
	         "domain a.example\ndomain b.example\n", 1, "white space"},
	        /* LIKE */
	        {"[file:name LIKE 'inv%.exe']", "filename inv*.exe\n", 0, NULL},
	        {"[file:name LIKE 'doc_.pdf']", "filename doc?.pdf\n", 0, NULL},
	        {"[url:value LIKE 'http://x.example/%']", "url http://x.example/*\n", 0, NULL},
	        {"[domain-name:value LIKE '%.evil.example']", "domain evil.example\n", 0, NULL},
	        {"[email-message:subject LIKE '%bảng lương%']", "subject bảng lương\n", 0, NULL},
	        {"[email-message:subject LIKE 'a%b']", "", 1, "wildcards inside a subject"},
	        /* MATCHES: what globs can say */
	        {"[file:name MATCHES '^Final Report.+\\\\.exe$']", "filename Final Report?*.exe\n",
	         0, NULL},
	        {"[file:name MATCHES '(?i)^invoice.*\\\\.pdf\\\\.exe$']",
	         "filename invoice*.pdf.exe\n", 0, NULL},
	        {"[file:name MATCHES 'update\\\\.exe$']", "filename *update.exe\n", 0, NULL},
	        {"[url:value MATCHES '^https://login\\\\.example/']",
	         "url https://login.example/*\n", 0, NULL},
	        {"[domain-name:value MATCHES '\\\\.evil\\\\.example$']", "domain evil.example\n", 0,
	         NULL},
	        {"[email-message:subject MATCHES 'Công văn']", "subject Công văn\n", 0, NULL},
	        {"[file:name MATCHES '^a\\\\.(exe|scr)$']", "", 1, "groups, alternatives"},
	        {"[email-message:subject MATCHES '^[IMPORTANT] Please Review Before']", "", 1,
	         "character sets"},
	        {"[file:name MATCHES '^\\\\d+\\\\.exe$']", "", 1, "escape sequence"},
	        {"[url:value MATCHES 'evil']", "", 1, "anchored at the start"},
	        /* ISSUBSET: single addresses only */
	        {"[ipv4-addr:value ISSUBSET '198.51.100.7/32']", "ipv4 198.51.100.7\n", 0, NULL},
	        {"[ipv4-addr:value ISSUBSET '198.51.100.0/24']", "", 1, "CIDR"},
	        /* what cannot be said */
	        {"[file:name > 'a']", "", 1, "only =, IN, LIKE"},
	        {"[file:name NOT = 'a.exe']", "", 1, "NOT ="},
	        {"[domain-name:value != 'a.example']", "", 1, "!="},
	        {"[EXISTS file:name]", "", 1, "presence of a property"},
	        {"[file:hashes.'SHA-512' = 'ab']", "", 1, "hash algorithm SHA-512"},
	        {"[email-message:to_refs[*].value = 'victim@bhxh.example']", "", 1, "recipient"},
	        {"[x509-certificate:issuer = 'CN=WEBMAIL']", "", 1, "no vigil indicator type"},
	        {"[file:size = 12]", "", 1, "no vigil indicator type"},
	        {"[email-addr:value = 12]", "", 1, "compared with a number"},
	        {"[file:name = h'4142']", "", 1, "compared with a hex value"},
	        /* the rest of the mapped paths */
	        {"[network-traffic:dst_ref.value = '203.0.113.5']", "ipv4 203.0.113.5\n", 0, NULL},
	        {"[network-traffic:dst_ref.value = 'c2.example']", "domain c2.example\n", 0, NULL},
	        {"[ipv6-addr:value = '2001:DB8:0::0:1']", "ipv6 2001:db8::1\n", 0, NULL},
	        {"[email-message:from_ref.value = 'Boss@Evil.Example']",
	         "email boss@evil.example\n", 0, NULL},
	        {"[email-message:sender_ref.value = 'x@y.example']", "email x@y.example\n", 0,
	         NULL},
	        {"[email-message:message_id = '<a@b>']", "message_id <a@b>\n", 0, NULL},
	        {"[file:name = 'C:\\\\Users\\\\x.exe']", "", 1, "a path"},
	        {"[url:value = 'www.example/x']", "", 1, "scheme"},
	        /* white space and keywords need their spaces */
	        {"  [ file:name='a.exe' ]  ", "filename a.exe\n", 0, NULL},
	        {"[domain-name:value='a.example']OR[domain-name:value='b.example']",
	         "domain a.example\ndomain b.example\n", 0, NULL},
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct collected c;
		char err[200] = "";

		bool ok = parse(cases[i].pattern, &c, err, sizeof err);

		if (!ok)
			fprintf(stderr, "%s: %s\n", cases[i].pattern, err);
		assert_true(ok);
		if (strcmp(c.ok->str, cases[i].ok) != 0 || c.nbad != cases[i].nbad)
			fprintf(stderr, "%s\n ok: %s bad: %s", cases[i].pattern, c.ok->str,
			        c.bad->str);
		assert_string_equal(c.ok->str, cases[i].ok);
		assert_int_equal(c.nbad, cases[i].nbad);
		if (cases[i].why != NULL)
			assert_non_null(strstr(c.bad->str, cases[i].why));
		collected_free(&c);
	}
}

static void pattern_syntax_errors(void **state)
{
	static const char *const bad[] = {
	        "",
	        "[",
	        "[]",
	        "[file:name = 'a'",
	        "[file:name = 'a']]",
	        "[file:name 'a']",
	        "file:name = 'a'",
	        "[file:name = 'unterminated]",
	        "[file:name = 'a'] XOR [file:name = 'b']",
	        "[file:name = 'a'] AND",
	        "[:name = 'a']",
	        "[file: = 'a']",
	        "[file:hashes.[x] = 'a']",
	        "[file:name IN 'a']",
	        "[file:name IN ('a',)]",
	        "[file:name = 'a'] WITHIN SECONDS",
	        "[file:name = 'a'] START t'x' STOP",
	        "[file:name = ]",
	        "[file:name = 'a' or file:name = 'b']", /* keywords are upper case */
	        "[file:name = 'a'] FOLLOWEDBY",
	};
	char err[200];

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		struct collected c;

		bool ok;

		err[0] = 0;
		ok = parse(bad[i], &c, err, sizeof err);
		if (ok)
			fprintf(stderr, "accepted: %s\n", bad[i]);
		assert_false(ok);
		assert_true(g_str_has_prefix(err, "pattern, offset "));
		assert_int_equal(c.nok + c.nbad, 0);
		collected_free(&c);
	}
}

static void pattern_limits(void **state)
{
	GString *g = g_string_new(NULL);
	struct collected c;
	char err[200];

	(void)state;
	/* nesting: 16 levels are fine, 17 are not, 100000 do not overflow the stack */
	for (int depth = 1; depth <= 17; depth++) {
		g_string_truncate(g, 0);
		for (int i = 1; i < depth; i++)
			g_string_append_c(g, '(');
		g_string_append(g, "[domain-name:value = 'a.example']");
		for (int i = 1; i < depth; i++)
			g_string_append_c(g, ')');
		assert_int_equal(parse(g->str, &c, err, sizeof err), depth <= 16);
		if (depth > 16)
			assert_non_null(strstr(err, "nested too deeply"));
		collected_free(&c);
	}
	g_string_truncate(g, 0);
	for (int i = 0; i < 100000; i++)
		g_string_append_c(g, '(');
	{
		stix_pattern_cb cb = {cb_ok, cb_bad, &c};

		c.ok = g_string_new(NULL);
		c.bad = g_string_new(NULL);
		/* over the length limit first */
		assert_false(stix_pattern_parse(g->str, g->len, &cb, err, sizeof err));
		assert_non_null(strstr(err, "the limit is 16384"));
		assert_false(stix_pattern_parse(g->str, 16000, &cb, err, sizeof err));
		assert_non_null(strstr(err, "nested too deeply"));
		/* a NUL inside */
		assert_false(stix_pattern_parse("[file:name = 'a\0b']", 19, &cb, err, sizeof err));
		assert_non_null(strstr(err, "NUL"));
		collected_free(&c);
	}
	/* comparisons (set members count): 256 are fine, 257 are not */
	for (int n = 256; n <= 257; n++) {
		g_string_assign(g, "[");
		for (int set = 0; set < 4; set++) {
			g_string_append_printf(g, "%sipv4-addr:value IN (", set ? " OR " : "");
			for (int i = 0; i < 64; i++)
				g_string_append_printf(g, "%s'10.0.%d.%d'", i ? "," : "", set, i);
			g_string_append_c(g, ')');
		}
		if (n == 257)
			g_string_append(g, " OR ipv4-addr:value = '10.1.0.0'");
		g_string_append_c(g, ']');
		assert_int_equal(parse(g->str, &c, err, sizeof err), n == 256);
		if (n == 256)
			assert_int_equal(c.nok, 256);
		else
			assert_non_null(strstr(err, "too many comparisons"));
		collected_free(&c);
	}
	g_string_free(g, TRUE);
}

/* ---- import ---- */

static void import_malformed(void **state)
{
	static const struct {
		const char *text;
		exchange_err want;
		const char *msg;
	} cases[] = {
	        {"not json", EXCHANGE_EJSON, "line 1"},
	        {"", EXCHANGE_EJSON, NULL},
	        {"{\"type\": \"bundle\", \"objects\": []", EXCHANGE_EJSON, NULL},
	        {"[]", EXCHANGE_EFORMAT, "JSON object"},
	        {"42", EXCHANGE_EJSON, NULL},
	        {"{\"objects\": []}", EXCHANGE_EFORMAT, "no \"type\""},
	        {"{\"type\": \"bundle\", \"objects\": {}}", EXCHANGE_EFORMAT, "not an array"},
	        {"{\"type\": \"indicator\"}", EXCHANGE_EFORMAT, "neither a bundle"},
	        {"{\"type\": \"bundle\", \"type\": \"x\"}", EXCHANGE_EJSON, "duplicate"},
	};
	char err[300];

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		json_t *res = NULL;

		err[0] = 0;
		assert_int_equal(stix_import_buffer(cases[i].text, strlen(cases[i].text), NULL,
		                                    &res, err, sizeof err),
		                 cases[i].want);
		assert_null(res);
		assert_true(err[0] != 0);
		if (cases[i].msg != NULL)
			assert_non_null(strstr(err, cases[i].msg));
	}
}

static void import_odd_objects(void **state)
{
	GString *long_pattern = g_string_new("[domain-name:value = '");
	char *text;
	json_t *res;

	(void)state;
	while (long_pattern->len < 17000)
		g_string_append(long_pattern, "aaaaaaaaa.");
	g_string_append(long_pattern, "example']");
	text = g_strdup_printf(
	        "{\"type\": \"bundle\", \"id\": \"bundle--1\", \"objects\": ["
	        "1, \"x\", null, [], {\"type\": 5}, {\"id\": \"indicator--0\"},"
	        "{\"type\": \"indicator\", \"id\": \"indicator--1\", \"pattern\": 5},"
	        "{\"type\": \"indicator\", \"id\": \"indicator--2\"},"
	        "{\"type\": \"indicator\", \"id\": \"indicator--3\", \"pattern_type\": \"yara\","
	        " \"pattern\": \"rule x { condition: true }\"},"
	        "{\"type\": \"indicator\", \"id\": \"indicator--4\", \"pattern\": \"%s\"},"
	        "{\"type\": \"indicator\", \"id\": \"indicator--5\", \"pattern\": \"[[[\"},"
	        "{\"type\": \"indicator\", \"id\": \"indicator--6\", \"revoked\": true,"
	        " \"pattern\": \"[domain-name:value = 'revoked.example']\"},"
	        "{\"type\": \"indicator\", \"id\": \"indicator--7\","
	        " \"pattern\": \"[domain-name:value = 'ok.example']\", \"valid_from\": 5,"
	        " \"created\": \"2020-01-01T00:00:00Z\", \"description\": 7, \"name\": \"named\"},"
	        "{\"type\": \"x-custom-thing\", \"id\": \"x-custom-thing--1\"},"
	        "{\"type\": \"file\", \"id\": \"file--1\", \"hashes\": {\"SHA-512\": \"ab\"}},"
	        "{\"type\": \"file\", \"id\": \"file--2\", \"hashes\": {\"MD5\": \"" FX_MD5
	        "\", \"SHA-256\": \"zz\"}, \"name\": \"ignored.exe\"},"
	        "{\"type\": \"file\", \"id\": \"file--3\", \"name\": \"only-name.scr\"},"
	        "{\"type\": \"url\", \"id\": \"url--1\", \"value\": \"no scheme\"},"
	        "{\"type\": \"email-addr\", \"id\": \"email-addr--1\", \"value\": 3},"
	        "{\"type\": \"observed-data\", \"id\": \"observed-data--1\", \"objects\": {"
	        "  \"0\": {\"type\": \"file\", \"hashes\": {\"SHA-256\": \"" FX_SHA256 "\"}},"
	        "  \"1\": {\"type\": \"mutex\", \"name\": \"m\"}}},"
	        "{\"type\": \"observed-data\", \"id\": \"observed-data--2\","
	        " \"object_refs\": [\"url--1\"]}"
	        "]}",
	        long_pattern->str);
	res = import_text(text, NULL);
	/* what came through */
	assert_int_equal(json_array_size(json_object_get(res, "indicators")), 4);
	assert_non_null(fx_find(json_object_get(res, "indicators"), "value", "ok.example"));
	assert_non_null(fx_find(json_object_get(res, "indicators"), "value", FX_MD5));
	assert_non_null(fx_find(json_object_get(res, "indicators"), "value", "only-name.scr"));
	assert_non_null(fx_find(json_object_get(res, "indicators"), "value", FX_SHA256));
	/* a broken valid_from: created instead; a non-string description: the name */
	{
		json_t *ok = fx_find(json_object_get(res, "indicators"), "value", "ok.example");

		assert_string_equal(json_string_value(json_object_get(ok, "first_seen")),
		                    "2020-01-01T00:00:00Z");
		assert_string_equal(json_string_value(json_object_get(ok, "description")), "named");
		assert_string_equal(json_string_value(json_object_get(ok, "tlp")), "TLP:AMBER");
		assert_string_equal(json_string_value(json_object_get(ok, "source")), "STIX");
	}
	/* and every other object, with its reason */
	assert_int_equal(json_integer_value(json_object_get(res, "objects")), 21);
	assert_int_equal(fx_skipped_with(res, "not a STIX object"), 6);
	assert_int_equal(fx_skipped_with(res, "no pattern"), 2);
	assert_int_equal(fx_skipped_with(res, "pattern_type yara"), 1);
	assert_int_equal(fx_skipped_with(res, "the limit is 16384"), 1);
	assert_int_equal(fx_skipped_with(res, "pattern, offset"), 1);
	assert_int_equal(fx_skipped_with(res, "revoked"), 1);
	assert_int_equal(fx_skipped_with(res, "x-custom-thing: no indicator"), 1);
	assert_int_equal(fx_skipped_with(res, "a file without an MD5"), 1);
	assert_int_equal(fx_skipped_with(res, "not a SHA-256 hash"), 1);
	assert_int_equal(fx_skipped_with(res, "scheme"), 1);
	assert_int_equal(fx_skipped_with(res, "no value"), 1);
	assert_int_equal(fx_skipped_with(res, "observable 1"), 1);
	assert_int_equal(fx_skipped_with(res, "read where they stand"), 1);
	assert_int_equal(json_integer_value(json_object_get(res, "skipped_total")), 19);
	g_free(text);
	g_string_free(long_pattern, TRUE);
	json_decref(res);
}

static void import_limits(void **state)
{
	GString *g = g_string_new(NULL);
	json_t *res = NULL;
	char err[300];

	(void)state;
	/* nesting beyond 64: refused before jansson sees it */
	for (int i = 0; i < 100; i++)
		g_string_append_c(g, '[');
	assert_int_equal(stix_import_buffer(g->str, g->len, NULL, &res, err, sizeof err),
	                 EXCHANGE_ELIMIT);
	assert_non_null(strstr(err, "nested deeper"));
	/* too many values */
	g_string_assign(g, "[");
	for (int i = 0; i < 400001; i++)
		g_string_append(g, "0,");
	g_string_append(g, "0]");
	assert_int_equal(stix_import_buffer(g->str, g->len, NULL, &res, err, sizeof err),
	                 EXCHANGE_ELIMIT);
	assert_non_null(strstr(err, "JSON values"));
	/* too many bytes */
	{
		char *big = g_malloc0((8u << 20) + 1);

		assert_int_equal(
		        stix_import_buffer(big, (8u << 20) + 1, NULL, &res, err, sizeof err),
		        EXCHANGE_ELIMIT);
		assert_non_null(strstr(err, "the limit is"));
		g_free(big);
	}
	/* too many objects */
	g_string_assign(g, "{\"type\": \"bundle\", \"objects\": [");
	for (int i = 0; i < 20001; i++)
		g_string_append(g, "{},");
	g_string_append(g, "{}]}");
	assert_int_equal(stix_import_buffer(g->str, g->len, NULL, &res, err, sizeof err),
	                 EXCHANGE_ELIMIT);
	assert_non_null(strstr(err, "objects"));
	assert_null(res);
	g_string_free(g, TRUE);
}

static void import_tlp(void **state)
{
	static const struct {
		const char *refs;
		const char *want;
	} cases[] = {
	        {"", "TLP:GREEN"}, /* the caller's default */
	        {"\"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9\"", "TLP:CLEAR"},
	        {"\"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da\"", "TLP:GREEN"},
	        {"\"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82\"", "TLP:AMBER"},
	        {"\"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed\"", "TLP:RED"},
	        {"\"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487\"", "TLP:CLEAR"},
	        {"\"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003\"",
	         "TLP:AMBER+STRICT"},
	        {"\"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1\"", "TLP:RED"},
	        /* the most restrictive wins; unknown markings do not count */
	        {"\"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da\", "
	         "\"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed\"",
	         "TLP:RED"},
	        {"\"marking-definition--00000000-0000-4000-8000-000000000000\", 5", "TLP:GREEN"},
	        /* markings the bundle defines itself */
	        {"\"marking-definition--11111111-1111-4111-8111-111111111111\"", "TLP:CLEAR"},
	        {"\"marking-definition--22222222-2222-4222-8222-222222222222\"",
	         "TLP:AMBER+STRICT"},
	};
	stix_import_opts o = {"TLP:GREEN", "feed"};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *text = g_strdup_printf(
		        "{\"type\": \"bundle\", \"objects\": ["
		        "{\"type\": \"marking-definition\", \"id\": "
		        "\"marking-definition--11111111-1111-4111-8111-111111111111\","
		        " \"definition_type\": \"tlp\", \"definition\": {\"tlp\": \"white\"}},"
		        "{\"type\": \"marking-definition\", \"id\": "
		        "\"marking-definition--22222222-2222-4222-8222-222222222222\", "
		        "\"extensions\":"
		        " {\"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d\":"
		        " {\"extension_type\": \"property-extension\", \"tlp_2_0\": "
		        "\"amber+strict\"}}},"
		        "{\"type\": \"indicator\", \"id\": \"indicator--1\", \"pattern\":"
		        " \"[domain-name:value = 'a.example']\", \"object_marking_refs\": [%s]}]}",
		        cases[i].refs);
		json_t *res = import_text(text, &o);
		json_t *ind = json_array_get(json_object_get(res, "indicators"), 0);

		assert_string_equal(json_string_value(json_object_get(ind, "tlp")), cases[i].want);
		assert_string_equal(json_string_value(json_object_get(ind, "source")), "feed");
		assert_int_equal(fx_skipped_with(res, "read as the TLP"), 2);
		g_free(text);
		json_decref(res);
	}
}

/* the same value from two indicators: once, with the stricter TLP */
static void import_duplicates(void **state)
{
	json_t *res = import_text(
	        "{\"type\": \"bundle\", \"objects\": ["
	        "{\"type\": \"indicator\", \"id\": \"indicator--1\", \"description\": \"first\","
	        " \"pattern\": \"[ipv4-addr:value = '192.0.2.9' OR domain-name:value = "
	        "'x.example']\","
	        " \"object_marking_refs\": "
	        "[\"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da\"]},"
	        "{\"type\": \"indicator\", \"id\": \"indicator--2\", \"description\": \"second\","
	        " \"pattern\": \"[ipv4-addr:value = '192.0.2.9']\", \"object_marking_refs\": "
	        "[\"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed\"]},"
	        "{\"type\": \"ipv4-addr\", \"id\": \"ipv4-addr--1\", \"value\": \"192.0.2.9\"}]}",
	        NULL);
	json_t *ip = fx_find(json_object_get(res, "indicators"), "value", "192.0.2.9");

	(void)state;
	assert_int_equal(json_array_size(json_object_get(res, "indicators")), 2);
	assert_int_equal(json_integer_value(json_object_get(res, "duplicates")), 2);
	assert_string_equal(json_string_value(json_object_get(ip, "description")), "first");
	assert_string_equal(json_string_value(json_object_get(ip, "tlp")), "TLP:RED");
	json_decref(res);
}

/* ---- the shared STIX files (../shared/testdata/stix) ---- */

/* What each file gives (read from the files themselves; SOURCE: the
 * examples of oasis-open/cti-stix2-json-schemas):
 *  - indicator-for-c2-ip-address: 1 indicator, [ipv4-addr:value =
 *    '10.0.0.0'] -> ipv4 10.0.0.0.
 *  - indicator-to-campaign-relationship: the same address; the campaign and
 *    the relationship are listed.
 *  - indicators-for-C2-with-COA: the address and a SHA-256
 *    (ef537f25...); identity (the source: "The MITRE Corporation - DHS
 *    Support Team"), malware, course-of-action and 3 relationships listed.
 *  - infrastructure: two observables standing on their own, ipv4-addr
 *    198.51.100.3 ("Poison Ivy C2", the infrastructure it belongs to) and
 *    domain-name example.com; 2 infrastructure, 2 malware, 4 relationships
 *    listed.
 *  - interop-objectmarking-test: one bare campaign (not a bundle), TLP:RED
 *    marked; listed, no indicator.
 *  - malicious-email-indicator-with-attachment: the attachment name
 *    MATCHES '^Final Report.+\.exe$' -> filename "Final Report?*.exe"; the
 *    subject MATCHES '^[IMPORTANT] Please Review Before' is a character set
 *    in a regular expression (listed); identity, attack-pattern and 2
 *    relationships listed.
 *  - threat-reports/apt1: 3 domains and 3 MD5s; 4 CIDR ranges (/15) and 2
 *    x509-certificate patterns listed, with 64 context objects.
 *  - threat-reports/poisonivy: 25 indicators with 70 comparisons joined by
 *    OR: 24 domains, 18 IPv4 addresses, 2 file names (44; 22 repeats of an
 *    address merged); 'domain autuo.xicp.net' is not a domain name (listed),
 *    with 130 context objects. */
static void shared_stix_files(void **state)
{
	static const struct {
		const char *file;
		int objects, indicators, skipped, duplicates;
		const char *values[4]; /* some values that must be there */
		const char *reasons[3];
	} files[] = {
	        {"indicator-for-c2-ip-address.json", 1, 1, 0, 0, {"10.0.0.0"}, {NULL}},
	        {"indicator-to-campaign-relationship.json",
	         3,
	         1,
	         2,
	         0,
	         {"10.0.0.0"},
	         {"campaign: no indicator", "relationship: context"}},
	        {"indicators-for-C2-with-COA.json",
	         8,
	         2,
	         6,
	         0,
	         {"10.0.0.0", "ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c"},
	         {"course-of-action: no indicator", "read as the source"}},
	        {"infrastructure.json",
	         10,
	         2,
	         8,
	         0,
	         {"198.51.100.3", "example.com"},
	         {"infrastructure: no indicator"}},
	        {"interop-objectmarking-test.json", 1, 0, 1, 0, {NULL}, {"campaign: no indicator"}},
	        {"malicious-email-indicator-with-attachment.json",
	         6,
	         1,
	         5,
	         0,
	         {"Final Report?*.exe"},
	         {"^[IMPORTANT] Please Review Before", "character sets"}},
	        {"threat-reports/apt1.json",
	         76,
	         6,
	         70,
	         0,
	         {"hugesoft.org", "arrowservice.net", "msnhome.org",
	          "001dd76872d80801692ff942308c64e6"},
	         {"'223.166.0.0/15': an address range (CIDR)", "x509-certificate:issuer"}},
	        {"threat-reports/poisonivy.json",
	         155,
	         44,
	         131,
	         22,
	         {"www.webserver.dynssl.com", "113.10.246.30", "CBricksDoc", "3q.wubangtu.info"},
	         {"'domain autuo.xicp.net': white space in a domain name"}},
	};
	int seen = 0;

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
		char *rel = g_build_filename("stix", files[i].file, NULL);
		char *path = fx_shared(rel), *buf = NULL, err[300] = "";
		gsize len = 0;
		json_t *res = NULL, *inds;

		g_free(rel);
		if (path == NULL)
			continue;
		seen++;
		assert_true(g_file_get_contents(path, &buf, &len, NULL));
		assert_int_equal(stix_import_buffer(buf, len, NULL, &res, err, sizeof err),
		                 EXCHANGE_OK);
		inds = json_object_get(res, "indicators");
		fprintf(stderr, "%s: %d objects, %zu indicators, %d skipped, %d duplicates\n",
		        files[i].file, (int)json_integer_value(json_object_get(res, "objects")),
		        json_array_size(inds),
		        (int)json_integer_value(json_object_get(res, "skipped_total")),
		        (int)json_integer_value(json_object_get(res, "duplicates")));
		assert_int_equal(json_integer_value(json_object_get(res, "objects")),
		                 files[i].objects);
		assert_int_equal(json_array_size(inds), files[i].indicators);
		assert_int_equal(json_integer_value(json_object_get(res, "skipped_total")),
		                 files[i].skipped);
		assert_int_equal(json_integer_value(json_object_get(res, "duplicates")),
		                 files[i].duplicates);
		for (int k = 0; k < 4 && files[i].values[k] != NULL; k++) {
			if (fx_find(inds, "value", files[i].values[k]) == NULL)
				fprintf(stderr, "missing %s\n", files[i].values[k]);
			assert_non_null(fx_find(inds, "value", files[i].values[k]));
		}
		for (int k = 0; k < 3 && files[i].reasons[k] != NULL; k++)
			assert_true(fx_skipped_with(res, files[i].reasons[k]) >= 1);
		/* nothing silently dropped: objects = those that gave indicators +
		 * those listed (a pattern may do both) */
		assert_true((size_t)files[i].objects <=
		            json_array_size(json_object_get(res, "skipped")) +
		                    json_array_size(inds) + (size_t)files[i].duplicates);
		g_free(buf);
		g_free(path);
		json_decref(res);
	}
	if (seen == 0)
		skip();
	assert_int_equal(seen, (int)G_N_ELEMENTS(files));
}

/* details of two shared files: TLP of a bare object, descriptions */
static void shared_stix_details(void **state)
{
	char *path = fx_shared("stix/infrastructure.json"), *buf;
	gsize len;
	json_t *res;
	char err[300];

	(void)state;
	if (path == NULL)
		skip();
	assert_true(g_file_get_contents(path, &buf, &len, NULL));
	assert_int_equal(stix_import_buffer(buf, len, NULL, &res, err, sizeof err), EXCHANGE_OK);
	assert_string_equal(
	        json_string_value(json_object_get(
	                fx_find(json_object_get(res, "indicators"), "value", "198.51.100.3"),
	                "description")),
	        "Poison Ivy C2");
	json_decref(res);
	g_free(buf);
	g_free(path);

	path = fx_shared("stix/indicators-for-C2-with-COA.json");
	assert_true(g_file_get_contents(path, &buf, &len, NULL));
	assert_int_equal(stix_import_buffer(buf, len, NULL, &res, err, sizeof err), EXCHANGE_OK);
	{
		json_t *h =
		        fx_find(json_object_get(res, "indicators"), "value",
		                "ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c");

		assert_string_equal(json_string_value(json_object_get(h, "type")), "sha256");
		assert_string_equal(json_string_value(json_object_get(h, "source")),
		                    "The MITRE Corporation - DHS Support Team");
		assert_string_equal(json_string_value(json_object_get(h, "first_seen")),
		                    "2014-05-08T09:00:00Z");
		assert_string_equal(json_string_value(json_object_get(h, "description")),
		                    "Test description.");
	}
	json_decref(res);
	g_free(buf);
	g_free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(export_every_type),
	        cmocka_unit_test(export_ids_are_deterministic),
	        cmocka_unit_test(round_trip_every_type),
	        cmocka_unit_test(export_odd_indicators),
	        cmocka_unit_test(pattern_escaping),
	        cmocka_unit_test(long_values_round_trip),
	        cmocka_unit_test(pattern_language),
	        cmocka_unit_test(pattern_syntax_errors),
	        cmocka_unit_test(pattern_limits),
	        cmocka_unit_test(import_malformed),
	        cmocka_unit_test(import_odd_objects),
	        cmocka_unit_test(import_limits),
	        cmocka_unit_test(import_tlp),
	        cmocka_unit_test(import_duplicates),
	        cmocka_unit_test(shared_stix_files),
	        cmocka_unit_test(shared_stix_details),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
