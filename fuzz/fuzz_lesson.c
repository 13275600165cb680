/*
 * fuzz_lesson.c - libFuzzer entry point: a lesson file on arbitrary bytes,
 * parsed, its Markdown converted, both templates compiled (`make fuzz`).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lesson.h"
#include "log.h"
#include "markdown.h"
#include "mustache.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
compile(const char *text, int escape)
{
	struct mustache_opts o = { escape, NULL, NULL, NULL, NULL };
	struct mustache *m = NULL;
	json_t *data;
	struct buf out;
	char err[256];

	if (mustache_compile(text, strlen(text), &o, &m, err,
	    sizeof(err)) < 0)
		return;
	data = json_pack("{s:s}", "first_name", "Eve");
	buf_init(&out, 1 << 20);
	(void)mustache_render(m, data, &out);
	buf_release(&out);
	json_decref(data);
	mustache_free(m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lesson_file lf;
	char *html, *text;

	log_init(-2);
	if (size > LESSON_MAX)
		return 0;
	if (lesson_parse(&lf, "lessons/day1.md", (const char *)data, size,
	    1796115600) == 0) {
		md_convert(lf.body, lf.bodylen, data[0] & 1, &html, &text);
		compile(html, 1);
		compile(text, 0);
		free(html);
		free(text);
	}
	lesson_file_release(&lf);
	return 0;
}
