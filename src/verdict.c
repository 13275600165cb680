/*
 * verdict.c - one rule for what a refusal means: the recipient is dead
 * (hard), failed for now or for another reason (soft), or the sender or
 * the message was refused (nobody's status changes).
 *
 * The reading goes reason first, kind second (after Sisimai's design):
 *   1. the reason the enhanced status states, when it is a specific one
 *      (X.1.1, X.2.2, ...) and the text does not contradict it;
 *   2. otherwise the first group of the ordered phrase table the text
 *      matches (specific phrases before generic ones);
 *   3. otherwise what the status class and the reply code say.
 * The SMTP step then decides: a dead-address reason is hard only at RCPT
 * TO (or when the bounce does not say); after MAIL FROM, DATA or the data
 * it is the sender or the message that was refused ("user unknown" after
 * DATA is a content filter), and so may be a quoted reply that names
 * neither the step nor a status (relayed_vague()).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounce.h"
#include "dripmail.h"
#include "util.h"
#include "verdict.h"
#include "xmalloc.h"

/* Bytes of text read for phrases: a diagnostic, not a whole message. */
#define VERDICT_MAX_TEXT	4096

enum reason {
	R_NONE,
	R_USERUNKNOWN, R_HOSTUNKNOWN, R_HASMOVED, R_NOTACCEPT,	/* dead */
	R_MAILBOXFULL, R_MESGTOOBIG, R_EXCEEDLIMIT, R_SUSPEND, R_NORELAYING,
	R_REJECTED, R_FILTERED, R_SPAM, R_VIRUS, R_TOOMANY, R_BLOCKED,
	R_POLICY, R_SECURITY, R_EXPIRED, R_NETWORK, R_SYSTEM, R_CONTENT,
	R_SYNTAX, R_DELIVERED, R_OTHER,
};

static const char *const reason_names[] = {
	"", "userunknown", "hostunknown", "hasmoved", "notaccept",
	"mailboxfull", "mesgtoobig", "exceedlimit", "suspend", "norelaying",
	"rejected", "filtered", "spamdetected", "virusdetected", "toomany",
	"blocked", "policyviolation", "securityerror", "expired",
	"networkerror", "systemerror", "contenterror", "syntaxerror",
	"delivered", "undefined",
};

static int
reason_dead(enum reason r)
{
	return r == R_USERUNKNOWN || r == R_HOSTUNKNOWN || r == R_HASMOVED ||
	    r == R_NOTACCEPT;
}

/*
 * What the text says, in order: the first group with a phrase in the text
 * wins.  Full mailboxes, sizes, disabled accounts and moves come before
 * "user unknown" (a server that says both means the former); dead-address
 * phrases come before the generic words of policy ("blocked", "spam").
 * Text is lower-cased with runs of white space folded to one space.
 */
static const struct phrase {
	enum reason	 reason;
	const char	*text;
} phrases[] = {
	{ R_MAILBOXFULL, "mailbox full" },
	{ R_MAILBOXFULL, "mailbox is full" },
	{ R_MAILBOXFULL, "mailbox is over quota" },
	{ R_MAILBOXFULL, "over quota" },
	{ R_MAILBOXFULL, "overquota" },
	{ R_MAILBOXFULL, "quota exceeded" },
	{ R_MAILBOXFULL, "exceeded storage allocation" },
	{ R_MAILBOXFULL, "exceeds its quota" },
	{ R_MAILBOXFULL, "mailbox size limit" },
	{ R_MAILBOXFULL, "disk quota" },
	{ R_MAILBOXFULL, "insufficient storage" },
	{ R_MAILBOXFULL, "not enough storage" },
	{ R_MAILBOXFULL, "mailfolder is full" },
	{ R_MAILBOXFULL, "account is full" },
	{ R_MAILBOXFULL, "user has exceeded" },
	{ R_MAILBOXFULL, "disc quota" },
	{ R_MAILBOXFULL, "diskspace quota" },
	{ R_MAILBOXFULL, "full mailbox" },
	{ R_MAILBOXFULL, "mailbox exceeded" },
	{ R_MAILBOXFULL, "exceeding its mailbox quota" },
	{ R_MAILBOXFULL, "not enough disk space" },
	{ R_MAILBOXFULL, "not sufficient disk space" },
	{ R_MAILBOXFULL, "does not have enough space" },
	{ R_MAILBOXFULL, "would exceed maximum allowed storage" },
	{ R_MAILBOXFULL, "space has been used up" },
	{ R_MAILBOXFULL, "too many messages on the server" },
	{ R_MAILBOXFULL, "user over limit" },
	{ R_MAILBOXFULL, "quota violation" },
	{ R_MAILBOXFULL, "boite du destinataire pleine" },
	{ R_MAILBOXFULL, "bo\xc3\xaete du destinataire pleine" },
	{ R_MAILBOXFULL, "postfach voll" },
	{ R_MAILBOXFULL, "casella piena" },
	{ R_MAILBOXFULL, "buz\xc3\xb3n lleno" },
	{ R_MESGTOOBIG, "message too large" },
	{ R_MESGTOOBIG, "message is too large" },
	{ R_MESGTOOBIG, "message too big" },
	{ R_MESGTOOBIG, "message is too big" },
	{ R_MESGTOOBIG, "message size exceeds" },
	{ R_MESGTOOBIG, "exceeds size limit" },
	{ R_MESGTOOBIG, "size limit exceeded" },
	{ R_MESGTOOBIG, "message length exceeds" },
	{ R_SUSPEND, "account disabled" },
	{ R_SUSPEND, "account has been disabled" },
	{ R_SUSPEND, "account is disabled" },
	{ R_SUSPEND, "mailbox disabled" },
	{ R_SUSPEND, "mailbox is disabled" },
	{ R_SUSPEND, "mailbox inactive" },
	{ R_SUSPEND, "mailbox is inactive" },
	{ R_SUSPEND, "account is inactive" },
	{ R_SUSPEND, "inactive user" },
	{ R_SUSPEND, "account expired" },
	{ R_SUSPEND, "has been suspended" },
	{ R_SUSPEND, "is suspended" },
	{ R_SUSPEND, "currently suspended" },
	{ R_SUSPEND, "user suspended" },
	{ R_SUSPEND, "deactivated" },
	{ R_SUSPEND, "mailbox is frozen" },
	{ R_SUSPEND, "temporarily inactive" },
	{ R_SUSPEND, "account is locked" },
	{ R_SUSPEND, "tried to reach is disabled" },	/* Gmail */
	{ R_SUSPEND, "tried to reach is inactive" },
	{ R_SUSPEND, "p=disableduser" },
	{ R_SUSPEND, "inactive account" },
	{ R_SUSPEND, "is a deactivated mailbox" },
	{ R_SUSPEND, "user is terminated" },
	{ R_SUSPEND, "account has been disabled or discontinued" },
	{ R_SUSPEND, "temporarily suspended" },
	{ R_SUSPEND, "user or domain is disabled" },
	{ R_SUSPEND, "archived recipient" },
	{ R_SUSPEND, "boite du destinataire archivee" },
	{ R_SUSPEND, "bo\xc3\xaete du destinataire archiv\xc3\xa9" "e" },
	{ R_HASMOVED, "has been replaced by" },
	{ R_HASMOVED, "address has moved" },
	{ R_NORELAYING, "relay access denied" },
	{ R_NORELAYING, "relaying denied" },
	{ R_NORELAYING, "relay not permitted" },
	{ R_NORELAYING, "not permitted to relay" },
	{ R_NORELAYING, "unable to relay" },
	{ R_NORELAYING, "we do not relay" },
	{ R_NORELAYING, "relaying not allowed" },
	{ R_NORELAYING, "relay denied" },
	{ R_NORELAYING, "insecure mail relay" },
	{ R_NORELAYING, "not an open relay" },
	{ R_NORELAYING, "not configured to relay" },
	{ R_NORELAYING, "isn't in my list of allowed rcpthosts" },
	{ R_NORELAYING, "not in my list of allowed rcpthosts" },
	{ R_REJECTED, "sender address rejected" },
	{ R_REJECTED, "sender rejected" },
	{ R_REJECTED, "sender verify failed" },
	{ R_REJECTED, "sender domain" },
	{ R_REJECTED, "invalid sender" },
	{ R_REJECTED, "domain of sender address" },
	{ R_TOOMANY, "too many recipients" },
	{ R_TOOMANY, "too many messages" },
	{ R_TOOMANY, "too many connections" },
	{ R_TOOMANY, "rate limit" },
	{ R_TOOMANY, "sending rate" },
	{ R_TOOMANY, "receiving mail at a rate" },
	{ R_TOOMANY, "receiving mail too quickly" },
	{ R_TOOMANY, "connection limit" },
	{ R_TOOMANY, "too many concurrent" },
	{ R_TOOMANY, "too many smtp sessions" },
	{ R_TOOMANY, "max emails per hour" },
	{ R_TOOMANY, "maximum sending rate" },
	{ R_TOOMANY, "daily message quota" },
	{ R_TOOMANY, "trop de connexions" },
	/*
	 * au (KDDI, ezweb.ne.jp) answers "550 <a>: User unknown" for an
	 * address that does not exist and "550 : User unknown", no address,
	 * when the recipient's own filter refuses the sender.
	 */
	{ R_FILTERED, "550 : user unknown" },
	{ R_FILTERED, "550: : user unknown" },
	/* Gmail's heading says "Address not found" for a domain too */
	{ R_HOSTUNKNOWN, "because the domain * couldn't be found" },
	{ R_NOTACCEPT, "does not accept mail" },
	{ R_NOTACCEPT, "nullmx" },
	{ R_NOTACCEPT, "null mx" },
	{ R_NOTACCEPT, "no mx record" },
	{ R_NOTACCEPT, "indicated no smtp service" },
	{ R_USERUNKNOWN, "user unknown" },
	{ R_USERUNKNOWN, "unknown user" },
	{ R_USERUNKNOWN, "unknown recipient" },
	{ R_USERUNKNOWN, "recipient unknown" },
	{ R_USERUNKNOWN, "unknown local part" },
	{ R_USERUNKNOWN, "unknown local-part" },
	{ R_USERUNKNOWN, "unknown mailbox" },
	{ R_USERUNKNOWN, "unknown address" },
	{ R_USERUNKNOWN, "unknown e-mail address" },
	{ R_USERUNKNOWN, "unknown email address" },
	{ R_USERUNKNOWN, "no such user" },
	{ R_USERUNKNOWN, "no such recipient" },
	{ R_USERUNKNOWN, "no such mailbox" },
	{ R_USERUNKNOWN, "no such address" },
	{ R_USERUNKNOWN, "no valid recipients" },
	{ R_USERUNKNOWN, "no such person" },
	{ R_USERUNKNOWN, "no mailbox here" },
	{ R_USERUNKNOWN, "no mailbox by that name" },
	{ R_USERUNKNOWN, "no mailbox found" },
	{ R_USERUNKNOWN, "no account by that name" },
	{ R_USERUNKNOWN, "user not found" },
	{ R_USERUNKNOWN, "user not known" },
	{ R_USERUNKNOWN, "user not exist" },
	{ R_USERUNKNOWN, "user does not exist" },
	{ R_USERUNKNOWN, "user doesn't exist" },
	{ R_USERUNKNOWN, "recipient not found" },
	{ R_USERUNKNOWN, "recipient does not exist" },
	{ R_USERUNKNOWN, "recipient not exist" },
	{ R_USERUNKNOWN, "mailbox not found" },
	{ R_USERUNKNOWN, "mailbox does not exist" },
	{ R_USERUNKNOWN, "mailbox not present" },
	{ R_USERUNKNOWN, "mailbox unavailable" },
	{ R_USERUNKNOWN, "mailbox is unavailable" },
	{ R_USERUNKNOWN, "mailbox invalid" },
	{ R_USERUNKNOWN, "invalid recipient" },
	{ R_USERUNKNOWN, "invalid mailbox" },
	{ R_USERUNKNOWN, "invalid address" },
	{ R_USERUNKNOWN, "bad recipient" },
	{ R_USERUNKNOWN, "bad destination mailbox" },
	{ R_USERUNKNOWN, "address unknown" },
	{ R_USERUNKNOWN, "address does not exist" },
	{ R_USERUNKNOWN, "address doesn't exist" },
	{ R_USERUNKNOWN, "address not present in directory" },
	{ R_USERUNKNOWN, "account does not exist" },
	{ R_USERUNKNOWN, "account that you tried to reach does not exist" },
	{ R_USERUNKNOWN, "address could not be found" },
	{ R_USERUNKNOWN, "address couldn't be found" },
	{ R_USERUNKNOWN, "address not found" },
	{ R_USERUNKNOWN, "not listed in public name & address book" },
	{ R_USERUNKNOWN, "recipient name is not recognized" },
	{ R_USERUNKNOWN, "is not a valid mailbox" },
	{ R_USERUNKNOWN, "not a valid recipient" },
	{ R_USERUNKNOWN, "not a valid user" },
	{ R_USERUNKNOWN, "is not a known user" },
	{ R_USERUNKNOWN, "not listed in domino directory" },
	{ R_USERUNKNOWN, "not listed in the directory" },
	{ R_USERUNKNOWN, "user doesn't have a" },
	{ R_USERUNKNOWN, "no longer accepts mail" },
	{ R_USERUNKNOWN, "no longer valid" },
	{ R_USERUNKNOWN, "unrouteable address" },
	{ R_USERUNKNOWN, "invalid final delivery userid" },
	{ R_USERUNKNOWN, "badrcptto" },
	{ R_USERUNKNOWN, "not our customer" },
	{ R_USERUNKNOWN, "there is no one at this address" },
	{ R_USERUNKNOWN, "recipient address rejected: access denied" },
	{ R_USERUNKNOWN, "recipnotfound" },
	{ R_USERUNKNOWN, "recipient notfound" },
	{ R_USERUNKNOWN, "no such email address" },
	{ R_USERUNKNOWN, "no such mail drop" },
	{ R_USERUNKNOWN, "email address does not exist" },
	{ R_USERUNKNOWN, "email address could not be found" },
	{ R_USERUNKNOWN, "is not an active address" },
	{ R_USERUNKNOWN, "no mail box available for this user" },
	{ R_USERUNKNOWN, "email name is not found" },
	{ R_USERUNKNOWN, "in my badrcptto list" },
	{ R_USERUNKNOWN, "not in my validrcptto list" },
	{ R_USERUNKNOWN, "invalid or unknown virtual user" },
	{ R_USERUNKNOWN, "utilisateur inconnu" },
	{ R_USERUNKNOWN, "benutzer unbekannt" },
	{ R_USERUNKNOWN, "unbekannter empf\xc3\xa4nger" },
	{ R_USERUNKNOWN, "no existe dicha persona" },
	{ R_USERUNKNOWN, "no existe ese usuario" },
	{ R_USERUNKNOWN, "nessun utente simile" },
	{ R_USERUNKNOWN, "utente sconosciuto" },
	{ R_HOSTUNKNOWN, "host unknown" },
	{ R_HOSTUNKNOWN, "unknown host" },
	{ R_HOSTUNKNOWN, "host not found" },
	{ R_HOSTUNKNOWN, "host * not found" },
	{ R_HOSTUNKNOWN, "host or domain name not found" },
	{ R_HOSTUNKNOWN, "domain not found" },
	{ R_HOSTUNKNOWN, "domain does not exist" },
	{ R_HOSTUNKNOWN, "domain must exist" },
	{ R_HOSTUNKNOWN, "no such domain" },
	{ R_HOSTUNKNOWN, "unknown domain" },
	{ R_HOSTUNKNOWN, "unrouteable domain" },
	{ R_HOSTUNKNOWN, "unroutable domain" },
	{ R_HOSTUNKNOWN, "illegal host/domain" },
	{ R_HOSTUNKNOWN, "account or domain may not exist" },
	{ R_HOSTUNKNOWN, "name or service not known" },
	{ R_HOSTUNKNOWN, "domain is not reachable" },
	{ R_HOSTUNKNOWN, "no route to domain" },
	{ R_HOSTUNKNOWN, "domain name not found" },
	{ R_HOSTUNKNOWN, "email address is unknown" },
	{ R_HOSTUNKNOWN, "recipient domain must exist" },
	{ R_HOSTUNKNOWN, "unknown domain name" },
	{ R_FILTERED, "user reject" },
	{ R_FILTERED, "due to recipient preferences" },
	{ R_FILTERED, "is not accepting any mail" },
	{ R_FILTERED, "only accepting mail from specific" },
	{ R_FILTERED, "blocked by the recipient" },
	{ R_FILTERED, "message rejected due to user rules" },
	{ R_FILTERED, "refuse to receive mail" },
	{ R_VIRUS, "virus" },
	{ R_VIRUS, "malware" },
	{ R_SPAM, "spam" },
	{ R_SPAM, "junk mail" },
	{ R_SPAM, "unsolicited" },
	{ R_BLOCKED, "blacklist" },
	{ R_BLOCKED, "blocklist" },
	{ R_BLOCKED, "denylist" },
	{ R_BLOCKED, "listed in" },
	{ R_BLOCKED, "dnsbl" },
	{ R_BLOCKED, "rbl" },
	{ R_BLOCKED, "reputation" },
	{ R_BLOCKED, "reverse dns" },
	{ R_BLOCKED, "ptr record" },
	{ R_BLOCKED, "client host rejected" },
	{ R_BLOCKED, "blocked" },
	{ R_BLOCKED, "spamhaus" },
	{ R_BLOCKED, "banned" },
	{ R_BLOCKED, "sending ip" },
	{ R_BLOCKED, "not allowed to send" },
	{ R_POLICY, "dmarc" },
	{ R_POLICY, "policy" },
	{ R_SECURITY, "authentication" },
	{ R_SECURITY, "unauthenticated" },
	{ R_SECURITY, "spf" },
	{ R_SECURITY, "dkim" },
	{ R_EXPIRED, "retry time" },
	{ R_EXPIRED, "retry timeout" },
	{ R_EXPIRED, "message expired" },
	{ R_EXPIRED, "delivery time expired" },
	{ R_EXPIRED, "too long in queue" },
	{ R_EXPIRED, "could not be delivered within" },
	{ R_EXPIRED, "giving up" },
	{ R_EXPIRED, "in the queue too long" },
	{ R_EXPIRED, "message timed out" },
	{ R_EXPIRED, "expired after sitting in queue" },
	{ R_EXPIRED, "failing for a long time" },
	{ R_EXPIRED, "after a long failure period" },
	{ R_EXPIRED, "not reachable within the allowed queue period" },
	{ R_NETWORK, "connection refused" },
	{ R_NETWORK, "name service error" },
	{ R_NETWORK, "connection timed out" },
	{ R_NETWORK, "timed out" },
	{ R_NETWORK, "no route to host" },
	{ R_NETWORK, "network is unreachable" },
	{ R_NETWORK, "mail loop" },
	{ R_NETWORK, "routing loop" },
	{ R_NETWORK, "too many hops" },
	{ R_SYSTEM, "system error" },
	{ R_SYSTEM, "internal error" },
	{ R_SYSTEM, "local error" },
	{ R_SYSTEM, "configuration error" },
	{ R_SYSTEM, "forwarding loop" },
	{ R_SYSTEM, "loops back to myself" },
	{ R_SYSTEM, "unable to store message" },
	{ R_SYSTEM, "interrupted system call" },
	{ R_SYSTEM, "try again later" },
	{ R_SYSTEM, "temporar" },
	{ R_SYNTAX, "syntax error" },
};

/*
 * Reasons the text may set against a status that says the address is dead
 * ("550 5.1.1 ... mailbox full", "5.1.1 IP address blacklisted").
 */
static int
reason_overrides_status(enum reason r)
{
	return r == R_MAILBOXFULL || r == R_MESGTOOBIG || r == R_EXCEEDLIMIT ||
	    r == R_SUSPEND || r == R_HASMOVED || r == R_NORELAYING ||
	    r == R_REJECTED || r == R_TOOMANY || r == R_NOTACCEPT ||
	    r == R_FILTERED || r == R_SPAM || r == R_VIRUS ||
	    r == R_BLOCKED;
}

/*
 * RFC 3463 codes whose meaning is specific enough to decide on their own
 * (class 4 and 5 alike); every other code is sharpened by the text first.
 */
static const struct {
	int		 subject, detail;
	enum reason	 reason;
} codes[] = {
	{ 1, 1, R_USERUNKNOWN }, { 1, 2, R_HOSTUNKNOWN },
	{ 1, 3, R_USERUNKNOWN }, { 1, 6, R_HASMOVED },
	{ 1, 7, R_REJECTED }, { 1, 8, R_REJECTED },
	{ 1, 10, R_NOTACCEPT }, { 2, 1, R_SUSPEND },
	{ 2, 2, R_MAILBOXFULL }, { 2, 3, R_EXCEEDLIMIT },
	{ 3, 1, R_SYSTEM }, { 3, 2, R_NOTACCEPT }, { 3, 4, R_MESGTOOBIG },
	{ 4, 4, R_HOSTUNKNOWN }, { 4, 7, R_EXPIRED },
	{ 5, 3, R_TOOMANY }, { 7, 13, R_SUSPEND },
	{ 7, 17, R_HASMOVED }, { 7, 18, R_HASMOVED },
	{ 7, 25, R_BLOCKED }, { 7, 26, R_SECURITY },
	{ 7, 27, R_NOTACCEPT },
};

/* What a status means when nothing sharper is known: by subject. */
static enum reason
subject_reason(int subject)
{
	switch (subject) {
	case 2:
		return R_FILTERED;
	case 3:
		return R_SYSTEM;
	case 4:
		return R_NETWORK;
	case 6:
		return R_CONTENT;
	case 7:
		return R_SECURITY;
	default:
		return R_OTHER;
	}
}

/* ---- RFC 3463 status codes in text ---- */

/* Parse "c.s.d" at s (up to n bytes); its length, or 0. */
static size_t
status_at(const char *s, size_t n, int *cls, int *subj, int *det)
{
	size_t i = 0;
	int v[3];

	for (int k = 0; k < 3; k++) {
		int d = 0, x = 0;

		while (i < n && isdigit((unsigned char)s[i]) && d < 4) {
			x = x * 10 + (s[i] - '0');
			i++;
			d++;
		}
		if (d == 0 || d > 3 || (k == 0 && d != 1))
			return 0;
		v[k] = x;
		if (k < 2) {
			if (i >= n || s[i] != '.')
				return 0;
			i++;
		}
	}
	if (v[0] != 2 && v[0] != 4 && v[0] != 5)
		return 0;
	*cls = v[0];
	*subj = v[1];
	*det = v[2];
	return i;
}

int
verdict_status_valid(const char *s)
{
	int c, sb, d;
	size_t n;

	if (s == NULL)
		return 0;
	n = status_at(s, strlen(s), &c, &sb, &d);
	return n > 0 && s[n] == '\0';
}

int
verdict_find_status(const char *s, size_t n, char out[BOUNCE_STATUS_LEN])
{
	for (size_t i = 0; i < n; i++) {
		int c, sb, d;
		size_t len;

		if (i > 0 && (isalnum((unsigned char)s[i - 1]) ||
		    s[i - 1] == '.'))
			continue;
		if (s[i] != '2' && s[i] != '4' && s[i] != '5')
			continue;
		len = status_at(s + i, n - i, &c, &sb, &d);
		if (len == 0)
			continue;
		/* not part of a longer dotted number (a version, an IP) */
		if (i + len < n && (isdigit((unsigned char)s[i + len]) ||
		    (s[i + len] == '.' && i + len + 1 < n &&
		    isdigit((unsigned char)s[i + len + 1]))))
			continue;
		snprintf(out, BOUNCE_STATUS_LEN, "%d.%d.%d", c, sb, d);
		return 1;
	}
	out[0] = '\0';
	return 0;
}

int
verdict_find_code(const char *s, size_t n)
{
	for (size_t i = 0; i + 3 <= n; i++) {
		if (i > 0 && (isalnum((unsigned char)s[i - 1]) ||
		    strchr(".:-[/#", s[i - 1])))
			continue;
		if ((s[i] != '4' && s[i] != '5') ||
		    !isdigit((unsigned char)s[i + 1]) ||
		    !isdigit((unsigned char)s[i + 2]) || s[i + 1] > '5')
			continue;
		if (i + 3 < n && s[i + 3] != ' ' && s[i + 3] != '-' &&
		    s[i + 3] != ':')
			continue;
		return (s[i] - '0') * 100 + (s[i + 1] - '0') * 10 +
		    (s[i + 2] - '0');
	}
	return 0;
}

/* ---- phrases ---- */

/* Lower-cased copy of at most VERDICT_MAX_TEXT bytes, spaces folded. */
static char *
fold(const char *text)
{
	size_t n = text ? strlen(text) : 0, j = 0;
	char *out;
	int space = 1;

	if (n > VERDICT_MAX_TEXT)
		n = VERDICT_MAX_TEXT;
	out = xmalloc(n + 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];

		if (isspace(c)) {
			if (!space)
				out[j++] = ' ';
			space = 1;
			continue;
		}
		space = 0;
		out[j++] = (char)tolower(c);
	}
	out[j] = '\0';
	return out;
}

/* Is phrase in the folded text?  "*" in a phrase stands for one word. */
static int
phrase_in(const char *folded, const char *phrase)
{
	const char *star = strchr(phrase, '*'), *p;
	size_t head;

	if (star == NULL)
		return strstr(folded, phrase) != NULL;
	head = (size_t)(star - phrase);
	for (p = folded; *p != '\0'; p++) {
		const char *w;

		if (strncmp(p, phrase, head) != 0)
			continue;
		w = p + head + strcspn(p + head, " ");
		if (w > p + head && strncmp(w, star + 1, strlen(star + 1)) == 0)
			return 1;
	}
	return 0;
}

/* The first group of the table a phrase of the folded text is in. */
static enum reason
text_reason(const char *folded)
{
	for (size_t i = 0; i < ARRAY_SIZE(phrases); i++)
		if (phrase_in(folded, phrases[i].text))
			return phrases[i].reason;
	return R_NONE;
}

const char *
verdict_text_reason(const char *text)
{
	char *folded = fold(text);
	enum reason r = text_reason(folded);

	free(folded);
	return reason_names[r];
}

/* The status a reason stands for when the reply gave none. */
static const char *
reason_status(enum reason r)
{
	switch (r) {
	case R_USERUNKNOWN:
		return "5.1.1";
	case R_HOSTUNKNOWN:
		return "5.1.2";
	case R_HASMOVED:
		return "5.1.6";
	case R_NOTACCEPT:
		return "5.1.10";
	case R_MAILBOXFULL:
		return "5.2.2";
	case R_SUSPEND:
		return "5.2.1";
	case R_MESGTOOBIG:
		return "5.3.4";
	case R_EXPIRED:
		return "4.4.7";
	case R_NETWORK:
		return "4.4.1";
	case R_NORELAYING: case R_SPAM: case R_BLOCKED: case R_POLICY:
	case R_SECURITY: case R_VIRUS: case R_FILTERED:
		return "5.7.1";
	case R_REJECTED:
		return "5.1.8";
	case R_TOOMANY:
		return "4.7.0";
	case R_SYSTEM:
		return "4.0.0";
	default:
		return "5.0.0";
	}
}

/*
 * The reason for a reply: status, then text, then the status' subject
 * (the step only where the two disagree).
 */
static enum reason
decide(enum smtp_step step, const char *status, const char *folded)
{
	enum reason tr = text_reason(folded), sr = R_NONE;
	int c = 0, s = 0, d = 0;

	if (status[0] != '\0')
		status_at(status, strlen(status), &c, &s, &d);
	if (c == 2)
		return R_DELIVERED;
	for (size_t i = 0; c != 0 && i < ARRAY_SIZE(codes); i++)
		if (codes[i].subject == s && codes[i].detail == d)
			sr = codes[i].reason;
	if (sr == R_HOSTUNKNOWN && s == 4 && tr == R_NETWORK)
		return R_NETWORK;	/* X.4.4 after a connection failure */
	/*
	 * X.2.1 "mailbox disabled" and the policy codes of X.7 (but those
	 * the table gives a reason) with "user unknown": many servers send
	 * them for an address that never was, and their words decide when
	 * the refusal was of RCPT TO; otherwise it may be a filter's.
	 */
	if (tr == R_USERUNKNOWN && ((s == 2 && d == 1) || (s == 7 &&
	    sr == R_NONE)))
		return step == SMTP_STEP_RCPT ? tr : R_FILTERED;
	if (sr != R_NONE && !(reason_dead(sr) && reason_overrides_status(tr)))
		return sr;
	if (tr != R_NONE)
		return tr;
	return c != 0 ? subject_reason(s) : R_NONE;
}

/* X.0.0 and X.4.4 say little: the reason read from the text is shown. */
static int
status_generic(const char *st)
{
	return strcmp(st + 1, ".0.0") == 0 || strcmp(st + 1, ".4.4") == 0;
}

/* X.1.7 and X.1.8: the sender's address or its domain is bad. */
static int
status_names_sender(const char *st)
{
	return strcmp(st + 1, ".1.7") == 0 || strcmp(st + 1, ".1.8") == 0;
}

static int
says_temporary(const char *folded)
{
	return strstr(folded, "temporar") != NULL ||
	    strstr(folded, "try again") != NULL ||
	    strstr(folded, "deferred") != NULL;
}

/*
 * "550 <a@b>: User unknown", "550: <a@b>: ...": a reply that names the
 * refused recipient before its words is the answer to that recipient's
 * RCPT TO (Postfix's smtpd, au), whatever else the bounce says.
 */
static int
reply_names_recipient(const char *folded)
{
	for (const char *p = strchr(folded, '<'); p != NULL;
	    p = strchr(p + 1, '<')) {
		size_t len = strcspn(p + 1, "<> ");
		const char *q = p;

		if (p[1 + len] != '>' || p[2 + len] != ':' ||
		    memchr(p + 1, '@', len) == NULL)
			continue;
		if (q > folded && q[-1] == ' ')
			q--;
		if (q > folded && (q[-1] == ':' || q[-1] == '-'))
			q--;
		if (q - folded >= 3 && (q[-3] == '4' || q[-3] == '5') &&
		    isdigit((unsigned char)q[-2]) &&
		    isdigit((unsigned char)q[-1]) && (q - folded == 3 ||
		    !isalnum((unsigned char)q[-4])))
			return 1;
	}
	return 0;
}

/*
 * A remote server's reply quoted with no enhanced status (or only X.0.0)
 * and no word of the command it answered: its "user unknown" may be a
 * content filter's after DATA as well as an answer to RCPT TO, so it is
 * read as a filter's (Sisimai reads it so).  The reporting MTA's own
 * words with no reply code ("Unknown user: a", a mail store's report)
 * and a reply naming the recipient are not relayed guesses: they stay,
 * as does Yahoo's "This user doesn't have a yahoo.com account", which it
 * gives for a missing account at the end of the data, by design.
 */
static int
relayed_vague(int code, const char *status, const char *folded)
{
	return code != 0 && (status[0] == '\0' ||
	    strcmp(status + 1, ".0.0") == 0) &&
	    !reply_names_recipient(folded) &&
	    !phrase_in(folded, "user doesn't have a * account");
}

void
verdict_reply(enum smtp_step step, int code, const char *status,
    const char *text, struct verdict *v)
{
	char *folded = fold(text);
	enum reason r;
	int cls;

	memset(v, 0, sizeof(*v));
	v->kind = BOUNCE_OTHER;
	v->reason = "";
	if (verdict_status_valid(status))
		snprintf(v->status, sizeof(v->status), "%s", status);
	/* none, or X.0.0 "undefined": the remote's own code in the text */
	if (text != NULL && (v->status[0] == '\0' ||
	    strcmp(v->status + 1, ".0.0") == 0)) {
		char st[BOUNCE_STATUS_LEN];

		if (verdict_find_status(text, strlen(text), st) &&
		    (v->status[0] == '\0' || st[0] == v->status[0]))
			snprintf(v->status, sizeof(v->status), "%s", st);
	}
	if (code == 0 && text != NULL)
		code = verdict_find_code(text, strlen(text));
	r = decide(step, v->status, folded);
	if (r == R_USERUNKNOWN && step == SMTP_STEP_UNKNOWN &&
	    relayed_vague(code, v->status, folded))
		r = R_FILTERED;
	cls = code != 0 ? code / 100 : v->status[0] ? v->status[0] - '0' :
	    r == R_NONE && strstr(folded, "permanent") == NULL ? 0 :
	    says_temporary(folded) ? 4 : 5;
	if (cls == 2 || r == R_DELIVERED || (cls == 0 &&
	    step == SMTP_STEP_UNKNOWN) || (cls != 0 && cls != 4 &&
	    cls != 5)) {
		v->reason = r == R_DELIVERED || cls == 2 ? "delivered" : "";
		goto out;
	}
	if (v->status[0] == '\0' || (status_generic(v->status) &&
	    r != R_NONE && r != R_OTHER && r != R_NETWORK &&
	    v->status[0] == '0' + cls))
		snprintf(v->status, sizeof(v->status), "%c%s",
		    cls ? '0' + cls : '5', reason_status(r) + 1);
	v->kind = BOUNCE_SOFT;
	v->temporary = cls == 4;
	if (step == SMTP_STEP_CONNECT || step == SMTP_STEP_MAIL ||
	    step == SMTP_STEP_DATA || step == SMTP_STEP_EOD ||
	    status_names_sender(v->status) || r == R_REJECTED) {
		v->sender = 1;
		if (reason_dead(r))
			r = R_FILTERED;	/* a filter's words, not the address */
	}
	v->reason = reason_names[r];
	v->dead = reason_dead(r);
	if (!v->sender && !v->temporary && reason_dead(r))
		v->kind = BOUNCE_HARD;
out:
	free(folded);
}

const char *
verdict_step_name(enum smtp_step step)
{
	static const char *const names[] = {
		"", "connect", "MAIL FROM", "RCPT TO", "DATA", "end of data",
	};

	return step < sizeof(names) / sizeof(names[0]) ? names[step] : "";
}

/* ---- the older helpers, on the same rule ---- */

enum bounce_kind
bounce_status_kind(const char *status)
{
	struct verdict v;

	if (!verdict_status_valid(status))
		return BOUNCE_OTHER;
	verdict_reply(SMTP_STEP_UNKNOWN, 0, status, NULL, &v);
	return v.kind;
}

int
bounce_status_from_text(const char *text, char out[BOUNCE_STATUS_LEN])
{
	struct verdict v;

	verdict_reply(SMTP_STEP_UNKNOWN, 0, NULL, text, &v);
	snprintf(out, BOUNCE_STATUS_LEN, "%s", v.status);
	return out[0] != '\0';
}
