/*
 * engine.c - configuration and the compiled, shared engine.
 *
 * A vigil_config is a plain list of settings; vigil_engine_new() turns it
 * into an immutable engine (compiled YARA rules, indicator sets, limits) that
 * any number of threads may scan with at once. Engines are reference counted
 * so that a reload can swap in a new one while scans in flight finish with
 * the old one.
 */
#include "internal.h"

#include <errno.h>
#include <gmime/gmime.h>
#include <gsf/gsf-utils.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint64_t default_limits[VIGIL_LIMIT__COUNT] = {
        [VIGIL_LIMIT_DEPTH] = 16,
        [VIGIL_LIMIT_OBJECTS] = 5000,
        [VIGIL_LIMIT_TOTAL_BYTES] = 256ull << 20,
        [VIGIL_LIMIT_OBJECT_BYTES] = 64ull << 20,
        [VIGIL_LIMIT_RATIO] = 250,
        [VIGIL_LIMIT_TIME_MS] = 30000,
        [VIGIL_LIMIT_MIME_DEPTH] = 64,
};

static const char *const limit_names[VIGIL_LIMIT__COUNT] = {
        [VIGIL_LIMIT_DEPTH] = "depth",
        [VIGIL_LIMIT_OBJECTS] = "objects",
        [VIGIL_LIMIT_TOTAL_BYTES] = "total_bytes",
        [VIGIL_LIMIT_OBJECT_BYTES] = "object_bytes",
        [VIGIL_LIMIT_RATIO] = "ratio",
        [VIGIL_LIMIT_TIME_MS] = "time_ms",
        [VIGIL_LIMIT_MIME_DEPTH] = "mime_depth",
};

const char *vigil_strerror(vigil_err e)
{
	switch (e) {
	case VIGIL_OK:
		return "success";
	case VIGIL_ENOMEM:
		return "out of memory";
	case VIGIL_EINVAL:
		return "invalid argument";
	case VIGIL_EIO:
		return "input/output error";
	case VIGIL_ERULES:
		return "rules failed to compile";
	case VIGIL_EIOC:
		return "indicator file has errors";
	case VIGIL_ESTATE:
		return "call not allowed in this state";
	case VIGIL_EINTERNAL:
		return "internal error (a bug; please report it)";
	}
	return "unknown error";
}

const char *vigil_verdict_name(vigil_verdict v)
{
	switch (v) {
	case VIGIL_CLEAN:
		return "clean";
	case VIGIL_SUSPICIOUS:
		return "suspicious";
	case VIGIL_MALICIOUS:
		return "malicious";
	}
	return "unknown";
}

static const char *const sev_names[] = {"info", "low", "medium", "high", "critical"};

const char *vigil_severity_name(vigil_severity s)
{
	if ((unsigned)s < G_N_ELEMENTS(sev_names))
		return sev_names[s];
	return "unknown";
}

int vigil_severity_parse(const char *s)
{
	if (s == NULL)
		return -1;
	for (size_t i = 0; i < G_N_ELEMENTS(sev_names); i++)
		if (g_ascii_strcasecmp(s, sev_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *vigil_limit_name(vigil_limit l)
{
	if ((unsigned)l < VIGIL_LIMIT__COUNT)
		return limit_names[l];
	return "unknown";
}

void vigil_free(void *p)
{
	free(p);
}

/* ---- library initialisation (once per process) ---- */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void lib_init(void)
{
	g_mime_init();
	gsf_init();
}

void vigil_lib_init(void)
{
	pthread_once(&init_once, lib_init);
}

/* ---- config ---- */

vigil_config *vigil_config_new(void)
{
	vigil_config *cfg = calloc(1, sizeof *cfg);

	if (cfg == NULL)
		return NULL;
	memcpy(cfg->limits, default_limits, sizeof cfg->limits);
	cfg->rule_paths = g_ptr_array_new_with_free_func(g_free);
	cfg->rule_texts = g_ptr_array_new_with_free_func(g_free);
	cfg->ioc_paths = g_ptr_array_new_with_free_func(g_free);
	cfg->sev_globs = g_ptr_array_new();
	cfg->options = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	                                     (GDestroyNotify)g_ptr_array_unref);
	return cfg;
}

static void sev_override_free(gpointer p)
{
	struct sev_override *o = p;

	g_free(o->glob);
	g_free(o);
}

void vigil_config_free(vigil_config *cfg)
{
	if (cfg == NULL)
		return;
	g_ptr_array_unref(cfg->rule_paths);
	g_ptr_array_unref(cfg->rule_texts);
	g_ptr_array_unref(cfg->ioc_paths);
	g_ptr_array_set_free_func(cfg->sev_globs, sev_override_free);
	g_ptr_array_unref(cfg->sev_globs);
	g_hash_table_destroy(cfg->options);
	free(cfg);
}

vigil_err vigil_config_set_limit(vigil_config *cfg, vigil_limit l, uint64_t value)
{
	if (cfg == NULL || (unsigned)l >= VIGIL_LIMIT__COUNT || value == 0)
		return VIGIL_EINVAL;
	cfg->limits[l] = value;
	return VIGIL_OK;
}

uint64_t vigil_config_get_limit(const vigil_config *cfg, vigil_limit l)
{
	if (cfg == NULL || (unsigned)l >= VIGIL_LIMIT__COUNT)
		return 0;
	return cfg->limits[l];
}

vigil_err vigil_config_add_rules(vigil_config *cfg, const char *path)
{
	if (cfg == NULL || path == NULL)
		return VIGIL_EINVAL;
	g_ptr_array_add(cfg->rule_paths, g_strdup(path));
	return VIGIL_OK;
}

vigil_err vigil_config_add_rules_text(vigil_config *cfg, const char *name, const char *text)
{
	if (cfg == NULL || name == NULL || text == NULL)
		return VIGIL_EINVAL;
	g_ptr_array_add(cfg->rule_texts, g_strdup(name));
	g_ptr_array_add(cfg->rule_texts, g_strdup(text));
	return VIGIL_OK;
}

vigil_err vigil_config_add_indicators(vigil_config *cfg, const char *path)
{
	if (cfg == NULL || path == NULL)
		return VIGIL_EINVAL;
	g_ptr_array_add(cfg->ioc_paths, g_strdup(path));
	return VIGIL_OK;
}

static void options_add(GHashTable *t, const char *key, const char *value)
{
	GPtrArray *a = g_hash_table_lookup(t, key);

	if (a == NULL) {
		a = g_ptr_array_new_with_free_func(g_free);
		g_hash_table_insert(t, g_strdup(key), a);
	}
	g_ptr_array_add(a, g_strdup(value));
}

vigil_err vigil_config_set_option(vigil_config *cfg, const char *key, const char *value)
{
	if (cfg == NULL || key == NULL || value == NULL || *key == 0)
		return VIGIL_EINVAL;
	options_add(cfg->options, key, value);
	return VIGIL_OK;
}

vigil_err vigil_config_load_options(vigil_config *cfg, const char *path)
{
	FILE *f;
	char line[4096];
	vigil_err rc = VIGIL_OK;

	if (cfg == NULL || path == NULL)
		return VIGIL_EINVAL;
	f = fopen(path, "r");
	if (f == NULL)
		return VIGIL_EIO;
	while (fgets(line, sizeof line, f) != NULL) {
		char *p = g_strstrip(line), *eq;

		if (*p == '#' || *p == 0)
			continue;
		eq = strchr(p, '=');
		if (eq == NULL) {
			rc = VIGIL_EINVAL;
			continue;
		}
		*eq = 0;
		vigil_config_set_option(cfg, g_strstrip(p), g_strstrip(eq + 1));
	}
	fclose(f);
	return rc;
}

const GPtrArray *veng_option_list(const vigil_engine *e, const char *key)
{
	return e->options ? g_hash_table_lookup(e->options, key) : NULL;
}

const char *veng_option(const vigil_engine *e, const char *key, const char *def)
{
	const GPtrArray *a = veng_option_list(e, key);

	return a != NULL && a->len > 0 ? g_ptr_array_index(a, a->len - 1) : def;
}

long long veng_option_int(const vigil_engine *e, const char *key, long long def)
{
	const char *v = veng_option(e, key, NULL);
	char *end;
	long long x;

	if (v == NULL)
		return def;
	x = strtoll(v, &end, 10);
	return end != v && *end == 0 ? x : def;
}

vigil_err vigil_config_set_rule_severity(vigil_config *cfg, const char *glob, vigil_severity s)
{
	struct sev_override *o;

	if (cfg == NULL || glob == NULL || (unsigned)s > VIGIL_SEV_CRITICAL)
		return VIGIL_EINVAL;
	o = g_new0(struct sev_override, 1);
	o->glob = g_strdup(glob);
	o->sev = s;
	g_ptr_array_add(cfg->sev_globs, o);
	return VIGIL_OK;
}

vigil_err vigil_config_load_rule_severity(vigil_config *cfg, const char *path)
{
	FILE *f;
	char line[512];
	vigil_err rc = VIGIL_OK;

	if (cfg == NULL || path == NULL)
		return VIGIL_EINVAL;
	f = fopen(path, "r");
	if (f == NULL)
		return VIGIL_EIO;
	while (fgets(line, sizeof line, f) != NULL) {
		char *p = g_strstrip(line);
		char **w;
		int sev;

		if (*p == '#' || *p == 0)
			continue;
		w = g_strsplit_set(p, " \t", 2);
		if (w[0] == NULL || w[1] == NULL) {
			g_strfreev(w);
			rc = VIGIL_EINVAL;
			continue;
		}
		sev = vigil_severity_parse(g_strstrip(w[1]));
		if (sev < 0)
			rc = VIGIL_EINVAL;
		else
			vigil_config_set_rule_severity(cfg, w[0], (vigil_severity)sev);
		g_strfreev(w);
	}
	fclose(f);
	return rc;
}

/* ---- engine ---- */

vigil_err vigil_engine_new(const vigil_config *cfg, vigil_engine **out, char **errmsg)
{
	vigil_engine *e;
	vigil_err rc;

	if (errmsg != NULL)
		*errmsg = NULL;
	if (cfg == NULL || out == NULL)
		return VIGIL_EINVAL;
	*out = NULL;
	vigil_lib_init();
	e = calloc(1, sizeof *e);
	if (e == NULL)
		return VIGIL_ENOMEM;
	e->magic = VENG_MAGIC;
	e->refs = 1;
	memcpy(e->limits, cfg->limits, sizeof e->limits);
	e->options = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	                                   (GDestroyNotify)g_ptr_array_unref);
	{
		GHashTableIter it;
		gpointer k, v;

		g_hash_table_iter_init(&it, cfg->options);
		while (g_hash_table_iter_next(&it, &k, &v)) {
			GPtrArray *a = v;

			for (guint i = 0; i < a->len; i++)
				options_add(e->options, k, g_ptr_array_index(a, i));
		}
	}
	e->sev_globs = g_ptr_array_new_with_free_func(sev_override_free);
	for (guint i = 0; i < cfg->sev_globs->len; i++) {
		const struct sev_override *src = g_ptr_array_index(cfg->sev_globs, i);
		struct sev_override *o = g_new0(struct sev_override, 1);

		o->glob = g_strdup(src->glob);
		o->sev = src->sev;
		g_ptr_array_add(e->sev_globs, o);
	}
	rc = yara_compile(cfg, e, errmsg);
	if (rc != VIGIL_OK)
		goto fail;
	rc = ioc_load(cfg, &e->iocs, errmsg);
	if (rc != VIGIL_OK)
		goto fail;
	*out = e;
	return VIGIL_OK;
fail:
	vigil_engine_unref(e);
	return rc;
}

vigil_engine *vigil_engine_ref(vigil_engine *e)
{
	if (e != NULL)
		g_atomic_int_inc(&e->refs);
	return e;
}

void vigil_engine_unref(vigil_engine *e)
{
	if (e == NULL)
		return;
	g_assert(e->magic == VENG_MAGIC);
	if (!g_atomic_int_dec_and_test(&e->refs))
		return;
	yara_free(e);
	ioc_free(e->iocs);
	g_ptr_array_unref(e->sev_globs);
	if (e->options != NULL)
		g_hash_table_destroy(e->options);
	e->magic = 0xdeadbeef;
	free(e);
}

size_t vigil_engine_rule_count(const vigil_engine *e)
{
	return e != NULL ? e->rule_count : 0;
}

size_t vigil_engine_indicator_count(const vigil_engine *e)
{
	return e != NULL ? ioc_count(e->iocs) : 0;
}
