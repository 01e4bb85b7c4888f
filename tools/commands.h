/* Subcommands of the ccauth command that live in their own files.  Each returns the exit code
 * (0 ok, 1 refused or rejected, 2 usage or configuration error, 3 temporary failure). */
#ifndef CCAUTH_COMMANDS_H
#define CCAUTH_COMMANDS_H

#include <time.h>

#include "config.h"
#include "discovery.h"
#include "http.h"
#include "log.h"

/* ccauth [-c FILE] token [CLIENT]: print an access token (cached) on stdout.  config_path is the
 * file to load (already resolved by ccauth_config_default_path); log gets debug messages with -v. */
int ccauth_cmd_token(const char *config_path, const struct ccauth_log *log, int argc, char **argv);

/* ccauth [-c FILE] discover URL: print the metadata of issuer URL as JSON (cmd_discover.c). */
int ccauth_cmd_discover(const char *config_path, const struct ccauth_log *log, int argc, char **argv);

/* ccauth [-c FILE] check [--token]: one "ok|warn|fail: ..." line per finding (cmd_check.c). */
int ccauth_cmd_check(const char *config_path, const struct ccauth_log *log, int argc, char **argv);

/* ccauth check: findings about an [issuer] under its profile (check_profile.c), through emit with
 * level 0 ok, 1 warn, 2 fail and one line of text. */
typedef void (*ccauth_check_emit)(void *ctx, int level, const char *msg);
struct ccauth_issuer_conf;
void ccauth_check_profile(const struct ccauth_issuer_conf *ic, ccauth_check_emit emit, void *ctx);

/* What one diagnostic GET saw, for ccauth discover and check (cmd_discover.c). */
struct ccauth_cmd_probe {
	long status;        /* HTTP status; 0: no HTTP answer (connect, TLS, timeout) */
	time_t date;        /* the Date header; 0 when absent */
	time_t received;    /* local clock when the answer was in */
	time_t cert_expiry; /* notAfter of the server's certificate; 0 unknown */
	char host[256];     /* host[:port] */
};

/* GET url with ccauth_http_get_certinfo and fill probe. */
enum ccauth_status ccauth_cmd_probe_get(struct ccauth_http *http, const char *url, struct ccauth_http_response *resp,
                                        struct ccauth_cmd_probe *probe, struct ccauth_error *err);

/* Discovery without a cache: RFC 8414 form, then OIDC (discovery.h rules).  *form: 0 RFC 8414,
 * 1 OIDC.  probe: the last URL asked.  An answer for another issuer is CCAUTH_E_UNAVAILABLE. */
enum ccauth_status ccauth_cmd_discover_issuer(struct ccauth_http *http, const char *issuer,
                                              struct ccauth_metadata **meta, int *form, struct ccauth_cmd_probe *probe,
                                              struct ccauth_error *err);

/* "rfc8414", "oidc" or "none" for a form from ccauth_cmd_discover_issuer. */
const char *ccauth_cmd_discovery_form(int form);

#endif
