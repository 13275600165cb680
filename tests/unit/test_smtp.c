/*
 * test_smtp.c - reply classification and the Maildir transport.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "dripmail.h"
#include "smtp.h"
#include "util.h"

static void
test_classify(void **state)
{
	struct smtp_result r;

	(void)state;
	memset(&r, 0, sizeof(r));
	smtp_classify(&r, 250, "250 2.0.0 Ok: queued as 123");
	assert_int_equal(r.err, 0);
	assert_string_equal(r.status, "2.0.0");
	smtp_classify(&r, 550, "550 5.1.1 <x@y.org>: Recipient unknown");
	assert_int_equal(r.err, ERR_PERM);
	assert_string_equal(r.status, "5.1.1");
	assert_true(r.rcpt_bad);
	smtp_classify(&r, 552, "552 5.2.1 Mailbox disabled");
	assert_true(r.rcpt_bad);
	smtp_classify(&r, 554, "554 5.7.1 Message content rejected");
	assert_int_equal(r.err, ERR_PERM);
	assert_false(r.rcpt_bad);
	assert_false(r.reconnect);
	smtp_classify(&r, 451, "451 4.3.0 try later");
	assert_int_equal(r.err, ERR_TEMP);
	assert_false(r.reconnect);
	smtp_classify(&r, 421, "421 4.3.2 shutting down");
	assert_int_equal(r.err, ERR_TEMP);
	assert_true(r.reconnect);
	smtp_classify(&r, 452, "452 too many");
	assert_string_equal(r.status, "");
	assert_int_equal(r.err, ERR_TEMP);
}

static void
test_maildir(void **state)
{
	char dir[] = "/tmp/test_smtp.XXXXXX", *newdir, *path, *data;
	struct config cfg;
	struct smtp_conn *c;
	struct smtp_result r;
	struct dirent *de;
	size_t len;
	DIR *d;

	(void)state;
	assert_non_null(mkdtemp(dir));
	memset(&cfg, 0, sizeof(cfg));
	cfg.maildir = path_join(dir, "outbox");
	c = smtp_open(&cfg);
	assert_non_null(c);
	assert_int_equal(smtp_send(c, "from@x.org", "to@y.org",
	    "Subject: hi\r\n\r\nbody\r\n", 21, &r), 0);
	assert_int_equal(r.code, 250);
	smtp_close(c);
	newdir = path_join(cfg.maildir, "new");
	d = opendir(newdir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL && de->d_name[0] == '.')
		;
	assert_non_null(de);
	path = path_join(newdir, de->d_name);
	assert_int_equal(slurp(path, 0, &data, &len), 0);
	assert_string_equal(data, "Return-Path: <from@x.org>\r\n"
	    "Delivered-To: to@y.org\r\nSubject: hi\r\n\r\nbody\r\n");
	unlink(path);
	closedir(d);
	free(data);
	free(path);
	free(newdir);
	free(cfg.maildir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_maildir),
	};

	return cmocka_run_group_tests_name("smtp", tests, NULL, NULL);
}
