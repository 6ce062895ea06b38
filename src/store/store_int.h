/*
 * store_int.h - what the store's shared code and its two back ends agree on.
 *
 * The record logic (record.c), the migrations (migrations.c) and the
 * connection pool (store.c) are written once, against this small driver
 * interface; sqlite.c and pg.c only move SQL text, parameters and rows. SQL
 * is written once too, with '?' placeholders (pg.c renumbers them to $1..$n)
 * and types both engines accept (BIGINT, INTEGER, SMALLINT, TEXT, DOUBLE
 * PRECISION); the only per-engine SQL is in the migrations (the identity
 * column) and in store_driver.begin().
 *
 * A driver connection is used by one thread at a time: the pool in store.c
 * hands it out. Statement ids (< STORE_SQL_MAX) let a driver keep each
 * statement prepared on its connection; id -1 means "run once, don't keep".
 */
#ifndef VIGIL_STORE_INT_H
#define VIGIL_STORE_INT_H

#include <stdarg.h>
#include <stdint.h>

#include "store/store.h"

/* One value in or out of SQL. Text pointers are borrowed. */
enum store_vtype { SV_NULL = 0, SV_TEXT, SV_INT, SV_REAL };
struct store_val {
	enum store_vtype t;
	const char *s;
	int64_t i;
	double d;
};

#define STORE_MAX_COLS 32
#define STORE_MAX_PARAMS 32

/*
 * Called once per result row; cols[] is valid only during the call.
 * Returns 0 to go on, or a STORE_E* code to stop (the query returns it).
 */
typedef int (*store_row_fn)(void *ctx, const struct store_val *cols, int ncols);

enum store_tx {
	STORE_TX_WRITE,   /* a write transaction (SQLite: BEGIN IMMEDIATE) */
	STORE_TX_MIGRATE, /* + excludes every other migrating process */
};

struct store_driver {
	const char *name;
	/* target: a file path or a libpq URI; opts: SQLite's "k=v&k=v" or NULL */
	int (*connect)(const char *target, const char *opts, void **conn, char **err);
	void (*disconnect)(void *conn);
	/* 1 when the connection is lost and must be replaced */
	int (*broken)(void *conn);
	int (*begin)(void *conn, enum store_tx kind, char **err);
	/* COMMIT (commit != 0) or ROLLBACK of the transaction begin() opened */
	int (*end)(void *conn, int commit, char **err);
	/* runs SQL without parameters or rows (several statements allowed) */
	int (*exec)(void *conn, const char *sql, char **err);
	int (*query)(void *conn, int sid, const char *sql, const struct store_val *params, int np,
	             store_row_fn row, void *ctx, char **err);
};

extern const struct store_driver store_sqlite_driver;
extern const struct store_driver store_pg_driver;

/* Every statement that is kept prepared (record.c). */
enum store_sql {
	SQL_INSERT_MESSAGE,
	SQL_INSERT_RCPT,
	SQL_INSERT_HDR,
	SQL_INSERT_ATT,
	SQL_INSERT_URL,
	SQL_INSERT_DOMAIN,
	SQL_INSERT_FINDING,
	SQL_MARK_CLIPPED,
	SQL_SAVEPOINT,
	SQL_RELEASE,
	SQL_ROLLBACK_TO,
	SQL_GET_MESSAGE,
	SQL_GET_RCPTS,
	SQL_GET_HDRS,
	SQL_GET_ATTS,
	SQL_GET_URLS,
	SQL_GET_DOMAINS,
	SQL_GET_FINDINGS,
	SQL_COUNT_ALL,
	SQL_COUNT_VERDICT,
	SQL_MAX
};

/* migrations.c: brings the database on conn to the newest schema. */
int store_migrate(const struct store_driver *drv, void *conn, int *version, char **err);
/* The newest schema version this program knows. */
int store_migrations_latest(void);

/* record.c: the record operations, on one connection. */
int store_rec_put(const struct store_driver *drv, void *conn, const struct store_msg *m,
                  char **err);
void store_rec_put_many(const struct store_driver *drv, void *conn,
                        const struct store_msg *const *ms, int *rcs, char **errs, size_t n);
int store_rec_get_json(const struct store_driver *drv, void *conn, const char *uid, char **json,
                       char **err);
int store_rec_count(const struct store_driver *drv, void *conn, const char *verdict, int64_t *count,
                    char **err);

/* record.c: the JSON shape of a record (store.c and the tests share it). */
struct json_t;
struct json_t *store_rec_to_jsonv(const struct store_msg *m);

/* pg.c: LISTEN on a connection of its own to target (sql.h, store_listen_open) */
struct store_listener;
int store_pg_listen(const char *target, const char *channel, struct store_listener **out,
                    char **err);

/* Sets *err (if err != NULL and *err is still NULL) and returns rc. */
int store_fail(char **err, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Wall clock in Unix milliseconds. */
int64_t store_now_ms(void);

#endif
