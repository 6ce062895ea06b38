/*
 * exchange.h - what the indicator exchange modules (stix.c, misp.c,
 * iocfile.c) share: the error enum, bounded JSON loading, vigil's indicator
 * shape (docs/decisions/0010-vigild-layout.md) with its validation and
 * normalisation, TLP names, RFC 3339 times, name-based UUIDs, and the
 * collector an import fills (indicators, plus everything it did not take,
 * with a reason).
 */
#ifndef VIGIL_SERVER_EXCHANGE_H
#define VIGIL_SERVER_EXCHANGE_H

#include <glib.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum exchange_err {
	EXCHANGE_OK = 0,
	EXCHANGE_ENOMEM,  /* out of memory */
	EXCHANGE_EINVAL,  /* bad argument (a bug in the caller) */
	EXCHANGE_EJSON,   /* the input is not JSON */
	EXCHANGE_EFORMAT, /* JSON, but not the expected document */
	EXCHANGE_ELIMIT   /* larger than a limit allows */
} exchange_err;

const char *exchange_strerror(exchange_err e);

/* Limits of one document. Defaults apply where a field is 0. */
#define EXCHANGE_MAX_BYTES (8u << 20)   /* input document */
#define EXCHANGE_MAX_VALUES 400000u     /* JSON values (bounds jansson's memory) */
#define EXCHANGE_MAX_DEPTH 64u          /* JSON nesting */
#define EXCHANGE_MAX_OBJECTS 20000u     /* STIX objects, MISP attributes + objects */
#define EXCHANGE_MAX_INDICATORS 100000u /* indicators out of one import */
#define EXCHANGE_MAX_SKIPPED 1000u      /* "not imported" entries listed */
#define EXCHANGE_MAX_VALUE 4000u        /* bytes of one indicator value */
#define EXCHANGE_MAX_DESCRIPTION 2000u  /* bytes of a description (longer ones are cut) */
#define EXCHANGE_MAX_SOURCE 200u        /* bytes of a source name */

/* The TLP 2.0 labels vigil stores, least to most restrictive. */
enum exchange_tlp {
	EXCHANGE_TLP_NONE = -1,
	EXCHANGE_TLP_CLEAR = 0,
	EXCHANGE_TLP_GREEN,
	EXCHANGE_TLP_AMBER,
	EXCHANGE_TLP_AMBER_STRICT,
	EXCHANGE_TLP_RED
};
/* "TLP:CLEAR", "tlp:white" (TLP 1.0), "amber+strict", ... -> level */
enum exchange_tlp exchange_tlp_parse(const char *s);
/* level -> "TLP:AMBER" (vigil's spelling); NULL for NONE */
const char *exchange_tlp_name(enum exchange_tlp t);

/* Parses a bounded JSON document: size, number of values and nesting are
 * checked before jansson allocates anything, duplicate keys are refused
 * (two readers must not see two different documents). max_bytes 0: the
 * default. On error, a message goes to err. */
exchange_err exchange_json_load(const char *buf, size_t len, size_t max_bytes, json_t **out,
                                char *err, size_t errlen);

/* vigil indicator types, as the indicator JSON spells them */
bool exchange_type_known(const char *type);
bool exchange_type_is_hash(const char *type);

/* Checks and normalises a value of a vigil indicator type: hashes and hosts
 * in lower case, IPv4/IPv6 canonical, no control characters, no surrounding
 * white space, types' own rules (a URL has a scheme, an address one '@'...).
 * Returns NULL and *norm (g_free) when it is good, else the reason. */
const char *exchange_check(const char *type, const char *value, char **norm);

/* "ipv4", "ipv6" or "domain" for a host name or address (no port) */
const char *exchange_host_type(const char *host);

/* RFC 3339 time (any offset, any fraction) -> milliseconds since 1970 UTC.
 * A time without an offset is refused: it would be read in the server's
 * zone. */
bool exchange_time_parse(const char *s, gint64 *ms);
/* milliseconds -> "2026-11-27T08:15:00.000Z" (STIX) or, vigil's form,
 * "2026-11-27T08:15:00Z" (".mmm" only when not zero) */
void exchange_time_stix(gint64 ms, char buf[32]);
void exchange_time_vigil(gint64 ms, char buf[32]);
/* current time, in milliseconds */
gint64 exchange_now_ms(void);

/* UUID version 5 (RFC 4122, SHA-1) of name in vigil's namespace, written
 * as 36 characters plus NUL. */
void exchange_uuid5(const char *name, char out[37]);

/* ---- what an import collects ---- */

typedef struct exchange_ctx {
	json_t *indicators; /* array of vigil indicators */
	json_t *skipped;    /* array of {"type", "id", "reason"} */
	GHashTable *seen;   /* "type\nvalue" -> index + 1 in indicators */
	size_t skipped_total;
	size_t duplicates;
	bool oom;
	bool full; /* EXCHANGE_MAX_INDICATORS reached */
} exchange_ctx;

void exchange_ctx_init(exchange_ctx *c);
void exchange_ctx_free(exchange_ctx *c);

/* One indicator; value must be normalised already (exchange_check). The
 * same type and value twice is kept once, with the more restrictive TLP.
 * desc may be NULL; first_seen/valid_until are ms or -1 (none). */
void exchange_add(exchange_ctx *c, const char *type, const char *value, const char *desc,
                  enum exchange_tlp tlp, gint64 first_seen, gint64 valid_until, const char *source);

/* Something that was not imported: what it was, its id, and why. */
void exchange_skip(exchange_ctx *c, const char *type, const char *id, const char *fmt, ...)
        G_GNUC_PRINTF(4, 5);

/* {"format", "objects", "indicators", "skipped", "skipped_total",
 * "duplicates"}; NULL when memory ran out. The ctx is emptied. */
json_t *exchange_result(exchange_ctx *c, const char *format, size_t objects);

/* ---- reading vigil indicators (exports) ---- */

/* A checked indicator out of an incident document. */
typedef struct exchange_ind {
	const char *type;
	char *value; /* normalised (g_free) */
	const char *desc;
	enum exchange_tlp tlp;
	gint64 first_seen, valid_until; /* -1: none */
	const char *source;
} exchange_ind;

/* Reads element i of an "indicators" array: false (and a skipped entry)
 * when it is not a usable vigil indicator. Missing TLP takes def_tlp.
 * exchange_ind_clear frees the value. */
bool exchange_ind_read(exchange_ctx *c, const json_t *j, size_t i, enum exchange_tlp def_tlp,
                       exchange_ind *out);
void exchange_ind_clear(exchange_ind *ind);

/* Copies at most max bytes of s, cut at a UTF-8 boundary, control
 * characters turned into spaces (g_free). */
char *exchange_clean_text(const char *s, size_t max);

/* Sets key only when val is not NULL; records an allocation failure. */
void exchange_set(exchange_ctx *c, json_t *obj, const char *key, json_t *val);

#endif
