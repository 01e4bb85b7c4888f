/* The configuration file (design.md "The configuration file"): INI, [global], [client NAME],
 * [issuer NAME].  Every key is parsed and validated at load time; an error names file:line. */
#ifndef CCAUTH_CONFIG_H
#define CCAUTH_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "config_value.h"
#include "error.h"
#include "log.h"

#define CCAUTH_CONFIG_MAX_BYTES (1024 * 1024)
#define CCAUTH_CONFIG_MAX_LINE 4096

enum ccauth_auth_method {
	CCAUTH_AUTH_CLIENT_SECRET_BASIC,
	CCAUTH_AUTH_CLIENT_SECRET_POST,
	CCAUTH_AUTH_PRIVATE_KEY_JWT,
	CCAUTH_AUTH_TLS_CLIENT_AUTH,
};

enum ccauth_introspect_mode { CCAUTH_INTROSPECT_NEVER, CCAUTH_INTROSPECT_OPAQUE, CCAUTH_INTROSPECT_ALWAYS };

struct ccauth_client_conf {
	char *name;
	int line; /* line of the [client NAME] header */
	char *issuer;
	char *token_endpoint;
	char *client_id;
	enum ccauth_auth_method auth_method;
	char *client_secret_file;
	char *private_key_file;
	char *key_id;
	int signing_alg; /* enum ccauth_alg; default RS256 */
	char *tls_cert_file;
	char *tls_key_file;
	char *scope;
	char *audience;
	char *resource;
	double refresh_at; /* (0,1], default 0.8 */
};

struct ccauth_issuer_conf {
	char *name;
	int line;
	char *issuer;
	char *jwks_uri;
	char *jwks_file;
	char *introspection_endpoint;
	enum ccauth_introspect_mode introspect; /* default opaque */
	char *introspection_client;             /* name of a [client] section, may be NULL */
	struct ccauth_strlist audience;
	struct ccauth_strlist required_scope;
	struct ccauth_strlist allowed_client_ids;
	unsigned algorithms; /* bitmask of CCAUTH_ALG_BIT(); default CCAUTH_ALG_ALL */
	int strict_rfc9068;
	struct ccauth_strlist username_claim; /* default: client_id azp sub */
	char *username_template;              /* default "%s" */
};

struct ccauth_config {
	char *path;
	/* [global] */
	char *ca_file;
	char *ca_path;
	int timeout;          /* seconds, 1..300, default 5 */
	int connect_timeout;  /* seconds, default min(timeout, 3) */
	int clock_skew;       /* seconds, 0..300, default 60 */
	char *cache_dir;      /* default /var/cache/ccauth; "" = memory only */
	int jwks_min_refresh; /* seconds, default 60 */
	int jwks_max_stale;   /* seconds, default 86400 */
	int introspection_cache; /* seconds, max positive introspection cache life, default 60 */
	char *proxy;          /* NULL: no proxy; "env": environment; else a URL */

	/* [global] identity safety where a token becomes a local account (account.h) */
	struct ccauth_strlist deny_users;  /* default: root */
	struct ccauth_strlist allow_users; /* default: none */
	int min_uid;                       /* -1 (default): UID_MIN of /etc/login.defs, else 1000 */

	struct ccauth_client_conf *clients;
	size_t nclients;
	struct ccauth_issuer_conf *issuers;
	size_t nissuers;
};

/* Load path (NULL: $CCAUTH_CONF, else the compiled-in default).  Refuses a file writable by group or
 * others or owned by someone other than root or the effective uid, and secret files
 * (client_secret_file, private_key_file, tls_key_file) readable by group or others or owned by
 * another user (not root or the effective uid), and an existing ca_file or ca_path (the directory)
 * writable by group or others or owned by another user.  Cross-checks:
 * unique section names, introspection_client names an existing [client], an [issuer] has a key
 * source (jwks_file, jwks_uri, or an https issuer for discovery). */
enum ccauth_status ccauth_config_load(const char *path, struct ccauth_config **out, struct ccauth_error *err);

/* Parse a buffer; name is used in messages as "name:line".  No file permission checks on the
 * config itself (secret files are still checked).  For tests and fuzzing. */
enum ccauth_status ccauth_config_parse(const char *buf, size_t len, const char *name, struct ccauth_config **out,
				       struct ccauth_error *err);

void ccauth_config_free(struct ccauth_config *cfg);

const struct ccauth_client_conf *ccauth_config_client(const struct ccauth_config *cfg, const char *name);
const struct ccauth_issuer_conf *ccauth_config_issuer(const struct ccauth_config *cfg, const char *name);
/* The [issuer] whose issuer string equals iss exactly (iss is (ptr,len)), or NULL. */
const struct ccauth_issuer_conf *ccauth_config_issuer_by_iss(const struct ccauth_config *cfg, const char *iss,
							     size_t isslen);

/* Path of the config file to use: explicit, else $CCAUTH_CONF, else the default. */
const char *ccauth_config_default_path(const char *explicit_path);

#endif
