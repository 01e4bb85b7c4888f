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
#include "client_auth.h"
#include "config.h"
#include "discovery.h"
#include "error.h"
#include "http.h"
#include "log.h"
#include "token_cache.h"
#include "token_response.h"

/* ccauth_token_get flags */
#define CCAUTH_TOKEN_FORCE_NEW 0x1u /* skip memory and disk: always ask the AS (the result is cached) */

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

#endif
