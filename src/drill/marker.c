/*
 * marker.c - the drill key, the signed marker "v=1; r=REF; t=TOKEN; s=SIG"
 * and tracking tokens (decision 0014).
 *
 * The signature is the first 16 bytes of HMAC-SHA256(key, "vigil-drill-v1\n"
 * REF "\n" TOKEN) in lower-case hex: 128 bits are plenty against forgery of
 * one marker, and keep the header short. The domain string makes the MAC
 * useless for anything but drill markers should the key ever be reused.
 *
 * The parser is strict on purpose: a marker is machine-written, so anything
 * but the exact grammar (one space after each ';', fields in order, no
 * extra fields) is malformed, which the gateway reports as a forged marker.
 * Only the blanks a header may gain in transit (leading/trailing, folding)
 * are tolerated. Inputs longer than DRILL_MARKER_MAX are rejected before
 * any work.
 *
 * Key files hold 64 hex digits and an optional line end; drill_key_create()
 * writes one with O_EXCL and mode 0600 so two starting daemons cannot both
 * win, and a half-written key is removed.
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drill_int.h"

#define KEY_FILE_MAX 130 /* 64 digits and a line end, with room to notice more */
#define SIG_DOMAIN "vigil-drill-v1\n"

const char *drill_strerror(int code)
{
	switch (code) {
	case DRILL_OK:
		return "ok";
	case DRILL_EIO:
		return "input/output error";
	case DRILL_EFORMAT:
		return "malformed input";
	case DRILL_ELIMIT:
		return "input exceeds a limit";
	case DRILL_ENOMEM:
		return "out of memory";
	case DRILL_EBADSIG:
		return "signature does not verify";
	case DRILL_EINVAL:
		return "invalid argument";
	case DRILL_EEXIST:
		return "file exists";
	default:
		return "unknown error";
	}
}

void drill_err_where(drill_error *err, int code, const char *where)
{
	if (err == NULL)
		return;
	err->code = code;
	g_strlcpy(err->where, where != NULL ? where : "", sizeof err->where);
	err->en[0] = 0;
	err->vi[0] = 0;
}

void drill_err_text(drill_error *err, int code, const char *where, const char *en, const char *vi)
{
	drill_err_where(err, code, where);
	if (err == NULL)
		return;
	g_strlcpy(err->en, en, sizeof err->en);
	g_strlcpy(err->vi, vi, sizeof err->vi);
}

static int crypto_ready(void)
{
	/* sodium_init() is idempotent and safe to call from several threads */
	return sodium_init() >= 0;
}

/* ---- key files ---- */

int drill_key_load(const char *path, uint8_t key[DRILL_KEY_LEN], drill_error *err)
{
	char buf[KEY_FILE_MAX + 1];
	size_t n = 0, digits;
	int fd, rc = DRILL_OK;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		DRILL_FAIL(err, DRILL_EIO, path, "cannot open the drill key: %s",
		           "không mở được khóa diễn tập: %s", g_strerror(errno));
		return DRILL_EIO;
	}
	while (n < sizeof buf - 1) {
		ssize_t r = read(fd, buf + n, sizeof buf - 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			DRILL_FAIL(err, DRILL_EIO, path, "cannot read the drill key: %s",
			           "không đọc được khóa diễn tập: %s", g_strerror(errno));
			rc = DRILL_EIO;
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = 0;
	for (digits = 0; digits < n && g_ascii_isxdigit(buf[digits]); digits++)
		;
	if (digits != 2 * DRILL_KEY_LEN ||
	    !(n == digits || (n == digits + 1 && buf[digits] == '\n') ||
	      (n == digits + 2 && buf[digits] == '\r' && buf[digits + 1] == '\n'))) {
		DRILL_FAIL(err, DRILL_EFORMAT, path,
		           "the drill key must be %d hexadecimal digits on one line",
		           "khóa diễn tập phải là %d chữ số thập lục phân trên một dòng",
		           2 * DRILL_KEY_LEN);
		rc = DRILL_EFORMAT;
		goto out;
	}
	for (size_t i = 0; i < DRILL_KEY_LEN; i++)
		key[i] = (uint8_t)(g_ascii_xdigit_value(buf[2 * i]) << 4 |
		                   g_ascii_xdigit_value(buf[2 * i + 1]));
out:
	sodium_memzero(buf, sizeof buf);
	close(fd);
	return rc;
}

int drill_key_create(const char *path, drill_error *err)
{
	uint8_t key[DRILL_KEY_LEN];
	char hex[2 * DRILL_KEY_LEN + 2];
	size_t off = 0, n;
	int fd, rc = DRILL_OK;

	if (!crypto_ready()) {
		drill_err_text(err, DRILL_EIO, path, "libsodium failed to initialise",
		               "không khởi tạo được libsodium");
		return DRILL_EIO;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		int e = errno;

		rc = e == EEXIST ? DRILL_EEXIST : DRILL_EIO;
		DRILL_FAIL(err, rc, path, "cannot create the drill key: %s",
		           "không tạo được khóa diễn tập: %s", g_strerror(e));
		return rc;
	}
	randombytes_buf(key, sizeof key);
	sodium_bin2hex(hex, sizeof hex - 1, key, sizeof key);
	n = strlen(hex);
	hex[n++] = '\n';
	while (off < n) {
		ssize_t w = write(fd, hex + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rc = DRILL_EIO;
			break;
		}
		off += (size_t)w;
	}
	if (rc == DRILL_OK && fsync(fd) != 0)
		rc = DRILL_EIO;
	if (close(fd) != 0)
		rc = DRILL_EIO;
	if (rc != DRILL_OK) {
		int e = errno;

		/* never leave a short key behind: the next start would refuse it */
		(void)unlink(path);
		DRILL_FAIL(err, rc, path, "cannot write the drill key: %s",
		           "không ghi được khóa diễn tập: %s", g_strerror(e));
	}
	sodium_memzero(key, sizeof key);
	sodium_memzero(hex, sizeof hex);
	return rc;
}

/* ---- references and tokens ---- */

static size_t ref_span(const char *s)
{
	size_t i = 0;

	while (i <= DRILL_REF_MAX && (g_ascii_isalnum(s[i]) || s[i] == '-'))
		i++;
	return i;
}

static size_t token_span(const char *s)
{
	size_t i = 0;

	/* the contract allows [a-z0-9]; we only ever make base32 (a-z, 2-7) */
	while (i <= DRILL_TOKEN_LEN &&
	       ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')))
		i++;
	return i;
}

int drill_ref_valid(const char *s)
{
	size_t n;

	if (s == NULL)
		return 0;
	n = ref_span(s);
	return n >= 1 && n <= DRILL_REF_MAX && s[n] == 0;
}

int drill_token_valid(const char *s)
{
	return s != NULL && token_span(s) == DRILL_TOKEN_LEN && s[DRILL_TOKEN_LEN] == 0;
}

void drill_token_new(char out[DRILL_TOKEN_LEN + 1])
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
	uint8_t r[16];
	unsigned acc = 0, bits = 0;
	size_t o = 0;

	if (!crypto_ready())
		g_error("libsodium failed to initialise"); /* environment: cannot go on safely */
	randombytes_buf(r, sizeof r);
	for (size_t i = 0; i < sizeof r; i++) {
		acc = (acc << 8) | r[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = alphabet[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	/* 128 = 25 * 5 + 3: the last character holds 3 bits and two zeros */
	out[o++] = alphabet[(acc << (5 - bits)) & 31];
	out[o] = 0;
	sodium_memzero(r, sizeof r);
}

/* ---- signing and the marker ---- */

static void mac_hex(const uint8_t key[DRILL_KEY_LEN], const char *ref, const char *token,
                    char out[DRILL_SIG_HEX + 1])
{
	crypto_auth_hmacsha256_state st;
	uint8_t mac[crypto_auth_hmacsha256_BYTES];
	char hex[2 * crypto_auth_hmacsha256_BYTES + 1];

	crypto_auth_hmacsha256_init(&st, key, DRILL_KEY_LEN);
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)SIG_DOMAIN, strlen(SIG_DOMAIN));
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)ref, strlen(ref));
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)"\n", 1);
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)token, strlen(token));
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
	memcpy(out, hex, DRILL_SIG_HEX);
	out[DRILL_SIG_HEX] = 0;
	sodium_memzero(&st, sizeof st);
}

int drill_sign(const uint8_t key[DRILL_KEY_LEN], const char *ref, const char *token,
               char out[DRILL_SIG_HEX + 1])
{
	out[0] = 0;
	if (!drill_ref_valid(ref) || !drill_token_valid(token) || !crypto_ready())
		return DRILL_EINVAL;
	mac_hex(key, ref, token, out);
	return DRILL_OK;
}

int drill_marker_format(const uint8_t key[DRILL_KEY_LEN], const char *ref, const char *token,
                        char out[DRILL_MARKER_MAX])
{
	char sig[DRILL_SIG_HEX + 1];
	int rc;

	out[0] = 0;
	rc = drill_sign(key, ref, token, sig);
	if (rc != DRILL_OK)
		return rc;
	g_snprintf(out, DRILL_MARKER_MAX, "v=1; r=%s; t=%s; s=%s", ref, token, sig);
	return DRILL_OK;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* expects the literal lit at *p and moves past it */
static int eat(const char **p, const char *end, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(end - *p) < n || memcmp(*p, lit, n) != 0)
		return 0;
	*p += n;
	return 1;
}

int drill_marker_parse(const char *header, char ref[DRILL_REF_MAX + 1],
                       char token[DRILL_TOKEN_LEN + 1], char sig[DRILL_SIG_HEX + 1])
{
	const char *p, *end;
	size_t n;

	ref[0] = token[0] = sig[0] = 0;
	if (header == NULL)
		return DRILL_EFORMAT;
	n = strnlen(header, DRILL_MARKER_MAX + 1);
	if (n > DRILL_MARKER_MAX)
		return DRILL_ELIMIT;
	p = header;
	end = header + n;
	while (p < end && is_blank(*p))
		p++;
	while (end > p && is_blank(end[-1]))
		end--;
	if (!eat(&p, end, "v=1; r="))
		return DRILL_EFORMAT;
	n = 0;
	while (p + n < end && n <= DRILL_REF_MAX && (g_ascii_isalnum(p[n]) || p[n] == '-'))
		n++;
	if (n < 1 || n > DRILL_REF_MAX)
		return DRILL_EFORMAT;
	memcpy(ref, p, n);
	ref[n] = 0;
	p += n;
	if (!eat(&p, end, "; t="))
		goto bad;
	n = 0;
	while (p + n < end && n <= DRILL_TOKEN_LEN &&
	       ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= '0' && p[n] <= '9')))
		n++;
	if (n != DRILL_TOKEN_LEN)
		goto bad;
	memcpy(token, p, n);
	token[n] = 0;
	p += n;
	if (!eat(&p, end, "; s="))
		goto bad;
	n = 0;
	while (p + n < end && n <= DRILL_SIG_HEX && drill_is_lower_hex(p[n]))
		n++;
	if (n != DRILL_SIG_HEX || p + n != end)
		goto bad;
	memcpy(sig, p, n);
	sig[n] = 0;
	return DRILL_OK;
bad:
	ref[0] = token[0] = sig[0] = 0;
	return DRILL_EFORMAT;
}

int drill_marker_verify(const uint8_t key[DRILL_KEY_LEN], const char *header)
{
	char ref[DRILL_REF_MAX + 1], token[DRILL_TOKEN_LEN + 1], sig[DRILL_SIG_HEX + 1];
	char want[DRILL_SIG_HEX + 1];
	int rc = drill_marker_parse(header, ref, token, sig);

	if (rc != DRILL_OK)
		return rc;
	if (!crypto_ready())
		return DRILL_EINVAL;
	mac_hex(key, ref, token, want);
	rc = sodium_memcmp(want, sig, DRILL_SIG_HEX) == 0 ? DRILL_OK : DRILL_EBADSIG;
	sodium_memzero(want, sizeof want);
	return rc;
}

int drill_simulant_marker_find(const uint8_t *p, size_t n, char out[DRILL_MARKER_MAX])
{
	static const char tag[] = DRILL_SIMULANT_TAG " ";
	const size_t tl = sizeof tag - 1;
	char ref[DRILL_REF_MAX + 1], token[DRILL_TOKEN_LEN + 1], sig[DRILL_SIG_HEX + 1];
	size_t i = 0, k = 0;

	out[0] = 0;
	if (p == NULL)
		return -1;
	for (;;) {
		const uint8_t *hit;

		if (n - i < tl)
			return -1;
		hit = memchr(p + i, 'V', n - i - tl + 1);
		if (hit == NULL)
			return -1;
		i = (size_t)(hit - p);
		if (memcmp(hit, tag, tl) == 0)
			break;
		i++;
	}
	i += tl;
	/* the value's own characters; the container decides what follows */
	while (i + k < n && k < DRILL_MARKER_MAX - 1) {
		uint8_t c = p[i + k];

		if (!(g_ascii_isalnum(c) || c == '=' || c == ';' || c == ' ' || c == '-'))
			break;
		k++;
	}
	memcpy(out, p + i, k);
	out[k] = 0;
	{
		/* the value ends 32 digits after "; s=" (an HTML comment's " -->"
		 * or a property's closing tag may follow without a separator) */
		char *s = strstr(out, "; s=");

		if (s != NULL && strlen(s + 4) > DRILL_SIG_HEX)
			s[4 + DRILL_SIG_HEX] = 0;
	}
	if (drill_marker_parse(out, ref, token, sig) != DRILL_OK) {
		out[0] = 0;
		return DRILL_EFORMAT;
	}
	return DRILL_OK;
}
