/*
 * ole_crypt.c - does an encrypted Office file open with "VelvetSweatshop"?
 *
 * Excel encrypts with this well-known password when the author protects a
 * workbook without choosing one (and malware authors use it on purpose):
 * Excel opens such a file without a prompt, while a scanner that cannot
 * decrypt sees only ciphertext. We check the password verifier stored in the
 * file, as MS-OFFCRYPTO describes it, for the schemes Office writes:
 *   - Office binary RC4 (MS-OFFCRYPTO 2.3.6), in an Excel FILEPASS record;
 *   - RC4 CryptoAPI (2.3.5), in FILEPASS or an EncryptionInfo stream;
 *   - ECMA-376 standard encryption, AES (2.3.4.5), 50,000 SHA-1 rounds;
 *   - ECMA-376 agile encryption (2.3.4.10), its spin count bounded by
 *     CRYPT_MAX_SPIN so that a hostile file cannot buy unbounded CPU.
 * Nothing is decrypted beyond the verifier. RC4 is written out here because
 * OpenSSL 3 keeps it in the legacy provider, which may not be loaded.
 *
 * Every length comes from the file and is checked against the bytes given;
 * all buffers are fixed-size on the stack.
 */
#include "ole_crypt.h"

#include <glib.h>
#include <openssl/evp.h>
#include <string.h>

#define CRYPT_MAX_SPIN 1000000
#define CRYPT_MAX_B64 1024 /* bytes of one base64 attribute we decode */

static const char velvet[] = "VelvetSweatshop";

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* the password as UTF-16LE without a terminator */
static size_t password_utf16(uint8_t out[64])
{
	size_t n = sizeof velvet - 1;

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = (uint8_t)velvet[i];
		out[2 * i + 1] = 0;
	}
	return 2 * n;
}

/* out = H(a || b); returns the digest length or 0 */
static unsigned hash2(EVP_MD_CTX *c, const EVP_MD *md, const uint8_t *a, size_t an,
                      const uint8_t *b, size_t bn, uint8_t out[EVP_MAX_MD_SIZE])
{
	unsigned len = 0;

	if (EVP_DigestInit_ex(c, md, NULL) != 1 || EVP_DigestUpdate(c, a, an) != 1 ||
	    EVP_DigestUpdate(c, b, bn) != 1 || EVP_DigestFinal_ex(c, out, &len) != 1)
		return 0;
	return len;
}

struct rc4 {
	uint8_t s[256];
	uint8_t i, j;
};

static void rc4_init(struct rc4 *r, const uint8_t *key, size_t klen)
{
	uint8_t j = 0;

	for (int i = 0; i < 256; i++)
		r->s[i] = (uint8_t)i;
	for (int i = 0; i < 256; i++) {
		uint8_t t = r->s[i];

		j = (uint8_t)(j + t + key[(size_t)i % klen]);
		r->s[i] = r->s[j];
		r->s[j] = t;
	}
	r->i = 0;
	r->j = 0;
}

static void rc4_xor(struct rc4 *r, uint8_t *p, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		uint8_t t;

		r->i = (uint8_t)(r->i + 1);
		r->j = (uint8_t)(r->j + r->s[r->i]);
		t = r->s[r->i];
		r->s[r->i] = r->s[r->j];
		r->s[r->j] = t;
		p[k] ^= r->s[(uint8_t)(r->s[r->i] + r->s[r->j])];
	}
}

/* AES decryption without padding; ECB when iv is NULL */
static bool aes_decrypt(const uint8_t *key, size_t klen, const uint8_t *iv, const uint8_t *in,
                        size_t n, uint8_t *out)
{
	const EVP_CIPHER *ci;
	EVP_CIPHER_CTX *c;
	int l1 = 0, l2 = 0;
	bool ok;

	if (n == 0 || n % 16 != 0)
		return false;
	if (klen == 16)
		ci = iv ? EVP_aes_128_cbc() : EVP_aes_128_ecb();
	else if (klen == 24)
		ci = iv ? EVP_aes_192_cbc() : EVP_aes_192_ecb();
	else if (klen == 32)
		ci = iv ? EVP_aes_256_cbc() : EVP_aes_256_ecb();
	else
		return false;
	c = EVP_CIPHER_CTX_new();
	if (c == NULL)
		return false;
	ok = EVP_DecryptInit_ex(c, ci, NULL, key, iv) == 1 &&
	     EVP_CIPHER_CTX_set_padding(c, 0) == 1 &&
	     EVP_DecryptUpdate(c, out, &l1, in, (int)n) == 1 &&
	     EVP_DecryptFinal_ex(c, out + l1, &l2) == 1 && (size_t)(l1 + l2) == n;
	EVP_CIPHER_CTX_free(c);
	return ok;
}

/* ---- Office binary RC4 (MS-OFFCRYPTO 2.3.6) ---- */

/* p: EncryptionVersionInfo (1.1), Salt[16], EncryptedVerifier[16], EncryptedVerifierHash[16] */
static bool rc4_plain_opens(const uint8_t *p, size_t n)
{
	uint8_t pw[64], h0[EVP_MAX_MD_SIZE], h1[EVP_MAX_MD_SIZE], key[EVP_MAX_MD_SIZE];
	uint8_t buf[16 * 21], blk[4], v[32], vh[EVP_MAX_MD_SIZE];
	size_t pwn = password_utf16(pw);
	EVP_MD_CTX *c;
	struct rc4 r;
	bool ok = false;

	if (n < 4 + 48)
		return false;
	c = EVP_MD_CTX_new();
	if (c == NULL)
		return false;
	if (hash2(c, EVP_md5(), pw, pwn, NULL, 0, h0) != 16)
		goto out;
	for (int i = 0; i < 16; i++) {
		memcpy(buf + 21 * i, h0, 5);
		memcpy(buf + 21 * i + 5, p + 4, 16);
	}
	if (hash2(c, EVP_md5(), buf, sizeof buf, NULL, 0, h1) != 16)
		goto out;
	wr32(blk, 0);
	if (hash2(c, EVP_md5(), h1, 5, blk, 4, key) != 16)
		goto out;
	memcpy(v, p + 20, 32);
	rc4_init(&r, key, 16);
	rc4_xor(&r, v, 32);
	if (hash2(c, EVP_md5(), v, 16, NULL, 0, vh) != 16)
		goto out;
	ok = memcmp(vh, v + 16, 16) == 0;
out:
	EVP_MD_CTX_free(c);
	return ok;
}

/* ---- CryptoAPI header + verifier (2.3.4.5 / 2.3.5), RC4 or AES ---- */

struct capi {
	uint32_t alg, alg_hash, key_bits;
	const uint8_t *salt, *verifier, *verifier_hash;
	uint32_t hash_size;
};

/* p: EncryptionVersionInfo, Flags, HeaderSize, EncryptionHeader, EncryptionVerifier */
static bool capi_parse(const uint8_t *p, size_t n, struct capi *a)
{
	uint32_t hsize, salt_size;
	const uint8_t *h, *v;
	size_t vn;

	if (n < 12)
		return false;
	hsize = rd32(p + 8);
	if (hsize < 32 || hsize > n - 12)
		return false;
	h = p + 12;
	a->alg = rd32(h + 8);
	a->alg_hash = rd32(h + 12);
	a->key_bits = rd32(h + 16);
	v = h + hsize;
	vn = n - 12 - hsize;
	/* SaltSize, Salt[16], EncryptedVerifier[16], VerifierHashSize, hash[20 or 32] */
	if (vn < 4 + 16 + 16 + 4 + 20)
		return false;
	salt_size = rd32(v);
	if (salt_size != 16)
		return false;
	a->salt = v + 4;
	a->verifier = v + 20;
	a->hash_size = rd32(v + 36);
	a->verifier_hash = v + 40;
	if (a->hash_size != 20 || a->alg_hash != 0x8004)
		return false;
	/* AES pads the 20-byte hash to 32 */
	if ((a->alg == 0x660E || a->alg == 0x660F || a->alg == 0x6610) && vn < 40 + 32)
		return false;
	return true;
}

static bool capi_opens(const uint8_t *p, size_t n)
{
	struct capi a;
	uint8_t pw[64], h[EVP_MAX_MD_SIZE], blk[4], key[64], v[48], vh[EVP_MAX_MD_SIZE];
	size_t pwn = password_utf16(pw), klen;
	EVP_MD_CTX *c;
	bool ok = false;

	if (!capi_parse(p, n, &a))
		return false;
	c = EVP_MD_CTX_new();
	if (c == NULL)
		return false;
	if (hash2(c, EVP_sha1(), a.salt, 16, pw, pwn, h) != 20)
		goto out;
	if (a.alg == 0x6801) {
		struct rc4 r;

		/* RC4 CryptoAPI: no spinning; a 40-bit key is padded to 128 bits */
		klen = a.key_bits == 0 ? 5 : a.key_bits / 8;
		if (klen < 5 || klen > 16)
			goto out;
		wr32(blk, 0);
		if (hash2(c, EVP_sha1(), h, 20, blk, 4, key) != 20)
			goto out;
		if (klen == 5)
			memset(key + 5, 0, 11);
		memcpy(v, a.verifier, 16);
		memcpy(v + 16, a.verifier_hash, 20);
		rc4_init(&r, key, klen == 5 ? 16 : klen);
		rc4_xor(&r, v, 36);
		ok = hash2(c, EVP_sha1(), v, 16, NULL, 0, vh) == 20 && memcmp(vh, v + 16, 20) == 0;
	} else if (a.alg == 0x660E || a.alg == 0x660F || a.alg == 0x6610) {
		uint8_t x[64], x1[EVP_MAX_MD_SIZE], x2[EVP_MAX_MD_SIZE], it[4];

		klen = a.alg == 0x660E ? 16 : a.alg == 0x660F ? 24 : 32;
		for (uint32_t i = 0; i < 50000; i++) {
			wr32(it, i);
			if (hash2(c, EVP_sha1(), it, 4, h, 20, h) != 20)
				goto out;
		}
		wr32(blk, 0);
		if (hash2(c, EVP_sha1(), h, 20, blk, 4, h) != 20)
			goto out;
		memset(x, 0x36, 64);
		for (int i = 0; i < 20; i++)
			x[i] ^= h[i];
		if (hash2(c, EVP_sha1(), x, 64, NULL, 0, x1) != 20)
			goto out;
		memset(x, 0x5C, 64);
		for (int i = 0; i < 20; i++)
			x[i] ^= h[i];
		if (hash2(c, EVP_sha1(), x, 64, NULL, 0, x2) != 20)
			goto out;
		memcpy(key, x1, 20);
		memcpy(key + 20, x2, 20);
		if (!aes_decrypt(key, klen, NULL, a.verifier, 16, v) ||
		    !aes_decrypt(key, klen, NULL, a.verifier_hash, 32, v + 16))
			goto out;
		ok = hash2(c, EVP_sha1(), v, 16, NULL, 0, vh) == 20 && memcmp(vh, v + 16, 20) == 0;
	}
out:
	EVP_MD_CTX_free(c);
	return ok;
}

/* ---- ECMA-376 agile encryption (2.3.4.10) ---- */

/* The value of attribute name inside [tag, end); NULL if absent. */
static char *xml_attr(const char *tag, const char *end, const char *name)
{
	size_t nl = strlen(name);

	for (const char *p = tag + 1; p < end && (size_t)(end - p) > nl + 2; p++) {
		const char *q;

		if ((p[-1] != ' ' && p[-1] != '\t' && p[-1] != '\r' && p[-1] != '\n') ||
		    memcmp(p, name, nl) != 0 || p[nl] != '=' || p[nl + 1] != '"')
			continue;
		p += nl + 2;
		q = memchr(p, '"', (size_t)(end - p));
		if (q == NULL)
			return NULL;
		return g_strndup(p, (size_t)(q - p));
	}
	return NULL;
}

/* base64 attribute into out (at most max bytes); returns the length or 0 */
static size_t xml_b64(const char *tag, const char *end, const char *name, uint8_t *out, size_t max)
{
	char *v = xml_attr(tag, end, name);
	guchar *d;
	gsize dl = 0;

	if (v == NULL || strlen(v) > CRYPT_MAX_B64) {
		g_free(v);
		return 0;
	}
	d = g_base64_decode(v, &dl);
	g_free(v);
	if (dl == 0 || dl > max) {
		g_free(d);
		return 0;
	}
	memcpy(out, d, dl);
	g_free(d);
	return dl;
}

static unsigned xml_uint(const char *tag, const char *end, const char *name)
{
	char *v = xml_attr(tag, end, name);
	guint64 r = 0;

	if (v != NULL && !g_ascii_string_to_unsigned(v, 10, 0, G_MAXUINT32, &r, NULL))
		r = 0;
	g_free(v);
	return (unsigned)r;
}

static const EVP_MD *agile_md(const char *tag, const char *end)
{
	char *v = xml_attr(tag, end, "hashAlgorithm");
	const EVP_MD *md = NULL;

	if (v == NULL)
		return NULL;
	if (strcmp(v, "SHA1") == 0)
		md = EVP_sha1();
	else if (strcmp(v, "SHA256") == 0)
		md = EVP_sha256();
	else if (strcmp(v, "SHA384") == 0)
		md = EVP_sha384();
	else if (strcmp(v, "SHA512") == 0)
		md = EVP_sha512();
	g_free(v);
	return md;
}

/* key = H(hfinal || block) cut or padded with 0x36 to klen */
static bool agile_key(EVP_MD_CTX *c, const EVP_MD *md, const uint8_t *h, unsigned hl,
                      const uint8_t block[8], uint8_t *key, size_t klen)
{
	uint8_t d[EVP_MAX_MD_SIZE];
	unsigned dl = hash2(c, md, h, hl, block, 8, d);

	if (dl == 0)
		return false;
	memset(key, 0x36, klen);
	memcpy(key, d, dl < klen ? dl : klen);
	return true;
}

static bool agile_opens(const uint8_t *p, size_t n)
{
	static const uint8_t blk_input[8] = {0xfe, 0xa7, 0xd2, 0x76, 0x3b, 0x4b, 0x9e, 0x79};
	static const uint8_t blk_value[8] = {0xd7, 0xaa, 0x0f, 0x6d, 0x30, 0x61, 0x34, 0x4e};
	const char *xml = (const char *)p + 8, *xend = (const char *)p + n, *tag, *tend;
	const EVP_MD *md;
	uint8_t salt[64], iv[16], ein[CRYPT_MAX_B64], eval[CRYPT_MAX_B64], din[CRYPT_MAX_B64],
	        dval[CRYPT_MAX_B64], pw[64], h[EVP_MAX_MD_SIZE], it[4], key[32],
	        vh[EVP_MAX_MD_SIZE];
	size_t saltn, einn, evaln, pwn = password_utf16(pw), klen;
	unsigned spin, hl;
	EVP_MD_CTX *c;
	bool ok = false;
	char *cipher, *chain;

	if (n <= 8)
		return false;
	tag = memmem(xml, (size_t)(xend - xml), "encryptedKey ", 13);
	if (tag == NULL)
		return false;
	tend = memchr(tag, '>', (size_t)(xend - tag));
	if (tend == NULL)
		return false;
	md = agile_md(tag, tend);
	spin = xml_uint(tag, tend, "spinCount");
	klen = xml_uint(tag, tend, "keyBits") / 8;
	cipher = xml_attr(tag, tend, "cipherAlgorithm");
	chain = xml_attr(tag, tend, "cipherChaining");
	saltn = xml_b64(tag, tend, "saltValue", salt, sizeof salt);
	einn = xml_b64(tag, tend, "encryptedVerifierHashInput", ein, sizeof ein);
	evaln = xml_b64(tag, tend, "encryptedVerifierHashValue", eval, sizeof eval);
	if (md == NULL || spin > CRYPT_MAX_SPIN || (klen != 16 && klen != 24 && klen != 32) ||
	    cipher == NULL || strcmp(cipher, "AES") != 0 || chain == NULL ||
	    strcmp(chain, "ChainingModeCBC") != 0 || saltn == 0 || einn == 0 || evaln == 0) {
		g_free(cipher);
		g_free(chain);
		return false;
	}
	g_free(cipher);
	g_free(chain);
	memset(iv, 0x36, sizeof iv);
	memcpy(iv, salt, saltn < 16 ? saltn : 16);
	c = EVP_MD_CTX_new();
	if (c == NULL)
		return false;
	hl = hash2(c, md, salt, saltn, pw, pwn, h);
	if (hl == 0)
		goto out;
	for (unsigned i = 0; i < spin; i++) {
		wr32(it, i);
		if (hash2(c, md, it, 4, h, hl, h) != hl)
			goto out;
	}
	if (!agile_key(c, md, h, hl, blk_input, key, klen) ||
	    !aes_decrypt(key, klen, iv, ein, einn, din))
		goto out;
	if (!agile_key(c, md, h, hl, blk_value, key, klen) ||
	    !aes_decrypt(key, klen, iv, eval, evaln, dval) || evaln < hl || einn < saltn)
		goto out;
	/* the verifier input is saltSize bytes; its hash is hashSize bytes */
	ok = hash2(c, md, din, saltn, NULL, 0, vh) == hl && memcmp(vh, dval, hl) == 0;
out:
	EVP_MD_CTX_free(c);
	return ok;
}

bool crypt_ooxml_default_password(const uint8_t *info, size_t n)
{
	uint16_t major, minor;

	if (n < 4)
		return false;
	major = (uint16_t)(info[0] | info[1] << 8);
	minor = (uint16_t)(info[2] | info[3] << 8);
	if (major == 4 && minor == 4)
		return agile_opens(info, n);
	if ((major == 2 || major == 3 || major == 4) && minor == 2)
		return capi_opens(info, n);
	return false;
}

bool crypt_biff_rc4_default_password(const uint8_t *p, size_t n)
{
	uint16_t major, minor;

	if (n < 4)
		return false;
	major = (uint16_t)(p[0] | p[1] << 8);
	minor = (uint16_t)(p[2] | p[3] << 8);
	if (major == 1 && minor == 1)
		return rc4_plain_opens(p, n);
	if ((major == 2 || major == 3 || major == 4) && minor == 2)
		return capi_opens(p, n);
	return false;
}
