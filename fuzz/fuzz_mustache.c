/*
 * fuzz_mustache.c - libFuzzer entry point: a Mustache template compiled and
 * rendered with JSON data (`make fuzz`).  The input is TEMPLATE, then
 * optionally NUL JSON, then optionally NUL PARTIAL (the text every partial
 * and parent name loads).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mustache.h"
#include "xmalloc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct piece {
	const char	*s;
	size_t		 n;
};

static char *
load(void *ctx, const char *name, size_t *len)
{
	const struct piece *p = ctx;

	if (p->s == NULL || strcmp(name, "none") == 0)
		return NULL;
	*len = p->n;
	return xstrndup(p->s, p->n);
}

static void
missing(void *ctx, const char *name, const char *partial, int line)
{
	(void)ctx;
	(void)name;
	(void)partial;
	(void)line;
}

/* The next NUL-terminated piece of [*s, end). */
static struct piece
next(const char **s, const char *end)
{
	struct piece p = { NULL, 0 };
	const char *z;

	if (*s >= end)
		return p;
	z = memchr(*s, '\0', (size_t)(end - *s));
	p.s = *s;
	p.n = z ? (size_t)(z - *s) : (size_t)(end - *s);
	*s += p.n + 1;
	return p;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *end = s + size;
	struct piece tpl, js, partial;
	struct mustache_opts o;
	struct mustache *m = NULL;
	json_t *ctx = NULL;
	struct buf out;
	char err[256];

	log_init(-2);
	tpl = next(&s, end);
	js = next(&s, end);
	partial = next(&s, end);
	if (tpl.s == NULL)
		return 0;
	memset(&o, 0, sizeof(o));
	o.escape_html = size & 1;
	o.load = load;
	o.load_ctx = &partial;
	o.missing = missing;
	if (mustache_compile(tpl.s, tpl.n, &o, &m, err, sizeof(err)) < 0)
		return 0;
	if (js.s != NULL)
		ctx = json_loadb(js.s, js.n, JSON_DECODE_ANY, NULL);
	if (ctx == NULL)
		ctx = json_pack("{s:s,s:[i,i],s:{s:b}}", "first_name", "Eve",
		    "list", 1, 2, "obj", "flag", 1);
	buf_init(&out, 1 << 20);
	(void)mustache_render(m, ctx, &out);
	buf_release(&out);
	json_decref(ctx);
	mustache_free(m);
	return 0;
}
