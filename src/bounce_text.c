/*
 * bounce_text.c - what the bounce readers share: case-insensitive search,
 * one printable line of untrusted text, header blocks and addresses.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libetpan/libetpan.h>

#include "addr.h"
#include "bounce.h"
#include "bounce_int.h"
#include "buf.h"
#include "dripmail.h"
#include "util.h"
#include "xmalloc.h"

/* ---- small string helpers ---- */

/* Case-insensitive search for needle in the n bytes at hay. */
const char *
bt_ci_find(const char *hay, size_t n, const char *needle)
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

int
bt_ci_prefix(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

void
bt_lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/*
 * One printable line of at most BOUNCE_MAX_DIAG bytes from n bytes of
 * untrusted text: controls become spaces, runs of space collapse, bytes
 * that are not UTF-8 become '?' (allocated).
 */
char *
bt_one_line(const char *s, size_t n)
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
void
bt_add_capped(struct buf *b, const char *p, size_t n)
{
	if (b->max && n > b->max - b->len)
		n = b->max - b->len;
	if (n > 0)
		(void)buf_add(b, p, n);
}

/* ---- header blocks ---- */

void
bt_hdrs_release(struct hdrs *h)
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
size_t
bt_hdrs_parse(const char *s, size_t n, struct hdrs *h)
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
				bt_add_capped(&val, line, len);
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
		bt_add_capped(&val, colon + 1, len - (size_t)(colon + 1 - line));
	}
	if (have)
		h->v[h->n - 1].value = buf_detach(&val, NULL);
	buf_release(&val);
	for (size_t k = 0; k < h->n; k++)
		str_trim(h->v[k].value);
	return i;
}

const char *
bt_hdrs_get(const struct hdrs *h, const char *name)
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

/*
 * Lower-cased copy of the n bytes at addr when they look like an address
 * a mail server would report, else NULL.  Laxer than addr_check() in the
 * local part only: servers quote local parts ("a b"@x) and some carriers
 * hand out dot-atoms with runs of dots (a..b.@x); the domain must pass.
 */
char *
bt_addr_clean(const char *addr, size_t n)
{
	const char *why, *at;
	char *a = xstrndup(addr, n), *d;
	size_t local;
	int bad = 0;

	str_trim(a);
	at = strrchr(a, '@');
	local = at ? (size_t)(at - a) : 0;
	if (local == 0 || local > ADDR_MAX_LOCAL || strlen(a) > ADDR_MAX) {
		free(a);
		return NULL;
	}
	if (a[0] == '"') {
		bad = local < 3 || a[local - 1] != '"';
		for (size_t i = 1; !bad && i + 1 < local; i++)
			bad = (unsigned char)a[i] < 0x20 || a[i] == '"' ||
			    a[i] == '\\' || a[i] == 0x7f;
	} else
		for (size_t i = 0; !bad && i < local; i++)
			bad = !is_local_char((unsigned char)a[i]);
	d = xasprintf("x%s", at);
	if (bad || addr_check(d, &why) < 0) {
		free(d);
		free(a);
		return NULL;
	}
	free(d);
	/* "a..b"@x: quotes that only protect dots are dropped */
	if (a[0] == '"' && strspn(a + 1, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&*+/=?^_`{|}~.-") ==
	    local - 2) {
		memmove(a + local - 1, a + local, strlen(a + local) + 1);
		memmove(a, a + 1, strlen(a + 1) + 1);
	}
	bt_lower(a);
	return a;
}

/*
 * The next plausible address in the n bytes at s from *pos on (allocated,
 * lower-cased); *pos moves past it, *at is where it starts.  NULL at the end.
 */
char *
bt_addr_scan(const char *s, size_t n, size_t *pos, size_t *at)
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
		b = i;
		if (i > 0 && s[i - 1] == '"') {
			/* a quoted local part, on one line */
			for (b = i - 1; b > 0 && i - b < ADDR_MAX_LOCAL &&
			    s[b - 1] != '"' && s[b - 1] != '\n'; b--)
				;
			b = b > 0 && s[b - 1] == '"' ? b - 1 : i;
		}
		if (b == i) {
			for (; b > 0 && i - b < ADDR_MAX_LOCAL &&
			    is_local_char((unsigned char)s[b - 1]); b--)
				;
			while (b < i && s[b] == '.')
				b++;
		}
		for (e = i + 1; e < n && e - i <= ADDR_MAX_DOMAIN &&
		    is_domain_char((unsigned char)s[e]); e++)
			;
		while (e > i + 1 && (s[e - 1] == '.' || s[e - 1] == '-'))
			e--;
		if (b == i || e == i + 1)
			continue;
		a = bt_addr_clean(s + b, e - b);
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
char *
bt_addr_first(const char *value)
{
	size_t pos = 0;

	if (value == NULL)
		return NULL;
	return bt_addr_scan(value, strlen(value), &pos, NULL);
}

/* Append a (taken over) to the list, or free it when full or NULL. */
void
bt_strv_push(char ***list, size_t *n, char *a)
{
	if (a == NULL || *n >= BOUNCE_MAX_FINDINGS) {
		free(a);
		return;
	}
	*list = xreallocarray(*list, *n + 1, sizeof(**list));
	(*list)[(*n)++] = a;
}

void
bt_strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int
bt_strv_has(char **v, size_t n, const char *s)
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
void
bt_addr_list(const char *value, char ***list, size_t *n)
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
				bt_strv_push(list, n, bt_addr_clean(a, strlen(a)));
				continue;
			}
			ml = ad->ad_data.ad_group->grp_mb_list;
			for (clistiter *m = ml ? clist_begin(ml->mb_list) :
			    NULL; m != NULL; m = clist_next(m)) {
				struct mailimf_mailbox *mb = clist_content(m);

				bt_strv_push(list, n, bt_addr_clean(mb->mb_addr_spec,
				    strlen(mb->mb_addr_spec)));
			}
		}
		mailimf_address_list_free(al);
		return;
	}
	while (*n < BOUNCE_MAX_FINDINGS &&
	    (a = bt_addr_scan(value, strlen(value), &pos, NULL)) != NULL)
		bt_strv_push(list, n, a);
}

/* The From address (lower-cased, allocated) or NULL. */
char *
bt_from_addr(const struct hdrs *h)
{
	char **v = NULL, *a = NULL;
	size_t n = 0;

	bt_addr_list(bt_hdrs_get(h, "From"), &v, &n);
	if (n > 0) {
		a = v[0];
		v[0] = NULL;
	}
	bt_strv_free(v, n);
	return a;
}

