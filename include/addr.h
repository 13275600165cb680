/*
 * addr.h - email address checks (RFC 5321 limits, OpenSMTPD util.c).
 */
#ifndef ADDR_H
#define ADDR_H

#include <stddef.h>

#define ADDR_MAX_LOCAL	64
#define ADDR_MAX_DOMAIN	253
#define ADDR_MAX	254

/*
 * Check a bare address (no display name, no angle brackets): one '@', a
 * local part of dot-atom characters, a dotted domain of letters, digits and
 * hyphens, no spaces or control characters, the RFC 5321 length limits,
 * and ASCII only: an internationalised address (RFC 6531) cannot be sent,
 * so it is refused at the door.  Returns 0, or ERR_FAIL with *why set to a
 * static reason.
 */
int	 addr_check(const char *addr, const char **why);
/*
 * The same without the ASCII rule (UTF-8 allowed), to look up an address
 * stored before that rule.
 */
int	 addr_syntax(const char *addr, const char **why);
/*
 * The n bytes at s as the domain of an address: dotted labels of letters,
 * digits and hyphens (UTF-8 allowed), none empty or over 63, none starting
 * or ending with '-'.  0, or ERR_FAIL with *why set to a static reason.
 */
int	 addr_check_domain(const char *s, size_t n, const char **why);

/*
 * Normalise in place: lower-case the domain.  Assumes addr_check() passed.
 */
void	 addr_normalise(char *addr);

/*
 * Split "Display Name <addr>" or a bare "addr" into an allocated name ("" if
 * none, quotes removed) and an allocated address.  0 or ERR_FAIL (with *why).
 */
int	 addr_parse_mailbox(const char *s, char **name, char **addr,
	    const char **why);

#endif
