/*
 * plant.c - drill simulants on vigild's order, and their removal (plant.h).
 *
 * Records: RECDIR/<order>.json, written whole (temporary name, fsync,
 * rename) before the simulant gets its name, so a crash leaves at worst a
 * record of a file that is not there (its removal then says "already
 * gone"), never a planted file the agent does not know of.
 */
#include "plant.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RECORD_MAX 8192

static void fail(struct plant_result *out, char *why)
{
	out->done = false;
	g_free(out->detail);
	out->detail = why;
}

void plant_result_free(struct plant_result *r)
{
	g_free(r->detail);
	g_free(r->path);
	memset(r, 0, sizeof *r);
}

bool plant_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > PLANT_NAME_MAX || !g_ascii_isalnum(name[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isalnum(name[i]) && name[i] != '.' && name[i] != '_' && name[i] != '-')
			return false;
	return true;
}

static bool sha256_hex(const unsigned char *p, size_t n, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned ml = 0;

	if (EVP_Digest(p, n, md, &ml, EVP_sha256(), NULL) != 1 || ml != 32)
		return false;
	for (unsigned i = 0; i < 32; i++)
		g_snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return true;
}

static bool sha256_fd(int fd, char hex[65])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
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
	if (ok && EVP_DigestFinal_ex(c, md, &ml) == 1 && ml == 32)
		for (unsigned i = 0; i < 32; i++)
			g_snprintf(hex + 2 * i, 3, "%02x", md[i]);
	else
		ok = false;
	EVP_MD_CTX_free(c);
	return ok;
}

/* an absolute folder opened from "/" with O_NOFOLLOW at every step, or -1 */
static int open_dir_nofollow(const char *dir)
{
	char **segs;
	int fd;

	if (dir == NULL || dir[0] != '/' || strlen(dir) > 4096)
		return -1;
	fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	segs = g_strsplit(dir + 1, "/", -1);
	for (char **s = segs; fd >= 0 && *s != NULL; s++) {
		int sub;

		if (**s == 0)
			continue; /* "//" or a trailing "/" */
		if (strcmp(*s, ".") == 0 || strcmp(*s, "..") == 0) {
			close(fd);
			fd = -1;
			break;
		}
		sub = openat(fd, *s, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = sub;
	}
	g_strfreev(segs);
	return fd;
}

static int open_recdir(const char *recdir)
{
	if (mkdir(recdir, 0700) != 0 && errno != EEXIST)
		return -1;
	return open(recdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

static bool write_whole(int dfd, const char *name, const char *text)
{
	char tmp[96];
	size_t len = strlen(text);
	int fd;
	bool ok;

	g_snprintf(tmp, sizeof tmp, ".%s.tmp", name);
	(void)unlinkat(dfd, tmp, 0);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	ok = fd >= 0 && write(fd, text, len) == (ssize_t)len && fsync(fd) == 0;
	if (fd >= 0)
		close(fd);
	ok = ok && renameat(dfd, tmp, dfd, name) == 0 && fsync(dfd) == 0;
	if (!ok)
		(void)unlinkat(dfd, tmp, 0);
	return ok;
}

static json_t *read_record(int rfd, const char *name)
{
	char buf[RECORD_MAX + 1];
	int fd = openat(rfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return NULL;
	n = read(fd, buf, RECORD_MAX + 1);
	close(fd);
	if (n <= 0 || n > RECORD_MAX)
		return NULL;
	return json_loadb(buf, (size_t)n, 0, NULL);
}

void plant_file(const char *dir, const char *recdir, const char *name, const unsigned char *data,
                size_t len, size_t max, int64_t order, struct plant_result *out)
{
	int dfd = -1, rfd = -1, fd = -1;
	char tmp[64], rec[48];
	struct stat st;
	json_t *r = NULL;
	char *text = NULL;

	memset(out, 0, sizeof *out);
	if (dir == NULL || *dir == 0) {
		fail(out, g_strdup("this agent has no plant folder (plant_dir): drill plants are "
		                   "refused"));
		goto out;
	}
	if (!plant_name_ok(name)) {
		fail(out, g_strdup("the file name is not a plain name of letters, digits, '.', '_' "
		                   "and '-'"));
		goto out;
	}
	if (data == NULL || len == 0 || len > max || len > PLANT_MAX_CAP) {
		fail(out, g_strdup_printf("the simulant is empty or larger than plant_max (%zu "
		                          "bytes)",
		                          max));
		goto out;
	}
	if (memmem(data, len, PLANT_MARKER, strlen(PLANT_MARKER)) == NULL) {
		fail(out, g_strdup("the content carries no " PLANT_MARKER " marker: not a drill "
		                   "simulant"));
		goto out;
	}
	if (!sha256_hex(data, len, out->sha256)) {
		fail(out, g_strdup("cannot compute the SHA-256"));
		goto out;
	}
	dfd = open_dir_nofollow(dir);
	if (dfd < 0) {
		fail(out, g_strdup_printf("the plant folder %s cannot be opened without following "
		                          "a link (%s)",
		                          dir, g_strerror(errno)));
		goto out;
	}
	rfd = open_recdir(recdir);
	if (rfd < 0) {
		fail(out, g_strdup_printf("the record folder %s: %s", recdir, g_strerror(errno)));
		goto out;
	}
	g_snprintf(rec, sizeof rec, "%lld.json", (long long)order);
	if (faccessat(rfd, rec, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		fail(out, g_strdup("this order was planted before"));
		goto out;
	}
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT) {
		fail(out,
		     g_strdup_printf("%s already exists in the plant folder: left alone", name));
		goto out;
	}
	g_snprintf(tmp, sizeof tmp, ".vigil-plant-%lld.tmp", (long long)order);
	(void)unlinkat(dfd, tmp, 0);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len || fsync(fd) != 0 ||
	    fstat(fd, &st) != 0) {
		fail(out, g_strdup_printf("cannot write the simulant (%s)", g_strerror(errno)));
		(void)unlinkat(dfd, tmp, 0);
		goto out;
	}
	out->path = g_build_filename(dir, name, NULL);
	r = json_pack("{s:I,s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:I}", "order", (json_int_t)order, "dir",
	              dir, "name", name, "path", out->path, "sha256", out->sha256, "size",
	              (json_int_t)len, "dev", (json_int_t)st.st_dev, "ino", (json_int_t)st.st_ino,
	              "planted_ms", (json_int_t)(g_get_real_time() / 1000));
	text = json_dumps(r, JSON_COMPACT);
	if (text == NULL || !write_whole(rfd, rec, text)) {
		fail(out,
		     g_strdup_printf("cannot write the plant's record (%s)", g_strerror(errno)));
		(void)unlinkat(dfd, tmp, 0);
		goto out;
	}
	if (renameat2(dfd, tmp, dfd, name, RENAME_NOREPLACE) != 0) {
		fail(out,
		     g_strdup_printf("cannot name the simulant %s (%s)", name, g_strerror(errno)));
		(void)unlinkat(dfd, tmp, 0);
		(void)unlinkat(rfd, rec, 0);
		goto out;
	}
	(void)fsync(dfd);
	out->done = true;
out:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	if (rfd >= 0)
		close(rfd);
	free(text);
	json_decref(r);
}

void plant_remove(const char *recdir, int64_t plant_order, struct plant_result *out)
{
	int rfd = -1, dfd = -1, fd = -1;
	char rec[48], aside[64];
	json_t *r = NULL;
	const char *dir, *name, *sha;
	json_int_t dev, ino;
	struct stat st;

	memset(out, 0, sizeof *out);
	rfd = open(recdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	g_snprintf(rec, sizeof rec, "%lld.json", (long long)plant_order);
	r = rfd >= 0 ? read_record(rfd, rec) : NULL;
	dir = json_string_value(json_object_get(r, "dir"));
	name = json_string_value(json_object_get(r, "name"));
	sha = json_string_value(json_object_get(r, "sha256"));
	dev = json_integer_value(json_object_get(r, "dev"));
	ino = json_integer_value(json_object_get(r, "ino"));
	if (r == NULL || dir == NULL || !plant_name_ok(name) || sha == NULL || ino == 0) {
		fail(out, g_strdup("this agent planted no file for that order: nothing removed"));
		goto out;
	}
	out->path = g_build_filename(dir, name, NULL);
	g_strlcpy(out->sha256, sha, sizeof out->sha256);
	dfd = open_dir_nofollow(dir);
	if (dfd < 0 || fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		/* a link put in the way is no proof the file is gone */
		if (errno != ENOENT) {
			fail(out, g_strdup_printf("cannot check %s (%s)", name, g_strerror(errno)));
			goto out;
		}
		/* quarantined by a sweep, deleted by its user, folder gone */
		out->done = true;
		out->detail = g_strdup("already gone");
		(void)unlinkat(rfd, rec, 0);
		goto out;
	}
	if (!S_ISREG(st.st_mode) || (json_int_t)st.st_dev != dev || (json_int_t)st.st_ino != ino) {
		fail(out, g_strdup("the file was replaced since it was planted: left alone"));
		goto out;
	}
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	{
		char now[65] = "";

		if (fd < 0 || !sha256_fd(fd, now) || strcmp(now, sha) != 0) {
			fail(out, g_strdup("the file changed since it was planted: left alone"));
			goto out;
		}
	}
	/* set aside first, then check it is still the same inode: a swap
	 * between the checks and the removal is put back */
	g_snprintf(aside, sizeof aside, ".vigil-unplant-%lld", (long long)plant_order);
	if (renameat2(dfd, name, dfd, aside, RENAME_NOREPLACE) != 0) {
		fail(out, g_strdup_printf("cannot remove %s (%s)", name, g_strerror(errno)));
		goto out;
	}
	if (fstatat(dfd, aside, &st, AT_SYMLINK_NOFOLLOW) != 0 || (json_int_t)st.st_ino != ino ||
	    (json_int_t)st.st_dev != dev) {
		(void)renameat2(dfd, aside, dfd, name, RENAME_NOREPLACE);
		fail(out, g_strdup("the file changed while it was being removed: left alone"));
		goto out;
	}
	if (unlinkat(dfd, aside, 0) != 0) {
		(void)renameat2(dfd, aside, dfd, name, RENAME_NOREPLACE);
		fail(out, g_strdup_printf("cannot remove %s (%s)", name, g_strerror(errno)));
		goto out;
	}
	(void)fsync(dfd);
	(void)unlinkat(rfd, rec, 0);
	out->done = true;
out:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	if (rfd >= 0)
		close(rfd);
	json_decref(r);
}
