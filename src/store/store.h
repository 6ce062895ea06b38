/*
 * store.h - vigil's record store: one interface, two back ends.
 *
 *   SQLite      "sqlite:/path/vigil.db" or a plain path (the default;
 *               WAL mode; one file under the data folder)
 *   PostgreSQL  "postgresql://user:pass@host:port/db" or "postgres://..."
 *               (libpq connection URI), for more than one machine
 *
 * store_open() connects and applies the versioned schema migrations
 * (store/migrations.c) in one transaction each, so every program starts on
 * the current schema. Every store_* call is safe to use from several
 * threads on one handle (the back ends serialise internally).
 *
 * The message record is what the gateway saw of one message; it is the index
 * that hunts and claw-back search later. All strings in records are UTF-8
 * (the engine sanitises them); a record's fields are copied by the store, so
 * the caller keeps ownership of what it passes in.
 *
 * Errors: 0 is success; STORE_EUNAVAILABLE means the back end could not be
 * reached or failed (the caller journals the record and replays it later),
 * STORE_EINVAL a bad argument, STORE_ECONFLICT a duplicate uid (a replayed
 * record already stored: treat as success). *err, if not NULL, receives a
 * message to free with free().
 */
#ifndef VIGIL_STORE_H
#define VIGIL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct store store;

/*
 * Bounds (bytes, lists). A longer string is clipped at a UTF-8 character
 * boundary and a longer list is cut, and the stored record is marked
 * clipped ("clipped": true in store_get_message_json): a record is never
 * refused for its size, so a hostile message cannot cost its own record.
 * Strings that are not valid UTF-8 have the bad bytes replaced by U+FFFD.
 */
#define STORE_MAX_SHORT 255   /* gateway, queue/quarantine id, client, types, ids, domains */
#define STORE_MAX_ADDR 512    /* mail addresses */
#define STORE_MAX_HEADER 998  /* Message-ID, Date (a header line's limit) */
#define STORE_MAX_NAME 1024   /* attachment name, finding title, ATT&CK ids */
#define STORE_MAX_TEXT 4096   /* subject, object paths, evidence */
#define STORE_MAX_URL 8192    /* URLs */
#define STORE_MAX_ITEMS 10000 /* entries per list (recipients, attachments, ...) */

enum {
	STORE_OK = 0,
	STORE_EINVAL = 1,
	STORE_EUNAVAILABLE = 2,
	STORE_ECONFLICT = 3,
	STORE_ENOTFOUND = 4,
};

/* "success", "store unavailable", ... */
const char *store_strerror(int rc);

struct store_attachment {
	const char *path;   /* object path in the scan tree, e.g. "msg/2:a.zip/b.exe" */
	const char *name;   /* declared name, or NULL */
	const char *type;   /* vigil type from content ("pe", "zip", ...) */
	const char *mime;   /* MIME type from content */
	const char *sha256; /* lower-case hex */
	const char *sha1;
	const char *md5;
	uint64_t size;
	unsigned depth;
};

struct store_finding {
	const char *id;       /* "yara.X", "ioc.hash", ... */
	const char *severity; /* info|low|medium|high|critical */
	const char *title;    /* English title */
	const char *object;   /* object path */
	const char *attack;   /* comma-separated ATT&CK ids, or "" */
	const char *evidence;
};

struct store_msg {
	const char *uid;        /* vigil's id of this record (unique; 32 hex chars) */
	const char *gateway;    /* which gateway saw it */
	const char *queue_id;   /* Postfix queue id, or NULL */
	const char *message_id; /* Message-ID without <>, or NULL */
	const char *date_header;
	int64_t received_ms;   /* when the gateway got it (Unix ms) */
	const char *direction; /* "inbound", "outbound" or "release" */
	const char *client_addr;
	const char *env_from;
	const char *const *env_rcpts;
	size_t n_env_rcpts;
	const char *const *hdr_from;
	size_t n_hdr_from;
	const char *const *hdr_to; /* To and Cc */
	size_t n_hdr_to;
	const char *subject;
	const struct store_attachment *atts; /* every object but the root */
	size_t n_atts;
	const char *const *urls;
	size_t n_urls;
	const char *const *domains;
	size_t n_domains;
	const char *verdict; /* clean|suspicious|malicious|error */
	int score;
	const char *action;        /* accept|tag|quarantine|hold|reject|tempfail|discard */
	const char *quarantine_id; /* or NULL */
	const struct store_finding *finds;
	size_t n_finds;
	uint64_t size;
	double scan_ms;
	int drill; /* 1 if the message is drill traffic */
};

int store_open(const char *url, store **out, char **err);
void store_close(store *st);
/* "sqlite" or "postgresql" */
const char *store_backend(const store *st);
/* Current schema version (after migrations). */
int store_schema_version(store *st);

/* Stores one message record and everything under it in one transaction. */
int store_put_message(store *st, const struct store_msg *m, char **err);

/*
 * Reads a record back, as JSON text (the same shape store_msg_to_json
 * produces), into *json (free with free()). Used by tests, the CLI and the
 * journal; hunts get their own queries later.
 */
int store_get_message_json(store *st, const char *uid, char **json, char **err);
/* Number of message records (all, or with this verdict if not NULL). */
int store_count_messages(store *st, const char *verdict, int64_t *count, char **err);

/*
 * Hunts (hunt.c): every record matching all the given criteria (NULL / 0 /
 * -1: not used), newest first, a page of at most `limit` (≤ 5000) after
 * `offset`, with the total. At least one indexed criterion (a hash, a
 * sender address or domain, a domain or URL, a Message-ID) or a full date
 * range is required (STORE_EINVAL otherwise): the subject only narrows.
 */
struct store_hunt {
	const char *sha256, *md5, *sha1; /* of any object of the message */
	const char *sender;              /* envelope or From: address, any case */
	const char *sender_domain;       /* envelope or From: domain */
	const char *domain;              /* a domain or URL host in the message */
	const char *url;                 /* an exact URL */
	const char *message_id;          /* without <> */
	const char *subject;             /* substring, any (ASCII) case */
	int64_t from_ms, to_ms;          /* received in [from, to) */
	int drill;                       /* 0, 1, or -1: both */
	size_t limit, offset;
};

struct store_hunt_hit {
	int64_t id;
	char *uid, *gateway, *queue_id, *message_id, *env_from, *subject, *verdict, *action,
	        *direction;
	int64_t received_ms;
	bool drill;
	struct _GPtrArray *rcpts; /* char *: the envelope recipients */
};

struct store_hunt_result {
	struct store_hunt_hit *hits;
	size_t n;
	int64_t total;
};

int store_hunt(store *st, const struct store_hunt *q, struct store_hunt_result *out, char **err);
void store_hunt_result_free(struct store_hunt_result *r);

/* JSON (de)serialisation of a record, for the journal and the API. */
char *store_msg_to_json(const struct store_msg *m);
/*
 * Parses JSON back into a record whose strings live in *arena (free it
 * with store_msg_free_parsed). Returns NULL if the JSON is not a record.
 */
struct store_msg *store_msg_from_json(const char *json, void **arena);
void store_msg_free_parsed(struct store_msg *m, void *arena);

/*
 * The journal: when the store is unavailable, records are appended (one
 * JSON line each, fsync'ed) to a file in dir, and replayed in order later.
 * Nothing is lost: a line is removed only after the store took it.
 *
 * Layout of dir (created if missing; one process at a time: journal_open
 * takes an flock on dir/lock and fails with STORE_EUNAVAILABLE if another
 * process holds it):
 *   NNNNNNNNNNNNNNNNNNNN.jsonl  segments, replayed in numeric order; each
 *                               process appends to a new one, and a replay
 *                               starts a new one, so a torn tail left by a
 *                               crash is never appended to
 *   replay.pos                  how far replay got in the oldest segment
 *   rejected.jsonl              lines replay could not store: torn (a crash
 *                               in the middle of an append), not a record,
 *                               or refused by the store as invalid; kept
 *                               for an operator, each reported as a warning
 * A line is at most JOURNAL_MAX_LINE bytes; a longer one (never written by
 * journal_append) is skipped with a warning. A record already in the store
 * (a crash between the store taking it and replay.pos moving on) counts as
 * taken: duplicates are refused by uid.
 */
#define JOURNAL_MAX_LINE (64u << 20)

typedef struct journal journal;
int journal_open(const char *dir, journal **out, char **err);
void journal_close(journal *j);
/*
 * Appends one record durably (written and fdatasync'ed before it returns).
 * STORE_EUNAVAILABLE: the disk refused it (the caller must not accept the
 * message); STORE_EINVAL: no record, or its JSON exceeds JOURNAL_MAX_LINE.
 * Safe from several threads.
 */
int journal_append(journal *j, const struct store_msg *m, char **err);
/* Records waiting (a torn last line counts until replay skips it). */
size_t journal_pending(journal *j);
/*
 * Replays waiting records into st in order; stops at the first one the
 * store cannot take (it stays for the next try). Returns how many went in.
 * Lines that can never go in are moved to rejected.jsonl, not retried.
 */
size_t journal_replay(journal *j, store *st);
/* Lines replay skipped (torn, not a record, invalid) since journal_open. */
size_t journal_skipped(journal *j);
/* Where replay's warnings go (default: one line each on stderr). */
typedef void (*journal_log_fn)(void *ctx, const char *msg);
void journal_set_log(journal *j, journal_log_fn fn, void *ctx);

#endif
