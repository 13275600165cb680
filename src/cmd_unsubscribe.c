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
		rc = unsubscribe_email(app->db, arg, "command line",
		    time(NULL));
	else {
		if (config_secret(&app->cfg, &key, &keylen) < 0)
			return EXIT_CONFIG;
		rc = unsubscribe_token(app->db, key, keylen, arg,
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

/* ---- --cgi ---- */

/* The confirmation page: one button that POSTs the token, one-click. */
static void
page_confirm(FILE *out, const char *course, const char *token)
{
	cgi_page_head(out, "200 OK", course);
	fputs("<p>Unsubscribe from these emails?</p>\n"
	    "<form method=\"post\">\n"
	    "<input type=\"hidden\" name=\"t\" value=\"", out);
	cgi_html(out, token);
	fputs("\">\n<input type=\"hidden\" name=\"List-Unsubscribe\" "
	    "value=\"One-Click\">\n"
	    "<button type=\"submit\">Unsubscribe</button>\n</form>\n", out);
	cgi_page_tail(out);
}

static int
cgi_post(struct app *app, FILE *in, FILE *out, const char *course,
    const char *query)
{
	const char *ctype = getenv("CONTENT_TYPE");
	char token[UNSUB_MAX_VALUE], click[32], *body;
	unsigned char *key = NULL;
	size_t keylen = 0, len;
	int rc = 0;

	body = cgi_read_body(in, UNSUB_MAX_BODY, &len);
	if (!unsubscribe_form_value(query, "t", token, sizeof(token)) &&
	    !unsubscribe_body_value(ctype, body, len, "t", token,
	    sizeof(token)))
		token[0] = '\0';
	if (!unsubscribe_body_value(ctype, body, len, "List-Unsubscribe",
	    click, sizeof(click)) || strcmp(click, "One-Click") != 0) {
		/* not the one-click form: ask again, change nothing */
		free(body);
		page_confirm(out, course, token);
		return EXIT_OK;
	}
	free(body);
	if (app_setup(app, NEED_DB) != 0 ||
	    config_secret(&app->cfg, &key, &keylen) < 0)
		rc = ERR_TEMP;
	else
		rc = unsubscribe_token(app->db, key, keylen, token,
		    "one-click", time(NULL));
	free(key);
	/* A token that is not genuine gets the page a genuine one gets. */
	if (rc < 0 && rc != ERR_PERM) {
		cgi_page_message(out, "503 Service Unavailable", course,
		    "Something went wrong on our side. Please try again "
		    "in a few minutes.");
		return EXIT_OK;
	}
	cgi_page_message(out, "200 OK", course, "You are unsubscribed. "
	    "You will not receive any more emails from this course.");
	return EXIT_OK;
}

static int
cgi_answer(void *ctx, FILE *in, FILE *out, const char *method)
{
	struct app *app = ctx;
	const char *query = getenv("QUERY_STRING");
	const char *course = app->cfg.course_name ? app->cfg.course_name :
	    "Unsubscribe";
	char token[UNSUB_MAX_VALUE];

	if (query == NULL)
		query = "";
	if (method != NULL && strcmp(method, "POST") == 0)
		return cgi_post(app, in, out, course, query);
	if (method == NULL || strcmp(method, "GET") != 0) {
		cgi_page_message(out, "405 Method Not Allowed", course,
		    "Method not allowed.");
		return EXIT_OK;
	}
	if (!unsubscribe_form_value(query, "t", token, sizeof(token))) {
		cgi_page_message(out, "400 Bad Request", course,
		    "This unsubscribe link is incomplete. Please use the "
		    "whole link from the email.");
		return EXIT_OK;
	}
	page_confirm(out, course, token);
	return EXIT_OK;
}

int
cmd_unsubscribe_cgi(struct app *app, FILE *in, FILE *out)
{
	return cgi_serve(app, in, out, cgi_answer);
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
		return cmd_cgi_main(app, "Unsubscribe", cmd_unsubscribe_cgi);
	if ((ret = app_setup(app, NEED_DB)) != 0)
		return ret;
	return by_argument(app, argv[optind]);
}
