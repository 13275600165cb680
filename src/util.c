/*
 * util.c - files, paths, strings and times.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "dripmail.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

int
slurp(const char *path, size_t max, char **data, size_t *len)
{
	struct buf b;
	char chunk[65536];
	ssize_t n;
	int fd, saved;

	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return ERR_FAIL;
	buf_init(&b, max);
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (buf_add(&b, chunk, (size_t)n) < 0) {
			errno = EFBIG;
			n = -1;
			break;
		}
	}
	saved = errno;
	if (fd != STDIN_FILENO)
		close(fd);
	if (n < 0) {
		buf_release(&b);
		errno = saved;
		return ERR_FAIL;
	}
	*data = buf_detach(&b, len);
	return 0;
}

int
write_file_atomic(const char *path, const void *data, size_t len, int mode)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	const char *p = data;
	int fd, ret = ERR_FAIL;
	ssize_t n;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		log_warn("cannot create '%s'", tmp);
		goto out;
	}
	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_warn("cannot write '%s'", tmp);
			goto fail;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) < 0) {
		log_warn("cannot sync '%s'", tmp);
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		log_warn("cannot close '%s'", tmp);
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		log_warn("cannot rename '%s' to '%s'", tmp, path);
		goto fail;
	}
	ret = 0;
	goto out;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
out:
	free(tmp);
	return ret;
}

char *
path_join(const char *dir, const char *path)
{
	size_t n;

	if (path[0] == '/' || dir == NULL || dir[0] == '\0' ||
	    strcmp(dir, ".") == 0)
		return xstrdup(path);
	n = strlen(dir);
	if (n > 0 && dir[n - 1] == '/')
		return xasprintf("%s%s", dir, path);
	return xasprintf("%s/%s", dir, path);
}

char *
path_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

int
mkdir_p(const char *path, int mode)
{
	char *p = xstrdup(path), *s;
	int ret = 0;

	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, (mode_t)mode) < 0 && errno != EEXIST) {
			log_warn("cannot create folder '%s'", p);
			ret = ERR_FAIL;
			break;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	free(p);
	return ret;
}

char *
str_trim(char *s)
{
	char *start = s, *end;
	size_t n;

	while (*start == ' ' || *start == '\t' || *start == '\r' ||
	    *start == '\n' || *start == '\v' || *start == '\f')
		start++;
	n = strlen(start);
	end = start + n;
	while (end > start && (end[-1] == ' ' || end[-1] == '\t' ||
	    end[-1] == '\r' || end[-1] == '\n' || end[-1] == '\v' ||
	    end[-1] == '\f'))
		end--;
	memmove(s, start, (size_t)(end - start));
	s[end - start] = '\0';
	return s;
}

int
str_ieq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return 0;
	return *a == *b;
}

int
str_key(const char *s, char *out, size_t size)
{
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (!isalnum(*p) || *p >= 0x80)
			continue;
		if (n + 1 >= size)
			return ERR_FAIL;
		out[n++] = (char)tolower(*p);
	}
	out[n] = '\0';
	return 0;
}

char *
url_redact(const char *url)
{
	const char *auth = strstr(url, "://"), *end, *at, *colon;

	if (auth == NULL)
		return xstrdup(url);
	auth += 3;
	end = auth + strcspn(auth, "/?#");
	/* The last '@' of the authority ends the user information. */
	for (at = end; at > auth && at[-1] != '@'; at--)
		;
	if (at == auth)
		return xstrdup(url);
	colon = memchr(auth, ':', (size_t)(at - 1 - auth));
	if (colon == NULL)
		return xstrdup(url);
	return xasprintf("%.*s:***%s", (int)(colon - url), url, at - 1);
}

static int
digits(const char **sp, int n, int *out)
{
	const char *s = *sp;
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return ERR_FAIL;
		v = v * 10 + (s[i] - '0');
	}
	*sp = s + n;
	*out = v;
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant). */
static long long
days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	long long era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + (long long)doe - 719468;
}

int
time_parse_iso(const char *s, time_t *t)
{
	int y, mo, d, h, mi, sec = 0, oh = 0, om = 0, sign = 0;
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	if (digits(&s, 4, &y) < 0 || *s++ != '-' || digits(&s, 2, &mo) < 0 ||
	    *s++ != '-' || digits(&s, 2, &d) < 0 ||
	    (*s != 'T' && *s != 't' && *s != ' ') || !*s++ ||
	    digits(&s, 2, &h) < 0 || *s++ != ':' || digits(&s, 2, &mi) < 0)
		return ERR_FAIL;
	if (*s == ':') {
		s++;
		if (digits(&s, 2, &sec) < 0)
			return ERR_FAIL;
		if (*s == '.')		/* fractions of a second are dropped */
			for (s++; isdigit((unsigned char)*s); s++)
				;
	}
	if (*s == 'Z' || *s == 'z')
		s++;
	else if (*s == '+' || *s == '-') {
		sign = *s++ == '-' ? -1 : 1;
		if (digits(&s, 2, &oh) < 0)
			return ERR_FAIL;
		if (*s == ':')
			s++;
		if (digits(&s, 2, &om) < 0)
			return ERR_FAIL;
	}
	if (*s != '\0' || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) ||
	    y % 400 == 0)) || h > 23 || mi > 59 || sec > 60 || oh > 23 ||
	    om > 59)
		return ERR_FAIL;
	*t = (time_t)(days_from_civil(y, mo, d) * 86400LL + h * 3600 +
	    mi * 60 + sec - sign * (oh * 3600 + om * 60));
	return 0;
}

void
time_format_iso(time_t t, char *out, size_t outlen)
{
	struct tm tm;

	/* %04d: strftime's %Y writes the year 1 as "1", not "0001". */
	if (gmtime_r(&t, &tm) == NULL)
		snprintf(out, outlen, "?");
	else
		snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02dZ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
}
