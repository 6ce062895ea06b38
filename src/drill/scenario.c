/*
 * scenario.c - drill scenario files (rules/scenarios/<id>.json; the format is
 * in docs/scenarios.md and decision 0014).
 *
 * A scenario is written by people, checked into rules/ and loaded by vigild,
 * the CLI and the tests; a mistake in one must be a readable error naming
 * the file and field, never a half-loaded scenario. So every field is
 * checked as a straight line of rejects: type, length, characters, value
 * set; unknown keys are errors too (a misspelt "injets" would otherwise
 * silently drop the injects), and so are placeholders we do not fill.
 *
 * Limits: DRILL_SCENARIO_MAX_FILE bytes per file, DRILL_SCENARIO_MAX_FILES
 * files per folder, the per-field lengths and counts below. Strings are
 * UTF-8 (jansson rejects anything else) without control characters except
 * line breaks and tabs in bodies and summaries.
 *
 * Ownership: drill_scenario and everything in it is malloc'ed (g_malloc)
 * and released by drill_scenario_free().
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drill_int.h"

#define MAX_ID 64
#define MAX_TITLE 200
#define MAX_SUMMARY 2000
#define MAX_INJECT_TEXT 2000
#define MAX_NAME 200
#define MAX_ADDRESS 254
#define MAX_SUBJECT 300
#define MAX_BODY (64u * 1024u)
#define MAX_FILE_NAME 120
#define MAX_ATTACK 16
#define MAX_EXPECTED 32
#define MAX_FINDING_ID 64
#define MAX_INJECTS 32
#define MAX_AFTER_MIN (7 * 24 * 60)
#define MAX_COUNT 1000

const char *const drill_placeholders[] = {"name", "mailbox", "unit", "date", "link", "pixel", NULL};

static const char *const kind_names[] = {"none", "macro-doc", "zip-lnk", "html-credential"};
static const char *const inject_names[] = {"second_report", "plant", "message"};

const char *drill_sim_kind_name(enum drill_sim_kind k)
{
	return (unsigned)k < G_N_ELEMENTS(kind_names) ? kind_names[k] : "?";
}

const char *drill_inject_kind_name(enum drill_inject_kind k)
{
	return (unsigned)k < G_N_ELEMENTS(inject_names) ? inject_names[k] : "?";
}

/* what is being checked: file name and field path, for the error */
struct ctx {
	const char *file;
	char field[96];
	drill_error *err;
};

static void where(struct ctx *c, char *out, size_t n)
{
	if (c->field[0])
		g_snprintf(out, n, "%s: %s", c->file, c->field);
	else
		g_snprintf(out, n, "%s", c->file);
}

#define FAIL0(c, code, en, vi)                                                                     \
	do {                                                                                       \
		char w_[160];                                                                      \
		where((c), w_, sizeof w_);                                                         \
		drill_err_text((c)->err, (code), w_, (en), (vi));                                  \
	} while (0)

#define FAIL(c, code, enfmt, vifmt, ...)                                                           \
	do {                                                                                       \
		char w_[160];                                                                      \
		where((c), w_, sizeof w_);                                                         \
		DRILL_FAIL((c)->err, (code), w_, enfmt, vifmt, __VA_ARGS__);                       \
	} while (0)

static void set_field(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_field(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_vsnprintf(c->field, sizeof c->field, fmt, ap);
	va_end(ap);
}

/* ---- strings ---- */

enum {
	S_LINE = 0,        /* one line: no control characters at all */
	S_MULTI = 1u << 0, /* line breaks and tabs allowed */
	S_PLACE = 1u << 1, /* {{placeholders}} checked */
};

static int placeholders_ok(struct ctx *c, const char *s)
{
	const char *p = s;

	while ((p = strstr(p, "{{")) != NULL) {
		const char *close = strstr(p + 2, "}}");
		size_t n;
		int known = 0;

		if (close == NULL) {
			FAIL0(c, DRILL_EFORMAT, "\"{{\" without a closing \"}}\"",
			      "có \"{{\" nhưng thiếu \"}}\" đóng");
			return 0;
		}
		n = (size_t)(close - (p + 2));
		for (const char *const *k = drill_placeholders; *k != NULL; k++)
			if (strlen(*k) == n && memcmp(*k, p + 2, n) == 0)
				known = 1;
		if (!known) {
			FAIL(c, DRILL_EFORMAT,
			     "unknown placeholder {{%.*s}} (known: name, mailbox, unit, date, "
			     "link, "
			     "pixel)",
			     "trường thay thế không xác định {{%.*s}} (hợp lệ: name, mailbox, "
			     "unit, date, "
			     "link, pixel)",
			     (int)(n > 40 ? 40 : n), p + 2);
			return 0;
		}
		p = close + 2;
	}
	return 1;
}

/* Checks a JSON string value and returns a copy (NULL + err on failure). */
static char *str_check(struct ctx *c, const json_t *v, size_t max, unsigned flags)
{
	const char *s;
	size_t n;

	if (!json_is_string(v)) {
		FAIL0(c, DRILL_EFORMAT, "must be a string", "phải là chuỗi ký tự");
		return NULL;
	}
	s = json_string_value(v);
	n = json_string_length(v);
	if (n == 0) {
		FAIL0(c, DRILL_EFORMAT, "must not be empty", "không được để trống");
		return NULL;
	}
	if (n > max) {
		FAIL(c, DRILL_ELIMIT, "longer than %zu bytes", "dài quá %zu byte", max);
		return NULL;
	}
	if (strlen(s) != n) {
		FAIL0(c, DRILL_EFORMAT, "contains a NUL character", "chứa ký tự NUL");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch >= 0x20 && ch != 0x7f)
			continue;
		if ((flags & S_MULTI) && (ch == '\n' || ch == '\t'))
			continue;
		FAIL(c, DRILL_EFORMAT, "contains a control character (0x%02x)",
		     "chứa ký tự điều khiển (0x%02x)", ch);
		return NULL;
	}
	if ((flags & S_PLACE) && !placeholders_ok(c, s))
		return NULL;
	return g_strdup(s);
}

static int keys_known(struct ctx *c, const json_t *obj, const char *const *known)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)obj, k, v)
	{
		int ok = 0;

		(void)v;
		for (const char *const *p = known; *p != NULL; p++)
			if (strcmp(*p, k) == 0)
				ok = 1;
		if (!ok) {
			FAIL(c, DRILL_EFORMAT, "unknown key \"%.40s\"",
			     "khóa không xác định \"%.40s\"", k);
			return 0;
		}
	}
	return 1;
}

static const json_t *need(struct ctx *c, const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	if (v == NULL)
		FAIL0(c, DRILL_EFORMAT, "missing", "thiếu trường này");
	return v;
}

static int text_pair(struct ctx *c, const json_t *obj, const char *key, size_t max, unsigned flags,
                     struct drill_text *out)
{
	static const char *const known[] = {"vi", "en", NULL};
	const json_t *v;

	set_field(c, "%s", key);
	if ((v = need(c, obj, key)) == NULL)
		return 0;
	if (!json_is_object(v)) {
		FAIL0(c, DRILL_EFORMAT, "must be an object {\"vi\": ..., \"en\": ...}",
		      "phải là đối tượng {\"vi\": ..., \"en\": ...}");
		return 0;
	}
	if (!keys_known(c, v, known))
		return 0;
	set_field(c, "%s.vi", key);
	if (need(c, v, "vi") == NULL ||
	    (out->vi = str_check(c, json_object_get(v, "vi"), max, flags)) == NULL)
		return 0;
	set_field(c, "%s.en", key);
	if (need(c, v, "en") == NULL ||
	    (out->en = str_check(c, json_object_get(v, "en"), max, flags)) == NULL)
		return 0;
	return 1;
}

static int id_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > MAX_ID || s[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

/* T1234 or T1234.123 */
static int attack_ok(const char *s)
{
	size_t n = strlen(s);

	if (n != 5 && n != 9)
		return 0;
	if (s[0] != 'T')
		return 0;
	for (size_t i = 1; i < 5; i++)
		if (!g_ascii_isdigit(s[i]))
			return 0;
	if (n == 9) {
		if (s[5] != '.')
			return 0;
		for (size_t i = 6; i < 9; i++)
			if (!g_ascii_isdigit(s[i]))
				return 0;
	}
	return 1;
}

/* "macro.autoexec", "lnk.command": lower-case words joined by dots */
static int finding_id_ok(const char *s)
{
	int dot = 0;
	size_t n = strlen(s);

	if (n < 3 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.')
				return 0;
			dot = 1;
		} else if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		             s[i] == '_')) {
			return 0;
		}
	}
	return dot;
}

/* a plain addr-spec: local@domain, ASCII, no quoting or comments */
int drill_address_ok(const char *s)
{
	const char *at = strchr(s, '@');
	size_t n = strlen(s);

	if (n < 3 || n > MAX_ADDRESS || at == NULL || at == s || strchr(at + 1, '@') != NULL)
		return 0;
	for (const char *p = s; p < at; p++)
		if (!(g_ascii_isalnum(*p) || strchr(".!#$%&'*+/=?^_`{|}~-", *p) != NULL))
			return 0;
	if (s[0] == '.' || at[-1] == '.' || strstr(s, "..") != NULL)
		return 0;
	if (at[1] == 0 || at[1] == '.' || at[1] == '-' || s[n - 1] == '.' || s[n - 1] == '-')
		return 0;
	for (const char *p = at + 1; *p; p++)
		if (!(g_ascii_isalnum(*p) || *p == '.' || *p == '-'))
			return 0;
	return strchr(at + 1, '.') != NULL;
}

/* an attachment name: no path separators, no characters Windows refuses */
static int file_name_ok(const char *s)
{
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0 || s[0] == '.')
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || strchr("/\\:*?\"<>|", *p) != NULL)
			return 0;
	return 1;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && g_ascii_strcasecmp(s + n - m, suffix) == 0;
}

static int str_array(struct ctx *c, const json_t *obj, const char *key, size_t max_items,
                     size_t max_len, int (*ok)(const char *), const char *what_en,
                     const char *what_vi, char ***out, size_t *n)
{
	const json_t *a;
	size_t i;
	json_t *v;

	set_field(c, "%s", key);
	if ((a = need(c, obj, key)) == NULL)
		return 0;
	if (!json_is_array(a)) {
		FAIL0(c, DRILL_EFORMAT, "must be a list", "phải là danh sách");
		return 0;
	}
	if (json_array_size(a) == 0) {
		FAIL0(c, DRILL_EFORMAT, "must not be empty", "không được để trống");
		return 0;
	}
	if (json_array_size(a) > max_items) {
		FAIL(c, DRILL_ELIMIT, "more than %zu items", "nhiều hơn %zu phần tử", max_items);
		return 0;
	}
	*out = g_new0(char *, json_array_size(a) + 1);
	*n = 0;
	json_array_foreach(a, i, v)
	{
		char *s;

		set_field(c, "%s[%zu]", key, i);
		if ((s = str_check(c, v, max_len, S_LINE)) == NULL)
			return 0;
		(*out)[(*n)++] = s;
		if (!ok(s)) {
			FAIL(c, DRILL_EFORMAT, "\"%.64s\" is not %s", "\"%.64s\" không phải %s", s,
			     what_en);
			/* the Vietnamese text names the kind too */
			if (c->err != NULL)
				g_snprintf(c->err->vi, sizeof c->err->vi, "\"%.64s\" không phải %s",
				           s, what_vi);
			return 0;
		}
		for (size_t j = 0; j + 1 < *n; j++)
			if (strcmp((*out)[j], s) == 0) {
				FAIL(c, DRILL_EFORMAT, "\"%.64s\" is listed twice",
				     "\"%.64s\" bị liệt kê hai lần", s);
				return 0;
			}
	}
	return 1;
}

static int int_field(struct ctx *c, const json_t *v, long long lo, long long hi, int *out)
{
	long long x;

	if (!json_is_integer(v)) {
		FAIL0(c, DRILL_EFORMAT, "must be a whole number", "phải là số nguyên");
		return 0;
	}
	x = json_integer_value(v);
	if (x < lo || x > hi) {
		FAIL(c, DRILL_ELIMIT, "must be between %lld and %lld",
		     "phải nằm trong khoảng %lld đến %lld", lo, hi);
		return 0;
	}
	*out = (int)x;
	return 1;
}

static int enum_field(struct ctx *c, const json_t *v, const char *const *names, size_t n, int *out)
{
	GString *list;

	if (!json_is_string(v)) {
		FAIL0(c, DRILL_EFORMAT, "must be a string", "phải là chuỗi ký tự");
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(json_string_value(v), names[i]) == 0) {
			*out = (int)i;
			return 1;
		}
	list = g_string_new(NULL);
	for (size_t i = 0; i < n; i++)
		g_string_append_printf(list, "%s%s", i ? ", " : "", names[i]);
	FAIL(c, DRILL_EFORMAT, "must be one of: %s", "phải là một trong: %s", list->str);
	g_string_free(list, TRUE);
	return 0;
}

/* ---- the parts of a scenario ---- */

static int parse_sender(struct ctx *c, const json_t *root, drill_scenario *sc)
{
	static const char *const known[] = {"name", "address", NULL};
	const json_t *o;

	set_field(c, "sender");
	if ((o = need(c, root, "sender")) == NULL)
		return 0;
	if (!json_is_object(o)) {
		FAIL0(c, DRILL_EFORMAT, "must be an object {\"name\": ..., \"address\": ...}",
		      "phải là đối tượng {\"name\": ..., \"address\": ...}");
		return 0;
	}
	if (!keys_known(c, o, known))
		return 0;
	set_field(c, "sender.name");
	if (need(c, o, "name") == NULL ||
	    (sc->sender_name = str_check(c, json_object_get(o, "name"), MAX_NAME, S_LINE)) == NULL)
		return 0;
	set_field(c, "sender.address");
	if (need(c, o, "address") == NULL ||
	    (sc->sender_address =
	             str_check(c, json_object_get(o, "address"), MAX_ADDRESS, S_LINE)) == NULL)
		return 0;
	if (!drill_address_ok(sc->sender_address)) {
		FAIL(c, DRILL_EFORMAT, "\"%.80s\" is not a plain address (local@domain)",
		     "\"%.80s\" không phải địa chỉ thư đơn giản (local@domain)",
		     sc->sender_address);
		return 0;
	}
	return 1;
}

static int parse_attachment(struct ctx *c, const json_t *root, drill_scenario *sc)
{
	static const char *const known[] = {"kind", "name", "inner", NULL};
	const json_t *o, *v;
	int k;

	set_field(c, "attachment");
	if ((o = need(c, root, "attachment")) == NULL)
		return 0;
	if (!json_is_object(o)) {
		FAIL0(c, DRILL_EFORMAT, "must be an object {\"kind\": ..., \"name\": ...}",
		      "phải là đối tượng {\"kind\": ..., \"name\": ...}");
		return 0;
	}
	if (!keys_known(c, o, known))
		return 0;
	set_field(c, "attachment.kind");
	if ((v = need(c, o, "kind")) == NULL ||
	    !enum_field(c, v, kind_names, G_N_ELEMENTS(kind_names), &k))
		return 0;
	sc->attachment_kind = (enum drill_sim_kind)k;
	set_field(c, "attachment.name");
	v = json_object_get(o, "name");
	if (sc->attachment_kind == DRILL_SIM_NONE) {
		if (v != NULL || json_object_get(o, "inner") != NULL) {
			FAIL0(c, DRILL_EFORMAT, "kind \"none\" takes no file name",
			      "loại \"none\" không có tên tệp");
			return 0;
		}
		return 1;
	}
	if (need(c, o, "name") == NULL ||
	    (sc->attachment_name = str_check(c, v, MAX_FILE_NAME, S_LINE)) == NULL)
		return 0;
	if (!file_name_ok(sc->attachment_name)) {
		FAIL(c, DRILL_EFORMAT, "\"%.80s\" is not a plain file name",
		     "\"%.80s\" không phải tên tệp hợp lệ", sc->attachment_name);
		return 0;
	}
	switch (sc->attachment_kind) {
	case DRILL_SIM_MACRO_DOC:
		if (!ends_with(sc->attachment_name, ".docm") &&
		    !ends_with(sc->attachment_name, ".xlsm")) {
			FAIL0(c, DRILL_EFORMAT, "a macro-doc is named .docm or .xlsm",
			      "tệp macro-doc phải có đuôi .docm hoặc .xlsm");
			return 0;
		}
		break;
	case DRILL_SIM_ZIP_LNK:
		if (!ends_with(sc->attachment_name, ".zip")) {
			FAIL0(c, DRILL_EFORMAT, "a zip-lnk is named .zip",
			      "tệp zip-lnk phải có đuôi .zip");
			return 0;
		}
		break;
	case DRILL_SIM_HTML_CREDENTIAL:
		if (!ends_with(sc->attachment_name, ".html") &&
		    !ends_with(sc->attachment_name, ".htm")) {
			FAIL0(c, DRILL_EFORMAT, "an html-credential page is named .html or .htm",
			      "trang html-credential phải có đuôi .html hoặc .htm");
			return 0;
		}
		break;
	default:
		break;
	}
	v = json_object_get(o, "inner");
	set_field(c, "attachment.inner");
	if (v != NULL && sc->attachment_kind != DRILL_SIM_ZIP_LNK) {
		FAIL0(c, DRILL_EFORMAT, "only a zip-lnk has an inner file",
		      "chỉ zip-lnk mới có tệp bên trong");
		return 0;
	}
	if (v != NULL) {
		if ((sc->attachment_inner = str_check(c, v, MAX_FILE_NAME, S_LINE)) == NULL)
			return 0;
		if (!file_name_ok(sc->attachment_inner) ||
		    !ends_with(sc->attachment_inner, ".lnk")) {
			FAIL(c, DRILL_EFORMAT, "\"%.80s\" is not a shortcut file name (*.lnk)",
			     "\"%.80s\" không phải tên tệp lối tắt (*.lnk)", sc->attachment_inner);
			return 0;
		}
	}
	return 1;
}

static int parse_injects(struct ctx *c, const json_t *root, drill_scenario *sc)
{
	static const char *const known[] = {"after_min", "kind", "text", "count", NULL};
	const json_t *a;
	json_t *o;
	size_t i;

	set_field(c, "injects");
	if ((a = json_object_get(root, "injects")) == NULL)
		return 1; /* a staff-only scenario has none */
	if (!json_is_array(a)) {
		FAIL0(c, DRILL_EFORMAT, "must be a list", "phải là danh sách");
		return 0;
	}
	if (json_array_size(a) > MAX_INJECTS) {
		FAIL(c, DRILL_ELIMIT, "more than %d items", "nhiều hơn %d phần tử", MAX_INJECTS);
		return 0;
	}
	sc->injects = g_new0(struct drill_inject, json_array_size(a) + 1);
	json_array_foreach(a, i, o)
	{
		struct drill_inject *in = &sc->injects[i];
		const json_t *v;
		char key[32];
		int k;

		set_field(c, "injects[%zu]", i);
		if (!json_is_object(o)) {
			FAIL0(c, DRILL_EFORMAT, "must be an object", "phải là đối tượng");
			return 0;
		}
		sc->n_injects = i + 1;
		if (!keys_known(c, o, known))
			return 0;
		set_field(c, "injects[%zu].after_min", i);
		if ((v = need(c, o, "after_min")) == NULL ||
		    !int_field(c, v, 0, MAX_AFTER_MIN, &in->after_min))
			return 0;
		set_field(c, "injects[%zu].kind", i);
		if ((v = need(c, o, "kind")) == NULL ||
		    !enum_field(c, v, inject_names, G_N_ELEMENTS(inject_names), &k))
			return 0;
		in->kind = (enum drill_inject_kind)k;
		in->count = 1;
		set_field(c, "injects[%zu].count", i);
		if ((v = json_object_get(o, "count")) != NULL &&
		    !int_field(c, v, 1, MAX_COUNT, &in->count))
			return 0;
		g_snprintf(key, sizeof key, "text");
		if (!text_pair(c, o, key, MAX_INJECT_TEXT, S_MULTI, &in->text)) {
			/* text_pair named the field without the index */
			char f[96];

			g_snprintf(f, sizeof f, "injects[%zu].%s", i, c->field);
			g_strlcpy(c->field, f, sizeof c->field);
			if (c->err != NULL) {
				char w[160];

				where(c, w, sizeof w);
				g_strlcpy(c->err->where, w, sizeof c->err->where);
			}
			return 0;
		}
		if (in->after_min > 0 && i > 0 && in->after_min < sc->injects[i - 1].after_min) {
			set_field(c, "injects[%zu].after_min", i);
			FAIL(c, DRILL_EFORMAT, "injects must be listed in time order (%d < %d)",
			     "các tình huống phải theo thứ tự thời gian (%d < %d)", in->after_min,
			     sc->injects[i - 1].after_min);
			return 0;
		}
	}
	return 1;
}

static int has_placeholder(const char *s, const char *name)
{
	char want[24];

	g_snprintf(want, sizeof want, "{{%s}}", name);
	return s != NULL && strstr(s, want) != NULL;
}

int drill_scenario_parse(const char *json, size_t len, const char *name, drill_scenario **out,
                         drill_error *err)
{
	static const char *const known[] = {"id",        "version",    "title",   "summary",
	                                    "attack",    "sender",     "subject", "body_text",
	                                    "body_html", "attachment", "landing", "expected",
	                                    "injects",   "$comment",   NULL};
	struct ctx c = {.file = name != NULL ? name : "", .err = err};
	drill_scenario *sc;
	json_error_t je;
	json_t *root = NULL;
	const json_t *v;
	int k;

	*out = NULL;
	if (len > DRILL_SCENARIO_MAX_FILE) {
		FAIL(&c, DRILL_ELIMIT, "file larger than %u bytes", "tệp lớn hơn %u byte",
		     DRILL_SCENARIO_MAX_FILE);
		return DRILL_ELIMIT;
	}
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		FAIL(&c, DRILL_EFORMAT, "not valid JSON (line %d, column %d): %.120s",
		     "không phải JSON hợp lệ (dòng %d, cột %d): %.120s", je.line, je.column,
		     je.text);
		return DRILL_EFORMAT;
	}
	sc = g_new0(drill_scenario, 1);
	sc->path = g_strdup(name != NULL ? name : "");
	if (!json_is_object(root)) {
		FAIL0(&c, DRILL_EFORMAT, "the file must hold one JSON object",
		      "tệp phải chứa một đối tượng JSON");
		goto bad;
	}
	if (!keys_known(&c, root, known))
		goto bad;

	set_field(&c, "id");
	if ((v = need(&c, root, "id")) == NULL ||
	    (sc->id = str_check(&c, v, MAX_ID, S_LINE)) == NULL)
		goto bad;
	if (!id_ok(sc->id)) {
		FAIL(&c, DRILL_EFORMAT, "\"%.64s\" must be lower-case letters, digits and '-'",
		     "\"%.64s\" chỉ được gồm chữ thường, chữ số và '-'", sc->id);
		goto bad;
	}
	set_field(&c, "version");
	if ((v = need(&c, root, "version")) == NULL || !int_field(&c, v, 1, 1000000, &sc->version))
		goto bad;
	if (!text_pair(&c, root, "title", MAX_TITLE, S_LINE, &sc->title) ||
	    !text_pair(&c, root, "summary", MAX_SUMMARY, S_MULTI, &sc->summary))
		goto bad;
	if (!str_array(&c, root, "attack", MAX_ATTACK, 9, attack_ok, "an ATT&CK id (T1566.001)",
	               "mã ATT&CK (T1566.001)", &sc->attack, &sc->n_attack))
		goto bad;
	if (!parse_sender(&c, root, sc))
		goto bad;
	set_field(&c, "subject");
	if ((v = need(&c, root, "subject")) == NULL ||
	    (sc->subject = str_check(&c, v, MAX_SUBJECT, S_LINE | S_PLACE)) == NULL)
		goto bad;
	if (has_placeholder(sc->subject, "link") || has_placeholder(sc->subject, "pixel")) {
		FAIL0(&c, DRILL_EFORMAT, "{{link}} and {{pixel}} belong in the body",
		      "{{link}} và {{pixel}} chỉ dùng trong nội dung thư");
		goto bad;
	}
	set_field(&c, "body_text");
	if ((v = need(&c, root, "body_text")) == NULL ||
	    (sc->body_text = str_check(&c, v, MAX_BODY, S_MULTI | S_PLACE)) == NULL)
		goto bad;
	set_field(&c, "body_html");
	if ((v = need(&c, root, "body_html")) == NULL ||
	    (sc->body_html = str_check(&c, v, MAX_BODY, S_MULTI | S_PLACE)) == NULL)
		goto bad;
	if (!parse_attachment(&c, root, sc))
		goto bad;
	set_field(&c, "landing");
	sc->landing = DRILL_LANDING_NONE;
	if ((v = json_object_get(root, "landing")) != NULL) {
		static const char *const landings[] = {"none", "credential"};

		if (!enum_field(&c, v, landings, G_N_ELEMENTS(landings), &k))
			goto bad;
		sc->landing = (enum drill_landing)k;
	}
	/* a credential landing is reached by the link: the mail must carry it */
	if (sc->landing == DRILL_LANDING_CREDENTIAL &&
	    !(has_placeholder(sc->body_html, "link") && has_placeholder(sc->body_text, "link"))) {
		FAIL0(&c, DRILL_EFORMAT, "a credential landing needs {{link}} in both bodies",
		      "trang đích thu thập mật khẩu cần {{link}} trong cả hai phần nội dung");
		goto bad;
	}
	if (sc->attachment_kind == DRILL_SIM_NONE && sc->landing == DRILL_LANDING_NONE &&
	    !has_placeholder(sc->body_html, "link")) {
		set_field(&c, "attachment");
		FAIL0(&c, DRILL_EFORMAT, "a scenario needs an attachment, a landing or a {{link}}",
		      "kịch bản cần tệp đính kèm, trang đích hoặc {{link}}");
		goto bad;
	}
	if (!str_array(&c, root, "expected", MAX_EXPECTED, MAX_FINDING_ID, finding_id_ok,
	               "a finding id (macro.autoexec)", "mã phát hiện (macro.autoexec)",
	               &sc->expected, &sc->n_expected))
		goto bad;
	if (!parse_injects(&c, root, sc))
		goto bad;
	json_decref(root);
	*out = sc;
	return DRILL_OK;
bad:
	json_decref(root);
	drill_scenario_free(sc);
	return err != NULL && err->code != DRILL_OK ? err->code : DRILL_EFORMAT;
}

static void text_free(struct drill_text *t)
{
	g_free(t->vi);
	g_free(t->en);
}

void drill_scenario_free(drill_scenario *sc)
{
	if (sc == NULL)
		return;
	g_free(sc->id);
	text_free(&sc->title);
	text_free(&sc->summary);
	g_strfreev(sc->attack);
	g_free(sc->sender_name);
	g_free(sc->sender_address);
	g_free(sc->subject);
	g_free(sc->body_text);
	g_free(sc->body_html);
	g_free(sc->attachment_name);
	g_free(sc->attachment_inner);
	g_strfreev(sc->expected);
	for (size_t i = 0; i < sc->n_injects; i++)
		text_free(&sc->injects[i].text);
	g_free(sc->injects);
	g_free(sc->path);
	g_free(sc);
}

/* reads a whole regular file of at most max bytes */
static int read_bounded(const char *path, size_t max, char **data, size_t *len, drill_error *err)
{
	struct stat st;
	size_t n = 0;
	char *buf;
	int fd;

	*data = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		DRILL_FAIL(err, DRILL_EIO, path, "cannot open: %s", "không mở được: %s",
		           g_strerror(errno));
		return DRILL_EIO;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		drill_err_text(err, DRILL_EIO, path, "not a regular file",
		               "không phải tệp thông thường");
		return DRILL_EIO;
	}
	if ((unsigned long long)st.st_size > max) {
		close(fd);
		DRILL_FAIL(err, DRILL_ELIMIT, path, "file larger than %zu bytes",
		           "tệp lớn hơn %zu byte", max);
		return DRILL_ELIMIT;
	}
	buf = g_malloc(max + 1);
	/* read to EOF (the file may grow after fstat), still bounded */
	for (;;) {
		ssize_t r = read(fd, buf + n, max + 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			close(fd);
			g_free(buf);
			DRILL_FAIL(err, DRILL_EIO, path, "cannot read: %s", "không đọc được: %s",
			           g_strerror(e));
			return DRILL_EIO;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			close(fd);
			g_free(buf);
			DRILL_FAIL(err, DRILL_ELIMIT, path, "file larger than %zu bytes",
			           "tệp lớn hơn %zu byte", max);
			return DRILL_ELIMIT;
		}
	}
	close(fd);
	buf[n] = 0;
	*data = buf;
	*len = n;
	return DRILL_OK;
}

int drill_scenario_load(const char *path, drill_scenario **out, drill_error *err)
{
	char *data;
	size_t len;
	int rc;

	*out = NULL;
	rc = read_bounded(path, DRILL_SCENARIO_MAX_FILE, &data, &len, err);
	if (rc != DRILL_OK)
		return rc;
	rc = drill_scenario_parse(data, len, path, out, err);
	g_free(data);
	return rc;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int drill_scenarios_load_dir(const char *dir, drill_scenario ***out, size_t *n,
                             drill_error_fn on_error, void *ctx, drill_error *err)
{
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *got = g_ptr_array_new();
	struct dirent *de;
	int rc = DRILL_OK;
	DIR *d;

	*out = NULL;
	*n = 0;
	d = opendir(dir);
	if (d == NULL) {
		DRILL_FAIL(err, DRILL_EIO, dir, "cannot open the scenario folder: %s",
		           "không mở được thư mục kịch bản: %s", g_strerror(errno));
		g_ptr_array_free(names, TRUE);
		g_ptr_array_free(got, TRUE);
		return DRILL_EIO;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || !ends_with(de->d_name, ".json"))
			continue;
		if (names->len >= DRILL_SCENARIO_MAX_FILES) {
			drill_error e;

			DRILL_FAIL(&e, DRILL_ELIMIT, dir,
			           "more than %d scenario files; the rest skipped",
			           "nhiều hơn %d tệp kịch bản; phần còn lại bị bỏ qua",
			           DRILL_SCENARIO_MAX_FILES);
			if (on_error != NULL)
				on_error(&e, ctx);
			rc = DRILL_EFORMAT;
			break;
		}
		g_ptr_array_add(names, g_strdup(de->d_name));
	}
	closedir(d);
	qsort(names->pdata, names->len, sizeof(char *), name_cmp);
	for (guint i = 0; i < names->len; i++) {
		const char *base = g_ptr_array_index(names, i);
		char *path = g_build_filename(dir, base, NULL);
		drill_scenario *sc = NULL;
		drill_error e = {0};

		if (drill_scenario_load(path, &sc, &e) != DRILL_OK) {
			rc = DRILL_EFORMAT;
			if (on_error != NULL)
				on_error(&e, ctx);
			g_free(path);
			continue;
		}
		{
			char *want = g_strconcat(sc->id, ".json", NULL);
			int named = strcmp(want, base) == 0;

			g_free(want);
			if (!named) {
				DRILL_FAIL(&e, DRILL_EFORMAT, path,
				           "the file must be named after its id: %.64s.json",
				           "tệp phải được đặt tên theo id: %.64s.json", sc->id);
			} else if (drill_scenario_find((drill_scenario *const *)got->pdata,
			                               got->len, sc->id) != NULL) {
				DRILL_FAIL(&e, DRILL_EFORMAT, path, "id \"%.64s\" is used twice",
				           "id \"%.64s\" bị dùng hai lần", sc->id);
			}
			if (e.code != DRILL_OK) {
				rc = DRILL_EFORMAT;
				if (on_error != NULL)
					on_error(&e, ctx);
				drill_scenario_free(sc);
				g_free(path);
				continue;
			}
		}
		g_ptr_array_add(got, sc);
		g_free(path);
	}
	g_ptr_array_free(names, TRUE);
	*n = got->len;
	*out = (drill_scenario **)g_ptr_array_free(got, FALSE);
	return rc;
}

void drill_scenarios_free(drill_scenario **v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		drill_scenario_free(v[i]);
	g_free(v);
}

const drill_scenario *drill_scenario_find(drill_scenario *const *v, size_t n, const char *id)
{
	for (size_t i = 0; i < n && id != NULL; i++)
		if (strcmp(v[i]->id, id) == 0)
			return v[i];
	return NULL;
}
