/*
 * signup.c - double opt-in: take a signup from the web form, mail its
 * confirmation link, confirm it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "addr.h"
#include "buf.h"
#include "dkim.h"
#include "dripmail.h"
#include "log.h"
#include "message.h"
#include "mustache.h"
#include "signup.h"
#include "smtp.h"
#include "store.h"
#include "subscriber.h"
#include "token.h"
#include "tz.h"
#include "util.h"
#include "xmalloc.h"

#define HOUR		3600L
#define DAY		86400L
#define MAIL_MAX	(64 * 1024)	/* the confirmation message */

/* The confirmation mail: Mustache over the data in mail_data(). */
static const char mail_text[] =
    "{{#first_name}}Hello {{first_name}},{{/first_name}}"
    "{{^first_name}}Hello,{{/first_name}}\n"
    "\n"
    "Please confirm that you want to receive \"{{course_name}}\" by "
    "email: open this link and press the button on the page.\n"
    "\n"
    "{{confirm_url}}\n"
    "\n"
    "The link works for 7 days. If you did not ask for this, ignore this "
    "message: nothing more will be sent to you.\n"
    "{{#postal_address}}\n-- \n{{postal_address}}\n{{/postal_address}}";

static const char mail_html[] =
    "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n"
    "<title>{{subject}}</title>\n</head>\n<body>\n"
    "<p>{{#first_name}}Hello {{first_name}},{{/first_name}}"
    "{{^first_name}}Hello,{{/first_name}}</p>\n"
    "<p>Please confirm that you want to receive "
    "&ldquo;{{course_name}}&rdquo; by email.</p>\n"
    "<p><a href=\"{{confirm_url}}\">Confirm my signup</a></p>\n"
    "<p>The link works for 7 days. If you did not ask for this, ignore "
    "this message: nothing more will be sent to you.</p>\n"
    "{{#postal_address}}<p>{{postal_address}}</p>{{/postal_address}}\n"
    "</body>\n</html>\n";

/* A copy of s fit to keep: UTF-8 text, at most max bytes; else NULL. */
static char *
meta_copy(const char *s, size_t max)
{
	char *c;
	size_t n;

	if (s == NULL || *s == '\0' || str_has_ctl(s))
		return NULL;
	n = strlen(s) > max ? max : strlen(s);
	c = xstrndup(s, n);
	while (n > 0 && !utf8_valid(c, n))
		c[--n] = '\0';		/* cut inside a character */
	return n > 0 ? c : (free(c), NULL);
}

/* The cleaned request, ready to store. */
struct pending {
	char	 email[512];
	char	*first_name, *timezone, *ip, *user_agent, *page;
	time_t	 created_at;
	int64_t	 id;
};

static void
pending_release(struct pending *p)
{
	free(p->first_name);
	free(p->timezone);
	free(p->ip);
	free(p->user_agent);
	free(p->page);
	memset(p, 0, sizeof(*p));
}

/* 0, or ERR_PERM when the address is unusable. */
static int
pending_init(struct pending *p, const struct signup_req *r)
{
	const char *why;
	int n;

	memset(p, 0, sizeof(*p));
	n = snprintf(p->email, sizeof(p->email), "%s", r->email ? r->email :
	    "");
	str_trim(p->email);
	if (n < 0 || (size_t)n >= sizeof(p->email) ||
	    addr_check(p->email, &why) < 0)
		return ERR_PERM;
	addr_normalise(p->email);
	if (r->first_name != NULL && subscriber_name_check(r->first_name,
	    &why) == 0) {
		p->first_name = subscriber_clean_name(xstrdup(r->first_name));
		if (*p->first_name == '\0') {
			free(p->first_name);
			p->first_name = NULL;
		}
	}
	if (r->timezone != NULL && *r->timezone != '\0' &&
	    strlen(r->timezone) < 64 && tz_valid(r->timezone))
		p->timezone = xstrdup(r->timezone);
	p->ip = meta_copy(r->ip, 64);
	p->user_agent = meta_copy(r->user_agent, SIGNUP_MAX_META);
	p->page = meta_copy(r->page, SIGNUP_MAX_META);
	p->created_at = r->now;
	return 0;
}

static int
pending_store(struct db *db, struct pending *p)
{
	struct store_signup s = { 0, p->email, p->first_name, p->timezone,
		p->ip, p->user_agent, p->page, p->created_at, 0 };
	int rc;

	if ((rc = store_signup_add(db, &s)) == 0)
		p->id = s.id;
	return rc;
}

/*
 * Whether p may get a confirmation mail: 1 yes, 0 no (over the address's
 * limit, suppressed, or already a subscriber), or ERR_*.
 */
static int
mail_allowed(struct db *db, const struct config *cfg, const struct pending *p)
{
	int64_t id;
	int rc;

	if (cfg->signup_address_limit > 0) {
		rc = store_signup_count_email(db, p->email,
		    p->created_at - DAY);
		if (rc < 0 || rc >= cfg->signup_address_limit)
			return rc < 0 ? rc : 0;
	}
	if ((rc = subscriber_suppressed(db, p->email)) != 0)
		return rc < 0 ? rc : 0;
	id = store_sub_id(db, p->email);
	return id < 0 ? (int)id : id == 0;
}

/*
 * Record p unless its IP is over the limit: SIGNUP_MAILED (p->id set; the
 * mail is still to be sent), SIGNUP_QUIET (stored, no mail),
 * SIGNUP_IP_LIMIT (not stored), or ERR_*.  One transaction.
 */
static int
record(struct db *db, const struct config *cfg, struct pending *p)
{
	int rc, allowed = 0;

	if ((rc = store_begin(db)) < 0)
		return rc;
	if ((rc = store_signup_purge(db, p->created_at - SIGNUP_EXPIRY)) < 0)
		goto fail;
	if (p->ip != NULL && cfg->signup_ip_limit > 0) {
		rc = store_signup_count_ip(db, p->ip, p->created_at - HOUR);
		if (rc < 0)
			goto fail;
		if (rc >= cfg->signup_ip_limit) {
			rc = SIGNUP_IP_LIMIT;
			goto fail;
		}
	}
	if ((allowed = rc = mail_allowed(db, cfg, p)) < 0 ||
	    (rc = pending_store(db, p)) < 0 || (rc = store_commit(db)) < 0)
		goto fail;
	return allowed ? SIGNUP_MAILED : SIGNUP_QUIET;
fail:
	store_rollback(db);
	return rc;
}

static void
set_text(json_t *o, const char *k, const char *v)
{
	if (v != NULL && *v != '\0' && utf8_valid(v, strlen(v)))
		json_object_set_new(o, k, json_string(v));
}

/* Render the template text (HTML-escaping when html) with d into out. */
static int
mail_part(const char *text, int html, json_t *d, char **out)
{
	struct mustache_opts o = { .escape_html = html };
	struct mustache *m = NULL;
	struct buf b;
	char err[128];
	int ret = ERR_FAIL;

	buf_init(&b, MAIL_MAX);
	if (mustache_compile(text, strlen(text), &o, &m, err,
	    sizeof(err)) < 0)
		log_warnx("signup: mail template: %s", err);
	else if (mustache_render(m, d, &b) == 0)
		ret = 0;
	mustache_free(m);
	*out = ret == 0 ? buf_detach(&b, NULL) : NULL;
	buf_release(&b);
	return ret;
}

/* The confirmation message for p into out: 0 or ERR_FAIL (logged). */
static int
mail_build(const struct config *cfg, const struct pending *p,
    const char *url, struct buf *out)
{
	const char *at = strrchr(cfg->from_addr, '@');
	struct message m = { 0 };
	char *mid, *boundary, *subject, *text = NULL, *html = NULL;
	json_t *d = json_object();
	int ret = ERR_FAIL;

	subject = xasprintf("Please confirm: %s", cfg->course_name);
	mid = xasprintf("signup.%lld.%lld@%s", (long long)p->id,
	    (long long)p->created_at, at ? at + 1 : "localhost");
	boundary = xasprintf("=_signup_%lld", (long long)p->id);
	set_text(d, "course_name", cfg->course_name);
	set_text(d, "first_name", p->first_name);
	set_text(d, "confirm_url", url);
	set_text(d, "postal_address", cfg->postal_address);
	set_text(d, "subject", subject);
	if (mail_part(mail_text, 0, d, &text) == 0 &&
	    mail_part(mail_html, 1, d, &html) == 0) {
		m.from_name = cfg->from_name;
		m.from_addr = cfg->from_addr;
		m.to_name = p->first_name;
		m.to_addr = p->email;
		m.reply_to = cfg->reply_to;
		m.subject = subject;
		m.message_id = mid;
		m.date = p->created_at;
		m.text = text;
		m.html = html;
		m.boundary = boundary;
		ret = message_build(&m, out);
	}
	json_decref(d);
	free(subject);
	free(mid);
	free(boundary);
	free(text);
	free(html);
	return ret;
}

/* Build, sign and send p's confirmation: 0, ERR_PERM refused, ERR_*. */
static int
mail_send(const struct config *cfg, const unsigned char *key, size_t keylen,
    const struct pending *p)
{
	char token[TOKEN_LEN + 1], *url;
	struct smtp_conn *conn = NULL;
	struct smtp_result res;
	struct dkim *dkim = NULL;
	struct buf msg;
	int ret;

	token_make(key, keylen, TOKEN_SIGNUP, p->id, (int64_t)p->created_at,
	    token);
	url = xasprintf("%s%ct=%s", cfg->signup_url,
	    strchr(cfg->signup_url, '?') ? '&' : '?', token);
	buf_init(&msg, MAIL_MAX);
	ret = mail_build(cfg, p, url, &msg);
	if (ret == 0 && (ret = dkim_load(cfg, &dkim)) == 0 && dkim != NULL)
		ret = dkim_prepend(dkim, p->created_at, &msg);
	if (ret == 0) {
		ret = smtp_deliver(&conn, cfg, p->email, msg.data, msg.len,
		    &res);
		if (ret < 0)
			log_warnx("signup: confirmation to <%s> %s: %s",
			    p->email, ret == ERR_PERM ? "refused" :
			    "not sent, try again later", res.reply);
	}
	smtp_close(conn);
	dkim_free(dkim);
	buf_release(&msg);
	free(url);
	return ret;
}

int
signup_request(struct db *db, const struct config *cfg,
    const unsigned char *key, size_t keylen, const struct signup_req *r)
{
	struct pending p;
	int rc;

	if (pending_init(&p, r) < 0) {
		pending_release(&p);
		return SIGNUP_BAD_ADDRESS;
	}
	if (r->honeypot != NULL && *r->honeypot != '\0') {
		log_info("signup: honeypot filled in from %s: ignored",
		    p.ip ? p.ip : "unknown address");
		pending_release(&p);
		return SIGNUP_QUIET;
	}
	if ((rc = record(db, cfg, &p)) == SIGNUP_MAILED) {
		rc = mail_send(cfg, key, keylen, &p);
		if (rc == 0)
			rc = store_signup_mailed(db, p.id, r->now);
		if (rc == 0)
			log_info("signup: confirmation sent to <%s>", p.email);
		rc = rc == 0 ? SIGNUP_MAILED : rc == ERR_PERM ? SIGNUP_QUIET :
		    rc;
	}
	pending_release(&p);
	return rc;
}

/* The JSON evidence of a confirmation (allocated). */
static char *
evidence(const struct pending *p, const char *ip, const char *user_agent,
    time_t now)
{
	char form_at[32], confirmed_at[32], *s, *cip, *cua;
	json_t *o = json_object();

	time_format_iso(p->created_at, form_at, sizeof(form_at));
	time_format_iso(now, confirmed_at, sizeof(confirmed_at));
	cip = meta_copy(ip, 64);
	cua = meta_copy(user_agent, SIGNUP_MAX_META);
	set_text(o, "form_at", form_at);
	set_text(o, "ip", p->ip);
	set_text(o, "user_agent", p->user_agent);
	set_text(o, "page", p->page);
	set_text(o, "confirmed_at", confirmed_at);
	set_text(o, "confirm_ip", cip);
	set_text(o, "confirm_user_agent", cua);
	json_object_set_new(o, "signup", json_integer(p->id));
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (s == NULL)
		fatal("json_dumps");
	json_decref(o);
	free(cip);
	free(cua);
	return s;
}

/*
 * The signup id with created_at, into p: 1 found and pending, 0 found and
 * confirmed, ERR_PERM not found (purged), ERR_*.
 */
static int
pending_load(struct db *db, int64_t id, time_t created_at, struct pending *p)
{
	struct store_signup s;
	int rc;

	memset(p, 0, sizeof(*p));
	if ((rc = store_signup_get(db, id, created_at, &s)) <= 0)
		return rc == 0 ? ERR_PERM : rc;
	(void)snprintf(p->email, sizeof(p->email), "%s",
	    s.email ? s.email : "");
	p->first_name = s.first_name;
	p->timezone = s.timezone;
	p->ip = s.ip;
	p->user_agent = s.user_agent;
	p->page = s.page;
	s.first_name = s.timezone = s.ip = s.user_agent = s.page = NULL;
	p->id = id;
	p->created_at = created_at;
	rc = s.confirmed_at == 0;
	store_signup_release(&s);
	return rc;
}

/* Add p as `subscribers add` would, with the evidence: 1, ERR_PERM, ERR_*. */
static int
join(struct db *db, const struct config *cfg, const struct pending *p,
    const char *ip, const char *user_agent, time_t now)
{
	struct sub_upsert u = { .now = now, .fresh_above = INT64_MAX,
		.source = "signup" };
	struct sub_in in = { .email = p->email, .first_name = p->first_name,
		.timezone = p->timezone, .signed_up_at = p->created_at };
	const char *why = NULL;
	char *detail;
	int64_t sub = 0;
	int rc;

	u.list = subscriber_default_list(cfg, now);
	rc = subscriber_upsert(db, cfg, &in, &u, &sub, &why);
	if (rc == SUB_SKIPPED) {
		log_info("signup: <%s> not added: %s", p->email, why);
		return ERR_PERM;
	}
	if (rc < 0)
		return rc;
	detail = evidence(p, ip, user_agent, now);
	rc = store_event(db, sub, now, SIGNUP_EVENT, NULL, "signup", NULL,
	    detail);
	free(detail);
	if (rc == 0)
		rc = store_signup_confirmed(db, p->id, now, sub);
	if (rc == 0)
		log_info("signup: <%s> confirmed, on the %s", p->email,
		    u.list == LIST_COURSE ? "course" : "waitlist");
	return rc < 0 ? rc : 1;
}

int
signup_confirm(struct db *db, const struct config *cfg,
    const unsigned char *key, size_t keylen, const char *token,
    const char *ip, const char *user_agent, time_t now)
{
	struct pending p;
	int64_t id, created;
	int rc;

	if (key == NULL || token_check(key, keylen, TOKEN_SIGNUP, token, &id,
	    &created) != 0 || now - created >= SIGNUP_EXPIRY ||
	    created > now)
		return ERR_PERM;
	if ((rc = store_begin(db)) < 0)
		return rc;
	if ((rc = store_signup_purge(db, now - SIGNUP_EXPIRY)) == 0)
		rc = pending_load(db, id, (time_t)created, &p);
	else
		memset(&p, 0, sizeof(p));
	if (rc == 1)
		rc = join(db, cfg, &p, ip, user_agent, now);
	if (rc == 1 && (rc = store_commit(db)) == 0)
		rc = 1;
	if (rc != 1)
		store_rollback(db);
	pending_release(&p);
	return rc;
}

int
signup_origin_ok(const char *allowed, const char *origin, const char *referer)
{
	size_t n;

	if (allowed == NULL)
		return 1;
	n = strlen(allowed);
	while (n > 0 && allowed[n - 1] == '/')
		n--;
	if (origin != NULL && *origin != '\0' && strcmp(origin, "null") != 0)
		return strlen(origin) == n && strncasecmp(origin, allowed,
		    n) == 0;
	return referer != NULL && strncasecmp(referer, allowed, n) == 0 &&
	    (referer[n] == '/' || referer[n] == '\0');
}
