/*
 * quar.c - the agent's quarantine (quar.h).
 */
#include "quar.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <string.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#define COPY_CHUNK 65536

/* SHA-256 of the whole file behind fd (from offset 0), lower-case hex */
static bool sha256_fd(int fd, char hex[65])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned char buf[COPY_CHUNK], md[EVP_MAX_MD_SIZE];
	unsigned ml = 0;
	off_t off = 0;
	bool ok = c != NULL && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1;

	while (ok) {
		ssize_t n = pread(fd, buf, sizeof buf, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			ok = false;
		if (n <= 0)
			break;
		EVP_DigestUpdate(c, buf, (size_t)n);
		off += n;
	}
	if (ok && EVP_DigestFinal_ex(c, md, &ml) == 1) {
		for (unsigned i = 0; i < ml && i < 32; i++)
			g_snprintf(hex + 2 * i, 3, "%02x", md[i]);
	} else {
		ok = false;
	}
	EVP_MD_CTX_free(c);
	return ok;
}

static bool copy_fd(int from, int to)
{
	char buf[COPY_CHUNK];
	off_t off = 0;

	for (;;) {
		ssize_t n = pread(from, buf, sizeof buf, off), w = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return false;
		if (n == 0)
			return fsync(to) == 0;
		while (w < n) {
			ssize_t k = write(to, buf + w, (size_t)(n - w));

			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				return false;
			w += k;
		}
		off += n;
	}
}

static void fail(struct quar_result *out, char *why)
{
	out->done = false;
	g_free(out->detail);
	out->detail = why;
}

void quar_result_free(struct quar_result *r)
{
	g_free(r->detail);
	g_free(r->stored);
	memset(r, 0, sizeof *r);
}

static bool write_meta(int efd, const char *path, const char *sha, const struct stat *st,
                       int64_t order)
{
	json_t *m = json_pack(
	        "{s:I,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I}", "order", (json_int_t)order, "path", path,
	        "sha256", sha, "size", (json_int_t)st->st_size, "mtime_ms",
	        (json_int_t)st->st_mtim.tv_sec * 1000 + st->st_mtim.tv_nsec / 1000000, "mode",
	        (json_int_t)(st->st_mode & 07777), "uid", (json_int_t)st->st_uid, "gid",
	        (json_int_t)st->st_gid, "quarantined_ms", (json_int_t)(g_get_real_time() / 1000));
	char *text = json_dumps(m, JSON_INDENT(1));
	int fd = openat(efd, "meta.json", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	                0600);
	size_t len = text ? strlen(text) : 0;
	bool ok = fd >= 0 && text != NULL && write(fd, text, len) == (ssize_t)len && fsync(fd) == 0;

	if (fd >= 0)
		close(fd);
	free(text);
	json_decref(m);
	return ok;
}

void quar_file(const char *qdir, const struct apath_root *roots, size_t nroots, const char *text,
               const char *want, int64_t order, struct quar_result *out)
{
	const struct apath_root *r = NULL;
	char *path = NULL, **segs = NULL, ename[64];
	size_t n = 0, nsegs;
	int dfd = -1, fd = -1, qfd = -1, efd = -1;
	struct stat st, st2;
	const char *rest, *name;

	memset(out, 0, sizeof *out);
	path = text ? apath_decode(text, &n) : NULL;
	if (path == NULL || !apath_clean(path, n)) {
		fail(out, g_strdup("the path is not a clean absolute path this agent reports"));
		goto out;
	}
	for (size_t i = 0; i < nroots && r == NULL; i++)
		if (apath_under(&roots[i], path))
			r = &roots[i];
	if (r == NULL) {
		fail(out, g_strdup("the path is outside the folders this agent sweeps"));
		goto out;
	}
	/* from the root's literal prefix down, never through a link */
	dfd = open(r->prefix, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	rest = strcmp(r->prefix, "/") == 0 ? path + 1 : path + strlen(r->prefix) + 1;
	segs = g_strsplit(rest, "/", -1);
	nsegs = g_strv_length(segs);
	for (size_t i = 0; dfd >= 0 && i + 1 < nsegs; i++) {
		int sub = openat(dfd, segs[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		close(dfd);
		dfd = sub;
	}
	name = segs[nsegs - 1];
	if (dfd >= 0)
		fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (dfd < 0 || fd < 0) {
		fail(out, g_strdup_printf("the file cannot be reached without following a link, or "
		                          "is gone (%s)",
		                          g_strerror(errno)));
		goto out;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		fail(out, g_strdup("not a regular file"));
		goto out;
	}
	if (!sha256_fd(fd, out->sha256)) {
		fail(out, g_strdup_printf("the file cannot be read (%s)", g_strerror(errno)));
		goto out;
	}
	if (want != NULL && g_ascii_strcasecmp(want, out->sha256) != 0) {
		fail(out,
		     g_strdup_printf("the file changed since the sweep (its SHA-256 is now %s); "
		                     "left in place",
		                     out->sha256));
		goto out;
	}
	if (mkdir(qdir, 0700) != 0 && errno != EEXIST) {
		fail(out, g_strdup_printf("quarantine %s: %s", qdir, g_strerror(errno)));
		goto out;
	}
	qfd = open(qdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (qfd >= 0) {
		/* one folder per order; an order tried again gets a second one */
		g_snprintf(ename, sizeof ename, "%lld", (long long)order);
		if (mkdirat(qfd, ename, 0700) != 0 && errno == EEXIST) {
			g_snprintf(ename, sizeof ename, "%lld-%lld", (long long)order,
			           (long long)(g_get_real_time() / 1000));
			(void)mkdirat(qfd, ename, 0700);
		}
		efd = openat(qfd, ename, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (efd < 0) {
		fail(out, g_strdup_printf("quarantine %s: %s", qdir, g_strerror(errno)));
		goto out;
	}
	if (renameat2(dfd, name, efd, "file", RENAME_NOREPLACE) == 0) {
		/* the name may have been swapped since it was opened and hashed */
		if (fstatat(efd, "file", &st2, AT_SYMLINK_NOFOLLOW) != 0 ||
		    st2.st_ino != st.st_ino || st2.st_dev != st.st_dev) {
			(void)renameat2(efd, "file", dfd, name, RENAME_NOREPLACE);
			fail(out,
			     g_strdup("the file changed while it was being moved; left in place"));
			goto out;
		}
	} else if (errno == EXDEV) {
		int ofd = openat(efd, "file", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		                 0400);
		bool ok = ofd >= 0 && copy_fd(fd, ofd);

		if (ofd >= 0)
			close(ofd);
		if (!ok || fstatat(dfd, name, &st2, AT_SYMLINK_NOFOLLOW) != 0 ||
		    st2.st_ino != st.st_ino || st2.st_dev != st.st_dev ||
		    unlinkat(dfd, name, 0) != 0) {
			(void)unlinkat(efd, "file", 0);
			fail(out, g_strdup("the file could not be moved to the quarantine (copy "
			                   "failed or the file changed); left in place"));
			goto out;
		}
	} else {
		fail(out, g_strdup_printf("the file could not be moved (%s)", g_strerror(errno)));
		goto out;
	}
	(void)fchmod(fd, 0400);
	(void)fsync(dfd);
	(void)fsync(efd);
	if (!write_meta(efd, text, out->sha256, &st, order))
		out->detail = g_strdup("quarantined, but its meta.json could not be written");
	out->stored = g_build_filename(qdir, ename, "file", NULL);
	out->done = true;
out:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	if (efd >= 0)
		close(efd);
	if (qfd >= 0)
		close(qfd);
	g_strfreev(segs);
	g_free(path);
}
