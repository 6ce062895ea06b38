/*
 * misp.c - MISP events to and from vigil's indicators.
 *
 * The format is the MISP core format (draft-dulaunoy-misp-core-format):
 * an Event with info, threat_level_id, analysis, date, Tag, Attribute and
 * Object; attributes are category/type/value triplets with to_ids; objects
 * (file, email, domain-ip, url, ...) group attributes that describe one
 * thing. Facts used here:
 *   - to_ids false marks context, not something to detect on: such
 *     attributes are left out unless the caller asks for them;
 *   - composite types ("filename|sha256", "domain|ip", "ip-dst|port") carry
 *     two values joined by '|': they are split, and each part goes where it
 *     belongs (a file name next to its hash is left out: the hash
 *     identifies the file; a port is left out: vigil matches addresses);
 *   - in a "file" object the hashes likewise win over the file name;
 *   - TLP comes from tlp:* tags (the MISP "tlp" taxonomy, TLP 2.0 names and
 *     tlp:white), on the attribute, else on the event.
 * Recipient addresses (email-dst), reply-to addresses, links and types vigil
 * cannot match are listed in "skipped" with the reason, as is every deleted
 * attribute or object: nothing is dropped silently.
 *
 * Export writes one event per incident: the incident's title as info, its
 * severity and status as threat level and analysis, its TLP as an event tag,
 * and one attribute per indicator (to_ids true, the indicator's TLP as an
 * attribute tag, its description as the comment, first_seen/valid_until as
 * first_seen/last_seen). Two things MISP has no field for travel as tags of
 * a "vigil" namespace: a URL prefix (vigil:match="prefix") and a source
 * other than the event's organisation (vigil:source="..."); a file name glob
 * goes out as filename-pattern with vigil:match="glob". UUIDs are
 * version 5 of the incident id and of type and value (exchange.c), so a
 * second export updates the same event and attributes.
 *
 * Limits: exchange.h, plus MISP_MAX_EVENTS events per document.
 */
#include "misp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- tags ---- */

/* strongest tlp:* tag of a Tag array or an EventTag/AttributeTag array */
static enum exchange_tlp tags_tlp(const json_t *tags, const json_t *wrapped)
{
	enum exchange_tlp best = EXCHANGE_TLP_NONE;
	size_t i;
	json_t *t;

	json_array_foreach(tags, i, t)
	{
		const char *n = json_string_value(json_object_get(t, "name"));
		enum exchange_tlp l;

		if (i >= 256)
			break;
		if (n != NULL && g_ascii_strncasecmp(n, "tlp:", 4) == 0 &&
		    (l = exchange_tlp_parse(n)) > best)
			best = l;
	}
	json_array_foreach(wrapped, i, t)
	{
		const char *n =
		        json_string_value(json_object_get(json_object_get(t, "Tag"), "name"));
		enum exchange_tlp l;

		if (i >= 256)
			break;
		if (n != NULL && g_ascii_strncasecmp(n, "tlp:", 4) == 0 &&
		    (l = exchange_tlp_parse(n)) > best)
			best = l;
	}
	return best;
}

/* value of a machine tag ns:pred="value" among an attribute's tags
 * (g_free), or NULL */
static char *tag_value(const json_t *attr, const char *prefix)
{
	const json_t *tags[2] = {json_object_get(attr, "Tag"),
	                         json_object_get(attr, "AttributeTag")};
	size_t plen = strlen(prefix);

	for (int k = 0; k < 2; k++) {
		size_t i;
		json_t *t;

		json_array_foreach(tags[k], i, t)
		{
			const json_t *tag = k == 0 ? t : json_object_get(t, "Tag");
			const char *n = json_string_value(json_object_get(tag, "name"));
			size_t l;

			if (i >= 256)
				break;
			if (n == NULL || strncmp(n, prefix, plen) != 0)
				continue;
			l = strlen(n);
			if (l >= plen + 2 && n[plen] == '"' && n[l - 1] == '"')
				return g_strndup(n + plen + 1, l - plen - 2);
		}
	}
	return NULL;
}

/* ---- import ---- */

struct mimp {
	exchange_ctx *c;
	const misp_import_opts *o;
	enum exchange_tlp ev_tlp;
	const char *ev_source;
	const char *ev_id;
	size_t objects;
};

/* the attribute being read */
struct mattr {
	const char *type, *id;
	const char *desc;
	char *source;
	enum exchange_tlp tlp;
	gint64 first_seen, valid_until;
	char *match; /* vigil:match="prefix" (a URL prefix) or "glob" (a file name glob) */
};

static gint64 time_of(const json_t *o, const char *key)
{
	gint64 ms;

	if (exchange_time_parse(json_string_value(json_object_get(o, key)), &ms))
		return ms;
	return -1;
}

static char *shorten(const char *s)
{
	if (strlen(s) <= 80)
		return g_strdup(s);
	return g_strdup_printf("%.77s...", s);
}

static void take(struct mimp *m, struct mattr *a, const char *type, const char *value)
{
	char *norm = NULL, *v;
	const char *why;

	if (strcmp(type, "ip") == 0) {
		type = exchange_host_type(value);
		/* an ip-* attribute is an address: a value that is none is refused
		 * as one, never taken as a domain name */
		if (strcmp(type, "domain") == 0)
			type = value != NULL && strchr(value, ':') != NULL ? "ipv6" : "ipv4";
	}
	why = exchange_check(type, value, &norm);
	if (why != NULL) {
		v = shorten(value);
		exchange_skip(m->c, a->type, a->id, "'%s': %s", v, why);
		g_free(v);
		return;
	}
	exchange_add(m->c, type, norm, a->desc, a->tlp, a->first_seen, a->valid_until,
	             a->source != NULL ? a->source : m->ev_source);
	g_free(norm);
}

/* MISP types that are one vigil type ("ip": ipv4 or ipv6 by the value) */
static const struct {
	const char *misp, *vigil;
} single_types[] = {
        {"md5", "md5"},
        {"sha1", "sha1"},
        {"sha256", "sha256"},
        {"domain", "domain"},
        {"hostname", "domain"},
        {"url", "url"},
        {"ip-dst", "ip"},
        {"ip-src", "ip"},
        {"email", "email"},
        {"email-src", "email"},
        {"email-subject", "subject"},
        {"email-message-id", "message_id"},
        {"filename", "filename"},
        {"email-attachment", "filename"},
};

/* types left out, with the reason */
static const struct {
	const char *misp, *why;
} left_out[] = {
        {"email-dst", "a recipient address is the target, not the attacker; vigil matches senders"},
        {"email-reply-to", "vigil matches sender addresses, not Reply-To"},
        {"link", "a link to a reference, not an indicator"},
        {"uri", "a URI without scheme and host; vigil matches whole URLs"},
        {"comment", "a comment, not an indicator"},
        {"text", "free text, not an indicator"},
};

static const char *vigil_type_of(const char *mt)
{
	for (size_t i = 0; i < G_N_ELEMENTS(single_types); i++)
		if (strcmp(mt, single_types[i].misp) == 0)
			return single_types[i].vigil;
	return NULL;
}

static bool is_hash_type(const char *mt)
{
	return strcmp(mt, "md5") == 0 || strcmp(mt, "sha1") == 0 || strcmp(mt, "sha256") == 0 ||
	       strcmp(mt, "filename|md5") == 0 || strcmp(mt, "filename|sha1") == 0 ||
	       strcmp(mt, "filename|sha256") == 0;
}

static bool to_ids(const json_t *a)
{
	const json_t *v = json_object_get(a, "to_ids");

	if (json_is_boolean(v))
		return json_is_true(v);
	if (json_is_integer(v))
		return json_integer_value(v) != 0;
	if (json_is_string(v))
		return strcmp(json_string_value(v), "1") == 0 ||
		       g_ascii_strcasecmp(json_string_value(v), "true") == 0;
	return false;
}

static bool is_deleted(const json_t *a)
{
	const json_t *v = json_object_get(a, "deleted");

	return json_is_true(v) || (json_is_string(v) && strcmp(json_string_value(v), "1") == 0) ||
	       (json_is_integer(v) && json_integer_value(v) != 0);
}

/* file_hash: the attribute is in a "file" object that has a hash */
static void import_attr(struct mimp *m, const json_t *attr, size_t idx, bool file_hash)
{
	struct mattr a = {0};
	const char *value, *vt, *bar;
	char where[48];

	snprintf(where, sizeof where, "Attribute[%zu]", idx);
	if (++m->objects > EXCHANGE_MAX_OBJECTS)
		return;
	if (!json_is_object(attr)) {
		exchange_skip(m->c, "?", where, "not a JSON object");
		return;
	}
	a.type = json_string_value(json_object_get(attr, "type"));
	value = json_string_value(json_object_get(attr, "value"));
	a.id = json_string_value(json_object_get(attr, "uuid"));
	if (a.id == NULL)
		a.id = value != NULL ? value : where;
	if (a.type == NULL || value == NULL) {
		exchange_skip(m->c, a.type != NULL ? a.type : "?", a.id,
		              "an attribute needs a type and a string value");
		return;
	}
	if (is_deleted(attr)) {
		exchange_skip(m->c, a.type, a.id, "deleted");
		return;
	}
	if (!to_ids(attr) && !m->o->include_non_ids) {
		exchange_skip(m->c, a.type, a.id,
		              "to_ids is false: context, not meant for detection");
		return;
	}
	a.desc = json_string_value(json_object_get(attr, "comment"));
	a.tlp = tags_tlp(json_object_get(attr, "Tag"), json_object_get(attr, "AttributeTag"));
	if (a.tlp == EXCHANGE_TLP_NONE)
		a.tlp = m->ev_tlp;
	a.first_seen = time_of(attr, "first_seen");
	a.valid_until = time_of(attr, "last_seen");
	a.source = tag_value(attr, "vigil:source=");
	a.match = tag_value(attr, "vigil:match=");

	vt = vigil_type_of(a.type);
	if (vt != NULL && file_hash && strcmp(vt, "filename") == 0) {
		exchange_skip(m->c, a.type, a.id,
		              "a file name next to the file's hash: left out, the hash identifies "
		              "the file");
	} else if (vt != NULL && strcmp(vt, "url") == 0 && a.match != NULL &&
	           strcmp(a.match, "prefix") == 0) {
		char *p = g_strconcat(value, "*", NULL);

		take(m, &a, vt, p);
		g_free(p);
	} else if (vt != NULL) {
		take(m, &a, vt, value);
	} else if (strcmp(a.type, "filename-pattern") == 0) {
		/* vigil's own are globs; others are read as globs unless they look
		 * like regular expressions */
		if ((a.match == NULL || strcmp(a.match, "glob") != 0) &&
		    (strpbrk(value, "\\^$[]{}|") != NULL || strstr(value, ".*") != NULL ||
		     strstr(value, ".+") != NULL))
			exchange_skip(m->c, a.type, a.id,
			              "a regular expression; vigil matches file names with * and ? "
			              "only");
		else
			take(m, &a, "filename", value);
	} else if ((bar = strchr(value, '|')) != NULL && strchr(a.type, '|') != NULL) {
		/* composite: split at the first '|' (file names cannot hold one) */
		char *left = g_strndup(value, (gsize)(bar - value));
		const char *right = bar + 1;
		char *l = shorten(left);

		if (g_str_has_prefix(a.type, "filename|") && is_hash_type(a.type)) {
			take(m, &a, a.type + 9, right);
			exchange_skip(m->c, a.type, a.id,
			              "file name '%s' left out: the hash next to it identifies the "
			              "file",
			              l);
		} else if (strcmp(a.type, "domain|ip") == 0) {
			take(m, &a, "domain", left);
			take(m, &a, "ip", right);
		} else if (strcmp(a.type, "ip-dst|port") == 0 ||
		           strcmp(a.type, "ip-src|port") == 0 ||
		           strcmp(a.type, "hostname|port") == 0) {
			char *r = shorten(right);

			take(m, &a, a.type[0] == 'h' ? "domain" : "ip", left);
			exchange_skip(m->c, a.type, a.id,
			              "port %s left out: vigil matches the address", r);
			g_free(r);
		} else {
			exchange_skip(m->c, a.type, a.id,
			              "MISP type %s has no vigil indicator type", a.type);
		}
		g_free(left);
		g_free(l);
	} else if (strchr(a.type, '|') != NULL &&
	           (is_hash_type(a.type) || strcmp(a.type, "domain|ip") == 0 ||
	            g_str_has_suffix(a.type, "|port"))) {
		exchange_skip(m->c, a.type, a.id, "a composite value without '|'");
	} else {
		const char *why = NULL;

		for (size_t i = 0; i < G_N_ELEMENTS(left_out); i++)
			if (strcmp(a.type, left_out[i].misp) == 0)
				why = left_out[i].why;
		if (why != NULL)
			exchange_skip(m->c, a.type, a.id, "%s", why);
		else
			exchange_skip(m->c, a.type, a.id,
			              "MISP type %s has no vigil indicator type", a.type);
	}
	g_free(a.source);
	g_free(a.match);
}

static void import_object(struct mimp *m, const json_t *obj, size_t idx)
{
	const json_t *attrs = json_object_get(obj, "Attribute");
	const char *name = json_string_value(json_object_get(obj, "name"));
	const char *id = json_string_value(json_object_get(obj, "uuid"));
	char where[48];
	bool file_hash = false;
	size_t i;
	json_t *a;

	snprintf(where, sizeof where, "Object[%zu]", idx);
	if (id == NULL)
		id = where;
	if (++m->objects > EXCHANGE_MAX_OBJECTS)
		return;
	if (!json_is_object(obj)) {
		exchange_skip(m->c, "?", where, "not a JSON object");
		return;
	}
	if (is_deleted(obj)) {
		exchange_skip(m->c, name != NULL ? name : "object", id, "deleted");
		return;
	}
	if (name != NULL && strcmp(name, "file") == 0) {
		json_array_foreach(attrs, i, a)
		{
			const char *t = json_string_value(json_object_get(a, "type"));

			if (t != NULL && is_hash_type(t) && !is_deleted(a) &&
			    (to_ids(a) || m->o->include_non_ids))
				file_hash = true;
		}
	}
	json_array_foreach(attrs, i, a)
	{
		import_attr(m, a, i, file_hash);
	}
	if (json_array_size(attrs) == 0)
		exchange_skip(m->c, name != NULL ? name : "object", id,
		              "an object without attributes");
}

static void import_event(struct mimp *m, const json_t *ev, size_t idx)
{
	char where[48];
	const json_t *org;
	size_t i;
	json_t *e;

	snprintf(where, sizeof where, "Event[%zu]", idx);
	if (!json_is_object(ev)) {
		exchange_skip(m->c, "Event", where, "not a JSON object");
		return;
	}
	m->ev_id = json_string_value(json_object_get(ev, "uuid"));
	if (m->ev_id == NULL)
		m->ev_id = where;
	m->ev_tlp = tags_tlp(json_object_get(ev, "Tag"), json_object_get(ev, "EventTag"));
	if (m->ev_tlp == EXCHANGE_TLP_NONE) {
		m->ev_tlp = exchange_tlp_parse(m->o->default_tlp);
		if (m->ev_tlp == EXCHANGE_TLP_NONE)
			m->ev_tlp = EXCHANGE_TLP_AMBER;
	}
	org = json_object_get(ev, "Orgc");
	if (!json_is_object(org))
		org = json_object_get(ev, "Org");
	m->ev_source = json_string_value(json_object_get(org, "name"));
	if (m->ev_source == NULL || *m->ev_source == 0)
		m->ev_source = m->o->default_source != NULL ? m->o->default_source : "MISP";
	json_array_foreach(json_object_get(ev, "Attribute"), i, e)
	{
		import_attr(m, e, i, false);
	}
	json_array_foreach(json_object_get(ev, "Object"), i, e)
	{
		import_object(m, e, i);
	}
	if (json_array_size(json_object_get(ev, "Attribute")) == 0 &&
	    json_array_size(json_object_get(ev, "Object")) == 0)
		exchange_skip(m->c, "Event", m->ev_id, "an event without attributes or objects");
}

/* the events of a document: {"Event"}, {"response": [...]}, [...], bare */
static exchange_err collect_events(const json_t *doc, GPtrArray *evs, char *err, size_t errlen)
{
	const json_t *list = NULL;
	size_t i;
	json_t *e;

	if (json_is_object(doc) && json_is_object(json_object_get(doc, "Event"))) {
		g_ptr_array_add(evs, json_object_get(doc, "Event"));
		return EXCHANGE_OK;
	}
	if (json_is_object(doc) && json_is_array(json_object_get(doc, "response")))
		list = json_object_get(doc, "response");
	else if (json_is_array(doc))
		list = doc;
	if (list != NULL) {
		if (json_array_size(list) > MISP_MAX_EVENTS) {
			snprintf(err, errlen, "more than %u events", MISP_MAX_EVENTS);
			return EXCHANGE_ELIMIT;
		}
		json_array_foreach(list, i, e)
		{
			const json_t *ev = json_object_get(e, "Event");

			g_ptr_array_add(evs, (gpointer)(ev != NULL ? ev : e));
		}
		return EXCHANGE_OK;
	}
	if (json_is_object(doc) &&
	    (json_object_get(doc, "Attribute") != NULL || json_object_get(doc, "Object") != NULL ||
	     json_is_string(json_object_get(doc, "info")))) {
		g_ptr_array_add(evs, (gpointer)doc);
		return EXCHANGE_OK;
	}
	snprintf(err, errlen, "not a MISP event: no \"Event\", \"response\" or \"Attribute\"");
	return EXCHANGE_EFORMAT;
}

exchange_err misp_import(const json_t *doc, const misp_import_opts *o, json_t **out, char *err,
                         size_t errlen)
{
	static const misp_import_opts defaults = {0};
	GPtrArray *evs = g_ptr_array_new();
	exchange_ctx c;
	struct mimp m = {0};
	exchange_err e;

	*out = NULL;
	if (o == NULL)
		o = &defaults;
	e = collect_events(doc, evs, err, errlen);
	if (e != EXCHANGE_OK) {
		g_ptr_array_free(evs, TRUE);
		return e;
	}
	exchange_ctx_init(&c);
	m.c = &c;
	m.o = o;
	for (guint i = 0; i < evs->len; i++)
		import_event(&m, g_ptr_array_index(evs, i), i);
	g_ptr_array_free(evs, TRUE);
	if (m.objects > EXCHANGE_MAX_OBJECTS) {
		snprintf(err, errlen, "more than %u attributes and objects", EXCHANGE_MAX_OBJECTS);
		exchange_ctx_free(&c);
		return EXCHANGE_ELIMIT;
	}
	*out = exchange_result(&c, "misp", m.objects);
	exchange_ctx_free(&c);
	return *out != NULL ? EXCHANGE_OK : EXCHANGE_ENOMEM;
}

exchange_err misp_import_buffer(const char *buf, size_t len, const misp_import_opts *o,
                                json_t **out, char *err, size_t errlen)
{
	json_t *doc;
	exchange_err e = exchange_json_load(buf, len, 0, &doc, err, errlen);

	*out = NULL;
	if (e != EXCHANGE_OK)
		return e;
	e = misp_import(doc, o, out, err, errlen);
	json_decref(doc);
	return e;
}

/* ---- export ---- */

/* tlp:* tag names of the MISP taxonomy, by enum exchange_tlp */
static const char *const tlp_tags[] = {"tlp:clear", "tlp:green", "tlp:amber", "tlp:amber+strict",
                                       "tlp:red"};

/* MISP's own spelling of times: microseconds and "+00:00" */
static json_t *misp_time(gint64 ms)
{
	char buf[32], out[48];
	size_t n;

	exchange_time_stix(ms, buf); /* ...T08:15:00.000Z */
	n = strlen(buf);
	snprintf(out, sizeof out, "%.*s000+00:00", (int)(n - 1), buf);
	return json_string(out);
}

static json_t *attr_for(exchange_ctx *c, const exchange_ind *ind, const char *org, gint64 now)
{
	const char *mt, *cat;
	char *value = g_strdup(ind->value), *name, uuid[37], ts[32];
	bool prefix = false;
	json_t *a, *tags;

	if (exchange_type_is_hash(ind->type)) {
		mt = ind->type;
		cat = "Payload delivery";
	} else if (strcmp(ind->type, "email") == 0) {
		mt = "email-src";
		cat = "Payload delivery";
	} else if (strcmp(ind->type, "domain") == 0) {
		mt = "domain";
		cat = "Network activity";
	} else if (strcmp(ind->type, "url") == 0) {
		size_t n = strlen(value);

		mt = "url";
		cat = "Network activity";
		if (n > 0 && value[n - 1] == '*') {
			value[n - 1] = 0;
			prefix = true;
		}
	} else if (strcmp(ind->type, "ipv4") == 0 || strcmp(ind->type, "ipv6") == 0) {
		mt = "ip-dst";
		cat = "Network activity";
	} else if (strcmp(ind->type, "filename") == 0) {
		mt = strpbrk(value, "*?") != NULL ? "filename-pattern" : "filename";
		cat = "Payload delivery";
	} else if (strcmp(ind->type, "subject") == 0) {
		mt = "email-subject";
		cat = "Payload delivery";
	} else {
		mt = "email-message-id";
		cat = "Payload delivery";
	}
	name = g_strconcat("misp-attribute|", ind->type, "|", ind->value, NULL);
	exchange_uuid5(name, uuid);
	g_free(name);
	snprintf(ts, sizeof ts, "%" G_GINT64_FORMAT, now / 1000);
	tags = json_pack("[{s:s}]", "name", tlp_tags[ind->tlp]);
	a = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:s}", "uuid", uuid, "type", mt,
	              "category", cat, "value", value, "to_ids", 1, "distribution", "5",
	              "timestamp", ts, "comment", "");
	g_free(value);
	if (a == NULL || tags == NULL) {
		json_decref(a);
		json_decref(tags);
		c->oom = true;
		return NULL;
	}
	if (ind->desc != NULL && *ind->desc) {
		char *d = exchange_clean_text(ind->desc, EXCHANGE_MAX_DESCRIPTION);

		exchange_set(c, a, "comment", json_string(d));
		g_free(d);
	}
	if (ind->first_seen >= 0)
		exchange_set(c, a, "first_seen", misp_time(ind->first_seen));
	if (ind->valid_until >= 0)
		exchange_set(c, a, "last_seen", misp_time(ind->valid_until));
	if (prefix &&
	    json_array_append_new(tags, json_pack("{s:s}", "name", "vigil:match=\"prefix\"")) != 0)
		c->oom = true;
	if (strcmp(mt, "filename-pattern") == 0 &&
	    json_array_append_new(tags, json_pack("{s:s}", "name", "vigil:match=\"glob\"")) != 0)
		c->oom = true;
	if (ind->source != NULL && *ind->source && strcmp(ind->source, org) != 0) {
		char *s = exchange_clean_text(ind->source, EXCHANGE_MAX_SOURCE);
		char *t;

		t = g_strdup_printf("vigil:source=\"%s\"", s);
		if (json_array_append_new(tags, json_pack("{s:s}", "name", t)) != 0)
			c->oom = true;
		g_free(s);
		g_free(t);
	}
	exchange_set(c, a, "Tag", tags);
	return a;
}

exchange_err misp_export(const json_t *incident, const misp_export_opts *o, json_t **out, char *err,
                         size_t errlen)
{
	static const misp_export_opts defaults = {0};
	exchange_ctx c;
	const json_t *inds;
	const char *inc_id = NULL, *title = NULL, *sev = NULL, *status = NULL, *org;
	enum exchange_tlp inc_tlp = EXCHANGE_TLP_AMBER;
	gint64 now, date_ms;
	json_t *attrs, *ev;
	GHashTable *seen;
	char *info, *name, uuid[37], ts[32], date[32];
	const char *threat = "4", *analysis = "0";
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
		inc_id = json_string_value(json_object_get(incident, "id"));
		title = json_string_value(json_object_get(incident, "title"));
		sev = json_string_value(json_object_get(incident, "severity"));
		status = json_string_value(json_object_get(incident, "status"));
		if (json_is_string(json_object_get(incident, "tlp"))) {
			inc_tlp = exchange_tlp_parse(
			        json_string_value(json_object_get(incident, "tlp")));
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
	now = o->now_ms > 0 ? o->now_ms : exchange_now_ms();
	org = o->org;
	if (org == NULL && json_is_object(incident))
		org = json_string_value(
		        json_object_get(json_object_get(incident, "reporter"), "organisation"));
	if (org == NULL || *org == 0)
		org = "vigil";
	/* threat_level_id: 1 high, 2 medium, 3 low, 4 undefined */
	if (sev != NULL)
		threat = strcmp(sev, "critical") == 0 || strcmp(sev, "high") == 0 ? "1"
		         : strcmp(sev, "medium") == 0                             ? "2"
		         : strcmp(sev, "low") == 0                                ? "3"
		                                                                  : "4";
	/* analysis: 0 initial, 1 ongoing, 2 complete */
	if (status != NULL)
		analysis = strcmp(status, "closed") == 0                                 ? "2"
		           : strcmp(status, "new") == 0 || strcmp(status, "triage") == 0 ? "0"
		                                                                         : "1";
	date_ms = json_is_object(incident) ? -1 : now;
	if (json_is_object(incident) &&
	    !exchange_time_parse(json_string_value(json_object_get(incident, "detected_at")),
	                         &date_ms))
		date_ms = now;
	exchange_time_stix(date_ms, date);
	date[10] = 0; /* YYYY-MM-DD */
	snprintf(ts, sizeof ts, "%" G_GINT64_FORMAT, now / 1000);
	/* distribution 0 (this organisation only): the receiving instance decides
	 * how far to share it, by the TLP tags */
	/* info: at most 256 characters, no new lines (the core format) */
	info = exchange_clean_text(title != NULL && *title ? title
	                           : inc_id != NULL        ? inc_id
	                                                   : "vigil indicators",
	                           256);
	name = g_strconcat("misp-event|", inc_id != NULL ? inc_id : "vigil", NULL);
	exchange_uuid5(name, uuid);
	g_free(name);

	exchange_ctx_init(&c);
	attrs = json_array();
	seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	json_array_foreach(inds, i, e)
	{
		exchange_ind ind;
		json_t *a;
		char *key;

		if (!exchange_ind_read(&c, e, i, inc_tlp, &ind))
			continue;
		key = g_strconcat(ind.type, "\n", ind.value, NULL);
		if (g_hash_table_contains(seen, key)) {
			exchange_skip(&c, ind.type, ind.value,
			              "the same indicator twice in the incident");
			g_free(key);
		} else {
			g_hash_table_add(seen, key);
			a = attr_for(&c, &ind, org, now);
			if (a != NULL && json_array_append_new(attrs, a) != 0)
				c.oom = true;
		}
		exchange_ind_clear(&ind);
	}
	g_hash_table_destroy(seen);
	ev = json_pack("{s:{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:{s:s}, s:[{s:s}], "
	               "s:o, s:[]}}",
	               "Event", "uuid", uuid, "info", info, "threat_level_id", threat, "analysis",
	               analysis, "date", date, "timestamp", ts, "published", 0, "distribution", "0",
	               "sharing_group_id", "0", "Orgc", "name", org, "Tag", "name",
	               tlp_tags[inc_tlp], "Attribute", attrs, "Object");
	g_free(info);
	if (ev == NULL || c.oom) {
		json_decref(ev);
		exchange_ctx_free(&c);
		return EXCHANGE_ENOMEM;
	}
	*out = json_pack("{s:o, s:O}", "document", ev, "skipped", c.skipped);
	exchange_ctx_free(&c);
	return *out != NULL ? EXCHANGE_OK : EXCHANGE_ENOMEM;
}
