/*
 * message.c - headers and MIME structure with libetpan's builders, written
 * out with mailmime_write_mem() (CRLF, quoted-printable, folded headers).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libetpan/libetpan.h>

#include "dripmail.h"
#include "log.h"
#include "message.h"
#include "util.h"
#include "xmalloc.h"

/*
 * At most 75 characters per encoded word (RFC 2047); shorter, so that the
 * first one fits on the line after "Subject: " and folding never leaves a
 * field name alone on its line.
 */
#define EW_PAYLOAD	50

static int
printable_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/* Q-encoding of one UTF-8 character (n bytes) into q. */
static size_t
q_char(const unsigned char *s, size_t n, char *q)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = s[i];

		if (ch == ' ')
			q[k++] = '_';
		else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("!*+-/", ch) != NULL)
			q[k++] = (char)ch;
		else {
			q[k++] = '=';
			q[k++] = hex[ch >> 4];
			q[k++] = hex[ch & 15];
		}
	}
	return k;
}

/* Bytes in the UTF-8 character starting at s. */
static size_t
u8len(const unsigned char *s)
{
	size_t n = 1;

	while (s[n] != '\0' && (s[n] & 0xc0) == 0x80 && n < 4)
		n++;
	return n;
}

int
message_encode_words(const char *s, int phrase, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)s;
	char word[EW_PAYLOAD + 1], q[16];
	size_t wl = 0;
	int first = 1;

	if (str_has_ctl(s) || !utf8_valid(s, strlen(s)))
		return ERR_FAIL;
	if (printable_ascii(s) && strstr(s, "=?") == NULL &&
	    (phrase || strlen(s) < 900))
		return buf_addstr(out, s);
	while (*p) {
		size_t n = u8len(p), ql = q_char(p, n, q);

		if (wl + ql > EW_PAYLOAD) {
			if (buf_printf(out, "%s=?UTF-8?Q?%.*s?=",
			    first ? "" : " ", (int)wl, word) < 0)
				return ERR_FAIL;
			first = 0;
			wl = 0;
		}
		memcpy(word + wl, q, ql);
		wl += ql;
		p += n;
	}
	if (wl > 0 && buf_printf(out, "%s=?UTF-8?Q?%.*s?=", first ? "" : " ",
	    (int)wl, word) < 0)
		return ERR_FAIL;
	return 0;
}

/* An encoded copy of s for a header, or NULL (logged, naming what). */
static char *
encoded(const char *what, const char *s, int phrase)
{
	struct buf b;

	buf_init(&b, 4096);
	if (message_encode_words(s, phrase, &b) < 0) {
		log_warnx("%s: control character, non-UTF-8 text or too long "
		    "for a header", what);
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

/* A value that goes into a header as it is: printable ASCII only. */
static int
plain(const char *what, const char *s)
{
	if (s == NULL || *s == '\0' || printable_ascii(s))
		return 0;
	log_warnx("%s: control or non-ASCII character in '%s'", what, s);
	return ERR_FAIL;
}

static int
check_plain(const struct message *m)
{
	if (plain("From address", m->from_addr) < 0 ||
	    plain("To address", m->to_addr) < 0 ||
	    plain("Reply-To address", m->reply_to) < 0 ||
	    plain("Message-ID", m->message_id) < 0 ||
	    plain("List-Id", m->list_id) < 0 ||
	    plain("List-Unsubscribe", m->list_unsubscribe) < 0 ||
	    plain("boundary", m->boundary) < 0)
		return ERR_FAIL;
	return 0;
}

static struct mailimf_date_time *
date_new(time_t t)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		fatalx("date out of range");
	return mailimf_date_time_new(tm.tm_mday, tm.tm_mon + 1,
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, 0);
}

static void
add_custom(struct mailimf_fields *f, const char *name, const char *value)
{
	if (value != NULL && *value != '\0')
		mailimf_fields_add(f, mailimf_field_new_custom(xstrdup(name),
		    xstrdup(value)));
}

/* The RFC 5322 header fields; NULL when a value is unsafe (logged). */
static struct mailimf_fields *
fields_new(const struct message *m)
{
	struct mailimf_fields *f;
	struct mailimf_mailbox_list *from;
	struct mailimf_address_list *to, *reply = NULL;
	char *fname = NULL, *tname = NULL, *subject;

	if (check_plain(m) < 0)
		return NULL;
	if (m->from_name && *m->from_name &&
	    (fname = encoded("From name", m->from_name, 1)) == NULL)
		return NULL;
	if (m->to_name && *m->to_name &&
	    (tname = encoded("To name", m->to_name, 1)) == NULL) {
		free(fname);
		return NULL;
	}
	if ((subject = encoded("Subject", m->subject, 0)) == NULL) {
		free(fname);
		free(tname);
		return NULL;
	}
	from = mailimf_mailbox_list_new_empty();
	mailimf_mailbox_list_add(from, mailimf_mailbox_new(fname,
	    xstrdup(m->from_addr)));
	to = mailimf_address_list_new_empty();
	mailimf_address_list_add_mb(to, tname, xstrdup(m->to_addr));
	if (m->reply_to && *m->reply_to) {
		reply = mailimf_address_list_new_empty();
		mailimf_address_list_add_mb(reply, NULL, xstrdup(m->reply_to));
	}
	f = mailimf_fields_new_empty();
	mailimf_fields_add_data(f, date_new(m->date), from, NULL, reply, to,
	    NULL, NULL, xstrdup(m->message_id), NULL, NULL, subject);
	add_custom(f, "List-Id", m->list_id);
	add_custom(f, "List-Unsubscribe", m->list_unsubscribe);
	if (m->list_unsubscribe && strstr(m->list_unsubscribe, "<http"))
		add_custom(f, "List-Unsubscribe-Post",
		    "List-Unsubscribe=One-Click");
	return f;
}

int
message_qp_encode(const char *text, size_t n, struct buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *s = (const unsigned char *)text;
	char line[MESSAGE_QP_LINE + 8];
	size_t i = 0, col = 0;

	while (i < n) {
		unsigned char ch = s[i];
		size_t eol = 0;
		char enc[3];
		int k = 0;

		/* A line ends at LF or CRLF. */
		if (ch == '\n')
			eol = 1;
		else if (ch == '\r' && i + 1 < n && s[i + 1] == '\n')
			eol = 2;
		if (eol) {
			line[col++] = '\r';
			line[col++] = '\n';
			if (buf_add(out, line, col) < 0)
				return ERR_FAIL;
			col = 0;
			i += eol;
			continue;
		}
		/*
		 * Literal: printable ASCII but '=', and a space or tab unless
		 * it ends the line.  Encoded: the rest, plus a line's leading
		 * '.' (SMTP) and the F of a leading "From " (mbox).
		 */
		if (((ch >= 33 && ch <= 126 && ch != '=') ||
		    ((ch == ' ' || ch == '\t') && i + 1 < n &&
		    s[i + 1] != '\n' && s[i + 1] != '\r')) &&
		    !(col == 0 && (ch == '.' || (ch == 'F' && n - i >= 5 &&
		    memcmp(s + i, "From ", 5) == 0))))
			enc[k++] = (char)ch;
		else {
			enc[k++] = '=';
			enc[k++] = hex[ch >> 4];
			enc[k++] = hex[ch & 15];
		}
		/* Soft break so that no line exceeds MESSAGE_QP_LINE. */
		if (col + (size_t)k > MESSAGE_QP_LINE - 1) {
			line[col++] = '=';
			line[col++] = '\r';
			line[col++] = '\n';
			if (buf_add(out, line, col) < 0)
				return ERR_FAIL;
			col = 0;
		}
		memcpy(line + col, enc, (size_t)k);
		col += (size_t)k;
		i++;
	}
	if (col > 0 && buf_add(out, line, col) < 0)
		return ERR_FAIL;
	return 0;
}

/*
 * A text part, quoted-printable.  The body is encoded here rather than by
 * mailmime_write_mem(), whose encoder writes one character at a time and
 * was a fifth of a send run's CPU time; libetpan writes it as it is.
 */
static struct mailmime *
part_new(const char *type, const char *text, struct buf *qp)
{
	struct mailmime_fields *f;
	struct mailmime_content *c;
	struct mailmime *p;

	buf_init(qp, BUF_NOLIMIT);
	if (message_qp_encode(text, strlen(text), qp) < 0)
		fatalx("out of memory");
	f = mailmime_fields_new_encoding(MAILMIME_MECHANISM_QUOTED_PRINTABLE);
	c = mailmime_content_new_with_str(type);
	clist_append(c->ct_parameters, mailmime_param_new_with_data(
	    (char *)"charset", (char *)"UTF-8"));
	p = mailmime_new_empty(c, f);
	mailmime_set_body_text(p, qp->data ? qp->data : (char *)"", qp->len);
	p->mm_data.mm_single->dt_encoded = 1;
	return p;
}

/* multipart/alternative with our boundary instead of a random one. */
static struct mailmime *
alternative_new(const char *boundary)
{
	struct mailmime *alt;
	clistiter *it;

	alt = mailmime_multiple_new("multipart/alternative");
	for (it = clist_begin(alt->mm_content_type->ct_parameters); it;
	    it = clist_next(it)) {
		struct mailmime_parameter *p = clist_content(it);

		if (strcasecmp(p->pa_name, "boundary") == 0) {
			free(p->pa_value);
			p->pa_value = xstrdup(boundary);
		}
	}
	return alt;
}

/* Copy the written message to out, refusing over-long lines. */
static int
append_checked(const char *s, size_t n, struct buf *out)
{
	size_t start = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\n')
			continue;
		if (i - start > MESSAGE_LINE_MAX + 1) {
			log_warnx("message: line of %zu octets", i - start);
			return ERR_FAIL;
		}
		start = i + 1;
	}
	if (buf_add(out, s, n) < 0) {
		log_warnx("message: larger than %zu bytes", out->max);
		return ERR_FAIL;
	}
	return 0;
}

int
message_build(const struct message *m, struct buf *out)
{
	struct mailimf_fields *fields;
	struct mailmime *msg, *alt;
	struct buf qtext, qhtml;
	MMAPString *s;
	int col = 0, ret = ERR_FAIL;

	if (!utf8_valid(m->text, strlen(m->text)) ||
	    !utf8_valid(m->html, strlen(m->html))) {
		log_warnx("message: body is not UTF-8");
		return ERR_FAIL;
	}
	if ((fields = fields_new(m)) == NULL)
		return ERR_FAIL;
	msg = mailmime_new_message_data(NULL);
	mailmime_set_imf_fields(msg, fields);
	alt = alternative_new(m->boundary);
	mailmime_smart_add_part(msg, alt);
	mailmime_smart_add_part(alt, part_new("text/plain", m->text, &qtext));
	mailmime_smart_add_part(alt, part_new("text/html", m->html, &qhtml));
	if ((s = mmap_string_new("")) == NULL)
		fatalx("out of memory");
	if (mailmime_write_mem(s, &col, msg) != MAILIMF_NO_ERROR)
		log_warnx("message: cannot write the MIME structure");
	else if (s->len > MESSAGE_MAX)
		log_warnx("message: larger than %d bytes", MESSAGE_MAX);
	else
		ret = append_checked(s->str, s->len, out);
	mmap_string_free(s);
	mailmime_free(msg);
	buf_release(&qtext);
	buf_release(&qhtml);
	return ret;
}
