/*
 * fuzz_misp.c - libFuzzer harness for the MISP import and export
 * (src/server/misp.c): the bytes as a MISP event, then what it gave
 * exported and imported again, through MISP and through STIX
 * (exchange_props.h).
 */
#include <stddef.h>
#include <stdint.h>

#include "exchange_props.h"
#include "server/misp.h"
#include "server/stix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	misp_export_opts mo = {NULL, 1796083200000LL};
	stix_export_opts so = {NULL, 1796083200000LL};
	json_t *res = NULL, *exp = NULL, *back = NULL, *inds;
	char err[300];

	if (misp_import_buffer((const char *)data, size, NULL, &res, err, sizeof err) !=
	    EXCHANGE_OK)
		return 0;
	inds = json_object_get(res, "indicators");
	props_normal_form(inds);
	if (misp_export(inds, &mo, &exp, err, sizeof err) != EXCHANGE_OK ||
	    json_array_size(json_object_get(exp, "skipped")) != 0)
		__builtin_trap();
	if (misp_import(json_object_get(exp, "document"), NULL, &back, err, sizeof err) !=
	    EXCHANGE_OK)
		__builtin_trap();
	props_same(inds, json_object_get(back, "indicators"));
	json_decref(back);
	json_decref(exp);
	if (stix_export(inds, &so, &exp, err, sizeof err) != EXCHANGE_OK ||
	    stix_import(json_object_get(exp, "document"), NULL, &back, err, sizeof err) !=
	            EXCHANGE_OK)
		__builtin_trap();
	props_same(inds, json_object_get(back, "indicators"));
	json_decref(back);
	json_decref(exp);
	json_decref(res);
	return 0;
}
