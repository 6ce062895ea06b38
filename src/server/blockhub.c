/*
 * blockhub.c - the block events streamed to the gateways (blocks.h,
 * docs/blocks.md).
 *
 *   GET /api/v1/stream/blocks     gateway token; Last-Event-ID (or ?after=)
 *                                 the last seq applied; ?stream= the stream
 *                                 identity it followed; ?gateway= its name
 *
 * The answer is text/event-stream: "retry", an "hello" event {stream,
 * head, after}, a "reset" event when the gateway's position cannot be
 * trusted (after > newest seq, or another database's stream), then every
 * event after that position as "id: SEQ / event: block / data: {seq, op,
 * type, value, at}", then live events as they commit, and ": keep-alive"
 * comments when idle (so a vanished gateway is noticed, and proxies keep
 * the connection).
 *
 * Threads: libmicrohttpd's threads call fill() for each stream (reading the
 * events from the store, at most FILL_BATCH at a time); the hub's thread
 * learns of new events (kick from this process, NOTIFY from other nodes,
 * polling max(seq) as a safety net), raises `head` and wakes the streams
 * behind it, and wakes every stream at each keep-alive tick. The list of
 * streams is under hub->mu, which http_stream_wake() and a stream's end
 * (done) both hold: a stream is never woken after it ended.
 */
#include "blocks.h"

#include <errno.h>
#include <glib.h>
#include <poll.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "access.h"
#include "api.h"
#include "milter/log.h"

#define FILL_BATCH 256
#define MAX_STREAMS 1024
#define LISTEN_RETRY_MS 5000

struct blockhub {
	struct vsrv *srv;
	pthread_t th;
	bool running;
	int kick_fd;  /* eventfd: kicks and stop */
	int stop;     /* atomic */
	int64_t head; /* atomic: the newest seq this node knows */
	unsigned keepalive_s;
	unsigned poll_ms;
	pthread_mutex_t mu; /* streams */
	GPtrArray *streams; /* struct bstream * */
	char stream_id[40];
	char node[128];
};

struct bstream {
	struct blockhub *hub;
	struct http_stream *hs;
	int64_t token_id;
	int64_t connected_ms;
	int64_t last; /* the last seq written out */
	GString *out; /* bytes not yet handed to the connection */
	size_t off;
	int64_t last_write_ms;
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *blockhub_stream_id(const struct blockhub *h)
{
	return h != NULL ? h->stream_id : "";
}

void blockhub_kick(struct blockhub *h)
{
	uint64_t one = 1;

	if (h != NULL)
		(void)!write(h->kick_fd, &one, sizeof one);
}

/* ---- the stream's identity ---- */

static int id_row(void *ctx, const struct store_val *c, int nc)
{
	char *out = ctx;

	if (nc > 0 && c[0].t == SV_TEXT)
		g_strlcpy(out, c[0].s, 40);
	return 0;
}

static int stream_id_tx(store_db *db, void *ctx, char **err)
{
	char *out = ctx;
	uint8_t raw[16];
	char hex[33];
	struct store_val v;
	int rc;

	out[0] = 0;
	rc = store_sql(db, "SELECT id FROM block_stream", NULL, 0, id_row, out, err);
	if (rc != STORE_OK || out[0] != 0)
		return rc;
	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
	v = store_text(hex);
	rc = store_sql(db, "INSERT INTO block_stream (id) VALUES (?) ON CONFLICT DO NOTHING", &v, 1,
	               NULL, NULL, err);
	if (rc == STORE_OK)
		rc = store_sql(db, "SELECT id FROM block_stream", NULL, 0, id_row, out, err);
	return rc;
}

/* ---- the hub's thread ---- */

static int head_tx(store_db *db, void *ctx, char **err)
{
	return blocks_head(db, ctx, err);
}

/* wakes every stream, or (behind) those not yet at head */
static void wake(struct blockhub *h, bool all)
{
	int64_t head = __atomic_load_n(&h->head, __ATOMIC_ACQUIRE);

	pthread_mutex_lock(&h->mu);
	for (guint i = 0; i < h->streams->len; i++) {
		struct bstream *s = h->streams->pdata[i];

		/* s->last is the stream's own; a stale read only costs a wake */
		if (all || __atomic_load_n(&s->last, __ATOMIC_RELAXED) < head)
			http_stream_wake(s->hs);
	}
	pthread_mutex_unlock(&h->mu);
}

static void refresh_head(struct blockhub *h)
{
	int64_t head = 0;
	char *err = NULL;

	if (store_with(h->srv->st, 0, head_tx, &head, &err) != STORE_OK) {
		vlog_warn("blocks", "cannot read the newest block event: %s", err ? err : "?");
		free(err);
		return;
	}
	if (head != __atomic_load_n(&h->head, __ATOMIC_ACQUIRE)) {
		/* a lower head (the database was restored) wakes them too: their
		 * fill finds nothing newer, and a reconnect gets a reset */
		__atomic_store_n(&h->head, head, __ATOMIC_RELEASE);
		wake(h, false);
	}
}

static void *hub_main(void *arg)
{
	struct blockhub *h = arg;
	store_listener *lis = NULL;
	int64_t next_listen = 0, next_tick = mono_ms() + (int64_t)h->keepalive_s * 1000;
	int64_t next_poll = 0;
	bool pg = strcmp(store_backend(h->srv->st), "postgresql") == 0;

	while (!__atomic_load_n(&h->stop, __ATOMIC_ACQUIRE)) {
		struct pollfd pf[2] = {{h->kick_fd, POLLIN, 0}, {-1, POLLIN, 0}};
		int64_t now = mono_ms(), wait;
		bool changed = false;

		if (pg && lis == NULL && now >= next_listen) {
			char *err = NULL;

			if (store_listen_open(h->srv->st, BLOCKS_CHANNEL, &lis, &err) != STORE_OK) {
				vlog_warn("blocks",
				          "cannot LISTEN for other nodes' block events (%s); "
				          "polling every %u ms until it works",
				          err ? err : "?", h->poll_ms);
				next_listen = now + LISTEN_RETRY_MS;
			} else {
				changed = true; /* what did we miss while not listening? */
			}
			free(err);
		}
		pf[1].fd = store_listen_fd(lis);
		wait = next_poll - now;
		if (next_tick - now < wait)
			wait = next_tick - now;
		if (wait < 0)
			wait = 0;
		if (poll(pf, lis != NULL ? 2 : 1, (int)wait) < 0 && errno != EINTR) {
			vlog_error("blocks", "poll: %s", g_strerror(errno));
			sleep(1);
		}
		if (pf[0].revents & POLLIN) {
			uint64_t n;

			(void)!read(h->kick_fd, &n, sizeof n);
			changed = true;
		}
		if (lis != NULL && (pf[1].revents & (POLLIN | POLLERR | POLLHUP))) {
			int n = store_listen_drain(lis);

			if (n < 0) {
				vlog_warn("blocks", "the LISTEN connection was lost; reconnecting");
				store_listen_close(lis);
				lis = NULL;
				next_listen = mono_ms() + 200;
			}
			changed = changed || n != 0;
		}
		now = mono_ms();
		if (now >= next_poll) {
			changed = true;
			next_poll = now + h->poll_ms;
		}
		if (changed && !__atomic_load_n(&h->stop, __ATOMIC_ACQUIRE))
			refresh_head(h);
		if (now >= next_tick) {
			wake(h, true); /* keep-alives */
			next_tick = now + (int64_t)h->keepalive_s * 1000;
		}
	}
	store_listen_close(lis);
	return NULL;
}

struct blockhub *blockhub_start(struct vsrv *srv, unsigned keepalive_s, const char *node,
                                char **err)
{
	struct blockhub *h = g_new0(struct blockhub, 1);
	const char *env = getenv("VIGIL_BLOCKS_POLL_MS"); /* tests: prove NOTIFY alone works */
	char *e = NULL;

	h->srv = srv;
	h->keepalive_s = keepalive_s ? keepalive_s : 15;
	/* SQLite: one machine, and this process kicks itself; the poll only
	 * covers other processes. PostgreSQL: NOTIFY wakes us; the poll is a
	 * safety net for a notification lost with its connection */
	h->poll_ms = strcmp(store_backend(srv->st), "postgresql") == 0 ? 5000 : 1000;
	if (env != NULL && strtoul(env, NULL, 10) >= 10)
		h->poll_ms = (unsigned)strtoul(env, NULL, 10);
	g_strlcpy(h->node, node ? node : "vigild", sizeof h->node);
	pthread_mutex_init(&h->mu, NULL);
	h->streams = g_ptr_array_new();
	h->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (h->kick_fd < 0) {
		*err = g_strdup_printf("eventfd: %s", g_strerror(errno));
		goto fail;
	}
	if (store_with(srv->st, 1, stream_id_tx, h->stream_id, &e) != STORE_OK ||
	    store_with(srv->st, 0, head_tx, &h->head, &e) != STORE_OK) {
		*err = g_strdup_printf("block stream: %s", e ? e : "store error");
		free(e);
		goto fail;
	}
	if (pthread_create(&h->th, NULL, hub_main, h) != 0) {
		*err = g_strdup("cannot start the block stream's thread");
		goto fail;
	}
	h->running = true;
	return h;
fail:
	blockhub_free(h);
	return NULL;
}

void blockhub_stop(struct blockhub *h)
{
	if (h == NULL)
		return;
	__atomic_store_n(&h->stop, 1, __ATOMIC_RELEASE);
	if (h->running) {
		blockhub_kick(h);
		pthread_join(h->th, NULL);
		h->running = false;
	}
	/* every stream's next fill sees `stop` and ends */
	wake(h, true);
}

void blockhub_free(struct blockhub *h)
{
	if (h == NULL)
		return;
	blockhub_stop(h);
	if (h->kick_fd >= 0)
		close(h->kick_fd);
	g_ptr_array_free(h->streams, TRUE);
	pthread_mutex_destroy(&h->mu);
	g_free(h);
}

/* ---- one stream ---- */

static void sse_event(GString *out, int64_t seq, const char *event, json_t *data)
{
	char *d = json_dumps(data, JSON_COMPACT | JSON_ENSURE_ASCII);

	/* JSON_COMPACT has no newline, so data is one line */
	if (seq > 0)
		g_string_append_printf(out, "id: %lld\n", (long long)seq);
	g_string_append_printf(out, "event: %s\ndata: %s\n\n", event, d ? d : "{}");
	free(d);
}

struct batch {
	GString *out;
	int64_t last;
	int64_t token_id;
	int64_t live; /* the gateway's token is still valid */
};

static int event_row(void *ctx, const struct store_val *c, int nc)
{
	struct batch *b = ctx;
	json_t *d;

	if (nc < 5 || c[0].t != SV_INT || c[1].t != SV_TEXT || c[2].t != SV_TEXT ||
	    c[3].t != SV_TEXT)
		return 0;
	d = json_pack("{s:I,s:s,s:s,s:s,s:o}", "seq", (json_int_t)c[0].i, "op", c[1].s, "type",
	              c[2].s, "value", c[3].s, "at", json_time(c[4].t == SV_INT ? c[4].i : 0));
	if (d != NULL)
		sse_event(b->out, c[0].i, "block", d);
	json_decref(d);
	b->last = c[0].i;
	return 0;
}

static int events_tx(store_db *db, void *ctx, char **err)
{
	struct batch *b = ctx;
	struct store_val p[] = {store_int(b->last), store_int(FILL_BATCH)};
	struct store_val t = store_int(b->token_id);
	int rc;

	/* a token revoked while its stream is open gets no more events */
	rc = store_sql(db, "SELECT count(*) FROM api_tokens WHERE id = ? AND revoked = 0", &t, 1,
	               store_row_int, &b->live, err);
	if (rc != STORE_OK || b->live == 0)
		return rc;
	return store_sql(db,
	                 "SELECT seq, op, type, value, at_ms FROM block_events WHERE seq > ? "
	                 "ORDER BY seq LIMIT ?",
	                 p, 2, event_row, b, err);
}

static ssize_t stream_fill(void *ctx, char *buf, size_t max)
{
	struct bstream *s = ctx;
	struct blockhub *h = s->hub;
	int64_t now = mono_ms();
	size_t n;

	if (s->off >= s->out->len) {
		g_string_truncate(s->out, 0);
		s->off = 0;
		if (__atomic_load_n(&h->stop, __ATOMIC_ACQUIRE))
			return -1;
		if (s->last < __atomic_load_n(&h->head, __ATOMIC_ACQUIRE)) {
			struct batch b = {s->out, s->last, s->token_id, 0};
			char *err = NULL;

			if (store_with(h->srv->st, 0, events_tx, &b, &err) != STORE_OK ||
			    b.live == 0) {
				/* the gateway reconnects and asks again (a revoked
				 * token is then refused) */
				vlog_warn("blocks", "stream of gateway %lld ends: %s",
				          (long long)s->token_id,
				          b.live == 0 && err == NULL ? "its token was revoked"
				          : err                      ? err
				                                     : "store error");
				free(err);
				return -1;
			}
			__atomic_store_n(&s->last, b.last, __ATOMIC_RELAXED);
		}
		/* the ticks come every keepalive_s, not in step with this stream's
		 * writes: 3/4 of it keeps the gaps near keepalive_s, never twice it */
		if (s->out->len == 0 && now - s->last_write_ms >= (int64_t)h->keepalive_s * 750)
			g_string_append(s->out, ": keep-alive\n\n");
		if (s->out->len == 0)
			return 0;
	}
	n = s->out->len - s->off;
	if (n > max)
		n = max;
	memcpy(buf, s->out->str + s->off, n);
	s->off += n;
	s->last_write_ms = now;
	return (ssize_t)n;
}

struct conn_tx {
	const struct caller *c;
	const char *host;
	const char *node;
	int64_t now, head;
};

static int connect_tx(store_db *db, void *ctx, char **err)
{
	struct conn_tx *t = ctx;
	struct store_val p[] = {store_int(t->c->token_id), store_text(t->c->token_name),
	                        store_text(t->host), store_int(t->now), store_text(t->node)};
	int rc = store_sql(db,
	                   "INSERT INTO gateways (token_id, name, host, connected_ms, node) VALUES "
	                   "(?, ?, ?, ?, ?) ON CONFLICT (token_id) DO UPDATE SET name = "
	                   "excluded.name, host = COALESCE(excluded.host, gateways.host), "
	                   "connected_ms = excluded.connected_ms, node = excluded.node",
	                   p, 5, NULL, NULL, err);

	if (rc == STORE_OK)
		rc = blocks_head(db, &t->head, err);
	return rc;
}

struct disc_tx {
	int64_t token_id, connected_ms, now;
};

static int disconnect_tx(store_db *db, void *ctx, char **err)
{
	struct disc_tx *t = ctx;
	struct store_val p[] = {store_int(t->now), store_int(t->token_id),
	                        store_int(t->connected_ms)};

	/* unless it reconnected (here or to another node) since */
	return store_sql(db,
	                 "UPDATE gateways SET disconnected_ms = ? WHERE token_id = ? AND "
	                 "connected_ms = ?",
	                 p, 3, NULL, NULL, err);
}

/* the connection ended (http.c: once, from libmicrohttpd's thread) */
static void stream_done(void *ctx)
{
	struct bstream *s = ctx;
	struct blockhub *h = s->hub;
	struct disc_tx t = {s->token_id, s->connected_ms, store_now_ms()};
	char *err = NULL;

	pthread_mutex_lock(&h->mu);
	g_ptr_array_remove_fast(h->streams, s);
	pthread_mutex_unlock(&h->mu);
	if (store_with(h->srv->st, 1, disconnect_tx, &t, &err) != STORE_OK)
		free(err);
	vlog_info("blocks", "gateway %lld disconnected (sent up to %lld)", (long long)s->token_id,
	          (long long)s->last);
	g_string_free(s->out, TRUE);
	g_free(s);
}

static bool digits(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	return n > 0 && n <= max && strspn(s, "0123456789") == n;
}

static bool printable(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

void api_blocks_stream(struct http_req *rq, struct http_resp *rs)
{
	struct vsrv *srv = rq->ctx;
	struct blockhub *h = srv->hub;
	const struct caller *c = rq->auth;
	const char *lei = http_header(rq, "Last-Event-ID");
	const char *after_q = http_query(rq, "after");
	const char *stream = http_query(rq, "stream");
	const char *host = http_query(rq, "gateway");
	struct conn_tx t = {.c = c, .node = h ? h->node : "", .now = store_now_ms()};
	struct bstream *s;
	bool reset;
	int64_t after = 0;
	char *err = NULL;
	json_t *hello;
	int rc;

	if (!access_require(rq, rs, RIGHT_GATEWAY))
		return;
	if (h == NULL) {
		http_error(rs, 503, "unavailable", "the block stream is not running");
		return;
	}
	if (lei == NULL)
		lei = after_q;
	if ((lei != NULL && !digits(lei, 18)) || (stream != NULL && !printable(stream, 64)) ||
	    (host != NULL && !printable(host, 128))) {
		http_error(rs, 400, "invalid",
		           "Last-Event-ID (or ?after=) must be a sequence number; ?stream= and "
		           "?gateway= short printable names");
		return;
	}
	if (lei != NULL)
		after = g_ascii_strtoll(lei, NULL, 10);
	pthread_mutex_lock(&h->mu);
	rc = h->streams->len >= MAX_STREAMS;
	pthread_mutex_unlock(&h->mu);
	if (rc) {
		http_error(rs, 503, "unavailable",
		           "too many gateways are connected; try again later");
		return;
	}
	t.host = host;
	rc = store_with(srv->st, 1, connect_tx, &t, &err);
	if (rc != STORE_OK) {
		store_unavailable(rs, rc, err);
		return;
	}
	/* a position this database never gave out: start over */
	reset = after > t.head || (stream != NULL && strcmp(stream, h->stream_id) != 0);
	s = g_new0(struct bstream, 1);
	s->hub = h;
	s->token_id = c->token_id;
	s->connected_ms = t.now;
	s->last = reset ? 0 : after;
	s->last_write_ms = mono_ms();
	s->out = g_string_new("retry: 2000\n\n");
	hello = json_pack("{s:s,s:I,s:I}", "stream", h->stream_id, "head", (json_int_t)t.head,
	                  "after", (json_int_t)s->last);
	sse_event(s->out, 0, "hello", hello);
	json_decref(hello);
	if (reset)
		g_string_append(s->out, "event: reset\ndata: {}\n\n");
	/* the head may lag behind the store (another node's commit not yet
	 * notified): this stream reads up to what the store has */
	if (t.head > __atomic_load_n(&h->head, __ATOMIC_ACQUIRE))
		blockhub_kick(h);
	rs->status = 200;
	rs->ctype = "text/event-stream";
	pthread_mutex_lock(&h->mu);
	s->hs = http_stream_start(rs, stream_fill, stream_done, s);
	g_ptr_array_add(h->streams, s);
	pthread_mutex_unlock(&h->mu);
	vlog_info("blocks", "gateway %s (token %lld%s%s) subscribed after %lld%s", c->token_name,
	          (long long)c->token_id, host ? ", " : "", host ? host : "", (long long)after,
	          reset ? ": reset, from the start" : "");
}
