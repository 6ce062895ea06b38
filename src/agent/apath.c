/*
 * apath.c - roots, clean paths and the path text codec (apath.h).
 */
#include "apath.h"

#include <fnmatch.h>
#include <glib.h>
#include <string.h>

static bool wild(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

void apath_root_free(struct apath_root *r)
{
	g_free(r->pattern);
	g_free(r->prefix);
	for (size_t i = 0; i < r->nsegs; i++)
		g_free(r->segs[i]);
	memset(r, 0, sizeof *r);
}

int apath_root_parse(const char *pattern, struct apath_root *r, char **err)
{
	char **parts = NULL;
	GString *prefix = g_string_new(NULL);
	bool literal = true;
	int rc = -1;

	memset(r, 0, sizeof *r);
	if (pattern == NULL || !apath_clean(pattern, strlen(pattern)) || strchr(pattern, '\\')) {
		*err = g_strdup_printf("%s: a root is an absolute path without '.', '..', '//' or "
		                       "'\\' (wildcards * ? [..] allowed)",
		                       pattern ? pattern : "(none)");
		goto out;
	}
	parts = g_strsplit(pattern + 1, "/", -1);
	for (size_t i = 0; parts[i] != NULL; i++) {
		if (*parts[i] == 0) /* "/" alone */
			continue;
		if (literal && !wild(parts[i])) {
			g_string_append_c(prefix, '/');
			g_string_append(prefix, parts[i]);
			continue;
		}
		literal = false;
		if (r->nsegs >= APATH_MAX_SEGS) {
			*err = g_strdup_printf("%s: too many segments", pattern);
			goto out;
		}
		r->segs[r->nsegs++] = g_strdup(parts[i]);
	}
	r->pattern = g_strdup(pattern);
	r->prefix = g_strdup(prefix->len ? prefix->str : "/");
	rc = 0;
out:
	if (rc != 0)
		apath_root_free(r);
	g_strfreev(parts);
	g_string_free(prefix, TRUE);
	return rc;
}

bool apath_clean(const char *p, size_t n)
{
	size_t seg = 0;

	if (p == NULL || n == 0 || n > APATH_MAX || p[0] != '/' || memchr(p, 0, n) != NULL)
		return false;
	if (n == 1)
		return true;
	for (size_t i = 1; i <= n; i++) {
		if (i < n && p[i] != '/')
			continue;
		/* the segment p[seg+1 .. i) */
		if (i - seg - 1 == 0)
			return false;
		if (i - seg - 1 == 1 && p[seg + 1] == '.')
			return false;
		if (i - seg - 1 == 2 && p[seg + 1] == '.' && p[seg + 2] == '.')
			return false;
		seg = i;
	}
	return true;
}

bool apath_under(const struct apath_root *r, const char *path)
{
	size_t plen = strlen(r->prefix), n = strlen(path);
	const char *rest;
	char **parts;
	size_t count;
	bool ok = true;

	if (!apath_clean(path, n))
		return false;
	if (strcmp(r->prefix, "/") == 0) {
		rest = path + 1;
	} else {
		if (n <= plen + 1 || memcmp(path, r->prefix, plen) != 0 || path[plen] != '/')
			return false;
		rest = path + plen + 1;
	}
	parts = g_strsplit(rest, "/", -1);
	count = g_strv_length(parts);
	/* the root's segments, then at least the file's name */
	if (count < r->nsegs + 1)
		ok = false;
	for (size_t i = 0; ok && i < r->nsegs; i++)
		ok = fnmatch(r->segs[i], parts[i], FNM_PERIOD) == 0;
	g_strfreev(parts);
	return ok;
}

char *apath_encode(const char *bytes, size_t n)
{
	GString *o = g_string_sized_new(n + 8);
	const char *p = bytes, *end = bytes + n;

	while (p < end) {
		const char *bad;

		if (*p == '\\') {
			g_string_append(o, "\\\\");
			p++;
			continue;
		}
		/* the longest valid run, up to the next backslash */
		{
			const char *bs = memchr(p, '\\', (size_t)(end - p));
			size_t run = (size_t)((bs ? bs : end) - p);

			if (g_utf8_validate(p, (gssize)run, &bad) || bad == p + run) {
				g_string_append_len(o, p, (gssize)run);
				p += run;
				continue;
			}
			g_string_append_len(o, p, bad - p);
			p = bad;
			g_string_append_printf(o, "\\x%02x", (unsigned char)*p);
			p++;
		}
	}
	return g_string_free(o, FALSE);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *apath_decode(const char *s, size_t *n)
{
	size_t len = strlen(s), i = 0;
	char *o = g_malloc(len + 1), *q = o;

	while (i < len) {
		int v;

		if (s[i] != '\\') {
			*q++ = s[i++];
			continue;
		}
		if (i + 1 < len && s[i + 1] == '\\') {
			*q++ = '\\';
			i += 2;
			continue;
		}
		v = i + 3 < len && s[i + 1] == 'x' && hexval(s[i + 2]) >= 0 && hexval(s[i + 3]) >= 0
		            ? hexval(s[i + 2]) * 16 + hexval(s[i + 3])
		            : 0;
		if (v == 0) { /* not an escape this codec writes, or a NUL */
			g_free(o);
			return NULL;
		}
		*q++ = (char)v;
		i += 4;
	}
	*q = 0;
	*n = (size_t)(q - o);
	return o;
}
