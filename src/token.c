/*
 * token.c - HMAC-SHA256 tokens for unsubscribe links and VERP addresses.
 */
#include <stdint.h>
#include <string.h>

#include <nettle/base64.h>
#include <nettle/hmac.h>
#include <nettle/memops.h>

#include "dripmail.h"
#include "token.h"

#define MAC_LEN		16
#define RAW_LEN		(1 + 8 + 8 + MAC_LEN)	/* 33: base64 without padding */
#define B64_LEN		BASE64_ENCODE_RAW_LENGTH(RAW_LEN)

static void
put64(unsigned char *p, int64_t v)
{
	uint64_t u = (uint64_t)v;

	for (int i = 7; i >= 0; i--, u >>= 8)
		p[i] = (unsigned char)(u & 0xff);
}

static int64_t
get64(const unsigned char *p)
{
	uint64_t u = 0;

	for (int i = 0; i < 8; i++)
		u = (u << 8) | p[i];
	return (int64_t)u;
}

static void
mac(const unsigned char *key, size_t keylen, const unsigned char *msg,
    size_t len, unsigned char out[MAC_LEN])
{
	struct hmac_sha256_ctx ctx;

	hmac_sha256_set_key(&ctx, keylen, key);
	hmac_sha256_update(&ctx, len, msg);
	hmac_sha256_digest(&ctx, MAC_LEN, out);
}

void
token_make(const unsigned char *key, size_t keylen, enum token_purpose purpose,
    int64_t subscriber, int64_t extra, char out[TOKEN_LEN + 1])
{
	unsigned char raw[RAW_LEN];
	struct base64_encode_ctx b64;
	size_t n;

	raw[0] = (unsigned char)purpose;
	put64(raw + 1, subscriber);
	put64(raw + 9, extra);
	mac(key, keylen, raw, 17, raw + 17);
	base64url_encode_init(&b64);
	n = base64_encode_update(&b64, out, RAW_LEN, raw);
	n += base64_encode_final(&b64, out + n);
	out[n] = '\0';
}

int
token_check(const unsigned char *key, size_t keylen, enum token_purpose purpose,
    const char *token, int64_t *subscriber, int64_t *extra)
{
	unsigned char raw[RAW_LEN + 3], want[MAC_LEN];
	struct base64_decode_ctx b64;
	size_t n = sizeof(raw);

	if (token == NULL || strlen(token) != B64_LEN)
		return ERR_FAIL;
	base64url_decode_init(&b64);
	if (!base64_decode_update(&b64, &n, raw, B64_LEN, token) ||
	    !base64_decode_final(&b64) || n != RAW_LEN)
		return ERR_FAIL;
	mac(key, keylen, raw, 17, want);
	/* Constant time, and the purpose is checked after the MAC. */
	if (!memeql_sec(want, raw + 17, MAC_LEN) ||
	    raw[0] != (unsigned char)purpose)
		return ERR_FAIL;
	*subscriber = get64(raw + 1);
	*extra = get64(raw + 9);
	return 0;
}
