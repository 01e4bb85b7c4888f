/* libFuzzer harness for common/jws.c: route, parse and - when parsing succeeds - look the key up
 * in a fixed JWKS (the RFC 7515 A.2/A.3/A.4 and RFC 8037 keys) and verify.  Checks what the parser
 * promises about a successful result. */
#include "autoconf.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jwks.h"
#include "jws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char jwks_text[] =
    "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPC"
    "JrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaS"
    "HSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGh"
    "yxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ\",\"e\":\"AQAB\",\"kid\":\"rsa\"},{\"kty"
    "\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\",\"y\":\"x_FEzRu9m36HLN_tue659LNp"
    "XW6pCyStikYjKIWI5a0\",\"kid\":\"p256\"},{\"kty\":\"EC\",\"crv\":\"P-521\",\"x\":"
    "\"AekpBQ8ST8a8VcfVOTNl353vSrDCLLJXmP"
    "k06wTjxrrjcBpXp5EOnYG_NjFZ6OvLFV1jSfS9tsz4qUxcWceqwQGk\",\"y\":\"ADSmRA43Z1DSNx_RvcLI87cdL07l6jQyyBXMoxV"
    "g_l2Th-x3S1WDhjDly79ajL4Kkd0AZMaZmh9ubmf63e3kyMj2\",\"kid\":\"p521\"},{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":"
    "\"1"
    "1qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\",\"kid\":\"ed\"}]}";

static void check(int ok)
{
	if (!ok)
		abort();
}

static struct ccauth_jwks *fixed_set(void)
{
	static struct ccauth_jwks *set; /* the harness is single-threaded; built once, kept */

	if (set == NULL) {
		check(ccauth_jwks_parse(jwks_text, sizeof(jwks_text) - 1, NULL, &set, NULL) == CCAUTH_OK);
		check(set->nkeys == 4);
	}
	return set;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct ccauth_jwks *set = fixed_set();
	const char *token = (const char *)data;
	struct ccauth_jws jws;
	struct ccauth_error err;
	enum ccauth_status st;
	int looks = ccauth_jws_looks_like_jwt(token, size);

	st = ccauth_jws_parse(token, size, &jws, &err);
	if (st != CCAUTH_OK) {
		check(st == CCAUTH_E_MALFORMED || st == CCAUTH_E_ALGORITHM || st == CCAUTH_E_NOMEM);
		check(jws.header_doc == NULL && jws.payload_doc == NULL);
		check(memchr(err.msg, '\0', sizeof(err.msg)) != NULL);
		return 0;
	}
	/* a parsed token has the routing shape */
	check(looks == 1);
	check(size <= CCAUTH_TOKEN_MAX);
	check((unsigned)jws.alg < CCAUTH_ALG_COUNT);
	check(jws.header->type == CCAUTH_JSON_OBJECT && jws.payload->type == CCAUTH_JSON_OBJECT);
	check(jws.siglen > 0 && jws.siglen <= CCAUTH_JWS_SIG_MAX);
	check(jws.signing_input_len < size && token[jws.signing_input_len] == '.');
	check(jws.kid == NULL || strlen(jws.kid) == jws.kidlen);
	check(ccauth_json_get(jws.header, "crit") == NULL);

	for (int pass = 0; pass < 2; pass++) {
		const struct ccauth_jwk *key = ccauth_jwks_find(set, pass ? NULL : jws.kid, jws.kidlen, jws.alg);

		if (key == NULL)
			continue;
		check(ccauth_jwk_allows(key, jws.alg));
		st = ccauth_jws_verify(&jws, set, key, &err);
		/* nobody but the RFC authors holds these private keys: only the published examples verify */
		check(st == CCAUTH_OK || st == CCAUTH_E_SIGNATURE);
	}
	/* every key in the set: verification may fail, never crash, never say ok for a key that
	 * cannot do alg */
	for (size_t i = 0; i < set->nkeys; i++) {
		st = ccauth_jws_verify(&jws, set, &set->keys[i], &err);
		if (!ccauth_jwk_allows(&set->keys[i], jws.alg))
			check(st == CCAUTH_E_ALGORITHM);
	}
	ccauth_jws_clear(&jws);
	return 0;
}
