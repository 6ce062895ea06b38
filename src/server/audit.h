/*
 * audit.h - the append-only, hash-chained audit log of every change.
 *
 * Each entry's hash is SHA-256 over the previous entry's hash and this
 * entry's fields (length-prefixed, so no field can bleed into the next);
 * the first entry's previous hash is 64 zeros. Editing, deleting or
 * reordering a stored entry breaks the chain at that entry, which
 * audit_verify() reports. Entries are written in the same transaction as
 * the change they record, so there is no change without its entry.
 */
#ifndef VIGIL_SERVER_AUDIT_H
#define VIGIL_SERVER_AUDIT_H

#include <jansson.h>
#include <stdint.h>

#include "store/sql.h"

/* detail: a JSON object (borrowed); unit: the unit concerned or NULL */
int audit_append(store_db *db, const char *actor, const char *action, const char *object,
                 const char *unit, json_t *detail, char **err);

/*
 * Walks the whole chain. *checked = entries verified; *broken_id = the id of
 * the first entry that does not match (0 when the chain is intact).
 */
int audit_verify(store_db *db, int64_t *checked, int64_t *broken_id, char **err);

#endif
