/* Discovery URL building, metadata checks, TTL bounds, and the pure helpers of common/http. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "discovery.h"
#include "http.h"

static void test_urls(void **state)
{
	static const struct {
		const char *issuer, *rfc8414, *oidc;
	} t[] = {
	    {"https://as.example", "https://as.example/.well-known/oauth-authorization-server",
	     "https://as.example/.well-known/openid-configuration"},
	    {"https://as.example/", "https://as.example/.well-known/oauth-authorization-server",
	     "https://as.example/.well-known/openid-configuration"},
	    {"https://127.0.0.1:9443", "https://127.0.0.1:9443/.well-known/oauth-authorization-server",
	     "https://127.0.0.1:9443/.well-known/openid-configuration"},
	    {"https://sso.example/oauth/DI123",
	     "https://sso.example/.well-known/oauth-authorization-server/oauth/DI123",
	     "https://sso.example/oauth/DI123/.well-known/openid-configuration"},
	    {"https://h:8443/t1/", "https://h:8443/.well-known/oauth-authorization-server/t1",
	     "https://h:8443/t1/.well-known/openid-configuration"},
	};
	struct ccauth_error err;
	char *a, *b;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(ccauth_discovery_urls(t[i].issuer, &a, &b, &err), CCAUTH_OK);
		assert_string_equal(a, t[i].rfc8414);
		assert_string_equal(b, t[i].oidc);
		free(a);
		free(b);
	}
}

static void test_urls_refused(void **state)
{
	static const char *const bad[] = {
	    "http://as.example", "as.example", "https://", "https:///path", "https://h/p?x=1", "https://h/p#f",
	    "https://h/p q",     "HTTPS://h",  "",
	};
	struct ccauth_error err;
	char *a = (char *)1, *b = (char *)1;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ccauth_discovery_urls(bad[i], &a, &b, &err), CCAUTH_E_CONFIG);
		assert_null(a);
		assert_null(b);
	}
	assert_int_equal(ccauth_discovery_urls(NULL, &a, &b, &err), CCAUTH_E_CONFIG);
}

#define ISS "https://as.example/t1"

static void test_metadata_ok(void **state)
{
	const char *doc =
	    "{\"issuer\":\"" ISS "\",\"token_endpoint\":\"https://as.example/t1/token\","
	    "\"jwks_uri\":\"https://keys.example/jwks\",\"grant_types_supported\":[\"client_credentials\"]}";
	struct ccauth_metadata *m;
	struct ccauth_error err;

	(void)state;
	assert_int_equal(ccauth_metadata_parse(ISS, doc, strlen(doc), &m, &err), CCAUTH_OK);
	assert_string_equal(m->issuer, ISS);
	assert_string_equal(m->token_endpoint, "https://as.example/t1/token");
	assert_string_equal(m->jwks_uri, "https://keys.example/jwks");
	assert_null(m->introspection_endpoint);
	ccauth_metadata_free(m);
}

static void test_metadata_refused(void **state)
{
	static const struct {
		const char *doc;
		enum ccauth_status st;
	} t[] = {
	    /* another issuer, even one that differs only by a slash or case */
	    {"{\"issuer\":\"https://as.example/t2\"}", CCAUTH_E_CONFIG},
	    {"{\"issuer\":\"" ISS "/\"}", CCAUTH_E_CONFIG},
	    {"{\"issuer\":\"https://AS.example/t1\"}", CCAUTH_E_CONFIG},
	    {"{\"issuer\":\"" ISS "\\u0000\"}", CCAUTH_E_UNAVAILABLE},
	    {"{}", CCAUTH_E_UNAVAILABLE},
	    {"{\"issuer\":1}", CCAUTH_E_UNAVAILABLE},
	    {"[\"" ISS "\"]", CCAUTH_E_UNAVAILABLE},
	    {"{\"issuer\":\"" ISS "\",\"issuer\":\"" ISS "\"}", CCAUTH_E_UNAVAILABLE},
	    {"{\"issuer\":\"" ISS "\",\"jwks_uri\":\"http://as.example/jwks\"}", CCAUTH_E_UNAVAILABLE},
	    {"{\"issuer\":\"" ISS "\",\"token_endpoint\":\"https://u:p@as.example/token\"}", CCAUTH_E_UNAVAILABLE},
	    {"{\"issuer\":\"" ISS "\",\"introspection_endpoint\":7}", CCAUTH_E_UNAVAILABLE},
	    {"{\"issuer\":\"" ISS "\"", CCAUTH_E_UNAVAILABLE},
	    {"", CCAUTH_E_UNAVAILABLE},
	};
	struct ccauth_metadata *m = (struct ccauth_metadata *)1;
	struct ccauth_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(ccauth_metadata_parse(ISS, t[i].doc, strlen(t[i].doc), &m, &err), t[i].st);
		assert_null(m);
	}
}

static void test_ttl(void **state)
{
	(void)state;
	assert_int_equal(ccauth_discovery_ttl(-1), CCAUTH_DISCOVERY_TTL_DEFAULT);
	assert_int_equal(ccauth_discovery_ttl(0), 60);
	assert_int_equal(ccauth_discovery_ttl(59), 60);
	assert_int_equal(ccauth_discovery_ttl(600), 600);
	assert_int_equal(ccauth_discovery_ttl(86400), 86400);
	assert_int_equal(ccauth_discovery_ttl(86401), 86400);
}

static void test_json_type(void **state)
{
	static const struct {
		const char *ct;
		int ok;
	} t[] = {
	    {"application/json", 1},
	    {"application/json; charset=utf-8", 1},
	    {"Application/JSON ;charset=utf-8", 1},
	    {"application/jwk-set+json", 1},
	    {"application/token-introspection+json", 1},
	    {"application/jsonx", 0},
	    {"application/+json", 0},
	    {"text/json", 0},
	    {"text/html", 0},
	    {"application/json x", 0},
	    {"application/x/y+json", 0},
	    {"", 0},
	    {NULL, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(ccauth_http_is_json_type(t[i].ct), t[i].ok);
}

static void test_check_url(void **state)
{
	struct ccauth_error err;
	char host[32];

	(void)state;
	assert_int_equal(ccauth_http_check_url("https://as.example/x", host, sizeof(host), &err), CCAUTH_OK);
	assert_string_equal(host, "as.example");
	assert_int_equal(ccauth_http_check_url("https://127.0.0.1:9443/t", host, sizeof(host), &err), CCAUTH_OK);
	assert_string_equal(host, "127.0.0.1:9443");
	assert_int_equal(ccauth_http_check_url("http://as.example/", host, sizeof(host), &err), CCAUTH_E_CONFIG);
	assert_int_equal(ccauth_http_check_url("ftp://as.example/", host, sizeof(host), &err), CCAUTH_E_CONFIG);
	assert_int_equal(ccauth_http_check_url("https://user:pw@as.example/", host, sizeof(host), &err),
	                 CCAUTH_E_CONFIG);
	/* the message never carries the user information */
	assert_null(strstr(err.msg, "pw"));
	assert_int_equal(ccauth_http_check_url("https://a-very-long-host-name.example.org/", host, sizeof(host), &err),
	                 CCAUTH_E_CONFIG);
	assert_int_equal(ccauth_http_check_url("", host, sizeof(host), &err), CCAUTH_E_CONFIG);
}

static void test_http_refuses_before_io(void **state)
{
	struct ccauth_http_response r;
	struct ccauth_http *h;
	struct ccauth_error err;

	(void)state;
	assert_int_equal(ccauth_http_new(NULL, &h, &err), CCAUTH_OK);
	/* http:// on a closed port would be "cannot connect"; refused as config before any I/O */
	assert_int_equal(ccauth_http_get(h, "http://127.0.0.1:1/x", &r, &err), CCAUTH_E_CONFIG);
	assert_int_equal(r.status, 0);
	assert_null(r.body);
	assert_int_equal(ccauth_http_post_form(h, "file:///etc/passwd", "a=b", 3, NULL, &r, &err), CCAUTH_E_CONFIG);
	/* a closed https port: unavailable, naming the host */
	assert_int_equal(ccauth_http_get(h, "https://127.0.0.1:1/x", &r, &err), CCAUTH_E_UNAVAILABLE);
	assert_non_null(strstr(err.msg, "127.0.0.1:1"));
	ccauth_http_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_urls),        cmocka_unit_test(test_urls_refused),
	    cmocka_unit_test(test_metadata_ok), cmocka_unit_test(test_metadata_refused),
	    cmocka_unit_test(test_ttl),         cmocka_unit_test(test_json_type),
	    cmocka_unit_test(test_check_url),   cmocka_unit_test(test_http_refuses_before_io),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
