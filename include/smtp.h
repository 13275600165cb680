/*
 * smtp.h - message transports: libcurl SMTP (smtp://, smtps://) and a
 * local Maildir (maildir:PATH).
 *
 * A transport is a table of functions (OpenSMTPD queue_backend.c), so tests
 * can swap it.  One connection belongs to one thread: the SMTP backend
 * keeps one libcurl easy handle per connection and reuses it message after
 * message (QUIT at smtp_close()).  Several connections may live in
 * different threads at once.
 *
 *	struct smtp_conn *c = smtp_open(cfg);
 *	struct smtp_result r;
 *	smtp_send(c, "bounces@x.org", "a@b.org", msg, len, &r);
 *	smtp_close(c);
 */
#ifndef SMTP_H
#define SMTP_H

#include <stddef.h>

#include "config.h"
#include "verdict.h"

#define SMTP_REPLY_MAX	256

/*
 * The outcome of one message.  What a refusal says about the recipient,
 * the sender or the message is verdict's (verdict_reply(), the one rule):
 * only verdict.kind == BOUNCE_HARD may change a subscriber, and only
 * through bounce_apply().
 */
struct smtp_result {
	int	 err;		/* 0 sent, ERR_TEMP retry later, ERR_PERM */
	int	 code;		/* last SMTP reply code, 0 when none */
	enum smtp_step step;	/* the command the reply answered */
	struct verdict verdict;	/* of the reply (kind other when sent) */
	int	 reconnect;	/* 421 or lost connection: a fresh one may do */
	int	 unreachable;	/* no SMTP session at all (connect, greeting,
				   TLS, login): reply says why */
	char	 status[16];	/* RFC 3463 status as understood, or "" */
	char	 reply[SMTP_REPLY_MAX];	/* server reply line (or our error) */
};

struct smtp_conn;

struct smtp_backend {
	const char	*name;
	struct smtp_conn *(*open)(const struct config *);
	int		(*send)(struct smtp_conn *, const char *from,
			    const char *rcpt, const char *msg, size_t len,
			    struct smtp_result *);
	/* EHLO, STARTTLS, AUTH and QUIT, nothing sent; fills the result. */
	int		(*check)(const struct config *, struct smtp_result *);
	void		(*close)(struct smtp_conn *);
};

extern const struct smtp_backend smtp_curl_backend;
extern const struct smtp_backend smtp_maildir_backend;

/* The backend [smtp] url names. */
const struct smtp_backend *smtp_backend(const struct config *);

/* The connection for cfg (allocated), NULL when it cannot be set up. */
struct smtp_conn *smtp_open(const struct config *);
/* The same over the transport be (smtp_backend(cfg) for smtp_open()). */
struct smtp_conn *smtp_open_with(const struct smtp_backend *be,
	    const struct config *);
/*
 * For a transport written outside smtp.c (a test's, behind this same
 * interface): its open() makes the connection with smtp_conn_new() and
 * keeps its own state in *smtp_conn_data(); its send() calls
 * smtp_handover() when the message is about to be handed over for good,
 * and abandons it (ERR_TEMP) when that returns nonzero, as the real ones
 * do at the end of the data (see smtp_set_gate()).  Its close() frees its
 * state, not the connection.
 */
struct smtp_conn *smtp_conn_new(const struct config *);
void	**smtp_conn_data(struct smtp_conn *);
int	 smtp_handover(struct smtp_conn *);
/*
 * Send one message (CRLF lines) to one recipient.  Returns r->err: 0,
 * ERR_TEMP or ERR_PERM, with the reply kept in r.  Logs nothing.
 */
int	 smtp_send(struct smtp_conn *, const char *from, const char *rcpt,
	    const char *msg, size_t len, struct smtp_result *r);
/*
 * One message outside a send run (a test send, a signup's confirmation):
 * open *conn for cfg when it is NULL (keep it for the next message,
 * smtp_close() it after the last), send from [smtp] envelope_from, and
 * try once more on a fresh connection after a 421 or a dropped one.
 * Returns r->err as smtp_send(); logs nothing.
 */
int	 smtp_deliver(struct smtp_conn **conn, const struct config *,
	    const char *rcpt, const char *msg, size_t len,
	    struct smtp_result *r);
/*
 * Call gate(arg) when a message is about to be handed over for good: before
 * the end of the data (SMTP), before the rename into new/ (Maildir).  When
 * it returns nonzero the message is abandoned undelivered and smtp_send()
 * returns ERR_TEMP.  early(arg), when not NULL, is called first, once the
 * DATA command is sent (SMTP only): work done there overlaps the server's
 * answer.  The send run uses them to record the outcome of the message
 * before while the server is busy.  gate NULL: none.
 */
void	 smtp_set_gate(struct smtp_conn *, int (*gate)(void *),
	    void (*early)(void *), void *arg);
/* Connect and log in, send nothing; 0 or ERR_*, details in r. */
int	 smtp_check(const struct config *, struct smtp_result *r);
void	 smtp_close(struct smtp_conn *);

/*
 * A server reply line ("550 5.1.1 <x>: unknown") with its code, answering
 * step, into r: err from the code's class (2xx 0, 5xx ERR_PERM, else
 * ERR_TEMP), the verdict from verdict_reply(), the line.  Exposed for unit
 * tests.
 */
void	 smtp_reply(struct smtp_result *r, enum smtp_step step, int code,
	    const char *line);

/* url without the user:password@ it may hold (allocated), for messages. */
char	*smtp_url_shown(const char *url);

#endif
