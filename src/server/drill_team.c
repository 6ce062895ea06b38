/*
 * drill_team.c - the team exercise's engine and scheduler (drill_team.h).
 *
 * Start (inside the round's start transaction): the scenario is loaded and
 * copied into drill_team (a scenario file edited later does not change a
 * running round); each participating unit gets a token and its simulant
 * (built once per unit: the file its detections carry and its endpoints
 * get, so the incident's SHA-256 finds the plants); the timeline is written
 * to drill_injects: one detection at the start, then the scenario's
 * injects at after_min scenario minutes (a controller may make a minute
 * shorter for a compressed exercise); the first plants are ordered.
 *
 * The thread wakes every second (or when kicked) and fires what is due, in
 * order. A detection or second report is an alert record built here and
 * handed to alert_ingest_drill() (api_incidents.c) outside any other
 * transaction; its uid is fixed per inject and unit, so an inject fired
 * again after a crash is a duplicate, not a second alert. Then the inject
 * is marked fired. Plants and messages are one transaction with the mark.
 *
 * Cleanup (round ended, or asked): every sent target's message is hunted
 * by its Message-ID in the drill records and attached to the round's
 * incident, the claw-back job runs on what is still found or failed, an
 * unplant order goes to every endpoint with a simulant, and once the
 * claw-back has run the round's incidents are closed. Each pass records
 * what was cleaned and what is still pending (drill_team.cleanup); the
 * round is "cleaned" when nothing is.
 *
 * Ownership: the thread owns its state; the scenario is read through the
 * content library (src/drill/) and freed after each use.
 * Limits: TEAM_MAX_UNITS units, TEAM_MAX_PLANTS_PER_UNIT plants per unit
 * and inject, simulants of TEAM_SIMULANT_MAX bytes, 20 injects per pass.
 */
#include "drill_team.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access.h"
#include "api.h"
#include "audit.h"
#include "drill/drill.h"
#include "drills.h"
#include "milter/log.h"
#include "orgmap.h"

#define TICK_MS 1000
#define CLEANUP_EVERY_MS 10000 /* a failing mail server or an absent agent is retried */
#define INJECTS_PER_PASS 20
#define ACTOR "vigil-drill"

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t tid;
	bool running, stop, kicked;
	struct vsrv *srv;
} T = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

/* the identity the engine acts as: a drill controller, wide scope */
static void engine_caller(struct caller *c)
{
	memset(c, 0, sizeof *c);
	c->authenticated = true;
	c->user_id = -1;
	c->role = ROLE_DRILL;
	g_strlcpy(c->kind, "drill", sizeof c->kind);
	g_strlcpy(c->username, ACTOR, sizeof c->username);
	g_strlcpy(c->lang, "vi", sizeof c->lang);
}

static int64_t col_int(const struct store_val *v)
{
	if (v->t == SV_INT)
		return v->i;
	if (v->t == SV_TEXT)
		return g_ascii_strtoll(v->s, NULL, 10);
	return 0;
}

static char *col_dup(const struct store_val *v)
{
	return v->t == SV_TEXT ? g_strdup(v->s) : NULL;
}

bool drill_team_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > 100 || !g_ascii_isalnum(name[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isalnum(name[i]) && name[i] != '.' && name[i] != '_' && name[i] != '-')
			return false;
	return true;
}

static int str_row(void *ctx, const struct store_val *c, int nc)
{
	GPtrArray *out = ctx;

	if (nc > 0 && c[0].t == SV_TEXT && out->len < 100000)
		g_ptr_array_add(out, g_strdup(c[0].s));
	return 0;
}

/* ---- notifications to the participants ---- */

int drill_team_notify(store_db *db, int64_t round, int64_t incident, const char *vi, const char *en,
                      char **err)
{
	struct store_val p[] = {store_int(store_now_ms()),
	                        incident ? store_int(incident) : store_text(NULL),
	                        store_text(vi),
	                        store_text(en),
	                        store_int(round),
	                        store_int(round)};

	/* users of the round's units, and its controllers and evaluators */
	return store_sql(
	        db,
	        "INSERT INTO notifications (user_id, at_ms, incident, text) SELECT u.id, CAST(? AS "
	        "BIGINT), CAST(? AS BIGINT), CASE WHEN u.lang = 'en' THEN CAST(? AS TEXT) ELSE "
	        "CAST(? AS TEXT) END FROM users u WHERE "
	        "u.disabled = 0 AND (u.unit IN (SELECT unit FROM drill_round_units WHERE "
	        "round = ?) OR u.id IN (SELECT user_id FROM drill_round_people WHERE "
	        "round = ?))",
	        (struct store_val[]){p[0], p[1], p[3], p[2], p[4], p[5]}, 6, NULL, NULL, err);
}

/* ---- start ---- */

struct start {
	const struct vsrv *srv;
	int64_t round, now;
	json_t *doc;      /* the round */
	json_t *settings; /* drill_team.settings */
	drill_scenario *sc;
	const char *ref;
	GPtrArray *units;
	int64_t seq;
};

static int settings_row(void *ctx, const struct store_val *c, int nc)
{
	struct start *s = ctx;

	if (nc > 0 && c[0].t == SV_TEXT)
		s->settings = json_loads(c[0].s, 0, NULL);
	return 0;
}

static int add_inject(store_db *db, struct start *s, int64_t at, const char *kind, json_t *payload,
                      char **err)
{
	char *text = json_dumps(payload, JSON_COMPACT);
	struct store_val p[] = {store_int(s->round), store_int(s->seq++), store_int(at),
	                        store_text(kind), store_text(text)};
	int rc = store_sql(db,
	                   "INSERT INTO drill_injects (round, seq, at_ms, kind, payload, state) "
	                   "VALUES (?, ?, ?, ?, ?, 'pending')",
	                   p, 5, NULL, NULL, err);

	free(text);
	json_decref(payload);
	return rc;
}

/* the scenario of the round, from the configured folder */
static char *scenarios_dir;

static drill_scenario *scenario_load(const char *id, char **why)
{
	drill_scenario *sc = NULL;
	drill_error e = {0};
	char *path;

	if (id == NULL || scenarios_dir == NULL || strchr(id, '/') != NULL || id[0] == '.' ||
	    strlen(id) > 100) {
		*why = g_strdup_printf(
		        "the round's scenario cannot be found (scenarios folder: %s)",
		        scenarios_dir ? scenarios_dir : "not configured");
		return NULL;
	}
	path = g_strdup_printf("%s/%s.json", scenarios_dir, id);
	if (drill_scenario_load(path, &sc, &e) != DRILL_OK) {
		*why = g_strdup_printf("scenario %s: %s %s", path, e.where, e.en);
		sc = NULL;
	}
	g_free(path);
	return sc;
}

static json_t *scenario_json(const drill_scenario *sc)
{
	json_t *inj = json_array(), *exp = json_array();

	for (size_t i = 0; i < sc->n_injects; i++)
		json_array_append_new(inj, json_pack("{s:i,s:s,s:{s:s?,s:s?},s:i}", "after_min",
		                                     sc->injects[i].after_min, "kind",
		                                     drill_inject_kind_name(sc->injects[i].kind),
		                                     "text", "vi", sc->injects[i].text.vi, "en",
		                                     sc->injects[i].text.en, "count",
		                                     sc->injects[i].count));
	for (size_t i = 0; i < sc->n_expected; i++)
		json_array_append_new(exp, json_string(sc->expected[i]));
	return json_pack("{s:s,s:{s:s?,s:s?},s:s?,s:s?,s:s?,s:s?,s:s,s:o,s:o}", "id", sc->id,
	                 "title", "vi", sc->title.vi, "en", sc->title.en, "sender_name",
	                 sc->sender_name, "sender_address", sc->sender_address, "subject",
	                 sc->subject, "attachment_name", sc->attachment_name, "attachment_kind",
	                 drill_sim_kind_name(sc->attachment_kind), "expected", exp, "injects", inj);
}

/* the endpoints planted with unit's simulant: the settings' hosts for the
 * unit, else `per_unit` enrolled agents of the unit not planted yet */
static int choose_hosts(store_db *db, int64_t round, const char *unit, json_t *given,
                        int64_t per_unit, GPtrArray *hosts, char **err)
{
	json_t *h;
	size_t i;

	if (json_is_array(given)) {
		json_array_foreach(given, i, h) if (json_is_string(h) &&
		                                    hosts->len < TEAM_MAX_PLANTS_PER_UNIT)
		        g_ptr_array_add(hosts, g_strdup(json_string_value(h)));
		return STORE_OK;
	}
	if (per_unit <= 0)
		return STORE_OK;
	return store_sql(db,
	                 "SELECT DISTINCT a.host FROM agents a WHERE a.unit = ? AND a.revoked = 0 "
	                 "AND NOT EXISTS (SELECT 1 FROM drill_plants p WHERE p.round = ? AND "
	                 "p.host = a.host) ORDER BY a.host LIMIT ?",
	                 (struct store_val[]){store_text(unit), store_int(round),
	                                      store_int(MIN(per_unit, TEAM_MAX_PLANTS_PER_UNIT))},
	                 3, str_row, hosts, err);
}

/* a plant and its order (the agent gets it at its next check-in) */
static int order_plant(store_db *db, int64_t round, int64_t inject, const char *unit,
                       const char *host, const char *name, const char *sha, int64_t now, char **err)
{
	int64_t plant = 0, order = 0;
	struct store_val p[] = {store_int(round), inject ? store_int(inject) : store_text(NULL),
	                        store_text(host), store_text(unit),
	                        store_text(name), store_text(sha),
	                        store_int(now)};
	int rc = store_sql(
	        db,
	        "INSERT INTO drill_plants (round, inject, host, unit, name, sha256, state, "
	        "created_ms) VALUES (?, ?, ?, ?, ?, ?, 'ordered', ?) ON CONFLICT DO "
	        "NOTHING RETURNING id",
	        p, 7, store_row_int, &plant, err);

	if (rc != STORE_OK || plant == 0)
		return rc; /* already planted there in this round */
	rc = store_sql(db,
	               "INSERT INTO drill_orders (host, round, plant, kind, created_ms) VALUES (?, "
	               "?, ?, 'plant', ?) RETURNING id",
	               (struct store_val[]){store_text(host), store_int(round), store_int(plant),
	                                    store_int(now)},
	               4, store_row_int, &order, err);
	if (rc == STORE_OK)
		rc = store_sql(db, "UPDATE drill_plants SET plant_order = ? WHERE id = ?",
		               (struct store_val[]){store_int(order), store_int(plant)}, 2, NULL,
		               NULL, err);
	return rc;
}

struct unitrow {
	char *unit, *sha;
};

static int plants_for(store_db *db, int64_t round, int64_t inject, const char *name,
                      json_t *settings_plants, int64_t per_unit, bool from_settings, int64_t now,
                      char **err);

static int unit_setup(store_db *db, struct start *s, const char *unit, const uint8_t *key,
                      char **err)
{
	char token[DRILL_TOKEN_LEN + 1], sha[65] = "";
	uint8_t *bytes = NULL;
	size_t len = 0;
	drill_error e = {0};
	GPtrArray *rcpts = g_ptr_array_new_with_free_func(g_free);
	json_t *list = json_array();
	char *b64 = NULL, *rjson = NULL;
	int rc;

	drill_token_new(token);
	rc = store_sql(db,
	               "SELECT mailbox FROM drill_targets WHERE round = ? AND unit = ? ORDER BY id",
	               (struct store_val[]){store_int(s->round), store_text(unit)}, 2, str_row,
	               rcpts, err);
	if (rc != STORE_OK)
		goto out;
	for (guint i = 0; i < rcpts->len; i++)
		json_array_append_new(list, json_string(rcpts->pdata[i]));
	if (s->sc->attachment_kind != DRILL_SIM_NONE &&
	    drill_simulant_build_for(s->sc, key, s->ref, token, s->srv->public_url, &bytes, &len,
	                             &e) != DRILL_OK) {
		rc = store_fail(err, STORE_EINVAL, "the simulant cannot be built: %s", e.en);
		goto out;
	}
	if (len > TEAM_SIMULANT_MAX) {
		rc = store_fail(err, STORE_EINVAL, "the simulant is larger than %u bytes",
		                TEAM_SIMULANT_MAX);
		goto out;
	}
	if (bytes != NULL) {
		char *h = g_compute_checksum_for_data(G_CHECKSUM_SHA256, bytes, len);

		g_strlcpy(sha, h, sizeof sha);
		g_free(h);
		b64 = g_base64_encode(bytes, len);
	}
	rjson = json_dumps(list, JSON_COMPACT);
	rc = store_sql(
	        db,
	        "INSERT INTO drill_team_units (round, unit, region, token, simulant, sha256, "
	        "size, recipients) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	        (struct store_val[]){store_int(s->round), store_text(unit),
	                             store_text(orgmap_region(s->srv->org, unit)),
	                             store_text(token), store_text(b64 ? b64 : ""), store_text(sha),
	                             store_int((int64_t)len), store_text(rjson)},
	        8, NULL, NULL, err);
out:
	free(bytes);
	g_free(b64);
	free(rjson);
	json_decref(list);
	g_ptr_array_unref(rcpts);
	return rc;
}

static int team_start(store_db *db, const struct vsrv *srv, int64_t round, char **err)
{
	struct start s = {.srv = srv, .round = round, .now = store_now_ms(), .seq = 0};
	const uint8_t *key = drills_key();
	const char *kind;
	char *why = NULL, *sjson = NULL;
	int64_t minute_ms = 60000, per_unit = 1;
	json_t *first, *u, *plants;
	size_t i;
	int rc;

	rc = drill_round_read(db, srv, NULL, round, &s.doc, err);
	if (rc != STORE_OK)
		return rc;
	kind = json_string_value(json_object_get(s.doc, "kind"));
	if (kind == NULL || strcmp(kind, "staff") == 0)
		goto out; /* no team exercise in this round */
	s.ref = json_string_value(json_object_get(s.doc, "ref"));
	if (key == NULL) {
		rc = store_fail(err, STORE_EINVAL,
		                "drills are not configured: vigild has no drill key "
		                "(drill_key_file)");
		goto out;
	}
	rc = store_sql(db, "SELECT settings FROM drill_team WHERE round = ?",
	               (struct store_val[]){store_int(round)}, 1, settings_row, &s, err);
	if (rc != STORE_OK)
		goto out;
	if (s.settings == NULL)
		s.settings = json_object();
	if (json_integer_value(json_object_get(s.settings, "minute_seconds")) > 0)
		minute_ms =
		        json_integer_value(json_object_get(s.settings, "minute_seconds")) * 1000;
	if (json_object_get(s.settings, "plants_per_unit"))
		per_unit = json_integer_value(json_object_get(s.settings, "plants_per_unit"));
	s.sc = scenario_load(json_string_value(json_object_get(s.doc, "scenario")), &why);
	if (s.sc == NULL) {
		rc = store_fail(err, STORE_EINVAL, "%s", why);
		goto out;
	}
	/* a team round's mail goes to the staff of its units too: the teams
	 * claw it back, and cleanup pulls what they left */
	if (strcmp(kind, "team") == 0) {
		int64_t n = 0, sample = json_integer_value(json_object_get(s.doc, "sample"));

		rc = drills_choose_targets(db, srv, round, sample, &n, err);
		if (rc != STORE_OK)
			goto out;
	}
	sjson = json_dumps(scenario_json(s.sc), JSON_COMPACT);
	rc = store_sql(db,
	               "INSERT INTO drill_team (round, state, settings, scenario, minute_ms, "
	               "started_ms, started_by) VALUES (?, 'running', '{}', ?, ?, ?, ?) ON "
	               "CONFLICT (round) DO UPDATE SET state = 'running', scenario = "
	               "excluded.scenario, minute_ms = excluded.minute_ms, started_ms = "
	               "excluded.started_ms",
	               (struct store_val[]){store_int(round), store_text(sjson),
	                                    store_int(minute_ms), store_int(s.now),
	                                    store_text(ACTOR)},
	               5, NULL, NULL, err);
	json_array_foreach(json_object_get(s.doc, "units"), i, u)
	{
		if (rc != STORE_OK || i >= TEAM_MAX_UNITS)
			break;
		rc = unit_setup(db, &s, json_string_value(u), key, err);
	}
	if (rc != STORE_OK)
		goto out;
	/* the timeline: detections at the start, then the scenario's */
	first = json_object_get(s.settings, "first_units");
	rc = add_inject(db, &s, s.now, "detection",
	                json_pack("{s:O}", "units",
	                          json_is_array(first) ? first : json_object_get(s.doc, "units")),
	                err);
	for (i = 0; rc == STORE_OK && i < s.sc->n_injects; i++) {
		const struct drill_inject *in = &s.sc->injects[i];

		rc = add_inject(db, &s, s.now + (int64_t)in->after_min * minute_ms,
		                drill_inject_kind_name(in->kind),
		                json_pack("{s:i,s:{s:s?,s:s?}}", "count",
		                          in->count > 0 ? in->count : 1, "text", "vi", in->text.vi,
		                          "en", in->text.en),
		                err);
	}
	plants = json_object_get(s.settings, "plants");
	if (rc == STORE_OK && s.sc->attachment_kind != DRILL_SIM_NONE)
		rc = plants_for(db, round, 0, s.sc->attachment_name, plants, per_unit,
		                json_is_object(plants), s.now, err);
	if (rc == STORE_OK) {
		json_t *d = json_pack("{s:s,s:I,s:I}", "scenario", s.sc->id, "injects",
		                      (json_int_t)s.seq, "minute_ms", (json_int_t)minute_ms);
		char obj[48];

		g_snprintf(obj, sizeof obj, "drill_round:%lld", (long long)round);
		rc = audit_append(db, ACTOR, "drill.team.start", obj, NULL, d, err);
		json_decref(d);
	}
out:
	g_free(why);
	free(sjson);
	json_decref(s.doc);
	json_decref(s.settings);
	if (s.sc != NULL)
		drill_scenario_free(s.sc);
	return rc;
}

/* plants of every unit of the round: the settings' hosts, or per_unit
 * more endpoints each (name: the scenario's attachment when the agents
 * take it as a name) */
static int plants_for(store_db *db, int64_t round, int64_t inject, const char *name,
                      json_t *settings_plants, int64_t per_unit, bool from_settings, int64_t now,
                      char **err)
{
	GPtrArray *units = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *shas = g_ptr_array_new_with_free_func(g_free);
	const char *fname = drill_team_name_ok(name) ? name : "vigil-drill-simulant";
	int rc;

	rc = store_sql(db, "SELECT unit FROM drill_team_units WHERE round = ? ORDER BY unit",
	               (struct store_val[]){store_int(round)}, 1, str_row, units, err);
	if (rc == STORE_OK)
		rc = store_sql(db,
		               "SELECT sha256 FROM drill_team_units WHERE round = ? ORDER BY unit",
		               (struct store_val[]){store_int(round)}, 1, str_row, shas, err);
	for (guint i = 0; rc == STORE_OK && i < units->len && i < shas->len; i++) {
		GPtrArray *hosts = g_ptr_array_new_with_free_func(g_free);
		json_t *given =
		        from_settings ? json_object_get(settings_plants, units->pdata[i]) : NULL;

		if (from_settings && given == NULL) {
			g_ptr_array_unref(hosts);
			continue;
		}
		rc = choose_hosts(db, round, units->pdata[i], given, per_unit, hosts, err);
		for (guint k = 0; rc == STORE_OK && k < hosts->len; k++)
			rc = order_plant(db, round, inject, units->pdata[i], hosts->pdata[k], fname,
			                 shas->pdata[i], now, err);
		g_ptr_array_unref(hosts);
	}
	g_ptr_array_unref(units);
	g_ptr_array_unref(shas);
	return rc;
}

int drill_team_round_changed(store_db *db, const struct vsrv *srv, int64_t round, const char *state,
                             char **err)
{
	int rc;

	if (strcmp(state, "running") == 0) {
		rc = team_start(db, srv, round, err);
	} else if (strcmp(state, "ended") == 0 || strcmp(state, "cleaned") == 0) {
		int64_t now = store_now_ms();

		rc = store_sql(
		        db,
		        "UPDATE drill_injects SET state = 'cancelled', fired_ms = ? WHERE round "
		        "= ? AND state = 'pending'",
		        (struct store_val[]){store_int(now), store_int(round)}, 2, NULL, NULL, err);
		if (rc == STORE_OK)
			rc = store_sql(db,
			               "UPDATE drill_team SET state = 'ended', ended_ms = COALESCE("
			               "ended_ms, ?) WHERE round = ? AND state = 'running'",
			               (struct store_val[]){store_int(now), store_int(round)}, 2,
			               NULL, NULL, err);
	} else {
		rc = STORE_OK;
	}
	return rc;
}

/* ---- firing injects ---- */

struct inject {
	int64_t id, round, at;
	char *kind;
	json_t *payload;
};

static int due_row(void *ctx, const struct store_val *c, int nc)
{
	GArray *out = ctx;
	struct inject in = {0};

	if (nc < 5 || c[3].t != SV_TEXT || c[4].t != SV_TEXT)
		return 0;
	in.id = col_int(&c[0]);
	in.round = col_int(&c[1]);
	in.at = col_int(&c[2]);
	in.kind = g_strdup(c[3].s);
	in.payload = json_loads(c[4].s, 0, NULL);
	g_array_append_val(out, in);
	return 0;
}

static int due_read(store_db *db, void *ctx, char **err)
{
	return store_sql(
	        db,
	        "SELECT i.id, i.round, i.at_ms, i.kind, i.payload FROM drill_injects i "
	        "WHERE i.state = 'pending' AND i.at_ms <= ? ORDER BY i.at_ms, i.round, "
	        "i.seq LIMIT ?",
	        (struct store_val[]){store_int(store_now_ms()), store_int(INJECTS_PER_PASS)}, 2,
	        due_row, ctx, err);
}

/* what a detection needs of the round: its scenario and the unit's rows */
struct team {
	int64_t round;
	json_t *scenario;
	char *unit, *sha, *recipients;
	int64_t size;
	bool found;
};

static int team_row(void *ctx, const struct store_val *c, int nc)
{
	struct team *t = ctx;

	if (nc < 4 || c[0].t != SV_TEXT)
		return 0;
	t->scenario = json_loads(c[0].s, 0, NULL);
	t->sha = col_dup(&c[1]);
	t->recipients = col_dup(&c[2]);
	t->size = col_int(&c[3]);
	t->found = t->scenario != NULL;
	return 0;
}

static int team_read(store_db *db, void *ctx, char **err)
{
	struct team *t = ctx;

	return store_sql(db,
	                 "SELECT d.scenario, u.sha256, u.recipients, u.size FROM drill_team d JOIN "
	                 "drill_team_units u ON u.round = d.round WHERE d.round = ? AND u.unit = ?",
	                 (struct store_val[]){store_int(t->round), store_text(t->unit)}, 2,
	                 team_row, t, err);
}

static void team_clear(struct team *t)
{
	json_decref(t->scenario);
	g_free(t->sha);
	g_free(t->recipients);
	t->scenario = NULL;
	t->sha = t->recipients = NULL;
	t->found = false;
}

/* the alert record a gateway would have posted for the unit's copies */
static char *detection_record(const struct team *t, int64_t inject, const char *how)
{
	const json_t *sc = t->scenario;
	const char *from = json_string_value(json_object_get(sc, "sender_address"));
	const char *name = json_string_value(json_object_get(sc, "attachment_name"));
	json_t *rcpts = json_loads(t->recipients ? t->recipients : "[]", 0, NULL);
	json_t *finds = json_array(), *atts = json_array(), *e, *rec;
	char uid[80], mid[120], *unit_hash, *out;
	size_t i;

	/* the uid is fixed per inject and unit: firing again is a duplicate */
	unit_hash = g_compute_checksum_for_string(G_CHECKSUM_SHA256, t->unit, -1);
	g_snprintf(uid, sizeof uid, "drill-%lld-%lld-%.16s", (long long)t->round, (long long)inject,
	           unit_hash);
	g_snprintf(mid, sizeof mid, "<%s@drill.vigil>", uid);
	g_free(unit_hash);
	if (t->sha != NULL && *t->sha)
		json_array_append_new(atts,
		                      json_pack("{s:s,s:s,s:s,s:I,s:i}", "path", name ? name : "",
		                                "name", name ? name : "", "sha256", t->sha, "size",
		                                (json_int_t)t->size, "depth", 1));
	json_array_foreach(json_object_get(sc, "expected"), i, e)
	{
		json_array_append_new(finds,
		                      json_pack("{s:s,s:s,s:s,s:s?}", "id", json_string_value(e),
		                                "severity", "high", "title", DRILL_LABEL, "object",
		                                t->sha && *t->sha ? name : NULL));
	}
	if (json_array_size(finds) == 0)
		json_array_append_new(finds, json_pack("{s:s,s:s,s:s,s:s?}", "id", "drill.exercise",
		                                       "severity", "high", "title", DRILL_LABEL,
		                                       "object", t->sha && *t->sha ? name : NULL));
	json_array_append_new(finds, json_pack("{s:s,s:s,s:s}", "id", how, "severity", "info",
	                                       "title", DRILL_LABEL));
	rec = json_pack("{s:s,s:s,s:s,s:I,s:s,s:s?,s:O,s:[s?],s:O,s:s?,s:o,s:[],s:[],s:s,s:i,"
	                "s:s,s:o,s:I,s:f,s:b}",
	                "uid", uid, "gateway", ACTOR, "message_id", mid, "received_ms",
	                (json_int_t)store_now_ms(), "direction", "inbound", "env_from", from,
	                "env_rcpts", rcpts, "hdr_from", from, "hdr_to", rcpts, "subject",
	                json_string_value(json_object_get(sc, "subject")), "attachments", atts,
	                "urls", "domains", "verdict", "malicious", "score", 100, "action", "tag",
	                "findings", finds, "size", (json_int_t)(t->size + 2048), "scan_ms", 0.0,
	                "drill", 1);
	if (rec != NULL) {
		/* the subject as the unit's staff saw it, without their names */
		GString *subj = g_string_new(json_string_value(json_object_get(sc, "subject")));
		GDateTime *now = g_date_time_new_now_local();
		char *date = g_date_time_format(now, "%d/%m/%Y");

		g_string_replace(subj, "{{date}}", date, 0);
		g_string_replace(subj, "{{unit}}", t->unit, 0);
		g_string_replace(subj, "{{name}}", "", 0);
		g_string_replace(subj, "{{mailbox}}", "", 0);
		json_object_set_new(rec, "subject", json_string(subj->str));
		g_string_free(subj, TRUE);
		g_free(date);
		g_date_time_unref(now);
	}
	out = rec ? json_dumps(rec, JSON_COMPACT) : NULL;
	json_decref(rec);
	json_decref(rcpts);
	return out;
}

struct mark {
	const struct inject *in;
	const char *state;
	json_t *detail;
	/* per unit: an alert of the round's incident arrived */
	GPtrArray *alerted;
	int64_t incident;
	bool opened;
	const char *vi, *en; /* a message to the participants */
};

static int mark_tx(store_db *db, void *ctx, char **err)
{
	struct mark *m = ctx;
	int64_t now = store_now_ms();
	char *d = json_dumps(m->detail, JSON_COMPACT);
	int rc = store_sql(
	        db,
	        "UPDATE drill_injects SET state = ?, fired_ms = ?, detail = ? WHERE id = ? "
	        "AND state = 'pending'",
	        (struct store_val[]){store_text(m->state), store_int(now), store_text(d),
	                             store_int(m->in->id)},
	        4, NULL, NULL, err);

	free(d);
	for (guint i = 0; rc == STORE_OK && m->alerted && i < m->alerted->len; i++)
		rc = store_sql(
		        db,
		        "UPDATE drill_team_units SET first_alert_ms = COALESCE(first_alert_ms, "
		        "?), alerts = alerts + 1 WHERE round = ? AND unit = ?",
		        (struct store_val[]){store_int(now), store_int(m->in->round),
		                             store_text(m->alerted->pdata[i])},
		        3, NULL, NULL, err);
	if (rc == STORE_OK && m->opened)
		rc = drill_team_notify(db, m->in->round, m->incident,
		                       "DIỄN TẬP / EXERCISE — sự cố diễn tập mới: thư nghi chứa mã "
		                       "độc",
		                       "DIỄN TẬP / EXERCISE — a new drill incident: a suspected "
		                       "spyware email",
		                       err);
	if (rc == STORE_OK && m->vi != NULL)
		rc = drill_team_notify(db, m->in->round, m->incident, m->vi, m->en, err);
	if (rc == STORE_OK) {
		char obj[48];

		g_snprintf(obj, sizeof obj, "drill_inject:%lld", (long long)m->in->id);
		rc = audit_append(db, ACTOR, "drill.team.inject", obj, NULL, m->detail, err);
	}
	return rc;
}

struct pick {
	int64_t round;
	GPtrArray *units;
	int64_t count;
	int64_t incident;
};

static int pick_read(store_db *db, void *ctx, char **err)
{
	struct pick *p = ctx;
	int rc;

	/* units without a detection first, then those with the fewest */
	rc = store_sql(db,
	               "SELECT unit FROM drill_team_units WHERE round = ? AND recipients <> '[]' "
	               "ORDER BY CASE WHEN first_alert_ms IS NULL THEN 0 ELSE 1 END, alerts, unit "
	               "LIMIT ?",
	               (struct store_val[]){store_int(p->round), store_int(p->count)}, 2, str_row,
	               p->units, err);
	if (rc == STORE_OK)
		rc = store_sql(db,
		               "SELECT id FROM incidents WHERE drill_round = ? ORDER BY id LIMIT 1",
		               (struct store_val[]){store_int(p->round)}, 1, store_row_int,
		               &p->incident, err);
	return rc;
}

static void fire_alerts(struct vsrv *srv, const struct inject *in, GPtrArray *units, bool report,
                        struct mark *m)
{
	struct caller c;
	json_t *per = json_array();

	engine_caller(&c);
	for (guint i = 0; i < units->len; i++) {
		struct team t = {.round = in->round, .unit = units->pdata[i]};
		char *err = NULL, *why = NULL, *rec;
		json_t *out = NULL;
		int status;

		if (store_with(srv->st, 0, team_read, &t, &err) != STORE_OK || !t.found) {
			json_array_append_new(per, json_pack("{s:s,s:s}", "unit", t.unit, "error",
			                                     err ? err : "not in this round"));
			free(err);
			team_clear(&t);
			continue;
		}
		rec = detection_record(&t, in->id,
		                       report ? "drill.user_report" : "drill.detection");
		status = rec ? alert_ingest_drill(srv, &c, rec, strlen(rec), in->round, &out, &why)
		             : 400;
		if (status == 200 || status == 201) {
			json_int_t inc = json_integer_value(json_object_get(out, "incident"));

			g_ptr_array_add(m->alerted, g_strdup(t.unit));
			if (inc > 0)
				m->incident = inc;
			m->opened |= json_is_true(json_object_get(out, "opened_incident"));
			json_array_append_new(
			        per, json_pack("{s:s,s:I,s:I}", "unit", t.unit, "alert",
			                       json_integer_value(json_object_get(out, "id")),
			                       "incident", inc));
		} else {
			json_array_append_new(per, json_pack("{s:s,s:s}", "unit", t.unit, "error",
			                                     why ? why : "refused"));
		}
		free(rec);
		g_free(why);
		json_decref(out);
		team_clear(&t);
	}
	json_object_set_new(m->detail, "alerts", per);
}

struct plantx {
	const struct inject *in;
	int64_t count;
	struct mark *m;
};

static int plant_inject_tx(store_db *db, void *ctx, char **err)
{
	struct plantx *p = ctx;
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	int64_t before = 0, after = 0;
	const char *name = NULL;
	json_t *sc = NULL;
	int rc;

	rc = store_sql(db, "SELECT scenario FROM drill_team WHERE round = ?",
	               (struct store_val[]){store_int(p->in->round)}, 1, str_row, names, err);
	if (rc == STORE_OK && names->len > 0)
		sc = json_loads(names->pdata[0], 0, NULL);
	name = json_string_value(json_object_get(sc, "attachment_name"));
	if (rc == STORE_OK)
		rc = store_sql(db, "SELECT count(*) FROM drill_plants WHERE round = ?",
		               (struct store_val[]){store_int(p->in->round)}, 1, store_row_int,
		               &before, err);
	if (rc == STORE_OK)
		rc = plants_for(db, p->in->round, p->in->id, name, NULL, p->count, false,
		                store_now_ms(), err);
	if (rc == STORE_OK)
		rc = store_sql(db, "SELECT count(*) FROM drill_plants WHERE round = ?",
		               (struct store_val[]){store_int(p->in->round)}, 1, store_row_int,
		               &after, err);
	json_object_set_new(p->m->detail, "plants_ordered", json_integer(after - before));
	if (rc == STORE_OK)
		rc = mark_tx(db, p->m, err);
	json_decref(sc);
	g_ptr_array_unref(names);
	return rc;
}

static void fire(struct vsrv *srv, struct inject *in)
{
	struct mark m = {.in = in, .state = "fired", .detail = json_object()};
	json_int_t count = json_integer_value(json_object_get(in->payload, "count"));
	char *err = NULL;
	int rc;

	if (count <= 0)
		count = 1;
	json_object_set_new(m.detail, "kind", json_string(in->kind));
	if (strcmp(in->kind, "detection") == 0 || strcmp(in->kind, "second_report") == 0) {
		struct pick p = {in->round, g_ptr_array_new_with_free_func(g_free), count, 0};
		json_t *u;
		size_t i;

		m.alerted = g_ptr_array_new_with_free_func(g_free);
		if (strcmp(in->kind, "detection") == 0) {
			json_array_foreach(json_object_get(in->payload, "units"), i, u)
			{
				if (json_is_string(u))
					g_ptr_array_add(p.units, g_strdup(json_string_value(u)));
			}
		} else if (store_with(srv->st, 0, pick_read, &p, &err) != STORE_OK) {
			vlog_warn("drills", "inject %lld: %s", (long long)in->id, err ? err : "?");
			free(err);
			g_ptr_array_unref(p.units);
			g_ptr_array_unref(m.alerted);
			json_decref(m.detail);
			return; /* tried again at the next pass */
		}
		fire_alerts(srv, in, p.units, strcmp(in->kind, "second_report") == 0, &m);
		if (m.alerted->len == 0 && p.units->len > 0)
			m.state = "failed";
		if (strcmp(in->kind, "second_report") == 0) {
			m.vi = json_string_value(
			        json_object_get(json_object_get(in->payload, "text"), "vi"));
			m.en = json_string_value(
			        json_object_get(json_object_get(in->payload, "text"), "en"));
		}
		g_ptr_array_unref(p.units);
		rc = store_with(srv->st, 1, mark_tx, &m, &err);
	} else if (strcmp(in->kind, "plant") == 0) {
		struct plantx x = {in, count, &m};

		rc = store_with(srv->st, 1, plant_inject_tx, &x, &err);
	} else {
		m.vi = json_string_value(
		        json_object_get(json_object_get(in->payload, "text"), "vi"));
		m.en = json_string_value(
		        json_object_get(json_object_get(in->payload, "text"), "en"));
		if (m.vi == NULL)
			m.vi = m.en;
		if (m.en == NULL)
			m.en = m.vi;
		if (m.vi == NULL)
			m.vi = m.en = DRILL_LABEL;
		rc = store_with(srv->st, 1, mark_tx, &m, &err);
	}
	if (rc != STORE_OK)
		vlog_warn("drills", "inject %lld (%s) of round %lld: %s", (long long)in->id,
		          in->kind, (long long)in->round, err ? err : "?");
	else
		vlog_info("drills", "round %lld: inject %lld (%s) %s", (long long)in->round,
		          (long long)in->id, in->kind, m.state);
	free(err);
	if (m.alerted)
		g_ptr_array_unref(m.alerted);
	json_decref(m.detail);
}

/* ---- plants found by the teams' sweeps ---- */

static int found_tx(store_db *db, void *ctx, char **err)
{
	(void)ctx;
	/* the first sweep result of one of the round's incidents that
	 * reported the planted file (its path, or its digest) on that host */
	return store_sql(
	        db,
	        "UPDATE drill_plants SET found_ms = (SELECT min(t.reported_ms) FROM sweep_hits h "
	        "JOIN sweep_targets t ON t.sweep = h.sweep AND t.host = h.host JOIN sweeps s ON "
	        "s.id = h.sweep JOIN incidents i ON i.id = s.incident WHERE i.drill_round = "
	        "drill_plants.round AND h.host = drill_plants.host AND (h.path = drill_plants.path "
	        "OR h.sha256 = drill_plants.sha256) AND t.reported_ms >= drill_plants.planted_ms), "
	        "found_sweep = (SELECT min(h.sweep) FROM sweep_hits h JOIN sweeps s ON s.id = "
	        "h.sweep JOIN incidents i ON i.id = s.incident WHERE i.drill_round = "
	        "drill_plants.round AND h.host = drill_plants.host AND (h.path = drill_plants.path "
	        "OR h.sha256 = drill_plants.sha256)) WHERE found_ms IS NULL AND planted_ms IS NOT "
	        "NULL AND round IN (SELECT round FROM drill_team WHERE state = 'running')",
	        NULL, 0, NULL, NULL, err);
}

/* ---- cleanup ---- */

struct clean {
	struct vsrv *srv;
	int64_t round, incident, now;
	GPtrArray *mids;   /* message ids of the round's sent targets */
	GPtrArray *rcpts;  /* their mailboxes */
	json_t *report;    /* what was cleaned and what is pending */
	bool claw_running; /* a claw-back of the incident runs */
	int64_t copies_open, plants_open;
};

static int target_row(void *ctx, const struct store_val *c, int nc)
{
	struct clean *k = ctx;

	if (nc < 2 || c[0].t != SV_TEXT || c[1].t != SV_TEXT || k->mids->len >= 100000)
		return 0;
	g_ptr_array_add(k->mids, g_strdup(c[0].s));
	g_ptr_array_add(k->rcpts, g_strdup(c[1].s));
	return 0;
}

static int clean_read(store_db *db, void *ctx, char **err)
{
	struct clean *k = ctx;
	int rc = store_sql(
	        db,
	        "SELECT id FROM incidents WHERE drill_round = ? AND drill = 1 ORDER BY id "
	        "LIMIT 1",
	        (struct store_val[]){store_int(k->round)}, 1, store_row_int, &k->incident, err);

	if (rc == STORE_OK)
		rc = store_sql(
		        db,
		        "SELECT message_id, mailbox FROM drill_targets WHERE round = ? AND state "
		        "= 'sent' AND message_id IS NOT NULL ORDER BY id",
		        (struct store_val[]){store_int(k->round)}, 1, target_row, k, err);
	return rc;
}

struct found_copy {
	char *uid, *mid, *rcpt;
	int64_t received;
};

/* the round's drill mail still unknown to its incident, found by its
 * Message-ID in the drill records (before the transaction: a hunt reads
 * the store on its own connection) */
static GArray *hunt_targets(struct clean *k)
{
	GArray *out = g_array_new(FALSE, TRUE, sizeof(struct found_copy));

	for (guint i = 0; i < k->mids->len && !T.stop; i++) {
		struct store_hunt q = {.drill = 1, .message_id = k->mids->pdata[i], .limit = 10};
		struct store_hunt_result r = {0};
		char *err = NULL;

		if (store_hunt(k->srv->st, &q, &r, &err) != STORE_OK) {
			free(err);
			continue;
		}
		for (size_t h = 0; h < r.n; h++)
			for (guint j = 0; j < r.hits[h].rcpts->len; j++) {
				const char *a = r.hits[h].rcpts->pdata[j];
				struct found_copy f;

				if (g_ascii_strcasecmp(a, k->rcpts->pdata[i]) != 0)
					continue;
				f.uid = g_strdup(r.hits[h].uid);
				f.mid = g_strdup(r.hits[h].message_id);
				f.rcpt = g_strdup(a);
				f.received = r.hits[h].received_ms;
				g_array_append_val(out, f);
			}
		store_hunt_result_free(&r);
	}
	return out;
}

struct attach {
	struct clean *k;
	GArray *found;
};

static int attach_tx(store_db *db, void *ctx, char **err)
{
	struct attach *a = ctx;
	struct clean *k = a->k;
	int64_t hunt = 0;
	int rc =
	        store_sql(db,
	                  "INSERT INTO hunts (incident, criteria, actor, created_ms, total) VALUES "
	                  "(?, '{\"drill_cleanup\":true}', ?, ?, ?) RETURNING id",
	                  (struct store_val[]){store_int(k->incident), store_text(ACTOR),
	                                       store_int(k->now), store_int(a->found->len)},
	                  4, store_row_int, &hunt, err);

	for (guint i = 0; rc == STORE_OK && i < a->found->len; i++) {
		const struct found_copy *f = &g_array_index(a->found, struct found_copy, i);
		const char *unit = orgmap_unit_of(k->srv->org, f->rcpt);

		rc = store_sql(
		        db,
		        "INSERT INTO copies (incident, hunt, msg_uid, message_id, rcpt, unit, "
		        "region, received_ms, drill, state, updated_ms) VALUES (?, ?, ?, ?, "
		        "?, ?, ?, ?, 1, 'found', ?) ON CONFLICT DO NOTHING",
		        (struct store_val[]){store_int(k->incident), store_int(hunt),
		                             store_text(f->uid), store_text(f->mid),
		                             store_text(f->rcpt), store_text(unit),
		                             store_text(orgmap_region(k->srv->org, unit)),
		                             store_int(f->received), store_int(k->now)},
		        9, NULL, NULL, err);
	}
	return rc;
}

static int count_row(void *ctx, const struct store_val *c, int nc)
{
	json_t *o = ctx;

	if (nc >= 2 && c[0].t == SV_TEXT)
		json_object_set_new(o, c[0].s, json_integer(col_int(&c[1])));
	return 0;
}

static int host_row(void *ctx, const struct store_val *c, int nc)
{
	json_t *a = ctx;

	if (nc >= 2 && c[0].t == SV_TEXT && json_array_size(a) < 1000)
		json_array_append_new(a, json_pack("{s:s,s:s?}", "host", c[0].s, "detail",
		                                   c[1].t == SV_TEXT ? c[1].s : NULL));
	return 0;
}

/* unplant orders, incidents closed when the mail is back, the record */
static int clean_tx(store_db *db, void *ctx, char **err)
{
	struct clean *k = ctx;
	json_t *copies = json_object(), *plants = json_object(), *pending = json_array();
	json_t *failed = json_array();
	int64_t closed = 0;
	char *text = NULL;
	int rc;

	/* a simulant the agent planted (or may still plant) gets its unplant */
	rc = store_sql(db,
	               "INSERT INTO drill_orders (host, round, plant, kind, created_ms) SELECT "
	               "p.host, p.round, p.id, 'unplant', CAST(? AS BIGINT) FROM drill_plants p "
	               "WHERE p.round = ? "
	               "AND p.state IN ('planted', 'ordered') AND p.unplant_order IS NULL",
	               (struct store_val[]){store_int(k->now), store_int(k->round)}, 2, NULL, NULL,
	               err);
	if (rc == STORE_OK)
		rc = store_sql(db,
		               "UPDATE drill_plants SET unplant_order = (SELECT max(o.id) FROM "
		               "drill_orders o WHERE o.plant = drill_plants.id AND o.kind = "
		               "'unplant'), state = 'removing' WHERE round = ? AND state IN "
		               "('planted', 'ordered') AND unplant_order IS NULL",
		               (struct store_val[]){store_int(k->round)}, 1, NULL, NULL, err);
	/* a plant order never delivered is withdrawn with it */
	if (rc == STORE_OK)
		rc = store_sql(
		        db,
		        "UPDATE drill_orders SET state = 3, done_ms = ?, result = "
		        "'{\"status\":\"withdrawn\"}' WHERE round = ? AND kind = 'plant' AND "
		        "state = 0",
		        (struct store_val[]){store_int(k->now), store_int(k->round)}, 2, NULL, NULL,
		        err);
	if (rc == STORE_OK)
		rc = store_sql(db,
		               "SELECT c.state, count(*) FROM copies c JOIN incidents i ON i.id = "
		               "c.incident WHERE i.drill_round = ? GROUP BY c.state",
		               (struct store_val[]){store_int(k->round)}, 1, count_row, copies,
		               err);
	if (rc == STORE_OK)
		rc = store_sql(db,
		               "SELECT state, count(*) FROM drill_plants WHERE round = ? GROUP BY "
		               "state",
		               (struct store_val[]){store_int(k->round)}, 1, count_row, plants,
		               err);
	if (rc == STORE_OK)
		rc = store_sql(db,
		               "SELECT host, detail FROM drill_plants WHERE round = ? AND state = "
		               "'removing' ORDER BY host",
		               (struct store_val[]){store_int(k->round)}, 1, host_row, pending,
		               err);
	if (rc == STORE_OK)
		rc = store_sql(db,
		               "SELECT host, detail FROM drill_plants WHERE round = ? AND state = "
		               "'remove_failed' ORDER BY host",
		               (struct store_val[]){store_int(k->round)}, 1, host_row, failed, err);
	k->copies_open = json_integer_value(json_object_get(copies, "found")) +
	                 json_integer_value(json_object_get(copies, "failed"));
	k->plants_open = (int64_t)json_array_size(pending);
	/* the incidents close once the claw-back has run over every copy */
	if (rc == STORE_OK && k->copies_open == 0 && !k->claw_running) {
		rc = store_sql(
		        db, "SELECT id FROM incidents WHERE drill_round = ? AND status <> 'closed'",
		        (struct store_val[]){store_int(k->round)}, 1, store_row_int, &closed, err);
		if (rc == STORE_OK && closed > 0) {
			rc = store_sql(db,
			               "INSERT INTO events (incident, at_ms, actor, kind, text) "
			               "SELECT id, CAST(? AS BIGINT), CAST(? AS TEXT), 'status', "
			               "status || ' → closed (' || CAST(? AS TEXT) || ')' FROM "
			               "incidents WHERE "
			               "drill_round = ? AND status <> 'closed'",
			               (struct store_val[]){store_int(k->now), store_text(ACTOR),
			                                    store_text(DRILL_LABEL),
			                                    store_int(k->round)},
			               4, NULL, NULL, err);
			if (rc == STORE_OK)
				rc = store_sql(
				        db,
				        "UPDATE incidents SET status = 'closed', closed_ms = ?, "
				        "updated_ms = ?, acknowledged_ms = COALESCE("
				        "acknowledged_ms, ?), contained_ms = COALESCE("
				        "contained_ms, ?) WHERE drill_round = ? AND status <> "
				        "'closed'",
				        (struct store_val[]){store_int(k->now), store_int(k->now),
				                             store_int(k->now), store_int(k->now),
				                             store_int(k->round)},
				        5, NULL, NULL, err);
		}
	}
	json_object_set_new(k->report, "copies", copies);
	json_object_set_new(k->report, "plants", plants);
	json_object_set_new(k->report, "plants_pending", pending);
	json_object_set_new(k->report, "plants_failed", failed);
	json_object_set_new(k->report, "clawback_running", json_boolean(k->claw_running));
	json_object_set_new(k->report, "at", json_time(k->now));
	text = json_dumps(k->report, JSON_COMPACT);
	if (rc == STORE_OK) {
		bool done = k->copies_open == 0 && k->plants_open == 0 && !k->claw_running;

		rc = store_sql(db,
		               "UPDATE drill_team SET cleanup = ?, state = CASE WHEN ? = 1 THEN "
		               "'cleaned' ELSE state END, cleanup_ms = CASE WHEN ? = 1 THEN ? ELSE "
		               "cleanup_ms END WHERE round = ?",
		               (struct store_val[]){store_text(text), store_int(done),
		                                    store_int(done), store_int(k->now),
		                                    store_int(k->round)},
		               5, NULL, NULL, err);
		if (rc == STORE_OK && done) {
			char obj[48];

			g_snprintf(obj, sizeof obj, "drill_round:%lld", (long long)k->round);
			rc = audit_append(db, ACTOR, "drill.team.cleaned", obj, NULL, k->report,
			                  err);
		}
	}
	free(text);
	return rc;
}

static void cleanup_round(struct vsrv *srv, int64_t round)
{
	struct clean k = {.srv = srv,
	                  .round = round,
	                  .now = store_now_ms(),
	                  .mids = g_ptr_array_new_with_free_func(g_free),
	                  .rcpts = g_ptr_array_new_with_free_func(g_free),
	                  .report = json_object()};
	char *err = NULL;
	int rc = store_with(srv->st, 0, clean_read, &k, &err);

	if (rc == STORE_OK && k.incident != 0 && k.mids->len > 0) {
		struct attach a = {&k, hunt_targets(&k)};

		if (a.found->len > 0)
			rc = store_with(srv->st, 1, attach_tx, &a, &err);
		for (guint i = 0; i < a.found->len; i++) {
			struct found_copy *f = &g_array_index(a.found, struct found_copy, i);

			g_free(f->uid);
			g_free(f->mid);
			g_free(f->rcpt);
		}
		g_array_free(a.found, TRUE);
	}
	if (rc == STORE_OK && k.incident != 0) {
		struct caller c;
		int boxes = 0, copies = 0, r;

		engine_caller(&c);
		r = clawback_begin(srv, &c, k.incident, true, &boxes, &copies);
		k.claw_running = r == 0 || r == 409;
		json_object_set_new(k.report, "clawback_started",
		                    json_pack("{s:i,s:i}", "mailboxes", boxes, "copies", copies));
		if (r == 503)
			json_object_set_new(k.report, "clawback_error",
			                    json_string("claw-back is not configured"));
	}
	if (rc == STORE_OK)
		rc = store_with(srv->st, 1, clean_tx, &k, &err);
	if (rc != STORE_OK)
		vlog_warn("drills", "cleanup of round %lld: %s", (long long)round, err ? err : "?");
	free(err);
	g_ptr_array_unref(k.mids);
	g_ptr_array_unref(k.rcpts);
	json_decref(k.report);
}

static int int_row(void *ctx, const struct store_val *c, int nc)
{
	GArray *out = ctx;
	int64_t v;

	if (nc < 1 || out->len >= 10000)
		return 0;
	v = col_int(&c[0]);
	g_array_append_val(out, v);
	return 0;
}

static int running_read(store_db *db, void *ctx, char **err)
{
	return store_sql(db, "SELECT count(*) FROM drill_team WHERE state = 'running'", NULL, 0,
	                 store_row_int, ctx, err);
}

static int ended_read(store_db *db, void *ctx, char **err)
{
	return store_sql(db, "SELECT round FROM drill_team WHERE state = 'ended' ORDER BY round",
	                 NULL, 0, int_row, ctx, err);
}

/* ---- the thread ---- */

static void pass(struct vsrv *srv, bool kicked)
{
	static int64_t last_cleanup;
	int64_t now = store_now_ms(), running = 0;
	GArray *due = g_array_new(FALSE, FALSE, sizeof(struct inject));
	GArray *ended = g_array_new(FALSE, FALSE, sizeof(int64_t));
	char *err = NULL;

	if (store_with(srv->st, 0, due_read, due, &err) == STORE_OK) {
		for (guint i = 0; i < due->len && !T.stop; i++)
			fire(srv, &g_array_index(due, struct inject, i));
	} else {
		vlog_warn("drills", "cannot read the due injects: %s", err ? err : "?");
	}
	free(err);
	err = NULL;
	for (guint i = 0; i < due->len; i++) {
		g_free(g_array_index(due, struct inject, i).kind);
		json_decref(g_array_index(due, struct inject, i).payload);
	}
	/* a write only while a team exercise runs (the store has one writer) */
	if (store_with(srv->st, 0, running_read, &running, &err) == STORE_OK && running > 0 &&
	    store_with(srv->st, 1, found_tx, NULL, &err) != STORE_OK)
		vlog_warn("drills", "cannot record the plants found: %s", err ? err : "?");
	free(err);
	err = NULL;
	if ((kicked || now - last_cleanup >= CLEANUP_EVERY_MS) &&
	    store_with(srv->st, 0, ended_read, ended, &err) == STORE_OK) {
		last_cleanup = now;
		for (guint i = 0; i < ended->len && !T.stop; i++)
			cleanup_round(srv, g_array_index(ended, int64_t, i));
	}
	free(err);
	g_array_free(due, TRUE);
	g_array_free(ended, TRUE);
}

static void *run(void *arg)
{
	struct vsrv *srv = arg;

	pthread_mutex_lock(&T.mu);
	while (!T.stop) {
		struct timespec ts;
		bool kicked;

		if (!T.kicked) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += (long)TICK_MS * 1000000L;
			ts.tv_sec += ts.tv_nsec / 1000000000L;
			ts.tv_nsec %= 1000000000L;
			pthread_cond_timedwait(&T.cv, &T.mu, &ts);
		}
		kicked = T.kicked;
		T.kicked = false;
		if (T.stop)
			break;
		pthread_mutex_unlock(&T.mu);
		pass(srv, kicked);
		pthread_mutex_lock(&T.mu);
	}
	pthread_mutex_unlock(&T.mu);
	return NULL;
}

void drill_team_set_scenarios(const char *dir)
{
	g_free(scenarios_dir);
	scenarios_dir = dir ? g_strdup(dir) : NULL;
}

int drill_team_start(struct vsrv *srv)
{
	T.srv = srv;
	T.stop = false;
	if (pthread_create(&T.tid, NULL, run, srv) != 0)
		return -1;
	T.running = true;
	return 0;
}

void drill_team_stop(void)
{
	if (!T.running)
		return;
	pthread_mutex_lock(&T.mu);
	T.stop = true;
	pthread_cond_signal(&T.cv);
	pthread_mutex_unlock(&T.mu);
	pthread_join(T.tid, NULL);
	T.running = false;
	g_free(scenarios_dir);
	scenarios_dir = NULL;
}

void drill_team_kick(void)
{
	pthread_mutex_lock(&T.mu);
	T.kicked = true;
	pthread_cond_signal(&T.cv);
	pthread_mutex_unlock(&T.mu);
}

/* ---- orders to the agents ---- */

struct ords {
	json_t *orders;
	GArray *first;
};

/* id, kind, state, name, simulant, sha256, plant order (unplant) */
static int ord_row(void *ctx, const struct store_val *c, int nc)
{
	struct ords *o = ctx;
	int64_t id;

	if (nc < 7 || c[1].t != SV_TEXT || c[3].t != SV_TEXT)
		return 0;
	id = col_int(&c[0]);
	if (col_int(&c[2]) == 0)
		g_array_append_val(o->first, id);
	if (strcmp(c[1].s, "plant") == 0)
		json_array_append_new(o->orders,
		                      json_pack("{s:I,s:s,s:s,s:s?,s:s?}", "order", (json_int_t)id,
		                                "kind", "plant", "name", c[3].s, "content",
		                                c[4].t == SV_TEXT ? c[4].s : NULL, "sha256",
		                                c[5].t == SV_TEXT ? c[5].s : NULL));
	else
		json_array_append_new(
		        o->orders, json_pack("{s:I,s:s,s:I,s:s?}", "order", (json_int_t)id, "kind",
		                             "unplant", "plant", (json_int_t)col_int(&c[6]),
		                             "sha256", c[5].t == SV_TEXT ? c[5].s : NULL));
	return 0;
}

int drill_team_orders_read(store_db *db, const char *host, int max, json_t *orders, GArray *first,
                           char **err)
{
	struct ords o = {orders, first};

	/* a simulant is at most 1 MiB: four plants keep an answer small */
	return store_sql(db,
	                 "SELECT o.id, o.kind, o.state, p.name, CASE WHEN o.kind = 'plant' THEN "
	                 "u.simulant END, p.sha256, p.plant_order FROM drill_orders o JOIN "
	                 "drill_plants p ON p.id = o.plant JOIN drill_team_units u ON u.round = "
	                 "p.round AND u.unit = p.unit WHERE o.host = ? AND o.state < 2 ORDER BY "
	                 "o.id LIMIT ?",
	                 (struct store_val[]){store_text(host), store_int(MIN(max, 4))}, 2, ord_row,
	                 &o, err);
}

int drill_team_order_delivered(store_db *db, int64_t order, int64_t ms, char **err)
{
	return store_sql(
	        db,
	        "UPDATE drill_orders SET state = 1, delivered_ms = ? WHERE id = ? AND state "
	        "= 0",
	        (struct store_val[]){store_int(ms), store_int(order)}, 2, NULL, NULL, err);
}

struct ores {
	const char *host, *unit, *kind, *status, *detail, *path, *sha;
	int64_t order, plant, round;
	int state;
	bool found, duplicate;
	char okind[16];
};

static int ores_row(void *ctx, const struct store_val *c, int nc)
{
	struct ores *r = ctx;

	if (nc < 5 || c[1].t != SV_TEXT || c[4].t != SV_TEXT || strcmp(c[1].s, r->host) != 0)
		return 0;
	r->found = true;
	r->plant = col_int(&c[0]);
	r->state = (int)col_int(&c[2]);
	r->round = col_int(&c[3]);
	g_strlcpy(r->okind, c[4].s, sizeof r->okind);
	return 0;
}

static int ores_tx(store_db *db, void *ctx, char **err)
{
	struct ores *r = ctx;
	int64_t now = store_now_ms();
	bool done = strcmp(r->status, "done") == 0;
	json_t *d;
	char *res, actor[300], obj[48];
	int rc = store_sql(db,
	                   "SELECT plant, host, state, round, kind FROM drill_orders WHERE id = ?",
	                   (struct store_val[]){store_int(r->order)}, 1, ores_row, r, err);

	if (rc != STORE_OK)
		return rc;
	if (!r->found || strcmp(r->okind, r->kind) != 0)
		return store_fail(err, STORE_ENOTFOUND, "no such order");
	if (r->state >= 2) {
		r->duplicate = true;
		return STORE_OK;
	}
	d = json_pack("{s:s,s:s?,s:s?,s:s?}", "status", r->status, "detail", r->detail, "path",
	              r->path, "sha256", r->sha);
	res = json_dumps(d, JSON_COMPACT);
	rc = store_sql(db,
	               "UPDATE drill_orders SET state = ?, done_ms = ?, delivered_ms = COALESCE("
	               "delivered_ms, ?), result = ? WHERE id = ?",
	               (struct store_val[]){store_int(done ? 2 : 3), store_int(now), store_int(now),
	                                    store_text(res), store_int(r->order)},
	               5, NULL, NULL, err);
	free(res);
	if (rc == STORE_OK && strcmp(r->kind, "plant") == 0)
		/* the agent's own digest is the one the sweeps will see */
		rc = store_sql(
		        db,
		        "UPDATE drill_plants SET state = CASE WHEN ? = 1 THEN 'planted' ELSE "
		        "'failed' END, planted_ms = CASE WHEN ? = 1 THEN CAST(? AS BIGINT) END, "
		        "path = ?, "
		        "detail = ? WHERE id = ? AND state = 'ordered'",
		        (struct store_val[]){store_int(done), store_int(done), store_int(now),
		                             store_text(r->path), store_text(r->detail),
		                             store_int(r->plant)},
		        6, NULL, NULL, err);
	else if (rc == STORE_OK)
		rc = store_sql(
		        db,
		        "UPDATE drill_plants SET state = CASE WHEN ? = 1 THEN 'removed' ELSE "
		        "'remove_failed' END, removed_ms = CASE WHEN ? = 1 THEN CAST(? AS BIGINT) "
		        "END, detail "
		        "= ? WHERE id = ?",
		        (struct store_val[]){store_int(done), store_int(done), store_int(now),
		                             store_text(r->detail), store_int(r->plant)},
		        5, NULL, NULL, err);
	g_snprintf(actor, sizeof actor, "agent:%s", r->host);
	g_snprintf(obj, sizeof obj, "drill_order:%lld", (long long)r->order);
	json_object_set_new(d, "kind", json_string(r->kind));
	json_object_set_new(d, "round", json_integer(r->round));
	if (rc == STORE_OK)
		rc = audit_append(db, actor, "drill.team.order_result", obj, r->unit, d, err);
	json_decref(d);
	return rc;
}

void drill_team_order_result(struct vsrv *srv, const char *host, const char *unit, json_t *b,
                             struct http_resp *rs)
{
	struct ores r = {.host = host, .unit = unit};
	json_t *order = json_object_get(b, "order");
	char *err = NULL;
	int rc;

	r.kind = server_bounded(b, "kind", 16);
	r.status = server_bounded(b, "status", 16);
	r.detail = server_bounded(b, "detail", 1000);
	r.path = server_bounded(b, "path", 4096);
	r.sha = server_bounded(b, "sha256", 64);
	/* a member may be absent or null (the agent packs what it lacks as null) */
#define GIVEN(k) (json_object_get(b, k) != NULL && !json_is_null(json_object_get(b, k)))
	if (!json_is_integer(order) || json_integer_value(order) <= 0 || r.status == NULL ||
	    (strcmp(r.status, "done") != 0 && strcmp(r.status, "failed") != 0) ||
	    (GIVEN("detail") && r.detail == NULL) || (GIVEN("path") && r.path == NULL) ||
	    (GIVEN("sha256") && (r.sha == NULL || strlen(r.sha) != 64))) {
		http_error(
		        rs, 400, "invalid",
		        "a plant or unplant result needs \"order\" (its id), \"status\" (done or "
		        "failed) and optionally \"detail\", \"path\", \"sha256\"");
		return;
	}
	r.order = json_integer_value(order);
	rc = store_with(srv->st, 1, ores_tx, &r, &err);
	if (rc == STORE_ENOTFOUND) {
		free(err);
		http_error(rs, 404, "not_found", "this endpoint has no such order");
		return;
	}
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
		return;
	}
	drill_team_kick();
	http_json(rs, r.duplicate ? 200 : 201,
	          json_pack("{s:I,s:b}", "order", (json_int_t)r.order, "duplicate", r.duplicate));
}
