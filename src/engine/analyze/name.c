/*
 * name.c - what a file's name claims against what its bytes are.
 *
 * Windows decides what to do with a file by its extension, so names are
 * evidence even though types never come from them. Findings:
 *   name.rtlo             a Unicode direction control in the name
 *   name.double_extension "invoice.pdf.exe", also with blank padding
 *   name.type_mismatch    executable bytes under a harmless extension
 *   name.extension_mismatch  a known extension over other content
 *   content.executable    a program or script anywhere inside a message
 * Names arrive sanitized (see str.c): direction controls appear as "\u{...}".
 */
#include "../internal.h"

#include <string.h>

static const char *const exec_exts[] = {
        "exe",  "scr", "com",         "pif",        "bat",
        "cmd",  "js",  "jse",         "vbs",        "vbe",
        "wsf",  "wsh", "hta",         "lnk",        "ps1",
        "psm1", "msi", "msp",         "jar",        "cpl",
        "dll",  "reg", "chm",         "scf",        "url",
        "inf",  "sct", "application", "appref-ms",  "gadget",
        "iqy",  "slk", "xll",         "wll",        "vb",
        "msc",  "ocx", "sys",         "library-ms", "settingcontent-ms",
        NULL};

static const char *const script_exts[] = {"bat", "cmd", "js",  "jse",  "vbs", "vbe", "wsf",
                                          "wsh", "hta", "ps1", "psm1", "sct", "reg", "vb",
                                          "inf", "scf", "url", "iqy",  "slk", NULL};

static const char *const decoy_exts[] = {"pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "txt",
                                         "rtf", "jpg", "jpeg", "png", "gif",  "bmp", "zip",  "rar",
                                         "7z",  "htm", "html", "odt", "ods",  "csv", "mp3",  "mp4",
                                         "avi", "wav", "xml",  "msg", "eml",  NULL};

/* extension -> types its content may have */
struct ext_types {
	const char *ext;
	const char *types[4];
};

static const struct ext_types expected[] = {
        {"pdf", {"pdf"}},
        {"doc", {"ole2"}},
        {"xls", {"ole2"}},
        {"ppt", {"ole2"}},
        {"msg", {"ole2", "email"}},
        {"eml", {"email"}},
        {"docx", {"ooxml", "ole2"}}, /* ole2: encrypted */
        {"docm", {"ooxml", "ole2"}}, /* ole2: encrypted */
        {"xlsx", {"ooxml", "ole2"}}, /* ole2: encrypted */
        {"xlsm", {"ooxml", "ole2"}}, /* ole2: encrypted */
        {"pptx", {"ooxml", "ole2"}}, /* ole2: encrypted */
        {"pptm", {"ooxml", "ole2"}}, /* ole2: encrypted */
        {"zip", {"zip", "ooxml", "odf"}},
        {"rar", {"rar"}},
        {"7z", {"7z"}},
        {"gz", {"gzip"}},
        {"tgz", {"gzip"}},
        {"jpg", {"jpeg"}},
        {"jpeg", {"jpeg"}},
        {"png", {"png"}},
        {"gif", {"gif"}},
        {"rtf", {"rtf"}},
        {"iso", {"iso9660"}},
        {"cab", {"cab"}},
        {"exe", {"pe", "mz"}},
        {"dll", {"pe"}},
        {"scr", {"pe"}},
        {"lnk", {"lnk"}},
};

static const char *last_ext(const char *name, size_t n, size_t *dot)
{
	for (size_t i = n; i > 0; i--) {
		if (name[i - 1] == '.') {
			*dot = i - 1;
			return name + i;
		}
		if (name[i - 1] == '/' || name[i - 1] == '\\')
			break;
	}
	return NULL;
}

static bool ext_in(const char *ext, size_t len, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strlen(*list) == len && g_ascii_strncasecmp(ext, *list, len) == 0)
			return true;
	return false;
}

static const struct ext_types *expected_for(const char *ext)
{
	for (size_t i = 0; i < G_N_ELEMENTS(expected); i++)
		if (g_ascii_strcasecmp(expected[i].ext, ext) == 0)
			return &expected[i];
	return NULL;
}

static bool type_allowed(const struct ext_types *e, const char *type)
{
	for (int i = 0; i < 4 && e->types[i] != NULL; i++)
		if (strcmp(e->types[i], type) == 0)
			return true;
	return false;
}

static void name_analyze(vigil_scan *s, vigil_object *o)
{
	const char *name = o->name;
	const char *ext, *prev;
	size_t n, dot, pdot, elen;

	if (ftype_is_executable(o->type) && o->depth > 0)
		vfinding_add(s, o, F_CONTENT_EXECUTABLE, "%s content%s%s", o->type,
		             name ? " named " : "", name ? name : "");
	if (name == NULL)
		return;
	n = strlen(name);
	if (strstr(name, "\\u{202E}") || strstr(name, "\\u{202D}") || strstr(name, "\\u{202B}") ||
	    strstr(name, "\\u{202A}") || strstr(name, "\\u{2066}") || strstr(name, "\\u{2067}") ||
	    strstr(name, "\\u{2068}") || strstr(name, "\\u{200F}") || strstr(name, "\\u{061C}"))
		vfinding_add(s, o, F_NAME_RTLO, "%s", name);
	ext = last_ext(name, n, &dot);
	if (ext == NULL)
		return;
	elen = n - dot - 1;
	if (ext_in(ext, elen, script_exts) && !ftype_is_executable(o->type) && o->depth > 0)
		vfinding_add(s, o, F_CONTENT_EXECUTABLE, "script file %s", name);
	if (ext_in(ext, elen, exec_exts)) {
		/* the extension before it, skipping blank padding */
		size_t end = dot;

		while (end > 0 &&
		       (name[end - 1] == ' ' || name[end - 1] == '_' || name[end - 1] == '\t'))
			end--;
		prev = last_ext(name, end, &pdot);
		if (prev != NULL && ext_in(prev, end - pdot - 1, decoy_exts))
			vfinding_add(s, o, F_NAME_DOUBLE_EXT, "%s", name);
		else if (dot - end >= 3)
			vfinding_add(s, o, F_NAME_DOUBLE_EXT, "%s (padded with %zu blanks)", name,
			             dot - end);
	}
	{
		const struct ext_types *e = expected_for(ext);

		if (ftype_is_executable(o->type) && !ext_in(ext, elen, exec_exts))
			vfinding_add(s, o, F_NAME_TYPE_MISMATCH, "%s is %s content", name, o->type);
		else if (e != NULL && !type_allowed(e, o->type) && strcmp(o->type, "empty") != 0 &&
		         !(o->flags & (VIGIL_OBJ_TRUNCATED | VIGIL_OBJ_ENCRYPTED)))
			vfinding_add(s, o, F_NAME_EXT_MISMATCH, "%s is %s content", name, o->type);
	}
}

const analyzer name_analyzer = {"name", NULL, name_analyze, false};
