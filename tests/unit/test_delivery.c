/*
 * test_delivery.c - the ways spyware is wrapped to pass a gateway: zips whose
 * password is in the mail (password.c, archive.c), disk images (diskimg.c:
 * FAT, MBR, GPT, VHD fixed and dynamic, VHDX), OneNote sections (onenote.c),
 * and the delivery findings (analyze/delivery.c). Every input is built here:
 * zips and ISO images with libarchive's writer, the rest byte by byte.
 */
#include "testutil.h"

#include <archive.h>
#include <archive_entry.h>

#include "engine/internal.h"
#include "engine/extract/password.h"

#define PAYLOAD "VIGIL-DELIVERY-TEST-PAYLOAD"
#define PASSWORD "BHXH@2024"

static const char rule[] = "rule Delivery_Payload { meta: severity = \"critical\" "
                           "strings: $a = \"" PAYLOAD "\" condition: $a }";

/* ---- finding lookups ---- */

static const vigil_finding *finding_at(const vigil_scan *s, const char *id, const char *path)
{
	for (size_t i = 0; i < vigil_scan_finding_count(s); i++) {
		const vigil_finding *f = vigil_scan_finding(s, i);
		const char *p = vigil_object_path(vigil_scan_object(s, vigil_finding_object(f)));

		if (strcmp(vigil_finding_id(f), id) == 0 && (path == NULL || strcmp(p, path) == 0))
			return f;
	}
	return NULL;
}

static void expect(const vigil_scan *s, const char *id, const char *path, vigil_severity sev,
                   const char *attack)
{
	const vigil_finding *f = finding_at(s, id, path);

	if (f == NULL) {
		fprintf(stderr, "missing %s on %s\n", id, path ? path : "(any)");
		tu_dump(s);
		fail();
	}
	assert_int_equal(vigil_finding_severity(f), sev);
	assert_string_equal(vigil_finding_attack(f), attack);
}

static void absent(const vigil_scan *s, const char *id)
{
	if (finding_at(s, id, NULL) != NULL) {
		fprintf(stderr, "unexpected %s\n", id);
		tu_dump(s);
		fail();
	}
}

static size_t count_of(const vigil_scan *s, const char *id)
{
	size_t n = 0;

	for (size_t i = 0; i < vigil_scan_finding_count(s); i++)
		n += strcmp(vigil_finding_id(vigil_scan_finding(s, i)), id) == 0;
	return n;
}

static const vigil_object *object_at(const vigil_scan *s, const char *path)
{
	for (size_t i = 0; i < vigil_scan_object_count(s); i++)
		if (strcmp(vigil_object_path(vigil_scan_object(s, i)), path) == 0)
			return vigil_scan_object(s, i);
	fprintf(stderr, "no object %s\n", path);
	tu_dump(s);
	fail();
	return NULL;
}

/* ---- archives with libarchive's writer ---- */

struct member {
	const char *name;
	const void *data;
	size_t len;
};

#define ARC_MAX (4u << 20)

/* format: "zip", "iso9660"; options e.g. "zip:encryption=zipcrypt" */
static GByteArray *make_archive(const char *format, const struct member *m, size_t n,
                                const char *options, const char *pw)
{
	struct archive *a = archive_write_new();
	uint8_t *buf = g_malloc(ARC_MAX);
	size_t used = 0;
	GByteArray *out;

	assert_int_equal(archive_write_set_format_by_name(a, format), ARCHIVE_OK);
	if (options != NULL)
		assert_int_equal(archive_write_set_options(a, options), ARCHIVE_OK);
	if (pw != NULL)
		assert_int_equal(archive_write_set_passphrase(a, pw), ARCHIVE_OK);
	assert_int_equal(archive_write_open_memory(a, buf, ARC_MAX, &used), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();

		archive_entry_set_pathname(e, m[i].name);
		archive_entry_set_size(e, (la_int64_t)m[i].len);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_mtime(e, 1700000000, 0);
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		assert_int_equal(archive_write_data(a, m[i].data, m[i].len), (la_ssize_t)m[i].len);
		archive_entry_free(e);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	out = g_byte_array_new();
	g_byte_array_append(out, buf, (guint)used);
	g_free(buf);
	return out;
}

static GByteArray *payload_zip(const char *options, const char *pw)
{
	static const char doc[] = "Cong van so 123/BHXH";
	struct member m[] = {{"CongVan.txt", doc, sizeof doc - 1},
	                     {"HoSo.exe", PAYLOAD, sizeof PAYLOAD - 1}};

	return make_archive("zip", m, 2, options, pw);
}

/*
 * A zip of stored members, some encrypted with ZipCrypto (PKWARE APPNOTE
 * 6.1): libarchive's writer encrypts all members or none, and attackers
 * often lock only the payload.
 */
struct zc {
	uint32_t k0, k1, k2;
	uint32_t table[256];
};

static uint32_t zc_crc(const struct zc *z, uint32_t c, uint8_t b)
{
	return (c >> 8) ^ z->table[(c ^ b) & 0xff];
}

static void zc_update(struct zc *z, uint8_t b)
{
	z->k0 = zc_crc(z, z->k0, b);
	z->k1 = (z->k1 + (z->k0 & 0xff)) * 134775813u + 1;
	z->k2 = zc_crc(z, z->k2, (uint8_t)(z->k1 >> 24));
}

static uint8_t zc_encrypt(struct zc *z, uint8_t b)
{
	uint32_t k = z->k2 | 2;
	uint8_t c = (uint8_t)(b ^ ((k * (k ^ 1)) >> 8));

	zc_update(z, b);
	return c;
}

static void zc_init(struct zc *z, const char *pw)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		z->table[i] = c;
	}
	z->k0 = 0x12345678u;
	z->k1 = 0x23456789u;
	z->k2 = 0x34567890u;
	for (; *pw; pw++)
		zc_update(z, (uint8_t)*pw);
}

static uint32_t crc32_of(const void *p, size_t n)
{
	struct zc z;
	uint32_t c = 0xffffffffu;

	zc_init(&z, "");
	for (size_t i = 0; i < n; i++)
		c = zc_crc(&z, c, ((const uint8_t *)p)[i]);
	return ~c;
}

static void le(GByteArray *b, uint64_t v, int n)
{
	for (int i = 0; i < n; i++) {
		/* past 8 bytes (a 12-byte header field) the value has no more bits */
		uint8_t c = i < 8 ? (uint8_t)(v >> (8 * i)) : 0;

		g_byte_array_append(b, &c, 1);
	}
}

/* members with pw[i] != NULL are encrypted with that password */
static GByteArray *zipcrypto_zip(const struct member *m, const char *const *pw, size_t n)
{
	GByteArray *b = g_byte_array_new(), *cd = g_byte_array_new();

	for (size_t i = 0; i < n; i++) {
		uint32_t crc = crc32_of(m[i].data, m[i].len), off = b->len;
		size_t nl = strlen(m[i].name), cs = m[i].len + (pw[i] ? 12 : 0);
		uint16_t flags = pw[i] ? 1 : 0;
		GByteArray *hdrs[2] = {b, cd};

		for (int h = 0; h < 2; h++) {
			GByteArray *x = hdrs[h];

			le(x, h ? 0x02014b50u : 0x04034b50u, 4);
			if (h)
				le(x, 20, 2); /* made by */
			le(x, 20, 2);
			le(x, flags, 2);
			le(x, 0, 2);    /* stored */
			le(x, 0, 2);    /* time */
			le(x, 0x21, 2); /* date: 1980-01-01 */
			le(x, crc, 4);
			le(x, cs, 4);
			le(x, m[i].len, 4);
			le(x, nl, 2);
			le(x, 0, 2);
			if (h) {
				le(x, 0, 2 + 2 + 2 + 4); /* comment, disk, attributes */
				le(x, off, 4);
			}
			g_byte_array_append(x, (const guint8 *)m[i].name, (guint)nl);
		}
		if (pw[i] != NULL) {
			struct zc z;
			uint8_t head[12];

			zc_init(&z, pw[i]);
			for (int k = 0; k < 12; k++)
				head[k] = zc_encrypt(&z, k == 11 ? (uint8_t)(crc >> 24)
				                                 : (uint8_t)(k * 37 + 11));
			g_byte_array_append(b, head, sizeof head);
			for (size_t k = 0; k < m[i].len; k++) {
				uint8_t c = zc_encrypt(&z, ((const uint8_t *)m[i].data)[k]);

				g_byte_array_append(b, &c, 1);
			}
		} else {
			g_byte_array_append(b, m[i].data, (guint)m[i].len);
		}
	}
	{
		uint32_t cdoff = b->len;

		g_byte_array_append(b, cd->data, cd->len);
		le(b, 0x06054b50u, 4);
		le(b, 0, 4);
		le(b, n, 2);
		le(b, n, 2);
		le(b, cd->len, 4);
		le(b, cdoff, 4);
		le(b, 0, 2);
	}
	g_byte_array_unref(cd);
	return b;
}

static GByteArray *mixed_zip(void)
{
	static const char doc[] = "Cong van so 123/BHXH";
	struct member m[] = {{"CongVan.txt", doc, sizeof doc - 1},
	                     {"HoSo.exe", PAYLOAD, sizeof PAYLOAD - 1}};
	const char *pw[] = {NULL, PASSWORD};

	return zipcrypto_zip(m, pw, 2);
}

/* ---- messages ---- */

static char *text_part(const char *subtype, const char *body)
{
	return g_strdup_printf("Content-Type: text/%s; charset=utf-8\r\n"
	                       "Content-Transfer-Encoding: 8bit\r\n\r\n%s\r\n",
	                       subtype, body);
}

static char *attachment(const char *name, const char *ctype, const GByteArray *data)
{
	gchar *b64 = g_base64_encode(data->data, data->len);
	GString *wrapped = g_string_new(NULL);
	char *part;

	for (size_t i = 0, n = strlen(b64); i < n; i += 76)
		g_string_append_printf(wrapped, "%.*s\r\n", (int)MIN(76, n - i), b64 + i);
	part = g_strdup_printf("Content-Type: %s; name=\"%s\"\r\n"
	                       "Content-Disposition: attachment; filename=\"%s\"\r\n"
	                       "Content-Transfer-Encoding: base64\r\n\r\n%s",
	                       ctype, name, name, wrapped->str);
	g_free(b64);
	g_string_free(wrapped, TRUE);
	return part;
}

/* a multipart/mixed message of the given parts (freed here); subject in UTF-8 */
static char *mail(const char *subject, char **parts)
{
	gchar *subj = g_base64_encode((const guchar *)subject, strlen(subject));
	GString *m = g_string_new(NULL);

	g_string_append_printf(m,
	                       "From: Ke toan <ketoan@bhxh.example>\r\nTo: staff@bhxh.example\r\n"
	                       "Subject: =?UTF-8?B?%s?=\r\nMIME-Version: 1.0\r\n"
	                       "Content-Type: multipart/mixed; boundary=\"BND\"\r\n\r\n",
	                       subj);
	for (size_t i = 0; parts[i] != NULL; i++) {
		g_string_append_printf(m, "--BND\r\n%s\r\n", parts[i]);
		g_free(parts[i]);
	}
	g_string_append(m, "--BND--\r\n");
	g_free(subj);
	return g_string_free(m, FALSE);
}

static vigil_scan *scan_mail(vigil_engine *e, char *m)
{
	vigil_scan *s = tu_scan(e, m, strlen(m), "t.eml");

	g_free(m);
	return s;
}

static vigil_scan *scan_bytes(vigil_engine *e, const GByteArray *b, const char *name)
{
	return tu_scan(e, b->data, b->len, name);
}

/* ---- passwords: the candidates ---- */

static bool has_candidate(vigil_scan *s, const char *pw)
{
	const GPtrArray *c = vscan_passwords(s);

	for (guint i = 0; i < c->len; i++)
		if (strcmp(g_ptr_array_index(c, i), pw) == 0)
			return true;
	return false;
}

static void candidates_after_keywords(void **state)
{
	vigil_engine *e = tu_engine(NULL, NULL);
	static const struct {
		const char *text;
		const char *pw;
		bool html;
	} cases[] = {
	        {"Mật khẩu giải nén: BHXH@2024", "BHXH@2024", false},
	        {"MẬT KHẨU: \"x7-Kq!z\".", "x7-Kq!z", false},
	        {"Kính gửi, mk là 2024 nhé", "2024", false},
	        {"mat khau mo file la: abc123.", "abc123", false},
	        {"Password: s3cr3t", "s3cr3t", false},
	        {"The password to open it is Tr0ub4dor&3", "Tr0ub4dor&3", false},
	        {"pwd=hunter2;", "hunter2", false},
	        {"(pass:qwerty)", "qwerty", false},
	        {"pass\n2468", "2468", false},
	        /* decomposed Vietnamese (NFD) */
	        {"Ma\xcc\xa3\xcc\x82t kha\xcc\x82\xcc\x89u: nfd-pass", "nfd-pass", false},
	        {"<p>M&#7853;t kh&#7849;u:&nbsp;<b>Html#Pw1</b></p>", "Html#Pw1", true},
	        {"<style>p{}</style><div>Mật khẩu</div><div>: <span>Q9z</span></div>", "Q9z", true},
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		vigil_scan *s = vigil_scan_new(e, 0);

		password_collect_text(s, cases[i].text, strlen(cases[i].text), cases[i].html, true,
		                      false);
		if (!has_candidate(s, cases[i].pw)) {
			const GPtrArray *c = vscan_passwords(s);

			fprintf(stderr, "case %zu: %s not among %u candidates:\n", i, cases[i].pw,
			        c->len);
			for (guint k = 0; k < c->len; k++)
				fprintf(stderr, "  [%s]\n", (char *)g_ptr_array_index(c, k));
			fail();
		}
		vigil_scan_free(s);
	}
	vigil_engine_unref(e);
}

static void candidates_bounded(void **state)
{
	vigil_engine *e = tu_engine(NULL, NULL);
	vigil_scan *s = vigil_scan_new(e, 0);
	GString *t = g_string_new(NULL);
	char *longpw = g_strnfill(65, 'a');

	(void)state;
	/* "passport" and "passed" are no keywords; a 65-byte word is no password */
	g_string_append_printf(t, "passport 11111 passed 22222 password: %s\n", longpw);
	for (int i = 0; i < 200; i++)
		g_string_append_printf(t, "password: pw%03d\n", i);
	password_collect_text(s, t->str, t->len, false, true, true);
	assert_false(has_candidate(s, "11111"));
	assert_false(has_candidate(s, "22222"));
	assert_false(has_candidate(s, longpw));
	assert_true(has_candidate(s, "pw000"));
	assert_int_equal(vscan_passwords(s)->len, 64);
	/* the long text gives no fallback words */
	assert_false(has_candidate(s, "password:"));
	vigil_scan_free(s);

	/* a short body without keywords: every word of 4..32 bytes */
	s = vigil_scan_new(e, 0);
	{
		const char *t2 = "Gui anh file, ma la 8642 nhe. ok";

		password_collect_text(s, t2, strlen(t2), false, true, true);
	}
	assert_true(has_candidate(s, "8642"));
	assert_true(has_candidate(s, "file"));
	assert_false(has_candidate(s, "ok"));
	vigil_scan_free(s);
	g_string_free(t, TRUE);
	g_free(longpw);
	vigil_engine_unref(e);
}

/* ---- passwords: encrypted zips in mail ---- */

static void check_opened(vigil_scan *s, const char *zip)
{
	char *path = g_strdup_printf("msg/%s", zip);
	char *inner = g_strdup_printf("msg/%s/HoSo.exe", zip);
	const vigil_finding *f;

	expect(s, "archive.password_found", path, VIGIL_SEV_HIGH, "T1027.013");
	f = finding_at(s, "archive.password_found", path);
	assert_non_null(strstr(vigil_finding_evidence(f), "\"" PASSWORD "\""));
	expect(s, "yara.Delivery_Payload", inner, VIGIL_SEV_CRITICAL, "");
	expect(s, "delivery.archive_executable", inner, VIGIL_SEV_HIGH, "T1566.001,T1204.002");
	absent(s, "archive.encrypted");
	assert_int_equal(vigil_scan_verdict(s), VIGIL_MALICIOUS);
	g_free(path);
	g_free(inner);
}

static void zipcrypto_password_in_body(void **state)
{
	vigil_engine *e = tu_engine(rule, NULL);
	GByteArray *z = payload_zip("zip:encryption=zipcrypt", PASSWORD);
	char *parts[] = {text_part("plain", "Kính gửi anh chị,\r\nMật khẩu giải nén: " PASSWORD
	                                    "\r\nTrân trọng."),
	                 attachment("CongVan.zip", "application/zip", z), NULL};
	vigil_scan *s = scan_mail(e, mail("Công văn số 123", parts));

	(void)state;
	check_opened(s, "2:CongVan.zip");
	vigil_scan_free(s);
	g_byte_array_unref(z);
	vigil_engine_unref(e);
}

static void aes_password_in_html_only(void **state)
{
	vigil_engine *e = tu_engine(rule, NULL);
	GByteArray *z = payload_zip("zip:encryption=aes256", PASSWORD);
	char *alt = g_strdup_printf(
	        "Content-Type: multipart/alternative; boundary=\"ALT\"\r\n\r\n--ALT\r\n%s\r\n"
	        "--ALT\r\n%s\r\n--ALT--\r\n",
	        "Content-Type: text/plain; charset=utf-8\r\n\r\nXem tệp đính kèm.\r\n",
	        "Content-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>Xem tệp.</p>"
	        "<p>M&#7853;t kh&#7849;u: <b>" PASSWORD "</b></p></body></html>\r\n");
	char *parts[] = {alt, attachment("HoSo.zip", "application/zip", z), NULL};
	vigil_scan *s = scan_mail(e, mail("Hồ sơ", parts));

	(void)state;
	check_opened(s, "2:HoSo.zip");
	vigil_scan_free(s);
	g_byte_array_unref(z);
	vigil_engine_unref(e);
}

static void password_in_body_after_attachment(void **state)
{
	vigil_engine *e = tu_engine(rule, NULL);
	GByteArray *z = payload_zip("zip:encryption=zipcrypt", PASSWORD);
	char *parts[] = {attachment("CongVan.zip", "application/zip", z),
	                 text_part("plain", "Password: " PASSWORD), NULL};
	vigil_scan *s = scan_mail(e, mail("Tai lieu", parts));

	(void)state;
	check_opened(s, "1:CongVan.zip");
	vigil_scan_free(s);
	g_byte_array_unref(z);
	vigil_engine_unref(e);
}

/* passwords are read only when an encrypted archive turns up: the messages
 * around it must still be there to read (a forwarded message carries the
 * zip, the forwarding text gives the password, and the other way round) */
static char *forwarded(char *inner_mail)
{
	char **bits = g_strsplit(inner_mail, "BND", -1);
	char *inner = g_strjoinv("INNER", bits);
	char *part = g_strdup_printf("Content-Type: message/rfc822\r\n\r\n%s", inner);

	g_strfreev(bits);
	g_free(inner);
	g_free(inner_mail);
	return part;
}

static void password_outside_forwarded_message(void **state)
{
	vigil_engine *e = tu_engine(rule, NULL);
	GByteArray *z = payload_zip("zip:encryption=zipcrypt", PASSWORD);
	char *inner_parts[] = {text_part("plain", "Xem tệp."),
	                       attachment("CongVan.zip", "application/zip", z), NULL};
	char *parts[] = {text_part("plain", "Chuyển tiếp. Mật khẩu: " PASSWORD),
	                 forwarded(mail("Công văn", inner_parts)), NULL};
	vigil_scan *s = scan_mail(e, mail("Fwd: Công văn", parts));
	char *z2 = g_strdup_printf("zip:encryption=zipcrypt");
	GByteArray *zz = payload_zip(z2, PASSWORD);
	char *inner2[] = {text_part("plain", "Mật khẩu: " PASSWORD), NULL};
	char *parts2[] = {forwarded(mail("Công văn", inner2)),
	                  attachment("CongVan.zip", "application/zip", zz), NULL};
	vigil_scan *s2;

	(void)state;
	assert_true(tu_finding(s, "archive.password_found") >= 0);
	assert_true(tu_finding(s, "yara.Delivery_Payload") >= 0);
	assert_true(tu_finding(s, "archive.encrypted") < 0);
	/* the password in the forwarded message, the zip beside it */
	s2 = scan_mail(e, mail("Fwd", parts2));
	assert_true(tu_finding(s2, "archive.password_found") >= 0);
	assert_true(tu_finding(s2, "yara.Delivery_Payload") >= 0);
	vigil_scan_free(s);
	vigil_scan_free(s2);
	g_free(z2);
	g_byte_array_unref(z);
	g_byte_array_unref(zz);
	vigil_engine_unref(e);
}

static void password_in_subject(void **state)
{
	vigil_engine *e = tu_engine(rule, NULL);
	GByteArray *z = payload_zip("zip:encryption=zipcrypt", PASSWORD);
	char *parts[] = {text_part("plain", "Anh chị xem tài liệu đính kèm giúp em. Cảm ơn."),
	                 attachment("CongVan.zip", "application/zip", z), NULL};
	vigil_scan *s = scan_mail(e, mail("Công văn khẩn (MK: " PASSWORD ")", parts));

	(void)state;
	check_opened(s, "2:CongVan.zip");
	vigil_scan_free(s);
	g_byte_array_unref(z);
	vigil_engine_unref(e);
}

static void wrong_password_stays_encrypted(void **state)
{
	vigil_engine *e = tu_engine(rule, NULL);
	GByteArray *z = payload_zip("zip:encryption=zipcrypt", PASSWORD);
	char *parts[] = {text_part("plain", "Mật khẩu: BHXH@2023"),
	                 attachment("CongVan.zip", "application/zip", z), NULL};
	vigil_scan *s = scan_mail(e, mail("Công văn", parts));
	const vigil_finding *f;

	(void)state;
	expect(s, "archive.encrypted", "msg/2:CongVan.zip", VIGIL_SEV_MEDIUM, "T1027.013");
	f = finding_at(s, "archive.encrypted", NULL);
	assert_non_null(
	        strstr(vigil_finding_evidence(f), "candidate password(s) from the message"));
	assert_int_equal(count_of(s, "archive.encrypted"), 1);
	absent(s, "archive.password_found");
	absent(s, "yara.Delivery_Payload");
	assert_non_null(strstr(vigil_finding_evidence(f), "2 encrypted member(s)"));
	assert_null(tu_object(s, "HoSo.exe"));
	assert_null(tu_object(s, "CongVan.txt"));
	vigil_scan_free(s);
	g_byte_array_unref(z);
	vigil_engine_unref(e);
}

/* the plain member is read once (first pass), the encrypted one once (second) */
static void mixed_zip_members_once(void **state)
{
	vigil_engine *e = tu_engine(rule, NULL);
	GByteArray *z = mixed_zip();
	char *parts[] = {text_part("plain", "pass: " PASSWORD),
	                 attachment("CongVan.zip", "application/zip", z), NULL};
	vigil_scan *s = scan_mail(e, mail("Công văn", parts));
	size_t txt = 0, exe = 0;

	(void)state;
	check_opened(s, "2:CongVan.zip");
	for (size_t i = 0; i < vigil_scan_object_count(s); i++) {
		const char *p = vigil_object_path(vigil_scan_object(s, i));

		txt += strcmp(p, "msg/2:CongVan.zip/CongVan.txt") == 0;
		exe += strcmp(p, "msg/2:CongVan.zip/HoSo.exe") == 0;
	}
	assert_int_equal(txt, 1);
	assert_int_equal(exe, 1);
	assert_non_null(
	        strstr(vigil_finding_evidence(finding_at(s, "archive.password_found", NULL)),
	               "opens 1 encrypted member(s), first HoSo.exe"));
	vigil_scan_free(s);
	g_byte_array_unref(z);
	vigil_engine_unref(e);
}

/* members locked with different passwords: each is opened by its own */
static void two_passwords(void **state)
{
	vigil_engine *e = tu_engine(rule, NULL);
	static const char doc[] = "Cong van so 123/BHXH";
	struct member m[] = {{"CongVan.txt", doc, sizeof doc - 1},
	                     {"HoSo.exe", PAYLOAD, sizeof PAYLOAD - 1}};
	const char *pw[] = {"first-pw", PASSWORD};
	GByteArray *z = zipcrypto_zip(m, pw, 2);
	char *parts[] = {text_part("plain", "MK file 1: first-pw\r\nMK file 2: " PASSWORD),
	                 attachment("CongVan.zip", "application/zip", z), NULL};
	vigil_scan *s = scan_mail(e, mail("Công văn", parts));

	(void)state;
	expect(s, "archive.password_found", "msg/2:CongVan.zip", VIGIL_SEV_HIGH, "T1027.013");
	assert_non_null(tu_object(s, "msg/2:CongVan.zip/CongVan.txt"));
	assert_non_null(finding_at(s, "yara.Delivery_Payload", "msg/2:CongVan.zip/HoSo.exe"));
	absent(s, "archive.encrypted");
	vigil_scan_free(s);
	g_byte_array_unref(z);
	vigil_engine_unref(e);
}

/* benign: an encrypted zip whose password is not in the mail */
static void password_elsewhere_stays_encrypted(void **state)
{
	vigil_engine *e = tu_engine(rule, NULL);
	GByteArray *z = payload_zip("zip:encryption=aes256", PASSWORD);
	char *parts[] = {text_part("plain",
	                           "Gửi anh bảng lương tháng 3. Mật khẩu em gửi qua Zalo."
	                           " Anh vui lòng không chuyển tiếp thư này cho người khác."
	                           "\r\n\r\n-- \r\nPhòng Kế toán, BHXH tỉnh"),
	                 attachment("BangLuong.zip", "application/zip", z), NULL};
	vigil_scan *s = scan_mail(e, mail("Bảng lương", parts));

	(void)state;
	expect(s, "archive.encrypted", "msg/2:BangLuong.zip", VIGIL_SEV_MEDIUM, "T1027.013");
	absent(s, "archive.password_found");
	absent(s, "delivery.archive_executable");
	vigil_scan_free(s);
	g_byte_array_unref(z);
	vigil_engine_unref(e);
}

/* benign: a mail that talks about passwords, with no archive */
static void password_talk_is_clean(void **state)
{
	vigil_engine *e = tu_engine(rule, NULL);
	char *parts[] = {text_part("plain", "Nhắc nhở: đổi mật khẩu VssID định kỳ 90 ngày.\r\n"
	                                    "Password: không chia sẻ cho bất kỳ ai."),
	                 NULL};
	vigil_scan *s = scan_mail(e, mail("Nhắc đổi mật khẩu", parts));

	(void)state;
	assert_int_equal(vigil_scan_finding_count(s), 0);
	assert_int_equal(vigil_scan_verdict(s), VIGIL_CLEAN);
	vigil_scan_free(s);
	vigil_engine_unref(e);
}

/* a zip outside a message: no candidates, said so */
static void encrypted_zip_alone(void **state)
{
	vigil_engine *e = tu_engine(NULL, NULL);
	GByteArray *z = payload_zip("zip:encryption=zipcrypt", PASSWORD);
	vigil_scan *s = scan_bytes(e, z, "x.zip");
	const vigil_finding *f = finding_at(s, "archive.encrypted", "x.zip");

	(void)state;
	assert_non_null(f);
	assert_non_null(strstr(vigil_finding_evidence(f), "no password found in the message"));
	vigil_scan_free(s);
	g_byte_array_unref(z);
	vigil_engine_unref(e);
}

/* ---- nested archives ---- */

static void zip_in_zip_with_program(void **state)
{
	vigil_engine *e = tu_engine(NULL, NULL);
	uint8_t exe[0x80] = {0};
	struct member im[1], om[2];
	GByteArray *inner, *outer;
	static const char note[] = "xem file trong thu muc";

	(void)state;
	memcpy(exe, "MZ", 2);
	exe[0x3c] = 0x40;
	memcpy(exe + 0x40, "PE\0\0", 4);
	im[0] = (struct member){"ThongBao.pdf.exe", exe, sizeof exe};
	inner = make_archive("zip", im, 1, NULL, NULL);
	om[0] = (struct member){"doc.txt", note, sizeof note - 1};
	om[1] = (struct member){"HoSo.zip", inner->data, inner->len};
	outer = make_archive("zip", om, 2, NULL, NULL);
	{
		char *parts[] = {text_part("plain", "Gửi anh hồ sơ."),
		                 attachment("Goi.zip", "application/zip", outer), NULL};
		vigil_scan *s = scan_mail(e, mail("Hồ sơ", parts));

		expect(s, "delivery.archive_executable", "msg/2:Goi.zip/HoSo.zip/ThongBao.pdf.exe",
		       VIGIL_SEV_HIGH, "T1566.001,T1204.002");
		expect(s, "delivery.nested_archive", "msg/2:Goi.zip/HoSo.zip", VIGIL_SEV_LOW,
		       "T1027");
		vigil_scan_free(s);
	}
	/* the same zip outside a message: no delivery findings */
	{
		vigil_scan *s = scan_bytes(e, outer, "Goi.zip");

		absent(s, "delivery.archive_executable");
		absent(s, "delivery.nested_archive");
		vigil_scan_free(s);
	}
	g_byte_array_unref(inner);
	g_byte_array_unref(outer);
	vigil_engine_unref(e);
}

/* a zip of documents in a mail: nothing from delivery */
static void zip_of_documents_is_quiet(void **state)
{
	vigil_engine *e = tu_engine(NULL, NULL);
	static const char a[] = "%PDF-1.4\n%%EOF\n", b[] = "so lieu quy 1";
	struct member m[] = {{"BaoCao.pdf", a, sizeof a - 1}, {"SoLieu.csv", b, sizeof b - 1}};
	GByteArray *z = make_archive("zip", m, 2, NULL, NULL);
	char *parts[] = {text_part("plain", "Báo cáo quý 1."),
	                 attachment("BaoCao.zip", "application/zip", z), NULL};
	vigil_scan *s = scan_mail(e, mail("Báo cáo", parts));

	(void)state;
	absent(s, "delivery.archive_executable");
	absent(s, "delivery.nested_archive");
	absent(s, "delivery.disk_image");
	vigil_scan_free(s);
	g_byte_array_unref(z);
	vigil_engine_unref(e);
}

/* benign: an EPUB book's scripts; the same bytes named .zip are a zip */
static void epub_scripts_are_quiet(void **state)
{
	vigil_engine *e = tu_engine(NULL, NULL);
	static const char mt[] = "application/epub+zip", js[] = "function page(){}";
	struct member m[] = {{"mimetype", mt, sizeof mt - 1},
	                     {"OPS/js/book.js", js, sizeof js - 1}};
	const char *pw[] = {NULL, NULL};
	GByteArray *z = zipcrypto_zip(m, pw, 2);
	char *parts[] = {attachment("Sach.epub", "application/epub+zip", z), NULL};
	char *parts2[] = {attachment("Sach.zip", "application/zip", z), NULL};
	vigil_scan *s = scan_mail(e, mail("Sách", parts));

	(void)state;
	assert_non_null(tu_object(s, "msg/1:Sach.epub/OPS/js/book.js"));
	absent(s, "delivery.archive_executable");
	vigil_scan_free(s);
	s = scan_mail(e, mail("Sách", parts2));
	expect(s, "delivery.archive_executable", "msg/1:Sach.zip/OPS/js/book.js", VIGIL_SEV_HIGH,
	       "T1566.001,T1204.002");
	vigil_scan_free(s);
	g_byte_array_unref(z);
	vigil_engine_unref(e);
}

/* ---- disk images ---- */

static const uint8_t lnk_head[20] = {0x4C, 0, 0,    0, 0x01, 0x14, 0x02, 0, 0, 0,
                                     0,    0, 0xC0, 0, 0,    0,    0,    0, 0, 0x46};

static void fat12_set(uint8_t *fat, unsigned c, unsigned v)
{
	unsigned off = c + c / 2;

	if (c & 1) {
		fat[off] = (uint8_t)((fat[off] & 0x0F) | ((v << 4) & 0xF0));
		fat[off + 1] = (uint8_t)(v >> 4);
	} else {
		fat[off] = (uint8_t)(v & 0xFF);
		fat[off + 1] = (uint8_t)((fat[off + 1] & 0xF0) | ((v >> 8) & 0x0F));
	}
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v & 0xffff);
	put16(p + 2, v >> 16);
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static void putbe32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void putbe64(uint8_t *p, uint64_t v)
{
	putbe32(p, (uint32_t)(v >> 32));
	putbe32(p + 4, (uint32_t)v);
}

static void dirent(uint8_t *e, const char *n83, uint8_t attr, unsigned cl, uint32_t size)
{
	memcpy(e, n83, 11);
	e[11] = attr;
	put16(e + 26, cl);
	put32(e + 28, size);
}

/* long-name entries for an ASCII name, before the short entry at e + 32 * count */
static unsigned lfn(uint8_t *e, const char *name, const char *n83)
{
	static const uint8_t pos[13] = {1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30};
	size_t len = strlen(name);
	unsigned count = (unsigned)((len + 12) / 13), k;
	uint8_t sum = 0;

	for (int i = 0; i < 11; i++)
		sum = (uint8_t)(((sum & 1) << 7) + (sum >> 1) + (uint8_t)n83[i]);
	for (k = 0; k < count; k++) {
		unsigned seq = count - k;
		uint8_t *x = e + 32 * k;

		x[0] = (uint8_t)(seq | (k == 0 ? 0x40 : 0));
		x[11] = 0x0F;
		x[13] = sum;
		for (int i = 0; i < 13; i++) {
			size_t ci = (seq - 1) * 13 + (size_t)i;
			unsigned ch = ci < len ? (uint8_t)name[ci] : ci == len ? 0 : 0xFFFF;

			put16(x + pos[i], ch);
		}
	}
	return count;
}

/*
 * A 32 KB FAT12 volume: README.TXT; a shortcut with a long name; DATA/ with
 * the payload program over two clusters (and a long name); a deleted file.
 */
#define FAT_SECTORS 64

static GByteArray *make_fat(bool with_programs)
{
	uint8_t *v = g_malloc0(FAT_SECTORS * 512), *root = v + 3 * 512;
	uint8_t lnk[100] = {0}, exe[600] = {0};
	static const char readme[] = "Tai lieu hop giao ban\r\n";
	GByteArray *out = g_byte_array_new();
	unsigned k = 0;

	memcpy(lnk, lnk_head, sizeof lnk_head);
	memcpy(exe, "MZ", 2);
	exe[0x3c] = 0x40;
	memcpy(exe + 0x40, "PE\0\0", 4);
	memcpy(exe + 520, PAYLOAD, sizeof PAYLOAD - 1); /* in the second cluster */
	/* boot sector and BPB */
	v[0] = 0xEB;
	v[1] = 0x3C;
	v[2] = 0x90;
	memcpy(v + 3, "MSWIN4.1", 8);
	put16(v + 11, 512);
	v[13] = 1;         /* sectors per cluster */
	put16(v + 14, 1);  /* reserved */
	v[16] = 2;         /* FATs */
	put16(v + 17, 16); /* root entries */
	put16(v + 19, FAT_SECTORS);
	v[21] = 0xF8;
	put16(v + 22, 1); /* sectors per FAT */
	memcpy(v + 54, "FAT12   ", 8);
	v[510] = 0x55;
	v[511] = 0xAA;
	/* FAT: cluster 2 README, 3 DATA/, 4 lnk, 5-6 exe */
	for (int f = 0; f < 2; f++) {
		uint8_t *fat = v + 512 * (1 + f);

		fat12_set(fat, 0, 0xFF8);
		fat12_set(fat, 1, 0xFFF);
		fat12_set(fat, 2, 0xFFF);
		fat12_set(fat, 3, 0xFFF);
		fat12_set(fat, 4, 0xFFF);
		fat12_set(fat, 5, 6);
		fat12_set(fat, 6, 0xFFF);
	}
	memcpy(root, "VOLUMELABEL", 11);
	root[11] = 0x08;
	k = 1;
	dirent(root + 32 * k++, "README  TXT", 0x20, 2, sizeof readme - 1);
	if (with_programs) {
		k += lfn(root + 32 * k, "Giay moi hop.pdf.lnk", "GIAYMO~1LNK");
		dirent(root + 32 * k++, "GIAYMO~1LNK", 0x20, 4, sizeof lnk);
		dirent(root + 32 * k++, "DATA       ", 0x10 | 0x02, 3, 0);
	}
	/* a deleted entry is skipped */
	dirent(root + 32 * k, "XOLD    EXE", 0x20, 5, 600);
	root[32 * k] = 0xE5;
	memcpy(v + 4 * 512, readme, sizeof readme - 1);
	if (with_programs) {
		uint8_t *d = v + 5 * 512;

		dirent(d, ".          ", 0x10, 3, 0);
		dirent(d + 32, "..         ", 0x10, 0, 0);
		k = 2 + lfn(d + 64, "update_service.exe", "UPDATE~1EXE");
		dirent(d + 32 * k, "UPDATE~1EXE", 0x20 | 0x02, 5, sizeof exe);
		memcpy(v + 6 * 512, lnk, sizeof lnk);
		memcpy(v + 7 * 512, exe, sizeof exe);
	}
	g_byte_array_append(out, v, FAT_SECTORS * 512);
	g_free(v);
	return out;
}

/* an MBR disk with the volume as partition 1 at LBA 8 */
static GByteArray *make_mbr(const GByteArray *vol)
{
	uint8_t s[8 * 512] = {0};
	GByteArray *out = g_byte_array_new();
	uint8_t *e = s + 446;

	e[0] = 0x80;
	e[4] = 0x01; /* FAT12 */
	put32(e + 8, 8);
	put32(e + 12, vol->len / 512);
	s[510] = 0x55;
	s[511] = 0xAA;
	g_byte_array_append(out, s, sizeof s);
	g_byte_array_append(out, vol->data, vol->len);
	return out;
}

static void vhd_footer(uint8_t *f, uint64_t size, uint32_t type, uint64_t dyn_off)
{
	uint32_t sum = 0;

	memset(f, 0, 512);
	memcpy(f, "conectix", 8);
	putbe32(f + 8, 2);
	putbe32(f + 12, 0x00010000);
	putbe64(f + 16, dyn_off);
	memcpy(f + 28, "vigi", 4);
	putbe64(f + 40, size);
	putbe64(f + 48, size);
	putbe32(f + 60, type);
	for (int i = 0; i < 512; i++)
		sum += f[i];
	putbe32(f + 64, ~sum);
}

static GByteArray *make_vhd_fixed(const GByteArray *disk)
{
	GByteArray *out = g_byte_array_new();
	uint8_t f[512];

	vhd_footer(f, disk->len, 2, UINT64_MAX);
	g_byte_array_append(out, disk->data, disk->len);
	g_byte_array_append(out, f, sizeof f);
	return out;
}

/* dynamic VHD, 4 KB blocks; blocks of zeros are left out of the file */
static GByteArray *make_vhd_dynamic(const GByteArray *disk)
{
	const uint32_t block = 4096;
	uint32_t nblocks = (uint32_t)((disk->len + block - 1) / block);
	size_t bat_bytes = ((nblocks * 4 + 511) / 512) * 512;
	GByteArray *out = g_byte_array_new();
	uint8_t f[512], h[1024] = {0}, *bat = g_malloc(bat_bytes), bitmap[512];
	uint64_t vsize = (uint64_t)nblocks * block;

	memset(bat, 0xFF, bat_bytes);
	memset(bitmap, 0xFF, sizeof bitmap);
	vhd_footer(f, vsize, 3, 512);
	memcpy(h, "cxsparse", 8);
	putbe64(h + 8, UINT64_MAX);
	putbe64(h + 16, 1536);
	putbe32(h + 24, 0x00010000);
	putbe32(h + 28, nblocks);
	putbe32(h + 32, block);
	g_byte_array_append(out, f, sizeof f);
	g_byte_array_append(out, h, sizeof h);
	g_byte_array_append(out, bat, bat_bytes);
	for (uint32_t b = 0; b < nblocks; b++) {
		uint8_t data[4096] = {0};
		size_t off = (size_t)b * block, n = MIN(block, disk->len - off);
		bool zero = true;

		memcpy(data, disk->data + off, n);
		for (size_t i = 0; i < sizeof data && zero; i++)
			zero = data[i] == 0;
		if (zero)
			continue;
		putbe32(out->data + 1536 + 4 * b, out->len / 512);
		g_byte_array_append(out, bitmap, sizeof bitmap);
		g_byte_array_append(out, data, sizeof data);
	}
	g_byte_array_append(out, f, sizeof f);
	g_free(bat);
	return out;
}

/* VHDX: metadata at 320 KB, BAT at 448 KB, the first 1 MB block at 1 MB (cut after the disk) */
static GByteArray *make_vhdx(const GByteArray *disk)
{
	static const uint8_t bat_guid[16] = {0x66, 0x77, 0xC2, 0x2D, 0x23, 0xF6, 0x00, 0x42,
	                                     0x9D, 0x64, 0x11, 0x5E, 0x9B, 0xFD, 0x4A, 0x08};
	static const uint8_t meta_guid[16] = {0x06, 0xA2, 0x7C, 0x8B, 0x90, 0x47, 0x9A, 0x4B,
	                                      0xB8, 0xFE, 0x57, 0x5F, 0x05, 0x0F, 0x88, 0x6E};
	static const uint8_t params[16] = {0x37, 0x67, 0xA1, 0xCA, 0x36, 0xFA, 0x43, 0x4D,
	                                   0xB3, 0xB6, 0x33, 0xF0, 0xAA, 0x44, 0xE7, 0x6B};
	static const uint8_t vsize[16] = {0x24, 0x42, 0xA5, 0x2F, 0x1B, 0xCD, 0x76, 0x48,
	                                  0xB2, 0x11, 0x5D, 0xBE, 0xD8, 0x3B, 0xF4, 0xB8};
	static const uint8_t lss[16] = {0x1D, 0xBF, 0x41, 0x81, 0x6F, 0xA9, 0x09, 0x47,
	                                0xBA, 0x47, 0xF2, 0x33, 0xA8, 0xFA, 0xAB, 0x5F};
	const size_t mb = 1u << 20;
	const size_t mo = 320u << 10, bo = 448u << 10, total = mb + disk->len;
	uint8_t *x = g_malloc0(total), *r = x + (192u << 10), *m = x + mo;
	GByteArray *out = g_byte_array_new();

	memcpy(x, "vhdxfile", 8);
	memcpy(x + (64u << 10), "head", 4);
	memcpy(x + (128u << 10), "head", 4);
	memcpy(r, "regi", 4);
	put32(r + 8, 2);
	memcpy(r + 16, bat_guid, 16);
	put64(r + 32, bo);
	put32(r + 40, 64u << 10);
	put32(r + 44, 1);
	memcpy(r + 48, meta_guid, 16);
	put64(r + 64, mo);
	put32(r + 72, 128u << 10);
	put32(r + 76, 1);
	memcpy(m, "metadata", 8);
	put16(m + 10, 3);
	memcpy(m + 32, params, 16);
	put32(m + 48, 65536);
	put32(m + 52, 8);
	memcpy(m + 64, vsize, 16);
	put32(m + 80, 65536 + 8);
	put32(m + 84, 8);
	memcpy(m + 96, lss, 16);
	put32(m + 112, 65536 + 16);
	put32(m + 116, 4);
	put32(m + 65536, (uint32_t)mb);  /* block size */
	put64(m + 65536 + 8, mb);        /* virtual disk size */
	put32(m + 65536 + 16, 512);      /* logical sector size */
	put64(x + bo, (uint64_t)mb | 6); /* block 0: fully present at 1 MB */
	memcpy(x + mb, disk->data, disk->len);
	g_byte_array_append(out, x, (guint)total);
	g_free(x);
	return out;
}

static void check_fat_files(vigil_scan *s, const char *base)
{
	char *readme = g_strconcat(base, "/README.TXT", NULL);
	char *lnk = g_strconcat(base, "/Giay moi hop.pdf.lnk", NULL);
	char *exe = g_strconcat(base, "/DATA/update_service.exe", NULL);
	const vigil_object *o;

	assert_string_equal(vigil_object_type(object_at(s, readme)), "text");
	assert_string_equal(vigil_object_type(object_at(s, lnk)), "lnk");
	o = object_at(s, exe);
	assert_string_equal(vigil_object_type(o), "pe");
	assert_int_equal(vigil_object_size(o), 600);
	/* the payload sits in the file's second cluster */
	assert_non_null(finding_at(s, "yara.Delivery_Payload", exe));
	assert_null(tu_object(s, "XOLD.EXE"));
	g_free(readme);
	g_free(lnk);
	g_free(exe);
}

static void fat_image_in_mail(void **state)
{
	vigil_engine *e = tu_engine(rule, NULL);
	GByteArray *img = make_fat(true);
	char *parts[] = {text_part("plain", "Giấy mời họp."),
	                 attachment("GiayMoi.img", "application/octet-stream", img), NULL};
	vigil_scan *s = scan_mail(e, mail("Giấy mời họp", parts));

	(void)state;
	assert_string_equal(vigil_object_type(object_at(s, "msg/2:GiayMoi.img")), "fat");
	check_fat_files(s, "msg/2:GiayMoi.img");
	expect(s, "delivery.disk_image", "msg/2:GiayMoi.img", VIGIL_SEV_MEDIUM, "T1553.005");
	/* once per image: on the first program met (the shortcut) */
	expect(s, "delivery.image_executable", "msg/2:GiayMoi.img/Giay moi hop.pdf.lnk",
	       VIGIL_SEV_HIGH, "T1553.005,T1204.002");
	assert_int_equal(count_of(s, "delivery.image_executable"), 1);
	assert_int_equal(vigil_scan_verdict(s), VIGIL_MALICIOUS);
	vigil_scan_free(s);
	g_byte_array_unref(img);
	vigil_engine_unref(e);
}

static void vhd_fixed_with_mbr_in_mail(void **state)
{
	vigil_engine *e = tu_engine(rule, NULL);
	GByteArray *vol = make_fat(true), *disk = make_mbr(vol), *vhd = make_vhd_fixed(disk);
	char *parts[] = {text_part("plain", "Hồ sơ."),
	                 attachment("HoSo.vhd", "application/octet-stream", vhd), NULL};
	vigil_scan *s = scan_mail(e, mail("Hồ sơ", parts));

	(void)state;
	assert_string_equal(vigil_object_type(object_at(s, "msg/2:HoSo.vhd")), "vhd");
	check_fat_files(s, "msg/2:HoSo.vhd/p1");
	expect(s, "delivery.disk_image", "msg/2:HoSo.vhd", VIGIL_SEV_MEDIUM, "T1553.005");
	expect(s, "delivery.image_executable", "msg/2:HoSo.vhd/p1/Giay moi hop.pdf.lnk",
	       VIGIL_SEV_HIGH, "T1553.005,T1204.002");
	vigil_scan_free(s);

	/* the bare MBR disk is an image too */
	s = scan_bytes(e, disk, "disk.img");
	assert_string_equal(vigil_object_type(object_at(s, "disk.img")), "disk");
	check_fat_files(s, "disk.img/p1");
	absent(s, "delivery.disk_image"); /* not from a mail */
	vigil_scan_free(s);
	g_byte_array_unref(vol);
	g_byte_array_unref(disk);
	g_byte_array_unref(vhd);
	vigil_engine_unref(e);
}

static void vhd_dynamic_and_vhdx(void **state)
{
	vigil_engine *e = tu_engine(rule, NULL);
	GByteArray *vol = make_fat(true), *disk = make_mbr(vol);
	GByteArray *dyn = make_vhd_dynamic(disk), *vx = make_vhdx(disk);
	vigil_scan *s;

	(void)state;
	/* blocks of zeros are not in the file */
	assert_true(dyn->len < disk->len);
	s = scan_bytes(e, dyn, "d.vhd");
	assert_string_equal(vigil_object_type(object_at(s, "d.vhd")), "vhd");
	check_fat_files(s, "d.vhd/p1");
	vigil_scan_free(s);
	s = scan_bytes(e, vx, "d.vhdx");
	assert_string_equal(vigil_object_type(object_at(s, "d.vhdx")), "vhdx");
	check_fat_files(s, "d.vhdx/p1");
	vigil_scan_free(s);
	g_byte_array_unref(vol);
	g_byte_array_unref(disk);
	g_byte_array_unref(dyn);
	g_byte_array_unref(vx);
	vigil_engine_unref(e);
}

/* hostile images: loops and lengths that point nowhere end cleanly */
static void hostile_fat(void **state)
{
	vigil_engine *e = tu_engine(NULL, NULL);
	GByteArray *img = make_fat(true);
	uint8_t *fat = img->data + 512;
	vigil_scan *s;

	(void)state;
	/* the payload's chain loops (and its size is far beyond it); DATA/ lists
	 * itself as a subdirectory */
	fat12_set(fat, 6, 5);
	put32(img->data + 5 * 512 + 32 * 4 + 28, 10000000);
	dirent(img->data + 5 * 512 + 32 * 5, "LOOP       ", 0x10, 3, 0);
	/* the readme claims more bytes than its chain holds */
	put32(img->data + 3 * 512 + 32 + 28, 100000);
	s = scan_bytes(e, img, "bad.img");
	assert_non_null(tu_object(s, "bad.img/DATA/update_service.exe"));
	assert_non_null(finding_at(s, "archive.damaged", "bad.img"));
	assert_null(tu_object(s, "LOOP/update_service.exe"));
	vigil_scan_free(s);

	/* cut the image in half: what lies past the end is reported, not read */
	g_byte_array_set_size(img, 6 * 512);
	s = scan_bytes(e, img, "cut.img");
	assert_non_null(tu_object(s, "cut.img/README.TXT"));
	assert_non_null(finding_at(s, "archive.damaged", "cut.img"));
	vigil_scan_free(s);
	g_byte_array_unref(img);
	vigil_engine_unref(e);
}

/* benign: an ISO of documents is an image, but carries no program */
static void iso_of_documents(void **state)
{
	vigil_engine *e = tu_engine(NULL, NULL);
	static const char a[] = "%PDF-1.4\n%%EOF\n", b[] = "Danh sach can bo\r\n";
	struct member m[] = {{"BAOCAO.PDF", a, sizeof a - 1}, {"DANHSACH.TXT", b, sizeof b - 1}};
	GByteArray *iso = make_archive("iso9660", m, 2, NULL, NULL);
	char *parts[] = {text_part("plain", "Tài liệu."),
	                 attachment("TaiLieu.iso", "application/octet-stream", iso), NULL};
	vigil_scan *s = scan_mail(e, mail("Tài liệu", parts));

	(void)state;
	assert_string_equal(vigil_object_type(object_at(s, "msg/2:TaiLieu.iso")), "iso9660");
	assert_non_null(tu_object(s, "TaiLieu.iso/BAOCAO.PDF"));
	expect(s, "delivery.disk_image", "msg/2:TaiLieu.iso", VIGIL_SEV_MEDIUM, "T1553.005");
	absent(s, "delivery.image_executable");
	assert_int_equal(vigil_scan_verdict(s), VIGIL_SUSPICIOUS);
	vigil_scan_free(s);

	/* the same with a shortcut */
	{
		struct member m2[] = {{"BAOCAO.PDF", a, sizeof a - 1},
		                      {"BaoCao.pdf.lnk", lnk_head, 20}};
		GByteArray *iso2 = make_archive("iso9660", m2, 2, NULL, NULL);
		char *p2[] = {attachment("BaoCao.iso", "application/octet-stream", iso2), NULL};

		s = scan_mail(e, mail("x", p2));
		expect(s, "delivery.image_executable", "msg/1:BaoCao.iso/BaoCao.pdf.lnk",
		       VIGIL_SEV_HIGH, "T1553.005,T1204.002");
		vigil_scan_free(s);
		g_byte_array_unref(iso2);
	}
	/* a UDF image without the ISO 9660 bridge: an image we cannot open, and say so */
	{
		GByteArray *udf = g_byte_array_new();
		char *p2[3];

		g_byte_array_set_size(udf, 0xA000);
		memset(udf->data, 0, udf->len);
		memcpy(udf->data + 0x8001, "BEA01", 5);
		memcpy(udf->data + 0x8801, "NSR02", 5);
		memcpy(udf->data + 0x9001, "TEA01", 5);
		p2[0] = attachment("x.iso", "application/octet-stream", udf);
		p2[1] = NULL;
		s = scan_mail(e, mail("x", p2));
		assert_string_equal(vigil_object_type(object_at(s, "msg/1:x.iso")), "udf");
		expect(s, "delivery.disk_image", "msg/1:x.iso", VIGIL_SEV_MEDIUM, "T1553.005");
		assert_non_null(finding_at(s, "archive.unsupported", "msg/1:x.iso"));
		vigil_scan_free(s);
		g_byte_array_unref(udf);
	}
	/* a FAT image without programs: an image, nothing more */
	{
		GByteArray *img = make_fat(false);
		char *p2[] = {attachment("a.img", "application/octet-stream", img), NULL};

		s = scan_mail(e, mail("x", p2));
		expect(s, "delivery.disk_image", "msg/1:a.img", VIGIL_SEV_MEDIUM, "T1553.005");
		absent(s, "delivery.image_executable");
		vigil_scan_free(s);
		g_byte_array_unref(img);
	}
	g_byte_array_unref(iso);
	vigil_engine_unref(e);
}

/* ---- OneNote ---- */

static void fdso(GByteArray *b, const void *data, size_t len)
{
	static const uint8_t head[16] = {0xE7, 0x16, 0xE3, 0xBD, 0x65, 0x26, 0x11, 0x45,
	                                 0xA4, 0xC4, 0x8D, 0x4D, 0x0B, 0x7A, 0x9E, 0xAC};
	static const uint8_t foot[16] = {0x22, 0xA7, 0xFB, 0x71, 0x79, 0x0F, 0x0B, 0x4A,
	                                 0xBB, 0x13, 0x89, 0x92, 0x56, 0x42, 0x6B, 0x24};
	uint8_t h[36] = {0}, pad[8] = {0};

	memcpy(h, head, 16);
	put64(h + 16, len);
	g_byte_array_append(b, h, sizeof h);
	g_byte_array_append(b, data, (guint)len);
	g_byte_array_append(b, pad, (guint)((8 - len % 8) % 8));
	g_byte_array_append(b, foot, sizeof foot);
}

static GByteArray *make_onenote(const char *hta)
{
	static const uint8_t file_type[16] = {0xE4, 0x52, 0x5C, 0x7B, 0x8C, 0xD8, 0xA7, 0x4D,
	                                      0xAE, 0xB1, 0x53, 0x78, 0xD0, 0x29, 0x96, 0xD3};
	static const uint8_t png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
	uint8_t hdr[1024] = {0};
	GByteArray *b = g_byte_array_new();
	const char *name = "ThongBao.hta";

	memcpy(hdr, file_type, 16);
	/* EmbeddedFileName somewhere in a property set: UTF-16LE */
	for (size_t i = 0; hta != NULL && name[i]; i++)
		hdr[600 + 2 * i] = (uint8_t)name[i];
	g_byte_array_append(b, hdr, sizeof hdr);
	fdso(b, png, sizeof png - 1);
	if (hta != NULL)
		fdso(b, hta, strlen(hta));
	return b;
}

static void onenote_with_hta(void **state)
{
	vigil_engine *e = tu_engine(rule, NULL);
	GByteArray *one = make_onenote("<html><head><HTA:APPLICATION ID=\"x\"/><script "
	                               "language=\"VBScript\">CreateObject(\"WScript.Shell\")"
	                               ".Run \"" PAYLOAD "\"</script></head></html>");
	char *parts[] = {text_part("plain", "Thông báo."),
	                 attachment("ThongBao.one", "application/onenote", one), NULL};
	vigil_scan *s = scan_mail(e, mail("Thông báo", parts));
	const vigil_finding *f;

	(void)state;
	assert_string_equal(vigil_object_type(object_at(s, "msg/2:ThongBao.one")), "onenote");
	assert_string_equal(vigil_object_type(object_at(s, "msg/2:ThongBao.one/embedded-1.png")),
	                    "png");
	assert_string_equal(vigil_object_type(object_at(s, "msg/2:ThongBao.one/embedded-2.hta")),
	                    "html");
	expect(s, "delivery.onenote_embedded", "msg/2:ThongBao.one", VIGIL_SEV_MEDIUM, "T1566.001");
	f = finding_at(s, "delivery.onenote_embedded", NULL);
	assert_non_null(strstr(vigil_finding_evidence(f), "ThongBao.hta"));
	expect(s, "delivery.onenote_executable", "msg/2:ThongBao.one/embedded-2.hta",
	       VIGIL_SEV_HIGH, "T1566.001,T1204.002");
	assert_non_null(
	        finding_at(s, "yara.Delivery_Payload", "msg/2:ThongBao.one/embedded-2.hta"));
	assert_int_equal(vigil_scan_verdict(s), VIGIL_MALICIOUS);
	vigil_scan_free(s);
	g_byte_array_unref(one);

	/* only a picture: embedded, but nothing to run */
	one = make_onenote(NULL);
	s = scan_bytes(e, one, "pic.one");
	expect(s, "delivery.onenote_embedded", "pic.one", VIGIL_SEV_MEDIUM, "T1566.001");
	absent(s, "delivery.onenote_executable");
	vigil_scan_free(s);

	/* a length past the end is cut there */
	put64(one->data + 1024 + 16, 1u << 30);
	s = scan_bytes(e, one, "cut.one");
	assert_non_null(finding_at(s, "archive.damaged", "cut.one"));
	assert_non_null(tu_object(s, "cut.one/embedded-1.png"));
	vigil_scan_free(s);
	g_byte_array_unref(one);
	vigil_engine_unref(e);
}

/* ---- types ---- */

static void types_from_content(void **state)
{
	GByteArray *vol = make_fat(false), *disk = make_mbr(vol), *vhd = make_vhd_fixed(disk);
	GByteArray *one = make_onenote(NULL);
	char *m = g_malloc0(2048);
	size_t n;

	(void)state;
	assert_string_equal(ftype_detect(vol->data, vol->len, NULL), "fat");
	assert_string_equal(ftype_detect(disk->data, disk->len, NULL), "disk");
	assert_string_equal(ftype_detect(vhd->data, vhd->len, NULL), "vhd");
	assert_string_equal(ftype_detect(one->data, one->len, NULL), "onenote");
	/* a message with a partition table's bytes at 446..511 stays a message */
	n = (size_t)g_snprintf(m, 2048,
	                       "From: a@example.org\r\nTo: b@example.org\r\n"
	                       "Subject: x\r\n\r\n");
	memset(m + n, 'a', 2048 - n);
	memcpy(m + 446, disk->data + 446, 66);
	assert_string_equal(ftype_detect((uint8_t *)m, 2048, NULL), "email");
	/* the same for a VHD footer at the end */
	memcpy(m + 1536, vhd->data + vhd->len - 512, 512);
	assert_string_equal(ftype_detect((uint8_t *)m, 2048, NULL), "email");
	g_free(m);
	g_byte_array_unref(vol);
	g_byte_array_unref(disk);
	g_byte_array_unref(vhd);
	g_byte_array_unref(one);
}

/*
 * VIGIL_WRITE_SEEDS=DIR: writes the images built here as fuzz seeds
 * (tests/fuzz/seeds/delivery-*), so that the smoke fuzz of `make check`
 * mutates real FAT, MBR, VHD, VHDX and OneNote structures.
 */
static void write_seed(const char *dir, const char *name, const GByteArray *b)
{
	char *path = g_build_filename(dir, name, NULL);

	if (!g_file_set_contents(path, (const char *)b->data, (gssize)b->len, NULL))
		fprintf(stderr, "cannot write %s\n", path);
	g_free(path);
}

static void write_seeds(const char *dir)
{
	GByteArray *vol = make_fat(true), *disk = make_mbr(vol);
	GByteArray *fixed = make_vhd_fixed(disk), *dyn = make_vhd_dynamic(disk);
	GByteArray *vx = make_vhdx(disk), *one = make_onenote("<script>x</script>");

	write_seed(dir, "delivery-fat.img", vol);
	write_seed(dir, "delivery-mbr.img", disk);
	write_seed(dir, "delivery-fixed.vhd", fixed);
	write_seed(dir, "delivery-dynamic.vhd", dyn);
	write_seed(dir, "delivery-disk.vhdx", vx);
	write_seed(dir, "delivery-hta.one", one);
	{
		GByteArray *z = payload_zip("zip:encryption=zipcrypt", PASSWORD),
		           *m = g_byte_array_new();
		char *parts[] = {
		        text_part("html", "<p>M&#7853;t kh&#7849;u: <b>" PASSWORD "</b></p>"),
		        attachment("CongVan.zip", "application/zip", z), NULL};
		char *text = mail("MK: " PASSWORD, parts);

		g_byte_array_append(m, (const guint8 *)text, (guint)strlen(text));
		write_seed(dir, "delivery-password.eml", m);
		g_free(text);
		g_byte_array_unref(m);
		g_byte_array_unref(z);
	}
	g_byte_array_unref(vol);
	g_byte_array_unref(disk);
	g_byte_array_unref(fixed);
	g_byte_array_unref(dyn);
	g_byte_array_unref(vx);
	g_byte_array_unref(one);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(candidates_after_keywords),
	        cmocka_unit_test(candidates_bounded),
	        cmocka_unit_test(zipcrypto_password_in_body),
	        cmocka_unit_test(aes_password_in_html_only),
	        cmocka_unit_test(password_in_body_after_attachment),
	        cmocka_unit_test(password_outside_forwarded_message),
	        cmocka_unit_test(password_in_subject),
	        cmocka_unit_test(wrong_password_stays_encrypted),
	        cmocka_unit_test(mixed_zip_members_once),
	        cmocka_unit_test(two_passwords),
	        cmocka_unit_test(password_elsewhere_stays_encrypted),
	        cmocka_unit_test(password_talk_is_clean),
	        cmocka_unit_test(encrypted_zip_alone),
	        cmocka_unit_test(zip_in_zip_with_program),
	        cmocka_unit_test(zip_of_documents_is_quiet),
	        cmocka_unit_test(epub_scripts_are_quiet),
	        cmocka_unit_test(fat_image_in_mail),
	        cmocka_unit_test(vhd_fixed_with_mbr_in_mail),
	        cmocka_unit_test(vhd_dynamic_and_vhdx),
	        cmocka_unit_test(hostile_fat),
	        cmocka_unit_test(iso_of_documents),
	        cmocka_unit_test(onenote_with_hta),
	        cmocka_unit_test(types_from_content),
	};

	if (getenv("VIGIL_WRITE_SEEDS") != NULL) {
		write_seeds(getenv("VIGIL_WRITE_SEEDS"));
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
