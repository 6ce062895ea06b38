/*
 * message.c - a scenario's drill mail for one recipient (decision 0014).
 *
 * The message is built as bytes (CRLF) and handed to the MTA as is, so it
 * must be a message every client reads the same way: headers in ASCII with
 * RFC 2047 encoded words for Vietnamese text (B encoding, words of at most
 * 75 characters, split on character boundaries), attachment names in RFC
 * 2231 form, every body part base64 (no 8-bit transport needed), the drill
 * marker header signed with the shared key.
 *
 *   multipart/mixed
 *     multipart/alternative: text/plain, text/html (placeholders filled)
 *     the simulant (simulant.c), when the scenario has one
 *
 * Recipient fields come from the organisation directory and the round's
 * target list: they are checked (length, UTF-8, no control characters, a
 * plain address) before anything is built, so nothing a directory entry
 * holds can add a header line. In the HTML body they are escaped.
 *
 * Times are Vietnam time (UTC+7, no daylight saving) whatever the machine's
 * zone: staff read "{{date}}" as their own calendar date.
 *
 * Limits: recipient name and unit 200 bytes; the message DRILL_MSG_MAX.
 */
#include <string.h>

#include "drill_int.h"

#define FIELD_MAX 200
#define DRILL_MSG_MAX (8u << 20)
#define VN_OFFSET (7 * 3600)

static int text_ok(const char *s)
{
	size_t n;

	if (s == NULL)
		return 1;
	n = strlen(s);
	if (n > FIELD_MAX || !g_utf8_validate(s, (gssize)n, NULL))
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

static int is_ascii_printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/* ---- headers ---- */

/*
 * Appends text as RFC 2047 B-encoded words ("=?UTF-8?B?...?="), at most 45
 * bytes of text (60 of base64, 75 in all) per word, never splitting a
 * character; words after the first start a folded line.
 */
static void put_encoded_words(GString *out, const char *s)
{
	const char *p = s, *end = s + strlen(s);
	int first = 1;

	while (p < end) {
		const char *q = p, *q3 = NULL;
		char *b64;

		while (q < end) {
			const char *next = g_utf8_next_char(q);

			if (next - p > 45)
				break;
			q = next;
			if ((q - p) % 3 == 0 && q - p >= 15)
				q3 = q;
		}
		/*
		 * Prefer a word of whole base64 quanta (no '=' padding) unless it
		 * is the last: GMime and others join adjacent words of the same
		 * charset before decoding (a character may be split across words
		 * by other writers), and padding in the middle ends their decode.
		 */
		if (q < end && q3 != NULL)
			q = q3;
		if (q == p) /* cannot happen with valid UTF-8; never loop */
			q = p + 1;
		b64 = g_base64_encode((const guchar *)p, (gsize)(q - p));
		if (!first)
			g_string_append(out, "\r\n ");
		g_string_append_printf(out, "=?UTF-8?B?%s?=", b64);
		g_free(b64);
		first = 0;
		p = q;
	}
}

/* unstructured text (Subject): as is when plain ASCII without "=?", else encoded */
static void put_unstructured(GString *out, const char *s)
{
	if (is_ascii_printable(s) && strstr(s, "=?") == NULL && strlen(s) <= 900)
		g_string_append(out, s);
	else
		put_encoded_words(out, s);
}

/* characters on the line being written */
static size_t line_len(const GString *out)
{
	size_t i = out->len;

	while (i > 0 && out->str[i - 1] != '\n')
		i--;
	return out->len - i;
}

/* "Name" <addr> with the name quoted or encoded as a phrase needs */
static void put_mailbox(GString *out, const char *name, const char *addr)
{
	if (name != NULL && *name) {
		if (is_ascii_printable(name) && strstr(name, "=?") == NULL) {
			g_string_append_c(out, '"');
			for (const char *p = name; *p; p++) {
				if (*p == '"' || *p == '\\')
					g_string_append_c(out, '\\');
				g_string_append_c(out, *p);
			}
			g_string_append_c(out, '"');
		} else {
			put_encoded_words(out, name);
		}
		/* fold before the address rather than pass 78 characters */
		g_string_append(out, line_len(out) + strlen(addr) + 3 > 78 ? "\r\n " : " ");
	}
	g_string_append_printf(out, "<%s>", addr);
}

/* RFC 2231 extended parameter: key*=UTF-8''percent-encoded */
static void put_param_2231(GString *out, const char *key, const char *value)
{
	if (is_ascii_printable(value) && strpbrk(value, "\"\\") == NULL) {
		g_string_append_printf(out, "%s=\"%s\"", key, value);
		return;
	}
	g_string_append_printf(out, "%s*=UTF-8''", key);
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if (g_ascii_isalnum(*p) || strchr("!#$&+-.^_`|~", *p) != NULL)
			g_string_append_c(out, (char)*p);
		else
			g_string_append_printf(out, "%%%02X", *p);
	}
}

static void put_base64_body(GString *out, const void *p, size_t n)
{
	char *b64 = g_base64_encode(p, n);
	size_t l = strlen(b64);

	for (size_t i = 0; i < l; i += 76) {
		g_string_append_len(out, b64 + i, (gssize)(l - i < 76 ? l - i : 76));
		g_string_append(out, "\r\n");
	}
	g_free(b64);
}

/* ---- placeholders ---- */

struct vals {
	const char *v[6]; /* in drill_placeholders order */
};

static void put_html_escaped(GString *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			g_string_append(out, "&lt;");
			break;
		case '>':
			g_string_append(out, "&gt;");
			break;
		case '&':
			g_string_append(out, "&amp;");
			break;
		case '"':
			g_string_append(out, "&quot;");
			break;
		case '\'':
			g_string_append(out, "&#39;");
			break;
		default:
			g_string_append_c(out, *s);
		}
	}
}

/* the scenario was checked at load: every {{...}} is one we know */
static char *fill(const char *tpl, const struct vals *v, int html, int crlf)
{
	GString *out = g_string_new(NULL);
	const char *p = tpl;

	while (*p) {
		if (p[0] == '{' && p[1] == '{') {
			const char *close = strstr(p + 2, "}}");
			int done = 0;

			for (size_t k = 0; close != NULL && drill_placeholders[k] != NULL; k++) {
				size_t n = strlen(drill_placeholders[k]);

				if ((size_t)(close - (p + 2)) == n &&
				    memcmp(p + 2, drill_placeholders[k], n) == 0) {
					if (html)
						put_html_escaped(out, v->v[k]);
					else
						g_string_append(out, v->v[k]);
					p = close + 2;
					done = 1;
					break;
				}
			}
			if (done)
				continue;
		}
		if (crlf && *p == '\n')
			g_string_append_c(out, '\r');
		g_string_append_c(out, *p++);
	}
	return g_string_free(out, FALSE);
}

/* ---- the message ---- */

static void vn_time(time_t when, struct tm *tm)
{
	time_t t = when + VN_OFFSET;

	gmtime_r(&t, tm);
}

int drill_message_build_at(const drill_scenario *sc, const uint8_t key[DRILL_KEY_LEN],
                           const char *ref, const char *token, const struct drill_recipient *to,
                           const char *base_url, time_t when, uint8_t **bytes, size_t *len,
                           drill_error *err)
{
	static const char *const wday[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	char marker[DRILL_MARKER_MAX], date[16], link[300], pixel[300], base[256];
	const char *domain;
	uint8_t *att = NULL;
	size_t att_len = 0;
	struct tm tm;
	struct vals v;
	char *subject = NULL, *text = NULL, *html = NULL;
	GString *m = NULL;
	int rc;

	*bytes = NULL;
	*len = 0;
	if (sc == NULL || to == NULL || to->mailbox == NULL || !drill_address_ok(to->mailbox)) {
		drill_err_text(err, DRILL_EINVAL, "recipient.mailbox",
		               "the recipient's address is not a plain address (local@domain)",
		               "địa chỉ người nhận không phải địa chỉ thư đơn giản (local@domain)");
		return DRILL_EINVAL;
	}
	if (!text_ok(to->name) || !text_ok(to->unit)) {
		drill_err_text(
		        err, DRILL_EINVAL, "recipient",
		        "the recipient's name or unit is too long, not UTF-8 or holds control "
		        "characters",
		        "tên hoặc đơn vị của người nhận quá dài, không phải UTF-8 hoặc chứa ký tự "
		        "điều khiển");
		return DRILL_EINVAL;
	}
	if (drill_base_url_valid(base_url) != DRILL_OK) {
		DRILL_FAIL(err, DRILL_EINVAL, "base_url",
		           "\"%.80s\" is not an http(s)://host[:port][/path] URL",
		           "\"%.80s\" không phải URL dạng http(s)://máy[:cổng][/đường-dẫn]",
		           base_url != NULL ? base_url : "");
		return DRILL_EINVAL;
	}
	if (drill_marker_format(key, ref, token, marker) != DRILL_OK) {
		drill_err_text(err, DRILL_EINVAL, "ref/token", "invalid round reference or token",
		               "mã đợt diễn tập hoặc mã theo dõi không hợp lệ");
		return DRILL_EINVAL;
	}
	g_strlcpy(base, base_url, sizeof base);
	while (*base && base[strlen(base) - 1] == '/')
		base[strlen(base) - 1] = 0;
	g_snprintf(link, sizeof link, "%s/t/%s/c", base, token);
	g_snprintf(pixel, sizeof pixel, "%s/t/%s/o.gif", base, token);
	vn_time(when, &tm);
	g_snprintf(date, sizeof date, "%02d/%02d/%04d", tm.tm_mday, tm.tm_mon + 1,
	           tm.tm_year + 1900);
	v = (struct vals){{to->name != NULL && *to->name ? to->name : "Anh/Chị", to->mailbox,
	                   to->unit != NULL ? to->unit : "", date, link, pixel}};

	if (sc->attachment_kind != DRILL_SIM_NONE) {
		rc = drill_simulant_build_for(sc, key, ref, token, base_url, &att, &att_len, err);
		if (rc != DRILL_OK)
			return rc;
	}
	subject = fill(sc->subject, &v, 0, 0);
	text = fill(sc->body_text, &v, 0, 1);
	html = fill(sc->body_html, &v, 1, 1);
	domain = strchr(sc->sender_address, '@') + 1;

	m = g_string_sized_new(4096 + att_len * 4 / 3);
	g_string_append(m, "From: ");
	put_mailbox(m, sc->sender_name, sc->sender_address);
	g_string_append(m, "\r\nTo: ");
	put_mailbox(m, to->name, to->mailbox);
	g_string_append(m, "\r\nSubject: ");
	put_unstructured(m, subject);
	g_string_append_printf(m, "\r\nDate: %s, %d %s %04d %02d:%02d:%02d +0700\r\n",
	                       wday[tm.tm_wday], tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900,
	                       tm.tm_hour, tm.tm_min, tm.tm_sec);
	g_string_append_printf(m, "Message-ID: <%s.%s@%s>\r\n", token, ref, domain);
	g_string_append(m, "MIME-Version: 1.0\r\n");
	g_string_append_printf(m, DRILL_HEADER ": %s\r\n", marker);
	g_string_append_printf(m,
	                       "Content-Type: multipart/mixed; boundary=\"=_vd_%s_m\"\r\n"
	                       "\r\n"
	                       "--=_vd_%s_m\r\n"
	                       "Content-Type: multipart/alternative; boundary=\"=_vd_%s_a\"\r\n"
	                       "\r\n"
	                       "--=_vd_%s_a\r\n"
	                       "Content-Type: text/plain; charset=utf-8\r\n"
	                       "Content-Transfer-Encoding: base64\r\n\r\n",
	                       token, token, token, token);
	put_base64_body(m, text, strlen(text));
	g_string_append_printf(m,
	                       "--=_vd_%s_a\r\n"
	                       "Content-Type: text/html; charset=utf-8\r\n"
	                       "Content-Transfer-Encoding: base64\r\n\r\n",
	                       token);
	put_base64_body(m, html, strlen(html));
	g_string_append_printf(m, "--=_vd_%s_a--\r\n", token);
	if (att != NULL) {
		g_string_append_printf(m, "\r\n--=_vd_%s_m\r\nContent-Type: %s; ", token,
		                       drill_simulant_content_type(sc));
		put_param_2231(m, "name", sc->attachment_name);
		g_string_append(m, "\r\nContent-Disposition: attachment; ");
		put_param_2231(m, "filename", sc->attachment_name);
		g_string_append(m, "\r\nContent-Transfer-Encoding: base64\r\n\r\n");
		put_base64_body(m, att, att_len);
	}
	g_string_append_printf(m, "\r\n--=_vd_%s_m--\r\n", token);

	if (m->len > DRILL_MSG_MAX) {
		drill_err_text(err, DRILL_ELIMIT, sc->id, "the message is too large",
		               "thư quá lớn");
		rc = DRILL_ELIMIT;
		goto out;
	}
	*len = m->len;
	*bytes = (uint8_t *)g_string_free(m, FALSE);
	m = NULL;
	rc = DRILL_OK;
out:
	if (m != NULL)
		g_string_free(m, TRUE);
	g_free(att);
	g_free(subject);
	g_free(text);
	g_free(html);
	return rc;
}

int drill_message_build(const drill_scenario *sc, const uint8_t key[DRILL_KEY_LEN], const char *ref,
                        const char *token, const struct drill_recipient *to, const char *base_url,
                        uint8_t **bytes, size_t *len, drill_error *err)
{
	return drill_message_build_at(sc, key, ref, token, to, base_url, time(NULL), bytes, len,
	                              err);
}
