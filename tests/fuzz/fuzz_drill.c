/*
 * fuzz_drill.c - libFuzzer harness for the drill content library
 * (src/drill/): the marker parser, the simulant-marker search and the
 * scenario loader. The first byte picks the target, the rest is the input.
 * Invariants:
 *   - a marker that parses formats back (same ref, token, signature) and a
 *     marker signed with the harness key verifies;
 *   - a simulant marker that is found is well formed;
 *   - a scenario that loads builds a message for a fixed recipient: ASCII,
 *     CRLF line ends, carrying a marker that verifies.
 * Seeds: tests/fuzz/seeds/fuzz_drill/ (given to this harness alone).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "drill/drill.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			__builtin_trap();                                                          \
	} while (0)

static const uint8_t key[DRILL_KEY_LEN] = {9, 8, 7, 6, 5, 4, 3, 2, 1};

static void marker(const uint8_t *p, size_t n)
{
	char *s = g_strndup((const char *)p, n);
	char ref[DRILL_REF_MAX + 1], tok[DRILL_TOKEN_LEN + 1], sig[DRILL_SIG_HEX + 1];

	if (drill_marker_parse(s, ref, tok, sig) == DRILL_OK) {
		char again[DRILL_MARKER_MAX], r2[DRILL_REF_MAX + 1], t2[DRILL_TOKEN_LEN + 1],
		        s2[DRILL_SIG_HEX + 1];

		CHECK(drill_ref_valid(ref) && drill_token_valid(tok) &&
		      strlen(sig) == DRILL_SIG_HEX);
		g_snprintf(again, sizeof again, "v=1; r=%s; t=%s; s=%s", ref, tok, sig);
		CHECK(drill_marker_parse(again, r2, t2, s2) == DRILL_OK);
		CHECK(strcmp(ref, r2) == 0 && strcmp(tok, t2) == 0 && strcmp(sig, s2) == 0);
		CHECK(drill_marker_format(key, ref, tok, again) == DRILL_OK);
		CHECK(drill_marker_verify(key, again) == DRILL_OK);
	} else {
		CHECK(ref[0] == 0 && tok[0] == 0 && sig[0] == 0);
	}
	g_free(s);
}

static void simulant(const uint8_t *p, size_t n)
{
	char out[DRILL_MARKER_MAX], ref[DRILL_REF_MAX + 1], tok[DRILL_TOKEN_LEN + 1],
	        sig[DRILL_SIG_HEX + 1];

	if (drill_simulant_marker_find(p, n, out) == DRILL_OK)
		CHECK(drill_marker_parse(out, ref, tok, sig) == DRILL_OK);
}

static void scenario(const uint8_t *p, size_t n)
{
	static const struct drill_recipient to = {"Nguyễn <Văn> & An", "an@bhxh.example", "Đơn vị"};
	drill_scenario *sc = NULL;
	drill_error err = {0};
	uint8_t *msg = NULL;
	size_t len = 0;

	if (drill_scenario_parse((const char *)p, n, "fuzz.json", &sc, &err) != DRILL_OK) {
		CHECK(sc == NULL && err.code != DRILL_OK && strlen(err.en) < sizeof err.en);
		return;
	}
	CHECK(drill_message_build_at(sc, key, "FUZZ-1", "abcdefghijklmnopqrstuvwxyz", &to,
	                             "https://vigild.example", 0, &msg, &len, &err) == DRILL_OK);
	for (size_t i = 0; i < len; i++) {
		CHECK(msg[i] < 0x80 && msg[i] != 0);
		if (msg[i] == '\n')
			CHECK(i > 0 && msg[i - 1] == '\r');
	}
	{
		const char *h = g_strstr_len((const char *)msg, (gssize)len, "\r\nX-Vigil-Drill: ");
		char *v;

		CHECK(h != NULL);
		h += 17;
		v = g_strndup(h, (gsize)(strstr(h, "\r\n") - h));
		CHECK(drill_marker_verify(key, v) == DRILL_OK);
		g_free(v);
	}
	free(msg);
	drill_scenario_free(sc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] % 3) {
	case 0:
		marker(data + 1, size - 1);
		break;
	case 1:
		simulant(data + 1, size - 1);
		break;
	default:
		scenario(data + 1, size - 1);
		break;
	}
	return 0;
}
