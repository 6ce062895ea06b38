/*
 * api_contain.c - hunt and claw-back (docs/containment.md).
 *
 *   POST /hunts                       every copy of a message in the gateways' records
 *   GET  /incidents/:id/copies        the copies an incident's hunts found, and their state
 *   POST /incidents/:id/clawback      pull the remaining copies out of the mailboxes
 *   POST /incidents/:id/restore       put pulled copies back
 *
 * A copy is one message x one recipient. Claw-back logs in to the mail
 * server (Dovecot) as the configured master user on behalf of each
 * recipient ("rcpt*master"), finds the message by its Message-ID in every
 * folder (the user may have moved it), notes whether it was read (\Seen:
 * the owner's endpoint is then at risk) and moves it into a quarantine
 * folder of that mailbox, from where restore moves it back. The state of
 * every copy is stored as it changes (found -> pulled | not_found | failed;
 * pulled -> restored), so a job that stops (vigild restarted, mail server
 * down) resumes where it was: running it again only touches copies that are
 * still found or failed. Jobs run in background threads (one job per
 * incident at a time), mailboxes in parallel ([clawback] parallel).
 *
 * Drill and real incidents never mix: a hunt for a drill incident finds
 * drill traffic only, and a real incident's hunt never finds drill traffic.
 */
#include "api.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "audit.h"
#include "imap.h"
#include "milter/log.h"
#include "orgmap.h"

#define SAVE_MAX_COPIES 100000

/* ---- hunt ---- */

static const char *field(json_t *b, const char *k, size_t max)
{
	const char *s = json_string_value(json_object_get(b, k));

	return s != NULL && *s && strlen(s) <= max ? s : NULL;
}

struct save {
	const struct caller *c;
	const struct vsrv *srv;
	int64_t incident, hunt;
	json_t *criteria;
	struct store_hunt_result *r;
	int64_t saved;
};

static int save_tx(store_db *db, void *ctx, char **err)
{
	struct save *s = ctx;
	char *crit = json_dumps(s->criteria, JSON_COMPACT | JSON_SORT_KEYS);
	struct store_val p[] = {store_int(s->incident), store_text(crit),
	                        store_text(s->c->username), store_int(store_now_ms()),
	                        store_int(s->r->total)};
	int rc = store_sql(
	        db,
	        "INSERT INTO hunts (incident, criteria, actor, created_ms, total) VALUES (?, "
	        "?, ?, ?, ?) RETURNING id",
	        p, 5, store_row_int, &s->hunt, err);

	for (size_t i = 0; rc == STORE_OK && i < s->r->n; i++) {
		struct store_hunt_hit *h = &s->r->hits[i];

		for (guint k = 0; rc == STORE_OK && k < h->rcpts->len; k++) {
			const char *rcpt = h->rcpts->pdata[k];
			const char *unit = orgmap_unit_of(s->srv->org, rcpt);
			struct store_val q[] = {store_int(s->incident),
			                        store_int(s->hunt),
			                        store_text(h->uid),
			                        store_text(h->message_id),
			                        store_text(rcpt),
			                        store_text(unit),
			                        store_text(orgmap_region(s->srv->org, unit)),
			                        store_int(h->received_ms),
			                        store_int(h->drill),
			                        store_int(store_now_ms())};

			if (s->saved >= SAVE_MAX_COPIES)
				break;
			rc = store_sql(db,
			               "INSERT INTO copies (incident, hunt, msg_uid, message_id, "
			               "rcpt, unit, "
			               "region, received_ms, drill, state, updated_ms) VALUES (?, "
			               "?, ?, ?, ?, "
			               "?, ?, ?, ?, 'found', ?) ON CONFLICT DO NOTHING",
			               q, 10, NULL, NULL, err);
			s->saved++;
		}
	}
	if (rc == STORE_OK) {
		char obj[32], text[160];
		struct store_val e[] = {store_int(s->incident), store_int(store_now_ms()),
		                        store_text(s->c->username), store_text(text)};

		g_snprintf(text, sizeof text, "hunt: %lld messages, %lld copies",
		           (long long)s->r->total, (long long)s->saved);
		rc = store_sql(
		        db,
		        "INSERT INTO events (incident, at_ms, actor, kind, text) VALUES (?, ?, ?, "
		        "'hunt', ?)",
		        e, 4, NULL, NULL, err);
		g_snprintf(obj, sizeof obj, "incident:%lld", (long long)s->incident);
		if (rc == STORE_OK)
			rc = audit_append(db, s->c->username, "incident.hunt", obj, NULL,
			                  s->criteria, err);
	}
	free(crit);
	return rc;
}

void api_hunts_post(struct http_req *rq, struct http_resp *rs)
{
	struct vsrv *srv = rq->ctx;
	const struct caller *c = rq->auth;
	struct store_hunt q = {.drill = 0};
	struct store_hunt_result r = {0};
	json_t *b, *msgs = json_array(), *inc_doc = NULL;
	const char *why;
	char *err = NULL;
	int64_t copies_visible = 0;
	int rc;

	if (!access_require(rq, rs, RIGHT_READ))
		goto done;
	b = http_body_json(rq, &why);
	if (b == NULL) {
		http_error(rs, 400, "invalid", "%s", why);
		goto done;
	}
	q.sha256 = field(b, "sha256", 64);
	q.md5 = field(b, "md5", 32);
	q.sha1 = field(b, "sha1", 40);
	q.sender = field(b, "sender", 254);
	q.sender_domain = field(b, "sender_domain", 253);
	q.domain = field(b, "domain", 253);
	q.url = field(b, "url", 2048);
	q.message_id = field(b, "message_id", 998);
	q.subject = field(b, "subject", 200);
	q.limit = json_integer_value(json_object_get(b, "limit")) > 0
	                  ? (size_t)json_integer_value(json_object_get(b, "limit"))
	                  : 1000;
	q.offset = json_integer_value(json_object_get(b, "offset")) > 0
	                   ? (size_t)json_integer_value(json_object_get(b, "offset"))
	                   : 0;
	if (json_object_get(b, "from") && !time_parse(field(b, "from", 64), &q.from_ms)) {
		http_error(rs, 400, "invalid", "\"from\" and \"to\" are RFC 3339 times");
		goto out;
	}
	if (json_object_get(b, "to") && !time_parse(field(b, "to", 64), &q.to_ms)) {
		http_error(rs, 400, "invalid", "\"from\" and \"to\" are RFC 3339 times");
		goto out;
	}
	/* an incident's hunt: its drill flag decides which traffic it may see */
	if (json_object_get(b, "incident")) {
		char id[32];

		g_snprintf(id, sizeof id, "%lld",
		           (long long)json_integer_value(json_object_get(b, "incident")));
		rc = incident_document(srv, c, id, &inc_doc, &err);
		if (rc != STORE_OK) {
			free(err);
			err = NULL;
			http_error(rs, 404, "not_found", "no such incident");
			goto out;
		}
		q.drill = json_is_true(json_object_get(inc_doc, "drill"));
		{
			json_t *units = json_object_get(inc_doc, "units"), *u;
			const char *ids[64];
			int n = 0;
			size_t i;

			json_array_foreach(units, i, u) if (n < 64) ids[n++] =
			        json_string_value(json_object_get(u, "id"));
			if (!access_units(srv, c, RIGHT_WORK, ids, n, q.drill)) {
				http_error(rs, 403, "forbidden",
				           "you may see this incident but not change it");
				goto out;
			}
		}
		q.limit = 5000;
	} else if (json_is_true(json_object_get(b, "drill"))) {
		q.drill = 1;
	}
	rc = store_hunt(srv->st, &q, &r, &err);
	if (rc == STORE_EINVAL) {
		http_error(rs, 400, "invalid", "%s", err ? err + 6 : "bad hunt");
		free(err);
		goto out;
	}
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
		goto out;
	}
	for (size_t i = 0; i < r.n; i++) {
		struct store_hunt_hit *h = &r.hits[i];
		json_t *rc_arr = json_array();

		for (guint k = 0; k < h->rcpts->len; k++) {
			const char *unit = orgmap_unit_of(srv->org, h->rcpts->pdata[k]);

			/* a provincial analyst sees the copies of their own unit */
			if (!access_units(srv, c, RIGHT_READ, (const char *const[]){unit},
			                  unit ? 1 : 0, h->drill))
				continue;
			copies_visible++;
			json_array_append_new(rc_arr,
			                      json_pack("{s:s,s:s?,s:s?}", "address",
			                                (char *)h->rcpts->pdata[k], "unit", unit,
			                                "region", orgmap_region(srv->org, unit)));
		}
		if (json_array_size(rc_arr) == 0) {
			json_decref(rc_arr);
			continue;
		}
		json_array_append_new(
		        msgs, json_pack("{s:s,s:o,s:s,s:s?,s:s?,s:s?,s:s?,s:s?,s:o}", "uid", h->uid,
		                        "received_at", json_time(h->received_ms), "gateway",
		                        h->gateway, "message_id", h->message_id, "from",
		                        h->env_from, "subject", h->subject, "verdict", h->verdict,
		                        "action", h->action, "recipients", rc_arr));
	}
	if (inc_doc != NULL) {
		struct save s = {c,  srv, json_integer_value(json_object_get(inc_doc, "id")), 0, b,
		                 &r, 0};

		rc = store_with(srv->st, 1, save_tx, &s, &err);
		if (rc != STORE_OK) {
			store_unavailable(rs, rc, err);
			goto out;
		}
		http_json(rs, 200,
		          json_pack("{s:I,s:I,s:I,s:O,s:I}", "messages_total", (json_int_t)r.total,
		                    "copies", (json_int_t)copies_visible, "hunt",
		                    (json_int_t)s.hunt, "messages", msgs, "saved_copies",
		                    (json_int_t)s.saved));
	} else {
		http_json(rs, 200,
		          json_pack("{s:I,s:I,s:O}", "messages_total", (json_int_t)r.total,
		                    "copies", (json_int_t)copies_visible, "messages", msgs));
	}
out:
	json_decref(b);
done:
	json_decref(msgs);
	json_decref(inc_doc);
	store_hunt_result_free(&r);
}

/* ---- copies of an incident ---- */

struct copies {
	const struct caller *c;
	const struct vsrv *srv;
	int64_t incident;
	struct rows r;
};

static int copies_read(store_db *db, void *ctx, char **err)
{
	struct copies *x = ctx;
	struct store_val id = store_int(x->incident);

	return store_sql(
	        db,
	        "SELECT id, msg_uid, message_id, rcpt, unit, region, received_ms, state, "
	        "folder, seen, detail, updated_ms FROM copies WHERE incident = ? ORDER BY id "
	        "LIMIT 100000",
	        &id, 1, rows_json, &x->r, err);
}

static bool incident_gate(struct http_req *rq, struct http_resp *rs, enum right right, json_t **doc)
{
	struct vsrv *srv = rq->ctx;
	char *err = NULL;
	int rc = incident_document(srv, rq->auth, rq->params[0], doc, &err);

	if (rc == STORE_ENOTFOUND) {
		free(err);
		http_error(rs, 404, "not_found", "no such incident");
		return false;
	}
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
		return false;
	}
	if (right == RIGHT_WORK) {
		json_t *units = json_object_get(*doc, "units"), *u;
		const char *ids[64];
		int n = 0;
		size_t i;

		json_array_foreach(units, i, u) if (n < 64) ids[n++] =
		        json_string_value(json_object_get(u, "id"));
		if (!access_units(srv, rq->auth, RIGHT_WORK, ids, n,
		                  json_is_true(json_object_get(*doc, "drill")))) {
			http_error(rs, 403, "forbidden",
			           "you may see this incident but not change it");
			json_decref(*doc);
			*doc = NULL;
			return false;
		}
	}
	return true;
}

static bool clawback_running(int64_t incident);

void api_copies_list(struct http_req *rq, struct http_resp *rs)
{
	static const char *const cols[] = {"id",     "uid",         "message_id", "address", "unit",
	                                   "region", "received_ms", "state",      "folder",  "seen",
	                                   "detail", "updated_ms",  NULL};
	struct vsrv *srv = rq->ctx;
	struct copies x = {rq->auth, srv, 0, {cols, json_array()}};
	json_t *doc = NULL, *out = json_array(), *counts = json_object(), *row;
	char *err = NULL;
	size_t i;
	int rc;

	if (!access_require(rq, rs, RIGHT_READ) || !incident_gate(rq, rs, RIGHT_READ, &doc))
		goto out;
	x.incident = json_integer_value(json_object_get(doc, "id"));
	rc = store_with(srv->st, 0, copies_read, &x, &err);
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
		goto out;
	}
	json_array_foreach(x.r.arr, i, row)
	{
		const char *unit = json_string_value(json_object_get(row, "unit"));
		const char *st = json_string_value(json_object_get(row, "state"));

		if (!access_units(srv, rq->auth, RIGHT_READ, (const char *const[]){unit},
		                  unit ? 1 : 0, json_is_true(json_object_get(doc, "drill"))))
			continue;
		json_object_set_new(
		        row, "seen",
		        json_is_integer(json_object_get(row, "seen"))
		                ? json_boolean(json_integer_value(json_object_get(row, "seen")))
		                : json_null());
		json_object_set_new(
		        counts, st,
		        json_integer(json_integer_value(json_object_get(counts, st)) + 1));
		json_array_append(out, row);
	}
	http_json(rs, 200,
	          json_pack("{s:O,s:O,s:b}", "copies", out, "counts", counts, "running",
	                    clawback_running(x.incident)));
out:
	json_decref(out);
	json_decref(counts);
	json_decref(x.r.arr);
	json_decref(doc);
}

/* ---- claw-back jobs ---- */

struct copy {
	int64_t id;
	char *rcpt, *message_id, *folder;
};

struct job {
	struct vsrv *srv;
	int64_t incident;
	char actor[128];
	bool restore;
	GAsyncQueue *mailboxes; /* GPtrArray of struct copy *, one per mailbox */
	int pulled, not_found, failed, restored;
	GMutex mu;
};

static GMutex jobs_mu;
static GHashTable *jobs_running; /* incident id (gint64 *) -> job */

static bool clawback_running(int64_t incident)
{
	bool r;

	g_mutex_lock(&jobs_mu);
	r = jobs_running != NULL && g_hash_table_contains(jobs_running, &incident);
	g_mutex_unlock(&jobs_mu);
	return r;
}

struct set_state {
	int64_t id;
	const char *state, *folder, *detail;
	int seen; /* -1: unknown */
};

static int state_tx(store_db *db, void *ctx, char **err)
{
	struct set_state *s = ctx;
	struct store_val p[] = {store_text(s->state),
	                        store_text(s->folder),
	                        s->seen >= 0 ? store_int(s->seen) : store_text(NULL),
	                        store_text(s->detail),
	                        store_int(store_now_ms()),
	                        store_int(s->id)};

	return store_sql(db,
	                 "UPDATE copies SET state = ?, folder = COALESCE(?, folder), seen = "
	                 "COALESCE(?, seen), detail = ?, updated_ms = ? WHERE id = ?",
	                 p, 6, NULL, NULL, err);
}

static void set_state(struct job *j, struct copy *cp, const char *state, const char *folder,
                      int seen, const char *detail)
{
	struct set_state s = {cp->id, state, folder, detail, seen};
	char *err = NULL;

	if (store_with(j->srv->st, 1, state_tx, &s, &err) != STORE_OK) {
		vlog_warn("clawback", "copy %lld: state not saved (%s)", (long long)cp->id,
		          err ? err : "?");
		free(err);
	}
}

static bool is_quarantine(const struct vsrv *srv, const char *folder)
{
	return strcmp(folder, srv->cb_folder) == 0;
}

/* one mailbox: every copy of it */
static void do_mailbox(struct job *j, GPtrArray *copies)
{
	struct vsrv *srv = j->srv;
	struct copy *first = copies->pdata[0];
	char *err = NULL,
	     *user = g_strdup_printf("%s%s%s", first->rcpt, srv->cb_separator, srv->cb_master_user);
	imap *c = imap_connect(srv->cb_host, srv->cb_port, 30, &err);
	GPtrArray *folders = NULL;

	if (c == NULL || imap_login(c, user, srv->cb_master_password, &err) != 0 ||
	    (folders = imap_list(c, &err)) == NULL ||
	    (!j->restore && imap_create(c, srv->cb_folder, &err) != 0)) {
		for (guint i = 0; i < copies->len; i++) {
			set_state(j, copies->pdata[i], "failed", NULL, -1,
			          err ? err : "IMAP failed");
			g_mutex_lock(&j->mu);
			j->failed++;
			g_mutex_unlock(&j->mu);
		}
		goto out;
	}
	for (guint i = 0; i < copies->len; i++) {
		struct copy *cp = copies->pdata[i];
		bool found = false;
		int seen = -1;
		char *where = NULL;

		g_free(err);
		err = NULL;
		if (cp->message_id == NULL) {
			set_state(j, cp, "failed", NULL, -1,
			          "the record has no Message-ID to find it by");
			g_mutex_lock(&j->mu);
			j->failed++;
			g_mutex_unlock(&j->mu);
			continue;
		}
		if (j->restore) {
			/* back from the quarantine folder to where it was */
			GArray *u;

			if (imap_select(c, srv->cb_folder, &err) == 0 &&
			    (u = imap_search_message_id(c, cp->message_id, &err)) != NULL) {
				const char *to = cp->folder ? cp->folder : "INBOX";

				if (u->len > 0)
					(void)imap_create(c, to, NULL);
				for (guint k = 0; k < u->len; k++)
					if (imap_move(c, g_array_index(u, uint32_t, k), to, &err) ==
					    0)
						found = true;
				g_array_free(u, TRUE);
			}
			set_state(j, cp, found ? "restored" : "failed", NULL, -1,
			          found ? NULL : (err ? err : "not in the quarantine folder"));
			g_mutex_lock(&j->mu);
			if (found)
				j->restored++;
			else
				j->failed++;
			g_mutex_unlock(&j->mu);
			continue;
		}
		for (guint f = 0; f < folders->len; f++) {
			const char *folder = folders->pdata[f];
			GArray *u;

			if (is_quarantine(srv, folder))
				continue;
			if (imap_select(c, folder, &err) != 0) {
				g_free(err);
				err = NULL;
				continue;
			}
			u = imap_search_message_id(c, cp->message_id, &err);
			for (guint k = 0; u != NULL && k < u->len; k++) {
				uint32_t uid = g_array_index(u, uint32_t, k);
				int s = imap_seen(c, uid, &err);

				if (s > seen)
					seen = s;
				if (imap_move(c, uid, srv->cb_folder, &err) == 0) {
					found = true;
					if (where == NULL)
						where = g_strdup(folder);
				}
			}
			if (u != NULL)
				g_array_free(u, TRUE);
		}
		/* not in any folder: the user deleted it (or it never arrived) */
		set_state(j, cp,
		          found ? "pulled"
		          : err ? "failed"
		                : "not_found",
		          where, seen, found ? NULL : err);
		g_mutex_lock(&j->mu);
		if (found)
			j->pulled++;
		else if (err)
			j->failed++;
		else
			j->not_found++;
		g_mutex_unlock(&j->mu);
		g_free(where);
	}
out:
	if (folders)
		g_ptr_array_unref(folders);
	imap_close(c);
	g_free(user);
	g_free(err);
}

static gpointer worker(gpointer data)
{
	struct job *j = data;
	GPtrArray *box;

	while ((box = g_async_queue_try_pop(j->mailboxes)) != NULL) {
		do_mailbox(j, box);
		g_ptr_array_unref(box);
	}
	return NULL;
}

static void copy_free(gpointer p)
{
	struct copy *c = p;

	g_free(c->rcpt);
	g_free(c->message_id);
	g_free(c->folder);
	g_free(c);
}

struct pending {
	const char *state;
	int64_t incident;
	GHashTable *by_rcpt; /* rcpt -> GPtrArray of struct copy */
	GPtrArray *order;    /* rcpts in order */
	const struct caller *c;
	const struct vsrv *srv;
	bool drill;
	GHashTable *only; /* copy ids chosen by the caller, or NULL for all */
};

static int pending_row(void *ctx, const struct store_val *c, int nc)
{
	struct pending *p = ctx;
	struct copy *cp;
	GPtrArray *box;

	if (nc < 5 || c[1].t != SV_TEXT)
		return 0;
	if (p->only != NULL && !g_hash_table_contains(p->only, &c[0].i))
		return 0;
	/* only the copies the caller's scope covers */
	{
		const char *unit = c[4].t == SV_TEXT ? c[4].s : NULL;

		if (!access_units(p->srv, p->c, RIGHT_WORK, (const char *const[]){unit},
		                  unit ? 1 : 0, p->drill))
			return 0;
	}
	cp = g_new0(struct copy, 1);
	cp->id = c[0].i;
	cp->rcpt = g_strdup(c[1].s);
	cp->message_id = c[2].t == SV_TEXT ? g_strdup(c[2].s) : NULL;
	cp->folder = c[3].t == SV_TEXT ? g_strdup(c[3].s) : NULL;
	box = g_hash_table_lookup(p->by_rcpt, cp->rcpt);
	if (box == NULL) {
		box = g_ptr_array_new_with_free_func(copy_free);
		g_hash_table_insert(p->by_rcpt, g_strdup(cp->rcpt), box);
		g_ptr_array_add(p->order, g_strdup(cp->rcpt));
	}
	g_ptr_array_add(box, cp);
	return 0;
}

static int pending_read(store_db *db, void *ctx, char **err)
{
	struct pending *p = ctx;
	struct store_val q[] = {store_int(p->incident), store_text(p->state)};

	return store_sql(db,
	                 "SELECT id, rcpt, message_id, folder, unit FROM copies WHERE incident = ? "
	                 "AND (state = ? OR state = 'failed') ORDER BY rcpt, id",
	                 q, 2, pending_row, p, err);
}

struct finish {
	struct job *j;
	char text[200];
};

/* the outcome in the incident's timeline and the audit log */
static int finish_tx(store_db *db, void *ctx, char **err)
{
	struct finish *f = ctx;
	struct store_val e[] = {store_int(f->j->incident), store_int(store_now_ms()),
	                        store_text(f->j->actor), store_text(f->text)};
	char obj[32];
	json_t *d;
	int rc = store_sql(
	        db,
	        "INSERT INTO events (incident, at_ms, actor, kind, text) VALUES (?, ?, ?, "
	        "'containment', ?)",
	        e, 4, NULL, NULL, err);

	g_snprintf(obj, sizeof obj, "incident:%lld", (long long)f->j->incident);
	d = json_pack("{s:s}", "outcome", f->text);
	if (rc == STORE_OK)
		rc = audit_append(db, f->j->actor,
		                  f->j->restore ? "incident.restore" : "incident.clawback", obj,
		                  NULL, d, err);
	json_decref(d);
	return rc;
}

static gpointer run_job(gpointer data)
{
	struct job *j = data;
	GThread *t[16];
	unsigned n = j->srv->cb_parallel ? j->srv->cb_parallel : 4;
	char *err = NULL;

	if (n > 16)
		n = 16;
	for (unsigned i = 0; i < n; i++)
		t[i] = g_thread_new("clawback", worker, j);
	for (unsigned i = 0; i < n; i++)
		g_thread_join(t[i]);
	{
		struct finish f = {j, {0}};

		if (j->restore)
			g_snprintf(f.text, sizeof f.text, "restore: %d restored, %d failed",
			           j->restored, j->failed);
		else
			g_snprintf(f.text, sizeof f.text,
			           "claw-back: %d pulled, %d already gone, %d failed", j->pulled,
			           j->not_found, j->failed);
		vlog_info("clawback", "incident %lld: %s", (long long)j->incident, f.text);
		if (store_with(j->srv->st, 1, finish_tx, &f, &err) != STORE_OK) {
			vlog_warn("clawback", "incident %lld: outcome not recorded (%s)",
			          (long long)j->incident, err ? err : "?");
		}
	}
	free(err);
	g_mutex_lock(&jobs_mu);
	g_hash_table_remove(jobs_running, &j->incident);
	g_mutex_unlock(&jobs_mu);
	g_async_queue_unref(j->mailboxes);
	g_mutex_clear(&j->mu);
	g_free(j);
	return NULL;
}

/* queues the copies p chose as a job (taken: p's tables are emptied) */
static void job_launch(struct vsrv *srv, struct pending *p, const char *actor, bool restore,
                       int *boxes, int *copies)
{
	struct job *j = g_new0(struct job, 1);

	j->srv = srv;
	j->incident = p->incident;
	j->restore = restore;
	g_strlcpy(j->actor, actor, sizeof j->actor);
	g_mutex_init(&j->mu);
	j->mailboxes = g_async_queue_new();
	for (guint i = 0; i < p->order->len; i++) {
		GPtrArray *box = g_hash_table_lookup(p->by_rcpt, p->order->pdata[i]);

		*copies += (int)box->len;
		(*boxes)++;
		g_async_queue_push(j->mailboxes, box);
	}
	g_mutex_lock(&jobs_mu);
	g_hash_table_insert(jobs_running, g_memdup2(&p->incident, sizeof p->incident), j);
	g_mutex_unlock(&jobs_mu);
	g_thread_unref(g_thread_new("clawback-job", run_job, j));
}

/* 1 when a job of the incident runs (and none may start), else 0 */
static int job_claim_check(int64_t incident)
{
	int busy;

	g_mutex_lock(&jobs_mu);
	if (jobs_running == NULL)
		jobs_running = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	busy = g_hash_table_contains(jobs_running, &incident);
	g_mutex_unlock(&jobs_mu);
	return busy;
}

int clawback_begin(struct vsrv *srv, const struct caller *c, int64_t incident, bool drill,
                   int *boxes, int *copies)
{
	struct pending p = {"found", incident, NULL, NULL, c, srv, drill, NULL};
	char *err = NULL;
	int rc;

	*boxes = *copies = 0;
	if (srv->cb_host == NULL || *srv->cb_host == 0 || srv->cb_master_password == NULL)
		return 503;
	if (job_claim_check(incident))
		return 409;
	p.by_rcpt = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	p.order = g_ptr_array_new_with_free_func(g_free);
	rc = store_with(srv->st, 0, pending_read, &p, &err);
	free(err);
	if (rc == STORE_OK && p.order->len > 0)
		job_launch(srv, &p, c->username, false, boxes, copies);
	g_hash_table_destroy(p.by_rcpt);
	g_ptr_array_unref(p.order);
	return rc == STORE_OK ? 0 : -1;
}

static void start(struct http_req *rq, struct http_resp *rs, bool restore)
{
	struct vsrv *srv = rq->ctx;
	const struct caller *c = rq->auth;
	json_t *doc = NULL;
	struct pending p = {restore ? "pulled" : "found", 0, NULL, NULL, c, srv, false, NULL};
	char *err = NULL;
	int rc, boxes = 0, copies = 0;

	if (!access_require(rq, rs, RIGHT_WORK) || !incident_gate(rq, rs, RIGHT_WORK, &doc))
		return;
	if (srv->cb_host == NULL || *srv->cb_host == 0 || srv->cb_master_password == NULL) {
		http_error(rs, 503, "unavailable",
		           "claw-back is not configured: set [clawback] imap_host, master_user and "
		           "master_password_file");
		goto out;
	}
	p.incident = json_integer_value(json_object_get(doc, "id"));
	p.drill = json_is_true(json_object_get(doc, "drill"));
	/* {"copies": [ids]}: these copies only (undo one, retry one) */
	if (rq->body_len > 0) {
		const char *why;
		json_t *b = http_body_json(rq, &why),
		       *ids = b ? json_object_get(b, "copies") : NULL, *v;
		size_t i;

		if (b == NULL ||
		    (ids != NULL && (!json_is_array(ids) || json_array_size(ids) > 100000))) {
			json_decref(b);
			http_error(rs, 400, "invalid",
			           "give optionally \"copies\": a list of copy ids");
			goto out;
		}
		if (ids != NULL) {
			p.only = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
			json_array_foreach(ids, i, v) if (json_is_integer(v))
			        g_hash_table_add(p.only, g_memdup2(&(gint64){json_integer_value(v)},
			                                           sizeof(gint64)));
		}
		json_decref(b);
	}
	if (job_claim_check(p.incident)) {
		http_error(rs, 409, "conflict", "a claw-back of this incident is already running");
		goto out;
	}
	p.by_rcpt = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	p.order = g_ptr_array_new_with_free_func(g_free);
	rc = store_with(srv->st, 0, pending_read, &p, &err);
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
		goto out;
	}
	job_launch(srv, &p, c->username, restore, &boxes, &copies);
	http_json(rs, 202,
	          json_pack("{s:I,s:i,s:i,s:s}", "incident", (json_int_t)p.incident, "mailboxes",
	                    boxes, "copies", copies, "job", restore ? "restore" : "clawback"));
out:
	if (p.only)
		g_hash_table_destroy(p.only);
	if (p.by_rcpt)
		g_hash_table_destroy(p.by_rcpt);
	if (p.order)
		g_ptr_array_unref(p.order);
	json_decref(doc);
}

void api_clawback_start(struct http_req *rq, struct http_resp *rs)
{
	start(rq, rs, false);
}

void api_restore_start(struct http_req *rq, struct http_resp *rs)
{
	start(rq, rs, true);
}

/* ---- blast radius: recipients -> who read it -> whose endpoint -> units ---- */

/* endpoints where a sweep of the incident found the file (api_agents.c) */
static int infected_read(store_db *db, void *ctx, char **err)
{
	struct copies *x = ctx;
	struct store_val id = store_int(x->incident);

	return store_sql(
	        db,
	        "SELECT DISTINCT t.unit, h.host FROM sweep_hits h JOIN sweeps s ON s.id = "
	        "h.sweep JOIN sweep_targets t ON t.sweep = h.sweep AND t.host = h.host WHERE "
	        "s.incident = ? ORDER BY t.unit, h.host LIMIT 10000",
	        &id, 1, rows_json, &x->r, err);
}

void api_blast(struct http_req *rq, struct http_resp *rs)
{
	static const char *const cols[] = {"id",     "uid",         "message_id", "address", "unit",
	                                   "region", "received_ms", "state",      "folder",  "seen",
	                                   "detail", "updated_ms",  NULL};
	struct vsrv *srv = rq->ctx;
	struct copies x = {rq->auth, srv, 0, {cols, json_array()}};
	json_t *doc = NULL, *units = json_object(), *out = json_array(), *row,
	       *at_risk = json_array(), *infected = json_array();
	char *err = NULL;
	int64_t remaining = 0, total = 0, last_pull = 0;
	size_t i;
	const char *k;
	json_t *v;
	int rc;

	if (!access_require(rq, rs, RIGHT_READ) || !incident_gate(rq, rs, RIGHT_READ, &doc))
		goto out;
	x.incident = json_integer_value(json_object_get(doc, "id"));
	rc = store_with(srv->st, 0, copies_read, &x, &err);
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
		goto out;
	}
	json_array_foreach(x.r.arr, i, row)
	{
		const char *unit = json_string_value(json_object_get(row, "unit"));
		const char *st = json_string_value(json_object_get(row, "state"));
		const char *addr = json_string_value(json_object_get(row, "address"));
		bool seen = json_integer_value(json_object_get(row, "seen")) == 1;
		json_t *u;

		if (!access_units(srv, rq->auth, RIGHT_READ, (const char *const[]){unit},
		                  unit ? 1 : 0, json_is_true(json_object_get(doc, "drill"))))
			continue;
		if (unit == NULL)
			unit = "?";
		if ((u = json_object_get(units, unit)) == NULL) {
			u = json_pack("{s:s,s:s?,s:i,s:i,s:i,s:i,s:i,s:i,s:[]}", "unit", unit,
			              "region", orgmap_region(srv->org, unit), "recipients", 0,
			              "read", 0, "pulled", 0, "gone", 0, "remaining", 0, "failed",
			              0, "endpoints_at_risk");
			json_object_set_new(units, unit, u);
		}
#define INC(key)                                                                                   \
	json_object_set_new(u, key, json_integer(json_integer_value(json_object_get(u, key)) + 1))
		INC("recipients");
		total++;
		if (st && strcmp(st, "pulled") == 0)
			INC("pulled");
		else if (st && strcmp(st, "not_found") == 0)
			INC("gone");
		else if (st && strcmp(st, "failed") == 0) {
			INC("failed");
			remaining++;
		} else if (st && (strcmp(st, "found") == 0 || strcmp(st, "restored") == 0)) {
			INC("remaining");
			remaining++;
		}
		if (seen) {
			json_t *hosts = orgmap_hosts_of(srv->org, addr);
			size_t h;
			json_t *host;

			INC("read");
			json_array_foreach(hosts, h, host)
			{
				json_array_append(json_object_get(u, "endpoints_at_risk"), host);
				json_array_append_new(at_risk,
				                      json_pack("{s:O,s:s,s:s}", "host", host,
				                                "owner", addr, "unit", unit));
			}
			json_decref(hosts);
		}
#undef INC
		if (st && strcmp(st, "pulled") == 0 &&
		    json_integer_value(json_object_get(row, "updated_ms")) > last_pull)
			last_pull = json_integer_value(json_object_get(row, "updated_ms"));
	}
	/* the endpoints where sweeps found the file, by unit */
	{
		static const char *const icols[] = {"unit", "host", NULL};
		struct copies y = {rq->auth, srv, x.incident, {icols, json_array()}};
		json_t *inf = json_array();

		if (store_with(srv->st, 0, infected_read, &y, &err) == STORE_OK) {
			json_array_foreach(y.r.arr, i, row)
			{
				const char *unit = json_string_value(json_object_get(row, "unit"));
				json_t *u;

				if (unit == NULL ||
				    !access_units(srv, rq->auth, RIGHT_READ,
				                  (const char *const[]){unit}, 1,
				                  json_is_true(json_object_get(doc, "drill"))))
					continue;
				if ((u = json_object_get(units, unit)) == NULL) {
					u = json_pack(
					        "{s:s,s:s?,s:i,s:i,s:i,s:i,s:i,s:i,s:[]}", "unit",
					        unit, "region", orgmap_region(srv->org, unit),
					        "recipients", 0, "read", 0, "pulled", 0, "gone", 0,
					        "remaining", 0, "failed", 0, "endpoints_at_risk");
					json_object_set_new(units, unit, u);
				}
				if (json_object_get(u, "endpoints_infected") == NULL)
					json_object_set_new(u, "endpoints_infected", json_array());
				json_array_append(json_object_get(u, "endpoints_infected"),
				                  json_object_get(row, "host"));
				json_array_append(inf, json_object_get(row, "host"));
			}
		} else {
			free(err);
			err = NULL;
		}
		json_decref(y.r.arr);
		json_object_foreach(units, k,
		                    v) if (json_object_get(v, "endpoints_infected") == NULL)
		        json_object_set_new(v, "endpoints_infected", json_array());
		json_decref(infected);
		infected = inf;
	}
	json_object_foreach(units, k, v) json_array_append(out, v);
	{
		int64_t det = 0;

		(void)time_parse(json_string_value(json_object_get(doc, "detected_at")), &det);
		http_json(rs, 200,
		          json_pack("{s:O,s:O,s:O,s:I,s:I,s:b,s:o,s:o}", "units", out,
		                    "endpoints_at_risk", at_risk, "endpoints_infected", infected,
		                    "copies", (json_int_t)total, "remaining", (json_int_t)remaining,
		                    "mailboxes_contained", total > 0 && remaining == 0,
		                    "last_pull_at", json_time(last_pull),
		                    "detection_to_last_pull_s",
		                    total > 0 && remaining == 0 && last_pull > 0 && det > 0
		                            ? json_integer((last_pull - det) / 1000)
		                            : json_null()));
	}
out:
	json_decref(units);
	json_decref(out);
	json_decref(at_risk);
	json_decref(infected);
	json_decref(x.r.arr);
	json_decref(doc);
}
