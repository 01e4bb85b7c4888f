/* libFuzzer harness for common/b64url.c: decode the input with both alphabets; whatever decodes
 * must re-encode to exactly the input (strict means canonical).  Then encode the input as raw
 * bytes and decode it back. */
#include "autoconf.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "b64url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	unsigned char *dec;
	char *enc;
	size_t n, declen, enclen;

	if (size > 65536)
		return 0;
	/* room for decoding the input and for decoding its own encoding (size bytes) */
	declen = CCAUTH_B64URL_DECODED_MAX(size) + size + 8;
	enclen = CCAUTH_B64STD_ENCODED_LEN(size) + 1;
	dec = malloc(declen);
	enc = malloc(enclen);
	check(dec != NULL && enc != NULL);

	if (ccauth_b64url_decode(in, size, dec, declen, &n) == 0) {
		check(n <= CCAUTH_B64URL_DECODED_MAX(size));
		check(ccauth_b64url_encode(dec, n, enc) == size);
		check(memcmp(enc, in, size) == 0);
		/* exactly n bytes of room suffice, one less does not */
		check(ccauth_b64url_decode(in, size, dec, n, &n) == 0);
		if (n > 0)
			check(ccauth_b64url_decode(in, size, dec, n - 1, &n) == -1);
	}
	if (ccauth_b64std_decode(in, size, dec, declen, &n) == 0) {
		check(size % 4 == 0);
		check(ccauth_b64std_encode(dec, n, enc) == size);
		check(memcmp(enc, in, size) == 0);
	}

	/* raw bytes -> both encodings -> back */
	n = ccauth_b64url_encode(data, size, enc);
	check(n == CCAUTH_B64URL_ENCODED_LEN(size) && strlen(enc) == n);
	check(ccauth_b64url_decode(enc, n, dec, declen, &n) == 0);
	check(n == size && memcmp(dec, data, size) == 0);
	n = ccauth_b64std_encode(data, size, enc);
	check(n == CCAUTH_B64STD_ENCODED_LEN(size) && strlen(enc) == n);
	check(ccauth_b64std_decode(enc, n, dec, declen, &n) == 0);
	check(n == size && memcmp(dec, data, size) == 0);

	free(dec);
	free(enc);
	return 0;
}
