/*
 * orgmap.c - the organisation as vigild reads it at request time (orgmap.h).
 *
 * The file is validated by the organisation module (org.c) first; then this
 * read-only view keeps what requests need. Bounded: the file is at most
 * 256 MiB; strings longer than 256 bytes and entries without an id are
 * skipped. Unknown fields are ignored, so the
 * richer files of the organisation editor load here too.
 */
#include "orgmap.h"

#include "org.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#define MAX_FILE (256u << 20)

struct orgmap {
	json_t *doc;
	char *domain;
	GHashTable *region_of; /* unit id -> region (borrowed from doc) */
	GHashTable *unit_of;   /* lower-case email (owned) -> unit id (borrowed) */
	GHashTable *staff_n;   /* unit id -> count (GINT_TO_POINTER) */
};

static const char *str_of(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL && strlen(s) <= 256 ? s : NULL;
}

struct orgmap *orgmap_load(const char *path, char **err)
{
	json_error_t je;
	struct orgmap *m;
	json_t *units, *staff, *u;
	size_t i;
	GStatBuf st;

	if (g_stat(path, &st) != 0 || st.st_size > MAX_FILE) {
		*err = g_strdup_printf("%s: missing or larger than 256 MiB", path);
		return NULL;
	}
	/* the organisation module's checks first (docs/organisation.md): vigild
	 * serves a valid organisation or none */
	{
		org_error oe;
		org *o = NULL;

		if (org_load_file(path, &o, &oe) != ORG_OK) {
			*err = g_strdup_printf("%s: %s (check it with: vigil org check %s)", path,
			                       oe.text, path);
			return NULL;
		}
		org_free(o);
	}
	m = g_new0(struct orgmap, 1);
	m->doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (m->doc == NULL || !json_is_array(json_object_get(m->doc, "units"))) {
		*err = g_strdup_printf("%s: not an organisation file (%s at line %d)", path,
		                       m->doc == NULL ? je.text : "no \"units\" list", je.line);
		orgmap_free(m);
		return NULL;
	}
	m->domain = g_strdup(str_of(m->doc, "domain") ? str_of(m->doc, "domain") : "");
	m->region_of = g_hash_table_new(g_str_hash, g_str_equal);
	m->unit_of = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	m->staff_n = g_hash_table_new(g_str_hash, g_str_equal);
	units = json_object_get(m->doc, "units");
	json_array_foreach(units, i, u)
	{
		const char *id = str_of(u, "id"), *region = str_of(u, "region");

		if (id != NULL)
			g_hash_table_insert(m->region_of, (gpointer)id,
			                    (gpointer)(region ? region : ""));
	}
	staff = json_object_get(m->doc, "staff");
	json_array_foreach(staff, i, u)
	{
		const char *email = str_of(u, "email"), *unit = str_of(u, "unit");

		if (email == NULL || unit == NULL || !g_hash_table_contains(m->region_of, unit))
			continue;
		g_hash_table_insert(m->unit_of, g_ascii_strdown(email, -1), (gpointer)unit);
		g_hash_table_insert(
		        m->staff_n, (gpointer)unit,
		        GINT_TO_POINTER(GPOINTER_TO_INT(g_hash_table_lookup(m->staff_n, unit)) +
		                        1));
	}
	return m;
}

void orgmap_free(struct orgmap *m)
{
	if (m == NULL)
		return;
	if (m->region_of)
		g_hash_table_destroy(m->region_of);
	if (m->unit_of)
		g_hash_table_destroy(m->unit_of);
	if (m->staff_n)
		g_hash_table_destroy(m->staff_n);
	json_decref(m->doc);
	g_free(m->domain);
	g_free(m);
}

bool orgmap_has_unit(const struct orgmap *m, const char *unit)
{
	return m != NULL && unit != NULL && g_hash_table_contains(m->region_of, unit);
}

const char *orgmap_region(const struct orgmap *m, const char *unit)
{
	return m != NULL && unit != NULL ? g_hash_table_lookup(m->region_of, unit) : NULL;
}

const char *orgmap_unit_of(const struct orgmap *m, const char *email)
{
	char *lc;
	const char *u;

	if (m == NULL || email == NULL || strlen(email) > 512)
		return NULL;
	lc = g_ascii_strdown(email, -1);
	u = g_hash_table_lookup(m->unit_of, lc);
	g_free(lc);
	return u;
}

const char *orgmap_domain(const struct orgmap *m)
{
	return m ? m->domain : "";
}

json_t *orgmap_units_json(const struct orgmap *m)
{
	json_t *out = json_object(), *arr = json_array(), *u;
	size_t i;

	if (m == NULL) {
		json_object_set_new(out, "units", arr);
		return out;
	}
	json_array_foreach(json_object_get(m->doc, "units"), i, u)
	{
		const char *id = str_of(u, "id");

		if (id == NULL)
			continue;
		json_array_append_new(
		        arr, json_pack("{s:s,s:s,s:s,s:s,s:i}", "id", id, "name",
		                       str_of(u, "name") ? str_of(u, "name") : id, "short",
		                       str_of(u, "short") ? str_of(u, "short") : id, "region",
		                       orgmap_region(m, id), "staff",
		                       GPOINTER_TO_INT(g_hash_table_lookup(m->staff_n, id))));
	}
	json_object_set_new(out, "units", arr);
	if (json_is_array(json_object_get(m->doc, "regions")))
		json_object_set(out, "regions", json_object_get(m->doc, "regions"));
	return out;
}
