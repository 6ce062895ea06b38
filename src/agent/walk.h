/*
 * walk.h - the bounded, symlink-proof walk of a sweep's roots.
 *
 * Every directory and file below a root's literal prefix is opened with
 * openat(O_NOFOLLOW) relative to its parent's descriptor: a symlink is never
 * followed (it is counted and skipped), a name swapped for a link between
 * listing and opening fails to open, and no path is resolved twice. Only
 * regular files reach the callback (read with O_NOATIME when allowed, so a
 * sweep leaves access times as they were); devices, FIFOs and sockets are
 * never opened. A directory reached twice (overlapping roots, bind mounts)
 * is walked once.
 *
 * Limits: depth below a root (hard cap WALK_DEPTH_CAP), files visited,
 * directories visited, file size; reaching one is reported in the
 * stats (the sweep is then incomplete, never "clean").
 */
#ifndef VIGIL_AGENT_WALK_H
#define VIGIL_AGENT_WALK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "apath.h"

#define WALK_DEPTH_CAP 64

struct walk_limits {
	unsigned max_depth; /* directories below a root's match */
	uint64_t max_files; /* regular files visited */
	uint64_t max_dirs;  /* directories visited */
	uint64_t max_size;  /* larger files are counted, not opened */
	bool one_fs;        /* stay on the file system of each root */
};

struct walk_stats {
	uint64_t files, dirs, too_large, special, symlinks, unreadable;
	uint64_t roots;                      /* root directories found */
	bool hit_files, hit_dirs, hit_depth; /* a limit left something unvisited */
	bool stopped;                        /* the callback asked to stop */
};

/*
 * One regular file: fd open for reading (the walk closes it), path its full
 * path (bytes), st its fstat. Return 0 to go on, anything else to stop.
 */
typedef int (*walk_fn)(void *ctx, int fd, const char *path, const struct stat *st);

/* Walks every root in turn; returns 0, or -1 when the callback stopped it. */
int walk_roots(const struct apath_root *roots, size_t n, const struct walk_limits *lim, walk_fn fn,
               void *ctx, struct walk_stats *st);

#endif
