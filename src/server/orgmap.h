/*
 * orgmap.h - what vigild needs to know of the organisation at request time:
 * the region of a unit, the unit of a mailbox, the list of units. Loaded
 * from org.json (docs/decisions/0010-vigild-layout.md); read-only once
 * loaded, so any thread may use it without a lock.
 */
#ifndef VIGIL_SERVER_ORGMAP_H
#define VIGIL_SERVER_ORGMAP_H

#include <jansson.h>
#include <stdbool.h>

struct orgmap;

/* NULL with *err set when the file cannot be read or is not an organisation */
struct orgmap *orgmap_load(const char *path, char **err);
void orgmap_free(struct orgmap *m);

bool orgmap_has_unit(const struct orgmap *m, const char *unit);
/* "north", "central-highlands", "south", "national", or NULL */
const char *orgmap_region(const struct orgmap *m, const char *unit);
/* unit id of a staff mailbox (case-insensitive), or NULL */
const char *orgmap_unit_of(const struct orgmap *m, const char *email);
/* the domain of the organisation's mailboxes */
const char *orgmap_domain(const struct orgmap *m);
/* {"regions": [...], "units": [{"id","name","short","region","staff"}]} (new ref) */
json_t *orgmap_units_json(const struct orgmap *m);

#endif
