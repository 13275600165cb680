/*
 * fuzz_cgi.c - libFuzzer entry point: the unsubscribe and the signup CGIs
 * on an arbitrary request (`make fuzz`).  The input is
 *
 *	METHOD \n CONTENT_TYPE \n QUERY_STRING \n BODY
 *
 * (any line may be empty); CONTENT_LENGTH is the body's length.  The whole
 * request goes through cmd_unsubscribe_cgi(), then cmd_signup_cgi(), so
 * whatever they learn to parse is fuzzed too.  The database, the secret and the
 * Maildir the signup's confirmations go to live in a private folder; one
 * client address and [signup] ip_limit keep that Maildir small.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "log.h"
#include "signup.h"
#include "unsubscribe.h"
#include "util.h"
#include "xmalloc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct app app;
static FILE *devnull;

static void
setup(void)
{
	char dir[] = "/tmp/fuzz_cgi.XXXXXX";
	static const char secret[] = "fuzz secret: not a secret, 32 b";

	if (devnull != NULL)
		return;
	if (mkdtemp(dir) == NULL || (devnull = fopen("/dev/null", "w")) ==
	    NULL)
		fatal("setup");
	app.have_cfg = 1;
	app.cfg.file = xstrdup("fuzz.ini");
	app.cfg.course_name = xstrdup("Fuzz <course> & \"co\"");
	app.cfg.db_path = path_join(dir, "fuzz.db");
	app.cfg.db_target = app.cfg.db_path;
	app.cfg.secret_file = path_join(dir, "secret");
	app.cfg.signup_url = xstrdup("https://example.org/signup");
	app.cfg.signup_ip_limit = 10;
	app.cfg.signup_address_limit = 3;
	app.cfg.from_name = xstrdup("Fuzz");
	app.cfg.from_addr = xstrdup("course@example.org");
	app.cfg.envelope_from = xstrdup("course@example.org");
	app.cfg.postal_address = xstrdup("1 Fuzz Street");
	app.cfg.timezone = xstrdup("UTC");
	app.cfg.maildir = path_join(dir, "outbox");
	setenv("REMOTE_ADDR", "192.0.2.1", 1);
	if (write_file_atomic(app.cfg.secret_file, secret, sizeof(secret) - 1,
	    0600) < 0)
		fatal("secret");
}

/* The next line of [*s, end), NUL-terminated (allocated). */
static char *
line(const char **s, const char *end)
{
	const char *nl = memchr(*s, '\n', (size_t)(end - *s));
	size_t n = nl ? (size_t)(nl - *s) : (size_t)(end - *s);
	char *l = xstrndup(*s, n);

	*s += nl ? n + 1 : n;
	return l;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *end = s + size;
	static char empty[1];
	char *method, *type, *query, len[32];
	FILE *in;

	log_init(-2);
	setup();
	method = line(&s, end);
	type = line(&s, end);
	query = line(&s, end);
	snprintf(len, sizeof(len), "%zu", (size_t)(end - s));
	setenv("REQUEST_METHOD", method, 1);
	setenv("CONTENT_TYPE", type, 1);
	setenv("QUERY_STRING", query, 1);
	setenv("CONTENT_LENGTH", len, 1);
	for (int i = 0; i < 2; i++) {
		/* fmemopen() refuses a size of 0: an empty body is one NUL. */
		in = s < end ? fmemopen((void *)s, (size_t)(end - s), "r") :
		    fmemopen(empty, 1, "r");
		if (in == NULL)
			fatal("fmemopen");
		(void)(i ? cmd_signup_cgi : cmd_unsubscribe_cgi)(&app, in,
		    devnull);
		fclose(in);
	}
	free(method);
	free(type);
	free(query);
	return 0;
}
