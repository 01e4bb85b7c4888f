/* Test helpers shared by unit tests: files, keys, and minting tokens with OpenSSL.
 * Minting here is independent of common/jws.c (it signs with EVP directly, and converts ECDSA
 * DER to raw R||S itself), so a bug in the verifier cannot hide in a matching bug here.  */
#ifndef CCAUTH_TESTUTIL_H
#define CCAUTH_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>

/* Read a whole file under TEST_SRCDIR (relative path) or an absolute path; NUL-terminated.
 * Aborts the test process on failure (tests only). */
char *tu_read_file(const char *path, size_t *len);

/* Generate a key: "RSA2048", "RSA3072", "RSA1024" (too small, for negative tests), "P-256", "P-384",
 * "P-521", "Ed25519", "Ed448". */
EVP_PKEY *tu_genkey(const char *kind);

/* The public JWK of key as a JSON object text (malloc'd), with kid and optional alg (NULL = none). */
char *tu_jwk_json(EVP_PKEY *key, const char *kid, const char *alg);

/* base64url of raw bytes / of a C string (malloc'd). */
char *tu_b64url(const void *data, size_t len);
char *tu_b64url_str(const char *s);

/* Sign "b64(header).b64(payload)" with key using JOSE alg name ("RS256", "PS384", "ES256",
 * "EdDSA", ...) and return the compact token (malloc'd).  header and payload are raw JSON text,
 * used verbatim (so tests can put anything in them).  For an alg the key cannot do, or "none"/HS*,
 * the caller builds the token by hand with tu_b64url. */
char *tu_sign(EVP_PKEY *key, const char *alg, const char *header, const char *payload);

/* A realistic RFC 9068 payload for iss/aud/sub with exp = now + ttl (malloc'd JSON text). */
char *tu_payload(const char *iss, const char *aud, const char *client_id, const char *scope, int64_t iat, int64_t exp);

/* Write text to a new file in a fresh temp dir (mode 0600), return its path (malloc'd). */
char *tu_write_temp(const char *name, const char *text);

#endif
