/*
 * mailbox.h - read the messages of a bounce source: a single message file,
 * a Maildir or an mbox file (libetpan), or a mailbox on a server (libcurl):
 * imap://USER@HOST[:PORT][/FOLDER], imaps://..., pop3://USER@HOST[:PORT],
 * pop3s://...  Servers are spoken to over TLS with the certificate and host
 * name verified; imap:// and pop3:// require STARTTLS (STLS) unless tls is
 * TLS_OFF.  Each message is handed to a callback; when the callback says it
 * was applied, the message is marked so the next run skips it:
 *   Maildir   moved to cur/ with the S flag (or into done_folder, a Maildir)
 *   IMAP      flagged \Seen (or moved to done_folder); read with the folder
 *             opened read-only, so nothing is marked before the callback
 *   POP3      deleted (at the end of the session)
 *   mbox/file nothing can be marked: the callback dedupes with msg->key
 *             (see keyed) in the bounce_seen table.
 * A message that cannot be read is reported and left where it is.
 */
#ifndef MAILBOX_H
#define MAILBOX_H

#include <stddef.h>

#include "config.h"

#define MAILBOX_KEY_LEN	80

struct mailbox_opts {
	const char	*password;	/* IMAP/POP3 password, or NULL */
	const char	*done_folder;	/* IMAP folder for applied mail, or NULL */
	const char	*done_dir;	/* the same as a Maildir path, or NULL */
	enum tls_policy	 tls;		/* TLS_REQUIRED or TLS_OFF */
	const char	*ca_file;	/* CA bundle, NULL for the system's */
	int		 dry_run;	/* never mark or move anything */
};

struct mailbox_msg {
	const char	*name;		/* source and message, for reports */
	const char	*data;		/* the message, at most BOUNCE_MAX_SIZE */
	size_t		 len;		/* bytes; borrowed during the call */
	int		 keyed;		/* 1: the caller must dedupe with key */
	char		 key[MAILBOX_KEY_LEN];	/* "sha256:HEX" of the data */
};

/*
 * Called for each unseen message: return 1 when it was applied (mark it),
 * 0 to leave it as it is, ERR_TEMP or ERR_FAIL to stop.
 */
typedef int	(*mailbox_fn)(void *arg, const struct mailbox_msg *);

/*
 * Read source and call fn for each message not yet marked.  Returns 0,
 * the callback's error, ERR_TEMP (the server cannot be reached, offers no
 * TLS, fails verification, refuses the login or hangs up: one line says
 * which), or ERR_FAIL (bad source, no such folder); logged.  *unreadable
 * counts messages that could not be read (reported, left in place).
 */
int	 mailbox_each(const char *source, const struct mailbox_opts *,
	    mailbox_fn fn, void *arg, int *unreadable);

#endif
