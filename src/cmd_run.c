/*
 * cmd_run.c - placeholder until the run command lands.
 */
#include "cmd.h"
#include "dripmail.h"
#include "log.h"

int
cmd_run(int argc, char **argv, struct app *app)
{
	(void)argc;
	(void)argv;
	(void)app;
	log_error("run: not available in this build yet");
	return EXIT_SOFTWARE;
}
