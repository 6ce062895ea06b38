/*
 * exchange_props.h - properties the exchange harnesses (fuzz_stix.c,
 * fuzz_misp.c) check on every input that imports: each indicator is in
 * normal form (exchange_check() leaves it unchanged), and exporting the
 * indicators and importing them again gives the same ones back. A broken
 * property is a crash (__builtin_trap), so libFuzzer keeps the input.
 */
#ifndef VIGIL_FUZZ_EXCHANGE_PROPS_H
#define VIGIL_FUZZ_EXCHANGE_PROPS_H

#include <string.h>

#include "server/exchange.h"

static void props_normal_form(const json_t *inds)
{
	size_t i;
	json_t *e;

	json_array_foreach(inds, i, e)
	{
		const char *type = json_string_value(json_object_get(e, "type"));
		const char *value = json_string_value(json_object_get(e, "value"));
		char *norm = NULL;

		if (exchange_check(type, value, &norm) != NULL || strcmp(norm, value) != 0)
			__builtin_trap();
		if (exchange_tlp_parse(json_string_value(json_object_get(e, "tlp"))) ==
		    EXCHANGE_TLP_NONE)
			__builtin_trap();
		g_free(norm);
	}
}

/* the same indicators: type, value, description, TLP and source */
static void props_same(const json_t *a, const json_t *b)
{
	static const char *const keys[] = {"type", "value", "description", "tlp", "source"};

	if (json_array_size(a) != json_array_size(b))
		__builtin_trap();
	for (size_t i = 0; i < json_array_size(a); i++)
		for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
			if (!json_equal(json_object_get(json_array_get(a, i), keys[k]),
			                json_object_get(json_array_get(b, i), keys[k])))
				__builtin_trap();
}

#endif
