/*
 * sweep.h - one sweep job on this endpoint: walk the roots, scan every file,
 * report what matched the job's indicators or rules.
 *
 * A file is a hit when it (or an object inside it: a zip member, an
 * email's attachment) has a SHA-256, SHA-1 or MD5 the job names, when its
 * name or an inner object's name is one of the job's file names (any case),
 * or when one of the job's YARA rules matches it. Only the job's rules
 * count: the engine's own analysers are not asked (a sweep looks for this
 * incident's spyware, not for anything suspicious).
 *
 * CPU share: after each file the agent's and the scanner's CPU time are
 * added up and the sweep sleeps so that they stay near cpu_percent of one
 * core (and the whole agent runs at nice 19, idle I/O priority).
 *
 * The result says whether the sweep was complete: a limit reached, a file
 * that could not be read or that crashed the scanner makes it incomplete,
 * which the server shows as such and never as clean.
 */
#ifndef VIGIL_AGENT_SWEEP_H
#define VIGIL_AGENT_SWEEP_H

#include <jansson.h>
#include <stdbool.h>

#include "scanner.h"
#include "walk.h"

#define SWEEP_MAX_HITS 1000

struct sweep_conf {
	const struct apath_root *roots;
	size_t nroots;
	struct walk_limits walk;
	struct scan_limits scan;
	unsigned cpu_percent; /* 1..100 */
};

/* called between files: false to stop (the agent is stopping) */
typedef bool (*sweep_tick)(void *ctx);

/*
 * Runs the job (as the server sent it: {"sweep", "spec": {"indicators",
 * "rules"}}); returns the result to send ({"kind": "sweep", ...}, new
 * reference), or NULL when tick asked to stop before the end.
 */
json_t *sweep_run(const struct sweep_conf *c, json_t *job, sweep_tick tick, void *tick_ctx);

#endif
