/* Internal interface of libccauth.so (the Cyrus SASL plugin).  Nothing here is exported: the
 * library is built with -fvisibility=hidden and a version script, and only plugin_init.c marks
 * the two plug_init functions for export.
 *
 * Two mechanisms, OAUTHBEARER (RFC 7628) and XOAUTH2, each as a server and a client.  The shared
 * state of a side (configuration, validator or token context) lives in one heap object per
 * plug_init call, referenced by both mechanisms' glob_context; libsasl calls mech_free once per
 * mechanism, so the object counts those references.
 */
#ifndef CCAUTH_SASL_PLUGIN_H
#define CCAUTH_SASL_PLUGIN_H

#include <stddef.h>

#include <sasl/sasl.h>
#include <sasl/saslplug.h>

#include "error.h"
#include "log.h"

#define CCAUTH_SASL_OAUTHBEARER "OAUTHBEARER"
#define CCAUTH_SASL_XOAUTH2     "XOAUTH2"

/* Honest flags: the bearer token travels in clear inside the SASL exchange, so the mechanism is
 * neither NOPLAINTEXT nor NOACTIVE; a captured token is replayable (PASS_CREDENTIALS).  Clients
 * such as libldap (default secprops noplain) therefore need TLS underneath. */
#define CCAUTH_SASL_SEC_FLAGS (SASL_SEC_NOANONYMOUS | SASL_SEC_PASS_CREDENTIALS)
#define CCAUTH_SASL_FEATURES  (SASL_FEAT_WANT_CLIENT_FIRST | SASL_FEAT_ALLOWS_PROXY)

enum ccauth_sasl_mech { CCAUTH_MECH_OAUTHBEARER, CCAUTH_MECH_XOAUTH2 };

/* Called from plugin_init.c after the version check. */
int ccauth_sasl_server_plugs(const sasl_utils_t *utils, sasl_server_plug_t **pluglist, int *plugcount);
int ccauth_sasl_client_plugs(const sasl_utils_t *utils, sasl_client_plug_t **pluglist, int *plugcount);

/* A SASL option as a C string, or NULL when unset or empty ("plugin_name" is the mech name for
 * libsasl's per-mechanism lookup). */
const char *ccauth_sasl_getopt(const sasl_utils_t *utils, const char *option);

/* The one place a core status becomes a SASL result code. */
int ccauth_sasl_result(enum ccauth_status st);

/* Mark the exchange done with no security layer (neither mechanism has one). */
void ccauth_sasl_oparams_done(sasl_out_params_t *op);

/* Logging (issue #13): nothing reaches syslog behind the application's back.  The core's messages
 * go through a struct ccauth_log (ccauth_sasl_log_init) to the connection named by
 * ccauth_sasl_log_enter on this thread (ccauth_sasl_log_wants); with none, to libsasl's global
 * log, which is syslog, only at the global log_level. */
struct ccauth_sasl_log {
	struct ccauth_log log; /* hand &log to the core */
	const sasl_utils_t *utils;
	int level; /* the global log_level */
};

void ccauth_sasl_log_init(struct ccauth_sasl_log *l, const sasl_utils_t *utils);
void ccauth_sasl_log_enter(const sasl_utils_t *utils, int level);
void ccauth_sasl_log_leave(void);

/* Whether a line of this SASL level goes to a connection whose log_level is conn_level.  Errors
 * and authentication failures always do: the connection's log callback is the application's,
 * which filters them itself (slapd by its loglevel; libsasl's own syslog writer by log_level), and
 * they are rare.  Notes and debug lines, one per bind or per token, only when log_level asks,
 * and the caller checks before formatting them. */
int ccauth_sasl_log_wants(int conn_level, int level);

/* The log_level option (SASL_LOG_*; libsasl's default SASL_LOG_ERR when unset or unreadable). */
int ccauth_sasl_log_level(const sasl_utils_t *utils);

#endif
