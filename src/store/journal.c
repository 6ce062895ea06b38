/*
 * journal.c - records the store could not take, kept on disk until it can.
 *
 * Format: JSON lines (store_msg_to_json), in segment files of at most
 * JOURNAL_SEGMENT bytes (store.h describes the folder). An append is one
 * write of the line and its '\n', then fdatasync; if either fails the file
 * is cut back to its previous length (if even that fails, appends move on
 * to a new segment and the torn tail is skipped at replay). A line without
 * its '\n' at the end of a segment is therefore a crash in the middle of an
 * append: replay copies it to rejected.jsonl, warns, and goes on: it never
 * makes replay fail forever.
 *
 * Replay first closes the segment appends go to (new appends start a new
 * one), then reads the older segments line by line, oldest first, and puts
 * each record into the store. A segment is unlinked only when every line in
 * it was taken (stored, already stored, or moved to rejected.jsonl, which
 * is fsync'ed first). Progress inside a segment goes to replay.pos every
 * JOURNAL_POS_EVERY lines and when replay stops; it is only a shortcut:
 * after a crash the lines since the last save are put again and answer
 * STORE_ECONFLICT, which counts as taken.
 *
 * Limits: a line is at most JOURNAL_MAX_LINE bytes (the reader's buffer
 * never grows past it; a longer line is skipped). Threads: appends are
 * serialised by j->mu; one replay at a time (j->replay_mu), concurrent with
 * appends. Owner: the journal owns its descriptors and the lock on the
 * folder until journal_close().
 */
#include "store/store_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <glib.h>

#define JOURNAL_SEGMENT (64 << 20)
#define JOURNAL_POS_EVERY 256
#define JOURNAL_READ_CHUNK 65536
#define SEG_NAME_LEN 20 /* digits before ".jsonl" */

struct journal {
	int dirfd, lockfd;
	pthread_mutex_t mu;        /* everything below but pos_* */
	pthread_mutex_t replay_mu; /* one replay at a time; pos_* */
	uint64_t seg;              /* segment appends go to */
	int fd;                    /* its descriptor, -1 before its first append */
	off_t size;
	size_t pending, skipped;
	uint64_t pos_seg; /* replay progress: offset pos_off in segment pos_seg */
	off_t pos_off;
	journal_log_fn log;
	void *log_ctx;
};

static void log_stderr(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "vigil: warning: %s\n", msg);
}

static void warn(journal *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(journal *j, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (s != NULL)
		j->log(j->log_ctx, s);
	free(s);
}

static void seg_name(uint64_t seg, char *buf, size_t n)
{
	snprintf(buf, n, "%020" PRIu64 ".jsonl", seg);
}

/* 1 and *seg if name is a segment's */
static int is_seg(const char *name, uint64_t *seg)
{
	uint64_t v = 0;

	for (int i = 0; i < SEG_NAME_LEN; i++) {
		if (!g_ascii_isdigit(name[i]))
			return 0;
		if (v > (UINT64_MAX - 9) / 10)
			return 0;
		v = v * 10 + (uint64_t)(name[i] - '0');
	}
	if (strcmp(name + SEG_NAME_LEN, ".jsonl") != 0)
		return 0;
	*seg = v;
	return 1;
}

static gint cmp_u64(gconstpointer a, gconstpointer b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The segments in the folder below limit, oldest first. */
static GArray *list_segs(journal *j, uint64_t limit)
{
	GArray *a = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	int fd = openat(j->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;

	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		g_array_free(a, TRUE);
		return NULL;
	}
	while ((e = readdir(d)) != NULL) {
		uint64_t s;

		if (is_seg(e->d_name, &s) && s < limit)
			g_array_append_val(a, s);
	}
	closedir(d);
	g_array_sort(a, cmp_u64);
	return a;
}

static int write_all(int fd, const struct iovec *iov0, int n)
{
	struct iovec iov[4];

	if (n > 4)
		return -1;
	memcpy(iov, iov0, (size_t)n * sizeof *iov);
	while (n > 0) {
		ssize_t w = writev(fd, iov, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		while (n > 0 && (size_t)w >= iov[0].iov_len) {
			w -= (ssize_t)iov[0].iov_len;
			memmove(iov, iov + 1, (size_t)(n - 1) * sizeof *iov);
			n--;
		}
		if (n > 0) {
			iov[0].iov_base = (char *)iov[0].iov_base + w;
			iov[0].iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* ---- replay position ---- */

static void pos_save(journal *j)
{
	char buf[64];
	int fd, n = snprintf(buf, sizeof buf, "%" PRIu64 " %lld\n", j->pos_seg,
	                     (long long)j->pos_off);
	struct iovec iov = {buf, (size_t)n};

	fd = openat(j->dirfd, "replay.pos.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return; /* only a shortcut: replay is correct without it */
	if (write_all(fd, &iov, 1) == 0 && fdatasync(fd) == 0)
		renameat(j->dirfd, "replay.pos.tmp", j->dirfd, "replay.pos");
	close(fd);
}

/* A saved position is used only if it points at the start of a line. */
static void pos_load(journal *j)
{
	char buf[64], name[32], c;
	unsigned long long seg;
	long long off;
	ssize_t n;
	struct stat sb;
	int fd = openat(j->dirfd, "replay.pos", O_RDONLY | O_CLOEXEC), sfd;

	j->pos_seg = 0;
	j->pos_off = 0;
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = 0;
	if (sscanf(buf, "%llu %lld", &seg, &off) != 2 || off <= 0)
		return;
	seg_name(seg, name, sizeof name);
	sfd = openat(j->dirfd, name, O_RDONLY | O_CLOEXEC);
	if (sfd < 0)
		return;
	if (fstat(sfd, &sb) == 0 && off <= sb.st_size && pread(sfd, &c, 1, off - 1) == 1 &&
	    c == '\n') {
		j->pos_seg = seg;
		j->pos_off = off;
	}
	close(sfd);
}

/* ---- reading lines ---- */

struct reader {
	int fd;
	char *buf;
	size_t cap, beg, end, scan; /* scan: no '\n' in buf[beg, scan) */
	off_t off;                  /* file offset of buf[beg] */
	int eof;
};

enum { LR_LINE, LR_TORN, LR_LONG, LR_EOF, LR_ERR };

/* Fills the buffer; -1 on a read error. */
static int fill(struct reader *r)
{
	ssize_t n;

	if (r->beg > 0) {
		memmove(r->buf, r->buf + r->beg, r->end - r->beg);
		r->end -= r->beg;
		r->scan -= r->beg;
		r->beg = 0;
	}
	if (r->end == r->cap) {
		size_t cap = r->cap * 2;
		char *b;

		if (cap > (size_t)JOURNAL_MAX_LINE + JOURNAL_READ_CHUNK)
			cap = (size_t)JOURNAL_MAX_LINE + JOURNAL_READ_CHUNK;
		b = realloc(r->buf, cap + 1); /* + 1: room for a NUL after a torn line */
		if (b == NULL)
			return -1;
		r->buf = b;
		r->cap = cap;
	}
	do
		n = read(r->fd, r->buf + r->end, r->cap - r->end);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if (n == 0)
		r->eof = 1;
	r->end += (size_t)n;
	return 0;
}

/*
 * The next line (without '\n', NUL-terminated in place) at file offset *at.
 * LR_TORN: bytes without a '\n' at the end of the file; LR_LONG: a line
 * over JOURNAL_MAX_LINE, skipped whole.
 */
static int next_line(struct reader *r, char **line, size_t *len, off_t *at)
{
	int skipping = 0;

	*at = r->off;
	for (;;) {
		char *nl = memchr(r->buf + r->scan, '\n', r->end - r->scan);

		if (nl != NULL) {
			size_t i = (size_t)(nl - r->buf);

			*nl = 0;
			*line = r->buf + r->beg;
			*len = i - r->beg;
			r->off += (off_t)(i + 1 - r->beg);
			r->beg = r->scan = i + 1;
			return skipping ? LR_LONG : LR_LINE;
		}
		r->scan = r->end;
		if (r->end - r->beg > JOURNAL_MAX_LINE) {
			/* drop what we have of it and read on to its end */
			r->off += (off_t)(r->end - r->beg);
			r->beg = r->end = r->scan = 0;
			skipping = 1;
		}
		if (r->eof) {
			if (skipping)
				return LR_LONG;
			if (r->end == r->beg)
				return LR_EOF;
			r->buf[r->end] = 0;
			*line = r->buf + r->beg;
			*len = r->end - r->beg;
			r->off += (off_t)*len;
			r->beg = r->scan = r->end;
			return LR_TORN;
		}
		if (fill(r) != 0)
			return LR_ERR;
	}
}

/* Lines in fd from offset off (a last line without '\n' counts). */
static size_t count_lines(int fd, off_t off)
{
	char buf[JOURNAL_READ_CHUNK];
	size_t n = 0;
	ssize_t got;
	char last = '\n';

	while ((got = pread(fd, buf, sizeof buf, off)) > 0) {
		for (char *p = buf; (p = memchr(p, '\n', (size_t)(buf + got - p))) != NULL; p++)
			n++;
		last = buf[got - 1];
		off += got;
	}
	return n + (last != '\n');
}

/* ---- open / close ---- */

int journal_open(const char *dir, journal **out, char **err)
{
	journal *j;
	GArray *segs;
	int rc;

	if (out == NULL || dir == NULL || *dir == 0)
		return store_fail(err, STORE_EINVAL, "journal: no folder");
	*out = NULL;
	j = calloc(1, sizeof *j);
	if (j == NULL)
		return store_fail(err, STORE_EUNAVAILABLE, "journal: out of memory");
	j->dirfd = j->lockfd = j->fd = -1;
	j->log = log_stderr;
	pthread_mutex_init(&j->mu, NULL);
	pthread_mutex_init(&j->replay_mu, NULL);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		rc = store_fail(err, STORE_EUNAVAILABLE, "journal: cannot create %s: %s", dir,
		                strerror(errno));
		goto fail;
	}
	j->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (j->dirfd >= 0)
		j->lockfd = openat(j->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (j->lockfd < 0) {
		rc = store_fail(err, STORE_EUNAVAILABLE, "journal: cannot open %s: %s", dir,
		                strerror(errno));
		goto fail;
	}
	if (flock(j->lockfd, LOCK_EX | LOCK_NB) != 0) {
		rc = store_fail(err, STORE_EUNAVAILABLE,
		                "journal: %s is in use by another process (%s)", dir,
		                strerror(errno));
		goto fail;
	}
	segs = list_segs(j, UINT64_MAX);
	if (segs == NULL) {
		rc = store_fail(err, STORE_EUNAVAILABLE, "journal: cannot list %s: %s", dir,
		                strerror(errno));
		goto fail;
	}
	pos_load(j);
	/* appends never go to an old segment: its last line may be torn */
	j->seg = segs->len > 0 ? g_array_index(segs, uint64_t, segs->len - 1) + 1 : 1;
	for (guint i = 0; i < segs->len; i++) {
		uint64_t s = g_array_index(segs, uint64_t, i);
		char name[32];
		int fd;

		seg_name(s, name, sizeof name);
		fd = openat(j->dirfd, name, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			j->pending += count_lines(fd, s == j->pos_seg ? j->pos_off : 0);
			close(fd);
		}
	}
	g_array_free(segs, TRUE);
	*out = j;
	return STORE_OK;
fail:
	journal_close(j);
	return rc;
}

void journal_close(journal *j)
{
	if (j == NULL)
		return;
	if (j->fd >= 0)
		close(j->fd);
	if (j->lockfd >= 0)
		close(j->lockfd); /* releases the flock */
	if (j->dirfd >= 0)
		close(j->dirfd);
	pthread_mutex_destroy(&j->mu);
	pthread_mutex_destroy(&j->replay_mu);
	free(j);
}

void journal_set_log(journal *j, journal_log_fn fn, void *ctx)
{
	if (j == NULL)
		return;
	j->log = fn != NULL ? fn : log_stderr;
	j->log_ctx = fn != NULL ? ctx : NULL;
}

size_t journal_pending(journal *j)
{
	size_t n;

	if (j == NULL)
		return 0;
	pthread_mutex_lock(&j->mu);
	n = j->pending;
	pthread_mutex_unlock(&j->mu);
	return n;
}

size_t journal_skipped(journal *j)
{
	size_t n;

	if (j == NULL)
		return 0;
	pthread_mutex_lock(&j->mu);
	n = j->skipped;
	pthread_mutex_unlock(&j->mu);
	return n;
}

/* ---- append ---- */

/* Closes the append segment; the next append starts a new one. Under mu. */
static void roll(journal *j)
{
	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
	j->size = 0;
	j->seg++;
}

/* Opens a new append segment. Under mu. */
static int open_seg(journal *j, char **err)
{
	char name[32];

	for (int tries = 0; tries < 16; tries++, j->seg++) {
		seg_name(j->seg, name, sizeof name);
		j->fd = openat(j->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC,
		               0600);
		if (j->fd >= 0) {
			/* the new name must survive a crash as well as its lines */
			if (fsync(j->dirfd) != 0) {
				close(j->fd);
				j->fd = -1;
				unlinkat(j->dirfd, name, 0);
				break;
			}
			j->size = 0;
			return STORE_OK;
		}
		if (errno != EEXIST)
			break;
	}
	return store_fail(err, STORE_EUNAVAILABLE, "journal: cannot create a segment: %s",
	                  strerror(errno));
}

int journal_append(journal *j, const struct store_msg *m, char **err)
{
	struct iovec iov[2];
	char *json;
	size_t len;
	int rc = STORE_OK;

	if (j == NULL || m == NULL)
		return store_fail(err, STORE_EINVAL, "journal: no journal or record");
	json = store_msg_to_json(m);
	if (json == NULL)
		return store_fail(err, STORE_EINVAL, "journal: record cannot be serialised");
	len = strlen(json);
	if (len > JOURNAL_MAX_LINE) {
		free(json);
		return store_fail(err, STORE_EINVAL, "journal: record of %zu bytes is too large",
		                  len);
	}
	iov[0] = (struct iovec){json, len};
	iov[1] = (struct iovec){(void *)"\n", 1};

	pthread_mutex_lock(&j->mu);
	if (j->fd < 0)
		rc = open_seg(j, err);
	if (rc == STORE_OK && (write_all(j->fd, iov, 2) != 0 || fdatasync(j->fd) != 0)) {
		rc = store_fail(err, STORE_EUNAVAILABLE, "journal: cannot write: %s",
		                strerror(errno));
		/* take the partial line back; failing that, leave it to replay */
		if (ftruncate(j->fd, j->size) != 0 || fdatasync(j->fd) != 0)
			roll(j);
	}
	if (rc == STORE_OK) {
		j->size += (off_t)len + 1;
		j->pending++;
		if (j->size >= JOURNAL_SEGMENT)
			roll(j);
	}
	pthread_mutex_unlock(&j->mu);
	free(json);
	return rc;
}

/* ---- replay ---- */

/* Keeps a line replay cannot store; -1 if it could not be kept. */
static int reject(journal *j, const char *line, size_t len)
{
	struct iovec iov[2] = {{(void *)line, len}, {(void *)"\n", 1}};
	int fd =
	        openat(j->dirfd, "rejected.jsonl", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	int rc = -1;

	if (fd < 0)
		return -1;
	if (write_all(fd, iov, 2) == 0 && fdatasync(fd) == 0)
		rc = 0;
	close(fd);
	return rc;
}

static void consumed(journal *j, int skipped)
{
	pthread_mutex_lock(&j->mu);
	if (j->pending > 0)
		j->pending--;
	j->skipped += skipped != 0;
	pthread_mutex_unlock(&j->mu);
}

/* One line: 0 taken (or set aside), 1 the store refused it for now. */
static int replay_line(journal *j, store *st, const char *where, char *line, size_t len,
                       size_t *taken)
{
	void *arena = NULL;
	struct store_msg *m = store_msg_from_json(line, &arena);
	char *e = NULL;
	int rc;

	if (m == NULL) {
		if (reject(j, line, len) != 0)
			return 1;
		warn(j,
		     "journal: %s: a line that is not a record (%zu bytes) was moved to "
		     "rejected.jsonl",
		     where, len);
		consumed(j, 1);
		return 0;
	}
	rc = store_put_message(st, m, &e);
	if (rc == STORE_EINVAL) {
		if (reject(j, line, len) != 0) {
			rc = STORE_EUNAVAILABLE;
		} else {
			warn(j,
			     "journal: %s: the store refused record %s (%s); moved to "
			     "rejected.jsonl",
			     where, m->uid, e != NULL ? e : "invalid");
			consumed(j, 1);
		}
	} else if (rc == STORE_OK || rc == STORE_ECONFLICT) {
		consumed(j, 0);
		(*taken)++;
	}
	store_msg_free_parsed(m, arena);
	free(e);
	return rc == STORE_EUNAVAILABLE;
}

/* Replays one segment; 0 when all of it was taken (and it is removed). */
static int replay_seg(journal *j, store *st, uint64_t seg, size_t *taken)
{
	struct reader r = {.fd = -1};
	char name[32], where[64];
	int stop = 0, since_save = 0;

	seg_name(seg, name, sizeof name);
	r.fd = openat(j->dirfd, name, O_RDONLY | O_CLOEXEC);
	if (r.fd < 0)
		return errno == ENOENT ? 0 : 1;
	r.cap = JOURNAL_READ_CHUNK;
	r.buf = malloc(r.cap + 1);
	if (r.buf == NULL) {
		close(r.fd);
		return 1;
	}
	if (seg == j->pos_seg && j->pos_off > 0 && lseek(r.fd, j->pos_off, SEEK_SET) >= 0)
		r.off = j->pos_off;
	j->pos_seg = seg;
	j->pos_off = r.off;
	while (!stop) {
		char *line = NULL;
		size_t len = 0;
		off_t at;
		int k = next_line(&r, &line, &len, &at);

		snprintf(where, sizeof where, "%s:%lld", name, (long long)at);
		switch (k) {
		case LR_EOF:
			goto done;
		case LR_ERR:
			warn(j, "journal: %s: cannot read: %s", where, strerror(errno));
			stop = 1;
			continue;
		case LR_LONG:
			warn(j, "journal: %s: a line over %u bytes was skipped", where,
			     JOURNAL_MAX_LINE);
			consumed(j, 1);
			break;
		case LR_TORN:
			/* a crash in the middle of an append: keep the bytes, go on */
			if (reject(j, line, len) != 0) {
				stop = 1;
				continue;
			}
			warn(j,
			     "journal: %s: torn last line (%zu bytes, an append cut short) "
			     "skipped; moved to rejected.jsonl",
			     where, len);
			consumed(j, 1);
			break;
		default:
			if (len == 0) {
				consumed(j, 0); /* an empty line holds no record */
				break;
			}
			if (replay_line(j, st, where, line, len, taken) != 0) {
				stop = 1;
				continue;
			}
		}
		j->pos_off = r.off;
		if (++since_save >= JOURNAL_POS_EVERY) {
			pos_save(j);
			since_save = 0;
		}
	}
done:
	free(r.buf);
	close(r.fd);
	if (stop) {
		pos_save(j);
		return 1;
	}
	unlinkat(j->dirfd, name, 0);
	j->pos_seg = 0;
	j->pos_off = 0;
	return 0;
}

size_t journal_replay(journal *j, store *st)
{
	size_t taken = 0;
	uint64_t limit;
	GArray *segs;

	if (j == NULL || st == NULL)
		return 0;
	pthread_mutex_lock(&j->replay_mu);
	pthread_mutex_lock(&j->mu);
	if (j->fd >= 0)
		roll(j); /* appends from now on go to a segment this replay leaves alone */
	limit = j->seg;
	pthread_mutex_unlock(&j->mu);
	segs = list_segs(j, limit);
	for (guint i = 0; segs != NULL && i < segs->len; i++)
		if (replay_seg(j, st, g_array_index(segs, uint64_t, i), &taken) != 0)
			break;
	if (segs != NULL && (segs->len == 0 || j->pos_off == 0))
		unlinkat(j->dirfd, "replay.pos", 0);
	if (segs != NULL)
		g_array_free(segs, TRUE);
	pthread_mutex_unlock(&j->replay_mu);
	return taken;
}
