/*
 * plant.h - drill simulants written on vigild's order and removed again
 * (the team exercise of a drill, docs/drills.md).
 *
 * A plant order carries a harmless simulant built by vigild; the agent is
 * the last check before anything lands on the endpoint, so it trusts the
 * order no further than this:
 *   - the file goes only into the one folder the endpoint's administrator
 *     configured (`plant_dir`; none: every plant order is refused), reached
 *     from "/" without following any symbolic link;
 *   - its name matches a fixed pattern: 1..100 bytes of letters, digits,
 *     '.', '_', '-', starting with a letter or digit (no path, no hidden
 *     file), and an existing file of that name is never replaced;
 *   - the content is at most `plant_max` bytes and carries the
 *     VIGIL-DRILL-SIMULANT marker (a simulant, not something else);
 *   - before the file appears, a record of it (folder, name, SHA-256, inode)
 *     is written to the agent's own record folder.
 * An unplant order names a plant order; the agent removes only a file it
 * has a record of, and only while it is still that file (same inode and
 * SHA-256): a file replaced or changed since is left alone. A file already
 * gone (quarantined by a sweep, deleted by its user) counts as removed.
 *
 * Ownership: results own their strings (plant_result_free).
 */
#ifndef VIGIL_AGENT_PLANT_H
#define VIGIL_AGENT_PLANT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PLANT_MARKER "VIGIL-DRILL-SIMULANT"
#define PLANT_NAME_MAX 100
#define PLANT_MAX_CAP (16u << 20)

struct plant_result {
	bool done;
	char *detail; /* why not, or a note (g_free) */
	char *path;   /* the planted file's path (g_free) */
	char sha256[65];
};

/* a simulant's file name as the agent accepts it */
bool plant_name_ok(const char *name);

/*
 * Writes data (len bytes) as dir/name. recdir: the agent's record folder
 * (created 0700 if missing). max: the size limit. order: the plant order.
 */
void plant_file(const char *dir, const char *recdir, const char *name, const unsigned char *data,
                size_t len, size_t max, int64_t order, struct plant_result *out);

/* Removes the file planted by plant order `plant_order`, if it is still it. */
void plant_remove(const char *recdir, int64_t plant_order, struct plant_result *out);

void plant_result_free(struct plant_result *r);

#endif
