/*
 * cmd_render.c - placeholder until the render command lands.
 */
#include "cmd.h"
#include "dripmail.h"
#include "log.h"

int
cmd_render(int argc, char **argv, struct app *app)
{
	(void)argc;
	(void)argv;
	(void)app;
	log_error("render: not available in this build yet");
	return EXIT_SOFTWARE;
}
