/*
 * blocksub.h - vigil-milter's subscription to vigild's block list
 * ([vigild] in the configuration; docs/blocks.md, docs/milter.md).
 *
 * Two threads of the milter process: the subscriber follows
 * GET {url}/api/v1/stream/blocks (server-sent events, libcurl) and applies
 * each event to the blockset; after each batch it saves the set and the
 * last sequence number to state_file (written to a temporary file, synced,
 * renamed), so a restart blocks at once and resumes the stream after that
 * number (Last-Event-ID). The acknowledger posts the applied number to
 * {url}/api/v1/gateways/ack once it is saved; acknowledgements coalesce
 * (a burst of events costs one or a few posts).
 *
 * The gateway token is read from token_file at every (re)connection, so
 * it can be replaced without a restart. A refused token (401/403) is
 * retried every 10 s; other failures back off from 1 s to 10 s. While
 * vigild cannot be reached the gateway keeps blocking what it has.
 */
#ifndef VIGIL_MILTER_BLOCKSUB_H
#define VIGIL_MILTER_BLOCKSUB_H

#include <jansson.h>

#include "blockset.h"

struct blocksub_cfg {
	const char *url;        /* vigild's base URL, http:// or https:// */
	const char *token_file; /* the gateway token (kind gateway), one line */
	const char *state_file; /* where the set and its position are kept */
	const char *ca_file;    /* CA bundle for https (NULL: the system's) */
	const char *gateway;    /* this gateway's name ([milter] gateway) */
};

struct blocksub;

/*
 * Loads the saved state into set (a missing file is an empty set at 0; an
 * unreadable one is an error: the operator must look) and starts the
 * threads. cfg's strings must outlive the subscription. Call after
 * curl_global_init().
 */
struct blocksub *blocksub_start(const struct blocksub_cfg *cfg, struct blockset *set, char **err);

/* {"connected", "seq", "acked", "blocks", "stream", "last_error"} */
json_t *blocksub_status(struct blocksub *s);

/* state files (tests and blocksub itself): 0 on success */
int blocksub_state_load(const char *path, struct blockset *set, long long *seq, char *stream,
                        size_t stream_len, char **err);
int blocksub_state_save(const char *path, struct blockset *set, long long seq, const char *stream,
                        char **err);

#endif
