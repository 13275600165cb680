/*
 * spam.c - run Debian's SpamAssassin, local-only, over the rendered
 * messages of a course and read back each message's score and rules.
 *
 * One spamassassin process reads all messages as an mbox (a Perl start
 * costs ~2 s, a message ~0.2 s).  Its verdict comes back in headers we ask
 * for (add_header all Report _REPORT_, Score _SCORE_); headers are ours to
 * parse because no rendered message can carry a header line of its own.
 */
#define _XOPEN_SOURCE	700	/* nftw */

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "dripmail.h"
#include "log.h"
#include "spam.h"
#include "util.h"
#include "xmalloc.h"

#define SPAM_FROM_PREFIX	"dripmail-"

/* Local tests only; no Bayes, no learning, no per-user state. */
static const char *const spam_argv[] = {
	SPAM_PROGRAM, "-L", "-x", "--mbox",
	"--cf=use_bayes 0",
	"--cf=bayes_auto_learn 0",
	"--cf=use_auto_whitelist 0",
	"--cf=report_safe 0",
	"--cf=add_header all Score _SCORE_",
	"--cf=add_header all Report _REPORT_",
	NULL,
};

int
spam_available(void)
{
	const char *path = getenv("PATH");
	char *copy, *p, *dir, *exe;
	int found = 0;

	if (path == NULL)
		path = "/usr/bin:/bin";
	copy = xstrdup(path);
	p = copy;
	while (!found && (dir = strsep(&p, ":")) != NULL) {
		exe = path_join(dir[0] ? dir : ".", SPAM_PROGRAM);
		found = access(exe, X_OK) == 0;
		free(exe);
	}
	free(copy);
	return found;
}

/*
 * msgs as an mboxrd: LF lines, "From " lines quoted with '>'.  Each
 * separator names the message's index: spamassassin does not keep the
 * order, but keeps the separators.
 */
static void
write_mbox(struct buf *b, const struct buf *msgs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *s = msgs[i].data, *end = s + msgs[i].len;

		buf_printf(b, "From " SPAM_FROM_PREFIX "%zu@localhost Thu Jan  1"
		    " 00:00:00 1970\n", i);
		while (s < end) {
			const char *nl = memchr(s, '\n', (size_t)(end - s));
			size_t len = nl ? (size_t)(nl - s) : (size_t)(end - s);
			size_t k = strspn(s, ">");

			if (k < len && len - k >= 5 &&
			    strncmp(s + k, "From ", 5) == 0)
				buf_addch(b, '>');
			buf_add(b, s, len && s[len - 1] == '\r' ? len - 1 :
			    len);
			buf_addch(b, '\n');
			s += len + (nl != NULL);
		}
		buf_addch(b, '\n');
	}
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	if (remove(path) < 0)
		log_warn("cannot remove '%s'", path);
	return 0;
}

/* The first line of the file at path, for an error message. */
static char *
first_line(const char *path)
{
	char *data = NULL;
	size_t len = 0;

	if (slurp(path, 4096, &data, &len) < 0 || len == 0) {
		free(data);
		return xstrdup("no message");
	}
	data[strcspn(data, "\r\n")] = '\0';
	return data;
}

/* Run spamassassin in dir: in.mbox -> out.mbox; 0 or ERR_FAIL. */
static int
run_spamassassin(const char *dir)
{
	char *in = path_join(dir, "in.mbox"), *out = path_join(dir, "out.mbox");
	char *err = path_join(dir, "errors"), *msg;
	char *home = xasprintf("HOME=%s", dir);
	char *path = xasprintf("PATH=%s", getenv("PATH") ? getenv("PATH") :
	    "/usr/bin:/bin");
	char *envp[] = { home, path, "LC_ALL=C", NULL };
	posix_spawn_file_actions_t fa;
	int ret = ERR_FAIL, rc, status;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, in, O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, out,
	    O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addopen(&fa, 2, err,
	    O_WRONLY | O_CREAT | O_TRUNC, 0600);
	rc = posix_spawnp(&pid, SPAM_PROGRAM, &fa, NULL,
	    (char *const *)spam_argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		errno = rc;
		log_warn("cannot run %s", SPAM_PROGRAM);
		goto out;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			log_warn("waitpid %s", SPAM_PROGRAM);
			goto out;
		}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		msg = first_line(err);
		log_error("%s failed (status %d): %s", SPAM_PROGRAM,
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1, msg);
		free(msg);
		goto out;
	}
	ret = 0;
out:
	free(in);
	free(out);
	free(err);
	free(home);
	free(path);
	return ret;
}

int
spam_check(const struct buf *msgs, size_t n, struct spam_report **out)
{
	const char *tmp = getenv("TMPDIR");
	char *dir, *in = NULL, *res = NULL, *data = NULL;
	struct spam_report *r;
	struct buf mbox;
	size_t len;
	int ret = ERR_FAIL;

	*out = NULL;
	dir = xasprintf("%s/dripmail-spam.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		log_warn("cannot create '%s'", dir);
		free(dir);
		return ERR_FAIL;
	}
	buf_init(&mbox, BUF_NOLIMIT);
	write_mbox(&mbox, msgs, n);
	in = path_join(dir, "in.mbox");
	res = path_join(dir, "out.mbox");
	if (write_file_atomic(in, mbox.data, mbox.len, 0600) < 0 ||
	    run_spamassassin(dir) < 0)
		goto out;
	if (slurp(res, SPAM_OUTPUT_MAX, &data, &len) < 0) {
		log_warn("cannot read %s's output", SPAM_PROGRAM);
		goto out;
	}
	r = xcalloc(n ? n : 1, sizeof(*r));
	if (spam_parse(data, len, r, n) < 0) {
		log_error("%s: output not understood", SPAM_PROGRAM);
		spam_reports_free(r, n);
		goto out;
	}
	*out = r;
	ret = 0;
out:
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	buf_release(&mbox);
	free(data);
	free(in);
	free(res);
	free(dir);
	return ret;
}

/* ---- parsing spamassassin's output ---- */

struct lines {
	const char	*p, *end;
};

/* The next line (without its LF) into *s, *len; 0 at the end. */
static int
next_line(struct lines *l, const char **s, size_t *len)
{
	const char *nl;

	if (l->p >= l->end)
		return 0;
	nl = memchr(l->p, '\n', (size_t)(l->end - l->p));
	*s = l->p;
	*len = nl ? (size_t)(nl - l->p) : (size_t)(l->end - l->p);
	l->p += *len + (nl != NULL);
	if (*len > 0 && (*s)[*len - 1] == '\r')
		(*len)--;
	return 1;
}

static int
has_prefix(const char *s, size_t len, const char *pre)
{
	size_t n = strlen(pre);

	return len >= n && strncasecmp(s, pre, n) == 0;
}

/* A printable copy of s[0..len) with at most max bytes (allocated). */
static char *
printable(const char *s, size_t len, size_t max)
{
	char *out;

	if (len > max)
		len = max;
	out = xstrndup(s, len);
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return out;
}

/* "* -0.0 NAME description" or a continuation "*      more text". */
static void
report_line(struct spam_report *r, const char *s, size_t len)
{
	struct spam_rule *ru;
	char num[32], *end;
	size_t i = 0, k, nl;
	double score;

	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i >= len || s[i] != '*')
		return;
	for (i++; i < len && s[i] == ' '; i++)
		;
	k = strspn(s + i, "+-.0123456789");
	if (k > 0 && k < sizeof(num) && i + k < len && s[i + k] == ' ') {
		memcpy(num, s + i, k);
		num[k] = '\0';
		score = strtod(num, &end);
		i += k + 1;
		nl = strspn(s + i, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
		if (*end == '\0' && nl > 0 && i + nl <= len &&
		    r->n < SPAM_MAX_RULES) {
			ru = &r->rules[r->n++];
			ru->score = score;
			ru->name = printable(s + i, nl, SPAM_NAME_MAX);
			for (i += nl; i < len && s[i] == ' '; i++)
				;
			ru->desc = printable(s + i, len - i, SPAM_DESC_MAX);
			return;
		}
	}
	/* A wrapped description: append to the last rule's. */
	if (r->n > 0 && i < len) {
		ru = &r->rules[r->n - 1];
		if (strlen(ru->desc) < SPAM_DESC_MAX) {
			char *more = printable(s + i, len - i, SPAM_DESC_MAX),
			    *d = xasprintf("%s %s", ru->desc, more);

			free(ru->desc);
			free(more);
			ru->desc = printable(d, strlen(d), SPAM_DESC_MAX);
			free(d);
		}
	}
}

static int
by_score(const void *a, const void *b)
{
	const struct spam_rule *x = a, *y = b;

	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	return strcmp(x->name, y->name);
}

/*
 * One message's header block from l: our two headers, the first of each
 * (spamassassin puts its own above the message's).  1 when scored.
 */
static int
parse_headers(struct lines *l, struct spam_report *r)
{
	const char *s;
	size_t len;
	int in_report = 0, seen_score = 0, seen_report = 0;

	while (next_line(l, &s, &len) && len > 0) {
		if (in_report && (s[0] == ' ' || s[0] == '\t')) {
			report_line(r, s, len);
			continue;
		}
		in_report = 0;
		if (!seen_score && has_prefix(s, len, "X-Spam-Score:")) {
			char num[32], *end;
			size_t k = len - 13;

			while (k > 0 && s[len - k] == ' ')
				k--;
			if (k == 0 || k >= sizeof(num))
				return 0;
			memcpy(num, s + len - k, k);
			num[k] = '\0';
			r->score = strtod(num, &end);
			if (*end != '\0')
				return 0;
			seen_score = 1;
		} else if (!seen_report && has_prefix(s, len,
		    "X-Spam-Report:")) {
			seen_report = in_report = 1;
			r->rules = xcalloc(SPAM_MAX_RULES, sizeof(*r->rules));
			report_line(r, s + 14, len - 14);
		}
	}
	if (r->n > 1)
		qsort(r->rules, r->n, sizeof(*r->rules), by_score);
	return seen_score && seen_report;
}

/* The index in a separator "From dripmail-N@localhost ...", or -1. */
static long
separator_index(const char *s, size_t len)
{
	const char *pre = "From " SPAM_FROM_PREFIX;
	size_t k = strlen(pre), d;
	long v = 0;

	if (!has_prefix(s, len, pre))
		return -1;
	for (d = 0; k + d < len && d < 9 && s[k + d] >= '0' && s[k + d] <= '9';
	    d++)
		v = v * 10 + (s[k + d] - '0');
	if (d == 0 || k + d >= len || s[k + d] != '@')
		return -1;
	return v;
}

int
spam_parse(const char *out, size_t len, struct spam_report *r, size_t n)
{
	struct lines l = { out, out + len };
	const char *s;
	size_t k = 0, slen;
	long i;
	int blank = 1;

	while (next_line(&l, &s, &slen)) {
		if (blank && has_prefix(s, slen, "From ")) {
			i = separator_index(s, slen);
			if (i < 0 || (size_t)i >= n || r[i].rules != NULL ||
			    !parse_headers(&l, &r[i]))
				return ERR_FAIL;
			k++;
			blank = 0;
			continue;
		}
		blank = slen == 0;
	}
	return k == n ? 0 : ERR_FAIL;
}

void
spam_reports_free(struct spam_report *r, size_t n)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < r[i].n; j++) {
			free(r[i].rules[j].name);
			free(r[i].rules[j].desc);
		}
		free(r[i].rules);
	}
	free(r);
}
