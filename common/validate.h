/* Token validation: the issuer registry, the claims policy, and the validated-token cache.
 *
 * token -> JWT? -> iss (unverified, only to pick the entry) -> issuer entry -> key by kid/alg ->
 * signature -> claims policy -> identity mapping.  Opaque tokens (issue #3) go to introspection.
 * Any failed check rejects; nothing falls back to decoding without verifying.
 */
#ifndef CCAUTH_VALIDATE_H
#define CCAUTH_VALIDATE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "error.h"
#include "explain.h"
#include "identity.h"
#include "json.h"
#include "jws.h"
#include "log.h"
#include "map.h"

/* Check the claims of an already-authenticated token against one issuer's policy:
 * iss exact; exp required (integer), now <= exp + skew; nbf/iat integers when present, nbf <= now + skew;
 * aud (string or array of strings) contains one of ic->audience when configured; scope (a string, or
 * "scp" array) holds all of ic->required_scope; client_id/azp in ic->allowed_client_ids when set;
 * strict_rfc9068: typ at+jwt or application/at+jwt (case-insensitive), client_id, jti, iat required.
 * typ is the JWS header typ (NULL for introspection results). */
enum ccauth_status ccauth_validate_claims(const struct ccauth_issuer_conf *ic, const struct ccauth_json *claims,
					  const char *typ, int64_t now, int64_t skew, struct ccauth_error *err);

struct ccauth_validator;

struct ccauth_validator_opts {
	const char *const *issuers; /* NULL-terminated names to trust; NULL: every [issuer] */
	const struct ccauth_log *log; /* may be NULL */
	size_t cache_entries; /* validated-token cache capacity; 0: default (4096); SIZE_MAX: disabled */
};

/* Build the registry: for each trusted issuer, its key source (jwks_file now; jwks_uri and discovery
 * with issue #3).  cfg must outlive the validator. */
enum ccauth_status ccauth_validator_new(const struct ccauth_config *cfg, const struct ccauth_validator_opts *opts,
					struct ccauth_validator **out, struct ccauth_error *err);
void ccauth_validator_free(struct ccauth_validator *v);

/* Validate token (ptr,len) at time now (seconds since the epoch).  On success *out holds a reference
 * the caller releases.  Thread-safe: one validator serves all threads. */
enum ccauth_status ccauth_validate(struct ccauth_validator *v, const char *token, size_t len, int64_t now,
				   const struct ccauth_identity **out, struct ccauth_error *err);

/* What a front end's own scan of the token proved, so that its characters are scanned once per
 * authentication (the SASL codec classifies each byte while parsing the message). */
#define CCAUTH_TOKEN_SCAN_CHARS     0x1u /* every byte is in 0x21..0x7e (ccauth_token_chars_ok) */
#define CCAUTH_TOKEN_SCAN_JWT_CHARS 0x2u /* with _CHARS: every byte is base64url or '.'; without
					  * it, some byte is not: the token is not a compact JWS */

/* ccauth_validate for a token the caller has scanned: scan is CCAUTH_TOKEN_SCAN_* or 0 (0 is
 * ccauth_validate).  Only what scan sets is skipped; every other check runs. */
enum ccauth_status ccauth_validate_scanned(struct ccauth_validator *v, const char *token, size_t len, unsigned scan,
					   int64_t now, const struct ccauth_identity **out,
					   struct ccauth_error *err);

/* ccauth verify --explain: the checks of ccauth_validate, without the validated-token cache, each
 * reported to fn in order with the values compared; the claim checks go on after a failure so
 * that everything wrong shows.  The result is the first failure, the status ccauth_validate gives
 * the same token (a test holds them equal).  Nothing about the token beyond its JOSE header is
 * reported before its signature verified.  *out as ccauth_validate. */
enum ccauth_status ccauth_validate_explain(struct ccauth_validator *v, const char *token, size_t len, int64_t now,
					   ccauth_explain_fn fn, void *ctx, const struct ccauth_identity **out,
					   struct ccauth_error *err);

#endif
