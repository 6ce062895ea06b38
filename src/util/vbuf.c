/*
 * vbuf - bounded, length-tracked byte buffers (see vbuf.h).
 * Growth doubles the capacity, never past max (+1 for an optional NUL).
 */
#include "vbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void vbuf_init(vbuf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void vbuf_free(vbuf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

static int grow(vbuf *b, size_t want)
{
	size_t ncap;
	uint8_t *p;

	if (want <= b->cap)
		return VBUF_OK;
	ncap = b->cap ? b->cap : 256;
	while (ncap < want) {
		if (ncap > SIZE_MAX / 2) {
			ncap = want;
			break;
		}
		ncap *= 2;
	}
	/* one byte over max is allowed for the terminator */
	if (b->max < SIZE_MAX && ncap > b->max + 1)
		ncap = b->max + 1;
	if (ncap < want)
		return VBUF_FULL;
	p = realloc(b->data, ncap);
	if (p == NULL)
		return VBUF_NOMEM;
	b->data = p;
	b->cap = ncap;
	return VBUF_OK;
}

uint8_t *vbuf_reserve(vbuf *b, size_t n)
{
	if (n > b->max - b->len)
		return NULL;
	if (grow(b, b->len + n) != VBUF_OK)
		return NULL;
	return b->data + b->len;
}

int vbuf_append(vbuf *b, const void *p, size_t n)
{
	size_t room = b->max - b->len;
	size_t take = n < room ? n : room;
	int rc;

	if (take > 0) {
		rc = grow(b, b->len + take);
		if (rc != VBUF_OK)
			return rc;
		memcpy(b->data + b->len, p, take);
		b->len += take;
	}
	return take == n ? VBUF_OK : VBUF_FULL;
}

int vbuf_putc(vbuf *b, uint8_t c)
{
	if (b->len < b->cap) {
		if (b->len >= b->max)
			return VBUF_FULL;
		b->data[b->len++] = c;
		return VBUF_OK;
	}
	return vbuf_append(b, &c, 1);
}

int vbuf_terminate(vbuf *b)
{
	int rc = grow(b, b->len + 1);

	if (rc != VBUF_OK)
		return rc;
	b->data[b->len] = 0;
	return VBUF_OK;
}

uint8_t *vbuf_steal(vbuf *b, size_t *len)
{
	uint8_t *p = b->data;

	if (p == NULL)
		p = malloc(1);
	*len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

int vbuf_printf(vbuf *b, const char *fmt, ...)
{
	va_list ap;
	char tmp[512];
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0)
		return VBUF_OK;
	if ((size_t)n >= sizeof tmp)
		n = sizeof tmp - 1;
	return vbuf_append(b, tmp, (size_t)n);
}
