/*
 * smtp.c - transports: libcurl SMTP with one reused easy handle per
 * connection (curl docs/examples/smtp-tls.c), and a local Maildir
 * (mblaze mdeliver.c: tmp, fsync, rename into new).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "config.h"
#include "dripmail.h"
#include "net.h"
#include "smtp.h"
#include "util.h"
#include "xmalloc.h"

#define QUIT_WAIT	2	/* s to wait for the reply to QUIT, at most */

struct smtp_conn {
	const struct smtp_backend *be;
	const struct config *cfg;
	/* curl */
	CURL		*curl;
	char		*url;
	char		 errbuf[CURL_ERROR_SIZE];
	char		*shown;			/* url without credentials */
	char		 last[SMTP_REPLY_MAX];	/* last server reply line */
	int		 nlines;		/* server lines this transfer */
	enum smtp_step	 step;			/* what the next reply answers */
	int		 quit;			/* QUIT sent: no more replies */
	int		 fresh;			/* next transfer reconnects */
	int		(*gate)(void *);	/* see smtp_set_gate() */
	void		(*early)(void *);
	void		*gate_arg;
	/* maildir */
	char		*tmp, *new;
	/* a transport from outside (smtp_conn_new()) */
	void		*data;
};

static void
copy_reply(char *out, size_t outlen, const char *s, size_t n)
{
	size_t i, j = 0;

	for (i = 0; i < n && j + 1 < outlen; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\r' || c == '\n')
			break;
		out[j++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
	}
	out[j] = '\0';
}

void
smtp_reply(struct smtp_result *r, enum smtp_step step, int code,
    const char *line)
{
	r->step = step;
	r->code = code;
	if (code >= 200 && code < 300)
		r->err = 0;
	else if (code >= 500 && code < 600)
		r->err = ERR_PERM;
	else
		r->err = ERR_TEMP;
	r->reconnect = code == 421;
	verdict_reply(step, code, NULL, line, &r->verdict);
	snprintf(r->status, sizeof(r->status), "%s", r->verdict.status);
	snprintf(r->reply, sizeof(r->reply), "%s", line);
}

char *
smtp_url_shown(const char *url)
{
	const char *host = strstr(url, "://"), *at = NULL;
	size_t n;

	if (host == NULL)
		return xstrdup(url);
	host += 3;
	n = strcspn(host, "/?#");
	for (size_t i = 0; i < n; i++)
		if (host[i] == '@')
			at = host + i;
	if (at == NULL)
		return xstrdup(url);
	return xasprintf("%.*s%s", (int)(host - url), url, at + 1);
}

/* libcurl SMTP */

struct reader {
	const char	*data;
	size_t		 len, pos;
	struct smtp_conn *c;
};

static size_t
read_cb(char *out, size_t size, size_t nmemb, void *user)
{
	struct reader *rd = user;
	size_t n = size * nmemb;

	if (n > rd->len - rd->pos)
		n = rd->len - rd->pos;
	/*
	 * libcurl ends the data once it has INFILESIZE bytes: the last chunk
	 * waits for the gate (the whole message when it fits in one read, so
	 * that it goes out in one piece).
	 */
	if (rd->c->gate && n > 0 && rd->pos + n == rd->len &&
	    rd->c->gate(rd->c->gate_arg) != 0)
		return CURL_READFUNC_ABORT;
	memcpy(out, rd->data + rd->pos, n);
	rd->pos += n;
	return n;
}

/*
 * The step a command we send starts; cur for anything else (the lines of
 * an AUTH exchange, NOOP).  Only the command's name is looked at.
 */
static enum smtp_step
step_of(const char *line, size_t n, enum smtp_step cur)
{
	static const struct {
		const char	*name;
		enum smtp_step	 step;
	} cmds[] = {
		{ "EHLO", SMTP_STEP_CONNECT }, { "HELO", SMTP_STEP_CONNECT },
		{ "STARTTLS", SMTP_STEP_CONNECT }, { "AUTH", SMTP_STEP_CONNECT },
		{ "MAIL FROM", SMTP_STEP_MAIL }, { "RCPT TO", SMTP_STEP_RCPT },
		{ "DATA", SMTP_STEP_DATA },
	};

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		size_t k = strlen(cmds[i].name);

		if (n >= k && memcmp(line, cmds[i].name, k) == 0 &&
		    (n == k || strchr(" :\r\n", line[k]) != NULL))
			return cmds[i].step;
	}
	return cur;
}

/*
 * Follow the session: which step the next reply answers, from the
 * commands we send (matched by name only, never kept or logged: AUTH is
 * among them), and the server's last reply line.  354 to DATA means the
 * next reply is the one after the message data.
 */
static int
debug_cb(CURL *h, curl_infotype type, char *data, size_t size, void *user)
{
	struct smtp_conn *c = user;

	(void)h;
	if (type == CURLINFO_HEADER_OUT) {
		if (size >= 4 && memcmp(data, "QUIT", 4) == 0) {
			c->quit = 1;
			return 0;
		}
		c->step = step_of(data, size, c->step);
		/* DATA is out: the gate gets ready while it is answered. */
		if (c->step == SMTP_STEP_DATA && c->early)
			c->early(c->gate_arg);
	} else if (type == CURLINFO_HEADER_IN && size >= 3 && !c->quit) {
		copy_reply(c->last, sizeof(c->last), data, size);
		c->nlines++;
		if (c->step == SMTP_STEP_DATA && memcmp(data, "354", 3) == 0)
			c->step = SMTP_STEP_EOD;
	}
	return 0;
}

static char *
smtp_url_for(const struct config *cfg)
{
	const char *u = cfg->smtp_url, *host = strstr(u, "://");

	/* The URL's path is the EHLO name. */
	if (cfg->helo && host && strchr(host + 3, '/') == NULL)
		return xasprintf("%s/%s", u, cfg->helo);
	return xstrdup(u);
}

static void
curl_setup(struct smtp_conn *c, CURL *h)
{
	const struct config *cfg = c->cfg;

	curl_easy_setopt(h, CURLOPT_URL, c->url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, cfg->connect_timeout);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, cfg->timeout);
	/* Also bounds the wait for the reply to QUIT at cleanup. */
	curl_easy_setopt(h, CURLOPT_SERVER_RESPONSE_TIMEOUT, cfg->timeout);
	net_tls(h, cfg->tls, cfg->ca_file);
	if (cfg->smtp_username) {
		curl_easy_setopt(h, CURLOPT_USERNAME, cfg->smtp_username);
		curl_easy_setopt(h, CURLOPT_PASSWORD,
		    cfg->smtp_password ? cfg->smtp_password : "");
	}
	/* VERBOSE only feeds debug_cb, which never reads what we send. */
	curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, debug_cb);
	curl_easy_setopt(h, CURLOPT_DEBUGDATA, c);
	curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
}

static struct smtp_conn *
curl_open(const struct config *cfg)
{
	struct smtp_conn *c;

	net_init();
	c = xcalloc(1, sizeof(*c));
	c->cfg = cfg;
	c->url = smtp_url_for(cfg);
	c->shown = smtp_url_shown(cfg->smtp_url);
	if ((c->curl = curl_easy_init()) == NULL) {
		free(c->url);
		free(c->shown);
		free(c);
		return NULL;
	}
	curl_setup(c, c->curl);
	return c;
}

static int
connect_error(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_LOGIN_DENIED:
	case CURLE_USE_SSL_FAILED:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
		return 1;
	default:
		return 0;
	}
}

static void reply_printf(struct smtp_result *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* r->reply, truncated to fit. */
static void
reply_printf(struct smtp_result *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->reply, sizeof(r->reply), fmt, ap);
	va_end(ap);
}

/*
 * No session (connect, greeting, EHLO, STARTTLS, AUTH): say why in words
 * that are the same for every message with the same cause, so that the
 * run can say it once.
 */
static void
no_session(struct smtp_conn *c, CURLcode rc, int code, struct smtp_result *r)
{
	const char *detail = c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc);
	char oserr[128];
	long e = 0;

	r->err = ERR_TEMP;
	r->step = SMTP_STEP_CONNECT;
	r->code = code >= 400 ? code : 0;
	r->reconnect = 1;
	r->unreachable = 1;
	curl_easy_getinfo(c->curl, CURLINFO_OS_ERRNO, &e);
	if (rc == CURLE_COULDNT_CONNECT && e != 0 &&
	    strerror_r((int)e, oserr, sizeof(oserr)) == 0)
		detail = oserr;
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		reply_printf(r, "cannot connect to %s: %s", c->shown, detail);
		break;
	case CURLE_OPERATION_TIMEDOUT:
		reply_printf(r, "cannot connect to %s: no answer in time",
		    c->shown);
		break;
	case CURLE_USE_SSL_FAILED:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
		reply_printf(r, "TLS with %s failed: %s", c->shown, detail);
		break;
	case CURLE_LOGIN_DENIED:
		reply_printf(r, "%s refuses the login: %s", c->shown,
		    c->nlines ? c->last : detail);
		break;
	default:
		if (r->code)
			reply_printf(r, "%s refuses the session: %s", c->shown,
			    c->last);
		else
			reply_printf(r, "%s: %s", c->shown, detail);
	}
}

/* Turn a finished transfer into r. */
static void
curl_result(struct smtp_conn *c, CURLcode rc, struct smtp_result *r)
{
	long code = 0;

	memset(r, 0, sizeof(*r));
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &code);
	if (c->nlines > 0)
		code = strtol(c->last, NULL, 10);
	if (rc == CURLE_OK) {
		smtp_reply(r, c->step, code ? (int)code : 250, c->last);
		return;
	}
	if (c->step == SMTP_STEP_CONNECT || connect_error(rc)) {
		no_session(c, rc, (int)code, r);
		return;
	}
	if (c->nlines > 0 && code >= 400 && rc != CURLE_OPERATION_TIMEDOUT) {
		smtp_reply(r, c->step, (int)code, c->last);
		return;
	}
	/* Dropped (retry at once) or stalled (not again now). */
	r->err = ERR_TEMP;
	r->step = c->step;
	r->reconnect = rc != CURLE_OPERATION_TIMEDOUT;
	snprintf(r->reply, sizeof(r->reply), "%s",
	    c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc));
}

/* Before each transfer: nothing heard yet; a session starts with connect. */
static void
transfer_start(struct smtp_conn *c)
{
	c->errbuf[0] = '\0';
	c->last[0] = '\0';
	c->nlines = 0;
	c->step = SMTP_STEP_CONNECT;
	c->quit = 0;
}

static int
curl_send(struct smtp_conn *c, const char *from, const char *rcpt,
    const char *msg, size_t len, struct smtp_result *r)
{
	struct curl_slist *rcpts = NULL;
	struct reader rd = { msg, len, 0, c };
	char *f, *t;
	CURLcode rc;

	f = xasprintf("<%s>", from);
	t = xasprintf("<%s>", rcpt);
	rcpts = curl_slist_append(NULL, t);
	curl_easy_setopt(c->curl, CURLOPT_MAIL_FROM, f);
	curl_easy_setopt(c->curl, CURLOPT_MAIL_RCPT, rcpts);
	curl_easy_setopt(c->curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c->curl, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c->curl, CURLOPT_READDATA, &rd);
	curl_easy_setopt(c->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c->curl, CURLOPT_FRESH_CONNECT, (long)c->fresh);
	transfer_start(c);
	rc = curl_easy_perform(c->curl);
	curl_result(c, rc, r);
	/* After any failure the session state is unclear: start anew. */
	c->fresh = rc != CURLE_OK;
	curl_easy_setopt(c->curl, CURLOPT_MAIL_RCPT, NULL);
	curl_slist_free_all(rcpts);
	free(f);
	free(t);
	return r->err;
}

static int
curl_check(const struct config *cfg, struct smtp_result *r)
{
	struct smtp_conn *c = curl_open(cfg);
	CURLcode rc;

	memset(r, 0, sizeof(*r));
	if (c == NULL) {
		r->err = ERR_FAIL;
		snprintf(r->reply, sizeof(r->reply), "cannot start libcurl");
		return r->err;
	}
	/* Connect, EHLO, STARTTLS, AUTH, then NOOP; QUIT at cleanup. */
	curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, "NOOP");
	curl_easy_setopt(c->curl, CURLOPT_NOBODY, 1L);
	transfer_start(c);
	rc = curl_easy_perform(c->curl);
	curl_result(c, rc, r);
	if (rc != CURLE_OK && r->err == 0)
		r->err = ERR_TEMP;
	c->be = &smtp_curl_backend;
	smtp_close(c);
	return r->err;
}

/*
 * QUIT waits a few seconds at most, not [smtp] timeout again: a stalled
 * relay must not keep the run alive twice as long.  libcurl sends QUIT at
 * cleanup through its connection cache, whose wait for the reply is the
 * server response timeout of the last handle added to it (at the start of
 * each perform); so set the short one and start a perform that fails at
 * once for want of a URL, touching no connection.
 */
static void
curl_close(struct smtp_conn *c)
{
	long wait = c->cfg->timeout < QUIT_WAIT ? c->cfg->timeout : QUIT_WAIT;

	curl_easy_setopt(c->curl, CURLOPT_SERVER_RESPONSE_TIMEOUT, wait);
	curl_easy_setopt(c->curl, CURLOPT_URL, NULL);
	(void)curl_easy_perform(c->curl);
	curl_easy_cleanup(c->curl);	/* sends QUIT */
	free(c->url);
	free(c->shown);
}

const struct smtp_backend smtp_curl_backend = {
	"smtp", curl_open, curl_send, curl_check, curl_close,
};

/* Maildir */

static atomic_ulong maildir_seq;

static struct smtp_conn *
maildir_open(const struct config *cfg)
{
	struct smtp_conn *c;
	char *cur;

	c = xcalloc(1, sizeof(*c));
	c->cfg = cfg;
	c->tmp = path_join(cfg->maildir, "tmp");
	c->new = path_join(cfg->maildir, "new");
	cur = path_join(cfg->maildir, "cur");
	if (mkdir_p(c->tmp, 0700) < 0 || mkdir_p(c->new, 0700) < 0 ||
	    mkdir_p(cur, 0700) < 0) {
		free(cur);
		free(c->tmp);
		free(c->new);
		free(c);
		return NULL;
	}
	free(cur);
	return c;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return ERR_FAIL;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
maildir_send(struct smtp_conn *c, const char *from, const char *rcpt,
    const char *msg, size_t len, struct smtp_result *r)
{
	char name[128], host[64], *tmp, *new, *head;
	int fd, ok;

	memset(r, 0, sizeof(*r));
	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(name, sizeof(name), "%lld.P%dQ%lu.%s", (long long)time(NULL),
	    (int)getpid(), atomic_fetch_add(&maildir_seq, 1), host);
	tmp = path_join(c->tmp, name);
	new = path_join(c->new, name);
	head = xasprintf("Return-Path: <%s>\r\nDelivered-To: %s\r\n", from,
	    rcpt);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ok = fd >= 0 && write_all(fd, head, strlen(head)) == 0 &&
	    write_all(fd, msg, len) == 0 && fsync(fd) == 0;
	if (fd >= 0 && close(fd) < 0)
		ok = 0;
	if (ok && c->gate && c->gate(c->gate_arg) != 0) {
		unlink(tmp);
		r->err = ERR_TEMP;
		snprintf(r->reply, sizeof(r->reply), "not delivered: stopped");
		goto out;
	}
	if (ok && rename(tmp, new) < 0)
		ok = 0;
	if (ok) {
		r->code = 250;
		snprintf(r->reply, sizeof(r->reply), "250 delivered to %s",
		    name);
	} else {
		/* The folder, not the file: the same for every message. */
		snprintf(r->reply, sizeof(r->reply), "cannot write into '%s': "
		    "%s", c->tmp, strerror(errno));
		unlink(tmp);
		r->err = ERR_TEMP;
		r->unreachable = 1;
	}
out:
	free(head);
	free(tmp);
	free(new);
	return r->err;
}

static int
maildir_check(const struct config *cfg, struct smtp_result *r)
{
	struct smtp_conn *c = maildir_open(cfg);

	memset(r, 0, sizeof(*r));
	if (c == NULL) {
		r->err = ERR_TEMP;
		snprintf(r->reply, sizeof(r->reply), "cannot create '%s'",
		    cfg->maildir);
		return r->err;
	}
	snprintf(r->reply, sizeof(r->reply), "maildir '%s' is writable",
	    cfg->maildir);
	c->be = &smtp_maildir_backend;
	smtp_close(c);
	return 0;
}

static void
maildir_close(struct smtp_conn *c)
{
	free(c->tmp);
	free(c->new);
}

const struct smtp_backend smtp_maildir_backend = {
	"maildir", maildir_open, maildir_send, maildir_check, maildir_close,
};

/* Front end */

const struct smtp_backend *
smtp_backend(const struct config *cfg)
{
	return cfg->maildir ? &smtp_maildir_backend : &smtp_curl_backend;
}

struct smtp_conn *
smtp_open(const struct config *cfg)
{
	return smtp_open_with(smtp_backend(cfg), cfg);
}

struct smtp_conn *
smtp_open_with(const struct smtp_backend *be, const struct config *cfg)
{
	struct smtp_conn *c = be->open(cfg);

	if (c)
		c->be = be;
	return c;
}

struct smtp_conn *
smtp_conn_new(const struct config *cfg)
{
	struct smtp_conn *c = xcalloc(1, sizeof(*c));

	c->cfg = cfg;
	return c;
}

void **
smtp_conn_data(struct smtp_conn *c)
{
	return &c->data;
}

int
smtp_handover(struct smtp_conn *c)
{
	if (c->early)
		c->early(c->gate_arg);
	return c->gate ? c->gate(c->gate_arg) : 0;
}

int
smtp_send(struct smtp_conn *c, const char *from, const char *rcpt,
    const char *msg, size_t len, struct smtp_result *r)
{
	return c->be->send(c, from, rcpt, msg, len, r);
}

int
smtp_deliver(struct smtp_conn **conn, const struct config *cfg,
    const char *rcpt, const char *msg, size_t len, struct smtp_result *r)
{
	memset(r, 0, sizeof(*r));
	if (*conn == NULL && (*conn = smtp_open(cfg)) == NULL) {
		r->err = ERR_TEMP;
		r->unreachable = 1;
		(void)snprintf(r->reply, sizeof(r->reply),
		    "cannot set up the transport");
		return r->err;
	}
	smtp_send(*conn, cfg->envelope_from, rcpt, msg, len, r);
	if (r->err == ERR_TEMP && r->reconnect)
		smtp_send(*conn, cfg->envelope_from, rcpt, msg, len, r);
	return r->err;
}

void
smtp_set_gate(struct smtp_conn *c, int (*gate)(void *), void (*early)(void *),
    void *arg)
{
	c->gate = gate;
	c->early = early;
	c->gate_arg = arg;
}

int
smtp_check(const struct config *cfg, struct smtp_result *r)
{
	return smtp_backend(cfg)->check(cfg, r);
}

void
smtp_close(struct smtp_conn *c)
{
	if (c == NULL)
		return;
	if (c->be)
		c->be->close(c);
	free(c);
}
