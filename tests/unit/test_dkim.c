/*
 * test_dkim.c - relaxed canonicalisation (RFC 6376 3.4.2, 3.4.4, and the
 * example of 3.4.5).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "dkim.h"

static void
test_canon_header(void **state)
{
	static const struct {
		const char *in, *out;
	} t[] = {
		/* RFC 6376 3.4.5 */
		{ "A: X", "a:X\r\n" },
		{ "B : Y\t\r\n\tZ  ", "b:Y Z\r\n" },
		{ "Subject:   two   spaces\r\n  folded", "subject:two spaces "
		    "folded\r\n" },
		{ "DKIM-Signature: v=1; b=", "dkim-signature:v=1; b=\r\n" },
		{ "X-Empty:", "x-empty:\r\n" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct buf b;

		buf_init(&b, BUF_NOLIMIT);
		dkim_canon_header(&b, t[i].in, strlen(t[i].in));
		assert_string_equal(b.data, t[i].out);
		buf_release(&b);
	}
}

static void
test_canon_body(void **state)
{
	static const struct {
		const char *in, *out;
	} t[] = {
		/* RFC 6376 3.4.5 */
		{ " C \r\nD \t E\r\n\r\n\r\n", " C\r\nD E\r\n" },
		{ "", "" },
		{ "\r\n\r\n", "" },
		{ "abc", "abc\r\n" },
		{ "a\r\n\r\nb\r\n \r\n", "a\r\n\r\nb\r\n" },
		{ ".\r\n..x\r\n", ".\r\n..x\r\n" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct buf b;

		buf_init(&b, BUF_NOLIMIT);
		dkim_canon_body(&b, t[i].in, strlen(t[i].in));
		assert_string_equal(b.len ? b.data : "", t[i].out);
		buf_release(&b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canon_header),
		cmocka_unit_test(test_canon_body),
	};

	return cmocka_run_group_tests_name("dkim", tests, NULL, NULL);
}
