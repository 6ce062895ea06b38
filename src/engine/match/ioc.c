/*
 * ioc.c - indicator sets loaded from plain files, matched on every scan.
 *
 * Format (docs/indicators.md): one indicator per line, '#' starts a comment
 * line, blank lines are ignored. A bare hex string of 32, 40 or 64 digits is
 * an MD5, SHA-1 or SHA-256 hash. Other kinds take a prefix:
 *   sha256: sha1: md5:   a hash
 *   sender:              an address (a@b.c), or a domain (b.c / @b.c) that
 *                        matches the sender's domain and its subdomains
 *   domain: ip:          a host, matched against URL hosts and sender domains
 *                        (subdomains included)
 *   url:                 a URL; a trailing '*' makes it a prefix
 *   subject:             case-insensitive substring of the subject
 *   filename:            attachment name (case-insensitive; * and ? globs)
 * Lines are at most 4096 bytes. Any malformed line fails the load, with
 * file:line in the message, so a typo never silently disables a block.
 */
#include "../internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../util/vbuf.h"

#define MAX_LINE 4096

struct ioc_set {
	GHashTable *hashes;  /* lower-case hex -> "" */
	GHashTable *senders; /* address -> "" */
	GHashTable *sender_domains;
	GHashTable *domains;
	GHashTable *urls;
	GPtrArray *url_prefixes; /* char* */
	GPtrArray *subjects;     /* casefolded char* */
	GHashTable *filenames;   /* casefolded */
	GPtrArray *filename_globs;
	size_t count;
};

static GHashTable *set_new(void)
{
	return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
}

void ioc_free(ioc_set *set)
{
	if (set == NULL)
		return;
	g_hash_table_destroy(set->hashes);
	g_hash_table_destroy(set->senders);
	g_hash_table_destroy(set->sender_domains);
	g_hash_table_destroy(set->domains);
	g_hash_table_destroy(set->urls);
	g_ptr_array_unref(set->url_prefixes);
	g_ptr_array_unref(set->subjects);
	g_hash_table_destroy(set->filenames);
	g_ptr_array_unref(set->filename_globs);
	g_free(set);
}

size_t ioc_count(const ioc_set *set)
{
	return set ? set->count : 0;
}

static bool is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isxdigit(s[i]))
			return false;
	return true;
}

static char *norm_host(const char *h)
{
	char *d = g_ascii_strdown(h, -1);
	size_t n = strlen(d);

	while (n > 0 && d[n - 1] == '.')
		d[--n] = 0;
	return d;
}

/* lower-case scheme and host, drop a trailing '/' */
static char *norm_url(const char *u)
{
	const char *sep = strstr(u, "://");
	GString *out = g_string_new(NULL);
	const char *host, *rest;

	if (sep == NULL) {
		g_string_append(out, u);
	} else {
		host = sep + 3;
		rest = host + strcspn(host, "/?#");
		for (const char *p = u; p < rest; p++)
			g_string_append_c(out, g_ascii_tolower(*p));
		g_string_append(out, rest);
	}
	if (out->len > 0 && out->str[out->len - 1] == '/')
		g_string_truncate(out, out->len - 1);
	return g_string_free(out, FALSE);
}

static bool add_line(ioc_set *set, char *line)
{
	char *colon, *val;
	size_t n = strlen(line);

	if ((n == 32 || n == 40 || n == 64) && is_hex(line, n)) {
		g_hash_table_add(set->hashes, g_ascii_strdown(line, -1));
		return true;
	}
	colon = strchr(line, ':');
	if (colon == NULL)
		return false;
	*colon = 0;
	val = g_strstrip(colon + 1);
	if (*val == 0)
		return false;
	if (strcmp(line, "sha256") == 0 || strcmp(line, "sha1") == 0 || strcmp(line, "md5") == 0) {
		size_t want = line[1] == 'h' ? (line[3] == '2' ? 64 : 40) : 32;

		if (strlen(val) != want || !is_hex(val, want))
			return false;
		g_hash_table_add(set->hashes, g_ascii_strdown(val, -1));
	} else if (strcmp(line, "sender") == 0) {
		if (*val == '@')
			val++;
		if (strchr(val, '@') != NULL)
			g_hash_table_add(set->senders, g_ascii_strdown(val, -1));
		else if (*val != 0)
			g_hash_table_add(set->sender_domains, norm_host(val));
		else
			return false;
	} else if (strcmp(line, "domain") == 0 || strcmp(line, "ip") == 0) {
		if (strchr(val, '/') != NULL || strchr(val, '@') != NULL)
			return false;
		g_hash_table_add(set->domains, norm_host(val));
	} else if (strcmp(line, "url") == 0) {
		size_t l = strlen(val);

		if (strstr(val, "://") == NULL)
			return false;
		if (val[l - 1] == '*') {
			val[l - 1] = 0;
			g_ptr_array_add(set->url_prefixes, norm_url(val));
		} else {
			g_hash_table_add(set->urls, norm_url(val));
		}
	} else if (strcmp(line, "subject") == 0) {
		g_ptr_array_add(set->subjects, g_utf8_casefold(val, -1));
	} else if (strcmp(line, "filename") == 0) {
		char *f = g_utf8_casefold(val, -1);

		if (strpbrk(f, "*?") != NULL)
			g_ptr_array_add(set->filename_globs, f);
		else
			g_hash_table_add(set->filenames, f);
	} else {
		return false;
	}
	return true;
}

static vigil_err load_file(ioc_set *set, const char *path, vbuf *err, int *nerr)
{
	FILE *f = fopen(path, "r");
	char buf[MAX_LINE + 2];
	unsigned lineno = 0;

	if (f == NULL) {
		vbuf_printf(err, "%s: cannot open: %s\n", path, g_strerror(errno));
		(*nerr)++;
		return VIGIL_EIO;
	}
	while (fgets(buf, sizeof buf, f) != NULL) {
		size_t n = strlen(buf);
		char *line;

		lineno++;
		if (n > 0 && buf[n - 1] != '\n' && !feof(f)) {
			int ch;

			vbuf_printf(err, "%s:%u: line longer than %d bytes\n", path, lineno,
			            MAX_LINE);
			(*nerr)++;
			while ((ch = fgetc(f)) != EOF && ch != '\n')
				;
			continue;
		}
		line = g_strstrip(buf);
		if (*line == 0 || *line == '#')
			continue;
		if (!g_utf8_validate(line, -1, NULL) || !add_line(set, line)) {
			if (*nerr < 10)
				vbuf_printf(
				        err,
				        "%s:%u: not an indicator (expected a hash or kind:value)\n",
				        path, lineno);
			(*nerr)++;
			continue;
		}
		set->count++;
	}
	fclose(f);
	return VIGIL_OK;
}

vigil_err ioc_load(const vigil_config *cfg, ioc_set **out, char **errmsg)
{
	ioc_set *set = g_new0(ioc_set, 1);
	vbuf err;
	int nerr = 0;

	set->hashes = set_new();
	set->senders = set_new();
	set->sender_domains = set_new();
	set->domains = set_new();
	set->urls = set_new();
	set->url_prefixes = g_ptr_array_new_with_free_func(g_free);
	set->subjects = g_ptr_array_new_with_free_func(g_free);
	set->filenames = set_new();
	set->filename_globs = g_ptr_array_new_with_free_func(g_free);
	vbuf_init(&err, 4096);
	for (guint i = 0; i < cfg->ioc_paths->len; i++)
		load_file(set, g_ptr_array_index(cfg->ioc_paths, i), &err, &nerr);
	if (nerr > 0) {
		if (errmsg != NULL) {
			vbuf_terminate(&err);
			*errmsg = strdup(err.data ? (const char *)err.data : "indicator error");
		}
		vbuf_free(&err);
		ioc_free(set);
		*out = NULL;
		return VIGIL_EIOC;
	}
	vbuf_free(&err);
	*out = set;
	return VIGIL_OK;
}

void ioc_match_object(vigil_scan *s, vigil_object *o)
{
	ioc_set *set = s->eng->iocs;

	if (set == NULL || set->count == 0)
		return;
	if (g_hash_table_contains(set->hashes, o->sha256))
		vfinding_add(s, o, F_IOC_HASH, "sha256 %s", o->sha256);
	else if (g_hash_table_contains(set->hashes, o->sha1))
		vfinding_add(s, o, F_IOC_HASH, "sha1 %s", o->sha1);
	else if (g_hash_table_contains(set->hashes, o->md5))
		vfinding_add(s, o, F_IOC_HASH, "md5 %s", o->md5);
	if (o->name != NULL &&
	    (g_hash_table_size(set->filenames) > 0 || set->filename_globs->len > 0)) {
		char *f = g_utf8_casefold(o->name, -1);
		bool hit = g_hash_table_contains(set->filenames, f);

		for (guint i = 0; !hit && i < set->filename_globs->len; i++)
			hit = g_pattern_match_simple(g_ptr_array_index(set->filename_globs, i), f);
		if (hit)
			vfinding_add(s, o, F_IOC_FILENAME, "%s", o->name);
		g_free(f);
	}
}

/* host equals d or is a subdomain of it */
static const char *domain_hit(GHashTable *set, const char *host)
{
	const char *p = host;

	while (p != NULL && *p) {
		if (g_hash_table_contains(set, p))
			return p;
		p = strchr(p, '.');
		if (p != NULL)
			p++;
	}
	return NULL;
}

static char *addr_domain(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at ? norm_host(at + 1) : NULL;
}

static void match_sender(vigil_scan *s, vigil_object *root, ioc_set *set, const char *addr)
{
	char *low = g_ascii_strdown(addr, -1);
	char *dom = addr_domain(low);

	if (g_hash_table_contains(set->senders, low))
		vfinding_add(s, root, F_IOC_SENDER, "%s", addr);
	else if (dom != NULL && domain_hit(set->sender_domains, dom))
		vfinding_add(s, root, F_IOC_SENDER, "%s", addr);
	if (dom != NULL && domain_hit(set->domains, dom))
		vfinding_add(s, root, F_IOC_DOMAIN, "sender domain %s", dom);
	g_free(dom);
	g_free(low);
}

void ioc_match_facts(vigil_scan *s)
{
	ioc_set *set = s->eng->iocs;
	vigil_object *root = vscan_object(s, 0);
	GPtrArray *a;

	if (set == NULL || set->count == 0 || root == NULL)
		return;
	a = s->facts[VIGIL_FACT_FROM];
	for (guint i = 0; i < a->len; i++)
		match_sender(s, root, set, g_ptr_array_index(a, i));
	a = s->facts[VIGIL_FACT_ENVELOPE_FROM];
	for (guint i = 0; i < a->len; i++)
		match_sender(s, root, set, g_ptr_array_index(a, i));
	a = s->facts[VIGIL_FACT_DOMAIN];
	for (guint i = 0; i < a->len; i++) {
		char *h = norm_host(g_ptr_array_index(a, i));
		const char *d = domain_hit(set->domains, h);

		if (d != NULL)
			vfinding_add(s, root, F_IOC_DOMAIN, "%s (listed: %s)", h, d);
		g_free(h);
	}
	a = s->facts[VIGIL_FACT_URL];
	for (guint i = 0; i < a->len; i++) {
		char *u = norm_url(g_ptr_array_index(a, i));
		bool hit = g_hash_table_contains(set->urls, u);

		for (guint j = 0; !hit && j < set->url_prefixes->len; j++)
			hit = g_str_has_prefix(u, g_ptr_array_index(set->url_prefixes, j));
		if (hit)
			vfinding_add(s, root, F_IOC_URL, "%s", u);
		g_free(u);
	}
	a = s->facts[VIGIL_FACT_SUBJECT];
	for (guint i = 0; i < a->len && set->subjects->len > 0; i++) {
		char *subj = g_utf8_casefold(g_ptr_array_index(a, i), -1);

		for (guint j = 0; j < set->subjects->len; j++) {
			if (strstr(subj, g_ptr_array_index(set->subjects, j)) != NULL) {
				vfinding_add(s, root, F_IOC_SUBJECT, "%s",
				             (const char *)g_ptr_array_index(a, i));
				break;
			}
		}
		g_free(subj);
	}
}
