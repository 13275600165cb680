/*
 * cmd.h - what main.c hands to each subcommand.
 *
 * A command parses its own options first (so `dripmail X --help` works
 * without settings), then asks for what it needs with app_setup(), which
 * loads settings and opens the database and returns an exit code on
 * failure.  Commands return a sysexits.h exit code.
 */
#ifndef CMD_H
#define CMD_H

#include <stdio.h>
#include <time.h>

#include "config.h"

struct db;

struct app {
	const char	*config_path;	/* -c FILE, default settings.ini */
	struct config	 cfg;
	int		 have_cfg;
	struct db	*db;		/* opened by app_setup(NEED_DB) */
};

#define NEED_CONFIG	0x1
#define NEED_DB		0x3		/* implies NEED_CONFIG */

/* 0, or the exit code to return (78 bad settings, 75 database busy, ...). */
int	 app_setup(struct app *, int needs);

/*
 * A command's usage is its "usage: ..." line(s), a blank line, then what
 * it does and every option with a sentence.  cmd_usage() prints it all to
 * stdout when status is 0 (--help), else only the usage line(s) to
 * stderr.  Returns status, so `return cmd_usage(u, 64);`.
 */
int	 cmd_usage(const char *usage, int status);

/*
 * A usage error: "dripmail CMD: " and the formatted reason on stderr, then
 * the usage line(s).  Returns 64.
 */
int	 cmd_usage_error(const char *usage, const char *cmd, const char *fmt,
	    ...) __attribute__((format(printf, 3, 4)));

/*
 * After getopt_long() returned '?' or ':' (the option string starts with
 * ':', after any '+'): name the option that is unknown, lacks its value or
 * takes none, as cmd_usage_error() does for argv[0].  Returns 64.
 */
int	 cmd_bad_option(const char *usage, char **argv, int c);

/*
 * Check the operands left after the options (argv[optind]...): at least
 * min, at most max (-1: no limit).  0, or 64 after naming the first one
 * too many or, when too few, what is missing ("FILE").
 */
int	 cmd_operands(const char *usage, int argc, char **argv, int min,
	    int max, const char *what);

/* --now TIME for command cmd: 0 and *t, or ERR_FAIL after one line. */
int	 cmd_parse_now(const char *cmd, const char *arg, time_t *t);

/* Map a module's ERR_* code to an exit code: TEMP 75, else fallback. */
int	 cmd_exit(int err, int fallback);

/*
 * A `--cgi` command's body: load the settings (on failure a plain 500
 * page saying "what is not configured." and EXIT_CONFIG), then answer
 * the request on stdin and stdout with cgi().  A sysexits code.
 */
int	 cmd_cgi_main(struct app *, const char *what,
	    int (*cgi)(struct app *, FILE *, FILE *));

/*
 * Answer one CGI request (REQUEST_METHOD, QUERY_STRING, CONTENT_TYPE,
 * CONTENT_LENGTH and, for the signup, REMOTE_ADDR, HTTP_USER_AGENT,
 * HTTP_REFERER, HTTP_ORIGIN from the environment, the body from in) on
 * out: the pages of `unsubscribe --cgi` and `signup --cgi`.  A sysexits
 * code.
 */
int	 cmd_unsubscribe_cgi(struct app *, FILE *in, FILE *out);
int	 cmd_signup_cgi(struct app *, FILE *in, FILE *out);

int	 cmd_check(int, char **, struct app *);
int	 cmd_import(int, char **, struct app *);
int	 cmd_subscribers(int, char **, struct app *);
int	 cmd_render(int, char **, struct app *);
int	 cmd_preview(int, char **, struct app *);
int	 cmd_run(int, char **, struct app *);
int	 cmd_resume(int, char **, struct app *);
int	 cmd_bounces(int, char **, struct app *);
int	 cmd_unsubscribe(int, char **, struct app *);
int	 cmd_signup(int, char **, struct app *);
int	 cmd_status(int, char **, struct app *);
int	 cmd_report(int, char **, struct app *);
int	 cmd_init(int, char **, struct app *);
int	 cmd_dkim(int, char **, struct app *);
int	 cmd_db(int, char **, struct app *);

#endif
