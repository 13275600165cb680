/*
 * render_stub.c - TEST-ONLY stand-in for render.h until src/render.c lands
 * in main (the Makefile links it only while src/render.c is missing).
 * Five lessons day1..day5 and two notices, launch-2d and launch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dripmail.h"
#include "render.h"
#include "xmalloc.h"

struct course {
	struct lesson	days[5];
	struct lesson	notices[2];
};

int
course_load(const struct config *cfg, struct course **out)
{
	struct course *c = xcalloc(1, sizeof(*c));
	static char *names[] = { "day1", "day2", "day3", "day4", "day5" };

	if (getenv("DRIPMAIL_STUB_BADCOURSE")) {
		fprintf(stderr, "lessons/day1.md:1: bad lesson\n");
		free(c);
		return ERR_FAIL;
	}
	for (int i = 0; i < 5; i++) {
		c->days[i].id = names[i];
		c->days[i].subject = names[i];
		c->days[i].kind = SEND_DAY;
		c->days[i].day = i + 1;
	}
	c->notices[0].id = (char *)"launch-2d";
	c->notices[0].kind = SEND_LAUNCH_REL;
	c->notices[0].offset = -2 * 86400;
	c->notices[1].id = (char *)"launch";
	c->notices[1].kind = SEND_LAUNCH_REL;
	for (int i = 0; i < 2; i++) {
		c->notices[i].subject = c->notices[i].id;
		c->notices[i].at = cfg->launch_at ?
		    cfg->launch_at + c->notices[i].offset : 0;
	}
	*out = c;
	return 0;
}

void
course_free(struct course *c)
{
	free(c);
}

int
course_ndays(const struct course *c)
{
	(void)c;
	return 5;
}

const struct lesson *
course_day(const struct course *c, int day)
{
	return day >= 1 && day <= 5 ? &c->days[day - 1] : NULL;
}

int
course_nnotices(const struct course *c)
{
	(void)c;
	return 2;
}

const struct lesson *
course_notice(const struct course *c, int i)
{
	return i >= 0 && i < 2 ? &c->notices[i] : NULL;
}

const struct lesson *
course_find(const struct course *c, const char *id)
{
	for (int i = 0; i < 5; i++)
		if (strcmp(c->days[i].id, id) == 0)
			return &c->days[i];
	for (int i = 0; i < 2; i++)
		if (strcmp(c->notices[i].id, id) == 0)
			return &c->notices[i];
	return NULL;
}

void
render_message_id(const struct config *cfg, int64_t subscriber,
    const char *message, char *out, size_t outlen)
{
	snprintf(out, outlen, "<%s.%lld.%s@%s>", message, (long long)subscriber,
	    cfg->course_id, strchr(cfg->from_addr, '@') + 1);
}

int
render_message(const struct course *c, const struct config *cfg,
    const struct lesson *l, const struct recipient *r, time_t date,
    int flags, struct buf *out)
{
	char mid[256];

	(void)c;
	(void)flags;
	render_message_id(cfg, r->id, l->id, mid, sizeof(mid));
	return buf_printf(out, "From: %s\r\nTo: %s\r\nSubject: %s\r\n"
	    "Message-ID: %s\r\nDate: %lld\r\n\r\nHello %s,\r\n.dot line\r\n"
	    "this is %s.\r\n", cfg->from, r->email, l->subject, mid,
	    (long long)date, r->first_name ? r->first_name : "there", l->id);
}
