/*
 * fuzz_bounce.c - libFuzzer entry point: the bounce classifier on arbitrary
 * bytes (`make fuzz`).  Any crash, leak or undefined behaviour is a bug.
 */
#include <stddef.h>
#include <stdint.h>

#include "bounce.h"
#include "log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const unsigned char key[32] = "fuzz key: not a secret, 32 bytes";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bounce_opts o = { key, sizeof(key), "unsubscribe@example.org" };
	struct bounce_result r;

	log_init(-2);
	bounce_classify(&o, (const char *)data, size, &r);
	for (size_t i = 0; i < r.n; i++)
		(void)bounce_kind_name(r.findings[i].kind);
	bounce_result_release(&r);
	return 0;
}
