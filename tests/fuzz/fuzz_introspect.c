/* libFuzzer harness for common/introspect.c: an RFC 7662 introspection answer checked against an
 * issuer entry.  Invariants: "active" only as a JSON true, with an integer exp not in the past
 * (beyond the skew) and an iss, when present, equal to the issuer; a failure leaves no document. */
#include "autoconf.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "introspect.h"
#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW  INT64_C(1700000000)
#define SKEW 60

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ccauth_issuer_conf ic;
	struct ccauth_json_doc *doc = NULL;
	struct ccauth_error err = {0};
	const struct ccauth_json *root, *v;
	enum ccauth_status st;
	int64_t exp = -1;
	char *body;

	memset(&ic, 0, sizeof(ic));
	ic.name = (char *)"f";
	ic.issuer = (char *)"https://as.test";
	if ((body = malloc(size + 1)) == NULL)
		return 0;
	memcpy(body, data, size);
	body[size] = '\0';
	st = ccauth_introspect_parse(&ic, body, size, NOW, SKEW, &doc, &exp, &err);
	if (st == CCAUTH_OK) {
		check(doc != NULL && exp >= NOW - SKEW);
		root = ccauth_json_root(doc);
		check(root->type == CCAUTH_JSON_OBJECT);
		v = ccauth_json_get(root, "active");
		check(v != NULL && v->type == CCAUTH_JSON_TRUE);
		v = ccauth_json_get(root, "iss");
		check(v == NULL || (v->type == CCAUTH_JSON_STRING && v->len == strlen(ic.issuer) &&
		                    memcmp(v->str, ic.issuer, v->len) == 0));
		check(ccauth_introspect_cache_until(NOW, exp, 30) >= NOW);
		ccauth_json_free(doc);
	} else {
		check(doc == NULL && err.code == st);
		check(st != CCAUTH_E_DENIED);
	}
	free(body);
	return 0;
}
