/* test_filetype.c - types come from bytes, for every format the engine knows. */
#include "testutil.h"

#include "engine/internal.h"

static const char *t(const void *p, size_t n)
{
	return ftype_detect(p, n, NULL);
}

#define T(bytes) t(bytes, sizeof(bytes) - 1)

static void magic_numbers(void **state)
{
	(void)state;
	assert_string_equal(t("", 0), "empty");
	assert_string_equal(T("PK\x03\x04\x14\0\0\0"), "zip");
	assert_string_equal(T("PK\x03\x04\x14\0\0\0\0\0[Content_Types].xml"), "ooxml");
	assert_string_equal(T("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0"), "ole2");
	assert_string_equal(T("7z\xBC\xAF\x27\x1C\0\x04"), "7z");
	assert_string_equal(T("Rar!\x1A\x07\x01\x00"), "rar");
	assert_string_equal(T("\x1F\x8B\x08\0"), "gzip");
	assert_string_equal(T("BZh91AY&SY"), "bzip2");
	assert_string_equal(T("\xFD"
	                      "7zXZ\0\0"),
	                    "xz");
	assert_string_equal(T("MSCF\0\0\0\0\x10"), "cab");
	assert_string_equal(T("\x78\x9F\x3E\x22\x01\x00"), "tnef");
	assert_string_equal(T("%PDF-1.7\n"), "pdf");
	assert_string_equal(T("{\\rtf1\\ansi"), "rtf");
	assert_string_equal(T("{\\rt\\ansi obfuscated header Word still opens"), "rtf");
	assert_string_equal(T("\x7F"
	                      "ELF\x02\x01"),
	                    "elf");
	assert_string_equal(T("GIF89a\x01\0"), "gif");
	assert_string_equal(T("\x89PNG\r\n\x1A\n\0"), "png");
	assert_string_equal(T("L\0\0\0\x01\x14\x02\0\0\0\0\0\xC0\0\0\0\0\0\0\x46\x9b"), "lnk");
}

static void pe_needs_a_pe_header(void **state)
{
	uint8_t pe[0x100] = {'M', 'Z'};

	(void)state;
	assert_string_equal(t(pe, sizeof pe), "mz");
	pe[0x3c] = 0x80;
	memcpy(pe + 0x80, "PE\0\0", 4);
	assert_string_equal(t(pe, sizeof pe), "pe");
	/* e_lfanew pointing past the end must not be followed */
	pe[0x3c] = 0xff;
	pe[0x3d] = 0xff;
	assert_string_equal(t(pe, sizeof pe), "mz");
}

static void tar_by_magic_and_checksum(void **state)
{
	uint8_t h[1024];
	unsigned sum = 0;

	(void)state;
	memset(h, 0, sizeof h);
	memcpy(h, "file.txt", 8);
	memcpy(h + 100, "0000644", 7);
	memcpy(h + 124, "00000000000", 11);
	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	assert_string_equal(t(h, sizeof h), "tar");
	h[0] = 'X'; /* checksum now wrong, no ustar magic */
	assert_string_not_equal(t(h, sizeof h), "tar");
}

static void text_kinds(void **state)
{
	(void)state;
	assert_string_equal(T("From: a@b.c\nTo: d@e.f\nSubject: hi\n\nbody\n"), "email");
	assert_string_equal(
	        T("From sender@x Mon Jan  1 00:00:00 2024\nReceived: by x\nFrom: a@b\n\nx"),
	        "email");
	assert_string_equal(T("Content-Type: text/plain\n\nbody"), "email");
	assert_string_equal(T("Dear colleague: the meeting is at 10.\nRegards\n"), "text");
	assert_string_equal(T("<!DOCTYPE html><html><body>x</body></html>"), "html");
	assert_string_equal(T("  <html><script>x</script>"), "html");
	assert_string_equal(T("<?xml version=\"1.0\"?><root/>"), "xml");
	assert_string_equal(T("(This file must be converted with BinHex 4.0)\n:abc:"), "binhex");
	assert_string_equal(T("\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f"), "binary");
}

/* A weak signature in the first bytes of a message (which the sender writes)
 * must not stop it being read as a message; the other reading is kept as a
 * polyglot. Before the fix, "%PDF-" in a Subject made the message a PDF and
 * its attachments were never unpacked. */
static void messages_win_over_weak_signatures(void **state)
{
	static const char pdfsubj[] = "From: a@b.example\nTo: c@d.example\n"
	                              "Subject: %PDF-1.7 report\n\nbody\n";
	static const char plain[] = "From: a@b.example\nTo: c@d.example\nSubject: hi\n\nbody\n";
	char tarmsg[1024];
	size_t n;

	(void)state;
	assert_string_equal(t(pdfsubj, sizeof pdfsubj - 1), "email");
	assert_string_equal(ftype_polyglot((const uint8_t *)pdfsubj, sizeof pdfsubj - 1, "email"),
	                    "pdf");
	assert_null(ftype_polyglot((const uint8_t *)plain, sizeof plain - 1, "email"));
	/* only messages get a second reading */
	assert_null(ftype_polyglot((const uint8_t *)pdfsubj, sizeof pdfsubj - 1, "text"));
	/* "ustar" at offset 257, inside a header field */
	n = (size_t)snprintf(tarmsg, sizeof tarmsg,
	                     "From: a@b.example\nTo: c@d.example\nSubject: ");
	memset(tarmsg + n, 'x', 257 - n);
	memcpy(tarmsg + 257, "ustar more\n\nbody\n", 18);
	assert_string_equal(t(tarmsg, 257 + 18), "email");
	assert_string_equal(ftype_polyglot((const uint8_t *)tarmsg, 257 + 18, "email"), "tar");
	/* a PDF header later than offset 0 in something that is not a message */
	assert_string_equal(T("garbage line\n%PDF-1.4\n1 0 obj"), "pdf");
}

static void type_names(void **state)
{
	(void)state;
	assert_true(vigil_type_known("email"));
	assert_true(vigil_type_known("zip"));
	assert_false(vigil_type_known("nonsense"));
	assert_false(vigil_type_known(NULL));
	assert_string_equal(ftype_known("pdf"), "pdf");
}

static void executables_and_containers(void **state)
{
	(void)state;
	assert_true(ftype_is_executable("pe"));
	assert_true(ftype_is_executable("lnk"));
	assert_false(ftype_is_executable("pdf"));
	assert_true(ftype_is_container("zip"));
	assert_true(ftype_is_container("email"));
	assert_false(ftype_is_container("png"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(magic_numbers),
	        cmocka_unit_test(pe_needs_a_pe_header),
	        cmocka_unit_test(tar_by_magic_and_checksum),
	        cmocka_unit_test(text_kinds),
	        cmocka_unit_test(executables_and_containers),
	        cmocka_unit_test(messages_win_over_weak_signatures),
	        cmocka_unit_test(type_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
