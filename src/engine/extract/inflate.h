/*
 * inflate.h - raw DEFLATE / Deflate64 decoding into a bounded buffer.
 */
#ifndef VIGIL_EXTRACT_INFLATE_H
#define VIGIL_EXTRACT_INFLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../util/vbuf.h"

enum {
	INFL_OK = 0,        /* the final block ended */
	INFL_FULL = 1,      /* out reached its maximum */
	INFL_TRUNCATED = 2, /* input ended early; out holds what was decoded */
	INFL_BAD = 3        /* invalid data; out holds what was decoded */
};

/* Decodes a raw deflate stream (no zlib header) from in into out. */
int inflate_raw(const uint8_t *in, size_t inlen, vbuf *out, bool deflate64, size_t *consumed);

#endif
