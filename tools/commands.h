/* Subcommands of the ccauth command that live in their own files.  Each returns the exit code
 * (0 ok, 1 refused or rejected, 2 usage or configuration error, 3 temporary failure). */
#ifndef CCAUTH_COMMANDS_H
#define CCAUTH_COMMANDS_H

#include "log.h"

/* ccauth [-c FILE] token [CLIENT]: print an access token (cached) on stdout.  config_path is the
 * file to load (already resolved by ccauth_config_default_path); log gets debug messages with -v. */
int ccauth_cmd_token(const char *config_path, const struct ccauth_log *log, int argc, char **argv);

#endif
