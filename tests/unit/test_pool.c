/* test_pool.c - scan workers: results, crashes, timeouts and reloads. */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#include "milter/log.h"
#include "milter/pool.h"

static char tmpdir[] = "/tmp/vigil-pool-XXXXXX";
static char rules_path[256], sock_path[256];

/* a condition that walks every byte: ~70 ms per MB, so big inputs are slow */
#define SLOW_RULE                                                                                  \
	"rule slow_walk { condition: for all i in (0..filesize-1) : (uint8(i) != 0xFF) }\n"
#define EICAR_RULE                                                                                 \
	"rule eicar { meta: severity = \"critical\" strings: $a = "                                \
	"\"EICAR-STANDARD-ANTIVIRUS-TEST\" "                                                       \
	"condition: $a }\n"

static void write_file(const char *path, const char *text)
{
	assert_true(g_file_set_contents(path, text, -1, NULL));
}

static int temp_with(const void *p, size_t n)
{
	char path[300];
	int fd;

	g_snprintf(path, sizeof path, "%s/msg-XXXXXX", tmpdir);
	fd = g_mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	return fd;
}

static int zeros(size_t n)
{
	char *z = calloc(1, n);
	int fd = temp_with(z, n);

	free(z);
	return fd;
}

static pool *start(unsigned workers, unsigned timeout, struct pool_cfg *pc,
                   struct pool_engine_cfg *ec, char **rules)
{
	pool *p;
	char *err = NULL;

	memset(pc, 0, sizeof *pc);
	memset(ec, 0, sizeof *ec);
	rules[0] = rules_path;
	rules[1] = NULL;
	ec->rules = rules;
	pc->socket_path = sock_path;
	pc->workers = workers;
	pc->scan_timeout_s = timeout;
	pc->engine = ec;
	pc->uid = (uid_t)-1;
	p = pool_create(pc, &err);
	assert_non_null(p);
	if (pool_spawn(p, &err) != 0) {
		fprintf(stderr, "pool: %s\n", err);
		fail();
	}
	return p;
}

static json_t *scan(pool *p, int fd, int timeout_ms, int *rc)
{
	char *res = NULL, *err = NULL;
	json_t *j = NULL;

	*rc = pool_scan(p, fd, "{\"name\":\"t\",\"env_from\":\"a@b.example\",\"env_rcpts\":[]}",
	                timeout_ms, &res, &err);
	if (*rc == POOL_OK)
		j = json_loads(res, 0, NULL);
	free(res);
	g_free(err);
	return j;
}

static bool has_finding(json_t *r, const char *id)
{
	json_t *f;
	size_t i;

	json_array_foreach(json_object_get(r, "findings"), i,
	                   f) if (strcmp(json_string_value(json_object_get(f, "id")), id) ==
	                          0) return true;
	return false;
}

static void wait_workers(pool *p, unsigned want)
{
	struct pool_status st;

	for (int i = 0; i < 1000; i++) {
		pool_status_get(p, &st);
		if (st.workers_alive == want)
			return;
		usleep(10000);
	}
	fail_msg("workers did not come back");
}

static void verdicts_through_the_pool(void **state)
{
	struct pool_cfg pc;
	struct pool_engine_cfg ec;
	char *rules[2];
	pool *p;
	const char eicar[] =
	        "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
	const char clean[] = "From: a@b.example\nSubject: hi\n\nhello\n";
	int fd, rc;
	json_t *r;

	(void)state;
	write_file(rules_path, EICAR_RULE);
	p = start(2, 10, &pc, &ec, rules);
	fd = temp_with(eicar, sizeof eicar - 1);
	r = scan(p, fd, 5000, &rc);
	assert_int_equal(rc, POOL_OK);
	assert_string_equal(json_string_value(json_object_get(r, "verdict")), "malicious");
	assert_true(has_finding(r, "yara.eicar"));
	json_decref(r);
	close(fd);
	fd = temp_with(clean, sizeof clean - 1);
	r = scan(p, fd, 5000, &rc);
	assert_int_equal(rc, POOL_OK);
	assert_string_equal(json_string_value(json_object_get(r, "verdict")), "clean");
	/* the message facts arrive too (the record needs them) */
	assert_string_equal(json_string_value(json_array_get(
	                            json_object_get(json_object_get(r, "message"), "subject"), 0)),
	                    "hi");
	json_decref(r);
	close(fd);
	pool_stop(p);
}

static void timeout_kills_and_replaces_the_worker(void **state)
{
	struct pool_cfg pc;
	struct pool_engine_cfg ec;
	struct pool_status st;
	char *rules[2];
	pool *p;
	int fd, rc;
	json_t *r;

	(void)state;
	write_file(rules_path, SLOW_RULE EICAR_RULE);
	p = start(2, 1, &pc, &ec, rules); /* one second per message */
	fd = zeros(40u << 20);            /* about three seconds of rule walking */
	r = scan(p, fd, 20000, &rc);
	assert_null(r);
	assert_int_equal(rc, POOL_EWORKER); /* its alarm ended it; the socket closed */
	close(fd);
	/* the supervisor reaps the dead worker a moment after the socket closed */
	for (int i = 0; i < 1000; i++) {
		pool_status_get(p, &st);
		if (st.restarts >= 1)
			break;
		usleep(10000);
	}
	assert_true(st.restarts >= 1);
	wait_workers(p, 2);
	fd = temp_with("small", 5);
	r = scan(p, fd, 5000, &rc);
	assert_int_equal(rc, POOL_OK);
	json_decref(r);
	close(fd);
	pool_stop(p);
}

static void killed_workers_come_back(void **state)
{
	struct pool_cfg pc;
	struct pool_engine_cfg ec;
	struct pool_status st;
	char *rules[2];
	pool *p;
	int fd, rc;
	json_t *r;

	(void)state;
	write_file(rules_path, EICAR_RULE);
	p = start(3, 10, &pc, &ec, rules);
	pool_status_get(p, &st);
	for (int i = 0; i < POOL_MAX_WORKERS; i++)
		if (st.workers[i] > 0)
			kill(st.workers[i], SIGKILL);
	usleep(50000);
	wait_workers(p, 3);
	pool_status_get(p, &st);
	assert_true(st.restarts >= 3);
	fd = temp_with("after", 5);
	r = scan(p, fd, 5000, &rc);
	assert_int_equal(rc, POOL_OK);
	json_decref(r);
	close(fd);
	pool_stop(p);
}

struct inflight {
	pool *p;
	int fd;
	json_t *result;
	int rc;
};

static void *scan_thread(void *arg)
{
	struct inflight *f = arg;

	f->result = scan(f->p, f->fd, 30000, &f->rc);
	return NULL;
}

static void reload_swaps_rules_and_inflight_keeps_the_old_set(void **state)
{
	struct pool_cfg pc;
	struct pool_engine_cfg ec;
	struct pool_status st;
	char *rules[2], *err = NULL;
	pool *p;
	struct inflight f;
	pthread_t t;
	int fd, rc;
	json_t *r;

	(void)state;
	write_file(rules_path, SLOW_RULE "rule old_marker { condition: filesize > 0 }\n");
	p = start(2, 30, &pc, &ec, rules);
	/* a slow scan in flight while the rules change */
	f.p = p;
	f.fd = zeros(20u << 20);
	f.result = NULL;
	pthread_create(&t, NULL, scan_thread, &f);
	usleep(300000);
	write_file(rules_path, SLOW_RULE "rule new_marker { condition: filesize > 0 }\n");
	assert_int_equal(pool_reload(p, 30000, &err), 0);
	pool_status_get(p, &st);
	assert_int_equal(st.generation, 2);
	pthread_join(t, NULL);
	assert_int_equal(f.rc, POOL_OK);
	assert_true(has_finding(f.result, "yara.old_marker"));
	assert_false(has_finding(f.result, "yara.new_marker"));
	json_decref(f.result);
	close(f.fd);
	/* new scans use the new set */
	fd = temp_with("x", 1);
	r = scan(p, fd, 5000, &rc);
	assert_int_equal(rc, POOL_OK);
	assert_true(has_finding(r, "yara.new_marker"));
	assert_false(has_finding(r, "yara.old_marker"));
	json_decref(r);

	/* a broken rule file: the reload fails, says why, and the old set stays */
	write_file(rules_path, "rule broken { condition: nosuchidentifier }\n");
	assert_int_not_equal(pool_reload(p, 30000, &err), 0);
	assert_non_null(err);
	assert_non_null(strstr(err, "nosuchidentifier"));
	g_free(err);
	pool_status_get(p, &st);
	assert_int_equal(st.generation, 2);
	assert_int_equal(st.reloads_failed, 1);
	r = scan(p, fd, 5000, &rc);
	assert_int_equal(rc, POOL_OK);
	assert_true(has_finding(r, "yara.new_marker"));
	json_decref(r);
	close(fd);
	pool_stop(p);
}

static void bad_rules_fail_the_start(void **state)
{
	struct pool_cfg pc;
	struct pool_engine_cfg ec;
	char *rules[2] = {rules_path, NULL}, *err = NULL;
	pool *p;

	(void)state;
	write_file(rules_path, "rule x { condition: what }\n");
	memset(&pc, 0, sizeof pc);
	memset(&ec, 0, sizeof ec);
	ec.rules = rules;
	pc.socket_path = sock_path;
	pc.workers = 1;
	pc.scan_timeout_s = 5;
	pc.engine = &ec;
	pc.uid = (uid_t)-1;
	p = pool_create(&pc, &err);
	assert_non_null(p);
	assert_int_not_equal(pool_spawn(p, &err), 0);
	assert_non_null(strstr(err, "what"));
	g_free(err);
	pool_stop(p);
}

static int setup(void **state)
{
	(void)state;
	assert_non_null(g_mkdtemp(tmpdir));
	g_snprintf(rules_path, sizeof rules_path, "%s/rules.yar", tmpdir);
	g_snprintf(sock_path, sizeof sock_path, "%s/scan.sock", tmpdir);
	vlog_open("/dev/null", "error");
	return 0;
}

static int teardown(void **state)
{
	char *cmd[] = {"rm", "-rf", tmpdir, NULL};

	(void)state;
	g_spawn_sync(NULL, cmd, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(verdicts_through_the_pool),
	        cmocka_unit_test(timeout_kills_and_replaces_the_worker),
	        cmocka_unit_test(killed_workers_come_back),
	        cmocka_unit_test(reload_swaps_rules_and_inflight_keeps_the_old_set),
	        cmocka_unit_test(bad_rules_fail_the_start),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
