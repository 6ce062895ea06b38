/*
 * test_agent.c - vigil-agent's paths, walk and quarantine (src/agent/):
 * roots and their wildcards, the path text codec, the walk's limits (depth,
 * files, size) and that it never follows a symlink nor opens a FIFO, and a
 * quarantine that moves exactly the file it was told and nothing reached
 * through "..", a symlinked folder, a symlink or outside the roots; drill
 * plants written only into the plant folder, under a plain name, with the
 * simulant marker, within the size limit, and removed only while they are
 * still the file the agent planted.
 *
 * Each test builds its own tree under a temporary folder.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <fcntl.h>
#include <ftw.h>
#include <glib.h>
#include <jansson.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/apath.h"
#include "agent/plant.h"
#include "agent/quar.h"
#include "agent/walk.h"

/* ---- helpers ---- */

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static char *tmpdir(void)
{
	char *d = g_strdup("/tmp/vigil-agent-test-XXXXXX");

	assert_non_null(g_mkdtemp(d));
	return d;
}

static void rmtree(char *d)
{
	nftw(d, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	g_free(d);
}

static void mkdirs(const char *top, const char *rel)
{
	char *p = g_build_filename(top, rel, NULL);

	assert_int_equal(g_mkdir_with_parents(p, 0755), 0);
	g_free(p);
}

static void put(const char *top, const char *rel, const char *content)
{
	char *p = g_build_filename(top, rel, NULL);

	assert_true(g_file_set_contents(p, content, -1, NULL));
	g_free(p);
}

static void link_to(const char *top, const char *rel, const char *target)
{
	char *p = g_build_filename(top, rel, NULL);

	assert_int_equal(symlink(target, p), 0);
	g_free(p);
}

static bool exists(const char *top, const char *rel)
{
	char *p = g_build_filename(top, rel, NULL);
	struct stat st;
	bool e = lstat(p, &st) == 0;

	g_free(p);
	return e;
}

static void root(struct apath_root *r, const char *top, const char *pattern)
{
	char *p = g_strconcat(top, pattern, NULL), *err = NULL;

	if (apath_root_parse(p, r, &err) != 0)
		fail_msg("%s: %s", p, err);
	g_free(p);
}

/* the walk's files, as paths relative to top, sorted */
struct seen {
	const char *top;
	GPtrArray *files;
	int stop_after;
};

static int collect(void *ctx, int fd, const char *path, const struct stat *st)
{
	struct seen *s = ctx;
	char c;

	assert_true(S_ISREG(st->st_mode));
	assert_true(read(fd, &c, 0) == 0); /* readable */
	assert_true(g_str_has_prefix(path, s->top));
	g_ptr_array_add(s->files, g_strdup(path + strlen(s->top)));
	return s->stop_after > 0 && (int)s->files->len >= s->stop_after;
}

static gint cmp_str(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static GPtrArray *walk(const char *top, const char *const *patterns, const struct walk_limits *lim,
                       struct walk_stats *st)
{
	struct apath_root r[8];
	size_t n = 0;
	struct seen s = {top, g_ptr_array_new_with_free_func(g_free), 0};

	for (; patterns[n] != NULL; n++)
		root(&r[n], top, patterns[n]);
	walk_roots(r, n, lim, collect, &s, st);
	for (size_t i = 0; i < n; i++)
		apath_root_free(&r[i]);
	g_ptr_array_sort(s.files, cmp_str);
	return s.files;
}

static bool has(GPtrArray *a, const char *s)
{
	for (guint i = 0; i < a->len; i++)
		if (strcmp(a->pdata[i], s) == 0)
			return true;
	return false;
}

static const struct walk_limits wide = {16, 100000, 100000, 1u << 30, false};

/* ---- paths ---- */

static void test_roots(void **state)
{
	struct apath_root r;
	char *err = NULL;

	(void)state;
	assert_int_equal(apath_root_parse("/home/*/Downloads", &r, &err), 0);
	assert_string_equal(r.prefix, "/home");
	assert_int_equal(r.nsegs, 2);
	assert_string_equal(r.segs[0], "*");
	assert_string_equal(r.segs[1], "Downloads");
	assert_true(apath_under(&r, "/home/an/Downloads/x.exe"));
	assert_true(apath_under(&r, "/home/an/Downloads/sub/x.exe"));
	assert_false(apath_under(&r, "/home/an/Downloads"));             /* the root itself */
	assert_false(apath_under(&r, "/home/.hidden/Downloads/x"));      /* '*' skips dot names */
	assert_false(apath_under(&r, "/home/an/Documents/x"));           /* another folder */
	assert_false(apath_under(&r, "/homeX/an/Downloads/x"));          /* not the prefix */
	assert_false(apath_under(&r, "/home/an/Downloads/../../etc/x")); /* not clean */
	assert_false(apath_under(&r, "/home/an/Downloads/./x"));
	assert_false(apath_under(&r, "/home/an/Downloads//x"));
	assert_false(apath_under(&r, "home/an/Downloads/x"));
	apath_root_free(&r);

	assert_int_equal(apath_root_parse("/tmp", &r, &err), 0);
	assert_string_equal(r.prefix, "/tmp");
	assert_int_equal(r.nsegs, 0);
	assert_true(apath_under(&r, "/tmp/a"));
	assert_false(apath_under(&r, "/tmpa/b"));
	apath_root_free(&r);

	assert_int_equal(apath_root_parse("/*/x", &r, &err), 0);
	assert_string_equal(r.prefix, "/");
	assert_true(apath_under(&r, "/a/x/f"));
	apath_root_free(&r);

	for (const char *const *bad = (const char *const[]){"relative/path", "/a/../b", "/a//b",
	                                                    "/a/./b", "/a/b/", "", "/a\\b", NULL};
	     *bad != NULL; bad++) {
		assert_int_equal(apath_root_parse(*bad, &r, &err), -1);
		assert_non_null(err);
		g_free(err);
		err = NULL;
	}
}

static void test_codec(void **state)
{
	static const char raw[] = "/home/an/b\xe1o c\xc3\xa1o\\x.exe\xff";
	char *text, *back;
	size_t n = 0;

	(void)state;
	text = apath_encode(raw, sizeof raw - 1);
	assert_true(g_utf8_validate(text, -1, NULL));
	assert_string_equal(text, "/home/an/b\\xe1o c\xc3\xa1o\\\\x.exe\\xff");
	back = apath_decode(text, &n);
	assert_non_null(back);
	assert_int_equal(n, sizeof raw - 1);
	assert_memory_equal(back, raw, n);
	g_free(text);
	g_free(back);
	/* plain UTF-8 travels unchanged */
	text = apath_encode("/home/an/Tải xuống/a", strlen("/home/an/Tải xuống/a"));
	assert_string_equal(text, "/home/an/Tải xuống/a");
	g_free(text);
	/* what the codec never writes is refused, a NUL above all */
	assert_null(apath_decode("/a/\\x00b", &n));
	assert_null(apath_decode("/a/\\q", &n));
	assert_null(apath_decode("/a/\\", &n));
	assert_null(apath_decode("/a/\\x4", &n));
}

/* ---- walk ---- */

static void test_walk_symlinks_and_specials(void **state)
{
	char *top = tmpdir(), *outside = tmpdir(), *fifo, *target;
	struct walk_stats st;
	GPtrArray *f;

	(void)state;
	mkdirs(top, "home/an/Downloads/sub");
	mkdirs(top, "home/bich/Downloads");
	mkdirs(top, "home/.cache/Downloads");
	put(top, "home/an/Downloads/a.txt", "a");
	put(top, "home/an/Downloads/sub/b.txt", "b");
	put(top, "home/bich/Downloads/c.txt", "c");
	put(top, "home/.cache/Downloads/hidden.txt", "h");
	put(outside, "secret.txt", "not to be read");
	mkdirs(outside, "Downloads");
	put(outside, "Downloads/x.txt", "x");
	/* links to a folder and a file outside, a home that is a link */
	link_to(top, "home/an/Downloads/escape", outside);
	target = g_build_filename(outside, "secret.txt", NULL);
	link_to(top, "home/an/Downloads/secret-link.txt", target);
	g_free(target);
	link_to(top, "home/mallory", outside);
	fifo = g_build_filename(top, "home/an/Downloads/pipe", NULL);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	g_free(fifo);

	f = walk(top, (const char *const[]){"/home/*/Downloads", NULL}, &wide, &st);
	assert_int_equal(f->len, 3);
	assert_true(has(f, "/home/an/Downloads/a.txt"));
	assert_true(has(f, "/home/an/Downloads/sub/b.txt"));
	assert_true(has(f, "/home/bich/Downloads/c.txt"));
	assert_int_equal(st.symlinks, 3); /* escape, secret-link.txt, mallory */
	assert_int_equal(st.special, 1);  /* the FIFO: listed, never opened */
	assert_int_equal(st.roots, 2);
	assert_false(st.hit_files || st.hit_depth);
	g_ptr_array_unref(f);
	rmtree(top);
	rmtree(outside);
}

static void test_walk_limits(void **state)
{
	char *top = tmpdir();
	struct walk_limits lim = wide;
	struct walk_stats st;
	GPtrArray *f;

	(void)state;
	mkdirs(top, "r/1/2/3/4");
	put(top, "r/top.txt", "0");
	put(top, "r/1/one.txt", "1");
	put(top, "r/1/2/two.txt", "2");
	put(top, "r/1/2/3/three.txt", "3");
	put(top, "r/1/2/3/4/four.txt", "4");
	put(top, "r/big.bin", "0123456789");

	lim.max_depth = 2; /* r/1/2 is depth 2 */
	f = walk(top, (const char *const[]){"/r", NULL}, &lim, &st);
	assert_true(has(f, "/r/1/2/two.txt"));
	assert_false(has(f, "/r/1/2/3/three.txt"));
	assert_true(st.hit_depth);
	g_ptr_array_unref(f);

	lim = wide;
	lim.max_size = 5;
	f = walk(top, (const char *const[]){"/r", NULL}, &lim, &st);
	assert_int_equal(f->len, 5);
	assert_false(has(f, "/r/big.bin"));
	assert_int_equal(st.too_large, 1);
	g_ptr_array_unref(f);

	lim = wide;
	lim.max_files = 3;
	f = walk(top, (const char *const[]){"/r", NULL}, &lim, &st);
	assert_int_equal(f->len, 3);
	assert_int_equal(st.files, 3);
	assert_true(st.hit_files);
	g_ptr_array_unref(f);

	/* exactly as many files as allowed: complete */
	lim = wide;
	lim.max_files = 6;
	f = walk(top, (const char *const[]){"/r", NULL}, &lim, &st);
	assert_int_equal(f->len, 6);
	assert_false(st.hit_files);
	g_ptr_array_unref(f);

	/* folders: r, 1, 2 allowed; 3 and 4 are not entered */
	lim = wide;
	lim.max_dirs = 3;
	f = walk(top, (const char *const[]){"/r", NULL}, &lim, &st);
	assert_true(has(f, "/r/1/2/two.txt"));
	assert_false(has(f, "/r/1/2/3/three.txt"));
	assert_true(st.hit_dirs);
	assert_false(st.hit_files);
	g_ptr_array_unref(f);

	/* overlapping roots: each directory once */
	f = walk(top, (const char *const[]){"/r", "/r/1", "/r/1/2", NULL}, &wide, &st);
	assert_int_equal(f->len, 6);
	assert_int_equal(st.files, 6);
	g_ptr_array_unref(f);

	/* a root that does not exist here is no error */
	f = walk(top, (const char *const[]){"/nothing/*/here", "/r/1/2/3", NULL}, &wide, &st);
	assert_int_equal(f->len, 2);
	g_ptr_array_unref(f);
	rmtree(top);
}

static void test_walk_stop(void **state)
{
	char *top = tmpdir();
	struct apath_root r;
	struct seen s = {top, g_ptr_array_new_with_free_func(g_free), 2};
	struct walk_stats st;

	(void)state;
	mkdirs(top, "r");
	for (int i = 0; i < 10; i++) {
		char name[32];

		g_snprintf(name, sizeof name, "r/f%d", i);
		put(top, name, "x");
	}
	root(&r, top, "/r");
	assert_int_equal(walk_roots(&r, 1, &wide, collect, &s, &st), -1);
	assert_true(st.stopped);
	assert_int_equal(s.files->len, 2);
	apath_root_free(&r);
	g_ptr_array_unref(s.files);
	rmtree(top);
}

/* ---- quarantine ---- */

struct qfx {
	char *top, *outside, *qdir;
	struct apath_root r;
};

static void qfx_init(struct qfx *x)
{
	x->top = tmpdir();
	x->outside = tmpdir();
	x->qdir = g_build_filename(x->top, "state", "quarantine", NULL);
	mkdirs(x->top, "state");
	mkdirs(x->top, "home/an/Downloads/sub");
	put(x->top, "home/an/Downloads/spy.exe", "MZ spyware");
	put(x->top, "home/an/Downloads/sub/deep.exe", "MZ deep");
	put(x->top, "home/an/Documents.txt", "not in a root");
	put(x->outside, "passwd", "root:x:0:0");
	link_to(x->top, "home/an/Downloads/linkdir", x->outside);
	char *target = g_build_filename(x->outside, "passwd", NULL);
	link_to(x->top, "home/an/Downloads/link.exe", target);
	g_free(target);
	root(&x->r, x->top, "/home/*/Downloads");
}

static void qfx_free(struct qfx *x)
{
	apath_root_free(&x->r);
	g_free(x->qdir);
	rmtree(x->top);
	rmtree(x->outside);
}

static void quar(struct qfx *x, const char *rel, const char *sha, int64_t order,
                 struct quar_result *q)
{
	char *p = g_strconcat(x->top, rel, NULL);

	quar_file(x->qdir, &x->r, 1, p, sha, order, q);
	g_free(p);
}

static void test_quarantine_moves(void **state)
{
	/* SHA-256 of "MZ spyware" */
	static const char sha[] =
	        "5f7a9a0c7b1d7c8c5fbb32f6c1c4b8fbd1a9c3c0b7b0d6ce5de1d6a7ad2d2b0c";
	struct qfx x;
	struct quar_result q;
	struct stat st;
	char *meta, *content = NULL;
	json_t *m;

	(void)state;
	qfx_init(&x);
	/* a digest that is not the file's: left in place */
	quar(&x, "/home/an/Downloads/spy.exe", sha, 7, &q);
	assert_false(q.done);
	assert_non_null(strstr(q.detail, "changed"));
	assert_true(exists(x.top, "home/an/Downloads/spy.exe"));
	quar_result_free(&q);

	quar(&x, "/home/an/Downloads/spy.exe", NULL, 7, &q);
	assert_true(q.done);
	assert_int_equal(strlen(q.sha256), 64);
	assert_false(exists(x.top, "home/an/Downloads/spy.exe"));
	assert_true(g_file_get_contents(q.stored, &content, NULL, NULL));
	assert_string_equal(content, "MZ spyware");
	assert_int_equal(stat(q.stored, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0400);
	meta = g_build_filename(x.qdir, "7", "meta.json", NULL);
	m = json_load_file(meta, 0, NULL);
	assert_non_null(m);
	assert_int_equal(json_integer_value(json_object_get(m, "order")), 7);
	assert_string_equal(json_string_value(json_object_get(m, "sha256")), q.sha256);
	assert_true(g_str_has_suffix(json_string_value(json_object_get(m, "path")),
	                             "/home/an/Downloads/spy.exe"));
	json_decref(m);
	g_free(meta);
	g_free(content);
	quar_result_free(&q);

	/* the same order again: the file is gone, nothing else moves */
	quar(&x, "/home/an/Downloads/spy.exe", NULL, 7, &q);
	assert_false(q.done);
	quar_result_free(&q);

	/* deeper below the root, with the right digest this time */
	quar(&x, "/home/an/Downloads/sub/deep.exe", NULL, 8, &q);
	assert_true(q.done);
	assert_false(exists(x.top, "home/an/Downloads/sub/deep.exe"));
	quar_result_free(&q);
	qfx_free(&x);
}

static void test_quarantine_refuses(void **state)
{
	struct qfx x;
	struct quar_result q;
	char *p;

	(void)state;
	qfx_init(&x);
	/* "..", through a symlinked folder, a symlink itself, outside the roots */
	quar(&x, "/home/an/Downloads/../Documents.txt", NULL, 1, &q);
	assert_false(q.done);
	quar_result_free(&q);
	quar(&x, "/home/an/Downloads/linkdir/passwd", NULL, 2, &q);
	assert_false(q.done);
	quar_result_free(&q);
	quar(&x, "/home/an/Downloads/link.exe", NULL, 3, &q);
	assert_false(q.done);
	assert_true(exists(x.top, "home/an/Downloads/link.exe"));
	quar_result_free(&q);
	quar(&x, "/home/an/Documents.txt", NULL, 4, &q);
	assert_false(q.done);
	assert_non_null(strstr(q.detail, "outside"));
	quar_result_free(&q);
	/* a folder, a relative path, an escaped NUL */
	quar(&x, "/home/an/Downloads/sub", NULL, 5, &q);
	assert_false(q.done);
	quar_result_free(&q);
	quar_file(x.qdir, &x.r, 1, "home/an/Downloads/spy.exe", NULL, 6, &q);
	assert_false(q.done);
	quar_result_free(&q);
	p = g_strconcat(x.top, "/home/an/Downloads/spy.exe\\x00.txt", NULL);
	quar_file(x.qdir, &x.r, 1, p, NULL, 7, &q);
	assert_false(q.done);
	quar_result_free(&q);
	g_free(p);
	/* the home folder itself a symlink to outside: not followed */
	link_to(x.top, "home/eve", x.outside);
	mkdirs(x.outside, "Downloads");
	put(x.outside, "Downloads/x.exe", "outside");
	quar(&x, "/home/eve/Downloads/x.exe", NULL, 8, &q);
	assert_false(q.done);
	quar_result_free(&q);
	/* nothing outside was touched, and the real files are still there */
	assert_true(exists(x.outside, "passwd"));
	assert_true(exists(x.outside, "Downloads/x.exe"));
	assert_true(exists(x.top, "home/an/Documents.txt"));
	assert_true(exists(x.top, "home/an/Downloads/spy.exe"));
	qfx_free(&x);
}

/* the quarantine on another file system (/dev/shm): copied, then removed */
static void test_quarantine_other_fs(void **state)
{
	struct qfx x;
	struct quar_result q;
	struct stat a, b;
	char *content = NULL;

	(void)state;
	if (stat("/dev/shm", &a) != 0 || stat("/tmp", &b) != 0 || a.st_dev == b.st_dev ||
	    access("/dev/shm", W_OK) != 0)
		skip();
	qfx_init(&x);
	g_free(x.qdir);
	x.qdir = g_strdup("/dev/shm/vigil-agent-test-XXXXXX");
	assert_non_null(g_mkdtemp(x.qdir));
	quar(&x, "/home/an/Downloads/spy.exe", NULL, 9, &q);
	assert_true(q.done);
	assert_false(exists(x.top, "home/an/Downloads/spy.exe"));
	assert_true(g_file_get_contents(q.stored, &content, NULL, NULL));
	assert_string_equal(content, "MZ spyware");
	assert_int_equal(stat(q.stored, &a), 0);
	assert_int_equal(a.st_mode & 0777, 0400);
	g_free(content);
	quar_result_free(&q);
	rmtree(g_strdup(x.qdir));
	qfx_free(&x);
}

/* ---- drill plants ---- */

static const char simulant[] = "PK fake doc\n<!-- VIGIL-DRILL-SIMULANT v=1; r=R1; t=abc; s=00 -->";

static void plant(const char *dir, const char *rec, const char *name, const char *data, size_t max,
                  int64_t order, struct plant_result *p)
{
	plant_file(dir, rec, name, (const unsigned char *)data, data ? strlen(data) : 0, max, order,
	           p);
}

static void test_plant_writes_and_removes(void **state)
{
	char *top = tmpdir(), *dir, *rec, *content = NULL, *path;
	struct plant_result p;
	struct stat st;

	(void)state;
	mkdirs(top, "home/an/Downloads");
	dir = g_build_filename(top, "home/an/Downloads", NULL);
	rec = g_build_filename(top, "state/plants", NULL);
	mkdirs(top, "state");
	plant(dir, rec, "CongVan_2026.docm", simulant, 1024, 41, &p);
	assert_true(p.done);
	assert_int_equal(strlen(p.sha256), 64);
	path = g_build_filename(dir, "CongVan_2026.docm", NULL);
	assert_string_equal(p.path, path);
	assert_true(g_file_get_contents(path, &content, NULL, NULL));
	assert_string_equal(content, simulant);
	g_free(content);
	assert_true(exists(top, "state/plants/41.json"));
	assert_int_equal(stat(rec, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	plant_result_free(&p);

	/* the same order again, or another order with the same name: refused,
	 * the planted file stays as it is */
	plant(dir, rec, "CongVan_2026.docm", simulant, 1024, 41, &p);
	assert_false(p.done);
	plant_result_free(&p);
	plant(dir, rec, "CongVan_2026.docm", simulant, 1024, 42, &p);
	assert_false(p.done);
	assert_non_null(strstr(p.detail, "already exists"));
	plant_result_free(&p);

	/* removal: only the file of that order, which then goes */
	plant_remove(rec, 99, &p);
	assert_false(p.done);
	plant_result_free(&p);
	assert_true(exists(top, "home/an/Downloads/CongVan_2026.docm"));
	plant_remove(rec, 41, &p);
	assert_true(p.done);
	assert_null(p.detail);
	assert_false(exists(top, "home/an/Downloads/CongVan_2026.docm"));
	assert_false(exists(top, "state/plants/41.json"));
	plant_result_free(&p);
	/* its record is gone: a second removal removes nothing */
	plant_remove(rec, 41, &p);
	assert_false(p.done);
	plant_result_free(&p);

	/* a plant quarantined (or deleted) meanwhile counts as removed */
	plant(dir, rec, "BangLuong.zip", simulant, 1024, 43, &p);
	assert_true(p.done);
	plant_result_free(&p);
	put(top, "home/an/Downloads/other.txt", "the user's own file");
	{
		char *z = g_build_filename(dir, "BangLuong.zip", NULL);

		assert_int_equal(unlink(z), 0);
		g_free(z);
	}
	plant_remove(rec, 43, &p);
	assert_true(p.done);
	assert_string_equal(p.detail, "already gone");
	plant_result_free(&p);
	assert_true(exists(top, "home/an/Downloads/other.txt"));
	g_free(path);
	g_free(dir);
	g_free(rec);
	rmtree(top);
}

static void test_plant_refuses(void **state)
{
	char *top = tmpdir(), *dir, *rec, *lnk, *big;
	struct plant_result p;

	(void)state;
	mkdirs(top, "home/an/Downloads");
	mkdirs(top, "elsewhere");
	dir = g_build_filename(top, "home/an/Downloads", NULL);
	rec = g_build_filename(top, "plants", NULL);
	/* no plant folder configured */
	plant(NULL, rec, "a.doc", simulant, 1024, 1, &p);
	assert_false(p.done);
	assert_non_null(strstr(p.detail, "plant_dir"));
	plant_result_free(&p);
	/* names that are paths, hidden, or odd */
	static const char *const bad[] = {"../x.doc", "a/b.doc", ".bashrc", "",  "a b.doc",
	                                  "-rf",      "..",      "x\n.doc", NULL};
	for (int i = 0; bad[i] != NULL; i++) {
		plant(dir, rec, bad[i], simulant, 1024, 2, &p);
		assert_false(p.done);
		plant_result_free(&p);
	}
	assert_false(plant_name_ok(NULL));
	{
		char longname[PLANT_NAME_MAX + 2];

		memset(longname, 'a', sizeof longname - 1);
		longname[sizeof longname - 1] = 0;
		assert_false(plant_name_ok(longname));
		longname[PLANT_NAME_MAX] = 0;
		assert_true(plant_name_ok(longname));
	}
	/* content without the marker, and content over the limit */
	plant(dir, rec, "x.doc", "MZ real program", 1024, 3, &p);
	assert_false(p.done);
	assert_non_null(strstr(p.detail, "marker"));
	plant_result_free(&p);
	big = g_strnfill(2000, 'A');
	memcpy(big, PLANT_MARKER, strlen(PLANT_MARKER));
	plant(dir, rec, "x.doc", big, 1024, 4, &p);
	assert_false(p.done);
	plant_result_free(&p);
	plant(dir, rec, "x.doc", big, 4096, 5, &p);
	assert_true(p.done);
	plant_result_free(&p);
	g_free(big);
	/* a plant folder that is (or goes through) a symbolic link */
	link_to(top, "home/an/Link", "../../elsewhere");
	lnk = g_build_filename(top, "home/an/Link", NULL);
	plant(lnk, rec, "y.doc", simulant, 1024, 6, &p);
	assert_false(p.done);
	plant_result_free(&p);
	g_free(lnk);
	lnk = g_build_filename(top, "home/an/Link/.", NULL);
	plant(lnk, rec, "y.doc", simulant, 1024, 7, &p);
	assert_false(p.done);
	plant_result_free(&p);
	g_free(lnk);
	assert_false(exists(top, "elsewhere/y.doc"));

	/* removal of a file changed or replaced since: left alone */
	plant(dir, rec, "z.doc", simulant, 1024, 8, &p);
	assert_true(p.done);
	plant_result_free(&p);
	put(top, "home/an/Downloads/z.doc", "the user's edit");
	plant_remove(rec, 8, &p);
	assert_false(p.done);
	assert_true(exists(top, "home/an/Downloads/z.doc"));
	plant_result_free(&p);
	plant(dir, rec, "w.doc", simulant, 1024, 9, &p);
	assert_true(p.done);
	plant_result_free(&p);
	{
		/* kept under another name so the new file cannot reuse its inode */
		char *w = g_build_filename(dir, "w.doc", NULL),
		     *o = g_build_filename(dir, "w.old", NULL);

		assert_int_equal(rename(w, o), 0);
		g_free(w);
		g_free(o);
	}
	put(top, "home/an/Downloads/w.doc", simulant); /* same bytes, another file */
	plant_remove(rec, 9, &p);
	assert_false(p.done);
	assert_non_null(strstr(p.detail, "replaced"));
	assert_true(exists(top, "home/an/Downloads/w.doc"));
	plant_result_free(&p);
	/* the folder swapped for a link: not counted as gone, nothing removed */
	plant(dir, rec, "v.doc", simulant, 1024, 10, &p);
	assert_true(p.done);
	plant_result_free(&p);
	{
		char *moved = g_build_filename(top, "home/an/Moved", NULL);

		assert_int_equal(rename(dir, moved), 0);
		link_to(top, "home/an/Downloads", "Moved");
		plant_remove(rec, 10, &p);
		assert_false(p.done);
		assert_true(exists(top, "home/an/Moved/v.doc"));
		plant_result_free(&p);
		g_free(moved);
	}
	g_free(dir);
	g_free(rec);
	rmtree(top);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_roots),
	        cmocka_unit_test(test_codec),
	        cmocka_unit_test(test_walk_symlinks_and_specials),
	        cmocka_unit_test(test_walk_limits),
	        cmocka_unit_test(test_walk_stop),
	        cmocka_unit_test(test_quarantine_moves),
	        cmocka_unit_test(test_quarantine_refuses),
	        cmocka_unit_test(test_quarantine_other_fs),
	        cmocka_unit_test(test_plant_writes_and_removes),
	        cmocka_unit_test(test_plant_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
