/*
 * tr.h - vigild's user-facing messages in the caller's language.
 *
 * The English text is the id; tr("vi", id) gives the Vietnamese text, or the
 * id itself when there is none. The language of an API answer comes from the
 * request's Accept-Language ("vi…" → Vietnamese, anything else → English);
 * the web UI sends the language it shows.
 */
#ifndef VIGIL_SERVER_TR_H
#define VIGIL_SERVER_TR_H

struct tr_pair {
	const char *en;
	const char *vi;
};

extern const struct tr_pair tr_vi[]; /* ends with {NULL, NULL} */

const char *tr(const char *lang, const char *en);

#endif
