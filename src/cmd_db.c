/*
 * cmd_db.c - `dripmail db copy --to TARGET`: the course's database (the
 * settings' [database]) copied whole into another one (db_copy.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "db_copy.h"
#include "dripmail.h"
#include "log.h"
#include "send.h"

static const char usage[] =
    "usage: dripmail db copy --to TARGET [--password-file FILE]\n"
    "\n"
    "Copy the course's database, the one the settings name, into TARGET:\n"
    "every subscriber, delivery, event, run, signup and suppression, with\n"
    "its id, so links and tokens already mailed keep working.  TARGET is a\n"
    "SQLite file or a postgresql:// URI; it is created or migrated, and\n"
    "refused unless it is empty.  All of it is copied, or nothing.  Then\n"
    "point [database] at TARGET.\n"
    "\n"
    "    --to TARGET    the database to copy into: a SQLite file (relative\n"
    "                   to the current folder) or postgresql://USER@HOST/DB\n"
    "                   without a password in it\n"
    "    --password-file FILE\n"
    "                   read TARGET's password from FILE (mode 0600); by\n"
    "                   default PGPASSWORD or ~/.pgpass\n"
    "    -h, --help     print this help";

/*
 * A SQLite course copies under its run lock (send_lock()), so no run
 * writes while the snapshot is read; on PostgreSQL the workers must be
 * stopped by hand (dripmail(1)).  Returns the lock's descriptor, -1 when
 * there is none to take, or an exit code (less than -1, negated).
 */
static int
run_lock(const struct config *cfg)
{
	long pid;
	int fd;

	if (cfg->db_url != NULL)
		return -1;
	fd = send_lock(cfg->db_path, &pid);
	if (fd == ERR_TEMP) {
		log_error("db copy: a run is active (pid %ld): copy when it "
		    "has finished", pid);
		return -EXIT_TEMPFAIL;
	}
	return fd < 0 ? -EXIT_IOERR : fd;
}

static int
copy(struct app *app, const char *to, const char *password_file)
{
	struct db_copy_stats st;
	int lock, ret;

	if ((ret = app_setup(app, NEED_CONFIG)) != 0)
		return ret;
	if ((lock = run_lock(&app->cfg)) < -1)
		return -lock;
	ret = db_copy_between(app->cfg.db_target, app->cfg.db_password_file,
	    to, password_file, &st);
	if (lock >= 0)
		close(lock);
	if (ret == ERR_PERM)
		return EXIT_DATAERR;
	if (ret < 0)
		return cmd_exit(ret, EXIT_IOERR);
	printf("db copy: %lld rows copied to %s (%s)\n", (long long)st.rows,
	    to, st.detail);
	return EXIT_OK;
}

int
cmd_db(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "to", required_argument, NULL, 't' },
		{ "password-file", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *to = NULL, *password_file = NULL;
	int c, ret;

	if (argc < 2)
		return cmd_usage_error(usage, argv[0], "missing a subcommand: "
		    "copy");
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
		return cmd_usage(usage, EXIT_OK);
	if (strcmp(argv[1], "copy") != 0)
		return cmd_usage_error(usage, argv[0], "unknown subcommand "
		    "'%s'", argv[1]);
	argv[1] = (char *)"db copy";
	argc--, argv++;
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1)
		switch (c) {
		case 't':
			to = optarg;
			break;
		case 'p':
			password_file = optarg;
			break;
		case 'h':
			return cmd_usage(usage, EXIT_OK);
		default:
			return cmd_bad_option(usage, argv, c);
		}
	if ((ret = cmd_operands(usage, argc, argv, 0, 0, NULL)) != 0)
		return ret;
	if (to == NULL || *to == '\0')
		return cmd_usage_error(usage, argv[0], "missing --to TARGET");
	if (db_copy_has_password(to))
		return cmd_usage_error(usage, argv[0], "the password does not "
		    "go on the command line (others can read it there): "
		    "--password-file FILE, PGPASSWORD or ~/.pgpass");
	return copy(app, to, password_file);
}
