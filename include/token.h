/*
 * token.h - unsubscribe, VERP and signup confirmation tokens: HMAC-SHA256
 * (nettle) over the subscriber id and a purpose, keyed by [unsubscribe]
 * secret_file, in URL-safe base64 without padding.  A token names a subscriber id only,
 * never the address; checking compares in constant time.
 *
 * Layout before base64: purpose (1 byte) | subscriber id, or signup id
 * (8 bytes, big endian) | extra (8 bytes, big endian: 0 for unsubscribe, a
 * delivery id for VERP, the signup's time for a confirmation) | first 16
 * bytes of HMAC-SHA256(key, all of the above).  The purpose is under the
 * MAC: a token made for one purpose is refused for every other.
 */
#ifndef TOKEN_H
#define TOKEN_H

#include <stddef.h>
#include <stdint.h>

enum token_purpose {
	TOKEN_UNSUBSCRIBE = 'u',
	TOKEN_VERP = 'v',
	TOKEN_SIGNUP = 's',	/* a signup id; extra: its created_at */
};

#define TOKEN_LEN	55	/* base64url of 33 bytes is 44; with room */

/* Write the token (NUL-terminated) into out[TOKEN_LEN + 1]. */
void	 token_make(const unsigned char *key, size_t keylen,
	    enum token_purpose purpose, int64_t subscriber, int64_t extra,
	    char out[TOKEN_LEN + 1]);

/*
 * Check token for purpose; 0 and *subscriber, *extra when it is genuine,
 * ERR_FAIL otherwise (malformed, altered or forged: no difference is told).
 */
int	 token_check(const unsigned char *key, size_t keylen,
	    enum token_purpose purpose, const char *token,
	    int64_t *subscriber, int64_t *extra);

#endif
