/*
 * buf.c - growing byte buffer with a cap.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dripmail.h"
#include "xmalloc.h"

static char empty[1];

void
buf_init(struct buf *b, size_t max)
{
	b->data = empty;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void
buf_release(struct buf *b)
{
	if (b == NULL)
		return;
	if (b->cap)
		free(b->data);
	buf_init(b, b->max);
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->cap)
		b->data[0] = '\0';
}

static int
grow(struct buf *b, size_t extra)
{
	size_t need, cap;

	if (extra > (size_t)-1 - b->len - 1)
		return ERR_FAIL;
	need = b->len + extra + 1;
	if (b->max && need - 1 > b->max)
		return ERR_FAIL;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > (size_t)-1 / 2 ? need : cap * 2;
	if (b->cap == 0) {
		b->data = xmalloc(cap);
		b->data[0] = '\0';
	} else
		b->data = xrealloc(b->data, cap);
	b->cap = cap;
	return 0;
}

int
buf_add(struct buf *b, const void *p, size_t n)
{
	if (grow(b, n) < 0)
		return ERR_FAIL;
	if (n == 0)
		return 0;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

char *
buf_space(struct buf *b, size_t n)
{
	if (grow(b, n) < 0)
		return NULL;
	return b->data + b->len;
}

void
buf_added(struct buf *b, size_t n)
{
	b->len += n;
	b->data[b->len] = '\0';
}

int
buf_addstr(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int
buf_addch(struct buf *b, int c)
{
	char ch = (char)c;

	return buf_add(b, &ch, 1);
}

int
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || grow(b, (size_t)n) < 0)
		return ERR_FAIL;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return ret;
}

char *
buf_detach(struct buf *b, size_t *lenp)
{
	char *p;

	if (b->cap == 0)
		p = xstrdup("");
	else
		p = b->data;
	if (lenp)
		*lenp = b->len;
	buf_init(b, b->max);
	return p;
}
