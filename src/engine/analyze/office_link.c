/*
 * office_link.c - what an Office document fetches from elsewhere when it is
 * opened, and programs it carries for the reader to open.
 *
 * OOXML relationships (the ".rels" parts of a package) with
 * TargetMode="External":
 *   attachedTemplate  -> office.remote_template (T1221) when the target is
 *                        remote (http, UNC, WebDAV, mhtml...): Word fetches
 *                        and runs the template, macros included. Local
 *                        template paths are normal (Normal.dotm) and ignored.
 *   oleObject, frame, subDocument -> office.external_object (T1221) when
 *                        remote: the object is loaded on opening (the
 *                        CVE-2017-0199 and CVE-2021-40444 routes).
 *   hyperlink         -> office.hyperlink (info): a link the reader may click.
 *   anything else remote (images, linked data) -> office.external_resource.
 * The flat XML of Word 2007 (pkg:package) carries the same relationships
 * inline. RTF: {\*\template URL} -> office.remote_template.
 * Every http(s)/ftp target becomes a message fact (URL and domain), so
 * indicators match it.
 *
 * Embedded programs: an OLE Package (\x01Ole10Native, unpacked by ole.c)
 * whose file is a program or script (by type or by extension) is what a
 * lure document asks the reader to double-click: office.embedded_executable
 * on the package, next to name.c's content.executable on the file itself
 * (which says only that a program was delivered, not how).
 *
 * Limits: the first LINK_MAX_TEXT bytes of a part; LINK_MAX_RELS
 * relationships per part; targets of at most 4 KiB (office_attr).
 */
#include "office.h"

#include <string.h>

#include "../../util/bytes.h"

#define LINK_MAX_TEXT (4u << 20)
#define LINK_MAX_RELS 10000

static bool link_type_is(const char *type, const char *last)
{
	const char *slash = strrchr(type, '/');

	return g_ascii_strcasecmp(slash != NULL ? slash + 1 : type, last) == 0;
}

static void link_fact(vigil_scan *s, const char *target)
{
	while (*target == ' ')
		target++;
	/* mhtml:http://host/x!y -> the http part */
	if (g_ascii_strncasecmp(target, "mhtml:", 6) == 0)
		target += 6;
	office_url_fact(s, target, strcspn(target, " !\"'<>"));
}

static void link_relationship(vigil_scan *s, vigil_object *o, const char *type, const char *target)
{
	char *t = vstr_sanitize(target, 300);
	char *ty = vstr_sanitize(strrchr(type, '/') != NULL ? strrchr(type, '/') + 1 : type, 60);
	bool remote = office_remote(target);

	if (link_type_is(type, "hyperlink")) {
		vfinding_add(s, o, F_OFFICE_HYPERLINK, "%s", t);
	} else if (remote && link_type_is(type, "attachedTemplate")) {
		vfinding_add(s, o, F_OFFICE_REMOTE_TEMPLATE, "attachedTemplate %s", t);
	} else if (remote && (link_type_is(type, "oleObject") || link_type_is(type, "frame") ||
	                      link_type_is(type, "subDocument"))) {
		vfinding_add(s, o, F_OFFICE_EXTERNAL_OBJECT, "%s %s", ty, t);
	} else if (remote) {
		vfinding_add(s, o, F_OFFICE_EXTERNAL_RESOURCE, "%s %s", ty, t);
	}
	link_fact(s, target);
	g_free(t);
	g_free(ty);
}

static void link_rels(vigil_scan *s, vigil_object *o)
{
	const uint8_t *p = o->data;
	size_t n = o->len < LINK_MAX_TEXT ? o->len : LINK_MAX_TEXT, i = 0;
	unsigned rels = 0;

	while (i < n && rels < LINK_MAX_RELS) {
		const uint8_t *lt = memchr(p + i, '<', n - i);
		size_t at, tl;
		char *mode, *type, *target;

		if (lt == NULL)
			return;
		at = (size_t)(lt - p);
		tl = office_tag_len(p + at, n - at);
		if (tl == 0) {
			i = at + 1;
			continue;
		}
		i = at + tl;
		if (!office_tag_is(p + at, tl, "Relationship"))
			continue;
		rels++;
		mode = office_attr(p + at, tl, "TargetMode");
		if (mode == NULL || g_ascii_strcasecmp(mode, "External") != 0) {
			g_free(mode);
			continue;
		}
		type = office_attr(p + at, tl, "Type");
		target = office_attr(p + at, tl, "Target");
		if (type != NULL && target != NULL)
			link_relationship(s, o, type, target);
		g_free(mode);
		g_free(type);
		g_free(target);
	}
}

/* {\*\template http://host/t.dotm} */
static void link_rtf(vigil_scan *s, vigil_object *o)
{
	const uint8_t *p = o->data;
	size_t n = o->len, from = 0;

	while (from < n) {
		long k = vmem_casefind(p + from, n - from, "\\*\\template");
		size_t i, start;
		vbuf b;
		char *t;

		if (k < 0)
			return;
		i = from + (size_t)k + 11;
		from = i;
		while (i < n && (p[i] == ' ' || p[i] == '\r' || p[i] == '\n'))
			i++;
		start = i;
		vbuf_init(&b, 2048);
		while (i < n && p[i] != '}' && p[i] != '{' && i - start < 4096) {
			if (p[i] == '\\' && i + 1 < n &&
			    (p[i + 1] == '\\' || p[i + 1] == '{' || p[i + 1] == '}')) {
				vbuf_putc(&b, p[i + 1]);
				i += 2;
			} else if (p[i] == '\\' && i + 3 < n && p[i + 1] == '\'') {
				int h = hexval(p[i + 2]), l = hexval(p[i + 3]);

				if (h >= 0 && l >= 0)
					vbuf_putc(&b, (uint8_t)(h << 4 | l));
				i += 4;
			} else {
				if (p[i] != '\r' && p[i] != '\n')
					vbuf_putc(&b, p[i]);
				i++;
			}
		}
		vbuf_terminate(&b);
		from = i;
		t = b.data != NULL ? (char *)b.data : NULL;
		if (t != NULL && office_remote(t)) {
			char *q = vstr_sanitize(t, 300);

			vfinding_add(s, o, F_OFFICE_REMOTE_TEMPLATE, "RTF template %s", q);
			g_free(q);
			link_fact(s, t);
		}
		vbuf_free(&b);
	}
}

static void link_analyze(vigil_scan *s, vigil_object *o)
{
	const char *rel;

	if (o->data == NULL || o->len == 0)
		return;
	if (strcmp(o->type, "rtf") == 0) {
		link_rtf(s, o);
		return;
	}
	rel = office_rel(s, o, "ooxml", NULL);
	if (rel != NULL && g_str_has_suffix(rel, ".rels"))
		link_rels(s, o);
	else if (rel == NULL &&
	         vmem_casefind(o->data, o->len < LINK_MAX_TEXT ? o->len : LINK_MAX_TEXT,
	                       "<pkg:package") >= 0)
		link_rels(s, o); /* Word 2007 flat XML: the .rels parts are inline */
}

static const char *const link_exec_exts[] = {
        "exe", "scr", "com", "pif", "bat", "cmd", "js",  "jse",         "vbs", "vbe",
        "wsf", "wsh", "hta", "lnk", "ps1", "msi", "jar", "cpl",         "dll", "reg",
        "chm", "sct", "inf", "url", "iso", "img", "vhd", "application", NULL};

static bool link_exec_name(const char *name)
{
	const char *dot = name != NULL ? strrchr(name, '.') : NULL;

	if (dot == NULL)
		return false;
	for (const char *const *e = link_exec_exts; *e != NULL; e++)
		if (g_ascii_strcasecmp(dot + 1, *e) == 0)
			return true;
	return false;
}

/* after ole.c unpacked the package: is the file inside a program? */
static void link_package(vigil_scan *s, vigil_object *o)
{
	/* ole.c emits the package's one file right after the package */
	vigil_object *c = vscan_object(s, o->index + 1);
	char *q;

	if (c == NULL || c->parent != o->index)
		return;
	if (!ftype_is_executable(c->type) && !link_exec_name(c->name))
		return;
	q = vstr_sanitize(c->name != NULL ? c->name : c->path, 200);
	vfinding_add(s, o, F_OFFICE_EMBEDDED_EXE, "%s (%s)", q, c->type);
	g_free(q);
}

static const char *const link_types[] = {"xml", "rtf", NULL};
static const char *const link_package_types[] = {"ole10native", NULL};
const analyzer office_link_analyzer = {"office-link", link_types, link_analyze, false};
const analyzer office_package_analyzer = {"office-package", link_package_types, link_package, true};
