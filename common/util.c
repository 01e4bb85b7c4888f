#include "autoconf.h"

/* SHA256_Init/Update/Final are deprecated in OpenSSL 3 in favour of EVP, but they are the only
 * way to hash without the EVP layer's per-call work (3.0 frees and re-creates the provider's
 * context at every EVP_DigestInit_ex2): measured inside slapd, see ccauth_sha256 */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "util.h"

void ccauth_wipe(void *p, size_t len)
{
	memset(p, 0, len);
	__asm__ __volatile__("" : : "r"(p) : "memory");
}

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

void ccauth_hex_encode(const unsigned char *in, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}

int ccauth_sha256(const void *data, size_t len, unsigned char md[32])
{
#ifndef OPENSSL_NO_DEPRECATED_3_0
	SHA256_CTX c;
	int ok = SHA256_Init(&c) == 1 && SHA256_Update(&c, data, len) == 1 && SHA256_Final(md, &c) == 1;

	ccauth_wipe(&c, sizeof(c)); /* the token's last block */
	return ok ? 0 : -1;
#else
	unsigned int n;

	return EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) == 1 && n == 32 ? 0 : -1;
#endif
}

void ccauth_fingerprint(const void *data, size_t len, char out[CCAUTH_FPR_HEXLEN + 1])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	if (ccauth_sha256(data, len, md) != 0)
		memset(md, 0, sizeof(md));
	ccauth_hex_encode(md, CCAUTH_FPR_HEXLEN / 2, out);
}

static int token_byte_ok(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e;
}

int ccauth_token_chars_ok(const char *s, size_t len)
{
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	size_t i = 0;

	/* Eight bytes at a time: a word whose bytes are all in 0x21..0x7e sets no high bit in w, in
	 * w - 0x21 (no borrow) or in w + 1 (no carry); only a flagged word is looked at byte by byte. */
	for (; i + 8 <= len; i += 8) {
		uint64_t w;

		memcpy(&w, s + i, 8);
		if ((((w - ones * 0x21) | w | (w + ones)) & highs) == 0)
			continue;
		for (size_t j = i; j < i + 8; j++)
			if (!token_byte_ok((unsigned char)s[j]))
				return 0;
	}
	for (; i < len; i++)
		if (!token_byte_ok((unsigned char)s[i]))
			return 0;
	return 1;
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

static int name_char_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
	       c == '@' || c == '-';
}

int ccauth_name_ok(const char *s, size_t len)
{
	if (s == NULL || len == 0 || len > CCAUTH_NAME_MAX)
		return 0;
	/* "." and ".." match the set but name directories when the user becomes a path part */
	if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!name_char_ok((unsigned char)s[i]))
			return 0;
	return 1;
}
