/*
 * stix.h - STIX 2.1 bundles in and out of vigil's indicators
 * (docs/exchange.md has the mapping tables).
 *
 * Pure: JSON in, JSON out; no store, no network. The caller owns every
 * json_t it passes and every one it gets back.
 */
#ifndef VIGIL_SERVER_STIX_H
#define VIGIL_SERVER_STIX_H

#include "exchange.h"

typedef struct stix_import_opts {
	/* TLP of objects without a TLP marking. NULL: TLP:AMBER (unmarked
	 * intelligence is handled as AMBER until its source says otherwise) */
	const char *default_tlp;
	const char *default_source; /* producer when no identity names one; NULL: "STIX" */
} stix_import_opts;

/* Bundle (or one bare STIX object) -> {"format": "stix", "objects": N,
 * "indicators": [vigil indicators], "skipped": [{"type", "id", "reason"}],
 * "skipped_total": N, "duplicates": N}. Every object that gives no
 * indicator, and every part of a pattern that could not be taken, is in
 * "skipped". o may be NULL. Errors: EJSON, EFORMAT, ELIMIT, ENOMEM, with a
 * message in err. */
exchange_err stix_import(const json_t *doc, const stix_import_opts *o, json_t **out, char *err,
                         size_t errlen);
/* The same from bytes (bounded: exchange_json_load). */
exchange_err stix_import_buffer(const char *buf, size_t len, const stix_import_opts *o,
                                json_t **out, char *err, size_t errlen);

typedef struct stix_export_opts {
	const char *
	        identity; /* the agency; NULL: the incident's reporter.organisation, else "vigil" */
	gint64 now_ms;    /* time of the export (ms since 1970); 0: the clock */
} stix_export_opts;

/* Incident document (or a bare array of vigil indicators) -> {"document":
 * STIX 2.1 bundle, "skipped": [indicators that could not be exported, with
 * the reason]}. */
exchange_err stix_export(const json_t *incident, const stix_export_opts *o, json_t **out, char *err,
                         size_t errlen);

/* The STIX pattern for one (checked) vigil indicator, e.g.
 * "[file:hashes.'SHA-256' = '9f2c...']" (g_free). */
char *stix_pattern_for(const char *type, const char *value);

/* Parses a STIX pattern into indicators and problems: calls ok() for each
 * value vigil can match and bad() for each part it cannot, with the reason.
 * Returns false (and a message in err) on a syntax error or when a limit
 * is hit; nothing is reported then. */
typedef struct stix_pattern_cb {
	void (*ok)(void *arg, const char *type, const char *value);
	void (*bad)(void *arg, const char *reason);
	void *arg;
} stix_pattern_cb;
bool stix_pattern_parse(const char *pattern, size_t len, const stix_pattern_cb *cb, char *err,
                        size_t errlen);

/* Bounds of one pattern */
#define STIX_MAX_PATTERN                                                                           \
	16384u               /* bytes: room for a value of EXCHANGE_MAX_VALUE bytes written
                                 * as an escaped regular expression (3 bytes each) */
#define STIX_MAX_NESTING 16u /* brackets and parentheses */
#define STIX_MAX_TESTS 256u  /* comparisons, set members included */

#endif
