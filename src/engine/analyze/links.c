/*
 * links.c - links that lie: what a link shows against where it goes,
 * addresses built to deceive, and HTML that collects passwords.
 *
 * Two analyzers:
 *
 * links-html (every HTML object, and text objects declared text/html or
 * named .htm(l), before their extractor): a bounded tag scanner reads
 * <a>/<area> anchors, <form> and <input>. Findings on that object:
 *   link.text_mismatch_trusted (high)  the anchor's visible text is a URL or
 *       domain of a protected or brand domain, the href's registrable
 *       domain is another one; link.text_mismatch (low) the same for any
 *       other shown domain: click trackers of newsletters do exactly that.
 *       Not reported when the href carries the shown host in its query
 *       (Safe Links, redirectors that forward to what they show).
 *   link.javascript_href (in pages opened in a browser: attachments and
 *       scanned files; mail clients do not run them), link.data_href.
 *   link.form_external  a POST form to an absolute http(s) URL outside the
 *       protected domains that asks for an account, a password, a card or
 *       an ID number (a bare e-mail field is a newsletter subscription);
 *       link.form_password  a password field anywhere.
 *
 * links (the root object, after the whole tree): the scan's URL and
 * domain facts (every extractor's URLs end up there) are judged once each:
 *   link.userinfo_trick  a host name before '@' (https://bhxh.gov.vn@evil/)
 *   link.ip_host (not for images: fetched to show the message),
 *   link.shortener, link.idn
 *   link.lookalike_domain, link.idn_homograph  (domains.c decides)
 * Each finding goes on the object the URL was first seen in (url.c keeps
 * that in the "url.origin" note; the root when unknown), one finding per
 * kind and object with up to EV_ITEMS examples in its evidence.
 *
 * Limits: the first HTML_MAX_SCAN bytes of an HTML object, tags of at most
 * TAG_MAX bytes, MAX_ANCHORS anchors per object, anchor text kept to
 * TEXT_MAX bytes, MAX_HOSTS distinct hosts judged per scan. Linear in the
 * input: every byte is looked at a bounded number of times.
 */
#include "../internal.h"

#include <stdarg.h>
#include <string.h>

#include "../../util/vbuf.h"
#include "domains.h"

#define HTML_MAX_SCAN (4u << 20)
#define TAG_MAX 16384
#define MAX_ANCHORS 5000
#define TEXT_MAX 512
#define HREF_MAX 4096
#define MAX_HOSTS 256
#define EV_ITEMS 3
#define EV_ITEM_MAX 160

/* ---- findings gathered per (kind, object) ---- */

struct agg {
	finding_kind k;
	size_t obj;
	GString *ev;
	unsigned n;
};

static void agg_add(GArray *a, finding_kind k, size_t obj, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static void agg_add(GArray *a, finding_kind k, size_t obj, const char *fmt, ...)
{
	struct agg *g = NULL;
	va_list ap;
	char *t;

	for (guint i = 0; i < a->len && g == NULL; i++) {
		struct agg *x = &g_array_index(a, struct agg, i);

		if (x->k == k && x->obj == obj)
			g = x;
	}
	if (g == NULL) {
		struct agg n = {k, obj, g_string_new(NULL), 0};

		g_array_append_val(a, n);
		g = &g_array_index(a, struct agg, a->len - 1);
	}
	if (g->n++ >= EV_ITEMS)
		return;
	va_start(ap, fmt);
	t = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (g->ev->len > 0)
		g_string_append(g->ev, "; ");
	g_string_append_len(g->ev, t, (gssize)MIN(strlen(t), (size_t)EV_ITEM_MAX * 2));
	g_free(t);
}

static void agg_emit(vigil_scan *s, GArray *a)
{
	for (guint i = 0; i < a->len; i++) {
		struct agg *g = &g_array_index(a, struct agg, i);
		vigil_object *o = vscan_object(s, g->obj);

		if (o != NULL) {
			if (g->n > EV_ITEMS)
				vfinding_add(s, o, g->k, "%s (and %u more)", g->ev->str,
				             g->n - EV_ITEMS);
			else
				vfinding_add(s, o, g->k, "%s", g->ev->str);
		}
		g_string_free(g->ev, TRUE);
	}
	g_array_set_size(a, 0);
}

/* a bounded copy for evidence */
static char *clip(const char *v)
{
	if (strlen(v) <= EV_ITEM_MAX)
		return g_strdup(v);
	return g_strdup_printf("%.*s...", EV_ITEM_MAX, v);
}

/* ---- HTML ---- */

/* character references in text or an attribute value, as UTF-8 */
static char *decode_refs(const uint8_t *p, size_t n, size_t max)
{
	static const struct {
		const char *name;
		const char *s;
	} named[] = {{"amp;", "&"},   {"lt;", "<"},     {"gt;", ">"},
	             {"quot;", "\""}, {"apos;", "'"},   {"nbsp;", " "},
	             {"#64;", "@"},   {"commat;", "@"}, {"period;", "."}};
	GString *s = g_string_sized_new(n < 256 ? n + 1 : 256);

	for (size_t i = 0; i < n && s->len < max; i++) {
		bool done = false;

		if (p[i] != '&') {
			g_string_append_c(s, (char)p[i]);
			continue;
		}
		for (size_t k = 0; k < G_N_ELEMENTS(named) && !done; k++) {
			size_t l = strlen(named[k].name);

			if (n - i - 1 >= l &&
			    g_ascii_strncasecmp((const char *)p + i + 1, named[k].name, l) == 0) {
				g_string_append(s, named[k].s);
				i += l;
				done = true;
			}
		}
		if (!done && n - i > 2 && p[i + 1] == '#') {
			bool hex = p[i + 2] == 'x' || p[i + 2] == 'X';
			size_t j = i + (hex ? 3 : 2), start = j;
			uint32_t v = 0;

			while (j < n && j - start < 7 &&
			       (hex ? g_ascii_isxdigit(p[j]) : g_ascii_isdigit(p[j]))) {
				v = v * (hex ? 16 : 10) +
				    (uint32_t)(hex ? g_ascii_xdigit_value(p[j]) : p[j] - '0');
				j++;
			}
			if (j > start && v > 0 && v <= 0x10FFFF && !(v >= 0xD800 && v <= 0xDFFF)) {
				g_string_append_unichar(s, v);
				i = j < n && p[j] == ';' ? j : j - 1;
				done = true;
			}
		}
		if (!done)
			g_string_append_c(s, '&');
	}
	return g_string_free(s, FALSE);
}

/* end of the tag that starts at i ('>' outside quotes), or n */
static size_t tag_end(const uint8_t *p, size_t n, size_t i)
{
	uint8_t q = 0;

	for (size_t j = i; j < n && j - i < TAG_MAX; j++) {
		if (q != 0) {
			if (p[j] == q)
				q = 0;
		} else if (p[j] == '"' || p[j] == '\'') {
			q = p[j];
		} else if (p[j] == '>') {
			return j;
		}
	}
	return n;
}

/* the value of attribute name in tag bytes [a, e), decoded; NULL if absent */
static char *attr(const uint8_t *p, size_t a, size_t e, const char *name)
{
	size_t nl = strlen(name);

	for (size_t i = a; i < e;) {
		size_t ns, ne, vs, ve;

		while (i < e && (g_ascii_isspace(p[i]) || p[i] == '/'))
			i++;
		ns = i;
		while (i < e && !g_ascii_isspace(p[i]) && p[i] != '=' && p[i] != '/')
			i++;
		ne = i;
		while (i < e && g_ascii_isspace(p[i]))
			i++;
		vs = ve = i;
		if (i < e && p[i] == '=') {
			i++;
			while (i < e && g_ascii_isspace(p[i]))
				i++;
			if (i < e && (p[i] == '"' || p[i] == '\'')) {
				uint8_t q = p[i++];

				vs = i;
				while (i < e && p[i] != q)
					i++;
				ve = i;
				if (i < e)
					i++;
			} else {
				vs = i;
				while (i < e && !g_ascii_isspace(p[i]))
					i++;
				ve = i;
			}
		}
		if (ne == ns) {
			i++;
			continue;
		}
		if (ne - ns == nl && g_ascii_strncasecmp((const char *)p + ns, name, nl) == 0)
			return decode_refs(p + vs, ve - vs, HREF_MAX);
	}
	return NULL;
}

/* an href as a browser reads it: no tabs or newlines, no blanks around */
static void href_clean(char *h)
{
	size_t w = 0;

	for (size_t r = 0; h[r]; r++)
		if (h[r] != '\t' && h[r] != '\n' && h[r] != '\r')
			h[w++] = h[r];
	h[w] = 0;
	g_strstrip(h);
	/* leading C0 controls are dropped too */
	while (*h && (unsigned char)*h < 0x20)
		memmove(h, h + 1, strlen(h));
}

static bool has_scheme(const char *h, const char *scheme)
{
	size_t l = strlen(scheme);

	return g_ascii_strncasecmp(h, scheme, l) == 0;
}

/* file names that end in a top-level domain: report.zip, readme.md */
static bool file_like(const char *host)
{
	static const char *const exts[] = {"zip", "mov", "md", "py", "sh",  "pl",   "rs",
	                                   "ps",  "ai",  "cs", "so", "mp",  "app",  "pro",
	                                   "dev", "pm",  "am", "nz", "rar", "docx", NULL};
	const char *dot = strrchr(host, '.');

	if (dot == NULL)
		return true;
	for (const char *const *e = exts; *e != NULL; e++)
		if (g_ascii_strcasecmp(dot + 1, *e) == 0)
			return true;
	return false;
}

/* the host the anchor text shows, if the whole text is a URL or domain */
static char *shown_host(const char *text)
{
	char *t = g_strdup(text), *h = NULL, *ui = NULL, *p;
	size_t n;

	g_strstrip(t);
	p = t;
	n = strlen(p);
	while (n > 1 && strchr("<([\"'", *p) != NULL && strchr(">)]\"'", p[n - 1]) != NULL) {
		p++;
		n -= 2;
		p[n] = 0;
	}
	if (*p == 0 || strpbrk(p, " \t\r\n") != NULL)
		goto out;
	if (has_scheme(p, "http://") || has_scheme(p, "https://") || has_scheme(p, "ftp://") ||
	    has_scheme(p, "www.")) {
		h = domains_host_of(p, &ui);
	} else {
		/* a bare domain: not an e-mail address, a real suffix, no file name */
		if (strchr(p, '@') != NULL || strchr(p, '.') == NULL)
			goto out;
		h = domains_host_of(p, &ui);
		if (h != NULL && (!domains_real_tld(h) || file_like(h))) {
			g_free(h);
			h = NULL;
		}
	}
	if (h != NULL) {
		for (const char *c = h; *c; c++)
			if (!g_ascii_isalnum(*c) && *c != '.' && *c != '-' &&
			    (unsigned char)*c < 0x80) {
				g_free(h);
				h = NULL;
				break;
			}
	}
	if (h != NULL && (strchr(h, '.') == NULL || h[0] == '.')) {
		g_free(h);
		h = NULL;
	}
out:
	g_free(ui);
	g_free(t);
	return h;
}

/* the href, percent-decoded twice, mentions host (a redirector to it) */
static bool href_forwards_to(const char *href, const char *host)
{
	char *a = g_uri_unescape_string(href, NULL), *b;
	bool yes;

	if (a == NULL)
		return false;
	b = g_uri_unescape_string(a, NULL);
	yes = vmem_casefind((const uint8_t *)(b ? b : a), strlen(b ? b : a), host) >= 0;
	/* the host must be in the query or fragment, not the link's own host */
	if (yes) {
		const char *q = strpbrk(b ? b : a, "?#=");

		yes = q != NULL && vmem_casefind((const uint8_t *)q, strlen(q), host) >= 0;
	}
	g_free(a);
	g_free(b);
	return yes;
}

struct html_ctx {
	vigil_scan *s;
	vigil_object *o;
	domains_ctx *dc;
	GArray *agg;
	char *href; /* open anchor */
	vbuf text;
	unsigned anchors;
	char *form_action; /* open form, clipped */
	bool form_external, form_sensitive;
	char form_field[64];
};

static void anchor_close(struct html_ctx *h)
{
	char *text, *shown, *host, *sreg, *hreg;

	if (h->href == NULL)
		return;
	vbuf_terminate(&h->text);
	text = decode_refs(h->text.data ? h->text.data : (const uint8_t *)"", h->text.len,
	                   TEXT_MAX);
	if (!(has_scheme(h->href, "http://") || has_scheme(h->href, "https://")))
		goto out;
	shown = shown_host(text);
	if (shown == NULL)
		goto out;
	host = domains_host_of(h->href, NULL);
	if (host == NULL) {
		g_free(shown);
		goto out;
	}
	sreg = domains_registrable(shown);
	hreg = domains_registrable(host);
	if (strcmp(shown, host) != 0 && strcmp(sreg ? sreg : shown, hreg ? hreg : host) != 0 &&
	    !href_forwards_to(h->href, shown)) {
		char *ct = clip(text), *ch = clip(h->href);

		agg_add(h->agg,
		        domains_is_known(h->dc, shown) ? F_LINK_TEXT_TRUSTED : F_LINK_TEXT_MISMATCH,
		        h->o->index, "shows %s, goes to %s", ct, ch);
		g_free(ct);
		g_free(ch);
	}
	g_free(sreg);
	g_free(hreg);
	g_free(host);
	g_free(shown);
out:
	g_free(text);
	g_free(h->href);
	h->href = NULL;
	h->text.len = 0;
}

static bool html_attached(const vigil_object *o);

static void anchor_open(struct html_ctx *h, char *href, bool area)
{
	char *ch;

	href_clean(href);
	ch = clip(href);
	/* mail clients do not run javascript: links; a browser opening an
	 * attached page does */
	if ((has_scheme(href, "javascript:") || has_scheme(href, "vbscript:")) &&
	    html_attached(h->o))
		agg_add(h->agg, F_LINK_SCRIPT_HREF, h->o->index, "%s", ch);
	else if (has_scheme(href, "data:"))
		agg_add(h->agg, F_LINK_DATA_HREF, h->o->index, "%s", ch);
	g_free(ch);
	if (area || h->anchors >= MAX_ANCHORS) {
		g_free(href);
		return;
	}
	h->anchors++;
	h->href = href;
	h->text.len = 0;
}

/* the page is opened in a browser (a file or attachment), not a mail body */
static bool html_attached(const vigil_object *o)
{
	return o->depth == 0 || o->name != NULL ||
	       (o->disposition != NULL && g_ascii_strcasecmp(o->disposition, "attachment") == 0);
}

/*
 * An input that asks for an account, a password, a card or an ID number.
 * An e-mail address alone is what subscription forms ask for: not counted.
 */
static bool sensitive_input(const char *type, const char *name)
{
	static const char *const words[] = {
	        "passw",   "pwd",  "login", "logon",   "signin",   "username", "userid",
	        "user_id", "otp",  "cvv",   "cvc",     "cardnum",  "card_num", "ccnum",
	        "account", "acct", "ssn",   "matkhau", "mat_khau", "taikhoan", "tai_khoan",
	        "cmnd",    "cccd", "sothe", NULL};

	if (type != NULL && g_ascii_strcasecmp(type, "password") == 0)
		return true;
	if (name == NULL || (type != NULL && (g_ascii_strcasecmp(type, "hidden") == 0 ||
	                                      g_ascii_strcasecmp(type, "submit") == 0)))
		return false;
	for (const char *const *w = words; *w != NULL; w++)
		if (vmem_casefind((const uint8_t *)name, strlen(name), *w) >= 0)
			return true;
	return false;
}

/* a POST form to an outside host asked for something sensitive */
static void form_close(struct html_ctx *h)
{
	if (h->form_external && h->form_sensitive)
		agg_add(h->agg, F_LINK_FORM_EXTERNAL, h->o->index, "form posts %s to %s",
		        h->form_field, h->form_action);
	g_free(h->form_action);
	h->form_action = NULL;
	h->form_external = h->form_sensitive = false;
	h->form_field[0] = 0;
}

static void form_open(struct html_ctx *h, const uint8_t *p, size_t a, size_t e)
{
	char *action = attr(p, a, e, "action");
	char *method = attr(p, a, e, "method");
	char *host;

	form_close(h);
	if (action == NULL)
		goto out;
	href_clean(action);
	h->form_action = clip(action);
	if (!(has_scheme(action, "http://") || has_scheme(action, "https://")))
		goto out;
	host = domains_host_of(action, NULL);
	h->form_external = host != NULL && !domains_is_protected(h->dc, host) && method != NULL &&
	                   g_ascii_strcasecmp(g_strstrip(method), "post") == 0;
	g_free(host);
out:
	g_free(action);
	g_free(method);
}

static void input_tag(struct html_ctx *h, const uint8_t *p, size_t a, size_t e)
{
	char *type = attr(p, a, e, "type");
	char *name = attr(p, a, e, "name");

	if (type != NULL)
		g_strstrip(type);
	if (name == NULL)
		name = attr(p, a, e, "id");
	if (sensitive_input(type, name) && !h->form_sensitive) {
		h->form_sensitive = true;
		g_snprintf(h->form_field, sizeof h->form_field, "field '%.40s'",
		           name != NULL ? name : type);
	}
	if (type != NULL && g_ascii_strcasecmp(type, "password") == 0)
		agg_add(h->agg, F_LINK_FORM_PASSWORD, h->o->index, "password field in %s%s%s",
		        html_attached(h->o) ? "an attached page" : "the message body",
		        h->form_action ? ", form sends to " : "",
		        h->form_action ? h->form_action : "");
	g_free(type);
	g_free(name);
}

/* skips the content of <script>, <style>, <textarea>: no tags in there */
static size_t skip_raw(const uint8_t *p, size_t n, size_t i, const char *name)
{
	char close[16];
	long at;

	g_snprintf(close, sizeof close, "</%s", name);
	at = vmem_casefind(p + i, n - i, close);
	return at < 0 ? n : i + (size_t)at;
}

static bool declared_html(const vigil_object *o)
{
	const char *dot = o->name != NULL ? strrchr(o->name, '.') : NULL;

	return (o->ctype != NULL && (g_ascii_strcasecmp(o->ctype, "text/html") == 0 ||
	                             g_ascii_strcasecmp(o->ctype, "application/xhtml+xml") == 0)) ||
	       (dot != NULL &&
	        (g_ascii_strcasecmp(dot, ".html") == 0 || g_ascii_strcasecmp(dot, ".htm") == 0));
}

static void links_html(vigil_scan *s, vigil_object *o)
{
	const uint8_t *p = o->data;
	size_t n = o->len < HTML_MAX_SCAN ? o->len : HTML_MAX_SCAN;
	struct html_ctx h;

	if (p == NULL || n == 0)
		return;
	/* a text/html part need not start like a page ("<p>Dear ..."): what
	 * a mail client renders as HTML is read as HTML here too */
	if (strcmp(o->type, "text") == 0 && !declared_html(o))
		return;
	memset(&h, 0, sizeof h);
	h.s = s;
	h.o = o;
	h.dc = domains_ctx_get(s);
	h.agg = g_array_new(FALSE, FALSE, sizeof(struct agg));
	vbuf_init(&h.text, TEXT_MAX * 4);

	for (size_t i = 0; i < n;) {
		size_t j, ns, e;
		bool closing;
		char name[16];

		if (p[i] != '<') {
			if (h.href != NULL && h.text.len < TEXT_MAX * 4)
				vbuf_putc(&h.text, g_ascii_isspace(p[i]) ? ' ' : p[i]);
			i++;
			continue;
		}
		if (n - i >= 4 && memcmp(p + i, "<!--", 4) == 0) {
			long at = vmem_casefind(p + i + 4, n - i - 4, "-->");

			i = at < 0 ? n : i + 4 + (size_t)at + 3;
			continue;
		}
		j = i + 1;
		closing = j < n && p[j] == '/';
		if (closing)
			j++;
		ns = j;
		while (j < n && j - ns < sizeof name - 1 && g_ascii_isalnum(p[j]))
			j++;
		if (j == ns || (j < n && g_ascii_isalnum(p[j]))) {
			/* not a tag we know: text */
			if (h.href != NULL && h.text.len < TEXT_MAX * 4)
				vbuf_putc(&h.text, '<');
			i++;
			continue;
		}
		for (size_t k = 0; k < j - ns; k++)
			name[k] = g_ascii_tolower((char)p[ns + k]);
		name[j - ns] = 0;
		e = tag_end(p, n, j);
		if (e == n && n - j > TAG_MAX) {
			/* no '>' within TAG_MAX: text, and the window is not looked
			 * at again (each byte is scanned at most twice) */
			i = j + TAG_MAX;
			continue;
		}
		if (closing) {
			if (strcmp(name, "a") == 0)
				anchor_close(&h);
			else if (strcmp(name, "form") == 0)
				form_close(&h);
		} else if (strcmp(name, "a") == 0 || strcmp(name, "area") == 0) {
			char *href = attr(p, j, e, "href");

			anchor_close(&h);
			if (href != NULL)
				anchor_open(&h, href, name[1] != 0);
		} else if (strcmp(name, "form") == 0) {
			form_open(&h, p, j, e);
		} else if (strcmp(name, "input") == 0) {
			input_tag(&h, p, j, e);
		} else if (strcmp(name, "br") == 0 || strcmp(name, "p") == 0 ||
		           strcmp(name, "div") == 0) {
			if (h.href != NULL)
				vbuf_putc(&h.text, ' ');
		}
		i = e < n ? e + 1 : n;
		if (!closing && (strcmp(name, "script") == 0 || strcmp(name, "style") == 0 ||
		                 strcmp(name, "textarea") == 0))
			i = skip_raw(p, n, i, name);
	}
	anchor_close(&h);
	form_close(&h);
	agg_emit(s, h.agg);
	g_array_free(h.agg, TRUE);
	vbuf_free(&h.text);
}

/* ---- the URL list, at the end of the scan ---- */

static size_t origin_of(vigil_scan *s, const char *v)
{
	GHashTable *t = vscan_note(s, "url.origin");
	gpointer x = t ? g_hash_table_lookup(t, v) : NULL;

	return x != NULL && GPOINTER_TO_SIZE(x) - 1 < s->objs->len ? GPOINTER_TO_SIZE(x) - 1 : 0;
}

/* "bhxh.gov.vn" or "bhxh.gov.vn:x" before '@': a host name, not a user */
static char *userinfo_host(const char *ui)
{
	char *u = g_strndup(ui, strcspn(ui, ":@"));
	char *dec = g_uri_unescape_string(u, NULL);
	char *h = dec != NULL ? dec : g_strdup(u);
	bool ok = strchr(h, '.') != NULL && h[0] != '.';

	for (const char *c = h; *c && ok; c++)
		ok = g_ascii_isalnum(*c) || *c == '.' || *c == '-' || (unsigned char)*c >= 0x80;
	g_free(u);
	if (dec != NULL && h != dec)
		g_free(dec);
	if (!ok || !domains_real_tld(h)) {
		g_free(h);
		return NULL;
	}
	return h;
}

/* an image: fetched to show the message, not a place the reader is sent */
static bool image_url(const char *u)
{
	static const char *const exts[] = {".gif", ".jpg", ".jpeg", ".png", ".bmp", NULL};
	size_t n = strcspn(u, "?#");

	for (const char *const *e = exts; *e != NULL; e++) {
		size_t l = strlen(*e);

		if (n >= l && g_ascii_strncasecmp(u + n - l, *e, l) == 0)
			return true;
	}
	return false;
}

static void judge_host(vigil_scan *s, domains_ctx *dc, GArray *agg, GHashTable *seen,
                       const char *host, size_t obj)
{
	struct domains_match m;
	char *uni;

	if (g_hash_table_size(seen) >= MAX_HOSTS || g_hash_table_contains(seen, host))
		return;
	g_hash_table_add(seen, g_strdup(host));
	if (domains_is_ip(host))
		return;
	uni = domains_has_idn(host) ? domains_to_unicode(host) : NULL;
	if (domains_lookalike(dc, host, &m)) {
		agg_add(agg, m.idn ? F_LINK_IDN_HOMOGRAPH : F_LINK_LOOKALIKE, obj,
		        "%s%s%s%s imitates %s (%s)", host, uni ? " (" : "", uni ? uni : "",
		        uni ? ")" : "", m.target->domain, m.how);
	} else if (uni != NULL && domains_mixed_script(host)) {
		agg_add(agg, F_LINK_IDN_HOMOGRAPH, obj,
		        "%s (%s) mixes Latin with look-alike letters", host, uni);
	} else if (uni != NULL) {
		agg_add(agg, F_LINK_IDN, obj, "%s (%s)", host, uni);
	}
	g_free(uni);
}

static void links_after(vigil_scan *s, vigil_object *o)
{
	domains_ctx *dc;
	GArray *agg;
	GHashTable *seen;
	const GPtrArray *urls = s->facts[VIGIL_FACT_URL], *doms = s->facts[VIGIL_FACT_DOMAIN];

	if (o->parent != SIZE_MAX)
		return;
	dc = domains_ctx_get(s);
	if (domains_ctx_error(dc) != NULL)
		vfinding_add(s, o, F_ANALYZER_CONFIG, "%s", domains_ctx_error(dc));
	if (urls->len == 0 && doms->len == 0)
		return;
	agg = g_array_new(FALSE, FALSE, sizeof(struct agg));
	seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (guint i = 0; i < urls->len; i++) {
		const char *u = g_ptr_array_index(urls, i);
		size_t obj = origin_of(s, u);
		char *ui = NULL, *host = domains_host_of(u, &ui), *cu = clip(u);

		if (ui != NULL && host != NULL) {
			char *uh = userinfo_host(ui);

			if (uh != NULL)
				agg_add(agg, F_LINK_USERINFO, obj, "%s shows %s, goes to %s", cu,
				        uh, host);
			g_free(uh);
		}
		if (host != NULL && domains_is_ip(host) && !image_url(u))
			agg_add(agg, F_LINK_IP_HOST, obj, "%s", cu);
		else if (host != NULL && domains_is_shortener(dc, host))
			agg_add(agg, F_LINK_SHORTENER, obj, "%s", cu);
		if (host != NULL)
			judge_host(s, dc, agg, seen, host, obj);
		g_free(cu);
		g_free(host);
		g_free(ui);
	}
	for (guint i = 0; i < doms->len; i++) {
		const char *d = g_ptr_array_index(doms, i);

		judge_host(s, dc, agg, seen, d, origin_of(s, d));
	}
	agg_emit(s, agg);
	g_array_free(agg, TRUE);
	g_hash_table_destroy(seen);
}

static const char *const html_types[] = {"html", "text", NULL};
const analyzer links_html_analyzer = {"links-html", html_types, links_html, false};
const analyzer links_analyzer = {"links", NULL, links_after, true};
