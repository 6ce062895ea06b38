/*
 * stix.c - STIX 2.1 bundles to and from vigil's indicators.
 *
 * Import reads a bundle (or one bare STIX object): indicator objects through
 * their patterns, and the cyber-observables vigil can match (file hashes and
 * names, domain names, URLs, e-mail and IP addresses) where they stand on
 * their own or inside observed-data. The patterning language is parsed in
 * full (observation expressions, qualifiers, comparison expressions, every
 * operator and literal) by a recursive descent bounded in length, nesting
 * and number of comparisons, and then reduced to what single-value
 * indicators can say:
 *   - OR: every side on its own;
 *   - AND / FOLLOWEDBY: a file hash identifies the file, so hashes are
 *     taken and the narrowing conditions left out (and listed); an AND
 *     without a hash is left out whole, because one of its parts alone would
 *     match more than the pattern says;
 *   - LIKE and MATCHES become vigil's globs, URL prefixes or plain subject
 *     text when the expression is that simple, and are left out otherwise;
 *   - NOT, !=, <, >, ISSUPERSET, EXISTS and qualifiers cannot be said and
 *     are listed (a qualifier's values are still taken: it only narrows).
 * Every object that gives no indicator, and every part of a pattern that is
 * not taken, is in the result's "skipped" list with the reason: nothing is
 * dropped silently. TLP comes from object_marking_refs (the TLP 1.0 ids of
 * the STIX 2.1 specification, the TLP 2.0 ids of the OASIS TLP 2.0
 * extension, or TLP marking definitions inside the bundle).
 *
 * Export turns an incident document into a bundle: the agency's identity,
 * one indicator per vigil indicator, the TLP 2.0 marking definitions used,
 * and a report that names the incident and refers to the indicators.
 *
 * Ids are deterministic: UUID version 5 in vigil's namespace (exchange.c)
 * of "indicator|TYPE|VALUE", "identity|NAME", "report|INCIDENT-ID", so that
 * exporting the same indicator again (from a later incident, or after an
 * edit) gives the same id, which STIX consumers treat as a new version of
 * the object they already hold, never as a second indicator. "modified" is
 * the time of the export; "created" the indicator's first_seen.
 *
 * Ownership: the caller owns the documents it passes and gets back; the
 * parser's intermediate lists are freed before returning.
 */
#include "stix.h"

#include <stdio.h>
#include <string.h>

/* ---- TLP marking definitions ---- */

/* TLP 1.0: STIX 2.1 specification, section 7.2.1.4 */
static const struct {
	const char *id;
	enum exchange_tlp tlp;
} tlp1_ids[] = {
        {"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", EXCHANGE_TLP_CLEAR},
        {"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", EXCHANGE_TLP_GREEN},
        {"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", EXCHANGE_TLP_AMBER},
        {"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", EXCHANGE_TLP_RED},
};

/* TLP 2.0: the OASIS TLP 2.0 extension (cti-stix-common-objects,
 * extension-definition-specifications/tlp-2.0), indexed by enum exchange_tlp */
static const char *const tlp2_ids[] = {
        "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", /* TLP:CLEAR */
        "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", /* TLP:GREEN */
        "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", /* TLP:AMBER */
        "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", /* TLP:AMBER+STRICT */
        "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", /* TLP:RED */
};
static const char *const tlp2_values[] = {"clear", "green", "amber", "amber+strict", "red"};
#define TLP2_EXTENSION "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
#define TLP2_CREATED "2022-10-01T00:00:00.000Z"

static enum exchange_tlp tlp_of_marking_id(const char *id)
{
	for (size_t i = 0; i < G_N_ELEMENTS(tlp1_ids); i++)
		if (strcmp(id, tlp1_ids[i].id) == 0)
			return tlp1_ids[i].tlp;
	for (size_t i = 0; i < G_N_ELEMENTS(tlp2_ids); i++)
		if (strcmp(id, tlp2_ids[i]) == 0)
			return (enum exchange_tlp)i;
	return EXCHANGE_TLP_NONE;
}

/* A marking-definition object that states a TLP level (TLP 1.0 style
 * definition, or the TLP 2.0 extension) */
static enum exchange_tlp tlp_of_marking_object(const json_t *o)
{
	const json_t *def = json_object_get(o, "definition");
	const json_t *ext = json_object_get(json_object_get(o, "extensions"), TLP2_EXTENSION);
	const char *dt = json_string_value(json_object_get(o, "definition_type"));

	if (json_is_object(ext))
		return exchange_tlp_parse(json_string_value(json_object_get(ext, "tlp_2_0")));
	if (dt != NULL && strcmp(dt, "tlp") == 0 && json_is_object(def))
		return exchange_tlp_parse(json_string_value(json_object_get(def, "tlp")));
	return EXCHANGE_TLP_NONE;
}

/* ---- pattern results ---- */

struct leaf {
	char *type; /* vigil type; NULL: text is a problem */
	char *text; /* normalised value, or the reason */
};

static void leaf_free(gpointer p)
{
	struct leaf *l = p;

	g_free(l->type);
	g_free(l->text);
	g_free(l);
}

static GPtrArray *leaves_new(void)
{
	return g_ptr_array_new_with_free_func(leaf_free);
}

static void add_ok(GPtrArray *r, const char *type, char *value /* taken */)
{
	struct leaf *l = g_new0(struct leaf, 1);

	l->type = g_strdup(type);
	l->text = value;
	g_ptr_array_add(r, l);
}

static void add_bad(GPtrArray *r, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void add_bad(GPtrArray *r, const char *fmt, ...)
{
	struct leaf *l = g_new0(struct leaf, 1);
	va_list ap;

	va_start(ap, fmt);
	l->text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_ptr_array_add(r, l);
}

/* moves every leaf of src to the end of dst; frees src */
static void leaves_move(GPtrArray *dst, GPtrArray *src)
{
	g_ptr_array_set_free_func(src, NULL);
	for (guint i = 0; i < src->len; i++)
		g_ptr_array_add(dst, g_ptr_array_index(src, i));
	g_ptr_array_free(src, TRUE);
}

/* a value for messages: at most 80 bytes */
static char *shorten(const char *s)
{
	if (strlen(s) <= 80)
		return g_strdup(s);
	return g_strdup_printf("%.77s...", s);
}

static bool any_ok(GPtrArray *r);

/* "type value; ..." for messages, bounded; the problems only when there is
 * no value (they are reported on their own otherwise) */
static char *leaves_summary(GPtrArray *r)
{
	GString *g = g_string_new(NULL);
	bool values = any_ok(r);

	for (guint i = 0; i < r->len; i++) {
		struct leaf *l = g_ptr_array_index(r, i);
		char *t;

		if (values && l->type == NULL)
			continue;
		t = shorten(l->text);

		if (g->len > 300) {
			g_string_append(g, "; ...");
			g_free(t);
			break;
		}
		if (g->len > 0)
			g_string_append(g, "; ");
		if (l->type != NULL)
			g_string_append_printf(g, "%s %s", l->type, t);
		else
			g_string_append(g, t);
		g_free(t);
	}
	return g_string_free(g, FALSE);
}

static bool hash_only(GPtrArray *r)
{
	if (r->len == 0)
		return false;
	for (guint i = 0; i < r->len; i++) {
		struct leaf *l = g_ptr_array_index(r, i);

		if (l->type == NULL || !exchange_type_is_hash(l->type))
			return false;
	}
	return true;
}

static bool any_ok(GPtrArray *r)
{
	for (guint i = 0; i < r->len; i++)
		if (((struct leaf *)g_ptr_array_index(r, i))->type != NULL)
			return true;
	return false;
}

/* kids joined by AND (what: "AND", "FOLLOWEDBY"); frees kids */
static GPtrArray *combine_and(GPtrArray *kids, const char *what)
{
	GPtrArray *out = leaves_new();
	bool hashes = false, ok = false;
	char *sum;

	if (kids->len == 1) {
		leaves_move(out, g_ptr_array_steal_index(kids, 0));
		g_ptr_array_free(kids, TRUE);
		return out;
	}
	for (guint i = 0; i < kids->len; i++) {
		hashes |= hash_only(g_ptr_array_index(kids, i));
		ok |= any_ok(g_ptr_array_index(kids, i));
	}
	if (hashes) {
		for (guint i = 0; i < kids->len; i++) {
			GPtrArray *k = g_ptr_array_index(kids, i);

			if (hash_only(k)) {
				kids->pdata[i] = NULL;
				leaves_move(out, k);
				continue;
			}
			sum = leaves_summary(k);
			add_bad(out,
			        "%s (joined by %s with a file hash) left out: the hash identifies "
			        "the file",
			        sum, what);
			g_free(sum);
		}
	} else {
		GString *g = g_string_new(NULL);

		for (guint i = 0; i < kids->len && g->len <= 400; i++) {
			sum = leaves_summary(g_ptr_array_index(kids, i));
			g_string_append_printf(g, "%s(%s)", i > 0 ? (ok ? " " : "; ") : "", sum);
			if (ok && i + 1 < kids->len)
				g_string_append_printf(g, " %s", what);
			g_free(sum);
		}
		if (ok)
			add_bad(out,
			        "%s: conditions joined by %s cannot be expressed by indicators "
			        "that "
			        "match one value each, and one part alone would match more than "
			        "the "
			        "pattern says",
			        g->str, what);
		else
			add_bad(out, "%s", g->str);
		g_string_free(g, TRUE);
	}
	for (guint i = 0; i < kids->len; i++)
		if (kids->pdata[i] != NULL)
			g_ptr_array_free(g_ptr_array_index(kids, i), TRUE);
	g_ptr_array_free(kids, TRUE);
	return out;
}

/* ---- the pattern parser ---- */

struct pp {
	const char *start, *p, *end;
	unsigned depth, tests;
	char *err;
	size_t errlen;
	bool failed;
};

static GPtrArray *perr(struct pp *s, const char *msg)
{
	if (!s->failed)
		snprintf(s->err, s->errlen, "pattern, offset %zu: %s", (size_t)(s->p - s->start),
		         msg);
	s->failed = true;
	return NULL;
}

static void ws(struct pp *s)
{
	while (s->p < s->end && g_ascii_isspace(*s->p))
		s->p++;
}

static bool word_char(char c)
{
	return g_ascii_isalnum(c) || c == '_';
}

/* keyword w (the grammar's keywords are upper case) as a whole word */
static bool kw(struct pp *s, const char *w)
{
	size_t n = strlen(w);

	ws(s);
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, w, n) != 0)
		return false;
	if ((size_t)(s->end - s->p) > n && word_char(s->p[n]))
		return false;
	s->p += n;
	return true;
}

static bool ch(struct pp *s, char c)
{
	ws(s);
	if (s->p < s->end && *s->p == c) {
		s->p++;
		return true;
	}
	return false;
}

/* after the opening quote: \' and \\ are the escapes; any other backslash
 * is kept as it is (regular expressions from lax producers) */
static char *str_lit(struct pp *s)
{
	GString *g = g_string_new(NULL);

	while (s->p < s->end) {
		char c = *s->p++;

		if (c == '\'')
			return g_string_free(g, FALSE);
		if (c == '\\' && s->p < s->end && (*s->p == '\'' || *s->p == '\\'))
			c = *s->p++;
		g_string_append_c(g, c);
	}
	g_string_free(g, TRUE);
	perr(s, "a string is not closed");
	return NULL;
}

enum litk { L_STR, L_TIME, L_HEX, L_BIN, L_NUM, L_BOOL };
static const char *const litk_names[] = {"string",       "timestamp", "hex value",
                                         "binary value", "number",    "boolean"};

struct lit {
	enum litk k;
	char *s;
};

static bool literal(struct pp *s, struct lit *l)
{
	const char *b;

	ws(s);
	l->s = NULL;
	if (s->p >= s->end) {
		perr(s, "a value is missing");
		return false;
	}
	if (*s->p == '\'') {
		s->p++;
		l->k = L_STR;
		l->s = str_lit(s);
		return l->s != NULL;
	}
	if ((*s->p == 't' || *s->p == 'h' || *s->p == 'b') && s->end - s->p > 1 &&
	    s->p[1] == '\'') {
		l->k = *s->p == 't' ? L_TIME : *s->p == 'h' ? L_HEX : L_BIN;
		s->p += 2;
		l->s = str_lit(s);
		return l->s != NULL;
	}
	b = s->p;
	if (*s->p == '-' || *s->p == '+')
		s->p++;
	while (s->p < s->end &&
	       (g_ascii_isdigit(*s->p) || *s->p == '.' || *s->p == 'e' || *s->p == 'E' ||
	        (s->p > b && (*s->p == '-' || *s->p == '+') &&
	         (s->p[-1] == 'e' || s->p[-1] == 'E'))))
		s->p++;
	if (s->p > b && g_ascii_isdigit(s->p[-1])) {
		l->k = L_NUM;
		l->s = g_strndup(b, (gsize)(s->p - b));
		return true;
	}
	s->p = b;
	if (s->end - s->p >= 4 && g_ascii_strncasecmp(s->p, "true", 4) == 0 &&
	    (s->end - s->p == 4 || !word_char(s->p[4]))) {
		s->p += 4;
		l->k = L_BOOL;
		l->s = g_strdup("true");
		return true;
	}
	if (s->end - s->p >= 5 && g_ascii_strncasecmp(s->p, "false", 5) == 0 &&
	    (s->end - s->p == 5 || !word_char(s->p[5]))) {
		s->p += 5;
		l->k = L_BOOL;
		l->s = g_strdup("false");
		return true;
	}
	perr(s, "a value ('string', number, true/false, t'...', h'...', b'...') is expected");
	return false;
}

/* one property name: identifier, or a quoted string ('SHA-256') */
static bool path_component(struct pp *s, GString *g)
{
	const char *b = s->p;

	if (s->p < s->end && *s->p == '\'') {
		char *t;

		s->p++;
		t = str_lit(s);
		if (t == NULL)
			return false;
		g_string_append(g, t);
		g_free(t);
		return true;
	}
	while (s->p < s->end && (word_char(*s->p) || *s->p == '-'))
		s->p++;
	if (s->p == b) {
		perr(s, "a property name is expected");
		return false;
	}
	g_string_append_len(g, b, s->p - b);
	return true;
}

/* object-type:property(.property | [n] | [*])*, list indexes as "[*]" */
static char *object_path(struct pp *s)
{
	const char *b;
	GString *g;

	ws(s);
	b = s->p;
	while (s->p < s->end && (g_ascii_isalnum(*s->p) || *s->p == '-' || *s->p == '_'))
		s->p++;
	if (s->p == b || s->p >= s->end || *s->p != ':') {
		s->p = b;
		perr(s, "an object path (object-type:property) is expected");
		return NULL;
	}
	g = g_string_new(NULL);
	for (const char *q = b; q < s->p; q++)
		g_string_append_c(g, g_ascii_tolower(*q));
	g_string_append_c(g, ':');
	s->p++;
	if (!path_component(s, g))
		goto fail;
	while (s->p < s->end && g->len < 512) {
		if (*s->p == '.') {
			s->p++;
			g_string_append_c(g, '.');
			if (!path_component(s, g))
				goto fail;
		} else if (*s->p == '[') {
			s->p++;
			if (s->p < s->end && *s->p == '*') {
				s->p++;
			} else {
				const char *d = s->p;

				while (s->p < s->end && g_ascii_isdigit(*s->p))
					s->p++;
				if (s->p == d) {
					perr(s, "a list index ([0] or [*]) is expected");
					goto fail;
				}
			}
			if (s->p >= s->end || *s->p != ']') {
				perr(s, "']' is expected after a list index");
				goto fail;
			}
			s->p++;
			g_string_append(g, "[*]");
		} else {
			break;
		}
	}
	if (g->len >= 512) {
		perr(s, "object path too long");
		goto fail;
	}
	return g_string_free(g, FALSE);
fail:
	g_string_free(g, TRUE);
	return NULL;
}

enum op {
	OP_EQ,
	OP_NEQ,
	OP_LT,
	OP_LE,
	OP_GT,
	OP_GE,
	OP_IN,
	OP_LIKE,
	OP_MATCHES,
	OP_SUBSET,
	OP_SUPERSET
};
static const char *const op_names[] = {
        "=", "!=", "<", "<=", ">", ">=", "IN", "LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET"};

static bool parse_op(struct pp *s, enum op *op)
{
	ws(s);
	if (s->end - s->p >= 2) {
		if (memcmp(s->p, "==", 2) == 0) {
			s->p += 2;
			*op = OP_EQ;
			return true;
		}
		if (memcmp(s->p, "!=", 2) == 0 || memcmp(s->p, "<>", 2) == 0) {
			s->p += 2;
			*op = OP_NEQ;
			return true;
		}
		if (memcmp(s->p, "<=", 2) == 0 || memcmp(s->p, ">=", 2) == 0) {
			*op = *s->p == '<' ? OP_LE : OP_GE;
			s->p += 2;
			return true;
		}
	}
	if (s->p < s->end && (*s->p == '=' || *s->p == '<' || *s->p == '>')) {
		*op = *s->p == '=' ? OP_EQ : *s->p == '<' ? OP_LT : OP_GT;
		s->p++;
		return true;
	}
	if (kw(s, "IN"))
		*op = OP_IN;
	else if (kw(s, "LIKE"))
		*op = OP_LIKE;
	else if (kw(s, "MATCHES"))
		*op = OP_MATCHES;
	else if (kw(s, "ISSUBSET"))
		*op = OP_SUBSET;
	else if (kw(s, "ISSUPERSET"))
		*op = OP_SUPERSET;
	else {
		perr(s, "a comparison operator is expected");
		return false;
	}
	return true;
}

/* ---- object paths -> vigil types ---- */

/* vigil type for a path; "host" when the value decides (ip or domain);
 * NULL with the reason in why */
static const char *path_type(const char *path, char *why, size_t whylen)
{
	static const struct {
		const char *path, *type;
	} map[] = {
	        {"email-addr:value", "email"},
	        {"email-message:from_ref.value", "email"},
	        {"email-message:sender_ref.value", "email"},
	        {"domain-name:value", "domain"},
	        {"url:value", "url"},
	        {"ipv4-addr:value", "ipv4"},
	        {"ipv6-addr:value", "ipv6"},
	        {"network-traffic:dst_ref.value", "host"},
	        {"network-traffic:src_ref.value", "host"},
	        {"file:name", "filename"},
	        {"email-message:body_multipart[*].body_raw_ref.name", "filename"},
	        {"email-message:subject", "subject"},
	        {"email-message:message_id", "message_id"},
	};
	const char *h;

	for (size_t i = 0; i < G_N_ELEMENTS(map); i++)
		if (strcmp(path, map[i].path) == 0)
			return map[i].type;
	if (g_str_has_prefix(path, "email-message:to_refs") ||
	    g_str_has_prefix(path, "email-message:cc_refs") ||
	    g_str_has_prefix(path, "email-message:bcc_refs")) {
		snprintf(why, whylen,
		         "a recipient address is the target, not the attacker; vigil matches "
		         "senders");
		return NULL;
	}
	/* file, artifact or e-mail part hashes: ...hashes.ALGORITHM */
	h = strstr(path, "hashes.");
	if (h != NULL && (h[-1] == '.' || h[-1] == ':') && strchr(h + 7, '.') == NULL &&
	    (g_str_has_prefix(path, "file:") || g_str_has_prefix(path, "artifact:") ||
	     g_str_has_prefix(path, "email-message:"))) {
		char alg[32];
		size_t n = 0;

		for (const char *p = h + 7; *p && n + 1 < sizeof alg; p++)
			if (*p != '-' && *p != '_')
				alg[n++] = g_ascii_toupper(*p);
		alg[n] = 0;
		if (strcmp(alg, "MD5") == 0)
			return "md5";
		if (strcmp(alg, "SHA1") == 0)
			return "sha1";
		if (strcmp(alg, "SHA256") == 0)
			return "sha256";
		snprintf(why, whylen, "hash algorithm %s: vigil computes MD5, SHA-1 and SHA-256",
		         h + 7);
		return NULL;
	}
	snprintf(why, whylen, "no vigil indicator type for this object path");
	return NULL;
}

/* ---- LIKE and MATCHES -> globs, prefixes, plain text ---- */

#define WILD_ANY '\x01' /* any run of characters */
#define WILD_ONE '\x02' /* one character */

struct mspec {
	GString *s;        /* literal text and WILD_* */
	bool as, ae;       /* anchored at the start / end */
	bool lit_wild;     /* a literal '*' or '?' */
	bool lit_star_end; /* ends with a literal '*' */
};

static void mspec_lit(struct mspec *m, char c)
{
	g_string_append_c(m->s, c);
	m->lit_wild |= c == '*' || c == '?';
	m->lit_star_end = c == '*';
}

static void mspec_wild(struct mspec *m, char w)
{
	g_string_append_c(m->s, w);
	m->lit_star_end = false;
}

/* SQL LIKE: % any run, _ one character, anchored at both ends */
static void like_spec(const char *v, struct mspec *m)
{
	m->s = g_string_new(NULL);
	m->as = m->ae = true;
	m->lit_wild = m->lit_star_end = false;
	for (; *v; v++) {
		if (*v == '%')
			mspec_wild(m, WILD_ANY);
		else if (*v == '_')
			mspec_wild(m, WILD_ONE);
		else
			mspec_lit(m, *v);
	}
}

/* The regular expressions that say no more than a glob: literals, escaped
 * punctuation, '.', '.*', '.+', '^' and '$' (and a leading "(?i)", as vigil
 * compares without case anyway). Returns the reason when it is more. */
static const char *regex_spec(const char *re, struct mspec *m)
{
	const char *p = re;

	m->s = g_string_new(NULL);
	m->as = m->ae = m->lit_wild = m->lit_star_end = false;
	if (g_str_has_prefix(p, "(?i)"))
		p += 4;
	if (*p == '^') {
		m->as = true;
		p++;
	}
	while (*p) {
		if (*p == '$' && p[1] == 0) {
			m->ae = true;
			break;
		}
		if (*p == '\\') {
			if (p[1] == 0 || g_ascii_isalnum(p[1]))
				return "a character class or escape sequence (\\d, \\w, ...)";
			mspec_lit(m, p[1]);
			p += 2;
		} else if (*p == '.') {
			if (p[1] == '*') {
				mspec_wild(m, WILD_ANY);
				p += 2;
			} else if (p[1] == '+') {
				mspec_wild(m, WILD_ONE);
				mspec_wild(m, WILD_ANY);
				p += 2;
			} else if (p[1] == '?' || p[1] == '{') {
				return "a counted or optional '.'";
			} else {
				mspec_wild(m, WILD_ONE);
				p++;
			}
		} else if (strchr("*+?()[]{}|^$", *p) != NULL) {
			return "groups, alternatives, character sets or repetitions";
		} else {
			mspec_lit(m, *p);
			p++;
		}
	}
	return NULL;
}

static bool has_wild(const char *s)
{
	return strchr(s, WILD_ANY) != NULL || strchr(s, WILD_ONE) != NULL;
}

/* The value a LIKE/MATCHES on a path of type gives, or NULL and why. */
static char *mspec_value(const char *type, struct mspec *m, const char **why)
{
	GString *s = m->s;

	if (strcmp(type, "filename") == 0) {
		GString *g = g_string_new(m->as ? "" : "*");

		if (m->lit_wild) {
			*why = "a literal '*' or '?' cannot be in a file name glob";
			g_string_free(g, TRUE);
			return NULL;
		}
		for (gsize i = 0; i < s->len; i++)
			g_string_append_c(g, s->str[i] == WILD_ANY   ? '*'
			                     : s->str[i] == WILD_ONE ? '?'
			                                             : s->str[i]);
		if (!m->ae)
			g_string_append_c(g, '*');
		return g_string_free(g, FALSE);
	}
	if (strcmp(type, "subject") == 0) {
		/* vigil looks for the subject text anywhere: anchors only narrow */
		gsize b = 0, e = s->len;

		while (b < e && s->str[b] == WILD_ANY)
			b++;
		while (e > b && s->str[e - 1] == WILD_ANY)
			e--;
		if (memchr(s->str + b, WILD_ANY, e - b) != NULL ||
		    memchr(s->str + b, WILD_ONE, e - b) != NULL) {
			*why = "wildcards inside a subject; vigil matches subjects as plain text";
			return NULL;
		}
		return g_strndup(s->str + b, e - b);
	}
	if (strcmp(type, "url") == 0) {
		gsize e = s->len;
		bool prefix = !m->ae;

		if (!m->as) {
			*why = "a URL pattern must be anchored at the start";
			return NULL;
		}
		if (e > 0 && s->str[e - 1] == WILD_ANY) {
			e--;
			prefix = true;
		}
		if (memchr(s->str, WILD_ANY, e) != NULL || memchr(s->str, WILD_ONE, e) != NULL) {
			*why = "wildcards inside a URL; vigil matches URLs and URL prefixes";
			return NULL;
		}
		if (prefix && m->lit_star_end && e == s->len) {
			*why = "a URL ending in a literal '*'";
			return NULL;
		}
		return g_strdup_printf("%.*s%s", (int)e, s->str, prefix ? "*" : "");
	}
	if (strcmp(type, "domain") == 0 && m->ae && !has_wild(s->str + 1) && s->len > 1 &&
	    ((s->str[0] == WILD_ANY && s->str[1] == '.') || (!m->as && s->str[0] == '.'))) {
		/* "*.example.org": vigil's domains include their subdomains */
		return g_strdup(s->str + (s->str[0] == '.' ? 1 : 2));
	}
	if (!m->as || !m->ae || has_wild(s->str)) {
		*why = "a pattern where vigil needs one exact value";
		return NULL;
	}
	return g_strdup(s->str);
}

/* ---- comparisons ---- */

static void take_value(GPtrArray *r, const char *type, const char *path, const char *opname,
                       const char *lit, const char *value)
{
	char *norm = NULL, *l;
	const char *why;

	if (strcmp(type, "host") == 0)
		type = exchange_host_type(value);
	why = exchange_check(type, value, &norm);
	if (why == NULL) {
		add_ok(r, type, norm);
		return;
	}
	l = shorten(lit);
	add_bad(r, "%s %s '%s': %s", path, opname, l, why);
	g_free(l);
}

static GPtrArray *evaluate(const char *path, bool neg, enum op op, struct lit *lits, size_t n)
{
	GPtrArray *r = leaves_new();
	char why[160];
	const char *type = path_type(path, why, sizeof why);

	if (type == NULL) {
		add_bad(r, "%s: %s", path, why);
		return r;
	}
	if (neg || op == OP_NEQ || op == OP_LT || op == OP_LE || op == OP_GT || op == OP_GE ||
	    op == OP_SUPERSET) {
		add_bad(r,
		        "%s %s%s: only =, IN, LIKE, MATCHES and ISSUBSET can become vigil "
		        "indicators",
		        path, neg ? "NOT " : "", op_names[op]);
		return r;
	}
	for (size_t i = 0; i < n; i++) {
		struct mspec m = {0};
		const char *mwhy = NULL;
		char *v, *l;

		if (lits[i].k != L_STR) {
			add_bad(r, "%s %s: compared with a %s, not a string", path, op_names[op],
			        litk_names[lits[i].k]);
			continue;
		}
		switch (op) {
		case OP_EQ:
		case OP_IN:
			take_value(r, type, path, "=", lits[i].s, lits[i].s);
			continue;
		case OP_SUBSET:
			if (strcmp(type, "ipv4") == 0 || strcmp(type, "ipv6") == 0 ||
			    strcmp(type, "host") == 0)
				take_value(r, type, path, "ISSUBSET", lits[i].s, lits[i].s);
			else
				add_bad(r, "%s ISSUBSET: only addresses can be subsets", path);
			continue;
		case OP_LIKE:
			like_spec(lits[i].s, &m);
			break;
		default:
			mwhy = regex_spec(lits[i].s, &m);
			break;
		}
		v = mwhy == NULL
		            ? mspec_value(strcmp(type, "host") == 0 ? "domain" : type, &m, &mwhy)
		            : NULL;
		g_string_free(m.s, TRUE);
		if (v == NULL) {
			l = shorten(lits[i].s);
			add_bad(r, "%s %s '%s': %s", path, op_names[op], l, mwhy);
			g_free(l);
			continue;
		}
		take_value(r, type, path, op_names[op], lits[i].s, v);
		g_free(v);
	}
	return r;
}

static GPtrArray *cmp_or(struct pp *s);

static GPtrArray *prop_test(struct pp *s)
{
	struct lit lits[64];
	size_t n = 0;
	bool neg;
	enum op op;
	char *path;
	GPtrArray *r = NULL;

	if (kw(s, "EXISTS")) {
		path = object_path(s);
		if (path == NULL)
			return NULL;
		if (++s->tests > STIX_MAX_TESTS) {
			g_free(path);
			return perr(s, "too many comparisons");
		}
		r = leaves_new();
		add_bad(r,
		        "EXISTS %s: vigil indicators match values, not the presence of a property",
		        path);
		g_free(path);
		return r;
	}
	path = object_path(s);
	if (path == NULL)
		return NULL;
	neg = kw(s, "NOT");
	if (!parse_op(s, &op))
		goto out;
	if (op == OP_IN) {
		if (!ch(s, '(')) {
			perr(s, "'(' is expected after IN");
			goto out;
		}
		do {
			if (n == G_N_ELEMENTS(lits)) {
				perr(s, "more than 64 values in a set");
				goto out;
			}
			if (!literal(s, &lits[n]))
				goto out;
			n++;
		} while (ch(s, ','));
		if (!ch(s, ')')) {
			perr(s, "')' is expected after a set");
			goto out;
		}
	} else {
		if (!literal(s, &lits[0]))
			goto out;
		n = 1;
	}
	s->tests += (unsigned)n;
	if (s->tests > STIX_MAX_TESTS) {
		perr(s, "too many comparisons");
		goto out;
	}
	r = evaluate(path, neg, op, lits, n);
out:
	for (size_t i = 0; i < n; i++)
		g_free(lits[i].s);
	g_free(path);
	return r;
}

static GPtrArray *cmp_unit(struct pp *s)
{
	GPtrArray *r;

	if (!ch(s, '('))
		return prop_test(s);
	if (++s->depth > STIX_MAX_NESTING)
		return perr(s, "nested too deeply");
	r = cmp_or(s);
	if (r != NULL && !ch(s, ')')) {
		g_ptr_array_free(r, TRUE);
		return perr(s, "')' is expected");
	}
	s->depth--;
	return r;
}

static GPtrArray *cmp_and(struct pp *s)
{
	GPtrArray *kids = g_ptr_array_new();

	do {
		GPtrArray *k = cmp_unit(s);

		if (k == NULL) {
			g_ptr_array_set_free_func(kids, (GDestroyNotify)g_ptr_array_unref);
			g_ptr_array_free(kids, TRUE);
			return NULL;
		}
		g_ptr_array_add(kids, k);
	} while (kw(s, "AND"));
	return combine_and(kids, "AND");
}

static GPtrArray *cmp_or(struct pp *s)
{
	GPtrArray *r = NULL;

	do {
		GPtrArray *k = cmp_and(s);

		if (k == NULL) {
			if (r != NULL)
				g_ptr_array_free(r, TRUE);
			return NULL;
		}
		if (r == NULL)
			r = k;
		else
			leaves_move(r, k);
	} while (kw(s, "OR"));
	return r;
}

static GPtrArray *obs_expr(struct pp *s);

/* a qualifier's values are still taken: it only narrows when they count */
static bool qualifier(struct pp *s, GPtrArray *r)
{
	struct lit a = {0}, b = {0};
	bool ok = false;

	if (kw(s, "WITHIN")) {
		if (literal(s, &a) && kw(s, "SECONDS")) {
			add_bad(r,
			        "qualifier WITHIN %s SECONDS ignored: vigil matches each value on "
			        "its own",
			        a.s);
			ok = true;
		} else {
			perr(s, "WITHIN needs a number and SECONDS");
		}
	} else if (kw(s, "REPEATS")) {
		if (literal(s, &a) && kw(s, "TIMES")) {
			add_bad(r,
			        "qualifier REPEATS %s TIMES ignored: vigil matches each value on "
			        "its own",
			        a.s);
			ok = true;
		} else {
			perr(s, "REPEATS needs a number and TIMES");
		}
	} else if (kw(s, "START")) {
		if (literal(s, &a) && kw(s, "STOP") && literal(s, &b)) {
			add_bad(r,
			        "qualifier START %s STOP %s ignored: vigil matches each value on "
			        "its own",
			        a.s, b.s);
			ok = true;
		} else {
			perr(s, "START needs a time, STOP and a time");
		}
	}
	g_free(a.s);
	g_free(b.s);
	return ok;
}

static GPtrArray *obs_unit(struct pp *s)
{
	GPtrArray *r;

	if (++s->depth > STIX_MAX_NESTING)
		return perr(s, "nested too deeply");
	if (ch(s, '[')) {
		r = cmp_or(s);
		if (r != NULL && !ch(s, ']')) {
			g_ptr_array_free(r, TRUE);
			return perr(s, "']' is expected");
		}
	} else if (ch(s, '(')) {
		r = obs_expr(s);
		if (r != NULL && !ch(s, ')')) {
			g_ptr_array_free(r, TRUE);
			return perr(s, "')' is expected");
		}
	} else {
		return perr(s, "'[' is expected");
	}
	if (r == NULL)
		return NULL;
	s->depth--;
	while (!s->failed && qualifier(s, r))
		;
	if (s->failed) {
		g_ptr_array_free(r, TRUE);
		return NULL;
	}
	return r;
}

static GPtrArray *obs_and(struct pp *s)
{
	GPtrArray *kids = g_ptr_array_new();

	do {
		GPtrArray *k = obs_unit(s);

		if (k == NULL) {
			g_ptr_array_set_free_func(kids, (GDestroyNotify)g_ptr_array_unref);
			g_ptr_array_free(kids, TRUE);
			return NULL;
		}
		g_ptr_array_add(kids, k);
	} while (kw(s, "AND"));
	return combine_and(kids, "AND");
}

static GPtrArray *obs_or(struct pp *s)
{
	GPtrArray *r = NULL;

	do {
		GPtrArray *k = obs_and(s);

		if (k == NULL) {
			if (r != NULL)
				g_ptr_array_free(r, TRUE);
			return NULL;
		}
		if (r == NULL)
			r = k;
		else
			leaves_move(r, k);
	} while (kw(s, "OR"));
	return r;
}

static GPtrArray *obs_expr(struct pp *s)
{
	GPtrArray *kids = g_ptr_array_new();

	do {
		GPtrArray *k = obs_or(s);

		if (k == NULL) {
			g_ptr_array_set_free_func(kids, (GDestroyNotify)g_ptr_array_unref);
			g_ptr_array_free(kids, TRUE);
			return NULL;
		}
		g_ptr_array_add(kids, k);
	} while (kw(s, "FOLLOWEDBY"));
	return combine_and(kids, "FOLLOWEDBY");
}

bool stix_pattern_parse(const char *pattern, size_t len, const stix_pattern_cb *cb, char *err,
                        size_t errlen)
{
	struct pp s = {0};
	GPtrArray *r;

	if (len > STIX_MAX_PATTERN) {
		snprintf(err, errlen, "pattern of %zu bytes; the limit is %u", len,
		         STIX_MAX_PATTERN);
		return false;
	}
	if (memchr(pattern, 0, len) != NULL) {
		snprintf(err, errlen, "NUL byte in the pattern");
		return false;
	}
	s.start = s.p = pattern;
	s.end = pattern + len;
	s.err = err;
	s.errlen = errlen;
	r = obs_expr(&s);
	if (r != NULL) {
		ws(&s);
		if (s.p != s.end) {
			perr(&s, "unexpected text after the pattern");
			g_ptr_array_free(r, TRUE);
			r = NULL;
		}
	}
	if (r == NULL)
		return false;
	for (guint i = 0; i < r->len; i++) {
		struct leaf *l = g_ptr_array_index(r, i);

		if (l->type != NULL)
			cb->ok(cb->arg, l->type, l->text);
		else
			cb->bad(cb->arg, l->text);
	}
	g_ptr_array_free(r, TRUE);
	return true;
}

/* ---- building patterns ---- */

static void quote(GString *g, const char *v)
{
	g_string_append_c(g, '\'');
	for (; *v; v++) {
		if (*v == '\'' || *v == '\\')
			g_string_append_c(g, '\\');
		g_string_append_c(g, *v);
	}
	g_string_append_c(g, '\'');
}

static void regex_lit(GString *g, const char *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (strchr(".^$*+?()[]{}|\\", v[i]) != NULL)
			g_string_append_c(g, '\\');
		g_string_append_c(g, v[i]);
	}
}

char *stix_pattern_for(const char *type, const char *value)
{
	GString *g = g_string_new("[");
	size_t n = strlen(value);

	if (strcmp(type, "sha256") == 0) {
		g_string_append(g, "file:hashes.'SHA-256' = ");
	} else if (strcmp(type, "sha1") == 0) {
		g_string_append(g, "file:hashes.'SHA-1' = ");
	} else if (strcmp(type, "md5") == 0) {
		g_string_append(g, "file:hashes.MD5 = ");
	} else if (strcmp(type, "email") == 0) {
		g_string_append(g, "email-addr:value = ");
	} else if (strcmp(type, "domain") == 0) {
		g_string_append(g, "domain-name:value = ");
	} else if (strcmp(type, "ipv4") == 0) {
		g_string_append(g, "ipv4-addr:value = ");
	} else if (strcmp(type, "ipv6") == 0) {
		g_string_append(g, "ipv6-addr:value = ");
	} else if (strcmp(type, "subject") == 0) {
		g_string_append(g, "email-message:subject = ");
	} else if (strcmp(type, "message_id") == 0) {
		g_string_append(g, "email-message:message_id = ");
	} else if (strcmp(type, "url") == 0 && n > 0 && value[n - 1] == '*') {
		/* vigil's URL prefix: a regular expression anchored at the start */
		GString *re = g_string_new("^");

		regex_lit(re, value, n - 1);
		g_string_append(g, "url:value MATCHES ");
		quote(g, re->str);
		g_string_append_c(g, ']');
		g_string_free(re, TRUE);
		return g_string_free(g, FALSE);
	} else if (strcmp(type, "url") == 0) {
		g_string_append(g, "url:value = ");
	} else if (strcmp(type, "filename") == 0 && strpbrk(value, "*?") != NULL) {
		/* a glob: the same as an anchored regular expression */
		GString *re = g_string_new("^");

		for (size_t i = 0; i < n; i++) {
			if (value[i] == '*')
				g_string_append(re, ".*");
			else if (value[i] == '?')
				g_string_append_c(re, '.');
			else
				regex_lit(re, value + i, 1);
		}
		g_string_append_c(re, '$');
		g_string_append(g, "file:name MATCHES ");
		quote(g, re->str);
		g_string_append_c(g, ']');
		g_string_free(re, TRUE);
		return g_string_free(g, FALSE);
	} else {
		g_string_append(g, "file:name = ");
	}
	quote(g, value);
	g_string_append_c(g, ']');
	return g_string_free(g, FALSE);
}

/* ---- import ---- */

struct imp {
	exchange_ctx *c;
	const stix_import_opts *o;
	enum exchange_tlp def_tlp;
	GHashTable *identities; /* id -> name (borrowed) */
	GHashTable *markings;   /* id -> TLP level + 1 (bundle's own TLP markings) */
	GHashTable *related;    /* SCO id -> name of an object related to it */
	/* the indicator being read */
	const char *obj_type, *obj_id, *desc, *source;
	enum exchange_tlp tlp;
	gint64 first_seen, valid_until;
	size_t taken;
};

static enum exchange_tlp object_tlp(struct imp *m, const json_t *o)
{
	enum exchange_tlp best = EXCHANGE_TLP_NONE;
	const json_t *refs = json_object_get(o, "object_marking_refs");
	size_t i;
	json_t *e;

	json_array_foreach(refs, i, e)
	{
		const char *id = json_string_value(e);
		enum exchange_tlp t;
		gpointer v;

		if (id == NULL || i >= 64)
			continue;
		t = tlp_of_marking_id(id);
		if (t == EXCHANGE_TLP_NONE && (v = g_hash_table_lookup(m->markings, id)) != NULL)
			t = (enum exchange_tlp)(GPOINTER_TO_INT(v) - 1);
		if (t > best)
			best = t;
	}
	return best == EXCHANGE_TLP_NONE ? m->def_tlp : best;
}

static void pattern_ok(void *arg, const char *type, const char *value)
{
	struct imp *m = arg;

	exchange_add(m->c, type, value, m->desc, m->tlp, m->first_seen, m->valid_until, m->source);
	m->taken++;
}

static void pattern_bad(void *arg, const char *reason)
{
	struct imp *m = arg;

	exchange_skip(m->c, m->obj_type, m->obj_id, "%s", reason);
}

static const char *str_or(const json_t *o, const char *key, const char *def)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL && *s ? s : def;
}

static gint64 time_of(const json_t *o, const char *key)
{
	gint64 ms;

	if (exchange_time_parse(json_string_value(json_object_get(o, key)), &ms))
		return ms;
	return -1;
}

static void import_indicator(struct imp *m, const json_t *o)
{
	const char *pt = json_string_value(json_object_get(o, "pattern_type"));
	const json_t *pj = json_object_get(o, "pattern");
	stix_pattern_cb cb = {pattern_ok, pattern_bad, m};
	char err[200];

	if (pt != NULL && strcmp(pt, "stix") != 0) {
		exchange_skip(m->c, m->obj_type, m->obj_id,
		              "pattern_type %s: only STIX patterning can be read", pt);
		return;
	}
	if (!json_is_string(pj)) {
		exchange_skip(m->c, m->obj_type, m->obj_id, "no pattern");
		return;
	}
	m->desc = str_or(o, "description", str_or(o, "name", ""));
	m->source = str_or(o, "x_vigil_source", NULL);
	if (m->source == NULL) {
		const char *by = json_string_value(json_object_get(o, "created_by_ref"));

		m->source = by != NULL ? g_hash_table_lookup(m->identities, by) : NULL;
	}
	if (m->source == NULL)
		m->source = m->o->default_source != NULL ? m->o->default_source : "STIX";
	m->first_seen = time_of(o, "valid_from");
	if (m->first_seen < 0)
		m->first_seen = time_of(o, "created");
	m->valid_until = time_of(o, "valid_until");
	if (!stix_pattern_parse(json_string_value(pj), json_string_length(pj), &cb, err,
	                        sizeof err))
		exchange_skip(m->c, m->obj_type, m->obj_id, "%s", err);
}

static void sco_value(struct imp *m, const char *type, const char *value)
{
	char *norm = NULL;
	const char *why = exchange_check(type, value, &norm);

	if (why != NULL) {
		char *v = shorten(value != NULL ? value : "");

		exchange_skip(m->c, m->obj_type, m->obj_id, "'%s': %s", v, why);
		g_free(v);
		return;
	}
	exchange_add(m->c, type, norm, m->desc, m->tlp, -1, -1, m->source);
	m->taken++;
	g_free(norm);
}

/* A cyber-observable object; returns false when vigil has no type for it */
static bool import_sco(struct imp *m, const json_t *o)
{
	const char *t = m->obj_type;
	const char *value = json_string_value(json_object_get(o, "value"));

	if (strcmp(t, "domain-name") == 0)
		sco_value(m, "domain", value);
	else if (strcmp(t, "url") == 0)
		sco_value(m, "url", value);
	else if (strcmp(t, "email-addr") == 0)
		sco_value(m, "email", value);
	else if (strcmp(t, "ipv4-addr") == 0)
		sco_value(m, "ipv4", value);
	else if (strcmp(t, "ipv6-addr") == 0)
		sco_value(m, "ipv6", value);
	else if (strcmp(t, "file") == 0 || strcmp(t, "artifact") == 0) {
		/* the hashes identify the file; its name alone only when there is none */
		const json_t *hashes = json_object_get(o, "hashes");
		const char *k;
		json_t *v;
		size_t tried = 0;

		json_object_foreach((json_t *)hashes, k, v)
		{
			char why[160];
			const char *ht;
			char *path = g_strconcat("file:hashes.", k, NULL);

			ht = path_type(path, why, sizeof why);
			g_free(path);
			if (ht != NULL) {
				sco_value(m, ht, json_string_value(v));
				tried++;
			}
		}
		if (tried == 0 && json_is_string(json_object_get(o, "name")))
			sco_value(m, "filename", json_string_value(json_object_get(o, "name")));
		else if (tried == 0)
			exchange_skip(m->c, t, m->obj_id,
			              "a file without an MD5, SHA-1 or SHA-256 hash or a name");
	} else {
		return false;
	}
	return true;
}

static bool is_sco(const char *t)
{
	static const char *const scos[] = {"domain-name", "url",  "email-addr", "ipv4-addr",
	                                   "ipv6-addr",   "file", "artifact"};

	for (size_t i = 0; i < G_N_ELEMENTS(scos); i++)
		if (strcmp(t, scos[i]) == 0)
			return true;
	return false;
}

/* relationships and observed-data give observables a description: the name
 * of the infrastructure, malware or report they belong to */
static void index_related(struct imp *m, const json_t *objs, GHashTable *names)
{
	size_t i;
	json_t *o;

	json_array_foreach(objs, i, o)
	{
		const char *t = json_string_value(json_object_get(o, "type"));

		if (t == NULL)
			continue;
		if (strcmp(t, "relationship") == 0) {
			const char *src = json_string_value(json_object_get(o, "source_ref"));
			const char *dst = json_string_value(json_object_get(o, "target_ref"));
			const char *n;

			if (src == NULL || dst == NULL)
				continue;
			if ((n = g_hash_table_lookup(names, src)) != NULL)
				g_hash_table_insert(m->related, (gpointer)dst, (gpointer)n);
			else if ((n = g_hash_table_lookup(names, dst)) != NULL)
				g_hash_table_insert(m->related, (gpointer)src, (gpointer)n);
		}
	}
}

static void import_object(struct imp *m, const json_t *o, size_t idx)
{
	char where[48];
	const char *t = json_string_value(json_object_get(o, "type"));
	const char *id = json_string_value(json_object_get(o, "id"));
	json_t *rv = json_object_get(o, "revoked");

	snprintf(where, sizeof where, "objects[%zu]", idx);
	if (!json_is_object(o) || t == NULL) {
		exchange_skip(m->c, "?", where, "not a STIX object (no type)");
		return;
	}
	m->obj_type = t;
	m->obj_id = id != NULL ? id : where;
	m->taken = 0;
	m->tlp = object_tlp(m, o);
	m->desc = "";
	m->source = m->o->default_source != NULL ? m->o->default_source : "STIX";
	if (json_is_true(rv)) {
		exchange_skip(m->c, t, m->obj_id, "revoked");
		return;
	}
	if (strcmp(t, "indicator") == 0) {
		import_indicator(m, o);
		return;
	}
	if (is_sco(t)) {
		const char *rel = id != NULL ? g_hash_table_lookup(m->related, id) : NULL;

		m->desc = rel != NULL ? rel : "";
		import_sco(m, o);
		return;
	}
	if (strcmp(t, "observed-data") == 0) {
		/* STIX 2.0's embedded observables (deprecated in 2.1, still written) */
		const json_t *emb = json_object_get(o, "objects");
		const char *k;
		json_t *v;
		size_t n = 0;

		json_object_foreach((json_t *)emb, k, v)
		{
			const char *et = json_string_value(json_object_get(v, "type"));

			if (++n > 1000)
				break;
			m->obj_type = et != NULL ? et : "?";
			if (et == NULL || !is_sco(et) || !import_sco(m, v))
				exchange_skip(m->c, m->obj_type, m->obj_id,
				              "observable %s: no vigil indicator type for it", k);
		}
		if (m->taken == 0)
			exchange_skip(m->c, t, m->obj_id,
			              "observed-data: the observables it refers to are read where "
			              "they stand in the bundle");
		return;
	}
	if (strcmp(t, "marking-definition") == 0) {
		exchange_skip(
		        m->c, t, m->obj_id,
		        tlp_of_marking_object(o) != EXCHANGE_TLP_NONE
		                ? "marking definition: read as the TLP of the objects it marks"
		                : "marking definition: not a TLP marking");
		return;
	}
	if (strcmp(t, "identity") == 0) {
		exchange_skip(m->c, t, m->obj_id,
		              "identity: read as the source of the indicators it created");
		return;
	}
	if (strcmp(t, "relationship") == 0 || strcmp(t, "sighting") == 0) {
		exchange_skip(m->c, t, m->obj_id, "%s: context, no indicator in it", t);
		return;
	}
	exchange_skip(m->c, t, m->obj_id, "%s: no indicator in this kind of object", t);
}

exchange_err stix_import(const json_t *doc, const stix_import_opts *o, json_t **out, char *err,
                         size_t errlen)
{
	static const stix_import_opts defaults = {0};
	exchange_ctx c;
	struct imp m = {0};
	json_t *objs, *single = NULL;
	GHashTable *names;
	const char *t;
	size_t i, n;
	json_t *e;

	*out = NULL;
	if (o == NULL)
		o = &defaults;
	if (!json_is_object(doc)) {
		snprintf(err, errlen, "a STIX bundle is a JSON object");
		return EXCHANGE_EFORMAT;
	}
	t = json_string_value(json_object_get(doc, "type"));
	if (t == NULL) {
		snprintf(err, errlen, "not STIX: no \"type\"");
		return EXCHANGE_EFORMAT;
	}
	if (strcmp(t, "bundle") == 0) {
		objs = json_object_get(doc, "objects");
		if (objs != NULL && !json_is_array(objs)) {
			snprintf(err, errlen, "the bundle's \"objects\" is not an array");
			return EXCHANGE_EFORMAT;
		}
	} else if (json_is_string(json_object_get(doc, "id"))) {
		/* one bare object: read as a bundle of one */
		single = json_pack("[O]", doc);
		if (single == NULL)
			return EXCHANGE_ENOMEM;
		objs = single;
	} else {
		snprintf(err, errlen, "not STIX: neither a bundle nor an object with an id");
		return EXCHANGE_EFORMAT;
	}
	n = json_array_size(objs);
	if (n > EXCHANGE_MAX_OBJECTS) {
		snprintf(err, errlen, "%zu objects; the limit is %u", n, EXCHANGE_MAX_OBJECTS);
		json_decref(single);
		return EXCHANGE_ELIMIT;
	}
	exchange_ctx_init(&c);
	m.c = &c;
	m.o = o;
	m.def_tlp = exchange_tlp_parse(o->default_tlp);
	if (m.def_tlp == EXCHANGE_TLP_NONE)
		m.def_tlp = EXCHANGE_TLP_AMBER;
	m.identities = g_hash_table_new(g_str_hash, g_str_equal);
	m.markings = g_hash_table_new(g_str_hash, g_str_equal);
	m.related = g_hash_table_new(g_str_hash, g_str_equal);
	names = g_hash_table_new(g_str_hash, g_str_equal);
	json_array_foreach(objs, i, e)
	{
		const char *ot = json_string_value(json_object_get(e, "type"));
		const char *id = json_string_value(json_object_get(e, "id"));
		const char *name = json_string_value(json_object_get(e, "name"));

		if (ot == NULL || id == NULL)
			continue;
		if (strcmp(ot, "identity") == 0 && name != NULL && *name)
			g_hash_table_insert(m.identities, (gpointer)id, (gpointer)name);
		if (strcmp(ot, "marking-definition") == 0 &&
		    tlp_of_marking_object(e) != EXCHANGE_TLP_NONE)
			g_hash_table_insert(m.markings, (gpointer)id,
			                    GINT_TO_POINTER(tlp_of_marking_object(e) + 1));
		if (name != NULL && *name && !is_sco(ot) && strcmp(ot, "identity") != 0)
			g_hash_table_insert(names, (gpointer)id, (gpointer)name);
	}
	index_related(&m, objs, names);
	json_array_foreach(objs, i, e)
	{
		import_object(&m, e, i);
	}
	*out = exchange_result(&c, "stix", n);
	exchange_ctx_free(&c);
	g_hash_table_destroy(names);
	g_hash_table_destroy(m.identities);
	g_hash_table_destroy(m.markings);
	g_hash_table_destroy(m.related);
	json_decref(single);
	if (*out == NULL)
		return EXCHANGE_ENOMEM;
	return EXCHANGE_OK;
}

exchange_err stix_import_buffer(const char *buf, size_t len, const stix_import_opts *o,
                                json_t **out, char *err, size_t errlen)
{
	json_t *doc;
	exchange_err e = exchange_json_load(buf, len, 0, &doc, err, errlen);

	*out = NULL;
	if (e != EXCHANGE_OK)
		return e;
	e = stix_import(doc, o, out, err, errlen);
	json_decref(doc);
	return e;
}

/* ---- export ---- */

struct exp {
	exchange_ctx *c;
	json_t *objects;
	char identity_id[64];
	const char *identity;
	char now[32];
	gint64 now_ms;
	unsigned tlps_used; /* bit per enum exchange_tlp */
};

static json_t *marking_refs(struct exp *x, enum exchange_tlp t)
{
	x->tlps_used |= 1u << t;
	return json_pack("[s]", tlp2_ids[t]);
}

static json_t *tlp2_marking(enum exchange_tlp t)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:{s:s, s:s}}}", "type",
	                 "marking-definition", "spec_version", "2.1", "id", tlp2_ids[t], "created",
	                 TLP2_CREATED, "name", exchange_tlp_name(t), "extensions", TLP2_EXTENSION,
	                 "extension_type", "property-extension", "tlp_2_0", tlp2_values[t]);
}

static json_t *export_indicator(struct exp *x, const exchange_ind *ind)
{
	char *name = g_strconcat("indicator|", ind->type, "|", ind->value, NULL);
	char uuid[37], id[64], created[32], from[32], until[32];
	gint64 first = ind->first_seen >= 0 ? ind->first_seen : x->now_ms;
	char *pattern = stix_pattern_for(ind->type, ind->value);
	json_t *o;

	exchange_uuid5(name, uuid);
	g_free(name);
	snprintf(id, sizeof id, "indicator--%s", uuid);
	exchange_time_stix(first, from);
	exchange_time_stix(first < x->now_ms ? first : x->now_ms, created);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:[s], s:s, s:s, s:s, s:s}", "type",
	              "indicator", "spec_version", "2.1", "id", id, "created", created, "modified",
	              x->now, "created_by_ref", x->identity_id, "indicator_types",
	              "malicious-activity", "pattern", pattern, "pattern_type", "stix",
	              "pattern_version", "2.1", "valid_from", from);
	g_free(pattern);
	if (o == NULL) {
		x->c->oom = true;
		return NULL;
	}
	if (ind->desc != NULL && *ind->desc) {
		char *d = exchange_clean_text(ind->desc, EXCHANGE_MAX_DESCRIPTION);
		char *n = exchange_clean_text(ind->desc, 200);

		exchange_set(x->c, o, "name", json_string(n));
		exchange_set(x->c, o, "description", json_string(d));
		g_free(d);
		g_free(n);
	}
	if (ind->valid_until >= 0) {
		if (ind->valid_until > first) {
			exchange_time_stix(ind->valid_until, until);
			exchange_set(x->c, o, "valid_until", json_string(until));
		} else {
			exchange_skip(
			        x->c, ind->type, ind->value,
			        "valid_until is not after first_seen: left out of the indicator");
		}
	}
	exchange_set(x->c, o, "object_marking_refs", marking_refs(x, ind->tlp));
	if (ind->source != NULL && *ind->source && strcmp(ind->source, x->identity) != 0) {
		char *s = exchange_clean_text(ind->source, EXCHANGE_MAX_SOURCE);

		/* a custom property: STIX has no per-indicator "source" of its own */
		exchange_set(x->c, o, "x_vigil_source", json_string(s));
		g_free(s);
	}
	return o;
}

exchange_err stix_export(const json_t *incident, const stix_export_opts *o, json_t **out, char *err,
                         size_t errlen)
{
	static const stix_export_opts defaults = {0};
	exchange_ctx c;
	struct exp x = {0};
	const json_t *inds;
	const char *inc_id = NULL, *title = NULL, *summary = NULL, *category = NULL;
	enum exchange_tlp inc_tlp = EXCHANGE_TLP_AMBER;
	json_t *refs, *report, *identity, *bundle;
	GHashTable *ids;
	char uuid[37], report_id[64], bundle_id[64], created[32];
	char *name;
	size_t i;
	json_t *e;

	*out = NULL;
	if (o == NULL)
		o = &defaults;
	if (json_is_array(incident)) {
		inds = incident;
	} else if (json_is_object(incident)) {
		inds = json_object_get(incident, "indicators");
		if (inds != NULL && !json_is_array(inds)) {
			snprintf(err, errlen, "the incident's \"indicators\" is not an array");
			return EXCHANGE_EFORMAT;
		}
		inc_id = str_or(incident, "id", NULL);
		title = str_or(incident, "title", NULL);
		summary = str_or(incident, "summary", NULL);
		category = str_or(incident, "category", NULL);
		if (json_is_string(json_object_get(incident, "tlp"))) {
			inc_tlp = exchange_tlp_parse(str_or(incident, "tlp", ""));
			if (inc_tlp == EXCHANGE_TLP_NONE) {
				snprintf(err, errlen,
				         "the incident's \"tlp\" is not a TLP 2.0 label");
				return EXCHANGE_EFORMAT;
			}
		}
	} else {
		snprintf(err, errlen, "an incident document (object) or an array of indicators");
		return EXCHANGE_EFORMAT;
	}
	if (json_array_size(inds) > EXCHANGE_MAX_INDICATORS) {
		snprintf(err, errlen, "more than %u indicators", EXCHANGE_MAX_INDICATORS);
		return EXCHANGE_ELIMIT;
	}
	exchange_ctx_init(&c);
	x.c = &c;
	x.now_ms = o->now_ms > 0 ? o->now_ms : exchange_now_ms();
	exchange_time_stix(x.now_ms, x.now);
	x.identity = o->identity;
	if (x.identity == NULL && json_is_object(incident))
		x.identity = str_or(json_object_get(incident, "reporter"), "organisation", NULL);
	if (x.identity == NULL)
		x.identity = "vigil";
	name = g_strconcat("identity|", x.identity, NULL);
	exchange_uuid5(name, uuid);
	g_free(name);
	snprintf(x.identity_id, sizeof x.identity_id, "identity--%s", uuid);
	x.objects = json_array();
	refs = json_array();
	identity =
	        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "type", "identity", "spec_version",
	                  "2.1", "id", x.identity_id, "created", x.now, "modified", x.now, "name",
	                  x.identity, "identity_class", "organization");
	if (x.objects == NULL || refs == NULL || identity == NULL ||
	    json_array_append_new(x.objects, identity) != 0)
		c.oom = true;
	ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	json_array_foreach(inds, i, e)
	{
		exchange_ind ind;
		json_t *si;

		if (!exchange_ind_read(&c, e, i, inc_tlp, &ind))
			continue;
		si = export_indicator(&x, &ind);
		if (si != NULL) {
			const char *sid = json_string_value(json_object_get(si, "id"));

			if (g_hash_table_contains(ids, sid)) {
				exchange_skip(&c, ind.type, ind.value,
				              "the same indicator twice in the incident");
				json_decref(si);
			} else {
				g_hash_table_add(ids, g_strdup(sid));
				if (json_array_append(refs, json_object_get(si, "id")) != 0 ||
				    json_array_append_new(x.objects, si) != 0)
					c.oom = true;
			}
		}
		exchange_ind_clear(&ind);
	}
	g_hash_table_destroy(ids);
	if (json_array_size(refs) == 0 && json_array_append_new(refs, json_string(x.identity_id)))
		c.oom = true;

	/* the report: the incident as a whole */
	name = g_strconcat("report|", inc_id != NULL ? inc_id : "vigil", NULL);
	exchange_uuid5(name, uuid);
	g_free(name);
	snprintf(report_id, sizeof report_id, "report--%s", uuid);
	{
		gint64 det = json_is_object(incident) ? time_of(incident, "detected_at") : -1;

		exchange_time_stix(det >= 0 && det < x.now_ms ? det : x.now_ms, created);
	}
	report =
	        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[s], s:o}", "type", "report",
	                  "spec_version", "2.1", "id", report_id, "created", created, "modified",
	                  x.now, "created_by_ref", x.identity_id, "name",
	                  title != NULL    ? title
	                  : inc_id != NULL ? inc_id
	                                   : "vigil indicators",
	                  "published", x.now, "report_types", "threat-report", "object_refs", refs);
	if (report == NULL) {
		c.oom = true;
	} else {
		if (summary != NULL)
			exchange_set(&c, report, "description", json_string(summary));
		if (category != NULL)
			exchange_set(&c, report, "labels", json_pack("[s]", category));
		if (inc_id != NULL)
			exchange_set(&c, report, "external_references",
			             json_pack("[{s:s, s:s}]", "source_name", "vigil",
			                       "external_id", inc_id));
		exchange_set(&c, report, "object_marking_refs", marking_refs(&x, inc_tlp));
	}
	for (int t = EXCHANGE_TLP_CLEAR; t <= EXCHANGE_TLP_RED; t++)
		if ((x.tlps_used & (1u << t)) && json_array_append_new(x.objects, tlp2_marking(t)))
			c.oom = true;
	if (report != NULL && json_array_append_new(x.objects, report) != 0)
		c.oom = true;

	name = g_strconcat("bundle|", report_id, "|", x.now, NULL);
	exchange_uuid5(name, uuid);
	g_free(name);
	snprintf(bundle_id, sizeof bundle_id, "bundle--%s", uuid);
	bundle = json_pack("{s:s, s:s, s:o}", "type", "bundle", "id", bundle_id, "objects",
	                   x.objects);
	if (bundle == NULL || c.oom) {
		json_decref(bundle);
		exchange_ctx_free(&c);
		return EXCHANGE_ENOMEM;
	}
	*out = json_pack("{s:o, s:O}", "document", bundle, "skipped", c.skipped);
	exchange_ctx_free(&c);
	return *out != NULL ? EXCHANGE_OK : EXCHANGE_ENOMEM;
}
