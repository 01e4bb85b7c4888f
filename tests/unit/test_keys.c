/* Remote key source: TTL bounds, the refresh plan (cooldown, retry, stale) with an injected clock,
 * and ccauth_keys_get driven through the disk cache with an unreachable jwks_uri and chosen times. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>

#include <cmocka.h>

#include "cache.h"
#include "http.h"
#include "keys.h"
#include "testutil.h"

#define T0 INT64_C(1700000000)

static void test_ttl_bounds(void **state)
{
	static const struct {
		long in, out;
	} t[] = {
	    {-1, CCAUTH_KEYS_TTL_DEFAULT},
	    {0, 300},
	    {1, 300},
	    {299, 300},
	    {300, 300},
	    {301, 301},
	    {3600, 3600},
	    {86399, 86399},
	    {86400, 86400},
	    {86401, 86400},
	    {LONG_MAX, 86400},
	};

	(void)state;
	assert_int_equal(CCAUTH_KEYS_TTL_DEFAULT, 3600);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(ccauth_keys_ttl(t[i].in), t[i].out);
}

static void test_plan(void **state)
{
	enum { U = CCAUTH_KEYS_USE, F = CCAUTH_KEYS_FETCH, X = CCAUTH_KEYS_FAIL };
	/* have, expires, stale, forced, retry | now, force, min_refresh -> plan */
	static const struct {
		struct ccauth_keys_state s;
		int64_t now;
		int force, min_refresh, plan;
	} t[] = {
	    /* nothing loaded: fetch, unless a failure was just seen */
	    {{0, 0, 0, 0, 0}, T0, 0, 60, F},
	    {{0, 0, 0, 0, T0 + 5}, T0, 0, 60, X},
	    {{0, 0, 0, 0, T0}, T0, 0, 60, F},
	    {{0, 0, 0, 0, 0}, T0, 1, 60, F}, /* an unknown kid before any keys: the normal path */
	    /* fresh keys are used until expires (exclusive) */
	    {{1, T0 + 1, T0 + 100, 0, 0}, T0, 0, 60, U},
	    {{1, T0, T0 + 100, 0, 0}, T0, 0, 60, F},
	    /* expired: refresh; after a failure, stale keys until stale (exclusive), then fail */
	    {{1, T0 - 10, T0 + 100, 0, T0 + 5}, T0, 0, 60, U},
	    {{1, T0 - 10, T0 + 1, 0, T0 + 5}, T0, 0, 60, U},
	    {{1, T0 - 10, T0, 0, T0 + 5}, T0, 0, 60, X},
	    {{1, T0 - 10, T0 + 100, 0, T0}, T0, 0, 60, F},
	    /* unknown kid: one refetch, then none for min_refresh */
	    {{1, T0 + 100, T0 + 200, 0, 0}, T0, 1, 60, F},
	    {{1, T0 + 100, T0 + 200, T0 - 10, 0}, T0, 1, 60, U},
	    {{1, T0 + 100, T0 + 200, T0 - 59, 0}, T0, 1, 60, U},
	    {{1, T0 + 100, T0 + 200, T0 - 60, 0}, T0, 1, 60, F},
	    {{1, T0 + 100, T0 + 200, T0 - 10, 0}, T0, 1, 5, F},
	    {{1, T0 + 100, T0 + 200, T0, 0}, T0, 1, 0, F},
	    /* ... and never faster than the failure retry */
	    {{1, T0 + 100, T0 + 200, 0, T0 + 1}, T0, 1, 60, U},
	    /* an unknown kid with expired keys past the cooldown: refetch */
	    {{1, T0 - 10, T0 + 100, T0 - 100, 0}, T0, 1, 60, F},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int got = ccauth_keys_plan(&t[i].s, t[i].now, t[i].force, t[i].min_refresh);

		if (got != t[i].plan)
			fail_msg("case %zu: plan %d, want %d", i, got, t[i].plan);
	}
}

static void test_usable(void **state)
{
	struct ccauth_keys_state s = {1, T0, T0 + 10, 0, 0};

	(void)state;
	assert_true(ccauth_keys_usable(&s, T0 + 9));
	assert_false(ccauth_keys_usable(&s, T0 + 10));
	s.have = 0;
	assert_false(ccauth_keys_usable(&s, T0));
}

/* A JWKS document with one P-256 key, kid k1. */
static char *jwks_doc(void)
{
	EVP_PKEY *k = tu_genkey("P-256");
	char *jwk = tu_jwk_json(k, "k1", "ES256"), *doc;
	size_t n = strlen(jwk) + 16;

	doc = malloc(n);
	assert_non_null(doc);
	snprintf(doc, n, "{\"keys\":[%s]}", jwk);
	free(jwk);
	EVP_PKEY_free(k);
	return doc;
}

/* The source reads a fresh disk entry without any request; once it is past its TTL and the AS is
 * unreachable (port 1), the keys serve until max_stale, then CCAUTH_E_UNAVAILABLE. */
static void test_disk_then_stale(void **state)
{
	static const char iss[] = "https://127.0.0.1:1", uri[] = "https://127.0.0.1:1/jwks";
	char *tmp = tu_write_temp("x", ""), *slash, *dir, *doc = jwks_doc();
	struct ccauth_http_opts ho = {.timeout = 2, .connect_timeout = 1};
	struct ccauth_keys_env env = {0};
	struct ccauth_http *http = NULL;
	struct ccauth_cache *cache = NULL;
	struct ccauth_keys *k = NULL;
	struct ccauth_jwks *set = NULL;
	struct ccauth_error err = {0};
	char key[128];
	int n;

	(void)state;
	slash = strrchr(tmp, '/');
	assert_non_null(slash);
	dir = malloc((size_t)(slash - tmp) + 7);
	assert_non_null(dir);
	memcpy(dir, tmp, (size_t)(slash - tmp));
	memcpy(dir + (slash - tmp), "/cache", 7);
	assert_int_equal(ccauth_cache_open(dir, NULL, &cache, &err), CCAUTH_OK);
	assert_int_equal(ccauth_http_new(&ho, &http, &err), CCAUTH_OK);
	n = snprintf(key, sizeof(key), "jwks\n%s\n%s", iss, uri);
	assert_int_equal(ccauth_cache_put(cache, key, (size_t)n, doc, strlen(doc), T0 + 100, T0 + 100, &err),
	                 CCAUTH_OK);

	env.http = http;
	env.cache = cache;
	env.min_refresh = 60;
	env.max_stale = 50;
	assert_int_equal(ccauth_keys_new(&env, "t", iss, uri, &k, &err), CCAUTH_OK);

	assert_int_equal(ccauth_keys_get(k, 0, T0, &set, &err), CCAUTH_OK);
	assert_int_equal(set->nkeys, 1);
	ccauth_jwks_unref(set);
	/* fresh: the read-locked path */
	assert_int_equal(ccauth_keys_get(k, 0, T0 + 99, &set, &err), CCAUTH_OK);
	ccauth_jwks_unref(set);
	/* an unknown kid: the refetch fails, the set stays */
	assert_int_equal(ccauth_keys_get(k, 1, T0 + 10, &set, &err), CCAUTH_OK);
	ccauth_jwks_unref(set);
	/* past the TTL, the AS down: stale keys within max_stale */
	assert_int_equal(ccauth_keys_get(k, 0, T0 + 120, &set, &err), CCAUTH_OK);
	ccauth_jwks_unref(set);
	assert_int_equal(ccauth_keys_get(k, 0, T0 + 149, &set, &err), CCAUTH_OK);
	ccauth_jwks_unref(set);
	/* beyond: fail closed, not a rejection */
	assert_int_equal(ccauth_keys_get(k, 0, T0 + 150, &set, &err), CCAUTH_E_UNAVAILABLE);
	assert_null(set);
	assert_false(ccauth_status_is_rejection(err.code));
	ccauth_keys_free(k);

	/* a new process (new source) within the disk entry's stale time, AS still down */
	env.max_stale = 1000;
	assert_int_equal(ccauth_keys_new(&env, "t", iss, uri, &k, &err), CCAUTH_OK);
	assert_int_equal(ccauth_keys_get(k, 0, T0 + 500, &set, &err), CCAUTH_OK);
	ccauth_jwks_unref(set);
	ccauth_keys_free(k);
	env.max_stale = 10;
	assert_int_equal(ccauth_keys_new(&env, "t", iss, uri, &k, &err), CCAUTH_OK);
	assert_int_equal(ccauth_keys_get(k, 0, T0 + 500, &set, &err), CCAUTH_E_UNAVAILABLE);
	assert_non_null(strstr(err.msg, "127.0.0.1:1"));
	ccauth_keys_free(k);

	ccauth_cache_close(cache);
	ccauth_http_free(http);
	free(doc);
	free(dir);
	free(tmp);
}

static void test_lazy(void **state)
{
	struct ccauth_http_opts ho = {.timeout = 1};
	struct ccauth_keys_env env = {0};
	struct ccauth_http *http = NULL;
	struct ccauth_keys *k = NULL;
	struct ccauth_error err = {0};

	(void)state;
	assert_int_equal(ccauth_http_new(&ho, &http, &err), CCAUTH_OK);
	env.http = http;
	/* no jwks_uri and no discovery: refused at creation */
	assert_int_equal(ccauth_keys_new(&env, "t", "https://as.invalid", NULL, &k, &err), CCAUTH_E_INTERNAL);
	assert_null(k);
	/* creation does nothing on the network: an unresolvable host is fine here */
	assert_int_equal(ccauth_keys_new(&env, "t", "https://as.invalid", "https://as.invalid/jwks", &k, &err),
	                 CCAUTH_OK);
	ccauth_keys_free(k);
	ccauth_keys_free(NULL);
	ccauth_http_free(http);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ttl_bounds),      cmocka_unit_test(test_plan), cmocka_unit_test(test_usable),
	    cmocka_unit_test(test_disk_then_stale), cmocka_unit_test(test_lazy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
