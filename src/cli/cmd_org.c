/*
 * cmd_org.c - `vigil org generate|check`: make the demo organisation file
 * and check an organisation file (src/server/org.h, docs/organisation.md).
 *
 *   vigil org generate [--seed N] [--staff N] [--domain D] [-o FILE]
 *       the deterministic demo organisation; to FILE (written atomically)
 *       or standard output
 *   vigil org check [--json] FILE
 *       validates FILE and prints what it holds per region, or the first
 *       problem with its JSON path
 * Exit status: 0 done / valid, 2 an error / invalid. Labels and the fixed
 * part of validation messages follow the user's language (--lang, i18n.c);
 * paths and values are shown as they are in the file.
 */
#include <errno.h>
#include <getopt.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "server/org.h"

static void org_usage(FILE *out)
{
	fprintf(out,
	        "Usage: vigil org generate [--seed N] [--staff N] [--domain D] [-o FILE]\n"
	        "       vigil org check [--json] FILE\n"
	        "The organisation file (org.json): units, staff, endpoints, systems.\n\n"
	        "  generate        write the demo organisation: the IT Centre and central\n"
	        "                  departments, the 63 provinces, Vietnamese staff names,\n"
	        "                  their endpoints, the 26 application systems; the same\n"
	        "                  seed gives the same bytes\n"
	        "    --seed N      random seed (default 1)\n"
	        "    --staff N     staff members, %d to %d (default %d)\n"
	        "    --domain D    mail domain (default %s)\n"
	        "    -o FILE       write FILE instead of standard output\n"
	        "  check FILE      validate FILE and summarise it per region\n"
	        "    --json        the summary as JSON\n"
	        "  --lang vi|en    language of the messages\n\n"
	        "Exit status: 0 done (valid), 2 an error (invalid file).\n",
	        ORG_GEN_MIN_STAFF, ORG_MAX_STAFF, ORG_GEN_DEFAULT_STAFF, ORG_GEN_DEFAULT_DOMAIN);
}

/* the error in the user's language: the fixed phrase translated */
static void org_print_error(const char *cmd, const char *file, const org_error *e)
{
	fprintf(stderr, "vigil org %s: ", cmd);
	if (file != NULL)
		fprintf(stderr, "%s: ", file);
	if (cli_lang() == VIGIL_LANG_EN) {
		fprintf(stderr, "%s\n", e->text);
		return;
	}
	if (*e->path)
		fputs(e->path, stderr);
	if (*e->value)
		fprintf(stderr, "%s\"%s\"", *e->path ? " " : "", e->value);
	if (*e->path || *e->value)
		fputs(": ", stderr);
	fputs(_(e->what), stderr);
	if (*e->detail)
		fprintf(stderr, " %s", e->detail);
	fputc('\n', stderr);
}

/* s padded with spaces to width characters (Vietnamese labels) */
static void org_pad(const char *s, long width)
{
	long n = (long)g_utf8_strlen(s, -1);

	fputs(s, stdout);
	for (; n < width; n++)
		fputc(' ', stdout);
}

/* s right-aligned in width characters */
static void org_rpad(const char *s, long width)
{
	for (long n = (long)g_utf8_strlen(s, -1); n < width; n++)
		fputc(' ', stdout);
	fputs(s, stdout);
}

static bool parse_u64(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;

	if (s == NULL || !g_ascii_isdigit(*s))
		return false;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno == 0 && *end == 0 && *out <= max;
}

static int org_generate_cmd(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"seed", required_argument, NULL, 's'},   {"staff", required_argument, NULL, 'n'},
	        {"domain", required_argument, NULL, 'd'}, {"output", required_argument, NULL, 'o'},
	        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
	};
	org_gen_params p;
	unsigned long long seed = 1, staff;
	const char *outfile = NULL;
	org_error e;
	org *o = NULL;
	int c;

	org_gen_defaults(&p);
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (!parse_u64(optarg, UINT64_MAX, &seed)) {
				fprintf(stderr, "vigil org generate: --seed %s\n",
				        _("takes a number from 0 to 18446744073709551615"));
				return EXIT_ERROR;
			}
			break;
		case 'n':
			if (!parse_u64(optarg, ORG_MAX_STAFF, &staff) ||
			    staff < ORG_GEN_MIN_STAFF) {
				fprintf(stderr, "vigil org generate: --staff %s %d-%d\n",
				        _("takes a number in"), ORG_GEN_MIN_STAFF, ORG_MAX_STAFF);
				return EXIT_ERROR;
			}
			p.staff = (size_t)staff;
			break;
		case 'd':
			p.domain = optarg;
			break;
		case 'o':
			outfile = optarg;
			break;
		case 'h':
			org_usage(stdout);
			return EXIT_CLEAN;
		default:
			return EXIT_ERROR;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vigil org generate: %s: %s\n", argv[optind],
		        _("takes no arguments"));
		return EXIT_ERROR;
	}
	if (org_generate(seed, &p, &o, &e) != ORG_OK) {
		org_print_error("generate", NULL, &e);
		return EXIT_ERROR;
	}
	if (outfile != NULL) {
		if (org_save_file(o, outfile, &e) != ORG_OK) {
			org_print_error("generate", outfile, &e);
			org_free(o);
			return EXIT_ERROR;
		}
		fprintf(stderr, "%s %s: %zu %s, %zu %s, %zu %s\n", _("wrote"), outfile,
		        org_count(o, ORG_UNIT), _("units"), org_count(o, ORG_STAFF),
		        _("staff members"), org_count(o, ORG_ENDPOINT), _("endpoints"));
	} else {
		size_t len;
		char *text = org_dump(o, &len);
		bool ok = fwrite(text, 1, len, stdout) == len && fflush(stdout) == 0;

		g_free(text);
		if (!ok) {
			fprintf(stderr, "vigil org generate: %s\n", g_strerror(errno));
			org_free(o);
			return EXIT_ERROR;
		}
	}
	org_free(o);
	return EXIT_CLEAN;
}

struct region_sum {
	size_t units, staff, endpoints;
};

static struct region_sum region_sum(const org *o, const char *region)
{
	struct region_sum s = {0};
	size_t n;
	const org_unit *const *u = org_region_units(o, region, &n);

	s.units = n;
	for (size_t i = 0; i < n; i++) {
		s.staff += org_referrers(o, ORG_UNIT, u[i]->id, ORG_STAFF);
		s.endpoints += org_referrers(o, ORG_UNIT, u[i]->id, ORG_ENDPOINT);
	}
	return s;
}

static void check_json(const org *o)
{
	json_t *root = json_object(), *regions = json_array();
	char *s;

	for (size_t i = 0; i < org_count(o, ORG_REGION); i++) {
		const org_region *r = org_region_at(o, i);
		struct region_sum sum = region_sum(o, r->id);

		json_array_append_new(regions, json_pack("{s:s, s:s, s:s?, s:I, s:I, s:I}", "id",
		                                         r->id, "name_vi", r->name_vi, "name_en",
		                                         r->name_en, "units", (json_int_t)sum.units,
		                                         "staff", (json_int_t)sum.staff,
		                                         "endpoints", (json_int_t)sum.endpoints));
	}
	json_object_set_new(root, "valid", json_true());
	json_object_set_new(root, "organisation",
	                    org_name(o) ? json_string(org_name(o)) : json_null());
	json_object_set_new(root, "domain", json_string(org_domain(o)));
	json_object_set_new(root, "regions", regions);
	json_object_set_new(root, "units", json_integer((json_int_t)org_count(o, ORG_UNIT)));
	json_object_set_new(root, "staff", json_integer((json_int_t)org_count(o, ORG_STAFF)));
	json_object_set_new(root, "endpoints",
	                    json_integer((json_int_t)org_count(o, ORG_ENDPOINT)));
	json_object_set_new(root, "systems", json_integer((json_int_t)org_count(o, ORG_SYSTEM)));
	json_object_set_new(root, "aliases", json_integer((json_int_t)org_alias_count(o)));
	s = json_dumps(root, 0);
	printf("%s\n", s);
	free(s);
	json_decref(root);
}

static const char *region_label(const org_region *r)
{
	return cli_lang() == VIGIL_LANG_VI || r->name_en == NULL ? r->name_vi : r->name_en;
}

static void check_human(const char *file, const org *o)
{
	long w = (long)g_utf8_strlen(_("Region"), -1);

	for (size_t i = 0; i < org_count(o, ORG_REGION); i++) {
		const org_region *r = org_region_at(o, i);
		long n = (long)(g_utf8_strlen(region_label(r), -1) + 3 + g_utf8_strlen(r->id, -1));

		w = n > w ? n : w;
	}
	if (w > 60)
		w = 60;

	printf("%s: %s\n", file, _("valid organisation file"));
	if (org_name(o) != NULL)
		printf("%s: %s\n", _("Organisation"), org_name(o));
	printf("%s: %s\n\n", _("Domain"), org_domain(o));
	org_pad(_("Region"), w);
	org_rpad(_("Units"), 9);
	org_rpad(_("Staff"), 9);
	org_rpad(_("Endpoints"), 11);
	fputc('\n', stdout);
	for (size_t i = 0; i < org_count(o, ORG_REGION); i++) {
		const org_region *r = org_region_at(o, i);
		struct region_sum sum = region_sum(o, r->id);
		char *cell = g_strdup_printf("%s (%s)", region_label(r), r->id);

		org_pad(cell, w);
		printf(" %8zu %8zu %10zu\n", sum.units, sum.staff, sum.endpoints);
		g_free(cell);
	}
	org_pad(_("Total"), w);
	printf(" %8zu %8zu %10zu\n\n", org_count(o, ORG_UNIT), org_count(o, ORG_STAFF),
	       org_count(o, ORG_ENDPOINT));
	printf("%s: %zu\n", _("Systems"), org_count(o, ORG_SYSTEM));
	printf("%s: %zu\n", _("Aliases"), org_alias_count(o));
}

static int org_check_cmd(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"json", no_argument, NULL, 'j'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	bool json = false;
	org_error e;
	org *o = NULL;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			org_usage(stdout);
			return EXIT_CLEAN;
		default:
			return EXIT_ERROR;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "vigil org check: %s\n", _("give one file; try --help"));
		return EXIT_ERROR;
	}
	if (org_load_file(argv[optind], &o, &e) != ORG_OK) {
		org_print_error("check", argv[optind], &e);
		return EXIT_ERROR;
	}
	if (json)
		check_json(o);
	else
		check_human(argv[optind], o);
	org_free(o);
	return EXIT_CLEAN;
}

int cmd_org(int argc, char **argv)
{
	int sub = 0;

	/* --lang may come before or after the subcommand */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--lang") == 0 && i + 1 < argc) {
			if (strcmp(argv[i + 1], "vi") == 0) {
				cli_set_lang(VIGIL_LANG_VI);
			} else if (strcmp(argv[i + 1], "en") == 0) {
				cli_set_lang(VIGIL_LANG_EN);
			} else {
				fprintf(stderr, "vigil: --lang takes vi or en\n");
				return EXIT_ERROR;
			}
			/* drop the pair so that the subcommands never see it */
			memmove(&argv[i], &argv[i + 2], (size_t)(argc - i - 2) * sizeof argv[0]);
			argc -= 2;
			argv[argc] = NULL;
			i--;
		}
	}
	if (argc >= 2)
		sub = 1;
	if (sub == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		org_usage(sub ? stdout : stderr);
		return sub ? EXIT_CLEAN : EXIT_ERROR;
	}
	if (strcmp(argv[1], "generate") == 0)
		return org_generate_cmd(argc - 1, argv + 1);
	if (strcmp(argv[1], "check") == 0)
		return org_check_cmd(argc - 1, argv + 1);
	fprintf(stderr, "vigil org: %s: %s\n", argv[1],
	        _("unknown command; try: vigil org --help"));
	return EXIT_ERROR;
}
