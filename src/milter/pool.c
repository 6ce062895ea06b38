/*
 * pool.c - scan workers: a supervisor process, its workers, and the client
 * side the milter threads use (see pool.h for the model).
 *
 * Processes: the master calls pool_spawn() (it has no threads), so
 * fork() is safe. The supervisor is single-threaded and waits on a
 * signalfd (SIGCHLD, SIGHUP, SIGTERM); workers wait in ppoll() with SIGUSR1
 * (retire) unblocked only there, so a retire request can never slip in
 * between "am I retired?" and "wait for work".
 *
 * Wire format, milter -> worker: one sendmsg() of [u32 length][envelope
 * JSON] with the message fd as SCM_RIGHTS. Worker -> milter: [u32 length]
 * [result JSON]. Lengths are little-endian and bounded (1 MiB request,
 * 64 MiB result).
 *
 * Limits: each worker arms alarm(scan_timeout) per message (SIGALRM kills
 * it), has RLIMIT_AS (worker_mem_limit), no core dumps, no new privileges,
 * and dies with its supervisor (PR_SET_PDEATHSIG). A worker that dies in its
 * first second is respawned no faster than once a second, so a poisoned
 * rule set cannot spin the machine.
 */
#include "pool.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../common/scanjson.h"
#include "log.h"

#define MAX_REQUEST (1u << 20)
#define MAX_RESULT (64u << 20)

struct shared {
	pid_t supervisor;
	unsigned generation;
	unsigned workers_alive;
	unsigned long restarts;
	unsigned long reloads_ok;
	unsigned long reloads_failed;
	unsigned long reload_seq; /* bumped after every reload attempt */
	unsigned long rules;
	unsigned long indicators;
	pid_t workers[POOL_MAX_WORKERS];
	char last_error[512];
};

struct pool {
	const struct pool_cfg *cfg;
	char *socket_path;
	struct shared *sh;
};

/* ---- small helpers ---- */

static int write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n > 0) {
		ssize_t w = write(fd, b, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* reads exactly n bytes before deadline (ms, monotonic); -1 on EOF/error/timeout */
static int read_full(int fd, void *p, size_t n, int64_t deadline, bool *timed_out)
{
	uint8_t *b = p;

	while (n > 0) {
		struct pollfd pf = {fd, POLLIN, 0};
		int64_t left = deadline - now_ms();
		ssize_t r;

		if (left <= 0) {
			*timed_out = true;
			return -1;
		}
		r = poll(&pf, 1, (int)(left > 1000000 ? 1000000 : left));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue;
		r = read(fd, b, n);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- engine ---- */

vigil_config *pool_engine_config(const struct pool_engine_cfg *e)
{
	vigil_config *cfg = vigil_config_new();

	if (cfg == NULL)
		return NULL;
	for (char **r = e->rules; r != NULL && *r != NULL; r++)
		vigil_config_add_rules(cfg, *r);
	for (char **i = e->indicators; i != NULL && *i != NULL; i++)
		vigil_config_add_indicators(cfg, *i);
	if (e->rule_severity != NULL && *e->rule_severity)
		vigil_config_load_rule_severity(cfg, e->rule_severity);
	for (int l = 0; l < VIGIL_LIMIT__COUNT; l++)
		if (e->limits[l] != 0)
			vigil_config_set_limit(cfg, (vigil_limit)l, e->limits[l]);
	/* files first, so that [analyzers] keys win over them (checked readable
	 * when the configuration was read) */
	for (char **f = e->option_files; f != NULL && *f != NULL; f++)
		(void)vigil_config_load_options(cfg, *f);
	for (char **o = e->options; o != NULL && *o != NULL; o++) {
		char *eq = strchr(*o, '=');

		if (eq != NULL) {
			char *k = g_strndup(*o, (size_t)(eq - *o));

			vigil_config_set_option(cfg, k, eq + 1);
			g_free(k);
		}
	}
	return cfg;
}

static vigil_engine *build_engine(const struct pool_engine_cfg *e, char **err)
{
	vigil_config *cfg = pool_engine_config(e);
	vigil_engine *eng = NULL;
	char *msg = NULL;
	vigil_err rc;

	if (cfg == NULL) {
		*err = g_strdup("out of memory");
		return NULL;
	}
	rc = vigil_engine_new(cfg, &eng, &msg);
	vigil_config_free(cfg);
	if (rc != VIGIL_OK) {
		*err = g_strdup_printf("%s%s%s", vigil_strerror(rc), msg ? ": " : "",
		                       msg ? msg : "");
		vigil_free(msg);
		return NULL;
	}
	return eng;
}

/* ---- worker ---- */

static volatile sig_atomic_t retire;

static void on_retire(int sig)
{
	(void)sig;
	retire = 1;
}

static void worker_limits(const struct pool_cfg *cfg)
{
	struct rlimit rl = {0, 0};

	setrlimit(RLIMIT_CORE, &rl);
	if (cfg->worker_mem_limit > 0) {
		rl.rlim_cur = rl.rlim_max = cfg->worker_mem_limit;
		setrlimit(RLIMIT_AS, &rl);
	}
	if (getuid() == 0 && cfg->uid != (uid_t)-1) {
		if (setgroups(0, NULL) != 0 || setgid(cfg->gid) != 0 || setuid(cfg->uid) != 0) {
			vlog_error("pool", "worker cannot drop privileges: %s", g_strerror(errno));
			_exit(1);
		}
	}
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

static char *error_json(const char *what)
{
	json_t *j = json_pack("{s:s}", "error", what);
	char *t = json_dumps(j, JSON_COMPACT);

	json_decref(j);
	return t;
}

/* Serves one request on connection c. */
static void worker_serve(int c, vigil_engine *eng, unsigned timeout_s)
{
	uint8_t hdr[4];
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {hdr, sizeof hdr};
	struct msghdr mh;
	struct cmsghdr *cm;
	int fd = -1;
	ssize_t n;
	uint32_t len;
	char *req = NULL, *out = NULL;
	json_t *env = NULL, *res;
	struct stat st;
	void *map = MAP_FAILED;
	size_t size = 0;
	vigil_scan *s = NULL;
	bool to = false;

	memset(&mh, 0, sizeof mh);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof cbuf;
	do
		n = recvmsg(c, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		goto out;
	for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
		    cm->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&fd, CMSG_DATA(cm), sizeof fd);
	if ((size_t)n < sizeof hdr &&
	    read_full(c, hdr + n, sizeof hdr - (size_t)n, now_ms() + 10000, &to) != 0)
		goto out;
	len = get_u32(hdr);
	if (fd < 0 || len == 0 || len > MAX_REQUEST)
		goto out;
	req = g_malloc(len + 1);
	if (read_full(c, req, len, now_ms() + 10000, &to) != 0)
		goto out;
	req[len] = 0;
	env = json_loads(req, 0, NULL);
	if (env == NULL || fstat(fd, &st) != 0)
		goto out;

	alarm(timeout_s); /* SIGALRM ends this process: the milter applies the fail-safe */
	size = (size_t)st.st_size;
	if (size > 0) {
		map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED) {
			out = error_json("cannot map the message");
			goto reply;
		}
	}
	s = vigil_scan_new(eng, 0);
	{
		const char *from = json_string_value(json_object_get(env, "env_from"));
		const char *dir = json_string_value(json_object_get(env, "direction"));
		json_t *rcpts = json_object_get(env, "env_rcpts"), *r;
		size_t i;

		if (from != NULL)
			vigil_scan_set_envelope_from(s, from);
		if (dir != NULL)
			vigil_scan_set_direction(s,
			                         strcmp(dir, "outbound") == 0  ? VIGIL_DIR_OUTBOUND
			                         : strcmp(dir, "inbound") == 0 ? VIGIL_DIR_INBOUND
			                                                       : VIGIL_DIR_UNKNOWN);
		json_array_foreach(rcpts, i, r) if (json_is_string(r))
		        vigil_scan_add_envelope_rcpt(s, json_string_value(r));
	}
	/* a gateway scans messages: no signature in the first bytes (a tar
	 * checksum in the Subject) may turn one into something else */
	vigil_scan_set_type(s, "email");
	if (vigil_scan_buffer(s, map != MAP_FAILED ? map : (const void *)"", size,
	                      json_string_value(json_object_get(env, "name"))) != VIGIL_OK) {
		out = error_json("the engine failed on this message");
		goto reply;
	}
	res = scanjson(s, json_string_value(json_object_get(env, "name")) ?: "message",
	               VIGIL_LANG_EN);
	out = json_dumps(res, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(res);
reply:
	if (out != NULL && strlen(out) <= MAX_RESULT) {
		uint8_t lh[4];

		put_u32(lh, (uint32_t)strlen(out));
		if (write_all(c, lh, 4) == 0)
			(void)write_all(c, out, strlen(out));
	}
	alarm(0);
out:
	free(out);
	vigil_scan_free(s);
	if (map != MAP_FAILED)
		munmap(map, size);
	if (fd >= 0)
		close(fd);
	json_decref(env);
	g_free(req);
}

static void worker_main(const struct pool_cfg *cfg, int lfd, vigil_engine *eng)
{
	sigset_t block, waitmask;
	struct sigaction sa;

	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	prctl(PR_SET_NAME, "vigil-scan", 0, 0, 0);
	if (getppid() == 1)
		_exit(0); /* the supervisor is already gone */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_retire; /* no SA_RESTART: ppoll returns EINTR */
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_SETMASK, &block, NULL); /* USR1 only inside ppoll */
	sigemptyset(&waitmask);
	worker_limits(cfg);

	while (!retire) {
		struct pollfd pf = {lfd, POLLIN, 0};
		int r = ppoll(&pf, 1, NULL, &waitmask), c;

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue;
		c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue; /* another worker took it (EAGAIN) */
		worker_serve(c, eng, cfg->scan_timeout_s);
		close(c);
	}
	_exit(0);
}

/* ---- supervisor ---- */

struct wrec {
	pid_t pid;
	unsigned gen;
	bool retired;
	int64_t started;
};

struct sup {
	const struct pool_cfg *cfg;
	int lfd;
	struct shared *sh;
	vigil_engine *eng;
	unsigned gen;
	struct wrec w[2 * POOL_MAX_WORKERS];
	int64_t next_spawn;
	bool stopping;
};

static void publish(struct sup *s)
{
	unsigned k = 0;

	memset(s->sh->workers, 0, sizeof s->sh->workers);
	for (size_t i = 0; i < G_N_ELEMENTS(s->w) && k < POOL_MAX_WORKERS; i++)
		if (s->w[i].pid > 0 && !s->w[i].retired)
			s->sh->workers[k++] = s->w[i].pid;
	__atomic_store_n(&s->sh->workers_alive, k, __ATOMIC_RELEASE);
	__atomic_store_n(&s->sh->generation, s->gen, __ATOMIC_RELEASE);
}

static unsigned current_workers(struct sup *s)
{
	unsigned k = 0;

	for (size_t i = 0; i < G_N_ELEMENTS(s->w); i++)
		if (s->w[i].pid > 0 && !s->w[i].retired)
			k++;
	return k;
}

static void spawn_one(struct sup *s)
{
	pid_t pid;
	size_t slot;

	for (slot = 0; slot < G_N_ELEMENTS(s->w); slot++)
		if (s->w[slot].pid == 0)
			break;
	if (slot == G_N_ELEMENTS(s->w))
		return;
	pid = fork();
	if (pid < 0) {
		vlog_error("pool", "cannot fork a scan worker: %s", g_strerror(errno));
		return;
	}
	if (pid == 0)
		worker_main(s->cfg, s->lfd, s->eng);
	s->w[slot].pid = pid;
	s->w[slot].gen = s->gen;
	s->w[slot].retired = false;
	s->w[slot].started = now_ms();
}

static void fill(struct sup *s)
{
	if (s->stopping || now_ms() < s->next_spawn)
		return;
	while (current_workers(s) < s->cfg->workers) {
		unsigned before = current_workers(s);

		spawn_one(s);
		if (current_workers(s) == before)
			break;
	}
	publish(s);
}

static void reap(struct sup *s)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (size_t i = 0; i < G_N_ELEMENTS(s->w); i++) {
			struct wrec *w = &s->w[i];

			if (w->pid != pid)
				continue;
			if (!w->retired && !s->stopping &&
			    (WIFSIGNALED(status) || WEXITSTATUS(status) != 0)) {
				__atomic_add_fetch(&s->sh->restarts, 1, __ATOMIC_RELAXED);
				vlog_warn("pool", "scan worker %d ended (%s %d); starting another",
				          (int)pid, WIFSIGNALED(status) ? "signal" : "exit status",
				          WIFSIGNALED(status) ? WTERMSIG(status)
				                              : WEXITSTATUS(status));
				if (now_ms() - w->started < 1000)
					s->next_spawn = now_ms() + 1000;
			}
			w->pid = 0;
		}
	}
	publish(s);
}

static void reload(struct sup *s)
{
	char *err = NULL;
	vigil_engine *eng = build_engine(s->cfg->engine, &err);

	if (eng == NULL) {
		g_strlcpy(s->sh->last_error, err ? err : "reload failed", sizeof s->sh->last_error);
		vlog_error("pool", "reload failed, keeping the current rules: %s", err ? err : "?");
		__atomic_add_fetch(&s->sh->reloads_failed, 1, __ATOMIC_RELAXED);
		g_free(err);
		__atomic_add_fetch(&s->sh->reload_seq, 1, __ATOMIC_RELEASE);
		return;
	}
	/* the old generation finishes what it holds, then exits */
	for (size_t i = 0; i < G_N_ELEMENTS(s->w); i++)
		if (s->w[i].pid > 0 && !s->w[i].retired) {
			s->w[i].retired = true;
			kill(s->w[i].pid, SIGUSR1);
		}
	vigil_engine_unref(s->eng);
	s->eng = eng;
	s->gen++;
	s->sh->rules = vigil_engine_rule_count(eng);
	s->sh->indicators = vigil_engine_indicator_count(eng);
	s->sh->last_error[0] = 0;
	s->next_spawn = 0;
	fill(s);
	__atomic_add_fetch(&s->sh->reloads_ok, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&s->sh->reload_seq, 1, __ATOMIC_RELEASE);
	vlog_info("pool", "rules reloaded: generation %u, %lu rules, %lu indicators", s->gen,
	          s->sh->rules, s->sh->indicators);
}

static void stop_all(struct sup *s)
{
	int64_t deadline = now_ms() + (int64_t)(s->cfg->scan_timeout_s + 2) * 1000;

	s->stopping = true;
	for (size_t i = 0; i < G_N_ELEMENTS(s->w); i++)
		if (s->w[i].pid > 0)
			kill(s->w[i].pid, SIGUSR1);
	while (now_ms() < deadline) {
		bool any = false;

		reap(s);
		for (size_t i = 0; i < G_N_ELEMENTS(s->w); i++)
			any |= s->w[i].pid > 0;
		if (!any)
			return;
		usleep(20000);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(s->w); i++)
		if (s->w[i].pid > 0)
			kill(s->w[i].pid, SIGKILL);
	reap(s);
}

static void supervisor_main(const struct pool_cfg *cfg, int lfd, struct shared *sh, int ready)
{
	struct sup s;
	sigset_t set;
	int sfd;
	char *err = NULL;

	prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
	prctl(PR_SET_NAME, "vigil-pool", 0, 0, 0);
	memset(&s, 0, sizeof s);
	s.cfg = cfg;
	s.lfd = lfd;
	s.sh = sh;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);

	s.eng = build_engine(cfg->engine, &err);
	if (s.eng == NULL) {
		(void)write_all(ready, err, strlen(err));
		_exit(1);
	}
	s.gen = 1;
	sh->rules = vigil_engine_rule_count(s.eng);
	sh->indicators = vigil_engine_indicator_count(s.eng);
	fill(&s);
	(void)write_all(ready, "", 1);
	close(ready);

	for (;;) {
		struct pollfd pf = {sfd, POLLIN, 0};
		struct signalfd_siginfo si;

		if (poll(&pf, 1, 1000) > 0 && read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
			if (si.ssi_signo == SIGCHLD)
				reap(&s);
			else if (si.ssi_signo == SIGHUP)
				reload(&s);
			else
				break;
		}
		reap(&s);
		fill(&s);
		if (getppid() == 1)
			break; /* the milter is gone */
	}
	stop_all(&s);
	_exit(0);
}

/* ---- milter side ---- */

pool *pool_create(const struct pool_cfg *cfg, char **err)
{
	struct shared *sh;
	pool *p;

	if (cfg->workers == 0 || cfg->workers > POOL_MAX_WORKERS) {
		*err = g_strdup_printf("workers must be 1 to %d", POOL_MAX_WORKERS);
		return NULL;
	}
	if (strlen(cfg->socket_path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		*err = g_strdup_printf("%s: socket path too long", cfg->socket_path);
		return NULL;
	}
	sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		*err = g_strdup_printf("cannot set up the worker pool: %s", g_strerror(errno));
		return NULL;
	}
	memset(sh, 0, sizeof *sh);
	p = g_new0(pool, 1);
	p->cfg = cfg;
	p->socket_path = g_strdup(cfg->socket_path);
	p->sh = sh;
	return p;
}

pid_t pool_supervisor(pool *p)
{
	return __atomic_load_n(&p->sh->supervisor, __ATOMIC_ACQUIRE);
}

int pool_spawn(pool *p, char **err)
{
	const struct pool_cfg *cfg = p->cfg;
	struct sockaddr_un sa;
	int lfd, rp[2];
	pid_t pid;
	char buf[2048];
	ssize_t n;

	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, cfg->socket_path, strlen(cfg->socket_path));
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	unlink(cfg->socket_path);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(lfd, 256) != 0) {
		*err = g_strdup_printf("%s: cannot listen: %s", cfg->socket_path,
		                       g_strerror(errno));
		if (lfd >= 0)
			close(lfd);
		return -1;
	}
	chmod(cfg->socket_path, 0600);
	if (getuid() == 0 && cfg->uid != (uid_t)-1 &&
	    chown(cfg->socket_path, cfg->uid, cfg->gid) != 0)
		vlog_warn("pool", "%s: chown: %s", cfg->socket_path, g_strerror(errno));
	if (pipe2(rp, O_CLOEXEC) != 0) {
		*err = g_strdup_printf("pipe: %s", g_strerror(errno));
		close(lfd);
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		*err = g_strdup_printf("cannot fork: %s", g_strerror(errno));
		close(lfd);
		close(rp[0]);
		close(rp[1]);
		return -1;
	}
	if (pid == 0) {
		close(rp[0]);
		supervisor_main(cfg, lfd, p->sh, rp[1]);
		_exit(0);
	}
	close(rp[1]);
	close(lfd);
	/* wait for the first generation (or the engine's error) */
	n = read(rp[0], buf, sizeof buf - 1);
	close(rp[0]);
	if (n != 1 || buf[0] != 0) {
		int st;

		buf[n > 0 ? n : 0] = 0;
		*err = g_strdup(n > 0 ? buf : "the worker pool did not start");
		waitpid(pid, &st, 0);
		return -1;
	}
	__atomic_store_n(&p->sh->supervisor, pid, __ATOMIC_RELEASE);
	return 0;
}

int pool_reload(pool *p, int wait_ms, char **err)
{
	unsigned long seq = __atomic_load_n(&p->sh->reload_seq, __ATOMIC_ACQUIRE);
	unsigned long ok = __atomic_load_n(&p->sh->reloads_ok, __ATOMIC_ACQUIRE);
	int64_t deadline = now_ms() + wait_ms;

	if (kill(pool_supervisor(p), SIGHUP) != 0) {
		*err = g_strdup_printf("the worker pool is not running: %s", g_strerror(errno));
		return -1;
	}
	while (now_ms() < deadline) {
		if (__atomic_load_n(&p->sh->reload_seq, __ATOMIC_ACQUIRE) != seq) {
			if (__atomic_load_n(&p->sh->reloads_ok, __ATOMIC_ACQUIRE) != ok)
				return 0;
			*err = g_strndup(p->sh->last_error, sizeof p->sh->last_error);
			return -1;
		}
		usleep(10000);
	}
	*err = g_strdup("the reload is still running");
	return -1;
}

void pool_status_get(pool *p, struct pool_status *st)
{
	memset(st, 0, sizeof *st);
	st->generation = __atomic_load_n(&p->sh->generation, __ATOMIC_ACQUIRE);
	st->workers_alive = __atomic_load_n(&p->sh->workers_alive, __ATOMIC_ACQUIRE);
	st->restarts = __atomic_load_n(&p->sh->restarts, __ATOMIC_RELAXED);
	st->reloads_ok = __atomic_load_n(&p->sh->reloads_ok, __ATOMIC_RELAXED);
	st->reloads_failed = __atomic_load_n(&p->sh->reloads_failed, __ATOMIC_RELAXED);
	st->rules = p->sh->rules;
	st->indicators = p->sh->indicators;
	st->supervisor = pool_supervisor(p);
	memcpy(st->workers, p->sh->workers, sizeof st->workers);
	memcpy(st->last_error, p->sh->last_error, sizeof st->last_error);
	st->last_error[sizeof st->last_error - 1] = 0;
}

void pool_stop(pool *p)
{
	int st;
	int64_t deadline = now_ms() + 120000;
	pid_t pid;

	if (p == NULL)
		return;
	pid = pool_supervisor(p);
	if (pid > 0) {
		kill(pid, SIGTERM);
		while (waitpid(pid, &st, WNOHANG) == 0) {
			if (now_ms() > deadline) {
				kill(pid, SIGKILL);
				waitpid(pid, &st, 0);
				break;
			}
			usleep(20000);
		}
	}
	unlink(p->socket_path);
	munmap(p->sh, sizeof *p->sh);
	g_free(p->socket_path);
	g_free(p);
}

int pool_scan(pool *p, int fd, const char *envelope_json, int timeout_ms, char **result, char **err)
{
	struct sockaddr_un sa;
	struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
	int64_t deadline = now_ms() + timeout_ms;
	size_t elen = strlen(envelope_json);
	uint8_t hdr[4];
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov[2];
	struct msghdr mh;
	struct cmsghdr *cm;
	bool to = false;
	uint32_t len;
	char *out;
	int c, rc = POOL_EIO;

	*result = NULL;
	if (elen == 0 || elen > MAX_REQUEST) {
		*err = g_strdup("envelope too large");
		return POOL_EIO;
	}
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	g_strlcpy(sa.sun_path, p->socket_path, sizeof sa.sun_path);
	c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0) {
		*err = g_strdup_printf("socket: %s", g_strerror(errno));
		return POOL_EIO;
	}
	/* a full backlog makes connect wait: bounded by the send timeout */
	setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (connect(c, (struct sockaddr *)&sa, sizeof sa) != 0) {
		*err = g_strdup_printf("no scan worker answers: %s", g_strerror(errno));
		rc = (errno == EAGAIN || errno == EWOULDBLOCK) ? POOL_ETIMEOUT : POOL_EWORKER;
		goto out;
	}
	put_u32(hdr, (uint32_t)elen);
	iov[0].iov_base = hdr;
	iov[0].iov_len = 4;
	iov[1].iov_base = (void *)envelope_json;
	iov[1].iov_len = elen;
	memset(&mh, 0, sizeof mh);
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof cbuf;
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof fd);
	if (sendmsg(c, &mh, MSG_NOSIGNAL) != (ssize_t)(4 + elen)) {
		*err = g_strdup_printf("cannot hand the message to a worker: %s",
		                       g_strerror(errno));
		rc = POOL_EWORKER;
		goto out;
	}
	if (read_full(c, hdr, 4, deadline, &to) != 0) {
		*err = g_strdup(to ? "the scan took too long" : "the scan worker died");
		rc = to ? POOL_ETIMEOUT : POOL_EWORKER;
		goto out;
	}
	len = get_u32(hdr);
	if (len == 0 || len > MAX_RESULT) {
		*err = g_strdup("the worker's answer is malformed");
		rc = POOL_EWORKER;
		goto out;
	}
	out = malloc((size_t)len + 1);
	if (out == NULL || read_full(c, out, len, deadline, &to) != 0) {
		free(out);
		*err = g_strdup(to ? "the scan took too long" : "the scan worker died");
		rc = to ? POOL_ETIMEOUT : POOL_EWORKER;
		goto out;
	}
	out[len] = 0;
	*result = out;
	rc = POOL_OK;
out:
	close(c);
	return rc;
}
