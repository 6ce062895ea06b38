/*
 * pool.h - the scan worker pool of vigil-milter.
 *
 * pool_spawn() forks a supervisor process (from vigil-milter's master, which
 * has no threads) that compiles the engine and forks the workers; the workers accept
 * scan requests on a unix socket, one at a time each. A request carries the
 * message as an open file descriptor (SCM_RIGHTS: no copy through the
 * socket) and the envelope as JSON; the answer is the scan result as JSON
 * (src/common/scanjson.h). A worker that crashes, runs out of time (it
 * arms alarm() per message) or exceeds its memory limit is replaced by the
 * supervisor; the milter thread waiting on it sees the socket close and
 * applies the fail-safe action.
 *
 * Reload (SIGHUP to the supervisor): a new engine is compiled; if that
 * fails the old one stays and the error is kept for `status`; if it works,
 * a new generation of workers starts with it and the old workers finish the
 * message they hold and exit. State shared with the milter process (counters,
 * generation, worker pids, last error) lives in a MAP_SHARED page.
 */
#ifndef VIGIL_MILTER_POOL_H
#define VIGIL_MILTER_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vigil/vigil.h"

#define POOL_MAX_WORKERS 64

struct pool_engine_cfg {
	char **rules;      /* NULL-terminated */
	char **indicators; /* NULL-terminated */
	char *rule_severity;
	uint64_t limits[VIGIL_LIMIT__COUNT]; /* 0: the engine's default */
	char **option_files;                 /* [engine] options: KEY = VALUE files, loaded first */
	char **options; /* "key=value", NULL-terminated; [analyzers] of the config */
};

struct pool_cfg {
	const char *socket_path; /* where workers listen */
	unsigned workers;
	unsigned scan_timeout_s;
	uint64_t worker_mem_limit; /* RLIMIT_AS in bytes, 0: none */
	const struct pool_engine_cfg *engine;
	uid_t uid; /* run workers as this user (if started as root), or (uid_t)-1 */
	gid_t gid;
};

struct pool_status {
	unsigned generation;
	unsigned workers_alive;
	unsigned long restarts;
	unsigned long reloads_ok;
	unsigned long reloads_failed;
	unsigned long rules;
	unsigned long indicators;
	pid_t supervisor;
	pid_t workers[POOL_MAX_WORKERS];
	char last_error[512];
};

typedef struct pool pool;

/* Builds a vigil_config from the engine settings (shared with --check). */
vigil_config *pool_engine_config(const struct pool_engine_cfg *e);

/* Sets up the pool's shared state (cfg must outlive the pool). */
pool *pool_create(const struct pool_cfg *cfg, char **err);
/*
 * Starts (or restarts) the supervisor and waits until its first generation
 * of workers is ready (or the engine failed to compile: *err says why).
 * Must be called from a process without other threads.
 */
int pool_spawn(pool *p, char **err);
/* The supervisor's pid (0 before pool_spawn). */
pid_t pool_supervisor(pool *p);
/* Asks for a reload; waits up to wait_ms for it to finish; 0 if it worked. */
int pool_reload(pool *p, int wait_ms, char **err);
void pool_status_get(pool *p, struct pool_status *st);
/* Stops the supervisor and its workers (workers finish their message). */
void pool_stop(pool *p);

enum { POOL_OK = 0, POOL_EWORKER = 1, POOL_ETIMEOUT = 2, POOL_EIO = 3 };

/*
 * Scans the message in fd (read from offset 0). envelope_json is a JSON
 * object {"name":..,"env_from":..,"env_rcpts":[..]}. On POOL_OK *result is
 * the scan JSON (free()). timeout_ms bounds the wait including queueing.
 */
int pool_scan(pool *p, int fd, const char *envelope_json, int timeout_ms, char **result,
              char **err);

#endif
