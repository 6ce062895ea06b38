/*
 * drill.h - the content side of drills (docs/decisions/0014-drills-contract.md):
 * the signed drill marker, tracking tokens, scenario files, drill messages
 * and the harmless simulants they carry.
 *
 * Static library `vigil-drill` (src/drill/meson.build), linked by vigild,
 * vigil-milter, the CLI and the tests. Nothing here touches the network or a
 * shell; every input (marker headers, scenario files, recipient fields) is
 * treated as hostile and bounded.
 *
 * Ownership: functions returning bytes or objects hand them to the caller
 * (free() for bytes, drill_scenario_free() for scenarios). Errors: every
 * function returns 0 (DRILL_OK) or a DRILL_E* code and, when given a
 * drill_error, fills it with where it happened and the reason in English and
 * Vietnamese (what the CLI and vigild show).
 */
#ifndef VIGIL_DRILL_H
#define VIGIL_DRILL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define DRILL_KEY_LEN 32     /* HMAC-SHA256 key bytes; the file holds 64 hex digits */
#define DRILL_TOKEN_LEN 26   /* base32 of 128 random bits */
#define DRILL_REF_MAX 40     /* round reference: [A-Za-z0-9-]{1,40} */
#define DRILL_SIG_HEX 32     /* first 16 bytes of the HMAC, lower-case hex */
#define DRILL_MARKER_MAX 160 /* longest valid marker value is 121 bytes */
#define DRILL_HEADER "X-Vigil-Drill"
#define DRILL_SIMULANT_TAG "VIGIL-DRILL-SIMULANT"

enum drill_code {
	DRILL_OK = 0,
	DRILL_EIO = 1,     /* a file could not be read or written */
	DRILL_EFORMAT = 2, /* malformed input (marker, key file, scenario) */
	DRILL_ELIMIT = 3,  /* an input exceeds a bound */
	DRILL_ENOMEM = 4,
	DRILL_EBADSIG = 5, /* well-formed marker whose signature does not verify */
	DRILL_EINVAL = 6,  /* a bad argument from the caller (recipient, base URL) */
	DRILL_EEXIST = 7,  /* drill_key_create: the file exists */
};

typedef struct drill_error {
	int code;
	char where[160]; /* file and field: "cong-van-macro.json: injects[2].kind" */
	char en[256];
	char vi[320];
} drill_error;

/* short English name of a code ("malformed input") */
const char *drill_strerror(int code);

/* ---- the key and the marker ---- */

/* Reads 64 hex digits (optionally followed by one newline) from path. */
int drill_key_load(const char *path, uint8_t key[DRILL_KEY_LEN], drill_error *err);
/* Writes a new random key to path: O_CREAT|O_EXCL, mode 0600 (DRILL_EEXIST if present). */
int drill_key_create(const char *path, drill_error *err);

/* sig = first 32 hex digits of HMAC-SHA256(key, "vigil-drill-v1\n" ref "\n" token).
 * ref and token must be valid (checked; out is "" and DRILL_EINVAL if not). */
int drill_sign(const uint8_t key[DRILL_KEY_LEN], const char *ref, const char *token,
               char out[DRILL_SIG_HEX + 1]);
/* The whole header value "v=1; r=REF; t=TOKEN; s=SIG" into out. */
int drill_marker_format(const uint8_t key[DRILL_KEY_LEN], const char *ref, const char *token,
                        char out[DRILL_MARKER_MAX]);
/*
 * Parses a header value (NUL-terminated; leading/trailing blanks and folding
 * allowed, nothing else): exactly "v=1; r=<ref>; t=<token>; s=<sig>".
 * DRILL_EFORMAT or DRILL_ELIMIT if it is not that; the outputs are "" then.
 */
int drill_marker_parse(const char *header, char ref[DRILL_REF_MAX + 1],
                       char token[DRILL_TOKEN_LEN + 1], char sig[DRILL_SIG_HEX + 1]);
/* DRILL_OK if the marker parses and its signature verifies (constant-time),
 * DRILL_EBADSIG if it parses but does not verify, else the parse error. */
int drill_marker_verify(const uint8_t key[DRILL_KEY_LEN], const char *header);
/*
 * Finds "VIGIL-DRILL-SIMULANT v=1; ..." in file content (simulants keep it
 * as plain bytes) and copies the marker value after the tag into out (for
 * drill_marker_verify). DRILL_OK when found and well formed, DRILL_EFORMAT
 * when the tag is there but its value is not; -1 when there is no tag.
 */
int drill_simulant_marker_find(const uint8_t *p, size_t n, char out[DRILL_MARKER_MAX]);

/* ---- tokens ---- */

/* 128 random bits as 26 base32 characters (a-z, 2-7), NUL-terminated. */
void drill_token_new(char out[DRILL_TOKEN_LEN + 1]);
/* Is s a well-formed round reference / token? */
int drill_ref_valid(const char *s);
int drill_token_valid(const char *s);

/* ---- scenarios (rules/scenarios/<id>.json, docs/scenarios.md) ---- */

enum drill_sim_kind {
	DRILL_SIM_NONE = 0,
	DRILL_SIM_MACRO_DOC,       /* "macro-doc": .docm or .xlsm with a VBA project */
	DRILL_SIM_ZIP_LNK,         /* "zip-lnk": a zip holding a shortcut */
	DRILL_SIM_HTML_CREDENTIAL, /* "html-credential": a login page */
};
enum drill_landing { DRILL_LANDING_NONE = 0, DRILL_LANDING_CREDENTIAL };
enum drill_inject_kind {
	DRILL_INJECT_SECOND_REPORT = 0,
	DRILL_INJECT_PLANT,
	DRILL_INJECT_MESSAGE,
};

struct drill_text {
	char *vi;
	char *en;
};

struct drill_inject {
	int after_min; /* minutes after the round starts, 0..10080 */
	enum drill_inject_kind kind;
	struct drill_text text;
	int count; /* how many (reports, endpoints); 1 when absent */
};

typedef struct drill_scenario {
	char *id;
	int version;
	struct drill_text title, summary;
	char **attack; /* ATT&CK technique ids */
	size_t n_attack;
	char *sender_name, *sender_address;
	char *subject, *body_text, *body_html; /* with {{placeholders}} */
	enum drill_sim_kind attachment_kind;
	char *attachment_name;  /* NULL for none */
	char *attachment_inner; /* zip-lnk: the shortcut's name inside the zip */
	enum drill_landing landing;
	char **expected; /* finding ids the gateway must raise */
	size_t n_expected;
	struct drill_inject *injects;
	size_t n_injects;
	char *path; /* the file it came from ("" when parsed from memory) */
} drill_scenario;

/* kind names as in the files: "none", "macro-doc", "zip-lnk", "html-credential" */
const char *drill_sim_kind_name(enum drill_sim_kind k);
const char *drill_inject_kind_name(enum drill_inject_kind k);

/* Limits (docs/scenarios.md lists them too). */
#define DRILL_SCENARIO_MAX_FILE (256u * 1024u)
#define DRILL_SCENARIO_MAX_FILES 256

int drill_scenario_load(const char *path, drill_scenario **out, drill_error *err);
/* The same from memory; name is used in error messages. */
int drill_scenario_parse(const char *json, size_t len, const char *name, drill_scenario **out,
                         drill_error *err);
void drill_scenario_free(drill_scenario *sc);

typedef void (*drill_error_fn)(const drill_error *e, void *ctx);
/*
 * Loads every "*.json" in dir (sorted by name; at most
 * DRILL_SCENARIO_MAX_FILES). A file that fails is reported through on_error
 * (when not NULL) and skipped; so is a file whose name is not "<id>.json" or
 * whose id repeats. Returns DRILL_OK when every file loaded, DRILL_EFORMAT
 * when some did not (the good ones are still returned), DRILL_EIO when the
 * folder cannot be read (err filled, nothing returned).
 */
int drill_scenarios_load_dir(const char *dir, drill_scenario ***out, size_t *n,
                             drill_error_fn on_error, void *ctx, drill_error *err);
void drill_scenarios_free(drill_scenario **v, size_t n);
const drill_scenario *drill_scenario_find(drill_scenario *const *v, size_t n, const char *id);

/* ---- messages and simulants ---- */

struct drill_recipient {
	const char *name;    /* display name, UTF-8, at most 200 bytes, may be NULL */
	const char *mailbox; /* local@domain, required */
	const char *unit;    /* unit name, UTF-8, may be NULL */
};

/*
 * The whole message (RFC 5322, CRLF line ends): From, To, Subject, Date,
 * Message-ID, MIME-Version, X-Vigil-Drill, a multipart/alternative text and
 * HTML body with the recipient's placeholders filled in, and the simulant
 * attachment (base64). base_url: "http(s)://host[:port][/path]" of vigild's
 * tracking endpoint (a trailing '/' is dropped). Date and {{date}} are now.
 */
int drill_message_build(const drill_scenario *sc, const uint8_t key[DRILL_KEY_LEN], const char *ref,
                        const char *token, const struct drill_recipient *to, const char *base_url,
                        uint8_t **bytes, size_t *len, drill_error *err);
/* The same at a given time (tests, resends that must keep their date). */
int drill_message_build_at(const drill_scenario *sc, const uint8_t key[DRILL_KEY_LEN],
                           const char *ref, const char *token, const struct drill_recipient *to,
                           const char *base_url, time_t when, uint8_t **bytes, size_t *len,
                           drill_error *err);

/*
 * A harmless file that looks like the technique (see simulant.c): the
 * default file of its kind (a .docm; a zip with "Tai_lieu.pdf.lnk"; an
 * HTML login page). DRILL_EINVAL for DRILL_SIM_NONE.
 */
int drill_simulant_build(enum drill_sim_kind kind, const uint8_t key[DRILL_KEY_LEN],
                         const char *ref, const char *token, const char *base_url, uint8_t **bytes,
                         size_t *len, drill_error *err);
/*
 * The scenario's attachment: as above, with the scenario's names (an
 * attachment named ".xlsm" is a workbook; zip-lnk uses attachment_inner).
 */
int drill_simulant_build_for(const drill_scenario *sc, const uint8_t key[DRILL_KEY_LEN],
                             const char *ref, const char *token, const char *base_url,
                             uint8_t **bytes, size_t *len, drill_error *err);
/* MIME type of a scenario's attachment ("application/zip", ...). */
const char *drill_simulant_content_type(const drill_scenario *sc);

/* Checks a tracking base URL; DRILL_OK or DRILL_EINVAL. */
int drill_base_url_valid(const char *url);

#endif
