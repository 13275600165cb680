/*
 * caps.h - the sending caps: [send] max_per_day and warmup (messages per
 * local day of the sending host) and domain_max_per_hour (messages to one
 * recipient domain in any 60 minutes).
 *
 * Unlike max_per_minute and max_per_hour, which make a run wait for room
 * (a sliding window inside the run), a cap that is full holds the rest
 * back: those deliveries stay due, untouched, and go in the next run that
 * has room, oldest due first.  Both count the same thing: messages the
 * relay accepted (deliveries sent), earlier runs' included, on the run's
 * clock.  A held lesson keeps the subscriber's place in the course: the
 * next lesson is due the local day after this one is really sent, so
 * nobody gets two on one local day however long the backlog.
 *
 * The rule is pure (caps_init(), caps_take(): counts and settings in, a
 * verdict out, no database, no clock); caps_read() fetches the counts.
 */
#ifndef CAPS_H
#define CAPS_H

#include <time.h>

#include "config.h"

struct db;

/* What the deliveries say so far, as of a moment now. */
struct caps_counts {
	time_t		 first_sent;	/* the first message ever sent, 0 none */
	long		 today;		/* sent since the host's local midnight */
	long		 hour[CONFIG_MAX_DOMAINS];	/* to each of [send]
					   domain_max_per_hour in the last 60 min */
};

struct caps {
	int		 day;		/* 1 = the first day anything was sent */
	int		 warmup;	/* 1 while [send] warmup applies today */
	long		 limit;		/* today's cap, 0 none */
	long		 today;		/* sent today, this run's included */
	long		 hour[CONFIG_MAX_DOMAINS];	/* likewise per domain */
	const struct config *cfg;
};

enum caps_verdict {
	CAPS_OK,		/* send it; it is counted */
	CAPS_DAY,		/* today's cap is full: nothing more today */
	CAPS_DOMAIN,		/* its domain's hour is full: others may go */
};

/* 1 when any cap is set, else 0 (nothing to count). */
int	 caps_any(const struct config *);

/*
 * Local day number of now counted from first_sent's local day (1 = the
 * same day; 1 when nothing was sent yet) in zone tz (util.h tz_*).
 */
int	 caps_day(time_t first_sent, time_t now, const char *tz);

/*
 * Today's cap on day `day`: [send] warmup's entry for that day (at most
 * max_per_day when both are set), after the list max_per_day; 0 none.
 */
long	 caps_limit(const struct config *, int day);

/* The caps of a run at now, with the counts so far. */
void	 caps_init(struct caps *, const struct config *,
	    const struct caps_counts *, time_t now, const char *tz);

/* Whether one more message to address rcpt may go now; counts it if so. */
enum caps_verdict caps_take(struct caps *, const char *rcpt);

/* Messages that may still go today: -1 no daily cap, else 0 or more. */
long	 caps_room(const struct caps *);

/* The index of rcpt's domain in [send] domain_max_per_hour, or -1. */
int	 caps_domain(const struct config *, const char *rcpt);

/*
 * Read the counts as of now from the deliveries (two scans; the domain
 * one only when domain_max_per_hour is set).  0 or ERR_* (logged).
 */
int	 caps_read(struct db *, const struct config *, time_t now,
	    struct caps_counts *);

/*
 * The same counts for a run sharing the database with others (send.h),
 * as it claims: today as store_count_taken() read it, and per capped
 * domain what was sent in the hour before now plus what is being sent
 * (sending rows marked after lease_since).  0 or ERR_* (logged).
 */
int	 caps_read_taken(struct db *, const struct config *, time_t now,
	    time_t lease_since, long today, struct caps_counts *);

/* The counts read anew (first_sent is not used: the day stays). */
void	 caps_update(struct caps *, const struct caps_counts *);

/* The host's local midnight that began now's day, in zone tz. */
time_t	 caps_midnight(time_t now, const char *tz);

#endif
