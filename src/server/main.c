/*
 * main.c - vigild: the incident server (docs/vigild.md).
 *
 *   vigild [-c FILE] [--check]
 *
 * Reads its configuration, opens the store (applying migrations), loads the
 * organisation, creates the first administrator when there is no user yet
 * (password from $VIGIL_ADMIN_PASSWORD or random, written to
 * [server] admin_password_file with mode 0600 and never logged), binds,
 * drops root, and serves until SIGINT/SIGTERM.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sodium.h>
#include <unistd.h>

#include "api.h"
#include "api_agents.h"
#include "audit.h"
#include "auth.h"
#include "blocks.h"
#include "drill_team.h"
#include "drills.h"
#include "feeder.h"
#include "milter/log.h"
#include "orgmap.h"

const struct http_route api_routes[] = {
        {"GET", "/api/v1/health", api_health},
        {"POST", "/api/v1/session", auth_login},
        {"GET", "/api/v1/session", auth_session},
        {"DELETE", "/api/v1/session", auth_logout},
        {"GET", "/api/v1/users", api_users_list},
        {"POST", "/api/v1/users", api_users_create},
        {"PATCH", "/api/v1/users/:id", api_users_update},
        {"GET", "/api/v1/tokens", api_tokens_list},
        {"POST", "/api/v1/tokens", api_tokens_create},
        {"DELETE", "/api/v1/tokens/:id", api_tokens_revoke},
        {"GET", "/api/v1/audit", api_audit_list},
        {"GET", "/api/v1/audit/verify", api_audit_verify},
        {"GET", "/api/v1/org/units", api_org_units},
        {"GET", "/api/v1/org/:kind", api_org_list},
        {"POST", "/api/v1/org/:kind", api_org_add},
        {"PATCH", "/api/v1/org/:kind/:key", api_org_update},
        {"DELETE", "/api/v1/org/:kind/:key", api_org_remove},
        {"POST", "/api/v1/alerts", api_alerts_post},
        {"GET", "/api/v1/alerts", api_alerts_list},
        {"GET", "/api/v1/incidents", api_incidents_list},
        {"POST", "/api/v1/incidents", api_incidents_create},
        {"POST", "/api/v1/incidents/from-email", api_incidents_from_email},
        {"GET", "/api/v1/incidents/:id", api_incidents_get},
        {"PATCH", "/api/v1/incidents/:id", api_incidents_update},
        {"POST", "/api/v1/incidents/:id/indicators", api_incidents_add_indicator},
        {"POST", "/api/v1/incidents/:id/comments", api_incidents_comment},
        {"POST", "/api/v1/incidents/:id/tasks", api_incidents_add_task},
        {"PATCH", "/api/v1/incidents/:id/tasks/:task", api_incidents_update_task},
        {"POST", "/api/v1/incidents/:id/units", api_incidents_add_unit},
        {"POST", "/api/v1/incidents/:id/evidence", api_incidents_add_evidence},
        {"GET", "/api/v1/incidents/:id/evidence/:file", api_incidents_get_evidence},
        {"GET", "/api/v1/incidents/:id/reports/:kind", api_reports_get},
        {"POST", "/api/v1/incidents/:id/reports/:kind/filed", api_reports_filed},
        {"GET", "/api/v1/reports/due", api_reports_due},
        {"GET", "/api/v1/metrics/units", api_metrics_units},
        {"GET", "/api/v1/indicators", api_indicators_list},
        {"GET", "/api/v1/incidents/:id/export", api_exchange_export},
        {"POST", "/api/v1/incidents/:id/import", api_exchange_import},
        {"GET", "/api/v1/quarantine", api_quarantine_list},
        {"POST", "/api/v1/quarantine/:id/release", api_quarantine_release},
        {"POST", "/api/v1/quarantine/:id/delete", api_quarantine_delete},
        {"POST", "/api/v1/hunts", api_hunts_post},
        {"GET", "/api/v1/incidents/:id/copies", api_copies_list},
        {"POST", "/api/v1/incidents/:id/clawback", api_clawback_start},
        {"POST", "/api/v1/incidents/:id/restore", api_restore_start},
        {"GET", "/api/v1/incidents/:id/blast", api_blast},
        {"GET", "/api/v1/notifications", api_notifications_list},
        {"POST", "/api/v1/notifications/seen", api_notifications_seen},
        /* the block list pushed to every gateway (docs/blocks.md) */
        {"GET", "/api/v1/blocklist", api_blocklist_list},
        {"POST", "/api/v1/blocklist", api_blocklist_add},
        {"DELETE", "/api/v1/blocklist/:id", api_blocklist_remove},
        {"GET", "/api/v1/gateways", api_gateways_list},
        {"POST", "/api/v1/gateways/ack", api_gateways_ack},
        {"GET", "/api/v1/stream/blocks", api_blocks_stream},
        /* endpoint agents and sweeps (api_agents.c; the agents' own three
         * are let through by auth.c and check the agent's credential) */
        {"POST", "/api/v1/agents/enrol-tokens", api_agents_enrol_token},
        {"POST", "/api/v1/agents/enrol", api_agents_enrol},
        {"POST", "/api/v1/agents/checkin", api_agents_checkin},
        {"POST", "/api/v1/agents/results", api_agents_results},
        {"GET", "/api/v1/agents", api_agents_list},
        {"DELETE", "/api/v1/agents/:id", api_agents_revoke},
        {"POST", "/api/v1/incidents/:id/sweeps", api_sweeps_create},
        {"GET", "/api/v1/incidents/:id/sweeps", api_sweeps_list},
        {"POST", "/api/v1/incidents/:id/sweeps/:sweep/quarantine", api_sweeps_quarantine},
        /* drills: programmes, rounds, the staff exercise (api_drills.c) */
        {"GET", "/api/v1/drills/programmes", api_drill_programmes_list},
        {"POST", "/api/v1/drills/programmes", api_drill_programmes_create},
        {"POST", "/api/v1/drills/programmes/:id/generate", api_drill_programmes_generate},
        {"GET", "/api/v1/drills/rounds", api_drill_rounds_list},
        {"POST", "/api/v1/drills/rounds", api_drill_rounds_create},
        {"GET", "/api/v1/drills/rounds/:id", api_drill_rounds_get},
        {"PATCH", "/api/v1/drills/rounds/:id", api_drill_rounds_update},
        {"POST", "/api/v1/drills/rounds/:id/:action", api_drill_rounds_action},
        /* the team exercise (api_drill_team.c) */
        {"GET", "/api/v1/drills/rounds/:id/team", api_drill_team_get},
        {"PUT", "/api/v1/drills/rounds/:id/team", api_drill_team_put},
        {"GET", "/api/v1/drills/rounds/:id/team/score", api_drill_team_score},
        {"POST", "/api/v1/drills/rounds/:id/team/cleanup", api_drill_team_cleanup},
        {NULL, NULL, NULL},
};

struct conf {
	GKeyFile *kf; /* kept for the sections read later ([reports]) */
	char *listen, *db, *org, *web, *cert, *key, *user, *log, *log_level, *admin_file;
	char *public_url, *sendmail, *mail_from, *quarantine_dir, *vigil_cli, *drill_key;
	bool feed;
	unsigned threads;
	unsigned keepalive_s; /* the block stream's keep-alive comments */
	int64_t session_hours, idle_minutes;
};

static char *get(GKeyFile *kf, const char *key, const char *def)
{
	char *v = kf ? g_key_file_get_string(kf, "server", key, NULL) : NULL;

	if (v != NULL)
		g_strstrip(v);
	return v != NULL ? v : g_strdup(def);
}

/* [clawback]: where the mailboxes are and how to enter them (docs/containment.md) */
static int clawback_conf(GKeyFile *kf, struct vsrv *srv)
{
	char *v, *pwfile;

	srv->cb_host = kf ? g_key_file_get_string(kf, "clawback", "imap_host", NULL) : NULL;
	v = kf ? g_key_file_get_string(kf, "clawback", "imap_port", NULL) : NULL;
	srv->cb_port = v ? (unsigned)strtoul(v, NULL, 10) : 143;
	g_free(v);
	v = kf ? g_key_file_get_string(kf, "clawback", "parallel", NULL) : NULL;
	srv->cb_parallel = v ? (unsigned)strtoul(v, NULL, 10) : 4;
	g_free(v);
	srv->cb_master_user =
	        kf ? g_key_file_get_string(kf, "clawback", "master_user", NULL) : NULL;
	if (srv->cb_master_user == NULL)
		srv->cb_master_user = g_strdup("vigil-admin");
	srv->cb_separator = kf ? g_key_file_get_string(kf, "clawback", "separator", NULL) : NULL;
	if (srv->cb_separator == NULL)
		srv->cb_separator = g_strdup("*");
	srv->cb_folder = kf ? g_key_file_get_string(kf, "clawback", "folder", NULL) : NULL;
	if (srv->cb_folder == NULL)
		srv->cb_folder = g_strdup("VigilQuarantine");
	pwfile = kf ? g_key_file_get_string(kf, "clawback", "master_password_file", NULL) : NULL;
	if (pwfile != NULL && *pwfile) {
		if (!g_file_get_contents(pwfile, &srv->cb_master_password, NULL, NULL)) {
			fprintf(stderr,
			        "vigild: [clawback] master_password_file %s cannot be read\n",
			        pwfile);
			g_free(pwfile);
			return -1;
		}
		g_strstrip(srv->cb_master_password);
	}
	g_free(pwfile);
	return 0;
}

/* [reports]: the reporting organisation and contact (docs/reports.md) */
static void reports_conf(GKeyFile *kf, struct vsrv *srv)
{
	static const char *const keys[] = {"organisation", "unit",  "address", "city", "name",
	                                   "title",        "phone", "email",   NULL};
	json_t *r = json_object(), *rec = json_array();
	char **list;

	json_object_set_new(r, "organisation", json_string("Bảo hiểm xã hội Việt Nam"));
	json_object_set_new(r, "unit", json_string("Trung tâm Công nghệ thông tin"));
	json_object_set_new(r, "city", json_string("Hà Nội"));
	for (int i = 0; kf != NULL && keys[i] != NULL; i++) {
		char *v = g_key_file_get_string(kf, "reports", keys[i], NULL);

		if (v != NULL && g_utf8_validate(v, -1, NULL) && *g_strstrip(v))
			json_object_set_new(r, keys[i], json_string(v));
		g_free(v);
	}
	list = kf ? g_key_file_get_string_list(kf, "reports", "recipients", NULL, NULL) : NULL;
	for (char **p = list; p != NULL && *p != NULL; p++)
		if (g_utf8_validate(*p, -1, NULL) && *g_strstrip(*p))
			json_array_append_new(rec, json_string(*p));
	g_strfreev(list);
	srv->reporter = r;
	srv->recipients = rec;
}

static int conf_load(const char *path, struct conf *c)
{
	GKeyFile *kf = NULL;
	GError *ge = NULL;
	char *v, *end;

	if (path != NULL) {
		kf = g_key_file_new();
		if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &ge)) {
			fprintf(stderr, "vigild: %s: %s\n", path, ge->message);
			g_error_free(ge);
			g_key_file_free(kf);
			return -1;
		}
	}
	c->listen = get(kf, "listen", "127.0.0.1:8480");
	c->db = get(kf, "db", "sqlite:/var/lib/vigil/vigil.db");
	c->org = get(kf, "org", "/etc/vigil/org.json");
	c->web = get(kf, "web_dir", "/usr/share/vigil/web");
	c->cert = get(kf, "tls_cert", "");
	c->key = get(kf, "tls_key", "");
	c->user = get(kf, "user", "");
	c->log = get(kf, "log", "stderr");
	c->log_level = get(kf, "log_level", "info");
	c->admin_file = get(kf, "admin_password_file", "/var/lib/vigil/admin-password");
	c->sendmail = get(kf, "sendmail", "/usr/sbin/sendmail");
	c->quarantine_dir = get(kf, "quarantine_dir", "");
	c->vigil_cli = get(kf, "vigil", "");
	c->mail_from = get(kf, "mail_from", "vigil@localhost");
	{
		/* the drills' signing key (docs/drills.md): by default beside
		 * the administrator's password, in vigild's own folder; "" = no
		 * drills on this server */
		char *dir = g_path_get_dirname(c->admin_file), *def;

		def = g_build_filename(dir, "drill.key", NULL);
		c->drill_key = get(kf, "drill_key_file", def);
		g_free(dir);
		g_free(def);
	}
	{
		char *d = g_strdup_printf("http://%s", c->listen);

		c->public_url = get(kf, "public_url", d);
		g_free(d);
	}
	v = get(kf, "feed_from_store", "true");
	c->feed = strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "1") == 0;
	g_free(v);
	v = get(kf, "threads", "4");
	c->threads = (unsigned)strtoul(v, &end, 10);
	if (*end != 0 || c->threads == 0 || c->threads > 64) {
		fprintf(stderr, "vigild: [server] threads = %s: use 1 to 64\n", v);
		g_free(v);
		g_key_file_free(kf);
		return -1;
	}
	g_free(v);
	v = get(kf, "stream_keepalive", "15");
	c->keepalive_s = (unsigned)strtoul(v, &end, 10);
	/* gateways take 60 s of silence for a dead connection (milter/blocksub.c) */
	if (*end != 0 || c->keepalive_s == 0 || c->keepalive_s > 30) {
		fprintf(stderr, "vigild: [server] stream_keepalive = %s: use 1 to 30 seconds\n", v);
		g_free(v);
		g_key_file_free(kf);
		return -1;
	}
	g_free(v);
	v = get(kf, "session_hours", "12");
	c->session_hours = strtoll(v, &end, 10);
	g_free(v);
	v = get(kf, "idle_minutes", "60");
	c->idle_minutes = strtoll(v, &end, 10);
	g_free(v);
	if (c->session_hours < 1 || c->session_hours > 24 * 30 || c->idle_minutes < 1) {
		fprintf(stderr,
		        "vigild: session_hours must be 1..720 and idle_minutes at least 1\n");
		g_key_file_free(kf);
		return -1;
	}
	c->kf = kf;
	return 0;
}

struct boot {
	const char *pw_hash;
	int64_t users;
};

static int boot_tx(store_db *db, void *ctx, char **err)
{
	struct boot *b = ctx;
	struct store_val p[] = {store_text(b->pw_hash), store_int(store_now_ms())};
	int rc =
	        store_sql(db, "SELECT count(*) FROM users", NULL, 0, store_row_int, &b->users, err);

	if (rc != STORE_OK || b->users > 0)
		return rc;
	rc = store_sql(
	        db,
	        "INSERT INTO users (username, display_name, role, pw_hash, created_ms) VALUES "
	        "('admin', 'Quản trị hệ thống', 'admin', ?, ?)",
	        p, 2, NULL, NULL, err);
	if (rc == STORE_OK)
		rc = audit_append(db, "vigild", "user.create", "admin", NULL, NULL, err);
	return rc;
}

/* the first administrator, when there is no user at all */
static int bootstrap(store *st, const char *file)
{
	const char *env = getenv("VIGIL_ADMIN_PASSWORD");
	char *pw = env && *env ? g_strdup(env) : auth_random_token("");
	char *hash = auth_hash_password(pw);
	struct boot b = {hash, 0};
	char *err = NULL;
	int rc, fd;

	if (hash == NULL) {
		g_free(pw);
		return -1;
	}
	rc = store_with(st, 1, boot_tx, &b, &err);
	if (rc != STORE_OK) {
		vlog_error("vigild", "cannot create the first administrator: %s", err ? err : "?");
		free(err);
		goto out;
	}
	if (b.users == 0) {
		(void)unlink(file);
		fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 || write(fd, pw, strlen(pw)) != (ssize_t)strlen(pw) ||
		    write(fd, "\n", 1) != 1) {
			vlog_error("vigild", "cannot write %s: %s", file, g_strerror(errno));
			rc = -1;
		} else {
			vlog_info("vigild",
			          "created user 'admin'; its password is in %s (change it after "
			          "signing in)",
			          file);
		}
		if (fd >= 0)
			close(fd);
	}
out:
	g_free(pw);
	g_free(hash);
	return rc == STORE_OK ? 0 : -1;
}

static int drop_root(const char *user)
{
	struct passwd *pw;

	if (user == NULL || *user == 0 || geteuid() != 0)
		return 0;
	pw = getpwnam(user);
	if (pw == NULL) {
		fprintf(stderr, "vigild: user %s does not exist\n", user);
		return -1;
	}
	if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
		fprintf(stderr, "vigild: cannot become %s: %s\n", user, g_strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *conf_path = NULL;
	bool check = false;
	struct conf c = {0};
	struct vsrv srv = {0};
	http_server *h = NULL;
	struct feeder *feed = NULL;
	sigset_t set;
	char *err = NULL;
	int sig, rc = 1;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			conf_path = argv[++i];
		else if (strcmp(argv[i], "--check") == 0)
			check = true;
		else {
			fprintf(stderr, "usage: vigild [-c FILE] [--check]\n");
			return 2;
		}
	}
	if (conf_load(conf_path, &c) != 0)
		return 2;
	if (vlog_open(c.log, c.log_level) != 0) {
		fprintf(stderr, "vigild: log %s: %s\n", c.log, g_strerror(errno));
		return 2;
	}
	if (auth_init() != 0) {
		fprintf(stderr, "vigild: libsodium failed to start\n");
		return 1;
	}
	srv.org = orgmap_load(c.org, &err);
	if (srv.org == NULL) {
		fprintf(stderr, "vigild: organisation: %s\n", err);
		goto out;
	}
	if (store_open(c.db, &srv.st, &err) != STORE_OK) {
		fprintf(stderr, "vigild: store %s: %s\n", c.db, err ? err : "cannot open");
		goto out;
	}
	if (check) {
		printf("vigild: configuration, organisation and store are usable\n");
		rc = 0;
		goto out;
	}
	if (bootstrap(srv.st, c.admin_file) != 0)
		goto out;
	reports_conf(c.kf, &srv);
	if (clawback_conf(c.kf, &srv) != 0)
		goto out;
	srv.secure_cookies = *c.cert != 0;
	srv.public_url = c.public_url;
	srv.sendmail = c.sendmail;
	srv.mail_from = c.mail_from;
	srv.quarantine_dir = c.quarantine_dir;
	/* the scanner of reported messages: [server] vigil, else the `vigil`
	 * beside this vigild */
	if (*c.vigil_cli) {
		srv.vigil_cli = g_strdup(c.vigil_cli);
	} else {
		char *self = g_file_read_link("/proc/self/exe", NULL), *dir;

		dir = self ? g_path_get_dirname(self) : g_strdup("/usr/bin");
		srv.vigil_cli = g_build_filename(dir, "vigil", NULL);
		g_free(self);
		g_free(dir);
	}
	srv.session_ttl_ms = c.session_hours * 3600 * 1000;
	srv.session_idle_ms = c.idle_minutes * 60 * 1000;
	{
		char host[128] = "vigild", *node;

		gethostname(host, sizeof host - 1);
		node = g_strdup_printf("%s %s", host, c.listen);
		srv.hub = blockhub_start(&srv, c.keepalive_s, node, &err);
		g_free(node);
		if (srv.hub == NULL) {
			fprintf(stderr, "vigild: %s\n", err);
			goto out;
		}
	}
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	h = http_start(c.listen, c.threads, api_routes, auth_before, c.web, c.cert, c.key, &srv,
	               &err);
	if (h == NULL) {
		fprintf(stderr, "vigild: %s\n", err);
		goto out;
	}
	if (drop_root(c.user) != 0)
		goto out;
	vlog_info("vigild", "listening on %s (port %u), store %s", c.listen, http_port(h),
	          store_backend(srv.st));
	{
		/* VIGIL_WARN_INTERVAL: seconds between deadline checks (tests) */
		const char *wi = getenv("VIGIL_WARN_INTERVAL");
		unsigned warn_s = wi != NULL ? (unsigned)strtoul(wi, NULL, 10) : 60;

		feed = feeder_start(&srv, 1000, c.feed, warn_s);
	}
	if (drills_start(&srv, c.kf, c.drill_key) != 0)
		goto out;
	{
		/* the scenario files of the team exercise ([drills] scenarios) */
		char *dir = g_key_file_get_string(c.kf, "drills", "scenarios", NULL);

		drill_team_set_scenarios(
		        dir && *g_strstrip(dir) ? dir : VIGIL_INSTALL_DATADIR "/rules/scenarios");
		g_free(dir);
	}
	if (drill_team_start(&srv) != 0) {
		vlog_error("vigild", "cannot start the drills' scheduler thread");
		goto out;
	}
	if (agents_start(&srv) != 0) {
		vlog_error("vigild", "cannot start the agents' thread");
		goto out;
	}
	sigdelset(&set, SIGPIPE);
	do {
		if (sigwait(&set, &sig) != 0)
			break;
	} while (sig != SIGINT && sig != SIGTERM);
	vlog_info("vigild", "stopping");
	rc = 0;
out:
	feeder_stop(feed);
	/* the streams end before the server stops, which waits for them; their
	 * ends still use the hub and the store */
	blockhub_stop(srv.hub);
	http_stop(h);
	agents_stop(); /* after the last check-in: its time is written */
	drill_team_stop();
	drills_stop();
	blockhub_free(srv.hub);
	store_close(srv.st);
	orgmap_free(srv.org);
	g_free(err);
	g_free(c.listen);
	g_free(c.db);
	g_free(c.org);
	g_free(c.web);
	g_free(c.cert);
	g_free(c.key);
	g_free(c.user);
	g_free(c.log);
	g_free(c.log_level);
	g_free(c.admin_file);
	g_free(c.public_url);
	g_free(c.sendmail);
	g_free(c.mail_from);
	g_free(c.quarantine_dir);
	g_free(c.vigil_cli);
	g_free(c.drill_key);
	g_free(srv.vigil_cli);
	g_free(srv.cb_host);
	g_free(srv.cb_master_user);
	g_free(srv.cb_separator);
	g_free(srv.cb_folder);
	if (srv.cb_master_password)
		sodium_memzero(srv.cb_master_password, strlen(srv.cb_master_password));
	g_free(srv.cb_master_password);
	json_decref(srv.reporter);
	json_decref(srv.recipients);
	if (c.kf)
		g_key_file_free(c.kf);
	return rc;
}
