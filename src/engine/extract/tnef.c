/*
 * tnef.c - TNEF streams (winmail.dat, application/ms-tnef), after MS-OXTNEF.
 *
 * Outlook and Exchange wrap a message's attachments and rich body in one
 * TNEF attachment. Children: the message body as "body.txt" (PR_BODY or the
 * legacy attBody), "body.html" (PR_BODY_HTML) and "body.rtf"
 * (PR_RTF_COMPRESSED, decompressed after MS-OXRTFCP), then each attachment,
 * named by PR_ATTACH_LONG_FILENAME, else PR_ATTACH_FILENAME, else the 8.3
 * attAttachTitle. An attachment whose PR_ATTACH_DATA_OBJ holds an embedded
 * message (a TNEF stream) or an OLE storage is emitted without its 16-byte
 * interface id; the engine types it and unpacks it again (this file for
 * TNEF, ole.c for OLE2), so nesting is bounded by the engine's depth limit and
 * there is no recursion here.
 *
 * Our own parser, not libytnef: see docs/decisions/0003-tnef.md.
 *
 * The stream is walked twice. A structural pass checks every record (level,
 * attribute id, length, data, checksum) against the real end of the buffer
 * and counts them (TNEF_MAX_RECORDS); records after the first one that runs
 * past the end are not used (archive.damaged), a checksum mismatch is a
 * low-severity finding (tnef.bad_checksum) and the data is still scanned.
 * The second pass reads the attributes of the good prefix. Property lists
 * are parsed with bounds checks on every field; children point into the
 * object's own bytes until they are copied into a vbuf no larger than
 * vscan_room().
 */
#include "../internal.h"

#include <stdlib.h>
#include <string.h>

#include "../../util/bytes.h"
#include "../../util/vbuf.h"

#define TNEF_SIGNATURE 0x223E9F78u
#define TNEF_MAX_RECORDS 16384
#define TNEF_MAX_ATTACH 1024
#define TNEF_MAX_PROPS 4096 /* properties read from one property list */

/* attributes (MS-OXTNEF 2.1.3.3): type << 16 | id */
#define ATT_BODY 0x0002800Cu
#define ATT_ATTACH_DATA 0x0006800Fu
#define ATT_ATTACH_TITLE 0x00018010u
#define ATT_ATTACH_RENDDATA 0x00069002u
#define ATT_MSG_PROPS 0x00069003u
#define ATT_ATTACHMENT 0x00069005u

#define LVL_MESSAGE 1
#define LVL_ATTACHMENT 2

/* property types */
#define PT_I2 0x0002
#define PT_LONG 0x0003
#define PT_R4 0x0004
#define PT_DOUBLE 0x0005
#define PT_CURRENCY 0x0006
#define PT_APPTIME 0x0007
#define PT_ERROR 0x000A
#define PT_BOOLEAN 0x000B
#define PT_OBJECT 0x000D
#define PT_I8 0x0014
#define PT_STRING8 0x001E
#define PT_UNICODE 0x001F
#define PT_SYSTIME 0x0040
#define PT_CLSID 0x0048
#define PT_BINARY 0x0102
#define MV_FLAG 0x1000

/* property ids */
#define PR_BODY 0x1000
#define PR_RTF_COMPRESSED 0x1009
#define PR_BODY_HTML 0x1013
#define PR_DISPLAY_NAME 0x3001
#define PR_ATTACH_DATA 0x3701
#define PR_ATTACH_FILENAME 0x3704
#define PR_ATTACH_LONG_FILENAME 0x3707
#define PR_ATTACH_MIME_TAG 0x370E

/* a value inside the object's bytes */
struct span {
	const uint8_t *p;
	size_t n;
	uint16_t type; /* property type, 0 for attribute data */
};

struct tnef_att {
	struct span data;  /* attAttachData */
	struct span title; /* attAttachTitle */
	struct span obj;   /* PR_ATTACH_DATA_OBJ / _BIN */
	struct span lname; /* PR_ATTACH_LONG_FILENAME */
	struct span fname; /* PR_ATTACH_FILENAME */
	struct span dname; /* PR_DISPLAY_NAME */
	struct span mime;  /* PR_ATTACH_MIME_TAG */
};

struct tnef {
	vigil_scan *s;
	vigil_object *o;
	struct span body, html, rtf, legacy_body;
	GArray *atts; /* struct tnef_att */
	bool stop;
	bool prop_damage_reported;
};

/* ---- structure pass ---- */

/*
 * Checks every record; returns the number of records that lie wholly inside
 * the buffer (those the second pass may read), and reports the rest.
 */
static size_t tnef_check(struct tnef *t)
{
	const uint8_t *p = t->o->data;
	size_t n = t->o->len, off = 6, count = 0, bad_sums = 0;
	size_t first_bad = 0;

	while (off < n) {
		uint32_t id, len;
		uint16_t sum = 0;

		if (count == TNEF_MAX_RECORDS) {
			vfinding_add(
			        t->s, t->o, F_LIMIT_OBJECTS,
			        "TNEF stream has more than %u attributes; the rest were not read",
			        TNEF_MAX_RECORDS);
			t->o->flags |= VIGIL_OBJ_PARTIAL;
			break;
		}
		if (9 > n - off) {
			vfinding_add(t->s, t->o, F_ARCHIVE_DAMAGED,
			             "TNEF attribute header cut short at offset %zu", off);
			t->o->flags |= VIGIL_OBJ_PARTIAL;
			break;
		}
		id = le32(p + off + 1);
		len = le32(p + off + 5);
		if (len > n - off - 9 || 2 > n - off - 9 - len) {
			vfinding_add(t->s, t->o, F_ARCHIVE_DAMAGED,
			             "TNEF attribute 0x%08X at offset %zu declares %u bytes, "
			             "past the end of the stream",
			             id, off, len);
			t->o->flags |= VIGIL_OBJ_PARTIAL;
			break;
		}
		for (size_t i = 0; i < len; i++)
			sum = (uint16_t)(sum + p[off + 9 + i]);
		if (sum != le16(p + off + 9 + len) && bad_sums++ == 0)
			first_bad = off;
		off += 9 + (size_t)len + 2;
		count++;
	}
	if (bad_sums > 0)
		vfinding_add(t->s, t->o, F_TNEF_CHECKSUM,
		             "%zu attribute(s) with a wrong checksum, the first at offset %zu",
		             bad_sums, first_bad);
	return count;
}

/* ---- MAPI property lists (MS-OXTNEF 2.1.3.4) ---- */

/* bytes of a fixed-length value as stored (I2 and BOOLEAN are padded to 4) */
static size_t fixed_size(uint16_t type)
{
	switch (type) {
	case PT_I2:
	case PT_LONG:
	case PT_R4:
	case PT_ERROR:
	case PT_BOOLEAN:
		return 4;
	case PT_DOUBLE:
	case PT_CURRENCY:
	case PT_APPTIME:
	case PT_I8:
	case PT_SYSTIME:
		return 8;
	case PT_CLSID:
		return 16;
	default:
		return 0;
	}
}

static bool is_var(uint16_t type)
{
	return type == PT_STRING8 || type == PT_UNICODE || type == PT_BINARY || type == PT_OBJECT;
}

/* Where a property we want goes; NULL for the rest. */
static struct span *prop_slot(struct tnef *t, struct tnef_att *a, uint16_t id, uint16_t type)
{
	if (a == NULL) {
		if (id == PR_BODY && (type == PT_STRING8 || type == PT_UNICODE))
			return &t->body;
		if (id == PR_BODY_HTML)
			return &t->html;
		if (id == PR_RTF_COMPRESSED && type == PT_BINARY)
			return &t->rtf;
		return NULL;
	}
	switch (id) {
	case PR_ATTACH_DATA:
		return type == PT_OBJECT || type == PT_BINARY ? &a->obj : NULL;
	case PR_ATTACH_LONG_FILENAME:
		return &a->lname;
	case PR_ATTACH_FILENAME:
		return &a->fname;
	case PR_DISPLAY_NAME:
		return &a->dname;
	case PR_ATTACH_MIME_TAG:
		return &a->mime;
	default:
		return NULL;
	}
}

/*
 * Reads a property list; a = NULL for the message's own properties. Stops
 * at the first property it cannot walk (the ones before it are kept).
 */
static void tnef_props(struct tnef *t, const uint8_t *p, size_t n, struct tnef_att *a)
{
	struct cursor c = {.p = p, .n = n, .off = 0};
	uint32_t count;

	if (!cur_u32(&c, &count))
		goto damaged;
	for (uint32_t i = 0; i < count; i++) {
		uint16_t type, id, base;
		uint32_t values = 1;
		struct span *slot;

		if (i == TNEF_MAX_PROPS || 4 > c.n - c.off)
			goto damaged;
		type = le16(c.p + c.off);
		id = le16(c.p + c.off + 2);
		c.off += 4;
		if (id >= 0x8000) {
			uint32_t kind, nlen;

			/* named property: GUID, then a number or a UTF-16 name */
			if (!cur_skip(&c, 16) || !cur_u32(&c, &kind))
				goto damaged;
			if (kind == 0) {
				if (!cur_skip(&c, 4))
					goto damaged;
			} else if (kind == 1) {
				if (!cur_u32(&c, &nlen) || nlen > c.n - c.off ||
				    !cur_skip(&c, nlen + (4 - nlen % 4) % 4))
					goto damaged;
			} else {
				goto damaged;
			}
		}
		base = type & (uint16_t)~MV_FLAG;
		slot = id < 0x8000 ? prop_slot(t, a, id, base) : NULL;
		if ((type & MV_FLAG) || is_var(base)) {
			if (!cur_u32(&c, &values) || values > c.n - c.off)
				goto damaged;
		}
		if (is_var(base)) {
			for (uint32_t v = 0; v < values; v++) {
				uint32_t len;

				if (!cur_u32(&c, &len) || len > c.n - c.off)
					goto damaged;
				if (v == 0 && slot != NULL && !(type & MV_FLAG)) {
					slot->p = c.p + c.off;
					slot->n = len;
					slot->type = base;
				}
				if (!cur_skip(&c, len) || !cur_skip(&c, (4 - len % 4) % 4))
					goto damaged;
			}
		} else {
			size_t fs = fixed_size(base);

			if (fs == 0 || values > (c.n - c.off) / fs)
				goto damaged;
			c.off += (size_t)values * fs;
		}
	}
	return;
damaged:
	if (!t->prop_damage_reported) {
		t->prop_damage_reported = true;
		vfinding_add(t->s, t->o, F_ARCHIVE_DAMAGED,
		             "TNEF %s property list is damaged; read the properties before it",
		             a == NULL ? "message" : "attachment");
	}
	t->o->flags |= VIGIL_OBJ_PARTIAL;
}

/* ---- attribute pass ---- */

static struct tnef_att *new_att(struct tnef *t)
{
	struct tnef_att a;

	if (t->atts->len >= TNEF_MAX_ATTACH) {
		if (t->atts->len == TNEF_MAX_ATTACH)
			vfinding_add(
			        t->s, t->o, F_LIMIT_OBJECTS,
			        "TNEF stream has more than %u attachments; the rest were not read",
			        TNEF_MAX_ATTACH);
		t->o->flags |= VIGIL_OBJ_PARTIAL;
		return NULL;
	}
	memset(&a, 0, sizeof a);
	g_array_append_val(t->atts, a);
	return &g_array_index(t->atts, struct tnef_att, t->atts->len - 1);
}

static void tnef_read(struct tnef *t, size_t records)
{
	const uint8_t *p = t->o->data;
	size_t off = 6;
	struct tnef_att *cur = NULL;
	bool over = false;

	for (size_t r = 0; r < records; r++) {
		uint8_t level = p[off];
		uint32_t id = le32(p + off + 1), len = le32(p + off + 5);
		const uint8_t *d = p + off + 9;

		off += 9 + (size_t)len + 2;
		if (level == LVL_MESSAGE) {
			if (id == ATT_BODY && t->legacy_body.p == NULL) {
				t->legacy_body.p = d;
				t->legacy_body.n = len;
			} else if (id == ATT_MSG_PROPS) {
				tnef_props(t, d, len, NULL);
			}
			continue;
		}
		if (level != LVL_ATTACHMENT)
			continue;
		/* attAttachRendData opens an attachment; tolerate a missing one */
		if (id == ATT_ATTACH_RENDDATA || (cur == NULL && !over)) {
			cur = new_att(t);
			over = cur == NULL;
		}
		if (cur == NULL)
			continue;
		if (id == ATT_ATTACH_DATA) {
			cur->data.p = d;
			cur->data.n = len;
		} else if (id == ATT_ATTACH_TITLE) {
			cur->title.p = d;
			cur->title.n = len;
			cur->title.type = PT_STRING8;
		} else if (id == ATT_ATTACHMENT) {
			tnef_props(t, d, len, cur);
		}
	}
}

/* ---- children ---- */

/* Text of a string value: STRING8 as is up to its NUL, UNICODE as UTF-8. */
static char *span_text(const struct span *v)
{
	if (v->p == NULL || v->n == 0)
		return NULL;
	if (v->type == PT_UNICODE) {
		size_t units = v->n / 2, k;
		gunichar2 *w = g_new(gunichar2, units + 1);
		char *r;

		for (k = 0; k < units; k++) {
			w[k] = le16(v->p + 2 * k);
			if (w[k] == 0)
				break;
		}
		r = g_utf16_to_utf8(w, (glong)k, NULL, NULL, NULL);
		g_free(w);
		if (r != NULL && *r == 0) {
			g_free(r);
			r = NULL;
		}
		return r;
	}
	{
		const uint8_t *nul = memchr(v->p, 0, v->n);
		size_t len = nul != NULL ? (size_t)(nul - v->p) : v->n;

		return len > 0 ? g_strndup((const char *)v->p, len) : NULL;
	}
}

/* Copies (or for UNICODE text, converts) a value into a vbuf; *full if cut. */
static void span_bytes(const struct span *v, vbuf *b, bool *full)
{
	*full = false;
	if (v->type == PT_UNICODE) {
		for (size_t k = 0; k + 1 < v->n; k += 2) {
			gunichar u = le16(v->p + k);
			char out[6];
			int len;

			if (u == 0)
				break;
			/* a surrogate pair decodes together; a lone one becomes U+FFFD */
			if (u >= 0xD800 && u < 0xDC00 && k + 3 < v->n &&
			    le16(v->p + k + 2) >= 0xDC00 && le16(v->p + k + 2) < 0xE000) {
				u = 0x10000 + ((u - 0xD800) << 10) + (le16(v->p + k + 2) - 0xDC00);
				k += 2;
			} else if (u >= 0xD800 && u < 0xE000) {
				u = 0xFFFD;
			}
			len = g_unichar_to_utf8(u, out);
			if (vbuf_append(b, out, (size_t)len) != VBUF_OK) {
				*full = true;
				return;
			}
		}
		return;
	}
	{
		/* a STRING8 value ends at its terminator */
		const uint8_t *nul = v->type == PT_STRING8 ? memchr(v->p, 0, v->n) : NULL;
		size_t n = nul != NULL ? (size_t)(nul - v->p) : v->n;

		if (vbuf_append(b, v->p, n) != VBUF_OK)
			*full = true;
	}
}

static void tnef_emit(struct tnef *t, vbuf *b, bool full, vigil_limit which, const char *seg,
                      const char *name, const char *ctype, const char *hint, uint64_t size)
{
	vchild ch;

	if (full) {
		vscan_limit(t->s, t->o, which, seg != NULL ? seg : name);
		t->o->flags |= VIGIL_OBJ_PARTIAL;
	}
	memset(&ch, 0, sizeof ch);
	ch.seg = seg;
	ch.name = name;
	ch.ctype = ctype;
	ch.type_hint = hint;
	ch.size = size;
	ch.flags = full ? VIGIL_OBJ_TRUNCATED : 0;
	ch.data = vbuf_steal(b, &ch.len);
	if (vscan_emit(t->s, t->o, &ch) == VSCAN_STOP)
		t->stop = true;
}

static void emit_span(struct tnef *t, const struct span *v, const char *seg, const char *name,
                      const char *ctype, const char *hint)
{
	vigil_limit which;
	vbuf b;
	bool full;

	if (t->stop)
		return;
	vbuf_init(&b, vscan_room(t->s, t->o, &which));
	span_bytes(v, &b, &full);
	/* a declared size only where the value is the bytes themselves */
	tnef_emit(t, &b, full, which, seg, name, ctype, hint,
	          v->type == PT_UNICODE || v->type == PT_STRING8 ? 0 : v->n);
}

/* MS-OXRTFCP: the dictionary starts with this text (207 bytes) */
static const char rtf_prebuf[] =
        "{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss "
        "\\fmodern \\fscript \\fdecor MS Sans SerifSymbolArialTimes New RomanCourier"
        "{\\colortbl\\red0\\green0\\blue0\r\n\\par \\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx";

#define RTF_MELA 0x414C454Du /* uncompressed */
#define RTF_LZFU 0x75465A4Cu /* compressed */

static uint32_t rtf_crc(const uint8_t *p, size_t n)
{
	uint32_t crc = 0;

	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc & 1) ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
	}
	return crc;
}

/*
 * Decompresses into b (bounded by b->max and the declared raw size).
 * Returns false when the stream is damaged (b keeps what was decoded).
 */
static bool rtf_decompress(const uint8_t *p, size_t n, vbuf *b, bool *full, bool *crc_bad)
{
	uint8_t dict[4096];
	uint32_t comp, raw, magic;
	size_t in = 16, end, wpos = sizeof rtf_prebuf - 1;

	*full = false;
	*crc_bad = false;
	if (n < 16)
		return false;
	comp = le32(p);
	raw = le32(p + 4);
	magic = le32(p + 8);
	/* COMPSIZE counts the bytes after itself; never read past the value */
	end = comp <= n - 4 ? 4 + (size_t)comp : n;
	if (end < 16)
		return false;
	if (magic == RTF_MELA) {
		size_t take = raw < end - 16 ? raw : end - 16;

		if (vbuf_append(b, p + 16, take) != VBUF_OK)
			*full = true;
		return take == raw || *full;
	}
	if (magic != RTF_LZFU)
		return false;
	*crc_bad = rtf_crc(p + 16, end - 16) != le32(p + 12);
	memset(dict, 0, sizeof dict);
	memcpy(dict, rtf_prebuf, sizeof rtf_prebuf - 1);
	while (in < end) {
		uint8_t ctl = p[in++];

		for (int bit = 0; bit < 8; bit++) {
			if (b->len >= raw)
				return true;
			if (in >= end)
				return false;
			if (ctl & (1u << bit)) {
				uint16_t v;
				size_t rd, len;

				if (2 > end - in)
					return false;
				v = (uint16_t)(p[in] << 8 | p[in + 1]);
				in += 2;
				rd = v >> 4;
				len = (size_t)(v & 15) + 2;
				if (rd == wpos)
					return true; /* the end marker */
				for (size_t k = 0; k < len; k++) {
					uint8_t c = dict[rd];

					if (vbuf_putc(b, c) != VBUF_OK) {
						*full = true;
						return true;
					}
					dict[wpos] = c;
					wpos = (wpos + 1) & 4095;
					rd = (rd + 1) & 4095;
				}
			} else {
				uint8_t c = p[in++];

				if (vbuf_putc(b, c) != VBUF_OK) {
					*full = true;
					return true;
				}
				dict[wpos] = c;
				wpos = (wpos + 1) & 4095;
			}
		}
	}
	return b->len >= raw;
}

static void emit_rtf(struct tnef *t)
{
	vigil_limit which;
	vbuf b;
	bool full, crc_bad, ok;
	size_t room = vscan_room(t->s, t->o, &which);
	uint32_t raw = t->rtf.n >= 8 ? le32(t->rtf.p + 4) : 0;

	if (t->stop)
		return;
	/* the declared raw size only ever lowers the cap */
	if (raw < room) {
		room = raw;
		which = VIGIL_LIMIT__COUNT;
	}
	vbuf_init(&b, room);
	ok = rtf_decompress(t->rtf.p, t->rtf.n, &b, &full, &crc_bad);
	if (!ok)
		vfinding_add(t->s, t->o, F_DECODE_ERROR,
		             "compressed RTF body is damaged (decoded %zu bytes)", b.len);
	else if (crc_bad)
		vfinding_add(t->s, t->o, F_DECODE_ERROR, "compressed RTF body checksum mismatch");
	if (b.len == 0 && !ok) {
		vbuf_free(&b);
		return;
	}
	/* stopping at the declared size is the format, not a limit */
	tnef_emit(t, &b, full && which != VIGIL_LIMIT__COUNT, which, "body.rtf", "body.rtf", NULL,
	          NULL, raw);
}

/* PT_OBJECT data starts with the interface id of what follows */
static void strip_iid(struct span *v)
{
	/* IID_IMessage {00020307-...}, IID_IStorage {0000000B-...}, both ...-C000-000000000046 */
	static const uint8_t tail[8] = {0xC0, 0, 0, 0, 0, 0, 0, 0x46};

	if (v->type != PT_OBJECT || v->n < 16 || memcmp(v->p + 8, tail, 8) != 0)
		return;
	v->p += 16;
	v->n -= 16;
}

static void emit_att(struct tnef *t, struct tnef_att *a, size_t index)
{
	char *lname = span_text(&a->lname), *fname = span_text(&a->fname);
	char *title = span_text(&a->title), *dname = span_text(&a->dname);
	char *mime = span_text(&a->mime);
	const char *name = lname ? lname : fname ? fname : title ? title : dname;
	char seg[32];

	g_snprintf(seg, sizeof seg, "#%zu", index);
	if (a->data.p != NULL)
		emit_span(t, &a->data, name != NULL ? NULL : seg, name, mime, NULL);
	if (a->obj.p != NULL && !t->stop) {
		struct span obj = a->obj;

		strip_iid(&obj);
		/* the same bytes as attAttachData need not be scanned twice */
		if (a->data.p == NULL || a->data.n != obj.n || memcmp(a->data.p, obj.p, obj.n) != 0)
			emit_span(t, &obj, name != NULL ? NULL : seg, name, mime, NULL);
	}
	g_free(lname);
	g_free(fname);
	g_free(title);
	g_free(dname);
	g_free(mime);
}

static void tnef_extract(vigil_scan *s, vigil_object *o)
{
	struct tnef t = {.s = s, .o = o};
	size_t records;

	if (o->len < 6 || le32(o->data) != TNEF_SIGNATURE) {
		vfinding_add(s, o, F_ARCHIVE_DAMAGED, "not a TNEF stream (bad signature)");
		return;
	}
	t.atts = g_array_new(FALSE, TRUE, sizeof(struct tnef_att));
	records = tnef_check(&t);
	tnef_read(&t, records);
	if (t.body.p != NULL)
		emit_span(&t, &t.body, "body.txt", "body.txt", NULL, "text");
	else if (t.legacy_body.p != NULL)
		emit_span(&t, &t.legacy_body, "body.txt", "body.txt", NULL, "text");
	if (t.html.p != NULL)
		emit_span(&t, &t.html, "body.html", "body.html", NULL, NULL);
	if (t.rtf.p != NULL)
		emit_rtf(&t);
	for (size_t i = 0; i < t.atts->len && !t.stop; i++)
		emit_att(&t, &g_array_index(t.atts, struct tnef_att, i), i + 1);
	g_array_free(t.atts, TRUE);
}

static const char *const tnef_types[] = {"tnef", NULL};
const extractor tnef_extractor = {"tnef", tnef_types, tnef_extract};
