/* libFuzzer harness for common/token_response.c: a token endpoint's whole answer.  The first byte
 * picks the status, the second the content type, the rest is the body.  Invariants: a token only
 * from a 200 and within the caps, a refusal (400/401/403) is always "denied", nothing else but
 * "unavailable" (or nomem), and no message repeats what we sent. */
#include "autoconf.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "jws.h"
#include "token_response.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SENT "hunter2-sent-secret"

static void check(int ok)
{
	if (!ok)
		abort();
}

static void quiet(void *ctx, int prio, const char *msg)
{
	(void)ctx;
	check(prio >= 0 && msg != NULL && strstr(msg, SENT) == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = {200, 200, 200, 201, 204, 302, 400, 401, 403, 404, 429, 500, 503};
	static const char *const types[] = {
	    "application/json", "application/json; charset=utf-8", "application/problem+json", "text/html", "",
	    "application/jsonx"};
	struct ccauth_http_response resp = {0};
	struct ccauth_avoid avoid[2] = {{SENT, sizeof(SENT) - 1}, {NULL, 0}};
	struct ccauth_log log = {quiet, NULL, 0};
	struct ccauth_token *tok = NULL;
	struct ccauth_error err = {0};
	enum ccauth_status st;
	char *body;

	if (size < 2)
		return 0;
	resp.status = statuses[data[0] % (sizeof(statuses) / sizeof(statuses[0]))];
	ccauth_strlcpy(resp.content_type, types[data[1] % (sizeof(types) / sizeof(types[0]))],
	               sizeof(resp.content_type));
	ccauth_strlcpy(resp.host, "as.test", sizeof(resp.host));
	/* http.c hands over a NUL-terminated copy */
	if ((body = malloc(size - 2 + 1)) == NULL)
		return 0;
	memcpy(body, data + 2, size - 2);
	body[size - 2] = '\0';
	resp.body = body;
	resp.len = size - 2;

	st = ccauth_token_parse_answer(&resp, 1700000000, data[0] & 1 ? 0.5 : 0.8, (uint32_t)size, NULL, &log, avoid, 2,
	                               &tok, &err);
	check(strstr(err.msg, SENT) == NULL);
	if (st == CCAUTH_OK) {
		check(resp.status == 200 && tok != NULL);
		check(tok->len > 0 && tok->len <= CCAUTH_TOKEN_MAX && strlen(tok->access_token) == tok->len);
		check(ccauth_token_chars_ok(tok->access_token, tok->len));
		check(tok->expires > tok->issued && tok->expires - tok->issued <= CCAUTH_TOKEN_MAX_LIFETIME);
		check(tok->refresh >= tok->issued && tok->refresh < tok->expires);
		check(tok->scope == NULL || ccauth_token_scope_chars_ok(tok->scope, strlen(tok->scope)));
		ccauth_token_free(tok);
	} else {
		check(tok == NULL && err.code == st);
		if (ccauth_http_is_refusal(resp.status))
			check(st == CCAUTH_E_DENIED || st == CCAUTH_E_NOMEM);
		else
			check(st == CCAUTH_E_UNAVAILABLE || st == CCAUTH_E_NOMEM);
	}
	/* the error parser alone, on any body, never anything but denied */
	st = ccauth_token_parse_error_avoiding(401, body, size - 2, avoid, 2, &err);
	check(st == CCAUTH_E_DENIED || st == CCAUTH_E_NOMEM);
	check(strstr(err.msg, SENT) == NULL);
	free(body);
	return 0;
}
