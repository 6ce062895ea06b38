/*
 * text.c - files hidden inside text: uuencoded blocks and BinHex 4.0.
 *
 * Mail clients still decode a "begin 644 name" block in a plain text body
 * into an attachment (and the POSIX "begin-base64" form), and BinHex 4.0 text
 * into a Macintosh file; each becomes a child object. Decoding never writes
 * more than the input size (both encodings expand), and never more than
 * vscan_room(). A block cut short is decoded as far as it goes and reported.
 */
#include "../internal.h"

#include <string.h>

#include "../../util/bytes.h"
#include "../../util/vbuf.h"

#define MAX_BLOCKS 64

struct line {
	const uint8_t *p;
	size_t n; /* without the line ending */
};

static bool next_line(const uint8_t *buf, size_t len, size_t *pos, struct line *l)
{
	size_t i = *pos;

	if (i >= len)
		return false;
	l->p = buf + i;
	while (i < len && buf[i] != '\n')
		i++;
	l->n = (size_t)(buf + i - l->p);
	if (l->n > 0 && l->p[l->n - 1] == '\r')
		l->n--;
	*pos = i < len ? i + 1 : i;
	return true;
}

static bool line_starts(const struct line *l, const char *s)
{
	size_t m = strlen(s);

	return l->n >= m && memcmp(l->p, s, m) == 0;
}

/* "begin 644 name" / "begin-base64 644 name": returns the name offset or 0 */
static size_t uu_header(const struct line *l, bool *b64)
{
	size_t i;

	*b64 = line_starts(l, "begin-base64 ");
	if (*b64)
		i = 13;
	else if (line_starts(l, "begin "))
		i = 6;
	else
		return 0;
	if (i + 3 > l->n)
		return 0;
	for (size_t k = 0; k < 3; k++)
		if (l->p[i + k] < '0' || l->p[i + k] > '7')
			return 0;
	i += 3;
	if (i < l->n && l->p[i] >= '0' && l->p[i] <= '7')
		i++;
	if (i >= l->n || l->p[i] != ' ')
		return 0;
	i++;
	return i < l->n ? i : 0;
}

/* Decodes one uuencoded line into b; returns false on a malformed line. */
static bool uu_line(const struct line *l, vbuf *b, bool *full)
{
	size_t want, i;
	uint8_t q[4];

	if (l->n == 0)
		return false;
	want = (size_t)((l->p[0] - 0x20) & 0x3f);
	if (want == 0)
		return true;
	for (i = 1; want > 0; i += 4) {
		for (int k = 0; k < 4; k++) {
			size_t at = i + (size_t)k;

			/* short lines are padded with spaces by tolerant decoders */
			q[k] = at < l->n ? (uint8_t)((l->p[at] - 0x20) & 0x3f) : 0;
		}
		uint8_t out[3] = {(uint8_t)(q[0] << 2 | q[1] >> 4),
		                  (uint8_t)(q[1] << 4 | q[2] >> 2), (uint8_t)(q[2] << 6 | q[3])};
		size_t take = want < 3 ? want : 3;

		if (vbuf_append(b, out, take) != VBUF_OK) {
			*full = true;
			return true;
		}
		want -= take;
	}
	return true;
}

static bool b64_line(const struct line *l, vbuf *b, bool *full, unsigned *acc, int *bits)
{
	for (size_t i = 0; i < l->n; i++) {
		int v = b64val(l->p[i]);

		if (l->p[i] == '=')
			break;
		if (v < 0)
			continue;
		*acc = (*acc << 6) | (unsigned)v;
		*bits += 6;
		if (*bits >= 8) {
			*bits -= 8;
			if (vbuf_putc(b, (uint8_t)(*acc >> *bits)) != VBUF_OK) {
				*full = true;
				return true;
			}
		}
	}
	return true;
}

static bool emit(vigil_scan *s, vigil_object *o, vbuf *b, const char *name, bool full,
                 vigil_limit which)
{
	vchild ch;

	if (full)
		vscan_limit(s, o, which, name ? name : "embedded file");
	memset(&ch, 0, sizeof ch);
	ch.name = name;
	ch.data = vbuf_steal(b, &ch.len);
	ch.flags = full ? VIGIL_OBJ_TRUNCATED : 0;
	return vscan_emit(s, o, &ch) == VSCAN_CONTINUE;
}

/* Returns the position after the block. */
static size_t uu_block(vigil_scan *s, vigil_object *o, size_t pos, size_t name_off,
                       const struct line *hdr, bool b64, bool *go_on)
{
	vigil_limit which;
	vbuf b;
	struct line l;
	bool full = false, ended = false;
	unsigned acc = 0;
	int bits = 0;
	char *name = g_strndup((const char *)hdr->p + name_off, hdr->n - name_off);

	vbuf_init(&b, vscan_room(s, o, &which));
	while (!full && next_line(o->data, o->len, &pos, &l)) {
		if ((!b64 && l.n == 3 && memcmp(l.p, "end", 3) == 0) ||
		    (b64 && l.n == 4 && memcmp(l.p, "====", 4) == 0)) {
			ended = true;
			break;
		}
		if (b64)
			b64_line(&l, &b, &full, &acc, &bits);
		else if (!uu_line(&l, &b, &full)) {
			/* a blank or foreign line ends the data; tolerate a missing "end" */
			if (l.n == 0)
				continue;
			break;
		}
	}
	if (!ended && !full)
		vfinding_add(s, o, F_DECODE_ERROR, "uuencoded block \"%s\" has no end line", name);
	*go_on = emit(s, o, &b, name, full, which);
	g_free(name);
	return pos;
}

static void uu_scan(vigil_scan *s, vigil_object *o, unsigned *blocks)
{
	size_t pos = 0;
	struct line l;
	bool go_on = true;

	while (go_on && *blocks < MAX_BLOCKS && next_line(o->data, o->len, &pos, &l)) {
		bool b64;
		size_t name_off = uu_header(&l, &b64);

		if (name_off == 0)
			continue;
		(*blocks)++;
		pos = uu_block(s, o, pos, name_off, &l, b64, &go_on);
	}
}

/* ---- BinHex 4.0 ---- */

static const char hqx_alphabet[] =
        "!\"#$%&'()*+,-012345689@ABCDEFGHIJKLMNPQRSTUVXYZ[`abcdefhijklmpqr";

static uint16_t crc_ccitt(const uint8_t *p, size_t n, uint16_t crc)
{
	for (size_t i = 0; i < n; i++) {
		crc ^= (uint16_t)(p[i] << 8);
		for (int k = 0; k < 8; k++)
			crc = (crc & 0x8000) ? (uint16_t)(crc << 1 ^ 0x1021) : (uint16_t)(crc << 1);
	}
	return crc;
}

/* 6-bit decode and run-length expansion of the text between the colons */
static bool hqx_decode(const uint8_t *p, size_t n, vbuf *out, bool *full)
{
	int8_t map[256];
	unsigned acc = 0;
	int bits = 0;
	bool rle = false;
	uint8_t last = 0;

	memset(map, -1, sizeof map);
	for (int i = 0; hqx_alphabet[i]; i++)
		map[(uint8_t)hqx_alphabet[i]] = (int8_t)i;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i], byte;

		if (c == ':')
			break;
		if (c == '\r' || c == '\n' || c == ' ' || c == '\t')
			continue;
		if (map[c] < 0)
			return false;
		acc = (acc << 6) | (unsigned)map[c];
		bits += 6;
		if (bits < 8)
			continue;
		bits -= 8;
		byte = (uint8_t)(acc >> bits);
		if (rle) {
			rle = false;
			if (byte == 0) {
				last = 0x90;
				if (vbuf_putc(out, 0x90) != VBUF_OK)
					goto full;
			} else {
				for (unsigned r = 1; r < byte; r++)
					if (vbuf_putc(out, last) != VBUF_OK)
						goto full;
			}
		} else if (byte == 0x90) {
			rle = true;
		} else {
			last = byte;
			if (vbuf_putc(out, byte) != VBUF_OK)
				goto full;
		}
	}
	return true;
full:
	*full = true;
	return true;
}

static void binhex_scan(vigil_scan *s, vigil_object *o)
{
	long mark = vmem_casefind(o->data, o->len, "(This file must be converted with BinHex");
	const uint8_t *p, *end = o->data + o->len, *colon;
	vigil_limit which;
	vbuf raw;
	bool full = false;
	size_t off, nlen;
	uint32_t dlen, rlen;
	const uint8_t *d;
	char *name;

	p = mark >= 0 ? o->data + mark : o->data;
	colon = memchr(p, ':', (size_t)(end - p));
	if (colon == NULL)
		return;
	/* decoded data is smaller than the text; room is checked per fork */
	vbuf_init(&raw, (size_t)(end - colon));
	if (!hqx_decode(colon + 1, (size_t)(end - colon - 1), &raw, &full) || raw.len < 22) {
		vfinding_add(s, o, F_DECODE_ERROR, "BinHex data is damaged");
		vbuf_free(&raw);
		return;
	}
	d = raw.data;
	nlen = d[0];
	if (nlen + 22 > raw.len) {
		vfinding_add(s, o, F_DECODE_ERROR, "BinHex header is damaged");
		vbuf_free(&raw);
		return;
	}
	name = g_strndup((const char *)d + 1, nlen);
	off = 1 + nlen + 1 + 4 + 4 + 2;
	dlen = be32(d + off);
	rlen = be32(d + off + 4);
	off += 8;
	if (crc_ccitt(d, off, 0) != (uint16_t)(d[off] << 8 | d[off + 1]))
		vfinding_add(s, o, F_DECODE_ERROR, "BinHex header checksum mismatch");
	off += 2;
	for (int fork = 0; fork < 2; fork++) {
		uint32_t want = fork == 0 ? dlen : rlen;
		size_t have = raw.len - off, room;
		vbuf b;
		char *fname;
		bool cut = false;

		if (want == 0)
			continue;
		if (want > have) {
			vfinding_add(s, o, F_DECODE_ERROR, "BinHex %s fork is cut short",
			             fork == 0 ? "data" : "resource");
			want = (uint32_t)have;
		}
		room = vscan_room(s, o, &which);
		if (want > room) {
			want = (uint32_t)room;
			cut = true;
		}
		vbuf_init(&b, want);
		vbuf_append(&b, d + off, want);
		fname = fork == 0 ? g_strdup(name) : g_strdup_printf("%s.rsrc", name);
		if (!emit(s, o, &b, fname, cut, which)) {
			g_free(fname);
			break;
		}
		g_free(fname);
		off += want + 2 <= raw.len - off ? want + 2 : raw.len - off;
	}
	g_free(name);
	vbuf_free(&raw);
}

static void text_extract(vigil_scan *s, vigil_object *o)
{
	unsigned blocks = 0;

	if (o->len == 0)
		return;
	if (strcmp(o->type, "binhex") == 0) {
		binhex_scan(s, o);
		return;
	}
	uu_scan(s, o, &blocks);
}

static const char *const text_types[] = {"text", "binhex", NULL};
const extractor text_extractor = {"text", text_types, text_extract};
