/*
 * lesson.h - one lesson file: a header block (Subject, Preheader, Day or
 * Send-At), a blank line, then Markdown with Mustache tags.  render.c
 * builds the course out of these; the rest of the program sees a lesson
 * as the struct lesson the course hands out.
 */
#ifndef LESSON_H
#define LESSON_H

#include <stddef.h>
#include <time.h>

#define LESSON_MAX	(1024 * 1024)	/* bytes in one lesson file */
#define LESSON_MAX_DAY	366

enum send_at_kind {
	SEND_DAY,		/* a course lesson: Day: N */
	SEND_LAUNCH_REL,	/* Send-At: launch, launch-2d, launch+1h */
	SEND_ABSOLUTE,		/* Send-At: 2026-12-01T09:00:00+01:00 */
};

/* A lesson as the course hands it out (render.h): borrowed from it. */
struct lesson {
	char		*id;		/* file name without extension: "day1" */
	char		*path;
	char		*subject;	/* raw, may hold Mustache tags */
	char		*preheader;
	enum send_at_kind kind;
	int		 day;		/* SEND_DAY: 1..n */
	long		 offset;	/* SEND_LAUNCH_REL: seconds from launch */
	time_t		 at;		/* SEND_ABSOLUTE; for LAUNCH_REL: launch +
					 * offset when a launch date is set */
};

struct lesson_file {
	struct lesson	 l;
	char		*body;		/* Markdown after the blank line */
	size_t		 bodylen;
	int		 body_line;	/* file line of the body's first line */
	int		 subject_line;
	int		 preheader_line;
	int		 when_line;	/* the Day: or Send-At: line */
	int		 errors;	/* problems logged by lesson_parse() */
};

/*
 * Parse one lesson file's text (path names it in messages).  launch_at
 * (0 = unset) turns Send-At: launch+N into l.at.  Every problem is logged
 * as "path:line: reason"; returns 0, or ERR_FAIL after logging them all.
 * Fills lf (release it with lesson_file_release() either way).
 */
int	 lesson_parse(struct lesson_file *lf, const char *path,
	    const char *text, size_t len, time_t launch_at);
void	 lesson_file_release(struct lesson_file *lf);

/* "day1" out of ".../day1.md" (allocated); NULL unless the name ends .md. */
char	*lesson_id_from_path(const char *path);
/* 1 when id is a usable lesson id: [A-Za-z0-9_-]{1,64}. */
int	 lesson_id_valid(const char *id);

/* Parse "launch", "launch-2d", "launch+3h", "launch-30m": seconds. */
int	 lesson_parse_launch_offset(const char *s, long *offset);

#endif
