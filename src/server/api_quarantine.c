/*
 * api_quarantine.c - the gateway's quarantine from the web UI: list what was
 * held back, release it (delivered exactly once, through the MTA, the
 * milter recognises the release token) or delete it. vigild works on the
 * quarantine folder of the gateway on its own machine ([server]
 * quarantine_dir; src/milter/quarantine.c does the work and the locking).
 *
 * Scope: an entry concerns the units of its recipients' mailboxes; a
 * provincial analyst sees and deletes the entries of their unit only.
 * Releasing delivers what the gateway judged dangerous, so only the central
 * roles (administrator, central analyst) may release.
 * Entries are listed newest first, at most QUAR_LIST_MAX.
 */
#include "api.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "audit.h"
#include "milter/log.h"
#include "milter/quarantine.h"
#include "orgmap.h"

#define QUAR_LIST_MAX 500

static bool open_quar(struct vsrv *srv, struct http_resp *rs, quar **q)
{
	char *err = NULL;

	if (srv->quarantine_dir == NULL || *srv->quarantine_dir == 0) {
		http_error(rs, 404, "not_found",
		           "this server has no gateway quarantine configured");
		return false;
	}
	if (quar_open(srv->quarantine_dir, q, &err) != QUAR_OK) {
		http_error(rs, 503, "unavailable", "the quarantine cannot be opened (%s)",
		           err ? err : "?");
		free(err);
		return false;
	}
	return true;
}

/* the units of an entry's recipients (borrowed from the organisation) */
static int entry_units(const struct vsrv *srv, json_t *meta, const char **units, int max)
{
	json_t *rcpts = json_object_get(json_object_get(meta, "record"), "env_rcpts"), *r;
	size_t i;
	int n = 0;

	json_array_foreach(rcpts, i, r)
	{
		const char *u = orgmap_unit_of(srv->org, json_string_value(r));
		bool seen = false;

		for (int k = 0; k < n; k++)
			seen |= u != NULL && strcmp(units[k], u) == 0;
		if (u != NULL && !seen && n < max)
			units[n++] = u;
	}
	return n;
}

struct listing {
	struct vsrv *srv;
	const struct caller *c;
	json_t *out;
};

static void list_one(const char *id, const char *meta_json, void *arg)
{
	struct listing *l = arg;
	json_t *meta = json_loads(meta_json, 0, NULL), *rec;
	const char *units[32];
	int n;

	if (meta == NULL || json_array_size(l->out) >= QUAR_LIST_MAX)
		goto out;
	n = entry_units(l->srv, meta, units, 32);
	if (!access_units(l->srv, l->c, RIGHT_READ, units, n, false))
		goto out;
	rec = json_object_get(meta, "record");
	json_array_append_new(
	        l->out,
	        json_pack("{s:s,s:O?,s:O?,s:O?,s:O?,s:O?,s:O?,s:O?}", "id", id, "state",
	                  json_object_get(meta, "state"), "quarantined_ms",
	                  json_object_get(meta, "quarantined_ms"), "from",
	                  json_object_get(rec, "env_from"), "to", json_object_get(rec, "env_rcpts"),
	                  "subject", json_object_get(rec, "subject"), "verdict",
	                  json_object_get(rec, "verdict"), "score", json_object_get(rec, "score")));
out:
	json_decref(meta);
}

void api_quarantine_list(struct http_req *rq, struct http_resp *rs)
{
	struct vsrv *srv = rq->ctx;
	struct listing l = {srv, rq->auth, json_array()};
	quar *q = NULL;
	char *err = NULL;

	if (!access_require(rq, rs, RIGHT_READ) || !open_quar(srv, rs, &q))
		goto out;
	if (quar_list(q, list_one, &l, &err) != QUAR_OK) {
		http_error(rs, 503, "unavailable", "the quarantine cannot be opened (%s)",
		           err ? err : "?");
		free(err);
		goto out;
	}
	http_json(rs, 200, json_pack("{s:O}", "messages", l.out));
out:
	quar_close(q);
	json_decref(l.out);
}

struct qact {
	const struct caller *c;
	const char *id, *action;
};

static int audit_tx(store_db *db, void *ctx, char **err)
{
	struct qact *a = ctx;
	char obj[64];

	g_snprintf(obj, sizeof obj, "quarantine:%s", a->id);
	return audit_append(db, a->c->username, a->action, obj, NULL, NULL, err);
}

static void act(struct http_req *rq, struct http_resp *rs, bool release)
{
	struct vsrv *srv = rq->ctx;
	struct qact a = {rq->auth, rq->params[0],
	                 release ? "quarantine.release" : "quarantine.delete"};
	const char *units[32];
	char *meta_json = NULL, *err = NULL, **argv = NULL;
	json_t *meta = NULL;
	quar *q = NULL;
	int rc;

	if (!access_require(rq, rs, RIGHT_WORK))
		return;
	if (!quar_id_valid(a.id)) {
		http_error(rs, 404, "not_found", "no such quarantined message");
		return;
	}
	if (!open_quar(srv, rs, &q))
		return;
	if (quar_get(q, a.id, &meta_json, &err) != QUAR_OK ||
	    (meta = json_loads(meta_json, 0, NULL)) == NULL ||
	    !access_units(srv, rq->auth, RIGHT_READ, units, entry_units(srv, meta, units, 32),
	                  false)) {
		http_error(rs, 404, "not_found", "no such quarantined message");
		goto out;
	}
	if (!access_units(srv, rq->auth, RIGHT_WORK, units, entry_units(srv, meta, units, 32),
	                  false)) {
		http_error(rs, 403, "forbidden", "your role (%s) may not do this",
		           role_name(((const struct caller *)rq->auth)->role));
		goto out;
	}
	if (release && a.c->role != ROLE_ADMIN && a.c->role != ROLE_CENTRAL) {
		http_error(rs, 403, "forbidden",
		           "only the IT Centre (central analysts, administrators) may release a "
		           "message");
		goto out;
	}
	free(err);
	err = NULL;
	if (release) {
		if (!g_shell_parse_argv(srv->sendmail ? srv->sendmail : "", NULL, &argv, NULL)) {
			http_error(rs, 503, "unavailable",
			           "no sendmail is configured to release messages through");
			goto out;
		}
		rc = quar_release(q, a.id, (const char *const *)argv, a.c->username, &err);
	} else {
		rc = quar_delete(q, a.id, a.c->username, &err);
	}
	if (rc == QUAR_ESTATE) {
		http_error(rs, 409, "conflict", "the message was already released or deleted");
		goto out;
	}
	if (rc != QUAR_OK) {
		http_error(rs, 503, "unavailable", "the quarantine could not do it (%s)",
		           err ? err : quar_strerror(rc));
		goto out;
	}
	free(err);
	err = NULL;
	/* the file operation is done; an audit entry that cannot be written is
	 * logged, not a reason to pretend the release did not happen */
	if (store_with(srv->st, 1, audit_tx, &a, &err) != STORE_OK)
		vlog_warn("quarantine", "%s %s by %s: no audit entry (%s)", a.action, a.id,
		          a.c->username, err ? err : "?");
	http_json(rs, 200,
	          json_pack("{s:s,s:s}", "id", a.id, "state", release ? "released" : "deleted"));
out:
	g_strfreev(argv);
	free(err);
	free(meta_json);
	json_decref(meta);
	quar_close(q);
}

void api_quarantine_release(struct http_req *rq, struct http_resp *rs)
{
	act(rq, rs, true);
}

void api_quarantine_delete(struct http_req *rq, struct http_resp *rs)
{
	act(rq, rs, false);
}
