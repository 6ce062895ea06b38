/*
 * scanjson.h - a scan's result as JSON (jansson), shared by the CLI and the
 * milter's scan workers.
 */
#ifndef VIGIL_SCANJSON_H
#define VIGIL_SCANJSON_H

#include <jansson.h>

#include "vigil/vigil.h"

/* path: the input as the caller names it; lang: language of finding titles */
json_t *scanjson(const vigil_scan *s, const char *path, vigil_lang lang);

#endif
