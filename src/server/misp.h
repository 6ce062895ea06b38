/*
 * misp.h - MISP events (the MISP core format) in and out of vigil's
 * indicators (docs/exchange.md has the mapping tables).
 *
 * Pure: JSON in, JSON out; no store, no network. The caller owns every
 * json_t it passes and every one it gets back.
 */
#ifndef VIGIL_SERVER_MISP_H
#define VIGIL_SERVER_MISP_H

#include "exchange.h"

typedef struct misp_import_opts {
	const char *default_tlp;    /* events without a tlp:* tag; NULL: "TLP:AMBER" */
	const char *default_source; /* when the event names no organisation; NULL: "MISP" */
	bool include_non_ids;       /* take attributes with to_ids false too */
} misp_import_opts;

/* {"Event": {...}}, {"response": [{"Event": ...}, ...]}, an array of those
 * or a bare event -> {"format": "misp", "objects": N (attributes and
 * objects read), "indicators": [...], "skipped": [{"type", "id",
 * "reason"}], "skipped_total": N, "duplicates": N}. o may be NULL. */
exchange_err misp_import(const json_t *doc, const misp_import_opts *o, json_t **out, char *err,
                         size_t errlen);
exchange_err misp_import_buffer(const char *buf, size_t len, const misp_import_opts *o,
                                json_t **out, char *err, size_t errlen);

typedef struct misp_export_opts {
	const char *org; /* the agency; NULL: the incident's reporter.organisation, else "vigil" */
	gint64 now_ms;   /* time of the export (ms since 1970); 0: the clock */
} misp_export_opts;

/* Incident document (or a bare array of vigil indicators) -> {"document":
 * {"Event": {...}}, "skipped": [...]}. */
exchange_err misp_export(const json_t *incident, const misp_export_opts *o, json_t **out, char *err,
                         size_t errlen);

#define MISP_MAX_EVENTS 1000u /* events in one document */

#endif
