/*
 * state.h - vigil-agent's state folder (state_dir, mode 0700, owned by the
 * agent):
 *
 *   jobs/sweep-N.json       a sweep accepted and not finished (run again
 *                           after a restart)
 *   outbox/KIND-N.json      results not yet taken by the server: sent at
 *                           every round until it answers (the offline queue)
 *   done/KIND-N             work finished (the server re-delivers open work;
 *                           these say it was done), pruned after 8 days
 *   quarantine/N/           files moved away on the server's order (quar.h)
 *
 * Every file is written whole (temporary name, fsync, rename), so a crash
 * leaves the old or the new version, never half of one. Names are built
 * here from a kind and a number only. Limits: a file is at most
 * STATE_MAX_FILE bytes; the outbox holds at most queue_max results (the
 * oldest sweep results are kept over new duplicates: a full outbox refuses).
 */
#ifndef VIGIL_AGENT_STATE_H
#define VIGIL_AGENT_STATE_H

#include <glib.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define STATE_MAX_FILE (8u << 20)

struct state {
	char *dir;
	int fd;
};

int state_open(const char *dir, struct state *s, char **err);
void state_close(struct state *s);

/* sub: "jobs", "outbox", "done"; name: "sweep-12", "quarantine-4" */
int state_put(struct state *s, const char *sub, const char *name, json_t *j);
json_t *state_get(struct state *s, const char *sub, const char *name);
bool state_has(struct state *s, const char *sub, const char *name);
void state_del(struct state *s, const char *sub, const char *name);
/* the names in sub (without ".json"), oldest first */
GPtrArray *state_list(struct state *s, const char *sub);
size_t state_count(struct state *s, const char *sub);
void state_prune(struct state *s, const char *sub, int64_t older_than_s);

/* the folder of the quarantine (g_free) */
char *state_quarantine_dir(struct state *s);

#endif
