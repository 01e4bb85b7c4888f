/* pam_ccauth internals: the authentication and account logic behind the thin pam_sm_* entry
 * points, and the one status-to-PAM mapping. */
#ifndef CCAUTH_PAM_INTERNAL_H
#define CCAUTH_PAM_INTERNAL_H

#include <security/pam_modules.h>

#include "error.h"
#include "pam_options.h"

#define CCAUTH_PAM_TOKEN_MAX 16384 /* = CCAUTH_TOKEN_MAX: the longest password looked at */
#define CCAUTH_PAM_USER_MAX  256
#define CCAUTH_PAM_DATA      "ccauth_pam_auth" /* pam_set_data name of the auth result */

/* The one mapping from a core status to a PAM return code.  Fails closed: anything not listed
 * is PAM_AUTH_ERR; never PAM_IGNORE. */
int ccauth_pam_result(enum ccauth_status st);

/* "PAM_AUTH_ERR", ... for the decision log. */
const char *ccauth_pam_code_name(int code);

struct ccauth_pam_decision {
	const char *phase; /* "auth", "account" */
	const char *user;
	const char *fpr; /* token fingerprint */
	const char *issuer;
	const char *client_id;
	const char *detail; /* err.msg, never a credential */
};

/* The one syslog line per decision (authpriv via pam_syslog). */
void ccauth_pam_log_decision(pam_handle_t *pamh, int code, enum ccauth_status st, const struct ccauth_pam_decision *d);

int ccauth_pam_authenticate(pam_handle_t *pamh, const struct ccauth_pam_options *o);
int ccauth_pam_account(pam_handle_t *pamh, const struct ccauth_pam_options *o);

#endif
