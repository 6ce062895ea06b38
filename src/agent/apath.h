/*
 * apath.h - the paths vigil-agent walks, reports and quarantines.
 *
 * A root is an absolute path pattern from the configuration, e.g.
 * "/home/ANY/Downloads" with ANY a "*": its literal prefix ("/home") is the administrator's
 * and is opened as written (symlinks followed); every segment after it,
 * wildcard or not, and everything below, is opened with O_NOFOLLOW, so no
 * link on the endpoint can lead the agent out of its roots. Wildcards are
 * fnmatch(3) with FNM_PERIOD: "*" never matches a hidden name.
 *
 * Paths travel as UTF-8 text: a byte that is not UTF-8 is written "\xNN"
 * and a backslash "\\", so the server can send back exactly the bytes the
 * agent found (apath_decode).
 *
 * Limits: APATH_MAX bytes per path, APATH_MAX_SEGS segments per root.
 */
#ifndef VIGIL_AGENT_APATH_H
#define VIGIL_AGENT_APATH_H

#include <stdbool.h>
#include <stddef.h>

#define APATH_MAX 4096
#define APATH_MAX_SEGS 32

struct apath_root {
	char *pattern;
	char *prefix;               /* the literal leading directories ("/" at least) */
	char *segs[APATH_MAX_SEGS]; /* the segments after it */
	size_t nsegs;
};

/* 0, or -1 with *err (g_free) saying what is wrong with pattern */
int apath_root_parse(const char *pattern, struct apath_root *r, char **err);
void apath_root_free(struct apath_root *r);

/* absolute, at most APATH_MAX bytes, no NUL, no empty, "." or ".." segment */
bool apath_clean(const char *p, size_t n);

/* path (clean bytes) lies strictly below a directory that r matches */
bool apath_under(const struct apath_root *r, const char *path);

/* bytes -> UTF-8 text ("\xNN" for a byte that is not UTF-8, "\\" for '\') */
char *apath_encode(const char *bytes, size_t n);
/* the text back to bytes (NUL-terminated, *n its length); NULL when s is
 * not such a text or holds a NUL */
char *apath_decode(const char *s, size_t *n);

#endif
