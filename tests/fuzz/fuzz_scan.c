/*
 * fuzz_scan.c - libFuzzer harness: the whole scan on arbitrary bytes.
 *
 * Every extractor and analyzer is reached through type detection, so seeds
 * of each format (tests/fuzz/seeds/, ../shared/testdata) steer the fuzzer
 * into each parser. Limits are small so that one input stays fast; every
 * string the result exposes is read, so that a bad pointer shows up here
 * and not in a caller.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vigil/vigil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static vigil_engine *engine(void)
{
	static vigil_engine *e;
	vigil_config *cfg;

	if (e != NULL)
		return e;
	cfg = vigil_config_new();
	vigil_config_set_limit(cfg, VIGIL_LIMIT_TIME_MS, 3000);
	vigil_config_set_limit(cfg, VIGIL_LIMIT_TOTAL_BYTES, 32u << 20);
	vigil_config_set_limit(cfg, VIGIL_LIMIT_OBJECT_BYTES, 16u << 20);
	vigil_config_set_limit(cfg, VIGIL_LIMIT_OBJECTS, 500);
	vigil_config_add_rules_text(
	        cfg, "fuzz", "rule fuzz_marker { strings: $a = \"VIGILFUZZ\" condition: $a }");
	if (vigil_engine_new(cfg, &e, NULL) != VIGIL_OK)
		__builtin_trap();
	vigil_config_free(cfg);
	return e;
}

static size_t touch(const char *s)
{
	return s != NULL ? strlen(s) : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vigil_scan *s = vigil_scan_new(engine(), 0);
	size_t sum = 0;

	/* both directions over time: outbound enables the data-loss checks */
	vigil_scan_set_direction(s, size % 2 ? VIGIL_DIR_OUTBOUND : VIGIL_DIR_INBOUND);
	vigil_scan_buffer(s, data, size, "fuzz.bin");
	for (size_t i = 0; i < vigil_scan_object_count(s); i++) {
		const vigil_object *o = vigil_scan_object(s, i);

		sum += touch(vigil_object_path(o)) + touch(vigil_object_name(o)) +
		       touch(vigil_object_type(o)) + touch(vigil_object_mime(o)) +
		       touch(vigil_object_sha256(o)) + touch(vigil_object_part(o));
	}
	for (size_t i = 0; i < vigil_scan_finding_count(s); i++) {
		const vigil_finding *f = vigil_scan_finding(s, i);

		sum += touch(vigil_finding_id(f)) + touch(vigil_finding_evidence(f)) +
		       touch(vigil_finding_title(f, VIGIL_LANG_VI)) +
		       touch(vigil_finding_attack(f));
		if (vigil_finding_object(f) >= vigil_scan_object_count(s))
			__builtin_trap();
	}
	for (int k = 0; k < VIGIL_FACT__COUNT; k++)
		for (size_t i = 0; i < vigil_scan_fact_count(s, (vigil_fact)k); i++)
			sum += touch(vigil_scan_fact(s, (vigil_fact)k, i));
	/* a scan that hit a limit must never be clean */
	for (size_t i = 0; i < vigil_scan_finding_count(s); i++)
		if (strncmp(vigil_finding_id(vigil_scan_finding(s, i)), "limit.", 6) == 0 &&
		    vigil_scan_verdict(s) == VIGIL_CLEAN)
			__builtin_trap();
	vigil_scan_free(s);
	return sum == (size_t)-1;
}
