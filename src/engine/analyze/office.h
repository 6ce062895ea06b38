/*
 * office.h - helpers shared by the Office analyzers (vba.c, office_*.c):
 * where an object sits inside its document, XML attributes and text, and
 * remote addresses. Nothing here keeps state.
 */
#ifndef VIGIL_ANALYZE_OFFICE_H
#define VIGIL_ANALYZE_OFFICE_H

#include "../internal.h"

#include "../../util/vbuf.h"

/*
 * o's path below its parent when the parent's type is ptype ("ole2",
 * "ooxml"): "word/document.xml", "Macros/VBA/dir"; NULL otherwise. *parent
 * (if not NULL) receives the parent.
 */
const char *office_rel(vigil_scan *s, const vigil_object *o, const char *ptype,
                       vigil_object **parent);

/* XML text with the five named entities and &#N; / &#xN; decoded, appended to b */
void office_xml_text(vbuf *b, const uint8_t *p, size_t n);

/*
 * The value of the attribute whose local name is `name` (any prefix: "w:instr"
 * matches "instr") in the start tag tag[0..n), decoded; NULL if absent.
 * Bounded to 4 KiB.
 */
char *office_attr(const uint8_t *tag, size_t n, const char *name);

/* the end of the tag starting at p[0] == '<' ('>' included), or 0 */
size_t office_tag_len(const uint8_t *p, size_t n);

/* true when tag p[0..n) (p[0] == '<') is element `local` with any prefix */
bool office_tag_is(const uint8_t *p, size_t n, const char *local);

/*
 * A target fetched from elsewhere: http(s), ftp, a UNC path (\\host\...),
 * file://host/..., WebDAV, or mhtml:/ms-*: handlers. Local paths are not.
 */
bool office_remote(const char *target);

/* http(s)/ftp URL -> message facts (URL and its host) */
void office_url_fact(vigil_scan *s, const char *url, size_t n);

#endif
