/*
 * cmd_dkim.c - DKIM keys: `dkim keygen` writes a new private key (0600)
 * and prints the DNS TXT record to publish and the settings to add.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "dkim.h"
#include "dripmail.h"
#include "log.h"
#include "xmalloc.h"

static const char usage[] =
    "usage: dripmail dkim keygen --selector S [--type rsa|ed25519]\n"
    "           [--domain D] [--out FILE]\n"
    "\n"
    "Make a new DKIM private key (mode 0600, never over a file), and print\n"
    "the TXT record to publish and the [dkim] settings that sign with it.\n"
    "\n"
    "    --selector S   the DKIM selector, such as mail2026 (required)\n"
    "    --type T       rsa (2048 bits, the default) or ed25519\n"
    "    --domain D     the signing domain (default: [dkim] domain, else\n"
    "                   the domain of [course] from)\n"
    "    --out FILE     where to write the key (default: dkim-S.pem)\n"
    "    -h, --help     print this help";

/* --domain, else [dkim] domain, else the From address's domain. */
static int
keygen_domain(struct app *app, const char *arg, const char **domain)
{
	const char *at;
	int status;

	if ((*domain = arg) != NULL)
		return 0;
	if ((status = app_setup(app, NEED_CONFIG)) != 0)
		return status;
	if (app->cfg.dkim_domain != NULL)
		*domain = app->cfg.dkim_domain;
	else if ((at = strrchr(app->cfg.from_addr, '@')) != NULL)
		*domain = at + 1;
	return 0;
}

static int
keygen(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "selector", required_argument, NULL, 's' },
		{ "type", required_argument, NULL, 't' },
		{ "domain", required_argument, NULL, 'd' },
		{ "out", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *selector = NULL, *domain = NULL, *darg = NULL;
	char *out = NULL, *txt = NULL;
	enum dkim_type type = DKIM_RSA;
	int c, status;

	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1)
		switch (c) {
		case 's':
			selector = optarg;
			break;
		case 't':
			if (strcmp(optarg, "rsa") == 0)
				type = DKIM_RSA;
			else if (strcmp(optarg, "ed25519") == 0)
				type = DKIM_ED25519;
			else {
				log_error("dkim keygen: --type: expected rsa "
				    "or ed25519, not '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'd':
			darg = optarg;
			break;
		case 'o':
			free(out);
			out = xstrdup(optarg);
			break;
		case 'h':
			free(out);
			return cmd_usage(usage, EXIT_OK);
		default:
			free(out);
			return cmd_bad_option(usage, argv, c);
		}
	if ((status = cmd_operands(usage, argc, argv, 0, 0, NULL)) != 0 ||
	    (selector == NULL && (status = cmd_usage_error(usage, argv[0],
	    "missing --selector")) != 0)) {
		free(out);
		return status;
	}
	if (strspn(selector, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU"
	    "VWXYZ0123456789-_.") != strlen(selector) || !selector[0]) {
		free(out);
		return cmd_usage_error(usage, argv[0], "--selector '%s': "
		    "letters, digits, '-', '_' and '.' only", selector);
	}
	if ((status = keygen_domain(app, darg, &domain)) != 0) {
		free(out);
		return status;
	}
	if (out == NULL)
		out = xasprintf("dkim-%s.pem", selector);
	if (dkim_keygen(out, type, selector, domain, &txt) < 0)
		status = EXIT_IOERR;
	else
		printf("wrote %s (%s, mode 0600)\n"
		    "publish this TXT record:\n%s\n"
		    "and sign with it in settings.ini:\n"
		    "[dkim]\ndomain = %s\nselector = %s\nkey_file = %s\n", out,
		    type == DKIM_ED25519 ? "ed25519" : "rsa 2048 bits", txt,
		    domain, selector, out);
	free(txt);
	free(out);
	return status;
}

int
cmd_dkim(int argc, char **argv, struct app *app)
{
	static char name[] = "dkim keygen";

	if (argc >= 2 && strcmp(argv[1], "keygen") == 0) {
		argv[1] = name;		/* "dripmail dkim keygen: ..." */
		return keygen(argc - 1, argv + 1, app);
	}
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0))
		return cmd_usage(usage, EXIT_OK);
	if (argc < 2)
		return cmd_usage_error(usage, argv[0], "missing the subcommand "
		    "(keygen)");
	return cmd_usage_error(usage, argv[0], "unknown subcommand '%s'",
	    argv[1]);
}
