/* pam_ccauth: the PAM entry points, and nothing else (pam_auth.c holds the logic). */
#include "autoconf.h"

#define PAM_SM_AUTH
#define PAM_SM_ACCOUNT
#include <security/pam_modules.h>

#include "pam_internal.h"
#include "pam_options.h"

#define CCAUTH_EXPORT __attribute__((visibility("default")))

CCAUTH_EXPORT int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct ccauth_pam_options o;
	int rc = ccauth_pam_options_parse(pamh, argc, argv, &o);

	if (rc == PAM_SUCCESS)
		rc = ccauth_pam_authenticate(pamh, &o);
	ccauth_pam_options_free(&o);
	return rc;
}

/* No credentials to establish: an access token grants no Unix credentials. */
CCAUTH_EXPORT int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	return PAM_SUCCESS;
}

CCAUTH_EXPORT int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct ccauth_pam_options o;
	int rc = ccauth_pam_options_parse(pamh, argc, argv, &o);

	if (rc == PAM_SUCCESS)
		rc = ccauth_pam_account(pamh, &o);
	ccauth_pam_options_free(&o);
	return rc;
}
