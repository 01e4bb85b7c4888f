/* ccauth token [CLIENT] (design.md "The ccauth command"): print an access token on stdout.
 *
 * The token comes from the shared cache when one is still fresh, else from the AS with the
 * client-credentials grant or an RFC 8693 token exchange, as the section says.  Only the token
 * and a newline go to stdout, so that TOKEN=$(ccauth token) works; everything else goes to stderr
 * and never holds a credential. */
#include "autoconf.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "config.h"
#include "token.h"

enum { EXIT_DENIED = 1, EXIT_USAGE = 2, EXIT_TEMPFAIL = 3 };

static const char token_usage[] =
    "usage: ccauth [-c FILE] token [CLIENT]\n"
    "\n"
    "Print an access token for the [client CLIENT] section (without CLIENT: the only [client]\n"
    "section) on stdout, from the cache while it is fresh, else from the authorization server.\n"
    "\n"
    "exit status: 0 token printed; 1 the authorization server refused the request (invalid_client,\n"
    "invalid_scope, unauthorized_client, ...); 2 usage or configuration error (including a secret\n"
    "or key file readable by others, and an assertion or subject-token file that is missing, not a\n"
    "JWT or expired); 3 the authorization server or an assertion URL could not be reached or\n"
    "answered nonsense (temporary: retry later).\n";

static int token_exit(enum ccauth_status st)
{
	switch (st) {
	case CCAUTH_OK:
		return 0;
	case CCAUTH_E_DENIED:
		return EXIT_DENIED;
	case CCAUTH_E_CONFIG:
		return EXIT_USAGE;
	default:
		return EXIT_TEMPFAIL;
	}
}

static int token_fail(enum ccauth_status st, const struct ccauth_error *err)
{
	fprintf(stderr, "ccauth: %s: %s\n", ccauth_status_reason(st), err->msg[0] != '\0' ? err->msg : "failed");
	return token_exit(st);
}

/* Names of the [client] sections are not secret; listing them helps to pick one. */
static int pick_client(const struct ccauth_config *cfg, const char *name, const struct ccauth_client_conf **out)
{
	if (name != NULL) {
		*out = ccauth_config_client(cfg, name);
		if (*out == NULL) {
			fprintf(stderr, "ccauth: token: no [client] section of that name in %s\n", cfg->path);
			return EXIT_USAGE;
		}
		return 0;
	}
	if (cfg->nclients == 1) {
		*out = &cfg->clients[0];
		return 0;
	}
	if (cfg->nclients == 0) {
		fprintf(stderr, "ccauth: token: %s has no [client] section\n", cfg->path);
		return EXIT_USAGE;
	}
	fprintf(stderr, "ccauth: token: %s has %zu [client] sections; name one:", cfg->path, cfg->nclients);
	for (size_t i = 0; i < cfg->nclients && i < 16; i++)
		fprintf(stderr, " %s", cfg->clients[i].name);
	fprintf(stderr, "%s\n", cfg->nclients > 16 ? " ..." : "");
	return EXIT_USAGE;
}

int ccauth_cmd_token(const char *config_path, const struct ccauth_log *log, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const struct ccauth_client_conf *client = NULL;
	struct ccauth_tokens_opts opts = {.log = log};
	struct ccauth_config *cfg = NULL;
	struct ccauth_tokens *tokens = NULL;
	struct ccauth_token *tok = NULL;
	struct ccauth_error err = {0};
	enum ccauth_status st;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		if (c == 'h') {
			fputs(token_usage, stdout);
			return 0;
		}
		fputs("ccauth: token: bad option\nTry 'ccauth token --help'.\n", stderr);
		return EXIT_USAGE;
	}
	if (argc - optind > 1) {
		fputs("ccauth: token: one CLIENT at most\nTry 'ccauth token --help'.\n", stderr);
		return EXIT_USAGE;
	}

	if ((st = ccauth_config_load(config_path, &cfg, &err)) != CCAUTH_OK)
		return token_fail(st, &err);
	if ((rc = pick_client(cfg, argc - optind == 1 ? argv[optind] : NULL, &client)) != 0)
		goto out;
	if ((st = ccauth_tokens_new(cfg, &opts, &tokens, &err)) != CCAUTH_OK ||
	    (st = ccauth_token_get(tokens, client, (int64_t)time(NULL), 0, &tok, &err)) != CCAUTH_OK) {
		rc = token_fail(st, &err);
		goto out;
	}
	rc = 0;
	if (fwrite(tok->access_token, 1, tok->len, stdout) != tok->len || fputc('\n', stdout) == EOF ||
	    fflush(stdout) != 0) {
		fputs("ccauth: token: cannot write the token\n", stderr);
		rc = EXIT_TEMPFAIL;
	}
out:
	ccauth_token_free(tok);
	ccauth_tokens_free(tokens);
	ccauth_config_free(cfg);
	return rc;
}
