/*
 * walk.c - the sweep's walk (walk.h).
 *
 * Recursion is depth-first with one open directory per level (at most
 * WALK_DEPTH_CAP + the root's segments descriptors). Names come from
 * readdir(); d_type decides what is opened, and a DT_UNKNOWN entry is
 * fstatat(AT_SYMLINK_NOFOLLOW)'ed first, so a device is never opened (a
 * tape drive rewinds on open).
 */
#include "walk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glib.h>
#include <string.h>
#include <unistd.h>

struct walker {
	const struct walk_limits *lim;
	walk_fn fn;
	void *ctx;
	struct walk_stats *st;
	GHashTable *seen; /* "dev:ino" of directories walked */
	dev_t dev;        /* the root's file system */
	GString *path;
	bool stop;
};

/* a file for reading, without following a link and without touching its
 * access time when the agent may (owner or CAP_FOWNER) */
static int open_file(int dirfd, const char *name)
{
	int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
	int fd = openat(dirfd, name, flags | O_NOATIME);

	if (fd < 0 && errno == EPERM)
		fd = openat(dirfd, name, flags);
	return fd;
}

static int open_dir(int dirfd, const char *name)
{
	return openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

static bool limit_reached(struct walker *w)
{
	if (w->st->files >= w->lim->max_files) {
		w->st->hit_files = true;
		return true;
	}
	return w->stop;
}

static void visit_file(struct walker *w, int dirfd, const char *name)
{
	struct stat st;
	int fd;

	/* a file swapped for a link since readdir fails here (ELOOP) */
	fd = open_file(dirfd, name);
	if (fd < 0) {
		if (errno == ELOOP)
			w->st->symlinks++;
		else
			w->st->unreadable++;
		return;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		w->st->special++;
		close(fd);
		return;
	}
	if ((uint64_t)st.st_size > w->lim->max_size) {
		w->st->too_large++;
		close(fd);
		return;
	}
	w->st->files++;
	if (w->fn(w->ctx, fd, w->path->str, &st) != 0) {
		w->stop = true;
		w->st->stopped = true;
	}
	close(fd);
}

static void walk_dir(struct walker *w, int fd, unsigned depth);

/* a directory fd (taken) to walk, unless walked already or elsewhere */
static void enter_dir(struct walker *w, int fd, unsigned depth)
{
	struct stat st;
	char key[64];

	if (fstat(fd, &st) != 0 || (w->lim->one_fs && st.st_dev != w->dev)) {
		close(fd);
		return;
	}
	g_snprintf(key, sizeof key, "%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino);
	if (g_hash_table_contains(w->seen, key)) {
		close(fd);
		return;
	}
	if (w->st->dirs >= w->lim->max_dirs) {
		w->st->hit_dirs = true;
		close(fd);
		return;
	}
	g_hash_table_add(w->seen, g_strdup(key));
	w->st->dirs++;
	walk_dir(w, fd, depth);
}

static void walk_dir(struct walker *w, int fd, unsigned depth)
{
	DIR *d = fdopendir(fd);
	struct dirent *e;
	size_t base = w->path->len;

	if (d == NULL) {
		close(fd);
		w->st->unreadable++;
		return;
	}
	while (!w->stop && (e = readdir(d)) != NULL) {
		unsigned char type = e->d_type;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		/* only an entry left unvisited makes the walk incomplete */
		if (limit_reached(w))
			break;
		if (base + 1 + strlen(e->d_name) > APATH_MAX) {
			w->st->unreadable++;
			continue;
		}
		g_string_truncate(w->path, base);
		if (base == 0 || w->path->str[base - 1] != '/')
			g_string_append_c(w->path, '/');
		g_string_append(w->path, e->d_name);
		if (type == DT_UNKNOWN) {
			struct stat st;

			if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
				w->st->unreadable++;
				continue;
			}
			type = S_ISDIR(st.st_mode)   ? DT_DIR
			       : S_ISREG(st.st_mode) ? DT_REG
			       : S_ISLNK(st.st_mode) ? DT_LNK
			                             : DT_FIFO;
		}
		if (type == DT_LNK) {
			w->st->symlinks++;
		} else if (type == DT_REG) {
			visit_file(w, dirfd(d), e->d_name);
		} else if (type == DT_DIR) {
			int sub;

			if (depth + 1 > w->lim->max_depth || depth + 1 > WALK_DEPTH_CAP) {
				w->st->hit_depth = true;
				continue;
			}
			sub = open_dir(dirfd(d), e->d_name);
			if (sub < 0) {
				if (errno == ELOOP || errno == ENOTDIR)
					w->st->symlinks++;
				else
					w->st->unreadable++;
				continue;
			}
			enter_dir(w, sub, depth + 1);
		} else {
			w->st->special++;
		}
	}
	g_string_truncate(w->path, base);
	closedir(d);
}

/* the root's pattern segments from segment i on, below the directory fd */
static void match_segs(struct walker *w, const struct apath_root *r, size_t i, int fd)
{
	size_t base = w->path->len;
	DIR *d;
	struct dirent *e;

	if (i == r->nsegs) {
		struct stat st;

		if (fstat(fd, &st) == 0)
			w->dev = st.st_dev;
		w->st->roots++;
		enter_dir(w, fd, 0);
		return;
	}
	d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return;
	}
	while (!w->stop && (e = readdir(d)) != NULL) {
		int sub;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
		    fnmatch(r->segs[i], e->d_name, FNM_PERIOD) != 0)
			continue;
		if (base + 1 + strlen(e->d_name) > APATH_MAX)
			continue;
		if (e->d_type == DT_LNK) {
			w->st->symlinks++;
			continue;
		}
		/* below the literal prefix nothing is a link: O_NOFOLLOW (a name
		 * swapped for one since readdir fails here) */
		sub = open_dir(dirfd(d), e->d_name);
		if (sub < 0) {
			if (errno == ELOOP)
				w->st->symlinks++;
			continue;
		}
		g_string_truncate(w->path, base);
		if (base == 0 || w->path->str[base - 1] != '/')
			g_string_append_c(w->path, '/');
		g_string_append(w->path, e->d_name);
		match_segs(w, r, i + 1, sub);
	}
	g_string_truncate(w->path, base);
	closedir(d);
}

int walk_roots(const struct apath_root *roots, size_t n, const struct walk_limits *lim, walk_fn fn,
               void *ctx, struct walk_stats *st)
{
	struct walker w = {lim,
	                   fn,
	                   ctx,
	                   st,
	                   g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
	                   0,
	                   g_string_new(NULL),
	                   false};

	memset(st, 0, sizeof *st);
	for (size_t i = 0; i < n && !w.stop; i++) {
		/* the administrator's literal prefix: opened as written */
		int fd = open(roots[i].prefix, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0)
			continue; /* no such folder on this endpoint: nothing to sweep there */
		g_string_assign(w.path, strcmp(roots[i].prefix, "/") == 0 ? "" : roots[i].prefix);
		match_segs(&w, &roots[i], 0, fd);
	}
	g_hash_table_destroy(w.seen);
	g_string_free(w.path, TRUE);
	return w.stop ? -1 : 0;
}
