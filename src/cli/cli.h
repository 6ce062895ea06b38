/*
 * cli.h - shared pieces of the `vigil` command line.
 */
#ifndef VIGIL_CLI_H
#define VIGIL_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "vigil/vigil.h"

/* exit status, as clamscan has it */
enum { EXIT_CLEAN = 0, EXIT_FOUND = 1, EXIT_ERROR = 2 };

/* i18n.c: user-facing text in English and Vietnamese */
void cli_set_lang(vigil_lang lang);
vigil_lang cli_lang(void);
const char *_(const char *english);
vigil_lang cli_lang_from_env(void);

/* engine options shared by scan and extract (engine_opts.c) */
struct engine_opts {
	const char *rules[32];
	int nrules;
	const char *iocs[32];
	int niocs;
	const char *severity_file;
	/* --option KEY=VALUE and --options FILE in order, applied after the
	 * default options (rules/options.conf) so that the user's win */
	const char *user_opts[64];
	bool user_opt_file[64];
	int nuser_opts;
	bool no_default_rules;
	vigil_direction direction;
	const char *type; /* --type: what every input is; NULL: detect */
	vigil_config *cfg;
};
/* Handles one engine option; returns 1 if it took the option (and its value
 * in *optarg), 0 if not ours, -1 on a bad value (message printed). */
int engine_opt(struct engine_opts *eo, int opt, const char *arg);
vigil_engine *engine_build(struct engine_opts *eo);
void engine_opts_free(struct engine_opts *eo);
const char *engine_opts_help(void);
/* the folder holding rules/ ($VIGIL_DATADIR, the source tree, the install) */
const char *cli_datadir(void);

/* report.c */
json_t *report_json(const vigil_scan *s, const char *path);
void report_human(FILE *out, const vigil_scan *s, const char *path, bool verbose);
const char *verdict_label(vigil_verdict v);

/* inputs.c: files, directories, mbox files and stdin as a list of inputs */
struct input {
	char *path;    /* what to show */
	char *file;    /* file to read; NULL for stdin */
	long long off; /* byte range inside file (mbox messages) */
	long long len; /* -1: whole file */
};
struct input_list {
	struct input *v;
	size_t n, cap;
	int errors;
};
void inputs_add_arg(struct input_list *l, const char *arg);
void inputs_free(struct input_list *l);
/* reads an input fully (bounded); returns malloc'ed bytes or NULL */
unsigned char *input_read(const struct input *in, size_t max, size_t *len, bool *truncated);

int cmd_scan(int argc, char **argv);
int cmd_extract(int argc, char **argv);
int cmd_milter(int argc, char **argv);
int cmd_quarantine(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_org(int argc, char **argv);
int cmd_ioc(int argc, char **argv);
int cmd_hunt(int argc, char **argv);
int cmd_retroscan(int argc, char **argv);
int cmd_drill(int argc, char **argv);

#endif
