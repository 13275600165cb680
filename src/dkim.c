/*
 * dkim.c - DKIM-Signature headers: relaxed/relaxed canonicalisation
 * (RFC 6376 3.4.2, 3.4.4), rsa-sha256 and ed25519-sha256 (RFC 8463).
 * GnuTLS reads the PEM keys and signs; nettle hashes and encodes.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <nettle/base64.h>
#include <nettle/sha2.h>

#include "buf.h"
#include "config.h"
#include "dkim.h"
#include "dripmail.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

#define DKIM_MAX_KEYS	2
#define DKIM_HDR_MAX	(64 * 1024)	/* the signed headers, canonical */

/*
 * Signed, in this order, when present; From once more than it occurs, so
 * that a From added on the way breaks the signature (RFC 6376 8.15).
 */
static const char *const signed_names[] = {
	"from", "reply-to", "to", "subject", "date", "message-id",
	"mime-version", "content-type", "list-id", "list-unsubscribe",
	"list-unsubscribe-post", "feedback-id",
};

struct dkim_key {
	gnutls_privkey_t key;
	enum dkim_type	 type;
	const char	*selector;	/* borrowed from the config */
};

struct dkim {
	const char	*domain;	/* borrowed from the config */
	struct dkim_key	 keys[DKIM_MAX_KEYS];
	int		 nkeys;
	pthread_mutex_t	 lock;		/* GnuTLS keys are not thread-safe */
};

static int gnutls_ready;
static pthread_once_t gnutls_once = PTHREAD_ONCE_INIT;

static void
init_gnutls(void)
{
	gnutls_ready = gnutls_global_init() == GNUTLS_E_SUCCESS;
}

/* ---- canonicalisation ---- */

static int
wsp(int c)
{
	return c == ' ' || c == '\t';
}

/*
 * Copy s, each run of white space (and of the CRLFs of folding) as one
 * space, none at the end.
 */
static void
add_compressed(struct buf *out, const char *s, size_t len)
{
	int space = 0;

	for (size_t i = 0; i < len; i++) {
		if (wsp(s[i]) || s[i] == '\r' || s[i] == '\n') {
			space = 1;
			continue;
		}
		if (space)
			buf_addch(out, ' ');
		space = 0;
		buf_addch(out, s[i]);
	}
}

void
dkim_canon_header(struct buf *out, const char *h, size_t len)
{
	size_t i = 0, colon;

	for (colon = 0; colon < len && h[colon] != ':'; colon++)
		;
	/* The name lower-cased, without white space before the colon. */
	while (colon > 0 && wsp(h[colon - 1]))
		colon--;
	for (i = 0; i < colon; i++)
		buf_addch(out, tolower((unsigned char)h[i]));
	buf_addch(out, ':');
	while (i < len && h[i] != ':')
		i++;
	/* The value unfolded, runs of white space one space, none at the
	 * ends. */
	for (i++; i < len && (wsp(h[i]) || h[i] == '\r' || h[i] == '\n'); i++)
		;
	add_compressed(out, h + i, len - i);
	buf_add(out, "\r\n", 2);
}

void
dkim_canon_body(struct buf *out, const char *body, size_t len)
{
	size_t i = 0, empty = 0;

	while (i < len) {
		const char *nl = memchr(body + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - body) : len, e = end, start = i;

		if (e > i && body[e - 1] == '\r')
			e--;
		while (e > i && wsp(body[e - 1]))
			e--;
		i = nl ? end + 1 : len;
		if (e == start) {
			empty++;
			continue;
		}
		for (; empty > 0; empty--)
			buf_add(out, "\r\n", 2);
		add_compressed(out, body + start, e - start);
		buf_add(out, "\r\n", 2);
	}
}

/* ---- the message's header fields ---- */

struct field {
	const char	*s;
	size_t		 len;		/* without the final CRLF */
	size_t		 namelen;
};

/* The header fields of msg, up to max; the offset of the body. */
static size_t
split_header(const char *msg, size_t len, struct field *f, size_t max,
    size_t *n)
{
	size_t i = 0;

	*n = 0;
	while (i < len && msg[i] != '\r' && msg[i] != '\n') {
		size_t start = i, end;

		do {
			const char *nl = memchr(msg + i, '\n', len - i);

			i = nl ? (size_t)(nl - msg) + 1 : len;
		} while (i < len && wsp(msg[i]));
		end = i;
		while (end > start && (msg[end - 1] == '\n' ||
		    msg[end - 1] == '\r'))
			end--;
		if (*n < max) {
			f[*n].s = msg + start;
			f[*n].len = end - start;
			f[*n].namelen = strcspn(msg + start, ":");
			if (f[*n].namelen > f[*n].len)
				f[*n].namelen = f[*n].len;
			(*n)++;
		}
	}
	if (i < len && msg[i] == '\r')
		i++;
	if (i < len && msg[i] == '\n')
		i++;
	return i;
}

static int
field_is(const struct field *f, const char *name)
{
	size_t n = f->namelen;

	while (n > 0 && wsp(f->s[n - 1]))
		n--;
	return n == strlen(name) && strncasecmp(f->s, name, n) == 0;
}

/* ---- signing ---- */

static void
base64(struct buf *out, const uint8_t *data, size_t len)
{
	char *p = buf_space(out, BASE64_ENCODE_RAW_LENGTH(len));

	if (p == NULL)
		return;
	base64_encode_raw(p, len, data);
	buf_added(out, BASE64_ENCODE_RAW_LENGTH(len));
}

/* base64 folded into lines of 64 characters (FWS is allowed in b=). */
static void
base64_folded(struct buf *out, const uint8_t *data, size_t len)
{
	struct buf b;

	buf_init(&b, BUF_NOLIMIT);
	base64(&b, data, len);
	for (size_t i = 0; i < b.len; i += 64) {
		if (i > 0)
			buf_addstr(out, "\r\n\t ");
		buf_add(out, b.data + i, b.len - i < 64 ? b.len - i : 64);
	}
	buf_release(&b);
}

/* The signature of data (already canonical) with k, base64, into out. */
static int
sign_with(struct dkim *d, struct dkim_key *k, const struct buf *data,
    struct buf *out)
{
	uint8_t digest[SHA256_DIGEST_SIZE];
	gnutls_datum_t in, sig = { NULL, 0 };
	struct sha256_ctx h;
	int rc;

	pthread_mutex_lock(&d->lock);
	if (k->type == DKIM_ED25519) {
		/* RFC 8463: Ed25519 over the SHA-256 of the data. */
		sha256_init(&h);
		sha256_update(&h, data->len, (const uint8_t *)data->data);
		sha256_digest(&h, sizeof(digest), digest);
		in.data = digest;
		in.size = sizeof(digest);
		rc = gnutls_privkey_sign_data2(k->key,
		    GNUTLS_SIGN_EDDSA_ED25519, 0, &in, &sig);
	} else {
		in.data = (unsigned char *)data->data;
		in.size = (unsigned)data->len;
		rc = gnutls_privkey_sign_data(k->key, GNUTLS_DIG_SHA256, 0,
		    &in, &sig);
	}
	pthread_mutex_unlock(&d->lock);
	if (rc < 0) {
		log_error("dkim: cannot sign with selector '%s': %s",
		    k->selector, gnutls_strerror(rc));
		return ERR_FAIL;
	}
	base64_folded(out, sig.data, sig.size);
	gnutls_free(sig.data);
	return 0;
}

/* Add ":name" to the h= list, folding before it past 60 columns. */
static void
add_name(struct buf *names, size_t *col, const char *name)
{
	if (names->len > 0) {
		buf_addch(names, ':');
		(*col)++;
	}
	if (*col + strlen(name) > 60) {
		buf_addstr(names, "\r\n\t ");
		*col = 0;
	}
	buf_addstr(names, name);
	*col += strlen(name);
}

/* "from:from:to:..." of the fields present, and their canonical form. */
static void
signed_fields(const struct field *f, size_t n, struct buf *names,
    struct buf *canon)
{
	size_t col = 0;

	for (size_t i = 0; i < ARRAY_SIZE(signed_names); i++) {
		int present = 0;

		/* Instances are taken from the bottom up (RFC 6376 5.4.2). */
		for (size_t j = n; j-- > 0;)
			if (field_is(&f[j], signed_names[i])) {
				add_name(names, &col, signed_names[i]);
				dkim_canon_header(canon, f[j].s, f[j].len);
				present = 1;
			}
		if (present && strcmp(signed_names[i], "from") == 0)
			add_name(names, &col, "from");
	}
}

/* The body hash of msg's body, base64, into bh. */
static void
body_hash(const char *body, size_t len, struct buf *bh)
{
	uint8_t digest[SHA256_DIGEST_SIZE];
	struct sha256_ctx h;
	struct buf c;

	buf_init(&c, BUF_NOLIMIT);
	dkim_canon_body(&c, body, len);
	sha256_init(&h);
	sha256_update(&h, c.len, (const uint8_t *)c.data);
	sha256_digest(&h, sizeof(digest), digest);
	base64(bh, digest, sizeof(digest));
	buf_release(&c);
}

int
dkim_sign(struct dkim *d, const char *msg, size_t len, time_t t,
    struct buf *out)
{
	struct field f[128];
	struct buf names, canon, bh, hdr, data;
	size_t nf, body;
	int ret = 0;

	body = split_header(msg, len, f, ARRAY_SIZE(f), &nf);
	buf_init(&names, BUF_NOLIMIT);
	buf_init(&canon, DKIM_HDR_MAX);
	buf_init(&bh, BUF_NOLIMIT);
	buf_init(&hdr, BUF_NOLIMIT);
	buf_init(&data, BUF_NOLIMIT);
	signed_fields(f, nf, &names, &canon);
	if (names.len == 0) {
		log_error("dkim: the message has no From header");
		ret = ERR_FAIL;
	}
	body_hash(msg + body, len - body, &bh);
	for (int i = 0; i < d->nkeys && ret == 0; i++) {
		struct dkim_key *k = &d->keys[i];

		buf_reset(&hdr);
		buf_printf(&hdr, "DKIM-Signature: v=1; a=%s; c=relaxed/relaxed;"
		    " d=%s; s=%s;\r\n\tt=%lld; h=%s;\r\n\tbh=%s;\r\n\tb=",
		    k->type == DKIM_ED25519 ? "ed25519-sha256" : "rsa-sha256",
		    d->domain, k->selector, (long long)t, names.data, bh.data);
		buf_reset(&data);
		buf_add(&data, canon.data, canon.len);
		dkim_canon_header(&data, hdr.data, hdr.len);
		data.len -= 2;		/* without its CRLF (RFC 6376 3.7) */
		data.data[data.len] = '\0';
		if ((ret = sign_with(d, k, &data, &hdr)) == 0) {
			buf_add(&hdr, "\r\n", 2);
			buf_add(out, hdr.data, hdr.len);
		}
	}
	buf_release(&names);
	buf_release(&canon);
	buf_release(&bh);
	buf_release(&hdr);
	buf_release(&data);
	return ret;
}

int
dkim_prepend(struct dkim *d, time_t date, struct buf *out)
{
	struct buf sig;
	char *p;
	int ret;

	buf_init(&sig, BUF_NOLIMIT);
	ret = dkim_sign(d, out->data, out->len, date, &sig);
	if (ret == 0 && (p = buf_space(out, sig.len)) == NULL)
		ret = ERR_FAIL;
	if (ret == 0) {
		memmove(out->data + sig.len, out->data, out->len);
		memcpy(out->data, sig.data, sig.len);
		buf_added(out, sig.len);
	}
	buf_release(&sig);
	return ret;
}

/* ---- keys ---- */

/* Read a private key file that only its owner, us, may read. */
static int
read_key_file(const char *path, char **data, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NOFOLLOW);

	if (fd < 0) {
		log_error("dkim: cannot open key file '%s': %s", path,
		    strerror(errno));
		return ERR_FAIL;
	}
	if (fstat(fd, &st) < 0 || st.st_uid != geteuid() ||
	    (st.st_mode & 077) != 0) {
		log_error("dkim: key file '%s' must belong to us and be mode "
		    "0600 (chmod 600 '%s')", path, path);
		close(fd);
		return ERR_FAIL;
	}
	close(fd);
	if (slurp(path, DKIM_KEY_MAX, data, len) < 0) {
		log_error("dkim: cannot read key file '%s': %s", path,
		    strerror(errno));
		return ERR_FAIL;
	}
	return 0;
}

static int
load_key(struct dkim_key *k, const char *path, const char *selector)
{
	gnutls_datum_t pem;
	unsigned bits = 0;
	char *data = NULL;
	size_t len = 0;
	int alg, rc;

	k->selector = selector;
	if (read_key_file(path, &data, &len) < 0)
		return ERR_FAIL;
	pem.data = (unsigned char *)data;
	pem.size = (unsigned)len;
	if ((rc = gnutls_privkey_init(&k->key)) == 0)
		rc = gnutls_privkey_import_x509_raw(k->key, &pem,
		    GNUTLS_X509_FMT_PEM, NULL, 0);
	explicit_bzero(data, len);
	free(data);
	if (rc < 0) {
		log_error("dkim: '%s' is not a PEM private key: %s", path,
		    gnutls_strerror(rc));
		return ERR_FAIL;
	}
	alg = gnutls_privkey_get_pk_algorithm(k->key, &bits);
	if (alg == GNUTLS_PK_RSA && bits >= DKIM_RSA_MIN_BITS)
		k->type = DKIM_RSA;
	else if (alg == GNUTLS_PK_EDDSA_ED25519)
		k->type = DKIM_ED25519;
	else {
		log_error("dkim: '%s': expected an RSA key of %d bits or more "
		    "or an Ed25519 key, not %s of %u bits", path,
		    DKIM_RSA_MIN_BITS, gnutls_pk_get_name(alg), bits);
		return ERR_FAIL;
	}
	return 0;
}

int
dkim_load(const struct config *cfg, struct dkim **out)
{
	const char *paths[DKIM_MAX_KEYS] = { cfg->dkim_key_file,
	    cfg->dkim_key_file2 };
	const char *sels[DKIM_MAX_KEYS] = { cfg->dkim_selector,
	    cfg->dkim_selector2 };
	struct dkim *d;
	int errors = 0;

	*out = NULL;
	if (cfg->dkim_domain == NULL)
		return 0;
	pthread_once(&gnutls_once, init_gnutls);
	if (!gnutls_ready) {
		log_error("dkim: cannot initialise GnuTLS");
		return ERR_FAIL;
	}
	d = xcalloc(1, sizeof(*d));
	d->domain = cfg->dkim_domain;
	pthread_mutex_init(&d->lock, NULL);
	for (int i = 0; i < DKIM_MAX_KEYS; i++) {
		if (paths[i] == NULL)
			continue;
		if (load_key(&d->keys[d->nkeys++], paths[i], sels[i]) < 0)
			errors++;
	}
	if (errors) {
		dkim_free(d);
		return ERR_FAIL;
	}
	*out = d;
	return 0;
}

void
dkim_free(struct dkim *d)
{
	if (d == NULL)
		return;
	for (int i = 0; i < d->nkeys; i++)
		if (d->keys[i].key != NULL)
			gnutls_privkey_deinit(d->keys[i].key);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

/* The p= value: SubjectPublicKeyInfo for RSA, the raw key for Ed25519. */
static int
public_part(gnutls_privkey_t key, enum dkim_type type, struct buf *p)
{
	gnutls_pubkey_t pub;
	gnutls_datum_t der = { NULL, 0 }, x = { NULL, 0 };
	gnutls_ecc_curve_t curve;
	int rc;

	if ((rc = gnutls_pubkey_init(&pub)) < 0)
		return rc;
	rc = gnutls_pubkey_import_privkey(pub, key, 0, 0);
	if (rc == 0 && type == DKIM_ED25519) {
		rc = gnutls_pubkey_export_ecc_raw2(pub, &curve, &x, NULL, 0);
		if (rc == 0)
			base64(p, x.data, x.size);
	} else if (rc == 0) {
		rc = gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &der);
		if (rc == 0)
			base64(p, der.data, der.size);
	}
	gnutls_free(x.data);
	gnutls_free(der.data);
	gnutls_pubkey_deinit(pub);
	return rc;
}

int
dkim_key_public(const struct dkim *d, int i, const char **selector,
    enum dkim_type *type, char **p)
{
	struct buf b;

	if (i < 0 || i >= d->nkeys)
		return ERR_FAIL;
	buf_init(&b, BUF_NOLIMIT);
	if (public_part(d->keys[i].key, d->keys[i].type, &b) < 0) {
		buf_release(&b);
		return ERR_FAIL;
	}
	*selector = d->keys[i].selector;
	*type = d->keys[i].type;
	*p = buf_detach(&b, NULL);
	return 0;
}

/* The TXT record, its text split into strings of at most 250 bytes. */
static char *
txt_record(const char *selector, const char *domain, enum dkim_type type,
    const char *p)
{
	struct buf t, v;
	char *s;

	buf_init(&v, BUF_NOLIMIT);
	buf_printf(&v, "v=DKIM1; k=%s; p=%s", type == DKIM_ED25519 ?
	    "ed25519" : "rsa", p);
	buf_init(&t, BUF_NOLIMIT);
	buf_printf(&t, "%s._domainkey.%s. IN TXT (", selector, domain);
	for (size_t i = 0; i < v.len; i += 250)
		buf_printf(&t, " \"%.*s\"", (int)(v.len - i < 250 ? v.len - i :
		    250), v.data + i);
	buf_addstr(&t, " )");
	s = buf_detach(&t, NULL);
	buf_release(&v);
	return s;
}

int
dkim_keygen(const char *path, enum dkim_type type, const char *selector,
    const char *domain, char **txt)
{
	gnutls_privkey_t key = NULL;
	gnutls_x509_privkey_t x = NULL;
	gnutls_datum_t pem = { NULL, 0 };
	struct buf p;
	int fd, rc, ret = ERR_FAIL;

	*txt = NULL;
	pthread_once(&gnutls_once, init_gnutls);
	buf_init(&p, BUF_NOLIMIT);
	if ((rc = gnutls_privkey_init(&key)) < 0 ||
	    (rc = gnutls_privkey_generate2(key, type == DKIM_ED25519 ?
	    GNUTLS_PK_EDDSA_ED25519 : GNUTLS_PK_RSA, type == DKIM_ED25519 ?
	    256 : DKIM_RSA_MIN_BITS, 0, NULL, 0)) < 0 ||
	    (rc = gnutls_privkey_export_x509(key, &x)) < 0 ||
	    (rc = gnutls_x509_privkey_export2_pkcs8(x, GNUTLS_X509_FMT_PEM,
	    NULL, GNUTLS_PKCS_PLAIN, &pem)) < 0 ||
	    (rc = public_part(key, type, &p)) < 0) {
		log_error("dkim keygen: %s", gnutls_strerror(rc));
		goto out;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
	if (fd < 0) {
		log_error("dkim keygen: cannot create '%s': %s", path,
		    strerror(errno));
		goto out;
	}
	if (write(fd, pem.data, pem.size) != (ssize_t)pem.size ||
	    fsync(fd) < 0) {
		log_error("dkim keygen: cannot write '%s': %s", path,
		    strerror(errno));
		close(fd);
		unlink(path);
		goto out;
	}
	close(fd);
	*txt = txt_record(selector, domain, type, p.data);
	ret = 0;
out:
	if (pem.data != NULL) {
		explicit_bzero(pem.data, pem.size);
		gnutls_free(pem.data);
	}
	gnutls_x509_privkey_deinit(x);
	gnutls_privkey_deinit(key);
	buf_release(&p);
	return ret;
}
