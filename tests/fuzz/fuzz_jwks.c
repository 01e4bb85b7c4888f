/* libFuzzer harness for common/jwks.c and the JWK importer: parse a JWKS document, then check the
 * set's invariants and exercise find for every algorithm, with and without the keys' kids. */
#include "autoconf.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jwks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

static void count_log(void *ctx, int prio, const char *msg)
{
	check(prio == LOG_WARNING && msg != NULL && strlen(msg) < 512);
	(*(size_t *)ctx)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ccauth_jwks *set = NULL;
	struct ccauth_error err;
	size_t warnings = 0;
	struct ccauth_log log = {count_log, &warnings, 0};
	enum ccauth_status st = ccauth_jwks_parse((const char *)data, size, &log, &set, &err);

	if (st != CCAUTH_OK) {
		check(set == NULL);
		check(st == CCAUTH_E_MALFORMED || st == CCAUTH_E_NOMEM);
		return 0;
	}
	check(set != NULL && set->refs == 1 && set->nkeys <= CCAUTH_JWKS_MAX_KEYS);
	for (int i = 0; i < 3; i++)
		check(set->md[i] != NULL);
	for (size_t i = 0; i < set->nkeys; i++) {
		const struct ccauth_jwk *k = &set->keys[i];
		int any = 0;

		check(k->pkey != NULL);
		check(k->kid == NULL || strlen(k->kid) == k->kidlen);
		check(k->alg >= -1 && k->alg < CCAUTH_ALG_COUNT);
		if (k->kty == CCAUTH_KTY_RSA)
			check(k->bits >= 2048 && k->bits <= 8192);
		for (int a = 0; a < CCAUTH_ALG_COUNT; a++) {
			const struct ccauth_jwk *f;

			if (!ccauth_jwk_allows(k, (enum ccauth_alg)a))
				continue;
			any = 1;
			if (k->kid != NULL) {
				f = ccauth_jwks_find(set, k->kid, k->kidlen, (enum ccauth_alg)a);
				check(f == NULL || f == k); /* NULL only when another key shares kid and alg */
			}
		}
		check(any); /* an imported key is good for at least one algorithm */
	}
	for (int a = 0; a < CCAUTH_ALG_COUNT; a++) {
		const struct ccauth_jwk *f = ccauth_jwks_find(set, NULL, 0, (enum ccauth_alg)a);
		check(f == NULL || ccauth_jwk_allows(f, (enum ccauth_alg)a));
		check((a == CCAUTH_ALG_EDDSA) == (ccauth_jwks_md(set, (enum ccauth_alg)a) == NULL));
	}
	check(ccauth_jwks_ref(set) == set && set->refs == 2);
	ccauth_jwks_unref(set);
	ccauth_jwks_unref(set);
	return 0;
}
