/*
 * config.c - settings.ini through inih, checked against a table of keys
 * (redis config.c).  Every problem is reported, each on one line naming the
 * file, the line and the key; the caller exits 78 if there was any.
 */
#include <sys/stat.h>

#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "addr.h"
#include "config.h"
#include "dnscheck.h"
#include "dripmail.h"
#include "log.h"
#include "tz.h"
#include "util.h"
#include "xmalloc.h"

#define SECRET_MAX	4096

enum type {
	T_STR,		/* text without control characters */
	T_PATH,		/* file or folder, relative to the settings file */
	T_BOOL,
	T_INT,
	T_DUR,		/* 90, 90s, 15m, 2h, 3d */
	T_DURLIST,	/* 15m, 1h, 4h, 8h */
	T_COUNTLIST,	/* 50, 100, 250 (within min..max) */
	T_DOMAINCAPS,	/* gmail.com=300, outlook.com=200 */
	T_ENUM,
	T_ADDR,		/* bare address */
	T_MAILBOX,	/* Name <address> */
	T_TZ,
	T_LOCALTIME,	/* YYYY-MM-DD HH:MM, converted with [launch] timezone */
	T_URL,		/* http:// or https:// */
	T_ORIGIN,	/* http:// or https://, host, port: no path */
	T_SMTPURL,	/* smtp://, smtps:// or maildir:PATH */
	T_SOURCE,	/* imap://, imaps://, pop3(s):// or a path */
	T_DBURL,	/* postgresql:// or postgres:// (a libpq URI) */
	T_SCORE,	/* a decimal number such as 3.0, within min..max */
	T_PERCENT,	/* 5%, 0.3%: a decimal number of percent, 0..100 */
};

struct key {
	const char	*section;
	const char	*name;
	enum type	 type;
	size_t		 off;
	const char	*def;		/* default, as it would be written */
	int		 required;
	long		 min, max;	/* T_INT, T_DUR */
	const char	*const *words;	/* T_ENUM, in enum order */
};

static const char *const tls_words[] = { "required", "opportunistic", "off",
    NULL };
/* No opportunistic TLS: the mailbox password never goes out in clear by
 * chance ("" matches nothing). */
static const char *const bounce_tls_words[] = { "required", "", "off", NULL };
static const char *const first_words[] = { "immediate", "send_hour", NULL };
static const char *const notify_words[] = { "window", "exact", NULL };

#define O(f)	offsetof(struct config, f)
#define DAY	86400L

static const struct key keys[] = {
	{ "course", "name", T_STR, O(course_name), NULL, 1, 0, 0, NULL },
	{ "course", "id", T_STR, O(course_id), "course", 0, 0, 0, NULL },
	{ "course", "from", T_MAILBOX, O(from), NULL, 1, 0, 0, NULL },
	{ "course", "reply_to", T_ADDR, O(reply_to), NULL, 0, 0, 0, NULL },
	{ "course", "postal_address", T_STR, O(postal_address), NULL, 1, 0, 0,
	    NULL },
	{ "course", "base_url", T_URL, O(base_url), NULL, 0, 0, 0, NULL },
	{ "course", "lessons", T_PATH, O(lessons), "lessons", 0, 0, 0, NULL },
	{ "course", "templates", T_PATH, O(templates), "templates", 0, 0, 0,
	    NULL },
	{ "course", "allow_html", T_BOOL, O(allow_html), "no", 0, 0, 0, NULL },
	{ "course", "feedback_id", T_STR, O(feedback_id), NULL, 0, 0, 0,
	    NULL },

	{ "launch", "timezone", T_TZ, O(launch_tz), "UTC", 0, 0, 0, NULL },
	{ "launch", "date", T_LOCALTIME, O(launch_date), NULL, 0, 0, 0, NULL },
	{ "launch", "enroll_waitlist", T_BOOL, O(enroll_waitlist), "yes", 0,
	    0, 0, NULL },
	{ "launch", "late_limit", T_DUR, O(launch_late), "12h", 0, 0,
	    365 * DAY, NULL },
	{ "launch", "notify_at", T_ENUM, O(notify_at), "window", 0, 0, 0,
	    notify_words },

	{ "schedule", "send_hour", T_INT, O(send_hour), "8", 0, 0, 23, NULL },
	{ "schedule", "window_hours", T_INT, O(window_hours), "12", 0, 1, 24,
	    NULL },
	{ "schedule", "timezone", T_TZ, O(timezone), "UTC", 0, 0, 0, NULL },
	{ "schedule", "first_lesson", T_ENUM, O(first_lesson), "immediate", 0,
	    0, 0, first_words },

	{ "smtp", "url", T_SMTPURL, O(smtp_url), "maildir:outbox", 0, 0, 0,
	    NULL },
	{ "smtp", "username", T_STR, O(smtp_username), NULL, 0, 0, 0, NULL },
	{ "smtp", "password_file", T_PATH, O(smtp_password_file), NULL, 0, 0,
	    0, NULL },
	{ "smtp", "tls", T_ENUM, O(tls), "required", 0, 0, 0, tls_words },
	{ "smtp", "connect_timeout", T_DUR, O(connect_timeout), "30s", 0, 1,
	    3600, NULL },
	{ "smtp", "timeout", T_DUR, O(timeout), "120s", 0, 1, 3600, NULL },
	{ "smtp", "envelope_from", T_ADDR, O(envelope_from), NULL, 0, 0, 0,
	    NULL },
	{ "smtp", "verp", T_BOOL, O(verp), "no", 0, 0, 0, NULL },
	{ "smtp", "helo", T_STR, O(helo), NULL, 0, 0, 0, NULL },
	{ "smtp", "ca_file", T_PATH, O(ca_file), NULL, 0, 0, 0, NULL },

	{ "send", "connections", T_INT, O(connections), "4", 0, 1, 64, NULL },
	{ "send", "max_per_minute", T_INT, O(max_per_minute), "0", 0, 0,
	    1000000, NULL },
	{ "send", "max_per_hour", T_INT, O(max_per_hour), "0", 0, 0,
	    100000000, NULL },
	{ "send", "max_per_day", T_INT, O(max_per_day), "0", 0, 0,
	    100000000, NULL },
	{ "send", "warmup", T_COUNTLIST, O(warmup), "", 0, 1, 100000000,
	    NULL },
	{ "send", "domain_max_per_hour", T_DOMAINCAPS, O(domain_caps), "", 0,
	    1, 100000000, NULL },
	{ "send", "retry", T_DURLIST, O(retry), "15m, 1h, 4h, 8h", 0, 1,
	    30 * DAY, NULL },
	{ "send", "retry_max_age", T_DUR, O(retry_max_age), "3d", 0, 60,
	    60 * DAY, NULL },
	{ "send", "lease", T_DUR, O(lease), "10m", 0, 10, DAY, NULL },

	{ "database", "path", T_PATH, O(db_path), "dripmail.db", 0, 0, 0,
	    NULL },
	{ "database", "url", T_DBURL, O(db_url), NULL, 0, 0, 0, NULL },
	{ "database", "password_file", T_PATH, O(db_password_file), NULL, 0,
	    0, 0, NULL },

	{ "bounces", "source", T_SOURCE, O(bounce_source), NULL, 0, 0, 0,
	    NULL },
	{ "bounces", "password_file", T_PATH, O(bounce_password_file), NULL, 0,
	    0, 0, NULL },
	{ "bounces", "done_folder", T_STR, O(bounce_done_folder), NULL, 0, 0,
	    0, NULL },
	{ "bounces", "tls", T_ENUM, O(bounce_tls), "required", 0, 0, 0,
	    bounce_tls_words },
	{ "bounces", "ca_file", T_PATH, O(bounce_ca_file), NULL, 0, 0, 0,
	    NULL },
	{ "bounces", "soft_limit", T_INT, O(soft_limit), "3", 0, 1, 1000,
	    NULL },
	{ "bounces", "soft_window", T_DUR, O(soft_window), "30d", 0, DAY,
	    365 * DAY, NULL },

	{ "guard", "window", T_DUR, O(guard_window), "7d", 0, 3600,
	    365 * DAY, NULL },
	{ "guard", "min_sample", T_INT, O(guard_min_sample), "200", 0, 1,
	    100000000, NULL },
	{ "guard", "max_bounce_rate", T_PERCENT, O(guard_max_bounce), "5%", 0,
	    0, 100, NULL },
	{ "guard", "max_complaint_rate", T_PERCENT, O(guard_max_complaint),
	    "0.3%", 0, 0, 100, NULL },

	{ "preview", "spam_threshold", T_SCORE, O(spam_threshold), "3.0", 0,
	    -100, 100, NULL },

	{ "dkim", "domain", T_STR, O(dkim_domain), NULL, 0, 0, 0, NULL },
	{ "dkim", "selector", T_STR, O(dkim_selector), NULL, 0, 0, 0, NULL },
	{ "dkim", "key_file", T_PATH, O(dkim_key_file), NULL, 0, 0, 0, NULL },
	{ "dkim", "selector2", T_STR, O(dkim_selector2), NULL, 0, 0, 0, NULL },
	{ "dkim", "key_file2", T_PATH, O(dkim_key_file2), NULL, 0, 0, 0,
	    NULL },

	{ "dns", "server", T_STR, O(dns_server), NULL, 0, 0, 0, NULL },
	{ "dns", "relay_ip", T_STR, O(dns_relay_ip), NULL, 0, 0, 0, NULL },

	{ "unsubscribe", "secret_file", T_PATH, O(secret_file), "secret.key",
	    0, 0, 0, NULL },
	{ "unsubscribe", "url", T_URL, O(unsubscribe_url), NULL, 0, 0, 0,
	    NULL },
	{ "unsubscribe", "mailto", T_ADDR, O(unsubscribe_mailto), NULL, 0, 0,
	    0, NULL },

	{ "signup", "url", T_URL, O(signup_url), NULL, 0, 0, 0, NULL },
	{ "signup", "allowed_origin", T_ORIGIN, O(signup_origin), NULL, 0, 0,
	    0, NULL },
	{ "signup", "ip_limit", T_INT, O(signup_ip_limit), "10", 0, 0,
	    1000000, NULL },
	{ "signup", "address_limit", T_INT, O(signup_address_limit), "3", 0,
	    0, 1000, NULL },
};

struct loader {
	struct config	*c;
	FILE		*fp;
	int		 line;
	int		 errors;
	int		 seen[ARRAY_SIZE(keys)];
	char		 section[64];
	int		 section_known;
	int		 section_reported;
	char		 why[200];
	char		*buf;		/* the line read (getline) */
	size_t		 bufsize;
	int		 not_text;	/* stopped at binary data */
	const struct key *last;		/* the key of the last setting */
	int		 more;		/* this line continues last's list */
};

static void
bad(struct loader *ld, int line, const struct key *k, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
bad(struct loader *ld, int line, const struct key *k, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0 && k)
		log_error("%s:%d: [%s] %s: %s", ld->c->file, line, k->section,
		    k->name, msg);
	else if (k)
		log_error("%s: [%s] %s: %s", ld->c->file, k->section, k->name,
		    msg);
	else
		log_error("%s:%d: %s", ld->c->file, line, msg);
	ld->errors++;
}

/* Parse "90", "90s", "15m", "2h", "3d" into seconds. */
static int
parse_dur(const char *s, long *out)
{
	char *end;
	long v, mul = 1;

	errno = 0;
	v = strtol(s, &end, 10);
	if (end == s || errno || v < 0)
		return ERR_FAIL;
	while (*end == ' ')
		end++;
	switch (*end) {
	case '\0': case 's': mul = 1; break;
	case 'm': mul = 60; break;
	case 'h': mul = 3600; break;
	case 'd': mul = DAY; break;
	default: return ERR_FAIL;
	}
	if (*end && end[1] != '\0')
		return ERR_FAIL;
	if (v > 100L * 365 * DAY / mul)
		return ERR_FAIL;
	*out = v * mul;
	return 0;
}

static void *
field(struct config *c, const struct key *k)
{
	return (char *)c + k->off;
}

static void
set_str(struct config *c, const struct key *k, char *v)
{
	char **p = field(c, k);

	free(*p);
	*p = v;
}

static int dns_name(const char *);

/* A whole number within k's range, the whole of s. */
static int
parse_count(const struct key *k, const char *s, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (end == s || *end || errno || v < k->min || v > k->max)
		return ERR_FAIL;
	*out = v;
	return 0;
}

/* A number of seconds as the largest whole unit: 3600 is "1h". */
static const char *
dur_text(long s, char *out, size_t size)
{
	static const struct { long n; char unit; } u[] = {
		{ DAY, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' },
	};
	size_t i = 0;

	while (s != 0 && s % u[i].n != 0)
		i++;
	snprintf(out, size, "%ld%c", s / u[i].n, s ? u[i].unit : 's');
	return out;
}

/*
 * The length of an http:// or https:// URL's scheme and host (and port),
 * "https://host:port"; 0 when v is no such URL or names no host.
 */
static size_t
url_origin_len(const char *v)
{
	size_t s, n;

	if (str_has_ctl(v) || strchr(v, ' '))
		return 0;
	if (strncmp(v, "https://", 8) == 0)
		s = 8;
	else if (strncmp(v, "http://", 7) == 0)
		s = 7;
	else
		return 0;
	n = strcspn(v + s, "/?#");
	return n == 0 ? 0 : s + n;
}

/*
 * A list may end its line with a comma (the next, indented line going on
 * with it): an empty last item after others is no item.
 */
static int
last_empty(const char *item, const char *rest, int others)
{
	return item[0] == '\0' && rest == NULL && others;
}

/* [send] warmup: "50, 100, 250"; "" for none. */
static const char *
set_counts(struct loader *ld, const struct key *k, const char *v)
{
	struct config *c = ld->c;
	char *copy = xstrdup(v), *p = copy, *item;
	const char *why = NULL;
	int count = ld->more ? c->nwarmup : 0, first = count;

	while (*v && why == NULL && (item = strsep(&p, ",")) != NULL) {
		str_trim(item);
		if (last_empty(item, p, count > first))
			break;
		if (count == CONFIG_MAX_WARMUP)
			snprintf(ld->why, sizeof(ld->why), "more than %d "
			    "days listed", CONFIG_MAX_WARMUP);
		else if (parse_count(k, item, &c->warmup[count]) == 0) {
			count++;
			continue;
		} else
			snprintf(ld->why, sizeof(ld->why), "'%.40s' is not a "
			    "daily cap: expected whole numbers from %ld to %ld"
			    " separated by commas, such as 50, 100, 250",
			    item, k->min, k->max);
		why = ld->why;
	}
	free(copy);
	c->nwarmup = why ? 0 : count;
	return why;
}

/* The domain and count of one "gmail.com=300" item, or why not. */
static const char *
domain_cap(const struct loader *ld, const struct key *k, char *item,
    struct config_domain_cap *dc)
{
	char *eq = strchr(item, '='), *dom = item, *num;
	const char *why;

	if (eq == NULL)
		return "no '='";
	*eq = '\0';
	num = eq + 1;
	str_trim(dom);
	str_trim(num);
	/* The rule addresses are held to: a cap on a domain no address can
	 * have would never hold anything. */
	if (!dns_name(dom) || addr_check_domain(dom, strlen(dom), &why) < 0)
		return "not a domain name";
	if (parse_count(k, num, &dc->max) < 0)
		return "expected a count from 1 to 100000000 after the '='";
	for (int i = 0; i < ld->c->ndomain_caps; i++)
		if (str_ieq(ld->c->domain_caps[i].domain, dom))
			return "domain given twice";
	dc->domain = xstrdup(dom);
	for (char *q = dc->domain; *q; q++)
		*q = (char)tolower((unsigned char)*q);
	return NULL;
}

/* [send] domain_max_per_hour: "gmail.com=300, outlook.com=200". */
static const char *
set_domain_caps(struct loader *ld, const struct key *k, const char *v)
{
	struct config *c = ld->c;
	char *copy = xstrdup(v), *p = copy, *item, shown[64];
	const char *why = NULL;
	int first = c->ndomain_caps;

	while (*v && why == NULL && (item = strsep(&p, ",")) != NULL) {
		snprintf(shown, sizeof(shown), "%s", item);
		str_trim(shown);
		if (last_empty(shown, p, c->ndomain_caps > first))
			break;
		if (c->ndomain_caps == CONFIG_MAX_DOMAINS)
			why = "more than 32 domains";
		else
			why = domain_cap(ld, k, item,
			    &c->domain_caps[c->ndomain_caps]);
		if (why == NULL) {
			c->ndomain_caps++;
			continue;
		}
		snprintf(ld->why, sizeof(ld->why), "'%.40s': %s; items are "
		    "DOMAIN=COUNT separated by commas, such as gmail.com=300",
		    shown, why);
		why = ld->why;
	}
	free(copy);
	return why;
}

/* set_value() for numbers: T_INT, T_DUR, T_DURLIST, T_SCORE, T_PERCENT. */
static const char *
set_number(struct loader *ld, const struct key *k, const char *v)
{
	struct config *c = ld->c;
	char *end;
	long n;

	switch (k->type) {
	case T_INT:
		errno = 0;
		n = strtol(v, &end, 10);
		if (end == v || *end || errno || n < k->min || n > k->max) {
			snprintf(ld->why, sizeof(ld->why),
			    "expected %ld to %ld", k->min, k->max);
			return ld->why;
		}
		if (k->off == O(max_per_minute) || k->off == O(max_per_hour) ||
		    k->off == O(max_per_day))
			*(long *)field(c, k) = n;
		else
			*(int *)field(c, k) = (int)n;
		return NULL;
	case T_DUR:
		if (parse_dur(v, &n) < 0 || n < k->min || n > k->max) {
			char lo[24], hi[24];

			snprintf(ld->why, sizeof(ld->why), "expected a "
			    "duration from %s to %s, such as 90s, 15m, 4h or "
			    "3d", dur_text(k->min, lo, sizeof(lo)),
			    dur_text(k->max, hi, sizeof(hi)));
			return ld->why;
		}
		*(long *)field(c, k) = n;
		return NULL;
	case T_DURLIST: {
		char *copy = xstrdup(v), *p = copy, *item;
		int count = 0;

		while ((item = strsep(&p, ",")) != NULL) {
			str_trim(item);
			if (count == CONFIG_MAX_RETRY ||
			    parse_dur(item, &n) < 0 || n < k->min ||
			    n > k->max) {
				free(copy);
				return "expected up to 8 durations separated "
				    "by commas, such as 15m, 1h, 4h, 8h";
			}
			c->retry[count++] = n;
		}
		free(copy);
		c->nretry = count;
		return NULL;
	}
	case T_SCORE:
	case T_PERCENT: {
		double d;

		errno = 0;
		d = strtod(v, &end);
		if (k->type == T_PERCENT && *end == '%' && end != v)
			end++;
		if (end == v || *end || errno || !(d >= k->min &&
		    d <= k->max)) {
			snprintf(ld->why, sizeof(ld->why),
			    k->type == T_PERCENT ? "expected a percentage "
			    "from %ld%% to %ld%%, such as 0.3%%" : "expected a "
			    "number from %ld to %ld, such as 3.0", k->min,
			    k->max);
			return ld->why;
		}
		*(double *)field(c, k) = d;
		return NULL;
	}
	default:
		return "unknown type";
	}
}

/*
 * set_value() for the values of a given form: T_TZ, T_LOCALTIME, T_URL,
 * T_ORIGIN, T_SMTPURL, T_SOURCE.
 */
static const char *
set_form(struct loader *ld, const struct key *k, const char *v)
{
	struct config *c = ld->c;
	long n;

	switch (k->type) {
	case T_TZ:
		if (!tz_valid(v))
			return "not a timezone in the IANA database, such as "
			    "Europe/London";
		set_str(c, k, xstrdup(v));
		return NULL;
	case T_LOCALTIME: {
		time_t t;

		/* Syntax only here; the zone is applied after loading. */
		if (time_parse_iso(v, &t) < 0 || strpbrk(v + 10, "Zz+-"))
			return "expected a local date and time such as "
			    "2026-12-01 09:00 (the zone is [launch] timezone)";
		set_str(c, k, xstrdup(v));
		return NULL;
	}
	case T_URL:
		/* Links add "?t=TOKEN": after a #fragment, never sent. */
		if (url_origin_len(v) == 0 || strchr(v, '#') != NULL)
			return "expected an http:// or https:// URL (without a"
			    " #fragment)";
		set_str(c, k, xstrdup(v));
		return NULL;
	case T_ORIGIN:
		n = (long)url_origin_len(v);
		if (n == 0 || memchr(v, '@', (size_t)n) != NULL ||
		    (v[n] != '\0' && strcmp(v + n, "/") != 0))
			return "expected an origin: http:// or https://, the "
			    "host and an optional port, no path, such as "
			    "https://blog.example.org";
		set_str(c, k, xstrdup(v));
		return NULL;
	case T_SMTPURL:
		if (strncmp(v, "maildir:", 8) == 0 && v[8] != '\0') {
			free(c->maildir);
			c->maildir = path_join(c->dir, v + 8);
		} else if ((strncmp(v, "smtp://", 7) == 0 ||
		    strncmp(v, "smtps://", 8) == 0) && !str_has_ctl(v) &&
		    !strchr(v, ' ')) {
			free(c->maildir);
			c->maildir = NULL;
		} else
			return "expected smtp://HOST[:PORT], smtps://HOST[:PORT]"
			    " or maildir:PATH";
		set_str(c, k, xstrdup(v));
		return NULL;
	case T_SOURCE:
		if (str_has_ctl(v) || v[0] == '\0')
			return "expected a path or an imap:// URL";
		if (strstr(v, "://") != NULL)
			set_str(c, k, xstrdup(v));
		else
			set_str(c, k, path_join(c->dir, v));
		return NULL;
	case T_DBURL:
		if ((strncmp(v, "postgresql://", 13) != 0 &&
		    strncmp(v, "postgres://", 11) != 0) || str_has_ctl(v) ||
		    strchr(v, ' '))
			return "expected postgresql://USER@HOST[:PORT]/DB";
		set_str(c, k, xstrdup(v));
		return NULL;
	default:
		return "unknown type";
	}
}

/*
 * Store value; returns NULL or a description of what was expected (static,
 * or in ld->why).
 */
static const char *
set_value(struct loader *ld, const struct key *k, const char *v)
{
	struct config *c = ld->c;
	const char *why;
	char *name, *addr;

	switch (k->type) {
	case T_STR:
		if (str_has_ctl(v) || !utf8_valid(v, strlen(v)))
			return "control characters or invalid UTF-8";
		set_str(c, k, xstrdup(v));
		return NULL;
	case T_PATH:
		if (v[0] == '\0')
			return "a path";
		set_str(c, k, path_join(c->dir, v));
		return NULL;
	case T_BOOL:
		if (str_ieq(v, "yes") || str_ieq(v, "true") ||
		    str_ieq(v, "on") || strcmp(v, "1") == 0)
			*(int *)field(c, k) = 1;
		else if (str_ieq(v, "no") || str_ieq(v, "false") ||
		    str_ieq(v, "off") || strcmp(v, "0") == 0)
			*(int *)field(c, k) = 0;
		else
			return "expected yes or no";
		return NULL;
	case T_INT:
	case T_DUR:
	case T_DURLIST:
	case T_SCORE:
	case T_PERCENT:
		return set_number(ld, k, v);
	case T_COUNTLIST:
		return set_counts(ld, k, v);
	case T_DOMAINCAPS:
		return set_domain_caps(ld, k, v);
	case T_ENUM:
		for (int i = 0; k->words[i]; i++)
			if (*k->words[i] && strcmp(v, k->words[i]) == 0) {
				*(int *)field(c, k) = i;
				return NULL;
			}
		return k->words == tls_words ?
		    "expected required, opportunistic or off" :
		    k->words == bounce_tls_words ? "expected required or off" :
		    k->words == notify_words ? "expected window or exact" :
		    "expected immediate or send_hour";
	case T_ADDR:
		if (addr_check(v, &why) < 0)
			return why;
		set_str(c, k, xstrdup(v));
		addr_normalise(*(char **)field(c, k));
		return NULL;
	case T_MAILBOX:
		if (addr_parse_mailbox(v, &name, &addr, &why) < 0)
			return why;
		set_str(c, k, xstrdup(v));
		free(c->from_name);
		free(c->from_addr);
		c->from_name = name;
		c->from_addr = addr;
		return NULL;
	case T_TZ:
	case T_LOCALTIME:
	case T_URL:
	case T_ORIGIN:
	case T_SMTPURL:
	case T_SOURCE:
	case T_DBURL:
		return set_form(ld, k, v);
	}
	return "unknown type";
}

static const struct key *
find_key(const char *section, const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (strcmp(keys[i].section, section) == 0 &&
		    strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static int
known_section(const char *section)
{
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (strcmp(keys[i].section, section) == 0)
			return 1;
	return 0;
}

static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct loader *ld = user;
	const struct key *k;
	const char *why;
	int goes_on;

	if (strcmp(ld->section, section) != 0) {
		snprintf(ld->section, sizeof(ld->section), "%s", section);
		ld->section_known = known_section(section);
		ld->section_reported = 0;
	}
	if (!ld->section_known) {
		if (!ld->section_reported && *section == '\0')
			bad(ld, ld->line, NULL, "%s: a key before any "
			    "[section]", name ? name : "");
		else if (!ld->section_reported)
			bad(ld, ld->line, NULL, "[%s]: unknown section",
			    section);
		ld->section_reported = 1;
		return 1;
	}
	if (name == NULL)	/* a section header alone (INI_CALL_HANDLER_ON_NEW_SECTION) */
		return 1;
	if ((k = find_key(section, name)) == NULL) {
		bad(ld, ld->line, NULL, "[%s] %s: unknown key", section, name);
		return 1;
	}
	/* An indented line goes on with a list (inih's multi-line value). */
	goes_on = ld->seen[k - keys] && k == ld->last &&
	    (ld->buf[0] == ' ' || ld->buf[0] == '\t');
	ld->more = goes_on && (k->type == T_COUNTLIST ||
	    k->type == T_DOMAINCAPS);
	if (ld->seen[k - keys] && !ld->more) {
		bad(ld, ld->line, k, "%s", goes_on ? "an indented line goes on "
		    "with the value above, and only a list can" :
		    "given twice");
		return 1;
	}
	ld->last = k;
	if (!ld->more)
		ld->seen[k - keys] = ld->line;
	if ((why = set_value(ld, k, value)) != NULL)
		bad(ld, ld->line, k, "%s", why);
	ld->more = 0;
	return 1;
}

const char *
config_line_problem(const char *line, size_t n)
{
	const char *s = line, *end = line + n;

	if (memchr(line, '\0', n) != NULL)
		return "not a settings file: binary data (a NUL byte)";
	if (!utf8_valid(line, n))
		return "not a settings file: not UTF-8 text";
	if (n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3;				/* a BOM */
	while (end > s && (end[-1] == '\n' || end[-1] == '\r' ||
	    end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (s == end || *s == ';' || *s == '#' || *s == ' ' || *s == '\t')
		return NULL;		/* blank, comment, or inih decides */
	if (*s == '[')
		return memchr(s, ']', (size_t)(end - s)) ? NULL :
		    "syntax error: a [section] without its ']'";
	if (memchr(s, '=', (size_t)(end - s)) == NULL &&
	    memchr(s, ':', (size_t)(end - s)) == NULL)
		return "syntax error: expected [section] or key = value";
	return NULL;
}

/*
 * inih reader that counts lines, so the handler knows where it is, and
 * reports every line that is not a setting (inih tells only the first)
 * and hands inih a blank line instead.  A file that is not text stops at
 * its first such line: one error, not one per line.
 */
static char *
reader(char *str, int num, void *stream)
{
	struct loader *ld = stream;
	const char *why;
	ssize_t n;

	if (ld->not_text || (n = getline(&ld->buf, &ld->bufsize, ld->fp)) < 0)
		return NULL;
	ld->line++;
	if ((why = config_line_problem(ld->buf, (size_t)n)) != NULL) {
		bad(ld, ld->line, NULL, "%s", why);
		if (strncmp(why, "not a", 5) == 0) {
			ld->not_text = 1;
			return NULL;
		}
		snprintf(str, (size_t)num, "\n");
	} else if (n >= num) {
		bad(ld, ld->line, NULL, "line longer than %d bytes", num - 1);
		snprintf(str, (size_t)num, "\n");
	} else
		memcpy(str, ld->buf, (size_t)n + 1);
	return str;
}

static void
defaults(struct loader *ld)
{
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (keys[i].def && set_value(ld, &keys[i], keys[i].def))
			fatalx("bad default for [%s] %s", keys[i].section,
			    keys[i].name);
}

/*
 * Warn about a secret file that others can read.  Called once per file, by
 * config_load(), so each command warns once however often it reads it.
 */
static void
check_secret_mode(const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0 && (st.st_mode & 077))
		log_warnx("'%s' holds a secret but is readable by group or "
		    "others: chmod 600 it", path);
}

static char *
read_secret(const char *path, const char *what)
{
	char *data = NULL;
	size_t len;

	if (slurp(path, SECRET_MAX, &data, &len) < 0) {
		log_warn("%s: cannot read '%s'", what, path);
		return NULL;
	}
	check_secret_mode(path);
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		data[--len] = '\0';
	return data;
}

/* Letters, digits, '-', '_' and '.': a DNS name or label. */
static int
dns_name(const char *s)
{
	return s[0] != '\0' && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == strlen(s);
}

/*
 * [course] id goes into List-Id as "<id.domain>" (RFC 2919: dot-atom
 * text), and feedback_id into Feedback-ID as its last field
 * (a:b:c:SenderId): a word of letters, digits, '-', '_' and '.', so that
 * neither can break its header nor add a field of its own.
 */
static int
word_ok(const char *v, const char *chars)
{
	return v == NULL || (v[0] != '\0' && strlen(v) <= FEEDBACK_ID_MAX &&
	    strspn(v, chars) == strlen(v));
}

static void
finish_words(struct loader *ld)
{
	static const char atext[] = FEEDBACK_ID_CHARS "!#$%&'*+/=?^`{|}~";
	const struct key *id = find_key("course", "id");
	const struct key *fb = find_key("course", "feedback_id");

	if (!word_ok(ld->c->course_id, atext))
		bad(ld, ld->seen[id - keys], id, "expected up to %d letters, "
		    "digits, '-', '_' and '.', such as my-course (no spaces, "
		    "':', '<', '>' or '@')", FEEDBACK_ID_MAX);
	if (!word_ok(ld->c->feedback_id, FEEDBACK_ID_CHARS))
		bad(ld, ld->seen[fb - keys], fb, "expected up to %d letters, "
		    "digits, '-', '_' and '.', such as course-mail",
		    FEEDBACK_ID_MAX);
}

/* [dkim]: a domain, and a selector for each key file, or nothing. */
static void
finish_dkim(struct loader *ld)
{
	struct config *c = ld->c;
	const struct key *dom = find_key("dkim", "domain");

	if (c->dkim_domain == NULL && c->dkim_key_file == NULL &&
	    c->dkim_selector == NULL && c->dkim_key_file2 == NULL &&
	    c->dkim_selector2 == NULL)
		return;
	if (c->dkim_domain == NULL)
		bad(ld, 0, dom, "missing: the domain to sign for (d=)");
	else if (!dns_name(c->dkim_domain) ||
	    strchr(c->dkim_domain, '.') == NULL)
		bad(ld, ld->seen[dom - keys], dom, "expected a domain name "
		    "such as example.org");
	for (int i = 0; i < 2; i++) {
		const char *sel = i ? c->dkim_selector2 : c->dkim_selector;
		const struct key *k = find_key("dkim", i ? "selector2" :
		    "selector");

		if (sel && !dns_name(sel))
			bad(ld, ld->seen[k - keys], k, "expected letters, "
			    "digits, '-' and '.', such as 2026a");
	}
	if (c->dkim_key_file == NULL || c->dkim_selector == NULL)
		bad(ld, 0, find_key("dkim", "key_file"), "key_file and "
		    "selector go together, and are needed to sign");
	if ((c->dkim_key_file2 == NULL) != (c->dkim_selector2 == NULL))
		bad(ld, 0, find_key("dkim", "key_file2"), "key_file2 and "
		    "selector2 go together");
	if (c->dkim_selector && c->dkim_selector2 &&
	    strcmp(c->dkim_selector, c->dkim_selector2) == 0)
		bad(ld, 0, find_key("dkim", "selector2"), "must differ from "
		    "selector: each key has its own DNS record");
}

/* [dns] server is IP[:PORT]; relay_ip an IPv4 or IPv6 address. */
static void
finish_dns(struct loader *ld)
{
	struct config *c = ld->c;
	unsigned char a[16];
	char host[DNS_HOST_MAX];
	const struct key *k;
	int port;

	if (c->dns_server != NULL &&
	    dns_server_parse(c->dns_server, host, &port) < 0) {
		k = find_key("dns", "server");
		bad(ld, ld->seen[k - keys], k, "expected an IP address and "
		    "optional port, such as 127.0.0.1:5353");
	}
	if (c->dns_relay_ip != NULL &&
	    inet_pton(AF_INET, c->dns_relay_ip, a) != 1 &&
	    inet_pton(AF_INET6, c->dns_relay_ip, a) != 1) {
		k = find_key("dns", "relay_ip");
		bad(ld, ld->seen[k - keys], k, "expected an IPv4 or IPv6 "
		    "address");
	}
}

static void
finish(struct loader *ld)
{
	struct config *c = ld->c;
	const char *env;

	for (size_t i = 0; i < ARRAY_SIZE(keys) && !ld->not_text; i++)
		if (keys[i].required && !ld->seen[i])
			bad(ld, 0, &keys[i], "missing required key");
	if (c->launch_date) {
		struct tm tm;
		time_t t;

		/* time_parse_iso gave UTC; read the fields back as local. */
		time_parse_iso(c->launch_date, &t);
		gmtime_r(&t, &tm);
		c->launch_at = tz_mktime(c->launch_tz, &tm);
	}
	c->db_target = c->db_url ? c->db_url : c->db_path;
	if (c->envelope_from == NULL && c->from_addr)
		c->envelope_from = xstrdup(c->from_addr);
	if ((env = getenv("DRIPMAIL_SMTP_PASSWORD")) != NULL && *env)
		c->smtp_password = xstrdup(env);
	else if (c->smtp_password_file)
		c->smtp_password = read_secret(c->smtp_password_file,
		    "[smtp] password_file");
	if ((env = getenv("DRIPMAIL_IMAP_PASSWORD")) != NULL && *env)
		c->bounce_password = xstrdup(env);
	else if (c->bounce_password_file)
		c->bounce_password = read_secret(c->bounce_password_file,
		    "[bounces] password_file");
	if (c->secret_file && access(c->secret_file, F_OK) == 0)
		check_secret_mode(c->secret_file);
	finish_words(ld);
	finish_dkim(ld);
	finish_dns(ld);
}

int
config_load(struct config *c, const char *path)
{
	struct loader ld;
	struct stat st;
	int rc;

	memset(c, 0, sizeof(*c));
	memset(&ld, 0, sizeof(ld));
	c->file = xstrdup(path);
	c->dir = path_dirname(path);
	ld.c = c;
	defaults(&ld);
	if ((ld.fp = fopen(path, "r")) == NULL) {
		log_error("%s: cannot read settings: %s", path,
		    strerror(errno));
		return ERR_FAIL;
	}
	if (fstat(fileno(ld.fp), &st) == 0 && S_ISDIR(st.st_mode)) {
		log_error("%s: is a folder, not a settings file (-c wants the "
		    "file, such as %s/settings.ini)", path, path);
		fclose(ld.fp);
		return ERR_FAIL;
	}
	rc = ini_parse_stream(reader, &ld, handler, &ld);
	fclose(ld.fp);
	free(ld.buf);
	if (rc > 0)
		bad(&ld, rc, NULL, "syntax error: expected [section] or "
		    "key = value");
	else if (rc < 0) {
		log_error("%s: cannot parse settings", path);
		ld.errors++;
	}
	finish(&ld);
	return ld.errors ? ERR_FAIL : 0;
}

void
config_free(struct config *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (keys[i].type != T_BOOL && keys[i].type != T_INT &&
		    keys[i].type != T_DUR && keys[i].type != T_DURLIST &&
		    keys[i].type != T_ENUM && keys[i].type != T_SCORE &&
		    keys[i].type != T_COUNTLIST && keys[i].type != T_DOMAINCAPS &&
		    keys[i].type != T_PERCENT)
			set_str(c, &keys[i], NULL);
	for (int i = 0; i < c->ndomain_caps; i++)
		free(c->domain_caps[i].domain);
	free(c->file);
	free(c->dir);
	free(c->from_name);
	free(c->from_addr);
	free(c->maildir);
	free(c->smtp_password);
	free(c->bounce_password);
	memset(c, 0, sizeof(*c));
}

int
config_secret(const struct config *c, unsigned char **key, size_t *len)
{
	char *data = NULL;

	if (c->secret_file == NULL) {
		log_error("%s: [unsubscribe] secret_file: not set", c->file);
		return ERR_FAIL;
	}
	if (slurp(c->secret_file, SECRET_MAX, &data, len) < 0) {
		log_error("%s: [unsubscribe] secret_file: cannot read '%s': %s",
		    c->file, c->secret_file, strerror(errno));
		return ERR_FAIL;
	}
	if (*len < 16) {
		log_error("%s: [unsubscribe] secret_file: '%s' holds fewer than"
		    " 16 bytes", c->file, c->secret_file);
		free(data);
		return ERR_FAIL;
	}
	/* Its mode was checked once, by config_load(). */
	*key = (unsigned char *)data;
	return 0;
}
