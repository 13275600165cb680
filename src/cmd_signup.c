/*
 * cmd_signup.c - `dripmail signup --cgi`: the endpoint behind the signup
 * form on the author's site (double opt-in): the form's POST, the
 * confirmation link's GET (a page, nothing changes) and its POST (confirms).
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
#include "signup.h"
#include "unsubscribe.h"

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

#define VALUE_MAX	UNSUB_MAX_VALUE		/* bytes of one form value */

static const char asked[] = "Almost done: please check your inbox. We have "
    "sent you an email with a link to confirm your signup. If it has not "
    "arrived in a few minutes, look in your spam folder.";
static const char confirmed[] = "Thank you: your signup is confirmed.";
static const char bad_link[] = "This link is not valid or has expired. "
    "Please sign up again.";
static const char try_later[] = "Something went wrong on our side. Please "
    "try again in a few minutes.";

/* The value of name in the body, or "" (see unsubscribe_body_value()). */
static void
field(const char *body, size_t len, const char *name, char *out,
    size_t outlen)
{
	if (!unsubscribe_body_value(getenv("CONTENT_TYPE"), body, len, name,
	    out, outlen))
		out[0] = '\0';
}

/* The link's page: one button that POSTs the token back. */
static void
page_confirm(FILE *out, const char *title, const char *token)
{
	cgi_page_head(out, "200 OK", title);
	fputs("<p>Press the button to confirm your signup.</p>\n"
	    "<form method=\"post\">\n"
	    "<input type=\"hidden\" name=\"t\" value=\"", out);
	cgi_html(out, token);
	fputs("\">\n<input type=\"hidden\" name=\"confirm\" value=\"yes\">\n"
	    "<button type=\"submit\">Confirm my signup</button>\n</form>\n",
	    out);
	cgi_page_tail(out);
}

/* The database and the secret: 0, or -1 after the 503 page. */
static int
open_store(struct app *app, FILE *out, const char *title,
    unsigned char **key, size_t *keylen)
{
	*key = NULL;
	if (app_setup(app, NEED_DB) == 0 &&
	    config_secret(&app->cfg, key, keylen) == 0)
		return 0;
	cgi_page_message(out, "503 Service Unavailable", title, try_later);
	return -1;
}

static int
post_confirm(struct app *app, FILE *out, const char *title,
    const char *token)
{
	unsigned char *key;
	size_t keylen;
	int rc;

	if (open_store(app, out, title, &key, &keylen) < 0)
		return EXIT_OK;
	rc = signup_confirm(app->db, &app->cfg, key, keylen, token,
	    getenv("REMOTE_ADDR"), getenv("HTTP_USER_AGENT"), time(NULL));
	free(key);
	if (rc == ERR_PERM)
		cgi_page_message(out, "400 Bad Request", title, bad_link);
	else if (rc < 0)
		cgi_page_message(out, "503 Service Unavailable", title,
		    try_later);
	else
		cgi_page_message(out, "200 OK", title, confirmed);
	return EXIT_OK;
}

/* The answer to signup_request()'s result rc. */
static void
signup_answer(FILE *out, const char *title, int rc)
{
	switch (rc) {
	case SIGNUP_MAILED:
	case SIGNUP_QUIET:
		cgi_page_message(out, "200 OK", title, asked);
		break;
	case SIGNUP_BAD_ADDRESS:
		cgi_page_message(out, "400 Bad Request", title, "Please check "
		    "the email address: mail cannot be sent to it.");
		break;
	case SIGNUP_IP_LIMIT:
		cgi_page_message(out, "429 Too Many Requests", title, "Too "
		    "many signups from your network. Please try again in an "
		    "hour.");
		break;
	default:
		cgi_page_message(out, "503 Service Unavailable", title,
		    try_later);
	}
}

static int
post_signup(struct app *app, FILE *out, const char *title, const char *body,
    size_t len)
{
	char email[VALUE_MAX], name[VALUE_MAX], tz[VALUE_MAX], pot[VALUE_MAX];
	const char *origin = getenv("HTTP_ORIGIN");
	const char *referer = getenv("HTTP_REFERER");
	struct signup_req r = { .email = email, .first_name = name,
		.timezone = tz, .honeypot = pot };
	unsigned char *key;
	size_t keylen;
	int rc;

	if (!signup_origin_ok(app->cfg.signup_origin, origin, referer)) {
		cgi_page_message(out, "403 Forbidden", title, "Signups are "
		    "taken only from the course's own signup form.");
		return EXIT_OK;
	}
	field(body, len, "email", email, sizeof(email));
	field(body, len, "first_name", name, sizeof(name));
	field(body, len, "timezone", tz, sizeof(tz));
	field(body, len, SIGNUP_HONEYPOT, pot, sizeof(pot));
	r.ip = getenv("REMOTE_ADDR");
	r.user_agent = getenv("HTTP_USER_AGENT");
	r.page = referer != NULL && *referer != '\0' ? referer : origin;
	r.now = time(NULL);
	if (open_store(app, out, title, &key, &keylen) < 0)
		return EXIT_OK;
	rc = signup_request(app->db, &app->cfg, key, keylen, &r);
	free(key);
	signup_answer(out, title, rc);
	return EXIT_OK;
}

/*
 * A POST with a token is the link's button (confirm=yes, else the page
 * again); without one, it is the signup form.
 */
static int
post(struct app *app, FILE *in, FILE *out, const char *title,
    const char *query)
{
	char token[VALUE_MAX], yes[8], *body;
	size_t len;
	int rc;

	/* Not the form: refused whole, not read in part. */
	if (cgi_content_length() > SIGNUP_MAX_BODY) {
		cgi_page_message(out, "413 Content Too Large", title, "The "
		    "form sent is too large.");
		return EXIT_OK;
	}
	body = cgi_read_body(in, SIGNUP_MAX_BODY, &len);
	field(body, len, "t", token, sizeof(token));
	if (token[0] == '\0' && !unsubscribe_form_value(query, "t", token,
	    sizeof(token)))
		token[0] = '\0';
	field(body, len, "confirm", yes, sizeof(yes));
	if (token[0] == '\0')
		rc = post_signup(app, out, title, body, len);
	else if (strcmp(yes, "yes") != 0) {
		page_confirm(out, title, token);
		rc = EXIT_OK;
	} else
		rc = post_confirm(app, out, title, token);
	free(body);
	return rc;
}

static int
answer(void *ctx, FILE *in, FILE *out, const char *method)
{
	struct app *app = ctx;
	const char *query = getenv("QUERY_STRING");
	const char *title = app->cfg.course_name ? app->cfg.course_name :
	    "Sign up";
	char token[VALUE_MAX];

	if (app->cfg.signup_url == NULL) {
		log_warnx("%s: [signup] url: not set", app->cfg.file);
		cgi_page_message(out, "500 Internal Server Error", title,
		    "Signup is not configured.");
		return EXIT_CONFIG;
	}
	if (query == NULL)
		query = "";
	if (method != NULL && strcmp(method, "POST") == 0)
		return post(app, in, out, title, query);
	if (method == NULL || strcmp(method, "GET") != 0) {
		cgi_page_message(out, "405 Method Not Allowed", title,
		    "Method not allowed.");
		return EXIT_OK;
	}
	if (!unsubscribe_form_value(query, "t", token, sizeof(token)) ||
	    token[0] == '\0') {
		cgi_page_message(out, "400 Bad Request", title, "This "
		    "confirmation link is incomplete. Please use the whole "
		    "link from the email.");
		return EXIT_OK;
	}
	page_confirm(out, title, token);
	return EXIT_OK;
}

int
cmd_signup_cgi(struct app *app, FILE *in, FILE *out)
{
	return cgi_serve(app, in, out, answer);
}

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
	return cmd_cgi_main(app, "Signup", cmd_signup_cgi);
}
