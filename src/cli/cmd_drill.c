/*
 * cmd_drill.c - `vigil drill`: drill content from the command line
 * (docs/scenarios.md, decision 0014).
 *
 *   vigil drill check [DIR|FILE.json ...]  validate scenario files (default:
 *                                           the rules/scenarios folder)
 *   vigil drill build SCENARIO --key FILE --round REF --to ADDR
 *                     [--name N] [--unit U] [--base URL] [--token T]
 *                                           one drill message on stdout
 *   vigil drill key FILE                    create a new drill key (mode 0600)
 *
 * SCENARIO is an id from the scenario folder or a path to a .json file.
 * Errors name the file and field, in Vietnamese or English as the CLI's
 * language says (the library gives both). Exit status: 0 done, 1 a scenario
 * is invalid (check) or the message could not be built, 2 usage or I/O.
 *
 * The message goes to stdout only: sending is vigild's job (paced, tracked);
 * this is for authors trying a scenario against `vigil scan` or a test MTA.
 */
#include <getopt.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "drill/drill.h"

#define DEFAULT_BASE "http://127.0.0.1:8480"

static void print_error(const drill_error *e)
{
	const char *text = cli_lang() == VIGIL_LANG_VI ? e->vi : e->en;

	if (*text == 0)
		text = _(drill_strerror(e->code));
	fprintf(stderr, "vigil drill: %s: %s\n", e->where, text);
}

static void on_error(const drill_error *e, void *ctx)
{
	int *bad = ctx;

	(*bad)++;
	print_error(e);
}

static char *scenario_dir(void)
{
	return g_build_filename(cli_datadir(), "rules", "scenarios", NULL);
}

static int drill_check(int argc, char **argv)
{
	int bad = 0, good = 0;
	char *def = NULL;
	const char *one[1];
	char **paths = argv;
	int n = argc;

	if (n == 0) {
		def = scenario_dir();
		one[0] = def;
		paths = (char **)one;
		n = 1;
	}
	for (int i = 0; i < n; i++) {
		drill_error err = {0};

		if (g_file_test(paths[i], G_FILE_TEST_IS_DIR)) {
			drill_scenario **v = NULL;
			size_t k = 0;
			int rc = drill_scenarios_load_dir(paths[i], &v, &k, on_error, &bad, &err);

			if (rc == DRILL_EIO) {
				print_error(&err);
				g_free(def);
				return EXIT_ERROR;
			}
			for (size_t j = 0; j < k; j++)
				printf("%s  %s  %s\n", _("ok"), v[j]->id,
				       cli_lang() == VIGIL_LANG_VI ? v[j]->title.vi
				                                   : v[j]->title.en);
			good += (int)k;
			drill_scenarios_free(v, k);
		} else {
			drill_scenario *sc = NULL;

			if (drill_scenario_load(paths[i], &sc, &err) != DRILL_OK) {
				bad++;
				print_error(&err);
				continue;
			}
			printf("%s  %s  %s\n", _("ok"), sc->id,
			       cli_lang() == VIGIL_LANG_VI ? sc->title.vi : sc->title.en);
			good++;
			drill_scenario_free(sc);
		}
	}
	printf("%d %s, %d %s\n", good, _("valid scenarios"), bad, _("invalid"));
	g_free(def);
	return bad > 0 ? 1 : EXIT_CLEAN;
}

static drill_scenario *find_scenario(const char *what, drill_error *err)
{
	drill_scenario *sc = NULL;
	char *path;

	if (g_str_has_suffix(what, ".json") || strchr(what, '/') != NULL) {
		if (drill_scenario_load(what, &sc, err) != DRILL_OK)
			return NULL;
		return sc;
	}
	{
		char *dir = scenario_dir();
		char *base = g_strconcat(what, ".json", NULL);

		path = g_build_filename(dir, base, NULL);
		g_free(dir);
		g_free(base);
	}
	if (drill_scenario_load(path, &sc, err) != DRILL_OK)
		sc = NULL;
	g_free(path);
	return sc;
}

static void build_usage(FILE *out)
{
	fprintf(out, "%s",
	        _("Usage: vigil drill build SCENARIO --key FILE --round REF --to ADDRESS\n"
	          "                         [--name NAME] [--unit UNIT] [--base URL] [--token "
	          "TOKEN]\n"
	          "Writes one drill message (RFC 5322, CRLF) to standard output.\n"));
}

static int drill_build(int argc, char **argv)
{
	static const struct option opts[] = {{"key", required_argument, NULL, 'k'},
	                                     {"round", required_argument, NULL, 'r'},
	                                     {"to", required_argument, NULL, 't'},
	                                     {"name", required_argument, NULL, 'n'},
	                                     {"unit", required_argument, NULL, 'u'},
	                                     {"base", required_argument, NULL, 'b'},
	                                     {"token", required_argument, NULL, 'T'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	const char *keyfile = NULL, *ref = NULL, *base = DEFAULT_BASE;
	const char *tok_arg = NULL;
	struct drill_recipient to = {0};
	char token[DRILL_TOKEN_LEN + 1];
	uint8_t key[DRILL_KEY_LEN];
	drill_error err = {0};
	drill_scenario *sc;
	uint8_t *msg = NULL;
	size_t len = 0;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			keyfile = optarg;
			break;
		case 'r':
			ref = optarg;
			break;
		case 't':
			to.mailbox = optarg;
			break;
		case 'n':
			to.name = optarg;
			break;
		case 'u':
			to.unit = optarg;
			break;
		case 'b':
			base = optarg;
			break;
		case 'T':
			tok_arg = optarg;
			break;
		case 'h':
			build_usage(stdout);
			return EXIT_CLEAN;
		default:
			build_usage(stderr);
			return EXIT_ERROR;
		}
	}
	if (optind != argc - 1 || keyfile == NULL || ref == NULL || to.mailbox == NULL) {
		build_usage(stderr);
		return EXIT_ERROR;
	}
	if (!drill_ref_valid(ref)) {
		fprintf(stderr, "vigil drill: --round: %s\n",
		        _("the round reference is 1 to 40 letters, digits and '-'"));
		return EXIT_ERROR;
	}
	if (tok_arg != NULL) {
		if (!drill_token_valid(tok_arg)) {
			fprintf(stderr, "vigil drill: --token: %s\n",
			        _("a token is 26 lower-case letters and digits"));
			return EXIT_ERROR;
		}
		g_strlcpy(token, tok_arg, sizeof token);
	} else {
		drill_token_new(token);
	}
	if (drill_key_load(keyfile, key, &err) != DRILL_OK) {
		print_error(&err);
		return EXIT_ERROR;
	}
	sc = find_scenario(argv[optind], &err);
	if (sc == NULL) {
		print_error(&err);
		return 1;
	}
	rc = drill_message_build(sc, key, ref, token, &to, base, &msg, &len, &err);
	drill_scenario_free(sc);
	memset(key, 0, sizeof key);
	if (rc != DRILL_OK) {
		print_error(&err);
		return 1;
	}
	if (isatty(STDOUT_FILENO))
		fprintf(stderr, "vigil drill: %s\n", _("writing a message to the terminal"));
	if (fwrite(msg, 1, len, stdout) != len || fflush(stdout) != 0) {
		free(msg);
		return EXIT_ERROR;
	}
	free(msg);
	return EXIT_CLEAN;
}

static int drill_key(int argc, char **argv)
{
	drill_error err = {0};

	if (argc != 1) {
		fprintf(stderr, "%s", _("Usage: vigil drill key FILE\n"));
		return EXIT_ERROR;
	}
	if (drill_key_create(argv[0], &err) != DRILL_OK) {
		print_error(&err);
		return EXIT_ERROR;
	}
	printf("%s %s\n", _("created the drill key"), argv[0]);
	return EXIT_CLEAN;
}

static void usage(FILE *out)
{
	fprintf(out, "%s",
	        _("Usage: vigil drill check [DIR|FILE.json ...]\n"
	          "       vigil drill build SCENARIO --key FILE --round REF --to ADDRESS "
	          "[OPTIONS]\n"
	          "       vigil drill key FILE\n"
	          "Drill scenarios (docs/scenarios.md): check them, build a drill message, create "
	          "the key.\n"));
}

int cmd_drill(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_ERROR;
	}
	if (strcmp(argv[1], "check") == 0)
		return drill_check(argc - 2, argv + 2);
	if (strcmp(argv[1], "build") == 0)
		return drill_build(argc - 1, argv + 1);
	if (strcmp(argv[1], "key") == 0)
		return drill_key(argc - 2, argv + 2);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return EXIT_CLEAN;
	}
	usage(stderr);
	return EXIT_ERROR;
}
