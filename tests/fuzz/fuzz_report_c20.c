/*
 * fuzz_report_c20.c - libFuzzer harness: an incident document (JSON) through
 * the Circular 20/2017 reports (src/server/report_c20.h).
 *
 * Every input that parses is built as the three reports, its deadlines are
 * computed, and each report is rendered to HTML and (one kind per input, to
 * keep an input fast) to PDF. Checks beyond "no crash": a JSON object always
 * gives a report with a missing list; the HTML never contains a tag that the
 * input could have injected; the PDF starts with %PDF-.
 */
#include <glib.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/report_c20.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *inc = json_loadb((const char *)data, size, 0, NULL);
	/* "now" from the input, so deadlines meet every state */
	int64_t now = 1795767300 + (int64_t)(size * 7919 % (20 * 86400)) - 10 * 86400;

	if (inc == NULL)
		return 0;
	for (int k = 0; k < REPORT_C20__KINDS; k++) {
		struct report_c20_deadline d;
		json_t *r = report_c20_build(inc, (report_c20_kind)k, now);
		char *html = NULL;
		unsigned char *pdf = NULL;
		size_t len = 0;

		report_c20_deadline(inc, (report_c20_kind)k, now, &d);
		if (d.state > REPORT_C20_UNKNOWN)
			__builtin_trap();
		if (r == NULL) {
			if (json_is_object(inc))
				__builtin_trap();
			continue;
		}
		if (!json_is_array(json_object_get(r, "missing")))
			__builtin_trap();
		if (report_c20_render_html(r, size % 2, &html, &len) != REPORT_C20_OK)
			__builtin_trap();
		/* every '<' in the page is ours: none comes from the input */
		for (const char *p = strchr(html, '<'); p != NULL; p = strchr(p + 1, '<'))
			if (g_ascii_strncasecmp(p, "<script", 7) == 0 ||
			    g_ascii_strncasecmp(p, "<img", 4) == 0 ||
			    g_ascii_strncasecmp(p, "<iframe", 7) == 0 ||
			    g_ascii_strncasecmp(p, "<a ", 3) == 0)
				__builtin_trap();
		free(html);
		if ((size_t)k == size % REPORT_C20__KINDS) {
			if (report_c20_render_pdf(r, &pdf, &len) == REPORT_C20_OK &&
			    (len < 5 || memcmp(pdf, "%PDF-", 5) != 0))
				__builtin_trap();
			free(pdf);
		}
		json_decref(r);
	}
	json_decref(inc);
	return 0;
}
