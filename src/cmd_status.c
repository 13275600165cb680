/*
 * cmd_status.c - placeholder until the status command lands.
 */
#include "cmd.h"
#include "dripmail.h"
#include "log.h"

int
cmd_status(int argc, char **argv, struct app *app)
{
	(void)argc;
	(void)argv;
	(void)app;
	log_error("status: not available in this build yet");
	return EXIT_SOFTWARE;
}
