/* The configuration file (design.md "The configuration file"): INI, [global], [client NAME],
 * [issuer NAME].  Every key is parsed and validated at load time; an error names file:line. */
#ifndef CCAUTH_CONFIG_H
#define CCAUTH_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "config_value.h"
#include "error.h"
#include "log.h"

struct ccauth_usermap;

#define CCAUTH_CONFIG_MAX_BYTES (1024 * 1024)
#define CCAUTH_CONFIG_MAX_LINE 4096
#define CCAUTH_CONFIG_MAX_DROPINS 256

enum ccauth_auth_method {
	CCAUTH_AUTH_CLIENT_SECRET_BASIC,
	CCAUTH_AUTH_CLIENT_SECRET_POST,
	CCAUTH_AUTH_PRIVATE_KEY_JWT,
	CCAUTH_AUTH_TLS_CLIENT_AUTH,
	CCAUTH_AUTH_CLIENT_ASSERTION, /* a JWT someone else issued (doc/secretless.md) */
	CCAUTH_AUTH_NONE,             /* no client authentication: grant = token_exchange only */
};

enum ccauth_grant { CCAUTH_GRANT_CLIENT_CREDENTIALS, CCAUTH_GRANT_TOKEN_EXCHANGE };

/* client_assertion_type: the URNs urn:ietf:params:oauth:client-assertion-type:jwt-bearer (RFC 7523)
 * and ...:jwt-spiffe (draft-ietf-oauth-spiffe-client-auth) */
enum ccauth_assertion_type { CCAUTH_ASSERTION_JWT_BEARER, CCAUTH_ASSERTION_JWT_SPIFFE };

/* subject_token_type: urn:ietf:params:oauth:token-type:jwt, ...:access_token, ...:id_token */
enum ccauth_subject_type { CCAUTH_SUBJECT_JWT, CCAUTH_SUBJECT_ACCESS_TOKEN, CCAUTH_SUBJECT_ID_TOKEN };

/* assertion_audience: aud of a private_key_jwt assertion (RFC 10070: the issuer identifier) */
enum ccauth_assertion_aud { CCAUTH_ASSERTION_AUD_ISSUER, CCAUTH_ASSERTION_AUD_TOKEN_ENDPOINT };

#define CCAUTH_CONFIG_MAX_KEYS 32 /* keys per section table */

enum ccauth_introspect_mode { CCAUTH_INTROSPECT_NEVER, CCAUTH_INTROSPECT_OPAQUE, CCAUTH_INTROSPECT_ALWAYS };

struct ccauth_client_conf {
	char *name;
	int line;    /* line of the [client NAME] header */
	size_t file; /* in ccauth_config.files */
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
	int grant;         /* enum ccauth_grant */
	char *client_assertion_file;
	char *client_assertion_url;           /* https URL, or "env:NAME" */
	char *client_assertion_token_env;
	char *client_assertion_audience;      /* NULL: the issuer */
	int client_assertion_type;            /* enum ccauth_assertion_type */
	char *subject_token_file;
	int subject_token_type;               /* enum ccauth_subject_type */
	char *requested_token_type;           /* NULL: urn:ietf:params:oauth:token-type:access_token */
	int assertion_audience;               /* enum ccauth_assertion_aud */
	int key_line[CCAUTH_CONFIG_MAX_KEYS]; /* line of each key set (index in config.c's table), 0: unset */
};

struct ccauth_issuer_conf {
	char *name;
	int line;
	size_t file; /* in ccauth_config.files */
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
	struct ccauth_strlist username_claim; /* default: from the profile (generic: client_id azp sub) */
	char *username_template;              /* default "%s" */
	/* authorization-server profile (profile.h, doc/as/): the defaults of the next three */
	int profile;                            /* enum ccauth_profile, default generic */
	struct ccauth_strlist client_id_claims; /* claims naming the client, first present wins */
	struct ccauth_strlist scope_claims;     /* claims holding granted scopes: strings or arrays */
	char *token_type_claim;                 /* token_type = CLAIM VALUE: CLAIM must be VALUE */
	char *token_type_value;                 /* both NULL: no token type check */
	int token_type_set;                     /* token_type was written (possibly "none") */
	char *username_map;                     /* path of the username_map file */
	struct ccauth_usermap *usermap;         /* loaded with the configuration */
};

struct ccauth_config {
	char *path;   /* the main file */
	char **files; /* the main file, then the drop-ins read */
	size_t nfiles;
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

/* Load path (NULL: $CCAUTH_CONF, else the compiled-in default), then the drop-ins: the files
 * ending in .conf in the directory conf.d next to the main file, in bytewise order: one configuration, each file starting outside any
 * section, errors naming file:line.  Every file (and conf.d) must be owned by root or the effective
 * uid and not writable by group or others; so must an existing ca_file or ca_path.  Credential files
 * are not looked at: the process that uses a [client] checks its files when it reads them
 * (credfile.h).  Cross-checks: unique section names across the files, introspection_client names an
 * existing [client], an [issuer] has a key source (jwks_file, jwks_uri, or an https issuer for
 * discovery). */
enum ccauth_status ccauth_config_load(const char *path, struct ccauth_config **out, struct ccauth_error *err);

/* Parse a buffer; name is used in messages as "name:line".  No file permission checks, no drop-ins.
 * For tests and fuzzing. */
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
