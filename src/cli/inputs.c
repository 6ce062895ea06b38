/*
 * inputs.c - what `vigil scan` was pointed at, as a flat list of inputs.
 *
 * A directory is walked recursively (symbolic links are not followed, so a
 * link cycle cannot trap the walk); a file that starts with an mbox "From "
 * line is split into its messages (a message starts at a "From " line that
 * follows an empty line); "-" is standard input. Names are kept in sorted
 * order so that runs are repeatable.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static void add(struct input_list *l, char *path, char *file, long long off, long long len)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = g_renew(struct input, l->v, l->cap);
	}
	l->v[l->n].path = path;
	l->v[l->n].file = file;
	l->v[l->n].off = off;
	l->v[l->n].len = len;
	l->n++;
}

/* Splits an mbox file; returns false if it is not one. */
static bool add_mbox(struct input_list *l, const char *file, int fd, off_t size)
{
	const char *p, *end;
	void *map;
	long long start = 0;
	int count = 0;

	if (size < 5)
		return false;
	map = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		return false;
	p = map;
	end = p + size;
	if (memcmp(p, "From ", 5) != 0) {
		munmap(map, (size_t)size);
		return false;
	}
	/* a single message with a From_ line is scanned as one input */
	for (const char *q = p + 1; q < end;) {
		const char *nl = memchr(q, '\n', (size_t)(end - q));

		if (nl == NULL || end - nl < 7)
			break;
		if (nl[1] == '\n' && memcmp(nl + 2, "From ", 5) == 0) {
			long long next = nl + 2 - p;

			count++;
			add(l, g_strdup_printf("%s:%d", file, count), g_strdup(file), start,
			    next - start);
			start = next;
		}
		q = nl + 1;
	}
	if (count == 0) {
		munmap(map, (size_t)size);
		return false;
	}
	count++;
	add(l, g_strdup_printf("%s:%d", file, count), g_strdup(file), start, size - start);
	munmap(map, (size_t)size);
	return true;
}

static void add_file(struct input_list *l, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) != 0) {
		fprintf(stderr, "vigil: %s: %s: %s\n", path, _("cannot open"), g_strerror(errno));
		l->errors++;
		if (fd >= 0)
			close(fd);
		return;
	}
	if (!add_mbox(l, path, fd, st.st_size))
		add(l, g_strdup(path), g_strdup(path), 0, -1);
	close(fd);
}

static gint cmp_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_dir(struct input_list *l, const char *dir, int level)
{
	DIR *d;
	struct dirent *de;
	GPtrArray *names;

	if (level > 64)
		return;
	d = opendir(dir);
	if (d == NULL) {
		fprintf(stderr, "vigil: %s: %s: %s\n", dir, _("cannot open"), g_strerror(errno));
		l->errors++;
		return;
	}
	names = g_ptr_array_new_with_free_func(g_free);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			g_ptr_array_add(names, g_build_filename(dir, de->d_name, NULL));
	closedir(d);
	g_ptr_array_sort(names, cmp_names);
	for (guint i = 0; i < names->len; i++) {
		const char *p = g_ptr_array_index(names, i);
		struct stat st;

		if (lstat(p, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			add_dir(l, p, level + 1);
		else if (S_ISREG(st.st_mode))
			add_file(l, p);
	}
	g_ptr_array_unref(names);
}

void inputs_add_arg(struct input_list *l, const char *arg)
{
	struct stat st;

	if (strcmp(arg, "-") == 0) {
		add(l, g_strdup("-"), NULL, 0, -1);
		return;
	}
	if (stat(arg, &st) != 0) {
		fprintf(stderr, "vigil: %s: %s: %s\n", arg, _("cannot open"), g_strerror(errno));
		l->errors++;
		return;
	}
	if (S_ISDIR(st.st_mode))
		add_dir(l, arg, 0);
	else
		add_file(l, arg);
}

void inputs_free(struct input_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		g_free(l->v[i].path);
		g_free(l->v[i].file);
	}
	g_free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

unsigned char *input_read(const struct input *in, size_t max, size_t *len, bool *truncated)
{
	int fd = 0;
	unsigned char *buf = NULL;
	size_t cap = 0, n = 0;
	long long want = in->len;

	*truncated = false;
	if (in->file != NULL) {
		fd = open(in->file, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return NULL;
		if (in->off > 0 && lseek(fd, in->off, SEEK_SET) < 0) {
			close(fd);
			return NULL;
		}
	}
	for (;;) {
		ssize_t r;
		size_t chunk = 1 << 16;

		if (want >= 0 && (long long)n >= want)
			break;
		if (n >= max) {
			char probe;

			*truncated = read(fd, &probe, 1) > 0;
			break;
		}
		if (want >= 0 && (long long)chunk > want - (long long)n)
			chunk = (size_t)(want - (long long)n);
		if (chunk > max - n)
			chunk = max - n;
		if (n + chunk > cap) {
			cap = cap ? cap * 2 : 1 << 16;
			while (cap < n + chunk)
				cap *= 2;
			buf = g_realloc(buf, cap);
		}
		r = read(fd, buf + n, chunk);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			g_free(buf);
			if (in->file != NULL)
				close(fd);
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (in->file != NULL)
		close(fd);
	if (buf == NULL)
		buf = g_malloc(1);
	*len = n;
	return buf;
}
