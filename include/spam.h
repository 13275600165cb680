/*
 * spam.h - how SpamAssassin reads rendered messages, before anything is
 * sent.  Debian's spamassassin runs once for a whole course, over an mbox
 * of its messages, in local-only mode: no network tests (-L), no Bayes and
 * no learning, no user preferences, and a HOME that is a temporary folder
 * removed afterwards, so nothing about the subscribers leaves the machine
 * and nothing is written outside that folder.
 *
 *	struct spam_report *r;
 *	if (spam_check(msgs, n, &r) == 0) {
 *		r[i].score, r[i].rules[0..r[i].n) highest first
 *		spam_reports_free(r, n);
 *	}
 */
#ifndef SPAM_H
#define SPAM_H

#include <stddef.h>

#include "buf.h"

/* The program looked up in PATH. */
#define SPAM_PROGRAM	"spamassassin"
/* Bytes of spamassassin's output read for one course. */
#define SPAM_OUTPUT_MAX	(64 * 1024 * 1024)
/* Rules kept per message; bytes kept of a rule's name and description. */
#define SPAM_MAX_RULES	64
#define SPAM_NAME_MAX	64
#define SPAM_DESC_MAX	300

struct spam_rule {
	double		 score;
	char		*name;		/* "HTML_MESSAGE" */
	char		*desc;		/* "BODY: HTML included in message" */
};

struct spam_report {
	double		 score;
	struct spam_rule *rules;	/* allocated, n of them, highest first */
	size_t		 n;
};

/* 1 when SPAM_PROGRAM is an executable in PATH, else 0. */
int	 spam_available(void);

/*
 * Score the n messages (CRLF or LF lines, as sent).  0 and *out, an
 * allocated array of n reports in the same order; ERR_FAIL (logged) when
 * spamassassin could not be run or its output not understood.
 */
int	 spam_check(const struct buf *msgs, size_t n,
	    struct spam_report **out);

/*
 * Parse spamassassin's mbox output for n messages into r (n reports,
 * zeroed by the caller).  0, or ERR_FAIL when it does not hold n scored
 * messages.  Exposed for the unit tests and the fuzzer.
 */
int	 spam_parse(const char *out, size_t len, struct spam_report *r,
	    size_t n);

void	 spam_reports_free(struct spam_report *, size_t n);

#endif
