/*
 * fuzz_tzif.c - libFuzzer entry point: tz_parse() on arbitrary bytes (a
 * TZif file with its POSIX TZ footer), then the handle at a few instants,
 * back from local time, and the changes over two centuries (`make fuzz`).
 */
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "tz.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const time_t at[] = { INT64_MIN, -2208988800LL, 0, 1796115600,
	    4102444800LL, 253402300799LL, INT64_MAX };
	time_t changes[64];
	struct tz *z;
	struct tm tm;

	if ((z = tz_parse("fuzz", data, size)) == NULL)
		return 0;
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		(void)tz_offset(z, at[i]);
		if (tz_to_local(z, at[i], &tm) == 0)
			(void)tz_from_local(z, &tm);
	}
	(void)tz_changes(z, -2208988800LL, 4102444800LL, changes, 64);
	tz_free(z);
	return 0;
}
