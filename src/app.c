/*
 * app.c - what every command shares: settings and database on demand, usage
 * lines, exit codes.
 */
#include <stdio.h>

#include "cmd.h"
#include "dripmail.h"
#include "log.h"
#include "util.h"

int
cmd_usage(const char *u, int status)
{
	if (status == 0)
		printf("%s\n", u);
	else
		fprintf(stderr, "%s\n", u);
	return status;
}

int
cmd_exit(int err, int fallback)
{
	if (err >= 0)
		return EXIT_OK;
	return err == ERR_TEMP ? EXIT_TEMPFAIL : fallback;
}

int
app_setup(struct app *app, int needs)
{
	int ret;

	if ((needs & NEED_CONFIG) && !app->have_cfg) {
		app->have_cfg = 1;
		if (config_load(&app->cfg, app->config_path) < 0)
			return EXIT_CONFIG;
	}
	if ((needs & NEED_DB) == NEED_DB && !app->have_db) {
		ret = db_open(&app->db, app->cfg.db_path);
		if (ret < 0)
			return ret == ERR_TEMP ? EXIT_TEMPFAIL : EXIT_IOERR;
		app->have_db = 1;
	}
	return 0;
}

int
cmd_parse_now(const char *cmd, const char *arg, time_t *t)
{
	if (time_parse_iso(arg, t) < 0) {
		log_error("%s: --now '%s': expected a time such as "
		    "2026-12-01T09:00:00+01:00", cmd, arg);
		return ERR_FAIL;
	}
	return 0;
}
