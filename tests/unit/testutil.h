/*
 * testutil.h - helpers for the unit tests: engines from rule text, scans of
 * byte strings, lookups of findings and objects.
 */
#ifndef VIGIL_TESTUTIL_H
#define VIGIL_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "vigil/vigil.h"

static inline vigil_engine *tu_engine(const char *rules, const char *ioc_file)
{
	vigil_config *cfg = vigil_config_new();
	vigil_engine *e = NULL;
	char *err = NULL;

	if (rules != NULL)
		assert_int_equal(vigil_config_add_rules_text(cfg, "test", rules), VIGIL_OK);
	if (ioc_file != NULL)
		assert_int_equal(vigil_config_add_indicators(cfg, ioc_file), VIGIL_OK);
	if (vigil_engine_new(cfg, &e, &err) != VIGIL_OK) {
		fprintf(stderr, "engine: %s\n", err ? err : "?");
		fail();
	}
	vigil_config_free(cfg);
	return e;
}

static inline vigil_scan *tu_scan(vigil_engine *e, const void *p, size_t n, const char *name)
{
	vigil_scan *s = vigil_scan_new(e, VIGIL_SCAN_KEEP_DATA);

	assert_non_null(s);
	assert_int_equal(vigil_scan_buffer(s, p, n, name), VIGIL_OK);
	return s;
}

static inline vigil_scan *tu_scan_str(vigil_engine *e, const char *text)
{
	return tu_scan(e, text, strlen(text), NULL);
}

/* index of the first finding with this id (prefix match with '*'), or -1 */
static inline long tu_finding(const vigil_scan *s, const char *id)
{
	size_t n = vigil_scan_finding_count(s);
	size_t l = strlen(id);
	int prefix = l > 0 && id[l - 1] == '*';

	for (size_t i = 0; i < n; i++) {
		const char *fid = vigil_finding_id(vigil_scan_finding(s, i));

		if (prefix ? strncmp(fid, id, l - 1) == 0 : strcmp(fid, id) == 0)
			return (long)i;
	}
	return -1;
}

/* path of the object a finding is about */
static inline const char *tu_finding_path(const vigil_scan *s, long i)
{
	const vigil_finding *f = vigil_scan_finding(s, (size_t)i);

	return vigil_object_path(vigil_scan_object(s, vigil_finding_object(f)));
}

/* first object whose path ends with suffix, or NULL */
static inline const vigil_object *tu_object(const vigil_scan *s, const char *suffix)
{
	size_t n = vigil_scan_object_count(s), l = strlen(suffix);

	for (size_t i = 0; i < n; i++) {
		const char *p = vigil_object_path(vigil_scan_object(s, i));
		size_t pl = strlen(p);

		if (pl >= l && strcmp(p + pl - l, suffix) == 0)
			return vigil_scan_object(s, i);
	}
	return NULL;
}

static inline void tu_dump(const vigil_scan *s)
{
	for (size_t i = 0; i < vigil_scan_object_count(s); i++) {
		const vigil_object *o = vigil_scan_object(s, i);

		fprintf(stderr, "  obj %s [%s] %llu\n", vigil_object_path(o), vigil_object_type(o),
		        (unsigned long long)vigil_object_size(o));
	}
	for (size_t i = 0; i < vigil_scan_finding_count(s); i++) {
		const vigil_finding *f = vigil_scan_finding(s, i);

		fprintf(stderr, "  finding %s on %zu: %s\n", vigil_finding_id(f),
		        vigil_finding_object(f), vigil_finding_evidence(f));
	}
}

#endif
