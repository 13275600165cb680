/*
 * token_stub.c - TEST-ONLY stand-in for token.h until src/token.c lands in
 * main (the Makefile links it only while src/token.c is missing).
 */
#include <stdio.h>

#include "dripmail.h"
#include "token.h"

void
token_make(const unsigned char *key, size_t keylen, enum token_purpose p,
    int64_t subscriber, int64_t extra, char out[TOKEN_LEN + 1])
{
	(void)key;
	(void)keylen;
	snprintf(out, TOKEN_LEN + 1, "%c%lldx%lld", (int)p,
	    (long long)subscriber, (long long)extra);
}

int
token_check(const unsigned char *key, size_t keylen, enum token_purpose p,
    const char *token, int64_t *subscriber, int64_t *extra)
{
	(void)key;
	(void)keylen;
	(void)p;
	(void)token;
	(void)subscriber;
	(void)extra;
	return ERR_FAIL;
}
