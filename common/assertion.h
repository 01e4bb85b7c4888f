/* JWTs this host presents but does not sign: a federated client assertion (RFC 7523 §2.2; the
 * SPIFFE type of draft-ietf-oauth-spiffe-client-auth) or the subject token of an RFC 8693 token
 * exchange.  The platform issues them and rewrites them before they expire (a Kubernetes projected
 * service-account token, a JWT-SVID written by spiffe-helper), so they are read afresh for every
 * token request and kept no longer than that request; or they are asked of a GitHub-Actions-style
 * URL.  Nothing here verifies a signature: the AS does; we only refuse to send what is plainly
 * unusable (not a JWT, expired), so the error names the file instead of coming back as
 * invalid_client.  See doc/secretless.md. */
#ifndef CCAUTH_ASSERTION_H
#define CCAUTH_ASSERTION_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "http.h"

#define CCAUTH_ASSERTION_MAX 16384 /* bytes of one assertion (= CCAUTH_TOKEN_MAX) */

/* What may be shown of an assertion (ccauth check): never its text.  Strings are cut to fit and
 * hold printable ASCII only; "" when the claim is absent. */
struct ccauth_assertion_info {
	char iss[160];
	char sub[160];
	char aud[160]; /* a single audience, or the first followed by " (+N more)" */
	int64_t exp;
};

/* A well-formed compact JWS (ccauth_jws_parse) whose payload has an integer exp later than now.
 * CCAUTH_E_MALFORMED, or CCAUTH_E_EXPIRED with "expired N s ago" in err; info (may be NULL) is
 * filled whenever the payload could be read. */
enum ccauth_status ccauth_assertion_check(const char *jwt, size_t len, int64_t now, struct ccauth_assertion_info *info,
                                          struct ccauth_error *err);

/* The JWT in path, read now.  The file: a regular file (symbolic links are followed: Kubernetes
 * swaps them when it rewrites the token), owned by root or the effective uid, writable by no one
 * else and not readable by others; at most CCAUTH_ASSERTION_MAX bytes; one JWT (surrounding white
 * space is cut) that ccauth_assertion_check accepts.  what ("client_assertion_file",
 * "subject_token_file") names the key in messages.  *out: malloc'd, NUL-terminated, free with
 * ccauth_free_secret_str.  Every failure is CCAUTH_E_CONFIG (or CCAUTH_E_NOMEM) naming the file,
 * e.g. "the assertion in PATH expired 42 s ago; is the writer running?". */
enum ccauth_status ccauth_assertion_read_file(const char *what, const char *path, int64_t now, char **out,
                                              struct ccauth_assertion_info *info, struct ccauth_error *err);

/* The GitHub Actions form: GET url with "audience=" + the form-encoded audience appended ('&' when
 * url has a query, else '?'), "Authorization: bearer " + the value of the environment variable
 * token_env; the answer must be a JSON object whose string member "value" is a JWT that
 * ccauth_assertion_check accepts.  url "env:NAME" takes the URL from the environment variable NAME
 * (GitHub sets ACTIONS_ID_TOKEN_REQUEST_URL per job).  CCAUTH_E_CONFIG: a variable unset or empty,
 * a URL that is not https; CCAUTH_E_UNAVAILABLE: anything the URL answers but such a JWT. */
enum ccauth_status ccauth_assertion_fetch_url(struct ccauth_http *http, const char *url, const char *token_env,
                                              const char *audience, int64_t now, char **out,
                                              struct ccauth_assertion_info *info, struct ccauth_error *err);

#endif
