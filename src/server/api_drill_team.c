/*
 * api_drill_team.c - the team exercise's API and its measures per unit
 * (drill_team.h, docs/api.md "Team exercise").
 *
 *   GET  /api/v1/drills/rounds/:id/team          the exercise (the plan: controllers only)
 *   PUT  /api/v1/drills/rounds/:id/team          its settings, while the round is planned
 *   GET  /api/v1/drills/rounds/:id/team/score    the measures per participating unit
 *   POST /api/v1/drills/rounds/:id/team/cleanup  end the injects and clean up now
 *
 * The plan (settings, injects not fired yet, the plants and where they
 * are, the measures) is answered to drill controllers, administrators and
 * the round's own controllers and evaluators; a team member who may see
 * the round gets the injects that happened and the round's incidents only.
 *
 * Measures (per unit, from its first drill detection): detect - the first
 * action on the round's incident by one of its people; triage - the first
 * phase change by one of them; contain - when every drill copy sent to its
 * staff was pulled back (or found already deleted) by claw-back AND every
 * endpoint of the unit with a simulant was found by a sweep of the round's
 * incident, whichever came last; only what the teams did before the round
 * ended counts (cleanup is vigild's, not theirs). A unit with a copy or a
 * plant left has no time to contain and shows what is missing. Reports:
 * the Circular 20 notification and initial report of the round's incident,
 * filed or not, on time or not, and whether one of the unit's people filed
 * it. Coordination: the first action of a central analyst (the IT Centre)
 * after the unit's first detection.
 */
#include "drill_team.h"

#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "api.h"
#include "audit.h"
#include "drills.h"
#include "orgmap.h"
#include "report_c20.h"

#define MAX_SETTING_HOSTS 50

static int64_t col_int(const struct store_val *v)
{
	if (v->t == SV_INT)
		return v->i;
	if (v->t == SV_TEXT)
		return g_ascii_strtoll(v->s, NULL, 10);
	return 0;
}

static bool round_id(struct http_req *rq, struct http_resp *rs, int64_t *id)
{
	if (rq->nparams < 1 || !server_parse_id(rq->params[0], id)) {
		http_error(rs, 404, "not_found", "no such drill round");
		return false;
	}
	return true;
}

/* the plan's readers: drill managers and the round's own people */
static bool plan_reader(const struct caller *c, json_t *doc)
{
	const char *const lists[] = {"controllers", "evaluators"};

	if (access_has(c, RIGHT_DRILLS))
		return true;
	for (int k = 0; k < 2; k++) {
		json_t *v;
		size_t i;

		json_array_foreach(json_object_get(doc, lists[k]), i,
		                   v) if (json_is_string(v) &&
		                          strcmp(json_string_value(v), c->username) ==
		                                  0) return true;
	}
	return false;
}

/* ---- GET team ---- */

struct view {
	struct vsrv *srv;
	const struct caller *c;
	int64_t id;
	json_t *doc, *out;
	bool plan;
};

static const char *const team_cols[] = {"state",      "settings",   "scenario",
                                        "minute_ms",  "started_ms", "ended_ms",
                                        "cleanup_ms", "cleanup",    NULL};
static const char *const inject_cols[] = {"id",    "seq",      "at_ms",  "kind", "payload",
                                          "state", "fired_ms", "detail", NULL};
static const char *const plant_cols[] = {"id",       "host",       "unit",   "name",
                                         "path",     "sha256",     "state",  "planted_ms",
                                         "found_ms", "removed_ms", "detail", NULL};
static const char *const unit_cols[] = {"unit",           "region", "sha256",
                                        "first_alert_ms", "alerts", NULL};
static const char *const inc_cols[] = {"id", "ref", "title", "status", NULL};

/* JSON text members parsed; *_ms members become times */
static void tidy(json_t *o)
{
	static const char *const js[] = {"settings", "scenario", "payload",
	                                 "detail",   "cleanup",  NULL};
	const char *k;
	json_t *v, *add = json_object();
	void *tmp;

	for (int i = 0; js[i] != NULL; i++) {
		const char *t = json_string_value(json_object_get(o, js[i]));
		json_t *p = t ? json_loads(t, 0, NULL) : NULL;

		if (p != NULL)
			json_object_set_new(o, js[i], p);
	}
	json_object_foreach_safe(o, tmp, k, v)
	{
		size_t n = strlen(k);

		if (n > 3 && strcmp(k + n - 3, "_ms") == 0 && strcmp(k, "minute_ms") != 0) {
			char name[64];

			if (n == 5) /* "at_ms" */
				g_strlcpy(name, "at", sizeof name);
			else
				g_snprintf(name, sizeof name, "%.*s_at", (int)(n - 3), k);
			json_object_set_new(add, name,
			                    json_is_integer(v) ? json_time(json_integer_value(v))
			                                       : json_null());
			json_object_del(o, k);
		}
	}
	json_object_update(o, add);
	json_decref(add);
}

static json_t *tidy_all(json_t *arr)
{
	json_t *v;
	size_t i;

	json_array_foreach(arr, i, v) tidy(v);
	return arr;
}

static int view_tx(store_db *db, void *ctx, char **err)
{
	struct view *v = ctx;
	struct store_val id = store_int(v->id);
	struct rows team = {team_cols, json_array()}, inj = {inject_cols, json_array()};
	struct rows pl = {plant_cols, json_array()}, un = {unit_cols, json_array()};
	struct rows inc = {inc_cols, json_array()};
	json_t *t;
	int rc;

	rc = drill_round_read(db, v->srv, v->c, v->id, &v->doc, err);
	if (rc != STORE_OK)
		goto out;
	v->plan = plan_reader(v->c, v->doc);
	rc = store_sql(db,
	               "SELECT state, settings, scenario, minute_ms, started_ms, ended_ms, "
	               "cleanup_ms, cleanup FROM drill_team WHERE round = ?",
	               &id, 1, rows_json, &team, err);
	/* the teams see what happened, never what is still to come */
	if (rc == STORE_OK)
		rc = store_sql(
		        db,
		        v->plan ? "SELECT id, seq, at_ms, kind, payload, state, fired_ms, detail "
		                  "FROM drill_injects WHERE round = ? ORDER BY seq"
		                : "SELECT id, seq, fired_ms, kind, payload, state, fired_ms, "
		                  "NULL FROM drill_injects WHERE round = ? AND state = 'fired' "
		                  "ORDER BY seq",
		        &id, 1, rows_json, &inj, err);
	if (rc == STORE_OK && v->plan)
		rc = store_sql(
		        db,
		        "SELECT id, host, unit, name, path, sha256, state, planted_ms, found_ms, "
		        "removed_ms, detail FROM drill_plants WHERE round = ? ORDER BY unit, "
		        "host",
		        &id, 1, rows_json, &pl, err);
	if (rc == STORE_OK && v->plan)
		rc = store_sql(db,
		               "SELECT unit, region, sha256, first_alert_ms, alerts FROM "
		               "drill_team_units WHERE round = ? ORDER BY unit",
		               &id, 1, rows_json, &un, err);
	if (rc == STORE_OK)
		rc = store_sql(db,
		               "SELECT id, ref, title, status FROM incidents WHERE drill_round = ? "
		               "ORDER BY id",
		               &id, 1, rows_json, &inc, err);
	if (rc != STORE_OK)
		goto out;
	t = row_first(team.arr);
	v->out = json_pack("{s:I,s:s,s:b}", "round", (json_int_t)v->id, "label", DRILL_LABEL,
	                   "plan", v->plan);
	if (t != NULL) {
		tidy(t);
		json_object_set(v->out, "state", json_object_get(t, "state"));
		json_object_set(v->out, "started_at", json_object_get(t, "started_at"));
		json_object_set(v->out, "ended_at", json_object_get(t, "ended_at"));
		json_object_set(v->out, "cleaned_at", json_object_get(t, "cleanup_at"));
		if (v->plan) {
			json_object_set(v->out, "settings", json_object_get(t, "settings"));
			json_object_set(v->out, "scenario", json_object_get(t, "scenario"));
			json_object_set(v->out, "minute_ms", json_object_get(t, "minute_ms"));
			json_object_set(v->out, "cleanup", json_object_get(t, "cleanup"));
		}
	} else {
		json_object_set_new(v->out, "state", json_null());
	}
	{
		json_t *x;
		size_t i;

		/* a team member sees an inject's text and time, nothing else */
		tidy_all(inj.arr);
		if (!v->plan)
			json_array_foreach(inj.arr, i, x)
			{
				json_t *text =
				        json_object_get(json_object_get(x, "payload"), "text");

				if (text != NULL)
					json_object_set(x, "text", text);
				json_object_del(x, "payload");
				json_object_del(x, "detail");
				json_object_del(x, "at");
				json_object_del(x, "seq");
			}
	}
	json_object_set(v->out, "injects", inj.arr);
	json_object_set(v->out, "incidents", inc.arr);
	if (v->plan) {
		json_object_set(v->out, "plants", tidy_all(pl.arr));
		json_object_set(v->out, "units", tidy_all(un.arr));
	}
	json_decref(t);
out:
	json_decref(team.arr);
	json_decref(inj.arr);
	json_decref(pl.arr);
	json_decref(un.arr);
	json_decref(inc.arr);
	return rc;
}

void api_drill_team_get(struct http_req *rq, struct http_resp *rs)
{
	struct view v = {.srv = rq->ctx, .c = rq->auth};
	char *err = NULL;
	int rc;

	if (!access_require(rq, rs, RIGHT_READ) || !round_id(rq, rs, &v.id))
		return;
	rc = store_with(v.srv->st, 0, view_tx, &v, &err);
	json_decref(v.doc);
	if (rc == STORE_ENOTFOUND) {
		free(err);
		http_error(rs, 404, "not_found", "no such drill round");
		return;
	}
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
		json_decref(v.out);
		return;
	}
	http_json(rs, 200, v.out);
}

/* ---- PUT team: the settings ---- */

struct put {
	struct vsrv *srv;
	const struct caller *c;
	int64_t id;
	json_t *settings;
	const char *bad;
	int status;
};

static bool host_ok(const char *h)
{
	size_t n = h ? strlen(h) : 0;

	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isalnum(h[i]) && h[i] != '.' && h[i] != '-' && h[i] != '_')
			return false;
	return true;
}

static bool in_list(json_t *arr, const char *s)
{
	json_t *v;
	size_t i;

	json_array_foreach(arr, i, v) if (json_is_string(v) &&
	                                  strcmp(json_string_value(v), s) == 0) return true;
	return false;
}

/* the body checked against the round: false with p->bad */
static bool settings_ok(struct put *p, json_t *doc)
{
	json_t *b = p->settings, *units = json_object_get(doc, "units"), *v, *h;
	json_t *ms = json_object_get(b, "minute_seconds"),
	       *per = json_object_get(b, "plants_per_unit");
	json_t *plants = json_object_get(b, "plants"), *first = json_object_get(b, "first_units");
	const char *k;
	size_t i;

	p->bad = "give \"minute_seconds\" (1..60: how long one scenario minute lasts), "
	         "\"plants_per_unit\" (0..50), \"plants\" ({unit: [endpoint host, ...]}) and "
	         "\"first_units\" (the units detected at the start), each optional, units of the "
	         "round";
	json_object_foreach(b, k, v) if (strcmp(k, "minute_seconds") != 0 &&
	                                 strcmp(k, "plants_per_unit") != 0 &&
	                                 strcmp(k, "plants") != 0 &&
	                                 strcmp(k, "first_units") != 0) return false;
	if (ms != NULL &&
	    (!json_is_integer(ms) || json_integer_value(ms) < 1 || json_integer_value(ms) > 60))
		return false;
	if (per != NULL && (!json_is_integer(per) || json_integer_value(per) < 0 ||
	                    json_integer_value(per) > TEAM_MAX_PLANTS_PER_UNIT))
		return false;
	if (plants != NULL) {
		if (!json_is_object(plants) || json_object_size(plants) > TEAM_MAX_UNITS)
			return false;
		json_object_foreach(plants, k, v)
		{
			if (!in_list(units, k) || !json_is_array(v) ||
			    json_array_size(v) > MAX_SETTING_HOSTS)
				return false;
			json_array_foreach(v, i,
			                   h) if (!host_ok(json_string_value(h))) return false;
		}
	}
	if (first != NULL) {
		if (!json_is_array(first) || json_array_size(first) > TEAM_MAX_UNITS)
			return false;
		json_array_foreach(first, i,
		                   h) if (!json_is_string(h) ||
		                          !in_list(units, json_string_value(h))) return false;
	}
	p->bad = NULL;
	return true;
}

static int put_tx(store_db *db, void *ctx, char **err)
{
	struct put *p = ctx;
	json_t *doc = NULL;
	const char *state, *kind;
	char *text, obj[48];
	int rc = drill_round_read(db, p->srv, p->c, p->id, &doc, err);

	if (rc != STORE_OK)
		return rc;
	state = json_string_value(json_object_get(doc, "state"));
	kind = json_string_value(json_object_get(doc, "kind"));
	if (kind == NULL || strcmp(kind, "staff") == 0) {
		p->status = 409;
		p->bad = "this round has no team exercise (its kind is staff)";
	} else if (state == NULL || strcmp(state, "planned") != 0) {
		p->status = 409;
		p->bad = "the team exercise can be set only while the round is planned";
	} else if (!settings_ok(p, doc)) {
		p->status = 400;
	}
	json_decref(doc);
	if (p->bad != NULL)
		return STORE_EINVAL;
	text = json_dumps(p->settings, JSON_COMPACT | JSON_SORT_KEYS);
	rc = store_sql(
	        db,
	        "INSERT INTO drill_team (round, state, settings) VALUES (?, 'planned', ?) ON "
	        "CONFLICT (round) DO UPDATE SET settings = excluded.settings",
	        (struct store_val[]){store_int(p->id), store_text(text)}, 2, NULL, NULL, err);
	free(text);
	g_snprintf(obj, sizeof obj, "drill_round:%lld", (long long)p->id);
	if (rc == STORE_OK)
		rc = audit_append(db, p->c->username, "drill.team.settings", obj, NULL, p->settings,
		                  err);
	return rc;
}

void api_drill_team_put(struct http_req *rq, struct http_resp *rs)
{
	struct put p = {.srv = rq->ctx, .c = rq->auth};
	const char *why;
	char *err = NULL;
	int rc;

	if (!access_require(rq, rs, RIGHT_DRILLS) || !round_id(rq, rs, &p.id))
		return;
	p.settings = http_body_json(rq, &why);
	if (p.settings == NULL) {
		http_error(rs, 400, "invalid", "%s", why);
		return;
	}
	rc = store_with(p.srv->st, 1, put_tx, &p, &err);
	if (rc == STORE_ENOTFOUND) {
		free(err);
		http_error(rs, 404, "not_found", "no such drill round");
	} else if (rc == STORE_EINVAL && p.bad != NULL) {
		free(err);
		http_error(rs, p.status ? p.status : 400, p.status == 409 ? "conflict" : "invalid",
		           "%s", p.bad);
	} else if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
	} else {
		http_json(
		        rs, 200,
		        json_pack("{s:I,s:O}", "round", (json_int_t)p.id, "settings", p.settings));
	}
	json_decref(p.settings);
}

/* ---- POST team/cleanup ---- */

static int cleanup_tx(store_db *db, void *ctx, char **err)
{
	struct put *p = ctx;
	json_t *doc = NULL;
	int64_t has = 0;
	char obj[48];
	int rc = drill_round_read(db, p->srv, p->c, p->id, &doc, err);

	json_decref(doc);
	if (rc != STORE_OK)
		return rc;
	rc = store_sql(db,
	               "SELECT count(*) FROM drill_team WHERE round = ? AND state IN ('running', "
	               "'ended', 'cleaned')",
	               (struct store_val[]){store_int(p->id)}, 1, store_row_int, &has, err);
	if (rc != STORE_OK)
		return rc;
	if (has == 0) {
		p->status = 409;
		p->bad = "the round's team exercise has not started";
		return STORE_EINVAL;
	}
	/* ending the injects is what the round's end does; a cleaned round is
	 * looked at again (an endpoint may have had a simulant left) */
	rc = drill_team_round_changed(db, p->srv, p->id, "ended", err);
	if (rc == STORE_OK)
		rc = store_sql(db, "UPDATE drill_team SET state = 'ended' WHERE round = ?",
		               (struct store_val[]){store_int(p->id)}, 1, NULL, NULL, err);
	g_snprintf(obj, sizeof obj, "drill_round:%lld", (long long)p->id);
	if (rc == STORE_OK)
		rc = audit_append(db, p->c->username, "drill.team.cleanup", obj, NULL, NULL, err);
	return rc;
}

void api_drill_team_cleanup(struct http_req *rq, struct http_resp *rs)
{
	struct put p = {.srv = rq->ctx, .c = rq->auth};
	char *err = NULL;
	int rc;

	if (!access_require(rq, rs, RIGHT_DRILLS) || !round_id(rq, rs, &p.id))
		return;
	rc = store_with(p.srv->st, 1, cleanup_tx, &p, &err);
	if (rc == STORE_ENOTFOUND) {
		free(err);
		http_error(rs, 404, "not_found", "no such drill round");
		return;
	}
	if (rc == STORE_EINVAL && p.bad != NULL) {
		free(err);
		http_error(rs, p.status, "conflict", "%s", p.bad);
		return;
	}
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
		return;
	}
	drill_team_kick();
	http_json(rs, 202, json_pack("{s:I,s:s}", "round", (json_int_t)p.id, "cleanup", "started"));
}

/* ---- GET team/score ---- */

struct unit_score {
	char unit[128], region[64];
	int64_t first_alert, alerts, first_action, first_status, it_centre;
	int64_t copies, pulled, last_pull;
	int64_t plants, found, last_found;
	json_t *missed; /* hosts not found */
};

struct score {
	struct vsrv *srv;
	const struct caller *c;
	int64_t id, now, cutoff, started, incident;
	json_t *doc;
	bool plan, found_team;
	bool after_end; /* readers of an ended round see the measures too */
	char state[16];
	GArray *units;   /* struct unit_score */
	json_t *reports; /* incident_reports rows */
};

static int head_row(void *ctx, const struct store_val *c, int nc)
{
	struct score *s = ctx;

	if (nc < 3 || c[0].t != SV_TEXT)
		return 0;
	s->found_team = true;
	g_strlcpy(s->state, c[0].s, sizeof s->state);
	s->started = col_int(&c[1]);
	s->cutoff = c[2].t == SV_NULL ? s->now : col_int(&c[2]);
	return 0;
}

static int su_row(void *ctx, const struct store_val *c, int nc)
{
	struct score *s = ctx;
	struct unit_score u = {0};

	if (nc < 4 || c[0].t != SV_TEXT || s->units->len >= TEAM_MAX_UNITS)
		return 0;
	g_strlcpy(u.unit, c[0].s, sizeof u.unit);
	if (c[1].t == SV_TEXT)
		g_strlcpy(u.region, c[1].s, sizeof u.region);
	u.first_alert = col_int(&c[2]);
	u.alerts = col_int(&c[3]);
	u.missed = json_array();
	g_array_append_val(s->units, u);
	return 0;
}

static int two_row(void *ctx, const struct store_val *c, int nc)
{
	int64_t *v = ctx;

	if (nc >= 2) {
		v[0] = col_int(&c[0]);
		v[1] = col_int(&c[1]);
	}
	return 0;
}

struct plant_acc {
	struct unit_score *u;
	int64_t cutoff;
};

/* host, found_ms (NULL: not found) */
static int plant_row(void *ctx, const struct store_val *c, int nc)
{
	struct plant_acc *a = ctx;
	int64_t f;

	if (nc < 2 || c[0].t != SV_TEXT)
		return 0;
	a->u->plants++;
	f = c[1].t == SV_NULL ? 0 : col_int(&c[1]);
	if (f > 0 && f <= a->cutoff) {
		a->u->found++;
		if (f > a->u->last_found)
			a->u->last_found = f;
	} else if (json_array_size(a->u->missed) < 100) {
		json_array_append_new(a->u->missed, json_string(c[0].s));
	}
	return 0;
}

static int unit_measures(store_db *db, struct score *s, struct unit_score *u, char **err)
{
	struct store_val r = store_int(s->id), un = store_text(u->unit);
	int64_t since = u->first_alert > 0 ? u->first_alert : s->started, two[2] = {0, 0};
	struct plant_acc pa = {u, s->cutoff};
	int rc;

	/* actions of the unit's people on the round's incidents */
	rc = store_sql(db,
	               "SELECT min(e.at_ms) FROM events e JOIN incidents i ON i.id = e.incident "
	               "JOIN users u ON u.username = e.actor WHERE i.drill_round = ? AND u.unit = "
	               "? AND e.at_ms >= ? AND e.at_ms <= ?",
	               (struct store_val[]){r, un, store_int(since), store_int(s->cutoff)}, 4,
	               store_row_int, &u->first_action, err);
	if (rc == STORE_OK)
		rc = store_sql(
		        db,
		        "SELECT min(e.at_ms) FROM events e JOIN incidents i ON i.id = "
		        "e.incident JOIN users u ON u.username = e.actor WHERE i.drill_round = "
		        "? AND u.unit = ? AND e.kind = 'status' AND e.at_ms >= ? AND e.at_ms "
		        "<= ?",
		        (struct store_val[]){r, un, store_int(since), store_int(s->cutoff)}, 4,
		        store_row_int, &u->first_status, err);
	/* the IT Centre: central analysts */
	if (rc == STORE_OK)
		rc = store_sql(
		        db,
		        "SELECT min(e.at_ms) FROM events e JOIN incidents i ON i.id = "
		        "e.incident JOIN users u ON u.username = e.actor WHERE i.drill_round = "
		        "? AND u.role = 'central_analyst' AND e.at_ms >= ? AND e.at_ms <= ?",
		        (struct store_val[]){r, store_int(since), store_int(s->cutoff)}, 3,
		        store_row_int, &u->it_centre, err);
	/* the drill mail its staff got, and what claw-back took back in time */
	if (rc == STORE_OK)
		rc = store_sql(
		        db,
		        "SELECT count(*) FROM drill_targets WHERE round = ? AND unit = ? AND "
		        "state = 'sent'",
		        (struct store_val[]){r, un}, 2, store_row_int, &u->copies, err);
	if (rc == STORE_OK)
		rc = store_sql(
		        db,
		        "SELECT count(DISTINCT t.id), max(c.updated_ms) FROM drill_targets t JOIN "
		        "copies c ON lower(c.rcpt) = lower(t.mailbox) JOIN incidents i ON i.id = "
		        "c.incident AND i.drill_round = t.round WHERE t.round = ? AND t.unit = ? "
		        "AND t.state = 'sent' AND c.state IN "
		        "('pulled', 'not_found') AND c.updated_ms <= ?",
		        (struct store_val[]){r, un, store_int(s->cutoff)}, 3, two_row, two, err);
	u->pulled = two[0];
	u->last_pull = two[1];
	/* the planted endpoints and the first sweep that found each */
	if (rc == STORE_OK)
		rc = store_sql(
		        db,
		        "SELECT p.host, COALESCE(p.found_ms, (SELECT min(t.reported_ms) FROM "
		        "sweep_hits h JOIN sweep_targets t ON t.sweep = h.sweep AND t.host = "
		        "h.host "
		        "JOIN sweeps w ON w.id = h.sweep JOIN incidents i ON i.id = w.incident "
		        "WHERE "
		        "i.drill_round = p.round AND h.host = p.host AND (h.path = p.path OR "
		        "h.sha256 "
		        "= p.sha256) AND t.reported_ms >= p.planted_ms)) FROM drill_plants p WHERE "
		        "p.round = ? AND p.unit = ? AND p.planted_ms IS NOT NULL ORDER BY p.host",
		        (struct store_val[]){r, un}, 2, plant_row, &pa, err);
	return rc;
}

static const char *const rep_cols[] = {"incident", "kind", "filed_ms", "actor", "unit", NULL};

static int score_tx(store_db *db, void *ctx, char **err)
{
	struct score *s = ctx;
	struct store_val id = store_int(s->id);
	struct rows rep = {rep_cols, json_array()};
	int rc = drill_round_read(db, s->srv, s->c, s->id, &s->doc, err);

	if (rc != STORE_OK)
		return rc;
	s->plan = s->c == NULL || plan_reader(s->c, s->doc);
	if (!s->plan && !s->after_end)
		return STORE_OK;
	rc = store_sql(db, "SELECT state, started_ms, ended_ms FROM drill_team WHERE round = ?",
	               &id, 1, head_row, s, err);
	if (rc == STORE_OK)
		rc = store_sql(db,
		               "SELECT unit, region, first_alert_ms, alerts FROM drill_team_units "
		               "WHERE round = ? ORDER BY unit",
		               &id, 1, su_row, s, err);
	if (rc == STORE_OK)
		rc = store_sql(db,
		               "SELECT id FROM incidents WHERE drill_round = ? ORDER BY id LIMIT 1",
		               &id, 1, store_row_int, &s->incident, err);
	for (guint i = 0; rc == STORE_OK && i < s->units->len; i++)
		rc = unit_measures(db, s, &g_array_index(s->units, struct unit_score, i), err);
	if (rc == STORE_OK)
		rc = store_sql(db,
		               "SELECT r.incident, r.kind, r.filed_ms, r.actor, u.unit FROM "
		               "incident_reports r JOIN incidents i ON i.id = r.incident LEFT JOIN "
		               "users u ON u.username = r.actor WHERE i.drill_round = ? ORDER BY "
		               "r.filed_ms",
		               &id, 1, rows_json, &rep, err);
	s->reports = rep.arr;
	return rc;
}

static json_t *span(int64_t from, int64_t to)
{
	return from > 0 && to >= from ? json_integer(to - from) : json_null();
}

/* the incident's Circular 20 reports: filed, on time, by whom */
static json_t *report_state(struct score *s, json_t *inc_doc, report_c20_kind kind,
                            const char *unit)
{
	struct report_c20_deadline d;
	const char *name = report_c20_kind_name(kind);
	json_t *row = NULL, *v, *o;
	size_t i;

	json_array_foreach(s->reports, i,
	                   v) if (strcmp(json_string_value(json_object_get(v, "kind")) ?: "",
	                                 name) == 0) row = v;
	if (inc_doc == NULL)
		return json_pack("{s:s}", "state", "no_incident");
	report_c20_deadline(inc_doc, kind, s->now / 1000, &d);
	o = json_pack("{s:s,s:o,s:o}", "state", report_c20_state_name(d.state), "due_at",
	              d.has_due ? json_time(d.due * 1000) : json_null(), "filed_at",
	              row ? json_time(json_integer_value(json_object_get(row, "filed_ms")))
	                  : json_null());
	json_object_set_new(o, "on_time", row != NULL ? json_boolean(!d.filed_late) : json_false());
	json_object_set_new(o, "filed_by_unit",
	                    json_boolean(row != NULL && unit != NULL &&
	                                 g_strcmp0(json_string_value(json_object_get(row, "unit")),
	                                           unit) == 0));
	return o;
}

int drill_team_score(struct vsrv *srv, const struct caller *c, int64_t round, bool after_end,
                     json_t **out, bool *forbidden, char **err)
{
	struct score s = {
	        .srv = srv, .c = c, .now = store_now_ms(), .id = round, .after_end = after_end};
	json_t *units = NULL, *inc_doc = NULL;
	int rc;

	*out = NULL;
	*forbidden = false;
	s.units = g_array_new(FALSE, TRUE, sizeof(struct unit_score));
	s.cutoff = s.now;
	rc = store_with(s.srv->st, 0, score_tx, &s, err);
	if (rc != STORE_OK)
		goto out;
	/* after the round, every reader of the round may see how it went (the
	 * after-action report); while it runs the plan stays hidden */
	if (!s.plan && !(after_end && s.found_team && strcmp(s.state, "running") != 0 &&
	                 strcmp(s.state, "planned") != 0)) {
		*forbidden = true;
		goto out;
	}
	if (s.incident > 0) {
		char idtxt[32];
		char *e2 = NULL;

		g_snprintf(idtxt, sizeof idtxt, "%lld", (long long)s.incident);
		if (incident_document(s.srv, s.c, idtxt, &inc_doc, &e2) != STORE_OK) {
			free(e2);
			inc_doc = NULL;
		}
	}
	units = json_array();
	for (guint i = 0; i < s.units->len; i++) {
		struct unit_score *u = &g_array_index(s.units, struct unit_score, i);
		bool mail_done = u->pulled >= u->copies, plants_done = u->found >= u->plants;
		/* something to contain, and all of it contained */
		bool contained =
		        u->first_alert > 0 && mail_done && plants_done && u->copies + u->plants > 0;
		int64_t contained_at = MAX(u->last_pull, u->last_found);
		json_t *o;

		if (contained && contained_at < u->first_alert)
			contained_at = u->first_alert; /* nothing to do after the alert */
		o = json_pack("{s:s,s:s?,s:o,s:I,s:o,s:o,s:o,s:o,s:b,s:o,s:o}", "unit", u->unit,
		              "region", u->region[0] ? u->region : NULL, "first_alert_at",
		              json_time(u->first_alert), "alerts", (json_int_t)u->alerts,
		              "first_action_at", json_time(u->first_action), "time_to_detect_ms",
		              span(u->first_alert, u->first_action), "time_to_triage_ms",
		              span(u->first_alert, u->first_status), "time_to_contain_ms",
		              contained ? span(u->first_alert, contained_at) : json_null(),
		              "contained", contained, "contained_at",
		              contained ? json_time(contained_at) : json_null(), "copies",
		              json_pack("{s:I,s:I,s:I}", "total", (json_int_t)u->copies, "pulled",
		                        (json_int_t)u->pulled, "left",
		                        (json_int_t)(u->copies - u->pulled)));
		json_object_set_new(o, "plants",
		                    json_pack("{s:I,s:I,s:O}", "total", (json_int_t)u->plants,
		                              "found", (json_int_t)u->found, "missed", u->missed));
		json_object_set_new(
		        o, "completeness",
		        json_pack("{s:f,s:f}", "copies",
		                  u->copies ? (double)u->pulled / (double)u->copies : 1.0, "plants",
		                  u->plants ? (double)u->found / (double)u->plants : 1.0));
		json_object_set_new(
		        o, "reports",
		        json_pack("{s:o,s:o}", "notification",
		                  report_state(&s, inc_doc, REPORT_C20_NOTIFICATION, u->unit),
		                  "initial",
		                  report_state(&s, inc_doc, REPORT_C20_INITIAL, u->unit)));
		json_object_set_new(o, "coordination",
		                    json_pack("{s:b,s:o,s:o}", "it_centre", u->it_centre > 0,
		                              "first_at", json_time(u->it_centre), "after_ms",
		                              span(u->first_alert, u->it_centre)));
		json_array_append_new(units, o);
	}
	*out = json_pack("{s:I,s:s,s:s?,s:o,s:o,s:o,s:o,s:o}", "round", (json_int_t)s.id, "label",
	                 DRILL_LABEL, "state", s.found_team ? s.state : NULL, "started_at",
	                 json_time(s.started), "measured_until", json_time(s.cutoff), "incident",
	                 s.incident ? json_integer(s.incident) : json_null(), "now",
	                 json_time(s.now), "units", units);
out:
	for (guint i = 0; i < s.units->len; i++)
		json_decref(g_array_index(s.units, struct unit_score, i).missed);
	g_array_free(s.units, TRUE);
	json_decref(s.doc);
	json_decref(s.reports);
	json_decref(inc_doc);
	return rc;
}

void api_drill_team_score(struct http_req *rq, struct http_resp *rs)
{
	int64_t id;
	json_t *out = NULL;
	bool forbidden;
	char *err = NULL;
	int rc;

	if (!access_require(rq, rs, RIGHT_READ) || !round_id(rq, rs, &id))
		return;
	rc = drill_team_score(rq->ctx, rq->auth, id, false, &out, &forbidden, &err);
	if (rc == STORE_ENOTFOUND) {
		free(err);
		http_error(rs, 404, "not_found", "no such drill round");
	} else if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
	} else if (forbidden) {
		http_error(rs, 403, "forbidden",
		           "the measures are for the drill's controllers and evaluators");
	} else {
		http_json(rs, 200, out);
	}
}
