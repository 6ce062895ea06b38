/*
 * report_c20.h - the incident reports owed to the national coordinator under
 * Circular 20/2017/TT-BTTTT (coordination of cyber-security incident
 * response): the incident notification (thông báo sự cố), the initial report
 * (Mẫu số 03, báo cáo ban đầu sự cố) and the final report (Mẫu số 04, báo cáo
 * kết thúc ứng phó sự cố). docs/reports.md maps every field to the incident
 * document and gives the legal sources of the forms and deadlines.
 *
 * Pure functions: an incident document (docs/decisions/0010) in, documents
 * out. Nothing here reads the clock, the store or the network: "now" is a
 * parameter, so deadlines are testable to the second. The caller owns what
 * it passes in and frees what it gets back (json_decref, free).
 *
 * The structured report (report_c20_build) is the one source of the PDF and
 * HTML renderings. Every input string, list and the PDF itself is bounded
 * (the limits below); a report over a limit says so in its text ("and N
 * more"), it never fails or silently drops content.
 */
#ifndef VIGIL_REPORT_C20_H
#define VIGIL_REPORT_C20_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
	REPORT_C20_NOTIFICATION = 0, /* thông báo sự cố, Art. 9(2) */
	REPORT_C20_INITIAL = 1,      /* báo cáo ban đầu sự cố, Mẫu số 03 */
	REPORT_C20_FINAL = 2,        /* báo cáo kết thúc ứng phó sự cố, Mẫu số 04 */
	REPORT_C20__KINDS = 3,
} report_c20_kind;

enum {
	REPORT_C20_OK = 0,
	REPORT_C20_EINVAL = 1, /* not an incident document / not a report */
	REPORT_C20_ENOMEM = 2,
	REPORT_C20_ERENDER = 3, /* cairo/pango failed (e.g. no font) */
	REPORT_C20_ETOOBIG = 4, /* the PDF would exceed REPORT_C20_MAX_PDF_BYTES */
};
const char *report_c20_strerror(int err);

/* "notification", "initial", "final" <-> kind; parse returns -1 if unknown */
int report_c20_kind_parse(const char *s, report_c20_kind *out);
const char *report_c20_kind_name(report_c20_kind k);

/* --- limits (docs/reports.md, "Limits") --- */
#define REPORT_C20_MAX_TITLE 500      /* characters of a title */
#define REPORT_C20_MAX_TEXT 8000      /* characters of a summary or resolution */
#define REPORT_C20_MAX_SHORT 300      /* names, phone numbers, addresses */
#define REPORT_C20_MAX_CELL 512       /* one table cell (an indicator value) */
#define REPORT_C20_MAX_INDICATORS 500 /* rows of the indicator table */
#define REPORT_C20_MAX_ROWS 200       /* rows of any other table */
#define REPORT_C20_MAX_PAGES 250
#define REPORT_C20_MAX_PDF_BYTES (32u << 20)

/* The agency works in Asia/Ho_Chi_Minh: UTC+7, no daylight saving since
 * 1975. Dates printed in reports are local dates at this offset. */
#define REPORT_C20_UTC_OFFSET (7 * 3600)

/* Every report is due 5 days (120 hours) after the event that starts it
 * (detection; for the final report, the end of the response), and is "due
 * soon" in the last 24 hours before that. */
#define REPORT_C20_PERIOD ((int64_t)5 * 86400)
#define REPORT_C20_DUE_SOON_WINDOW ((int64_t)86400)

/* RFC 3339 date-time ("2026-11-27T08:15:00Z", "...+07:00", fractions
 * ignored) to Unix seconds. Returns 0, or -1 if s is not one. */
int report_c20_parse_time(const char *s, int64_t *out);

typedef enum {
	REPORT_C20_NOT_DUE = 0, /* due later than REPORT_C20_DUE_SOON_WINDOW from now */
	REPORT_C20_DUE_SOON,    /* due within REPORT_C20_DUE_SOON_WINDOW (or exactly now) */
	REPORT_C20_OVERDUE,     /* now is after the due time and it is not filed */
	REPORT_C20_FILED,       /* reports.<kind>.filed_at is set */
	REPORT_C20_WAITING,     /* the starting event has not happened (final
	                         * report of an incident still open) */
	REPORT_C20_UNKNOWN,     /* the starting time is missing or unreadable */
} report_c20_state;
const char *report_c20_state_name(report_c20_state s);

struct report_c20_deadline {
	report_c20_kind kind;
	report_c20_state state;
	bool has_start, has_due, has_filed;
	int64_t start, due, filed; /* Unix seconds (UTC) */
	int64_t seconds_left;      /* due - now (negative: overdue); 0 if !has_due */
	bool filed_late;           /* filed after the due time */
};

/* The deadline of one report given the current time now (Unix seconds). */
void report_c20_deadline(const json_t *incident, report_c20_kind kind, int64_t now,
                         struct report_c20_deadline *out);
/* {"kind", "state", "start", "due", "due_local", "filed", "filed_late",
 *  "seconds_left", "basis_vi", "basis_en"} with times as RFC 3339 UTC */
json_t *report_c20_deadline_json(const struct report_c20_deadline *d);

/* Required fields of a report that the incident does not fill (or fills with
 * the wrong JSON type, or with a time that is not RFC 3339): an array of
 * {"field": "reporter.phone", "reason": "missing"|"wrong_type", "vi": "...",
 * "en": "..."}, in form order. Blank strings are missing. Never NULL (empty
 * array when complete). */
json_t *report_c20_missing(const json_t *incident, report_c20_kind kind);

/*
 * The report as a document: {"form": {...}, "title", "title_en", "drill",
 * "marking", "draft", "header": {...}, "sections": [{"no", "heading",
 * "heading_en", "items": [field | table | text]}], "signature", "notes",
 * "deadline", "missing", "generated_at"}. now is the time of the report
 * (printed as the report date). Returns NULL only if incident is not a JSON
 * object or memory runs out. A report with missing required fields is still
 * built, as a draft ("draft": true), with the blanks marked.
 */
json_t *report_c20_build(const json_t *incident, report_c20_kind kind, int64_t now);

/*
 * Renderings of a report_c20_build() document. PDF: A4, Vietnamese, into a
 * malloc'ed buffer (*out, *len). HTML: a UTF-8 string, every value escaped;
 * standalone adds <!DOCTYPE html>, <head> and a small stylesheet, else it is
 * one <article class="c20-report"> for the web UI to embed.
 */
int report_c20_render_pdf(const json_t *report, unsigned char **out, size_t *len);
int report_c20_render_html(const json_t *report, bool standalone, char **out, size_t *len);

#endif
