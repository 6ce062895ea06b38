/*
 * blockset.h - vigil-milter's dynamic indicator set: the block list vigild
 * pushes (docs/blocks.md), checked against every message's scan result.
 *
 * Why here and not in the engine: the engine (and its indicator files,
 * src/engine/match/ioc.c) lives in the scan workers, other processes,
 * built once per reload (seconds with the YARA rules); a block must apply
 * to the next message within a second. So the milter process keeps this
 * small set, changed one item at a time by the subscriber thread and
 * matched over the worker's JSON answer, which already holds every object's
 * hashes and names and the message's addresses, subject, Message-ID, URLs
 * and hosts (docs/decisions/0011-block-push.md).
 *
 * Items are (type, value) pairs as vigild sends them (value lower-cased).
 * Each is normalised for matching; two items that normalise alike (an IPv6
 * written two ways) are counted, so removing one keeps the other. Matching
 * follows the engine's indicator rules where they overlap: hashes exact, a
 * domain matches its subdomains and the sender's domain, URLs compare with
 * scheme and host lower-cased and without a trailing '/'. Differences, for
 * safety at the scale of every gateway: URLs compare case-insensitively as
 * a whole (vigild keeps values lower-cased), subjects and file names are
 * exact (case-insensitive, blanks collapsed), never substrings or globs.
 *
 * Thread safety: a read-write lock; matching takes it shared, changes
 * exclusively (a change is a few hash-table operations).
 */
#ifndef VIGIL_MILTER_BLOCKSET_H
#define VIGIL_MILTER_BLOCKSET_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define BLOCKSET_MAX_HITS 16

struct blockset;

struct blockset *blockset_new(void);
void blockset_free(struct blockset *b);

/* type: sha256 sha1 md5 email domain url ipv4 ipv6 filename subject
 * message_id. true if the item was taken (an unknown type or a value that
 * is not one of its type is not; adding twice or removing what is not
 * there changes nothing and answers true). */
bool blockset_add(struct blockset *b, const char *type, const char *value);
bool blockset_remove(struct blockset *b, const char *type, const char *value);
void blockset_clear(struct blockset *b);
size_t blockset_count(struct blockset *b);

/* Calls fn for every item (as added), under the shared lock. */
void blockset_each(struct blockset *b, void (*fn)(void *ctx, const char *type, const char *value),
                   void *ctx);

/*
 * Matches a scan result (the scan worker's JSON: "objects", "message") and
 * the envelope (sender, the client's address; either may be NULL) and
 * appends one finding object per hit to hits (at most BLOCKSET_MAX_HITS):
 * {"id": "ioc.block", "severity": "critical", "title", "weight", "object",
 * "attack", "evidence"}. Returns the number appended.
 */
size_t blockset_match(struct blockset *b, json_t *scan, const char *env_from,
                      const char *client_addr, json_t *hits);

#endif
