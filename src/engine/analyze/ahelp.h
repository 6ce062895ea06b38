/*
 * ahelp.h - small helpers shared by the Windows analyzers (pe.c, lnk.c,
 * script.c): catalogue findings with the ATT&CK ids of this instance,
 * bounded UTF-16LE and base64 decoding, snippets for evidence, URL and IP
 * facts from strings, and the lower-case search the rule tables use.
 *
 * Everything here is bounded by the caller's limits; nothing keeps state.
 */
#ifndef VIGIL_ANALYZE_AHELP_H
#define VIGIL_ANALYZE_AHELP_H

#include "../internal.h"

#include "../../util/vbuf.h"

/*
 * A catalogue finding whose ATT&CK ids are those of this instance (e.g. the
 * one LOLBin a shortcut runs) rather than the catalogue's list; attack NULL
 * or "" keeps the catalogue's.
 */
void ahelp_finding(vigil_scan *s, const vigil_object *o, finding_kind k, const char *attack,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * UTF-16LE to UTF-8 (malloc'ed, NUL-terminated, at most maxout bytes
 * before the NUL). Unpaired surrogates become U+FFFD; a NUL code unit ends
 * the text when stop_at_nul.
 */
char *ahelp_utf16le(const uint8_t *p, size_t n, size_t maxout, bool stop_at_nul, size_t *outlen);

/*
 * Base64 (RFC 4648, also the URL-safe alphabet) to bytes, skipping blanks;
 * stops at the first other byte or '='. malloc'ed, at most maxout bytes;
 * NULL when nothing decoded.
 */
uint8_t *ahelp_b64(const uint8_t *p, size_t n, size_t maxout, size_t *outlen);

/* True if most of p looks like UTF-16LE text (for base64 payloads). */
bool ahelp_looks_utf16le(const uint8_t *p, size_t n);

/* Appends p[at..at+len) with some context, blanks folded, to b (bounded). */
void ahelp_snippet(vbuf *b, const uint8_t *p, size_t n, size_t at, size_t len, size_t ctx);

/*
 * URLs (http, https, ftp) and bare IPv4 addresses with a port in text:
 * recorded as URL and DOMAIN facts. Hosts of well-known signing and schema
 * infrastructure are skipped. Returns how many "interesting" ones (not
 * skipped) were seen; *first (if not NULL) gets a copy of the first one.
 */
unsigned ahelp_url_facts(vigil_scan *s, const uint8_t *p, size_t n, char **first);

/* ASCII lower-case copy of p[0..n) (malloc'ed, NUL-terminated). */
uint8_t *ahelp_lower(const uint8_t *p, size_t n);

/* memmem on bytes; -1 if absent */
long ahelp_find(const uint8_t *hay, size_t n, size_t from, const char *needle);

/* letters, digits, '_': what continues an identifier */
static inline bool ahelp_word(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

/* needle found as a whole word (no identifier byte on either side) */
long ahelp_find_word(const uint8_t *hay, size_t n, size_t from, const char *needle);

#endif
