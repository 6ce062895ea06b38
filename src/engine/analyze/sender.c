/*
 * sender.c - who a message claims to be from, against what its header
 * fields and the receiving servers' authentication results say.
 *
 * An after-analyzer on every email object (its header fields are in
 * o->hdrs once mime.c has read it). Findings, all on that email object:
 *   sender.lookalike_domain   From, Sender, Reply-To, Return-Path or the
 *       envelope sender on a domain that imitates a protected domain or a
 *       brand (domains.c)
 *   sender.display_name_spoof the From display name (or the local part of
 *       the address) carries a protected name (protected_names, staff and
 *       unit names of staff_directory) or a protected domain, while the
 *       address is outside the protected domains
 *   sender.protected_auth_fail / sender.auth_fail / sender.auth_weak
 *       Authentication-Results (RFC 8601) and Received-SPF (RFC 7208) of the
 *       top-level message only: DMARC or SPF fail, SPF softfail or DKIM fail
 *       without a passing signature; "protected" when the From domain is the
 *       organisation's own. With trusted_authserv_ids set, only results of
 *       those authserv-ids count and Received-SPF (which names no
 *       authserv-id) is ignored; unset, any result counts: a sender can
 *       forge them, but forging a failure only hurts the forger, and results
 *       written by other sites on the way (forwarders) can be stale, which
 *       is why the plain failures are medium and low.
 *   sender.reply_to_diverts / sender.reply_to_external  From is protected
 *       and Reply-To goes to free-mail / another domain;
 *       sender.reply_to_freemail (low) From is not protected and Reply-To is
 *       free-mail on another domain than From's. A Reply-To on the domain of
 *       the message's List-Id / List-Post is a mailing list: never reported.
 *   sender.return_path_mismatch  From is protected and the envelope sender
 *       (the scan's envelope-from, else Return-Path) is on an outside
 *       domain that is not the mailing list's.
 * Outbound messages (the scan's direction) are only checked for lookalike
 * domains: the other checks describe mail coming in.
 *
 * Limits: MAX_ADDRS addresses per field, MAX_AUTH_HEADERS authentication
 * header fields, their values as mime.c keeps them (8 KiB).
 */
#include "../internal.h"

#include <gmime/gmime.h>
#include <string.h>

#include "domains.h"

#define MAX_ADDRS 8
#define MAX_AUTH_HEADERS 32
#define MAX_EV 400

struct mbox {
	char *name; /* display name, decoded, or NULL */
	char *addr; /* lower case */
	char *domain;
};

static void mbox_free(gpointer p)
{
	struct mbox *m = p;

	g_free(m->name);
	g_free(m->addr);
	g_free(m->domain);
	g_free(m);
}

/* the raw value of the first header field called name */
static const char *raw_header(const vigil_object *o, const char *name)
{
	for (guint i = 0; i < o->hdrs->len; i++) {
		const struct vhdr *h = g_ptr_array_index(o->hdrs, i);

		if (g_ascii_strcasecmp(h->name, name) == 0)
			return h->raw;
	}
	return NULL;
}

static void mbox_add(GPtrArray *out, const char *name, const char *addr)
{
	struct mbox *m;
	const char *at;

	if (addr == NULL || out->len >= MAX_ADDRS)
		return;
	at = strrchr(addr, '@');
	if (at == NULL || at[1] == 0)
		return;
	m = g_new0(struct mbox, 1);
	m->name = name != NULL && *name ? g_strdup(name) : NULL;
	m->addr = g_ascii_strdown(addr, -1);
	m->domain = g_ascii_strdown(at + 1, -1);
	while (*m->domain && m->domain[strlen(m->domain) - 1] == '.')
		m->domain[strlen(m->domain) - 1] = 0;
	g_ptr_array_add(out, m);
}

static void mbox_walk(GPtrArray *out, InternetAddressList *l, int level)
{
	int n = l != NULL ? internet_address_list_length(l) : 0;

	for (int i = 0; i < n && out->len < MAX_ADDRS && level < 3; i++) {
		InternetAddress *a = internet_address_list_get_address(l, i);

		if (INTERNET_ADDRESS_IS_MAILBOX(a))
			mbox_add(out, internet_address_get_name(a),
			         internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a)));
		else if (INTERNET_ADDRESS_IS_GROUP(a))
			mbox_walk(out,
			          internet_address_group_get_members(INTERNET_ADDRESS_GROUP(a)),
			          level + 1);
	}
}

/* the mailboxes of an address header (GMime decodes RFC 2047 names) */
static GPtrArray *mboxes(const vigil_object *o, const char *field)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(mbox_free);
	const char *raw = raw_header(o, field);
	InternetAddressList *l;

	if (raw == NULL)
		return out;
	l = internet_address_list_parse(NULL, raw);
	if (l != NULL) {
		mbox_walk(out, l, 0);
		g_object_unref(l);
	}
	return out;
}

static bool same_org(const char *a, const char *b)
{
	char *ra = domains_registrable(a), *rb = domains_registrable(b);
	bool same = strcmp(ra ? ra : a, rb ? rb : b) == 0;

	g_free(ra);
	g_free(rb);
	return same;
}

/* ---- lookalike sender domains ---- */

static void check_lookalikes(vigil_scan *s, vigil_object *o, domains_ctx *dc, const char *env)
{
	static const char *const fields[] = {"From", "Sender", "Reply-To", "Return-Path"};
	GString *ev = g_string_new(NULL);
	GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	for (size_t f = 0; f <= G_N_ELEMENTS(fields); f++) {
		GPtrArray *a;

		if (f == G_N_ELEMENTS(fields)) {
			a = g_ptr_array_new_with_free_func(mbox_free);
			mbox_add(a, NULL, env);
		} else {
			a = mboxes(o, fields[f]);
		}
		for (guint i = 0; i < a->len; i++) {
			const struct mbox *m = g_ptr_array_index(a, i);
			struct domains_match dm;

			if (g_hash_table_contains(seen, m->domain))
				continue;
			g_hash_table_add(seen, g_strdup(m->domain));
			if (!domains_lookalike(dc, m->domain, &dm) || ev->len > MAX_EV)
				continue;
			if (ev->len > 0)
				g_string_append(ev, "; ");
			g_string_append_printf(ev, "%s: %s imitates %s (%s)",
			                       f < G_N_ELEMENTS(fields) ? fields[f]
			                                                : "envelope sender",
			                       m->addr, dm.target->domain, dm.how);
		}
		g_ptr_array_unref(a);
	}
	if (ev->len > 0)
		vfinding_add(s, o, F_SENDER_LOOKALIKE, "%s", ev->str);
	g_string_free(ev, TRUE);
	g_hash_table_destroy(seen);
}

/* ---- display names ---- */

/* a protected domain written in text ("bhxh.gov.vn", "an@bhxh.gov.vn") */
static char *protected_domain_in(const domains_ctx *dc, const char *text)
{
	char **toks = g_strsplit_set(text, " \t\"'<>()[],;:", 64);
	char *hit = NULL;

	for (char **t = toks; *t != NULL && hit == NULL; t++) {
		const char *at = strrchr(*t, '@');
		char *d = g_ascii_strdown(at ? at + 1 : *t, -1);

		while (*d && strchr(".!?", d[strlen(d) - 1]) != NULL)
			d[strlen(d) - 1] = 0;
		if (strchr(d, '.') != NULL && domains_is_protected(dc, d))
			hit = d;
		else
			g_free(d);
	}
	g_strfreev(toks);
	return hit;
}

static void check_display_name(vigil_scan *s, vigil_object *o, domains_ctx *dc,
                               const struct mbox *from)
{
	const char *hit;
	char *dom;
	bool staff = false;

	if (domains_is_protected(dc, from->domain))
		return;
	/* a protected domain shown as the name, or as the local part
	 * (bhxh.gov.vn@gmail.com): the more precise evidence first */
	dom = protected_domain_in(dc, from->name != NULL ? from->name : "");
	if (dom == NULL) {
		char *local = g_strndup(from->addr, strcspn(from->addr, "@"));

		dom = protected_domain_in(dc, local);
		g_free(local);
	}
	if (dom != NULL) {
		vfinding_add(s, o, F_SENDER_NAME_SPOOF, "From \"%s\" <%s> shows the domain %s",
		             from->name ? from->name : "", from->addr, dom);
		g_free(dom);
		return;
	}
	if (from->name != NULL && (hit = domains_protected_name(dc, from->name, &staff)) != NULL)
		vfinding_add(s, o, F_SENDER_NAME_SPOOF, "From \"%s\" <%s>: %s %s from outside",
		             from->name, from->addr,
		             staff ? "the name of staff member or unit" : "the protected name",
		             hit);
}

/* ---- authentication results ---- */

struct auth {
	bool dmarc_fail, spf_fail, spf_soft, dkim_fail, dkim_pass;
	GString *ev;
};

/* the value without RFC 5322 comments, which may nest */
static char *strip_comments(const char *v)
{
	GString *s = g_string_sized_new(strlen(v) + 1);
	int depth = 0;
	bool quoted = false;

	for (const char *p = v; *p; p++) {
		if (depth == 0 && *p == '"')
			quoted = !quoted;
		if (!quoted && *p == '(' && depth < 16) {
			depth++;
			continue;
		}
		if (!quoted && *p == ')' && depth > 0) {
			depth--;
			continue;
		}
		if (*p == '\\' && p[1] != 0 && depth > 0) {
			p++;
			continue;
		}
		if (depth == 0)
			g_string_append_c(s, *p);
	}
	return g_string_free(s, FALSE);
}

static bool trusted_id(const vigil_engine *e, const char *id)
{
	const GPtrArray *ids = veng_option_list(e, "trusted_authserv_ids");

	if (ids == NULL)
		return true;
	for (guint i = 0; i < ids->len; i++) {
		char **items = g_strsplit_set(g_ptr_array_index(ids, i), ",; \t", 256);
		bool hit = false;

		for (char **it = items; *it != NULL && !hit; it++)
			hit = **it != 0 && g_ascii_strcasecmp(*it, id) == 0;
		g_strfreev(items);
		if (hit)
			return true;
	}
	return false;
}

static void auth_note(struct auth *a, const char *what)
{
	if (a->ev->len > MAX_EV)
		return;
	if (a->ev->len > 0)
		g_string_append(a->ev, ", ");
	g_string_append(a->ev, what);
}

static void auth_result(struct auth *a, const char *method, const char *result)
{
	char what[96];

	g_snprintf(what, sizeof what, "%s=%s", method, result);
	if (strcmp(method, "dmarc") == 0 && strcmp(result, "fail") == 0) {
		a->dmarc_fail = true;
		auth_note(a, what);
	} else if (strcmp(method, "spf") == 0 && strcmp(result, "fail") == 0) {
		a->spf_fail = true;
		auth_note(a, what);
	} else if (strcmp(method, "spf") == 0 && strcmp(result, "softfail") == 0) {
		a->spf_soft = true;
		auth_note(a, what);
	} else if (strcmp(method, "dkim") == 0 && strcmp(result, "fail") == 0) {
		a->dkim_fail = true;
		auth_note(a, what);
	} else if (strcmp(method, "dkim") == 0 && strcmp(result, "pass") == 0) {
		a->dkim_pass = true;
	}
}

/* Authentication-Results: authserv-id [version]; method=result ...; ... */
static void parse_auth_results(const vigil_engine *e, struct auth *a, const char *value)
{
	char *v = strip_comments(value);
	char **parts = g_strsplit(v, ";", 64);
	char *id;

	if (parts[0] == NULL)
		goto out;
	g_strstrip(parts[0]);
	id = g_strndup(parts[0], strcspn(parts[0], " \t"));
	if (!trusted_id(e, id)) {
		g_free(id);
		goto out;
	}
	g_free(id);
	for (char **p = parts + 1; *p != NULL; p++) {
		char *r = g_strstrip(*p);
		char *eq = strchr(r, '='), *method, *result;

		if (eq == NULL)
			continue;
		method = g_ascii_strdown(r, (gssize)strcspn(r, "=/ \t"));
		eq++;
		while (*eq == ' ' || *eq == '\t')
			eq++;
		result = g_ascii_strdown(eq, (gssize)strcspn(eq, " \t"));
		auth_result(a, method, result);
		g_free(method);
		g_free(result);
	}
out:
	g_strfreev(parts);
	g_free(v);
}

static void check_auth(vigil_scan *s, vigil_object *o, const struct mbox *from, bool from_prot)
{
	struct auth a;
	unsigned n = 0;
	bool any_id = veng_option_list(s->eng, "trusted_authserv_ids") == NULL;

	memset(&a, 0, sizeof a);
	a.ev = g_string_new(NULL);
	for (guint i = 0; i < o->hdrs->len && n < MAX_AUTH_HEADERS; i++) {
		const struct vhdr *h = g_ptr_array_index(o->hdrs, i);

		if (g_ascii_strcasecmp(h->name, "Authentication-Results") == 0) {
			parse_auth_results(s->eng, &a, h->value);
			n++;
		} else if (any_id && g_ascii_strcasecmp(h->name, "Received-SPF") == 0) {
			char *v = g_strstrip(g_ascii_strdown(h->value, -1));
			char *r = g_strndup(v, strcspn(v, " \t(;"));

			auth_result(&a, "spf", r);
			g_free(r);
			g_free(v);
			n++;
		}
	}
	if (from_prot && (a.dmarc_fail || a.spf_fail || (a.dkim_fail && !a.dkim_pass)))
		vfinding_add(s, o, F_SENDER_PROTECTED_AUTH, "From %s: %s", from->addr, a.ev->str);
	else if (a.dmarc_fail || a.spf_fail)
		vfinding_add(s, o, F_SENDER_AUTH_FAIL, "From %s: %s", from ? from->addr : "?",
		             a.ev->str);
	else if (a.spf_soft || (a.dkim_fail && !a.dkim_pass))
		vfinding_add(s, o, F_SENDER_AUTH_WEAK, "From %s: %s", from ? from->addr : "?",
		             a.ev->str);
	g_string_free(a.ev, TRUE);
}

/* ---- Reply-To and the envelope sender ---- */

/* the domain of the mailing list the message came through, or NULL */
static char *list_domain(const vigil_object *o)
{
	static const char *const fields[] = {"List-Post", "List-Id", "List-Unsubscribe"};

	for (size_t f = 0; f < G_N_ELEMENTS(fields); f++) {
		const char *v = vobj_header(o, fields[f]);
		const char *lt, *at, *end;
		char *d, *reg, *low;

		if (v == NULL || (lt = strchr(v, '<')) == NULL)
			continue;
		end = strchr(lt, '>');
		if (end == NULL)
			continue;
		at = memchr(lt, '@', (size_t)(end - lt));
		/* List-Id: <name.example.org>, List-Post: <mailto:x@example.org> */
		d = at != NULL ? g_strndup(at + 1, (gsize)(end - at - 1))
		               : g_strndup(lt + 1, (gsize)(end - lt - 1));
		d[strcspn(d, "?>")] = 0;
		low = g_ascii_strdown(d, -1);
		reg = domains_registrable(low);
		g_free(low);
		g_free(d);
		if (reg != NULL)
			return reg;
	}
	return NULL;
}

static bool on_list(const char *list, const char *domain)
{
	char *r;
	bool yes;

	if (list == NULL)
		return false;
	r = domains_registrable(domain);
	yes = r != NULL && strcmp(r, list) == 0;
	g_free(r);
	return yes;
}

static void check_reply_to(vigil_scan *s, vigil_object *o, domains_ctx *dc, const struct mbox *from,
                           bool from_prot, const char *list)
{
	GPtrArray *rt = mboxes(o, "Reply-To");

	for (guint i = 0; i < rt->len; i++) {
		const struct mbox *r = g_ptr_array_index(rt, i);

		if (same_org(r->domain, from->domain) || domains_is_protected(dc, r->domain) ||
		    on_list(list, r->domain))
			continue;
		if (from_prot && domains_is_freemail(dc, r->domain))
			vfinding_add(s, o, F_SENDER_REPLY_DIVERT, "From %s, Reply-To %s",
			             from->addr, r->addr);
		else if (from_prot)
			vfinding_add(s, o, F_SENDER_REPLY_EXTERNAL, "From %s, Reply-To %s",
			             from->addr, r->addr);
		else if (domains_is_freemail(dc, r->domain) &&
		         !domains_is_freemail(dc, from->domain))
			vfinding_add(s, o, F_SENDER_REPLY_FREEMAIL, "From %s, Reply-To %s",
			             from->addr, r->addr);
	}
	g_ptr_array_unref(rt);
}

static void check_return_path(vigil_scan *s, vigil_object *o, domains_ctx *dc,
                              const struct mbox *from, const char *env, const char *list)
{
	const char *at = env != NULL ? strrchr(env, '@') : NULL;
	char *d;

	if (at == NULL || at[1] == 0)
		return; /* none, or the null sender of a bounce */
	d = g_ascii_strdown(at + 1, -1);
	d[strcspn(d, ">")] = 0;
	if (!domains_is_protected(dc, d) && !same_org(d, from->domain) && !on_list(list, d))
		vfinding_add(s, o, F_SENDER_RETURN_PATH, "From %s, envelope sender %s", from->addr,
		             env);
	g_free(d);
}

/* the envelope sender: the scan's (top-level message only) or Return-Path */
static char *envelope_sender(vigil_scan *s, const vigil_object *o)
{
	GPtrArray *rp;
	char *r = NULL;

	if (o->parent == SIZE_MAX && s->facts[VIGIL_FACT_ENVELOPE_FROM]->len > 0)
		return g_ascii_strdown(g_ptr_array_index(s->facts[VIGIL_FACT_ENVELOPE_FROM], 0),
		                       -1);
	rp = mboxes(o, "Return-Path");
	if (rp->len > 0)
		r = g_strdup(((struct mbox *)g_ptr_array_index(rp, 0))->addr);
	g_ptr_array_unref(rp);
	return r;
}

static void sender_analyze(vigil_scan *s, vigil_object *o)
{
	domains_ctx *dc;
	GPtrArray *from;
	const struct mbox *f;
	char *env, *list;
	bool prot;

	if (o->hdrs == NULL)
		return;
	dc = domains_ctx_get(s);
	if (domains_ctx_error(dc) != NULL)
		vfinding_add(s, vscan_object(s, 0), F_ANALYZER_CONFIG, "%s", domains_ctx_error(dc));
	env = envelope_sender(s, o);
	check_lookalikes(s, o, dc, env);
	if (s->direction == VIGIL_DIR_OUTBOUND) {
		g_free(env);
		return;
	}
	from = mboxes(o, "From");
	f = from->len > 0 ? g_ptr_array_index(from, 0) : NULL;
	prot = f != NULL && domains_is_protected(dc, f->domain);
	list = list_domain(o);
	if (f != NULL)
		check_display_name(s, o, dc, f);
	if (o->parent == SIZE_MAX)
		check_auth(s, o, f, prot);
	if (f != NULL)
		check_reply_to(s, o, dc, f, prot, list);
	if (f != NULL && prot)
		check_return_path(s, o, dc, f, env, list);
	g_free(list);
	g_free(env);
	g_ptr_array_unref(from);
}

static const char *const sender_types[] = {"email", NULL};
const analyzer sender_analyzer = {"sender", sender_types, sender_analyze, true};
