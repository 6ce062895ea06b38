/*
 * bytes.h - reading integers and digits out of untrusted bytes.
 *
 * Little- and big-endian loads (the caller has checked the bounds), digit
 * values for hex and base64, and a cursor whose every read is checked
 * against its end without arithmetic that can overflow.
 */
#ifndef VIGIL_UTIL_BYTES_H
#define VIGIL_UTIL_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

static inline uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static inline uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* value of a hex digit, or -1 */
static inline int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* value of a base64 digit (RFC 4648 alphabet), or -1 */
static inline int b64val(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* a bounded reader: off never passes n */
struct cursor {
	const uint8_t *p;
	size_t n, off;
};

static inline bool cur_u32(struct cursor *c, uint32_t *v)
{
	if (4 > c->n - c->off)
		return false;
	*v = le32(c->p + c->off);
	c->off += 4;
	return true;
}

static inline bool cur_skip(struct cursor *c, size_t k)
{
	if (k > c->n - c->off)
		return false;
	c->off += k;
	return true;
}

#endif
