/*
 * main.c - vigil-agent, the endpoint agent of vigil (docs/agent.md).
 *
 *   vigil-agent [-c FILE] --enrol TOKEN   once, to get this host's credential
 *   vigil-agent [-c FILE] [--once]        the service (or one round)
 *   vigil-agent --version
 *
 * A round: send the results waiting in the outbox, check in (the heartbeat;
 * the answer lists sweep jobs and quarantine orders for this host), carry
 * out new orders, run new jobs, send what they found. Between rounds the
 * agent sleeps `interval` seconds (with 10% jitter, so a fleet restarted
 * together spreads out); when vigild cannot be reached the wait doubles up
 * to retry_max and every result waits in the state folder until it can be
 * sent. During a long sweep a heartbeat check-in still goes out every
 * interval. SIGTERM stops at the next file: the job is run again at the
 * next start.
 *
 * The agent runs as root to read every user's files; parsing them happens in
 * the scanning process (scanner.h), which does not. Exit status: 0, 1 on an
 * error, 2 for a bad command line, 78 when not enrolled or misconfigured
 * (the systemd unit does not restart it then).
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "milter/log.h"
#include "net.h"
#include "plant.h"
#include "quar.h"
#include "state.h"
#include "sweep.h"

#define EX_CONFIG 78
#define MAX_ROOTS 64
#define DONE_KEEP_S (8 * 24 * 3600)

static const char *const default_paths =
        "/home/*/Downloads;/home/*/Documents;/home/*/Desktop;/home/*/Tải xuống;"
        "/home/*/Tài liệu;/home/*/Màn hình nền;/home/*/.thunderbird;/home/*/.cache/thunderbird;"
        "/home/*/.cache/evolution;/home/*/.local/share/evolution/mail;/root/Downloads;/tmp;"
        "/var/tmp";

struct conf {
	char *server, *ca_file, *state_dir, *credential, *host, *scan_user, *log, *log_level;
	char *plant_dir; /* drill simulants go here only; NULL: refused */
	size_t plant_max;
	unsigned interval, retry_max, queue_max;
	struct sweep_conf sweep;
	struct apath_root roots[MAX_ROOTS];
	size_t nroots;
};

struct agent {
	struct conf *c;
	struct net *net;
	struct state st;
	char *os;
	int64_t last_checkin; /* monotonic ms */
	unsigned failures;
	bool reached;
};

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- configuration ---- */

static char *get(GKeyFile *kf, const char *key, const char *def)
{
	char *v = kf ? g_key_file_get_string(kf, "agent", key, NULL) : NULL;

	if (v != NULL)
		g_strstrip(v);
	return v != NULL && *v ? v : (g_free(v), def ? g_strdup(def) : NULL);
}

/* a number with an optional k, M or G suffix (powers of 1024) */
static bool get_num(GKeyFile *kf, const char *key, uint64_t def, uint64_t min, uint64_t max,
                    uint64_t *out)
{
	char *v = get(kf, key, NULL), *end;
	uint64_t n;

	*out = def;
	if (v == NULL)
		return true;
	n = g_ascii_strtoull(v, &end, 10);
	if (*end == 'k' || *end == 'K')
		n <<= 10, end++;
	else if (*end == 'M')
		n <<= 20, end++;
	else if (*end == 'G')
		n <<= 30, end++;
	if (end == v || *end != 0 || n < min || n > max) {
		fprintf(stderr, "vigil-agent: [agent] %s = %s: use %llu..%llu\n", key, v,
		        (unsigned long long)min, (unsigned long long)max);
		g_free(v);
		return false;
	}
	g_free(v);
	*out = n;
	return true;
}

static bool get_bool(GKeyFile *kf, const char *key, bool def)
{
	char *v = get(kf, key, NULL);
	bool b = def;

	if (v != NULL)
		b = strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "1") == 0;
	g_free(v);
	return b;
}

static int conf_load(const char *path, struct conf *c)
{
	GKeyFile *kf = g_key_file_new();
	GError *ge = NULL;
	char *paths = NULL, **list = NULL, hostbuf[256];
	uint64_t n;
	int rc = -1;

	if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &ge)) {
		fprintf(stderr, "vigil-agent: %s: %s\n", path, ge->message);
		g_error_free(ge);
		goto out;
	}
	c->server = get(kf, "server", NULL);
	c->ca_file = get(kf, "ca_file", NULL);
	c->state_dir = get(kf, "state_dir", "/var/lib/vigil-agent");
	{
		char *def = g_build_filename(c->state_dir, "credential", NULL);

		c->credential = get(kf, "credential", def);
		g_free(def);
	}
	if (gethostname(hostbuf, sizeof hostbuf) != 0)
		g_strlcpy(hostbuf, "localhost", sizeof hostbuf);
	hostbuf[sizeof hostbuf - 1] = 0;
	c->host = get(kf, "host", hostbuf);
	c->scan_user = get(kf, "scan_user", "nobody");
	c->log = get(kf, "log", "stderr");
	c->log_level = get(kf, "log_level", "info");
	c->plant_dir = get(kf, "plant_dir", NULL);
	if (c->server == NULL) {
		fprintf(stderr, "vigil-agent: %s: [agent] server = https://... is required\n",
		        path);
		goto out;
	}
#define NUM(key, def, min, max, dst)                                                               \
	do {                                                                                       \
		if (!get_num(kf, key, def, min, max, &n))                                          \
			goto out;                                                                  \
		dst = n;                                                                           \
	} while (0)
	NUM("interval", 60, 1, 86400, c->interval);
	NUM("retry_max", 300, 1, 86400, c->retry_max);
	NUM("queue_max", 1000, 10, 100000, c->queue_max);
	NUM("plant_max", 1u << 20, 1, PLANT_MAX_CAP, c->plant_max);
	if (c->plant_dir != NULL && c->plant_dir[0] != '/') {
		fprintf(stderr, "vigil-agent: [agent] plant_dir must be an absolute path\n");
		goto out;
	}
	NUM("cpu_percent", 10, 1, 100, c->sweep.cpu_percent);
	NUM("max_depth", 16, 1, WALK_DEPTH_CAP, c->sweep.walk.max_depth);
	NUM("max_files", 200000, 1, 10000000, c->sweep.walk.max_files);
	NUM("max_dirs", 100000, 1, 10000000, c->sweep.walk.max_dirs);
	NUM("max_size", 256ull << 20, 1, 1ull << 40, c->sweep.walk.max_size);
	NUM("scan_max", 64ull << 20, 1, 1ull << 32, c->sweep.scan.scan_max);
	NUM("scan_timeout", 60, 1, 3600, c->sweep.scan.timeout_s);
	/* 0: no address-space limit (sanitizer builds reserve terabytes) */
	NUM("scan_memory", 2ull << 30, 0, 1ull << 40, c->sweep.scan.memory);
	if (c->sweep.scan.memory != 0 && c->sweep.scan.memory < (64ull << 20)) {
		fprintf(stderr, "vigil-agent: scan_memory: 0 (no limit) or at least 64 MiB\n");
		goto out;
	}
#undef NUM
	c->sweep.walk.one_fs = get_bool(kf, "one_file_system", true);
	c->sweep.scan.user = c->scan_user;
	paths = get(kf, "paths", default_paths);
	list = g_strsplit(paths, ";", -1);
	for (char **p = list; *p != NULL; p++) {
		char *err = NULL;

		g_strstrip(*p);
		if (**p == 0)
			continue;
		if (c->nroots >= MAX_ROOTS) {
			fprintf(stderr, "vigil-agent: [agent] paths: at most %d\n", MAX_ROOTS);
			goto out;
		}
		if (apath_root_parse(*p, &c->roots[c->nroots], &err) != 0) {
			fprintf(stderr, "vigil-agent: [agent] paths: %s\n", err);
			g_free(err);
			goto out;
		}
		c->nroots++;
	}
	c->sweep.roots = c->roots;
	c->sweep.nroots = c->nroots;
	rc = 0;
out:
	g_strfreev(list);
	g_free(paths);
	g_key_file_free(kf);
	return rc;
}

static void conf_free(struct conf *c)
{
	for (size_t i = 0; i < c->nroots; i++)
		apath_root_free(&c->roots[i]);
	g_free(c->server);
	g_free(c->ca_file);
	g_free(c->state_dir);
	g_free(c->credential);
	g_free(c->host);
	g_free(c->scan_user);
	g_free(c->log);
	g_free(c->log_level);
	g_free(c->plant_dir);
}

/* "Debian GNU/Linux 12 (bookworm)", else the kernel's name and release */
static char *os_name(void)
{
	char *text = NULL;
	struct utsname u;

	if (g_file_get_contents("/etc/os-release", &text, NULL, NULL)) {
		char **lines = g_strsplit(text, "\n", -1);
		char *out = NULL;

		for (char **l = lines; *l && out == NULL; l++)
			if (g_str_has_prefix(*l, "PRETTY_NAME="))
				out = g_shell_unquote(*l + 12, NULL);
		g_strfreev(lines);
		g_free(text);
		if (out != NULL && strlen(out) <= 100) {
			for (char *p = out; *p; p++)
				if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
					*p = '?';
			return out;
		}
		g_free(out);
	}
	if (uname(&u) == 0)
		return g_strdup_printf("%.40s %.50s", u.sysname, u.release);
	return g_strdup("unknown");
}

/* ---- the credential ---- */

static char *credential_read(const char *path)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	char buf[256];
	ssize_t n;
	char *out = NULL;

	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n > 0) {
		buf[n] = 0;
		g_strstrip(buf);
		if (g_str_has_prefix(buf, "vga_") && strlen(buf) < 200)
			out = g_strdup(buf);
	}
	memset(buf, 0, sizeof buf);
	return out;
}

static int credential_write(const char *path, const char *cred)
{
	char *dir = g_path_get_dirname(path);
	char *tmp = g_strconcat(path, ".tmp", NULL);
	size_t len = strlen(cred);
	int fd, rc = -1;

	(void)g_mkdir_with_parents(dir, 0700);
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0 && write(fd, cred, len) == (ssize_t)len && write(fd, "\n", 1) == 1 &&
	    fsync(fd) == 0 && rename(tmp, path) == 0)
		rc = 0;
	if (fd >= 0)
		close(fd);
	if (rc != 0)
		(void)unlink(tmp);
	g_free(dir);
	g_free(tmp);
	return rc;
}

static int enrol(struct conf *c, const char *token)
{
	struct net *n;
	char *err = NULL, *os = os_name();
	json_t *body, *ans = NULL;
	const char *cred;
	int status, rc = 1;

	n = net_new(c->server, c->ca_file, &err);
	if (n == NULL) {
		fprintf(stderr, "vigil-agent: %s\n", err);
		g_free(err);
		g_free(os);
		return EX_CONFIG;
	}
	body = json_pack("{s:s,s:s,s:s,s:s}", "token", token, "host", c->host, "os", os, "version",
	                 VIGIL_AGENT_VERSION);
	status = net_post(n, "/api/v1/agents/enrol", body, &ans, &err);
	cred = json_string_value(json_object_get(ans, "credential"));
	if (status == 201 && cred != NULL) {
		if (credential_write(c->credential, cred) != 0) {
			fprintf(stderr, "vigil-agent: cannot write %s: %s\n", c->credential,
			        g_strerror(errno));
		} else {
			printf("vigil-agent: enrolled as %s (unit %s); credential in %s\n",
			       json_string_value(json_object_get(ans, "host")),
			       json_string_value(json_object_get(ans, "unit")), c->credential);
			rc = 0;
		}
	} else if (status == 0) {
		fprintf(stderr, "vigil-agent: enrolment failed: %s\n", err);
	} else {
		fprintf(stderr, "vigil-agent: enrolment refused (%d): %s\n", status,
		        json_string_value(json_object_get(json_object_get(ans, "error"), "message"))
		                ?: "?");
	}
	json_decref(body);
	json_decref(ans);
	net_free(n);
	g_free(err);
	g_free(os);
	return rc;
}

/* ---- a round ---- */

static int checkin(struct agent *a, bool busy, json_t **ans)
{
	json_t *body = json_pack("{s:s,s:b}", "version", VIGIL_AGENT_VERSION, "busy", busy);
	char *err = NULL;
	int status = net_post(a->net, "/api/v1/agents/checkin", body, ans, &err);

	json_decref(body);
	a->last_checkin = mono_ms();
	if (status == 0 || status >= 500) {
		if (a->reached || a->failures == 0)
			vlog_warn("agent", "vigild cannot be reached: %s",
			          err ? err : "it answered with an error");
		a->reached = false;
	} else if (status == 401) {
		vlog_error("agent", "vigild refuses this agent's credential (revoked or unknown): "
		                    "enrol it again with vigil-agent --enrol TOKEN");
		a->reached = false;
	} else {
		if (!a->reached)
			vlog_info("agent", "checked in with %s", a->c->server);
		a->reached = true;
	}
	g_free(err);
	return status;
}

/* sends what waits in the outbox; false when vigild could not take it now */
static bool flush_outbox(struct agent *a)
{
	GPtrArray *names = state_list(&a->st, "outbox");
	bool ok = true;

	for (guint i = 0; i < names->len && ok && !stopping; i++) {
		const char *name = names->pdata[i];
		json_t *r = state_get(&a->st, "outbox", name), *ans = NULL;
		char *err = NULL;
		int status;

		if (r == NULL) {
			state_del(&a->st, "outbox", name);
			continue;
		}
		status = net_post(a->net, "/api/v1/agents/results", r, &ans, &err);
		if (status == 200 || status == 201) {
			vlog_info("agent", "result %s sent", name);
			state_del(&a->st, "outbox", name);
		} else if (status >= 400 && status < 500 && status != 401 && status != 408 &&
		           status != 429) {
			/* it will never be taken: keeping it would block the rest */
			vlog_warn("agent", "vigild refused result %s (%d): %s", name, status,
			          json_string_value(
			                  json_object_get(json_object_get(ans, "error"), "message"))
			                  ?: "?");
			state_del(&a->st, "outbox", name);
		} else {
			ok = false;
		}
		json_decref(r);
		json_decref(ans);
		g_free(err);
	}
	g_ptr_array_unref(names);
	return ok;
}

static void queue_result(struct agent *a, const char *name, json_t *r)
{
	if (state_count(&a->st, "outbox") >= a->c->queue_max)
		vlog_error("agent", "the outbox is full (%u results): %s is lost", a->c->queue_max,
		           name);
	else if (state_put(&a->st, "outbox", name, r) != 0)
		vlog_error("agent", "cannot write result %s: %s", name, g_strerror(errno));
}

/* a drill's plant or unplant order (plant.h): the result is queued like a
 * quarantine's, under its own name so the numbers of the kinds never meet */
static void do_plant_order(struct agent *a, json_t *o, json_int_t id, const char *kind)
{
	char *recdir = g_build_filename(a->c->state_dir, "plants", NULL);
	struct plant_result p;
	char name[64];
	json_t *r;

	g_snprintf(name, sizeof name, "%s-%lld", kind, (long long)id);
	if (state_has(&a->st, "done", name)) {
		g_free(recdir);
		return;
	}
	if (strcmp(kind, "plant") == 0) {
		const char *b64 = json_string_value(json_object_get(o, "content"));
		const char *fname = json_string_value(json_object_get(o, "name"));
		size_t blen = b64 ? strlen(b64) : 0;
		guchar *data = NULL;
		gsize len = 0;

		/* decoded only when its size can be within plant_max */
		if (b64 != NULL && blen / 4 * 3 <= a->c->plant_max + 3)
			data = g_base64_decode(b64, &len);
		plant_file(a->c->plant_dir, recdir, fname, data, data ? len : 0, a->c->plant_max,
		           id, &p);
		g_free(data);
	} else {
		json_int_t of = json_integer_value(json_object_get(o, "plant"));

		if (of > 0) {
			plant_remove(recdir, of, &p);
		} else {
			memset(&p, 0, sizeof p);
			p.detail = g_strdup("the order names no plant");
		}
	}
	vlog_info("agent", "%s order %lld (%s): %s%s%s", kind, (long long)id, p.path ? p.path : "?",
	          p.done ? "done" : "failed", p.detail ? ": " : "", p.detail ? p.detail : "");
	r = json_pack("{s:s,s:I,s:s,s:s?,s:s?}", "kind", kind, "order", id, "status",
	              p.done ? "done" : "failed", "detail", p.detail, "path", p.path);
	if (p.sha256[0])
		json_object_set_new(r, "sha256", json_string(p.sha256));
	queue_result(a, name, r);
	(void)state_put(&a->st, "done", name, NULL);
	json_decref(r);
	plant_result_free(&p);
	g_free(recdir);
}

static void do_orders(struct agent *a, json_t *orders)
{
	char *qdir = state_quarantine_dir(&a->st);
	json_t *o;
	size_t i;

	json_array_foreach(orders, i, o)
	{
		json_int_t id = json_integer_value(json_object_get(o, "order"));
		const char *kind = json_string_value(json_object_get(o, "kind"));
		const char *path = json_string_value(json_object_get(o, "path"));
		const char *sha = json_string_value(json_object_get(o, "sha256"));
		struct quar_result q;
		char name[64];
		json_t *r;

		if (id <= 0 || i >= 32)
			continue;
		if (kind != NULL && (strcmp(kind, "plant") == 0 || strcmp(kind, "unplant") == 0)) {
			do_plant_order(a, o, id, kind);
			continue;
		}
		g_snprintf(name, sizeof name, "quarantine-%lld", (long long)id);
		if (state_has(&a->st, "done", name))
			continue; /* done; its result is in the outbox or was sent */
		if (kind == NULL || strcmp(kind, "quarantine") != 0 || path == NULL) {
			memset(&q, 0, sizeof q);
			q.detail = g_strdup("this agent does not know the order");
		} else {
			quar_file(qdir, a->c->roots, a->c->nroots, path, sha, id, &q);
		}
		vlog_info("agent", "quarantine order %lld (%s): %s%s%s", (long long)id,
		          path ? path : "?", q.done ? "done" : "failed", q.detail ? ": " : "",
		          q.detail ? q.detail : "");
		r = json_pack("{s:s,s:I,s:s,s:s?,s:s?}", "kind", "quarantine", "order", id,
		              "status", q.done ? "done" : "failed", "detail", q.detail,
		              "quarantined_as", q.stored);
		if (q.sha256[0])
			json_object_set_new(r, "sha256", json_string(q.sha256));
		queue_result(a, name, r);
		(void)state_put(&a->st, "done", name, NULL);
		json_decref(r);
		quar_result_free(&q);
	}
	g_free(qdir);
}

static void accept_jobs(struct agent *a, json_t *jobs)
{
	json_t *j;
	size_t i;

	json_array_foreach(jobs, i, j)
	{
		json_int_t id = json_integer_value(json_object_get(j, "sweep"));
		char name[64];

		if (id <= 0 || i >= 8 || !json_is_object(json_object_get(j, "spec")))
			continue;
		g_snprintf(name, sizeof name, "sweep-%lld", (long long)id);
		if (state_has(&a->st, "done", name) || state_has(&a->st, "jobs", name))
			continue;
		if (state_put(&a->st, "jobs", name, j) == 0)
			vlog_info("agent", "sweep %lld accepted", (long long)id);
	}
}

/* between files of a sweep: a heartbeat every interval; false to stop */
static bool on_tick(void *ctx)
{
	struct agent *a = ctx;

	if (!stopping && mono_ms() - a->last_checkin >= (int64_t)a->c->interval * 1000) {
		json_t *ans = NULL;

		(void)checkin(a, true, &ans);
		json_decref(ans);
	}
	return !stopping;
}

static void run_jobs(struct agent *a)
{
	GPtrArray *names = state_list(&a->st, "jobs");

	for (guint i = 0; i < names->len && !stopping; i++) {
		const char *name = names->pdata[i];
		json_t *job = state_get(&a->st, "jobs", name), *res;
		int64_t expires = json_integer_value(json_object_get(job, "expires_ms"));

		if (job == NULL || (expires > 0 && expires < g_get_real_time() / 1000)) {
			vlog_warn("agent", "sweep job %s is unreadable or expired: dropped", name);
			state_del(&a->st, "jobs", name);
			json_decref(job);
			continue;
		}
		vlog_info("agent", "%s starts", name);
		res = sweep_run(&a->c->sweep, job, on_tick, a);
		json_decref(job);
		if (res == NULL)
			break; /* stopping: the job stays for the next start */
		vlog_info("agent", "%s done: %lld files, %zu hits%s", name,
		          (long long)json_integer_value(json_object_get(res, "files")),
		          json_array_size(json_object_get(res, "hits")),
		          json_is_true(json_object_get(res, "complete")) ? "" : " (incomplete)");
		queue_result(a, name, res);
		(void)state_put(&a->st, "done", name, NULL);
		state_del(&a->st, "jobs", name);
		json_decref(res);
		(void)flush_outbox(a);
	}
	g_ptr_array_unref(names);
}

/* one round; true when vigild was reached */
static bool round_once(struct agent *a)
{
	json_t *ans = NULL;
	int status;

	(void)flush_outbox(a);
	status = checkin(a, false, &ans);
	if (status == 200) {
		do_orders(a, json_object_get(ans, "orders"));
		accept_jobs(a, json_object_get(ans, "jobs"));
	}
	json_decref(ans);
	/* jobs accepted before (a restart, or vigild gone since) run anyway:
	 * their results wait in the outbox */
	run_jobs(a);
	(void)flush_outbox(a);
	return status == 200;
}

static void pause_for(int64_t ms)
{
	int64_t end = mono_ms() + ms;

	while (!stopping && mono_ms() < end) {
		int64_t left = MIN(end - mono_ms(), 200);
		struct timespec ts = {0, (long)MAX(left, 1) * 1000000L};

		(void)nanosleep(&ts, NULL);
	}
}

static int serve(struct conf *c, bool once)
{
	struct agent a = {.c = c};
	char *err = NULL, *cred;
	int rc = 1;

	cred = credential_read(c->credential);
	if (cred == NULL) {
		vlog_error("agent",
		           "not enrolled (no credential in %s): run vigil-agent --enrol TOKEN",
		           c->credential);
		return EX_CONFIG;
	}
	if (state_open(c->state_dir, &a.st, &err) != 0) {
		vlog_error("agent", "%s", err);
		g_free(err);
		memset(cred, 0, strlen(cred));
		g_free(cred);
		return EX_CONFIG;
	}
	a.net = net_new(c->server, c->ca_file, &err);
	if (a.net == NULL) {
		vlog_error("agent", "%s", err);
		g_free(err);
		goto out;
	}
	net_set_credential(a.net, cred);
	memset(cred, 0, strlen(cred));
	vlog_info("agent", "vigil-agent %s for host %s, server %s, %zu roots, cpu %u%%",
	          VIGIL_AGENT_VERSION, c->host, c->server, c->nroots, c->sweep.cpu_percent);
	state_prune(&a.st, "done", DONE_KEEP_S);
	while (!stopping) {
		bool ok = round_once(&a);
		int64_t wait;

		if (once) {
			rc = ok ? 0 : 1;
			break;
		}
		a.failures = ok ? 0 : MIN(a.failures + 1, 16);
		/* unreachable: back off (doubling) up to retry_max */
		wait = (int64_t)c->interval * 1000;
		for (unsigned i = 0; i < a.failures && wait < (int64_t)c->retry_max * 1000; i++)
			wait *= 2;
		if (a.failures > 0)
			wait = MIN(wait, (int64_t)c->retry_max * 1000);
		wait += (int64_t)g_random_int_range(0, (gint32)MAX(wait / 10, 1));
		pause_for(wait);
		rc = 0;
	}
	vlog_info("agent", "stopping");
out:
	net_free(a.net);
	state_close(&a.st);
	g_free(cred);
	return rc;
}

int main(int argc, char **argv)
{
	const char *conf_path = "/etc/vigil/agent.conf", *token = NULL;
	bool once = false;
	struct conf c = {0};
	struct sigaction sa = {0};
	int rc;

	if (argc > 1 && strcmp(argv[1], "--scanner") == 0)
		return scanner_main(argc, argv);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			conf_path = argv[++i];
		else if (strcmp(argv[i], "--enrol") == 0 && i + 1 < argc)
			token = argv[++i];
		else if (strcmp(argv[i], "--once") == 0)
			once = true;
		else if (strcmp(argv[i], "--version") == 0) {
			printf("vigil-agent %s\n", VIGIL_AGENT_VERSION);
			return 0;
		} else {
			fprintf(stderr, "usage: vigil-agent [-c FILE] [--enrol TOKEN | --once]\n");
			return 2;
		}
	}
	umask(077);
	if (conf_load(conf_path, &c) != 0) {
		conf_free(&c);
		return EX_CONFIG;
	}
	if (vlog_open(c.log, c.log_level) != 0) {
		fprintf(stderr, "vigil-agent: log %s: %s\n", c.log, g_strerror(errno));
		conf_free(&c);
		return EX_CONFIG;
	}
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	rc = token != NULL ? enrol(&c, token) : serve(&c, once);
	conf_free(&c);
	return rc;
}
