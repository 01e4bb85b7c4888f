/* Client authentication at the AS (RFC 6749 §2.3, RFC 7523 private_key_jwt with RFC 10070's
 * audience, RFC 8705 tls_client_auth, federated assertions: doc/secretless.md) and the request body
 * of both grants (client credentials, RFC 8693 token exchange): for the token request and for other
 * endpoints (RFC 7662 introspection). */
#ifndef CCAUTH_CLIENT_AUTH_H
#define CCAUTH_CLIENT_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "config.h"
#include "error.h"
#include "http.h"

#define CCAUTH_TOKEN_SECRET_MAX    4096        /* bytes of a client secret */
#define CCAUTH_TOKEN_KEYFILE_MAX   (64 * 1024) /* bytes of a private_key_jwt PEM file */
#define CCAUTH_TOKEN_ASSERTION_TTL 60          /* private_key_jwt: exp = iat + this */

/* "Basic " base64(urlencode(client_id) ":" urlencode(secret)), RFC 6749 §2.3.1.  Wipe *out. */
enum ccauth_status ccauth_token_basic_auth(const char *client_id, const char *secret, size_t secretlen, char **out,
                                           struct ccauth_error *err);

/* The request body: grant_type=client_credentials, then scope, audience, resource when set, then
 * for client_secret_post client_id and client_secret, for private_key_jwt client_assertion_type
 * and client_assertion, for tls_client_auth client_id.  Wipe *out (ccauth_free_secret(*out, *outlen)). */
enum ccauth_status ccauth_token_form(const struct ccauth_client_conf *client, const char *secret, size_t secretlen,
                                     const char *assertion, char **out, size_t *outlen, struct ccauth_error *err);

/* The same for any grant: with grant = token_exchange the body starts with the RFC 8693 grant_type,
 * subject (the subject token), subject_token_type and requested_token_type (URNs).  assertion is
 * ours (private_key_jwt) or the federated one (client_assertion, sent with the jwt-bearer or
 * jwt-spiffe type; client_id only when configured); auth_method none adds nothing. */
enum ccauth_status ccauth_token_form_ex(const struct ccauth_client_conf *client, const char *secret, size_t secretlen,
                                        const char *assertion, const char *subject, char **out, size_t *outlen,
                                        struct ccauth_error *err);

/* The RFC 8693 URN of a subject_token_type, and the requested_token_type of client (its own, else
 * the access-token URN). */
const char *ccauth_token_subject_type_urn(int subject_token_type);
const char *ccauth_token_requested_type(const struct ccauth_client_conf *client);

/* The identity of client's credential: SHA-256 over a tag, the auth_method and the SHA-256 of the
 * content of each credential file (the secret; the private key; the certificate and its key),
 * each read and checked like for the token request.  Two sections that differ only in their
 * credential never share a cached token, and a rotated secret starts afresh; the secret itself is
 * never part of a key.  CCAUTH_E_CONFIG when a file is missing, unreadable or loose. */
enum ccauth_status ccauth_token_credential_id(const struct ccauth_client_conf *client, unsigned char out[32],
                                              struct ccauth_error *err);

/* A private_key_jwt client assertion (RFC 7523 §3) signed with pkey per client->signing_alg:
 * iss = sub = client_id, jti random, iat = now, exp = now + 60, kid from key_id; aud = the
 * client's issuer identifier as a single string with header typ client-authentication+jwt
 * (RFC 10070), or with assertion_audience = token_endpoint aud = token_endpoint (the endpoint the
 * assertion is sent to) and typ JWT.  CCAUTH_E_CONFIG when the key cannot do the algorithm.  *out is malloc'd. */
enum ccauth_status ccauth_token_assertion(const struct ccauth_client_conf *client, const char *token_endpoint,
                                          EVP_PKEY *pkey, int64_t now, char **out, struct ccauth_error *err);

/* The files that prove client's identity, in a fixed order: the secret (both client_secret
 * methods), the private key (private_key_jwt), or the certificate and its key (tls_client_auth). */
struct ccauth_cred_file {
	const char *what, *path;
	int secret; /* checked like a secret file: private to root or us */
};
size_t ccauth_client_cred_files(const struct ccauth_client_conf *client, struct ccauth_cred_file f[2]);

/* client_secret_file: one line (a trailing newline is dropped), not empty, no NUL; at most
 * CCAUTH_TOKEN_SECRET_MAX bytes.  Free with ccauth_free_secret(*out, CCAUTH_TOKEN_SECRET_MAX + 2). */
enum ccauth_status ccauth_client_read_secret(const char *path, char **out, size_t *outlen, struct ccauth_error *err);

/* private_key_file: an unencrypted PEM private key (never a passphrase prompt). */
enum ccauth_status ccauth_client_load_private_key(const char *path, EVP_PKEY **out, struct ccauth_error *err);

/* ---- client authentication for other endpoints (RFC 7662 introspection) ---- */

/* How a client authenticates one request to endpoint: a Basic header, form parameters
 * (client_id, client_secret or client_assertion_type + client_assertion with aud = endpoint, or
 * client_id alone for tls_client_auth), or a client certificate.  Everything here is secret. */
struct ccauth_client_auth {
	struct ccauth_http_cred cred; /* pass to ccauth_http_post_form; points into this struct */
	char *authorization;          /* owned by cred.authorization; NULL when not Basic */
	char *form;                   /* parameters to append after '&' ("" when none), NUL-terminated */
	size_t formlen, formcap;
};

/* Build the authentication of client (any auth_method) for a POST to endpoint at time now.  Reads
 * the secret or key file each time (checked like for the token request).  Wipe with
 * ccauth_client_auth_clear. */
enum ccauth_status ccauth_token_client_auth(const struct ccauth_client_conf *client, const char *endpoint, int64_t now,
                                            struct ccauth_client_auth *out, struct ccauth_error *err);
void ccauth_client_auth_clear(struct ccauth_client_auth *a); /* NULL-safe */

#endif
