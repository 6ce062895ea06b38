/*
 * log.c - JSON-lines logging for vigil-milter and its workers.
 *
 * Each line: {"ts":"2026-11-27T21:00:00.123Z","level":"info",
 * "component":"milter","msg":"..."} plus event fields. Values come from
 * message data only after the engine's sanitiser or as JSON strings, so a
 * hostile subject cannot forge a log line (jansson escapes control bytes).
 */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int log_fd = 2;
static int log_level = VLOG_INFO;

static const char *const names[] = {"debug", "info", "warn", "error"};

int vlog_level_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (s != NULL && strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

int vlog_open(const char *where, const char *level)
{
	int l = vlog_level_parse(level);

	if (l >= 0)
		log_level = l;
	if (where == NULL || *where == 0 || strcmp(where, "stderr") == 0) {
		log_fd = 2;
		return 0;
	}
	{
		int fd = open(where, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);

		if (fd < 0)
			return -1;
		log_fd = fd;
	}
	return 0;
}

static void stamp(char *buf, size_t n)
{
	struct timeval tv;
	struct tm tm;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
	         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(tv.tv_usec / 1000));
}

void vlog_event(int level, const char *component, json_t *obj)
{
	char ts[96];
	char *line;
	size_t len;

	if (level < log_level || obj == NULL) {
		json_decref(obj);
		return;
	}
	stamp(ts, sizeof ts);
	json_object_set_new(obj, "ts", json_string(ts));
	json_object_set_new(obj, "level", json_string(names[level & 3]));
	json_object_set_new(obj, "component", json_string(component));
	line = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
	json_decref(obj);
	if (line == NULL)
		return;
	len = strlen(line);
	line[len] = '\n';
	/* one write per line keeps lines whole between threads and processes */
	(void)!write(log_fd, line, len + 1);
	free(line);
}

void vlog(int level, const char *component, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	json_t *o;

	if (level < log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	o = json_object();
	{
		json_t *m = json_string(msg);

		json_object_set_new(o, "msg", m != NULL ? m : json_string("(message not UTF-8)"));
	}
	vlog_event(level, component, o);
}
