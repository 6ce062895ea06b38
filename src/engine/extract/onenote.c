/*
 * onenote.c - files embedded in OneNote sections (.one, MS-ONESTORE).
 *
 * Since Office blocked macros from the Internet, OneNote pages with an
 * "attachment" (an .hta, .bat, .lnk or .exe behind a fake button) became a
 * common lure: a double-click on the icon runs the file. OneNote keeps each
 * embedded file as a FileDataStoreObject: guidHeader
 * {BDE316E7-2665-4511-A4C4-8D4D0B7A9EAC}, cbLength (8 bytes), 12 reserved
 * bytes, the file's bytes, padding to 8 and guidFooter
 * {71FBA722-0F79-4A0B-BB13-899256426B24}. We find the headers by scanning
 * (the file node lists that point to them are not walked, so a blob no page
 * uses is still scanned) and emit each file as "embedded-N.<ext>", the
 * extension chosen from its content (".hta" for HTML with script, ".bat" for
 * batch text, ...), since Windows runs it by the name OneNote gives it. The
 * names the notebook shows (EmbeddedFileName, UTF-16 strings) are not tied to
 * their blobs here: the ones found are listed in the finding's evidence.
 *
 * Finding: delivery.onenote_embedded on the section; analyze/delivery.c adds
 * delivery.onenote_executable for a child that is a program or script.
 * Limits: MAX_BLOBS files; each by vscan_room() (the first that hits a limit
 * ends the section); a length past the end is cut there and reported; names
 * searched in the first MAX_NAME_SCAN bytes, MAX_NAMES kept.
 */
#include "../internal.h"

#include <stdlib.h>
#include <string.h>

#include "../../util/bytes.h"

#define MAX_BLOBS 256
#define MAX_NAMES 8
#define MAX_NAME_SCAN (16u << 20)

static const uint8_t fdso_header[16] = {0xE7, 0x16, 0xE3, 0xBD, 0x65, 0x26, 0x11, 0x45,
                                        0xA4, 0xC4, 0x8D, 0x4D, 0x0B, 0x7A, 0x9E, 0xAC};

static bool has_ci(const uint8_t *p, size_t n, const char *needle)
{
	return vmem_casefind(p, n < 65536 ? n : 65536, needle) >= 0;
}

/* an extension for embedded bytes, from what they are */
static const char *onenote_ext(const uint8_t *p, size_t n)
{
	const char *t = ftype_detect(p, n, NULL);

	if (strcmp(t, "pe") == 0) {
		uint32_t pe = le32(p + 0x3c);

		/* IMAGE_FILE_DLL in the COFF characteristics */
		if (pe <= n && n - pe >= 24 && (le16(p + pe + 22) & 0x2000))
			return "dll";
		return "exe";
	}
	if (strcmp(t, "mz") == 0)
		return "exe";
	if (strcmp(t, "html") == 0 || strcmp(t, "xml") == 0)
		return has_ci(p, n, "<hta:application") || has_ci(p, n, "<script") ? "hta" : "html";
	if (strcmp(t, "text") == 0) {
		if (has_ci(p, n, "@echo off") || has_ci(p, n, "cmd /c") || has_ci(p, n, "cmd.exe"))
			return "bat";
		if (has_ci(p, n, "wscript.") || has_ci(p, n, "createobject("))
			return "vbs";
		if (has_ci(p, n, "activexobject") || has_ci(p, n, "function("))
			return "js";
		if (has_ci(p, n, "invoke-expression") || has_ci(p, n, "iex ") ||
		    has_ci(p, n, "powershell"))
			return "ps1";
		return "txt";
	}
	if (strcmp(t, "jpeg") == 0)
		return "jpg";
	if (strcmp(t, "ooxml") == 0)
		return "docx";
	if (strcmp(t, "ole2") == 0)
		return "doc";
	if (strcmp(t, "iso9660") == 0)
		return "iso";
	if (strcmp(t, "binary") == 0 || strcmp(t, "email") == 0 || strcmp(t, "empty") == 0)
		return "bin";
	return t; /* pdf, zip, lnk, chm, png, rar, 7z, vhd, onenote, ... */
}

/* UTF-16LE strings that look like file names ("x.hta"): up to MAX_NAMES */
static void onenote_names(const uint8_t *p, size_t n, GString *out)
{
	unsigned found = 0;
	size_t i = 0;

	if (n > MAX_NAME_SCAN)
		n = MAX_NAME_SCAN;
	while (i + 2 <= n && found < MAX_NAMES) {
		size_t start = i, len = 0, dot = 0;

		while (i + 2 <= n && p[i + 1] == 0 && p[i] >= 0x20 && p[i] < 0x7f && len < 256) {
			if (p[i] == '.')
				dot = len;
			len++;
			i += 2;
		}
		if (len >= 5 && dot > 0 && len - dot >= 3 && len - dot <= 5) {
			bool ext_ok = true;

			for (size_t k = dot + 1; k < len; k++)
				ext_ok = ext_ok && g_ascii_isalnum(p[start + 2 * k]);
			if (ext_ok) {
				g_string_append(out, found ? ", " : "");
				for (size_t k = 0; k < len; k++)
					g_string_append_c(out, (char)p[start + 2 * k]);
				found++;
			}
		}
		i = len > 0 ? i : i + 1;
	}
}

static void onenote_extract(vigil_scan *s, vigil_object *o)
{
	const uint8_t *p = o->data;
	size_t n = o->len, pos = 0;
	unsigned count = 0;
	char first[64] = "";

	while (pos < n && count < MAX_BLOBS) {
		const uint8_t *h = memmem(p + pos, n - pos, fdso_header, sizeof fdso_header);
		size_t off, data;
		uint64_t cb;
		vigil_limit which;
		size_t room;
		vchild ch;
		char name[48];
		bool cut = false, full = false;

		if (h == NULL)
			break;
		off = (size_t)(h - p);
		if (n - off < 36) {
			vfinding_add(s, o, F_ARCHIVE_DAMAGED,
			             "embedded file header at %zu cut short", off);
			break;
		}
		cb = le64(h + 16);
		data = off + 36;
		if (cb > n - data) {
			vfinding_add(s, o, F_ARCHIVE_DAMAGED,
			             "embedded file at %zu: length %llu runs past the end", off,
			             (unsigned long long)cb);
			cb = n - data;
			cut = true;
		}
		room = vscan_room(s, o, &which);
		if (cb > room) {
			vscan_limit(s, o, which, "embedded file");
			o->flags |= VIGIL_OBJ_PARTIAL;
			cb = room;
			full = true;
		}
		count++;
		g_snprintf(name, sizeof name, "embedded-%u.%s", count,
		           onenote_ext(p + data, (size_t)cb));
		if (count == 1)
			g_strlcpy(first, name, sizeof first);
		memset(&ch, 0, sizeof ch);
		ch.seg = name;
		ch.name = name;
		ch.size = cut ? 0 : cb;
		ch.flags = full || cut ? VIGIL_OBJ_TRUNCATED : 0;
		ch.data = malloc(cb ? (size_t)cb : 1);
		if (ch.data == NULL)
			break;
		memcpy(ch.data, p + data, (size_t)cb);
		ch.len = (size_t)cb;
		if (vscan_emit(s, o, &ch) == VSCAN_STOP || full)
			break;
		pos = data + (size_t)cb;
	}
	if (count > 0) {
		GString *names = g_string_new(NULL);

		onenote_names(p, n, names);
		vfinding_add(s, o, F_DELIVERY_ONENOTE_EMBEDDED, "%u embedded file(s), first %s%s%s",
		             count, first, names->len ? "; names in the notebook: " : "",
		             names->str);
		g_string_free(names, TRUE);
	}
}

static const char *const onenote_types[] = {"onenote", NULL};
const extractor onenote_extractor = {"onenote", onenote_types, onenote_extract};
