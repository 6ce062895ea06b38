/*
 * iocfile.h - vigil's indicator files (docs/indicators.md, read by the
 * engine) to and from the indicator JSON of the exchange modules.
 */
#ifndef VIGIL_SERVER_IOCFILE_H
#define VIGIL_SERVER_IOCFILE_H

#include "exchange.h"

typedef struct iocfile_read_opts {
	const char *tlp;    /* TLP of every indicator (a file has none); NULL: TLP:AMBER */
	const char *source; /* NULL: "vigil" */
} iocfile_read_opts;

/* Indicator file text -> {"format": "vigil", "objects": lines,
 * "indicators": [...], "skipped": [{"type": "line", "id": "N", "reason"}],
 * ...}. A block of comment lines describes the indicator lines under it, up
 * to a blank line or the next comment. */
exchange_err iocfile_read(const char *text, size_t len, const iocfile_read_opts *o, json_t **out,
                          char *err, size_t errlen);

/* Indicators (array of vigil indicators) -> file text (g_free) the engine
 * loads: header (comment text, may be NULL) first, then one line per
 * indicator, each group of indicators with the same description under a
 * comment with it. Indicators the file format cannot hold (message_id) or
 * that fail the checks are appended to skipped (a JSON array). */
exchange_err iocfile_write(const json_t *indicators, const char *header, char **text,
                           json_t *skipped, char *err, size_t errlen);

#define IOCFILE_MAX_LINE 4096u /* as the engine (src/engine/match/ioc.c) */

#endif
