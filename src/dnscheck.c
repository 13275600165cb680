/*
 * dnscheck.c - check --dns: SPF (RFC 7208), the DKIM key (RFC 6376),
 * DMARC (RFC 7489) and alignment, for the From and envelope domains.
 * Queries go through ldns; the rules below only see struct dns_lookup.
 */
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldns/ldns.h>

#include "buf.h"
#include "config.h"
#include "dkim.h"
#include "dnscheck.h"
#include "dripmail.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

/* ---- the ldns resolver ---- */

static void
strv_add(char ***v, size_t *n, char *s)
{
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = s;
}

static void
strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* A TXT record's strings joined, printable, at most DNS_TXT_MAX bytes. */
static char *
txt_join(const ldns_rr *rr)
{
	struct buf b;

	buf_init(&b, DNS_TXT_MAX);
	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
		const ldns_rdf *rd = ldns_rr_rdf(rr, i);
		const uint8_t *d = ldns_rdf_data(rd);
		size_t len = ldns_rdf_size(rd);

		if (len == 0 || d[0] + 1u > len)
			continue;
		for (size_t k = 1; k <= d[0]; k++)
			buf_addch(&b, d[k] < 0x20 || d[k] == 0x7f ? ' ' :
			    d[k]);
	}
	return buf_detach(&b, NULL);
}

static char *
rdf_text(const ldns_rdf *rd)
{
	char *s = ldns_rdf2str(rd), *copy;
	size_t n;

	if (s == NULL)
		return xstrdup("");
	n = strlen(s);
	if (n > 0 && s[n - 1] == '.')
		s[n - 1] = '\0';
	copy = xstrdup(s);
	free(s);
	return copy;
}

static int
ldns_query(void *ctx, const char *name, enum dns_type type, char ***out,
    size_t *n)
{
	static const ldns_rr_type types[][2] = {
		{ LDNS_RR_TYPE_TXT, 0 },
		{ LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA },
		{ LDNS_RR_TYPE_MX, 0 },
	};
	ldns_resolver *res = ctx;
	ldns_rdf *dname = ldns_dname_new_frm_str(name);

	*out = NULL;
	*n = 0;
	if (dname == NULL)
		return 0;	/* not a name: nothing there */
	for (int t = 0; t < 2 && types[type][t] != 0; t++) {
		ldns_pkt *p = ldns_resolver_query(res, dname, types[type][t],
		    LDNS_RR_CLASS_IN, LDNS_RD);
		ldns_rr_list *rrs;

		if (p == NULL || (ldns_pkt_get_rcode(p) != LDNS_RCODE_NOERROR &&
		    ldns_pkt_get_rcode(p) != LDNS_RCODE_NXDOMAIN)) {
			ldns_pkt_free(p);
			ldns_rdf_deep_free(dname);
			return ERR_TEMP;
		}
		rrs = ldns_pkt_rr_list_by_type(p, types[type][t],
		    LDNS_SECTION_ANSWER);
		for (size_t i = 0; rrs && i < ldns_rr_list_rr_count(rrs); i++) {
			ldns_rr *rr = ldns_rr_list_rr(rrs, i);

			if (type == DNS_TXT)
				strv_add(out, n, txt_join(rr));
			else if (type == DNS_MX && ldns_rr_rd_count(rr) == 2)
				strv_add(out, n, rdf_text(ldns_rr_rdf(rr, 1)));
			else if (type == DNS_A && ldns_rr_rd_count(rr) == 1)
				strv_add(out, n, rdf_text(ldns_rr_rdf(rr, 0)));
		}
		ldns_rr_list_deep_free(rrs);
		ldns_pkt_free(p);
	}
	ldns_rdf_deep_free(dname);
	return 0;
}

int
dns_server_parse(const char *s, char host[DNS_HOST_MAX], int *port)
{
	const char *colon = strrchr(s, ':');
	unsigned char a[16];
	size_t len;
	char *end;
	long p = 53;

	if (colon != NULL && strchr(s, ':') != colon)
		colon = NULL;		/* IPv6, no port */
	len = colon ? (size_t)(colon - s) : strlen(s);
	if (len >= DNS_HOST_MAX)
		return ERR_FAIL;
	memcpy(host, s, len);
	host[len] = '\0';
	if (colon != NULL) {
		errno = 0;
		p = strtol(colon + 1, &end, 10);
		if (errno || *end || end == colon + 1 || p < 1 || p > 65535)
			return ERR_FAIL;
	}
	if (inet_pton(AF_INET, host, a) != 1 &&
	    inet_pton(AF_INET6, host, a) != 1)
		return ERR_FAIL;
	*port = (int)p;
	return 0;
}

int
dns_lookup_open(const struct config *cfg, struct dns_lookup *l)
{
	ldns_resolver *res = NULL;
	ldns_rdf *ns;
	char host[DNS_HOST_MAX];
	int port;

	memset(l, 0, sizeof(*l));
	if (cfg->dns_server == NULL) {
		if (ldns_resolver_new_frm_file(&res, NULL) != LDNS_STATUS_OK) {
			log_error("dns: cannot read the system's resolver "
			    "settings (/etc/resolv.conf)");
			return ERR_FAIL;
		}
	} else {
		if (dns_server_parse(cfg->dns_server, host, &port) < 0)
			return ERR_FAIL;	/* config_load said so */
		ns = ldns_rdf_new_frm_str(strchr(host, ':') ?
		    LDNS_RDF_TYPE_AAAA : LDNS_RDF_TYPE_A, host);
		res = ldns_resolver_new();
		if (ns == NULL || res == NULL ||
		    ldns_resolver_push_nameserver(res, ns) != LDNS_STATUS_OK) {
			log_error("dns: cannot use [dns] server '%s'",
			    cfg->dns_server);
			ldns_rdf_deep_free(ns);
			ldns_resolver_deep_free(res);
			return ERR_FAIL;
		}
		ldns_rdf_deep_free(ns);
		ldns_resolver_set_port(res, (uint16_t)port);
	}
	ldns_resolver_set_retry(res, 2);
	ldns_resolver_set_timeout(res, (struct timeval){ 3, 0 });
	l->query = ldns_query;
	l->ctx = res;
	return 0;
}

void
dns_lookup_close(struct dns_lookup *l)
{
	if (l->ctx != NULL)
		ldns_resolver_deep_free(l->ctx);
	l->ctx = NULL;
}

/* ---- record parsing ---- */

int
spf_pick(char *const *txt, size_t n)
{
	int found = -1;

	for (size_t i = 0; i < n; i++)
		if (strncasecmp(txt[i], "v=spf1", 6) == 0 &&
		    (txt[i][6] == '\0' || txt[i][6] == ' ')) {
			if (found >= 0)
				return -2;
			found = (int)i;
		}
	return found;
}

char *
dns_tag(const char *record, const char *tag)
{
	size_t tl = strlen(tag);
	const char *p = record;

	while (*p != '\0') {
		const char *end = strchr(p, ';'), *eq;
		size_t len = end ? (size_t)(end - p) : strlen(p);

		while (len > 0 && isspace((unsigned char)*p)) {
			p++;
			len--;
		}
		eq = memchr(p, '=', len);
		if (eq != NULL) {
			size_t kl = (size_t)(eq - p);

			while (kl > 0 && isspace((unsigned char)p[kl - 1]))
				kl--;
			if (kl == tl && strncasecmp(p, tag, tl) == 0) {
				const char *v = eq + 1, *ve = p + len;
				struct buf b;

				buf_init(&b, BUF_NOLIMIT);
				for (; v < ve; v++)
					if (!isspace((unsigned char)*v))
						buf_addch(&b, *v);
				return buf_detach(&b, NULL);
			}
		}
		if (end == NULL)
			break;
		p = end + 1;
	}
	return NULL;
}

/* The last two labels of a lower-cased name (no public suffix list). */
static const char *
org_domain(const char *d)
{
	const char *last = strrchr(d, '.'), *p;

	if (last == NULL)
		return d;
	for (p = last; p > d && p[-1] != '.'; p--)
		;
	return p;
}

int
dns_aligned(const char *a, const char *b)
{
	return a != NULL && b != NULL &&
	    strcasecmp(org_domain(a), org_domain(b)) == 0;
}

/* ---- SPF ---- */

struct spf {
	const struct dns_lookup *l;
	int		 family;	/* AF_INET, AF_INET6, or 0: syntax */
	unsigned char	 ip[16];
	int		 lookups;
	char		*why;
	size_t		 whylen;
};

/* 1 when addr (text) is within prefix bits of s->ip. */
static int
ip_match(const struct spf *s, const char *addr, int prefix)
{
	unsigned char a[16];
	int fam = strchr(addr, ':') ? AF_INET6 : AF_INET;
	int bits = fam == AF_INET ? 32 : 128;

	if (fam != s->family || inet_pton(fam, addr, a) != 1)
		return 0;
	if (prefix < 0 || prefix > bits)
		prefix = bits;
	for (int i = 0; i < prefix; i++) {
		int m = 0x80 >> (i % 8);

		if ((a[i / 8] & m) != (s->ip[i / 8] & m))
			return 0;
	}
	return 1;
}

/* "domain/cidr//cidr6" after a mechanism's ':' or '/'; the prefix. */
static int
split_cidr(const struct spf *s, const char *arg, const char *dflt,
    char *dom, size_t domlen)
{
	const char *slash = strchr(arg, '/'), *six = strstr(arg, "//");
	int p4 = -1, p6 = -1;

	if (six != NULL)
		p6 = (int)strtol(six + 2, NULL, 10);
	if (slash != NULL && slash != six)
		p4 = (int)strtol(slash + 1, NULL, 10);
	(void)snprintf(dom, domlen, "%.*s", slash ? (int)(slash - arg) :
	    (int)strlen(arg), arg[0] && arg[0] != '/' ? arg : dflt);
	if (arg[0] == '/' || arg[0] == '\0')
		(void)snprintf(dom, domlen, "%s", dflt);
	return s->family == AF_INET6 ? p6 : p4;
}

static enum spf_result eval(struct spf *, const char *domain, int depth);

/* a and mx: 1 match, 0 none, -1 an error (why set). */
static int
match_hosts(struct spf *s, const char *mech, const char *arg,
    const char *domain)
{
	char dom[256], **hosts = NULL, **addrs;
	size_t nh = 0, na;
	int prefix = split_cidr(s, arg, domain, dom, sizeof(dom)), m = 0;

	if (strcmp(mech, "mx") == 0) {
		if (s->l->query(s->l->ctx, dom, DNS_MX, &hosts, &nh) < 0)
			return -1;
	} else
		strv_add(&hosts, &nh, xstrdup(dom));
	for (size_t i = 0; i < nh && i < 10 && !m; i++) {
		if (s->l->query(s->l->ctx, hosts[i], DNS_A, &addrs, &na) < 0) {
			strv_free(hosts, nh);
			return -1;
		}
		for (size_t k = 0; k < na && !m; k++)
			m = ip_match(s, addrs[k], prefix);
		strv_free(addrs, na);
	}
	strv_free(hosts, nh);
	return m;
}

static enum spf_result
qualified(char q)
{
	switch (q) {
	case '-': return SPF_FAIL;
	case '~': return SPF_SOFTFAIL;
	case '?': return SPF_NEUTRAL;
	default: return SPF_PASS;
	}
}

static enum spf_result
permerror(struct spf *s, const char *domain, const char *what,
    const char *term)
{
	(void)snprintf(s->why, s->whylen, "%s: %s '%s'", domain, what, term);
	return SPF_PERMERROR;
}

/* One term: 1 when it matched (*res set), 0 when not, -1 on an error. */
static int
term(struct spf *s, const char *t, const char *domain, int depth,
    enum spf_result *res)
{
	char q = strchr("+-~?", t[0]) ? t[0] : '+', mech[16];
	const char *m = strchr("+-~?", t[0]) ? t + 1 : t, *arg;
	size_t ml = strcspn(m, ":/");
	enum spf_result r;
	int hit;

	if (ml >= sizeof(mech))
		return permerror(s, domain, "unknown term", t), -1;
	memcpy(mech, m, ml);
	mech[ml] = '\0';
	arg = m[ml] == ':' ? m + ml + 1 : m + ml;
	*res = qualified(q);
	if (strcasecmp(mech, "all") == 0)
		return s->family != 0;
	if (strcasecmp(mech, "ip4") == 0 || strcasecmp(mech, "ip6") == 0) {
		char a[64];
		unsigned char tmp[16];
		const char *sl = strchr(arg, '/');

		(void)snprintf(a, sizeof(a), "%.*s", sl ? (int)(sl - arg) :
		    (int)strlen(arg), arg);
		if (inet_pton(mech[2] == '4' ? AF_INET : AF_INET6, a, tmp) != 1)
			return permerror(s, domain, "bad address in", t), -1;
		return s->family != 0 && ip_match(s, a, sl ?
		    (int)strtol(sl + 1, NULL, 10) : -1);
	}
	if (strcasecmp(mech, "a") != 0 && strcasecmp(mech, "mx") != 0 &&
	    strcasecmp(mech, "include") != 0 && strcasecmp(mech, "exists") != 0
	    && strcasecmp(mech, "ptr") != 0)
		return permerror(s, domain, "unknown term", t), -1;
	if (strcasecmp(mech, "include") == 0 && *arg == '\0')
		return permerror(s, domain, "include without a domain in", t),
		    -1;
	if (s->family == 0)
		return 0;	/* syntax only */
	if (++s->lookups > SPF_MAX_LOOKUPS)
		return permerror(s, domain, "more than 10 DNS lookups at", t),
		    -1;
	if (strcasecmp(mech, "include") == 0) {
		r = eval(s, arg, depth + 1);
		if (r == SPF_PERMERROR || r == SPF_TEMPERROR || r == SPF_NONE) {
			if (r == SPF_NONE)
				permerror(s, arg, "no SPF record for include",
				    t);
			return -1;
		}
		return r == SPF_PASS;
	}
	if (strcasecmp(mech, "exists") == 0 || strcasecmp(mech, "ptr") == 0)
		return 0;	/* not evaluated; ptr is deprecated */
	hit = match_hosts(s, mech, arg, domain);
	if (hit < 0)
		(void)snprintf(s->why, s->whylen, "%s: no DNS answer for '%s'",
		    domain, t);
	return hit;
}

static enum spf_result
eval(struct spf *s, const char *domain, int depth)
{
	char **txt = NULL, *copy, *p, *t, *redirect = NULL;
	enum spf_result res = SPF_NEUTRAL, r;
	size_t n = 0;
	int k, hit;

	if (depth > SPF_MAX_LOOKUPS)
		return permerror(s, domain, "includes nested too deep at",
		    domain);
	if (s->l->query(s->l->ctx, domain, DNS_TXT, &txt, &n) < 0) {
		(void)snprintf(s->why, s->whylen, "%s: no DNS answer", domain);
		return SPF_TEMPERROR;
	}
	if ((k = spf_pick(txt, n)) < 0) {
		strv_free(txt, n);
		if (k == -2)
			return permerror(s, domain, "two SPF records", "v=spf1");
		(void)snprintf(s->why, s->whylen, "%s: no SPF record", domain);
		return SPF_NONE;
	}
	copy = xstrdup(txt[k] + 6);
	strv_free(txt, n);
	for (p = copy; (t = strsep(&p, " ")) != NULL;) {
		if (*t == '\0')
			continue;
		if (strncasecmp(t, "redirect=", 9) == 0) {
			redirect = t + 9;
			continue;
		}
		if (strchr(t, '=') != NULL && strcspn(t, "=") < strcspn(t, ":/"))
			continue;	/* exp= and unknown modifiers */
		hit = term(s, t, domain, depth, &r);
		if (hit < 0) {
			res = s->why[0] && strstr(s->why, "no DNS answer") ?
			    SPF_TEMPERROR : SPF_PERMERROR;
			goto out;
		}
		if (hit) {
			res = r;
			(void)snprintf(s->why, s->whylen, "%s: '%s'", domain,
			    t);
			goto out;
		}
	}
	if (redirect != NULL && s->family != 0) {
		char target[256];

		(void)snprintf(target, sizeof(target), "%s", redirect);
		if (++s->lookups > SPF_MAX_LOOKUPS)
			res = permerror(s, domain, "more than 10 DNS lookups "
			    "at", "redirect");
		else if ((res = eval(s, target, depth + 1)) == SPF_NONE)
			res = permerror(s, target, "no SPF record for",
			    "redirect");
	} else
		(void)snprintf(s->why, s->whylen, "%s: nothing matched",
		    domain);
out:
	free(copy);
	return res;
}

enum spf_result
spf_check(const struct dns_lookup *l, const char *domain, const char *ip,
    char *why, size_t whylen)
{
	struct spf s;

	memset(&s, 0, sizeof(s));
	s.l = l;
	s.why = why;
	s.whylen = whylen;
	why[0] = '\0';
	if (ip != NULL) {
		s.family = strchr(ip, ':') ? AF_INET6 : AF_INET;
		if (inet_pton(s.family, ip, s.ip) != 1) {
			(void)snprintf(why, whylen, "'%s' is not an IP "
			    "address", ip);
			return SPF_PERMERROR;
		}
	}
	return eval(&s, domain, 0);
}

/* ---- the report ---- */

struct out {
	FILE		*fp;
	struct dnscheck_report *r;
};

static void say(struct out *, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
say(struct out *o, int level, const char *fmt, ...)
{
	static const char *const names[] = { "ok", "warning", "error" };
	va_list ap;

	fprintf(o->fp, "dns: %s: ", names[level]);
	va_start(ap, fmt);
	vfprintf(o->fp, fmt, ap);
	va_end(ap);
	fputc('\n', o->fp);
	if (level == 0)
		o->r->ok++;
	else if (level == 1)
		o->r->warnings++;
	else
		o->r->errors++;
}

static const char *
domain_of(const char *addr)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;

	return at ? at + 1 : "";
}

/* SPF of one domain; required: an error rather than a warning. */
static int
check_spf(struct out *o, const struct config *cfg,
    const struct dns_lookup *l, const char *d, int required)
{
	const char *ip = cfg->dns_relay_ip;
	char why[300];
	enum spf_result r = spf_check(l, d, NULL, why, sizeof(why));

	if (r == SPF_TEMPERROR)
		return ERR_TEMP;
	if (r == SPF_NONE) {
		say(o, required ? 2 : 1, "SPF: no record for %s; publish a TXT"
		    " record at %s such as \"v=spf1 ip4:%s -all\"", d, d,
		    ip ? ip : "RELAY.IP.ADDRESS");
		return 0;
	}
	if (r == SPF_PERMERROR) {
		say(o, 2, "SPF: the record for %s is not valid: %s", d, why);
		return 0;
	}
	if (ip == NULL) {
		say(o, 0, "SPF: %s has a valid record (set [dns] relay_ip to "
		    "check that it covers your relay)", d);
		return 0;
	}
	r = spf_check(l, d, ip, why, sizeof(why));
	if (r == SPF_TEMPERROR)
		return ERR_TEMP;
	if (r == SPF_PASS)
		say(o, 0, "SPF: %s allows %s (%s)", d, ip, why);
	else
		say(o, required ? 2 : 1, "SPF: %s does not allow %s (%s); add "
		    "\"ip%c:%s\" before its all", d, ip, why[0] ? why : "none",
		    strchr(ip, ':') ? '6' : '4', ip);
	return 0;
}

/* Each DKIM key's record: present and the public half of our key. */
static int
check_dkim(struct out *o, const struct config *cfg,
    const struct dns_lookup *l, const char *from)
{
	struct dkim *d;
	int ret = 0;

	if (cfg->dkim_domain == NULL) {
		say(o, 2, "DKIM: messages are not signed; make a key with "
		    "'dripmail dkim keygen' and set [dkim]");
		return 0;
	}
	if (dkim_load(cfg, &d) < 0) {
		say(o, 2, "DKIM: the [dkim] key cannot be used (see above)");
		return 0;
	}
	for (int i = 0; ret == 0; i++) {
		const char *sel;
		char *p, *name, **txt = NULL, *seen = NULL;
		size_t n = 0;
		enum dkim_type type;

		if (dkim_key_public(d, i, &sel, &type, &p) < 0)
			break;
		name = xasprintf("%s._domainkey.%s", sel, cfg->dkim_domain);
		if (l->query(l->ctx, name, DNS_TXT, &txt, &n) < 0)
			ret = ERR_TEMP;
		for (size_t k = 0; k < n && seen == NULL; k++)
			seen = dns_tag(txt[k], "p");
		if (ret == 0 && seen == NULL)
			say(o, 2, "DKIM: no key at %s; publish a TXT record: "
			    "\"v=DKIM1; k=%s; p=%s\"", name, type ==
			    DKIM_ED25519 ? "ed25519" : "rsa", p);
		else if (ret == 0 && strcmp(seen, p) != 0)
			say(o, 2, "DKIM: the key at %s is not the public half "
			    "of %s; publish: \"v=DKIM1; k=%s; p=%s\"", name,
			    i ? cfg->dkim_key_file2 : cfg->dkim_key_file,
			    type == DKIM_ED25519 ? "ed25519" : "rsa", p);
		else if (ret == 0)
			say(o, 0, "DKIM: %s matches %s", name, i ?
			    cfg->dkim_key_file2 : cfg->dkim_key_file);
		free(seen);
		strv_free(txt, n);
		free(name);
		free(p);
	}
	if (ret == 0 && dns_aligned(cfg->dkim_domain, from))
		say(o, 0, "alignment: DKIM domain %s aligns with From %s",
		    cfg->dkim_domain, from);
	else if (ret == 0)
		say(o, 2, "alignment: DKIM domain %s does not align with From "
		    "%s: DMARC needs d= in From's domain", cfg->dkim_domain,
		    from);
	dkim_free(d);
	return ret;
}

static int
check_dmarc(struct out *o, const struct dns_lookup *l, const char *from)
{
	char *name = xasprintf("_dmarc.%s", from), **txt = NULL, *p = NULL;
	size_t n = 0;
	int ret = 0, found = -1;

	if (l->query(l->ctx, name, DNS_TXT, &txt, &n) < 0)
		ret = ERR_TEMP;
	for (size_t i = 0; i < n; i++)
		if (strncasecmp(txt[i], "v=DMARC1", 8) == 0)
			found = (int)i;
	if (ret == 0 && found < 0)
		say(o, 2, "DMARC: no record at %s; publish a TXT record such "
		    "as \"v=DMARC1; p=none; rua=mailto:dmarc@%s\", then "
		    "tighten p= once reports look right", name, from);
	else if (ret == 0 && (p = dns_tag(txt[found], "p")) == NULL)
		say(o, 2, "DMARC: the record at %s has no policy (p=): "
		    "\"%s\"", name, txt[found]);
	else if (ret == 0 && strcasecmp(p, "none") == 0)
		say(o, 1, "DMARC: %s has policy none: receivers only report; "
		    "consider p=quarantine once reports are clean", name);
	else if (ret == 0 && (strcasecmp(p, "quarantine") == 0 ||
	    strcasecmp(p, "reject") == 0))
		say(o, 0, "DMARC: %s has policy %s", name, p);
	else if (ret == 0)
		say(o, 2, "DMARC: %s has an unknown policy '%s'", name, p);
	free(p);
	strv_free(txt, n);
	free(name);
	return ret;
}

int
dnscheck(const struct config *cfg, const struct dns_lookup *l, FILE *fp,
    struct dnscheck_report *r)
{
	const char *from = domain_of(cfg->from_addr);
	const char *env = domain_of(cfg->envelope_from);
	struct out o = { fp, r };
	int ret;

	memset(r, 0, sizeof(*r));
	if ((ret = check_spf(&o, cfg, l, env, 1)) < 0)
		return ret;
	if (strcasecmp(env, from) != 0 &&
	    (ret = check_spf(&o, cfg, l, from, 0)) < 0)
		return ret;
	if (dns_aligned(env, from))
		say(&o, 0, "alignment: envelope domain %s aligns with From %s",
		    env, from);
	else
		say(&o, 1, "alignment: envelope domain %s does not align with "
		    "From %s: SPF cannot pass DMARC, only DKIM can", env, from);
	if ((ret = check_dkim(&o, cfg, l, from)) < 0)
		return ret;
	return check_dmarc(&o, l, from);
}
