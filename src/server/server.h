/*
 * server.h - what vigild's modules share: the server context, the caller's
 * identity, and small helpers for turning SQL rows into JSON.
 *
 * One struct vsrv per process, built by main.c and read-only afterwards
 * (the store handle is thread safe; the organisation map is replaced only
 * under orgmap's own lock).
 */
#ifndef VIGIL_SERVER_SERVER_H
#define VIGIL_SERVER_SERVER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "http.h"
#include "store/sql.h"

struct orgmap;
struct blockhub;

struct vsrv {
	store *st;
	struct orgmap *org;
	bool secure_cookies; /* TLS: cookies get Secure */
	int64_t session_ttl_ms;
	int64_t session_idle_ms;
	char *gateway_unit_default;
	char *public_url; /* links in emails: "http://vigil.bhxh.example" */
	char *sendmail;   /* the MTA's sendmail command (argv), or "" for no email */
	char *mail_from;
	json_t *reporter;     /* [reports]: who reports, for Circular 20/2017 (docs/reports.md) */
	json_t *recipients;   /* [reports] recipients: array of strings */
	char *quarantine_dir; /* the local gateway's quarantine, or NULL */
	char *vigil_cli;      /* the `vigil` command that scans reported messages */
	/* [clawback]: the mail server claw-back logs in to as a master user */
	char *cb_host, *cb_master_user, *cb_separator, *cb_folder, *cb_master_password;
	unsigned cb_port, cb_parallel;
	struct blockhub *hub; /* the block stream to the gateways (blocks.h) */
};

/* Roles, weakest to strongest does not apply: each has its own rights. */
enum role {
	ROLE_ADMIN = 0,
	ROLE_CENTRAL,
	ROLE_PROVINCIAL,
	ROLE_REGIONAL,
	ROLE_DRILL,
	ROLE_VIEWER,
	ROLE__COUNT
};

const char *role_name(enum role r);
int role_parse(const char *s); /* -1 if unknown */

/* Who is calling: set by auth_before() on every API request. */
struct caller {
	bool authenticated;
	bool via_token;   /* API token (gateway, agent, api) rather than a session */
	char kind[16];    /* token kind, or "session" */
	int64_t token_id; /* API tokens: the token's id and name (a gateway's identity) */
	char token_name[129];
	int64_t user_id; /* 0 for gateway/agent tokens */
	char username[128];
	enum role role;
	char unit[128];  /* "" when not scoped to a unit */
	char region[64]; /* for regional coordinators */
	char csrf[64];
	char session[80]; /* hashed session id */
	char lang[4];
};

/* ---- rows to JSON (server.c) ---- */

/*
 * A row callback that appends one object per row to arr, the columns named
 * by names (NULL-terminated, in SELECT order); a name that starts with '?'
 * is a 0/1 column turned into a boolean.
 */
struct rows {
	const char *const *names;
	json_t *arr;
};
int rows_json(void *ctx, const struct store_val *cols, int ncols);

/* The first row's columns as one object (NULL if no row). */
json_t *row_first(json_t *arr);

/* Unix ms <-> RFC 3339 UTC ("2026-11-27T08:15:00.000Z"); 0 -> null. */
json_t *json_time(int64_t ms);
bool time_parse(const char *s, int64_t *ms);

/* Page size from ?limit= (1..max, default def) and ?offset=. */
void page_args(struct http_req *rq, int64_t def, int64_t max, int64_t *limit, int64_t *offset);

/* an object id from a path segment: 1..2^63, decimal, nothing else */
bool server_parse_id(const char *s, int64_t *id);
/* a member of b that is a non-empty string of at most max bytes without NUL,
 * or NULL */
const char *server_bounded(json_t *b, const char *k, size_t max);

/* A store error as a 503 answer that says what to do. */
void store_unavailable(struct http_resp *rs, int rc, char *err);

#endif
