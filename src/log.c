/*
 * log.c - timestamped, levelled log lines on stderr.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dripmail.h"
#include "log.h"

static int verbosity;

void
log_init(int verbose)
{
	verbosity = verbose;
}

int
log_verbose(void)
{
	return verbosity;
}

static void
vlog(const char *level, int with_errno, const char *fmt, va_list ap)
{
	int saved = errno;
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		stamp[0] = '\0';
	fprintf(stderr, "%s dripmail: %s: ", stamp, level);
	vfprintf(stderr, fmt, ap);
	if (with_errno)
		fprintf(stderr, ": %s", strerror(saved));
	fputc('\n', stderr);
	fflush(stderr);
	errno = saved;
}

#define LOGFN(name, level, min, with_errno)			\
void								\
name(const char *fmt, ...)					\
{								\
	va_list ap;						\
								\
	if (verbosity < (min))					\
		return;						\
	va_start(ap, fmt);					\
	vlog(level, with_errno, fmt, ap);			\
	va_end(ap);						\
}

LOGFN(log_error, "error", -1, 0)
LOGFN(log_warn, "warning", 0, 1)
LOGFN(log_warnx, "warning", 0, 0)
LOGFN(log_info, "info", 1, 0)
LOGFN(log_debug, "debug", 2, 0)

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("fatal", 1, fmt, ap);
	va_end(ap);
	exit(EXIT_SOFTWARE);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("fatal", 0, fmt, ap);
	va_end(ap);
	exit(EXIT_SOFTWARE);
}
