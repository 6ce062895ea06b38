/*
 * hash.c - SHA-256, SHA-1 and MD5 of every object, in one pass.
 *
 * The three digests are fed the same 64 KiB chunks in turn, so a large
 * object is walked through the cache once instead of three times. MD5 and
 * SHA-1 exist only for compatibility with indicator feeds.
 */
#include "internal.h"

#include <openssl/evp.h>

static void to_hex(const unsigned char *d, unsigned n, char *out)
{
	static const char hx[] = "0123456789abcdef";

	for (unsigned i = 0; i < n; i++) {
		out[2 * i] = hx[d[i] >> 4];
		out[2 * i + 1] = hx[d[i] & 15];
	}
	out[2 * n] = 0;
}

void vhash_object(vigil_object *o)
{
	EVP_MD_CTX *c[3];
	const EVP_MD *md[3] = {EVP_sha256(), EVP_sha1(), EVP_md5()};
	char *out[3] = {o->sha256, o->sha1, o->md5};
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned dl;
	size_t off = 0;

	for (int i = 0; i < 3; i++) {
		c[i] = EVP_MD_CTX_new();
		if (c[i] == NULL || EVP_DigestInit_ex(c[i], md[i], NULL) != 1)
			g_error("vigil: cannot initialise digest (OpenSSL)");
	}
	do {
		size_t n = o->len - off < 65536 ? o->len - off : 65536;

		for (int i = 0; i < 3; i++)
			EVP_DigestUpdate(c[i], o->data ? o->data + off : (const uint8_t *)"", n);
		off += n;
	} while (off < o->len);
	for (int i = 0; i < 3; i++) {
		EVP_DigestFinal_ex(c[i], d, &dl);
		to_hex(d, dl, out[i]);
		EVP_MD_CTX_free(c[i]);
	}
}
