/*
 * sweep.c - one sweep job (sweep.h).
 */
#include "sweep.h"

#include <errno.h>
#include <glib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_MATCHED 16
#define SLEEP_QUANTUM_NS (20 * 1000000LL) /* sleep in steps no shorter than this */
#define IOPRIO_CLASS_IDLE 3
#define IOPRIO_WHO_PROCESS 1

struct sw {
	const struct sweep_conf *c;
	GHashTable *sha256, *sha1, *md5, *names; /* what to look for */
	struct scanner *scanner;
	json_t *hits;
	uint64_t scan_failed, hits_dropped;
	int64_t debt_ns;
	const char *error;
	sweep_tick tick;
	void *tick_ctx;
	bool stopped;
};

static int64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static GHashTable *set_of(json_t *arr, bool casefold)
{
	GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	json_t *v;
	size_t i;

	json_array_foreach(arr, i, v)
	{
		const char *s = json_string_value(v);

		if (s == NULL || *s == 0 || strlen(s) > 255)
			continue;
		if (casefold && g_utf8_validate(s, -1, NULL))
			g_hash_table_add(t, g_utf8_casefold(s, -1));
		else
			g_hash_table_add(t, g_ascii_strdown(s, -1));
	}
	return t;
}

static bool name_in(GHashTable *names, const char *name)
{
	char *k;
	bool hit;

	if (name == NULL || *name == 0 || g_hash_table_size(names) == 0)
		return false;
	k = g_utf8_validate(name, -1, NULL) ? g_utf8_casefold(name, -1) : g_ascii_strdown(name, -1);
	hit = g_hash_table_contains(names, k);
	g_free(k);
	return hit;
}

static void add_match(json_t *m, const char *what, const char *value, const char *inner)
{
	char *s;

	if (json_array_size(m) >= MAX_MATCHED)
		return;
	s = inner && *inner ? g_strdup_printf("%s:%.128s in %.128s", what, value, inner)
	                    : g_strdup_printf("%s:%.200s", what, value);
	json_array_append_new(m, json_string(s));
	g_free(s);
}

/* the scanner's answer for one file against the job */
static void match(struct sw *w, const char *path, const struct stat *st, json_t *ans)
{
	json_t *m = json_array(), *o, *objs = json_object_get(ans, "objects");
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	const char *root_sha =
	        json_string_value(json_object_get(json_array_get(objs, 0), "sha256"));
	const char *inner = NULL;
	size_t i;

	json_array_foreach(objs, i, o)
	{
		const char *p = json_string_value(json_object_get(o, "path"));
		static const char *const kinds[] = {"sha256", "sha1", "md5"};
		GHashTable *sets[] = {w->sha256, w->sha1, w->md5};

		for (int k = 0; k < 3; k++) {
			const char *h = json_string_value(json_object_get(o, kinds[k]));

			if (h != NULL && g_hash_table_contains(sets[k], h)) {
				add_match(m, kinds[k], h, p);
				if (p && *p && inner == NULL)
					inner = p;
			}
		}
		/* an inner object's declared name (the root's is the file's) */
		if (i > 0 && name_in(w->names, json_string_value(json_object_get(o, "name")))) {
			add_match(m, "filename", json_string_value(json_object_get(o, "name")), p);
			if (inner == NULL)
				inner = p;
		}
	}
	if (g_utf8_validate(base, -1, NULL) && name_in(w->names, base))
		add_match(m, "filename", base, NULL);
	json_array_foreach(json_object_get(ans, "rules"), i, o)
	{
		const char *p = json_string_value(json_object_get(o, "object"));

		add_match(m, "yara", json_string_value(json_object_get(o, "rule")) ?: "?", p);
		if (p && *p && inner == NULL)
			inner = p;
	}
	if (json_array_size(m) == 0) {
		json_decref(m);
		return;
	}
	if (json_array_size(w->hits) >= SWEEP_MAX_HITS) {
		w->hits_dropped++;
		json_decref(m);
		return;
	}
	{
		char *text = apath_encode(path, strlen(path));
		json_t *h = json_pack("{s:s,s:s?,s:I,s:I,s:o}", "path", text, "sha256", root_sha,
		                      "size", (json_int_t)st->st_size, "mtime_ms",
		                      (json_int_t)st->st_mtim.tv_sec * 1000 +
		                              st->st_mtim.tv_nsec / 1000000,
		                      "matched", m);

		if (inner != NULL)
			json_object_set_new(h, "object", json_string(inner));
		json_array_append_new(w->hits, h);
		g_free(text);
	}
}

/* sleeps off the CPU the sweep owes, waking to ask whether to stop */
static void pay(struct sw *w, int64_t work_ns)
{
	unsigned p = w->c->cpu_percent;

	if (p >= 100)
		return;
	w->debt_ns += work_ns * (int64_t)(100 - p) / (int64_t)p;
	while (w->debt_ns >= SLEEP_QUANTUM_NS && !w->stopped) {
		int64_t step = MIN(w->debt_ns, 200 * 1000000LL);
		struct timespec ts = {(time_t)(step / 1000000000), (long)(step % 1000000000)};

		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
		w->debt_ns -= step;
		if (w->tick && !w->tick(w->tick_ctx))
			w->stopped = true;
	}
}

static int on_file(void *ctx, int fd, const char *path, const struct stat *st)
{
	struct sw *w = ctx;
	int64_t t0 = now_ns(CLOCK_PROCESS_CPUTIME_ID), child = 0;
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	json_t *ans = NULL;
	int rc = scanner_scan(w->scanner, fd, base, (uint64_t)st->st_size, &ans);

	if (rc == -2) {
		w->error = "the scanning process keeps failing";
		return 1;
	}
	if (rc != 0) {
		/* the scanner could not parse it: its digests are still checked */
		char s256[65], s1[41], m5[33];

		w->scan_failed++;
		if (digest_fd(fd, s256, s1, m5))
			ans = json_pack("{s:[{s:s,s:s,s:s,s:s}]}", "objects", "path", "", "sha256",
			                s256, "sha1", s1, "md5", m5);
	}
	if (ans != NULL) {
		child = json_integer_value(json_object_get(ans, "cpu_ns"));
		match(w, path, st, ans);
		json_decref(ans);
	}
	if (w->tick && !w->tick(w->tick_ctx))
		w->stopped = true;
	pay(w, now_ns(CLOCK_PROCESS_CPUTIME_ID) - t0 + child);
	return w->stopped ? 1 : 0;
}

json_t *sweep_run(const struct sweep_conf *c, json_t *job, sweep_tick tick, void *tick_ctx)
{
	json_t *spec = json_object_get(job, "spec"), *ind = json_object_get(spec, "indicators");
	const char *rules = json_string_value(json_object_get(spec, "rules"));
	struct sw w = {.c = c, .tick = tick, .tick_ctx = tick_ctx, .hits = json_array()};
	struct walk_stats st = {0};
	int64_t t0 = now_ns(CLOCK_MONOTONIC);
	json_t *res = NULL, *limits = json_array();
	char *err = NULL;
	bool complete;

	w.sha256 = set_of(json_object_get(ind, "sha256"), false);
	w.sha1 = set_of(json_object_get(ind, "sha1"), false);
	w.md5 = set_of(json_object_get(ind, "md5"), false);
	w.names = set_of(json_object_get(ind, "filename"), true);
	/* a guest on the endpoint: lowest CPU and I/O priority */
	(void)setpriority(PRIO_PROCESS, 0, 19);
	(void)syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, IOPRIO_CLASS_IDLE << 13);
	w.scanner = scanner_start(rules, &c->scan, &err);
	if (w.scanner == NULL)
		w.error = err ? err : "the scanning process did not start";
	else
		(void)walk_roots(c->roots, c->nroots, &c->walk, on_file, &w, &st);
	if (w.stopped && w.error == NULL)
		goto out; /* the agent is stopping: the job is run again at its next start */
	if (st.hit_files)
		json_array_append_new(limits, json_string("max_files"));
	if (st.hit_dirs)
		json_array_append_new(limits, json_string("max_dirs"));
	if (st.hit_depth)
		json_array_append_new(limits, json_string("max_depth"));
	complete = w.error == NULL && !st.hit_files && !st.hit_dirs && !st.hit_depth &&
	           st.unreadable == 0 && w.scan_failed == 0;
	res = json_pack("{s:s,s:O,s:b,s:I,s:I,s:I,s:O,s:{s:I,s:I,s:I,s:I,s:I,s:I},s:O}", "kind",
	                "sweep", "sweep", json_object_get(job, "sweep"), "complete", complete,
	                "files", (json_int_t)st.files, "dirs", (json_int_t)st.dirs, "elapsed_ms",
	                (json_int_t)((now_ns(CLOCK_MONOTONIC) - t0) / 1000000), "hits", w.hits,
	                "skipped", "too_large", (json_int_t)st.too_large, "special",
	                (json_int_t)st.special, "symlinks", (json_int_t)st.symlinks, "unreadable",
	                (json_int_t)st.unreadable, "scan_failed", (json_int_t)w.scan_failed,
	                "hits_dropped", (json_int_t)w.hits_dropped, "limits", limits);
	if (w.error != NULL)
		json_object_set_new(res, "error", json_string(w.error));
out:
	scanner_stop(w.scanner);
	g_free(err);
	json_decref(limits);
	json_decref(w.hits);
	g_hash_table_destroy(w.sha256);
	g_hash_table_destroy(w.sha1);
	g_hash_table_destroy(w.md5);
	g_hash_table_destroy(w.names);
	return res;
}
