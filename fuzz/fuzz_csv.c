/*
 * fuzz_csv.c - libFuzzer entry point: the import reader (libcsv wrapper,
 * header mapping) and its row checks on arbitrary bytes (`make fuzz`).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "csv.h"
#include "import.h"
#include "log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
on_record(struct csv_reader *r, struct csv_record *rec, void *arg)
{
	struct import_row *row = arg;

	(void)import_row_parse(r, rec, 1796115600, row);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct import_row row;
	struct csv_reader r;
	FILE *fp;

	log_init(-2);
	if (size == 0 || (fp = fmemopen((void *)data, size, "r")) == NULL)
		return 0;
	csv_init_fp(&r, fp, "fuzz.csv", 0);
	(void)csv_read(&r, on_record, &row);
	csv_close(&r);
	fclose(fp);
	return 0;
}
