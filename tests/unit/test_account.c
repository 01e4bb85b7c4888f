/* Identity safety for local accounts (account.h): deny_users, allow_users, min_uid and UID_MIN
 * from a login.defs file. */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "account.h"

static long uid_min_of(const char *text)
{
	char path[] = "/tmp/ccauth-logindefs-XXXXXX";
	int fd = mkstemp(path);
	long v;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	v = ccauth_account_uid_min(path);
	unlink(path);
	return v;
}

static void test_uid_min(void **state)
{
	(void)state;
	assert_int_equal(uid_min_of("# comment\nUID_MIN\t\t\t 500\nUID_MAX 60000\n"), 500);
	assert_int_equal(uid_min_of("UID_MIN 2000\r\n"), 2000);
	assert_int_equal(uid_min_of("#UID_MIN 10\n"), 1000);
	assert_int_equal(uid_min_of("UID_MIN ten\n"), 1000);
	assert_int_equal(uid_min_of("UID_MIN -5\n"), 1000);
	assert_int_equal(uid_min_of("UID_MINIMUM 5\n"), 1000);
	assert_int_equal(uid_min_of(""), 1000);
	assert_int_equal(ccauth_account_uid_min("/nonexistent/login.defs"), 1000);
}

static void test_check(void **state)
{
	char *root[] = {"root"}, *daemon[] = {"daemon"};
	struct ccauth_strlist deny = {root, 1}, allow = {daemon, 1}, none = {NULL, 0};
	struct ccauth_account_policy p = {&deny, &none, 1000};
	struct ccauth_error err;

	(void)state;
	assert_int_equal(ccauth_account_check(&p, "root", &err), CCAUTH_E_IDENTITY);
	assert_non_null(strstr(err.msg, "deny_users"));
	/* uid 1 on Debian; any existing system account below 1000 shows the rule */
	assert_int_equal(ccauth_account_check(&p, "daemon", &err), CCAUTH_E_IDENTITY);
	assert_non_null(strstr(err.msg, "system account (uid 1 < min_uid 1000"));
	assert_int_equal(ccauth_account_check(&p, "no-such-account-ccauth", &err), CCAUTH_OK);
	p.allow_users = &allow;
	assert_int_equal(ccauth_account_check(&p, "daemon", &err), CCAUTH_OK);
	p.allow_users = &none;
	p.min_uid = 0;
	assert_int_equal(ccauth_account_check(&p, "daemon", &err), CCAUTH_OK);
	assert_int_equal(ccauth_account_check(&p, "root", &err), CCAUTH_E_IDENTITY);
	p.deny_users = NULL;
	assert_int_equal(ccauth_account_check(&p, "root", &err), CCAUTH_OK);
	p.min_uid = 1;
	/* uid 0 under any name is below every min_uid > 0 */
	assert_int_equal(ccauth_account_check(&p, "root", &err), CCAUTH_E_IDENTITY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_uid_min),
	    cmocka_unit_test(test_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
