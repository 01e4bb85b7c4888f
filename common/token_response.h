/* What the token endpoint answers (RFC 6749 §5.1, §5.2): the token and its lifetimes, and the
 * error answer turned into a message that never repeats what we sent. */
#ifndef CCAUTH_TOKEN_RESPONSE_H
#define CCAUTH_TOKEN_RESPONSE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "log.h"

#define CCAUTH_TOKEN_DEFAULT_LIFETIME 300           /* expires_in absent */
#define CCAUTH_TOKEN_MAX_LIFETIME     (365 * 86400) /* expires_in above this is nonsense */
#define CCAUTH_TOKEN_SAFETY           30            /* seconds before expiry a token is not handed out */
#define CCAUTH_TOKEN_JITTER           0.05          /* fraction of the lifetime: renewal up to this much earlier */
#define CCAUTH_TOKEN_DESC_MAX         100           /* characters of error_description kept */

/* Where a token came from. */
enum { CCAUTH_TOKEN_FROM_NETWORK, CCAUTH_TOKEN_FROM_MEMORY, CCAUTH_TOKEN_FROM_DISK };

struct ccauth_token {
	char *access_token; /* NUL-terminated, printable ASCII without spaces; wiped by ccauth_token_free */
	size_t len;
	char *scope;     /* granted scope from the response, NULL when absent */
	int64_t issued;  /* when we received it (local clock) */
	int64_t refresh; /* renew from this time on (jitter included) */
	int64_t expires; /* issued + expires_in */
	int from;        /* CCAUTH_TOKEN_FROM_* */
};

void ccauth_token_free(struct ccauth_token *tok); /* wipes; NULL-safe */

/* RFC 6749 scope characters: printable ASCII except '"' and '\\' (spaces separate scope-tokens). */
int ccauth_token_scope_chars_ok(const char *s, size_t len);

/* When to renew a token issued at issued with lifetime seconds: issued + refresh_at * lifetime, minus
 * rnd % (CCAUTH_TOKEN_JITTER * lifetime + 1), never before issued and never after
 * ccauth_token_usable_until(). */
int64_t ccauth_token_refresh_time(int64_t issued, int64_t lifetime, double refresh_at, uint32_t rnd);

/* Last second a token expiring at expires (lifetime seconds long) is handed out: expires minus
 * min(CCAUTH_TOKEN_SAFETY, lifetime / 10). */
int64_t ccauth_token_usable_until(int64_t issued, int64_t expires);

/* Parse a 200 token response.  CCAUTH_E_UNAVAILABLE for anything that is not a valid Bearer token
 * response (the message names the member, never its value). */
enum ccauth_status ccauth_token_parse_response(const char *body, size_t len, int64_t now, double refresh_at,
                                               uint32_t rnd, const struct ccauth_log *log, struct ccauth_token **out,
                                               struct ccauth_error *err);

/* The same; issued_type not NULL (a token exchange): the answer's issued_token_type must equal it. */
enum ccauth_status ccauth_token_parse_response_typed(const char *body, size_t len, int64_t now, double refresh_at,
                                                     uint32_t rnd, const char *issued_type,
                                                     const struct ccauth_log *log, struct ccauth_token **out,
                                                     struct ccauth_error *err);

/* Turn a 400/401/403 answer into CCAUTH_E_DENIED "AS refused: ERROR (DESCRIPTION)", with the
 * description reduced to printable ASCII and CCAUTH_TOKEN_DESC_MAX characters, and dropped when it
 * contains avoid (what we sent: the secret or the assertion; may be NULL).  A body that is not
 * JSON, empty or NULL, or names no "error": still CCAUTH_E_DENIED ("AS refused with HTTP N ...");
 * only CCAUTH_E_NOMEM otherwise. */
enum ccauth_status ccauth_token_parse_error(long status, const char *body, size_t len, const char *avoid,
                                            size_t avoidlen, struct ccauth_error *err);

/* The same, dropping the description (and an error code) that contains any of navoid strings
 * (ptr, len) we sent: the secret raw and form-encoded, the Basic credentials, the assertion, the
 * token being introspected.  Empty or NULL entries are ignored. */
struct ccauth_avoid {
	const char *p;
	size_t len;
};
enum ccauth_status ccauth_token_parse_error_avoiding(long status, const char *body, size_t len,
                                                     const struct ccauth_avoid *avoid, size_t navoid,
                                                     struct ccauth_error *err);

struct ccauth_http_response;

/* The whole answer of a token endpoint (status, content type, body: resp as ccauth_http_post_form
 * filled it).  400, 401, 403: CCAUTH_E_DENIED whatever the body (see parse_error_avoiding);
 * 200 with a JSON content type: ccauth_token_parse_response_typed (issued_type as there);
 * anything else (3xx, other 4xx,
 * 429, 5xx, a 200 that is not JSON or not a token response): CCAUTH_E_UNAVAILABLE. */
enum ccauth_status ccauth_token_parse_answer(const struct ccauth_http_response *resp, int64_t now, double refresh_at,
                                             uint32_t rnd, const char *issued_type, const struct ccauth_log *log,
                                             const struct ccauth_avoid *avoid, size_t navoid, struct ccauth_token **out,
                                             struct ccauth_error *err);

#endif
