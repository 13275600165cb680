/*
 * cmd_signup.c - `dripmail signup --cgi`: the endpoint behind the signup
 * form on the author's site (double opt-in).
 */
#include <getopt.h>
#include <stdio.h>

#include "cmd.h"
#include "dripmail.h"
#include "signup.h"

static const char usage[] =
    "usage: dripmail signup --cgi\n"
    "\n"
    "Answer one web request as a CGI/1.1 program: the signup form's POST\n"
    "(fields email, first_name, timezone) records a pending signup and\n"
    "mails a confirmation link to [signup] url; the link shows a page whose\n"
    "button confirms: the person joins the waitlist before the launch, the\n"
    "course after.\n"
    "\n"
    "    --cgi          answer one request (REQUEST_METHOD and the rest\n"
    "                   from the environment, the body on stdin)\n"
    "    -h, --help     print this help";

int
cmd_signup(int argc, char **argv, struct app *app)
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
	if ((ret = cmd_operands(usage, argc, argv, 0, 0, NULL)) != 0)
		return ret;
	if (!cgi)
		return cmd_usage_error(usage, argv[0], "--cgi is required");
	if (app_setup(app, NEED_CONFIG) != 0) {
		fputs("Status: 500 Internal Server Error\r\n"
		    "Content-Type: text/plain; charset=utf-8\r\n\r\n"
		    "Signup is not configured.\n", stdout);
		return EXIT_CONFIG;
	}
	return signup_cgi(app, stdin, stdout);
}
