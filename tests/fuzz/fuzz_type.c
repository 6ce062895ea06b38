/*
 * fuzz_type.c - libFuzzer harness for one content type (FUZZ_TYPE): the
 * bytes are scanned as if detection had said so, so each extractor and
 * analyzer gets fuzzed on its own without the fuzzer having to discover
 * the format's magic first. Built once per type (tests/fuzz/meson.build).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "engine/internal.h"

#ifndef FUZZ_TYPE
#error "FUZZ_TYPE must name a content type"
#endif

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
	vigil_config_set_option(cfg, "protected_domains", "bhxh.gov.vn");
	/* links.c / sender.c: names and brands to compare against */
	vigil_config_set_option(cfg, "protected_names", "BHXH, Nguyễn Văn An");
	vigil_config_set_option(cfg, "brand_domains", "microsoft.com, gmail.com, zalo.me");
	if (vigil_engine_new(cfg, &e, NULL) != VIGIL_OK)
		__builtin_trap();
	vigil_config_free(cfg);
	return e;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vigil_scan *s = vigil_scan_new(engine(), 0);
	size_t sum = 0;

	/* both directions over time: outbound enables the data-loss checks */
	vigil_scan_set_direction(s, size % 2 ? VIGIL_DIR_OUTBOUND : VIGIL_DIR_INBOUND);
	vscan_buffer_typed(s, data, size, "fuzz", FUZZ_TYPE);
	for (size_t i = 0; i < vigil_scan_finding_count(s); i++) {
		const vigil_finding *f = vigil_scan_finding(s, i);

		sum += strlen(vigil_finding_id(f)) + strlen(vigil_finding_evidence(f));
		if (vigil_finding_object(f) >= vigil_scan_object_count(s))
			__builtin_trap();
	}
	for (size_t i = 0; i < vigil_scan_object_count(s); i++)
		sum += strlen(vigil_object_path(vigil_scan_object(s, i)));
	vigil_scan_free(s);
	return sum == (size_t)-1;
}
