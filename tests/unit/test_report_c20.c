/*
 * test_report_c20.c - the Circular 20/2017 reports (src/server/report_c20.h):
 * the sections and values of each report built from a rich incident
 * document, the exact list of missing fields, deadlines at their boundaries
 * and in local time (UTC+7), HTML escaping of hostile strings, PDFs read
 * back with a real parser (poppler's pdftotext) for their Vietnamese text,
 * the drill marking and all 300 indicators of a long incident, and hostile
 * or huge inputs that must stay bounded.
 */
#include "testutil.h"

#include <jansson.h>
#include <time.h>
#include <unistd.h>

#include "pdf_text.h"
#include "server/report_c20.h"

/* 2026-11-27T08:15:00Z = 27/11/2026 15:15 in Hà Nội */
#define DETECTED "2026-11-27T08:15:00Z"
/* the report is written at 00:30 local on the 28th, 17:30 UTC on the 27th */
#define NOW_S "2026-11-27T17:30:00Z"
#define HASH_HEAD "deadbeefcafebabefacefeeddecafbadbeadedabbaccabbadfacadebeefed"

static int64_t t_of(const char *s)
{
	int64_t t = 0;

	assert_int_equal(report_c20_parse_time(s, &t), 0);
	return t;
}

static json_t *indicators(size_t n)
{
	json_t *a = json_array();
	static const char *const types[] = {"domain", "sha256", "url", "email", "ipv4"};

	for (size_t i = 0; i < n; i++) {
		char v[96];

		/* short unique values: one line in the PDF's value column */
		switch (i % 5) {
		case 1: /* letters, where pango would hyphenate a broken word */
			snprintf(v, sizeof v, "%.58s%06zx", HASH_HEAD, i);
			break;
		default:
			snprintf(v, sizeof v, "evil-%05zu.example", i);
		}
		json_array_append_new(a,
		                      json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", types[i % 5],
		                                "value", v, "description", "Máy chủ điều khiển",
		                                "tlp", "TLP:AMBER", "first_seen", DETECTED));
	}
	return a;
}

/* a complete incident of the shape docs/decisions/0010 gives */
static json_t *rich_incident(size_t n_indicators, bool drill)
{
	json_t *inc = json_pack(
	        "{s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:s,"
	        " s:[{s:s, s:s, s:s}], s:{s:s, s:s, s:s},"
	        " s:s, s:n, s:s, s:n, s:o,"
	        " s:[{s:s, s:s, s:s, s:s, s:[s,s,s], s:s, s:s, s:s}],"
	        " s:[{s:s, s:s, s:i}],"
	        " s:[{s:s, s:s, s:s, s:s, s:s}, {s:s, s:s, s:s}],"
	        " s:[{s:s, s:s, s:s, s:b}],"
	        " s:[{s:s, s:s, s:s, s:s}],"
	        " s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s},"
	        " s:{s:{s:s, s:s, s:[s,s]}, s:{s:s, s:s}}}",
	        "id", "INC-2026-0001", "title", "Thư giả mạo phát tán phần mềm gián điệp",
	        "severity", "high", "tlp", "TLP:AMBER", "status", "containment", "drill", drill,
	        "summary",
	        "Hệ thống lọc thư phát hiện 12 thư giả mạo Tổng cục Thuế đính kèm tệp .docm chứa "
	        "macro tải phần mềm gián điệp; 2 máy trạm đã mở tệp.",
	        "category", "malware.spyware", "units", "id", "hanoi", "name",
	        "Bảo hiểm xã hội thành phố Hà Nội", "region", "north", "owner", "name",
	        "Nguyễn Văn An", "email", "nguyen.van.an@bhxh.example", "unit", "cntt",
	        "detected_at", DETECTED, "acknowledged_at", "contained_at", "2026-11-27T10:00:00Z",
	        "closed_at", "indicators", indicators(n_indicators), "messages", "uid", "u1",
	        "message_id", "<m1@evil.example>", "from", "Tổng cục Thuế <thue@evil.example>",
	        "subject", "Thông báo quyết toán thuế năm 2026", "recipients", "a@bhxh.example",
	        "b@bhxh.example", "c@bhxh.example", "received_at", "2026-11-27T07:55:00Z",
	        "verdict", "malicious", "action", "quarantine", "systems", "id", "tst", "name",
	        "Hệ thống Thu – Sổ thẻ", "level", 3, "endpoints", "host", "HN-PC-0012", "unit",
	        "hanoi", "state", "infected", "os", "Windows 10", "ip", "10.2.0.12", "host",
	        "HN-PC-0013", "unit", "hanoi", "state", "clean", "tasks", "title",
	        "Cách ly máy trạm HN-PC-0012", "assignee", "Trần Thị Bình", "unit", "hanoi", "done",
	        1, "timeline", "at", DETECTED, "who", "vigil", "kind", "status", "text",
	        "Phát hiện thư độc hại", "reporter", "organisation", "Bảo hiểm xã hội Việt Nam",
	        "unit", "Trung tâm Công nghệ thông tin", "name", "Lê Văn Cường", "title",
	        "Phó Giám đốc Trung tâm", "phone", "024 3934 0000", "email", "attt@bhxh.example",
	        "address", "Số 7 Tràng Thi, Hoàn Kiếm, Hà Nội", "city", "Hà Nội", "reports",
	        "notification", "filed_at", "2026-11-27T09:00:00Z", "number", "12/TB-CNTT",
	        "sent_to", "Cục An toàn thông tin (VNCERT/CC)", "Bảo hiểm xã hội Việt Nam",
	        "initial", "filed_at", "2026-11-27T11:00:00Z", "number", "15/BC-CNTT");

	assert_non_null(inc);
	return inc;
}

/* the first field item of the report with this key (and label prefix) */
static const json_t *field(const json_t *rep, const char *key, const char *label)
{
	const json_t *sec, *it;
	size_t i, k;

	json_array_foreach(json_object_get(rep, "sections"), i, sec)
	{
		json_array_foreach(json_object_get(sec, "items"), k, it)
		{
			const char *l = json_string_value(json_object_get(it, "label"));

			if (strcmp(json_string_value(json_object_get(it, "type")), "field") == 0 &&
			    strcmp(json_string_value(json_object_get(it, "key")), key) == 0 &&
			    (label == NULL || strncmp(l, label, strlen(label)) == 0))
				return it;
		}
	}
	fail_msg("no field %s", key);
	return NULL;
}

static const char *value(const json_t *rep, const char *key, const char *label)
{
	return json_string_value(json_object_get(field(rep, key, label), "value"));
}

static const json_t *table(const json_t *rep, const char *id)
{
	const json_t *sec, *it;
	size_t i, k;

	json_array_foreach(json_object_get(rep, "sections"), i, sec)
	{
		json_array_foreach(json_object_get(sec, "items"), k, it)
		{
			const char *tid = json_string_value(json_object_get(it, "id"));

			if (tid != NULL && strcmp(tid, id) == 0)
				return it;
		}
	}
	return NULL;
}

static void assert_headings(const json_t *rep, const char *const *want, size_t n)
{
	const json_t *secs = json_object_get(rep, "sections");

	assert_int_equal(json_array_size(secs), n);
	for (size_t i = 0; i < n; i++) {
		const json_t *s = json_array_get(secs, i);

		assert_string_equal(json_string_value(json_object_get(s, "heading")), want[i]);
		assert_int_equal(json_integer_value(json_object_get(s, "no")), i + 1);
	}
}

static void test_notification(void **state)
{
	json_t *inc = rich_incident(300, false);
	json_t *r = report_c20_build(inc, REPORT_C20_NOTIFICATION, t_of(NOW_S));
	static const char *const headings[] = {
	        "THÔNG TIN VỀ TỔ CHỨC/CÁ NHÂN BÁO CÁO SỰ CỐ",
	        "NGƯỜI LIÊN HỆ",
	        "THÔNG TIN VỀ HỆ THỐNG BỊ SỰ CỐ",
	        "MÔ TẢ SƠ BỘ VỀ SỰ CỐ",
	        "THỜI ĐIỂM PHÁT HIỆN SỰ CỐ",
	        "HIỆN TRẠNG SỰ CỐ",
	        "CÁCH THỨC PHÁT HIỆN",
	        "THỜI GIAN THỰC HIỆN BÁO CÁO SỰ CỐ",
	};
	const json_t *h;

	assert_non_null(r);
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "form"), "id")),
	                    "tbsc");
	assert_string_equal(json_string_value(json_object_get(r, "title")),
	                    "THÔNG BÁO SỰ CỐ AN TOÀN THÔNG TIN MẠNG");
	assert_headings(r, headings, G_N_ELEMENTS(headings));
	assert_false(json_is_true(json_object_get(r, "draft")));
	assert_int_equal(json_array_size(json_object_get(r, "missing")), 0);
	assert_true(json_is_null(json_object_get(r, "marking")));
	assert_string_equal(value(r, "reporter.organisation", NULL), "Bảo hiểm xã hội Việt Nam");
	assert_string_equal(value(r, "reporter.address", NULL),
	                    "Số 7 Tràng Thi, Hoàn Kiếm, Hà Nội");
	assert_string_equal(value(r, "reporter.phone", NULL), "024 3934 0000");
	assert_string_equal(value(r, "reporter.name", NULL), "Lê Văn Cường");
	assert_string_equal(value(r, "reporter.unit", NULL), "Trung tâm Công nghệ thông tin");
	assert_string_equal(value(r, "systems", NULL), "Hệ thống Thu – Sổ thẻ");
	assert_string_equal(value(r, "category", NULL),
	                    "Tấn công sử dụng mã độc (malware.spyware)");
	assert_string_equal(value(r, "severity", NULL), "Cao (high)");
	assert_string_equal(value(r, "detected_at", "Ngày"), "27/11/2026");
	assert_string_equal(value(r, "detected_at", "Thời gian"), "15 giờ 15 phút (UTC+7)");
	assert_string_equal(value(r, "status", NULL), "Đang ngăn chặn (containment)");
	assert_string_equal(value(r, "detection", NULL),
	                    "Hệ thống giám sát, lọc thư điện tử (vigil) phát hiện 1 thư độc "
	                    "hại/đáng ngờ");
	assert_string_equal(value(r, "indicators", NULL), "300");
	/* the report's time is local: 00:30 on the 28th */
	assert_string_equal(value(r, "now", NULL), "28/11/2026/00/30");
	h = json_object_get(r, "header");
	assert_string_equal(json_string_value(json_object_get(h, "organisation")),
	                    "BẢO HIỂM XÃ HỘI VIỆT NAM");
	assert_string_equal(json_string_value(json_object_get(h, "unit")),
	                    "TRUNG TÂM CÔNG NGHỆ THÔNG TIN");
	assert_string_equal(json_string_value(json_object_get(h, "place_date")),
	                    "Hà Nội, ngày 28 tháng 11 năm 2026");
	assert_string_equal(json_string_value(json_object_get(h, "number")), "Số: 12/TB-CNTT");
	assert_string_equal(json_string_value(json_object_get(r, "generated_at")),
	                    "2026-11-28T00:30:00+07:00");
	/* filed: the deadline says so */
	assert_string_equal(
	        json_string_value(json_object_get(json_object_get(r, "deadline"), "state")),
	        "filed");
	json_decref(r);
	json_decref(inc);
}

static void test_initial(void **state)
{
	json_t *inc = rich_incident(300, true);
	json_t *r = report_c20_build(inc, REPORT_C20_INITIAL, t_of(NOW_S));
	static const char *const headings[] = {
	        "THÔNG TIN VỀ TỔ CHỨC/CÁ NHÂN BÁO CÁO SỰ CỐ",
	        "NGƯỜI LIÊN HỆ",
	        "THÔNG TIN CHI TIẾT VỀ HỆ THỐNG BỊ SỰ CỐ",
	        "MÔ TẢ SƠ BỘ VỀ SỰ CỐ",
	        "THỜI ĐIỂM PHÁT HIỆN SỰ CỐ",
	        "HIỆN TRẠNG SỰ CỐ",
	        "CÁCH THỨC PHÁT HIỆN",
	        "ĐÃ GỬI THÔNG BÁO SỰ CỐ CHO",
	        "THÔNG TIN BỔ SUNG VỀ HỆ THỐNG XẢY RA SỰ CỐ",
	        "KIẾN NGHỊ, ĐỀ XUẤT HỖ TRỢ",
	        "THỜI GIAN THỰC HIỆN BÁO CÁO SỰ CỐ",
	};
	const json_t *t, *row;

	assert_non_null(r);
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "form"), "id")),
	                    "mau-03");
	assert_string_equal(json_string_value(json_object_get(r, "title")),
	                    "BÁO CÁO BAN ĐẦU SỰ CỐ MẠNG");
	assert_headings(r, headings, G_N_ELEMENTS(headings));
	assert_int_equal(json_array_size(json_object_get(r, "missing")), 0);
	assert_true(json_is_true(json_object_get(r, "drill")));
	assert_string_equal(json_string_value(json_object_get(r, "marking")),
	                    "DIỄN TẬP / EXERCISE");
	assert_string_equal(value(r, "systems[].level", NULL), "Hệ thống Thu – Sổ thẻ: cấp độ 3");
	assert_string_equal(value(r, "reports.notification.sent_to", NULL),
	                    "Cục An toàn thông tin (VNCERT/CC); Bảo hiểm xã hội Việt Nam (lúc "
	                    "27/11/2026 16:00)");
	assert_string_equal(value(r, "endpoints[].os", NULL), "Windows 10");
	assert_string_equal(value(r, "tlp", NULL), "Có (TLP:AMBER)");
	assert_true(json_is_null(json_object_get(field(r, "support_request", NULL), "value")));
	t = table(r, "indicators");
	assert_non_null(t);
	assert_int_equal(json_integer_value(json_object_get(t, "total")), 300);
	assert_int_equal(json_integer_value(json_object_get(t, "shown")), 300);
	assert_true(json_is_null(json_object_get(t, "more")));
	row = json_array_get(json_object_get(t, "rows"), 0);
	assert_string_equal(json_string_value(json_array_get(row, 0)), "1");
	assert_string_equal(json_string_value(json_array_get(row, 1)), "Tên miền");
	assert_string_equal(json_string_value(json_array_get(row, 2)), "evil-00000.example");
	assert_string_equal(json_string_value(json_array_get(row, 3)), "Máy chủ điều khiển");
	assert_string_equal(json_string_value(json_array_get(row, 4)), "TLP:AMBER");
	row = json_array_get(json_object_get(table(r, "messages"), "rows"), 0);
	assert_string_equal(json_string_value(json_array_get(row, 1)), "27/11/2026 14:55");
	assert_string_equal(json_string_value(json_array_get(row, 4)), "3");
	assert_string_equal(json_string_value(json_array_get(row, 5)), "Độc hại / Cách ly");
	row = json_array_get(json_object_get(table(r, "endpoints"), "rows"), 0);
	assert_string_equal(json_string_value(json_array_get(row, 5)), "Bị nhiễm (infected)");
	json_decref(r);
	json_decref(inc);
}

static void test_final(void **state)
{
	json_t *inc = rich_incident(3, false);
	json_t *r;
	static const char *const headings[] = {
	        "THÔNG TIN VỀ TỔ CHỨC/CÁ NHÂN BÁO CÁO SỰ CỐ",
	        "KÝ HIỆU BÁO CÁO BAN ĐẦU SỰ CỐ",
	        "THÔNG TIN CHI TIẾT VỀ HỆ THỐNG BỊ SỰ CỐ",
	        "TÊN/MÔ TẢ VỀ SỰ CỐ",
	        "THỜI ĐIỂM PHÁT HIỆN SỰ CỐ",
	        "KẾT QUẢ XỬ LÝ SỰ CỐ",
	        "CÁC TÀI LIỆU ĐÍNH KÈM",
	};
	const json_t *row, *d;

	json_object_set_new(inc, "status", json_string("closed"));
	json_object_set_new(inc, "closed_at", json_string("2026-11-30T03:00:00Z"));
	json_object_set_new(inc, "resolution", json_string("Đã gỡ mã độc, đổi mật khẩu."));
	json_object_set_new(inc, "attachments",
	                    json_pack("[s,s]", "Nhật ký cổng thư", "Mẫu mã độc"));
	r = report_c20_build(inc, REPORT_C20_FINAL, t_of("2026-12-01T02:00:00Z"));
	assert_non_null(r);
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "form"), "id")),
	                    "mau-04");
	assert_string_equal(json_string_value(json_object_get(r, "title")),
	                    "BÁO CÁO KẾT THÚC ỨNG PHÓ SỰ CỐ");
	assert_headings(r, headings, G_N_ELEMENTS(headings));
	assert_int_equal(json_array_size(json_object_get(r, "missing")), 0);
	assert_string_equal(value(r, "reports.initial.number", NULL), "15/BC-CNTT");
	assert_string_equal(value(r, "reports.initial.filed_at", NULL), "27/11/2026");
	assert_string_equal(value(r, "contained_at", NULL), "27/11/2026 17:00");
	assert_string_equal(value(r, "closed_at", NULL), "30/11/2026 10:00");
	assert_string_equal(value(r, "resolution", NULL), "Đã gỡ mã độc, đổi mật khẩu.");
	assert_string_equal(value(r, "attachments", NULL), "- Nhật ký cổng thư\n- Mẫu mã độc");
	row = json_array_get(json_object_get(table(r, "tasks"), "rows"), 0);
	assert_string_equal(json_string_value(json_array_get(row, 1)),
	                    "Cách ly máy trạm HN-PC-0012");
	assert_string_equal(json_string_value(json_array_get(row, 4)), "Đã xong");
	row = json_array_get(json_object_get(table(r, "timeline"), "rows"), 0);
	assert_string_equal(json_string_value(json_array_get(row, 1)), "27/11/2026 15:15");
	assert_int_equal(json_integer_value(json_object_get(table(r, "indicators"), "total")), 3);
	/* due 5 days after the end of the response, not yet filed */
	d = json_object_get(r, "deadline");
	assert_string_equal(json_string_value(json_object_get(d, "due")), "2026-12-05T03:00:00Z");
	assert_string_equal(json_string_value(json_object_get(d, "due_local")),
	                    "2026-12-05T10:00:00+07:00");
	assert_string_equal(json_string_value(json_object_get(d, "state")), "not_due");
	json_decref(r);
	json_decref(inc);
}

/* the missing list as "field:reason" lines, for exact comparison */
static char *missing_str(const json_t *inc, report_c20_kind k)
{
	json_t *m = report_c20_missing(inc, k), *v;
	GString *s = g_string_new(NULL);
	size_t i;

	json_array_foreach(m, i, v)
	        g_string_append_printf(s, "%s:%s\n", json_string_value(json_object_get(v, "field")),
	                               json_string_value(json_object_get(v, "reason")));
	json_decref(m);
	return g_string_free(s, FALSE);
}

static void test_missing(void **state)
{
	json_t *inc = rich_incident(2, false), *empty = json_object(), *m;
	json_t *rep = json_object_get(inc, "reporter");
	char *s;

	json_object_del(rep, "address");
	json_object_set_new(rep, "phone", json_integer(2439340000)); /* a number: wrong type */
	json_object_set_new(inc, "summary", json_string("   "));     /* blank is missing */
	json_object_set_new(inc, "detected_at", json_string("hôm qua"));
	json_object_del(inc, "reports");

	s = missing_str(inc, REPORT_C20_NOTIFICATION);
	assert_string_equal(s, "reporter.address:missing\n"
	                       "reporter.phone:wrong_type\n"
	                       "summary:missing\n"
	                       "detected_at:wrong_type\n");
	g_free(s);
	s = missing_str(inc, REPORT_C20_INITIAL);
	assert_string_equal(s, "reporter.address:missing\n"
	                       "reporter.phone:wrong_type\n"
	                       "summary:missing\n"
	                       "detected_at:wrong_type\n"
	                       "reports.notification.sent_to:missing\n");
	g_free(s);
	/* the final report: no summary starred, closed_at is */
	s = missing_str(inc, REPORT_C20_FINAL);
	assert_string_equal(s, "reporter.address:missing\n"
	                       "reporter.phone:wrong_type\n"
	                       "detected_at:wrong_type\n"
	                       "closed_at:missing\n");
	g_free(s);

	/* the messages in both languages */
	m = report_c20_missing(inc, REPORT_C20_NOTIFICATION);
	assert_string_equal(json_string_value(json_object_get(json_array_get(m, 0), "vi")),
	                    "Thiếu thông tin: Địa chỉ (trường reporter.address)");
	assert_string_equal(json_string_value(json_object_get(json_array_get(m, 0), "en")),
	                    "Missing: Address (field reporter.address)");
	assert_string_equal(json_string_value(json_object_get(json_array_get(m, 1), "vi")),
	                    "Sai kiểu dữ liệu: Điện thoại (trường reporter.phone)");
	assert_string_equal(json_string_value(json_object_get(json_array_get(m, 1), "en")),
	                    "Wrong type: Phone (field reporter.phone)");
	json_decref(m);

	/* the draft still has every field, the blanks marked */
	{
		json_t *r = report_c20_build(inc, REPORT_C20_NOTIFICATION, 0);
		const json_t *f = field(r, "reporter.address", NULL);

		assert_true(json_is_true(json_object_get(r, "draft")));
		assert_true(json_is_null(json_object_get(f, "value")));
		assert_true(json_is_true(json_object_get(f, "missing")));
		json_decref(r);
	}

	/* nothing at all */
	s = missing_str(empty, REPORT_C20_NOTIFICATION);
	assert_string_equal(s, "reporter.organisation:missing\n"
	                       "reporter.address:missing\n"
	                       "reporter.phone:missing\n"
	                       "reporter.email:missing\n"
	                       "reporter.name:missing\n"
	                       "reporter.unit:missing\n"
	                       "summary:missing\n"
	                       "detected_at:missing\n"
	                       "status:missing\n");
	g_free(s);
	/* a reporter that is not an object: each of its fields has the wrong type */
	json_object_set_new(empty, "reporter", json_string("Lê Văn Cường"));
	s = missing_str(empty, REPORT_C20_FINAL);
	assert_string_equal(s, "reporter.organisation:wrong_type\n"
	                       "reporter.address:wrong_type\n"
	                       "reporter.phone:wrong_type\n"
	                       "reporter.email:wrong_type\n"
	                       "reporter.unit:wrong_type\n"
	                       "detected_at:missing\n"
	                       "closed_at:missing\n");
	g_free(s);
	json_decref(empty);
	json_decref(inc);
}

static report_c20_state state_at(const json_t *inc, report_c20_kind k, const char *now,
                                 int64_t delta, int64_t *left)
{
	struct report_c20_deadline d;

	report_c20_deadline(inc, k, t_of(now) + delta, &d);
	if (left != NULL)
		*left = d.seconds_left;
	return d.state;
}

static void test_deadlines(void **state)
{
	json_t *inc = rich_incident(0, false);
	const char *due = "2026-12-02T08:15:00Z"; /* detected + 5 × 24 h */
	struct report_c20_deadline d;
	int64_t left;
	json_t *j;

	json_object_del(inc, "reports");
	report_c20_deadline(inc, REPORT_C20_NOTIFICATION, t_of(DETECTED), &d);
	assert_true(d.has_start && d.has_due && !d.has_filed);
	assert_int_equal(d.due - d.start, 5 * 86400);
	assert_int_equal(d.due, t_of(due));
	assert_int_equal(d.state, REPORT_C20_NOT_DUE);

	/* exactly at the due time: still due (soon), not overdue */
	assert_int_equal(state_at(inc, REPORT_C20_NOTIFICATION, due, 0, &left),
	                 REPORT_C20_DUE_SOON);
	assert_int_equal(left, 0);
	assert_int_equal(state_at(inc, REPORT_C20_NOTIFICATION, due, -1, &left),
	                 REPORT_C20_DUE_SOON);
	assert_int_equal(left, 1);
	assert_int_equal(state_at(inc, REPORT_C20_NOTIFICATION, due, 1, &left), REPORT_C20_OVERDUE);
	assert_int_equal(left, -1);
	/* the due-soon window: the last 24 hours, both ends */
	assert_int_equal(state_at(inc, REPORT_C20_INITIAL, due, -86400, NULL), REPORT_C20_DUE_SOON);
	assert_int_equal(state_at(inc, REPORT_C20_INITIAL, due, -86401, NULL), REPORT_C20_NOT_DUE);
	/* the final report waits for the end of the response */
	assert_int_equal(state_at(inc, REPORT_C20_FINAL, due, 100 * 86400, NULL),
	                 REPORT_C20_WAITING);
	json_object_set_new(inc, "closed_at", json_string("sau này"));
	assert_int_equal(state_at(inc, REPORT_C20_FINAL, due, 0, NULL), REPORT_C20_UNKNOWN);
	json_object_set_new(inc, "closed_at", json_string("2026-12-10T00:00:00+07:00"));
	report_c20_deadline(inc, REPORT_C20_FINAL, 0, &d);
	assert_int_equal(d.due, t_of("2026-12-14T17:00:00Z"));
	assert_int_equal(state_at(inc, REPORT_C20_FINAL, "2026-12-14T17:00:00Z", 1, NULL),
	                 REPORT_C20_OVERDUE);
	/* the same instant written in local time */
	json_object_set_new(inc, "detected_at", json_string("2026-11-27T15:15:00+07:00"));
	report_c20_deadline(inc, REPORT_C20_NOTIFICATION, 0, &d);
	assert_int_equal(d.due, t_of(due));
	/* no detection time, or an unreadable one */
	json_object_del(inc, "detected_at");
	assert_int_equal(state_at(inc, REPORT_C20_NOTIFICATION, due, 0, NULL), REPORT_C20_UNKNOWN);
	json_object_set_new(inc, "detected_at", json_integer(1764231300));
	assert_int_equal(state_at(inc, REPORT_C20_NOTIFICATION, due, 0, NULL), REPORT_C20_UNKNOWN);
	json_object_set_new(inc, "detected_at", json_string(DETECTED));

	/* filed: on time at the due second, late one second after */
	json_object_set_new(inc, "reports",
	                    json_pack("{s:{s:s}, s:{s:s}}", "notification", "filed_at", due,
	                              "initial", "filed_at", "2026-12-02T08:15:01Z"));
	report_c20_deadline(inc, REPORT_C20_NOTIFICATION, t_of(due) + 999999, &d);
	assert_int_equal(d.state, REPORT_C20_FILED);
	assert_false(d.filed_late);
	report_c20_deadline(inc, REPORT_C20_INITIAL, t_of(due) + 5, &d);
	assert_int_equal(d.state, REPORT_C20_FILED);
	assert_true(d.filed_late);

	/* as JSON: UTC and local times, the legal basis */
	report_c20_deadline(inc, REPORT_C20_FINAL, t_of("2026-12-15T00:00:00Z"), &d);
	j = report_c20_deadline_json(&d);
	assert_string_equal(json_string_value(json_object_get(j, "state")), "overdue");
	assert_string_equal(json_string_value(json_object_get(j, "start")), "2026-12-09T17:00:00Z");
	assert_string_equal(json_string_value(json_object_get(j, "due_local")),
	                    "2026-12-15T00:00:00+07:00");
	assert_int_equal(json_integer_value(json_object_get(j, "seconds_left")), -7 * 3600);
	assert_non_null(strstr(json_string_value(json_object_get(j, "basis_vi")),
	                       "kết thúc ứng phó sự cố"));
	json_decref(j);
	json_decref(inc);
}

static void test_local_dates(void **state)
{
	json_t *inc = rich_incident(0, false);
	json_t *r;

	/* 17:00 UTC is midnight in Hà Nội: the next day */
	json_object_set_new(inc, "detected_at", json_string("2026-12-31T16:59:59Z"));
	r = report_c20_build(inc, REPORT_C20_NOTIFICATION, t_of("2026-12-31T16:59:59Z"));
	assert_string_equal(value(r, "detected_at", "Ngày"), "31/12/2026");
	assert_string_equal(value(r, "detected_at", "Thời gian"), "23 giờ 59 phút (UTC+7)");
	assert_string_equal(
	        json_string_value(json_object_get(json_object_get(r, "header"), "place_date")),
	        "Hà Nội, ngày 31 tháng 12 năm 2026");
	json_decref(r);
	json_object_set_new(inc, "detected_at", json_string("2026-12-31T17:00:00Z"));
	r = report_c20_build(inc, REPORT_C20_NOTIFICATION, t_of("2026-12-31T17:00:00Z"));
	assert_string_equal(value(r, "detected_at", "Ngày"), "01/01/2027");
	assert_string_equal(value(r, "detected_at", "Thời gian"), "00 giờ 00 phút (UTC+7)");
	assert_string_equal(
	        json_string_value(json_object_get(json_object_get(r, "header"), "place_date")),
	        "Hà Nội, ngày 01 tháng 01 năm 2027");
	json_decref(r);
	json_decref(inc);
}

static void test_parse_time(void **state)
{
	int64_t t;

	assert_int_equal(report_c20_parse_time("1970-01-01T00:00:00Z", &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(report_c20_parse_time("2026-11-27T08:15:00Z", &t), 0);
	assert_int_equal(t, 1795767300);
	assert_int_equal(report_c20_parse_time("2026-11-27T08:15:00.999Z", &t), 0);
	assert_int_equal(t, 1795767300);
	assert_int_equal(report_c20_parse_time("2026-11-27 15:15:00+07:00", &t), 0);
	assert_int_equal(t, 1795767300);
	assert_int_equal(report_c20_parse_time("2026-11-27t03:15:00-05:00", &t), 0);
	assert_int_equal(t, 1795767300);
	assert_int_equal(report_c20_parse_time("2028-02-29T00:00:00Z", &t), 0);
	assert_int_equal(report_c20_parse_time("2016-12-31T23:59:60Z", &t), 0); /* leap second */
	assert_int_equal(t, 1483228799);
	static const char *const bad[] = {
	        "",
	        "2026-11-27",
	        "2026-11-27T08:15:00",  /* no zone */
	        "2026-02-29T00:00:00Z", /* not a leap year */
	        "2026-13-01T00:00:00Z",
	        "2026-11-31T00:00:00Z",
	        "2026-11-27T24:00:00Z",
	        "2026-11-27T08:15:00+7:00",
	        "2026-11-27T08:15:00Z junk",
	        "2026-11-27T08:15:00.Z",
	        "0000-01-01T00:00:00Z",
	        "２０２６-11-27T08:15:00Z",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
		assert_int_equal(report_c20_parse_time(bad[i], &t), -1);
	assert_int_equal(report_c20_parse_time(NULL, &t), -1);
}

static void test_html_escapes(void **state)
{
	json_t *inc = rich_incident(2, true), *r;
	char *html = NULL;
	size_t len = 0;
	json_t *ind = json_array_get(json_object_get(inc, "indicators"), 0);

	json_object_set_new(inc, "title", json_string("<script>alert(\"x\")</script> & 'q'"));
	json_object_set_new(inc, "summary", json_string("\"><img src=x onerror=alert(1)>"));
	json_object_set_new(ind, "value", json_string("<b>&amp;</b>"));
	json_object_set_new(json_object_get(inc, "reporter"), "name",
	                    json_string("</dd><script>x</script>"));
	r = report_c20_build(inc, REPORT_C20_INITIAL, t_of(NOW_S));
	assert_int_equal(report_c20_render_html(r, true, &html, &len), REPORT_C20_OK);
	assert_int_equal(strlen(html), len);
	assert_true(g_str_has_prefix(html, "<!DOCTYPE html>\n<html lang=\"vi\">"));
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "<img"));
	assert_null(strstr(html, "<b>"));
	assert_non_null(strstr(html, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; "
	                             "&#39;q&#39;"));
	assert_non_null(strstr(html, "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
	assert_non_null(strstr(html, "&lt;b&gt;&amp;amp;&lt;/b&gt;"));
	assert_non_null(strstr(html, "&lt;/dd&gt;&lt;script&gt;x&lt;/script&gt;"));
	/* the drill marking, top and bottom; Vietnamese as UTF-8 */
	assert_non_null(strstr(html, "<p class=\"c20-drill\">DIỄN TẬP / EXERCISE</p>"));
	assert_non_null(strstr(strstr(html, "c20-drill") + 1, "c20-drill"));
	assert_non_null(strstr(html, "BÁO CÁO BAN ĐẦU SỰ CỐ MẠNG"));
	free(html);
	/* the fragment for the web UI */
	assert_int_equal(report_c20_render_html(r, false, &html, &len), REPORT_C20_OK);
	assert_true(g_str_has_prefix(html, "<article class=\"c20-report c20-kind-initial\""));
	assert_null(strstr(html, "<style"));
	free(html);
	/* not a report */
	assert_int_equal(report_c20_render_html(inc, false, &html, &len), REPORT_C20_EINVAL);
	assert_null(html);
	json_decref(r);
	json_decref(inc);
}

/* the text of a PDF, as poppler's pdftotext reads it; NULL: skip */
static char *pdf_text(const unsigned char *pdf, size_t len)
{
	return pdf_text_of(pdf, len, 0);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

static void test_pdf(void **state)
{
	json_t *inc = rich_incident(300, true), *r;
	unsigned char *pdf = NULL;
	size_t len = 0, pages;
	char *txt;
	GString *squashed;
	const char *ioc;
	static const char *const want[] = {
	        "BẢO HIỂM XÃ HỘI VIỆT NAM",
	        "TRUNG TÂM CÔNG NGHỆ THÔNG TIN",
	        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
	        "Độc lập - Tự do - Hạnh phúc",
	        "Hà Nội, ngày 28 tháng 11 năm 2026",
	        "Mẫu số 03",
	        "BÁO CÁO BAN ĐẦU SỰ CỐ MẠNG",
	        "1. THÔNG TIN VỀ TỔ CHỨC/CÁ NHÂN BÁO CÁO SỰ CỐ",
	        "3. THÔNG TIN CHI TIẾT VỀ HỆ THỐNG BỊ SỰ CỐ",
	        "9. THÔNG TIN BỔ SUNG VỀ HỆ THỐNG XẢY RA SỰ CỐ",
	        "Số 7 Tràng Thi, Hoàn Kiếm, Hà Nội",
	        "Lê Văn Cường",
	        "Hệ thống Thu – Sổ thẻ",
	        "27/11/2026",
	        "15 giờ 15 phút (UTC+7)",
	        "Đang ngăn chặn (containment)",
	        "Danh sách dấu hiệu nhận biết (IoC)",
	        "Máy chủ điều khiển",
	        "CÁ NHÂN/NGƯỜI ĐẠI DIỆN THEO PHÁP LUẬT",
	        "(Ký tên, đóng dấu)",
	};

	r = report_c20_build(inc, REPORT_C20_INITIAL, t_of(NOW_S));
	assert_int_equal(report_c20_render_pdf(r, &pdf, &len), REPORT_C20_OK);
	assert_true(len > 1000);
	assert_memory_equal(pdf, "%PDF-", 5);
	txt = pdf_text(pdf, len);
	if (txt == NULL) {
		free(pdf);
		json_decref(r);
		json_decref(inc);
		skip();
	}
	for (size_t i = 0; i < G_N_ELEMENTS(want); i++)
		if (strstr(txt, want[i]) == NULL)
			fail_msg("PDF text lacks \"%s\"", want[i]);
	/* every indicator, across several pages; a 64-digit hash wraps inside
	 * its cell, so it is looked for in the text without line breaks */
	squashed = g_string_new(NULL);
	for (const char *c = txt; *c; c++)
		if (*c != '\n' && *c != ' ')
			g_string_append_c(squashed, *c);
	for (size_t i = 0; i < 300; i++) {
		char v[96];

		if (i % 5 == 1)
			snprintf(v, sizeof v, "%.58s%06zx", HASH_HEAD, i);
		else
			snprintf(v, sizeof v, "evil-%05zu.example", i);
		if (strstr(squashed->str, v) == NULL)
			fail_msg("PDF text lacks indicator %zu (%s)", i + 1, v);
	}
	/* broken without a hyphen: no '-' between two lower-case hex digits */
	ioc = strstr(squashed->str, "Danhsáchdấuhiệunhậnbiết(IoC)");
	assert_non_null(ioc);
	for (const char *c = strchr(ioc, '-'); c != NULL; c = strchr(c + 1, '-'))
		if (strchr("0123456789abcdef", c[-1]) != NULL && c[1] &&
		    strchr("0123456789abcdef", c[1]) != NULL)
			fail_msg("a hyphen inside a hash: %.20s", c - 10);
	g_string_free(squashed, TRUE);
	pages = count(txt, "\f");
	assert_true(pages >= 5);
	assert_non_null(strstr(txt, "Trang 5"));
	/* the drill marking at the top and bottom of every page */
	assert_true(count(txt, "DIỄN TẬP / EXERCISE") >= 2 * pages);
	free(pdf);
	g_free(txt);
	json_decref(r);

	/* not a drill: no marking; the final report of a closed incident */
	json_object_set_new(inc, "drill", json_false());
	json_object_set_new(inc, "closed_at", json_string("2026-11-30T03:00:00Z"));
	r = report_c20_build(inc, REPORT_C20_FINAL, t_of(NOW_S));
	assert_int_equal(report_c20_render_pdf(r, &pdf, &len), REPORT_C20_OK);
	txt = pdf_text(pdf, len);
	assert_null(strstr(txt, "DIỄN TẬP"));
	assert_null(strstr(txt, "BẢN NHÁP"));
	assert_non_null(strstr(txt, "BÁO CÁO KẾT THÚC ỨNG PHÓ SỰ CỐ"));
	assert_non_null(strstr(txt, "KÝ HIỆU BÁO CÁO BAN ĐẦU SỰ CỐ"));
	assert_non_null(strstr(txt, "15/BC-CNTT"));
	assert_non_null(strstr(txt, "30/11/2026 10:00"));
	free(pdf);
	g_free(txt);
	json_decref(r);

	/* a draft says so, and marks its blanks */
	json_object_del(json_object_get(inc, "reporter"), "address");
	r = report_c20_build(inc, REPORT_C20_NOTIFICATION, t_of(NOW_S));
	assert_int_equal(report_c20_render_pdf(r, &pdf, &len), REPORT_C20_OK);
	txt = pdf_text(pdf, len);
	assert_non_null(strstr(txt, "BẢN NHÁP / DRAFT"));
	assert_non_null(strstr(txt, "[THIẾU / MISSING]"));
	assert_non_null(strstr(txt, "THÔNG BÁO SỰ CỐ AN TOÀN THÔNG TIN MẠNG"));
	free(pdf);
	g_free(txt);
	json_decref(r);
	json_decref(inc);
}

static void test_huge(void **state)
{
	json_t *inc = rich_incident(100000, false), *r;
	size_t big = 10u << 20;
	char *title = g_malloc(big + 1);
	unsigned char *pdf = NULL;
	char *html = NULL, *txt;
	size_t len = 0;
	const json_t *t;
	const char *v;

	/* a 10 MB title of Vietnamese text */
	for (size_t i = 0; i + 3 <= big; i += 3)
		memcpy(title + i, "ệ", 3);
	title[big - big % 3] = '\0';
	json_object_set_new(inc, "title", json_string(title));
	g_free(title);
	r = report_c20_build(inc, REPORT_C20_INITIAL, t_of(NOW_S));
	v = value(r, "title", NULL);
	assert_int_equal(g_utf8_strlen(v, -1),
	                 REPORT_C20_MAX_TITLE + g_utf8_strlen(" … [đã cắt bớt / truncated]", -1));
	assert_true(g_str_has_suffix(v, "[đã cắt bớt / truncated]"));
	t = table(r, "indicators");
	assert_int_equal(json_integer_value(json_object_get(t, "total")), 100000);
	assert_int_equal(json_integer_value(json_object_get(t, "shown")),
	                 REPORT_C20_MAX_INDICATORS);
	assert_string_equal(json_string_value(json_object_get(t, "more")),
	                    "… và 99500 dấu hiệu khác không liệt kê ở đây (giới hạn 500 dòng) / "
	                    "… and 99500 more indicators not listed here (limit 500 rows)");
	assert_int_equal(report_c20_render_pdf(r, &pdf, &len), REPORT_C20_OK);
	assert_true(len < REPORT_C20_MAX_PDF_BYTES);
	txt = pdf_text(pdf, len);
	if (txt != NULL) {
		assert_true(count(txt, "\f") <= REPORT_C20_MAX_PAGES);
		assert_non_null(strstr(txt, "99500"));
		assert_non_null(strstr(txt, "evil-00499.example"));
		assert_null(strstr(txt, "evil-00500.example"));
		g_free(txt);
	}
	free(pdf);
	assert_int_equal(report_c20_render_html(r, true, &html, &len), REPORT_C20_OK);
	assert_true(len < (4u << 20));
	assert_null(strstr(html, "evil-00500.example"));
	free(html);
	json_decref(r);
	json_decref(inc);
}

static void test_wrong_types(void **state)
{
	json_error_t e;
	/* every member of the wrong type, nulls where lists belong */
	json_t *inc = json_loads(
	        "{\"id\": 7, \"title\": [\"x\"], \"severity\": {}, \"tlp\": 1, \"status\": true,"
	        " \"drill\": \"yes\", \"summary\": 3.5, \"category\": null, \"units\": 7,"
	        " \"owner\": [], \"detected_at\": 1764231300, \"closed_at\": {},"
	        " \"indicators\": \"x\", \"messages\": {\"a\": 1},"
	        " \"systems\": [1, null, {\"id\": 5, \"level\": \"3\"}, {\"name\": \"S\", "
	        "\"level\": 9}],"
	        " \"endpoints\": [null, 1, {\"host\": [], \"state\": 5}],"
	        " \"tasks\": \"\", \"timeline\": [[], {\"at\": 5, \"text\": null}],"
	        " \"reporter\": {\"organisation\": {}, \"phone\": 123},"
	        " \"reports\": {\"notification\": {\"sent_to\": \"all\", \"filed_at\": 5},"
	        "               \"initial\": [], \"recipients\": {}}}",
	        0, &e);

	assert_non_null(inc);
	for (int k = 0; k < REPORT_C20__KINDS; k++) {
		json_t *r = report_c20_build(inc, (report_c20_kind)k, 0);
		unsigned char *pdf = NULL;
		char *html = NULL;
		size_t len;
		struct report_c20_deadline d;

		assert_non_null(r);
		assert_false(json_is_true(json_object_get(r, "drill"))); /* only true is true */
		assert_true(json_array_size(json_object_get(r, "missing")) > 0);
		assert_int_equal(report_c20_render_pdf(r, &pdf, &len), REPORT_C20_OK);
		assert_int_equal(report_c20_render_html(r, false, &html, &len), REPORT_C20_OK);
		report_c20_deadline(inc, (report_c20_kind)k, 0, &d);
		assert_int_equal(d.state, REPORT_C20_UNKNOWN);
		free(pdf);
		free(html);
		json_decref(r);
	}
	{
		json_t *r = report_c20_build(inc, REPORT_C20_INITIAL, 0);

		assert_string_equal(value(r, "systems", NULL), "S");
		assert_true(
		        json_is_null(json_object_get(field(r, "systems[].level", NULL), "value")));
		assert_null(value(r, "reports.notification.sent_to", NULL));
		json_decref(r);
	}
	/* not incidents and not reports */
	assert_null(report_c20_build(NULL, REPORT_C20_INITIAL, 0));
	assert_null(report_c20_build(json_array_get(json_object_get(inc, "systems"), 0),
	                             REPORT_C20_INITIAL, 0));
	assert_null(report_c20_build(inc, (report_c20_kind)7, 0));
	{
		unsigned char *pdf = (unsigned char *)"x";
		size_t len = 1;

		assert_int_equal(report_c20_render_pdf(inc, &pdf, &len), REPORT_C20_EINVAL);
		assert_null(pdf);
		assert_int_equal(len, 0);
	}
	json_decref(inc);
}

static void test_hostile_text(void **state)
{
	json_t *inc = rich_incident(1, false), *r;
	const char *s;

	/* invalid UTF-8 (possible in a json_t built in C), controls, bidi overrides */
	json_object_set_new(
	        inc, "summary",
	        json_string_nocheck("a\xff\xfe b\x01\x1b[31m c\u202eevil\u2066 d\r\ne"));
	r = report_c20_build(inc, REPORT_C20_NOTIFICATION, 0);
	s = value(r, "summary", NULL);
	assert_true(g_utf8_validate(s, -1, NULL));
	assert_null(strchr(s, '\x1b'));
	assert_null(strchr(s, '\x01'));
	assert_null(strchr(s, '\r'));
	assert_null(strstr(s, "\u202e"));
	assert_null(strstr(s, "\u2066"));
	assert_non_null(strstr(s, "evil"));
	assert_non_null(strstr(s, "\ne"));
	json_decref(r);
	json_decref(inc);
}

static void test_kinds(void **state)
{
	report_c20_kind k;

	assert_int_equal(report_c20_kind_parse("notification", &k), 0);
	assert_int_equal(k, REPORT_C20_NOTIFICATION);
	assert_int_equal(report_c20_kind_parse("final", &k), 0);
	assert_int_equal(k, REPORT_C20_FINAL);
	assert_int_equal(report_c20_kind_parse("Final", &k), -1);
	assert_int_equal(report_c20_kind_parse(NULL, &k), -1);
	assert_string_equal(report_c20_kind_name(REPORT_C20_INITIAL), "initial");
	assert_string_equal(report_c20_state_name(REPORT_C20_DUE_SOON), "due_soon");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_kinds),        cmocka_unit_test(test_parse_time),
	        cmocka_unit_test(test_notification), cmocka_unit_test(test_initial),
	        cmocka_unit_test(test_final),        cmocka_unit_test(test_missing),
	        cmocka_unit_test(test_deadlines),    cmocka_unit_test(test_local_dates),
	        cmocka_unit_test(test_html_escapes), cmocka_unit_test(test_hostile_text),
	        cmocka_unit_test(test_wrong_types),  cmocka_unit_test(test_pdf),
	        cmocka_unit_test(test_huge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
