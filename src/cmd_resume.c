/*
 * cmd_resume.c - `dripmail resume`: lift the automatic pause (guard.h),
 * recording who did and when.
 */
#include <sys/types.h>

#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "dripmail.h"
#include "guard.h"
#include "log.h"
#include "util.h"

static const char usage[] =
    "usage: dripmail resume [--now TIME]\n"
    "\n"
    "Lift the automatic pause that stopped 'dripmail run' after too many\n"
    "hard bounces or complaints, and record who lifted it and when.  Runs\n"
    "send again; the rates are counted afresh from now.\n"
    "\n"
    "    --now TIME     record the resume as of TIME, ISO 8601 with an\n"
    "                   offset (2026-12-01T09:00:00+01:00)\n"
    "    -h, --help     print this help";

/*
 * Who runs this: the user who ran sudo (SUDO_USER), else the login name
 * of the real uid, with the uid.  Never a control character (the name
 * comes from the environment; it is stored, bound, in the events log).
 */
static void
who_am_i(char *out, size_t size)
{
	const char *sudo = getenv("SUDO_USER");
	struct passwd *pw = getpwuid(getuid());
	unsigned uid = (unsigned)getuid();

	if (sudo != NULL && *sudo != '\0' && !str_has_ctl(sudo) &&
	    utf8_valid(sudo, strlen(sudo)) && strlen(sudo) < 32)
		(void)snprintf(out, size, "%s via sudo (uid %u)", sudo, uid);
	else if (pw != NULL && pw->pw_name != NULL &&
	    !str_has_ctl(pw->pw_name) && strlen(pw->pw_name) < 32)
		(void)snprintf(out, size, "%s (uid %u)", pw->pw_name, uid);
	else
		(void)snprintf(out, size, "uid %u", uid);
}

int
cmd_resume(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "now", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct guard_state g;
	char who[GUARD_WHO_MAX], at[32];
	time_t now = time(NULL);
	int c, ret;

	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1)
		switch (c) {
		case 'n':
			if (cmd_parse_now("resume", optarg, &now) < 0)
				return EXIT_USAGE;
			break;
		case 'h':
			return cmd_usage(usage, EXIT_OK);
		default:
			return cmd_bad_option(usage, argv, c);
		}
	if ((ret = cmd_operands(usage, argc, argv, 0, 0, NULL)) != 0)
		return ret;
	if ((ret = app_setup(app, NEED_DB)) != 0)
		return ret;
	who_am_i(who, sizeof(who));
	ret = guard_resume(app->db, &app->cfg, now, who, &g);
	if (ret < 0)
		return cmd_exit(ret, EXIT_IOERR);
	if (ret == 0) {
		printf("not paused: nothing to resume\n");
		return EXIT_OK;
	}
	time_format_iso(g.paused_at, at, sizeof(at));
	printf("resumed: the pause since %s is lifted by %s (it was: %s)\n",
	    at, who, g.reason);
	return EXIT_OK;
}
