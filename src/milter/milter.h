/*
 * milter.h - the milter process of vigil-milter (see milter.c).
 */
#ifndef VIGIL_MILTER_MILTER_H
#define VIGIL_MILTER_MILTER_H

#include "config.h"
#include "pool.h"

/* Runs libmilter until it is stopped; returns the exit status. */
int milter_run(struct milter_config *c, pool *p);
/* Becomes user (if running as root and user is set). */
int milter_drop_privileges(const char *user, char **err);

#endif
