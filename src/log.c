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
#include "text.h"

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

/*
 * The message, with control characters escaped (str_escape()): log lines
 * show outside input (addresses, names, SMTP replies, file contents), and
 * none of it may start a line of its own or rewrite the terminal.
 */
static void
vlog_escaped(const char *fmt, va_list ap)
{
	char small[1024], *msg = small, *esc;
	va_list copy;
	int n;

	va_copy(copy, ap);
	n = vsnprintf(small, sizeof(small), fmt, copy);
	va_end(copy);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(small) && (msg = malloc((size_t)n + 1)) !=
	    NULL)
		vsnprintf(msg, (size_t)n + 1, fmt, ap);
	if (msg == NULL)
		msg = small;		/* out of memory: the truncated one */
	if ((esc = malloc(strlen(msg) * 6 + 1)) != NULL)
		fputs(str_escape(msg, esc, strlen(msg) * 6 + 1), stderr);
	free(esc);
	if (msg != small)
		free(msg);
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
	vlog_escaped(fmt, ap);
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
