/* Known-answer vectors: RFC 7515/7520/8037 examples and Project Wycheproof (tests/vectors/).
 *
 * Wycheproof "acceptable" results: a signature that is cryptographically valid but uses a
 * legacy encoding.  The only one in the files used here is rsa_signature_2048_sha256 tcId 8
 * (DigestInfo without the NULL parameter, "MissingNull"): ccauth (OpenSSL's strict PKCS#1
 * v1.5 check) rejects it, and the test pins that outcome so a change is noticed. */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/x509.h>

#include "b64url.h"
#include "json.h"
#include "jwk.h"
#include "jwks.h"
#include "jws.h"

static char *slurp(const char *rel, size_t *len)
{
	char path[1024];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", TEST_SRCDIR, rel);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

static struct ccauth_json_doc *load_json(const char *rel)
{
	struct ccauth_json_doc *doc = NULL;
	size_t len;
	char *text = slurp(rel, &len);

	assert_int_equal(ccauth_json_parse(text, len, 0, CCAUTH_JSON_MAX_DEPTH, &doc, NULL), CCAUTH_OK);
	free(text);
	return doc;
}

static const char *str(const struct ccauth_json *obj, const char *key)
{
	const struct ccauth_json *v = ccauth_json_get(obj, key);
	return v != NULL && v->type == CCAUTH_JSON_STRING ? v->str : NULL;
}

static unsigned char *unhex(const char *hex, size_t *len)
{
	size_t n = strlen(hex) / 2;
	unsigned char *out = malloc(n + 1);

	assert_non_null(out);
	for (size_t i = 0; i < n; i++) {
		unsigned v = 0;
		for (int j = 0; j < 2; j++) {
			char c = hex[2 * i + j];
			v = v * 16 + (unsigned)(c >= 'a' ? c - 'a' + 10 : c >= 'A' ? c - 'A' + 10 : c - '0');
		}
		out[i] = (unsigned char)v;
	}
	*len = n;
	return out;
}

/* A set on the stack around an array of keys, with prefetched digests like ccauth_jwks_parse. */
struct kset {
	struct ccauth_jwks set;
	struct ccauth_jwk keys[CCAUTH_JWKS_MAX_KEYS];
};

static void kset_init(struct kset *ks)
{
	memset(ks, 0, sizeof(*ks));
	ks->set.keys = ks->keys;
	ks->set.refs = 1;
	ks->set.md[0] = EVP_MD_fetch(NULL, "SHA256", NULL);
	ks->set.md[1] = EVP_MD_fetch(NULL, "SHA384", NULL);
	ks->set.md[2] = EVP_MD_fetch(NULL, "SHA512", NULL);
	assert_non_null(ks->set.md[2]);
}

/* Add one JWK or every key of a JWKS; keys the importer refuses are left out (as in a JWKS). */
static void kset_add(struct kset *ks, const struct ccauth_json *jwk_or_set)
{
	const struct ccauth_json *keys = ccauth_json_get(jwk_or_set, "keys");

	if (keys != NULL) {
		for (const struct ccauth_json *k = keys->child; k != NULL; k = k->next)
			kset_add(ks, k);
		return;
	}
	if (ccauth_jwk_from_json(jwk_or_set, &ks->keys[ks->set.nkeys], NULL) == CCAUTH_OK)
		ks->set.nkeys++;
}

static void kset_free(struct kset *ks)
{
	for (size_t i = 0; i < ks->set.nkeys; i++)
		ccauth_jwk_clear(&ks->keys[i]);
	for (int i = 0; i < 3; i++)
		EVP_MD_free(ks->set.md[i]);
}

static int payload_is_object(const char *part, size_t len)
{
	unsigned char buf[CCAUTH_TOKEN_MAX];
	struct ccauth_json_doc *doc = NULL;
	size_t n;
	int ok;

	if (ccauth_b64url_decode(part, len, buf, sizeof(buf), &n) != 0 ||
	    ccauth_json_parse((const char *)buf, n, 0, CCAUTH_JSON_MAX_DEPTH, &doc, NULL) != CCAUTH_OK)
		return 0;
	ok = ccauth_json_root(doc)->type == CCAUTH_JSON_OBJECT;
	ccauth_json_free(doc);
	return ok;
}

/* Full JWS verification as ccauth does it.  JOSE examples often sign non-JSON payloads ("foo",
 * a quote), which ccauth_jws_parse refuses as a JWT rule; for those the header and signature go
 * through ccauth_jws_parse with a stand-in "{}" payload, the real payload part must still be
 * canonical base64url, and the signature is checked over the real signing input. */
static enum ccauth_status verify_parsed(const struct ccauth_jwks *set, const struct ccauth_jws *jws, const char *input,
                                        size_t inputlen)
{
	const struct ccauth_jwk *key = ccauth_jwks_find(set, jws->kid, jws->kidlen, jws->alg);

	if (key == NULL)
		return CCAUTH_E_UNKNOWN_KEY;
	if (!ccauth_jwk_allows(key, jws->alg))
		return CCAUTH_E_ALGORITHM;
	return ccauth_sig_verify(jws->alg, key->pkey, ccauth_jwks_md(set, jws->alg), (const unsigned char *)input,
	                         inputlen, jws->sig, jws->siglen, NULL);
}

static enum ccauth_status verify_token(const struct ccauth_jwks *set, const char *token)
{
	static char alt[CCAUTH_TOKEN_MAX + 8];
	static unsigned char scratch[CCAUTH_TOKEN_MAX];
	size_t len = strlen(token), n;
	const char *d1 = memchr(token, '.', len), *d2 = strrchr(token, '.');
	struct ccauth_jws jws;
	enum ccauth_status st;

	if (d1 == NULL || d2 == d1 || len >= CCAUTH_TOKEN_MAX || payload_is_object(d1 + 1, (size_t)(d2 - d1 - 1))) {
		if ((st = ccauth_jws_parse(token, len, &jws, NULL)) != CCAUTH_OK)
			return st;
		st = ccauth_jws_verify(&jws, set, ccauth_jwks_find(set, jws.kid, jws.kidlen, jws.alg), NULL);
		if (ccauth_jwks_find(set, jws.kid, jws.kidlen, jws.alg) == NULL)
			st = CCAUTH_E_UNKNOWN_KEY;
		ccauth_jws_clear(&jws);
		return st;
	}
	if (ccauth_b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), scratch, sizeof(scratch), &n) != 0)
		return CCAUTH_E_MALFORMED;
	n = (size_t)(d1 - token);
	memcpy(alt, token, n);
	memcpy(alt + n, ".e30", 4);
	memcpy(alt + n + 4, d2, len - (size_t)(d2 - token) + 1);
	if ((st = ccauth_jws_parse(alt, strlen(alt), &jws, NULL)) != CCAUTH_OK)
		return st;
	st = verify_parsed(set, &jws, token, (size_t)(d2 - token));
	ccauth_jws_clear(&jws);
	return st;
}

/* ---- RFC examples ---------------------------------------------------------------------- */

static void rfc_vector(const char *name)
{
	char rel[256];
	struct ccauth_json_doc *doc;
	const struct ccauth_json *v;
	struct kset ks;
	const char *token, *d1, *d2;
	unsigned char sig[CCAUTH_JWS_SIG_MAX + 4];
	char *input;
	size_t siglen, inlen;
	struct ccauth_jws jws;
	int alg, is_obj;
	const EVP_MD *md;

	snprintf(rel, sizeof(rel), "vectors/rfc/%s.json", name);
	doc = load_json(rel);
	v = ccauth_json_root(doc);
	token = str(v, "token");
	alg = ccauth_alg_from_name(str(v, "alg"), strlen(str(v, "alg")));
	assert_true(alg >= 0);
	is_obj = ccauth_json_get(v, "payload_is_object")->type == CCAUTH_JSON_TRUE;
	kset_init(&ks);
	kset_add(&ks, ccauth_json_get(v, "jwk"));
	assert_int_equal(ks.set.nkeys, 1);
	assert_true(ccauth_jwk_allows(&ks.keys[0], (enum ccauth_alg)alg));
	md = ccauth_jwks_md(&ks.set, (enum ccauth_alg)alg);

	/* whole-token path */
	assert_int_equal(verify_token(&ks.set, token), CCAUTH_OK);
	if (is_obj) {
		assert_int_equal(ccauth_jws_parse(token, strlen(token), &jws, NULL), CCAUTH_OK);
		assert_int_equal(jws.alg, alg);
		assert_int_equal(ccauth_jws_verify(&jws, &ks.set, &ks.keys[0], NULL), CCAUTH_OK);
		ccauth_jws_clear(&jws);
	} else {
		/* not a JWT: the parser refuses a payload that is not a JSON object */
		assert_int_equal(ccauth_jws_parse(token, strlen(token), &jws, NULL), CCAUTH_E_MALFORMED);
	}

	/* low-level path, then one flipped bit in the signature and one in the signed data */
	d1 = strchr(token, '.');
	d2 = strrchr(token, '.');
	assert_int_equal(ccauth_b64url_decode(d2 + 1, strlen(d2 + 1), sig, sizeof(sig), &siglen), 0);
	inlen = (size_t)(d2 - token);
	input = malloc(inlen);
	assert_non_null(input);
	memcpy(input, token, inlen);
	assert_int_equal(ccauth_sig_verify((enum ccauth_alg)alg, ks.keys[0].pkey, md, (unsigned char *)input, inlen,
	                                   sig, siglen, NULL),
	                 CCAUTH_OK);
	for (size_t bit = 0; bit < siglen * 8; bit += siglen * 8 / 7 + 1) {
		sig[bit / 8] ^= (unsigned char)(1u << (bit % 8));
		assert_int_equal(ccauth_sig_verify((enum ccauth_alg)alg, ks.keys[0].pkey, md, (unsigned char *)input,
		                                   inlen, sig, siglen, NULL),
		                 CCAUTH_E_SIGNATURE);
		sig[bit / 8] ^= (unsigned char)(1u << (bit % 8));
	}
	input[(size_t)(d1 - token) + 3] ^= 1;
	assert_int_equal(ccauth_sig_verify((enum ccauth_alg)alg, ks.keys[0].pkey, md, (unsigned char *)input, inlen,
	                                   sig, siglen, NULL),
	                 CCAUTH_E_SIGNATURE);
	/* truncated signature */
	assert_int_equal(ccauth_sig_verify((enum ccauth_alg)alg, ks.keys[0].pkey, md, (unsigned char *)token, inlen,
	                                   sig, siglen - 1, NULL),
	                 CCAUTH_E_SIGNATURE);
	free(input);
	kset_free(&ks);
	ccauth_json_free(doc);
	printf("# %s: verified, %s\n", name, is_obj ? "as a JWT" : "payload not JSON, signature path");
}

static void test_rfc(void **state)
{
	rfc_vector(*state);
}

/* ---- Wycheproof JWS / JWK ---------------------------------------------------------------- */

/* Wycheproof expects these to verify, ccauth refuses them on purpose:
 *   346, 350: the RFC 7520 4.2 token is PS384 but Wycheproof's copy of the key pins "alg":"PS256";
 *             a pinned JWK alg must equal the token's alg (RFC 7517 4.4), so no key fits.
 *   347, 351: the RFC 7520 4.3 key carries "alg":"ES521", which is no registered JWS algorithm
 *             (ES512 is); ccauth skips a JWK that pins an unknown alg, so the token has no key.
 * The RFC 7520 4.2/4.3 examples themselves (with the keys as printed in the RFC) verify in
 * test_rfc7520_4_2/4_3. */
static int wycheproof_expected_deviation(const char *file, int64_t tcid)
{
	if (strcmp(file, "json_web_signature_test.json") == 0)
		return tcid == 346 || tcid == 350 || tcid == 347 || tcid == 351;
	return 0;
}

static int token_alg_supported(const char *token)
{
	const char *d1 = strchr(token, '.');
	unsigned char hdr[2048];
	size_t n;
	struct ccauth_json_doc *doc = NULL;
	const char *alg;
	int ok = 0;

	if (d1 == NULL || ccauth_b64url_decode(token, (size_t)(d1 - token), hdr, sizeof(hdr), &n) != 0 ||
	    ccauth_json_parse((char *)hdr, n, 0, 32, &doc, NULL) != CCAUTH_OK)
		return 0;
	alg = str(ccauth_json_root(doc), "alg");
	ok = alg != NULL && ccauth_alg_from_name(alg, strlen(alg)) >= 0;
	ccauth_json_free(doc);
	return ok;
}

static void wycheproof_jose(const char *file)
{
	char rel[256];
	struct ccauth_json_doc *doc;
	const struct ccauth_json *groups;
	int valid_ok = 0, invalid_rej = 0, unsupported_rej = 0, deviations = 0, total = 0;

	snprintf(rel, sizeof(rel), "vectors/wycheproof/%s", file);
	doc = load_json(rel);
	groups = ccauth_json_get(ccauth_json_root(doc), "testGroups");
	assert_non_null(groups);
	for (const struct ccauth_json *g = groups->child; g != NULL; g = g->next) {
		const struct ccauth_json *pub = ccauth_json_get(g, "public");
		struct kset ks;

		kset_init(&ks);
		if (pub != NULL)
			kset_add(&ks, pub);
		for (const struct ccauth_json *t = ccauth_json_get(g, "tests")->child; t != NULL; t = t->next) {
			const char *token = str(t, "jws"), *result = str(t, "result");
			int64_t tcid = ccauth_json_get(t, "tcId")->i;
			enum ccauth_status st;
			int want_ok;

			assert_non_null(token);
			total++;
			st = verify_token(&ks.set, token);
			want_ok = strcmp(result, "valid") == 0;
			if (want_ok && !token_alg_supported(token)) {
				/* HS256 and friends: valid JOSE, refused by ccauth */
				if (st == CCAUTH_OK)
					fail_msg("%s tcId %lld: unsupported alg accepted", file, (long long)tcid);
				unsupported_rej++;
				continue;
			}
			if (want_ok && wycheproof_expected_deviation(file, tcid)) {
				if (st == CCAUTH_OK)
					fail_msg("%s tcId %lld: deviation no longer needed", file, (long long)tcid);
				deviations++;
				continue;
			}
			if (want_ok != (st == CCAUTH_OK))
				fail_msg("%s tcId %lld (%s): expected %s, got %s", file, (long long)tcid,
				         str(t, "comment"), result, ccauth_status_reason(st));
			if (want_ok)
				valid_ok++;
			else
				invalid_rej++;
		}
		kset_free(&ks);
	}
	ccauth_json_free(doc);
	printf("# wycheproof %s: %d tests, %d valid verified, %d invalid rejected, %d valid with unsupported alg "
	       "rejected, %d documented deviations\n",
	       file, total, valid_ok, invalid_rej, unsupported_rej, deviations);
	assert_true(valid_ok > 0);
}

static void test_wycheproof_jose(void **state)
{
	wycheproof_jose(*state);
}

/* ---- Wycheproof signature primitives ------------------------------------------------------ */

static EVP_PKEY *der_pubkey(const struct ccauth_json *g)
{
	const char *hex = str(g, "publicKeyDer");
	unsigned char *der;
	const unsigned char *p;
	size_t len;
	EVP_PKEY *pk;

	assert_non_null(hex);
	der = unhex(hex, &len);
	p = der;
	pk = d2i_PUBKEY(NULL, &p, (long)len);
	free(der);
	return pk;
}

static void wycheproof_sig(const char *file, enum ccauth_alg alg, int acceptable_want_ok)
{
	char rel[256];
	struct ccauth_json_doc *doc;
	const struct ccauth_json *groups;
	struct kset ks;
	int valid_ok = 0, invalid_rej = 0, acc_ok = 0, acc_rej = 0, total = 0, jwk_same = 0;

	snprintf(rel, sizeof(rel), "vectors/wycheproof/%s", file);
	doc = load_json(rel);
	kset_init(&ks);
	groups = ccauth_json_get(ccauth_json_root(doc), "testGroups");
	for (const struct ccauth_json *g = groups->child; g != NULL; g = g->next) {
		EVP_PKEY *pk = der_pubkey(g);
		const struct ccauth_json *jwk = ccauth_json_get(g, "publicKeyJwk");
		const EVP_MD *md = ccauth_jwks_md(&ks.set, alg);

		assert_non_null(pk);
		if (jwk == NULL)
			jwk = ccauth_json_get(g, "keyJwk");
		if (jwk != NULL) {
			/* our JWK import must produce the very same key as the DER */
			struct ccauth_jwk k;
			assert_int_equal(ccauth_jwk_from_json(jwk, &k, NULL), CCAUTH_OK);
			assert_int_equal(EVP_PKEY_eq(k.pkey, pk), 1);
			ccauth_jwk_clear(&k);
			jwk_same++;
		}
		for (const struct ccauth_json *t = ccauth_json_get(g, "tests")->child; t != NULL; t = t->next) {
			const char *result = str(t, "result");
			unsigned char *msg, *sig;
			size_t msglen, siglen;
			enum ccauth_status st;

			msg = unhex(str(t, "msg"), &msglen);
			sig = unhex(str(t, "sig"), &siglen);
			total++;
			st = ccauth_sig_verify(alg, pk, md, msg, msglen, sig, siglen, NULL);
			if (strcmp(result, "acceptable") == 0) {
				if ((st == CCAUTH_OK) != acceptable_want_ok)
					fail_msg("%s tcId %lld acceptable: got %s", file,
					         (long long)ccauth_json_get(t, "tcId")->i, ccauth_status_reason(st));
				st == CCAUTH_OK ? acc_ok++ : acc_rej++;
			} else if (strcmp(result, "valid") == 0) {
				if (st != CCAUTH_OK)
					fail_msg("%s tcId %lld valid: got %s", file,
					         (long long)ccauth_json_get(t, "tcId")->i, ccauth_status_reason(st));
				valid_ok++;
			} else {
				if (st != CCAUTH_E_SIGNATURE)
					fail_msg("%s tcId %lld invalid (%s): got %s", file,
					         (long long)ccauth_json_get(t, "tcId")->i, str(t, "comment"),
					         ccauth_status_reason(st));
				invalid_rej++;
			}
			free(msg);
			free(sig);
		}
		EVP_PKEY_free(pk);
	}
	kset_free(&ks);
	ccauth_json_free(doc);
	printf("# wycheproof %s: %d tests, %d valid verified, %d invalid rejected, acceptable: %d accepted %d "
	       "rejected; %d group JWKs imported identical to DER\n",
	       file, total, valid_ok, invalid_rej, acc_ok, acc_rej, jwk_same);
	assert_true(valid_ok > 0 && invalid_rej > 0);
}

struct sigfile {
	const char *file;
	enum ccauth_alg alg;
};

static void test_wycheproof_sig(void **state)
{
	const struct sigfile *f = *state;

	/* "acceptable" pinned to rejected: see the comment at the top */
	wycheproof_sig(f->file, f->alg, 0);
}

static const struct sigfile sigfiles[] = {
    {"ecdsa_secp256r1_sha256_p1363_test.json", CCAUTH_ALG_ES256},
    {"ecdsa_secp384r1_sha384_p1363_test.json", CCAUTH_ALG_ES384},
    {"ecdsa_secp521r1_sha512_p1363_test.json", CCAUTH_ALG_ES512},
    {"rsa_signature_2048_sha256_test.json", CCAUTH_ALG_RS256},
    {"rsa_pss_2048_sha256_mgf1_32_test.json", CCAUTH_ALG_PS256},
    {"ed25519_test.json", CCAUTH_ALG_EDDSA},
};

/* one named test per vector file: the TAP line says which file passed or failed */
#define NAMED(name, fn, arg)                                                                                           \
	{                                                                                                              \
		name, fn, NULL, NULL, (void *)(arg)                                                                    \
	}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    NAMED("rfc7515_a2 RS256", test_rfc, "rfc7515_a2"),
	    NAMED("rfc7515_a3 ES256", test_rfc, "rfc7515_a3"),
	    NAMED("rfc7515_a4 ES512", test_rfc, "rfc7515_a4"),
	    NAMED("rfc7520_4_1 RS256", test_rfc, "rfc7520_4_1"),
	    NAMED("rfc7520_4_2 PS384", test_rfc, "rfc7520_4_2"),
	    NAMED("rfc7520_4_3 ES512", test_rfc, "rfc7520_4_3"),
	    NAMED("rfc8037_a4 EdDSA", test_rfc, "rfc8037_a4"),
	    NAMED("wycheproof json_web_signature_test.json", test_wycheproof_jose, "json_web_signature_test.json"),
	    NAMED("wycheproof json_web_key_test.json", test_wycheproof_jose, "json_web_key_test.json"),
	    NAMED("wycheproof ecdsa_secp256r1_sha256_p1363", test_wycheproof_sig, &sigfiles[0]),
	    NAMED("wycheproof ecdsa_secp384r1_sha384_p1363", test_wycheproof_sig, &sigfiles[1]),
	    NAMED("wycheproof ecdsa_secp521r1_sha512_p1363", test_wycheproof_sig, &sigfiles[2]),
	    NAMED("wycheproof rsa_signature_2048_sha256", test_wycheproof_sig, &sigfiles[3]),
	    NAMED("wycheproof rsa_pss_2048_sha256_mgf1_32", test_wycheproof_sig, &sigfiles[4]),
	    NAMED("wycheproof ed25519", test_wycheproof_sig, &sigfiles[5]),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
