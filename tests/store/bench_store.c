/*
 * bench_store.c - store_put_message() throughput: realistic records (3
 * recipients, 2 attachments, 5 URLs, 3 findings: tests/unit/
 * test_store_fixture.h), with 1 and with 4 writer threads on one handle.
 * A measurement, not a test: tests/store/test_store_backends.sh --bench
 * runs it on both back ends.
 *
 *   bench_store URL [MESSAGES [THREADS...]]    (default: 20000, 1 then 4)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../unit/test_store_fixture.h"

struct worker {
	store *st;
	unsigned tag, from, n;
	int failures;
};

static void *run(void *arg)
{
	struct worker *w = arg;

	for (unsigned i = w->from; i < w->from + w->n; i++) {
		struct fixture f;

		fx_init(&f, w->tag, i, 0);
		if (store_put_message(w->st, &f.m, NULL) != STORE_OK)
			w->failures++;
		fx_free(&f);
	}
	return NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	unsigned threads[8] = {1, 4}, nt = 2;
	unsigned n = 20000;
	store *st = NULL;
	char *err = NULL;
	int bad = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_store URL [MESSAGES]\n");
		return 2;
	}
	if (argc > 2)
		n = (unsigned)strtoul(argv[2], NULL, 10);
	if (argc > 3) {
		nt = 0;
		for (int i = 3; i < argc && nt < 8; i++) {
			threads[nt] = (unsigned)strtoul(argv[i], NULL, 10);
			if (threads[nt] >= 1 && threads[nt] <= 8)
				nt++;
		}
	}
	if (store_open(argv[1], &st, &err) != STORE_OK) {
		fprintf(stderr, "bench_store: %s\n", err);
		return 1;
	}
	for (unsigned k = 0; k < nt; k++) {
		pthread_t t[8];
		struct worker w[8];
		unsigned per = n / threads[k], fails = 0;
		double t0 = now(), dt;

		for (unsigned i = 0; i < threads[k]; i++) {
			w[i] = (struct worker){st, 0xbe00 + k, i * per, per, 0};
			pthread_create(&t[i], NULL, run, &w[i]);
		}
		for (unsigned i = 0; i < threads[k]; i++) {
			pthread_join(t[i], NULL);
			fails += (unsigned)w[i].failures;
		}
		dt = now() - t0;
		printf("%-10s %u writer%s: %u messages in %.2f s = %.0f messages/s%s\n",
		       store_backend(st), threads[k], threads[k] > 1 ? "s" : " ", per * threads[k],
		       dt, per * threads[k] / dt, fails ? " (FAILURES)" : "");
		bad |= fails != 0;
	}
	store_close(st);
	return bad;
}
