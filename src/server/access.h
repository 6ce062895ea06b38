/*
 * access.h - what each role may do, and on which units (enforced in the
 * server for every endpoint; the UI only mirrors it).
 *
 *   role                  rights                                  scope
 *   admin                 everything, users, tokens, organisation  all units
 *   central_analyst       read + work incidents and alerts         all units
 *   regional_coordinator  read + work incidents and alerts         units of their region
 *   provincial_analyst    read + work incidents and alerts         their unit
 *   drill_controller      read; work drill incidents only          all units
 *   viewer                read                                     their unit, or all if none
 *   gateway token         post alerts, follow the block stream,    -
 *                         acknowledge blocks (RIGHT_GATEWAY)
 *   block list, gateways  admin, central_analyst (RIGHT_BLOCKS)    all units
 *   agent token           (issue 6)                                -
 *   drill programme, rounds admin, drill_controller (RIGHT_DRILLS)  all units
 *
 * An object outside the caller's scope answers 404, not 403, so its
 * existence does not leak; a right the role lacks answers 403.
 */
#ifndef VIGIL_SERVER_ACCESS_H
#define VIGIL_SERVER_ACCESS_H

#include <stdbool.h>

#include "server.h"

enum right {
	RIGHT_READ,       /* incidents, alerts, organisation */
	RIGHT_WORK,       /* change incidents and alerts */
	RIGHT_ADMIN,      /* users, tokens, audit */
	RIGHT_POST_ALERT, /* gateways */
	RIGHT_GATEWAY,    /* gateways: the block stream and its acknowledgements */
	RIGHT_BLOCKS,     /* the global block list and the gateways' state (central) */
	RIGHT_DRILLS,     /* drill programmes and rounds: plan, start, end (drills.h) */
};

/* the right as such, whatever the object */
bool access_has(const struct caller *c, enum right r);

/*
 * Whether the caller may see / work on something concerning these units
 * (an incident's units, an alert's recipients' units). drill: whether the
 * object is a drill object (drill controllers work only on those).
 */
bool access_units(const struct vsrv *srv, const struct caller *c, enum right r,
                  const char *const *units, int n, bool drill);

/*
 * For list queries: NULL when the caller sees every unit, else the SQL
 * condition's value: "unit:<id>" or "region:<id>" (see api.c's queries).
 */
const char *access_scope(const struct caller *c, char *buf, int n);

/* answers 403/401 and returns false if the caller lacks the right */
bool access_require(struct http_req *rq, struct http_resp *rs, enum right r);

#endif
