/*
 * pg.c - the PostgreSQL back end (libpq).
 *
 * The URL is handed to libpq as it is (a libpq connection URI), after
 * defaults that keep a dead server from holding a gateway thread:
 * connect_timeout=5 s, TCP keepalives and tcp_user_timeout=30 s, and
 * statement_timeout=30 s once connected; a URL that sets one of the libpq
 * parameters wins. client_encoding is always UTF8 (records are UTF-8), and
 * a database whose encoding is neither UTF8 nor SQL_ASCII is refused at
 * connect: it would refuse Vietnamese text record by record.
 *
 * Statements are prepared once per connection (named "v<id>"); the shared
 * SQL's '?' placeholders become $1..$n here. Parameters travel as text.
 * Result columns are typed from their OIDs (integers, floats, bool), the
 * rest are text.
 *
 * Errors, by SQLSTATE: 23505 (unique) is STORE_ECONFLICT; another integrity
 * violation (class 23) or a data exception (class 22) is STORE_EINVAL; all
 * else (connection lost, server shutting down, out of disk, a trigger
 * refusing writes, timeouts) is STORE_EUNAVAILABLE. A lost connection is
 * reported by broken(), and store.c replaces it.
 *
 * Listeners (sql.h, store_listen_open): a connection of their own, out of
 * the pool, that LISTENs on one channel and is polled by its owner's
 * thread; the statement timeout does not matter to it (it runs none).
 */
#include "store/sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <libpq-fe.h>

/* type OIDs (pg_type.h is a server header) */
#define OID_BOOL 16
#define OID_INT8 20
#define OID_INT2 21
#define OID_INT4 23
#define OID_FLOAT4 700
#define OID_FLOAT8 701
#define OID_NUMERIC 1700

/* the advisory lock that serialises migrations between processes */
#define PG_MIGRATE_LOCK "7168521"

struct pg {
	PGconn *c;
	unsigned char prepared[SQL_MAX];
};

static void quiet(void *arg, const char *msg)
{
	/* NOTICEs ("relation already exists, skipping") are not ours to print */
	(void)arg;
	(void)msg;
}

/* libpq's message, one line, without the trailing newline. */
static void pg_msg(const char *m, char *buf, size_t n)
{
	size_t len;

	snprintf(buf, n, "%s", m != NULL && *m ? m : "unknown error");
	len = strlen(buf);
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = 0;
	for (char *p = buf; *p; p++)
		if (*p == '\n')
			*p = ' ';
}

static int pg_res_err(struct pg *g, PGresult *r, char **err, const char *what)
{
	const char *state = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	char msg[512];
	int code = STORE_EUNAVAILABLE;

	if (PQstatus(g->c) != CONNECTION_BAD && state != NULL) {
		if (strcmp(state, "23505") == 0)
			code = STORE_ECONFLICT;
		else if (strncmp(state, "23", 2) == 0 || strncmp(state, "22", 2) == 0)
			code = STORE_EINVAL;
	}
	pg_msg(r != NULL && *PQresultErrorMessage(r) ? PQresultErrorMessage(r)
	                                             : PQerrorMessage(g->c),
	       msg, sizeof msg);
	return store_fail(err, code, "store: postgresql: %s: %s%s%s", what, msg,
	                  state != NULL ? " SQLSTATE " : "", state != NULL ? state : "");
}

static void pg_disconnect(void *conn)
{
	struct pg *g = conn;

	if (g == NULL)
		return;
	PQfinish(g->c);
	free(g);
}

static int pg_exec(void *conn, const char *sql, char **err)
{
	struct pg *g = conn;
	PGresult *r = PQexec(g->c, sql);
	int st = PQresultStatus(r);
	int rc = STORE_OK;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		rc = pg_res_err(g, r, err, "exec");
	PQclear(r);
	return rc;
}

static int pg_connect(const char *target, const char *opts, void **out, char **err)
{
	/* libpq takes the last value of a repeated key: the URL (dbname, with
	 * expand_dbname) overrides the defaults before it, not client_encoding */
	const char *const keys[] = {"connect_timeout",           "keepalives",
	                            "keepalives_idle",           "keepalives_interval",
	                            "keepalives_count",          "tcp_user_timeout",
	                            "fallback_application_name", "dbname",
	                            "client_encoding",           NULL};
	const char *const vals[] = {"5",     "1",     "10",   "5",    "3",
	                            "30000", "vigil", target, "UTF8", NULL};
	struct pg *g;
	PQconninfoOption *parsed;
	const char *enc;
	char msg[512], *perr = NULL;
	int rc;

	(void)opts;
	*out = NULL;
	/* a URL libpq cannot parse will never work: that is the caller's error */
	parsed = PQconninfoParse(target, &perr);
	if (parsed == NULL) {
		pg_msg(perr != NULL ? perr : "out of memory", msg, sizeof msg);
		PQfreemem(perr);
		return store_fail(err, STORE_EINVAL, "store: postgresql: bad URL: %s", msg);
	}
	PQconninfoFree(parsed);
	g = calloc(1, sizeof *g);
	if (g == NULL)
		return store_fail(err, STORE_EUNAVAILABLE, "store: out of memory");
	g->c = PQconnectdbParams(keys, vals, 1);
	if (g->c == NULL || PQstatus(g->c) != CONNECTION_OK) {
		pg_msg(g->c != NULL ? PQerrorMessage(g->c) : "out of memory", msg, sizeof msg);
		rc = store_fail(err, STORE_EUNAVAILABLE, "store: postgresql: cannot connect: %s",
		                msg);
		goto fail;
	}
	PQsetNoticeProcessor(g->c, quiet, NULL);
	enc = PQparameterStatus(g->c, "server_encoding");
	if (enc == NULL || (strcmp(enc, "UTF8") != 0 && strcmp(enc, "SQL_ASCII") != 0)) {
		rc = store_fail(err, STORE_EINVAL,
		                "store: postgresql: the database's encoding is %s; it must be UTF8",
		                enc != NULL ? enc : "unknown");
		goto fail;
	}
	rc = pg_exec(g, "SET statement_timeout = 30000", err);
	if (rc != STORE_OK)
		goto fail;
	*out = g;
	return STORE_OK;
fail:
	pg_disconnect(g);
	return rc;
}

static int pg_broken(void *conn)
{
	struct pg *g = conn;

	return g == NULL || PQstatus(g->c) == CONNECTION_BAD;
}

static int pg_begin(void *conn, enum store_tx kind, char **err)
{
	if (kind == STORE_TX_MIGRATE)
		return pg_exec(conn, "BEGIN; SELECT pg_advisory_xact_lock(" PG_MIGRATE_LOCK ")",
		               err);
	return pg_exec(conn, "BEGIN", err);
}

static int pg_end(void *conn, int commit, char **err)
{
	struct pg *g = conn;
	PGresult *r;
	int rc = STORE_OK;

	if (!commit)
		return pg_exec(conn, "ROLLBACK", err);
	r = PQexec(g->c, "COMMIT");
	/* COMMIT of a failed transaction "succeeds" with the tag ROLLBACK */
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		rc = pg_res_err(g, r, err, "commit");
	else if (strcmp(PQcmdStatus(r), "COMMIT") != 0)
		rc = store_fail(err, STORE_EUNAVAILABLE, "store: postgresql: commit rolled back");
	PQclear(r);
	return rc;
}

/* '?' -> $1, $2, ... (our SQL has no '?' inside literals) */
static char *renumber(const char *sql)
{
	size_t n = strlen(sql), cap = n * 4 + 1, o = 0;
	char *s = malloc(cap);
	int k = 0;

	if (s == NULL)
		return NULL;
	for (const char *p = sql; *p; p++) {
		if (*p == '?')
			o += (size_t)snprintf(s + o, cap - o, "$%d", ++k);
		else
			s[o++] = *p;
	}
	s[o] = 0;
	return s;
}

static int pg_query(void *conn, int sid, const char *sql, const struct store_val *p, int np,
                    store_row_fn row, void *ctx, char **err)
{
	struct pg *g = conn;
	const char *vals[STORE_MAX_PARAMS];
	char nums[STORE_MAX_PARAMS][G_ASCII_DTOSTR_BUF_SIZE];
	char name[16];
	struct store_val cols[STORE_MAX_COLS];
	char *text = NULL;
	PGresult *r = NULL;
	int rc = STORE_OK, st, keep = sid >= 0 && sid < SQL_MAX;

	if (np > STORE_MAX_PARAMS)
		return store_fail(err, STORE_EINVAL, "store: too many parameters");
	for (int i = 0; i < np; i++) {
		switch (p[i].t) {
		case SV_NULL:
			vals[i] = NULL;
			break;
		case SV_TEXT:
			vals[i] = p[i].s;
			break;
		case SV_INT:
			snprintf(nums[i], sizeof nums[i], "%lld", (long long)p[i].i);
			vals[i] = nums[i];
			break;
		default:
			/* not printf: a program's LC_NUMERIC may use a comma */
			vals[i] = g_ascii_dtostr(nums[i], sizeof nums[i], p[i].d);
		}
	}
	text = renumber(sql);
	if (text == NULL)
		return store_fail(err, STORE_EUNAVAILABLE, "store: out of memory");
	if (keep) {
		snprintf(name, sizeof name, "v%d", sid);
		if (!g->prepared[sid]) {
			r = PQprepare(g->c, name, text, np, NULL);
			if (PQresultStatus(r) != PGRES_COMMAND_OK) {
				rc = pg_res_err(g, r, err, "prepare");
				goto out;
			}
			PQclear(r);
			g->prepared[sid] = 1;
		}
		r = PQexecPrepared(g->c, name, np, vals, NULL, NULL, 0);
	} else {
		r = PQexecParams(g->c, text, np, NULL, vals, NULL, NULL, 0);
	}
	st = PQresultStatus(r);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		rc = pg_res_err(g, r, err, "query");
		goto out;
	}
	for (int i = 0; i < PQntuples(r) && row != NULL; i++) {
		int nc = PQnfields(r);

		if (nc > STORE_MAX_COLS)
			nc = STORE_MAX_COLS;
		for (int c = 0; c < nc; c++) {
			const char *v = PQgetvalue(r, i, c);

			memset(&cols[c], 0, sizeof cols[c]);
			if (PQgetisnull(r, i, c)) {
				cols[c].t = SV_NULL;
				continue;
			}
			switch (PQftype(r, c)) {
			case OID_INT2:
			case OID_INT4:
			case OID_INT8:
				cols[c].t = SV_INT;
				cols[c].i = g_ascii_strtoll(v, NULL, 10);
				break;
			case OID_BOOL:
				cols[c].t = SV_INT;
				cols[c].i = *v == 't';
				break;
			case OID_FLOAT4:
			case OID_FLOAT8:
			case OID_NUMERIC:
				cols[c].t = SV_REAL;
				cols[c].d = g_ascii_strtod(v, NULL);
				break;
			default:
				cols[c].t = SV_TEXT;
				cols[c].s = v;
			}
		}
		rc = row(ctx, cols, nc);
		if (rc != STORE_OK)
			break;
	}
out:
	PQclear(r);
	free(text);
	return rc;
}

const struct store_driver store_pg_driver = {
        .name = "postgresql",
        .connect = pg_connect,
        .disconnect = pg_disconnect,
        .broken = pg_broken,
        .begin = pg_begin,
        .end = pg_end,
        .exec = pg_exec,
        .query = pg_query,
};

/* ---- listeners (sql.h) ---- */

struct store_listener {
	struct pg *g;
};

int store_pg_listen(const char *target, const char *channel, struct store_listener **out,
                    char **err)
{
	struct store_listener *l;
	void *conn = NULL;
	char sql[96];
	size_t n = strlen(channel);
	int rc;

	*out = NULL;
	/* the channel goes into SQL text: a plain identifier only */
	if (n == 0 || n > 63 || strspn(channel, "abcdefghijklmnopqrstuvwxyz_") != n)
		return store_fail(err, STORE_EINVAL, "store: bad channel name");
	rc = pg_connect(target, NULL, &conn, err);
	if (rc != STORE_OK)
		return rc;
	snprintf(sql, sizeof sql, "LISTEN %s", channel);
	rc = pg_exec(conn, sql, err);
	if (rc != STORE_OK) {
		pg_disconnect(conn);
		return rc;
	}
	l = calloc(1, sizeof *l);
	if (l == NULL) {
		pg_disconnect(conn);
		return store_fail(err, STORE_EUNAVAILABLE, "store: out of memory");
	}
	l->g = conn;
	*out = l;
	return STORE_OK;
}

int store_listen_fd(store_listener *l)
{
	return l != NULL ? PQsocket(l->g->c) : -1;
}

int store_listen_drain(store_listener *l)
{
	PGnotify *n;
	int count = 0;

	if (l == NULL || PQstatus(l->g->c) == CONNECTION_BAD || !PQconsumeInput(l->g->c))
		return -1;
	while ((n = PQnotifies(l->g->c)) != NULL) {
		count++;
		PQfreemem(n);
	}
	return PQstatus(l->g->c) == CONNECTION_BAD ? -1 : count;
}

void store_listen_close(store_listener *l)
{
	if (l == NULL)
		return;
	pg_disconnect(l->g);
	free(l);
}
