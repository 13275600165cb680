/*
 * test_bounce.c - the bounce classifier on the messages written for the
 * tests (tests/e2e/data/bounces, see VIOLATIONS.md there), VERP and
 * unsubscribe tokens, and malformed input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bounce.h"
#include "bounce_int.h"
#include "buf.h"
#include "dripmail.h"
#include "token.h"
#include "util.h"
#include "xmalloc.h"

#define DATA	"tests/e2e/data/bounces/"

static const unsigned char key[32] = "unit test key, thirty-two bytes!";
static const struct bounce_opts opts = {
	key, sizeof(key), "unsubscribe@example.org",
};

static char *
load(const char *name, size_t *len)
{
	char *path = xasprintf("%s%s", DATA, name), *data = NULL;

	assert_int_equal(slurp(path, 0, &data, len), 0);
	free(path);
	return data;
}

static void
classify_mem(const char *msg, size_t len, struct bounce_result *r)
{
	assert_int_equal(bounce_classify(&opts, msg, len, r), 0);
	assert_true(r->n >= 1);
}

static void
classify_file(const char *name, struct bounce_result *r)
{
	size_t len;
	char *msg = load(name, &len);

	classify_mem(msg, len, r);
	free(msg);
}

/* One file, one expected finding (the first). */
static const struct {
	const char	*file;
	const char	*rcpt;
	const char	*status;
	const char	*kind;
	size_t		 n;
} cases[] = {
	{ "postfix-dsn-user-unknown.eml", "nobody.home@example.net", "5.1.1",
	    "hard", 1 },
	{ "postfix-dsn-mailbox-full.eml", "full.box@example.com", "5.2.2",
	    "soft", 1 },
	{ "postfix-dsn-delayed.eml", "slow.server@example.com", "4.4.1",
	    "soft", 1 },
	{ "postfix-dsn-domain-not-found.eml", "someone@no-such-domain.invalid",
	    "5.1.2", "hard", 1 },
	{ "postfix-dsn-too-large.eml", "small.inbox@example.com", "5.3.4",
	    "soft", 1 },
	{ "spam-block-5.7.1.eml", "careful@strict.example", "5.7.1", "soft",
	    1 },
	{ "sendmail-dsn-two-recipients.eml", "ann@example.net", "5.1.1",
	    "hard", 2 },
	{ "office365-ndr-5.1.10.eml", "pat.doe@contoso.example", "5.1.10",
	    "hard", 1 },
	{ "gmail-dsn-no-such-user.eml", "no.such.person.2026@gmail.com",
	    "5.1.1", "hard", 1 },
	{ "amazon-ses-dsn.eml", "abandoned@example.com", "5.1.1", "hard", 1 },
	{ "courier-dsn.eml", "maria@courier.example", "5.1.1", "hard", 1 },
	{ "exim-user-unknown.eml", "gone.away@example.com", "5.1.1", "hard",
	    1 },
	{ "exim-relay-denied.eml", "partner@example.com", "5.7.1", "soft", 1 },
	{ "qmail-no-mailbox.eml", "kim@oldhost.example", "5.1.1", "hard", 1 },
	{ "exchange2003-text.eml", "j.smith@corp.example", "5.1.1", "hard",
	    1 },
	{ "gmail-text-legacy.eml", "lee@partner.example", "5.7.1", "soft", 1 },
	{ "yahoo-text.eml", "sleepy_walrus_1999@yahoo.com", "5.1.1", "hard",
	    1 },
	{ "domino-text.eml", "chris.vale@lotus.example", "5.1.1", "hard", 1 },
	{ "arf-complaint.eml", "angry.reader@isp.example", "", "complaint",
	    1 },
	{ "autoreply-vacation.eml", "sam.rivers@example.net", "", "autoreply",
	    1 },
	{ "autoreply-x-autoreply.eml", "dana@example.com", "", "autoreply",
	    1 },
	{ "unsubscribe-reply.eml", "robin.gale@example.com", "", "unsubscribe",
	    1 },
	{ "unsubscribe-subject-only.eml", "taylor@example.net", "",
	    "unsubscribe", 1 },
	{ "broken-mime-no-boundary.eml", "lost.cause@example.com", "5.1.1",
	    "hard", 1 },
	{ "bad-charset.eml", "wrong.charset@example.com", "5.1.1", "hard", 1 },
};

static void
test_samples(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct bounce_result r;

		classify_file(cases[i].file, &r);
		if (strcmp(r.findings[0].recipient, cases[i].rcpt) != 0 ||
		    strcmp(r.findings[0].status, cases[i].status) != 0 ||
		    strcmp(bounce_kind_name(r.findings[0].kind),
		    cases[i].kind) != 0 || r.n != cases[i].n)
			fail_msg("%s: got %s %s %s (%zu findings)",
			    cases[i].file, r.findings[0].recipient,
			    r.findings[0].status,
			    bounce_kind_name(r.findings[0].kind), r.n);
		assert_null(r.findings[0].token);
		assert_false(str_has_ctl(r.findings[0].diagnostic));
		assert_true(strlen(r.findings[0].diagnostic) <=
		    BOUNCE_MAX_DIAG);
		bounce_result_release(&r);
	}
}

static void
test_dsn_details(void **state)
{
	struct bounce_result r;

	(void)state;
	classify_file("sendmail-dsn-two-recipients.eml", &r);
	assert_string_equal(r.findings[1].recipient, "bob@example.net");
	assert_string_equal(r.findings[1].status, "4.3.0");
	assert_int_equal(r.findings[1].kind, BOUNCE_SOFT);
	assert_string_equal(r.message_id,
	    "<202612030810.4B38AiQk012345@gw.example.net>");
	bounce_result_release(&r);

	classify_file("postfix-dsn-user-unknown.eml", &r);
	assert_string_equal(r.findings[0].diagnostic,
	    "550 5.1.1 <nobody.home@example.net>: Recipient address "
	    "rejected: User unknown in virtual mailbox table");
	bounce_result_release(&r);
}

static void
test_status_kind(void **state)
{
	/* a disabled account (X.2.1, X.7.13) is soft: it may come back */
	static const char *const hard[] = {
		"5.1.1", "5.1.2", "5.1.3", "5.1.6", "5.1.10", "5.4.4",
		"5.7.27",
	};
	static const char *const soft[] = {
		"5.2.2", "5.3.4", "5.7.1", "5.2.1", "5.7.13", "5.0.0", "4.1.1",
		"4.2.2", "4.4.1", "5.1.0", "5.1.4",
	};
	static const char *const other[] = {
		"2.0.0", "", "5.1", "6.1.1", "5.1.1.1", "x", "5.1.1 ", "5..1",
		"5.1000.1",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(hard); i++)
		assert_int_equal(bounce_status_kind(hard[i]), BOUNCE_HARD);
	for (size_t i = 0; i < ARRAY_SIZE(soft); i++)
		assert_int_equal(bounce_status_kind(soft[i]), BOUNCE_SOFT);
	for (size_t i = 0; i < ARRAY_SIZE(other); i++)
		assert_int_equal(bounce_status_kind(other[i]), BOUNCE_OTHER);
	assert_int_equal(bounce_status_kind(NULL), BOUNCE_OTHER);
}

static void
test_status_text(void **state)
{
	static const struct {
		const char	*text;
		const char	*status;
	} t[] = {
		{ "550 5.1.1 <a@b.example>: User unknown", "5.1.1" },
		{ "550 <a@b.example>: No such user here", "5.1.1" },
		/* a quoted reply, no status, no command: a filter's maybe */
		{ "550 No such user here", "5.7.1" },
		{ "452 Mailbox full", "4.2.2" },
		{ "mx [192.0.2.1] said: 554 5.7.1 blocked", "5.7.1" },
		{ "Sorry, no mailbox here by that name. (#5.1.1)", "5.1.1" },
		{ "5.0.0 user unknown", "5.1.1" },
		{ "Exim 4.96 at 10.5.1.1 says hello", "" },
		{ "host 192.0.2.25 version 15.20.8207.18", "" },
		{ "This is a permanent error", "5.0.0" },
		{ "", "" },
	};
	char out[BOUNCE_STATUS_LEN];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		bounce_status_from_text(t[i].text, out);
		if (strcmp(out, t[i].status) != 0)
			fail_msg("'%s': got '%s', want '%s'", t[i].text, out,
			    t[i].status);
	}
}

/*
 * The failure classes of real mail servers, one message each (written for
 * these tests in the shapes the servers use), and what must be read:
 * "recipient kind" per finding, ";"-separated.
 */
#define DSN_HEAD \
	"From: MAILER-DAEMON@mx.example.org\n" \
	"To: bounces@example.org\n" \
	"Subject: Undelivered Mail Returned to Sender\n" \
	"Content-Type: multipart/report; report-type=delivery-status;" \
	" boundary=\"R\"\n\n"

static const struct {
	const char	*name;
	const char	*msg;
	const char	*want;
} classes[] = {
	/* ---- recipients ---- */
	{ "stated recipient equal to the bounce's own To, Message-Id quoted",
	    "From: MAILER-DAEMON <>\nTo: pat@example.net\n"
	    "X-Original-To: pat@example.net\n"
	    "Subject: Mail delivery failed\n\n"
	    "There was an error delivering your mail to <pat@example.net>.\n"
	    "mx.example.net [192.0.2.7] did not like our RCPT TO:\n"
	    "550 5.1.1 <pat@example.net>: Recipient address rejected\n"
	    "Message headers follow.\n"
	    "Message-Id: <5e1f.77@df.example.org>\nTo: <pat@example.net>\n",
	    "pat@example.net hard" },
	{ "qmail's <a>: line",
	    "From: MAILER-DAEMON@qmail.example.org\nTo: ann@example.org\n"
	    "Subject: failure notice\n\n"
	    "Hi. This is the qmail-send program at qmail.example.org.\n"
	    "I'm afraid I wasn't able to deliver your message to the "
	    "following addresses.\n\n"
	    "<ann@example.org>:\n"
	    "Sorry, no mailbox here by that name. (#5.1.1)\n\n"
	    "--- Below this line is a copy of the message.\n\n"
	    "Message-ID: <abc@example.org>\nTo: ann@example.org\n",
	    "ann@example.org hard" },
	{ "Exchange lists two recipients, \"a on DATE\"",
	    "From: postmaster@corp.example\nTo: news@example.org\n"
	    "Subject: Undeliverable: Lesson 1\n\n"
	    "Your message\n  To:      news@example.org\n"
	    "  Subject: Lesson 1\n\n"
	    "did not reach the following recipient(s):\n\n"
	    "kim@corp.example on Mon, 2 Mar 2026 10:00:00 +0100\n"
	    "    The recipient name is not recognized\n"
	    "lee@corp.example on Mon, 2 Mar 2026 10:00:00 +0100\n"
	    "    The recipient name is not recognized\n",
	    "kim@corp.example hard;lee@corp.example hard" },
	{ "Final-Recipient is reported, not Original-Recipient",
	    DSN_HEAD "--R\nContent-Type: message/delivery-status\n\n"
	    "Reporting-MTA: dns; mx.example.org\n\n"
	    "Original-Recipient: rfc822; old.name@example.com\n"
	    "Final-Recipient: rfc822; new.name@example.net\n"
	    "Action: failed\nStatus: 5.1.1\n"
	    "Diagnostic-Code: smtp; 550 5.1.1 user unknown\n\n--R--\n",
	    "new.name@example.net hard" },
	{ "an ARF report naming several recipients",
	    "From: abuse@isp.example\nTo: bounces@example.org\n"
	    "Subject: complaint\n"
	    "Content-Type: multipart/report; report-type=feedback-report;"
	    " boundary=\"F\"\n\n"
	    "--F\nContent-Type: message/feedback-report\n\n"
	    "Feedback-Type: abuse\nVersion: 1\n"
	    "Original-Rcpt-To: one@isp.example\n"
	    "Original-Rcpt-To: two@isp.example\n\n--F--\n",
	    "one@isp.example complaint;two@isp.example complaint" },
	{ "two recipients in one DSN block, no empty line between",
	    DSN_HEAD "--R\nContent-Type: message/delivery-status\n\n"
	    "Reporting-MTA: dns; relay.example.org\n"
	    "Final-Recipient: rfc822; full@example.jp\nAction: failed\n"
	    "Status: 5.2.2\nDiagnostic-Code: smtp; 550 5.2.2 Mailbox Full\n"
	    "Final-Recipient: rfc822; gone@example.jp\nAction: failed\n"
	    "Status: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 User Unknown\n"
	    "\n--R--\n", "full@example.jp soft;gone@example.jp hard" },
	{ "a quoted local part",
	    "From: MAILER-DAEMON@mx.example.org\nTo: b@example.org\n"
	    "Subject: Undelivered Mail Returned to Sender\n\n"
	    "<\"odd..name\"@example.net>: host mx.example.net[192.0.2.1] "
	    "said: 550 5.1.1 user unknown (in reply to RCPT TO command)\n",
	    "odd..name@example.net hard" },
	{ "a declared boundary that matches no line",
	    "From: MAILER-DAEMON@mx.example.org\nTo: b@example.org\n"
	    "Subject: Undelivered Mail Returned to Sender\n"
	    "Content-Type: multipart/report; report-type=delivery-status;"
	    " boundary=\"X1/mx.example.org\"\n\n"
	    "--X2/mx.example.org\nContent-Type: text/plain\n\n"
	    "<gone@example.net>: host mx.example.net said: 550 5.1.1 "
	    "unknown (in reply to RCPT TO command)\n"
	    "--X2/mx.example.org\n"
	    "Content-Type: message/delivery-status\n\n"
	    "Final-Recipient: rfc822; gone@example.net\nAction: failed\n"
	    "Status: 5.1.1\n\n--X2/mx.example.org--\n",
	    "gone@example.net hard" },
	{ "a DSN forwarded inside message/rfc822",
	    "From: helpdesk@example.org\nTo: bounces@example.org\n"
	    "Subject: Fwd: Undelivered Mail\n"
	    "Content-Type: multipart/mixed; boundary=\"O\"\n\n"
	    "--O\nContent-Type: text/plain\n\nsee below\n"
	    "--O\nContent-Type: message/rfc822\n\n"
	    "From: MAILER-DAEMON@mx.example.org\n"
	    "Subject: Undelivered Mail Returned to Sender\n"
	    "Content-Type: multipart/report; report-type=delivery-status;"
	    " boundary=\"I\"\n\n"
	    "--I\nContent-Type: message/delivery-status\n\n"
	    "Final-Recipient: rfc822; inner@example.net\nAction: failed\n"
	    "Status: 5.2.2\n\n--I--\n\n--O--\n",
	    "inner@example.net soft" },
	{ "two recipients on one line longer than the look-back (fuzz)",
	    "From: MAILER-DAEMON@mx.example.org\nTo: x@example.org\n"
	    "X-Failed-Recipients: a.very.long.local.part.for.testing@lists."
	    "example.net, bo@example.net, cy@example.net\n"
	    "Subject: Mail delivery failed\n\n"
	    "a.very.long.local.part.for.testing@lists.example.net "
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxx bo@example.net: 550 5.1.1 user unknown\n",
	    "a.very.long.local.part.for.testing@lists.example.net hard;"
	    "bo@example.net hard;cy@example.net hard" },
	/* ---- not recognised as a bounce ---- */
	{ "an SNS notification carrying SES JSON",
	    "From: no-reply@sns.amazonaws.com\nTo: ops@example.org\n"
	    "Subject: AWS Notification Message\n\n"
	    "{\"Type\":\"Notification\",\"Message\":\"{\\\"notificationType"
	    "\\\":\\\"Bounce\\\",\\\"bounce\\\":{\\\"bounceType\\\":"
	    "\\\"Permanent\\\",\\\"bouncedRecipients\\\":[{\\\"emailAddress"
	    "\\\":\\\"nobody@example.net\\\",\\\"status\\\":\\\"5.1.1\\\","
	    "\\\"diagnosticCode\\\":\\\"smtp; 550 5.1.1 user unknown\\\"}]}}"
	    "\"}\n",
	    "nobody@example.net hard" },
	{ "SES JSON folded over lines, a complaint",
	    "From: no-reply@sns.amazonaws.com\nTo: ops@example.org\n"
	    "Subject: AWS Notification Message\n\n"
	    "{\"notificationType\":\"Complaint\",\"complaint\":{\"complained"
	    "Recipients\":[{\"emailAddress\":\"annoyed@exa\n mple.net\"}]}}\n",
	    "annoyed@example.net complaint" },
	{ "From without @, subject not English",
	    "From: MAILER-DAEMON\nTo: b@example.org\n"
	    "Subject: =?UTF-8?B?44Ko44Op44O8?=\n\n"
	    "<sora@example.jp>: host mx.example.jp said: 550 5.1.1 "
	    "unknown user (in reply to RCPT TO command)\n",
	    "sora@example.jp hard" },
	{ "Exchange's NDR in German, from an ordinary address",
	    "From: Systemadministrator <admin@firma.example>\n"
	    "To: b@example.org\nSubject: Unzustellbar: Lektion 2\n\n"
	    "Ihre Nachricht hat einige oder alle Empf\xc3\xa4nger nicht "
	    "erreicht.\n\n      Betreff:  Lektion 2\n\n"
	    "Folgende Empf\xc3\xa4nger konnten nicht erreicht werden:\n\n"
	    "      jens.weber@firma.example am 03.12.2026 09:12\n"
	    "            Benutzer unbekannt\n"
	    "            <mx.firma.example #5.1.1 smtp;550 5.1.1 "
	    "RESOLVER.ADR.RecipNotFound>\n",
	    "jens.weber@firma.example hard" },
	{ "Auto-Submitted: auto-replied on a bounce",
	    "From: Mail System <mail@mx.example.org>\n"
	    "To: b@example.org\nAuto-Submitted: auto-replied\n"
	    "Subject: Notification\n\n"
	    "This message was created automatically by mail delivery "
	    "software.\n\n  moved@example.net\n"
	    "    host mx.example.net [192.0.2.3]\n"
	    "    SMTP error from remote mail server after RCPT TO:"
	    "<moved@example.net>:\n    550 5.1.1 unknown user\n",
	    "moved@example.net hard" },
	{ "an unsubscribe request a mail client marked auto-replied",
	    "From: reader@example.net\nTo: unsubscribe@example.org\n"
	    "Subject: unsubscribe\nAuto-Submitted: auto-replied\n\n"
	    "This mail client sent this message to unsubscribe.\n",
	    "reader@example.net unsubscribe" },
	/* ---- soft, not hard ---- */
	{ "a disabled account (X.2.1)",
	    DSN_HEAD "--R\nContent-Type: message/delivery-status\n\n"
	    "Final-Recipient: rfc822; resting@example.net\nAction: failed\n"
	    "Status: 5.2.1\nDiagnostic-Code: smtp; 550 5.2.1 The email "
	    "account that you tried to reach is disabled.\n\n--R--\n",
	    "resting@example.net soft" },
	{ "X.2.1 with \"user unknown\", the step not said",
	    DSN_HEAD "--R\nContent-Type: message/delivery-status\n\n"
	    "Final-Recipient: rfc822; parked@example.net\nAction: failed\n"
	    "Status: 5.2.1\nDiagnostic-Code: smtp; 550 5.2.1 "
	    "<parked@example.net>... Unknown user\n\n--R--\n",
	    "parked@example.net soft" },
	{ "Gmail's inactive account, a later \"User unknown\" line",
	    "From: MAILER-DAEMON@relay.example.org\nTo: b@example.org\n"
	    "Subject: Returned mail: see transcript for details\n\n"
	    "   ----- The following addresses had permanent fatal errors "
	    "-----\n<idle.person@gmail.example>\n"
	    "    (reason: 550-5.2.1 The email account that you tried to "
	    "reach is inactive.)\n\n"
	    "   ----- Transcript of session follows -----\n"
	    "... while talking to gmail-smtp-in.l.google.example.:\n"
	    ">>> RCPT To:<idle.person@gmail.example>\n"
	    "<<< 550-5.2.1 The email account that you tried to reach is "
	    "inactive.\n<<< 550 5.2.1 https://support.google.example/mail/"
	    "?p=DisabledUser x12-20020a05 - gsmtp\n"
	    "550 5.1.1 <idle.person@gmail.example>... User unknown\n",
	    "idle.person@gmail.example soft" },
	{ "a policy code (X.7.1) with \"user unknown\", the step not said",
	    DSN_HEAD "--R\nContent-Type: message/delivery-status\n\n"
	    "Final-Recipient: rfc822; screened@example.net\n"
	    "Action: failed\nStatus: 5.0.0 (rejected by remote)\n"
	    "Diagnostic-Code: smtp; 550 5.7.1 550 Unknown user "
	    "screened@example.net\n\n--R--\n", "screened@example.net soft" },
	{ "one recipient: the report's words above it are about it",
	    DSN_HEAD "--R\nContent-Type: text/plain\n\n"
	    "Delivery to the recipient below failed.\n\n"
	    "The user(s) account is disabled.\n\n"
	    "<kenta@carrier.example>: 550 user unknown (in reply to RCPT TO "
	    "command)\n"
	    "--R\nContent-Type: message/delivery-status\n\n"
	    "Final-Recipient: rfc822; kenta@carrier.example\n"
	    "Action: failed\nStatus: 5.0.0\n\n--R--\n",
	    "kenta@carrier.example soft" },
	{ "one recipient, an alias expanded: the transcript gives the step",
	    DSN_HEAD "--R\nContent-Type: text/plain\n\n"
	    "   ----- The following addresses had permanent fatal errors "
	    "-----\nteam@example.org\n"
	    "    (reason: 550 5.1.1 unknown user, message refused)\n"
	    "    (expanded from: team)\n\n"
	    "   ----- Transcript of session follows -----\n"
	    "... while talking to mx.example.net.:\n>>> DATA\n"
	    "<<< 550 5.1.1 unknown user, message refused\n"
	    "554 5.0.0 Service unavailable\n"
	    "--R\nContent-Type: message/delivery-status\n\n"
	    "Final-Recipient: RFC822; kim.lee@example.net\n"
	    "Action: failed\nStatus: 5.1.1\n\n--R--\n",
	    "kim.lee@example.net soft" },
	{ "au (KDDI) relayed: \"550 : User unknown\", no address, a filter",
	    DSN_HEAD "--R\nContent-Type: text/plain\n\n"
	    "Your message wasn't delivered to taro@ezweb.example because "
	    "the address couldn't be found.\nThe response was:\n\n"
	    "550 : User unknown\n"
	    "--R\nContent-Type: message/delivery-status\n\n"
	    "Final-Recipient: rfc822; taro@ezweb.example\nAction: failed\n"
	    "Status: 5.0.0\nDiagnostic-Code: smtp; 550 : User unknown\n"
	    "\n--R--\n", "taro@ezweb.example soft" },
	{ "Amazon SES: the remote's quoted reply, not SES's summary",
	    DSN_HEAD "--R\nContent-Type: text/plain\n\n"
	    "5.1.0 - Unknown address error 550-'5.7.1 Sender not "
	    "authorised for this domain' (delivery attempts: 0)\n"
	    "--R\nContent-Type: message/delivery-status\n\n"
	    "Final-Recipient: rfc822;guarded@example.net\nAction: failed\n"
	    "Status: 5.0.0 (permanent failure)\n"
	    "Diagnostic-Code: smtp; 5.1.0 - Unknown address error 550-'5.7.1 "
	    "Sender not authorised for this domain' (delivery attempts: "
	    "0)\n\n--R--\n", "guarded@example.net soft" },
	{ "\"user unknown\" after DATA",
	    "From: MAILER-DAEMON@mx.example.org\nTo: b@example.org\n"
	    "Subject: Returned mail: see transcript for details\n\n"
	    "   ----- The following addresses had permanent fatal errors "
	    "-----\n<filtered@example.net>\n"
	    "   ----- Transcript of session follows -----\n"
	    "... while talking to mx.example.net.:\n>>> DATA\n"
	    "<<< 550 5.0.0 Unknown user filtered@example.net\n",
	    "filtered@example.net soft" },
	{ "5.1.1 contradicted by 552 5.2.2 over quota",
	    DSN_HEAD "--R\nContent-Type: message/delivery-status\n\n"
	    "Final-Recipient: rfc822; full@example.net\nAction: failed\n"
	    "Status: 5.1.1\nDiagnostic-Code: smtp; 552 5.2.2 Over quota\n"
	    "\n--R--\n", "full@example.net soft" },
	{ "5.1.1 contradicted by a blacklisted IP",
	    DSN_HEAD "--R\nContent-Type: message/delivery-status\n\n"
	    "Final-Recipient: rfc822; strict@example.net\nAction: failed\n"
	    "Status: 5.1.1\nDiagnostic-Code: smtp; 550 5.7.1 IP address "
	    "blacklisted by recipient\n\n--R--\n", "strict@example.net soft" },
	{ "5.1.1 contradicted by too many recipients this hour",
	    DSN_HEAD "--R\nContent-Type: message/delivery-status\n\n"
	    "Final-Recipient: rfc822; busy@example.net\nAction: failed\n"
	    "Status: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 too many "
	    "recipients this hour\n\n--R--\n", "busy@example.net soft" },
	/* ---- hard, not soft ---- */
	{ "Amazon SES: the remote's quoted reply says user unknown",
	    DSN_HEAD "--R\nContent-Type: message/delivery-status\n\n"
	    "Final-Recipient: rfc822;nobody.here@example.net\n"
	    "Action: failed\nStatus: 5.0.0 (permanent failure)\n"
	    "Diagnostic-Code: smtp; 5.3.0 - Other mail system problem "
	    "550-'5.1.1 <nobody.here@example.net>: Recipient address "
	    "rejected: User unknown' (delivery attempts: 0)\n\n--R--\n",
	    "nobody.here@example.net hard" },
	{ "Postfix breaks the line inside \"in reply to RCPT TO\"",
	    "From: MAILER-DAEMON@mx.example.org\nTo: b@example.org\n"
	    "Subject: Undelivered Mail Returned to Sender\n"
	    "Content-Type: multipart/report; report-type=delivery-status;"
	    " boundary=\"R\"\n\n--R\nContent-Type: text/plain\n\n"
	    "<long.name.of.a.person@example.net>: host mx.example.net"
	    "[192.0.2.9] said: 550\n    <long.name.of.a.person@example.net>:"
	    " User unknown (in reply to\n    RCPT TO command)\n"
	    "--R\nContent-Type: message/delivery-status\n\n"
	    "Final-Recipient: rfc822; long.name.of.a.person@example.net\n"
	    "Action: failed\nStatus: 5.0.0\n\n--R--\n",
	    "long.name.of.a.person@example.net hard" },
	{ "qmail-remote: does not like recipient, X.2.1 with user unknown",
	    "From: MAILER-DAEMON@mail.example.org\nTo: b@example.org\n"
	    "Subject: failure notice\n\n"
	    "Hi. This is the qmail-send program at mail.example.org.\n"
	    "I'm afraid I wasn't able to deliver your message to the "
	    "following addresses.\n\n<left@example.net>:\n"
	    "198.51.100.4 does not like recipient.\n"
	    "Remote host said: 550 5.2.1 <left@example.net>: no such user\n"
	    "Giving up on 198.51.100.4.\n",
	    "left@example.net hard" },
	{ "Yahoo: the [RCPT_TO] line after the reply",
	    "From: MAILER-DAEMON@yahoo.example\nTo: b@example.org\n"
	    "Subject: Failure Notice\n\n"
	    "Sorry, we were unable to deliver your message to the following "
	    "address.\n\n<nomore@example.net>:\nRemote host said:\n"
	    "550 5.2.1 <nomore@example.net>: Recipient unknown\n"
	    "[RCPT_TO]\n\n--- Below this line is a copy of the message.\n",
	    "nomore@example.net hard" },
	{ "a Status with a trailing comment",
	    DSN_HEAD "--R\nContent-Type: message/delivery-status\n\n"
	    "Final-Recipient: rfc822; x@no-host.example\nAction: failed\n"
	    "Status: 5.4.4 (Illegal host/domain name found)\n\n--R--\n",
	    "x@no-host.example hard" },
	{ "5.3.0 with user-unknown words at RCPT",
	    "From: MAILER-DAEMON@mx.example.org\nTo: b@example.org\n"
	    "Subject: Undelivered Mail Returned to Sender\n\n"
	    "<vague@example.net>: host mx.example.net said: 550 5.3.0 "
	    "<vague@example.net>: No such user here (in reply to RCPT TO "
	    "command)\n", "vague@example.net hard" },
	{ "5.7.1 with user-unknown words at RCPT",
	    "From: MAILER-DAEMON@mx.example.org\nTo: b@example.org\n"
	    "Subject: Mail delivery failed\n\n  sec@example.net\n"
	    "    SMTP error from remote mail server after RCPT TO:"
	    "<sec@example.net>:\n    550 5.7.1 unknown user account\n",
	    "sec@example.net hard" },
	{ "5.1.351 with user-unknown words at RCPT",
	    DSN_HEAD "--R\nContent-Type: text/plain\n\n"
	    "<o365@example.net>: 550 5.1.351 Remote server returned "
	    "'550 5.1.1 RESOLVER.ADR.RecipNotFound; not found' "
	    "(in reply to RCPT TO command)\n"
	    "--R\nContent-Type: message/delivery-status\n\n"
	    "Final-Recipient: rfc822; o365@example.net\nAction: failed\n"
	    "Status: 5.1.351\n\n--R--\n", "o365@example.net hard" },
	{ "a generic DSN, the detail only in the text",
	    DSN_HEAD "--R\nContent-Type: text/plain\n\n"
	    "<plain@example.net>: host mx.example.net said: 550 "
	    "<plain@example.net>: Recipient address rejected: User unknown "
	    "in local recipient table (in reply to RCPT TO command)\n"
	    "--R\nContent-Type: message/delivery-status\n\n"
	    "Final-Recipient: rfc822; plain@example.net\nAction: failed\n"
	    "Status: 5.0.0\n\n--R--\n", "plain@example.net hard" },
	{ "no code at all: host unknown",
	    "From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.org>\n"
	    "To: b@example.org\nSubject: Returned mail: Host unknown\n\n"
	    "   ----- Transcript of session follows -----\n"
	    "554 <u@gone-host.example>... Host unknown (Authoritative "
	    "answer from name server)\n", "u@gone-host.example hard" },
	{ "no code at all: invalid final delivery userid",
	    "From: \"Postmaster\" <postmaster@example.co.jp>\n"
	    "To: b@example.org\nSubject: Undeliverable Mail\n\n"
	    "Invalid final delivery userid: nouser@example.co.jp\n",
	    "nouser@example.co.jp hard" },
	{ "the specific phrase before \"blacklisted\"",
	    DSN_HEAD "--R\nContent-Type: message/delivery-status\n\n"
	    "Final-Recipient: rfc822; maybe@example.net\nAction: failed\n"
	    "Status: 5.0.0\nDiagnostic-Code: smtp; 550 Requested action "
	    "not taken: the account or domain may not exist, or the sender "
	    "is blacklisted\n\n--R--\n", "maybe@example.net hard" },
	/* ---- a 4xx the reporting MTA gave up on ---- */
	{ "450 4.1.1 at RCPT until the queue gave up: hard",
	    DSN_HEAD "--R\nContent-Type: message/delivery-status\n\n"
	    "Final-Recipient: rfc822; gone@example.net\nAction: failed\n"
	    "Status: 4.1.1\nDiagnostic-Code: smtp; 450 4.1.1 "
	    "<gone@example.net>: Recipient address rejected: User unknown "
	    "in relay recipient table\n\n--R--\n", "gone@example.net hard" },
	{ "a generic 4.0.0 given up on stays soft",
	    DSN_HEAD "--R\nContent-Type: message/delivery-status\n\n"
	    "Final-Recipient: rfc822; dns@example.net\nAction: failed\n"
	    "Status: 4.0.0\nDiagnostic-Code: smtp; DNS type 'mx' lookup "
	    "of example.net responded with code NXDOMAIN Domain name not "
	    "found: example.net\n\n--R--\n", "dns@example.net soft" },
	{ "4.1.1 only delayed stays soft",
	    DSN_HEAD "--R\nContent-Type: message/delivery-status\n\n"
	    "Final-Recipient: rfc822; later@example.net\nAction: delayed\n"
	    "Status: 4.1.1\nDiagnostic-Code: smtp; 450 4.1.1 "
	    "<later@example.net>: Recipient address rejected: unverified "
	    "address\n\n--R--\n", "later@example.net soft" },
	{ "4.1.1 failed but the words say the mailbox is full: soft",
	    DSN_HEAD "--R\nContent-Type: message/delivery-status\n\n"
	    "Final-Recipient: rfc822; full@example.net\nAction: failed\n"
	    "Status: 4.1.1\nDiagnostic-Code: smtp; 452 4.1.1 "
	    "<full@example.net>: mailbox is full\n\n--R--\n",
	    "full@example.net soft" },
	/* ---- "user unknown" quoted without status or command ---- */
	{ "a gateway quoting a bare 550 \"Unknown user\": soft (filtered)",
	    "From: postmaster@gw.example.co.jp\nTo: b@example.org\n"
	    "Subject: Delivery Status Notification (Failure)\n\n"
	    "Unable to deliver message to the following recipient:\n"
	    "  nobody@example.co.jp\n"
	    "    The remote server said: 550 Unknown user "
	    "nobody@example.co.jp\n", "nobody@example.co.jp soft" },
	{ "the same reply naming the recipient \"550 <a>:\": hard",
	    "From: postmaster@gw.example.co.jp\nTo: b@example.org\n"
	    "Subject: Delivery Status Notification (Failure)\n\n"
	    "Unable to deliver message to the following recipient:\n"
	    "  nobody@example.co.jp\n"
	    "    The remote server said: 550 <nobody@example.co.jp>: "
	    "User unknown\n", "nobody@example.co.jp hard" },
	{ "the DSN's own 5.1.1 beside the bare reply: hard",
	    DSN_HEAD "--R\nContent-Type: message/delivery-status\n\n"
	    "Final-Recipient: rfc822; nobody@example.net\nAction: failed\n"
	    "Status: 5.1.1\nDiagnostic-Code: smtp; 550 nobody@example.net"
	    "... No such user\n\n--R--\n", "nobody@example.net hard" },
	{ "a generic 5.0.0 beside the bare reply: soft",
	    DSN_HEAD "--R\nContent-Type: message/delivery-status\n\n"
	    "Final-Recipient: rfc822; nobody@example.net\nAction: failed\n"
	    "Status: 5.0.0\nDiagnostic-Code: smtp; 550 nobody@example.net"
	    "... No such user\n\n--R--\n", "nobody@example.net soft" },
	/* ---- words without a code ---- */
	{ "\"No valid recipients\" from a gateway's own report: hard",
	    "From: postmaster@mms.example.net\nTo: b@example.org\n"
	    "Subject: Undeliverable Message\n\n"
	    "Message could not be delivered to mobile.\n"
	    "Error: No valid recipients for this MM\n\n"
	    "Original Message:\nTo: 5550100@mms.example.net\n"
	    "Subject: lesson 1\n", "5550100@mms.example.net hard" },
	/* ---- other ---- */
	{ "ARF opt-out is a complaint too",
	    "From: fbl@isp.example\nTo: bounces@example.org\n"
	    "Subject: FW: lesson\n"
	    "Content-Type: multipart/report; report-type=feedback-report;"
	    " boundary=\"F\"\n\n"
	    "--F\nContent-Type: message/feedback-report\n\n"
	    "Feedback-Type: opt-out\nOriginal-Rcpt-To: out@isp.example\n"
	    "\n--F--\n", "out@isp.example complaint" },
	{ "a delivery report is not a failure",
	    DSN_HEAD "--R\nContent-Type: message/delivery-status\n\n"
	    "Final-Recipient: rfc822; fine@example.net\n"
	    "Action: deliverable\nStatus: 2.1.5\n\n--R--\n",
	    "fine@example.net other" },
};

static void
test_failure_classes(void **state)
{
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(classes); i++) {
		struct bounce_result r;
		struct buf got;

		classify_mem(classes[i].msg, strlen(classes[i].msg), &r);
		buf_init(&got, 0);
		for (size_t k = 0; k < r.n; k++)
			buf_printf(&got, "%s%s %s", k ? ";" : "",
			    r.findings[k].recipient,
			    bounce_kind_name(r.findings[k].kind));
		if (strcmp(got.data, classes[i].want) != 0) {
			print_error("%s: got '%s', want '%s'\n",
			    classes[i].name, got.data, classes[i].want);
			bad++;
		}
		buf_release(&got);
		bounce_result_release(&r);
	}
	assert_int_equal(bad, 0);
}

/* The refused command, from the words servers write for it. */
static void
test_step(void **state)
{
	static const struct {
		const char	*text;
		enum smtp_step	 step;
	} t[] = {
		{ "User unknown (in reply to\n    RCPT TO command)",
		    SMTP_STEP_RCPT },
		{ "said: 554 spam (in reply to end of DATA command)",
		    SMTP_STEP_EOD },
		{ "SMTP error from remote mail server after\nMAIL FROM:<a@b>",
		    SMTP_STEP_MAIL },
		{ "198.51.100.7 does not like recipient.\nRemote host said: "
		    "550 no such user", SMTP_STEP_RCPT },
		{ "Sorry, no SMTP connection got far enough; most progress "
		    "was RCPT TO response; remote host 198.51.100.7 said: 550 "
		    "Unknown user", SMTP_STEP_RCPT },
		{ "Connected to 198.51.100.7 but sender was rejected.",
		    SMTP_STEP_MAIL },
		{ "198.51.100.7 failed after I sent the message.",
		    SMTP_STEP_EOD },
		{ "Remote host said:\n550 5.1.1 unknown\n[RCPT_TO]",
		    SMTP_STEP_RCPT },
		{ "thereafter dataset", SMTP_STEP_UNKNOWN },
		{ "550 user unknown", SMTP_STEP_UNKNOWN },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(t); i++)
		if (bm_step(t[i].text, strlen(t[i].text)) != t[i].step)
			fail_msg("'%s': step %d, want %d", t[i].text,
			    bm_step(t[i].text, strlen(t[i].text)), t[i].step);
}

/* The Original-Recipient is kept beside the Final-Recipient. */
static void
test_alias(void **state)
{
	struct bounce_result r;

	(void)state;
	classify_mem(classes[3].msg, strlen(classes[3].msg), &r);
	assert_string_equal(classes[3].name,
	    "Final-Recipient is reported, not Original-Recipient");
	assert_string_equal(r.findings[0].recipient, "new.name@example.net");
	assert_non_null(r.findings[0].alias);
	assert_string_equal(r.findings[0].alias, "old.name@example.com");
	bounce_result_release(&r);
}

/* A Postfix DSN sent to bounces+TOKEN whose body names someone else. */
static char *
verp_message(const char *token, size_t *len)
{
	char *msg = xasprintf(
	    "From: MAILER-DAEMON@mail.example.org\n"
	    "To: bounces+%s@example.org\n"
	    "Subject: Undelivered Mail Returned to Sender\n"
	    "Content-Type: multipart/report; report-type=delivery-status;"
	    " boundary=\"b\"\n\n"
	    "--b\nContent-Type: message/delivery-status\n\n"
	    "Reporting-MTA: dns; mail.example.org\n\n"
	    "Final-Recipient: rfc822; forwarded.elsewhere@example.net\n"
	    "Action: failed\nStatus: 5.1.1\n\n"
	    "Final-Recipient: rfc822; second@example.net\n"
	    "Action: delayed\nStatus: 4.4.1\n\n"
	    "--b--\n", token);

	*len = strlen(msg);
	return msg;
}

static void
test_verp(void **state)
{
	char tok[TOKEN_LEN + 1], *msg;
	struct bounce_result r;
	size_t len;

	(void)state;
	token_make(key, sizeof(key), TOKEN_VERP, 42, 7001, tok);
	msg = verp_message(tok, &len);
	classify_mem(msg, len, &r);
	assert_int_equal(r.n, 1);	/* the token decides: one subscriber */
	assert_int_equal(r.findings[0].kind, BOUNCE_HARD);
	assert_string_equal(r.findings[0].status, "5.1.1");
	assert_string_equal(r.findings[0].token, tok);
	assert_int_equal(r.findings[0].subscriber, 42);
	assert_int_equal(r.findings[0].delivery, 7001);
	bounce_result_release(&r);
	free(msg);

	/* altered: one character changed; not genuine, body decides */
	tok[5] = tok[5] == 'A' ? 'B' : 'A';
	msg = verp_message(tok, &len);
	classify_mem(msg, len, &r);
	assert_int_equal(r.n, 2);
	assert_null(r.findings[0].token);
	assert_int_equal(r.findings[0].subscriber, 0);
	assert_string_equal(r.findings[0].recipient,
	    "forwarded.elsewhere@example.net");
	bounce_result_release(&r);
	free(msg);

	/* an unsubscribe token is not a VERP token */
	token_make(key, sizeof(key), TOKEN_UNSUBSCRIBE, 42, 0, tok);
	msg = verp_message(tok, &len);
	classify_mem(msg, len, &r);
	assert_null(r.findings[0].token);
	bounce_result_release(&r);
	free(msg);
}

static void
test_verp_autoreply(void **state)
{
	char tok[TOKEN_LEN + 1], *msg;
	struct bounce_result r;

	(void)state;
	token_make(key, sizeof(key), TOKEN_VERP, 9, 1, tok);
	msg = xasprintf("From: Sam <sam@example.net>\n"
	    "To: bounces+%s@example.org\nSubject: Out of office\n"
	    "Auto-Submitted: auto-replied\n\nAway.\n", tok);
	classify_mem(msg, strlen(msg), &r);
	assert_int_equal(r.findings[0].kind, BOUNCE_AUTOREPLY);
	assert_string_equal(r.findings[0].recipient, "sam@example.net");
	bounce_result_release(&r);
	free(msg);
}

static void
test_unsubscribe_tokens(void **state)
{
	char tok[TOKEN_LEN + 1], *msg;
	struct bounce_result r;

	(void)state;
	token_make(key, sizeof(key), TOKEN_UNSUBSCRIBE, 77, 0, tok);
	msg = xasprintf("From: someone.else@example.com\n"
	    "To: unsubscribe+%s@example.org\nSubject: hello\n\n\n", tok);
	classify_mem(msg, strlen(msg), &r);
	assert_int_equal(r.findings[0].kind, BOUNCE_UNSUBSCRIBE);
	assert_int_equal(r.findings[0].subscriber, 77);
	assert_string_equal(r.findings[0].recipient,
	    "someone.else@example.com");
	bounce_result_release(&r);
	free(msg);

	msg = xasprintf("From: x@example.com\nTo: course@example.org\n"
	    "Subject: unsubscribe %s\n\n", tok);
	classify_mem(msg, strlen(msg), &r);
	assert_int_equal(r.findings[0].kind, BOUNCE_UNSUBSCRIBE);
	assert_int_equal(r.findings[0].subscriber, 77);
	bounce_result_release(&r);
	free(msg);

	/* a forged token: still the sender's own unsubscribe, no id */
	msg = xstrdup("From: x@example.com\nTo: course@example.org\n"
	    "Subject: unsubscribe dGhpcyBpcyBub3QgYSB0b2tlbiBhdCBhbGwgYXQgYWxs\n"
	    "\n");
	classify_mem(msg, strlen(msg), &r);
	assert_int_equal(r.findings[0].kind, BOUNCE_UNSUBSCRIBE);
	assert_int_equal(r.findings[0].subscriber, 0);
	assert_null(r.findings[0].token);
	assert_string_equal(r.findings[0].recipient, "x@example.com");
	bounce_result_release(&r);
	free(msg);

	/* "unsubscribed" in a subject is not a request */
	msg = xstrdup("From: x@example.com\nSubject: I unsubscribed\n\nhi\n");
	classify_mem(msg, strlen(msg), &r);
	assert_int_equal(r.findings[0].kind, BOUNCE_OTHER);
	bounce_result_release(&r);
	free(msg);
}

static void
test_complaint_token(void **state)
{
	char tok[TOKEN_LEN + 1], *msg;
	struct bounce_result r;

	(void)state;
	token_make(key, sizeof(key), TOKEN_UNSUBSCRIBE, 5, 0, tok);
	msg = xasprintf("From: fbl@isp.example\nTo: abuse@example.org\n"
	    "Content-Type: multipart/report; report-type=feedback-report;"
	    " boundary=x\n\n--x\nContent-Type: message/feedback-report\n\n"
	    "Feedback-Type: abuse\n\n--x\nContent-Type: text/rfc822-headers"
	    "\n\nTo: redacted@isp.example\nList-Unsubscribe: "
	    "<https://example.org/unsubscribe?t=%s>\n\n--x--\n", tok);
	classify_mem(msg, strlen(msg), &r);
	assert_int_equal(r.findings[0].kind, BOUNCE_COMPLAINT);
	assert_string_equal(r.findings[0].recipient, "redacted@isp.example");
	assert_int_equal(r.findings[0].subscriber, 5);
	bounce_result_release(&r);
	free(msg);
}

static void
nest(struct buf *b, const char *kind, int i)
{
	if (strcmp(kind, "multipart") == 0)
		buf_printf(b, "Content-Type: multipart/mixed; boundary=b%d\n"
		    "\n--b%d\n", i, i);
	else
		buf_addstr(b, "Content-Type: message/rfc822\n\n");
}

/* Nesting far deeper than any parser should follow. */
static void
test_deep_nesting(void **state)
{
	static const char *const kinds[] = { "multipart", "message" };
	struct bounce_result r;
	struct buf b;

	(void)state;
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		buf_init(&b, 0);
		buf_addstr(&b, "From: MAILER-DAEMON@x.example\n");
		for (int i = 0; i < 20000; i++)
			nest(&b, kinds[k], i);
		buf_addstr(&b, "\n<deep@example.com>: 550 5.1.1 unknown\n");
		classify_mem(b.data, b.len, &r);
		bounce_result_release(&r);
		/* just under the limit: parsed, and still no crash */
		buf_reset(&b);
		buf_addstr(&b, "From: MAILER-DAEMON@x.example\n");
		for (int i = 0; i < BOUNCE_MAX_NESTED / 2; i++)
			nest(&b, kinds[k], i);
		buf_addstr(&b, "\n<deep@example.com>: 550 5.1.1 unknown\n");
		classify_mem(b.data, b.len, &r);
		bounce_result_release(&r);
		buf_release(&b);
	}
}

/* 50 MB: only BOUNCE_MAX_SIZE is read, and the verdict still comes. */
static void
test_huge(void **state)
{
	static const char head[] =
	    "From: MAILER-DAEMON@x.example\nSubject: failure notice\n"
	    "Content-Type: text/plain\n\n"
	    "<big@example.com>:\n550 5.1.1 no such user\n\n";
	size_t len = 50 * 1024 * 1024;
	char *msg = xmalloc(len);
	struct bounce_result r;

	(void)state;
	memset(msg, 'A', len);
	for (size_t i = 80; i < len; i += 80)
		msg[i] = '\n';
	memcpy(msg, head, sizeof(head) - 1);
	classify_mem(msg, len, &r);
	assert_string_equal(r.findings[0].recipient, "big@example.com");
	assert_int_equal(r.findings[0].kind, BOUNCE_HARD);
	bounce_result_release(&r);
	free(msg);
}

/* Every prefix of every sample, and some garbage: never a crash. */
static void
test_truncated_and_garbage(void **state)
{
	static const char *const junk[] = {
		"", "\n", "\r\n\r\n", ":", "From:", "From: <@>\n\n@@@@",
		"Content-Type: multipart/report; boundary=\"\"\n\n--\n--\n",
		"Content-Type: message/delivery-status\n\n\n\n\n",
		"Subject: =?utf-8?B?====?= =?x?Q?=ZZ?=\n\n",
		"Content-Transfer-Encoding: base64\n\n!!!!====",
	};
	struct bounce_result r;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t len;
		char *msg = load(cases[i].file, &len);

		for (size_t n = 0; n < len; n += 37) {
			classify_mem(msg, n, &r);
			bounce_result_release(&r);
		}
		free(msg);
	}
	for (size_t i = 0; i < ARRAY_SIZE(junk); i++) {
		classify_mem(junk[i], strlen(junk[i]), &r);
		bounce_result_release(&r);
	}
	/* embedded NUL bytes */
	classify_mem("From: a@b.example\0\nTo: x\n\n\0\0", 28, &r);
	bounce_result_release(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_samples),
		cmocka_unit_test(test_dsn_details),
		cmocka_unit_test(test_status_kind),
		cmocka_unit_test(test_status_text),
		cmocka_unit_test(test_failure_classes),
		cmocka_unit_test(test_step),
		cmocka_unit_test(test_alias),
		cmocka_unit_test(test_verp),
		cmocka_unit_test(test_verp_autoreply),
		cmocka_unit_test(test_unsubscribe_tokens),
		cmocka_unit_test(test_complaint_token),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_huge),
		cmocka_unit_test(test_truncated_and_garbage),
	};

	return cmocka_run_group_tests_name("bounce", tests, NULL, NULL);
}
