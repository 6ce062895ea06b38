/*
 * test_quarantine.c - the quarantine store: exact bytes and records on
 * disk, ids that cannot name a path, list order, releases through a fake
 * sendmail, tokens the milter accepts once, crashes, and a full disk.
 *
 * The fake sendmail is a shell script written into a temporary folder: each
 * call records its argv (callN.args, one per line) and stdin (callN.in),
 * exits with the code in the file "exit" (0 when absent) and, when the
 * file "milter" exists, passes the message to this test binary run as
 * "--milter-helper DIR", which does what vigil-milter does with a
 * re-injected message (quar_release_seen on its X-Vigil-Release header) in
 * another process, while quar_release is still waiting for sendmail.
 */
#include "testutil.h"

#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "milter/quarantine.h"

#define ID1 "0123456789abcdef0123456789abcdef"
#define ID2 "fedcba9876543210fedcba9876543210"
#define ID3 "00000000000000000000000000000003"
#define ID4 "44444444444444444444444444444444"

static const char MSG_CRLF[] = "Received: from mx.example.org\r\n"
                               "From: Phong TCCB <tccb@example.org>\r\n"
                               "To: a@bhxh.example\r\n"
                               "Subject: Tai lieu\r\n"
                               "\r\n"
                               "Xem tep dinh kem.\r\n";
static const char MSG_LF[] = "From: x@example.org\nSubject: lf\n\nbody\n";

static char self_exe[4096];

struct fx {
	char dir[64];
	char tools[64];
	char sendmail[128];
	quar *q;
};

/* ---- helpers ---- */

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void rm_rf(const char *p)
{
	nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static char *path_in(const char *dir, const char *name)
{
	return g_build_filename(dir, name, NULL);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	GError *e = NULL;

	assert_true(g_file_set_contents(path, text, -1, &e));
	assert_int_equal(chmod(path, mode), 0);
}

static char *read_file(const char *path, size_t *len)
{
	char *data = NULL;
	gsize n = 0;

	if (!g_file_get_contents(path, &data, &n, NULL))
		return NULL;
	if (len != NULL)
		*len = n;
	return data;
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* the entries of a folder, sorted, comma-separated */
static char *names(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
	const char *n;
	char *out;

	assert_non_null(d);
	while ((n = g_dir_read_name(d)) != NULL)
		g_ptr_array_add(a, g_strdup(n));
	g_dir_close(d);
	if (a->len > 1)
		qsort(a->pdata, a->len, sizeof(char *), cmp_strp);
	g_ptr_array_add(a, NULL);
	out = g_strjoinv(",", (char **)a->pdata);
	g_ptr_array_free(a, TRUE);
	return out;
}

static char *msg_names(struct fx *f)
{
	char *d = path_in(f->dir, "msg");
	char *out = names(d);

	g_free(d);
	return out;
}

static char *record_json(const char *id, const char *env_from, const char *rcpts, size_t pad)
{
	GString *urls = g_string_new("[");

	for (size_t i = 0; i < pad; i++)
		g_string_append_printf(urls, "%s\"http://example.net/%zu\"", i ? "," : "", i);
	g_string_append(urls, "]");
	char *r = g_strdup_printf(
	        "{\"uid\":\"%s\",\"gateway\":\"mx1\",\"queue_id\":\"4ABC123\","
	        "\"message_id\":\"m1@example.org\",\"received_ms\":1700000000000,"
	        "\"direction\":\"inbound\",\"env_from\":\"%s\",\"env_rcpts\":%s,"
	        "\"hdr_from\":[\"Phòng TCCB <tccb@example.org>\"],\"hdr_to\":[\"a@bhxh.example\"],"
	        "\"subject\":\"Tài liệu\",\"verdict\":\"malicious\",\"score\":95,"
	        "\"action\":\"quarantine\",\"findings\":[{\"id\":\"yara.eicar\","
	        "\"severity\":\"critical\",\"title\":\"EICAR test file\","
	        "\"object\":\"msg/2:tailieu.zip/eicar.com\",\"attack\":\"T1566.001\","
	        "\"evidence\":\"EICAR\"}],\"attachments\":[{\"path\":\"msg/2:tailieu.zip\","
	        "\"name\":\"tailieu.zip\",\"type\":\"zip\",\"sha256\":\"%064d\",\"size\":200}],"
	        "\"urls\":%s,\"domains\":[],\"size\":123,\"scan_ms\":1.5,\"drill\":0}",
	        id, env_from, rcpts, 0, urls->str);
	g_string_free(urls, TRUE);
	return r;
}

static void put_msg(struct fx *f, const char *id, const char *msg)
{
	char *rec =
	        record_json(id, "sender@example.org",
	                    "[\"a@bhxh.example\",\"<b@bhxh.example>\",\"-oi@evil.example\"]", 0);
	char *err = NULL;

	assert_int_equal(quar_put(f->q, id, -1, (const uint8_t *)msg, strlen(msg), rec, &err),
	                 QUAR_OK);
	assert_null(err);
	g_free(rec);
}

static json_t *meta(struct fx *f, const char *id)
{
	char *text = NULL;
	json_t *m;

	assert_int_equal(quar_get(f->q, id, &text, NULL), QUAR_OK);
	m = json_loads(text, 0, NULL);
	assert_non_null(m);
	free(text);
	return m;
}

static void assert_state(struct fx *f, const char *id, const char *state)
{
	json_t *m = meta(f, id);

	assert_string_equal(json_string_value(json_object_get(m, "state")), state);
	json_decref(m);
}

/* the metadata file replaced by hand: what a crash at some step leaves */
static void set_meta(struct fx *f, const char *id, json_t *m)
{
	char *name = g_strdup_printf("msg/%s.json", id);
	char *p = path_in(f->dir, name);
	char *text = json_dumps(m, JSON_INDENT(2));

	write_file(p, text, 0600);
	free(text);
	g_free(p);
	g_free(name);
}

static int calls(struct fx *f)
{
	int n = 0;

	for (;; n++) {
		char *name = g_strdup_printf("call%d.args", n);
		char *p = path_in(f->tools, name);
		bool there = access(p, F_OK) == 0;

		g_free(p);
		g_free(name);
		if (!there)
			return n;
	}
}

static char *call_file(struct fx *f, int n, const char *ext, size_t *len)
{
	char *name = g_strdup_printf("call%d.%s", n, ext);
	char *p = path_in(f->tools, name);
	char *data = read_file(p, len);

	assert_non_null(data);
	g_free(p);
	g_free(name);
	return data;
}

/* the value of the X-Vigil-Release header that call n got on its stdin */
static char *release_header(struct fx *f, int n)
{
	char *in = call_file(f, n, "in", NULL);
	const char *pfx = "X-Vigil-Release: ";
	char *v;

	assert_true(strncmp(in, pfx, strlen(pfx)) == 0);
	v = g_strndup(in + strlen(pfx), strcspn(in + strlen(pfx), "\r\n"));
	g_free(in);
	return v;
}

static void key_of(struct fx *f, unsigned char key[32])
{
	char *p = path_in(f->dir, "release.key");
	struct stat st;
	size_t n = 0;
	char *k = read_file(p, &n);

	if (k == NULL) {
		fail_msg("no release.key");
		return;
	}
	assert_int_equal(n, 32);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	memcpy(key, k, 32);
	g_free(k);
	g_free(p);
}

static char *token(struct fx *f, const char *id)
{
	unsigned char key[32], mac[32];
	unsigned len = 32;
	char *out = g_malloc(65);

	key_of(f, key);
	HMAC(EVP_sha256(), key, 32, (const unsigned char *)id, 32, mac, &len);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", mac[i]);
	return out;
}

static const char *const *sendmail_argv(struct fx *f)
{
	static const char *argv[4];

	argv[0] = f->sendmail;
	argv[1] = "-C";
	argv[2] = "/etc/postfix-test";
	argv[3] = NULL;
	return argv;
}

static void set_exit(struct fx *f, const char *code)
{
	char *p = path_in(f->tools, "exit");

	if (code == NULL)
		unlink(p);
	else
		write_file(p, code, 0644);
	g_free(p);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	char *script;

	snprintf(f->dir, sizeof f->dir, "/tmp/vigil-quar-XXXXXX");
	snprintf(f->tools, sizeof f->tools, "/tmp/vigil-quar-tools-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_non_null(mkdtemp(f->tools));
	snprintf(f->sendmail, sizeof f->sendmail, "%s/sendmail", f->tools);
	script = g_strdup_printf(
	        "#!/bin/sh\n"
	        "D='%s'\n"
	        "n=0\n"
	        "while [ -e \"$D/call$n.args\" ]; do n=$((n+1)); done\n"
	        ": > \"$D/call$n.args\"\n"
	        "for a in \"$@\"; do printf '%%s\\n' \"$a\" >> \"$D/call$n.args\"; done\n"
	        "cat > \"$D/call$n.in\"\n"
	        "if [ -f \"$D/milter\" ]; then\n"
	        "  '%s' --milter-helper '%s' < \"$D/call$n.in\" >> \"$D/milter.out\"\n"
	        "fi\n"
	        "code=0\n"
	        "[ -f \"$D/exit\" ] && code=$(cat \"$D/exit\")\n"
	        "[ \"$code\" = 0 ] || echo 'fake sendmail: queue file write error' >&2\n"
	        "exit \"$code\"\n",
	        f->tools, self_exe, f->dir);
	write_file(f->sendmail, script, 0755);
	g_free(script);
	assert_int_equal(quar_open(f->dir, &f->q, NULL), QUAR_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	quar_close(f->q);
	rm_rf(f->dir);
	rm_rf(f->tools);
	free(f);
	return 0;
}

/* ---- tests ---- */

static void put_stores_exact_bytes_and_record(void **state)
{
	struct fx *f = *state;
	static const uint8_t bin[] = "From: a@b\r\n\r\n\x00\xff\xfe binary\r\n";
	uint8_t big[200000];
	char *rec = record_json(ID1, "sender@example.org", "[\"a@bhxh.example\"]", 0);
	char *rec2 = record_json(ID2, "", "[\"a@bhxh.example\"]", 0);
	char *p, *data, *err = NULL, *text = NULL;
	json_t *m, *want;
	unsigned char d[32];
	char hex[65];
	size_t len;
	struct stat st;
	int fd;

	assert_int_equal(quar_put(f->q, ID1, -1, bin, sizeof bin, rec, &err), QUAR_OK);
	p = path_in(f->dir, "msg/" ID1 ".eml");
	data = read_file(p, &len);
	assert_int_equal(len, sizeof bin);
	assert_memory_equal(data, bin, sizeof bin);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	g_free(data);
	g_free(p);
	p = quar_message_path(f->q, ID1);
	assert_non_null(p);
	assert_true(g_str_has_suffix(p, "/msg/" ID1 ".eml"));
	assert_true(g_str_has_prefix(p, f->dir));
	free(p);

	/* the metadata: state, size, digest, the record exactly as given */
	assert_int_equal(quar_get(f->q, ID1, &text, &err), QUAR_OK);
	m = json_loads(text, 0, NULL);
	want = json_loads(rec, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(m, "id")), ID1);
	assert_string_equal(json_string_value(json_object_get(m, "state")), "quarantined");
	assert_int_equal(json_integer_value(json_object_get(m, "size")), sizeof bin);
	EVP_Digest(bin, sizeof bin, d, NULL, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	assert_string_equal(json_string_value(json_object_get(m, "sha256")), hex);
	assert_true(json_equal(json_object_get(m, "record"), want));
	assert_string_equal(json_string_value(json_object_get(
	                            json_array_get(json_object_get(m, "history"), 0), "event")),
	                    "quarantined");
	assert_true(json_integer_value(json_object_get(m, "quarantined_ms")) > 1600000000000);
	json_decref(m);
	json_decref(want);
	free(text);

	/* from a descriptor: read from offset 0 whatever its position */
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (uint8_t)(i * 7 + (i >> 8));
	p = path_in(f->tools, "big.eml");
	fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, big, sizeof big), sizeof big);
	assert_int_equal(quar_put(f->q, ID2, fd, NULL, 0, rec2, &err), QUAR_OK);
	close(fd);
	g_free(p);
	p = path_in(f->dir, "msg/" ID2 ".eml");
	data = read_file(p, &len);
	assert_int_equal(len, sizeof big);
	assert_memory_equal(data, big, sizeof big);
	g_free(data);
	g_free(p);

	/* nothing else on disk: no tmp files */
	p = msg_names(f);
	assert_string_equal(p, ID1 ".eml," ID1 ".json," ID2 ".eml," ID2 ".json");
	g_free(p);

	/* the same id again is refused and changes nothing */
	assert_int_equal(quar_put(f->q, ID1, -1, (const uint8_t *)"other", 5, rec, &err),
	                 QUAR_ESTATE);
	assert_non_null(err);
	free(err);
	err = NULL;
	p = path_in(f->dir, "msg/" ID1 ".eml");
	data = read_file(p, &len);
	assert_int_equal(len, sizeof bin);
	g_free(data);
	g_free(p);

	/* a record that is not a JSON object: refused, nothing written */
	assert_int_equal(quar_put(f->q, ID3, -1, bin, sizeof bin, "[1,2]", NULL), QUAR_EINVAL);
	assert_int_equal(quar_put(f->q, ID3, -1, bin, sizeof bin, "{not json", NULL), QUAR_EINVAL);
	assert_int_equal(quar_get(f->q, ID3, &text, NULL), QUAR_ENOTFOUND);
	p = msg_names(f);
	assert_string_equal(p, ID1 ".eml," ID1 ".json," ID2 ".eml," ID2 ".json");
	g_free(p);
	g_free(rec);
	g_free(rec2);
}

static void invalid_ids_refused(void **state)
{
	struct fx *f = *state;
	static const char *const bad[] = {
	        "../x",
	        "../../../../../../tmp/vigil-escape",
	        "0123456789ABCDEF0123456789abcdef",  /* upper case */
	        "0123456789abcdef0123456789abcde",   /* 31 */
	        "0123456789abcdef0123456789abcdef0", /* 33 */
	        "",
	        "0123456789abcdef0123456789abcde/",
	        "..23456789abcdef0123456789abcdef",
	        "0123456789abcdef0123456789abcdeg",
	        " 123456789abcdef0123456789abcdef",
	};
	char *rec = record_json(ID1, "s@example.org", "[\"a@bhxh.example\"]", 0);
	char *text = NULL, *hdr, *p;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *err = NULL;

		assert_false(quar_id_valid(bad[i]));
		assert_int_equal(quar_put(f->q, bad[i], -1, (const uint8_t *)"x", 1, rec, &err),
		                 QUAR_EINVAL);
		assert_non_null(err);
		free(err);
		assert_int_equal(quar_get(f->q, bad[i], &text, NULL), QUAR_EINVAL);
		assert_null(text);
		assert_int_equal(quar_release(f->q, bad[i], sendmail_argv(f), "t", NULL),
		                 QUAR_EINVAL);
		assert_int_equal(quar_delete(f->q, bad[i], "t", NULL), QUAR_EINVAL);
		assert_null(quar_message_path(f->q, bad[i]));
		hdr = g_strdup_printf("%s %064d", bad[i], 0);
		assert_int_equal(quar_release_seen(f->q, hdr), QUAR_RELEASE_INVALID);
		g_free(hdr);
	}
	assert_false(quar_id_valid(NULL));
	assert_int_equal(quar_put(f->q, NULL, -1, (const uint8_t *)"x", 1, rec, NULL), QUAR_EINVAL);
	assert_true(quar_id_valid(ID1));
	/* nothing was created anywhere: not in the quarantine, not beside it */
	p = names(f->dir);
	assert_string_equal(p, "msg");
	g_free(p);
	p = msg_names(f);
	assert_string_equal(p, "");
	g_free(p);
	assert_int_equal(access("/tmp/vigil-escape.eml", F_OK), -1);
	assert_int_equal(calls(f), 0);
	g_free(rec);
}

struct seen_list {
	char ids[8][33];
	int n;
};

static void collect(const char *id, const char *meta_json, void *arg)
{
	struct seen_list *l = arg;
	json_t *m = json_loads(meta_json, 0, NULL);

	assert_non_null(m);
	assert_string_equal(json_string_value(json_object_get(m, "id")), id);
	json_decref(m);
	assert_true(l->n < 8);
	snprintf(l->ids[l->n++], 33, "%s", id);
}

static void list_newest_first(void **state)
{
	struct fx *f = *state;
	struct seen_list l = {0};
	struct timespec ts = {0, 5000000};
	char *p, *err = NULL;

	put_msg(f, ID3, MSG_LF);
	nanosleep(&ts, NULL);
	put_msg(f, ID1, MSG_LF);
	nanosleep(&ts, NULL);
	put_msg(f, ID2, MSG_LF);
	/* things that are not entries: ignored */
	p = path_in(f->dir, "msg/README");
	write_file(p, "notes\n", 0600);
	g_free(p);
	p = path_in(f->dir, "msg/" ID4 ".eml"); /* an .eml without metadata */
	write_file(p, MSG_LF, 0600);
	g_free(p);
	assert_int_equal(quar_list(f->q, collect, &l, &err), QUAR_OK);
	assert_null(err);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.ids[0], ID2);
	assert_string_equal(l.ids[1], ID1);
	assert_string_equal(l.ids[2], ID3);

	/* a damaged metadata file is reported, the others still listed */
	p = path_in(f->dir, "msg/" ID4 ".json");
	write_file(p, "{\"state\":", 0600);
	g_free(p);
	memset(&l, 0, sizeof l);
	assert_int_equal(quar_list(f->q, collect, &l, &err), QUAR_EIO);
	assert_non_null(err);
	assert_non_null(strstr(err, ID4 ".json"));
	free(err);
	assert_int_equal(l.n, 3);
}

static void release_runs_sendmail_with_envelope(void **state)
{
	struct fx *f = *state;
	char *args, *in, *tok, *want, *err = NULL;
	size_t len;
	json_t *m, *h;

	put_msg(f, ID1, MSG_CRLF);
	assert_int_equal(quar_release(f->q, ID1, sendmail_argv(f), "alice", &err), QUAR_OK);
	assert_null(err);
	assert_int_equal(calls(f), 1);
	/* argv: the configured prefix, then -G -i -f FROM -- RCPT... (no <>,
	 * and "--" keeps a recipient starting with '-' from being an option) */
	args = call_file(f, 0, "args", NULL);
	assert_string_equal(args, "-C\n/etc/postfix-test\n-G\n-i\n-f\nsender@example.org\n--\n"
	                          "a@bhxh.example\nb@bhxh.example\n-oi@evil.example\n");
	g_free(args);
	/* stdin: the release header (CRLF like the message), then the bytes */
	tok = token(f, ID1);
	want = g_strdup_printf("X-Vigil-Release: %s %s\r\n%s", ID1, tok, MSG_CRLF);
	in = call_file(f, 0, "in", &len);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(in, want, len);
	g_free(in);
	g_free(want);
	g_free(tok);

	m = meta(f, ID1);
	assert_string_equal(json_string_value(json_object_get(m, "state")), "released");
	assert_string_equal(json_string_value(json_object_get(m, "released_by")), "alice");
	assert_string_equal(json_string_value(json_object_get(m, "released_via")), "sendmail");
	assert_int_equal(json_integer_value(json_object_get(m, "release_attempts")), 1);
	assert_null(json_object_get(m, "milter_seen_ms"));
	h = json_object_get(m, "history");
	assert_int_equal(json_array_size(h), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(h, 1), "event")),
	                    "release-started");
	assert_string_equal(json_string_value(json_object_get(json_array_get(h, 2), "event")),
	                    "released");
	assert_string_equal(json_string_value(json_object_get(json_array_get(h, 2), "by")),
	                    "alice");
	json_decref(m);
	/* the bytes are kept after a release */
	in = quar_message_path(f->q, ID1);
	assert_non_null(in);
	free(in);

	/* a second release is refused without running sendmail */
	assert_int_equal(quar_release(f->q, ID1, sendmail_argv(f), "alice", &err), QUAR_ESTATE);
	assert_non_null(err);
	free(err);
	assert_int_equal(calls(f), 1);

	/* an LF message gets an LF header */
	put_msg(f, ID2, MSG_LF);
	assert_int_equal(quar_release(f->q, ID2, sendmail_argv(f), "alice", NULL), QUAR_OK);
	tok = token(f, ID2);
	want = g_strdup_printf("X-Vigil-Release: %s %s\n%s", ID2, tok, MSG_LF);
	in = call_file(f, 1, "in", &len);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(in, want, len);
	g_free(in);
	g_free(want);
	g_free(tok);
}

static void release_sendmail_failure_keeps_message(void **state)
{
	struct fx *f = *state;
	const char *missing[] = {"/nonexistent/sendmail", NULL};
	char *err = NULL, *p;
	json_t *m, *h;

	put_msg(f, ID1, MSG_CRLF);
	set_exit(f, "75");
	assert_int_equal(quar_release(f->q, ID1, sendmail_argv(f), "alice", &err), QUAR_ESENDMAIL);
	assert_non_null(err);
	assert_non_null(strstr(err, "exited with status 75"));
	assert_non_null(strstr(err, "fake sendmail: queue file write error"));
	free(err);
	err = NULL;
	m = meta(f, ID1);
	assert_string_equal(json_string_value(json_object_get(m, "state")), "quarantined");
	assert_non_null(strstr(json_string_value(json_object_get(m, "last_error")),
	                       "exited with status 75: fake sendmail: queue file write error"));
	h = json_object_get(m, "history");
	assert_string_equal(json_string_value(json_object_get(
	                            json_array_get(h, json_array_size(h) - 1), "event")),
	                    "release-failed");
	json_decref(m);
	p = quar_message_path(f->q, ID1);
	assert_non_null(p);
	free(p);

	/* a sendmail that cannot be run at all: the same */
	assert_int_equal(quar_release(f->q, ID1, missing, "alice", &err), QUAR_ESENDMAIL);
	assert_non_null(strstr(err, "cannot run /nonexistent/sendmail"));
	free(err);
	assert_state(f, ID1, "quarantined");

	/* once the cause is fixed the release goes through */
	set_exit(f, NULL);
	assert_int_equal(quar_release(f->q, ID1, sendmail_argv(f), "alice", NULL), QUAR_OK);
	assert_int_equal(calls(f), 2);
	m = meta(f, ID1);
	assert_string_equal(json_string_value(json_object_get(m, "state")), "released");
	assert_null(json_object_get(m, "last_error"));
	assert_int_equal(json_integer_value(json_object_get(m, "release_attempts")), 3);
	json_decref(m);
	assert_int_equal(quar_release(f->q, ID1, sendmail_argv(f), "alice", NULL), QUAR_ESTATE);
	assert_int_equal(calls(f), 2);
}

static void release_seen_first_then_duplicate(void **state)
{
	struct fx *f = *state;
	char *hdr, *spaced;
	json_t *m;

	put_msg(f, ID1, MSG_CRLF);
	assert_int_equal(quar_release(f->q, ID1, sendmail_argv(f), "alice", NULL), QUAR_OK);
	hdr = release_header(f, 0);
	/* released by sendmail's exit; the milter has not seen the copy yet,
	 * and the copy it then sees is the first */
	assert_int_equal(quar_release_seen(f->q, hdr), QUAR_RELEASE_FIRST);
	m = meta(f, ID1);
	assert_string_equal(json_string_value(json_object_get(m, "state")), "released");
	assert_true(json_integer_value(json_object_get(m, "milter_seen_ms")) > 0);
	json_decref(m);
	assert_int_equal(quar_release_seen(f->q, hdr), QUAR_RELEASE_DUPLICATE);
	/* the header as a milter may pass it: leading space, CRLF */
	spaced = g_strdup_printf(" %s\r\n", hdr);
	assert_int_equal(quar_release_seen(f->q, spaced), QUAR_RELEASE_DUPLICATE);
	m = meta(f, ID1);
	assert_int_equal(json_integer_value(json_object_get(m, "duplicates")), 2);
	json_decref(m);
	g_free(spaced);
	g_free(hdr);
}

static void release_seen_rejects_forgeries(void **state)
{
	struct fx *f = *state;
	char *hdr, *forged, *tok, *v;
	char big[2100];

	put_msg(f, ID1, MSG_CRLF);
	put_msg(f, ID2, MSG_CRLF);
	/* before any release there is no key: nothing can be genuine */
	v = g_strdup_printf("%s %064d", ID1, 0);
	assert_int_equal(quar_release_seen(f->q, v), QUAR_RELEASE_INVALID);
	g_free(v);

	assert_int_equal(quar_release(f->q, ID1, sendmail_argv(f), "alice", NULL), QUAR_OK);
	hdr = release_header(f, 0);
	/* one hex digit changed */
	forged = g_strdup(hdr);
	forged[strlen(forged) - 1] = forged[strlen(forged) - 1] == '0' ? '1' : '0';
	assert_int_equal(quar_release_seen(f->q, forged), QUAR_RELEASE_INVALID);
	/* upper-case hex of the genuine token */
	g_free(forged);
	forged = g_ascii_strup(hdr, -1);
	memcpy(forged, ID1, 32);
	assert_int_equal(quar_release_seen(f->q, forged), QUAR_RELEASE_INVALID);
	g_free(forged);
	/* a genuine token of an id that is not in the quarantine */
	tok = token(f, ID3);
	v = g_strdup_printf("%s %s", ID3, tok);
	assert_int_equal(quar_release_seen(f->q, v), QUAR_RELEASE_INVALID);
	g_free(v);
	g_free(tok);
	/* a genuine token of a message nobody released: scanned, state kept */
	tok = token(f, ID2);
	v = g_strdup_printf("%s %s", ID2, tok);
	assert_int_equal(quar_release_seen(f->q, v), QUAR_RELEASE_INVALID);
	assert_state(f, ID2, "quarantined");
	g_free(v);
	g_free(tok);
	/* garbage */
	assert_int_equal(quar_release_seen(f->q, NULL), QUAR_RELEASE_INVALID);
	assert_int_equal(quar_release_seen(f->q, ""), QUAR_RELEASE_INVALID);
	assert_int_equal(quar_release_seen(f->q, "x"), QUAR_RELEASE_INVALID);
	assert_int_equal(quar_release_seen(f->q, ID1), QUAR_RELEASE_INVALID);
	v = g_strdup_printf("%s extra", hdr);
	assert_int_equal(quar_release_seen(f->q, v), QUAR_RELEASE_INVALID);
	g_free(v);
	v = g_strndup(hdr, strlen(hdr) - 1);
	assert_int_equal(quar_release_seen(f->q, v), QUAR_RELEASE_INVALID);
	g_free(v);
	v = g_strdup_printf("%s%s", ID1, hdr + 32); /* no space: id and mac run together */
	memmove(v + 32, v + 33, strlen(v + 33) + 1);
	assert_int_equal(quar_release_seen(f->q, v), QUAR_RELEASE_INVALID);
	g_free(v);
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = 0;
	assert_int_equal(quar_release_seen(f->q, big), QUAR_RELEASE_INVALID);
	/* none of that touched the genuine one: it is still first */
	assert_int_equal(quar_release_seen(f->q, hdr), QUAR_RELEASE_FIRST);
	g_free(hdr);
}

static void milter_on_path_during_sendmail(void **state)
{
	struct fx *f = *state;
	char *p, *out;
	json_t *m;

	/* an MTA that passes the copy through the milter before sendmail
	 * exits: the milter (another process) must not wait for a lock the
	 * release holds, and its answer is FIRST */
	put_msg(f, ID1, MSG_CRLF);
	p = path_in(f->tools, "milter");
	write_file(p, "", 0644);
	g_free(p);
	assert_int_equal(quar_release(f->q, ID1, sendmail_argv(f), "alice", NULL), QUAR_OK);
	p = path_in(f->tools, "milter.out");
	out = read_file(p, NULL);
	assert_non_null(out);
	assert_string_equal(out, "0\n"); /* QUAR_RELEASE_FIRST */
	g_free(out);
	g_free(p);
	m = meta(f, ID1);
	assert_string_equal(json_string_value(json_object_get(m, "state")), "released");
	assert_string_equal(json_string_value(json_object_get(m, "released_via")), "vigil-milter");
	assert_string_equal(json_string_value(json_object_get(m, "released_by")), "alice");
	assert_true(json_integer_value(json_object_get(m, "milter_seen_ms")) > 0);
	json_decref(m);
	assert_int_equal(quar_release(f->q, ID1, sendmail_argv(f), "alice", NULL), QUAR_ESTATE);
	assert_int_equal(calls(f), 1);
}

static void sendmail_failed_but_queued(void **state)
{
	struct fx *f = *state;
	char *hdr, *p;
	json_t *m;

	/* sendmail queued the copy, then exited non-zero: the state goes back
	 * to quarantined, and when the copy reaches the milter it is the first
	 * (a release was started), and the message is released after all */
	put_msg(f, ID1, MSG_CRLF);
	set_exit(f, "1");
	assert_int_equal(quar_release(f->q, ID1, sendmail_argv(f), "alice", NULL), QUAR_ESENDMAIL);
	assert_state(f, ID1, "quarantined");
	hdr = release_header(f, 0);
	assert_int_equal(quar_release_seen(f->q, hdr), QUAR_RELEASE_FIRST);
	m = meta(f, ID1);
	assert_string_equal(json_string_value(json_object_get(m, "state")), "released");
	assert_string_equal(json_string_value(json_object_get(m, "released_via")), "vigil-milter");
	json_decref(m);
	assert_int_equal(quar_release(f->q, ID1, sendmail_argv(f), "alice", NULL), QUAR_ESTATE);
	assert_int_equal(calls(f), 1);
	g_free(hdr);

	/* the milter let the copy through while sendmail ran, then sendmail
	 * failed: the message was delivered, so the release succeeded */
	put_msg(f, ID2, MSG_CRLF);
	p = path_in(f->tools, "milter");
	write_file(p, "", 0644);
	g_free(p);
	assert_int_equal(quar_release(f->q, ID2, sendmail_argv(f), "alice", NULL), QUAR_OK);
	m = meta(f, ID2);
	assert_string_equal(json_string_value(json_object_get(m, "state")), "released");
	assert_string_equal(json_string_value(json_object_get(m, "released_by")), "alice");
	assert_non_null(strstr(json_string_value(json_object_get(m, "last_error")), "status 1"));
	json_decref(m);
}

struct racer {
	quar *q;
	const char *hdr;
	pthread_barrier_t *go;
	int ans;
};

static void *race_seen(void *arg)
{
	struct racer *r = arg;

	pthread_barrier_wait(r->go);
	r->ans = quar_release_seen(r->q, r->hdr);
	return NULL;
}

static void concurrent_copies_one_first(void **state)
{
	struct fx *f = *state;
	enum { N = 8 };
	pthread_t th[N];
	struct racer r[N];
	pthread_barrier_t go;
	quar *other = NULL;
	char *hdr;
	int first = 0, dup = 0;

	/* eight copies reach eight milter threads at once (half of them on
	 * a second handle, as a second milter process would): one is first */
	put_msg(f, ID1, MSG_CRLF);
	assert_int_equal(quar_release(f->q, ID1, sendmail_argv(f), "alice", NULL), QUAR_OK);
	hdr = release_header(f, 0);
	assert_int_equal(quar_open(f->dir, &other, NULL), QUAR_OK);
	pthread_barrier_init(&go, NULL, N);
	for (int i = 0; i < N; i++) {
		r[i] = (struct racer){.q = i % 2 ? other : f->q, .hdr = hdr, .go = &go, .ans = -1};
		assert_int_equal(pthread_create(&th[i], NULL, race_seen, &r[i]), 0);
	}
	for (int i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		first += r[i].ans == QUAR_RELEASE_FIRST;
		dup += r[i].ans == QUAR_RELEASE_DUPLICATE;
	}
	assert_int_equal(first, 1);
	assert_int_equal(dup, N - 1);
	pthread_barrier_destroy(&go);
	quar_close(other);
	g_free(hdr);
}

/* the metadata as step 1 of a release leaves it, before its outcome */
static void crash_in_releasing(struct fx *f, const char *id)
{
	json_t *m = meta(f, id);

	json_object_set_new(m, "state", json_string("releasing"));
	json_object_set_new(m, "release_attempts", json_integer(1));
	json_object_set_new(m, "release_started_ms", json_integer(1700000000000));
	json_object_del(m, "released_ms");
	json_object_del(m, "released_by");
	json_object_del(m, "released_via");
	set_meta(f, id, m);
	json_decref(m);
}

static void crash_then_retry_delivers_once(void **state)
{
	struct fx *f = *state;
	char *h0, *h1;
	json_t *m;

	/*
	 * A: the release handed a copy to the MTA (call 0), then died before
	 * recording the outcome. The retry sends a second copy; the MTA then
	 * passes both through the milter: one is delivered, one discarded.
	 */
	put_msg(f, ID1, MSG_CRLF);
	assert_int_equal(quar_release(f->q, ID1, sendmail_argv(f), "alice", NULL), QUAR_OK);
	crash_in_releasing(f, ID1);
	assert_int_equal(quar_release(f->q, ID1, sendmail_argv(f), "alice", NULL), QUAR_OK);
	assert_int_equal(calls(f), 2);
	h0 = release_header(f, 0);
	h1 = release_header(f, 1);
	assert_string_equal(h0, h1);
	assert_int_equal(quar_release_seen(f->q, h0), QUAR_RELEASE_FIRST);
	assert_int_equal(quar_release_seen(f->q, h1), QUAR_RELEASE_DUPLICATE);
	m = meta(f, ID1);
	assert_string_equal(json_string_value(json_object_get(m, "state")), "released");
	assert_int_equal(json_integer_value(json_object_get(m, "release_attempts")), 2);
	assert_int_equal(json_integer_value(json_object_get(m, "duplicates")), 1);
	json_decref(m);
	g_free(h0);
	g_free(h1);

	/*
	 * B: the copy of the dead release already went through the milter
	 * (the milter marked it released): the retry sends nothing.
	 */
	put_msg(f, ID2, MSG_CRLF);
	assert_int_equal(quar_release(f->q, ID2, sendmail_argv(f), "alice", NULL), QUAR_OK);
	crash_in_releasing(f, ID2);
	h0 = release_header(f, 2);
	assert_int_equal(quar_release_seen(f->q, h0), QUAR_RELEASE_FIRST);
	assert_state(f, ID2, "released");
	assert_int_equal(quar_release(f->q, ID2, sendmail_argv(f), "alice", NULL), QUAR_ESTATE);
	assert_int_equal(calls(f), 3);
	g_free(h0);

	/* C: died after step 1, before sendmail ran: the retry sends it once */
	put_msg(f, ID3, MSG_CRLF);
	crash_in_releasing(f, ID3);
	assert_int_equal(quar_release(f->q, ID3, sendmail_argv(f), "alice", NULL), QUAR_OK);
	assert_int_equal(calls(f), 4);
	h0 = release_header(f, 3);
	assert_int_equal(quar_release_seen(f->q, h0), QUAR_RELEASE_FIRST);
	assert_int_equal(quar_release_seen(f->q, h0), QUAR_RELEASE_DUPLICATE);
	g_free(h0);
}

static void concurrent_release_refused(void **state)
{
	struct fx *f = *state;
	char *p, *err = NULL;
	int fd;

	put_msg(f, ID1, MSG_CRLF);
	/* another release holds the message file */
	p = path_in(f->dir, "msg/" ID1 ".eml");
	fd = open(p, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	assert_int_equal(quar_release(f->q, ID1, sendmail_argv(f), "alice", &err), QUAR_ESTATE);
	assert_non_null(strstr(err, "running now"));
	free(err);
	assert_int_equal(calls(f), 0);
	assert_state(f, ID1, "quarantined");
	close(fd);
	g_free(p);
	assert_int_equal(quar_release(f->q, ID1, sendmail_argv(f), "alice", NULL), QUAR_OK);
}

static void delete_keeps_record(void **state)
{
	struct fx *f = *state;
	char *p, *err = NULL;
	json_t *m;

	put_msg(f, ID1, MSG_CRLF);
	assert_int_equal(quar_delete(f->q, ID1, "bob", &err), QUAR_OK);
	assert_null(err);
	p = msg_names(f);
	assert_string_equal(p, ID1 ".json");
	g_free(p);
	assert_null(quar_message_path(f->q, ID1));
	m = meta(f, ID1);
	assert_string_equal(json_string_value(json_object_get(m, "state")), "deleted");
	assert_string_equal(json_string_value(json_object_get(m, "deleted_by")), "bob");
	assert_string_equal(json_string_value(json_object_get(json_object_get(m, "record"), "uid")),
	                    ID1);
	json_decref(m);
	assert_int_equal(quar_delete(f->q, ID1, "bob", NULL), QUAR_ESTATE);
	assert_int_equal(quar_release(f->q, ID1, sendmail_argv(f), "bob", &err), QUAR_ESTATE);
	free(err);
	assert_int_equal(calls(f), 0);
	assert_int_equal(quar_delete(f->q, ID3, "bob", NULL), QUAR_ENOTFOUND);

	/* an unfinished release must be finished first */
	put_msg(f, ID2, MSG_CRLF);
	crash_in_releasing(f, ID2);
	assert_int_equal(quar_delete(f->q, ID2, "bob", NULL), QUAR_ESTATE);
	assert_int_equal(quar_release(f->q, ID2, sendmail_argv(f), "bob", NULL), QUAR_OK);
	/* a released message may be deleted */
	assert_int_equal(quar_delete(f->q, ID2, "bob", NULL), QUAR_OK);
	assert_state(f, ID2, "deleted");

	/* a delete that died between its steps is finished by the next */
	put_msg(f, ID3, MSG_CRLF);
	m = meta(f, ID3);
	json_object_set_new(m, "state", json_string("deleted"));
	set_meta(f, ID3, m);
	json_decref(m);
	assert_int_equal(quar_delete(f->q, ID3, "bob", NULL), QUAR_OK);
	assert_null(quar_message_path(f->q, ID3));
}

static void disk_full_leaves_nothing(void **state)
{
	struct fx *f = *state;
	struct rlimit old, lim;
	char big[65536], *rec, *p, *err = NULL;

	memset(big, 'x', sizeof big);
	memcpy(big, "Subject: big\n\n", 14);
	big[sizeof big - 1] = 0;
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;

	/* the message does not fit */
	lim.rlim_cur = 4096;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	rec = record_json(ID1, "s@example.org", "[\"a@bhxh.example\"]", 0);
	assert_int_equal(quar_put(f->q, ID1, -1, (const uint8_t *)big, strlen(big), rec, &err),
	                 QUAR_EIO);
	assert_non_null(err);
	free(err);
	err = NULL;
	g_free(rec);
	p = msg_names(f);
	assert_string_equal(p, "");
	g_free(p);

	/* the message fits, its metadata does not: the message is removed */
	rec = record_json(ID1, "s@example.org", "[\"a@bhxh.example\"]", 300);
	assert_true(strlen(rec) > 4096);
	assert_int_equal(
	        quar_put(f->q, ID1, -1, (const uint8_t *)MSG_LF, strlen(MSG_LF), rec, NULL),
	        QUAR_EIO);
	g_free(rec);
	p = msg_names(f);
	assert_string_equal(p, "");
	g_free(p);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);

	/* state changes that cannot be written change nothing */
	put_msg(f, ID1, MSG_CRLF);
	lim.rlim_cur = 512;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	assert_int_equal(quar_release(f->q, ID1, sendmail_argv(f), "a", &err), QUAR_EIO);
	free(err);
	assert_int_equal(quar_delete(f->q, ID1, "a", NULL), QUAR_EIO);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	assert_int_equal(calls(f), 0);
	assert_state(f, ID1, "quarantined");
	p = msg_names(f);
	assert_string_equal(p, ID1 ".eml," ID1 ".json");
	g_free(p);
}

static void key_must_be_private(void **state)
{
	struct fx *f = *state;
	char *p, *hdr, *err = NULL;

	put_msg(f, ID1, MSG_CRLF);
	put_msg(f, ID2, MSG_CRLF);
	assert_int_equal(quar_release(f->q, ID1, sendmail_argv(f), "a", NULL), QUAR_OK);
	hdr = release_header(f, 0);
	p = path_in(f->dir, "release.key");
	assert_int_equal(chmod(p, 0644), 0);
	/* a fresh handle (the first cached the key) refuses a readable key */
	quar_close(f->q);
	assert_int_equal(quar_open(f->dir, &f->q, NULL), QUAR_OK);
	assert_int_equal(quar_release_seen(f->q, hdr), QUAR_RELEASE_INVALID);
	assert_int_equal(quar_release(f->q, ID2, sendmail_argv(f), "a", &err), QUAR_EIO);
	assert_non_null(strstr(err, "chmod 600"));
	free(err);
	assert_int_equal(calls(f), 1);
	assert_int_equal(chmod(p, 0600), 0);
	assert_int_equal(quar_release_seen(f->q, hdr), QUAR_RELEASE_FIRST);
	g_free(p);
	g_free(hdr);
}

static void files_belong_to_the_directory_owner(void **state)
{
	struct fx *f = *state;
	struct stat st;
	char *p;

	if (geteuid() != 0)
		skip();
	/* the milter's user owns the quarantine; root's CLI must not take its
	 * files away from it */
	assert_int_equal(chown(f->dir, 65534, 65534), 0);
	quar_close(f->q);
	assert_int_equal(quar_open(f->dir, &f->q, NULL), QUAR_OK);
	put_msg(f, ID1, MSG_CRLF);
	assert_int_equal(quar_release(f->q, ID1, sendmail_argv(f), "root", NULL), QUAR_OK);
	p = path_in(f->dir, "msg/" ID1 ".json");
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_uid, 65534);
	g_free(p);
	p = path_in(f->dir, "msg/" ID1 ".eml");
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_uid, 65534);
	g_free(p);
	p = path_in(f->dir, "release.key");
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_uid, 65534);
	assert_int_equal(st.st_mode & 0777, 0600);
	g_free(p);
}

/* vigil-milter's part, in another process (see the module comment) */
static int milter_helper(const char *dir)
{
	static char buf[1 << 20];
	size_t n = fread(buf, 1, sizeof buf - 1, stdin);
	const char *pfx = "X-Vigil-Release:";
	quar *q = NULL;
	char *v;
	int ans;

	buf[n] = 0;
	if (strncmp(buf, pfx, strlen(pfx)) != 0 || quar_open(dir, &q, NULL) != QUAR_OK) {
		printf("no header\n");
		return 0;
	}
	v = g_strndup(buf + strlen(pfx), strcspn(buf + strlen(pfx), "\n"));
	ans = quar_release_seen(q, v);
	printf("%d\n", ans);
	g_free(v);
	quar_close(q);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(put_stores_exact_bytes_and_record, setup, teardown),
	        cmocka_unit_test_setup_teardown(invalid_ids_refused, setup, teardown),
	        cmocka_unit_test_setup_teardown(list_newest_first, setup, teardown),
	        cmocka_unit_test_setup_teardown(release_runs_sendmail_with_envelope, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(release_sendmail_failure_keeps_message, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(release_seen_first_then_duplicate, setup, teardown),
	        cmocka_unit_test_setup_teardown(release_seen_rejects_forgeries, setup, teardown),
	        cmocka_unit_test_setup_teardown(milter_on_path_during_sendmail, setup, teardown),
	        cmocka_unit_test_setup_teardown(sendmail_failed_but_queued, setup, teardown),
	        cmocka_unit_test_setup_teardown(crash_then_retry_delivers_once, setup, teardown),
	        cmocka_unit_test_setup_teardown(concurrent_copies_one_first, setup, teardown),
	        cmocka_unit_test_setup_teardown(concurrent_release_refused, setup, teardown),
	        cmocka_unit_test_setup_teardown(delete_keeps_record, setup, teardown),
	        cmocka_unit_test_setup_teardown(disk_full_leaves_nothing, setup, teardown),
	        cmocka_unit_test_setup_teardown(key_must_be_private, setup, teardown),
	        cmocka_unit_test_setup_teardown(files_belong_to_the_directory_owner, setup,
	                                        teardown),
	};
	ssize_t n;

	if (argc == 3 && strcmp(argv[1], "--milter-helper") == 0)
		return milter_helper(argv[2]);
	n = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
	if (n <= 0)
		return 1;
	self_exe[n] = 0;
	/* a write past RLIMIT_FSIZE must fail with EFBIG, not kill the test */
	signal(SIGXFSZ, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
