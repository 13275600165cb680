/*
 * cmd_preview.c - placeholder until the preview command lands.
 */
#include "cmd.h"
#include "dripmail.h"
#include "log.h"

int
cmd_preview(int argc, char **argv, struct app *app)
{
	(void)argc;
	(void)argv;
	(void)app;
	log_error("preview: not available in this build yet");
	return EXIT_SOFTWARE;
}
