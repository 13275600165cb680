/*
 * test_signup.c - the signup form's origin check ([signup]
 * allowed_origin against Origin, else Referer).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "signup.h"

static void
test_origin(void **state)
{
	static const struct {
		const char	*allowed, *origin, *referer;
		int		 ok;
	} t[] = {
		{ NULL, NULL, NULL, 1 },		/* not set: any */
		{ NULL, "https://evil.example", NULL, 1 },
		{ "https://blog.example.org", "https://blog.example.org",
		    NULL, 1 },
		{ "https://blog.example.org/", "https://blog.example.org",
		    NULL, 1 },
		{ "https://blog.example.org", "HTTPS://Blog.Example.org",
		    NULL, 1 },
		{ "https://blog.example.org", "https://blog.example.org:8443",
		    NULL, 0 },
		{ "https://blog.example.org", "http://blog.example.org",
		    NULL, 0 },
		{ "https://blog.example.org", "https://blog.example.org.evil",
		    NULL, 0 },
		/* Origin decides when there is one, even with a Referer */
		{ "https://blog.example.org", "https://evil.example",
		    "https://blog.example.org/join", 0 },
		/* "null" (a sandboxed or privacy-minded page): the Referer */
		{ "https://blog.example.org", "null",
		    "https://blog.example.org/join", 1 },
		{ "https://blog.example.org", NULL,
		    "https://blog.example.org/", 1 },
		{ "https://blog.example.org", "",
		    "https://blog.example.org", 1 },
		{ "https://blog.example.org", NULL,
		    "https://blog.example.org.evil/", 0 },
		{ "https://blog.example.org", NULL,
		    "https://blog.example.organ/", 0 },
		{ "https://blog.example.org", NULL, NULL, 0 },
		{ "https://blog.example.org", "null", NULL, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (signup_origin_ok(t[i].allowed, t[i].origin,
		    t[i].referer) != t[i].ok)
			fail_msg("row %zu: %s / %s / %s: expected %d", i,
			    t[i].allowed ? t[i].allowed : "(none)",
			    t[i].origin ? t[i].origin : "(none)",
			    t[i].referer ? t[i].referer : "(none)", t[i].ok);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_origin),
	};

	return cmocka_run_group_tests_name("signup", tests, NULL, NULL);
}
