/* Small helpers shared by the core: wiping, fingerprints, bounded strings, time. */
#ifndef CCAUTH_UTIL_H
#define CCAUTH_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define CCAUTH_FPR_HEXLEN 16 /* first 8 bytes of SHA-256, hex */

/* memset that the compiler keeps (a barrier, as glibc's explicit_bzero): several times faster
 * than OPENSSL_cleanse on small buffers. */
void ccauth_wipe(void *p, size_t len);
/* Wipe then free; NULL-safe.  For tokens, secrets, Authorization headers. */
void ccauth_free_secret(void *p, size_t len);
void ccauth_free_secret_str(char *s);

/* Lowercase hex of in[0..len) into out (2 * len + 1 bytes, NUL-terminated). */
void ccauth_hex_encode(const unsigned char *in, size_t len, char *out);

/* 1 when (s,len) has the shape of a bearer token: printable ASCII without space (%x21-7E, the
 * RFC 6750 b64token alphabet and then some).  Fast: it runs on every validation. */
int ccauth_token_chars_ok(const char *s, size_t len);

/* 1 when (s,len) may be a mapped identity: [A-Za-z0-9._@-]{1,256}, except "." and "..".  The
 * one rule for names that become PAM users, LDAP RDN values or path parts (map.c, usermap.c). */
#define CCAUTH_NAME_MAX 256
int ccauth_name_ok(const char *s, size_t len);

/* md = SHA-256(data): 0, or -1 on an OpenSSL failure.  No allocation, no lock. */
int ccauth_sha256(const void *data, size_t len, unsigned char md[32]);

/* "fingerprint" for logs: hex of the first 8 bytes of SHA-256(data); out has room for 17. */
void ccauth_fingerprint(const void *data, size_t len, char out[CCAUTH_FPR_HEXLEN + 1]);

/* Copy (ptr,len) into a new NUL-terminated string; NULL if it holds a NUL or on ENOMEM. */
char *ccauth_strndup_checked(const char *p, size_t len);

/* Bounded copy that always terminates; returns 0 if it fit, -1 if truncated. */
int ccauth_strlcpy(char *dst, const char *src, size_t size);

/* Constant-time comparison of two buffers of the same length (CRYPTO_memcmp). */
int ccauth_ct_equal(const void *a, const void *b, size_t len);

#endif
