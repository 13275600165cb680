/*
 * caps.c - the daily, warm-up and per-domain sending caps (see caps.h).
 */
#include <string.h>
#include <time.h>

#include "caps.h"
#include "config.h"
#include "dripmail.h"
#include "store.h"
#include "tz.h"
#include "util.h"

/* Days since the epoch of t's local calendar date in tz. */
static long
local_date(time_t t, const char *tz)
{
	struct tm tm, day;

	if (tz_localtime(tz, t, &tm) < 0)
		return (long)(t / 86400);
	memset(&day, 0, sizeof(day));
	day.tm_year = tm.tm_year;
	day.tm_mon = tm.tm_mon;
	day.tm_mday = tm.tm_mday;
	return (long)(timegm(&day) / 86400);
}

int
caps_any(const struct config *cfg)
{
	return cfg->max_per_day || cfg->nwarmup || cfg->ndomain_caps;
}

int
caps_day(time_t first_sent, time_t now, const char *tz)
{
	long d;

	if (first_sent == 0)
		return 1;
	d = local_date(now, tz) - local_date(first_sent, tz) + 1;
	return d < 1 ? 1 : d > 1000000 ? 1000000 : (int)d;
}

long
caps_limit(const struct config *cfg, int day)
{
	long w;

	if (day < 1 || day > cfg->nwarmup)
		return cfg->max_per_day;
	w = cfg->warmup[day - 1];
	return cfg->max_per_day && cfg->max_per_day < w ? cfg->max_per_day : w;
}

void
caps_init(struct caps *c, const struct config *cfg,
    const struct caps_counts *n, time_t now, const char *tz)
{
	memset(c, 0, sizeof(*c));
	c->cfg = cfg;
	c->day = caps_day(n->first_sent, now, tz);
	c->warmup = c->day <= cfg->nwarmup;
	c->limit = caps_limit(cfg, c->day);
	c->today = n->today;
	memcpy(c->hour, n->hour, sizeof(c->hour));
}

int
caps_domain(const struct config *cfg, const char *rcpt)
{
	const char *at = rcpt ? strrchr(rcpt, '@') : NULL;

	if (at == NULL)
		return -1;
	for (int i = 0; i < cfg->ndomain_caps; i++)
		if (str_ieq(at + 1, cfg->domain_caps[i].domain))
			return i;
	return -1;
}

enum caps_verdict
caps_take(struct caps *c, const char *rcpt)
{
	int d;

	if (c->limit && c->today >= c->limit)
		return CAPS_DAY;
	d = caps_domain(c->cfg, rcpt);
	if (d >= 0 && c->hour[d] >= c->cfg->domain_caps[d].max)
		return CAPS_DOMAIN;
	c->today++;
	if (d >= 0)
		c->hour[d]++;
	return CAPS_OK;
}

long
caps_room(const struct caps *c)
{
	if (c->limit == 0)
		return -1;
	return c->today < c->limit ? c->limit - c->today : 0;
}

time_t
caps_midnight(time_t now, const char *tz)
{
	struct tm tm;

	if (tz_localtime(tz, now, &tm) < 0)
		return now - now % 86400;
	tm.tm_hour = 0;
	tm.tm_min = 0;
	tm.tm_sec = 0;
	return tz_mktime(tz, &tm);
}

struct domain_count {
	const struct config *cfg;
	struct caps_counts *n;
};

static void
count_domain(const char *rcpt, void *arg)
{
	struct domain_count *dc = arg;
	int d = caps_domain(dc->cfg, rcpt);

	if (d >= 0)
		dc->n->hour[d]++;
}

int
caps_read(struct db *db, const struct config *cfg, time_t now,
    struct caps_counts *n)
{
	struct domain_count dc = { cfg, n };
	int rc;

	memset(n, 0, sizeof(*n));
	rc = store_count_sent_since(db, caps_midnight(now, tz_host()),
	    &n->first_sent, &n->today);
	if (rc < 0)
		return rc;
	if (cfg->ndomain_caps == 0)
		return 0;
	/* Sent to each capped domain in the last hour. */
	return store_sent_recipients(db, now - 3600, count_domain, &dc);
}

int
caps_read_taken(struct db *db, const struct config *cfg, time_t now,
    time_t lease_since, long today, struct caps_counts *n)
{
	struct domain_count dc = { cfg, n };
	int rc;

	memset(n, 0, sizeof(*n));
	n->today = today;
	if (cfg->ndomain_caps == 0)
		return 0;
	if ((rc = store_sent_recipients(db, now - 3600, count_domain,
	    &dc)) < 0)
		return rc;
	return store_sending_recipients(db, lease_since, count_domain, &dc);
}

void
caps_update(struct caps *c, const struct caps_counts *n)
{
	c->today = n->today;
	memcpy(c->hour, n->hour, sizeof(c->hour));
}
