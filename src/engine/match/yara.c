/*
 * yara.c - YARA rules, compiled once per engine and run on every object.
 *
 * Each rule file gets its own namespace (its path). In a directory, files
 * that another file there includes are not loaded on their own, so an index
 * file and its parts do not match every rule twice; a rule that still
 * matches under two namespaces is reported once.
 * Compiled rules are immutable and shared; each scan has its own
 * YR_SCANNER (scanners are not thread-safe, rules are).
 *
 * External variables every rule may use: vigil_type (our content type),
 * vigil_name (declared name or ""), vigil_depth (0 for the input itself).
 *
 * Severity of a match: the rule's meta "severity" (info..critical), else
 * "score" (0-100), else "weight" (x10), else medium; then overrides from the
 * configuration (glob on the rule name) win.
 */
#include "../internal.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yara.h>

#include "../../util/vbuf.h"

static pthread_once_t yr_once = PTHREAD_ONCE_INIT;
static int yr_init_rc;

static void yr_init(void)
{
	yr_init_rc = yr_initialize();
}

struct compile_ctx {
	vbuf errors;
	int nerr;
};

static void compile_cb(int level, const char *file, int line, const YR_RULE *rule, const char *msg,
                       void *user)
{
	struct compile_ctx *c = user;

	(void)rule;
	if (level != YARA_ERROR_LEVEL_ERROR)
		return;
	c->nerr++;
	if (c->nerr <= 10)
		vbuf_printf(&c->errors, "%s:%d: %s\n", file ? file : "(rules)", line, msg);
}

static bool is_rule_file(const char *name)
{
	return g_str_has_suffix(name, ".yar") || g_str_has_suffix(name, ".yara");
}

static int add_file(YR_COMPILER *comp, const char *path, struct compile_ctx *c)
{
	FILE *f = fopen(path, "r");
	int n;

	if (f == NULL) {
		c->nerr++;
		vbuf_printf(&c->errors, "%s: cannot open: %s\n", path, g_strerror(errno));
		return 1;
	}
	n = yr_compiler_add_file(comp, f, path, path);
	fclose(f);
	return n;
}

static gint cmp_str_ptr(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(char *const *)a, *(char *const *)b);
}

/* Collects rule files under dir (bounded depth), in name order. */
static void collect_dir(const char *dir, GPtrArray *files, struct compile_ctx *c, int level)
{
	GPtrArray *names;
	DIR *d;
	struct dirent *de;

	if (level > 16 || files->len > 100000)
		return;
	d = opendir(dir);
	if (d == NULL) {
		c->nerr++;
		vbuf_printf(&c->errors, "%s: cannot open: %s\n", dir, g_strerror(errno));
		return;
	}
	names = g_ptr_array_new_with_free_func(g_free);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		g_ptr_array_add(names, g_build_filename(dir, de->d_name, NULL));
	}
	closedir(d);
	g_ptr_array_sort(names, cmp_str_ptr);
	for (guint i = 0; i < names->len; i++) {
		const char *p = g_ptr_array_index(names, i);
		struct stat st;

		if (stat(p, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			collect_dir(p, files, c, level + 1);
		else if (S_ISREG(st.st_mode) && is_rule_file(p))
			g_ptr_array_add(files, g_strdup(p));
	}
	g_ptr_array_unref(names);
}

/* Adds to set the real paths of the files that `include "..."` lines name. */
static void note_includes(const char *file, GHashTable *set)
{
	char *text = NULL, *dir;
	gsize len;
	char **lines;

	if (!g_file_get_contents(file, &text, &len, NULL))
		return;
	dir = g_path_get_dirname(file);
	lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l != NULL; l++) {
		char *p = g_strstrip(*l), *q, *full, *real;

		if (!g_str_has_prefix(p, "include"))
			continue;
		p = strchr(p, '"');
		if (p == NULL || (q = strchr(p + 1, '"')) == NULL)
			continue;
		*q = 0;
		full = g_path_is_absolute(p + 1) ? g_strdup(p + 1)
		                                 : g_build_filename(dir, p + 1, NULL);
		real = realpath(full, NULL);
		if (real != NULL)
			g_hash_table_add(set, real);
		g_free(full);
	}
	g_strfreev(lines);
	g_free(dir);
	g_free(text);
}

/*
 * Adds every rule file under dir, except files another file there includes
 * (an index file and its parts would otherwise match every rule twice).
 */
static int add_dir(YR_COMPILER *comp, const char *dir, struct compile_ctx *c)
{
	GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
	GHashTable *included = g_hash_table_new_full(g_str_hash, g_str_equal, free, NULL);
	int errs = 0;

	collect_dir(dir, files, c, 0);
	for (guint i = 0; i < files->len; i++)
		note_includes(g_ptr_array_index(files, i), included);
	for (guint i = 0; i < files->len && errs == 0; i++) {
		const char *p = g_ptr_array_index(files, i);
		char *real = realpath(p, NULL);
		bool skip = real != NULL && g_hash_table_contains(included, real);

		free(real);
		if (!skip)
			errs += add_file(comp, p, c);
	}
	g_hash_table_destroy(included);
	g_ptr_array_unref(files);
	return errs;
}

vigil_err yara_compile(const vigil_config *cfg, vigil_engine *e, char **errmsg)
{
	YR_COMPILER *comp = NULL;
	YR_RULES *rules = NULL;
	struct compile_ctx c;
	vigil_err rc = VIGIL_OK;
	int errs = 0;

	if (cfg->rule_paths->len == 0 && cfg->rule_texts->len == 0)
		return VIGIL_OK;
	pthread_once(&yr_once, yr_init);
	if (yr_init_rc != ERROR_SUCCESS)
		return VIGIL_ERULES;
	vbuf_init(&c.errors, 8192);
	c.nerr = 0;
	if (yr_compiler_create(&comp) != ERROR_SUCCESS) {
		rc = VIGIL_ENOMEM;
		goto out;
	}
	yr_compiler_set_callback(comp, compile_cb, &c);
	yr_compiler_define_string_variable(comp, "vigil_type", "");
	yr_compiler_define_string_variable(comp, "vigil_name", "");
	yr_compiler_define_integer_variable(comp, "vigil_depth", 0);
	for (guint i = 0; i < cfg->rule_paths->len && errs == 0; i++) {
		const char *p = g_ptr_array_index(cfg->rule_paths, i);
		struct stat st;

		if (stat(p, &st) != 0) {
			c.nerr++;
			vbuf_printf(&c.errors, "%s: %s\n", p, g_strerror(errno));
			errs++;
		} else if (S_ISDIR(st.st_mode)) {
			errs += add_dir(comp, p, &c);
		} else {
			errs += add_file(comp, p, &c);
		}
	}
	for (guint i = 0; i + 1 < cfg->rule_texts->len && errs == 0; i += 2) {
		const char *name = g_ptr_array_index(cfg->rule_texts, i);
		const char *text = g_ptr_array_index(cfg->rule_texts, i + 1);

		errs += yr_compiler_add_string(comp, text, name);
	}
	if (errs || c.nerr) {
		rc = VIGIL_ERULES;
		goto out;
	}
	if (yr_compiler_get_rules(comp, &rules) != ERROR_SUCCESS) {
		rc = VIGIL_ENOMEM;
		goto out;
	}
	e->yara_rules = rules;
	{
		YR_RULE *r;
		size_t n = 0;

		yr_rules_foreach (rules, r)
			n++;
		e->rule_count = n;
	}
out:
	if (rc != VIGIL_OK && errmsg != NULL) {
		vbuf_terminate(&c.errors);
		*errmsg =
		        c.errors.data ? strdup((const char *)c.errors.data) : strdup("rules error");
	}
	vbuf_free(&c.errors);
	if (comp != NULL)
		yr_compiler_destroy(comp);
	return rc;
}

void yara_free(vigil_engine *e)
{
	if (e->yara_rules != NULL)
		yr_rules_destroy(e->yara_rules);
	e->yara_rules = NULL;
}

void yara_scanner_free(vigil_scan *s)
{
	if (s->yara_scanner != NULL)
		yr_scanner_destroy(s->yara_scanner);
	s->yara_scanner = NULL;
}

struct match_ctx {
	vigil_scan *s;
	vigil_object *o;
};

static const char *meta_string(const YR_RULE *r, const char *key)
{
	const YR_META *m;

	yr_rule_metas_foreach (r, m) {
		if (g_ascii_strcasecmp(m->identifier, key) == 0 && m->type == META_TYPE_STRING)
			return m->string;
	}
	return NULL;
}

static bool meta_int(const YR_RULE *r, const char *key, int64_t *v)
{
	const YR_META *m;

	yr_rule_metas_foreach (r, m) {
		if (g_ascii_strcasecmp(m->identifier, key) != 0)
			continue;
		if (m->type == META_TYPE_INTEGER) {
			*v = m->integer;
			return true;
		}
		if (m->type == META_TYPE_STRING && m->string != NULL) {
			char *end;
			long long x = strtoll(m->string, &end, 10);

			if (end != m->string && *end == 0) {
				*v = x;
				return true;
			}
		}
	}
	return false;
}

static vigil_severity score_to_sev(int64_t score)
{
	if (score >= 100)
		return VIGIL_SEV_CRITICAL;
	if (score >= 60)
		return VIGIL_SEV_HIGH;
	if (score >= 30)
		return VIGIL_SEV_MEDIUM;
	if (score > 0)
		return VIGIL_SEV_LOW;
	return VIGIL_SEV_INFO;
}

static vigil_severity rule_severity(const vigil_engine *e, const YR_RULE *r)
{
	vigil_severity sev = VIGIL_SEV_MEDIUM;
	const char *s = meta_string(r, "severity");
	int64_t v;
	int p;

	if (s != NULL && (p = vigil_severity_parse(s)) >= 0)
		sev = (vigil_severity)p;
	else if (meta_int(r, "score", &v))
		sev = score_to_sev(v);
	else if (meta_int(r, "weight", &v))
		sev = score_to_sev(v * 10);
	for (guint i = 0; i < e->sev_globs->len; i++) {
		const struct sev_override *o = g_ptr_array_index(e->sev_globs, i);

		if (g_pattern_match_simple(o->glob, r->identifier))
			sev = o->sev;
	}
	return sev;
}

static int match_cb(YR_SCAN_CONTEXT *ctx, int message, void *data, void *user)
{
	struct match_ctx *m = user;
	const YR_RULE *r = data;
	char id[300], ev[400];
	const char *desc, *desc_vi, *attack;
	const YR_STRING *str;
	size_t evlen = 0;

	if (message != CALLBACK_MSG_RULE_MATCHING)
		return CALLBACK_CONTINUE;
	g_snprintf(id, sizeof id, "yara.%s", r->identifier);
	desc = meta_string(r, "description");
	desc_vi = meta_string(r, "description_vi");
	attack = meta_string(r, "attack");
	/* evidence: the first matched strings and where */
	ev[0] = 0;
	yr_rule_strings_foreach (r, str) {
		/*
		 * libyara 4.2 keeps matches in an arena without 8-byte alignment,
		 * so they are copied out rather than dereferenced in place.
		 */
		const void *at = ctx->matches[str->idx].head;
		YR_MATCH mt;

		while (at != NULL) {
			int n;

			memcpy(&mt, at, sizeof mt);
			at = mt.next;
			if (mt.is_private)
				continue;
			n = g_snprintf(ev + evlen, sizeof ev - evlen, "%s%s@%lld", evlen ? " " : "",
			               str->identifier, (long long)mt.offset);
			if (n < 0 || (size_t)n >= sizeof ev - evlen) {
				ev[evlen] = 0;
				goto done;
			}
			evlen += (size_t)n;
			break; /* one offset per string is enough */
		}
	}
done : {
	char title[400];

	g_snprintf(title, sizeof title, "YARA rule %s: %s", r->identifier, desc ? desc : "matched");
	vfinding_add_custom(m->s, m->o, id, rule_severity(m->s->eng, r), title,
	                    desc_vi ? desc_vi : title, attack ? attack : "", ev);
}
	return CALLBACK_CONTINUE;
}

void yara_scan_object(vigil_scan *s, vigil_object *o)
{
	YR_SCANNER *sc = s->yara_scanner;
	struct match_ctx m = {s, o};
	gint64 left_ms;
	int rc;

	if (s->eng->yara_rules == NULL)
		return;
	if (sc == NULL) {
		if (yr_scanner_create(s->eng->yara_rules, &sc) != ERROR_SUCCESS)
			return;
		s->yara_scanner = sc;
		/* our own memory: no need for per-call signal handlers */
		yr_scanner_set_flags(sc, SCAN_FLAGS_FAST_MODE | SCAN_FLAGS_NO_TRYCATCH);
	}
	left_ms = (s->deadline_us - g_get_monotonic_time()) / 1000;
	yr_scanner_set_timeout(sc, left_ms > 1000 ? (int)(left_ms / 1000) : 1);
	yr_scanner_set_callback(sc, match_cb, &m);
	yr_scanner_define_string_variable(sc, "vigil_type", o->type);
	yr_scanner_define_string_variable(sc, "vigil_name", o->name ? o->name : "");
	yr_scanner_define_integer_variable(sc, "vigil_depth", o->depth);
	rc = yr_scanner_scan_mem(sc, o->data ? o->data : (const uint8_t *)"", o->len);
	if (rc == ERROR_SCAN_TIMEOUT) {
		vscan_limit(s, o, VIGIL_LIMIT_TIME_MS, "rule matching ran out of time");
		s->stopped = true;
	} else if (rc != ERROR_SUCCESS) {
		vfinding_add(s, o, F_YARA_ERROR, "libyara error %d", rc);
	}
}
