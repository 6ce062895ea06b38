/*
 * orgmap.c - the organisation as vigild reads it at request time (orgmap.h),
 * and its edits.
 *
 * The file is validated by the organisation module (org.c); this view keeps
 * what requests need (the region of a unit, the unit of a mailbox, the unit
 * list) in hash tables. Edits go through org.c (same validation), the file is
 * rewritten atomically, and a new view replaces the old one under a
 * write lock. Every string a lookup returns is interned (g_intern_string),
 * so it stays valid after any later replacement: callers never hold a lock.
 * Bounded: the file is at most 256 MiB (org.c's limits apply).
 * Memory: one organisation in org.c and its JSON view (~70 MB for 20,000
 * staff); an edit briefly holds a second view.
 */
#include "orgmap.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "org.h"

#define MAX_FILE (256u << 20)

struct view {
	json_t *doc;
	const char *domain;    /* interned */
	GHashTable *region_of; /* unit id -> region (both interned) */
	GHashTable *unit_of;   /* lower-case email (owned) -> unit id (interned) */
	GHashTable *staff_n;   /* unit id (interned) -> count (GINT_TO_POINTER) */
	GHashTable *hosts_of;  /* lower-case email (owned) -> GPtrArray of interned hosts */
	GHashTable *ep_unit;   /* lower-case host (interned) -> unit id (interned) */
	GHashTable *ep_owner;  /* lower-case host (interned) -> staff id (interned) */
	GHashTable *unit_eps;  /* unit id (interned) -> GPtrArray of hosts (interned) */
};

struct orgmap {
	GRWLock lock;
	struct view *v;
	GMutex edit; /* one edit at a time */
	org *o;      /* the editable organisation (org.c) */
	char *path;  /* where it is saved */
};

static const char *str_of(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL && strlen(s) <= 256 ? s : NULL;
}

static void view_free(struct view *v)
{
	if (v == NULL)
		return;
	if (v->region_of)
		g_hash_table_destroy(v->region_of);
	if (v->unit_of)
		g_hash_table_destroy(v->unit_of);
	if (v->staff_n)
		g_hash_table_destroy(v->staff_n);
	if (v->hosts_of)
		g_hash_table_destroy(v->hosts_of);
	if (v->ep_unit)
		g_hash_table_destroy(v->ep_unit);
	if (v->ep_owner)
		g_hash_table_destroy(v->ep_owner);
	if (v->unit_eps)
		g_hash_table_destroy(v->unit_eps);
	json_decref(v->doc);
	g_free(v);
}

/* takes doc */
static struct view *view_new(json_t *doc)
{
	struct view *v = g_new0(struct view, 1);
	json_t *u;
	size_t i;

	v->doc = doc;
	v->domain = g_intern_string(str_of(doc, "domain") ? str_of(doc, "domain") : "");
	v->region_of = g_hash_table_new(g_str_hash, g_str_equal);
	v->unit_of = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	v->staff_n = g_hash_table_new(g_str_hash, g_str_equal);
	v->ep_unit = g_hash_table_new(g_str_hash, g_str_equal);
	v->ep_owner = g_hash_table_new(g_str_hash, g_str_equal);
	v->unit_eps = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
	                                    (GDestroyNotify)g_ptr_array_unref);
	json_array_foreach(json_object_get(doc, "units"), i, u)
	{
		const char *id = str_of(u, "id"), *region = str_of(u, "region");

		if (id != NULL)
			g_hash_table_insert(v->region_of, (gpointer)g_intern_string(id),
			                    (gpointer)g_intern_string(region ? region : ""));
	}
	json_array_foreach(json_object_get(doc, "staff"), i, u)
	{
		const char *email = str_of(u, "email"), *unit = str_of(u, "unit");

		if (email == NULL || unit == NULL || !g_hash_table_contains(v->region_of, unit))
			continue;
		unit = g_intern_string(unit);
		g_hash_table_insert(v->unit_of, g_ascii_strdown(email, -1), (gpointer)unit);
		g_hash_table_insert(
		        v->staff_n, (gpointer)unit,
		        GINT_TO_POINTER(GPOINTER_TO_INT(g_hash_table_lookup(v->staff_n, unit)) +
		                        1));
	}
	/* the endpoints of each mailbox's owner (staff id -> email -> hosts) */
	v->hosts_of = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	                                    (GDestroyNotify)g_ptr_array_unref);
	{
		GHashTable *email_of = g_hash_table_new(g_str_hash, g_str_equal);

		json_array_foreach(json_object_get(doc, "staff"), i, u)
		{
			const char *id = str_of(u, "id"), *email = str_of(u, "email");

			if (id != NULL && email != NULL)
				g_hash_table_insert(email_of, (gpointer)id, (gpointer)email);
		}
		json_array_foreach(json_object_get(doc, "endpoints"), i, u)
		{
			const char *owner = str_of(u, "owner"), *host = str_of(u, "host"), *email;
			GPtrArray *hosts;
			char *lc;

			if (owner == NULL || host == NULL ||
			    (email = g_hash_table_lookup(email_of, owner)) == NULL)
				continue;
			lc = g_ascii_strdown(email, -1);
			hosts = g_hash_table_lookup(v->hosts_of, lc);
			if (hosts == NULL) {
				hosts = g_ptr_array_new();
				g_hash_table_insert(v->hosts_of, lc, hosts);
			} else {
				g_free(lc);
			}
			if (hosts->len < 64)
				g_ptr_array_add(hosts, (gpointer)g_intern_string(host));
		}
		g_hash_table_destroy(email_of);
	}
	/* endpoints: what vigil-agent enrolment and sweeps look up (hosts are
	 * interned: a sweep keeps them past a later edit of the organisation) */
	json_array_foreach(json_object_get(doc, "endpoints"), i, u)
	{
		const char *host = str_of(u, "host"), *unit = str_of(u, "unit");
		const char *owner = str_of(u, "owner");
		GPtrArray *list;
		char *lc;

		if (host == NULL || unit == NULL || !g_hash_table_contains(v->region_of, unit))
			continue;
		lc = g_ascii_strdown(host, -1);
		host = g_intern_string(lc);
		g_free(lc);
		unit = g_intern_string(unit);
		g_hash_table_insert(v->ep_unit, (gpointer)host, (gpointer)unit);
		if (owner != NULL)
			g_hash_table_insert(v->ep_owner, (gpointer)host,
			                    (gpointer)g_intern_string(owner));
		list = g_hash_table_lookup(v->unit_eps, unit);
		if (list == NULL) {
			list = g_ptr_array_new();
			g_hash_table_insert(v->unit_eps, (gpointer)unit, list);
		}
		g_ptr_array_add(list, (gpointer)host);
	}
	return v;
}

struct orgmap *orgmap_load(const char *path, char **err)
{
	struct orgmap *m;
	org_error oe;
	org *o = NULL;
	GStatBuf st;

	if (g_stat(path, &st) != 0 || st.st_size > MAX_FILE) {
		*err = g_strdup_printf("%s: missing or larger than 256 MiB", path);
		return NULL;
	}
	/* the organisation module's checks (docs/organisation.md): vigild serves
	 * a valid organisation or none */
	if (org_load_file(path, &o, &oe) != ORG_OK) {
		*err = g_strdup_printf("%s: %s (check it with: vigil org check %s)", path, oe.text,
		                       path);
		return NULL;
	}
	m = g_new0(struct orgmap, 1);
	g_rw_lock_init(&m->lock);
	g_mutex_init(&m->edit);
	m->o = o;
	m->path = g_strdup(path);
	m->v = view_new(org_to_json(o));
	return m;
}

void orgmap_free(struct orgmap *m)
{
	if (m == NULL)
		return;
	view_free(m->v);
	org_free(m->o);
	g_free(m->path);
	g_rw_lock_clear(&m->lock);
	g_mutex_clear(&m->edit);
	g_free(m);
}

bool orgmap_has_unit(const struct orgmap *cm, const char *unit)
{
	struct orgmap *m = (struct orgmap *)cm;
	bool r;

	if (m == NULL || unit == NULL)
		return false;
	g_rw_lock_reader_lock(&m->lock);
	r = g_hash_table_contains(m->v->region_of, unit);
	g_rw_lock_reader_unlock(&m->lock);
	return r;
}

const char *orgmap_region(const struct orgmap *cm, const char *unit)
{
	struct orgmap *m = (struct orgmap *)cm;
	const char *r;

	if (m == NULL || unit == NULL)
		return NULL;
	g_rw_lock_reader_lock(&m->lock);
	r = g_hash_table_lookup(m->v->region_of, unit);
	g_rw_lock_reader_unlock(&m->lock);
	return r;
}

const char *orgmap_unit_of(const struct orgmap *cm, const char *email)
{
	struct orgmap *m = (struct orgmap *)cm;
	char *lc;
	const char *u;

	if (m == NULL || email == NULL || strlen(email) > 512)
		return NULL;
	lc = g_ascii_strdown(email, -1);
	g_rw_lock_reader_lock(&m->lock);
	u = g_hash_table_lookup(m->v->unit_of, lc);
	g_rw_lock_reader_unlock(&m->lock);
	g_free(lc);
	return u;
}

json_t *orgmap_hosts_of(const struct orgmap *cm, const char *email)
{
	struct orgmap *m = (struct orgmap *)cm;
	json_t *out = json_array();
	GPtrArray *hosts;
	char *lc;

	if (m == NULL || email == NULL || strlen(email) > 512)
		return out;
	lc = g_ascii_strdown(email, -1);
	g_rw_lock_reader_lock(&m->lock);
	hosts = g_hash_table_lookup(m->v->hosts_of, lc);
	for (guint i = 0; hosts != NULL && i < hosts->len; i++)
		json_array_append_new(out, json_string(hosts->pdata[i]));
	g_rw_lock_reader_unlock(&m->lock);
	g_free(lc);
	return out;
}

bool orgmap_endpoint(const struct orgmap *cm, const char *host, const char **unit,
                     const char **owner)
{
	struct orgmap *m = (struct orgmap *)cm;
	char *lc;
	const char *u = NULL, *o = NULL;

	if (m == NULL || host == NULL || strlen(host) > 253)
		return false;
	lc = g_ascii_strdown(host, -1);
	g_rw_lock_reader_lock(&m->lock);
	u = g_hash_table_lookup(m->v->ep_unit, lc);
	o = g_hash_table_lookup(m->v->ep_owner, lc);
	g_rw_lock_reader_unlock(&m->lock);
	g_free(lc);
	if (unit != NULL)
		*unit = u;
	if (owner != NULL)
		*owner = o;
	return u != NULL;
}

size_t orgmap_unit_endpoints(const struct orgmap *cm, const char *unit,
                             void (*fn)(void *ctx, const char *host), void *ctx)
{
	struct orgmap *m = (struct orgmap *)cm;
	GPtrArray *list, *copy = NULL;

	if (m == NULL || unit == NULL)
		return 0;
	g_rw_lock_reader_lock(&m->lock);
	list = g_hash_table_lookup(m->v->unit_eps, unit);
	if (list != NULL)
		copy = g_ptr_array_copy(list, NULL, NULL);
	g_rw_lock_reader_unlock(&m->lock);
	if (copy == NULL)
		return 0;
	/* called without the lock: the hosts are interned */
	for (guint i = 0; i < copy->len; i++)
		fn(ctx, copy->pdata[i]);
	{
		size_t n = copy->len;

		g_ptr_array_unref(copy);
		return n;
	}
}

const char *orgmap_domain(const struct orgmap *cm)
{
	struct orgmap *m = (struct orgmap *)cm;
	const char *d;

	if (m == NULL)
		return "";
	g_rw_lock_reader_lock(&m->lock);
	d = m->v->domain;
	g_rw_lock_reader_unlock(&m->lock);
	return d;
}

json_t *orgmap_units_json(const struct orgmap *cm)
{
	struct orgmap *m = (struct orgmap *)cm;
	json_t *out = json_object(), *arr = json_array(), *u;
	size_t i;

	if (m == NULL) {
		json_object_set_new(out, "units", arr);
		return out;
	}
	g_rw_lock_reader_lock(&m->lock);
	json_array_foreach(json_object_get(m->v->doc, "units"), i, u)
	{
		const char *id = str_of(u, "id");

		if (id == NULL)
			continue;
		json_array_append_new(
		        arr,
		        json_pack("{s:s,s:s,s:s,s:s?,s:s?,s:i}", "id", id, "name",
		                  str_of(u, "name") ? str_of(u, "name") : id, "short",
		                  str_of(u, "short") ? str_of(u, "short") : id, "kind",
		                  str_of(u, "kind"), "region",
		                  (const char *)g_hash_table_lookup(m->v->region_of, id), "staff",
		                  GPOINTER_TO_INT(g_hash_table_lookup(m->v->staff_n, id))));
	}
	json_object_set_new(out, "units", arr);
	if (json_is_array(json_object_get(m->v->doc, "regions")))
		json_object_set_new(out, "regions",
		                    json_deep_copy(json_object_get(m->v->doc, "regions")));
	json_object_set_new(
	        out, "counts",
	        json_pack("{s:I,s:I,s:I,s:I}", "units",
	                  (json_int_t)json_array_size(json_object_get(m->v->doc, "units")), "staff",
	                  (json_int_t)json_array_size(json_object_get(m->v->doc, "staff")),
	                  "endpoints",
	                  (json_int_t)json_array_size(json_object_get(m->v->doc, "endpoints")),
	                  "systems",
	                  (json_int_t)json_array_size(json_object_get(m->v->doc, "systems"))));
	g_rw_lock_reader_unlock(&m->lock);
	return out;
}

/* ---- listing and editing (the administrator's organisation page) ---- */

static const char *const kinds[ORG_NKINDS] = {"regions", "units", "staff", "endpoints", "systems"};

int orgmap_kind(const char *name)
{
	for (int k = 0; name != NULL && k < ORG_NKINDS; k++)
		if (strcmp(kinds[k], name) == 0)
			return k;
	return -1;
}

static bool matches(json_t *item, const char *q, const char *unit)
{
	const char *k;
	json_t *v;

	if (unit != NULL) {
		const char *u = str_of(item, "unit");

		if (u == NULL || strcmp(u, unit) != 0)
			return false;
	}
	if (q == NULL || *q == 0)
		return true;
	json_object_foreach(item, k, v)
	{
		const char *s = json_string_value(v);
		char *a, *b;
		bool hit;

		if (s == NULL)
			continue;
		a = g_utf8_casefold(s, -1);
		b = g_utf8_casefold(q, -1);
		hit = strstr(a, b) != NULL;
		g_free(a);
		g_free(b);
		if (hit)
			return true;
	}
	return false;
}

json_t *orgmap_list(struct orgmap *m, int kind, const char *q, const char *unit, size_t limit,
                    size_t offset, size_t *total)
{
	json_t *out = json_array(), *item;
	size_t i, seen = 0;

	*total = 0;
	if (m == NULL || kind < 0 || kind >= ORG_NKINDS)
		return out;
	g_rw_lock_reader_lock(&m->lock);
	json_array_foreach(json_object_get(m->v->doc, kinds[kind]), i, item)
	{
		if (!matches(item, q, unit))
			continue;
		if (seen++ >= offset && json_array_size(out) < limit)
			json_array_append_new(out, json_deep_copy(item));
	}
	*total = seen;
	g_rw_lock_reader_unlock(&m->lock);
	return out;
}

int orgmap_edit(struct orgmap *m, const char *op, int kind, const char *key, const json_t *item,
                char **err)
{
	org_error oe;
	org_err rc;
	struct view *nv, *old;

	if (m == NULL || kind < 0 || kind >= ORG_NKINDS) {
		*err = g_strdup("no such kind of record");
		return ORG_ERR_INVALID;
	}
	g_mutex_lock(&m->edit);
	if (strcmp(op, "add") == 0)
		rc = org_add(m->o, (org_kind)kind, item, &oe);
	else if (strcmp(op, "update") == 0)
		rc = org_update(m->o, (org_kind)kind, key, item, &oe);
	else
		rc = org_remove(m->o, (org_kind)kind, key, &oe);
	if (rc == ORG_OK && (rc = org_save_file(m->o, m->path, &oe)) != ORG_OK) {
		/* the file keeps the last good organisation: so does memory */
		org *back = NULL;
		org_error be;

		if (org_load_file(m->path, &back, &be) == ORG_OK) {
			org_free(m->o);
			m->o = back;
		}
	}
	if (rc != ORG_OK) {
		*err = g_strdup(oe.text);
		g_mutex_unlock(&m->edit);
		return rc;
	}
	nv = view_new(org_to_json(m->o));
	g_rw_lock_writer_lock(&m->lock);
	old = m->v;
	m->v = nv;
	g_rw_lock_writer_unlock(&m->lock);
	view_free(old); /* no reader holds it: lookups return interned strings */
	g_mutex_unlock(&m->edit);
	return ORG_OK;
}
