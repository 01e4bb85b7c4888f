/* RFC 7662 token introspection, one struct ccauth_introspector per validator.
 *
 * A call POSTs token=...&token_type_hint=access_token to the issuer entry's introspection
 * endpoint (introspection_endpoint, else the issuer's metadata), authenticated as the entry's
 * introspection_client with that client's auth_method (any of the four, ccauth_token_client_auth).
 * The client may belong to another AS: global introspection (Duo) is just an entry whose
 * introspection_endpoint and introspection_client are the other AS's.
 *
 * The answer (ccauth_introspect_parse) counts only when "active" is the JSON boolean true (a
 * string "true", 1, null or a missing member is CCAUTH_E_INACTIVE); "iss", when present, must be
 * a string equal to the entry's issuer (else CCAUTH_E_ISSUER); "exp" is required, a JSON integer,
 * and now <= exp + skew (else CCAUTH_E_MALFORMED / CCAUTH_E_EXPIRED).  A body that is not a JSON
 * object is the AS answering nonsense: CCAUTH_E_UNAVAILABLE, as are network errors and a refusal
 * of our client credentials.  The claims policy and identity mapping are the validator's.
 *
 * Modes (introspect = never | opaque | always), decided here:
 *   never   the entry is never asked.
 *   opaque  opaque tokens are asked of it (entries with an introspection_client, in file order);
 *           its JWTs are validated locally only.  The default; without an introspection_client
 *           the entry simply takes no part in introspection.
 *   always  as opaque, and its JWTs are ALSO introspected: local validation first (signature,
 *           claims policy, mapping: a forged JWT never causes a request), then the AS is asked;
 *           both must pass.  The identity is the locally validated one (via "jwt").  This is how
 *           an RS learns about revoked JWTs.
 *
 * Cache: answers are remembered in memory keyed by SHA-256 of the token (never the token) and the
 * issuer entry: an active answer until min(exp, now + introspection_cache), a rejection (inactive,
 * iss mismatch, expired) for CCAUTH_INTROSPECT_NEG_TTL seconds; failures are not cached.  Bounded
 * (CCAUTH_INTROSPECT_SLOTS, direct-mapped) and thread-safe.
 */
#ifndef CCAUTH_INTROSPECT_H
#define CCAUTH_INTROSPECT_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "discovery.h"
#include "error.h"
#include "http.h"
#include "json.h"
#include "log.h"

#define CCAUTH_INTROSPECT_NEG_TTL 10
#define CCAUTH_INTROSPECT_SLOTS   1024

struct ccauth_introspector;

/* cfg, http, disc and log are borrowed and must outlive it.  No I/O. */
enum ccauth_status ccauth_introspector_new(const struct ccauth_config *cfg, struct ccauth_http *http,
                                           struct ccauth_discovery *disc, const struct ccauth_log *log,
                                           struct ccauth_introspector **out, struct ccauth_error *err);
void ccauth_introspector_free(struct ccauth_introspector *in); /* NULL-safe */

/* 1 when ic takes part in introspection (mode opaque or always, and an introspection_client). */
int ccauth_introspect_enabled(const struct ccauth_issuer_conf *ic);

/* Ask ic's AS about token (ptr,len) whose SHA-256 is md.  CCAUTH_OK: *doc holds the answer, already
 * checked by ccauth_introspect_parse (free with ccauth_json_free). */
enum ccauth_status ccauth_introspect(struct ccauth_introspector *in, const struct ccauth_issuer_conf *ic,
                                     const char *token, size_t len, const unsigned char md[32], int64_t now,
                                     int64_t skew, struct ccauth_json_doc **doc, struct ccauth_error *err);

/* ---- pure parts, exported for the unit tests ---- */

/* Check one answer (see above).  CCAUTH_OK: *doc holds it and *exp its exp. */
enum ccauth_status ccauth_introspect_parse(const struct ccauth_issuer_conf *ic, const char *body, size_t len,
                                           int64_t now, int64_t skew, struct ccauth_json_doc **doc, int64_t *exp,
                                           struct ccauth_error *err);

/* Until when an active answer may be reused: min(exp, now + cache_secs), never before now. */
int64_t ccauth_introspect_cache_until(int64_t now, int64_t exp, int cache_secs);

#endif
