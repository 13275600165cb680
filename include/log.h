/*
 * log.h - logging to stderr, after OpenSMTPD's log.h.
 *
 * Lines look like "2026-11-21T12:00:00Z dripmail: warning: cannot open 'x'".
 * Verbosity: log_init(0) prints warnings, 1 (-v) adds info, 2 (-vv) debug,
 * -1 (-q) only errors.  log_warn() appends strerror(errno).  All keep errno.
 * fatal()/fatalx() log and exit with status 70.
 */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>

void	log_init(int verbose);
int	log_verbose(void);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
/* An error that is not a warning: printed even with -q. */
void	log_error(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
