/*
 * vbuf - a length-tracked byte buffer with a hard maximum size.
 *
 * All untrusted bytes the engine produces (decoded parts, unpacked members)
 * are built in a vbuf. Appending past the maximum fails with VBUF_FULL and
 * leaves the buffer holding what fitted, so the caller can report a limit hit
 * and still hand on the prefix. The owner of a vbuf owns its data until
 * vbuf_steal() hands it over (to be released with free()).
 */
#ifndef VIGIL_UTIL_VBUF_H
#define VIGIL_UTIL_VBUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct vbuf {
	uint8_t *data;
	size_t len;
	size_t cap;
	size_t max; /* hard ceiling on len */
} vbuf;

enum { VBUF_OK = 0, VBUF_FULL = 1, VBUF_NOMEM = 2 };

void vbuf_init(vbuf *b, size_t max);
void vbuf_free(vbuf *b);
/* Appends up to n bytes; returns VBUF_FULL if not all of them fitted. */
int vbuf_append(vbuf *b, const void *p, size_t n);
int vbuf_putc(vbuf *b, uint8_t c);
/* Makes room for n more bytes; returns a pointer to write into, or NULL. */
uint8_t *vbuf_reserve(vbuf *b, size_t n);
/* Hands the data over to the caller (malloc'ed; never NULL when len > 0). */
uint8_t *vbuf_steal(vbuf *b, size_t *len);
/* Appends a NUL terminator that does not count in len. */
int vbuf_terminate(vbuf *b);
/* Formats into the buffer (bounded by max); truncates silently. */
int vbuf_printf(vbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
