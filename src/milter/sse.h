/*
 * sse.h - a parser for server-sent events (the WHATWG HTML "event stream"
 * format), for vigil-milter's block subscriber (blocksub.c).
 *
 * Bytes go in as they arrive, in pieces of any size; each complete event
 * (a blank line after "event:", "data:" and "id:" fields) is handed to the
 * callback. Lines end with LF, CRLF or CR (a CR at the end of one piece and
 * an LF at the start of the next are one line end). Comments (":") and
 * unknown fields are skipped; "retry:" is kept for the caller.
 *
 * Limits: a line is at most SSE_MAX_LINE bytes and an event's data at most
 * SSE_MAX_DATA; past either, sse_feed() fails and the caller drops the
 * connection (vigild never sends such events, so it is not vigild).
 */
#ifndef VIGIL_MILTER_SSE_H
#define VIGIL_MILTER_SSE_H

#include <stddef.h>

#define SSE_MAX_LINE (64u << 10)
#define SSE_MAX_DATA (256u << 10)

struct sse;

/*
 * event: the event type ("message" when none was given); data: the data
 * lines joined by '\n' (len bytes, NUL-terminated); id: the last event id
 * seen so far on the stream ("" if none). Returns 0 to go on, anything else
 * to stop: sse_feed() then returns -1.
 */
typedef int (*sse_event_fn)(void *ctx, const char *event, const char *data, size_t len,
                            const char *id);

struct sse *sse_new(sse_event_fn fn, void *ctx);
void sse_free(struct sse *p);
/* 0, or -1 (a limit was passed, or the callback said stop) */
int sse_feed(struct sse *p, const char *buf, size_t n);
/* the last "retry:" in milliseconds, or -1 */
long sse_retry_ms(const struct sse *p);

#endif
