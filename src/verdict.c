/*
 * verdict.c - one rule for what a refusal means: the recipient is dead
 * (hard), failed for now or for another reason (soft), or the sender or
 * the message was refused (nobody's status changes).
 */
#include <stdio.h>
#include <string.h>

#include "bounce.h"
#include "verdict.h"

/* X.1.7 and X.1.8: the sender's address or its domain is bad. */
static int
status_names_sender(const char *st)
{
	return strcmp(st + 1, ".1.7") == 0 || strcmp(st + 1, ".1.8") == 0;
}

void
verdict_reply(enum smtp_step step, int code, const char *status,
    const char *text, struct verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->kind = BOUNCE_OTHER;
	if (status != NULL && status[0] != '\0')
		snprintf(v->status, sizeof(v->status), "%s", status);
	else if (text == NULL || !bounce_status_from_text(text, v->status))
		v->status[0] = '\0';
	if (code == 0 && v->status[0] != '\0')
		code = (v->status[0] - '0') * 100;
	if (code < 400 || code >= 600) {
		if (code >= 200 && code < 300)
			return;
		if (code != 0 || step == SMTP_STEP_UNKNOWN)
			return;
	}
	v->kind = BOUNCE_SOFT;
	v->temporary = code >= 400 && code < 500;
	if (step == SMTP_STEP_CONNECT || step == SMTP_STEP_MAIL ||
	    step == SMTP_STEP_DATA || step == SMTP_STEP_EOD ||
	    (v->status[0] != '\0' && status_names_sender(v->status))) {
		v->sender = 1;
		return;
	}
	if (!v->temporary && v->status[0] == '5' &&
	    bounce_status_kind(v->status) == BOUNCE_HARD)
		v->kind = BOUNCE_HARD;
}

const char *
verdict_step_name(enum smtp_step step)
{
	static const char *const names[] = {
		"", "connect", "MAIL FROM", "RCPT TO", "DATA", "end of data",
	};

	return step < sizeof(names) / sizeof(names[0]) ? names[step] : "";
}
