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
#include <stddef.h>

struct orgmap;

/* NULL with *err set when the file cannot be read or is not an organisation */
struct orgmap *orgmap_load(const char *path, char **err);
void orgmap_free(struct orgmap *m);

bool orgmap_has_unit(const struct orgmap *m, const char *unit);
/* "north", "central-highlands", "south", "national", or NULL */
const char *orgmap_region(const struct orgmap *m, const char *unit);
/* unit id of a staff mailbox (case-insensitive), or NULL */
const char *orgmap_unit_of(const struct orgmap *m, const char *email);
/* the endpoints (host names) of the owner of a mailbox: a new array */
json_t *orgmap_hosts_of(const struct orgmap *m, const char *email);
/* the unit (and owner: a staff id, or NULL) of the endpoint named host (any
 * case); false when the organisation lists no such endpoint. Interned. */
bool orgmap_endpoint(const struct orgmap *m, const char *host, const char **unit,
                     const char **owner);
/* calls fn with the host (lower case, interned) of every endpoint of unit;
 * returns how many */
size_t orgmap_unit_endpoints(const struct orgmap *m, const char *unit,
                             void (*fn)(void *ctx, const char *host), void *ctx);
/* the domain of the organisation's mailboxes */
const char *orgmap_domain(const struct orgmap *m);
/* {"regions": [...], "units": [{"id","name","short","kind","region","staff"}],
 *  "counts": {...}} (new ref) */
json_t *orgmap_units_json(const struct orgmap *m);

/* "regions", "units", "staff", "endpoints", "systems" -> kind, or -1 */
int orgmap_kind(const char *name);
/* records of a kind whose text contains q (any case) and, for staff and
 * endpoints, of that unit; a page of them (copies) and *total */
json_t *orgmap_list(struct orgmap *m, int kind, const char *q, const char *unit, size_t limit,
                    size_t offset, size_t *total);
/*
 * op "add" (item), "update" (key, item = merge patch) or "remove" (key):
 * validated by org.c, saved to the file atomically, then requests see the
 * new organisation. Returns ORG_OK or an org_err with *err the reason.
 */
int orgmap_edit(struct orgmap *m, const char *op, int kind, const char *key, const json_t *item,
                char **err);

#endif
