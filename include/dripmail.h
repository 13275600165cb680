/*
 * dripmail.h - project-wide definitions: error codes, limits, version.
 *
 * Modules return int: 0 on success or one of the ERR_* codes below.  The
 * function that detects a failure logs it once; callers only pass it up.
 * Only main.c and cmd_*.c turn these into sysexits.h exit codes.
 */
#ifndef DRIPMAIL_H
#define DRIPMAIL_H

#define DRIPMAIL_VERSION	"0.1.0"

#define ERR_OK		0
#define ERR_FAIL	(-1)	/* bad input or other failure, already logged */
#define ERR_TEMP	(-2)	/* temporary: retry later (SMTP 4xx, DB busy) */
#define ERR_PERM	(-3)	/* permanent: give up (SMTP 5xx) */

/* Exit codes, as sysexits.h names them (repeated so tests can rely on them). */
#define EXIT_OK		0
#define EXIT_USAGE	64	/* EX_USAGE */
#define EXIT_DATAERR	65	/* EX_DATAERR: rows rejected, bad lesson */
#define EXIT_NOINPUT	66	/* EX_NOINPUT: input file missing */
#define EXIT_UNAVAIL	69	/* EX_UNAVAILABLE: messages failed for good */
#define EXIT_SOFTWARE	70	/* EX_SOFTWARE: internal error */
#define EXIT_CANTCREAT	73	/* EX_CANTCREAT: cannot create a file */
#define EXIT_IOERR	74	/* EX_IOERR */
#define EXIT_TEMPFAIL	75	/* EX_TEMPFAIL: server or database unavailable */
#define EXIT_CONFIG	78	/* EX_CONFIG: bad settings */

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#endif
