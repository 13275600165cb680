/*
 * bounce.c - classify a message from the bounce mailbox (libetpan for MIME
 * and addresses).  First the message is normalised (MIME walked, parts
 * decoded, HTML made text, a forwarded report unwrapped), then read into
 * per-recipient records (bounce_mta.c), then each record gets its verdict
 * from verdict_reply(), the rule the live SMTP path uses too.  The order
 * of questions, first match wins:
 *   1. an ARF feedback report (RFC 5965), any Feedback-Type -> complaint
 *   2. an Amazon SES / SNS notification (JSON)        -> per recipient
 *   3. an RFC 3464 delivery-status part (or its fields in the text)
 *   4. a bounce in another shape (from a mailer daemon, a bounce subject,
 *      X-Failed-Recipients, or a body that reads like one): the text
 *   5. an unsubscribe request (to the mailto address, or the subject),
 *      even one a mail client marked Auto-Submitted
 *   6. an auto-reply (Auto-Submitted, X-Autoreply, vacation subjects)
 *   7. sent to a genuine VERP address: the text, as in 4
 *   8. anything else                                 -> other
 * A genuine VERP token in the address the bounce came to names the
 * subscriber, whatever the body says.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libetpan/libetpan.h>

#include "bounce.h"
#include "bounce_int.h"
#include "buf.h"
#include "dripmail.h"
#include "log.h"
#include "token.h"
#include "util.h"
#include "verdict.h"
#include "xmalloc.h"

/* What the walk over the MIME tree collected. */
struct scan {
	struct buf	 text;		/* text/plain parts, decoded */
	struct buf	 html;		/* text/html, when there is no plain */
	struct buf	 returned;	/* headers of the returned message */
	struct buf	 dsn;		/* message/delivery-status bodies */
	struct buf	 arf;		/* message/feedback-report body */
	int		 parts;
};

static const char *const kind_names[] = {
	"hard", "soft", "complaint", "unsubscribe", "autoreply", "other",
};

const char *
bounce_kind_name(enum bounce_kind k)
{
	if ((size_t)k >= ARRAY_SIZE(kind_names))
		return "other";
	return kind_names[k];
}

/* ---- findings ---- */

static struct bounce_finding *
add_finding(struct bounce_result *r, const char *rcpt, const char *status,
    enum bounce_kind kind, const char *diag, size_t diaglen)
{
	struct bounce_finding *f;

	if (r->n >= BOUNCE_MAX_FINDINGS)
		return NULL;
	r->findings = xreallocarray(r->findings, r->n + 1,
	    sizeof(*r->findings));
	f = &r->findings[r->n++];
	memset(f, 0, sizeof(*f));
	f->recipient = xstrdup(rcpt ? rcpt : "");
	snprintf(f->status, sizeof(f->status), "%s", status ? status : "");
	f->kind = kind;
	f->diagnostic = diag ? bt_one_line(diag, diaglen) : xstrdup("");
	return f;
}

void
bounce_result_release(struct bounce_result *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->findings[i].recipient);
		free(r->findings[i].diagnostic);
		free(r->findings[i].alias);
		free(r->findings[i].token);
	}
	free(r->findings);
	free(r->message_id);
	memset(r, 0, sizeof(*r));
}

/* ---- the MIME tree ---- */

/* 1 when ct is type/subtype (either may be NULL for "any"). */
static int
ct_is(const struct mailmime_content *ct, const char *type,
    const char *subtype)
{
	const char *t = NULL;

	if (ct == NULL || ct->ct_type == NULL)
		return 0;
	if (ct->ct_type->tp_type == MAILMIME_TYPE_DISCRETE_TYPE) {
		struct mailmime_discrete_type *d =
		    ct->ct_type->tp_data.tp_discrete_type;

		t = d->dt_type == MAILMIME_DISCRETE_TYPE_TEXT ? "text" :
		    d->dt_type == MAILMIME_DISCRETE_TYPE_EXTENSION ?
		    d->dt_extension : "binary";
	} else {
		struct mailmime_composite_type *c =
		    ct->ct_type->tp_data.tp_composite_type;

		t = c->ct_type == MAILMIME_COMPOSITE_TYPE_MESSAGE ? "message" :
		    c->ct_type == MAILMIME_COMPOSITE_TYPE_MULTIPART ?
		    "multipart" : c->ct_token;
	}
	if (type && (t == NULL || strcasecmp(t, type) != 0))
		return 0;
	return subtype == NULL || (ct->ct_subtype &&
	    strcasecmp(ct->ct_subtype, subtype) == 0);
}

/* Append a single part's body, transfer-decoded, to b (up to its cap). */
static void
add_body(struct buf *b, const struct mailmime_data *d)
{
	char *out = NULL;
	size_t idx = 0, outlen = 0;

	if (d == NULL || d->dt_type != MAILMIME_DATA_TEXT)
		return;
	if (!d->dt_encoded || d->dt_encoding == MAILMIME_MECHANISM_7BIT ||
	    d->dt_encoding == MAILMIME_MECHANISM_8BIT ||
	    d->dt_encoding == MAILMIME_MECHANISM_BINARY) {
		bt_add_capped(b, d->dt_data.dt_text.dt_data,
		    d->dt_data.dt_text.dt_length);
	} else if (mailmime_part_parse(d->dt_data.dt_text.dt_data,
	    d->dt_data.dt_text.dt_length, &idx, d->dt_encoding, &out,
	    &outlen) == MAILIMF_NO_ERROR) {
		bt_add_capped(b, out, outlen);
		mailmime_decoded_part_free(out);
	}
	bt_add_capped(b, "\n\n", 2);
}

static void
walk(struct scan *sc, const struct mailmime *m, int depth)
{
	const struct mailmime_content *ct = m->mm_content_type;
	const struct mailmime *inner;

	if (depth > BOUNCE_MAX_DEPTH || ++sc->parts > BOUNCE_MAX_PARTS)
		return;
	switch (m->mm_type) {
	case MAILMIME_MULTIPLE:
		for (clistiter *c = clist_begin(m->mm_data.mm_multipart.
		    mm_mp_list); c != NULL; c = clist_next(c))
			walk(sc, clist_content(c), depth + 1);
		return;
	case MAILMIME_MESSAGE:
		inner = m->mm_data.mm_message.mm_msg_mime;
		/* the top, or a report forwarded as message/rfc822 */
		if (inner != NULL && (depth == 0 || (sc->dsn.len == 0 &&
		    sc->arf.len == 0 && ct_is(inner->mm_content_type,
		    "multipart", "report"))))
			walk(sc, inner, depth + 1);
		else if (sc->returned.len == 0 && m->mm_body)
			add_body(&sc->returned, m->mm_body);
		return;
	default:
		break;
	}
	if (ct_is(ct, "message", "delivery-status") ||
	    ct_is(ct, "message", "global-delivery-status"))
		add_body(&sc->dsn, m->mm_data.mm_single);
	else if (ct_is(ct, "message", "feedback-report"))
		add_body(&sc->arf, m->mm_data.mm_single);
	else if (ct_is(ct, NULL, "rfc822-headers") ||
	    ct_is(ct, "message", "rfc822")) {
		if (sc->returned.len == 0)
			add_body(&sc->returned, m->mm_data.mm_single);
	} else if (ct == NULL || ct_is(ct, "text", "plain") ||
	    ct_is(ct, "multipart", NULL))	/* multipart without parts */
		add_body(&sc->text, m->mm_data.mm_single);
	else if (ct_is(ct, "text", "html"))
		add_body(&sc->html, m->mm_data.mm_single);
}

/*
 * libetpan parses nested parts recursively; a message naming more
 * multipart or message types than BOUNCE_MAX_NESTED is not handed to it.
 */
static int
too_nested(const char *msg, size_t len)
{
	static const char *const words[] = { "multipart", "message/" };
	size_t count = 0;

	for (size_t w = 0; w < ARRAY_SIZE(words); w++) {
		const char *p = msg, *end = msg + len, *q;

		while ((q = bt_ci_find(p, (size_t)(end - p), words[w])) != NULL) {
			if (++count > BOUNCE_MAX_NESTED)
				return 1;
			p = q + 1;
		}
	}
	return 0;
}

static int
blank(const struct buf *b)
{
	for (size_t i = 0; i < b->len; i++)
		if (!isspace((unsigned char)b->data[i]))
			return 0;
	return 1;
}

/*
 * A multipart whose declared boundary is on no line of the body: libetpan
 * would find no parts, so the body is read as text.
 */
static int
boundary_missing(const char *ctype, const char *msg, size_t len)
{
	const char *p = ctype ? bt_ci_find(ctype, strlen(ctype),
	    "boundary=") : NULL;
	char *b;
	size_t n;
	int missing;

	if (p == NULL || !bt_ci_prefix(ctype, "multipart/"))
		return 0;
	p += strlen("boundary=");
	if (*p == '"')
		p++;
	n = strcspn(p, "\"; \t");
	if (n == 0)
		return 0;
	b = xasprintf("\n--%.*s", (int)n, p);
	missing = bt_ci_find(msg, len, b) == NULL;
	free(b);
	return missing;
}

/* Fill sc from the message: the MIME tree, or failing that its text. */
static void
scan_message(struct scan *sc, const char *msg, size_t len, size_t hdrlen,
    const char *ctype)
{
	struct mailmime *mime = NULL;
	size_t idx = 0;

	if (!too_nested(msg, len) && !boundary_missing(ctype, msg, len) &&
	    mailmime_parse(msg, len, &idx, &mime) == MAILIMF_NO_ERROR) {
		walk(sc, mime, 0);
		mailmime_free(mime);
		if (!blank(&sc->text) || !blank(&sc->html) ||
		    !blank(&sc->dsn) || !blank(&sc->arf))
			return;
		/* a declared boundary that matches no line: every part lost */
	}
	log_debug("bounce: MIME structure not followed; reading the text");
	bt_add_capped(&sc->text, msg + hdrlen, len - hdrlen);
}

/*
 * HTML as text: tags dropped (a line break for block ends), the common
 * entities decoded.  Enough to read a bounce written in HTML.
 */
static void
html_to_text(struct buf *out, const char *s, size_t n)
{
	static const struct {
		const char	*name;
		char		 c;
	} ents[] = {
		{ "&nbsp;", ' ' }, { "&lt;", '<' }, { "&gt;", '>' },
		{ "&amp;", '&' }, { "&quot;", '"' }, { "&#39;", '\'' },
	};
	size_t i = 0;

	while (i < n) {
		if (s[i] == '<') {
			const char *e = memchr(s + i, '>', n - i);
			size_t end = e ? (size_t)(e - s) + 1 : n;

			if (bt_ci_find(s + i, end - i, "br") ||
			    bt_ci_find(s + i, end - i, "/p") ||
			    bt_ci_find(s + i, end - i, "/div") ||
			    bt_ci_find(s + i, end - i, "/tr") ||
			    bt_ci_find(s + i, end - i, "/li"))
				bt_add_capped(out, "\n", 1);
			i = end;
			continue;
		}
		if (s[i] == '&') {
			size_t k;

			for (k = 0; k < ARRAY_SIZE(ents); k++)
				if (n - i >= strlen(ents[k].name) &&
				    strncasecmp(s + i, ents[k].name,
				    strlen(ents[k].name)) == 0)
					break;
			if (k < ARRAY_SIZE(ents)) {
				bt_add_capped(out, &ents[k].c, 1);
				i += strlen(ents[k].name);
				continue;
			}
		}
		bt_add_capped(out, s + i, 1);
		i++;
	}
}

/* ---- tokens ---- */

#define B64URL	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

struct token_hit {
	char	*token;
	int64_t	 sub;
	int64_t	 extra;
};

/* A genuine token of purpose at p (up to the first non-base64url byte). */
static int
try_token(const struct bounce_opts *o, const char *p, size_t n,
    enum token_purpose purpose, struct token_hit *t)
{
	char *tok;

	if (n == 0 || n > TOKEN_LEN)
		return 0;
	tok = xstrndup(p, n);
	if (token_check(o->key, o->keylen, purpose, tok, &t->sub,
	    &t->extra) != 0) {
		free(tok);
		return 0;
	}
	t->token = tok;
	return 1;
}

/*
 * "+TOKEN@" in a raw header value (raw: base64 is case-sensitive, so the
 * lower-cased addresses will not do).
 */
static int
value_token(const struct bounce_opts *o, const char *value,
    enum token_purpose purpose, struct token_hit *t)
{
	if (o->key == NULL || value == NULL || t->token != NULL)
		return t->token != NULL;
	for (const char *p = strchr(value, '+'); p != NULL;
	    p = strchr(p + 1, '+')) {
		size_t n = strspn(p + 1, B64URL);

		if (p[1 + n] == '@' && try_token(o, p + 1, n, purpose, t))
			return 1;
	}
	return 0;
}

/* "?t=TOKEN" or "&t=TOKEN" in a List-Unsubscribe URL. */
static int
url_token(const struct bounce_opts *o, const char *value,
    struct token_hit *t)
{
	if (o->key == NULL || value == NULL || t->token != NULL)
		return t->token != NULL;
	for (const char *p = strstr(value, "t="); p != NULL;
	    p = strstr(p + 1, "t=")) {
		if (p > value && (p[-1] == '?' || p[-1] == '&') &&
		    try_token(o, p + 2, strspn(p + 2, B64URL),
		    TOKEN_UNSUBSCRIBE, t))
			return 1;
	}
	return 0;
}

/* Envelope headers the delivering MTA wrote: where the bounce went. */
static const char *const envelope_fields[] = {
	"Delivered-To", "X-Original-To", "Envelope-To", "To", "Cc",
	"X-Envelope-To",
};

static int
find_verp(const struct bounce_opts *o, const struct hdrs *h,
    struct token_hit *t)
{
	for (size_t i = 0; i < ARRAY_SIZE(envelope_fields); i++)
		for (size_t k = 0; k < h->n; k++)
			if (strcasecmp(h->v[k].name, envelope_fields[i]) ==
			    0 && value_token(o, h->v[k].value, TOKEN_VERP, t))
				return 1;
	return 0;
}

/* In the returned message: Return-Path (VERP) or List-Unsubscribe. */
static int
find_returned_token(const struct bounce_opts *o, const struct hdrs *rh,
    struct token_hit *t)
{
	return value_token(o, bt_hdrs_get(rh, "Return-Path"), TOKEN_VERP, t) ||
	    url_token(o, bt_hdrs_get(rh, "List-Unsubscribe"), t) ||
	    value_token(o, bt_hdrs_get(rh, "List-Unsubscribe"),
	    TOKEN_UNSUBSCRIBE, t);
}

/* ---- the questions ---- */

/* Every Original-Rcpt-To of an ARF report (else the returned To). */
static void
read_arf(struct brecs *rs, const struct scan *sc, const struct hdrs *rh)
{
	struct hdrs *h = xcalloc(1, sizeof(*h));
	const char *type;
	char **to = NULL, *diag;
	size_t nto = 0;

	bt_hdrs_parse(sc->arf.data, sc->arf.len, h);
	type = bt_hdrs_get(h, "Feedback-Type");
	for (size_t i = 0; i < h->n; i++)
		if (strcasecmp(h->v[i].name, "Original-Rcpt-To") == 0 ||
		    strcasecmp(h->v[i].name, "Removal-Recipient") == 0)
			bt_strv_push(&to, &nto, bt_addr_first(h->v[i].value));
	if (nto == 0)
		bt_addr_list(bt_hdrs_get(rh, "To"), &to, &nto);
	if (nto == 0)
		bt_strv_push(&to, &nto, xstrdup(""));
	diag = type ? xasprintf("feedback-type: %s", type) : NULL;
	for (size_t i = 0; i < nto; i++) {
		struct brec *r = bm_add(rs, to[i]);

		if (r == NULL)
			continue;
		r->complaint = 1;
		r->diag = diag ? xstrdup(diag) : NULL;
	}
	free(diag);
	bt_strv_free(to, nto);
	bt_hdrs_release(h);
	free(h);
}

/* An action that is not a failure: the message got through. */
static int
action_delivered(const char *a)
{
	return strcmp(a, "delivered") == 0 || strcmp(a, "relayed") == 0 ||
	    strcmp(a, "expanded") == 0;
}

/*
 * A 4xx refusal of a dead address that the reporting MTA retried until
 * it gave up: "failed" is final (RFC 3464 2.3.3), and a status whose
 * own meaning is a dead address ("450 4.1.1 ... User unknown") that
 * held until then is read as the server's permanent answer.  A generic
 * 4.0.0 stays soft, and so does every 4xx on the live SMTP path, which
 * is retried.
 */
static int
given_up(const struct brec *rec, const struct verdict *v)
{
	char st[BOUNCE_STATUS_LEN];

	if (strcmp(rec->action, "failed") != 0 || !v->temporary ||
	    !v->dead || v->sender || rec->status[0] != '4')
		return 0;
	snprintf(st, sizeof(st), "5%s", rec->status + 1);
	return bounce_status_kind(st) == BOUNCE_HARD;
}

/* One finding per record, with the verdict of the one rule. */
static void
judge(struct bounce_result *res, const struct brecs *rs)
{
	for (size_t i = 0; i < rs->n; i++) {
		const struct brec *rec = &rs->v[i];
		const char *d = rec->diag ? rec->diag : rec->action;
		struct bounce_finding *f;
		struct verdict v;
		enum bounce_kind kind;

		verdict_reply(rec->step, 0, rec->status, rec->diag, &v);
		log_debug("bounce: <%s> action=%s status=%s step=%s reason=%s",
		    rec->rcpt, rec->action, v.status,
		    verdict_step_name(rec->step), v.reason);
		if (rec->complaint)
			kind = BOUNCE_COMPLAINT;
		else if (action_delivered(rec->action) ||
		    strcmp(v.reason, "delivered") == 0)
			kind = BOUNCE_OTHER;
		else if (v.kind == BOUNCE_OTHER ||
		    strcmp(rec->action, "delayed") == 0)
			kind = BOUNCE_SOFT;	/* failed, meaning unknown */
		else if (given_up(rec, &v))
			kind = BOUNCE_HARD;
		else
			kind = v.kind;
		f = add_finding(res, rec->rcpt, rec->complaint ? "" :
		    v.status, kind, d, rec->shown ? rec->shown : strlen(d));
		if (f != NULL && rec->alias != NULL)
			f->alias = xstrdup(rec->alias);
	}
}

/* The fields of a delivery-status part written into the text. */
static const char *
dsn_in_text(const char *s, size_t n, size_t *len)
{
	const char *p = bt_ci_find(s, n, "\nFinal-Recipient:");

	if (p == NULL)
		p = bt_ci_find(s, n, "\nOriginal-Recipient:");
	if (p == NULL)
		return NULL;
	*len = (size_t)(s + n - p - 1);
	return p + 1;
}

/* The records of a bounce: SES JSON, DSN fields, or the text. */
static void
read_bounce(struct brecs *rs, const struct scan *sc, const char *text,
    size_t textlen, const struct hdrs *h, const struct hdrs *rh)
{
	const char *d;
	size_t dlen;

	if (bm_read_json(rs, text, textlen))
		return;
	if (sc->dsn.len > 0)
		bm_read_dsn(rs, sc->dsn.data, sc->dsn.len, text, textlen);
	else if ((d = dsn_in_text(text, textlen, &dlen)) != NULL)
		bm_read_dsn(rs, d, dlen, text, (size_t)(d - text));
	if (rs->n == 0)
		bm_read_text(rs, text, textlen, h, rh);
}

/* The decoded Subject, or "" (allocated). */
static char *
subject_of(const struct hdrs *h)
{
	const char *v = bt_hdrs_get(h, "Subject");
	char *out = NULL, *line;
	size_t idx = 0;

	if (v == NULL)
		return xstrdup("");
	if (mailmime_encoded_phrase_parse("us-ascii", v, strlen(v), &idx,
	    "utf-8", &out) == MAILIMF_NO_ERROR && out != NULL) {
		line = bt_one_line(out, strlen(out));
		free(out);
		return line;
	}
	return bt_one_line(v, strlen(v));
}

static int
daemon_addr(const char *a)
{
	return bt_ci_prefix(a, "mailer-daemon@") ||
	    bt_ci_prefix(a, "postmaster@") || bt_ci_prefix(a, "mail-daemon@") ||
	    bt_ci_prefix(a, "mailerdaemon@");
}

static int
looks_like_bounce(const struct hdrs *h, const char *subject,
    const char *from)
{
	static const char *const subjects[] = {
		"undeliver", "delivery status notification", "failure notice",
		"mail delivery failed", "returned mail", "delivery failure",
		"delivery has failed", "could not be delivered",
		"mail system error", "non-delivery", "nondeliverable",
		"delayed mail", "mail delivery status", "delivery notification",
		"warning: could not send",
		/* Exchange's "Undeliverable:" in other languages */
		"unzustellbar", "non remis", "non recapitabile",
		"no se puede entregar", "onbestelbaar",
		"n\xc3\xa3o \xc3\xa9 poss\xc3\xadvel entregar",
	};

	const char *f = bt_hdrs_get(h, "From");

	if (from && daemon_addr(from))
		return 1;
	/* "MAILER-DAEMON" without a domain, "Mail Delivery System" */
	if (f && (bt_ci_find(f, strlen(f), "mailer-daemon") ||
	    bt_ci_find(f, strlen(f), "mail delivery") ||
	    bt_ci_find(f, strlen(f), "postmaster")))
		return 1;
	if (bt_hdrs_get(h, "X-Failed-Recipients") != NULL)
		return 1;
	for (size_t i = 0; i < ARRAY_SIZE(subjects); i++)
		if (bt_ci_find(subject, strlen(subject), subjects[i]))
			return 1;
	return 0;
}

static int
is_autoreply(const struct hdrs *h, const char *subject)
{
	static const char *const subjects[] = {
		"out of office", "out of the office", "auto:", "autoreply",
		"auto-reply", "auto reply", "automatic reply", "vacation",
		"away from", "abwesenheit", "automatische antwort",
		"r\xc3\xa9ponse automatique", "respuesta autom",
	};
	const char *v = bt_hdrs_get(h, "Auto-Submitted");
	const char *p = bt_hdrs_get(h, "Precedence");

	if (v != NULL && !bt_ci_prefix(v, "no"))
		return 1;
	if (bt_hdrs_get(h, "X-Autoreply") || bt_hdrs_get(h, "X-Autorespond"))
		return 1;
	if (p && bt_ci_prefix(p, "auto_reply"))
		return 1;
	for (size_t i = 0; i < ARRAY_SIZE(subjects); i++)
		if (bt_ci_find(subject, strlen(subject), subjects[i]) == subject)
			return 1;
	return 0;
}

/* "Re: Fwd: unsubscribe TOKEN" -> 1 and the rest ("TOKEN" or "") in *rest */
static int
unsubscribe_subject(const char *subject, const char **rest)
{
	static const char *const prefixes[] = {
		"re:", "fwd:", "fw:", "aw:", "sv:", "wg:",
	};
	const char *s = subject;
	int again = 1;

	while (again) {
		again = 0;
		s += strspn(s, " \t");
		for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
			if (bt_ci_prefix(s, prefixes[i])) {
				s += strlen(prefixes[i]);
				again = 1;
			}
	}
	if (!bt_ci_prefix(s, "unsubscribe"))
		return 0;
	s += strlen("unsubscribe");
	if (*s != '\0' && *s != ' ' && *s != '\t')
		return 0;
	*rest = s + strspn(s, " \t");
	return 1;
}

/* A reply to the unsubscribe mailto or with subject "unsubscribe". */
static int
read_unsubscribe(const struct bounce_opts *o, struct bounce_result *r,
    const struct hdrs *h, const char *subject, const char *from)
{
	struct token_hit t = { NULL, 0, 0 };
	const char *rest = NULL, *at;
	int to_us = 0;

	if (o->unsubscribe_mailto && (at = strchr(o->unsubscribe_mailto,
	    '@')) != NULL) {
		size_t local = (size_t)(at - o->unsubscribe_mailto);

		for (size_t i = 0; i < ARRAY_SIZE(envelope_fields); i++) {
			char **v = NULL;
			size_t nv = 0;

			bt_addr_list(bt_hdrs_get(h, envelope_fields[i]), &v, &nv);
			for (size_t k = 0; k < nv; k++) {
				const char *va = v[k], *vat = strchr(va, '@');

				if (strcasecmp(va, o->unsubscribe_mailto) == 0 ||
				    (strncasecmp(va, o->unsubscribe_mailto,
				    local) == 0 && va[local] == '+' &&
				    strcasecmp(vat, at) == 0))
					to_us = 1;
			}
			bt_strv_free(v, nv);
			value_token(o, bt_hdrs_get(h, envelope_fields[i]),
			    TOKEN_UNSUBSCRIBE, &t);
		}
	}
	if (!unsubscribe_subject(subject, &rest) && !to_us) {
		free(t.token);
		return 0;
	}
	if (t.token == NULL && rest && *rest && o->key)
		try_token(o, rest, strcspn(rest, " \t"), TOKEN_UNSUBSCRIBE,
		    &t);
	struct bounce_finding *f = add_finding(r, from, "",
	    BOUNCE_UNSUBSCRIBE, subject, strlen(subject));
	if (f && t.token) {
		f->token = t.token;
		f->subscriber = t.sub;
		t.token = NULL;
	}
	free(t.token);
	return 1;
}

/* The token decides: one finding, the worst, for the token's subscriber. */
static void
apply_token(struct bounce_result *r, struct token_hit *t, int collapse)
{
	size_t worst = 0;

	if (t->token == NULL || r->n == 0)
		return;
	if (collapse) {
		for (size_t i = 1; i < r->n; i++)
			if (r->findings[i].kind < r->findings[worst].kind)
				worst = i;
		for (size_t i = 0; i < r->n; i++) {
			if (i == worst)
				continue;
			free(r->findings[i].recipient);
			free(r->findings[i].diagnostic);
		free(r->findings[i].alias);
			free(r->findings[i].token);
		}
		if (worst != 0)
			r->findings[0] = r->findings[worst];
		r->n = 1;
	}
	for (size_t i = 0; i < r->n; i++) {
		free(r->findings[i].token);
		r->findings[i].token = xstrdup(t->token);
		r->findings[i].subscriber = t->sub;
		r->findings[i].delivery = t->extra;
	}
}

static void
scan_init(struct scan *sc)
{
	buf_init(&sc->text, BOUNCE_MAX_TEXT);
	buf_init(&sc->html, BOUNCE_MAX_TEXT);
	buf_init(&sc->returned, HDR_MAX_FIELDS * 200);
	buf_init(&sc->dsn, BOUNCE_MAX_TEXT);
	buf_init(&sc->arf, BOUNCE_MAX_TEXT);
	sc->parts = 0;
}

static void
scan_release(struct scan *sc)
{
	buf_release(&sc->text);
	buf_release(&sc->html);
	buf_release(&sc->returned);
	buf_release(&sc->dsn);
	buf_release(&sc->arf);
}

int
bounce_classify(const struct bounce_opts *o, const char *msg, size_t len,
    struct bounce_result *r)
{
	struct scan sc;
	struct hdrs *h = xcalloc(1, sizeof(*h)), *rh = xcalloc(1, sizeof(*rh));
	struct token_hit verp = { NULL, 0, 0 }, ret = { NULL, 0, 0 };
	struct brecs rs = { NULL, 0 };
	char *subject, *from;
	const char *mid, *text;
	size_t hdrlen, textlen;
	int bounce = 0;

	memset(r, 0, sizeof(*r));
	if (len > BOUNCE_MAX_SIZE)
		len = BOUNCE_MAX_SIZE;
	hdrlen = bt_hdrs_parse(msg, len, h);
	scan_init(&sc);
	scan_message(&sc, msg, len, hdrlen, bt_hdrs_get(h, "Content-Type"));
	bt_hdrs_parse(sc.returned.data, sc.returned.len, rh);
	if (sc.text.len == 0 && sc.html.len > 0)
		html_to_text(&sc.text, sc.html.data, sc.html.len);
	text = sc.text.len ? sc.text.data : "";
	textlen = sc.text.len;
	if ((mid = bt_hdrs_get(h, "Message-ID")) != NULL && *mid != '\0')
		r->message_id = bt_one_line(mid, strlen(mid));
	subject = subject_of(h);
	from = bt_from_addr(h);
	find_verp(o, h, &verp);
	find_returned_token(o, rh, &ret);

	if (sc.arf.len > 0) {
		read_arf(&rs, &sc, rh);
		judge(r, &rs);
		apply_token(r, verp.token ? &verp : &ret, 0);
	} else if (sc.dsn.len > 0 || looks_like_bounce(h, subject, from) ||
	    bm_body_is_bounce(text, textlen) ||
	    bm_read_json(&rs, text, textlen)) {
		bm_release(&rs);
		read_bounce(&rs, &sc, text, textlen, h, rh);
		judge(r, &rs);
		bounce = 1;
	} else if (read_unsubscribe(o, r, h, subject, from)) {
		;	/* before auto-replies: mail clients send these too */
	} else if (is_autoreply(h, subject)) {
		add_finding(r, from, "", BOUNCE_AUTOREPLY, subject,
		    strlen(subject));
	} else if (verp.token) {
		bm_read_text(&rs, text, textlen, h, rh);
		judge(r, &rs);
		bounce = 1;
	}
	if (r->n == 0)
		add_finding(r, from, "", BOUNCE_OTHER, subject,
		    strlen(subject));
	if (bounce)
		apply_token(r, verp.token ? &verp : &ret, 1);

	bm_release(&rs);
	free(verp.token);
	free(ret.token);
	free(subject);
	free(from);
	bt_hdrs_release(h);
	bt_hdrs_release(rh);
	free(h);
	free(rh);
	scan_release(&sc);
	return 0;
}
