/*
 * notify.h - telling the people concerned: a notification in the UI for
 * every user whose scope covers one of the units, and an email to those who
 * have an address, through the local MTA's sendmail.
 *
 * notify_units() runs inside the transaction that made the change (the
 * notifications commit with it) and collects the emails; notify_send()
 * hands them to sendmail after the commit, from a thread of its own, so a
 * slow or broken MTA never holds a request or a transaction. sendmail gets
 * argv only (no shell); recipients are checked addresses; header values are
 * stripped of control characters and encoded (RFC 2047).
 */
#ifndef VIGIL_SERVER_NOTIFY_H
#define VIGIL_SERVER_NOTIFY_H

#include <glib.h>

#include "server.h"

struct notify_mail {
	char *to;
	char *subject;
	char *body;
};

/* a plausible mailbox address to hand to sendmail (no option, no space) */
bool notify_address_ok(const char *addr);

/*
 * Notifies every active user whose scope covers one of units (n of them),
 * except the actor; text_vi/text_en by the user's language. Emails are
 * appended to mails (struct notify_mail *, freed by notify_send).
 */
int notify_units(store_db *db, const struct vsrv *srv, int64_t incident, const char *const *units,
                 int n, const char *actor, const char *text_vi, const char *text_en,
                 GPtrArray *mails, char **err);

/* frees collected emails without sending them (the change was rolled back) */
void notify_free(GPtrArray *mails);

/* sends and frees the collected emails (asynchronously); takes mails */
void notify_send(const struct vsrv *srv, GPtrArray *mails);

#endif
