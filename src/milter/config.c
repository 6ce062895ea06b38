/*
 * config.c - reading vigil-milter's configuration file (GLib key file) and
 * deciding actions from it. Every key has a default (docs/milter.md); an
 * unknown action name, size or network is an error naming the key, so a
 * typo never silently weakens the policy.
 */
#include "config.h"

#include "drill/drill.h"
#include "log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const action_names[ACT__COUNT] = {
        "accept", "tag", "tempfail", "hold", "quarantine", "discard", "reject",
};

const char *action_name(enum action a)
{
	return (unsigned)a < ACT__COUNT ? action_names[a] : "?";
}

int action_parse(const char *s)
{
	for (int i = 0; i < ACT__COUNT; i++)
		if (s != NULL && strcmp(s, action_names[i]) == 0)
			return i;
	return -1;
}

static char *get_str(GKeyFile *kf, const char *group, const char *key, const char *def)
{
	char *v = g_key_file_get_string(kf, group, key, NULL);

	if (v == NULL)
		return def ? g_strdup(def) : NULL;
	g_strstrip(v);
	return v;
}

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (end == s || errno != 0)
		return -1;
	switch (*end) {
	case 'k':
	case 'K':
		v <<= 10;
		end++;
		break;
	case 'm':
	case 'M':
		v <<= 20;
		end++;
		break;
	case 'g':
	case 'G':
		v <<= 30;
		end++;
		break;
	default:
		break;
	}
	if (*end != 0)
		return -1;
	*out = v;
	return 0;
}

static int get_size(GKeyFile *kf, const char *group, const char *key, uint64_t def, uint64_t *out,
                    char **err)
{
	char *v = get_str(kf, group, key, NULL);
	int rc = 0;

	*out = def;
	if (v != NULL && parse_size(v, out) != 0) {
		*err = g_strdup_printf("[%s] %s = %s: expected a number, optionally with k/m/g",
		                       group, key, v);
		rc = -1;
	}
	g_free(v);
	return rc;
}

static char **get_list(GKeyFile *kf, const char *group, const char *key, const char *def)
{
	char *v = get_str(kf, group, key, def);
	char **parts, **out;
	GPtrArray *a;

	if (v == NULL)
		return g_new0(char *, 1);
	parts = g_strsplit(v, ";", -1);
	a = g_ptr_array_new();
	for (char **p = parts; *p != NULL; p++) {
		char *t = g_strstrip(*p);

		if (*t)
			g_ptr_array_add(a, g_strdup(t));
	}
	g_ptr_array_add(a, NULL);
	out = (char **)g_ptr_array_free(a, FALSE);
	g_strfreev(parts);
	g_free(v);
	return out;
}

static int parse_cidr(const char *s, struct cidr *c)
{
	char buf[64];
	char *slash;
	long bits;

	if (strlen(s) >= sizeof buf)
		return -1;
	g_strlcpy(buf, s, sizeof buf);
	slash = strchr(buf, '/');
	if (slash != NULL)
		*slash++ = 0;
	memset(c, 0, sizeof *c);
	if (inet_pton(AF_INET, buf, c->addr) == 1) {
		c->family = AF_INET;
		c->bits = 32;
	} else if (inet_pton(AF_INET6, buf, c->addr) == 1) {
		c->family = AF_INET6;
		c->bits = 128;
	} else {
		return -1;
	}
	if (slash != NULL) {
		char *end;

		bits = strtol(slash, &end, 10);
		if (*end != 0 || bits < 0 || (unsigned long)bits > c->bits)
			return -1;
		c->bits = (unsigned)bits;
	}
	return 0;
}

static bool cidr_match(const struct cidr *c, const uint8_t *addr)
{
	unsigned full = c->bits / 8, rest = c->bits % 8;

	if (memcmp(c->addr, addr, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((c->addr[full] ^ addr[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

bool config_internal_addr(const struct milter_config *c, const char *addr)
{
	uint8_t a[16];
	int fam;

	if (addr == NULL || c->internal_nets == NULL)
		return false;
	if (inet_pton(AF_INET, addr, a) == 1)
		fam = AF_INET;
	else if (inet_pton(AF_INET6, addr, a) == 1)
		fam = AF_INET6;
	else
		return false;
	for (guint i = 0; i < c->internal_nets->len; i++) {
		const struct cidr *n = &g_array_index(c->internal_nets, struct cidr, i);

		if (n->family == fam && cidr_match(n, a))
			return true;
	}
	return false;
}

static const char *const verdict_keys[3] = {"clean", "suspicious", "malicious"};
static const char *const sev_keys[5] = {"info", "low", "medium", "high", "critical"};

static int load_policy(GKeyFile *kf, const char *group, struct policy *p, bool outbound, char **err)
{
	const int defaults[3] = {ACT_TAG, ACT_TAG, outbound ? ACT_REJECT : ACT_QUARANTINE};
	char **keys;

	p->finding_rules = g_ptr_array_new();
	for (int i = 0; i < 3; i++)
		p->verdict[i] = defaults[i];
	for (int i = 0; i < 5; i++)
		p->severity[i] = -1;
	p->error = ACT_TEMPFAIL;
	p->oversize = ACT_REJECT;
	p->reject_reply =
	        get_str(kf, group, "reject_reply",
	                outbound ? "550 5.7.1 Message refused: it carries malware (vigil %s). "
	                           "Do not open the attachment; contact the IT Centre."
	                         : "550 5.7.1 Message refused: it carries malware (vigil %s). "
	                           "Contact the recipient's IT Centre if this is an error.");
	p->tempfail_reply =
	        get_str(kf, group, "tempfail_reply",
	                "451 4.7.1 Message could not be scanned now; please retry later "
	                "(vigil %s)");
	p->oversize_reply = get_str(kf, group, "oversize_reply",
	                            "552 5.3.4 Message too large for the gateway to scan; send it "
	                            "in smaller parts (vigil %s)");
	keys = g_key_file_get_keys(kf, group, NULL, NULL);
	for (char **k = keys; k != NULL && *k != NULL; k++) {
		char *v = get_str(kf, group, *k, "");
		int a = action_parse(v), done = 0;

		if (strcmp(*k, "reject_reply") == 0 || strcmp(*k, "tempfail_reply") == 0 ||
		    strcmp(*k, "oversize_reply") == 0) {
			g_free(v);
			continue;
		}
		if (a < 0) {
			*err = g_strdup_printf(
			        "[%s] %s = %s: not an action (use one of accept, tag, "
			        "tempfail, hold, quarantine, discard, reject)",
			        group, *k, v);
			g_free(v);
			g_strfreev(keys);
			return -1;
		}
		for (int i = 0; i < 3; i++)
			if (strcmp(*k, verdict_keys[i]) == 0)
				p->verdict[i] = a, done = 1;
		for (int i = 0; i < 5; i++)
			if (g_str_has_prefix(*k, "severity.") && strcmp(*k + 9, sev_keys[i]) == 0)
				p->severity[i] = a, done = 1;
		if (strcmp(*k, "error") == 0)
			p->error = a, done = 1;
		if (strcmp(*k, "oversize") == 0)
			p->oversize = a, done = 1;
		if (g_str_has_prefix(*k, "finding.") && (*k)[8]) {
			struct finding_rule *r = g_new0(struct finding_rule, 1);

			r->glob = g_strdup(*k + 8);
			r->act = (enum action)a;
			g_ptr_array_add(p->finding_rules, r);
			done = 1;
		}
		g_free(v);
		if (!done) {
			*err = g_strdup_printf("[%s] %s: unknown key (see docs/milter.md)", group,
			                       *k);
			g_strfreev(keys);
			return -1;
		}
	}
	g_strfreev(keys);
	if (p->error == ACT_ACCEPT || p->error == ACT_TAG) {
		*err = g_strdup_printf(
		        "[%s] error = %s: an unscanned message must never be accepted; "
		        "use tempfail, hold, quarantine or reject",
		        group, action_name((enum action)p->error));
		return -1;
	}
	if (p->oversize == ACT_ACCEPT) {
		*err = g_strdup_printf("[%s] oversize = accept: use tag (delivered with a header "
		                       "saying it was not scanned), or a stronger action",
		                       group);
		return -1;
	}
	return 0;
}

static void free_policy(struct policy *p)
{
	if (p->finding_rules != NULL) {
		for (guint i = 0; i < p->finding_rules->len; i++) {
			struct finding_rule *r = g_ptr_array_index(p->finding_rules, i);

			g_free(r->glob);
			g_free(r);
		}
		g_ptr_array_unref(p->finding_rules);
	}
	g_free(p->reject_reply);
	g_free(p->tempfail_reply);
	g_free(p->oversize_reply);
}

enum action policy_decide(const struct policy *p, int verdict, int max_severity,
                          const char *const *finding_ids, size_t n, const char **why)
{
	enum action best = ACT_ACCEPT;

	*why = "verdict";
	if (verdict >= 0 && verdict < 3)
		best = (enum action)p->verdict[verdict];
	if (max_severity >= 0 && max_severity < 5 && p->severity[max_severity] > (int)best) {
		best = (enum action)p->severity[max_severity];
		*why = "severity";
	}
	for (guint r = 0; r < p->finding_rules->len; r++) {
		const struct finding_rule *fr = g_ptr_array_index(p->finding_rules, r);

		if (fr->act <= best)
			continue;
		for (size_t i = 0; i < n; i++)
			if (g_pattern_match_simple(fr->glob, finding_ids[i])) {
				best = fr->act;
				*why = fr->glob;
				break;
			}
	}
	return best;
}

int config_load(const char *path, struct milter_config *c, char **err)
{
	GKeyFile *kf = g_key_file_new();
	GError *ge = NULL;
	char *v;
	char **nets;
	int rc = -1;
	uint64_t n;

	memset(c, 0, sizeof *c);
	c->path = g_strdup(path);
	if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &ge)) {
		*err = g_strdup_printf("%s: %s", path, ge->message);
		g_error_free(ge);
		goto out;
	}
	c->socket = get_str(kf, "milter", "socket", "unix:/var/lib/vigil/run/milter.sock");
	if (get_size(kf, "milter", "workers", 4, &n, err) != 0)
		goto out;
	if (n == 0 || n > POOL_MAX_WORKERS) {
		*err = g_strdup_printf("[milter] workers = %llu: use 1 to %d",
		                       (unsigned long long)n, POOL_MAX_WORKERS);
		goto out;
	}
	c->workers = (unsigned)n;
	if (get_size(kf, "milter", "scan_timeout", 60, &n, err) != 0)
		goto out;
	if (n == 0 || n > 3600) {
		*err = g_strdup("[milter] scan_timeout: use 1 to 3600 seconds");
		goto out;
	}
	c->scan_timeout = (unsigned)n;
	if (get_size(kf, "milter", "max_message_size", 64u << 20, &c->max_message_size, err) != 0)
		goto out;
	if (get_size(kf, "milter", "worker_memory", 2ull << 30, &c->worker_mem_limit, err) != 0)
		goto out;
	c->spool_dir = get_str(kf, "milter", "spool_dir", "/var/lib/vigil/spool");
	c->quarantine_dir = get_str(kf, "milter", "quarantine_dir", "/var/lib/vigil/quarantine");
	c->journal_dir = get_str(kf, "milter", "journal_dir", "/var/lib/vigil/journal");
	c->run_dir = get_str(kf, "milter", "run_dir", "/var/lib/vigil/run");
	c->db = get_str(kf, "milter", "db", "sqlite:/var/lib/vigil/vigil.db");
	c->control_socket =
	        get_str(kf, "milter", "control_socket", "/var/lib/vigil/run/control.sock");
	c->metrics = get_str(kf, "milter", "metrics", "127.0.0.1:9425");
	c->log = get_str(kf, "milter", "log", "stderr");
	c->log_level = get_str(kf, "milter", "log_level", "info");
	if (vlog_level_parse(c->log_level) < 0) {
		*err = g_strdup_printf("[milter] log_level = %s: use debug, info, warn or error",
		                       c->log_level);
		goto out;
	}
	c->user = get_str(kf, "milter", "user", "");
	v = get_str(kf, "milter", "gateway", "");
	if (*v == 0) {
		char host[256] = "gateway";

		gethostname(host, sizeof host - 1);
		g_free(v);
		v = g_strdup(host);
	}
	c->gateway = v;
	/* the drill key: a configured key that cannot be read stops the start
	 * (silently treating every drill as forged would quarantine a whole
	 * exercise) */
	c->drill_key_file = get_str(kf, "milter", "drill_key_file", "");
	if (*c->drill_key_file != 0) {
		drill_error de = {0};

		if (drill_key_load(c->drill_key_file, c->drill_key, &de) != DRILL_OK) {
			*err = g_strdup_printf("[milter] drill_key_file = %s: %s; create it with "
			                       "`vigil drill key FILE` or copy vigild's",
			                       c->drill_key_file, de.en);
			goto out;
		}
		c->drill_key_loaded = true;
	}
	v = get_str(kf, "milter", "sendmail", "/usr/sbin/sendmail");
	if (!g_shell_parse_argv(v, NULL, &c->sendmail, NULL) || c->sendmail[0] == NULL) {
		*err = g_strdup_printf(
		        "[milter] sendmail = %s: expected a command and its arguments", v);
		g_free(v);
		goto out;
	}
	g_free(v);

	c->engine.rules = get_list(kf, "engine", "rules", NULL);
	c->engine.indicators = get_list(kf, "engine", "indicators", NULL);
	c->engine.rule_severity = get_str(kf, "engine", "rule_severity", NULL);
	c->engine.option_files = get_list(kf, "engine", "options", NULL);
	for (char **f = c->engine.option_files; *f != NULL; f++)
		if (access(*f, R_OK) != 0) {
			*err = g_strdup_printf("[engine] options: %s: %s; give a readable "
			                       "KEY = VALUE file (docs/analyzers.md) or remove it",
			                       *f, g_strerror(errno));
			goto out;
		}
	for (int l = 0; l < VIGIL_LIMIT__COUNT; l++) {
		char key[64];

		g_snprintf(key, sizeof key, "limit.%s", vigil_limit_name((vigil_limit)l));
		if (get_size(kf, "engine", key, 0, &c->engine.limits[l], err) != 0)
			goto out;
	}

	{
		/* [analyzers]: every key is an engine option; ';' separates list values */
		char **keys = g_key_file_get_keys(kf, "analyzers", NULL, NULL);
		GPtrArray *o = g_ptr_array_new();

		for (char **k = keys; k != NULL && *k != NULL; k++) {
			char **vals = get_list(kf, "analyzers", *k, NULL);

			for (char **x = vals; *x != NULL; x++)
				g_ptr_array_add(o, g_strdup_printf("%s=%s", *k, *x));
			g_strfreev(vals);
		}
		g_ptr_array_add(o, NULL);
		c->engine.options = (char **)g_ptr_array_free(o, FALSE);
		g_strfreev(keys);
	}
	c->internal_nets = g_array_new(FALSE, FALSE, sizeof(struct cidr));
	nets = get_list(kf, "network", "internal_networks",
	                "127.0.0.0/8;::1/128;10.0.0.0/8;172.16.0.0/12;192.168.0.0/16");
	for (char **s = nets; *s != NULL; s++) {
		struct cidr cd;

		if (parse_cidr(*s, &cd) != 0) {
			*err = g_strdup_printf(
			        "[network] internal_networks: %s is not an address or "
			        "network (a.b.c.d/n)",
			        *s);
			g_strfreev(nets);
			goto out;
		}
		g_array_append_val(c->internal_nets, cd);
	}
	g_strfreev(nets);
	c->internal_domains = get_list(kf, "network", "internal_domains", NULL);

	if (load_policy(kf, "policy.inbound", &c->inbound, false, err) != 0 ||
	    load_policy(kf, "policy.outbound", &c->outbound, true, err) != 0)
		goto out;

	/* [vigild]: follow its block list (docs/blocks.md) */
	v = get_str(kf, "vigild", "url", "");
	if (*v != 0) {
		if ((!g_str_has_prefix(v, "http://") && !g_str_has_prefix(v, "https://")) ||
		    strlen(v) > 1024 || strpbrk(v, " \t\r\n?#") != NULL) {
			*err = g_strdup_printf("[vigild] url = %s: expected vigild's address, "
			                       "http(s)://HOST:PORT",
			                       v);
			g_free(v);
			goto out;
		}
		c->vigild_url = v;
		c->vigild_token_file = get_str(kf, "vigild", "token_file", "");
		if (*c->vigild_token_file == 0) {
			*err = g_strdup("[vigild] token_file: the file with this gateway's token "
			                "(kind gateway, from vigild's administrator) is required "
			                "with url");
			goto out;
		}
		c->vigild_state_file =
		        get_str(kf, "vigild", "state_file", "/var/lib/vigil/blocks.json");
		c->vigild_ca_file = get_str(kf, "vigild", "ca_file", "");
	} else {
		g_free(v);
	}
	rc = 0;
out:
	g_key_file_free(kf);
	return rc;
}

void config_free(struct milter_config *c)
{
	g_free(c->path);
	g_free(c->socket);
	g_free(c->spool_dir);
	g_free(c->quarantine_dir);
	g_free(c->journal_dir);
	g_free(c->run_dir);
	g_free(c->db);
	g_free(c->control_socket);
	g_free(c->metrics);
	g_free(c->log);
	g_free(c->log_level);
	g_free(c->user);
	g_free(c->gateway);
	g_strfreev(c->sendmail);
	g_strfreev(c->engine.rules);
	g_strfreev(c->engine.indicators);
	g_free(c->engine.rule_severity);
	g_strfreev(c->engine.options);
	g_strfreev(c->engine.option_files);
	if (c->internal_nets)
		g_array_free(c->internal_nets, TRUE);
	g_strfreev(c->internal_domains);
	free_policy(&c->inbound);
	free_policy(&c->outbound);
	g_free(c->vigild_url);
	g_free(c->vigild_token_file);
	g_free(c->vigild_state_file);
	g_free(c->vigild_ca_file);
	g_free(c->drill_key_file);
	memset(c, 0, sizeof *c); /* the drill key too */
}
