/*
 * bounce.c - classify a message from the bounce mailbox (libetpan for MIME
 * and addresses).  The order of questions, first match wins:
 *   1. an ARF feedback report (RFC 5965)            -> complaint
 *   2. an RFC 3464 delivery-status part              -> per recipient
 *   3. a bounce in another shape (from MAILER-DAEMON, a bounce subject):
 *      recipients and reasons from the text and the returned headers
 *   4. an auto-reply (Auto-Submitted, X-Autoreply, vacation subjects)
 *   5. an unsubscribe request (to the mailto address, or the subject)
 *   6. sent to a genuine VERP address: the text, as in 3
 *   7. anything else                                 -> other
 * A genuine VERP token in the address the bounce came to names the
 * subscriber, whatever the body says.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libetpan/libetpan.h>

#include "addr.h"
#include "bounce.h"
#include "buf.h"
#include "dripmail.h"
#include "log.h"
#include "token.h"
#include "util.h"
#include "xmalloc.h"

#define HDR_MAX_FIELDS	128	/* fields kept from one header block */
#define HDR_MAX_VALUE	4096	/* bytes kept of one field value */
#define CONTEXT_MAX	1000	/* text after a recipient read for a reason */

/* One header block, unfolded. */
struct hdr {
	char	*name;
	char	*value;
};

struct hdrs {
	struct hdr v[HDR_MAX_FIELDS];
	size_t	 n;
};

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

/* ---- small string helpers ---- */

/* Case-insensitive search for needle in the n bytes at hay. */
static const char *
ci_find(const char *hay, size_t n, const char *needle)
{
	size_t m = strlen(needle);

	if (m == 0 || m > n)
		return NULL;
	for (size_t i = 0; i + m <= n; i++) {
		size_t j;

		for (j = 0; j < m; j++)
			if (tolower((unsigned char)hay[i + j]) !=
			    tolower((unsigned char)needle[j]))
				break;
		if (j == m)
			return hay + i;
	}
	return NULL;
}

static int
ci_prefix(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static void
lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/*
 * One printable line of at most BOUNCE_MAX_DIAG bytes from n bytes of
 * untrusted text: controls become spaces, runs of space collapse, bytes
 * that are not UTF-8 become '?' (allocated).
 */
static char *
one_line(const char *s, size_t n)
{
	struct buf b;
	size_t i = 0;
	int space = 1;

	buf_init(&b, BOUNCE_MAX_DIAG);
	while (i < n && b.len < BOUNCE_MAX_DIAG) {
		unsigned char c = (unsigned char)s[i];
		size_t clen = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 :
		    c >= 0xc2 ? 2 : 0;

		if (c < 0x20 || c == 0x7f || c == ' ') {
			if (!space && buf_addch(&b, ' ') < 0)
				break;
			space = 1;
			i++;
			continue;
		}
		space = 0;
		if (clen == 0 || i + clen > n || !utf8_valid(s + i, clen)) {
			if (buf_addch(&b, '?') < 0)
				break;
			i++;
			continue;
		}
		if (buf_add(&b, s + i, clen) < 0)
			break;
		i += clen;
	}
	while (b.len > 0 && b.data[b.len - 1] == ' ')
		b.data[--b.len] = '\0';
	if (b.len == 0) {
		buf_release(&b);
		return xstrdup("");
	}
	return buf_detach(&b, NULL);
}

/* Append up to n bytes, stopping quietly at the buffer's cap. */
static void
add_capped(struct buf *b, const char *p, size_t n)
{
	if (b->max && n > b->max - b->len)
		n = b->max - b->len;
	if (n > 0)
		(void)buf_add(b, p, n);
}

/* ---- header blocks ---- */

static void
hdrs_release(struct hdrs *h)
{
	for (size_t i = 0; i < h->n; i++) {
		free(h->v[i].name);
		free(h->v[i].value);
	}
	h->n = 0;
}

/*
 * Parse one block of "Name: value" lines (unfolding continuation lines) from
 * the n bytes at s, up to an empty line or the end.  Lines that are neither
 * fields nor continuations are skipped.  Returns the bytes consumed,
 * including the empty line.
 */
static size_t
hdrs_parse(const char *s, size_t n, struct hdrs *h)
{
	struct buf val;
	size_t i = 0;
	int have = 0;

	h->n = 0;
	buf_init(&val, HDR_MAX_VALUE);
	while (i < n) {
		const char *line = s + i, *nl = memchr(line, '\n', n - i);
		size_t len = nl ? (size_t)(nl - line) : n - i;

		i += len + (nl != NULL);
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (len == 0)
			break;
		if (line[0] == ' ' || line[0] == '\t') {
			if (have)
				add_capped(&val, line, len);
			continue;
		}
		if (have) {
			h->v[h->n - 1].value = buf_detach(&val, NULL);
			have = 0;
		}
		const char *colon = memchr(line, ':', len);
		if (colon == NULL || colon == line || h->n == HDR_MAX_FIELDS)
			continue;
		h->v[h->n].name = str_trim(xstrndup(line,
		    (size_t)(colon - line)));
		h->v[h->n].value = NULL;
		h->n++;
		have = 1;
		add_capped(&val, colon + 1, len - (size_t)(colon + 1 - line));
	}
	if (have)
		h->v[h->n - 1].value = buf_detach(&val, NULL);
	buf_release(&val);
	for (size_t k = 0; k < h->n; k++)
		str_trim(h->v[k].value);
	return i;
}

static const char *
hdrs_get(const struct hdrs *h, const char *name)
{
	for (size_t i = 0; i < h->n; i++)
		if (strcasecmp(h->v[i].name, name) == 0)
			return h->v[i].value;
	return NULL;
}

/* ---- addresses ---- */

static int
is_local_char(int c)
{
	return isalnum(c) || (c != 0 && strchr("!#$%&*+/=?^_`{|}~.-", c));
}

static int
is_domain_char(int c)
{
	return isalnum(c) || c == '.' || c == '-';
}

/* Lower-cased copy of addr when addr_check() accepts it, else NULL. */
static char *
addr_clean(const char *addr, size_t n)
{
	const char *why;
	char *a = xstrndup(addr, n);

	str_trim(a);
	if (addr_check(a, &why) < 0) {
		free(a);
		return NULL;
	}
	lower(a);
	return a;
}

/*
 * The next plausible address in the n bytes at s from *pos on (allocated,
 * lower-cased); *pos moves past it, *at is where it starts.  NULL at the end.
 */
static char *
addr_scan(const char *s, size_t n, size_t *pos, size_t *at)
{
	while (*pos < n) {
		const char *p = memchr(s + *pos, '@', n - *pos);
		size_t i, b, e;
		char *a;

		if (p == NULL) {
			*pos = n;
			return NULL;
		}
		i = (size_t)(p - s);
		*pos = i + 1;
		for (b = i; b > 0 && i - b < ADDR_MAX_LOCAL &&
		    is_local_char((unsigned char)s[b - 1]); b--)
			;
		while (b < i && s[b] == '.')
			b++;
		for (e = i + 1; e < n && e - i <= ADDR_MAX_DOMAIN &&
		    is_domain_char((unsigned char)s[e]); e++)
			;
		while (e > i + 1 && (s[e - 1] == '.' || s[e - 1] == '-'))
			e--;
		if (b == i || e == i + 1)
			continue;
		a = addr_clean(s + b, e - b);
		if (a == NULL)
			continue;
		*pos = e;
		if (at)
			*at = b;
		return a;
	}
	return NULL;
}

/* The first address of a header value such as From or Final-Recipient. */
static char *
addr_first(const char *value)
{
	size_t pos = 0;

	if (value == NULL)
		return NULL;
	return addr_scan(value, strlen(value), &pos, NULL);
}

/* Append a (taken over) to the list, or free it when full or NULL. */
static void
strv_push(char ***list, size_t *n, char *a)
{
	if (a == NULL || *n >= BOUNCE_MAX_FINDINGS) {
		free(a);
		return;
	}
	*list = xreallocarray(*list, *n + 1, sizeof(**list));
	(*list)[(*n)++] = a;
}

static void
strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int
strv_has(char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

/*
 * The addresses of an address-list header (To, Cc, From), parsed with
 * libetpan so display names are not mistaken for addresses; a value it
 * cannot parse is scanned.  Appended to *list (allocated strings).
 */
static void
addr_list(const char *value, char ***list, size_t *n)
{
	struct mailimf_address_list *al = NULL;
	size_t idx = 0, pos = 0;
	char *a;

	if (value == NULL)
		return;
	if (mailimf_address_list_parse(value, strlen(value), &idx, &al) ==
	    MAILIMF_NO_ERROR) {
		for (clistiter *c = clist_begin(al->ad_list); c != NULL;
		    c = clist_next(c)) {
			struct mailimf_address *ad = clist_content(c);
			struct mailimf_mailbox_list *ml;

			if (ad->ad_type == MAILIMF_ADDRESS_MAILBOX) {
				a = ad->ad_data.ad_mailbox->mb_addr_spec;
				strv_push(list, n, addr_clean(a, strlen(a)));
				continue;
			}
			ml = ad->ad_data.ad_group->grp_mb_list;
			for (clistiter *m = ml ? clist_begin(ml->mb_list) :
			    NULL; m != NULL; m = clist_next(m)) {
				struct mailimf_mailbox *mb = clist_content(m);

				strv_push(list, n, addr_clean(mb->mb_addr_spec,
				    strlen(mb->mb_addr_spec)));
			}
		}
		mailimf_address_list_free(al);
		return;
	}
	while (*n < BOUNCE_MAX_FINDINGS &&
	    (a = addr_scan(value, strlen(value), &pos, NULL)) != NULL)
		strv_push(list, n, a);
}

/* The From address (lower-cased, allocated) or NULL. */
static char *
from_addr(const struct hdrs *h)
{
	char **v = NULL, *a = NULL;
	size_t n = 0;

	addr_list(hdrs_get(h, "From"), &v, &n);
	if (n > 0) {
		a = v[0];
		v[0] = NULL;
	}
	strv_free(v, n);
	return a;
}

/* ---- RFC 3463 status codes ---- */

/* Parse "c.s.d" at s; its length, or 0.  Boundaries are the caller's. */
static size_t
status_at(const char *s, int *cls, int *subj, int *det)
{
	const char *p = s;
	int v[3];

	for (int k = 0; k < 3; k++) {
		int d = 0, x = 0;

		while (isdigit((unsigned char)*p) && d < 4) {
			x = x * 10 + (*p - '0');
			p++;
			d++;
		}
		if (d == 0 || d > 3 || (k == 0 && d != 1))
			return 0;
		v[k] = x;
		if (k < 2) {
			if (*p != '.')
				return 0;
			p++;
		}
	}
	if (v[0] != 2 && v[0] != 4 && v[0] != 5)
		return 0;
	*cls = v[0];
	*subj = v[1];
	*det = v[2];
	return (size_t)(p - s);
}

static int
status_valid(const char *s)
{
	int c, sb, d;
	size_t n = status_at(s, &c, &sb, &d);

	return n > 0 && s[n] == '\0';
}

enum bounce_kind
bounce_status_kind(const char *status)
{
	static const int dead[][2] = {
		{ 1, 1 }, { 1, 2 }, { 1, 3 }, { 1, 6 }, { 1, 10 }, { 2, 1 },
	};
	int c, s, d;

	if (status == NULL || !status_valid(status))
		return BOUNCE_OTHER;
	status_at(status, &c, &s, &d);
	if (c == 2)
		return BOUNCE_OTHER;
	if (c == 5)
		for (size_t i = 0; i < ARRAY_SIZE(dead); i++)
			if (s == dead[i][0] && d == dead[i][1])
				return BOUNCE_HARD;
	return BOUNCE_SOFT;
}

/* Phrases real MTAs use, mapped to the nearest status (class 5). */
static const struct {
	const char	*phrase;
	const char	*status;
} phrases[] = {
	{ "user unknown", "5.1.1" },
	{ "unknown user", "5.1.1" },
	{ "no such user", "5.1.1" },
	{ "no such recipient", "5.1.1" },
	{ "no such mailbox", "5.1.1" },
	{ "no mailbox here", "5.1.1" },
	{ "user not found", "5.1.1" },
	{ "recipient not found", "5.1.1" },
	{ "mailbox not found", "5.1.1" },
	{ "mailbox unavailable", "5.1.1" },
	{ "unknown recipient", "5.1.1" },
	{ "invalid recipient", "5.1.1" },
	{ "unknown local part", "5.1.1" },
	{ "unrouteable address", "5.1.1" },
	{ "not listed in domino directory", "5.1.1" },
	{ "account that you tried to reach does not exist", "5.1.1" },
	{ "account does not exist", "5.1.1" },
	{ "address does not exist", "5.1.1" },
	{ "user doesn't have a", "5.1.1" },
	{ "is not a valid mailbox", "5.1.1" },
	{ "mailbox disabled", "5.2.1" },
	{ "account disabled", "5.2.1" },
	{ "account has been disabled", "5.2.1" },
	{ "mailbox is disabled", "5.2.1" },
	{ "account is disabled", "5.2.1" },
	{ "mailbox inactive", "5.2.1" },
	{ "account expired", "5.2.1" },
	{ "host or domain name not found", "5.1.2" },
	{ "domain not found", "5.1.2" },
	{ "domain does not exist", "5.1.2" },
	{ "unrouteable domain", "5.1.2" },
	{ "no such domain", "5.1.2" },
	{ "mailbox full", "5.2.2" },
	{ "mailbox is full", "5.2.2" },
	{ "over quota", "5.2.2" },
	{ "quota exceeded", "5.2.2" },
	{ "insufficient storage", "5.2.2" },
	{ "message too large", "5.3.4" },
	{ "message size exceeds", "5.3.4" },
	{ "relay access denied", "5.7.1" },
	{ "relaying denied", "5.7.1" },
	{ "not permitted to relay", "5.7.1" },
	{ "spam", "5.7.1" },
	{ "blocked", "5.7.1" },
	{ "blacklist", "5.7.1" },
	{ "blocklist", "5.7.1" },
	{ "policy", "5.7.1" },
	{ "connection timed out", "4.4.1" },
	{ "connection refused", "4.4.1" },
	{ "try again later", "4.0.0" },
	{ "temporar", "4.0.0" },
};

/* The first enhanced status code in the n bytes at s, into out. */
static int
find_enhanced(const char *s, size_t n, char out[BOUNCE_STATUS_LEN])
{
	for (size_t i = 0; i < n; i++) {
		int c, sb, d;
		size_t len;

		if (i > 0 && (isalnum((unsigned char)s[i - 1]) ||
		    s[i - 1] == '.'))
			continue;
		if (s[i] != '2' && s[i] != '4' && s[i] != '5')
			continue;
		/* status_at reads digits and dots only, bounded by n */
		char tmp[16];
		size_t k;
		for (k = 0; k < sizeof(tmp) - 1 && i + k < n &&
		    (isdigit((unsigned char)s[i + k]) || s[i + k] == '.');
		    k++)
			tmp[k] = s[i + k];
		tmp[k] = '\0';
		len = status_at(tmp, &c, &sb, &d);
		if (len == 0 || (tmp[len] == '.' &&
		    isdigit((unsigned char)tmp[len + 1])) ||
		    isdigit((unsigned char)tmp[len]))
			continue;
		snprintf(out, BOUNCE_STATUS_LEN, "%d.%d.%d", c, sb, d);
		return 1;
	}
	return 0;
}

/* The class (4 or 5) of the first basic SMTP reply code, or 0. */
static int
find_basic_class(const char *s, size_t n)
{
	for (size_t i = 0; i + 3 <= n; i++) {
		if (i > 0 && (isalnum((unsigned char)s[i - 1]) ||
		    strchr(".:-[/", s[i - 1])))
			continue;
		if ((s[i] != '4' && s[i] != '5') ||
		    !isdigit((unsigned char)s[i + 1]) ||
		    !isdigit((unsigned char)s[i + 2]))
			continue;
		if (i + 3 < n && s[i + 3] != ' ' && s[i + 3] != '-' &&
		    s[i + 3] != ':')
			continue;
		return s[i] - '0';
	}
	return 0;
}

static const char *
find_phrase(const char *s, size_t n)
{
	for (size_t i = 0; i < ARRAY_SIZE(phrases); i++)
		if (ci_find(s, n, phrases[i].phrase) != NULL)
			return phrases[i].status;
	return NULL;
}

/* Generic codes a phrase may sharpen: X.0.0, X.4.4 (unable to route). */
static int
status_generic(const char *st)
{
	return strcmp(st + 1, ".0.0") == 0 || strcmp(st + 1, ".4.4") == 0;
}

static int
status_from(const char *s, size_t n, char out[BOUNCE_STATUS_LEN])
{
	const char *ph = find_phrase(s, n);
	int cls;

	if (find_enhanced(s, n, out)) {
		if (ph && status_generic(out) && ph[0] == out[0])
			snprintf(out, BOUNCE_STATUS_LEN, "%s", ph);
		return 1;
	}
	cls = find_basic_class(s, n);
	if (ph) {
		snprintf(out, BOUNCE_STATUS_LEN, "%c%s",
		    cls ? '0' + cls : ph[0], ph + 1);
		return 1;
	}
	if (cls) {
		snprintf(out, BOUNCE_STATUS_LEN, "%d.0.0", cls);
		return 1;
	}
	if (ci_find(s, n, "permanent") != NULL) {
		snprintf(out, BOUNCE_STATUS_LEN, "5.0.0");
		return 1;
	}
	out[0] = '\0';
	return 0;
}

int
bounce_status_from_text(const char *text, char out[BOUNCE_STATUS_LEN])
{
	return status_from(text, strlen(text), out);
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
	f->diagnostic = diag ? one_line(diag, diaglen) : xstrdup("");
	return f;
}

static int
has_recipient(const struct bounce_result *r, const char *rcpt)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->findings[i].recipient, rcpt) == 0)
			return 1;
	return 0;
}

void
bounce_result_release(struct bounce_result *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->findings[i].recipient);
		free(r->findings[i].diagnostic);
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
		add_capped(b, d->dt_data.dt_text.dt_data,
		    d->dt_data.dt_text.dt_length);
	} else if (mailmime_part_parse(d->dt_data.dt_text.dt_data,
	    d->dt_data.dt_text.dt_length, &idx, d->dt_encoding, &out,
	    &outlen) == MAILIMF_NO_ERROR) {
		add_capped(b, out, outlen);
		mailmime_decoded_part_free(out);
	}
	add_capped(b, "\n\n", 2);
}

static void
walk(struct scan *sc, const struct mailmime *m, int depth)
{
	const struct mailmime_content *ct = m->mm_content_type;

	if (depth > BOUNCE_MAX_DEPTH || ++sc->parts > BOUNCE_MAX_PARTS)
		return;
	switch (m->mm_type) {
	case MAILMIME_MULTIPLE:
		for (clistiter *c = clist_begin(m->mm_data.mm_multipart.
		    mm_mp_list); c != NULL; c = clist_next(c))
			walk(sc, clist_content(c), depth + 1);
		return;
	case MAILMIME_MESSAGE:
		if (depth == 0) {
			if (m->mm_data.mm_message.mm_msg_mime)
				walk(sc, m->mm_data.mm_message.mm_msg_mime,
				    depth + 1);
		} else if (sc->returned.len == 0 && m->mm_body)
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

		while ((q = ci_find(p, (size_t)(end - p), words[w])) != NULL) {
			if (++count > BOUNCE_MAX_NESTED)
				return 1;
			p = q + 1;
		}
	}
	return 0;
}

/* Fill sc from the message: the MIME tree, or failing that its text. */
static void
scan_message(struct scan *sc, const char *msg, size_t len, size_t hdrlen)
{
	struct mailmime *mime = NULL;
	size_t idx = 0;

	if (!too_nested(msg, len) &&
	    mailmime_parse(msg, len, &idx, &mime) == MAILIMF_NO_ERROR) {
		walk(sc, mime, 0);
		mailmime_free(mime);
		return;
	}
	log_debug("bounce: MIME structure not followed; reading the text");
	add_capped(&sc->text, msg + hdrlen, len - hdrlen);
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
	return value_token(o, hdrs_get(rh, "Return-Path"), TOKEN_VERP, t) ||
	    url_token(o, hdrs_get(rh, "List-Unsubscribe"), t) ||
	    value_token(o, hdrs_get(rh, "List-Unsubscribe"),
	    TOKEN_UNSUBSCRIBE, t);
}

/* ---- the questions ---- */

/* Delivery-status blocks: one finding per recipient block.  The count. */
static size_t
read_dsn(struct bounce_result *r, const char *s, size_t n)
{
	struct hdrs h;
	size_t pos = 0, found = 0;

	while (pos < n) {
		const char *rcpt, *action, *st, *diag;
		char status[BOUNCE_STATUS_LEN] = "", *a;
		enum bounce_kind kind;

		while (pos < n && (s[pos] == '\n' || s[pos] == '\r'))
			pos++;
		if (pos >= n)
			break;
		pos += hdrs_parse(s + pos, n - pos, &h);
		rcpt = hdrs_get(&h, "Original-Recipient");
		a = addr_first(rcpt ? strchr(rcpt, ';') ? strchr(rcpt, ';') :
		    rcpt : NULL);
		if (a == NULL) {
			rcpt = hdrs_get(&h, "Final-Recipient");
			a = addr_first(rcpt);
		}
		if (a == NULL || has_recipient(r, a)) {
			free(a);
			hdrs_release(&h);
			continue;
		}
		action = hdrs_get(&h, "Action");
		st = hdrs_get(&h, "Status");
		diag = hdrs_get(&h, "Diagnostic-Code");
		if (diag && strchr(diag, ';'))
			diag = strchr(diag, ';') + 1;
		if (st && (str_trim((char *)st), status_valid(st)))
			snprintf(status, sizeof(status), "%s", st);
		if (diag) {
			char better[BOUNCE_STATUS_LEN];

			if (status[0] == '\0' || status_generic(status)) {
				if (status_from(diag, strlen(diag), better) &&
				    (status[0] == '\0' ||
				    better[0] == status[0]))
					memcpy(status, better, sizeof(status));
			}
		}
		if (action && (ci_prefix(action, "delivered") ||
		    ci_prefix(action, "relayed") ||
		    ci_prefix(action, "expanded")))
			kind = BOUNCE_OTHER;
		else if (action && ci_prefix(action, "delayed"))
			kind = BOUNCE_SOFT;
		else {
			if (status[0] == '\0')
				snprintf(status, sizeof(status), "5.0.0");
			kind = bounce_status_kind(status);
			if (kind == BOUNCE_OTHER)
				kind = BOUNCE_SOFT;	/* failed, "2.0.0" */
		}
		if (add_finding(r, a, status, kind, diag ? diag : action,
		    diag ? strlen(diag) : action ? strlen(action) : 0))
			found++;
		free(a);
		hdrs_release(&h);
	}
	return found;
}

static void
read_arf(struct bounce_result *r, const struct scan *sc,
    const struct hdrs *rh)
{
	struct hdrs h;
	const char *type, *v;
	char **to = NULL, *a = NULL;
	size_t nto = 0;
	enum bounce_kind kind;

	hdrs_parse(sc->arf.data, sc->arf.len, &h);
	type = hdrs_get(&h, "Feedback-Type");
	kind = type == NULL || ci_prefix(type, "abuse") ||
	    ci_prefix(type, "fraud") || ci_prefix(type, "other") ?
	    BOUNCE_COMPLAINT : BOUNCE_OTHER;
	v = hdrs_get(&h, "Original-Rcpt-To");
	if (v == NULL)
		v = hdrs_get(&h, "Removal-Recipient");
	a = addr_first(v);
	if (a == NULL) {
		addr_list(hdrs_get(rh, "To"), &to, &nto);
		if (nto > 0) {
			a = to[0];
			to[0] = NULL;
		}
	}
	add_finding(r, a, "", kind, type ? "feedback-type: " : NULL, 15);
	if (type && r->n > 0) {
		struct bounce_finding *f = &r->findings[r->n - 1];
		char *d = xasprintf("feedback-type: %s", type);

		free(f->diagnostic);
		f->diagnostic = one_line(d, strlen(d));
		free(d);
	}
	free(a);
	strv_free(to, nto);
	hdrs_release(&h);
}

/* Lines after which a bounce quotes the original message. */
static const char *const copy_markers[] = {
	"------ This is a copy of the message",
	"--- Below this line is a copy of the message",
	"----- Original message -----",
	"------ Original Message",
	"----- Unsent message follows -----",
	"--- The header of the original message is following",
	"Original message follows",
	"original message headers:",
};

/* Where the quoted original begins in the n bytes at s, or n. */
static size_t
cut_copy(const char *s, size_t n)
{
	size_t cut = n;

	for (size_t i = 0; i < ARRAY_SIZE(copy_markers); i++) {
		const char *p = ci_find(s, cut, copy_markers[i]);

		if (p != NULL)
			cut = (size_t)(p - s);
	}
	return cut;
}

static int
daemon_addr(const char *a)
{
	return ci_prefix(a, "mailer-daemon@") || ci_prefix(a, "postmaster@") ||
	    ci_prefix(a, "mail-daemon@") || ci_prefix(a, "mailerdaemon@");
}

/* Recipients in bounce text: candidates a reader would pick. */
static void
text_candidates(const char *s, size_t n, const struct hdrs *h,
    const struct hdrs *rh, char ***cand, size_t *ncand)
{
	static const char *const ours[] = {
		"From", "To", "Cc", "Reply-To", "Return-Path", "Sender",
		"Delivered-To", "X-Original-To", "Envelope-To",
	};
	char **excl = NULL, **rto = NULL, *a;
	size_t nexcl = 0, nrto = 0, pos = 0;

	addr_list(hdrs_get(h, "X-Failed-Recipients"), cand, ncand);
	if (*ncand > 0)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(ours); i++) {
		addr_list(hdrs_get(h, ours[i]), &excl, &nexcl);
		if (strcmp(ours[i], "To") != 0 && strcmp(ours[i], "Cc") != 0)
			addr_list(hdrs_get(rh, ours[i]), &excl, &nexcl);
	}
	addr_list(hdrs_get(rh, "To"), &rto, &nrto);
	while (*ncand < BOUNCE_MAX_FINDINGS &&
	    (a = addr_scan(s, n, &pos, NULL)) != NULL) {
		if (daemon_addr(a) || strv_has(excl, nexcl, a) ||
		    strv_has(*cand, *ncand, a)) {
			free(a);
			continue;
		}
		strv_push(cand, ncand, a);
	}
	/* One recipient per message we send: the returned To decides. */
	for (size_t i = 0; i < *ncand; i++)
		if (strv_has(rto, nrto, (*cand)[i])) {
			a = (*cand)[i];
			(*cand)[i] = NULL;
			strv_free(*cand, *ncand);
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
	strv_free(excl, nexcl);
	strv_free(rto, nrto);
}

/* A bounce that is not a DSN: recipients and reasons from the text. */
static void
read_text_bounce(struct bounce_result *r, const char *s, size_t n,
    const struct hdrs *h, const struct hdrs *rh)
{
	char **cand = NULL, whole[BOUNCE_STATUS_LEN];
	size_t ncand = 0;

	n = cut_copy(s, n);
	text_candidates(s, n, h, rh, &cand, &ncand);
	status_from(s, n, whole);
	for (size_t i = 0; i < ncand; i++) {
		const char *p = ci_find(s, n, cand[i]), *ctx;
		size_t len = 0;
		char st[BOUNCE_STATUS_LEN];

		if (p != NULL) {
			ctx = p + strlen(cand[i]);
			len = (size_t)(s + n - ctx);
			if (len > CONTEXT_MAX)
				len = CONTEXT_MAX;
			for (size_t k = 0; k < ncand; k++) {
				const char *q = k == i ? NULL :
				    ci_find(ctx, len, cand[k]);

				if (q != NULL)
					len = (size_t)(q - ctx);
			}
		} else
			ctx = s;
		if (len == 0 || !status_from(ctx, len, st))
			memcpy(st, whole, sizeof(st));
		/* the reason is on the lines after the address */
		while (len > 0 && strchr(">:' \t\r\n", *ctx) != NULL) {
			ctx++;
			len--;
		}
		enum bounce_kind kind = st[0] ? bounce_status_kind(st) :
		    BOUNCE_SOFT;
		add_finding(r, cand[i], st, kind == BOUNCE_OTHER ?
		    BOUNCE_SOFT : kind, ctx, len);
	}
	strv_free(cand, ncand);
}

/* The decoded Subject, or "" (allocated). */
static char *
subject_of(const struct hdrs *h)
{
	const char *v = hdrs_get(h, "Subject");
	char *out = NULL, *line;
	size_t idx = 0;

	if (v == NULL)
		return xstrdup("");
	if (mailmime_encoded_phrase_parse("us-ascii", v, strlen(v), &idx,
	    "utf-8", &out) == MAILIMF_NO_ERROR && out != NULL) {
		line = one_line(out, strlen(out));
		free(out);
		return line;
	}
	return one_line(v, strlen(v));
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
	};

	if (from && daemon_addr(from))
		return 1;
	if (hdrs_get(h, "X-Failed-Recipients") != NULL)
		return 1;
	for (size_t i = 0; i < ARRAY_SIZE(subjects); i++)
		if (ci_find(subject, strlen(subject), subjects[i]))
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
	const char *v = hdrs_get(h, "Auto-Submitted");
	const char *p = hdrs_get(h, "Precedence");

	if (v != NULL && !ci_prefix(v, "no"))
		return 1;
	if (hdrs_get(h, "X-Autoreply") || hdrs_get(h, "X-Autorespond"))
		return 1;
	if (p && ci_prefix(p, "auto_reply"))
		return 1;
	for (size_t i = 0; i < ARRAY_SIZE(subjects); i++)
		if (ci_find(subject, strlen(subject), subjects[i]) == subject)
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
			if (ci_prefix(s, prefixes[i])) {
				s += strlen(prefixes[i]);
				again = 1;
			}
	}
	if (!ci_prefix(s, "unsubscribe"))
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

			addr_list(hdrs_get(h, envelope_fields[i]), &v, &nv);
			for (size_t k = 0; k < nv; k++) {
				const char *va = v[k], *vat = strchr(va, '@');

				if (strcasecmp(va, o->unsubscribe_mailto) == 0 ||
				    (strncasecmp(va, o->unsubscribe_mailto,
				    local) == 0 && va[local] == '+' &&
				    strcasecmp(vat, at) == 0))
					to_us = 1;
			}
			strv_free(v, nv);
			value_token(o, hdrs_get(h, envelope_fields[i]),
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
	char *subject, *from;
	const char *mid, *text;
	size_t hdrlen, textlen;
	int bounce = 0;

	memset(r, 0, sizeof(*r));
	if (len > BOUNCE_MAX_SIZE)
		len = BOUNCE_MAX_SIZE;
	hdrlen = hdrs_parse(msg, len, h);
	scan_init(&sc);
	scan_message(&sc, msg, len, hdrlen);
	hdrs_parse(sc.returned.data, sc.returned.len, rh);
	text = sc.text.len ? sc.text.data : sc.html.data;
	textlen = sc.text.len ? sc.text.len : sc.html.len;
	if ((mid = hdrs_get(h, "Message-ID")) != NULL && *mid != '\0')
		r->message_id = one_line(mid, strlen(mid));
	subject = subject_of(h);
	from = from_addr(h);
	find_verp(o, h, &verp);
	find_returned_token(o, rh, &ret);

	if (sc.arf.len > 0) {
		read_arf(r, &sc, rh);
		apply_token(r, verp.token ? &verp : &ret, 0);
	} else if ((sc.dsn.len > 0 && read_dsn(r, sc.dsn.data, sc.dsn.len)) ||
	    (looks_like_bounce(h, subject, from) &&
	    (read_text_bounce(r, text, textlen, h, rh), 1))) {
		bounce = 1;
	} else if (is_autoreply(h, subject)) {
		add_finding(r, from, "", BOUNCE_AUTOREPLY, subject,
		    strlen(subject));
	} else if (read_unsubscribe(o, r, h, subject, from)) {
		;
	} else if (verp.token) {
		read_text_bounce(r, text, textlen, h, rh);
		bounce = 1;
	}
	if (r->n == 0)
		add_finding(r, from, "", BOUNCE_OTHER, subject,
		    strlen(subject));
	if (bounce)
		apply_token(r, verp.token ? &verp : &ret, 1);

	free(verp.token);
	free(ret.token);
	free(subject);
	free(from);
	hdrs_release(h);
	hdrs_release(rh);
	free(h);
	free(rh);
	scan_release(&sc);
	return 0;
}
