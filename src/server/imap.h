/*
 * imap.h - the small IMAP4rev1 client claw-back needs (RFC 3501, MOVE of
 * RFC 6851): log in (as a Dovecot master user on behalf of a mailbox), list
 * folders, find a message by its Message-ID in a folder, read its flags,
 * move it to another folder, create a folder.
 *
 * Plain TCP to a server the operator configures (loopback or the mail
 * network; put TLS in front otherwise). Everything read is bounded: a
 * response line 64 KiB, a literal 64 KiB, a command's whole answer 16 MiB,
 * 10,000 folders, 10,000 UIDs per search; a deadline per command. Strings
 * we send are quoted; a value with CR, LF or NUL is refused, never sent.
 */
#ifndef VIGIL_SERVER_IMAP_H
#define VIGIL_SERVER_IMAP_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct imap imap;

/* connects and reads the greeting; NULL with *err set */
imap *imap_connect(const char *host, unsigned port, unsigned timeout_s, char **err);
void imap_close(imap *c); /* LOGOUT and close */

int imap_login(imap *c, const char *user, const char *password, char **err);
/* folder names (char *), at most 10,000 */
GPtrArray *imap_list(imap *c, char **err);
int imap_select(imap *c, const char *folder, char **err);
/* UIDs of messages whose Message-ID header contains id (without <>) */
GArray *imap_search_message_id(imap *c, const char *id, char **err);
/* 1 if the message has \Seen, 0 if not, -1 on error */
int imap_seen(imap *c, uint32_t uid, char **err);
int imap_move(imap *c, uint32_t uid, const char *to, char **err);
/* creates folder; an existing one is fine */
int imap_create(imap *c, const char *folder, char **err);

#endif
