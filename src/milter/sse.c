/*
 * sse.c - server-sent events parser (sse.h).
 *
 * One line buffer and one event's buffers (type, data, id), all GStrings
 * bounded by the limits; owned by struct sse. The state between calls is
 * the partial line and whether the previous piece ended in CR.
 */
#include "sse.h"

#include <glib.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct sse {
	sse_event_fn fn;
	void *ctx;
	GString *line;
	GString *type, *data, *id;
	bool have_data;
	bool after_cr; /* the last byte was CR: an LF next is the same line end */
	long retry;
	bool failed;
};

struct sse *sse_new(sse_event_fn fn, void *ctx)
{
	struct sse *p = g_new0(struct sse, 1);

	p->fn = fn;
	p->ctx = ctx;
	p->line = g_string_new(NULL);
	p->type = g_string_new(NULL);
	p->data = g_string_new(NULL);
	p->id = g_string_new(NULL);
	p->retry = -1;
	return p;
}

void sse_free(struct sse *p)
{
	if (p == NULL)
		return;
	g_string_free(p->line, TRUE);
	g_string_free(p->type, TRUE);
	g_string_free(p->data, TRUE);
	g_string_free(p->id, TRUE);
	g_free(p);
}

long sse_retry_ms(const struct sse *p)
{
	return p->retry;
}

static int dispatch(struct sse *p)
{
	int rc = 0;

	if (p->have_data) {
		/* the data buffer ends with the '\n' of its last line */
		if (p->data->len > 0)
			g_string_truncate(p->data, p->data->len - 1);
		rc = p->fn(p->ctx, p->type->len ? p->type->str : "message", p->data->str,
		           p->data->len, p->id->str);
	}
	g_string_truncate(p->type, 0);
	g_string_truncate(p->data, 0);
	p->have_data = false;
	return rc;
}

static int line(struct sse *p)
{
	const char *l = p->line->str, *colon, *val;
	size_t n = p->line->len, flen, vlen;

	if (n == 0)
		return dispatch(p);
	if (l[0] == ':')
		return 0; /* a comment: keep-alives */
	colon = memchr(l, ':', n);
	flen = colon ? (size_t)(colon - l) : n;
	val = colon ? colon + 1 : l + n;
	if (colon && *val == ' ')
		val++;
	vlen = (size_t)(l + n - val);
	if (flen == 5 && memcmp(l, "event", 5) == 0) {
		g_string_truncate(p->type, 0);
		g_string_append_len(p->type, val, (gssize)vlen);
	} else if (flen == 4 && memcmp(l, "data", 4) == 0) {
		if (vlen + 1 > SSE_MAX_DATA - p->data->len)
			return -1;
		g_string_append_len(p->data, val, (gssize)vlen);
		g_string_append_c(p->data, '\n');
		p->have_data = true;
	} else if (flen == 2 && memcmp(l, "id", 2) == 0) {
		if (memchr(val, 0, vlen) == NULL) {
			g_string_truncate(p->id, 0);
			g_string_append_len(p->id, val, (gssize)vlen);
		}
	} else if (flen == 5 && memcmp(l, "retry", 5) == 0) {
		if (vlen > 0 && vlen <= 9 && strspn(val, "0123456789") >= vlen)
			p->retry = strtol(val, NULL, 10);
	}
	return 0;
}

int sse_feed(struct sse *p, const char *buf, size_t n)
{
	if (p->failed)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char ch = buf[i];

		if (ch == '\n' && p->after_cr) {
			p->after_cr = false;
			continue;
		}
		p->after_cr = ch == '\r';
		if (ch == '\n' || ch == '\r') {
			int rc = line(p);

			g_string_truncate(p->line, 0);
			if (rc != 0) {
				p->failed = true;
				return -1;
			}
			continue;
		}
		if (p->line->len >= SSE_MAX_LINE) {
			p->failed = true;
			return -1;
		}
		g_string_append_c(p->line, ch);
	}
	return 0;
}
