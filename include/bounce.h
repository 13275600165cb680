/*
 * bounce.h - classify one incoming message of the bounce mailbox: RFC 3464
 * delivery status notifications, the non-standard bounces real MTAs send,
 * ARF complaints (RFC 5965), unsubscribe replies and auto-replies.  MIME is
 * parsed with libetpan; the message is untrusted and may be anything.
 *
 *	struct bounce_result r;
 *	if (bounce_classify(&opts, msg, len, &r) == 0)
 *		for (size_t i = 0; i < r.n; i++)
 *			use r.findings[i]
 *	bounce_result_release(&r);
 *
 * Each recipient a report names gets its kind from verdict_reply()
 * (verdict.h), the rule the live SMTP path uses: hard means the address
 * itself is dead (unknown user or host, moved, no mail accepted; RFC 3463
 * X.1.1, X.1.2, X.1.3, X.1.6, X.1.10, X.4.4 or the servers' words for
 * them) and was refused at RCPT TO or by a report that does not say the
 * step; every other failure, a disabled account (X.2.1) included, is soft.
 */
#ifndef BOUNCE_H
#define BOUNCE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Only this much of a message is parsed; the rest is ignored. */
#define BOUNCE_MAX_SIZE		(4 * 1024 * 1024)
/* MIME nesting followed; deeper parts are ignored. */
#define BOUNCE_MAX_DEPTH	16
/* More multipart/message type names than this: headers and text only. */
#define BOUNCE_MAX_NESTED	128
/* MIME parts looked at in one message. */
#define BOUNCE_MAX_PARTS	256
/* Recipients reported for one message. */
#define BOUNCE_MAX_FINDINGS	64
/* Bytes of decoded text searched for recipients and reasons. */
#define BOUNCE_MAX_TEXT		(256 * 1024)
/* Bytes kept of a diagnostic (one line, printable UTF-8). */
#define BOUNCE_MAX_DIAG		300
/* "5.1.10" and room for the longest legal "5.999.999". */
#define BOUNCE_STATUS_LEN	12

enum bounce_kind {
	BOUNCE_HARD,		/* the address is dead: suppress */
	BOUNCE_SOFT,		/* failed for another reason: count */
	BOUNCE_COMPLAINT,	/* ARF abuse report */
	BOUNCE_UNSUBSCRIBE,	/* a reply asking to unsubscribe */
	BOUNCE_AUTOREPLY,	/* vacation and other auto-replies: ignored */
	BOUNCE_OTHER,		/* nothing we act on */
};

struct bounce_opts {
	const unsigned char *key;	/* token secret; NULL: no tokens */
	size_t		 keylen;
	const char	*unsubscribe_mailto;	/* address, or NULL */
};

struct bounce_finding {
	char		*recipient;	/* lower-cased address, or "" */
	char		*alias;		/* the original recipient the report
					   also names (DSN Original-Recipient),
					   or NULL */
	char		 status[BOUNCE_STATUS_LEN];	/* "5.1.1" or "" */
	enum bounce_kind kind;
	char		*diagnostic;	/* one printable line, or "" */
	char		*token;		/* genuine token that named the */
	int64_t		 subscriber;	/* subscriber (NULL, 0 when none) */
	int64_t		 delivery;	/* VERP delivery id, or 0 */
};

struct bounce_result {
	struct bounce_finding *findings;	/* allocated, n entries */
	size_t		 n;
	char		*message_id;	/* of the message itself, or NULL */
};

/*
 * Classify the len bytes at msg (need not be NUL-terminated; only the first
 * BOUNCE_MAX_SIZE bytes are read).  Every message gives at least one
 * finding (kind other when nothing is recognised).  Returns 0, or ERR_FAIL
 * when the message cannot be parsed at all (logged at debug level); r is
 * valid to release either way.
 */
int	 bounce_classify(const struct bounce_opts *, const char *msg,
	    size_t len, struct bounce_result *r);
void	 bounce_result_release(struct bounce_result *);

/* "hard", "soft", ... as printed by `bounces --format tsv`. */
const char *bounce_kind_name(enum bounce_kind);

/*
 * The kind an RFC 3463 status means on its own (verdict.c): hard for the
 * dead-address codes, soft for any other 4.x.x or 5.x.x, other for 2.x.x
 * or an invalid status.
 */
enum bounce_kind bounce_status_kind(const char *status);

/*
 * Find an RFC 3463 status in free text (an SMTP reply, a diagnostic) and
 * write it to out (a generic X.0.0 sharpened by the words); failing that,
 * map a known phrase ("user unknown", "mailbox full", ...) to the nearest
 * status (verdict.c).  1 when found, else 0.
 */
int	 bounce_status_from_text(const char *text,
	    char out[BOUNCE_STATUS_LEN]);

/*
 * Policy (bounce_policy.c): apply one finding to the database.  hard:
 * suppress at once (status "bounced"); soft: an event "bounce_soft", and
 * suppression once soft_limit of them fall within soft_window; complaint:
 * "complained"; unsubscribe: "unsubscribed"; autoreply and other: nothing.
 * The subscriber is the token's, else the one whose email is the recipient
 * (case-insensitive).  Every change is an event with source, status and
 * diagnostic.  Runs inside the caller's transaction.
 */
struct db;

struct bounce_policy {
	int		 soft_limit;
	long		 soft_window;	/* seconds */
};

enum bounce_outcome {
	BOUNCE_IGNORED,		/* autoreply, other, or already suppressed */
	BOUNCE_UNKNOWN,		/* no such subscriber */
	BOUNCE_COUNTED,		/* a soft bounce recorded, below the limit */
	BOUNCE_SUPPRESSED,	/* the subscriber gets no more mail */
};

/* 0 and *outcome, or ERR_TEMP/ERR_FAIL (logged). */
int	 bounce_apply(struct db *, const struct bounce_policy *,
	    const struct bounce_finding *, const char *source, time_t now,
	    enum bounce_outcome *outcome);

/*
 * Bounce de-duplication: 1 when the message with this key (mailbox.h)
 * was applied already, 0 when not, or ERR_*.
 */
int	 bounce_seen(struct db *, const char *key);

/* What bounce_apply_message() did, added up over a run. */
struct bounce_tally {
	int		 suppressed, counted, unknown;
};

/*
 * Apply every finding of r, from the message source with key, and
 * remember key for bounce_seen(), in one transaction; adds the outcomes
 * to *t.  0 or ERR_TEMP/ERR_FAIL (logged), nothing changed then.
 */
int	 bounce_apply_message(struct db *, const struct bounce_policy *,
	    const struct bounce_result *r, const char *source, const char *key,
	    time_t now, struct bounce_tally *t);

#endif
