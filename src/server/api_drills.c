/*
 * api_drills.c - drill programmes and rounds (docs/api.md "Drills",
 * docs/drills.md, drills.h).
 *
 *   GET  /api/v1/drills/programmes                readers
 *   POST /api/v1/drills/programmes                RIGHT_DRILLS {name, year, ...}
 *   POST /api/v1/drills/programmes/:id/generate   RIGHT_DRILLS: 3 rounds a year
 *                                                 in each region of the organisation
 *   GET  /api/v1/drills/rounds                    readers, in scope; filters
 *   POST /api/v1/drills/rounds                    RIGHT_DRILLS
 *   GET  /api/v1/drills/rounds/:id                the round document
 *   PATCH /api/v1/drills/rounds/:id               RIGHT_DRILLS, while planned
 *   POST /api/v1/drills/rounds/:id/:action        start | end | cleanup
 *   GET  /api/v1/drills/rounds/:id/scoreboard     the staff exercise's funnel
 *
 * Every change is audited in its transaction. A round's fields are checked
 * as a straight line of rejects before any SQL (parse_round); whatever a
 * transaction decides to refuse (a user that does not exist, a state that
 * does not allow the change) comes back through struct outcome.
 * Limits: 500 units, 50 controllers and 50 evaluators, 20 objectives of
 * at most 500 bytes, a theme of 300, rules of engagement of 4,000.
 */
#include "drill_team.h"
#include "drills.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "audit.h"
#include "orgmap.h"

#define MAX_UNITS 500
#define MAX_PEOPLE 50
#define MAX_OBJECTIVES 20

/* what a transaction refused, for the handler to answer */
struct outcome {
	int status;
	const char *code;
	const char *why;
};

static int fail(struct outcome *o, int status, const char *code, const char *why)
{
	o->status = status;
	o->code = code;
	o->why = why;
	return STORE_EINVAL;
}

static void answer_error(struct http_resp *rs, int rc, char *err, const struct outcome *o)
{
	if (o->status != 0) {
		free(err);
		http_error(rs, o->status, o->code, "%s", o->why);
		return;
	}
	if (rc == STORE_ENOTFOUND) {
		free(err);
		http_error(rs, 404, "not_found", "no such drill round");
		return;
	}
	store_unavailable(rs, rc, err);
}

static const char *const kinds[] = {"staff", "team", "both", NULL};
static const char *const states[] = {"planned", "running", "ended", "cleaned", NULL};

static bool one_of(const char *s, const char *const *list)
{
	for (int i = 0; s != NULL && list[i] != NULL; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

/* a region of the organisation other than the central agency's */
static bool region_known(const struct vsrv *srv, const char *region)
{
	json_t *u = orgmap_units_json(srv->org), *r;
	size_t i;
	bool found = false;

	json_array_foreach(json_object_get(u, "regions"), i, r)
	{
		const char *id = json_string_value(json_object_get(r, "id"));

		if (id != NULL && strcmp(id, region) == 0)
			found = true;
	}
	json_decref(u);
	return found;
}

/* a scenario id as rules/scenarios names its files */
static bool scenario_id_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64 || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(g_ascii_islower(s[i]) || g_ascii_isdigit(s[i]) || s[i] == '-'))
			return false;
	return true;
}

static bool int_member(json_t *b, const char *k, int64_t lo, int64_t hi, int64_t *out)
{
	json_t *v = json_object_get(b, k);

	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return false;
	*out = json_integer_value(v);
	return true;
}

/* ---- a round's fields ---- */

enum {
	F_PROGRAMME = 1 << 0,
	F_YEAR = 1 << 1,
	F_REGION = 1 << 2,
	F_SEQ = 1 << 3,
	F_THEME = 1 << 4,
	F_SCENARIO = 1 << 5,
	F_OBJECTIVES = 1 << 6,
	F_RULES = 1 << 7,
	F_KIND = 1 << 8,
	F_UNITS = 1 << 9,
	F_CONTROLLERS = 1 << 10,
	F_EVALUATORS = 1 << 11,
	F_START = 1 << 12,
	F_END = 1 << 13,
	F_RATE = 1 << 14,
	F_SAMPLE = 1 << 15,
};

struct round_in {
	unsigned set;
	int64_t programme, year, seq, rate, sample, pstart, pend;
	const char *region, *theme, *scenario, *rules, *kind;
	char *objectives;       /* JSON text (g_free) */
	GPtrArray *units;       /* const char *, interned by the organisation */
	GPtrArray *controllers; /* const char *, borrowed from the body */
	GPtrArray *evaluators;  /* ditto */
};

static void round_in_free(struct round_in *in)
{
	g_free(in->objectives);
	if (in->units)
		g_ptr_array_unref(in->units);
	if (in->controllers)
		g_ptr_array_unref(in->controllers);
	if (in->evaluators)
		g_ptr_array_unref(in->evaluators);
}

/* a list of at most max distinct user names */
static GPtrArray *names_of(json_t *v, size_t max)
{
	GPtrArray *out;
	json_t *e;
	size_t i;

	if (!json_is_array(v) || json_array_size(v) > max)
		return NULL;
	out = g_ptr_array_new();
	json_array_foreach(v, i, e)
	{
		const char *s = json_string_value(e);
		bool dup = false;

		if (s == NULL || *s == 0 || json_string_length(e) > 64 ||
		    strlen(s) != json_string_length(e)) {
			g_ptr_array_unref(out);
			return NULL;
		}
		for (guint k = 0; k < out->len; k++)
			dup = dup || strcmp(out->pdata[k], s) == 0;
		if (!dup)
			g_ptr_array_add(out, (gpointer)s);
	}
	return out;
}

/*
 * The fields of body into in; partial: a PATCH (only what is given).
 * Returns NULL, or the reason (an English message id) it is refused.
 */
static const char *parse_round(const struct vsrv *srv, json_t *body, bool partial,
                               struct round_in *in)
{
	static const char *const known[] = {
	        "programme",   "year",       "region",        "seq",         "theme",
	        "scenario",    "objectives", "rules",         "kind",        "units",
	        "controllers", "evaluators", "planned_start", "planned_end", "rate_per_min",
	        "sample",      NULL};
	const char *k, *why = NULL;
	json_t *v;

	json_object_foreach(body, k,
	                    v) if (!one_of(k, known)) return "unknown field in a drill round";
	if ((v = json_object_get(body, "programme")) != NULL && !json_is_null(v)) {
		if (!int_member(body, "programme", 1, INT64_MAX, &in->programme))
			return "\"programme\" must be a programme id";
		in->set |= F_PROGRAMME;
	}
	if (json_object_get(body, "year") || !partial) {
		if (!int_member(body, "year", 2000, 2100, &in->year))
			return "\"year\" must be a year from 2000 to 2100";
		in->set |= F_YEAR;
	}
	if (json_object_get(body, "region") || !partial) {
		in->region = server_bounded(body, "region", 64);
		if (in->region == NULL || !region_known(srv, in->region))
			return "\"region\" must be a region of the organisation";
		in->set |= F_REGION;
	}
	if (json_object_get(body, "seq") || !partial) {
		if (!int_member(body, "seq", 1, 99, &in->seq))
			return "\"seq\" must be the round's number in its year, 1 to 99";
		in->set |= F_SEQ;
	}
	if (json_object_get(body, "theme") || !partial) {
		in->theme = server_bounded(body, "theme", 300);
		if (in->theme == NULL)
			return "\"theme\" must be a non-empty text of at most 300 bytes";
		in->set |= F_THEME;
	}
	if (json_object_get(body, "scenario") || !partial) {
		in->scenario = server_bounded(body, "scenario", 64);
		if (in->scenario == NULL || !scenario_id_ok(in->scenario))
			return "\"scenario\" must be a scenario id (lower-case letters, digits and "
			       "'-')";
		in->set |= F_SCENARIO;
	}
	if ((v = json_object_get(body, "objectives")) != NULL) {
		json_t *e;
		size_t i;

		if (!json_is_array(v) || json_array_size(v) > MAX_OBJECTIVES)
			return "\"objectives\" must be a list of at most 20 texts of at most 500 "
			       "bytes";
		json_array_foreach(
		        v, i,
		        e) if (!json_is_string(e) || json_string_length(e) == 0 ||
		               json_string_length(e) > 500 ||
		               strlen(json_string_value(e)) !=
		                       json_string_length(
		                               e)) return "\"objectives\" must be a list of at "
		                                          "most 20 texts of at most 500 bytes";
		in->objectives = json_dumps(v, JSON_COMPACT);
		in->set |= F_OBJECTIVES;
	}
	if ((v = json_object_get(body, "rules")) != NULL) {
		if (!json_is_string(v) || json_string_length(v) > 4000 ||
		    strlen(json_string_value(v)) != json_string_length(v))
			return "\"rules\" (the rules of engagement) must be a text of at most "
			       "4,000 bytes";
		in->rules = json_string_value(v);
		in->set |= F_RULES;
	}
	if (json_object_get(body, "kind") || !partial) {
		in->kind = json_object_get(body, "kind") ? server_bounded(body, "kind", 8) : "both";
		if (in->kind == NULL || !one_of(in->kind, kinds))
			return "\"kind\" must be staff, team or both";
		in->set |= F_KIND;
	}
	if ((v = json_object_get(body, "units")) != NULL) {
		json_t *e;
		size_t i;

		if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > MAX_UNITS)
			return "\"units\" must be a list of 1 to 500 units of the organisation";
		in->units = g_ptr_array_new();
		json_array_foreach(v, i, e)
		{
			const char *u = json_string_value(e);
			bool dup = false;

			if (u == NULL || json_string_length(e) > 128 ||
			    strlen(u) != json_string_length(e) || !orgmap_has_unit(srv->org, u))
				return "\"units\" must be a list of 1 to 500 units of the "
				       "organisation";
			for (guint x = 0; x < in->units->len; x++)
				dup = dup || strcmp(in->units->pdata[x], u) == 0;
			if (!dup)
				g_ptr_array_add(in->units, (gpointer)g_intern_string(u));
		}
		in->set |= F_UNITS;
	}
	if ((v = json_object_get(body, "controllers")) != NULL) {
		if ((in->controllers = names_of(v, MAX_PEOPLE)) == NULL)
			return "\"controllers\" and \"evaluators\" must be lists of at most 50 "
			       "user names";
		in->set |= F_CONTROLLERS;
	}
	if ((v = json_object_get(body, "evaluators")) != NULL) {
		if ((in->evaluators = names_of(v, MAX_PEOPLE)) == NULL)
			return "\"controllers\" and \"evaluators\" must be lists of at most 50 "
			       "user names";
		in->set |= F_EVALUATORS;
	}
	if ((v = json_object_get(body, "planned_start")) != NULL) {
		if (!time_parse(json_string_value(v), &in->pstart))
			return "\"planned_start\" and \"planned_end\" are RFC 3339 times";
		in->set |= F_START;
	}
	if ((v = json_object_get(body, "planned_end")) != NULL) {
		if (!time_parse(json_string_value(v), &in->pend))
			return "\"planned_start\" and \"planned_end\" are RFC 3339 times";
		in->set |= F_END;
	}
	if ((in->set & F_START) && (in->set & F_END) && in->pend <= in->pstart)
		return "\"planned_end\" must come after \"planned_start\"";
	in->rate = 60;
	if (json_object_get(body, "rate_per_min") || !partial) {
		if (json_object_get(body, "rate_per_min") &&
		    !int_member(body, "rate_per_min", 1, 60000, &in->rate))
			return "\"rate_per_min\" must be 1 to 60,000 messages a minute";
		in->set |= F_RATE;
	}
	if ((v = json_object_get(body, "sample")) != NULL) {
		if (!json_is_null(v) && !int_member(body, "sample", 1, 200000, &in->sample))
			return "\"sample\" must be null (every staff member) or 1 to 200,000 per "
			       "unit";
		in->set |= F_SAMPLE;
	}
	return why;
}

/* ---- writing a round ---- */

struct rw {
	const struct vsrv *srv;
	const struct caller *c;
	struct round_in in;
	struct outcome o;
	int64_t id;
	const char *action; /* start, end, cleanup */
	const char *state;  /* the state before */
	int64_t targets;
	json_t *doc;
};

static int person_ids(store_db *db, GPtrArray *names, GArray *ids, char **err)
{
	for (guint i = 0; names != NULL && i < names->len; i++) {
		struct store_val u = store_text(names->pdata[i]);
		int64_t id = 0;
		int rc = store_sql(db, "SELECT id FROM users WHERE username = ? AND disabled = 0",
		                   &u, 1, store_row_int, &id, err);

		if (rc != STORE_OK)
			return rc;
		if (id == 0)
			return STORE_ENOTFOUND;
		g_array_append_val(ids, id);
	}
	return STORE_OK;
}

static int write_people(store_db *db, struct rw *w, GPtrArray *names, const char *role, char **err)
{
	GArray *ids = g_array_new(FALSE, FALSE, sizeof(int64_t));
	struct store_val p[3];
	int rc;

	rc = person_ids(db, names, ids, err);
	if (rc == STORE_ENOTFOUND) {
		g_array_free(ids, TRUE);
		return fail(&w->o, 400, "invalid",
		            "\"controllers\" and \"evaluators\" must name active users");
	}
	if (rc == STORE_OK) {
		p[0] = store_int(w->id);
		p[1] = store_text(role);
		rc = store_sql(db, "DELETE FROM drill_round_people WHERE round = ? AND role = ?", p,
		               2, NULL, NULL, err);
	}
	for (guint i = 0; rc == STORE_OK && i < ids->len; i++) {
		p[0] = store_int(w->id);
		p[1] = store_int(g_array_index(ids, int64_t, i));
		p[2] = store_text(role);
		rc = store_sql(
		        db,
		        "INSERT INTO drill_round_people (round, user_id, role) VALUES (?, ?, ?)", p,
		        3, NULL, NULL, err);
	}
	g_array_free(ids, TRUE);
	return rc;
}

static int write_units(store_db *db, struct rw *w, char **err)
{
	struct store_val p[3] = {store_int(w->id)};
	int rc = store_sql(db, "DELETE FROM drill_round_units WHERE round = ?", p, 1, NULL, NULL,
	                   err);

	for (guint i = 0; rc == STORE_OK && i < w->in.units->len; i++) {
		const char *u = w->in.units->pdata[i];

		p[1] = store_text(u);
		p[2] = store_text(orgmap_region(w->srv->org, u));
		rc = store_sql(
		        db, "INSERT INTO drill_round_units (round, unit, region) VALUES (?, ?, ?)",
		        p, 3, NULL, NULL, err);
	}
	return rc;
}

/* the units of a region, when a round names none */
static GPtrArray *region_units(const struct vsrv *srv, const char *region)
{
	GPtrArray *out = g_ptr_array_new();
	json_t *u = orgmap_units_json(srv->org), *e;
	size_t i;

	json_array_foreach(json_object_get(u, "units"), i, e)
	{
		const char *id = json_string_value(json_object_get(e, "id"));
		const char *r = json_string_value(json_object_get(e, "region"));

		if (id != NULL && r != NULL && strcmp(r, region) == 0 && out->len < MAX_UNITS)
			g_ptr_array_add(out, (gpointer)g_intern_string(id));
	}
	json_decref(u);
	return out;
}

static int programme_exists(store_db *db, int64_t id, bool *yes, char **err)
{
	struct store_val p = store_int(id);
	int64_t n = 0;
	int rc = store_sql(db, "SELECT count(*) FROM drill_programmes WHERE id = ?", &p, 1,
	                   store_row_int, &n, err);

	*yes = n > 0;
	return rc;
}

static int insert_round(store_db *db, struct rw *w, char **err)
{
	struct round_in *in = &w->in;
	int64_t now = store_now_ms();
	char tmp[48], ref[48], obj[48];
	struct store_val p[16];
	json_t *d;
	int rc;

	if (in->set & F_PROGRAMME) {
		bool yes = false;

		rc = programme_exists(db, in->programme, &yes, err);
		if (rc != STORE_OK)
			return rc;
		if (!yes)
			return fail(&w->o, 400, "invalid", "\"programme\" must be a programme id");
	}
	/* a unique placeholder until the id is known: the reference is made of it */
	g_snprintf(tmp, sizeof tmp, "new-%08x%08x", g_random_int(), g_random_int());
	p[0] = store_text(tmp);
	p[1] = (in->set & F_PROGRAMME) ? store_int(in->programme) : store_text(NULL);
	p[2] = store_int(in->year);
	p[3] = store_text(in->region);
	p[4] = store_int(in->seq);
	p[5] = store_text(in->theme);
	p[6] = store_text(in->scenario);
	p[7] = store_text(in->objectives ? in->objectives : "[]");
	p[8] = store_text(in->rules ? in->rules : "");
	p[9] = store_text(in->kind);
	p[10] = (in->set & F_START) ? store_int(in->pstart) : store_text(NULL);
	p[11] = (in->set & F_END) ? store_int(in->pend) : store_text(NULL);
	p[12] = store_int(in->rate);
	p[13] = (in->set & F_SAMPLE) && in->sample > 0 ? store_int(in->sample) : store_text(NULL);
	p[14] = store_text(w->c ? w->c->username : "vigild");
	p[15] = store_int(now);
	rc = store_sql(
	        db,
	        "INSERT INTO drill_rounds (ref, programme, year, region, seq, theme, scenario, "
	        "objectives, rules, kind, planned_start_ms, planned_end_ms, rate_per_min, "
	        "sample, created_by, created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
	        "?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
	        (struct store_val[]){p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9],
	                             p[10], p[11], p[12], p[13], p[14], p[15], p[15]},
	        17, store_row_int, &w->id, err);
	if (rc != STORE_OK)
		return rc;
	g_snprintf(ref, sizeof ref, "DT%lld-%lld", (long long)in->year, (long long)w->id);
	p[0] = store_text(ref);
	p[1] = store_int(w->id);
	rc = store_sql(db, "UPDATE drill_rounds SET ref = ? WHERE id = ?", p, 2, NULL, NULL, err);
	if (rc != STORE_OK)
		return rc;
	if (in->units == NULL)
		in->units = region_units(w->srv, in->region);
	if (in->units->len == 0)
		return fail(&w->o, 400, "invalid",
		            "\"units\" must be a list of 1 to 500 units of the organisation");
	rc = write_units(db, w, err);
	if (rc == STORE_OK && in->controllers)
		rc = write_people(db, w, in->controllers, "controller", err);
	if (rc == STORE_OK && in->evaluators)
		rc = write_people(db, w, in->evaluators, "evaluator", err);
	if (rc != STORE_OK)
		return rc;
	g_snprintf(obj, sizeof obj, "drill_round:%lld", (long long)w->id);
	d = json_pack("{s:s,s:I,s:s,s:I,s:s,s:s}", "ref", ref, "year", (json_int_t)in->year,
	              "region", in->region, "seq", (json_int_t)in->seq, "scenario", in->scenario,
	              "kind", in->kind);
	rc = audit_append(db, w->c ? w->c->username : "vigild", "drill.round.create", obj, NULL, d,
	                  err);
	json_decref(d);
	return rc;
}

static int create_tx(store_db *db, void *ctx, char **err)
{
	struct rw *w = ctx;
	int rc = insert_round(db, w, err);

	if (rc == STORE_OK)
		rc = drill_round_read(db, w->srv, NULL, w->id, &w->doc, err);
	return rc;
}

void api_drill_rounds_create(struct http_req *rq, struct http_resp *rs)
{
	struct vsrv *srv = rq->ctx;
	struct rw w = {.srv = srv, .c = rq->auth};
	const char *why = NULL;
	json_t *body = NULL;
	char *err = NULL;
	int rc;

	if (!access_require(rq, rs, RIGHT_DRILLS))
		return;
	body = http_body_json(rq, &why);
	if (body == NULL) {
		http_error(rs, 400, "invalid", "%s", why);
		return;
	}
	why = parse_round(srv, body, false, &w.in);
	if (why != NULL) {
		http_error(rs, 400, "invalid", "%s", why);
		goto out;
	}
	rc = store_with(srv->st, 1, create_tx, &w, &err);
	if (rc != STORE_OK) {
		answer_error(rs, rc, err, &w.o);
		goto out;
	}
	http_json(rs, 201, w.doc);
	w.doc = NULL;
out:
	json_decref(w.doc);
	round_in_free(&w.in);
	json_decref(body);
}

/* ---- reading a round ---- */

#define ROUND_COLS                                                                                 \
	"r.id, r.ref, r.programme, r.year, r.region, r.seq, r.theme, r.scenario, r.objectives, "   \
	"r.rules, r.kind, r.state, r.planned_start_ms, r.planned_end_ms, r.started_ms, "           \
	"r.ended_ms, r.cleaned_ms, r.rate_per_min, r.sample, r.created_by, r.created_ms, "         \
	"r.updated_ms"
static const char *const round_cols[] = {"id",
                                         "ref",
                                         "programme",
                                         "year",
                                         "region",
                                         "seq",
                                         "theme",
                                         "scenario",
                                         "objectives",
                                         "rules",
                                         "kind",
                                         "state",
                                         "planned_start_ms",
                                         "planned_end_ms",
                                         "started_ms",
                                         "ended_ms",
                                         "cleaned_ms",
                                         "rate_per_min",
                                         "sample",
                                         "created_by",
                                         "created_ms",
                                         "updated_ms",
                                         NULL};

/* *_ms members to RFC 3339 members named without the suffix (or renamed) */
static void times_of(json_t *o)
{
	static const char *const m[][2] = {
	        {"planned_start_ms", "planned_start"}, {"planned_end_ms", "planned_end"},
	        {"started_ms", "started_at"},          {"ended_ms", "ended_at"},
	        {"cleaned_ms", "cleaned_at"},          {"created_ms", "created_at"},
	        {"updated_ms", "updated_at"},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(m); i++) {
		json_t *v = json_object_get(o, m[i][0]);

		if (v == NULL)
			continue;
		json_object_set_new(o, m[i][1], json_time(json_integer_value(v)));
		json_object_del(o, m[i][0]);
	}
}

static int str_row(void *ctx, const struct store_val *c, int nc)
{
	json_t *arr = ctx;

	if (nc > 0 && c[0].t == SV_TEXT)
		json_array_append_new(arr, json_string(c[0].s));
	return 0;
}

struct prow {
	json_t *ctl, *eval;
	int64_t me;
	bool mine;
};

static int person_row(void *ctx, const struct store_val *c, int nc)
{
	struct prow *p = ctx;

	if (nc < 3 || c[0].t != SV_TEXT || c[1].t != SV_TEXT || c[2].t != SV_INT)
		return 0;
	json_array_append_new(strcmp(c[1].s, "controller") == 0 ? p->ctl : p->eval,
	                      json_string(c[0].s));
	if (c[2].i == p->me)
		p->mine = true;
	return 0;
}

static int progress_row(void *ctx, const struct store_val *c, int nc)
{
	json_t *o = ctx;

	if (nc >= 2 && c[0].t == SV_TEXT && c[1].t == SV_INT)
		json_object_set_new(o, c[0].s, json_integer(c[1].i));
	return 0;
}

int drill_round_read(store_db *db, const struct vsrv *srv, const struct caller *c, int64_t id,
                     json_t **out, char **err)
{
	struct rows r = {round_cols, json_array()};
	struct store_val p = store_int(id);
	struct prow pr = {json_array(), json_array(), c ? c->user_id : -1, false};
	json_t *doc = NULL, *units = json_array(), *prog = json_object(), *obj;
	int rc;

	*out = NULL;
	rc = store_sql(db, "SELECT " ROUND_COLS " FROM drill_rounds r WHERE r.id = ?", &p, 1,
	               rows_json, &r, err);
	if (rc != STORE_OK)
		goto out;
	doc = row_first(r.arr);
	if (doc == NULL) {
		rc = STORE_ENOTFOUND;
		goto out;
	}
	rc = store_sql(db, "SELECT unit FROM drill_round_units WHERE round = ? ORDER BY unit", &p,
	               1, str_row, units, err);
	if (rc == STORE_OK)
		rc = store_sql(
		        db,
		        "SELECT u.username, p.role, p.user_id FROM drill_round_people p JOIN "
		        "users u ON u.id = p.user_id WHERE p.round = ? ORDER BY u.username",
		        &p, 1, person_row, &pr, err);
	if (rc == STORE_OK)
		rc = store_sql(db,
		               "SELECT state, count(*) FROM drill_targets WHERE round = ? GROUP BY "
		               "state",
		               &p, 1, progress_row, prog, err);
	if (rc != STORE_OK)
		goto out;
	if (c != NULL && !pr.mine) {
		size_t n = json_array_size(units);
		const char **list = g_new0(const char *, n + 1);
		bool ok;

		for (size_t i = 0; i < n; i++)
			list[i] = json_string_value(json_array_get(units, i));
		ok = access_units(srv, c, RIGHT_READ, list, (int)n, true);
		g_free(list);
		if (!ok) {
			rc = STORE_ENOTFOUND;
			goto out;
		}
	}
	obj = json_loads(json_string_value(json_object_get(doc, "objectives")), 0, NULL);
	json_object_set_new(doc, "objectives", obj ? obj : json_array());
	times_of(doc);
	json_object_set(doc, "units", units);
	json_object_set(doc, "controllers", pr.ctl);
	json_object_set(doc, "evaluators", pr.eval);
	{
		int64_t pend = json_integer_value(json_object_get(prog, "pending"));
		int64_t sent = json_integer_value(json_object_get(prog, "sent"));
		int64_t failed = json_integer_value(json_object_get(prog, "failed"));

		json_object_set_new(doc, "progress",
		                    json_pack("{s:I,s:I,s:I,s:I}", "targets",
		                              (json_int_t)(pend + sent + failed), "pending",
		                              (json_int_t)pend, "sent", (json_int_t)sent, "failed",
		                              (json_int_t)failed));
	}
	json_object_set_new(doc, "drill", json_true());
	json_object_set_new(doc, "label", json_string(DRILL_LABEL));
	*out = doc;
	doc = NULL;
out:
	json_decref(doc);
	json_decref(r.arr);
	json_decref(units);
	json_decref(pr.ctl);
	json_decref(pr.eval);
	json_decref(prog);
	return rc;
}

struct get {
	const struct vsrv *srv;
	const struct caller *c;
	int64_t id;
	json_t *doc;
};

static int get_tx(store_db *db, void *ctx, char **err)
{
	struct get *g = ctx;

	return drill_round_read(db, g->srv, g->c, g->id, &g->doc, err);
}

void api_drill_rounds_get(struct http_req *rq, struct http_resp *rs)
{
	struct vsrv *srv = rq->ctx;
	struct get g = {.srv = srv, .c = rq->auth};
	struct outcome o = {0};
	char *err = NULL;
	int rc;

	if (!access_require(rq, rs, RIGHT_READ))
		return;
	if (!server_parse_id(rq->params[0], &g.id)) {
		http_error(rs, 404, "not_found", "no such drill round");
		return;
	}
	rc = store_with(srv->st, 0, get_tx, &g, &err);
	if (rc != STORE_OK) {
		answer_error(rs, rc, err, &o);
		return;
	}
	http_json(rs, 200, g.doc);
}

/* ---- the list ---- */

struct list {
	const struct caller *c;
	const char *scope, *region, *state, *kind;
	int64_t programme, year, limit, offset, total;
	struct rows r;
};

/* the caller's scope, as incidents: a participating unit in the caller's
 * unit or region, or the caller named on the round */
#define ROUND_SCOPE                                                                                \
	"((CAST(? AS TEXT) IS NULL AND CAST(? AS TEXT) IS NULL) OR EXISTS (SELECT 1 FROM "         \
	"drill_round_units ru WHERE ru.round = r.id AND (ru.unit = ? OR ru.region = ?)) OR "       \
	"EXISTS (SELECT 1 FROM drill_round_people rp WHERE rp.round = r.id AND rp.user_id = ?))"   \
	" AND (? = 0 OR r.programme = ?) AND (? = 0 OR r.year = ?) AND (CAST(? AS TEXT) IS NULL "  \
	"OR r.region = ?) AND (CAST(? AS TEXT) IS NULL OR r.state = ?) AND (CAST(? AS TEXT) IS "   \
	"NULL OR r.kind = ?)"

static int list_tx(store_db *db, void *ctx, char **err)
{
	struct list *l = ctx;
	struct store_val su = store_text(NULL), sr = store_text(NULL);
	int rc;

	if (l->scope != NULL && g_str_has_prefix(l->scope, "unit:"))
		su = store_text(l->scope + 5);
	else if (l->scope != NULL && g_str_has_prefix(l->scope, "region:"))
		sr = store_text(l->scope + 7);
	{
		struct store_val p[] = {su,
		                        sr,
		                        su,
		                        sr,
		                        store_int(l->c->user_id),
		                        store_int(l->programme),
		                        store_int(l->programme),
		                        store_int(l->year),
		                        store_int(l->year),
		                        store_text(l->region),
		                        store_text(l->region),
		                        store_text(l->state),
		                        store_text(l->state),
		                        store_text(l->kind),
		                        store_text(l->kind),
		                        store_int(l->limit),
		                        store_int(l->offset)};

		rc = store_sql(db, "SELECT count(*) FROM drill_rounds r WHERE " ROUND_SCOPE, p, 15,
		               store_row_int, &l->total, err);
		if (rc == STORE_OK)
			rc = store_sql(
			        db,
			        "SELECT " ROUND_COLS " FROM drill_rounds r WHERE " ROUND_SCOPE
			        " ORDER BY r.year DESC, r.seq, r.region, r.id LIMIT ? OFFSET ?",
			        p, 17, rows_json, &l->r, err);
	}
	return rc;
}

static bool query_int(struct http_req *rq, const char *k, int64_t lo, int64_t hi, int64_t *out)
{
	const char *s = http_query(rq, k);
	char *end;
	long long v;

	*out = 0;
	if (s == NULL)
		return true;
	if (strlen(s) > 18)
		return false;
	v = strtoll(s, &end, 10);
	if (*end != 0 || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

void api_drill_rounds_list(struct http_req *rq, struct http_resp *rs)
{
	struct vsrv *srv = rq->ctx;
	struct list l = {.c = rq->auth, .r = {round_cols, json_array()}};
	char buf[200], *err = NULL;
	json_t *o;
	size_t i;
	int rc;

	if (!access_require(rq, rs, RIGHT_READ))
		goto out;
	l.scope = access_scope(l.c, buf, sizeof buf);
	l.region = http_query(rq, "region");
	l.state = http_query(rq, "state");
	l.kind = http_query(rq, "kind");
	if (!query_int(rq, "programme", 1, INT64_MAX, &l.programme) ||
	    !query_int(rq, "year", 2000, 2100, &l.year) ||
	    (l.state != NULL && !one_of(l.state, states)) ||
	    (l.kind != NULL && !one_of(l.kind, kinds)) ||
	    (l.region != NULL && strlen(l.region) > 64)) {
		http_error(rs, 400, "invalid",
		           "filters: programme (an id), year, region, state (planned, running, "
		           "ended, cleaned), kind (staff, team, both)");
		goto out;
	}
	page_args(rq, 100, 500, &l.limit, &l.offset);
	rc = store_with(srv->st, 0, list_tx, &l, &err);
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
		goto out;
	}
	json_array_foreach(l.r.arr, i, o)
	{
		json_t *obj =
		        json_loads(json_string_value(json_object_get(o, "objectives")), 0, NULL);

		json_object_set_new(o, "objectives", obj ? obj : json_array());
		times_of(o);
	}
	http_json(rs, 200,
	          json_pack("{s:O,s:I,s:I,s:I,s:s}", "rounds", l.r.arr, "total",
	                    (json_int_t)l.total, "limit", (json_int_t)l.limit, "offset",
	                    (json_int_t)l.offset, "label", DRILL_LABEL));
out:
	json_decref(l.r.arr);
}

/* ---- changing a planned round ---- */

struct state_row {
	char state[16];
	char kind[8];
	int64_t sample;
	bool found;
};

static int state_row(void *ctx, const struct store_val *c, int nc)
{
	struct state_row *s = ctx;

	if (nc >= 3 && c[0].t == SV_TEXT && c[1].t == SV_TEXT) {
		g_strlcpy(s->state, c[0].s, sizeof s->state);
		g_strlcpy(s->kind, c[1].s, sizeof s->kind);
		s->sample = c[2].t == SV_INT ? c[2].i : 0;
		s->found = true;
	}
	return 0;
}

static int round_state(store_db *db, int64_t id, struct state_row *s, char **err)
{
	struct store_val p = store_int(id);

	memset(s, 0, sizeof *s);
	return store_sql(db, "SELECT state, kind, sample FROM drill_rounds WHERE id = ?", &p, 1,
	                 state_row, s, err);
}

static int set_text(store_db *db, int64_t id, const char *col, const char *v, char **err)
{
	char *sql = g_strdup_printf("UPDATE drill_rounds SET %s = ? WHERE id = ?", col);
	struct store_val p[] = {store_text(v), store_int(id)};
	int rc = store_sql(db, sql, p, 2, NULL, NULL, err);

	g_free(sql);
	return rc;
}

static int set_int(store_db *db, int64_t id, const char *col, bool null, int64_t v, char **err)
{
	char *sql = g_strdup_printf("UPDATE drill_rounds SET %s = ? WHERE id = ?", col);
	struct store_val p[] = {null ? store_text(NULL) : store_int(v), store_int(id)};
	int rc = store_sql(db, sql, p, 2, NULL, NULL, err);

	g_free(sql);
	return rc;
}

static int update_tx(store_db *db, void *ctx, char **err)
{
	struct rw *w = ctx;
	struct round_in *in = &w->in;
	struct state_row s;
	json_t *doc = NULL, *d;
	char obj[48];
	int rc;

	rc = drill_round_read(db, w->srv, w->c, w->id, &doc, err);
	if (rc != STORE_OK)
		return rc;
	rc = round_state(db, w->id, &s, err);
	if (rc == STORE_OK && strcmp(s.state, "planned") != 0)
		rc = fail(&w->o, 409, "conflict",
		          "only a planned round can be changed; this one has started");
	if (rc == STORE_OK && (in->set & (F_START | F_END)) != (F_START | F_END)) {
		/* one end given: check it against the stored other one */
		int64_t ps = in->set & F_START ? in->pstart : 0,
		        pe = in->set & F_END ? in->pend : 0;
		int64_t os = 0, oe = 0;

		if (!(in->set & F_START) && json_is_string(json_object_get(doc, "planned_start")))
			(void)time_parse(json_string_value(json_object_get(doc, "planned_start")),
			                 &os);
		if (!(in->set & F_END) && json_is_string(json_object_get(doc, "planned_end")))
			(void)time_parse(json_string_value(json_object_get(doc, "planned_end")),
			                 &oe);
		if ((in->set & F_START) && oe > 0 && oe <= ps)
			rc = fail(&w->o, 400, "invalid",
			          "\"planned_end\" must come after \"planned_start\"");
		if ((in->set & F_END) && os > 0 && pe <= os)
			rc = fail(&w->o, 400, "invalid",
			          "\"planned_end\" must come after \"planned_start\"");
	}
	json_decref(doc);
	if (rc == STORE_OK && (in->set & F_PROGRAMME)) {
		bool yes = false;

		rc = programme_exists(db, in->programme, &yes, err);
		if (rc == STORE_OK && !yes)
			rc = fail(&w->o, 400, "invalid", "\"programme\" must be a programme id");
		if (rc == STORE_OK)
			rc = set_int(db, w->id, "programme", false, in->programme, err);
	}
	if (rc == STORE_OK && (in->set & F_YEAR))
		rc = set_int(db, w->id, "year", false, in->year, err);
	if (rc == STORE_OK && (in->set & F_REGION))
		rc = set_text(db, w->id, "region", in->region, err);
	if (rc == STORE_OK && (in->set & F_SEQ))
		rc = set_int(db, w->id, "seq", false, in->seq, err);
	if (rc == STORE_OK && (in->set & F_THEME))
		rc = set_text(db, w->id, "theme", in->theme, err);
	if (rc == STORE_OK && (in->set & F_SCENARIO))
		rc = set_text(db, w->id, "scenario", in->scenario, err);
	if (rc == STORE_OK && (in->set & F_OBJECTIVES))
		rc = set_text(db, w->id, "objectives", in->objectives, err);
	if (rc == STORE_OK && (in->set & F_RULES))
		rc = set_text(db, w->id, "rules", in->rules, err);
	if (rc == STORE_OK && (in->set & F_KIND))
		rc = set_text(db, w->id, "kind", in->kind, err);
	if (rc == STORE_OK && (in->set & F_START))
		rc = set_int(db, w->id, "planned_start_ms", false, in->pstart, err);
	if (rc == STORE_OK && (in->set & F_END))
		rc = set_int(db, w->id, "planned_end_ms", false, in->pend, err);
	if (rc == STORE_OK && (in->set & F_RATE))
		rc = set_int(db, w->id, "rate_per_min", false, in->rate, err);
	if (rc == STORE_OK && (in->set & F_SAMPLE))
		rc = set_int(db, w->id, "sample", in->sample == 0, in->sample, err);
	if (rc == STORE_OK && (in->set & F_UNITS))
		rc = write_units(db, w, err);
	if (rc == STORE_OK && (in->set & F_CONTROLLERS))
		rc = write_people(db, w, in->controllers, "controller", err);
	if (rc == STORE_OK && (in->set & F_EVALUATORS))
		rc = write_people(db, w, in->evaluators, "evaluator", err);
	if (rc == STORE_OK)
		rc = set_int(db, w->id, "updated_ms", false, store_now_ms(), err);
	if (rc != STORE_OK)
		return rc;
	g_snprintf(obj, sizeof obj, "drill_round:%lld", (long long)w->id);
	d = json_pack("{s:I}", "fields", (json_int_t)in->set);
	rc = audit_append(db, w->c->username, "drill.round.update", obj, NULL, d, err);
	json_decref(d);
	if (rc == STORE_OK)
		rc = drill_round_read(db, w->srv, NULL, w->id, &w->doc, err);
	return rc;
}

void api_drill_rounds_update(struct http_req *rq, struct http_resp *rs)
{
	struct vsrv *srv = rq->ctx;
	struct rw w = {.srv = srv, .c = rq->auth};
	const char *why = NULL;
	json_t *body = NULL;
	char *err = NULL;
	int rc;

	if (!access_require(rq, rs, RIGHT_DRILLS))
		return;
	if (!server_parse_id(rq->params[0], &w.id)) {
		http_error(rs, 404, "not_found", "no such drill round");
		return;
	}
	body = http_body_json(rq, &why);
	if (body == NULL) {
		http_error(rs, 400, "invalid", "%s", why);
		return;
	}
	why = parse_round(srv, body, true, &w.in);
	if (why == NULL && w.in.set == 0)
		why = "nothing to change: give at least one field of the round";
	if (why != NULL) {
		http_error(rs, 400, "invalid", "%s", why);
		goto out;
	}
	rc = store_with(srv->st, 1, update_tx, &w, &err);
	if (rc != STORE_OK) {
		answer_error(rs, rc, err, &w.o);
		goto out;
	}
	http_json(rs, 200, w.doc);
	w.doc = NULL;
out:
	json_decref(w.doc);
	round_in_free(&w.in);
	json_decref(body);
}

/* ---- start, end, cleanup ---- */

static int action_tx(store_db *db, void *ctx, char **err)
{
	struct rw *w = ctx;
	struct state_row s;
	const char *from, *to, *col;
	int64_t now = store_now_ms();
	struct store_val p[4];
	json_t *doc = NULL, *d;
	char obj[48];
	int rc;

	if (strcmp(w->action, "start") == 0) {
		from = "planned", to = "running", col = "started_ms";
	} else if (strcmp(w->action, "end") == 0) {
		from = "running", to = "ended", col = "ended_ms";
	} else {
		from = "ended", to = "cleaned", col = "cleaned_ms";
	}
	/* the caller must see the round (a controller sees every round) */
	rc = drill_round_read(db, w->srv, w->c, w->id, &doc, err);
	json_decref(doc);
	if (rc == STORE_OK)
		rc = round_state(db, w->id, &s, err);
	if (rc != STORE_OK)
		return rc;
	if (strcmp(s.state, from) != 0) {
		if (strcmp(w->action, "start") == 0)
			return fail(&w->o, 409, "conflict", "only a planned round can be started");
		if (strcmp(w->action, "end") == 0)
			return fail(&w->o, 409, "conflict", "only a running round can be ended");
		return fail(&w->o, 409, "conflict", "only an ended round can be cleaned up");
	}
	if (strcmp(to, "running") == 0 && strcmp(s.kind, "team") != 0 && !drills_ready())
		return fail(&w->o, 503, "not_configured",
		            "drills are not configured: vigild has no drill key (drill_key_file)");
	{
		char *sql = g_strdup_printf("UPDATE drill_rounds SET state = ?, %s = ?, updated_ms "
		                            "= ? WHERE id = ? AND "
		                            "state = '%s'",
		                            col, from);

		p[0] = store_text(to);
		p[1] = store_int(now);
		p[2] = store_int(now);
		p[3] = store_int(w->id);
		rc = store_sql(db, sql, p, 4, NULL, NULL, err);
		g_free(sql);
	}
	if (rc == STORE_OK && strcmp(to, "running") == 0 && strcmp(s.kind, "team") != 0) {
		rc = drills_choose_targets(db, w->srv, w->id, s.sample, &w->targets, err);
		if (rc == STORE_OK && w->targets == 0)
			return fail(&w->o, 409, "conflict",
			            "the round's units have no staff with a mailbox in the "
			            "organisation");
	}
	if (rc == STORE_OK)
		rc = drill_round_changed(db, w->srv, w->id, to, err);
	if (rc != STORE_OK)
		return rc;
	g_snprintf(obj, sizeof obj, "drill_round:%lld", (long long)w->id);
	d = json_pack("{s:s,s:s,s:I}", "from", from, "to", to, "targets", (json_int_t)w->targets);
	rc = audit_append(db, w->c->username,
	                  strcmp(to, "running") == 0 ? "drill.round.start"
	                  : strcmp(to, "ended") == 0 ? "drill.round.end"
	                                             : "drill.round.cleanup",
	                  obj, NULL, d, err);
	json_decref(d);
	if (rc == STORE_OK)
		rc = drill_round_read(db, w->srv, NULL, w->id, &w->doc, err);
	return rc;
}

void api_drill_rounds_action(struct http_req *rq, struct http_resp *rs)
{
	struct vsrv *srv = rq->ctx;
	struct rw w = {.srv = srv, .c = rq->auth};
	char *err = NULL;
	int rc;

	if (!access_require(rq, rs, RIGHT_DRILLS))
		return;
	if (!server_parse_id(rq->params[0], &w.id)) {
		http_error(rs, 404, "not_found", "no such drill round");
		return;
	}
	w.action = rq->params[1];
	if (!one_of(w.action, (const char *const[]){"start", "end", "cleanup", NULL})) {
		http_error(rs, 404, "not_found", "a round can be started, ended or cleaned up");
		return;
	}
	rc = store_with(srv->st, 1, action_tx, &w, &err);
	if (rc != STORE_OK) {
		answer_error(rs, rc, err, &w.o);
		return;
	}
	drills_kick();
	drill_team_kick();
	http_json(rs, 200, w.doc);
}

int drill_round_changed(store_db *db, const struct vsrv *srv, int64_t round, const char *state,
                        char **err)
{
	/* the team exercise (drill_team.c, migration 7) */
	return drill_team_round_changed(db, srv, round, state, err);
}

/* ---- programmes ---- */

static const char *const prog_cols[] = {"id",         "name",       "year",   "description",
                                        "created_by", "created_ms", "rounds", NULL};

static int prog_list_tx(store_db *db, void *ctx, char **err)
{
	struct rows *r = ctx;

	return store_sql(db,
	                 "SELECT p.id, p.name, p.year, p.description, p.created_by, p.created_ms, "
	                 "(SELECT count(*) FROM drill_rounds r WHERE r.programme = p.id) FROM "
	                 "drill_programmes p ORDER BY p.year DESC, p.id DESC LIMIT 500",
	                 NULL, 0, rows_json, r, err);
}

void api_drill_programmes_list(struct http_req *rq, struct http_resp *rs)
{
	struct vsrv *srv = rq->ctx;
	struct rows r = {prog_cols, json_array()};
	char *err = NULL;
	json_t *o;
	size_t i;
	int rc;

	if (!access_require(rq, rs, RIGHT_READ))
		goto out;
	rc = store_with(srv->st, 0, prog_list_tx, &r, &err);
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
		goto out;
	}
	json_array_foreach(r.arr, i, o) times_of(o);
	http_json(rs, 200, json_pack("{s:O}", "programmes", r.arr));
out:
	json_decref(r.arr);
}

struct gen {
	const struct vsrv *srv;
	const struct caller *c;
	struct outcome o;
	const char *name, *desc, *scenario, *kind, *theme;
	int64_t id, year, rate;
	bool generate;
	json_t *refs;
};

/*
 * The default programme: 3 rounds a year in each region of the
 * organisation (the central agency's "national" is not a region of its
 * own here), in March, July and November, a week apart between regions,
 * 08:00 to 17:00 Vietnam time (UTC+7) on one day; every unit of the region
 * takes part.
 */
static int generate_rounds(store_db *db, struct gen *g, char **err)
{
	json_t *u = orgmap_units_json(g->srv->org), *r;
	int64_t n = 0;
	size_t i;
	int rc = STORE_OK, ri = 0;
	struct store_val p = store_int(g->id);

	rc = store_sql(db, "SELECT count(*) FROM drill_rounds WHERE programme = ?", &p, 1,
	               store_row_int, &n, err);
	if (rc == STORE_OK && n > 0)
		rc = fail(&g->o, 409, "conflict", "this programme already has rounds");
	json_array_foreach(json_object_get(u, "regions"), i, r)
	{
		const char *region = json_string_value(json_object_get(r, "id"));

		if (rc != STORE_OK || region == NULL || strcmp(region, "national") == 0)
			continue;
		for (int seq = 1; seq <= 3 && rc == STORE_OK; seq++) {
			struct rw w = {.srv = g->srv, .c = g->c};
			GDateTime *d = g_date_time_new_utc((gint)g->year, 3 + 4 * (seq - 1),
			                                   10 + 7 * ri, 1, 0, 0);

			w.in.set = F_PROGRAMME | F_START | F_END;
			w.in.programme = g->id;
			w.in.year = g->year;
			w.in.region = region;
			w.in.seq = seq;
			w.in.theme = g->theme;
			w.in.scenario = g->scenario;
			w.in.kind = g->kind;
			w.in.rate = g->rate;
			w.in.objectives = g_strdup(
			        "[\"Nhân viên nhận biết và báo cáo thư giả mạo chứa phần mềm gián "
			        "điệp\",\"Đội ứng cứu phát hiện, ngăn chặn lây lan và báo cáo đúng "
			        "hạn\"]");
			w.in.pstart = d ? g_date_time_to_unix(d) * 1000 : 0;
			w.in.pend = w.in.pstart + 9 * 3600 * 1000;
			if (d)
				g_date_time_unref(d);
			rc = insert_round(db, &w, err);
			if (w.o.status != 0)
				g->o = w.o;
			if (rc == STORE_OK)
				json_array_append_new(g->refs, json_integer(w.id));
			round_in_free(&w.in);
		}
		ri++;
	}
	json_decref(u);
	if (rc == STORE_OK && json_array_size(g->refs) == 0)
		rc = fail(&g->o, 409, "conflict", "the organisation has no regions to drill");
	return rc;
}

static int prog_create_tx(store_db *db, void *ctx, char **err)
{
	struct gen *g = ctx;
	struct store_val p[] = {store_text(g->name), store_int(g->year), store_text(g->desc),
	                        store_text(g->c->username), store_int(store_now_ms())};
	char obj[48];
	json_t *d;
	int rc;

	rc = store_sql(db,
	               "INSERT INTO drill_programmes (name, year, description, created_by, "
	               "created_ms) VALUES (?, ?, ?, ?, ?) RETURNING id",
	               p, 5, store_row_int, &g->id, err);
	if (rc != STORE_OK)
		return rc;
	g_snprintf(obj, sizeof obj, "drill_programme:%lld", (long long)g->id);
	d = json_pack("{s:s,s:I}", "name", g->name, "year", (json_int_t)g->year);
	rc = audit_append(db, g->c->username, "drill.programme.create", obj, NULL, d, err);
	json_decref(d);
	if (rc == STORE_OK && g->generate)
		rc = generate_rounds(db, g, err);
	return rc;
}

static int prog_gen_tx(store_db *db, void *ctx, char **err)
{
	struct gen *g = ctx;
	struct store_val p = store_int(g->id);
	char obj[48];
	json_t *d;
	bool yes = false;
	int rc;

	rc = programme_exists(db, g->id, &yes, err);
	if (rc != STORE_OK)
		return rc;
	if (!yes)
		return fail(&g->o, 404, "not_found", "no such drill programme");
	rc = store_sql(db, "SELECT year FROM drill_programmes WHERE id = ?", &p, 1, store_row_int,
	               &g->year, err);
	if (rc == STORE_OK)
		rc = generate_rounds(db, g, err);
	if (rc != STORE_OK)
		return rc;
	g_snprintf(obj, sizeof obj, "drill_programme:%lld", (long long)g->id);
	d = json_pack("{s:O}", "rounds", g->refs);
	rc = audit_append(db, g->c->username, "drill.programme.generate", obj, NULL, d, err);
	json_decref(d);
	return rc;
}

/* the generator's options, shared by create (generate: true) and generate */
static const char *gen_options(json_t *body, struct gen *g)
{
	json_t *v;

	g->scenario = "cong-van-macro";
	g->kind = "both";
	g->theme = "Phần mềm gián điệp tấn công hệ thống của ngành qua thư điện tử";
	g->rate = 60;
	if (json_object_get(body, "scenario") &&
	    ((g->scenario = server_bounded(body, "scenario", 64)) == NULL ||
	     !scenario_id_ok(g->scenario)))
		return "\"scenario\" must be a scenario id (lower-case letters, digits and '-')";
	if (json_object_get(body, "kind") &&
	    ((g->kind = server_bounded(body, "kind", 8)) == NULL || !one_of(g->kind, kinds)))
		return "\"kind\" must be staff, team or both";
	if (json_object_get(body, "theme") &&
	    (g->theme = server_bounded(body, "theme", 300)) == NULL)
		return "\"theme\" must be a non-empty text of at most 300 bytes";
	if ((v = json_object_get(body, "rate_per_min")) != NULL &&
	    !int_member(body, "rate_per_min", 1, 60000, &g->rate))
		return "\"rate_per_min\" must be 1 to 60,000 messages a minute";
	return NULL;
}

void api_drill_programmes_create(struct http_req *rq, struct http_resp *rs)
{
	struct vsrv *srv = rq->ctx;
	struct gen g = {.srv = srv, .c = rq->auth, .refs = json_array()};
	const char *why = NULL;
	json_t *body = NULL, *v;
	char *err = NULL;
	int rc;

	if (!access_require(rq, rs, RIGHT_DRILLS))
		goto out;
	body = http_body_json(rq, &why);
	if (body == NULL) {
		http_error(rs, 400, "invalid", "%s", why);
		goto out;
	}
	g.name = server_bounded(body, "name", 200);
	g.desc = json_object_get(body, "description") ? server_bounded(body, "description", 2000)
	                                              : "";
	v = json_object_get(body, "generate");
	if (g.name == NULL || g.desc == NULL || !int_member(body, "year", 2000, 2100, &g.year) ||
	    (v != NULL && !json_is_boolean(v))) {
		http_error(rs, 400, "invalid",
		           "give \"name\" (≤ 200 bytes), \"year\" (2000 to 2100), optionally "
		           "\"description\" (≤ 2,000 bytes) and \"generate\": true for the default "
		           "rounds");
		goto out;
	}
	g.generate = json_is_true(v);
	if ((why = gen_options(body, &g)) != NULL) {
		http_error(rs, 400, "invalid", "%s", why);
		goto out;
	}
	rc = store_with(srv->st, 1, prog_create_tx, &g, &err);
	if (rc != STORE_OK) {
		answer_error(rs, rc, err, &g.o);
		goto out;
	}
	http_json(rs, 201,
	          json_pack("{s:I,s:s,s:I,s:O}", "id", (json_int_t)g.id, "name", g.name, "year",
	                    (json_int_t)g.year, "rounds", g.refs));
out:
	json_decref(g.refs);
	json_decref(body);
}

void api_drill_programmes_generate(struct http_req *rq, struct http_resp *rs)
{
	struct vsrv *srv = rq->ctx;
	struct gen g = {.srv = srv, .c = rq->auth, .refs = json_array()};
	const char *why = NULL;
	json_t *body = NULL;
	char *err = NULL;
	int rc;

	if (!access_require(rq, rs, RIGHT_DRILLS))
		goto out;
	if (!server_parse_id(rq->params[0], &g.id)) {
		http_error(rs, 404, "not_found", "no such drill programme");
		goto out;
	}
	body = rq->body_len > 0 ? http_body_json(rq, &why) : json_object();
	if (body == NULL) {
		http_error(rs, 400, "invalid", "%s", why);
		goto out;
	}
	if ((why = gen_options(body, &g)) != NULL) {
		http_error(rs, 400, "invalid", "%s", why);
		goto out;
	}
	rc = store_with(srv->st, 1, prog_gen_tx, &g, &err);
	if (rc != STORE_OK) {
		answer_error(rs, rc, err, &g.o);
		goto out;
	}
	http_json(rs, 201, json_pack("{s:I,s:O}", "programme", (json_int_t)g.id, "rounds", g.refs));
out:
	json_decref(g.refs);
	json_decref(body);
}
