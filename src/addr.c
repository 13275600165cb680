/*
 * addr.c - email address validation and normalisation.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "dripmail.h"
#include "util.h"
#include "xmalloc.h"

static int
atext(unsigned char c)
{
	return isalnum(c) || strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static int
check_local(const char *s, size_t n, const char **why)
{
	if (n == 0) {
		*why = "empty local part";
		return ERR_FAIL;
	}
	if (n > ADDR_MAX_LOCAL) {
		*why = "local part longer than 64 characters";
		return ERR_FAIL;
	}
	if (s[0] == '.' || s[n - 1] == '.') {
		*why = "local part starts or ends with a dot";
		return ERR_FAIL;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.' && s[i + 1] == '.') {
			*why = "two dots in a row";
			return ERR_FAIL;
		}
		if (c != '.' && !atext(c) && c < 0x80) {
			*why = c <= ' ' || c == 0x7f ?
			    "space or control character in address" :
			    "character not allowed in local part";
			return ERR_FAIL;
		}
	}
	return 0;
}

int
addr_check_domain(const char *s, size_t n, const char **why)
{
	size_t label = 0;
	int dots = 0;

	if (n == 0) {
		*why = "empty domain";
		return ERR_FAIL;
	}
	if (n > ADDR_MAX_DOMAIN) {
		*why = "domain longer than 253 characters";
		return ERR_FAIL;
	}
	for (size_t i = 0; i <= n; i++) {
		unsigned char c = i < n ? (unsigned char)s[i] : '.';

		if (c == '.') {
			if (label == 0 || label > 63 || s[i - 1] == '-' ||
			    s[i - label] == '-') {
				*why = "malformed domain";
				return ERR_FAIL;
			}
			label = 0;
			dots += i < n;
			continue;
		}
		if (!isalnum(c) && c != '-' && c < 0x80) {
			*why = c <= ' ' || c == 0x7f ?
			    "space or control character in address" :
			    "character not allowed in domain";
			return ERR_FAIL;
		}
		label++;
	}
	if (dots == 0) {
		*why = "domain has no dot";
		return ERR_FAIL;
	}
	return 0;
}

int
addr_syntax(const char *addr, const char **why)
{
	const char *at = strchr(addr, '@');
	size_t len = strlen(addr);

	if (len == 0) {
		*why = "empty address";
		return ERR_FAIL;
	}
	if (at == NULL || strchr(at + 1, '@') != NULL) {
		*why = at ? "more than one '@'" : "no '@'";
		return ERR_FAIL;
	}
	if (len > ADDR_MAX) {
		*why = "address longer than 254 characters";
		return ERR_FAIL;
	}
	if (!utf8_valid(addr, len)) {
		*why = "address is not valid UTF-8";
		return ERR_FAIL;
	}
	if (check_local(addr, (size_t)(at - addr), why) < 0)
		return ERR_FAIL;
	return addr_check_domain(at + 1, strlen(at + 1), why);
}

int
addr_check(const char *addr, const char **why)
{
	if (addr_syntax(addr, why) < 0)
		return ERR_FAIL;
	for (const char *p = addr; *p; p++)
		if ((unsigned char)*p >= 0x80) {
			/* It would need SMTPUTF8 and RFC 6532 headers. */
			*why = "non-ASCII address (internationalised addresses "
			    "cannot be sent)";
			return ERR_FAIL;
		}
	return 0;
}

void
addr_normalise(char *addr)
{
	char *at = strchr(addr, '@');

	if (at == NULL)
		return;
	for (char *p = at + 1; *p; p++)
		*p = (char)tolower((unsigned char)*p);
}

int
addr_parse_mailbox(const char *s, char **name, char **addr, const char **why)
{
	const char *lt = strchr(s, '<'), *gt;
	char *n, *a;

	if (str_has_ctl(s)) {
		*why = "control character in address";
		return ERR_FAIL;
	}
	if (lt == NULL) {
		a = str_trim(xstrdup(s));
		n = xstrdup("");
	} else {
		gt = strchr(lt, '>');
		if (gt == NULL || gt[1 + strspn(gt + 1, " \t")] != '\0') {
			*why = "expected 'Name <address>'";
			return ERR_FAIL;
		}
		a = str_trim(xstrndup(lt + 1, (size_t)(gt - lt - 1)));
		n = str_trim(xstrndup(s, (size_t)(lt - s)));
		size_t len = strlen(n);
		if (len >= 2 && n[0] == '"' && n[len - 1] == '"') {
			memmove(n, n + 1, len - 2);
			n[len - 2] = '\0';
		}
	}
	if (addr_check(a, why) < 0) {
		free(n);
		free(a);
		return ERR_FAIL;
	}
	addr_normalise(a);
	*name = n;
	*addr = a;
	return 0;
}
