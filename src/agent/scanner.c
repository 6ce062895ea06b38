/*
 * scanner.c - the sweep's scanning process (scanner.h).
 */
#include "scanner.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <grp.h>
#include <openssl/evp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vigil/vigil.h"

#define MAX_NAME 1024
#define MAX_RESTARTS 50

struct scanner {
	char *self; /* this program, exec'ed as the scanner */
	pid_t pid;
	int sock;
	char *rules;
	struct scan_limits lim;
	unsigned restarts;
};

bool digest_fd(int fd, char sha256[65], char sha1[41], char md5[33])
{
	const EVP_MD *md[3] = {EVP_sha256(), EVP_sha1(), EVP_md5()};
	char *out[3] = {sha256, sha1, md5};
	EVP_MD_CTX *c[3] = {NULL, NULL, NULL};
	unsigned char buf[65536], d[EVP_MAX_MD_SIZE];
	unsigned dl;
	off_t off = 0;
	bool ok = true;

	for (int i = 0; i < 3; i++) {
		c[i] = EVP_MD_CTX_new();
		ok = ok && c[i] != NULL && EVP_DigestInit_ex(c[i], md[i], NULL) == 1;
	}
	while (ok) {
		ssize_t n = pread(fd, buf, sizeof buf, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			ok = false;
		if (n <= 0)
			break;
		for (int i = 0; i < 3; i++)
			EVP_DigestUpdate(c[i], buf, (size_t)n);
		off += n;
	}
	for (int i = 0; i < 3; i++) {
		if (ok && EVP_DigestFinal_ex(c[i], d, &dl) == 1)
			for (unsigned k = 0; k < dl; k++)
				g_snprintf(out[i] + 2 * k, 3, "%02x", d[k]);
		else
			out[i][0] = 0;
		EVP_MD_CTX_free(c[i]);
	}
	return ok;
}

static int write_all(int fd, const void *p, size_t n)
{
	const char *b = p;

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

static int read_all(int fd, void *p, size_t n)
{
	char *b = p;

	while (n > 0) {
		ssize_t r = read(fd, b, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

static int send_json(int sock, json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT);
	uint32_t len = text ? (uint32_t)strlen(text) : 0;
	int rc = text != NULL && len <= SCAN_MAX_ANSWER && write_all(sock, &len, 4) == 0 &&
	                         write_all(sock, text, len) == 0
	                 ? 0
	                 : -1;

	free(text);
	json_decref(j);
	return rc;
}

/* ---- the child ---- */

static int64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static json_t *scan_one(vigil_engine *eng, int fd, const char *name, uint64_t size,
                        const struct scan_limits *lim)
{
	json_t *objs = json_array(), *rules = json_array();
	vigil_scan *s;

	if (size > lim->scan_max || eng == NULL) {
		char s256[65], s1[41], m5[33];

		if (digest_fd(fd, s256, s1, m5))
			json_array_append_new(objs, json_pack("{s:s,s:s?,s:s,s:s,s:s}", "path", "",
			                                      "name", name, "sha256", s256, "sha1",
			                                      s1, "md5", m5));
		return json_pack("{s:o,s:o,s:b}", "objects", objs, "rules", rules, "hashed_only",
		                 1);
	}
	s = vigil_scan_new(eng, 0);
	if (s == NULL || vigil_scan_fd(s, fd, name) != VIGIL_OK) {
		vigil_scan_free(s);
		json_decref(objs);
		json_decref(rules);
		return json_pack("{s:s}", "error", "the engine could not read the file");
	}
	for (size_t i = 0; i < vigil_scan_object_count(s) && i < SCAN_MAX_OBJECTS; i++) {
		const vigil_object *o = vigil_scan_object(s, i);

		json_array_append_new(
		        objs, json_pack("{s:s,s:s?,s:s,s:s,s:s}", "path",
		                        i == 0 ? "" : vigil_object_path(o), "name",
		                        vigil_object_name(o), "sha256", vigil_object_sha256(o),
		                        "sha1", vigil_object_sha1(o), "md5", vigil_object_md5(o)));
	}
	for (size_t i = 0; i < vigil_scan_finding_count(s) && json_array_size(rules) < 64; i++) {
		const vigil_finding *f = vigil_scan_finding(s, i);
		const char *id = vigil_finding_id(f);
		size_t oi = vigil_finding_object(f);

		/* only the sweep's own rules: the engine's analysers are not asked */
		if (!g_str_has_prefix(id, "yara.") || strcmp(id, "yara.error") == 0)
			continue;
		json_array_append_new(
		        rules, json_pack("{s:s,s:s}", "rule", id + 5, "object",
		                         oi == 0 || oi >= vigil_scan_object_count(s)
		                                 ? ""
		                                 : vigil_object_path(vigil_scan_object(s, oi))));
	}
	vigil_scan_free(s);
	return json_pack("{s:o,s:o}", "objects", objs, "rules", rules);
}

static int drop_privileges(const char *user, char **why)
{
	struct passwd *pw;

	if (geteuid() != 0)
		return 0;
	pw = getpwnam(user ? user : "nobody");
	if (pw == NULL || pw->pw_uid == 0) {
		*why = g_strdup_printf("scan_user %s does not exist or is root",
		                       user ? user : "nobody");
		return -1;
	}
	if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0 ||
	    setuid(0) == 0) {
		*why = g_strdup_printf("cannot become %s: %s", user, g_strerror(errno));
		return -1;
	}
	return 0;
}

/* the scanner process: exec'ed afresh (nothing of the agent's memory, such
 * as its credential, is in it), fd 3 its socket */
int scanner_main(int argc, char **argv)
{
	struct scan_limits lim = {0};
	struct rlimit core = {0, 0}, as;
	vigil_config *cfg = NULL;
	vigil_engine *eng = NULL;
	char *why = NULL, *msg = NULL, *rules = NULL;
	const int sock = 3;
	uint32_t rlen = 0;

	if (argc < 6)
		return 2;
	lim.scan_max = g_ascii_strtoull(argv[2], NULL, 10);
	lim.timeout_s = (unsigned)g_ascii_strtoull(argv[3], NULL, 10);
	lim.memory = g_ascii_strtoull(argv[4], NULL, 10);
	lim.user = argv[5];
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		return 0;
	(void)close_range(4, ~0U, 0);
	(void)setrlimit(RLIMIT_CORE, &core);
	as.rlim_cur = as.rlim_max = lim.memory;
	if (lim.memory > 0)
		(void)setrlimit(RLIMIT_AS, &as);
	if (drop_privileges(lim.user, &why) != 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		(void)send_json(sock, json_pack("{s:s}", "error", why ? why : "no_new_privs"));
		return 1;
	}
	/* the server's rules are compiled here, not in the root process */
	if (read_all(sock, &rlen, 4) != 0 || rlen > SCAN_MAX_ANSWER)
		return 1;
	if (rlen > 0) {
		rules = g_malloc(rlen + 1);
		if (read_all(sock, rules, rlen) != 0)
			return 1;
		rules[rlen] = 0;
	}
	cfg = vigil_config_new();
	(void)vigil_config_set_limit(cfg, VIGIL_LIMIT_OBJECT_BYTES, lim.scan_max + 1);
	(void)vigil_config_set_limit(cfg, VIGIL_LIMIT_TIME_MS, (uint64_t)lim.timeout_s * 1000);
	if (rules != NULL && vigil_config_add_rules_text(cfg, "sweep", rules) != VIGIL_OK) {
		(void)send_json(sock, json_pack("{s:s}", "error", "the rules cannot be added"));
		return 1;
	}
	if (vigil_engine_new(cfg, &eng, &msg) != VIGIL_OK) {
		(void)send_json(
		        sock, json_pack("{s:s}", "error", msg ? msg : "the rules do not compile"));
		return 1;
	}
	vigil_config_free(cfg);
	g_free(rules);
	if (send_json(sock, json_pack("{s:b,s:I}", "ready", 1, "rules",
	                              (json_int_t)vigil_engine_rule_count(eng))) != 0)
		return 1;
	for (;;) {
		char buf[12 + MAX_NAME + 1], cbuf[CMSG_SPACE(sizeof(int))];
		struct iovec iov = {buf, sizeof buf - 1};
		struct msghdr mh = {.msg_iov = &iov,
		                    .msg_iovlen = 1,
		                    .msg_control = cbuf,
		                    .msg_controllen = sizeof cbuf};
		struct cmsghdr *cm;
		uint64_t size;
		uint32_t nlen;
		int fd = -1;
		ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
		int64_t t0;
		json_t *ans;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm))
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
			    cm->cmsg_len == CMSG_LEN(sizeof(int)))
				memcpy(&fd, CMSG_DATA(cm), sizeof fd);
		if (fd < 0 || n < 12)
			return 1;
		memcpy(&size, buf, 8);
		memcpy(&nlen, buf + 8, 4);
		if (nlen > MAX_NAME || (size_t)n != 12 + nlen)
			return 1;
		buf[12 + nlen] = 0;
		t0 = cpu_ns();
		/* a file that takes too long ends this process: the agent goes on */
		alarm(lim.timeout_s + 1);
		ans = scan_one(eng, fd, buf + 12, size, &lim);
		alarm(0);
		close(fd);
		json_object_set_new(ans, "cpu_ns", json_integer(cpu_ns() - t0));
		if (send_json(sock, ans) != 0)
			return 1;
	}
}

/* ---- the agent's side ---- */

static json_t *read_answer(int sock, int timeout_ms)
{
	struct pollfd p = {sock, POLLIN, 0};
	uint32_t len;
	char *text;
	json_t *j;

	if (poll(&p, 1, timeout_ms) <= 0 || read_all(sock, &len, 4) != 0 || len > SCAN_MAX_ANSWER)
		return NULL;
	text = g_malloc(len + 1);
	if (read_all(sock, text, len) != 0) {
		g_free(text);
		return NULL;
	}
	text[len] = 0;
	j = json_loads(text, 0, NULL);
	g_free(text);
	return j;
}

static void child_end(struct scanner *s)
{
	if (s->sock >= 0)
		close(s->sock);
	s->sock = -1;
	if (s->pid > 0) {
		kill(s->pid, SIGKILL);
		(void)waitpid(s->pid, NULL, 0);
	}
	s->pid = 0;
}

static int child_begin(struct scanner *s, char **err)
{
	int sv[2];
	json_t *hello;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		*err = g_strdup_printf("socketpair: %s", g_strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		*err = g_strdup_printf("fork: %s", g_strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		char a_max[24], a_to[16], a_mem[24];
		char *argv[] = {"vigil-agent", "--scanner",         a_max, a_to,
		                a_mem,         (char *)s->lim.user, NULL};

		g_snprintf(a_max, sizeof a_max, "%llu", (unsigned long long)s->lim.scan_max);
		g_snprintf(a_to, sizeof a_to, "%u", s->lim.timeout_s);
		g_snprintf(a_mem, sizeof a_mem, "%llu", (unsigned long long)s->lim.memory);
		/* fd 3 is the socket; everything else closes on exec */
		if (sv[1] == 3 ? fcntl(3, F_SETFD, 0) != 0 : dup2(sv[1], 3) != 3)
			_exit(127);
		execv(s->self, argv);
		_exit(127);
	}
	close(sv[1]);
	s->pid = pid;
	s->sock = sv[0];
	{
		uint32_t len = s->rules ? (uint32_t)strlen(s->rules) : 0;

		if (write_all(s->sock, &len, 4) != 0 || write_all(s->sock, s->rules, len) != 0) {
			*err = g_strdup("the scanning process did not start");
			child_end(s);
			return -1;
		}
	}
	/* compiling a large rule set takes a while */
	hello = read_answer(s->sock, 60000);
	if (!json_is_true(json_object_get(hello, "ready"))) {
		const char *why = json_string_value(json_object_get(hello, "error"));

		*err = g_strdup(why ? why : "the scanning process did not start");
		json_decref(hello);
		child_end(s);
		return -1;
	}
	json_decref(hello);
	return 0;
}

struct scanner *scanner_start(const char *rules, const struct scan_limits *lim, char **err)
{
	struct scanner *s = g_new0(struct scanner, 1);

	s->sock = -1;
	s->self = g_file_read_link("/proc/self/exe", NULL);
	s->rules = g_strdup(rules);
	if (s->self == NULL) {
		*err = g_strdup("cannot find this program (/proc/self/exe)");
		g_free(s);
		return NULL;
	}
	s->lim = *lim;
	s->lim.user = g_strdup(lim->user ? lim->user : "nobody");
	if (child_begin(s, err) != 0) {
		scanner_stop(s);
		return NULL;
	}
	return s;
}

int scanner_scan(struct scanner *s, int fd, const char *name, uint64_t size, json_t **out)
{
	char buf[12 + MAX_NAME], cbuf[CMSG_SPACE(sizeof(int))];
	uint32_t nlen = (uint32_t)MIN(strlen(name), MAX_NAME);
	struct iovec iov = {buf, 12 + nlen};
	struct msghdr mh = {.msg_iov = &iov,
	                    .msg_iovlen = 1,
	                    .msg_control = cbuf,
	                    .msg_controllen = sizeof cbuf};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	char *err = NULL;
	ssize_t n;

	*out = NULL;
	if (s->pid == 0) {
		if (s->restarts >= MAX_RESTARTS || child_begin(s, &err) != 0) {
			g_free(err);
			return -2;
		}
	}
	memcpy(buf, &size, 8);
	memcpy(buf + 8, &nlen, 4);
	memcpy(buf + 12, name, nlen);
	memset(cbuf, 0, sizeof cbuf);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof fd);
	do
		n = sendmsg(s->sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)(12 + nlen))
		*out = read_answer(s->sock, (int)(s->lim.timeout_s + 5) * 1000);
	if (*out == NULL) {
		/* it died or hung: the next file gets a new one */
		child_end(s);
		s->restarts++;
		return -1;
	}
	if (json_object_get(*out, "error") != NULL) {
		json_decref(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

void scanner_stop(struct scanner *s)
{
	if (s == NULL)
		return;
	child_end(s);
	g_free(s->rules);
	g_free(s->self);
	g_free((char *)s->lim.user);
	g_free(s);
}
