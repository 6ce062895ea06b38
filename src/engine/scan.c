/*
 * scan.c - one scan: the object tree, the depth-first walk and the limits.
 *
 * vscan_process() runs every stage on one object; extractors call
 * vscan_emit() for each child, which checks the limits and recurses. Depth is
 * bounded by VIGIL_LIMIT_DEPTH, so the recursion is too. Limits are checked
 * before bytes are produced (vscan_room) and again when a child arrives.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../util/vbuf.h"

#define MAX_SEG 200            /* bytes of one path segment */
#define MAX_FACTS 2000         /* values kept per fact kind */
#define MAX_FACT_LEN 2048      /* bytes per fact value */
#define RATIO_FLOOR (8u << 20) /* ratio applies above this many bytes */

static void object_free(gpointer p)
{
	vigil_object *o = p;

	if (o == NULL)
		return;
	g_assert(o->magic == VOBJ_MAGIC);
	g_free(o->path);
	g_free(o->name);
	g_free(o->part);
	g_free(o->ctype);
	g_free(o->charset);
	g_free(o->disposition);
	if (o->hdrs != NULL)
		g_ptr_array_unref(o->hdrs);
	if (!o->borrowed)
		free(o->data);
	o->magic = 0xdeadbeef;
	g_free(o);
}

/* a note and how to free it */
struct note {
	void *value;
	GDestroyNotify free_fn;
};

static void note_free(gpointer p)
{
	struct note *n = p;

	if (n->free_fn != NULL && n->value != NULL)
		n->free_fn(n->value);
	g_free(n);
}

vigil_scan *vigil_scan_new(vigil_engine *e, unsigned flags)
{
	vigil_scan *s;

	if (e == NULL)
		return NULL;
	s = g_new0(vigil_scan, 1);
	s->magic = VSCAN_MAGIC;
	s->eng = vigil_engine_ref(e);
	s->flags = flags;
	s->objs = g_ptr_array_new_with_free_func(object_free);
	s->findings = g_ptr_array_new_with_free_func((GDestroyNotify)vfinding_free);
	for (int i = 0; i < VIGIL_FACT__COUNT; i++) {
		s->facts[i] = g_ptr_array_new_with_free_func(g_free);
		s->fact_seen[i] = g_hash_table_new(g_str_hash, g_str_equal);
	}
	s->notes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, note_free);
	s->passwords = g_ptr_array_new_with_free_func(g_free);
	s->password_seen = g_hash_table_new(g_str_hash, g_str_equal);
	return s;
}

void vigil_scan_free(vigil_scan *s)
{
	if (s == NULL)
		return;
	g_assert(s->magic == VSCAN_MAGIC);
	yara_scanner_free(s);
	g_hash_table_destroy(s->notes);
	g_hash_table_destroy(s->password_seen);
	g_ptr_array_unref(s->passwords);
	if (s->pw_pending != NULL)
		g_ptr_array_unref(s->pw_pending);
	g_ptr_array_unref(s->objs);
	g_ptr_array_unref(s->findings);
	for (int i = 0; i < VIGIL_FACT__COUNT; i++) {
		g_hash_table_destroy(s->fact_seen[i]);
		g_ptr_array_unref(s->facts[i]);
	}
	vigil_engine_unref(s->eng);
	s->magic = 0xdeadbeef;
	g_free(s);
}

void vscan_fact(vigil_scan *s, vigil_fact f, const char *value)
{
	char *v;

	if ((unsigned)f >= VIGIL_FACT__COUNT || value == NULL || *value == 0)
		return;
	if (s->facts[f]->len >= MAX_FACTS)
		return;
	if (g_hash_table_contains(s->fact_seen[f], value))
		return;
	v = vstr_sanitize(value, MAX_FACT_LEN);
	if (g_hash_table_contains(s->fact_seen[f], v)) {
		g_free(v);
		return;
	}
	g_ptr_array_add(s->facts[f], v);
	g_hash_table_add(s->fact_seen[f], v);
}

vigil_err vigil_scan_set_envelope_from(vigil_scan *s, const char *addr)
{
	if (s == NULL || addr == NULL)
		return VIGIL_EINVAL;
	vscan_fact(s, VIGIL_FACT_ENVELOPE_FROM, addr);
	return VIGIL_OK;
}

vigil_err vigil_scan_add_envelope_rcpt(vigil_scan *s, const char *addr)
{
	if (s == NULL || addr == NULL)
		return VIGIL_EINVAL;
	vscan_fact(s, VIGIL_FACT_ENVELOPE_RCPT, addr);
	return VIGIL_OK;
}

vigil_err vigil_scan_set_direction(vigil_scan *s, vigil_direction d)
{
	if (s == NULL || (unsigned)d > VIGIL_DIR_OUTBOUND)
		return VIGIL_EINVAL;
	s->direction = d;
	return VIGIL_OK;
}

bool vigil_type_known(const char *type)
{
	return type != NULL && ftype_known(type) != NULL;
}

vigil_err vigil_scan_set_type(vigil_scan *s, const char *type)
{
	const char *t = NULL;

	if (s == NULL || (type != NULL && (t = ftype_known(type)) == NULL))
		return VIGIL_EINVAL;
	s->root_type = t;
	return VIGIL_OK;
}

void *vscan_note(vigil_scan *s, const char *key)
{
	struct note *n = g_hash_table_lookup(s->notes, key);

	return n ? n->value : NULL;
}

void vscan_note_set(vigil_scan *s, const char *key, void *value, GDestroyNotify free_fn)
{
	struct note *n = g_new0(struct note, 1);

	n->value = value;
	n->free_fn = free_fn;
	g_hash_table_replace(s->notes, g_strdup(key), n);
}

#define MAX_PASSWORDS 64

void vscan_password_add(vigil_scan *s, const char *pw)
{
	char *c;

	if (pw == NULL || *pw == 0 || strlen(pw) > 128 || s->passwords->len >= MAX_PASSWORDS)
		return;
	if (g_hash_table_contains(s->password_seen, pw))
		return;
	c = g_strdup(pw);
	g_ptr_array_add(s->passwords, c);
	g_hash_table_add(s->password_seen, c);
}

const GPtrArray *vscan_passwords(vigil_scan *s)
{
	vscan_passwords_collect(s);
	return s->passwords;
}

const char *vobj_header(const vigil_object *o, const char *name)
{
	if (o == NULL || o->hdrs == NULL)
		return NULL;
	for (guint i = 0; i < o->hdrs->len; i++) {
		const struct vhdr *h = g_ptr_array_index(o->hdrs, i);

		if (g_ascii_strcasecmp(h->name, name) == 0)
			return h->value;
	}
	return NULL;
}

vigil_object *vscan_object(vigil_scan *s, size_t i)
{
	if (i >= s->objs->len)
		return NULL;
	return g_ptr_array_index(s->objs, i);
}

static finding_kind limit_finding(vigil_limit l)
{
	switch (l) {
	case VIGIL_LIMIT_DEPTH:
		return F_LIMIT_DEPTH;
	case VIGIL_LIMIT_OBJECTS:
		return F_LIMIT_OBJECTS;
	case VIGIL_LIMIT_TOTAL_BYTES:
		return F_LIMIT_TOTAL_BYTES;
	case VIGIL_LIMIT_OBJECT_BYTES:
		return F_LIMIT_OBJECT_BYTES;
	case VIGIL_LIMIT_RATIO:
		return F_LIMIT_RATIO;
	case VIGIL_LIMIT_TIME_MS:
		return F_LIMIT_TIME;
	case VIGIL_LIMIT_MIME_DEPTH:
	case VIGIL_LIMIT__COUNT:
		break;
	}
	return F_LIMIT_MIME_DEPTH;
}

void vscan_limit(vigil_scan *s, vigil_object *o, vigil_limit l, const char *evidence)
{
	unsigned bit = 1u << l;

	if (o->limits_hit & bit)
		return;
	/* scan-wide limits are reported once per scan */
	if (l == VIGIL_LIMIT_OBJECTS || l == VIGIL_LIMIT_TIME_MS || l == VIGIL_LIMIT_TOTAL_BYTES) {
		if (s->global_hits & bit)
			return;
		s->global_hits |= bit;
	}
	o->limits_hit |= bit;
	vfinding_add(s, o, limit_finding(l), "%s (limit %s = %llu)", evidence ? evidence : "",
	             vigil_limit_name(l), (unsigned long long)s->eng->limits[l]);
}

bool vscan_should_stop(vigil_scan *s, vigil_object *o)
{
	if (s->stopped)
		return true;
	if (g_get_monotonic_time() > s->deadline_us) {
		vscan_limit(s, o, VIGIL_LIMIT_TIME_MS, "scan time exceeded");
		s->stopped = true;
	}
	return s->stopped;
}

void vscan_charge(vigil_scan *s, vigil_object *o, size_t n)
{
	s->total_unpacked += n;
	o->unpacked += n;
}

size_t vscan_room(vigil_scan *s, vigil_object *parent, vigil_limit *which)
{
	const uint64_t *lim = s->eng->limits;
	uint64_t room = lim[VIGIL_LIMIT_OBJECT_BYTES];
	vigil_limit w = VIGIL_LIMIT_OBJECT_BYTES;
	uint64_t total_left = 0, ratio_cap, ratio_left = 0;

	if (s->total_unpacked < lim[VIGIL_LIMIT_TOTAL_BYTES])
		total_left = lim[VIGIL_LIMIT_TOTAL_BYTES] - s->total_unpacked;
	if (total_left < room) {
		room = total_left;
		w = VIGIL_LIMIT_TOTAL_BYTES;
	}
	if (parent != NULL) {
		/* saturating: len * ratio */
		if (parent->len != 0 && lim[VIGIL_LIMIT_RATIO] > UINT64_MAX / parent->len)
			ratio_cap = UINT64_MAX;
		else
			ratio_cap = (uint64_t)parent->len * lim[VIGIL_LIMIT_RATIO];
		if (ratio_cap < RATIO_FLOOR)
			ratio_cap = RATIO_FLOOR;
		if (parent->unpacked < ratio_cap)
			ratio_left = ratio_cap - parent->unpacked;
		if (ratio_left < room) {
			room = ratio_left;
			w = VIGIL_LIMIT_RATIO;
		}
	}
	if (which != NULL)
		*which = w;
	return room > SIZE_MAX ? SIZE_MAX : (size_t)room;
}

/* A path segment a person can read: control characters escaped, bounded. */
static char *make_seg(const vchild *c, size_t index)
{
	const char *src = c->seg;
	char *name = NULL, *seg;

	if (src == NULL && c->part != NULL && c->name != NULL) {
		name = g_strdup_printf("%s:%s", c->part, c->name);
		src = name;
	} else if (src == NULL && c->part != NULL) {
		src = c->part;
	} else if (src == NULL && c->name != NULL) {
		src = c->name;
	}
	if (src == NULL || *src == 0) {
		seg = g_strdup_printf("#%zu", index);
		g_free(name);
		return seg;
	}
	seg = vstr_sanitize(src, MAX_SEG);
	g_free(name);
	return seg;
}

static bool type_in(const char *type, const char *const *list)
{
	if (list == NULL)
		return true;
	for (; *list != NULL; list++)
		if (strcmp(*list, type) == 0)
			return true;
	return false;
}

static void release_data(vigil_scan *s, vigil_object *o)
{
	if (s->flags & VIGIL_SCAN_KEEP_DATA)
		return;
	if (!o->borrowed)
		free(o->data);
	o->data = NULL;
	o->len = 0;
	o->borrowed = false;
}

static void second_view(vigil_scan *s, vigil_object *o, const char *type)
{
	const char *first = o->type;
	const analyzer *const *an;
	const extractor *ex;

	vfinding_add(s, o, F_CONTENT_POLYGLOT, "the message is also a valid %s", type);
	o->type = type;
	for (an = registry_analyzers(); *an != NULL && !vscan_should_stop(s, o); an++)
		if (!(*an)->after && type_in(o->type, (*an)->types))
			(*an)->analyze(s, o);
	ex = registry_extractor_for(o->type);
	if (ex != NULL && !vscan_should_stop(s, o))
		ex->extract(s, o);
	for (an = registry_analyzers(); *an != NULL && !s->stopped; an++)
		if ((*an)->after && type_in(o->type, (*an)->types))
			(*an)->analyze(s, o);
	o->type = first;
}

static void process(vigil_scan *s, vigil_object *o)
{
	const analyzer *const *an;
	const extractor *ex;

	if (o->type == NULL)
		o->type = ftype_detect(o->data, o->len, &o->mime);
	else if (o->mime == NULL)
		(void)ftype_detect(o->data, o->len, &o->mime);
	vhash_object(o);
	if (vscan_should_stop(s, o))
		return;
	ioc_match_object(s, o);
	yara_scan_object(s, o);
	for (an = registry_analyzers(); *an != NULL; an++) {
		if (!(*an)->after && type_in(o->type, (*an)->types))
			(*an)->analyze(s, o);
		if (vscan_should_stop(s, o))
			return;
	}
	ex = registry_extractor_for(o->type);
	if (ex != NULL)
		ex->extract(s, o);
	/* after the children: these see what the extractor learned (headers,
	 * the whole tree below); a time-out skips them, never a limit hit */
	if (s->stopped)
		return;
	for (an = registry_analyzers(); *an != NULL; an++)
		if ((*an)->after && type_in(o->type, (*an)->types))
			(*an)->analyze(s, o);
	/* a message that is also a tar, an ISO image or a PDF: read it both
	 * ways, so what one reader sees cannot hide from the other */
	{
		const char *poly = ftype_polyglot(o->data, o->len, o->type);

		if (poly != NULL)
			second_view(s, o, poly);
	}
}

int vscan_emit(vigil_scan *s, vigil_object *parent, vchild *c)
{
	const uint64_t *lim = s->eng->limits;
	vigil_object *o;
	vigil_limit which;
	size_t room;

	if (vscan_should_stop(s, parent))
		goto refuse;
	if (s->objs->len >= lim[VIGIL_LIMIT_OBJECTS]) {
		vscan_limit(s, parent, VIGIL_LIMIT_OBJECTS, "too many objects");
		s->stopped = true;
		goto refuse;
	}
	if ((uint64_t)parent->depth + 1 > lim[VIGIL_LIMIT_DEPTH]) {
		vscan_limit(s, parent, VIGIL_LIMIT_DEPTH, "children not unpacked");
		goto refuse;
	}
	room = vscan_room(s, parent, &which);
	if (c->len > room) {
		/* the extractor should have asked first; keep the prefix */
		vscan_limit(s, parent, which, "child truncated");
		c->len = room;
		c->flags |= VIGIL_OBJ_TRUNCATED;
	}

	o = g_new0(vigil_object, 1);
	o->magic = VOBJ_MAGIC;
	o->index = s->objs->len;
	o->parent = parent->index;
	o->depth = parent->depth + 1;
	o->name = c->name ? vstr_sanitize(c->name, 1024) : NULL;
	o->part = c->part ? g_strdup(c->part) : NULL;
	o->ctype = c->ctype ? vstr_sanitize(c->ctype, 256) : NULL;
	o->charset = c->charset ? vstr_sanitize(c->charset, 64) : NULL;
	o->disposition = c->disposition ? vstr_sanitize(c->disposition, 32) : NULL;
	o->type = c->type_hint;
	o->data = c->data;
	o->len = c->len;
	o->size = c->size > c->len ? c->size : c->len;
	o->flags = c->flags;
	o->mime_depth = c->mime_depth;
	{
		char *seg = make_seg(c, o->index);

		o->path = g_strconcat(parent->path, "/", seg, NULL);
		g_free(seg);
	}
	c->data = NULL;
	g_ptr_array_add(s->objs, o);
	s->total_unpacked += o->len;
	parent->unpacked += o->len;

	process(s, o);
	release_data(s, o);
	return s->stopped ? VSCAN_STOP : VSCAN_CONTINUE;
refuse:
	free(c->data);
	c->data = NULL;
	return VSCAN_STOP;
}

static char *root_path(const char *type, const char *name)
{
	if (strcmp(type, "email") == 0 || name == NULL || *name == 0)
		return g_strdup(strcmp(type, "email") == 0 ? "msg" : "input");
	{
		const char *base = strrchr(name, '/');

		return vstr_sanitize(base != NULL && base[1] ? base + 1 : name, MAX_SEG);
	}
}

static vigil_err scan_buffer(vigil_scan *s, const void *data, size_t len, const char *name,
                             const char *type);

vigil_err vigil_scan_buffer(vigil_scan *s, const void *data, size_t len, const char *name)
{
	return scan_buffer(s, data, len, name, s != NULL ? s->root_type : NULL);
}

vigil_err vscan_buffer_typed(vigil_scan *s, const void *data, size_t len, const char *name,
                             const char *type)
{
	return scan_buffer(s, data, len, name, type);
}

static vigil_err scan_buffer(vigil_scan *s, const void *data, size_t len, const char *name,
                             const char *type)
{
	const uint64_t *lim;
	vigil_object *o;

	if (s == NULL || (data == NULL && len > 0))
		return VIGIL_EINVAL;
	if (s->done)
		return VIGIL_ESTATE;
	lim = s->eng->limits;
	s->start_us = g_get_monotonic_time();
	s->deadline_us = s->start_us + (gint64)lim[VIGIL_LIMIT_TIME_MS] * 1000;

	o = g_new0(vigil_object, 1);
	o->magic = VOBJ_MAGIC;
	o->index = 0;
	o->parent = SIZE_MAX;
	o->size = len;
	if (len > lim[VIGIL_LIMIT_OBJECT_BYTES]) {
		len = lim[VIGIL_LIMIT_OBJECT_BYTES];
		o->flags |= VIGIL_OBJ_TRUNCATED;
	}
	if (s->flags & VIGIL_SCAN_KEEP_DATA) {
		o->data = malloc(len ? len : 1);
		if (o->data == NULL) {
			g_free(o);
			return VIGIL_ENOMEM;
		}
		if (len)
			memcpy(o->data, data, len);
	} else {
		o->data = (uint8_t *)data;
		o->borrowed = true;
	}
	o->len = len;
	/* the declared name of the input is its file name, not where it lay */
	if (name != NULL && strrchr(name, '/') != NULL && strrchr(name, '/')[1] != 0)
		name = strrchr(name, '/') + 1;
	o->name = name ? vstr_sanitize(name, 1024) : NULL;
	o->type = ftype_detect(o->data, o->len, &o->mime);
	if (type != NULL)
		o->type = g_intern_string(type);
	o->path = root_path(o->type, o->name);
	g_ptr_array_add(s->objs, o);
	if (o->flags & VIGIL_OBJ_TRUNCATED)
		vscan_limit(s, o, VIGIL_LIMIT_OBJECT_BYTES, "input larger than the object limit");

	process(s, o);
	ioc_match_facts(s);
	release_data(s, o);
	vfinding_verdict(s);
	s->elapsed_ms = (double)(g_get_monotonic_time() - s->start_us) / 1000.0;
	s->done = true;
	return VIGIL_OK;
}

vigil_err vigil_scan_fd(vigil_scan *s, int fd, const char *name)
{
	vbuf b;
	uint64_t max;
	vigil_err rc;

	if (s == NULL || fd < 0)
		return VIGIL_EINVAL;
	/* one byte past the limit lets vigil_scan_buffer see and report it */
	max = s->eng->limits[VIGIL_LIMIT_OBJECT_BYTES];
	vbuf_init(&b, max >= SIZE_MAX ? SIZE_MAX : (size_t)max + 1);
	while (b.len < b.max) {
		size_t want = b.max - b.len < 65536 ? b.max - b.len : 65536;
		uint8_t *p = vbuf_reserve(&b, want);
		ssize_t n;

		if (p == NULL) {
			vbuf_free(&b);
			return VIGIL_ENOMEM;
		}
		n = read(fd, p, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			vbuf_free(&b);
			return VIGIL_EIO;
		}
		if (n == 0)
			break;
		b.len += (size_t)n;
	}
	rc = vigil_scan_buffer(s, b.data ? b.data : (const uint8_t *)"", b.len, name);
	vbuf_free(&b);
	return rc;
}

/* ---- result accessors ---- */

vigil_verdict vigil_scan_verdict(const vigil_scan *s)
{
	return s ? s->verdict : VIGIL_CLEAN;
}

int vigil_scan_score(const vigil_scan *s)
{
	return s ? s->score : 0;
}

double vigil_scan_elapsed_ms(const vigil_scan *s)
{
	return s ? s->elapsed_ms : 0;
}

size_t vigil_scan_object_count(const vigil_scan *s)
{
	return s ? s->objs->len : 0;
}

const vigil_object *vigil_scan_object(const vigil_scan *s, size_t i)
{
	if (s == NULL || i >= s->objs->len)
		return NULL;
	return g_ptr_array_index(s->objs, i);
}

size_t vigil_scan_fact_count(const vigil_scan *s, vigil_fact f)
{
	if (s == NULL || (unsigned)f >= VIGIL_FACT__COUNT)
		return 0;
	return s->facts[f]->len;
}

const char *vigil_scan_fact(const vigil_scan *s, vigil_fact f, size_t i)
{
	if (s == NULL || (unsigned)f >= VIGIL_FACT__COUNT || i >= s->facts[f]->len)
		return NULL;
	return g_ptr_array_index(s->facts[f], i);
}

size_t vigil_object_index(const vigil_object *o)
{
	return o->index;
}
size_t vigil_object_parent(const vigil_object *o)
{
	return o->parent;
}
unsigned vigil_object_depth(const vigil_object *o)
{
	return o->depth;
}
const char *vigil_object_path(const vigil_object *o)
{
	return o->path;
}
const char *vigil_object_type(const vigil_object *o)
{
	return o->type;
}
const char *vigil_object_mime(const vigil_object *o)
{
	return o->mime ? o->mime : "application/octet-stream";
}
const char *vigil_object_name(const vigil_object *o)
{
	return o->name;
}
const char *vigil_object_part(const vigil_object *o)
{
	return o->part;
}
const char *vigil_object_content_type(const vigil_object *o)
{
	return o->ctype;
}
const char *vigil_object_charset(const vigil_object *o)
{
	return o->charset;
}
const char *vigil_object_disposition(const vigil_object *o)
{
	return o->disposition;
}
uint64_t vigil_object_size(const vigil_object *o)
{
	return o->size;
}
unsigned vigil_object_flags(const vigil_object *o)
{
	return o->flags;
}
const char *vigil_object_sha256(const vigil_object *o)
{
	return o->sha256;
}
const char *vigil_object_sha1(const vigil_object *o)
{
	return o->sha1;
}
const char *vigil_object_md5(const vigil_object *o)
{
	return o->md5;
}
const uint8_t *vigil_object_data(const vigil_object *o, size_t *len)
{
	if (o->data == NULL) {
		*len = 0;
		return NULL;
	}
	*len = o->len;
	return o->data;
}
