/*
 * test_dlp.c - outbound data loss (analyze/dlp.c): citizen identifiers in
 * bulk, counted across every text-like object of an outbound message.
 *
 * Every input is generated here: CCCD, BHXH and BHYT numbers from a seeded
 * generator that follows the formats (valid province codes, plausible years
 * of birth, object codes of Decision 1351), CSVs and Office parts wrapped in
 * stored zips (our own writer, CRC from zlib) and in MIME messages. The
 * look-alikes that must stay clean are generated the same way: invalid
 * prefixes and years, mobile numbers, tax codes, a business email full of
 * order and invoice numbers.
 */
#include "testutil.h"

#include <stdbool.h>
#include <zlib.h>

/* ---------------------------------------------------------------- inputs */

static const unsigned provinces[] = {
        1,  2,  4,  6,  8,  10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33,
        34, 35, 36, 37, 38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66,
        67, 68, 70, 72, 74, 75, 77, 79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96,
};

/* a valid 12-digit CCCD: province, century/gender, year of birth, 6 digits */
static char *gen_cccd(GRand *r)
{
	unsigned p = provinces[g_rand_int_range(r, 0, G_N_ELEMENTS(provinces))];
	unsigned c = (unsigned)g_rand_int_range(r, 0, 4);
	unsigned y = c < 2 ? (unsigned)g_rand_int_range(r, 30, 100)
	                   : (unsigned)g_rand_int_range(r, 0, 20);

	return g_strdup_printf("%03u%u%02u%06d", p, c, y, g_rand_int_range(r, 0, 1000000));
}

/* a valid 10-digit BHXH number: province code first, never a mobile */
static char *gen_bhxh(GRand *r)
{
	unsigned p;

	do
		p = provinces[g_rand_int_range(r, 0, G_N_ELEMENTS(provinces))];
	while (p == 8);
	return g_strdup_printf("%02u%08d", p, g_rand_int_range(r, 1, 100000000));
}

static const char *const bhyt_codes[] = {"DN", "HC", "HS", "GD", "TE", "CH", "HN", "DT", "HT"};

static char *gen_bhyt(GRand *r)
{
	char *x = gen_bhxh(r), *out;

	out = g_strdup_printf("%s%d%02u%s",
	                      bhyt_codes[g_rand_int_range(r, 0, G_N_ELEMENTS(bhyt_codes))],
	                      g_rand_int_range(r, 1, 6),
	                      provinces[g_rand_int_range(r, 0, G_N_ELEMENTS(provinces))], x);
	g_free(x);
	return out;
}

static const char *const surnames[] = {"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng"};
static const char *const given[] = {"Văn An", "Thị Bình", "Minh Châu", "Quốc Dũng", "Thu Hà"};

static void add_name(GString *g, GRand *r)
{
	g_string_append_printf(g, "%s %s", surnames[g_rand_int_range(r, 0, 7)],
	                       given[g_rand_int_range(r, 0, 5)]);
}

/* a stored zip (method 0): enough for libarchive and for ftype (ooxml) */
struct zipw {
	GByteArray *out, *cd;
	unsigned n;
};

static void le16w(GByteArray *b, unsigned v)
{
	uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};

	g_byte_array_append(b, x, 2);
}

static void le32w(GByteArray *b, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

	g_byte_array_append(b, x, 4);
}

static void zip_add(struct zipw *z, const char *name, const void *data, size_t len, bool encrypted)
{
	uint32_t crc = (uint32_t)crc32(0, data, (uInt)len);
	uint32_t off = z->out->len;
	unsigned flags = encrypted ? 1 : 0;
	GByteArray *b = z->out;

	le32w(b, 0x04034b50);
	le16w(b, 20);
	le16w(b, flags);
	le16w(b, 0);
	le16w(b, 0);
	le16w(b, 0x21);
	le32w(b, crc);
	le32w(b, (uint32_t)len);
	le32w(b, (uint32_t)len);
	le16w(b, (unsigned)strlen(name));
	le16w(b, 0);
	g_byte_array_append(b, (const guint8 *)name, (guint)strlen(name));
	g_byte_array_append(b, data, (guint)len);

	b = z->cd;
	le32w(b, 0x02014b50);
	le16w(b, 20);
	le16w(b, 20);
	le16w(b, flags);
	le16w(b, 0);
	le16w(b, 0);
	le16w(b, 0x21);
	le32w(b, crc);
	le32w(b, (uint32_t)len);
	le32w(b, (uint32_t)len);
	le16w(b, (unsigned)strlen(name));
	le16w(b, 0);
	le16w(b, 0);
	le16w(b, 0);
	le16w(b, 0);
	le32w(b, 0);
	le32w(b, off);
	g_byte_array_append(b, (const guint8 *)name, (guint)strlen(name));
	z->n++;
}

static void zip_init(struct zipw *z)
{
	z->out = g_byte_array_new();
	z->cd = g_byte_array_new();
	z->n = 0;
}

static GByteArray *zip_finish(struct zipw *z)
{
	uint32_t cdoff = z->out->len, cdlen = z->cd->len;
	GByteArray *b = z->out;

	g_byte_array_append(b, z->cd->data, z->cd->len);
	g_byte_array_unref(z->cd);
	le32w(b, 0x06054b50);
	le16w(b, 0);
	le16w(b, 0);
	le16w(b, z->n);
	le16w(b, z->n);
	le32w(b, cdlen);
	le32w(b, cdoff);
	le16w(b, 0);
	return b;
}

/* an email from an internal sender with attachments (name, bytes) */
static char *make_mail(const char *body, const char *const *names, GByteArray *const *atts,
                       size_t natt)
{
	GString *m = g_string_new(NULL);

	g_string_append(m, "From: Can bo <canbo@bhxh.example>\r\n"
	                   "To: Someone <someone@mail.example>\r\n"
	                   "Subject: Tai lieu\r\n"
	                   "Date: Fri, 15 Nov 2024 08:30:00 +0700\r\n"
	                   "Message-ID: <dlp-test@bhxh.example>\r\n"
	                   "MIME-Version: 1.0\r\n"
	                   "Content-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n"
	                   "--b0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n");
	g_string_append(m, body);
	g_string_append(m, "\r\n");
	for (size_t i = 0; i < natt; i++) {
		char *b64 = g_base64_encode(atts[i]->data, atts[i]->len);

		g_string_append_printf(
		        m,
		        "--b0\r\nContent-Type: application/octet-stream; "
		        "name=\"%s\"\r\nContent-Disposition: attachment; "
		        "filename=\"%s\"\r\nContent-Transfer-Encoding: base64\r\n\r\n",
		        names[i], names[i]);
		size_t bl = strlen(b64);

		for (size_t k = 0; k < bl; k += 76)
			g_string_append_printf(m, "%.76s\r\n", b64 + k);
		g_free(b64);
	}
	g_string_append(m, "--b0--\r\n");
	return g_string_free(m, FALSE);
}

static GByteArray *bytes_of(const char *s)
{
	GByteArray *b = g_byte_array_new();

	g_byte_array_append(b, (const guint8 *)s, (guint)strlen(s));
	return b;
}

/* CSV with n distinct valid CCCD numbers and names; numbers go to *ids */
static char *cccd_csv(GRand *r, unsigned n, GPtrArray *ids)
{
	GString *g = g_string_new("STT,Họ và tên,Số CCCD,Địa chỉ\n");
	GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	for (unsigned i = 0; i < n;) {
		char *id = gen_cccd(r);

		if (g_hash_table_contains(seen, id)) {
			g_free(id);
			continue;
		}
		g_hash_table_add(seen, id);
		i++;
		g_string_append_printf(g, "%u,", i);
		add_name(g, r);
		g_string_append_printf(g, ",%s,Số %u đường Láng\n", id, i);
		if (ids != NULL)
			g_ptr_array_add(ids, g_strdup(id));
	}
	g_hash_table_destroy(seen);
	return g_string_free(g, FALSE);
}

/* the outbound message of the brief: a CSV in a zip, 500 CCCD */
static char *cccd_mail(unsigned n, GPtrArray *ids)
{
	GRand *r = g_rand_new_with_seed(42);
	char *csv = cccd_csv(r, n, ids), *mail;
	struct zipw z;
	GByteArray *zip;
	const char *names[] = {"du_lieu.zip"};

	zip_init(&z);
	zip_add(&z, "danh_sach.csv", csv, strlen(csv), false);
	zip = zip_finish(&z);
	mail = make_mail("Gui anh danh sach.", names, &zip, 1);
	g_byte_array_unref(zip);
	g_free(csv);
	g_rand_free(r);
	return mail;
}

/* ---------------------------------------------------------------- scans */

static vigil_engine *engine_opts(const char *const *kv)
{
	vigil_config *cfg = vigil_config_new();
	vigil_engine *e = NULL;
	char *err = NULL;

	for (; kv != NULL && kv[0] != NULL; kv += 2)
		assert_int_equal(vigil_config_set_option(cfg, kv[0], kv[1]), VIGIL_OK);
	if (vigil_engine_new(cfg, &e, &err) != VIGIL_OK) {
		fprintf(stderr, "engine: %s\n", err ? err : "?");
		fail();
	}
	vigil_config_free(cfg);
	return e;
}

/* as the milter does: bytes are released as objects pass (flags 0) */
static vigil_scan *scan_dir(vigil_engine *e, const void *p, size_t n, const char *name,
                            vigil_direction d)
{
	vigil_scan *s = vigil_scan_new(e, 0);

	assert_non_null(s);
	assert_int_equal(vigil_scan_set_direction(s, d), VIGIL_OK);
	assert_int_equal(vigil_scan_buffer(s, p, n, name), VIGIL_OK);
	return s;
}

static size_t count_prefix(const vigil_scan *s, const char *prefix)
{
	size_t c = 0;

	for (size_t i = 0; i < vigil_scan_finding_count(s); i++)
		if (strncmp(vigil_finding_id(vigil_scan_finding(s, i)), prefix, strlen(prefix)) ==
		    0)
			c++;
	return c;
}

static const char *evidence_of(const vigil_scan *s, const char *id)
{
	long i = tu_finding(s, id);

	assert_true(i >= 0);
	return vigil_finding_evidence(vigil_scan_finding(s, (size_t)i));
}

/* no full identifier in any finding's text or any object path */
static void assert_no_full_number(const vigil_scan *s, const GPtrArray *ids)
{
	for (size_t i = 0; i < vigil_scan_finding_count(s); i++) {
		const vigil_finding *f = vigil_scan_finding(s, i);
		const char *texts[] = {vigil_finding_evidence(f),
		                       vigil_finding_title(f, VIGIL_LANG_EN),
		                       vigil_finding_title(f, VIGIL_LANG_VI), vigil_finding_id(f)};

		for (size_t t = 0; t < G_N_ELEMENTS(texts); t++)
			for (guint k = 0; k < ids->len; k++)
				if (strstr(texts[t], g_ptr_array_index(ids, k)) != NULL) {
					fprintf(stderr, "full number %s in %s\n",
					        (char *)g_ptr_array_index(ids, k), texts[t]);
					fail();
				}
	}
	for (size_t i = 0; i < vigil_scan_object_count(s); i++)
		for (guint k = 0; k < ids->len; k++)
			assert_null(strstr(vigil_object_path(vigil_scan_object(s, i)),
			                   g_ptr_array_index(ids, k)));
}

/* "0791******23": the first 4 digits, 6 stars, the last 2 */
static void assert_masked_cccd_example(const char *ev)
{
	const char *p = ev;
	bool found = false;

	while ((p = strstr(p, "******")) != NULL) {
		if (p - ev >= 4 && g_ascii_isdigit(p[-4]) && p[-4] == '0' &&
		    g_ascii_isdigit(p[-1]) && g_ascii_isdigit(p[6]) && g_ascii_isdigit(p[7]) &&
		    !g_ascii_isdigit(p[8]))
			found = true;
		p += 6;
	}
	assert_true(found);
}

/* ---------------------------------------------------------------- tests */

static void test_outbound_zip_csv(void **state)
{
	GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
	char *mail = cccd_mail(500, ids);
	vigil_engine *e = engine_opts(NULL);
	vigil_scan *s = scan_dir(e, mail, strlen(mail), "out.eml", VIGIL_DIR_OUTBOUND);
	long i = tu_finding(s, "dlp.citizen_data");
	const vigil_finding *f;

	(void)state;
	if (i < 0)
		tu_dump(s);
	assert_true(i >= 0);
	f = vigil_scan_finding(s, (size_t)i);
	assert_int_equal(vigil_finding_severity(f), VIGIL_SEV_HIGH);
	assert_non_null(strstr(vigil_finding_attack(f), "T1048"));
	assert_non_null(strstr(tu_finding_path(s, i), "du_lieu.zip/danh_sach.csv"));
	assert_non_null(strstr(vigil_finding_evidence(f), "500 citizen identifiers"));
	assert_non_null(strstr(vigil_finding_evidence(f), "500 citizen ID numbers"));
	assert_non_null(strstr(vigil_finding_evidence(f), "du_lieu.zip/danh_sach.csv (500)"));
	assert_masked_cccd_example(vigil_finding_evidence(f));
	assert_int_equal(count_prefix(s, "dlp."), 1);
	assert_int_equal(vigil_scan_verdict(s), VIGIL_SUSPICIOUS);
	assert_no_full_number(s, ids);
	vigil_scan_free(s);
	vigil_engine_unref(e);
	g_free(mail);
	g_ptr_array_unref(ids);
}

static void test_inbound_nothing(void **state)
{
	char *mail = cccd_mail(500, NULL);
	vigil_engine *e = engine_opts(NULL);
	vigil_scan *s = scan_dir(e, mail, strlen(mail), "in.eml", VIGIL_DIR_INBOUND);

	(void)state;
	assert_int_equal(count_prefix(s, "dlp."), 0);
	vigil_scan_free(s);
	/* no direction (a file scanned by hand): nothing either */
	s = scan_dir(e, mail, strlen(mail), "file.eml", VIGIL_DIR_UNKNOWN);
	assert_int_equal(count_prefix(s, "dlp."), 0);
	vigil_scan_free(s);
	vigil_engine_unref(e);
	g_free(mail);
}

static GByteArray *xlsx_with_strings(const char *shared)
{
	struct zipw z;
	const char *ct = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	                 "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/"
	                 "content-types\"><Default Extension=\"xml\" "
	                 "ContentType=\"application/xml\"/></Types>";
	const char *sheet = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	                    "<worksheet><sheetData><row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c>"
	                    "</row></sheetData></worksheet>";

	zip_init(&z);
	zip_add(&z, "[Content_Types].xml", ct, strlen(ct), false);
	zip_add(&z, "xl/sharedStrings.xml", shared, strlen(shared), false);
	zip_add(&z, "xl/worksheets/sheet1.xml", sheet, strlen(sheet), false);
	return zip_finish(&z);
}

static void test_xlsx_bhyt(void **state)
{
	GRand *r = g_rand_new_with_seed(7);
	GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
	GString *x =
	        g_string_new("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
	                     "<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/"
	                     "2006/main\"><si><t>Họ và tên</t></si><si><t>Mã thẻ BHYT</t></si>");
	vigil_engine *e = engine_opts(NULL);
	GByteArray *xlsx;
	vigil_scan *s;
	long i;

	(void)state;
	for (int k = 0; k < 100; k++) {
		char *c = gen_bhyt(r);

		g_string_append(x, "<si><t>");
		add_name(x, r);
		g_string_append_printf(x, "</t></si><si><t>%s</t></si>", c);
		g_ptr_array_add(ids, c);
	}
	g_string_append(x, "</sst>");
	xlsx = xlsx_with_strings(x->str);
	s = scan_dir(e, xlsx->data, xlsx->len, "ds.xlsx", VIGIL_DIR_OUTBOUND);
	i = tu_finding(s, "dlp.citizen_data");
	if (i < 0)
		tu_dump(s);
	assert_true(i >= 0);
	assert_string_equal(tu_finding_path(s, i), "ds.xlsx/xl/sharedStrings.xml");
	assert_non_null(strstr(evidence_of(s, "dlp.citizen_data"), "100 health-insurance card"));
	assert_no_full_number(s, ids);
	/* masked as the object code, level, province, stars, the last two */
	{
		const char *ev = evidence_of(s, "dlp.citizen_data");
		const char *star = strstr(ev, "********");

		assert_non_null(star);
		assert_true(g_ascii_isupper(star[-5]) && g_ascii_isdigit(star[-1]) &&
		            g_ascii_isdigit(star[8]) && g_ascii_isdigit(star[9]));
	}
	vigil_scan_free(s);

	/* the same cards with object codes that Decision 1351 does not know */
	g_string_assign(x, "<?xml version=\"1.0\"?><sst>");
	for (guint k = 0; k < ids->len; k++) {
		const char *c = g_ptr_array_index(ids, k);

		g_string_append_printf(x, "<si><t>Z%c%s</t></si>", 'A' + (char)(k % 26), c + 2);
	}
	g_string_append(x, "</sst>");
	g_byte_array_unref(xlsx);
	xlsx = xlsx_with_strings(x->str);
	s = scan_dir(e, xlsx->data, xlsx->len, "ds.xlsx", VIGIL_DIR_OUTBOUND);
	assert_int_equal(count_prefix(s, "dlp."), 0);
	vigil_scan_free(s);

	g_byte_array_unref(xlsx);
	g_string_free(x, TRUE);
	g_ptr_array_unref(ids);
	vigil_engine_unref(e);
	g_rand_free(r);
}

static void test_docx_table(void **state)
{
	GRand *r = g_rand_new_with_seed(11);
	GString *x = g_string_new("<?xml version=\"1.0\"?><w:document><w:body><w:tbl>");
	vigil_engine *e = engine_opts(NULL);
	struct zipw z;
	GByteArray *docx;
	vigil_scan *s;
	long i;
	const char *ct = "<?xml version=\"1.0\"?><Types></Types>";

	(void)state;
	for (int k = 0; k < 60; k++) {
		char *c = gen_cccd(r);

		g_string_append(x, "<w:tr><w:tc><w:p><w:r><w:t>");
		add_name(x, r);
		g_string_append_printf(x,
		                       "</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>%s</w:t>"
		                       "</w:r></w:p></w:tc></w:tr>",
		                       c);
		g_free(c);
	}
	g_string_append(x, "</w:tbl></w:body></w:document>");
	zip_init(&z);
	zip_add(&z, "[Content_Types].xml", ct, strlen(ct), false);
	zip_add(&z, "word/document.xml", x->str, x->len, false);
	docx = zip_finish(&z);
	s = scan_dir(e, docx->data, docx->len, "bao_cao.docx", VIGIL_DIR_OUTBOUND);
	i = tu_finding(s, "dlp.citizen_data");
	assert_true(i >= 0);
	assert_string_equal(tu_finding_path(s, i), "bao_cao.docx/word/document.xml");
	vigil_scan_free(s);
	g_byte_array_unref(docx);
	g_string_free(x, TRUE);
	vigil_engine_unref(e);
	g_rand_free(r);
}

static void test_invalid_cccd(void **state)
{
	GRand *r = g_rand_new_with_seed(3);
	GString *g = g_string_new("Ma so,Ten\n");
	vigil_engine *e = engine_opts(NULL);
	vigil_scan *s;

	(void)state;
	for (int k = 0; k < 60; k++) {
		unsigned pre, c, y;

		switch (k % 4) {
		case 0: /* prefix not a province: 003, 005, 097..099 or not 0xx */
			pre = (unsigned[]){3, 5, 7, 9, 13, 97, 98, 99, 150, 790}[k % 10];
			c = 0;
			y = 80;
			break;
		case 1: /* a century that has not begun */
			pre = 79;
			c = (unsigned)g_rand_int_range(r, 4, 10);
			y = 80;
			break;
		case 2: /* born in the future */
			pre = 1;
			c = 2 + (unsigned)(k % 2);
			y = (unsigned)g_rand_int_range(r, 60, 100);
			break;
		default: /* a placeholder: the random part all zeros */
			pre = 79;
			c = 0;
			y = (unsigned)k;
			break;
		}
		if (k % 4 == 3)
			g_string_append_printf(g, "%03u%u%02u000000,x\n", pre, c, y);
		else
			g_string_append_printf(g, "%03u%u%02u%06d,x\n", pre, c, y,
			                       g_rand_int_range(r, 1, 1000000));
	}
	s = scan_dir(e, g->str, g->len, "list.csv", VIGIL_DIR_OUTBOUND);
	if (count_prefix(s, "dlp.") != 0)
		tu_dump(s);
	assert_int_equal(count_prefix(s, "dlp."), 0);
	vigil_scan_free(s);
	g_string_free(g, TRUE);
	vigil_engine_unref(e);
	g_rand_free(r);
}

static void test_mobiles(void **state)
{
	GRand *r = g_rand_new_with_seed(5);
	GString *g = g_string_new("Họ tên,Số điện thoại,Ghi chú\n");
	vigil_engine *e = engine_opts(NULL);
	vigil_scan *s;

	(void)state;
	for (int k = 0; k < 200; k++) {
		add_name(g, r);
		g_string_append_printf(g, ",0%c%08d,liên hệ BHXH\n", "35789"[k % 5],
		                       g_rand_int_range(r, 0, 100000000));
	}
	s = scan_dir(e, g->str, g->len, "lien_he.csv", VIGIL_DIR_OUTBOUND);
	assert_int_equal(count_prefix(s, "dlp."), 0);
	vigil_scan_free(s);
	g_string_free(g, TRUE);
	vigil_engine_unref(e);
	g_rand_free(r);
}

static void test_business_email(void **state)
{
	static const char body[] =
	        "Kinh gui Quy khach,\n\n"
	        "Cam on quy khach da dat hang. Don hang so 202411150001 (PO-2024-000123) da duoc "
	        "xac nhan.\nHoa don GTGT so 0001234, ky hieu 1C24TAA, ma tra cuu 2411150930.\n"
	        "Ma so thue ben ban: 0101234567; ben mua: 0312345678-001.\n"
	        "Tong tien: 1.250.000.000 VND (1250000000 dong). Chiet khau 12.5%.\n"
	        "So tai khoan: 0071001234567 tai Vietcombank; ma giao dich FT24320123456789.\n"
	        "Van don 1Z999AA10123456784, ma van chuyen 840123456789012.\n"
	        "Lien he: 0912345678 hoac (028) 3823 4567, 02838234567, +84 912 345 678.\n"
	        "Ngay giao: 15/11/2024 08:30; ma kho 20241115; so lo 012345678901.\n"
	        "Order ref 123456789012, invoice 000123456789, serial 4901234567894.\n"
	        "Tracking 9400111899223344556677, account 1234-5678-9012.\n"
	        "Timestamp 1731634200123, id 1731634200, build 20241115083000.\n";
	char *mail = make_mail(body, NULL, NULL, 0);
	vigil_engine *e = engine_opts(NULL);
	vigil_scan *s = scan_dir(e, mail, strlen(mail), "order.eml", VIGIL_DIR_OUTBOUND);

	(void)state;
	if (count_prefix(s, "dlp.") != 0)
		tu_dump(s);
	assert_int_equal(count_prefix(s, "dlp."), 0);
	vigil_scan_free(s);
	/* even reported from the first one on, it finds fewer than 2 */
	{
		const char *kv[] = {"dlp.min_identifiers_small", "2", NULL};
		vigil_engine *e1 = engine_opts(kv);

		s = scan_dir(e1, mail, strlen(mail), "order.eml", VIGIL_DIR_OUTBOUND);
		assert_int_equal(count_prefix(s, "dlp."), 0);
		vigil_scan_free(s);
		vigil_engine_unref(e1);
	}
	vigil_engine_unref(e);
	g_free(mail);
}

static void test_thresholds(void **state)
{
	char *mail30 = cccd_mail(30, NULL), *mail500 = cccd_mail(500, NULL);
	vigil_engine *e = engine_opts(NULL);
	vigil_scan *s;
	long i;

	(void)state;
	/* default: 30 < 50 -> low */
	s = scan_dir(e, mail30, strlen(mail30), "m.eml", VIGIL_DIR_OUTBOUND);
	assert_int_equal(tu_finding(s, "dlp.citizen_data"), -1);
	i = tu_finding(s, "dlp.citizen_data_small");
	assert_true(i >= 0);
	assert_int_equal(vigil_finding_severity(vigil_scan_finding(s, (size_t)i)), VIGIL_SEV_LOW);
	assert_non_null(strstr(evidence_of(s, "dlp.citizen_data_small"), "30 citizen identifiers"));
	vigil_scan_free(s);
	vigil_engine_unref(e);

	/* a lower threshold makes the same message high */
	{
		const char *kv[] = {"dlp.min_citizen_ids", "20", NULL};

		e = engine_opts(kv);
	}
	s = scan_dir(e, mail30, strlen(mail30), "m.eml", VIGIL_DIR_OUTBOUND);
	assert_true(tu_finding(s, "dlp.citizen_data") >= 0);
	assert_int_equal(tu_finding(s, "dlp.citizen_data_small"), -1);
	vigil_scan_free(s);
	vigil_engine_unref(e);

	/* a higher one makes 500 only "small" */
	{
		const char *kv[] = {"dlp.min_citizen_ids", "1000", NULL};

		e = engine_opts(kv);
	}
	s = scan_dir(e, mail500, strlen(mail500), "m.eml", VIGIL_DIR_OUTBOUND);
	assert_int_equal(tu_finding(s, "dlp.citizen_data"), -1);
	assert_true(tu_finding(s, "dlp.citizen_data_small") >= 0);
	vigil_scan_free(s);
	vigil_engine_unref(e);

	/* and the floor of the small finding is an option too */
	{
		const char *kv[] = {"dlp.min_identifiers_small", "31", NULL};

		e = engine_opts(kv);
	}
	s = scan_dir(e, mail30, strlen(mail30), "m.eml", VIGIL_DIR_OUTBOUND);
	assert_int_equal(count_prefix(s, "dlp."), 0);
	vigil_scan_free(s);
	vigil_engine_unref(e);
	g_free(mail30);
	g_free(mail500);
}

static void test_duplicates(void **state)
{
	GRand *r = g_rand_new_with_seed(9);
	GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
	char *csv = cccd_csv(r, 40, ids);
	GString *again = g_string_new("So CCCD\n");
	GByteArray *atts[2];
	const char *names[] = {"a.csv", "b.txt"};
	char *mail, *body;
	vigil_engine *e = engine_opts(NULL);
	vigil_scan *s;

	(void)state;
	/* the same 40 numbers in the body, in a CSV and twice in a text file */
	for (int rep = 0; rep < 2; rep++)
		for (guint k = 0; k < ids->len; k++)
			g_string_append_printf(again, "%s\n", (char *)g_ptr_array_index(ids, k));
	atts[0] = bytes_of(csv);
	atts[1] = bytes_of(again->str);
	body = g_strdup_printf("Danh sach:\n%s", again->str);
	mail = make_mail(body, names, atts, 2);
	s = scan_dir(e, mail, strlen(mail), "m.eml", VIGIL_DIR_OUTBOUND);
	assert_int_equal(tu_finding(s, "dlp.citizen_data"), -1);
	assert_non_null(strstr(evidence_of(s, "dlp.citizen_data_small"), "40 citizen identifiers"));
	assert_no_full_number(s, ids);
	vigil_scan_free(s);
	g_byte_array_unref(atts[0]);
	g_byte_array_unref(atts[1]);
	g_string_free(again, TRUE);
	g_free(body);
	g_free(mail);
	g_free(csv);
	g_ptr_array_unref(ids);
	vigil_engine_unref(e);
	g_rand_free(r);
}

static void test_bhxh_context(void **state)
{
	GRand *r = g_rand_new_with_seed(13);
	GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
	GString *col = g_string_new("STT;Họ tên;Mã số BHXH\n");
	GString *tax = g_string_new("STT;Tên doanh nghiệp;Mã số thuế\n");
	GString *prose = g_string_new("");
	GString *labelled = g_string_new("");
	vigil_engine *e = engine_opts(NULL);
	vigil_scan *s;
	long i;

	(void)state;
	for (int k = 0; k < 60; k++) {
		char *x = gen_bhxh(r);

		g_string_append_printf(col, "%d;", k + 1);
		add_name(col, r);
		g_string_append_printf(col, ";%s\n", x);
		g_string_append_printf(tax, "%d;Cong ty TNHH so %d;%s\n", k + 1, k, x);
		g_string_append_printf(prose, "Ho so %d gom so %s va phu luc. ", k, x);
		g_string_append_printf(labelled, "Ông bà số %d, mã số BHXH: %s, đã xác nhận. ", k,
		                       x);
		g_ptr_array_add(ids, x);
	}
	/* a column of them -> the insurance threshold (50) is crossed */
	s = scan_dir(e, col->str, col->len, "bhxh.csv", VIGIL_DIR_OUTBOUND);
	i = tu_finding(s, "dlp.citizen_data");
	assert_true(i >= 0);
	assert_non_null(strstr(evidence_of(s, "dlp.citizen_data"), "60 social-insurance numbers"));
	assert_no_full_number(s, ids);
	vigil_scan_free(s);
	/* the same digits as businesses' tax codes: nothing */
	s = scan_dir(e, tax->str, tax->len, "dn.csv", VIGIL_DIR_OUTBOUND);
	assert_int_equal(count_prefix(s, "dlp."), 0);
	vigil_scan_free(s);
	/* in running text without a word about insurance: nothing */
	s = scan_dir(e, prose->str, prose->len, "note.txt", VIGIL_DIR_OUTBOUND);
	assert_int_equal(count_prefix(s, "dlp."), 0);
	vigil_scan_free(s);
	/* in running text, each after "mã số BHXH": counted */
	s = scan_dir(e, labelled->str, labelled->len, "note.txt", VIGIL_DIR_OUTBOUND);
	assert_true(tu_finding(s, "dlp.citizen_data") >= 0);
	vigil_scan_free(s);
	g_string_free(col, TRUE);
	g_string_free(tax, TRUE);
	g_string_free(prose, TRUE);
	g_string_free(labelled, TRUE);
	g_ptr_array_unref(ids);
	vigil_engine_unref(e);
	g_rand_free(r);
}

/* Excel drops the leading zero of a CCCD typed as a number; UTF-16 export */
static void test_excel_forms(void **state)
{
	GRand *r = g_rand_new_with_seed(17);
	GString *sheet = g_string_new("<?xml version=\"1.0\"?><worksheet><sheetData>");
	GString *u8 = g_string_new("Ho ten\tSo CCCD\r\n");
	GByteArray *u16 = g_byte_array_new();
	vigil_engine *e = engine_opts(NULL);
	vigil_scan *s;

	(void)state;
	for (int k = 0; k < 60; k++) {
		char *c = gen_cccd(r);

		while (c[1] == '0') { /* 001-009 would lose two zeros */
			g_free(c);
			c = gen_cccd(r);
		}
		g_string_append_printf(sheet, "<row r=\"%d\"><c r=\"B%d\"><v>%s</v></c></row>",
		                       k + 1, k + 1, c + 1);
		g_string_append_printf(u8, "Nguyen Van %d\t%s\r\n", k, c);
		g_free(c);
	}
	g_string_append(sheet, "</sheetData></worksheet>");
	s = scan_dir(e, sheet->str, sheet->len, "sheet1.xml", VIGIL_DIR_OUTBOUND);
	assert_true(tu_finding(s, "dlp.citizen_data") >= 0);
	vigil_scan_free(s);

	g_byte_array_append(u16, (const guint8 *)"\xFF\xFE", 2);
	for (gsize k = 0; k < u8->len; k++) {
		uint8_t pair[2] = {(uint8_t)u8->str[k], 0};

		g_byte_array_append(u16, pair, 2);
	}
	s = scan_dir(e, u16->data, u16->len, "unicode.txt", VIGIL_DIR_OUTBOUND);
	if (tu_finding(s, "dlp.citizen_data") < 0)
		tu_dump(s);
	assert_true(tu_finding(s, "dlp.citizen_data") >= 0);
	vigil_scan_free(s);
	g_string_free(sheet, TRUE);
	g_string_free(u8, TRUE);
	g_byte_array_unref(u16);
	vigil_engine_unref(e);
	g_rand_free(r);
}

static void test_encrypted_archive(void **state)
{
	struct zipw z;
	GByteArray *zip;
	const char *names[] = {"du_lieu.zip"};
	char *mail;
	vigil_engine *e = engine_opts(NULL);
	vigil_scan *s;
	long i;
	static const char junk[] = "\x13\x57\x9b\xdf\x02\x46\x8a\xce\x11\x22\x33\x44\x55\x66\x77"
	                           "\x88\x99\xaa\xbb\xcc\xdd\xee\xff\x10\x20\x30\x40\x50";

	(void)state;
	zip_init(&z);
	zip_add(&z, "danh_sach.csv", junk, sizeof junk - 1, true);
	zip_add(&z, "phu_luc.csv", junk, sizeof junk - 1, true);
	zip = zip_finish(&z);
	mail = make_mail("Mat khau gui sau.", names, &zip, 1);

	s = scan_dir(e, mail, strlen(mail), "m.eml", VIGIL_DIR_OUTBOUND);
	i = tu_finding(s, "dlp.archive_encrypted_outbound");
	if (i < 0)
		tu_dump(s);
	assert_true(i >= 0);
	assert_int_equal(vigil_finding_severity(vigil_scan_finding(s, (size_t)i)),
	                 VIGIL_SEV_MEDIUM);
	assert_string_equal(tu_finding_path(s, i), "msg/2:du_lieu.zip");
	assert_true(tu_finding(s, "archive.encrypted") >= 0);
	/* one per archive, however many members are encrypted */
	assert_int_equal(count_prefix(s, "dlp.archive_encrypted_outbound"), 1);
	vigil_scan_free(s);

	s = scan_dir(e, mail, strlen(mail), "m.eml", VIGIL_DIR_INBOUND);
	assert_true(tu_finding(s, "archive.encrypted") >= 0);
	assert_int_equal(count_prefix(s, "dlp."), 0);
	vigil_scan_free(s);
	g_byte_array_unref(zip);
	g_free(mail);
	vigil_engine_unref(e);
}

/* a scan cut short by the object limit still reports what it counted */
static void test_cut_short(void **state)
{
	GRand *r = g_rand_new_with_seed(21);
	char *csv = cccd_csv(r, 80, NULL);
	struct zipw z;
	GByteArray *zip;
	vigil_config *cfg = vigil_config_new();
	vigil_engine *e = NULL;
	vigil_scan *s;
	long i;

	(void)state;
	zip_init(&z);
	zip_add(&z, "a.csv", csv, strlen(csv), false);
	for (int k = 0; k < 10; k++) {
		char name[16];

		g_snprintf(name, sizeof name, "pad%d.txt", k);
		zip_add(&z, name, "x", 1, false);
	}
	zip = zip_finish(&z);
	vigil_config_set_limit(cfg, VIGIL_LIMIT_OBJECTS, 4);
	assert_int_equal(vigil_engine_new(cfg, &e, NULL), VIGIL_OK);
	vigil_config_free(cfg);
	s = scan_dir(e, zip->data, zip->len, "x.zip", VIGIL_DIR_OUTBOUND);
	assert_true(tu_finding(s, "limit.objects") >= 0);
	i = tu_finding(s, "dlp.citizen_data");
	assert_true(i >= 0);
	assert_string_equal(tu_finding_path(s, i), "x.zip/a.csv");
	assert_non_null(strstr(evidence_of(s, "dlp.citizen_data"), "80 citizen identifiers"));
	vigil_scan_free(s);
	vigil_engine_unref(e);
	g_byte_array_unref(zip);
	g_free(csv);
	g_rand_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_outbound_zip_csv), cmocka_unit_test(test_inbound_nothing),
	        cmocka_unit_test(test_xlsx_bhyt),        cmocka_unit_test(test_docx_table),
	        cmocka_unit_test(test_invalid_cccd),     cmocka_unit_test(test_mobiles),
	        cmocka_unit_test(test_business_email),   cmocka_unit_test(test_thresholds),
	        cmocka_unit_test(test_duplicates),       cmocka_unit_test(test_bhxh_context),
	        cmocka_unit_test(test_excel_forms),      cmocka_unit_test(test_encrypted_archive),
	        cmocka_unit_test(test_cut_short),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
