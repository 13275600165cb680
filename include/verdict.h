/*
 * verdict.h - what one failed delivery says about its recipient: the one
 * rule for a live SMTP reply (smtp.c, send.c) and for a bounce read from
 * the mailbox (bounce.c).  What a verdict then does to a subscriber is
 * bounce_apply()'s (bounce_policy.c), the one policy function.
 *
 *	struct verdict v;
 *	verdict_reply(SMTP_STEP_RCPT, 550, "5.1.1", "user unknown", &v);
 *	v.kind == BOUNCE_HARD, v.sender == 0
 *
 * Only a refusal at RCPT TO (or a bounce that does not name the step)
 * whose status or text says the address is dead is hard.  A refusal at
 * MAIL FROM, DATA or after the data, or one naming the sender's address
 * (X.1.7, X.1.8), is of the sender or the message: sender is set and no
 * subscriber's status may change because of it.  A bounce that names
 * neither the step nor a status but quotes a reply ("550 Unknown user
 * a") reads as a filter's answer: soft.
 */
#ifndef VERDICT_H
#define VERDICT_H

#include "bounce.h"

enum smtp_step {
	SMTP_STEP_UNKNOWN,	/* a bounce that does not say */
	SMTP_STEP_CONNECT,	/* connect, greeting, EHLO, STARTTLS, AUTH */
	SMTP_STEP_MAIL,		/* MAIL FROM */
	SMTP_STEP_RCPT,		/* RCPT TO */
	SMTP_STEP_DATA,		/* the DATA command */
	SMTP_STEP_EOD,		/* the reply after the message data */
};

struct verdict {
	enum bounce_kind kind;	/* BOUNCE_HARD, BOUNCE_SOFT, or BOUNCE_OTHER
				   for a success or no failure at all */
	int		 sender;	/* refused the sender or the message */
	int		 temporary;	/* 4xx: the same may work later */
	int		 dead;		/* the reason is one of a dead
					   address (hard but for the step,
					   the sender or a 4xx) */
	char		 status[BOUNCE_STATUS_LEN];	/* as understood */
	const char	*reason;	/* "userunknown", "mailboxfull", ...
					   (static), "" when none */
};

/*
 * The verdict for a reply: step, basic code (0 when unknown), RFC 3463
 * status (NULL or "" when none: looked for in text) and the reply or
 * diagnostic text (NULL for none).
 */
void	 verdict_reply(enum smtp_step, int code, const char *status,
	    const char *text, struct verdict *v);

/* 1 when s is a whole RFC 3463 status ("5.1.1", "4.7.26"). */
int	 verdict_status_valid(const char *s);

/*
 * The first RFC 3463 status in the n bytes at s (not part of a longer
 * dotted number such as a version or an address) into out: 1, or 0 and "".
 */
int	 verdict_find_status(const char *s, size_t n,
	    char out[BOUNCE_STATUS_LEN]);

/* The first basic 4xx or 5xx reply code in the n bytes at s, or 0. */
int	 verdict_find_code(const char *s, size_t n);

/*
 * The reason the words of text alone give (the ordered phrase table that
 * verdict_reply() reads), or "" when no phrase matches.
 */
const char *verdict_text_reason(const char *text);

/* "MAIL FROM", "RCPT TO", ... for messages; "" for unknown. */
const char *verdict_step_name(enum smtp_step);

#endif
