/*
 * cmd_status.c - `dripmail status [--json]`: subscribers, per-message
 * counts and the last runs (status.c gathers them).
 */
#include <getopt.h>
#include <stdio.h>
#include <time.h>

#include <jansson.h>

#include "cmd.h"
#include "dripmail.h"
#include "log.h"
#include "render.h"
#include "status.h"
#include "util.h"

static const char usage[] =
    "usage: dripmail status [--json] [--now TIME]\n"
    "\n"
    "Show the subscribers by status, how much of today's sending cap is\n"
    "used, each message's sent, due, scheduled, retrying and failed counts,\n"
    "the last runs, and whether runs are paused for too many bounces or\n"
    "complaints.\n"
    "\n"
    "    --json         print it all as one JSON object\n"
    "    --now TIME     count what is due as of TIME, ISO 8601 with an offset\n"
    "    -h, --help     print this help";

static json_int_t
num(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

/* "today: 40 of 50 sent (warm-up day 2 of 6)", and the domain caps. */
static void
print_caps(json_t *c)
{
	json_t *cap = json_object_get(c, "cap_today"), *d;
	size_t i;

	printf("today: %" JSON_INTEGER_FORMAT, num(c, "sent_today"));
	if (json_is_integer(cap))
		printf(" of %" JSON_INTEGER_FORMAT, json_integer_value(cap));
	printf(" sent");
	if (json_is_integer(json_object_get(c, "warmup_day")))
		printf(" (warm-up day %" JSON_INTEGER_FORMAT " of %"
		    JSON_INTEGER_FORMAT ")", num(c, "warmup_day"),
		    num(c, "warmup_days"));
	else if (!json_is_integer(cap))
		printf(" (no daily cap)");
	putchar('\n');
	json_array_foreach(json_object_get(c, "domains"), i, d)
		printf("%s%s %" JSON_INTEGER_FORMAT " of %" JSON_INTEGER_FORMAT,
		    i ? ", " : "last hour: ",
		    json_string_value(json_object_get(d, "domain")),
		    num(d, "sent_last_hour"), num(d, "cap"));
	if (json_array_size(json_object_get(c, "domains")))
		putchar('\n');
}

/* The automatic pause, or the counts it judges. */
static void
print_guard(json_t *g)
{
	const char *s = json_string_value(json_object_get(g, "since"));
	const char *r = json_string_value(json_object_get(g, "reason"));
	const char *w = json_string_value(json_object_get(g, "window_start"));

	if (!json_is_object(g))
		return;
	if (json_is_true(json_object_get(g, "paused")))
		printf("\nPAUSED since %s: %s\n  runs send nothing until "
		    "'dripmail resume'\n", s ? s : "?", r ? r : "");
	else
		printf("\nguard: not paused; since %s: %" JSON_INTEGER_FORMAT
		    " sends, %" JSON_INTEGER_FORMAT " hard bounces, %"
		    JSON_INTEGER_FORMAT " complaints\n", w ? w : "?",
		    num(g, "sends"), num(g, "hard_bounces"),
		    num(g, "complaints"));
	s = json_string_value(json_object_get(g, "resumed"));
	r = json_string_value(json_object_get(g, "resumed_by"));
	if (s != NULL)
		printf("  last resumed %s by %s\n", s, r ? r : "?");
}

static void
print_text(json_t *r)
{
	json_t *subs = json_object_get(r, "subscribers"), *v, *m;
	const char *key;
	size_t i;
	int first = 1;

	printf("subscribers:");
	json_object_foreach(subs, key, v) {
		printf("%s %s %" JSON_INTEGER_FORMAT, first ? "" : ",", key,
		    json_integer_value(v));
		first = 0;
	}
	printf("\npaused: %" JSON_INTEGER_FORMAT, num(r, "paused"));
	printf("\nlists: course %" JSON_INTEGER_FORMAT ", waitlist %"
	    JSON_INTEGER_FORMAT "\n", num(json_object_get(r, "lists"),
	    "course"), num(json_object_get(r, "lists"), "waitlist"));
	print_caps(json_object_get(r, "caps"));
	putchar('\n');
	printf("%-16s %8s %8s %10s %9s %7s\n", "message", "sent", "due now",
	    "scheduled", "retrying", "failed");
	json_array_foreach(json_object_get(r, "messages"), i, m)
		printf("%-16s %8" JSON_INTEGER_FORMAT " %8" JSON_INTEGER_FORMAT
		    " %10" JSON_INTEGER_FORMAT " %9" JSON_INTEGER_FORMAT " %7"
		    JSON_INTEGER_FORMAT "\n",
		    json_string_value(json_object_get(m, "id")),
		    num(m, "sent"), num(m, "due_now"), num(m, "scheduled"),
		    num(m, "retrying"), num(m, "failed"));
	printf("\nlast runs:\n");
	json_array_foreach(json_object_get(r, "runs"), i, m) {
		json_t *out = json_object_get(m, "outcome");

		printf("  %s%s sent %" JSON_INTEGER_FORMAT ", retry %"
		    JSON_INTEGER_FORMAT ", failed %" JSON_INTEGER_FORMAT
		    ", suppressed %" JSON_INTEGER_FORMAT " (%s)\n",
		    json_string_value(json_object_get(m, "started")),
		    json_is_true(json_object_get(m, "dry_run")) ? " dry run" :
		    "", num(m, "sent"), num(m, "retry"), num(m, "failed"),
		    num(m, "suppressed"), json_is_string(out) ?
		    json_string_value(out) : "running or interrupted");
	}
	if (json_array_size(json_object_get(r, "runs")) == 0)
		printf("  none yet\n");
	print_guard(json_object_get(r, "guard"));
}

int
cmd_status(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "now", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct course *course = NULL;
	json_t *r;
	time_t now = time(NULL);
	int c, json = 0, ret;

	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1)
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'n':
			if (cmd_parse_now("status", optarg, &now) < 0)
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
	if (course_load(&app->cfg, &course) < 0)
		return EXIT_DATAERR;
	r = status_report(app->db, &app->cfg, course, now, STATUS_RUNS);
	if (json) {
		json_dumpf(r, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else
		print_text(r);
	json_decref(r);
	course_free(course);
	return EXIT_OK;
}
