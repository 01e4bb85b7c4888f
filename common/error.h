/* ccauth: one error type for the whole core.
 *
 * Every core function returns enum ccauth_status (0 = ok) and, on failure, fills a caller-owned
 * struct ccauth_error passed last (may be NULL).  The message is written for an administrator's
 * log: it never contains a token, a secret or an Authorization header.
 */
#ifndef CCAUTH_ERROR_H
#define CCAUTH_ERROR_H

#include <stddef.h>

enum ccauth_status {
	CCAUTH_OK = 0,
	/* rejections: the token is bad (CLI exit 1, PAM_AUTH_ERR, SASL_BADAUTH) */
	CCAUTH_E_MALFORMED,
	CCAUTH_E_ALGORITHM,
	CCAUTH_E_UNKNOWN_KEY,
	CCAUTH_E_SIGNATURE,
	CCAUTH_E_EXPIRED,
	CCAUTH_E_NOT_YET_VALID,
	CCAUTH_E_ISSUER,
	CCAUTH_E_AUDIENCE,
	CCAUTH_E_SCOPE,
	CCAUTH_E_CLIENT,
	CCAUTH_E_TYPE,
	CCAUTH_E_INACTIVE,
	CCAUTH_E_IDENTITY,
	/* not about the token */
	CCAUTH_E_CONFIG,      /* configuration or usage error (exit 2, PAM_SERVICE_ERR, SASL_FAIL) */
	CCAUTH_E_UNAVAILABLE, /* AS unreachable or nonsense; temporary (exit 3, PAM_AUTHINFO_UNAVAIL) */
	CCAUTH_E_DENIED,      /* the AS refused our credentials (invalid_client, invalid_scope, ...) */
	CCAUTH_E_NOMEM,
	CCAUTH_E_INTERNAL,
};

#define CCAUTH_ERRMSG_MAX 256

struct ccauth_error {
	enum ccauth_status code;
	char msg[CCAUTH_ERRMSG_MAX];
};

/* Short reason code ("malformed", "expired", ..., "config", "unavailable"). Never NULL. */
const char *ccauth_status_reason(enum ccauth_status st);

/* 1 when st says the token itself was rejected (CLI exit 1). */
int ccauth_status_is_rejection(enum ccauth_status st);

/* Fill err (if not NULL) and return code.  printf-style; the caller guarantees that no
 * argument is a credential. */
enum ccauth_status ccauth_error_set(struct ccauth_error *err, enum ccauth_status code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

void ccauth_error_clear(struct ccauth_error *err);

#endif
