/*
 * api_reports.c - the reports owed under Circular 20/2017/TT-BTTTT, from
 * the incident document (report_c20.c does the forms; docs/reports.md).
 *
 *   GET  /incidents/:id/reports/:kind?format=json|pdf|html   a report, now
 *   POST /incidents/:id/reports/:kind/filed                  mark it sent
 *   GET  /reports/due                                        what is owed soon
 */
#include "api.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "audit.h"
#include "milter/log.h"
#include "notify.h"
#include "orgmap.h"
#include "report_c20.h"
#include "tr.h"

#define DUE_LIST_MAX 500

static bool kind_of(struct http_req *rq, struct http_resp *rs, report_c20_kind *k)
{
	if (rq->nparams < 2 || report_c20_kind_parse(rq->params[1], k) != 0) {
		http_error(rs, 404, "not_found",
		           "no such report; use notification, initial or final");
		return false;
	}
	return true;
}

void api_reports_get(struct http_req *rq, struct http_resp *rs)
{
	struct vsrv *srv = rq->ctx;
	const char *fmt = http_query(rq, "format");
	report_c20_kind kind;
	json_t *doc = NULL, *rep = NULL;
	char *err = NULL;
	int rc;

	if (!access_require(rq, rs, RIGHT_READ) || !kind_of(rq, rs, &kind))
		return;
	if (fmt == NULL)
		fmt = "json";
	if (strcmp(fmt, "json") != 0 && strcmp(fmt, "pdf") != 0 && strcmp(fmt, "html") != 0) {
		http_error(rs, 400, "invalid", "format must be json, pdf or html");
		return;
	}
	rc = incident_document(srv, rq->auth, rq->params[0], &doc, &err);
	if (rc == STORE_ENOTFOUND) {
		free(err);
		http_error(rs, 404, "not_found", "no such incident");
		return;
	}
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
		return;
	}
	rep = report_c20_build(doc, kind, store_now_ms() / 1000);
	if (rep == NULL) {
		http_error(rs, 503, "unavailable", "out of memory; try again");
		goto out;
	}
	if (strcmp(fmt, "json") == 0) {
		http_json(rs, 200, rep);
		rep = NULL;
	} else if (strcmp(fmt, "pdf") == 0) {
		unsigned char *pdf = NULL;
		size_t len = 0;

		if (report_c20_render_pdf(rep, &pdf, &len) != REPORT_C20_OK) {
			http_error(rs, 500, "render",
			           "the report could not be drawn; tell the administrator");
			goto out;
		}
		rs->status = 200;
		rs->body = (char *)pdf;
		rs->body_len = len;
		rs->ctype = "application/pdf";
		rs->filename = g_strdup_printf(
		        "%s-%s.pdf", json_string_value(json_object_get(doc, "ref")) ?: "incident",
		        report_c20_kind_name(kind));
	} else {
		char *html = NULL;
		size_t len = 0;

		if (report_c20_render_html(rep, true, &html, &len) != REPORT_C20_OK) {
			http_error(rs, 500, "render",
			           "the report could not be drawn; tell the administrator");
			goto out;
		}
		rs->status = 200;
		rs->body = html;
		rs->body_len = len;
		rs->ctype = "text/html; charset=utf-8";
	}
out:
	json_decref(rep);
	json_decref(doc);
}

struct filed {
	const struct caller *c;
	int64_t id;
	const char *kind, *number;
	char *sent_to;
	bool conflict;
};

static int filed_tx(store_db *db, void *ctx, char **err)
{
	struct filed *f = ctx;
	struct store_val p[] = {store_int(f->id),          store_text(f->kind),
	                        store_int(store_now_ms()), store_text(f->number),
	                        store_text(f->sent_to),    store_text(f->c->username)};
	struct store_val q[] = {store_int(f->id), store_text(f->kind)};
	int64_t n = 0;
	char obj[32], text[96];
	int rc = store_sql(db,
	                   "SELECT count(*) FROM incident_reports WHERE incident = ? AND kind = ?",
	                   q, 2, store_row_int, &n, err);

	if (rc != STORE_OK)
		return rc;
	if (n > 0) {
		f->conflict = true;
		return STORE_ECONFLICT;
	}
	rc = store_sql(
	        db,
	        "INSERT INTO incident_reports (incident, kind, filed_ms, number, sent_to, actor) "
	        "VALUES (?, ?, ?, ?, ?, ?)",
	        p, 6, NULL, NULL, err);
	g_snprintf(text, sizeof text, "report %s filed", f->kind);
	if (rc == STORE_OK) {
		struct store_val e[] = {store_int(f->id), store_int(store_now_ms()),
		                        store_text(f->c->username), store_text(text)};

		rc = store_sql(
		        db,
		        "INSERT INTO events (incident, at_ms, actor, kind, text) VALUES (?, ?, ?, "
		        "'report', ?)",
		        e, 4, NULL, NULL, err);
	}
	g_snprintf(obj, sizeof obj, "incident:%lld", (long long)f->id);
	if (rc == STORE_OK) {
		json_t *d = json_pack("{s:s,s:s?}", "kind", f->kind, "number", f->number);

		rc = audit_append(db, f->c->username, "incident.report", obj, NULL, d, err);
		json_decref(d);
	}
	return rc;
}

void api_reports_filed(struct http_req *rq, struct http_resp *rs)
{
	struct vsrv *srv = rq->ctx;
	struct filed f = {.c = rq->auth};
	report_c20_kind kind;
	json_t *doc = NULL, *b = NULL, *sent;
	const char *why;
	char *err = NULL;
	int rc;

	if (!access_require(rq, rs, RIGHT_WORK) || !kind_of(rq, rs, &kind))
		return;
	b = http_body_json(rq, &why);
	if (b == NULL) {
		http_error(rs, 400, "invalid", "%s", why);
		return;
	}
	f.number = json_string_value(json_object_get(b, "number"));
	sent = json_object_get(b, "sent_to");
	if ((json_object_get(b, "number") && (f.number == NULL || strlen(f.number) > 100)) ||
	    (sent != NULL && (!json_is_array(sent) || json_array_size(sent) > 20))) {
		http_error(rs, 400, "invalid",
		           "give optionally \"number\" (the report's number, ≤ 100 bytes) and "
		           "\"sent_to\" (up to 20 recipients)");
		goto out;
	}
	for (size_t i = 0; sent != NULL && i < json_array_size(sent); i++)
		if (!json_is_string(json_array_get(sent, i)) ||
		    json_string_length(json_array_get(sent, i)) > 300) {
			http_error(
			        rs, 400, "invalid",
			        "give optionally \"number\" (the report's number, ≤ 100 bytes) and "
			        "\"sent_to\" (up to 20 recipients)");
			goto out;
		}
	/* the caller must be able to work on the incident: read it first */
	rc = incident_document(srv, rq->auth, rq->params[0], &doc, &err);
	if (rc == STORE_ENOTFOUND) {
		free(err);
		http_error(rs, 404, "not_found", "no such incident");
		goto out;
	}
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
		goto out;
	}
	{
		json_t *units = json_object_get(doc, "units"), *u;
		const char *ids[64];
		int n = 0;
		size_t i;

		json_array_foreach(units, i, u) if (n < 64) ids[n++] =
		        json_string_value(json_object_get(u, "id"));
		if (!access_units(srv, rq->auth, RIGHT_WORK, ids, n,
		                  json_is_true(json_object_get(doc, "drill")))) {
			http_error(rs, 403, "forbidden",
			           "you may see this incident but not change it");
			goto out;
		}
	}
	f.id = json_integer_value(json_object_get(doc, "id"));
	f.kind = report_c20_kind_name(kind);
	/* without a list: sent to the configured recipients; a drill's report
	 * never goes to the national coordinator (it is measured, not sent) */
	if (json_is_true(json_object_get(doc, "drill")) && sent == NULL) {
		json_t *none = json_array();

		f.sent_to = json_dumps(none, JSON_COMPACT);
		json_decref(none);
	} else {
		f.sent_to = json_dumps(sent ? sent : srv->recipients, JSON_COMPACT);
	}
	rc = store_with(srv->st, 1, filed_tx, &f, &err);
	if (f.conflict) {
		free(err);
		http_error(rs, 409, "conflict", "this report was already filed");
		goto out;
	}
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
		goto out;
	}
	http_json(rs, 200,
	          json_pack("{s:I,s:s,s:b}", "incident", (json_int_t)f.id, "kind", f.kind, "filed",
	                    1));
out:
	free(f.sent_to);
	json_decref(doc);
	json_decref(b);
}

/* ---- what is owed soon ---- */

struct due {
	struct vsrv *srv;
	const struct caller *c;
	const char *scope;
	struct rows r;
	json_t *filed; /* "id:kind" -> filed_ms */
};

static int due_read(store_db *db, void *ctx, char **err)
{
	struct due *d = ctx;
	struct store_val unit = store_text(NULL), region = store_text(NULL);
	static const char *const fcols[] = {"incident", "kind", "filed_ms", NULL};
	struct rows fr = {fcols, json_array()};
	size_t i;
	json_t *row;
	int rc;

	if (d->scope != NULL && g_str_has_prefix(d->scope, "unit:"))
		unit = store_text(d->scope + 5);
	else if (d->scope != NULL && g_str_has_prefix(d->scope, "region:"))
		region = store_text(d->scope + 7);
	{
		struct store_val p[] = {unit, region, unit, region, store_int(DUE_LIST_MAX)};

		rc = store_sql(
		        db,
		        "SELECT i.id, i.ref, i.title, i.detected_ms, i.closed_ms, i.drill FROM "
		        "incidents i WHERE ((CAST(? AS TEXT) IS NULL AND CAST(? AS TEXT) IS "
		        "NULL) OR EXISTS (SELECT 1 FROM incident_units iu WHERE iu.incident = "
		        "i.id AND (iu.unit = ? OR iu.region = ?))) ORDER BY i.id DESC LIMIT ?",
		        p, 5, rows_json, &d->r, err);
	}
	if (rc == STORE_OK)
		rc = store_sql(db, "SELECT incident, kind, filed_ms FROM incident_reports", NULL, 0,
		               rows_json, &fr, err);
	json_array_foreach(fr.arr, i, row)
	{
		char key[64];

		g_snprintf(key, sizeof key, "%lld:%s",
		           (long long)json_integer_value(json_object_get(row, "incident")),
		           json_string_value(json_object_get(row, "kind")));
		json_object_set(d->filed, key, json_object_get(row, "filed_ms"));
	}
	json_decref(fr.arr);
	return rc;
}

static int by_due(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	json_int_t dx = json_integer_value(json_object_get(x, "seconds_left"));
	json_int_t dy = json_integer_value(json_object_get(y, "seconds_left"));

	return dx < dy ? -1 : dx > dy;
}

void api_reports_due(struct http_req *rq, struct http_resp *rs)
{
	static const char *const cols[] = {"id",        "ref",    "title", "detected_ms",
	                                   "closed_ms", "?drill", NULL};
	struct vsrv *srv = rq->ctx;
	char buf[200];
	struct due d = {
	        .srv = srv, .c = rq->auth, .r = {cols, json_array()}, .filed = json_object()};
	GPtrArray *items = g_ptr_array_new();
	json_t *out = json_array(), *row;
	int64_t now = store_now_ms() / 1000;
	char *err = NULL;
	size_t i;
	int rc;

	if (!access_require(rq, rs, RIGHT_READ))
		goto done;
	d.scope = access_scope(d.c, buf, sizeof buf);
	rc = store_with(srv->st, 0, due_read, &d, &err);
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
		goto done;
	}
	json_array_foreach(d.r.arr, i, row)
	{
		json_int_t id = json_integer_value(json_object_get(row, "id"));
		json_t *inc = json_object(), *reports = json_object();

		json_object_set_new(
		        inc, "detected_at",
		        json_time(json_integer_value(json_object_get(row, "detected_ms"))));
		json_object_set_new(
		        inc, "closed_at",
		        json_time(json_integer_value(json_object_get(row, "closed_ms"))));
		for (int k = 0; k < REPORT_C20__KINDS; k++) {
			char key[64];
			json_t *f;

			g_snprintf(key, sizeof key, "%lld:%s", (long long)id,
			           report_c20_kind_name((report_c20_kind)k));
			f = json_object_get(d.filed, key);
			if (f != NULL)
				json_object_set_new(reports,
				                    report_c20_kind_name((report_c20_kind)k),
				                    json_pack("{s:o}", "filed_at",
				                              json_time(json_integer_value(f))));
		}
		json_object_set_new(inc, "reports", reports);
		for (int k = 0; k < REPORT_C20__KINDS; k++) {
			struct report_c20_deadline x;
			json_t *j;

			report_c20_deadline(inc, (report_c20_kind)k, now, &x);
			if (x.state != REPORT_C20_DUE_SOON && x.state != REPORT_C20_OVERDUE &&
			    x.state != REPORT_C20_NOT_DUE)
				continue;
			j = report_c20_deadline_json(&x);
			json_object_set(j, "incident", json_object_get(row, "id"));
			json_object_set(j, "ref", json_object_get(row, "ref"));
			json_object_set(j, "title", json_object_get(row, "title"));
			json_object_set(j, "drill", json_object_get(row, "drill"));
			g_ptr_array_add(items, j);
		}
		json_decref(inc);
	}
	if (items->len > 1)
		qsort(items->pdata, items->len, sizeof(gpointer), by_due);
	for (guint k = 0; k < items->len; k++)
		json_array_append_new(out, items->pdata[k]);
	http_json(rs, 200, json_pack("{s:O}", "due", out));
done:
	json_decref(out);
	json_decref(d.r.arr);
	json_decref(d.filed);
	g_ptr_array_unref(items);
}

/* ---- warnings: a report due soon or overdue tells the incident's people ---- */

struct warn_ctx {
	struct vsrv *srv;
	json_t *incidents; /* id, ref, title, detected_ms, closed_ms, drill */
	json_t *filed;     /* "id:kind" -> filed_ms */
	json_t *warned;    /* "id:kind:state" -> true */
	GPtrArray *mails;
	int sent;
};

static int warn_read(store_db *db, void *ctx, char **err)
{
	static const char *const icols[] = {"id",        "ref",    "title", "detected_ms",
	                                    "closed_ms", "?drill", NULL};
	static const char *const fcols[] = {"incident", "kind", "filed_ms", NULL};
	static const char *const wcols[] = {"incident", "kind", "state", NULL};
	struct warn_ctx *w = ctx;
	struct rows ri = {icols, w->incidents}, rf = {fcols, json_array()},
	            rw = {wcols, json_array()};
	struct store_val since = store_int(store_now_ms() - (int64_t)30 * 86400 * 1000);
	size_t i;
	json_t *row;
	int rc;

	/* open incidents, and those closed in the last 30 days (the final report) */
	rc = store_sql(db,
	               "SELECT id, ref, title, detected_ms, closed_ms, drill FROM incidents WHERE "
	               "closed_ms IS NULL OR closed_ms > ? ORDER BY id DESC LIMIT 2000",
	               &since, 1, rows_json, &ri, err);
	if (rc == STORE_OK)
		rc = store_sql(db, "SELECT incident, kind, filed_ms FROM incident_reports", NULL, 0,
		               rows_json, &rf, err);
	if (rc == STORE_OK)
		rc = store_sql(db, "SELECT incident, kind, state FROM report_warnings", NULL, 0,
		               rows_json, &rw, err);
	json_array_foreach(rf.arr, i, row)
	{
		char key[64];

		g_snprintf(key, sizeof key, "%lld:%s",
		           (long long)json_integer_value(json_object_get(row, "incident")),
		           json_string_value(json_object_get(row, "kind")));
		json_object_set(w->filed, key, json_object_get(row, "filed_ms"));
	}
	json_array_foreach(rw.arr, i, row)
	{
		char key[96];

		g_snprintf(key, sizeof key, "%lld:%s:%s",
		           (long long)json_integer_value(json_object_get(row, "incident")),
		           json_string_value(json_object_get(row, "kind")),
		           json_string_value(json_object_get(row, "state")));
		json_object_set_new(w->warned, key, json_true());
	}
	json_decref(rf.arr);
	json_decref(rw.arr);
	return rc;
}

struct warn_one {
	struct warn_ctx *w;
	int64_t id;
	const char *kind, *state, *ref;
	char *vi, *en;
};

static int warn_write(store_db *db, void *ctx, char **err)
{
	struct warn_one *o = ctx;
	struct store_val p[] = {store_int(o->id), store_text(o->kind), store_text(o->state),
	                        store_int(store_now_ms())};
	struct store_val id = store_int(o->id);
	GPtrArray *units = g_ptr_array_new_with_free_func(g_free);
	static const char *const ucols[] = {"unit", NULL};
	struct rows ur = {ucols, json_array()};
	size_t i;
	json_t *u;
	int rc = store_sql(
	        db,
	        "INSERT INTO report_warnings (incident, kind, state, at_ms) VALUES (?, ?, "
	        "?, ?) ON CONFLICT DO NOTHING",
	        p, 4, NULL, NULL, err);

	if (rc == STORE_OK)
		rc = store_sql(db, "SELECT unit FROM incident_units WHERE incident = ?", &id, 1,
		               rows_json, &ur, err);
	json_array_foreach(ur.arr, i, u)
	        g_ptr_array_add(units, g_strdup(json_string_value(json_object_get(u, "unit"))));
	json_decref(ur.arr);
	if (rc == STORE_OK)
		rc = notify_units(db, o->w->srv, o->id, (const char *const *)units->pdata,
		                  (int)units->len, NULL, o->vi, o->en, o->w->mails, err);
	g_ptr_array_unref(units);
	return rc;
}

int reports_warn_pass(struct vsrv *srv, int64_t now_s)
{
	struct warn_ctx w = {srv, json_array(), json_object(), json_object(), g_ptr_array_new(), 0};
	static const char *const kvi[] = {"Thông báo sự cố", "Báo cáo ban đầu", "Báo cáo kết thúc"};
	static const char *const ken[] = {"incident notification", "initial report",
	                                  "final report"};
	char *err = NULL;
	size_t i;
	json_t *row;

	if (store_with(srv->st, 0, warn_read, &w, &err) != STORE_OK) {
		vlog_warn("reports", "cannot read the deadlines: %s", err ? err : "?");
		free(err);
		w.sent = -1;
		goto out;
	}
	json_array_foreach(w.incidents, i, row)
	{
		json_int_t id = json_integer_value(json_object_get(row, "id"));
		json_t *inc = json_object(), *reports = json_object();

		if (json_is_true(json_object_get(row, "drill")))
			goto next; /* drills are measured, not nagged (issue 7) */
		json_object_set_new(
		        inc, "detected_at",
		        json_time(json_integer_value(json_object_get(row, "detected_ms"))));
		json_object_set_new(
		        inc, "closed_at",
		        json_time(json_integer_value(json_object_get(row, "closed_ms"))));
		for (int k = 0; k < REPORT_C20__KINDS; k++) {
			char key[64];
			json_t *f;

			g_snprintf(key, sizeof key, "%lld:%s", (long long)id,
			           report_c20_kind_name((report_c20_kind)k));
			if ((f = json_object_get(w.filed, key)) != NULL)
				json_object_set_new(reports,
				                    report_c20_kind_name((report_c20_kind)k),
				                    json_pack("{s:o}", "filed_at",
				                              json_time(json_integer_value(f))));
		}
		json_object_set_new(inc, "reports", reports);
		for (int k = 0; k < REPORT_C20__KINDS; k++) {
			struct report_c20_deadline x;
			struct warn_one o = {&w,
			                     id,
			                     report_c20_kind_name((report_c20_kind)k),
			                     NULL,
			                     json_string_value(json_object_get(row, "ref")),
			                     NULL,
			                     NULL};
			char key[96];

			report_c20_deadline(inc, (report_c20_kind)k, now_s, &x);
			if (x.state != REPORT_C20_DUE_SOON && x.state != REPORT_C20_OVERDUE)
				continue;
			o.state = report_c20_state_name(x.state);
			g_snprintf(key, sizeof key, "%lld:%s:%s", (long long)id, o.kind, o.state);
			if (json_object_get(w.warned, key) != NULL)
				continue;
			o.vi = g_strdup_printf("%s của sự cố %s %s", kvi[k], o.ref ? o.ref : "",
			                       x.state == REPORT_C20_OVERDUE
			                               ? "đã quá hạn"
			                               : "sắp đến hạn (dưới 24 giờ)");
			o.en = g_strdup_printf(
			        "The %s of incident %s is %s", ken[k], o.ref ? o.ref : "",
			        x.state == REPORT_C20_OVERDUE ? "overdue" : "due within 24 hours");
			if (store_with(srv->st, 1, warn_write, &o, &err) == STORE_OK)
				w.sent++;
			else {
				vlog_warn("reports", "cannot record a deadline warning: %s",
				          err ? err : "?");
				free(err);
				err = NULL;
			}
			g_free(o.vi);
			g_free(o.en);
		}
	next:
		json_decref(inc);
	}
	notify_send(srv, w.mails);
	w.mails = NULL;
out:
	notify_free(w.mails);
	json_decref(w.incidents);
	json_decref(w.filed);
	json_decref(w.warned);
	return w.sent;
}

/* ---- readiness per unit: how fast incidents are acknowledged, contained, closed ---- */

struct unit_stats {
	GArray *ack, *contain, *close; /* seconds (double) */
	int total, open;
};

static void stats_free(gpointer p)
{
	struct unit_stats *s = p;

	g_array_free(s->ack, TRUE);
	g_array_free(s->contain, TRUE);
	g_array_free(s->close, TRUE);
	g_free(s);
}

static int by_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static json_t *summary(GArray *a)
{
	double sum = 0;

	if (a->len == 0)
		return json_pack("{s:i,s:n,s:n}", "n", 0, "median_s", "mean_s");
	g_array_sort(a, by_double);
	for (guint i = 0; i < a->len; i++)
		sum += g_array_index(a, double, i);
	return json_pack("{s:i,s:I,s:I}", "n", (int)a->len, "median_s",
	                 (json_int_t)g_array_index(a, double, a->len / 2), "mean_s",
	                 (json_int_t)(sum / a->len));
}

struct metrics {
	const char *scope;
	struct rows r;
};

static int metrics_read(store_db *db, void *ctx, char **err)
{
	struct metrics *m = ctx;
	struct store_val unit = store_text(NULL), region = store_text(NULL);

	if (m->scope != NULL && g_str_has_prefix(m->scope, "unit:"))
		unit = store_text(m->scope + 5);
	else if (m->scope != NULL && g_str_has_prefix(m->scope, "region:"))
		region = store_text(m->scope + 7);
	{
		struct store_val p[] = {unit, region, unit, region};

		/* drills are measured by the drill engine (issue 7), not here */
		return store_sql(
		        db,
		        "SELECT iu.unit, iu.region, i.status, i.detected_ms, i.acknowledged_ms, "
		        "i.contained_ms, i.closed_ms FROM incident_units iu JOIN incidents i ON "
		        "i.id = iu.incident WHERE i.drill = 0 AND ((CAST(? AS TEXT) IS NULL AND "
		        "CAST(? AS TEXT) IS NULL) OR iu.unit = ? OR iu.region = ?)",
		        p, 4, rows_json, &m->r, err);
	}
}

void api_metrics_units(struct http_req *rq, struct http_resp *rs)
{
	static const char *const cols[] = {
	        "unit",         "region",    "status", "detected_ms", "acknowledged_ms",
	        "contained_ms", "closed_ms", NULL};
	struct vsrv *srv = rq->ctx;
	char buf[200];
	struct metrics m = {access_scope(rq->auth, buf, sizeof buf), {cols, json_array()}};
	GHashTable *by_unit = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, stats_free);
	GHashTableIter it;
	gpointer k, v;
	json_t *out = json_array(), *row;
	char *err = NULL;
	size_t i;
	int rc;

	if (!access_require(rq, rs, RIGHT_READ))
		goto done;
	rc = store_with(srv->st, 0, metrics_read, &m, &err);
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
		goto done;
	}
	json_array_foreach(m.r.arr, i, row)
	{
		const char *u = json_string_value(json_object_get(row, "unit"));
		struct unit_stats *s;
		json_int_t det = json_integer_value(json_object_get(row, "detected_ms"));
		json_t *a = json_object_get(row, "acknowledged_ms"),
		       *c = json_object_get(row, "contained_ms");
		json_t *cl = json_object_get(row, "closed_ms");
		double x;

		if (u == NULL)
			continue;
		if ((s = g_hash_table_lookup(by_unit, u)) == NULL) {
			s = g_new0(struct unit_stats, 1);
			s->ack = g_array_new(FALSE, FALSE, sizeof(double));
			s->contain = g_array_new(FALSE, FALSE, sizeof(double));
			s->close = g_array_new(FALSE, FALSE, sizeof(double));
			g_hash_table_insert(by_unit, g_strdup(u), s);
		}
		s->total++;
		if (strcmp(json_string_value(json_object_get(row, "status")) ?: "", "closed") != 0)
			s->open++;
		if (json_is_integer(a) && (x = (double)(json_integer_value(a) - det) / 1000) >= 0)
			g_array_append_val(s->ack, x);
		if (json_is_integer(c) && (x = (double)(json_integer_value(c) - det) / 1000) >= 0)
			g_array_append_val(s->contain, x);
		if (json_is_integer(cl) && (x = (double)(json_integer_value(cl) - det) / 1000) >= 0)
			g_array_append_val(s->close, x);
	}
	g_hash_table_iter_init(&it, by_unit);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		struct unit_stats *s = v;

		json_array_append_new(
		        out, json_pack("{s:s,s:s?,s:i,s:i,s:o,s:o,s:o}", "unit", (char *)k,
		                       "region", orgmap_region(srv->org, k), "incidents", s->total,
		                       "open", s->open, "acknowledge", summary(s->ack), "contain",
		                       summary(s->contain), "close", summary(s->close)));
	}
	http_json(rs, 200, json_pack("{s:O}", "units", out));
done:
	json_decref(out);
	json_decref(m.r.arr);
	g_hash_table_destroy(by_unit);
}

/* ---- indicators across the incidents in scope ---- */

struct indlist {
	const char *scope, *q, *type;
	int64_t limit, offset, total;
	struct rows r;
};

static int indicators_read(store_db *db, void *ctx, char **err)
{
	struct indlist *l = ctx;
	struct store_val unit = store_text(NULL), region = store_text(NULL);
	char *like = l->q ? g_strdup_printf("%%%s%%", l->q) : NULL;
	int rc;

	if (l->scope != NULL && g_str_has_prefix(l->scope, "unit:"))
		unit = store_text(l->scope + 5);
	else if (l->scope != NULL && g_str_has_prefix(l->scope, "region:"))
		region = store_text(l->scope + 7);
	{
		struct store_val p[] = {unit,
		                        region,
		                        unit,
		                        region,
		                        store_text(like),
		                        store_text(like),
		                        store_text(l->type),
		                        store_text(l->type),
		                        store_int(l->limit),
		                        store_int(l->offset)};
#define IND_WHERE                                                                                  \
	" FROM indicators x JOIN incidents i ON i.id = x.incident WHERE ((CAST(? AS TEXT) IS "     \
	"NULL "                                                                                    \
	"AND CAST(? AS TEXT) IS NULL) OR EXISTS (SELECT 1 FROM incident_units iu WHERE "           \
	"iu.incident = i.id AND (iu.unit = ? OR iu.region = ?))) AND (CAST(? AS TEXT) IS NULL "    \
	"OR x.value_lc LIKE ?) AND (CAST(? AS TEXT) IS NULL OR x.type = ?)"

		rc = store_sql(db, "SELECT count(*)" IND_WHERE, p, 8, store_row_int, &l->total,
		               err);
		if (rc == STORE_OK)
			rc = store_sql(
			        db,
			        "SELECT x.id, x.type, x.value, x.description, x.tlp, i.id, i.ref, "
			        "i.status" IND_WHERE " ORDER BY x.id DESC LIMIT ? OFFSET ?",
			        p, 10, rows_json, &l->r, err);
#undef IND_WHERE
	}
	g_free(like);
	return rc;
}

void api_indicators_list(struct http_req *rq, struct http_resp *rs)
{
	static const char *const cols[] = {"id",       "type", "value",  "description", "tlp",
	                                   "incident", "ref",  "status", NULL};
	struct vsrv *srv = rq->ctx;
	char buf[200];
	struct indlist l = {.r = {cols, json_array()}};
	char *err = NULL, *q = NULL;
	int rc;

	if (!access_require(rq, rs, RIGHT_READ))
		goto out;
	l.scope = access_scope(rq->auth, buf, sizeof buf);
	if (http_query(rq, "q") != NULL && strlen(http_query(rq, "q")) <= 200) {
		/* LIKE metacharacters are searched as themselves */
		GString *e = g_string_new(NULL);
		char *lc = g_utf8_strdown(http_query(rq, "q"), -1);

		for (const char *p = lc; *p; p++)
			if (*p != '%' && *p != '_')
				g_string_append_c(e, *p);
		g_free(lc);
		q = g_string_free(e, FALSE);
		l.q = *q ? q : NULL;
	}
	l.type = http_query(rq, "type");
	page_args(rq, 50, 500, &l.limit, &l.offset);
	rc = store_with(srv->st, 0, indicators_read, &l, &err);
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
		goto out;
	}
	http_json(rs, 200,
	          json_pack("{s:O,s:I,s:I,s:I}", "indicators", l.r.arr, "total",
	                    (json_int_t)l.total, "limit", (json_int_t)l.limit, "offset",
	                    (json_int_t)l.offset));
out:
	g_free(q);
	json_decref(l.r.arr);
}
