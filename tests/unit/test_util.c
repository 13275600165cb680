/*
 * test_util.c - buf, util and addr.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "addr.h"
#include "buf.h"
#include "dripmail.h"
#include "util.h"

static void
test_buf_cap(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_addstr(&b, "12345678"), 0);
	assert_int_equal(buf_addch(&b, 'x'), ERR_FAIL);
	assert_string_equal(b.data, "12345678");
	buf_reset(&b);
	assert_int_equal(buf_printf(&b, "%d-%s", 42, "ab"), 0);
	assert_string_equal(b.data, "42-ab");
	buf_release(&b);
	assert_string_equal(b.data, "");
}

static void
test_time_parse(void **state)
{
	time_t t;
	char out[32];

	(void)state;
	assert_int_equal(time_parse_iso("2026-11-21T12:00:00Z", &t), 0);
	assert_int_equal((long long)t, 1795262400LL);
	assert_int_equal(time_parse_iso("2026-11-21 17:30:00+05:30", &t), 0);
	assert_int_equal((long long)t, 1795262400LL);
	assert_int_equal(time_parse_iso("2026-11-21T07:00-05:00", &t), 0);
	assert_int_equal((long long)t, 1795262400LL);
	time_format_iso(t, out, sizeof(out));
	assert_string_equal(out, "2026-11-21T12:00:00Z");
	assert_int_equal(time_parse_iso("2026-02-29T00:00Z", &t), ERR_FAIL);
	assert_int_equal(time_parse_iso("2024-02-29T00:00Z", &t), 0);
	assert_int_equal(time_parse_iso("2026-13-01T00:00Z", &t), ERR_FAIL);
	assert_int_equal(time_parse_iso("2026-11-21", &t), ERR_FAIL);
	assert_int_equal(time_parse_iso("2026-11-21T12:00Zjunk", &t),
	    ERR_FAIL);
}

static void
test_utf8(void **state)
{
	(void)state;
	assert_true(utf8_valid("caf\xc3\xa9", 5));
	assert_false(utf8_valid("caf\xe9", 4));
	assert_false(utf8_valid("\xc0\xaf", 2));		/* overlong */
	assert_false(utf8_valid("\xed\xa0\x80", 3));		/* surrogate */
	assert_true(utf8_valid("\xf0\x9f\x98\x80", 4));
	/* Long ASCII runs (read eight bytes at a time) around the rest. */
	assert_true(utf8_valid("0123456789abcdef", 16));
	assert_false(utf8_valid("0123456789abcdef\xe9xyz", 20));
	assert_false(utf8_valid("0123456\xff" "89abcdef", 16));
	assert_false(utf8_valid("0123456789abcde\xc3", 16));
	assert_true(utf8_valid("0123456\xc3\xa9" "9abcdefgh", 17));
	assert_true(utf8_valid("01234567\xf0\x9f\x98\x80" "89abcdefg", 21));
	assert_false(utf8_valid("01234567\xf0\x9f\x98" "89abcdefg", 20));
}

static void
test_addr(void **state)
{
	const char *why;
	char *name, *addr;
	char a[] = "Ann.Lee+x@Example.ORG";
	char longlocal[80];

	(void)state;
	assert_int_equal(addr_check(a, &why), 0);
	addr_normalise(a);
	assert_string_equal(a, "Ann.Lee+x@example.org");
	assert_int_equal(addr_check("no-at.example.org", &why), ERR_FAIL);
	assert_int_equal(addr_check("a@b@example.org", &why), ERR_FAIL);
	assert_int_equal(addr_check("a@localhost", &why), ERR_FAIL);
	assert_int_equal(addr_check("a b@example.org", &why), ERR_FAIL);
	assert_int_equal(addr_check("a@example.org\r\nBcc: x@y.z", &why),
	    ERR_FAIL);
	assert_int_equal(addr_check(".a@example.org", &why), ERR_FAIL);
	assert_int_equal(addr_check("a@-x.org", &why), ERR_FAIL);
	memset(longlocal, 'a', 65);
	strcpy(longlocal + 65, "@example.org");
	assert_int_equal(addr_check(longlocal, &why), ERR_FAIL);
	assert_int_equal(addr_parse_mailbox("\"Practical Peace\" "
	    "<Course@Example.org>", &name, &addr, &why), 0);
	assert_string_equal(name, "Practical Peace");
	assert_string_equal(addr, "Course@example.org");
	free(name);
	free(addr);
	assert_int_equal(addr_parse_mailbox("X <a@b.org> junk", &name, &addr,
	    &why), ERR_FAIL);
}

static void
test_url_redact(void **state)
{
	static const struct {
		const char	*url;
		const char	*want;
	} t[] = {
		{ "smtp://user:s3cret@relay.example:587",
		    "smtp://user:***@relay.example:587" },
		{ "smtps://u%40x.org:p:a@ss@relay.example/helo",
		    "smtps://u%40x.org:***@relay.example/helo" },
		{ "smtp://user@relay.example:587", "smtp://user@relay.example:587" },
		{ "smtp://relay.example:587", "smtp://relay.example:587" },
		{ "smtp://relay.example/a:b@c", "smtp://relay.example/a:b@c" },
		{ "smtp://:pw@relay.example", "smtp://:***@relay.example" },
		{ "maildir:outbox", "maildir:outbox" },
		{ "", "" },
	};
	char *r;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		r = url_redact(t[i].url);
		assert_string_equal(r, t[i].want);
		free(r);
	}
}

/* 2026-12-02 regress: internationalised addresses could not be sent. */
static void
test_addr_ascii(void **state)
{
	static const struct {
		const char	*addr;
		int		 check, syntax;
	} t[] = {
		{ "ok@example.org", 0, 0 },
		{ "j\xc3\xb6rg@example.org", ERR_FAIL, 0 },
		{ "ok@b\xc3\xbc" "cher.de", ERR_FAIL, 0 },
		{ "a\xe2\x80\xae@example.org", ERR_FAIL, 0 },
		{ "bad\xff@example.org", ERR_FAIL, ERR_FAIL },
	};
	const char *why;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(addr_check(t[i].addr, &why), t[i].check);
		assert_int_equal(addr_syntax(t[i].addr, &why), t[i].syntax);
	}
}

/* 2026-12-02 regress: control characters went into log lines raw. */
static void
test_escape(void **state)
{
	static const struct {
		const char	*in, *out;
	} t[] = {
		{ "plain caf\xc3\xa9", "plain caf\xc3\xa9" },
		{ "a\r\n2026 dripmail: forged", "a\\r\\n2026 dripmail: forged" },
		{ "\x1b[2K\t\x7f", "\\x1b[2K\\t\\x7f" },
		{ "C1 \xc2\x9b bidi \xe2\x80\xae x \xe2\x81\xa6",
		    "C1 \\u009b bidi \\u202e x \\u2066" },
		{ "\xd8\x9c\xe2\x80\x8f", "\\u061c\\u200f" },
	};
	char out[128], small[6];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_string_equal(str_escape(t[i].in, out, sizeof(out)),
		    t[i].out);
	/* Truncated before an escape that does not fit, never inside it. */
	assert_string_equal(str_escape("ab\ncd", small, sizeof(small)), "ab\\nc");
	assert_string_equal(str_escape("abc\x01", small, sizeof(small)),
	    "abc");
}

/* 2026-12-02 regress: the year 1 was written "1-01-01T00:00:00Z". */
static void
test_time_format_years(void **state)
{
	static const struct {
		const char	*iso;
	} t[] = {
		{ "0001-01-01T00:00:00Z" },
		{ "0999-12-31T23:59:59Z" },
		{ "1970-01-01T00:00:00Z" },
		{ "2026-12-02T09:30:00Z" },
	};
	char out[32];
	time_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(time_parse_iso(t[i].iso, &v), 0);
		time_format_iso(v, out, sizeof(out));
		assert_string_equal(out, t[i].iso);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_cap),
		cmocka_unit_test(test_url_redact),
		cmocka_unit_test(test_time_parse),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_addr_ascii),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_time_format_years),
	};

	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
