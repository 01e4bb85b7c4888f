/* jwk: JWS algorithm names and JWK -> EVP_PKEY.  (Key import: to be written.) */
#include "config.h"

#include <string.h>

#include "jwk.h"

static const char *const alg_names[CCAUTH_ALG_COUNT] = {
	[CCAUTH_ALG_RS256] = "RS256", [CCAUTH_ALG_RS384] = "RS384", [CCAUTH_ALG_RS512] = "RS512",
	[CCAUTH_ALG_PS256] = "PS256", [CCAUTH_ALG_PS384] = "PS384", [CCAUTH_ALG_PS512] = "PS512",
	[CCAUTH_ALG_ES256] = "ES256", [CCAUTH_ALG_ES384] = "ES384", [CCAUTH_ALG_ES512] = "ES512",
	[CCAUTH_ALG_EDDSA] = "EdDSA",
};

int ccauth_alg_from_name(const char *name, size_t len)
{
	for (int a = 0; a < CCAUTH_ALG_COUNT; a++)
		if (strlen(alg_names[a]) == len && memcmp(alg_names[a], name, len) == 0)
			return a;
	return -1;
}

const char *ccauth_alg_name(enum ccauth_alg alg)
{
	return (unsigned)alg < CCAUTH_ALG_COUNT ? alg_names[alg] : "?";
}
