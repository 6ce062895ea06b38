/*
 * iocfile.c - vigil's indicator files <-> indicator JSON.
 *
 * The engine reads indicator files (src/engine/match/ioc.c): one indicator
 * per line, "kind:value" or a bare hash, '#' comments. This module turns
 * such a file into the indicator JSON that stix.c and misp.c export, and
 * writes indicator JSON (what they import) as a file the engine loads.
 *
 * Writing is where hostile input meets a line-based format: every value
 * passes exchange_check() (no control characters, so no value can end its
 * line and start another) and descriptions are cleaned the same way before
 * they become comment lines. Values the engine's kinds cannot hold are
 * listed in "skipped" instead of written: Message-IDs (no such kind).
 *
 * Reading maps the file's kinds to indicator types; "sender:DOMAIN" (a
 * sender domain) has no type of its own and becomes "domain", which the
 * engine also matches against sender domains (and URL hosts besides).
 *
 * Limits: lines of IOCFILE_MAX_LINE bytes as the engine, the document and
 * indicator counts of exchange.h.
 */
#include "iocfile.h"

#include <stdio.h>
#include <string.h>

/* one line (NUL-terminated, stripped) -> type and raw value, or a reason */
static const char *parse_line(char *line, const char **type, const char **value)
{
	size_t n = strlen(line);
	char *colon;

	if ((n == 32 || n == 40 || n == 64) && strspn(line, "0123456789abcdefABCDEF") == n) {
		*type = n == 32 ? "md5" : n == 40 ? "sha1" : "sha256";
		*value = line;
		return NULL;
	}
	colon = strchr(line, ':');
	if (colon == NULL)
		return "neither a hash nor kind:value";
	*colon = 0;
	*value = g_strstrip(colon + 1);
	if (strcmp(line, "sha256") == 0 || strcmp(line, "sha1") == 0 || strcmp(line, "md5") == 0) {
		*type = strcmp(line, "md5") == 0    ? "md5"
		        : strcmp(line, "sha1") == 0 ? "sha1"
		                                    : "sha256";
	} else if (strcmp(line, "sender") == 0) {
		if (**value == '@')
			(*value)++;
		*type = strchr(*value, '@') != NULL ? "email" : "domain";
	} else if (strcmp(line, "domain") == 0) {
		*type = "domain";
	} else if (strcmp(line, "ip") == 0) {
		*type = exchange_host_type(*value);
		if (strcmp(*type, "domain") == 0)
			return "ip: needs an IPv4 or IPv6 address";
	} else if (strcmp(line, "url") == 0) {
		*type = "url";
	} else if (strcmp(line, "subject") == 0) {
		*type = "subject";
	} else if (strcmp(line, "filename") == 0) {
		*type = "filename";
	} else {
		return "unknown kind (sha256, sha1, md5, sender, domain, ip, url, subject, "
		       "filename)";
	}
	return NULL;
}

exchange_err iocfile_read(const char *text, size_t len, const iocfile_read_opts *o, json_t **out,
                          char *err, size_t errlen)
{
	static const iocfile_read_opts defaults = {0};
	enum exchange_tlp tlp;
	exchange_ctx c;
	GString *comment = g_string_new(NULL);
	bool comment_open = false; /* the last non-blank line was a comment */
	const char *p = text, *end = text + len;
	size_t lineno = 0;

	*out = NULL;
	if (o == NULL)
		o = &defaults;
	if (text == NULL && len > 0)
		return EXCHANGE_EINVAL;
	if (len > EXCHANGE_MAX_BYTES) {
		snprintf(err, errlen, "file of %zu bytes; the limit is %u", len,
		         EXCHANGE_MAX_BYTES);
		g_string_free(comment, TRUE);
		return EXCHANGE_ELIMIT;
	}
	tlp = exchange_tlp_parse(o->tlp);
	if (tlp == EXCHANGE_TLP_NONE)
		tlp = EXCHANGE_TLP_AMBER;
	exchange_ctx_init(&c);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		char num[24], *line, *s;
		const char *type, *value, *why;
		char *norm = NULL;

		lineno++;
		snprintf(num, sizeof num, "%zu", lineno);
		if (n > IOCFILE_MAX_LINE) {
			exchange_skip(&c, "line", num, "longer than %u bytes", IOCFILE_MAX_LINE);
			p = nl != NULL ? nl + 1 : end;
			continue;
		}
		line = g_strndup(p, n);
		p = nl != NULL ? nl + 1 : end;
		if (strlen(line) != n || !g_utf8_validate(line, -1, NULL)) {
			exchange_skip(&c, "line", num, "not UTF-8 text");
			g_free(line);
			continue;
		}
		s = g_strstrip(line);
		if (*s == 0) {
			g_string_truncate(comment, 0);
			comment_open = false;
			g_free(line);
			continue;
		}
		if (*s == '#') {
			char *t = g_strstrip(s + 1);

			if (!comment_open)
				g_string_truncate(comment, 0);
			if (*t && comment->len < EXCHANGE_MAX_DESCRIPTION) {
				if (comment->len > 0)
					g_string_append_c(comment, ' ');
				g_string_append(comment, t);
			}
			comment_open = true;
			g_free(line);
			continue;
		}
		comment_open = false;
		why = parse_line(s, &type, &value);
		if (why == NULL)
			why = exchange_check(type, value, &norm);
		if (why != NULL)
			exchange_skip(&c, "line", num, "%s", why);
		else
			exchange_add(&c, type, norm, comment->str, tlp, -1, -1,
			             o->source != NULL ? o->source : "vigil");
		g_free(norm);
		g_free(line);
	}
	g_string_free(comment, TRUE);
	*out = exchange_result(&c, "vigil", lineno);
	exchange_ctx_free(&c);
	return *out != NULL ? EXCHANGE_OK : EXCHANGE_ENOMEM;
}

static const char *prefix_of(const char *type)
{
	if (exchange_type_is_hash(type))
		return type;
	if (strcmp(type, "email") == 0)
		return "sender";
	if (strcmp(type, "ipv4") == 0 || strcmp(type, "ipv6") == 0)
		return "ip";
	if (strcmp(type, "message_id") == 0)
		return NULL;
	return type; /* domain, url, subject, filename */
}

exchange_err iocfile_write(const json_t *indicators, const char *header, char **text,
                           json_t *skipped, char *err, size_t errlen)
{
	GString *g = g_string_new(NULL);
	char *last = NULL;
	exchange_ctx c;
	size_t i;
	json_t *e;

	*text = NULL;
	if (!json_is_array(indicators)) {
		snprintf(err, errlen, "indicators must be an array");
		g_string_free(g, TRUE);
		return EXCHANGE_EFORMAT;
	}
	exchange_ctx_init(&c);
	if (header != NULL) {
		char **lines = g_strsplit(header, "\n", 64);

		for (char **l = lines; *l != NULL; l++) {
			char *t = exchange_clean_text(*l, 1000);

			g_string_append_printf(g, "# %s\n", t);
			g_free(t);
		}
		g_strfreev(lines);
		g_string_append_c(g, '\n');
	}
	json_array_foreach(indicators, i, e)
	{
		exchange_ind ind;
		const char *pre;
		char *d;

		if (!exchange_ind_read(&c, e, i, EXCHANGE_TLP_AMBER, &ind))
			continue;
		pre = prefix_of(ind.type);
		if (pre == NULL) {
			exchange_skip(&c, ind.type, ind.value,
			              "the engine's indicator files have no kind for it");
			exchange_ind_clear(&ind);
			continue;
		}
		d = exchange_clean_text(ind.desc, EXCHANGE_MAX_DESCRIPTION);
		g_strstrip(d);
		if (last == NULL || strcmp(last, d) != 0) {
			if (last != NULL)
				g_string_append_c(g, '\n');
			if (*d)
				g_string_append_printf(g, "# %s\n", d);
			g_free(last);
			last = g_strdup(d);
		}
		g_string_append_printf(g, "%s:%s\n", pre, ind.value);
		g_free(d);
		exchange_ind_clear(&ind);
	}
	g_free(last);
	if (skipped != NULL) {
		size_t k;
		json_t *s;

		json_array_foreach(c.skipped, k, s)
		{
			if (json_array_append(skipped, s) != 0)
				c.oom = true;
		}
	}
	if (c.oom) {
		exchange_ctx_free(&c);
		g_string_free(g, TRUE);
		return EXCHANGE_ENOMEM;
	}
	exchange_ctx_free(&c);
	*text = g_string_free(g, FALSE);
	return EXCHANGE_OK;
}
