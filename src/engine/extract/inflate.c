/*
 * inflate.c - DEFLATE and Deflate64 ("enhanced deflate") decoding.
 *
 * libarchive (3.6) cannot unpack zip members stored with method 9,
 * Deflate64, which Windows Explorer writes for large files and which
 * attackers use because many scanners skip it. This is a small decoder
 * written from RFC 1951 with the Deflate64 changes: a 64 KiB window,
 * distance codes 30 and 31 (base 32769 and 49153, 14 extra bits), and
 * length code 285 meaning 3 + 16 extra bits instead of 258.
 *
 * The output is a bounded vbuf that doubles as the window (a back reference
 * may reach only bytes already written), so the decoder needs no other
 * memory and cannot write past the buffer's maximum: a full buffer stops it
 * with INFL_FULL. Every read of the input is bounds-checked. Speed is
 * secondary (this is a fallback path); codes are decoded canonically,
 * one bit at a time.
 */
#include "inflate.h"

#include <pthread.h>
#include <string.h>

#define MAXBITS 15
#define MAXLCODES 288
#define MAXDCODES 32

struct bits {
	const uint8_t *p;
	size_t n, pos; /* pos in bytes */
	unsigned acc, cnt;
};

struct huff {
	uint16_t count[MAXBITS + 1];
	uint16_t symbol[MAXLCODES];
};

static int need(struct bits *b, unsigned n, unsigned *out)
{
	while (b->cnt < n) {
		if (b->pos >= b->n)
			return INFL_TRUNCATED;
		b->acc |= (unsigned)b->p[b->pos++] << b->cnt;
		b->cnt += 8;
	}
	*out = n == 0 ? 0 : b->acc & ((1u << n) - 1);
	b->acc = n >= 32 ? 0 : b->acc >> n;
	b->cnt -= n;
	return INFL_OK;
}

/* canonical Huffman table from code lengths; returns <0 if over-subscribed */
static int build(struct huff *h, const uint8_t *len, unsigned n)
{
	uint16_t offs[MAXBITS + 1];
	int left = 1;

	memset(h->count, 0, sizeof h->count);
	for (unsigned s = 0; s < n; s++)
		h->count[len[s]]++;
	if (h->count[0] == n)
		return 0; /* no codes: allowed, decoding one is an error */
	for (unsigned l = 1; l <= MAXBITS; l++) {
		left <<= 1;
		left -= h->count[l];
		if (left < 0)
			return -1;
	}
	offs[1] = 0;
	for (unsigned l = 1; l < MAXBITS; l++)
		offs[l + 1] = (uint16_t)(offs[l] + h->count[l]);
	for (unsigned s = 0; s < n; s++)
		if (len[s] != 0)
			h->symbol[offs[len[s]]++] = (uint16_t)s;
	return left;
}

static int decode(struct bits *b, const struct huff *h, unsigned *sym)
{
	int code = 0, first = 0, index = 0;

	for (unsigned l = 1; l <= MAXBITS; l++) {
		unsigned bit;
		int count;

		if (need(b, 1, &bit) != INFL_OK)
			return INFL_TRUNCATED;
		code |= (int)bit;
		count = h->count[l];
		if (code - count < first) {
			*sym = h->symbol[index + (code - first)];
			return INFL_OK;
		}
		index += count;
		first += count;
		first <<= 1;
		code <<= 1;
	}
	return INFL_BAD;
}

static const uint16_t len_base[29] = {3,  4,  5,  6,   7,   8,   9,   10,  11, 13,
                                      15, 17, 19, 23,  27,  31,  35,  43,  51, 59,
                                      67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t len_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                      2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const uint32_t dist_base[32] = {1,    2,    3,    4,     5,     7,     9,     13,
                                       17,   25,   33,   49,    65,    97,    129,   193,
                                       257,  385,  513,  769,   1025,  1537,  2049,  3073,
                                       4097, 6145, 8193, 12289, 16385, 24577, 32769, 49153};
static const uint8_t dist_extra[32] = {0, 0, 0, 0, 1, 1, 2,  2,  3,  3,  4,  4,  5,  5,  6,  6,
                                       7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14};

static int codes(struct bits *b, vbuf *out, const struct huff *lh, const struct huff *dh, bool d64)
{
	for (;;) {
		unsigned sym, extra, dsym;
		size_t len, dist;

		int rc = decode(b, lh, &sym);

		if (rc != INFL_OK)
			return rc;
		if (sym < 256) {
			if (vbuf_putc(out, (uint8_t)sym) != VBUF_OK)
				return INFL_FULL;
			continue;
		}
		if (sym == 256)
			return INFL_OK;
		sym -= 257;
		if (sym >= 29)
			return INFL_BAD;
		if (d64 && sym == 28) {
			if (need(b, 16, &extra) != INFL_OK)
				return INFL_TRUNCATED;
			len = 3 + (size_t)extra;
		} else {
			if (need(b, len_extra[sym], &extra) != INFL_OK)
				return INFL_TRUNCATED;
			len = len_base[sym] + (size_t)extra;
		}
		rc = decode(b, dh, &dsym);
		if (rc != INFL_OK)
			return rc;
		if (dsym >= (d64 ? 32u : 30u))
			return INFL_BAD;
		if (need(b, dist_extra[dsym], &extra) != INFL_OK)
			return INFL_TRUNCATED;
		dist = dist_base[dsym] + (size_t)extra;
		if (dist > out->len)
			return INFL_BAD; /* reaches before the start */
		for (size_t i = 0; i < len; i++)
			if (vbuf_putc(out, out->data[out->len - dist]) != VBUF_OK)
				return INFL_FULL;
	}
}

static struct huff fixed_lit, fixed_dist;
static pthread_once_t fixed_once = PTHREAD_ONCE_INIT;

static void fixed_init(void)
{
	uint8_t l[MAXLCODES];
	unsigned s;

	for (s = 0; s < 144; s++)
		l[s] = 8;
	for (; s < 256; s++)
		l[s] = 9;
	for (; s < 280; s++)
		l[s] = 7;
	for (; s < MAXLCODES; s++)
		l[s] = 8;
	build(&fixed_lit, l, MAXLCODES);
	for (s = 0; s < MAXDCODES; s++)
		l[s] = 5;
	build(&fixed_dist, l, MAXDCODES);
}

static int fixed_block(struct bits *b, vbuf *out, bool d64)
{
	pthread_once(&fixed_once, fixed_init);
	return codes(b, out, &fixed_lit, &fixed_dist, d64);
}

static int dynamic_block(struct bits *b, vbuf *out, bool d64)
{
	static const uint8_t order[19] = {16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
	                                  11, 4,  12, 3, 13, 2, 14, 1, 15};
	uint8_t lengths[MAXLCODES + MAXDCODES];
	struct huff lh, dh;
	unsigned nlen, ndist, ncode, v, index;

	if (need(b, 5, &nlen) != INFL_OK || need(b, 5, &ndist) != INFL_OK ||
	    need(b, 4, &ncode) != INFL_OK)
		return INFL_TRUNCATED;
	nlen += 257;
	ndist += 1;
	ncode += 4;
	if (nlen > 286 || ndist > (d64 ? 32u : 30u))
		return INFL_BAD;
	memset(lengths, 0, sizeof lengths);
	for (index = 0; index < ncode; index++) {
		if (need(b, 3, &v) != INFL_OK)
			return INFL_TRUNCATED;
		lengths[order[index]] = (uint8_t)v;
	}
	if (build(&lh, lengths, 19) != 0)
		return INFL_BAD; /* the code-length code must be complete */
	index = 0;
	while (index < nlen + ndist) {
		unsigned sym, rep, len = 0;
		int rc = decode(b, &lh, &sym);

		if (rc != INFL_OK)
			return rc;
		if (sym < 16) {
			lengths[index++] = (uint8_t)sym;
			continue;
		}
		if (sym == 16) {
			if (index == 0)
				return INFL_BAD;
			len = lengths[index - 1];
			if (need(b, 2, &rep) != INFL_OK)
				return INFL_TRUNCATED;
			rep += 3;
		} else if (sym == 17) {
			if (need(b, 3, &rep) != INFL_OK)
				return INFL_TRUNCATED;
			rep += 3;
		} else {
			if (need(b, 7, &rep) != INFL_OK)
				return INFL_TRUNCATED;
			rep += 11;
		}
		if (rep > nlen + ndist - index)
			return INFL_BAD;
		while (rep--)
			lengths[index++] = (uint8_t)len;
	}
	if (lengths[256] == 0)
		return INFL_BAD; /* no end-of-block code */
	{
		int r = build(&lh, lengths, nlen);

		if (r < 0 || (r > 0 && nlen - lh.count[0] != 1))
			return INFL_BAD;
		r = build(&dh, lengths + nlen, ndist);
		if (r < 0 || (r > 0 && ndist - dh.count[0] != 1))
			return INFL_BAD;
	}
	return codes(b, out, &lh, &dh, d64);
}

static int stored_block(struct bits *b, vbuf *out)
{
	unsigned len, nlen;

	b->acc = 0; /* go to a byte boundary */
	b->cnt = 0;
	if (b->n - b->pos < 4)
		return INFL_TRUNCATED;
	len = (unsigned)b->p[b->pos] | (unsigned)b->p[b->pos + 1] << 8;
	nlen = (unsigned)b->p[b->pos + 2] | (unsigned)b->p[b->pos + 3] << 8;
	b->pos += 4;
	if (len != (~nlen & 0xffff))
		return INFL_BAD;
	if (len > b->n - b->pos) {
		vbuf_append(out, b->p + b->pos, b->n - b->pos);
		return INFL_TRUNCATED;
	}
	if (vbuf_append(out, b->p + b->pos, len) != VBUF_OK)
		return INFL_FULL;
	b->pos += len;
	return INFL_OK;
}

int inflate_raw(const uint8_t *in, size_t inlen, vbuf *out, bool deflate64, size_t *consumed)
{
	struct bits b = {in, inlen, 0, 0, 0};
	unsigned last = 0, type;
	int rc = INFL_OK;

	do {
		if (need(&b, 1, &last) != INFL_OK || need(&b, 2, &type) != INFL_OK) {
			rc = INFL_TRUNCATED;
			break;
		}
		if (type == 0)
			rc = stored_block(&b, out);
		else if (type == 1)
			rc = fixed_block(&b, out, deflate64);
		else if (type == 2)
			rc = dynamic_block(&b, out, deflate64);
		else
			rc = INFL_BAD;
	} while (rc == INFL_OK && !last);
	if (consumed != NULL)
		*consumed = b.pos;
	return rc;
}
