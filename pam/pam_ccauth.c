/* pam_ccauth: stub until issue #4.  Fails closed: every entry point denies. */
#include "config.h"

#define PAM_SM_AUTH
#define PAM_SM_ACCOUNT
#include <security/pam_modules.h>

#define CCAUTH_EXPORT __attribute__((visibility("default")))

CCAUTH_EXPORT int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	return PAM_SERVICE_ERR;
}

CCAUTH_EXPORT int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	return PAM_SUCCESS;
}

CCAUTH_EXPORT int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	return PAM_PERM_DENIED;
}
