/*
 * cmd_unsubscribe.c - placeholder until the unsubscribe command lands.
 */
#include "cmd.h"
#include "dripmail.h"
#include "log.h"

int
cmd_unsubscribe(int argc, char **argv, struct app *app)
{
	(void)argc;
	(void)argv;
	(void)app;
	log_error("unsubscribe: not available in this build yet");
	return EXIT_SOFTWARE;
}
