/* Federated assertions and subject tokens read from files (assertion.c): what counts as a usable
 * JWT, the file rules (size cap, white space, permissions, symbolic links), the messages that name
 * the file, and the claims shown by ccauth check.  The URL source is covered end to end by
 * integration/secretless.sh against the federation test endpoint. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "assertion.h"
#include "testutil.h"
#include "util.h"

#define NOW 1800000000

static char *mint(const char *payload)
{
	EVP_PKEY *k = tu_genkey("P-256");
	char *t = tu_sign(k, "ES256", "{\"alg\":\"ES256\",\"kid\":\"k1\",\"typ\":\"JWT\"}", payload);

	EVP_PKEY_free(k);
	return t;
}

static void test_check(void **state)
{
	struct ccauth_assertion_info info;
	struct ccauth_error err = {0};
	char *good = mint("{\"iss\":\"https://k8s.example\",\"sub\":\"system:serviceaccount:a:b\","
	                  "\"aud\":[\"api://AzureADTokenExchange\",\"x\"],\"exp\":1800000600}");
	char *old = mint("{\"iss\":\"i\",\"aud\":\"a\",\"exp\":1799999958}");
	char *noexp = mint("{\"iss\":\"i\",\"aud\":\"a\"}");
	char *strexp = mint("{\"iss\":\"i\",\"aud\":\"a\",\"exp\":\"1800000600\"}");
	char *ctl = mint("{\"iss\":\"a\\u0001b\",\"aud\":\"a\",\"exp\":1800000600}");

	(void)state;
	assert_int_equal(ccauth_assertion_check(good, strlen(good), NOW, &info, &err), CCAUTH_OK);
	assert_string_equal(info.iss, "https://k8s.example");
	assert_string_equal(info.sub, "system:serviceaccount:a:b");
	assert_string_equal(info.aud, "api://AzureADTokenExchange (+1 more)");
	assert_int_equal(info.exp, 1800000600);
	assert_int_equal(ccauth_assertion_check(old, strlen(old), NOW, &info, &err), CCAUTH_E_EXPIRED);
	assert_string_equal(err.msg, "expired 42 s ago");
	assert_int_equal(info.exp, 1799999958);
	/* exp == now has passed */
	assert_int_equal(ccauth_assertion_check(old, strlen(old), 1799999958, NULL, &err), CCAUTH_E_EXPIRED);
	assert_int_equal(ccauth_assertion_check(noexp, strlen(noexp), NOW, NULL, &err), CCAUTH_E_MALFORMED);
	assert_int_equal(ccauth_assertion_check(strexp, strlen(strexp), NOW, NULL, &err), CCAUTH_E_MALFORMED);
	assert_int_equal(ccauth_assertion_check("a.b", 3, NOW, NULL, &err), CCAUTH_E_MALFORMED);
	assert_int_equal(ccauth_assertion_check("", 0, NOW, NULL, &err), CCAUTH_E_MALFORMED);
	/* alg none: no platform issues such an identity */
	assert_int_equal(ccauth_assertion_check("eyJhbGciOiJub25lIn0.eyJleHAiOjE5MDAwMDAwMDB9.", 46, NOW, NULL, &err),
	                 CCAUTH_E_MALFORMED);
	/* what check prints is printable */
	assert_int_equal(ccauth_assertion_check(ctl, strlen(ctl), NOW, &info, &err), CCAUTH_OK);
	assert_string_equal(info.iss, "a?b");
	free(good);
	free(old);
	free(noexp);
	free(strexp);
	free(ctl);
}

static void test_read_file(void **state)
{
	struct ccauth_assertion_info info;
	struct ccauth_error err = {0};
	char *jwt = mint("{\"iss\":\"https://k8s.example\",\"aud\":\"a\",\"exp\":1800000600}");
	char *old = mint("{\"iss\":\"i\",\"aud\":\"a\",\"exp\":1799999958}");
	char text[20000], *path, *out = NULL, link[4200];

	(void)state;
	/* white space around it (a writer's newline) is not part of it */
	snprintf(text, sizeof(text), "\n  %s\r\n", jwt);
	path = tu_write_temp("token", text);
	assert_int_equal(ccauth_assertion_read_file("client_assertion_file", path, NOW, &out, &info, &err), CCAUTH_OK);
	assert_string_equal(out, jwt);
	assert_string_equal(info.iss, "https://k8s.example");
	ccauth_free_secret_str(out);
	/* Kubernetes: group-readable (fsGroup), and a symbolic link swapped on every rewrite */
	assert_int_equal(chmod(path, 0640), 0);
	snprintf(link, sizeof(link), "%s.link", path);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(ccauth_assertion_read_file("client_assertion_file", link, NOW, &out, NULL, &err), CCAUTH_OK);
	ccauth_free_secret_str(out);
	/* readable or writable by others, writable by the group: refused */
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(ccauth_assertion_read_file("client_assertion_file", link, NOW, &out, NULL, &err),
	                 CCAUTH_E_CONFIG);
	assert_null(out);
	assert_non_null(strstr(err.msg, "not readable by others"));
	assert_int_equal(chmod(path, 0660), 0);
	assert_int_equal(ccauth_assertion_read_file("client_assertion_file", link, NOW, &out, NULL, &err),
	                 CCAUTH_E_CONFIG);
	assert_int_equal(chmod(path, 0600), 0);
	unlink(link);
	free(path);

	/* expired: the message the admin needs */
	path = tu_write_temp("old", old);
	assert_int_equal(ccauth_assertion_read_file("client_assertion_file", path, NOW, &out, NULL, &err),
	                 CCAUTH_E_CONFIG);
	snprintf(text, sizeof(text), "the assertion in %s expired 42 s ago; is the writer running?", path);
	assert_string_equal(err.msg, text);
	assert_int_equal(ccauth_assertion_read_file("subject_token_file", path, NOW, &out, NULL, &err),
	                 CCAUTH_E_CONFIG);
	assert_non_null(strstr(err.msg, "the subject token in "));
	free(path);

	/* empty, not a JWT, too big, missing, a directory: named, and never echoed */
	path = tu_write_temp("empty", " \n");
	assert_int_equal(ccauth_assertion_read_file("client_assertion_file", path, NOW, &out, NULL, &err),
	                 CCAUTH_E_CONFIG);
	assert_non_null(strstr(err.msg, "is empty"));
	free(path);
	path = tu_write_temp("garbage", "secret-looking-garbage\n");
	assert_int_equal(ccauth_assertion_read_file("client_assertion_file", path, NOW, &out, NULL, &err),
	                 CCAUTH_E_CONFIG);
	assert_non_null(strstr(err.msg, "does not hold a JWT"));
	assert_null(strstr(err.msg, "secret-looking"));
	free(path);
	memset(text, 'a', 16385);
	text[16385] = '\0';
	path = tu_write_temp("big", text);
	assert_int_equal(ccauth_assertion_read_file("client_assertion_file", path, NOW, &out, NULL, &err),
	                 CCAUTH_E_CONFIG);
	assert_non_null(strstr(err.msg, "is longer than 16384 bytes"));
	/* far bigger than the cap: still only the cap is read */
	memset(text, 'a', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	free(path);
	path = tu_write_temp("huge", text);
	assert_int_equal(ccauth_assertion_read_file("client_assertion_file", path, NOW, &out, NULL, &err),
	                 CCAUTH_E_CONFIG);
	free(path);
	assert_int_equal(ccauth_assertion_read_file("client_assertion_file", "/nonexistent/t", NOW, &out, NULL, &err),
	                 CCAUTH_E_CONFIG);
	assert_non_null(strstr(err.msg, "client_assertion_file /nonexistent/t cannot be opened"));
	assert_int_equal(ccauth_assertion_read_file("client_assertion_file", "/", NOW, &out, NULL, &err),
	                 CCAUTH_E_CONFIG);
	assert_int_equal(ccauth_assertion_read_file("client_assertion_file", NULL, NOW, &out, NULL, &err),
	                 CCAUTH_E_CONFIG);
	free(jwt);
	free(old);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_check),
	    cmocka_unit_test(test_read_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
