/* Authorization server metadata discovery.
 *
 * For issuer https://host/path: first RFC 8414 with path insertion,
 * https://host/.well-known/oauth-authorization-server/path, then the OIDC form
 * https://host/path/.well-known/openid-configuration.  The fallback is taken only when the first
 * URL gave an HTTP answer that is not a usable document (404, wrong type, bad JSON, other issuer);
 * a timeout or a TLS failure is not retried on the second URL, so the wait stays bounded.  The
 * document's "issuer" must equal the configured issuer exactly; token_endpoint, jwks_uri and
 * introspection_endpoint, when present, must be https URLs.
 *
 * Results are cached in memory and in the disk cache, fresh for Cache-Control max-age bounded to
 * [CCAUTH_DISCOVERY_TTL_MIN, CCAUTH_DISCOVERY_TTL_MAX] (default CCAUTH_DISCOVERY_TTL_DEFAULT),
 * then kept as a fallback for max_stale more seconds while the AS cannot be reached.
 */
#ifndef CCAUTH_DISCOVERY_H
#define CCAUTH_DISCOVERY_H

#include <stddef.h>
#include <time.h>

#include "cache.h"
#include "error.h"
#include "http.h"
#include "log.h"

#define CCAUTH_DISCOVERY_TTL_MIN     60
#define CCAUTH_DISCOVERY_TTL_MAX     86400
#define CCAUTH_DISCOVERY_TTL_DEFAULT 3600

struct ccauth_metadata {
	char *issuer;
	char *token_endpoint;         /* NULL when the document has none */
	char *jwks_uri;               /* NULL when the document has none */
	char *introspection_endpoint; /* NULL when the document has none */
	time_t expires;               /* fresh until */
	int from;                     /* where this copy came from: CCAUTH_META_NETWORK, _MEMORY, _DISK, _STALE */
};

enum { CCAUTH_META_NETWORK, CCAUTH_META_MEMORY, CCAUTH_META_DISK, CCAUTH_META_STALE };

struct ccauth_discovery;

/* http is required; cache and log may be NULL; both must outlive d.  max_stale: seconds an expired
 * document stays usable while fetching fails (e.g. the config's jwks_max_stale). */
enum ccauth_status ccauth_discovery_new(struct ccauth_http *http, struct ccauth_cache *cache,
                                        const struct ccauth_log *log, int max_stale, struct ccauth_discovery **out,
                                        struct ccauth_error *err);
void ccauth_discovery_free(struct ccauth_discovery *d);

/* Metadata for issuer (thread-safe).  *out is the caller's copy: ccauth_metadata_free. */
enum ccauth_status ccauth_discovery_get(struct ccauth_discovery *d, const char *issuer, struct ccauth_metadata **out,
                                        struct ccauth_error *err);

void ccauth_metadata_free(struct ccauth_metadata *m);

/* An endpoint of the AS, by the metadata member that names it. */
enum ccauth_endpoint { CCAUTH_ENDPOINT_TOKEN, CCAUTH_ENDPOINT_JWKS, CCAUTH_ENDPOINT_INTROSPECTION };

/* "Configured, else discovered": a copy of configured when it is not NULL, else of the URL the
 * metadata of issuer gives for which.  CCAUTH_OK with *out NULL when the metadata has none: the
 * caller says what that means for it.  Errors: those of ccauth_discovery_get, CCAUTH_E_NOMEM. */
enum ccauth_status ccauth_discovery_endpoint(struct ccauth_discovery *d, const char *issuer, const char *configured,
                                             enum ccauth_endpoint which, char **out, struct ccauth_error *err);

/* The two discovery URLs for an https issuer (malloc'd).  CCAUTH_E_CONFIG for an issuer that is
 * not https, has a query or fragment, or is too long. */
enum ccauth_status ccauth_discovery_urls(const char *issuer, char **rfc8414, char **oidc, struct ccauth_error *err);

/* Parse and check one document against the expected issuer. */
enum ccauth_status ccauth_metadata_parse(const char *issuer, const char *doc, size_t len, struct ccauth_metadata **out,
                                         struct ccauth_error *err);

/* Cache-Control max-age (-1 absent) to a bounded freshness in seconds. */
long ccauth_discovery_ttl(long max_age);

#endif
