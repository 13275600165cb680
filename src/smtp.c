/*
 * smtp.c - transports: libcurl SMTP with one reused easy handle per
 * connection (curl docs/examples/smtp-tls.c), and a local Maildir
 * (mblaze mdeliver.c: tmp, fsync, rename into new).
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
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

struct smtp_conn {
	const struct smtp_backend *be;
	const struct config *cfg;
	/* curl */
	CURL		*curl;
	char		*url;
	char		 errbuf[CURL_ERROR_SIZE];
	char		 last[SMTP_REPLY_MAX];	/* last server reply line */
	int		 nlines;		/* server lines this transfer */
	int		 fresh;			/* next transfer reconnects */
	int		(*gate)(void *);	/* see smtp_set_gate() */
	void		*gate_arg;
	/* maildir */
	char		*tmp, *new;
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
smtp_classify(struct smtp_result *r, int code, const char *text)
{
	const char *p = text;

	r->code = code;
	r->status[0] = '\0';
	r->rcpt_bad = 0;
	/* "550 5.1.1 ..." or "550-5.1.1 ...": pick up the RFC 3463 status. */
	if (strlen(p) > 4 && isdigit((unsigned char)p[0]))
		p += 4;
	if ((p[0] == '2' || p[0] == '4' || p[0] == '5') && p[1] == '.') {
		size_t n = strspn(p, "0123456789.");

		if (n < sizeof(r->status) && (p[n] == ' ' || p[n] == '\0')) {
			memcpy(r->status, p, n);
			r->status[n] = '\0';
		}
	}
	if (code >= 200 && code < 300)
		r->err = 0;
	else if (code >= 500 && code < 600) {
		r->err = ERR_PERM;
		r->rcpt_bad = strncmp(r->status, "5.1.", 4) == 0 ||
		    strcmp(r->status, "5.2.1") == 0 ||
		    (r->status[0] == '\0' && (code == 550 || code == 551 ||
		    code == 553));
	} else
		r->err = ERR_TEMP;
	r->reconnect = code == 421 || code < 400;
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
	 * libcurl ends the data once it has INFILESIZE bytes: hold the last
	 * byte back until the gate has passed.
	 */
	if (rd->c->gate && n > 0 && rd->pos + n == rd->len) {
		if (n > 1)
			n--;
		else if (rd->c->gate(rd->c->gate_arg) != 0)
			return CURL_READFUNC_ABORT;
	}
	memcpy(out, rd->data + rd->pos, n);
	rd->pos += n;
	return n;
}

/* Keep the server's last reply line; nothing we send (AUTH) is looked at. */
static int
debug_cb(CURL *h, curl_infotype type, char *data, size_t size, void *user)
{
	struct smtp_conn *c = user;

	(void)h;
	/* Not the reply to the QUIT libcurl sends after a failure. */
	if (type == CURLINFO_HEADER_IN && size >= 3 &&
	    strncmp(data, "221", 3) != 0) {
		copy_reply(c->last, sizeof(c->last), data, size);
		c->nlines++;
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
	if ((c->curl = curl_easy_init()) == NULL) {
		free(c->url);
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

/* Turn a finished transfer into r. */
static void
curl_result(struct smtp_conn *c, CURLcode rc, struct smtp_result *r)
{
	long code = 0, nconn = 0;

	memset(r, 0, sizeof(*r));
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(c->curl, CURLINFO_NUM_CONNECTS, &nconn);
	if (c->nlines > 0)
		code = strtol(c->last, NULL, 10);
	if (rc == CURLE_OK) {
		smtp_classify(r, code ? (int)code : 250, c->last);
		snprintf(r->reply, sizeof(r->reply), "%s", c->last);
		return;
	}
	if (connect_error(rc) || (nconn > 0 && c->nlines <= 1)) {
		/* No session: cannot connect, greeting refused, TLS, AUTH. */
		r->err = ERR_TEMP;
		r->code = c->nlines ? (int)code : 0;
		r->reconnect = 1;
		r->unreachable = 1;
	} else if (c->nlines > 0 && code >= 400 &&
	    rc != CURLE_OPERATION_TIMEDOUT)
		smtp_classify(r, (int)code, c->last);
	else {
		/* Dropped (retry at once) or stalled (not again now). */
		r->err = ERR_TEMP;
		r->code = 0;
		r->reconnect = rc != CURLE_OPERATION_TIMEDOUT;
	}
	if (r->code >= 400 && c->nlines > 0)
		snprintf(r->reply, sizeof(r->reply), "%s", c->last);
	else
		snprintf(r->reply, sizeof(r->reply), "%s",
		    c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc));
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
	c->errbuf[0] = '\0';
	c->last[0] = '\0';
	c->nlines = 0;
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
	rc = curl_easy_perform(c->curl);
	curl_result(c, rc, r);
	if (rc != CURLE_OK && r->err == 0)
		r->err = ERR_TEMP;
	c->be = &smtp_curl_backend;
	smtp_close(c);
	return r->err;
}

static void
curl_close(struct smtp_conn *c)
{
	curl_easy_cleanup(c->curl);	/* sends QUIT */
	free(c->url);
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
		snprintf(r->reply, sizeof(r->reply), "cannot write '%s': %s",
		    tmp, strerror(errno));
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
	const struct smtp_backend *be = smtp_backend(cfg);
	struct smtp_conn *c = be->open(cfg);

	if (c)
		c->be = be;
	return c;
}

int
smtp_send(struct smtp_conn *c, const char *from, const char *rcpt,
    const char *msg, size_t len, struct smtp_result *r)
{
	return c->be->send(c, from, rcpt, msg, len, r);
}

void
smtp_set_gate(struct smtp_conn *c, int (*gate)(void *), void *arg)
{
	c->gate = gate;
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
