/* token_response: the token endpoint's answers - a token response parsed strictly, an error
 * answer sanitised so that it never quotes our credentials - and token lifetimes. */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "json.h"
#include "jws.h"
#include "token_response.h"
#include "util.h"

#define ERRCODE_MAX 64

void ccauth_token_free(struct ccauth_token *tok)
{
	if (tok == NULL)
		return;
	if (tok->access_token != NULL)
		ccauth_free_secret(tok->access_token, tok->len + 1);
	free(tok->scope);
	free(tok);
}

/* RFC 6749 scope: scope-tokens of %x21 / %x23-5B / %x5D-7E separated by spaces. */
int ccauth_token_scope_chars_ok(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c > 0x7e || c == '"' || c == '\\')
			return 0;
	}
	return 1;
}

int64_t ccauth_token_usable_until(int64_t issued, int64_t expires)
{
	int64_t life = expires - issued, margin = life / 10;

	if (margin > CCAUTH_TOKEN_SAFETY)
		margin = CCAUTH_TOKEN_SAFETY;
	if (margin < 1)
		margin = 1;
	return expires - margin;
}

int64_t ccauth_token_refresh_time(int64_t issued, int64_t lifetime, double refresh_at, uint32_t rnd)
{
	int64_t r, jitter, until = ccauth_token_usable_until(issued, issued + lifetime);

	if (!(refresh_at > 0.0 && refresh_at <= 1.0))
		refresh_at = 0.8;
	r = issued + (int64_t)((double)lifetime * refresh_at);
	jitter = (int64_t)((double)lifetime * CCAUTH_TOKEN_JITTER);
	r -= (int64_t)(rnd % (uint64_t)(jitter + 1));
	if (r > until)
		r = until;
	if (r < issued)
		r = issued;
	return r;
}

/* ---- responses ---- */

static void sanitize(const char *in, size_t len, char *out, size_t max);

/* expires_in (RFC 6749 §5.1: the lifetime in seconds, a JSON number).  Some servers send it as a
 * JSON string of digits ("3599"); in an AS answer -- never in a token's claims -- that form is
 * taken too, with the same bounds: 1..10 ASCII digits, no sign, no space, value in [1, max]. */
static enum ccauth_status expires_in(const struct ccauth_json *root, int64_t max, int64_t *out, int *present)
{
	const struct ccauth_json *v = ccauth_json_get(root, "expires_in");
	int64_t n = 0;

	*present = v != NULL;
	if (v == NULL)
		return CCAUTH_OK;
	if (v->type == CCAUTH_JSON_STRING) {
		if (v->len == 0 || v->len > 10)
			return CCAUTH_E_MALFORMED;
		for (size_t i = 0; i < v->len; i++) {
			if (v->str[i] < '0' || v->str[i] > '9')
				return CCAUTH_E_MALFORMED;
			n = n * 10 + (v->str[i] - '0');
		}
	} else if (v->type == CCAUTH_JSON_NUMBER && v->is_int) {
		n = v->i;
	} else {
		return CCAUTH_E_MALFORMED;
	}
	if (n < 1 || n > max)
		return CCAUTH_E_MALFORMED;
	*out = n;
	return CCAUTH_OK;
}

enum ccauth_status ccauth_token_parse_response(const char *body, size_t len, int64_t now, double refresh_at,
                                               uint32_t rnd, const struct ccauth_log *log, struct ccauth_token **out,
                                               struct ccauth_error *err)
{
	return ccauth_token_parse_response_typed(body, len, now, refresh_at, rnd, NULL, log, out, err);
}

enum ccauth_status ccauth_token_parse_response_typed(const char *body, size_t len, int64_t now, double refresh_at,
                                                     uint32_t rnd, const char *issued_type,
                                                     const struct ccauth_log *log, struct ccauth_token **out,
                                                     struct ccauth_error *err)
{
	const char *it = NULL;
	size_t itlen = 0;
	int has_it = 0;
	struct ccauth_json_doc *doc = NULL;
	const struct ccauth_json *root;
	const char *at = NULL, *tt = NULL, *sc = NULL;
	size_t atlen = 0, ttlen = 0, sclen = 0;
	int64_t life = 0;
	int has_at = 0, has_tt = 0, has_sc = 0, has_exp = 0;
	struct ccauth_token *tok;
	struct ccauth_error jerr;
	enum ccauth_status st;

	*out = NULL;
	if (ccauth_json_parse(body, len, CCAUTH_HTTP_MAX_BODY, CCAUTH_JSON_MAX_DEPTH, &doc, &jerr) != CCAUTH_OK)
		return ccauth_error_set(err, CCAUTH_E_UNAVAILABLE, "token response: not strict JSON (%s)", jerr.msg);
	root = ccauth_json_root(doc);
	st = CCAUTH_E_UNAVAILABLE;
	if (root->type != CCAUTH_JSON_OBJECT) {
		ccauth_error_set(err, st, "token response: not a JSON object");
	} else if (ccauth_json_get_string(root, "access_token", &at, &atlen, &has_at) != CCAUTH_OK || !has_at) {
		ccauth_error_set(err, st, "token response: access_token missing or not a string");
	} else if (atlen == 0 || atlen > CCAUTH_TOKEN_MAX || !ccauth_token_chars_ok(at, atlen)) {
		ccauth_error_set(err, st, "token response: access_token empty, longer than %d or not printable",
		                 CCAUTH_TOKEN_MAX);
	} else if (ccauth_json_get_string(root, "token_type", &tt, &ttlen, &has_tt) != CCAUTH_OK || !has_tt) {
		ccauth_error_set(err, st, "token response: token_type missing or not a string");
	} else if (ttlen != 6 || strncasecmp(tt, "Bearer", 6) != 0) {
		ccauth_error_set(err, st, "token response: token_type is not Bearer");
	} else if (expires_in(root, CCAUTH_TOKEN_MAX_LIFETIME, &life, &has_exp) != CCAUTH_OK) {
		ccauth_error_set(err, st, "token response: expires_in not an integer (or a string of digits) in 1..%d",
		                 CCAUTH_TOKEN_MAX_LIFETIME);
	} else if (ccauth_json_get_string(root, "scope", &sc, &sclen, &has_sc) != CCAUTH_OK ||
	           (has_sc && (sclen > CCAUTH_TOKEN_MAX || !ccauth_token_scope_chars_ok(sc, sclen)))) {
		ccauth_error_set(err, st, "token response: scope not a valid scope string");
	} else if (issued_type != NULL &&
	           (ccauth_json_get_string(root, "issued_token_type", &it, &itlen, &has_it) != CCAUTH_OK || !has_it)) {
		/* RFC 8693 §2.2.1: REQUIRED; without it we cannot know what the AS gave us */
		ccauth_error_set(err, st, "token response: issued_token_type missing or not a string");
	} else if (issued_type != NULL && (itlen != strlen(issued_type) || memcmp(it, issued_type, itlen) != 0)) {
		char shown[80];

		sanitize(it, itlen, shown, 64);
		ccauth_error_set(err, st, "token response: issued_token_type %s is not the requested %.96s", shown,
		                 issued_type);
	} else {
		st = CCAUTH_OK;
	}
	if (st != CCAUTH_OK) {
		ccauth_json_free(doc);
		return st;
	}
	if (!has_exp) {
		life = CCAUTH_TOKEN_DEFAULT_LIFETIME;
		ccauth_log(log, LOG_DEBUG, "token response without expires_in: assuming %d s",
		           CCAUTH_TOKEN_DEFAULT_LIFETIME);
	}
	if ((tok = calloc(1, sizeof(*tok))) != NULL)
		tok->len = atlen; /* before any free: ccauth_token_free wipes len + 1 bytes */
	if (tok == NULL || (tok->access_token = ccauth_strndup_checked(at, atlen)) == NULL ||
	    (has_sc && (tok->scope = ccauth_strndup_checked(sc, sclen)) == NULL)) {
		ccauth_token_free(tok);
		ccauth_json_free(doc); /* the arena holds the token: json.c wipes its arena */
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	}
	ccauth_json_free(doc);
	tok->issued = now;
	tok->expires = now + life;
	tok->refresh = ccauth_token_refresh_time(now, life, refresh_at, rnd);
	tok->from = CCAUTH_TOKEN_FROM_NETWORK;
	*out = tok;
	return CCAUTH_OK;
}

/* Printable ASCII only, at most max characters ("..." appended when cut). */
static void sanitize(const char *in, size_t len, char *out, size_t max)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o < max; i++)
		out[o++] = (in[i] >= 0x20 && in[i] <= 0x7e) ? in[i] : '?';
	if (len > max) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

static int contains(const char *hay, size_t hl, const char *needle, size_t nl)
{
	return needle != NULL && nl > 0 && memmem(hay, hl, needle, nl) != NULL;
}

static int contains_any(const char *hay, size_t hl, const struct ccauth_avoid *avoid, size_t navoid)
{
	for (size_t i = 0; i < navoid; i++)
		if (contains(hay, hl, avoid[i].p, avoid[i].len))
			return 1;
	return 0;
}

enum ccauth_status ccauth_token_parse_error(long status, const char *body, size_t len, const char *avoid,
                                            size_t avoidlen, struct ccauth_error *err)
{
	struct ccauth_avoid a = {avoid, avoidlen};

	return ccauth_token_parse_error_avoiding(status, body, len, &a, 1, err);
}

enum ccauth_status ccauth_token_parse_error_avoiding(long status, const char *body, size_t len,
                                                     const struct ccauth_avoid *avoid, size_t navoid,
                                                     struct ccauth_error *err)
{
	struct ccauth_json_doc *doc = NULL;
	const struct ccauth_json *root;
	const char *code = NULL, *desc = NULL;
	size_t codelen = 0, desclen = 0;
	int has_code = 0, has_desc = 0;
	char c[ERRCODE_MAX + 4], d[CCAUTH_TOKEN_DESC_MAX + 4];
	enum ccauth_status st;

	/* The status decides, the body only explains: an empty 401, a 403 text/html page or a 400
	 * with a JSON body that names no error are refusals like an OAuth error object (RFC 6749
	 * §5.2 puts every error response on 400 or 401), so they are never "unavailable". */
	st = body != NULL ? ccauth_json_parse(body, len, CCAUTH_HTTP_MAX_BODY, CCAUTH_JSON_MAX_DEPTH, &doc, NULL)
	                  : CCAUTH_E_MALFORMED;
	if (st == CCAUTH_E_NOMEM)
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	if (st != CCAUTH_OK)
		return ccauth_error_set(err, CCAUTH_E_DENIED, "AS refused with HTTP %ld (no JSON error in the answer)",
		                        status);
	root = ccauth_json_root(doc);
	if (root->type != CCAUTH_JSON_OBJECT ||
	    ccauth_json_get_string(root, "error", &code, &codelen, &has_code) != CCAUTH_OK || !has_code ||
	    codelen == 0) {
		ccauth_json_free(doc);
		return ccauth_error_set(err, CCAUTH_E_DENIED, "AS refused with HTTP %ld (no OAuth error code)", status);
	}
	if (ccauth_json_get_string(root, "error_description", &desc, &desclen, &has_desc) != CCAUTH_OK)
		has_desc = 0;
	sanitize(code, codelen, c, ERRCODE_MAX);
	if (contains_any(code, codelen, avoid, navoid))
		ccauth_strlcpy(c, "(withheld)", sizeof(c));
	if (has_desc && desclen > 0) {
		sanitize(desc, desclen, d, CCAUTH_TOKEN_DESC_MAX);
		/* never repeat what we sent, even if the AS does */
		if (contains_any(desc, desclen, avoid, navoid) || contains_any(d, strlen(d), avoid, navoid))
			ccauth_strlcpy(d, "description withheld: it quotes our credentials", sizeof(d));
		ccauth_error_set(err, CCAUTH_E_DENIED, "AS refused: %s (%s)", c, d);
	} else {
		ccauth_error_set(err, CCAUTH_E_DENIED, "AS refused: %s (HTTP %ld)", c, status);
	}
	ccauth_json_free(doc);
	return CCAUTH_E_DENIED;
}

enum ccauth_status ccauth_token_parse_answer(const struct ccauth_http_response *resp, int64_t now, double refresh_at,
                                             uint32_t rnd, const char *issued_type, const struct ccauth_log *log,
                                             const struct ccauth_avoid *avoid, size_t navoid, struct ccauth_token **out,
                                             struct ccauth_error *err)
{
	*out = NULL;
	if (ccauth_http_is_refusal(resp->status))
		return ccauth_token_parse_error_avoiding(resp->status, resp->body, resp->len, avoid, navoid, err);
	/* 429 and 5xx are temporary; 3xx and the other 4xx name a wrong URL, not wrong credentials */
	if (resp->status != 200)
		return ccauth_error_set(err, CCAUTH_E_UNAVAILABLE, "%s: HTTP %ld", resp->host, resp->status);
	if (!ccauth_http_is_json_type(resp->content_type))
		return ccauth_error_set(err, CCAUTH_E_UNAVAILABLE, "%s: HTTP 200 with a content type that is not JSON",
		                        resp->host);
	if (resp->body == NULL)
		return ccauth_error_set(err, CCAUTH_E_UNAVAILABLE, "%s: HTTP 200 without a body", resp->host);
	return ccauth_token_parse_response_typed(resp->body, resp->len, now, refresh_at, rnd, issued_type, log, out,
	                                         err);
}
