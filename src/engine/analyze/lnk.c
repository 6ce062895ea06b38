/*
 * lnk.c - Windows shortcuts (.lnk): what they really run.
 *
 * Our own parser of the Shell Link format (MS-SHLLINK): ShellLinkHeader
 * (flags, ShowCommand), LinkTargetIDList (a bounded walk over the shell
 * items, names taken from volume and file entries), LinkInfo (local base
 * path, network share), StringData (name, relative path, working
 * directory, arguments, icon location; ANSI or UTF-16) and ExtraData blocks
 * (environment-variable target, icon target, tracker machine id). Every
 * offset is checked against the structure that holds it and the file.
 *
 * Findings: lnk.command (a command interpreter or system tool run with
 * arguments), lnk.hidden_window, lnk.long_arguments (padding that pushes the
 * command out of the properties dialog), lnk.icon_mismatch (a document's
 * icon on a program), lnk.remote_target, lnk.appended_data (bytes after the
 * last block, emitted as a child), lnk.summary (info). The command line also
 * goes through the script rules (script_scan_command), which decode an
 * -EncodedCommand payload into a child.
 *
 * Limits: LNK_MAX_ITEMS shell items, LNK_MAX_BLOCKS extra blocks, strings
 * at most 65535 characters (the format's own bound), paths LNK_MAX_PATH.
 */
#include "ahelp.h"
#include "script.h"

#include <string.h>

#include "../../util/bytes.h"

#define LNK_HEADER 0x4c
#define LNK_MAX_ITEMS 64
#define LNK_MAX_BLOCKS 64
#define LNK_MAX_PATH 4096
#define LNK_MAX_TEXT (3u * 65536u)
#define LNK_EVIDENCE 200

enum {
	LF_IDLIST = 1u << 0,
	LF_LINKINFO = 1u << 1,
	LF_NAME = 1u << 2,
	LF_RELPATH = 1u << 3,
	LF_WORKDIR = 1u << 4,
	LF_ARGS = 1u << 5,
	LF_ICON = 1u << 6,
	LF_UNICODE = 1u << 7,
};

enum { S_NAME, S_RELPATH, S_WORKDIR, S_ARGS, S_ICON, S__COUNT };

struct lnk {
	const uint8_t *p;
	size_t n;
	uint32_t flags, show;
	char *id_path, *local, *net, *env_target, *icon_env;
	char *str[S__COUNT];
	char machine[17];
	size_t end; /* where the shortcut's own data ends */
	vbuf notes;
};

static void lnk_note(struct lnk *l, const char *what)
{
	if (l->notes.len > 0 && strstr((const char *)l->notes.data, what) != NULL)
		return;
	if (l->notes.len > 0)
		(void)vbuf_append(&l->notes, "; ", 2);
	(void)vbuf_append(&l->notes, what, strlen(what));
	vbuf_terminate(&l->notes);
}

/* ANSI text in an unknown code page: ASCII kept, other bytes as Latin-1 */
static char *lnk_ansi(const uint8_t *p, size_t n)
{
	vbuf b;
	size_t len;
	char *r;

	vbuf_init(&b, 2 * n + 1);
	for (size_t i = 0; i < n && p[i] != 0; i++) {
		if (p[i] < 0x80) {
			(void)vbuf_putc(&b, p[i]);
		} else {
			(void)vbuf_putc(&b, (uint8_t)(0xc0 | p[i] >> 6));
			(void)vbuf_putc(&b, (uint8_t)(0x80 | (p[i] & 0x3f)));
		}
	}
	vbuf_terminate(&b);
	r = (char *)vbuf_steal(&b, &len);
	return r != NULL ? r : g_strdup("");
}

/* a NUL-terminated string at p[off..lim) */
static char *lnk_cstr(const uint8_t *p, size_t lim, size_t off, bool wide)
{
	size_t i;

	if (off >= lim)
		return NULL;
	if (!wide) {
		for (i = off; i < lim && p[i] != 0; i++)
			;
		return lnk_ansi(p + off, i - off);
	}
	for (i = off; lim - i >= 2 && (p[i] != 0 || p[i + 1] != 0); i += 2)
		;
	return ahelp_utf16le(p + off, i - off, LNK_MAX_PATH, true, NULL);
}

static bool lnk_empty(const char *s)
{
	return s == NULL || *s == 0;
}

/* ---- LinkTargetIDList ---- */

/* the long name in a file entry's 0xbeef0004 extension block */
static char *lnk_long_name(const uint8_t *d, size_t n)
{
	for (size_t i = 4; i + 4 <= n; i += 2) {
		size_t ext, size, name;
		uint16_t ver;

		if (le32(d + i) != 0xbeef0004)
			continue;
		ext = i - 4;
		size = le16(d + ext);
		ver = le16(d + ext + 2);
		if (size > n - ext || ver < 3)
			return NULL;
		name = ver >= 7 ? 38 : 20;
		if (ver >= 8)
			name += 4;
		if (ver >= 9)
			name += 4;
		if (name >= size)
			return NULL;
		return lnk_cstr(d + ext, size, name, true);
	}
	return NULL;
}

static void lnk_idlist(struct lnk *l, size_t off, size_t size)
{
	GString *path = g_string_new(NULL);
	size_t end = off + size;

	for (unsigned k = 0; k < LNK_MAX_ITEMS && end - off >= 2; k++) {
		size_t isz = le16(l->p + off);
		const uint8_t *d = l->p + off + 2;
		size_t dn;
		char *name = NULL;

		if (isz == 0)
			break;
		if (isz < 3 || isz > end - off) {
			lnk_note(l, "shell item runs past the ID list");
			break;
		}
		dn = isz - 2;
		if ((d[0] & 0x70) == 0x20 && dn > 1) {
			/* volume: "C:\" */
			name = lnk_cstr(d, dn, 1, false);
			if (name != NULL && *name)
				g_string_assign(path, name);
		} else if ((d[0] & 0x70) == 0x30 && dn > 12) {
			name = lnk_long_name(d, dn);
			if (lnk_empty(name)) {
				g_free(name);
				name = lnk_cstr(d, dn, 12, (d[0] & 0x04) != 0);
			}
			if (!lnk_empty(name) && path->len < LNK_MAX_PATH) {
				if (path->len > 0 && path->str[path->len - 1] != '\\')
					g_string_append_c(path, '\\');
				g_string_append(path, name);
			}
		}
		g_free(name);
		off += isz;
	}
	if (path->len > 0)
		l->id_path = g_string_free(path, FALSE);
	else
		g_string_free(path, TRUE);
}

/* ---- LinkInfo ---- */

static void lnk_linkinfo(struct lnk *l, size_t off, size_t size)
{
	const uint8_t *li = l->p + off;
	uint32_t hsize, flags, lbp, cnrl, cps, lbpu = 0, cpsu = 0;
	char *suffix = NULL;

	if (size < 0x1c) {
		lnk_note(l, "LinkInfo too small");
		return;
	}
	hsize = le32(li + 4);
	flags = le32(li + 8);
	lbp = le32(li + 16);
	cnrl = le32(li + 20);
	cps = le32(li + 24);
	if (hsize >= 0x24 && size >= 0x24) {
		lbpu = le32(li + 28);
		cpsu = le32(li + 32);
	}
	if (cpsu != 0)
		suffix = lnk_cstr(li, size, cpsu, true);
	if (suffix == NULL && cps != 0)
		suffix = lnk_cstr(li, size, cps, false);
	if (flags & 1) {
		char *base = lbpu != 0 ? lnk_cstr(li, size, lbpu, true) : NULL;

		if (lnk_empty(base)) {
			g_free(base);
			base = lnk_cstr(li, size, lbp, false);
		}
		if (!lnk_empty(base))
			l->local = g_strconcat(base, suffix ? suffix : "", NULL);
		g_free(base);
	}
	if ((flags & 2) && cnrl < size && size - cnrl >= 0x14) {
		const uint8_t *c = li + cnrl;
		size_t csize = le32(c);
		uint32_t netname = le32(c + 8);
		char *share;

		if (csize > size - cnrl)
			csize = size - cnrl;
		share = lnk_cstr(c, csize, netname, false);
		if (!lnk_empty(share))
			l->net = g_strconcat(share, lnk_empty(suffix) ? "" : "\\",
			                     suffix ? suffix : "", NULL);
		g_free(share);
	}
	g_free(suffix);
}

/* ---- ExtraData ---- */

static void lnk_extra(struct lnk *l, size_t off)
{
	for (unsigned k = 0; k < LNK_MAX_BLOCKS; k++) {
		size_t size;
		uint32_t sig;
		const uint8_t *b;

		if (l->n - off < 4) {
			lnk_note(l, "no terminal block");
			l->end = l->n;
			return;
		}
		size = le32(l->p + off);
		if (size < 4) {
			l->end = off + 4;
			return;
		}
		if (size < 8 || size > l->n - off) {
			lnk_note(l, "extra data block runs past the end");
			l->end = l->n;
			return;
		}
		b = l->p + off;
		sig = le32(b + 4);
		if ((sig == 0xa0000001 || sig == 0xa0000007) && size >= 0x314) {
			char *t = lnk_cstr(b, 0x314, 268, true);

			if (lnk_empty(t)) {
				g_free(t);
				t = lnk_cstr(b, 268, 8, false);
			}
			if (sig == 0xa0000001 && l->env_target == NULL && !lnk_empty(t)) {
				l->env_target = t;
				t = NULL;
			} else if (sig == 0xa0000007 && l->icon_env == NULL && !lnk_empty(t)) {
				l->icon_env = t;
				t = NULL;
			}
			g_free(t);
		} else if (sig == 0xa0000003 && size >= 0x60) {
			size_t i;

			for (i = 0; i < 16 && b[16 + i] >= 0x20 && b[16 + i] < 0x7f; i++)
				l->machine[i] = (char)b[16 + i];
			l->machine[i] = 0;
		}
		off += size;
	}
	lnk_note(l, "too many extra data blocks");
	l->end = l->n;
}

static bool lnk_parse(struct lnk *l)
{
	static const uint8_t clsid[16] = {0x01, 0x14, 0x02, 0, 0, 0, 0, 0,
	                                  0xc0, 0,    0,    0, 0, 0, 0, 0x46};
	size_t off = LNK_HEADER;
	bool wide;

	if (l->n < LNK_HEADER) {
		lnk_note(l, "header cut short");
		return false;
	}
	if (le32(l->p) != LNK_HEADER || memcmp(l->p + 4, clsid, 16) != 0) {
		lnk_note(l, "not a ShellLinkHeader");
		return false;
	}
	l->flags = le32(l->p + 20);
	l->show = le32(l->p + 60);
	wide = (l->flags & LF_UNICODE) != 0;
	l->end = l->n;
	if (l->flags & LF_IDLIST) {
		size_t size;

		if (l->n - off < 2)
			goto cut;
		size = le16(l->p + off);
		off += 2;
		if (size > l->n - off)
			goto cut;
		lnk_idlist(l, off, size);
		off += size;
	}
	if ((l->flags & LF_LINKINFO) && !(l->flags & 0x100)) {
		size_t size;

		if (l->n - off < 4)
			goto cut;
		size = le32(l->p + off);
		if (size > l->n - off)
			goto cut;
		lnk_linkinfo(l, off, size);
		off += size;
	}
	for (int i = 0; i < S__COUNT; i++) {
		size_t count, bytes;

		if (!(l->flags & (LF_NAME << i)))
			continue;
		if (l->n - off < 2)
			goto cut;
		count = le16(l->p + off);
		off += 2;
		bytes = wide ? 2 * count : count;
		if (bytes > l->n - off)
			goto cut;
		l->str[i] = wide ? ahelp_utf16le(l->p + off, bytes, LNK_MAX_TEXT, false, NULL)
		                 : lnk_ansi(l->p + off, bytes);
		off += bytes;
	}
	lnk_extra(l, off);
	return true;
cut:
	lnk_note(l, "structure runs past the end of the file");
	return true;
}

/* ---- judging ---- */

static const struct lnk_tool {
	const char *name; /* file name without .exe */
	const char *attack;
	bool shell; /* runs script text given as arguments */
} lnk_tools[] = {
        {"cmd", "T1059.003", true},
        {"powershell", "T1059.001", true},
        {"pwsh", "T1059.001", true},
        {"powershell_ise", "T1059.001", true},
        {"wscript", "T1059.005", true},
        {"cscript", "T1059.005", true},
        {"mshta", "T1218.005", true},
        {"rundll32", "T1218.011", false},
        {"regsvr32", "T1218.010", false},
        {"msiexec", "T1218.007", false},
        {"certutil", "T1105,T1140", false},
        {"bitsadmin", "T1197", false},
        {"hh", "T1218.001", false},
        {"cmstp", "T1218.003", false},
        {"installutil", "T1218.004", false},
        {"regasm", "T1218.009", false},
        {"regsvcs", "T1218.009", false},
        {"odbcconf", "T1218.008", false},
        {"msbuild", "T1127.001", false},
        {"wmic", "T1047", false},
        {"forfiles", "T1202", true},
        {"pcalua", "T1202", false},
        {"conhost", "T1202", true},
        {"schtasks", "T1053.005", false},
        {"curl", "T1105", false},
        {"finger", "T1105", false},
        {"bash", "T1202", true},
        {"wsl", "T1202", true},
        {"msdt", "T1218", false},
        {"control", "T1218.002", false},
        {"mavinject", "T1218.013", false},
        {"esentutl", "T1105", false},
        {"expand", "T1140", false},
        {"extrac32", "T1105", false},
        {"syncappvpublishingserver", "T1216", true},
        {"scriptrunner", "T1216", false},
};

/* lower-case file name without directory (and without ".exe" if strip) */
static char *lnk_base(const char *path, bool strip)
{
	const char *b = path, *q;
	char *r;
	size_t l;

	for (q = path; *q; q++)
		if (*q == '\\' || *q == '/')
			b = q + 1;
	r = g_ascii_strdown(b, -1);
	g_strstrip(r);
	l = strlen(r);
	while (l > 0 && (r[l - 1] == '"' || r[l - 1] == '\''))
		r[--l] = 0;
	if (strip && l > 4 && strcmp(r + l - 4, ".exe") == 0)
		r[l - 4] = 0;
	return r;
}

static const char *lnk_ext(const char *base)
{
	const char *dot = strrchr(base, '.');

	return dot != NULL ? dot + 1 : "";
}

static bool lnk_in(const char *s, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

static const char *const lnk_exec_exts[] = {"exe", "com", "bat", "cmd", "vbs", "vbe",
                                            "js",  "jse", "wsf", "hta", "ps1", "scr",
                                            "pif", "cpl", "msi", "dll", NULL};
static const char *const lnk_script_exts[] = {"bat", "cmd", "vbs", "vbe", "js",
                                              "jse", "wsf", "hta", "ps1", NULL};
static const char *const lnk_doc_exts[] = {
        "pdf", "doc", "docx", "xls",  "xlsx", "ppt", "pptx", "rtf", "txt", "jpg", "jpeg", "png",
        "gif", "bmp", "htm",  "html", "odt",  "zip", "rar",  "7z",  "csv", "mp4", "ico",  NULL};
/* programs whose icons look like documents or folders */
static const char *const lnk_doc_apps[] = {"winword.exe",
                                           "excel.exe",
                                           "powerpnt.exe",
                                           "acrord32.exe",
                                           "acrobat.exe",
                                           "msedge.exe",
                                           "chrome.exe",
                                           "firefox.exe",
                                           "iexplore.exe",
                                           "wordpad.exe",
                                           "write.exe",
                                           "notepad.exe",
                                           "explorer.exe",
                                           "foxitreader.exe",
                                           "foxitpdfreader.exe",
                                           "shell32.dll",
                                           "imageres.dll",
                                           "moricons.dll",
                                           NULL};

/* the window style an argument list asks PowerShell for: -w[indowstyle] h[idden]|1 */
static bool lnk_ps_hidden(const char *args)
{
	const char *p = args;

	while ((p = strchr(p, '-')) != NULL) {
		size_t k = 0;

		p++;
		while (p[k] && g_ascii_isalpha(p[k]) && k < 11 &&
		       g_ascii_tolower(p[k]) == "windowstyle"[k])
			k++;
		if (k == 0 || g_ascii_isalpha(p[k]))
			continue;
		while (p[k] == ' ' || p[k] == '\t')
			k++;
		if (g_ascii_tolower(p[k]) == 'h' || p[k] == '1')
			return true;
	}
	return false;
}

static void lnk_evidence(vbuf *b, const char *target, const char *args)
{
	vbuf_printf(b, "target %.*s", LNK_EVIDENCE, target);
	if (!lnk_empty(args)) {
		const char *a = args;

		while (*a == ' ' || *a == '\t' || *a == '\r' || *a == '\n')
			a++;
		vbuf_printf(b, " arguments %.*s%s", LNK_EVIDENCE, a,
		            strlen(a) > LNK_EVIDENCE ? "..." : "");
	}
	vbuf_terminate(b);
}

static void lnk_judge(vigil_scan *s, vigil_object *o, struct lnk *l)
{
	const char *target = l->env_target;
	const char *args = l->str[S_ARGS] ? l->str[S_ARGS] : "";
	const char *icon = !lnk_empty(l->str[S_ICON]) ? l->str[S_ICON] : l->icon_env;
	const struct lnk_tool *tool = NULL;
	char *base, *ibase = NULL;
	bool has_args, runs_program;
	vbuf ev;

	if (lnk_empty(target))
		target = l->local;
	if (lnk_empty(target))
		target = l->net;
	if (lnk_empty(target))
		target = l->id_path;
	if (lnk_empty(target))
		target = l->str[S_RELPATH];
	if (lnk_empty(target))
		target = "";
	base = lnk_base(target, true);
	for (size_t i = 0; i < G_N_ELEMENTS(lnk_tools); i++)
		if (strcmp(base, lnk_tools[i].name) == 0)
			tool = &lnk_tools[i];
	has_args = strspn(args, " \t\r\n") < strlen(args);
	g_free(base);
	base = lnk_base(target, false);
	runs_program = tool != NULL || lnk_in(lnk_ext(base), lnk_exec_exts);

	vbuf_init(&ev, 480);
	lnk_evidence(&ev, target, args);
	{
		vbuf sum;

		vbuf_init(&sum, 480);
		vbuf_append(&sum, ev.data, ev.len);
		if (!lnk_empty(l->str[S_WORKDIR]))
			vbuf_printf(&sum, "; working dir %.100s", l->str[S_WORKDIR]);
		if (!lnk_empty(icon))
			vbuf_printf(&sum, "; icon %.100s", icon);
		if (l->show == 7)
			vbuf_printf(&sum, "; window minimised");
		if (l->machine[0])
			vbuf_printf(&sum, "; made on %s", l->machine);
		vbuf_terminate(&sum);
		ahelp_finding(s, o, F_LNK_SUMMARY, NULL, "%s", (const char *)sum.data);
		vbuf_free(&sum);
	}

	if (tool != NULL && has_args) {
		char attack[64];

		g_snprintf(attack, sizeof attack, "T1204.002,%s", tool->attack);
		ahelp_finding(s, o, F_LNK_COMMAND, attack, "%s", (const char *)ev.data);
	}
	/* users minimise ordinary programs too; a minimised interpreter or
	 * script is what hides a command */
	if ((l->show == 7 && (tool != NULL || lnk_in(lnk_ext(base), lnk_script_exts))) ||
	    (tool != NULL && strncmp(tool->name, "pow", 3) == 0 && lnk_ps_hidden(args)) ||
	    (tool != NULL && strcmp(tool->name, "pwsh") == 0 && lnk_ps_hidden(args)))
		ahelp_finding(s, o, F_LNK_HIDDEN, NULL, "%s; %s",
		              l->show == 7 ? "ShowCommand SW_SHOWMINNOACTIVE"
		                           : "PowerShell -WindowStyle Hidden",
		              (const char *)ev.data);
	{
		size_t alen = strlen(args), lead = strspn(args, " \t\r\n"), run = 0, longest = 0;

		for (size_t i = 0; i < alen; i++) {
			run = (args[i] == ' ' || args[i] == '\t' || args[i] == '\r' ||
			       args[i] == '\n')
			              ? run + 1
			              : 0;
			if (run > longest)
				longest = run;
		}
		if (has_args && (lead >= 64 || longest >= 64 || alen > 1024))
			ahelp_finding(
			        s, o, F_LNK_LONG_ARGS, NULL,
			        "%zu bytes of arguments, %zu blank before the command, longest "
			        "blank run %zu",
			        alen, lead, longest);
	}
	if (!lnk_empty(icon) && runs_program) {
		char *comma, *ipath = g_strdup(icon);

		/* "C:\...\file.exe,3" has the index after a comma in some tools */
		comma = strrchr(ipath, ',');
		if (comma != NULL && comma > strrchr(ipath, '.'))
			*comma = 0;
		ibase = lnk_base(ipath, false);
		g_free(ipath);
		if (strcmp(ibase, base) != 0 &&
		    (lnk_in(lnk_ext(ibase), lnk_doc_exts) || lnk_in(ibase, lnk_doc_apps)))
			ahelp_finding(s, o, F_LNK_ICON, NULL, "icon %.120s; %s", icon,
			              (const char *)ev.data);
	}
	if (runs_program && (strncmp(target, "\\\\", 2) == 0 ||
	                     (lnk_empty(l->local) && !lnk_empty(l->net) && target == l->net)))
		ahelp_finding(s, o, F_LNK_REMOTE, NULL, "%s", (const char *)ev.data);

	/* the command line through the script rules (downloaders, -enc ...) */
	if (tool != NULL && has_args) {
		GString *cmd = g_string_new(target);

		g_string_append_c(cmd, ' ');
		g_string_append(cmd, args);
		script_scan_command(s, o, cmd->str, cmd->len,
		                    strcmp(tool->name, "powershell") == 0 ||
		                            strcmp(tool->name, "pwsh") == 0);
		g_string_free(cmd, TRUE);
	}
	if (has_args)
		(void)ahelp_url_facts(s, (const uint8_t *)args, strlen(args), NULL);
	g_free(ibase);
	g_free(base);
	vbuf_free(&ev);
}

/* bytes after the shortcut: a payload that the command line carves out */
static void lnk_appended(vigil_scan *s, vigil_object *o, const struct lnk *l)
{
	size_t n = l->n - l->end, room;
	size_t nonzero = 0;
	vchild c = {0};
	uint8_t *copy;

	if (l->end >= l->n || n < 16)
		return;
	for (size_t i = l->end; i < l->n && nonzero < 16; i++)
		nonzero += l->p[i] != 0;
	if (nonzero < 16)
		return;
	ahelp_finding(s, o, F_LNK_APPENDED, NULL, "%zu bytes after the shortcut at offset %zu", n,
	              l->end);
	room = vscan_room(s, o, NULL);
	if (n > room) {
		vscan_limit(s, o, VIGIL_LIMIT_TOTAL_BYTES, "appended data not scanned");
		return;
	}
	copy = malloc(n);
	if (copy == NULL)
		return;
	memcpy(copy, l->p + l->end, n);
	c.seg = "appended";
	c.data = copy;
	c.len = n;
	(void)vscan_emit(s, o, &c);
}

static void lnk_analyze(vigil_scan *s, vigil_object *o)
{
	struct lnk l;

	if (o->data == NULL)
		return;
	memset(&l, 0, sizeof l);
	l.p = o->data;
	l.n = o->len;
	vbuf_init(&l.notes, 300);
	if (lnk_parse(&l)) {
		lnk_judge(s, o, &l);
		lnk_appended(s, o, &l);
	}
	if (l.notes.len > 0)
		ahelp_finding(s, o, F_LNK_MALFORMED, NULL, "%s", (const char *)l.notes.data);
	for (int i = 0; i < S__COUNT; i++)
		g_free(l.str[i]);
	g_free(l.id_path);
	g_free(l.local);
	g_free(l.net);
	g_free(l.env_target);
	g_free(l.icon_env);
	vbuf_free(&l.notes);
}

static const char *const lnk_types[] = {"lnk", NULL};
const analyzer lnk_analyzer = {"lnk", lnk_types, lnk_analyze, false};
