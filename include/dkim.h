/*
 * dkim.h - DKIM signatures (RFC 6376) with rsa-sha256 and ed25519-sha256
 * (RFC 8463), relaxed/relaxed, one or two keys (dual signing).  Keys are
 * PEM files read and used through GnuTLS; hashes and base64 are nettle's.
 * No cryptography here is our own.
 *
 *	struct dkim *d;
 *	if (dkim_load(cfg, &d) == 0 && d != NULL)
 *		dkim_sign(d, msg, len, now, &hdrs);	prepend hdrs
 *	dkim_free(d);
 *
 * A loaded signer may be used from several threads at once.
 */
#ifndef DKIM_H
#define DKIM_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "config.h"

/* Bytes of a key file read. */
#define DKIM_KEY_MAX		(64 * 1024)
/* The smallest RSA key accepted (RFC 8301). */
#define DKIM_RSA_MIN_BITS	2048

enum dkim_type {
	DKIM_RSA,
	DKIM_ED25519,
};

struct dkim;

/*
 * The signer [dkim] describes: 0 and *out (NULL when [dkim] is not set),
 * or ERR_FAIL after logging every problem: a key file that is missing,
 * not ours or readable by others, not a PEM private key, an RSA key under
 * 2048 bits, or another type of key.
 */
int	 dkim_load(const struct config *, struct dkim **out);
void	 dkim_free(struct dkim *);

/*
 * The DKIM-Signature header(s) for the message at msg (CRLF lines, as it
 * will be sent before any dot-stuffing), signed at time t, appended to out
 * with their CRLF: one per key.  0, or ERR_FAIL (logged).
 */
int	 dkim_sign(struct dkim *, const char *msg, size_t len, time_t t,
	    struct buf *out);

/*
 * Sign the message in out (as dkim_sign() does) and put the header(s) in
 * front of it.  0, or ERR_FAIL (logged, or out is full).
 */
int	 dkim_prepend(struct dkim *, time_t t, struct buf *out);

/*
 * A new private key of type for selector, written to path (mode 0600, not
 * over an existing file), and the TXT record to publish for domain in *txt
 * (allocated): "S._domainkey.D. IN TXT ( "v=DKIM1; k=...; p=..." )".
 */
int	 dkim_keygen(const char *path, enum dkim_type type,
	    const char *selector, const char *domain, char **txt);

/*
 * Key i (0 or 1) of d: 0, its selector (borrowed), type and the p= value
 * of its DNS record (allocated); ERR_FAIL when there is no key i.
 */
int	 dkim_key_public(const struct dkim *, int i, const char **selector,
	    enum dkim_type *type, char **p);

/* Relaxed canonical forms, for the unit tests. */
void	 dkim_canon_header(struct buf *out, const char *h, size_t len);
void	 dkim_canon_body(struct buf *out, const char *body, size_t len);

#endif
