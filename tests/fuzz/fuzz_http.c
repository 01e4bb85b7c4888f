/* libFuzzer harness for the response-header reader of common/http.c: every line of the input is
 * handed over as libcurl hands over a header (Date, Cache-Control, status lines), and the whole
 * input is also read as a Content-Type value. */
#include "autoconf.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ccauth_http_response r;
	const char *p = (const char *)data, *end = p + size;
	char ct[256];

	memset(&r, 0, sizeof(r));
	r.max_age = -1;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl != NULL ? (size_t)(nl - p) + 1 : (size_t)(end - p);

		ccauth_http_parse_header(p, n, &r);
		/* max-age saturates and is never negative except "absent"; a Date is a time or 0 */
		if (r.max_age < -1 || r.date < 0)
			abort();
		p += n;
	}
	if (size < sizeof(ct)) {
		memcpy(ct, data, size);
		ct[size] = '\0';
		(void)ccauth_http_is_json_type(ct);
	}
	return 0;
}
