/*
 * cmd_import.c - placeholder until the import command lands.
 */
#include "cmd.h"
#include "dripmail.h"
#include "log.h"

int
cmd_import(int argc, char **argv, struct app *app)
{
	(void)argc;
	(void)argv;
	(void)app;
	log_error("import: not available in this build yet");
	return EXIT_SOFTWARE;
}
