/*
 * drill_int.h - helpers shared by the modules of src/drill/ (not installed,
 * not for other parts of vigil).
 */
#ifndef VIGIL_DRILL_INT_H
#define VIGIL_DRILL_INT_H

#include <glib.h>

#include "drill.h"

/* Sets err's code and where and clears the texts (err may be NULL). */
void drill_err_where(drill_error *err, int code, const char *where);

/* Fills err with fixed texts. */
void drill_err_text(drill_error *err, int code, const char *where, const char *en, const char *vi);

/* Fills err with literal formats for both languages (same arguments). */
#define DRILL_FAIL(err, code, where, enfmt, vifmt, ...)                                            \
	do {                                                                                       \
		drill_error *e_ = (err);                                                           \
		drill_err_where(e_, (code), (where));                                              \
		if (e_ != NULL) {                                                                  \
			g_snprintf(e_->en, sizeof e_->en, enfmt, __VA_ARGS__);                     \
			g_snprintf(e_->vi, sizeof e_->vi, vifmt, __VA_ARGS__);                     \
		}                                                                                  \
	} while (0)

/* a plain addr-spec local@domain (scenario.c) */
int drill_address_ok(const char *s);

/* the placeholder names of scenario texts, NULL-terminated */
extern const char *const drill_placeholders[];

/* ASCII helpers that do not depend on the locale */
static inline int drill_is_lower_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

#endif
