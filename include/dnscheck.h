/*
 * dnscheck.h - what the big mailbox providers look up before they trust a
 * sender: SPF for the From and envelope domains (and whether it covers the
 * relay's address), the DKIM selector's key, DMARC and its policy, and the
 * alignment of From with DKIM and the envelope.  Lookups go through ldns,
 * to [dns] server or the system's resolver.
 *
 *	struct dnscheck_report r;
 *	dnscheck_run(cfg, &r);		one line per finding
 *	r.errors: a requirement is missing
 */
#ifndef DNSCHECK_H
#define DNSCHECK_H

#include <stddef.h>
#include <stdio.h>

#include "config.h"

/* SPF lookups that count against RFC 7208's limit of 10. */
#define SPF_MAX_LOOKUPS	10
/* Bytes of one TXT record kept (all its strings joined). */
#define DNS_TXT_MAX	4096

enum dns_type {
	DNS_TXT,
	DNS_A,		/* A and AAAA, as text */
	DNS_MX,		/* exchange host names */
};

/*
 * A resolver: answers for (name, type) as allocated strings.  0 and *out
 * (possibly none: no such name, or no record of that type), or ERR_TEMP
 * when the server did not answer.  The real one is ldns's; the unit tests
 * give a table behind the same interface.
 */
struct dns_lookup {
	int	(*query)(void *ctx, const char *name, enum dns_type,
		    char ***out, size_t *n);
	void	*ctx;
};

enum spf_result {
	SPF_NONE,	/* no record */
	SPF_PASS,
	SPF_FAIL,
	SPF_SOFTFAIL,
	SPF_NEUTRAL,
	SPF_PERMERROR,	/* unparseable, two records, too many lookups */
	SPF_TEMPERROR,
};

/*
 * Evaluate SPF (RFC 7208: ip4, ip6, a, mx, include, redirect, all) for ip
 * sending as domain.  why (borrowed, static or in a buffer of dc) says
 * what decided.  Never more than SPF_MAX_LOOKUPS queries.
 */
enum spf_result spf_check(const struct dns_lookup *, const char *domain,
	    const char *ip, char *why, size_t whylen);

/* The one "v=spf1" record among n TXT records: its index, -1 none, -2 two. */
int	 spf_pick(char *const *txt, size_t n);

/* A tag's value in a "k=v; k=v" record (DKIM, DMARC), allocated or NULL. */
char	*dns_tag(const char *record, const char *tag);

/* 1 when a and b share an organisational domain (relaxed alignment). */
int	 dns_aligned(const char *a, const char *b);

struct dnscheck_report {
	int	 ok, warnings, errors;
};

/*
 * Check the From and envelope domains of cfg with lookup, printing one
 * line per finding to fp: "dns: ok|warning|error: ...".  0, or ERR_TEMP
 * when the resolver did not answer.
 */
int	 dnscheck(const struct config *, const struct dns_lookup *, FILE *fp,
	    struct dnscheck_report *);

/* Bytes of an IP address in text, with its NUL. */
#define DNS_HOST_MAX	64

/*
 * "IP", "IPv4:PORT" or "IPv6" (no port) into host and *port (53 when not
 * given): 0, or ERR_FAIL when it is not that.
 */
int	 dns_server_parse(const char *s, char host[DNS_HOST_MAX], int *port);

/* The ldns resolver for [dns] server (or the system's): 0 or ERR_FAIL. */
int	 dns_lookup_open(const struct config *, struct dns_lookup *);
void	 dns_lookup_close(struct dns_lookup *);

#endif
