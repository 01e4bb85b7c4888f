/* The ccauth command (design.md "The ccauth command").
 * Exit codes: 0 ok, 1 token rejected, 2 usage or configuration error, 3 temporary failure. */
#include "autoconf.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h> /* not common/json.h */

#include "commands.h"
#include "config.h"
#include "jws.h"
#include "util.h"
#include "validate.h"

enum { EXIT_REJECTED = 1, EXIT_USAGE = 2, EXIT_TEMPFAIL = 3 };

static const char usage_text[] =
    "usage: ccauth [-v] [-c FILE] COMMAND [ARGS]\n"
    "       ccauth --help | --version\n"
    "\n"
    "commands:\n"
    "  verify [-i ISSUER]... [--explain] [TOKEN|-]\n"
    "                                   validate an access token (from stdin when TOKEN is absent or -)\n"
    "                                   and print the identity as JSON; --explain first prints every check\n"
    "                                   in order with the values compared\n"
    "  token [CLIENT]                   print an access token (exit 1: the AS refused; see token --help)\n"
    "  discover URL                     print the AS metadata of issuer URL as JSON (exit 3: unreachable,\n"
    "                                   or nonsense such as another issuer's document; see discover --help)\n"
    "  check [--token]                  check config, files, endpoints, keys, clock: one ok/warn/fail line\n"
    "                                   per finding; exit 1 when any fails (see check --help)\n"
    "\n"
    "options:\n"
    "  -c, --config FILE   configuration file (default: $CCAUTH_CONF, else " CCAUTH_DEFAULT_CONFIG ")\n"
    "  -v, --verbose       debug messages on stderr\n"
    "  -h, --help          this text\n"
    "  -V, --version       the version\n"
    "\n"
    "verify exits 0 when the token is valid, 1 when it is rejected (\"ccauth: rejected: REASON: detail\"),\n"
    "2 on a usage or configuration error, 3 when a temporary failure prevented a decision.\n";

#define STR_(x) #x
#define STR(x)  STR_(x)

/* Never echoes an argument: a token pasted in the wrong place must not end up in a log. */
static int usage_error(const char *msg)
{
	fprintf(stderr, "ccauth: %s\nTry 'ccauth --help'.\n", msg);
	return EXIT_USAGE;
}

static void log_stderr(void *ctx, int priority, const char *msg)
{
	const char *level = priority <= LOG_WARNING ? "warning" : priority == LOG_DEBUG ? "debug" : "info";

	(void)ctx;
	fprintf(stderr, "ccauth: %s: %s\n", level, msg);
}

static int exit_code(enum ccauth_status st)
{
	if (st == CCAUTH_OK)
		return 0;
	/* denied: the AS refused our introspection credentials; a definite no, not an outage */
	if (ccauth_status_is_rejection(st) || st == CCAUTH_E_DENIED)
		return EXIT_REJECTED;
	if (st == CCAUTH_E_CONFIG)
		return EXIT_USAGE;
	return EXIT_TEMPFAIL;
}

/* A failure that is not about the token: "ccauth: config: msg", exit 2 or 3. */
static int fail(enum ccauth_status st, const struct ccauth_error *err)
{
	fprintf(stderr, "ccauth: %s: %s\n", ccauth_status_reason(st), err->msg[0] ? err->msg : "failed");
	return exit_code(st);
}

static int reject(enum ccauth_status st, const char *msg)
{
	fprintf(stderr, "ccauth: rejected: %s: %s\n", ccauth_status_reason(st), msg);
	return EXIT_REJECTED;
}

/* Read the token from stdin: at most CCAUTH_TOKEN_MAX + 2 bytes (room for "\r\n").
 * Returns 0, or 1 when the input is too long, -1 on a read error. */
static int read_token(char **out, size_t *outlen)
{
	const size_t cap = CCAUTH_TOKEN_MAX + 3;
	char *buf = malloc(cap);
	size_t n = 0;

	*out = NULL;
	*outlen = 0;
	if (buf == NULL)
		return -1;
	while (n < cap) {
		ssize_t r = read(STDIN_FILENO, buf + n, cap - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ccauth_free_secret(buf, cap);
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > CCAUTH_TOKEN_MAX + 2) {
		ccauth_free_secret(buf, cap);
		return 1;
	}
	if (n > 0 && buf[n - 1] == '\n') {
		n--;
		if (n > 0 && buf[n - 1] == '\r')
			n--;
	}
	*out = buf;
	*outlen = n;
	return 0;
}

static void add_str(struct json_object *o, const char *key, const char *val)
{
	json_object_object_add(o, key, val != NULL ? json_object_new_string(val) : NULL);
}

static int print_identity(const struct ccauth_identity *id)
{
	struct json_object *o = json_object_new_object(), *aud = json_object_new_array();
	const char *s;
	int rc = 0;

	if (o == NULL || aud == NULL) {
		json_object_put(o);
		json_object_put(aud);
		return -1;
	}
	add_str(o, "user", id->user);
	add_str(o, "iss", id->iss);
	add_str(o, "sub", id->sub);
	add_str(o, "client_id", id->client_id);
	for (size_t i = 0; i < id->naud; i++)
		json_object_array_add(aud, json_object_new_string(id->aud[i]));
	json_object_object_add(o, "aud", aud);
	add_str(o, "scope", id->scope);
	json_object_object_add(o, "exp", json_object_new_int64(id->exp));
	add_str(o, "via", id->via == CCAUTH_VIA_JWT ? "jwt" : "introspection");
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s == NULL || printf("%s\n", s) < 0 || fflush(stdout) != 0)
		rc = -1;
	json_object_put(o);
	return rc;
}

#define MAX_ISSUER_ARGS 64

/* One line per check: name, what was compared, then a check mark, a cross and the reason, or a
 * dash for a check that could not be made.  Details come from common/explain.h: never the token. */
static void print_step(void *ctx, const struct ccauth_explain_step *s)
{
	int *failed = ctx;

	if (s->skipped) {
		printf("%-11s %s  -\n", s->check, s->detail);
	} else if (s->status == CCAUTH_OK) {
		printf("%-11s %s  \u2714\n", s->check, s->detail);
	} else {
		*failed = 1;
		printf("%-11s %s  \u2717 %s\n", s->check, s->detail, ccauth_status_reason(s->status));
	}
}

/* --explain: the verdict is ccauth_validate's; the report comes from the same checks run again.
 * If they ever disagreed, the token is refused. */
static enum ccauth_status explain(struct ccauth_validator *v, const char *token, size_t len, int64_t now,
                                  enum ccauth_status verdict, struct ccauth_error *err)
{
	const struct ccauth_identity *id = NULL;
	struct ccauth_error xerr = {0};
	enum ccauth_status st;
	int failed = 0;

	st = ccauth_validate_explain(v, token, len, now, print_step, &failed, &id, &xerr);
	ccauth_identity_release(id);
	if (fflush(stdout) != 0)
		return ccauth_error_set(err, CCAUTH_E_INTERNAL, "cannot write the explanation");
	if (verdict == CCAUTH_OK && (st != CCAUTH_OK || failed))
		return ccauth_error_set(err, st != CCAUTH_OK ? st : CCAUTH_E_INTERNAL,
		                        "--explain found a failed check: %s", xerr.msg);
	return verdict;
}

static int cmd_verify(const char *config_path, const struct ccauth_log *log, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"issuer", required_argument, NULL, 'i'},
	    {"explain", no_argument, NULL, 'x'},
	    {NULL, 0, NULL, 0},
	};
	const char *issuers[MAX_ISSUER_ARGS + 1];
	int do_explain = 0;
	int64_t now;
	size_t nissuers = 0, toklen = 0;
	struct ccauth_validator_opts opts = {0};
	struct ccauth_config *cfg = NULL;
	struct ccauth_validator *v = NULL;
	const struct ccauth_identity *id = NULL;
	struct ccauth_error err = {0};
	char *stdin_buf = NULL;
	const char *token;
	enum ccauth_status st;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+i:", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (nissuers == MAX_ISSUER_ARGS)
				return usage_error("verify: too many -i options");
			issuers[nissuers++] = optarg;
			break;
		case 'x':
			do_explain = 1;
			break;
		default:
			return usage_error("verify: bad option");
		}
	}
	issuers[nissuers] = NULL;
	if (argc - optind > 1)
		return usage_error("verify: one token at most");

	if (argc - optind == 1 && strcmp(argv[optind], "-") != 0) {
		token = argv[optind];
		toklen = strlen(token);
	} else {
		rc = read_token(&stdin_buf, &toklen);
		if (rc > 0)
			return reject(CCAUTH_E_MALFORMED, "token longer than " STR(CCAUTH_TOKEN_MAX) " bytes");
		if (rc < 0) {
			fprintf(stderr, "ccauth: cannot read the token from stdin\n");
			return EXIT_TEMPFAIL;
		}
		token = stdin_buf;
	}

	st = ccauth_config_load(config_path, &cfg, &err);
	if (st != CCAUTH_OK) {
		rc = fail(st, &err);
		goto out;
	}
	opts.issuers = nissuers > 0 ? issuers : NULL;
	opts.log = log;
	opts.cache_entries = SIZE_MAX; /* one token: a cache would only cost */
	st = ccauth_validator_new(cfg, &opts, &v, &err);
	if (st != CCAUTH_OK) {
		rc = fail(st, &err);
		goto out;
	}
	now = (int64_t)time(NULL);
	st = ccauth_validate(v, token, toklen, now, &id, &err);
	if (do_explain && st != CCAUTH_E_NOMEM)
		st = explain(v, token, toklen, now, st, &err);
	if (st == CCAUTH_OK) {
		rc = print_identity(id) == 0 ? 0 : EXIT_TEMPFAIL;
		if (rc != 0)
			fprintf(stderr, "ccauth: cannot write the result\n");
	} else if (ccauth_status_is_rejection(st)) {
		rc = reject(st, err.msg);
	} else {
		rc = fail(st, &err);
	}
out:
	ccauth_identity_release(id);
	ccauth_validator_free(v);
	ccauth_config_free(cfg);
	if (stdin_buf != NULL)
		ccauth_free_secret(stdin_buf, CCAUTH_TOKEN_MAX + 3);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	struct ccauth_log log = {.fn = log_stderr};
	const char *config = NULL, *cmd;
	int c;

	while ((c = getopt_long(argc, argv, "+c:vhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'v':
			log.debug = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'V':
			printf("ccauth %s\n", PACKAGE_VERSION);
			return 0;
		default:
			return usage_error("bad option");
		}
	}
	if (optind >= argc)
		return usage_error("no command given");
	cmd = argv[optind];
	argc -= optind;
	argv += optind;
	config = ccauth_config_default_path(config);

	if (strcmp(cmd, "verify") == 0)
		return cmd_verify(config, &log, argc, argv);
	if (strcmp(cmd, "token") == 0)
		return ccauth_cmd_token(config, &log, argc, argv);
	if (strcmp(cmd, "discover") == 0)
		return ccauth_cmd_discover(config, &log, argc, argv);
	if (strcmp(cmd, "check") == 0)
		return ccauth_cmd_check(config, &log, argc, argv);
	return usage_error("unknown command");
}
