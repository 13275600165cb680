/*
 * test_verdict.c - the one rule for what a refusal means, as a table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "verdict.h"

static void
test_table(void **state)
{
	static const struct {
		enum smtp_step	 step;
		int		 code;
		const char	*status, *text;
		enum bounce_kind kind;
		int		 sender, temporary;
	} t[] = {
		{ SMTP_STEP_EOD, 250, "2.0.0", "Ok: queued", BOUNCE_OTHER,
		    0, 0 },
		{ SMTP_STEP_RCPT, 550, "5.1.1", "<a@b.org>: user unknown",
		    BOUNCE_HARD, 0, 0 },
		{ SMTP_STEP_RCPT, 550, NULL, "5.1.1 <a@b.org>: unknown",
		    BOUNCE_HARD, 0, 0 },
		{ SMTP_STEP_RCPT, 550, NULL, "No such user here",
		    BOUNCE_HARD, 0, 0 },
		{ SMTP_STEP_MAIL, 550, "5.1.8", "<course@example.org>: Sender"
		    " address rejected: Domain not found", BOUNCE_SOFT, 1, 0 },
		{ SMTP_STEP_RCPT, 550, "5.1.8", "Sender address rejected",
		    BOUNCE_SOFT, 1, 0 },
		{ SMTP_STEP_EOD, 550, NULL, "Message rejected as spam",
		    BOUNCE_SOFT, 1, 0 },
		{ SMTP_STEP_EOD, 550, "5.1.1", "user unknown", BOUNCE_SOFT,
		    1, 0 },
		{ SMTP_STEP_DATA, 554, NULL, "no valid recipients",
		    BOUNCE_SOFT, 1, 0 },
		{ SMTP_STEP_RCPT, 450, "4.2.0", "greylisted", BOUNCE_SOFT,
		    0, 1 },
		{ SMTP_STEP_RCPT, 452, "4.1.1", "try later", BOUNCE_SOFT,
		    0, 1 },
		{ SMTP_STEP_RCPT, 450, "4.1.1", "<a@b.org>: Recipient address "
		    "rejected: User unknown", BOUNCE_SOFT, 0, 1 },
		{ SMTP_STEP_UNKNOWN, 0, NULL, "Error: No valid recipients",
		    BOUNCE_HARD, 0, 0 },
		/* a quoted reply with no status and no command */
		{ SMTP_STEP_UNKNOWN, 0, NULL, "550 Unknown user "
		    "kai@example.net", BOUNCE_SOFT, 0, 0 },
		{ SMTP_STEP_UNKNOWN, 0, "5.0.0", "550 kai@example.net... No "
		    "such user", BOUNCE_SOFT, 0, 0 },
		{ SMTP_STEP_RCPT, 550, NULL, "550 Unknown user "
		    "kai@example.net", BOUNCE_HARD, 0, 0 },
		{ SMTP_STEP_UNKNOWN, 0, "5.1.1", "550 Unknown user "
		    "kai@example.net", BOUNCE_HARD, 0, 0 },
		{ SMTP_STEP_UNKNOWN, 0, NULL, "Unknown user: kai@example.net",
		    BOUNCE_HARD, 0, 0 },
		{ SMTP_STEP_UNKNOWN, 0, NULL, "550: <kai@example.net>: User "
		    "unknown", BOUNCE_HARD, 0, 0 },
		{ SMTP_STEP_UNKNOWN, 0, NULL, "554 delivery error: dd This user"
		    " doesn't have a example.com account", BOUNCE_HARD, 0, 0 },
		{ SMTP_STEP_RCPT, 554, "5.7.1", "relay access denied",
		    BOUNCE_SOFT, 0, 0 },
		{ SMTP_STEP_UNKNOWN, 0, "5.1.1", "", BOUNCE_HARD, 0, 0 },
		{ SMTP_STEP_UNKNOWN, 0, "2.0.0", "delivered", BOUNCE_OTHER,
		    0, 0 },
		/* a disabled account may come back: soft */
		{ SMTP_STEP_RCPT, 550, "5.2.1", "account disabled",
		    BOUNCE_SOFT, 0, 0 },
		{ SMTP_STEP_UNKNOWN, 0, NULL, "550 The email account that you"
		    " tried to reach is disabled", BOUNCE_SOFT, 0, 0 },
		{ SMTP_STEP_RCPT, 550, "5.7.13", "user account disabled",
		    BOUNCE_SOFT, 0, 0 },
		/* X.2.1 (disabled) said with "user unknown": the step decides */
		{ SMTP_STEP_RCPT, 550, "5.2.1", "<a@b.example>... No such user",
		    BOUNCE_HARD, 0, 0 },
		{ SMTP_STEP_UNKNOWN, 0, "5.2.1", "550 5.2.1 <a@b.example>... "
		    "User unknown", BOUNCE_SOFT, 0, 0 },
		/* Gmail's words for a disabled account */
		{ SMTP_STEP_RCPT, 550, "5.2.1", "The email account that you "
		    "tried to reach is inactive. For more information, see "
		    "https://support.google.com/mail/?p=DisabledUser",
		    BOUNCE_SOFT, 0, 0 },
		/* au (KDDI): no address before the colon is the filter */
		{ SMTP_STEP_UNKNOWN, 0, "5.0.0", "550 : User unknown",
		    BOUNCE_SOFT, 0, 0 },
		{ SMTP_STEP_UNKNOWN, 0, "5.0.0", "550 <sato@ezweb.example>: "
		    "User unknown", BOUNCE_HARD, 0, 0 },
		/* "user unknown" after the data is a filter's word */
		{ SMTP_STEP_EOD, 550, NULL, "Unknown user", BOUNCE_SOFT, 1,
		    0 },
		/* vague codes sharpened by the words, at RCPT */
		{ SMTP_STEP_RCPT, 550, "5.7.1", "unknown user account",
		    BOUNCE_HARD, 0, 0 },
		{ SMTP_STEP_RCPT, 550, "5.3.0", "Unknown user a@b.example",
		    BOUNCE_HARD, 0, 0 },
		{ SMTP_STEP_RCPT, 550, "5.1.351", "RecipNotFound",
		    BOUNCE_HARD, 0, 0 },
		/* 5.1.1 against better evidence */
		{ SMTP_STEP_UNKNOWN, 0, "5.1.1", "552 5.2.2 Over quota",
		    BOUNCE_SOFT, 0, 0 },
		{ SMTP_STEP_RCPT, 550, "5.1.1", "IP address blacklisted",
		    BOUNCE_SOFT, 0, 0 },
		{ SMTP_STEP_RCPT, 550, "5.1.1", "too many recipients this hour",
		    BOUNCE_SOFT, 0, 0 },
		/* no code at all: the words */
		{ SMTP_STEP_UNKNOWN, 0, NULL, "Host unknown (Authoritative "
		    "answer from name server)", BOUNCE_HARD, 0, 0 },
		{ SMTP_STEP_UNKNOWN, 0, NULL, "Invalid final delivery userid",
		    BOUNCE_HARD, 0, 0 },
		/* the specific phrase before the generic one */
		{ SMTP_STEP_UNKNOWN, 550, NULL, "the account or domain may not"
		    " exist, or the sender is blacklisted", BOUNCE_HARD, 0, 0 },
		/* routing: X.4.4 is a dead domain unless the network failed */
		{ SMTP_STEP_UNKNOWN, 0, "5.4.4", "Illegal host/domain name",
		    BOUNCE_HARD, 0, 0 },
		{ SMTP_STEP_UNKNOWN, 0, "5.4.4", "Name service error for "
		    "name=x type=MX: Malformed reply", BOUNCE_SOFT, 0, 0 },
		/* the sender's domain, whatever the step says */
		{ SMTP_STEP_RCPT, 550, NULL, "Sender address rejected: Domain "
		    "not found", BOUNCE_SOFT, 1, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct verdict v;

		verdict_reply(t[i].step, t[i].code, t[i].status, t[i].text,
		    &v);
		if (v.kind != t[i].kind || v.sender != t[i].sender ||
		    v.temporary != t[i].temporary)
			fail_msg("row %zu '%s': kind %d sender %d temporary %d",
			    i, t[i].text, v.kind, v.sender, v.temporary);
	}
}

/* The reason a verdict names, for the diagnostic and the man page. */
static void
test_reasons(void **state)
{
	static const struct {
		enum smtp_step	 step;
		const char	*status, *text, *reason;
	} t[] = {
		{ SMTP_STEP_RCPT, "5.1.1", "", "userunknown" },
		{ SMTP_STEP_UNKNOWN, NULL, "550 5.1.2 Host or domain name not "
		    "found", "hostunknown" },
		{ SMTP_STEP_UNKNOWN, "5.2.2", "mailbox full", "mailboxfull" },
		{ SMTP_STEP_RCPT, "5.2.1", "account disabled", "suspend" },
		{ SMTP_STEP_DATA, NULL, "550 user unknown", "filtered" },
		{ SMTP_STEP_UNKNOWN, "5.2.1", "unknown user", "filtered" },
		{ SMTP_STEP_UNKNOWN, "5.7.1", "550 5.7.1 No such user: "
		    "kai@example.net", "filtered" },
		{ SMTP_STEP_RCPT, "5.7.1", "550 5.7.1 No such user: "
		    "kai@example.net", "userunknown" },
		{ SMTP_STEP_UNKNOWN, "5.7.26", "550 5.7.26 unauthenticated "
		    "mail, user unknown", "securityerror" },
		{ SMTP_STEP_RCPT, "5.2.1", "unknown user", "userunknown" },
		{ SMTP_STEP_RCPT, NULL, "550 5.7.1 Relay access denied",
		    "norelaying" },
		{ SMTP_STEP_UNKNOWN, "5.1.10", "", "notaccept" },
		{ SMTP_STEP_UNKNOWN, "2.1.5", "", "delivered" },
		{ SMTP_STEP_UNKNOWN, "5.0.0", "550 : User unknown", "filtered" },
		{ SMTP_STEP_UNKNOWN, NULL, "550 user unknown", "filtered" },
		{ SMTP_STEP_UNKNOWN, NULL, "550 <kai@example.net>: user "
		    "unknown", "userunknown" },
		/* phrase families, each over a status that says less */
		{ SMTP_STEP_RCPT, "5.1.1", "552 5.1.1 <kai@example.net>: "
		    "Recipient rejected: mailbox would exceed maximum allowed "
		    "storage", "mailboxfull" },
		{ SMTP_STEP_RCPT, "5.0.0", "550 Not enough disk space for "
		    "user kai", "mailboxfull" },
		{ SMTP_STEP_RCPT, "5.0.0", "550 5.0.0 Bo\xc3\xaete du "
		    "destinataire pleine", "mailboxfull" },
		{ SMTP_STEP_RCPT, "5.0.0", "550 boite du destinataire pleine.",
		    "mailboxfull" },
		{ SMTP_STEP_RCPT, "5.1.1", "550 5.1.1 kai@example.net is a "
		    "deactivated mailbox", "suspend" },
		{ SMTP_STEP_RCPT, "5.1.1", "554 This account has been disabled "
		    "or discontinued [#102]", "suspend" },
		{ SMTP_STEP_RCPT, "5.1.1", "550 5.1.1 Relay denied for "
		    "kai@example.net", "norelaying" },
		{ SMTP_STEP_RCPT, "5.0.0", "553 sorry, that domain isn't in my "
		    "list of allowed rcpthosts (#5.7.1)", "norelaying" },
		{ SMTP_STEP_RCPT, "4.0.0", "421 too many concurrent SMTP "
		    "connections from this IP", "toomany" },
		{ SMTP_STEP_RCPT, "5.0.0", "550 no such email address "
		    "kai@example.net", "userunknown" },
		{ SMTP_STEP_RCPT, "5.0.0", "550 sorry, your envelope "
		    "recipient is in my badrcptto list (#5.7.1)",
		    "userunknown" },
		{ SMTP_STEP_RCPT, "5.0.0", "550 Benutzer unbekannt: "
		    "kai@example.de", "userunknown" },
		{ SMTP_STEP_RCPT, "5.0.0", "550 Utilisateur inconnu "
		    "<kai@example.fr>", "userunknown" },
		{ SMTP_STEP_UNKNOWN, NULL, "** Address not found ** Your "
		    "message wasn't delivered to kai@exmple.com because the "
		    "domain exmple.com couldn't be found.", "hostunknown" },
		{ SMTP_STEP_UNKNOWN, "5.0.0", "Domain name not found: "
		    "example.invalid", "hostunknown" },
		{ SMTP_STEP_UNKNOWN, "4.0.0", "I'm not going to try again; "
		    "this message has been in the queue too long.", "expired" },
		{ SMTP_STEP_UNKNOWN, "5.0.0", "554 mail forwarding loop for "
		    "kai@example.net", "systemerror" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct verdict v;

		verdict_reply(t[i].step, 0, t[i].status, t[i].text, &v);
		assert_string_equal(v.reason, t[i].reason);
	}
}

/* A report's X.0.0 gives way to the remote's own code in the text. */
static void
test_status_sharpened(void **state)
{
	static const struct {
		const char	*status, *text, *want;
	} t[] = {
		{ "5.0.0", "550 5.7.1 Message refused by policy", "5.7.1" },
		{ "4.0.0", "451 4.3.2 System not accepting messages", "4.3.2" },
		{ "5.0.0", "451 4.3.2 a reply of another class", "5.0.0" },
		{ "5.2.2", "550 5.1.1 the field's own code stays", "5.2.2" },
		{ NULL, "550 5.7.26 Unauthenticated mail", "5.7.26" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct verdict v;

		verdict_reply(SMTP_STEP_UNKNOWN, 0, t[i].status, t[i].text,
		    &v);
		assert_string_equal(v.status, t[i].want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_status_sharpened),
	};

	return cmocka_run_group_tests_name("verdict", tests, NULL, NULL);
}
