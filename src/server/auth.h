/*
 * auth.h - who is calling vigild, and proving it.
 *
 * Passwords: Argon2id (libsodium crypto_pwhash_str, interactive limits; at
 * most AUTH_MAX_HASHING hashes at once, so a login storm cannot exhaust
 * memory). Sessions: a 256-bit random cookie (HttpOnly, SameSite=Strict,
 * Secure over TLS), stored only as its SHA-256; idle and absolute expiry.
 * CSRF: every state-changing request made with a session cookie carries the
 * session's CSRF token in X-CSRF-Token (SameSite already stops most of it;
 * the token stops the rest). API tokens ("vgt_" + 256 random bits, stored
 * as SHA-256) for gateways, agents and scripts, sent as a Bearer token.
 * Login throttling: 5 failures lock the account for 15 minutes; an address
 * gets 20 attempts per 5 minutes.
 */
#ifndef VIGIL_SERVER_AUTH_H
#define VIGIL_SERVER_AUTH_H

#include "server.h"

#define AUTH_MAX_HASHING 2
#define AUTH_LOCK_FAILURES 5
#define AUTH_LOCK_MS (15 * 60 * 1000)

int auth_init(void); /* sodium_init; 0 or -1 */

/* Argon2id hash of pw into a new string (NULL on failure) */
char *auth_hash_password(const char *pw);
bool auth_check_password(const char *hash, const char *pw);
/* a password rule the UI and API state: 10..128 bytes */
const char *auth_password_problem(const char *pw);

/* a fresh random token: prefix + 43 base64url chars (free with g_free) */
char *auth_random_token(const char *prefix);
/* hex SHA-256 of s into out[65] */
void auth_sha256_hex(const char *s, char out[65]);

/* http "before" step: fills rq->auth (a struct caller) or answers 401/403 */
void auth_before(struct http_req *rq, struct http_resp *rs);

/* POST/GET/DELETE /api/v1/session */
void auth_login(struct http_req *rq, struct http_resp *rs);
void auth_session(struct http_req *rq, struct http_resp *rs);
void auth_logout(struct http_req *rq, struct http_resp *rs);

#endif
