/*
 * internal.h - what the engine's modules share and nothing outside sees.
 *
 * The scan is a depth-first walk: vscan_process() types, hashes, matches and
 * analyzes one object, then hands it to the extractor for its type, which
 * calls vscan_emit() for every child it finds. vscan_emit() applies the limits
 * and processes the child at once, so a child's bytes can be released as soon
 * as its own subtree is done (unless the caller asked to keep them).
 *
 * Ownership: an object owns its name/path strings and its data buffer
 * (malloc'ed). vscan_emit() takes ownership of the data it is given, also
 * when it refuses the child.
 */
#ifndef VIGIL_ENGINE_INTERNAL_H
#define VIGIL_ENGINE_INTERNAL_H

#define VIGIL_BUILDING 1
#include "vigil/vigil.h"

#include <glib.h>
#include <stdbool.h>

#define VOBJ_MAGIC 0x764f424aU
#define VSCAN_MAGIC 0x7653434eU
#define VENG_MAGIC 0x76454e47U

/* catalogue of built-in findings (findings.def) */
typedef enum finding_kind {
#define FINDING(e, id, sev, attack, en, vi) e,
#include "findings.def"
#undef FINDING
	F__COUNT
} finding_kind;

struct vigil_object {
	uint32_t magic;
	size_t index;
	size_t parent; /* SIZE_MAX for root */
	unsigned depth;
	char *path;
	char *name;
	char *part;
	char *ctype;
	char *charset;
	char *disposition;
	const char *type; /* static string */
	const char *mime; /* static or interned */
	uint8_t *data;
	size_t len;
	bool borrowed; /* data belongs to the caller */
	uint64_t size;
	unsigned flags;
	char sha256[65];
	char sha1[41];
	char md5[33];
	uint64_t unpacked;   /* bytes of children emitted (for the ratio) */
	unsigned limits_hit; /* bitmask of vigil_limit reported here */
	unsigned mime_depth; /* nesting of this object inside a message */
	GPtrArray *hdrs;     /* email objects: struct vhdr* of the top-level header, or NULL */
};

/* one header field of a message, as mime.c read it (bounded, sanitised) */
struct vhdr {
	char *name;  /* as written */
	char *raw;   /* unfolded raw value (RFC 2047 words not decoded) */
	char *value; /* decoded value (UTF-8) */
};

struct vigil_finding {
	char *id;
	vigil_severity sev;
	char *title[2]; /* en, vi */
	char *attack;
	char *evidence;
	size_t object;
};

typedef struct ioc_set ioc_set;

struct vigil_config {
	uint64_t limits[VIGIL_LIMIT__COUNT];
	GHashTable *options;   /* key -> GPtrArray of char* (every value set) */
	GPtrArray *rule_paths; /* char* */
	GPtrArray *rule_texts; /* char* name, char* text pairs */
	GPtrArray *ioc_paths;  /* char* */
	GPtrArray *sev_globs;  /* struct sev_override* */
};

struct sev_override {
	char *glob;
	vigil_severity sev;
};

struct vigil_engine {
	uint32_t magic;
	gint refs;
	uint64_t limits[VIGIL_LIMIT__COUNT];
	void *yara_rules; /* YR_RULES*, NULL when no rules */
	size_t rule_count;
	ioc_set *iocs;
	GPtrArray *sev_globs;
	GHashTable *options; /* copied from the config; read-only */
};

struct vigil_scan {
	uint32_t magic;
	vigil_engine *eng;
	unsigned flags;
	GPtrArray *objs;     /* vigil_object* */
	GPtrArray *findings; /* vigil_finding* */
	GPtrArray *facts[VIGIL_FACT__COUNT];
	GHashTable *fact_seen[VIGIL_FACT__COUNT];
	uint64_t total_unpacked;
	gint64 start_us;
	gint64 deadline_us;
	double elapsed_ms;
	unsigned global_hits; /* limits reported once per scan */
	bool stopped;         /* object/time/total limit: stop everything */
	bool scored;          /* combinations applied */
	bool done;
	int score;
	vigil_verdict verdict;
	void *yara_scanner; /* YR_SCANNER*, created lazily */
	vigil_direction direction;
	const char *root_type; /* interned; NULL: detect */
	GHashTable *notes;     /* analyzer state for the whole scan: key -> value */
	GPtrArray *passwords;  /* candidate archive passwords found in the message */
	GPtrArray *pw_pending; /* messages not read for passwords yet (password.c) */
	GHashTable *password_seen;
};

/* ---- what extractors hand to vscan_emit ---- */
typedef struct vchild {
	const char *seg;         /* path segment; NULL: derived from name */
	const char *name;        /* declared name or NULL */
	const char *part;        /* MIME section or NULL */
	const char *ctype;       /* declared content type or NULL */
	const char *charset;     /* declared charset or NULL */
	const char *disposition; /* "inline"/"attachment" or NULL */
	const char *type_hint;   /* a type the parent knows for sure, or NULL */
	uint8_t *data;           /* malloc'ed; ownership passes */
	size_t len;
	uint64_t size; /* declared size if known (0: len) */
	unsigned flags;
	unsigned mime_depth;
} vchild;

enum { VSCAN_CONTINUE = 0, VSCAN_STOP = 1 };

/* scan.c */
int vscan_emit(vigil_scan *s, vigil_object *parent, vchild *c);
/*
 * Largest child the parent may emit now (object, total and ratio limits);
 * *which (if not NULL) says which limit sets it, for vscan_limit().
 */
size_t vscan_room(vigil_scan *s, vigil_object *parent, vigil_limit *which);
/* Reports a limit hit on an object (once per object and kind). */
void vscan_limit(vigil_scan *s, vigil_object *o, vigil_limit l, const char *evidence);
/* True (and reported) once the scan ran out of time or was stopped. */
bool vscan_should_stop(vigil_scan *s, vigil_object *o);
/*
 * Counts n bytes an extractor decoded only to look inside (never emitted)
 * against the total and ratio limits, as if they had been unpacked.
 */
void vscan_charge(vigil_scan *s, vigil_object *o, size_t n);
vigil_object *vscan_object(vigil_scan *s, size_t i);

/* engine.c */
void vigil_lib_init(void);

/* finding.c */
void vfinding_add(vigil_scan *s, const vigil_object *o, finding_kind k, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
void vfinding_add_custom(vigil_scan *s, const vigil_object *o, const char *id, vigil_severity sev,
                         const char *title_en, const char *title_vi, const char *attack,
                         const char *evidence);
bool vfinding_has(const vigil_scan *s, size_t obj, const char *id);
void vfinding_verdict(vigil_scan *s); /* scoring.c */
int vfinding_weight(const vigil_finding *f);
const char *vfinding_catalogue_id(finding_kind k);
void vfinding_free(vigil_finding *f);

/* facts (scan.c) */
void vscan_fact(vigil_scan *s, vigil_fact f, const char *value);

/* filetype.c */
const char *ftype_detect(const uint8_t *p, size_t n, const char **mime);
/* for a message that another weak signature also fits (a tar checksum, an
 * ISO 9660 volume at 32 KiB, "%PDF-" in the first KiB): that other type */
/* the interned name if `type` is one ftype_detect can return, else NULL */
const char *ftype_known(const char *type);
const char *ftype_polyglot(const uint8_t *p, size_t n, const char *type);
bool ftype_is_executable(const char *type);
bool ftype_is_container(const char *type);

/* hash.c */
void vhash_object(vigil_object *o);

/* match/yara.c */
vigil_err yara_compile(const vigil_config *cfg, vigil_engine *e, char **errmsg);
void yara_free(vigil_engine *e);
void yara_scan_object(vigil_scan *s, vigil_object *o);
void yara_scanner_free(vigil_scan *s);

/* match/ioc.c */
vigil_err ioc_load(const vigil_config *cfg, ioc_set **out, char **errmsg);
void ioc_free(ioc_set *set);
size_t ioc_count(const ioc_set *set);
void ioc_match_object(vigil_scan *s, vigil_object *o);
void ioc_match_facts(vigil_scan *s);

/* extractors and analyzers: one entry per module (registry.c) */
typedef struct extractor {
	const char *name;
	const char *const *types; /* NULL-terminated list of type ids */
	void (*extract)(vigil_scan *s, vigil_object *o);
} extractor;

typedef struct analyzer {
	const char *name;
	const char *const *types; /* NULL: every object */
	void (*analyze)(vigil_scan *s, vigil_object *o);
	/*
	 * true: runs after the object's extractor, when its children (and, for
	 * an email, its headers in o->hdrs) are known; the object's bytes are
	 * still there. The root's after-analyzers run last in the scan.
	 */
	bool after;
} analyzer;

const extractor *registry_extractor_for(const char *type);
const analyzer *const *registry_analyzers(void);

/* engine options (vigil_config_set_option): the last value, or def */
const char *veng_option(const vigil_engine *e, const char *key, const char *def);
/* every value set for key (NULL if none) */
const GPtrArray *veng_option_list(const vigil_engine *e, const char *key);
long long veng_option_int(const vigil_engine *e, const char *key, long long def);

/* scan notes: analyzer state that lives as long as the scan */
void *vscan_note(vigil_scan *s, const char *key);
void vscan_note_set(vigil_scan *s, const char *key, void *value, GDestroyNotify free_fn);

/* candidate passwords for encrypted archives (bounded; duplicates ignored) */
void vscan_password_add(vigil_scan *s, const char *pw);
/* the candidates, after reading the messages deferred so far (password.c) */
const GPtrArray *vscan_passwords(vigil_scan *s);
void vscan_passwords_collect(vigil_scan *s);

/* header of an email object, decoded (first of that name), or NULL */
const char *vobj_header(const vigil_object *o, const char *name);

/* fuzz harnesses: scan bytes as if their content type were `type` */
vigil_err vscan_buffer_typed(vigil_scan *s, const void *data, size_t len, const char *name,
                             const char *type);

/* util */
char *vstr_sanitize(const char *in, size_t maxlen); /* printable UTF-8 copy */
char *vstr_printable(const uint8_t *p, size_t n, size_t maxlen);
bool vstr_valid_utf8(const char *s, size_t n);
/* case-insensitive ASCII search in bytes; returns offset or -1 */
long vmem_casefind(const uint8_t *hay, size_t n, const char *needle);

#endif
