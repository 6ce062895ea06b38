/*
 * log.h - structured logs: one JSON object per line (a SIEM ingests them
 * as they are). Safe from any thread and any process (one write() per
 * line on an O_APPEND descriptor).
 */
#ifndef VIGIL_MILTER_LOG_H
#define VIGIL_MILTER_LOG_H

#include <jansson.h>

enum { VLOG_DEBUG = 0, VLOG_INFO, VLOG_WARN, VLOG_ERROR };

/* "stderr" or a file path; returns 0 or -1 (errno) */
int vlog_open(const char *where, const char *level);
int vlog_level_parse(const char *s);

void vlog(int level, const char *component, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
#define vlog_info(c, ...) vlog(VLOG_INFO, c, __VA_ARGS__)
#define vlog_warn(c, ...) vlog(VLOG_WARN, c, __VA_ARGS__)
#define vlog_error(c, ...) vlog(VLOG_ERROR, c, __VA_ARGS__)
#define vlog_debug(c, ...) vlog(VLOG_DEBUG, c, __VA_ARGS__)

/* Logs an event object (fields are added: ts, level, component); takes obj. */
void vlog_event(int level, const char *component, json_t *obj);

#endif
