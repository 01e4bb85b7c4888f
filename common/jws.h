/* JWS compact serialization (RFC 7515): split, decode, and verify a signature. */
#ifndef CCAUTH_JWS_H
#define CCAUTH_JWS_H

#include <stddef.h>

#include "error.h"
#include "json.h"
#include "jwk.h"
#include "jwks.h"

#define CCAUTH_TOKEN_MAX 16384 /* longest token accepted anywhere, in bytes */
#define CCAUTH_JWS_SIG_MAX 1024 /* RSA-8192 */

struct ccauth_jws {
	const char *token;        /* borrowed: the caller keeps the token alive */
	size_t len;
	size_t signing_input_len; /* length of "header.payload" */
	struct ccauth_json_doc *header_doc;
	struct ccauth_json_doc *payload_doc;
	const struct ccauth_json *header;  /* object */
	const struct ccauth_json *payload; /* object */
	enum ccauth_alg alg;
	const char *kid; /* in header_doc; NULL when absent */
	size_t kidlen;
	const char *typ; /* in header_doc; NULL when absent */
	unsigned char sig[CCAUTH_JWS_SIG_MAX];
	size_t siglen;
};

/* 1 when token looks like a compact JWS (exactly two dots, a header that decodes to a JSON
 * object).  Used to route JWT vs opaque; cheap, and never trusts anything. */
int ccauth_jws_looks_like_jwt(const char *token, size_t len);
/* The same for a token whose caller has already checked that every byte is base64url or '.'
 * (the SASL codec's one scan): the dots and the header's first byte only. */
int ccauth_jws_looks_like_jwt_scanned(const char *token, size_t len);

/* Parse without verifying.  Errors:
 *   CCAUTH_E_MALFORMED  wrong part count, bad base64url, bad JSON, not objects, kid/typ not strings,
 *                       an unknown "crit", over CCAUTH_TOKEN_MAX, empty signature
 *   CCAUTH_E_ALGORITHM  alg missing, not a string, "none" in any case, HS*, anything unknown
 * jwk/jku/x5u/x5c/x5t header members are ignored: never trusted for anything. */
enum ccauth_status ccauth_jws_parse(const char *token, size_t len, struct ccauth_jws *out, struct ccauth_error *err);
void ccauth_jws_clear(struct ccauth_jws *jws); /* frees the documents; safe on a zeroed struct */

/* Verify jws->sig over the signing input with key (which must allow jws->alg: kty/crv and any pinned
 * alg).  ES*: raw R||S of exactly 2*curve bytes; DER is refused.  RSA-PSS: salt = digest length.
 * Errors: CCAUTH_E_ALGORITHM (key cannot do this alg), CCAUTH_E_SIGNATURE. */
enum ccauth_status ccauth_jws_verify(const struct ccauth_jws *jws, const struct ccauth_jwks *set,
				     const struct ccauth_jwk *key, struct ccauth_error *err);

/* Lower-level signature check used by jws_verify, vectors and benchmarks. */
enum ccauth_status ccauth_sig_verify(enum ccauth_alg alg, EVP_PKEY *pkey, const EVP_MD *md, const unsigned char *data,
				     size_t datalen, const unsigned char *sig, size_t siglen, struct ccauth_error *err);

#endif
