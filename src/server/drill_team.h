/*
 * drill_team.h - the team exercise of a drill round (docs/drills.md "Team
 * exercise"; docs/decisions/0014-drills-contract.md; migration 7).
 *
 * When a round of kind team or both starts, vigild injects the scenario:
 * drill detections (alerts with drill = 1, as a gateway would post them)
 * for the participating units' recipients, grouped into one drill incident
 * of the round marked "DIỄN TẬP / EXERCISE"; harmless simulants planted on
 * chosen endpoints through their agents (orders plant / unplant); and the
 * scenario's timed injects (a second unit reports the mail, more plants, a
 * message to the teams), fired by a scheduler thread at their offsets and
 * resumed after a restart (their state is in drill_injects). The teams
 * work the incident with the ordinary tools; vigild measures each unit
 * (api_drill_team.c) and cleans up when the round ends: every drill copy
 * still in a mailbox is clawed back, every simulant is removed by its
 * agent, the round's incidents are closed; what could not be done yet (an
 * agent offline) stays pending and is retried until it is done.
 *
 * The teams never see the plan: pending injects, the plants and the
 * settings are answered only to drill controllers, administrators and the
 * round's own controllers and evaluators.
 *
 * drill_team.c: the engine and its thread; api_drill_team.c: the API and
 * the measures.
 */
#ifndef VIGIL_SERVER_DRILL_TEAM_H
#define VIGIL_SERVER_DRILL_TEAM_H

#include <glib.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "http.h"
#include "server.h"

#define TEAM_MAX_UNITS 64
#define TEAM_MAX_PLANTS_PER_UNIT 50
#define TEAM_SIMULANT_MAX (1u << 20)

/* the scheduler thread (after the store and the organisation are up);
 * scenarios: the folder of the scenario files ([drills] scenarios) */
void drill_team_set_scenarios(const char *dir);
int drill_team_start(struct vsrv *srv);
void drill_team_stop(void);
/* something is due now (a round started, ended, a cleanup was asked) */
void drill_team_kick(void);

/*
 * A round moved to state ("running", "ended", "cleaned"), inside the
 * transaction that moved it: on "running" a team or both round gets its
 * injects, simulants and first plants; on "ended" and "cleaned" its
 * pending injects are cancelled and its cleanup is due.
 */
int drill_team_round_changed(store_db *db, const struct vsrv *srv, int64_t round, const char *state,
                             char **err);

/* ---- for api_agents.c: orders to the agents ---- */

/* the open orders of host (at most max) appended to orders as the agent
 * reads them; the ids handed out for the first time into first (int64_t) */
int drill_team_orders_read(store_db *db, const char *host, int max, json_t *orders, GArray *first,
                           char **err);
/* an order handed out for the first time (the check-in batch) */
int drill_team_order_delivered(store_db *db, int64_t order, int64_t ms, char **err);
/* POST /api/v1/agents/results with kind plant or unplant, from host */
void drill_team_order_result(struct vsrv *srv, const char *host, const char *unit, json_t *body,
                             struct http_resp *rs);

/* ---- shared with api_drill_team.c ---- */

/* the simulant's file name as the agents accept it (src/agent/plant.h) */
bool drill_team_name_ok(const char *name);

/* notifies the round's participants (users of its units, its controllers
 * and evaluators); incident may be 0 */
int drill_team_notify(store_db *db, int64_t round, int64_t incident, const char *vi, const char *en,
                      char **err);

void api_drill_team_get(struct http_req *rq, struct http_resp *rs);
void api_drill_team_put(struct http_req *rq, struct http_resp *rs);
void api_drill_team_score(struct http_req *rq, struct http_resp *rs);
/*
 * The team exercise's measures per unit (the document GET .../team/score
 * answers): STORE_OK with *out, or *forbidden when the caller may not see
 * them (only the round's controllers and evaluators while it runs; with
 * after_end, every reader of the round once it has ended), STORE_ENOTFOUND,
 * or a store error. Not inside a store transaction (it opens its own).
 */
int drill_team_score(struct vsrv *srv, const struct caller *c, int64_t round, bool after_end,
                     json_t **out, bool *forbidden, char **err);
void api_drill_team_cleanup(struct http_req *rq, struct http_resp *rs);

#endif
