/*
 * engine_opts.c - rule, indicator and limit options shared by commands.
 *
 * The default rule pack (rules/default/, rules/severity.conf and the
 * indicator seeds rules/indicators.txt) is found in
 * $VIGIL_DATADIR, else next to the source tree the binary was built from,
 * else in the installed data directory. --no-default-rules leaves it out,
 * and with it the default analyzer options (rules/options.conf) and brand
 * list (rules/brands.txt).
 */
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#ifndef VIGIL_SOURCE_DATADIR
#define VIGIL_SOURCE_DATADIR "."
#endif
#ifndef VIGIL_INSTALL_DATADIR
#define VIGIL_INSTALL_DATADIR "/usr/share/vigil"
#endif

static bool is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *cli_datadir(void)
{
	const char *d = getenv("VIGIL_DATADIR");
	static char buf[4096];

	if (d != NULL && *d)
		return d;
	snprintf(buf, sizeof buf, "%s/rules", VIGIL_SOURCE_DATADIR);
	if (is_dir(buf))
		return VIGIL_SOURCE_DATADIR;
	return VIGIL_INSTALL_DATADIR;
}

static int parse_limit(vigil_config *cfg, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char *end;
	unsigned long long v;

	if (eq == NULL)
		goto bad;
	v = strtoull(eq + 1, &end, 10);
	if (end == eq + 1 || v == 0)
		goto bad;
	/* optional size suffix */
	if (*end == 'k' || *end == 'K')
		v <<= 10, end++;
	else if (*end == 'm' || *end == 'M')
		v <<= 20, end++;
	else if (*end == 'g' || *end == 'G')
		v <<= 30, end++;
	if (*end != 0)
		goto bad;
	for (int l = 0; l < VIGIL_LIMIT__COUNT; l++) {
		const char *name = vigil_limit_name((vigil_limit)l);

		if (strlen(name) == (size_t)(eq - arg) &&
		    strncmp(name, arg, (size_t)(eq - arg)) == 0)
			return vigil_config_set_limit(cfg, (vigil_limit)l, v) == VIGIL_OK ? 1 : -1;
	}
bad:
	fprintf(stderr, "vigil: --limit %s: expected NAME=NUMBER with NAME one of:", arg);
	for (int l = 0; l < VIGIL_LIMIT__COUNT; l++)
		fprintf(stderr, " %s", vigil_limit_name((vigil_limit)l));
	fprintf(stderr, "\n");
	return -1;
}

int engine_opt(struct engine_opts *eo, int opt, const char *arg)
{
	if (eo->cfg == NULL)
		eo->cfg = vigil_config_new();
	switch (opt) {
	case 'r':
		if (eo->nrules >= 32) {
			fprintf(stderr,
			        "vigil: at most 32 --rules; put the files in one directory\n");
			return -1;
		}
		eo->rules[eo->nrules++] = arg;
		return 1;
	case 'i':
		if (eo->niocs >= 32) {
			fprintf(stderr, "vigil: at most 32 --ioc files; concatenate them\n");
			return -1;
		}
		eo->iocs[eo->niocs++] = arg;
		return 1;
	case 1001:
		eo->no_default_rules = true;
		return 1;
	case 1002:
		return parse_limit(eo->cfg, arg);
	case 1003:
		eo->severity_file = arg;
		return 1;
	case 1005:
	case 1006:
		if (opt == 1005 && (strchr(arg, '=') == NULL || arg[0] == '=')) {
			fprintf(stderr,
			        "vigil: --option %s: expected KEY=VALUE (docs/analyzers.md)\n",
			        arg);
			return -1;
		}
		if (eo->nuser_opts >= 64) {
			fprintf(stderr,
			        "vigil: at most 64 --option/--options; use an options file\n");
			return -1;
		}
		eo->user_opt_file[eo->nuser_opts] = opt == 1006;
		eo->user_opts[eo->nuser_opts++] = arg;
		return 1;
	case 1007:
		if (strcmp(arg, "inbound") == 0)
			eo->direction = VIGIL_DIR_INBOUND;
		else if (strcmp(arg, "outbound") == 0)
			eo->direction = VIGIL_DIR_OUTBOUND;
		else {
			fprintf(stderr, "vigil: --direction takes inbound or outbound\n");
			return -1;
		}
		return 1;
	case 1008:
		if (!vigil_type_known(arg)) {
			fprintf(stderr,
			        "vigil: --type %s: not a type vigil knows (email, zip, pdf, "
			        "ole2, ... as `vigil scan --json` reports them)\n",
			        arg);
			return -1;
		}
		eo->type = arg;
		return 1;
	case 1004:
		if (strcmp(arg, "vi") == 0)
			cli_set_lang(VIGIL_LANG_VI);
		else if (strcmp(arg, "en") == 0)
			cli_set_lang(VIGIL_LANG_EN);
		else {
			fprintf(stderr, "vigil: --lang takes vi or en\n");
			return -1;
		}
		return 1;
	}
	return 0;
}

const char *engine_opts_help(void)
{
	return "  -r, --rules FILE|DIR     YARA rules (repeatable); a directory is searched\n"
	       "                           recursively for *.yar and *.yara\n"
	       "  -i, --ioc FILE           indicator file (repeatable; see docs/indicators.md)\n"
	       "      --rule-severity FILE rule severity overrides (\"glob severity\" lines)\n"
	       "      --no-default-rules   do not load vigil's default rules\n"
	       "      --limit NAME=N       set a limit: depth, objects, total_bytes, "
	       "object_bytes,\n"
	       "                           ratio, time_ms, mime_depth (sizes take k/m/g)\n"
	       "      --option KEY=VALUE   an analyzer option (repeatable; docs/analyzers.md)\n"
	       "      --options FILE       analyzer options as KEY = VALUE lines\n"
	       "      --direction inbound|outbound  the message's direction (outbound enables\n"
	       "                           the data-loss checks)\n"
	       "      --type TYPE          what every input is (e.g. email), whatever its\n"
	       "                           first bytes look like; mbox messages are email\n"
	       "      --lang vi|en         language of the output (default: from "
	       "VIGIL_LANG/LANG)\n";
}

vigil_engine *engine_build(struct engine_opts *eo)
{
	vigil_engine *e = NULL;
	char *err = NULL;
	vigil_err rc;
	char path[4096];

	if (eo->cfg == NULL)
		eo->cfg = vigil_config_new();
	if (!eo->no_default_rules) {
		snprintf(path, sizeof path, "%s/rules/default", cli_datadir());
		if (is_dir(path))
			vigil_config_add_rules(eo->cfg, path);
		snprintf(path, sizeof path, "%s/rules/severity.conf", cli_datadir());
		if (access(path, R_OK) == 0)
			vigil_config_load_rule_severity(eo->cfg, path);
		snprintf(path, sizeof path, "%s/rules/indicators.txt", cli_datadir());
		if (access(path, R_OK) == 0)
			vigil_config_add_indicators(eo->cfg, path);
		/* analyzer options (docs/analyzers.md) and the brand domains that
		 * lookalike checks protect; the user's --option values come after */
		snprintf(path, sizeof path, "%s/rules/options.conf", cli_datadir());
		if (access(path, R_OK) == 0 && vigil_config_load_options(eo->cfg, path) != VIGIL_OK)
			fprintf(stderr, "vigil: %s: lines without KEY = VALUE ignored\n", path);
		snprintf(path, sizeof path, "%s/rules/brands.txt", cli_datadir());
		if (access(path, R_OK) == 0)
			vigil_config_set_option(eo->cfg, "brand_list", path);
	}
	for (int i = 0; i < eo->nuser_opts; i++) {
		const char *arg = eo->user_opts[i];

		if (eo->user_opt_file[i]) {
			if (vigil_config_load_options(eo->cfg, arg) != VIGIL_OK) {
				fprintf(stderr,
				        "vigil: --options %s: cannot read it as KEY = VALUE "
				        "lines\n",
				        arg);
				return NULL;
			}
		} else {
			char *k = g_strndup(arg, (size_t)(strchr(arg, '=') - arg));

			vigil_config_set_option(eo->cfg, k, strchr(arg, '=') + 1);
			g_free(k);
		}
	}
	if (eo->severity_file != NULL &&
	    vigil_config_load_rule_severity(eo->cfg, eo->severity_file) != VIGIL_OK) {
		fprintf(stderr,
		        "vigil: %s: cannot read rule severities (expected \"glob severity\" "
		        "lines)\n",
		        eo->severity_file);
		return NULL;
	}
	for (int i = 0; i < eo->nrules; i++)
		vigil_config_add_rules(eo->cfg, eo->rules[i]);
	for (int i = 0; i < eo->niocs; i++)
		vigil_config_add_indicators(eo->cfg, eo->iocs[i]);
	rc = vigil_engine_new(eo->cfg, &e, &err);
	if (rc != VIGIL_OK) {
		if (err != NULL)
			fprintf(stderr, "%s", err);
		fprintf(stderr, "vigil: %s: %s\n", vigil_strerror(rc),
		        rc == VIGIL_ERULES ? _("rules failed to load; fix the rule files or run "
		                               "without --rules")
		        : rc == VIGIL_EIOC
		                ? _("indicators failed to load; fix the lines shown above")
		                : "");
		vigil_free(err);
		return NULL;
	}
	return e;
}

void engine_opts_free(struct engine_opts *eo)
{
	vigil_config_free(eo->cfg);
	eo->cfg = NULL;
}
