/*
 * state.c - the agent's state folder (state.h).
 */
#include "state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *const subs[] = {"jobs", "outbox", "done", "quarantine", NULL};

int state_open(const char *dir, struct state *s, char **err)
{
	memset(s, 0, sizeof *s);
	s->fd = -1;
	if (g_mkdir_with_parents(dir, 0700) != 0) {
		*err = g_strdup_printf("state_dir %s: %s", dir, g_strerror(errno));
		return -1;
	}
	s->fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s->fd < 0) {
		*err = g_strdup_printf("state_dir %s: %s", dir, g_strerror(errno));
		return -1;
	}
	(void)fchmod(s->fd, 0700);
	for (int i = 0; subs[i] != NULL; i++)
		if (mkdirat(s->fd, subs[i], 0700) != 0 && errno != EEXIST) {
			*err = g_strdup_printf("state_dir %s/%s: %s", dir, subs[i],
			                       g_strerror(errno));
			close(s->fd);
			s->fd = -1;
			return -1;
		}
	s->dir = g_strdup(dir);
	return 0;
}

void state_close(struct state *s)
{
	if (s->fd >= 0)
		close(s->fd);
	g_free(s->dir);
	memset(s, 0, sizeof *s);
	s->fd = -1;
}

static int sub_fd(struct state *s, const char *sub)
{
	return openat(s->fd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

static void file_name(char *out, size_t n, const char *sub, const char *name)
{
	/* markers are empty files, the rest JSON */
	g_snprintf(out, n, strcmp(sub, "done") == 0 ? "%s" : "%s.json", name);
}

int state_put(struct state *s, const char *sub, const char *name, json_t *j)
{
	char fn[128], tmp[160];
	char *text = j ? json_dumps(j, JSON_COMPACT) : g_strdup("");
	size_t len = text ? strlen(text) : 0;
	int d = sub_fd(s, sub), fd = -1, rc = -1;

	file_name(fn, sizeof fn, sub, name);
	g_snprintf(tmp, sizeof tmp, ".%s.tmp", fn);
	if (d < 0 || text == NULL || len > STATE_MAX_FILE)
		goto out;
	(void)unlinkat(d, tmp, 0);
	fd = openat(d, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len || fsync(fd) != 0)
		goto out;
	if (renameat(d, tmp, d, fn) != 0)
		goto out;
	(void)fsync(d);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc != 0 && d >= 0)
		(void)unlinkat(d, tmp, 0);
	if (d >= 0)
		close(d);
	if (j)
		free(text);
	else
		g_free(text);
	return rc;
}

json_t *state_get(struct state *s, const char *sub, const char *name)
{
	char fn[128];
	int d = sub_fd(s, sub), fd;
	struct stat st;
	char *buf;
	json_t *j = NULL;

	file_name(fn, sizeof fn, sub, name);
	fd = d >= 0 ? openat(d, fn, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) : -1;
	if (d >= 0)
		close(d);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= STATE_MAX_FILE) {
		size_t got = 0;
		ssize_t n = 1;

		buf = g_malloc((size_t)st.st_size + 1);
		while (got < (size_t)st.st_size && n > 0) {
			n = read(fd, buf + got, (size_t)st.st_size - got);
			if (n < 0 && errno == EINTR)
				n = 1;
			else if (n > 0)
				got += (size_t)n;
		}
		if (got == (size_t)st.st_size)
			j = json_loadb(buf, got, 0, NULL);
		g_free(buf);
	}
	close(fd);
	return j;
}

bool state_has(struct state *s, const char *sub, const char *name)
{
	char fn[128];
	int d = sub_fd(s, sub);
	struct stat st;
	bool has;

	file_name(fn, sizeof fn, sub, name);
	has = d >= 0 && fstatat(d, fn, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
	if (d >= 0)
		close(d);
	return has;
}

void state_del(struct state *s, const char *sub, const char *name)
{
	char fn[128];
	int d = sub_fd(s, sub);

	file_name(fn, sizeof fn, sub, name);
	if (d >= 0) {
		(void)unlinkat(d, fn, 0);
		close(d);
	}
}

struct entry {
	char *name;
	int64_t mtime;
};

static gint by_age(gconstpointer a, gconstpointer b)
{
	const struct entry *x = *(const struct entry *const *)a,
	                   *y = *(const struct entry *const *)b;

	return x->mtime < y->mtime ? -1 : x->mtime > y->mtime ? 1 : strcmp(x->name, y->name);
}

static void entry_free(gpointer p)
{
	struct entry *e = p;

	g_free(e->name);
	g_free(e);
}

static GPtrArray *entries(struct state *s, const char *sub)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(entry_free);
	int d = sub_fd(s, sub);
	DIR *dir = d >= 0 ? fdopendir(d) : NULL;
	struct dirent *e;

	if (dir == NULL) {
		if (d >= 0)
			close(d);
		return out;
	}
	while ((e = readdir(dir)) != NULL && out->len < 100000) {
		struct stat st;
		struct entry *x;
		size_t n = strlen(e->d_name);

		if (e->d_name[0] == '.' ||
		    fstatat(dirfd(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (strcmp(sub, "done") != 0) {
			if (n <= 5 || strcmp(e->d_name + n - 5, ".json") != 0)
				continue;
			n -= 5;
		}
		x = g_new0(struct entry, 1);
		x->name = g_strndup(e->d_name, n);
		x->mtime = (int64_t)st.st_mtim.tv_sec;
		g_ptr_array_add(out, x);
	}
	closedir(dir);
	g_ptr_array_sort(out, by_age);
	return out;
}

GPtrArray *state_list(struct state *s, const char *sub)
{
	GPtrArray *e = entries(s, sub), *out = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; i < e->len; i++)
		g_ptr_array_add(out, g_strdup(((struct entry *)e->pdata[i])->name));
	g_ptr_array_unref(e);
	return out;
}

size_t state_count(struct state *s, const char *sub)
{
	GPtrArray *e = entries(s, sub);
	size_t n = e->len;

	g_ptr_array_unref(e);
	return n;
}

void state_prune(struct state *s, const char *sub, int64_t older_than_s)
{
	GPtrArray *e = entries(s, sub);
	int64_t now = (int64_t)time(NULL);

	for (guint i = 0; i < e->len; i++) {
		struct entry *x = e->pdata[i];

		if (now - x->mtime > older_than_s)
			state_del(s, sub, x->name);
	}
	g_ptr_array_unref(e);
}

char *state_quarantine_dir(struct state *s)
{
	return g_build_filename(s->dir, "quarantine", NULL);
}
