/*
 * test_drill_marker.c - the drill key, marker and tokens (src/drill/marker.c):
 * sign and verify, every kind of tampering, the strict grammar on malformed
 * headers, key files (create with O_EXCL and 0600, load), tokens.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "drill/drill.h"

static const uint8_t key[DRILL_KEY_LEN] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                           12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                           23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
static const char token[] = "abcdefghijklmnopqrstuvwxyz";

static void test_sign_verify(void **state)
{
	char hdr[DRILL_MARKER_MAX], sig[DRILL_SIG_HEX + 1], sig2[DRILL_SIG_HEX + 1];
	uint8_t other[DRILL_KEY_LEN];

	(void)state;
	assert_int_equal(drill_sign(key, "2026-MB-1", token, sig), DRILL_OK);
	assert_int_equal(strlen(sig), DRILL_SIG_HEX);
	/* deterministic, and depends on both ref and token */
	assert_int_equal(drill_sign(key, "2026-MB-1", token, sig2), DRILL_OK);
	assert_string_equal(sig, sig2);
	assert_int_equal(drill_sign(key, "2026-MB-2", token, sig2), DRILL_OK);
	assert_string_not_equal(sig, sig2);

	assert_int_equal(drill_marker_format(key, "2026-MB-1", token, hdr), DRILL_OK);
	assert_true(g_str_has_prefix(hdr, "v=1; r=2026-MB-1; t=abcdefghijklmnopqrstuvwxyz; s="));
	assert_int_equal(drill_marker_verify(key, hdr), DRILL_OK);

	/* another key */
	memcpy(other, key, sizeof other);
	other[31] ^= 1;
	assert_int_equal(drill_marker_verify(other, hdr), DRILL_EBADSIG);

	/* folding and surrounding blanks survive transport */
	{
		char *folded = g_strdup_printf(" \t%s\r\n", hdr);

		assert_int_equal(drill_marker_verify(key, folded), DRILL_OK);
		g_free(folded);
	}
	/* invalid inputs to sign */
	assert_int_equal(drill_sign(key, "bad ref", token, sig), DRILL_EINVAL);
	assert_string_equal(sig, "");
	assert_int_equal(drill_sign(key, "r", "short", sig), DRILL_EINVAL);
}

/* flip every character of a valid marker: none may verify */
static void test_tamper(void **state)
{
	char hdr[DRILL_MARKER_MAX];
	size_t n;

	(void)state;
	assert_int_equal(drill_marker_format(key, "R-7", token, hdr), DRILL_OK);
	n = strlen(hdr);
	for (size_t i = 0; i < n; i++) {
		char t[DRILL_MARKER_MAX];

		memcpy(t, hdr, n + 1);
		t[i] = t[i] == 'a' ? 'b' : (t[i] == '1' ? '2' : 'a');
		assert_int_not_equal(drill_marker_verify(key, t), DRILL_OK);
	}
	/* moved between rounds or recipients: the signature no longer fits */
	{
		char sig[DRILL_SIG_HEX + 1], *moved;

		assert_int_equal(drill_sign(key, "R-7", token, sig), DRILL_OK);
		moved = g_strdup_printf("v=1; r=R-8; t=%s; s=%s", token, sig);
		assert_int_equal(drill_marker_verify(key, moved), DRILL_EBADSIG);
		g_free(moved);
		moved = g_strdup_printf("v=1; r=R-7; t=abcdefghijklmnopqrstuvwxy2; s=%s", sig);
		assert_int_equal(drill_marker_verify(key, moved), DRILL_EBADSIG);
		g_free(moved);
	}
}

static void test_parse_malformed(void **state)
{
	static const char *const bad[] = {
	        "",
	        "v=1",
	        "v=2; r=R; t=abcdefghijklmnopqrstuvwxyz; s=0123456789abcdef0123456789abcdef",
	        "v=1;r=R; t=abcdefghijklmnopqrstuvwxyz; s=0123456789abcdef0123456789abcdef",
	        "v=1; r=; t=abcdefghijklmnopqrstuvwxyz; s=0123456789abcdef0123456789abcdef",
	        "v=1; r=R_1; t=abcdefghijklmnopqrstuvwxyz; s=0123456789abcdef0123456789abcdef",
	        "v=1; r=R; t=abcdefghijklmnopqrstuvwxy; s=0123456789abcdef0123456789abcdef",
	        "v=1; r=R; t=abcdefghijklmnopqrstuvwxyza; s=0123456789abcdef0123456789abcdef",
	        "v=1; r=R; t=ABCDEFGHIJKLMNOPQRSTUVWXYZ; s=0123456789abcdef0123456789abcdef",
	        "v=1; r=R; t=abcdefghijklmnopqrstuvwxyz; s=0123456789ABCDEF0123456789abcdef",
	        "v=1; r=R; t=abcdefghijklmnopqrstuvwxyz; s=0123456789abcdef0123456789abcde",
	        "v=1; r=R; t=abcdefghijklmnopqrstuvwxyz; s=0123456789abcdef0123456789abcdef0",
	        "v=1; r=R; t=abcdefghijklmnopqrstuvwxyz; s=0123456789abcdef0123456789abcdef; x=1",
	        "v=1; t=abcdefghijklmnopqrstuvwxyz; r=R; s=0123456789abcdef0123456789abcdef",
	        "v=1; r=R; t=abcdefghijklmnopqrstuvwxyz; s=0123456789abcdef0123456789abcdef\r\nX: "
	        "y",
	        "v=1; r=R;  t=abcdefghijklmnopqrstuvwxyz; s=0123456789abcdef0123456789abcdef",
	        "v=1; r=R\0; t=abcdefghijklmnopqrstuvwxyz; s=0123456789abcdef0123456789abcdef",
	};
	char ref[DRILL_REF_MAX + 1], tok[DRILL_TOKEN_LEN + 1], sig[DRILL_SIG_HEX + 1];

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		int rc = drill_marker_parse(bad[i], ref, tok, sig);

		if (rc == DRILL_OK)
			fail_msg("accepted: %s", bad[i]);
		assert_string_equal(ref, "");
		assert_string_equal(tok, "");
		assert_string_equal(sig, "");
		assert_int_not_equal(drill_marker_verify(key, bad[i]), DRILL_OK);
	}
	assert_int_equal(drill_marker_parse(NULL, ref, tok, sig), DRILL_EFORMAT);
	/* a reference of 41 characters, and a huge header */
	{
		char *r41 = g_strnfill(41, 'A');
		char *h = g_strdup_printf("v=1; r=%s; t=%s; s=0123456789abcdef0123456789abcdef",
		                          r41, token);
		char *huge = g_strnfill(1 << 20, ' ');

		assert_int_not_equal(drill_marker_parse(h, ref, tok, sig), DRILL_OK);
		assert_int_equal(drill_marker_parse(huge, ref, tok, sig), DRILL_ELIMIT);
		g_free(r41);
		g_free(h);
		g_free(huge);
	}
	/* the good one parses into its parts */
	assert_int_equal(drill_marker_parse("v=1; r=A-40; t=abcdefghijklmnopqrstuvwxyz; "
	                                    "s=0123456789abcdef0123456789abcdef",
	                                    ref, tok, sig),
	                 DRILL_OK);
	assert_string_equal(ref, "A-40");
	assert_string_equal(tok, token);
	assert_string_equal(sig, "0123456789abcdef0123456789abcdef");
}

static void test_tokens(void **state)
{
	GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	(void)state;
	for (int i = 0; i < 2000; i++) {
		char t[DRILL_TOKEN_LEN + 1];

		drill_token_new(t);
		assert_int_equal(strlen(t), DRILL_TOKEN_LEN);
		assert_true(drill_token_valid(t));
		for (size_t k = 0; k < DRILL_TOKEN_LEN; k++)
			assert_true((t[k] >= 'a' && t[k] <= 'z') || (t[k] >= '2' && t[k] <= '7'));
		/* 128 bits: the last character carries 3 bits and 2 zero bits */
		assert_true(strchr("aeimquy4", t[DRILL_TOKEN_LEN - 1]) != NULL);
		assert_false(g_hash_table_contains(seen, t));
		g_hash_table_add(seen, g_strdup(t));
	}
	g_hash_table_destroy(seen);
	assert_false(drill_token_valid("abc"));
	assert_false(drill_token_valid("abcdefghijklmnopqrstuvwxy!"));
	assert_true(drill_ref_valid("2026-MB-1"));
	assert_false(drill_ref_valid(""));
	assert_false(drill_ref_valid("a b"));
}

static void test_key_files(void **state)
{
	char *dir = g_dir_make_tmp("drillkey-XXXXXX", NULL);
	char *path = g_build_filename(dir, "drill.key", NULL);
	uint8_t k1[DRILL_KEY_LEN], k2[DRILL_KEY_LEN];
	drill_error err = {0};
	struct stat st;
	char *bad;

	(void)state;
	assert_int_equal(drill_key_load(path, k1, &err), DRILL_EIO);
	assert_int_equal(drill_key_create(path, &err), DRILL_OK);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 65);
	/* O_EXCL: never overwrites a key */
	assert_int_equal(drill_key_create(path, &err), DRILL_EEXIST);
	assert_int_equal(drill_key_load(path, k1, &err), DRILL_OK);
	assert_int_equal(drill_key_load(path, k2, &err), DRILL_OK);
	assert_memory_equal(k1, k2, sizeof k1);

	/* the key loaded signs what the same file's other reader verifies */
	{
		char hdr[DRILL_MARKER_MAX];

		assert_int_equal(drill_marker_format(k1, "R", token, hdr), DRILL_OK);
		assert_int_equal(drill_marker_verify(k2, hdr), DRILL_OK);
	}

	/* malformed key files */
	bad = g_build_filename(dir, "bad.key", NULL);
	{
		static const char *const contents[] = {
		        "",
		        "0123",
		        "zz23456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef00",
		        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n\n",
		        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef x",
		};

		for (size_t i = 0; i < G_N_ELEMENTS(contents); i++) {
			assert_true(g_file_set_contents(bad, contents[i], -1, NULL));
			err.code = 0;
			assert_int_equal(drill_key_load(bad, k1, &err), DRILL_EFORMAT);
			assert_int_equal(err.code, DRILL_EFORMAT);
			assert_true(strlen(err.en) > 0 && strlen(err.vi) > 0);
		}
		assert_true(g_file_set_contents(
		        bad, "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef\r\n",
		        -1, NULL));
		assert_int_equal(drill_key_load(bad, k1, &err), DRILL_OK);
		assert_int_equal(k1[0], 0x01);
		assert_int_equal(k1[7], 0xef);
	}
	g_unlink(bad);
	g_unlink(path);
	g_rmdir(dir);
	g_free(bad);
	g_free(path);
	g_free(dir);
}

static void test_simulant_marker_find(void **state)
{
	char hdr[DRILL_MARKER_MAX], out[DRILL_MARKER_MAX];
	char *doc;

	(void)state;
	assert_int_equal(drill_marker_format(key, "R-1", token, hdr), DRILL_OK);
	doc = g_strdup_printf("<html><!-- VIGIL-DRILL-SIMULANT %s --></html>", hdr);
	assert_int_equal(drill_simulant_marker_find((const uint8_t *)doc, strlen(doc), out),
	                 DRILL_OK);
	assert_string_equal(out, hdr);
	assert_int_equal(drill_marker_verify(key, out), DRILL_OK);
	g_free(doc);
	doc = g_strdup_printf("VVVIGIL-DRILL-SIMULANT %s</vt:lpwstr>", hdr);
	assert_int_equal(drill_simulant_marker_find((const uint8_t *)doc, strlen(doc), out),
	                 DRILL_OK);
	assert_string_equal(out, hdr);
	g_free(doc);
	assert_int_equal(
	        drill_simulant_marker_find((const uint8_t *)"VIGIL-DRILL-SIMULANT v=1;", 25, out),
	        DRILL_EFORMAT);
	assert_int_equal(drill_simulant_marker_find((const uint8_t *)"nothing here", 12, out), -1);
	assert_int_equal(drill_simulant_marker_find((const uint8_t *)"VIGIL", 5, out), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_sign_verify),     cmocka_unit_test(test_tamper),
	        cmocka_unit_test(test_parse_malformed), cmocka_unit_test(test_tokens),
	        cmocka_unit_test(test_key_files),       cmocka_unit_test(test_simulant_marker_find),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
