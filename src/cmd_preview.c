/*
 * cmd_preview.c - render every lesson and notification (or those named)
 * into a folder for the browser, with sample or one subscriber's data, or
 * send them as tests to one address (--send-test).  Neither touches the
 * deliveries, subscribers or events tables.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "buf.h"
#include "cmd.h"
#include "dripmail.h"
#include "lesson.h"
#include "log.h"
#include "preview.h"
#include "render.h"
#include "schedule.h"
#include "smtp.h"
#include "store.h"
#include "util.h"
#include "xmalloc.h"

static const char usage[] =
    "usage: dripmail preview [--out DIR] [--subscriber EMAIL] [--no-spam]\n"
    "           [LESSON...]\n"
    "       dripmail preview --send-test ADDRESS [--subscriber EMAIL]\n"
    "           [LESSON...]\n"
    "\n"
    "Render every lesson and notification (or the LESSONs named, such as\n"
    "day1) as subscribers will see them: a browsable folder with\n"
    "index.html, and an .html, .txt and .eml file for each.\n"
    "\n"
    "    --out DIR      write into DIR (default: preview)\n"
    "    --subscriber EMAIL\n"
    "                   use this subscriber's own data instead of sample data\n"
    "    --no-spam      do not score the messages with SpamAssassin\n"
    "    --send-test ADDRESS\n"
    "                   send each message once to ADDRESS through [smtp] url,\n"
    "                   marked [TEST]; nothing is recorded\n"
    "    -h, --help     print this help";

#define TEST_MSG_MAX	(4 << 20)	/* a rendered message, as run */

/* "day1", "day1.md" or "lessons/day1.md": the id (allocated). */
static char *
lesson_id_arg(const char *arg)
{
	char *id = lesson_id_from_path(arg);

	return id ? id : xstrdup(arg);
}

/* The messages to render: those named, else every lesson and notice. */
static int
select_lessons(const struct course *c, int argc, char **argv,
    const struct lesson ***out, int *n)
{
	const struct lesson **l;
	int k = 0;

	l = xcalloc((size_t)(argc + course_ndays(c) + course_nnotices(c) + 1),
	    sizeof(*l));
	*out = l;
	if (argc > 0) {
		for (int i = 0; i < argc; i++) {
			char *id = lesson_id_arg(argv[i]);

			if ((l[k] = course_find(c, id)) == NULL) {
				log_error("preview: no lesson or notification "
				    "'%s'", argv[i]);
				free(id);
				return ERR_FAIL;
			}
			free(id);
			k++;
		}
	} else {
		for (int d = 1; d <= course_ndays(c); d++)
			l[k++] = course_day(c, d);
		for (int i = 0; i < course_nnotices(c); i++)
			l[k++] = course_notice(c, i);
	}
	*n = k;
	return 0;
}

/* Fill r from the store; strings allocated. */
static int
load_subscriber(struct app *app, const char *email, struct recipient *r)
{
	struct store_sub s;
	int rc;

	rc = store_sub_get(app->db, email, &s);
	if (rc < 0)
		return cmd_exit(rc, EXIT_SOFTWARE);
	if (rc == 0) {
		log_error("preview: no subscriber '%s'", email);
		return EXIT_DATAERR;
	}
	r->id = s.id;
	r->email = s.email;
	r->first_name = s.first_name;
	r->timezone = s.timezone;
	s.email = s.first_name = s.timezone = NULL;
	store_sub_release(&s);
	return 0;
}

/* ADDRESS checked and normalised into an allocated copy, or NULL. */
static char *
test_address(const char *arg)
{
	const char *why;
	char *a;

	if (addr_check(arg, &why) < 0) {
		log_error("preview: --send-test: invalid address '%s': %s",
		    arg, why);
		return NULL;
	}
	a = xstrdup(arg);
	addr_normalise(a);
	return a;
}

/*
 * --send-test: each message marked as a test, to r->to, through the
 * configured transport; nothing stored.  Exit status as run's: 69 when a
 * message was refused for good (or did not render), 75 when the server
 * was unreachable or deferred one.
 */
static int
send_tests(const struct course *c, const struct config *cfg,
    const struct lesson **lessons, int n, const struct recipient *r)
{
	struct smtp_conn *conn = NULL;
	struct smtp_result res;
	struct buf msg;
	time_t now = time(NULL);
	int sent = 0, failed = 0, deferred = 0, i;

	buf_init(&msg, TEST_MSG_MAX);
	for (i = 0; i < n; i++) {
		const struct lesson *l = lessons[i];

		buf_reset(&msg);
		if (render_message(c, cfg, l, r, now, MSG_TEST, &msg) < 0) {
			log_warnx("preview: %s: not sent: cannot render it",
			    l->id);
			failed++;
			continue;
		}
		smtp_deliver(&conn, cfg, r->to, msg.data, msg.len, &res);
		if (res.err == 0) {
			printf("sent %s to <%s>\n", l->id, r->to);
			sent++;
		} else if (res.err == ERR_PERM) {
			log_warnx("preview: %s to <%s> refused: %s", l->id,
			    r->to, res.reply);
			failed++;
		} else {
			log_warnx("preview: %s to <%s> not sent, try again "
			    "later: %s", l->id, r->to, res.reply);
			deferred++;
			if (res.unreachable) {
				i++;
				break;
			}
		}
	}
	smtp_close(conn);
	buf_release(&msg);
	printf("preview: sent %d test message%s to <%s>, failed %d, "
	    "not sent %d\n", sent, sent == 1 ? "" : "s", r->to, failed,
	    deferred + (n - i));
	if (failed)
		return EXIT_UNAVAIL;
	if (deferred)
		return EXIT_TEMPFAIL;
	return EXIT_OK;
}

/*
 * {{first_lesson_at}} as a waitlist member in zone tz would see it in the
 * launch notification: Day 1 after enrolment at launch (0 without one).
 */
static time_t
sample_day1(const struct config *cfg, const char *tz)
{
	struct sched_sub s = { sched_zone(cfg, tz), 0, 0, 0, cfg->launch_at };
	struct sched_msg day1 = { 1, 0, 0 };

	return cfg->launch_at ? sched_due(cfg, &s, &day1, cfg->launch_at) : 0;
}

/* What the options ask for. */
struct preview_args {
	const char	*out;		/* --out */
	const char	*subscriber;	/* --subscriber */
	const char	*test_to;	/* --send-test */
	int		 flags;		/* PREVIEW_* */
};

/* The options into *a: -1 to go on, or the exit code to return. */
static int
preview_options(int argc, char **argv, struct preview_args *a)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "subscriber", required_argument, NULL, 's' },
		{ "send-test", required_argument, NULL, 't' },
		{ "no-spam", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "+:ho:", opts, NULL)) != -1)
		switch (c) {
		case 'n':
			a->flags &= ~PREVIEW_SPAM;
			break;
		case 'o':
			a->out = optarg;
			break;
		case 's':
			a->subscriber = optarg;
			break;
		case 't':
			a->test_to = optarg;
			break;
		case 'h':
			return cmd_usage(usage, EXIT_OK);
		default:
			return cmd_bad_option(usage, argv, c);
		}
	return -1;
}

int
cmd_preview(int argc, char **argv, struct app *app)
{
	struct preview_args a = { NULL, NULL, NULL, PREVIEW_SPAM };
	struct recipient r = { 0, RENDER_SAMPLE_EMAIL, RENDER_SAMPLE_NAME,
	    NULL, NULL, 0, 0 };
	char *to = NULL;
	const struct lesson **lessons = NULL;
	struct course *course = NULL;
	char *index = NULL;
	int n = 0, status;

	if ((status = preview_options(argc, argv, &a)) >= 0)
		return status;
	argc -= optind;
	argv += optind;
	if (a.test_to != NULL && a.out != NULL) {
		log_error("preview: --out and --send-test do not go together");
		return cmd_usage(usage, EXIT_USAGE);
	}
	if (a.test_to != NULL && (to = test_address(a.test_to)) == NULL)
		return EXIT_DATAERR;
	/* r still holds the sample's constant strings: nothing to free. */
	status = app_setup(app, a.subscriber ? NEED_DB : NEED_CONFIG);
	if (status == 0 && a.subscriber)
		status = load_subscriber(app, a.subscriber, &r);
	if (status != 0) {
		free(to);
		return status;
	}
	r.first_lesson_at = sample_day1(&app->cfg, r.timezone);
	if (to != NULL) {
		/* Their data, but not their unsubscribe link or Message-ID. */
		r.id = 0;
		r.to = to;
	}
	if (course_load(&app->cfg, &course) < 0) {
		status = EXIT_DATAERR;
		goto out;
	}
	if (select_lessons(course, argc, argv, &lessons, &n) < 0) {
		status = EXIT_NOINPUT;
		goto out;
	}
	if (to != NULL) {
		status = send_tests(course, &app->cfg, lessons, n, &r);
		goto out;
	}
	if (a.out == NULL)
		a.out = "preview";
	if (preview_write(course, &app->cfg, lessons, n, &r, a.out,
	    time(NULL), a.flags) < 0) {
		status = EXIT_DATAERR;
		goto out;
	}
	index = path_join(a.out, "index.html");
	printf("%s\n", index);
	status = EXIT_OK;
out:
	if (a.subscriber) {
		free((char *)r.email);
		free((char *)r.first_name);
		free((char *)r.timezone);
	}
	free(to);
	free(index);
	free(lessons);
	course_free(course);
	return status;
}
