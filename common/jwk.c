/* jwk: JWS algorithm names and JWK -> EVP_PKEY (RFC 7517, 7518 §6, 8037).
 *
 * Keys are built with OSSL_PARAM_BLD + EVP_PKEY_fromdata (no deprecated RSA/EC_KEY).  Error
 * messages name the member that is wrong, never its value: a JWKS is public, but the log line
 * should stay short and safe by construction. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

#include "b64url.h"
#include "jwk.h"
#include "util.h"

#define RSA_MIN_BITS 2048
#define RSA_MAX_BITS 8192 /* CCAUTH_JWS_SIG_MAX */
#define MEMBER_MAX   1024 /* largest decoded member: an RSA-8192 modulus */

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

int ccauth_jwk_allows(const struct ccauth_jwk *key, enum ccauth_alg alg)
{
	int ok;

	if (key == NULL || key->pkey == NULL || (unsigned)alg >= CCAUTH_ALG_COUNT)
		return 0;
	if (key->alg >= 0 && key->alg != (int)alg)
		return 0;
	switch (alg) {
	case CCAUTH_ALG_RS256:
	case CCAUTH_ALG_RS384:
	case CCAUTH_ALG_RS512:
	case CCAUTH_ALG_PS256:
	case CCAUTH_ALG_PS384:
	case CCAUTH_ALG_PS512:
		ok = key->kty == CCAUTH_KTY_RSA;
		break;
	case CCAUTH_ALG_ES256:
		ok = key->kty == CCAUTH_KTY_EC && key->crv == CCAUTH_CRV_P256;
		break;
	case CCAUTH_ALG_ES384:
		ok = key->kty == CCAUTH_KTY_EC && key->crv == CCAUTH_CRV_P384;
		break;
	case CCAUTH_ALG_ES512:
		ok = key->kty == CCAUTH_KTY_EC && key->crv == CCAUTH_CRV_P521;
		break;
	case CCAUTH_ALG_EDDSA:
		ok = key->kty == CCAUTH_KTY_OKP && (key->crv == CCAUTH_CRV_ED25519 || key->crv == CCAUTH_CRV_ED448);
		break;
	default:
		ok = 0;
	}
	return ok;
}

struct curve {
	const char *jwk_name;
	const char *ossl_name;
	enum ccauth_crv crv;
	enum ccauth_kty kty;
	size_t len; /* coordinate / raw key size in bytes */
};

static const struct curve curves[] = {
    {"P-256", "prime256v1", CCAUTH_CRV_P256, CCAUTH_KTY_EC, 32},
    {"P-384", "secp384r1", CCAUTH_CRV_P384, CCAUTH_KTY_EC, 48},
    {"P-521", "secp521r1", CCAUTH_CRV_P521, CCAUTH_KTY_EC, 66},
    {"Ed25519", "ED25519", CCAUTH_CRV_ED25519, CCAUTH_KTY_OKP, 32},
    {"Ed448", "ED448", CCAUTH_CRV_ED448, CCAUTH_KTY_OKP, 57},
};

/* Decode a required base64url member into buf (capacity MEMBER_MAX). */
static enum ccauth_status get_b64(const struct ccauth_json *obj, const char *name, unsigned char *buf, size_t *outlen,
                                  struct ccauth_error *err)
{
	const char *s = NULL;
	size_t len = 0;
	int present = 0;

	if (ccauth_json_get_string(obj, name, &s, &len, &present) != CCAUTH_OK)
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "JWK member \"%s\" is not a string", name);
	if (!present)
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "JWK member \"%s\" is missing", name);
	if (len == 0 || CCAUTH_B64URL_DECODED_MAX(len) > MEMBER_MAX ||
	    ccauth_b64url_decode(s, len, buf, MEMBER_MAX, outlen) != 0 || *outlen == 0)
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "JWK member \"%s\" is not valid base64url", name);
	return CCAUTH_OK;
}

static enum ccauth_status fromdata(const char *type, OSSL_PARAM_BLD *bld, EVP_PKEY **out, struct ccauth_error *err)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = NULL;
	enum ccauth_status st = CCAUTH_OK;

	if (params == NULL)
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory building a key");
	ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0)
		st = ccauth_error_set(err, CCAUTH_E_INTERNAL, "OpenSSL cannot import %s keys", type);
	else if (EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		st = ccauth_error_set(err, CCAUTH_E_MALFORMED, "JWK is not a valid %s public key", type);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return st;
}

static enum ccauth_status import_rsa(const struct ccauth_json *obj, struct ccauth_jwk *out, struct ccauth_error *err)
{
	unsigned char buf[MEMBER_MAX];
	size_t len;
	BIGNUM *n = NULL, *e = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	enum ccauth_status st;
	int bits;

	if ((st = get_b64(obj, "n", buf, &len, err)) != CCAUTH_OK)
		return st;
	n = BN_bin2bn(buf, (int)len, NULL);
	if ((st = get_b64(obj, "e", buf, &len, err)) != CCAUTH_OK)
		goto out;
	e = BN_bin2bn(buf, (int)len, NULL);
	if (n == NULL || e == NULL) {
		st = ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
		goto out;
	}
	bits = BN_num_bits(n);
	if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS) {
		st = ccauth_error_set(err, CCAUTH_E_MALFORMED, "RSA modulus of %d bits (allowed %d..%d)", bits,
		                      RSA_MIN_BITS, RSA_MAX_BITS);
		goto out;
	}
	if (!BN_is_odd(n) || !BN_is_odd(e) || BN_is_one(e) || BN_cmp(e, n) >= 0) {
		st = ccauth_error_set(err, CCAUTH_E_MALFORMED, "RSA exponent or modulus is not valid");
		goto out;
	}
	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e)) {
		st = ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
		goto out;
	}
	st = fromdata("RSA", bld, &out->pkey, err);
	out->kty = CCAUTH_KTY_RSA;
	out->crv = CCAUTH_CRV_NONE;
	out->bits = (unsigned)bits;
out:
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return st;
}

static const struct curve *find_curve(const struct ccauth_json *obj, enum ccauth_kty kty, struct ccauth_error *err,
                                      enum ccauth_status *st)
{
	const char *crv = NULL;
	size_t len = 0;
	int present = 0;

	if (ccauth_json_get_string(obj, "crv", &crv, &len, &present) != CCAUTH_OK || !present) {
		*st = ccauth_error_set(err, CCAUTH_E_MALFORMED, "JWK member \"crv\" is missing or not a string");
		return NULL;
	}
	for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
		if (curves[i].kty == kty && strlen(curves[i].jwk_name) == len &&
		    memcmp(curves[i].jwk_name, crv, len) == 0)
			return &curves[i];
	*st = ccauth_error_set(err, CCAUTH_E_ALGORITHM, "unsupported JWK curve");
	return NULL;
}

static enum ccauth_status import_ec(const struct ccauth_json *obj, struct ccauth_jwk *out, struct ccauth_error *err)
{
	unsigned char point[1 + 2 * 66], buf[MEMBER_MAX];
	size_t len;
	const struct curve *c;
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY_CTX *chk = NULL;
	enum ccauth_status st = CCAUTH_OK;

	if ((c = find_curve(obj, CCAUTH_KTY_EC, err, &st)) == NULL)
		return st;
	point[0] = 0x04; /* uncompressed: 0x04 || x || y, each exactly the field size (RFC 7518 §6.2.1.2) */
	if ((st = get_b64(obj, "x", buf, &len, err)) != CCAUTH_OK)
		return st;
	if (len != c->len)
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "JWK member \"x\" must be %zu bytes for %s", c->len,
		                        c->jwk_name);
	memcpy(point + 1, buf, len);
	if ((st = get_b64(obj, "y", buf, &len, err)) != CCAUTH_OK)
		return st;
	if (len != c->len)
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "JWK member \"y\" must be %zu bytes for %s", c->len,
		                        c->jwk_name);
	memcpy(point + 1 + c->len, buf, len);

	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL || !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, c->ossl_name, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, 1 + 2 * c->len)) {
		OSSL_PARAM_BLD_free(bld);
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	}
	st = fromdata("EC", bld, &out->pkey, err);
	OSSL_PARAM_BLD_free(bld);
	if (st != CCAUTH_OK)
		return st;
	/* fromdata already refuses points off the curve; the explicit check also covers the point at
	 * infinity and wrong-order points, and does not depend on provider internals. */
	chk = EVP_PKEY_CTX_new_from_pkey(NULL, out->pkey, NULL);
	if (chk == NULL || EVP_PKEY_public_check(chk) != 1)
		st = ccauth_error_set(err, CCAUTH_E_MALFORMED, "JWK point is not on curve %s", c->jwk_name);
	EVP_PKEY_CTX_free(chk);
	out->kty = CCAUTH_KTY_EC;
	out->crv = c->crv;
	out->bits = c->crv == CCAUTH_CRV_P521 ? 521 : (unsigned)c->len * 8;
	return st;
}

static enum ccauth_status import_okp(const struct ccauth_json *obj, struct ccauth_jwk *out, struct ccauth_error *err)
{
	unsigned char buf[MEMBER_MAX];
	size_t len;
	const struct curve *c;
	enum ccauth_status st = CCAUTH_OK;

	if ((c = find_curve(obj, CCAUTH_KTY_OKP, err, &st)) == NULL)
		return st;
	if ((st = get_b64(obj, "x", buf, &len, err)) != CCAUTH_OK)
		return st;
	if (len != c->len)
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "JWK member \"x\" must be %zu bytes for %s", c->len,
		                        c->jwk_name);
	out->pkey = EVP_PKEY_new_raw_public_key_ex(NULL, c->ossl_name, NULL, buf, len);
	if (out->pkey == NULL)
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "JWK is not a valid %s public key", c->jwk_name);
	out->kty = CCAUTH_KTY_OKP;
	out->crv = c->crv;
	out->bits = c->crv == CCAUTH_CRV_ED25519 ? 256 : 456;
	return CCAUTH_OK;
}

/* "use" other than "sig" or "key_ops" without "verify": the key is not for us. */
static enum ccauth_status check_purpose(const struct ccauth_json *obj, struct ccauth_error *err)
{
	const struct ccauth_json *ops;
	const char *use = NULL;
	size_t len = 0;
	int present = 0;

	if (ccauth_json_get_string(obj, "use", &use, &len, &present) != CCAUTH_OK)
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "JWK member \"use\" is not a string");
	if (present && !(len == 3 && memcmp(use, "sig", 3) == 0))
		return ccauth_error_set(err, CCAUTH_E_ALGORITHM, "JWK \"use\" is not \"sig\"");
	ops = ccauth_json_get(obj, "key_ops");
	if (ops != NULL) {
		if (ops->type != CCAUTH_JSON_ARRAY)
			return ccauth_error_set(err, CCAUTH_E_MALFORMED, "JWK member \"key_ops\" is not an array");
		for (const struct ccauth_json *op = ops->child; op != NULL; op = op->next)
			if (op->type == CCAUTH_JSON_STRING && op->len == 6 && memcmp(op->str, "verify", 6) == 0)
				return CCAUTH_OK;
		return ccauth_error_set(err, CCAUTH_E_ALGORITHM, "JWK \"key_ops\" does not allow \"verify\"");
	}
	return CCAUTH_OK;
}

static enum ccauth_status import_jwk(const struct ccauth_json *obj, struct ccauth_jwk *out, struct ccauth_error *err)
{
	const char *kty = NULL, *kid = NULL, *alg = NULL;
	size_t ktylen = 0, kidlen = 0, alglen = 0;
	int present = 0, has_kid = 0, has_alg = 0;
	enum ccauth_status st;

	if (out == NULL)
		return ccauth_error_set(err, CCAUTH_E_INTERNAL, "no output key");
	memset(out, 0, sizeof(*out));
	out->alg = -1;
	if (obj == NULL || obj->type != CCAUTH_JSON_OBJECT)
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "JWK is not a JSON object");
	if (ccauth_json_get_string(obj, "kid", &kid, &kidlen, &has_kid) != CCAUTH_OK)
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "JWK member \"kid\" is not a string");
	if (ccauth_json_get_string(obj, "kty", &kty, &ktylen, &present) != CCAUTH_OK || !present)
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "JWK member \"kty\" is missing or not a string");
	if (ccauth_json_get_string(obj, "alg", &alg, &alglen, &has_alg) != CCAUTH_OK)
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "JWK member \"alg\" is not a string");
	if ((st = check_purpose(obj, err)) != CCAUTH_OK)
		return st;
	if (has_alg && (out->alg = ccauth_alg_from_name(alg, alglen)) < 0)
		return ccauth_error_set(err, CCAUTH_E_ALGORITHM, "JWK \"alg\" is not a supported signature algorithm");

	if (ktylen == 3 && memcmp(kty, "RSA", 3) == 0)
		st = import_rsa(obj, out, err);
	else if (ktylen == 2 && memcmp(kty, "EC", 2) == 0)
		st = import_ec(obj, out, err);
	else if (ktylen == 3 && memcmp(kty, "OKP", 3) == 0)
		st = import_okp(obj, out, err);
	else
		st = ccauth_error_set(err, CCAUTH_E_ALGORITHM, "unsupported JWK \"kty\"");
	if (st != CCAUTH_OK)
		goto fail;
	if (out->alg >= 0 && !ccauth_jwk_allows(out, (enum ccauth_alg)out->alg)) {
		st = ccauth_error_set(err, CCAUTH_E_ALGORITHM, "JWK \"alg\" %s does not fit its key type/curve",
		                      ccauth_alg_name((enum ccauth_alg)out->alg));
		goto fail;
	}
	if (has_kid) {
		out->kid = ccauth_strndup_checked(kid, kidlen);
		if (out->kid == NULL) {
			st = ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
			goto fail;
		}
		out->kidlen = kidlen;
	}
	return CCAUTH_OK;
fail:
	ccauth_jwk_clear(out);
	return st;
}

enum ccauth_status ccauth_jwk_from_json(const struct ccauth_json *obj, struct ccauth_jwk *out, struct ccauth_error *err)
{
	enum ccauth_status st;

	/* a rejected key must not leave OpenSSL errors behind for unrelated code to trip over */
	ERR_set_mark();
	st = import_jwk(obj, out, err);
	ERR_pop_to_mark();
	return st;
}

void ccauth_jwk_clear(struct ccauth_jwk *key)
{
	if (key == NULL)
		return;
	free(key->kid);
	EVP_PKEY_free(key->pkey);
	memset(key, 0, sizeof(*key));
	key->alg = -1;
}
