/*
 * api_agents.h - endpoint agents (vigil-agent) and the sweeps of an incident
 * (docs/agent.md, docs/api.md "Endpoint sweeps").
 *
 * Enrolment: a fleet administrator (admin, central analyst) creates one-time
 * enrolment tokens; an agent spends one to get its own agent credential
 * ("vga_" + 256 random bits, stored as SHA-256). Check-in: the agent's
 * heartbeat, answered with the sweep jobs and quarantine orders waiting for
 * its host. Sweeps: an analyst asks the endpoints of some units to look for
 * an incident's indicators; each endpoint shows as infected, clean,
 * incomplete, pending, or not reached once the deadline passed without a
 * result. An agent that never reports can never look clean.
 */
#ifndef VIGIL_SERVER_API_AGENTS_H
#define VIGIL_SERVER_API_AGENTS_H

#include "http.h"
#include "server.h"

/* Starts the thread that writes the agents' last check-in times in batches
 * (a check-in itself writes nothing); agents_stop() writes the last batch. */
int agents_start(struct vsrv *srv);
void agents_stop(void);

/* fleet: admin, central analyst */
void api_agents_enrol_token(struct http_req *rq, struct http_resp *rs);
void api_agents_list(struct http_req *rq, struct http_resp *rs);
void api_agents_revoke(struct http_req *rq, struct http_resp *rs);
/* the agents themselves (no session; auth.c lets them through to here) */
void api_agents_enrol(struct http_req *rq, struct http_resp *rs);
void api_agents_checkin(struct http_req *rq, struct http_resp *rs);
void api_agents_results(struct http_req *rq, struct http_resp *rs);
/* an incident's sweeps */
void api_sweeps_create(struct http_req *rq, struct http_resp *rs);
void api_sweeps_list(struct http_req *rq, struct http_resp *rs);
void api_sweeps_quarantine(struct http_req *rq, struct http_resp *rs);

#endif
