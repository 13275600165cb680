/*
 * cmd_subscribers.c - dripmail subscribers: list, show, add, unsubscribe,
 * remove, export; and steer one (pause, resume, resend, restart,
 * resubscribe: steer.c).
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "addr.h"
#include "cmd.h"
#include "csv.h"
#include "dripmail.h"
#include "log.h"
#include "render.h"
#include "steer.h"
#include "store.h"
#include "subscriber.h"
#include "tz.h"
#include "util.h"
#include "xmalloc.h"

static const char usage[] =
    "usage: dripmail subscribers list [--status S] [--list L]\n"
    "       dripmail subscribers show EMAIL\n"
    "       dripmail subscribers add EMAIL [--name N] [--timezone TZ]\n"
    "           [--list L]\n"
    "       dripmail subscribers unsubscribe|remove EMAIL\n"
    "       dripmail subscribers export [--format csv|json] [--suppressed]\n"
    "       dripmail subscribers pause|resume|restart EMAIL [--now TIME]\n"
    "       dripmail subscribers resend EMAIL LESSON [--now TIME]\n"
    "       dripmail subscribers resubscribe EMAIL --consent TEXT [--now TIME]\n"
    "\n"
    "Look after single subscribers: list them, show one with its history, add\n"
    "one, stop all mail to one (unsubscribe), erase one's data but for a hash\n"
    "of the address (remove), or export them all.  Steer one: hold their\n"
    "lessons (pause) and go on one a day where they stopped (resume), queue\n"
    "one lesson again with a new Message-ID (resend), start the course again\n"
    "from Day 1 (restart), or mail again someone who unsubscribed or bounced\n"
    "and asked to come back (resubscribe).  The next run sends.\n"
    "\n"
    "    --status S     list only subscribers with this status: active,\n"
    "                   completed, unsubscribed, bounced or complained; or\n"
    "                   paused (active, lessons held)\n"
    "    --list L       list: only those on this list; add: the list to join\n"
    "                   (waitlist or course)\n"
    "    --name N       add: the first name\n"
    "    --timezone TZ  add: the timezone, such as Europe/London\n"
    "    --format F     export as csv (default) or json\n"
    "    --suppressed   export the suppression list: every address that\n"
    "                   must get no mail, and the hashes of removed ones\n"
    "    --consent TEXT resubscribe: the evidence that they asked to be\n"
    "                   mailed again (when, how), kept in their history;\n"
    "                   required\n"
    "    --now TIME     pause, resume, resend, restart, resubscribe: act as\n"
    "                   of TIME, ISO 8601 with an offset, as run --now does\n"
    "    -h, --help     print this help";

/* Options shared by the subcommands; which are allowed is checked after. */
struct sub_opts {
	const char	*status;
	const char	*list;
	const char	*name;
	const char	*tz;
	const char	*format;
	const char	*email;
	const char	*lesson;	/* resend's LESSON */
	const char	*consent;
	time_t		 now;
	int		 suppressed;
	int		 help;
};

static int
parse_opts(int argc, char **argv, const char *allowed, struct sub_opts *o)
{
	static const struct option opts[] = {
		{ "status", required_argument, NULL, 's' },
		{ "list", required_argument, NULL, 'l' },
		{ "name", required_argument, NULL, 'n' },
		{ "timezone", required_argument, NULL, 't' },
		{ "format", required_argument, NULL, 'f' },
		{ "suppressed", no_argument, NULL, 'S' },
		{ "consent", required_argument, NULL, 'C' },
		{ "now", required_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, n, k = 0;

	memset(o, 0, sizeof(*o));
	o->now = time(NULL);
	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, &k)) != -1) {
		if (c == '?' || c == ':')
			return cmd_bad_option(usage, argv, c);
		if (c != 'h' && strchr(allowed, c) == NULL)
			return cmd_usage_error(usage, argv[0], "option '--%s' "
			    "does not go with this subcommand", opts[k].name);
		switch (c) {
		case 's': o->status = optarg; break;
		case 'l': o->list = optarg; break;
		case 'n': o->name = optarg; break;
		case 't': o->tz = optarg; break;
		case 'f': o->format = optarg; break;
		case 'S': o->suppressed = 1; break;
		case 'C': o->consent = optarg; break;
		case 'N':
			if (cmd_parse_now(argv[0], optarg, &o->now) < 0)
				return EXIT_USAGE;
			break;
		case 'h': o->help = 1; break;
		}
	}
	if (o->help)
		return 0;
	n = (strchr(allowed, 'E') != NULL) + (strchr(allowed, 'L') != NULL);
	if ((c = cmd_operands(usage, argc, argv, n, n, n < 2 ? "EMAIL" :
	    argc - optind == 1 ? "LESSON" : "EMAIL and LESSON")) != 0)
		return c;
	if (n)
		o->email = argv[optind];
	if (n > 1)
		o->lesson = argv[optind + 1];
	return 0;
}

static int
bad_value(const char *opt, const char *value, const char *expected)
{
	log_error("subscribers: %s '%s': expected %s", opt, value, expected);
	return EXIT_USAGE;
}

/*
 * Checked, normalised copy of an address from the command line: one to
 * add passes addr_check(), one to look up only addr_syntax().
 */
static int
take_email(const char *s, char *out, size_t size, int adding)
{
	const char *why;
	int n = snprintf(out, size, "%s", s);

	str_trim(out);
	if (n < 0 || (size_t)n >= size || (adding ? addr_check(out, &why) :
	    addr_syntax(out, &why)) < 0) {
		log_error("subscribers: invalid address '%s': %s", s,
		    n < 0 || (size_t)n >= size ? "too long" : why);
		return EXIT_DATAERR;
	}
	addr_normalise(out);
	return 0;
}

static void
fmt_time(time_t t, char *out, size_t size)
{
	if (t == 0)
		out[0] = '\0';
	else
		time_format_iso(t, out, size);
}

static const char *
text(const char *s)
{
	return s ? s : "";
}

/* Held by pause: an active subscriber's paused_at, else 0. */
static time_t
paused_at(const struct store_sub *s)
{
	return s->status == STORE_ACTIVE ? s->paused_at : 0;
}

/* The lists column of list and export: "waitlist course", ... */
static const char *
lists(const struct store_sub *s)
{
	if (s->waitlist_at && s->course_at)
		return "waitlist course";
	return s->course_at ? "course" : s->waitlist_at ? "waitlist" : "";
}

static int
list_one(void *arg, const struct store_sub *s)
{
	(void)arg;
	printf("%s\t%s\t%s\t%d\t%s\n", s->email, paused_at(s) ? "paused" :
	    store_status_name(s->status), lists(s), s->lessons_sent,
	    text(s->first_name));
	return 0;
}

static int
cmd_list(struct app *app, const struct sub_opts *o)
{
	struct store_sub_filter f = STORE_SUB_ANY;
	int rc;

	if (o->status && strcmp(o->status, "paused") == 0)
		f.paused = 1;
	else if (o->status)
		f.status = store_status_parse(o->status);
	if (o->list)
		f.list = subscriber_list(o->list);
	rc = store_sub_each(app->db, &f, list_one, NULL);
	return rc < 0 ? cmd_exit(rc, EXIT_SOFTWARE) : EXIT_OK;
}

static int
show_event(void *arg, const struct store_event *e)
{
	char at[32];

	(void)arg;
	fmt_time(e->at, at, sizeof(at));
	printf("  %s %s", at, e->kind);
	if (*e->message)
		printf(" message=%s", e->message);
	if (*e->source)
		printf(" source=%s", e->source);
	if (*e->status)
		printf(" status=%s", e->status);
	if (*e->detail)
		printf(" detail=%s", e->detail);
	putchar('\n');
	return 0;
}

static int
show_events(struct app *app, int64_t id)
{
	int rc;

	printf("events:\n");
	rc = store_event_each(app->db, id, show_event, NULL);
	return rc < 0 ? cmd_exit(rc, EXIT_SOFTWARE) : EXIT_OK;
}

static void
show_sub(const struct store_sub *s)
{
	char t[4][32];

	fmt_time(s->status_at, t[0], sizeof(t[0]));
	fmt_time(s->signed_up_at, t[1], sizeof(t[1]));
	fmt_time(s->waitlist_at, t[2], sizeof(t[2]));
	fmt_time(s->course_at, t[3], sizeof(t[3]));
	printf("email: %s\nfirst_name: %s\n", s->email, text(s->first_name));
	printf("timezone: %s\n", s->timezone && *s->timezone ? s->timezone :
	    "(default)");
	printf("status: %s", store_status_name(s->status));
	if (*t[0])
		printf(" since %s (%s)", t[0], text(s->status_reason));
	fmt_time(paused_at(s), t[0], sizeof(t[0]));
	if (*t[0])
		printf("\npaused: since %s (lessons wait for resume)", t[0]);
	printf("\nsigned_up_at: %s\nlists:", t[1]);
	if (*t[2])
		printf(" waitlist since %s", t[2]);
	if (*t[3])
		printf("%s course since %s", *t[2] ? ";" : "", t[3]);
	fmt_time(s->last_sent_at, t[0], sizeof(t[0]));
	fmt_time(s->next_lesson_at, t[1], sizeof(t[1]));
	printf("\nlessons_sent: %d\nlast_sent_at: %s\nnext_lesson_at: %s\n",
	    s->lessons_sent, t[0], t[1]);
}

static int
cmd_show(struct app *app, const char *email)
{
	struct store_sub s;
	int rc;

	rc = store_sub_get(app->db, email, &s);
	if (rc <= 0) {
		if (rc < 0)
			return cmd_exit(rc, EXIT_SOFTWARE);
		log_error("subscribers: no subscriber '%s'", email);
		return EXIT_DATAERR;
	}
	show_sub(&s);
	rc = show_events(app, s.id);
	store_sub_release(&s);
	return rc;
}

static int
cmd_add(struct app *app, const char *email, const struct sub_opts *o)
{
	static const char *const said[] = {
		[SUB_ADDED] = "added", [SUB_UPDATED] = "updated",
		[SUB_UNCHANGED] = "unchanged",
	};
	struct sub_upsert u = { .now = time(NULL), .fresh_above = INT64_MAX,
		.source = "cli" };
	struct sub_in in = { .email = email, .timezone = o->tz };
	const char *why = NULL;
	char *name = NULL;
	int64_t id;
	int ret, rc;

	if (o->tz && !tz_valid(o->tz))
		return bad_value("--timezone", o->tz, "an IANA timezone");
	if (o->name && subscriber_name_check(o->name, &why) < 0) {
		log_error("subscribers: --name: %s", why);
		return EXIT_DATAERR;
	}
	if (o->name)
		in.first_name = name = subscriber_clean_name(xstrdup(o->name));
	u.list = o->list ? subscriber_list(o->list) :
	    subscriber_default_list(&app->cfg, u.now);
	in.signed_up_at = u.now;
	ret = store_begin(app->db);
	if (ret == 0)
		ret = subscriber_upsert(app->db, &app->cfg, &in, &u, &id,
		    &why);
	if (ret >= 0 && (rc = store_commit(app->db)) < 0)
		ret = rc;
	if (ret < 0)
		store_rollback(app->db);
	free(name);
	if (ret < 0)
		return cmd_exit(ret, EXIT_SOFTWARE);
	if (ret == SUB_SKIPPED) {
		log_error("subscribers: '%s' not added: %s", email, why);
		return EXIT_DATAERR;
	}
	printf("%s %s (%s)\n", said[ret], email,
	    u.list == LIST_COURSE ? "course" : "waitlist");
	return EXIT_OK;
}

static int
cmd_unsub(struct app *app, const char *email)
{
	int64_t id;
	int ret;

	id = subscriber_find(app->db, email);
	if (id < 0)
		return cmd_exit((int)id, EXIT_SOFTWARE);
	if (id == 0) {
		log_error("subscribers: no subscriber '%s'", email);
		return EXIT_DATAERR;
	}
	ret = store_suppress(app->db, id, time(NULL), STORE_UNSUBSCRIBED,
	    "unsubscribed", "cli", NULL, "unsubscribed by the operator");
	if (ret < 0)
		return cmd_exit(ret, EXIT_SOFTWARE);
	printf("%s %s\n", ret ? "unsubscribed" : "already stopped:", email);
	return EXIT_OK;
}

static int
cmd_remove(struct app *app, const char *email)
{
	int ret, rc;

	ret = store_secure_delete(app->db);
	if (ret == 0)
		ret = store_begin(app->db);
	if (ret == 0)
		ret = subscriber_remove(app->db, email, time(NULL));
	if (ret >= 0 && (rc = store_commit(app->db)) < 0)
		ret = rc;
	if (ret < 0) {
		store_rollback(app->db);
		return cmd_exit(ret, EXIT_SOFTWARE);
	}
	if (ret)
		printf("removed %s (its address stays suppressed)\n", email);
	else
		printf("no subscriber %s: address suppressed\n", email);
	return EXIT_OK;
}

static int
export_csv_row(void *arg, const struct store_sub *s)
{
	char t[2][32];

	(void)arg;
	fmt_time(s->signed_up_at, t[0], sizeof(t[0]));
	fmt_time(s->last_sent_at, t[1], sizeof(t[1]));
	csv_write_cell(stdout, s->email);
	putchar(',');
	csv_write_cell(stdout, text(s->first_name));
	putchar(',');
	csv_write_cell(stdout, text(s->timezone));
	putchar(',');
	csv_write_cell(stdout, store_status_name(s->status));
	putchar(',');
	csv_write_cell(stdout, lists(s));
	putchar(',');
	printf("%s,%d,%s\r\n", t[0], s->lessons_sent, t[1]);
	return 0;
}

static int
export_json_row(void *arg, const struct store_sub *s)
{
	int *n = arg;
	char t[2][32];
	json_t *o;

	fmt_time(s->signed_up_at, t[0], sizeof(t[0]));
	fmt_time(s->last_sent_at, t[1], sizeof(t[1]));
	o = json_pack("{s:s, s:s?, s:s?, s:s, s:s, s:s, s:i, s:s?}",
	    "email", s->email,
	    "first_name", s->first_name,
	    "timezone", s->timezone,
	    "status", store_status_name(s->status),
	    "lists", lists(s),
	    "signed_up_at", t[0],
	    "lessons_sent", s->lessons_sent,
	    "last_sent_at", *t[1] ? t[1] : NULL);
	if (o == NULL)
		fatalx("cannot build JSON (not UTF-8?)");
	fputs((*n)++ == 0 ? "[\n" : ",\n", stdout);
	json_dumpf(o, stdout, JSON_COMPACT);
	json_decref(o);
	return 0;
}

static int
cmd_export(struct app *app, const char *format)
{
	struct store_sub_filter f = STORE_SUB_ANY;
	int json, rc, n = 0;

	if (format != NULL && strcmp(format, "csv") != 0 &&
	    strcmp(format, "json") != 0)
		return bad_value("--format", format, "csv or json");
	json = format != NULL && strcmp(format, "json") == 0;
	if (!json)
		printf("email,first_name,timezone,status,lists,signed_up_at,"
		    "lessons_sent,last_sent_at\r\n");
	rc = store_sub_each(app->db, &f, json ? export_json_row :
	    export_csv_row, &n);
	if (json)
		fputs(n ? "\n]\n" : "[]\n", stdout);
	return rc < 0 ? cmd_exit(rc, EXIT_SOFTWARE) : EXIT_OK;
}

static int
export_stopped(void *arg, const struct store_sub *s)
{
	char hash[SUB_HASH_LEN + 1], at[32];

	(void)arg;
	subscriber_hash(s->email, hash);
	fmt_time(s->status_at, at, sizeof(at));
	csv_write_cell(stdout, s->email);
	printf(",%s,%s,%s\r\n", store_status_name(s->status), at, hash);
	return 0;
}

static int
export_removed(void *arg, const char *hash, time_t created_at)
{
	char at[32];

	(void)arg;
	fmt_time(created_at, at, sizeof(at));
	printf(",removed,%s,%s\r\n", at, hash);
	return 0;
}

/*
 * The suppression list: everyone who must not get mail, with the hash of
 * the address (what `import --suppressed` and a later import check), and
 * the removed, of whom only the hash is left.
 */
static int
export_suppressed(struct app *app)
{
	struct store_sub_filter f = STORE_SUB_ANY;
	int rc;

	f.stopped = 1;
	printf("email,status,status_at,address_sha256\r\n");
	rc = store_sub_each(app->db, &f, export_stopped, NULL);
	if (rc == 0)
		rc = store_suppression_each(app->db, export_removed, NULL);
	return rc < 0 ? cmd_exit(rc, EXIT_SOFTWARE) : EXIT_OK;
}

static int
valid_filters(const struct sub_opts *o)
{
	if (o->list && subscriber_list(o->list) < 0)
		return bad_value("--list", o->list, "waitlist or course");
	if (o->status && strcmp(o->status, "paused") != 0 &&
	    store_status_parse(o->status) < 0)
		return bad_value("--status", o->status, "active, completed, "
		    "unsubscribed, bounced or complained");
	return 0;
}

/*
 * resubscribe's evidence: given, and one line of UTF-8 without controls
 * (it is shown in `show`, one event a line).
 */
static int
valid_consent(const char *cmd, const struct sub_opts *o)
{
	const char *p = o->consent;

	if (p == NULL)
		return cmd_usage_error(usage, cmd, "missing --consent: say why "
		    "they may be mailed again");
	p += strspn(p, " \t");
	if (*p == '\0')
		return cmd_usage_error(usage, cmd, "--consent is empty: say "
		    "why they may be mailed again");
	if (str_has_ctl(p) || !utf8_valid(p, strlen(p))) {
		log_error("%s: --consent: not one line of UTF-8 text", cmd);
		return EXIT_DATAERR;
	}
	return 0;
}

/* Resend's LESSON: a message of the course.  0 or an exit code. */
static int
known_lesson(struct app *app, const char *id)
{
	struct course *course = NULL;
	int found;

	if (course_load(&app->cfg, &course) < 0)
		return EXIT_DATAERR;
	found = course_find(course, id) != NULL;
	course_free(course);
	if (!found) {
		log_error("subscribers resend: no lesson or notification '%s' "
		    "in '%s'", id, app->cfg.lessons);
		return EXIT_DATAERR;
	}
	return 0;
}

static const char *const steer_names[] = {
	[STEER_PAUSE] = "paused", [STEER_RESUME] = "resumed",
	[STEER_RESEND] = "resent", [STEER_RESTART] = "restarted",
	[STEER_RESUBSCRIBE] = "resubscribed",
};

/* What op did, on stdout: when the next mail is due (at, 0 none). */
static void
steer_say(enum steer_op op, const char *email, const struct sub_opts *o,
    time_t at)
{
	char when[32] = "";

	if (at)
		time_format_iso(at, when, sizeof(when));
	switch (op) {
	case STEER_RESEND:
		printf("resend %s to %s: %s%s\n", o->lesson, email,
		    at ? "due " : "held while paused", when);
		break;
	case STEER_RESUME:
	case STEER_RESTART:
		printf("%s %s%s%s\n", steer_names[op], email,
		    !at ? "" : op == STEER_RESTART ? ": Day 1 due " :
		    ": next lesson due ", when);
		break;
	default:
		printf("%s %s\n", steer_names[op], email);
	}
}

static int
steer_apply(struct app *app, enum steer_op op, const struct steer_sub *s,
    const char *email, const struct sub_opts *o, time_t *at)
{
	switch (op) {
	case STEER_PAUSE:
		return steer_pause(app->db, s, o->now);
	case STEER_RESUME:
		return steer_resume(app->db, &app->cfg, s, o->now, at);
	case STEER_RESEND:
		return steer_resend(app->db, &app->cfg, s, o->lesson, o->now,
		    at);
	case STEER_RESTART:
		return steer_restart(app->db, &app->cfg, s, o->now, at);
	default:
		return steer_resubscribe(app->db, s, email, o->consent,
		    o->now);
	}
}

/*
 * Pause, resume, resend, restart or resubscribe one subscriber, in one
 * transaction: 65 when unknown or refused (steer_refusal()), 0 and a
 * line saying so when there was nothing to change.
 */
static int
cmd_steer(struct app *app, enum steer_op op, const char *email,
    const struct sub_opts *o)
{
	static const char *const unchanged[] = {
		[STEER_PAUSE] = "already paused", [STEER_RESUME] = "not paused",
		[STEER_RESUBSCRIBE] = "not stopped, nothing to do",
	};
	struct steer_sub s;
	const char *why;
	time_t at = 0;
	int ret;

	if (op == STEER_RESEND && (ret = known_lesson(app, o->lesson)) != 0)
		return ret;
	if ((ret = store_begin(app->db)) < 0)
		return cmd_exit(ret, EXIT_SOFTWARE);
	if ((ret = steer_find(app->db, email, &s)) > 0) {
		if ((why = steer_refusal(op, &s)) != NULL) {
			log_error("subscribers: '%s' not %s: %s", email,
			    steer_names[op], why);
			ret = ERR_PERM;
		} else if (steer_no_change(op, &s)) {
			printf("%s: %s (%s)\n", unchanged[op], email, s.status);
			ret = 0;
		} else if ((ret = steer_apply(app, op, &s, email, o, &at)) ==
		    0 && (ret = store_commit(app->db)) == 0)
			steer_say(op, email, o, at);
	} else if (ret == 0) {
		log_error("subscribers: no subscriber '%s'", email);
		ret = ERR_PERM;
	}
	store_rollback(app->db);
	steer_sub_release(&s);
	if (ret == ERR_PERM)
		return EXIT_DATAERR;
	return ret < 0 ? cmd_exit(ret, EXIT_SOFTWARE) : EXIT_OK;
}

static const struct {
	const char	*name;
	const char	*allowed;	/* option letters; E = takes EMAIL,
					   L = and LESSON */
} subcommands[] = {
	{ "list", "sl" },
	{ "show", "E" },
	{ "add", "Enlt" },
	{ "unsubscribe", "E" },
	{ "remove", "E" },
	{ "export", "fS" },
	/* From here on in enum steer_op order. */
	{ "pause", "EN" },
	{ "resume", "EN" },
	{ "resend", "ELN" },
	{ "restart", "EN" },
	{ "resubscribe", "ECN" },
};
#define FIRST_STEER	6

int
cmd_subscribers(int argc, char **argv, struct app *app)
{
	static char name[32];
	struct sub_opts o;
	char email[ADDR_MAX + 2];
	size_t i;
	int ret;

	if (argc < 2)
		return cmd_usage_error(usage, argv[0], "missing a subcommand: "
		    "list, show, add, unsubscribe, remove, export, pause, "
		    "resume, resend, restart or resubscribe");
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
		return cmd_usage(usage, EXIT_OK);
	for (i = 0; i < ARRAY_SIZE(subcommands); i++)
		if (strcmp(argv[1], subcommands[i].name) == 0)
			break;
	if (i == ARRAY_SIZE(subcommands))
		return cmd_usage_error(usage, argv[0], "unknown subcommand "
		    "'%s'", argv[1]);
	/* "dripmail subscribers add: ..." in messages about its options */
	(void)snprintf(name, sizeof(name), "subscribers %s",
	    subcommands[i].name);
	argv[1] = name;
	if ((ret = parse_opts(argc - 1, argv + 1, subcommands[i].allowed,
	    &o)) != 0)
		return ret;
	if (o.help)
		return cmd_usage(usage, EXIT_OK);
	if ((ret = valid_filters(&o)) != 0)
		return ret;
	if (i == FIRST_STEER + STEER_RESUBSCRIBE &&
	    (ret = valid_consent(argv[1], &o)) != 0)
		return ret;
	if (o.email && (ret = take_email(o.email, email, sizeof(email),
	    i == 2)) != 0)
		return ret;
	if ((ret = app_setup(app, NEED_DB)) != 0)
		return ret;
	switch (i) {
	case 0:
		return cmd_list(app, &o);
	case 1:
		return cmd_show(app, email);
	case 2:
		return cmd_add(app, email, &o);
	case 3:
		return cmd_unsub(app, email);
	case 4:
		return cmd_remove(app, email);
	case 5:
		if (o.suppressed && o.format != NULL)
			return bad_value("--format", o.format,
			    "nothing with --suppressed (CSV only)");
		if (o.suppressed)
			return export_suppressed(app);
		return cmd_export(app, o.format);
	default:
		return cmd_steer(app, (enum steer_op)(i - FIRST_STEER), email,
		    &o);
	}
}
