/*
 * feeder.c - message records to alerts (feeder.h).
 *
 * At most FEED_BATCH records per pass; the cursor moves past a record once
 * it was ingested or refused for good (400/422), and stays before a record
 * the store could not take (503), which the next pass retries.
 */
#include "feeder.h"

#include <glib.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "milter/log.h"

#define FEED_BATCH 200

struct feeder {
	struct vsrv *srv;
	unsigned interval_ms;
	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop, feed;
	time_t last_warn;
	unsigned warn_s;
};

struct batch {
	int64_t last;
	GArray *ids;     /* int64_t */
	GPtrArray *uids; /* char * */
};

static int batch_row(void *ctx, const struct store_val *c, int nc)
{
	struct batch *b = ctx;

	if (nc < 2 || c[0].t != SV_INT || c[1].t != SV_TEXT)
		return 0;
	g_array_append_val(b->ids, c[0].i);
	g_ptr_array_add(b->uids, g_strdup(c[1].s));
	return 0;
}

static int read_batch(store_db *db, void *ctx, char **err)
{
	struct batch *b = ctx;
	struct store_val p[] = {store_int(b->last), store_int(FEED_BATCH)};
	int rc = store_sql(db, "SELECT last_id FROM feeder WHERE name = 'messages'", NULL, 0,
	                   store_row_int, &b->last, err);

	if (rc != STORE_OK)
		return rc;
	p[0] = store_int(b->last);
	return store_sql(db,
	                 "SELECT id, uid FROM messages WHERE id > ? AND verdict IN ('suspicious', "
	                 "'malicious') AND direction <> 'release' ORDER BY id LIMIT ?",
	                 p, 2, batch_row, b, err);
}

static int save_cursor(store_db *db, void *ctx, char **err)
{
	int64_t *last = ctx;
	struct store_val p[] = {store_int(*last), store_int(*last)};

	return store_sql(db,
	                 "INSERT INTO feeder (name, last_id) VALUES ('messages', ?) ON CONFLICT "
	                 "(name) DO UPDATE SET last_id = ?",
	                 p, 2, NULL, NULL, err);
}

int feeder_pass(struct vsrv *srv)
{
	struct batch b = {0, g_array_new(FALSE, FALSE, sizeof(int64_t)),
	                  g_ptr_array_new_with_free_func(g_free)};
	struct caller gw = {.authenticated = true, .via_token = true, .role = ROLE_VIEWER};
	char *err = NULL;
	int64_t done = -1;
	int n = 0;

	g_strlcpy(gw.kind, "gateway", sizeof gw.kind);
	g_strlcpy(gw.username, "feeder", sizeof gw.username);
	if (store_with(srv->st, 0, read_batch, &b, &err) != STORE_OK) {
		vlog_warn("feeder", "cannot read message records: %s", err ? err : "?");
		free(err);
		n = -1;
		goto out;
	}
	for (guint i = 0; i < b.uids->len; i++) {
		char *json = NULL, *why = NULL;
		json_t *res = NULL;
		int status = 503;

		if (store_get_message_json(srv->st, b.uids->pdata[i], &json, &err) == STORE_OK) {
			status = alert_ingest(srv, &gw, json, strlen(json), &res, &why);
			free(json);
		} else {
			why = g_strdup(err ? err : "?");
			free(err);
			err = NULL;
		}
		json_decref(res);
		if (status == 503) {
			vlog_warn("feeder", "record %s waits: %s", (char *)b.uids->pdata[i], why);
			g_free(why);
			break;
		}
		if (status >= 400)
			vlog_warn("feeder", "record %s is not an alert: %s",
			          (char *)b.uids->pdata[i], why);
		else if (status == 201)
			n++;
		g_free(why);
		done = g_array_index(b.ids, int64_t, i);
	}
	if (done > 0 && store_with(srv->st, 1, save_cursor, &done, &err) != STORE_OK) {
		vlog_warn("feeder", "cannot save the position: %s", err ? err : "?");
		free(err);
	}
out:
	g_array_free(b.ids, TRUE);
	g_ptr_array_unref(b.uids);
	return n;
}

static void *run(void *arg)
{
	struct feeder *f = arg;

	pthread_mutex_lock(&f->mu);
	while (!f->stop) {
		struct timespec ts;

		pthread_mutex_unlock(&f->mu);
		while (f->feed && feeder_pass(f->srv) == FEED_BATCH)
			; /* a backlog: keep going */
		/* the reports' deadlines */
		if (time(NULL) - f->last_warn >= (time_t)f->warn_s) {
			f->last_warn = time(NULL);
			(void)reports_warn_pass(f->srv, (int64_t)f->last_warn);
		}
		pthread_mutex_lock(&f->mu);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += f->interval_ms / 1000;
		ts.tv_nsec += (long)(f->interval_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		if (!f->stop)
			pthread_cond_timedwait(&f->cv, &f->mu, &ts);
	}
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

struct feeder *feeder_start(struct vsrv *srv, unsigned interval_ms, bool feed, unsigned warn_s)
{
	struct feeder *f = g_new0(struct feeder, 1);

	f->srv = srv;
	f->feed = feed;
	f->warn_s = warn_s ? warn_s : 60;
	f->interval_ms = interval_ms ? interval_ms : 1000;
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	if (pthread_create(&f->tid, NULL, run, f) != 0) {
		g_free(f);
		return NULL;
	}
	return f;
}

void feeder_stop(struct feeder *f)
{
	if (f == NULL)
		return;
	pthread_mutex_lock(&f->mu);
	f->stop = true;
	pthread_cond_signal(&f->cv);
	pthread_mutex_unlock(&f->mu);
	pthread_join(f->tid, NULL);
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->cv);
	g_free(f);
}
