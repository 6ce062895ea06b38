/*
 * blocksub.c - following vigild's block stream (blocksub.h).
 *
 * Ownership: struct blocksub is created once per milter process and lives
 * until it exits (its threads never stop; the process's end ends them).
 * The subscriber thread owns its curl handle, SSE parser and the position
 * it applied but has not saved; what both threads read (the saved position,
 * the acknowledged one, status) is under mu. The set has its own lock.
 *
 * Event data is JSON from vigild, checked anyway: a "block" event needs a
 * seq above the current one (older ones are replays: skipped), an op, a
 * type and a value; one the set refuses (a type this gateway does not know)
 * still advances the position, so one bad item cannot stall the stream.
 */
#include "blocksub.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sse.h"
#include "vigil/vigil.h"

#define MAX_STATE (64u << 20)
#define MAX_TOKEN 512
#define IDLE_TIMEOUT_S 60 /* no byte (not even a keep-alive) for this long: reconnect */
#define REFUSED_RETRY_S 10
#define BACKOFF_MAX_S 10

struct blocksub {
	const struct blocksub_cfg *cfg;
	struct blockset *set;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	long long seq;   /* applied and saved (mu) */
	long long acked; /* acknowledged to vigild, -1: not yet (mu) */
	bool hello;      /* vigild answered: our position is one it knows (mu) */
	bool connected;  /* (mu) */
	char stream[65]; /* the stream identity followed (mu) */
	char last_error[256];
	/* the subscriber thread's own */
	CURL *curl;
	struct sse *sse;
	long code;
	long long cur; /* applied, maybe not yet saved */
	bool dirty;
	char *new_stream;
	GString *errbody;
	int64_t last_byte_ms;
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set_error(struct blocksub *s, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static void set_error(struct blocksub *s, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&s->mu);
	va_start(ap, fmt);
	vsnprintf(s->last_error, sizeof s->last_error, fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&s->mu);
}

/* ---- the state file ---- */

int blocksub_state_load(const char *path, struct blockset *set, long long *seq, char *stream,
                        size_t stream_len, char **err)
{
	json_error_t je;
	json_t *j, *b, *x;
	struct stat st;
	size_t i;

	*seq = 0;
	if (stream_len > 0)
		stream[0] = 0;
	if (stat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		*err = g_strdup_printf("%s: %s", path, g_strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)MAX_STATE) {
		*err = g_strdup_printf("%s: not a regular file of at most %u bytes", path,
		                       MAX_STATE);
		return -1;
	}
	j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (j == NULL || !json_is_integer(json_object_get(j, "seq")) ||
	    json_integer_value(json_object_get(j, "seq")) < 0 ||
	    !json_is_array(json_object_get(j, "blocks"))) {
		*err = g_strdup_printf("%s: not a block state file (%s)", path,
		                       j == NULL ? je.text : "fields");
		json_decref(j);
		return -1;
	}
	*seq = json_integer_value(json_object_get(j, "seq"));
	if (json_is_string(json_object_get(j, "stream")) && stream_len > 0)
		g_strlcpy(stream, json_string_value(json_object_get(j, "stream")), stream_len);
	b = json_object_get(j, "blocks");
	json_array_foreach(b, i, x)
	{
		const char *t = json_string_value(json_array_get(x, 0));
		const char *v = json_string_value(json_array_get(x, 1));

		if (t != NULL && v != NULL)
			(void)blockset_add(set, t, v);
	}
	json_decref(j);
	return 0;
}

static void add_item(void *ctx, const char *type, const char *value)
{
	json_array_append_new(ctx, json_pack("[s,s]", type, value));
}

int blocksub_state_save(const char *path, struct blockset *set, long long seq, const char *stream,
                        char **err)
{
	json_t *j = json_object(), *b = json_array();
	char *text, *tmp = g_strconcat(path, ".tmp", NULL);
	size_t n, off = 0;
	int fd = -1, rc = -1;

	blockset_each(set, add_item, b);
	json_object_set_new(j, "version", json_integer(1));
	json_object_set_new(j, "stream", json_string(stream ? stream : ""));
	json_object_set_new(j, "seq", json_integer(seq));
	json_object_set_new(j, "blocks", b);
	text = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(j);
	if (text == NULL) {
		*err = g_strdup("out of memory");
		goto out;
	}
	n = strlen(text);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		goto fail;
	while (off < n) {
		ssize_t w = write(fd, text + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		off += (size_t)w;
	}
	/* the new state is on disk before it replaces the old */
	if (fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	rc = 0;
	goto out;
fail:
	*err = g_strdup_printf("%s: %s", tmp, g_strerror(errno));
	unlink(tmp);
out:
	if (fd >= 0)
		close(fd);
	free(text);
	g_free(tmp);
	return rc;
}

/* ---- the token ---- */

static char *read_token(const char *path, char **why)
{
	char buf[MAX_TOKEN + 1];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	char *t;

	if (fd < 0) {
		*why = g_strdup_printf("token_file %s: %s", path, g_strerror(errno));
		return NULL;
	}
	n = read(fd, buf, MAX_TOKEN);
	close(fd);
	if (n <= 0) {
		*why = g_strdup_printf("token_file %s is empty", path);
		return NULL;
	}
	buf[n] = 0;
	t = g_strstrip(buf);
	/* it goes into a header: printable ASCII only */
	for (const char *p = t; *p; p++)
		if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e) {
			*why = g_strdup_printf("token_file %s: not a token", path);
			return NULL;
		}
	if (*t == 0) {
		*why = g_strdup_printf("token_file %s is empty", path);
		return NULL;
	}
	return g_strdup(t);
}

/* ---- events ---- */

static int on_event(void *ctx, const char *event, const char *data, size_t len, const char *id)
{
	struct blocksub *s = ctx;
	json_t *j = json_loadb(data, len, 0, NULL);

	(void)id;
	if (strcmp(event, "hello") == 0) {
		const char *st = json_string_value(json_object_get(j, "stream"));

		pthread_mutex_lock(&s->mu);
		if (st != NULL && strcmp(st, s->stream) != 0) {
			g_free(s->new_stream);
			s->new_stream = g_strndup(st, 64);
			s->dirty = true;
		}
		s->hello = true;
		s->connected = true;
		s->last_error[0] = 0;
		pthread_cond_signal(&s->cv);
		pthread_mutex_unlock(&s->mu);
		vlog_info("blocks", "following vigild's block list after %lld (head %lld)", s->cur,
		          (long long)json_integer_value(json_object_get(j, "head")));
	} else if (strcmp(event, "reset") == 0) {
		/* our position is not one this database gave out: start over */
		vlog_warn("blocks",
		          "vigild reset the block list (it had %zu blocks at %lld); "
		          "receiving it again from the start",
		          blockset_count(s->set), s->cur);
		blockset_clear(s->set);
		s->cur = 0;
		s->dirty = true;
	} else if (strcmp(event, "block") == 0) {
		json_t *q = json_object_get(j, "seq");
		const char *op = json_string_value(json_object_get(j, "op"));
		const char *type = json_string_value(json_object_get(j, "type"));
		const char *value = json_string_value(json_object_get(j, "value"));
		long long seq = json_is_integer(q) ? (long long)json_integer_value(q) : -1;
		bool ok;

		if (seq <= s->cur || op == NULL || type == NULL || value == NULL) {
			json_decref(j);
			return 0; /* a replay, or not an event */
		}
		ok = strcmp(op, "add") == 0      ? blockset_add(s->set, type, value)
		     : strcmp(op, "remove") == 0 ? blockset_remove(s->set, type, value)
		                                 : false;
		if (!ok)
			vlog_warn("blocks",
			          "block event %lld (%s %s) cannot be applied here; "
			          "skipped",
			          seq, op, type);
		s->cur = seq;
		s->dirty = true;
	}
	json_decref(j);
	return 0;
}

/* saves what was applied, then lets the acknowledger post it */
static void commit(struct blocksub *s)
{
	char *err = NULL;
	const char *stream;

	pthread_mutex_lock(&s->mu);
	if (s->new_stream != NULL) {
		g_strlcpy(s->stream, s->new_stream, sizeof s->stream);
		g_free(s->new_stream);
		s->new_stream = NULL;
	}
	stream = s->stream;
	pthread_mutex_unlock(&s->mu);
	/* a failed save still leaves the set applied: the gateway blocks, and a
	 * restart resumes from the older saved position (events replay) */
	if (blocksub_state_save(s->cfg->state_file, s->set, s->cur, stream, &err) != 0) {
		vlog_error("blocks", "cannot save the block list: %s", err);
		set_error(s, "cannot save the block list: %s", err);
		g_free(err);
	}
	pthread_mutex_lock(&s->mu);
	s->seq = s->cur;
	s->dirty = false;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

static size_t on_data(char *p, size_t size, size_t nmemb, void *ud)
{
	struct blocksub *s = ud;
	size_t n = size * nmemb;

	s->last_byte_ms = mono_ms();
	if (s->code == 0)
		curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &s->code);
	if (s->code != 200) {
		/* vigild's error answer, for the log */
		if (s->errbody->len < 512)
			g_string_append_len(s->errbody, p, (gssize)MIN(n, 512 - s->errbody->len));
		return n;
	}
	if (sse_feed(s->sse, p, n) != 0) {
		set_error(s, "the block stream sent something that is not an event stream");
		return 0; /* abort: reconnect */
	}
	if (s->dirty)
		commit(s);
	return n;
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct blocksub *s = ud;

	(void)dt, (void)dn, (void)ut, (void)un;
	/* vigild sends a keep-alive every 15 s: silence means a dead path */
	return mono_ms() - s->last_byte_ms > IDLE_TIMEOUT_S * 1000;
}

static char *stream_url(struct blocksub *s)
{
	GString *u = g_string_new(s->cfg->url);
	char *gw = curl_easy_escape(s->curl, s->cfg->gateway ? s->cfg->gateway : "", 0);

	while (u->len > 0 && u->str[u->len - 1] == '/')
		g_string_truncate(u, u->len - 1);
	g_string_append_printf(u, "/api/v1/stream/blocks?gateway=%s", gw ? gw : "");
	curl_free(gw);
	pthread_mutex_lock(&s->mu);
	if (s->stream[0] != 0)
		g_string_append_printf(u, "&stream=%s", s->stream);
	pthread_mutex_unlock(&s->mu);
	return g_string_free(u, FALSE);
}

static void common_opts(CURL *c, const struct blocksub_cfg *cfg)
{
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "vigil-milter/" VIGIL_VERSION);
	if (cfg->ca_file != NULL && *cfg->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, cfg->ca_file);
}

/* one connection, until it ends; the time it lasted (s) */
static int64_t follow_once(struct blocksub *s, const char *token)
{
	struct curl_slist *h = NULL;
	char hdr[MAX_TOKEN + 64];
	char *url = stream_url(s);
	int64_t start = mono_ms();
	CURLcode rc;

	snprintf(hdr, sizeof hdr, "Authorization: Bearer %s", token);
	h = curl_slist_append(h, hdr);
	snprintf(hdr, sizeof hdr, "Last-Event-ID: %lld", s->cur);
	h = curl_slist_append(h, hdr);
	h = curl_slist_append(h, "Accept: text/event-stream");
	curl_easy_reset(s->curl);
	common_opts(s->curl, s->cfg);
	curl_easy_setopt(s->curl, CURLOPT_URL, url);
	curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(s->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(s->curl, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(s->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(s->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(s->curl, CURLOPT_XFERINFODATA, s);
	s->code = 0;
	s->last_byte_ms = start;
	g_string_truncate(s->errbody, 0);
	sse_free(s->sse);
	s->sse = sse_new(on_event, s);
	rc = curl_easy_perform(s->curl);
	if (s->dirty)
		commit(s);
	pthread_mutex_lock(&s->mu);
	s->connected = false;
	pthread_mutex_unlock(&s->mu);
	if (s->code != 0 && s->code != 200) {
		/* vigild's message, one line, printable */
		for (gsize i = 0; i < s->errbody->len; i++)
			if ((unsigned char)s->errbody->str[i] < 0x20)
				s->errbody->str[i] = ' ';
		set_error(s, "vigild answered %ld: %.200s", s->code, s->errbody->str);
		vlog_error("blocks", "vigild refused the block stream (%ld): %.200s", s->code,
		           s->errbody->str);
	} else {
		set_error(s, "block stream ended: %s", curl_easy_strerror(rc));
		vlog_warn("blocks", "block stream from %s ended: %s", s->cfg->url,
		          curl_easy_strerror(rc));
	}
	curl_slist_free_all(h);
	g_free(url);
	return (mono_ms() - start) / 1000;
}

/* these threads take no signal: libmilter's own thread must get SIGTERM */
static void no_signals(void)
{
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
}

static void *subscriber(void *arg)
{
	struct blocksub *s = arg;
	unsigned backoff = 1;

	no_signals();
	for (;;) {
		char *why = NULL, *token = read_token(s->cfg->token_file, &why);
		int64_t lasted;

		if (token == NULL) {
			set_error(s, "%s", why);
			vlog_warn("blocks", "%s; retrying in %u s", why, backoff);
			g_free(why);
			sleep(backoff);
			backoff = backoff < 4 ? backoff * 2 : 4; /* it may be written any moment */
			continue;
		}
		lasted = follow_once(s, token);
		g_free(token);
		if (s->code == 401 || s->code == 403) {
			sleep(REFUSED_RETRY_S);
			continue;
		}
		/* a stream that lived a while reconnects at once (vigild restarted) */
		backoff = lasted > 10 ? 1
		                      : (backoff * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S : backoff * 2);
		sleep(backoff);
	}
	return NULL;
}

/* ---- acknowledgements ---- */

static size_t discard(char *p, size_t size, size_t nmemb, void *ud)
{
	(void)p, (void)ud;
	return size * nmemb;
}

static void *acknowledger(void *arg)
{
	struct blocksub *s = arg;
	CURL *c = curl_easy_init();
	GString *u = g_string_new(s->cfg->url);
	unsigned backoff = 1;

	no_signals();
	while (u->len > 0 && u->str[u->len - 1] == '/')
		g_string_truncate(u, u->len - 1);
	g_string_append(u, "/api/v1/gateways/ack");
	for (;;) {
		struct curl_slist *h = NULL;
		char hdr[MAX_TOKEN + 64], body[64], *why = NULL, *token;
		long long target;
		long code = 0;
		CURLcode rc;

		pthread_mutex_lock(&s->mu);
		while (!s->hello || s->seq == s->acked)
			pthread_cond_wait(&s->cv, &s->mu);
		target = s->seq;
		pthread_mutex_unlock(&s->mu);
		token = read_token(s->cfg->token_file, &why);
		if (token == NULL) {
			g_free(why);
			sleep(1);
			continue;
		}
		snprintf(hdr, sizeof hdr, "Authorization: Bearer %s", token);
		g_free(token);
		h = curl_slist_append(h, hdr);
		h = curl_slist_append(h, "Content-Type: application/json");
		snprintf(body, sizeof body, "{\"seq\":%lld}", target);
		curl_easy_reset(c);
		common_opts(c, s->cfg);
		curl_easy_setopt(c, CURLOPT_URL, u->str);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_TIMEOUT, 15L);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
		rc = curl_easy_perform(c);
		curl_slist_free_all(h);
		if (rc == CURLE_OK)
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		if (code == 200 || code == 409) {
			/* 409: vigild has no such event (another database): the
			 * stream resets us, and we acknowledge again after */
			pthread_mutex_lock(&s->mu);
			s->acked = target;
			pthread_mutex_unlock(&s->mu);
			backoff = 1;
			continue;
		}
		vlog_warn("blocks", "acknowledging block event %lld failed (%s %ld); retrying",
		          target, rc == CURLE_OK ? "HTTP" : curl_easy_strerror(rc), code);
		sleep(backoff);
		backoff = backoff < 8 ? backoff * 2 : 10;
	}
	return NULL;
}

/* ---- start, status ---- */

struct blocksub *blocksub_start(const struct blocksub_cfg *cfg, struct blockset *set, char **err)
{
	struct blocksub *s = g_new0(struct blocksub, 1);
	char *lerr = NULL;
	pthread_t t;

	s->cfg = cfg;
	s->set = set;
	s->acked = -1;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->errbody = g_string_new(NULL);
	if (blocksub_state_load(cfg->state_file, set, &s->cur, s->stream, sizeof s->stream,
	                        &lerr) != 0) {
		/* start empty at 0: vigild sends the whole list again */
		char *bad = g_strconcat(cfg->state_file, ".bad", NULL);

		vlog_error("blocks", "%s; kept as %s, receiving the block list from the start",
		           lerr, bad);
		(void)rename(cfg->state_file, bad);
		g_free(bad);
		g_free(lerr);
		blockset_clear(set);
		s->cur = 0;
		s->stream[0] = 0;
	}
	s->seq = s->cur;
	s->curl = curl_easy_init();
	if (s->curl == NULL) {
		*err = g_strdup("libcurl did not start");
		return NULL;
	}
	vlog_info("blocks", "%zu blocks from %s (position %lld); following %s", blockset_count(set),
	          cfg->state_file, s->cur, cfg->url);
	if (pthread_create(&t, NULL, subscriber, s) != 0 || pthread_detach(t) != 0 ||
	    pthread_create(&t, NULL, acknowledger, s) != 0 || pthread_detach(t) != 0) {
		*err = g_strdup("cannot start the block list threads");
		return NULL;
	}
	return s;
}

json_t *blocksub_status(struct blocksub *s)
{
	json_t *o;

	if (s == NULL)
		return json_null();
	pthread_mutex_lock(&s->mu);
	o = json_pack("{s:b,s:I,s:I,s:I,s:s,s:s}", "connected", s->connected, "seq",
	              (json_int_t)s->seq, "acked", (json_int_t)s->acked, "blocks",
	              (json_int_t)blockset_count(s->set), "stream", s->stream, "last_error",
	              s->last_error);
	pthread_mutex_unlock(&s->mu);
	return o;
}
