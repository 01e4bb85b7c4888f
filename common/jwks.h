/* A JSON Web Key Set, parsed once into prepared keys (EVP_PKEY and digests fetched once). */
#ifndef CCAUTH_JWKS_H
#define CCAUTH_JWKS_H

#include <stddef.h>
#include <openssl/evp.h>

#include "error.h"
#include "jwk.h"
#include "log.h"

#define CCAUTH_JWKS_MAX_BYTES (256 * 1024)
#define CCAUTH_JWKS_MAX_KEYS 64

struct ccauth_jwks {
	struct ccauth_jwk *keys;
	size_t nkeys;
	EVP_MD *md[3]; /* SHA-256, SHA-384, SHA-512 fetched at load time */
	int refs;      /* atomic reference count: a set is shared by readers while a refresh swaps it */
};

/* Parse a JWKS document.  Keys with "use":"enc", unsupported kty/crv/alg or broken members are
 * skipped with a LOG_WARNING naming their index/kid; the set fails only when the document itself
 * is malformed (not an object, no "keys" array, duplicate keys, ...).  A set with zero usable
 * keys is returned (nkeys == 0) - the caller decides.  refs starts at 1. */
enum ccauth_status ccauth_jwks_parse(const char *json, size_t len, const struct ccauth_log *log,
				     struct ccauth_jwks **out, struct ccauth_error *err);

/* Read a JWKS file (size-capped) and parse it. */
enum ccauth_status ccauth_jwks_load_file(const char *path, const struct ccauth_log *log, struct ccauth_jwks **out,
					 struct ccauth_error *err);

/* Find a key for (kid, alg).  kid may be NULL: then the key must be the only one usable for alg.
 * Returns NULL when no key matches. */
const struct ccauth_jwk *ccauth_jwks_find(const struct ccauth_jwks *set, const char *kid, size_t kidlen,
					  enum ccauth_alg alg);

/* The digest for alg, from the set's prefetched table (NULL for EdDSA). */
const EVP_MD *ccauth_jwks_md(const struct ccauth_jwks *set, enum ccauth_alg alg);

struct ccauth_jwks *ccauth_jwks_ref(struct ccauth_jwks *set);
void ccauth_jwks_unref(struct ccauth_jwks *set); /* NULL-safe; frees at zero */

#endif
