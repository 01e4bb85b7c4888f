/* The OAuth 2.0 client-credentials grant (RFC 6749 §4.4) and the shared token cache.
 *
 * A struct ccauth_tokens is one context per process (or per PAM handle): it holds the HTTP
 * client, the discovery cache, the disk cache and a mutex-guarded memory cache.  All functions are
 * thread-safe.  A token is obtained from, in order: memory, the disk cache (cache_dir/uid-N, shared
 * by every process of the user), then the AS.  Before going to the AS a process takes the flock
 * of the token's cache key and reads the disk cache again, so that when many processes start at
 * once exactly one of them asks the AS; threads of one process wait for the one fetching.
 *
 * Lifetimes come from expires_in only (opaque tokens work).  A token is renewed after refresh_at
 * of its lifetime, a little earlier by a random jitter (up to CCAUTH_TOKEN_JITTER of the
 * lifetime), and never handed out within the safety margin before its expiry.  While the AS
 * cannot be reached, a token that is due for renewal but not yet expired is still used.
 *
 * Credentials are never logged or put in an error: only fingerprints (ccauth_fingerprint).
 */
#ifndef CCAUTH_TOKEN_H
#define CCAUTH_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "cache.h"
#include "config.h"
#include "discovery.h"
#include "error.h"
#include "http.h"
#include "log.h"

#define CCAUTH_TOKEN_SECRET_MAX       4096          /* bytes of a client secret */
#define CCAUTH_TOKEN_KEYFILE_MAX      (64 * 1024)   /* bytes of a private_key_jwt PEM file */
#define CCAUTH_TOKEN_DEFAULT_LIFETIME 300           /* expires_in absent */
#define CCAUTH_TOKEN_MAX_LIFETIME     (365 * 86400) /* expires_in above this is nonsense */
#define CCAUTH_TOKEN_SAFETY           30            /* seconds before expiry a token is not handed out */
#define CCAUTH_TOKEN_JITTER           0.05          /* fraction of the lifetime: renewal up to this much earlier */
#define CCAUTH_TOKEN_ASSERTION_TTL    60            /* private_key_jwt: exp = iat + this */
#define CCAUTH_TOKEN_DESC_MAX         100           /* characters of error_description kept */

/* ccauth_token_get flags */
#define CCAUTH_TOKEN_FORCE_NEW 0x1u /* skip memory and disk: always ask the AS (the result is cached) */

/* Where a token came from. */
enum { CCAUTH_TOKEN_FROM_NETWORK, CCAUTH_TOKEN_FROM_MEMORY, CCAUTH_TOKEN_FROM_DISK };

struct ccauth_token {
	char *access_token; /* NUL-terminated, printable ASCII without spaces; wiped by ccauth_token_free */
	size_t len;
	char *scope;     /* granted scope from the response, NULL when absent */
	int64_t issued;  /* when we received it (local clock) */
	int64_t refresh; /* renew from this time on (jitter included) */
	int64_t expires; /* issued + expires_in */
	int from;        /* CCAUTH_TOKEN_FROM_* */
};

struct ccauth_tokens_opts {
	const struct ccauth_log *log;       /* may be NULL; must outlive the context */
	struct ccauth_http *http;           /* borrowed; NULL: the context makes its own from cfg */
	struct ccauth_discovery *discovery; /* borrowed; NULL: its own */
	struct ccauth_cache *cache;         /* borrowed; NULL: its own from cfg->cache_dir ... */
	int memory_only;                    /* ... unless set: no disk cache at all */
};

struct ccauth_tokens;

/* cfg must outlive the context.  opts may be NULL.  A cache_dir that cannot be used is logged and
 * the context works from memory only (the disk cache only saves round trips). */
enum ccauth_status ccauth_tokens_new(const struct ccauth_config *cfg, const struct ccauth_tokens_opts *opts,
                                     struct ccauth_tokens **out, struct ccauth_error *err);
void ccauth_tokens_free(struct ccauth_tokens *t);

/* An access token for client (usually a section of the context's config; it must stay valid
 * during the call).  now: the current time (time(NULL)).  *out is the caller's copy.
 * Errors: CCAUTH_E_CONFIG (unreadable or loose secret/key file, bad key, no token endpoint),
 * CCAUTH_E_DENIED (the AS refused: "AS refused: invalid_client (description)"),
 * CCAUTH_E_UNAVAILABLE (network, TLS, timeout, a response that is not a valid token response),
 * CCAUTH_E_NOMEM. */
enum ccauth_status ccauth_token_get(struct ccauth_tokens *t, const struct ccauth_client_conf *client, int64_t now,
                                    unsigned flags, struct ccauth_token **out, struct ccauth_error *err);

/* The same with an explicit secret (secret, secretlen) instead of client_secret_file, for PAM
 * mode=secret (client_secret_basic or _post per client->auth_method).  Nothing is read from or
 * stored in any cache: each call proves the secret to the AS.  The caller wipes the secret. */
enum ccauth_status ccauth_token_get_with_secret(struct ccauth_tokens *t, const struct ccauth_client_conf *client,
                                                const char *secret, size_t secretlen, int64_t now,
                                                struct ccauth_token **out, struct ccauth_error *err);

/* Drop client's cached token from memory and disk (after the resource server said invalid_token). */
enum ccauth_status ccauth_token_invalidate(struct ccauth_tokens *t, const struct ccauth_client_conf *client,
                                           struct ccauth_error *err);

void ccauth_token_free(struct ccauth_token *tok); /* wipes; NULL-safe */

/* ---- pure parts, exported for the unit tests ---- */

/* application/x-www-form-urlencoded encoding of (s,len) (unreserved ALPHA DIGIT - . _ ~ kept, space
 * as %20, everything else %XX) appended to *buf (malloc'd, NUL-terminated, wiped when it grows);
 * *buflen is updated.  -1 on ENOMEM (then *buf is wiped and freed). */
int ccauth_token_form_append(char **buf, size_t *buflen, const char *s, size_t len);

/* "Basic " base64(urlencode(client_id) ":" urlencode(secret)), RFC 6749 §2.3.1.  Wipe *out. */
enum ccauth_status ccauth_token_basic_auth(const char *client_id, const char *secret, size_t secretlen, char **out,
                                           struct ccauth_error *err);

/* The request body: grant_type=client_credentials, then scope, audience, resource when set, then
 * for client_secret_post client_id and client_secret, for private_key_jwt client_assertion_type
 * and client_assertion, for tls_client_auth client_id.  Wipe *out (ccauth_free_secret(*out, *outlen)). */
enum ccauth_status ccauth_token_form(const struct ccauth_client_conf *client, const char *secret, size_t secretlen,
                                     const char *assertion, char **out, size_t *outlen, struct ccauth_error *err);

/* The cache key string from the configuration alone (length-prefixed token endpoint, client_id,
 * scope, audience, resource, auth_method and the paths of the credential files).  malloc'd.
 * Tokens are cached under it followed by "credential=" and the hex ccauth_token_credential_id();
 * the SHA-256 of that (ccauth_cache_key) names the disk file. */
char *ccauth_token_cache_key(const char *token_endpoint, const struct ccauth_client_conf *client, size_t *len);

/* The identity of client's credential: SHA-256 over a tag, the auth_method and the SHA-256 of the
 * content of each credential file (the secret; the private key; the certificate and its key),
 * each read and checked like for the token request.  Two sections that differ only in their
 * credential never share a cached token, and a rotated secret starts afresh; the secret itself is
 * never part of a key.  CCAUTH_E_CONFIG when a file is missing, unreadable or loose. */
enum ccauth_status ccauth_token_credential_id(const struct ccauth_client_conf *client, unsigned char out[32],
                                              struct ccauth_error *err);

/* When to renew a token issued at issued with lifetime seconds: issued + refresh_at * lifetime, minus
 * rnd % (CCAUTH_TOKEN_JITTER * lifetime + 1), never before issued and never after
 * ccauth_token_usable_until(). */
int64_t ccauth_token_refresh_time(int64_t issued, int64_t lifetime, double refresh_at, uint32_t rnd);

/* Last second a token expiring at expires (lifetime seconds long) is handed out: expires minus
 * min(CCAUTH_TOKEN_SAFETY, lifetime / 10). */
int64_t ccauth_token_usable_until(int64_t issued, int64_t expires);

/* Parse a 200 token response.  CCAUTH_E_UNAVAILABLE for anything that is not a valid Bearer token
 * response (the message names the member, never its value). */
enum ccauth_status ccauth_token_parse_response(const char *body, size_t len, int64_t now, double refresh_at,
                                               uint32_t rnd, const struct ccauth_log *log, struct ccauth_token **out,
                                               struct ccauth_error *err);

/* Turn a 400/401/403 JSON answer into CCAUTH_E_DENIED "AS refused: ERROR (DESCRIPTION)", with the
 * description reduced to printable ASCII and CCAUTH_TOKEN_DESC_MAX characters, and dropped when it
 * contains avoid (what we sent: the secret or the assertion; may be NULL).  No "error" member:
 * CCAUTH_E_UNAVAILABLE. */
enum ccauth_status ccauth_token_parse_error(long status, const char *body, size_t len, const char *avoid,
                                            size_t avoidlen, struct ccauth_error *err);

/* The same, dropping the description (and an error code) that contains any of navoid strings
 * (ptr, len) we sent: the secret raw and form-encoded, the Basic credentials, the assertion, the
 * token being introspected.  Empty or NULL entries are ignored. */
struct ccauth_avoid {
	const char *p;
	size_t len;
};
enum ccauth_status ccauth_token_parse_error_avoiding(long status, const char *body, size_t len,
                                                     const struct ccauth_avoid *avoid, size_t navoid,
                                                     struct ccauth_error *err);

/* A private_key_jwt client assertion (RFC 7523 §3) signed with pkey per client->signing_alg:
 * iss = sub = client_id, aud = token_endpoint, jti random, iat = now, exp = now + 60, kid from
 * key_id.  CCAUTH_E_CONFIG when the key cannot do the algorithm.  *out is malloc'd. */
enum ccauth_status ccauth_token_assertion(const struct ccauth_client_conf *client, const char *token_endpoint,
                                          EVP_PKEY *pkey, int64_t now, char **out, struct ccauth_error *err);

/* ---- client authentication for other endpoints (RFC 7662 introspection) ---- */

/* How a client authenticates one request to endpoint: a Basic header, form parameters
 * (client_id, client_secret or client_assertion_type + client_assertion with aud = endpoint, or
 * client_id alone for tls_client_auth), or a client certificate.  Everything here is secret. */
struct ccauth_client_auth {
	struct ccauth_http_cred cred; /* pass to ccauth_http_post_form; points into this struct */
	char *authorization;          /* owned by cred.authorization; NULL when not Basic */
	char *form;                   /* parameters to append after '&' ("" when none), NUL-terminated */
	size_t formlen, formcap;
};

/* Build the authentication of client (any auth_method) for a POST to endpoint at time now.  Reads
 * the secret or key file each time (checked like for the token request).  Wipe with
 * ccauth_client_auth_clear. */
enum ccauth_status ccauth_token_client_auth(const struct ccauth_client_conf *client, const char *endpoint, int64_t now,
                                            struct ccauth_client_auth *out, struct ccauth_error *err);
void ccauth_client_auth_clear(struct ccauth_client_auth *a); /* NULL-safe */

#endif
