/*
 * test_smtp.c - replies, shown URLs and the Maildir transport.
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

/* smtp_reply: the code's class and the step-aware verdict, per reply. */
static void
test_reply(void **state)
{
	static const struct {
		enum smtp_step	 step;
		int		 code;
		const char	*line;
		int		 err, reconnect;
		enum bounce_kind kind;
		int		 sender;
		const char	*status;
	} t[] = {
		{ SMTP_STEP_EOD, 250, "250 2.0.0 Ok: queued as 123", 0, 0,
		    BOUNCE_OTHER, 0, "2.0.0" },
		{ SMTP_STEP_RCPT, 550, "550 5.1.1 <x@y.org>: Recipient unknown",
		    ERR_PERM, 0, BOUNCE_HARD, 0, "5.1.1" },
		/* a disabled account may come back: soft (Sisimai's reading) */
		{ SMTP_STEP_RCPT, 552, "552 5.2.1 Mailbox disabled", ERR_PERM,
		    0, BOUNCE_SOFT, 0, "5.2.1" },
		{ SMTP_STEP_RCPT, 550, "550 No such user here", ERR_PERM, 0,
		    BOUNCE_HARD, 0, "5.1.1" },
		/* the sender or the message: nobody's address is dead */
		{ SMTP_STEP_MAIL, 550, "550 5.1.8 <course@example.org>: Sender "
		    "address rejected: Domain not found", ERR_PERM, 0,
		    BOUNCE_SOFT, 1, "5.1.8" },
		{ SMTP_STEP_RCPT, 554, "554 5.1.8 <course@example.org>: Sender "
		    "address rejected", ERR_PERM, 0, BOUNCE_SOFT, 1, "5.1.8" },
		{ SMTP_STEP_EOD, 550, "550 Message rejected as spam", ERR_PERM,
		    0, BOUNCE_SOFT, 1, "5.7.1" },
		{ SMTP_STEP_EOD, 554, "554 5.7.1 Message content rejected",
		    ERR_PERM, 0, BOUNCE_SOFT, 1, "5.7.1" },
		{ SMTP_STEP_MAIL, 451, "451 4.1.8 Domain not found", ERR_TEMP,
		    0, BOUNCE_SOFT, 1, "4.1.8" },
		{ SMTP_STEP_RCPT, 451, "451 4.3.0 try later", ERR_TEMP, 0,
		    BOUNCE_SOFT, 0, "4.3.0" },
		{ SMTP_STEP_MAIL, 421, "421 4.3.2 shutting down", ERR_TEMP, 1,
		    BOUNCE_SOFT, 1, "4.3.2" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct smtp_result r;

		memset(&r, 0, sizeof(r));
		smtp_reply(&r, t[i].step, t[i].code, t[i].line);
		assert_int_equal(r.err, t[i].err);
		assert_int_equal(r.code, t[i].code);
		assert_int_equal(r.step, t[i].step);
		assert_int_equal(r.reconnect, t[i].reconnect);
		assert_int_equal(r.verdict.kind, t[i].kind);
		assert_int_equal(r.verdict.sender, t[i].sender);
		assert_string_equal(r.status, t[i].status);
		assert_string_equal(r.reply, t[i].line);
	}
}

/* Credentials never reach a message. */
static void
test_url_shown(void **state)
{
	static const char *const t[][2] = {
		{ "smtp://relay:587", "smtp://relay:587" },
		{ "smtp://user:pass@relay:587", "smtp://relay:587" },
		{ "smtps://u%40x:p@ss@relay/helo.example",
		    "smtps://relay/helo.example" },
		{ "smtp://relay/x@y", "smtp://relay/x@y" },
		{ "maildir:outbox", "maildir:outbox" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *s = smtp_url_shown(t[i][0]);

		assert_string_equal(s, t[i][1]);
		free(s);
	}
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
		cmocka_unit_test(test_reply),
		cmocka_unit_test(test_url_shown),
		cmocka_unit_test(test_maildir),
	};

	return cmocka_run_group_tests_name("smtp", tests, NULL, NULL);
}
