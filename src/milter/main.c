/*
 * main.c - vigil-milter's master process.
 *
 * The master parses the configuration, prepares the working folders, and
 * starts two children: the scan pool's supervisor (pool.c) and the milter
 * process (milter.c, libmilter's threads). It stays single-threaded and
 * waits for signals:
 *   SIGHUP           reload rules and indicators (sent on to the supervisor)
 *   SIGTERM, SIGINT  stop: the milter finishes its connections, then the pool
 *   SIGCHLD          a child ended: it is started again (no faster than
 *                    once a second); while the milter is down Postfix applies
 *                    milter_default_action (tempfail), so no mail passes
 *                    unscanned
 * libmilter treats SIGHUP as "stop", which is why the milter runs in its own
 * process and the reload signal goes to the master.
 */
#include <errno.h>
#include <getopt.h>
#include <glib.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../store/store.h"
#include "config.h"
#include "log.h"
#include "milter.h"
#include "pool.h"

static void usage(FILE *out)
{
	fprintf(out, "Usage: vigil-milter --config FILE [--check] [--pidfile FILE]\n"
	             "The vigil mail gateway: a milter for Postfix (docs/milter.md).\n\n"
	             "  -c, --config FILE   configuration file\n"
	             "      --check         load configuration, rules, indicators and the store, "
	             "then exit\n"
	             "      --pidfile FILE  write the master's pid there\n"
	             "Signals: HUP reloads rules and indicators; TERM stops.\n");
}

static int make_dir(const char *dir, uid_t uid, gid_t gid)
{
	if (g_mkdir_with_parents(dir, 0750) != 0) {
		fprintf(stderr, "vigil-milter: %s: cannot create: %s\n", dir, g_strerror(errno));
		return -1;
	}
	if (getuid() == 0 && uid != (uid_t)-1 && chown(dir, uid, gid) != 0) {
		fprintf(stderr, "vigil-milter: %s: cannot hand to the service user: %s\n", dir,
		        g_strerror(errno));
		return -1;
	}
	return 0;
}

static int check(struct milter_config *c)
{
	vigil_config *vc = pool_engine_config(&c->engine);
	vigil_engine *e = NULL;
	char *err = NULL;
	store *st = NULL;
	int rc = 0;

	if (vigil_engine_new(vc, &e, &err) != VIGIL_OK) {
		fprintf(stderr, "vigil-milter: rules or indicators: %s\n", err ? err : "failed");
		rc = 2;
	} else {
		printf("engine: %zu rules, %zu indicators\n", vigil_engine_rule_count(e),
		       vigil_engine_indicator_count(e));
	}
	vigil_free(err);
	err = NULL;
	vigil_engine_unref(e);
	vigil_config_free(vc);
	if (store_open(c->db, &st, &err) != STORE_OK) {
		fprintf(stderr, "vigil-milter: store %s: %s\n", c->db, err ? err : "unavailable");
		rc = 2;
	} else {
		printf("store: %s, schema %d\n", store_backend(st), store_schema_version(st));
		store_close(st);
	}
	free(err);
	if (rc == 0)
		printf("configuration %s is good\n", c->path);
	return rc;
}

static pid_t start_milter(struct milter_config *c, pool *p)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(milter_run(c, p));
	return pid;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"config", required_argument, NULL, 'c'}, {"check", no_argument, NULL, 1},
	        {"pidfile", required_argument, NULL, 2},  {"foreground", no_argument, NULL, 3},
	        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
	};
	struct milter_config cfg;
	struct pool_cfg pc;
	const char *path = NULL, *pidfile = NULL;
	bool only_check = false;
	char *err = NULL;
	pool *p;
	pid_t milter;
	sigset_t set;
	int o, exit_code = 0;
	int64_t milter_started;
	bool stopping = false;
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;

	while ((o = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			path = optarg;
			break;
		case 1:
			only_check = true;
			break;
		case 2:
			pidfile = optarg;
			break;
		case 3:
			break; /* always in the foreground; run it under a supervisor */
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (path == NULL) {
		usage(stderr);
		return 2;
	}
	if (config_load(path, &cfg, &err) != 0) {
		fprintf(stderr, "vigil-milter: %s\n", err);
		return 2;
	}
	if (only_check) {
		int rc = check(&cfg);

		config_free(&cfg);
		return rc;
	}
	if (vlog_open(cfg.log, cfg.log_level) != 0) {
		fprintf(stderr, "vigil-milter: log %s: %s\n", cfg.log, g_strerror(errno));
		return 2;
	}
	if (cfg.user != NULL && *cfg.user && getuid() == 0) {
		struct passwd *pw = getpwnam(cfg.user);

		if (pw == NULL) {
			fprintf(stderr, "vigil-milter: [milter] user = %s: no such user\n",
			        cfg.user);
			return 2;
		}
		uid = pw->pw_uid;
		gid = pw->pw_gid;
	}
	if (make_dir(cfg.spool_dir, uid, gid) || make_dir(cfg.quarantine_dir, uid, gid) ||
	    make_dir(cfg.journal_dir, uid, gid) || make_dir(cfg.run_dir, uid, gid))
		return 2;
	if (g_str_has_prefix(cfg.db, "sqlite:") || cfg.db[0] == '/') {
		const char *f = g_str_has_prefix(cfg.db, "sqlite:") ? cfg.db + 7 : cfg.db;
		char *dir = g_path_get_dirname(f);

		if (make_dir(dir, uid, gid) != 0)
			return 2;
		g_free(dir);
	}
	if (pidfile != NULL) {
		FILE *f = fopen(pidfile, "w");

		if (f != NULL) {
			fprintf(f, "%d\n", (int)getpid());
			fclose(f);
		}
	}

	/* the master handles these through sigwait; children reset their masks */
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	memset(&pc, 0, sizeof pc);
	pc.socket_path = g_build_filename(cfg.run_dir, "scan.sock", NULL);
	pc.workers = cfg.workers;
	pc.scan_timeout_s = cfg.scan_timeout;
	pc.worker_mem_limit = cfg.worker_mem_limit;
	pc.engine = &cfg.engine;
	pc.uid = uid;
	pc.gid = gid;
	p = pool_create(&pc, &err);
	if (p == NULL || pool_spawn(p, &err) != 0) {
		fprintf(stderr, "vigil-milter: scan workers: %s\n", err ? err : "failed to start");
		vlog_error("master", "scan workers did not start: %s", err ? err : "?");
		return 2;
	}
	milter = start_milter(&cfg, p);
	milter_started = time(NULL);
	vlog_info("master", "vigil-milter %s started (master %d, milter %d, pool %d)",
	          VIGIL_VERSION, (int)getpid(), (int)milter, (int)pool_supervisor(p));

	for (;;) {
		int sig = 0, status;
		pid_t pid;

		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			vlog_info("master", "reload requested (SIGHUP)");
			kill(pool_supervisor(p), SIGHUP);
		} else if (sig == SIGTERM || sig == SIGINT) {
			vlog_info("master", "stopping");
			stopping = true;
			if (milter > 0)
				kill(milter, SIGTERM);
			while (milter > 0 && waitpid(milter, &status, 0) < 0 && errno == EINTR)
				;
			milter = 0;
			break;
		}
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			if (pid == milter && !stopping) {
				vlog_error("master",
				           "the milter process ended (%s %d); starting it again",
				           WIFSIGNALED(status) ? "signal" : "status",
				           WIFSIGNALED(status) ? WTERMSIG(status)
				                               : WEXITSTATUS(status));
				if (time(NULL) - milter_started < 2)
					sleep(1);
				milter = start_milter(&cfg, p);
				milter_started = time(NULL);
			} else if (pid == pool_supervisor(p) && !stopping) {
				vlog_error("master", "the scan pool ended; starting it again");
				g_free(err);
				err = NULL;
				if (pool_spawn(p, &err) != 0) {
					vlog_error("master", "the scan pool cannot start: %s", err);
					sleep(1);
				}
			}
		}
	}
	pool_stop(p);
	vlog_info("master", "stopped");
	if (pidfile != NULL)
		unlink(pidfile);
	g_free((char *)pc.socket_path);
	config_free(&cfg);
	return exit_code;
}
