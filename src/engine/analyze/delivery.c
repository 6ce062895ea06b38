/*
 * delivery.c - how a payload was wrapped to pass the gateway.
 *
 * Runs on every object as it passes (before its own children), and decides
 * from the object's ancestors, which are all still in the tree with their
 * types and names (their bytes may be gone; none are read here):
 *   delivery.disk_image          an ISO/IMG/VHD/VHDX image inside an email
 *   delivery.image_executable    a program, script or shortcut whose nearest
 *                                wrapper is a disk image from an email
 *   delivery.archive_executable  the same with an archive (zip, 7z, rar, cab,
 *                                tar, cpio, gzip, bzip2, xz) as wrapper
 *   delivery.onenote_executable  the same with a OneNote section as wrapper
 *                                (with or without an email)
 *   delivery.nested_archive      an archive or image inside another one in
 *                                an email (gzip, bzip2 and xz do not count as
 *                                a level: a .tar.gz is one archive)
 * "Wrapper": the program's parent (a document or PDF embedding a program is
 * for the document analyzers; an archive in an image is the archive's
 * business, once it is unpacked). A program is an object
 * of an executable type (PE, MZ, ELF, LNK, CHM) or a name with an extension
 * Windows runs. The scripts of an EPUB book (a zip) are not counted.
 *
 * Each finding is made once per wrapper (once per scan for nested_archive),
 * kept in the scan note "delivery". Limits: the walk up is bounded by the
 * depth limit; the note holds at most one key per object.
 */
#include "../internal.h"

#include <string.h>

static const char *const run_exts[] = {"exe",
                                       "scr",
                                       "com",
                                       "pif",
                                       "bat",
                                       "cmd",
                                       "js",
                                       "jse",
                                       "vbs",
                                       "vbe",
                                       "wsf",
                                       "wsh",
                                       "wsc",
                                       "hta",
                                       "lnk",
                                       "ps1",
                                       "psm1",
                                       "msi",
                                       "msp",
                                       "jar",
                                       "cpl",
                                       "dll",
                                       "reg",
                                       "chm",
                                       "scf",
                                       "url",
                                       "sct",
                                       "inf",
                                       "iqy",
                                       "slk",
                                       "xll",
                                       "msc",
                                       "vb",
                                       "application",
                                       "appref-ms",
                                       "library-ms",
                                       "settingcontent-ms",
                                       NULL};

static const char *const archive_types[] = {"zip",  "7z",   "rar",   "cab", "tar",
                                            "cpio", "gzip", "bzip2", "xz",  NULL};
static const char *const image_types[] = {"iso9660", "udf",  "vhd",   "vhdx", "disk",
                                          "fat",     "ntfs", "exfat", NULL};

enum wrap { W_NONE, W_ARCHIVE, W_IMAGE, W_ONENOTE };

static bool in_list(const char *t, const char *const *l)
{
	for (; *l != NULL; l++)
		if (strcmp(*l, t) == 0)
			return true;
	return false;
}

static enum wrap wrap_kind(const vigil_object *o)
{
	if (in_list(o->type, archive_types))
		return W_ARCHIVE;
	if (in_list(o->type, image_types))
		return W_IMAGE;
	if (strcmp(o->type, "onenote") == 0)
		return W_ONENOTE;
	return W_NONE;
}

static bool is_stream(const vigil_object *o)
{
	return strcmp(o->type, "gzip") == 0 || strcmp(o->type, "bzip2") == 0 ||
	       strcmp(o->type, "xz") == 0;
}

static bool runnable(const vigil_object *o)
{
	const char *dot, *slash;

	if (ftype_is_executable(o->type))
		return true;
	if (o->name == NULL)
		return false;
	dot = strrchr(o->name, '.');
	slash = strrchr(o->name, '/');
	if (dot == NULL || (slash != NULL && slash > dot))
		return false;
	for (const char *const *e = run_exts; *e != NULL; e++)
		if (g_ascii_strcasecmp(dot + 1, *e) == 0)
			return true;
	return false;
}

/*
 * An EPUB is a zip whose first member is "mimetype" holding
 * "application/epub+zip": its scripts run inside the reader, not in Windows,
 * unless the file is named .zip (Explorer then opens it as a folder). The
 * parent's bytes are still there while its children pass.
 */
static bool is_epub(const vigil_object *p)
{
	static const char sig[] = "mimetypeapplication/epub+zip";
	size_t nl = p->name ? strlen(p->name) : 0;

	if (strcmp(p->type, "zip") != 0 || p->data == NULL || p->len < 30 + sizeof sig - 1 ||
	    memcmp(p->data + 30, sig, sizeof sig - 1) != 0)
		return false;
	return !(nl >= 4 && g_ascii_strcasecmp(p->name + nl - 4, ".zip") == 0);
}

static vigil_object *parent_of(vigil_scan *s, const vigil_object *o)
{
	return o->parent == SIZE_MAX ? NULL : vscan_object(s, o->parent);
}

static bool from_email(vigil_scan *s, const vigil_object *o)
{
	for (vigil_object *p = parent_of(s, o); p != NULL; p = parent_of(s, p))
		if (strcmp(p->type, "email") == 0)
			return true;
	return false;
}

/* true the first time key is seen in this scan */
static bool first_time(vigil_scan *s, const char *kind, size_t index)
{
	GHashTable *done = vscan_note(s, "delivery");
	char *key;

	if (done == NULL) {
		done = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
		vscan_note_set(s, "delivery", done, (GDestroyNotify)g_hash_table_destroy);
	}
	key = g_strdup_printf("%s:%zu", kind, index);
	if (g_hash_table_contains(done, key)) {
		g_free(key);
		return false;
	}
	g_hash_table_add(done, key);
	return true;
}

static const char *label(const vigil_object *o)
{
	return o->name != NULL ? o->name : o->path;
}

static void delivery_analyze(vigil_scan *s, vigil_object *o)
{
	vigil_object *p = parent_of(s, o);
	enum wrap self = wrap_kind(o);

	if (p == NULL)
		return;
	if (self == W_IMAGE && from_email(s, o) && first_time(s, "image", o->index))
		vfinding_add(s, o, F_DELIVERY_DISK_IMAGE, "%s (%s image)", label(o), o->type);
	/* an archive or image inside another (not counting compression streams) */
	if ((self == W_ARCHIVE || self == W_IMAGE) && !is_stream(o)) {
		for (vigil_object *a = p; a != NULL; a = parent_of(s, a)) {
			enum wrap k = wrap_kind(a);

			if (k == W_NONE || k == W_ONENOTE)
				break;
			if (is_stream(a))
				continue;
			if (from_email(s, a) && first_time(s, "nested", 0))
				vfinding_add(s, o, F_DELIVERY_NESTED_ARCHIVE,
				             "%s (%s) inside %s (%s)", label(o), o->type, label(a),
				             a->type);
			break;
		}
	}
	if (!runnable(o))
		return;
	switch (wrap_kind(p)) {
	case W_ONENOTE:
		if (first_time(s, "onenote", p->index))
			vfinding_add(s, o, F_DELIVERY_ONENOTE_EXEC, "%s embeds %s (%s)", label(p),
			             label(o), o->type);
		break;
	case W_IMAGE:
		if (from_email(s, p) && first_time(s, "imgexec", p->index))
			vfinding_add(s, o, F_DELIVERY_IMAGE_EXEC, "%s (%s) inside %s (%s image)",
			             label(o), o->type, label(p), p->type);
		break;
	case W_ARCHIVE:
		if (from_email(s, p) && !is_epub(p) && first_time(s, "arcexec", p->index))
			vfinding_add(s, o, F_DELIVERY_ARCHIVE_EXEC, "%s (%s) inside %s (%s)",
			             label(o), o->type, label(p), p->type);
		break;
	case W_NONE:
		break;
	}
}

const analyzer delivery_analyzer = {"delivery", NULL, delivery_analyze, false};
