/*
 * report_c20.c - Circular 20/2017/TT-BTTTT incident reports: the structured
 * report, deadlines and missing fields (this file), and its PDF and HTML
 * renderings (report_c20_render.c).
 *
 * Forms followed (docs/reports.md has the sources and what is unconfirmed):
 *   notification  the content asked by Art. 9(3)(a), laid out as the fields
 *                 of Mẫu số 03 marked (*) (the form's own note: "(*) is
 *                 required, the rest may be left out"; its email subject
 *                 prefix "[TBSC]" is "thông báo sự cố")
 *   initial       Mẫu số 03, "BÁO CÁO BAN ĐẦU SỰ CỐ MẠNG", headings in the
 *                 form's order
 *   final         Mẫu số 04, "BÁO CÁO KẾT THÚC ỨNG PHÓ SỰ CỐ"
 *
 * Ownership: nothing here keeps a reference to the incident; every string
 * put into the report is a cleaned copy (valid UTF-8, no control characters
 * but newline and tab, cut to a per-field limit with a visible mark). Lists
 * are cut to a row limit with a row that says how many more there are.
 */
#include "report_c20.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

#define MARKING "DIỄN TẬP / EXERCISE"
#define CUT_MARK " … [đã cắt bớt / truncated]"

const char *report_c20_strerror(int err)
{
	switch (err) {
	case REPORT_C20_OK:
		return "ok";
	case REPORT_C20_EINVAL:
		return "not an incident document or report";
	case REPORT_C20_ENOMEM:
		return "out of memory";
	case REPORT_C20_ERENDER:
		return "rendering failed (cairo/pango; is a font installed?)";
	case REPORT_C20_ETOOBIG:
		return "the PDF would exceed its size limit";
	}
	return "unknown error";
}

static const char *const kind_names[REPORT_C20__KINDS] = {"notification", "initial", "final"};

int report_c20_kind_parse(const char *s, report_c20_kind *out)
{
	for (int k = 0; s != NULL && k < REPORT_C20__KINDS; k++)
		if (strcmp(s, kind_names[k]) == 0) {
			*out = (report_c20_kind)k;
			return 0;
		}
	return -1;
}

const char *report_c20_kind_name(report_c20_kind k)
{
	return k >= 0 && k < REPORT_C20__KINDS ? kind_names[k] : "?";
}

const char *report_c20_state_name(report_c20_state s)
{
	static const char *const n[] = {"not_due", "due_soon", "overdue",
	                                "filed",   "waiting",  "unknown"};

	return s >= 0 && s <= REPORT_C20_UNKNOWN ? n[s] : "?";
}

/* ------------------------------------------------------------------ */
/* time                                                               */

/* days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil; y in 1..9999 so nothing overflows) */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static int digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int report_c20_parse_time(const char *s, int64_t *out)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	size_t n;

	if (s == NULL)
		return -1;
	n = strnlen(s, 64);
	if (n < 20 || n >= 64)
		return -1;
	if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
	    digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' ||
	    digits(s + 17, 2, &sec))
		return -1;
	s += 19;
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9')
			return -1;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if ((s[0] == 'Z' || s[0] == 'z') && s[1] == '\0') {
		sign = 0;
	} else if ((s[0] == '+' || s[0] == '-') && strlen(s) == 6 && digits(s + 1, 2, &oh) == 0 &&
	           s[3] == ':' && digits(s + 4, 2, &om) == 0) {
		sign = s[0] == '+' ? 1 : -1;
	} else {
		return -1;
	}
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 60 || oh > 23 ||
	    om > 59)
		return -1;
	int dim = mdays[mo - 1] + (mo == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
	if (d > dim)
		return -1;
	if (sec == 60)
		sec = 59; /* a leap second counts as the second before it */
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
	       sign * (oh * 3600 + om * 60);
	return 0;
}

/* "2026-11-27T08:15:00Z" */
static char *iso_utc(int64_t t)
{
	int y, m, d;
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	int64_t s = t - days * 86400;

	civil_from_days(days, &y, &m, &d);
	return g_strdup_printf("%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, (int)(s / 3600),
	                       (int)(s / 60 % 60), (int)(s % 60));
}

struct local_tm {
	int y, m, d, hh, mm;
};

static struct local_tm local_time(int64_t t)
{
	struct local_tm l;
	int64_t lt = t + REPORT_C20_UTC_OFFSET;
	int64_t days = lt >= 0 ? lt / 86400 : -((-lt + 86399) / 86400);
	int64_t s = lt - days * 86400;

	civil_from_days(days, &l.y, &l.m, &l.d);
	l.hh = (int)(s / 3600);
	l.mm = (int)(s / 60 % 60);
	return l;
}

/* "27/11/2026 15:15" (local) */
static char *local_datetime(int64_t t)
{
	struct local_tm l = local_time(t);

	return g_strdup_printf("%02d/%02d/%04d %02d:%02d", l.d, l.m, l.y, l.hh, l.mm);
}

/* "2026-11-27T15:15:00+07:00" */
static char *iso_local(int64_t t)
{
	struct local_tm l = local_time(t);
	int64_t lt = t + REPORT_C20_UTC_OFFSET;

	return g_strdup_printf("%04d-%02d-%02dT%02d:%02d:%02d+07:00", l.y, l.m, l.d, l.hh, l.mm,
	                       (int)(((lt % 60) + 60) % 60));
}

/* ------------------------------------------------------------------ */
/* reading the incident                                               */

enum why { FOUND = 0, MISSING, WRONG_TYPE };

/* obj[key] when it is an object; NULL (and *why) otherwise */
static const json_t *get_obj(const json_t *obj, const char *key, enum why *why)
{
	const json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	if (v == NULL || json_is_null(v)) {
		*why = MISSING;
		return NULL;
	}
	if (!json_is_object(v)) {
		*why = WRONG_TYPE;
		return NULL;
	}
	*why = FOUND;
	return v;
}

static bool blank(const char *s)
{
	for (; *s; s++)
		if (!g_ascii_isspace(*s))
			return false;
	return true;
}

/* obj[key] when it is a non-blank string; NULL (and *why) otherwise. A
 * number is accepted where people write numbers (phone numbers). */
static const char *get_str(const json_t *obj, const char *key, enum why *why)
{
	const json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	if (v == NULL || json_is_null(v)) {
		*why = MISSING;
		return NULL;
	}
	if (!json_is_string(v)) {
		*why = WRONG_TYPE;
		return NULL;
	}
	if (blank(json_string_value(v))) {
		*why = MISSING;
		return NULL;
	}
	*why = FOUND;
	return json_string_value(v);
}

static const char *str_of(const json_t *obj, const char *key)
{
	enum why w;

	return get_str(obj, key, &w);
}

/* reports.<name> of the incident (the filing records vigild keeps) */
static const json_t *filing(const json_t *inc, const char *name)
{
	enum why w;
	const json_t *reports = get_obj(inc, "reports", &w);

	return get_obj(reports, name, &w);
}

static bool get_time(const json_t *obj, const char *key, int64_t *t)
{
	const char *s = str_of(obj, key);

	return s != NULL && report_c20_parse_time(s, t) == 0;
}

/*
 * A cleaned copy of s: at most max characters (then CUT_MARK), valid UTF-8,
 * control characters other than newline and tab, and bidirectional
 * controls, replaced by spaces. Only
 * the first 4*max bytes of s are ever looked at, so a 10 MB title costs no
 * more than a short one.
 */
static char *clean(const char *s, size_t max)
{
	size_t n = strnlen(s, max * 4 + 1);
	bool cut = n > max * 4;
	char *v = g_utf8_make_valid(s, (gssize)(cut ? max * 4 : n));
	GString *out = g_string_sized_new(strlen(v) + sizeof CUT_MARK);
	size_t chars = 0;

	for (const char *p = v; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (chars == max) {
			cut = true;
			break;
		}
		/* controls, line separators and bidirectional overrides, which
		 * could reorder what a reader sees */
		if ((c < 0x20 && c != '\n' && c != '\t') || (c >= 0x7f && c < 0xa0) ||
		    c == 0x2028 || c == 0x2029 || (c >= 0x202a && c <= 0x202e) ||
		    (c >= 0x2066 && c <= 0x2069))
			g_string_append_c(out, ' ');
		else
			g_string_append_unichar(out, c);
		chars++;
	}
	if (cut)
		g_string_append(out, CUT_MARK);
	g_free(v);
	return g_string_free(out, FALSE);
}

/* ------------------------------------------------------------------ */
/* value labels                                                       */

struct label {
	const char *key, *vi;
};

static const char *lookup(const struct label *t, const char *key)
{
	for (; key != NULL && t->key != NULL; t++)
		if (strcmp(t->key, key) == 0)
			return t->vi;
	return NULL;
}

static const struct label severity_vi[] = {
        {"low", "Thấp"}, {"medium", "Trung bình"}, {"high", "Cao"}, {"critical", "Nghiêm trọng"},
        {NULL, NULL},
};

static const struct label status_vi[] = {
        {"new", "Mới phát hiện, chưa xử lý"},
        {"triage", "Đang phân tích, đánh giá"},
        {"containment", "Đang ngăn chặn"},
        {"eradication", "Đang loại bỏ nguyên nhân"},
        {"recovery", "Đang khôi phục hoạt động"},
        {"closed", "Đã xử lý xong, kết thúc ứng phó"},
        {NULL, NULL},
};

/* category prefixes (vigild's "malware.spyware") */
static const struct label category_vi[] = {
        {"malware", "Tấn công sử dụng mã độc"},
        {"phishing", "Tấn công giả mạo, lừa đảo"},
        {"intrusion", "Tấn công xâm nhập, chiếm quyền điều khiển"},
        {"unauthorized", "Truy cập trái phép"},
        {"dos", "Tấn công từ chối dịch vụ"},
        {"ddos", "Tấn công từ chối dịch vụ"},
        {"defacement", "Tấn công thay đổi giao diện"},
        {"ransomware", "Tấn công mã hóa dữ liệu (mã độc tống tiền)"},
        {"data", "Lộ, lọt, mất dữ liệu"},
        {"spam", "Thư rác, thư quấy rối"},
        {NULL, NULL},
};

static const struct label ioc_type_vi[] = {
        {"sha256", "SHA-256"},
        {"sha1", "SHA-1"},
        {"md5", "MD5"},
        {"email", "Địa chỉ thư điện tử"},
        {"domain", "Tên miền"},
        {"url", "URL"},
        {"ipv4", "Địa chỉ IPv4"},
        {"ipv6", "Địa chỉ IPv6"},
        {"filename", "Tên tệp"},
        {"subject", "Tiêu đề thư"},
        {"message_id", "Message-ID"},
        {NULL, NULL},
};

static const struct label endpoint_state_vi[] = {
        {"at_risk", "Có nguy cơ"},
        {"clean", "Sạch"},
        {"infected", "Bị nhiễm"},
        {NULL, NULL},
};

static const struct label verdict_vi[] = {
        {"malicious", "Độc hại"},
        {"suspicious", "Đáng ngờ"},
        {"clean", "Sạch"},
        {NULL, NULL},
};

static const struct label action_vi[] = {
        {"quarantine", "Cách ly"},
        {"reject", "Từ chối nhận"},
        {"discard", "Hủy bỏ"},
        {"deliver", "Đã chuyển phát"},
        {"tag", "Gắn cảnh báo"},
        {"recall", "Thu hồi"},
        {NULL, NULL},
};

/* "Vietnamese (raw)" for known values, the raw value otherwise */
static char *labelled(const struct label *t, const char *raw, size_t max)
{
	char *c = clean(raw, max);
	const char *vi = lookup(t, raw);
	char *r;

	if (vi == NULL)
		return c;
	r = g_strdup_printf("%s (%s)", vi, c);
	g_free(c);
	return r;
}

static char *category_text(const char *cat)
{
	char prefix[32];
	size_t i;

	for (i = 0; cat[i] && cat[i] != '.' && i + 1 < sizeof prefix; i++)
		prefix[i] = cat[i];
	prefix[i] = '\0';
	const char *vi = lookup(category_vi, prefix);
	char *c = clean(cat, 100);
	char *r = vi != NULL ? g_strdup_printf("%s (%s)", vi, c) : g_strdup(c);

	g_free(c);
	return r;
}

/* ------------------------------------------------------------------ */
/* building                                                           */

struct builder {
	const json_t *inc;
	report_c20_kind kind;
	json_t *sections;
	json_t *items; /* of the current section */
	json_t *missing;
};

static void section(struct builder *b, const char *heading, const char *heading_en)
{
	json_t *s = json_object();

	b->items = json_array();
	json_object_set_new(s, "no", json_integer((json_int_t)json_array_size(b->sections) + 1));
	json_object_set_new(s, "heading", json_string(heading));
	json_object_set_new(s, "heading_en", json_string(heading_en));
	json_object_set_new(s, "items", b->items);
	json_array_append_new(b->sections, s);
}

static void note_missing(struct builder *b, const char *key, const char *label,
                         const char *label_en, enum why why)
{
	json_t *m = json_object();

	json_object_set_new(m, "field", json_string(key));
	json_object_set_new(m, "reason", json_string(why == WRONG_TYPE ? "wrong_type" : "missing"));
	if (why == WRONG_TYPE) {
		json_object_set_new(m, "vi",
		                    json_sprintf("Sai kiểu dữ liệu: %s (trường %s)", label, key));
		json_object_set_new(m, "en",
		                    json_sprintf("Wrong type: %s (field %s)", label_en, key));
	} else {
		json_object_set_new(m, "vi",
		                    json_sprintf("Thiếu thông tin: %s (trường %s)", label, key));
		json_object_set_new(m, "en", json_sprintf("Missing: %s (field %s)", label_en, key));
	}
	json_array_append_new(b->missing, m);
}

/* a field; takes value (g_malloc'ed, may be NULL). A required field without
 * a value is recorded in b->missing with why. */
static void field_take(struct builder *b, const char *key, const char *label, const char *label_en,
                       bool required, char *value, enum why why)
{
	json_t *f = json_object();

	json_object_set_new(f, "type", json_string("field"));
	json_object_set_new(f, "key", json_string(key));
	json_object_set_new(f, "label", json_string(label));
	json_object_set_new(f, "label_en", json_string(label_en));
	json_object_set_new(f, "required", json_boolean(required));
	json_object_set_new(f, "value", value != NULL ? json_string(value) : json_null());
	json_object_set_new(f, "missing", json_boolean(required && value == NULL));
	json_array_append_new(b->items, f);
	if (required && value == NULL)
		note_missing(b, key, label, label_en, why == FOUND ? MISSING : why);
	g_free(value);
}

/* a field read from a string of obj (obj_key names obj in the field key) */
static void field_str(struct builder *b, const json_t *obj, enum why obj_why, const char *obj_key,
                      const char *key, const char *label, const char *label_en, bool required,
                      size_t max)
{
	enum why why = obj_why;
	const char *s = obj != NULL ? get_str(obj, key, &why) : NULL;
	char *path = obj_key != NULL ? g_strdup_printf("%s.%s", obj_key, key) : g_strdup(key);

	field_take(b, path, label, label_en, required, s != NULL ? clean(s, max) : NULL, why);
	g_free(path);
}

static void text(struct builder *b, const char *t, const char *style)
{
	json_t *x = json_object();

	json_object_set_new(x, "type", json_string("text"));
	json_object_set_new(x, "text", json_string(t));
	json_object_set_new(x, "style", json_string(style));
	json_array_append_new(b->items, x);
}

struct column {
	const char *label, *label_en;
	double width; /* fraction of the text width (PDF) */
};

static json_t *table_new(struct builder *b, const char *id, const char *caption,
                         const char *caption_en, const struct column *cols, size_t ncols)
{
	json_t *t = json_object(), *c = json_array();

	for (size_t i = 0; i < ncols; i++) {
		json_t *col = json_object();

		json_object_set_new(col, "label", json_string(cols[i].label));
		json_object_set_new(col, "label_en", json_string(cols[i].label_en));
		json_object_set_new(col, "width", json_real(cols[i].width));
		json_array_append_new(c, col);
	}
	json_object_set_new(t, "type", json_string("table"));
	json_object_set_new(t, "id", json_string(id));
	json_object_set_new(t, "caption", json_string(caption));
	json_object_set_new(t, "caption_en", json_string(caption_en));
	json_object_set_new(t, "columns", c);
	json_object_set_new(t, "rows", json_array());
	json_array_append_new(b->items, t);
	return t;
}

/* closes a table: the totals and the "and N more" line (what, what_en:
 * plural nouns) */
static void table_end(json_t *t, size_t total, const char *what, const char *what_en)
{
	size_t shown = json_array_size(json_object_get(t, "rows"));

	json_object_set_new(t, "total", json_integer((json_int_t)total));
	json_object_set_new(t, "shown", json_integer((json_int_t)shown));
	if (total > shown)
		json_object_set_new(t, "more",
		                    json_sprintf("… và %zu %s khác không liệt kê ở đây (giới hạn "
		                                 "%zu dòng) / … and %zu more %s not listed here "
		                                 "(limit %zu rows)",
		                                 total - shown, what, shown, total - shown, what_en,
		                                 shown));
	else
		json_object_set_new(t, "more", json_null());
}

/* a cell: cleaned string of obj[key] (any scalar), "" otherwise */
static json_t *cell(const json_t *obj, const char *key, size_t max)
{
	const char *s = str_of(obj, key);
	char *c = s != NULL ? clean(s, max) : g_strdup("");
	json_t *j = json_string(c);

	g_free(c);
	return j;
}

static json_t *cell_label(const json_t *obj, const char *key, const struct label *t)
{
	const char *s = str_of(obj, key);
	char *c = s != NULL ? labelled(t, s, 60) : g_strdup("");
	json_t *j = json_string(c);

	g_free(c);
	return j;
}

/* the Vietnamese name of a known value, else the value */
static json_t *cell_known(const json_t *obj, const char *key, const struct label *t)
{
	const char *s = str_of(obj, key);
	const char *vi = lookup(t, s);
	char *c = vi != NULL ? g_strdup(vi) : clean(s != NULL ? s : "", 60);
	json_t *j = json_string(c);

	g_free(c);
	return j;
}

static json_t *cell_time(const json_t *obj, const char *key)
{
	int64_t t;
	const char *s = str_of(obj, key);
	char *c;
	json_t *j;

	if (s == NULL)
		return json_string("");
	c = report_c20_parse_time(s, &t) == 0 ? local_datetime(t) : clean(s, 40);
	j = json_string(c);
	g_free(c);
	return j;
}

static json_t *cell_take(char *s)
{
	json_t *j = json_string(s);

	g_free(s);
	return j;
}

static void row_append(json_t *t, json_t *row)
{
	json_array_append_new(json_object_get(t, "rows"), row);
}

static const json_t *array_of(const json_t *inc, const char *key)
{
	const json_t *a = json_object_get(inc, key);

	return json_is_array(a) ? a : NULL;
}

/* --- the parts of the forms --- */

static const char *header_org(const json_t *rep)
{
	const char *s = str_of(rep, "organisation");

	return s != NULL ? s : "Bảo hiểm xã hội Việt Nam";
}

static void part_reporter(struct builder *b, bool contact)
{
	enum why w;
	const json_t *rep = get_obj(b->inc, "reporter", &w);

	section(b, "THÔNG TIN VỀ TỔ CHỨC/CÁ NHÂN BÁO CÁO SỰ CỐ",
	        "Organisation or person reporting the incident");
	field_str(b, rep, w, "reporter", "organisation", "Tên tổ chức/cá nhân báo cáo sự cố",
	          "Name of the reporting organisation or person", true, REPORT_C20_MAX_SHORT);
	field_str(b, rep, w, "reporter", "address", "Địa chỉ", "Address", true,
	          REPORT_C20_MAX_SHORT);
	field_str(b, rep, w, "reporter", "phone", "Điện thoại", "Phone", true,
	          REPORT_C20_MAX_SHORT);
	field_str(b, rep, w, "reporter", "email", "Email", "Email", true, REPORT_C20_MAX_SHORT);
	if (!contact)
		return;
	section(b, "NGƯỜI LIÊN HỆ", "Contact person");
	field_str(b, rep, w, "reporter", "name", "Họ và tên", "Full name", true,
	          REPORT_C20_MAX_SHORT);
	field_str(b, rep, w, "reporter", "title", "Chức vụ", "Position", false,
	          REPORT_C20_MAX_SHORT);
	/* the form asks the contact's phone and email again; vigild keeps one
	 * reporter, whose are both */
	field_str(b, rep, w, "reporter", "phone", "Điện thoại", "Phone", false,
	          REPORT_C20_MAX_SHORT);
	field_str(b, rep, w, "reporter", "email", "Email", "Email", false, REPORT_C20_MAX_SHORT);
}

/* systems: strings (ids) or objects {"id", "name", "level"} */
static char *systems_text(const json_t *inc, char **level_out)
{
	const json_t *a = array_of(inc, "systems");
	GString *s = g_string_new(NULL), *lv = g_string_new(NULL);
	size_t i, shown = 0;
	const json_t *v;

	json_array_foreach(a, i, v)
	{
		const char *name = NULL, *id = NULL;
		const json_t *level = NULL;

		if (shown == REPORT_C20_MAX_ROWS)
			break;
		if (json_is_string(v)) {
			id = json_string_value(v);
		} else if (json_is_object(v)) {
			name = str_of(v, "name");
			id = str_of(v, "id");
			level = json_object_get(v, "level");
		}
		if (name == NULL && id == NULL)
			continue;
		char *c = clean(name != NULL ? name : id, REPORT_C20_MAX_SHORT);
		g_string_append_printf(s, "%s%s", shown ? "; " : "", c);
		if (json_is_integer(level) && json_integer_value(level) >= 1 &&
		    json_integer_value(level) <= 5)
			g_string_append_printf(lv, "%s%s: cấp độ %d", lv->len ? "; " : "", c,
			                       (int)json_integer_value(level));
		g_free(c);
		shown++;
	}
	if (a != NULL && json_array_size(a) > shown && shown == REPORT_C20_MAX_ROWS)
		g_string_append_printf(s, "; … và %zu hệ thống khác / and %zu more",
		                       json_array_size(a) - shown, json_array_size(a) - shown);
	*level_out = lv->len ? g_string_free(lv, FALSE) : (g_string_free(lv, TRUE), NULL);
	return s->len ? g_string_free(s, FALSE) : (g_string_free(s, TRUE), NULL);
}

static void part_system(struct builder *b, bool details)
{
	enum why w;
	const json_t *rep = get_obj(b->inc, "reporter", &w);
	char *level = NULL;
	char *systems = systems_text(b->inc, &level);
	const char *owner = str_of(rep, "organisation");

	section(b,
	        details ? "THÔNG TIN CHI TIẾT VỀ HỆ THỐNG BỊ SỰ CỐ"
	                : "THÔNG TIN VỀ HỆ THỐNG BỊ SỰ CỐ",
	        "The information system affected");
	field_str(b, rep, w, "reporter", "unit", "Tên đơn vị vận hành hệ thống thông tin",
	          "Unit operating the information system", true, REPORT_C20_MAX_SHORT);
	field_take(b, "reporter.organisation", "Cơ quan chủ quản",
	           "Owner agency of the information system", false,
	           owner != NULL ? clean(owner, REPORT_C20_MAX_SHORT) : NULL, FOUND);
	field_take(b, "systems", "Tên hệ thống bị sự cố", "Name of the affected system", false,
	           systems, FOUND);
	if (b->kind == REPORT_C20_NOTIFICATION) {
		g_free(level);
		return;
	}
	field_take(b, "systems[].level", "Phân loại cấp độ của hệ thống thông tin (nếu có)",
	           "Security level of the information system, if classified", false, level, FOUND);
	if (b->kind == REPORT_C20_INITIAL) {
		const json_t *ext = json_object_get(b->inc, "providers");

		field_str(b, json_is_object(ext) ? ext : NULL, FOUND, "providers", "security",
		          "Tổ chức cung cấp dịch vụ an toàn thông tin (nếu có)",
		          "Security service provider (if any)", false, REPORT_C20_MAX_SHORT);
		field_str(b, json_is_object(ext) ? ext : NULL, FOUND, "providers", "connectivity",
		          "Tên nhà cung cấp dịch vụ kết nối bên ngoài (nếu có)",
		          "External connectivity provider (if any)", false, REPORT_C20_MAX_SHORT);
	}
}

static void table_units(struct builder *b)
{
	static const struct column cols[] = {
	        {"STT", "No.", 0.10},
	        {"Đơn vị", "Unit", 0.60},
	        {"Mã đơn vị", "Unit id", 0.15},
	        {"Vùng", "Region", 0.15},
	};
	const json_t *a = array_of(b->inc, "units"), *v;
	size_t i;
	json_t *t;

	if (a == NULL || json_array_size(a) == 0)
		return;
	t = table_new(b, "units", "Các đơn vị bị ảnh hưởng", "Units affected", cols, 4);
	json_array_foreach(a, i, v)
	{
		if (i == REPORT_C20_MAX_ROWS)
			break;
		row_append(t, json_pack("[o o o o]", json_sprintf("%zu", i + 1),
		                        cell(v, str_of(v, "name") ? "name" : "id",
		                             REPORT_C20_MAX_CELL),
		                        cell(v, "id", 60), cell(v, "region", 60)));
	}
	table_end(t, json_array_size(a), "đơn vị", "units");
}

static void part_description(struct builder *b)
{
	enum why w;
	const char *summary = get_str(b->inc, "summary", &w);
	const char *title = str_of(b->inc, "title"), *id = str_of(b->inc, "id");
	const char *sev = str_of(b->inc, "severity"), *cat = str_of(b->inc, "category");

	if (b->kind == REPORT_C20_FINAL)
		section(b, "TÊN/MÔ TẢ VỀ SỰ CỐ", "Name and description of the incident");
	else
		section(b, "MÔ TẢ SƠ BỘ VỀ SỰ CỐ", "Short description of the incident");
	field_take(b, "id", "Mã sự cố", "Incident id", false, id ? clean(id, 100) : NULL, FOUND);
	field_take(b, "title", "Tên sự cố", "Incident name", false,
	           title ? clean(title, REPORT_C20_MAX_TITLE) : NULL, FOUND);
	field_take(b, "category", "Loại sự cố", "Incident category", false,
	           cat ? category_text(cat) : NULL, FOUND);
	field_take(b, "severity", "Mức độ nghiêm trọng", "Severity", false,
	           sev ? labelled(severity_vi, sev, 40) : NULL, FOUND);
	field_take(b, "summary", "Mô tả sơ bộ về sự cố", "Short description of the incident",
	           b->kind != REPORT_C20_FINAL,
	           summary ? clean(summary, REPORT_C20_MAX_TEXT) : NULL, w);
	table_units(b);
}

static void part_detection(struct builder *b)
{
	enum why w;
	const char *s = get_str(b->inc, "detected_at", &w);
	int64_t t;
	char *date = NULL, *time = NULL;

	if (s != NULL && report_c20_parse_time(s, &t) == 0) {
		struct local_tm l = local_time(t);

		date = g_strdup_printf("%02d/%02d/%04d", l.d, l.m, l.y);
		time = g_strdup_printf("%02d giờ %02d phút (UTC+7)", l.hh, l.mm);
	} else if (s != NULL) {
		w = WRONG_TYPE; /* a string, but not a time */
	}
	section(b, "THỜI ĐIỂM PHÁT HIỆN SỰ CỐ", "When the incident was detected");
	field_take(b, "detected_at", "Ngày phát hiện sự cố (dd/mm/yyyy)", "Date of detection", true,
	           date, w);
	/* one missing entry for the one field that feeds both lines */
	json_t *f = json_object();
	json_object_set_new(f, "type", json_string("field"));
	json_object_set_new(f, "key", json_string("detected_at"));
	json_object_set_new(f, "label", json_string("Thời gian phát hiện"));
	json_object_set_new(f, "label_en", json_string("Time of detection"));
	json_object_set_new(f, "required", json_true());
	json_object_set_new(f, "value", time ? json_string(time) : json_null());
	json_object_set_new(f, "missing", json_boolean(time == NULL));
	json_array_append_new(b->items, f);
	g_free(time);
}

static void part_status(struct builder *b)
{
	enum why w;
	const char *s = get_str(b->inc, "status", &w);

	section(b, "HIỆN TRẠNG SỰ CỐ", "Current state of the incident");
	field_take(b, "status", "Hiện trạng sự cố", "Current state", true,
	           s ? labelled(status_vi, s, 40) : NULL, w);
}

static void part_method(struct builder *b)
{
	const char *d = str_of(b->inc, "detection");
	const json_t *msgs = array_of(b->inc, "messages");
	char *v;

	section(b, "CÁCH THỨC PHÁT HIỆN", "How the incident was detected");
	if (d != NULL)
		v = clean(d, REPORT_C20_MAX_SHORT);
	else if (msgs != NULL && json_array_size(msgs) > 0)
		v = g_strdup_printf("Hệ thống giám sát, lọc thư điện tử (vigil) phát hiện %zu thư "
		                    "độc hại/đáng ngờ",
		                    json_array_size(msgs));
	else
		v = g_strdup("Hệ thống giám sát, lọc thư điện tử (vigil)");
	field_take(b, "detection", "Cách thức phát hiện", "Detection method", true, v, FOUND);
}

static void part_sent_to(struct builder *b)
{
	const json_t *n = filing(b->inc, "notification");
	const json_t *to = json_object_get(n, "sent_to"), *v;
	GString *s = g_string_new(NULL);
	size_t i;
	int64_t t;
	enum why w = MISSING;

	section(b, "ĐÃ GỬI THÔNG BÁO SỰ CỐ CHO", "Incident notification already sent to");
	if (to != NULL && !json_is_array(to))
		w = WRONG_TYPE;
	json_array_foreach(to, i, v)
	{
		if (i == 20 || !json_is_string(v) || blank(json_string_value(v)))
			continue;
		char *c = clean(json_string_value(v), REPORT_C20_MAX_SHORT);
		g_string_append_printf(s, "%s%s", s->len ? "; " : "", c);
		g_free(c);
	}
	if (s->len == 0 && get_time(n, "filed_at", &t))
		/* filed without saying to whom: to those Art. 9(2) names */
		g_string_append(s,
		                "Chủ quản hệ thống thông tin; Cơ quan điều phối quốc gia; Đơn vị "
		                "chuyên trách về ứng cứu sự cố");
	if (s->len && get_time(n, "filed_at", &t)) {
		char *l = local_datetime(t);

		g_string_append_printf(s, " (lúc %s)", l);
		g_free(l);
	}
	field_take(b, "reports.notification.sent_to", "Đã gửi thông báo sự cố cho",
	           "Notification sent to", true,
	           s->len ? g_string_free(s, FALSE) : (g_string_free(s, TRUE), NULL), w);
}

static void table_indicators(struct builder *b, const char *caption, const char *caption_en)
{
	static const struct column cols[] = {
	        {"STT", "No.", 0.07},           {"Loại", "Type", 0.15}, {"Giá trị", "Value", 0.41},
	        {"Mô tả", "Description", 0.22}, {"TLP", "TLP", 0.15},
	};
	const json_t *a = array_of(b->inc, "indicators"), *v;
	size_t i, total = a ? json_array_size(a) : 0;
	json_t *t;

	if (total == 0) {
		text(b, "Chưa có dấu hiệu nhận biết (IoC) nào được xác định. / No indicators yet.",
		     "note");
		return;
	}
	t = table_new(b, "indicators", caption, caption_en, cols, 5);
	json_array_foreach(a, i, v)
	{
		if (i == REPORT_C20_MAX_INDICATORS)
			break;
		row_append(t, json_pack("[o o o o o]", json_sprintf("%zu", i + 1),
		                        cell_known(v, "type", ioc_type_vi),
		                        cell(v, "value", REPORT_C20_MAX_CELL),
		                        cell(v, "description", REPORT_C20_MAX_CELL),
		                        cell(v, "tlp", 40)));
	}
	table_end(t, total, "dấu hiệu", "indicators");
}

static void table_messages(struct builder *b)
{
	static const struct column cols[] = {
	        {"STT", "No.", 0.07},
	        {"Thời điểm nhận", "Received", 0.16},
	        {"Người gửi", "From", 0.22},
	        {"Tiêu đề", "Subject", 0.25},
	        {"Số người nhận", "Recipients", 0.10},
	        {"Kết luận / Xử lý", "Verdict / action", 0.20},
	};
	const json_t *a = array_of(b->inc, "messages"), *v;
	size_t i;
	json_t *t;

	if (a == NULL || json_array_size(a) == 0)
		return;
	t = table_new(b, "messages", "Các thư điện tử liên quan", "Messages involved", cols, 6);
	json_array_foreach(a, i, v)
	{
		const json_t *r = json_object_get(v, "recipients");
		const char *verdict = str_of(v, "verdict"), *action = str_of(v, "action");
		const char *vv = lookup(verdict_vi, verdict), *av = lookup(action_vi, action);
		char *raw, *va;

		if (i == REPORT_C20_MAX_ROWS)
			break;
		/* known values in Vietnamese, unknown ones as they are */
		raw = g_strdup_printf("%s%s%s",
		                      vv        ? vv
		                      : verdict ? verdict
		                                : "",
		                      verdict && action ? " / " : "",
		                      av       ? av
		                      : action ? action
		                               : "");
		va = clean(raw, 80);
		g_free(raw);
		row_append(t,
		           json_pack("[o o o o o o]", json_sprintf("%zu", i + 1),
		                     cell_time(v, "received_at"),
		                     cell(v, "from", REPORT_C20_MAX_CELL),
		                     cell(v, "subject", REPORT_C20_MAX_CELL),
		                     json_sprintf("%zu", json_is_array(r) ? json_array_size(r) : 0),
		                     cell_take(va)));
	}
	table_end(t, json_array_size(a), "thư", "messages");
}

static void table_endpoints(struct builder *b)
{
	static const struct column cols[] = {
	        {"STT", "No.", 0.08},       {"Máy trạm", "Host", 0.26},
	        {"Đơn vị", "Unit", 0.18},   {"Hệ điều hành", "OS", 0.18},
	        {"Địa chỉ IP", "IP", 0.14}, {"Trạng thái", "State", 0.16},
	};
	const json_t *a = array_of(b->inc, "endpoints"), *v;
	size_t i;
	json_t *t;

	if (a == NULL || json_array_size(a) == 0)
		return;
	t = table_new(b, "endpoints", "Các máy trạm bị ảnh hưởng", "Endpoints affected", cols, 6);
	json_array_foreach(a, i, v)
	{
		if (i == REPORT_C20_MAX_ROWS)
			break;
		row_append(t, json_pack("[o o o o o o]", json_sprintf("%zu", i + 1),
		                        cell(v, "host", REPORT_C20_MAX_CELL), cell(v, "unit", 100),
		                        cell(v, "os", 100), cell(v, "ip", 60),
		                        cell_label(v, "state", endpoint_state_vi)));
	}
	table_end(t, json_array_size(a), "máy trạm", "endpoints");
}

/* distinct endpoint operating systems, for "Hệ điều hành" */
static char *os_text(const json_t *inc)
{
	const json_t *a = array_of(inc, "endpoints"), *v;
	GPtrArray *seen = g_ptr_array_new();
	GString *s = g_string_new(NULL);
	size_t i;

	json_array_foreach(a, i, v)
	{
		const char *os = str_of(v, "os");
		bool dup = false;

		if (i == REPORT_C20_MAX_ROWS || seen->len == 10)
			break;
		if (os == NULL)
			continue;
		for (guint k = 0; k < seen->len && !dup; k++)
			dup = strcmp(g_ptr_array_index(seen, k), os) == 0;
		if (dup)
			continue;
		g_ptr_array_add(seen, (gpointer)os);
		char *c = clean(os, 100);
		g_string_append_printf(s, "%s%s", s->len ? "; " : "", c);
		g_free(c);
	}
	g_ptr_array_free(seen, TRUE);
	return s->len ? g_string_free(s, FALSE) : (g_string_free(s, TRUE), NULL);
}

/* "Có (TLP:AMBER)": anything but TLP:CLEAR is to be kept confidential */
static char *tlp_text(const char *tlp)
{
	char *c = clean(tlp, 40);
	char *r = g_strdup_printf("%s (%s)", strcmp(tlp, "TLP:CLEAR") == 0 ? "Không" : "Có", c);

	g_free(c);
	return r;
}

static void part_more_info(struct builder *b)
{
	const char *tlp = str_of(b->inc, "tlp");
	const json_t *sys = json_object_get(b->inc, "system_info");

	if (!json_is_object(sys))
		sys = NULL;
	section(b, "THÔNG TIN BỔ SUNG VỀ HỆ THỐNG XẢY RA SỰ CỐ",
	        "More about the system where the incident happened");
	field_take(b, "endpoints[].os", "Hệ điều hành", "Operating system", false, os_text(b->inc),
	           FOUND);
	field_str(b, sys, FOUND, "system_info", "services", "Các dịch vụ có trên hệ thống",
	          "Services on the system", false, REPORT_C20_MAX_SHORT);
	field_str(b, sys, FOUND, "system_info", "measures",
	          "Các biện pháp an toàn thông tin đã triển khai", "Security measures in place",
	          false, REPORT_C20_MAX_SHORT);
	field_str(b, sys, FOUND, "system_info", "ips",
	          "Các địa chỉ IP của hệ thống (địa chỉ trên Internet)",
	          "Internet addresses of the system", false, REPORT_C20_MAX_SHORT);
	field_str(b, sys, FOUND, "system_info", "domains", "Các tên miền của hệ thống",
	          "Domain names of the system", false, REPORT_C20_MAX_SHORT);
	field_str(b, sys, FOUND, "system_info", "purpose", "Mục đích chính sử dụng hệ thống",
	          "Main purpose of the system", false, REPORT_C20_MAX_SHORT);
	text(b, "Thông tin gửi kèm: / Attached information:", "subheading");
	table_endpoints(b);
	table_messages(b);
	table_indicators(b, "Danh sách dấu hiệu nhận biết (IoC)", "Indicators of compromise");
	field_take(b, "tlp",
	           "Các thông tin cung cấp trong thông báo sự cố này đều phải được giữ bí mật",
	           "The information in this notification must be kept confidential", false,
	           tlp != NULL ? tlp_text(tlp) : NULL, FOUND);
}

static void part_support(struct builder *b)
{
	const char *s = str_of(b->inc, "support_request");

	section(b, "KIẾN NGHỊ, ĐỀ XUẤT HỖ TRỢ", "Requests and proposals for support");
	field_take(b, "support_request", "Mô tả về đề xuất, kiến nghị",
	           "Requests for response support (if any)", false,
	           s ? clean(s, REPORT_C20_MAX_TEXT) : NULL, FOUND);
}

static void part_report_time(struct builder *b, int64_t now)
{
	struct local_tm l = local_time(now);

	section(b, "THỜI GIAN THỰC HIỆN BÁO CÁO SỰ CỐ", "Time of this report");
	field_take(b, "now", "Thời gian thực hiện báo cáo (ngày/tháng/năm/giờ/phút)",
	           "Time of the report (local)", true,
	           g_strdup_printf("%02d/%02d/%04d/%02d/%02d", l.d, l.m, l.y, l.hh, l.mm), FOUND);
}

static void part_initial_ref(struct builder *b)
{
	const json_t *r = filing(b->inc, "initial");
	const char *num = str_of(r, "number");
	int64_t t;
	char *date = NULL;

	if (get_time(r, "filed_at", &t)) {
		struct local_tm l = local_time(t);

		date = g_strdup_printf("%02d/%02d/%04d", l.d, l.m, l.y);
	}
	section(b, "KÝ HIỆU BÁO CÁO BAN ĐẦU SỰ CỐ", "Reference of the initial report");
	field_take(b, "reports.initial.number", "Số ký hiệu", "Reference number", false,
	           num ? clean(num, 100) : NULL, FOUND);
	field_take(b, "reports.initial.filed_at", "Ngày báo cáo", "Date of the initial report",
	           false, date, FOUND);
}

static void table_tasks(struct builder *b)
{
	static const struct column cols[] = {
	        {"STT", "No.", 0.08},
	        {"Công việc", "Task", 0.44},
	        {"Người thực hiện", "Assignee", 0.20},
	        {"Đơn vị", "Unit", 0.14},
	        {"Kết quả", "Done", 0.14},
	};
	const json_t *a = array_of(b->inc, "tasks"), *v;
	size_t i;
	json_t *t;

	if (a == NULL || json_array_size(a) == 0)
		return;
	t = table_new(b, "tasks", "Các công việc ứng phó đã thực hiện", "Response tasks", cols, 5);
	json_array_foreach(a, i, v)
	{
		if (i == REPORT_C20_MAX_ROWS)
			break;
		row_append(t, json_pack("[o o o o s]", json_sprintf("%zu", i + 1),
		                        cell(v, "title", REPORT_C20_MAX_CELL),
		                        cell(v, "assignee", 100), cell(v, "unit", 100),
		                        json_is_true(json_object_get(v, "done")) ? "Đã xong"
		                                                                 : "Chưa xong"));
	}
	table_end(t, json_array_size(a), "công việc", "tasks");
}

static void table_timeline(struct builder *b)
{
	static const struct column cols[] = {
	        {"STT", "No.", 0.07},
	        {"Thời điểm", "At", 0.17},
	        {"Người thực hiện", "Who", 0.18},
	        {"Loại", "Kind", 0.12},
	        {"Nội dung", "Text", 0.46},
	};
	const json_t *a = array_of(b->inc, "timeline"), *v;
	size_t i;
	json_t *t;

	if (a == NULL || json_array_size(a) == 0)
		return;
	t = table_new(b, "timeline", "Diễn biến xử lý sự cố", "Response timeline", cols, 5);
	json_array_foreach(a, i, v)
	{
		if (i == REPORT_C20_MAX_ROWS)
			break;
		row_append(t, json_pack("[o o o o o]", json_sprintf("%zu", i + 1),
		                        cell_time(v, "at"), cell(v, "who", 100),
		                        cell(v, "kind", 40), cell(v, "text", REPORT_C20_MAX_CELL)));
	}
	table_end(t, json_array_size(a), "sự kiện", "events");
}

static void part_result(struct builder *b)
{
	enum why w;
	const char *closed = get_str(b->inc, "closed_at", &w);
	const char *contained = str_of(b->inc, "contained_at");
	const char *res = str_of(b->inc, "resolution");
	int64_t t;

	section(b, "KẾT QUẢ XỬ LÝ SỰ CỐ", "Outcome of the response");
	field_take(b, "contained_at", "Thời điểm ngăn chặn được sự cố", "Contained at", false,
	           contained && report_c20_parse_time(contained, &t) == 0 ? local_datetime(t)
	                                                                  : NULL,
	           FOUND);
	if (closed != NULL && report_c20_parse_time(closed, &t) != 0) {
		closed = NULL;
		w = WRONG_TYPE;
	}
	field_take(b, "closed_at", "Thời điểm kết thúc ứng phó sự cố",
	           "End of the incident response", true, closed ? local_datetime(t) : NULL, w);
	field_take(b, "resolution",
	           "Tóm tắt những gì đã xảy ra, cách thức giải quyết và đề xuất giải pháp phòng "
	           "ngừa sự cố tương tự",
	           "What happened, how it was resolved, and how to prevent it", false,
	           res ? clean(res, REPORT_C20_MAX_TEXT) : NULL, FOUND);
	table_tasks(b);
	table_endpoints(b);
	table_timeline(b);
}

static void part_attachments(struct builder *b)
{
	const json_t *a = array_of(b->inc, "attachments"), *v;
	GString *s = g_string_new(NULL);
	size_t i;

	section(b, "CÁC TÀI LIỆU ĐÍNH KÈM", "Documents attached");
	json_array_foreach(a, i, v)
	{
		if (i == 50)
			break;
		if (!json_is_string(v) || blank(json_string_value(v)))
			continue;
		char *c = clean(json_string_value(v), REPORT_C20_MAX_SHORT);
		g_string_append_printf(s, "%s- %s", s->len ? "\n" : "", c);
		g_free(c);
	}
	field_take(b, "attachments",
	           "Liệt kê các tài liệu liên quan (báo cáo diễn biến sự cố, "
	           "phương án xử lý, log file…)",
	           "Related documents (progress reports, response plan, logs…)", false,
	           s->len ? g_string_free(s, FALSE) : (g_string_free(s, TRUE), NULL), FOUND);
	table_indicators(b, "Danh sách dấu hiệu nhận biết (IoC) của sự cố",
	                 "Indicators of compromise of the incident");
}

/* ------------------------------------------------------------------ */
/* deadlines                                                          */

void report_c20_deadline(const json_t *inc, report_c20_kind kind, int64_t now,
                         struct report_c20_deadline *d)
{
	const json_t *f = filing(inc, report_c20_kind_name(kind));

	memset(d, 0, sizeof *d);
	d->kind = kind;
	d->has_filed = get_time(f, "filed_at", &d->filed);
	d->has_start =
	        get_time(inc, kind == REPORT_C20_FINAL ? "closed_at" : "detected_at", &d->start);
	if (d->has_start) {
		d->has_due = true;
		d->due = d->start + REPORT_C20_PERIOD;
		d->seconds_left = d->due - now;
	}
	if (d->has_filed) {
		d->state = REPORT_C20_FILED;
		d->filed_late = d->has_due && d->filed > d->due;
	} else if (!d->has_start) {
		const json_t *c = json_object_get(inc, "closed_at");

		/* an incident not yet closed waits; a bad closed_at is unknown */
		d->state = kind == REPORT_C20_FINAL && (c == NULL || json_is_null(c))
		                   ? REPORT_C20_WAITING
		                   : REPORT_C20_UNKNOWN;
	} else if (now > d->due) {
		d->state = REPORT_C20_OVERDUE;
	} else if (d->due - now <= REPORT_C20_DUE_SOON_WINDOW) {
		d->state = REPORT_C20_DUE_SOON;
	} else {
		d->state = REPORT_C20_NOT_DUE;
	}
}

static const char *const basis_vi[REPORT_C20__KINDS] = {
        "Thông tư 20/2017/TT-BTTTT, Điều 9 khoản 2: chậm nhất 05 ngày kể từ khi phát hiện sự "
        "cố, đơn vị vận hành hệ thống thông tin phải gửi thông báo sự cố.",
        "Thông tư 20/2017/TT-BTTTT, Điều 9 khoản 2 và Mẫu số 03: báo cáo ban đầu khi sự cố vượt "
        "khả năng xử lý; vigil tính hạn 05 ngày kể từ khi phát hiện, như thông báo sự cố "
        "(Quyết định 05/2017/QĐ-TTg Điều 11 yêu cầu báo cáo ngay khi xác định vượt khả năng).",
        "Thông tư 20/2017/TT-BTTTT, Điều 9 khoản 2 và Mẫu số 04: trong vòng 05 ngày kể từ khi "
        "kết thúc ứng phó sự cố.",
};

static const char *const basis_en[REPORT_C20__KINDS] = {
        "Circular 20/2017/TT-BTTTT, Art. 9(2): the operator notifies the incident at the latest "
        "5 days after detecting it.",
        "Circular 20/2017/TT-BTTTT, Art. 9(2) and Form 03: initial report when the incident "
        "exceeds the operator's capacity; vigil counts 5 days from detection, as for the "
        "notification (Decision 05/2017/QD-TTg Art. 11 asks for it at once in that case).",
        "Circular 20/2017/TT-BTTTT, Art. 9(2) and Form 04: within 5 days of the end of the "
        "incident response.",
};

json_t *report_c20_deadline_json(const struct report_c20_deadline *d)
{
	json_t *j = json_object();
	char *s;

	json_object_set_new(j, "kind", json_string(report_c20_kind_name(d->kind)));
	json_object_set_new(j, "state", json_string(report_c20_state_name(d->state)));
	json_object_set_new(j, "start",
	                    d->has_start ? (s = iso_utc(d->start), json_string(s))
	                                 : (s = NULL, json_null()));
	g_free(s);
	json_object_set_new(j, "due",
	                    d->has_due ? (s = iso_utc(d->due), json_string(s))
	                               : (s = NULL, json_null()));
	g_free(s);
	json_object_set_new(j, "due_local",
	                    d->has_due ? (s = iso_local(d->due), json_string(s))
	                               : (s = NULL, json_null()));
	g_free(s);
	json_object_set_new(j, "filed",
	                    d->has_filed ? (s = iso_utc(d->filed), json_string(s))
	                                 : (s = NULL, json_null()));
	g_free(s);
	json_object_set_new(j, "filed_late", json_boolean(d->filed_late));
	json_object_set_new(j, "seconds_left",
	                    d->has_due ? json_integer((json_int_t)d->seconds_left) : json_null());
	if (d->kind >= 0 && d->kind < REPORT_C20__KINDS) {
		json_object_set_new(j, "basis_vi", json_string(basis_vi[d->kind]));
		json_object_set_new(j, "basis_en", json_string(basis_en[d->kind]));
	}
	return j;
}

/* ------------------------------------------------------------------ */
/* the report                                                         */

static const struct form {
	const char *id, *number, *title, *title_en, *doc_code;
} forms[REPORT_C20__KINDS] = {
        {"tbsc", "Thông báo sự cố (Thông tư 20/2017/TT-BTTTT, Điều 9)",
         "THÔNG BÁO SỰ CỐ AN TOÀN THÔNG TIN MẠNG", "Incident notification", "TB"},
        {"mau-03", "Mẫu số 03 (ban hành kèm theo Thông tư 20/2017/TT-BTTTT)",
         "BÁO CÁO BAN ĐẦU SỰ CỐ MẠNG", "Initial incident report", "BC"},
        {"mau-04", "Mẫu số 04 (ban hành kèm theo Thông tư 20/2017/TT-BTTTT)",
         "BÁO CÁO KẾT THÚC ỨNG PHÓ SỰ CỐ", "Final incident report", "BC"},
};

static json_t *header(const json_t *inc, report_c20_kind kind, int64_t now)
{
	const json_t *rep = json_object_get(inc, "reporter");
	const json_t *f = filing(inc, report_c20_kind_name(kind));
	const char *unit = str_of(rep, "unit"), *place = str_of(rep, "city");
	const char *num = str_of(f, "number");
	const json_t *rec = json_object_get(json_object_get(inc, "reports"), "recipients"), *v;
	struct local_tm l = local_time(now);
	json_t *h = json_object(), *to = json_array();
	char *c, *up;
	size_t i;

	c = clean(header_org(rep), REPORT_C20_MAX_SHORT);
	up = g_utf8_strup(c, -1);
	json_object_set_new(h, "organisation", json_string(up));
	g_free(c);
	g_free(up);
	c = clean(unit != NULL ? unit : "Trung tâm Công nghệ thông tin", REPORT_C20_MAX_SHORT);
	up = g_utf8_strup(c, -1);
	json_object_set_new(h, "unit", json_string(up));
	g_free(c);
	g_free(up);
	c = num != NULL ? clean(num, 100) : NULL;
	json_object_set_new(h, "number",
	                    c != NULL ? json_sprintf("Số: %s", c)
	                              : json_sprintf("Số: ……/%s-CNTT", forms[kind].doc_code));
	g_free(c);
	json_object_set_new(h, "nation", json_string("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"));
	json_object_set_new(h, "motto", json_string("Độc lập - Tự do - Hạnh phúc"));
	c = clean(place != NULL ? place : "Hà Nội", 100);
	json_object_set_new(h, "place_date",
	                    json_sprintf("%s, ngày %02d tháng %02d năm %04d", c, l.d, l.m, l.y));
	g_free(c);
	json_array_foreach(rec, i, v)
	{
		if (i == 10)
			break;
		if (json_is_string(v) && !blank(json_string_value(v))) {
			c = clean(json_string_value(v), REPORT_C20_MAX_SHORT);
			json_array_append_new(to, json_string(c));
			g_free(c);
		}
	}
	if (json_array_size(to) == 0) {
		/* whom Art. 9(2) names: the national coordinator and the owner */
		json_array_append_new(to, json_string("Cơ quan điều phối quốc gia về ứng cứu sự cố "
		                                      "(VNCERT/CC)"));
		c = clean(header_org(rep), REPORT_C20_MAX_SHORT);
		json_array_append_new(to, json_sprintf("%s (chủ quản hệ thống thông tin)", c));
		g_free(c);
	}
	json_object_set_new(h, "recipients", to);
	return h;
}

json_t *report_c20_build(const json_t *inc, report_c20_kind kind, int64_t now)
{
	struct builder b = {.inc = inc, .kind = kind};
	struct report_c20_deadline d;
	json_t *r, *form, *sig, *notes;
	bool drill;
	char *s;
	const json_t *rep;

	if (!json_is_object(inc) || kind < 0 || kind >= REPORT_C20__KINDS)
		return NULL;
	drill = json_is_true(json_object_get(inc, "drill"));
	b.sections = json_array();
	b.missing = json_array();

	part_reporter(&b, kind != REPORT_C20_FINAL);
	if (kind == REPORT_C20_FINAL)
		part_initial_ref(&b);
	part_system(&b, kind != REPORT_C20_NOTIFICATION);
	part_description(&b);
	part_detection(&b);
	switch (kind) {
	case REPORT_C20_NOTIFICATION:
		part_status(&b);
		part_method(&b);
		{
			const json_t *a = array_of(inc, "indicators");
			char *n = g_strdup_printf("%zu", a ? json_array_size(a) : 0);

			field_take(&b, "indicators", "Số dấu hiệu nhận biết (IoC) đã xác định",
			           "Indicators identified so far", false, n, FOUND);
		}
		part_report_time(&b, now);
		break;
	case REPORT_C20_INITIAL:
		part_status(&b);
		part_method(&b);
		part_sent_to(&b);
		part_more_info(&b);
		part_support(&b);
		part_report_time(&b, now);
		break;
	default:
		part_result(&b);
		part_attachments(&b);
		break;
	}

	r = json_object();
	form = json_object();
	json_object_set_new(form, "id", json_string(forms[kind].id));
	json_object_set_new(form, "kind", json_string(report_c20_kind_name(kind)));
	json_object_set_new(form, "number", json_string(forms[kind].number));
	json_object_set_new(form, "source",
	                    json_string("Thông tư 20/2017/TT-BTTTT ngày 12/9/2017 của Bộ Thông tin "
	                                "và Truyền thông quy định về điều phối, ứng cứu sự cố an "
	                                "toàn thông tin mạng trên toàn quốc"));
	json_object_set_new(r, "form", form);
	json_object_set_new(r, "title", json_string(forms[kind].title));
	json_object_set_new(r, "title_en", json_string(forms[kind].title_en));
	json_object_set_new(r, "drill", json_boolean(drill));
	json_object_set_new(r, "marking", drill ? json_string(MARKING) : json_null());
	json_object_set_new(r, "draft", json_boolean(json_array_size(b.missing) > 0));
	json_object_set_new(r, "header", header(inc, kind, now));
	json_object_set_new(r, "sections", b.sections);

	rep = json_object_get(inc, "reporter");
	sig = json_object();
	json_object_set_new(sig, "title", json_string("CÁ NHÂN/NGƯỜI ĐẠI DIỆN THEO PHÁP LUẬT"));
	json_object_set_new(sig, "note", json_string("(Ký tên, đóng dấu)"));
	s = str_of(rep, "name") ? clean(str_of(rep, "name"), REPORT_C20_MAX_SHORT) : NULL;
	json_object_set_new(sig, "name", s ? json_string(s) : json_null());
	g_free(s);
	s = str_of(rep, "title") ? clean(str_of(rep, "title"), REPORT_C20_MAX_SHORT) : NULL;
	json_object_set_new(sig, "position", s ? json_string(s) : json_null());
	g_free(s);
	json_object_set_new(r, "signature", sig);

	notes = json_array();
	json_array_append_new(notes, json_string("Phần (*) là những thông tin bắt buộc. Các phần "
	                                         "còn lại có thể loại bỏ nếu không có thông tin."));
	if (kind != REPORT_C20_FINAL)
		json_array_append_new(notes,
		                      json_string("Sử dụng tiêu đề (subject) bắt đầu bằng "
		                                  "\"[TBSC]\" khi gửi thông báo qua email."));
	if (drill)
		json_array_append_new(notes,
		                      json_string("Báo cáo này thuộc một cuộc DIỄN TẬP, không "
		                                  "phải sự cố thật. / This report belongs to "
		                                  "an EXERCISE, not a real incident."));
	json_object_set_new(r, "notes", notes);

	report_c20_deadline(inc, kind, now, &d);
	json_object_set_new(r, "deadline", report_c20_deadline_json(&d));
	json_object_set_new(r, "missing", b.missing);
	s = iso_local(now);
	json_object_set_new(r, "generated_at", json_string(s));
	g_free(s);
	return r;
}

json_t *report_c20_missing(const json_t *inc, report_c20_kind kind)
{
	json_t *r = report_c20_build(inc, kind, 0);
	json_t *m;

	if (r == NULL)
		return json_array();
	m = json_incref(json_object_get(r, "missing"));
	json_decref(r);
	return m;
}
