/* Client-credentials grant, pure parts: form and Basic encoding (RFC 6749 §2.3.1), token and error
 * responses with exact statuses, cache keys, refresh timing with jitter bounds, private_key_jwt
 * assertions decoded and verified independently, and secret-file checks before any network I/O. */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "b64url.h"
#include "config.h"
#include "http.h"
#include "jwks.h"
#include "jws.h"
#include "sbuf.h"
#include "testutil.h"
#include "token.h"
#include "token_response.h"
#include "util.h"

/* ---- form encoding ---- */

static void test_form_append(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	const char in[] = "a b:c%d+e/\xc3\xa9~-._&=";

	(void)state;
	assert_int_equal(ccauth_form_append(&buf, &len, in, sizeof(in) - 1), 0);
	assert_string_equal(buf, "a%20b%3Ac%25d%2Be%2F%C3%A9~-._%26%3D");
	assert_int_equal(len, strlen(buf));
	assert_int_equal(ccauth_form_append(&buf, &len, "\x01Z", 2), 0);
	assert_string_equal(buf, "a%20b%3Ac%25d%2Be%2F%C3%A9~-._%26%3D%01Z");
	assert_int_equal(len, strlen(buf));
	free(buf);
	buf = NULL;
	len = 0;
	assert_int_equal(ccauth_form_append(&buf, &len, "", 0), 0);
	assert_string_equal(buf, "");
	free(buf);
}

static char *basic_decoded(const char *hdr)
{
	size_t n = strlen(hdr) - 6, outlen = 0;
	char *out = malloc(n + 1);

	assert_memory_equal(hdr, "Basic ", 6);
	assert_int_equal(ccauth_b64std_decode(hdr + 6, n, (unsigned char *)out, n, &outlen), 0);
	out[outlen] = '\0';
	return out;
}

static void test_basic_auth(void **state)
{
	static const struct {
		const char *id, *secret, *decoded;
	} cases[] = {
	    {"service-a", "secret-a", "service-a:secret-a"},
	    /* ':' in the id must not split it; '%' and '+' must survive form decoding */
	    {"id:1%+", "s:e+c%ret", "id%3A1%25%2B:s%3Ae%2Bc%25ret"},
	    {"\xc3\xa9t\xc3\xa9", "p\xc3\xa4ss w", "%C3%A9t%C3%A9:p%C3%A4ss%20w"},
	    {"a", "~-._", "a:~-._"},
	};
	char *hdr = NULL, *dec;

	(void)state;
	assert_int_equal(ccauth_token_basic_auth("service-a", "secret-a", 8, &hdr, NULL), CCAUTH_OK);
	assert_string_equal(hdr, "Basic c2VydmljZS1hOnNlY3JldC1h");
	ccauth_free_secret_str(hdr);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(
		    ccauth_token_basic_auth(cases[i].id, cases[i].secret, strlen(cases[i].secret), &hdr, NULL),
		    CCAUTH_OK);
		dec = basic_decoded(hdr);
		assert_string_equal(dec, cases[i].decoded);
		free(dec);
		ccauth_free_secret_str(hdr);
	}
	/* a secret with an embedded NUL is (ptr,len): encoded, not cut */
	assert_int_equal(ccauth_token_basic_auth("a", "x\0y", 3, &hdr, NULL), CCAUTH_OK);
	dec = basic_decoded(hdr);
	assert_string_equal(dec, "a:x%00y");
	free(dec);
	ccauth_free_secret_str(hdr);
}

static struct ccauth_client_conf client_conf(enum ccauth_auth_method m)
{
	struct ccauth_client_conf c = {0};

	c.name = "c";
	c.client_id = "svc:1";
	c.auth_method = m;
	c.scope = "ldap.read imap";
	c.audience = "https://api.example/x?y=1";
	c.resource = "urn:test:rs256";
	c.signing_alg = CCAUTH_ALG_RS256;
	c.refresh_at = 0.8;
	return c;
}

static void test_form(void **state)
{
	static const char common[] = "grant_type=client_credentials&scope=ldap.read%20imap"
	                             "&audience=https%3A%2F%2Fapi.example%2Fx%3Fy%3D1&resource=urn%3Atest%3Ars256";
	struct ccauth_client_conf c = client_conf(CCAUTH_AUTH_CLIENT_SECRET_BASIC);
	struct ccauth_error err = {0};
	char *form = NULL, want[512];
	size_t len = 0;

	(void)state;
	assert_int_equal(ccauth_token_form(&c, NULL, 0, NULL, &form, &len, NULL), CCAUTH_OK);
	assert_string_equal(form, common);
	assert_int_equal(len, strlen(common));
	ccauth_free_secret(form, len + 1);

	c.auth_method = CCAUTH_AUTH_CLIENT_SECRET_POST;
	assert_int_equal(ccauth_token_form(&c, "p&w=d+", 6, NULL, &form, &len, NULL), CCAUTH_OK);
	snprintf(want, sizeof(want), "%s&client_id=svc%%3A1&client_secret=p%%26w%%3Dd%%2B", common);
	assert_string_equal(form, want);
	ccauth_free_secret(form, len + 1);
	assert_int_equal(ccauth_token_form(&c, NULL, 0, NULL, &form, &len, &err), CCAUTH_E_INTERNAL);
	assert_null(form);

	c.auth_method = CCAUTH_AUTH_PRIVATE_KEY_JWT;
	assert_int_equal(ccauth_token_form(&c, NULL, 0, "h.p.s", &form, &len, NULL), CCAUTH_OK);
	snprintf(want, sizeof(want),
	         "%s&client_id=svc%%3A1&client_assertion_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Aclient-assertion-type%%"
	         "3Ajwt-bearer&client_assertion=h.p.s",
	         common);
	assert_string_equal(form, want);
	ccauth_free_secret(form, len + 1);

	c.auth_method = CCAUTH_AUTH_TLS_CLIENT_AUTH;
	assert_int_equal(ccauth_token_form(&c, NULL, 0, NULL, &form, &len, NULL), CCAUTH_OK);
	snprintf(want, sizeof(want), "%s&client_id=svc%%3A1", common);
	assert_string_equal(form, want);
	ccauth_free_secret(form, len + 1);

	/* no scope/audience/resource: only the grant type */
	c = client_conf(CCAUTH_AUTH_CLIENT_SECRET_BASIC);
	c.scope = c.audience = c.resource = NULL;
	assert_int_equal(ccauth_token_form(&c, NULL, 0, NULL, &form, &len, NULL), CCAUTH_OK);
	assert_string_equal(form, "grant_type=client_credentials");
	ccauth_free_secret(form, len + 1);
}

/* Machines without stored secrets: federated assertions (RFC 7523 §2.2, jwt-spiffe) and the
 * RFC 8693 token exchange, parameter by parameter. */
static void test_form_secretless(void **state)
{
	static const char bearer[] = "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer";
	static const char spiffe[] = "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-spiffe";
	struct ccauth_client_conf c = client_conf(CCAUTH_AUTH_CLIENT_ASSERTION);
	struct ccauth_error err = {0};
	char *form = NULL, want[1024];
	size_t len = 0;

	(void)state;
	c.scope = c.audience = c.resource = NULL;
	assert_int_equal(ccauth_token_form(&c, NULL, 0, "a.b.c", &form, &len, NULL), CCAUTH_OK);
	snprintf(want, sizeof(want),
	         "grant_type=client_credentials&client_id=svc%%3A1&client_assertion_type=%s"
	         "&client_assertion=a.b.c",
	         bearer);
	assert_string_equal(form, want);
	ccauth_free_secret(form, len + 1);
	/* client_id only when configured; the SPIFFE type */
	c.client_id = NULL;
	c.client_assertion_type = CCAUTH_ASSERTION_JWT_SPIFFE;
	assert_int_equal(ccauth_token_form(&c, NULL, 0, "a.b.c", &form, &len, NULL), CCAUTH_OK);
	snprintf(want, sizeof(want), "grant_type=client_credentials&client_assertion_type=%s&client_assertion=a.b.c",
	         spiffe);
	assert_string_equal(form, want);
	ccauth_free_secret(form, len + 1);
	/* a federated method without its assertion never makes a request body */
	assert_int_equal(ccauth_token_form(&c, NULL, 0, NULL, &form, &len, &err), CCAUTH_E_INTERNAL);
	assert_null(form);

	/* RFC 8693 without client authentication (the Google STS form) */
	c = client_conf(CCAUTH_AUTH_NONE);
	c.client_id = NULL;
	c.grant = CCAUTH_GRANT_TOKEN_EXCHANGE;
	c.audience = "//iam.example/pools/p";
	c.resource = NULL;
	c.scope = "s";
	assert_int_equal(ccauth_token_form_ex(&c, NULL, 0, NULL, "x.y.z", &form, &len, NULL), CCAUTH_OK);
	assert_string_equal(form,
	                    "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange"
	                    "&subject_token=x.y.z&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Ajwt"
	                    "&requested_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token"
	                    "&scope=s&audience=%2F%2Fiam.example%2Fpools%2Fp");
	ccauth_free_secret(form, len + 1);
	c.subject_token_type = CCAUTH_SUBJECT_ID_TOKEN;
	c.requested_token_type = "urn:ietf:params:oauth:token-type:jwt";
	c.scope = c.audience = NULL;
	assert_int_equal(ccauth_token_form_ex(&c, NULL, 0, NULL, "x.y.z", &form, &len, NULL), CCAUTH_OK);
	assert_string_equal(
	    form, "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange"
	          "&subject_token=x.y.z&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aid_token"
	          "&requested_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Ajwt");
	ccauth_free_secret(form, len + 1);
	assert_int_equal(ccauth_token_form_ex(&c, NULL, 0, NULL, NULL, &form, &len, &err), CCAUTH_E_INTERNAL);
	/* auth_method none is never a client_credentials request */
	c.grant = CCAUTH_GRANT_CLIENT_CREDENTIALS;
	assert_int_equal(ccauth_token_form_ex(&c, NULL, 0, NULL, NULL, &form, &len, &err), CCAUTH_E_CONFIG);
	assert_null(form);
	/* an exchange with client_secret_post: the exchange first, then the client's credentials */
	c = client_conf(CCAUTH_AUTH_CLIENT_SECRET_POST);
	c.grant = CCAUTH_GRANT_TOKEN_EXCHANGE;
	c.scope = c.audience = c.resource = NULL;
	c.subject_token_type = CCAUTH_SUBJECT_ACCESS_TOKEN;
	assert_int_equal(ccauth_token_form_ex(&c, "pw", 2, NULL, "opaque", &form, &len, NULL), CCAUTH_OK);
	assert_string_equal(form, "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange"
	                          "&subject_token=opaque"
	                          "&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token"
	                          "&requested_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token"
	                          "&client_id=svc%3A1&client_secret=pw");
	ccauth_free_secret(form, len + 1);
}

/* ---- responses ---- */

/* RFC 8693 §2.2.1: issued_token_type is required and must be what was asked for. */
static void test_parse_response_issued_type(void **state)
{
	static const char at[] = "urn:ietf:params:oauth:token-type:access_token";
	static const struct {
		const char *body;
		enum ccauth_status st;
	} cases[] = {
	    {"{\"access_token\":\"t\",\"token_type\":\"Bearer\",\"expires_in\":60,"
	     "\"issued_token_type\":\"urn:ietf:params:oauth:token-type:access_token\"}",
	     CCAUTH_OK},
	    {"{\"access_token\":\"t\",\"token_type\":\"Bearer\",\"expires_in\":60}", CCAUTH_E_UNAVAILABLE},
	    {"{\"access_token\":\"t\",\"token_type\":\"Bearer\",\"expires_in\":60,"
	     "\"issued_token_type\":\"urn:ietf:params:oauth:token-type:id_token\"}",
	     CCAUTH_E_UNAVAILABLE},
	    {"{\"access_token\":\"t\",\"token_type\":\"Bearer\",\"expires_in\":60,\"issued_token_type\":7}",
	     CCAUTH_E_UNAVAILABLE},
	};
	struct ccauth_token *tok = NULL;
	struct ccauth_error err = {0};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(ccauth_token_parse_response_typed(cases[i].body, strlen(cases[i].body), 100, 0.8, 0,
		                                                   at, NULL, &tok, &err),
		                 cases[i].st);
		ccauth_token_free(tok);
		tok = NULL;
	}
	assert_non_null(strstr(err.msg, "issued_token_type"));
	/* the client-credentials grant does not look at it */
	assert_int_equal(
	    ccauth_token_parse_response(cases[1].body, strlen(cases[1].body), 100, 0.8, 0, NULL, &tok, &err),
	    CCAUTH_OK);
	ccauth_token_free(tok);
}

struct logcap {
	int n;
	char last[512];
};

static void capture(void *ctx, int priority, const char *msg)
{
	struct logcap *l = ctx;

	(void)priority;
	l->n++;
	snprintf(l->last, sizeof(l->last), "%s", msg);
}

static void test_parse_response_ok(void **state)
{
	struct logcap cap = {0};
	struct ccauth_log log = {capture, &cap, 1};
	struct ccauth_token *tok = NULL;
	const char *body = "{\"access_token\":\"abc.def-ghi\",\"token_type\":\"bearer\",\"expires_in\":600,"
	                   "\"scope\":\"ldap.read imap\",\"extra\":{\"x\":[1,2]}}";

	(void)state;
	assert_int_equal(ccauth_token_parse_response(body, strlen(body), 1000, 0.8, 0, &log, &tok, NULL), CCAUTH_OK);
	assert_string_equal(tok->access_token, "abc.def-ghi");
	assert_int_equal(tok->len, 11);
	assert_string_equal(tok->scope, "ldap.read imap");
	assert_int_equal(tok->issued, 1000);
	assert_int_equal(tok->expires, 1600);
	assert_int_equal(tok->refresh, 1480);
	assert_int_equal(tok->from, CCAUTH_TOKEN_FROM_NETWORK);
	assert_int_equal(cap.n, 0);
	ccauth_token_free(tok);

	/* expires_in absent: 300 s assumed, and a debug message says so */
	body = "{\"access_token\":\"opaque\",\"token_type\":\"Bearer\"}";
	assert_int_equal(ccauth_token_parse_response(body, strlen(body), 50, 1.0, 0, &log, &tok, NULL), CCAUTH_OK);
	assert_int_equal(tok->expires, 50 + CCAUTH_TOKEN_DEFAULT_LIFETIME);
	assert_null(tok->scope);
	assert_int_equal(tok->refresh, 50 + 300 - 30); /* refresh_at 1.0 capped at the safety margin */
	assert_int_equal(cap.n, 1);
	assert_non_null(strstr(cap.last, "without expires_in"));
	assert_null(strstr(cap.last, "opaque"));
	ccauth_token_free(tok);
}

/* Fault injection (tests/Makefile.am wraps both): ccauth_strndup_checked fails on the Nth call
 * from now when dup_fail_in is N; the first copy made is remembered with the size it is wiped with. */
char *__real_ccauth_strndup_checked(const char *p, size_t len);
void __real_ccauth_free_secret(void *p, size_t len);
char *__wrap_ccauth_strndup_checked(const char *p, size_t len);
void __wrap_ccauth_free_secret(void *p, size_t len);
static int dup_fail_in;
static const void *dup_first;
static size_t dup_first_wiped;

char *__wrap_ccauth_strndup_checked(const char *p, size_t len)
{
	char *r;

	if (dup_fail_in > 0 && --dup_fail_in == 0)
		return NULL;
	r = __real_ccauth_strndup_checked(p, len);
	if (dup_first == NULL)
		dup_first = r;
	return r;
}

void __wrap_ccauth_free_secret(void *p, size_t len)
{
	if (p != NULL && p == dup_first) {
		dup_first_wiped = len;
		dup_first = NULL;
	}
	__real_ccauth_free_secret(p, len);
}

/* out of memory after the token was copied (the scope copy fails): the copy is wiped whole */
static void test_parse_response_nomem(void **state)
{
	const char *body = "{\"access_token\":\"tok-0123456789abcdef\",\"token_type\":\"Bearer\",\"scope\":\"a b\"}";
	struct ccauth_token *tok = NULL;
	struct ccauth_error err = {0};

	(void)state;
	dup_first = NULL;
	dup_first_wiped = 0;
	dup_fail_in = 2;
	assert_int_equal(ccauth_token_parse_response(body, strlen(body), 1, 0.8, 0, NULL, &tok, &err), CCAUTH_E_NOMEM);
	dup_fail_in = 0;
	assert_null(tok);
	assert_int_equal(err.code, CCAUTH_E_NOMEM);
	assert_int_equal(dup_first_wiped, strlen("tok-0123456789abcdef") + 1);
}

static void test_parse_response_bad(void **state)
{
	static const char *const bad[] = {
	    "",
	    "[]",
	    "\"x\"",
	    "{\"token_type\":\"Bearer\",\"expires_in\":60}",
	    "{\"access_token\":1,\"token_type\":\"Bearer\"}",
	    "{\"access_token\":\"\",\"token_type\":\"Bearer\"}",
	    "{\"access_token\":\"a b\",\"token_type\":\"Bearer\"}",
	    "{\"access_token\":\"a\\tb\",\"token_type\":\"Bearer\"}",
	    "{\"access_token\":\"a\\u0000b\",\"token_type\":\"Bearer\"}",
	    "{\"access_token\":\"\\u00e9\",\"token_type\":\"Bearer\"}",
	    "{\"access_token\":\"a\"}",
	    "{\"access_token\":\"a\",\"token_type\":\"DPoP\"}",
	    "{\"access_token\":\"a\",\"token_type\":\"Bearerx\"}",
	    "{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"expires_in\":\"36 00\"}",
	    "{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"expires_in\":0}",
	    "{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"expires_in\":-5}",
	    "{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"expires_in\":31536001}",
	    "{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"expires_in\":60.5}",
	    "{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"scope\":7}",
	    "{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"scope\":\"a\\\"b\"}",
	    "{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"scope\":\"a\\nb\"}",
	    "{\"access_token\":\"a\",\"access_token\":\"b\",\"token_type\":\"Bearer\"}",
	    "{\"access_token\":\"a\",\"token_type\":\"Bearer\"} x",
	};
	struct ccauth_token *tok = NULL;
	struct ccauth_error err;
	char *big;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		if (ccauth_token_parse_response(bad[i], strlen(bad[i]), 1, 0.8, 0, NULL, &tok, &err) !=
		    CCAUTH_E_UNAVAILABLE)
			fail_msg("case %zu accepted or wrong status", i);
		assert_null(tok);
		assert_int_equal(err.code, CCAUTH_E_UNAVAILABLE);
	}
	/* longest token accepted, one more refused; the message never holds the value */
	big = malloc(CCAUTH_TOKEN_MAX + 64);
	for (int extra = 0; extra <= 1; extra++) {
		n = (size_t)snprintf(big, 32, "{\"access_token\":\"");
		memset(big + n, 'Q', CCAUTH_TOKEN_MAX + (size_t)extra);
		n += CCAUTH_TOKEN_MAX + (size_t)extra;
		n += (size_t)snprintf(big + n, 40, "\",\"token_type\":\"Bearer\"}");
		memset(&err, 0, sizeof(err));
		assert_int_equal(ccauth_token_parse_response(big, n, 1, 0.8, 0, NULL, &tok, &err),
		                 extra ? CCAUTH_E_UNAVAILABLE : CCAUTH_OK);
		if (!extra) {
			assert_int_equal(tok->len, CCAUTH_TOKEN_MAX);
			ccauth_token_free(tok);
		} else {
			assert_null(strstr(err.msg, "QQQQ"));
		}
	}
	free(big);
}

static void test_parse_error(void **state)
{
	struct ccauth_error err;
	const char *b;
	char body[600], want[300];

	(void)state;
	memset(&err, 0, sizeof(err));
	b = "{\"error\":\"invalid_client\",\"error_description\":\"client authentication failed\"}";
	assert_int_equal(ccauth_token_parse_error(401, b, strlen(b), "secret-a", 8, &err), CCAUTH_E_DENIED);
	assert_string_equal(err.msg, "AS refused: invalid_client (client authentication failed)");
	assert_int_equal(err.code, CCAUTH_E_DENIED);

	b = "{\"error\":\"invalid_scope\"}";
	assert_int_equal(ccauth_token_parse_error(400, b, strlen(b), NULL, 0, &err), CCAUTH_E_DENIED);
	assert_string_equal(err.msg, "AS refused: invalid_scope (HTTP 400)");

	/* control characters and non-ASCII become '?' */
	b = "{\"error\":\"invalid_request\",\"error_description\":\"bad\\n\\u001b[31mred \\u00e9\"}";
	assert_int_equal(ccauth_token_parse_error(400, b, strlen(b), NULL, 0, &err), CCAUTH_E_DENIED);
	assert_string_equal(err.msg, "AS refused: invalid_request (bad?"
	                             "?[31mred ?"
	                             "?)");

	/* a long description is cut at CCAUTH_TOKEN_DESC_MAX characters */
	snprintf(body, sizeof(body), "{\"error\":\"invalid_client\",\"error_description\":\"%0300d\"}", 7);
	assert_int_equal(ccauth_token_parse_error(401, body, strlen(body), NULL, 0, &err), CCAUTH_E_DENIED);
	snprintf(want, sizeof(want), "AS refused: invalid_client (%0100d...)", 0);
	assert_string_equal(err.msg, want);

	/* an AS that quotes our secret back does not get it into our logs */
	b = "{\"error\":\"invalid_client\",\"error_description\":\"secret hunter2 is wrong\"}";
	assert_int_equal(ccauth_token_parse_error(401, b, strlen(b), "hunter2", 7, &err), CCAUTH_E_DENIED);
	assert_null(strstr(err.msg, "hunter2"));
	assert_string_equal(err.msg, "AS refused: invalid_client (description withheld: it quotes our credentials)");
	b = "{\"error\":\"hunter2\"}";
	assert_int_equal(ccauth_token_parse_error(401, b, strlen(b), "hunter2", 7, &err), CCAUTH_E_DENIED);
	assert_null(strstr(err.msg, "hunter2"));

	/* not an OAuth error body: still a refusal, the status decides (issue #12) */
	static const char *const nonsense[] = {"",
	                                       "{}",
	                                       "[\"error\"]",
	                                       "{\"error\":5}",
	                                       "{\"error\":\"\"}",
	                                       "<html>",
	                                       "{\"error\":\"x\",\"error\":\"y\"}"};
	for (size_t i = 0; i < sizeof(nonsense) / sizeof(nonsense[0]); i++) {
		memset(&err, 0, sizeof(err));
		assert_int_equal(ccauth_token_parse_error(400, nonsense[i], strlen(nonsense[i]), NULL, 0, &err),
		                 CCAUTH_E_DENIED);
		assert_int_equal(err.code, CCAUTH_E_DENIED);
		assert_non_null(strstr(err.msg, "HTTP 400"));
	}
	assert_int_equal(ccauth_token_parse_error(401, NULL, 0, NULL, 0, &err), CCAUTH_E_DENIED);
}

/* expires_in as a JSON string of digits (issue #12): accepted in an AS answer, with the bounds of
 * the integer form; anything else in a string is refused. */
static void test_parse_response_expires_string(void **state)
{
	static const struct {
		const char *v;
		int64_t life; /* 0: refused */
	} rows[] = {
	    {"\"3599\"", 3599},
	    {"\"1\"", 1},
	    {"\"31536000\"", 31536000},
	    {"\"0003600\"", 3600},
	    {"\"0\"", 0},
	    {"\"\"", 0},
	    {"\" 60\"", 0},
	    {"\"60 \"", 0},
	    {"\"-5\"", 0},
	    {"\"+5\"", 0},
	    {"\"1e3\"", 0},
	    {"\"60.0\"", 0},
	    {"\"31536001\"", 0},
	    {"\"99999999999\"", 0},
	    {"\"0x10\"", 0},
	    {"\"6\\u0030\"", 60},
	    {"\"\\u0036\\u0030x\"", 0},
	    {"true", 0},
	    {"null", 0},
	    {"[60]", 0},
	};
	char body[256];

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ccauth_token *tok = NULL;
		struct ccauth_error err = {0};
		enum ccauth_status st;

		snprintf(body, sizeof(body), "{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"expires_in\":%s}",
		         rows[i].v);
		st = ccauth_token_parse_response(body, strlen(body), 1000, 0.8, 0, NULL, &tok, &err);
		if (rows[i].life == 0) {
			if (st != CCAUTH_E_UNAVAILABLE || tok != NULL)
				fail_msg("expires_in %s accepted", rows[i].v);
			assert_non_null(strstr(err.msg, "expires_in"));
		} else {
			if (st != CCAUTH_OK)
				fail_msg("expires_in %s refused: %s", rows[i].v, err.msg);
			assert_int_equal(tok->expires - tok->issued, rows[i].life);
			ccauth_token_free(tok);
		}
	}
}

/* Every status x body shape a token endpoint may answer: 400/401/403 are refusals whatever the
 * body; only 429, 5xx, other statuses and nonsense from a 200 are "unavailable". */
static void test_parse_answer_table(void **state)
{
	static const struct {
		const char *name, *ct, *body;
	} shapes[] = {
	    {"empty", "", ""},
	    {"html", "text/html; charset=utf-8", "<html><body>Forbidden</body></html>"},
	    {"text", "text/plain", "invalid client"},
	    {"json-error", "application/json", "{\"error\":\"invalid_client\"}"},
	    {"json-no-error", "application/json", "{\"message\":\"unauthorized\"}"},
	    {"json-array", "application/json", "[1,2]"},
	    {"json-garbage", "application/json", "{\"error\": \x01 nope"},
	    {"token", "application/json", "{\"access_token\":\"at\",\"token_type\":\"Bearer\",\"expires_in\":60}"},
	    {"token-wrong-ct", "text/plain", "{\"access_token\":\"at\",\"token_type\":\"Bearer\"}"},
	};
	static const long statuses[] = {200, 201, 204, 302, 400, 401, 403, 404, 405, 408, 429, 500, 502, 503};
	struct ccauth_avoid avoid = {"hunter2", 7};

	(void)state;
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		for (size_t j = 0; j < sizeof(shapes) / sizeof(shapes[0]); j++) {
			struct ccauth_http_response resp = {0};
			struct ccauth_token *tok = NULL;
			struct ccauth_error err = {0};
			enum ccauth_status want, got;
			long s = statuses[i];

			resp.status = s;
			resp.body = (char *)shapes[j].body;
			resp.len = strlen(shapes[j].body);
			snprintf(resp.content_type, sizeof(resp.content_type), "%s", shapes[j].ct);
			snprintf(resp.host, sizeof(resp.host), "as.test");
			if (s == 400 || s == 401 || s == 403)
				want = CCAUTH_E_DENIED;
			else if (s == 200 && strcmp(shapes[j].name, "token") == 0)
				want = CCAUTH_OK;
			else
				want = CCAUTH_E_UNAVAILABLE;
			got = ccauth_token_parse_answer(&resp, 1000, 0.8, 0, NULL, NULL, &avoid, 1, &tok, &err);
			if (got != want)
				fail_msg("HTTP %ld %s: %s, want %s (%s)", s, shapes[j].name, ccauth_status_reason(got),
				         ccauth_status_reason(want), err.msg);
			if (got == CCAUTH_OK) {
				assert_non_null(tok);
				ccauth_token_free(tok);
			} else {
				assert_null(tok);
				assert_int_equal(err.code, want);
			}
		}
	}
}

/* ---- cache keys and timing ---- */

static void test_cache_key(void **state)
{
	struct ccauth_client_conf c = client_conf(CCAUTH_AUTH_CLIENT_SECRET_BASIC), d;
	char h1[CCAUTH_CACHE_KEYHEX + 1], h2[CCAUTH_CACHE_KEYHEX + 1];
	size_t len = 0, len2 = 0;
	char *k, *k2;

	(void)state;
	k = ccauth_token_cache_key("https://as/token", &c, &len);
	assert_string_equal(k, "token 2\nendpoint=16:https://as/token\nclient_id=5:svc:1\nscope=14:ldap.read imap\n"
	                       "audience=25:https://api.example/x?y=1\nresource=14:urn:test:rs256\n"
	                       "auth_method=19:client_secret_basic\nclient_secret_file=-\n");
	assert_int_equal(len, strlen(k));
	ccauth_cache_key(k, len, h1);
	assert_int_equal(strlen(h1), 64);

	/* every field counts; absent differs from empty; no field can spill into the next */
	d = c;
	d.scope = "ldap.read";
	k2 = ccauth_token_cache_key("https://as/token", &d, &len2);
	ccauth_cache_key(k2, len2, h2);
	assert_string_not_equal(h1, h2);
	free(k2);
	d = c;
	d.audience = NULL;
	k2 = ccauth_token_cache_key("https://as/token", &d, &len2);
	assert_non_null(strstr(k2, "audience=-\n"));
	free(k2);
	d.audience = "";
	k2 = ccauth_token_cache_key("https://as/token", &d, &len2);
	assert_non_null(strstr(k2, "audience=0:\n"));
	free(k2);
	d = c;
	d.client_id = "svc:1\nscope=14:ldap.read imap";
	d.scope = NULL;
	k2 = ccauth_token_cache_key("https://as/token", &d, &len2);
	ccauth_cache_key(k2, len2, h2);
	assert_string_not_equal(h1, h2);
	free(k2);
	k2 = ccauth_token_cache_key("https://as/token2", &c, &len2);
	ccauth_cache_key(k2, len2, h2);
	assert_string_not_equal(h1, h2);
	free(k2);
	free(k);
}

static void rewrite(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

static void id_of(const struct ccauth_client_conf *c, unsigned char id[32])
{
	struct ccauth_error err = {0};

	if (ccauth_token_credential_id(c, id, &err) != CCAUTH_OK)
		fail_msg("credential id: %s", err.msg);
}

/* Sections that differ only in their credential never share a cached token: the key names the
 * auth_method and the files, and the credential id hashes what the files hold (a rotated secret
 * starts afresh), without the secret itself ever being part of the key. */
static void test_cache_key_credential(void **state)
{
	struct ccauth_client_conf a = client_conf(CCAUTH_AUTH_CLIENT_SECRET_BASIC), b = a, c;
	char *pa = tu_write_temp("a.secret", "s3cret-A\n"), *pb = tu_write_temp("b.secret", "s3cret-B\n");
	char *pc = tu_write_temp("c.secret", "s3cret-A\n"), *ka, *kb;
	unsigned char ia[32], ib[32], ic[32];
	struct ccauth_error err = {0};
	size_t la = 0, lb = 0;

	(void)state;
	a.client_secret_file = pa;
	b.client_secret_file = pb;
	ka = ccauth_token_cache_key("https://as/token", &a, &la);
	kb = ccauth_token_cache_key("https://as/token", &b, &lb);
	assert_string_not_equal(ka, kb);
	assert_null(strstr(ka, "s3cret"));
	free(kb);
	id_of(&a, ia);
	id_of(&b, ib);
	assert_memory_not_equal(ia, ib, 32);
	/* the same secret in another file is the same credential */
	c = a;
	c.client_secret_file = pc;
	id_of(&c, ic);
	assert_memory_equal(ia, ic, 32);
	/* rotation: the same file, a new secret */
	rewrite(pc, "s3cret-C\n");
	id_of(&c, ic);
	assert_memory_not_equal(ia, ic, 32);
	/* the auth_method counts, in the key and in the id */
	c = a;
	c.auth_method = CCAUTH_AUTH_CLIENT_SECRET_POST;
	kb = ccauth_token_cache_key("https://as/token", &c, &lb);
	assert_string_not_equal(ka, kb);
	assert_non_null(strstr(kb, "auth_method=18:client_secret_post\n"));
	free(kb);
	id_of(&c, ic);
	assert_memory_not_equal(ia, ic, 32);
	/* a federated assertion: its source is in the key, its content is not (the file need not
	 * even exist to compute the key); two sources never share a key */
	c = client_conf(CCAUTH_AUTH_CLIENT_ASSERTION);
	c.client_assertion_file = "/nonexistent/t1";
	kb = ccauth_token_cache_key("https://as/token", &c, &lb);
	assert_non_null(strstr(kb, "client_assertion_file=15:/nonexistent/t1\n"));
	assert_int_equal(ccauth_token_credential_id(&c, ic, &err), CCAUTH_OK);
	{
		struct ccauth_client_conf d = c;
		unsigned char id2[32];
		size_t l2 = 0;
		char *k2;

		d.client_assertion_file = "/nonexistent/t2";
		k2 = ccauth_token_cache_key("https://as/token", &d, &l2);
		assert_string_not_equal(kb, k2);
		free(k2);
		assert_int_equal(ccauth_token_credential_id(&d, id2, &err), CCAUTH_OK);
		d.grant = CCAUTH_GRANT_TOKEN_EXCHANGE;
		d.subject_token_file = "/s";
		k2 = ccauth_token_cache_key("https://as/token", &d, &l2);
		assert_non_null(strstr(k2, "subject_token_file=2:/s\n"));
		free(k2);
	}
	free(kb);
	/* a loose or missing secret gives no id (and so no cached token) */
	assert_int_equal(chmod(pb, 0644), 0);
	assert_int_equal(ccauth_token_credential_id(&b, ib, &err), CCAUTH_E_CONFIG);
	assert_non_null(strstr(err.msg, "readable or writable by others"));
	assert_int_equal(unlink(pb), 0);
	assert_int_equal(ccauth_token_credential_id(&b, ib, &err), CCAUTH_E_CONFIG);
	/* tls_client_auth: the certificate (not a secret: 0644 is fine) and the key both count */
	c = client_conf(CCAUTH_AUTH_TLS_CLIENT_AUTH);
	c.tls_cert_file = pb;
	c.tls_key_file = pa;
	rewrite(pb, "CERT-1\n");
	assert_int_equal(chmod(pb, 0644), 0);
	id_of(&c, ib);
	kb = ccauth_token_cache_key("https://as/token", &c, &lb);
	assert_non_null(strstr(kb, "tls_cert_file="));
	assert_non_null(strstr(kb, "tls_key_file="));
	free(kb);
	rewrite(pb, "CERT-2\n");
	id_of(&c, ic);
	assert_memory_not_equal(ib, ic, 32);
	c.tls_key_file = pc;
	id_of(&c, ib);
	assert_memory_not_equal(ib, ic, 32);
	unlink(pa);
	unlink(pb);
	unlink(pc);
	free(ka);
	free(pa);
	free(pb);
	free(pc);
}

static void test_refresh_timing(void **state)
{
	int64_t lo = INT64_MAX, hi = 0;

	(void)state;
	assert_int_equal(ccauth_token_usable_until(1000, 1600), 1570);
	assert_int_equal(ccauth_token_usable_until(1000, 1100), 1090);
	assert_int_equal(ccauth_token_usable_until(1000, 1005), 1004);
	assert_int_equal(ccauth_token_usable_until(1000, 1001), 1000);

	assert_int_equal(ccauth_token_refresh_time(1000, 600, 0.8, 0), 1480);
	assert_int_equal(ccauth_token_refresh_time(1000, 600, 0.8, 30), 1450); /* 5% of 600 */
	assert_int_equal(ccauth_token_refresh_time(1000, 600, 0.8, 31), 1480); /* 31 % 31 */
	assert_int_equal(ccauth_token_refresh_time(1000, 600, 0.5, 7), 1293);
	for (uint32_t r = 0; r < 100000; r += 7) {
		int64_t t = ccauth_token_refresh_time(1000, 600, 0.8, r * 2654435761u);
		lo = t < lo ? t : lo;
		hi = t > hi ? t : hi;
	}
	assert_int_equal(lo, 1450);
	assert_int_equal(hi, 1480);
	/* never after the safety margin, never before the issue time */
	assert_int_equal(ccauth_token_refresh_time(1000, 600, 1.0, 0), 1570);
	assert_int_equal(ccauth_token_refresh_time(1000, 1, 1.0, 0), 1000);
	assert_int_equal(ccauth_token_refresh_time(1000, 1, 0.1, 5), 1000);
	assert_int_equal(ccauth_token_refresh_time(0, CCAUTH_TOKEN_MAX_LIFETIME, 0.8, 0),
	                 (int64_t)(CCAUTH_TOKEN_MAX_LIFETIME * 0.8));
	/* a bad fraction falls back to 0.8 */
	assert_int_equal(ccauth_token_refresh_time(1000, 600, 0.0, 0), 1480);
	assert_int_equal(ccauth_token_refresh_time(1000, 600, 1.5, 0), 1480);
}

/* ---- private_key_jwt ---- */

static void check_assertion(const char *kind, int alg)
{
	struct ccauth_client_conf c = client_conf(CCAUTH_AUTH_PRIVATE_KEY_JWT);
	EVP_PKEY *key = tu_genkey(kind);
	struct ccauth_jwks *set = NULL;
	struct ccauth_jws jws;
	struct ccauth_error err = {0};
	const struct ccauth_jwk *jwk;
	const char *s = NULL, *jti1 = NULL;
	size_t sl = 0;
	int64_t v = 0;
	int present = 0;
	char *a = NULL, *a2 = NULL, *jwkjson, setjson[8192];

	c.signing_alg = alg;
	c.key_id = "client-c-\"x\"";
	assert_int_equal(ccauth_token_assertion(&c, "https://as.example/token", key, 1700000000, &a, &err), CCAUTH_OK);
	memset(&jws, 0, sizeof(jws));
	assert_int_equal(ccauth_jws_parse(a, strlen(a), &jws, &err), CCAUTH_OK);
	assert_int_equal(jws.alg, alg);
	assert_int_equal(jws.kidlen, strlen(c.key_id));
	assert_memory_equal(jws.kid, c.key_id, jws.kidlen);
	assert_string_equal(jws.typ, "JWT");

	/* the signature verifies with the public key alone (jws.c is independent of token.c) */
	jwkjson = tu_jwk_json(key, "k1", NULL);
	snprintf(setjson, sizeof(setjson), "{\"keys\":[%s]}", jwkjson);
	free(jwkjson);
	assert_int_equal(ccauth_jwks_parse(setjson, strlen(setjson), NULL, &set, &err), CCAUTH_OK);
	jwk = ccauth_jwks_find(set, NULL, 0, (enum ccauth_alg)alg);
	assert_non_null(jwk);
	assert_int_equal(ccauth_jws_verify(&jws, set, jwk, &err), CCAUTH_OK);
	if (alg == CCAUTH_ALG_ES256)
		assert_int_equal(jws.siglen, 64);

	/* RFC 7523 §3 claims */
	assert_int_equal(ccauth_json_get_string(jws.payload, "iss", &s, &sl, &present), CCAUTH_OK);
	assert_string_equal(s, "svc:1");
	assert_int_equal(ccauth_json_get_string(jws.payload, "sub", &s, &sl, &present), CCAUTH_OK);
	assert_string_equal(s, "svc:1");
	assert_int_equal(ccauth_json_get_string(jws.payload, "aud", &s, &sl, &present), CCAUTH_OK);
	assert_string_equal(s, "https://as.example/token");
	assert_int_equal(ccauth_json_get_string(jws.payload, "jti", &jti1, &sl, &present), CCAUTH_OK);
	assert_int_equal(sl, 22); /* 16 random bytes */
	assert_int_equal(ccauth_json_get_int(jws.payload, "iat", 0, INT64_MAX, &v, &present), CCAUTH_OK);
	assert_int_equal(v, 1700000000);
	assert_int_equal(ccauth_json_get_int(jws.payload, "exp", 0, INT64_MAX, &v, &present), CCAUTH_OK);
	assert_int_equal(v, 1700000000 + CCAUTH_TOKEN_ASSERTION_TTL);

	/* a fresh jti each time */
	assert_int_equal(ccauth_token_assertion(&c, "https://as.example/token", key, 1700000000, &a2, &err), CCAUTH_OK);
	{
		struct ccauth_jws j2;
		const char *jti2 = NULL;
		memset(&j2, 0, sizeof(j2));
		assert_int_equal(ccauth_jws_parse(a2, strlen(a2), &j2, &err), CCAUTH_OK);
		assert_int_equal(ccauth_json_get_string(j2.payload, "jti", &jti2, &sl, &present), CCAUTH_OK);
		assert_string_not_equal(jti1, jti2);
		ccauth_jws_clear(&j2);
	}
	/* without key_id: no kid header */
	c.key_id = NULL;
	free(a2);
	assert_int_equal(ccauth_token_assertion(&c, "https://as.example/token", key, 1, &a2, &err), CCAUTH_OK);
	{
		struct ccauth_jws j3;
		memset(&j3, 0, sizeof(j3));
		assert_int_equal(ccauth_jws_parse(a2, strlen(a2), &j3, &err), CCAUTH_OK);
		assert_null(j3.kid);
		ccauth_jws_clear(&j3);
	}
	ccauth_jws_clear(&jws);
	ccauth_jwks_unref(set);
	free(a);
	free(a2);
	EVP_PKEY_free(key);
}

/* RFC 10070: aud = the issuer identifier, a single string, typ client-authentication+jwt;
 * assertion_audience = token_endpoint keeps the RFC 7523 form. */
static void test_assertion_rfc10070(void **state)
{
	struct ccauth_client_conf c = client_conf(CCAUTH_AUTH_PRIVATE_KEY_JWT);
	EVP_PKEY *key = tu_genkey("P-256");
	struct ccauth_error err = {0};
	struct ccauth_jws jws;
	const struct ccauth_json *aud;
	char *a = NULL;

	(void)state;
	c.signing_alg = CCAUTH_ALG_ES256;
	c.issuer = "https://as.example/realms/r";
	assert_int_equal(ccauth_token_assertion(&c, "https://as.example/realms/r/token", key, 1700000000, &a, &err),
	                 CCAUTH_OK);
	memset(&jws, 0, sizeof(jws));
	assert_int_equal(ccauth_jws_parse(a, strlen(a), &jws, &err), CCAUTH_OK);
	assert_string_equal(jws.typ, "client-authentication+jwt");
	aud = ccauth_json_get(jws.payload, "aud");
	assert_non_null(aud);
	assert_int_equal(aud->type, CCAUTH_JSON_STRING);
	assert_string_equal(aud->str, "https://as.example/realms/r");
	ccauth_jws_clear(&jws);
	free(a);

	c.assertion_audience = CCAUTH_ASSERTION_AUD_TOKEN_ENDPOINT;
	assert_int_equal(ccauth_token_assertion(&c, "https://as.example/realms/r/token", key, 1700000000, &a, &err),
	                 CCAUTH_OK);
	memset(&jws, 0, sizeof(jws));
	assert_int_equal(ccauth_jws_parse(a, strlen(a), &jws, &err), CCAUTH_OK);
	assert_string_equal(jws.typ, "JWT");
	aud = ccauth_json_get(jws.payload, "aud");
	assert_string_equal(aud->str, "https://as.example/realms/r/token");
	ccauth_jws_clear(&jws);
	free(a);
	EVP_PKEY_free(key);
}

static void test_assertion(void **state)
{
	(void)state;
	check_assertion("RSA2048", CCAUTH_ALG_RS256);
	check_assertion("RSA2048", CCAUTH_ALG_PS256);
	check_assertion("P-256", CCAUTH_ALG_ES256);
	check_assertion("Ed25519", CCAUTH_ALG_EDDSA);
}

static void test_assertion_wrong_key(void **state)
{
	static const struct {
		const char *kind;
		int alg;
	} bad[] = {
	    {"P-256", CCAUTH_ALG_RS256},   {"RSA2048", CCAUTH_ALG_ES256}, {"P-384", CCAUTH_ALG_ES256},
	    {"RSA1024", CCAUTH_ALG_RS256}, {"Ed25519", CCAUTH_ALG_PS256}, {"P-256", CCAUTH_ALG_EDDSA},
	    {"RSA2048", CCAUTH_ALG_RS384},
	};
	struct ccauth_client_conf c = client_conf(CCAUTH_AUTH_PRIVATE_KEY_JWT);
	struct ccauth_error err;
	char *a = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EVP_PKEY *key = tu_genkey(bad[i].kind);
		c.signing_alg = bad[i].alg;
		memset(&err, 0, sizeof(err));
		if (ccauth_token_assertion(&c, "https://as/token", key, 1, &a, &err) != CCAUTH_E_CONFIG)
			fail_msg("case %zu not refused as config", i);
		assert_null(a);
		EVP_PKEY_free(key);
	}
}

/* ---- secret files: checked before any network I/O ---- */

/* owner: chown the secret file to this uid first (-1: leave it ours) */
static enum ccauth_status get_with_secret_file(const char *text, mode_t mode, long owner, struct ccauth_error *err)
{
	struct ccauth_config *cfg = NULL;
	struct ccauth_tokens *t = NULL;
	struct ccauth_tokens_opts opts = {.memory_only = 1};
	struct ccauth_token *tok = NULL;
	char conf[1024], *path = tu_write_temp("secret", text);
	enum ccauth_status st;

	/* port 1 on loopback: refused at once, so a good secret file ends in UNAVAILABLE */
	snprintf(conf, sizeof(conf),
	         "[global]\ncache_dir =\ntimeout = 2\n[client x]\ntoken_endpoint = https://127.0.0.1:1/token\n"
	         "client_id = x\nclient_secret_file = %s\n",
	         path);
	assert_int_equal(ccauth_config_parse(conf, strlen(conf), "t.conf", &cfg, NULL), CCAUTH_OK);
	assert_int_equal(chmod(path, mode), 0);
	if (owner >= 0)
		assert_int_equal(chown(path, (uid_t)owner, (gid_t)owner), 0);
	assert_int_equal(ccauth_tokens_new(cfg, &opts, &t, NULL), CCAUTH_OK);
	memset(err, 0, sizeof(*err));
	st = ccauth_token_get(t, &cfg->clients[0], 1000, 0, &tok, err);
	assert_null(tok);
	ccauth_tokens_free(t);
	ccauth_config_free(cfg);
	unlink(path);
	free(path);
	return st;
}

static void test_secret_file(void **state)
{
	struct ccauth_error err;
	char *big = malloc(CCAUTH_TOKEN_SECRET_MAX + 2);

	(void)state;
	assert_int_equal(get_with_secret_file("s3cret\n", 0600, -1, &err), CCAUTH_E_UNAVAILABLE);
	assert_null(strstr(err.msg, "s3cret"));
	assert_int_equal(get_with_secret_file("s3cret", 0644, -1, &err), CCAUTH_E_CONFIG);
	assert_non_null(strstr(err.msg, "readable or writable by others"));
	/* group-readable by this process's own group (the file's group): fine, gets as far as the AS */
	assert_int_equal(get_with_secret_file("s3cret", 0640, -1, &err), CCAUTH_E_UNAVAILABLE);
	assert_int_equal(get_with_secret_file("s3cret", 0660, -1, &err), CCAUTH_E_CONFIG);
	if (geteuid() == 0) {
		/* private, but another user's: not our credential */
		assert_int_equal(get_with_secret_file("s3cret", 0600, 12345, &err), CCAUTH_E_CONFIG);
		assert_non_null(strstr(err.msg, "is owned by uid 12345"));
		assert_int_equal(get_with_secret_file("s3cret", 0600, 0, &err), CCAUTH_E_UNAVAILABLE);
	}
	assert_int_equal(get_with_secret_file("", 0600, -1, &err), CCAUTH_E_CONFIG);
	assert_int_equal(get_with_secret_file("\n", 0600, -1, &err), CCAUTH_E_CONFIG);
	assert_int_equal(get_with_secret_file("two\nlines\n", 0600, -1, &err), CCAUTH_E_CONFIG);
	assert_null(strstr(err.msg, "two"));
	memset(big, 'x', CCAUTH_TOKEN_SECRET_MAX);
	big[CCAUTH_TOKEN_SECRET_MAX] = '\n';
	big[CCAUTH_TOKEN_SECRET_MAX + 1] = '\0';
	/* the cap is on the file: the newline makes it one byte too long */
	assert_int_equal(get_with_secret_file(big, 0600, -1, &err), CCAUTH_E_CONFIG);
	big[CCAUTH_TOKEN_SECRET_MAX] = '\0';
	assert_int_equal(get_with_secret_file(big, 0600, -1, &err), CCAUTH_E_UNAVAILABLE);
	free(big);
}

static void test_explicit_secret(void **state)
{
	struct ccauth_config *cfg = NULL;
	struct ccauth_tokens *t = NULL;
	struct ccauth_tokens_opts opts = {.memory_only = 1};
	struct ccauth_token *tok = NULL;
	struct ccauth_client_conf c;
	struct ccauth_error err = {0};
	const char conf[] = "[global]\ncache_dir =\ntimeout = 2\n";

	(void)state;
	assert_int_equal(ccauth_config_parse(conf, strlen(conf), "t.conf", &cfg, NULL), CCAUTH_OK);
	assert_int_equal(ccauth_tokens_new(cfg, &opts, &t, NULL), CCAUTH_OK);
	c = client_conf(CCAUTH_AUTH_CLIENT_SECRET_BASIC);
	c.token_endpoint = "https://127.0.0.1:1/token";
	assert_int_equal(ccauth_token_get_with_secret(t, &c, "pw", 2, 1000, &tok, &err), CCAUTH_E_UNAVAILABLE);
	assert_null(strstr(err.msg, "pw"));
	assert_int_equal(ccauth_token_get_with_secret(t, &c, "", 0, 1000, &tok, &err), CCAUTH_E_CONFIG);
	c.auth_method = CCAUTH_AUTH_PRIVATE_KEY_JWT;
	assert_int_equal(ccauth_token_get_with_secret(t, &c, "pw", 2, 1000, &tok, &err), CCAUTH_E_CONFIG);
	c.auth_method = CCAUTH_AUTH_CLIENT_SECRET_POST;
	c.token_endpoint = NULL;
	c.issuer = NULL;
	assert_int_equal(ccauth_token_get_with_secret(t, &c, "pw", 2, 1000, &tok, &err), CCAUTH_E_CONFIG);
	assert_null(tok);
	/* invalidating a token that was never cached is fine; the key needs the credential */
	c.token_endpoint = "https://127.0.0.1:1/token";
	assert_int_equal(ccauth_token_invalidate(t, &c, &err), CCAUTH_E_CONFIG);
	c.client_secret_file = tu_write_temp("inv.secret", "pw\n");
	assert_int_equal(ccauth_token_invalidate(t, &c, &err), CCAUTH_OK);
	unlink(c.client_secret_file);
	free(c.client_secret_file);
	ccauth_tokens_free(t);
	ccauth_config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_form_append),
	    cmocka_unit_test(test_basic_auth),
	    cmocka_unit_test(test_form),
	    cmocka_unit_test(test_form_secretless),
	    cmocka_unit_test(test_parse_response_issued_type),
	    cmocka_unit_test(test_parse_response_ok),
	    cmocka_unit_test(test_parse_response_bad),
	    cmocka_unit_test(test_parse_response_nomem),
	    cmocka_unit_test(test_parse_error),
	    cmocka_unit_test(test_parse_answer_table),
	    cmocka_unit_test(test_parse_response_expires_string),
	    cmocka_unit_test(test_cache_key),
	    cmocka_unit_test(test_cache_key_credential),
	    cmocka_unit_test(test_refresh_timing),
	    cmocka_unit_test(test_assertion),
	    cmocka_unit_test(test_assertion_wrong_key),
	    cmocka_unit_test(test_assertion_rfc10070),
	    cmocka_unit_test(test_secret_file),
	    cmocka_unit_test(test_explicit_secret),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
