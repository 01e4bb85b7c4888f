/* Strict base64url (RFC 4648 §5) as JOSE uses it: no padding, no whitespace, only the
 * URL-safe alphabet, and canonical trailing bits (unused low bits must be zero).
 * Also plain base64 encoding for HTTP Basic and XOAUTH2. */
#ifndef CCAUTH_B64URL_H
#define CCAUTH_B64URL_H

#include <stddef.h>

/* Largest decoded size for an input of len characters. */
#define CCAUTH_B64URL_DECODED_MAX(len) (((len) / 4) * 3 + 2)
/* Encoded size without the NUL. */
#define CCAUTH_B64URL_ENCODED_LEN(len) (((len) / 3) * 4 + ((len) % 3 ? (len) % 3 + 1 : 0))
#define CCAUTH_B64STD_ENCODED_LEN(len) ((((len) + 2) / 3) * 4)

/* Decode in[0..len) into out (capacity outcap >= CCAUTH_B64URL_DECODED_MAX(len)).
 * Returns 0 and sets *outlen, or -1 on any non-canonical input (len % 4 == 1, a character
 * outside [A-Za-z0-9_-], '=', whitespace, NUL, non-zero trailing bits) or too small outcap. */
int ccauth_b64url_decode(const char *in, size_t len, unsigned char *out, size_t outcap, size_t *outlen);

/* Encode without padding into out (capacity >= CCAUTH_B64URL_ENCODED_LEN(len) + 1); NUL-terminates.
 * Returns the number of characters written. */
size_t ccauth_b64url_encode(const unsigned char *in, size_t len, char *out);

/* Standard alphabet with padding (RFC 4648 §4); out capacity >= CCAUTH_B64STD_ENCODED_LEN(len) + 1. */
size_t ccauth_b64std_encode(const unsigned char *in, size_t len, char *out);

/* Standard base64 with padding, strict (for XOAUTH2 and tests); same contract as b64url_decode. */
int ccauth_b64std_decode(const char *in, size_t len, unsigned char *out, size_t outcap, size_t *outlen);

#endif
