/*
 * blockset.c - the milter's dynamic indicator set (blockset.h).
 *
 * Two tables under one read-write lock: items, "type\tvalue" as vigild sent
 * it -> its normalised key; keys, "type\tnormalised" -> how many items
 * normalise to it. Matching builds the normalised key of each fact of the
 * message and looks it up; a domain is tried with each of its parent
 * domains (a.b.evil.example, b.evil.example, evil.example, example).
 * Values from the message are untrusted: they come as JSON strings (valid
 * UTF-8) from the worker, are only hashed and compared, and are clipped
 * before they are quoted in a finding.
 */
#include "blockset.h"

#include <arpa/inet.h>
#include <glib.h>
#include <pthread.h>
#include <string.h>

#define EVIDENCE_MAX 300

struct blockset {
	pthread_rwlock_t lk;
	GHashTable *items; /* char* -> char* (owned) */
	GHashTable *keys;  /* char* -> count */
};

enum btype {
	BT_SHA256,
	BT_SHA1,
	BT_MD5,
	BT_EMAIL,
	BT_DOMAIN,
	BT_URL,
	BT_IPV4,
	BT_IPV6,
	BT_FILENAME,
	BT_SUBJECT,
	BT_MESSAGE_ID,
	BT__COUNT
};

static const char *const type_names[BT__COUNT] = {
        "sha256", "sha1", "md5",      "email",   "domain",     "url",
        "ipv4",   "ipv6", "filename", "subject", "message_id",
};

static int type_of(const char *t)
{
	for (int i = 0; t != NULL && i < BT__COUNT; i++)
		if (strcmp(t, type_names[i]) == 0)
			return i;
	return -1;
}

struct blockset *blockset_new(void)
{
	struct blockset *b = g_new0(struct blockset, 1);

	pthread_rwlock_init(&b->lk, NULL);
	b->items = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	b->keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	return b;
}

void blockset_free(struct blockset *b)
{
	if (b == NULL)
		return;
	g_hash_table_destroy(b->items);
	g_hash_table_destroy(b->keys);
	pthread_rwlock_destroy(&b->lk);
	g_free(b);
}

/* ---- normalisation (the same for items and for the message's facts) ---- */

static bool hex_of(const char *s, size_t n)
{
	if (strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isxdigit(s[i]))
			return false;
	return true;
}

/* lower-case, no trailing dots; NULL if empty or not a host name */
static char *norm_host(const char *h)
{
	char *d;
	size_t n;

	if (h == NULL || *h == 0 || strlen(h) > 253 || strpbrk(h, "/@ \t") != NULL)
		return NULL;
	d = g_utf8_strdown(h, -1);
	n = strlen(d);
	while (n > 0 && d[n - 1] == '.')
		d[--n] = 0;
	if (n == 0) {
		g_free(d);
		return NULL;
	}
	return d;
}

/* an address in its canonical text; NULL if not one of family */
static char *norm_ip(const char *s, int family)
{
	unsigned char buf[16];
	char out[INET6_ADDRSTRLEN];

	if (s == NULL || strlen(s) >= sizeof out || inet_pton(family, s, buf) != 1 ||
	    inet_ntop(family, buf, out, sizeof out) == NULL)
		return NULL;
	return g_strdup(out);
}

/* lower-case, blanks collapsed to one space, trimmed */
static char *norm_text(const char *s)
{
	char *low = g_utf8_strdown(s, -1);
	GString *out = g_string_new(NULL);
	bool blank = false;

	for (const char *p = low; *p; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
			blank = out->len > 0;
			continue;
		}
		if (blank)
			g_string_append_c(out, ' ');
		blank = false;
		g_string_append_c(out, *p);
	}
	g_free(low);
	if (out->len == 0) {
		g_string_free(out, TRUE);
		return NULL;
	}
	return g_string_free(out, FALSE);
}

static char *norm_value(int t, const char *v)
{
	size_t n;
	char *s;

	if (v == NULL || *v == 0 || !g_utf8_validate(v, -1, NULL))
		return NULL;
	switch (t) {
	case BT_SHA256:
		return hex_of(v, 64) ? g_ascii_strdown(v, -1) : NULL;
	case BT_SHA1:
		return hex_of(v, 40) ? g_ascii_strdown(v, -1) : NULL;
	case BT_MD5:
		return hex_of(v, 32) ? g_ascii_strdown(v, -1) : NULL;
	case BT_EMAIL:
		if (strchr(v, '@') == NULL || strchr(v, '@') == v)
			return NULL;
		return g_utf8_strdown(v, -1);
	case BT_DOMAIN:
		return norm_host(v);
	case BT_IPV4:
		return norm_ip(v, AF_INET);
	case BT_IPV6:
		return norm_ip(v, AF_INET6);
	case BT_URL:
		if (strstr(v, "://") == NULL)
			return NULL;
		s = g_utf8_strdown(v, -1);
		n = strlen(s);
		if (n > 0 && s[n - 1] == '/')
			s[n - 1] = 0;
		return s;
	case BT_FILENAME:
	case BT_SUBJECT:
		return norm_text(v);
	case BT_MESSAGE_ID:
		s = norm_text(v);
		if (s != NULL && s[0] == '<' && strlen(s) > 2 && s[strlen(s) - 1] == '>') {
			char *inner = g_strndup(s + 1, strlen(s) - 2);

			g_free(s);
			s = inner;
		}
		return s;
	default:
		return NULL;
	}
}

static char *key_of(int t, const char *norm)
{
	return g_strconcat(type_names[t], "\t", norm, NULL);
}

/* ---- changes ---- */

bool blockset_add(struct blockset *b, const char *type, const char *value)
{
	int t = type_of(type);
	char *norm, *item, *key;
	guint n;

	if (t < 0 || (norm = norm_value(t, value)) == NULL)
		return false;
	key = key_of(t, norm);
	item = g_strconcat(type, "\t", value, NULL);
	g_free(norm);
	pthread_rwlock_wrlock(&b->lk);
	if (g_hash_table_contains(b->items, item)) {
		g_free(item);
		g_free(key);
	} else {
		n = GPOINTER_TO_UINT(g_hash_table_lookup(b->keys, key));
		g_hash_table_replace(b->keys, g_strdup(key), GUINT_TO_POINTER(n + 1));
		g_hash_table_insert(b->items, item, key);
	}
	pthread_rwlock_unlock(&b->lk);
	return true;
}

bool blockset_remove(struct blockset *b, const char *type, const char *value)
{
	char *item, *key = NULL;
	gpointer k, v;

	if (type_of(type) < 0 || value == NULL)
		return false;
	item = g_strconcat(type, "\t", value, NULL);
	pthread_rwlock_wrlock(&b->lk);
	if (g_hash_table_steal_extended(b->items, item, &k, &v)) {
		guint n;

		key = v;
		n = GPOINTER_TO_UINT(g_hash_table_lookup(b->keys, key));
		if (n <= 1)
			g_hash_table_remove(b->keys, key);
		else
			g_hash_table_replace(b->keys, g_strdup(key), GUINT_TO_POINTER(n - 1));
		g_free(k);
	}
	pthread_rwlock_unlock(&b->lk);
	g_free(key);
	g_free(item);
	return true;
}

void blockset_clear(struct blockset *b)
{
	pthread_rwlock_wrlock(&b->lk);
	g_hash_table_remove_all(b->items);
	g_hash_table_remove_all(b->keys);
	pthread_rwlock_unlock(&b->lk);
}

size_t blockset_count(struct blockset *b)
{
	size_t n;

	pthread_rwlock_rdlock(&b->lk);
	n = g_hash_table_size(b->items);
	pthread_rwlock_unlock(&b->lk);
	return n;
}

void blockset_each(struct blockset *b, void (*fn)(void *ctx, const char *type, const char *value),
                   void *ctx)
{
	GHashTableIter it;
	gpointer k, v;

	pthread_rwlock_rdlock(&b->lk);
	g_hash_table_iter_init(&it, b->items);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		const char *item = k, *tab = strchr(item, '\t');
		char type[16];

		if (tab == NULL || (size_t)(tab - item) >= sizeof type)
			continue;
		memcpy(type, item, (size_t)(tab - item));
		type[tab - item] = 0;
		fn(ctx, type, tab + 1);
	}
	pthread_rwlock_unlock(&b->lk);
}

/* ---- matching ---- */

struct m {
	struct blockset *b;
	json_t *hits;
	GHashTable *seen; /* keys already reported */
	const char *root; /* the message's object path */
	size_t n;
};

static char *clip(const char *s)
{
	const char *end;

	if (strlen(s) <= EVIDENCE_MAX)
		return g_strdup(s);
	end = g_utf8_find_prev_char(s, s + EVIDENCE_MAX + 1);
	return g_strdup_printf("%.*s…", (int)(end - s), s);
}

static void report(struct m *m, int t, const char *key, const char *what, const char *shown,
                   const char *object)
{
	char *ev, *c;
	json_t *f;

	if (m->n >= BLOCKSET_MAX_HITS || g_hash_table_contains(m->seen, key))
		return;
	g_hash_table_add(m->seen, g_strdup(key));
	c = clip(shown);
	ev = g_strdup_printf("%s%s%s %s (vigild block list)", type_names[t], what ? " " : "",
	                     what ? what : "", c);
	f = json_pack("{s:s,s:s,s:s,s:i,s:s,s:[s],s:s}", "id", "ioc.block", "severity", "critical",
	              "title", "Indicator on the vigild block list (pushed to every gateway)",
	              "weight", 100, "object", object ? object : m->root, "attack", "T1566",
	              "evidence", ev);
	if (f != NULL) {
		json_array_append_new(m->hits, f);
		m->n++;
	}
	g_free(ev);
	g_free(c);
}

/* looks up (type, raw fact); reports a hit */
static void check(struct m *m, int t, const char *fact, const char *what, const char *object)
{
	char *norm, *key;

	if (fact == NULL || (norm = norm_value(t, fact)) == NULL)
		return;
	key = key_of(t, norm);
	if (g_hash_table_contains(m->b->keys, key))
		report(m, t, key, what, fact, object);
	g_free(key);
	g_free(norm);
}

/* a host and each of its parent domains; an address literal as an address */
static void check_host(struct m *m, const char *host, const char *what)
{
	char *h = norm_host(host), *ip;
	const char *p;

	if (h == NULL)
		return;
	if (h[0] == '[' && h[strlen(h) - 1] == ']') {
		h[strlen(h) - 1] = 0;
		memmove(h, h + 1, strlen(h));
	}
	if ((ip = norm_ip(h, AF_INET)) != NULL || (ip = norm_ip(h, AF_INET6)) != NULL) {
		check(m, strchr(ip, ':') ? BT_IPV6 : BT_IPV4, ip, what, NULL);
		g_free(ip);
		g_free(h);
		return;
	}
	for (p = h; p != NULL && *p; p = strchr(p, '.') ? strchr(p, '.') + 1 : NULL) {
		char *key = key_of(BT_DOMAIN, p);

		if (g_hash_table_contains(m->b->keys, key))
			report(m, BT_DOMAIN, key, what, h, NULL);
		g_free(key);
	}
	g_free(h);
}

static void check_sender(struct m *m, const char *addr, const char *what)
{
	const char *at;

	if (addr == NULL || *addr == 0)
		return;
	check(m, BT_EMAIL, addr, what, NULL);
	at = strrchr(addr, '@');
	if (at != NULL)
		check_host(m, at + 1, what);
}

static const char *str_at(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

size_t blockset_match(struct blockset *b, json_t *scan, const char *env_from,
                      const char *client_addr, json_t *hits)
{
	struct m m = {b, hits, NULL, NULL, 0};
	json_t *objs = json_object_get(scan, "objects"), *msg = json_object_get(scan, "message");
	json_t *x;
	size_t i;

	pthread_rwlock_rdlock(&b->lk);
	if (g_hash_table_size(b->keys) == 0) {
		pthread_rwlock_unlock(&b->lk);
		return 0;
	}
	m.seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	m.root = str_at(json_array_get(objs, 0), "path");
	if (m.root == NULL)
		m.root = "message";
	json_array_foreach(objs, i, x)
	{
		const char *path = str_at(x, "path");

		check(&m, BT_SHA256, str_at(x, "sha256"), NULL, path);
		check(&m, BT_SHA1, str_at(x, "sha1"), NULL, path);
		check(&m, BT_MD5, str_at(x, "md5"), NULL, path);
		check(&m, BT_FILENAME, str_at(x, "name"), NULL, path);
	}
	check_sender(&m, env_from, "envelope sender");
	json_array_foreach(json_object_get(msg, "from"), i, x)
	        check_sender(&m, json_string_value(x), "From");
	json_array_foreach(json_object_get(msg, "domains"), i, x)
	        check_host(&m, json_string_value(x), "link host");
	json_array_foreach(json_object_get(msg, "urls"), i, x)
	        check(&m, BT_URL, json_string_value(x), NULL, NULL);
	json_array_foreach(json_object_get(msg, "subject"), i, x)
	        check(&m, BT_SUBJECT, json_string_value(x), NULL, NULL);
	json_array_foreach(json_object_get(msg, "message_id"), i, x)
	        check(&m, BT_MESSAGE_ID, json_string_value(x), NULL, NULL);
	if (client_addr != NULL && *client_addr)
		check_host(&m, client_addr, "client");
	pthread_rwlock_unlock(&b->lk);
	g_hash_table_destroy(m.seen);
	return m.n;
}
