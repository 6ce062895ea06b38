/*
 * blocks.h - the block list every gateway applies ("block everywhere",
 * docs/blocks.md, docs/decisions/0011-block-push.md).
 *
 * What is blocked: the indicators of every open (not closed), real (not
 * drill) incident, and the global block list (table blocklist). A blocked
 * item is a (type, value) pair, value lower-cased as indicators.value_lc.
 *
 * The model (blocks.c): whenever something that decides membership
 * changes (an indicator added, an incident closed or reopened, the global
 * list edited), the writer calls blocks_sync() for the pairs concerned,
 * inside its own write transaction. blocks_sync() compares "should be
 * blocked" with table blocks (what is blocked now) and, when they differ,
 * appends an event (add or remove) to block_events, whose seq numbers the
 * gateways follow. Membership is by any source: an item on two incidents
 * stays blocked until both are closed, so events are only emitted when the
 * whole answer changes.
 *
 * The hub (blockhub.c): streams the events to the gateways (server-sent
 * events) and wakes them when new ones commit: in this process through
 * blockhub_kick() after the commit, from other vigild nodes on one
 * PostgreSQL through LISTEN/NOTIFY (blocks_sync notifies "vigil_blocks"),
 * and as a safety net by polling max(seq).
 */
#ifndef VIGIL_SERVER_BLOCKS_H
#define VIGIL_SERVER_BLOCKS_H

#include <jansson.h>
#include <stdint.h>

#include "http.h"
#include "server.h"
#include "store/sql.h"

#define BLOCKS_CHANNEL "vigil_blocks"

/*
 * In a write transaction: brings (type, value_lc) to what its sources
 * say, appending an add or remove event if that changes. source says why
 * ("incident:12", "blocklist", ...); actor who (NULL: "vigild").
 */
int blocks_sync(store_db *db, const char *type, const char *value_lc, const char *source,
                const char *actor, char **err);
/* blocks_sync for every indicator of an incident (closed, reopened) */
int blocks_sync_incident(store_db *db, int64_t incident, const char *source, const char *actor,
                         char **err);

/*
 * The incident document: each indicator object of `indicators` (with its
 * "id") gets "block": null when not blocked, else {"seq": N, "gateways":
 * [names that acknowledged N or later], "pending": [names that did not]}.
 */
int blocks_annotate(store_db *db, int64_t incident, json_t *indicators, char **err);

/* The newest event's seq (0 when there is none). */
int blocks_head(store_db *db, int64_t *head, char **err);

/* ---- the hub (blockhub.c) ---- */

struct blockhub;

/*
 * Starts the hub's thread. keepalive_s: seconds between keep-alive comments
 * on idle streams; node: how this vigild names itself in GET /gateways.
 * Reads (creating it the first time) the stream's identity from the store.
 */
struct blockhub *blockhub_start(struct vsrv *srv, unsigned keepalive_s, const char *node,
                                char **err);
/* After a commit that may have appended events (NULL: no hub). Any thread. */
void blockhub_kick(struct blockhub *h);
/* Stops the thread and ends the streams: before http_stop(), which waits
 * for them; blockhub_free() after it (the streams' ends still use the hub). */
void blockhub_stop(struct blockhub *h);
void blockhub_free(struct blockhub *h);
/* This database's block stream identity (32 hex digits). */
const char *blockhub_stream_id(const struct blockhub *h);

#endif
