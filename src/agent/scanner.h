/*
 * scanner.h - libvigil in a process of its own, for one sweep.
 *
 * The agent runs as root (it must read every user's files) and files on an
 * endpoint are hostile input, so parsing them is not done in the agent: a
 * child process (the agent's own program exec'ed again, so none of the
 * agent's memory, its credential included, is in it) drops to an unprivileged user (scan_user, default "nobody"),
 * takes no new privileges, has no core dumps and an address-space limit,
 * and dies with the agent. The agent opens each file (O_NOFOLLOW, walk.c)
 * and hands the descriptor over a socketpair (SCM_RIGHTS); the child scans
 * it with libvigil (every nested object: a zip's members, an email's
 * attachments) and the sweep's YARA rules, and answers with the digests of
 * every object and the rules that matched, as JSON. A file larger than
 * scan_max is only hashed (SHA-256, SHA-1, MD5 in one pass).
 *
 * A file that crashes the child or outlasts timeout_s kills it: that file is
 * reported failed (the caller then hashes it itself) and a new child starts
 * for the next one.
 *
 * Wire: agent -> child one sendmsg() of [u64 size][u32 name length][name]
 * with the fd; child -> agent [u32 length][JSON] (at most SCAN_MAX_ANSWER).
 */
#ifndef VIGIL_AGENT_SCANNER_H
#define VIGIL_AGENT_SCANNER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define SCAN_MAX_ANSWER (4u << 20)
#define SCAN_MAX_OBJECTS 512

struct scan_limits {
	uint64_t scan_max;  /* bytes: larger files are hashed, not parsed */
	unsigned timeout_s; /* per file */
	uint64_t memory;    /* the child's address space */
	const char *user;   /* unprivileged user (when the agent is root) */
};

struct scanner;

/* rules: YARA source or NULL. NULL with *err (g_free) when the child could
 * not start or the rules do not compile. */
struct scanner *scanner_start(const char *rules, const struct scan_limits *lim, char **err);

/*
 * Scans the file open on fd (size bytes, name its file name). 0 with *out
 * {"objects": [{"path","name","sha256","sha1","md5"}], "rules": [{"rule",
 * "object"}], "cpu_ns": N}; -1 when the child died on it (restarted); -2
 * when it cannot be restarted.
 */
int scanner_scan(struct scanner *s, int fd, const char *name, uint64_t size, json_t **out);
void scanner_stop(struct scanner *s);

/* `vigil-agent --scanner SCAN_MAX TIMEOUT MEMORY USER`: the scanning
 * process's main (fd 3 is its socket; the first message is the rules) */
int scanner_main(int argc, char **argv);

/* SHA-256, SHA-1 and MD5 (lower-case hex) of the file behind fd, read from
 * offset 0; false on a read error */
bool digest_fd(int fd, char sha256[65], char sha1[41], char md5[33]);

#endif
