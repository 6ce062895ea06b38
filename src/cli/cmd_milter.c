/*
 * cmd_milter.c - `vigil milter reload|status|metrics`: talk to a running
 * vigil-milter over its control socket.
 */
#include <errno.h>
#include <getopt.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"

static char *socket_from_config(const char *path)
{
	GKeyFile *kf = g_key_file_new();
	char *s = NULL;
	GError *e = NULL;

	if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &e)) {
		fprintf(stderr, "vigil: %s: %s\n", path, e->message);
		g_error_free(e);
	} else {
		s = g_key_file_get_string(kf, "milter", "control_socket", NULL);
		if (s == NULL)
			s = g_strdup("/var/lib/vigil/run/control.sock");
		g_strstrip(s);
	}
	g_key_file_free(kf);
	return s;
}

static int talk(const char *sock, const char *cmd)
{
	struct sockaddr_un sa;
	int fd;
	char buf[4096];
	ssize_t n;
	GString *out = g_string_new(NULL);
	int rc;

	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	if (strlen(sock) >= sizeof sa.sun_path) {
		fprintf(stderr, "vigil: %s: path too long\n", sock);
		return EXIT_ERROR;
	}
	memcpy(sa.sun_path, sock, strlen(sock));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		fprintf(stderr, "vigil: %s: %s: %s\n", sock, _("cannot reach vigil-milter"),
		        g_strerror(errno));
		if (fd >= 0)
			close(fd);
		return EXIT_ERROR;
	}
	if (write(fd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd) || write(fd, "\n", 1) != 1) {
		close(fd);
		return EXIT_ERROR;
	}
	while ((n = read(fd, buf, sizeof buf)) > 0)
		g_string_append_len(out, buf, n);
	close(fd);
	fputs(out->str, stdout);
	rc = g_str_has_prefix(out->str, "error") || out->len == 0 ? EXIT_ERROR : EXIT_CLEAN;
	g_string_free(out, TRUE);
	return rc;
}

int cmd_milter(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"config", required_argument, NULL, 'c'},
	        {"socket", required_argument, NULL, 's'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	const char *config = "/etc/vigil/milter.conf";
	char *sock = NULL;
	int o, rc;

	optind = 1;
	while ((o = getopt_long(argc, argv, "c:s:h", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			config = optarg;
			break;
		case 's':
			g_free(sock);
			sock = g_strdup(optarg);
			break;
		case 'h':
			printf("Usage: vigil milter reload|status|metrics [--config FILE | "
			       "--socket PATH]\n"
			       "Talk to a running vigil-milter through its control socket.\n"
			       "  reload   load rules and indicators again (scans in flight finish "
			       "with the old set)\n"
			       "  status   workers, rule generation, store, journal (JSON)\n"
			       "  metrics  the Prometheus metrics text\n");
			return EXIT_CLEAN;
		default:
			return EXIT_ERROR;
		}
	}
	if (optind >= argc ||
	    (strcmp(argv[optind], "reload") != 0 && strcmp(argv[optind], "status") != 0 &&
	     strcmp(argv[optind], "metrics") != 0)) {
		fprintf(stderr, "vigil milter: reload, status or metrics? (try --help)\n");
		g_free(sock);
		return EXIT_ERROR;
	}
	if (sock == NULL)
		sock = socket_from_config(config);
	if (sock == NULL)
		return EXIT_ERROR;
	rc = talk(sock, argv[optind]);
	g_free(sock);
	return rc;
}
