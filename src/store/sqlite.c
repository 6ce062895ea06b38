/*
 * sqlite.c - the SQLite back end: one file, WAL mode.
 *
 * Settings: journal_mode=WAL (readers in other processes, e.g. vigild, never
 * block the gateway's writes), synchronous=NORMAL (a commit survives a crash
 * of the process; after a power cut the last commits may be lost, never the
 * file's consistency; "?synchronous=full" in a sqlite: URL fsyncs every
 * commit), busy_timeout 5000 ms ("?busy_timeout=MS"), temp_store=MEMORY (the
 * savepoints of a group commit keep their undo pages in memory, not in a
 * temporary file).
 *
 * Checkpoints (copying the WAL back into the database file) run on a
 * thread of their own with its own connection, started by the writer's WAL
 * hook once the WAL holds SQ_CKPT_FRAMES pages: measured here, checkpoints
 * done by the writer itself (SQLite's autocheckpoint) cost about a third of
 * its throughput (docs/store.md). The writer copies only the tail that came
 * after a background checkpoint (see wal_hook). If the WAL still grows past
 * SQ_CKPT_FORCE (a reader holding an old snapshot), the writer checkpoints
 * itself; journal_size_limit gives the space back afterwards.
 *
 * New files get 2 KiB pages, not SQLite's 4 KiB: a record's commit writes
 * about 40 pages, one per index entry or table append (hunts need the
 * indexes), so the bytes a commit copies and checksums halve; measured
 * 15-30% more records per second here. Index keys up to ~480 bytes stay in
 * their page (addresses, hashes, domains; a rare longer Message-ID
 * overflows).
 *
 * Each statement is prepared once per connection and reused (reset and
 * re-bound). Text parameters are bound SQLITE_STATIC: they only need to live
 * for the query() call.
 *
 * Errors: a duplicate key is STORE_ECONFLICT; another constraint or a value
 * SQLite will not take is STORE_EINVAL; a RAISE() in a trigger is
 * STORE_EUNAVAILABLE, since our schema has no triggers, so one is an
 * operator refusing writes for now (the tests use one to make the store
 * refuse mid-replay); everything else (busy, I/O, full disk) is
 * STORE_EUNAVAILABLE.
 */
#include "store/store_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <sqlite3.h>

#define SQ_CKPT_FRAMES 8000 /* 16 MiB of 2 KiB pages */
#define SQ_CKPT_FORCE (16 * SQ_CKPT_FRAMES)

struct sq {
	sqlite3 *db;
	sqlite3_stmt *stmt[SQL_MAX];
	sqlite3_stmt *begin, *commit, *rollback;
	/* the checkpointer: its connection, thread, and what it is asked */
	sqlite3 *ckdb;
	pthread_t ck;
	int ck_running, ck_want, ck_stop, ck_done;
	pthread_mutex_t ckmu;
	pthread_cond_t ckcv;
};

static void *checkpointer(void *arg)
{
	struct sq *q = arg;

	pthread_mutex_lock(&q->ckmu);
	for (;;) {
		while (!q->ck_want && !q->ck_stop)
			pthread_cond_wait(&q->ckcv, &q->ckmu);
		if (q->ck_stop)
			break;
		q->ck_want = 0;
		pthread_mutex_unlock(&q->ckmu);
		/* PASSIVE: never waits for, nor holds up, the writer or readers */
		sqlite3_wal_checkpoint_v2(q->ckdb, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		pthread_mutex_lock(&q->ckmu);
		q->ck_done = 1;
	}
	pthread_mutex_unlock(&q->ckmu);
	return NULL;
}

/*
 * After each commit on the writer's connection, with the WAL's size. The
 * WAL can only start again from its beginning once a checkpoint copied all
 * of it, which a background checkpoint never does while commits keep
 * coming; so when one has finished, the writer copies the few frames
 * committed since (cheap), and its next transaction restarts the WAL.
 */
static int wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct sq *q = arg;
	int tail = 0;

	pthread_mutex_lock(&q->ckmu);
	if (q->ck_done) {
		q->ck_done = 0;
		tail = 1;
	} else if (frames >= SQ_CKPT_FRAMES && !q->ck_want) {
		q->ck_want = 1;
		pthread_cond_signal(&q->ckcv);
	}
	pthread_mutex_unlock(&q->ckmu);
	if (tail || frames >= SQ_CKPT_FORCE)
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return SQLITE_OK;
}

/* Starts the checkpointer; without one, SQLite's autocheckpoint stays on. */
static void ck_start(struct sq *q, const char *target)
{
	if (sqlite3_open_v2(target, &q->ckdb, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		sqlite3_close_v2(q->ckdb);
		q->ckdb = NULL;
		return;
	}
	if (pthread_create(&q->ck, NULL, checkpointer, q) != 0) {
		sqlite3_close_v2(q->ckdb);
		q->ckdb = NULL;
		return;
	}
	q->ck_running = 1;
	sqlite3_wal_hook(q->db, wal_hook, q); /* replaces the autocheckpoint */
}

static void ck_stop(struct sq *q)
{
	if (!q->ck_running)
		return;
	pthread_mutex_lock(&q->ckmu);
	q->ck_stop = 1;
	pthread_cond_signal(&q->ckcv);
	pthread_mutex_unlock(&q->ckmu);
	pthread_join(q->ck, NULL);
	sqlite3_close_v2(q->ckdb);
	q->ck_running = 0;
}

static int sq_err(sqlite3 *db, int rc, char **err, const char *what)
{
	int code = STORE_EUNAVAILABLE;

	switch (rc) {
	case SQLITE_CONSTRAINT_PRIMARYKEY:
	case SQLITE_CONSTRAINT_UNIQUE:
		code = STORE_ECONFLICT;
		break;
	case SQLITE_CONSTRAINT_TRIGGER:
		code = STORE_EUNAVAILABLE;
		break;
	case SQLITE_MISMATCH:
	case SQLITE_TOOBIG:
	case SQLITE_RANGE:
		code = STORE_EINVAL;
		break;
	default:
		if ((rc & 0xff) == SQLITE_CONSTRAINT)
			code = STORE_EINVAL;
	}
	return store_fail(err, code, "store: sqlite: %s: %s", what,
	                  db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

/* "synchronous=normal|full&busy_timeout=MS" */
static int parse_opts(const char *opts, int *full, int *busy_ms, char **err)
{
	gchar **kv;
	int rc = STORE_OK;

	*full = 0;
	*busy_ms = 5000;
	if (opts == NULL || *opts == 0)
		return STORE_OK;
	kv = g_strsplit(opts, "&", 16);
	for (int i = 0; kv[i] != NULL && rc == STORE_OK; i++) {
		const char *v = strchr(kv[i], '=');
		guint64 n;

		if (v == NULL) {
			rc = store_fail(err, STORE_EINVAL, "store: sqlite option without value: %s",
			                kv[i]);
		} else if (strncmp(kv[i], "synchronous=", 12) == 0) {
			if (strcmp(v + 1, "full") == 0)
				*full = 1;
			else if (strcmp(v + 1, "normal") != 0)
				rc = store_fail(err, STORE_EINVAL,
				                "store: synchronous must be normal or full");
		} else if (strncmp(kv[i], "busy_timeout=", 13) == 0) {
			if (!g_ascii_string_to_unsigned(v + 1, 10, 0, 600000, &n, NULL))
				rc = store_fail(err, STORE_EINVAL,
				                "store: busy_timeout must be 0..600000 ms");
			*busy_ms = (int)n;
		} else {
			rc = store_fail(err, STORE_EINVAL, "store: unknown sqlite option: %s",
			                kv[i]);
		}
	}
	g_strfreev(kv);
	return rc;
}

static void sq_disconnect(void *conn)
{
	struct sq *q = conn;

	if (q == NULL)
		return;
	ck_stop(q);
	for (int i = 0; i < SQL_MAX; i++)
		sqlite3_finalize(q->stmt[i]);
	sqlite3_finalize(q->begin);
	sqlite3_finalize(q->commit);
	sqlite3_finalize(q->rollback);
	sqlite3_close_v2(q->db);
	pthread_mutex_destroy(&q->ckmu);
	pthread_cond_destroy(&q->ckcv);
	free(q);
}

static int sq_exec(void *conn, const char *sql, char **err)
{
	struct sq *q = conn;
	int rc = sqlite3_exec(q->db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return sq_err(q->db, sqlite3_extended_errcode(q->db), err, "exec");
	return STORE_OK;
}

static int journal_mode_row(void *ctx, int n, char **vals, char **names)
{
	(void)names;
	if (n > 0 && vals[0] != NULL)
		g_strlcpy(ctx, vals[0], 16);
	return 0;
}

static int sq_connect(const char *target, const char *opts, void **out, char **err)
{
	struct sq *q;
	char mode[16] = "";
	char pragmas[200];
	int rc, full, busy_ms;

	*out = NULL;
	rc = parse_opts(opts, &full, &busy_ms, err);
	if (rc != STORE_OK)
		return rc;
	q = calloc(1, sizeof *q);
	if (q == NULL)
		return store_fail(err, STORE_EUNAVAILABLE, "store: out of memory");
	pthread_mutex_init(&q->ckmu, NULL);
	pthread_cond_init(&q->ckcv, NULL);
	/* one thread at a time per connection: the pool in store.c sees to it */
	rc = sqlite3_open_v2(target, &q->db,
	                     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	                     NULL);
	if (rc != SQLITE_OK) {
		rc = store_fail(err, STORE_EUNAVAILABLE, "store: sqlite: cannot open %s: %s",
		                target, q->db != NULL ? sqlite3_errmsg(q->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(q->db, 1);
	sqlite3_busy_timeout(q->db, busy_ms);
	/* a new file only (ignored for an existing one); see the module comment */
	sqlite3_exec(q->db, "PRAGMA page_size=2048", NULL, NULL, NULL);
	if (sqlite3_exec(q->db, "PRAGMA journal_mode=WAL", journal_mode_row, mode, NULL) !=
	            SQLITE_OK ||
	    strcmp(mode, "wal") != 0) {
		rc = store_fail(err, STORE_EUNAVAILABLE,
		                "store: sqlite: %s: cannot use WAL mode (%s)", target,
		                *mode ? mode : sqlite3_errmsg(q->db));
		goto fail;
	}
	snprintf(pragmas, sizeof pragmas,
	         "PRAGMA synchronous=%s; PRAGMA cache_size=-16384; "
	         "PRAGMA journal_size_limit=67108864; PRAGMA temp_store=MEMORY;",
	         full ? "FULL" : "NORMAL");
	rc = sq_exec(q, pragmas, err);
	if (rc != STORE_OK)
		goto fail;
	ck_start(q, target);
	*out = q;
	return STORE_OK;
fail:
	sq_disconnect(q);
	return rc;
}

static int sq_broken(void *conn)
{
	(void)conn;
	return 0;
}

static int step_simple(struct sq *q, sqlite3_stmt **st, const char *sql, char **err)
{
	int rc;

	if (*st == NULL) {
		rc = sqlite3_prepare_v3(q->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
		if (rc != SQLITE_OK)
			return sq_err(q->db, rc, err, sql);
	}
	rc = sqlite3_step(*st);
	sqlite3_reset(*st);
	if (rc != SQLITE_DONE)
		return sq_err(q->db, rc, err, sql);
	return STORE_OK;
}

static int sq_begin(void *conn, enum store_tx kind, char **err)
{
	struct sq *q = conn;

	/* IMMEDIATE takes the write lock now (waiting up to busy_timeout), so
	 * two writers never deadlock upgrading a read lock */
	(void)kind;
	return step_simple(q, &q->begin, "BEGIN IMMEDIATE", err);
}

static int sq_end(void *conn, int commit, char **err)
{
	struct sq *q = conn;

	if (commit)
		return step_simple(q, &q->commit, "COMMIT", err);
	/* after some errors SQLite has already rolled back: nothing to do then */
	if (sqlite3_get_autocommit(q->db))
		return STORE_OK;
	return step_simple(q, &q->rollback, "ROLLBACK", err);
}

static int sq_query(void *conn, int sid, const char *sql, const struct store_val *p, int np,
                    store_row_fn row, void *ctx, char **err)
{
	struct sq *q = conn;
	sqlite3_stmt *st = sid >= 0 && sid < SQL_MAX ? q->stmt[sid] : NULL;
	struct store_val cols[STORE_MAX_COLS];
	int rc, out = STORE_OK;

	if (st == NULL) {
		rc = sqlite3_prepare_v3(q->db, sql, -1, sid >= 0 ? SQLITE_PREPARE_PERSISTENT : 0,
		                        &st, NULL);
		if (rc != SQLITE_OK)
			return sq_err(q->db, rc, err, "prepare");
		if (sid >= 0 && sid < SQL_MAX)
			q->stmt[sid] = st;
	}
	for (int i = 0; i < np; i++) {
		switch (p[i].t) {
		case SV_NULL:
			rc = sqlite3_bind_null(st, i + 1);
			break;
		case SV_TEXT:
			rc = sqlite3_bind_text(st, i + 1, p[i].s, -1, SQLITE_STATIC);
			break;
		case SV_INT:
			rc = sqlite3_bind_int64(st, i + 1, p[i].i);
			break;
		default:
			rc = sqlite3_bind_double(st, i + 1, p[i].d);
		}
		if (rc != SQLITE_OK) {
			out = sq_err(q->db, rc, err, "bind");
			goto done;
		}
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int nc = sqlite3_column_count(st);

		if (nc > STORE_MAX_COLS)
			nc = STORE_MAX_COLS;
		for (int i = 0; i < nc; i++) {
			memset(&cols[i], 0, sizeof cols[i]);
			switch (sqlite3_column_type(st, i)) {
			case SQLITE_INTEGER:
				cols[i].t = SV_INT;
				cols[i].i = sqlite3_column_int64(st, i);
				break;
			case SQLITE_FLOAT:
				cols[i].t = SV_REAL;
				cols[i].d = sqlite3_column_double(st, i);
				break;
			case SQLITE_NULL:
				cols[i].t = SV_NULL;
				break;
			default:
				cols[i].t = SV_TEXT;
				cols[i].s = (const char *)sqlite3_column_text(st, i);
				if (cols[i].s == NULL) {
					out = store_fail(err, STORE_EUNAVAILABLE,
					                 "store: sqlite: out of memory");
					goto done;
				}
			}
		}
		if (row != NULL && (out = row(ctx, cols, nc)) != 0)
			goto done;
	}
	if (rc != SQLITE_DONE)
		out = sq_err(q->db, sqlite3_extended_errcode(q->db), err, "step");
done:
	if (sid >= 0 && sid < SQL_MAX) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	} else {
		sqlite3_finalize(st);
	}
	return out;
}

const struct store_driver store_sqlite_driver = {
        .name = "sqlite",
        .connect = sq_connect,
        .disconnect = sq_disconnect,
        .broken = sq_broken,
        .begin = sq_begin,
        .end = sq_end,
        .exec = sq_exec,
        .query = sq_query,
};
