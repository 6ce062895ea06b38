/*
 * drill_aar.h - the after-action report of a drill round (báo cáo đánh giá
 * sau diễn tập): objectives rated in the HSEEP manner, the staff funnel,
 * times to report, times to contain per unit, comparison with other rounds,
 * strengths, areas for improvement and an improvement plan.
 *
 * Pure functions: the round's measures in (the "AAR input" below, which
 * vigild assembles from the drill tables), a report document out, in the
 * same shape report_c20_render_pdf/html draw (sections of fields, tables,
 * texts and charts), so the PDF and HTML come from one renderer. Nothing
 * here reads the clock, the store or the network.
 *
 * AAR input (every member optional; bad types are treated as missing):
 *   {"round": {"ref", "theme", "region", "scenario", "kind", "started",
 *              "ended", "units": [{"id", "name"}], "controllers": [name],
 *              "evaluators": [name]},
 *    "objectives": [{"id", "text", "text_en", "metric", "target"}],
 *    "staff": {"units": [{"unit", "name", "region", "targeted",
 *              "delivered", "opened", "clicked", "attachment",
 *              "credentials", "reported", "report_minutes": [n]}]},
 *    "team": {"units": [{"unit", "name", "detect_min", "open_min",
 *              "contain_min", "copies", "copies_pulled", "plants",
 *              "plants_found", "reports_due", "reports_on_time",
 *              "central_involved"}]},
 *    "timeline": [{"at", "what"}],
 *    "previous": [{"ref", "label", "reported_rate", "clicked_rate",
 *                  "contain_min"}]}
 * Times are RFC 3339 strings; *_min are minutes (null: did not happen).
 */
#ifndef VIGIL_DRILL_AAR_H
#define VIGIL_DRILL_AAR_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* HSEEP's four ratings of an objective */
typedef enum {
	AAR_P = 0, /* performed without challenges */
	AAR_S = 1, /* performed with some challenges */
	AAR_M = 2, /* performed with major challenges */
	AAR_U = 3, /* unable to be performed (or not measured) */
} aar_rating;

/* The metrics an objective can name, and whether more is better. */
struct aar_metric {
	const char *id, *vi, *en, *unit;
	bool higher_better;
};
/* NULL if unknown */
const struct aar_metric *drill_aar_metric(const char *id);

/* The round-wide value of a metric from an AAR input: 0 and *out set, or
 * -1 if the input does not measure it (no targets, nobody contained...). */
int drill_aar_value(const json_t *in, const char *metric, double *out);

/* The rating of a measured value against its target: for "higher is
 * better", value/target >= 1 P, >= 0.75 S, >= 0.4 M, else U; for "lower is
 * better" the same on target/value (a value of 0 meets any target). */
aar_rating drill_aar_rate(double value, double target, bool higher_better);
const char *drill_aar_rating_code(aar_rating r); /* "P", "S", "M", "U" */

/* The report document (lang "vi" or "en": the language of the text; the
 * headings carry the other language as a subtitle). now: Unix seconds, the
 * report's date. NULL only if in is not an object or memory runs out.
 * Besides the renderer's members it has "ratings": [{"id", "metric",
 * "value", "target", "rating"}] and "plan": [{"title", "title_en",
 * "objective", "units": [id]}] for the API. */
json_t *drill_aar_build(const json_t *in, const char *lang, int64_t now);

#endif
