/*
 * drill_aar.c - the after-action report of a drill round (drill_aar.h).
 *
 * The report is built in one language (lang) with the other as subtitles
 * of the headings, as the agency's bilingual documents are. Every string
 * taken from the input is a cleaned copy (valid UTF-8, cut to AAR_MAX_TEXT
 * bytes); every list is cut (AAR_MAX_ROWS rows, AAR_MAX_UNITS units) with a
 * row saying how many more there were. Numbers that are missing, negative
 * or not finite are "not measured" and never counted as zero.
 *
 * Ratings follow HSEEP's four levels (P, S, M, U); the thresholds are in
 * drill_aar_rate() and docs/drills.md. An objective whose metric the round
 * did not measure is rated U with the reason "not measured", so a round
 * cannot look better by measuring less.
 */
#include "drill_aar.h"

#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AAR_MAX_TEXT 2000
#define AAR_MAX_ROWS 200
#define AAR_MAX_UNITS 100
#define AAR_MAX_OBJECTIVES 30
#define AAR_MAX_MINUTES 100000 /* report times read for the distribution */
#define MARKING "DIỄN TẬP / EXERCISE"
#define UTC_OFFSET (7 * 3600)

static const struct aar_metric METRICS[] = {
        {"staff.reported_rate", "Tỉ lệ cán bộ báo cáo thư giả mạo", "Staff who reported the email",
         "%", true},
        {"staff.clicked_rate", "Tỉ lệ cán bộ bấm liên kết", "Staff who clicked the link", "%",
         false},
        {"staff.attachment_rate", "Tỉ lệ cán bộ mở tệp đính kèm", "Staff who opened the attachment",
         "%", false},
        {"staff.credentials_rate", "Tỉ lệ cán bộ nhập thông tin đăng nhập",
         "Staff who typed credentials", "%", false},
        {"staff.report_median_min", "Thời gian báo cáo (trung vị)", "Time to report (median)",
         "phút", false},
        {"team.detect_min", "Thời gian phát hiện (trung vị các đơn vị)",
         "Time to detect (median of units)", "phút", false},
        {"team.contain_min", "Thời gian ngăn chặn (trung vị các đơn vị)",
         "Time to contain (median of units)", "phút", false},
        {"team.contained_units_rate", "Tỉ lệ đơn vị ngăn chặn hoàn toàn",
         "Units that fully contained", "%", true},
        {"team.copies_pulled_rate", "Tỉ lệ bản thư được thu hồi", "Copies pulled back", "%", true},
        {"team.plants_found_rate", "Tỉ lệ máy trạm nhiễm được phát hiện", "Planted endpoints found",
         "%", true},
        {"team.reports_on_time_rate", "Tỉ lệ báo cáo đúng hạn", "Reports filed on time", "%", true},
};

const struct aar_metric *drill_aar_metric(const char *id)
{
	for (size_t i = 0; id != NULL && i < G_N_ELEMENTS(METRICS); i++)
		if (strcmp(METRICS[i].id, id) == 0)
			return &METRICS[i];
	return NULL;
}

/* ---- reading the input ---- */

/* a measured number, or -1 */
static double num(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);
	double d;

	if (!json_is_number(v))
		return -1;
	d = json_number_value(v);
	return isfinite(d) && d >= 0 && d < 1e12 ? d : -1;
}

static double cnt(const json_t *o, const char *k)
{
	double d = num(o, k);

	return d < 0 ? 0 : floor(d);
}

/* a cleaned copy of a string member ("" if absent) */
static char *str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	size_t n;
	char *v;
	GString *g;

	if (s == NULL)
		return g_strdup("");
	n = strnlen(s, AAR_MAX_TEXT + 1);
	v = g_utf8_make_valid(s, (gssize)(n > AAR_MAX_TEXT ? AAR_MAX_TEXT : n));
	g = g_string_sized_new(strlen(v) + 8);
	for (const char *c = v; *c; c++)
		if ((unsigned char)*c >= 0x20 || *c == '\n' || *c == '\t')
			g_string_append_c(g, *c);
	g_free(v);
	if (n > AAR_MAX_TEXT)
		g_string_append(g, " …");
	return g_string_free(g, FALSE);
}

static const json_t *units_of(const json_t *in, const char *part)
{
	return json_object_get(json_object_get(in, part), "units");
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* median of the n values (n > 0), sorting them */
static double median(double *v, size_t n)
{
	qsort(v, n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* median over the team units of a minutes member; -1 if no unit has it */
static double team_median(const json_t *in, const char *k)
{
	const json_t *us = units_of(in, "team"), *u;
	double v[AAR_MAX_UNITS];
	size_t n = 0, i;

	json_array_foreach(us, i, u)
	{
		if (i == AAR_MAX_UNITS)
			break;
		if (num(u, k) >= 0)
			v[n++] = num(u, k);
	}
	return n ? median(v, n) : -1;
}

/* the sum of a count over the units of "staff" or "team" */
static double sum_of(const json_t *in, const char *part, const char *k)
{
	const json_t *us = units_of(in, part), *u;
	double s = 0;
	size_t i;

	json_array_foreach(us, i, u)
	{
		s += cnt(u, k);
	}
	return s;
}

static double staff_sum(const json_t *in, const char *k)
{
	return sum_of(in, "staff", k);
}

static double team_sum(const json_t *in, const char *k)
{
	return sum_of(in, "team", k);
}

/* every report time (minutes) of the staff, in a new array; *n its length */
static double *report_minutes(const json_t *in, size_t *n)
{
	const json_t *us = units_of(in, "staff"), *u, *v;
	GArray *a = g_array_new(FALSE, FALSE, sizeof(double));
	size_t i, k;

	json_array_foreach(us, i, u){json_array_foreach(json_object_get(u, "report_minutes"), k, v){
	        double d = json_is_number(v) ? json_number_value(v) : -1;

	if (a->len == AAR_MAX_MINUTES)
		break;
	if (isfinite(d) && d >= 0 && d < 1e9)
		g_array_append_val(a, d);
}
}
*n = a->len;
return (double *)(void *)g_array_free(a, FALSE);
}

int drill_aar_value(const json_t *in, const char *metric, double *out)
{
	double d = staff_sum(in, "delivered"), v;

	if (drill_aar_metric(metric) == NULL)
		return -1;
	if (g_str_has_prefix(metric, "staff.") && strcmp(metric, "staff.report_median_min") != 0) {
		const char *k = strcmp(metric, "staff.reported_rate") == 0     ? "reported"
		                : strcmp(metric, "staff.clicked_rate") == 0    ? "clicked"
		                : strcmp(metric, "staff.attachment_rate") == 0 ? "attachment"
		                                                               : "credentials";

		if (d <= 0)
			return -1;
		*out = 100.0 * staff_sum(in, k) / d;
		return 0;
	}
	if (strcmp(metric, "staff.report_median_min") == 0) {
		size_t n;
		double *m = report_minutes(in, &n);

		v = n ? median(m, n) : -1;
		g_free(m);
	} else if (strcmp(metric, "team.detect_min") == 0) {
		v = team_median(in, "detect_min");
	} else if (strcmp(metric, "team.contain_min") == 0) {
		v = team_median(in, "contain_min");
	} else if (strcmp(metric, "team.contained_units_rate") == 0) {
		const json_t *us = units_of(in, "team"), *u;
		size_t i, n = 0, c = 0;

		json_array_foreach(us, i, u)
		{
			n++;
			c += num(u, "contain_min") >= 0;
		}
		v = n ? 100.0 * (double)c / (double)n : -1;
	} else {
		const char *part = strcmp(metric, "team.copies_pulled_rate") == 0  ? "copies"
		                   : strcmp(metric, "team.plants_found_rate") == 0 ? "plants"
		                                                                   : "reports_due";
		const char *done = strcmp(part, "copies") == 0   ? "copies_pulled"
		                   : strcmp(part, "plants") == 0 ? "plants_found"
		                                                 : "reports_on_time";
		double all = team_sum(in, part);

		v = all > 0 ? 100.0 * team_sum(in, done) / all : -1;
	}
	if (v < 0)
		return -1;
	*out = v;
	return 0;
}

aar_rating drill_aar_rate(double value, double target, bool higher_better)
{
	double r;

	if (!isfinite(value) || !isfinite(target) || value < 0 || target < 0)
		return AAR_U;
	if (higher_better)
		r = target == 0 ? 1 : value / target;
	else
		r = value == 0 ? 1 : target / value;
	return r >= 1 ? AAR_P : r >= 0.75 ? AAR_S : r >= 0.4 ? AAR_M : AAR_U;
}

const char *drill_aar_rating_code(aar_rating r)
{
	static const char *const c[] = {"P", "S", "M", "U"};

	return r <= AAR_U ? c[r] : "U";
}

/* ---- building the document ---- */

struct b {
	bool en;
	json_t *sections, *items;
};

#define T(bb, vi_, en_) ((bb)->en ? (en_) : (vi_))

static void section(struct b *b, const char *vi, const char *en)
{
	json_t *s = json_object();

	b->items = json_array();
	json_object_set_new(s, "heading", json_string(T(b, vi, en)));
	json_object_set_new(s, "heading_en", json_string(T(b, en, vi)));
	json_object_set_new(s, "items", b->items);
	json_array_append_new(b->sections, s);
}

static void field_take(struct b *b, const char *vi, const char *en, char *value)
{
	json_t *f = json_object();

	json_object_set_new(f, "type", json_string("field"));
	json_object_set_new(f, "label", json_string(T(b, vi, en)));
	json_object_set_new(f, "value", json_string(value));
	json_array_append_new(b->items, f);
	g_free(value);
}

static void text(struct b *b, const char *t, bool sub)
{
	json_t *x = json_object();

	json_object_set_new(x, "type", json_string("text"));
	json_object_set_new(x, "text", json_string(t));
	if (sub)
		json_object_set_new(x, "style", json_string("subheading"));
	json_array_append_new(b->items, x);
}

/* a table: columns as "label:width" pairs; rows appended by the caller */
static json_t *table(struct b *b, const char *caption, const char *const *labels,
                     const double *widths, size_t n)
{
	json_t *t = json_object(), *cols = json_array();

	for (size_t i = 0; i < n; i++) {
		json_t *c = json_object();

		json_object_set_new(c, "label", json_string(labels[i]));
		json_object_set_new(c, "width", json_real(widths[i]));
		json_array_append_new(cols, c);
	}
	json_object_set_new(t, "type", json_string("table"));
	json_object_set_new(t, "caption", json_string(caption));
	json_object_set_new(t, "columns", cols);
	json_object_set_new(t, "rows", json_array());
	json_array_append_new(b->items, t);
	return json_object_get(t, "rows");
}

static json_t *chart(struct b *b, const char *caption, const char *unit)
{
	json_t *c = json_object();

	json_object_set_new(c, "type", json_string("chart"));
	json_object_set_new(c, "caption", json_string(caption));
	json_object_set_new(c, "unit", json_string(unit));
	json_object_set_new(c, "labels", json_array());
	json_object_set_new(c, "series", json_array());
	json_array_append_new(b->items, c);
	return c;
}

static json_t *series(json_t *chart, const char *name)
{
	json_t *s = json_object();

	json_object_set_new(s, "name", json_string(name));
	json_object_set_new(s, "values", json_array());
	json_array_append_new(json_object_get(chart, "series"), s);
	return json_object_get(s, "values");
}

static json_t *measured(double v)
{
	return v >= 0 ? json_real(round(v * 10) / 10) : json_null();
}

static char *fmt_num(double v, const char *unit)
{
	if (v < 0)
		return g_strdup("—");
	if (v == floor(v))
		return g_strdup_printf("%.0f%s%s", v, *unit ? " " : "", unit);
	return g_strdup_printf("%.1f%s%s", v, *unit ? " " : "", unit);
}

static char *pct(double part, double all)
{
	return all > 0 ? g_strdup_printf("%.0f (%.1f%%)", part, 100.0 * part / all)
	               : g_strdup_printf("%.0f", part);
}

static void more_row(json_t *rows, size_t more, size_t ncols, bool en)
{
	json_t *r = json_array();

	json_array_append_new(r, json_string("…"));
	json_array_append_new(r, json_sprintf(en ? "and %zu more" : "và %zu dòng khác", more));
	for (size_t i = 2; i < ncols; i++)
		json_array_append_new(r, json_string(""));
	json_array_append_new(rows, r);
}

static char *names_of(const json_t *a, const char *key)
{
	GString *g = g_string_new(NULL);
	const json_t *v;
	size_t i;

	json_array_foreach(a, i, v)
	{
		char *s;

		if (i == AAR_MAX_UNITS) {
			g_string_append_printf(g, ", … (+%zu)", json_array_size(a) - i);
			break;
		}
		if (key != NULL) {
			s = str(v, key);
		} else {
			json_t *w = json_pack("{sO}", "v", v);

			s = str(w, "v");
			json_decref(w);
		}
		if (*s)
			g_string_append_printf(g, "%s%s", g->len ? ", " : "", s);
		g_free(s);
	}
	if (g->len == 0)
		g_string_append(g, "—");
	return g_string_free(g, FALSE);
}

static void part_overview(struct b *b, const json_t *in)
{
	const json_t *r = json_object_get(in, "round");

	section(b, "THÔNG TIN CHUNG", "OVERVIEW");
	field_take(b, "Mã đợt diễn tập", "Round", str(r, "ref"));
	field_take(b, "Chủ đề", "Theme", str(r, "theme"));
	field_take(b, "Khu vực", "Region", str(r, "region"));
	field_take(b, "Kịch bản", "Scenario", str(r, "scenario"));
	field_take(b, "Hình thức", "Kind", str(r, "kind"));
	field_take(b, "Bắt đầu", "Started", str(r, "started"));
	field_take(b, "Kết thúc", "Ended", str(r, "ended"));
	field_take(b, "Đơn vị tham gia", "Participating units",
	           names_of(json_object_get(r, "units"), "name"));
	field_take(b, "Ban điều hành diễn tập", "Controllers",
	           names_of(json_object_get(r, "controllers"), NULL));
	field_take(b, "Đánh giá viên", "Evaluators",
	           names_of(json_object_get(r, "evaluators"), NULL));
}

/* a JSON string from a g_malloc'ed one, freeing it */
static json_t *jtake(char *s)
{
	json_t *j = json_string(s);

	g_free(s);
	return j;
}

/* rates every objective; fills ratings (for the API) */
static void part_objectives(struct b *b, const json_t *in, json_t *ratings)
{
	static const double w[] = {0.05, 0.35, 0.2, 0.13, 0.13, 0.14};
	const char *labels[] = {"#",
	                        T(b, "Mục tiêu", "Objective"),
	                        T(b, "Chỉ số", "Measure"),
	                        T(b, "Kết quả", "Result"),
	                        T(b, "Chỉ tiêu", "Target"),
	                        T(b, "Xếp loại", "Rating")};
	const json_t *objs = json_object_get(in, "objectives"), *o;
	json_t *rows;
	size_t i;

	section(b, "MỤC TIÊU VÀ XẾP LOẠI", "OBJECTIVES AND RATINGS");
	rows = table(b, T(b, "Bảng 1. Kết quả theo mục tiêu", "Table 1. Results by objective"),
	             labels, w, G_N_ELEMENTS(w));
	json_array_foreach(objs, i, o)
	{
		const char *mid = json_string_value(json_object_get(o, "metric"));
		const struct aar_metric *m = drill_aar_metric(mid);
		double v = -1, target = num(o, "target");
		aar_rating r = AAR_U;
		json_t *row = json_array(), *rt = json_object();
		char *t = str(o, b->en ? "text_en" : "text");

		if (i == AAR_MAX_OBJECTIVES) {
			more_row(rows, json_array_size(objs) - i, G_N_ELEMENTS(w), b->en);
			break;
		}
		if (*t == 0) {
			g_free(t);
			t = str(o, "text");
		}
		if (m != NULL && target >= 0 && drill_aar_value(in, m->id, &v) == 0)
			r = drill_aar_rate(v, target, m->higher_better);
		json_array_append_new(row, json_sprintf("%zu", i + 1));
		json_array_append_new(row, json_string(t));
		json_array_append_new(
		        row, json_string(m ? T(b, m->vi, m->en)
		                           : T(b, "(chỉ số không xác định)", "(unknown measure)")));
		json_array_append_new(row,
		                      v >= 0 ? jtake(fmt_num(v, m->unit))
		                             : json_string(T(b, "chưa đo được", "not measured")));
		{
			char *x = fmt_num(target, m ? m->unit : "");

			json_array_append_new(
			        row,
			        m ? jtake(g_strdup_printf("%s %s", m->higher_better ? "≥" : "≤", x))
			          : json_string(x));
			g_free(x);
		}
		json_array_append_new(row, json_string(drill_aar_rating_code(r)));
		json_array_append_new(rows, row);

		json_object_set_new(rt, "id", jtake(str(o, "id")));
		json_object_set_new(rt, "text", json_string(t));
		json_object_set_new(rt, "metric", json_string(m ? m->id : ""));
		json_object_set_new(rt, "value", measured(v));
		json_object_set_new(rt, "target", measured(target));
		json_object_set_new(rt, "rating", json_string(drill_aar_rating_code(r)));
		json_array_append_new(ratings, rt);
		g_free(t);
	}
	text(b,
	     T(b,
	       "Xếp loại: P – hoàn thành, không gặp khó khăn; S – hoàn thành, gặp một số khó "
	       "khăn; M – hoàn thành, gặp nhiều khó khăn; U – không hoàn thành (hoặc chưa đo "
	       "được).",
	       "Ratings: P – performed without challenges; S – performed with some challenges; "
	       "M – performed with major challenges; U – unable to be performed (or not "
	       "measured)."),
	     false);
}

static void part_staff(struct b *b, const json_t *in)
{
	static const char *const keys[] = {"delivered",  "opened",      "clicked",
	                                   "attachment", "credentials", "reported"};
	const char *vi[] = {"Đã nhận thư",
	                    "Đã mở thư",
	                    "Đã bấm liên kết",
	                    "Đã mở tệp đính kèm",
	                    "Đã nhập thông tin đăng nhập",
	                    "Đã báo cáo"};
	const char *en[] = {"Delivered",         "Opened",
	                    "Clicked the link",  "Opened the attachment",
	                    "Typed credentials", "Reported"};
	static const double w[] = {0.22, 0.1, 0.12, 0.12, 0.12, 0.12, 0.1, 0.1};
	const char *labels[] = {T(b, "Đơn vị", "Unit"),      T(b, "Nhận", "Delivered"),
	                        T(b, "Mở", "Opened"),        T(b, "Bấm", "Clicked"),
	                        T(b, "Tệp", "Attachment"),   T(b, "Đăng nhập", "Credentials"),
	                        T(b, "Báo cáo", "Reported"), T(b, "TG báo cáo", "Report time")};
	const json_t *us = units_of(in, "staff"), *u;
	json_t *c, *vals, *rows;
	size_t i, n;
	double *mins;
	static const double edges[] = {5, 15, 30, 60, 240};
	const char *bucket_vi[] = {"≤ 5 phút",   "5–15 phút", "15–30 phút",
	                           "30–60 phút", "1–4 giờ",   "> 4 giờ"};
	const char *bucket_en[] = {"≤ 5 min",   "5–15 min", "15–30 min",
	                           "30–60 min", "1–4 h",    "> 4 h"};
	double counts[6] = {0};

	if (json_array_size(us) == 0)
		return;
	section(b, "DIỄN TẬP NHẬN DIỆN THƯ ĐIỆN TỬ GIẢ MẠO (CÁN BỘ)",
	        "STAFF EXERCISE: RECOGNISING THE SPYWARE EMAIL");
	field_take(b, "Số cán bộ được gửi thư", "Staff targeted",
	           fmt_num(staff_sum(in, "targeted"), ""));
	c = chart(b, T(b, "Hình 1. Phễu hành vi của cán bộ", "Figure 1. What staff did"),
	          T(b, "người", "staff"));
	vals = series(c, T(b, "Số cán bộ", "Staff"));
	for (size_t k = 0; k < G_N_ELEMENTS(keys); k++) {
		json_array_append_new(json_object_get(c, "labels"),
		                      json_string(T(b, vi[k], en[k])));
		json_array_append_new(vals, json_real(staff_sum(in, keys[k])));
	}
	mins = report_minutes(in, &n);
	for (size_t k = 0; k < n; k++) {
		size_t j = 0;

		while (j < G_N_ELEMENTS(edges) && mins[k] > edges[j])
			j++;
		counts[j]++;
	}
	if (n > 0) {
		c = chart(b,
		          T(b, "Hình 2. Thời gian từ khi nhận thư đến khi báo cáo",
		            "Figure 2. Time from delivery to report"),
		          T(b, "người", "staff"));
		vals = series(c, T(b, "Số cán bộ báo cáo", "Staff who reported"));
		for (size_t k = 0; k < G_N_ELEMENTS(counts); k++) {
			json_array_append_new(json_object_get(c, "labels"),
			                      json_string(T(b, bucket_vi[k], bucket_en[k])));
			json_array_append_new(vals, json_real(counts[k]));
		}
	}
	c = chart(b,
	          T(b, "Hình 3. Tỉ lệ báo cáo và bấm liên kết theo đơn vị",
	            "Figure 3. Reported and clicked by unit"),
	          "%");
	{
		json_t *rep = series(c, T(b, "Báo cáo", "Reported")),
		       *clk = series(c, T(b, "Bấm liên kết", "Clicked"));

		json_array_foreach(us, i, u)
		{
			double d = cnt(u, "delivered");

			if (i == 40)
				break;
			json_array_append_new(json_object_get(c, "labels"), jtake(str(u, "name")));
			json_array_append_new(rep, d > 0 ? measured(100 * cnt(u, "reported") / d)
			                                 : json_null());
			json_array_append_new(clk, d > 0 ? measured(100 * cnt(u, "clicked") / d)
			                                 : json_null());
		}
	}
	rows = table(b, T(b, "Bảng 2. Kết quả theo đơn vị", "Table 2. Results by unit"), labels, w,
	             G_N_ELEMENTS(w));
	json_array_foreach(us, i, u)
	{
		json_t *row = json_array();
		double d = cnt(u, "delivered"), m[AAR_MAX_ROWS];
		size_t nm = 0, k;
		const json_t *v;

		if (i == AAR_MAX_ROWS) {
			more_row(rows, json_array_size(us) - i, G_N_ELEMENTS(w), b->en);
			break;
		}
		json_array_append_new(row, jtake(str(u, "name")));
		json_array_append_new(row, jtake(fmt_num(d, "")));
		for (size_t k2 = 1; k2 < G_N_ELEMENTS(keys); k2++)
			json_array_append_new(row, jtake(pct(cnt(u, keys[k2]), d)));
		json_array_foreach(json_object_get(u, "report_minutes"), k, v)
		{
			if (nm == AAR_MAX_ROWS)
				break;
			if (json_is_number(v) && json_number_value(v) >= 0)
				m[nm++] = json_number_value(v);
		}
		json_array_append_new(row,
		                      jtake(fmt_num(nm ? median(m, nm) : -1, T(b, "phút", "min"))));
		json_array_append_new(rows, row);
	}
	g_free(mins);
}

static void part_team(struct b *b, const json_t *in)
{
	static const double w[] = {0.2, 0.1, 0.1, 0.12, 0.13, 0.13, 0.12, 0.1};
	const char *labels[] = {T(b, "Đơn vị", "Unit"),
	                        T(b, "Phát hiện", "Detect"),
	                        T(b, "Mở sự cố", "Open"),
	                        T(b, "Ngăn chặn", "Contain"),
	                        T(b, "Thu hồi thư", "Copies pulled"),
	                        T(b, "Máy nhiễm tìm thấy", "Plants found"),
	                        T(b, "Báo cáo đúng hạn", "Reports on time"),
	                        T(b, "TTCNTT", "IT Centre")};
	const json_t *us = units_of(in, "team"), *u;
	json_t *c, *det, *con, *rows;
	const char *mn = T(b, "phút", "min");
	size_t i;

	if (json_array_size(us) == 0)
		return;
	section(b, "ỨNG CỨU SỰ CỐ CỦA CÁC ĐƠN VỊ", "TEAM EXERCISE: RESPONSE BY UNIT");
	c = chart(b,
	          T(b, "Hình 4. Thời gian phát hiện và ngăn chặn theo đơn vị",
	            "Figure 4. Time to detect and to contain by unit"),
	          mn);
	det = series(c, T(b, "Phát hiện", "Detect"));
	con = series(c, T(b, "Ngăn chặn", "Contain"));
	json_array_foreach(us, i, u)
	{
		if (i == 40)
			break;
		json_array_append_new(json_object_get(c, "labels"), jtake(str(u, "name")));
		json_array_append_new(det, measured(num(u, "detect_min")));
		json_array_append_new(con, measured(num(u, "contain_min")));
	}
	rows = table(b, T(b, "Bảng 3. Ứng cứu theo đơn vị", "Table 3. Response by unit"), labels, w,
	             G_N_ELEMENTS(w));
	json_array_foreach(us, i, u)
	{
		json_t *row = json_array();
		double cm = num(u, "contain_min");

		if (i == AAR_MAX_ROWS) {
			more_row(rows, json_array_size(us) - i, G_N_ELEMENTS(w), b->en);
			break;
		}
		json_array_append_new(row, jtake(str(u, "name")));
		json_array_append_new(row, jtake(fmt_num(num(u, "detect_min"), mn)));
		json_array_append_new(row, jtake(fmt_num(num(u, "open_min"), mn)));
		json_array_append_new(
		        row, cm >= 0 ? jtake(fmt_num(cm, mn))
		                     : json_string(T(b, "chưa hoàn thành", "not complete")));
		json_array_append_new(row,
		                      jtake(g_strdup_printf("%.0f/%.0f", cnt(u, "copies_pulled"),
		                                            cnt(u, "copies"))));
		json_array_append_new(row,
		                      jtake(g_strdup_printf("%.0f/%.0f", cnt(u, "plants_found"),
		                                            cnt(u, "plants"))));
		json_array_append_new(row,
		                      jtake(g_strdup_printf("%.0f/%.0f", cnt(u, "reports_on_time"),
		                                            cnt(u, "reports_due"))));
		json_array_append_new(
		        row, json_string(json_is_true(json_object_get(u, "central_involved"))
		                                 ? T(b, "có", "yes")
		                                 : T(b, "không", "no")));
		json_array_append_new(rows, row);
	}
}

static void part_comparison(struct b *b, const json_t *in)
{
	const json_t *prev = json_object_get(in, "previous"), *p;
	const json_t *r = json_object_get(in, "round");
	json_t *c, *rep, *clk;
	double v;
	size_t i;
	char *ref;

	if (json_array_size(prev) == 0)
		return;
	section(b, "SO SÁNH VỚI CÁC ĐỢT KHÁC", "COMPARISON WITH OTHER ROUNDS");
	c = chart(b,
	          T(b, "Hình 5. Tỉ lệ báo cáo và bấm liên kết qua các đợt",
	            "Figure 5. Reported and clicked across rounds"),
	          "%");
	rep = series(c, T(b, "Báo cáo", "Reported"));
	clk = series(c, T(b, "Bấm liên kết", "Clicked"));
	json_array_foreach(prev, i, p)
	{
		char *l;

		if (i == 30)
			break;
		l = str(p, "label");
		if (*l == 0) {
			g_free(l);
			l = str(p, "ref");
		}
		json_array_append_new(json_object_get(c, "labels"), jtake(l));
		json_array_append_new(rep, measured(num(p, "reported_rate")));
		json_array_append_new(clk, measured(num(p, "clicked_rate")));
	}
	ref = str(r, "ref");
	json_array_append_new(
	        json_object_get(c, "labels"),
	        jtake(g_strdup_printf("%s (%s)", ref, T(b, "đợt này", "this round"))));
	g_free(ref);
	json_array_append_new(rep, drill_aar_value(in, "staff.reported_rate", &v) == 0
	                                   ? measured(v)
	                                   : json_null());
	json_array_append_new(clk, drill_aar_value(in, "staff.clicked_rate", &v) == 0
	                                   ? measured(v)
	                                   : json_null());
}

static void part_timeline(struct b *b, const json_t *in)
{
	static const double w[] = {0.3, 0.7};
	const char *labels[] = {T(b, "Thời điểm", "Time"), T(b, "Diễn biến", "Event")};
	const json_t *tl = json_object_get(in, "timeline"), *e;
	json_t *rows;
	size_t i;

	if (json_array_size(tl) == 0)
		return;
	section(b, "DIỄN BIẾN", "TIMELINE");
	rows = table(b, T(b, "Bảng 4. Diễn biến đợt diễn tập", "Table 4. Timeline of the round"),
	             labels, w, 2);
	json_array_foreach(tl, i, e)
	{
		if (i == AAR_MAX_ROWS) {
			more_row(rows, json_array_size(tl) - i, 2, b->en);
			break;
		}
		json_array_append_new(
		        rows, json_pack("[oo]", jtake(str(e, "at")), jtake(str(e, "what"))));
	}
}

/* standard actions for an objective that was not fully met */
static const char *action_for(const char *metric, bool en)
{
	static const struct {
		const char *prefix, *vi, *en;
	} A[] = {
	        {"staff.",
	         "Tổ chức tập huấn nhận diện thư điện tử giả mạo và cách báo cáo cho cán bộ",
	         "Train staff to recognise spyware email and how to report it"},
	        {"team.detect", "Rà soát quy trình tiếp nhận cảnh báo và phân công trực sự cố",
	         "Review how alerts are received and who is on duty for incidents"},
	        {"team.contain", "Luyện tập thu hồi thư và quét máy trạm theo quy trình ngăn chặn",
	         "Practise claw-back and endpoint sweeps as the containment procedure says"},
	        {"team.contained",
	         "Luyện tập thu hồi thư và quét máy trạm theo quy trình ngăn chặn",
	         "Practise claw-back and endpoint sweeps as the containment procedure says"},
	        {"team.copies", "Bảo đảm thu hồi đủ mọi bản thư đã gửi đến hộp thư của đơn vị",
	         "Make sure every delivered copy in the unit's mailboxes is pulled back"},
	        {"team.plants",
	         "Bảo đảm phần mềm giám sát (vigil-agent) chạy trên mọi máy trạm và "
	         "quét đủ các máy",
	         "Make sure vigil-agent runs on every endpoint and every endpoint is swept"},
	        {"team.reports", "Phân công người lập và gửi báo cáo sự cố theo Thông tư 20/2017",
	         "Name who prepares and files the Circular 20/2017 incident reports"},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(A); i++)
		if (g_str_has_prefix(metric, A[i].prefix))
			return en ? A[i].en : A[i].vi;
	return en ? "Review this objective's procedure" : "Rà soát quy trình của mục tiêu này";
}

static void part_findings(struct b *b, const json_t *in, const json_t *ratings, json_t *plan)
{
	static const double w[] = {0.05, 0.45, 0.3, 0.2};
	const char *labels[] = {"#", T(b, "Việc cần làm", "Action"), T(b, "Mục tiêu", "Objective"),
	                        T(b, "Đơn vị", "Units")};
	const json_t *rt, *us = units_of(in, "team"), *u;
	json_t *rows;
	size_t i, strengths = 0, areas = 0, n = 0;

	section(b, "ĐIỂM MẠNH", "STRENGTHS");
	json_array_foreach(ratings, i, rt)
	{
		if (strcmp(json_string_value(json_object_get(rt, "rating")), "P") == 0) {
			char *t = str(rt, "text");
			char *s = g_strdup_printf("• %s", t);

			text(b, s, false);
			strengths++;
			g_free(s);
			g_free(t);
		}
	}
	if (strengths == 0)
		text(b, T(b, "Chưa có mục tiêu nào đạt loại P.", "No objective was rated P."),
		     false);

	section(b, "TỒN TẠI CẦN KHẮC PHỤC", "AREAS FOR IMPROVEMENT");
	json_array_foreach(ratings, i, rt)
	{
		const char *r = json_string_value(json_object_get(rt, "rating"));

		if (strcmp(r, "P") != 0) {
			char *t = str(rt, "text");
			char *s = g_strdup_printf("• %s (%s)", t, r);

			text(b, s, false);
			areas++;
			g_free(s);
			g_free(t);
		}
	}
	json_array_foreach(us, i, u)
	{
		if (i == AAR_MAX_UNITS)
			break;
		if (cnt(u, "plants_found") < cnt(u, "plants") ||
		    cnt(u, "copies_pulled") < cnt(u, "copies")) {
			char *name = str(u, "name");
			char *s = g_strdup_printf(
			        T(b,
			          "• %s: chưa ngăn chặn hoàn toàn (thu hồi %.0f/%.0f thư, tìm thấy "
			          "%.0f/%.0f máy nhiễm)",
			          "• %s: containment incomplete (%.0f/%.0f copies pulled, "
			          "%.0f/%.0f "
			          "planted endpoints found)"),
			        name, cnt(u, "copies_pulled"), cnt(u, "copies"),
			        cnt(u, "plants_found"), cnt(u, "plants"));

			text(b, s, false);
			areas++;
			g_free(s);
			g_free(name);
		}
	}
	if (areas == 0)
		text(b, T(b, "Không có.", "None."), false);

	section(b, "KẾ HOẠCH KHẮC PHỤC", "IMPROVEMENT PLAN");
	rows = table(b, T(b, "Bảng 5. Kế hoạch khắc phục", "Table 5. Improvement plan"), labels, w,
	             G_N_ELEMENTS(w));
	json_array_foreach(ratings, i, rt)
	{
		const char *r = json_string_value(json_object_get(rt, "rating"));
		const char *metric = json_string_value(json_object_get(rt, "metric"));
		json_t *item;
		char *t;

		if (strcmp(r, "P") == 0)
			continue;
		t = str(rt, "text");
		item = json_pack("{sssssosss[]}", "title", action_for(metric, b->en), "title_en",
		                 action_for(metric, true), "objective", jtake(str(rt, "id")),
		                 "rating", r, "units");
		json_array_append_new(plan, item);
		json_array_append_new(rows, json_pack("[osss]", jtake(g_strdup_printf("%zu", ++n)),
		                                      action_for(metric, b->en), t,
		                                      T(b, "Tất cả", "All")));
		g_free(t);
	}
	json_array_foreach(us, i, u)
	{
		char *name, *id, *s;

		if (i == AAR_MAX_UNITS)
			break;
		if (!(cnt(u, "plants_found") < cnt(u, "plants")))
			continue;
		name = str(u, "name");
		id = str(u, "unit");
		s = g_strdup_printf(T(b, "Quét lại và khắc phục máy trạm bị bỏ sót tại %s",
		                      "Sweep again and fix the endpoints missed at %s"),
		                    name);
		json_array_append_new(plan, json_pack("{sssssssss[s]}", "title", s, "title_en", s,
		                                      "objective", "", "rating", "", "units", id));
		json_array_append_new(
		        rows, json_pack("[osss]", jtake(g_strdup_printf("%zu", ++n)), s, "", name));
		g_free(s);
		g_free(id);
		g_free(name);
	}
	if (n == 0)
		text(b, T(b, "Không có việc cần khắc phục.", "Nothing to improve."), false);
}

static json_t *header(const json_t *in, int64_t now, bool en)
{
	const json_t *org = json_object_get(in, "org");
	GDateTime *t = g_date_time_new_from_unix_utc(now + UTC_OFFSET);
	char *o = str(org, "name"), *u = str(org, "unit"), *pl = str(org, "place");
	char *ou, *uu;
	json_t *h;

	if (*o == 0) {
		g_free(o);
		o = g_strdup("Bảo hiểm xã hội Việt Nam");
	}
	if (*u == 0) {
		g_free(u);
		u = g_strdup("Trung tâm Công nghệ thông tin");
	}
	if (*pl == 0) {
		g_free(pl);
		pl = g_strdup("Hà Nội");
	}
	ou = g_utf8_strup(o, -1);
	uu = g_utf8_strup(u, -1);
	h = json_pack("{ssssssssss}", "organisation", ou, "unit", uu, "number",
	              en ? "No.: ……/BC-CNTT" : "Số: ……/BC-CNTT", "nation",
	              "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "motto", "Độc lập - Tự do - Hạnh phúc");
	if (t != NULL) {
		json_object_set_new(
		        h, "place_date",
		        en ? json_sprintf("%s, %02d/%02d/%04d", pl, g_date_time_get_day_of_month(t),
		                          g_date_time_get_month(t), g_date_time_get_year(t))
		           : json_sprintf("%s, ngày %02d tháng %02d năm %04d", pl,
		                          g_date_time_get_day_of_month(t), g_date_time_get_month(t),
		                          g_date_time_get_year(t)));
		g_date_time_unref(t);
	}
	json_object_set_new(
	        h, "recipients",
	        json_pack("[ss]", en ? "The agency's leadership" : "Lãnh đạo cơ quan",
	                  en ? "The participating units" : "Các đơn vị tham gia diễn tập"));
	g_free(o);
	g_free(u);
	g_free(pl);
	g_free(ou);
	g_free(uu);
	return h;
}

json_t *drill_aar_build(const json_t *in, const char *lang, int64_t now)
{
	struct b b = {.en = lang != NULL && strcmp(lang, "en") == 0};
	json_t *r, *ratings = json_array(), *plan = json_array();
	char *ref;

	if (!json_is_object(in)) {
		json_decref(ratings);
		json_decref(plan);
		return NULL;
	}
	b.sections = json_array();
	part_overview(&b, in);
	part_objectives(&b, in, ratings);
	part_staff(&b, in);
	part_team(&b, in);
	part_comparison(&b, in);
	part_timeline(&b, in);
	part_findings(&b, in, ratings, plan);

	r = json_object();
	ref = str(json_object_get(in, "round"), "ref");
	json_object_set_new(
	        r, "form",
	        json_pack("{ssssss}", "id", "drill-aar", "kind", "aar", "number",
	                  T(&b, "Báo cáo đánh giá sau diễn tập", "After-action report")));
	json_object_set_new(
	        r, "title",
	        json_string(T(&b, "BÁO CÁO ĐÁNH GIÁ SAU DIỄN TẬP", "AFTER-ACTION REPORT")));
	json_object_set_new(
	        r, "title_en",
	        jtake(g_strdup_printf("%s — %s",
	                              T(&b, "After-action report", "Báo cáo đánh giá sau diễn tập"),
	                              ref)));
	json_object_set_new(r, "drill", json_true());
	json_object_set_new(r, "marking", json_string(MARKING));
	json_object_set_new(r, "draft", json_false());
	json_object_set_new(r, "header", header(in, now, b.en));
	json_object_set_new(r, "sections", b.sections);
	json_object_set_new(
	        r, "signature",
	        json_pack("{sssssn}", "title",
	                  T(&b, "TRƯỞNG BAN ĐIỀU HÀNH DIỄN TẬP", "HEAD OF EXERCISE CONTROL"),
	                  "note", T(&b, "(Ký tên, đóng dấu)", "(Signature and seal)"), "name"));
	json_object_set_new(r, "notes",
	                    json_pack("[s]", T(&b,
	                                       "Báo cáo này thuộc một cuộc DIỄN TẬP, không "
	                                       "phải sự cố thật.",
	                                       "This report belongs to an EXERCISE, not a real "
	                                       "incident.")));
	json_object_set_new(r, "ratings", ratings);
	json_object_set_new(r, "plan", plan);
	json_object_set_new(r, "lang", json_string(b.en ? "en" : "vi"));
	g_free(ref);
	return r;
}
