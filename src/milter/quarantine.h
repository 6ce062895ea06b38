/*
 * quarantine.h - vigil's own quarantine store.
 *
 * Layout under the quarantine directory:
 *   msg/<id>.eml    the message exactly as the gateway received it
 *   msg/<id>.json   metadata: {"state": ..., "record": <store_msg JSON>,
 *                   "quarantined_ms", "released_ms", "released_by", ...}
 *   release.key     32 random bytes (0600), the key of release tokens
 * Every write is durable: written to a temporary file, fsync'ed, renamed
 * into place, and the directory fsync'ed. States: quarantined -> releasing
 * -> released, or -> deleted (the .eml is removed, the .json kept for the
 * record).
 *
 * Release re-injects the message through the MTA's sendmail (argv, never a
 * shell) with the original envelope and one added header
 *   X-Vigil-Release: <id> <hex HMAC-SHA256(release.key, id)>
 * vigil-milter sees that header on the re-injected message and asks
 * quar_release_seen(): the first time the token is valid it answers
 * QUAR_RELEASE_FIRST (deliver without scanning, state -> released); a
 * second copy gets QUAR_RELEASE_DUPLICATE (the milter discards it), so a
 * message is delivered exactly once even if a release is retried after a
 * crash; a forged or unknown token gets QUAR_RELEASE_INVALID (the message is
 * scanned like any other). State changes take an flock on <id>.json, so the
 * milter threads and the CLI cannot race.
 *
 * Ids are 32 lower-case hex characters (the message record's uid); any
 * other id is refused, so ids can never name a path outside the directory.
 */
#ifndef VIGIL_QUARANTINE_H
#define VIGIL_QUARANTINE_H

#include <stddef.h>
#include <stdint.h>

typedef struct quar quar;

enum {
	QUAR_OK = 0,
	QUAR_EINVAL = 1,
	QUAR_EIO = 2, /* disk full, permissions: the caller tempfails */
	QUAR_ENOTFOUND = 3,
	QUAR_ESTATE = 4, /* e.g. release of a message already released */
	QUAR_ESENDMAIL = 5,
};

enum { QUAR_RELEASE_FIRST = 0, QUAR_RELEASE_DUPLICATE = 1, QUAR_RELEASE_INVALID = 2 };

int quar_open(const char *dir, quar **out, char **err);
void quar_close(quar *q);

/*
 * Stores a message durably: its bytes (from fd, read from offset 0, when fd
 * >= 0; else from data/len) and record_json (store_msg_to_json of its
 * record). Returns QUAR_OK only once both files are on disk.
 */
int quar_put(quar *q, const char *id, int fd, const uint8_t *data, size_t len,
             const char *record_json, char **err);

/* Metadata of one message (JSON text, free()), or QUAR_ENOTFOUND. */
int quar_get(quar *q, const char *id, char **meta_json, char **err);
/* Path of the stored message bytes (free()), or NULL. */
char *quar_message_path(quar *q, const char *id);

/* Calls fn for every entry (newest first) with its metadata JSON. */
int quar_list(quar *q, void (*fn)(const char *id, const char *meta_json, void *arg), void *arg,
              char **err);

/*
 * Re-injects a quarantined message: sendmail_argv is the MTA's sendmail
 * command as an argv prefix (e.g. {"/usr/sbin/sendmail", "-C", "/x/etc",
 * NULL}); the envelope and "-G -i -f FROM -- RCPT..." are added. who is
 * recorded as released_by.
 */
int quar_release(quar *q, const char *id, const char *const *sendmail_argv, const char *who,
                 char **err);
int quar_delete(quar *q, const char *id, const char *who, char **err);

/* The milter's side of a release: see the module comment. */
int quar_release_seen(quar *q, const char *header_value);

/*
 * Added with the implementation (quarantine.c); nothing above changed.
 */
/* 1 if id is a quarantine id: exactly 32 lower-case hex characters. */
int quar_id_valid(const char *id);
/* English name of a QUAR_* error code, e.g. "wrong state". */
const char *quar_strerror(int code);

#endif
