/*
 * drills.h - drill programmes and rounds, and the staff exercise
 * (docs/drills.md; docs/decisions/0014-drills-contract.md; issue 7).
 *
 * api_drills.c: the programme/round API, its access rules and the round
 * document; drills.c: the staff exercise's background work (choosing the
 * targets when a round starts, paced delivery through the MTA's sendmail,
 * the report mailbox read over IMAP); track.c: the tracking endpoint
 * /t/<token>/... that simulated mail and simulants call.
 *
 * Access: admin and drill_controller manage (RIGHT_DRILLS); central roles
 * and the round's own controllers and evaluators read every round; a
 * regional coordinator, provincial analyst or unit viewer reads only the
 * rounds with a participating unit in their region / their unit. Outside
 * the scope a round answers 404, as incidents do.
 *
 * The team exercise (drill_team.c, migration 7) builds on these: it reads
 * rounds through drill_round_read() and is told of a round's state changes
 * through drill_round_changed() (called inside the change's transaction).
 */
#ifndef VIGIL_SERVER_DRILLS_H
#define VIGIL_SERVER_DRILLS_H

#include <glib.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "http.h"
#include "server.h"

#define DRILL_LABEL "DIỄN TẬP / EXERCISE"

/* ---- api_drills.c ---- */

void api_drill_programmes_list(struct http_req *rq, struct http_resp *rs);
void api_drill_programmes_create(struct http_req *rq, struct http_resp *rs);
void api_drill_programmes_generate(struct http_req *rq, struct http_resp *rs);
void api_drill_rounds_list(struct http_req *rq, struct http_resp *rs);
void api_drill_rounds_create(struct http_req *rq, struct http_resp *rs);
void api_drill_rounds_get(struct http_req *rq, struct http_resp *rs);
void api_drill_rounds_update(struct http_req *rq, struct http_resp *rs);
/* POST /api/v1/drills/rounds/:id/:action, action start | end | cleanup */
void api_drill_rounds_action(struct http_req *rq, struct http_resp *rs);
void api_drill_scoreboard(struct http_req *rq, struct http_resp *rs);

/*
 * The round document (docs/api.md "Drills") if the caller may read it, in
 * one read (db from store_with): STORE_OK, STORE_ENOTFOUND (missing or out
 * of scope), or a store error. c NULL: no access check (vigild itself).
 */
int drill_round_read(store_db *db, const struct vsrv *srv, const struct caller *c, int64_t id,
                     json_t **out, char **err);

/*
 * Called inside the transaction that moves a round to state ("running",
 * "ended", "cleaned"): the staff exercise chooses its targets on
 * "running"; the team exercise adds its own work here.
 */
int drill_round_changed(store_db *db, const struct vsrv *srv, int64_t round, const char *state,
                        char **err);

/* ---- drills.c: the staff exercise's thread ---- */

/*
 * Reads [drills] from kf (docs/drills.md), loads or creates the drill key
 * (key_file: 32 random bytes as 64 hex digits, mode 0600) and starts the
 * thread that delivers running rounds and reads the report mailbox.
 * Returns -1 with a message on stderr when the configuration is unusable.
 */
int drills_start(struct vsrv *srv, GKeyFile *kf, const char *key_file);
void drills_stop(void);
/* wakes the delivery thread (a round started) */
void drills_kick(void);
/* whether the key is loaded (a round cannot start without it) */
bool drills_ready(void);
/* the key (32 bytes, read-only after the start), or NULL without one */
const uint8_t *drills_key(void);

/*
 * Targets of a round that starts: the staff of its units (all, or `sample`
 * chosen at random per unit), a token each; inside the transaction.
 * *n: how many.
 */
int drills_choose_targets(store_db *db, const struct vsrv *srv, int64_t round, int64_t sample,
                          int64_t *n, char **err);

/* ---- track.c ---- */

void track_open(struct http_req *rq, struct http_resp *rs);
void track_click(struct http_req *rq, struct http_resp *rs);
void track_form(struct http_req *rq, struct http_resp *rs);
void track_attachment(struct http_req *rq, struct http_resp *rs);
void track_report(struct http_req *rq, struct http_resp *rs);

/*
 * Records one event of the target with this token: kind opened | clicked |
 * attachment | credentials | reported (via: "link" / "mailbox" for
 * reported, else NULL). The first time is kept, every time counted. An
 * unknown token changes nothing (and is not an error).
 */
int track_event(struct vsrv *srv, const char *token, const char *kind, const char *via,
                int64_t at_ms, char **err);

#endif
