/*
 * mailbox.h - read the messages of a bounce source with libetpan: a single
 * message file, a Maildir, an mbox file, or an imap:// / imaps:// URL
 * (imap://USER@HOST:PORT/FOLDER).  Each message is handed to a callback;
 * when the callback says it was applied, the message is marked so the next
 * run skips it:
 *   Maildir   moved to cur/ with the S flag (or into done_folder, a Maildir)
 *   IMAP      flagged \Seen (or moved to done_folder)
 *   mbox/file nothing can be marked: the callback dedupes with msg->key
 *             (see keyed) in the bounce_seen table.
 * A message that cannot be read is reported and left where it is.
 */
#ifndef MAILBOX_H
#define MAILBOX_H

#include <stddef.h>

#define MAILBOX_KEY_LEN	80

struct mailbox_opts {
	const char	*password;	/* IMAP password, or NULL */
	const char	*done_folder;	/* IMAP folder for applied mail, or NULL */
	const char	*done_dir;	/* the same as a Maildir path, or NULL */
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
 * the callback's error, ERR_TEMP (server unreachable), or ERR_FAIL (bad
 * source, login refused); logged.  *unreadable counts messages that could
 * not be read (reported, left in place).
 */
int	 mailbox_each(const char *source, const struct mailbox_opts *,
	    mailbox_fn fn, void *arg, int *unreadable);

#endif
