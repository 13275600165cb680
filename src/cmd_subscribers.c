/*
 * cmd_subscribers.c - placeholder until the subscribers command lands.
 */
#include "cmd.h"
#include "dripmail.h"
#include "log.h"

int
cmd_subscribers(int argc, char **argv, struct app *app)
{
	(void)argc;
	(void)argv;
	(void)app;
	log_error("subscribers: not available in this build yet");
	return EXIT_SOFTWARE;
}
