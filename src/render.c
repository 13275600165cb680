/*
 * render.c - the course: every lesson and notification, parsed, converted
 * from Markdown and compiled into Mustache templates once at load; then
 * one finished message per recipient.
 *
 * Thread safety: after course_load() the course is never written again.
 * render_message() reads it and builds everything else (the JSON data,
 * buffers, libetpan structures) per call; compiled templates are immutable
 * (mustache.h) and jansson's reference counts are atomic (2.14), so several
 * threads may render from one course at once.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <nettle/base16.h>
#include <nettle/hmac.h>

#include "dkim.h"
#include "dripmail.h"
#include "lesson.h"
#include "log.h"
#include "markdown.h"
#include "message.h"
#include "mustache.h"
#include "render.h"
#include "token.h"
#include "tz.h"
#include "util.h"
#include "xmalloc.h"

#define PART_MAX	(1024 * 1024)	/* one rendered part */
#define HASH_LEN	8		/* bytes of HMAC in a Message-ID */

struct msg {
	struct lesson_file f;		/* f.l is the lesson handed out */
	struct mustache	*raw;		/* the Markdown itself, for check */
	struct mustache	*subject, *preheader, *html, *text;
};

struct course {
	struct msg	*msgs;
	int		 nmsgs;
	struct msg	**days;		/* [day - 1] */
	int		 ndays;
	struct msg	**notices;
	int		 nnotices;
	struct mustache	*layout_html, *layout_text;
	char		*layout_path[2];
	unsigned char	*key;
	size_t		 keylen;
	struct dkim	*dkim;		/* NULL: messages are not signed */
};

/* The names templates may use (check reports any other). */
static const char *const known_names[] = {
	"course_name", "course_id", "subject", "preheader", "content",
	"first_name", "email", "day", "total_days", "base_url",
	"unsubscribe_url", "postal_address", "is_test", "first_lesson_at",
	NULL,
};

static const char *
domain_of(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at ? at + 1 : addr;
}

/* "N:" at *s: N, and *s past the colon; 0 when there is none. */
static long
line_prefix(const char **s)
{
	char *end;
	long line;

	errno = 0;
	line = strtol(*s, &end, 10);
	if (end == *s || *end != ':' || errno != 0 || line < 1)
		return 0;
	*s = end + 1;
	return line;
}

/*
 * Log a compile error "N: reason" as "path:LINE: reason", LINE shifted by
 * off; one inside a partial ("N: partial 'x': M: reason", nested or not)
 * names the partial's own file and line, and where it was included.
 */
static void
compile_error(const char *path, int off, const char *err,
    const char *partials)
{
	const char *p = err, *q, *name = NULL;
	long line, pline = 0;
	size_t namelen = 0;
	char *file;

	if ((line = line_prefix(&p)) == 0) {
		log_warnx("%s:%s", path, err);
		return;
	}
	if (off > 0)
		line += off - 1;
	while (strncmp(p, " partial '", 10) == 0 &&
	    (q = strchr(p + 10, '\'')) != NULL && q[1] == ':') {
		const char *r = q + 2;
		long l;

		if ((l = line_prefix(&r)) == 0)
			break;
		name = p + 10;
		namelen = (size_t)(q - name);
		pline = l;
		p = r;
	}
	if (name == NULL) {
		log_warnx("%s:%ld:%s", path, line, p);
		return;
	}
	file = xasprintf("%s/%.*s.mustache", partials, (int)namelen, name);
	log_warnx("%s:%ld:%s (included from %s:%ld)", file, pline, p, path,
	    line);
	free(file);
}

/* Compile; on error log where (compile_error()). */
static struct mustache *
compile(const char *path, int off, const char *text, int escape,
    const char *partials)
{
	struct mustache_opts o;
	struct mustache *m = NULL;
	char err[512];

	memset(&o, 0, sizeof(o));
	o.escape_html = escape;
	o.load = mustache_load_dir;
	o.load_ctx = (void *)partials;
	if (mustache_compile(text, strlen(text), &o, &m, err,
	    sizeof(err)) == 0)
		return m;
	compile_error(path, off, err, partials);
	return NULL;
}

/* Convert and compile one parsed lesson; 0 or ERR_FAIL (logged). */
static int
msg_compile(struct msg *m, const struct config *cfg)
{
	struct lesson_file *f = &m->f;
	char *html, *text;
	int ret = 0;

	m->subject = compile(f->l.path, f->subject_line, f->l.subject, 0,
	    cfg->templates);
	m->preheader = compile(f->l.path, f->preheader_line ?
	    f->preheader_line : 1, f->l.preheader, 0, cfg->templates);
	m->raw = compile(f->l.path, f->body_line, f->body, 0, cfg->templates);
	if (m->subject == NULL || m->preheader == NULL || m->raw == NULL)
		return ERR_FAIL;
	md_convert(f->body, f->bodylen, cfg->allow_html, &html, &text);
	m->html = compile(f->l.path, 0, html, 1, cfg->templates);
	m->text = compile(f->l.path, 0, text, 0, cfg->templates);
	if (m->html == NULL || m->text == NULL)
		ret = ERR_FAIL;
	free(html);
	free(text);
	return ret;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.md names in dir, sorted (allocated); -1 when dir is unreadable. */
static int
list_lessons(const char *dir, char ***names)
{
	DIR *d;
	struct dirent *de;
	int n = 0;

	*names = NULL;
	if ((d = opendir(dir)) == NULL) {
		log_warn("cannot open lessons folder '%s'", dir);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);

		if (de->d_name[0] == '.' || len <= 3 ||
		    strcmp(de->d_name + len - 3, ".md") != 0)
			continue;
		*names = xreallocarray(*names, (size_t)n + 1, sizeof(char *));
		(*names)[n++] = path_join(dir, de->d_name);
	}
	closedir(d);
	if (n > 0)
		qsort(*names, (size_t)n, sizeof(char *), cmp_str);
	return n;
}

static int
cmp_notice(const void *a, const void *b)
{
	const struct msg *x = *(struct msg *const *)a;
	const struct msg *y = *(struct msg *const *)b;
	long kx = x->f.l.kind == SEND_ABSOLUTE ? (long)x->f.l.at : 0;
	long ky = y->f.l.kind == SEND_ABSOLUTE ? (long)y->f.l.at : 0;

	if (x->f.l.kind != y->f.l.kind)
		return x->f.l.kind == SEND_LAUNCH_REL ? -1 : 1;
	if (x->f.l.kind == SEND_LAUNCH_REL)
		return (x->f.l.offset > y->f.l.offset) -
		    (x->f.l.offset < y->f.l.offset);
	return (kx > ky) - (kx < ky);
}

/* Days 1..n, once each, no gap; notices in send order.  Errors counted. */
static int
index_course(struct course *c)
{
	int errors = 0, maxday = 0;

	for (int i = 0; i < c->nmsgs; i++)
		if (c->msgs[i].f.l.kind == SEND_DAY &&
		    c->msgs[i].f.l.day > maxday && c->msgs[i].f.when_line)
			maxday = c->msgs[i].f.l.day;
	c->days = xcalloc((size_t)maxday + 1, sizeof(*c->days));
	c->notices = xcalloc((size_t)c->nmsgs + 1, sizeof(*c->notices));
	for (int i = 0; i < c->nmsgs; i++) {
		struct msg *m = &c->msgs[i];

		if (m->f.when_line == 0)
			continue;	/* no usable Day or Send-At */
		if (m->f.l.kind != SEND_DAY) {
			c->notices[c->nnotices++] = m;
			continue;
		}
		if (c->days[m->f.l.day - 1] != NULL) {
			log_warnx("%s:%d: Day: %d is also '%s'", m->f.l.path,
			    m->f.when_line, m->f.l.day,
			    c->days[m->f.l.day - 1]->f.l.path);
			errors++;
		} else
			c->days[m->f.l.day - 1] = m;
	}
	for (int d = 0; d < maxday; d++)
		if (c->days[d] == NULL) {
			const struct msg *next = NULL;

			for (int k = d + 1; next == NULL && k < maxday; k++)
				next = c->days[k];
			log_warnx("%s:%d: Day: %d, but no lesson has Day: %d "
			    "(days must run 1, 2, 3... without gaps)",
			    next->f.l.path, next->f.when_line, next->f.l.day,
			    d + 1);
			errors++;
		}
	c->ndays = maxday;
	qsort(c->notices, (size_t)c->nnotices, sizeof(*c->notices),
	    cmp_notice);
	return errors;
}

static int
load_layouts(struct course *c, const struct config *cfg)
{
	char *path, *text = NULL;
	const char *names[2] = { "email.html.mustache", "email.txt.mustache" };
	struct mustache **out[2] = { &c->layout_html, &c->layout_text };
	size_t len;
	int errors = 0;

	for (int i = 0; i < 2; i++) {
		path = path_join(cfg->templates, names[i]);
		c->layout_path[i] = xstrdup(path);
		if (slurp(path, LESSON_MAX, &text, &len) < 0) {
			log_warn("cannot read template '%s'", path);
			errors++;
		} else if ((*out[i] = compile(path, 1, text, i == 0,
		    cfg->templates)) == NULL)
			errors++;
		free(text);
		text = NULL;
		free(path);
	}
	return errors;
}

/* Read, parse and compile one lesson file; the problems it logged. */
static int
load_one(struct msg *m, const char *path, const struct config *cfg)
{
	char *text;
	size_t len;
	int errors;

	if (slurp(path, LESSON_MAX, &text, &len) < 0) {
		log_warn("cannot read lesson '%s'", path);
		m->f.l.path = xstrdup(path);
		m->f.l.id = xstrdup("");
		return 1;
	}
	if (lesson_parse(&m->f, path, text, len, cfg->launch_at) < 0) {
		errors = m->f.errors;
		/* Still report the body's template errors. */
		if (m->f.body && (m->raw = compile(path, m->f.body_line,
		    m->f.body, 0, cfg->templates)) == NULL)
			errors++;
	} else
		errors = msg_compile(m, cfg) < 0 ? 1 : 0;
	free(text);
	return errors;
}

/* Load everything, counting every problem logged into *errors. */
static struct course *
course_read(const struct config *cfg, int *errors)
{
	struct course *c = xcalloc(1, sizeof(*c));
	char **names = NULL;
	int n;

	*errors = 0;
	if ((n = list_lessons(cfg->lessons, &names)) < 0)
		(*errors)++;
	else if (n == 0) {
		log_warnx("'%s': no lessons (*.md files)", cfg->lessons);
		(*errors)++;
	}
	c->msgs = xcalloc((size_t)(n > 0 ? n : 0) + 1, sizeof(*c->msgs));
	for (int i = 0; i < n; i++) {
		*errors += load_one(&c->msgs[c->nmsgs++], names[i], cfg);
		free(names[i]);
	}
	free(names);
	*errors += index_course(c);
	*errors += load_layouts(c, cfg);
	if (config_secret(cfg, &c->key, &c->keylen) < 0)
		(*errors)++;
	if (dkim_load(cfg, &c->dkim) < 0)
		(*errors)++;
	return c;
}

int
course_load(const struct config *cfg, struct course **out)
{
	int errors;
	struct course *c = course_read(cfg, &errors);

	*out = NULL;
	if (errors > 0) {
		course_free(c);
		return ERR_FAIL;
	}
	*out = c;
	return 0;
}

void
course_free(struct course *c)
{
	if (c == NULL)
		return;
	for (int i = 0; i < c->nmsgs; i++) {
		struct msg *m = &c->msgs[i];

		mustache_free(m->raw);
		mustache_free(m->subject);
		mustache_free(m->preheader);
		mustache_free(m->html);
		mustache_free(m->text);
		lesson_file_release(&m->f);
	}
	free(c->msgs);
	free(c->days);
	free(c->notices);
	mustache_free(c->layout_html);
	mustache_free(c->layout_text);
	free(c->layout_path[0]);
	free(c->layout_path[1]);
	free(c->key);
	dkim_free(c->dkim);
	free(c);
}

int
course_ndays(const struct course *c)
{
	return c->ndays;
}

const struct lesson *
course_day(const struct course *c, int day)
{
	if (day < 1 || day > c->ndays)
		return NULL;
	return &c->days[day - 1]->f.l;
}

int
course_nnotices(const struct course *c)
{
	return c->nnotices;
}

const struct lesson *
course_notice(const struct course *c, int i)
{
	if (i < 0 || i >= c->nnotices)
		return NULL;
	return &c->notices[i]->f.l;
}

const struct lesson *
course_find(const struct course *c, const char *id)
{
	for (int i = 0; i < c->nmsgs; i++)
		if (strcmp(c->msgs[i].f.l.id, id) == 0)
			return &c->msgs[i].f.l;
	return NULL;
}

/* HMAC of (what, subscriber, message) with the secret, as hex. */
static void
keyed_hex(const unsigned char *key, size_t keylen, const char *what,
    int64_t subscriber, const char *message, char *hex, size_t nbytes)
{
	struct hmac_sha256_ctx ctx;
	unsigned char mac[SHA256_DIGEST_SIZE];
	char id[32];

	(void)snprintf(id, sizeof(id), "%lld", (long long)subscriber);
	hmac_sha256_set_key(&ctx, keylen, key);
	hmac_sha256_update(&ctx, strlen(what) + 1, (const uint8_t *)what);
	hmac_sha256_update(&ctx, strlen(id) + 1, (const uint8_t *)id);
	hmac_sha256_update(&ctx, strlen(message), (const uint8_t *)message);
	hmac_sha256_digest(&ctx, sizeof(mac), mac);
	if (nbytes > sizeof(mac))
		nbytes = sizeof(mac);
	base16_encode_update(hex, nbytes, mac);
	hex[BASE16_ENCODE_LENGTH(nbytes)] = '\0';
}

/*
 * Copy 0 keeps the form deliveries always had; a later copy (a resend or
 * a restarted course) has its number in the HMAC and in the ID.
 */
static void
message_id(const unsigned char *key, size_t keylen, const struct config *cfg,
    int64_t subscriber, const char *message, int copy, char *out,
    size_t outlen)
{
	char hex[2 * HASH_LEN + 1] = "", what[32], nth[16] = "";

	(void)snprintf(what, sizeof(what), copy ? "message-id copy %d" :
	    "message-id", copy);
	if (copy)
		(void)snprintf(nth, sizeof(nth), ".c%d", copy);
	keyed_hex(key, keylen, what, subscriber, message, hex, HASH_LEN);
	(void)snprintf(out, outlen, "<%s.%lld.%s%s@%s>", hex,
	    (long long)subscriber, message, nth, domain_of(cfg->from_addr));
}

/*
 * A test send's: "test." and the date in front, so it never equals the
 * delivery's and two test sends a second apart differ.
 */
static void
test_message_id(const struct course *c, const struct config *cfg,
    int64_t subscriber, const char *message, time_t date, char *out,
    size_t outlen)
{
	char hex[2 * HASH_LEN + 1] = "", *what;

	what = xasprintf("test-message-id %lld", (long long)date);
	keyed_hex(c->key, c->keylen, what, subscriber, message, hex,
	    HASH_LEN);
	(void)snprintf(out, outlen, "<test.%lld.%s.%lld.%s@%s>",
	    (long long)date, hex, (long long)subscriber, message,
	    domain_of(cfg->from_addr));
	free(what);
}

void
render_message_id(const struct course *c, const struct config *cfg,
    int64_t subscriber, const char *message, int copy, char *out,
    size_t outlen)
{
	message_id(c->key, c->keylen, cfg, subscriber, message, copy, out,
	    outlen);
}

/* The unsubscribe URL for the body and the List-Unsubscribe value. */
static void
unsubscribe_links(const struct course *c, const struct config *cfg,
    int64_t subscriber, char **url, char **header)
{
	char token[TOKEN_LEN + 1];
	struct buf h;

	token_make(c->key, c->keylen, TOKEN_UNSUBSCRIBE, subscriber, 0, token);
	buf_init(&h, BUF_NOLIMIT);
	*url = NULL;
	if (cfg->unsubscribe_url) {
		*url = xasprintf("%s%ct=%s", cfg->unsubscribe_url,
		    strchr(cfg->unsubscribe_url, '?') ? '&' : '?', token);
		(void)buf_printf(&h, "<%s>", *url);
	}
	if (cfg->unsubscribe_mailto) {
		char *mailto = xasprintf("mailto:%s?subject=unsubscribe%%20%s",
		    cfg->unsubscribe_mailto, token);

		(void)buf_printf(&h, "%s<%s>", h.len ? ", " : "", mailto);
		if (*url == NULL)
			*url = mailto;
		else
			free(mailto);
	}
	if (*url == NULL)
		*url = xstrdup("");
	*header = buf_detach(&h, NULL);
}

static void
set_str(json_t *o, const char *k, const char *v)
{
	if (v != NULL && *v != '\0' && utf8_valid(v, strlen(v)))
		json_object_set_new(o, k, json_string(v));
}

/*
 * {{first_lesson_at}}: "Wednesday 2 December at 08:00", in the recipient's
 * zone (the schedule says when; see schedule.h).
 */
static void
set_when(json_t *o, const char *k, const struct config *cfg,
    const char *tz, time_t t)
{
	char day[32], month[32], s[96];
	struct tm tm;

	if (t == 0 || tz_localtime(tz && *tz ? tz : cfg->timezone, t,
	    &tm) < 0)
		return;
	if (strftime(day, sizeof(day), "%A", &tm) == 0 ||
	    strftime(month, sizeof(month), "%B", &tm) == 0)
		return;
	(void)snprintf(s, sizeof(s), "%s %d %s at %02d:%02d", day, tm.tm_mday,
	    month, tm.tm_hour, tm.tm_min);
	set_str(o, k, s);
}

/* The template data for one recipient (before subject and content). */
static json_t *
data_new(const struct course *c, const struct config *cfg,
    const struct lesson *l, const struct recipient *r, const char *unsub,
    int flags)
{
	json_t *d = json_object();

	set_str(d, "course_name", cfg->course_name);
	set_str(d, "course_id", cfg->course_id);
	set_str(d, "first_name", r->first_name);
	set_str(d, "email", r->email);
	if (l->kind == SEND_DAY)
		json_object_set_new(d, "day", json_integer(l->day));
	json_object_set_new(d, "total_days", json_integer(c->ndays));
	set_str(d, "base_url", cfg->base_url);
	set_str(d, "unsubscribe_url", unsub);
	set_str(d, "postal_address", cfg->postal_address);
	json_object_set_new(d, "is_test", json_boolean(flags & MSG_TEST));
	set_when(d, "first_lesson_at", cfg, r->timezone, r->first_lesson_at);
	return d;
}

/* Render m with d into an allocated string; NULL when too large (logged). */
static char *
render_str(const struct mustache *m, json_t *d, const char *what,
    const char *path)
{
	struct buf b;

	buf_init(&b, PART_MAX);
	if (mustache_render(m, d, &b) < 0) {
		log_warnx("%s: %s larger than %d bytes", path, what, PART_MAX);
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

/*
 * Body through the lesson template (the text part then wrapped, see
 * md_text_finish()), then into the layout.
 */
static char *
render_part(const struct mustache *body, const struct mustache *layout,
    json_t *d, const char *what, const char *path, int text)
{
	char *content, *out;

	if ((content = render_str(body, d, what, path)) == NULL)
		return NULL;
	if (text) {
		out = md_text_finish(content);
		free(content);
		content = out;
	}
	/*
	 * Valid UTF-8 by construction (templates are checked when loaded,
	 * values in set_str()), and message_build() checks again.
	 */
	json_object_set_new(d, "content", json_string_nocheck(content));
	free(content);
	out = render_str(layout, d, what, path);
	json_object_del(d, "content");
	return out;
}

/* Subject and preheader, rendered and safe for a header. */
static int
render_heads(const struct msg *m, json_t *d, int flags, int64_t sub)
{
	char *s, *p;
	int ret = 0;

	s = render_str(m->subject, d, "subject", m->f.l.path);
	p = render_str(m->preheader, d, "preheader", m->f.l.path);
	if (s == NULL || p == NULL)
		ret = ERR_FAIL;
	else if (str_has_ctl(s) || !utf8_valid(s, strlen(s)) || *s == '\0') {
		log_warnx("%s: subject for subscriber %lld is empty or has a "
		    "control character once rendered", m->f.l.path,
		    (long long)sub);
		ret = ERR_FAIL;
	} else {
		char *t = xasprintf("%s%s", flags & MSG_TEST ? "[TEST] " : "",
		    s);

		json_object_set_new(d, "subject", json_string(t));
		json_object_set_new(d, "preheader", json_string(p));
		free(t);
	}
	free(s);
	free(p);
	return ret;
}

/* The course's message behind l, one of the lessons c handed out. */
static const struct msg *
msg_of(const struct course *c, const struct lesson *l)
{
	for (int i = 0; i < c->nmsgs; i++)
		if (&c->msgs[i].f.l == l)
			return &c->msgs[i];
	return NULL;
}

/* Everything but the MIME: subject, preheader, both parts. */
static int
render_all(const struct course *c, const struct config *cfg,
    const struct lesson *l, const struct recipient *r, int flags,
    const char *unsub, struct rendered *out)
{
	const struct msg *m = msg_of(c, l);
	json_t *d;
	int ret = ERR_FAIL;

	memset(out, 0, sizeof(*out));
	if (m == NULL) {
		log_warnx("'%s' is not a message of the course", l->id);
		return ERR_FAIL;
	}
	d = data_new(c, cfg, l, r, unsub, flags);
	if (render_heads(m, d, flags, r->id) < 0)
		goto out;
	if ((out->html = render_part(m->html, c->layout_html, d, "HTML part",
	    l->path, 0)) == NULL ||
	    (out->text = render_part(m->text, c->layout_text, d, "text part",
	    l->path, 1)) == NULL)
		goto out;
	out->subject = xstrdup(json_string_value(json_object_get(d,
	    "subject")));
	out->preheader = xstrdup(json_string_value(json_object_get(d,
	    "preheader")));
	ret = 0;
out:
	json_decref(d);
	if (ret < 0)
		rendered_release(out);
	return ret;
}

int
render_parts(const struct course *c, const struct config *cfg,
    const struct lesson *l, const struct recipient *r, int flags,
    struct rendered *out)
{
	char *unsub, *unsub_hdr;
	int ret;

	unsubscribe_links(c, cfg, r->id, &unsub, &unsub_hdr);
	ret = render_all(c, cfg, l, r, flags, unsub, out);
	free(unsub);
	free(unsub_hdr);
	return ret;
}

void
rendered_release(struct rendered *p)
{
	if (p == NULL)
		return;
	free(p->subject);
	free(p->preheader);
	free(p->html);
	free(p->text);
	memset(p, 0, sizeof(*p));
}

/*
 * Feedback-ID (Gmail's feedback loop): "MESSAGE:COURSE:KIND:SENDER", the
 * message's id, the course's, lesson, notice or test, and [course]
 * feedback_id, which config.c checked.  Nothing of the subscriber's.  The
 * ids are file names and settings: any character but letters, digits,
 * '-', '_' and '.' becomes '_' (a ':' would shift Gmail's fields), and
 * each is cut at FEEDBACK_ID_MAX.  NULL when no sender id is set.
 */
static char *
feedback_id(const struct config *cfg, const struct lesson *l, int flags)
{
	const char *part[3] = { l->id, cfg->course_id, flags & MSG_TEST ?
	    "test" : l->day > 0 ? "lesson" : "notice" };
	struct buf b;

	if (cfg->feedback_id == NULL)
		return NULL;
	buf_init(&b, 4 * (FEEDBACK_ID_MAX + 1) + 1);
	for (int i = 0; i < 3; i++) {
		for (size_t k = 0; part[i][k] && k < FEEDBACK_ID_MAX; k++)
			(void)buf_addch(&b, strchr(FEEDBACK_ID_CHARS,
			    part[i][k]) ? part[i][k] : '_');
		(void)buf_addch(&b, ':');
	}
	(void)buf_printf(&b, "%s", cfg->feedback_id);
	return buf_detach(&b, NULL);
}

int
render_message(const struct course *c, const struct config *cfg,
    const struct lesson *l, const struct recipient *r, time_t date,
    int flags, struct buf *out)
{
	struct message mm;
	struct rendered p;
	char mid[512], boundary[2 * HASH_LEN + 16], hex[2 * HASH_LEN + 1];
	char *unsub, *unsub_hdr, *list_id, *fbl;
	int ret = ERR_FAIL;

	unsubscribe_links(c, cfg, r->id, &unsub, &unsub_hdr);
	if (render_all(c, cfg, l, r, flags, unsub, &p) < 0) {
		free(unsub);
		free(unsub_hdr);
		return ERR_FAIL;
	}
	list_id = xasprintf("%s.%s", cfg->course_id,
	    domain_of(cfg->from_addr));
	fbl = feedback_id(cfg, l, flags);
	if (flags & MSG_TEST)
		test_message_id(c, cfg, r->id, l->id, date, mid, sizeof(mid));
	else
		message_id(c->key, c->keylen, cfg, r->id, l->id, r->copy,
		    mid, sizeof(mid));
	mid[strlen(mid) - 1] = '\0';
	keyed_hex(c->key, c->keylen, "boundary", r->id, l->id, hex, HASH_LEN);
	(void)snprintf(boundary, sizeof(boundary), "=_%s", hex);
	memset(&mm, 0, sizeof(mm));
	mm.from_name = cfg->from_name;
	mm.from_addr = cfg->from_addr;
	mm.to_name = r->first_name != NULL && !str_has_ctl(r->first_name) ?
	    r->first_name : NULL;
	mm.to_addr = r->to != NULL ? r->to : r->email;
	mm.reply_to = cfg->reply_to;
	mm.subject = p.subject;
	mm.message_id = mid + 1;
	mm.date = date;
	mm.list_name = cfg->course_name;
	mm.list_id = list_id;
	mm.list_unsubscribe = unsub_hdr;
	mm.feedback_id = fbl;
	mm.text = p.text;
	mm.html = p.html;
	mm.boundary = boundary;
	if ((ret = message_build(&mm, out)) < 0)
		log_warnx("%s: cannot build the message for subscriber %lld",
		    l->path, (long long)r->id);
	else if (c->dkim != NULL)
		ret = dkim_prepend(c->dkim, date, out);
	rendered_release(&p);
	free(unsub);
	free(unsub_hdr);
	free(list_id);
	free(fbl);
	return ret;
}

/*
 * check: names unknown to the data, reported with file and line (the
 * partial's own file for a tag in a partial), each place once.
 */
struct missing {
	const char	*path;
	int		 off;
	const char	*partials;	/* [course] templates */
	char		**seen;		/* "file:line:name" reported */
	int		 nseen;
	int		 problems;
};

static int
seen_once(struct missing *ms, const char *where)
{
	for (int i = 0; i < ms->nseen; i++)
		if (strcmp(ms->seen[i], where) == 0)
			return 0;
	ms->seen = xreallocarray(ms->seen, (size_t)ms->nseen + 1,
	    sizeof(*ms->seen));
	ms->seen[ms->nseen++] = xstrdup(where);
	return 1;
}

static void
missing_name(void *ctx, const char *name, const char *partial, int line)
{
	struct missing *ms = ctx;
	size_t n = strcspn(name, ".");
	char *where;

	for (int i = 0; known_names[i]; i++)
		if (strlen(known_names[i]) == n &&
		    strncmp(known_names[i], name, n) == 0)
			return;
	if (strcmp(name, ".") == 0)
		return;
	if (partial)
		where = xasprintf("%s/%s.mustache:%d", ms->partials, partial,
		    line);
	else
		where = xasprintf("%s:%d", ms->path, line + ms->off - 1);
	if (seen_once(ms, where)) {
		log_warnx("%s: unknown variable '%s'", where, name);
		ms->problems++;
	}
	free(where);
}

/* Render t with the sample data d, reporting unknown names. */
static void
check_names(struct missing *ms, const struct mustache *t, json_t *d,
    const char *path, int off)
{
	struct buf b;

	if (t == NULL)
		return;		/* did not compile: reported already */
	ms->path = path;
	ms->off = off;
	buf_init(&b, BUF_NOLIMIT);
	(void)mustache_render_ex(t, d, &b, missing_name, ms);
	buf_release(&b);
}

static json_t *
sample_data(const struct course *c, const struct config *cfg,
    const struct lesson *l, const struct recipient *r)
{
	json_t *d = data_new(c, cfg, l, r, "https://example.org/u?t=x", 0);

	json_object_set_new(d, "subject", json_string("subject"));
	json_object_set_new(d, "preheader", json_string("preheader"));
	json_object_set_new(d, "content", json_string("content"));
	return d;
}

/* 1 when every part of the course m needs compiled. */
static int
compiled(const struct course *c, const struct msg *m)
{
	return m->subject && m->preheader && m->raw && m->html && m->text &&
	    c->layout_html && c->layout_text && c->key;
}

static int
check_one(struct missing *ms, const struct course *c,
    const struct config *cfg, const struct msg *m,
    const struct recipient *r)
{
	json_t *d = sample_data(c, cfg, &m->f.l, r);
	struct buf b;
	int problems = 0;

	check_names(ms, m->subject, d, m->f.l.path, m->f.subject_line);
	check_names(ms, m->preheader, d, m->f.l.path, m->f.preheader_line ?
	    m->f.preheader_line : 1);
	check_names(ms, m->raw, d, m->f.l.path, m->f.body_line);
	if (compiled(c, m)) {
		buf_init(&b, BUF_NOLIMIT);
		if (render_message(c, cfg, &m->f.l, r, 0, 0, &b) < 0)
			problems++;
		buf_release(&b);
	}
	json_decref(d);
	return problems;
}

int
course_check(const struct course *c, const struct config *cfg)
{
	struct recipient r = { 0, RENDER_SAMPLE_EMAIL, RENDER_SAMPLE_NAME,
	    NULL, NULL, 0, 0 };
	struct missing ms;
	int problems = 0;
	json_t *d;

	memset(&ms, 0, sizeof(ms));
	ms.partials = cfg->templates;
	for (int i = 0; i < c->nmsgs; i++)
		problems += check_one(&ms, c, cfg, &c->msgs[i], &r);
	if (c->nmsgs > 0) {
		d = sample_data(c, cfg, &c->msgs[0].f.l, &r);
		json_object_set_new(d, "day", json_integer(1));
		check_names(&ms, c->layout_html, d, c->layout_path[0], 1);
		check_names(&ms, c->layout_text, d, c->layout_path[1], 1);
		json_decref(d);
	}
	for (int i = 0; i < ms.nseen; i++)
		free(ms.seen[i]);
	free(ms.seen);
	return problems + ms.problems;
}

int
render_check(const struct config *cfg)
{
	struct course *c;
	int problems;

	/* Structural problems first, then every lesson that compiled. */
	c = course_read(cfg, &problems);
	problems += course_check(c, cfg);
	if (problems == 0)
		printf("lessons: %s: ok (%d lessons, %d notifications)\n",
		    cfg->lessons, c->ndays, c->nnotices);
	else
		printf("lessons: %s: %d problem%s (each on standard error "
		    "with its file and line)\n", cfg->lessons, problems,
		    problems == 1 ? "" : "s");
	course_free(c);
	return problems;
}
