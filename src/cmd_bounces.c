/*
 * cmd_bounces.c - `dripmail bounces [--dry-run] [--format tsv] [SOURCE...]`:
 * read bounce sources, classify each message, apply the policy.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bounce.h"
#include "cmd.h"
#include "dripmail.h"
#include "log.h"
#include "mailbox.h"
#include "util.h"

static const char usage[] =
    "usage: dripmail bounces [--dry-run] [--format tsv] [SOURCE...]\n"
    "\n"
    "Read the bounce mailbox: apply bounces, spam complaints and\n"
    "unsubscribe replies to the subscribers they name.  SOURCE is a\n"
    "Maildir, an mbox file, one message file or imaps://USER@HOST/FOLDER\n"
    "(default: [bounces] source).\n"
    "\n"
    "    --dry-run      say what would be done, and change nothing\n"
    "    --format tsv   print one tab-separated line per finding: source,\n"
    "                   recipient, status, kind, action\n"
    "    -h, --help     print this help";

struct run {
	struct app		*app;
	struct bounce_opts	 opts;
	struct bounce_policy	 policy;
	int			 dry_run;
	int			 tsv;
	time_t			 now;
	int			 count[BOUNCE_OTHER + 1];
	struct bounce_tally	 tally;
	int			 messages, seen;
};

/* TSV fields: control characters (tabs, newlines) become '?'. */
static void
put_field(const char *s, int last)
{
	for (; *s; s++)
		putchar((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
	putchar(last ? '\n' : '\t');
}

static int
one_message(void *arg, const struct mailbox_msg *m)
{
	struct run *run = arg;
	struct bounce_result r;
	int rc = 1;

	if (!run->dry_run) {
		rc = bounce_seen(run->app->db, m->key);
		if (rc != 0) {
			run->seen += rc > 0;
			return rc;	/* applied already: mark it again */
		}
	}
	run->messages++;
	bounce_classify(&run->opts, m->data, m->len, &r);
	for (size_t i = 0; i < r.n; i++) {
		const struct bounce_finding *f = &r.findings[i];

		run->count[f->kind]++;
		log_info("bounces: %s: <%s> %s %s%s", m->name, f->recipient,
		    bounce_kind_name(f->kind), f->status[0] ? f->status : "-",
		    f->subscriber ? " (token)" : "");
		if (run->tsv) {
			put_field(m->name, 0);
			put_field(f->recipient, 0);
			put_field(f->status, 0);
			put_field(bounce_kind_name(f->kind), 1);
		}
	}
	if (!run->dry_run)
		rc = bounce_apply_message(run->app->db, &run->policy, &r,
		    m->name, m->key, run->now, &run->tally);
	bounce_result_release(&r);
	return rc < 0 ? rc : 1;
}

/* -1 to go on, else the exit status. */
static int
parse_args(int argc, char **argv, struct run *run)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "+:nf:h", opts, NULL)) != -1)
		switch (c) {
		case 'n':
			run->dry_run = 1;
			break;
		case 'f':
			if (strcmp(optarg, "tsv") != 0) {
				log_error("bounces: unknown format '%s' "
				    "(expected tsv)", optarg);
				return EXIT_USAGE;
			}
			run->tsv = 1;
			break;
		case 'h':
			return cmd_usage(usage, EXIT_OK);
		default:
			return cmd_bad_option(usage, argv, c);
		}
	return -1;
}

int
cmd_bounces(int argc, char **argv, struct app *app)
{
	struct run run;
	struct mailbox_opts mo;
	unsigned char *key = NULL;
	size_t keylen = 0;
	char **src, *done_dir = NULL;
	int ret, nsrc, status = EXIT_OK, bad = 0, unreadable = 0;

	memset(&run, 0, sizeof(run));
	if ((ret = parse_args(argc, argv, &run)) >= 0)
		return ret;
	if ((ret = app_setup(app, run.dry_run ? NEED_CONFIG : NEED_DB)) != 0)
		return ret;
	src = argv + optind;
	nsrc = argc - optind;
	if (nsrc == 0) {
		if (app->cfg.bounce_source == NULL) {
			log_error("bounces: no SOURCE given and no [bounces] "
			    "source in '%s'", app->cfg.file);
			return EXIT_USAGE;
		}
		src = &app->cfg.bounce_source;
		nsrc = 1;
	}
	if (config_secret(&app->cfg, &key, &keylen) < 0)
		log_warnx("bounces: VERP and unsubscribe tokens not checked");
	run.app = app;
	run.now = time(NULL);
	run.opts.key = key;
	run.opts.keylen = keylen;
	run.opts.unsubscribe_mailto = app->cfg.unsubscribe_mailto;
	run.policy.soft_limit = app->cfg.soft_limit;
	run.policy.soft_window = app->cfg.soft_window;
	mo.password = app->cfg.bounce_password;
	mo.tls = app->cfg.bounce_tls;
	mo.ca_file = app->cfg.bounce_ca_file;
	mo.done_folder = app->cfg.bounce_done_folder;
	/* For a Maildir source it is a path, relative to the settings. */
	if (mo.done_folder)
		done_dir = path_join(app->cfg.dir, mo.done_folder);
	mo.done_dir = done_dir;
	mo.dry_run = run.dry_run;
	for (int i = 0; i < nsrc; i++) {
		ret = mailbox_each(src[i], &mo, one_message, &run,
		    &unreadable);
		bad += unreadable;
		if (ret == ERR_TEMP)
			status = EXIT_TEMPFAIL;
		else if (ret < 0 && status == EXIT_OK)
			status = EXIT_NOINPUT;
	}
	log_info("bounces: messages=%d hard=%d soft=%d complaint=%d "
	    "unsubscribe=%d autoreply=%d other=%d suppressed=%d unknown=%d "
	    "unreadable=%d%s", run.messages, run.count[BOUNCE_HARD],
	    run.count[BOUNCE_SOFT], run.count[BOUNCE_COMPLAINT],
	    run.count[BOUNCE_UNSUBSCRIBE], run.count[BOUNCE_AUTOREPLY],
	    run.count[BOUNCE_OTHER], run.tally.suppressed, run.tally.unknown, bad,
	    run.dry_run ? " (dry run)" : "");
	free(key);
	free(done_dir);
	if (status == EXIT_OK && bad > 0)
		status = EXIT_DATAERR;
	return status;
}
