/*
 * mailbox.c - bounce sources: one message file, a Maildir (libetpan
 * maildir.h), an mbox file (libetpan mailmbox.h), an IMAP folder or a POP3
 * mailbox (libcurl, verified TLS as in smtp.c).
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libetpan/libetpan.h>
#include <nettle/base16.h>
#include <nettle/sha2.h>

#include "bounce.h"
#include "buf.h"
#include "dripmail.h"
#include "log.h"
#include "mailbox.h"
#include "net.h"
#include "util.h"
#include "xmalloc.h"

struct each {
	mailbox_fn	 fn;
	void		*arg;
	int		*unreadable;
};

static void
msg_key(struct mailbox_msg *m)
{
	struct sha256_ctx ctx;
	unsigned char d[SHA256_DIGEST_SIZE];

	sha256_init(&ctx);
	sha256_update(&ctx, m->len, (const uint8_t *)m->data);
	sha256_digest(&ctx, sizeof(d), d);
	memcpy(m->key, "sha256:", 7);
	base16_encode_update(m->key + 7, sizeof(d), d);
	m->key[7 + BASE16_ENCODE_LENGTH(sizeof(d))] = '\0';
}

/* Hand one message to the callback; its answer. */
static int
deliver(struct each *e, const char *name, const char *data, size_t len,
    int keyed)
{
	struct mailbox_msg m;

	memset(&m, 0, sizeof(m));
	m.name = name;
	m.data = data;
	m.len = len > BOUNCE_MAX_SIZE ? BOUNCE_MAX_SIZE : len;
	m.keyed = keyed;
	msg_key(&m);
	return e->fn(e->arg, &m);
}

static void
unreadable(struct each *e, const char *name, const char *why)
{
	log_warnx("bounces: cannot read '%s': %s; left in place", name, why);
	(*e->unreadable)++;
}

/* The first BOUNCE_MAX_SIZE bytes of a file (allocated), or ERR_FAIL. */
static int
read_capped(const char *path, char **data, size_t *len)
{
	struct buf b;
	char chunk[65536];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW)) == -1)
		return ERR_FAIL;
	buf_init(&b, BOUNCE_MAX_SIZE);
	while (b.len < BOUNCE_MAX_SIZE &&
	    (n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			buf_release(&b);
			close(fd);
			return ERR_FAIL;
		}
		if ((size_t)n > BOUNCE_MAX_SIZE - b.len)
			n = (ssize_t)(BOUNCE_MAX_SIZE - b.len);
		(void)buf_add(&b, chunk, (size_t)n);
	}
	close(fd);
	*data = buf_detach(&b, len);
	return 0;
}

/* ---- one file ---- */

static int
each_file(const char *path, struct each *e)
{
	char *data;
	size_t len;
	int ret;

	if (read_capped(path, &data, &len) < 0) {
		unreadable(e, path, strerror(errno));
		return 0;
	}
	ret = deliver(e, path, data, len, 1);
	free(data);
	return ret < 0 ? ret : 0;
}

/* ---- mbox ---- */

static int
each_mbox(const char *path, struct each *e)
{
	struct mailmbox_folder *f = NULL;
	int r, ret = 0;

	r = mailmbox_init(path, 1, 1, 0, &f);
	if (r != MAILMBOX_NO_ERROR) {
		log_warnx("bounces: cannot read mbox '%s' (libetpan error %d)",
		    path, r);
		return ERR_FAIL;
	}
	for (unsigned int i = 0; i < carray_count(f->mb_tab) && ret >= 0;
	    i++) {
		struct mailmbox_msg_info *info = carray_get(f->mb_tab, i);
		char *data = NULL, *name;
		size_t len = 0;

		if (info == NULL || info->msg_deleted)
			continue;
		name = xasprintf("%s:%u", path, i + 1);
		if (mailmbox_fetch_msg(f, info->msg_uid, &data, &len) !=
		    MAILMBOX_NO_ERROR)
			unreadable(e, name, "mbox message");
		else {
			r = deliver(e, name, data, len, 1);
			mailmbox_fetch_result_free(data);
			if (r < 0)
				ret = r;
		}
		free(name);
	}
	mailmbox_done(f);
	return ret;
}

/* ---- Maildir ---- */

/* Move an applied message into the Maildir done, under cur/ with S. */
static int
maildir_move_done(const char *file, const char *done)
{
	const char *base = strrchr(file, '/');
	char *dir, *dst, *colon;
	int ret = 0;

	base = base ? base + 1 : file;
	for (size_t i = 0; i < 3; i++) {
		static const char *const sub[] = { "cur", "new", "tmp" };

		dir = xasprintf("%s/%s", done, sub[i]);
		if (mkdir_p(dir, 0700) < 0)
			ret = ERR_FAIL;
		free(dir);
	}
	if (ret < 0)
		return ret;
	dst = xasprintf("%s/cur/%s", done, base);
	colon = strrchr(dst, ':');
	if (colon == NULL || strncmp(colon, ":2,", 3) != 0) {
		char *t = xasprintf("%s:2,S", dst);

		free(dst);
		dst = t;
	} else if (strchr(colon, 'S') == NULL) {
		char *t = xasprintf("%sS", dst);	/* flags stay sorted */

		free(dst);
		dst = t;
	}
	if (rename(file, dst) == -1) {
		log_warn("bounces: cannot move '%s' to '%s'", file, dst);
		ret = ERR_FAIL;
	}
	free(dst);
	return ret;
}

static int
maildir_mark(struct maildir *md, struct maildir_msg *mm, const char *file,
    const struct mailbox_opts *o)
{
	if (o->done_dir)
		return maildir_move_done(file, o->done_dir);
	if (maildir_message_change_flags(md, mm->msg_uid,
	    (mm->msg_flags & ~MAILDIR_FLAG_NEW) | MAILDIR_FLAG_SEEN) !=
	    MAILDIR_NO_ERROR) {
		log_warnx("bounces: cannot flag '%s' as seen", file);
		return ERR_FAIL;
	}
	return 0;
}

static int
each_maildir(const char *path, const struct mailbox_opts *o, struct each *e)
{
	struct maildir *md;
	carray *todo;
	int r, ret = 0;

	if ((md = maildir_new(path)) == NULL)
		fatalx("out of memory");
	if ((r = maildir_update(md)) != MAILDIR_NO_ERROR) {
		log_warnx("bounces: cannot read Maildir '%s' (libetpan error "
		    "%d)", path, r);
		maildir_free(md);
		return ERR_FAIL;
	}
	/* the list changes as messages move: take the uids first */
	todo = carray_new(16);
	for (unsigned int i = 0; i < carray_count(md->mdir_msg_list); i++) {
		struct maildir_msg *mm = carray_get(md->mdir_msg_list, i);

		if (!(mm->msg_flags & MAILDIR_FLAG_SEEN))
			carray_add(todo, xstrdup(mm->msg_uid), NULL);
	}
	for (unsigned int i = 0; i < carray_count(todo); i++) {
		char *uid = carray_get(todo, i), *file, *data;
		struct maildir_msg *mm;
		size_t len;
		chashdatum k, v;

		k.data = uid;
		k.len = (unsigned int)strlen(uid);
		file = maildir_message_get(md, uid);
		if (ret < 0 || file == NULL ||
		    chash_get(md->mdir_msg_hash, &k, &v) < 0) {
			free(file);
			free(uid);
			continue;
		}
		mm = v.data;
		if (read_capped(file, &data, &len) < 0)
			unreadable(e, file, strerror(errno));
		else {
			r = deliver(e, file, data, len, 0);
			free(data);
			if (r < 0)
				ret = r;
			else if (r > 0 && !o->dry_run &&
			    maildir_mark(md, mm, file, o) < 0)
				ret = ERR_FAIL;
		}
		free(file);
		free(uid);
	}
	carray_free(todo);
	maildir_free(md);
	return ret;
}

/* ---- IMAP and POP3, through libcurl ---- */

#define NET_CONNECT_TIMEOUT	30L	/* seconds to connect */
#define NET_REPLY_TIMEOUT	60L	/* seconds to wait for any reply */
#define NET_TIMEOUT		300L	/* seconds for any one transfer */
#define IMAP_MARK_BATCH		100	/* UIDs flagged by one STORE */
#define NET_LINE_MAX		160	/* server line kept for messages */

static const struct scheme {
	const char	*name;
	uint16_t	 port;
	int		 pop3;
} schemes[] = {
	{ "imap", 143, 0 },
	{ "imaps", 993, 0 },
	{ "pop3", 110, 1 },
	{ "pop3s", 995, 1 },
};

struct remote {
	const char	*source;	/* the URL as given, for messages */
	const struct scheme *sch;
	char		*user;		/* decoded */
	char		*host;
	char		*folder;	/* IMAP, decoded; NULL for POP3 */
	uint16_t	 port;
	char		*url;		/* scheme://host:port/[folder] */
	char		*quoted;	/* IMAP: the folder, quoted */
	CURL		*h;
	int		 may_connect;	/* a new connection allowed now */
	int		 connected;	/* a transfer has run */
	int		 unsure;	/* the last failed: session gone? */
	int		 failed;	/* the session is over, reason logged */
	int		 readonly;	/* IMAP: the folder is EXAMINEd */
	int		 closing;	/* LOGOUT or QUIT sent */
	char		 verb[16];	/* last command sent, no arguments */
	char		 last[NET_LINE_MAX];	/* the last server line */
	char		 errbuf[CURL_ERROR_SIZE];
	struct buf	 body;		/* what the last transfer returned */
};

static void
remote_release(struct remote *r)
{
	if (r->h)
		curl_easy_cleanup(r->h);	/* LOGOUT or QUIT */
	free(r->user);
	free(r->host);
	free(r->folder);
	free(r->url);
	free(r->quoted);
	buf_release(&r->body);
}

/* Percent-decode n bytes (allocated); NULL on a bad escape or control. */
static char *
pct_decode(const char *s, size_t n)
{
	char *out = xmalloc(n + 1), *p = out;

	for (size_t i = 0; i < n; i++) {
		unsigned int c = (unsigned char)s[i];

		if (c == '%') {
			char hex[3];

			if (i + 2 >= n || !isxdigit((unsigned char)s[i + 1]) ||
			    !isxdigit((unsigned char)s[i + 2]))
				goto bad;
			hex[0] = s[i + 1];
			hex[1] = s[i + 2];
			hex[2] = '\0';
			c = (unsigned int)strtoul(hex, NULL, 16);
			i += 2;
		}
		if (c < 0x20 || c == 0x7f)
			goto bad;
		*p++ = (char)c;
	}
	*p = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

static const struct scheme *
scheme_of(const char *url)
{
	const char *sep = strstr(url, "://");

	for (size_t i = 0; sep && i < ARRAY_SIZE(schemes); i++)
		if (strlen(schemes[i].name) == (size_t)(sep - url) &&
		    strncmp(url, schemes[i].name, (size_t)(sep - url)) == 0)
			return &schemes[i];
	return NULL;
}

/* A host name or IPv4 address, nothing a URL could read otherwise. */
static int
host_valid(const char *h)
{
	if (*h == '\0')
		return 0;
	for (; *h; h++)
		if (!isalnum((unsigned char)*h) && *h != '.' && *h != '-' &&
		    *h != '_')
			return 0;
	return 1;
}

/* SCHEME://USER@HOST[:PORT][/FOLDER] into r; 0 or ERR_FAIL (logged). */
static int
remote_parse(const char *url, struct remote *r)
{
	const char *p, *at, *slash, *colon, *hend;
	long port;

	r->sch = scheme_of(url);
	p = strstr(url, "://") + 3;
	slash = strchr(p, '/');
	hend = slash ? slash : p + strlen(p);
	at = memchr(p, '@', (size_t)(hend - p));
	if (at == NULL) {
		log_warnx("bounces: '%s': expected %s://USER@HOST%s", url,
		    r->sch->name, r->sch->pop3 ? "" : "/FOLDER");
		return ERR_FAIL;
	}
	if (memchr(p, ':', (size_t)(at - p)) != NULL) {
		log_warnx("bounces: no password in the URL, please: use "
		    "[bounces] password_file or DRIPMAIL_IMAP_PASSWORD");
		return ERR_FAIL;
	}
	r->user = pct_decode(p, (size_t)(strcspn(p, ";@")));
	colon = memchr(at + 1, ':', (size_t)(hend - at - 1));
	r->host = xstrndup(at + 1, (size_t)((colon ? colon : hend) - at - 1));
	r->port = r->sch->port;
	if (colon) {
		char *end;

		port = strtol(colon + 1, &end, 10);
		if (end != hend || port < 1 || port > 65535) {
			log_warnx("bounces: '%s': bad port", url);
			return ERR_FAIL;
		}
		r->port = (uint16_t)port;
	}
	if (r->sch->pop3 && slash && slash[1]) {
		log_warnx("bounces: '%s': POP3 has no folders", url);
		return ERR_FAIL;
	}
	if (!r->sch->pop3)
		r->folder = slash && slash[1] ? pct_decode(slash + 1,
		    strlen(slash + 1)) : xstrdup("INBOX");
	if (r->user == NULL || *r->user == '\0' || !host_valid(r->host) ||
	    (!r->sch->pop3 && (r->folder == NULL || *r->folder == '\0'))) {
		log_warnx("bounces: '%s': bad user, host or folder", url);
		return ERR_FAIL;
	}
	return 0;
}

/*
 * An IMAP quoted string for a custom command (allocated).  libcurl
 * percent-decodes custom commands, so '%' goes as "%25".
 */
static char *
imap_quote(const char *s)
{
	struct buf b;

	buf_init(&b, BUF_NOLIMIT);
	buf_addch(&b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_addch(&b, '\\');
		if (*s == '%')
			buf_addstr(&b, "%25");
		else
			buf_addch(&b, *s);
	}
	buf_addch(&b, '"');
	return buf_detach(&b, NULL);
}

static size_t
write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct remote *r = arg;
	size_t n = size * nmemb, room = BOUNCE_MAX_SIZE - r->body.len;

	/* Past the cap the rest is read and dropped: the session goes on. */
	(void)buf_add(&r->body, data, n < room ? n : room);
	return n;
}

/* One connection a session; a new one only where a transfer allows it. */
static curl_socket_t
opensocket_cb(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct remote *r = arg;

	(void)purpose;
	if (!r->may_connect)
		return CURL_SOCKET_BAD;
	return socket(a->family, a->socktype, a->protocol);
}

/*
 * Keep the verb of each command sent (never its arguments: LOGIN carries
 * the password) and the last line the server sent, for messages.
 */
static int
debug_cb(CURL *h, curl_infotype type, char *data, size_t size, void *arg)
{
	static const char *const verbs[] = { "SELECT", "EXAMINE", "UID",
	    "LIST", "RETR", "DELE", "CAPABILITY", "CAPA", "LOGIN",
	    "AUTHENTICATE", "USER", "PASS", "AUTH", "STARTTLS", "STLS" };
	struct remote *r = arg;
	size_t i = 0, n;

	(void)h;
	if (type == CURLINFO_HEADER_OUT) {
		if (!r->sch->pop3)	/* skip the tag */
			while (i < size && data[i++] != ' ')
				;
		n = strspn(data + i, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
		/* libcurl says goodbye after a failure: keep its reason */
		if ((n == 6 && memcmp(data + i, "LOGOUT", n) == 0) ||
		    (n == 4 && memcmp(data + i, "QUIT", n) == 0))
			r->closing = 1;
		for (size_t v = 0; v < ARRAY_SIZE(verbs); v++)
			if (strlen(verbs[v]) == n &&
			    memcmp(data + i, verbs[v], n) == 0)
				snprintf(r->verb, sizeof(r->verb), "%s",
				    verbs[v]);
	} else if (type == CURLINFO_HEADER_IN && !r->closing) {
		if (!r->sch->pop3 && size > 0 && data[0] != '*' &&
		    data[0] != '+')
			while (i < size && data[i++] != ' ')
				;
		for (n = 0; i < size && n + 1 < sizeof(r->last) &&
		    data[i] != '\r' && data[i] != '\n'; i++)
			r->last[n++] = (unsigned char)data[i] < 0x20 ||
			    data[i] == 0x7f ? '?' : data[i];
		r->last[n] = '\0';
	}
	return 0;
}

static void
remote_open(struct remote *r, const struct mailbox_opts *o)
{
	char *esc = NULL;

	net_init();
	if ((r->h = curl_easy_init()) == NULL)
		fatalx("out of memory");
	if (r->folder) {
		if ((esc = curl_easy_escape(r->h, r->folder, 0)) == NULL)
			fatalx("out of memory");
		r->quoted = imap_quote(r->folder);
	}
	r->url = xasprintf("%s://%s:%u/%s", r->sch->name, r->host,
	    (unsigned int)r->port, esc ? esc : "");
	curl_free(esc);
	buf_init(&r->body, BOUNCE_MAX_SIZE);
	curl_easy_setopt(r->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(r->h, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(r->h, CURLOPT_CONNECTTIMEOUT, NET_CONNECT_TIMEOUT);
	curl_easy_setopt(r->h, CURLOPT_SERVER_RESPONSE_TIMEOUT,
	    NET_REPLY_TIMEOUT);
	curl_easy_setopt(r->h, CURLOPT_TIMEOUT, NET_TIMEOUT);
	net_tls(r->h, o->tls, o->ca_file);
	curl_easy_setopt(r->h, CURLOPT_USERNAME, r->user);
	curl_easy_setopt(r->h, CURLOPT_PASSWORD, o->password);
	curl_easy_setopt(r->h, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(r->h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(r->h, CURLOPT_OPENSOCKETFUNCTION, opensocket_cb);
	curl_easy_setopt(r->h, CURLOPT_OPENSOCKETDATA, r);
	/* VERBOSE only feeds debug_cb, which keeps no argument we send. */
	curl_easy_setopt(r->h, CURLOPT_DEBUGFUNCTION, debug_cb);
	curl_easy_setopt(r->h, CURLOPT_DEBUGDATA, r);
	curl_easy_setopt(r->h, CURLOPT_VERBOSE, 1L);
}

/*
 * One transfer on url (borrowed), with a custom command or NULL; a new
 * connection (with a new login) only when may_connect.
 */
static CURLcode
remote_do(struct remote *r, const char *url, const char *custom,
    int may_connect)
{
	CURLcode rc;

	buf_reset(&r->body);
	r->errbuf[0] = '\0';
	r->last[0] = '\0';
	r->closing = 0;
	r->may_connect = may_connect || !r->connected;
	curl_easy_setopt(r->h, CURLOPT_URL, url);
	curl_easy_setopt(r->h, CURLOPT_CUSTOMREQUEST, custom);
	/* POP3 DELE has no body to wait for */
	curl_easy_setopt(r->h, CURLOPT_NOBODY, (long)(custom != NULL &&
	    r->sch->pop3));
	rc = curl_easy_perform(r->h);
	r->connected = 1;
	r->unsure = rc != CURLE_OK;
	return rc;
}

/* Log the one reason a transfer failed; ERR_TEMP, ERR_FAIL for a folder. */
static int
remote_fail(struct remote *r, CURLcode rc)
{
	const char *src = r->source, *why = r->errbuf[0] ? r->errbuf :
	    curl_easy_strerror(rc);

	r->failed = 1;
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
		if (!r->may_connect)
			break;
		log_warnx("bounces: '%s': cannot connect to %s:%u: %s", src,
		    r->host, (unsigned int)r->port, why);
		return ERR_TEMP;
	case CURLE_USE_SSL_FAILED:
		log_warnx("bounces: '%s': the server offers no %s: not "
		    "logging in without TLS", src, r->sch->pop3 ? "STLS" :
		    "STARTTLS");
		return ERR_TEMP;
	case CURLE_PEER_FAILED_VERIFICATION:
		log_warnx("bounces: '%s': certificate not verified: %s", src,
		    why);
		return ERR_TEMP;
	case CURLE_SSL_CACERT_BADFILE:
		log_warnx("bounces: '%s': cannot read the CA file: %s", src,
		    why);
		return ERR_TEMP;
	case CURLE_SSL_CONNECT_ERROR:
		log_warnx("bounces: '%s': TLS failed: %s", src, why);
		return ERR_TEMP;
	case CURLE_LOGIN_DENIED:
		if (strcmp(r->verb, "SELECT") == 0 ||
		    strcmp(r->verb, "EXAMINE") == 0) {
			log_warnx("bounces: '%s': cannot select folder '%s': "
			    "%s", src, r->folder, r->last);
			return ERR_FAIL;
		}
		log_warnx("bounces: '%s': login refused: %s", src,
		    r->last[0] ? r->last : why);
		return ERR_TEMP;
	case CURLE_OPERATION_TIMEDOUT:
		log_warnx("bounces: '%s': timed out: %s", src, why);
		return ERR_TEMP;
	case CURLE_QUOTE_ERROR:
	case CURLE_REMOTE_FILE_NOT_FOUND:
		if (r->last[0] == '\0')
			break;
		log_warnx("bounces: '%s': the server refused %s: %s", src,
		    r->verb, r->last);
		return ERR_TEMP;
	default:
		break;
	}
	log_warnx("bounces: '%s': the server closed the connection (%s)", src,
	    why);
	return ERR_TEMP;
}

/* A fetch the server refused: that message is unreadable, not the box. */
static int
refused(CURLcode rc)
{
	return rc == CURLE_REMOTE_FILE_NOT_FOUND || rc == CURLE_QUOTE_ERROR ||
	    rc == CURLE_WEIRD_SERVER_REPLY;
}

/*
 * Fetch a message and hand it over: the callback's answer, 0 when the
 * server would not give it (reported), or ERR_*.
 */
static int
remote_deliver(struct remote *r, struct each *e, const char *url,
    const char *name, int may_connect)
{
	CURLcode rc = remote_do(r, url, NULL, may_connect);

	if (rc == CURLE_OK)
		return deliver(e, name, r->body.data, r->body.len, 0);
	if (!refused(rc))
		return remote_fail(r, rc);
	unreadable(e, name, r->last[0] ? r->last : curl_easy_strerror(rc));
	return 0;
}

/* The folder opened read-only, so that fetching sets no \Seen. */
static int
imap_examine(struct remote *r)
{
	char *cmd;
	CURLcode rc;

	if (r->readonly && !r->unsure)
		return 0;
	/* libcurl SELECTs the folder of the URL (again after a failure that
	 * cost the connection), then sends this. */
	cmd = xasprintf("EXAMINE %s", r->quoted);
	rc = remote_do(r, r->url, cmd, 1);
	free(cmd);
	if (rc != CURLE_OK)
		return remote_fail(r, rc);
	r->readonly = 1;
	return 0;
}

/* "* SEARCH 3 5 8" lines into an array of UIDs (allocated). */
static size_t
imap_uids(const char *body, uint32_t **uids)
{
	size_t n = 0, max = 0;
	const char *p = body;

	*uids = NULL;
	while ((p = strstr(p, "* SEARCH")) != NULL) {
		char *end;
		unsigned long v;

		p += 8;
		while (*p == ' ') {
			v = strtoul(p + 1, &end, 10);
			if (end == p + 1 || v == 0 || v > UINT32_MAX)
				break;
			if (n == max) {
				max = max ? max * 2 : 64;
				*uids = xreallocarray(*uids, max,
				    sizeof(**uids));
			}
			(*uids)[n++] = (uint32_t)v;
			p = end;
		}
	}
	return n;
}

/* Flag the applied UIDs in set (a,b,c) \Seen, or move them to done. */
static int
imap_mark(struct remote *r, struct buf *set, const char *done)
{
	char *q = NULL, *cmd[3];
	int ret = 0;

	if (set->len == 0)
		return 0;
	if (r->failed) {
		/* reason logged; the next run marks them (bounce_seen) */
		buf_reset(set);
		return ERR_TEMP;
	}
	if (done)
		q = imap_quote(done);
	cmd[0] = xasprintf("SELECT %s", r->quoted);
	cmd[1] = xasprintf("UID STORE %s +FLAGS.SILENT (\\Seen)", set->data);
	cmd[2] = done ? xasprintf("UID MOVE %s %s", set->data, q) : NULL;
	r->readonly = 0;
	for (int i = 0; i < 3 && cmd[i] && ret == 0; i++) {
		CURLcode rc = remote_do(r, r->url, cmd[i], 0);

		if (rc != CURLE_OK)
			ret = remote_fail(r, rc);
	}
	if (ret < 0)
		log_warnx("bounces: '%s': applied, not marked: UIDs %s",
		    r->source, set->data);
	for (int i = 0; i < 3; i++)
		free(cmd[i]);
	free(q);
	buf_reset(set);
	return ret;
}

static int
each_imap(struct remote *r, const struct mailbox_opts *o, struct each *e)
{
	struct buf set;
	uint32_t *uids = NULL;
	size_t n = 0, marks = 0;
	CURLcode rc;
	int ret;

	if ((ret = imap_examine(r)) < 0)
		return ret;
	if ((rc = remote_do(r, r->url, "UID SEARCH UNSEEN", 0)) != CURLE_OK)
		return remote_fail(r, rc);
	n = imap_uids(r->body.data, &uids);
	buf_init(&set, BUF_NOLIMIT);
	for (size_t i = 0; i < n && ret >= 0; i++) {
		char *url, *name;

		if ((ret = imap_examine(r)) < 0)
			break;
		url = xasprintf("%s/;UID=%u;PARTIAL=0.%u", r->url,
		    (unsigned int)uids[i], (unsigned int)BOUNCE_MAX_SIZE);
		name = xasprintf("%s;UID=%u", r->source,
		    (unsigned int)uids[i]);
		ret = remote_deliver(r, e, url, name, 0);
		if (ret > 0 && !o->dry_run) {
			buf_printf(&set, "%s%u", set.len ? "," : "",
			    (unsigned int)uids[i]);
			if (++marks % IMAP_MARK_BATCH == 0)
				ret = imap_mark(r, &set, o->done_folder);
		}
		free(url);
		free(name);
	}
	/* After an error too: what was applied is marked if it still can. */
	if (imap_mark(r, &set, o->done_folder) < 0 && ret >= 0)
		ret = ERR_TEMP;
	buf_release(&set);
	free(uids);
	return ret < 0 ? ret : 0;
}

static int
each_pop3(struct remote *r, const struct mailbox_opts *o, struct each *e)
{
	unsigned long *nums = NULL;
	size_t n = 0, max = 0;
	const char *p;
	CURLcode rc;
	int ret = 0;

	if (o->done_folder) {
		log_warnx("bounces: '%s': POP3 has no folders: applied "
		    "messages are deleted, [bounces] done_folder cannot be "
		    "used", r->source);
		return ERR_FAIL;
	}
	if ((rc = remote_do(r, r->url, NULL, 1)) != CURLE_OK)	/* LIST */
		return remote_fail(r, rc);
	for (p = r->body.data; *p; p += strcspn(p, "\n"), p += *p != '\0') {
		unsigned long v = strtoul(p, NULL, 10);

		if (v == 0)
			continue;
		if (n == max) {
			max = max ? max * 2 : 64;
			nums = xreallocarray(nums, max, sizeof(*nums));
		}
		nums[n++] = v;
	}
	for (size_t i = 0; i < n && ret >= 0; i++) {
		char *url = xasprintf("%s%lu", r->url, nums[i]);
		char *name = xasprintf("%s/%lu", r->source, nums[i]);

		/* RETR; a new session (same numbers: nothing is deleted
		 * before QUIT) only after one the server refused */
		ret = remote_deliver(r, e, url, name, r->unsure);
		/* deleted at QUIT, so only if the session ends well */
		if (ret > 0 && !o->dry_run &&
		    (rc = remote_do(r, url, "DELE", 0)) != CURLE_OK)
			ret = remote_fail(r, rc);
		free(url);
		free(name);
	}
	free(nums);
	return ret < 0 ? ret : 0;
}

static int
each_remote(const char *url, const struct mailbox_opts *o, struct each *e)
{
	struct remote r;
	int ret;

	memset(&r, 0, sizeof(r));
	r.source = url;
	if (remote_parse(url, &r) < 0) {
		remote_release(&r);
		return ERR_FAIL;
	}
	if (o->password == NULL) {
		log_warnx("bounces: '%s': no password ([bounces] "
		    "password_file or DRIPMAIL_IMAP_PASSWORD)", url);
		remote_release(&r);
		return ERR_FAIL;
	}
	remote_open(&r, o);
	ret = r.sch->pop3 ? each_pop3(&r, o, e) : each_imap(&r, o, e);
	remote_release(&r);
	return ret;
}

/* ---- dispatch ---- */

int
mailbox_each(const char *source, const struct mailbox_opts *o,
    mailbox_fn fn, void *arg, int *nunreadable)
{
	struct each e = { fn, arg, nunreadable };
	struct stat st;
	char head[5];
	ssize_t n;
	int fd;

	*nunreadable = 0;
	if (scheme_of(source) != NULL)
		return each_remote(source, o, &e);
	if (strstr(source, "://") != NULL) {
		log_warnx("bounces: '%s': only imap://, imaps://, pop3:// and "
		    "pop3s:// URLs", source);
		return ERR_FAIL;
	}
	if (stat(source, &st) == -1) {
		log_warn("bounces: cannot open '%s'", source);
		return ERR_FAIL;
	}
	if (S_ISDIR(st.st_mode))
		return each_maildir(source, o, &e);
	if ((fd = open(source, O_RDONLY)) == -1) {
		log_warn("bounces: cannot open '%s'", source);
		return ERR_FAIL;
	}
	n = read(fd, head, sizeof(head));
	close(fd);
	if (n == (ssize_t)sizeof(head) && memcmp(head, "From ", 5) == 0)
		return each_mbox(source, &e);
	return each_file(source, &e);
}
