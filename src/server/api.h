/*
 * api.h - vigild's API handlers (docs/api.md) and their route table.
 */
#ifndef VIGIL_SERVER_API_H
#define VIGIL_SERVER_API_H

#include "http.h"
#include "server.h"

extern const struct http_route api_routes[];

/* api_admin.c */
void api_users_list(struct http_req *rq, struct http_resp *rs);
void api_users_create(struct http_req *rq, struct http_resp *rs);
void api_users_update(struct http_req *rq, struct http_resp *rs);
void api_tokens_list(struct http_req *rq, struct http_resp *rs);
void api_tokens_create(struct http_req *rq, struct http_resp *rs);
void api_tokens_revoke(struct http_req *rq, struct http_resp *rs);
void api_audit_list(struct http_req *rq, struct http_resp *rs);
void api_audit_verify(struct http_req *rq, struct http_resp *rs);
void api_org_units(struct http_req *rq, struct http_resp *rs);
void api_org_list(struct http_req *rq, struct http_resp *rs);
void api_org_add(struct http_req *rq, struct http_resp *rs);
void api_org_update(struct http_req *rq, struct http_resp *rs);
void api_org_remove(struct http_req *rq, struct http_resp *rs);
void api_health(struct http_req *rq, struct http_resp *rs);

/* api_incidents.c */
/* The incident document (docs/api.md) if the caller may read it:
 * STORE_OK, STORE_ENOTFOUND (missing or out of scope), or a store error. */
int incident_document(struct vsrv *srv, const struct caller *c, const char *id, json_t **out,
                      char **err);
/*
 * One gateway message record (JSON) into an alert, grouped into an
 * incident: the HTTP status it deserves (201 new, 200 duplicate, 400/422
 * refused, 503 store unavailable), *out the answer or *why the reason
 * (g_free). Used by POST /api/v1/alerts and by the store feeder.
 */
int alert_ingest(struct vsrv *srv, const struct caller *c, const char *json, size_t len,
                 json_t **out, char **why);
/* The same for a drill round's injected detection (drill_team.c): a drill
 * record whose incident is the round's (opened with its round and the
 * exercise marking, joined only when open and of the same round). */
int alert_ingest_drill(struct vsrv *srv, const struct caller *c, const char *json, size_t len,
                       int64_t round, json_t **out, char **why);
void api_alerts_post(struct http_req *rq, struct http_resp *rs);
void api_alerts_list(struct http_req *rq, struct http_resp *rs);
void api_incidents_list(struct http_req *rq, struct http_resp *rs);
void api_incidents_create(struct http_req *rq, struct http_resp *rs);
void api_incidents_get(struct http_req *rq, struct http_resp *rs);
void api_incidents_update(struct http_req *rq, struct http_resp *rs);
void api_incidents_add_indicator(struct http_req *rq, struct http_resp *rs);
void api_incidents_comment(struct http_req *rq, struct http_resp *rs);
void api_incidents_add_task(struct http_req *rq, struct http_resp *rs);
void api_incidents_update_task(struct http_req *rq, struct http_resp *rs);
void api_incidents_from_email(struct http_req *rq, struct http_resp *rs);
void api_incidents_add_unit(struct http_req *rq, struct http_resp *rs);
void api_incidents_add_evidence(struct http_req *rq, struct http_resp *rs);
void api_incidents_get_evidence(struct http_req *rq, struct http_resp *rs);
/* A change to one incident through the common path (scope, transaction,
 * audit, notifications); body: the change's JSON (taken), or NULL to parse
 * the request's. kind "import": {"format", "indicators": [...]}. */
void incident_change(struct http_req *rq, struct http_resp *rs, const char *kind, json_t *body);
void api_exchange_export(struct http_req *rq, struct http_resp *rs);
void api_exchange_import(struct http_req *rq, struct http_resp *rs);
/* One pass of the deadline warnings: a report due soon or overdue notifies
 * the incident's people once per state. Returns how many were sent, -1 on
 * a store error. now_s: the time (Unix seconds). */
int reports_warn_pass(struct vsrv *srv, int64_t now_s);
void api_metrics_units(struct http_req *rq, struct http_resp *rs);
void api_indicators_list(struct http_req *rq, struct http_resp *rs);
void api_reports_get(struct http_req *rq, struct http_resp *rs);
void api_reports_filed(struct http_req *rq, struct http_resp *rs);
void api_reports_due(struct http_req *rq, struct http_resp *rs);
void api_quarantine_list(struct http_req *rq, struct http_resp *rs);
void api_quarantine_release(struct http_req *rq, struct http_resp *rs);
void api_quarantine_delete(struct http_req *rq, struct http_resp *rs);
void api_hunts_post(struct http_req *rq, struct http_resp *rs);
void api_copies_list(struct http_req *rq, struct http_resp *rs);
void api_clawback_start(struct http_req *rq, struct http_resp *rs);
/* A claw-back job of an incident's found or failed copies that c may work
 * on, started by vigild itself (drill cleanup): 0 (started, or nothing to
 * pull: *copies 0), 409 one is running, 503 not configured, -1 store. */
int clawback_begin(struct vsrv *srv, const struct caller *c, int64_t incident, bool drill,
                   int *boxes, int *copies);
void api_restore_start(struct http_req *rq, struct http_resp *rs);
void api_blast(struct http_req *rq, struct http_resp *rs);
void api_notifications_list(struct http_req *rq, struct http_resp *rs);
void api_notifications_seen(struct http_req *rq, struct http_resp *rs);
/* An indicator's type and value as vigild takes them (api_incidents.c):
 * the type is one of sha256, sha1, md5, email, domain, url, ipv4, ipv6,
 * filename, subject, message_id; indicator_problem() says what is wrong
 * with the value (NULL: nothing). */
bool indicator_type_known(const char *type);
const char *indicator_problem(const char *type, const char *v);

/* the block list and the gateways (api_blocks.c, blockhub.c; docs/blocks.md) */
void api_blocklist_list(struct http_req *rq, struct http_resp *rs);
void api_blocklist_add(struct http_req *rq, struct http_resp *rs);
void api_blocklist_remove(struct http_req *rq, struct http_resp *rs);
void api_gateways_list(struct http_req *rq, struct http_resp *rs);
void api_gateways_ack(struct http_req *rq, struct http_resp *rs);
void api_blocks_stream(struct http_req *rq, struct http_resp *rs);

#endif
