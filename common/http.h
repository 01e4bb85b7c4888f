/* HTTPS client for talking to authorization servers (libcurl).
 *
 * Rules enforced here so that no caller can forget them: https only (other schemes are refused
 * before any I/O), peer and host verification always on, no redirects (a 3xx is an error), connect
 * and total timeouts, a 200 status with a JSON content type (application/json or
 * application/<x>+json, parameters allowed) required for success, the body capped, environment
 * proxies ignored unless proxy = "env".
 *
 * A struct ccauth_http is shared by all threads of a process: it keeps a small mutex-guarded pool
 * of idle curl handles, so connections are kept alive across calls, and a handle is used by one
 * thread at a time.  Handles inherited across fork() are abandoned in the child, never cleaned
 * up there (see http.c).  Errors are CCAUTH_E_UNAVAILABLE with a message naming the host and what
 * went wrong, never a header, a form body or a response body.
 */
#ifndef CCAUTH_HTTP_H
#define CCAUTH_HTTP_H

#include <stddef.h>
#include <time.h>

#include "error.h"

struct ccauth_config;

#define CCAUTH_HTTP_MAX_BODY       (256 * 1024)
#define CCAUTH_HTTP_DEFAULT_CAPATH "/etc/ssl/certs"

struct ccauth_http_opts {
	const char *ca_file; /* NULL: no CAfile */
	const char *ca_path; /* NULL: CCAUTH_HTTP_DEFAULT_CAPATH when ca_file is NULL too */
	int timeout;         /* whole request, seconds; <= 0: 5 */
	int connect_timeout; /* seconds; <= 0: min(timeout, 3) */
	const char *proxy;   /* NULL or "": none; "env": libcurl reads the environment; else a proxy URL */
	size_t max_body;     /* 0: CCAUTH_HTTP_MAX_BODY */
};

/* Per-request credentials for the token and introspection endpoints (all may be NULL). */
struct ccauth_http_cred {
	const char *authorization; /* full header value, e.g. "Basic ..."; the caller wipes it */
	const char *tls_cert_file; /* tls_client_auth: PEM client certificate ... */
	const char *tls_key_file;  /* ... and its PEM private key */
};

struct ccauth_http_response {
	long status;
	char *body; /* malloc'd, NUL-terminated; may hold tokens: ccauth_http_response_free wipes it */
	size_t len;
	time_t date;            /* the Date header; 0 when absent or unparseable */
	long max_age;           /* Cache-Control max-age; -1 absent; 0 for no-store / no-cache */
	char content_type[128]; /* "" when absent; truncated if longer */
	char host[256];         /* host[:port] of the URL, for messages */
};

struct ccauth_http;

/* Copy borrowed pointers from the [global] section; cfg must outlive the opts. */
void ccauth_http_opts_from_config(const struct ccauth_config *cfg, struct ccauth_http_opts *opts);

/* Initialises libcurl once per process (pthread_once; never cleaned up) and checks that it is
 * thread-safe.  The strings in opts are copied. */
enum ccauth_status ccauth_http_new(const struct ccauth_http_opts *opts, struct ccauth_http **out,
                                   struct ccauth_error *err);
void ccauth_http_free(struct ccauth_http *h);

/* GET url.  CCAUTH_OK only for a 200 with a JSON content type and a body within the cap. */
enum ccauth_status ccauth_http_get(struct ccauth_http *h, const char *url, struct ccauth_http_response *resp,
                                   struct ccauth_error *err);

/* The same with credentials (an Authorization header: the GitHub Actions assertion URL). */
enum ccauth_status ccauth_http_get_cred(struct ccauth_http *h, const char *url, const struct ccauth_http_cred *cred,
                                        struct ccauth_http_response *resp, struct ccauth_error *err);

/* GET url for diagnostics (ccauth check): the same rules and result as ccauth_http_get, on a new
 * connection without TLS session resumption, with libcurl's certificate info switched on.
 * *cert_expiry: the notAfter of the server's own certificate (0: unknown, e.g. no TLS handshake
 * completed).  Whatever the status, resp->status (0: no HTTP answer) and
 * resp->date describe what came back, so a 404 still tells that the host answered and its clock. */
enum ccauth_status ccauth_http_get_certinfo(struct ccauth_http *h, const char *url, struct ccauth_http_response *resp,
                                            time_t *cert_expiry, struct ccauth_error *err);

/* POST an application/x-www-form-urlencoded body (form, formlen).  CCAUTH_OK as for GET.  A
 * 400, 401 or 403 answer returns CCAUTH_E_DENIED with resp filled whatever its content type or
 * body (empty included), so the caller can read an OAuth "error" member when there is one; every
 * other failure (transport, 3xx, other 4xx, 5xx, a 200 that is not JSON) is CCAUTH_E_UNAVAILABLE.
 * The caller owns and wipes form and cred->authorization; http.c wipes its own copies. */
enum ccauth_status ccauth_http_post_form(struct ccauth_http *h, const char *url, const char *form, size_t formlen,
                                         const struct ccauth_http_cred *cred, struct ccauth_http_response *resp,
                                         struct ccauth_error *err);

/* 1 for the statuses that refuse a POSTed request (400, 401, 403: RFC 6749 §5.2, RFC 7662 §2.3):
 * the AS judged the request, and the same request will be refused again.  429 and 5xx are
 * temporary; other 4xx (404, 405, ...) say the URL is wrong, not that the credentials are. */
int ccauth_http_is_refusal(long status);

/* Wipe and free the body; NULL-safe; leaves resp zeroed. */
void ccauth_http_response_free(struct ccauth_http_response *resp);

/* One response header line as libcurl hands it over (CRLF included or not, not NUL-terminated):
 * Date and Cache-Control fill r->date and r->max_age; a status line resets them; anything else,
 * or a line of 1024 bytes or more, is ignored.  Exposed for the fuzz target. */
void ccauth_http_parse_header(const char *p, size_t len, struct ccauth_http_response *r);

/* 1 when ct is application/json or application/<x>+json, parameters allowed, case-insensitive. */
int ccauth_http_is_json_type(const char *ct);

/* Split an https URL: the host (for messages and cache keys) into host[hostsize].  Returns
 * CCAUTH_E_CONFIG for anything but a well-formed https URL without user info. */
enum ccauth_status ccauth_http_check_url(const char *url, char *host, size_t hostsize, struct ccauth_error *err);

#endif
