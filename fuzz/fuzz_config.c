/*
 * fuzz_config.c - libFuzzer entry point: settings.ini on arbitrary bytes
 * (`make fuzz`).  config_load() reads a file, so each input is written to
 * one in a private folder first.  Run with stdin from /dev/null: a
 * password_file of "-" reads it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char *
settings_path(void)
{
	static char *path;
	char dir[] = "/tmp/fuzz_config.XXXXXX";

	if (path == NULL) {
		if (mkdtemp(dir) == NULL)
			fatal("mkdtemp");
		path = path_join(dir, "settings.ini");
		unsetenv("DRIPMAIL_SMTP_PASSWORD");
		unsetenv("DRIPMAIL_IMAP_PASSWORD");
	}
	return path;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = settings_path();
	struct config c;
	FILE *fp;

	log_init(-2);
	if ((fp = fopen(path, "w")) == NULL)
		fatal("%s", path);
	if (fwrite(data, 1, size, fp) != size || fclose(fp) != 0)
		fatal("%s", path);
	(void)config_load(&c, path);
	config_free(&c);
	return 0;
}
