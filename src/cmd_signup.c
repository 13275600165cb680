/*
 * cmd_signup.c - `dripmail signup --cgi`: the endpoint behind the signup
 * form on the author's site (double opt-in).
 */
#include <getopt.h>
#include <stdio.h>

#include "cgi.h"
#include "cmd.h"
#include "dripmail.h"
#include "signup.h"

static const char usage[] =
    "usage: dripmail signup --cgi\n"
    "\n"
    "Answer one web request as a CGI/1.1 program: the signup form's POST\n"
    "(fields email, first_name, timezone) keeps a pending signup and mails\n"
    "the address a link to [signup] url; the link's page has a button whose\n"
    "POST confirms: the person joins the waitlist before the launch, the\n"
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
	return cgi_main(app, "Signup", signup_cgi);
}
