/*
 * metrics.h - counters of vigil-milter, served in Prometheus text format on
 * GET /metrics (and GET /healthz) by libmicrohttpd on 127.0.0.1.
 */
#ifndef VIGIL_MILTER_METRICS_H
#define VIGIL_MILTER_METRICS_H

#include <stdint.h>

/* gauges read at scrape time */
struct metrics_gauges {
	unsigned workers;
	unsigned long worker_restarts;
	unsigned long reloads_ok, reloads_failed;
	unsigned long rules, indicators;
	unsigned generation;
	unsigned long journal_pending;
	/* vigild's block list (blocksub.h); all 0 without [vigild] */
	unsigned long blocks, blocks_seq, blocks_acked;
	unsigned blocks_connected;
};

typedef void (*metrics_gauge_fn)(struct metrics_gauges *g);

/* "HOST:PORT"; returns 0, or -1 with *err */
int metrics_start(const char *listen, metrics_gauge_fn fn, char **err);
void metrics_stop(void);

void metrics_message(const char *direction, const char *verdict, const char *action,
                     double scan_seconds, uint64_t bytes);
void metrics_scan_error(const char *reason);
void metrics_store_error(void);
/* a message matched vigild's block list */
void metrics_block_hit(void);
void metrics_in_flight(int delta);
/* the metrics text (free()), for tests and `vigil milter status` */
char *metrics_render(void);

#endif
