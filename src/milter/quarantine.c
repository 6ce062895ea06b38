/*
 * quarantine.c - vigil's quarantine store: messages on disk, their state,
 * and releases that deliver a message exactly once.
 *
 * Files (quarantine.h has the layout): msg/<id>.eml holds the bytes,
 * msg/<id>.json the metadata. Nothing is ever changed in place: every write
 * goes to a fresh .tmp-<random> file in the same directory, which is written
 * fully, fsync'ed, then renamed (or linked, when the name must not exist
 * yet) into place, and the directory is fsync'ed. A reader therefore sees
 * the old version or the new one, never a mix; a failed write (disk full,
 * EIO, RLIMIT_FSIZE) unlinks its tmp file and leaves the old version
 * untouched. Tmp files that a crash left behind are swept by quar_open()
 * once they are an hour old. All names are built from a validated id (32
 * lower-case hex) and used with *at() calls under descriptors of the
 * directory, so no input can name a path outside it.
 *
 * Ownership: the milter runs as its own user, the CLI usually as root. When
 * we run as root, every file we create is given the owner of the
 * quarantine directory, so the milter can still read and replace it.
 * Files are 0600; release.key must be (it is refused otherwise).
 *
 * Locking: every state change takes flock(LOCK_EX) on msg/<id>.json and
 * checks, after locking, that the descriptor is still the file at that
 * name (a writer replaces the file by rename while holding the lock, so a
 * waiter may have locked the old inode; it then retries). Reads take no
 * lock: renames make them consistent. A release additionally holds
 * flock(LOCK_EX|LOCK_NB) on msg/<id>.eml for its whole run, so two
 * releases of one message never run at once; the .json lock is NOT held
 * while sendmail runs, because an MTA that submits synchronously through
 * vigil-milter would otherwise deadlock (the milter's quar_release_seen
 * waits for the lock the release holds).
 *
 * Release and the exactly-once argument. Facts kept in the metadata:
 * "release_started_ms" (a release was attempted: from then on a copy may be
 * in the MTA) and "milter_seen_ms" (vigil-milter let the first copy
 * through). The steps of quar_release are
 *   1. lock; quarantined (or releasing: an earlier attempt died) ->
 *      releasing, release_started_ms set, written durably; unlock
 *   2. sendmail (posix_spawn, no shell) with the message on its stdin and
 *      "X-Vigil-Release: <id> <HMAC-SHA256(release.key, id)>" first
 *   3. lock; exit 0: releasing -> released; otherwise releasing ->
 *      quarantined with last_error (a retry is allowed); unlock.
 * quar_release_seen (the milter, for every copy that reaches it) answers
 * FIRST only if the token is genuine, a release was started, and no copy
 * was seen before; it records milter_seen_ms durably before answering.
 * Every later copy gets DUPLICATE and is discarded. Deciding on
 * milter_seen_ms rather than on the state matters: step 3 may mark the
 * message released before Postfix's pickup has handed the copy to the
 * milter, and that copy must still be the FIRST.
 * Crash windows: a crash before step 1 is durable changes nothing; a crash
 * between 1 and 3 leaves "releasing", and release may be run again; it
 * sends another copy, and of all copies the milter lets exactly one
 * through. A sendmail that fails or times out after it queued the message
 * is the same case. Once the milter has seen a copy, the state is released
 * and a further release is refused (QUAR_ESTATE) without running sendmail.
 * So with vigil-milter on the re-injection path (non_smtpd_milters for
 * Postfix's sendmail/pickup) a message is delivered at least once (release
 * can be retried until sendmail succeeds) and at most once (the milter's
 * durable first-seen mark). Without the milter on that path, a retry after
 * a crash between sendmail's exit and step 3 can deliver twice; a message
 * whose release succeeded is never sent again. If recording milter_seen_ms
 * fails, quar_release_seen answers INVALID: the copy is scanned like any
 * other, never delivered unscanned twice.
 *
 * Limits: metadata files up to 16 MiB, 1000 recipients of up to 1000 bytes,
 * 64 history entries, sendmail gets 5 minutes. quar_release waits for its
 * sendmail child with waitpid(pid): a process that reaps every child from
 * a SIGCHLD handler must not call it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "quarantine.h"

extern char **environ;

#define QUAR_ID_LEN 32
#define QUAR_KEY_LEN 32
#define QUAR_MAC_HEX 64
#define QUAR_META_MAX (16u << 20)
#define QUAR_HISTORY_MAX 64
#define QUAR_PREFIX_MAX 64
#define QUAR_RCPTS_MAX 1000
#define QUAR_ADDR_MAX 1000
#define QUAR_WHO_MAX 256
#define QUAR_HEADER_MAX 1000
#define QUAR_SENDMAIL_TIMEOUT_MS (300 * 1000)
#define QUAR_STDERR_MAX 512
#define QUAR_TMP_STALE_S 3600
#define QUAR_LOCK_TRIES 64
#define QUAR_CHUNK 65536

struct quar {
	char *dir;
	int dirfd; /* the quarantine directory */
	int msgfd; /* its msg/ */
	uid_t uid; /* owner of dir: what our files get when we run as root */
	gid_t gid;
	pthread_mutex_t key_mu;
	bool have_key;
	unsigned char key[QUAR_KEY_LEN];
};

struct tmpf {
	int fd;
	int dfd;
	char name[40];
};

static int quar_fail(char **err, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Sets *err (first error wins) and returns code. */
static int quar_fail(char **err, int code, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	if (err == NULL || *err != NULL)
		return code;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	*err = s;
	return code;
}

int quar_id_valid(const char *id)
{
	if (id == NULL || strnlen(id, QUAR_ID_LEN + 1) != QUAR_ID_LEN)
		return 0;
	for (size_t i = 0; i < QUAR_ID_LEN; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return 0;
	return 1;
}

const char *quar_strerror(int code)
{
	switch (code) {
	case QUAR_OK:
		return "success";
	case QUAR_EINVAL:
		return "invalid argument";
	case QUAR_EIO:
		return "input/output error";
	case QUAR_ENOTFOUND:
		return "not found";
	case QUAR_ESTATE:
		return "wrong state";
	case QUAR_ESENDMAIL:
		return "sendmail failed";
	default:
		return "unknown error";
	}
}

static int64_t quar_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t quar_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void quar_hex(const unsigned char *d, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[d[i] >> 4];
		out[2 * i + 1] = hx[d[i] & 15];
	}
	out[2 * n] = 0;
}

static void quar_name(char *out, size_t n, const char *id, const char *ext)
{
	snprintf(out, n, "%s.%s", id, ext);
}

static int quar_random(unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t r = getrandom(p, n, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Returns 0 or an errno value; a short write is retried, so a full disk
 * shows up as ENOSPC (or EFBIG under RLIMIT_FSIZE) on the next call. */
static int quar_write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n > 0) {
		ssize_t w = write(fd, b, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno;
		if (w == 0)
			return EIO;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

/* A string for the metadata: jansson refuses invalid UTF-8. */
static json_t *quar_jstr(const char *s)
{
	json_t *j = s != NULL ? json_string(s) : NULL;

	return j != NULL ? j : json_string("?");
}

static const char *quar_jget_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* ---- durable files ---- */

static int quar_own(const quar *q, int fd)
{
	if (geteuid() != 0 || (q->uid == 0 && q->gid == 0))
		return 0;
	return fchown(fd, q->uid, q->gid) == 0 ? 0 : errno;
}

static void quar_tmp_abort(struct tmpf *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	if (t->name[0])
		unlinkat(t->dfd, t->name, 0);
	t->name[0] = 0;
}

static int quar_tmp_open(quar *q, int dfd, struct tmpf *t, char **err)
{
	unsigned char r[8];
	char hx[17];
	int e;

	t->fd = -1;
	t->dfd = dfd;
	t->name[0] = 0;
	for (int tries = 0; tries < 16; tries++) {
		if (quar_random(r, sizeof r) != 0)
			return quar_fail(err, QUAR_EIO, "getrandom: %s", strerror(errno));
		quar_hex(r, sizeof r, hx);
		snprintf(t->name, sizeof t->name, ".tmp-%s", hx);
		t->fd = openat(dfd, t->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		               0600);
		if (t->fd >= 0)
			break;
		if (errno != EEXIST) {
			e = errno;
			t->name[0] = 0;
			return quar_fail(err, QUAR_EIO, "%s: cannot create a file: %s", q->dir,
			                 strerror(e));
		}
	}
	if (t->fd < 0) {
		t->name[0] = 0;
		return quar_fail(err, QUAR_EIO, "%s: cannot create a temporary file", q->dir);
	}
	e = quar_own(q, t->fd);
	if (e != 0) {
		quar_tmp_abort(t);
		return quar_fail(err, QUAR_EIO,
		                 "%s: cannot give a file to the directory's owner: %s", q->dir,
		                 strerror(e));
	}
	return QUAR_OK;
}

/*
 * fsync, close, then rename over final (replace) or link to final, which
 * must not exist yet (!replace: QUAR_ESTATE if it does), and fsync the
 * directory. On failure the tmp file is gone and final is as before.
 */
static int quar_tmp_commit(quar *q, struct tmpf *t, const char *final, bool replace, char **err)
{
	int e;

	if (fsync(t->fd) != 0) {
		e = errno;
		quar_tmp_abort(t);
		return quar_fail(err, QUAR_EIO, "%s: %s: %s", q->dir, final, strerror(e));
	}
	e = close(t->fd) == 0 ? 0 : errno;
	t->fd = -1;
	if (e != 0) {
		quar_tmp_abort(t);
		return quar_fail(err, QUAR_EIO, "%s: %s: %s", q->dir, final, strerror(e));
	}
	if (replace) {
		if (renameat(t->dfd, t->name, t->dfd, final) != 0) {
			e = errno;
			quar_tmp_abort(t);
			return quar_fail(err, QUAR_EIO, "%s: %s: %s", q->dir, final, strerror(e));
		}
		t->name[0] = 0;
	} else {
		if (linkat(t->dfd, t->name, t->dfd, final, 0) != 0) {
			e = errno;
			quar_tmp_abort(t);
			if (e == EEXIST)
				return quar_fail(err, QUAR_ESTATE, "%s: %s already exists", q->dir,
				                 final);
			return quar_fail(err, QUAR_EIO, "%s: %s: %s", q->dir, final, strerror(e));
		}
		quar_tmp_abort(t);
	}
	if (fsync(t->dfd) != 0)
		return quar_fail(err, QUAR_EIO, "%s: fsync of the directory: %s", q->dir,
		                 strerror(errno));
	return QUAR_OK;
}

/* Reads a whole (small) file; ENOENT is passed on as QUAR_ENOTFOUND. */
static int quar_read_fd(int fd, size_t max, char **out, size_t *outlen)
{
	struct stat st;
	char *buf;
	size_t len = 0;

	*out = NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return QUAR_EIO;
	if (st.st_size < 0 || (uint64_t)st.st_size > max)
		return QUAR_EIO;
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL)
		return QUAR_EIO;
	while (len < (size_t)st.st_size) {
		ssize_t r = pread(fd, buf + len, (size_t)st.st_size - len, (off_t)len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	if (len != (size_t)st.st_size) {
		free(buf);
		return QUAR_EIO;
	}
	buf[len] = 0;
	*out = buf;
	if (outlen != NULL)
		*outlen = len;
	return QUAR_OK;
}

/* ---- metadata ---- */

static int quar_meta_text(quar *q, const char *id, int fd, char **text, char **err)
{
	char name[48];
	int rc, own = -1;

	quar_name(name, sizeof name, id, "json");
	if (fd < 0) {
		own = openat(q->msgfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (own < 0 && errno == ENOENT)
			return quar_fail(err, QUAR_ENOTFOUND, "%s: not in the quarantine", id);
		if (own < 0)
			return quar_fail(err, QUAR_EIO, "%s/msg/%s: %s", q->dir, name,
			                 strerror(errno));
		fd = own;
	}
	rc = quar_read_fd(fd, QUAR_META_MAX, text, NULL);
	if (own >= 0)
		close(own);
	if (rc != QUAR_OK)
		return quar_fail(err, QUAR_EIO, "%s/msg/%s: cannot read the metadata", q->dir,
		                 name);
	return QUAR_OK;
}

static json_t *quar_meta_parse(const char *text)
{
	json_t *m = json_loads(text, 0, NULL);

	if (m != NULL && (!json_is_object(m) || quar_jget_str(m, "state") == NULL)) {
		json_decref(m);
		m = NULL;
	}
	return m;
}

static int quar_meta_load(quar *q, const char *id, int fd, json_t **meta, char **err)
{
	char *text = NULL;
	int rc = quar_meta_text(q, id, fd, &text, err);

	*meta = NULL;
	if (rc != QUAR_OK)
		return rc;
	*meta = quar_meta_parse(text);
	free(text);
	if (*meta == NULL)
		return quar_fail(err, QUAR_EIO, "%s/msg/%s.json: not valid quarantine metadata",
		                 q->dir, id);
	return QUAR_OK;
}

static int quar_meta_write(quar *q, const char *id, const json_t *meta, bool create, char **err)
{
	char name[48];
	struct tmpf t;
	char *text = json_dumps(meta, JSON_INDENT(2));
	int rc, e;

	if (text == NULL)
		return quar_fail(err, QUAR_EIO, "%s: cannot serialise the metadata", id);
	rc = quar_tmp_open(q, q->msgfd, &t, err);
	if (rc != QUAR_OK)
		goto out;
	e = quar_write_all(t.fd, text, strlen(text));
	if (e == 0)
		e = quar_write_all(t.fd, "\n", 1);
	if (e != 0) {
		quar_tmp_abort(&t);
		rc = quar_fail(err, QUAR_EIO, "%s/msg/%s.json: %s", q->dir, id, strerror(e));
		goto out;
	}
	quar_name(name, sizeof name, id, "json");
	rc = quar_tmp_commit(q, &t, name, !create, err);
out:
	free(text);
	return rc;
}

/* flock(LOCK_EX) on msg/<id>.json, retried until the locked file is the one
 * at that name (see the module comment). */
static int quar_meta_lock(quar *q, const char *id, int *out, char **err)
{
	char name[48];
	struct stat a, b;

	*out = -1;
	quar_name(name, sizeof name, id, "json");
	for (int i = 0; i < QUAR_LOCK_TRIES; i++) {
		int fd = openat(q->msgfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

		if (fd < 0 && errno == ENOENT)
			return quar_fail(err, QUAR_ENOTFOUND, "%s: not in the quarantine", id);
		if (fd < 0)
			return quar_fail(err, QUAR_EIO, "%s/msg/%s: %s", q->dir, name,
			                 strerror(errno));
		while (flock(fd, LOCK_EX) != 0) {
			if (errno != EINTR) {
				int e = errno;

				close(fd);
				return quar_fail(err, QUAR_EIO, "%s/msg/%s: lock: %s", q->dir, name,
				                 strerror(e));
			}
		}
		if (fstat(fd, &a) == 0 && fstatat(q->msgfd, name, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
		    a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
			*out = fd;
			return QUAR_OK;
		}
		close(fd);
	}
	return quar_fail(err, QUAR_EIO, "%s/msg/%s: could not lock it", q->dir, name);
}

static void quar_history(json_t *meta, const char *event, const char *who, const char *detail)
{
	json_t *h = json_object_get(meta, "history");
	json_t *e;

	if (!json_is_array(h)) {
		h = json_array();
		json_object_set_new(meta, "history", h);
	}
	/* keep the first entry (when it was quarantined) and the latest ones */
	while (json_array_size(h) >= QUAR_HISTORY_MAX)
		json_array_remove(h, 1);
	e = json_object();
	json_object_set_new(e, "ms", json_integer(quar_now_ms()));
	json_object_set_new(e, "event", json_string(event));
	if (who != NULL)
		json_object_set_new(e, "by", quar_jstr(who));
	if (detail != NULL)
		json_object_set_new(e, "detail", quar_jstr(detail));
	json_array_append_new(h, e);
}

static void quar_set_state(json_t *meta, const char *state)
{
	json_object_set_new(meta, "state", json_string(state));
}

static bool quar_state_is(const json_t *meta, const char *state)
{
	const char *s = quar_jget_str(meta, "state");

	return s != NULL && strcmp(s, state) == 0;
}

/* ---- the key of release tokens ---- */

static int quar_key_read(quar *q, int fd, char **err)
{
	struct stat st;
	size_t got = 0;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size != QUAR_KEY_LEN ||
	    (st.st_mode & 077) != 0)
		return quar_fail(err, QUAR_EIO,
		                 "%s/release.key must be a file of %d bytes readable by its owner "
		                 "only (chmod 600)",
		                 q->dir, QUAR_KEY_LEN);
	while (got < QUAR_KEY_LEN) {
		ssize_t r = pread(fd, q->key + got, QUAR_KEY_LEN - got, (off_t)got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return quar_fail(err, QUAR_EIO, "%s/release.key: cannot read it", q->dir);
		got += (size_t)r;
	}
	q->have_key = true;
	return QUAR_OK;
}

/* Creates release.key if it does not exist: the random bytes are written to
 * a tmp file first and linked into place, so no process ever reads a
 * partial key, and two processes creating it at once agree on one. */
static int quar_key_create(quar *q, char **err)
{
	unsigned char k[QUAR_KEY_LEN];
	struct tmpf t;
	int rc, e;

	if (quar_random(k, sizeof k) != 0)
		return quar_fail(err, QUAR_EIO, "getrandom: %s", strerror(errno));
	rc = quar_tmp_open(q, q->dirfd, &t, err);
	if (rc != QUAR_OK)
		return rc;
	e = quar_write_all(t.fd, k, sizeof k);
	OPENSSL_cleanse(k, sizeof k);
	if (e != 0) {
		quar_tmp_abort(&t);
		return quar_fail(err, QUAR_EIO, "%s/release.key: %s", q->dir, strerror(e));
	}
	rc = quar_tmp_commit(q, &t, "release.key", false, err);
	if (rc == QUAR_ESTATE) { /* another process made it first: use theirs */
		free(*err);
		*err = NULL;
		rc = QUAR_OK;
	}
	return rc;
}

static int quar_key_load(quar *q, bool create, char **err)
{
	int rc = QUAR_OK, fd;

	pthread_mutex_lock(&q->key_mu);
	if (q->have_key)
		goto out;
	fd = openat(q->dirfd, "release.key", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		rc = quar_key_create(q, err);
		if (rc != QUAR_OK)
			goto out;
		fd = openat(q->dirfd, "release.key", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0) {
		rc = errno == ENOENT ? QUAR_ENOTFOUND : QUAR_EIO;
		rc = quar_fail(err, rc, "%s/release.key: %s", q->dir, strerror(errno));
		goto out;
	}
	rc = quar_key_read(q, fd, err);
	close(fd);
out:
	pthread_mutex_unlock(&q->key_mu);
	return rc;
}

static void quar_token(const quar *q, const char *id, unsigned char mac[32])
{
	unsigned int len = 32;

	HMAC(EVP_sha256(), q->key, QUAR_KEY_LEN, (const unsigned char *)id, QUAR_ID_LEN, mac, &len);
}

/* ---- open / close ---- */

/* Removes tmp files that a crash left behind (old enough that no live
 * writer can own them). */
static void quar_sweep(int dfd)
{
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	time_t now = time(NULL);

	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		struct stat st;

		if (strncmp(de->d_name, ".tmp-", 5) != 0)
			continue;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode) && now - st.st_mtime > QUAR_TMP_STALE_S)
			unlinkat(dfd, de->d_name, 0);
	}
	closedir(d);
}

int quar_open(const char *dir, quar **out, char **err)
{
	quar *q;
	struct stat st;
	int e;

	if (err != NULL)
		*err = NULL;
	if (out == NULL)
		return quar_fail(err, QUAR_EINVAL, "quar_open: no output");
	*out = NULL;
	if (dir == NULL || *dir == 0)
		return quar_fail(err, QUAR_EINVAL, "no quarantine directory given");
	q = calloc(1, sizeof *q);
	if (q == NULL)
		return quar_fail(err, QUAR_EIO, "out of memory");
	q->dirfd = q->msgfd = -1;
	q->dir = strdup(dir);
	q->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (q->dir == NULL || q->dirfd < 0 || fstat(q->dirfd, &st) != 0) {
		e = errno;
		quar_close(q);
		return quar_fail(err, e == ENOENT ? QUAR_ENOTFOUND : QUAR_EIO, "%s: %s", dir,
		                 strerror(e));
	}
	q->uid = st.st_uid;
	q->gid = st.st_gid;
	if (mkdirat(q->dirfd, "msg", 0700) == 0) {
		if (geteuid() == 0 && (q->uid != 0 || q->gid != 0))
			(void)!fchownat(q->dirfd, "msg", q->uid, q->gid, AT_SYMLINK_NOFOLLOW);
		fsync(q->dirfd);
	}
	q->msgfd = openat(q->dirfd, "msg", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (q->msgfd < 0) {
		e = errno;
		quar_close(q);
		return quar_fail(err, QUAR_EIO, "%s/msg: %s", dir, strerror(e));
	}
	pthread_mutex_init(&q->key_mu, NULL);
	quar_sweep(q->msgfd);
	quar_sweep(q->dirfd);
	*out = q;
	return QUAR_OK;
}

void quar_close(quar *q)
{
	if (q == NULL)
		return;
	if (q->msgfd >= 0) {
		close(q->msgfd);
		pthread_mutex_destroy(&q->key_mu);
	}
	if (q->dirfd >= 0)
		close(q->dirfd);
	OPENSSL_cleanse(q->key, sizeof q->key);
	free(q->dir);
	free(q);
}

/* ---- put / get / list ---- */

/* Writes the message bytes to t, hashing them on the way. */
static int quar_copy_in(struct tmpf *t, int fd, const uint8_t *data, size_t len, char *sha_hex,
                        uint64_t *size)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned dl = 0;
	uint8_t *buf = NULL;
	int e = 0;

	*size = 0;
	if (c == NULL || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
		e = ENOMEM;
		goto out;
	}
	if (fd < 0) {
		EVP_DigestUpdate(c, data, len);
		e = quar_write_all(t->fd, data, len);
		*size = len;
	} else {
		buf = malloc(QUAR_CHUNK);
		if (buf == NULL) {
			e = ENOMEM;
			goto out;
		}
		for (;;) {
			ssize_t r = pread(fd, buf, QUAR_CHUNK, (off_t)*size);

			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				e = errno;
				break;
			}
			if (r == 0)
				break;
			EVP_DigestUpdate(c, buf, (size_t)r);
			e = quar_write_all(t->fd, buf, (size_t)r);
			if (e != 0)
				break;
			*size += (uint64_t)r;
		}
	}
	if (e == 0) {
		EVP_DigestFinal_ex(c, d, &dl);
		quar_hex(d, 32, sha_hex);
	}
out:
	free(buf);
	EVP_MD_CTX_free(c);
	return e;
}

int quar_put(quar *q, const char *id, int fd, const uint8_t *data, size_t len,
             const char *record_json, char **err)
{
	char eml[48], json[48], sha[65];
	struct stat st;
	struct tmpf t;
	json_t *record = NULL, *meta = NULL, *hist;
	uint64_t size = 0;
	int rc, e;

	if (err != NULL)
		*err = NULL;
	if (q == NULL || !quar_id_valid(id))
		return quar_fail(err, QUAR_EINVAL, "not a quarantine id (32 lower-case hex)");
	if ((fd < 0 && data == NULL && len > 0) || record_json == NULL ||
	    strnlen(record_json, QUAR_META_MAX) >= QUAR_META_MAX)
		return quar_fail(err, QUAR_EINVAL, "%s: no message or no record", id);
	record = json_loads(record_json, 0, NULL);
	if (!json_is_object(record)) {
		json_decref(record);
		return quar_fail(err, QUAR_EINVAL, "%s: the record is not a JSON object", id);
	}
	quar_name(eml, sizeof eml, id, "eml");
	quar_name(json, sizeof json, id, "json");
	if (fstatat(q->msgfd, json, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		rc = quar_fail(err, QUAR_ESTATE, "%s: already in the quarantine", id);
		goto out;
	}
	/* the bytes first: a crash in between leaves an .eml without .json,
	 * which nothing lists and the next put of this id replaces */
	rc = quar_tmp_open(q, q->msgfd, &t, err);
	if (rc != QUAR_OK)
		goto out;
	e = quar_copy_in(&t, fd, data, len, sha, &size);
	if (e != 0) {
		quar_tmp_abort(&t);
		rc = quar_fail(err, QUAR_EIO, "%s/msg/%s: %s", q->dir, eml, strerror(e));
		goto out;
	}
	rc = quar_tmp_commit(q, &t, eml, true, err);
	if (rc != QUAR_OK)
		goto gone;
	meta = json_object();
	json_object_set_new(meta, "id", json_string(id));
	quar_set_state(meta, "quarantined");
	json_object_set_new(meta, "quarantined_ms", json_integer(quar_now_ms()));
	json_object_set_new(meta, "size", json_integer((json_int_t)size));
	json_object_set_new(meta, "sha256", json_string(sha));
	json_object_set(meta, "record", record);
	hist = json_array();
	json_object_set_new(meta, "history", hist);
	quar_history(meta, "quarantined", NULL, NULL);
	rc = quar_meta_write(q, id, meta, true, err);
	if (rc == QUAR_OK)
		goto out;
gone:
	/* nothing half-there: without its metadata the message is not stored
	 * (unless another put of this id won the race, QUAR_ESTATE) */
	if (rc != QUAR_ESTATE) {
		unlinkat(q->msgfd, eml, 0);
		fsync(q->msgfd);
	}
out:
	json_decref(record);
	json_decref(meta);
	return rc;
}

int quar_get(quar *q, const char *id, char **meta_json, char **err)
{
	json_t *m;
	int rc;

	if (err != NULL)
		*err = NULL;
	if (meta_json == NULL)
		return quar_fail(err, QUAR_EINVAL, "quar_get: no output");
	*meta_json = NULL;
	if (q == NULL || !quar_id_valid(id))
		return quar_fail(err, QUAR_EINVAL, "not a quarantine id (32 lower-case hex)");
	rc = quar_meta_text(q, id, -1, meta_json, err);
	if (rc != QUAR_OK)
		return rc;
	m = quar_meta_parse(*meta_json);
	if (m == NULL) {
		free(*meta_json);
		*meta_json = NULL;
		return quar_fail(err, QUAR_EIO, "%s/msg/%s.json: not valid quarantine metadata",
		                 q->dir, id);
	}
	json_decref(m);
	return QUAR_OK;
}

char *quar_message_path(quar *q, const char *id)
{
	char name[48];
	struct stat st;
	char *p = NULL;

	if (q == NULL || !quar_id_valid(id))
		return NULL;
	quar_name(name, sizeof name, id, "eml");
	if (fstatat(q->msgfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
		return NULL;
	if (asprintf(&p, "%s/msg/%s", q->dir, name) < 0)
		return NULL;
	return p;
}

struct quar_ent {
	char id[QUAR_ID_LEN + 1];
	int64_t ms;
};

static int quar_ent_cmp(const void *a, const void *b)
{
	const struct quar_ent *x = a, *y = b;

	if (x->ms != y->ms)
		return x->ms > y->ms ? -1 : 1;
	return strcmp(x->id, y->id);
}

int quar_list(quar *q, void (*fn)(const char *id, const char *meta_json, void *arg), void *arg,
              char **err)
{
	struct quar_ent *v = NULL;
	size_t n = 0, cap = 0, bad = 0;
	struct dirent *de;
	DIR *d;
	int fd, rc = QUAR_OK;

	if (err != NULL)
		*err = NULL;
	if (q == NULL || fn == NULL)
		return quar_fail(err, QUAR_EINVAL, "quar_list: bad arguments");
	fd = openat(q->dirfd, "msg", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return quar_fail(err, QUAR_EIO, "%s/msg: %s", q->dir, strerror(errno));
	}
	/* first pass: ids and times only, so a large quarantine is not held in
	 * memory; second pass: each entry's metadata, newest first */
	while ((de = readdir(d)) != NULL) {
		char id[QUAR_ID_LEN + 1], *text = NULL;
		json_t *m;

		if (strlen(de->d_name) != QUAR_ID_LEN + 5 ||
		    strcmp(de->d_name + QUAR_ID_LEN, ".json") != 0)
			continue;
		memcpy(id, de->d_name, QUAR_ID_LEN);
		id[QUAR_ID_LEN] = 0;
		if (!quar_id_valid(id))
			continue;
		if (quar_meta_text(q, id, -1, &text, NULL) != QUAR_OK ||
		    (m = quar_meta_parse(text)) == NULL) {
			free(text);
			if (bad++ == 0)
				quar_fail(err, QUAR_EIO,
				          "%s/msg/%s.json: not valid quarantine metadata", q->dir,
				          id);
			continue;
		}
		free(text);
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			struct quar_ent *nv =
			        nc < SIZE_MAX / sizeof *v ? realloc(v, nc * sizeof *v) : NULL;

			if (nv == NULL) {
				json_decref(m);
				rc = quar_fail(err, QUAR_EIO, "out of memory");
				goto out;
			}
			v = nv;
			cap = nc;
		}
		memcpy(v[n].id, id, sizeof id);
		v[n].ms = json_integer_value(json_object_get(m, "quarantined_ms"));
		n++;
		json_decref(m);
	}
	qsort(v, n, sizeof *v, quar_ent_cmp);
	for (size_t i = 0; i < n; i++) {
		char *text = NULL;

		/* an entry may have gone since the first pass: skip it */
		if (quar_get(q, v[i].id, &text, NULL) != QUAR_OK)
			continue;
		fn(v[i].id, text, arg);
		free(text);
	}
	if (bad > 0)
		rc = QUAR_EIO;
out:
	closedir(d);
	free(v);
	return rc;
}

/* ---- release ---- */

/*
 * An envelope address from the record as a sendmail argument: no control
 * characters, bounded, without the <> around it. The null sender is "<>".
 */
static char *quar_addr_arg(const char *a, bool sender)
{
	size_t len;

	if (a == NULL)
		a = "";
	len = strnlen(a, QUAR_ADDR_MAX + 1);
	if (len > QUAR_ADDR_MAX)
		return NULL;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)a[i] < 0x20 || a[i] == 0x7f)
			return NULL;
	if (len >= 2 && a[0] == '<' && a[len - 1] == '>') {
		a++;
		len -= 2;
	}
	if (len == 0)
		return sender ? strdup("<>") : NULL;
	return strndup(a, len);
}

struct quar_argv {
	char **v;
	size_t n;
	size_t first_own; /* v[first_own..n) are ours to free */
};

static void quar_argv_free(struct quar_argv *a)
{
	if (a->v != NULL)
		for (size_t i = a->first_own; i < a->n; i++)
			free(a->v[i]);
	free(a->v);
	a->v = NULL;
}

/* prefix + -G -i -f FROM -- RCPT... */
static int quar_build_argv(const char *const *prefix, const json_t *record, struct quar_argv *a,
                           char **err)
{
	const json_t *rcpts = json_object_get(record, "env_rcpts");
	size_t np = 0, nr = json_array_size(rcpts);
	static const char *const fixed[] = {"-G", "-i", "-f"};

	memset(a, 0, sizeof *a);
	while (prefix[np] != NULL)
		if (++np > QUAR_PREFIX_MAX)
			return quar_fail(err, QUAR_EINVAL, "the sendmail command is too long");
	if (nr == 0)
		return quar_fail(err, QUAR_EINVAL, "the record has no envelope recipients");
	if (nr > QUAR_RCPTS_MAX)
		return quar_fail(err, QUAR_EINVAL, "the record has more than %d recipients",
		                 QUAR_RCPTS_MAX);
	a->v = calloc(np + 5 + nr + 1, sizeof *a->v);
	if (a->v == NULL)
		return quar_fail(err, QUAR_EIO, "out of memory");
	for (size_t i = 0; i < np; i++)
		a->v[a->n++] = (char *)prefix[i];
	a->first_own = a->n;
	for (size_t i = 0; i < 3; i++)
		a->v[a->n++] = strdup(fixed[i]);
	a->v[a->n++] = quar_addr_arg(quar_jget_str(record, "env_from"), true);
	if (a->v[a->n - 1] == NULL)
		return quar_fail(err, QUAR_EINVAL, "the record's envelope sender is not usable");
	a->v[a->n++] = strdup("--");
	for (size_t i = 0; i < nr; i++) {
		a->v[a->n++] = quar_addr_arg(json_string_value(json_array_get(rcpts, i)), false);
		if (a->v[a->n - 1] == NULL)
			return quar_fail(err, QUAR_EINVAL,
			                 "envelope recipient %zu of the record is not usable",
			                 i + 1);
	}
	for (size_t i = a->first_own; i < a->n; i++)
		if (a->v[i] == NULL)
			return quar_fail(err, QUAR_EIO, "out of memory");
	return QUAR_OK;
}

/* Sends n bytes on a non-blocking socket before the deadline. */
static int quar_feed(int s, const void *p, size_t n, int64_t deadline)
{
	const uint8_t *b = p;

	while (n > 0) {
		ssize_t w = send(s, b, n, MSG_NOSIGNAL);

		if (w > 0) {
			b += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int64_t left = deadline - quar_mono_ms();
			struct pollfd pf = {.fd = s, .events = POLLOUT};

			if (left <= 0)
				return ETIMEDOUT;
			poll(&pf, 1, left > INT_MAX ? INT_MAX : (int)left);
			continue;
		}
		return w < 0 ? errno : EIO;
	}
	return 0;
}

/* What sendmail said on stderr, on one line, printable ASCII. */
static void quar_stderr_text(int fd, char *out, size_t outsz)
{
	char buf[QUAR_STDERR_MAX];
	ssize_t r = pread(fd, buf, sizeof buf, 0);
	size_t o = 0;

	out[0] = 0;
	for (ssize_t i = 0; r > 0 && i < r && o + 4 < outsz; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c == '\n' || c == '\r') {
			if (o > 0 && out[o - 1] != ' ') {
				out[o++] = ';';
				out[o++] = ' ';
			}
			continue;
		}
		out[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	while (o > 0 && (out[o - 1] == ' ' || out[o - 1] == ';'))
		o--;
	out[o] = 0;
}

/*
 * Runs argv with hdr + the bytes of emlfd on its stdin; stdout and stderr
 * go to a memory file whose start explains a failure. Returns 0 when it
 * read everything and exited 0; else -1 with *why (malloc'ed).
 */
static int quar_sendmail(char *const argv[], int emlfd, const char *hdr, char **why)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, dfl;
	int sv[2] = {-1, -1}, errfd, e, status = 0, rc = -1;
	int64_t deadline = quar_mono_ms() + QUAR_SENDMAIL_TIMEOUT_MS;
	uint8_t *buf = NULL;
	uint64_t off = 0;
	bool timed_out = false;
	const char *feed_err = NULL;
	char text[QUAR_STDERR_MAX + 8];
	pid_t pid;

	*why = NULL;
	/* posix_spawn reports a failed exec only on some systems (not under
	 * valgrind, for one): ask first, for a clear message */
	if (access(argv[0], X_OK) != 0) {
		if (asprintf(why, "cannot run %s: %s", argv[0], strerror(errno)) < 0)
			*why = NULL;
		return -1;
	}
	errfd = memfd_create("vigil-sendmail", MFD_CLOEXEC);
	if (errfd < 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		e = errno;
		if (errfd >= 0)
			close(errfd);
		if (asprintf(why, "cannot prepare sendmail: %s", strerror(e)) < 0)
			*why = NULL;
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, sv[1], 0);
	posix_spawn_file_actions_adddup2(&fa, errfd, 1);
	posix_spawn_file_actions_adddup2(&fa, errfd, 2);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigemptyset(&dfl);
	/* whatever our caller ignores or blocks, sendmail starts clean */
	for (int s = 1; s < 32; s++)
		if (s != SIGKILL && s != SIGSTOP)
			sigaddset(&dfl, s);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dfl);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	e = posix_spawn(&pid, argv[0], &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(sv[1]);
	if (e != 0) {
		close(sv[0]);
		close(errfd);
		if (asprintf(why, "cannot run %s: %s", argv[0], strerror(e)) < 0)
			*why = NULL;
		return -1;
	}
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	e = quar_feed(sv[0], hdr, strlen(hdr), deadline);
	buf = malloc(QUAR_CHUNK);
	if (buf == NULL)
		e = ENOMEM;
	while (e == 0) {
		ssize_t r = pread(emlfd, buf, QUAR_CHUNK, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			e = errno;
			feed_err = "cannot read the stored message";
			break;
		}
		if (r == 0)
			break;
		e = quar_feed(sv[0], buf, (size_t)r, deadline);
		off += (uint64_t)r;
	}
	free(buf);
	close(sv[0]); /* end of the message */
	if (e == ETIMEDOUT)
		timed_out = true;
	else if (e != 0 && feed_err == NULL)
		feed_err = "sendmail stopped reading the message";
	/* wait, with the same deadline; a hung sendmail is killed */
	for (int nap = 1;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			feed_err = "lost track of sendmail";
			break;
		}
		if (w == 0 && (timed_out || quar_mono_ms() > deadline)) {
			timed_out = true;
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			break;
		}
		if (w == 0) {
			struct timespec ts = {0, (long)nap * 1000000L};

			nanosleep(&ts, NULL);
			nap = nap < 50 ? nap * 2 : 50;
		}
	}
	quar_stderr_text(errfd, text, sizeof text);
	close(errfd);
	if (timed_out)
		e = asprintf(why, "%s did not finish within %d s; it was stopped", argv[0],
		             QUAR_SENDMAIL_TIMEOUT_MS / 1000);
	else if (WIFSIGNALED(status))
		e = asprintf(why, "%s was killed by signal %d%s%s", argv[0], WTERMSIG(status),
		             text[0] ? ": " : "", text);
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		e = asprintf(why, "%s exited with status %d%s%s", argv[0], WEXITSTATUS(status),
		             text[0] ? ": " : "", text);
	else if (feed_err != NULL)
		e = asprintf(why, "%s: %s%s%s", argv[0], feed_err, text[0] ? ": " : "", text);
	else {
		e = 0;
		rc = 0;
	}
	if (e < 0)
		*why = NULL;
	return rc;
}

/* "\r\n" if the message's first line ends that way, else "\n" */
static const char *quar_eol(int fd)
{
	char buf[QUAR_HEADER_MAX];
	ssize_t r = pread(fd, buf, sizeof buf, 0);
	const char *nl = r > 0 ? memchr(buf, '\n', (size_t)r) : NULL;

	return nl != NULL && nl > buf && nl[-1] == '\r' ? "\r\n" : "\n";
}

static const char *quar_who(const char *who)
{
	return who != NULL && *who && strnlen(who, QUAR_WHO_MAX) < QUAR_WHO_MAX ? who : "unknown";
}

/* The message file of a release, locked against a second release. */
static int quar_release_open(quar *q, const char *id, int *out, char **err)
{
	char name[48];
	json_t *m = NULL;
	int fd, rc;

	*out = -1;
	quar_name(name, sizeof name, id, "eml");
	fd = openat(q->msgfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		rc = quar_meta_load(q, id, -1, &m, err);
		if (rc == QUAR_OK && (quar_state_is(m, "deleted") || quar_state_is(m, "released")))
			rc = quar_fail(err, QUAR_ESTATE, "%s: already %s", id,
			               quar_jget_str(m, "state"));
		else if (rc == QUAR_OK)
			rc = quar_fail(err, QUAR_EIO, "%s/msg/%s: %s", q->dir, name, strerror(e));
		json_decref(m);
		return rc;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;

		close(fd);
		if (e == EWOULDBLOCK)
			return quar_fail(err, QUAR_ESTATE, "%s: a release of it is running now",
			                 id);
		return quar_fail(err, QUAR_EIO, "%s/msg/%s: lock: %s", q->dir, name, strerror(e));
	}
	*out = fd;
	return QUAR_OK;
}

/* Step 1: quarantined/releasing -> releasing, durably. */
static int quar_release_begin(quar *q, const char *id, const char *who, const char *const *prefix,
                              struct quar_argv *argv, char **err)
{
	json_t *m = NULL;
	int lfd = -1, rc;
	json_int_t attempts;

	rc = quar_meta_lock(q, id, &lfd, err);
	if (rc != QUAR_OK)
		return rc;
	rc = quar_meta_load(q, id, lfd, &m, err);
	if (rc != QUAR_OK)
		goto out;
	if (!quar_state_is(m, "quarantined") && !quar_state_is(m, "releasing")) {
		rc = quar_fail(err, QUAR_ESTATE, "%s: already %s", id, quar_jget_str(m, "state"));
		goto out;
	}
	rc = quar_build_argv(prefix, json_object_get(m, "record"), argv, err);
	if (rc != QUAR_OK)
		goto out;
	quar_set_state(m, "releasing");
	attempts = json_integer_value(json_object_get(m, "release_attempts"));
	json_object_set_new(m, "release_attempts", json_integer(attempts + 1));
	if (json_object_get(m, "release_started_ms") == NULL)
		json_object_set_new(m, "release_started_ms", json_integer(quar_now_ms()));
	quar_history(m, "release-started", who, NULL);
	rc = quar_meta_write(q, id, m, false, err);
out:
	json_decref(m);
	close(lfd);
	return rc;
}

/* Step 3: the outcome of sendmail. */
static int quar_release_end(quar *q, const char *id, const char *who, const char *why, char **err)
{
	json_t *m = NULL;
	int lfd = -1, rc;

	rc = quar_meta_lock(q, id, &lfd, err);
	if (rc == QUAR_OK)
		rc = quar_meta_load(q, id, lfd, &m, err);
	if (rc != QUAR_OK)
		goto out;
	if (json_object_get(m, "milter_seen_ms") != NULL) {
		/* vigil-milter let a copy through: that is the truth, whatever
		 * sendmail's exit status said */
		if (json_object_get(m, "released_by") == NULL)
			json_object_set_new(m, "released_by", quar_jstr(who));
		if (why != NULL)
			json_object_set_new(m, "last_error", quar_jstr(why));
		rc = quar_meta_write(q, id, m, false, err);
		goto out;
	}
	if (!quar_state_is(m, "releasing")) {
		rc = quar_fail(err, QUAR_ESTATE, "%s: became %s during the release", id,
		               quar_jget_str(m, "state"));
		goto out;
	}
	if (why == NULL) {
		quar_set_state(m, "released");
		json_object_set_new(m, "released_ms", json_integer(quar_now_ms()));
		json_object_set_new(m, "released_by", quar_jstr(who));
		json_object_set_new(m, "released_via", json_string("sendmail"));
		json_object_del(m, "last_error");
		quar_history(m, "released", who, NULL);
	} else {
		quar_set_state(m, "quarantined");
		json_object_set_new(m, "last_error", quar_jstr(why));
		quar_history(m, "release-failed", who, why);
	}
	rc = quar_meta_write(q, id, m, false, err);
	if (rc == QUAR_OK && why != NULL)
		rc = quar_fail(err, QUAR_ESENDMAIL, "%s", why);
out:
	if (rc != QUAR_OK && rc != QUAR_ESENDMAIL && rc != QUAR_ESTATE && why == NULL &&
	    err != NULL) {
		/* say what that means for the operator */
		char *cause = *err;

		*err = NULL;
		quar_fail(
		        err, rc,
		        "%s: sendmail took the message, but recording that failed (%s); the state "
		        "stays 'releasing' and running the release again is safe with vigil-milter "
		        "on the re-injection path",
		        id, cause != NULL ? cause : quar_strerror(rc));
		free(cause);
	}
	json_decref(m);
	if (lfd >= 0)
		close(lfd);
	return rc;
}

int quar_release(quar *q, const char *id, const char *const *sendmail_argv, const char *who,
                 char **err)
{
	struct quar_argv argv = {0};
	unsigned char mac[32];
	char machex[QUAR_MAC_HEX + 1], hdr[160], *why = NULL;
	int efd = -1, rc;

	if (err != NULL)
		*err = NULL;
	if (q == NULL || !quar_id_valid(id))
		return quar_fail(err, QUAR_EINVAL, "not a quarantine id (32 lower-case hex)");
	if (sendmail_argv == NULL || sendmail_argv[0] == NULL || *sendmail_argv[0] == 0)
		return quar_fail(err, QUAR_EINVAL, "no sendmail command");
	who = quar_who(who);
	rc = quar_release_open(q, id, &efd, err);
	if (rc != QUAR_OK)
		return rc;
	rc = quar_key_load(q, true, err);
	if (rc != QUAR_OK) {
		rc = QUAR_EIO;
		goto out;
	}
	rc = quar_release_begin(q, id, who, sendmail_argv, &argv, err);
	if (rc != QUAR_OK)
		goto out;
	quar_token(q, id, mac);
	quar_hex(mac, sizeof mac, machex);
	snprintf(hdr, sizeof hdr, "X-Vigil-Release: %s %s%s", id, machex, quar_eol(efd));
	if (quar_sendmail(argv.v, efd, hdr, &why) != 0 && why == NULL)
		why = strdup("sendmail failed");
	rc = quar_release_end(q, id, who, why, err);
out:
	free(why);
	quar_argv_free(&argv);
	if (efd >= 0)
		close(efd);
	return rc;
}

int quar_delete(quar *q, const char *id, const char *who, char **err)
{
	char eml[48];
	json_t *m = NULL;
	int lfd = -1, rc;

	if (err != NULL)
		*err = NULL;
	if (q == NULL || !quar_id_valid(id))
		return quar_fail(err, QUAR_EINVAL, "not a quarantine id (32 lower-case hex)");
	who = quar_who(who);
	quar_name(eml, sizeof eml, id, "eml");
	rc = quar_meta_lock(q, id, &lfd, err);
	if (rc == QUAR_OK)
		rc = quar_meta_load(q, id, lfd, &m, err);
	if (rc != QUAR_OK)
		goto out;
	if (quar_state_is(m, "deleted")) {
		struct stat st;

		/* an earlier delete died between its two steps: finish it */
		if (fstatat(q->msgfd, eml, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			rc = quar_fail(err, QUAR_ESTATE, "%s: already deleted", id);
			goto out;
		}
	} else if (quar_state_is(m, "releasing")) {
		rc = quar_fail(err, QUAR_ESTATE,
		               "%s: a release of it is unfinished; run the release again first",
		               id);
		goto out;
	} else {
		quar_set_state(m, "deleted");
		json_object_set_new(m, "deleted_ms", json_integer(quar_now_ms()));
		json_object_set_new(m, "deleted_by", quar_jstr(who));
		quar_history(m, "deleted", who, NULL);
		rc = quar_meta_write(q, id, m, false, err);
		if (rc != QUAR_OK)
			goto out;
	}
	/* the state first, then the bytes: a crash in between leaves a
	 * 'deleted' entry whose file the next delete removes */
	if (unlinkat(q->msgfd, eml, 0) != 0 && errno != ENOENT) {
		rc = quar_fail(err, QUAR_EIO, "%s/msg/%s: %s", q->dir, eml, strerror(errno));
		goto out;
	}
	if (fsync(q->msgfd) != 0)
		rc = quar_fail(err, QUAR_EIO, "%s/msg: fsync: %s", q->dir, strerror(errno));
out:
	json_decref(m);
	if (lfd >= 0)
		close(lfd);
	return rc;
}

/* "<32 hex> <64 hex>", optionally surrounded by white space (a folded or
 * raw header value). Lower-case only, as quar_release writes it. */
static bool quar_parse_token(const char *v, char *id, unsigned char *mac)
{
	size_t n = strnlen(v, QUAR_HEADER_MAX + 1), i = 0;

	if (n > QUAR_HEADER_MAX)
		return false;
	while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == '\r' || v[i] == '\n'))
		i++;
	if (n - i < QUAR_ID_LEN + 1 + QUAR_MAC_HEX)
		return false;
	memcpy(id, v + i, QUAR_ID_LEN);
	id[QUAR_ID_LEN] = 0;
	if (!quar_id_valid(id))
		return false;
	i += QUAR_ID_LEN;
	if (v[i] != ' ' && v[i] != '\t')
		return false;
	while (i < n && (v[i] == ' ' || v[i] == '\t'))
		i++;
	if (n - i < QUAR_MAC_HEX)
		return false;
	for (size_t k = 0; k < QUAR_MAC_HEX; k++) {
		char c = v[i + k];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;

		if (d < 0)
			return false;
		if (k % 2 == 0)
			mac[k / 2] = (unsigned char)(d << 4);
		else
			mac[k / 2] |= (unsigned char)d;
	}
	i += QUAR_MAC_HEX;
	while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == '\r' || v[i] == '\n'))
		i++;
	return i == n;
}

int quar_release_seen(quar *q, const char *header_value)
{
	char id[QUAR_ID_LEN + 1];
	unsigned char mac[32], want[32];
	json_t *m = NULL;
	int lfd = -1, ans = QUAR_RELEASE_INVALID;

	if (q == NULL || header_value == NULL || !quar_parse_token(header_value, id, mac))
		return QUAR_RELEASE_INVALID;
	/* no key: nothing was ever released here */
	if (quar_key_load(q, false, NULL) != QUAR_OK)
		return QUAR_RELEASE_INVALID;
	quar_token(q, id, want);
	if (CRYPTO_memcmp(mac, want, sizeof want) != 0)
		return QUAR_RELEASE_INVALID;
	if (quar_meta_lock(q, id, &lfd, NULL) != QUAR_OK)
		return QUAR_RELEASE_INVALID;
	if (quar_meta_load(q, id, lfd, &m, NULL) != QUAR_OK)
		goto out;
	/* a genuine token for a message no one tried to release cannot come
	 * from a release: scan it */
	if (json_object_get(m, "release_started_ms") == NULL)
		goto out;
	if (json_object_get(m, "milter_seen_ms") != NULL) {
		json_int_t d = json_integer_value(json_object_get(m, "duplicates"));

		/* counting is best effort; the answer does not depend on it */
		json_object_set_new(m, "duplicates", json_integer(d + 1));
		quar_meta_write(q, id, m, false, NULL);
		ans = QUAR_RELEASE_DUPLICATE;
		goto out;
	}
	json_object_set_new(m, "milter_seen_ms", json_integer(quar_now_ms()));
	if (!quar_state_is(m, "deleted")) {
		if (!quar_state_is(m, "released")) {
			quar_set_state(m, "released");
			json_object_set_new(m, "released_via", json_string("vigil-milter"));
		}
		if (json_object_get(m, "released_ms") == NULL)
			json_object_set_new(m, "released_ms", json_integer(quar_now_ms()));
	}
	quar_history(m, "delivered", "vigil-milter", NULL);
	/* FIRST only once that is on disk; if it cannot be recorded, the copy
	 * is scanned like any other instead of risking a second delivery */
	if (quar_meta_write(q, id, m, false, NULL) == QUAR_OK)
		ans = QUAR_RELEASE_FIRST;
out:
	json_decref(m);
	close(lfd);
	return ans;
}
