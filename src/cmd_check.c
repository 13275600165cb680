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
#include "util.h"

static const char usage[] = "usage: dripmail check [--smtp]";

/* Connect, EHLO, STARTTLS, AUTH and QUIT (or test the Maildir). */
static int
check_smtp(const struct config *cfg)
{
	struct smtp_result r;
	char *url = url_redact(cfg->smtp_url);
	int ret = 0;

	if (smtp_check(cfg, &r) < 0) {
		log_error("smtp: %s: %s", url, r.reply);
		ret = ERR_TEMP;
	} else
		printf("smtp: %s: ok (%s)\n", url, r.reply);
	free(url);
	return ret;
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

	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1)
		switch (c) {
		case 's':
			smtp = 1;
			break;
		case 'h':
			return cmd_usage(usage, EXIT_OK);
		default:
			return cmd_usage(usage, EXIT_USAGE);
		}
	if (optind != argc)
		return cmd_usage(usage, EXIT_USAGE);

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
