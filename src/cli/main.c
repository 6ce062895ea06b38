/*
 * main.c - `vigil`: the command line, one subcommand per job.
 */
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *out)
{
	fprintf(out,
	        "Usage: vigil COMMAND [OPTIONS] ...\n"
	        "vigil %s - email spyware detection and response\n\n"
	        "Commands:\n"
	        "  scan        scan emails and files and explain the verdict\n"
	        "  extract     write every object inside a message to a folder\n"
	        "  milter      talk to a running vigil-milter (reload, status, metrics)\n"
	        "  quarantine  list, show, release or delete quarantined messages\n"
	        "  report      incident reports (c20: Circular 20/2017/TT-BTTTT) as PDF, JSON, "
	        "HTML\n"
	        "  org         generate or check the organisation file (org.json)\n"
	        "  ioc         import STIX 2.1 / MISP indicators, export indicator files\n"
	        "  hunt        find every copy of a message in the gateways' records\n"
	        "  retroscan   scan the gateway's kept messages again with new rules\n"
	        "  drill       check drill scenarios, build a drill message, create the drill key\n"
	        "  version     print the version\n\n"
	        "Run 'vigil COMMAND --help' for the options of a command.\n",
	        VIGIL_VERSION);
}

int main(int argc, char **argv)
{
	setlocale(LC_ALL, "");
	cli_set_lang(cli_lang_from_env());
	if (argc < 2) {
		usage(stderr);
		return EXIT_ERROR;
	}
	if (strcmp(argv[1], "scan") == 0)
		return cmd_scan(argc - 1, argv + 1);
	if (strcmp(argv[1], "extract") == 0)
		return cmd_extract(argc - 1, argv + 1);
	if (strcmp(argv[1], "milter") == 0)
		return cmd_milter(argc - 1, argv + 1);
	if (strcmp(argv[1], "quarantine") == 0)
		return cmd_quarantine(argc - 1, argv + 1);
	if (strcmp(argv[1], "report") == 0)
		return cmd_report(argc - 1, argv + 1);
	if (strcmp(argv[1], "org") == 0)
		return cmd_org(argc - 1, argv + 1);
	if (strcmp(argv[1], "ioc") == 0)
		return cmd_ioc(argc - 1, argv + 1);
	if (strcmp(argv[1], "hunt") == 0)
		return cmd_hunt(argc - 1, argv + 1);
	if (strcmp(argv[1], "retroscan") == 0)
		return cmd_retroscan(argc - 1, argv + 1);
	if (strcmp(argv[1], "drill") == 0)
		return cmd_drill(argc - 1, argv + 1);
	if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("vigil %s\n", VIGIL_VERSION);
		return EXIT_CLEAN;
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return EXIT_CLEAN;
	}
	fprintf(stderr, "vigil: %s: %s\n", argv[1], _("unknown command; try: vigil --help"));
	return EXIT_ERROR;
}
