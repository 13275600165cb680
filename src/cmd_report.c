/*
 * cmd_report.c - `dripmail report --html DIR`: the course's figures as
 * one static page (report.c draws it from what status.c counts).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cmd.h"
#include "dripmail.h"
#include "log.h"
#include "render.h"
#include "report.h"
#include "util.h"

static const char usage[] =
    "usage: dripmail report --html DIR [--now TIME]\n"
    "\n"
    "Write DIR/index.html: one static page, no script and nothing fetched,\n"
    "with charts of the sends per day, the course funnel, the bounces,\n"
    "complaints and unsubscribes by message and over time, the waitlist's\n"
    "growth and the launch, and the last runs; the figures are those of\n"
    "status --json, in a table beside each chart.  Counts only: no address.\n"
    "Prints the page's path (not with -q).\n"
    "\n"
    "    --html DIR     write the page into DIR (made if missing)\n"
    "    --now TIME     count what is due as of TIME, ISO 8601 with an offset\n"
    "    -h, --help     print this help";

int
cmd_report(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "html", required_argument, NULL, 'H' },
		{ "now", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct course *course = NULL;
	const char *dir = NULL;
	char *path;
	time_t now = time(NULL);
	int c, ret;

	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1)
		switch (c) {
		case 'H':
			dir = optarg;
			break;
		case 'n':
			if (cmd_parse_now("report", optarg, &now) < 0)
				return EXIT_USAGE;
			break;
		case 'h':
			return cmd_usage(usage, EXIT_OK);
		default:
			return cmd_bad_option(usage, argv, c);
		}
	if ((ret = cmd_operands(usage, argc, argv, 0, 0, NULL)) != 0)
		return ret;
	if (dir == NULL)
		return cmd_usage_error(usage, "report", "missing --html DIR");
	if ((ret = app_setup(app, NEED_DB)) != 0)
		return ret;
	if (course_load(&app->cfg, &course) < 0)
		return EXIT_DATAERR;
	ret = report_html(app->db, &app->cfg, course, now, dir);
	course_free(course);
	if (ret < 0)
		return EXIT_IOERR;
	/* -q: nothing for cron to mail */
	if (log_verbose() >= 0) {
		path = path_join(dir, "index.html");
		printf("%s\n", path);
		free(path);
	}
	return EXIT_OK;
}
