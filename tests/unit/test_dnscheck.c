/*
 * test_dnscheck.c - SPF evaluation (RFC 7208) over a table of records,
 * behind the same struct dns_lookup the ldns resolver implements; record
 * tags, alignment and [dns] server parsing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dnscheck.h"
#include "dripmail.h"
#include "xmalloc.h"

static const struct {
	const char	*name;
	enum dns_type	 type;
	const char	*value;
} zone[] = {
	{ "a.test", DNS_TXT, "v=spf1 ip4:192.0.2.0/24 include:b.test -all" },
	{ "a.test", DNS_TXT, "google-site-verification=x" },
	{ "b.test", DNS_TXT, "v=spf1 mx a:h.b.test ip6:2001:db8::/32 ~all" },
	{ "b.test", DNS_MX, "mx.b.test" },
	{ "mx.b.test", DNS_A, "198.51.100.5" },
	{ "h.b.test", DNS_A, "203.0.113.7" },
	{ "r.test", DNS_TXT, "v=spf1 redirect=a.test" },
	{ "two.test", DNS_TXT, "v=spf1 -all" },
	{ "two.test", DNS_TXT, "v=spf1 +all" },
	{ "bad.test", DNS_TXT, "v=spf1 ip4:1.2.3 -all" },
	{ "weird.test", DNS_TXT, "v=spf1 frobnicate -all" },
	{ "loop.test", DNS_TXT, "v=spf1 include:loop.test -all" },
	{ "noinc.test", DNS_TXT, "v=spf1 include:none.test -all" },
	{ "neutral.test", DNS_TXT, "v=spf1 ip4:192.0.2.1" },
	{ "down.test", DNS_TXT, "v=spf1 include:timeout.test -all" },
};

static int
fake_query(void *ctx, const char *name, enum dns_type type, char ***out,
    size_t *n)
{
	(void)ctx;
	*out = NULL;
	*n = 0;
	if (strcmp(name, "timeout.test") == 0)
		return ERR_TEMP;
	for (size_t i = 0; i < sizeof(zone) / sizeof(zone[0]); i++)
		if (strcmp(zone[i].name, name) == 0 && zone[i].type == type) {
			*out = xreallocarray(*out, *n + 1, sizeof(**out));
			(*out)[(*n)++] = xstrdup(zone[i].value);
		}
	return 0;
}

static void
test_spf(void **state)
{
	static const struct {
		const char	*domain, *ip;
		enum spf_result	 want;
	} t[] = {
		{ "a.test", "192.0.2.99", SPF_PASS },
		{ "a.test", "198.51.100.5", SPF_PASS },	/* b.test mx */
		{ "b.test", "10.0.0.1", SPF_SOFTFAIL },
		{ "a.test", "203.0.113.7", SPF_PASS },		/* a:h.b.test */
		{ "a.test", "2001:db8::1", SPF_PASS },
		{ "a.test", "10.0.0.1", SPF_FAIL },
		{ "b.test", "198.51.100.5", SPF_PASS },		/* mx */
		{ "r.test", "192.0.2.1", SPF_PASS },		/* redirect */
		{ "r.test", "10.0.0.1", SPF_FAIL },
		{ "two.test", "192.0.2.1", SPF_PERMERROR },
		{ "bad.test", "192.0.2.1", SPF_PERMERROR },
		{ "weird.test", "192.0.2.1", SPF_PERMERROR },
		{ "loop.test", "192.0.2.1", SPF_PERMERROR },
		{ "noinc.test", "192.0.2.1", SPF_PERMERROR },
		{ "neutral.test", "10.0.0.1", SPF_NEUTRAL },
		{ "none.test", "192.0.2.1", SPF_NONE },
		{ "down.test", "192.0.2.1", SPF_TEMPERROR },
		/* syntax only */
		{ "a.test", NULL, SPF_NEUTRAL },
		{ "bad.test", NULL, SPF_PERMERROR },
	};
	struct dns_lookup l = { fake_query, NULL };
	char why[300];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		enum spf_result r = spf_check(&l, t[i].domain, t[i].ip, why,
		    sizeof(why));

		if (r != t[i].want)
			fail_msg("%s %s: got %d, want %d (%s)", t[i].domain,
			    t[i].ip ? t[i].ip : "-", r, t[i].want, why);
	}
}

static void
test_records(void **state)
{
	char *const txt[] = { "x=1", "v=spf1 -all", "v=spf10", "v=spf1" };
	char host[DNS_HOST_MAX], *v;
	int port;

	(void)state;
	assert_int_equal(spf_pick(txt, 3), 1);
	assert_int_equal(spf_pick(txt, 1), -1);
	assert_int_equal(spf_pick(txt, 4), -2);
	v = dns_tag("v=DKIM1; k=rsa; p=AB CD\t EF", "p");
	assert_string_equal(v, "ABCDEF");
	free(v);
	v = dns_tag("v=DMARC1;p=reject", "p");
	assert_string_equal(v, "reject");
	free(v);
	assert_null(dns_tag("v=DMARC1; sp=none", "p"));
	assert_true(dns_aligned("example.org", "mail.example.org"));
	assert_true(dns_aligned("a.example.org", "b.example.org"));
	assert_false(dns_aligned("example.org", "example.com"));
	assert_int_equal(dns_server_parse("127.0.0.1:5353", host, &port), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 5353);
	assert_int_equal(dns_server_parse("::1", host, &port), 0);
	assert_int_equal(port, 53);
	assert_int_equal(dns_server_parse("dns.example.org", host, &port),
	    ERR_FAIL);
	assert_int_equal(dns_server_parse("127.0.0.1:0", host, &port),
	    ERR_FAIL);
	assert_int_equal(dns_server_parse("127.0.0.1:53x", host, &port),
	    ERR_FAIL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spf),
		cmocka_unit_test(test_records),
	};

	return cmocka_run_group_tests_name("dnscheck", tests, NULL, NULL);
}
