/*
 * api_incidents.c - alerts from the gateways and the incidents they become
 * (docs/api.md, docs/incidents.md).
 *
 * An alert is a gateway's message record (the JSON of store_msg_to_json)
 * for a suspicious or malicious message. Its keys say what it shares with
 * other alerts: the SHA-256 of every object a finding of medium or higher
 * was about, its URLs when a link finding was raised, and its campaign
 * (envelope sender + normalised subject); plus the units and regions of its
 * recipients, which scope who sees it. An alert joins the open incident
 * (same drill flag) that already has an alert sharing a key, else one that
 * has one of its hashes, URLs or its sender as an indicator (a gateway
 * blocked it with that incident's indicator); otherwise a
 * malicious alert opens a new incident with the default playbook's tasks,
 * and a suspicious one waits for an analyst. A gateway that posts the same
 * record twice (a retry) gets the first answer again.
 *
 * Incidents move through the NIST SP 800-61 phases; the first move out of
 * "new" is the acknowledgement, leaving "containment" for eradication,
 * recovery or closed is containment, "closed" is closure; time to
 * acknowledge / contain / close are derived from those stamps.
 */
#include "api.h"

#include <arpa/inet.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "audit.h"
#include "auth.h"
#include "blocks.h"
#include "notify.h"
#include "orgmap.h"
#include "report_c20.h"
#include "tr.h"

#define MAX_KEYS 256
#define MAX_UNITS 64
#define MAX_TEXT 10000

static const char *const statuses[] = {"new",      "triage", "containment", "eradication",
                                       "recovery", "closed", NULL};
static const char *const severities[] = {"low", "medium", "high", "critical", NULL};
static const char *const tlps[] = {"TLP:CLEAR",        "TLP:GREEN", "TLP:AMBER",
                                   "TLP:AMBER+STRICT", "TLP:RED",   NULL};
static const char *const ind_types[] = {"sha256",   "sha1",    "md5",        "email",
                                        "domain",   "url",     "ipv4",       "ipv6",
                                        "filename", "subject", "message_id", NULL};

static int index_of(const char *const *list, const char *s)
{
	for (int i = 0; s != NULL && list[i] != NULL; i++)
		if (strcmp(list[i], s) == 0)
			return i;
	return -1;
}

/* The default playbook: email-borne spyware (vi, en). */
static const char *const playbook[][2] = {
        {"Xác minh cảnh báo và phân loại sự cố", "Verify the alert and triage the incident"},
        {"Thu thập mẫu thư, tệp đính kèm và chỉ dấu (IOC)",
         "Collect the email, its attachments and the indicators"},
        {"Tìm mọi bản sao của thư trong các hộp thư", "Find every copy of the email in mailboxes"},
        {"Thu hồi thư khỏi hộp thư người nhận", "Pull the email back from recipients' mailboxes"},
        {"Chặn chỉ dấu trên mọi cổng thư", "Block the indicators at every mail gateway"},
        {"Rà quét máy trạm của người đã mở thư", "Sweep the endpoints of those who opened it"},
        {"Cô lập máy trạm bị nhiễm", "Isolate infected endpoints"},
        {"Gửi thông báo sự cố tới cơ quan điều phối quốc gia",
         "Send the incident notification to the national coordinator"},
        {"Gửi báo cáo ban đầu", "Send the initial report"},
        {"Khôi phục hoạt động và gửi báo cáo kết thúc", "Recover and send the final report"},
};

/* ---- shared pieces ---- */

static int64_t now_ms(void)
{
	return store_now_ms();
}

static int add_event(store_db *db, int64_t inc, const char *actor, const char *kind,
                     const char *text, char **err)
{
	struct store_val p[] = {store_int(inc), store_int(now_ms()), store_text(actor),
	                        store_text(kind), store_text(text)};
	struct store_val q[] = {store_int(now_ms()), store_int(inc)};
	int rc = store_sql(
	        db,
	        "INSERT INTO events (incident, at_ms, actor, kind, text) VALUES (?, ?, ?, "
	        "?, ?)",
	        p, 5, NULL, NULL, err);

	if (rc == STORE_OK)
		rc = store_sql(db, "UPDATE incidents SET updated_ms = ? WHERE id = ?", q, 2, NULL,
		               NULL, err);
	return rc;
}

static int add_unit(store_db *db, const struct vsrv *srv, int64_t inc, const char *unit, char **err)
{
	struct store_val p[] = {store_int(inc), store_text(unit),
	                        store_text(orgmap_region(srv->org, unit))};

	return store_sql(db,
	                 "INSERT INTO incident_units (incident, unit, region) VALUES (?, ?, ?) "
	                 "ON CONFLICT DO NOTHING",
	                 p, 3, NULL, NULL, err);
}

static int add_indicator(store_db *db, int64_t inc, const char *type, const char *value,
                         const char *desc, const char *tlp, char **err)
{
	char *lc = g_utf8_strdown(value, -1);
	struct store_val p[] = {store_int(inc),     store_text(type),       store_text(value),
	                        store_text(lc),     store_text(desc ?: ""), store_text(tlp),
	                        store_int(now_ms())};
	char source[40];
	int rc = store_sql(
	        db,
	        "INSERT INTO indicators (incident, type, value, value_lc, description, tlp, "
	        "created_ms) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
	        p, 7, NULL, NULL, err);

	/* an open real incident's indicator is blocked at every gateway */
	g_snprintf(source, sizeof source, "incident:%lld", (long long)inc);
	if (rc == STORE_OK)
		rc = blocks_sync(db, type, lc, source, NULL, err);
	g_free(lc);
	return rc;
}

static int incident_units(store_db *db, int64_t inc, GPtrArray *out, char **err);

/* loads the units of an incident and checks the caller may act on it */
struct gate {
	const struct vsrv *srv;
	const struct caller *c;
	enum right right;
	int64_t id;
	bool exists, allowed, visible, drill;
	char status[16];
};

static int gate_row(void *ctx, const struct store_val *c, int nc)
{
	struct gate *g = ctx;

	if (nc < 2)
		return 0;
	g->exists = true;
	g->drill = c[0].i != 0;
	g_strlcpy(g->status, c[1].t == SV_TEXT ? c[1].s : "", sizeof g->status);
	return 0;
}

static int gate_check(store_db *db, struct gate *g, char **err)
{
	struct store_val id = store_int(g->id);
	GPtrArray *units = g_ptr_array_new_with_free_func(g_free);
	int rc = store_sql(db, "SELECT drill, status FROM incidents WHERE id = ?", &id, 1, gate_row,
	                   g, err);

	if (rc == STORE_OK && g->exists)
		rc = incident_units(db, g->id, units, err);
	if (rc == STORE_OK && g->exists) {
		g->allowed = access_units(g->srv, g->c, g->right, (const char *const *)units->pdata,
		                          (int)units->len, g->drill);
		g->visible =
		        access_units(g->srv, g->c, RIGHT_READ, (const char *const *)units->pdata,
		                     (int)units->len, g->drill);
	}
	g_ptr_array_unref(units);
	return rc;
}

static int unit_row(void *ctx, const struct store_val *c, int nc)
{
	GPtrArray *out = ctx;

	if (nc > 0 && c[0].t == SV_TEXT)
		g_ptr_array_add(out, g_strdup(c[0].s));
	return 0;
}

static int incident_units(store_db *db, int64_t inc, GPtrArray *out, char **err)
{
	struct store_val id = store_int(inc);

	return store_sql(db, "SELECT unit FROM incident_units WHERE incident = ? ORDER BY unit",
	                 &id, 1, unit_row, out, err);
}

/* ---- alerts ---- */

static char *norm_subject(const char *s)
{
	char *lc = g_utf8_strdown(s ? s : "", -1), *p = lc;
	GString *out = g_string_new(NULL);
	bool space = false;

	for (;;) { /* drop reply/forward prefixes */
		while (*p == ' ')
			p++;
		if (g_str_has_prefix(p, "re:") || g_str_has_prefix(p, "fw:") ||
		    g_str_has_prefix(p, "tl:"))
			p += 3;
		else if (g_str_has_prefix(p, "fwd:"))
			p += 4;
		else
			break;
	}
	for (; *p && out->len < 200; p++) {
		if (*p == ' ' || *p == '\t') {
			space = out->len > 0;
			continue;
		}
		if (space)
			g_string_append_c(out, ' ');
		space = false;
		g_string_append_c(out, *p);
	}
	g_free(lc);
	return g_string_free(out, FALSE);
}

struct alert {
	const struct vsrv *srv;
	const struct caller *c;
	json_t *doc;
	struct store_msg *m;
	GPtrArray *keys;  /* "sha256:..", "url:..", "campaign:..", "unit:..", "region:.." */
	GPtrArray *units; /* unit ids (borrowed from the org) */
	const char *severity;
	int64_t id, incident;
	int64_t drill_round; /* a drill round's injected detection, else 0 */
	bool duplicate, opened;
	char ref[48];
	GPtrArray *mails; /* emails to send once committed */
};

static void add_key(GPtrArray *keys, char *k)
{
	for (guint i = 0; i < keys->len; i++)
		if (strcmp(keys->pdata[i], k) == 0) {
			g_free(k);
			return;
		}
	if (keys->len >= MAX_KEYS) {
		g_free(k);
		return;
	}
	g_ptr_array_add(keys, k);
}

static int sev_rank(const char *s)
{
	static const char *const r[] = {"info", "low", "medium", "high", "critical", NULL};

	return index_of(r, s);
}

static void alert_keys(struct alert *a)
{
	const struct store_msg *m = a->m;
	bool links = false;
	int top = -1;

	for (size_t i = 0; i < m->n_finds; i++) {
		const struct store_finding *f = &m->finds[i];
		int r = sev_rank(f->severity);

		if (r > top)
			top = r;
		if (f->id != NULL &&
		    (g_str_has_prefix(f->id, "link.") || g_str_has_prefix(f->id, "ioc.url")))
			links = true;
		if (r < 2 || f->object == NULL)
			continue;
		for (size_t j = 0; j < m->n_atts; j++)
			if (m->atts[j].path && m->atts[j].sha256 &&
			    strcmp(m->atts[j].path, f->object) == 0)
				add_key(a->keys, g_strconcat("sha256:", m->atts[j].sha256, NULL));
	}
	a->severity = top >= 4 ? "critical" : top == 3 ? "high" : top == 2 ? "medium" : "low";
	for (size_t i = 0; links && i < m->n_urls && i < 32; i++)
		if (m->urls[i] != NULL && strlen(m->urls[i]) < 2048)
			add_key(a->keys, g_strconcat("url:", m->urls[i], NULL));
	if (m->env_from != NULL && *m->env_from) {
		char *subj = norm_subject(m->subject);
		char *from = g_ascii_strdown(m->env_from, -1);

		add_key(a->keys, g_strdup_printf("campaign:%s|%s", from, subj));
		g_free(subj);
		g_free(from);
	}
	for (size_t i = 0; i < m->n_env_rcpts + m->n_hdr_to; i++) {
		const char *addr =
		        i < m->n_env_rcpts ? m->env_rcpts[i] : m->hdr_to[i - m->n_env_rcpts];
		const char *u = orgmap_unit_of(a->srv->org, addr);
		bool seen = false;

		if (u == NULL)
			continue;
		for (guint k = 0; k < a->units->len; k++)
			seen |= strcmp(a->units->pdata[k], u) == 0;
		if (seen || a->units->len >= MAX_UNITS)
			continue;
		g_ptr_array_add(a->units, (gpointer)u);
		add_key(a->keys, g_strconcat("unit:", u, NULL));
		if (orgmap_region(a->srv->org, u) != NULL)
			add_key(a->keys,
			        g_strconcat("region:", orgmap_region(a->srv->org, u), NULL));
	}
}

static int find_incident_row(void *ctx, const struct store_val *c, int nc)
{
	int64_t *inc = ctx;

	if (nc > 0 && c[0].t == SV_INT && *inc == 0)
		*inc = c[0].i;
	return 0;
}

static int open_incident(store_db *db, struct alert *a, char **err)
{
	const struct store_msg *m = a->m;
	char *title = g_strdup_printf("%sThư nghi chứa mã độc: %.200s",
	                              m->drill ? "DIỄN TẬP / EXERCISE — " : "",
	                              m->subject && *m->subject ? m->subject : "(không tiêu đề)");
	char *tmp = g_strconcat("pending-", m->uid, NULL);
	char *ref = a->ref;
	int64_t now = now_ms();
	struct store_val p[] = {store_text(tmp),
	                        store_text(title),
	                        store_text(a->severity),
	                        store_text("TLP:AMBER"),
	                        store_int(m->drill),
	                        store_int(now),
	                        store_int(m->received_ms),
	                        store_int(now),
	                        a->drill_round ? store_int(a->drill_round) : store_text(NULL)};
	int rc = store_sql(
	        db,
	        "INSERT INTO incidents (ref, title, severity, tlp, status, drill, "
	        "created_ms, detected_ms, updated_ms, drill_round) VALUES (?, ?, ?, ?, 'new', ?, "
	        "?, ?, ?, ?) RETURNING id",
	        p, 9, store_row_int, &a->incident, err);

	g_free(tmp);

	if (rc != STORE_OK)
		goto out;
	{
		GDateTime *d = g_date_time_new_from_unix_utc(now / 1000);

		g_snprintf(ref, sizeof a->ref, "INC-%04d-%06lld", g_date_time_get_year(d),
		           (long long)a->incident);
		g_date_time_unref(d);
	}
	{
		struct store_val q[] = {store_text(ref), store_int(a->incident)};

		rc = store_sql(db, "UPDATE incidents SET ref = ? WHERE id = ?", q, 2, NULL, NULL,
		               err);
	}
	for (size_t i = 0; rc == STORE_OK && i < G_N_ELEMENTS(playbook); i++) {
		struct store_val t[] = {store_int(a->incident), store_text(playbook[i][0]),
		                        store_int(now)};

		rc = store_sql(db,
		               "INSERT INTO tasks (incident, title, created_ms) VALUES (?, ?, ?)",
		               t, 3, NULL, NULL, err);
	}
	if (rc == STORE_OK) {
		json_t *d = json_pack("{s:s,s:s}", "ref", ref, "from_alert", m->uid);

		rc = audit_append(db, a->c->username, "incident.open", ref, NULL, d, err);
		json_decref(d);
	}
	a->opened = true;
out:
	g_free(title);
	return rc;
}

static int dup_row(void *ctx, const struct store_val *c, int nc)
{
	struct alert *a = ctx;

	if (nc < 2)
		return 0;
	a->id = c[0].i;
	a->incident = c[1].t == SV_INT ? c[1].i : 0;
	return 0;
}

static int alert_store(store_db *db, void *ctx, char **err)
{
	struct alert *a = ctx;
	const struct store_msg *m = a->m;
	struct store_val u = store_text(m->uid);
	char *doc = NULL;
	int rc;

	rc = store_sql(db, "SELECT id, incident FROM alerts WHERE uid = ?", &u, 1, dup_row, a, err);
	if (rc != STORE_OK)
		return rc;
	if (a->id != 0) {
		a->duplicate = true;
		return STORE_OK;
	}
	/* an open incident sharing a key (units and regions do not join alerts) */
	for (guint i = 0; i < a->keys->len && a->incident == 0; i++) {
		const char *k = a->keys->pdata[i];
		/* a round's detection joins only its own round's incident (or
		 * a drill incident no round claimed yet, which it then claims) */
		struct store_val p[] = {store_text(k), store_int(m->drill),
		                        store_int(a->drill_round), store_int(a->drill_round)};

		if (g_str_has_prefix(k, "unit:") || g_str_has_prefix(k, "region:"))
			continue;
		rc = store_sql(
		        db,
		        "SELECT i.id FROM alert_keys k JOIN alerts a ON a.id = k.alert JOIN "
		        "incidents i ON i.id = a.incident WHERE k.k = ? AND i.status <> 'closed' "
		        "AND i.drill = ? AND (? = 0 OR i.drill_round IS NULL OR i.drill_round = ?) "
		        "ORDER BY i.id LIMIT 1",
		        p, 4, find_incident_row, &a->incident, err);
		if (rc != STORE_OK)
			return rc;
	}
	/* else an open incident that lists one of its hashes, URLs or its
	 * sender as an indicator: a message a gateway blocked with that
	 * incident's indicator (docs/blocks.md) is that campaign still going */
	for (guint i = 0; i <= a->keys->len && a->incident == 0; i++) {
		const char *k = i < a->keys->len ? a->keys->pdata[i] : NULL;
		const char *type = NULL, *val = NULL;
		char *lc;

		if (k == NULL && m->env_from != NULL && *m->env_from)
			type = "email", val = m->env_from;
		else if (k != NULL && g_str_has_prefix(k, "sha256:"))
			type = "sha256", val = k + 7;
		else if (k != NULL && g_str_has_prefix(k, "url:"))
			type = "url", val = k + 4;
		if (type == NULL)
			continue;
		lc = g_utf8_strdown(val, -1);
		rc = store_sql(
		        db,
		        "SELECT n.id FROM indicators x JOIN incidents n ON n.id = x.incident "
		        "WHERE x.type = ? AND x.value_lc = ? AND n.status <> 'closed' AND "
		        "n.drill = ? AND (? = 0 OR n.drill_round IS NULL OR n.drill_round = ?) "
		        "ORDER BY n.id LIMIT 1",
		        (struct store_val[]){store_text(type), store_text(lc), store_int(m->drill),
		                             store_int(a->drill_round), store_int(a->drill_round)},
		        5, find_incident_row, &a->incident, err);
		g_free(lc);
		if (rc != STORE_OK)
			return rc;
	}
	if (a->incident == 0 && strcmp(m->verdict, "malicious") == 0) {
		rc = open_incident(db, a, err);
		if (rc != STORE_OK)
			return rc;
	} else if (a->incident != 0 && a->drill_round != 0) {
		rc = store_sql(
		        db,
		        "UPDATE incidents SET drill_round = ?, title = CASE WHEN title LIKE "
		        "'DIỄN TẬP%' THEN title ELSE 'DIỄN TẬP / EXERCISE — ' || title END "
		        "WHERE id = ? AND drill_round IS NULL",
		        (struct store_val[]){store_int(a->drill_round), store_int(a->incident)}, 2,
		        NULL, NULL, err);
		if (rc != STORE_OK)
			return rc;
	}
	doc = json_dumps(a->doc, JSON_COMPACT);
	{
		struct store_val p[] = {
		        store_text(m->uid),
		        store_int(m->received_ms),
		        store_text(m->gateway),
		        store_text(a->units->len ? (const char *)a->units->pdata[0] : NULL),
		        store_text(m->verdict),
		        store_int(m->score),
		        store_text(m->subject),
		        store_text(m->env_from),
		        store_text(doc),
		        a->incident ? store_int(a->incident) : store_text(NULL),
		        store_int(m->drill)};

		rc = store_sql(
		        db,
		        "INSERT INTO alerts (uid, received_ms, gateway, unit, verdict, score, "
		        "subject, sender, doc, incident, drill) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
		        "?, ?) RETURNING id",
		        p, 11, store_row_int, &a->id, err);
	}
	free(doc);
	for (guint i = 0; rc == STORE_OK && i < a->keys->len; i++) {
		struct store_val p[] = {store_int(a->id), store_text(a->keys->pdata[i])};

		rc = store_sql(
		        db,
		        "INSERT INTO alert_keys (alert, k) VALUES (?, ?) ON CONFLICT DO NOTHING", p,
		        2, NULL, NULL, err);
	}
	if (rc != STORE_OK || a->incident == 0)
		return rc;
	/* what the incident learns from the alert; units new to a running
	 * incident are told, as the opening of one tells its first units */
	for (guint i = 0; rc == STORE_OK && i < a->units->len; i++) {
		const char *unit = a->units->pdata[i];
		struct store_val q[] = {store_int(a->incident), store_text(unit)};
		int64_t known = 0;

		rc = store_sql(
		        db, "SELECT count(*) FROM incident_units WHERE incident = ? AND unit = ?",
		        q, 2, store_row_int, &known, err);
		if (rc == STORE_OK)
			rc = add_unit(db, a->srv, a->incident, unit, err);
		if (rc == STORE_OK && !known && !a->opened && !m->drill) {
			char *vi = g_strdup_printf(
			        "Đơn vị %s được đưa vào sự cố #%lld (thư cùng chiến dịch)", unit,
			        (long long)a->incident);
			char *en = g_strdup_printf(
			        "Unit %s was added to incident #%lld (a message of the "
			        "same campaign)",
			        unit, (long long)a->incident);

			rc = notify_units(db, a->srv, a->incident, (const char *const[]){unit}, 1,
			                  NULL, vi, en, a->mails, err);
			g_free(vi);
			g_free(en);
		}
	}
	for (guint i = 0; rc == STORE_OK && i < a->keys->len; i++) {
		const char *k = a->keys->pdata[i];

		if (g_str_has_prefix(k, "sha256:"))
			rc = add_indicator(db, a->incident, "sha256", k + 7, "attachment",
			                   "TLP:AMBER", err);
		else if (g_str_has_prefix(k, "url:"))
			rc = add_indicator(db, a->incident, "url", k + 4, "link", "TLP:AMBER", err);
	}
	if (rc == STORE_OK && m->env_from != NULL && *m->env_from && strlen(m->env_from) < 512 &&
	    strchr(m->env_from, '@') != NULL)
		rc = add_indicator(db, a->incident, "email", m->env_from, "sender", "TLP:AMBER",
		                   err);
	if (rc == STORE_OK) {
		char *text = g_strdup_printf("%s: %s (%d) — %.200s", m->gateway, m->verdict,
		                             m->score, m->subject ? m->subject : "");

		rc = add_event(db, a->incident, a->c->username, "alert", text, err);
		g_free(text);
	}
	/* a drill's people are told by the drill engine (participants only) */
	if (rc == STORE_OK && a->opened && !m->drill) {
		char *vi = g_strdup_printf("Sự cố mới %s: %.200s", a->ref,
		                           m->subject ? m->subject : "");
		char *en = g_strdup_printf("New incident %s: %.200s", a->ref,
		                           m->subject ? m->subject : "");

		rc = notify_units(db, a->srv, a->incident, (const char *const *)a->units->pdata,
		                  (int)a->units->len, NULL, vi, en, a->mails, err);
		g_free(vi);
		g_free(en);
	}
	return rc;
}

static int ingest(struct vsrv *srv, const struct caller *c, const char *json, size_t len,
                  int64_t round, json_t **out, char **why)
{
	struct alert a = {.srv = srv, .c = c, .drill_round = round};
	void *arena = NULL;
	char *err = NULL;
	int status;

	{
		char *text = g_strndup(json, len);

		a.m = store_msg_from_json(text, &arena);
		g_free(text);
	}
	/* the record parser leaves absent fields NULL: an alert needs these */
	if (a.m == NULL || a.m->uid == NULL || a.m->gateway == NULL || a.m->verdict == NULL ||
	    strlen(a.m->uid) > 64 || strlen(a.m->gateway) > 255) {
		*why = g_strdup(
		        "the body is not a message record with uid, gateway and verdict (see "
		        "docs/store.md for its fields)");
		status = 400;
		goto out;
	}
	if (round != 0 && !a.m->drill) {
		*why = g_strdup("a drill round's detection must be a drill record");
		status = 400;
		goto out;
	}
	if (strcmp(a.m->verdict, "suspicious") != 0 && strcmp(a.m->verdict, "malicious") != 0) {
		*why = g_strdup("only suspicious or malicious messages are alerts");
		status = 422;
		goto out;
	}
	a.doc = json_loadb(json, len, 0, NULL);
	a.keys = g_ptr_array_new_with_free_func(g_free);
	a.units = g_ptr_array_new();
	a.mails = g_ptr_array_new();
	alert_keys(&a);
	if (store_with(srv->st, 1, alert_store, &a, &err) != STORE_OK) {
		*why = g_strdup(err ? err : "store unavailable");
		free(err);
		status = 503;
		goto out;
	}
	blockhub_kick(srv->hub); /* its indicators may be new blocks */
	notify_send(srv, a.mails);
	a.mails = NULL;
	*out = json_pack("{s:I,s:o,s:b,s:b}", "id", (json_int_t)a.id, "incident",
	                 a.incident ? json_integer(a.incident) : json_null(), "opened_incident",
	                 a.opened, "duplicate", a.duplicate);
	status = a.duplicate ? 200 : 201;
out:
	if (a.keys)
		g_ptr_array_unref(a.keys);
	if (a.units)
		g_ptr_array_unref(a.units);
	notify_free(a.mails);
	json_decref(a.doc);
	store_msg_free_parsed(a.m, arena);
	return status;
}

int alert_ingest(struct vsrv *srv, const struct caller *c, const char *json, size_t len,
                 json_t **out, char **why)
{
	return ingest(srv, c, json, len, 0, out, why);
}

int alert_ingest_drill(struct vsrv *srv, const struct caller *c, const char *json, size_t len,
                       int64_t round, json_t **out, char **why)
{
	return ingest(srv, c, json, len, round, out, why);
}

void api_alerts_post(struct http_req *rq, struct http_resp *rs)
{
	json_t *out = NULL;
	char *why = NULL;
	int status;

	if (!access_require(rq, rs, RIGHT_POST_ALERT))
		return;
	if (rq->body_len == 0) {
		http_error(rs, 400, "invalid", "post the gateway's message record as JSON");
		return;
	}
	status = alert_ingest(rq->ctx, rq->auth, rq->body, rq->body_len, &out, &why);
	if (status == 503)
		http_error(rs, 503, "store_unavailable",
		           "the database cannot be reached (%s); the gateway will retry", why);
	else if (status >= 400)
		http_error(rs, status, status == 422 ? "not_an_alert" : "invalid", "%s", why);
	else
		http_json(rs, status, out);
	g_free(why);
}

struct list {
	const struct caller *c;
	const char *scope; /* "unit:x" / "region:y" or NULL */
	const char *status;
	int64_t limit, offset, total;
	struct rows r;
};

static int alerts_read(store_db *db, void *ctx, char **err)
{
	struct list *l = ctx;
	struct store_val p[] = {store_text(l->scope), store_text(l->scope), store_int(l->limit),
	                        store_int(l->offset)};
	int rc = store_sql(db,
	                   "SELECT count(*) FROM alerts a WHERE (CAST(? AS TEXT) IS NULL OR EXISTS "
	                   "(SELECT 1 FROM "
	                   "alert_keys k WHERE k.alert = a.id AND k.k = ?))",
	                   p, 2, store_row_int, &l->total, err);

	if (rc != STORE_OK)
		return rc;
	return store_sql(
	        db,
	        "SELECT a.id, a.uid, a.received_ms, a.gateway, a.unit, a.verdict, a.score, "
	        "a.subject, a.sender, a.incident, a.drill FROM alerts a WHERE (CAST(? AS TEXT) IS "
	        "NULL OR "
	        "EXISTS (SELECT 1 FROM alert_keys k WHERE k.alert = a.id AND k.k = ?)) "
	        "ORDER BY a.id DESC LIMIT ? OFFSET ?",
	        p, 4, rows_json, &l->r, err);
}

void api_alerts_list(struct http_req *rq, struct http_resp *rs)
{
	static const char *const cols[] = {"id",     "uid",      "received_ms", "gateway",
	                                   "unit",   "verdict",  "score",       "subject",
	                                   "sender", "incident", "?drill",      NULL};
	struct vsrv *srv = rq->ctx;
	char buf[200];
	struct list l = {.c = rq->auth, .r = {cols, json_array()}};
	char *err = NULL;
	int rc;

	if (!access_require(rq, rs, RIGHT_READ))
		goto out;
	l.scope = access_scope(l.c, buf, sizeof buf);
	page_args(rq, 50, 500, &l.limit, &l.offset);
	rc = store_with(srv->st, 0, alerts_read, &l, &err);
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
		goto out;
	}
	http_json(rs, 200,
	          json_pack("{s:O,s:I,s:I,s:I}", "alerts", l.r.arr, "total", (json_int_t)l.total,
	                    "limit", (json_int_t)l.limit, "offset", (json_int_t)l.offset));
out:
	json_decref(l.r.arr);
}

/* ---- incidents ---- */

/* the scope as (unit, region) SQL values: at most one is set */
static void scope_vals(const char *scope, struct store_val *unit, struct store_val *region)
{
	*unit = store_text(NULL);
	*region = store_text(NULL);
	if (scope != NULL && g_str_has_prefix(scope, "unit:"))
		*unit = store_text(scope + 5);
	else if (scope != NULL && g_str_has_prefix(scope, "region:"))
		*region = store_text(scope + 7);
}

#define INCIDENT_COLS                                                                              \
	"i.id, i.ref, i.title, i.severity, i.tlp, i.status, i.drill, i.summary, i.created_ms, "    \
	"i.detected_ms, i.acknowledged_ms, i.contained_ms, i.closed_ms, i.updated_ms, u.username"
static const char *const incident_cols[] = {
        "id",         "ref",         "title",           "severity",
        "tlp",        "status",      "?drill",          "summary",
        "created_ms", "detected_ms", "acknowledged_ms", "contained_ms",
        "closed_ms",  "updated_ms",  "owner",           NULL};
#define SCOPE_COND                                                                                 \
	"((CAST(? AS TEXT) IS NULL AND CAST(? AS TEXT) IS NULL) OR EXISTS (SELECT 1 FROM "         \
	"incident_units iu WHERE "                                                                 \
	"iu.incident = i.id AND (iu.unit = ? OR iu.region = ?)))"

static int incidents_read(store_db *db, void *ctx, char **err)
{
	struct list *l = ctx;
	struct store_val su, sr;
	int rc;

	scope_vals(l->scope, &su, &sr);
	{
		struct store_val p[] = {su,
		                        sr,
		                        su,
		                        sr,
		                        store_text(l->status),
		                        store_text(l->status),
		                        store_int(l->limit),
		                        store_int(l->offset)};

		rc = store_sql(db,
		               "SELECT count(*) FROM incidents i WHERE " SCOPE_COND
		               " AND (CAST(? AS TEXT) IS NULL OR i.status = ?)",
		               p, 6, store_row_int, &l->total, err);
		if (rc != STORE_OK)
			return rc;
		rc = store_sql(db,
		               "SELECT " INCIDENT_COLS
		               " FROM incidents i LEFT JOIN users u ON u.id = "
		               "i.owner WHERE " SCOPE_COND
		               " AND (CAST(? AS TEXT) IS NULL OR i.status = ?) ORDER BY "
		               "i.id DESC LIMIT ? OFFSET ?",
		               p, 8, rows_json, &l->r, err);
		/* the units of the whole page in one query, not one per incident */
		if (rc == STORE_OK && json_array_size(l->r.arr) > 0) {
			static const char *const ucols[] = {"incident", "unit", NULL};
			struct rows ur = {ucols, json_array()};
			size_t i;
			json_t *o;

			json_array_foreach(l->r.arr, i, o)
			        json_object_set_new(o, "units", json_array());
			rc = store_sql(
			        db,
			        "SELECT iu.incident, iu.unit FROM incident_units iu WHERE "
			        "iu.incident IN (SELECT i.id FROM incidents i WHERE " SCOPE_COND
			        " AND (CAST(? AS TEXT) IS NULL OR i.status = ?) ORDER BY i.id DESC "
			        "LIMIT ? OFFSET ?) ORDER BY iu.incident, iu.unit",
			        p, 8, rows_json, &ur, err);
			json_array_foreach(ur.arr, i, o)
			{
				json_int_t inc = json_integer_value(json_object_get(o, "incident"));
				size_t k;
				json_t *row;

				json_array_foreach(
				        l->r.arr, k,
				        row) if (json_integer_value(json_object_get(row, "id")) ==
				                 inc)
				{
					json_array_append(json_object_get(row, "units"),
					                  json_object_get(o, "unit"));
					break;
				}
			}
			json_decref(ur.arr);
		}
	}
	return rc;
}

void api_incidents_list(struct http_req *rq, struct http_resp *rs)
{
	struct vsrv *srv = rq->ctx;
	char buf[200];
	struct list l = {.c = rq->auth, .r = {incident_cols, json_array()}};
	char *err = NULL;
	int rc;

	if (!access_require(rq, rs, RIGHT_READ))
		goto out;
	l.scope = access_scope(l.c, buf, sizeof buf);
	l.status = http_query(rq, "status");
	if (l.status != NULL && index_of(statuses, l.status) < 0) {
		http_error(rs, 400, "invalid",
		           "status must be one of new, triage, containment, "
		           "eradication, recovery, closed");
		goto out;
	}
	page_args(rq, 50, 500, &l.limit, &l.offset);
	rc = store_with(srv->st, 0, incidents_read, &l, &err);
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
		goto out;
	}
	http_json(rs, 200,
	          json_pack("{s:O,s:I,s:I,s:I}", "incidents", l.r.arr, "total", (json_int_t)l.total,
	                    "limit", (json_int_t)l.limit, "offset", (json_int_t)l.offset));
out:
	json_decref(l.r.arr);
}

struct create {
	const struct vsrv *srv;
	const struct caller *c;
	const char *title, *severity, *tlp, *summary;
	GPtrArray *units;
	bool drill;
	int64_t id;
	char ref[48];
	GPtrArray *mails;
	/* from a reported email: what its scan found, and the message itself */
	json_t *indicators; /* [{type, value, description}] */
	const char *event;  /* the scan's verdict and first reasons */
	const char *eml_b64, *eml_sha256;
	size_t eml_size;
};

static int incident_insert(store_db *db, void *ctx, char **err)
{
	struct create *w = ctx;
	int64_t now = now_ms();
	char tmp[64];
	struct store_val p[] = {store_text(tmp),          store_text(w->title),
	                        store_text(w->severity),  store_text(w->tlp),
	                        store_int(w->drill),      store_text(w->summary ?: ""),
	                        store_int(w->c->user_id), store_int(now),
	                        store_int(now),           store_int(now)};
	int rc;

	g_snprintf(tmp, sizeof tmp, "new-%lld-%u", (long long)now, g_random_int());
	rc = store_sql(
	        db,
	        "INSERT INTO incidents (ref, title, severity, tlp, status, drill, summary, "
	        "owner, created_ms, detected_ms, updated_ms) VALUES (?, ?, ?, ?, 'new', ?, ?, "
	        "?, ?, ?, ?) RETURNING id",
	        p, 10, store_row_int, &w->id, err);
	if (rc != STORE_OK)
		return rc;
	{
		GDateTime *d = g_date_time_new_from_unix_utc(now / 1000);
		struct store_val q[] = {store_text(w->ref), store_int(w->id)};

		g_snprintf(w->ref, sizeof w->ref, "INC-%04d-%06lld", g_date_time_get_year(d),
		           (long long)w->id);
		g_date_time_unref(d);
		rc = store_sql(db, "UPDATE incidents SET ref = ? WHERE id = ?", q, 2, NULL, NULL,
		               err);
	}
	for (guint i = 0; rc == STORE_OK && i < w->units->len; i++)
		rc = add_unit(db, w->srv, w->id, w->units->pdata[i], err);
	for (size_t i = 0; rc == STORE_OK && i < G_N_ELEMENTS(playbook); i++) {
		struct store_val t[] = {store_int(w->id),
		                        store_text(playbook[i][strcmp(w->c->lang, "en") == 0]),
		                        store_int(now)};

		rc = store_sql(db,
		               "INSERT INTO tasks (incident, title, created_ms) VALUES (?, ?, ?)",
		               t, 3, NULL, NULL, err);
	}
	if (rc == STORE_OK)
		rc = add_event(db, w->id, w->c->username, "status", "new", err);
	if (rc == STORE_OK) {
		json_t *d = json_pack("{s:s,s:s}", "title", w->title, "severity", w->severity);

		rc = audit_append(db, w->c->username, "incident.open", w->ref,
		                  w->units->len ? (const char *)w->units->pdata[0] : NULL, d, err);
		json_decref(d);
	}
	for (size_t i = 0; rc == STORE_OK && i < json_array_size(w->indicators); i++) {
		json_t *x = json_array_get(w->indicators, i);

		rc = add_indicator(db, w->id, json_string_value(json_object_get(x, "type")),
		                   json_string_value(json_object_get(x, "value")),
		                   json_string_value(json_object_get(x, "description")),
		                   "TLP:AMBER", err);
	}
	if (rc == STORE_OK && w->event != NULL)
		rc = add_event(db, w->id, w->c->username, "report", w->event, err);
	if (rc == STORE_OK && w->eml_b64 != NULL) {
		struct store_val e[] = {store_int(w->id),
		                        store_text("reported-message.eml"),
		                        store_text(w->eml_sha256),
		                        store_int((int64_t)w->eml_size),
		                        store_text(w->eml_b64),
		                        store_text(w->c->username),
		                        store_int(now)};

		rc = store_sql(
		        db,
		        "INSERT INTO evidence (incident, name, sha256, size, content, actor, "
		        "created_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
		        e, 7, NULL, NULL, err);
	}
	if (rc == STORE_OK && !w->drill) {
		char *vi = g_strdup_printf("Sự cố mới %s: %.200s", w->ref, w->title);
		char *en = g_strdup_printf("New incident %s: %.200s", w->ref, w->title);

		rc = notify_units(db, w->srv, w->id, (const char *const *)w->units->pdata,
		                  (int)w->units->len, w->c->username, vi, en, w->mails, err);
		g_free(vi);
		g_free(en);
	}
	return rc;
}

void api_incidents_create(struct http_req *rq, struct http_resp *rs)
{
	struct vsrv *srv = rq->ctx;
	struct create w = {.srv = srv, .c = rq->auth};
	const char *why;
	json_t *b, *units, *u;
	char *err = NULL;
	size_t i;
	int rc;

	if (!access_require(rq, rs, RIGHT_WORK))
		return;
	b = http_body_json(rq, &why);
	if (b == NULL) {
		http_error(rs, 400, "invalid", "%s", why);
		return;
	}
	w.units = g_ptr_array_new();
	w.title = server_bounded(b, "title", 500);
	w.severity = json_object_get(b, "severity") ? server_bounded(b, "severity", 16) : "medium";
	w.tlp = json_object_get(b, "tlp") ? server_bounded(b, "tlp", 20) : "TLP:AMBER";
	w.summary = json_object_get(b, "summary") ? server_bounded(b, "summary", MAX_TEXT) : "";
	w.drill = json_is_true(json_object_get(b, "drill"));
	units = json_object_get(b, "units");
	if (w.title == NULL || index_of(severities, w.severity) < 0 || index_of(tlps, w.tlp) < 0 ||
	    w.summary == NULL || !json_is_array(units) || json_array_size(units) == 0 ||
	    json_array_size(units) > MAX_UNITS ||
	    (json_object_get(b, "drill") && !json_is_boolean(json_object_get(b, "drill")))) {
		http_error(
		        rs, 400, "invalid",
		        "give \"title\" (≤ 500 bytes), \"units\" (1..64 unit ids) and optionally "
		        "\"severity\" (low, medium, high, critical), \"tlp\" (TLP:CLEAR, "
		        "TLP:GREEN, "
		        "TLP:AMBER, TLP:AMBER+STRICT, TLP:RED), \"summary\", \"drill\" (boolean)");
		goto out;
	}
	json_array_foreach(units, i, u)
	{
		const char *id = json_string_value(u);

		if (id == NULL || !orgmap_has_unit(srv->org, id)) {
			http_error(rs, 400, "invalid",
			           "units[%zu] is not a unit of the organisation", i);
			goto out;
		}
		g_ptr_array_add(w.units, (gpointer)id);
	}
	if (!access_units(srv, w.c, RIGHT_WORK, (const char *const *)w.units->pdata,
	                  (int)w.units->len, w.drill)) {
		http_error(rs, 403, "forbidden",
		           "you may open incidents only for units in your scope%s",
		           w.c->role == ROLE_DRILL
		                   ? tr(rs->lang, " (drill controllers: drill incidents only)")
		                   : "");
		goto out;
	}
	w.mails = g_ptr_array_new();
	rc = store_with(srv->st, 1, incident_insert, &w, &err);
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
		goto out;
	}
	blockhub_kick(srv->hub);
	notify_send(srv, w.mails);
	w.mails = NULL;
	http_json(rs, 201, json_pack("{s:I,s:s}", "id", (json_int_t)w.id, "ref", w.ref));
out:
	notify_free(w.mails);
	g_ptr_array_unref(w.units);
	json_decref(b);
}

struct doc {
	struct gate g;
	json_t *out;
};

static json_t *ms_times(json_t *o)
{
	static const char *const keys[][2] = {{"created_ms", "created_at"},
	                                      {"detected_ms", "detected_at"},
	                                      {"acknowledged_ms", "acknowledged_at"},
	                                      {"contained_ms", "contained_at"},
	                                      {"closed_ms", "closed_at"},
	                                      {"updated_ms", "updated_at"},
	                                      {"at_ms", "at"},
	                                      {"received_ms", "received_at"}};

	for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
		json_t *v = json_object_get(o, keys[i][0]);

		if (v == NULL)
			continue;
		json_object_set_new(o, keys[i][1], json_time(json_integer_value(v)));
		json_object_del(o, keys[i][0]);
	}
	return o;
}

static int doc_read(store_db *db, void *ctx, char **err)
{
	struct doc *d = ctx;
	struct store_val id = store_int(d->g.id);
	struct rows r = {incident_cols, json_array()};
	json_t *inc, *units = json_array();
	GPtrArray *ul = g_ptr_array_new_with_free_func(g_free);
	int rc = gate_check(db, &d->g, err);

	if (rc != STORE_OK || !d->g.exists || !d->g.allowed)
		goto out;
	rc = store_sql(db,
	               "SELECT " INCIDENT_COLS
	               " FROM incidents i LEFT JOIN users u ON u.id = i.owner "
	               "WHERE i.id = ?",
	               &id, 1, rows_json, &r, err);
	inc = row_first(r.arr);
	if (rc != STORE_OK || inc == NULL)
		goto out;
	/* durations: what the drills and the dashboard measure */
	{
		int64_t det = json_integer_value(json_object_get(inc, "detected_ms"));
		static const char *const pairs[][2] = {{"acknowledged_ms", "time_to_acknowledge_s"},
		                                       {"contained_ms", "time_to_contain_s"},
		                                       {"closed_ms", "time_to_close_s"}};

		for (size_t i = 0; i < G_N_ELEMENTS(pairs); i++) {
			json_t *v = json_object_get(inc, pairs[i][0]);

			json_object_set_new(
			        inc, pairs[i][1],
			        json_is_integer(v)
			                ? json_integer((json_integer_value(v) - det) / 1000)
			                : json_null());
		}
	}
	ms_times(inc);
	rc = incident_units(db, d->g.id, ul, err);
	for (guint i = 0; i < ul->len; i++)
		json_array_append_new(units,
		                      json_pack("{s:s,s:s?}", "id", (char *)ul->pdata[i], "region",
		                                orgmap_region(d->g.srv->org, ul->pdata[i])));
	json_object_set_new(inc, "units", units);
	units = NULL;
#define SUB(key, sql, ...)                                                                         \
	do {                                                                                       \
		static const char *const cols[] = {__VA_ARGS__, NULL};                             \
		struct rows sr = {cols, json_array()};                                             \
		if (rc == STORE_OK)                                                                \
			rc = store_sql(db, sql, &id, 1, rows_json, &sr, err);                      \
		for (size_t k = 0; k < json_array_size(sr.arr); k++)                               \
			ms_times(json_array_get(sr.arr, k));                                       \
		json_object_set_new(inc, key, sr.arr);                                             \
	} while (0)
	SUB("indicators",
	    "SELECT id, type, value, description, tlp, created_ms FROM indicators WHERE incident = "
	    "? "
	    "ORDER BY id",
	    "id", "type", "value", "description", "tlp", "created_ms");
	/* which gateways block each indicator (docs/blocks.md) */
	if (rc == STORE_OK)
		rc = blocks_annotate(db, d->g.id, json_object_get(inc, "indicators"), err);
	SUB("tasks",
	    "SELECT t.id, t.title, t.unit, u.username, t.done, t.created_ms, t.done_ms FROM tasks "
	    "t "
	    "LEFT JOIN users u ON u.id = t.assignee WHERE t.incident = ? ORDER BY t.id",
	    "id", "title", "unit", "assignee", "?done", "created_ms", "closed_ms");
	/* bounded: a campaign can bring thousands of alerts into one incident;
	 * the newest DOC_MAX_ROWS, with the totals beside them */
	SUB("timeline",
	    "SELECT id, at_ms, actor, kind, text FROM (SELECT id, at_ms, actor, kind, text FROM "
	    "events "
	    "WHERE incident = ? ORDER BY at_ms DESC, id DESC LIMIT 1000) t ORDER BY at_ms, id",
	    "id", "at_ms", "who", "kind", "text");
	SUB("evidence",
	    "SELECT id, name, sha256, size, actor, created_ms FROM evidence WHERE incident = ? "
	    "ORDER BY id",
	    "id", "name", "sha256", "size", "who", "created_ms");
	SUB("messages",
	    "SELECT id, uid, received_ms, gateway, verdict, score, subject, sender FROM alerts "
	    "WHERE incident = ? ORDER BY id DESC LIMIT 500",
	    "alert", "uid", "received_ms", "gateway", "verdict", "score", "subject", "from");
#undef SUB
	{
		int64_t nm = 0, ne = 0;

		if (rc == STORE_OK)
			rc = store_sql(db, "SELECT count(*) FROM alerts WHERE incident = ?", &id, 1,
			               store_row_int, &nm, err);
		if (rc == STORE_OK)
			rc = store_sql(db, "SELECT count(*) FROM events WHERE incident = ?", &id, 1,
			               store_row_int, &ne, err);
		json_object_set_new(inc, "messages_total", json_integer(nm));
		json_object_set_new(inc, "timeline_total", json_integer(ne));
	}
	/* what the Circular 20/2017 reports need (docs/reports.md) */
	json_object_set_new(inc, "category", json_string("malware.spyware"));
	json_object_set(inc, "reporter", d->g.srv->reporter);
	{
		json_t *reports = json_object(), *dl = json_array();
		static const char *const cols[] = {"kind",    "filed_ms", "number",
		                                   "sent_to", "who",      NULL};
		struct rows rr = {cols, json_array()};
		size_t k;
		json_t *row;

		if (rc == STORE_OK)
			rc = store_sql(db,
			               "SELECT kind, filed_ms, number, sent_to, actor FROM "
			               "incident_reports "
			               "WHERE incident = ?",
			               &id, 1, rows_json, &rr, err);
		json_array_foreach(rr.arr, k, row)
		{
			json_t *o = json_object(), *sent = NULL;
			const char *st = json_string_value(json_object_get(row, "sent_to"));

			json_object_set_new(
			        o, "filed_at",
			        json_time(json_integer_value(json_object_get(row, "filed_ms"))));
			json_object_set(o, "number", json_object_get(row, "number"));
			if (st != NULL)
				sent = json_loads(st, 0, NULL);
			json_object_set_new(o, "sent_to",
			                    json_is_array(sent) ? sent : json_array());
			if (!json_is_array(sent))
				json_decref(sent);
			json_object_set(o, "by", json_object_get(row, "who"));
			json_object_set_new(reports,
			                    json_string_value(json_object_get(row, "kind")), o);
		}
		json_decref(rr.arr);
		json_object_set(reports, "recipients", d->g.srv->recipients);
		json_object_set_new(inc, "reports", reports);
		for (int kind = 0; kind < REPORT_C20__KINDS; kind++) {
			struct report_c20_deadline x;

			report_c20_deadline(inc, (report_c20_kind)kind, store_now_ms() / 1000, &x);
			json_array_append_new(dl, report_c20_deadline_json(&x));
		}
		json_object_set_new(inc, "deadlines", dl);
	}
	d->out = inc;
out:
	json_decref(units);
	json_decref(r.arr);
	g_ptr_array_unref(ul);
	return rc;
}

int incident_document(struct vsrv *srv, const struct caller *c, const char *id, json_t **out,
                      char **err)
{
	struct doc d = {.g = {.srv = srv, .c = c, .right = RIGHT_READ}};
	int rc;

	*out = NULL;
	if (!server_parse_id(id, &d.g.id))
		return STORE_ENOTFOUND;
	rc = store_with(srv->st, 0, doc_read, &d, err);
	if (rc != STORE_OK)
		return rc;
	if (!d.g.exists || !d.g.allowed) {
		json_decref(d.out);
		return STORE_ENOTFOUND;
	}
	*out = d.out;
	return STORE_OK;
}

void api_incidents_get(struct http_req *rq, struct http_resp *rs)
{
	struct vsrv *srv = rq->ctx;
	struct doc d = {.g = {.srv = srv, .c = rq->auth, .right = RIGHT_READ}};
	char *err = NULL;
	int rc;

	if (!access_require(rq, rs, RIGHT_READ))
		return;
	if (!server_parse_id(rq->params[0], &d.g.id)) {
		http_error(rs, 404, "not_found", "no such incident");
		return;
	}
	rc = store_with(srv->st, 0, doc_read, &d, &err);
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
		return;
	}
	if (!d.g.exists || !d.g.allowed) {
		http_error(rs, 404, "not_found", "no such incident");
		return;
	}
	http_json(rs, 200, d.out);
}

/* ---- changes to one incident ---- */

struct change {
	struct gate g;
	json_t *body;
	const char *kind; /* what is being changed: "update", "indicator", ... */
	const char *bad;  /* a 400 message found inside the transaction */
	int64_t new_id;
	int64_t task_id;
	GPtrArray *mails;
	json_t *extra; /* merged into the answer (imports: counts) */
};

static int set_col(store_db *db, int64_t id, const char *col, struct store_val v, char **err)
{
	char sql[96];
	struct store_val p[] = {v, store_int(id)};

	g_snprintf(sql, sizeof sql, "UPDATE incidents SET %s = ? WHERE id = ?", col);
	return store_sql(db, sql, p, 2, NULL, NULL, err);
}

struct owner_ctx {
	int64_t id;
};

static int apply_update(store_db *db, struct change *ch, char **err)
{
	json_t *b = ch->body;
	const char *status = server_bounded(b, "status", 16),
	           *sev = server_bounded(b, "severity", 16);
	const char *tlp = server_bounded(b, "tlp", 20), *title = server_bounded(b, "title", 500);
	const char *summary =
	        json_object_get(b, "summary") ? server_bounded(b, "summary", MAX_TEXT) : NULL;
	const char *owner = server_bounded(b, "owner", 64);
	int64_t now = now_ms(), id = ch->g.id;
	json_t *audit = json_object();
	int rc = STORE_OK;

	if ((json_object_get(b, "status") && index_of(statuses, status) < 0) ||
	    (json_object_get(b, "severity") && index_of(severities, sev) < 0) ||
	    (json_object_get(b, "tlp") && index_of(tlps, tlp) < 0) ||
	    (json_object_get(b, "title") && title == NULL) ||
	    (json_object_get(b, "summary") && summary == NULL) ||
	    (json_object_get(b, "owner") && owner == NULL) || json_object_size(b) == 0) {
		ch->bad =
		        "give any of \"status\" (new, triage, containment, eradication, recovery, "
		        "closed), \"severity\", \"tlp\", \"title\", \"summary\", \"owner\" (a user "
		        "name), each valid";
		json_decref(audit);
		return STORE_EINVAL;
	}
	if (status != NULL && strcmp(status, ch->g.status) != 0) {
		int from = index_of(statuses, ch->g.status), to = index_of(statuses, status);
		char text[64];

		if (from == 5 && to != 1) {
			ch->bad = "a closed incident can only be reopened to \"triage\"";
			json_decref(audit);
			return STORE_EINVAL;
		}
		rc = set_col(db, id, "status", store_text(status), err);
		/* the stamps are set once, by the first move that earns them */
		if (rc == STORE_OK && from == 0)
			rc = store_sql(db,
			               "UPDATE incidents SET acknowledged_ms = ? WHERE id = ? AND "
			               "acknowledged_ms IS NULL",
			               (struct store_val[]){store_int(now), store_int(id)}, 2, NULL,
			               NULL, err);
		if (rc == STORE_OK && to >= 3)
			rc = store_sql(db,
			               "UPDATE incidents SET contained_ms = ? WHERE id = ? AND "
			               "contained_ms IS NULL",
			               (struct store_val[]){store_int(now), store_int(id)}, 2, NULL,
			               NULL, err);
		if (rc == STORE_OK)
			rc = set_col(db, id, "closed_ms",
			             to == 5 ? store_int(now) : store_text(NULL), err);
		g_snprintf(text, sizeof text, "%s → %s", ch->g.status, status);
		if (rc == STORE_OK)
			rc = add_event(db, id, ch->g.c->username, "status", text, err);
		/* closing lifts the incident's blocks (unless another source
		 * keeps them), reopening puts them back */
		if (rc == STORE_OK && (from == 5 || to == 5)) {
			char source[48];

			g_snprintf(source, sizeof source, "incident:%lld %s", (long long)id,
			           to == 5 ? "closed" : "reopened");
			rc = blocks_sync_incident(db, id, source, ch->g.c->username, err);
		}
		json_object_set_new(audit, "status", json_string(text));
	}
#define SIMPLE(col, val)                                                                           \
	if (rc == STORE_OK && (val) != NULL) {                                                     \
		rc = set_col(db, id, col, store_text(val), err);                                   \
		if (rc == STORE_OK)                                                                \
			rc = add_event(db, id, ch->g.c->username, col, val, err);                  \
		json_object_set_new(audit, col, json_string(val));                                 \
	}
	SIMPLE("severity", sev)
	SIMPLE("tlp", tlp)
	SIMPLE("title", title)
	SIMPLE("summary", summary)
#undef SIMPLE
	if (rc == STORE_OK && owner != NULL) {
		struct store_val u = store_text(owner);
		int64_t uid = 0;

		rc = store_sql(db, "SELECT id FROM users WHERE username = ? AND disabled = 0", &u,
		               1, store_row_int, &uid, err);
		if (rc == STORE_OK && uid == 0) {
			ch->bad = "\"owner\" is not an active user";
			json_decref(audit);
			return STORE_EINVAL;
		}
		if (rc == STORE_OK)
			rc = set_col(db, id, "owner", store_int(uid), err);
		if (rc == STORE_OK)
			rc = add_event(db, id, ch->g.c->username, "owner", owner, err);
		json_object_set_new(audit, "owner", json_string(owner));
	}
	if (rc == STORE_OK) {
		char obj[32];

		g_snprintf(obj, sizeof obj, "incident:%lld", (long long)id);
		rc = audit_append(db, ch->g.c->username, "incident.update", obj, NULL, audit, err);
	}
	json_decref(audit);
	return rc;
}

static bool hexlen(const char *s, size_t n)
{
	if (strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isxdigit(s[i]))
			return false;
	return true;
}

bool indicator_type_known(const char *type)
{
	return index_of(ind_types, type) >= 0;
}

const char *indicator_problem(const char *type, const char *v)
{
	unsigned char buf[16];

	if (strcmp(type, "sha256") == 0)
		return hexlen(v, 64) ? NULL : "a SHA-256 is 64 hexadecimal digits";
	if (strcmp(type, "sha1") == 0)
		return hexlen(v, 40) ? NULL : "a SHA-1 is 40 hexadecimal digits";
	if (strcmp(type, "md5") == 0)
		return hexlen(v, 32) ? NULL : "an MD5 is 32 hexadecimal digits";
	if (strcmp(type, "ipv4") == 0)
		return inet_pton(AF_INET, v, buf) == 1 ? NULL : "not an IPv4 address";
	if (strcmp(type, "ipv6") == 0)
		return inet_pton(AF_INET6, v, buf) == 1 ? NULL : "not an IPv6 address";
	if (strcmp(type, "email") == 0)
		return strchr(v, '@') != NULL && strchr(v, '@') != v && strchr(v, ' ') == NULL &&
		                       strlen(v) <= 254
		               ? NULL
		               : "not an email address";
	if (strcmp(type, "domain") == 0) {
		const char *tld = strrchr(v, '.');

		if (strlen(v) > 253 || tld == NULL || tld[1] == 0 ||
		    strspn(tld + 1, "0123456789") == strlen(tld + 1))
			return "not a domain name";
		for (const char *p = v; *p; p++)
			if (!g_ascii_isalnum(*p) && *p != '-' && *p != '.' &&
			    (unsigned char)*p < 0x80)
				return "not a domain name";
		return NULL;
	}
	if (strcmp(type, "url") == 0)
		return (g_str_has_prefix(v, "http://") || g_str_has_prefix(v, "https://") ||
		        g_str_has_prefix(v, "ftp://")) &&
		                       strlen(v) <= 2048
		               ? NULL
		               : "a URL starts with http://, https:// or ftp:// (at most 2048 "
		                 "bytes)";
	return strlen(v) <= 998 ? NULL : "at most 998 bytes";
}

static int apply_indicator(store_db *db, struct change *ch, char **err)
{
	const char *type = server_bounded(ch->body, "type", 16),
	           *value = server_bounded(ch->body, "value", 2048);
	const char *desc = json_object_get(ch->body, "description")
	                           ? server_bounded(ch->body, "description", 1000)
	                           : "";
	const char *tlp = json_object_get(ch->body, "tlp") ? server_bounded(ch->body, "tlp", 20)
	                                                   : "TLP:AMBER";
	const char *why;
	char *text, obj[32];
	json_t *d;
	int rc;

	if (type == NULL || index_of(ind_types, type) < 0 || value == NULL || desc == NULL ||
	    index_of(tlps, tlp) < 0) {
		ch->bad = "give \"type\" (sha256, sha1, md5, email, domain, url, ipv4, ipv6, "
		          "filename, "
		          "subject, message_id), \"value\" and optionally \"description\" and "
		          "\"tlp\"";
		return STORE_EINVAL;
	}
	if ((why = indicator_problem(type, value)) != NULL) {
		ch->bad = why;
		return STORE_EINVAL;
	}
	rc = add_indicator(db, ch->g.id, type, value, desc, tlp, err);
	text = g_strdup_printf("%s %s", type, value);
	if (rc == STORE_OK)
		rc = add_event(db, ch->g.id, ch->g.c->username, "indicator", text, err);
	g_free(text);
	d = json_pack("{s:s,s:s}", "type", type, "value", value);
	g_snprintf(obj, sizeof obj, "incident:%lld", (long long)ch->g.id);
	if (rc == STORE_OK)
		rc = audit_append(db, ch->g.c->username, "incident.indicator", obj, NULL, d, err);
	json_decref(d);
	return rc;
}

static int apply_comment(store_db *db, struct change *ch, char **err)
{
	const char *text = server_bounded(ch->body, "text", MAX_TEXT);
	char obj[32];
	int rc;

	if (text == NULL) {
		ch->bad = "give \"text\" (1..10000 bytes)";
		return STORE_EINVAL;
	}
	rc = add_event(db, ch->g.id, ch->g.c->username, "comment", text, err);
	g_snprintf(obj, sizeof obj, "incident:%lld", (long long)ch->g.id);
	if (rc == STORE_OK)
		rc = audit_append(db, ch->g.c->username, "incident.comment", obj, NULL, NULL, err);
	return rc;
}

static int apply_task(store_db *db, struct change *ch, char **err)
{
	const char *title = server_bounded(ch->body, "title", 500);
	const char *unit =
	        json_object_get(ch->body, "unit") ? server_bounded(ch->body, "unit", 64) : NULL;
	struct store_val p[4];
	char obj[32];
	int rc;

	if (title == NULL || (json_object_get(ch->body, "unit") &&
	                      (unit == NULL || !orgmap_has_unit(ch->g.srv->org, unit)))) {
		ch->bad = "give \"title\" (≤ 500 bytes) and optionally \"unit\" (a unit id)";
		return STORE_EINVAL;
	}
	p[0] = store_int(ch->g.id);
	p[1] = store_text(title);
	p[2] = store_text(unit);
	p[3] = store_int(now_ms());
	rc = store_sql(db,
	               "INSERT INTO tasks (incident, title, unit, created_ms) VALUES (?, ?, ?, ?) "
	               "RETURNING id",
	               p, 4, store_row_int, &ch->new_id, err);
	if (rc == STORE_OK)
		rc = add_event(db, ch->g.id, ch->g.c->username, "task", title, err);
	g_snprintf(obj, sizeof obj, "incident:%lld", (long long)ch->g.id);
	if (rc == STORE_OK)
		rc = audit_append(db, ch->g.c->username, "incident.task", obj, unit, NULL, err);
	return rc;
}

static int apply_task_done(store_db *db, struct change *ch, char **err)
{
	json_t *done = json_object_get(ch->body, "done");
	const char *assignee = server_bounded(ch->body, "assignee", 64);
	struct store_val p[] = {store_int(json_is_true(done)),
	                        store_int(json_is_true(done) ? now_ms() : 0),
	                        store_int(ch->task_id), store_int(ch->g.id)};
	int64_t n = 0, uid = 0;
	char obj[48];
	int rc;

	if ((done != NULL && !json_is_boolean(done)) ||
	    (json_object_get(ch->body, "assignee") && assignee == NULL) ||
	    (done == NULL && assignee == NULL)) {
		ch->bad = "give \"done\": true or false, and/or \"assignee\": a user name";
		return STORE_EINVAL;
	}
	rc = store_sql(db, "SELECT count(*) FROM tasks WHERE id = ? AND incident = ?", p + 2, 2,
	               store_row_int, &n, err);
	if (rc != STORE_OK)
		return rc;
	if (n == 0) {
		ch->bad = "no such task in this incident";
		return STORE_ENOTFOUND;
	}
	if (assignee != NULL) {
		struct store_val u = store_text(assignee);
		struct store_val q[3];

		rc = store_sql(db, "SELECT id FROM users WHERE username = ? AND disabled = 0", &u,
		               1, store_row_int, &uid, err);
		if (rc != STORE_OK)
			return rc;
		if (uid == 0) {
			ch->bad = "\"assignee\" is not an active user";
			return STORE_EINVAL;
		}
		q[0] = store_int(uid);
		q[1] = store_int(ch->task_id);
		q[2] = store_int(ch->g.id);
		rc = store_sql(db, "UPDATE tasks SET assignee = ? WHERE id = ? AND incident = ?", q,
		               3, NULL, NULL, err);
		if (rc != STORE_OK)
			return rc;
	}
	g_snprintf(obj, sizeof obj, "task:%lld", (long long)ch->task_id);
	if (done == NULL) {
		rc = add_event(db, ch->g.id, ch->g.c->username, "task.assignee", assignee, err);
		if (rc == STORE_OK)
			rc = audit_append(db, ch->g.c->username, "incident.task", obj, NULL, NULL,
			                  err);
		return rc;
	}
	rc = store_sql(db, "UPDATE tasks SET done = ?, done_ms = ? WHERE id = ? AND incident = ?",
	               p, 4, NULL, NULL, err);
	if (rc == STORE_OK)
		rc = add_event(db, ch->g.id, ch->g.c->username,
		               json_is_true(done) ? "task.done" : "task.reopened", obj, err);
	if (rc == STORE_OK)
		rc = audit_append(db, ch->g.c->username, "incident.task", obj, NULL, NULL, err);
	return rc;
}

static int apply_unit(store_db *db, struct change *ch, char **err)
{
	const char *unit = server_bounded(ch->body, "unit", 64);
	char obj[32], *vi, *en;
	int rc;

	if (unit == NULL || !orgmap_has_unit(ch->g.srv->org, unit)) {
		ch->bad = "\"unit\" is not a unit of the organisation";
		return STORE_EINVAL;
	}
	rc = add_unit(db, ch->g.srv, ch->g.id, unit, err);
	if (rc == STORE_OK)
		rc = add_event(db, ch->g.id, ch->g.c->username, "unit", unit, err);
	g_snprintf(obj, sizeof obj, "incident:%lld", (long long)ch->g.id);
	if (rc == STORE_OK)
		rc = audit_append(db, ch->g.c->username, "incident.unit", obj, unit, NULL, err);
	vi = g_strdup_printf("Đơn vị %s được đưa vào sự cố #%lld", unit, (long long)ch->g.id);
	en = g_strdup_printf("Unit %s was added to incident #%lld", unit, (long long)ch->g.id);
	if (rc == STORE_OK && !ch->g.drill)
		rc = notify_units(db, ch->g.srv, ch->g.id, (const char *const[]){unit}, 1,
		                  ch->g.c->username, vi, en, ch->mails, err);
	g_free(vi);
	g_free(en);
	return rc;
}

#define EVIDENCE_MAX (700u << 10)

static int apply_evidence(store_db *db, struct change *ch, char **err)
{
	const char *name = server_bounded(ch->body, "name", 255);
	const char *b64 = server_bounded(ch->body, "content", 4 * (EVIDENCE_MAX / 3) + 4);
	uint8_t md[32];
	char hex[65], obj[32], *text;
	guchar *raw = NULL;
	gsize n = 0;
	int rc;

	if (name == NULL || b64 == NULL) {
		ch->bad =
		        "give \"name\" (≤ 255 bytes) and \"content\" (the file in base64, at most "
		        "700 KiB)";
		return STORE_EINVAL;
	}
	for (const char *p = b64; *p; p++)
		if (!g_ascii_isalnum(*p) && *p != '+' && *p != '/' && *p != '=') {
			ch->bad = "\"content\" is not base64";
			return STORE_EINVAL;
		}
	raw = g_base64_decode(b64, &n);
	if (n == 0 || n > EVIDENCE_MAX) {
		g_free(raw);
		ch->bad =
		        "give \"name\" (≤ 255 bytes) and \"content\" (the file in base64, at most "
		        "700 KiB)";
		return STORE_EINVAL;
	}
	crypto_hash_sha256(md, raw, n);
	for (int i = 0; i < 32; i++)
		g_snprintf(hex + 2 * i, 3, "%02x", md[i]);
	g_free(raw);
	{
		struct store_val p[] = {store_int(ch->g.id), store_text(name),
		                        store_text(hex),     store_int((int64_t)n),
		                        store_text(b64),     store_text(ch->g.c->username),
		                        store_int(now_ms())};

		rc = store_sql(
		        db,
		        "INSERT INTO evidence (incident, name, sha256, size, content, actor, "
		        "created_ms) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
		        p, 7, store_row_int, &ch->new_id, err);
	}
	text = g_strdup_printf("%s (SHA-256 %s, %zu bytes)", name, hex, (size_t)n);
	if (rc == STORE_OK)
		rc = add_event(db, ch->g.id, ch->g.c->username, "evidence", text, err);
	g_free(text);
	g_snprintf(obj, sizeof obj, "incident:%lld", (long long)ch->g.id);
	if (rc == STORE_OK) {
		json_t *d = json_pack("{s:s,s:s}", "name", name, "sha256", hex);

		rc = audit_append(db, ch->g.c->username, "incident.evidence", obj, NULL, d, err);
		json_decref(d);
	}
	return rc;
}

/* indicators from a STIX bundle or a MISP event (api_exchange.c built the
 * list; each is checked again here like one added by hand) */
static int apply_import(store_db *db, struct change *ch, char **err)
{
	json_t *list = json_object_get(ch->body, "indicators"), *ind;
	const char *fmt = json_string_value(json_object_get(ch->body, "format"));
	json_t *refused = json_array();
	size_t i, added = 0;
	char obj[32], *text;
	int rc = STORE_OK;

	json_array_foreach(list, i, ind)
	{
		const char *type = json_string_value(json_object_get(ind, "type"));
		const char *value = json_string_value(json_object_get(ind, "value"));
		const char *desc = json_string_value(json_object_get(ind, "description"));
		const char *tlp = json_string_value(json_object_get(ind, "tlp"));
		const char *why = type && value ? (index_of(ind_types, type) < 0
		                                           ? "not a vigil indicator type"
		                                           : indicator_problem(type, value))
		                                : "no type or value";

		if (why != NULL) {
			if (json_array_size(refused) < 100)
				json_array_append_new(refused,
				                      json_pack("{s:s?,s:s?,s:s}", "type", type,
				                                "value", value, "reason", why));
			continue;
		}
		rc = add_indicator(db, ch->g.id, type, value, desc ? desc : "",
		                   index_of(tlps, tlp) >= 0 ? tlp : "TLP:AMBER", err);
		if (rc != STORE_OK)
			break;
		added++;
	}
	text = g_strdup_printf("%zu indicators imported from %s", added, fmt ? fmt : "?");
	if (rc == STORE_OK)
		rc = add_event(db, ch->g.id, ch->g.c->username, "indicator", text, err);
	g_free(text);
	g_snprintf(obj, sizeof obj, "incident:%lld", (long long)ch->g.id);
	if (rc == STORE_OK) {
		json_t *d = json_pack("{s:s?,s:I}", "format", fmt, "added", (json_int_t)added);

		rc = audit_append(db, ch->g.c->username, "incident.import", obj, NULL, d, err);
		json_decref(d);
	}
	ch->extra = json_pack("{s:I,s:o}", "added", (json_int_t)added, "refused", refused);
	return rc;
}

static int change_tx(store_db *db, void *ctx, char **err)
{
	struct change *ch = ctx;
	int rc = gate_check(db, &ch->g, err);

	if (rc != STORE_OK || !ch->g.exists || !ch->g.allowed)
		return rc == STORE_OK ? STORE_ENOTFOUND : rc;
	if (strcmp(ch->kind, "update") == 0)
		return apply_update(db, ch, err);
	if (strcmp(ch->kind, "indicator") == 0)
		return apply_indicator(db, ch, err);
	if (strcmp(ch->kind, "comment") == 0)
		return apply_comment(db, ch, err);
	if (strcmp(ch->kind, "task") == 0)
		return apply_task(db, ch, err);
	if (strcmp(ch->kind, "unit") == 0)
		return apply_unit(db, ch, err);
	if (strcmp(ch->kind, "evidence") == 0)
		return apply_evidence(db, ch, err);
	if (strcmp(ch->kind, "import") == 0)
		return apply_import(db, ch, err);
	return apply_task_done(db, ch, err);
}

void incident_change(struct http_req *rq, struct http_resp *rs, const char *kind, json_t *body)
{
	struct vsrv *srv = rq->ctx;
	struct change ch = {.g = {.srv = srv, .c = rq->auth, .right = RIGHT_WORK}, .kind = kind};
	const char *why;
	char *err = NULL;
	int rc;

	if (!access_require(rq, rs, RIGHT_WORK)) {
		json_decref(body);
		return;
	}
	if (!server_parse_id(rq->params[0], &ch.g.id) ||
	    (rq->nparams > 1 && strcmp(kind, "task_done") == 0 &&
	     !server_parse_id(rq->params[1], &ch.task_id))) {
		json_decref(body);
		http_error(rs, 404, "not_found", "no such incident or task");
		return;
	}
	ch.body = body != NULL ? body : http_body_json(rq, &why);
	if (ch.body == NULL) {
		http_error(rs, 400, "invalid", "%s", why);
		return;
	}
	ch.mails = g_ptr_array_new();
	rc = store_with(srv->st, 1, change_tx, &ch, &err);
	if (rc == STORE_OK) {
		blockhub_kick(srv->hub);
		notify_send(srv, ch.mails);
		ch.mails = NULL;
	}
	if (rc != STORE_OK && rc != STORE_EINVAL && rc != STORE_ENOTFOUND) {
		store_unavailable(rs, rc, err);
	} else if (!ch.g.exists || !ch.g.visible) {
		free(err);
		http_error(rs, 404, "not_found", "no such incident");
	} else if (!ch.g.allowed) {
		/* visible but not workable: a real incident for a drill controller */
		free(err);
		http_error(rs, 403, "forbidden", "you may see this incident but not change it");
	} else if (ch.bad != NULL) {
		free(err);
		http_error(rs, rc == STORE_ENOTFOUND ? 404 : 400,
		           rc == STORE_ENOTFOUND ? "not_found" : "invalid", "%s", ch.bad);
	} else if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
	} else {
		json_t *ans = json_pack("{s:I,s:o}", "incident", (json_int_t)ch.g.id, "id",
		                        ch.new_id ? json_integer(ch.new_id) : json_null());

		if (ch.extra != NULL)
			json_object_update(ans, ch.extra);
		http_json(rs, ch.new_id ? 201 : 200, ans);
	}
	json_decref(ch.extra);
	notify_free(ch.mails);
	json_decref(ch.body);
}

static void change(struct http_req *rq, struct http_resp *rs, const char *kind)
{
	incident_change(rq, rs, kind, NULL);
}

void api_incidents_update(struct http_req *rq, struct http_resp *rs)
{
	change(rq, rs, "update");
}

void api_incidents_add_indicator(struct http_req *rq, struct http_resp *rs)
{
	change(rq, rs, "indicator");
}

void api_incidents_comment(struct http_req *rq, struct http_resp *rs)
{
	change(rq, rs, "comment");
}

void api_incidents_add_task(struct http_req *rq, struct http_resp *rs)
{
	change(rq, rs, "task");
}

void api_incidents_update_task(struct http_req *rq, struct http_resp *rs)
{
	change(rq, rs, "task_done");
}

void api_incidents_add_unit(struct http_req *rq, struct http_resp *rs)
{
	change(rq, rs, "unit");
}

void api_incidents_add_evidence(struct http_req *rq, struct http_resp *rs)
{
	change(rq, rs, "evidence");
}

struct fetch {
	struct gate g;
	int64_t eid;
	char *name, *content;
};

static int evidence_row(void *ctx, const struct store_val *c, int nc)
{
	struct fetch *f = ctx;

	if (nc < 2 || c[0].t != SV_TEXT || c[1].t != SV_TEXT)
		return 0;
	f->name = g_strdup(c[0].s);
	f->content = g_strdup(c[1].s);
	return 0;
}

static int evidence_read(store_db *db, void *ctx, char **err)
{
	struct fetch *f = ctx;
	struct store_val p[] = {store_int(f->eid), store_int(f->g.id)};
	int rc = gate_check(db, &f->g, err);

	if (rc != STORE_OK || !f->g.exists || !f->g.visible)
		return rc;
	return store_sql(db, "SELECT name, content FROM evidence WHERE id = ? AND incident = ?", p,
	                 2, evidence_row, f, err);
}

/* a file name any browser and shell take as it is */
static char *safe_name(const char *s)
{
	char *o = g_strdup(s && *s ? s : "evidence");

	for (char *p = o; *p; p++)
		if (!g_ascii_isalnum(*p) && *p != '.' && *p != '-' && *p != '_')
			*p = '_';
	if (o[0] == '.')
		o[0] = '_';
	return o;
}

void api_incidents_get_evidence(struct http_req *rq, struct http_resp *rs)
{
	struct vsrv *srv = rq->ctx;
	struct fetch f = {.g = {.srv = srv, .c = rq->auth, .right = RIGHT_READ}};
	char *err = NULL;
	gsize n = 0;
	int rc;

	if (!access_require(rq, rs, RIGHT_READ))
		return;
	if (!server_parse_id(rq->params[0], &f.g.id) || !server_parse_id(rq->params[1], &f.eid)) {
		http_error(rs, 404, "not_found", "no such incident");
		return;
	}
	rc = store_with(srv->st, 0, evidence_read, &f, &err);
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
		goto out;
	}
	if (!f.g.exists || !f.g.visible || f.content == NULL) {
		http_error(rs, 404, "not_found", "no such incident");
		goto out;
	}
	rs->status = 200;
	rs->body = (char *)g_base64_decode(f.content, &n);
	rs->body_len = n;
	rs->ctype = "application/octet-stream";
	rs->filename = safe_name(f.name);
out:
	g_free(f.name);
	g_free(f.content);
}

/* ---- an incident from a reported email ---- */

#define REPORTED_MAX (700u << 10)
#define SCAN_OUT_MAX (16u << 20)

static void scan_child_setup(gpointer data)
{
	struct rlimit cpu = {30, 31}, as = {(rlim_t)2 << 30, (rlim_t)2 << 30};

	(void)data;
	/* the scanner parses what an attacker wrote: bounded in time and memory */
	(void)setrlimit(RLIMIT_CPU, &cpu);
	(void)setrlimit(RLIMIT_AS, &as);
}

/* `vigil scan --json --type email -` on the message: its JSON, or NULL */
static json_t *scan_message(const struct vsrv *srv, const guchar *msg, size_t n, char **why)
{
	char *argv[] = {srv->vigil_cli, "scan",  "--json", "--no-progress",
	                "--type",       "email", "-",      NULL};
	GError *ge = NULL;
	gint in = -1, out = -1, status = 0;
	GPid pid;
	GString *buf = g_string_new(NULL);
	json_t *res = NULL;
	size_t off = 0;
	char chunk[65536];
	ssize_t r;

	if (!g_spawn_async_with_pipes(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, scan_child_setup,
	                              NULL, &pid, &in, &out, NULL, &ge)) {
		*why = g_strdup_printf("the scanner could not start (%s)", ge->message);
		g_error_free(ge);
		g_string_free(buf, TRUE);
		return NULL;
	}
	/* small messages fit the pipe; larger ones: the scanner reads it all
	 * before it writes, so writing first cannot deadlock */
	while (off < n && (r = write(in, msg + off, n - off)) > 0)
		off += (size_t)r;
	close(in);
	while ((r = read(out, chunk, sizeof chunk)) > 0)
		if (buf->len < SCAN_OUT_MAX)
			g_string_append_len(buf, chunk, r);
	close(out);
	(void)waitpid(pid, &status, 0);
	g_spawn_close_pid(pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) > 1 ||
	    (res = json_loadb(buf->str, buf->len, 0, NULL)) == NULL) {
		*why = g_strdup(
		        "the scanner failed on this message (it may be too complex); attach it "
		        "to an incident as evidence instead");
		json_decref(res);
		res = NULL;
	}
	g_string_free(buf, TRUE);
	return res;
}

/* what the report's incident learns: objects with a finding of medium or
 * more (their SHA-256), the sender when it is suspect, links when a link
 * finding was raised */
static json_t *scan_indicators(json_t *scan)
{
	json_t *out = json_array(), *f, *o;
	json_t *objs = json_object_get(scan, "objects");
	json_t *msg = json_object_get(scan, "message");
	bool sender = false, links = false;
	size_t i, k;

	json_array_foreach(json_object_get(scan, "findings"), i, f)
	{
		const char *sev = json_string_value(json_object_get(f, "severity"));
		const char *id = json_string_value(json_object_get(f, "id"));
		const char *obj = json_string_value(json_object_get(f, "object"));

		if (id && g_str_has_prefix(id, "sender."))
			sender = true;
		if (id && g_str_has_prefix(id, "link."))
			links = true;
		if (sev == NULL || obj == NULL ||
		    (strcmp(sev, "medium") != 0 && strcmp(sev, "high") != 0 &&
		     strcmp(sev, "critical") != 0))
			continue;
		json_array_foreach(objs, k, o)
		{
			const char *p = json_string_value(json_object_get(o, "path"));
			const char *h = json_string_value(json_object_get(o, "sha256"));

			if (p != NULL && h != NULL && strcmp(p, obj) == 0 &&
			    strcmp(p, "msg") != 0 && json_array_size(out) < 100)
				json_array_append_new(out,
				                      json_pack("{s:s,s:s,s:s}", "type", "sha256",
				                                "value", h, "description", p));
		}
	}
	json_array_foreach(json_object_get(msg, "from"), i, f) if (sender && json_is_string(f))
	        json_array_append_new(out, json_pack("{s:s,s:O,s:s}", "type", "email", "value", f,
	                                             "description", "sender"));
	json_array_foreach(json_object_get(msg, "urls"), i, f)
	{
		const char *u = json_string_value(f);

		if (links && u != NULL && strlen(u) <= 2048 && json_array_size(out) < 150 &&
		    (g_str_has_prefix(u, "http://") || g_str_has_prefix(u, "https://")))
			json_array_append_new(out, json_pack("{s:s,s:s,s:s}", "type", "url",
			                                     "value", u, "description", "link"));
	}
	return out;
}

void api_incidents_from_email(struct http_req *rq, struct http_resp *rs)
{
	struct vsrv *srv = rq->ctx;
	const struct caller *c = rq->auth;
	struct create w = {.srv = srv, .c = c, .tlp = "TLP:AMBER", .summary = ""};
	const char *why = NULL, *b64;
	json_t *b = NULL, *scan = NULL, *units;
	guchar *raw = NULL;
	gsize n = 0;
	char *err = NULL, *problem = NULL, *title = NULL, *event = NULL, hex[65];
	uint8_t md[32];
	size_t i;
	int rc;

	if (!access_require(rq, rs, RIGHT_WORK))
		return;
	b = http_body_json(rq, &why);
	if (b == NULL) {
		http_error(rs, 400, "invalid", "%s", why);
		return;
	}
	w.units = g_ptr_array_new();
	b64 = json_string_value(json_object_get(b, "content"));
	for (const char *p = b64; p != NULL && *p; p++)
		if (!g_ascii_isalnum(*p) && *p != '+' && *p != '/' && *p != '=') {
			b64 = NULL;
			break;
		}
	if (b64 != NULL)
		raw = g_base64_decode(b64, &n);
	if (raw == NULL || n == 0 || n > REPORTED_MAX) {
		http_error(
		        rs, 400, "invalid",
		        "give \"content\": the reported message (.eml) in base64, at most 700 KiB");
		goto out;
	}
	/* the units concerned: given, else the reporter's own */
	units = json_object_get(b, "units");
	if (json_is_array(units) && json_array_size(units) <= 64) {
		json_t *u;

		json_array_foreach(units, i, u) if (json_is_string(u) &&
		                                    orgmap_has_unit(srv->org, json_string_value(u)))
		        g_ptr_array_add(w.units, (gpointer)json_string_value(u));
	} else if (c->unit[0]) {
		g_ptr_array_add(w.units, (gpointer)c->unit);
	}
	if (w.units->len == 0) {
		http_error(rs, 400, "invalid",
		           "give \"units\": the units the reported message concerns");
		goto out;
	}
	if (!access_units(srv, c, RIGHT_WORK, (const char *const *)w.units->pdata,
	                  (int)w.units->len, false)) {
		http_error(rs, 403, "forbidden",
		           "you may open incidents only for units in your scope%s", "");
		goto out;
	}
	scan = scan_message(srv, raw, n, &problem);
	if (scan == NULL) {
		http_error(rs, 422, "unscannable", "%s", problem);
		goto out;
	}
	{
		const char *verdict = json_string_value(json_object_get(scan, "verdict"));
		json_t *subj = json_array_get(
		        json_object_get(json_object_get(scan, "message"), "subject"), 0);
		GString *ev = g_string_new(NULL);
		json_t *f;

		w.severity = verdict && strcmp(verdict, "malicious") == 0    ? "high"
		             : verdict && strcmp(verdict, "suspicious") == 0 ? "medium"
		                                                             : "low";
		title = g_strdup_printf("Thư được báo cáo: %.200s",
		                        json_is_string(subj) ? json_string_value(subj)
		                                             : "(không tiêu đề)");
		w.title = title;
		g_string_printf(ev, "%s (%lld)", verdict ? verdict : "?",
		                (long long)json_integer_value(json_object_get(scan, "score")));
		json_array_foreach(json_object_get(scan, "findings"), i, f) if (i < 5)
		        g_string_append_printf(
		                ev, "; %s %s", json_string_value(json_object_get(f, "id")) ?: "?",
		                json_string_value(json_object_get(f, "object")) ?: "");
		event = g_string_free(ev, FALSE);
		w.event = event;
	}
	w.indicators = scan_indicators(scan);
	crypto_hash_sha256(md, raw, n);
	for (int k = 0; k < 32; k++)
		g_snprintf(hex + 2 * k, 3, "%02x", md[k]);
	w.eml_b64 = b64;
	w.eml_sha256 = hex;
	w.eml_size = n;
	w.mails = g_ptr_array_new();
	rc = store_with(srv->st, 1, incident_insert, &w, &err);
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
		goto out;
	}
	blockhub_kick(srv->hub);
	notify_send(srv, w.mails);
	w.mails = NULL;
	http_json(rs, 201,
	          json_pack("{s:I,s:s,s:O,s:O,s:I}", "id", (json_int_t)w.id, "ref", w.ref,
	                    "verdict", json_object_get(scan, "verdict"), "score",
	                    json_object_get(scan, "score"), "indicators",
	                    (json_int_t)json_array_size(w.indicators)));
out:
	notify_free(w.mails);
	json_decref(w.indicators);
	json_decref(scan);
	g_ptr_array_unref(w.units);
	g_free(raw);
	g_free(problem);
	g_free(title);
	g_free(event);
	json_decref(b);
}
