/*
 * api_exchange.c - an incident's indicators in and out as STIX 2.1 and MISP
 * (stix.c, misp.c; docs/exchange.md).
 *
 *   GET  /incidents/:id/export?format=stix|misp   a bundle / an event to share
 *   POST /incidents/:id/import?format=stix|misp   indicators from one
 *
 * An export is a download of the incident's indicators with its TLP
 * markings; what sharing is allowed is the analyst's decision (TLP). An
 * import adds what vigil can match and answers what it could not take.
 */
#include "api.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "misp.h"
#include "stix.h"

static const char *format_of(struct http_req *rq, struct http_resp *rs)
{
	const char *f = http_query(rq, "format");

	if (f == NULL || (strcmp(f, "stix") != 0 && strcmp(f, "misp") != 0)) {
		http_error(rs, 400, "invalid", "format must be stix or misp");
		return NULL;
	}
	return f;
}

void api_exchange_export(struct http_req *rq, struct http_resp *rs)
{
	struct vsrv *srv = rq->ctx;
	const char *fmt;
	json_t *doc = NULL, *out = NULL;
	char msg[256] = "", *err = NULL;
	int rc;

	if (!access_require(rq, rs, RIGHT_READ) || (fmt = format_of(rq, rs)) == NULL)
		return;
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
	if (strcmp(fmt, "stix") == 0) {
		stix_export_opts o = {0};

		rc = stix_export(doc, &o, &out, msg, sizeof msg);
	} else {
		misp_export_opts o = {0};

		rc = misp_export(doc, &o, &out, msg, sizeof msg);
	}
	if (rc != EXCHANGE_OK || out == NULL) {
		http_error(rs, 500, "export", "the export failed (%s)", msg);
		goto out;
	}
	http_json(rs, 200, json_incref(json_object_get(out, "document")));
	rs->filename = g_strdup_printf(
	        "%s-%s.json", json_string_value(json_object_get(doc, "ref")) ?: "incident", fmt);
out:
	json_decref(out);
	json_decref(doc);
}

void api_exchange_import(struct http_req *rq, struct http_resp *rs)
{
	const char *fmt;
	json_t *res = NULL, *body;
	char msg[256] = "";
	int rc;

	if (!access_require(rq, rs, RIGHT_WORK) || (fmt = format_of(rq, rs)) == NULL)
		return;
	if (strcmp(fmt, "stix") == 0)
		rc = stix_import_buffer(rq->body, rq->body_len, NULL, &res, msg, sizeof msg);
	else
		rc = misp_import_buffer(rq->body, rq->body_len, NULL, &res, msg, sizeof msg);
	if (rc != EXCHANGE_OK || res == NULL) {
		http_error(rs, 400, "invalid", "not a %s document: %s",
		           strcmp(fmt, "stix") == 0 ? "STIX 2.1" : "MISP", msg);
		json_decref(res);
		return;
	}
	body = json_pack("{s:s,s:O}", "format", fmt, "indicators",
	                 json_object_get(res, "indicators"));
	/* what the converter itself could not take goes back with the answer */
	json_object_set(body, "skipped", json_object_get(res, "skipped"));
	incident_change(rq, rs, "import", body);
	if (rs->json != NULL && rs->status == 200)
		json_object_set(rs->json, "skipped", json_object_get(res, "skipped"));
	json_decref(res);
}
