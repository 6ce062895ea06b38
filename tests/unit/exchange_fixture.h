/*
 * exchange_fixture.h - what test_stix.c, test_misp.c and test_iocfile.c
 * share: an incident document with one indicator of every vigil type (and
 * the two pattern forms: a URL prefix and a file name glob), in vigil's
 * normalised form, so that export -> import must give them back unchanged;
 * helpers to compare JSON and to find the shared test data.
 */
#ifndef VIGIL_EXCHANGE_FIXTURE_H
#define VIGIL_EXCHANGE_FIXTURE_H

#include <jansson.h>

#include "testutil.h"

#define FX_SHA256 "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
#define FX_SHA1 "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"
#define FX_MD5 "5d41402abc4b2a76b9719d911017c592"
#define FX_ORG "Bảo hiểm xã hội Việt Nam"
#define FX_SUBJECT "Công văn khẩn: bảng lương tháng 11 (O'Brien \\ test)"
/* 2026-12-01T00:00:00.000Z: the export time of the tests */
#define FX_NOW 1796083200000LL

static const char fx_incident_json[] =
        "{\"id\": \"INC-2026-0001\", \"title\": \"Chiến dịch \\\"bảng lương\\\" tháng 11\","
        " \"severity\": \"high\", \"tlp\": \"TLP:AMBER\", \"status\": \"containment\","
        " \"summary\": \"Thư giả mạo phòng Tài chính gửi tệp BangLuong_T11.xlsm\","
        " \"category\": \"malware.spyware\", \"detected_at\": \"2026-11-27T08:15:00Z\","
        " \"reporter\": {\"organisation\": \"" FX_ORG "\"},"
        " \"indicators\": ["
        "{\"type\": \"sha256\", \"value\": \"" FX_SHA256
        "\", \"description\": \"BangLuong_T11.xlsm,"
        " the dropper\", \"tlp\": \"TLP:AMBER\", \"first_seen\": \"2026-11-27T08:15:00Z\","
        " \"valid_until\": \"2027-02-27T00:00:00Z\", \"source\": \"" FX_ORG "\"},"
        "{\"type\": \"sha1\", \"value\": \"" FX_SHA1 "\", \"description\": \"second stage\","
        " \"tlp\": \"TLP:GREEN\", \"first_seen\": \"2026-11-27T08:15:00.250Z\","
        " \"valid_until\": null, \"source\": \"CIRCL OSINT feed\"},"
        "{\"type\": \"md5\", \"value\": \"" FX_MD5 "\", \"description\": \"\","
        " \"tlp\": \"TLP:RED\", \"first_seen\": \"2026-11-26T23:59:59Z\","
        " \"valid_until\": null, \"source\": \"" FX_ORG "\"},"
        "{\"type\": \"email\", \"value\": \"ketoan@bhxh-vn.example\", \"description\": \"sender\","
        " \"tlp\": \"TLP:AMBER+STRICT\", \"first_seen\": \"2026-11-27T08:15:00Z\","
        " \"valid_until\": null, \"source\": \"" FX_ORG "\"},"
        "{\"type\": \"domain\", \"value\": \"bhxh-vn.example\", \"description\": \"look-alike\","
        " \"tlp\": \"TLP:CLEAR\", \"first_seen\": \"2026-11-27T08:15:00Z\","
        " \"valid_until\": \"2026-12-31T00:00:00Z\", \"source\": \"" FX_ORG "\"},"
        "{\"type\": \"url\", \"value\": \"http://203.0.113.7/update/payload.php?id=1&x=2\","
        " \"description\": \"download\", \"tlp\": \"TLP:AMBER\","
        " \"first_seen\": \"2026-11-27T08:15:00Z\", \"valid_until\": null,"
        " \"source\": \"" FX_ORG "\"},"
        "{\"type\": \"url\", \"value\": \"http://203.0.113.7/update*\", \"description\":"
        " \"every update URL\", \"tlp\": \"TLP:AMBER\", \"first_seen\": \"2026-11-27T08:15:00Z\","
        " \"valid_until\": null, \"source\": \"" FX_ORG "\"},"
        "{\"type\": \"ipv4\", \"value\": \"203.0.113.7\", \"description\": \"C2\","
        " \"tlp\": \"TLP:AMBER\", \"first_seen\": \"2026-11-27T08:15:00Z\","
        " \"valid_until\": null, \"source\": \"" FX_ORG "\"},"
        "{\"type\": \"ipv6\", \"value\": \"2001:db8::7\", \"description\": \"C2 (IPv6)\","
        " \"tlp\": \"TLP:AMBER\", \"first_seen\": \"2026-11-27T08:15:00Z\","
        " \"valid_until\": null, \"source\": \"" FX_ORG "\"},"
        "{\"type\": \"filename\", \"value\": \"BangLuong_T11.xlsm\", \"description\": \"lure\","
        " \"tlp\": \"TLP:AMBER\", \"first_seen\": \"2026-11-27T08:15:00Z\","
        " \"valid_until\": null, \"source\": \"" FX_ORG "\"},"
        "{\"type\": \"filename\", \"value\": \"invoice*.exe\", \"description\": \"glob\","
        " \"tlp\": \"TLP:AMBER\", \"first_seen\": \"2026-11-27T08:15:00Z\","
        " \"valid_until\": null, \"source\": \"" FX_ORG "\"},"
        "{\"type\": \"subject\", \"value\": \"Công văn khẩn: bảng lương tháng 11 (O'Brien \\\\ "
        "test)\", \"description\": \"subject with ' and \\\\\", \"tlp\": \"TLP:AMBER\","
        " \"first_seen\": \"2026-11-27T08:15:00Z\", \"valid_until\": null,"
        " \"source\": \"" FX_ORG "\"},"
        "{\"type\": \"message_id\", \"value\": \"<20261127081500.1234@bhxh-vn.example>\","
        " \"description\": \"the first message\", \"tlp\": \"TLP:AMBER\","
        " \"first_seen\": \"2026-11-27T08:15:00Z\", \"valid_until\": null,"
        " \"source\": \"" FX_ORG "\"}"
        "]}";

#define FX_COUNT 13

static inline json_t *fx_incident(void)
{
	json_error_t je;
	json_t *j = json_loads(fx_incident_json, 0, &je);

	if (j == NULL)
		fprintf(stderr, "fixture: %d:%d %s\n", je.line, je.column, je.text);
	assert_non_null(j);
	return j;
}

static inline void fx_assert_json_equal(const json_t *want, const json_t *got)
{
	if (!json_equal((json_t *)want, (json_t *)got)) {
		char *a = json_dumps(want, JSON_INDENT(1) | JSON_SORT_KEYS);
		char *b = json_dumps(got, JSON_INDENT(1) | JSON_SORT_KEYS);

		fprintf(stderr, "want: %s\ngot:  %s\n", a, b);
		free(a);
		free(b);
		fail();
	}
}

/* element of an array of objects whose key has value s, or NULL */
static inline json_t *fx_find(const json_t *arr, const char *key, const char *s)
{
	size_t i;
	json_t *e;

	json_array_foreach(arr, i, e)
	{
		const char *v = json_string_value(json_object_get(e, key));

		if (v != NULL && strcmp(v, s) == 0)
			return e;
	}
	return NULL;
}

/* how many skipped entries have a reason containing needle */
static inline size_t fx_skipped_with(const json_t *res, const char *needle)
{
	size_t i, n = 0;
	json_t *e;

	json_array_foreach(json_object_get(res, "skipped"), i, e)
	{
		if (strstr(json_string_value(json_object_get(e, "reason")), needle) != NULL)
			n++;
	}
	return n;
}

/* ../shared/testdata (VIGIL_SHARED, else beside the source tree), or NULL */
static inline char *fx_shared(const char *rel)
{
	const char *sh = getenv("VIGIL_SHARED");
	char *base = sh != NULL && *sh ? g_strdup(sh)
	                               : g_build_filename(VIGIL_TEST_TOP, "..", "shared", NULL);
	char *p = g_build_filename(base, "testdata", rel, NULL);

	g_free(base);
	if (!g_file_test(p, G_FILE_TEST_EXISTS)) {
		g_free(p);
		return NULL;
	}
	return p;
}

#endif
