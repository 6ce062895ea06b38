/*
 * scanjson.c - one scan's result as JSON: the shape `vigil scan --json`
 * prints and the scan workers hand to vigil-milter (docs/cli.md).
 */
#include <glib.h>
#include <string.h>

#include "scanjson.h"

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *fact_array(const vigil_scan *s, vigil_fact f)
{
	json_t *a = json_array();
	size_t n = vigil_scan_fact_count(s, f);

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(vigil_scan_fact(s, f, i)));
	return a;
}

json_t *scanjson(const vigil_scan *s, const char *path, vigil_lang lang)
{
	json_t *root = json_object(), *objs = json_array(), *finds = json_array(), *msg;
	size_t n = vigil_scan_object_count(s);

	/* file names need not be UTF-8; JSON strings must be */
	if (g_utf8_validate(path, -1, NULL)) {
		json_object_set_new(root, "path", json_string(path));
	} else {
		char *valid = g_utf8_make_valid(path, -1);

		json_object_set_new(root, "path", json_string(valid));
		g_free(valid);
	}
	json_object_set_new(root, "verdict",
	                    json_string(vigil_verdict_name(vigil_scan_verdict(s))));
	json_object_set_new(root, "score", json_integer(vigil_scan_score(s)));
	json_object_set_new(root, "elapsed_ms", json_real(vigil_scan_elapsed_ms(s)));
	for (size_t i = 0; i < n; i++) {
		const vigil_object *o = vigil_scan_object(s, i);
		json_t *j = json_object();
		unsigned fl = vigil_object_flags(o);

		json_object_set_new(j, "index", json_integer((json_int_t)i));
		json_object_set_new(j, "parent",
		                    vigil_object_parent(o) == SIZE_MAX
		                            ? json_null()
		                            : json_integer((json_int_t)vigil_object_parent(o)));
		json_object_set_new(j, "path", json_string(vigil_object_path(o)));
		json_object_set_new(j, "type", json_string(vigil_object_type(o)));
		json_object_set_new(j, "mime", json_string(vigil_object_mime(o)));
		json_object_set_new(j, "name", str_or_null(vigil_object_name(o)));
		json_object_set_new(j, "size", json_integer((json_int_t)vigil_object_size(o)));
		json_object_set_new(j, "depth", json_integer(vigil_object_depth(o)));
		json_object_set_new(j, "sha256", json_string(vigil_object_sha256(o)));
		json_object_set_new(j, "sha1", json_string(vigil_object_sha1(o)));
		json_object_set_new(j, "md5", json_string(vigil_object_md5(o)));
		if (vigil_object_part(o))
			json_object_set_new(j, "part", json_string(vigil_object_part(o)));
		if (vigil_object_content_type(o))
			json_object_set_new(j, "content_type",
			                    json_string(vigil_object_content_type(o)));
		if (vigil_object_charset(o))
			json_object_set_new(j, "charset", json_string(vigil_object_charset(o)));
		if (vigil_object_disposition(o))
			json_object_set_new(j, "disposition",
			                    json_string(vigil_object_disposition(o)));
		if (fl) {
			json_t *fa = json_array();

			if (fl & VIGIL_OBJ_TRUNCATED)
				json_array_append_new(fa, json_string("truncated"));
			if (fl & VIGIL_OBJ_ENCRYPTED)
				json_array_append_new(fa, json_string("encrypted"));
			if (fl & VIGIL_OBJ_PARTIAL)
				json_array_append_new(fa, json_string("partial"));
			json_object_set_new(j, "flags", fa);
		}
		json_array_append_new(objs, j);
	}
	json_object_set_new(root, "objects", objs);
	n = vigil_scan_finding_count(s);
	for (size_t i = 0; i < n; i++) {
		const vigil_finding *f = vigil_scan_finding(s, i);
		const vigil_object *o = vigil_scan_object(s, vigil_finding_object(f));
		json_t *j = json_object(), *att = json_array();
		char **parts = g_strsplit(vigil_finding_attack(f), ",", -1);

		for (char **p = parts; *p != NULL; p++)
			if (**p)
				json_array_append_new(att, json_string(*p));
		g_strfreev(parts);
		json_object_set_new(j, "id", json_string(vigil_finding_id(f)));
		json_object_set_new(j, "severity",
		                    json_string(vigil_severity_name(vigil_finding_severity(f))));
		json_object_set_new(j, "title", json_string(vigil_finding_title(f, lang)));
		json_object_set_new(j, "weight", json_integer(vigil_finding_weight(f)));
		json_object_set_new(j, "object", json_string(o ? vigil_object_path(o) : ""));
		json_object_set_new(j, "attack", att);
		json_object_set_new(j, "evidence", json_string(vigil_finding_evidence(f)));
		json_array_append_new(finds, j);
	}
	json_object_set_new(root, "findings", finds);
	msg = json_object();
	json_object_set_new(msg, "from", fact_array(s, VIGIL_FACT_FROM));
	json_object_set_new(msg, "to", fact_array(s, VIGIL_FACT_TO));
	json_object_set_new(msg, "subject", fact_array(s, VIGIL_FACT_SUBJECT));
	json_object_set_new(msg, "message_id", fact_array(s, VIGIL_FACT_MESSAGE_ID));
	json_object_set_new(msg, "date", fact_array(s, VIGIL_FACT_DATE));
	json_object_set_new(msg, "urls", fact_array(s, VIGIL_FACT_URL));
	json_object_set_new(msg, "domains", fact_array(s, VIGIL_FACT_DOMAIN));
	json_object_set_new(root, "message", msg);
	return root;
}
