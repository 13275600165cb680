/*
 * bounce_int.h - inside the bounce classifier (not for other modules):
 * the text helpers of bounce_text.c (prefix bt_) and the readers of
 * bounce_mta.c (prefix bm_) that turn a normalised message into
 * per-recipient records, which bounce.c hands to verdict_reply().
 */
#ifndef BOUNCE_INT_H
#define BOUNCE_INT_H

#include <stddef.h>

#include "bounce.h"
#include "verdict.h"

struct buf;

#define HDR_MAX_FIELDS	128	/* fields kept from one header block */
#define HDR_MAX_VALUE	4096	/* bytes kept of one field value */
#define REC_MAX_DIAG	2000	/* bytes of text kept for one record */

/* One header block, unfolded. */
struct hdr {
	char	*name;
	char	*value;
};

struct hdrs {
	struct hdr v[HDR_MAX_FIELDS];
	size_t	 n;
};

/* ---- bounce_text.c ---- */

/* Case-insensitive search for needle in the n bytes at hay, or NULL. */
const char *bt_ci_find(const char *hay, size_t n, const char *needle);
int	 bt_ci_prefix(const char *s, const char *prefix);
void	 bt_lower(char *s);
/* One printable line of at most BOUNCE_MAX_DIAG bytes (allocated). */
char	*bt_one_line(const char *s, size_t n);
/* Append up to n bytes, stopping quietly at the buffer's cap. */
void	 bt_add_capped(struct buf *, const char *p, size_t n);

/* Parse "Name: value" lines up to an empty line: the bytes consumed. */
size_t	 bt_hdrs_parse(const char *s, size_t n, struct hdrs *);
const char *bt_hdrs_get(const struct hdrs *, const char *name);
void	 bt_hdrs_release(struct hdrs *);

/* Lower-cased address from n bytes, or NULL (allocated). */
char	*bt_addr_clean(const char *addr, size_t n);
/* The next address in s[*pos..n) (allocated); *at is where it starts. */
char	*bt_addr_scan(const char *s, size_t n, size_t *pos, size_t *at);
/* The first address of a header value (allocated), or NULL. */
char	*bt_addr_first(const char *value);
/* The addresses of an address-list header, appended to *list. */
void	 bt_addr_list(const char *value, char ***list, size_t *n);
/* The From address (allocated) or NULL. */
char	*bt_from_addr(const struct hdrs *);
/* A list of allocated strings: push takes a over (NULL is ignored). */
void	 bt_strv_push(char ***list, size_t *n, char *a);
void	 bt_strv_free(char **v, size_t n);
int	 bt_strv_has(char **v, size_t n, const char *s);

/* ---- bounce_mta.c ---- */

/* What one report says about one recipient. */
struct brec {
	char		*rcpt;		/* final recipient (allocated) */
	char		*alias;		/* original recipient, or NULL */
	char		 action[16];	/* "failed", "delayed", ... or "" */
	char		 status[BOUNCE_STATUS_LEN];	/* or "" */
	enum smtp_step	 step;		/* the command refused, if said */
	char		*diag;		/* text to read (allocated) or NULL */
	size_t		 shown;		/* bytes of it to report, 0: all */
	int		 complaint;	/* a feedback report */
};

struct brecs {
	struct brec	*v;		/* allocated, n entries */
	size_t		 n;
};

/* A new record for rcpt (copied), or NULL when full or a duplicate. */
struct brec *bm_add(struct brecs *, const char *rcpt);
void	 bm_release(struct brecs *);

/* The SMTP command a piece of bounce text says was refused. */
enum smtp_step bm_step(const char *s, size_t n);

/* Where the quoted original begins in the n bytes at s, or n. */
size_t	 bm_cut_copy(const char *s, size_t n);

/*
 * RFC 3464 per-recipient blocks in the n bytes at dsn; text is the
 * human-readable part, read for the step and for detail the fields lack.
 */
void	 bm_read_dsn(struct brecs *, const char *dsn, size_t n,
	    const char *text, size_t textlen);

/* Amazon SES / SNS JSON in the body: 1 when it was one. */
int	 bm_read_json(struct brecs *, const char *s, size_t n);

/*
 * A bounce in another shape: recipients stated by the text (or named by
 * X-Failed-Recipients, or failing all that the likely ones), each with the
 * text about it.  h: the bounce's header, rh: the returned message's.
 */
void	 bm_read_text(struct brecs *, const char *s, size_t n,
	    const struct hdrs *h, const struct hdrs *rh);

/* Cheap fingerprints of a bounce body (the text of the first lines). */
int	 bm_body_is_bounce(const char *s, size_t n);

#endif
