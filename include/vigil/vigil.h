/*
 * vigil.h - public API of libvigil, the scanning engine.
 *
 * Bytes in; a tree of objects, findings and a verdict out. No sockets, no
 * database, no policy. All handles are opaque.
 *
 * Life cycle:
 *   vigil_config  - mutable settings: limits, rule files, indicator files.
 *   vigil_engine  - compiled from a config; immutable, reference counted and
 *                   shared by any number of threads scanning at once.
 *   vigil_scan    - one scan of one input; owned by one thread at a time.
 *
 * Every function that can fail returns vigil_err (0 = success). Strings
 * returned by accessors belong to the object they came from and stay valid
 * until that object is freed.
 */
#ifndef VIGIL_VIGIL_H
#define VIGIL_VIGIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && defined(VIGIL_BUILDING)
#define VIGIL_API __attribute__((visibility("default")))
#else
#define VIGIL_API
#endif

#define VIGIL_VERSION "0.1.0"

typedef enum vigil_err {
	VIGIL_OK = 0,
	VIGIL_ENOMEM,   /* out of memory */
	VIGIL_EINVAL,   /* bad argument */
	VIGIL_EIO,      /* read or write failed (errno is kept) */
	VIGIL_ERULES,   /* rules failed to compile */
	VIGIL_EIOC,     /* indicator file has errors */
	VIGIL_ESTATE,   /* call not allowed in this state */
	VIGIL_EINTERNAL /* a bug: please report */
} vigil_err;

VIGIL_API const char *vigil_strerror(vigil_err e);

typedef enum vigil_verdict {
	VIGIL_CLEAN = 0,
	VIGIL_SUSPICIOUS = 1,
	VIGIL_MALICIOUS = 2
} vigil_verdict;

VIGIL_API const char *vigil_verdict_name(vigil_verdict v);

typedef enum vigil_severity {
	VIGIL_SEV_INFO = 0,
	VIGIL_SEV_LOW,
	VIGIL_SEV_MEDIUM,
	VIGIL_SEV_HIGH,
	VIGIL_SEV_CRITICAL
} vigil_severity;

VIGIL_API const char *vigil_severity_name(vigil_severity s);
/* Parses "info", "low", "medium", "high", "critical"; returns -1 if unknown. */
VIGIL_API int vigil_severity_parse(const char *s);

/* Languages for user-facing text (finding titles). */
typedef enum vigil_lang { VIGIL_LANG_EN = 0, VIGIL_LANG_VI = 1 } vigil_lang;

/* Limits. Hitting any of them is reported as a finding; never as "clean". */
typedef enum vigil_limit {
	VIGIL_LIMIT_DEPTH = 0,    /* nesting depth of objects */
	VIGIL_LIMIT_OBJECTS,      /* objects per scan */
	VIGIL_LIMIT_TOTAL_BYTES,  /* bytes unpacked per scan */
	VIGIL_LIMIT_OBJECT_BYTES, /* bytes per object */
	VIGIL_LIMIT_RATIO,        /* unpacked / packed size of a container */
	VIGIL_LIMIT_TIME_MS,      /* wall time per scan */
	VIGIL_LIMIT_MIME_DEPTH,   /* multipart nesting inside one message */
	VIGIL_LIMIT__COUNT
} vigil_limit;

VIGIL_API const char *vigil_limit_name(vigil_limit l);

typedef struct vigil_config vigil_config;
typedef struct vigil_engine vigil_engine;
typedef struct vigil_scan vigil_scan;

/* ---- configuration ---- */
VIGIL_API vigil_config *vigil_config_new(void);
VIGIL_API void vigil_config_free(vigil_config *cfg);
VIGIL_API vigil_err vigil_config_set_limit(vigil_config *cfg, vigil_limit l, uint64_t value);
VIGIL_API uint64_t vigil_config_get_limit(const vigil_config *cfg, vigil_limit l);
/* A YARA rule file, or a directory searched recursively for *.yar / *.yara. */
VIGIL_API vigil_err vigil_config_add_rules(vigil_config *cfg, const char *path);
/* Rule source text (name is used in error messages). */
VIGIL_API vigil_err vigil_config_add_rules_text(vigil_config *cfg, const char *name,
                                                const char *text);
/* Indicator file in the plain format (see docs/indicators.md). */
VIGIL_API vigil_err vigil_config_add_indicators(vigil_config *cfg, const char *path);
/*
 * Analyzer options, e.g. "dlp.min_identifiers" = "50" or
 * "protected_domains" = "bhxh.gov.vn" (docs/analyzers.md lists them).
 * Setting a key again adds a value: list options keep every value, single
 * options use the last one.
 */
VIGIL_API vigil_err vigil_config_set_option(vigil_config *cfg, const char *key, const char *value);
/* Loads "key = value" lines ('#' comments) from a file. */
VIGIL_API vigil_err vigil_config_load_options(vigil_config *cfg, const char *path);
/* Overrides the severity of YARA rules whose name matches a glob pattern. */
VIGIL_API vigil_err vigil_config_set_rule_severity(vigil_config *cfg, const char *glob,
                                                   vigil_severity s);
/* Loads "glob severity" lines from a file ('#' comments). */
VIGIL_API vigil_err vigil_config_load_rule_severity(vigil_config *cfg, const char *path);

/* ---- engine ---- */
/*
 * Compiles rules and indicators. On failure *errmsg (if not NULL) receives a
 * message the caller frees with vigil_free().
 */
VIGIL_API vigil_err vigil_engine_new(const vigil_config *cfg, vigil_engine **out, char **errmsg);
VIGIL_API vigil_engine *vigil_engine_ref(vigil_engine *e);
VIGIL_API void vigil_engine_unref(vigil_engine *e);
VIGIL_API size_t vigil_engine_rule_count(const vigil_engine *e);
VIGIL_API size_t vigil_engine_indicator_count(const vigil_engine *e);
VIGIL_API void vigil_free(void *p);

/* ---- scanning ---- */
/* Scan flags */
#define VIGIL_SCAN_KEEP_DATA 0x1u /* keep every object's bytes (for extract) */

VIGIL_API vigil_scan *vigil_scan_new(vigil_engine *e, unsigned flags);
VIGIL_API void vigil_scan_free(vigil_scan *s);
/* Which way the message travels (the gateway knows; files are UNKNOWN). */
typedef enum vigil_direction {
	VIGIL_DIR_UNKNOWN = 0,
	VIGIL_DIR_INBOUND = 1,
	VIGIL_DIR_OUTBOUND = 2
} vigil_direction;
VIGIL_API vigil_err vigil_scan_set_direction(vigil_scan *s, vigil_direction d);

/* What the input is, when the caller knows better than its first bytes
 * (a gateway always scans a message: "email"). Any type name that
 * `vigil scan --json` reports ("email", "zip", "pdf", ...); VIGIL_EINVAL for
 * an unknown one. NULL goes back to detecting the type. */
VIGIL_API vigil_err vigil_scan_set_type(vigil_scan *s, const char *type);
VIGIL_API bool vigil_type_known(const char *type);

/* Optional SMTP envelope, used by sender/domain indicators. */
VIGIL_API vigil_err vigil_scan_set_envelope_from(vigil_scan *s, const char *addr);
VIGIL_API vigil_err vigil_scan_add_envelope_rcpt(vigil_scan *s, const char *addr);
/* name: declared name of the input (file name), may be NULL. */
VIGIL_API vigil_err vigil_scan_buffer(vigil_scan *s, const void *data, size_t len,
                                      const char *name);
/* Reads the whole descriptor (up to the object byte limit) and scans it. */
VIGIL_API vigil_err vigil_scan_fd(vigil_scan *s, int fd, const char *name);

/* ---- results ---- */
VIGIL_API vigil_verdict vigil_scan_verdict(const vigil_scan *s);
VIGIL_API int vigil_scan_score(const vigil_scan *s); /* 0..100 */
VIGIL_API double vigil_scan_elapsed_ms(const vigil_scan *s);

typedef struct vigil_object vigil_object;
typedef struct vigil_finding vigil_finding;

VIGIL_API size_t vigil_scan_object_count(const vigil_scan *s);
VIGIL_API const vigil_object *vigil_scan_object(const vigil_scan *s, size_t i);

/* Object flags */
#define VIGIL_OBJ_TRUNCATED 0x1u /* not all bytes were read (limit) */
#define VIGIL_OBJ_ENCRYPTED 0x2u /* content could not be decrypted */
#define VIGIL_OBJ_PARTIAL 0x4u   /* container only partly unpacked */

VIGIL_API size_t vigil_object_index(const vigil_object *o);
/* SIZE_MAX for the root. */
VIGIL_API size_t vigil_object_parent(const vigil_object *o);
VIGIL_API unsigned vigil_object_depth(const vigil_object *o);
/* Readable path, e.g. "msg/2:invoice.zip/report.docm/word/vbaProject.bin". */
VIGIL_API const char *vigil_object_path(const vigil_object *o);
/* Content type id decided from the bytes ("email", "zip", "pe", ...). */
VIGIL_API const char *vigil_object_type(const vigil_object *o);
/* MIME type from the bytes (libmagic or own checks). */
VIGIL_API const char *vigil_object_mime(const vigil_object *o);
/* Declared name (file name, stream name), UTF-8, or NULL. */
VIGIL_API const char *vigil_object_name(const vigil_object *o);
/* For MIME parts: the IMAP section number ("1", "2.1"), otherwise NULL. */
VIGIL_API const char *vigil_object_part(const vigil_object *o);
/* For MIME parts: the declared Content-Type, otherwise NULL. */
VIGIL_API const char *vigil_object_content_type(const vigil_object *o);
/* For MIME parts: the declared charset, otherwise NULL. */
VIGIL_API const char *vigil_object_charset(const vigil_object *o);
/* For MIME parts: "inline", "attachment" or NULL. */
VIGIL_API const char *vigil_object_disposition(const vigil_object *o);
VIGIL_API uint64_t vigil_object_size(const vigil_object *o);
VIGIL_API unsigned vigil_object_flags(const vigil_object *o);
/* Lower-case hex digests, NUL terminated. */
VIGIL_API const char *vigil_object_sha256(const vigil_object *o);
VIGIL_API const char *vigil_object_sha1(const vigil_object *o);
VIGIL_API const char *vigil_object_md5(const vigil_object *o);
/* Bytes, only with VIGIL_SCAN_KEEP_DATA; otherwise NULL and *len = 0. */
VIGIL_API const uint8_t *vigil_object_data(const vigil_object *o, size_t *len);

VIGIL_API size_t vigil_scan_finding_count(const vigil_scan *s);
VIGIL_API const vigil_finding *vigil_scan_finding(const vigil_scan *s, size_t i);
/* Stable id, e.g. "limit.depth", "yara.Some_Rule", "ioc.sha256". */
VIGIL_API const char *vigil_finding_id(const vigil_finding *f);
VIGIL_API vigil_severity vigil_finding_severity(const vigil_finding *f);
VIGIL_API const char *vigil_finding_title(const vigil_finding *f, vigil_lang lang);
/* Comma-separated MITRE ATT&CK technique ids, or "" */
VIGIL_API const char *vigil_finding_attack(const vigil_finding *f);
/* Evidence text (bounded, printable), or "" */
VIGIL_API const char *vigil_finding_evidence(const vigil_finding *f);
VIGIL_API size_t vigil_finding_object(const vigil_finding *f);
/*
 * The catalogue entry of a built-in finding id (src/engine/findings.def):
 * false if id is not one. For the few findings raised outside the engine
 * (vigil-milter's drill.forged_marker), so their severity and titles come
 * from the one catalogue. Outputs may be NULL; strings are static.
 */
VIGIL_API bool vigil_finding_catalogue(const char *id, vigil_severity *sev, const char **attack,
                                       const char **title_en, const char **title_vi);
/* What the finding adds to the score: severity weight x confidence (docs/scoring.md). */
VIGIL_API int vigil_finding_weight(const vigil_finding *f);

/* Message facts gathered while scanning (empty when the input is no email). */
typedef enum vigil_fact {
	VIGIL_FACT_FROM = 0,      /* header From addresses */
	VIGIL_FACT_TO,            /* header To and Cc addresses */
	VIGIL_FACT_SUBJECT,       /* decoded subject */
	VIGIL_FACT_MESSAGE_ID,    /* Message-ID without <> */
	VIGIL_FACT_DATE,          /* Date header as written */
	VIGIL_FACT_URL,           /* URLs found in text and HTML */
	VIGIL_FACT_DOMAIN,        /* host names of those URLs */
	VIGIL_FACT_ENVELOPE_FROM, /* as set by the caller */
	VIGIL_FACT_ENVELOPE_RCPT,
	VIGIL_FACT__COUNT
} vigil_fact;
VIGIL_API size_t vigil_scan_fact_count(const vigil_scan *s, vigil_fact f);
VIGIL_API const char *vigil_scan_fact(const vigil_scan *s, vigil_fact f, size_t i);

#ifdef __cplusplus
}
#endif
#endif
