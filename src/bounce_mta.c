/*
 * bounce_mta.c - per-recipient records from what mail servers write:
 * RFC 3464 delivery-status blocks, Amazon SES notifications (JSON, bare
 * or inside an SNS envelope), and the text shapes of bounces that are not
 * DSNs (Postfix, qmail, Exim, Sendmail, Exchange, Courier, Domino, ...).
 *
 * A text bounce states its recipients in a few shapes, whatever the MTA:
 * the address begins a line ("<a>:", "a on DATE", "  a", ">>> a"), or
 * follows words that introduce a recipient ("delivering your mail to <a>",
 * "RCPT TO:<a>", "Recipient: a", "rfc822; a").  The text about each one
 * runs from its line to the next other recipient.  The SMTP command that
 * failed is read from the same text ("in reply to RCPT TO", "after end of
 * data", a ">>> DATA" / "<<< 550" transcript).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "bounce.h"
#include "bounce_int.h"
#include "buf.h"
#include "dripmail.h"
#include "util.h"
#include "verdict.h"
#include "xmalloc.h"

#define SEGMENT_MAX	1000	/* text read after one mention of an address */
#define LINE_MAX_PREFIX	120	/* text before an address read for a lead-in */

struct brec *
bm_add(struct brecs *rs, const char *rcpt)
{
	struct brec *r;

	if (rcpt == NULL || rs->n >= BOUNCE_MAX_FINDINGS)
		return NULL;
	for (size_t i = 0; i < rs->n; i++)
		if (strcmp(rs->v[i].rcpt, rcpt) == 0)
			return NULL;
	rs->v = xreallocarray(rs->v, rs->n + 1, sizeof(*rs->v));
	r = &rs->v[rs->n++];
	memset(r, 0, sizeof(*r));
	r->rcpt = xstrdup(rcpt);
	return r;
}

void
bm_release(struct brecs *rs)
{
	for (size_t i = 0; i < rs->n; i++) {
		free(rs->v[i].rcpt);
		free(rs->v[i].alias);
		free(rs->v[i].diag);
	}
	free(rs->v);
	rs->v = NULL;
	rs->n = 0;
}

/* ---- the failed command ---- */

static const struct {
	const char	*word;
	enum smtp_step	 step;
} commands[] = {
	{ "rcpt", SMTP_STEP_RCPT },
	{ "end of data", SMTP_STEP_EOD },
	{ "final data", SMTP_STEP_EOD },
	{ "data", SMTP_STEP_DATA },
	{ "mail from", SMTP_STEP_MAIL },
	{ "mail", SMTP_STEP_MAIL },
	{ "helo", SMTP_STEP_CONNECT },
	{ "ehlo", SMTP_STEP_CONNECT },
	{ "starttls", SMTP_STEP_CONNECT },
	{ "initial connection", SMTP_STEP_CONNECT },
	{ "greeting", SMTP_STEP_CONNECT },
};

/*
 * Words after which a bounce names the command that was refused, then
 * white space or punctuation (a line may break there: "(in reply to\n
 * RCPT TO command)").
 */
static const char *const leads[] = {
	"in reply to", "after", "did not like our", "while sending",
	"in response to", "after sending", "smtp command",
};

static enum smtp_step
command_at(const char *p, size_t n)
{
	size_t skip = strspn(p, " \t\r\n\"':-");

	if (skip >= n)
		return SMTP_STEP_UNKNOWN;
	p += skip;
	n -= skip;
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		size_t m = strlen(commands[i].word);

		if (m <= n && strncasecmp(p, commands[i].word, m) == 0 &&
		    !isalpha((unsigned char)p[m]))
			return commands[i].step;
	}
	return SMTP_STEP_UNKNOWN;
}

/*
 * A later "<<< 503 need RCPT" or "<<< 554 no valid recipients": DATA came
 * with no recipient left, so the refusal before it was of RCPT TO.
 */
static int
pipelined(const char *s, size_t n)
{
	if (n > 400)
		n = 400;
	for (const char *p = s; (p = bt_ci_find(p, (size_t)(s + n - p),
	    "<<< 5")) != NULL; p++) {
		const char *nl = memchr(p, '\n', (size_t)(s + n - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(s + n - p);

		if (bt_ci_find(p, len, "rcpt") || bt_ci_find(p, len,
		    "recipient"))
			return 1;
	}
	return 0;
}

/* A ">>> COMMAND" / "<<< 550 ..." transcript: the command before a 4xx/5xx. */
static enum smtp_step
transcript_step(const char *s, size_t n)
{
	enum smtp_step last = SMTP_STEP_UNKNOWN;
	size_t i = 0;

	while (i < n) {
		const char *line = s + i, *nl = memchr(line, '\n', n - i);
		size_t len = nl ? (size_t)(nl - line) : n - i;

		i += len + 1;
		while (len > 0 && (*line == ' ' || *line == '\t')) {
			line++;
			len--;
		}
		if (len > 4 && strncmp(line, ">>> ", 4) == 0)
			last = command_at(line + 4, len - 4);
		else if (len > 5 && strncmp(line, "<<< ", 4) == 0 &&
		    (line[4] == '4' || line[4] == '5') &&
		    last != SMTP_STEP_UNKNOWN) {
			/* pipelined: a refusal of RCPT TO read after DATA,
			   in Sendmail's "<a@b>... User unknown" form or
			   followed by "503 need RCPT" */
			if (last == SMTP_STEP_DATA && ((memchr(line, '@',
			    len) && bt_ci_find(line, len, ">...")) ||
			    pipelined(line, (size_t)(s + n - line))))
				return SMTP_STEP_RCPT;
			return last;
		}
	}
	return SMTP_STEP_UNKNOWN;
}

/*
 * Fixed words some servers write for the command that was refused:
 * Postfix's RCPT TO restriction (whoever relays it), qmail-remote's
 * messages (qmail-remote.c), Yahoo's "[RCPT_TO]" line after the reply.
 */
static const struct {
	const char	*words;
	enum smtp_step	 step;
} step_words[] = {
	{ "recipient address rejected", SMTP_STEP_RCPT },
	{ "does not like recipient", SMTP_STEP_RCPT },
	{ "most progress was rcpt to response", SMTP_STEP_RCPT },
	{ "[rcpt_to]", SMTP_STEP_RCPT },
	{ "but sender was rejected", SMTP_STEP_MAIL },
	{ "[mail_from]", SMTP_STEP_MAIL },
	{ "failed on data command", SMTP_STEP_DATA },
	{ "failed after i sent the message", SMTP_STEP_EOD },
};

enum smtp_step
bm_step(const char *s, size_t n)
{
	const char *best = NULL;
	enum smtp_step step = SMTP_STEP_UNKNOWN;

	for (size_t i = 0; i < ARRAY_SIZE(step_words); i++)
		if (bt_ci_find(s, n, step_words[i].words) != NULL)
			return step_words[i].step;
	for (size_t i = 0; i < ARRAY_SIZE(leads); i++) {
		const char *p = s;
		size_t m = strlen(leads[i]);

		while ((p = bt_ci_find(p, (size_t)(s + n - p), leads[i])) !=
		    NULL) {
			enum smtp_step st = SMTP_STEP_UNKNOWN;

			if (p + m < s + n && !isalnum((unsigned char)p[m]))
				st = command_at(p + m, (size_t)(s + n - p) - m);
			if (st != SMTP_STEP_UNKNOWN) {
				if (best == NULL || p < best) {
					best = p;
					step = st;
				}
				break;
			}
			p++;
		}
	}
	if (step != SMTP_STEP_UNKNOWN)
		return step;
	return transcript_step(s, n);
}

/* ---- the quoted original ---- */

/* Lines after which a bounce quotes the original message. */
static const char *const copy_markers[] = {
	"------ This is a copy of the message",
	"--- Below this line is a copy of the message",
	"----- Original message -----",
	"------ Original Message",
	"----- Unsent message follows -----",
	"----- Undelivered message follows -----",
	"--- The header of the original message is following",
	"Original message follows",
	"Message headers follow",
	"original message headers:",
	"------ Returned Message",
	"Included is a copy of the message header",
	"The original message was:",
	"--- Original message follows",
	"Content-Type: message/rfc822",
	"Content-Type: text/rfc822-headers",
};

size_t
bm_cut_copy(const char *s, size_t n)
{
	size_t cut = n;

	for (size_t i = 0; i < ARRAY_SIZE(copy_markers); i++) {
		const char *p = bt_ci_find(s, cut, copy_markers[i]);

		if (p != NULL)
			cut = (size_t)(p - s);
	}
	return cut;
}

/* ---- the text about one recipient ---- */

/*
 * Start of the line holding s[at], looking back LINE_MAX_PREFIX bytes at
 * most (a huge line is not rescanned for each address on it).
 */
static size_t
line_start(const char *s, size_t at)
{
	size_t stop = at > LINE_MAX_PREFIX ? at - LINE_MAX_PREFIX : 0;

	while (at > stop && s[at - 1] != '\n')
		at--;
	return at;
}

/*
 * Sendmail writes one line per host or recipient at the left margin,
 * "550 host.example (smtp)... 550 Host unknown": the text about one
 * recipient stops before the next such line.
 */
static size_t
sendmail_line_end(const char *s, size_t from, size_t e)
{
	const char *nl = memchr(s + from, '\n', e - from);

	while (nl != NULL && (size_t)(nl + 1 - s) < e) {
		const char *l = nl + 1;
		size_t left = (size_t)(s + e - l), len;

		nl = memchr(l, '\n', left);
		len = nl ? (size_t)(nl - l) : left;
		if (len > 4 && isdigit((unsigned char)l[0]) &&
		    isdigit((unsigned char)l[1]) &&
		    isdigit((unsigned char)l[2]) && l[3] == ' ' &&
		    bt_ci_find(l, len, "... ") != NULL)
			return (size_t)(l - s);
	}
	return e;
}

/*
 * Every mention of rcpt in the n bytes at s, each from its line to the
 * next mention of another of the nall recipients, appended to out.
 */
static void
context_of(const char *s, size_t n, const char *rcpt, char **all,
    size_t nall, struct buf *out)
{
	size_t pos = 0, m = strlen(rcpt);
	const char *p, *at_sign;

	while (pos < n && (out->max == 0 || out->len < out->max) &&
	    (p = bt_ci_find(s + pos, n - pos, rcpt)) != NULL) {
		size_t at = (size_t)(p - s), b = line_start(s, at);
		size_t e = at + m + SEGMENT_MAX < n ? at + m + SEGMENT_MAX : n;

		for (size_t k = 0; k < nall; k++) {
			const char *q;

			if (strcmp(all[k], rcpt) == 0)
				continue;
			q = bt_ci_find(s + at + m, e - at - m, all[k]);
			if (q != NULL) {
				/* its line, unless that begins before rcpt ends
				   (one line, or a line longer than we look back) */
				size_t qs = (size_t)(q - s), ls = line_start(s, qs);

				e = ls >= at + m ? ls : qs;
			}
		}
		e = sendmail_line_end(s, at + m, e);
		bt_add_capped(out, s + b, e - b);
		bt_add_capped(out, "\n", 1);
		pos = e > at + m ? e : at + m;
	}
	/* the text may quote the local part the record has without quotes */
	if (pos == 0 && rcpt[0] != '"' && (at_sign = strrchr(rcpt, '@'))) {
		char *q = xasprintf("\"%.*s\"%s", (int)(at_sign - rcpt), rcpt,
		    at_sign);

		context_of(s, n, q, all, nall, out);
		free(q);
	}
}

/* The text about rcpt (allocated); the whole text when it says nothing. */
static char *
text_about(const char *s, size_t n, const char *rcpt, char **all,
    size_t nall)
{
	struct buf b;
	struct verdict v;

	buf_init(&b, REC_MAX_DIAG);
	context_of(s, n, rcpt, all, nall, &b);
	if (b.len > 0)
		verdict_reply(SMTP_STEP_UNKNOWN, 0, NULL, b.data, &v);
	if (b.len == 0 || v.kind == BOUNCE_OTHER) {
		buf_reset(&b);
		bt_add_capped(&b, s, n);
	}
	return buf_detach(&b, NULL);
}

/* ---- RFC 3464 ---- */

/* "rfc822; a@b" -> the address (allocated), or NULL. */
static char *
typed_addr(const char *v)
{
	const char *semi;

	if (v == NULL)
		return NULL;
	semi = strchr(v, ';');
	return bt_addr_first(semi ? semi + 1 : v);
}

/* A Status field: the code at its start ("5.4.4 (Illegal host)"). */
static void
dsn_status(const char *v, char out[BOUNCE_STATUS_LEN])
{
	size_t len;

	out[0] = '\0';
	if (v == NULL)
		return;
	v += strspn(v, " \t");
	len = strspn(v, "0123456789.");
	if (len > 0 && len < BOUNCE_STATUS_LEN) {
		memcpy(out, v, len);
		out[len] = '\0';
		if (!verdict_status_valid(out))
			out[0] = '\0';
	}
}

/*
 * Amazon SES writes its own summary of a status, then the remote's reply
 * in quotes: "5.1.0 - Unknown address error 550-'5.7.1 <a>... Access
 * denied' (delivery attempts: 0)".  The remote's words are the ones to
 * read: 1 and *s and *n narrowed to "550-'5.7.1 ... denied", else 0.
 */
static int
quoted_reply(const char **s, size_t *n)
{
	const char *p = *s, *end = *s + *n, *q;
	size_t k;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	k = strspn(p, "0123456789.");
	if (k < 5 || p + k + 3 > end || strncmp(p + k, " - ", 3) != 0)
		return 0;
	for (q = p + k + 3; q + 5 <= end; q++)
		if (isdigit((unsigned char)q[0]) &&
		    isdigit((unsigned char)q[1]) &&
		    isdigit((unsigned char)q[2]) && q[3] == '-' && q[4] == '\'')
			break;
	if (q + 5 > end)
		return 0;
	while (end > q + 5 && end[-1] != '\'')
		end--;
	if (end == q + 5)
		return 0;
	*s = q;
	*n = (size_t)(end - 1 - q);
	return 1;
}

static void
dsn_block(struct brecs *rs, const struct hdrs *h, const char *text,
    size_t textlen, char **all, size_t nall)
{
	char *fin = typed_addr(bt_hdrs_get(h, "Final-Recipient"));
	char *orig = typed_addr(bt_hdrs_get(h, "Original-Recipient"));
	const char *action = bt_hdrs_get(h, "Action");
	const char *diag = bt_hdrs_get(h, "Diagnostic-Code"), *st;
	struct brec *r;
	struct buf b;
	int quoted = 0;

	if (fin == NULL) {
		fin = orig;
		orig = NULL;
	}
	r = bm_add(rs, fin);
	if (r == NULL)
		goto out;
	if (orig != NULL && strcmp(orig, fin) != 0) {
		r->alias = orig;
		orig = NULL;
	}
	snprintf(r->action, sizeof(r->action), "%s", action ? action : "");
	r->action[strcspn(r->action, " \t(;")] = '\0';
	bt_lower(r->action);
	dsn_status(bt_hdrs_get(h, "Status"), r->status);
	buf_init(&b, REC_MAX_DIAG);
	if (diag != NULL) {
		const char *semi = strchr(diag, ';'), *d = semi ? semi + 1 :
		    diag;
		size_t dn = strlen(d);

		quoted = quoted_reply(&d, &dn);
		bt_add_capped(&b, d, dn);
		r->shown = b.len;
		bt_add_capped(&b, "\n", 1);
	}
	/* "Status: 5.2.1 (mailbox disabled, not accepting messages)" */
	st = bt_hdrs_get(h, "Status");
	if (st != NULL && strchr(st, '(') != NULL) {
		bt_add_capped(&b, strchr(st, '('), strlen(strchr(st, '(')));
		bt_add_capped(&b, "\n", 1);
		if (r->shown > 0)
			r->shown = b.len - 1;
	}
	/* the remote's own words first; the report's prose (all of it when
	   it names one recipient) only for the step, and for the reason
	   when the words give none */
	if (text != NULL && nall == 1)
		bt_add_capped(&b, text, textlen);
	else if (text != NULL)
		context_of(text, textlen, fin, all, nall, &b);
	r->step = bm_step(b.data ? b.data : "", b.len);
	if (diag != NULL && bt_ci_prefix(diag, "x-unix"))
		r->step = SMTP_STEP_EOD;	/* a program after delivery */
	if (r->shown > 0 && verdict_text_reason(b.data)[0] != '\0') {
		char *d = xstrndup(b.data, r->shown);

		if (quoted || verdict_text_reason(d)[0] != '\0') {
			buf_reset(&b);
			bt_add_capped(&b, d, strlen(d));
		}
		free(d);
	}
	r->diag = buf_detach(&b, NULL);
out:
	free(fin);
	free(orig);
}

/*
 * The end of the fields of one recipient from h->v[from]: a block may hold
 * several with no empty line between them, each beginning again with a
 * Final- or Original-Recipient.
 */
static size_t
group_end(const struct hdrs *h, size_t from)
{
	int fin = 0, orig = 0;

	for (size_t i = from; i < h->n; i++) {
		int isf = strcasecmp(h->v[i].name, "Final-Recipient") == 0;
		int iso = strcasecmp(h->v[i].name, "Original-Recipient") == 0;

		if ((isf && fin) || (iso && orig))
			return i;
		fin |= isf;
		orig |= iso;
	}
	return h->n;
}

/*
 * Each recipient's fields of the DSN text: with text NULL, their
 * Final-Recipients into *all; else one record each.
 */
static void
dsn_walk(struct brecs *rs, const char *s, size_t n, const char *text,
    size_t textlen, char ***all, size_t *nall)
{
	struct hdrs *h = xcalloc(1, sizeof(*h)), *g = xcalloc(1, sizeof(*g));
	size_t pos = 0;

	while (pos < n) {
		while (pos < n && (s[pos] == '\n' || s[pos] == '\r'))
			pos++;
		if (pos >= n)
			break;
		pos += bt_hdrs_parse(s + pos, n - pos, h);
		for (size_t i = 0, e; i < h->n; i = e) {
			e = group_end(h, i);
			memcpy(g->v, h->v + i, (e - i) * sizeof(h->v[0]));
			g->n = e - i;
			if (rs == NULL)
				bt_strv_push(all, nall, typed_addr(bt_hdrs_get(g,
				    "Final-Recipient")));
			else if (bt_hdrs_get(g, "Final-Recipient") != NULL ||
			    bt_hdrs_get(g, "Original-Recipient") != NULL)
				dsn_block(rs, g, text, textlen, *all, *nall);
		}
		bt_hdrs_release(h);
	}
	free(g);
	free(h);
}

void
bm_read_dsn(struct brecs *rs, const char *s, size_t n, const char *text,
    size_t textlen)
{
	char **all = NULL;
	size_t nall = 0;

	/* first every recipient, to bound the text about each */
	dsn_walk(NULL, s, n, NULL, 0, &all, &nall);
	textlen = text ? bm_cut_copy(text, textlen) : 0;
	dsn_walk(rs, s, n, text, textlen, &all, &nall);
	bt_strv_free(all, nall);
}

/* ---- Amazon SES ---- */

static const char *
jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* SES bounce subtypes that say what the status would. */
static const char *
ses_subtype_status(const char *type, const char *sub)
{
	int perm = type && strcasecmp(type, "Permanent") == 0;

	if (sub == NULL)
		return perm ? "5.0.0" : "4.0.0";
	if (strcasecmp(sub, "NoEmail") == 0)
		return perm ? "5.1.1" : "4.1.1";
	if (strcasecmp(sub, "MailboxFull") == 0)
		return perm ? "5.2.2" : "4.2.2";
	if (strcasecmp(sub, "MessageTooLarge") == 0)
		return perm ? "5.3.4" : "4.3.4";
	if (strcasecmp(sub, "ContentRejected") == 0 ||
	    strcasecmp(sub, "AttachmentRejected") == 0)
		return perm ? "5.6.0" : "4.6.0";
	return perm ? "5.0.0" : "4.0.0";
}

static void
ses_recipients(struct brecs *rs, json_t *list, const char *key,
    const char *action, const char *status, const char *diag,
    int complaint)
{
	size_t i;
	json_t *e;

	json_array_foreach(list, i, e) {
		const char *v = json_is_string(e) ? json_string_value(e) :
		    jstr(e, key);
		char *a = bt_addr_first(v);
		struct brec *r = bm_add(rs, a);
		const char *st = json_is_object(e) ? jstr(e, "status") : NULL;
		const char *dg = json_is_object(e) ?
		    jstr(e, "diagnosticCode") : NULL;

		free(a);
		if (r == NULL)
			continue;
		r->complaint = complaint;
		snprintf(r->action, sizeof(r->action), "%s", action);
		snprintf(r->status, sizeof(r->status), "%s",
		    st && verdict_status_valid(st) ? st : status);
		r->diag = xstrdup(dg ? dg : diag ? diag : "");
	}
}

static int
ses_notification(struct brecs *rs, json_t *o)
{
	const char *type = jstr(o, "notificationType");
	json_t *b;

	if (type == NULL)
		type = jstr(o, "eventType");
	if (type == NULL)
		return 0;
	if (strcasecmp(type, "Bounce") == 0) {
		const char *bt, *sub;

		b = json_object_get(o, "bounce");
		bt = jstr(b, "bounceType");
		sub = jstr(b, "bounceSubType");
		ses_recipients(rs, json_object_get(b, "bouncedRecipients"),
		    "emailAddress", "failed", ses_subtype_status(bt, sub),
		    sub, 0);
	} else if (strcasecmp(type, "Complaint") == 0) {
		b = json_object_get(o, "complaint");
		ses_recipients(rs, json_object_get(b, "complainedRecipients"),
		    "emailAddress", "failed", "", jstr(b,
		    "complaintFeedbackType"), 1);
	} else if (strcasecmp(type, "Delivery") == 0) {
		b = json_object_get(o, "delivery");
		ses_recipients(rs, json_object_get(b, "recipients"), NULL,
		    "delivered", "2.0.0", jstr(b, "smtpResponse"), 0);
	} else
		return 0;
	return 1;
}

/* JSON a mail system folded into lines ("...\n continued"): joined. */
static json_t *
json_unfolded(const char *s, size_t n)
{
	json_error_t err;
	json_t *o;
	char *j = xmalloc(n + 1);
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\r')
			continue;
		if (s[i] == '\n') {
			if (i + 1 < n && (s[i + 1] == ' ' || s[i + 1] == '\t'))
				i++;
			continue;
		}
		j[k++] = s[i];
	}
	o = json_loadb(j, k, JSON_DISABLE_EOF_CHECK, &err);
	free(j);
	return o;
}

int
bm_read_json(struct brecs *rs, const char *s, size_t n)
{
	const char *p = memchr(s, '{', n);
	json_error_t err;
	json_t *o, *inner = NULL;
	const char *msg;
	int ok = 0;

	if (p == NULL || (bt_ci_find(s, n, "notificationType") == NULL &&
	    bt_ci_find(s, n, "eventType") == NULL))
		return 0;
	o = json_loadb(p, (size_t)(s + n - p), JSON_DISABLE_EOF_CHECK, &err);
	if (o == NULL)
		o = json_unfolded(p, (size_t)(s + n - p));
	if (!json_is_object(o)) {
		json_decref(o);
		return 0;
	}
	/* an SNS envelope carries the notification as a string */
	msg = jstr(o, "Message");
	if (msg != NULL)
		inner = json_loads(msg, 0, &err);
	if (json_is_object(inner))
		ok = ses_notification(rs, inner);
	if (!ok)
		ok = ses_notification(rs, o);
	json_decref(inner);
	json_decref(o);
	return ok;
}

/* ---- text bounces ---- */

/* Words that, ending the text before an address, introduce a recipient. */
static const char *const intro[] = {
	">>>", "rcpt to:", "recipient:", "recipients:", "address:",
	"rfc822;", " to", " to:", "addressee:", "destinataire:",
};

/* A header name alone ("To:", "Delivered-To:"): quoted, not stated. */
static int
header_like(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && (isalnum((unsigned char)p[i]) || p[i] == '-'))
		i++;
	return i > 0 && i + 1 == n && p[i] == ':';
}

/* Does the text say the address at s[at] is a recipient? */
static int
stated(const char *s, size_t at)
{
	size_t b = line_start(s, at), e = at;
	const char *p;

	if (b > 0 && s[b - 1] != '\n')
		return 0;	/* too far into a long line */
	while (e > b && strchr(" \t<\"'([", s[e - 1]) != NULL)
		e--;
	while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '-' ||
	    s[b] == '*'))
		b++;
	if (e == b)
		return 1;
	p = s + b;
	if (bt_ci_find(p, e - b, "message-id") || bt_ci_find(p, e - b,
	    "msgid") || bt_ci_find(p, e - b, "message id"))
		return 0;
	if (header_like(p, e - b))
		return bt_ci_find(p, e - b, "recipient") != NULL;
	/* Sendmail's "550 5.1.1 <a>... User unknown" */
	if (e - b >= 3 && isdigit((unsigned char)p[0])) {
		size_t k = 0;

		while (k < e - b && strchr("0123456789. -#", p[k]) != NULL)
			k++;
		if (k == e - b)
			return 1;
	}
	/* "Invalid final delivery userid: a", "Unknown user: a" */
	if (s[e - 1] == ':' && !bt_ci_find(p, e - b, "from") &&
	    !bt_ci_find(p, e - b, "sender") && !bt_ci_find(p, e - b, "reply"))
		return 1;
	for (size_t i = 0; i < ARRAY_SIZE(intro); i++) {
		size_t m = strlen(intro[i]);

		if (e - b >= m && strncasecmp(s + e - m, intro[i], m) == 0)
			return 1;
	}
	return 0;
}

static int
daemon_addr(const char *a)
{
	return bt_ci_prefix(a, "mailer-daemon@") ||
	    bt_ci_prefix(a, "mail-daemon@") ||
	    bt_ci_prefix(a, "mailerdaemon@");
}

/* Recipients the text states, in order. */
static void
stated_recipients(const char *s, size_t n, const char *from, char ***v,
    size_t *nv)
{
	size_t pos = 0, at;
	char *a;

	while (*nv < BOUNCE_MAX_FINDINGS &&
	    (a = bt_addr_scan(s, n, &pos, &at)) != NULL) {
		if (!stated(s, at) || daemon_addr(a) || (from &&
		    strcmp(a, from) == 0) || bt_strv_has(*v, *nv, a)) {
			free(a);
			continue;
		}
		bt_strv_push(v, nv, a);
	}
}

/* "Message-ID: <", "id <", "msgid=": the address is a message's id. */
static int
names_an_id(const char *p, size_t n)
{
	for (const char *q = p; (q = bt_ci_find(q, (size_t)(p + n - q),
	    "id")) != NULL; q++)
		if (q == p || !isalpha((unsigned char)q[-1]))
			if (q + 2 == p + n || !isalpha((unsigned char)q[2]))
				return 1;
	return bt_ci_find(p, n, "msgid") != NULL;
}

/* Failing stated ones: addresses in the text that are not ours. */
static void
likely_recipients(const char *s, size_t n, const struct hdrs *h,
    const struct hdrs *rh, char ***cand, size_t *ncand)
{
	static const char *const ours[] = {
		"From", "To", "Cc", "Reply-To", "Return-Path", "Sender",
		"Delivered-To", "X-Original-To", "Envelope-To", "Message-ID",
		"In-Reply-To", "References",
	};
	char **excl = NULL, **rto = NULL, *a;
	size_t nexcl = 0, nrto = 0, pos = 0, at;

	for (size_t i = 0; i < ARRAY_SIZE(ours); i++) {
		bt_addr_list(bt_hdrs_get(h, ours[i]), &excl, &nexcl);
		if (strcmp(ours[i], "To") != 0 && strcmp(ours[i], "Cc") != 0)
			bt_addr_list(bt_hdrs_get(rh, ours[i]), &excl, &nexcl);
	}
	bt_addr_list(bt_hdrs_get(rh, "To"), &rto, &nrto);
	while (*ncand < BOUNCE_MAX_FINDINGS &&
	    (a = bt_addr_scan(s, n, &pos, &at)) != NULL) {
		size_t b = line_start(s, at);

		if (daemon_addr(a) || bt_ci_prefix(a, "postmaster@") ||
		    bt_strv_has(excl, nexcl, a) ||
		    bt_strv_has(*cand, *ncand, a) ||
		    names_an_id(s + b, at - b)) {
			free(a);
			continue;
		}
		bt_strv_push(cand, ncand, a);
	}
	/* One recipient per message we send: the returned To decides. */
	for (size_t i = 0; i < *ncand; i++)
		if (bt_strv_has(rto, nrto, (*cand)[i])) {
			a = (*cand)[i];
			(*cand)[i] = NULL;
			bt_strv_free(*cand, *ncand);
			*cand = xcalloc(1, sizeof(**cand));
			(*cand)[0] = a;
			*ncand = 1;
			break;
		}
	if (*ncand == 0) {
		*cand = rto;
		*ncand = nrto;
		rto = NULL;
		nrto = 0;
	}
	bt_strv_free(excl, nexcl);
	bt_strv_free(rto, nrto);
}

void
bm_read_text(struct brecs *rs, const char *s, size_t n,
    const struct hdrs *h, const struct hdrs *rh)
{
	char **cand = NULL, *from = bt_from_addr(h);
	size_t ncand = 0, cut;

	cut = bm_cut_copy(s, n);
	bt_addr_list(bt_hdrs_get(h, "X-Failed-Recipients"), &cand, &ncand);
	if (ncand == 0)
		stated_recipients(s, cut, from, &cand, &ncand);
	if (ncand == 0 && rh->n == 0 && cut < n) {
		/* no MIME: the returned header follows the marker line */
		const char *nl = memchr(s + cut, '\n', n - cut);
		struct hdrs *qh = xcalloc(1, sizeof(*qh));

		if (nl != NULL)
			bt_hdrs_parse(nl + 1, (size_t)(s + n - nl - 1), qh);
		likely_recipients(s, cut, h, qh, &cand, &ncand);
		bt_hdrs_release(qh);
		free(qh);
	} else if (ncand == 0)
		likely_recipients(s, cut, h, rh, &cand, &ncand);
	n = cut;
	for (size_t i = 0; i < ncand; i++) {
		struct brec *r = bm_add(rs, cand[i]);

		if (r == NULL)
			continue;
		r->diag = text_about(s, n, cand[i], cand, ncand);
		r->step = bm_step(r->diag, strlen(r->diag));
		if (r->step == SMTP_STEP_UNKNOWN && ncand == 1)
			r->step = bm_step(s, n);
	}
	if (ncand == 0) {
		struct brec *r = bm_add(rs, "");

		if (r != NULL) {
			r->diag = xstrndup(s, n < REC_MAX_DIAG ? n :
			    REC_MAX_DIAG);
			r->step = bm_step(s, n);
		}
	}
	bt_strv_free(cand, ncand);
	free(from);
}

/* Openings of bounce text, whatever the headers say. */
static const char *const fingerprints[] = {
	"delivery to the following recipient",
	"could not be delivered to",
	"was not delivered to",
	"error delivering your mail to",
	"undeliverable",
	"undelivered mail",
	"delivery has failed",
	"delivery failed",
	"permanent fatal errors",
	"permanent error",
	"unable to deliver",
	"could not deliver",
	"couldn't be delivered",
	"mail delivery failed",
	"returned mail",
	"not be delivered",
	"this is the mail system at host",
	"this is the qmail-send program",
	"this message was created automatically by mail delivery software",
	"delivery status notification",
	"did not reach the following recipient",
	"following addresses had",
	"transcript of session follows",
	"your message to the following recipients cannot be delivered",
	"message you sent",
	"did not like our",
	"requested action not taken",
};

int
bm_body_is_bounce(const char *s, size_t n)
{
	n = bm_cut_copy(s, n);
	if (n > 4096)
		n = 4096;
	for (size_t i = 0; i < ARRAY_SIZE(fingerprints); i++)
		if (bt_ci_find(s, n, fingerprints[i]) != NULL)
			return 1;
	return 0;
}
