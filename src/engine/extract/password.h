/*
 * password.h - candidate archive passwords from the text of a message.
 *
 * mime.c defers each message (password_defer) before it emits any part; the
 * first encrypted archive below it (vscan_passwords) reads every deferred
 * message, so archive.c finds the candidates whatever the order of the parts
 * (a body may follow its attachment). See password.c.
 */
#ifndef VIGIL_ENGINE_PASSWORD_H
#define VIGIL_ENGINE_PASSWORD_H

#include <gmime/gmime.h>

#include "../internal.h"

/* every text/plain and text/html part (and the subject) of m */
void password_collect_message(vigil_scan *s, GMimeMessage *m);

/* m's candidates are wanted if an archive below it is encrypted: keep a
 * reference until password_forget(), read it on the first vscan_passwords() */
void password_defer(vigil_scan *s, GMimeMessage *m);
void password_forget(vigil_scan *s, GMimeMessage *m);

/*
 * One UTF-8 text (html: markup is stripped first). keywords: the word after
 * "password", "mật khẩu", ...; fallback: every word of 4..32 bytes of a short
 * text. Call all texts with keywords first, then with fallback, so that the
 * likely candidates are not crowded out of the bounded list.
 */
void password_collect_text(vigil_scan *s, const char *text, size_t n, bool html, bool keywords,
                           bool fallback);

#endif
