/*
 * quar.h - moving a reported file into the agent's quarantine.
 *
 * The server may only name a file this agent reported, and the agent trusts
 * that no more than its own walk: the path must be clean (absolute, no "..",
 * "." or empty segment), lie below one of the configured roots, and be
 * reached from the root's literal prefix with O_NOFOLLOW at every step, the
 * last being a regular file. When the order carries a SHA-256 the content
 * must still have it (a file replaced since the sweep is left alone).
 *
 * The file is renamed into STATE/quarantine/<order>/file (copied and then
 * unlinked when it is on another file system), mode 0400, with meta.json
 * beside it (where it came from, its digest, size, times, owner and mode).
 * A file swapped between the checks and the move is detected (its inode
 * differs) and put back.
 */
#ifndef VIGIL_AGENT_QUAR_H
#define VIGIL_AGENT_QUAR_H

#include <stdbool.h>
#include <stdint.h>

#include "apath.h"

struct quar_result {
	bool done;
	char *detail; /* why not, or NULL (g_free) */
	char *stored; /* the quarantined file's path (g_free) */
	char sha256[65];
};

/* path: as reported (apath text); want_sha256 may be NULL */
void quar_file(const char *qdir, const struct apath_root *roots, size_t nroots, const char *path,
               const char *want_sha256, int64_t order, struct quar_result *out);
void quar_result_free(struct quar_result *r);

#endif
