/* test_scan.c - the engine's public API: tree, findings, verdict, limits. */
#include <pthread.h>
#include <unistd.h>

#include "testutil.h"

#include "engine/internal.h"

static const char eicar[] = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

static const char rules[] =
        "rule EICAR_Test { meta: severity = \"critical\" strings: $a = "
        "\"EICAR-STANDARD-ANTIVIRUS-TEST-FILE\" condition: $a }\n"
        "rule Weak_Word { strings: $a = \"weakword\" condition: $a }\n"
        "rule Type_Is_Text { condition: vigil_type == \"text\" and vigil_depth > 0 "
        "and vigil_name == \"note.txt\" }\n";

static char *b64(const char *s)
{
	return g_base64_encode((const guchar *)s, strlen(s));
}

static char *message_with_attachment(const char *name, const char *content)
{
	char *enc = b64(content);
	char *m = g_strdup_printf(
	        "From: Sender <sender@example.org>\r\n"
	        "To: staff@agency.example\r\n"
	        "Subject: =?UTF-8?B?Q8O0bmcgdsSDbg==?=\r\n"
	        "Message-ID: <abc@example.org>\r\n"
	        "MIME-Version: 1.0\r\n"
	        "Content-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n"
	        "--XX\r\nContent-Type: text/plain\r\n\r\nSee http://evil.example.net/x?a=1 now.\r\n"
	        "--XX\r\nContent-Type: application/octet-stream; name=\"%s\"\r\n"
	        "Content-Disposition: attachment; filename=\"%s\"\r\n"
	        "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--XX--\r\n",
	        name, name, enc);
	g_free(enc);
	return m;
}

static void tree_paths_hashes_and_facts(void **state)
{
	vigil_engine *e = tu_engine(rules, NULL);
	char *m = message_with_attachment("note.txt", "hello weakword");
	vigil_scan *s = tu_scan_str(e, m);
	const vigil_object *root = vigil_scan_object(s, 0), *att;
	size_t len;
	const uint8_t *d;

	(void)state;
	assert_string_equal(vigil_object_path(root), "msg");
	assert_string_equal(vigil_object_type(root), "email");
	assert_int_equal(vigil_object_parent(root), SIZE_MAX);
	att = tu_object(s, "msg/2:note.txt");
	assert_non_null(att);
	assert_string_equal(vigil_object_part(att), "2");
	assert_string_equal(vigil_object_name(att), "note.txt");
	assert_int_equal(vigil_object_depth(att), 1);
	d = vigil_object_data(att, &len);
	assert_int_equal(len, 14);
	assert_memory_equal(d, "hello weakword", 14);
	/* sha256("hello weakword") computed independently */
	{
		char *want = g_compute_checksum_for_string(G_CHECKSUM_SHA256, "hello weakword", -1);

		assert_string_equal(vigil_object_sha256(att), want);
		g_free(want);
	}
	assert_true(tu_finding(s, "yara.Weak_Word") >= 0);
	assert_true(tu_finding(s, "yara.Type_Is_Text") >= 0);
	assert_string_equal(tu_finding_path(s, tu_finding(s, "yara.Weak_Word")), "msg/2:note.txt");
	/* a medium rule alone: suspicious, not malicious */
	assert_int_equal(vigil_scan_verdict(s), VIGIL_SUSPICIOUS);
	assert_string_equal(vigil_scan_fact(s, VIGIL_FACT_FROM, 0), "sender@example.org");
	assert_string_equal(vigil_scan_fact(s, VIGIL_FACT_SUBJECT, 0), "Công văn");
	assert_string_equal(vigil_scan_fact(s, VIGIL_FACT_MESSAGE_ID, 0), "abc@example.org");
	assert_string_equal(vigil_scan_fact(s, VIGIL_FACT_URL, 0), "http://evil.example.net/x?a=1");
	assert_string_equal(vigil_scan_fact(s, VIGIL_FACT_DOMAIN, 0), "evil.example.net");
	vigil_scan_free(s);
	g_free(m);
	vigil_engine_unref(e);
}

static void eicar_in_attachment_is_malicious(void **state)
{
	vigil_engine *e = tu_engine(rules, NULL);
	char *m = message_with_attachment("report.pdf.exe", eicar);
	vigil_scan *s = tu_scan_str(e, m);
	long f = tu_finding(s, "yara.EICAR_Test");

	(void)state;
	assert_true(f >= 0);
	assert_string_equal(tu_finding_path(s, f), "msg/2:report.pdf.exe");
	assert_true(tu_finding(s, "name.double_extension") >= 0);
	assert_int_equal(vigil_scan_verdict(s), VIGIL_MALICIOUS);
	assert_int_equal(vigil_scan_score(s), 100);
	vigil_scan_free(s);
	g_free(m);
	vigil_engine_unref(e);
}

/* The sender writes the first bytes of a message: "%PDF-" in the Subject or
 * "ustar" at offset 257 used to make vigil read the message as a PDF or a tar
 * and never unpack the attachment (EICAR came out clean). */
static void weak_signature_in_headers_does_not_hide_attachment(void **state)
{
	vigil_engine *e = tu_engine(rules, NULL);
	char *m = message_with_attachment("x.bin", eicar);
	char *pdf = g_strdup_printf("Subject: %%PDF-1.7 invoice\r\n%s", m);
	char *tar;
	vigil_scan *s;

	(void)state;
	s = tu_scan_str(e, pdf);
	assert_string_equal(vigil_object_type(vigil_scan_object(s, 0)), "email");
	assert_true(tu_finding(s, "yara.EICAR_Test") >= 0);
	assert_true(tu_finding(s, "content.polyglot") >= 0);
	assert_int_equal(vigil_scan_verdict(s), VIGIL_MALICIOUS);
	vigil_scan_free(s);

	tar = g_strdup_printf("X-Pad: %0*d\r\n%s", 300, 0, m); /* 257 lies in the pad */
	memcpy(tar + 257, "ustar", 5);
	s = tu_scan_str(e, tar);
	assert_string_equal(vigil_object_type(vigil_scan_object(s, 0)), "email");
	assert_true(tu_finding(s, "yara.EICAR_Test") >= 0);
	assert_true(tu_finding(s, "content.polyglot") >= 0);
	assert_int_equal(vigil_scan_verdict(s), VIGIL_MALICIOUS);
	vigil_scan_free(s);

	/* the caller may say what the input is: a gateway always scans mail */
	s = vigil_scan_new(e, 0);
	assert_int_equal(vigil_scan_set_type(s, "nonsense"), VIGIL_EINVAL);
	assert_int_equal(vigil_scan_set_type(s, "email"), VIGIL_OK);
	assert_int_equal(vigil_scan_buffer(s, "plain words, no headers", 23, NULL), VIGIL_OK);
	assert_string_equal(vigil_object_type(vigil_scan_object(s, 0)), "email");
	vigil_scan_free(s);
	g_free(tar);
	g_free(pdf);
	g_free(m);
	vigil_engine_unref(e);
}

static void clean_message_is_clean(void **state)
{
	vigil_engine *e = tu_engine(rules, NULL);
	vigil_scan *s = tu_scan_str(e, "From: a@b.example\nTo: c@d.example\nSubject: lunch\n\n"
	                               "See you at noon.\n");

	(void)state;
	assert_int_equal(vigil_scan_verdict(s), VIGIL_CLEAN);
	assert_int_equal(vigil_scan_score(s), 0);
	assert_int_equal(vigil_scan_object_count(s), 2);
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

static void severity_override_applies(void **state)
{
	vigil_config *cfg = vigil_config_new();
	vigil_engine *e = NULL;
	vigil_scan *s;
	const vigil_finding *f;

	(void)state;
	vigil_config_add_rules_text(cfg, "t", rules);
	vigil_config_set_rule_severity(cfg, "Weak_*", VIGIL_SEV_INFO);
	assert_int_equal(vigil_engine_new(cfg, &e, NULL), VIGIL_OK);
	s = tu_scan_str(e, "plain text with weakword inside");
	f = vigil_scan_finding(s, (size_t)tu_finding(s, "yara.Weak_Word"));
	assert_int_equal(vigil_finding_severity(f), VIGIL_SEV_INFO);
	assert_int_equal(vigil_scan_verdict(s), VIGIL_CLEAN);
	vigil_scan_free(s);
	vigil_engine_unref(e);
	vigil_config_free(cfg);
}

static void bad_rules_fail_with_message(void **state)
{
	vigil_config *cfg = vigil_config_new();
	vigil_engine *e = NULL;
	char *err = NULL;

	(void)state;
	vigil_config_add_rules_text(cfg, "broken", "rule x { condition: nosuchthing }");
	assert_int_equal(vigil_engine_new(cfg, &e, &err), VIGIL_ERULES);
	assert_null(e);
	assert_non_null(err);
	assert_non_null(strstr(err, "nosuchthing"));
	vigil_free(err);
	vigil_config_free(cfg);
}

/* message/rfc822 nested n times */
static GString *nested_messages(int n)
{
	GString *g = g_string_new("From: x@y.example\nSubject: inner\n\nthe core\n");

	for (int i = 0; i < n; i++) {
		GString *outer = g_string_new(NULL);

		g_string_append_printf(outer,
		                       "From: x@y.example\nSubject: level %d\n"
		                       "Content-Type: message/rfc822\n\n",
		                       i);
		g_string_append_len(outer, g->str, (gssize)g->len);
		g_string_free(g, TRUE);
		g = outer;
	}
	return g;
}

static void depth_limit_is_a_finding(void **state)
{
	vigil_config *cfg = vigil_config_new();
	vigil_engine *e = NULL;
	GString *m = nested_messages(12);
	vigil_scan *s;
	long f;

	(void)state;
	vigil_config_set_limit(cfg, VIGIL_LIMIT_DEPTH, 5);
	assert_int_equal(vigil_engine_new(cfg, &e, NULL), VIGIL_OK);
	s = tu_scan(e, m->str, m->len, NULL);
	f = tu_finding(s, "limit.depth");
	assert_true(f >= 0);
	for (size_t i = 0; i < vigil_scan_object_count(s); i++)
		assert_true(vigil_object_depth(vigil_scan_object(s, i)) <= 5);
	assert_int_equal(vigil_scan_verdict(s), VIGIL_SUSPICIOUS);
	vigil_scan_free(s);
	g_string_free(m, TRUE);
	vigil_engine_unref(e);
	vigil_config_free(cfg);
}

static void object_limit_stops_the_scan(void **state)
{
	vigil_config *cfg = vigil_config_new();
	vigil_engine *e = NULL;
	GString *m =
	        g_string_new("From: a@b.example\nContent-Type: multipart/mixed; boundary=b\n\n");
	vigil_scan *s;

	(void)state;
	for (int i = 0; i < 100; i++)
		g_string_append_printf(m, "--b\nContent-Type: text/plain\n\npart %d\n", i);
	g_string_append(m, "--b--\n");
	vigil_config_set_limit(cfg, VIGIL_LIMIT_OBJECTS, 10);
	assert_int_equal(vigil_engine_new(cfg, &e, NULL), VIGIL_OK);
	s = tu_scan(e, m->str, m->len, NULL);
	assert_int_equal(vigil_scan_object_count(s), 10);
	assert_true(tu_finding(s, "limit.objects") >= 0);
	assert_int_not_equal(vigil_scan_verdict(s), VIGIL_CLEAN);
	vigil_scan_free(s);
	g_string_free(m, TRUE);
	vigil_engine_unref(e);
	vigil_config_free(cfg);
}

static void root_larger_than_object_limit(void **state)
{
	vigil_config *cfg = vigil_config_new();
	vigil_engine *e = NULL;
	char big[5000];
	vigil_scan *s;

	(void)state;
	memset(big, 'a', sizeof big);
	vigil_config_set_limit(cfg, VIGIL_LIMIT_OBJECT_BYTES, 1000);
	assert_int_equal(vigil_engine_new(cfg, &e, NULL), VIGIL_OK);
	s = tu_scan(e, big, sizeof big, "big.txt");
	assert_true(tu_finding(s, "limit.object_bytes") >= 0);
	assert_true(vigil_object_flags(vigil_scan_object(s, 0)) & VIGIL_OBJ_TRUNCATED);
	assert_int_equal(vigil_object_size(vigil_scan_object(s, 0)), 5000);
	assert_int_equal(vigil_scan_verdict(s), VIGIL_SUSPICIOUS);
	vigil_scan_free(s);
	vigil_engine_unref(e);
	vigil_config_free(cfg);
}

static void scan_fd_reads_everything(void **state)
{
	vigil_engine *e = tu_engine(rules, NULL);
	int fds[2];
	vigil_scan *s = vigil_scan_new(e, 0);

	(void)state;
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], eicar, sizeof eicar - 1), (ssize_t)(sizeof eicar - 1));
	close(fds[1]);
	assert_int_equal(vigil_scan_fd(s, fds[0], "pipe"), VIGIL_OK);
	close(fds[0]);
	assert_int_equal(vigil_scan_verdict(s), VIGIL_MALICIOUS);
	assert_int_equal(vigil_object_size(vigil_scan_object(s, 0)), sizeof eicar - 1);
	/* without KEEP_DATA the bytes are gone after the scan */
	{
		size_t len = 1;

		assert_null(vigil_object_data(vigil_scan_object(s, 0), &len));
		assert_int_equal(len, 0);
	}
	assert_int_equal(vigil_scan_buffer(s, "x", 1, NULL), VIGIL_ESTATE);
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

struct thread_arg {
	vigil_engine *e;
	const char *msg;
	int verdicts[50];
	char sha[50][65];
};

static void *thread_scan(void *p)
{
	struct thread_arg *a = p;

	for (int i = 0; i < 50; i++) {
		vigil_scan *s = vigil_scan_new(a->e, 0);

		vigil_scan_buffer(s, a->msg, strlen(a->msg), NULL);
		a->verdicts[i] = (int)vigil_scan_verdict(s);
		memcpy(a->sha[i], vigil_object_sha256(vigil_scan_object(s, 1)), 65);
		vigil_scan_free(s);
	}
	return NULL;
}

static void threads_share_one_engine(void **state)
{
	vigil_engine *e = tu_engine(rules, NULL);
	char *m = message_with_attachment("x.bin", eicar);
	struct thread_arg a[4];
	pthread_t t[4];

	(void)state;
	for (int i = 0; i < 4; i++) {
		a[i].e = e;
		a[i].msg = m;
		pthread_create(&t[i], NULL, thread_scan, &a[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		for (int k = 0; k < 50; k++) {
			assert_int_equal(a[i].verdicts[k], VIGIL_MALICIOUS);
			assert_string_equal(a[i].sha[k], a[0].sha[0]);
		}
	}
	g_free(m);
	vigil_engine_unref(e);
}

static void engine_outlives_caller_reference(void **state)
{
	vigil_engine *e = tu_engine(rules, NULL);
	vigil_scan *s = vigil_scan_new(e, 0);

	(void)state;
	vigil_engine_unref(e); /* the scan still holds one */
	assert_int_equal(vigil_scan_buffer(s, eicar, sizeof eicar - 1, NULL), VIGIL_OK);
	assert_int_equal(vigil_scan_verdict(s), VIGIL_MALICIOUS);
	vigil_scan_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(tree_paths_hashes_and_facts),
	        cmocka_unit_test(eicar_in_attachment_is_malicious),
	        cmocka_unit_test(clean_message_is_clean),
	        cmocka_unit_test(weak_signature_in_headers_does_not_hide_attachment),
	        cmocka_unit_test(severity_override_applies),
	        cmocka_unit_test(bad_rules_fail_with_message),
	        cmocka_unit_test(depth_limit_is_a_finding),
	        cmocka_unit_test(object_limit_stops_the_scan),
	        cmocka_unit_test(root_larger_than_object_limit),
	        cmocka_unit_test(scan_fd_reads_everything),
	        cmocka_unit_test(threads_share_one_engine),
	        cmocka_unit_test(engine_outlives_caller_reference),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
