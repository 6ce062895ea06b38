/*
 * net.h - vigil-agent's HTTP(S) client for vigild (libcurl).
 *
 * One connection kept open between requests. HTTPS verifies the server's
 * certificate (the system's CAs, or ca_file); only http and https, no
 * redirects, bounded times (connect 10 s, whole request 60 s) and answers
 * (NET_MAX_ANSWER). The agent's credential goes in an Authorization header
 * and nowhere else (not in logs, not in URLs).
 */
#ifndef VIGIL_AGENT_NET_H
#define VIGIL_AGENT_NET_H

#include <jansson.h>

#define NET_MAX_ANSWER (16u << 20)

struct net;

/* server: "https://vigil.example" (no trailing path); ca_file may be NULL */
struct net *net_new(const char *server, const char *ca_file, char **err);
void net_free(struct net *n);
/* the Bearer credential for the next requests (copied), NULL for none */
void net_set_credential(struct net *n, const char *cred);

/*
 * POSTs body (JSON, borrowed) to path ("/api/v1/agents/checkin"). Returns
 * the HTTP status, or 0 when there was no answer (*err says why). *answer:
 * the body parsed as JSON (NULL if it is not).
 */
int net_post(struct net *n, const char *path, json_t *body, json_t **answer, char **err);

#endif
