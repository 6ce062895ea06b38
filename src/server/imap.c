/*
 * imap.c - a bounded IMAP client for claw-back (imap.h).
 *
 * Commands are tagged "v1", "v2", ...; a response is read until the line
 * that starts with the command's tag. Untagged lines are kept for the
 * caller; a line that announces a literal ("{n}" at its end) has the n
 * bytes appended (bounded) before the line goes on. All return codes: 0 ok,
 * -1 failure with *err set.
 */
#include "imap.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LINE_MAX_BYTES (64u << 10)
#define ANSWER_MAX_BYTES (16u << 20)
#define MAX_FOLDERS 10000
#define MAX_UIDS 10000

struct imap {
	int fd;
	unsigned timeout_ms;
	unsigned tag;
	GString *in; /* bytes read, not yet consumed */
	bool broken;
};

static int fail(char **err, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static int fail(char **err, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && *err == NULL) {
		va_start(ap, fmt);
		*err = g_strdup_vprintf(fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int fill(imap *c, char **err)
{
	char buf[16384];
	struct pollfd p = {c->fd, POLLIN, 0};
	ssize_t n;
	int r = poll(&p, 1, (int)c->timeout_ms);

	if (r <= 0) {
		c->broken = true;
		return fail(err, "IMAP server did not answer in time");
	}
	n = read(c->fd, buf, sizeof buf);
	if (n <= 0) {
		c->broken = true;
		return fail(err, "IMAP connection closed");
	}
	g_string_append_len(c->in, buf, n);
	return 0;
}

/* one logical line (with literals inlined), without CRLF; NULL on error */
static char *read_line(imap *c, char **err)
{
	GString *line = g_string_new(NULL);

	for (;;) {
		char *nl = memchr(c->in->str, '\n', c->in->len);
		size_t len;

		if (nl == NULL) {
			if (c->in->len > LINE_MAX_BYTES || fill(c, err) != 0) {
				fail(err, "IMAP line too long or connection lost");
				g_string_free(line, TRUE);
				return NULL;
			}
			continue;
		}
		len = (size_t)(nl - c->in->str);
		g_string_append_len(line, c->in->str, len > 0 && nl[-1] == '\r' ? len - 1 : len);
		g_string_erase(c->in, 0, len + 1);
		if (line->len > LINE_MAX_BYTES) {
			fail(err, "IMAP line too long");
			g_string_free(line, TRUE);
			return NULL;
		}
		/* a literal: "{n}" at the end, n bytes follow */
		if (line->len > 2 && line->str[line->len - 1] == '}') {
			char *open = strrchr(line->str, '{');
			char *end;
			unsigned long n;

			if (open != NULL) {
				n = strtoul(open + 1, &end, 10);
				if (*end == '}' && end == line->str + line->len - 1) {
					if (n > LINE_MAX_BYTES) {
						fail(err, "IMAP literal too long");
						g_string_free(line, TRUE);
						return NULL;
					}
					while (c->in->len < n)
						if (fill(c, err) != 0) {
							g_string_free(line, TRUE);
							return NULL;
						}
					g_string_truncate(line, (gsize)(open - line->str));
					/* keep the literal quoted so names parse alike */
					g_string_append_c(line, '"');
					for (size_t i = 0; i < n; i++) {
						char ch = c->in->str[i];

						if (ch == '"' || ch == '\\')
							g_string_append_c(line, '\\');
						g_string_append_c(
						        line, ch == '\r' || ch == '\n' ? ' ' : ch);
					}
					g_string_append_c(line, '"');
					g_string_erase(c->in, 0, (gssize)n);
					continue;
				}
			}
		}
		return g_string_free(line, FALSE);
	}
}

/* a quoted string for a command; NULL if s cannot be sent */
static char *quote(const char *s)
{
	GString *q;

	if (s == NULL || strpbrk(s, "\r\n") != NULL || strlen(s) > 1000)
		return NULL;
	q = g_string_new("\"");
	for (const char *p = s; *p; p++) {
		if (*p == '"' || *p == '\\')
			g_string_append_c(q, '\\');
		g_string_append_c(q, *p);
	}
	g_string_append_c(q, '"');
	return g_string_free(q, FALSE);
}

/* sends a command; the untagged lines of its answer go to out (may be
 * NULL); returns 0 when the tagged answer is OK */
static int command(imap *c, const char *cmd, GPtrArray *out, char **err)
{
	char tag[16], *wire;
	size_t total = 0, off = 0, len;
	int rc = -1;

	if (c->broken)
		return fail(err, "IMAP connection already failed");
	g_snprintf(tag, sizeof tag, "v%u", ++c->tag);
	wire = g_strdup_printf("%s %s\r\n", tag, cmd);
	len = strlen(wire);
	while (off < len) {
		ssize_t n = write(c->fd, wire + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			c->broken = true;
			g_free(wire);
			return fail(err, "IMAP connection lost while sending");
		}
		off += (size_t)n;
	}
	g_free(wire);
	for (;;) {
		char *line = read_line(c, err);

		if (line == NULL)
			return -1;
		total += strlen(line);
		if (g_str_has_prefix(line, tag) && line[strlen(tag)] == ' ') {
			const char *st = line + strlen(tag) + 1;

			rc = g_str_has_prefix(st, "OK") ? 0 : fail(err, "IMAP: %.200s", st);
			g_free(line);
			return rc;
		}
		if (total > ANSWER_MAX_BYTES) {
			g_free(line);
			c->broken = true;
			return fail(err, "IMAP answer too large");
		}
		if (out != NULL && line[0] == '*' && out->len < MAX_FOLDERS * 2)
			g_ptr_array_add(out, line);
		else
			g_free(line);
	}
}

imap *imap_connect(const char *host, unsigned port, unsigned timeout_s, char **err)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
	char portstr[16];
	imap *c;
	char *greeting;
	int fd = -1;

	g_snprintf(portstr, sizeof portstr, "%u", port);
	if (getaddrinfo(host, portstr, &hints, &res) != 0 || res == NULL) {
		fail(err, "IMAP server %s:%u: no such address", host, port);
		return NULL;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
		fail(err, "IMAP server %s:%u: %s", host, port, g_strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		return NULL;
	}
	freeaddrinfo(res);
	c = g_new0(imap, 1);
	c->fd = fd;
	c->timeout_ms = (timeout_s ? timeout_s : 30) * 1000;
	c->in = g_string_new(NULL);
	greeting = read_line(c, err);
	if (greeting == NULL || !g_str_has_prefix(greeting, "* OK")) {
		fail(err, "IMAP server %s:%u: no greeting", host, port);
		g_free(greeting);
		imap_close(c);
		return NULL;
	}
	g_free(greeting);
	return c;
}

void imap_close(imap *c)
{
	if (c == NULL)
		return;
	if (!c->broken)
		(void)command(c, "LOGOUT", NULL, NULL);
	close(c->fd);
	g_string_free(c->in, TRUE);
	g_free(c);
}

int imap_login(imap *c, const char *user, const char *password, char **err)
{
	char *u = quote(user), *p = quote(password), *cmd;
	int rc;

	if (u == NULL || p == NULL) {
		g_free(u);
		g_free(p);
		return fail(err, "IMAP: the user name or password cannot be sent");
	}
	cmd = g_strdup_printf("LOGIN %s %s", u, p);
	rc = command(c, cmd, NULL, err);
	g_free(cmd);
	g_free(u);
	g_free(p);
	return rc;
}

/* the last token of a LIST line: a quoted string or an atom */
static char *list_name(const char *line)
{
	const char *p = line + strlen(line);
	GString *out;

	while (p > line && p[-1] == ' ')
		p--;
	if (p > line && p[-1] == '"') {
		const char *end = p - 1, *s = end;

		/* walk back to the opening quote, skipping escaped ones */
		while (s > line) {
			s--;
			if (*s == '"' && (s == line || s[-1] != '\\'))
				break;
		}
		out = g_string_new(NULL);
		for (const char *q = s + 1; q < end; q++) {
			if (*q == '\\' && q + 1 < end)
				q++;
			g_string_append_c(out, *q);
		}
		return g_string_free(out, FALSE);
	}
	{
		const char *s = p;

		while (s > line && s[-1] != ' ')
			s--;
		return g_strndup(s, (gsize)(p - s));
	}
}

GPtrArray *imap_list(imap *c, char **err)
{
	GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);

	if (command(c, "LIST \"\" \"*\"", lines, err) != 0) {
		g_ptr_array_unref(lines);
		g_ptr_array_unref(names);
		return NULL;
	}
	for (guint i = 0; i < lines->len && names->len < MAX_FOLDERS; i++) {
		const char *l = lines->pdata[i];

		if (!g_str_has_prefix(l, "* LIST "))
			continue;
		if (strstr(l, "\\Noselect") != NULL || strstr(l, "\\NonExistent") != NULL)
			continue;
		g_ptr_array_add(names, list_name(l));
	}
	g_ptr_array_unref(lines);
	return names;
}

int imap_select(imap *c, const char *folder, char **err)
{
	char *q = quote(folder), *cmd;
	int rc;

	if (q == NULL)
		return fail(err, "IMAP: folder name cannot be sent");
	cmd = g_strdup_printf("SELECT %s", q);
	rc = command(c, cmd, NULL, err);
	g_free(cmd);
	g_free(q);
	return rc;
}

GArray *imap_search_message_id(imap *c, const char *id, char **err)
{
	GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
	GArray *uids = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	char *bracketed = g_strdup_printf("<%s>", id ? id : ""), *q = quote(bracketed), *cmd;

	g_free(bracketed);

	if (q == NULL) {
		fail(err, "IMAP: Message-ID cannot be sent");
		goto bad;
	}
	cmd = g_strdup_printf("UID SEARCH HEADER Message-ID %s", q);
	/* q is the id in angle brackets (imap_search_message_id): exact, not a
	 * substring of a longer id */
	g_free(q);
	if (command(c, cmd, lines, err) != 0) {
		g_free(cmd);
		goto bad;
	}
	g_free(cmd);
	for (guint i = 0; i < lines->len; i++) {
		const char *l = lines->pdata[i];
		char **parts;

		if (!g_str_has_prefix(l, "* SEARCH"))
			continue;
		parts = g_strsplit(l + 8, " ", -1);
		for (char **p = parts; *p != NULL && uids->len < MAX_UIDS; p++) {
			char *end;
			unsigned long v = strtoul(*p, &end, 10);

			if (**p && *end == 0 && v > 0 && v <= UINT32_MAX) {
				uint32_t u = (uint32_t)v;

				g_array_append_val(uids, u);
			}
		}
		g_strfreev(parts);
	}
	g_ptr_array_unref(lines);
	return uids;
bad:
	g_ptr_array_unref(lines);
	g_array_free(uids, TRUE);
	return NULL;
}

int imap_seen(imap *c, uint32_t uid, char **err)
{
	GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
	char cmd[64];
	int seen = 0;

	g_snprintf(cmd, sizeof cmd, "UID FETCH %u (FLAGS)", uid);
	if (command(c, cmd, lines, err) != 0) {
		g_ptr_array_unref(lines);
		return -1;
	}
	for (guint i = 0; i < lines->len; i++)
		if (strstr(lines->pdata[i], "FETCH") && strstr(lines->pdata[i], "\\Seen"))
			seen = 1;
	g_ptr_array_unref(lines);
	return seen;
}

int imap_move(imap *c, uint32_t uid, const char *to, char **err)
{
	char *q = quote(to), *cmd;
	int rc;

	if (q == NULL)
		return fail(err, "IMAP: folder name cannot be sent");
	cmd = g_strdup_printf("UID MOVE %u %s", uid, q);
	rc = command(c, cmd, NULL, err);
	g_free(cmd);
	g_free(q);
	return rc;
}

int imap_create(imap *c, const char *folder, char **err)
{
	char *q = quote(folder), *cmd, *e = NULL;
	int rc;

	if (q == NULL)
		return fail(err, "IMAP: folder name cannot be sent");
	cmd = g_strdup_printf("CREATE %s", q);
	rc = command(c, cmd, NULL, &e);
	/* [ALREADYEXISTS] (RFC 5530) or a server's own words for it */
	if (rc != 0 && e != NULL && (strstr(e, "ALREADYEXISTS") || strstr(e, "already exists")))
		rc = 0;
	else if (rc != 0)
		fail(err, "%s", e ? e : "IMAP CREATE failed");
	g_free(e);
	g_free(cmd);
	g_free(q);
	return rc;
}
