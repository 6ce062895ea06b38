/*
 * notify.c - notifications in the UI and by email (notify.h).
 */
#include "notify.h"

#include <string.h>
#include <sys/wait.h>

#include "access.h"
#include "orgmap.h"

#define MAX_RECIPIENTS 2000

bool notify_address_ok(const char *a)
{
	const char *at;

	if (a == NULL || *a == '-' || strlen(a) > 254 || (at = strchr(a, '@')) == NULL || at == a ||
	    at[1] == 0 || strchr(at + 1, '@') != NULL)
		return false;
	for (const char *p = a; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f ||
		    strchr("<>()[],;:\\\"", *p))
			return false;
	return true;
}

struct person {
	int64_t id;
	char *username, *role, *unit, *region, *email, *lang;
};

static void person_free(gpointer p)
{
	struct person *x = p;

	g_free(x->username);
	g_free(x->role);
	g_free(x->unit);
	g_free(x->region);
	g_free(x->email);
	g_free(x->lang);
	g_free(x);
}

static char *dup_text(const struct store_val *v)
{
	return v->t == SV_TEXT ? g_strdup(v->s) : g_strdup("");
}

static int person_row(void *ctx, const struct store_val *c, int nc)
{
	GPtrArray *out = ctx;
	struct person *p;

	if (nc < 7 || out->len >= MAX_RECIPIENTS)
		return 0;
	p = g_new0(struct person, 1);
	p->id = c[0].i;
	p->username = dup_text(&c[1]);
	p->role = dup_text(&c[2]);
	p->unit = dup_text(&c[3]);
	p->region = dup_text(&c[4]);
	p->email = dup_text(&c[5]);
	p->lang = dup_text(&c[6]);
	g_ptr_array_add(out, p);
	return 0;
}

int notify_units(store_db *db, const struct vsrv *srv, int64_t incident, const char *const *units,
                 int n, const char *actor, const char *text_vi, const char *text_en,
                 GPtrArray *mails, char **err)
{
	GPtrArray *people = g_ptr_array_new_with_free_func(person_free);
	int rc = store_sql(db,
	                   "SELECT id, username, role, unit, region, email, lang FROM users WHERE "
	                   "disabled = 0 ORDER BY id",
	                   NULL, 0, person_row, people, err);

	for (guint i = 0; rc == STORE_OK && i < people->len; i++) {
		struct person *p = people->pdata[i];
		struct caller c = {.authenticated = true, .user_id = p->id};
		int r = role_parse(p->role);
		bool vi = strcmp(p->lang, "en") != 0;
		struct store_val v[4];

		if (r < 0 || (actor != NULL && strcmp(actor, p->username) == 0))
			continue;
		c.role = (enum role)r;
		g_strlcpy(c.unit, p->unit, sizeof c.unit);
		g_strlcpy(c.region, p->region, sizeof c.region);
		if (c.role == ROLE_REGIONAL && c.region[0] == 0)
			g_strlcpy(c.region, orgmap_region(srv->org, c.unit) ?: "", sizeof c.region);
		/* drill controllers hear of drills only */
		if (c.role == ROLE_DRILL || !access_units(srv, &c, RIGHT_READ, units, n, false))
			continue;
		v[0] = store_int(p->id);
		v[1] = store_int(store_now_ms());
		v[2] = store_int(incident);
		v[3] = store_text(vi ? text_vi : text_en);
		rc = store_sql(
		        db,
		        "INSERT INTO notifications (user_id, at_ms, incident, text) VALUES (?, ?, "
		        "?, ?)",
		        v, 4, NULL, NULL, err);
		if (rc == STORE_OK && mails != NULL && notify_address_ok(p->email)) {
			struct notify_mail *m = g_new0(struct notify_mail, 1);

			m->to = g_strdup(p->email);
			m->subject = g_strdup_printf("[vigil] %s", vi ? text_vi : text_en);
			m->body = g_strdup_printf(
			        "%s\n\n%s%s/#/incidents/%lld\n", vi ? text_vi : text_en,
			        vi ? "Xem: " : "Open: ", srv->public_url ? srv->public_url : "",
			        (long long)incident);
			g_ptr_array_add(mails, m);
		}
	}
	g_ptr_array_unref(people);
	return rc;
}

/* header-safe: control characters become spaces, at most 400 bytes */
static char *clean_header(const char *s)
{
	char *c = g_utf8_make_valid(s, -1);

	for (char *p = c; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	if (strlen(c) > 400) {
		const char *end = g_utf8_find_prev_char(c, c + 400);

		c[end ? end - c : 0] = 0;
	}
	return c;
}

static char *encode_word(const char *s)
{
	char *b64 = g_base64_encode((const guchar *)s, strlen(s));
	char *out = g_strdup_printf("=?UTF-8?B?%s?=", b64);

	g_free(b64);
	return out;
}

struct job {
	char **argv;
	char *from;
	GPtrArray *mails;
};

static void send_one(char **argv_base, const char *from, struct notify_mail *m)
{
	GPtrArray *argv = g_ptr_array_new();
	char *subj = clean_header(m->subject), *enc = encode_word(subj);
	char *text;
	GError *ge = NULL;
	gint in = -1;
	GPid pid;

	for (char **a = argv_base; *a != NULL; a++)
		g_ptr_array_add(argv, *a);
	g_ptr_array_add(argv, "-i");
	g_ptr_array_add(argv, "-f");
	g_ptr_array_add(argv, (gpointer)from);
	g_ptr_array_add(argv, m->to);
	g_ptr_array_add(argv, NULL);
	text = g_strdup_printf(
	        "From: vigil <%s>\nTo: <%s>\nSubject: %s\nMIME-Version: 1.0\n"
	        "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: "
	        "8bit\nAuto-Submitted: auto-generated\n\n%s",
	        from, m->to, enc, m->body);
	if (g_spawn_async_with_pipes(NULL, (char **)argv->pdata, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
	                             NULL, NULL, &pid, &in, NULL, NULL, &ge)) {
		size_t off = 0, len = strlen(text);
		int status = 0;

		while (off < len) {
			ssize_t w = write(in, text + off, len - off);

			if (w <= 0)
				break;
			off += (size_t)w;
		}
		close(in);
		(void)waitpid(pid, &status, 0);
		g_spawn_close_pid(pid);
	} else {
		g_error_free(ge);
	}
	g_free(text);
	g_free(subj);
	g_free(enc);
	g_ptr_array_unref(argv);
}

static gpointer sender(gpointer data)
{
	struct job *j = data;

	for (guint i = 0; i < j->mails->len; i++) {
		struct notify_mail *m = j->mails->pdata[i];

		send_one(j->argv, j->from, m);
		g_free(m->to);
		g_free(m->subject);
		g_free(m->body);
		g_free(m);
	}
	g_ptr_array_unref(j->mails);
	g_strfreev(j->argv);
	g_free(j->from);
	g_free(j);
	return NULL;
}

void notify_free(GPtrArray *mails)
{
	if (mails == NULL)
		return;
	for (guint i = 0; i < mails->len; i++) {
		struct notify_mail *m = mails->pdata[i];

		g_free(m->to);
		g_free(m->subject);
		g_free(m->body);
		g_free(m);
	}
	g_ptr_array_unref(mails);
}

void notify_send(const struct vsrv *srv, GPtrArray *mails)
{
	struct job *j;
	char **argv = NULL;

	if (mails == NULL)
		return;
	if (mails->len == 0 || srv->sendmail == NULL || *srv->sendmail == 0 ||
	    !g_shell_parse_argv(srv->sendmail, NULL, &argv, NULL)) {
		notify_free(mails);
		return;
	}
	j = g_new0(struct job, 1);
	j->argv = argv;
	j->from = g_strdup(srv->mail_from ? srv->mail_from : "vigil@localhost");
	j->mails = mails;
	g_thread_unref(g_thread_new("notify", sender, j));
}
