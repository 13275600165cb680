/*
 * tz.c - TZif files (RFC 8536) and their POSIX TZ footers, read into
 * immutable handles, with glibc's choices where the RFC leaves room or
 * glibc differs (the type before the first transition, the footer from the
 * last transition on, the UTC year for the footer's rules).
 */
#include <ctype.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dripmail.h"
#include "tz.h"
#include "util.h"
#include "xmalloc.h"

_Static_assert(sizeof(time_t) == 8, "64-bit time_t");

#define TZ_ABBR_MAX	16		/* footer names kept, with the NUL */
#define TZ_BUCKETS	64

struct tz_type {
	long		 off;		/* seconds east of UTC */
	int		 isdst;
	size_t		 abbr;		/* index into chars */
};

/* A POSIX TZ date rule: Jn (J1), n (J0) or Mm.n.d (M), at secs local. */
struct tz_rule {
	enum { R_J0, R_J1, R_M } kind;
	int		 m, n, d;
	long		 secs;
};

/* The footer: [0] standard time, [1] DST; rule[0] starts DST. */
struct tz_posix {
	char		 name[2][TZ_ABBR_MAX];
	long		 off[2];
	struct tz_rule	 rule[2];
};

struct tz {
	char		*name;
	size_t		 ntrans;
	int64_t		*trans;		/* ascending */
	unsigned char	*idx;		/* type of each transition */
	size_t		 ntypes;
	struct tz_type	*types;
	char		*chars;		/* abbreviations, NUL-terminated */
	size_t		 first;		/* type before the first transition */
	int		 footer;	/* posix is set */
	struct tz_posix	 posix;
};

/* What a zone says about one instant. */
struct tz_at {
	long		 off;
	int		 isdst;
	const char	*abbr;
};

static struct tz_type utc_types[] = { { 0, 0, 0 } };
static char utc_chars[] = "UTC";
static struct tz utc = {
	.name = (char *)"", .ntypes = 1, .types = utc_types, .chars = utc_chars
};

/* ---- reading TZif ---------------------------------------------------- */

struct tzif_hdr {
	int		 version;	/* 0 for 1, '2', '3', '4' */
	size_t		 isut, isstd, leap, time, type, chars;
};

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static int64_t
be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* The 44-byte header at p, and the size of the data block after it. */
static int
tzif_header(const unsigned char *p, size_t len, int width,
    struct tzif_hdr *h, size_t *block)
{
	if (len < 44 || memcmp(p, "TZif", 4) != 0)
		return ERR_FAIL;
	h->version = p[4];
	h->isut = be32(p + 20);
	h->isstd = be32(p + 24);
	h->leap = be32(p + 28);
	h->time = be32(p + 32);
	h->type = be32(p + 36);
	h->chars = be32(p + 40);
	if (h->type == 0 || h->type > 256 || h->chars == 0 ||
	    h->isut > h->type || h->isstd > h->type)
		return ERR_FAIL;
	*block = h->time * (size_t)width + h->time + h->type * 6 + h->chars +
	    h->leap * (size_t)(width + 4) + h->isstd + h->isut;
	return *block > len - 44 ? ERR_FAIL : 0;
}

/* Glibc's type before the first transition: the first standard one. */
static size_t
first_type(const struct tz *z)
{
	for (size_t i = 0; i < z->ntypes; i++)
		if (!z->types[i].isdst)
			return i;
	return 0;
}

/* The transitions, types and abbreviations of one data block. */
static int
tzif_block(struct tz *z, const unsigned char *p, const struct tzif_hdr *h,
    int width)
{
	z->ntrans = h->time;
	z->trans = xcalloc(h->time + 1, sizeof(*z->trans));
	z->idx = xcalloc(h->time + 1, 1);
	for (size_t i = 0; i < h->time; i++, p += width) {
		z->trans[i] = width == 8 ? be64(p) : (int32_t)be32(p);
		if (i > 0 && z->trans[i] <= z->trans[i - 1])
			return ERR_FAIL;
	}
	for (size_t i = 0; i < h->time; i++, p++)
		if ((z->idx[i] = *p) >= h->type)
			return ERR_FAIL;
	z->ntypes = h->type;
	z->types = xcalloc(h->type, sizeof(*z->types));
	for (size_t i = 0; i < h->type; i++, p += 6) {
		z->types[i].off = (int32_t)be32(p);
		z->types[i].isdst = p[4];
		z->types[i].abbr = p[5];
		if (p[4] > 1 || p[5] >= h->chars)
			return ERR_FAIL;
	}
	z->chars = xcalloc(h->chars + 1, 1);
	memcpy(z->chars, p, h->chars);
	z->first = first_type(z);
	return 0;	/* leap seconds, std/wall and UT/local flags unused */
}

/* ---- the POSIX TZ footer, parsed as glibc's tzset.c parses it -------- */

/* Digits at *s into *v (capped); 1 when there was at least one. */
static int
number(const char **s, long *v)
{
	const char *p = *s;

	*v = 0;
	for (; isdigit((unsigned char)*p); p++)
		if (*v < 1000000)
			*v = *v * 10 + (*p - '0');
	if (p == *s)
		return 0;
	*s = p;
	return 1;
}

/* hh[:mm[:ss]] into h, m, s (left alone where absent); 1 when hh was. */
static int
hms(const char **s, long *h, long *m, long *sec)
{
	const char *p = *s;

	if (!number(&p, h))
		return 0;
	if (p[0] == ':' && isdigit((unsigned char)p[1])) {
		p++;
		(void)number(&p, m);
		if (p[0] == ':' && isdigit((unsigned char)p[1])) {
			p++;
			(void)number(&p, sec);
		}
	}
	*s = p;
	return 1;
}

static int
ascii_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* A name: three or more letters, or <three or more of [A-Za-z0-9+-]>. */
static int
posix_name(const char **s, char *out)
{
	const char *p = *s, *start = p;
	size_t n;

	while (ascii_alpha(*p))
		p++;
	if ((n = (size_t)(p - start)) < 3) {
		if (*(p = *s) != '<')
			return 0;
		start = ++p;
		while (ascii_alpha(*p) || (*p >= '0' && *p <= '9') ||
		    *p == '+' || *p == '-')
			p++;
		if (*p != '>' || (n = (size_t)(p - start)) < 3)
			return 0;
		p++;
	}
	(void)snprintf(out, TZ_ABBR_MAX, "%.*s", (int)n, start);
	*s = p;
	return 1;
}

/* POSIX offsets count west; ours east.  DST defaults to std + 1 h. */
static int
posix_offset(const char **s, struct tz_posix *px, int which)
{
	long sign = -1, h = 0, m = 0, sec = 0;

	if (which == 0 && **s != '+' && **s != '-' &&
	    !isdigit((unsigned char)**s))
		return 0;
	if (**s == '+' || **s == '-')
		sign = *(*s)++ == '-' ? 1 : -1;
	if (hms(s, &h, &m, &sec))
		px->off[which] = sign * ((h > 24 ? 24 : h) * 3600 +
		    (m > 59 ? 59 : m) * 60 + (sec > 59 ? 59 : sec));
	else if (which == 0) {
		px->off[0] = 0;
		return 0;
	} else
		px->off[1] = px->off[0] + 3600;
	return 1;
}

/* The date part of a rule; an empty one is the US rule, as in glibc. */
static int
posix_date(const char **s, struct tz_rule *r, int which)
{
	const char *p = *s;
	long d, m, n;

	if (*p == 'J' || isdigit((unsigned char)*p)) {
		r->kind = *p == 'J' ? R_J1 : R_J0;
		p += *p == 'J';
		if (!number(&p, &d) || d > 365 || (r->kind == R_J1 && d == 0))
			return 0;
		r->d = (int)d;
	} else if (*p == 'M') {
		p++;
		if (!number(&p, &m) || *p++ != '.' || !number(&p, &n) ||
		    *p++ != '.' || !number(&p, &d) || m < 1 || m > 12 ||
		    n < 1 || n > 5 || d > 6)
			return 0;
		r->kind = R_M;
		r->m = (int)m, r->n = (int)n, r->d = (int)d;
	} else if (*p == '\0') {
		r->kind = R_M;
		r->m = which == 0 ? 3 : 11;
		r->n = which == 0 ? 2 : 1;
		r->d = 0;
	} else
		return 0;
	*s = p;
	return 1;
}

static int
posix_rule(const char **s, struct tz_rule *r, int which)
{
	long h = 2, m = 0, sec = 0;
	int neg;

	*s += **s == ',';
	if (!posix_date(s, r, which) || (**s && **s != '/' && **s != ','))
		return 0;
	if (**s == '/') {
		if (*++*s == '\0')
			return 0;
		neg = **s == '-';
		*s += neg;
		(void)hms(s, &h, &m, &sec);
		r->secs = (neg ? -1 : 1) * (h * 3600 + m * 60 + sec);
	} else
		r->secs = 2 * 3600;
	return 1;
}

/*
 * As glibc's __tzset_parse_tz(): what does not parse is left zero, which
 * makes both changes one instant, so standard time all year.
 */
static void
posix_parse(const char *s, struct tz_posix *px)
{
	memset(px, 0, sizeof(*px));
	if (!posix_name(&s, px->name[0]) || !posix_offset(&s, px, 0))
		return;
	if (*s == '\0') {
		memcpy(px->name[1], px->name[0], TZ_ABBR_MAX);
		px->off[1] = px->off[0];
		return;
	}
	if (posix_name(&s, px->name[1]))
		(void)posix_offset(&s, px, 1);
	if (posix_rule(&s, &px->rule[0], 0))
		(void)posix_rule(&s, &px->rule[1], 1);
}

/* The footer after the v2+ data: "\n" TZ "\n". */
static void
tzif_footer(struct tz *z, const unsigned char *p, size_t len)
{
	const unsigned char *end;
	char *s;

	if (len < 2 || p[0] != '\n')
		return;
	p++, len--;
	if ((end = memchr(p, '\n', len)) != NULL)
		len = (size_t)(end - p);
	if (len == 0 || memchr(p, '\0', len) != NULL)
		return;
	s = xstrndup((const char *)p, len);
	posix_parse(s, &z->posix);
	z->footer = 1;
	free(s);
}

struct tz *
tz_parse(const char *name, const void *data, size_t len)
{
	const unsigned char *p = data;
	struct tzif_hdr h;
	struct tz *z;
	size_t block;

	if (tzif_header(p, len, 4, &h, &block) < 0)
		return NULL;
	z = xcalloc(1, sizeof(*z));
	z->name = xstrdup(name ? name : "");
	if (h.version != 0) {	/* not version 1: v2+ data follows */
		p += 44 + block, len -= 44 + block;
		if (tzif_header(p, len, 8, &h, &block) < 0 ||
		    tzif_block(z, p + 44, &h, 8) < 0)
			goto bad;
		tzif_footer(z, p + 44 + block, len - 44 - block);
	} else if (tzif_block(z, p + 44, &h, 4) < 0)
		goto bad;
	return z;
bad:
	tz_free(z);
	return NULL;
}

void
tz_free(struct tz *z)
{
	if (z == NULL || z == &utc)
		return;
	free(z->name);
	free(z->trans);
	free(z->idx);
	free(z->types);
	free(z->chars);
	free(z);
}

const char *
tz_name(const struct tz *z)
{
	return z->name;
}

/* ---- offsets --------------------------------------------------------- */

static int
leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Jan 1 00:00 UTC of year y, as glibc takes it: 1970 for the years before. */
static int64_t
jan1(int64_t y)
{
	if (y <= 1970)
		return 0;
	return ((y - 1970) * 365 + (y - 1) / 4 - 1970 / 4 -
	    ((y - 1) / 100 - 1970 / 100) + ((y - 1) / 400 - 1970 / 400)) *
	    86400;
}

/* glibc's compute_change(): when rule r takes effect in year y. */
static int64_t
rule_change(const struct tz_rule *r, int64_t y, long off)
{
	static const int yday[2][13] = {
		{ 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365 },
		{ 0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335, 366 }
	};
	int64_t t = jan1(y), yy0, m1, dow, d;
	const int *md;

	if (r->kind == R_J1)
		t += (r->d - 1 + (r->d >= 60 && leap(y))) * 86400;
	else if (r->kind == R_J0)
		t += (int64_t)r->d * 86400;
	else {
		md = &yday[leap(y)][r->m];
		t += md[-1] * 86400;
		/* Zeller's congruence: the weekday of the month's first. */
		m1 = (r->m + 9) % 12 + 1;
		yy0 = r->m <= 2 ? y - 1 : y;
		dow = ((26 * m1 - 2) / 10 + 1 + yy0 % 100 + yy0 % 100 / 4 +
		    yy0 / 100 / 4 - 2 * (yy0 / 100)) % 7;
		if (dow < 0)
			dow += 7;
		if ((d = r->d - dow) < 0)
			d += 7;
		for (int i = 1; i < r->n && d + 7 < md[0] - md[-1]; i++)
			d += 7;
		t += d * 86400;
	}
	return t - off + r->secs;
}

/* The UTC year of t, and whether glibc can break t down at all. */
static int
utc_year(time_t t, int64_t *y)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		return ERR_FAIL;
	*y = (int64_t)tm.tm_year + 1900;
	return 0;
}

static void
at_type(const struct tz *z, size_t type, struct tz_at *a)
{
	a->off = z->types[type].off;
	a->isdst = z->types[type].isdst;
	a->abbr = z->chars + z->types[type].abbr;
}

static void
at_posix(const struct tz *z, time_t t, int64_t y, struct tz_at *a)
{
	const struct tz_posix *px = &z->posix;
	int64_t start = rule_change(&px->rule[0], y, px->off[0]);
	int64_t end = rule_change(&px->rule[1], y, px->off[1]);
	int dst;

	/* Southern hemisphere: DST runs over the new year. */
	if (start > end)
		dst = t < end || t >= start;
	else
		dst = t >= start && t < end;
	a->off = px->off[dst];
	a->isdst = dst;
	a->abbr = px->name[dst];
}

static void
tz_at(const struct tz *z, time_t t, struct tz_at *a)
{
	size_t lo = 0, hi = z->ntrans;
	int64_t y;

	if (z->ntrans == 0 || t < z->trans[0]) {
		at_type(z, z->first, a);
		return;
	}
	if (t >= z->trans[z->ntrans - 1] && z->footer &&
	    utc_year(t, &y) == 0) {
		at_posix(z, t, y, a);
		return;
	}
	/* The last transition at or before t: trans[lo] <= t < trans[hi]. */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (t < z->trans[mid])
			hi = mid;
		else
			lo = mid;
	}
	at_type(z, z->idx[lo], a);
}

long
tz_offset(const struct tz *z, time_t t)
{
	struct tz_at a;

	tz_at(z, t, &a);
	return a.off;
}

int
tz_to_local(const struct tz *z, time_t t, struct tm *out)
{
	struct tz_at a;
	time_t local;

	tz_at(z, t, &a);
	if ((a.off > 0 && t > INT64_MAX - a.off) ||
	    (a.off < 0 && t < INT64_MIN - a.off))
		return ERR_FAIL;
	local = t + a.off;
	if (gmtime_r(&local, out) == NULL)
		return ERR_FAIL;
	out->tm_isdst = a.isdst;
	out->tm_gmtoff = a.off;
	out->tm_zone = a.abbr;
	return 0;
}

/*
 * Every offset in force a day either side of the wall time that maps back
 * to itself: two (the repeated hour) take the earlier; none (the skipped
 * hour) the later, so the time moves forward as mktime() normalises it.
 */
time_t
tz_from_local(const struct tz *z, const struct tm *tm)
{
	struct tm w = *tm;
	time_t wall, best = 0, cand[2];
	long offs[2];
	int ok = 0;

	w.tm_isdst = 0;
	wall = timegm(&w);
	offs[0] = tz_offset(z, wall - 86400);
	offs[1] = tz_offset(z, wall + 86400);
	for (int i = 0; i < 2; i++) {
		cand[i] = wall - offs[i];
		if (tz_offset(z, cand[i]) == offs[i] &&
		    (!ok || cand[i] < best)) {
			best = cand[i];
			ok = 1;
		}
	}
	if (ok)
		return best;
	return cand[0] > cand[1] ? cand[0] : cand[1];
}

static int
cmp_time(const void *a, const void *b)
{
	time_t x = *(const time_t *)a, y = *(const time_t *)b;

	return (x > y) - (x < y);
}

/* One instant for tz_changes(): kept when in [from, to). */
static void
change_add(time_t t, const time_t range[2], time_t *out, size_t max,
    size_t *n)
{
	if (t < range[0] || t >= range[1])
		return;
	if (*n < max)
		out[*n] = t;
	(*n)++;
}

size_t
tz_changes(const struct tz *z, time_t from, time_t to, time_t *out,
    size_t max)
{
	const struct tz_posix *px = &z->posix;
	const time_t range[2] = { from, to };
	size_t n = 0;
	int64_t y0, y1;

	for (size_t i = 0; i < z->ntrans; i++)
		change_add(z->trans[i], range, out, max, &n);
	if (z->footer && z->ntrans > 0 && utc_year(to, &y1) == 0 &&
	    utc_year(from > z->trans[z->ntrans - 1] ? from :
	    z->trans[z->ntrans - 1], &y0) == 0)
		for (int64_t y = y0; y <= y1; y++) {
			/* The rules of year y apply within UTC year y. */
			change_add(rule_change(&px->rule[0], y, px->off[0]),
			    range, out, max, &n);
			change_add(rule_change(&px->rule[1], y, px->off[1]),
			    range, out, max, &n);
			change_add(jan1(y), range, out, max, &n);
		}
	qsort(out, n < max ? n : max, sizeof(*out), cmp_time);
	return n;
}

/* ---- the cache of zones by name -------------------------------------- */

struct tz_entry {
	char		 name[TZ_NAME_MAX + 1];
	struct tz	*zone;		/* NULL: not a zone */
	struct tz_entry	*next;
};

static pthread_mutex_t tz_mu = PTHREAD_MUTEX_INITIALIZER;
static struct tz_entry *tz_cache[TZ_BUCKETS];

/* A name safe to put under TZ_DIR: no "..", no leading / or . */
static int
name_ok(const char *name)
{
	if (name[0] == '/' || name[0] == '.' || strstr(name, "..") != NULL ||
	    strlen(name) > TZ_NAME_MAX)
		return 0;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && strchr("/_-+", *p) == NULL)
			return 0;
	return 1;
}

static struct tz *
tz_read(const char *name)
{
	char path[sizeof(TZ_DIR) + TZ_NAME_MAX + 1], *data;
	struct tz *z;
	size_t len;

	(void)snprintf(path, sizeof(path), "%s/%s", TZ_DIR, name);
	if (slurp(path, TZ_FILE_MAX, &data, &len) < 0)
		return strcmp(name, "UTC") == 0 ? &utc : NULL;
	z = tz_parse(name, data, len);
	free(data);
	return z;
}

const struct tz *
tz_open(const char *name)
{
	struct tz_entry *e;
	unsigned h = 5381;

	if (name == NULL || name[0] == '\0')
		return &utc;
	if (!name_ok(name))
		return NULL;
	for (const char *p = name; *p; p++)
		h = h * 33 + (unsigned char)*p;
	h %= TZ_BUCKETS;
	pthread_mutex_lock(&tz_mu);
	for (e = tz_cache[h]; e; e = e->next)
		if (strcmp(e->name, name) == 0)
			break;
	if (e == NULL) {
		e = xcalloc(1, sizeof(*e));
		(void)snprintf(e->name, sizeof(e->name), "%s", name);
		e->zone = tz_read(name);
		e->next = tz_cache[h];
		tz_cache[h] = e;
	}
	pthread_mutex_unlock(&tz_mu);
	return e->zone;
}

const struct tz *
tz_utc(void)
{
	return &utc;
}

int
tz_valid(const char *name)
{
	return name != NULL && name[0] != '\0' && tz_open(name) != NULL;
}

static const struct tz *
zone_or_utc(const char *name)
{
	const struct tz *z = tz_open(name);

	return z ? z : &utc;
}

int
tz_localtime(const char *name, time_t t, struct tm *out)
{
	return tz_to_local(zone_or_utc(name), t, out);
}

time_t
tz_mktime(const char *name, const struct tm *tm)
{
	return tz_from_local(zone_or_utc(name), tm);
}

static char host[TZ_NAME_MAX + 1];	/* tz_host(), "" = UTC */

/* The zone a TZ value or a path names: "" when it names none. */
static void
host_zone(const char *v, char *out, size_t len)
{
	const char *dir = TZ_DIR "/";

	out[0] = '\0';
	if (v == NULL)
		return;
	v += *v == ':';
	if (strncmp(v, dir, strlen(dir)) == 0)
		v += strlen(dir);
	else if ((dir = strstr(v, "zoneinfo/")) != NULL)
		v = dir + strlen("zoneinfo/");
	if (tz_valid(v))
		(void)snprintf(out, len, "%s", v);
}

/* TZ as found, else /etc/localtime's link, else /etc/timezone. */
static void
host_find(void)
{
	char link[PATH_MAX], line[TZ_NAME_MAX + 2];
	ssize_t n;
	FILE *f;

	if (getenv("TZ") != NULL) {
		host_zone(getenv("TZ"), host, sizeof(host));
		return;
	}
	if ((n = readlink("/etc/localtime", link, sizeof(link) - 1)) > 0) {
		link[n] = '\0';
		host_zone(link, host, sizeof(host));
		if (host[0] != '\0')
			return;
	}
	if ((f = fopen("/etc/timezone", "re")) != NULL) {
		if (fgets(line, sizeof(line), f) != NULL) {
			line[strcspn(line, "\n")] = '\0';
			host_zone(line, host, sizeof(host));
		}
		fclose(f);
	}
}

const char *
tz_host(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	(void)pthread_once(&once, host_find);
	return host;
}
