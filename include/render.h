/*
 * render.h - the course: lesson files, templates, and finished messages.
 *
 * course_load() reads every lesson and notification in [course] lessons
 * and the templates in [course] templates, validates them (every problem
 * logged with file and line), converts each lesson's Markdown once, and
 * compiles the templates.  render_message() then builds one complete RFC
 * 5322 message (CRLF, multipart/alternative text + HTML, quoted-printable,
 * UTF-8) for one recipient.  A loaded course is immutable: render_message()
 * may be called from several threads at once.
 */
#ifndef RENDER_H
#define RENDER_H

#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "config.h"
#include "lesson.h"

struct course;

/* 0, or ERR_FAIL after logging every problem found. */
int	 course_load(const struct config *, struct course **out);
void	 course_free(struct course *);

/* Lessons (SEND_DAY) by day: course_ndays() of them, days 1..n. */
int	 course_ndays(const struct course *);
const struct lesson *course_day(const struct course *, int day);
/* Notifications (Send-At), in send order. */
int	 course_nnotices(const struct course *);
const struct lesson *course_notice(const struct course *, int i);
/* Any message by id ("day3", "launch"), NULL when unknown. */
const struct lesson *course_find(const struct course *, const char *id);

struct recipient {
	int64_t		 id;		/* subscriber id (0 for previews) */
	const char	*email;
	const char	*first_name;	/* may be NULL */
	const char	*timezone;	/* may be NULL */
	const char	*to;		/* To and envelope when not email (a
					 * test send), else NULL */
	time_t		 first_lesson_at; /* when Day 1 will go, 0 unknown:
					 * {{first_lesson_at}} in timezone */
	int		 copy;		/* the delivery's copy (store.h): part of
					 * the Message-ID when not 0 */
};

/*
 * A test: "[TEST] " before the subject, the test banner, and a Message-ID
 * of its own ("<test.DATE.HASH.SUB.MESSAGE@domain>") that never equals a
 * delivery's.
 */
#define MSG_TEST	0x1

/* The sample recipient of previews and check. */
#define RENDER_SAMPLE_EMAIL	"alex@example.org"
#define RENDER_SAMPLE_NAME	"Alex"

/*
 * A deterministic Message-ID for (subscriber, message, copy): the same
 * delivery always gets the same ID, a resend (copy > 0) a new one.
 * Writes "<...@domain>" into out.
 */
void	 render_message_id(const struct course *, const struct config *,
	    int64_t subscriber, const char *message, int copy, char *out,
	    size_t outlen);

/*
 * Build the whole message into out (appended).  date is the Date header.
 * 0, or ERR_FAIL (logged) when a value cannot be put in a header safely or
 * the message is too large.
 */
int	 render_message(const struct course *, const struct config *,
	    const struct lesson *, const struct recipient *, time_t date,
	    int flags, struct buf *out);

/*
 * The pieces of the same message, for preview: the rendered subject (with
 * "[TEST] " under MSG_TEST), preheader, HTML part and text part, each
 * allocated.  0, or ERR_FAIL (logged).
 */
struct rendered {
	char	*subject;
	char	*preheader;
	char	*html;
	char	*text;
};
int	 render_parts(const struct course *, const struct config *,
	    const struct lesson *, const struct recipient *, int flags,
	    struct rendered *out);
void	 rendered_release(struct rendered *);

/*
 * Whether the course is fit to send, the one test both check and run
 * apply: render every message and the layouts with sample data and log
 * each problem with file and line (a partial's own file for a tag in a
 * partial), such as a variable no template data has ({{frist_name}}).
 * Messages that did not compile were reported by the load and are
 * skipped.  Returns the number of problems; run sends nothing unless 0.
 */
int	 course_check(const struct course *, const struct config *);
/*
 * The whole of check's lesson part: read the course, report every
 * problem (structure, then course_check() of what compiled), and print
 * "lessons: DIR: ok (...)" or "lessons: DIR: N problems" on stdout.
 * Returns the problems found.
 */
int	 render_check(const struct config *);

#endif
