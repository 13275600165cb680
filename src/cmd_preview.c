/*
 * cmd_preview.c - render every lesson and notification (or those named)
 * into a folder for the browser, with sample or one subscriber's data.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "dripmail.h"
#include "lesson.h"
#include "log.h"
#include "preview.h"
#include "render.h"
#include "util.h"
#include "xmalloc.h"

static const char usage[] =
    "usage: dripmail preview [--out DIR] [--subscriber EMAIL] [LESSON...]";

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

/* Fill r from the subscribers table; strings allocated. */
static int
load_subscriber(struct app *app, const char *email, struct recipient *r)
{
	sqlite3_stmt *st;
	int rc;

	st = db_stmt(&app->db, "SELECT id, email, first_name, timezone "
	    "FROM subscribers WHERE email = ?");
	if (st == NULL)
		return EXIT_SOFTWARE;
	sqlite3_bind_text(st, 1, email, -1, SQLITE_TRANSIENT);
	rc = db_step(&app->db, st, "preview subscriber");
	if (rc < 0)
		return cmd_exit(rc, EXIT_SOFTWARE);
	if (rc != SQLITE_ROW) {
		log_error("preview: no subscriber '%s'", email);
		return EXIT_DATAERR;
	}
	r->id = sqlite3_column_int64(st, 0);
	r->email = db_column_strdup(st, 1);
	r->first_name = db_column_strdup(st, 2);
	r->timezone = db_column_strdup(st, 3);
	sqlite3_reset(st);
	return 0;
}

int
cmd_preview(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "subscriber", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct recipient r = { 0, RENDER_SAMPLE_EMAIL, RENDER_SAMPLE_NAME,
	    NULL };
	const char *out = "preview", *subscriber = NULL;
	const struct lesson **lessons = NULL;
	struct course *course = NULL;
	char *index = NULL;
	int c, n = 0, status;

	while ((c = getopt_long(argc, argv, "+ho:", opts, NULL)) != -1)
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 's':
			subscriber = optarg;
			break;
		case 'h':
			return cmd_usage(usage, EXIT_OK);
		default:
			return cmd_usage(usage, EXIT_USAGE);
		}
	argc -= optind;
	argv += optind;
	if ((status = app_setup(app, subscriber ? NEED_DB : NEED_CONFIG)) != 0)
		return status;
	if (subscriber && (status = load_subscriber(app, subscriber, &r)) != 0)
		return status;
	if (course_load(&app->cfg, &course) < 0) {
		status = EXIT_DATAERR;
		goto out;
	}
	if (select_lessons(course, argc, argv, &lessons, &n) < 0) {
		status = EXIT_NOINPUT;
		goto out;
	}
	if (preview_write(course, &app->cfg, lessons, n, &r, out,
	    time(NULL)) < 0) {
		status = EXIT_DATAERR;
		goto out;
	}
	index = path_join(out, "index.html");
	printf("%s\n", index);
	status = EXIT_OK;
out:
	if (subscriber) {
		free((char *)r.email);
		free((char *)r.first_name);
		free((char *)r.timezone);
	}
	free(index);
	free(lessons);
	course_free(course);
	return status;
}
