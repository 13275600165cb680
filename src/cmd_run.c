/*
 * cmd_run.c - `dripmail run`: the cron job.  Options, the lock, the course,
 * then send_run() (send.c) and an exit code.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "dripmail.h"
#include "guard.h"
#include "log.h"
#include "render.h"
#include "send.h"
#include "util.h"

static const char usage[] =
    "usage: dripmail run [--now TIME] [--dry-run] [--limit N]\n"
    "\n"
    "Send every lesson and notification that is due and record each outcome:\n"
    "the cron job.  It prints one summary line; with -q only when it sent\n"
    "something or something went wrong.  When too many recent messages\n"
    "hard-bounced or drew complaints ([guard] in dripmail-settings(5)) it\n"
    "sends nothing and exits 69 until 'dripmail resume'.\n"
    "\n"
    "    --now TIME     decide everything as of TIME, ISO 8601 with an\n"
    "                   offset (2026-12-01T09:00:00+01:00): what would go\n"
    "                   out then\n"
    "    --dry-run      print \"would send to=<...> message=...\" for each\n"
    "                   message that is due, and change nothing\n"
    "    --limit N      send at most N messages in this run\n"
    "    -h, --help     print this help";

/* ", held N" when the caps held messages back, else "". */
static const char *
held(const struct send_stats *st, char *buf, size_t len)
{
	if (st->held == 0)
		return "";
	snprintf(buf, len, ", held %ld", st->held);
	return buf;
}

/*
 * The automatic pause (guard.h): 0 when the run may send, else the exit
 * code (69: paused until `dripmail resume`) after one line on stderr,
 * which under -q only some runs print (guard_report()).
 */
static int
guarded(struct app *app, const struct send_opts *o)
{
	struct guard_state g;
	char at[32];
	int ret;

	if ((ret = guard_check(app->db, &app->cfg, o->now, o->dry_run,
	    &g)) < 0)
		return cmd_exit(ret, EXIT_IOERR);
	if (!g.paused)
		return 0;
	if (!guard_report(app->db, &g, o->now, log_verbose() < 0,
	    o->dry_run))
		return EXIT_UNAVAIL;
	time_format_iso(g.paused_at, at, sizeof(at));
	log_error("run: paused since %s: %s; nothing sent until 'dripmail "
	    "resume'", at, g.reason);
	return EXIT_UNAVAIL;
}

/* The options into *o: -1 to go on, or the exit code to return. */
static int
run_options(int argc, char **argv, struct send_opts *o)
{
	static const struct option opts[] = {
		{ "now", required_argument, NULL, 'n' },
		{ "dry-run", no_argument, NULL, 'd' },
		{ "limit", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	o->now = time(NULL);
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1)
		switch (c) {
		case 'n':
			if (cmd_parse_now("run", optarg, &o->now) < 0)
				return EXIT_USAGE;
			break;
		case 'd':
			o->dry_run = 1;
			break;
		case 'l':
			o->limit = strtol(optarg, &end, 10);
			if (end == optarg || *end || o->limit < 1) {
				log_error("run: --limit '%s': expected a "
				    "positive number", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			return cmd_usage(usage, EXIT_OK);
		default:
			return cmd_bad_option(usage, argv, c);
		}
	return -1;
}

int
cmd_run(int argc, char **argv, struct app *app)
{
	struct send_opts o = { 0, 0, 0, 0, NULL };
	struct send_stats st;
	struct course *course = NULL;
	char heldbuf[40];
	long pid;
	int c, ret, lock = -1;

	if ((ret = run_options(argc, argv, &o)) >= 0)
		return ret;
	if ((ret = cmd_operands(usage, argc, argv, 0, 0, NULL)) != 0)
		return ret;
	if ((ret = app_setup(app, NEED_CONFIG)) != 0)
		return ret;
	/* PostgreSQL: no run lock, the runs share the work (send.h). */
	if (app->cfg.db_url == NULL &&
	    (lock = send_lock(app->cfg.db_path, &pid)) == ERR_TEMP) {
		/* An overlap is routine under cron: -q says nothing. */
		if (log_verbose() >= 0)
			printf("another run is active (pid %ld)\n", pid);
		return EXIT_OK;
	}
	if (app->cfg.db_url == NULL && lock < 0)
		return EXIT_IOERR;
	if ((ret = app_setup(app, NEED_DB)) != 0 ||
	    (ret = guarded(app, &o)) != 0)
		goto out;
	if (course_load(&app->cfg, &course) < 0) {
		log_error("run: the course does not load: nothing sent");
		ret = EXIT_DATAERR;
		goto out;
	}
	/* What check refuses is never sent (the problems are logged). */
	if ((c = course_check(course, &app->cfg)) > 0) {
		log_error("run: %d problem%s in the lessons (see dripmail "
		    "check): nothing sent", c, c == 1 ? "" : "s");
		ret = EXIT_DATAERR;
		goto out;
	}
	o.progress = !o.dry_run && isatty(STDERR_FILENO) && log_verbose() == 0;
	ret = send_run(&app->cfg, app->db, course, &o, &st);
	if (send_summary_wanted(&st, ret, log_verbose() < 0))
		printf("run: %s %ld, retry %ld, failed %ld, suppressed %ld%s "
		    "in %.1f s\n", o.dry_run ? "would send" : "sent", st.sent,
		    st.retry, st.failed, st.suppressed, held(&st, heldbuf,
		    sizeof(heldbuf)), st.seconds);
	if (ret < 0)
		ret = cmd_exit(ret, EXIT_IOERR);
	else if (st.failed || st.stopped == 5)
		ret = EXIT_UNAVAIL;
	else if (st.unreachable || st.stopped == 4)
		ret = EXIT_TEMPFAIL;
	else
		ret = EXIT_OK;
out:
	course_free(course);
	if (lock >= 0)
		close(lock);
	return ret;
}
