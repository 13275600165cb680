/*
 * fuzz_bounce.c - libFuzzer entry point: the bounce classifier on arbitrary
 * bytes (`make fuzz`), and the verdict on the same bytes read as a reply
 * text (its first byte picks the SMTP step).  Seeds: the test bounces and
 * fuzz/corpus/bounce (SES JSON, forwarded reports, Sendmail transcripts).
 * Any crash, leak or undefined behaviour is a bug.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bounce.h"
#include "log.h"
#include "verdict.h"
#include "xmalloc.h"

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
	if (size > 0) {
		char *text = xmalloc(size);
		struct verdict v;

		memcpy(text, data + 1, size - 1);
		text[size - 1] = '\0';
		verdict_reply((enum smtp_step)(data[0] % 6), 0, NULL, text, &v);
		verdict_reply(SMTP_STEP_RCPT, 550, text, text, &v);
		free(text);
	}
	return 0;
}
