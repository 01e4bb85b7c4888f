/* Introspection answers with exact statuses, the cache lifetime, and which issuers take part. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "introspect.h"

#define ISS  "https://as.example/t1"
#define NOW  INT64_C(1700000000)
#define SKEW 60

static void test_parse(void **state)
{
	static const struct {
		const char *body;
		enum ccauth_status st;
		const char *msg; /* a substring of the message, or NULL */
	} t[] = {
	    {"{\"active\":true,\"iss\":\"" ISS "\",\"exp\":1700000060}", CCAUTH_OK, NULL},
	    {"{\"active\":true,\"exp\":1700000060}", CCAUTH_OK, NULL}, /* iss is optional */
	    {"{\"exp\":1700000060,\"client_id\":\"x\",\"active\":true}", CCAUTH_OK, NULL},
	    /* only the JSON boolean true counts */
	    {"{\"active\":\"true\",\"iss\":\"" ISS "\",\"exp\":1700000060}", CCAUTH_E_INACTIVE, "not a JSON boolean"},
	    {"{\"active\":1,\"iss\":\"" ISS "\",\"exp\":1700000060}", CCAUTH_E_INACTIVE, "not a JSON boolean"},
	    {"{\"active\":null,\"exp\":1700000060}", CCAUTH_E_INACTIVE, "not a JSON boolean"},
	    {"{\"active\":[true],\"exp\":1700000060}", CCAUTH_E_INACTIVE, "not a JSON boolean"},
	    {"{\"iss\":\"" ISS "\",\"exp\":1700000060}", CCAUTH_E_INACTIVE, "missing"},
	    {"{\"active\":false}", CCAUTH_E_INACTIVE, "not active"},
	    {"{\"active\":false,\"iss\":\"https://other\",\"exp\":1}", CCAUTH_E_INACTIVE, "not active"},
	    {"{}", CCAUTH_E_INACTIVE, "missing"},
	    /* iss must be this entry's, byte for byte */
	    {"{\"active\":true,\"iss\":\"https://as.example/t2\",\"exp\":1700000060}", CCAUTH_E_ISSUER, "[issuer t1]"},
	    {"{\"active\":true,\"iss\":\"" ISS "/\",\"exp\":1700000060}", CCAUTH_E_ISSUER, NULL},
	    {"{\"active\":true,\"iss\":\"HTTPS://as.example/t1\",\"exp\":1700000060}", CCAUTH_E_ISSUER, NULL},
	    {"{\"active\":true,\"iss\":\"\",\"exp\":1700000060}", CCAUTH_E_ISSUER, NULL},
	    {"{\"active\":true,\"iss\":7,\"exp\":1700000060}", CCAUTH_E_MALFORMED, "iss"},
	    /* exp: required integer, honoured with the skew */
	    {"{\"active\":true,\"iss\":\"" ISS "\"}", CCAUTH_E_MALFORMED, "exp is missing"},
	    {"{\"active\":true,\"exp\":\"1700000060\"}", CCAUTH_E_MALFORMED, "exp"},
	    {"{\"active\":true,\"exp\":1700000060.5}", CCAUTH_E_MALFORMED, "exp"},
	    {"{\"active\":true,\"exp\":-1}", CCAUTH_E_MALFORMED, "exp"},
	    {"{\"active\":true,\"exp\":99999999999999}", CCAUTH_E_MALFORMED, "exp"},
	    {"{\"active\":true,\"exp\":1699999940}", CCAUTH_OK, NULL},          /* now - skew */
	    {"{\"active\":true,\"exp\":1699999939}", CCAUTH_E_EXPIRED, "61 s"}, /* one second more */
	    {"{\"active\":true,\"iss\":\"" ISS "\",\"exp\":1600000000}", CCAUTH_E_EXPIRED, "expired"},
	    /* nonsense from the AS: temporary, not a verdict on the token */
	    {"not json", CCAUTH_E_UNAVAILABLE, NULL},
	    {"[true]", CCAUTH_E_UNAVAILABLE, "not a JSON object"},
	    {"\"active\"", CCAUTH_E_UNAVAILABLE, "not a JSON object"},
	    {"{\"active\":true,\"active\":true,\"exp\":1700000060}", CCAUTH_E_UNAVAILABLE, NULL}, /* duplicate */
	    {"{\"active\":true,\"exp\":1700000060}x", CCAUTH_E_UNAVAILABLE, NULL},
	    {"", CCAUTH_E_UNAVAILABLE, NULL},
	};
	struct ccauth_issuer_conf ic = {.name = "t1", .issuer = ISS};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct ccauth_json_doc *doc = (struct ccauth_json_doc *)&ic; /* must be reset */
		struct ccauth_error err = {0};
		int64_t exp = -7;
		enum ccauth_status st =
		    ccauth_introspect_parse(&ic, t[i].body, strlen(t[i].body), NOW, SKEW, &doc, &exp, &err);

		if (st != t[i].st)
			fail_msg("case %zu: status %s, want %s (%s)", i, ccauth_status_reason(st),
			         ccauth_status_reason(t[i].st), err.msg);
		if (st == CCAUTH_OK) {
			assert_non_null(doc);
			assert_true(exp == 1700000060 || exp == 1699999940);
			ccauth_json_free(doc);
		} else {
			assert_null(doc);
			assert_int_equal(exp, -7);
			assert_int_equal(err.code, st);
			if (t[i].msg != NULL && strstr(err.msg, t[i].msg) == NULL)
				fail_msg("case %zu: message \"%s\" lacks \"%s\"", i, err.msg, t[i].msg);
		}
	}
}

static void test_cache_until(void **state)
{
	(void)state;
	assert_int_equal(ccauth_introspect_cache_until(NOW, NOW + 30, 60), NOW + 30);
	assert_int_equal(ccauth_introspect_cache_until(NOW, NOW + 60, 60), NOW + 60);
	assert_int_equal(ccauth_introspect_cache_until(NOW, NOW + 3600, 60), NOW + 60);
	assert_int_equal(ccauth_introspect_cache_until(NOW, NOW + 3600, 0), NOW);
	assert_int_equal(ccauth_introspect_cache_until(NOW, NOW + 3600, -5), NOW);
	assert_int_equal(ccauth_introspect_cache_until(NOW, NOW - 5, 60), NOW); /* within the skew */
	assert_int_equal(CCAUTH_INTROSPECT_NEG_TTL, 10);
}

static void test_enabled(void **state)
{
	struct ccauth_issuer_conf ic = {.name = "t1", .issuer = ISS};

	(void)state;
	assert_false(ccauth_introspect_enabled(NULL));
	for (int m = CCAUTH_INTROSPECT_NEVER; m <= CCAUTH_INTROSPECT_ALWAYS; m++) {
		ic.introspect = (enum ccauth_introspect_mode)m;
		ic.introspection_client = NULL;
		assert_false(ccauth_introspect_enabled(&ic));
		ic.introspection_client = "rs";
		assert_int_equal(ccauth_introspect_enabled(&ic), m != CCAUTH_INTROSPECT_NEVER);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_cache_until),
	    cmocka_unit_test(test_enabled),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
