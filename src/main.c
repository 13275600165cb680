/*
 * main.c - global options, the command table, dispatch.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "dripmail.h"
#include "log.h"
#include "store.h"
#include "tz.h"
#include "util.h"

struct command {
	const char	*name;
	int		(*fn)(int, char **, struct app *);
	const char	*summary;
};

static const struct command commands[] = {
	{ "import",	 cmd_import,	  "add or update subscribers from CSV" },
	{ "subscribers", cmd_subscribers, "list, show, add, unsubscribe, "
	    "remove, export" },
	{ "preview",	 cmd_preview,	  "render every message to a folder" },
	{ "render",	 cmd_render,	  "render one Mustache template" },
	{ "run",	 cmd_run,	  "send what is due (the cron job)" },
	{ "resume",	 cmd_resume,	  "lift the automatic pause of runs" },
	{ "bounces",	 cmd_bounces,	  "apply bounces, complaints and "
	    "unsubscribes" },
	{ "unsubscribe", cmd_unsubscribe, "unsubscribe by token or address" },
	{ "signup",	 cmd_signup,	  "the web signup form's endpoint "
	    "(double opt-in)" },
	{ "status",	 cmd_status,	  "what was sent, is due, failed" },
	{ "report",	 cmd_report,	  "write a page of charts: how it goes" },
	{ "check",	 cmd_check,	  "validate settings, database, lessons" },
	{ "db",		 cmd_db,	  "copy the database to PostgreSQL or "
	    "SQLite" },
	{ "init",	 cmd_init,	  "create a ready course folder" },
	{ "dkim",	 cmd_dkim,	  "make a DKIM key and its DNS record" },
};

static const char usage[] =
    "usage: dripmail [-c FILE] [-v|-q] COMMAND [ARGS]";

static int
help(FILE *fp)
{
	fprintf(fp, "%s\n\ncommands:\n", usage);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(fp, "  %-12s %s\n", commands[i].name,
		    commands[i].summary);
	fprintf(fp, "\n'dripmail COMMAND --help' shows a command's options; "
	    "see dripmail(1).\n");
	return 0;
}

static int
finish(int status)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		log_warn("cannot write standard output");
		if (status == 0)
			status = EXIT_IOERR;
	}
	return status;
}

int
main(int argc, char **argv)
{
	struct app app;
	const struct command *cmd = NULL;
	int verbose = 0, i, status;

	/*
	 * Zones are tz.h handles and nothing here switches TZ; UTC keeps
	 * any local time a library works out (SQLite's 'localtime', say)
	 * the same on every machine.  The host's own zone (the day of [send]
	 * max_per_day) is read first.
	 */
	(void)tz_host();
	if (setenv("TZ", "UTC", 1) < 0)
		fatal("setenv");
	/* A server that hangs up is an error to report, not a way to die. */
	signal(SIGPIPE, SIG_IGN);
	memset(&app, 0, sizeof(app));
	app.config_path = CONFIG_DEFAULT_FILE;
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		} else if (strcmp(a, "-c") == 0 && i + 1 < argc)
			app.config_path = argv[++i];
		else if (strcmp(a, "-c") == 0) {
			fprintf(stderr, "dripmail: option '-c' needs a value: "
			    "the settings file\n%s\n", usage);
			return EXIT_USAGE;
		}
		else if (strncmp(a, "-c", 2) == 0 && a[2] != '\0')
			app.config_path = a + 2;
		else if (strcmp(a, "-q") == 0)
			verbose = -1;
		else if (a[1] == 'v' && strspn(a + 1, "v") == strlen(a + 1))
			verbose += (int)strlen(a + 1);
		else if (strcmp(a, "--version") == 0) {
			printf("dripmail %s\n", DRIPMAIL_VERSION);
			return finish(0);
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
			return finish(help(stdout));
		else {
			fprintf(stderr, "dripmail: unknown option '%s'\n%s\n",
			    a, usage);
			return EXIT_USAGE;
		}
	}
	log_init(verbose);
	if (i >= argc) {
		fprintf(stderr, "%s\n", usage);
		return EXIT_USAGE;
	}
	if (strcmp(argv[i], "help") == 0) {
		if (i + 1 >= argc)
			return finish(help(stdout));
		argv[i] = argv[i + 1];
		argv[i + 1] = (char *)"--help";
	}
	for (size_t k = 0; k < ARRAY_SIZE(commands); k++)
		if (strcmp(argv[i], commands[k].name) == 0)
			cmd = &commands[k];
	if (cmd == NULL) {
		fprintf(stderr, "dripmail: unknown command '%s'\n%s\n",
		    argv[i], usage);
		return EXIT_USAGE;
	}
	optind = 0;		/* full getopt reset for the command */
	opterr = 0;		/* commands print their own usage line */
	status = cmd->fn(argc - i, argv + i, &app);
	store_close(app.db);
	if (app.have_cfg)
		config_free(&app.cfg);
	return finish(status);
}
