/*
 * org.c - the organisation file (org.json): load, validate, look up, edit,
 * write back. The format and its limits are in docs/organisation.md; the
 * generator of the demo organisation is org_gen.c.
 *
 * Validation is a straight line of early rejects in file order: the
 * top-level members, then regions, units, staff, endpoints, systems and
 * aliases, each record's members in the order of its field table below.
 * A record may only name records of an earlier section (a unit its region,
 * a staff member its unit, an endpoint its owner and unit, a system its
 * owning unit), so one pass resolves every reference, and the first
 * problem found is the one reported, with its JSON path.
 *
 * Model: every record kind keeps its records in file order (a GPtrArray
 * that owns them) and a hash table from its key to the record; staff also
 * by e-mail address. Tables hash keys without ASCII case (SipHash-1-3 with
 * a per-process random key, so a crafted file cannot make every key
 * collide) and point at the records' own strings: a record leaves its
 * tables before it is freed. Each record counts, per kind, the records
 * that name it, so a removal that would leave a dangling reference is
 * refused in O(1); regions keep their units' list.
 *
 * Members a record has beyond the known ones are kept (deep copies, depth
 * and string length bounded) and written back after the known ones.
 *
 * Limits (org.h): file bytes, JSON tokens (counted before jansson builds
 * a tree), entries per section, members per record, bytes per string,
 * nesting of unknown members. Jansson bounds its own parser depth (2048).
 */
#include "org.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define ORG_MAGIC 0x4f524721u /* "ORG!" */
#define ORG_DEAD 0xdeadbeefu
#define ORG_CHECK(o) assert((o) != NULL && (o)->magic == ORG_MAGIC)
#define REC_FIELDS 6
#define VALUE_CHARS 64 /* characters of a value shown in an error */

/* ---- field tables: one per record kind, in the order of org.h's structs ---- */

enum ftype { F_ID, F_TEXT, F_EMAIL, F_HOST, F_IP, F_KIND };

struct field {
	const char *name;
	unsigned char type;
	bool required;
	signed char ref; /* the org_kind whose key it names, or -1 */
};

struct kind_desc {
	const char *singular; /* path of an edited record: "unit" */
	const char *plural;   /* its section in org.json: "units" */
	const char *no_such;  /* "no such unit" */
	const struct field *f;
	size_t nf;
	size_t max;
};

static const struct field region_fields[] = {
        {"id", F_ID, true, -1},
        {"name_vi", F_TEXT, true, -1},
        {"name_en", F_TEXT, false, -1},
};
static const struct field unit_fields[] = {
        {"id", F_ID, true, -1},
        {"name", F_TEXT, true, -1},
        {"short", F_TEXT, false, -1},
        {"kind", F_KIND, true, -1},
        {"region", F_ID, true, ORG_REGION},
        {"city", F_TEXT, false, -1},
};
static const struct field staff_fields[] = {
        {"id", F_ID, true, -1},         {"name", F_TEXT, true, -1},   {"email", F_EMAIL, true, -1},
        {"unit", F_ID, true, ORG_UNIT}, {"title", F_TEXT, false, -1},
};
static const struct field endpoint_fields[] = {
        {"host", F_HOST, true, -1},     {"owner", F_ID, false, ORG_STAFF},
        {"unit", F_ID, true, ORG_UNIT}, {"os", F_TEXT, false, -1},
        {"ip", F_IP, false, -1},
};
static const struct field system_fields[] = {
        {"id", F_ID, true, -1},
        {"name", F_TEXT, true, -1},
        {"owner_unit", F_ID, true, ORG_UNIT},
};

#define NF(a) (sizeof(a) / sizeof((a)[0]))
static const struct kind_desc kinds[ORG_NKINDS] = {
        [ORG_REGION] = {"region", "regions", "no such region", region_fields, NF(region_fields),
                        ORG_MAX_REGIONS},
        [ORG_UNIT] = {"unit", "units", "no such unit", unit_fields, NF(unit_fields), ORG_MAX_UNITS},
        [ORG_STAFF] = {"staff", "staff", "no such staff member", staff_fields, NF(staff_fields),
                       ORG_MAX_STAFF},
        [ORG_ENDPOINT] = {"endpoint", "endpoints", "no such endpoint", endpoint_fields,
                          NF(endpoint_fields), ORG_MAX_ENDPOINTS},
        [ORG_SYSTEM] = {"system", "systems", "no such system", system_fields, NF(system_fields),
                        ORG_MAX_SYSTEMS},
};

static const char *const unit_kinds[] = {"central", "province", "district", "area"};

/* A record is an array of strings seen through the public struct of its
 * kind; the public structs are pointer arrays of the same layout. */
#define SAME_LAYOUT(T, fields) _Static_assert(sizeof(T) == NF(fields) * sizeof(const char *), #T)
SAME_LAYOUT(org_region, region_fields);
SAME_LAYOUT(org_unit, unit_fields);
SAME_LAYOUT(org_staff, staff_fields);
SAME_LAYOUT(org_endpoint, endpoint_fields);
SAME_LAYOUT(org_system, system_fields);

struct rec {
	union {
		const char *v[REC_FIELDS]; /* owned, g_malloc'ed; NULL when absent */
		org_region region;
		org_unit unit;
		org_staff staff;
		org_endpoint endpoint;
		org_system system;
	} u;                     /* first: a struct rec * is a pointer to its public struct */
	json_t *extra;           /* other members in order, owned, or NULL */
	size_t refs[ORG_NKINDS]; /* records of each kind whose members name this one */
	GPtrArray *units;        /* regions only: org_unit * of its units, not owned */
};

struct alias {
	char *address, *target;
};

struct org {
	unsigned magic;
	char *name;                     /* "organisation", or NULL */
	char *domain;                   /* "domain" */
	GPtrArray *recs[ORG_NKINDS];    /* struct rec *, file order, owned */
	GHashTable *by_key[ORG_NKINDS]; /* the record's key string -> struct rec * */
	GHashTable *by_email;           /* staff e-mail (the record's string) -> struct rec * */
	GPtrArray *aliases;             /* struct alias *, owned, in order */
	GHashTable *alias_by;           /* alias address (its own string) -> struct alias * */
	json_t *extra;                  /* other top-level members, owned, or NULL */
};

/* ---- errors ---- */

const char *org_strerror(org_err e)
{
	switch (e) {
	case ORG_OK:
		return "success";
	case ORG_ERR_IO:
		return "input/output error";
	case ORG_ERR_SYNTAX:
		return "not JSON";
	case ORG_ERR_LIMIT:
		return "a limit was exceeded";
	case ORG_ERR_INVALID:
		return "not a valid organisation";
	case ORG_ERR_EXISTS:
		return "already exists";
	case ORG_ERR_NOT_FOUND:
		return "not found";
	case ORG_ERR_IN_USE:
		return "still in use";
	}
	return "unknown error";
}

static bool bad_char(gunichar c)
{
	/* C0, DEL, C1, and the marks that reorder text on the screen */
	return c < 0x20 || (c >= 0x7f && c < 0xa0) || (c >= 0x202a && c <= 0x202e) ||
	       (c >= 0x2066 && c <= 0x2069) || c == 0x200e || c == 0x200f;
}

/* s (n bytes, maybe not UTF-8) into dst as at most maxchars characters;
 * controls and invalid bytes become '?', a cut is shown by "…"; with
 * escape, '"' and '\' get a '\' (values are shown between quotes) */
static void clean_copy(char *dst, size_t cap, const char *s, size_t n, size_t maxchars, bool escape)
{
	size_t o = 0, chars = 0, i = 0;

	assert(cap >= 8);
	while (i < n) {
		gunichar c = g_utf8_get_char_validated(s + i, (gssize)(n - i));
		size_t clen;

		if (chars == maxchars || cap - o < 8) {
			memcpy(dst + o, "…", 3);
			o += 3;
			break;
		}
		chars++;
		if (c == (gunichar)-1 || c == (gunichar)-2 || bad_char(c)) {
			dst[o++] = '?';
			i += c == (gunichar)-1 || c == (gunichar)-2
			             ? 1
			             : (size_t)(g_utf8_next_char(s + i) - (s + i));
			continue;
		}
		clen = (size_t)(g_utf8_next_char(s + i) - (s + i));
		if (escape && (c == '"' || c == '\\'))
			dst[o++] = '\\';
		memcpy(dst + o, s + i, clen);
		o += clen;
		i += clen;
	}
	dst[o] = 0;
}

org_err org_error_set(org_error *err, org_err code, const char *path, const char *value,
                      const char *what, const char *detail)
{
	size_t n;

	if (err == NULL)
		return code;
	memset(err, 0, sizeof *err);
	err->code = code;
	err->what = what;
	if (path != NULL)
		clean_copy(err->path, sizeof err->path, path, strlen(path), 100, false);
	if (value != NULL)
		clean_copy(err->value, sizeof err->value, value, strlen(value), VALUE_CHARS, true);
	if (detail != NULL)
		clean_copy(err->detail, sizeof err->detail, detail, strlen(detail), 150, false);
	n = 0;
	if (*err->path)
		n += (size_t)g_snprintf(err->text, sizeof err->text, "%s", err->path);
	if (value != NULL && n < sizeof err->text)
		n += (size_t)g_snprintf(err->text + n, sizeof err->text - n, "%s\"%s\"",
		                        n ? " " : "", err->value);
	if (n > 0 && n < sizeof err->text)
		n += (size_t)g_snprintf(err->text + n, sizeof err->text - n, ": ");
	if (n < sizeof err->text)
		n += (size_t)g_snprintf(err->text + n, sizeof err->text - n, "%s", what);
	if (*err->detail && n < sizeof err->text)
		g_snprintf(err->text + n, sizeof err->text - n, " %s", err->detail);
	return code;
}

static org_err fail(org_error *err, org_err code, const char *path, const char *value,
                    const char *what, const char *detail)
{
	return org_error_set(err, code, path, value, what, detail);
}

static org_err fail_n(org_error *err, org_err code, const char *path, const char *what,
                      size_t number)
{
	char d[32];

	g_snprintf(d, sizeof d, "%zu", number);
	return fail(err, code, path, NULL, what, d);
}

/* ---- keyed hashing without ASCII case (SipHash-1-3) ---- */

static uint64_t hash_key[2];

static gpointer hash_key_init(gpointer unused)
{
	(void)unused;
	if (getrandom(hash_key, sizeof hash_key, 0) != (ssize_t)sizeof hash_key) {
		/* no entropy source: still keyed, if guessable */
		hash_key[0] = (uint64_t)g_get_real_time() ^ ((uint64_t)getpid() << 32);
		hash_key[1] = (uint64_t)g_get_monotonic_time() * 0x9e3779b97f4a7c15ull;
	}
	return NULL;
}

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                                   \
	do {                                                                                       \
		v0 += v1;                                                                          \
		v1 = ROTL(v1, 13);                                                                 \
		v1 ^= v0;                                                                          \
		v0 = ROTL(v0, 32);                                                                 \
		v2 += v3;                                                                          \
		v3 = ROTL(v3, 16);                                                                 \
		v3 ^= v2;                                                                          \
		v0 += v3;                                                                          \
		v3 = ROTL(v3, 21);                                                                 \
		v3 ^= v0;                                                                          \
		v2 += v1;                                                                          \
		v1 = ROTL(v1, 17);                                                                 \
		v1 ^= v2;                                                                          \
		v2 = ROTL(v2, 32);                                                                 \
	} while (0)

static guint ci_hash(gconstpointer p)
{
	const unsigned char *s = p;
	uint64_t v0 = hash_key[0] ^ 0x736f6d6570736575ull, v1 = hash_key[1] ^ 0x646f72616e646f6dull;
	uint64_t v2 = hash_key[0] ^ 0x6c7967656e657261ull, v3 = hash_key[1] ^ 0x7465646279746573ull;
	uint64_t m = 0, len = 0;

	for (; *s; s++) {
		m |= (uint64_t)(unsigned char)g_ascii_tolower(*s) << (8 * (len & 7));
		if ((++len & 7) == 0) {
			v3 ^= m;
			SIPROUND;
			v0 ^= m;
			m = 0;
		}
	}
	m |= len << 56;
	v3 ^= m;
	SIPROUND;
	v0 ^= m;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	m = v0 ^ v1 ^ v2 ^ v3;
	return (guint)(m ^ (m >> 32));
}

static gboolean ci_equal(gconstpointer a, gconstpointer b)
{
	return g_ascii_strcasecmp(a, b) == 0;
}

static GHashTable *ci_table(void)
{
	static GOnce once = G_ONCE_INIT;

	g_once(&once, hash_key_init, NULL);
	return g_hash_table_new(ci_hash, ci_equal);
}

/* ---- syntax of values ---- */

static bool is_atext(unsigned char c)
{
	return g_ascii_isalnum(c) || (c != 0 && strchr("!#$%&'*+/=?^_`{|}~-", c) != NULL);
}

static bool id_ok(const char *s, size_t n)
{
	if (n == 0 || n > ORG_MAX_ID || !(g_ascii_islower(s[0]) || g_ascii_isdigit(s[0])))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(g_ascii_islower(s[i]) || g_ascii_isdigit(s[i]) || s[i] == '.' ||
		      s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

/* dot-separated labels of 1 to 63 letters, digits and '-' (and '_' in host
 * names: Windows allows it), at most 253 bytes; domains need two labels
 * and no label starting or ending with '-' */
static bool labels_ok(const char *s, size_t n, bool host)
{
	size_t label = 0, labels = 1;

	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (label == 0 || (!host && s[i - 1] == '-'))
				return false;
			label = 0;
			labels++;
			continue;
		}
		if (!(g_ascii_isalnum(c) || c == '-' || (host && c == '_')))
			return false;
		if (!host && c == '-' && label == 0)
			return false;
		if (++label > 63)
			return false;
	}
	if (label == 0 || (!host && s[n - 1] == '-'))
		return false;
	return host || labels >= 2;
}

static bool domain_ok(const char *s, size_t n)
{
	return labels_ok(s, n, false);
}

/* local@domain: a dot-atom local part of at most 64 bytes (RFC 5322; no
 * quoted strings, no SMTPUTF8), a domain as above, at most 254 bytes */
static bool email_ok(const char *s, size_t n)
{
	const char *at;
	size_t local;

	if (n < 3 || n > 254)
		return false;
	at = memrchr(s, '@', n);
	if (at == NULL)
		return false;
	local = (size_t)(at - s);
	if (local == 0 || local > 64 || s[0] == '.' || s[local - 1] == '.')
		return false;
	for (size_t i = 0; i < local; i++) {
		if (s[i] == '.' && s[i + 1] == '.')
			return false;
		if (s[i] != '.' && !is_atext((unsigned char)s[i]))
			return false;
	}
	return domain_ok(at + 1, n - local - 1);
}

static bool ip_ok(const char *s, size_t n)
{
	char buf[64];
	unsigned char bin[16];

	if (n == 0 || n >= sizeof buf)
		return false;
	memcpy(buf, s, n);
	buf[n] = 0;
	return inet_pton(AF_INET, buf, bin) == 1 || inet_pton(AF_INET6, buf, bin) == 1;
}

/* what is wrong with a string of text, or NULL */
static const char *text_problem(const char *s, size_t n, size_t max)
{
	if (n == 0)
		return "empty";
	if (n > max)
		return "too long; the limit in bytes is";
	if (!g_utf8_validate_len(s, n, NULL))
		return "not valid UTF-8";
	for (const char *p = s; p < s + n; p = g_utf8_next_char(p))
		if (bad_char(g_utf8_get_char(p)))
			return "contains a control character";
	return NULL;
}

/* ---- records ---- */

static void rec_free(struct rec *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < REC_FIELDS; i++)
		g_free((char *)r->u.v[i]);
	json_decref(r->extra);
	if (r->units != NULL)
		g_ptr_array_unref(r->units);
	memset(r, 0x5a, sizeof *r); /* poison: a stale pointer shows */
	g_free(r);
}

static struct rec *find(const org *o, org_kind k, const char *key)
{
	return key == NULL ? NULL : g_hash_table_lookup(o->by_key[k], key);
}

static size_t rec_index(const org *o, org_kind k, const struct rec *r)
{
	guint i = 0;

	if (!g_ptr_array_find(o->recs[k], r, &i))
		assert(!"record not in its list");
	return i;
}

/* "units[12]": where an existing record is */
static void rec_where(const org *o, org_kind k, const struct rec *r, char *buf, size_t cap)
{
	g_snprintf(buf, cap, "%s[%zu]", kinds[k].plural, rec_index(o, k, r));
}

static bool field_known(const struct kind_desc *d, const char *name)
{
	for (size_t i = 0; i < d->nf; i++)
		if (strcmp(d->f[i].name, name) == 0)
			return true;
	return false;
}

/* unknown members we keep: bounded nesting and strings */
static org_err extra_check(const json_t *v, unsigned depth, const char *path, org_error *err)
{
	const char *key;
	json_t *m;
	size_t i;

	if (depth > ORG_MAX_EXTRA_DEPTH)
		return fail_n(err, ORG_ERR_LIMIT, path, "nested too deeply; the limit is",
		              ORG_MAX_EXTRA_DEPTH);
	if (json_is_string(v) && json_string_length(v) > ORG_MAX_EXTRA_TEXT)
		return fail_n(err, ORG_ERR_LIMIT, path, "too long; the limit in bytes is",
		              ORG_MAX_EXTRA_TEXT);
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, m)
		{
			if (strlen(key) > ORG_MAX_TEXT)
				return fail_n(err, ORG_ERR_LIMIT, path,
				              "a member name is too long; the limit in bytes is",
				              ORG_MAX_TEXT);
			org_err rc = extra_check(m, depth + 1, path, err);

			if (rc != ORG_OK)
				return rc;
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, m)
		{
			org_err rc = extra_check(m, depth + 1, path, err);

			if (rc != ORG_OK)
				return rc;
		}
	}
	return ORG_OK;
}

/* Checks one member's string; self is the record being replaced (edits). */
static org_err field_check(const org *o, org_kind k, size_t fi, const char *s, size_t n,
                           const char *where, const struct rec *self, org_error *err)
{
	const struct field *f = &kinds[k].f[fi];
	const char *what = NULL;
	char path[160], other_at[64];
	struct rec *other;

#define PATH() (g_snprintf(path, sizeof path, "%s.%s", where, f->name), path)
	if (memchr(s, 0, n) != NULL)
		return fail(err, ORG_ERR_INVALID, PATH(), NULL, "contains a control character",
		            NULL);
	switch (f->type) {
	case F_ID:
		if (!id_ok(s, n))
			what = "not an id (1 to 64 of a-z, 0-9, '.', '_', '-', starting with a "
			       "letter or digit)";
		break;
	case F_TEXT:
		what = text_problem(s, n, ORG_MAX_TEXT);
		if (what != NULL && n > ORG_MAX_TEXT) {
			g_snprintf(other_at, sizeof other_at, "%d", ORG_MAX_TEXT);
			return fail(err, ORG_ERR_LIMIT, PATH(), s, what, other_at);
		}
		break;
	case F_EMAIL:
		if (!email_ok(s, n))
			what = "not an e-mail address";
		break;
	case F_HOST:
		if (!labels_ok(s, n, true))
			what = "not a host name";
		break;
	case F_IP:
		if (!ip_ok(s, n))
			what = "not an IP address";
		break;
	case F_KIND:
		what = "not a unit kind (central, province, district, area)";
		for (size_t i = 0; i < NF(unit_kinds); i++)
			if (strcmp(s, unit_kinds[i]) == 0)
				what = NULL;
		break;
	}
	if (what != NULL)
		return fail(err, ORG_ERR_INVALID, PATH(), s, what, NULL);
	if (f->ref >= 0 && find(o, (org_kind)f->ref, s) == NULL)
		return fail(err, ORG_ERR_INVALID, PATH(), s, kinds[f->ref].no_such, NULL);
	if (fi == 0 && (other = find(o, k, s)) != NULL && other != self) {
		rec_where(o, k, other, other_at, sizeof other_at);
		return fail(err, ORG_ERR_EXISTS, PATH(), s, "already used by", other_at);
	}
	if (f->type == F_EMAIL) {
		other = g_hash_table_lookup(o->by_email, s);
		if (other != NULL && other != self) {
			rec_where(o, ORG_STAFF, other, other_at, sizeof other_at);
			return fail(err, ORG_ERR_EXISTS, PATH(), s, "already used by", other_at);
		}
		if (g_hash_table_contains(o->alias_by, s))
			return fail(err, ORG_ERR_EXISTS, PATH(), s, "already used by", "aliases");
	}
	return ORG_OK;
#undef PATH
}

/* A record of kind k from a JSON object; where is its path ("units[3]",
 * or "unit" in edits). self: the record it will replace, or NULL. */
static org_err rec_parse(const org *o, org_kind k, const json_t *obj, const char *where,
                         const struct rec *self, struct rec **out, org_error *err)
{
	const struct kind_desc *d = &kinds[k];
	struct rec *r;
	char path[192];
	const char *key;
	json_t *m;
	org_err rc;

	*out = NULL;
	if (!json_is_object(obj))
		return fail(err, ORG_ERR_INVALID, where, NULL, "not an object", NULL);
	if (json_object_size(obj) > ORG_MAX_MEMBERS)
		return fail_n(err, ORG_ERR_LIMIT, where, "too many members; the limit is",
		              ORG_MAX_MEMBERS);
	r = g_new0(struct rec, 1);
	for (size_t i = 0; i < d->nf; i++) {
		const struct field *f = &d->f[i];

		m = json_object_get(obj, f->name);
		if (m == NULL || json_is_null(m)) {
			if (f->required) {
				g_snprintf(path, sizeof path, "%s.%s", where, f->name);
				rc = fail(err, ORG_ERR_INVALID, path, NULL, "missing", NULL);
				goto bad;
			}
			continue;
		}
		if (!json_is_string(m)) {
			g_snprintf(path, sizeof path, "%s.%s", where, f->name);
			rc = fail(err, ORG_ERR_INVALID, path, NULL, "not a string", NULL);
			goto bad;
		}
		rc = field_check(o, k, i, json_string_value(m), json_string_length(m), where, self,
		                 err);
		if (rc != ORG_OK)
			goto bad;
		r->u.v[i] = g_strndup(json_string_value(m), json_string_length(m));
	}
	json_object_foreach((json_t *)obj, key, m)
	{
		if (field_known(d, key))
			continue;
		g_snprintf(path, sizeof path, "%s.%.40s", where, key);
		if (strlen(key) > ORG_MAX_TEXT) {
			rc = fail_n(err, ORG_ERR_LIMIT, path,
			            "a member name is too long; the limit in bytes is",
			            ORG_MAX_TEXT);
			goto bad;
		}
		rc = extra_check(m, 1, path, err);
		if (rc != ORG_OK)
			goto bad;
		if (r->extra == NULL)
			r->extra = json_object();
		json_object_set_new(r->extra, key, json_deep_copy(m));
	}
	if (k == ORG_REGION)
		r->units = g_ptr_array_new();
	*out = r;
	return ORG_OK;
bad:
	rec_free(r);
	return rc;
}

static void ref_adjust(org *o, org_kind k, const struct rec *r, int by)
{
	for (size_t i = 0; i < kinds[k].nf; i++) {
		struct rec *t;

		if (kinds[k].f[i].ref < 0 || r->u.v[i] == NULL)
			continue;
		t = find(o, (org_kind)kinds[k].f[i].ref, r->u.v[i]);
		assert(t != NULL && (by > 0 || t->refs[k] > 0));
		t->refs[k] = by > 0 ? t->refs[k] + 1 : t->refs[k] - 1;
	}
}

/* the units of a region that must exist (a broken invariant is a bug) */
static GPtrArray *region_list(const org *o, const char *region)
{
	struct rec *r = find(o, ORG_REGION, region);

	if (r == NULL || r->units == NULL)
		g_error("org: a unit's region %s is not in the organisation", region);
	return r->units;
}

/* enters r in the tables (and, with lists, in its region's units) */
static void rec_link(org *o, org_kind k, struct rec *r, bool lists)
{
	g_hash_table_insert(o->by_key[k], (gpointer)r->u.v[0], r);
	if (k == ORG_STAFF)
		g_hash_table_insert(o->by_email, (gpointer)r->u.staff.email, r);
	ref_adjust(o, k, r, +1);
	if (k == ORG_UNIT && lists)
		g_ptr_array_add(region_list(o, r->u.unit.region), &r->u.unit);
}

static void rec_unlink(org *o, org_kind k, struct rec *r, bool lists)
{
	gboolean gone = g_hash_table_remove(o->by_key[k], r->u.v[0]);

	assert(gone);
	if (k == ORG_STAFF)
		g_hash_table_remove(o->by_email, r->u.staff.email);
	ref_adjust(o, k, r, -1);
	if (k == ORG_UNIT && lists)
		g_ptr_array_remove(region_list(o, r->u.unit.region), &r->u.unit);
	(void)gone;
}

static json_t *rec_json(org_kind k, const struct rec *r)
{
	json_t *obj = json_object();
	const char *key;
	json_t *m;

	for (size_t i = 0; i < kinds[k].nf; i++)
		if (r->u.v[i] != NULL)
			json_object_set_new(obj, kinds[k].f[i].name, json_string(r->u.v[i]));
	json_object_foreach(r->extra, key, m)
	{
		json_object_set(obj, key, m);
	}
	return obj;
}

/* ---- aliases ---- */

static void alias_free(gpointer p)
{
	struct alias *a = p;

	g_free(a->address);
	g_free(a->target);
	g_free(a);
}

static org_err alias_check(const org *o, const char *address, size_t alen, const char *target,
                           size_t tlen, const struct alias *self, org_error *err)
{
	char path[128], where[64];
	struct rec *staff;
	struct alias *other;

	if (memchr(address, 0, alen) != NULL || !email_ok(address, alen))
		return fail(err, ORG_ERR_INVALID, "aliases", address, "not an e-mail address",
		            NULL);
	g_snprintf(path, sizeof path, "aliases.\"%.80s\"", address);
	if (memchr(target, 0, tlen) != NULL || !email_ok(target, tlen))
		return fail(err, ORG_ERR_INVALID, path, target, "not an e-mail address", NULL);
	staff = g_hash_table_lookup(o->by_email, address);
	if (staff != NULL) {
		rec_where(o, ORG_STAFF, staff, where, sizeof where);
		return fail(err, ORG_ERR_EXISTS, "aliases", address, "already used by", where);
	}
	other = g_hash_table_lookup(o->alias_by, address);
	if (other != NULL && other != self)
		return fail(err, ORG_ERR_EXISTS, "aliases", address, "already used by", "aliases");
	return ORG_OK;
}

static void alias_add(org *o, const char *address, const char *target)
{
	struct alias *a = g_new0(struct alias, 1);

	a->address = g_strdup(address);
	a->target = g_strdup(target);
	g_ptr_array_add(o->aliases, a);
	g_hash_table_insert(o->alias_by, a->address, a);
}

/* ---- the org ---- */

static org *org_alloc(void)
{
	org *o = g_new0(org, 1);

	o->magic = ORG_MAGIC;
	for (int k = 0; k < ORG_NKINDS; k++) {
		o->recs[k] = g_ptr_array_new_with_free_func((GDestroyNotify)rec_free);
		o->by_key[k] = ci_table();
	}
	o->by_email = ci_table();
	o->aliases = g_ptr_array_new_with_free_func(alias_free);
	o->alias_by = ci_table();
	return o;
}

void org_free(org *o)
{
	if (o == NULL)
		return;
	ORG_CHECK(o);
	/* tables first: their keys are the records' strings */
	for (int k = 0; k < ORG_NKINDS; k++)
		g_hash_table_destroy(o->by_key[k]);
	g_hash_table_destroy(o->by_email);
	g_hash_table_destroy(o->alias_by);
	for (int k = ORG_NKINDS - 1; k >= 0; k--)
		g_ptr_array_unref(o->recs[k]);
	g_ptr_array_unref(o->aliases);
	json_decref(o->extra);
	g_free(o->name);
	g_free(o->domain);
	o->magic = ORG_DEAD;
	g_free(o);
}

static org_err check_name_domain(const char *name, size_t nlen, const char *domain, size_t dlen,
                                 org_error *err)
{
	const char *what;

	if (name != NULL && (what = text_problem(name, nlen, ORG_MAX_TEXT)) != NULL)
		return nlen > ORG_MAX_TEXT
		               ? fail_n(err, ORG_ERR_LIMIT, "organisation", what, ORG_MAX_TEXT)
		               : fail(err, ORG_ERR_INVALID, "organisation", NULL, what, NULL);
	if (domain == NULL)
		return fail(err, ORG_ERR_INVALID, "domain", NULL, "missing", NULL);
	if (memchr(domain, 0, dlen) != NULL || !domain_ok(domain, dlen))
		return fail(err, ORG_ERR_INVALID, "domain", domain, "not a domain name", NULL);
	return ORG_OK;
}

org_err org_new(const char *organisation, const char *domain, org **out, org_error *err)
{
	org_err rc;

	*out = NULL;
	rc = check_name_domain(organisation, organisation ? strlen(organisation) : 0, domain,
	                       domain ? strlen(domain) : 0, err);
	if (rc != ORG_OK)
		return rc;
	*out = org_alloc();
	(*out)->name = g_strdup(organisation);
	(*out)->domain = g_strdup(domain);
	fail(err, ORG_OK, NULL, NULL, "", NULL);
	return ORG_OK;
}

static const char *const top_known[] = {"organisation", "domain",    "regions", "units",
                                        "staff",        "endpoints", "systems", "aliases"};

/* consume: root is ours; sections are emptied once read (lower peak memory) */
static org_err from_json(json_t *root, bool consume, org **out, org_error *err)
{
	json_t *name, *domain, *arr, *m;
	const char *key;
	org *o = NULL;
	org_err rc;
	size_t i;

	*out = NULL;
	if (!json_is_object(root))
		return fail(err, ORG_ERR_INVALID, NULL, NULL, "not a JSON object", NULL);
	if (json_object_size(root) > ORG_MAX_MEMBERS)
		return fail_n(err, ORG_ERR_LIMIT, NULL, "too many members; the limit is",
		              ORG_MAX_MEMBERS);
	name = json_object_get(root, "organisation");
	domain = json_object_get(root, "domain");
	if (name != NULL && !json_is_null(name) && !json_is_string(name))
		return fail(err, ORG_ERR_INVALID, "organisation", NULL, "not a string", NULL);
	if (domain != NULL && !json_is_string(domain))
		return fail(err, ORG_ERR_INVALID, "domain", NULL, "not a string", NULL);
	rc = check_name_domain(json_string_value(name), json_string_length(name),
	                       json_string_value(domain), json_string_length(domain), err);
	if (rc != ORG_OK)
		return rc;
	o = org_alloc();
	if (json_is_string(name))
		o->name = g_strndup(json_string_value(name), json_string_length(name));
	o->domain = g_strndup(json_string_value(domain), json_string_length(domain));

	for (int k = 0; k < ORG_NKINDS; k++) {
		const struct kind_desc *d = &kinds[k];

		arr = json_object_get(root, d->plural);
		if (arr == NULL && (k == ORG_REGION || k == ORG_UNIT)) {
			rc = fail(err, ORG_ERR_INVALID, d->plural, NULL, "missing", NULL);
			goto bad;
		}
		if (arr == NULL)
			continue;
		if (!json_is_array(arr)) {
			rc = fail(err, ORG_ERR_INVALID, d->plural, NULL, "not an array", NULL);
			goto bad;
		}
		if (json_array_size(arr) > d->max) {
			rc = fail_n(err, ORG_ERR_LIMIT, d->plural, "too many entries; the limit is",
			            d->max);
			goto bad;
		}
		json_array_foreach(arr, i, m)
		{
			char where[48];
			struct rec *r;

			g_snprintf(where, sizeof where, "%s[%zu]", d->plural, i);
			rc = rec_parse(o, (org_kind)k, m, where, NULL, &r, err);
			if (rc != ORG_OK)
				goto bad;
			g_ptr_array_add(o->recs[k], r);
			rec_link(o, (org_kind)k, r, true);
		}
		if (consume)
			json_array_clear(arr);
	}

	arr = json_object_get(root, "aliases");
	if (arr != NULL && !json_is_object(arr)) {
		rc = fail(err, ORG_ERR_INVALID, "aliases", NULL, "not an object", NULL);
		goto bad;
	}
	if (json_object_size(arr) > ORG_MAX_ALIASES) {
		rc = fail_n(err, ORG_ERR_LIMIT, "aliases", "too many entries; the limit is",
		            ORG_MAX_ALIASES);
		goto bad;
	}
	json_object_foreach(arr, key, m)
	{
		char path[128];

		if (!json_is_string(m)) {
			g_snprintf(path, sizeof path, "aliases.\"%.80s\"", key);
			rc = fail(err, ORG_ERR_INVALID, path, NULL, "not a string", NULL);
			goto bad;
		}
		rc = alias_check(o, key, strlen(key), json_string_value(m), json_string_length(m),
		                 NULL, err);
		if (rc != ORG_OK)
			goto bad;
		alias_add(o, key, json_string_value(m));
	}

	json_object_foreach(root, key, m)
	{
		bool known = false;
		char path[64];

		for (size_t j = 0; j < NF(top_known); j++)
			known = known || strcmp(key, top_known[j]) == 0;
		if (known)
			continue;
		g_snprintf(path, sizeof path, "%.40s", key);
		if (strlen(key) > ORG_MAX_TEXT) {
			rc = fail_n(err, ORG_ERR_LIMIT, path,
			            "a member name is too long; the limit in bytes is",
			            ORG_MAX_TEXT);
			goto bad;
		}
		rc = extra_check(m, 1, path, err);
		if (rc != ORG_OK)
			goto bad;
		if (o->extra == NULL)
			o->extra = json_object();
		json_object_set_new(o->extra, key, json_deep_copy(m));
	}
	*out = o;
	fail(err, ORG_OK, NULL, NULL, "", NULL);
	return ORG_OK;
bad:
	org_free(o);
	return rc;
}

org_err org_from_json(const json_t *root, org **out, org_error *err)
{
	return from_json((json_t *)root, false, out, err);
}

/* Counts the JSON values and members ('{', '[', ',' and ':' outside
 * strings) so that a small file of tiny values cannot make jansson build
 * a tree far larger than the organisation could be. */
static size_t count_tokens(const unsigned char *p, size_t n, size_t stop)
{
	size_t count = 1;
	bool in_str = false;

	for (size_t i = 0; i < n && count <= stop; i++) {
		unsigned char c = p[i];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"')
			in_str = true;
		else if (c == '{' || c == '[' || c == ',' || c == ':')
			count++;
	}
	return count;
}

org_err org_load(const void *data, size_t len, org **out, org_error *err)
{
	json_error_t je;
	json_t *root;
	org_err rc;
	char detail[256];

	*out = NULL;
	if (len > ORG_MAX_FILE_BYTES)
		return fail_n(err, ORG_ERR_LIMIT, NULL, "too large; the limit in bytes is",
		              ORG_MAX_FILE_BYTES);
	if (count_tokens(data, len, ORG_MAX_TOKENS) > ORG_MAX_TOKENS)
		return fail_n(err, ORG_ERR_LIMIT, NULL, "too many JSON values; the limit is",
		              ORG_MAX_TOKENS);
	root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		g_snprintf(detail, sizeof detail, "line %d, column %d: %s", je.line, je.column,
		           je.text);
		return fail(err, ORG_ERR_SYNTAX, NULL, NULL, "not valid JSON:", detail);
	}
	rc = from_json(root, true, out, err);
	json_decref(root);
	return rc;
}

org_err org_load_file(const char *path, org **out, org_error *err)
{
	struct stat st;
	int fd;
	GByteArray *buf = NULL;
	org_err rc;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return fail(err, ORG_ERR_IO, NULL, NULL, "cannot read:", g_strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail(err, ORG_ERR_IO, NULL, NULL, "not a regular file", NULL);
	}
	if ((uint64_t)st.st_size > ORG_MAX_FILE_BYTES) {
		close(fd);
		return fail_n(err, ORG_ERR_LIMIT, NULL, "too large; the limit in bytes is",
		              ORG_MAX_FILE_BYTES);
	}
	buf = g_byte_array_sized_new((guint)st.st_size + 1);
	for (;;) {
		guint8 chunk[65536];
		ssize_t n = read(fd, chunk, sizeof chunk);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = fail(err, ORG_ERR_IO, NULL, NULL, "cannot read:", g_strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		/* the file may grow while it is read */
		if ((size_t)n > ORG_MAX_FILE_BYTES - buf->len) {
			rc = fail_n(err, ORG_ERR_LIMIT, NULL, "too large; the limit in bytes is",
			            ORG_MAX_FILE_BYTES);
			goto out;
		}
		g_byte_array_append(buf, chunk, (guint)n);
	}
	rc = org_load(buf->data, buf->len, out, err);
out:
	close(fd);
	g_byte_array_unref(buf);
	return rc;
}

/* ---- output ---- */

static void put_json(GString *g, const json_t *v)
{
	char *s = json_dumps(v, JSON_ENCODE_ANY);

	g_string_append(g, s != NULL ? s : "null");
	free(s);
}

static void put_key(GString *g, bool *first, const char *key)
{
	json_t *k = json_string(key);

	g_string_append(g, *first ? " " : ",\n ");
	*first = false;
	put_json(g, k);
	g_string_append(g, ": ");
	json_decref(k);
}

char *org_dump(const org *o, size_t *len)
{
	GString *g;
	bool first = true;
	const char *key;
	json_t *m;
	size_t records = 0;

	ORG_CHECK(o);
	for (int k = 0; k < ORG_NKINDS; k++)
		records += o->recs[k]->len;
	g = g_string_sized_new(256 + records * 160);
	g_string_append(g, "{\n");
	if (o->name != NULL) {
		m = json_string(o->name);
		put_key(g, &first, "organisation");
		put_json(g, m);
		json_decref(m);
	}
	m = json_string(o->domain);
	put_key(g, &first, "domain");
	put_json(g, m);
	json_decref(m);
	for (int k = 0; k < ORG_NKINDS; k++) {
		put_key(g, &first, kinds[k].plural);
		if (o->recs[k]->len == 0) {
			g_string_append(g, "[]");
			continue;
		}
		g_string_append(g, "[\n");
		for (guint i = 0; i < o->recs[k]->len; i++) {
			json_t *r = rec_json((org_kind)k, g_ptr_array_index(o->recs[k], i));

			g_string_append(g, i ? ",\n  " : "  ");
			put_json(g, r);
			json_decref(r);
		}
		g_string_append(g, "\n ]");
	}
	put_key(g, &first, "aliases");
	if (o->aliases->len == 0) {
		g_string_append(g, "{}");
	} else {
		g_string_append(g, "{\n");
		for (guint i = 0; i < o->aliases->len; i++) {
			const struct alias *a = g_ptr_array_index(o->aliases, i);
			json_t *k = json_string(a->address), *t = json_string(a->target);

			g_string_append(g, i ? ",\n  " : "  ");
			put_json(g, k);
			g_string_append(g, ": ");
			put_json(g, t);
			json_decref(k);
			json_decref(t);
		}
		g_string_append(g, "\n }");
	}
	json_object_foreach(o->extra, key, m)
	{
		put_key(g, &first, key);
		put_json(g, m);
	}
	g_string_append(g, "\n}\n");
	if (len != NULL)
		*len = g->len;
	return g_string_free(g, FALSE);
}

json_t *org_to_json(const org *o)
{
	json_t *root = json_object(), *al = json_object();
	const char *key;
	json_t *m;

	ORG_CHECK(o);
	if (o->name != NULL)
		json_object_set_new(root, "organisation", json_string(o->name));
	json_object_set_new(root, "domain", json_string(o->domain));
	for (int k = 0; k < ORG_NKINDS; k++) {
		json_t *arr = json_array();

		for (guint i = 0; i < o->recs[k]->len; i++)
			json_array_append_new(
			        arr, rec_json((org_kind)k, g_ptr_array_index(o->recs[k], i)));
		json_object_set_new(root, kinds[k].plural, arr);
	}
	for (guint i = 0; i < o->aliases->len; i++) {
		const struct alias *a = g_ptr_array_index(o->aliases, i);

		json_object_set_new(al, a->address, json_string(a->target));
	}
	json_object_set_new(root, "aliases", al);
	json_object_foreach(o->extra, key, m)
	{
		json_object_set(root, key, m);
	}
	return root;
}

org_err org_save_file(const org *o, const char *path, org_error *err)
{
	size_t len;
	char *text = org_dump(o, &len);
	GError *ge = NULL;
	org_err rc = ORG_OK;

	if (!g_file_set_contents_full(path, text, (gssize)len, G_FILE_SET_CONTENTS_CONSISTENT, 0644,
	                              &ge)) {
		rc = fail(err, ORG_ERR_IO, NULL, NULL, "cannot write:", ge->message);
		g_error_free(ge);
	} else {
		fail(err, ORG_OK, NULL, NULL, "", NULL);
	}
	g_free(text);
	return rc;
}

/* ---- lookups ---- */

const char *org_name(const org *o)
{
	ORG_CHECK(o);
	return o->name;
}

const char *org_domain(const org *o)
{
	ORG_CHECK(o);
	return o->domain;
}

size_t org_count(const org *o, org_kind k)
{
	ORG_CHECK(o);
	assert(k < ORG_NKINDS);
	return o->recs[k]->len;
}

static const struct rec *rec_at(const org *o, org_kind k, size_t i)
{
	ORG_CHECK(o);
	return i < o->recs[k]->len ? g_ptr_array_index(o->recs[k], i) : NULL;
}

#define REC_AS(r, member) ((r) != NULL ? &(r)->u.member : NULL)

const org_region *org_region_at(const org *o, size_t i)
{
	const struct rec *r = rec_at(o, ORG_REGION, i);

	return REC_AS(r, region);
}

const org_unit *org_unit_at(const org *o, size_t i)
{
	const struct rec *r = rec_at(o, ORG_UNIT, i);

	return REC_AS(r, unit);
}

const org_staff *org_staff_at(const org *o, size_t i)
{
	const struct rec *r = rec_at(o, ORG_STAFF, i);

	return REC_AS(r, staff);
}

const org_endpoint *org_endpoint_at(const org *o, size_t i)
{
	const struct rec *r = rec_at(o, ORG_ENDPOINT, i);

	return REC_AS(r, endpoint);
}

const org_system *org_system_at(const org *o, size_t i)
{
	const struct rec *r = rec_at(o, ORG_SYSTEM, i);

	return REC_AS(r, system);
}

static const struct rec *rec_get(const org *o, org_kind k, const char *key)
{
	ORG_CHECK(o);
	return find(o, k, key);
}

const org_region *org_region_get(const org *o, const char *id)
{
	const struct rec *r = rec_get(o, ORG_REGION, id);

	return REC_AS(r, region);
}

const org_unit *org_unit_get(const org *o, const char *id)
{
	const struct rec *r = rec_get(o, ORG_UNIT, id);

	return REC_AS(r, unit);
}

const org_staff *org_staff_get(const org *o, const char *id)
{
	const struct rec *r = rec_get(o, ORG_STAFF, id);

	return REC_AS(r, staff);
}

const org_staff *org_staff_by_email(const org *o, const char *email)
{
	const struct rec *r;

	ORG_CHECK(o);
	r = email != NULL ? g_hash_table_lookup(o->by_email, email) : NULL;
	return REC_AS(r, staff);
}

const org_endpoint *org_endpoint_get(const org *o, const char *host)
{
	const struct rec *r = rec_get(o, ORG_ENDPOINT, host);

	return REC_AS(r, endpoint);
}

const org_system *org_system_get(const org *o, const char *id)
{
	const struct rec *r = rec_get(o, ORG_SYSTEM, id);

	return REC_AS(r, system);
}

const org_region *org_unit_region(const org *o, const char *unit_id)
{
	const org_unit *u = org_unit_get(o, unit_id);

	return u != NULL ? org_region_get(o, u->region) : NULL;
}

const org_unit *const *org_region_units(const org *o, const char *region_id, size_t *n)
{
	const struct rec *r = rec_get(o, ORG_REGION, region_id);

	*n = r != NULL ? r->units->len : 0;
	return r != NULL && r->units->len > 0 ? (const org_unit *const *)r->units->pdata : NULL;
}

size_t org_referrers(const org *o, org_kind k, const char *key, org_kind by)
{
	const struct rec *r;

	assert(k < ORG_NKINDS && by < ORG_NKINDS);
	r = rec_get(o, k, key);
	return r != NULL ? r->refs[by] : 0;
}

size_t org_alias_count(const org *o)
{
	ORG_CHECK(o);
	return o->aliases->len;
}

const char *org_alias_get(const org *o, const char *address)
{
	const struct alias *a;

	ORG_CHECK(o);
	a = address != NULL ? g_hash_table_lookup(o->alias_by, address) : NULL;
	return a != NULL ? a->target : NULL;
}

bool org_alias_at(const org *o, size_t i, const char **address, const char **target)
{
	const struct alias *a;

	ORG_CHECK(o);
	if (i >= o->aliases->len)
		return false;
	a = g_ptr_array_index(o->aliases, i);
	*address = a->address;
	*target = a->target;
	return true;
}

json_t *org_item_json(const org *o, org_kind k, const char *key)
{
	const struct rec *r;

	assert(k < ORG_NKINDS);
	r = rec_get(o, k, key);
	return r != NULL ? rec_json(k, r) : NULL;
}

/* ---- edits ---- */

org_err org_add(org *o, org_kind k, const json_t *item, org_error *err)
{
	struct rec *r;
	org_err rc;

	ORG_CHECK(o);
	assert(k < ORG_NKINDS);
	if (o->recs[k]->len >= kinds[k].max)
		return fail_n(err, ORG_ERR_LIMIT, kinds[k].plural, "too many entries; the limit is",
		              kinds[k].max);
	rc = rec_parse(o, k, item, kinds[k].singular, NULL, &r, err);
	if (rc != ORG_OK)
		return rc;
	g_ptr_array_add(o->recs[k], r);
	rec_link(o, k, r, true);
	fail(err, ORG_OK, NULL, NULL, "", NULL);
	return ORG_OK;
}

org_err org_update(org *o, org_kind k, const char *key, const json_t *patch, org_error *err)
{
	const struct kind_desc *d = &kinds[k];
	struct rec *old, *r;
	json_t *merged, *m, *newkey;
	const char *name;
	char path[96];
	org_err rc;
	guint i;

	ORG_CHECK(o);
	assert(k < ORG_NKINDS);
	old = find(o, k, key);
	if (old == NULL)
		return fail(err, ORG_ERR_NOT_FOUND, d->singular, key ? key : "", d->no_such, NULL);
	if (!json_is_object(patch))
		return fail(err, ORG_ERR_INVALID, d->singular, NULL, "not an object", NULL);
	newkey = json_object_get(patch, d->f[0].name);
	if (newkey != NULL &&
	    !(json_is_string(newkey) && strcmp(json_string_value(newkey), old->u.v[0]) == 0)) {
		g_snprintf(path, sizeof path, "%s.%s", d->singular, d->f[0].name);
		return fail(err, ORG_ERR_INVALID, path,
		            json_is_string(newkey) ? json_string_value(newkey) : NULL,
		            "cannot change; remove and add instead", NULL);
	}
	merged = rec_json(k, old);
	json_object_foreach((json_t *)patch, name, m)
	{
		if (json_is_null(m))
			json_object_del(merged, name);
		else
			json_object_set(merged, name, m);
	}
	rc = rec_parse(o, k, merged, d->singular, old, &r, err);
	json_decref(merged);
	if (rc != ORG_OK)
		return rc;
	/* the same key: whatever named the old record names the new one */
	memcpy(r->refs, old->refs, sizeof r->refs);
	if (k == ORG_REGION) {
		g_ptr_array_unref(r->units);
		r->units = old->units;
		old->units = NULL;
	}
	rec_unlink(o, k, old, false);
	rec_link(o, k, r, false);
	if (k == ORG_UNIT) {
		GPtrArray *was = region_list(o, old->u.unit.region);
		GPtrArray *now = region_list(o, r->u.unit.region);

		/* a unit keeps its place among its region's units */
		if (!g_ptr_array_find(was, &old->u.unit, &i))
			assert(!"unit not in its region");
		if (was == now) {
			was->pdata[i] = &r->u.unit;
		} else {
			g_ptr_array_remove_index(was, i);
			g_ptr_array_add(now, &r->u.unit);
		}
	}
	i = (guint)rec_index(o, k, old);
	o->recs[k]->pdata[i] = r;
	rec_free(old);
	fail(err, ORG_OK, NULL, NULL, "", NULL);
	return ORG_OK;
}

/* the first record that names (k, r), as "staff[3]" */
static void first_referrer(const org *o, org_kind k, const struct rec *r, char *buf, size_t cap)
{
	for (int kk = 0; kk < ORG_NKINDS; kk++) {
		if (r->refs[kk] == 0)
			continue;
		for (guint i = 0; i < o->recs[kk]->len; i++) {
			const struct rec *x = g_ptr_array_index(o->recs[kk], i);

			for (size_t f = 0; f < kinds[kk].nf; f++)
				if (kinds[kk].f[f].ref == (int)k && x->u.v[f] != NULL &&
				    ci_equal(x->u.v[f], r->u.v[0])) {
					g_snprintf(buf, cap, "%s[%u]", kinds[kk].plural, i);
					return;
				}
		}
	}
	assert(!"a counted reference was not found");
}

org_err org_remove(org *o, org_kind k, const char *key, org_error *err)
{
	struct rec *r;
	char where[64];

	ORG_CHECK(o);
	assert(k < ORG_NKINDS);
	r = find(o, k, key);
	if (r == NULL)
		return fail(err, ORG_ERR_NOT_FOUND, kinds[k].singular, key ? key : "",
		            kinds[k].no_such, NULL);
	for (int kk = 0; kk < ORG_NKINDS; kk++) {
		if (r->refs[kk] == 0)
			continue;
		first_referrer(o, k, r, where, sizeof where);
		return fail(err, ORG_ERR_IN_USE, kinds[k].singular, r->u.v[0],
		            "still referred to by", where);
	}
	rec_unlink(o, k, r, true);
	g_ptr_array_remove(o->recs[k], r); /* frees it */
	fail(err, ORG_OK, NULL, NULL, "", NULL);
	return ORG_OK;
}

org_err org_alias_set(org *o, const char *address, const char *target, org_error *err)
{
	struct alias *a;
	org_err rc;

	ORG_CHECK(o);
	if (address == NULL || target == NULL)
		return fail(err, ORG_ERR_INVALID, "aliases", NULL, "missing", NULL);
	a = g_hash_table_lookup(o->alias_by, address);
	if (a == NULL && o->aliases->len >= ORG_MAX_ALIASES)
		return fail_n(err, ORG_ERR_LIMIT, "aliases", "too many entries; the limit is",
		              ORG_MAX_ALIASES);
	rc = alias_check(o, address, strlen(address), target, strlen(target), a, err);
	if (rc != ORG_OK)
		return rc;
	if (a == NULL) {
		alias_add(o, address, target);
	} else {
		g_free(a->target);
		a->target = g_strdup(target);
	}
	fail(err, ORG_OK, NULL, NULL, "", NULL);
	return ORG_OK;
}

org_err org_alias_remove(org *o, const char *address, org_error *err)
{
	struct alias *a;

	ORG_CHECK(o);
	a = address != NULL ? g_hash_table_lookup(o->alias_by, address) : NULL;
	if (a == NULL)
		return fail(err, ORG_ERR_NOT_FOUND, "aliases", address ? address : "",
		            "no such alias", NULL);
	g_hash_table_remove(o->alias_by, a->address);
	g_ptr_array_remove(o->aliases, a); /* frees it */
	fail(err, ORG_OK, NULL, NULL, "", NULL);
	return ORG_OK;
}
