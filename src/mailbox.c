/*
 * mailbox.c - bounce sources through libetpan: one message file, a Maildir
 * (maildir.h), an mbox file (mailmbox.h), an IMAP folder (mailimap.h).
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libetpan/libetpan.h>
#include <nettle/base16.h>
#include <nettle/sha2.h>

#include "bounce.h"
#include "buf.h"
#include "dripmail.h"
#include "log.h"
#include "mailbox.h"
#include "util.h"
#include "xmalloc.h"

#define IMAP_TIMEOUT	30	/* seconds for any one IMAP exchange */

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

/* ---- IMAP ---- */

struct imap_url {
	int		 tls;
	char		*user;
	char		*host;
	char		*folder;
	uint16_t	 port;
};

static void
imap_url_release(struct imap_url *u)
{
	free(u->user);
	free(u->host);
	free(u->folder);
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

/* imap[s]://USER@HOST[:PORT][/FOLDER]; 0 or ERR_FAIL (logged). */
static int
imap_url_parse(const char *url, struct imap_url *u)
{
	const char *p, *at, *slash, *colon, *hend;
	long port;

	memset(u, 0, sizeof(*u));
	u->tls = strncmp(url, "imaps://", 8) == 0;
	p = url + (u->tls ? 8 : 7);
	slash = strchr(p, '/');
	hend = slash ? slash : p + strlen(p);
	at = memchr(p, '@', (size_t)(hend - p));
	if (at == NULL) {
		log_warnx("bounces: '%s': expected imap://USER@HOST/FOLDER",
		    url);
		return ERR_FAIL;
	}
	if (memchr(p, ':', (size_t)(at - p)) != NULL) {
		log_warnx("bounces: no password in the URL, please: use "
		    "[bounces] password_file or DRIPMAIL_IMAP_PASSWORD");
		return ERR_FAIL;
	}
	u->user = pct_decode(p, (size_t)(strcspn(p, ";@")));
	colon = memchr(at + 1, ':', (size_t)(hend - at - 1));
	u->host = xstrndup(at + 1, (size_t)((colon ? colon : hend) - at - 1));
	u->port = u->tls ? 993 : 143;
	if (colon) {
		char *end;

		port = strtol(colon + 1, &end, 10);
		if (end != hend || port < 1 || port > 65535) {
			log_warnx("bounces: '%s': bad port", url);
			goto bad;
		}
		u->port = (uint16_t)port;
	}
	u->folder = slash && slash[1] ? pct_decode(slash + 1,
	    strlen(slash + 1)) : xstrdup("INBOX");
	if (u->user == NULL || u->folder == NULL || *u->user == '\0' ||
	    *u->host == '\0') {
		log_warnx("bounces: '%s': bad user, host or folder", url);
		goto bad;
	}
	return 0;
bad:
	imap_url_release(u);
	return ERR_FAIL;
}

/* BODY.PEEK[]<0.BOUNCE_MAX_SIZE> of uid (allocated), or ERR_FAIL. */
static int
imap_fetch(mailimap *imap, uint32_t uid, char **data, size_t *len)
{
	struct mailimap_set *set = mailimap_set_new_single(uid);
	struct mailimap_fetch_type *ft =
	    mailimap_fetch_type_new_fetch_att_list_empty();
	clist *res = NULL;
	int r;

	*data = NULL;
	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_body_peek_section_partial(
	    mailimap_section_new(NULL), 0, BOUNCE_MAX_SIZE));
	r = mailimap_uid_fetch(imap, set, ft, &res);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR)
		return ERR_FAIL;
	for (clistiter *c = clist_begin(res); c && !*data; c = clist_next(c)) {
		struct mailimap_msg_att *ma = clist_content(c);

		for (clistiter *i = clist_begin(ma->att_list); i != NULL;
		    i = clist_next(i)) {
			struct mailimap_msg_att_item *it = clist_content(i);
			struct mailimap_msg_att_body_section *bs;

			if (it->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC ||
			    it->att_data.att_static->att_type !=
			    MAILIMAP_MSG_ATT_BODY_SECTION)
				continue;
			bs = it->att_data.att_static->att_data.
			    att_body_section;
			*len = bs->sec_body_part ? bs->sec_length : 0;
			*data = xmalloc(*len + 1);
			memcpy(*data, bs->sec_body_part ? bs->sec_body_part :
			    "", *len);
			(*data)[*len] = '\0';
			break;
		}
	}
	mailimap_fetch_list_free(res);
	return *data ? 0 : ERR_FAIL;
}

/* Flag uid \Seen, or move it to done. */
static int
imap_mark(mailimap *imap, uint32_t uid, const char *done)
{
	struct mailimap_set *set = mailimap_set_new_single(uid);
	struct mailimap_flag_list *fl;
	struct mailimap_store_att_flags *sa;
	int r;

	fl = mailimap_flag_list_new_empty();
	mailimap_flag_list_add(fl, mailimap_flag_new_seen());
	sa = mailimap_store_att_flags_new_add_flags_silent(fl);
	r = mailimap_uid_store(imap, set, sa);
	mailimap_store_att_flags_free(sa);
	if (r == MAILIMAP_NO_ERROR && done != NULL)
		r = mailimap_uid_move(imap, set, done);
	mailimap_set_free(set);
	return r == MAILIMAP_NO_ERROR ? 0 : ERR_FAIL;
}

static struct mailimap_search_key *
search_unseen(void)
{
	return mailimap_search_key_new(MAILIMAP_SEARCH_KEY_UNSEEN, NULL,
	    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	    NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL,
	    NULL);
}

static int
imap_session(mailimap *imap, const struct imap_url *u, const char *url,
    const struct mailbox_opts *o)
{
	int r;

	mailimap_set_timeout(imap, IMAP_TIMEOUT);
	r = u->tls ? mailimap_ssl_connect(imap, u->host, u->port) :
	    mailimap_socket_connect(imap, u->host, u->port);
	if (r != MAILIMAP_NO_ERROR_AUTHENTICATED &&
	    r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED) {
		log_warnx("bounces: cannot connect to %s:%u for '%s'",
		    u->host, u->port, url);
		return ERR_TEMP;
	}
	if (o->password == NULL) {
		log_warnx("bounces: '%s': no password ([bounces] "
		    "password_file or DRIPMAIL_IMAP_PASSWORD)", url);
		return ERR_FAIL;
	}
	if (mailimap_login(imap, u->user, o->password) != MAILIMAP_NO_ERROR) {
		log_warnx("bounces: '%s': login refused", url);
		return ERR_FAIL;
	}
	if (mailimap_select(imap, u->folder) != MAILIMAP_NO_ERROR) {
		log_warnx("bounces: '%s': cannot select folder '%s'", url,
		    u->folder);
		return ERR_FAIL;
	}
	return 0;
}

static int
each_imap(const char *url, const struct mailbox_opts *o, struct each *e)
{
	struct imap_url u;
	struct mailimap_search_key *key;
	mailimap *imap;
	clist *found = NULL;
	int r, ret;

	if (imap_url_parse(url, &u) < 0)
		return ERR_FAIL;
	if ((imap = mailimap_new(0, NULL)) == NULL)
		fatalx("out of memory");
	ret = imap_session(imap, &u, url, o);
	if (ret == 0) {
		key = search_unseen();
		r = mailimap_uid_search(imap, NULL, key, &found);
		mailimap_search_key_free(key);
		if (r != MAILIMAP_NO_ERROR) {
			log_warnx("bounces: '%s': search failed", url);
			ret = ERR_TEMP;
		}
	}
	for (clistiter *c = ret == 0 ? clist_begin(found) : NULL;
	    c != NULL && ret >= 0; c = clist_next(c)) {
		uint32_t uid = *(uint32_t *)clist_content(c);
		char *name = xasprintf("%s;UID=%u", url, uid), *data;
		size_t len;

		if (imap_fetch(imap, uid, &data, &len) < 0)
			unreadable(e, name, "IMAP fetch failed");
		else {
			r = deliver(e, name, data, len, 0);
			free(data);
			if (r < 0)
				ret = r;
			else if (r > 0 && !o->dry_run &&
			    imap_mark(imap, uid, o->done_folder) < 0) {
				log_warnx("bounces: cannot mark '%s'", name);
				ret = ERR_FAIL;
			}
		}
		free(name);
	}
	if (found)
		mailimap_search_result_free(found);
	if (imap->imap_stream != NULL)
		mailimap_logout(imap);
	mailimap_free(imap);
	imap_url_release(&u);
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
	if (strncmp(source, "imap://", 7) == 0 ||
	    strncmp(source, "imaps://", 8) == 0)
		return each_imap(source, o, &e);
	if (strstr(source, "://") != NULL) {
		log_warnx("bounces: '%s': only imap:// and imaps:// URLs",
		    source);
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
