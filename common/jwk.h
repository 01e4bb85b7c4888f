/* JWS algorithms and JSON Web Keys (RFC 7517/7518/8037) turned into ready-to-use EVP_PKEYs. */
#ifndef CCAUTH_JWK_H
#define CCAUTH_JWK_H

#include <stddef.h>
#include <openssl/evp.h>

#include "error.h"
#include "json.h"

/* The only algorithms ccauth ever verifies.  "none" and HS* have no value here on purpose. */
enum ccauth_alg {
	CCAUTH_ALG_RS256,
	CCAUTH_ALG_RS384,
	CCAUTH_ALG_RS512,
	CCAUTH_ALG_PS256,
	CCAUTH_ALG_PS384,
	CCAUTH_ALG_PS512,
	CCAUTH_ALG_ES256,
	CCAUTH_ALG_ES384,
	CCAUTH_ALG_ES512,
	CCAUTH_ALG_EDDSA,
	CCAUTH_ALG_COUNT
};
#define CCAUTH_ALG_NONE_SET 0u
#define CCAUTH_ALG_ALL ((1u << CCAUTH_ALG_COUNT) - 1u)
#define CCAUTH_ALG_BIT(a) (1u << (a))

enum ccauth_kty { CCAUTH_KTY_RSA, CCAUTH_KTY_EC, CCAUTH_KTY_OKP };

enum ccauth_crv {
	CCAUTH_CRV_NONE, /* RSA */
	CCAUTH_CRV_P256,
	CCAUTH_CRV_P384,
	CCAUTH_CRV_P521,
	CCAUTH_CRV_ED25519,
	CCAUTH_CRV_ED448,
};

/* Name <-> enum ("RS256" ...).  Exact, case-sensitive.  Returns -1 for unknown names, which
 * includes "none" and every HS*. */
int ccauth_alg_from_name(const char *name, size_t len);
const char *ccauth_alg_name(enum ccauth_alg alg);

struct ccauth_jwk {
	char *kid;     /* NULL when the JWK has none */
	size_t kidlen;
	enum ccauth_kty kty;
	enum ccauth_crv crv;
	int alg;       /* pinned enum ccauth_alg from the JWK's "alg", or -1 */
	unsigned bits; /* RSA modulus bits / curve bits */
	EVP_PKEY *pkey;
};

/* 1 if key can verify alg: kty/crv match (ES256 needs P-256, ...) and a pinned alg equals alg. */
int ccauth_jwk_allows(const struct ccauth_jwk *key, enum ccauth_alg alg);

/* Build a public key from one JWK object.  RSA: n,e; n >= 2048 bits, e odd and > 1.
 * EC: crv P-256/384/521, x,y of exact size, point on the curve.  OKP: Ed25519/Ed448, x of exact
 * size.  Private members ("d", "p", ...) are ignored, never used.  Returns CCAUTH_E_MALFORMED for
 * a broken key and CCAUTH_E_ALGORITHM for an unsupported kty/crv/alg. */
enum ccauth_status ccauth_jwk_from_json(const struct ccauth_json *obj, struct ccauth_jwk *out, struct ccauth_error *err);
void ccauth_jwk_clear(struct ccauth_jwk *key);

#endif
