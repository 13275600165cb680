/*
 * net.h - what the libcurl clients (smtp.c, mailbox.c) share: libcurl's
 * global set-up, done once, and one place for the TLS settings (curl
 * docs/examples/smtp-tls.c).
 */
#ifndef NET_H
#define NET_H

#include <curl/curl.h>

#include "config.h"

/* curl_global_init() once per process; safe from any thread. */
void	 net_init(void);

/*
 * TLS on h: STARTTLS (or STLS) required (TLS_REQUIRED), tried when offered
 * (TLS_OPPORTUNISTIC) or not asked for (TLS_OFF; a scheme of implicit TLS
 * such as imaps:// still uses it).  Whenever TLS is used the certificate
 * and the host name are verified, against ca_file or, when it is NULL, the
 * system's store.
 */
void	 net_tls(CURL *h, enum tls_policy, const char *ca_file);

#endif
