/*
 * org.h - the organisation (org.json, docs/organisation.md): regions, units,
 * staff, endpoints, application systems and mail aliases. Loaded from JSON
 * and validated, looked up in O(1), edited under the same validation, and
 * written back; plus a deterministic demo generator of the agency's scale.
 *
 * A pure module (docs/decisions/0010): documents in, documents out; no
 * store, no HTTP. An org is not thread safe: callers that share one lock it.
 *
 * Ownership: an org owns every record and string in it. Record pointers and
 * strings returned by lookups are borrowed and stay valid until the next
 * edit of that org (org_add/update/remove, org_alias_*) or org_free. JSON
 * given to the functions is never kept (copied where needed); JSON returned
 * is a new reference the caller releases with json_decref.
 */
#ifndef VIGIL_SERVER_ORG_H
#define VIGIL_SERVER_ORG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- limits (docs/organisation.md) ---- */
#define ORG_MAX_FILE_BYTES (256u << 20)
#define ORG_MAX_TOKENS 12000000u /* JSON values and members, counted before parsing */
#define ORG_MAX_REGIONS 64
#define ORG_MAX_UNITS 10000
#define ORG_MAX_STAFF 200000
#define ORG_MAX_ENDPOINTS 500000
#define ORG_MAX_SYSTEMS 1000
#define ORG_MAX_ALIASES 10000
#define ORG_MAX_ID 64           /* bytes of an id */
#define ORG_MAX_TEXT 256        /* bytes of a name, title, city, OS */
#define ORG_MAX_MEMBERS 64      /* members of one record (known and other) */
#define ORG_MAX_EXTRA_DEPTH 8   /* nesting of members kept without being known */
#define ORG_MAX_EXTRA_TEXT 4096 /* bytes of a string inside such members */

typedef enum {
	ORG_OK = 0,
	ORG_ERR_IO,        /* a file could not be read or written */
	ORG_ERR_SYNTAX,    /* not JSON */
	ORG_ERR_LIMIT,     /* a bound above was exceeded */
	ORG_ERR_INVALID,   /* JSON, but not a valid organisation / record */
	ORG_ERR_EXISTS,    /* an id, e-mail address or host is already used */
	ORG_ERR_NOT_FOUND, /* an edit names a record that does not exist */
	ORG_ERR_IN_USE,    /* a removal of a record others refer to */
} org_err;

const char *org_strerror(org_err e);

/*
 * What went wrong and where, e.g. path "staff[1234].unit", value "hanoii",
 * what "no such unit": text `staff[1234].unit "hanoii": no such unit`.
 * `what` is a fixed English phrase (translate it by its text); `detail` is
 * an identifier or a number that completes it ("already used by" +
 * "staff[2]"), or jansson's message for syntax errors. value is the
 * offending value, shortened to 64 characters, controls replaced by '?'.
 */
typedef struct org_error {
	org_err code;
	char path[128];
	char value[320];
	const char *what; /* static; "" when code is ORG_OK */
	char detail[200];
	char text[768];
} org_error;

/* Fills err (if not NULL) as the module does and returns code: for
 * callers that report their own problems in the same shape. path, value
 * and detail may be NULL; what is a static English phrase. */
org_err org_error_set(org_error *err, org_err code, const char *path, const char *value,
                      const char *what, const char *detail);

typedef enum { ORG_REGION, ORG_UNIT, ORG_STAFF, ORG_ENDPOINT, ORG_SYSTEM, ORG_NKINDS } org_kind;

/* Records. Optional members are NULL when absent. Keys: id, except the
 * endpoint's host; hosts and e-mail addresses are compared without case. */
typedef struct org_region {
	const char *id, *name_vi, *name_en;
} org_region;

typedef struct org_unit {
	const char *id, *name;
	const char *short_name; /* "short" */
	const char *kind;       /* central | province | district | area */
	const char *region, *city;
} org_unit;

typedef struct org_staff {
	const char *id, *name, *email, *unit, *title;
} org_staff;

typedef struct org_endpoint {
	const char *host;
	const char *owner; /* staff id, or NULL */
	const char *unit, *os, *ip;
} org_endpoint;

typedef struct org_system {
	const char *id, *name, *owner_unit;
} org_system;

typedef struct org org;

/* ---- load, save ---- */

/* *out is a new org on ORG_OK, NULL otherwise; err (may be NULL) says why. */
org_err org_load_file(const char *path, org **out, org_error *err);
org_err org_load(const void *data, size_t len, org **out, org_error *err);
org_err org_from_json(const json_t *root, org **out, org_error *err);
/* an org with no records (regions, units, … added with org_add) */
org_err org_new(const char *organisation, const char *domain, org **out, org_error *err);
void org_free(org *o);

/* the whole organisation as JSON (new reference) */
json_t *org_to_json(const org *o);
/* the canonical text: fixed member order, one record per line, UTF-8,
 * ends with a newline. g_malloc'ed; *len (may be NULL) its length. */
char *org_dump(const org *o, size_t *len);
/* writes org_dump() to path atomically (temporary file, fsync, rename) */
org_err org_save_file(const org *o, const char *path, org_error *err);

/* ---- lookups (borrowed, O(1)) ---- */

const char *org_name(const org *o); /* "organisation", or NULL */
const char *org_domain(const org *o);
size_t org_count(const org *o, org_kind k);

const org_region *org_region_at(const org *o, size_t i); /* file order */
const org_unit *org_unit_at(const org *o, size_t i);
const org_staff *org_staff_at(const org *o, size_t i);
const org_endpoint *org_endpoint_at(const org *o, size_t i);
const org_system *org_system_at(const org *o, size_t i);

const org_region *org_region_get(const org *o, const char *id);
const org_unit *org_unit_get(const org *o, const char *id);
const org_staff *org_staff_get(const org *o, const char *id);
const org_staff *org_staff_by_email(const org *o, const char *email); /* any case */
const org_endpoint *org_endpoint_get(const org *o, const char *host); /* any case */
const org_system *org_system_get(const org *o, const char *id);
/* the region of a unit, or NULL when there is no such unit */
const org_region *org_unit_region(const org *o, const char *unit_id);
/* the units of a region in the order they were added; *n their number
 * (0 and NULL for an unknown region) */
const org_unit *const *org_region_units(const org *o, const char *region_id, size_t *n);
/* how many records of kind `by` refer to the record (k, key): staff of a
 * unit (ORG_UNIT, "hanoi", ORG_STAFF), endpoints of a staff member, … */
size_t org_referrers(const org *o, org_kind k, const char *key, org_kind by);

size_t org_alias_count(const org *o);
const char *org_alias_get(const org *o, const char *address); /* any case; target */
bool org_alias_at(const org *o, size_t i, const char **address, const char **target);

/* one record as JSON (the shape of org.json), new reference; NULL if none */
json_t *org_item_json(const org *o, org_kind k, const char *key);

/* ---- edits: the same validation as loading; on error nothing changed ---- */

/* adds a record (a JSON object of the kind's shape) */
org_err org_add(org *o, org_kind k, const json_t *item, org_error *err);
/* merges patch into the record named by key (RFC 7396 style, one level:
 * members replace, null removes an optional member); the key cannot change */
org_err org_update(org *o, org_kind k, const char *key, const json_t *patch, org_error *err);
/* removes a record nothing refers to (ORG_ERR_IN_USE names the first that does) */
org_err org_remove(org *o, org_kind k, const char *key, org_error *err);
org_err org_alias_set(org *o, const char *address, const char *target, org_error *err);
org_err org_alias_remove(org *o, const char *address, org_error *err);

/* ---- the demo generator ---- */

typedef struct org_gen_params {
	size_t staff;             /* ORG_GEN_MIN_STAFF .. ORG_MAX_STAFF */
	const char *domain;       /* of every address */
	const char *organisation; /* its name */
} org_gen_params;

#define ORG_GEN_DEFAULT_STAFF 20000
#define ORG_GEN_MIN_STAFF 100
#define ORG_GEN_DEFAULT_DOMAIN "bhxh.example"

void org_gen_defaults(org_gen_params *p);
/* The agency: the central IT Centre and departments, the 63 provincial
 * units (before the 2025 merger) in three regions, staff with Vietnamese
 * names, titles and unique mailboxes, their endpoints, the 26 application
 * systems and role aliases. Same seed and params: byte-identical org_dump. */
org_err org_generate(uint64_t seed, const org_gen_params *p, org **out, org_error *err);

#endif
