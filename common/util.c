#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "util.h"

void ccauth_free_secret(void *p, size_t len)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, len);
	free(p);
}

void ccauth_free_secret_str(char *s)
{
	if (s != NULL)
		ccauth_free_secret(s, strlen(s));
}

void ccauth_fingerprint(const void *data, size_t len, char out[CCAUTH_FPR_HEXLEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256(data, len, md);
	for (size_t i = 0; i < CCAUTH_FPR_HEXLEN / 2; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[CCAUTH_FPR_HEXLEN] = '\0';
}

char *ccauth_strndup_checked(const char *p, size_t len)
{
	char *s;

	if (p == NULL || memchr(p, '\0', len) != NULL || len == SIZE_MAX)
		return NULL;
	s = malloc(len + 1);
	if (s == NULL)
		return NULL;
	memcpy(s, p, len);
	s[len] = '\0';
	return s;
}

int ccauth_strlcpy(char *dst, const char *src, size_t size)
{
	size_t n;

	if (size == 0)
		return -1;
	n = strlen(src);
	if (n >= size) {
		memcpy(dst, src, size - 1);
		dst[size - 1] = '\0';
		return -1;
	}
	memcpy(dst, src, n + 1);
	return 0;
}

int ccauth_ct_equal(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}
