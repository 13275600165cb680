/*
 * mustache.c - the Mustache template engine (the whole specification,
 * ~inheritance included; lambdas are not supported).
 *
 * Compiling runs in three passes over the template: tokenize (tags and
 * text, text split after each newline, set-delimiter tags applied), match
 * (every section closed by its own name, nesting capped), and the
 * standalone rule (a line holding only whitespace and non-output tags
 * loses that whitespace and its newline).  Then the tokens become a tree;
 * partials and parents are loaded and compiled once each, by name, into a
 * table the compiled template owns.
 *
 * Indentation (standalone partials, and blocks re-indented from their
 * definition to their expansion) is applied while rendering: each context
 * on a stack strips one indentation from and adds another to every
 * template line that starts inside it.  Text from the data is never
 * indented, as the spec's partial tests require.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "dripmail.h"
#include "log.h"
#include "mustache.h"
#include "util.h"
#include "xmalloc.h"

enum kind {
	K_TEXT, K_VAR, K_RAW, K_SECTION, K_INVERTED, K_CLOSE, K_COMMENT,
	K_DELIM, K_PARTIAL, K_PARENT, K_BLOCK
};

struct tok {
	enum kind	 kind;
	size_t		 start, end;	/* raw bytes of the token in src */
	size_t		 name, namelen;	/* tag content, trimmed */
	int		 line;
	enum kind	 closes;	/* K_CLOSE: the opener's kind */
	int		 removed;	/* whitespace of a standalone line */
	int		 standalone;
	size_t		 ind, indlen;	/* indentation, in src */
};

struct tmpl;

struct node {
	enum kind	 kind;
	int		 line;
	const char	*tmpl;		/* its partial's name, NULL: the main */
	int		 standalone;
	const char	*text;		/* K_TEXT, borrowed from tmpl->src */
	size_t		 len;
	char		*name;
	const char	*ind;		/* indentation, borrowed from src */
	size_t		 indlen;
	struct node	*kids;
	size_t		 nkids;
	struct tmpl	*target;	/* K_PARTIAL, K_PARENT; NULL: none */
};

struct tmpl {
	char		*name;		/* NULL for the main template */
	char		*src;
	size_t		 len;
	struct node	*nodes;
	size_t		 nnodes;
};

struct mustache {
	struct tmpl	 main;
	struct tmpl	**parts;
	size_t		 nparts;
	int		 escape_html;
	void		(*missing)(void *, const char *, const char *, int);
	void		*missing_ctx;
};

struct nodelist {
	struct node	*v;
	size_t		 n, cap;
};

struct parser {
	struct mustache			*m;
	const struct mustache_opts	*opts;
	struct tmpl			*t;
	struct tok			*toks;
	size_t				 ntoks, cap;
	char				*err;
	size_t				 errlen;
};

static int	compile_tmpl(struct parser *);

static int
seterr(struct parser *p, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
seterr(struct parser *p, int line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->errlen > 0)
		snprintf(p->err, p->errlen, "%d: %s", line, msg);
	return ERR_FAIL;
}

static int
is_blank(int c)
{
	return c == ' ' || c == '\t';
}

static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	    c == '\f' || c == '\v';
}

/* find(3) is not POSIX. */
static const char *
find(const char *hay, size_t n, const char *needle, size_t m)
{
	const char *p = hay, *end = hay + n;

	while (m > 0 && (size_t)(end - p) >= m) {
		p = memchr(p, needle[0], (size_t)(end - p) - m + 1);
		if (p == NULL)
			return NULL;
		if (memcmp(p, needle, m) == 0)
			return p;
		p++;
	}
	return NULL;
}

/* Leading blanks of the line starting at pos. */
static size_t
blanks_at(const struct tmpl *t, size_t pos)
{
	size_t n = 0;

	while (pos + n < t->len && is_blank(t->src[pos + n]))
		n++;
	return n;
}

static struct tok *
tok_add(struct parser *p, enum kind kind, size_t start, size_t end, int line)
{
	struct tok *k;

	if (p->ntoks == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 64;
		p->toks = xreallocarray(p->toks, p->cap, sizeof(*p->toks));
	}
	k = &p->toks[p->ntoks++];
	memset(k, 0, sizeof(*k));
	k->kind = kind;
	k->start = start;
	k->end = end;
	k->line = line;
	return k;
}

/* Text from start to end, one token per line (each keeps its '\n'). */
static void
add_text(struct parser *p, size_t start, size_t end, int *line)
{
	const char *s = p->t->src;
	size_t i;

	while (start < end) {
		for (i = start; i < end && s[i] != '\n'; i++)
			;
		if (i < end)
			i++;
		tok_add(p, K_TEXT, start, i, *line);
		if (s[i - 1] == '\n')
			(*line)++;
		start = i;
	}
}

/* A dotted name: "." or non-empty segments without blanks or controls. */
static int
name_ok(const char *s, size_t n, int dotted)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
			return 0;
	if (!dotted || (n == 1 && s[0] == '.'))
		return 1;
	if (s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 1; i < n; i++)
		if (s[i] == '.' && s[i - 1] == '.')
			return 0;
	return 1;
}

/* {{=<% %>=}}: the content between '=' and '='. */
static int
set_delims(struct parser *p, size_t a, size_t b, int line,
    const char **open, size_t *olen, const char **close, size_t *clen)
{
	const char *s = p->t->src;
	size_t o, on, c, cn;

	while (a < b && is_space(s[a]))
		a++;
	while (b > a && is_space(s[b - 1]))
		b--;
	for (o = a, on = 0; a < b && !is_space(s[a]); a++)
		on++;
	while (a < b && is_space(s[a]))
		a++;
	for (c = a, cn = 0; a < b && !is_space(s[a]); a++)
		cn++;
	if (a != b || on == 0 || cn == 0 || on > MUSTACHE_MAX_DELIM ||
	    cn > MUSTACHE_MAX_DELIM || memchr(s + o, '=', on) != NULL ||
	    memchr(s + c, '=', cn) != NULL)
		return seterr(p, line, "bad delimiters");
	*open = s + o;
	*olen = on;
	*close = s + c;
	*clen = cn;
	return 0;
}

static enum kind
sigil_kind(int c)
{
	switch (c) {
	case '{':
	case '&':
		return K_RAW;
	case '#':
		return K_SECTION;
	case '^':
		return K_INVERTED;
	case '/':
		return K_CLOSE;
	case '!':
		return K_COMMENT;
	case '=':
		return K_DELIM;
	case '>':
		return K_PARTIAL;
	case '<':
		return K_PARENT;
	case '$':
		return K_BLOCK;
	default:
		return K_VAR;
	}
}

/* One tag at pos (the opening delimiter); *pos moves past it. */
static int
scan_tag(struct parser *p, size_t *pos, int *line, const char **open,
    size_t *olen, const char **close, size_t *clen)
{
	const char *s = p->t->src, *q;
	size_t len = p->t->len, a = *pos + *olen, b, end, i;
	char cl[MUSTACHE_MAX_DELIM + 1];
	size_t cln = 0;
	enum kind kind = K_VAR;
	int sigil = 0;
	struct tok *k;

	if (a < len) {
		kind = sigil_kind(s[a]);
		if (kind != K_VAR)
			sigil = s[a++];
	}
	if (sigil == '{' || sigil == '=')
		cl[cln++] = (char)(sigil == '{' ? '}' : '=');
	memcpy(cl + cln, *close, *clen);
	cln += *clen;
	q = find(s + a, len - a, cl, cln);
	if (q == NULL)
		return seterr(p, *line, "unclosed tag");
	b = (size_t)(q - s);
	end = b + cln;
	k = tok_add(p, kind, *pos, end, *line);
	for (i = *pos; i < end; i++)
		if (s[i] == '\n')
			(*line)++;
	*pos = end;
	if (kind == K_COMMENT)
		return 0;
	if (kind == K_DELIM)
		return set_delims(p, a, b, k->line, open, olen, close, clen);
	while (a < b && is_space(s[a]))
		a++;
	while (b > a && is_space(s[b - 1]))
		b--;
	k->name = a;
	k->namelen = b - a;
	if (!name_ok(s + a, b - a, kind != K_PARTIAL && kind != K_PARENT &&
	    kind != K_BLOCK))
		return seterr(p, k->line, "bad tag name '%.*s'",
		    (int)(b - a > 40 ? 40 : b - a), s + a);
	return 0;
}

static int
tokenize(struct parser *p)
{
	const char *s = p->t->src, *open = "{{", *close = "}}", *q;
	size_t len = p->t->len, olen = 2, clen = 2, pos = 0, at;
	int line = 1;

	while (pos < len) {
		q = find(s + pos, len - pos, open, olen);
		at = q ? (size_t)(q - s) : len;
		add_text(p, pos, at, &line);
		pos = at;
		if (q == NULL)
			break;
		if (scan_tag(p, &pos, &line, &open, &olen, &close, &clen) < 0)
			return ERR_FAIL;
	}
	return 0;
}

static int
is_open(enum kind k)
{
	return k == K_SECTION || k == K_INVERTED || k == K_PARENT ||
	    k == K_BLOCK;
}

/* Every opener closed by its own name, at most MUSTACHE_MAX_NEST deep. */
static int
match(struct parser *p)
{
	size_t stack[MUSTACHE_MAX_NEST], n = 0, i;
	const char *s = p->t->src;
	struct tok *k, *o;

	for (i = 0; i < p->ntoks; i++) {
		k = &p->toks[i];
		if (is_open(k->kind)) {
			if (n == MUSTACHE_MAX_NEST)
				return seterr(p, k->line, "sections nested "
				    "deeper than %d", MUSTACHE_MAX_NEST);
			stack[n++] = i;
		} else if (k->kind == K_CLOSE) {
			if (n == 0)
				return seterr(p, k->line, "unexpected closing "
				    "tag '%.*s'", (int)k->namelen, s + k->name);
			o = &p->toks[stack[--n]];
			if (o->namelen != k->namelen ||
			    memcmp(s + o->name, s + k->name, k->namelen) != 0)
				return seterr(p, k->line, "closing tag '%.*s' "
				    "does not match '%.*s' opened on line %d",
				    (int)k->namelen, s + k->name,
				    (int)o->namelen, s + o->name, o->line);
			k->closes = o->kind;
		}
	}
	if (n > 0) {
		o = &p->toks[stack[n - 1]];
		return seterr(p, o->line, "unclosed section '%.*s'",
		    (int)o->namelen, s + o->name);
	}
	return 0;
}

/* Only blanks, then an optional "\n" or "\r\n" when last on its line. */
static int
text_blank(const struct tmpl *t, const struct tok *k, int last)
{
	size_t i, end = k->end;

	if (last && t->src[end - 1] == '\n') {
		end--;
		if (end > k->start && t->src[end - 1] == '\r')
			end--;
	}
	for (i = k->start; i < end; i++)
		if (!is_blank(t->src[i]))
			return 0;
	return 1;
}

static int
line_standalone(const struct parser *p, size_t a, size_t b)
{
	const struct tok *k;
	int tags = 0, parent = 0;
	size_t i;

	for (i = a; i < b; i++) {
		k = &p->toks[i];
		switch (k->kind) {
		case K_TEXT:
			if (!text_blank(p->t, k, i + 1 == b))
				return 0;
			break;
		case K_VAR:
		case K_RAW:
			return 0;
		case K_CLOSE:
			parent |= k->closes == K_PARENT;
			tags++;
			break;
		default:
			parent |= k->kind == K_PARENT;
			tags++;
			break;
		}
	}
	/*
	 * One tag, or several with a parent among them ("{{<p}}{{$b}}"):
	 * "  {{$b}}{{/b}}" keeps its newline, as the spec's tests want.
	 */
	return tags == 1 || (tags > 1 && parent);
}

/* Indentation of a block: its first line's, or its tag line's. */
static void
block_indent(struct parser *p, struct tok *k, size_t lstart, size_t next)
{
	size_t pos = lstart;

	if (k->standalone && next < p->t->len)
		pos = next;
	else
		while (pos > 0 && p->t->src[pos - 1] != '\n')
			pos--;
	k->ind = pos;
	k->indlen = blanks_at(p->t, pos);
}

/* Mark standalone lines; record indentation of partials and blocks. */
static void
standalone(struct parser *p)
{
	size_t a = 0, b, i, next;
	struct tok *k;
	int st;

	while (a < p->ntoks) {
		for (b = a; b < p->ntoks; b++)
			if (p->toks[b].kind == K_TEXT &&
			    p->t->src[p->toks[b].end - 1] == '\n')
				break;
		b = b < p->ntoks ? b + 1 : b;
		st = line_standalone(p, a, b);
		next = p->toks[b - 1].end;
		for (i = a; i < b; i++) {
			k = &p->toks[i];
			if (k->kind == K_TEXT) {
				k->removed = st;
				continue;
			}
			k->standalone = st;
			k->ind = p->toks[a].start;
			if (p->toks[a].kind == K_TEXT && st)
				k->indlen = p->toks[a].end - p->toks[a].start;
			if (k->kind == K_BLOCK)
				block_indent(p, k, p->toks[a].start, next);
		}
		a = b;
	}
}

static void
nodes_free(struct node *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].name);
		nodes_free(v[i].kids, v[i].nkids);
	}
	free(v);
}

static struct node *
node_add(struct nodelist *l)
{
	struct node *n;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	n = &l->v[l->n++];
	memset(n, 0, sizeof(*n));
	return n;
}

/* A parent keeps only its blocks: other text and tags are ignored. */
static void
keep_blocks(struct nodelist *l)
{
	size_t i, n = 0;

	for (i = 0; i < l->n; i++) {
		if (l->v[i].kind == K_BLOCK) {
			l->v[n++] = l->v[i];
			continue;
		}
		nodes_free(l->v[i].kids, l->v[i].nkids);
		free(l->v[i].name);
	}
	l->n = n;
}

static int
get_partial(struct parser *p, const char *name, int line,
    struct tmpl **out)
{
	struct mustache *m = p->m;
	struct parser sub;
	struct tmpl *t;
	char err[512];
	size_t i;
	int ret;

	*out = NULL;
	for (i = 0; i < m->nparts; i++)
		if (strcmp(m->parts[i]->name, name) == 0) {
			*out = m->parts[i]->src ? m->parts[i] : NULL;
			return 0;
		}
	if (m->nparts == MUSTACHE_MAX_PARTIALS)
		return seterr(p, line, "more than %d partials",
		    MUSTACHE_MAX_PARTIALS);
	t = xcalloc(1, sizeof(*t));
	t->name = xstrdup(name);
	m->parts = xreallocarray(m->parts, m->nparts + 1, sizeof(*m->parts));
	m->parts[m->nparts++] = t;
	if (p->opts->load != NULL)
		t->src = p->opts->load(p->opts->load_ctx, name, &t->len);
	if (t->src == NULL)
		return 0;
	memset(&sub, 0, sizeof(sub));
	sub.m = m;
	sub.opts = p->opts;
	sub.t = t;
	sub.err = err;
	sub.errlen = sizeof(err);
	err[0] = '\0';
	ret = compile_tmpl(&sub);
	if (ret < 0)
		return seterr(p, line, "partial '%s': %s", name, err);
	*out = t;
	return 0;
}

static int
build(struct parser *p)
{
	struct nodelist stack[MUSTACHE_MAX_NEST + 1];
	struct tmpl *t = p->t;
	struct node *n;
	struct tok *k;
	size_t depth = 0, i;
	int ret = ERR_FAIL;

	memset(stack, 0, sizeof(stack));
	for (i = 0; i < p->ntoks; i++) {
		k = &p->toks[i];
		if (k->kind == K_COMMENT || k->kind == K_DELIM ||
		    (k->kind == K_TEXT && k->removed))
			continue;
		if (k->kind == K_CLOSE) {
			n = &stack[depth - 1].v[stack[depth - 1].n - 1];
			if (n->kind == K_PARENT)
				keep_blocks(&stack[depth]);
			n->kids = stack[depth].v;
			n->nkids = stack[depth].n;
			memset(&stack[depth--], 0, sizeof(stack[0]));
			continue;
		}
		n = node_add(&stack[depth]);
		n->kind = k->kind;
		n->line = k->line;
		n->tmpl = t->name;
		n->standalone = k->standalone;
		n->ind = t->src + k->ind;
		n->indlen = k->indlen;
		if (k->kind == K_TEXT) {
			n->text = t->src + k->start;
			n->len = k->end - k->start;
			continue;
		}
		n->name = xstrndup(t->src + k->name, k->namelen);
		if ((k->kind == K_PARTIAL || k->kind == K_PARENT) &&
		    get_partial(p, n->name, k->line, &n->target) < 0)
			goto out;
		if (is_open(k->kind))
			depth++;
	}
	t->nodes = stack[0].v;
	t->nnodes = stack[0].n;
	memset(&stack[0], 0, sizeof(stack[0]));
	ret = 0;
out:
	for (i = 0; i <= depth; i++)
		nodes_free(stack[i].v, stack[i].n);
	return ret;
}

static int
compile_tmpl(struct parser *p)
{
	int ret = ERR_FAIL;

	if (tokenize(p) < 0 || match(p) < 0)
		goto out;
	standalone(p);
	ret = build(p);
out:
	free(p->toks);
	p->toks = NULL;
	p->ntoks = p->cap = 0;
	return ret;
}

static void
tmpl_release(struct tmpl *t)
{
	nodes_free(t->nodes, t->nnodes);
	free(t->src);
	free(t->name);
}

void
mustache_free(struct mustache *m)
{
	size_t i;

	if (m == NULL)
		return;
	tmpl_release(&m->main);
	for (i = 0; i < m->nparts; i++) {
		tmpl_release(m->parts[i]);
		free(m->parts[i]);
	}
	free(m->parts);
	free(m);
}

int
mustache_compile(const char *text, size_t len,
    const struct mustache_opts *opts, struct mustache **out,
    char *err, size_t errlen)
{
	static const struct mustache_opts none;
	struct mustache *m;
	struct parser p;

	*out = NULL;
	if (opts == NULL)
		opts = &none;
	m = xcalloc(1, sizeof(*m));
	m->escape_html = opts->escape_html;
	m->missing = opts->missing;
	m->missing_ctx = opts->missing_ctx;
	m->main.src = xmalloc(len + 1);
	memcpy(m->main.src, text, len);
	m->main.src[len] = '\0';
	m->main.len = len;
	memset(&p, 0, sizeof(p));
	p.m = m;
	p.opts = opts;
	p.t = &m->main;
	p.err = err;
	p.errlen = errlen;
	if (compile_tmpl(&p) < 0) {
		mustache_free(m);
		return ERR_FAIL;
	}
	*out = m;
	return 0;
}

/* Rendering. */

struct ictx {				/* indentation context */
	const char		*strip, *add;
	size_t			 striplen, addlen;
	const struct ictx	*outer;
};

struct ovr {				/* a parent being rendered */
	const struct node	*parent;
	const struct ovr	*outer;
};

struct render {
	const struct mustache	*m;
	struct buf		*out;
	json_t			*stack[MUSTACHE_MAX_DEPTH + 1];
	int			 nstack;
	int			 depth;
	int			 bol;		/* at a template line start */
	const struct ictx	*ind;
	const struct ovr	*ovr;
	void			(*missing)(void *, const char *, const char *,
				    int);
	void			*missing_ctx;
};

static int	render_nodes(struct render *, const struct node *, size_t);

/*
 * At the start of a template line, each indentation context from the
 * innermost out strips its definition indentation from the line and adds
 * its expansion indentation.  *s is the line's template text, if any.
 */
static int
indent(struct render *r, const char **s, size_t *n)
{
	const struct ictx *c;
	struct buf pre, tmp;
	size_t used, k;
	int ret;

	if (!r->bol)
		return 0;
	r->bol = 0;
	if (r->ind == NULL)
		return 0;
	buf_init(&pre, BUF_NOLIMIT);
	buf_init(&tmp, BUF_NOLIMIT);
	for (c = r->ind; c != NULL; c = c->outer) {
		for (used = 0, k = 0; k < c->striplen; k++) {
			if (used < pre.len && pre.data[used] == c->strip[k])
				used++;
			else if (used == pre.len && *n > 0 &&
			    **s == c->strip[k]) {
				(*s)++;
				(*n)--;
			} else
				break;
		}
		buf_reset(&tmp);
		buf_add(&tmp, c->add, c->addlen);
		buf_add(&tmp, pre.data + used, pre.len - used);
		buf_reset(&pre);
		buf_add(&pre, tmp.data, tmp.len);
	}
	ret = buf_add(r->out, pre.data, pre.len);
	buf_release(&pre);
	buf_release(&tmp);
	return ret;
}

static int
emit_text(struct render *r, const char *s, size_t n)
{
	int nl = n > 0 && s[n - 1] == '\n';

	if (indent(r, &s, &n) < 0 || buf_add(r->out, s, n) < 0)
		return ERR_FAIL;
	r->bol = nl;
	return 0;
}

static int
emit_escaped(struct buf *out, const char *s, size_t n)
{
	const char *rep;
	size_t i, from = 0;

	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		default:
			continue;
		}
		if (buf_add(out, s + from, i - from) < 0 ||
		    buf_addstr(out, rep) < 0)
			return ERR_FAIL;
		from = i + 1;
	}
	return buf_add(out, s + from, n - from);
}

/* The shortest %g that reads back as the same double: 1.21, not 1.2100… */
static void
format_real(double d, char *num, size_t size)
{
	int prec;

	for (prec = 1; prec <= 17; prec++) {
		snprintf(num, size, "%.*g", prec, d);
		if (strtod(num, NULL) == d)
			return;
	}
}

static int
emit_value(struct render *r, json_t *v, int escape)
{
	const char *s = "", *none = NULL;
	char num[64];
	size_t n = 0;

	if (indent(r, &none, &n) < 0)
		return ERR_FAIL;
	switch (json_typeof(v)) {
	case JSON_STRING:
		s = json_string_value(v);
		n = json_string_length(v);
		break;
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		s = num;
		n = strlen(num);
		break;
	case JSON_REAL:
		format_real(json_real_value(v), num, sizeof(num));
		s = num;
		n = strlen(num);
		break;
	case JSON_TRUE:
		s = "true";
		n = 4;
		break;
	case JSON_FALSE:
		s = "false";
		n = 5;
		break;
	default:
		break;
	}
	if (escape)
		return emit_escaped(r->out, s, n);
	return buf_add(r->out, s, n);
}

/*
 * Resolve a name: "." is the top context; the first part of a dotted
 * name is looked up from the top of the stack down, the rest only inside
 * what it found.  NULL when it resolves to nothing.
 */
static json_t *
lookup(const struct render *r, const char *name)
{
	const char *dot;
	json_t *v = NULL;
	size_t len;
	int i;

	if (strcmp(name, ".") == 0)
		return r->stack[r->nstack - 1];
	dot = strchr(name, '.');
	len = dot ? (size_t)(dot - name) : strlen(name);
	for (i = r->nstack - 1; i >= 0 && v == NULL; i--)
		if (json_is_object(r->stack[i]))
			v = json_object_getn(r->stack[i], name, len);
	while (v != NULL && dot != NULL) {
		name = dot + 1;
		dot = strchr(name, '.');
		len = dot ? (size_t)(dot - name) : strlen(name);
		v = json_is_object(v) ? json_object_getn(v, name, len) : NULL;
	}
	return v;
}

static json_t *
resolve(struct render *r, const struct node *n)
{
	json_t *v = lookup(r, n->name);

	if (v == NULL && r->missing != NULL)
		r->missing(r->missing_ctx, n->name, n->tmpl, n->line);
	return v;
}

static int
falsey(json_t *v)
{
	return v == NULL || json_is_null(v) || json_is_false(v) ||
	    (json_is_array(v) && json_array_size(v) == 0) ||
	    (json_is_string(v) && json_string_length(v) == 0);
}

static int
push_render(struct render *r, json_t *ctx, const struct node *n)
{
	int ret;

	if (r->nstack == (int)ARRAY_SIZE(r->stack)) {
		log_warnx("template nests deeper than %d levels",
		    MUSTACHE_MAX_DEPTH);
		return ERR_FAIL;
	}
	r->stack[r->nstack++] = ctx;
	ret = render_nodes(r, n->kids, n->nkids);
	r->nstack--;
	return ret;
}

static int
render_section(struct render *r, const struct node *n)
{
	json_t *v = resolve(r, n), *item;
	size_t i;

	if (n->kind == K_INVERTED)
		return falsey(v) ? render_nodes(r, n->kids, n->nkids) : 0;
	if (falsey(v))
		return 0;
	if (!json_is_array(v))
		return push_render(r, v, n);
	json_array_foreach(v, i, item)
		if (push_render(r, item, n) < 0)
			return ERR_FAIL;
	return 0;
}

/* Render nodes inside an indentation context (none when both empty). */
static int
render_indented(struct render *r, const struct node *v, size_t n,
    const char *strip, size_t striplen, const char *add, size_t addlen)
{
	struct ictx c;
	int ret;

	if (striplen == 0 && addlen == 0)
		return render_nodes(r, v, n);
	c.strip = strip;
	c.striplen = striplen;
	c.add = add;
	c.addlen = addlen;
	c.outer = r->ind;
	r->ind = &c;
	ret = render_nodes(r, v, n);
	r->ind = c.outer;
	return ret;
}

/* The outermost parent's override of a block wins. */
static int
render_block(struct render *r, const struct node *n)
{
	const struct node *found = NULL, *b;
	const struct ovr *o;
	size_t i;

	for (o = r->ovr; o != NULL; o = o->outer)
		for (i = 0; i < o->parent->nkids; i++) {
			b = &o->parent->kids[i];
			if (strcmp(b->name, n->name) == 0)
				found = b;
		}
	if (found == NULL)
		return render_nodes(r, n->kids, n->nkids);
	if (n->standalone)
		r->bol = 1;
	return render_indented(r, found->kids, found->nkids, found->ind,
	    found->indlen, n->ind, n->indlen);
}

static int
render_partial(struct render *r, const struct node *n)
{
	const struct tmpl *t = n->target;
	struct ovr o;
	int ret;

	if (t == NULL)
		return 0;
	o.parent = n;
	o.outer = r->ovr;
	if (n->kind == K_PARENT)
		r->ovr = &o;
	if (n->standalone)
		r->bol = 1;		/* a standalone tag starts a line */
	ret = render_indented(r, t->nodes, t->nnodes, NULL, 0, n->ind,
	    n->standalone ? n->indlen : 0);
	r->ovr = o.outer;
	return ret;
}

static int
render_node(struct render *r, const struct node *n)
{
	json_t *v;

	switch (n->kind) {
	case K_TEXT:
		return emit_text(r, n->text, n->len);
	case K_VAR:
	case K_RAW:
		v = resolve(r, n);
		if (v == NULL)
			v = json_null();
		return emit_value(r, v, n->kind == K_VAR &&
		    r->m->escape_html);
	case K_SECTION:
	case K_INVERTED:
		return render_section(r, n);
	case K_BLOCK:
		return render_block(r, n);
	case K_PARTIAL:
	case K_PARENT:
		return render_partial(r, n);
	default:
		return 0;
	}
}

static int
render_nodes(struct render *r, const struct node *v, size_t n)
{
	size_t i;
	int ret = 0;

	if (r->depth >= MUSTACHE_MAX_DEPTH) {
		log_warnx("template nests deeper than %d levels (recursive "
		    "partial?)", MUSTACHE_MAX_DEPTH);
		return ERR_FAIL;
	}
	r->depth++;
	for (i = 0; i < n && ret == 0; i++)
		ret = render_node(r, &v[i]);
	r->depth--;
	return ret;
}

int
mustache_render_ex(const struct mustache *m, json_t *data,
    struct buf *out,
    void (*missing)(void *, const char *, const char *, int), void *ctx)
{
	struct render r;

	memset(&r, 0, sizeof(r));
	r.m = m;
	r.out = out;
	r.stack[0] = data ? data : json_null();
	r.nstack = 1;
	r.bol = 1;
	r.missing = missing ? missing : m->missing;
	r.missing_ctx = missing ? ctx : m->missing_ctx;
	return render_nodes(&r, m->main.nodes, m->main.nnodes);
}

int
mustache_render(const struct mustache *m, json_t *data, struct buf *out)
{
	return mustache_render_ex(m, data, out, NULL, NULL);
}

char *
mustache_load_dir(void *dir, const char *name, size_t *len)
{
	char *path, *text = NULL;

	if (name[0] == '\0' || name[0] == '.' || strchr(name, '/') != NULL ||
	    strstr(name, "..") != NULL || str_has_ctl(name))
		return NULL;
	path = xasprintf("%s/%s.mustache", (const char *)dir, name);
	if (slurp(path, MUSTACHE_MAX_FILE, &text, len) < 0) {
		if (errno != ENOENT)
			log_warn("cannot read '%s'", path);
		text = NULL;
	}
	free(path);
	return text;
}
