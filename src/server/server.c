/*
 * server.c - small helpers shared by vigild's modules (server.h).
 */
#include "server.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const roles[ROLE__COUNT] = {
        "admin",
        "central_analyst",
        "provincial_analyst",
        "regional_coordinator",
        "drill_controller",
        "viewer",
};

const char *role_name(enum role r)
{
	return (unsigned)r < ROLE__COUNT ? roles[r] : "?";
}

int role_parse(const char *s)
{
	for (int i = 0; s != NULL && i < ROLE__COUNT; i++)
		if (strcmp(s, roles[i]) == 0)
			return i;
	return -1;
}

int rows_json(void *ctx, const struct store_val *c, int nc)
{
	struct rows *r = ctx;
	json_t *o = json_object();

	for (int i = 0; i < nc && r->names[i] != NULL; i++) {
		const char *name = r->names[i];
		bool boolean = name[0] == '?';
		json_t *v;

		if (boolean)
			name++;
		switch (c[i].t) {
		case SV_TEXT:
			v = boolean ? json_boolean(strcmp(c[i].s, "0") != 0) : json_string(c[i].s);
			if (v == NULL) /* not UTF-8: the store repairs input, so rare */
				v = json_string("\xEF\xBF\xBD");
			break;
		case SV_INT:
			v = boolean ? json_boolean(c[i].i != 0) : json_integer(c[i].i);
			break;
		case SV_REAL:
			v = json_real(c[i].d);
			break;
		default:
			v = json_null();
		}
		json_object_set_new(o, name, v);
	}
	json_array_append_new(r->arr, o);
	return 0;
}

json_t *row_first(json_t *arr)
{
	json_t *o = json_array_get(arr, 0);

	return o ? json_incref(o) : NULL;
}

json_t *json_time(int64_t ms)
{
	time_t t;
	struct tm tm;
	char buf[96];

	if (ms <= 0)
		return json_null();
	t = (time_t)(ms / 1000);
	gmtime_r(&t, &tm);
	snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	return json_string(buf);
}

bool time_parse(const char *s, int64_t *ms)
{
	GDateTime *d;

	if (s == NULL || strlen(s) > 64)
		return false;
	d = g_date_time_new_from_iso8601(s, NULL);
	if (d == NULL)
		return false;
	*ms = g_date_time_to_unix(d) * 1000 + g_date_time_get_microsecond(d) / 1000;
	g_date_time_unref(d);
	return true;
}

void page_args(struct http_req *rq, int64_t def, int64_t max, int64_t *limit, int64_t *offset)
{
	const char *l = http_query(rq, "limit"), *o = http_query(rq, "offset");
	char *end;

	*limit = def;
	*offset = 0;
	if (l != NULL) {
		long long v = strtoll(l, &end, 10);

		if (*end == 0 && v >= 1)
			*limit = v > max ? max : v;
	}
	if (o != NULL) {
		long long v = strtoll(o, &end, 10);

		if (*end == 0 && v >= 0 && v <= 100000000)
			*offset = v;
	}
}

void store_unavailable(struct http_resp *rs, int rc, char *err)
{
	if (rc == STORE_EINVAL)
		http_error(rs, 400, "invalid", "%s", err ? err : "invalid request");
	else
		http_error(rs, 503, "store_unavailable",
		           "the database cannot be reached (%s); try again in a moment, and tell "
		           "the administrator if it lasts",
		           err ? err : "no detail");
	free(err);
}

bool server_parse_id(const char *s, int64_t *id)
{
	char *end;
	long long v;

	if (s == NULL || *s == 0 || strlen(s) > 18)
		return false;
	v = strtoll(s, &end, 10);
	if (*end != 0 || v <= 0)
		return false;
	*id = v;
	return true;
}

const char *server_bounded(json_t *b, const char *k, size_t max)
{
	json_t *v = json_object_get(b, k);

	if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > max ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return NULL;
	return json_string_value(v);
}
