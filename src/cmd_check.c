/*
 * cmd_check.c - validate settings, database, lessons and templates, and
 * report every problem found, not only the first.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "dripmail.h"
#include "log.h"
#include "render.h"
#include "smtp.h"

static const char usage[] =
    "usage: dripmail check [--smtp]\n"
    "\n"
    "Check the settings, open the database (creating or migrating it),\n"
    "load and render every lesson and template, and report every problem\n"
    "with its file and line.\n"
    "\n"
    "    --smtp         also connect to [smtp] url, log in and quit, sending\n"
    "                   nothing\n"
    "    -h, --help     print this help";

/* Connect, EHLO, STARTTLS, AUTH and QUIT (or test the Maildir). */
static int
check_smtp(const struct config *cfg)
{
	struct smtp_result r;

	if (smtp_check(cfg, &r) < 0) {
		log_error("smtp: %s: %s", cfg->smtp_url, r.reply);
		return ERR_TEMP;
	}
	printf("smtp: %s: ok (%s)\n", cfg->smtp_url, r.reply);
	return 0;
}

int
cmd_check(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "smtp", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned char *key;
	size_t keylen;
	int c, smtp = 0, problems = 0, status = EXIT_OK, ret;

	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1)
		switch (c) {
		case 's':
			smtp = 1;
			break;
		case 'h':
			return cmd_usage(usage, EXIT_OK);
		default:
			return cmd_bad_option(usage, argv, c);
		}
	if ((ret = cmd_operands(usage, argc, argv, 0, 0, NULL)) != 0)
		return ret;

	if (app_setup(app, NEED_CONFIG) != 0) {
		/* Settings are broken: still say what else we can. */
		return EXIT_CONFIG;
	}
	printf("settings: %s: ok\n", app->cfg.file);
	ret = app_setup(app, NEED_DB);
	if (ret != 0) {
		problems++;
		status = ret;
	} else
		printf("database: %s: ok (schema version %d)\n",
		    app->cfg.db_path, db_version(&app->db));
	if (config_secret(&app->cfg, &key, &keylen) < 0) {
		/* A settings problem; the course cannot render without it. */
		problems++;
		status = EXIT_CONFIG;
		printf("lessons: not checked: the unsubscribe secret is "
		    "needed to render them\n");
	} else {
		free(key);
		if ((ret = render_check(&app->cfg)) > 0) {
			problems += ret;
			status = status ? status : EXIT_DATAERR;
		}
	}
	if (smtp && check_smtp(&app->cfg) < 0) {
		problems++;
		if (status == EXIT_OK)
			status = EXIT_TEMPFAIL;
	}
	if (problems)
		log_error("check: %d problem%s found", problems,
		    problems == 1 ? "" : "s");
	return status;
}
