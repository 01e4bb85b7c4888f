/* error, log and util: reason codes, the rejection split, bounded messages, log filtering,
 * fingerprints, checked string copies, constant-time comparison. */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"
#include "log.h"
#include "util.h"

static void test_reasons(void **state)
{
	static const struct {
		enum ccauth_status st;
		const char *reason;
		int rejection;
	} rows[] = {
	    {CCAUTH_OK, "ok", 0},
	    {CCAUTH_E_MALFORMED, "malformed", 1},
	    {CCAUTH_E_ALGORITHM, "algorithm", 1},
	    {CCAUTH_E_UNKNOWN_KEY, "unknown_key", 1},
	    {CCAUTH_E_SIGNATURE, "signature", 1},
	    {CCAUTH_E_EXPIRED, "expired", 1},
	    {CCAUTH_E_NOT_YET_VALID, "not_yet_valid", 1},
	    {CCAUTH_E_ISSUER, "issuer", 1},
	    {CCAUTH_E_AUDIENCE, "audience", 1},
	    {CCAUTH_E_SCOPE, "scope", 1},
	    {CCAUTH_E_CLIENT, "client", 1},
	    {CCAUTH_E_TYPE, "type", 1},
	    {CCAUTH_E_INACTIVE, "inactive", 1},
	    {CCAUTH_E_IDENTITY, "identity", 1},
	    {CCAUTH_E_CONFIG, "config", 0},
	    {CCAUTH_E_UNAVAILABLE, "unavailable", 0},
	    {CCAUTH_E_DENIED, "denied", 0},
	    {CCAUTH_E_NOMEM, "nomem", 0},
	    {CCAUTH_E_INTERNAL, "internal", 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_string_equal(ccauth_status_reason(rows[i].st), rows[i].reason);
		assert_int_equal(ccauth_status_is_rejection(rows[i].st), rows[i].rejection);
	}
	/* out of range never crashes and never reads as ok */
	assert_string_equal(ccauth_status_reason((enum ccauth_status)1000), "internal");
	assert_string_equal(ccauth_status_reason((enum ccauth_status) - 1), "internal");
	assert_int_equal(ccauth_status_is_rejection((enum ccauth_status)1000), 0);
}

static void test_error_set(void **state)
{
	struct ccauth_error err;
	char big[1000];

	(void)state;
	assert_int_equal(ccauth_error_set(&err, CCAUTH_E_SCOPE, "missing %s", "ldap.read"), CCAUTH_E_SCOPE);
	assert_int_equal(err.code, CCAUTH_E_SCOPE);
	assert_string_equal(err.msg, "missing ldap.read");
	/* NULL err is allowed and still returns the code */
	assert_int_equal(ccauth_error_set(NULL, CCAUTH_E_CONFIG, "x"), CCAUTH_E_CONFIG);
	/* bounded: a long message is truncated and terminated */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ccauth_error_set(&err, CCAUTH_E_INTERNAL, "%s", big);
	assert_int_equal(strlen(err.msg), CCAUTH_ERRMSG_MAX - 1);
	ccauth_error_clear(&err);
	assert_int_equal(err.code, CCAUTH_OK);
	assert_string_equal(err.msg, "");
	ccauth_error_clear(NULL);
}

struct captured {
	int calls;
	int prio;
	char msg[600];
};

static void capture(void *ctx, int prio, const char *msg)
{
	struct captured *c = ctx;

	c->calls++;
	c->prio = prio;
	snprintf(c->msg, sizeof(c->msg), "%s", msg);
}

static void test_log(void **state)
{
	struct captured c = {0};
	struct ccauth_log log = {.fn = capture, .ctx = &c, .debug = 0};
	char big[2000];

	(void)state;
	ccauth_log(NULL, LOG_ERR, "nothing %d", 1); /* NULL-safe */
	ccauth_log(&log, LOG_DEBUG, "hidden");
	assert_int_equal(c.calls, 0);
	ccauth_log(&log, LOG_WARNING, "key %d skipped", 3);
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.prio, LOG_WARNING);
	assert_string_equal(c.msg, "key 3 skipped");
	log.debug = 1;
	ccauth_log(&log, LOG_DEBUG, "shown");
	assert_int_equal(c.calls, 2);
	assert_string_equal(c.msg, "shown");
	/* bounded */
	memset(big, 'b', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ccauth_log(&log, LOG_ERR, "%s", big);
	assert_true(strlen(c.msg) < 512);
	/* no callback: discarded */
	log.fn = NULL;
	ccauth_log(&log, LOG_ERR, "dropped");
	assert_int_equal(c.calls, 3);
}

static void test_fingerprint(void **state)
{
	char fpr[CCAUTH_FPR_HEXLEN + 1], fpr2[CCAUTH_FPR_HEXLEN + 1];

	(void)state;
	/* SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223... */
	ccauth_fingerprint("abc", 3, fpr);
	assert_string_equal(fpr, "ba7816bf8f01cfea");
	/* SHA-256("") = e3b0c44298fc1c14... */
	ccauth_fingerprint("", 0, fpr);
	assert_string_equal(fpr, "e3b0c44298fc1c14");
	ccauth_fingerprint("abd", 3, fpr2);
	assert_string_not_equal(fpr, fpr2);
}

static void test_strings(void **state)
{
	char *s, buf[4];

	(void)state;
	s = ccauth_strndup_checked("hello world", 5);
	assert_non_null(s);
	assert_string_equal(s, "hello");
	free(s);
	assert_null(ccauth_strndup_checked("a\0b", 3)); /* embedded NUL */
	assert_null(ccauth_strndup_checked(NULL, 0));
	s = ccauth_strndup_checked("", 0);
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);

	assert_int_equal(ccauth_strlcpy(buf, "abc", sizeof(buf)), 0);
	assert_string_equal(buf, "abc");
	assert_int_equal(ccauth_strlcpy(buf, "abcd", sizeof(buf)), -1);
	assert_string_equal(buf, "abc");
	assert_int_equal(ccauth_strlcpy(buf, "x", 0), -1);

	assert_true(ccauth_ct_equal("secret", "secret", 6));
	assert_false(ccauth_ct_equal("secret", "secreT", 6));
	assert_true(ccauth_ct_equal("", "", 0));
}

static void test_free_secret(void **state)
{
	char *s = strdup("client-secret");

	(void)state;
	assert_non_null(s);
	ccauth_free_secret_str(s); /* valgrind: no leak, no invalid access */
	ccauth_free_secret_str(NULL);
	ccauth_free_secret(NULL, 10);
	s = malloc(32);
	assert_non_null(s);
	memset(s, 'x', 32);
	ccauth_free_secret(s, 32);
}

static void test_hex_and_token_chars(void **state)
{
	static const unsigned char in[] = {0x00, 0x0f, 0xa5, 0xff};
	char out[9], t[24];

	(void)state;
	ccauth_hex_encode(in, sizeof(in), out);
	assert_string_equal(out, "000fa5ff");
	ccauth_hex_encode(in, 0, out);
	assert_string_equal(out, "");

	assert_true(ccauth_token_chars_ok("", 0));
	/* every length up to 24 (word path and tail), every position, the bytes at each boundary */
	for (size_t len = 1; len <= sizeof(t); len++) {
		memset(t, 'a', sizeof(t));
		assert_true(ccauth_token_chars_ok(t, len));
		for (size_t pos = 0; pos < len; pos++) {
			static const struct {
				unsigned char c;
				int ok;
			} b[] = {{0x00, 0}, {0x09, 0}, {0x0a, 0}, {0x20, 0}, {0x21, 1}, {'~', 1},
			         {0x7f, 0}, {0x80, 0}, {0xc3, 0}, {0xff, 0}, {'.', 1},  {'-', 1}};

			for (size_t k = 0; k < sizeof(b) / sizeof(b[0]); k++) {
				t[pos] = (char)b[k].c;
				assert_int_equal(ccauth_token_chars_ok(t, len), b[k].ok);
			}
			t[pos] = 'a';
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reasons),
	    cmocka_unit_test(test_error_set),
	    cmocka_unit_test(test_log),
	    cmocka_unit_test(test_fingerprint),
	    cmocka_unit_test(test_strings),
	    cmocka_unit_test(test_free_secret),
	    cmocka_unit_test(test_hex_and_token_chars),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
