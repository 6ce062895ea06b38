/*
 * exchange.c - shared pieces of the indicator exchange (stix.c, misp.c,
 * iocfile.c): bounded JSON loading, vigil's indicator types and their
 * validation, TLP names, RFC 3339 times, name-based UUIDs and the collector
 * of an import's results.
 *
 * Every value that leaves an import went through exchange_check(): it is
 * valid UTF-8, has no control characters (an indicator file is line-based:
 * a newline in a value would add a line of its own) and fits the engine's
 * rules for its type (docs/indicators.md), so whatever a bundle says cannot
 * become a different indicator downstream. The collector owns its JSON; the
 * caller owns what exchange_result() returns.
 *
 * Limits: see exchange.h (document bytes, JSON values and depth, indicators,
 * listed skips, value and description lengths).
 */
#include "exchange.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *exchange_strerror(exchange_err e)
{
	switch (e) {
	case EXCHANGE_OK:
		return "success";
	case EXCHANGE_ENOMEM:
		return "out of memory";
	case EXCHANGE_EINVAL:
		return "invalid argument";
	case EXCHANGE_EJSON:
		return "not valid JSON";
	case EXCHANGE_EFORMAT:
		return "not the expected document";
	case EXCHANGE_ELIMIT:
		return "larger than the limits allow";
	}
	return "unknown error";
}

/* ---- TLP ---- */

static const char *const tlp_names[] = {"TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT",
                                        "TLP:RED"};

enum exchange_tlp exchange_tlp_parse(const char *s)
{
	static const struct {
		const char *name;
		enum exchange_tlp tlp;
	} map[] = {
	        {"clear", EXCHANGE_TLP_CLEAR},
	        {"white", EXCHANGE_TLP_CLEAR}, /* TLP 1.0 */
	        {"green", EXCHANGE_TLP_GREEN},
	        {"amber", EXCHANGE_TLP_AMBER},
	        {"amber+strict", EXCHANGE_TLP_AMBER_STRICT},
	        {"red", EXCHANGE_TLP_RED},
	};

	if (s == NULL)
		return EXCHANGE_TLP_NONE;
	if (g_ascii_strncasecmp(s, "tlp:", 4) == 0)
		s += 4;
	for (size_t i = 0; i < G_N_ELEMENTS(map); i++)
		if (g_ascii_strcasecmp(s, map[i].name) == 0)
			return map[i].tlp;
	return EXCHANGE_TLP_NONE;
}

const char *exchange_tlp_name(enum exchange_tlp t)
{
	if (t < EXCHANGE_TLP_CLEAR || t > EXCHANGE_TLP_RED)
		return NULL;
	return tlp_names[t];
}

/* ---- bounded JSON ---- */

/* Counts values and nesting without building anything: jansson spends
 * tens of bytes per value, so "[[],[],...]" would otherwise turn a few
 * megabytes into hundreds. Strings are skipped with their escapes. */
static bool json_prescan(const char *buf, size_t len, char *err, size_t errlen)
{
	size_t values = 0, depth = 0;
	bool in_str = false;

	for (size_t i = 0; i < len; i++) {
		char ch = buf[i];

		if (in_str) {
			if (ch == '\\')
				i++;
			else if (ch == '"')
				in_str = false;
			continue;
		}
		switch (ch) {
		case '"':
			in_str = true;
			values++;
			break;
		case '{':
		case '[':
			values++;
			if (++depth > EXCHANGE_MAX_DEPTH) {
				snprintf(err, errlen, "JSON nested deeper than %u levels",
				         EXCHANGE_MAX_DEPTH);
				return false;
			}
			break;
		case '}':
		case ']':
			if (depth > 0)
				depth--;
			break;
		case ',':
			values++;
			break;
		default:
			break;
		}
		if (values > EXCHANGE_MAX_VALUES) {
			snprintf(err, errlen, "more than %u JSON values", EXCHANGE_MAX_VALUES);
			return false;
		}
	}
	return true;
}

exchange_err exchange_json_load(const char *buf, size_t len, size_t max_bytes, json_t **out,
                                char *err, size_t errlen)
{
	json_error_t je;

	*out = NULL;
	if (buf == NULL && len > 0)
		return EXCHANGE_EINVAL;
	if (max_bytes == 0)
		max_bytes = EXCHANGE_MAX_BYTES;
	if (len > max_bytes) {
		snprintf(err, errlen, "document of %zu bytes; the limit is %zu", len, max_bytes);
		return EXCHANGE_ELIMIT;
	}
	if (!json_prescan(buf, len, err, errlen))
		return EXCHANGE_ELIMIT;
	*out = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (*out == NULL) {
		snprintf(err, errlen, "line %d, column %d: %s", je.line, je.column, je.text);
		return EXCHANGE_EJSON;
	}
	return EXCHANGE_OK;
}

/* ---- indicator types and values ---- */

static const char *const types[] = {"sha256", "sha1", "md5",      "email",   "domain",    "url",
                                    "ipv4",   "ipv6", "filename", "subject", "message_id"};

bool exchange_type_known(const char *type)
{
	if (type == NULL)
		return false;
	for (size_t i = 0; i < G_N_ELEMENTS(types); i++)
		if (strcmp(type, types[i]) == 0)
			return true;
	return false;
}

bool exchange_type_is_hash(const char *type)
{
	return type != NULL && (strcmp(type, "sha256") == 0 || strcmp(type, "sha1") == 0 ||
	                        strcmp(type, "md5") == 0);
}

static bool all_hex(const char *s)
{
	for (; *s; s++)
		if (!g_ascii_isxdigit(*s))
			return false;
	return true;
}

/* ASCII white space inside the value (after trimming) */
static bool has_space(const char *s)
{
	for (; *s; s++)
		if (g_ascii_isspace(*s))
			return true;
	return false;
}

static const char *check_domain(char *v)
{
	size_t n = strlen(v);
	const char *p;

	while (n > 0 && v[n - 1] == '.')
		v[--n] = 0;
	if (n == 0)
		return "empty domain name";
	if (n > 253)
		return "domain name longer than 253 characters";
	if (has_space(v))
		return "white space in a domain name";
	if (strpbrk(v, "/\\@:[]<>\"'`,;*?#%&=+!(){}|^~$") != NULL)
		return "characters that cannot be in a domain name";
	if (v[0] == '.' || strstr(v, "..") != NULL)
		return "empty label in a domain name";
	if (strchr(v, '.') == NULL)
		return "a single label, not a domain name";
	for (p = v; *p; p++)
		if (!((guchar)*p >= 0x80 || g_ascii_isalnum(*p) || *p == '-' || *p == '.' ||
		      *p == '_'))
			return "characters that cannot be in a domain name";
	{
		char tmp[16];

		if (inet_pton(AF_INET, v, tmp) == 1)
			return "an IP address, not a domain name";
	}
	for (char *q = v; *q; q++)
		*q = g_ascii_tolower(*q);
	return NULL;
}

/* v is a writable copy; the canonical form goes to *norm */
static const char *check_ip(char *v, int af, char **norm)
{
	unsigned char bin[16];
	char text[INET6_ADDRSTRLEN];
	char *slash = strchr(v, '/');
	size_t n = strlen(v);

	if (af == AF_INET6 && n >= 2 && v[0] == '[' && v[n - 1] == ']') {
		v[n - 1] = 0;
		v++;
	}
	if (slash != NULL) {
		if (strcmp(slash + 1, af == AF_INET ? "32" : "128") != 0)
			return "an address range (CIDR); vigil matches single addresses";
		*slash = 0;
	}
	if (inet_pton(af, v, bin) != 1)
		return af == AF_INET ? "not an IPv4 address" : "not an IPv6 address";
	if (inet_ntop(af, bin, text, sizeof text) == NULL)
		return "not an IP address";
	*norm = g_strdup(text);
	return NULL;
}

/* scheme "://" host, scheme and host in lower case (as the engine compares) */
static const char *check_url(char *v)
{
	char *sep = strstr(v, "://");
	char *host, *end;

	if (sep == NULL || sep == v)
		return "a URL needs a scheme (http://...)";
	if (!g_ascii_isalpha(v[0]))
		return "a URL scheme starts with a letter";
	for (char *p = v; p < sep; p++)
		if (!(g_ascii_isalnum(*p) || *p == '+' || *p == '-' || *p == '.'))
			return "characters that cannot be in a URL scheme";
	if (has_space(v))
		return "white space in a URL";
	host = sep + 3;
	end = host + strcspn(host, "/?#");
	if (end == host || (end == host + 1 && *host == '*'))
		return "a URL without a host";
	if (g_str_has_suffix(v, "**"))
		return "a URL prefix ends with one '*'";
	for (char *p = v; p < end; p++)
		*p = g_ascii_tolower(*p);
	return NULL;
}

static const char *check_email(char *v)
{
	char *at = strchr(v, '@');
	const char *r;

	if (at == NULL || at == v || strchr(at + 1, '@') != NULL)
		return "an e-mail address has one '@' between a local part and a domain";
	if (has_space(v) || strpbrk(v, "<>,;\"()[]\\") != NULL)
		return "characters that cannot be in a bare e-mail address";
	r = check_domain(at + 1);
	if (r != NULL)
		return r;
	for (char *p = v; p < at; p++)
		*p = g_ascii_tolower(*p);
	return NULL;
}

const char *exchange_check(const char *type, const char *value, char **norm)
{
	char *copy, *v;
	const char *r = NULL;
	size_t n;

	*norm = NULL;
	if (!exchange_type_known(type))
		return "not a vigil indicator type";
	if (value == NULL)
		return "no value";
	n = strlen(value);
	if (n > EXCHANGE_MAX_VALUE)
		return "value too long";
	if (!g_utf8_validate(value, (gssize)n, NULL))
		return "value is not UTF-8";
	for (size_t i = 0; i < n; i++)
		if ((guchar)value[i] < 0x20 || value[i] == 0x7f)
			if (!(value[i] == ' ' || value[i] == '\t'))
				return "control characters in the value";
	copy = g_strdup(value);
	v = g_strstrip(copy);
	if (*v == 0) {
		g_free(copy);
		return "empty value";
	}
	if (strchr(v, '\t') != NULL) {
		r = "control characters in the value";
	} else if (exchange_type_is_hash(type)) {
		size_t want = strcmp(type, "md5") == 0 ? 32 : strcmp(type, "sha1") == 0 ? 40 : 64;

		if (strlen(v) != want || !all_hex(v))
			r = want == 32   ? "not an MD5 hash (32 hex digits)"
			    : want == 40 ? "not a SHA-1 hash (40 hex digits)"
			                 : "not a SHA-256 hash (64 hex digits)";
		else
			for (char *p = v; *p; p++)
				*p = g_ascii_tolower(*p);
	} else if (strcmp(type, "domain") == 0) {
		r = check_domain(v);
	} else if (strcmp(type, "ipv4") == 0 || strcmp(type, "ipv6") == 0) {
		r = check_ip(v, type[3] == '4' ? AF_INET : AF_INET6, norm);
		g_free(copy);
		return r;
	} else if (strcmp(type, "url") == 0) {
		r = check_url(v);
	} else if (strcmp(type, "email") == 0) {
		r = check_email(v);
	} else if (strcmp(type, "filename") == 0) {
		char *w = v;

		if (strpbrk(v, "/\\") != NULL)
			r = "a path, not a file name";
		/* "a**b" is "a*b": one spelling per glob, so that duplicates meet */
		for (char *q = v; *q; q++)
			if (!(*q == '*' && w > v && w[-1] == '*'))
				*w++ = *q;
		*w = 0;
	} else if (strcmp(type, "message_id") == 0) {
		if (has_space(v))
			r = "white space in a Message-ID";
	}
	/* subject: any text without control characters */
	if (r == NULL)
		*norm = g_strdup(v);
	g_free(copy);
	return r;
}

const char *exchange_host_type(const char *host)
{
	unsigned char bin[16];
	char h[64];
	size_t n;

	if (host == NULL)
		return "domain";
	/* the address without a prefix length or brackets decides */
	n = strcspn(host, "/");
	if (n >= sizeof h)
		return strchr(host, ':') != NULL ? "ipv6" : "domain";
	memcpy(h, host, n);
	h[n] = 0;
	if (inet_pton(AF_INET, h, bin) == 1)
		return "ipv4";
	if (strchr(h, ':') != NULL)
		return "ipv6";
	return "domain";
}

/* ---- times ---- */

bool exchange_time_parse(const char *s, gint64 *ms)
{
	GDateTime *dt;
	size_t n;

	if (s == NULL)
		return false;
	n = strlen(s);
	/* an offset is required: 'Z' or +hh:mm / -hh:mm at the end */
	if (n < 11 || n > 64 || s[10] != 'T' ||
	    !(s[n - 1] == 'Z' || s[n - 1] == 'z' ||
	      (n > 6 && (s[n - 6] == '+' || s[n - 6] == '-') && s[n - 3] == ':')))
		return false;
	dt = g_date_time_new_from_iso8601(s, NULL);
	if (dt == NULL)
		return false;
	*ms = g_date_time_to_unix(dt) * 1000 + g_date_time_get_microsecond(dt) / 1000;
	g_date_time_unref(dt);
	return true;
}

static void time_fmt(gint64 ms, char buf[32], bool always_ms)
{
	gint64 sec = ms / 1000;
	int frac = (int)(ms % 1000);
	GDateTime *dt;
	gchar *s;

	if (frac < 0) {
		frac += 1000;
		sec--;
	}
	dt = g_date_time_new_from_unix_utc(sec);
	if (dt == NULL) {
		g_strlcpy(buf, "1970-01-01T00:00:00.000Z", 32);
		return;
	}
	s = g_date_time_format(dt, "%Y-%m-%dT%H:%M:%S");
	if (always_ms || frac != 0)
		snprintf(buf, 32, "%s.%03dZ", s, frac);
	else
		snprintf(buf, 32, "%sZ", s);
	g_free(s);
	g_date_time_unref(dt);
}

void exchange_time_stix(gint64 ms, char buf[32])
{
	time_fmt(ms, buf, true);
}

void exchange_time_vigil(gint64 ms, char buf[32])
{
	time_fmt(ms, buf, false);
}

gint64 exchange_now_ms(void)
{
	return g_get_real_time() / 1000;
}

/* ---- UUIDs ---- */

/* vigil's namespace for name-based UUIDs: a fixed random UUID. Never
 * change it: every exported id would change with it, and receivers would
 * see new objects instead of new versions of the ones they have. */
static const unsigned char vigil_ns[16] = {0x01, 0x77, 0xa7, 0x74, 0x90, 0x0c, 0x4e, 0xe4,
                                           0x88, 0x9d, 0xd6, 0x2a, 0xd1, 0x93, 0xa3, 0x59};

void exchange_uuid5(const char *name, char out[37])
{
	GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA1);
	guint8 d[20];
	gsize dl = sizeof d;

	g_checksum_update(ck, vigil_ns, sizeof vigil_ns);
	g_checksum_update(ck, (const guchar *)name, (gssize)strlen(name));
	g_checksum_get_digest(ck, d, &dl);
	g_checksum_free(ck);
	d[6] = (guint8)((d[6] & 0x0f) | 0x50); /* version 5 */
	d[8] = (guint8)((d[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	         d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12],
	         d[13], d[14], d[15]);
}

/* ---- text ---- */

char *exchange_clean_text(const char *s, size_t max)
{
	gchar *valid = g_utf8_make_valid(s != NULL ? s : "", -1);
	GString *out = g_string_new(NULL);

	for (const gchar *p = valid; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		size_t l = (size_t)(g_utf8_next_char(p) - p);

		if (out->len + l > max)
			break;
		if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == 0x2028 || c == 0x2029)
			g_string_append_c(out, ' ');
		else
			g_string_append_len(out, p, (gssize)l);
	}
	g_free(valid);
	return g_string_free(out, FALSE);
}

/* ---- the collector ---- */

void exchange_set(exchange_ctx *c, json_t *obj, const char *key, json_t *val)
{
	if (val == NULL) {
		c->oom = true;
		return;
	}
	if (json_object_set_new(obj, key, val) != 0)
		c->oom = true;
}

void exchange_ctx_init(exchange_ctx *c)
{
	memset(c, 0, sizeof *c);
	c->indicators = json_array();
	c->skipped = json_array();
	c->seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	if (c->indicators == NULL || c->skipped == NULL)
		c->oom = true;
}

void exchange_ctx_free(exchange_ctx *c)
{
	json_decref(c->indicators);
	json_decref(c->skipped);
	if (c->seen != NULL)
		g_hash_table_destroy(c->seen);
	memset(c, 0, sizeof *c);
}

static json_t *time_json(gint64 ms)
{
	char buf[32];

	if (ms < 0)
		return json_null();
	exchange_time_vigil(ms, buf);
	return json_string(buf);
}

void exchange_add(exchange_ctx *c, const char *type, const char *value, const char *desc,
                  enum exchange_tlp tlp, gint64 first_seen, gint64 valid_until, const char *source)
{
	char *key = g_strconcat(type, "\n", value, NULL);
	gpointer idx = g_hash_table_lookup(c->seen, key);
	char *d, *src;
	json_t *o;

	if (idx != NULL) {
		json_t *prev = json_array_get(c->indicators, GPOINTER_TO_SIZE(idx) - 1);
		enum exchange_tlp pt =
		        exchange_tlp_parse(json_string_value(json_object_get(prev, "tlp")));

		if (tlp > pt)
			exchange_set(c, prev, "tlp", json_string(exchange_tlp_name(tlp)));
		c->duplicates++;
		g_free(key);
		return;
	}
	if (json_array_size(c->indicators) >= EXCHANGE_MAX_INDICATORS) {
		if (!c->full)
			exchange_skip(c, "-", "-", "more than %u indicators; the rest was not read",
			              EXCHANGE_MAX_INDICATORS);
		c->full = true;
		g_free(key);
		return;
	}
	o = json_object();
	if (o == NULL) {
		c->oom = true;
		g_free(key);
		return;
	}
	d = exchange_clean_text(desc, EXCHANGE_MAX_DESCRIPTION);
	src = exchange_clean_text(source, EXCHANGE_MAX_SOURCE);
	exchange_set(c, o, "type", json_string(type));
	exchange_set(c, o, "value", json_string(value));
	exchange_set(c, o, "description", json_string(d));
	exchange_set(c, o, "tlp",
	             tlp == EXCHANGE_TLP_NONE ? json_null() : json_string(exchange_tlp_name(tlp)));
	exchange_set(c, o, "first_seen", time_json(first_seen));
	exchange_set(c, o, "valid_until", time_json(valid_until));
	exchange_set(c, o, "source", json_string(src));
	g_free(d);
	g_free(src);
	if (json_array_append_new(c->indicators, o) != 0) {
		c->oom = true;
		g_free(key);
		return;
	}
	g_hash_table_insert(c->seen, key, GSIZE_TO_POINTER(json_array_size(c->indicators)));
}

void exchange_skip(exchange_ctx *c, const char *type, const char *id, const char *fmt, ...)
{
	va_list ap;
	char *reason, *t, *i, *r;
	json_t *o;

	c->skipped_total++;
	if (json_array_size(c->skipped) >= EXCHANGE_MAX_SKIPPED)
		return;
	va_start(ap, fmt);
	reason = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	t = exchange_clean_text(type != NULL ? type : "?", 100);
	i = exchange_clean_text(id != NULL ? id : "?", 200);
	r = exchange_clean_text(reason, 600);
	o = json_pack("{s:s, s:s, s:s}", "type", t, "id", i, "reason", r);
	if (o == NULL || json_array_append_new(c->skipped, o) != 0)
		c->oom = true;
	g_free(reason);
	g_free(t);
	g_free(i);
	g_free(r);
}

json_t *exchange_result(exchange_ctx *c, const char *format, size_t objects)
{
	json_t *r;

	if (c->oom)
		return NULL;
	r = json_pack("{s:s, s:I, s:O, s:O, s:I, s:I}", "format", format, "objects",
	              (json_int_t)objects, "indicators", c->indicators, "skipped", c->skipped,
	              "skipped_total", (json_int_t)c->skipped_total, "duplicates",
	              (json_int_t)c->duplicates);
	return r;
}

/* ---- reading vigil indicators ---- */

bool exchange_ind_read(exchange_ctx *c, const json_t *j, size_t i, enum exchange_tlp def_tlp,
                       exchange_ind *out)
{
	const char *type, *value, *reason, *s;
	char idx[32];
	json_t *v;

	memset(out, 0, sizeof *out);
	out->first_seen = out->valid_until = -1;
	snprintf(idx, sizeof idx, "indicators[%zu]", i);
	if (!json_is_object(j)) {
		exchange_skip(c, "indicator", idx, "not a JSON object");
		return false;
	}
	type = json_string_value(json_object_get(j, "type"));
	value = json_string_value(json_object_get(j, "value"));
	if (type == NULL || !exchange_type_known(type)) {
		exchange_skip(c, type != NULL ? type : "indicator", idx,
		              "type is not one of vigil's indicator types");
		return false;
	}
	reason = exchange_check(type, value, &out->value);
	if (reason != NULL) {
		exchange_skip(c, type, value != NULL ? value : idx, "%s", reason);
		return false;
	}
	out->type = type;
	out->desc = json_string_value(json_object_get(j, "description"));
	out->source = json_string_value(json_object_get(j, "source"));
	out->tlp = def_tlp;
	v = json_object_get(j, "tlp");
	if (v != NULL && !json_is_null(v)) {
		out->tlp = exchange_tlp_parse(json_string_value(v));
		if (out->tlp == EXCHANGE_TLP_NONE) {
			exchange_skip(c, type, out->value,
			              "tlp is not TLP:CLEAR, GREEN, AMBER, AMBER+STRICT or RED");
			exchange_ind_clear(out);
			return false;
		}
	}
	s = json_string_value(json_object_get(j, "first_seen"));
	if (s != NULL && !exchange_time_parse(s, &out->first_seen)) {
		exchange_skip(c, type, out->value, "first_seen is not an RFC 3339 time");
		exchange_ind_clear(out);
		return false;
	}
	s = json_string_value(json_object_get(j, "valid_until"));
	if (s != NULL && !exchange_time_parse(s, &out->valid_until)) {
		exchange_skip(c, type, out->value, "valid_until is not an RFC 3339 time");
		exchange_ind_clear(out);
		return false;
	}
	return true;
}

void exchange_ind_clear(exchange_ind *ind)
{
	g_free(ind->value);
	ind->value = NULL;
}
