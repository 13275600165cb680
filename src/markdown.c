/*
 * markdown.c - Markdown to an HTML template and a plain-text template with
 * cmark.  The text part is written from cmark's tree, not from the HTML.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmark.h>

#include "buf.h"
#include "markdown.h"
#include "xmalloc.h"

#define TAG_DIGITS	5

/* Mustache tags put aside while cmark works. */
struct tags {
	char	 prefix[32];
	char	**tag;
	size_t	 n;
};

/* Pick a placeholder prefix that does not occur in the text. */
static void
tags_prefix(struct tags *t, const char *md)
{
	size_t n;

	(void)snprintf(t->prefix, sizeof(t->prefix), "dmtag");
	n = strlen(t->prefix);
	while (strstr(md, t->prefix) != NULL && n + 1 < sizeof(t->prefix)) {
		t->prefix[n++] = 'q';
		t->prefix[n] = '\0';
	}
}

/* Copy md into out with each {{...}} replaced by PREFIX00012z. */
static void
tags_protect(struct tags *t, const char *md, struct buf *out)
{
	const char *s = md, *open, *close;

	tags_prefix(t, md);
	while ((open = strstr(s, "{{")) != NULL) {
		const char *end = open[2] == '{' ? "}}}" : "}}";

		close = strstr(open + 2, end);
		if (close == NULL)
			break;
		close += strlen(end);
		(void)buf_add(out, s, (size_t)(open - s));
		t->tag = xreallocarray(t->tag, t->n + 1, sizeof(*t->tag));
		t->tag[t->n] = xstrndup(open, (size_t)(close - open));
		(void)buf_printf(out, "%s%0*zuz", t->prefix, TAG_DIGITS, t->n);
		t->n++;
		s = close;
	}
	(void)buf_addstr(out, s);
}

/* Put the tags back into s: allocated. */
static char *
tags_restore(const struct tags *t, const char *s)
{
	struct buf out;
	size_t plen = strlen(t->prefix);
	const char *p;

	buf_init(&out, BUF_NOLIMIT);
	while ((p = strstr(s, t->prefix)) != NULL) {
		const char *d = p + plen;
		size_t i = 0, k;

		for (k = 0; k < TAG_DIGITS && d[k] >= '0' && d[k] <= '9'; k++)
			i = i * 10 + (size_t)(d[k] - '0');
		(void)buf_add(&out, s, (size_t)(p - s));
		if (k == TAG_DIGITS && d[k] == 'z' && i < t->n) {
			(void)buf_addstr(&out, t->tag[i]);
			s = d + k + 1;
		} else {
			(void)buf_add(&out, p, plen);
			s = d;
		}
	}
	(void)buf_addstr(&out, s);
	return buf_detach(&out, NULL);
}

static void
tags_free(struct tags *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->tag[i]);
	free(t->tag);
}

/*
 * Email clients ignore most <style>: give cmark's plain tags inline styles.
 * cmark writes these opening tags exactly so when sourcepos is off.
 */
static const struct {
	const char	*from, *to;
} html_styles[] = {
	{ "<p>", "<p style=\"margin:0 0 16px 0;\">" },
	{ "<h1>", "<h1 style=\"margin:24px 0 12px 0;font-size:26px;"
	    "line-height:1.25;\">" },
	{ "<h2>", "<h2 style=\"margin:24px 0 12px 0;font-size:21px;"
	    "line-height:1.3;\">" },
	{ "<h3>", "<h3 style=\"margin:20px 0 8px 0;font-size:18px;\">" },
	{ "<ul>", "<ul style=\"margin:0 0 16px 0;padding-left:24px;\">" },
	{ "<ol>", "<ol style=\"margin:0 0 16px 0;padding-left:24px;\">" },
	{ "<li>", "<li style=\"margin:0 0 6px 0;\">" },
	{ "<blockquote>", "<blockquote style=\"margin:0 0 16px 0;"
	    "padding:4px 16px;border-left:4px solid #9bb8a6;\">" },
	{ "<a href=", "<a style=\"color:#2f6f4f;\" href=" },
	{ "<pre>", "<pre style=\"white-space:pre-wrap;font-size:14px;\">" },
};

static char *
html_inline_styles(const char *html)
{
	struct buf out;
	const char *s = html;

	buf_init(&out, BUF_NOLIMIT);
	while (*s) {
		size_t i;

		for (i = 0; i < sizeof(html_styles) / sizeof(html_styles[0]);
		    i++) {
			size_t n = strlen(html_styles[i].from);

			if (strncmp(s, html_styles[i].from, n) == 0) {
				(void)buf_addstr(&out, html_styles[i].to);
				s += n;
				break;
			}
		}
		if (i == sizeof(html_styles) / sizeof(html_styles[0]))
			(void)buf_addch(&out, *s++);
	}
	return buf_detach(&out, NULL);
}

/* The plain-text writer. */
struct txt {
	struct buf	 out;
	int		 allow_html;
};

static void	txt_children(struct txt *, cmark_node *, const char *,
		    const char *, int);

/* Columns taken by n bytes of UTF-8. */
static size_t
cols(const char *s, size_t n)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			c++;
	return c;
}

static void
txt_inlines(struct txt *t, cmark_node *n, struct buf *b)
{
	for (cmark_node *c = cmark_node_first_child(n); c;
	    c = cmark_node_next(c)) {
		const char *lit = cmark_node_get_literal(c);
		const char *url;
		size_t start;

		switch (cmark_node_get_type(c)) {
		case CMARK_NODE_TEXT:
		case CMARK_NODE_CODE:
			(void)buf_addstr(b, lit ? lit : "");
			break;
		case CMARK_NODE_SOFTBREAK:
			(void)buf_addch(b, ' ');
			break;
		case CMARK_NODE_LINEBREAK:
			(void)buf_addch(b, '\n');
			break;
		case CMARK_NODE_HTML_INLINE:
			break;
		case CMARK_NODE_STRONG:
			(void)buf_addch(b, '*');
			txt_inlines(t, c, b);
			(void)buf_addch(b, '*');
			break;
		case CMARK_NODE_LINK:
		case CMARK_NODE_IMAGE:
			start = b->len;
			txt_inlines(t, c, b);
			url = cmark_node_get_url(c);
			if (url == NULL || *url == '\0')
				break;
			if (strncmp(url, "mailto:", 7) == 0 &&
			    strcmp(b->data + start, url + 7) == 0)
				break;
			if (strcmp(b->data + start, url) != 0)
				(void)buf_printf(b, " (%s)", url);
			break;
		default:
			txt_inlines(t, c, b);
			break;
		}
	}
}

/* One output line: prefix, text without trailing blanks, newline. */
static void
out_line(struct buf *o, const char *prefix, const char *s, size_t n)
{
	(void)buf_addstr(o, prefix);
	(void)buf_add(o, s, n);
	while (o->len > 0 && o->data[o->len - 1] == ' ')
		o->data[--o->len] = '\0';
	(void)buf_addch(o, '\n');
}

static void
txt_line(struct txt *t, const char *prefix, const char *s, size_t n)
{
	out_line(&t->out, prefix, s, n);
}

/* Word-wrap text at MD_WIDTH: the first line after p1, the rest after p. */
static void
wrap(struct buf *o, const char *text, const char *p1, const char *p)
{
	const char *s = text;
	size_t pw = cols(p, strlen(p));
	size_t width = MD_WIDTH > pw + 20 ? MD_WIDTH - pw : 20;
	size_t used = 0;	/* the columns in line */
	struct buf line;

	buf_init(&line, BUF_NOLIMIT);
	while (*s) {
		size_t wl, wc;

		if (*s == ' ') {
			s++;
			continue;
		}
		if (*s == '\n') {
			out_line(o, p1, line.data, line.len);
			p1 = p;
			buf_reset(&line);
			used = 0;
			s++;
			continue;
		}
		wl = strcspn(s, " \n");
		wc = cols(s, wl);
		if (line.len > 0 && used + 1 + wc > width) {
			out_line(o, p1, line.data, line.len);
			p1 = p;
			buf_reset(&line);
			used = 0;
		}
		if (line.len > 0) {
			(void)buf_addch(&line, ' ');
			used++;
		}
		(void)buf_add(&line, s, wl);
		used += wc;
		s += wl;
	}
	if (line.len > 0)
		out_line(o, p1, line.data, line.len);
	buf_release(&line);
}

/*
 * The text is wrapped once rendered (md_text_finish()), so that the values
 * filled in count: each paragraph goes into the template as one block,
 * WRAP_OPEN first-line prefix WRAP_SEP prefix WRAP_SEP text WRAP_CLOSE.
 * The markers start with the underline marker's byte (below).
 */
#define WRAP_OPEN	"\x01\x03"
#define WRAP_SEP	"\x01\x04"
#define WRAP_CLOSE	"\x01\x05"

static void
txt_wrap(struct txt *t, const char *text, const char *p1, const char *p)
{
	(void)buf_printf(&t->out, WRAP_OPEN "%s" WRAP_SEP "%s" WRAP_SEP "%s"
	    WRAP_CLOSE, p1, p, text);
}

/*
 * A heading's underline is as long as the heading once the tags are put
 * back, so write a marker now and the line later (underline()).  The
 * marker's first byte is taken out of the input (md_clean()): only we
 * write it.
 */
#define UNDERLINE	"\x01\x02"

static void
txt_underline(struct txt *t, const char *p, int ch)
{
	char mark[4] = UNDERLINE;

	mark[2] = (char)ch;
	txt_line(t, p, mark, 3);
}

/* Replace each underline marker by a line as wide as the one above. */
static char *
underline(const char *s)
{
	struct buf out;
	const char *m, *prev = s;

	buf_init(&out, BUF_NOLIMIT);
	while ((m = strstr(s, UNDERLINE)) != NULL) {
		const char *bol = m;
		size_t w;

		while (bol > prev && bol[-1] != '\n')
			bol--;
		(void)buf_add(&out, s, (size_t)(m - s));
		if (m[2] != '=' && m[2] != '-') {	/* not ours */
			(void)buf_add(&out, m, 1);
			s = m + 1;
			continue;
		}
		/* The heading is the previous line, after the same prefix. */
		{
			const char *end = bol > prev ? bol - 1 : bol;
			const char *start = end;

			while (start > prev && start[-1] != '\n')
				start--;
			w = cols(start, (size_t)(end - start));
			w -= w > (size_t)(m - bol) ? (size_t)(m - bol) : w;
		}
		if (w > MD_WIDTH)
			w = MD_WIDTH;
		for (size_t i = 0; i < w; i++)
			(void)buf_addch(&out, m[2]);
		s = m + 3;
	}
	(void)buf_addstr(&out, s);
	return buf_detach(&out, NULL);
}

static void
txt_block(struct txt *t, cmark_node *n, const char *p1, const char *p)
{
	struct buf b;
	const char *lit;
	char *ip1, *ip;
	int i, ordered;

	buf_init(&b, BUF_NOLIMIT);
	switch (cmark_node_get_type(n)) {
	case CMARK_NODE_PARAGRAPH:
		txt_inlines(t, n, &b);
		txt_wrap(t, b.data, p1, p);
		break;
	case CMARK_NODE_HEADING:
		txt_inlines(t, n, &b);
		txt_wrap(t, b.data, p1, p);
		txt_underline(t, p,
		    cmark_node_get_heading_level(n) == 1 ? '=' : '-');
		break;
	case CMARK_NODE_CODE_BLOCK:
		lit = cmark_node_get_literal(n);
		while (lit && *lit) {
			size_t k = strcspn(lit, "\n");

			(void)buf_reset(&b);
			(void)buf_addstr(&b, "    ");
			(void)buf_add(&b, lit, k);
			txt_line(t, p1, b.data, b.len);
			p1 = p;
			lit += k + (lit[k] == '\n');
		}
		break;
	case CMARK_NODE_HTML_BLOCK:
		if (t->allow_html) {
			lit = cmark_node_get_literal(n);
			(void)buf_addstr(&b, lit ? lit : "");
			txt_wrap(t, b.data, p1, p);
		}
		break;
	case CMARK_NODE_THEMATIC_BREAK:
		txt_line(t, p1, "----------", 10);
		break;
	case CMARK_NODE_BLOCK_QUOTE:
		ip1 = xasprintf("%s> ", p1);
		ip = xasprintf("%s> ", p);
		txt_children(t, n, ip1, ip, 0);
		free(ip1);
		free(ip);
		break;
	case CMARK_NODE_LIST:
		ordered = cmark_node_get_list_type(n) == CMARK_ORDERED_LIST;
		i = cmark_node_get_list_start(n);
		for (cmark_node *c = cmark_node_first_child(n); c;
		    c = cmark_node_next(c), i++) {
			char mark[16];
			int mlen;

			if (c != cmark_node_first_child(n) &&
			    !cmark_node_get_list_tight(n))
				txt_line(t, p, "", 0);
			mlen = ordered ? snprintf(mark, sizeof(mark), "%d. ", i)
			    : snprintf(mark, sizeof(mark), "- ");
			ip1 = xasprintf("%s%s", p1, mark);
			ip = xasprintf("%s%*s", p, mlen, "");
			txt_children(t, c, ip1, ip,
			    cmark_node_get_list_tight(n));
			free(ip1);
			free(ip);
			p1 = p;
		}
		break;
	default:
		txt_children(t, n, p1, p, 0);
		break;
	}
	buf_release(&b);
}

static void
txt_children(struct txt *t, cmark_node *n, const char *p1, const char *p,
    int tight)
{
	for (cmark_node *c = cmark_node_first_child(n); c;
	    c = cmark_node_next(c)) {
		if (c != cmark_node_first_child(n)) {
			if (!tight)
				txt_line(t, p, "", 0);
			p1 = p;
		}
		txt_block(t, c, p1, p);
	}
}

/* md without the marker's byte, NUL-terminated: allocated. */
static char *
md_clean(const char *md, size_t len)
{
	char *s = xmalloc(len + 1);
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		if (md[i] != UNDERLINE[0])
			s[n++] = md[i];
	s[n] = '\0';
	return s;
}

void
md_convert(const char *md, size_t len, int allow_html, char **html,
    char **text)
{
	struct tags tags;
	struct buf in;
	struct txt t;
	cmark_node *doc;
	char *raw, *styled;
	int opts = allow_html ? CMARK_OPT_UNSAFE : CMARK_OPT_SAFE;

	memset(&tags, 0, sizeof(tags));
	raw = md_clean(md, len);
	buf_init(&in, BUF_NOLIMIT);
	tags_protect(&tags, raw, &in);
	free(raw);
	doc = cmark_parse_document(in.data, in.len, opts);
	buf_release(&in);

	raw = cmark_render_html(doc, opts);
	styled = html_inline_styles(raw);
	*html = tags_restore(&tags, styled);
	free(raw);
	free(styled);

	memset(&t, 0, sizeof(t));
	buf_init(&t.out, BUF_NOLIMIT);
	t.allow_html = allow_html;
	txt_children(&t, doc, "", "", 0);
	*text = tags_restore(&tags, t.out.data);
	buf_release(&t.out);
	cmark_node_free(doc);
	tags_free(&tags);
}

/*
 * Copy n bytes of s with the wrap markers out (a stray end: a newline),
 * span by span: this runs over every byte of every message's text.
 */
static void
unmark(struct buf *o, const char *s, size_t n)
{
	const char *end = s + n, *m;

	while ((m = memchr(s, WRAP_OPEN[0], (size_t)(end - s))) != NULL) {
		(void)buf_add(o, s, (size_t)(m - s));
		if (m + 1 < end && (m[1] == WRAP_OPEN[1] ||
		    m[1] == WRAP_SEP[1] || m[1] == WRAP_CLOSE[1])) {
			if (m[1] == WRAP_CLOSE[1])
				(void)buf_addch(o, '\n');
			s = m + 2;
		} else {
			(void)buf_add(o, m, 1);
			s = m + 1;
		}
	}
	(void)buf_add(o, s, (size_t)(end - s));
}

/*
 * Wrap the block starting at s (after WRAP_OPEN) into o; returns the end.
 * A section that cut through blocks may leave one without its fields or
 * its end: it ends at the next marker that opens or ends one.
 */
static const char *
wrap_block(struct buf *o, const char *s)
{
	const char *close = strstr(s, WRAP_CLOSE), *next = strstr(s, WRAP_OPEN);
	const char *end, *f[2];
	char *p1, *p, *text;
	struct buf tb;

	if (close == NULL || (next != NULL && next < close))
		close = next;
	end = close ? close : s + strlen(s);
	f[0] = strstr(s, WRAP_SEP);
	f[1] = f[0] && f[0] < end ? strstr(f[0] + 2, WRAP_SEP) : NULL;
	if (f[1] == NULL || f[1] >= end)
		f[0] = f[1] = s;	/* no prefixes: all text */
	p1 = xstrndup(s, (size_t)(f[0] - s));
	p = f[0] == s ? xstrdup("") : xstrndup(f[0] + 2,
	    (size_t)(f[1] - f[0] - 2));
	buf_init(&tb, BUF_NOLIMIT);
	unmark(&tb, f[1] == s ? s : f[1] + 2, (size_t)(end - (f[1] == s ? s :
	    f[1] + 2)));
	text = buf_detach(&tb, NULL);
	wrap(o, text ? text : "", p1, p);
	free(p1);
	free(p);
	free(text);
	return close && strncmp(close, WRAP_CLOSE, 2) == 0 ? close + 2 : end;
}

char *
md_text_finish(const char *s)
{
	struct buf o;
	const char *open;
	char *out;

	buf_init(&o, BUF_NOLIMIT);
	while ((open = strstr(s, WRAP_OPEN)) != NULL) {
		unmark(&o, s, (size_t)(open - s));
		s = wrap_block(&o, open + 2);
	}
	unmark(&o, s, strlen(s));
	while (o.len > 0 && o.data[o.len - 1] == '\n')
		o.data[--o.len] = '\0';	/* the layout adds its own */
	out = underline(o.data ? o.data : "");
	buf_release(&o);
	return out;
}
