/*
 * ole.c - OLE2 compound files (.doc/.xls/.ppt/.msg/.msi, encrypted OOXML) with libgsf.
 *
 * Every stream of the file becomes a child object whose path segment is its
 * storage path inside the file ("Macros/VBA/Module1"); control characters in
 * names ("\x01Ole10Native") are escaped by the engine, and a '/' inside a
 * name is written "\x2F" so that paths stay unambiguous. Streams named
 * "\x01Ole10Native" (OLE Package objects, the way .exe/.js/.lnk files ride
 * inside Office documents) get the type "ole10native" and come back to this
 * extractor, which emits the embedded file as their child, named by the file
 * name the package will write to disk; a package that only links to a file
 * on disk or a share is a finding (ole.package_link), and a label whose type
 * differs from that file's is one too (ole.package_label_mismatch).
 * PowerPoint keeps embedded objects and the VBA project as (zlib-compressed)
 * OLE2 storages inside records of its "PowerPoint Document" stream: that
 * stream gets the type "ppt-document" and each such record becomes a child
 * "ExOleObjStg-N", unpacked again as OLE2.
 *
 * Password protection is a finding (document.encrypted): encrypted OOXML
 * (EncryptionInfo + EncryptedPackage), Word's fEncrypted flag, an Excel
 * FILEPASS record, PowerPoint's encrypted CurrentUserAtom / EncryptedSummary.
 * Where the key check is cheap and the format one we know (ECMA-376 standard
 * and agile encryption, Excel RC4 and RC4 CryptoAPI), the well-known default
 * password "VelvetSweatshop" is tried: a file encrypted with it opens in Excel
 * without a prompt while its content stays hidden from scanners.
 *
 * Ownership: libgsf reads the object's bytes in place (no copy); stream bytes
 * are copied into a vbuf that vscan_emit() takes over.
 *
 * libgsf is not handed a file before our own walk over its directory (no
 * recursion) has shown a shape it can take (see "before libgsf" below); its
 * log messages about a file become archive.damaged evidence, not stderr.
 * The scanning thread needs about 1 MiB of stack for libgsf's recursion.
 *
 * Limits: storages nest at most OLE_MAX_DEPTH deep and at most
 * OLE_MAX_ENTRIES directory entries are visited; stream sizes in the header
 * are never trusted: streams are read in chunks through libgsf into a vbuf no
 * larger than vscan_room(), and a read that fails keeps what came before it
 * (archive.damaged). Package headers and PowerPoint records are parsed with
 * bounds checks against the stream's real length, records at most
 * PPT_MAX_DEPTH containers deep.
 */
#include "../internal.h"

#include <gsf/gsf-infile-msole.h>
#include <gsf/gsf-infile.h>
#include <gsf/gsf-input-memory.h>
#include <gsf/gsf-input.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../../util/bytes.h"
#include "../../util/vbuf.h"
#include "ole_crypt.h"

#define OLE_MAX_DEPTH 32
#define OLE_MAX_ENTRIES 4096
#define OLE_CHUNK 65536
#define OLE_MAX_PREFIX 65536  /* bytes read from a stream for a format check */
#define BIFF_MAX_RECORDS 4096 /* records walked looking for FILEPASS */
#define OLE_MAX_DIRENTS 16384 /* directory entries before libgsf is called */
#define OLE_MAX_TREE 8192     /* longest link path: libgsf recurses, ~80 bytes a level */
#define PPT_MAX_RECORDS 65536
#define PPT_MAX_DEPTH 8

struct ole_walk {
	vigil_scan *s;
	vigil_object *o;
	unsigned entries;
	unsigned damaged;
	bool stop;
	char *gsf_note;     /* first message libgsf logged about this file */
	char *first_damage; /* evidence of the first damaged entry */
};

/* One finding per file (the engine keeps one per object and kind): the
 * first damaged entry names it, the rest are counted. */
static void ole_damaged(struct ole_walk *w, const char *path, const char *what)
{
	w->o->flags |= VIGIL_OBJ_PARTIAL;
	if (w->damaged++ == 0)
		w->first_damage = g_strdup_printf("OLE2 %s: %s", path, what);
}

static void ole_damaged_report(struct ole_walk *w)
{
	if (w->damaged == 1)
		vfinding_add(w->s, w->o, F_ARCHIVE_DAMAGED, "%s", w->first_damage);
	else if (w->damaged > 1)
		vfinding_add(w->s, w->o, F_ARCHIVE_DAMAGED, "%s (and %u more damaged entries)",
		             w->first_damage, w->damaged - 1);
	g_free(w->first_damage);
}

/* "Macros" + "VBA" -> "Macros/VBA"; a '/' inside a name is escaped */
static char *ole_join(const char *prefix, const char *name)
{
	GString *g = g_string_new(prefix);

	if (g->len > 0)
		g_string_append_c(g, '/');
	for (const char *p = name; *p != 0; p++) {
		if (*p == '/')
			g_string_append(g, "\\x2F");
		else
			g_string_append_c(g, *p);
	}
	return g_string_free(g, FALSE);
}

/*
 * Reads a stream into b (bounded by b->max). Returns false when libgsf could
 * not read all of it (damaged chain); *full when b->max stopped it.
 */
static bool ole_read(struct ole_walk *w, GsfInput *in, vbuf *b, bool *full)
{
	unsigned chunks = 0;

	*full = false;
	for (;;) {
		gsf_off_t left = gsf_input_remaining(in);
		size_t n;
		const guint8 *p;

		if (left <= 0)
			return true;
		n = left < OLE_CHUNK ? (size_t)left : OLE_CHUNK;
		if (n > b->max - b->len) {
			n = b->max - b->len;
			if (n == 0) {
				*full = true;
				return true;
			}
		}
		p = gsf_input_read(in, n, NULL);
		if (p == NULL)
			return false;
		if (vbuf_append(b, p, n) != VBUF_OK) {
			*full = b->len == b->max;
			return *full;
		}
		if ((++chunks & 63) == 0 && vscan_should_stop(w->s, w->o)) {
			w->stop = true;
			return true;
		}
	}
}

static void ole_stream(struct ole_walk *w, GsfInput *in, const char *path, const char *name)
{
	vigil_limit which;
	vbuf b;
	bool full, ok;
	vchild ch;
	gsf_off_t declared = gsf_input_size(in);

	vbuf_init(&b, vscan_room(w->s, w->o, &which));
	ok = ole_read(w, in, &b, &full);
	if (!ok)
		ole_damaged(w, path, "stream cannot be read to its end");
	if (full) {
		vscan_limit(w->s, w->o, which, path);
		w->o->flags |= VIGIL_OBJ_PARTIAL;
	}
	memset(&ch, 0, sizeof ch);
	ch.seg = path;
	ch.name = path;
	ch.size = declared > 0 ? (uint64_t)declared : 0;
	ch.flags = full || !ok ? VIGIL_OBJ_TRUNCATED : 0;
	if (strcmp(name, "\x01Ole10Native") == 0)
		ch.type_hint = "ole10native";
	else if (strcmp(path, "PowerPoint Document") == 0 && !(w->o->flags & VIGIL_OBJ_ENCRYPTED))
		ch.type_hint = "ppt-document";
	ch.data = vbuf_steal(&b, &ch.len);
	if (vscan_emit(w->s, w->o, &ch) == VSCAN_STOP)
		w->stop = true;
}

static bool ole_is_storage(GsfInput *in)
{
	return GSF_IS_INFILE(in) && gsf_infile_num_children(GSF_INFILE(in)) >= 0;
}

/* Depth-first over one storage; depth is bounded by OLE_MAX_DEPTH. */
static void ole_walk_storage(struct ole_walk *w, GsfInfile *dir, const char *prefix, unsigned depth)
{
	int n = gsf_infile_num_children(dir);

	for (int i = 0; i < n && !w->stop; i++) {
		const char *name = gsf_infile_name_by_index(dir, i);
		char idx[32];
		char *path;
		GsfInput *child;

		if (++w->entries > OLE_MAX_ENTRIES) {
			vfinding_add(
			        w->s, w->o, F_LIMIT_OBJECTS,
			        "OLE2 file has more than %u entries; the rest were not unpacked",
			        OLE_MAX_ENTRIES);
			w->o->flags |= VIGIL_OBJ_PARTIAL;
			w->stop = true;
			return;
		}
		if (name == NULL || *name == 0) {
			g_snprintf(idx, sizeof idx, "#%d", i);
			name = idx;
		}
		path = ole_join(prefix, name);
		child = gsf_infile_child_by_index(dir, i);
		if (child == NULL) {
			ole_damaged(w, path, "entry cannot be opened");
		} else if (ole_is_storage(child)) {
			if (depth + 1 >= OLE_MAX_DEPTH) {
				vfinding_add(w->s, w->o, F_LIMIT_DEPTH,
				             "OLE2 storages nested deeper than %u at %s",
				             OLE_MAX_DEPTH, path);
				w->o->flags |= VIGIL_OBJ_PARTIAL;
			} else {
				ole_walk_storage(w, GSF_INFILE(child), path, depth + 1);
			}
		} else {
			ole_stream(w, child, path, name);
		}
		if (child != NULL)
			g_object_unref(child);
		g_free(path);
	}
}

/* ---- password protection ---- */

/* Reads up to max bytes of a root stream; NULL if there is no such stream. */
static GBytes *ole_prefix(GsfInfile *root, const char *name, size_t max)
{
	GsfInput *in = gsf_infile_child_by_name(root, name);
	gsf_off_t size;
	size_t n;
	const guint8 *p;
	GBytes *r = NULL;

	if (in == NULL)
		return NULL;
	if (ole_is_storage(in))
		goto out;
	size = gsf_input_size(in);
	n = size <= 0 ? 0 : (uint64_t)size < max ? (size_t)size : max;
	p = n > 0 ? gsf_input_read(in, n, NULL) : NULL;
	r = p != NULL ? g_bytes_new(p, n) : g_bytes_new(NULL, 0);
out:
	g_object_unref(in);
	return r;
}

static bool ole_has(GsfInfile *root, const char *name)
{
	GsfInput *in = gsf_infile_child_by_name(root, name);

	if (in == NULL)
		return false;
	g_object_unref(in);
	return true;
}

static void ole_encrypted(struct ole_walk *w, const char *what, const char *velvet)
{
	vfinding_add(w->s, w->o, F_DOC_ENCRYPTED, "%s%s", what, velvet);
	w->o->flags |= VIGIL_OBJ_ENCRYPTED;
	if (*velvet != 0)
		vfinding_add(w->s, w->o, F_DOC_DEFAULT_PASSWORD, "%s", what);
}

static const char *velvet_note(bool opens)
{
	return opens ? "; the password is Excel's default \"VelvetSweatshop\": "
	               "it opens without a prompt"
	             : "";
}

/* ECMA-376 encrypted OOXML: EncryptionInfo + EncryptedPackage */
static bool ole_check_ooxml(struct ole_walk *w, GsfInfile *root)
{
	GBytes *info;
	const uint8_t *p;
	size_t n;
	const char *kind;
	char what[160];

	if (!ole_has(root, "EncryptedPackage"))
		return false;
	info = ole_prefix(root, "EncryptionInfo", OLE_MAX_PREFIX);
	if (info == NULL)
		return false;
	p = g_bytes_get_data(info, &n);
	if (n >= 4 && le16(p + 2) == 4 && le16(p) == 4)
		kind = "agile";
	else if (n >= 4 && le16(p + 2) == 2 && (le16(p) >= 2 && le16(p) <= 4))
		kind = "standard";
	else if (n >= 4 && le16(p + 2) == 3 && (le16(p) == 3 || le16(p) == 4))
		kind = "extensible";
	else
		kind = "unknown";
	g_snprintf(what, sizeof what, "encrypted OOXML package (ECMA-376 %s encryption)", kind);
	ole_encrypted(w, what, velvet_note(crypt_ooxml_default_password(p, n)));
	g_bytes_unref(info);
	return true;
}

/* Word 97+: FIB base, wIdent 0xA5EC, flags at 0x0A: fEncrypted 0x0100 */
static bool ole_check_word(struct ole_walk *w, GsfInfile *root)
{
	GBytes *fib = ole_prefix(root, "WordDocument", 0x20);
	const uint8_t *p;
	size_t n;
	uint16_t flags;
	bool enc = false;

	if (fib == NULL)
		return false;
	p = g_bytes_get_data(fib, &n);
	if (n >= 0x0C && le16(p) == 0xA5EC) {
		flags = le16(p + 0x0A);
		if (flags & 0x0100) {
			ole_encrypted(w,
			              flags & 0x8000
			                      ? "Word document with the fEncrypted flag "
			                        "(XOR obfuscation)"
			                      : "Word document with the fEncrypted flag (RC4)",
			              "");
			enc = true;
		}
	}
	g_bytes_unref(fib);
	return enc;
}

/* Excel BIFF: a FILEPASS record (0x002F) before the first BOUNDSHEET (0x0085) */
static bool ole_check_excel(struct ole_walk *w, GsfInfile *root)
{
	GBytes *wb = ole_prefix(root, "Workbook", OLE_MAX_PREFIX);
	const uint8_t *p;
	size_t n, off = 0;
	bool enc = false;

	if (wb == NULL)
		wb = ole_prefix(root, "Book", OLE_MAX_PREFIX);
	if (wb == NULL)
		return false;
	p = g_bytes_get_data(wb, &n);
	for (unsigned r = 0; r < BIFF_MAX_RECORDS && 4 <= n - off; r++) {
		uint16_t type = le16(p + off), len = le16(p + off + 2);
		const uint8_t *d = p + off + 4;
		size_t avail = n - off - 4;

		if (type == 0x0085 || type == 0x000A)
			break;
		if (type == 0x002F) {
			const char *what = "Excel workbook with a FILEPASS record";
			bool velvet = false;

			if (len >= 2 && avail >= 2 && le16(d) == 0) {
				what = "Excel workbook with a FILEPASS record (XOR obfuscation)";
			} else if (len >= 6 && avail >= 6 && le16(d) == 1) {
				size_t dl = len < avail ? len : avail;

				what = le16(d + 2) == 1
				               ? "Excel workbook with a FILEPASS record (RC4)"
				               : "Excel workbook with a FILEPASS record (RC4 "
				                 "CryptoAPI)";
				velvet = crypt_biff_rc4_default_password(d + 2, dl - 2);
			}
			ole_encrypted(w, what, velvet_note(velvet));
			enc = true;
			break;
		}
		if (len > avail)
			break;
		off += 4 + (size_t)len;
	}
	g_bytes_unref(wb);
	return enc;
}

/* PowerPoint: CurrentUserAtom.headerToken 0xF3D1C4DF, or an EncryptedSummary stream */
static bool ole_check_ppt(struct ole_walk *w, GsfInfile *root)
{
	GBytes *cu;
	const uint8_t *p;
	size_t n;
	bool enc = false;

	if (!ole_has(root, "PowerPoint Document"))
		return false;
	cu = ole_prefix(root, "Current User", 16);
	if (cu != NULL) {
		p = g_bytes_get_data(cu, &n);
		enc = n >= 16 && le16(p + 2) == 0x0FF6 && le32(p + 12) == 0xF3D1C4DFu;
		g_bytes_unref(cu);
	}
	if (!enc && ole_has(root, "EncryptedSummary"))
		enc = true;
	if (enc)
		ole_encrypted(w,
		              "PowerPoint presentation with an encrypted document stream "
		              "(CryptSession10Container)",
		              "");
	return enc;
}

static void ole_check_encryption(struct ole_walk *w, GsfInfile *root)
{
	if (ole_check_ooxml(w, root))
		return;
	if (ole_check_word(w, root))
		return;
	if (ole_check_excel(w, root))
		return;
	(void)ole_check_ppt(w, root);
}

/* ---- before libgsf: the directory's shape ---- */

/*
 * libgsf reads the directory tree recursively, one stack frame per link
 * (so a chain of 200,000 sibling entries overflows an 8 MiB stack), and
 * inserts every entry into a sorted list (quadratic in the entries of one
 * storage). It also drops, silently, every entry below one whose size is
 * larger than the file. So we walk the directory first, without recursion:
 * too deep or too many entries and libgsf is not called; afterwards the
 * entries we counted and those libgsf showed are compared.
 */
struct ole_dir {
	const uint8_t *p;
	size_t n, ss, nsec;    /* sector size, sectors after the header */
	GArray *fat_secs;      /* guint32: sectors holding the FAT */
	GArray *dir_secs;      /* guint32: the directory's sector chain */
	size_t entries, depth; /* reachable storages/streams, deepest link path */
};

static const uint8_t *dir_sector(const struct ole_dir *d, uint32_t sec)
{
	if (sec >= d->nsec)
		return NULL;
	return d->p + ((size_t)sec + 1) * d->ss;
}

static bool dir_fat(const struct ole_dir *d, uint32_t i, uint32_t *next)
{
	size_t per = d->ss / 4, k = i / per;
	const uint8_t *s;

	if (k >= d->fat_secs->len)
		return false;
	s = dir_sector(d, g_array_index(d->fat_secs, guint32, k));
	if (s == NULL)
		return false;
	*next = le32(s + (i % per) * 4);
	return true;
}

/* Reads the header, the FAT sector list and the directory chain. */
static bool dir_load(struct ole_dir *d)
{
	const uint8_t *h = d->p;
	uint32_t nfat, sec, ndifat;
	unsigned shift;

	if (d->n < 512)
		return false;
	shift = le16(h + 0x1E);
	if (shift < 7 || shift > 16)
		return false;
	d->ss = (size_t)1 << shift;
	if (d->n < d->ss)
		return false;
	d->nsec = (d->n - d->ss) / d->ss;
	nfat = le32(h + 0x2C);
	if (nfat > d->nsec)
		return false;
	for (uint32_t k = 0; k < nfat && k < 109; k++) {
		sec = le32(h + 0x4C + 4 * k);
		g_array_append_val(d->fat_secs, sec);
	}
	sec = le32(h + 0x44);
	ndifat = le32(h + 0x48);
	for (uint32_t k = 0; k < ndifat && k <= d->nsec && d->fat_secs->len < nfat; k++) {
		const uint8_t *s = dir_sector(d, sec);

		if (s == NULL)
			return false;
		for (size_t i = 0; i + 1 < d->ss / 4 && d->fat_secs->len < nfat; i++) {
			uint32_t f = le32(s + 4 * i);

			g_array_append_val(d->fat_secs, f);
		}
		sec = le32(s + d->ss - 4);
	}
	/* the directory chain, bounded by the sector count (no cycles) */
	sec = le32(h + 0x30);
	while (sec < 0xFFFFFFFAu && d->dir_secs->len <= d->nsec) {
		g_array_append_val(d->dir_secs, sec);
		if (!dir_fat(d, sec, &sec))
			break;
	}
	return d->dir_secs->len > 0;
}

static const uint8_t *dir_entry(const struct ole_dir *d, uint32_t e)
{
	size_t per = d->ss / 128;

	const uint8_t *s;

	if ((size_t)e / per >= d->dir_secs->len)
		return NULL;
	s = dir_sector(d, g_array_index(d->dir_secs, guint32, e / per));
	return s != NULL ? s + (e % per) * 128 : NULL;
}

/*
 * Follows prev, next and child links from the root in the order libgsf
 * does, with an explicit stack; counts entries and the longest path. Stops
 * early once either passes its bound (then the file is not opened).
 */
static void dir_walk(struct ole_dir *d)
{
	size_t slots = d->dir_secs->len * (d->ss / 128);
	uint8_t *seen = g_malloc0(slots / 8 + 1);
	GArray *stack = g_array_new(FALSE, FALSE, sizeof(guint64)); /* entry << 32 | depth */
	guint64 top = 0;

	g_array_append_val(stack, top);
	while (stack->len > 0 && d->entries <= OLE_MAX_DIRENTS && d->depth <= OLE_MAX_TREE) {
		guint64 v = g_array_index(stack, guint64, stack->len - 1);
		uint32_t e = (uint32_t)(v >> 32), depth = (uint32_t)v;
		const uint8_t *ent;
		uint8_t type;
		uint32_t links[3];

		g_array_set_size(stack, stack->len - 1);
		if (e >= slots || (seen[e / 8] & (1u << (e % 8))))
			continue;
		seen[e / 8] |= (uint8_t)(1u << (e % 8));
		ent = dir_entry(d, e);
		if (ent == NULL)
			continue;
		type = ent[0x42];
		if (type != 1 && type != 2 && type != 5)
			continue;
		if (e != 0)
			d->entries++;
		if (depth > d->depth)
			d->depth = depth;
		/* pushed in reverse: prev is walked first, then next, then child */
		links[0] = type != 2 ? le32(ent + 0x4C) : 0xFFFFFFFFu;
		links[1] = le32(ent + 0x48);
		links[2] = le32(ent + 0x44);
		for (int i = 0; i < 3; i++) {
			guint64 nv = (guint64)links[i] << 32 | (depth + 1);

			if (links[i] < slots)
				g_array_append_val(stack, nv);
		}
	}
	g_array_free(stack, TRUE);
	g_free(seen);
}

/* libgsf's warnings about the file become evidence, never stderr noise */
static _Thread_local struct ole_walk *ole_log_target;
static pthread_once_t ole_log_once = PTHREAD_ONCE_INIT;

static void ole_log(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer user)
{
	struct ole_walk *w = ole_log_target;

	if (w == NULL) {
		/* not ours (another thread, or outside an OLE2 file) */
		g_log_default_handler(domain, level, msg, user);
		return;
	}
	if (w->gsf_note == NULL && msg != NULL)
		w->gsf_note = vstr_sanitize(msg, 200);
}

static void ole_log_init(void)
{
	/* gsf-infile.c logs in the default domain */
	static const char *const domains[] = {"libgsf:msole", "libgsf", NULL};

	for (size_t i = 0; i < G_N_ELEMENTS(domains); i++)
		g_log_set_handler(domains[i],
		                  G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL | G_LOG_FLAG_RECURSION,
		                  ole_log, NULL);
}

static void ole_extract_file(vigil_scan *s, vigil_object *o)
{
	struct ole_walk w = {.s = s, .o = o};
	struct ole_dir d = {.p = o->data, .n = o->len};
	struct ole_walk *outer = ole_log_target; /* a file inside a file */
	GsfInput *mem = NULL;
	GsfInfile *root = NULL;
	GError *err = NULL;
	bool shaped;

	pthread_once(&ole_log_once, ole_log_init);
	d.fat_secs = g_array_new(FALSE, FALSE, sizeof(guint32));
	d.dir_secs = g_array_new(FALSE, FALSE, sizeof(guint32));
	shaped = dir_load(&d);
	if (shaped)
		dir_walk(&d);
	if (d.entries > OLE_MAX_DIRENTS || d.depth > OLE_MAX_TREE) {
		vfinding_add(s, o, F_ARCHIVE_DAMAGED,
		             "OLE2 directory with more than %u entries or links nested deeper "
		             "than %u: not unpacked",
		             OLE_MAX_DIRENTS, OLE_MAX_TREE);
		o->flags |= VIGIL_OBJ_PARTIAL;
		goto out;
	}
	mem = gsf_input_memory_new(o->data, (gsf_off_t)o->len, FALSE);
	if (mem == NULL)
		goto out;
	ole_log_target = &w;
	root = gsf_infile_msole_new(mem, &err);
	if (root == NULL) {
		vfinding_add(s, o, F_ARCHIVE_DAMAGED, "cannot open as an OLE2 compound file: %s",
		             err != NULL ? err->message : "unknown error");
		o->flags |= VIGIL_OBJ_PARTIAL;
		g_clear_error(&err);
		goto out;
	}
	ole_check_encryption(&w, root);
	ole_walk_storage(&w, root, "", 0);
	if (shaped && !w.stop && w.entries < d.entries)
		ole_damaged(&w, "directory",
		            "some entries cannot be reached (hidden behind a damaged entry)");
	if (w.gsf_note != NULL)
		ole_damaged(&w, "file", w.gsf_note);
	ole_damaged_report(&w);
out:
	ole_log_target = outer;
	if (root != NULL)
		g_object_unref(root);
	if (mem != NULL)
		g_object_unref(mem);
	g_free(w.gsf_note);
	g_array_free(d.fat_secs, TRUE);
	g_array_free(d.dir_secs, TRUE);
}

/* ---- OLE Package objects (\x01Ole10Native) ---- */

/* A NUL-terminated ANSI string; returns a copy (without the NUL) or NULL. */
static char *cur_zstr(struct cursor *c)
{
	const uint8_t *start = c->p + c->off;
	const uint8_t *nul = memchr(start, 0, c->n - c->off);
	char *r;

	if (nul == NULL)
		return NULL;
	r = g_strndup((const char *)start, (size_t)(nul - start));
	c->off += (size_t)(nul - start) + 1;
	return r;
}

/* DWORD count of UTF-16 units, then the units; NULL if absent or invalid */
static char *cur_wstr(struct cursor *c)
{
	uint32_t units;
	size_t save = c->off;
	gunichar2 *w;
	char *r;

	if (!cur_u32(c, &units) || units > (c->n - c->off) / 2) {
		c->off = save;
		return NULL;
	}
	/* copied: the units need not be aligned in the stream */
	w = g_new(gunichar2, units + 1);
	for (uint32_t i = 0; i < units; i++)
		w[i] = le16(c->p + c->off + 2 * (size_t)i);
	r = g_utf16_to_utf8(w, (glong)units, NULL, NULL, NULL);
	g_free(w);
	c->off += (size_t)units * 2;
	return r;
}

/* The last component of a Windows or POSIX path */
static const char *base_name(const char *path)
{
	const char *b = path;

	if (path == NULL)
		return NULL;
	for (const char *p = path; *p != 0; p++)
		if (*p == '\\' || *p == '/')
			b = p + 1;
	return *b != 0 ? b : NULL;
}

static const char *ext_of(const char *name)
{
	const char *dot = name != NULL ? strrchr(name, '.') : NULL;

	return dot != NULL ? dot + 1 : "";
}

/*
 * Native data of a Package object: DWORD size, WORD type, label, source
 * path, WORD reserved, WORD kind (3: embedded file, 1: link to the source
 * path), DWORD length + temp path, DWORD length + data, then optionally the
 * three paths again in UTF-16.
 */
static void ole_package(vigil_scan *s, vigil_object *o)
{
	struct cursor c = {.p = o->data, .n = o->len, .off = 0};
	uint32_t total, kind, tlen, dlen;
	char *label = NULL, *src = NULL, *tmp = NULL, *wtmp = NULL, *wlabel = NULL, *wsrc = NULL;
	const char *fname;
	size_t data_off, take;
	vigil_limit which;
	vchild ch;
	bool cut = false;

	if (!cur_u32(&c, &total))
		goto damaged;
	/* the declared size never widens the view past the stream */
	if (total < c.n - c.off)
		c.n = c.off + total;
	if (!cur_skip(&c, 2) || (label = cur_zstr(&c)) == NULL || (src = cur_zstr(&c)) == NULL ||
	    !cur_u32(&c, &kind))
		goto damaged;
	/* kind 1: a link to a file on the reader's disk or a share, no data */
	if ((kind >> 16) == 1) {
		char *a = vstr_sanitize(src, 512);

		vfinding_add(s, o, F_OLE_PACKAGE_LINK, "package \"%s\" runs %s", label, a);
		g_free(a);
		goto out;
	}
	if (!cur_u32(&c, &tlen) || tlen > c.n - c.off)
		goto damaged;
	tmp = g_strndup((const char *)c.p + c.off, tlen);
	c.off += tlen;
	if (!cur_u32(&c, &dlen))
		goto damaged;
	data_off = c.off;
	take = dlen <= c.n - c.off ? dlen : c.n - c.off;
	if (take < dlen)
		vfinding_add(s, o, F_ARCHIVE_DAMAGED,
		             "OLE Package declares %u bytes of data, the stream holds %zu", dlen,
		             take);
	c.off += take;
	if (take == dlen) {
		wtmp = cur_wstr(&c);
		wlabel = cur_wstr(&c);
		wsrc = cur_wstr(&c);
	}
	/* the file packager writes, and runs when the icon is opened */
	fname = base_name(wtmp);
	if (fname == NULL)
		fname = base_name(tmp);
	if (fname == NULL)
		fname = base_name(wsrc);
	if (fname == NULL)
		fname = base_name(src);
	if (fname == NULL)
		fname = *label != 0 ? label : NULL;
	{
		const char *shown = wlabel != NULL && *wlabel != 0 ? wlabel : label;

		if (fname != NULL && *shown != 0 &&
		    g_ascii_strcasecmp(ext_of(shown), ext_of(fname)) != 0) {
			char *a = vstr_sanitize(shown, 256), *b = vstr_sanitize(fname, 256);

			vfinding_add(s, o, F_OLE_PACKAGE_LABEL, "label \"%s\", file \"%s\"", a, b);
			g_free(a);
			g_free(b);
		}
	}
	if (take > vscan_room(s, o, &which)) {
		take = vscan_room(s, o, &which);
		cut = true;
		vscan_limit(s, o, which, fname != NULL ? fname : "package data");
	}
	memset(&ch, 0, sizeof ch);
	ch.name = fname;
	ch.size = dlen;
	ch.flags = cut || take < dlen ? VIGIL_OBJ_TRUNCATED : 0;
	ch.data = malloc(take > 0 ? take : 1);
	if (ch.data == NULL)
		goto out;
	ch.len = take;
	if (take > 0)
		memcpy(ch.data, c.p + data_off, take);
	(void)vscan_emit(s, o, &ch);
	goto out;
damaged:
	vfinding_add(s, o, F_ARCHIVE_DAMAGED, "OLE Package header is damaged");
	o->flags |= VIGIL_OBJ_PARTIAL;
out:
	g_free(label);
	g_free(src);
	g_free(tmp);
	g_free(wtmp);
	g_free(wlabel);
	g_free(wsrc);
}

/* ---- PowerPoint: OLE objects and VBA projects stored in records ---- */

struct ppt_walk {
	vigil_scan *s;
	vigil_object *o;
	unsigned records, objects;
	bool stop, damaged;
};

static void ppt_damaged(struct ppt_walk *w, const char *what, size_t off)
{
	w->o->flags |= VIGIL_OBJ_PARTIAL;
	if (!w->damaged)
		vfinding_add(w->s, w->o, F_ARCHIVE_DAMAGED, "PowerPoint %s at offset %zu", what,
		             off);
	w->damaged = true;
}

/* inflates a zlib stream into b; false if it is damaged or cut short */
static bool ppt_inflate(const uint8_t *p, size_t n, vbuf *b, bool *full)
{
	z_stream z;
	uint8_t out[OLE_CHUNK];
	int rc = Z_OK;

	*full = false;
	memset(&z, 0, sizeof z);
	if (inflateInit(&z) != Z_OK)
		return false;
	z.next_in = (Bytef *)(uintptr_t)p;
	z.avail_in = n > UINT32_MAX ? UINT32_MAX : (uInt)n;
	while (rc == Z_OK) {
		size_t got;

		z.next_out = out;
		z.avail_out = sizeof out;
		rc = inflate(&z, Z_NO_FLUSH);
		got = sizeof out - z.avail_out;
		if (vbuf_append(b, out, got) != VBUF_OK) {
			*full = true;
			break;
		}
		if (rc == Z_OK && got == 0 && z.avail_in == 0)
			break; /* input ends before the stream does */
	}
	inflateEnd(&z);
	return rc == Z_STREAM_END || *full;
}

/* RT_ExternalOleObjectStg: an OLE storage, zlib-compressed when recInstance is 1 */
static void ppt_object(struct ppt_walk *w, const uint8_t *d, size_t len, unsigned instance,
                       size_t off)
{
	vigil_limit which;
	size_t room = vscan_room(w->s, w->o, &which);
	vbuf b;
	bool full = false, ok = true;
	char seg[48];
	vchild ch;

	g_snprintf(seg, sizeof seg, "ExOleObjStg-%u", ++w->objects);
	if (instance == 1) {
		uint32_t declared;

		if (len < 4) {
			ppt_damaged(w, "compressed object too short", off);
			return;
		}
		declared = le32(d);
		/* the declared size only ever lowers the cap */
		vbuf_init(&b, declared < room ? declared : room);
		ok = ppt_inflate(d + 4, len - 4, &b, &full);
		/* PowerPoint may leave the zlib stream unterminated: the size decides */
		if (b.len == declared && declared <= room) {
			ok = true;
			full = false;
		}
	} else {
		vbuf_init(&b, room);
		full = vbuf_append(&b, d, len) != VBUF_OK;
	}
	if (!ok)
		ppt_damaged(w, "compressed object is damaged", off);
	if (full) {
		vscan_limit(w->s, w->o, which, seg);
		w->o->flags |= VIGIL_OBJ_PARTIAL;
	}
	memset(&ch, 0, sizeof ch);
	ch.seg = seg;
	ch.flags = full || !ok ? VIGIL_OBJ_TRUNCATED : 0;
	ch.data = vbuf_steal(&b, &ch.len);
	if (vscan_emit(w->s, w->o, &ch) == VSCAN_STOP)
		w->stop = true;
}

/* Records in [p, p + n); containers (recVer 0xF) are entered up to PPT_MAX_DEPTH. */
static void ppt_records(struct ppt_walk *w, const uint8_t *p, size_t n, size_t base, unsigned depth)
{
	size_t off = 0;

	while (!w->stop && 8 <= n - off) {
		uint16_t verinst = le16(p + off), type = le16(p + off + 2);
		uint32_t len = le32(p + off + 4);
		const uint8_t *d = p + off + 8;

		if (++w->records > PPT_MAX_RECORDS) {
			vfinding_add(
			        w->s, w->o, F_LIMIT_OBJECTS,
			        "PowerPoint stream has more than %u records; the rest were not "
			        "read",
			        PPT_MAX_RECORDS);
			w->o->flags |= VIGIL_OBJ_PARTIAL;
			w->stop = true;
			return;
		}
		if (len > n - off - 8) {
			ppt_damaged(w, "record runs past the end of the stream", base + off);
			return;
		}
		if (type == 0x1011)
			ppt_object(w, d, len, (unsigned)(verinst >> 4), base + off);
		else if ((verinst & 0xF) == 0xF && depth + 1 < PPT_MAX_DEPTH)
			ppt_records(w, d, len, base + off + 8, depth + 1);
		off += 8 + (size_t)len;
	}
}

static void ole_extract(vigil_scan *s, vigil_object *o)
{
	if (o->len == 0)
		return;
	if (strcmp(o->type, "ole10native") == 0) {
		ole_package(s, o);
	} else if (strcmp(o->type, "ppt-document") == 0) {
		struct ppt_walk w = {.s = s, .o = o};

		ppt_records(&w, o->data, o->len, 0, 0);
	} else {
		ole_extract_file(s, o);
	}
}

static const char *const ole_types[] = {"ole2", "ole10native", "ppt-document", NULL};
const extractor ole_extractor = {"ole", ole_types, ole_extract};
