/* bench/remote: in-process JWT validation with a remote issuer (keys via jwks_uri/discovery).
 * Loads CONFIG, makes a validator with the validated-token cache off, validates the token in
 * TOKEN_FILE once (the first call reads the JWKS from the disk cache, or the network), then again
 * for SECONDS, and prints "first_us=F inproc_us=P n=N" (P: mean microseconds per validation).
 * Driven by bench/remote.sh, which compares it with a fresh `ccauth verify` process per token.
 *
 * Usage: bench/remote CONFIG TOKEN_FILE [SECONDS]
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "validate.h"

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
	struct ccauth_validator_opts opts = {.cache_entries = SIZE_MAX};
	const struct ccauth_identity *id = NULL;
	struct ccauth_config *cfg = NULL;
	struct ccauth_validator *v = NULL;
	struct ccauth_error err = {0};
	char tok[16384];
	double secs = argc > 3 ? strtod(argv[3], NULL) : 1.0, t0, t1, first;
	size_t len;
	long n = 0;
	FILE *f;

	if (argc < 3) {
		fputs("usage: bench/remote CONFIG TOKEN_FILE [SECONDS]\n", stderr);
		return 2;
	}
	if ((f = fopen(argv[2], "r")) == NULL) {
		perror(argv[2]);
		return 2;
	}
	len = fread(tok, 1, sizeof(tok) - 1, f);
	fclose(f);
	while (len > 0 && (tok[len - 1] == '\n' || tok[len - 1] == '\r'))
		len--;
	if (ccauth_config_load(argv[1], &cfg, &err) != CCAUTH_OK ||
	    ccauth_validator_new(cfg, &opts, &v, &err) != CCAUTH_OK) {
		fprintf(stderr, "bench/remote: %s\n", err.msg);
		return 2;
	}
	t0 = now_us();
	if (ccauth_validate(v, tok, len, (int64_t)time(NULL), &id, &err) != CCAUTH_OK) {
		fprintf(stderr, "bench/remote: %s\n", err.msg);
		return 1;
	}
	first = now_us() - t0;
	ccauth_identity_release(id);
	t0 = now_us();
	do {
		for (int i = 0; i < 100; i++, n++) {
			if (ccauth_validate(v, tok, len, (int64_t)time(NULL), &id, &err) != CCAUTH_OK) {
				fprintf(stderr, "bench/remote: %s\n", err.msg);
				return 1;
			}
			ccauth_identity_release(id);
		}
		t1 = now_us();
	} while (t1 - t0 < secs * 1e6);
	printf("first_us=%.0f inproc_us=%.2f n=%ld\n", first, (t1 - t0) / (double)n, n);
	ccauth_validator_free(v);
	ccauth_config_free(cfg);
	return 0;
}
