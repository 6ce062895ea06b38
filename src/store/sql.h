/*
 * sql.h - the store's SQL, for vigild's modules (src/server/).
 *
 * The message records have their own functions (store.h); the server's
 * tables (users, sessions, audit, alerts, incidents, ...; migration 2) are
 * read and written through this small interface instead, so that a module
 * writes its SQL once, with '?' placeholders and bound values only, and it
 * runs on SQLite and PostgreSQL alike (store_int.h: the SQL both accept).
 *
 * store_with() borrows a connection from the store's pool, opens a write
 * transaction when asked (SQLite: BEGIN IMMEDIATE), calls fn, and commits
 * if fn returned STORE_OK, else rolls back. Everything fn does through
 * store_sql() is one transaction. fn must not call store_with() again (the
 * SQLite pool has one connection: it would wait for itself).
 */
#ifndef VIGIL_STORE_SQL_H
#define VIGIL_STORE_SQL_H

#include "store/store_int.h"

/* the advisory lock of vigild's write transactions on PostgreSQL (also the
 * audit chain's: audit.c takes it again, which is a no-op in the same
 * transaction) */
#define STORE_WRITE_LOCK 0x76696731

typedef struct store_db {
	const struct store_driver *drv;
	void *conn;
} store_db;

typedef int (*store_with_fn)(store_db *db, void *ctx, char **err);

/* write: 1 for a write transaction, 0 for reads (no transaction) */
int store_with(store *st, int write, store_with_fn fn, void *ctx, char **err);

/* One statement; row (may be NULL) is called for each result row. */
int store_sql(store_db *db, const char *sql, const struct store_val *p, int np, store_row_fn row,
              void *ctx, char **err);

/* Shorthands for values. */
static inline struct store_val store_text(const char *s)
{
	struct store_val v = {.t = s != NULL ? SV_TEXT : SV_NULL, .s = s};

	return v;
}

static inline struct store_val store_int(int64_t i)
{
	struct store_val v = {.t = SV_INT, .i = i};

	return v;
}

/* row callback: the first column as an integer into *(int64_t *)ctx */
int store_row_int(void *ctx, const struct store_val *cols, int ncols);

/*
 * Notifications between processes on one store (PostgreSQL LISTEN/NOTIFY):
 * several vigild nodes learn that another committed something they serve
 * (the block stream, src/server/blocks.c). The notification carries no
 * data: the listener reads what changed from the tables.
 *
 * store_notify(), inside a write transaction, notifies `channel` when the
 * transaction commits (nothing if it rolls back); on SQLite it does
 * nothing (one machine: the writer wakes its own process). channel: a
 * lower-case SQL identifier.
 *
 * store_listen_open() opens a connection of its own (not the pool's) that
 * LISTENs on channel; on SQLite it answers STORE_OK with *out = NULL (the
 * caller polls instead). Poll store_listen_fd() for input, then call
 * store_listen_drain(): the number of notifications that arrived (0 or
 * more), or -1 when the connection is lost (close it; open again later).
 * A listener is used by one thread.
 */
typedef struct store_listener store_listener;

int store_notify(store_db *db, const char *channel, char **err);
int store_listen_open(store *st, const char *channel, store_listener **out, char **err);
int store_listen_fd(store_listener *l);
int store_listen_drain(store_listener *l);
void store_listen_close(store_listener *l);

#endif
