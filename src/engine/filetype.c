/*
 * filetype.c - what an object is, decided from its bytes (never its name).
 *
 * Own checks come first: they are exact for the formats the engine unpacks
 * and analyzes, and cost a few comparisons. libmagic is asked only about
 * binary objects none of them recognises, for a MIME type to show; its
 * handle is per thread (libmagic handles are not thread-safe) and loaded on
 * first use. Every check is bounded by n.
 */
#include "internal.h"

#include <magic.h>
#include <pthread.h>
#include <string.h>

struct ftype {
	const char *type;
	const char *mime;
};

static const struct ftype types[] = {
        {"empty", "application/x-empty"},
        {"email", "message/rfc822"},
        {"zip", "application/zip"},
        {"ooxml", "application/vnd.openxmlformats-officedocument"},
        {"odf", "application/vnd.oasis.opendocument"},
        {"7z", "application/x-7z-compressed"},
        {"rar", "application/vnd.rar"},
        {"gzip", "application/gzip"},
        {"bzip2", "application/x-bzip2"},
        {"xz", "application/x-xz"},
        {"cab", "application/vnd.ms-cab-compressed"},
        {"tar", "application/x-tar"},
        {"cpio", "application/x-cpio"},
        {"iso9660", "application/x-iso9660-image"},
        /* delivery work: disk images (diskimg.c) and OneNote (onenote.c) */
        {"vhd", "application/x-vhd"},
        {"vhdx", "application/x-vhdx"},
        {"disk", "application/x-raw-disk-image"},
        {"fat", "application/x-fat-image"},
        {"ntfs", "application/x-raw-disk-image"},
        {"exfat", "application/x-raw-disk-image"},
        {"udf", "application/x-udf-image"},
        {"onenote", "application/onenote"},
        {"ole2", "application/x-ole-storage"},
        {"pdf", "application/pdf"},
        {"rtf", "text/rtf"},
        {"pe", "application/vnd.microsoft.portable-executable"},
        {"mz", "application/x-dosexec"},
        {"elf", "application/x-executable"},
        {"lnk", "application/x-ms-shortcut"},
        {"tnef", "application/vnd.ms-tnef"},
        {"chm", "application/vnd.ms-htmlhelp"},
        {"html", "text/html"},
        {"xml", "text/xml"},
        {"binhex", "application/mac-binhex40"},
        {"png", "image/png"},
        {"jpeg", "image/jpeg"},
        {"gif", "image/gif"},
        {"bmp", "image/bmp"},
        {"text", "text/plain"},
        {"binary", NULL},
};

static const char *lookup_mime(const char *type)
{
	for (size_t i = 0; i < G_N_ELEMENTS(types); i++)
		if (strcmp(types[i].type, type) == 0)
			return types[i].mime;
	return NULL;
}

static bool at(const uint8_t *p, size_t n, size_t off, const void *sig, size_t len)
{
	return off <= n && len <= n - off && memcmp(p + off, sig, len) == 0;
}

static bool has_bytes(const uint8_t *p, size_t n, size_t limit, const char *needle)
{
	size_t m = strlen(needle);

	if (n > limit)
		n = limit;
	if (p == NULL || m == 0 || m > n)
		return false;
	return memmem(p, n, needle, m) != NULL;
}

static bool is_pe(const uint8_t *p, size_t n)
{
	uint32_t off;

	if (n < 0x40)
		return false;
	off = (uint32_t)p[0x3c] | (uint32_t)p[0x3d] << 8 | (uint32_t)p[0x3e] << 16 |
	      (uint32_t)p[0x3f] << 24;
	return off < n && 4 <= n - off && memcmp(p + off, "PE\0\0", 4) == 0;
}

static bool tar_checksum_ok(const uint8_t *p, size_t n)
{
	unsigned long sum = 0, want = 0;
	size_t i;

	if (n < 512)
		return false;
	for (i = 0; i < 512; i++)
		sum += (i >= 148 && i < 156) ? ' ' : p[i];
	for (i = 148; i < 156 && (p[i] == ' ' || p[i] == 0); i++)
		;
	if (i == 156)
		return false;
	for (; i < 156 && p[i] >= '0' && p[i] <= '7'; i++)
		want = want * 8 + (unsigned long)(p[i] - '0');
	return want == sum && p[0] != 0;
}

/* A header field name as RFC 5322 has it: printable ASCII but ':' */
static size_t header_name_len(const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n && p[i] > 32 && p[i] < 127 && p[i] != ':')
		i++;
	if (i == 0 || i >= n)
		return 0;
	/* tolerate blanks before the colon, as many parsers do */
	{
		size_t j = i;

		while (j < n && (p[j] == ' ' || p[j] == '\t'))
			j++;
		if (j < n && p[j] == ':')
			return i;
	}
	return 0;
}

static const char *const known_headers[] = {
        "from",
        "to",
        "cc",
        "subject",
        "date",
        "received",
        "message-id",
        "mime-version",
        "content-type",
        "return-path",
        "delivered-to",
        "reply-to",
        "sender",
        "x-mailer",
        "content-transfer-encoding",
        "references",
        "in-reply-to",
        "user-agent",
        "x-originating-ip",
        "dkim-signature",
        "authentication-results",
        "list-id",
        "precedence",
        "organization",
        "x-sender",
        "resent-from",
        "resent-date",
        "x-priority",
        "thread-topic",
        "x-ms-has-attach",
};

static bool known_header(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < G_N_ELEMENTS(known_headers); i++)
		if (strlen(known_headers[i]) == len &&
		    g_ascii_strncasecmp((const char *)p, known_headers[i], len) == 0)
			return true;
	return false;
}

/*
 * An email starts with header fields (after an optional mbox "From " line).
 * We want two known fields, or one MIME field, before the first blank line,
 * and every line up to there must be a field or a continuation (or a line
 * that is neither after enough fields: that ends the headers).
 */
static bool is_email(const uint8_t *p, size_t n)
{
	size_t i = 0, lines = 0;
	int known = 0;
	bool mime = false;

	if (n > 65536)
		n = 65536;
	if (at(p, n, 0, "From ", 5)) {
		while (i < n && p[i] != '\n')
			i++;
		i++;
	}
	while (i < n && lines < 200) {
		size_t start = i, nl;

		if (p[i] == '\n' || (p[i] == '\r' && i + 1 < n && p[i + 1] == '\n'))
			break; /* end of headers */
		if (p[i] == ' ' || p[i] == '\t') {
			if (lines == 0)
				return false;
		} else {
			nl = header_name_len(p + i, n - i);
			/* a line that is no field after real fields (lost folding,
			 * junk): mail parsers skip it (GMime, mime4j) or end the
			 * headers there (Postfix, Python); a message either way */
			if (nl == 0 && (lines >= 3 || (lines > 0 && (known >= 2 || mime))))
				break;
			if (nl == 0)
				return false;
			if (known_header(p + i, nl))
				known++;
			if ((nl == 12 &&
			     g_ascii_strncasecmp((const char *)p + i, "content-type", 12) == 0) ||
			    (nl == 12 &&
			     g_ascii_strncasecmp((const char *)p + i, "mime-version", 12) == 0))
				mime = true;
		}
		while (i < n && p[i] != '\n')
			i++;
		i++;
		lines++;
		(void)start;
	}
	return lines > 0 && (known >= 2 || mime);
}

static bool is_text(const uint8_t *p, size_t n)
{
	size_t bad = 0, check = n < 8192 ? n : 8192;
	size_t i = 0;

	while (i < check) {
		uint8_t c = p[i];

		if (c == 0)
			return false;
		if (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != 0x1b)
			bad++;
		i++;
	}
	/* allow some 8-bit text (any charset); refuse mostly-control bytes */
	return bad * 50 <= check;
}

static const char *skip_ws_ci(const uint8_t *p, size_t n, size_t *off)
{
	size_t i = 0;

	if (at(p, n, 0, "\xEF\xBB\xBF", 3))
		i = 3;
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
		i++;
	*off = i;
	return (const char *)p + i;
}

static bool starts_ci(const uint8_t *p, size_t n, size_t off, const char *s)
{
	size_t m = strlen(s);

	return off <= n && m <= n - off && g_ascii_strncasecmp((const char *)p + off, s, m) == 0;
}

/*
 * ---- delivery work: disk images and OneNote (diskimg.c, onenote.c) ----
 * Boot sectors are told by their jump instruction and a sane BIOS parameter
 * block; a partition table (MBR, or GPT behind its protective MBR) and a VHD
 * footer at the end are weaker signs, so they are only tried after the email
 * test (bytes a sender controls at offset 446 or at the end must not make a
 * message something else).
 */
static bool pow2_in(unsigned v, unsigned lo, unsigned hi)
{
	return v >= lo && v <= hi && (v & (v - 1)) == 0;
}

static const char *boot_sector(const uint8_t *p, size_t n)
{
	unsigned bps, fatsz;
	uint32_t total;

	if (n < 512 || !((p[0] == 0xEB && p[2] == 0x90) || p[0] == 0xE9))
		return NULL;
	if (at(p, n, 3, "NTFS    ", 8))
		return "ntfs";
	if (at(p, n, 3, "EXFAT   ", 8))
		return "exfat";
	bps = (unsigned)(p[11] | p[12] << 8);
	fatsz = (unsigned)(p[22] | p[23] << 8);
	if (fatsz == 0)
		fatsz = (unsigned)(p[36] | p[37] << 8 | p[38] << 16 | (uint32_t)p[39] << 24);
	total = (uint32_t)(p[19] | p[20] << 8);
	if (total == 0)
		total = (uint32_t)p[32] | (uint32_t)p[33] << 8 | (uint32_t)p[34] << 16 |
		        (uint32_t)p[35] << 24;
	if (!pow2_in(bps, 512, 4096) || !pow2_in(p[13], 1, 128) || (p[14] | p[15] << 8) == 0 ||
	    p[16] < 1 || p[16] > 4 || (p[21] != 0xF0 && p[21] < 0xF8) || fatsz == 0 || total == 0)
		return NULL;
	return "fat";
}

static bool partition_table(const uint8_t *p, size_t n)
{
	unsigned used = 0;

	if (n < 1024 || p[510] != 0x55 || p[511] != 0xAA)
		return false;
	for (int i = 0; i < 4; i++) {
		const uint8_t *e = p + 446 + 16 * i;
		uint32_t start = (uint32_t)e[8] | (uint32_t)e[9] << 8 | (uint32_t)e[10] << 16 |
		                 (uint32_t)e[11] << 24;
		uint32_t count = (uint32_t)e[12] | (uint32_t)e[13] << 8 | (uint32_t)e[14] << 16 |
		                 (uint32_t)e[15] << 24;

		if (e[4] == 0)
			continue;
		if ((e[0] != 0 && e[0] != 0x80) || start == 0 || count == 0)
			return false;
		/* the first partition must begin inside the file */
		if (used++ == 0 && start >= n / 512)
			return false;
	}
	return used > 0;
}

static bool vhd_footer(const uint8_t *p, size_t n, size_t off)
{
	/* cookie, then the file format version 1.0 and a known disk type */
	if (off > n || n - off < 512)
		return false;
	return at(p, n, off, "conectix", 8) && at(p, n, off + 12, "\0\1\0\0", 4) &&
	       at(p, n, off + 60, "\0\0\0", 3) && p[off + 63] >= 2 && p[off + 63] <= 4;
}

/*
 * Signatures an attacker can place inside a message (a tar checksum, a word
 * at a fixed offset, "%PDF-" within the first KiB): tried after the message
 * test, and again on messages to find polyglots (ftype_polyglot).
 */
static const char *detect_weak(const uint8_t *p, size_t n)
{
	size_t off;

	if (at(p, n, 257, "ustar", 5) || tar_checksum_ok(p, n))
		return "tar";
	if (at(p, n, 0, "070707", 6) || at(p, n, 0, "070701", 6) || at(p, n, 0, "070702", 6) ||
	    at(p, n, 0, "\xC7\x71", 2) || at(p, n, 0, "\x71\xC7", 2))
		return "cpio";
	if (at(p, n, 0x8001, "CD001", 5) || at(p, n, 0x8801, "CD001", 5) ||
	    at(p, n, 0x9001, "CD001", 5))
		return "iso9660";
	/* UDF without an ISO 9660 bridge: BEA01, then NSR02/NSR03 (ECMA-167) */
	if (at(p, n, 0x8001, "BEA01", 5) &&
	    (at(p, n, 0x8801, "NSR0", 4) || at(p, n, 0x9001, "NSR0", 4)))
		return "udf";
	{
		const char *b = boot_sector(p, n);

		if (b != NULL)
			return b;
	}
	if (has_bytes(p, n, 1024, "%PDF-"))
		return "pdf";
	(void)skip_ws_ci(p, n, &off);
	if (starts_ci(p, n, off, "{\\rt"))
		return "rtf";
	if (at(p, n, 0, "BM", 2) && n > 26 && p[14] >= 12 && p[15] == 0 && p[16] == 0 && p[17] == 0)
		return "bmp";
	return NULL;
}

static const char *detect(const uint8_t *p, size_t n)
{
	size_t off;

	if (n == 0)
		return "empty";
	if (at(p, n, 0, "PK\x03\x04", 4) || at(p, n, 0, "PK\x05\x06", 4) ||
	    at(p, n, 0, "PK\x07\x08", 4)) {
		if (at(p, n, 30, "mimetypeapplication/vnd.oasis", 29))
			return "odf";
		if (has_bytes(p, n, n, "[Content_Types].xml"))
			return "ooxml";
		return "zip";
	}
	if (at(p, n, 0, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8))
		return "ole2";
	/* MS-ONESTORE guidFileType of a .one section {7B5C52E4-D88C-4DA7-AEB1-5378D02996D3} */
	if (at(p, n, 0, "\xE4\x52\x5C\x7B\x8C\xD8\xA7\x4D\xAE\xB1\x53\x78\xD0\x29\x96\xD3", 16))
		return "onenote";
	if (at(p, n, 0, "vhdxfile", 8))
		return "vhdx";
	if (vhd_footer(p, n, 0))
		return "vhd"; /* dynamic: a copy of the footer heads the file */
	if (at(p, n, 0, "7z\xBC\xAF\x27\x1C", 6))
		return "7z";
	if (at(p, n, 0, "Rar!\x1A\x07", 6))
		return "rar";
	if (at(p, n, 0, "\x1F\x8B", 2))
		return "gzip";
	if (at(p, n, 0, "BZh", 3) && n > 3 && p[3] >= '1' && p[3] <= '9')
		return "bzip2";
	if (at(p, n, 0,
	       "\xFD"
	       "7zXZ\x00",
	       6))
		return "xz";
	if (at(p, n, 0, "MSCF\0\0\0\0", 8))
		return "cab";
	if (at(p, n, 0, "ITSF", 4))
		return "chm";
	if (at(p, n, 0, "\x78\x9F\x3E\x22", 4))
		return "tnef";
	if (at(p, n, 0, "L\0\0\0\x01\x14\x02\0\0\0\0\0\xC0\0\0\0\0\0\0\x46", 20))
		return "lnk";
	if (at(p, n, 0, "MZ", 2))
		return is_pe(p, n) ? "pe" : "mz";
	if (at(p, n, 0,
	       "\x7F"
	       "ELF",
	       4))
		return "elf";
	if (at(p, n, 0, "\x89PNG\r\n\x1A\n", 8))
		return "png";
	if (at(p, n, 0, "\xFF\xD8\xFF", 3))
		return "jpeg";
	if (at(p, n, 0, "GIF87a", 6) || at(p, n, 0, "GIF89a", 6))
		return "gif";
	/* a PDF reader also finds a header further in, but only offset 0 is
	 * strong: a message with "%PDF-" in its Subject is still a message */
	if (at(p, n, 0, "%PDF-", 5))
		return "pdf";
	/* before the weak signatures below (a checksum, a word at an offset, a
	 * marker within the first KiB): an attacker controls the first bytes of
	 * a message, and a message typed "tar" would not be parsed as mail.
	 * Before the text test: a NUL byte in a body (UTF-16 text, a binary
	 * part) must not keep a message from being parsed as one. */
	if (is_email(p, n))
		return "email";
	{
		const char *w = detect_weak(p, n);

		if (w != NULL)
			return w;
	}
	(void)skip_ws_ci(p, n, &off);
	if (n >= 1024 && n % 512 == 0 && vhd_footer(p, n, n - 512))
		return "vhd";
	if (partition_table(p, n))
		return "disk";
	if (!is_text(p, n))
		return "binary";
	if (starts_ci(p, n, off, "<!doctype html") || starts_ci(p, n, off, "<html") ||
	    starts_ci(p, n, off, "<head") || starts_ci(p, n, off, "<body"))
		return "html";
	if (starts_ci(p, n, off, "<?xml")) {
		size_t lim = n < 2048 ? n : 2048;

		if (vmem_casefind(p, lim, "<html") >= 0)
			return "html";
		return "xml";
	}
	if (vmem_casefind(p, n < 2048 ? n : 2048, "(This file must be converted with BinHex") >= 0)
		return "binhex";
	{
		size_t lim = n < 4096 ? n : 4096;

		if (vmem_casefind(p, lim, "<html") >= 0 || vmem_casefind(p, lim, "<body") >= 0 ||
		    vmem_casefind(p, lim, "<script") >= 0 || vmem_casefind(p, lim, "<iframe") >= 0)
			return "html";
	}
	return "text";
}

/* per-thread libmagic handle, closed when the thread ends */
static pthread_key_t magic_key;
static pthread_once_t magic_once = PTHREAD_ONCE_INIT;
static magic_t magic_broken = (magic_t)&magic_key; /* marks "failed to load" */

static void magic_destroy(void *p)
{
	if (p != NULL && p != (void *)magic_broken)
		magic_close(p);
}

static void magic_key_init(void)
{
	(void)pthread_key_create(&magic_key, magic_destroy);
}

static const char *magic_mime(const uint8_t *p, size_t n)
{
	magic_t h;
	const char *m;

	pthread_once(&magic_once, magic_key_init);
	h = pthread_getspecific(magic_key);
	if (h == magic_broken)
		return NULL;
	if (h == NULL) {
		h = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_ELF |
		               MAGIC_NO_CHECK_TAR | MAGIC_NO_CHECK_CDF | MAGIC_ERROR);
		if (h == NULL || magic_load(h, NULL) != 0) {
			if (h != NULL)
				magic_close(h);
			(void)pthread_setspecific(magic_key, magic_broken);
			return NULL;
		}
		(void)pthread_setspecific(magic_key, h);
	}
	m = magic_buffer(h, p, n < 65536 ? n : 65536);
	if (m == NULL)
		return NULL;
	/* intern: libmagic's string is overwritten by the next call */
	return g_intern_string(m);
}

const char *ftype_detect(const uint8_t *p, size_t n, const char **mime)
{
	const char *t = detect(p, n);

	if (mime != NULL) {
		*mime = lookup_mime(t);
		if (*mime == NULL)
			*mime = magic_mime(p, n);
		if (*mime == NULL)
			*mime = "application/octet-stream";
	}
	return t;
}

const char *ftype_known(const char *type)
{
	for (size_t i = 0; i < G_N_ELEMENTS(types); i++)
		if (strcmp(types[i].type, type) == 0)
			return g_intern_string(types[i].type);
	return NULL;
}

const char *ftype_polyglot(const uint8_t *p, size_t n, const char *type)
{
	const char *w;

	if (type == NULL || strcmp(type, "email") != 0 || !is_email(p, n))
		return NULL;
	w = detect_weak(p, n);
	if (w == NULL || !ftype_is_container(w))
		return NULL;
	return g_intern_string(w);
}

bool ftype_is_executable(const char *type)
{
	static const char *const exe[] = {"pe", "mz", "elf", "lnk", "chm", NULL};

	for (const char *const *e = exe; *e != NULL; e++)
		if (strcmp(*e, type) == 0)
			return true;
	return false;
}

bool ftype_is_container(const char *type)
{
	return registry_extractor_for(type) != NULL;
}
