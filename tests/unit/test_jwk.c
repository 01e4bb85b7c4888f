/* JWK import and JWKS sets: every key kind, every rejection with its exact status, skip rules,
 * find by kid/alg, pinned alg, file loading. */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include "json.h"
#include "jwk.h"
#include "jwks.h"
#include "testutil.h"

/* the rejection tables below are printf formats on purpose */
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

enum { K_RSA2048, K_RSA3072, K_P256, K_P384, K_P521, K_ED25519, K_ED448, K_RSA1024, K_COUNT };
static const char *const kinds[K_COUNT] = {"RSA2048", "RSA3072", "P-256", "P-384",
                                           "P-521",   "Ed25519", "Ed448", "RSA1024"};
static EVP_PKEY *keys[K_COUNT];

static int setup(void **state)
{
	(void)state;
	for (int i = 0; i < K_COUNT; i++)
		keys[i] = tu_genkey(kinds[i]);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < K_COUNT; i++)
		EVP_PKEY_free(keys[i]);
	return 0;
}

/* Parse jwk text and import it; returns the status, fills key (cleared on failure). */
static enum ccauth_status import(const char *text, struct ccauth_jwk *key, struct ccauth_error *err)
{
	struct ccauth_json_doc *doc = NULL;
	enum ccauth_status st;

	assert_int_equal(ccauth_json_parse(text, strlen(text), 0, CCAUTH_JSON_MAX_DEPTH, &doc, NULL), CCAUTH_OK);
	st = ccauth_jwk_from_json(ccauth_json_root(doc), key, err);
	ccauth_json_free(doc);
	return st;
}

static enum ccauth_status import_status(const char *text)
{
	struct ccauth_jwk key;
	enum ccauth_status st = import(text, &key, NULL);

	ccauth_jwk_clear(&key);
	return st;
}

/* A member of a JSON object text as a new string. */
static char *member(const char *text, const char *name)
{
	struct ccauth_json_doc *doc = NULL;
	const char *s = NULL;
	size_t len = 0;
	int present = 0;
	char *out;

	assert_int_equal(ccauth_json_parse(text, strlen(text), 0, 8, &doc, NULL), CCAUTH_OK);
	assert_int_equal(ccauth_json_get_string(ccauth_json_root(doc), name, &s, &len, &present), CCAUTH_OK);
	assert_true(present);
	out = strdup(s);
	ccauth_json_free(doc);
	return out;
}

static void test_import_each_kind(void **state)
{
	static const struct {
		int kind;
		enum ccauth_kty kty;
		enum ccauth_crv crv;
		unsigned bits;
		unsigned algs;
	} want[] = {
	    {K_RSA2048, CCAUTH_KTY_RSA, CCAUTH_CRV_NONE, 2048, 0x3f},
	    {K_RSA3072, CCAUTH_KTY_RSA, CCAUTH_CRV_NONE, 3072, 0x3f},
	    {K_P256, CCAUTH_KTY_EC, CCAUTH_CRV_P256, 256, CCAUTH_ALG_BIT(CCAUTH_ALG_ES256)},
	    {K_P384, CCAUTH_KTY_EC, CCAUTH_CRV_P384, 384, CCAUTH_ALG_BIT(CCAUTH_ALG_ES384)},
	    {K_P521, CCAUTH_KTY_EC, CCAUTH_CRV_P521, 521, CCAUTH_ALG_BIT(CCAUTH_ALG_ES512)},
	    {K_ED25519, CCAUTH_KTY_OKP, CCAUTH_CRV_ED25519, 256, CCAUTH_ALG_BIT(CCAUTH_ALG_EDDSA)},
	    {K_ED448, CCAUTH_KTY_OKP, CCAUTH_CRV_ED448, 456, CCAUTH_ALG_BIT(CCAUTH_ALG_EDDSA)},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char *text = tu_jwk_json(keys[want[i].kind], "kid-1", NULL);
		struct ccauth_jwk key;

		assert_int_equal(import(text, &key, NULL), CCAUTH_OK);
		assert_int_equal(key.kty, want[i].kty);
		assert_int_equal(key.crv, want[i].crv);
		assert_int_equal(key.bits, want[i].bits);
		assert_int_equal(key.alg, -1);
		assert_int_equal(key.kidlen, 5);
		assert_string_equal(key.kid, "kid-1");
		assert_int_equal(EVP_PKEY_eq(key.pkey, keys[want[i].kind]), 1);
		for (int a = 0; a < CCAUTH_ALG_COUNT; a++)
			assert_int_equal(ccauth_jwk_allows(&key, (enum ccauth_alg)a), (want[i].algs >> a) & 1);
		ccauth_jwk_clear(&key);
		assert_null(key.pkey);
		assert_null(key.kid);
		free(text);
	}
}

static void test_pinned_alg(void **state)
{
	char *text = tu_jwk_json(keys[K_RSA2048], NULL, "PS256");
	struct ccauth_jwk key;

	(void)state;
	assert_int_equal(import(text, &key, NULL), CCAUTH_OK);
	assert_int_equal(key.alg, CCAUTH_ALG_PS256);
	assert_null(key.kid);
	for (int a = 0; a < CCAUTH_ALG_COUNT; a++)
		assert_int_equal(ccauth_jwk_allows(&key, (enum ccauth_alg)a), a == CCAUTH_ALG_PS256);
	ccauth_jwk_clear(&key);
	free(text);

	/* a pinned alg that does not fit the key type or curve is refused */
	text = tu_jwk_json(keys[K_P256], "x", "ES384");
	assert_int_equal(import_status(text), CCAUTH_E_ALGORITHM);
	free(text);
	text = tu_jwk_json(keys[K_RSA2048], "x", "EdDSA");
	assert_int_equal(import_status(text), CCAUTH_E_ALGORITHM);
	free(text);
	assert_int_equal(ccauth_jwk_allows(NULL, CCAUTH_ALG_RS256), 0);
}

static void test_rejections_rsa(void **state)
{
	char *good = tu_jwk_json(keys[K_RSA2048], "r", NULL), *n = member(good, "n");
	char *small = tu_jwk_json(keys[K_RSA1024], "r", NULL);
	char buf[4096];
	struct ccauth_error err;
	struct ccauth_jwk key;
	static const struct {
		const char *what, *fmt;
		enum ccauth_status want;
	} cases[] = {
	    {"ok", "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\"}", CCAUTH_OK},
	    {"private members ignored", "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\",\"d\":\"!!\",\"p\":5}",
	     CCAUTH_OK},
	    {"e even", "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAA\"}", CCAUTH_E_MALFORMED},
	    {"e one", "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQ\"}", CCAUTH_E_MALFORMED},
	    {"e zero", "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AA\"}", CCAUTH_E_MALFORMED},
	    {"e empty", "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"\"}", CCAUTH_E_MALFORMED},
	    {"e missing", "{\"kty\":\"RSA\",\"n\":\"%s\"}", CCAUTH_E_MALFORMED},
	    {"e number", "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":65537}", CCAUTH_E_MALFORMED},
	    {"e padded", "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB=\"}", CCAUTH_E_MALFORMED},
	    {"e std alphabet", "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQ+B\"}", CCAUTH_E_MALFORMED},
	    {"n padded", "{\"kty\":\"RSA\",\"n\":\"%s=\",\"e\":\"AQAB\"}", CCAUTH_E_MALFORMED},
	    {"n space", "{\"kty\":\"RSA\",\"n\":\" %s\",\"e\":\"AQAB\"}", CCAUTH_E_MALFORMED},
	    {"kid number", "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\",\"kid\":7}", CCAUTH_E_MALFORMED},
	    {"kid null", "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\",\"kid\":null}", CCAUTH_E_MALFORMED},
	    {"alg HS256", "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\",\"alg\":\"HS256\"}", CCAUTH_E_ALGORITHM},
	    {"alg RSA-OAEP", "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\",\"alg\":\"RSA-OAEP\"}", CCAUTH_E_ALGORITHM},
	    {"alg none", "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\",\"alg\":\"none\"}", CCAUTH_E_ALGORITHM},
	    {"alg lowercase", "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\",\"alg\":\"rs256\"}", CCAUTH_E_ALGORITHM},
	    {"alg number", "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\",\"alg\":256}", CCAUTH_E_MALFORMED},
	    {"use enc", "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\",\"use\":\"enc\"}", CCAUTH_E_ALGORITHM},
	    {"use sig", "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\",\"use\":\"sig\"}", CCAUTH_OK},
	    {"use number", "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\",\"use\":1}", CCAUTH_E_MALFORMED},
	    {"key_ops verify", "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\",\"key_ops\":[\"sign\",\"verify\"]}",
	     CCAUTH_OK},
	    {"key_ops encrypt", "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\",\"key_ops\":[\"encrypt\"]}",
	     CCAUTH_E_ALGORITHM},
	    {"key_ops string", "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\",\"key_ops\":\"verify\"}",
	     CCAUTH_E_MALFORMED},
	    {"kty missing", "{\"n\":\"%s\",\"e\":\"AQAB\"}", CCAUTH_E_MALFORMED},
	    {"kty number", "{\"kty\":1,\"n\":\"%s\",\"e\":\"AQAB\"}", CCAUTH_E_MALFORMED},
	    {"kty lowercase", "{\"kty\":\"rsa\",\"n\":\"%s\",\"e\":\"AQAB\"}", CCAUTH_E_ALGORITHM},
	    {"kty oct", "{\"kty\":\"oct\",\"k\":\"%s\"}", CCAUTH_E_ALGORITHM},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(buf, sizeof(buf), cases[i].fmt, n);
		if (import_status(buf) != cases[i].want)
			fail_msg("case \"%s\": got %d want %d", cases[i].what, import_status(buf), cases[i].want);
	}
	/* n missing, n empty, 1024-bit modulus */
	assert_int_equal(import_status("{\"kty\":\"RSA\",\"e\":\"AQAB\"}"), CCAUTH_E_MALFORMED);
	assert_int_equal(import_status("{\"kty\":\"RSA\",\"n\":\"\",\"e\":\"AQAB\"}"), CCAUTH_E_MALFORMED);
	assert_int_equal(import(small, &key, &err), CCAUTH_E_MALFORMED);
	assert_int_equal(err.code, CCAUTH_E_MALFORMED);
	assert_non_null(strstr(err.msg, "1024 bits"));
	/* the error names the member, never its value */
	snprintf(buf, sizeof(buf), "{\"kty\":\"RSA\",\"n\":\"%s=\",\"e\":\"AQAB\"}", n);
	assert_int_equal(import(buf, &key, &err), CCAUTH_E_MALFORMED);
	assert_non_null(strstr(err.msg, "\"n\""));
	assert_null(strstr(err.msg, "AQAB"));
	free(good);
	free(small);
	free(n);
}

static void test_rsa_roca(void **state)
{
	/* Wycheproof json_web_key_test.json group jws_rsa_roca_key: a 2048-bit modulus from the
	 * vulnerable Infineon generator (CVE-2017-15361). */
	size_t len;
	char *text = tu_read_file("fixtures/jwk/roca.json", &len);
	struct ccauth_jwk key;
	struct ccauth_error err;

	(void)state;
	assert_int_equal(import(text, &key, &err), CCAUTH_E_MALFORMED);
	assert_non_null(strstr(err.msg, "ROCA"));
	free(text);
}

static void test_rejections_ec(void **state)
{
	char *p256 = tu_jwk_json(keys[K_P256], NULL, NULL), *x = member(p256, "x"), *y = member(p256, "y");
	char *p521 = tu_jwk_json(keys[K_P521], NULL, NULL), *x5 = member(p521, "x"), *y5 = member(p521, "y");
	char buf[1024];
	static const struct {
		const char *what, *fmt;
		enum ccauth_status want;
	} cases[] = {
	    {"ok", "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"}", CCAUTH_OK},
	    {"private d ignored", "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\",\"d\":\"!\"}",
	     CCAUTH_OK},
	    {"x y swapped: off curve", "{\"kty\":\"EC\",\"crv\":\"P-256\",\"y\":\"%s\",\"x\":\"%s\",\"z\":0}",
	     CCAUTH_OK},
	    {"crv P-384 with 32-byte x", "{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"%s\",\"y\":\"%s\"}",
	     CCAUTH_E_MALFORMED},
	    {"crv secp256k1", "{\"kty\":\"EC\",\"crv\":\"secp256k1\",\"x\":\"%s\",\"y\":\"%s\"}", CCAUTH_E_ALGORITHM},
	    {"crv lowercase", "{\"kty\":\"EC\",\"crv\":\"p-256\",\"x\":\"%s\",\"y\":\"%s\"}", CCAUTH_E_ALGORITHM},
	    {"crv Ed25519 under EC", "{\"kty\":\"EC\",\"crv\":\"Ed25519\",\"x\":\"%s\",\"y\":\"%s\"}",
	     CCAUTH_E_ALGORITHM},
	    {"crv missing", "{\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}", CCAUTH_E_MALFORMED},
	    {"crv number", "{\"kty\":\"EC\",\"crv\":256,\"x\":\"%s\",\"y\":\"%s\"}", CCAUTH_E_MALFORMED},
	    {"y missing", "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"q\":\"%s\"}", CCAUTH_E_MALFORMED},
	    {"x missing", "{\"kty\":\"EC\",\"crv\":\"P-256\",\"q\":\"%s\",\"y\":\"%s\"}", CCAUTH_E_MALFORMED},
	    {"x padded", "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s=\",\"y\":\"%s\"}", CCAUTH_E_MALFORMED},
	    {"x one byte longer", "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AA%s\",\"y\":\"%s\"}", CCAUTH_E_MALFORMED},
	    {"alg ES256", "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\",\"alg\":\"ES256\"}", CCAUTH_OK},
	    {"alg ES512", "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\",\"alg\":\"ES512\"}",
	     CCAUTH_E_ALGORITHM},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum ccauth_status st;
		snprintf(buf, sizeof(buf), cases[i].fmt, x, y);
		st = import_status(buf);
		/* swapped coordinates are (overwhelmingly likely) off the curve */
		if (i == 2) {
			assert_int_equal(st, CCAUTH_E_MALFORMED);
			continue;
		}
		if (st != cases[i].want)
			fail_msg("case \"%s\": got %d want %d", cases[i].what, st, cases[i].want);
	}
	/* P-521: exactly 66 bytes; 65 (leading zero byte stripped) and 67 are both refused */
	snprintf(buf, sizeof(buf), "{\"kty\":\"EC\",\"crv\":\"P-521\",\"x\":\"%s\",\"y\":\"%s\"}", x5, y5);
	assert_int_equal(import_status(buf), CCAUTH_OK);
	snprintf(buf, sizeof(buf), "{\"kty\":\"EC\",\"crv\":\"P-521\",\"x\":\"AAAA%s\",\"y\":\"%s\"}", x5, y5);
	assert_int_equal(import_status(buf), CCAUTH_E_MALFORMED);
	/* 65 bytes: the RFC 7515 A.4 x without its leading zero byte is not representable, so
	 * use a 32-byte x: wrong length */
	snprintf(buf, sizeof(buf), "{\"kty\":\"EC\",\"crv\":\"P-521\",\"x\":\"%s\",\"y\":\"%s\"}", x, y5);
	assert_int_equal(import_status(buf), CCAUTH_E_MALFORMED);
	free(p256);
	free(x);
	free(y);
	free(p521);
	free(x5);
	free(y5);
}

/* A point with a valid x and y+1 is off the curve: ccauth refuses it, and so does a bare
 * EVP_PKEY_fromdata (the import does not depend on our extra public check alone). */
static void test_off_curve(void **state)
{
	/* Wycheproof json_web_key_test.json group invalid_point */
	static const char jwk[] =
	    "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"04N0xi21hshyvBp7I167sbE_bXqyqkAPfefdklMO7wY\","
	    "\"y\":\"UI8exy-C06a7DUnjIdENkxeFtHM4-l_41LqEw9nVgnw\"}";
	static const char good[] =
	    "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"04N0xi21hshyvBp7I167sbE_bXqyqkAPfefdklMO7wY\","
	    "\"y\":\"UI8exy-C06a7DUnjIdENkxeFtHM4-l_41LqEw9nVgmw\"}";
	unsigned char pt[65];
	struct ccauth_jwk key;
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pk = NULL;
	OSSL_PARAM_BLD *bld;
	OSSL_PARAM *params;

	(void)state;
	assert_int_equal(import_status(good), CCAUTH_OK);
	assert_int_equal(import_status(jwk), CCAUTH_E_MALFORMED);

	assert_int_equal(import(good, &key, NULL), CCAUTH_OK);
	assert_int_equal(EVP_PKEY_get_octet_string_param(key.pkey, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt), NULL), 1);
	ccauth_jwk_clear(&key);
	pt[64] ^= 0x01;
	bld = OSSL_PARAM_BLD_new();
	assert_non_null(bld);
	assert_int_equal(OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0), 1);
	assert_int_equal(OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt)), 1);
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_true(EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) <= 0);
	assert_null(pk);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
}

static void test_rejections_okp(void **state)
{
	char *ed = tu_jwk_json(keys[K_ED25519], NULL, NULL), *x = member(ed, "x");
	char buf[512];

	(void)state;
	snprintf(buf, sizeof(buf), "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\"}", x);
	assert_int_equal(import_status(buf), CCAUTH_OK);
	snprintf(buf, sizeof(buf), "{\"kty\":\"OKP\",\"crv\":\"Ed448\",\"x\":\"%s\"}", x);
	assert_int_equal(import_status(buf), CCAUTH_E_MALFORMED);
	snprintf(buf, sizeof(buf), "{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"%s\"}", x);
	assert_int_equal(import_status(buf), CCAUTH_E_ALGORITHM);
	snprintf(buf, sizeof(buf), "{\"kty\":\"OKP\",\"crv\":\"P-256\",\"x\":\"%s\"}", x);
	assert_int_equal(import_status(buf), CCAUTH_E_ALGORITHM);
	snprintf(buf, sizeof(buf), "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AA%s\"}", x);
	assert_int_equal(import_status(buf), CCAUTH_E_MALFORMED);
	snprintf(buf, sizeof(buf), "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%.40s\"}", x);
	assert_int_equal(import_status(buf), CCAUTH_E_MALFORMED);
	assert_int_equal(import_status("{\"kty\":\"OKP\",\"crv\":\"Ed25519\"}"), CCAUTH_E_MALFORMED);
	snprintf(buf, sizeof(buf), "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\",\"alg\":\"ES256\"}", x);
	assert_int_equal(import_status(buf), CCAUTH_E_ALGORITHM);
	snprintf(buf, sizeof(buf), "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\",\"alg\":\"EdDSA\"}", x);
	assert_int_equal(import_status(buf), CCAUTH_OK);
	assert_int_equal(import_status("[1]"), CCAUTH_E_MALFORMED);
	free(ed);
	free(x);
}

/* ---- JWKS -------------------------------------------------------------------------------- */

struct logcap {
	int warnings;
	char last[512];
	char all[4096];
};

static void capture(void *ctx, int prio, const char *msg)
{
	struct logcap *c = ctx;
	size_t used = strlen(c->all);

	if (prio == LOG_WARNING)
		c->warnings++;
	snprintf(c->last, sizeof(c->last), "%s", msg);
	snprintf(c->all + used, sizeof(c->all) - used, "%s\n", msg);
}

static size_t append(char *buf, size_t used, const char *s)
{
	size_t n = strlen(s);

	memcpy(buf + used, s, n + 1);
	return used + n;
}

static char *jwks_text(const char *const *members, size_t n)
{
	size_t cap = 64, used = 0;
	char *out;

	for (size_t i = 0; i < n; i++)
		cap += strlen(members[i]) + 1;
	out = malloc(cap);
	assert_non_null(out);
	used = append(out, used, "{\"keys\":[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			used = append(out, used, ",");
		used = append(out, used, members[i]);
	}
	append(out, used, "]}");
	return out;
}

/* {"keys":[{},{},...]} with count empty objects */
static char *empty_members(int count)
{
	char *out = malloc(4 * (size_t)count + 32);
	size_t used = 0;

	assert_non_null(out);
	used = append(out, used, "{\"keys\":[");
	for (int i = 0; i < count; i++)
		used = append(out, used, i ? ",{}" : "{}");
	append(out, used, "]}");
	return out;
}

static void test_jwks_skip_rules(void **state)
{
	char *rsa = tu_jwk_json(keys[K_RSA2048], "rsa-1", NULL);
	char *ec = tu_jwk_json(keys[K_P256], "ec-1", NULL);
	char *ed = tu_jwk_json(keys[K_ED25519], NULL, NULL);
	char *small = tu_jwk_json(keys[K_RSA1024], "small", NULL);
	char *x = member(ec, "x"), *y = member(ec, "y"), enc[512], broken[512];
	const char *members[8];
	struct logcap cap = {0};
	struct ccauth_log log = {capture, &cap, 0};
	struct ccauth_jwks *set = NULL;
	char *text;

	(void)state;
	snprintf(enc, sizeof(enc),
	         "{\"kty\":\"EC\",\"use\":\"enc\",\"kid\":\"enc-1\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"}", x,
	         y);
	snprintf(broken, sizeof(broken),
	         "{\"kty\":\"EC\",\"kid\":\"broken\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"}", y, x);
	members[0] = enc;
	members[1] = rsa;
	members[2] = broken;
	members[3] = "{\"kty\":\"oct\",\"kid\":\"hmac\",\"k\":\"c2VjcmV0\"}";
	members[4] = "5";
	members[5] = ec;
	members[6] = small;
	members[7] = ed;
	text = jwks_text(members, 8);
	assert_int_equal(ccauth_jwks_parse(text, strlen(text), &log, &set, NULL), CCAUTH_OK);
	assert_non_null(set);
	assert_int_equal(set->nkeys, 3);
	assert_int_equal(set->refs, 1);
	assert_string_equal(set->keys[0].kid, "rsa-1");
	assert_string_equal(set->keys[1].kid, "ec-1");
	assert_null(set->keys[2].kid);
	assert_int_equal(cap.warnings, 5);
	assert_non_null(strstr(cap.all, "key 0 (kid enc-1)"));
	assert_non_null(strstr(cap.all, "key 2 (kid broken)"));
	assert_non_null(strstr(cap.all, "key 3 (kid hmac)"));
	assert_non_null(strstr(cap.all, "key 4 (kid (none))"));
	assert_non_null(strstr(cap.all, "key 6 (kid small)"));
	/* no key material in the log */
	assert_null(strstr(cap.all, x));
	assert_null(strstr(cap.all, "c2VjcmV0"));
	ccauth_jwks_unref(set);
	free(text);

	/* an unprintable kid is not copied into the log */
	memset(&cap, 0, sizeof(cap));
	text = strdup("{\"keys\":[{\"kty\":\"oct\",\"kid\":\"a\\u001b[31m\"}]}");
	assert_int_equal(ccauth_jwks_parse(text, strlen(text), &log, &set, NULL), CCAUTH_OK);
	assert_int_equal(set->nkeys, 0);
	assert_non_null(strstr(cap.last, "(unprintable)"));
	ccauth_jwks_unref(set);
	free(text);

	free(rsa);
	free(ec);
	free(ed);
	free(small);
	free(x);
	free(y);
}

static void test_jwks_document_errors(void **state)
{
	static const char *const bad[] = {
	    "[]", "{}", "{\"keys\":{}}", "{\"keys\":\"x\"}", "{\"keys\":[],\"keys\":[]}", "{\"keys\":[]", "",
	};
	struct ccauth_jwks *set = (struct ccauth_jwks *)1;
	struct ccauth_error err;
	char *big;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ccauth_jwks_parse(bad[i], strlen(bad[i]), NULL, &set, &err), CCAUTH_E_MALFORMED);
		assert_null(set);
	}
	/* an empty set is a valid document */
	assert_int_equal(ccauth_jwks_parse("{\"keys\":[]}", 11, NULL, &set, NULL), CCAUTH_OK);
	assert_int_equal(set->nkeys, 0);
	ccauth_jwks_unref(set);

	/* more than CCAUTH_JWKS_MAX_KEYS entries */
	big = empty_members(CCAUTH_JWKS_MAX_KEYS + 1);
	assert_int_equal(ccauth_jwks_parse(big, strlen(big), NULL, &set, &err), CCAUTH_E_MALFORMED);
	assert_null(set);
	/* exactly the cap is fine (all entries skipped) */
	free(big);
	big = empty_members(CCAUTH_JWKS_MAX_KEYS);
	assert_int_equal(ccauth_jwks_parse(big, strlen(big), NULL, &set, &err), CCAUTH_OK);
	ccauth_jwks_unref(set);
	free(big);

	/* over CCAUTH_JWKS_MAX_BYTES, even if it is whitespace */
	n = CCAUTH_JWKS_MAX_BYTES + 1;
	big = malloc(n);
	memset(big, ' ', n);
	memcpy(big, "{\"keys\":[]}", 11);
	assert_int_equal(ccauth_jwks_parse(big, n, NULL, &set, &err), CCAUTH_E_MALFORMED);
	assert_int_equal(ccauth_jwks_parse(big, n - 1, NULL, &set, &err), CCAUTH_OK);
	ccauth_jwks_unref(set);
	free(big);
	ccauth_jwks_unref(NULL);
}

static struct ccauth_jwks *parse_set(const char *const *members, size_t n)
{
	struct ccauth_jwks *set = NULL;
	char *text = jwks_text(members, n);

	assert_int_equal(ccauth_jwks_parse(text, strlen(text), NULL, &set, NULL), CCAUTH_OK);
	free(text);
	return set;
}

static void test_jwks_find(void **state)
{
	char *rsa_a = tu_jwk_json(keys[K_RSA2048], "a", NULL);
	char *rsa_b = tu_jwk_json(keys[K_RSA3072], "b", "RS256");
	char *ec_a = tu_jwk_json(keys[K_P256], "a", NULL);
	char *ec_c = tu_jwk_json(keys[K_P384], "c", NULL);
	char *ed = tu_jwk_json(keys[K_ED25519], NULL, NULL);
	const char *m[5] = {rsa_a, rsa_b, ec_a, ec_c, ed};
	struct ccauth_jwks *set = parse_set(m, 5);

	(void)state;
	assert_int_equal(set->nkeys, 5);
	/* kid and alg both select */
	assert_ptr_equal(ccauth_jwks_find(set, "a", 1, CCAUTH_ALG_RS256), &set->keys[0]);
	assert_ptr_equal(ccauth_jwks_find(set, "a", 1, CCAUTH_ALG_ES256), &set->keys[2]);
	assert_null(ccauth_jwks_find(set, "a", 1, CCAUTH_ALG_ES384));
	assert_ptr_equal(ccauth_jwks_find(set, "c", 1, CCAUTH_ALG_ES384), &set->keys[3]);
	/* exact bytes: case, prefix, embedded NUL */
	assert_null(ccauth_jwks_find(set, "A", 1, CCAUTH_ALG_RS256));
	assert_null(ccauth_jwks_find(set, "a\0", 2, CCAUTH_ALG_RS256));
	assert_null(ccauth_jwks_find(set, "", 0, CCAUTH_ALG_RS256));
	/* pinned alg */
	assert_ptr_equal(ccauth_jwks_find(set, "b", 1, CCAUTH_ALG_RS256), &set->keys[1]);
	assert_null(ccauth_jwks_find(set, "b", 1, CCAUTH_ALG_PS256));
	assert_null(ccauth_jwks_find(set, "b", 1, CCAUTH_ALG_RS512));
	/* no kid: only when exactly one key allows alg */
	assert_ptr_equal(ccauth_jwks_find(set, NULL, 0, CCAUTH_ALG_PS256), &set->keys[0]);
	assert_null(ccauth_jwks_find(set, NULL, 0, CCAUTH_ALG_RS256)); /* a and b */
	assert_ptr_equal(ccauth_jwks_find(set, NULL, 0, CCAUTH_ALG_ES256), &set->keys[2]);
	assert_ptr_equal(ccauth_jwks_find(set, NULL, 0, CCAUTH_ALG_EDDSA), &set->keys[4]);
	assert_null(ccauth_jwks_find(set, NULL, 0, CCAUTH_ALG_ES512));
	/* a key without kid is not found by kid */
	assert_null(ccauth_jwks_find(set, "x", 1, CCAUTH_ALG_EDDSA));
	assert_null(ccauth_jwks_find(NULL, "a", 1, CCAUTH_ALG_RS256));

	/* digests prefetched once per set */
	assert_int_equal(EVP_MD_get_size(ccauth_jwks_md(set, CCAUTH_ALG_RS256)), 32);
	assert_int_equal(EVP_MD_get_size(ccauth_jwks_md(set, CCAUTH_ALG_PS384)), 48);
	assert_int_equal(EVP_MD_get_size(ccauth_jwks_md(set, CCAUTH_ALG_ES512)), 64);
	assert_ptr_equal(ccauth_jwks_md(set, CCAUTH_ALG_ES256), ccauth_jwks_md(set, CCAUTH_ALG_PS256));
	assert_null(ccauth_jwks_md(set, CCAUTH_ALG_EDDSA));

	/* reference counting */
	assert_ptr_equal(ccauth_jwks_ref(set), set);
	assert_int_equal(set->refs, 2);
	ccauth_jwks_unref(set);
	assert_int_equal(set->refs, 1);
	ccauth_jwks_unref(set);
	free(rsa_a);
	free(rsa_b);
	free(ec_a);
	free(ec_c);
	free(ed);
}

static void test_jwks_duplicate_kid(void **state)
{
	char *k1 = tu_jwk_json(keys[K_P256], "same", NULL);
	char *k2 = tu_jwk_json(keys[K_P384], "same", NULL);
	const char *m[2] = {k1, k2}, *same[2] = {k1, k1};
	struct ccauth_jwks *set = parse_set(m, 2);

	(void)state;
	/* same kid, different curves: alg disambiguates */
	assert_ptr_equal(ccauth_jwks_find(set, "same", 4, CCAUTH_ALG_ES256), &set->keys[0]);
	assert_ptr_equal(ccauth_jwks_find(set, "same", 4, CCAUTH_ALG_ES384), &set->keys[1]);
	ccauth_jwks_unref(set);
	/* same kid and both fit: ambiguous, no key */
	set = parse_set(same, 2);
	assert_int_equal(set->nkeys, 2);
	assert_null(ccauth_jwks_find(set, "same", 4, CCAUTH_ALG_ES256));
	ccauth_jwks_unref(set);
	free(k1);
	free(k2);
}

static void test_jwks_load_file(void **state)
{
	char *ec = tu_jwk_json(keys[K_P256], "f", NULL);
	const char *m[1] = {ec};
	char *text = jwks_text(m, 1), *path, *dir, *big;
	struct ccauth_jwks *set = NULL;
	struct ccauth_error err;

	(void)state;
	path = tu_write_temp("jwks.json", text);
	assert_int_equal(ccauth_jwks_load_file(path, NULL, &set, &err), CCAUTH_OK);
	assert_int_equal(set->nkeys, 1);
	ccauth_jwks_unref(set);

	assert_int_equal(ccauth_jwks_load_file("/nonexistent/jwks.json", NULL, &set, &err), CCAUTH_E_CONFIG);
	assert_null(set);
	dir = strdup(path);
	*strrchr(dir, '/') = '\0';
	assert_int_equal(ccauth_jwks_load_file(dir, NULL, &set, &err), CCAUTH_E_CONFIG);
	free(path);

	big = malloc(CCAUTH_JWKS_MAX_BYTES + 2);
	memset(big, ' ', CCAUTH_JWKS_MAX_BYTES + 1);
	big[CCAUTH_JWKS_MAX_BYTES + 1] = '\0';
	memcpy(big, "{\"keys\":[]}", 11);
	path = tu_write_temp("big.json", big);
	assert_int_equal(ccauth_jwks_load_file(path, NULL, &set, &err), CCAUTH_E_CONFIG);
	assert_non_null(strstr(err.msg, "larger"));
	free(path);
	big[CCAUTH_JWKS_MAX_BYTES] = '\0';
	path = tu_write_temp("cap.json", big);
	assert_int_equal(ccauth_jwks_load_file(path, NULL, &set, &err), CCAUTH_OK);
	ccauth_jwks_unref(set);
	free(path);

	path = tu_write_temp("bad.json", "{\"keys\":5}");
	assert_int_equal(ccauth_jwks_load_file(path, NULL, &set, &err), CCAUTH_E_MALFORMED);
	free(path);
	free(big);
	free(dir);
	free(text);
	free(ec);
}

static void test_alg_names(void **state)
{
	(void)state;
	for (int a = 0; a < CCAUTH_ALG_COUNT; a++) {
		const char *n = ccauth_alg_name((enum ccauth_alg)a);
		assert_int_equal(ccauth_alg_from_name(n, strlen(n)), a);
	}
	assert_int_equal(ccauth_alg_from_name("none", 4), -1);
	assert_int_equal(ccauth_alg_from_name("HS256", 5), -1);
	assert_int_equal(ccauth_alg_from_name("EDDSA", 5), -1);
	assert_int_equal(ccauth_alg_from_name("RS2560", 6), -1);
	assert_int_equal(ccauth_alg_from_name("RS25", 4), -1);
	assert_string_equal(ccauth_alg_name(CCAUTH_ALG_COUNT), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_import_each_kind),
	    cmocka_unit_test(test_pinned_alg),
	    cmocka_unit_test(test_rejections_rsa),
	    cmocka_unit_test(test_rsa_roca),
	    cmocka_unit_test(test_rejections_ec),
	    cmocka_unit_test(test_off_curve),
	    cmocka_unit_test(test_rejections_okp),
	    cmocka_unit_test(test_jwks_skip_rules),
	    cmocka_unit_test(test_jwks_document_errors),
	    cmocka_unit_test(test_jwks_find),
	    cmocka_unit_test(test_jwks_duplicate_kid),
	    cmocka_unit_test(test_jwks_load_file),
	    cmocka_unit_test(test_alg_names),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
