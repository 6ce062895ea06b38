/*
 * office.c - helpers shared by the Office analyzers (see office.h).
 *
 * The XML helpers read start tags and text as bytes: no DOM, no namespaces
 * beyond ignoring the prefix, entities decoded as they appear (no DTD
 * expansion, so no entity bombs). Every read is bounded by the caller's
 * length and by OFFICE_MAX_ATTR / OFFICE_MAX_TAG.
 */
#include "office.h"

#include <stdlib.h>
#include <string.h>

#include "../../util/bytes.h"

#define OFFICE_MAX_ATTR 4096
#define OFFICE_MAX_TAG 65536

const char *office_rel(vigil_scan *s, const vigil_object *o, const char *ptype,
                       vigil_object **parent)
{
	vigil_object *p;
	size_t n;

	if (o->parent == SIZE_MAX)
		return NULL;
	p = vscan_object(s, o->parent);
	if (p == NULL || p->type == NULL || strcmp(p->type, ptype) != 0)
		return NULL;
	n = strlen(p->path);
	if (strncmp(o->path, p->path, n) != 0 || o->path[n] != '/')
		return NULL;
	if (parent != NULL)
		*parent = p;
	return o->path + n + 1;
}

static void office_put_utf8(vbuf *b, gunichar c)
{
	char u[8];
	int k;

	if (c == 0 || !g_unichar_validate(c))
		c = 0xFFFD;
	k = g_unichar_to_utf8(c, u);
	vbuf_append(b, u, (size_t)k);
}

void office_xml_text(vbuf *b, const uint8_t *p, size_t n)
{
	static const struct {
		const char *name;
		char c;
	} named[] = {{"amp;", '&'}, {"lt;", '<'}, {"gt;", '>'}, {"quot;", '"'}, {"apos;", '\''}};

	for (size_t i = 0; i < n; i++) {
		bool done = false;

		if (p[i] != '&') {
			vbuf_putc(b, p[i]);
			continue;
		}
		for (size_t k = 0; k < G_N_ELEMENTS(named) && !done; k++) {
			size_t l = strlen(named[k].name);

			if (l <= n - i - 1 && memcmp(p + i + 1, named[k].name, l) == 0) {
				vbuf_putc(b, (uint8_t)named[k].c);
				i += l;
				done = true;
			}
		}
		if (!done && n - i > 3 && p[i + 1] == '#') {
			bool hex = p[i + 2] == 'x' || p[i + 2] == 'X';
			size_t j = i + (hex ? 3 : 2);
			uint32_t v = 0;
			unsigned digits = 0;

			while (j < n && digits < 8) {
				int d = hex ? hexval(p[j])
				            : (p[j] >= '0' && p[j] <= '9' ? p[j] - '0' : -1);

				if (d < 0)
					break;
				v = v * (hex ? 16 : 10) + (uint32_t)d;
				j++;
				digits++;
			}
			if (digits > 0 && j < n && p[j] == ';') {
				office_put_utf8(b, v);
				i = j;
				done = true;
			}
		}
		if (!done)
			vbuf_putc(b, '&');
	}
}

size_t office_tag_len(const uint8_t *p, size_t n)
{
	char quote = 0;
	size_t lim = n < OFFICE_MAX_TAG ? n : OFFICE_MAX_TAG;

	for (size_t i = 1; i < lim; i++) {
		if (quote != 0) {
			if (p[i] == quote)
				quote = 0;
		} else if (p[i] == '"' || p[i] == '\'') {
			quote = (char)p[i];
		} else if (p[i] == '>') {
			return i + 1;
		} else if (p[i] == '<') {
			return 0;
		}
	}
	return 0;
}

bool office_tag_is(const uint8_t *p, size_t n, const char *local)
{
	size_t i = 1, name_end, l = strlen(local), start;

	if (n < 2 || p[0] != '<')
		return false;
	while (i < n &&
	       (g_ascii_isalnum(p[i]) || p[i] == ':' || p[i] == '_' || p[i] == '-' || p[i] == '.'))
		i++;
	name_end = i;
	start = name_end;
	while (start > 1 && p[start - 1] != ':')
		start--;
	return name_end - start == l && memcmp(p + start, local, l) == 0;
}

char *office_attr(const uint8_t *tag, size_t n, const char *name)
{
	size_t l = strlen(name), i = 1;

	/* skip the element name */
	while (i < n && tag[i] != ' ' && tag[i] != '\t' && tag[i] != '\r' && tag[i] != '\n' &&
	       tag[i] != '>' && tag[i] != '/')
		i++;
	while (i < n) {
		size_t ns, ne, vs, ve;
		char q;
		vbuf b;

		while (i < n &&
		       (tag[i] == ' ' || tag[i] == '\t' || tag[i] == '\r' || tag[i] == '\n'))
			i++;
		ns = i;
		while (i < n && tag[i] != '=' && tag[i] != ' ' && tag[i] != '>' && tag[i] != '/' &&
		       tag[i] != '\t' && tag[i] != '\r' && tag[i] != '\n')
			i++;
		ne = i;
		while (i < n &&
		       (tag[i] == ' ' || tag[i] == '\t' || tag[i] == '\r' || tag[i] == '\n'))
			i++;
		if (i >= n || tag[i] != '=') {
			if (i < n && (tag[i] == '>' || tag[i] == '/'))
				i++;
			if (ne == ns)
				i++;
			continue;
		}
		i++;
		while (i < n &&
		       (tag[i] == ' ' || tag[i] == '\t' || tag[i] == '\r' || tag[i] == '\n'))
			i++;
		if (i >= n || (tag[i] != '"' && tag[i] != '\''))
			return NULL;
		q = (char)tag[i++];
		vs = i;
		while (i < n && tag[i] != q)
			i++;
		ve = i;
		i++;
		{
			size_t s2 = ns;

			for (size_t k = ns; k < ne; k++)
				if (tag[k] == ':')
					s2 = k + 1;
			if (ne - s2 != l || memcmp(tag + s2, name, l) != 0)
				continue;
		}
		vbuf_init(&b, OFFICE_MAX_ATTR);
		office_xml_text(&b, tag + vs, ve - vs);
		vbuf_terminate(&b);
		{
			size_t len;
			uint8_t *d = vbuf_steal(&b, &len);
			char *r = g_strndup(d != NULL ? (const char *)d : "", len);

			free(d);
			return r;
		}
	}
	return NULL;
}

bool office_remote(const char *t)
{
	static const char *const schemes[] = {"http:",      "https:", "ftp:", "mhtml:", "ms-",
	                                      "search-ms:", "ldap:",  "res:", NULL};

	while (*t == ' ' || *t == '\t')
		t++;
	for (const char *const *s = schemes; *s != NULL; s++)
		if (g_ascii_strncasecmp(t, *s, strlen(*s)) == 0)
			return true;
	/* \\host\share or //host/share */
	if ((t[0] == '\\' && t[1] == '\\') || (t[0] == '/' && t[1] == '/'))
		return true;
	/* file://host/... (but file:///C:/... and file://localhost/ are local) */
	if (g_ascii_strncasecmp(t, "file:", 5) == 0) {
		const char *h = t + 5;

		if ((h[0] == '/' || h[0] == '\\') && (h[1] == '/' || h[1] == '\\')) {
			h += 2;
			if (*h == '/' || *h == '\\')
				return h[1] == '/' || h[1] == '\\'; /* file:////host */
			if (g_ascii_strncasecmp(h, "localhost", 9) == 0)
				return false;
			return *h != 0 && !(g_ascii_isalpha(h[0]) && h[1] == ':');
		}
	}
	return false;
}

void office_url_fact(vigil_scan *s, const char *u, size_t n)
{
	const char *h = memchr(u, ':', n);
	char *url, *host;
	size_t hs, he;

	if (h == NULL || n - (size_t)(h - u) < 4 || h[1] != '/' || h[2] != '/')
		return;
	if (!(g_ascii_strncasecmp(u, "http:", 5) == 0 || g_ascii_strncasecmp(u, "https:", 6) == 0 ||
	      g_ascii_strncasecmp(u, "ftp:", 4) == 0))
		return;
	hs = (size_t)(h - u) + 3;
	he = hs;
	while (he < n && strchr("/?#:@", u[he]) == NULL)
		he++;
	if (he < n && u[he] == '@') { /* user@host */
		hs = he + 1;
		he = hs;
		while (he < n && strchr("/?#:", u[he]) == NULL)
			he++;
	}
	if (he == hs)
		return;
	url = g_strndup(u, n);
	host = g_ascii_strdown(u + hs, (gssize)(he - hs));
	vscan_fact(s, VIGIL_FACT_URL, url);
	if (strchr(host, '.') != NULL)
		vscan_fact(s, VIGIL_FACT_DOMAIN, host);
	g_free(url);
	g_free(host);
}
