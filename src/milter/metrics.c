/*
 * metrics.c - Prometheus counters for vigil-milter.
 *
 * Counters are keyed by their label values (direction, verdict, action: a
 * closed set, so the number of series is bounded) and kept under one mutex;
 * a scrape renders them with the gauges the milter reports at that moment.
 */
#include "metrics.h"

#include <arpa/inet.h>
#include <glib.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
#define NB (sizeof buckets / sizeof buckets[0])

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static GHashTable *messages; /* "direction\tverdict\taction" -> count */
static GHashTable *errors;   /* reason -> count */
static unsigned long hist[NB + 1];
static double hist_sum;
static unsigned long hist_count;
static unsigned long store_errors;
static unsigned long block_hits;
static unsigned long long bytes_total;
static long in_flight;
static struct MHD_Daemon *daemon_;
static metrics_gauge_fn gauge_fn;

static void bump(GHashTable **t, const char *key)
{
	gpointer v;

	if (*t == NULL)
		*t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	v = g_hash_table_lookup(*t, key);
	g_hash_table_replace(*t, g_strdup(key), GSIZE_TO_POINTER(GPOINTER_TO_SIZE(v) + 1));
}

void metrics_message(const char *direction, const char *verdict, const char *action,
                     double scan_seconds, uint64_t bytes)
{
	char key[128];
	size_t b = 0;

	g_snprintf(key, sizeof key, "%s\t%s\t%s", direction, verdict, action);
	pthread_mutex_lock(&lock);
	bump(&messages, key);
	while (b < NB && scan_seconds > buckets[b])
		b++;
	hist[b]++;
	hist_sum += scan_seconds;
	hist_count++;
	bytes_total += bytes;
	pthread_mutex_unlock(&lock);
}

void metrics_scan_error(const char *reason)
{
	pthread_mutex_lock(&lock);
	bump(&errors, reason);
	pthread_mutex_unlock(&lock);
}

void metrics_store_error(void)
{
	pthread_mutex_lock(&lock);
	store_errors++;
	pthread_mutex_unlock(&lock);
}

void metrics_block_hit(void)
{
	pthread_mutex_lock(&lock);
	block_hits++;
	pthread_mutex_unlock(&lock);
}

void metrics_in_flight(int delta)
{
	pthread_mutex_lock(&lock);
	in_flight += delta;
	pthread_mutex_unlock(&lock);
}

char *metrics_render(void)
{
	GString *s = g_string_new(NULL);
	struct metrics_gauges g;
	GHashTableIter it;
	gpointer k, v;
	unsigned long cum = 0;

	memset(&g, 0, sizeof g);
	if (gauge_fn != NULL)
		gauge_fn(&g);
	pthread_mutex_lock(&lock);
	g_string_append(s, "# HELP vigil_messages_total Messages handled, by direction, verdict "
	                   "and action.\n# TYPE vigil_messages_total counter\n");
	if (messages != NULL) {
		g_hash_table_iter_init(&it, messages);
		while (g_hash_table_iter_next(&it, &k, &v)) {
			char **f = g_strsplit(k, "\t", 3);

			g_string_append_printf(s,
			                       "vigil_messages_total{direction=\"%s\",verdict=\"%"
			                       "s\",action=\"%s\"} %zu\n",
			                       f[0], f[1] ? f[1] : "", f[1] && f[2] ? f[2] : "",
			                       GPOINTER_TO_SIZE(v));
			g_strfreev(f);
		}
	}
	g_string_append(s, "# HELP vigil_scan_duration_seconds Time from end of message to "
	                   "verdict.\n# TYPE vigil_scan_duration_seconds histogram\n");
	for (size_t b = 0; b < NB; b++) {
		cum += hist[b];
		g_string_append_printf(s, "vigil_scan_duration_seconds_bucket{le=\"%g\"} %lu\n",
		                       buckets[b], cum);
	}
	cum += hist[NB];
	g_string_append_printf(s,
	                       "vigil_scan_duration_seconds_bucket{le=\"+Inf\"} %lu\n"
	                       "vigil_scan_duration_seconds_sum %.6f\n"
	                       "vigil_scan_duration_seconds_count %lu\n",
	                       cum, hist_sum, hist_count);
	g_string_append(s, "# HELP vigil_scan_errors_total Messages that could not be scanned, by "
	                   "reason.\n# TYPE vigil_scan_errors_total counter\n");
	if (errors != NULL) {
		g_hash_table_iter_init(&it, errors);
		while (g_hash_table_iter_next(&it, &k, &v))
			g_string_append_printf(s, "vigil_scan_errors_total{reason=\"%s\"} %zu\n",
			                       (const char *)k, GPOINTER_TO_SIZE(v));
	}
	g_string_append_printf(
	        s,
	        "# TYPE vigil_message_bytes_total counter\nvigil_message_bytes_total %llu\n"
	        "# TYPE vigil_messages_in_flight gauge\nvigil_messages_in_flight %ld\n"
	        "# TYPE vigil_store_errors_total counter\nvigil_store_errors_total %lu\n"
	        "# HELP vigil_block_hits_total Messages that matched vigild's block list.\n"
	        "# TYPE vigil_block_hits_total counter\nvigil_block_hits_total %lu\n",
	        bytes_total, in_flight, store_errors, block_hits);
	pthread_mutex_unlock(&lock);
	g_string_append_printf(
	        s,
	        "# HELP vigil_workers Scan worker processes running.\n# TYPE vigil_workers gauge\n"
	        "vigil_workers %u\n"
	        "# HELP vigil_worker_restarts_total Scan workers replaced after a crash or "
	        "timeout.\n"
	        "# TYPE vigil_worker_restarts_total counter\nvigil_worker_restarts_total %lu\n"
	        "# TYPE vigil_reloads_total counter\nvigil_reloads_total{result=\"ok\"} %lu\n"
	        "vigil_reloads_total{result=\"failed\"} %lu\n"
	        "# TYPE vigil_rules gauge\nvigil_rules %lu\n"
	        "# TYPE vigil_indicators gauge\nvigil_indicators %lu\n"
	        "# TYPE vigil_rules_generation gauge\nvigil_rules_generation %u\n"
	        "# HELP vigil_journal_pending Records waiting for the store.\n"
	        "# TYPE vigil_journal_pending gauge\nvigil_journal_pending %lu\n"
	        "# HELP vigil_blocks Items on vigild's block list this gateway applies.\n"
	        "# TYPE vigil_blocks gauge\nvigil_blocks %lu\n"
	        "# HELP vigil_blocks_seq The last block event applied (and saved).\n"
	        "# TYPE vigil_blocks_seq gauge\nvigil_blocks_seq %lu\n"
	        "# TYPE vigil_blocks_acked gauge\nvigil_blocks_acked %lu\n"
	        "# HELP vigil_blocks_connected 1 while the block stream from vigild is open.\n"
	        "# TYPE vigil_blocks_connected gauge\nvigil_blocks_connected %u\n",
	        g.workers, g.worker_restarts, g.reloads_ok, g.reloads_failed, g.rules, g.indicators,
	        g.generation, g.journal_pending, g.blocks, g.blocks_seq, g.blocks_acked,
	        g.blocks_connected);
	return g_string_free(s, FALSE);
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char *body;
	unsigned code = MHD_HTTP_OK;

	(void)cls, (void)version, (void)upload, (void)upload_size, (void)con_cls;
	if (strcmp(method, "GET") != 0) {
		body = g_strdup("method not allowed\n");
		code = MHD_HTTP_METHOD_NOT_ALLOWED;
	} else if (strcmp(url, "/metrics") == 0) {
		body = metrics_render();
	} else if (strcmp(url, "/healthz") == 0) {
		body = g_strdup("ok\n");
	} else {
		body = g_strdup("not found: try /metrics\n");
		code = MHD_HTTP_NOT_FOUND;
	}
	r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4");
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

int metrics_start(const char *listen, metrics_gauge_fn fn, char **err)
{
	struct sockaddr_in sa;
	const char *colon = strrchr(listen, ':');
	char host[64];
	long port;

	gauge_fn = fn;
	if (colon == NULL || (size_t)(colon - listen) >= sizeof host) {
		*err = g_strdup_printf("[milter] metrics = %s: expected HOST:PORT", listen);
		return -1;
	}
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = 0;
	port = strtol(colon + 1, NULL, 10);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (port <= 0 || port > 65535 || inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		*err = g_strdup_printf("[milter] metrics = %s: expected an IPv4 address and a port",
		                       listen);
		return -1;
	}
	daemon_ = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
	                           (uint16_t)port, NULL, NULL, answer, NULL, MHD_OPTION_SOCK_ADDR,
	                           &sa, MHD_OPTION_CONNECTION_LIMIT, 16u,
	                           MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	if (daemon_ == NULL) {
		*err = g_strdup_printf("metrics: cannot listen on %s (port in use?)", listen);
		return -1;
	}
	return 0;
}

void metrics_stop(void)
{
	if (daemon_ != NULL)
		MHD_stop_daemon(daemon_);
	daemon_ = NULL;
}
