/*
 * cmd_bounces.c - placeholder until the bounces command lands.
 */
#include "cmd.h"
#include "dripmail.h"
#include "log.h"

int
cmd_bounces(int argc, char **argv, struct app *app)
{
	(void)argc;
	(void)argv;
	(void)app;
	log_error("bounces: not available in this build yet");
	return EXIT_SOFTWARE;
}
