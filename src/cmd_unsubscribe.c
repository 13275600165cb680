/*
 * cmd_unsubscribe.c - `dripmail unsubscribe TOKEN|EMAIL` and
 * `dripmail unsubscribe --cgi` (the one-click endpoint behind a web server).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cgi.h"
#include "cmd.h"
#include "dripmail.h"
#include "log.h"
#include "unsubscribe.h"

static const char usage[] =
    "usage: dripmail unsubscribe TOKEN|EMAIL\n"
    "       dripmail unsubscribe --cgi\n"
    "\n"
    "Unsubscribe the subscriber with that address, or the one a genuine\n"
    "unsubscribe token (from a message's link) names.\n"
    "\n"
    "    --cgi          answer one web request as a CGI/1.1 program: the\n"
    "                   one-click unsubscribe endpoint (RFC 8058)\n"
    "    -h, --help     print this help";

static int
by_argument(struct app *app, const char *arg)
{
	unsigned char *key = NULL;
	size_t keylen = 0;
	int rc;

	if (strchr(arg, '@') != NULL)
		rc = unsubscribe_email(&app->db, arg, "command line",
		    time(NULL));
	else {
		if (config_secret(&app->cfg, &key, &keylen) < 0)
			return EXIT_CONFIG;
		rc = unsubscribe_token(&app->db, key, keylen, arg,
		    "command line", time(NULL));
		free(key);
		if (rc == ERR_PERM) {
			log_error("unsubscribe: token not valid");
			return EXIT_DATAERR;
		}
	}
	if (rc == ERR_PERM)
		return EXIT_DATAERR;
	if (rc < 0)
		return cmd_exit(rc, EXIT_SOFTWARE);
	printf("%s\n", rc > 0 ? "unsubscribed" : "already not receiving mail");
	return EXIT_OK;
}

int
cmd_unsubscribe(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "cgi", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, cgi = 0, ret;

	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1)
		switch (c) {
		case 'c':
			cgi = 1;
			break;
		case 'h':
			return cmd_usage(usage, EXIT_OK);
		default:
			return cmd_bad_option(usage, argv, c);
		}
	if ((ret = cmd_operands(usage, argc, argv, !cgi, !cgi,
	    "TOKEN or EMAIL")) != 0)
		return ret;
	if (cgi)
		return cgi_main(app, "Unsubscribe", unsubscribe_cgi);
	if ((ret = app_setup(app, NEED_DB)) != 0)
		return ret;
	return by_argument(app, argv[optind]);
}
