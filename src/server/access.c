/*
 * access.c - roles × rights × unit scope (access.h).
 */
#include "access.h"

#include <glib.h>
#include <string.h>

#include "orgmap.h"

static bool person(const struct caller *c)
{
	return c->authenticated && c->user_id != 0;
}

bool access_has(const struct caller *c, enum right r)
{
	if (c == NULL || !c->authenticated)
		return false;
	if (r == RIGHT_POST_ALERT || r == RIGHT_GATEWAY)
		return c->via_token && strcmp(c->kind, "gateway") == 0;
	if (!person(c))
		return false;
	switch (r) {
	case RIGHT_READ:
		return true;
	case RIGHT_WORK:
		return c->role == ROLE_ADMIN || c->role == ROLE_CENTRAL ||
		       c->role == ROLE_REGIONAL || c->role == ROLE_PROVINCIAL ||
		       c->role == ROLE_DRILL;
	case RIGHT_ADMIN:
		return c->role == ROLE_ADMIN;
	case RIGHT_BLOCKS:
		/* blocking at every gateway of the country is the IT Centre's call */
		return c->role == ROLE_ADMIN || c->role == ROLE_CENTRAL;
	case RIGHT_DRILLS:
		return c->role == ROLE_ADMIN || c->role == ROLE_DRILL;
	default:
		return false;
	}
}

/* the caller's scope: true if it covers unit */
static bool covers(const struct vsrv *srv, const struct caller *c, const char *unit)
{
	switch (c->role) {
	case ROLE_ADMIN:
	case ROLE_CENTRAL:
	case ROLE_DRILL:
		return true;
	case ROLE_REGIONAL: {
		const char *r = orgmap_region(srv->org, unit);

		return c->region[0] != 0 && r != NULL && strcmp(r, c->region) == 0;
	}
	case ROLE_PROVINCIAL:
		return c->unit[0] != 0 && strcmp(c->unit, unit) == 0;
	case ROLE_VIEWER:
		return c->unit[0] == 0 || strcmp(c->unit, unit) == 0;
	default:
		return false;
	}
}

bool access_units(const struct vsrv *srv, const struct caller *c, enum right r,
                  const char *const *units, int n, bool drill)
{
	bool wide = c->role == ROLE_ADMIN || c->role == ROLE_CENTRAL || c->role == ROLE_DRILL ||
	            (c->role == ROLE_VIEWER && c->unit[0] == 0);

	if (!access_has(c, r))
		return false;
	if (r == RIGHT_WORK && c->role == ROLE_DRILL && !drill)
		return false;
	if (wide)
		return true;
	for (int i = 0; i < n; i++)
		if (units[i] != NULL && covers(srv, c, units[i]))
			return true;
	return false;
}

const char *access_scope(const struct caller *c, char *buf, int n)
{
	switch (c->role) {
	case ROLE_REGIONAL:
		g_snprintf(buf, (gulong)n, "region:%s", c->region);
		return buf;
	case ROLE_PROVINCIAL:
		g_snprintf(buf, (gulong)n, "unit:%s", c->unit);
		return buf;
	case ROLE_VIEWER:
		if (c->unit[0] == 0)
			return NULL;
		g_snprintf(buf, (gulong)n, "unit:%s", c->unit);
		return buf;
	default:
		return NULL;
	}
}

bool access_require(struct http_req *rq, struct http_resp *rs, enum right r)
{
	const struct caller *c = rq->auth;

	if (access_has(c, r))
		return true;
	http_error(rs, 403, "forbidden", "your role (%s) may not do this",
	           c && c->via_token ? c->kind : role_name(c ? c->role : ROLE_VIEWER));
	return false;
}
