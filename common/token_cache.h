/* Where tokens are cached: the cache key, and the disk entries shared by the processes of a user
 * (cache.c holds the files and the cross-process lock; token.c the memory cache). */
#ifndef CCAUTH_TOKEN_CACHE_H
#define CCAUTH_TOKEN_CACHE_H

#include <stddef.h>

#include "cache.h"
#include "config.h"
#include "error.h"
#include "log.h"
#include <time.h>

#include "token_response.h"

/* The cache key string from the configuration alone (length-prefixed token endpoint, client_id,
 * scope, audience, resource, auth_method and the paths of the credential files).  malloc'd.
 * Tokens are cached under it followed by "credential=" and the hex ccauth_token_credential_id();
 * the SHA-256 of that (ccauth_cache_key) names the disk file. */
char *ccauth_token_cache_key(const char *token_endpoint, const struct ccauth_client_conf *client, size_t *len);

/* The key a token is cached under: ccauth_token_cache_key() and the credential id.  Wipe it
 * (ccauth_free_secret(*out, *outlen + 1)): it holds a hash of the secret. */
enum ccauth_status ccauth_token_cache_full_key(const char *endpoint, const struct ccauth_client_conf *client,
                                               char **out, size_t *outlen, struct ccauth_error *err);

/* The token cached on disk under key, or NULL (none, cache NULL, or a malformed entry: logged). */
struct ccauth_token *ccauth_token_disk_load(struct ccauth_cache *cache, const struct ccauth_log *log, const char *key,
                                            size_t keylen);
/* The data of a disk entry (JSON: v, issued, refresh, expires, access_token, scope) as a token, or
 * NULL when anything is missing, of the wrong type or inconsistent.  Exposed for the fuzz target. */
struct ccauth_token *ccauth_token_disk_decode(const char *data, size_t len);

/* Store tok under key until its refresh time (best effort: a failure is logged). */
void ccauth_token_disk_store(struct ccauth_cache *cache, const struct ccauth_log *log, const char *key, size_t keylen,
                             const struct ccauth_token *tok);

/* The failure marker of key: a fetch under the cross-process lock failed as "unavailable" at some
 * time; those who were waiting for that fetch share its failure instead of asking the AS again.
 * _mark_failed records now (best effort, kept on disk for a minute); _failed_since is 1 when the
 * last failure was at or after since. */
void ccauth_token_disk_mark_failed(struct ccauth_cache *cache, const struct ccauth_log *log, const char *key,
                                   size_t keylen);
int ccauth_token_disk_failed_since(struct ccauth_cache *cache, const char *key, size_t keylen, time_t since);

#endif
