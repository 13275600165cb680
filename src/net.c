/*
 * net.c - libcurl set-up shared by the SMTP and the bounce mailbox clients.
 */
#include <pthread.h>

#include <curl/curl.h>

#include "config.h"
#include "net.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void
init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

void
net_init(void)
{
	pthread_once(&once, init_once);
}

void
net_tls(CURL *h, enum tls_policy tls, const char *ca_file)
{
	curl_easy_setopt(h, CURLOPT_USE_SSL, tls == TLS_REQUIRED ?
	    (long)CURLUSESSL_ALL : tls == TLS_OPPORTUNISTIC ?
	    (long)CURLUSESSL_TRY : (long)CURLUSESSL_NONE);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, ca_file);
}
