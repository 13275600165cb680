/*
 * buf.h - growing NUL-terminated byte buffer with a size cap
 * (git's strbuf, curl's dynbuf).
 *
 *	struct buf b;
 *	buf_init(&b, 1 << 20);		cap: appends past 1 MiB fail
 *	if (buf_addstr(&b, "x") < 0) ...	ERR_FAIL when the cap is hit
 *	use b.data (always NUL-terminated, never NULL after init), b.len
 *	buf_release(&b);
 *
 * max == 0 means no cap.  Allocation failure exits (xmalloc).
 */
#ifndef BUF_H
#define BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
	size_t	 max;
};

#define BUF_NOLIMIT	0

void	 buf_init(struct buf *, size_t max);
void	 buf_release(struct buf *);
void	 buf_reset(struct buf *);		/* len = 0, keeps memory */
int	 buf_add(struct buf *, const void *, size_t);
int	 buf_addstr(struct buf *, const char *);
int	 buf_addch(struct buf *, int);
int	 buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	 buf_vprintf(struct buf *, const char *, va_list);
/*
 * Room for n more bytes at the end: write up to n bytes at the pointer
 * returned, then buf_added() how many.  NULL when the cap would be hit.
 */
char	*buf_space(struct buf *, size_t n);
void	 buf_added(struct buf *, size_t n);
/* Hand the data to the caller (allocated, free() it); b is re-initialised. */
char	*buf_detach(struct buf *, size_t *lenp);

#endif
