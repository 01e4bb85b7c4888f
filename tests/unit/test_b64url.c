/* common/b64url.c: RFC 4648 vectors for both alphabets, every rejection class, exhaustive
 * single-character and short-string sweeps, and round trips checked against OpenSSL's encoder. */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "b64url.h"

#define S(lit) lit, sizeof(lit) - 1

struct vec {
	const char *raw;
	size_t rawlen;
	const char *std;
	const char *url;
};

/* RFC 4648 §10 and the §9 examples (which exercise '+' '/' vs '-' '_'). */
static const struct vec vectors[] = {
    {S(""), "", ""},
    {S("f"), "Zg==", "Zg"},
    {S("fo"), "Zm8=", "Zm8"},
    {S("foo"), "Zm9v", "Zm9v"},
    {S("foob"), "Zm9vYg==", "Zm9vYg"},
    {S("fooba"), "Zm9vYmE=", "Zm9vYmE"},
    {S("foobar"), "Zm9vYmFy", "Zm9vYmFy"},
    {S("\x14\xfb\x9c\x03\xd9\x7e"), "FPucA9l+", "FPucA9l-"},
    {S("\x14\xfb\x9c\x03\xd9"), "FPucA9k=", "FPucA9k"},
    {S("\x14\xfb\x9c\x03"), "FPucAw==", "FPucAw"},
    {S("\xfb\xff"), "+/8=", "-_8"},
    {S("\xff\xff\xff"), "////", "____"},
    {S("\0\0\0"), "AAAA", "AAAA"},
    {S("{\"alg\":\"RS256\"}"), "eyJhbGciOiJSUzI1NiJ9", "eyJhbGciOiJSUzI1NiJ9"},
};

static void test_vectors(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof(vectors) / sizeof(vectors[0]); k++) {
		const struct vec *v = &vectors[k];
		char enc[64];
		unsigned char dec[64];
		size_t n = 99;

		memset(enc, 'Z', sizeof(enc));
		assert_int_equal(ccauth_b64url_encode((const unsigned char *)v->raw, v->rawlen, enc), strlen(v->url));
		assert_string_equal(enc, v->url);
		assert_int_equal(CCAUTH_B64URL_ENCODED_LEN(v->rawlen), strlen(v->url));
		memset(enc, 'Z', sizeof(enc));
		assert_int_equal(ccauth_b64std_encode((const unsigned char *)v->raw, v->rawlen, enc), strlen(v->std));
		assert_string_equal(enc, v->std);
		assert_int_equal(CCAUTH_B64STD_ENCODED_LEN(v->rawlen), strlen(v->std));

		assert_int_equal(ccauth_b64url_decode(v->url, strlen(v->url), dec, sizeof(dec), &n), 0);
		assert_int_equal(n, v->rawlen);
		assert_memory_equal(dec, v->raw, n);
		n = 99;
		assert_int_equal(ccauth_b64std_decode(v->std, strlen(v->std), dec, sizeof(dec), &n), 0);
		assert_int_equal(n, v->rawlen);
		assert_memory_equal(dec, v->raw, n);
	}
}

struct bad {
	const char *name;
	const char *in;
	size_t len;
};

/* clang-format off */
static const struct bad bad_url[] = {
	{ "len%4==1 (1)", S("Z") },
	{ "len%4==1 (5)", S("Zm9vY") },
	{ "len%4==1 (9)", S("Zm9vYmFyZ") },
	{ "padding ==", S("Zg==") },
	{ "padding =", S("Zm8=") },
	{ "lone padding", S("Zg=") },
	{ "padding in the middle", S("Zg==Zg") },
	{ "only padding", S("====") },
	{ "space", S("Zm 9v") },
	{ "leading space", S(" Zm9v") },
	{ "trailing newline", S("Zm9v\n") },
	{ "CRLF", S("Zm9v\r\nYg") },
	{ "tab", S("Zm9\tv") },
	{ "embedded NUL", "Zm\0v", 4 },
	{ "trailing NUL", "Zm9v\0\0", 6 },
	{ "plus", S("FPucA9l+") },
	{ "slash", S("+/8") },
	{ "slash only", S("ab/d") },
	{ "dot", S("Zm9.") },
	{ "tilde", S("Zm9~") },
	{ "percent escape", S("Zm%3D") },
	{ "high byte 0x80", S("Zm9\x80") },
	{ "high byte 0xff", S("\xffm9v") },
	{ "UTF-8 letter", S("Zm\xc3\xa9") },
	{ "trailing bits, 2 chars", S("Zh") },
	{ "trailing bits, 2 chars max", S("Z_") },
	{ "trailing bits, 3 chars", S("Zm9") },
	{ "trailing bits, 3 chars low bit", S("Zm-") },
	{ "trailing bits after full quantum", S("Zm9vYh") },
};

static const struct bad bad_std[] = {
	{ "no padding (2)", S("Zg") },
	{ "no padding (3)", S("Zm8") },
	{ "len%4==1", S("Zm9vY") },
	{ "one pad where two needed", S("Zg=") },
	{ "three pads", S("Z===") },
	{ "four pads", S("====") },
	{ "pad then data", S("Zg==Zm9v") },
	{ "pad inside quantum", S("Z=g=") },
	{ "pad at third only", S("Zm=v") },
	{ "extra pad quantum", S("Zm9v====") },
	{ "url alphabet -", S("FPucA9l-") },
	{ "url alphabet _", S("-_8=") },
	{ "space", S("Zm9v Zm9v") },
	{ "newline (MIME line break)", S("Zm9v\nZm9v") },
	{ "trailing newline", S("Zm9vYg==\n") },
	{ "embedded NUL", "Zm\0v", 4 },
	{ "high byte", S("Zm9\xe9") },
	{ "non-canonical 1 byte", S("Zh==") },
	{ "non-canonical 2 bytes", S("Zm9=") },
	{ "non-canonical, lowest bit", S("+/9=") },
};
/* clang-format on */

static void run_bad(const struct bad *cases, size_t n,
                    int (*dec)(const char *, size_t, unsigned char *, size_t, size_t *))
{
	for (size_t k = 0; k < n; k++) {
		unsigned char out[64];
		size_t outlen = 12345;

		memset(out, 0xAA, sizeof(out));
		if (dec(cases[k].in, cases[k].len, out, sizeof(out), &outlen) != -1)
			print_error("case \"%s\" accepted\n", cases[k].name);
		assert_int_equal(dec(cases[k].in, cases[k].len, out, sizeof(out), &outlen), -1);
		assert_int_equal(outlen, 12345);
	}
}

static void test_url_rejects(void **state)
{
	(void)state;
	run_bad(bad_url, sizeof(bad_url) / sizeof(bad_url[0]), ccauth_b64url_decode);
}

static void test_std_rejects(void **state)
{
	(void)state;
	run_bad(bad_std, sizeof(bad_std) / sizeof(bad_std[0]), ccauth_b64std_decode);
}

static void test_outcap(void **state)
{
	unsigned char out[8];
	size_t n = 0;

	(void)state;
	/* "Zm9vYmE" decodes to 5 bytes: 5 is enough, 4 is not */
	assert_int_equal(ccauth_b64url_decode("Zm9vYmE", 7, out, 4, &n), -1);
	assert_int_equal(ccauth_b64url_decode("Zm9vYmE", 7, out, 5, &n), 0);
	assert_int_equal(n, 5);
	assert_int_equal(ccauth_b64std_decode("Zm9vYmE=", 8, out, 4, &n), -1);
	assert_int_equal(ccauth_b64std_decode("Zm9vYmE=", 8, out, 5, &n), 0);
	assert_int_equal(ccauth_b64url_decode("Zm9v", 4, out, 2, &n), -1);
	assert_int_equal(ccauth_b64url_decode("Zm9v", 4, NULL, 0, &n), -1);
	assert_int_equal(ccauth_b64url_decode("Zm9v", 4, out, 8, NULL), -1);
	/* empty input decodes to nothing, even with outcap 0 */
	n = 7;
	assert_int_equal(ccauth_b64url_decode("", 0, out, 0, &n), 0);
	assert_int_equal(n, 0);
	n = 7;
	assert_int_equal(ccauth_b64std_decode("", 0, out, 0, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(ccauth_b64url_decode(NULL, 4, out, 8, &n), -1);
	/* the documented capacity macro is always enough */
	for (size_t len = 0; len < 64; len++)
		assert_true(CCAUTH_B64URL_DECODED_MAX(len) >= len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0));
}

/* Every byte value in every position of a 4-character quantum: only the alphabet decodes. */
static void test_every_byte(void **state)
{
	static const char url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	static const char std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	(void)state;
	for (int pos = 0; pos < 4; pos++) {
		for (int c = 0; c < 256; c++) {
			char in[4] = {'A', 'A', 'A', 'A'};
			unsigned char out[3];
			size_t n;
			int url_ok = c != 0 && strchr(url, c) != NULL;
			/* "AAA=" is a padded 2-byte quantum */
			int std_ok = (c != 0 && strchr(std, c) != NULL) || (c == '=' && pos == 3);

			in[pos] = (char)c;
			assert_int_equal(ccauth_b64url_decode(in, 4, out, 3, &n), url_ok ? 0 : -1);
			if (url_ok) {
				unsigned v = (unsigned)(strchr(url, c) - url);
				unsigned long bits = (unsigned long)out[0] << 16 | (unsigned long)out[1] << 8 | out[2];

				assert_int_equal(bits >> (6 * (3 - pos)) & 0x3F, v);
			}
			assert_int_equal(ccauth_b64std_decode(in, 4, out, 3, &n), std_ok ? 0 : -1);
		}
	}
}

/* All 2- and 3-character strings: accepted exactly when canonical, and then re-encode to
 * themselves. */
static void test_short_exhaustive(void **state)
{
	static const char url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned accepted2 = 0, accepted3 = 0;

	(void)state;
	for (int a = 0; a < 64; a++) {
		for (int b = 0; b < 64; b++) {
			char in[3] = {url[a], url[b], 0};
			unsigned char out[2];
			char back[4];
			size_t n;
			int r = ccauth_b64url_decode(in, 2, out, sizeof(out), &n);

			assert_int_equal(r, (b & 0x0F) == 0 ? 0 : -1);
			if (r == 0) {
				accepted2++;
				assert_int_equal(ccauth_b64url_encode(out, n, back), 2);
				assert_memory_equal(back, in, 2);
			}
			for (int c = 0; c < 64; c++) {
				in[2] = url[c];
				r = ccauth_b64url_decode(in, 3, out, sizeof(out), &n);
				assert_int_equal(r, (c & 0x03) == 0 ? 0 : -1);
				if (r == 0) {
					accepted3++;
					assert_int_equal(n, 2);
					assert_int_equal(ccauth_b64url_encode(out, n, back), 3);
					assert_memory_equal(back, in, 3);
				}
			}
		}
	}
	assert_int_equal(accepted2, 256);
	assert_int_equal(accepted3, 65536);
}

/* Deterministic xorshift so a failure reproduces. */
static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static unsigned char next_byte(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned char)(rng >> 24);
}

static void test_round_trips(void **state)
{
	unsigned char raw[301], dec[301 + 2];
	char url[CCAUTH_B64URL_ENCODED_LEN(301) + 1], std[CCAUTH_B64STD_ENCODED_LEN(301) + 1];
	unsigned char ossl[CCAUTH_B64STD_ENCODED_LEN(301) + 1];

	(void)state;
	for (int round = 0; round < 4; round++) {
		for (size_t len = 0; len <= 300; len++) {
			size_t ul, sl, n;

			for (size_t k = 0; k < len; k++)
				raw[k] = next_byte();
			ul = ccauth_b64url_encode(raw, len, url);
			sl = ccauth_b64std_encode(raw, len, std);
			assert_int_equal(ul, CCAUTH_B64URL_ENCODED_LEN(len));
			assert_int_equal(sl, CCAUTH_B64STD_ENCODED_LEN(len));
			assert_int_equal(strlen(url), ul);
			assert_int_equal(strlen(std), sl);
			/* an independent oracle for the standard alphabet */
			assert_int_equal(EVP_EncodeBlock(ossl, raw, (int)len), (int)sl);
			assert_string_equal((const char *)ossl, std);
			/* url = std with the alphabet swapped and padding dropped */
			for (size_t k = 0; k < ul; k++)
				assert_int_equal(url[k], std[k] == '+' ? '-' : std[k] == '/' ? '_' : std[k]);
			for (size_t k = ul; k < sl; k++)
				assert_int_equal(std[k], '=');

			n = 999;
			assert_int_equal(ccauth_b64url_decode(url, ul, dec, CCAUTH_B64URL_DECODED_MAX(ul), &n), 0);
			assert_int_equal(n, len);
			assert_memory_equal(dec, raw, len);
			n = 999;
			assert_int_equal(ccauth_b64std_decode(std, sl, dec, CCAUTH_B64URL_DECODED_MAX(sl), &n), 0);
			assert_int_equal(n, len);
			assert_memory_equal(dec, raw, len);
			/* exactly len bytes of room is enough; one less is refused */
			assert_int_equal(ccauth_b64url_decode(url, ul, dec, len, &n), 0);
			if (len > 0)
				assert_int_equal(ccauth_b64url_decode(url, ul, dec, len - 1, &n), -1);
			/* the alphabets do not mix when the text holds a 62 or 63 */
			if (strpbrk(url, "-_") != NULL)
				assert_int_equal(ccauth_b64std_decode(url, ul, dec, sizeof(dec), &n), -1);
			if (strpbrk(std, "+/") != NULL)
				assert_int_equal(ccauth_b64url_decode(std, ul, dec, sizeof(dec), &n), -1);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vectors),     cmocka_unit_test(test_url_rejects),
	    cmocka_unit_test(test_std_rejects), cmocka_unit_test(test_outcap),
	    cmocka_unit_test(test_every_byte),  cmocka_unit_test(test_short_exhaustive),
	    cmocka_unit_test(test_round_trips),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
