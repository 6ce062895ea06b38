/*
 * milter.c - the libmilter side of vigil-milter: collect, scan, decide,
 * record, act. Runs in the milter process (forked by the master, see
 * main.c); libmilter gives each SMTP connection a thread.
 *
 * A message is spooled to an unnamed file (O_TMPFILE) in spool_dir as it
 * arrives: the headers as "Name: value\r\n", then the body as Postfix sends
 * it. At end of message the file descriptor goes to a scan worker (no
 * copy); the worker's JSON result decides the action (policy_decide). Order
 * at end of message, so that nothing is lost or silently passed:
 *   1. a release token (X-Vigil-Release) from `vigil quarantine release`:
 *      first copy delivered unscanned, a duplicate discarded, a forgery
 *      scanned like any other message;
 *   2. spool errors and oversize messages get their configured actions;
 *   3. scan; a dead or timed-out worker gives the policy's `error` action
 *      (tempfail by default), never accept; then vigild's block list
 *      (blockset.h): a hit is an ioc.block finding, critical, and makes the
 *      message malicious, so the policy treats it like an indicator;
 *   4. quarantine (durable) if that is the action; failure -> tempfail;
 *   5. the record goes to the store, else to the journal; if neither takes
 *      it the message is tempfailed (and a fresh quarantine copy removed),
 *      so every message that passes has a record;
 *   6. headers and the reply to Postfix.
 * X-Vigil-* headers that arrive from outside are deleted in every case,
 * but for an X-Vigil-Drill marker that verifies (below).
 *
 * Drill mail (decision 0014, docs/scenarios.md): after the scan, an
 * X-Vigil-Drill marker is checked against [milter] drill_key_file here, not
 * in the engine, which never holds the key. A marker that verifies makes
 * the record drill = 1 and the action `tag` whatever the verdict (the
 * findings are kept: the teams must see what the gateway saw), and keeps
 * the marker header so the report mailbox can match forwarded copies. A
 * marker that does not (bad signature, malformed, several markers, no key)
 * adds drill.forged_marker (HIGH, titles from the engine's catalogue) and
 * the message is handled as real mail. vigild's block list still applies
 * to drill mail: a team that blocks the drill sender has contained it, and
 * the team exercise measures exactly that.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <grp.h>
#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>
#include <netinet/in.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../store/store.h"
#include "blockset.h"
#include "blocksub.h"
#include "config.h"
#include "drill/drill.h"
#include "log.h"
#include "metrics.h"
#include "milter.h"
#include "pool.h"
#include "quarantine.h"

#define MAX_RCPTS 10000
#define MAX_HEADERS 20000
#define REASONS_MAX 900
#define SPOOL_BUF (64u << 10)

static struct milter_config *cfg;
static pool *pl;
static quar *qr;
static journal *jr;
static store *st;
static pthread_mutex_t st_lock = PTHREAD_MUTEX_INITIALIZER; /* guards opening st */
static struct blockset *blocks;   /* vigild's block list, or NULL ([vigild] unset) */
static struct blocksub *blocksub; /* its subscription */
static struct blocksub_cfg blocksub_cfg;

struct msg {
	int fd;
	uint64_t size;
	bool oversize;
	bool werr;
	char *env_from;
	GPtrArray *rcpts;
	bool auth;
	GPtrArray *strip;   /* "name\tindex" of X-Vigil-* headers to delete */
	GHashTable *hcount; /* lower-case X-Vigil-* name -> occurrences */
	char *release;      /* X-Vigil-Release value */
	char *drill;        /* first X-Vigil-Drill value (bounded), or NULL */
	unsigned n_drill;   /* X-Vigil-Drill headers seen */
	bool drill_valid;   /* the marker verified: keep its header */
	unsigned nheaders;
	int64_t start_ms;
	int64_t eom_us; /* when end of message arrived */
	uint8_t *wbuf;  /* spool write buffer */
	size_t wlen;
};

struct conn {
	char addr[INET6_ADDRSTRLEN + 1];
	struct msg *m;
	unsigned long proto; /* protocol steps agreed with the MTA (SMFIP_*) */
};

/*
 * Ask the MTA not to wait for our reply to every header and body chunk,
 * nor to send what we do not use: each reply is a write and a context
 * switch in both processes, and they were most of the milter's cost.
 */
#define WANT_STEPS                                                                                 \
	(SMFIP_NOHELO | SMFIP_NOUNKNOWN | SMFIP_NODATA | SMFIP_NR_CONN | SMFIP_NR_RCPT |           \
	 SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_NR_BODY | SMFIP_HDR_LEADSPC)

static sfsistat reply(const struct conn *c, unsigned long step)
{
	return (c != NULL && (c->proto & step)) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static struct conn *conn_get(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c == NULL) {
		c = g_new0(struct conn, 1);
		smfi_setpriv(ctx, c);
	}
	return c;
}

static sfsistat on_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
                             unsigned long f3, unsigned long *pf0, unsigned long *pf1,
                             unsigned long *pf2, unsigned long *pf3)
{
	struct conn *c = conn_get(ctx);
	const unsigned long acts = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE;

	(void)f2, (void)f3;
	if ((f0 & acts) != acts)
		return SMFIS_REJECT; /* an MTA that cannot take our actions */
	*pf0 = acts;
	c->proto = f1 & WANT_STEPS;
	*pf1 = c->proto;
	*pf2 = 0;
	*pf3 = 0;
	return SMFIS_CONTINUE;
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void new_uid(char out[33])
{
	uint8_t r[16];
	static const char hx[] = "0123456789abcdef";

	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
		/* never expected; fall back to time and address entropy */
		int64_t t = wall_ms() ^ (int64_t)(uintptr_t)&r;

		memcpy(r, &t, sizeof t);
		memcpy(r + 8, &t, sizeof t);
	}
	for (int i = 0; i < 16; i++) {
		out[2 * i] = hx[r[i] >> 4];
		out[2 * i + 1] = hx[r[i] & 15];
	}
	out[32] = 0;
}

static void msg_free(struct msg *m)
{
	if (m == NULL)
		return;
	if (m->fd >= 0)
		close(m->fd);
	g_free(m->env_from);
	if (m->rcpts)
		g_ptr_array_unref(m->rcpts);
	if (m->strip)
		g_ptr_array_unref(m->strip);
	if (m->hcount)
		g_hash_table_destroy(m->hcount);
	g_free(m->release);
	g_free(m->drill);
	g_free(m->wbuf);
	g_free(m);
}

/*
 * The milter's copy of a message lives in an anonymous memory file: it is
 * never the copy of record (Postfix keeps that in its queue), and a file
 * system inode per message was the largest cost of the milter process.
 * spool_dir is used only where memfd_create is missing.
 */
static int spool_open(void)
{
	int fd = memfd_create("vigil-message", MFD_CLOEXEC);

	if (fd >= 0)
		return fd;
	fd = open(cfg->spool_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		char *path = g_build_filename(cfg->spool_dir, "msg-XXXXXX", NULL);

		fd = g_mkstemp_full(path, O_RDWR | O_CLOEXEC, 0600);
		if (fd >= 0)
			unlink(path);
		g_free(path);
	}
	return fd;
}

static void spool_raw(struct msg *m, const uint8_t *b, size_t n)
{
	while (n > 0 && !m->werr) {
		ssize_t w = write(m->fd, b, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			m->werr = true;
			vlog_error("milter", "spool write failed: %s", g_strerror(errno));
			break;
		}
		b += w;
		n -= (size_t)w;
	}
}

static void spool_flush(struct msg *m)
{
	spool_raw(m, m->wbuf, m->wlen);
	m->wlen = 0;
}

/* headers arrive in many small pieces: gather them, write in 64 KiB blocks */
static void spool_write(struct msg *m, const void *p, size_t n)
{
	if (m->werr || m->oversize)
		return;
	if (n > cfg->max_message_size - m->size) {
		m->oversize = true;
		return;
	}
	m->size += n;
	if (m->wbuf == NULL)
		m->wbuf = g_malloc(SPOOL_BUF);
	if (n > SPOOL_BUF - m->wlen)
		spool_flush(m);
	if (n >= SPOOL_BUF) {
		spool_raw(m, p, n); /* a large body chunk goes straight through */
		return;
	}
	memcpy(m->wbuf + m->wlen, p, n);
	m->wlen += n;
}

/* ---- callbacks ---- */

static sfsistat on_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	struct conn *c = conn_get(ctx);

	(void)host;
	if (sa != NULL && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)sa)->sin_addr, c->addr, sizeof c->addr);
	else if (sa != NULL && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)sa)->sin6_addr, c->addr,
		          sizeof c->addr);
	return reply(c, SMFIP_NR_CONN);
}

static sfsistat tempfail_now(SMFICTX *ctx, const char *why)
{
	vlog_error("milter", "%s: tempfailing the message", why);
	smfi_setreply(ctx, "451", "4.3.0", "Temporary local problem; please retry later (vigil)");
	return SMFIS_TEMPFAIL;
}

static sfsistat on_envfrom(SMFICTX *ctx, char **argv)
{
	struct conn *c = smfi_getpriv(ctx);
	struct msg *m;
	const char *auth = smfi_getsymval(ctx, "{auth_authen}");

	if (c == NULL)
		return tempfail_now(ctx, "no connection state");
	msg_free(c->m);
	m = c->m = g_new0(struct msg, 1);
	m->fd = spool_open();
	m->rcpts = g_ptr_array_new_with_free_func(g_free);
	m->strip = g_ptr_array_new_with_free_func(g_free);
	m->hcount = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	m->start_ms = mono_ms();
	m->auth = auth != NULL && *auth;
	if (argv != NULL && argv[0] != NULL) {
		const char *f = argv[0];
		size_t l = strlen(f);

		/* "<a@b>" -> "a@b" */
		if (l >= 2 && f[0] == '<' && f[l - 1] == '>')
			m->env_from = g_strndup(f + 1, l - 2);
		else
			m->env_from = g_strdup(f);
	}
	if (m->fd < 0)
		return tempfail_now(ctx, "cannot open a spool file");
	metrics_in_flight(1);
	return SMFIS_CONTINUE;
}

static sfsistat on_envrcpt(SMFICTX *ctx, char **argv)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c == NULL || c->m == NULL)
		return reply(c, SMFIP_NR_RCPT);
	if (argv != NULL && argv[0] != NULL && c->m->rcpts->len < MAX_RCPTS) {
		const char *r = argv[0];
		size_t l = strlen(r);

		if (l >= 2 && r[0] == '<' && r[l - 1] == '>')
			g_ptr_array_add(c->m->rcpts, g_strndup(r + 1, l - 2));
		else
			g_ptr_array_add(c->m->rcpts, g_strdup(r));
	}
	return reply(c, SMFIP_NR_RCPT);
}

static sfsistat on_header(SMFICTX *ctx, char *name, char *value)
{
	struct conn *c = smfi_getpriv(ctx);
	struct msg *m;

	if (c == NULL || (m = c->m) == NULL || name == NULL)
		return reply(c, SMFIP_NR_HDR);
	m->nheaders++;
	if (g_ascii_strncasecmp(name, "X-Vigil-", 8) == 0) {
		char *low = g_ascii_strdown(name, -1);
		size_t n = GPOINTER_TO_SIZE(g_hash_table_lookup(m->hcount, low)) + 1;

		g_hash_table_replace(m->hcount, low, GSIZE_TO_POINTER(n));
		if (m->strip->len < 1000)
			g_ptr_array_add(m->strip, g_strdup_printf("%s\t%zu", name, n));
		if (g_ascii_strcasecmp(name, "X-Vigil-Release") == 0 && m->release == NULL &&
		    value != NULL)
			m->release = g_strstrip(g_strdup(value));
		if (g_ascii_strcasecmp(name, DRILL_HEADER) == 0) {
			m->n_drill++;
			/* longer than any marker: enough to fail the parse, no more */
			if (m->drill == NULL && value != NULL)
				m->drill = g_strndup(value, DRILL_MARKER_MAX + 1);
		}
	}
	if (m->nheaders > MAX_HEADERS)
		return reply(c, SMFIP_NR_HDR); /* still scanned: the body follows */
	spool_write(m, name, strlen(name));
	/* with SMFIP_HDR_LEADSPC the value keeps its own leading blank */
	spool_write(m, ":", 1);
	if (!(c->proto & SMFIP_HDR_LEADSPC))
		spool_write(m, " ", 1);
	if (value != NULL) {
		/* folded values come with bare LF; the spool uses CRLF throughout */
		const char *p = value, *nl;

		while ((nl = strchr(p, '\n')) != NULL) {
			size_t len = (size_t)(nl - p);

			if (len > 0 && p[len - 1] == '\r')
				len--;
			spool_write(m, p, len);
			spool_write(m, "\r\n", 2);
			p = nl + 1;
		}
		spool_write(m, p, strlen(p));
	}
	spool_write(m, "\r\n", 2);
	return reply(c, SMFIP_NR_HDR);
}

static sfsistat on_eoh(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c != NULL && c->m != NULL)
		spool_write(c->m, "\r\n", 2);
	return reply(c, SMFIP_NR_EOH);
}

static sfsistat on_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c != NULL && c->m != NULL)
		spool_write(c->m, chunk, len);
	return reply(c, SMFIP_NR_BODY);
}

/* ---- the record ---- */

struct scan_view {
	json_t *root; /* the worker's JSON, or NULL */
	int verdict;  /* 0 clean, 1 suspicious, 2 malicious, -1 unscanned */
	int score;
	int max_sev;
	GPtrArray *ids; /* const char*: finding ids */
	double scan_ms;
};

static int sev_index(const char *s)
{
	return vigil_severity_parse(s);
}

static void view_parse(struct scan_view *v, const char *text)
{
	json_t *f;
	size_t i;
	const char *vs;

	v->root = json_loads(text, 0, NULL);
	v->verdict = -1;
	v->max_sev = -1;
	v->ids = g_ptr_array_new();
	if (v->root == NULL || json_object_get(v->root, "error") != NULL)
		return;
	vs = json_string_value(json_object_get(v->root, "verdict"));
	if (vs == NULL)
		return;
	v->verdict = strcmp(vs, "clean") == 0 ? 0 : strcmp(vs, "suspicious") == 0 ? 1 : 2;
	v->score = (int)json_integer_value(json_object_get(v->root, "score"));
	v->scan_ms = json_real_value(json_object_get(v->root, "elapsed_ms"));
	json_array_foreach(json_object_get(v->root, "findings"), i, f)
	{
		int sv = sev_index(json_string_value(json_object_get(f, "severity")));
		const char *id = json_string_value(json_object_get(f, "id"));

		if (sv > v->max_sev)
			v->max_sev = sv;
		if (id != NULL)
			g_ptr_array_add(v->ids, (gpointer)id);
	}
}

static void view_free(struct scan_view *v)
{
	json_decref(v->root);
	if (v->ids)
		g_ptr_array_unref(v->ids);
}

/* strings of a JSON array of strings, as a C array that borrows them */
static const char **strv_of(json_t *a, size_t *n, GPtrArray *keep)
{
	const char **out;
	json_t *x;
	size_t i, k = 0;

	*n = 0;
	if (!json_is_array(a))
		return NULL;
	out = g_new0(const char *, json_array_size(a) + 1);
	json_array_foreach(a, i, x) if (json_is_string(x)) out[k++] = json_string_value(x);
	*n = k;
	g_ptr_array_add(keep, out);
	return out;
}

static const char *first_str(json_t *a)
{
	return json_is_array(a) && json_array_size(a) > 0 ? json_string_value(json_array_get(a, 0))
	                                                  : NULL;
}

struct record {
	struct store_msg m;
	GPtrArray *keep; /* arrays to free */
	struct store_attachment *atts;
	struct store_finding *finds;
	char *json;
};

static void record_build(struct record *r, const struct msg *m, const struct scan_view *v,
                         const char *uid, const char *queue_id, const char *direction,
                         const char *client, enum action act, const char *verdict_text)
{
	json_t *root = v->root, *facts = root ? json_object_get(root, "message") : NULL;
	json_t *objs = root ? json_object_get(root, "objects") : NULL, *o;
	json_t *finds = root ? json_object_get(root, "findings") : NULL, *f;
	size_t i, k;

	memset(r, 0, sizeof *r);
	r->keep = g_ptr_array_new_with_free_func(g_free);
	r->m.uid = uid;
	r->m.gateway = cfg->gateway;
	r->m.queue_id = queue_id;
	r->m.received_ms = wall_ms();
	r->m.direction = direction;
	r->m.client_addr = client;
	r->m.env_from = m->env_from ? m->env_from : "";
	r->m.env_rcpts = (const char *const *)m->rcpts->pdata;
	r->m.n_env_rcpts = m->rcpts->len;
	r->m.verdict = verdict_text;
	r->m.score = v->score;
	r->m.action = action_name(act);
	r->m.size = m->size;
	r->m.scan_ms = v->scan_ms;
	if (facts != NULL) {
		r->m.message_id = first_str(json_object_get(facts, "message_id"));
		r->m.date_header = first_str(json_object_get(facts, "date"));
		r->m.subject = first_str(json_object_get(facts, "subject"));
		r->m.hdr_from = strv_of(json_object_get(facts, "from"), &r->m.n_hdr_from, r->keep);
		r->m.hdr_to = strv_of(json_object_get(facts, "to"), &r->m.n_hdr_to, r->keep);
		r->m.urls = strv_of(json_object_get(facts, "urls"), &r->m.n_urls, r->keep);
		r->m.domains = strv_of(json_object_get(facts, "domains"), &r->m.n_domains, r->keep);
	}
	if (json_is_array(objs) && json_array_size(objs) > 1) {
		r->atts = g_new0(struct store_attachment, json_array_size(objs));
		k = 0;
		json_array_foreach(objs, i, o)
		{
			struct store_attachment *a;

			if (i == 0)
				continue; /* the message itself */
			a = &r->atts[k++];
			a->path = json_string_value(json_object_get(o, "path"));
			a->name = json_string_value(json_object_get(o, "name"));
			a->type = json_string_value(json_object_get(o, "type"));
			a->mime = json_string_value(json_object_get(o, "mime"));
			a->sha256 = json_string_value(json_object_get(o, "sha256"));
			a->sha1 = json_string_value(json_object_get(o, "sha1"));
			a->md5 = json_string_value(json_object_get(o, "md5"));
			a->size = (uint64_t)json_integer_value(json_object_get(o, "size"));
			a->depth = (unsigned)json_integer_value(json_object_get(o, "depth"));
		}
		r->m.atts = r->atts;
		r->m.n_atts = k;
	}
	if (json_is_array(finds) && json_array_size(finds) > 0) {
		r->finds = g_new0(struct store_finding, json_array_size(finds));
		json_array_foreach(finds, i, f)
		{
			struct store_finding *x = &r->finds[i];
			json_t *att = json_object_get(f, "attack"), *a;
			GString *as = g_string_new(NULL);
			size_t j;

			x->id = json_string_value(json_object_get(f, "id"));
			x->severity = json_string_value(json_object_get(f, "severity"));
			x->title = json_string_value(json_object_get(f, "title"));
			x->object = json_string_value(json_object_get(f, "object"));
			x->evidence = json_string_value(json_object_get(f, "evidence"));
			json_array_foreach(att, j, a) g_string_append_printf(
			        as, "%s%s", j ? "," : "", json_string_value(a));
			x->attack = as->str;
			g_ptr_array_add(r->keep, g_string_free(as, FALSE));
		}
		r->m.finds = r->finds;
		r->m.n_finds = json_array_size(finds);
	}
}

static void record_free(struct record *r)
{
	g_ptr_array_unref(r->keep);
	g_free(r->atts);
	g_free(r->finds);
	free(r->json);
}

/* store, else journal; false if neither took it */
static bool record_save(const struct store_msg *m)
{
	char *err = NULL;
	int rc = STORE_EUNAVAILABLE;
	/* the handle is thread-safe; only opening it takes st_lock */
	store *cur = __atomic_load_n(&st, __ATOMIC_ACQUIRE);

	if (cur != NULL)
		rc = store_put_message(cur, m, &err);
	if (rc == STORE_OK || rc == STORE_ECONFLICT) {
		free(err);
		return true;
	}
	metrics_store_error();
	if (cur != NULL)
		vlog_warn("store", "record %s goes to the journal: %s", m->uid,
		          err ? err : "store error");
	free(err);
	err = NULL;
	if (journal_append(jr, m, &err) == STORE_OK)
		return true;
	vlog_error("store", "record %s: the journal failed too: %s", m->uid, err ? err : "?");
	free(err);
	return false;
}

/* ---- replies and headers ---- */

static void set_reply(SMFICTX *ctx, const char *reply, const char *uid)
{
	char code[4] = "", xcode[16] = "", text[512];
	const char *p = reply;
	GString *t = g_string_new(NULL);

	if (strlen(p) >= 4 && g_ascii_isdigit(p[0]) && p[3] == ' ') {
		memcpy(code, p, 3);
		p += 4;
	}
	if (g_ascii_isdigit(p[0]) && p[1] == '.') {
		size_t l = strcspn(p, " ");

		if (l < sizeof xcode) {
			memcpy(xcode, p, l);
			xcode[l] = 0;
			p += l;
			while (*p == ' ')
				p++;
		}
	}
	/* printable ASCII only; %s becomes the record id */
	while (*p) {
		if (strncmp(p, "%s", 2) == 0) {
			g_string_append(t, uid);
			p += 2;
			continue;
		}
		if (*p >= 0x20 && *p < 0x7f && *p != '%')
			g_string_append_c(t, *p);
		p++;
	}
	g_strlcpy(text, t->str, sizeof text);
	g_string_free(t, TRUE);
	smfi_setreply(ctx, code[0] ? code : NULL, xcode[0] ? xcode : NULL, text);
}

static void strip_headers(SMFICTX *ctx, struct msg *m)
{
	/* delete from the last occurrence down so indexes stay valid */
	for (guint i = m->strip->len; i-- > 0;) {
		char *e = g_strdup(g_ptr_array_index(m->strip, i));
		char *tab = strchr(e, '\t');

		if (tab != NULL) {
			*tab = 0;
			if (!(m->drill_valid && g_ascii_strcasecmp(e, DRILL_HEADER) == 0))
				smfi_chgheader(ctx, e, (int)strtol(tab + 1, NULL, 10), NULL);
		}
		g_free(e);
	}
}

/* "id@object; ..." folded, ASCII, bounded */
static char *reasons_header(const struct scan_view *v)
{
	GString *s = g_string_new(NULL);
	json_t *f;
	size_t i, line = 0;

	json_array_foreach(json_object_get(v->root, "findings"), i, f)
	{
		const char *id = json_string_value(json_object_get(f, "id"));
		const char *obj = json_string_value(json_object_get(f, "object"));
		const char *sev = json_string_value(json_object_get(f, "severity"));
		GString *one;

		if (id == NULL || (sev != NULL && strcmp(sev, "info") == 0))
			continue;
		one = g_string_new(NULL);
		g_string_append_printf(one, "%s%s@%s", s->len ? "; " : "", id, obj ? obj : "?");
		for (size_t k = 0; k < one->len; k++)
			if ((guchar)one->str[k] < 0x20 || (guchar)one->str[k] > 0x7e)
				one->str[k] = '?';
		if (s->len + one->len > REASONS_MAX) {
			g_string_append(s, "; ...");
			g_string_free(one, TRUE);
			break;
		}
		if (line + one->len > 76 && s->len > 0) {
			g_string_append(s, "\n\t");
			line = 0;
		}
		g_string_append(s, one->str);
		line += one->len;
		g_string_free(one, TRUE);
	}
	if (s->len == 0)
		g_string_append(s, "none");
	return g_string_free(s, FALSE);
}

/* with SMFIP_HDR_LEADSPC negotiated, values we add carry their own blank too */
static void add_header(SMFICTX *ctx, const char *name, const char *value)
{
	const struct conn *c = smfi_getpriv(ctx);
	char *v =
	        g_strconcat((c != NULL && (c->proto & SMFIP_HDR_LEADSPC)) ? " " : "", value, NULL);

	smfi_addheader(ctx, (char *)name, v);
	g_free(v);
}

static void add_verdict_headers(SMFICTX *ctx, const struct scan_view *v, const char *verdict,
                                const char *uid)
{
	char score[16];

	add_header(ctx, "X-Vigil-Verdict", verdict);
	if (v->root != NULL) {
		char *r = reasons_header(v);

		g_snprintf(score, sizeof score, "%d", v->score);
		add_header(ctx, "X-Vigil-Score", score);
		add_header(ctx, "X-Vigil-Reasons", r);
		g_free(r);
	}
	add_header(ctx, "X-Vigil-Id", uid);
}

static const char *const verdict_names[3] = {"clean", "suspicious", "malicious"};

static void log_message(const struct record *r, const struct msg *m, const char *why,
                        const char *error)
{
	json_t *o = json_object();

	json_object_set_new(o, "msg", json_string("message"));
	json_object_set_new(o, "uid", json_string(r->m.uid));
	if (r->m.queue_id)
		json_object_set_new(o, "queue_id", json_string(r->m.queue_id));
	json_object_set_new(o, "direction", json_string(r->m.direction));
	json_object_set_new(o, "client", json_string(r->m.client_addr ? r->m.client_addr : ""));
	json_object_set_new(o, "from", json_string(r->m.env_from ? r->m.env_from : ""));
	json_object_set_new(o, "rcpts", json_integer((json_int_t)r->m.n_env_rcpts));
	if (r->m.subject)
		json_object_set_new(o, "subject", json_string(r->m.subject));
	json_object_set_new(o, "verdict", json_string(r->m.verdict));
	json_object_set_new(o, "score", json_integer(r->m.score));
	json_object_set_new(o, "action", json_string(r->m.action));
	json_object_set_new(o, "decided_by", json_string(why));
	if (r->m.drill)
		json_object_set_new(o, "drill", json_true());
	json_object_set_new(o, "size", json_integer((json_int_t)r->m.size));
	json_object_set_new(o, "scan_ms", json_real(r->m.scan_ms));
	/* what the gateway adds to the SMTP transaction: end of data to decision */
	json_object_set_new(o, "eom_ms",
	                    json_real((double)(g_get_monotonic_time() - m->eom_us) / 1000.0));
	if (error != NULL)
		json_object_set_new(o, "error", json_string(error));
	vlog_event(VLOG_INFO, "milter", o);
}

/* ---- end of message ---- */

/* verdict and score of the quarantined original of a release token "ID HMAC" */
static char *released_verdict(const char *token, int *score)
{
	char id[33], *meta = NULL, *out = NULL;
	json_t *j;

	*score = 0;
	if (strlen(token) < 32)
		return g_strdup("error");
	memcpy(id, token, 32);
	id[32] = 0;
	if (quar_get(qr, id, &meta, NULL) == QUAR_OK && (j = json_loads(meta, 0, NULL)) != NULL) {
		json_t *rec = json_object_get(j, "record");

		if (json_is_string(json_object_get(rec, "verdict")))
			out = g_strdup(json_string_value(json_object_get(rec, "verdict")));
		*score = (int)json_integer_value(json_object_get(rec, "score"));
		json_decref(j);
	}
	free(meta);
	return out ? out : g_strdup("error");
}

/* vigild's block list over the scan result: hits become findings */
static void check_blocks(struct scan_view *v, const struct msg *m, const char *client)
{
	json_t *hits, *finds, *f;
	size_t n, i;

	if (blocks == NULL || v->root == NULL)
		return;
	hits = json_array();
	n = blockset_match(blocks, v->root, m->env_from, client, hits);
	finds = json_object_get(v->root, "findings");
	if (n > 0 && json_is_array(finds)) {
		json_array_foreach(hits, i, f)
		{
			json_array_append(finds, f);
			/* borrowed from the finding, which v->root now holds */
			g_ptr_array_add(v->ids,
			                (gpointer)json_string_value(json_object_get(f, "id")));
		}
		v->verdict = 2;
		v->max_sev = VIGIL_SEV_CRITICAL;
		v->score = 100;
		json_object_set_new(v->root, "verdict", json_string("malicious"));
		json_object_set_new(v->root, "score", json_integer(100));
		metrics_block_hit();
	}
	json_decref(hits);
}

enum drill_state { DRILL_NONE = 0, DRILL_VALID, DRILL_FORGED };

/* the root object's path in the scan result, for findings about the message */
static const char *root_path(const struct scan_view *v)
{
	const char *p = json_string_value(
	        json_object_get(json_array_get(json_object_get(v->root, "objects"), 0), "path"));

	return p != NULL ? p : "message";
}

/*
 * The drill marker, if any: DRILL_VALID, or DRILL_FORGED with the finding
 * added to the scan result (score and verdict raised as the engine's
 * scoring would: a HIGH finding weighs 60, 30 is suspicious, 100 malicious).
 */
static enum drill_state drill_judge(struct scan_view *v, const struct msg *m)
{
	const char *why, *title = NULL, *attack = "";
	vigil_severity sev = VIGIL_SEV_HIGH;
	json_t *f, *finds, *att;
	int rc;

	if (m->n_drill == 0)
		return DRILL_NONE;
	if (m->n_drill > 1) {
		why = "several X-Vigil-Drill headers";
	} else if (!cfg->drill_key_loaded) {
		why = "this gateway has no drill key (drill_key_file)";
	} else {
		rc = drill_marker_verify(cfg->drill_key, m->drill);
		if (rc == DRILL_OK)
			return DRILL_VALID;
		why = rc == DRILL_EBADSIG ? "the signature does not verify" : "malformed marker";
	}
	if (v->root == NULL || !json_is_array(finds = json_object_get(v->root, "findings")))
		return DRILL_FORGED;
	(void)vigil_finding_catalogue("drill.forged_marker", &sev, &attack, &title, NULL);
	att = json_array();
	{
		char **parts = g_strsplit(attack, ",", 8);

		for (char **p = parts; *p != NULL; p++)
			if (**p)
				json_array_append_new(att, json_string(*p));
		g_strfreev(parts);
	}
	{
		/* the evidence quotes the marker, made printable and bounded */
		char shown[96];
		size_t k = 0;

		for (const char *p = m->drill; p != NULL && *p && k < sizeof shown - 4; p++)
			shown[k++] = (*p >= 0x20 && *p < 0x7f) ? *p : '?';
		if (m->drill != NULL && strlen(m->drill) > k)
			shown[k++] = '.', shown[k++] = '.', shown[k++] = '.';
		shown[k] = 0;
		f = json_pack("{s:s,s:s,s:s,s:i,s:s,s:o,s:s+++}", "id", "drill.forged_marker",
		              "severity", vigil_severity_name(sev), "title",
		              title ? title : "drill.forged_marker", "weight", 60, "object",
		              root_path(v), "attack", att, "evidence", why, ": \"", shown, "\"");
	}
	if (f == NULL)
		return DRILL_FORGED;
	json_array_append_new(finds, f);
	g_ptr_array_add(v->ids, (gpointer)json_string_value(json_object_get(f, "id")));
	if ((int)sev > v->max_sev)
		v->max_sev = (int)sev;
	v->score = v->score + 60 > 100 ? 100 : v->score + 60;
	if (v->score >= 100)
		v->verdict = 2;
	else if (v->verdict < 1)
		v->verdict = 1;
	json_object_set_new(v->root, "verdict", json_string(verdict_names[v->verdict]));
	json_object_set_new(v->root, "score", json_integer(v->score));
	return DRILL_FORGED;
}

static bool has_id(const struct scan_view *v, const char *id)
{
	for (guint i = 0; i < v->ids->len; i++)
		if (strcmp(g_ptr_array_index(v->ids, i), id) == 0)
			return true;
	return false;
}

static sfsistat finish(SMFICTX *ctx, struct conn *c)
{
	enum drill_state drill = DRILL_NONE;
	struct msg *m = c->m;
	struct scan_view v = {0};
	struct record rec;
	char uid[33], *result = NULL, *err = NULL, *env;
	const char *qid = smfi_getsymval(ctx, "i");
	const char *direction, *why = "verdict", *verdict_text, *error = NULL;
	const struct policy *pol;
	enum action act;
	bool quarantined = false;
	sfsistat ret = SMFIS_ACCEPT;

	new_uid(uid);
	direction = (m->auth || config_internal_addr(cfg, c->addr)) ? "outbound" : "inbound";
	pol = strcmp(direction, "outbound") == 0 ? &cfg->outbound : &cfg->inbound;

	/* 1. a message vigil released from its quarantine */
	if (m->release != NULL) {
		int r = quar_release_seen(qr, m->release);

		if (r == QUAR_RELEASE_FIRST || r == QUAR_RELEASE_DUPLICATE) {
			/* the record keeps the quarantined original's verdict: a released
			 * malicious copy is what a later hunt must find in the mailbox */
			char *orig = released_verdict(m->release, &v.score);

			v.verdict = -1;
			v.ids = g_ptr_array_new();
			act = r == QUAR_RELEASE_FIRST ? ACT_ACCEPT : ACT_DISCARD;
			record_build(&rec, m, &v, uid, qid, "release", c->addr, act, orig);
			if (!record_save(&rec.m)) {
				record_free(&rec);
				view_free(&v);
				g_free(orig);
				return tempfail_now(ctx, "cannot record a released message");
			}
			log_message(&rec, m, "release", NULL);
			strip_headers(ctx, m);
			if (act == ACT_ACCEPT) {
				add_header(ctx, "X-Vigil-Verdict", "released");
				add_header(ctx, "X-Vigil-Id", uid);
			}
			metrics_message("release", rec.m.verdict, action_name(act), 0, m->size);
			record_free(&rec);
			view_free(&v);
			g_free(orig);
			return act == ACT_ACCEPT ? SMFIS_ACCEPT : SMFIS_DISCARD;
		}
		/* a forged or unknown token: scanned like any other message */
	}

	/* 2-3. spool problems, size, scan */
	if (m->werr) {
		view_parse(&v, "{\"error\":\"spool\"}");
		act = (enum action)pol->error;
		error = "the message could not be spooled (disk full?)";
		why = "error";
		metrics_scan_error("spool");
	} else if (m->oversize) {
		view_parse(&v, "{\"error\":\"oversize\"}");
		act = (enum action)pol->oversize;
		error = "larger than max_message_size: not scanned";
		why = "oversize";
		metrics_scan_error("oversize");
	} else {
		json_t *e = json_object(), *ra = json_array();
		int rc;

		json_object_set_new(e, "name", json_string(qid ? qid : "message"));
		json_object_set_new(e, "env_from", json_string(m->env_from ? m->env_from : ""));
		json_object_set_new(e, "direction", json_string(direction));
		for (guint i = 0; i < m->rcpts->len; i++) {
			json_t *s = json_string(g_ptr_array_index(m->rcpts, i));

			if (s != NULL)
				json_array_append_new(ra, s);
		}
		json_object_set_new(e, "env_rcpts", ra);
		env = json_dumps(e, JSON_COMPACT | JSON_ENSURE_ASCII);
		json_decref(e);
		rc = pool_scan(pl, m->fd, env ? env : "{}", (int)(cfg->scan_timeout + 10) * 1000,
		               &result, &err);
		free(env);
		if (rc == POOL_OK)
			view_parse(&v, result);
		else
			view_parse(&v, "{\"error\":\"scan\"}");
		if (v.verdict < 0) {
			act = (enum action)pol->error;
			why = "error";
			error = err ? err : "the scan result could not be read";
			metrics_scan_error(rc == POOL_ETIMEOUT ? "timeout"
			                   : rc == POOL_OK     ? "engine"
			                                       : "worker");
		} else {
			check_blocks(&v, m, c->addr);
			drill = drill_judge(&v, m);
			act = policy_decide(pol, v.verdict, v.max_sev,
			                    (const char *const *)v.ids->pdata, v.ids->len, &why);
			if (drill == DRILL_VALID && !has_id(&v, "ioc.block")) {
				act = ACT_TAG;
				why = "drill";
			}
		}
	}
	m->drill_valid = drill == DRILL_VALID;
	verdict_text = v.verdict >= 0 ? verdict_names[v.verdict] : "error";

	/* 4. quarantine, durably, before Postfix forgets the message */
	record_build(&rec, m, &v, uid, qid, direction, c->addr, act, verdict_text);
	rec.m.drill = drill == DRILL_VALID;
	if (act == ACT_QUARANTINE) {
		char *qerr = NULL;

		rec.json = store_msg_to_json(&rec.m);
		if (quar_put(qr, uid, m->fd, NULL, 0, rec.json, &qerr) == QUAR_OK) {
			quarantined = true;
			rec.m.quarantine_id = uid;
		} else {
			vlog_error("quarantine", "cannot quarantine %s: %s", uid,
			           qerr ? qerr : "?");
			act = ACT_TEMPFAIL;
			rec.m.action = action_name(act);
			error = "quarantine failed";
			why = "error";
		}
		free(qerr);
	}

	/* 5. the record */
	if (!record_save(&rec.m)) {
		if (quarantined)
			quar_delete(qr, uid, "vigil-milter (record failed)", NULL);
		log_message(&rec, m, why, "record lost: message tempfailed");
		record_free(&rec);
		view_free(&v);
		free(result);
		g_free(err);
		return tempfail_now(ctx, "neither the store nor the journal took the record");
	}
	log_message(&rec, m, why, error);
	metrics_message(direction, verdict_text, action_name(act), v.scan_ms / 1000.0, m->size);

	/* 6. tell Postfix */
	strip_headers(ctx, m);
	switch (act) {
	case ACT_ACCEPT:
		ret = SMFIS_ACCEPT;
		break;
	case ACT_TAG:
		add_verdict_headers(ctx, &v, verdict_text, uid);
		ret = SMFIS_ACCEPT;
		break;
	case ACT_HOLD: {
		char reason[128];

		add_verdict_headers(ctx, &v, verdict_text, uid);
		g_snprintf(reason, sizeof reason, "vigil %s %s", verdict_text, uid);
		smfi_quarantine(ctx, reason);
		ret = SMFIS_ACCEPT;
		break;
	}
	case ACT_QUARANTINE:
	case ACT_DISCARD:
		ret = SMFIS_DISCARD;
		break;
	case ACT_REJECT:
		set_reply(ctx, m->oversize ? pol->oversize_reply : pol->reject_reply, uid);
		ret = SMFIS_REJECT;
		break;
	case ACT_TEMPFAIL:
	case ACT__COUNT:
		set_reply(ctx, pol->tempfail_reply, uid);
		ret = SMFIS_TEMPFAIL;
		break;
	}
	record_free(&rec);
	view_free(&v);
	free(result);
	g_free(err);
	return ret;
}

static sfsistat on_eom(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);
	sfsistat r;

	if (c == NULL || c->m == NULL)
		return tempfail_now(ctx, "end of message without a message");
	c->m->eom_us = g_get_monotonic_time();
	spool_flush(c->m);
	r = finish(ctx, c);
	msg_free(c->m);
	c->m = NULL;
	metrics_in_flight(-1);
	return r;
}

static sfsistat on_abort(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c != NULL && c->m != NULL) {
		msg_free(c->m);
		c->m = NULL;
		metrics_in_flight(-1);
	}
	return SMFIS_CONTINUE;
}

static sfsistat on_close(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c != NULL) {
		if (c->m != NULL) {
			msg_free(c->m);
			metrics_in_flight(-1);
		}
		g_free(c);
		smfi_setpriv(ctx, NULL);
	}
	return SMFIS_CONTINUE;
}

static struct smfiDesc desc = {
        .xxfi_name = "vigil",
        .xxfi_version = SMFI_VERSION,
        .xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE,
        .xxfi_connect = on_connect,
        .xxfi_envfrom = on_envfrom,
        .xxfi_envrcpt = on_envrcpt,
        .xxfi_header = on_header,
        .xxfi_eoh = on_eoh,
        .xxfi_body = on_body,
        .xxfi_eom = on_eom,
        .xxfi_abort = on_abort,
        .xxfi_close = on_close,
        .xxfi_negotiate = on_negotiate,
};

/* ---- background: journal replay and store reconnects ---- */

static void *replay_thread(void *arg)
{
	int64_t next_open = 0;

	(void)arg;
	for (;;) {
		sleep(2);
		pthread_mutex_lock(&st_lock);
		if (st == NULL && mono_ms() >= next_open) {
			char *err = NULL;
			store *fresh = NULL;

			if (store_open(cfg->db, &fresh, &err) == STORE_OK) {
				__atomic_store_n(&st, fresh, __ATOMIC_RELEASE);
				vlog_info("store", "connected to the store (%s)",
				          store_backend(fresh));
			} else {
				next_open = mono_ms() + 10000;
			}
			free(err);
		}
		pthread_mutex_unlock(&st_lock);
		if (st != NULL && journal_pending(jr) > 0) {
			size_t n = journal_replay(jr, st);

			if (n > 0)
				vlog_info("store", "replayed %zu journalled records; %zu waiting",
				          n, journal_pending(jr));
		}
	}
	return NULL;
}

/* ---- control socket: reload, status ---- */

static void gauges(struct metrics_gauges *g)
{
	struct pool_status ps;

	pool_status_get(pl, &ps);
	g->workers = ps.workers_alive;
	g->worker_restarts = ps.restarts;
	g->reloads_ok = ps.reloads_ok;
	g->reloads_failed = ps.reloads_failed;
	g->rules = ps.rules;
	g->indicators = ps.indicators;
	g->generation = ps.generation;
	g->journal_pending = jr ? journal_pending(jr) : 0;
	if (blocksub != NULL) {
		json_t *b = blocksub_status(blocksub);
		json_int_t acked = json_integer_value(json_object_get(b, "acked"));

		g->blocks = (unsigned long)json_integer_value(json_object_get(b, "blocks"));
		g->blocks_seq = (unsigned long)json_integer_value(json_object_get(b, "seq"));
		g->blocks_acked = acked > 0 ? (unsigned long)acked : 0;
		g->blocks_connected = json_is_true(json_object_get(b, "connected"));
		json_decref(b);
	}
}

static char *status_json(void)
{
	struct pool_status ps;
	json_t *o = json_object(), *w = json_array();
	char *t;

	pool_status_get(pl, &ps);
	for (int i = 0; i < POOL_MAX_WORKERS; i++)
		if (ps.workers[i] > 0)
			json_array_append_new(w, json_integer(ps.workers[i]));
	json_object_set_new(o, "version", json_string(VIGIL_VERSION));
	json_object_set_new(o, "gateway", json_string(cfg->gateway));
	json_object_set_new(o, "milter_pid", json_integer(getpid()));
	json_object_set_new(o, "supervisor_pid", json_integer(ps.supervisor));
	json_object_set_new(o, "workers", w);
	json_object_set_new(o, "generation", json_integer(ps.generation));
	json_object_set_new(o, "rules", json_integer((json_int_t)ps.rules));
	json_object_set_new(o, "indicators", json_integer((json_int_t)ps.indicators));
	json_object_set_new(o, "worker_restarts", json_integer((json_int_t)ps.restarts));
	json_object_set_new(o, "reloads_ok", json_integer((json_int_t)ps.reloads_ok));
	json_object_set_new(o, "reloads_failed", json_integer((json_int_t)ps.reloads_failed));
	json_object_set_new(o, "last_error", json_string(ps.last_error));
	json_object_set_new(o, "store", json_string(st ? store_backend(st) : "unavailable"));
	json_object_set_new(o, "journal_pending", json_integer((json_int_t)journal_pending(jr)));
	json_object_set_new(o, "blocks", blocksub_status(blocksub));
	t = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(o);
	return t;
}

static void control_serve(int c)
{
	char buf[256];
	ssize_t n = 0, r;
	char *out = NULL;

	while ((size_t)n < sizeof buf - 1) {
		r = read(c, buf + n, sizeof buf - 1 - (size_t)n);
		if (r <= 0)
			break;
		n += r;
		if (memchr(buf, '\n', (size_t)n) != NULL)
			break;
	}
	buf[n > 0 ? n : 0] = 0;
	g_strstrip(buf);
	if (strcmp(buf, "reload") == 0) {
		char *err = NULL;

		if (pool_reload(pl, 120000, &err) == 0) {
			struct pool_status ps;

			pool_status_get(pl, &ps);
			out = g_strdup_printf("ok generation %u, %lu rules, %lu indicators\n",
			                      ps.generation, ps.rules, ps.indicators);
		} else {
			out = g_strdup_printf("error %s\n", err ? err : "reload failed");
		}
		g_free(err);
	} else if (strcmp(buf, "status") == 0) {
		char *j = status_json();

		out = g_strdup_printf("%s\n", j);
		free(j);
	} else if (strcmp(buf, "metrics") == 0) {
		out = metrics_render();
	} else {
		out = g_strdup("error unknown command (reload, status, metrics)\n");
	}
	(void)!write(c, out, strlen(out));
	g_free(out);
}

static void *control_thread(void *arg)
{
	int lfd = GPOINTER_TO_INT(arg);

	for (;;) {
		int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		struct timeval tv = {5, 0};

		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			sleep(1);
			continue;
		}
		setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		control_serve(c);
		close(c);
	}
	return NULL;
}

static int control_listen(const char *path, char **err)
{
	struct sockaddr_un sa;
	int fd;

	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sa.sun_path) {
		*err = g_strdup_printf("%s: path too long", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 16) != 0) {
		*err = g_strdup_printf("%s: cannot listen: %s", path, g_strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	chmod(path, 0600);
	return fd;
}

/* the unix socket Postfix connects to: writable by the postfix group only */
static void milter_socket_perms(const char *conn)
{
	const char *path = NULL;
	struct group *g;

	if (g_str_has_prefix(conn, "unix:"))
		path = conn + 5;
	else if (g_str_has_prefix(conn, "local:"))
		path = conn + 6;
	else if (conn[0] == '/')
		path = conn;
	if (path == NULL)
		return;
	g = getgrnam("postfix");
	if (g != NULL && chown(path, (uid_t)-1, g->gr_gid) == 0) {
		chmod(path, 0660);
	} else {
		chmod(path, 0666);
		vlog_warn("milter",
		          "%s: no 'postfix' group: the socket is open to every local user", path);
	}
}

int milter_run(struct milter_config *c, pool *p)
{
	char *err = NULL;
	int cfd;
	pthread_t t;
	sigset_t none;

	cfg = c;
	pl = p;
	sigemptyset(&none);
	pthread_sigmask(SIG_SETMASK, &none, NULL);
	if (quar_open(cfg->quarantine_dir, &qr, &err) != QUAR_OK ||
	    journal_open(cfg->journal_dir, &jr, &err) != STORE_OK) {
		vlog_error("milter", "%s", err ? err : "cannot open the quarantine or the journal");
		return 2;
	}
	if (store_open(cfg->db, &st, &err) != STORE_OK) {
		vlog_warn("store", "store unavailable, journalling records until it is back: %s",
		          err ? err : "?");
		free(err);
		err = NULL;
		st = NULL;
	}
	if (cfg->vigild_url != NULL) {
		/* before any thread: libcurl's global state */
		curl_global_init(CURL_GLOBAL_DEFAULT);
		blocks = blockset_new();
		blocksub_cfg = (struct blocksub_cfg){cfg->vigild_url, cfg->vigild_token_file,
		                                     cfg->vigild_state_file, cfg->vigild_ca_file,
		                                     cfg->gateway};
	}
	if (cfg->metrics != NULL && *cfg->metrics &&
	    metrics_start(cfg->metrics, gauges, &err) != 0) {
		vlog_error("milter", "%s", err);
		return 2;
	}
	cfd = control_listen(cfg->control_socket, &err);
	if (cfd < 0) {
		vlog_error("milter", "%s", err);
		return 2;
	}
	if (smfi_setconn(cfg->socket) == MI_FAILURE || smfi_register(desc) == MI_FAILURE ||
	    smfi_opensocket(true) == MI_FAILURE) {
		vlog_error("milter", "%s: cannot open the milter socket", cfg->socket);
		return 2;
	}
	milter_socket_perms(cfg->socket);
	if (milter_drop_privileges(cfg->user, &err) != 0) {
		vlog_error("milter", "%s", err);
		return 2;
	}
	pthread_create(&t, NULL, control_thread, GINT_TO_POINTER(cfd));
	pthread_detach(t);
	pthread_create(&t, NULL, replay_thread, NULL);
	pthread_detach(t);
	/* after dropping privileges: the state file is the service user's */
	if (blocks != NULL && (blocksub = blocksub_start(&blocksub_cfg, blocks, &err)) == NULL) {
		vlog_error("blocks", "%s", err);
		return 2;
	}
	vlog_info("milter", "listening on %s (%u workers, store %s)", cfg->socket, cfg->workers,
	          st ? store_backend(st) : "unavailable: journalling");
	if (smfi_main() == MI_FAILURE) {
		vlog_error("milter", "libmilter stopped with an error");
		return 1;
	}
	metrics_stop();
	vlog_info("milter", "stopped");
	return 0;
}

int milter_drop_privileges(const char *user, char **err)
{
	struct passwd *pw;

	if (user == NULL || *user == 0 || getuid() != 0)
		return 0;
	pw = getpwnam(user);
	if (pw == NULL) {
		*err = g_strdup_printf("[milter] user = %s: no such user", user);
		return -1;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0) {
		*err = g_strdup_printf("cannot become %s: %s", user, g_strerror(errno));
		return -1;
	}
	return 0;
}
