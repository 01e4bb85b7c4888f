/* Strict base64url / base64 (RFC 4648 §5 / §4).  Decoding is table driven: one lookup per
 * character, 0xFF marks everything outside the alphabet (including '=', whitespace and NUL). */
#include "autoconf.h"

#include "b64url.h"

#define XX 0xFF

/* clang-format off */
static const unsigned char dec_url[256] = {
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, 62, XX, XX,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, XX, XX, XX, XX, XX, XX,
	XX,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, XX, XX, XX, XX, 63,
	XX, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, XX, XX, XX, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
};

static const unsigned char dec_std[256] = {
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, 62, XX, XX, XX, 63,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, XX, XX, XX, XX, XX, XX,
	XX,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, XX, XX, XX, XX, XX,
	XX, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, XX, XX, XX, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
};
/* clang-format on */

static const char enc_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char enc_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Decode unpadded text (len % 4 != 1) with table t; canonical trailing bits required. */
static int decode(const unsigned char *t, const char *in, size_t len, unsigned char *out, size_t outcap, size_t *outlen)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t full = len / 4, rem = len % 4, need, o = 0;

	if (rem == 1 || (len > 0 && in == NULL) || out == NULL || outlen == NULL)
		return -1;
	need = full * 3 + (rem ? rem - 1 : 0);
	if (outcap < need)
		return -1;
	for (size_t k = 0; k < full; k++, s += 4) {
		unsigned a = t[s[0]], b = t[s[1]], c = t[s[2]], d = t[s[3]];

		if ((a | b | c | d) & 0x80)
			return -1;
		out[o++] = (unsigned char)(a << 2 | b >> 4);
		out[o++] = (unsigned char)(b << 4 | c >> 2);
		out[o++] = (unsigned char)(c << 6 | d);
	}
	if (rem == 2) {
		unsigned a = t[s[0]], b = t[s[1]];

		if ((a | b) & 0x80 || (b & 0x0F) != 0)
			return -1;
		out[o++] = (unsigned char)(a << 2 | b >> 4);
	} else if (rem == 3) {
		unsigned a = t[s[0]], b = t[s[1]], c = t[s[2]];

		if ((a | b | c) & 0x80 || (c & 0x03) != 0)
			return -1;
		out[o++] = (unsigned char)(a << 2 | b >> 4);
		out[o++] = (unsigned char)(b << 4 | c >> 2);
	}
	*outlen = o;
	return 0;
}

int ccauth_b64url_decode(const char *in, size_t len, unsigned char *out, size_t outcap, size_t *outlen)
{
	return decode(dec_url, in, len, out, outcap, outlen);
}

int ccauth_b64std_decode(const char *in, size_t len, unsigned char *out, size_t outcap, size_t *outlen)
{
	size_t pad = 0;

	/* Padding is mandatory: the length is a multiple of 4 and only the last one or two
	 * characters may be '='; the rest is then unpadded text with canonical trailing bits. */
	if (len % 4 != 0 || (len > 0 && in == NULL))
		return -1;
	if (len > 0 && in[len - 1] == '=')
		pad = in[len - 2] == '=' ? 2 : 1;
	return decode(dec_std, in, len - pad, out, outcap, outlen);
}

static size_t encode(const char *alpha, const unsigned char *in, size_t len, char *out, int pad)
{
	size_t o = 0, k = 0;

	for (; len - k >= 3; k += 3) {
		unsigned v = (unsigned)in[k] << 16 | (unsigned)in[k + 1] << 8 | in[k + 2];

		out[o++] = alpha[v >> 18];
		out[o++] = alpha[v >> 12 & 0x3F];
		out[o++] = alpha[v >> 6 & 0x3F];
		out[o++] = alpha[v & 0x3F];
	}
	if (len - k == 1) {
		unsigned v = (unsigned)in[k] << 16;

		out[o++] = alpha[v >> 18];
		out[o++] = alpha[v >> 12 & 0x3F];
		if (pad) {
			out[o++] = '=';
			out[o++] = '=';
		}
	} else if (len - k == 2) {
		unsigned v = (unsigned)in[k] << 16 | (unsigned)in[k + 1] << 8;

		out[o++] = alpha[v >> 18];
		out[o++] = alpha[v >> 12 & 0x3F];
		out[o++] = alpha[v >> 6 & 0x3F];
		if (pad)
			out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

size_t ccauth_b64url_encode(const unsigned char *in, size_t len, char *out)
{
	return encode(enc_url, in, len, out, 0);
}

size_t ccauth_b64std_encode(const unsigned char *in, size_t len, char *out)
{
	return encode(enc_std, in, len, out, 1);
}
