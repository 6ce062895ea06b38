/*
 * http.c - vigild's HTTP layer (http.h).
 *
 * libmicrohttpd runs a pool of polling threads; each request's state
 * (struct reqstate) collects the body up to HTTP_MAX_BODY and is freed by
 * the completion callback. Validation is a straight line of early answers:
 * body too large → 413, unknown API path → 404, known path with another
 * method → 405, then the server's `before` step (authentication), then the
 * route. Static files: only regular files under web_dir, opened with
 * openat(O_NOFOLLOW) after the path was checked segment by segment (no
 * "..", no dot files, no NUL, no backslash), with a fixed list of types.
 *
 * Streams (http_stream_start, for server-sent events): a response from
 * libmicrohttpd's content-reader callback, chunked. When the owner has
 * nothing to send the connection is suspended (MHD_ALLOW_SUSPEND_RESUME)
 * and resumed by http_stream_wake(), so an idle stream holds no thread.
 * Each stream has a mutex around "suspended" and "pending" so a wake racing
 * with the reader is never lost and a connection is never resumed unless it
 * was suspended (libmicrohttpd's rule). The server keeps its live streams
 * in a list, reference-counted, so http_stop() can resume them (and they
 * end) without holding the list's lock while it calls libmicrohttpd.
 */
#include "http.h"

#include "tr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_PATH_LEN 2048
#define MAX_SEGMENT 128
#define MAX_STATIC (16u << 20)

struct http_server {
	struct MHD_Daemon *d;
	const struct http_route *routes;
	http_handler before;
	int web_fd;
	void *ctx;
	char *cert, *key;
	pthread_mutex_t smu; /* streams */
	struct http_stream *streams;
	int stopping; /* atomic: http_stop() began; streams end */
};

struct http_stream {
	pthread_mutex_t mu;
	http_server *h;           /* set when the response is queued */
	struct MHD_Connection *c; /* ditto */
	http_stream_fill fill;
	void (*done)(void *ctx);
	void *ctx;
	bool suspended; /* under mu */
	bool pending;   /* under mu: woken since the reader last looked */
	/* h->streams, under h->smu; refs: the list's (until the response is
	 * freed) plus http_stop's while it resumes */
	struct http_stream *prev, *next;
	int refs;
	bool linked;
};

struct reqstate {
	GString *body;
	bool too_large;
};

/* ---- static files ---- */

static const struct {
	const char *ext;
	const char *type;
} ctypes[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".woff2", "font/woff2"},
        {".txt", "text/plain; charset=utf-8"},
};

static const char *ctype_of(const char *path)
{
	const char *dot = strrchr(path, '.');

	for (size_t i = 0; dot != NULL && i < G_N_ELEMENTS(ctypes); i++)
		if (strcmp(dot, ctypes[i].ext) == 0)
			return ctypes[i].type;
	return NULL;
}

/* "a/b.js" if every segment is a plain name; NULL otherwise */
static bool safe_rel(const char *rel)
{
	const char *p = rel;

	if (*p == 0 || strlen(p) > MAX_PATH_LEN)
		return false;
	while (*p) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		if (n == 0 || n > MAX_SEGMENT || p[0] == '.')
			return false;
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)p[i] < 0x20 || p[i] == '\\' || p[i] == ':')
				return false;
		p += n;
		if (*p == '/')
			p++;
	}
	return true;
}

static void serve_static(http_server *h, struct http_req *rq, struct http_resp *rs)
{
	const char *rel = rq->path + 1;
	const char *type;
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd = -1;

	if (h->web_fd < 0 || strcmp(rq->method, "GET") != 0) {
		http_error(rs, 404, "not_found", "no such page");
		return;
	}
	if (*rel == 0)
		rel = "index.html";
	type = ctype_of(rel);
	if (!safe_rel(rel) || type == NULL) {
		http_error(rs, 404, "not_found", "no such page");
		return;
	}
	fd = openat(h->web_fd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_STATIC) {
		http_error(rs, 404, "not_found", "no such page");
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		http_error(rs, 503, "unavailable", "out of memory; try again");
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	rs->status = 200;
	rs->body = buf;
	rs->body_len = got;
	rs->ctype = type;
	rs->cache = "no-cache";
	buf = NULL;
out:
	free(buf);
	if (fd >= 0)
		close(fd);
}

/* ---- routing ---- */

/* matches path against pattern, filling params; false if it does not */
static bool match(const char *pattern, const char *path, struct http_req *rq, char *scratch,
                  size_t scratch_len)
{
	const char *p = pattern, *u = path;
	size_t used = 0;

	rq->nparams = 0;
	while (*p && *u) {
		if (*p == ':') {
			const char *pe = strchr(p, '/');
			const char *ue = strchr(u, '/');
			size_t n = ue ? (size_t)(ue - u) : strlen(u);

			if (n == 0 || n > MAX_SEGMENT || rq->nparams >= HTTP_MAX_PARAMS ||
			    n + 1 > scratch_len - used)
				return false;
			memcpy(scratch + used, u, n);
			scratch[used + n] = 0;
			rq->params[rq->nparams++] = scratch + used;
			used += n + 1;
			p = pe ? pe : p + strlen(p);
			u += n;
			continue;
		}
		if (*p != *u)
			return false;
		p++;
		u++;
	}
	return *p == 0 && *u == 0;
}

/* ---- responses ---- */

void http_json(struct http_resp *rs, int status, json_t *body)
{
	if (rs->json != NULL)
		json_decref(rs->json);
	rs->status = status;
	rs->json = body;
}

void http_error(struct http_resp *rs, int status, const char *code, const char *fmt, ...)
{
	va_list ap;
	char msg[1024];

	va_start(ap, fmt);
	if (strcmp(fmt, "%s") == 0) /* a reason chosen by the caller: translate it */
		snprintf(msg, sizeof msg, "%s", tr(rs->lang, va_arg(ap, const char *)));
	else
		vsnprintf(msg, sizeof msg, tr(rs->lang, fmt), ap);
	va_end(ap);
	http_json(rs, status, json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", msg));
}

/* ---- streams ---- */

struct http_stream *http_stream_start(struct http_resp *rs, http_stream_fill fill,
                                      void (*done)(void *ctx), void *ctx)
{
	struct http_stream *s = g_new0(struct http_stream, 1);

	pthread_mutex_init(&s->mu, NULL);
	s->fill = fill;
	s->done = done;
	s->ctx = ctx;
	rs->stream = s;
	return s;
}

void http_stream_wake(struct http_stream *s)
{
	pthread_mutex_lock(&s->mu);
	s->pending = true;
	if (s->suspended) {
		s->suspended = false;
		MHD_resume_connection(s->c);
	}
	pthread_mutex_unlock(&s->mu);
}

static void stream_unref(http_server *h, struct http_stream *s)
{
	bool last;

	pthread_mutex_lock(&h->smu);
	last = --s->refs == 0;
	pthread_mutex_unlock(&h->smu);
	if (last) {
		pthread_mutex_destroy(&s->mu);
		g_free(s);
	}
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct http_stream *s = cls;
	ssize_t n;

	(void)pos;
	if (__atomic_load_n(&s->h->stopping, __ATOMIC_ACQUIRE))
		return MHD_CONTENT_READER_END_OF_STREAM;
	pthread_mutex_lock(&s->mu);
	s->pending = false;
	pthread_mutex_unlock(&s->mu);
	n = s->fill(s->ctx, buf, max);
	if (n != 0)
		return n > 0 ? n : MHD_CONTENT_READER_END_OF_STREAM;
	/* nothing now: sleep until a wake. One that came while fill ran (or
	 * the server stopping) resumes at once, so it is not lost */
	pthread_mutex_lock(&s->mu);
	MHD_suspend_connection(s->c);
	if (s->pending || __atomic_load_n(&s->h->stopping, __ATOMIC_ACQUIRE))
		MHD_resume_connection(s->c);
	else
		s->suspended = true;
	pthread_mutex_unlock(&s->mu);
	return 0;
}

/* libmicrohttpd frees the response: the connection is over */
static void stream_free(void *cls)
{
	struct http_stream *s = cls;
	http_server *h = s->h;

	s->done(s->ctx);
	pthread_mutex_lock(&h->smu);
	if (s->linked) {
		if (s->prev != NULL)
			s->prev->next = s->next;
		else
			h->streams = s->next;
		if (s->next != NULL)
			s->next->prev = s->prev;
		s->linked = false;
	}
	pthread_mutex_unlock(&h->smu);
	stream_unref(h, s);
}

/* a stream the handler started but did not answer with (an error after all) */
static void stream_drop(struct http_stream *s)
{
	s->done(s->ctx);
	pthread_mutex_destroy(&s->mu);
	g_free(s);
}

static struct MHD_Response *stream_response(http_server *h, struct MHD_Connection *c,
                                            struct http_stream *s)
{
	struct MHD_Response *r;

	s->h = h;
	s->c = c;
	s->refs = 1;
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, stream_read, s, stream_free);
	if (r == NULL) {
		stream_drop(s);
		return NULL;
	}
	pthread_mutex_lock(&h->smu);
	s->next = h->streams;
	if (s->next != NULL)
		s->next->prev = s;
	h->streams = s;
	s->linked = true;
	pthread_mutex_unlock(&h->smu);
	return r;
}

/* ends every live stream: resumed, each reader sees `stopping` and ends */
static void streams_stop(http_server *h)
{
	GPtrArray *live = g_ptr_array_new();

	__atomic_store_n(&h->stopping, 1, __ATOMIC_RELEASE);
	pthread_mutex_lock(&h->smu);
	for (struct http_stream *s = h->streams; s != NULL; s = s->next) {
		s->refs++;
		g_ptr_array_add(live, s);
	}
	pthread_mutex_unlock(&h->smu);
	for (guint i = 0; i < live->len; i++) {
		struct http_stream *s = live->pdata[i];

		http_stream_wake(s);
		stream_unref(h, s);
	}
	g_ptr_array_free(live, TRUE);
}

static enum MHD_Result send_resp(http_server *h, struct MHD_Connection *c, struct http_resp *rs)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char *text = NULL;
	const char *ctype = rs->ctype;

	if (rs->status == 0)
		http_error(rs, 500, "internal", "the server did not answer this request");
	if (rs->stream != NULL && (rs->status != 200 || rs->json != NULL)) {
		stream_drop(rs->stream);
		rs->stream = NULL;
	}
	if (rs->stream != NULL) {
		r = stream_response(h, c, rs->stream);
		rs->stream = NULL;
	} else if (rs->json != NULL) {
		text = json_dumps(rs->json, JSON_COMPACT | JSON_ENSURE_ASCII);
		if (text == NULL)
			text = strdup(
			        "{\"error\":{\"code\":\"internal\",\"message\":\"encoding\"}}");
		r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
		ctype = "application/json";
	} else if (rs->body != NULL) {
		r = MHD_create_response_from_buffer(rs->body_len, rs->body, MHD_RESPMEM_MUST_FREE);
		rs->body = NULL;
	} else {
		r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	}
	if (r == NULL)
		return MHD_NO;
	if (ctype != NULL)
		MHD_add_response_header(r, "Content-Type", ctype);
	MHD_add_response_header(r, "Cache-Control", rs->cache ? rs->cache : "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Content-Security-Policy",
	                        "default-src 'self'; img-src 'self' data:; style-src 'self'; "
	                        "script-src 'self'; frame-ancestors 'none'; form-action 'self'; "
	                        "base-uri 'none'");
	for (int i = 0; i < 2; i++)
		if (rs->set_cookie[i] != NULL)
			MHD_add_response_header(r, "Set-Cookie", rs->set_cookie[i]);
	if (rs->location != NULL)
		MHD_add_response_header(r, "Location", rs->location);
	if (rs->filename != NULL) {
		char cd[300];

		snprintf(cd, sizeof cd, "attachment; filename=\"%s\"", rs->filename);
		MHD_add_response_header(r, "Content-Disposition", cd);
	}
	ret = MHD_queue_response(c, (unsigned)rs->status, r);
	MHD_destroy_response(r);
	return ret;
}

static void resp_free(struct http_resp *rs)
{
	if (rs->stream != NULL)
		stream_drop(rs->stream);
	if (rs->json != NULL)
		json_decref(rs->json);
	free(rs->body);
	for (int i = 0; i < 2; i++)
		g_free(rs->set_cookie[i]);
	g_free(rs->location);
	g_free(rs->filename);
}

/* ---- request helpers ---- */

const char *http_header(struct http_req *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
}

const char *http_cookie(struct http_req *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_COOKIE_KIND, name);
}

const char *http_query(struct http_req *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, name);
}

json_t *http_body_json(struct http_req *rq, const char **why)
{
	json_error_t je;
	json_t *j;

	if (rq->body == NULL || rq->body_len == 0) {
		*why = "the request needs a JSON object as its body";
		return NULL;
	}
	j = json_loadb(rq->body, rq->body_len, JSON_REJECT_DUPLICATES, &je);
	if (j == NULL) {
		*why = "the body is not valid JSON";
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		*why = "the body must be a JSON object";
		return NULL;
	}
	return j;
}

/* ---- the access handler ---- */

static void client_addr(struct MHD_Connection *c, char *out, size_t n)
{
	const union MHD_ConnectionInfo *ci =
	        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	snprintf(out, n, "?");
	if (ci == NULL || ci->client_addr == NULL)
		return;
	if (ci->client_addr->sa_family == AF_INET)
		inet_ntop(AF_INET,
		          &((const struct sockaddr_in *)(const void *)ci->client_addr)->sin_addr,
		          out, (socklen_t)n);
	else if (ci->client_addr->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
		          &((const struct sockaddr_in6 *)(const void *)ci->client_addr)->sin6_addr,
		          out, (socklen_t)n);
}

static void dispatch(http_server *h, struct http_req *rq, struct http_resp *rs)
{
	char scratch[HTTP_MAX_PARAMS * (MAX_SEGMENT + 1)];
	bool path_known = false;

	if (strlen(rq->path) > MAX_PATH_LEN) {
		http_error(rs, 414, "uri_too_long", "the address is too long");
		return;
	}
	if (strncmp(rq->path, "/api/", 5) != 0) {
		serve_static(h, rq, rs);
		return;
	}
	for (const struct http_route *r = h->routes; r->method != NULL; r++) {
		if (!match(r->pattern, rq->path, rq, scratch, sizeof scratch))
			continue;
		path_known = true;
		if (strcmp(r->method, rq->method) != 0)
			continue;
		if (h->before != NULL) {
			h->before(rq, rs);
			if (rs->status != 0)
				return;
		}
		r->fn(rq, rs);
		return;
	}
	if (path_known)
		http_error(rs, 405, "method_not_allowed", "%s is not allowed on %s", rq->method,
		           rq->path);
	else
		http_error(rs, 404, "not_found", "no such API endpoint: %s", rq->path);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
	http_server *h = cls;
	struct reqstate *st = *con_cls;
	struct http_req rq;
	struct http_resp rs;
	enum MHD_Result ret;

	(void)version;
	if (st == NULL) {
		st = g_new0(struct reqstate, 1);
		st->body = g_string_new(NULL);
		*con_cls = st;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (!st->too_large && st->body->len + *upload_size <= HTTP_MAX_BODY)
			g_string_append_len(st->body, upload_data, (gssize)*upload_size);
		else
			st->too_large = true;
		*upload_size = 0;
		return MHD_YES;
	}
	memset(&rq, 0, sizeof rq);
	memset(&rs, 0, sizeof rs);
	rq.method = method;
	rq.path = url;
	rq.body = st->body->str;
	rq.body_len = st->body->len;
	rq.conn = c;
	rq.ctx = h->ctx;
	client_addr(c, rq.client, sizeof rq.client);
	{
		const char *al = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept-Language");

		rs.lang = al != NULL && g_ascii_strncasecmp(al, "vi", 2) == 0 ? "vi" : "en";
	}
	if (st->too_large)
		http_error(&rs, 413, "too_large", "the request body is larger than %u bytes",
		           HTTP_MAX_BODY);
	else
		dispatch(h, &rq, &rs);
	g_free(rq.auth); /* the server's before step allocates it with g_new */
	ret = send_resp(h, c, &rs);
	resp_free(&rs);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct reqstate *st = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (st == NULL)
		return;
	g_string_free(st->body, TRUE);
	g_free(st);
	*con_cls = NULL;
}

static bool parse_addr(const char *addr, struct sockaddr_storage *ss, char **err)
{
	const char *colon = strrchr(addr, ':');
	char host[128];
	unsigned long port;
	char *end;

	memset(ss, 0, sizeof *ss);
	if (colon == NULL || (size_t)(colon - addr) >= sizeof host)
		goto bad;
	port = strtoul(colon + 1, &end, 10);
	if (*end != 0 || end == colon + 1 || port > 65535)
		goto bad;
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = 0;
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		host[strlen(host) - 1] = 0;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
			goto bad;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		if (host[0] == 0)
			s4->sin_addr.s_addr = htonl(INADDR_ANY);
		else if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			goto bad;
	}
	return true;
bad:
	*err = g_strdup_printf(
	        "listen = %s: expected HOST:PORT (127.0.0.1:8480, [::1]:8480, :8480)", addr);
	return false;
}

http_server *http_start(const char *addr, unsigned threads, const struct http_route *routes,
                        http_handler before, const char *web_dir, const char *tls_cert,
                        const char *tls_key, void *ctx, char **err)
{
	http_server *h = g_new0(http_server, 1);
	struct sockaddr_storage ss;
	/* suspend/resume: idle streams hold no thread (http_stream_start) */
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME;
	GError *ge = NULL;

	h->routes = routes;
	h->before = before;
	h->ctx = ctx;
	h->web_fd = -1;
	pthread_mutex_init(&h->smu, NULL);
	if (!parse_addr(addr, &ss, err))
		goto fail;
	if (web_dir != NULL && *web_dir) {
		h->web_fd = open(web_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (h->web_fd < 0) {
			*err = g_strdup_printf("web folder %s: %s", web_dir, g_strerror(errno));
			goto fail;
		}
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (tls_cert != NULL && *tls_cert) {
		if (!g_file_get_contents(tls_cert, &h->cert, NULL, &ge) ||
		    !g_file_get_contents(tls_key, &h->key, NULL, &ge)) {
			*err = g_strdup_printf("TLS certificate or key: %s", ge->message);
			g_error_free(ge);
			goto fail;
		}
		flags |= MHD_USE_TLS;
	}
	h->d = MHD_start_daemon(
	        flags, 0, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	        MHD_OPTION_THREAD_POOL_SIZE, threads ? threads : 2u, MHD_OPTION_CONNECTION_LIMIT,
	        512u, MHD_OPTION_PER_IP_CONNECTION_LIMIT, 64u, MHD_OPTION_CONNECTION_TIMEOUT, 30u,
	        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(256u << 10),
	        MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
	        h->cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, h->cert,
	        MHD_OPTION_HTTPS_MEM_KEY, h->key, MHD_OPTION_END);
	if (h->d == NULL) {
		*err = g_strdup_printf("cannot listen on %s (in use, or not allowed)", addr);
		goto fail;
	}
	return h;
fail:
	http_stop(h);
	return NULL;
}

unsigned http_port(const http_server *h)
{
	const union MHD_DaemonInfo *i;

	if (h == NULL || h->d == NULL)
		return 0;
	i = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	return i ? i->port : 0;
}

void http_stop(http_server *h)
{
	if (h == NULL)
		return;
	if (h->d != NULL) {
		/* libmicrohttpd must not stop with suspended connections */
		streams_stop(h);
		MHD_stop_daemon(h->d);
	}
	if (h->web_fd >= 0)
		close(h->web_fd);
	pthread_mutex_destroy(&h->smu);
	g_free(h->cert);
	g_free(h->key);
	g_free(h);
}
