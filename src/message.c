/*
 * message.c - the message and part headers built and written by libetpan
 * (encoded words, folding, MIME parameters); the multipart boundaries and
 * the quoted-printable parts appended here (see message_build()).
 */
#include <stdint.h>
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
/*
 * A display name longer than this is encoded even when it is plain ASCII:
 * encoded words fold, while libetpan cannot fold a long quoted string
 * (a name with specials) and gives up on the header.
 */
#define PHRASE_PLAIN_MAX	64
/* An encoded display name or subject: a 4096-byte name, Q-encoded. */
#define HEADER_TEXT_MAX		(64 * 1024)

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
	    strlen(s) < (phrase ? PHRASE_PLAIN_MAX : 900))
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

/* atext (RFC 5322 3.2.3), or a space between atoms. */
static int
atext_or_space(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || (ch != '\0' &&
	    strchr("!#$%&'*+-/=?^_`{|}~ ", ch) != NULL);
}

int
message_phrase(const char *s, struct buf *out)
{
	const char *p;

	if (str_has_ctl(s) || !utf8_valid(s, strlen(s)))
		return ERR_FAIL;
	if (!printable_ascii(s) || strstr(s, "=?") != NULL)
		return message_encode_words(s, 1, out);
	for (p = s; *p && atext_or_space((unsigned char)*p); p++)
		;
	if (*p == '\0')
		return buf_addstr(out, s);
	if (buf_addch(out, '"') < 0)
		return ERR_FAIL;
	for (p = s; *p; p++)
		if ((*p == '"' || *p == '\\') && buf_addch(out, '\\') < 0)
			return ERR_FAIL;
		else if (buf_addch(out, *p) < 0)
			return ERR_FAIL;
	return buf_addch(out, '"');
}

/* An encoded copy of s for a header, or NULL (logged, naming what). */
static char *
encoded(const char *what, const char *s, int phrase)
{
	struct buf b;

	buf_init(&b, HEADER_TEXT_MAX);
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
	    plain("Feedback-ID", m->feedback_id) < 0 ||
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

/* List-Id: [phrase] "<" id ">" (RFC 2919), the name a quoted phrase. */
static int
add_list_id(struct mailimf_fields *f, const char *name, const char *id)
{
	struct buf b;
	int ret = 0;

	if (id == NULL || *id == '\0')
		return 0;
	buf_init(&b, 4096);
	if (name != NULL && *name != '\0' &&
	    (message_phrase(name, &b) < 0 || buf_addch(&b, ' ') < 0)) {
		log_warnx("List-Id name: control character, non-UTF-8 text "
		    "or too long for a header");
		ret = ERR_FAIL;
	} else if (buf_printf(&b, "<%s>", id) < 0)
		ret = ERR_FAIL;
	else
		add_custom(f, "List-Id", b.data);
	buf_release(&b);
	return ret;
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
	if (add_list_id(f, m->list_name, m->list_id) < 0) {
		mailimf_fields_free(f);
		return NULL;
	}
	add_custom(f, "List-Unsubscribe", m->list_unsubscribe);
	if (m->list_unsubscribe && strstr(m->list_unsubscribe, "<http"))
		add_custom(f, "List-Unsubscribe-Post",
		    "List-Unsubscribe=One-Click");
	add_custom(f, "Feedback-ID", m->feedback_id);
	return f;
}

/*
 * Literal in quoted-printable: printable ASCII but '=', and a space or tab
 * unless it ends the line (or a bare CR follows).
 */
static inline int
qp_literal(const unsigned char *p, const unsigned char *end)
{
	unsigned char ch = *p;

	return (ch >= 33 && ch <= 126 && ch != '=') ||
	    ((ch == ' ' || ch == '\t') && p + 1 < end && p[1] != '\r');
}

/* One character of a line, at column *col, with a soft break before it
 * when it does not fit. */
static char *
qp_char(const unsigned char *p, const unsigned char *end, char *o,
    size_t *col)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char ch = *p;
	int lit = qp_literal(p, end);

	if (*col + (lit ? 1 : 3) > MESSAGE_QP_LINE - 1) {
		*o++ = '=';
		*o++ = '\r';
		*o++ = '\n';
		*col = 0;
	}
	/* A line's leading '.' (SMTP) and "From " (mbox) are encoded. */
	if (*col == 0 && (ch == '.' || (ch == 'F' && end - p >= 5 &&
	    memcmp(p, "From ", 5) == 0)))
		lit = 0;
	if (lit) {
		*o++ = (char)ch;
		*col += 1;
	} else {
		*o++ = '=';
		*o++ = hex[ch >> 4];
		*o++ = hex[ch & 15];
		*col += 3;
	}
	return o;
}

/*
 * Nonzero when a byte of the eight in w is not printable ASCII or a space
 * (below 0x20 or above 0x7e), or is '=' (bit tricks from Sean Anderson's
 * "Bit Twiddling Hacks": hasless, hasmore, haszero).
 */
static inline uint64_t
qp_special8(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ULL;
	const uint64_t high = 0x8080808080808080ULL;
	uint64_t eq = w ^ (ones * '=');

	return (((w - ones * 0x20) & ~w) | (w + ones) | w |
	    ((eq - ones) & ~eq)) & high;
}

/*
 * Encode one line (no line end) into o, which has room; returns the end.
 * Runs of literal characters that fit on the output line are copied
 * whole, found eight bytes at a time; the rest goes through qp_char().
 */
static char *
qp_line(const unsigned char *p, const unsigned char *end, char *o)
{
	const size_t width = MESSAGE_QP_LINE - 1;
	size_t col = 0;

	while (p < end) {
		if (col > 0 || (*p != '.' && *p != 'F')) {
			const unsigned char *q = p, *lim;

			lim = (size_t)(end - p) > width - col ? p + (width - col) :
			    end;
			/* A space is literal unless it ends the line or a CR
			 * follows, which the last loop decides. */
			while (lim - q >= 8 && end - q > 8) {
				uint64_t w;

				memcpy(&w, q, 8);
				if (qp_special8(w) || (q[7] == ' ' && q[8] == '\r'))
					break;
				q += 8;
			}
			while (q < lim && qp_literal(q, end))
				q++;
			memcpy(o, p, (size_t)(q - p));
			o += q - p;
			col += (size_t)(q - p);
			if ((p = q) == end)
				break;
		}
		o = qp_char(p++, end, o, &col);
	}
	return o;
}

int
message_qp_encode(const char *text, size_t n, struct buf *out)
{
	const unsigned char *s = (const unsigned char *)text, *end = s + n;

	while (s < end) {
		const unsigned char *eol = memchr(s, '\n', (size_t)(end - s));
		const unsigned char *le = eol != NULL ? eol : end;
		size_t len, room;
		char *o, *start;

		if (eol != NULL && le > s && le[-1] == '\r')
			le--;			/* CRLF */
		/* Every byte as =XX, a soft break per 25 of them, CRLF. */
		len = (size_t)(le - s);
		room = 3 * len + 3 * (len / 25 + 1) + 2;
		if ((start = o = buf_space(out, room)) == NULL)
			return ERR_FAIL;
		o = qp_line(s, le, o);
		if (eol != NULL) {
			*o++ = '\r';
			*o++ = '\n';
			s = eol + 1;
		} else
			s = end;
		buf_added(out, (size_t)(o - start));
	}
	return 0;
}

/* "Content-Type: TYPE; charset=..." and the encoding, by libetpan. */
static int
part_header(MMAPString *s, const char *type)
{
	struct mailmime_content *c;
	struct mailmime_fields *f;
	int col = 0, r;

	c = mailmime_content_new_with_str(type);
	clist_append(c->ct_parameters, mailmime_param_new_with_data(
	    (char *)"charset", (char *)"UTF-8"));
	f = mailmime_fields_new_encoding(MAILMIME_MECHANISM_QUOTED_PRINTABLE);
	r = mailmime_content_write_mem(s, &col, c);
	if (r == MAILIMF_NO_ERROR)
		r = mailmime_fields_write_mem(s, &col, f);
	mailmime_content_free(c);
	mailmime_fields_free(f);
	return r;
}

/*
 * The message's header: the RFC 5322 fields, MIME-Version and the
 * multipart/alternative Content-Type with our boundary, all written by
 * libetpan (folding, quoting).
 */
static int
message_header(MMAPString *s, struct mailimf_fields *fields,
    const char *boundary)
{
	struct mailmime_content *c;
	int col = 0, r;

	c = mailmime_content_new_with_str("multipart/alternative");
	clist_append(c->ct_parameters, mailmime_param_new_with_data(
	    (char *)"boundary", (char *)boundary));
	r = mailimf_fields_write_mem(s, &col, fields);
	if (r == MAILIMF_NO_ERROR)
		r = mailimf_string_write_mem(s, &col, "MIME-Version: 1.0\r\n",
		    19);
	if (r == MAILIMF_NO_ERROR)
		r = mailmime_content_write_mem(s, &col, c);
	mailmime_content_free(c);
	return r;
}

/* 0 when no line of s is longer than RFC 5322 allows. */
static int
lines_fit(const char *s, size_t n)
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
	return 0;
}

/*
 * The message is libetpan's header, then the multipart body: each part's
 * header (libetpan's) and its text, quoted-printable encoded by
 * message_qp_encode() straight into out.  libetpan's own body writer
 * encodes one character per call and copies the text twice more, which was
 * a third of a send run's rendering time.  The parts' lines are at most
 * MESSAGE_QP_LINE long by construction, and the boundary cannot occur in
 * them: it starts with "=_", which quoted-printable never writes.
 */
int
message_build(const struct message *m, struct buf *out)
{
	struct mailimf_fields *fields;
	const char *type[2] = { "text/plain", "text/html" };
	const char *text[2] = { m->text, m->html };
	MMAPString *s;
	size_t start = out->len;
	int ret = ERR_FAIL;

	if (!utf8_valid(m->text, strlen(m->text)) ||
	    !utf8_valid(m->html, strlen(m->html))) {
		log_warnx("message: body is not UTF-8");
		return ERR_FAIL;
	}
	if ((fields = fields_new(m)) == NULL)
		return ERR_FAIL;
	if ((s = mmap_string_new("")) == NULL)
		fatalx("out of memory");
	if (message_header(s, fields, m->boundary) != MAILIMF_NO_ERROR) {
		log_warnx("message: cannot write the header");
		goto out;
	}
	if (lines_fit(s->str, s->len) < 0 || buf_add(out, s->str, s->len) < 0)
		goto out;
	for (int i = 0; i < 2; i++) {
		mmap_string_truncate(s, 0);
		if (part_header(s, type[i]) != MAILIMF_NO_ERROR) {
			log_warnx("message: cannot write the MIME structure");
			goto out;
		}
		if (buf_printf(out, "\r\n--%s\r\n", m->boundary) < 0 ||
		    buf_add(out, s->str, s->len) < 0 ||
		    buf_add(out, "\r\n", 2) < 0 ||
		    message_qp_encode(text[i], strlen(text[i]), out) < 0)
			goto full;
	}
	if (buf_printf(out, "\r\n--%s--\r\n", m->boundary) < 0)
		goto full;
	if (out->len - start > MESSAGE_MAX) {
		log_warnx("message: larger than %d bytes", MESSAGE_MAX);
		goto out;
	}
	ret = 0;
	goto out;
full:
	log_warnx("message: larger than %zu bytes", out->max);
out:
	if (ret < 0 && out->len > start) {
		out->len = start;
		out->data[start] = '\0';
	}
	mmap_string_free(s);
	mailimf_fields_free(fields);
	return ret;
}
