/* libFuzzer harness for common/discovery.c: an AS metadata document (RFC 8414 / OIDC) checked
 * against the expected issuer.  Invariants: a parsed document names exactly that issuer, its
 * endpoints are https URLs or absent, and a failure leaves nothing. */
#include "autoconf.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "discovery.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

/* RFC 3986 §3.1: the scheme is case-insensitive ("Https://" is an https URL) */
static int https_or_null(const char *u)
{
	return u == NULL || strncasecmp(u, "https://", 8) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const issuers[] = {"https://as.test", "https://as.test/tenant", "https://127.0.0.1:8443"};
	const char *issuer;
	struct ccauth_metadata *m = NULL;
	struct ccauth_error err = {0};
	enum ccauth_status st;
	char *body;

	if (size < 1)
		return 0;
	issuer = issuers[data[0] % 3];
	if ((body = malloc(size)) == NULL)
		return 0;
	memcpy(body, data + 1, size - 1);
	body[size - 1] = '\0';
	st = ccauth_metadata_parse(issuer, body, size - 1, &m, &err);
	if (st == CCAUTH_OK) {
		check(m != NULL && m->issuer != NULL && strcmp(m->issuer, issuer) == 0);
		check(https_or_null(m->token_endpoint) && https_or_null(m->jwks_uri) &&
		      https_or_null(m->introspection_endpoint));
		ccauth_metadata_free(m);
	} else {
		check(m == NULL && err.code == st);
		check(st == CCAUTH_E_UNAVAILABLE || st == CCAUTH_E_NOMEM || st == CCAUTH_E_CONFIG);
	}
	/* the freshness of any max-age stays in bounds */
	{
		long ttl = ccauth_discovery_ttl((long)size * 977 - 1000);
		check(ttl >= CCAUTH_DISCOVERY_TTL_MIN && ttl <= CCAUTH_DISCOVERY_TTL_MAX);
	}
	free(body);
	return 0;
}
