/* libFuzzer harness for disk-cache entries: the file envelope of common/cache.c, then its data as
 * each kind of document the cache holds: a JWKS, issuer metadata and a token entry. */
#include "autoconf.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "discovery.h"
#include "jwks.h"
#include "token_cache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data, *d = NULL;
	struct ccauth_metadata *m = NULL;
	struct ccauth_jwks *set = NULL;
	struct ccauth_token *tok;
	struct ccauth_error err;
	int64_t exp = -1, stale = -1;
	size_t dlen = 0;

	if (ccauth_cache_entry_parse(buf, size, &exp, &stale, &d, &dlen) != 0)
		return 0;
	/* the data is the tail of the file, exactly as long as the header says */
	if (d < buf || d > buf + size || dlen != (size_t)(buf + size - d) || exp < 0 || stale < exp)
		abort();
	if (ccauth_jwks_parse(d, dlen, NULL, &set, &err) == CCAUTH_OK)
		ccauth_jwks_unref(set);
	if (ccauth_metadata_parse("https://issuer.test", d, dlen, &m, &err) == CCAUTH_OK)
		ccauth_metadata_free(m);
	if ((tok = ccauth_token_disk_decode(d, dlen)) != NULL) {
		/* only a consistent, printable token comes back */
		if (tok->access_token == NULL || strlen(tok->access_token) != tok->len || tok->expires <= tok->issued ||
		    tok->refresh < tok->issued || tok->refresh > tok->expires)
			abort();
		ccauth_token_free(tok);
	}
	return 0;
}
