/*
 * message.h - an RFC 5322 message built with libetpan: headers (RFC 2047
 * encoded words where needed, folded), multipart/alternative with
 * text/plain then text/html, UTF-8, quoted-printable, CRLF line ends.
 *
 * Every value is checked before it reaches a header: a CR, LF or other
 * control character, or text that is not UTF-8, makes message_build()
 * fail rather than add or break a header.  Nothing here keeps state, so
 * it may run in several threads at once.
 */
#ifndef MESSAGE_H
#define MESSAGE_H

#include <time.h>

#include "buf.h"

#define MESSAGE_MAX	(2 * 1024 * 1024)	/* bytes in a whole message */
#define MESSAGE_LINE_MAX 998			/* RFC 5322 2.1.1 */
#define MESSAGE_QP_LINE	76			/* RFC 2045 6.7 */

struct message {
	const char	*from_name;	/* may be NULL or "" */
	const char	*from_addr;
	const char	*to_name;	/* may be NULL or "" */
	const char	*to_addr;
	const char	*reply_to;	/* address, may be NULL */
	const char	*subject;
	const char	*message_id;	/* without the angle brackets */
	time_t		 date;
	const char	*list_name;	/* List-Id's display name, may be NULL */
	const char	*list_id;	/* "id.domain", may be NULL */
	const char	*list_unsubscribe; /* "<https://...>, <mailto:...>" */
	const char	*feedback_id;	/* "a:b:c:SenderId", may be NULL */
	const char	*text;		/* the two parts, UTF-8, LF or CRLF */
	const char	*html;
	const char	*boundary;	/* must not occur in the parts */
};

/*
 * Append the whole message to out.  0, or ERR_FAIL (logged, naming what)
 * when a value is unsafe for its header or the message is too large.
 */
int	 message_build(const struct message *, struct buf *out);

/*
 * Append s as header text: unchanged when it is printable ASCII (and,
 * for a phrase, shorter than 64 characters), else as RFC 2047 encoded
 * words (UTF-8, Q) of at most 75 characters separated by spaces, where a
 * header may be folded.  phrase: for a display name (more characters are
 * encoded).  ERR_FAIL when s has a control character or is
 * not UTF-8.
 */
int	 message_encode_words(const char *s, int phrase, struct buf *out);

/*
 * Append s as an RFC 5322 phrase (a display name): as it is when it is
 * atoms and spaces, a quoted-string when it is other printable ASCII (such
 * as a colon), else RFC 2047 encoded words.  ERR_FAIL as above.
 */
int	 message_phrase(const char *s, struct buf *out);

/*
 * Append text (n bytes, LF or CRLF line ends) quoted-printable encoded
 * (RFC 2045 6.7): CRLF line ends, soft breaks keeping every line within
 * MESSAGE_QP_LINE, trailing blanks encoded, and a line's leading '.' or
 * "From " escaped.  ERR_FAIL when out is full.
 */
int	 message_qp_encode(const char *text, size_t n, struct buf *out);

#endif
