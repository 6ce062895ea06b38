/*
 * http.h - vigild's HTTP layer over libmicrohttpd: routing, limits, JSON
 * bodies and errors, security headers, static files.
 *
 * A request is read whole (at most HTTP_MAX_BODY bytes: a larger one is
 * answered 413 without reading on) and handed to the handler of the first
 * route whose method and pattern match. Patterns are literal segments and
 * ":name" segments (one path segment, 1..128 bytes, no '/'), e.g.
 * "/api/v1/incidents/:id/indicators". The handler fills a struct http_resp;
 * the layer sends it with the security headers every response carries.
 * API errors have one shape: {"error": {"code": "...", "message": "..."}}.
 *
 * Ownership: everything in struct http_req lives until the response is
 * sent; json bodies in struct http_resp are taken (json_decref'ed) by the
 * layer.
 *
 * Streaming answers (server-sent events, GET /api/v1/stream/blocks): a
 * handler may call http_stream_start() instead of giving a body; see there.
 */
#ifndef VIGIL_SERVER_HTTP_H
#define VIGIL_SERVER_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HTTP_MAX_BODY (1u << 20)
#define HTTP_MAX_PARAMS 4

struct http_req {
	const char *method;
	const char *path;                    /* without the query */
	const char *params[HTTP_MAX_PARAMS]; /* ":name" segments, in order */
	int nparams;
	const char *body;
	size_t body_len;
	char client[64]; /* peer address */
	void *conn;      /* struct MHD_Connection */
	void *ctx;       /* the server's context */
	void *auth;      /* set by the server's authentication step */
};

struct http_resp {
	int status;
	json_t *json; /* body as JSON, or */
	char *body;   /* a malloc'ed body (freed by the layer) */
	size_t body_len;
	const char *ctype; /* for body */
	char *set_cookie[2];
	const char *cache;          /* Cache-Control; default no-store */
	char *location;             /* for redirects */
	char *filename;             /* Content-Disposition: attachment; filename=... */
	const char *lang;           /* "vi" or "en": the language of error messages */
	struct http_stream *stream; /* set by http_stream_start() */
};

typedef void (*http_handler)(struct http_req *rq, struct http_resp *rs);

struct http_route {
	const char *method;
	const char *pattern;
	http_handler fn;
};

typedef struct http_server http_server;

/*
 * Starts serving on addr ("127.0.0.1:8480", "[::1]:8480", ":8480" for any
 * address) with threads worker threads. routes ends with {NULL}. before, if
 * not NULL, runs first for every request (authentication); it may answer
 * (set rs->status) to stop the request there. web_dir: static files for
 * paths outside /api/ (NULL: none). TLS when cert and key files are given.
 */
http_server *http_start(const char *addr, unsigned threads, const struct http_route *routes,
                        http_handler before, const char *web_dir, const char *tls_cert,
                        const char *tls_key, void *ctx, char **err);
void http_stop(http_server *h);
/* The port actually bound (for ":0" in tests). */
unsigned http_port(const http_server *h);

/* Request helpers (valid during the handler). */
const char *http_header(struct http_req *rq, const char *name);
const char *http_cookie(struct http_req *rq, const char *name);
const char *http_query(struct http_req *rq, const char *name);
/* The body parsed as a JSON object, or NULL with *why set (a 400 message). */
json_t *http_body_json(struct http_req *rq, const char **why);

/*
 * A streaming answer: a body of unknown length (chunked), produced while it
 * is sent. The handler sets rs->status (200) and rs->ctype and calls this;
 * fill(ctx, buf, max) is then called whenever the connection can take more:
 * it copies at most max bytes and returns how many, 0 when it has nothing
 * now, or -1 to end the stream. After a 0 the connection is suspended (it
 * holds no thread) until http_stream_wake(); a wake that comes while fill
 * runs, or before the first fill, is not lost. done(ctx) is called exactly
 * once, when the connection ends (client gone, server stopping, or the
 * handler answered something else after all); the handle is invalid once
 * done returned, so whoever wakes must synchronise with done (the caller's
 * own lock, held around wake and inside done). http_stop() ends live
 * streams first (libmicrohttpd must not stop with suspended connections).
 * A suspended connection notices a vanished client only at its next write:
 * streams should send something (a keep-alive) now and then.
 */
typedef ssize_t (*http_stream_fill)(void *ctx, char *buf, size_t max);
struct http_stream *http_stream_start(struct http_resp *rs, http_stream_fill fill,
                                      void (*done)(void *ctx), void *ctx);
/* Any thread: the stream has something to send (resumes its connection). */
void http_stream_wake(struct http_stream *s);

/* Response helpers. */
void http_json(struct http_resp *rs, int status, json_t *body);
void http_error(struct http_resp *rs, int status, const char *code, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

#endif
