/*
 * test_mime.c - the MIME extractor where it departs from GMime's own reading:
 * raw bytes of encapsulated messages, IMAP section numbers, and the parts that
 * lenient readers and IMAP servers show but GMime alone would not find.
 */
#include "testutil.h"

/* the object with this MIME section, or NULL */
static const vigil_object *by_part(const vigil_scan *s, const char *part)
{
	for (size_t i = 0; i < vigil_scan_object_count(s); i++) {
		const vigil_object *o = vigil_scan_object(s, i);
		const char *p = vigil_object_part(o);

		if (p != NULL && strcmp(p, part) == 0)
			return o;
	}
	return NULL;
}

static void assert_bytes(const vigil_object *o, const char *want)
{
	size_t len;
	const uint8_t *d;

	assert_non_null(o);
	d = vigil_object_data(o, &len);
	if (len != strlen(want) || (len > 0 && memcmp(d, want, len) != 0)) {
		fprintf(stderr, "got %zu bytes: %.*s\nwant %zu bytes: %s\n", len, (int)len,
		        (const char *)d, strlen(want), want);
		fail();
	}
}

static vigil_scan *scan(vigil_engine *e, const char *m)
{
	return tu_scan(e, m, strlen(m), "t.eml");
}

static void encapsulated_message_keeps_its_bytes(void **state)
{
	vigil_engine *e = tu_engine(NULL, NULL);
	const char *inner = "From: x@example.org\r\nSubject: inner\r\n"
	                    "Content-Type: text/plain\r\n"
	                    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	                    "line one=\r\n continued\r\nline two\r\n";
	char *m = g_strdup_printf("From: a@example.org\r\nTo: b@example.org\r\n"
	                          "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
	                          "--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
	                          "--b\r\nContent-Type: message/rfc822\r\n\r\n%s\r\n--b--\r\n",
	                          inner);
	vigil_scan *s = scan(e, m);

	(void)state;
	/* the bytes as they stand, CRLF and all; the CRLF before the
	 * boundary belongs to the boundary */
	assert_bytes(by_part(s, "2"), inner);
	assert_string_equal(vigil_object_type(by_part(s, "2")), "email");
	assert_bytes(by_part(s, "2.1"), "line one continued\r\nline two\r\n");
	vigil_scan_free(s);
	g_free(m);
	vigil_engine_unref(e);
}

static void empty_part_keeps_section_numbers(void **state)
{
	vigil_engine *e = tu_engine(NULL, NULL);
	vigil_scan *s = scan(e, "From: a@example.org\nTo: b@example.org\n"
	                        "Content-Type: multipart/mixed; boundary=\"b\"\n\n"
	                        "--b\n--b\nContent-Type: text/html\n\n<p>hi</p>\n"
	                        "--b\nContent-Type: text/plain\n\nbye\n--b--\n");

	(void)state;
	/* GMime drops the empty first part; an IMAP server numbers it */
	assert_bytes(by_part(s, "1"), "");
	assert_string_equal(vigil_object_content_type(by_part(s, "2")), "text/html");
	assert_bytes(by_part(s, "2"), "<p>hi</p>");
	assert_bytes(by_part(s, "3"), "bye");
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

static void first_content_type_wins(void **state)
{
	vigil_engine *e = tu_engine(NULL, NULL);
	vigil_scan *s = scan(e, "From: a@example.org\nTo: b@example.org\n"
	                        "Content-Type: multipart/mixed; boundary=\"b\"\n\n"
	                        "--b\nContent-Type: application/octet-stream; name=\"a.bin\"\n"
	                        "Content-Type: text/plain\n\npayload\n--b--\n");
	const vigil_object *o = by_part(s, "1");

	(void)state;
	assert_non_null(o);
	assert_string_equal(vigil_object_content_type(o), "application/octet-stream");
	assert_true(tu_finding(s, "mime.conflicting_header") >= 0);
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

static void from_line_in_body_does_not_end_message(void **state)
{
	vigil_engine *e = tu_engine(NULL, NULL);
	vigil_scan *s = scan(e, "From sender@example.org Mon Jan  1 00:00:00 2024\n"
	                        "From: a@example.org\nTo: b@example.org\nSubject: s\n\n"
	                        "first\n\nFrom here on it is hidden\nhttp://evil.example/x\n");

	(void)state;
	assert_bytes(by_part(s, "1"),
	             "first\n\nFrom here on it is hidden\nhttp://evil.example/x\n");
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

static void boundary_without_semicolon_is_found(void **state)
{
	vigil_engine *e = tu_engine(NULL, NULL);
	vigil_scan *s = scan(e, "From: a@example.org\r\nTo: b@example.org\r\n"
	                        "Content-Type: multipart/mixed\r\n\tboundary=\"zz\"\r\n\r\n"
	                        "--zz\r\nContent-Type: application/octet-stream\r\n"
	                        "Content-Transfer-Encoding: base64\r\n\r\n"
	                        "aGVsbG8gd29ybGQK\r\n--zz--\r\n");

	(void)state;
	assert_bytes(by_part(s, "1"), "hello world\n");
	assert_true(tu_finding(s, "mime.multipart_without_boundary") >= 0);
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

static void boundary_line_with_trailing_text(void **state)
{
	vigil_engine *e = tu_engine(NULL, NULL);
	vigil_scan *s = scan(e, "From: a@example.org\nTo: b@example.org\n"
	                        "Content-Type: multipart/mixed; boundary=\"b\"\n\n"
	                        "--bXYZ\nContent-Type: text/plain\n\nseen\n--b--junk\n");

	(void)state;
	/* a boundary followed by text is a boundary for Dovecot */
	assert_bytes(by_part(s, "1"), "seen");
	assert_true(tu_finding(s, "mime.malformed_multipart") >= 0);
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

static void multipart_without_parts_is_scanned(void **state)
{
	vigil_engine *e = tu_engine(NULL, NULL);
	vigil_scan *s = scan(e, "From: a@example.org\nTo: b@example.org\n"
	                        "Content-Type: multipart/mixed; boundary=\"never\"\n\n"
	                        "click http://evil.example/login\n");

	(void)state;
	assert_bytes(by_part(s, "1"), "click http://evil.example/login\n");
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

static void rfc822_part_that_is_no_message(void **state)
{
	vigil_engine *e = tu_engine(NULL, NULL);
	vigil_scan *s = scan(e, "From: a@example.org\nTo: b@example.org\n"
	                        "Content-Type: multipart/mixed; boundary=\"b\"\n\n"
	                        "--b\nContent-Type: message/rfc822\n\n"
	                        "not a message at all\nsecond line\n--b--\n");

	(void)state;
	assert_bytes(by_part(s, "1"), "not a message at all\nsecond line");
	assert_bytes(by_part(s, "1.1"), "not a message at all\nsecond line");
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

static void nul_in_body_is_still_a_message(void **state)
{
	vigil_engine *e = tu_engine(NULL, NULL);
	static const char m[] = "From: a@example.org\nTo: b@example.org\n"
	                        "Content-Type: text/plain; charset=utf-16le\n\n"
	                        "h\0i\0\n\0";
	vigil_scan *s = tu_scan(e, m, sizeof m - 1, "t.eml");

	(void)state;
	assert_string_equal(vigil_object_type(vigil_scan_object(s, 0)), "email");
	assert_non_null(by_part(s, "1"));
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

static void closing_boundary_at_end_without_line_break(void **state)
{
	vigil_engine *e = tu_engine(NULL, NULL);
	vigil_scan *s = scan(e, "From: a@example.org\r\nTo: b@example.org\r\n"
	                        "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
	                        "--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b--");

	(void)state;
	/* GMime alone leaves "hello\r" */
	assert_bytes(by_part(s, "1"), "hello");
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

static void nested_multipart_reusing_outer_boundary(void **state)
{
	vigil_engine *e = tu_engine(NULL, NULL);
	vigil_scan *s =
	        scan(e, "From: a@example.org\nTo: b@example.org\n"
	                "Content-Type: multipart/mixed; boundary=\"abc\"\n\n"
	                "--abc\nContent-Type: message/rfc822\n\n"
	                "From: x@y.example\nContent-Type: multipart/mixed; boundary=\"abc\"\n\n"
	                "--abc\nContent-Type: text/plain\n\ninner\n"
	                "--abc\nContent-Type: application/octet-stream; name=\"e.bin\"\n\n"
	                "MZ payload\n--abc--\n\n--abc--\n");

	(void)state;
	/* the encapsulated message is not cut at its own first boundary */
	assert_bytes(by_part(s, "1.1"), "inner");
	assert_bytes(by_part(s, "1.2"), "MZ payload");
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(encapsulated_message_keeps_its_bytes),
	        cmocka_unit_test(empty_part_keeps_section_numbers),
	        cmocka_unit_test(first_content_type_wins),
	        cmocka_unit_test(from_line_in_body_does_not_end_message),
	        cmocka_unit_test(boundary_without_semicolon_is_found),
	        cmocka_unit_test(boundary_line_with_trailing_text),
	        cmocka_unit_test(multipart_without_parts_is_scanned),
	        cmocka_unit_test(rfc822_part_that_is_no_message),
	        cmocka_unit_test(nul_in_body_is_still_a_message),
	        cmocka_unit_test(closing_boundary_at_end_without_line_break),
	        cmocka_unit_test(nested_multipart_reusing_outer_boundary),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
