/* JWS compact parsing (exact status per rejection), routing, and verification per algorithm. */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <openssl/ecdsa.h>

#include "b64url.h"
#include "json.h"
#include "jwk.h"
#include "jwks.h"
#include "jws.h"
#include "testutil.h"

enum { K_RSA, K_RSA_B, K_P256, K_P384, K_P521, K_ED25519, K_ED448, K_P256_B, K_COUNT };
static const char *const kinds[K_COUNT] = {"RSA2048", "RSA3072", "P-256", "P-384",
                                           "P-521",   "Ed25519", "Ed448", "P-256"};
static EVP_PKEY *keys[K_COUNT];
static struct ccauth_jwks *set; /* one JWK per key, kid = "k<index>" */

static const char payload[] = "{\"iss\":\"https://as.example\",\"sub\":\"svc\",\"exp\":4102444800}";

static int setup(void **state)
{
	char *text, *jwk;
	size_t used = 0, cap = 65536;

	(void)state;
	text = malloc(cap);
	used += (size_t)snprintf(text, cap, "{\"keys\":[");
	for (int i = 0; i < K_COUNT; i++) {
		char kid[8];

		keys[i] = tu_genkey(kinds[i]);
		snprintf(kid, sizeof(kid), "k%d", i);
		jwk = tu_jwk_json(keys[i], kid, NULL);
		used += (size_t)snprintf(text + used, cap - used, "%s%s", i ? "," : "", jwk);
		free(jwk);
	}
	snprintf(text + used, cap - used, "]}");
	if (ccauth_jwks_parse(text, strlen(text), NULL, &set, NULL) != CCAUTH_OK || set->nkeys != K_COUNT)
		return -1;
	free(text);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < K_COUNT; i++)
		EVP_PKEY_free(keys[i]);
	ccauth_jwks_unref(set);
	return 0;
}

/* header.payload.sig from raw JSON texts and a raw base64url signature part */
static char *token3(const char *header, const char *pl, const char *sigpart)
{
	char *h = tu_b64url_str(header), *p = tu_b64url_str(pl), *out;
	size_t n = strlen(h) + strlen(p) + strlen(sigpart) + 3;

	out = malloc(n);
	assert_non_null(out);
	snprintf(out, n, "%s.%s.%s", h, p, sigpart);
	free(h);
	free(p);
	return out;
}

static enum ccauth_status parse_status(const char *token)
{
	struct ccauth_jws jws;
	enum ccauth_status st = ccauth_jws_parse(token, strlen(token), &jws, NULL);

	if (st == CCAUTH_OK)
		ccauth_jws_clear(&jws);
	else
		assert_null(jws.header_doc);
	return st;
}

static void test_parse_rejections(void **state)
{
	static const struct {
		const char *what, *header, *payload, *sig;
		enum ccauth_status want;
	} cases[] = {
	    {"ok", "{\"alg\":\"RS256\"}", "{}", "AAAA", CCAUTH_OK},
	    {"alg missing", "{\"typ\":\"JWT\"}", "{}", "AAAA", CCAUTH_E_ALGORITHM},
	    {"alg number", "{\"alg\":256}", "{}", "AAAA", CCAUTH_E_ALGORITHM},
	    {"alg null", "{\"alg\":null}", "{}", "AAAA", CCAUTH_E_ALGORITHM},
	    {"alg array", "{\"alg\":[\"RS256\"]}", "{}", "AAAA", CCAUTH_E_ALGORITHM},
	    {"alg none", "{\"alg\":\"none\"}", "{}", "AAAA", CCAUTH_E_ALGORITHM},
	    {"alg NONE", "{\"alg\":\"NONE\"}", "{}", "AAAA", CCAUTH_E_ALGORITHM},
	    {"alg nOnE", "{\"alg\":\"nOnE\"}", "{}", "AAAA", CCAUTH_E_ALGORITHM},
	    {"alg none, no signature", "{\"alg\":\"none\"}", "{}", "", CCAUTH_E_ALGORITHM},
	    {"alg HS256", "{\"alg\":\"HS256\"}", "{}", "AAAA", CCAUTH_E_ALGORITHM},
	    {"alg HS384", "{\"alg\":\"HS384\"}", "{}", "AAAA", CCAUTH_E_ALGORITHM},
	    {"alg HS512", "{\"alg\":\"HS512\"}", "{}", "AAAA", CCAUTH_E_ALGORITHM},
	    {"alg rs256", "{\"alg\":\"rs256\"}", "{}", "AAAA", CCAUTH_E_ALGORITHM},
	    {"alg ES256K", "{\"alg\":\"ES256K\"}", "{}", "AAAA", CCAUTH_E_ALGORITHM},
	    {"alg RSA-OAEP", "{\"alg\":\"RSA-OAEP\"}", "{}", "AAAA", CCAUTH_E_ALGORITHM},
	    {"alg with NUL escape", "{\"alg\":\"RS256\\u0000\"}", "{}", "AAAA", CCAUTH_E_MALFORMED},
	    {"crit known-looking", "{\"alg\":\"RS256\",\"crit\":[\"exp\"],\"exp\":1}", "{}", "AAAA",
	     CCAUTH_E_MALFORMED},
	    {"crit b64", "{\"alg\":\"RS256\",\"crit\":[\"b64\"],\"b64\":false}", "{}", "AAAA", CCAUTH_E_MALFORMED},
	    {"crit empty", "{\"alg\":\"RS256\",\"crit\":[]}", "{}", "AAAA", CCAUTH_E_MALFORMED},
	    {"crit string", "{\"alg\":\"RS256\",\"crit\":\"x\"}", "{}", "AAAA", CCAUTH_E_MALFORMED},
	    {"crit number member", "{\"alg\":\"RS256\",\"crit\":[1]}", "{}", "AAAA", CCAUTH_E_MALFORMED},
	    {"kid number", "{\"alg\":\"RS256\",\"kid\":1}", "{}", "AAAA", CCAUTH_E_MALFORMED},
	    {"kid null", "{\"alg\":\"RS256\",\"kid\":null}", "{}", "AAAA", CCAUTH_E_MALFORMED},
	    {"typ object", "{\"alg\":\"RS256\",\"typ\":{}}", "{}", "AAAA", CCAUTH_E_MALFORMED},
	    {"header array", "[\"RS256\"]", "{}", "AAAA", CCAUTH_E_MALFORMED},
	    {"header string", "\"RS256\"", "{}", "AAAA", CCAUTH_E_MALFORMED},
	    {"header not JSON", "{alg:RS256}", "{}", "AAAA", CCAUTH_E_MALFORMED},
	    {"header duplicate alg", "{\"alg\":\"none\",\"alg\":\"RS256\"}", "{}", "AAAA", CCAUTH_E_MALFORMED},
	    {"header trailing garbage", "{\"alg\":\"RS256\"}x", "{}", "AAAA", CCAUTH_E_MALFORMED},
	    {"header empty", "", "{}", "AAAA", CCAUTH_E_MALFORMED},
	    {"payload array", "{\"alg\":\"RS256\"}", "[]", "AAAA", CCAUTH_E_MALFORMED},
	    {"payload string", "{\"alg\":\"RS256\"}", "\"x\"", "AAAA", CCAUTH_E_MALFORMED},
	    {"payload text", "{\"alg\":\"RS256\"}", "foo", "AAAA", CCAUTH_E_MALFORMED},
	    {"payload empty", "{\"alg\":\"RS256\"}", "", "AAAA", CCAUTH_E_MALFORMED},
	    {"payload duplicate", "{\"alg\":\"RS256\"}", "{\"sub\":\"a\",\"sub\":\"b\"}", "AAAA", CCAUTH_E_MALFORMED},
	    {"signature empty", "{\"alg\":\"RS256\"}", "{}", "", CCAUTH_E_MALFORMED},
	    {"signature padded", "{\"alg\":\"RS256\"}", "{}", "AAA=", CCAUTH_E_MALFORMED},
	    {"signature std alphabet", "{\"alg\":\"RS256\"}", "{}", "AA+/", CCAUTH_E_MALFORMED},
	    {"signature bad length", "{\"alg\":\"RS256\"}", "{}", "AAAAA", CCAUTH_E_MALFORMED},
	    {"signature non-canonical", "{\"alg\":\"RS256\"}", "{}", "AB", CCAUTH_E_MALFORMED},
	    {"jwk/jku/x5u/x5c/x5t ignored",
	     "{\"alg\":\"RS256\",\"jwk\":{\"kty\":\"oct\"},\"jku\":\"https://evil\",\"x5u\":\"https://"
	     "evil\",\"x5c\":[\"AA\"],"
	     "\"x5t\":\"AA\"}",
	     "{}", "AAAA", CCAUTH_OK},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *t = token3(cases[i].header, cases[i].payload, cases[i].sig);
		enum ccauth_status st = parse_status(t);

		if (st != cases[i].want)
			fail_msg("case \"%s\": got %s want %s", cases[i].what, ccauth_status_reason(st),
			         ccauth_status_reason(cases[i].want));
		free(t);
	}
}

static void test_parse_shape(void **state)
{
	static const char *const bad[] = {
	    "",
	    "abc",
	    "eyJhbGciOiJSUzI1NiJ9.e30",
	    "eyJhbGciOiJSUzI1NiJ9.e30.AAAA.AAAA",
	    "eyJhbGciOiJSUzI1NiJ9..AAAA",
	    ".e30.AAAA",
	    "eyJhbGciOiJSUzI1NiJ9.e30.AA AA",
	    " eyJhbGciOiJSUzI1NiJ9.e30.AAAA",
	    "eyJhbGciOiJSUzI1NiJ9.e30=.AAAA",
	};
	struct ccauth_jws jws;
	struct ccauth_error err;
	char *t, *big;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse_status(bad[i]) != CCAUTH_E_MALFORMED)
			fail_msg("case %zu: not malformed", i);
	/* embedded NUL in the token */
	assert_int_equal(ccauth_jws_parse("eyJhbGciOiJSUzI1NiJ9.e30.AA\0A", 29, &jws, NULL), CCAUTH_E_MALFORMED);

	/* signature longer than CCAUTH_JWS_SIG_MAX */
	n = CCAUTH_B64URL_ENCODED_LEN(CCAUTH_JWS_SIG_MAX + 1) + 1;
	big = malloc(n);
	memset(big, 'A', n - 1);
	big[n - 1] = '\0';
	big[n - 2] = 'A';
	big[CCAUTH_B64URL_ENCODED_LEN(CCAUTH_JWS_SIG_MAX + 1)] = '\0';
	t = token3("{\"alg\":\"RS256\"}", "{}", big);
	assert_int_equal(ccauth_jws_parse(t, strlen(t), &jws, &err), CCAUTH_E_MALFORMED);
	free(t);
	big[CCAUTH_B64URL_ENCODED_LEN(CCAUTH_JWS_SIG_MAX)] = '\0';
	big[CCAUTH_B64URL_ENCODED_LEN(CCAUTH_JWS_SIG_MAX) - 1] = 'A';
	t = token3("{\"alg\":\"RS256\"}", "{}", big);
	assert_int_equal(ccauth_jws_parse(t, strlen(t), &jws, &err), CCAUTH_OK);
	assert_int_equal(jws.siglen, CCAUTH_JWS_SIG_MAX);
	ccauth_jws_clear(&jws);
	free(t);
	free(big);

	/* token longer than CCAUTH_TOKEN_MAX */
	big = malloc(CCAUTH_TOKEN_MAX);
	memset(big, 'A', CCAUTH_TOKEN_MAX - 1);
	big[CCAUTH_TOKEN_MAX - 1] = '\0';
	t = token3("{\"alg\":\"RS256\"}", "{}", "AAAA");
	{
		size_t tl = strlen(t), total = CCAUTH_TOKEN_MAX + 1;
		char *huge = malloc(total + 1);
		/* header.payload(padded with a long string claim).sig: build exactly one byte over */
		memset(huge, 'A', total);
		memcpy(huge, t, tl);
		huge[total] = '\0';
		assert_int_equal(ccauth_jws_parse(huge, total, &jws, &err), CCAUTH_E_MALFORMED);
		assert_non_null(strstr(err.msg, "longer"));
		free(huge);
	}
	free(t);
	free(big);
	ccauth_jws_clear(NULL);
}

static void test_parse_fields(void **state)
{
	char *t = token3("{\"alg\":\"ES256\",\"kid\":\"k\\u00e9y\",\"typ\":\"at+jwt\"}", payload, "AAAA");
	struct ccauth_jws jws;

	(void)state;
	assert_int_equal(ccauth_jws_parse(t, strlen(t), &jws, NULL), CCAUTH_OK);
	assert_int_equal(jws.alg, CCAUTH_ALG_ES256);
	assert_int_equal(jws.kidlen, 4);
	assert_memory_equal(jws.kid, "k\xc3\xa9y", 4);
	assert_string_equal(jws.typ, "at+jwt");
	assert_ptr_equal(jws.token, t);
	assert_int_equal(jws.len, strlen(t));
	assert_int_equal(jws.signing_input_len, (size_t)(strrchr(t, '.') - t));
	assert_int_equal(jws.siglen, 3);
	assert_int_equal(jws.header->type, CCAUTH_JSON_OBJECT);
	assert_int_equal(jws.payload->type, CCAUTH_JSON_OBJECT);
	assert_non_null(ccauth_json_get(jws.payload, "sub"));
	ccauth_jws_clear(&jws);
	assert_null(jws.header_doc);
	free(t);

	/* no kid, no typ */
	t = token3("{\"alg\":\"EdDSA\"}", "{}", "AAAA");
	assert_int_equal(ccauth_jws_parse(t, strlen(t), &jws, NULL), CCAUTH_OK);
	assert_null(jws.kid);
	assert_null(jws.typ);
	ccauth_jws_clear(&jws);
	free(t);
}

static void test_looks_like_jwt(void **state)
{
	char *t = token3("{\"alg\":\"RS256\"}", "{}", "AAAA");
	char *ws = token3(" \r\n\t{\"alg\":\"RS256\"}", "{}", "AAAA");
	char *arr = token3("[1]", "{}", "AAAA");
	char *longws, *lw;

	(void)state;
	assert_int_equal(ccauth_jws_looks_like_jwt(t, strlen(t)), 1);
	assert_int_equal(ccauth_jws_looks_like_jwt(ws, strlen(ws)), 1);
	assert_int_equal(ccauth_jws_looks_like_jwt(arr, strlen(arr)), 0);
	assert_int_equal(ccauth_jws_looks_like_jwt(t, strlen(t) - 5), 0); /* "...e30" two parts */
	assert_int_equal(ccauth_jws_looks_like_jwt("2YotnFZFEjr1zCsicMWpAA", 22), 0);
	assert_int_equal(ccauth_jws_looks_like_jwt("a.b.c", 5), 0);
	assert_int_equal(ccauth_jws_looks_like_jwt("..", 2), 0);
	assert_int_equal(ccauth_jws_looks_like_jwt("", 0), 0);
	assert_int_equal(ccauth_jws_looks_like_jwt(NULL, 5), 0);
	assert_int_equal(ccauth_jws_looks_like_jwt("eyJ9.e30.AA.AA", 14), 0);
	assert_int_equal(ccauth_jws_looks_like_jwt("eyJhbGciOiJSUzI1NiJ9.e30.AA+A", 29), 0);
	assert_int_equal(ccauth_jws_looks_like_jwt("eyJhbGciOiJSUzI1NiJ9.e30.", 25), 1); /* shape only */
	/* header starting with 100 blanks before '{' still routes as JWT */
	longws = malloc(200);
	memset(longws, ' ', 100);
	snprintf(longws + 100, 100, "{\"alg\":\"RS256\"}");
	lw = token3(longws, "{}", "AAAA");
	assert_int_equal(ccauth_jws_looks_like_jwt(lw, strlen(lw)), 1);
	free(lw);
	free(longws);
	free(t);
	free(ws);
	free(arr);
}

/* ---- verification ------------------------------------------------------------------------ */

static const struct {
	const char *alg;
	int key, other, wrongtype;
} algs[] = {
    {"RS256", K_RSA, K_RSA_B, K_P256},     {"RS384", K_RSA, K_RSA_B, K_P384},    {"RS512", K_RSA_B, K_RSA, K_ED25519},
    {"PS256", K_RSA, K_RSA_B, K_P256},     {"PS384", K_RSA_B, K_RSA, K_P384},    {"PS512", K_RSA, K_RSA_B, K_P521},
    {"ES256", K_P256, K_P256_B, K_P384},   {"ES384", K_P384, K_P256, K_P521},    {"ES512", K_P521, K_P384, K_RSA},
    {"EdDSA", K_ED25519, K_ED448, K_P256}, {"EdDSA", K_ED448, K_ED25519, K_RSA},
};

static enum ccauth_status verify_with(const char *token, int keyidx)
{
	struct ccauth_jws jws;
	enum ccauth_status st = ccauth_jws_parse(token, strlen(token), &jws, NULL);

	assert_int_equal(st, CCAUTH_OK);
	st = ccauth_jws_verify(&jws, set, &set->keys[keyidx], NULL);
	ccauth_jws_clear(&jws);
	return st;
}

static void test_verify_per_alg(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		char header[64], *t;
		struct ccauth_jws jws;
		size_t len;

		snprintf(header, sizeof(header), "{\"alg\":\"%s\",\"kid\":\"k%d\"}", algs[i].alg, algs[i].key);
		t = tu_sign(keys[algs[i].key], algs[i].alg, header, payload);
		len = strlen(t);
		/* the key is found by kid+alg and verifies */
		assert_int_equal(ccauth_jws_parse(t, len, &jws, NULL), CCAUTH_OK);
		assert_ptr_equal(ccauth_jwks_find(set, jws.kid, jws.kidlen, jws.alg), &set->keys[algs[i].key]);
		ccauth_jws_clear(&jws);
		if (verify_with(t, algs[i].key) != CCAUTH_OK)
			fail_msg("%s: valid token rejected", algs[i].alg);
		/* another key of a type that can do alg: bad signature */
		if (verify_with(t, algs[i].other) !=
		    (strcmp(algs[i].alg, "ES384") == 0 || strcmp(algs[i].alg, "ES512") == 0 ? CCAUTH_E_ALGORITHM
		                                                                            : CCAUTH_E_SIGNATURE))
			fail_msg("%s: other key", algs[i].alg);
		/* a key type that cannot do alg */
		if (verify_with(t, algs[i].wrongtype) != CCAUTH_E_ALGORITHM)
			fail_msg("%s: wrong key type not refused", algs[i].alg);
		/* last signature character changed (keeps canonical base64url) */
		t[len - 2] = t[len - 2] == 'A' ? 'B' : 'A';
		if (verify_with(t, algs[i].key) != CCAUTH_E_SIGNATURE)
			fail_msg("%s: modified signature accepted", algs[i].alg);
		free(t);
		/* payload changed after signing */
		t = tu_sign(keys[algs[i].key], algs[i].alg, header, payload);
		{
			char *d1 = strchr(t, '.');
			d1[3] = d1[3] == 'A' ? 'B' : 'A';
		}
		{
			struct ccauth_jws j2;
			if (ccauth_jws_parse(t, strlen(t), &j2, NULL) == CCAUTH_OK) {
				assert_int_equal(ccauth_jws_verify(&j2, set, &set->keys[algs[i].key], NULL),
				                 CCAUTH_E_SIGNATURE);
				ccauth_jws_clear(&j2);
			}
		}
		free(t);
	}
}

static void test_verify_pinned_and_confusion(void **state)
{
	struct ccauth_jwk pinned = set->keys[K_RSA];
	char *t = tu_sign(keys[K_RSA], "RS256", "{\"alg\":\"RS256\"}", payload);
	struct ccauth_jws jws;
	struct ccauth_error err;

	(void)state;
	assert_int_equal(ccauth_jws_parse(t, strlen(t), &jws, NULL), CCAUTH_OK);
	pinned.alg = CCAUTH_ALG_PS256;
	assert_int_equal(ccauth_jws_verify(&jws, set, &pinned, &err), CCAUTH_E_ALGORITHM);
	pinned.alg = CCAUTH_ALG_RS256;
	assert_int_equal(ccauth_jws_verify(&jws, set, &pinned, &err), CCAUTH_OK);
	/* the same signature presented as PS256 / RS384 fails */
	assert_int_equal(ccauth_sig_verify(CCAUTH_ALG_PS256, keys[K_RSA], ccauth_jwks_md(set, CCAUTH_ALG_PS256),
	                                   (const unsigned char *)t, jws.signing_input_len, jws.sig, jws.siglen, NULL),
	                 CCAUTH_E_SIGNATURE);
	assert_int_equal(ccauth_sig_verify(CCAUTH_ALG_RS384, keys[K_RSA], ccauth_jwks_md(set, CCAUTH_ALG_RS384),
	                                   (const unsigned char *)t, jws.signing_input_len, jws.sig, jws.siglen, NULL),
	                 CCAUTH_E_SIGNATURE);
	/* a digest that does not match alg is an internal error, not a pass */
	assert_int_equal(ccauth_sig_verify(CCAUTH_ALG_RS256, keys[K_RSA], ccauth_jwks_md(set, CCAUTH_ALG_RS512),
	                                   (const unsigned char *)t, jws.signing_input_len, jws.sig, jws.siglen, NULL),
	                 CCAUTH_E_INTERNAL);
	/* no set: no digest, never a lookup by name */
	assert_int_equal(ccauth_jws_verify(&jws, NULL, &set->keys[K_RSA], NULL), CCAUTH_E_INTERNAL);
	ccauth_jws_clear(&jws);
	free(t);

	/* an embedded "jwk" header naming the attacker's key changes nothing */
	{
		char *jwk = tu_jwk_json(keys[K_P256_B], "k2", NULL), header[512];
		snprintf(header, sizeof(header), "{\"alg\":\"ES256\",\"kid\":\"k2\",\"jwk\":%s}", jwk);
		t = tu_sign(keys[K_P256_B], "ES256", header, payload);
		assert_int_equal(verify_with(t, K_P256), CCAUTH_E_SIGNATURE);
		free(t);
		free(jwk);
	}
}

/* ES*: raw R||S only, exact length; DER and zero components refused */
static void test_ecdsa_encoding(void **state)
{
	char *t = tu_sign(keys[K_P256], "ES256", "{\"alg\":\"ES256\"}", payload), *bad;
	struct ccauth_jws jws;
	unsigned char der[128], *p = der, raw[64];
	const unsigned char *md = NULL;
	ECDSA_SIG *es;
	BIGNUM *r, *s;
	int derlen;
	char *sigb64;
	const EVP_MD *sha = ccauth_jwks_md(set, CCAUTH_ALG_ES256);
	const unsigned char *in;
	size_t inlen;

	(void)state;
	(void)md;
	assert_int_equal(ccauth_jws_parse(t, strlen(t), &jws, NULL), CCAUTH_OK);
	assert_int_equal(jws.siglen, 64);
	in = (const unsigned char *)t;
	inlen = jws.signing_input_len;
	assert_int_equal(ccauth_sig_verify(CCAUTH_ALG_ES256, keys[K_P256], sha, in, inlen, jws.sig, 64, NULL),
	                 CCAUTH_OK);

	/* the same signature as DER */
	r = BN_bin2bn(jws.sig, 32, NULL);
	s = BN_bin2bn(jws.sig + 32, 32, NULL);
	es = ECDSA_SIG_new();
	assert_int_equal(ECDSA_SIG_set0(es, r, s), 1);
	derlen = i2d_ECDSA_SIG(es, &p);
	assert_true(derlen > 0);
	ECDSA_SIG_free(es);
	assert_int_equal(ccauth_sig_verify(CCAUTH_ALG_ES256, keys[K_P256], sha, in, inlen, der, (size_t)derlen, NULL),
	                 CCAUTH_E_SIGNATURE);
	sigb64 = tu_b64url(der, (size_t)derlen);
	bad = malloc(inlen + strlen(sigb64) + 2);
	memcpy(bad, t, inlen);
	bad[inlen] = '.';
	memcpy(bad + inlen + 1, sigb64, strlen(sigb64) + 1);
	assert_int_equal(verify_with(bad, K_P256), CCAUTH_E_SIGNATURE);
	free(bad);
	free(sigb64);

	/* lengths around 64 */
	assert_int_equal(ccauth_sig_verify(CCAUTH_ALG_ES256, keys[K_P256], sha, in, inlen, jws.sig, 63, NULL),
	                 CCAUTH_E_SIGNATURE);
	memcpy(raw, jws.sig, 64);
	/* r = 0, s = 0, both zero */
	memset(raw, 0, 32);
	assert_int_equal(ccauth_sig_verify(CCAUTH_ALG_ES256, keys[K_P256], sha, in, inlen, raw, 64, NULL),
	                 CCAUTH_E_SIGNATURE);
	memcpy(raw, jws.sig, 32);
	memset(raw + 32, 0, 32);
	assert_int_equal(ccauth_sig_verify(CCAUTH_ALG_ES256, keys[K_P256], sha, in, inlen, raw, 64, NULL),
	                 CCAUTH_E_SIGNATURE);
	memset(raw, 0, 64);
	assert_int_equal(ccauth_sig_verify(CCAUTH_ALG_ES256, keys[K_P256], sha, in, inlen, raw, 64, NULL),
	                 CCAUTH_E_SIGNATURE);
	/* r, s with the high bit set (needs the DER sign byte) still work: covered by the vectors;
	 * ES256 signature with a P-384 key is refused as an algorithm mismatch */
	assert_int_equal(ccauth_sig_verify(CCAUTH_ALG_ES256, keys[K_P384], sha, in, inlen, jws.sig, 64, NULL),
	                 CCAUTH_E_ALGORITHM);
	ccauth_jws_clear(&jws);
	free(t);
}

static void test_rsa_length(void **state)
{
	char *t = tu_sign(keys[K_RSA], "RS256", "{\"alg\":\"RS256\"}", payload);
	struct ccauth_jws jws;
	unsigned char sig[300];
	const EVP_MD *sha = ccauth_jwks_md(set, CCAUTH_ALG_RS256);

	(void)state;
	assert_int_equal(ccauth_jws_parse(t, strlen(t), &jws, NULL), CCAUTH_OK);
	assert_int_equal(jws.siglen, 256);
	/* a leading zero added or a byte dropped changes k: refused */
	sig[0] = 0;
	memcpy(sig + 1, jws.sig, 256);
	assert_int_equal(ccauth_sig_verify(CCAUTH_ALG_RS256, keys[K_RSA], sha, (const unsigned char *)t,
	                                   jws.signing_input_len, sig, 257, NULL),
	                 CCAUTH_E_SIGNATURE);
	assert_int_equal(ccauth_sig_verify(CCAUTH_ALG_RS256, keys[K_RSA], sha, (const unsigned char *)t,
	                                   jws.signing_input_len, jws.sig + 1, 255, NULL),
	                 CCAUTH_E_SIGNATURE);
	ccauth_jws_clear(&jws);
	free(t);
}

/* Non-crypto cost per token: parse + key lookup.  Printed, and bounded loosely so that a
 * regression by an order of magnitude fails even under sanitizers. */
static void test_parse_speed(void **state)
{
	char header[64], *t;
	struct timespec a, b;
	const int rounds = 20000;
	double ns;

	(void)state;
	snprintf(header, sizeof(header), "{\"alg\":\"ES256\",\"kid\":\"k%d\",\"typ\":\"at+jwt\"}", K_P256);
	t = tu_sign(keys[K_P256], "ES256", header,
	            "{\"iss\":\"https://sso-abc.sso.duosecurity.com/oauth/DIXXXXXXXX\",\"sub\":\"DIXXXXXXXX\","
	            "\"aud\":\"ldap://ldap.example.com\",\"client_id\":\"DIXXXXXXXX\",\"scope\":\"ldap.read\","
	            "\"iat\":1700000000,\"exp\":4102444800,\"jti\":\"0123456789abcdef\"}");
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < rounds; i++) {
		struct ccauth_jws jws;
		assert_int_equal(ccauth_jws_parse(t, strlen(t), &jws, NULL), CCAUTH_OK);
		assert_non_null(ccauth_jwks_find(set, jws.kid, jws.kidlen, jws.alg));
		ccauth_jws_clear(&jws);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	ns = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / rounds;
	printf("# jws parse + jwks find: %.0f ns per token (%zu-byte token)\n", ns, strlen(t));
	/* CCAUTH_TEST_SLOWDOWN: the sanitizer build's factor (tests/Makefile.am) */
	assert_true(ns < 30000.0 * (getenv("CCAUTH_TEST_SLOWDOWN") ? atof(getenv("CCAUTH_TEST_SLOWDOWN")) : 1.0));
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_rejections), cmocka_unit_test(test_parse_shape),
	    cmocka_unit_test(test_parse_fields),     cmocka_unit_test(test_looks_like_jwt),
	    cmocka_unit_test(test_verify_per_alg),   cmocka_unit_test(test_verify_pinned_and_confusion),
	    cmocka_unit_test(test_ecdsa_encoding),   cmocka_unit_test(test_rsa_length),
	    cmocka_unit_test(test_parse_speed),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
