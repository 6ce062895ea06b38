/*
 * diskimg.c - disk images: VHD, VHDX, partitioned disks (MBR, GPT) and FAT
 * volumes, unpacked to the files they hold.
 *
 * Windows mounts a .vhd, .vhdx or .img on a double-click, and the files in it
 * carry no Mark-of-the-Web (T1553.005), so images are a favourite wrapper for
 * a shortcut and its payload. ISO 9660 images go to archive.c (libarchive).
 *
 * Layers. A device gives the bytes of the virtual disk: the object itself (a
 * raw image; a fixed VHD without its 512-byte footer), a dynamic or
 * differencing VHD through its block allocation table, or a VHDX through its
 * BAT (the log is not replayed; a differencing disk gives only its own
 * blocks). On the device: a boot sector (a volume without a partition table)
 * or a partition table, MBR (four primary entries; extended partitions are
 * followed for MAX_LOGICAL logical ones) or GPT (behind its protective MBR,
 * MAX_GPT entries). FAT12/16/32 volumes are read by our own reader (root
 * directory, subdirectories, long names); every file becomes a child at
 * "p<N>/<path>" ("<path>" for a volume without a partition table). NTFS,
 * exFAT and other volumes, and UDF images without an ISO 9660 bridge, are
 * reported as archive.unsupported.
 *
 * Limits: blocks absent from an image read as zeros and are never stored;
 * every file is read into a vbuf of vscan_room() and the first one that
 * hits a limit ends the image; a cluster chain is followed at most as many
 * steps as the volume has clusters; directories MAX_DEPTH deep, MAX_DIRS of
 * them, MAX_ENTRIES entries and MAX_DIR_BYTES each per volume (their bytes
 * count as unpacked); a directory met twice is skipped (loops);
 * vscan_should_stop() between files and every 256 clusters.
 * Ownership: the device reads the object's bytes in place; files are built in
 * vbufs handed to vscan_emit().
 */
#include "../internal.h"

#include <string.h>

#include "../../util/bytes.h"
#include "../../util/vbuf.h"

#define MAX_DEPTH 16
#define MAX_DIRS 4096
#define MAX_ENTRIES 100000
#define MAX_DIR_BYTES (2u << 20)
#define MAX_LOGICAL 16
#define MAX_GPT 128
#define MAX_PATH_LEN 1024
#define MAX_VOLUMES 16

enum dev_kind { DEV_RAW, DEV_VHD, DEV_VHDX };

struct dev {
	enum dev_kind kind;
	const uint8_t *p;
	size_t n;
	uint64_t size;   /* bytes of the virtual disk */
	uint32_t sector; /* logical sector size */
	uint64_t bat;    /* VHD and VHDX: offset of the BAT in the file */
	uint64_t bat_n;  /* its entries (all inside the file) */
	uint32_t block;  /* bytes per block */
	uint32_t bitmap; /* VHD: bytes of the sector bitmap before each block */
	uint64_t chunk;  /* VHDX: payload blocks per sector-bitmap entry */
};

struct img {
	vigil_scan *s;
	vigil_object *o;
	struct dev d;
	unsigned volumes;
	bool stop;
	bool damaged; /* reported once per image */
};

static uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static bool pow2(uint64_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

static void damaged(struct img *im, const char *what)
{
	if (im->damaged)
		return;
	im->damaged = true;
	vfinding_add(im->s, im->o, F_ARCHIVE_DAMAGED, "disk image: %s", what);
	im->o->flags |= VIGIL_OBJ_PARTIAL;
}

/* len bytes of the virtual disk at off; absent blocks read as zeros */
static bool dev_read(const struct dev *d, uint64_t off, uint8_t *buf, size_t len)
{
	if (off > d->size || len > d->size - off)
		return false;
	while (len > 0) {
		uint64_t phys = off, blk, in, e;
		size_t chunk = len;
		bool zero = false;

		if (d->kind != DEV_RAW) {
			blk = off / d->block;
			in = off % d->block;
			if (chunk > d->block - in)
				chunk = (size_t)(d->block - in);
			if (d->kind == DEV_VHD) {
				e = blk < d->bat_n ? be32(d->p + d->bat + 4 * blk) : 0xffffffffu;
				zero = e == 0xffffffffu;
				phys = e * 512 + d->bitmap + in;
			} else {
				uint64_t idx = blk + blk / d->chunk;

				e = idx < d->bat_n ? le64(d->p + d->bat + 8 * idx) : 0;
				/* 6: fully present, 7: partly present (differencing) */
				zero = (e & 7) != 6 && (e & 7) != 7;
				phys = e & ~(uint64_t)0xfffff; /* FileOffsetMB */
				if (!zero && phys > d->n)
					return false;
				phys += in;
			}
		}
		if (zero) {
			memset(buf, 0, chunk);
		} else {
			if (phys > d->n || chunk > d->n - phys)
				return false;
			memcpy(buf, d->p + phys, chunk);
		}
		buf += chunk;
		off += chunk;
		len -= chunk;
	}
	return true;
}

/* ---- VHD (Microsoft Virtual Hard Disk Image Format Specification 1.0) ---- */

static bool vhd_open(struct img *im)
{
	const uint8_t *p = im->o->data, *f, *h;
	size_t n = im->o->len;
	uint64_t hoff, size;
	uint32_t type;
	bool at_end = n >= 1024 && memcmp(p + n - 512, "conectix", 8) == 0;

	if (at_end)
		f = p + n - 512;
	else if (n >= 512 && memcmp(p, "conectix", 8) == 0)
		f = p;
	else
		return false;
	type = be32(f + 60);
	size = be64(f + 48);
	im->d.sector = 512;
	if (type == 2) {
		/* fixed: the disk, then the footer */
		if (!at_end)
			return false;
		im->d.kind = DEV_RAW;
		im->d.size = size < n - 512 ? size : n - 512;
		return true;
	}
	if (type != 3 && type != 4)
		return false;
	hoff = be64(f + 16);
	if (hoff > n || n - hoff < 1024 || memcmp(p + hoff, "cxsparse", 8) != 0)
		return false;
	h = p + hoff;
	im->d.kind = DEV_VHD;
	im->d.bat = be64(h + 16);
	im->d.bat_n = be32(h + 28);
	im->d.block = be32(h + 32);
	if (!pow2(im->d.block) || im->d.block < 512 || im->d.block > (256u << 20) || im->d.bat > n)
		return false;
	if (im->d.bat_n > (n - im->d.bat) / 4) {
		damaged(im, "VHD block table runs past the end of the file");
		im->d.bat_n = (n - im->d.bat) / 4;
	}
	im->d.bitmap = ((im->d.block / 512 / 8) + 511) & ~511u;
	im->d.size = size;
	if (type == 4)
		vfinding_add(
		        im->s, im->o, F_ARCHIVE_UNSUPPORTED,
		        "differencing VHD: only the blocks it holds are read, not its parent's");
	return true;
}

/* ---- VHDX (MS-VHDX) ---- */

static const uint8_t vhdx_bat_guid[16] = {0x66, 0x77, 0xC2, 0x2D, 0x23, 0xF6, 0x00, 0x42,
                                          0x9D, 0x64, 0x11, 0x5E, 0x9B, 0xFD, 0x4A, 0x08};
static const uint8_t vhdx_meta_guid[16] = {0x06, 0xA2, 0x7C, 0x8B, 0x90, 0x47, 0x9A, 0x4B,
                                           0xB8, 0xFE, 0x57, 0x5F, 0x05, 0x0F, 0x88, 0x6E};
static const uint8_t vhdx_params_guid[16] = {0x37, 0x67, 0xA1, 0xCA, 0x36, 0xFA, 0x43, 0x4D,
                                             0xB3, 0xB6, 0x33, 0xF0, 0xAA, 0x44, 0xE7, 0x6B};
static const uint8_t vhdx_size_guid[16] = {0x24, 0x42, 0xA5, 0x2F, 0x1B, 0xCD, 0x76, 0x48,
                                           0xB2, 0x11, 0x5D, 0xBE, 0xD8, 0x3B, 0xF4, 0xB8};
static const uint8_t vhdx_lss_guid[16] = {0x1D, 0xBF, 0x41, 0x81, 0x6F, 0xA9, 0x09, 0x47,
                                          0xBA, 0x47, 0xF2, 0x33, 0xA8, 0xFA, 0xAB, 0x5F};

#define VHDX_REGION (192u << 10)
#define VHDX_REGION2 (256u << 10)
#define VHDX_TABLE 65536

/* a metadata item's value: offset in the file and length, or false */
static bool vhdx_item(const uint8_t *p, size_t n, uint64_t mo, uint64_t ml, const uint8_t *guid,
                      uint32_t want, uint64_t *at)
{
	uint32_t count;

	if (ml < 32 || memcmp(p + mo, "metadata", 8) != 0)
		return false;
	count = le16(p + mo + 10);
	for (uint32_t i = 0; i < count && i < 2047; i++) {
		uint64_t e = mo + 32 + 32 * (uint64_t)i;
		uint32_t off, len;

		if (e - mo > ml || ml - (e - mo) < 32)
			return false;
		if (memcmp(p + e, guid, 16) != 0)
			continue;
		off = le32(p + e + 16);
		len = le32(p + e + 20);
		if (len < want || off > ml || ml - off < want || mo + off > n ||
		    n - (mo + off) < want)
			return false;
		*at = mo + off;
		return true;
	}
	return false;
}

static bool vhdx_open(struct img *im)
{
	const uint8_t *p = im->o->data;
	size_t n = im->o->len;
	uint64_t bo = 0, bl = 0, mo = 0, ml = 0, at, block;
	uint32_t count, flags, lss;
	size_t rt = VHDX_REGION;

	if (n < VHDX_REGION2 + VHDX_TABLE)
		return false;
	/* the region table, or its copy */
	if (memcmp(p + rt, "regi", 4) != 0)
		rt = VHDX_REGION2;
	if (memcmp(p + rt, "regi", 4) != 0)
		return false;
	count = le32(p + rt + 8);
	for (uint32_t i = 0; i < count && i < 2047; i++) {
		const uint8_t *e = p + rt + 16 + 32 * (size_t)i;

		if (memcmp(e, vhdx_bat_guid, 16) == 0) {
			bo = le64(e + 16);
			bl = le32(e + 24);
		} else if (memcmp(e, vhdx_meta_guid, 16) == 0) {
			mo = le64(e + 16);
			ml = le32(e + 24);
		}
	}
	if (bo == 0 || mo == 0 || bo > n || mo > n || ml > n - mo)
		return false;
	if (bl > n - bo) {
		damaged(im, "VHDX block table runs past the end of the file");
		bl = n - bo;
	}
	if (!vhdx_item(p, n, mo, ml, vhdx_params_guid, 8, &at))
		return false;
	block = le32(p + at);
	flags = le32(p + at + 4);
	if (!vhdx_item(p, n, mo, ml, vhdx_size_guid, 8, &at))
		return false;
	im->d.size = le64(p + at);
	if (!vhdx_item(p, n, mo, ml, vhdx_lss_guid, 4, &at))
		return false;
	lss = le32(p + at);
	if (!pow2(block) || block < (1u << 20) || block > (256u << 20) ||
	    (lss != 512 && lss != 4096))
		return false;
	im->d.kind = DEV_VHDX;
	im->d.block = (uint32_t)block;
	im->d.sector = lss;
	im->d.chunk = ((uint64_t)lss << 23) / block;
	im->d.bat = bo;
	im->d.bat_n = bl / 8;
	if (flags & 2)
		vfinding_add(
		        im->s, im->o, F_ARCHIVE_UNSUPPORTED,
		        "differencing VHDX: only the blocks it holds are read, not its parent's");
	return true;
}

/* ---- FAT12/16/32 (Microsoft FAT specification) ---- */

struct fat {
	struct img *im;
	uint64_t base;  /* where the volume starts on the device */
	uint64_t limit; /* its bytes on the device */
	unsigned bits;  /* 12, 16 or 32 */
	uint32_t cbytes;
	uint64_t fat, fat_len;
	uint64_t root;
	uint32_t root_ents, root_cl;
	uint64_t data;
	uint32_t clusters;
	const char *prefix;
	unsigned dirs, entries;
	GHashTable *seen; /* directory start clusters */
	uint8_t *buf;     /* one cluster */
	bool short_chain; /* reported */
};

enum { CHAIN_OK, CHAIN_SHORT, CHAIN_FULL, CHAIN_STOP };

static bool vol_read(const struct fat *f, uint64_t off, uint8_t *buf, size_t len)
{
	if (off > f->limit || len > f->limit - off)
		return false;
	return dev_read(&f->im->d, f->base + off, buf, len);
}

/* the next cluster of a chain, or 0 at its end (or on anything odd) */
static uint32_t fat_next(const struct fat *f, uint32_t c)
{
	uint8_t b[4];
	uint64_t off;
	uint32_t v;

	if (c < 2 || c - 2 >= f->clusters)
		return 0;
	off = f->bits == 12 ? c + c / 2 : (uint64_t)c * (f->bits / 8);
	if (off > f->fat_len || f->fat_len - off < (f->bits == 32 ? 4u : 2u) ||
	    !vol_read(f, f->fat + off, b, f->bits == 32 ? 4 : 2))
		return 0;
	if (f->bits == 12) {
		v = le16(b);
		v = (c & 1) ? v >> 4 : v & 0xfff;
	} else if (f->bits == 16) {
		v = le16(b);
	} else {
		v = le32(b) & 0x0fffffff;
	}
	if (v < 2 || v - 2 >= f->clusters)
		return 0; /* end of chain, bad or free cluster, or out of range */
	return v;
}

static int read_chain(struct fat *f, uint32_t c, uint64_t want, vbuf *b)
{
	uint64_t steps = 0;

	while (b->len < want) {
		size_t take = f->cbytes;

		if (c < 2 || c - 2 >= f->clusters || steps++ > f->clusters)
			return CHAIN_SHORT;
		if (take > want - b->len)
			take = (size_t)(want - b->len);
		if (!vol_read(f, f->data + (uint64_t)(c - 2) * f->cbytes, f->buf, take))
			return CHAIN_SHORT;
		if (vbuf_append(b, f->buf, take) != VBUF_OK)
			return CHAIN_FULL;
		if ((steps & 255) == 0 && vscan_should_stop(f->im->s, f->im->o))
			return CHAIN_STOP;
		c = fat_next(f, c);
	}
	return CHAIN_OK;
}

static void fat_file(struct fat *f, uint32_t cl, uint32_t size, const char *path)
{
	struct img *im = f->im;
	vigil_limit which;
	vbuf b;
	vchild ch;
	char *seg;
	int rc = CHAIN_OK;

	if (vscan_should_stop(im->s, im->o)) {
		im->stop = true;
		return;
	}
	vbuf_init(&b, vscan_room(im->s, im->o, &which));
	if (size > 0)
		rc = read_chain(f, cl, size, &b);
	if (rc == CHAIN_FULL) {
		vscan_limit(im->s, im->o, which, path);
		im->o->flags |= VIGIL_OBJ_PARTIAL;
		im->stop = true;
	} else if (rc == CHAIN_SHORT && !f->short_chain) {
		f->short_chain = true;
		vfinding_add(im->s, im->o, F_ARCHIVE_DAMAGED,
		             "%s: the cluster chain ends before the file's %u bytes", path, size);
	} else if (rc == CHAIN_STOP) {
		im->stop = true;
	}
	seg = g_strconcat(f->prefix, path, NULL);
	memset(&ch, 0, sizeof ch);
	ch.seg = seg;
	ch.name = path;
	ch.size = size;
	ch.flags = rc == CHAIN_FULL ? VIGIL_OBJ_TRUNCATED : 0;
	ch.data = vbuf_steal(&b, &ch.len);
	if (vscan_emit(im->s, im->o, &ch) == VSCAN_STOP)
		im->stop = true;
	g_free(seg);
}

static uint8_t lfn_checksum(const uint8_t *e)
{
	uint8_t sum = 0;

	for (int i = 0; i < 11; i++)
		sum = (uint8_t)(((sum & 1) << 7) + (sum >> 1) + e[i]);
	return sum;
}

/* "NAME    EXT" -> "name.ext" (bytes outside ASCII become '_') */
static void short_name(const uint8_t *e, char *out)
{
	size_t k = 0;
	int base = 8, ext = 3;

	while (base > 0 && e[base - 1] == ' ')
		base--;
	while (ext > 0 && e[8 + ext - 1] == ' ')
		ext--;
	for (int i = 0; i < base; i++) {
		uint8_t c = (i == 0 && e[0] == 0x05) ? 0xE5 : e[i];

		c = c < 0x20 || c >= 0x7f ? '_' : c;
		out[k++] = (char)((e[12] & 0x08) ? g_ascii_tolower(c) : c);
	}
	if (ext > 0)
		out[k++] = '.';
	for (int i = 0; i < ext; i++) {
		uint8_t c = e[8 + i] < 0x20 || e[8 + i] >= 0x7f ? '_' : e[8 + i];

		out[k++] = (char)((e[12] & 0x10) ? g_ascii_tolower(c) : c);
	}
	out[k] = 0;
}

struct lfn {
	gunichar2 u[20 * 13 + 1];
	unsigned want; /* entries in the sequence, 0: none */
	uint32_t got;  /* bit per entry seen */
	uint8_t sum;
};

static void lfn_add(struct lfn *l, const uint8_t *e)
{
	static const uint8_t pos[13] = {1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30};
	unsigned seq = e[0] & 0x1f;

	if (e[0] & 0x40) {
		memset(l, 0, sizeof *l);
		l->want = seq;
		l->sum = e[13];
	}
	if (seq == 0 || seq > 20 || seq > l->want || e[13] != l->sum) {
		l->want = 0;
		return;
	}
	for (int i = 0; i < 13; i++)
		l->u[(seq - 1) * 13 + i] = le16(e + pos[i]);
	l->got |= 1u << (seq - 1);
}

/* the long name, if complete and made for this short entry */
static char *lfn_name(const struct lfn *l, const uint8_t *e)
{
	size_t len = 0;
	char *name;

	if (l->want == 0 || l->got != (1u << l->want) - 1 || lfn_checksum(e) != l->sum)
		return NULL;
	while (len < l->want * 13 && l->u[len] != 0 && l->u[len] != 0xffff)
		len++;
	if (len == 0)
		return NULL;
	name = g_utf16_to_utf8(l->u, (glong)len, NULL, NULL, NULL);
	/* a long name may not hold separators; one that does is no path */
	for (char *c = name; c != NULL && *c; c++)
		if (*c == '/' || *c == '\\')
			*c = '_';
	return name;
}

static void fat_subdir(struct fat *f, uint32_t cl, const char *path, unsigned depth);

static void fat_dir(struct fat *f, const uint8_t *d, size_t n, const char *path, unsigned depth)
{
	struct lfn l;

	memset(&l, 0, sizeof l);
	for (size_t i = 0; i + 32 <= n && !f->im->stop; i += 32) {
		const uint8_t *e = d + i;
		uint8_t attr = e[11];
		char sname[16], *lname, *child;
		const char *name;
		uint32_t cl;

		if (++f->entries > MAX_ENTRIES) {
			vfinding_add(f->im->s, f->im->o, F_ARCHIVE_UNSUPPORTED,
			             "more than %u directory entries: the rest is not read",
			             MAX_ENTRIES);
			f->im->stop = true;
			return;
		}
		if (e[0] == 0)
			return;
		if (e[0] == 0xE5) {
			l.want = 0;
			continue;
		}
		if ((attr & 0x3f) == 0x0f) {
			lfn_add(&l, e);
			continue;
		}
		if (attr & 0x08) {
			l.want = 0;
			continue; /* volume label */
		}
		lname = lfn_name(&l, e);
		l.want = 0;
		short_name(e, sname);
		name = lname != NULL ? lname : sname;
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || *name == 0 ||
		    strlen(path) + strlen(name) + 1 > MAX_PATH_LEN) {
			g_free(lname);
			continue;
		}
		child = *path ? g_strconcat(path, "/", name, NULL) : g_strdup(name);
		g_free(lname);
		cl = le16(e + 26) | (f->bits == 32 ? (uint32_t)le16(e + 20) << 16 : 0);
		if (attr & 0x10)
			fat_subdir(f, cl, child, depth + 1);
		else
			fat_file(f, cl, le32(e + 28), child);
		g_free(child);
	}
}

static void fat_subdir(struct fat *f, uint32_t cl, const char *path, unsigned depth)
{
	struct img *im = f->im;
	vbuf b;
	size_t room;

	if (depth > MAX_DEPTH || f->dirs >= MAX_DIRS) {
		vfinding_add(im->s, im->o, F_ARCHIVE_UNSUPPORTED,
		             "%s: directories nested deeper than %u or more than %u of them", path,
		             MAX_DEPTH, MAX_DIRS);
		im->stop = true;
		return;
	}
	if (cl < 2 || g_hash_table_contains(f->seen, GUINT_TO_POINTER(cl)))
		return;
	g_hash_table_add(f->seen, GUINT_TO_POINTER(cl));
	f->dirs++;
	room = vscan_room(im->s, im->o, NULL);
	vbuf_init(&b, room < MAX_DIR_BYTES ? room : MAX_DIR_BYTES);
	if (read_chain(f, cl, MAX_DIR_BYTES, &b) == CHAIN_STOP)
		im->stop = true;
	/* directory bytes are read only to look inside: they count */
	vscan_charge(im->s, im->o, b.len);
	fat_dir(f, b.data, b.len, path, depth);
	vbuf_free(&b);
}

static void fat_volume(struct img *im, uint64_t base, uint64_t len, const char *prefix)
{
	struct fat f;
	uint8_t bs[512];
	uint32_t bps, spc, rsv, nf, tot, fatsz, root_bytes;
	uint64_t vol;

	if (!dev_read(&im->d, base, bs, sizeof bs))
		return;
	memset(&f, 0, sizeof f);
	bps = le16(bs + 11);
	spc = bs[13];
	rsv = le16(bs + 14);
	nf = bs[16];
	f.root_ents = le16(bs + 17);
	tot = le16(bs + 19) ? le16(bs + 19) : le32(bs + 32);
	fatsz = le16(bs + 22) ? le16(bs + 22) : le32(bs + 36);
	if (!pow2(bps) || bps < 512 || bps > 4096 || !pow2(spc) || spc > 128 || rsv == 0 ||
	    nf == 0 || nf > 4 || fatsz == 0 || tot == 0) {
		damaged(im, "FAT boot sector is not valid");
		return;
	}
	f.im = im;
	f.base = base;
	vol = (uint64_t)tot * bps;
	f.limit = im->d.size - base;
	if (len < f.limit)
		f.limit = len;
	if (vol < f.limit)
		f.limit = vol;
	f.cbytes = bps * spc;
	f.fat = (uint64_t)rsv * bps;
	f.fat_len = (uint64_t)fatsz * bps;
	root_bytes = le16(bs + 22) == 0 ? 0 : ((f.root_ents * 32 + bps - 1) / bps) * bps;
	f.root = f.fat + nf * f.fat_len;
	f.data = f.root + root_bytes;
	if (f.data >= vol) {
		damaged(im, "FAT volume smaller than its own tables");
		return;
	}
	f.clusters = (uint32_t)MIN((vol - f.data) / f.cbytes, 0x0ffffff5u);
	f.bits = le16(bs + 22) == 0 ? 32 : f.clusters < 4085 ? 12 : 16;
	f.root_cl = le32(bs + 44);
	f.prefix = prefix;
	f.seen = g_hash_table_new(g_direct_hash, g_direct_equal);
	f.buf = g_malloc(f.cbytes);
	if (f.bits == 32) {
		fat_subdir(&f, f.root_cl, "", 0);
	} else {
		uint8_t *root = g_malloc(root_bytes ? root_bytes : 1);

		if (vol_read(&f, f.root, root, root_bytes))
			fat_dir(&f, root, root_bytes, "", 0);
		else
			damaged(im, "FAT root directory beyond the end of the image");
		g_free(root);
	}
	g_free(f.buf);
	g_hash_table_destroy(f.seen);
}

/* ---- volumes and partition tables ---- */

static void volume(struct img *im, uint64_t off, uint64_t len, const char *prefix)
{
	uint8_t bs[512];
	const char *t;
	bool blank = true;

	if (im->stop || vscan_should_stop(im->s, im->o))
		return;
	if (++im->volumes > MAX_VOLUMES) {
		im->stop = true;
		return;
	}
	if (!dev_read(&im->d, off, bs, sizeof bs)) {
		damaged(im, "a partition starts beyond the end of the disk");
		return;
	}
	for (size_t i = 0; i < sizeof bs && blank; i++)
		blank = bs[i] == 0;
	if (blank)
		return; /* never formatted */
	t = ftype_detect(bs, sizeof bs, NULL);
	if (strcmp(t, "fat") == 0)
		fat_volume(im, off, len, prefix);
	else
		vfinding_add(im->s, im->o, F_ARCHIVE_UNSUPPORTED, "%s%s volume not unpacked",
		             prefix,
		             strcmp(t, "ntfs") == 0    ? "NTFS"
		             : strcmp(t, "exfat") == 0 ? "exFAT"
		                                       : "unknown");
}

/* a partition given in sectors, if it lies on the disk */
static void partition(struct img *im, uint64_t lba, uint64_t count, unsigned num)
{
	uint64_t sec = im->d.sector;
	char prefix[24];

	if (lba == 0 || lba >= im->d.size / sec) {
		damaged(im, "a partition lies beyond the end of the disk");
		return;
	}
	if (count > im->d.size / sec - lba)
		count = im->d.size / sec - lba;
	g_snprintf(prefix, sizeof prefix, "p%u/", num);
	volume(im, lba * sec, count * sec, prefix);
}

static void gpt(struct img *im)
{
	uint32_t sec = im->d.sector;
	uint8_t h[512], e[128];
	uint64_t elba;
	uint32_t count, esize;
	unsigned num = 0;

	if (!dev_read(&im->d, sec, h, sizeof h) || memcmp(h, "EFI PART", 8) != 0) {
		damaged(im, "protective MBR without a GPT header");
		return;
	}
	elba = le64(h + 72);
	count = le32(h + 80);
	esize = le32(h + 84);
	if (esize < 128 || esize > 1024 || esize % 8 != 0 || elba >= im->d.size / sec) {
		damaged(im, "GPT header is not valid");
		return;
	}
	for (uint32_t i = 0; i < count && i < MAX_GPT && !im->stop; i++) {
		static const uint8_t zero[16];
		uint64_t first, last;

		if (!dev_read(&im->d, elba * sec + (uint64_t)i * esize, e, sizeof e))
			break;
		if (memcmp(e, zero, 16) == 0)
			continue;
		num++;
		first = le64(e + 32);
		last = le64(e + 40);
		if (last < first)
			continue;
		partition(im, first, last - first + 1, num);
	}
}

static bool is_extended(uint8_t type)
{
	return type == 0x05 || type == 0x0f || type == 0x85;
}

static void extended(struct img *im, uint64_t start)
{
	uint64_t ebr = start;
	uint8_t s[512];

	for (unsigned k = 0; k < MAX_LOGICAL && !im->stop; k++) {
		const uint8_t *e;

		if (ebr >= im->d.size / im->d.sector ||
		    !dev_read(&im->d, ebr * im->d.sector, s, sizeof s) || s[510] != 0x55 ||
		    s[511] != 0xAA)
			return;
		e = s + 446;
		if (e[4] != 0 && le32(e + 12) != 0)
			partition(im, ebr + le32(e + 8), le32(e + 12), 5 + k);
		e = s + 446 + 16;
		if (!is_extended(e[4]) || le32(e + 8) == 0)
			return;
		ebr = start + le32(e + 8);
	}
}

static void mbr(struct img *im, const uint8_t *s0)
{
	for (unsigned i = 0; i < 4 && !im->stop; i++) {
		const uint8_t *e = s0 + 446 + 16 * i;
		uint32_t start = le32(e + 8), count = le32(e + 12);

		if (e[4] == 0 || count == 0)
			continue;
		if (e[4] == 0xee) {
			gpt(im);
			return;
		}
		if (is_extended(e[4]))
			extended(im, start);
		else
			partition(im, start, count, i + 1);
	}
}

static void disk(struct img *im)
{
	uint8_t s0[512];
	const char *t;

	if (im->d.size < 512 || !dev_read(&im->d, 0, s0, sizeof s0)) {
		damaged(im, "no first sector");
		return;
	}
	t = ftype_detect(s0, sizeof s0, NULL);
	if (strcmp(t, "fat") == 0 || strcmp(t, "ntfs") == 0 || strcmp(t, "exfat") == 0)
		volume(im, 0, im->d.size, "");
	else if (s0[510] == 0x55 && s0[511] == 0xAA)
		mbr(im, s0);
	else
		vfinding_add(im->s, im->o, F_ARCHIVE_UNSUPPORTED,
		             "%s image without a partition table or a FAT volume", im->o->type);
}

static void diskimg_extract(vigil_scan *s, vigil_object *o)
{
	struct img im;

	if (o->len == 0)
		return;
	memset(&im, 0, sizeof im);
	im.s = s;
	im.o = o;
	im.d.p = o->data;
	im.d.n = o->len;
	im.d.kind = DEV_RAW;
	im.d.size = o->len;
	im.d.sector = 512;
	if (strcmp(o->type, "vhd") == 0 && !vhd_open(&im)) {
		damaged(&im, "VHD footer or dynamic header is not valid");
		return;
	}
	if (strcmp(o->type, "udf") == 0) {
		vfinding_add(s, o, F_ARCHIVE_UNSUPPORTED, "UDF file system not unpacked");
		o->flags |= VIGIL_OBJ_PARTIAL;
		return;
	}
	if (strcmp(o->type, "vhdx") == 0 && !vhdx_open(&im)) {
		vfinding_add(s, o, F_ARCHIVE_UNSUPPORTED,
		             "VHDX headers, region table or metadata not understood");
		o->flags |= VIGIL_OBJ_PARTIAL;
		return;
	}
	disk(&im);
}

static const char *const diskimg_types[] = {"vhd",  "vhdx",  "disk", "fat",
                                            "ntfs", "exfat", "udf",  NULL};
const extractor diskimg_extractor = {"diskimg", diskimg_types, diskimg_extract};
