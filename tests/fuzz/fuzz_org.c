/*
 * fuzz_org.c - libFuzzer harness for the organisation loader
 * (src/server/org.c). Any bytes go to org_load; an error must come with a
 * bounded message. What loads must hold its invariants:
 *   - org_dump's text loads again and dumps to the same text;
 *   - every record is found by its key (staff also by e-mail address);
 *   - an edit that changes nothing (the record's own title, os or name)
 *     is accepted;
 *   - small organisations can be taken apart in dependency order
 *     (endpoints, systems, staff, units, regions), every removal accepted,
 *     leaving nothing.
 * Seeds: tests/fuzz/seeds/fuzz_org/ (given to this harness alone).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "server/org.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			__builtin_trap();                                                          \
	} while (0)

static const char *key_of(const org *o, org_kind k, size_t i)
{
	switch (k) {
	case ORG_REGION:
		return org_region_at(o, i)->id;
	case ORG_UNIT:
		return org_unit_at(o, i)->id;
	case ORG_STAFF:
		return org_staff_at(o, i)->id;
	case ORG_ENDPOINT:
		return org_endpoint_at(o, i)->host;
	case ORG_SYSTEM:
		return org_system_at(o, i)->id;
	default:
		return NULL;
	}
}

static void lookups(const org *o)
{
	for (size_t i = 0; i < org_count(o, ORG_UNIT); i++)
		CHECK(org_unit_get(o, org_unit_at(o, i)->id) == org_unit_at(o, i));
	for (size_t i = 0; i < org_count(o, ORG_STAFF); i++) {
		const org_staff *s = org_staff_at(o, i);

		CHECK(org_staff_get(o, s->id) == s);
		CHECK(org_staff_by_email(o, s->email) == s);
		CHECK(org_unit_get(o, s->unit) != NULL);
	}
	for (size_t i = 0; i < org_count(o, ORG_ENDPOINT); i++) {
		const org_endpoint *ep = org_endpoint_at(o, i);

		CHECK(org_endpoint_get(o, ep->host) == ep);
		CHECK(ep->owner == NULL || org_staff_get(o, ep->owner) != NULL);
	}
	for (size_t i = 0; i < org_count(o, ORG_REGION); i++) {
		size_t n;

		org_region_units(o, org_region_at(o, i)->id, &n);
		CHECK(n == org_referrers(o, ORG_REGION, org_region_at(o, i)->id, ORG_UNIT));
	}
}

static void edits(org *o)
{
	org_error e;
	size_t total = 0;
	static const org_kind order[] = {ORG_ENDPOINT, ORG_SYSTEM, ORG_STAFF, ORG_UNIT, ORG_REGION};

	if (org_count(o, ORG_STAFF) > 0) {
		const org_staff *s = org_staff_at(o, 0);
		char *id = g_strdup(s->id);
		json_t *patch = json_pack("{s:s}", "name", s->name);

		CHECK(org_update(o, ORG_STAFF, id, patch, &e) == ORG_OK);
		json_decref(patch);
		g_free(id);
	}
	for (int k = 0; k < ORG_NKINDS; k++)
		total += org_count(o, (org_kind)k);
	if (total > 2000) /* removal searches the list: keep the run short */
		return;
	for (size_t j = 0; j < sizeof order / sizeof order[0]; j++) {
		while (org_count(o, order[j]) > 0) {
			char *key = g_strdup(key_of(o, order[j], org_count(o, order[j]) - 1));

			CHECK(org_remove(o, order[j], key, &e) == ORG_OK);
			g_free(key);
		}
	}
	for (int k = 0; k < ORG_NKINDS; k++)
		CHECK(org_count(o, (org_kind)k) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	org *o = NULL, *again = NULL;
	org_error e;
	char *t1, *t2;
	size_t n1, n2;

	if (org_load(data, size, &o, &e) != ORG_OK) {
		CHECK(o == NULL && e.code != ORG_OK && strlen(e.text) < sizeof e.text);
		CHECK(e.what != NULL && *e.what);
		return 0;
	}
	t1 = org_dump(o, &n1);
	CHECK(org_load(t1, n1, &again, &e) == ORG_OK);
	t2 = org_dump(again, &n2);
	CHECK(n1 == n2 && memcmp(t1, t2, n1) == 0);
	lookups(o);
	edits(o);
	g_free(t1);
	g_free(t2);
	org_free(again);
	org_free(o);
	return 0;
}
