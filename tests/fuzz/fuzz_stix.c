/*
 * fuzz_stix.c - libFuzzer harness for the STIX 2.1 import and export
 * (src/server/stix.c): the bytes as a bundle, then what it gave exported
 * and imported again (exchange_props.h), and the bytes as a bare pattern.
 */
#include <stddef.h>
#include <stdint.h>

#include "exchange_props.h"
#include "server/stix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ignore_ok(void *arg, const char *type, const char *value)
{
	(void)arg;
	if (type == NULL || value == NULL)
		__builtin_trap();
}

static void ignore_bad(void *arg, const char *reason)
{
	(void)arg;
	if (reason == NULL)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	stix_export_opts eo = {NULL, 1796083200000LL};
	stix_pattern_cb cb = {ignore_ok, ignore_bad, NULL};
	json_t *res = NULL, *exp = NULL, *back = NULL;
	char err[300];

	(void)stix_pattern_parse((const char *)data, size, &cb, err, sizeof err);
	if (stix_import_buffer((const char *)data, size, NULL, &res, err, sizeof err) !=
	    EXCHANGE_OK)
		return 0;
	props_normal_form(json_object_get(res, "indicators"));
	if (stix_export(json_object_get(res, "indicators"), &eo, &exp, err, sizeof err) !=
	            EXCHANGE_OK ||
	    json_array_size(json_object_get(exp, "skipped")) != 0)
		__builtin_trap();
	if (stix_import(json_object_get(exp, "document"), NULL, &back, err, sizeof err) !=
	    EXCHANGE_OK)
		__builtin_trap();
	props_same(json_object_get(res, "indicators"), json_object_get(back, "indicators"));
	json_decref(back);
	json_decref(exp);
	json_decref(res);
	return 0;
}
