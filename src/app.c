/*
 * app.c - what every command shares: settings and database on demand, usage
 * lines, exit codes.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "dripmail.h"
#include "log.h"
#include "store.h"
#include "util.h"

int
cmd_usage(const char *u, int status)
{
	const char *end = strstr(u, "\n\n");

	if (status == 0)
		printf("%s\n\nGlobal options (-c FILE, -v, -q) go before the "
		    "command; see dripmail(1).\n", u);
	else
		fprintf(stderr, "%.*s\n", end ? (int)(end - u) : (int)strlen(u),
		    u);
	return status;
}

int
cmd_usage_error(const char *usage, const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "dripmail %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return cmd_usage(usage, EXIT_USAGE);
}

int
cmd_operands(const char *usage, int argc, char **argv, int min, int max,
    const char *what)
{
	int n = argc - optind;

	if (max >= 0 && n > max)
		return cmd_usage_error(usage, argv[0], "unexpected argument "
		    "'%s'", argv[optind + max]);
	if (n < min)
		return cmd_usage_error(usage, argv[0], "missing %s", what);
	return 0;
}

int
cmd_bad_option(const char *usage, char **argv, int c)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";
	int is_long = strncmp(arg, "--", 2) == 0;
	char opt[64];

	if (optopt != 0 && !is_long)
		(void)snprintf(opt, sizeof(opt), "-%c", optopt);
	else
		(void)snprintf(opt, sizeof(opt), "%.*s", (int)strcspn(arg, "="),
		    arg);
	if (c == ':')
		return cmd_usage_error(usage, argv[0], "option '%s' needs a "
		    "value", opt);
	if (is_long && optopt != 0 && strchr(arg, '=') != NULL)
		return cmd_usage_error(usage, argv[0], "option '%s' takes no "
		    "value", opt);
	return cmd_usage_error(usage, argv[0], "unknown option '%s'", opt);
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
	if ((needs & NEED_DB) == NEED_DB && app->db == NULL) {
		ret = store_open(app->cfg.db_target,
		    app->cfg.db_password_file, &app->db);
		if (ret < 0)
			return ret == ERR_TEMP ? EXIT_TEMPFAIL : EXIT_IOERR;
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

int
cmd_cgi_main(struct app *app, const char *what,
    int (*cgi)(struct app *, FILE *, FILE *))
{
	if (app_setup(app, NEED_CONFIG) != 0) {
		printf("Status: 500 Internal Server Error\r\n"
		    "Content-Type: text/plain; charset=utf-8\r\n\r\n"
		    "%s is not configured.\n", what);
		return EXIT_CONFIG;
	}
	return cgi(app, stdin, stdout);
}
