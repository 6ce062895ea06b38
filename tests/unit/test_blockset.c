/*
 * test_blockset.c - vigil-milter's block list: the indicator set matched
 * over real scan results (the engine's JSON, as the workers send it), the
 * server-sent events parser, and the saved state.
 */
#include <unistd.h>

#include "testutil.h"

#include "common/scanjson.h"
#include "milter/blockset.h"
#include "milter/blocksub.h"
#include "milter/sse.h"

static const char MSG[] = "From: \"Van thu\" <VanThu@Lure.Example>\r\n"
                          "To: an@bhxh.example\r\n"
                          "Subject:   Cong  van   so 123\r\n"
                          "Message-ID: <ABC.123@lure.example>\r\n"
                          "MIME-Version: 1.0\r\n"
                          "Content-Type: multipart/mixed; boundary=b\r\n"
                          "\r\n"
                          "--b\r\n"
                          "Content-Type: text/html\r\n"
                          "\r\n"
                          "<a href=\"https://Files.Evil.Example/Get/Doc\">tai ve</a>\r\n"
                          "--b\r\n"
                          "Content-Type: application/octet-stream; name=\"CongVan.PDF.exe\"\r\n"
                          "Content-Disposition: attachment; filename=\"CongVan.PDF.exe\"\r\n"
                          "\r\n"
                          "hello block list\r\n"
                          "--b--\r\n";

/* the scan worker's JSON for MSG */
static json_t *scan_json(void)
{
	vigil_engine *e = tu_engine(NULL, NULL);
	vigil_scan *s = tu_scan(e, MSG, sizeof MSG - 1, "msg");
	json_t *j = scanjson(s, "msg", VIGIL_LANG_EN);

	vigil_scan_free(s);
	vigil_engine_unref(e);
	return j;
}

static const char *object_hash(json_t *scan, const char *suffix, const char *kind)
{
	json_t *o;
	size_t i;

	json_array_foreach(json_object_get(scan, "objects"), i, o)
	{
		const char *n = json_string_value(json_object_get(o, "name"));

		if (n != NULL && g_str_has_suffix(n, suffix))
			return json_string_value(json_object_get(o, kind));
	}
	return NULL;
}

static size_t hits_for(struct blockset *b, json_t *scan, const char *from, const char *client,
                       const char *want_evidence)
{
	json_t *hits = json_array(), *h;
	size_t n = blockset_match(b, scan, from, client, hits), i;
	bool seen = want_evidence == NULL;

	json_array_foreach(hits, i, h)
	{
		assert_string_equal(json_string_value(json_object_get(h, "id")), "ioc.block");
		assert_string_equal(json_string_value(json_object_get(h, "severity")), "critical");
		if (want_evidence != NULL &&
		    strstr(json_string_value(json_object_get(h, "evidence")), want_evidence))
			seen = true;
	}
	assert_true(seen);
	json_decref(hits);
	return n;
}

/* one item at a time: each type hits what it should, and nothing else */
static void each_type_matches(void **state)
{
	json_t *scan = scan_json();
	const char *sha256 = object_hash(scan, ".exe", "sha256");
	const char *md5 = object_hash(scan, ".exe", "md5");
	const char *sha1 = object_hash(scan, ".exe", "sha1");
	char *up = g_ascii_strup(sha256, -1);
	struct {
		const char *type, *value, *evidence;
	} cases[] = {
	        {"sha256", up, "sha256"},
	        {"sha1", sha1, "sha1"},
	        {"md5", md5, "md5"},
	        {"email", "vanthu@lure.example", "From"},
	        {"email", "bounce@lure.example", "envelope sender"},
	        {"domain", "lure.example", "lure.example"},
	        {"domain", "evil.example", "files.evil.example"},
	        {"url", "https://files.evil.example/get/doc/", "https://"},
	        {"filename", "congvan.pdf.exe", "filename"},
	        {"subject", "cong van so 123", "subject"},
	        {"message_id", "<abc.123@lure.example>", "message_id"},
	        {"ipv4", "203.0.113.9", "203.0.113.9"},
	        {"ipv6", "2001:DB8:0:0::1", "2001:db8::1"},
	};
	const char *misses[][2] = {
	        {"sha256", "0000000000000000000000000000000000000000000000000000000000000000"},
	        {"email", "other@lure.example"},
	        {"domain", "vil.example"}, /* a suffix of a label is no parent domain */
	        {"domain", "files.evil.example.vn"},
	        {"url", "https://files.evil.example/get"},
	        {"filename", "congvan.pdf"},
	        {"subject", "cong van"}, /* exact, never a substring */
	        {"ipv4", "203.0.113.10"},
	};

	(void)state;
	assert_non_null(sha256);
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct blockset *b = blockset_new();

		assert_true(blockset_add(b, cases[i].type, cases[i].value));
		assert_int_equal(hits_for(b, scan, "Bounce@Lure.Example",
		                          i == 12 ? "2001:db8::1" : "203.0.113.9",
		                          cases[i].evidence),
		                 1);
		blockset_free(b);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(misses); i++) {
		struct blockset *b = blockset_new();

		assert_true(blockset_add(b, misses[i][0], misses[i][1]));
		assert_int_equal(hits_for(b, scan, "x@partner.example", "198.51.100.1", NULL), 0);
		blockset_free(b);
	}
	g_free(up);
	json_decref(scan);
}

/* adds and removes are idempotent; items that normalise alike are counted */
static void changes_are_counted(void **state)
{
	struct blockset *b = blockset_new();
	json_t *scan = scan_json();

	(void)state;
	assert_false(blockset_add(b, "sha512", "ab"));
	assert_false(blockset_add(b, "sha256", "not hex"));
	assert_false(blockset_add(b, "ipv4", "1.2.3"));
	assert_false(blockset_add(b, "email", "@x.example"));
	assert_true(blockset_add(b, "ipv6", "2001:db8::1"));
	assert_true(blockset_add(b, "ipv6", "2001:db8:0::1"));
	assert_true(blockset_add(b, "ipv6", "2001:db8::1"));
	assert_int_equal(blockset_count(b), 2);
	assert_true(blockset_remove(b, "ipv6", "2001:db8::1"));
	/* the other spelling still blocks the address */
	assert_int_equal(hits_for(b, scan, NULL, "2001:db8::1", NULL), 1);
	assert_true(blockset_remove(b, "ipv6", "2001:db8:0::1"));
	assert_true(blockset_remove(b, "ipv6", "2001:db8:0::1"));
	assert_int_equal(hits_for(b, scan, NULL, "2001:db8::1", NULL), 0);
	assert_int_equal(blockset_count(b), 0);
	/* one finding per blocked item, however often the message shows it */
	assert_true(blockset_add(b, "domain", "example"));
	assert_true(blockset_add(b, "email", "vanthu@lure.example"));
	assert_int_equal(hits_for(b, scan, "a@lure.example", NULL, NULL), 2);
	blockset_clear(b);
	assert_int_equal(blockset_count(b), 0);
	blockset_free(b);
	json_decref(scan);
}

/* the set survives a save and a load; a damaged file is an error */
static void state_round_trip(void **state)
{
	struct blockset *b = blockset_new(), *c = blockset_new();
	char dir[] = "/tmp/vigil-blockset-XXXXXX";
	char *path, stream[65];
	long long seq = 0;
	char *err = NULL;
	FILE *f;

	(void)state;
	assert_non_null(g_mkdtemp(dir));
	path = g_build_filename(dir, "blocks.json", NULL);
	assert_int_equal(blocksub_state_load(path, c, &seq, stream, sizeof stream, &err), 0);
	assert_int_equal(seq, 0);
	assert_true(blockset_add(b, "domain", "lure.example"));
	assert_true(blockset_add(b, "subject", "thông báo bảo hiểm"));
	assert_int_equal(blocksub_state_save(path, b, 42, "abcd", &err), 0);
	assert_int_equal(blocksub_state_load(path, c, &seq, stream, sizeof stream, &err), 0);
	assert_int_equal(seq, 42);
	assert_string_equal(stream, "abcd");
	assert_int_equal(blockset_count(c), 2);
	f = fopen(path, "w");
	fputs("{\"seq\": \"x\"}", f);
	fclose(f);
	assert_int_not_equal(blocksub_state_load(path, c, &seq, stream, sizeof stream, &err), 0);
	assert_non_null(strstr(err, "not a block state file"));
	g_free(err);
	unlink(path);
	rmdir(dir);
	g_free(path);
	blockset_free(b);
	blockset_free(c);
}

/* ---- server-sent events ---- */

struct got {
	GString *log;
	int stop_at;
	int n;
};

static int on_ev(void *ctx, const char *event, const char *data, size_t len, const char *id)
{
	struct got *g = ctx;

	assert_int_equal(strlen(data), len);
	g_string_append_printf(g->log, "[%s|%s|%s]", event, data, id);
	return ++g->n == g->stop_at;
}

static char *parse(const char *text, size_t piece)
{
	struct got g = {g_string_new(NULL), 0, 0};
	struct sse *p = sse_new(on_ev, &g);

	/* the same stream cut in pieces of every size gives the same events */
	for (size_t i = 0; i < strlen(text); i += piece)
		assert_int_equal(sse_feed(p, text + i, MIN(piece, strlen(text) - i)), 0);
	sse_free(p);
	return g_string_free(g.log, FALSE);
}

static void sse_events(void **state)
{
	const char *text = "retry: 2000\n\n: keep-alive\n\n"
	                   "id: 7\r\nevent: block\r\ndata: {\"seq\":7}\r\n\r\n"
	                   "data:a\rdata: b\r\rdata\n\nid: 8\nevent: reset\ndata: {}\n\n"
	                   "event: ignored-without-data\n\n";
	const char *want = "[block|{\"seq\":7}|7][message|a\nb|7][message||7][reset|{}|8]";

	(void)state;
	for (size_t piece = 1; piece <= strlen(text); piece++) {
		char *got = parse(text, piece);

		assert_string_equal(got, want);
		g_free(got);
	}
}

static void sse_limits(void **state)
{
	struct got g = {g_string_new(NULL), 1, 0};
	struct sse *p = sse_new(on_ev, &g);
	char *big = g_malloc(SSE_MAX_LINE + 2);
	struct sse *q;

	(void)state;
	memset(big, 'x', SSE_MAX_LINE + 1);
	big[SSE_MAX_LINE + 1] = 0;
	assert_int_equal(sse_feed(p, big, strlen(big)), -1);
	assert_int_equal(sse_feed(p, "\n\n", 2), -1); /* stays failed */
	sse_free(p);
	/* the callback says stop */
	q = sse_new(on_ev, &g);
	assert_int_equal(sse_feed(q, "data: 1\n\ndata: 2\n\n", 18), -1);
	assert_int_equal(g.n, 1);
	sse_free(q);
	g_string_free(g.log, TRUE);
	g_free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(each_type_matches), cmocka_unit_test(changes_are_counted),
	        cmocka_unit_test(state_round_trip),  cmocka_unit_test(sse_events),
	        cmocka_unit_test(sse_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
