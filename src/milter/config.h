/*
 * config.h - vigil-milter's configuration (docs/milter.md) and policy.
 */
#ifndef VIGIL_MILTER_CONFIG_H
#define VIGIL_MILTER_CONFIG_H

#include <glib.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "pool.h"

/* weakest to strongest: the strongest action any rule names wins */
enum action {
	ACT_ACCEPT = 0,
	ACT_TAG,
	ACT_TEMPFAIL,
	ACT_HOLD,
	ACT_QUARANTINE,
	ACT_DISCARD,
	ACT_REJECT,
	ACT__COUNT
};

const char *action_name(enum action a);
int action_parse(const char *s); /* -1 if unknown */

struct finding_rule {
	char *glob;
	enum action act;
};

struct policy {
	int verdict[3];  /* clean, suspicious, malicious: enum action */
	int severity[5]; /* info..critical: enum action or -1 */
	GPtrArray *finding_rules;
	int error;
	int oversize;
	char *reject_reply;   /* "550 5.7.1 text with %s" */
	char *tempfail_reply; /* "451 4.7.1 text with %s" */
	char *oversize_reply; /* reply when an oversize message is refused */
};

struct cidr {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	unsigned bits;
};

struct milter_config {
	char *path;
	char *socket;
	unsigned workers;
	unsigned scan_timeout;
	uint64_t max_message_size;
	uint64_t worker_mem_limit;
	char *spool_dir;
	char *quarantine_dir;
	char *journal_dir;
	char *run_dir; /* the pool's socket lives here */
	char *db;
	char *control_socket;
	char *metrics;
	char *log;
	char *log_level;
	char *user;
	char *gateway;
	char **sendmail; /* argv */
	struct pool_engine_cfg engine;
	GArray *internal_nets; /* struct cidr */
	char **internal_domains;
	struct policy inbound, outbound;
	/* [vigild]: the block list vigild pushes (blocksub.h); url NULL: none */
	char *vigild_url;
	char *vigild_token_file;
	char *vigild_state_file;
	char *vigild_ca_file;
	/* [milter] drill_key_file: the key drill markers are signed with
	 * (decision 0014); without it every marker is a forged one */
	char *drill_key_file;
	bool drill_key_loaded;
	uint8_t drill_key[32];
};

/* Loads and validates; on error *err says which key and what is wrong. */
int config_load(const char *path, struct milter_config *c, char **err);
void config_free(struct milter_config *c);

/* Is this textual address inside one of the internal networks? */
bool config_internal_addr(const struct milter_config *c, const char *addr);

/*
 * The action for a scan result: the strongest of the verdict's, the
 * highest severity's and every matching finding rule's. *why (static or
 * owned by the policy) names the rule that decided.
 */
enum action policy_decide(const struct policy *p, int verdict, int max_severity,
                          const char *const *finding_ids, size_t n, const char **why);

#endif
