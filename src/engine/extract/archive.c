/*
 * archive.c - archives and compressed files with libarchive.
 *
 * zip (and the zip-based OOXML/ODF packages), 7z, rar, cab, tar, cpio and
 * iso9660 yield one child per regular file; gzip, bzip2 and xz yield their
 * single decompressed stream (a .tar.gz is a gzip whose child is a tar).
 * Only the reader for the detected format is enabled, so no other bidder can
 * claim the bytes.
 *
 * Limits: every member is read into a vbuf no larger than vscan_room(), which
 * already folds in the per-object, total and ratio limits; the first member
 * that hits one ends the archive (a bomb gets no second chance). Encrypted
 * members and methods libarchive cannot decode are findings, never skipped
 * silently. Zip members stored with Deflate64 (method 9), which libarchive
 * refuses, are found through our own bounded central-directory walk and
 * decoded with inflate.c.
 *
 * Encrypted zips are opened with the candidate passwords the message gave
 * (password.c collects them; the "passwords" block below tries them).
 */
#include "../internal.h"

#include <archive.h>
#include <archive_entry.h>
#include <string.h>

#include "../../util/bytes.h"
#include "../../util/vbuf.h"
#include "inflate.h"

#define MAX_RETRIES 8

static void enable_format(struct archive *a, const char *type, bool streaming)
{
	if (strcmp(type, "zip") == 0 || strcmp(type, "ooxml") == 0 || strcmp(type, "odf") == 0) {
		if (streaming)
			archive_read_support_format_zip_streamable(a);
		else
			archive_read_support_format_zip_seekable(a);
	} else if (strcmp(type, "7z") == 0) {
		archive_read_support_format_7zip(a);
	} else if (strcmp(type, "rar") == 0) {
		archive_read_support_format_rar(a);
		archive_read_support_format_rar5(a);
	} else if (strcmp(type, "cab") == 0) {
		archive_read_support_format_cab(a);
	} else if (strcmp(type, "tar") == 0) {
		archive_read_support_format_tar(a);
		archive_read_support_format_gnutar(a);
	} else if (strcmp(type, "cpio") == 0) {
		archive_read_support_format_cpio(a);
	} else if (strcmp(type, "iso9660") == 0) {
		archive_read_support_format_iso9660(a);
	} else {
		/* gzip, bzip2, xz: one compressed stream */
		archive_read_support_filter_all(a);
		archive_read_support_format_raw(a);
	}
}

static bool is_zip_type(const char *type)
{
	return strcmp(type, "zip") == 0 || strcmp(type, "ooxml") == 0 || strcmp(type, "odf") == 0;
}

static bool is_stream_type(const char *type)
{
	return strcmp(type, "gzip") == 0 || strcmp(type, "bzip2") == 0 || strcmp(type, "xz") == 0;
}

/* "report.doc.gz" -> "report.doc", "x.tgz" -> "x.tar"; otherwise no name */
static char *stream_name(const vigil_object *o)
{
	static const char *const exts[][2] = {{".gz", ""},      {".bz2", ""},     {".xz", ""},
	                                      {".z", ""},       {".tgz", ".tar"}, {".tbz2", ".tar"},
	                                      {".tbz", ".tar"}, {".txz", ".tar"}};
	const char *n = o->name;
	size_t nl;

	if (n == NULL)
		return NULL;
	nl = strlen(n);
	for (size_t i = 0; i < G_N_ELEMENTS(exts); i++) {
		size_t el = strlen(exts[i][0]);

		if (nl > el && g_ascii_strcasecmp(n + nl - el, exts[i][0]) == 0)
			return g_strdup_printf("%.*s%s", (int)(nl - el), n, exts[i][1]);
	}
	return NULL;
}

static bool error_is_unsupported(struct archive *a)
{
	const char *e = archive_error_string(a);

	return e != NULL && (strstr(e, "nsupported") != NULL || strstr(e, "not supported") != NULL);
}

static bool error_is_encryption(struct archive *a)
{
	const char *e = archive_error_string(a);

	return e != NULL && (strstr(e, "ncrypt") != NULL || strstr(e, "assphrase") != NULL);
}

/* ---- zip members stored with Deflate64 (method 9), which libarchive lacks ---- */

/* Locates the central directory; returns false if there is none we trust. */
static bool zip_central(const uint8_t *d, size_t n, uint64_t *off, uint64_t *count)
{
	size_t i, lo;

	if (n < 22)
		return false;
	lo = n - 22 > 65535 ? n - 22 - 65535 : 0;
	for (i = n - 22 + 1; i-- > lo;) {
		if (memcmp(d + i, "PK\x05\x06", 4) != 0)
			continue;
		*count = le16(d + i + 10);
		*off = le32(d + i + 16);
		/* ZIP64: the locator sits just before the end record */
		if ((*off == 0xffffffffu || *count == 0xffff) && i >= 20 &&
		    memcmp(d + i - 20, "PK\x06\x07", 4) == 0) {
			uint64_t z = le64(d + i - 20 + 8);

			if (z > n || n - z < 56 || memcmp(d + z, "PK\x06\x06", 4) != 0)
				return false;
			*count = le64(d + z + 32);
			*off = le64(d + z + 48);
		}
		return *off < n;
	}
	return false;
}

/* Finds `name` in the central directory: method, flags, compressed size, data offset. */
static bool zip_find(const uint8_t *d, size_t n, const char *name, uint16_t *method,
                     uint16_t *flags, uint64_t *csize, uint64_t *data_off)
{
	uint64_t off, count;
	size_t nl = strlen(name);

	if (!zip_central(d, n, &off, &count))
		return false;
	for (uint64_t k = 0; k < count && k < 200000; k++) {
		uint16_t fnl, xl, cl;
		uint64_t lho, cs, us;
		const uint8_t *x, *xe;

		if (off > n || n - off < 46 || memcmp(d + off, "PK\x01\x02", 4) != 0)
			return false;
		fnl = le16(d + off + 28);
		xl = le16(d + off + 30);
		cl = le16(d + off + 32);
		if ((uint64_t)n - off - 46 < (uint64_t)fnl + xl + cl)
			return false;
		if (fnl != nl || memcmp(d + off + 46, name, nl) != 0) {
			off += 46 + (uint64_t)fnl + xl + cl;
			continue;
		}
		*method = le16(d + off + 10);
		*flags = le16(d + off + 8);
		cs = le32(d + off + 20);
		us = le32(d + off + 24);
		lho = le32(d + off + 42);
		/* ZIP64 extra field holds the values that are 0xffffffff, in this order */
		x = d + off + 46 + fnl;
		xe = x + xl;
		while (xe - x >= 4) {
			uint16_t id = le16(x), sz = le16(x + 2);
			const uint8_t *v = x + 4, *ve;

			if ((size_t)(xe - v) < sz)
				break;
			ve = v + sz;
			if (id == 0x0001) {
				if (us == 0xffffffffu && ve - v >= 8) {
					us = le64(v);
					v += 8;
				}
				if (cs == 0xffffffffu && ve - v >= 8) {
					cs = le64(v);
					v += 8;
				}
				if (lho == 0xffffffffu && ve - v >= 8)
					lho = le64(v);
			}
			x = ve;
		}
		if (lho > n || n - lho < 30 || memcmp(d + lho, "PK\x03\x04", 4) != 0)
			return false;
		*data_off = lho + 30 + (uint64_t)le16(d + lho + 26) + le16(d + lho + 28);
		if (*data_off > n)
			return false;
		*csize = cs <= n - *data_off ? cs : n - *data_off;
		return true;
	}
	return false;
}

/* Decodes a Deflate64 member libarchive refused; true if it was emitted. */
static bool zip_deflate64_member(vigil_scan *s, vigil_object *o, const char *name, bool *go_on)
{
	uint16_t method, flags;
	uint64_t csize, off;
	vigil_limit which;
	vbuf b;
	vchild ch;
	int rc;

	if (name == NULL || !zip_find(o->data, o->len, name, &method, &flags, &csize, &off))
		return false;
	if (method != 9 || (flags & 1))
		return false; /* not Deflate64, or encrypted: the caller reports it */
	vbuf_init(&b, vscan_room(s, o, &which));
	rc = inflate_raw(o->data + off, (size_t)csize, &b, true, NULL);
	if (rc == INFL_FULL) {
		vscan_limit(s, o, which, name);
		o->flags |= VIGIL_OBJ_PARTIAL;
	} else if (rc != INFL_OK) {
		vfinding_add(s, o, F_DECODE_ERROR, "%s: Deflate64 data is damaged", name);
	}
	memset(&ch, 0, sizeof ch);
	ch.name = name;
	ch.seg = name;
	ch.flags = rc == INFL_FULL ? VIGIL_OBJ_TRUNCATED : 0;
	ch.data = vbuf_steal(&b, &ch.len);
	*go_on = vscan_emit(s, o, &ch) == VSCAN_CONTINUE && rc != INFL_FULL;
	return true;
}

/* Reads one member; returns false when the archive must not be read further. */

static bool read_member(vigil_scan *s, vigil_object *o, struct archive *a,
                        struct archive_entry *ent, const char *name, bool *fatal)
{
	vigil_limit which;
	size_t room = vscan_room(s, o, &which);
	vbuf b;
	char buf[65536];
	la_ssize_t n;
	bool full = false, keep_going = true;
	vchild ch;
	unsigned chunks = 0;

	vbuf_init(&b, room);
	for (;;) {
		n = archive_read_data(a, buf, sizeof buf);
		if (n == 0)
			break;
		if (n < 0) {
			if (n == ARCHIVE_WARN)
				continue;
			if (error_is_encryption(a)) {
				vfinding_add(s, o, F_ARCHIVE_ENCRYPTED, "%s", name);
				o->flags |= VIGIL_OBJ_ENCRYPTED;
			} else if (error_is_unsupported(a) && is_zip_type(o->type) &&
			           strstr(archive_error_string(a), "(9:") != NULL &&
			           zip_deflate64_member(s, o, name, &keep_going)) {
				vbuf_free(&b);
				return keep_going;
			} else if (error_is_unsupported(a)) {
				vfinding_add(s, o, F_ARCHIVE_UNSUPPORTED, "%s: %s", name,
				             archive_error_string(a));
			} else {
				vfinding_add(s, o, F_ARCHIVE_DAMAGED, "%s: %s", name,
				             archive_error_string(a) ? archive_error_string(a)
				                                     : "read error");
			}
			o->flags |= VIGIL_OBJ_PARTIAL;
			if (n == ARCHIVE_FATAL)
				*fatal = true;
			/* hand on what was read: a damaged member may still carry a payload */
			if (b.len == 0) {
				vbuf_free(&b);
				return !*fatal;
			}
			break;
		}
		if (vbuf_append(&b, buf, (size_t)n) != VBUF_OK) {
			full = true;
			break;
		}
		if ((++chunks & 63) == 0 && vscan_should_stop(s, o))
			break;
	}
	if (full) {
		vscan_limit(s, o, which, name);
		o->flags |= VIGIL_OBJ_PARTIAL;
		keep_going = false;
	}
	memset(&ch, 0, sizeof ch);
	ch.name = name;
	ch.seg = name;
	ch.size = archive_entry_size_is_set(ent) && archive_entry_size(ent) > 0
	                  ? (uint64_t)archive_entry_size(ent)
	                  : 0;
	ch.data = vbuf_steal(&b, &ch.len);
	ch.flags = full ? VIGIL_OBJ_TRUNCATED : 0;
	if (vscan_emit(s, o, &ch) == VSCAN_STOP)
		keep_going = false;
	return keep_going;
}

/* ---- structure checks that libarchive does not make ---- */

struct cd_entry {
	uint64_t lho; /* local header offset */
	uint64_t end; /* end of the member's data (clamped to the file) */
};

static int cmp_cd(const void *a, const void *b)
{
	const struct cd_entry *x = a, *y = b;

	return x->lho < y->lho ? -1 : x->lho > y->lho;
}

/*
 * Walks the central directory: entries whose data overlap (one member listed
 * thousands of times is a zip bomb that libarchive, reading by offset, shows
 * only once), local headers whose name disagrees with the central directory
 * (tools that read one or the other show different files), and a directory
 * that lists more files than the reader returned.
 */
static void zip_check(vigil_scan *s, vigil_object *o, size_t files_read)
{
	const uint8_t *d = o->data;
	size_t n = o->len, nent = 0, overlaps = 0, mismatches = 0, files = 0;
	uint64_t off, count;
	struct cd_entry *ents;

	if (!zip_central(d, n, &off, &count) || count == 0)
		return;
	if (count > 200000)
		count = 200000;
	ents = g_new(struct cd_entry, count);
	for (uint64_t k = 0; k < count; k++) {
		uint16_t fnl, xl, cl, lnl;
		uint64_t lho, cs, data;

		if (off > n || n - off < 46 || memcmp(d + off, "PK\x01\x02", 4) != 0)
			break;
		fnl = le16(d + off + 28);
		xl = le16(d + off + 30);
		cl = le16(d + off + 32);
		if ((uint64_t)n - off - 46 < (uint64_t)fnl + xl + cl)
			break;
		cs = le32(d + off + 20);
		lho = le32(d + off + 42);
		if (fnl == 0 || d[off + 46 + fnl - 1] != '/')
			files++;
		if (lho < n && n - lho >= 30 && memcmp(d + lho, "PK\x03\x04", 4) == 0 &&
		    lho != 0xffffffffu) {
			lnl = le16(d + lho + 26);
			if (lnl != fnl || (uint64_t)n - lho - 30 < lnl ||
			    memcmp(d + lho + 30, d + off + 46, fnl) != 0)
				mismatches++;
			data = lho + 30 + (uint64_t)lnl + le16(d + lho + 28);
			ents[nent].lho = lho;
			ents[nent].end =
			        cs == 0xffffffffu || data > n || cs > n - data ? n : data + cs;
			nent++;
		}
		off += 46 + (uint64_t)fnl + xl + cl;
	}
	qsort(ents, nent, sizeof *ents, cmp_cd);
	for (size_t i = 1; i < nent; i++)
		if (ents[i].lho < ents[i - 1].end)
			overlaps++;
	g_free(ents);
	if (overlaps > 0)
		vfinding_add(s, o, F_ARCHIVE_OVERLAP,
		             "%zu of %zu entries overlap another entry's data", overlaps, nent);
	if (mismatches > 0)
		vfinding_add(s, o, F_ARCHIVE_MISMATCH,
		             "%zu entries have a different name in their local header", mismatches);
	if (files > files_read && !(o->flags & (VIGIL_OBJ_PARTIAL | VIGIL_OBJ_ENCRYPTED)) &&
	    !vscan_should_stop(s, o))
		vfinding_add(s, o, F_ARCHIVE_MISMATCH,
		             "central directory lists %zu files; %zu could be read", files,
		             files_read);
}

/*
 * ---- passwords from the message (delivery work; password.c collects them) ----
 *
 * libarchive 3.6 decrypts zip members (ZipCrypto and WinZip AES) when given
 * the passphrase; it cannot decrypt 7z, rar or rar5 (those stay
 * archive.encrypted). The first pass over an archive only counts its
 * encrypted members. Then each candidate is probed alone on the first of
 * them: libarchive rejects a wrong one after the 12-byte ZipCrypto header or
 * the 2-byte AES verifier, and a right one reads the member to its CRC or
 * MAC (or PW_PROBE_BYTES of it). The winner opens the archive for a second
 * pass that reads only the encrypted members, with the other candidates
 * after it for members locked with another password.
 * Bounds: 64 candidates (scan.c), candidates x members walked while probing
 * <= PW_WORK, PW_PROBE_BYTES read per probe, vscan_should_stop() per probe.
 */
#define PW_PROBE_BYTES (1u << 20)
#define PW_WORK 200000

struct enc_members {
	size_t count;       /* encrypted regular members seen in the first pass */
	size_t first_index; /* header index of the first one */
	char *first;        /* its name */
};

static void archive_extract_with(vigil_scan *s, vigil_object *o, bool streaming,
                                 const GPtrArray *pw, struct enc_members *enc, bool *opened,
                                 size_t *files)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ent;
	bool stream = is_stream_type(o->type);
	bool fatal = false;
	int rc, retries = 0;
	size_t members = 0;

	*opened = false;
	*files = 0;
	if (a == NULL)
		return;
	enable_format(a, o->type, streaming);
	for (guint i = 0; pw != NULL && i < pw->len; i++)
		(void)archive_read_add_passphrase(a, g_ptr_array_index(pw, i));
	if (archive_read_open_memory(a, o->data, o->len) != ARCHIVE_OK)
		goto out;
	*opened = true;
	for (;;) {
		const char *name;
		char *own_name = NULL;

		if (vscan_should_stop(s, o))
			break;
		rc = archive_read_next_header(a, &ent);
		if (rc == ARCHIVE_EOF)
			break;
		if (rc == ARCHIVE_RETRY && ++retries < MAX_RETRIES)
			continue;
		if (rc < ARCHIVE_WARN) {
			if (error_is_encryption(a)) {
				vfinding_add(s, o, F_ARCHIVE_ENCRYPTED, "%s",
				             archive_error_string(a));
				o->flags |= VIGIL_OBJ_ENCRYPTED;
			} else {
				vfinding_add(s, o, F_ARCHIVE_DAMAGED, "%s",
				             archive_error_string(a)
				                     ? archive_error_string(a)
				                     : "cannot read the next member");
			}
			o->flags |= VIGIL_OBJ_PARTIAL;
			break;
		}
		members++;
		if (!stream && archive_entry_filetype(ent) != AE_IFREG)
			continue;
		(*files)++;
		if (stream) {
			own_name = stream_name(o);
			name = own_name;
		} else {
			name = archive_entry_pathname_utf8(ent);
			if (name == NULL)
				name = archive_entry_pathname(ent);
		}
		/* first pass: count encrypted members (archive_passwords() reports
		 * them); second pass (with passwords): read only those */
		if (!stream && pw == NULL && archive_entry_is_encrypted(ent)) {
			if (enc->count++ == 0) {
				enc->first_index = members - 1;
				enc->first = g_strdup(name ? name : "(member)");
			}
			o->flags |= VIGIL_OBJ_ENCRYPTED;
			g_free(own_name);
			continue;
		}
		if (pw != NULL && !archive_entry_is_encrypted(ent)) {
			g_free(own_name);
			continue;
		}
		if (!read_member(s, o, a, ent, name ? name : (stream ? "data" : NULL), &fatal) ||
		    fatal) {
			g_free(own_name);
			break;
		}
		g_free(own_name);
	}
out:
	archive_read_free(a);
}

/* true if pw alone reads the encrypted member at header index `index` */
static bool pw_probe(const vigil_object *o, bool streaming, size_t index, const char *pw)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ent;
	char buf[65536];
	size_t i = 0, got = 0;
	int rc, retries = 0;
	bool ok = false;

	if (a == NULL)
		return false;
	enable_format(a, o->type, streaming);
	if (archive_read_add_passphrase(a, pw) != ARCHIVE_OK ||
	    archive_read_open_memory(a, o->data, o->len) != ARCHIVE_OK)
		goto out;
	for (;;) {
		rc = archive_read_next_header(a, &ent);
		if (rc == ARCHIVE_RETRY && ++retries < MAX_RETRIES)
			continue;
		if (rc < ARCHIVE_WARN)
			goto out;
		if (i++ == index)
			break;
	}
	for (;;) {
		la_ssize_t n = archive_read_data(a, buf, sizeof buf);

		if (n == ARCHIVE_WARN)
			continue;
		if (n < 0)
			break;
		got += (size_t)n;
		if (n == 0 || got >= PW_PROBE_BYTES) {
			ok = true;
			break;
		}
	}
out:
	archive_read_free(a);
	return ok;
}

static void archive_passwords(vigil_scan *s, vigil_object *o, bool streaming,
                              const struct enc_members *enc)
{
	const GPtrArray *cand = vscan_passwords(s);
	GPtrArray *order;
	size_t tries, tried = 0, files;
	const char *found = NULL;
	bool opened;

	if (cand->len == 0) {
		vfinding_add(s, o, F_ARCHIVE_ENCRYPTED,
		             "%zu encrypted member(s), first %s; no password found in the message",
		             enc->count, enc->first);
		o->flags |= VIGIL_OBJ_PARTIAL;
		return;
	}
	if (!is_zip_type(o->type)) {
		vfinding_add(s, o, F_ARCHIVE_ENCRYPTED,
		             "%zu encrypted member(s), first %s; %s encryption cannot be opened "
		             "(libarchive), %u candidate password(s) from the message not tried",
		             enc->count, enc->first, o->type, cand->len);
		o->flags |= VIGIL_OBJ_PARTIAL;
		return;
	}
	tries = PW_WORK / (enc->first_index + 1);
	if (tries == 0)
		tries = 1;
	for (guint i = 0; i < cand->len && tried < tries && found == NULL; i++) {
		if (vscan_should_stop(s, o))
			break;
		tried++;
		if (pw_probe(o, streaming, enc->first_index, g_ptr_array_index(cand, i)))
			found = g_ptr_array_index(cand, i);
	}
	if (found == NULL) {
		vfinding_add(s, o, F_ARCHIVE_ENCRYPTED,
		             "%zu encrypted member(s), first %s; none of %zu candidate password(s) "
		             "from the message opens it",
		             enc->count, enc->first, tried);
		o->flags |= VIGIL_OBJ_PARTIAL;
		return;
	}
	vfinding_add(s, o, F_ARCHIVE_PASSWORD_FOUND,
	             "password \"%s\" from the message opens %zu encrypted member(s), first %s",
	             found, enc->count, enc->first);
	order = g_ptr_array_new();
	g_ptr_array_add(order, (gpointer)found);
	for (guint i = 0; i < cand->len; i++)
		if (g_ptr_array_index(cand, i) != found)
			g_ptr_array_add(order, g_ptr_array_index(cand, i));
	archive_extract_with(s, o, streaming, order, NULL, &opened, &files);
	g_ptr_array_free(order, TRUE);
}

static void archive_extract(vigil_scan *s, vigil_object *o)
{
	struct enc_members enc = {0, 0, NULL};
	bool opened, streaming = false;
	size_t files;

	if (o->len == 0)
		return;
	archive_extract_with(s, o, false, NULL, &enc, &opened, &files);
	if (opened && is_zip_type(o->type))
		zip_check(s, o, files);
	/* a zip without a usable central directory: walk the local headers */
	if (!opened && (strcmp(o->type, "zip") == 0 || strcmp(o->type, "ooxml") == 0 ||
	                strcmp(o->type, "odf") == 0)) {
		streaming = true;
		archive_extract_with(s, o, true, NULL, &enc, &opened, &files);
		if (opened)
			vfinding_add(s, o, F_ARCHIVE_DAMAGED,
			             "zip central directory unreadable; "
			             "read the local headers instead");
	}
	if (!opened)
		vfinding_add(s, o, F_ARCHIVE_DAMAGED, "cannot open as %s", o->type);
	if (enc.count > 0)
		archive_passwords(s, o, streaming, &enc);
	g_free(enc.first);
}

static const char *const archive_types[] = {"zip",  "ooxml",   "odf",  "7z",    "rar", "cab", "tar",
                                            "cpio", "iso9660", "gzip", "bzip2", "xz",  NULL};
const extractor archive_extractor = {"archive", archive_types, archive_extract};
