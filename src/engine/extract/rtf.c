/*
 * rtf.c - OLE objects embedded in RTF documents.
 *
 * An RTF document carries OLE objects as hex text in \objdata destinations
 * (normally inside an {\object ...} group). Each one is decoded the way Word
 * reads it, parsed as an OLE1 object (MS-OLEDS 2.2.4 ObjectHeader, 2.2.5
 * EmbeddedObject, 2.2.6 LinkedObject) and its NativeData becomes a child
 * object, its path segment naming the OLE class ("object1:Equation.3"). For
 * class Package the native data is the packager's structure (label, source
 * path, temp path, file bytes); the embedded FILE becomes the child, named
 * by the file the packager writes ("object1:Package:invoice.exe"). A linked
 * object has no native data: its link target is reported. Object data that
 * is not OLE1 is handed on raw ("object1") so rules still see it. \pict
 * images are not emitted.
 *
 * How Word reads object data, and what attackers exploit (facts from public
 * analyses of Word's RTF reader, e.g. the oletools rtfobj notes):
 *   - whitespace anywhere between hex digits is ignored, so are other
 *     non-hex characters and control words; nested {...} groups inside the
 *     hex are skipped whole, with their text, further groups and \bin runs
 *     (an \objdata hidden in such a group is reported, not extracted);
 *   - an odd number of digits: the last one is dropped;
 *   - \'hh swallows the two bytes after it, whatever they are, and drops a
 *     pending odd hex digit before it;
 *   - \binN inserts N raw bytes (no parameter or a negative one: 0); a
 *     pending odd digit is dropped;
 *   - \objdata is recognised anywhere outside object data (also outside
 *     \object, after other destinations in the same group); \rt is enough
 *     of a header.
 * Decisions: a Package child is named after the temp path (the file the
 * packager writes and runs), else the label, else the source path; all
 * three are in the evidence because a label can disguise the real name.
 * The OLE1 class decides the parse; the RTF \objclass is only evidence (and
 * also checked against the exploit list).
 * Anything beyond plain hex and whitespace in object data is reported as
 * obfuscation (Word never writes it).
 *
 * Limits: group state is kept for RTF_MAX_DEPTH levels; deeper groups are
 * still counted (and reported) but share the deepest state, so nesting costs
 * no memory. Groups inside object data are only counted. Control word names
 * are compared on their first RTF_MAX_NAME letters (longer ones match
 * nothing); parameters saturate at RTF_PARAM_MAX and \bin never reads past
 * the end of the input. Object data is decoded into a vbuf no larger than
 * vscan_room(); at most RTF_MAX_OBJECTS objects per document. Findings are
 * gathered per kind and reported once per document with the evidence of
 * every object (bounded).
 *
 * Ownership: the decoded object data is owned here until vscan_emit() takes
 * the buffer (the native data is moved to its front first).
 */
#include "../internal.h"

#include <stdarg.h>
#include <string.h>

#include "../../util/bytes.h"
#include "../../util/vbuf.h"

#define RTF_MAX_DEPTH 1024                /* group levels whose state is kept */
#define RTF_MAX_OBJECTS 256               /* objects extracted per document */
#define RTF_MAX_NAME 32                   /* control word letters compared */
#define RTF_MAX_CLASS 128                 /* bytes of \objclass text kept */
#define RTF_MAX_STR 260                   /* bytes of an OLE1 or package string shown */
#define RTF_PARAM_MAX INT64_C(2000000000) /* control word parameters saturate here */
#define RTF_CHECK_EVERY (1u << 20)        /* input bytes between time checks */
#define RTF_EVIDENCE 480                  /* bytes of evidence gathered per finding */

/* state of one group level */
struct frame {
	int32_t owner; /* frame index of the enclosing \object group, or -1 */
	bool in_class; /* inside an \objclass destination */
	uint8_t cls_len;
	char cls[RTF_MAX_CLASS]; /* \objclass text, for \object frames */
};

enum rtf_ev { EV_OBFUSCATED, EV_EXPLOIT, EV_PACKAGE, EV_LINKED, EV_DECODE, EV__COUNT };

static const finding_kind ev_kind[EV__COUNT] = {F_RTF_OBFUSCATED, F_RTF_EXPLOIT_CLASS,
                                                F_RTF_PACKAGE, F_RTF_LINKED, F_DECODE_ERROR};

struct rtf {
	vigil_scan *s;
	vigil_object *o;
	struct frame *frames; /* RTF_MAX_DEPTH of them; [0] is outside any group */
	size_t depth;         /* real group depth */
	size_t max_depth;     /* deepest seen, groups inside object data included */
	bool stop;
	bool objupdate;
	bool too_many;
	unsigned objects; /* object data destinations handed on */

	/* the \objdata destination being read */
	bool od_active;
	size_t od_skip; /* depth of groups nested inside it */
	int32_t od_owner;
	vbuf od;
	vigil_limit od_which;
	bool od_full;
	int od_nibble; /* pending high nibble, or -1 */
	size_t od_cwords, od_groups, od_bins, od_quotes, od_garbage;
	size_t od_nested; /* \objdata inside groups inside it (not extracted) */

	vbuf ev[EV__COUNT];
};

/* ---- evidence ---- */

static void rtf_note(struct rtf *r, enum rtf_ev k, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void rtf_note(struct rtf *r, enum rtf_ev k, const char *fmt, ...)
{
	va_list ap;
	char *t;

	va_start(ap, fmt);
	t = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (r->ev[k].len > 0)
		vbuf_append(&r->ev[k], "; ", 2);
	vbuf_append(&r->ev[k], t, strlen(t));
	g_free(t);
}

static void rtf_flush(struct rtf *r)
{
	for (int k = 0; k < EV__COUNT; k++) {
		if (r->ev[k].len > 0) {
			vbuf_terminate(&r->ev[k]);
			vfinding_add(r->s, r->o, ev_kind[k], "%s", (const char *)r->ev[k].data);
		}
		vbuf_free(&r->ev[k]);
	}
	if (r->objupdate)
		vfinding_add(r->s, r->o, F_RTF_OBJUPDATE, "\\objupdate");
	if (r->max_depth >= RTF_MAX_DEPTH)
		vfinding_add(r->s, r->o, F_RTF_NESTING,
		             "groups nested %zu levels deep (state kept for %d levels)",
		             r->max_depth, RTF_MAX_DEPTH);
}

/* ---- OLE1 and package structures (little-endian, lengths never trusted) ---- */

struct rd {
	const uint8_t *p;
	size_t n, off;
};

static bool rd_u16(struct rd *r, uint16_t *v)
{
	if (r->n - r->off < 2)
		return false;
	*v = (uint16_t)(r->p[r->off] | r->p[r->off + 1] << 8);
	r->off += 2;
	return true;
}

static bool rd_u32(struct rd *r, uint32_t *v)
{
	const uint8_t *q = r->p + r->off;

	if (r->n - r->off < 4)
		return false;
	*v = (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24;
	r->off += 4;
	return true;
}

/* bytes of a given length, which must be present */
static bool rd_bytes(struct rd *r, size_t len, const uint8_t **s)
{
	if (len > r->n - r->off)
		return false;
	*s = r->p + r->off;
	r->off += len;
	return true;
}

/* LengthPrefixedAnsiString: 32-bit length (terminating NUL included) */
static bool rd_lpstr(struct rd *r, const uint8_t **s, size_t *len)
{
	uint32_t l;

	if (!rd_u32(r, &l) || !rd_bytes(r, l, s))
		return false;
	*len = l;
	return true;
}

/* NUL-terminated string; the NUL must be there */
static bool rd_zstr(struct rd *r, const uint8_t **s, size_t *len)
{
	const uint8_t *z = memchr(r->p + r->off, 0, r->n - r->off);

	if (z == NULL)
		return false;
	*s = r->p + r->off;
	*len = (size_t)(z - *s);
	r->off += *len + 1;
	return true;
}

/* printable copy without trailing NULs, bounded */
static char *rtf_str(const uint8_t *s, size_t len)
{
	while (len > 0 && s[len - 1] == 0)
		len--;
	if (len > RTF_MAX_STR)
		len = RTF_MAX_STR;
	return vstr_printable(s, len, RTF_MAX_STR * 4);
}

/* the last component of a Windows or POSIX path */
static char *rtf_basename(const uint8_t *s, size_t len)
{
	size_t start = 0;

	while (len > 0 && s[len - 1] == 0)
		len--;
	for (size_t i = 0; i < len; i++)
		if (s[i] == '\\' || s[i] == '/' || s[i] == 0)
			start = i + 1;
	if (start >= len)
		return NULL;
	return rtf_str(s + start, len - start);
}

/*
 * OLE classes with a history of exploitation. Kept short on purpose: each
 * one is a reason for an analyst to look, not a verdict on its own.
 */
static const struct risky_class {
	const char *name;
	bool prefix;
	const char *why;
} risky_classes[] = {
        {"Equation.2", false, "Equation Editor, CVE-2017-11882/CVE-2018-0802"},
        {"Equation.3", false, "Equation Editor, CVE-2017-11882/CVE-2018-0802"},
        {"OLE2Link", false, "URL moniker, CVE-2017-0199"},
        {"htmlfile", false, "HTML via moniker, CVE-2017-0199"},
        {"scriptletfile", false, "script moniker, CVE-2017-8570"},
        {"MSComctlLib.", true, "ActiveX common controls, CVE-2012-0158"},
        {"otkloadr.WRAssembly", true, "ASLR bypass used in exploit chains, CVE-2015-1641"},
        {"Word.Document.", true, "nested Word document, used to chain exploits"},
};

static const struct risky_class *rtf_risky(const char *cls)
{
	for (size_t i = 0; i < G_N_ELEMENTS(risky_classes); i++) {
		const struct risky_class *c = &risky_classes[i];
		size_t l = strlen(c->name);

		if (c->prefix ? g_ascii_strncasecmp(cls, c->name, l) == 0
		              : g_ascii_strcasecmp(cls, c->name) == 0)
			return c;
	}
	return NULL;
}

/* seg text: a class name must not add a path level */
static char *rtf_seg(unsigned n, const char *cls, const char *file)
{
	char *seg;

	if (file != NULL)
		seg = g_strdup_printf("object%u:%s:%s", n, cls, file);
	else if (cls != NULL && *cls)
		seg = g_strdup_printf("object%u:%s", n, cls);
	else
		seg = g_strdup_printf("object%u", n);
	g_strdelimit(seg, "/", '_');
	return seg;
}

static void rtf_emit(struct rtf *r, uint8_t *data, size_t off, size_t len, const char *seg,
                     const char *name, unsigned flags)
{
	vchild ch;

	memmove(data, data + off, len);
	memset(&ch, 0, sizeof ch);
	ch.seg = seg;
	ch.name = name;
	ch.data = data;
	ch.len = len;
	ch.flags = flags;
	if (vscan_emit(r->s, r->o, &ch) != VSCAN_CONTINUE)
		r->stop = true;
}

struct package {
	const uint8_t *label, *src, *temp;
	size_t label_len, src_len, temp_len;
	size_t data_off, data_len;
	bool cut;
};

/*
 * The packager's native data: u16 signature, label and source path
 * (NUL-terminated), u32 flags, u32 length + temp path, u32 length + file.
 */
static bool rtf_package(const uint8_t *p, size_t n, struct package *pk)
{
	struct rd r = {p, n, 0};
	uint16_t sig;
	uint32_t flags, tlen, dlen;

	memset(pk, 0, sizeof *pk);
	if (!rd_u16(&r, &sig) || !rd_zstr(&r, &pk->label, &pk->label_len) ||
	    !rd_zstr(&r, &pk->src, &pk->src_len) || !rd_u32(&r, &flags) || !rd_u32(&r, &tlen) ||
	    !rd_bytes(&r, tlen, &pk->temp) || !rd_u32(&r, &dlen))
		return false;
	pk->temp_len = tlen;
	pk->data_off = r.off;
	pk->data_len = dlen <= n - r.off ? dlen : n - r.off;
	pk->cut = dlen > n - r.off;
	return true;
}

/* Hands on the file inside a Package object; false if it is not one. */
static bool rtf_emit_package(struct rtf *r, unsigned n, uint8_t *data, size_t off, size_t len,
                             unsigned flags)
{
	struct package pk;
	char *name, *label, *src, *temp, *seg;

	if (!rtf_package(data + off, len, &pk))
		return false;
	name = rtf_basename(pk.temp, pk.temp_len);
	if (name == NULL)
		name = rtf_basename(pk.label, pk.label_len);
	if (name == NULL)
		name = rtf_basename(pk.src, pk.src_len);
	label = rtf_str(pk.label, pk.label_len);
	src = rtf_str(pk.src, pk.src_len);
	temp = rtf_str(pk.temp, pk.temp_len);
	rtf_note(r, EV_PACKAGE, "object %u: \"%s\" (source \"%s\", temp \"%s\", %zu bytes)", n,
	         label, src, temp, pk.data_len);
	if (pk.cut) {
		rtf_note(r, EV_DECODE, "object %u: package file \"%s\" is cut short", n, label);
		flags |= VIGIL_OBJ_TRUNCATED;
	}
	seg = rtf_seg(n, "Package", name ? name : "file");
	rtf_emit(r, data, off + pk.data_off, pk.data_len, seg, name, flags);
	g_free(seg);
	g_free(name);
	g_free(label);
	g_free(src);
	g_free(temp);
	return true;
}

/* Parses one decoded object and hands on what it holds; takes data. */
static void rtf_object(struct rtf *r, unsigned n, uint8_t *data, size_t len, unsigned flags,
                       const char *rtf_class)
{
	struct rd rd = {data, len, 0};
	uint32_t version, format, native_len;
	const uint8_t *cls_p, *topic_p, *item_p;
	size_t cls_l, topic_l, item_l, avail;
	const struct risky_class *risky;
	char *cls = NULL, *topic = NULL, *item = NULL, *seg;

	if (!rd_u32(&rd, &version) || !rd_u32(&rd, &format) || (format != 1 && format != 2) ||
	    !rd_lpstr(&rd, &cls_p, &cls_l) || !rd_lpstr(&rd, &topic_p, &topic_l) ||
	    !rd_lpstr(&rd, &item_p, &item_l)) {
		rtf_note(r, EV_DECODE, "object %u: not an OLE1 object (%zu bytes handed on raw)", n,
		         len);
		seg = rtf_seg(n, NULL, NULL);
		rtf_emit(r, data, 0, len, seg, NULL, flags);
		g_free(seg);
		return;
	}
	cls = rtf_str(cls_p, cls_l);
	topic = rtf_str(topic_p, topic_l);
	item = rtf_str(item_p, item_l);
	risky = rtf_risky(cls);
	if (risky == NULL && rtf_class != NULL)
		risky = rtf_risky(rtf_class);
	if (risky != NULL)
		rtf_note(r, EV_EXPLOIT, "object %u: class %s, RTF \\objclass %s (%s)", n, cls,
		         rtf_class && *rtf_class ? rtf_class : "-", risky->why);
	if (format == 1) {
		rtf_note(r, EV_LINKED, "object %u: class %s links to \"%s\" item \"%s\"", n, cls,
		         topic, item);
		free(data);
		goto out;
	}
	if (!rd_u32(&rd, &native_len)) {
		rtf_note(r, EV_DECODE, "object %u: class %s has no native data", n, cls);
		free(data);
		goto out;
	}
	avail = len - rd.off;
	if (native_len > avail) {
		rtf_note(r, EV_DECODE,
		         "object %u: native data cut short (%u bytes declared, %zu present)", n,
		         native_len, avail);
		flags |= VIGIL_OBJ_TRUNCATED;
		native_len = (uint32_t)avail;
	}
	if (g_ascii_strcasecmp(cls, "Package") == 0 &&
	    rtf_emit_package(r, n, data, rd.off, native_len, flags))
		goto out;
	if (g_ascii_strcasecmp(cls, "Package") == 0) {
		rtf_note(r, EV_PACKAGE, "object %u: damaged package (%u bytes handed on whole)", n,
		         native_len);
		rtf_note(r, EV_DECODE, "object %u: damaged Package object", n);
	}
	seg = rtf_seg(n, cls, NULL);
	rtf_emit(r, data, rd.off, native_len, seg, NULL, flags);
	g_free(seg);
out:
	g_free(cls);
	g_free(topic);
	g_free(item);
}

/* ---- object data destinations ---- */

static size_t rtf_top(const struct rtf *r)
{
	return r->depth < RTF_MAX_DEPTH ? r->depth : RTF_MAX_DEPTH - 1;
}

static void od_start(struct rtf *r)
{
	r->od_active = true;
	r->od_skip = 0;
	r->od_owner = r->frames[rtf_top(r)].owner;
	vbuf_init(&r->od, vscan_room(r->s, r->o, &r->od_which));
	r->od_full = false;
	r->od_nibble = -1;
	r->od_cwords = r->od_groups = r->od_bins = r->od_quotes = r->od_garbage = 0;
	r->od_nested = 0;
}

static void od_put(struct rtf *r, const uint8_t *p, size_t n)
{
	if (!r->od_full && vbuf_append(&r->od, p, n) != VBUF_OK)
		r->od_full = true;
}

/* what object data holds besides hex and blanks (Word never writes it) */
static void od_obfuscation(struct rtf *r, const char *what)
{
	bool odd = r->od_nibble >= 0;

	if (!(r->od_cwords || r->od_groups || r->od_bins || r->od_quotes || r->od_garbage || odd))
		return;
	rtf_note(r, EV_OBFUSCATED,
	         "%s: %zu control words, %zu groups, %zu \\bin runs, %zu \\' escapes, %zu stray "
	         "characters%s%s in the hex",
	         what, r->od_cwords, r->od_groups, r->od_bins, r->od_quotes, r->od_garbage,
	         odd ? ", an odd digit count" : "",
	         r->od_nested ? ", \\objdata hidden in a nested group" : "");
}

static void od_finish(struct rtf *r, bool at_eof)
{
	unsigned n = r->objects + 1, flags = 0;
	const char *rtf_class = NULL;
	char what[32];
	uint8_t *data;
	size_t len;

	r->od_active = false;
	if (r->od_owner >= 0) {
		struct frame *f = &r->frames[r->od_owner];
		size_t l = f->cls_len < RTF_MAX_CLASS ? f->cls_len : RTF_MAX_CLASS - 1;

		while (l > 0 && g_ascii_isspace(f->cls[l - 1]))
			l--;
		f->cls[l] = 0;
		rtf_class = f->cls;
	}
	if (r->od.len == 0 && !r->od_full) {
		od_obfuscation(r, "empty object data");
		vbuf_free(&r->od);
		return;
	}
	if (r->objects >= RTF_MAX_OBJECTS) {
		if (!r->too_many)
			vfinding_add(r->s, r->o, F_LIMIT_OBJECTS,
			             "more than %d embedded objects in one RTF document; the rest "
			             "were not extracted",
			             RTF_MAX_OBJECTS);
		r->too_many = true;
		vbuf_free(&r->od);
		return;
	}
	r->objects = n;
	g_snprintf(what, sizeof what, "object %u", n);
	od_obfuscation(r, what);
	if (at_eof) {
		rtf_note(r, EV_DECODE, "object %u: the document ends inside the object data", n);
		flags |= VIGIL_OBJ_TRUNCATED;
	}
	if (r->od_full) {
		vscan_limit(r->s, r->o, r->od_which, "RTF object data");
		flags |= VIGIL_OBJ_TRUNCATED;
	}
	if (r->od.len == 0) {
		vbuf_free(&r->od);
		return;
	}
	data = vbuf_steal(&r->od, &len);
	rtf_object(r, n, data, len, flags, rtf_class);
}

/* ---- the tokenizer ---- */

static void rtf_open(struct rtf *r)
{
	size_t d;

	if (r->od_active) {
		r->od_skip++;
		r->od_groups++;
		d = r->depth + r->od_skip;
	} else {
		r->depth++;
		d = r->depth;
		if (r->depth < RTF_MAX_DEPTH) {
			struct frame *f = &r->frames[r->depth], *up = &r->frames[r->depth - 1];

			f->owner = up->owner;
			f->in_class = up->in_class;
			f->cls_len = 0;
		}
	}
	if (d > r->max_depth)
		r->max_depth = d;
}

static void rtf_close(struct rtf *r)
{
	if (r->od_active) {
		if (r->od_skip > 0) {
			r->od_skip--;
			return;
		}
		od_finish(r, false);
	}
	/* a stray '}' at the top level is ignored */
	if (r->depth > 0)
		r->depth--;
}

static void rtf_word(struct rtf *r, const char *name)
{
	struct frame *f = &r->frames[rtf_top(r)];

	if (strcmp(name, "object") == 0) {
		f->owner = (int32_t)rtf_top(r);
		f->cls_len = 0;
		f->in_class = false;
	} else if (strcmp(name, "objclass") == 0) {
		f->in_class = true;
	} else if (strcmp(name, "objdata") == 0) {
		od_start(r);
	} else if (strcmp(name, "objupdate") == 0) {
		r->objupdate = true;
	}
}

static void rtf_class_byte(struct rtf *r, uint8_t c)
{
	struct frame *f = &r->frames[rtf_top(r)];
	struct frame *obj;

	if (!f->in_class || f->owner < 0 || c == '\r' || c == '\n' || c == 0)
		return;
	obj = &r->frames[f->owner];
	if (obj->cls_len < RTF_MAX_CLASS - 1)
		obj->cls[obj->cls_len++] = (char)c;
}

/* p is just after a backslash; returns where the control ends */
static const uint8_t *rtf_control(struct rtf *r, const uint8_t *p, const uint8_t *end)
{
	char name[RTF_MAX_NAME + 1];
	size_t nlen = 0;
	int64_t param = 0;
	bool has_param = false, neg = false;

	if (p == end)
		return p;
	if (!g_ascii_isalpha(*p)) {
		uint8_t sym = *p++;

		if (sym == '\'') {
			/* Word takes the next two bytes, whatever they are */
			size_t take = end - p < 2 ? (size_t)(end - p) : 2;

			if (r->od_active && r->od_skip == 0) {
				r->od_quotes++;
				r->od_nibble = -1;
			} else if (!r->od_active && take == 2 && hexval(p[0]) >= 0 &&
			           hexval(p[1]) >= 0) {
				rtf_class_byte(r, (uint8_t)(hexval(p[0]) << 4 | hexval(p[1])));
			}
			return p + take;
		}
		if (r->od_active && r->od_skip == 0)
			r->od_cwords++;
		return p;
	}
	while (p < end && g_ascii_isalpha(*p)) {
		if (nlen < RTF_MAX_NAME)
			name[nlen] = (char)*p;
		nlen++;
		p++;
	}
	name[nlen < RTF_MAX_NAME ? nlen : RTF_MAX_NAME] = 0;
	if (p < end && *p == '-' && end - p > 1 && g_ascii_isdigit(p[1])) {
		neg = true;
		p++;
	}
	while (p < end && g_ascii_isdigit(*p)) {
		has_param = true;
		param = param * 10 + (*p - '0');
		if (param > RTF_PARAM_MAX)
			param = RTF_PARAM_MAX;
		p++;
	}
	if (p < end && *p == ' ')
		p++;
	if (nlen > RTF_MAX_NAME)
		name[0] = 0; /* too long to be anything we know */
	if (strcmp(name, "bin") == 0) {
		size_t n = has_param && !neg ? (size_t)param : 0;

		if (n > (size_t)(end - p))
			n = (size_t)(end - p);
		if (r->od_active && r->od_skip == 0) {
			r->od_bins++;
			r->od_nibble = -1;
			od_put(r, p, n);
		}
		return p + n;
	}
	if (r->od_active) {
		if (r->od_skip == 0)
			r->od_cwords++;
		else if (strcmp(name, "objdata") == 0)
			r->od_nested++;
		return p;
	}
	rtf_word(r, name);
	return p;
}

/* a run of text up to the next brace or backslash */
static const uint8_t *rtf_text(struct rtf *r, const uint8_t *p, const uint8_t *end)
{
	for (; p < end && *p != '{' && *p != '}' && *p != '\\'; p++) {
		uint8_t c = *p;
		int v;

		if (!r->od_active) {
			rtf_class_byte(r, c);
			continue;
		}
		if (r->od_skip > 0)
			continue;
		v = hexval(c);
		if (v < 0) {
			if (c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '\f' &&
			    c != '\v')
				r->od_garbage++;
			continue;
		}
		if (r->od_nibble < 0) {
			r->od_nibble = v;
		} else {
			uint8_t b = (uint8_t)(r->od_nibble << 4 | v);

			r->od_nibble = -1;
			od_put(r, &b, 1);
		}
	}
	return p;
}

static void rtf_parse(struct rtf *r)
{
	const uint8_t *start = r->o->data, *p = start, *end = start + r->o->len;
	size_t next_check = RTF_CHECK_EVERY;

	while (p < end && !r->stop) {
		if ((size_t)(p - start) >= next_check) {
			next_check = (size_t)(p - start) + RTF_CHECK_EVERY;
			if (vscan_should_stop(r->s, r->o))
				break;
		}
		if (*p == '{') {
			rtf_open(r);
			p++;
		} else if (*p == '}') {
			rtf_close(r);
			p++;
		} else if (*p == '\\') {
			p = rtf_control(r, p + 1, end);
		} else {
			p = rtf_text(r, p, end);
		}
	}
	if (r->od_active) {
		if (r->stop)
			vbuf_free(&r->od);
		else
			od_finish(r, true);
	}
}

static void rtf_extract(vigil_scan *s, vigil_object *o)
{
	struct rtf r;

	if (o->data == NULL || o->len == 0)
		return;
	memset(&r, 0, sizeof r);
	r.s = s;
	r.o = o;
	r.frames = g_new0(struct frame, RTF_MAX_DEPTH);
	r.frames[0].owner = -1;
	for (int k = 0; k < EV__COUNT; k++)
		vbuf_init(&r.ev[k], RTF_EVIDENCE);
	rtf_parse(&r);
	rtf_flush(&r);
	g_free(r.frames);
}

static const char *const rtf_types[] = {"rtf", NULL};
const extractor rtf_extractor = {"rtf", rtf_types, rtf_extract};
