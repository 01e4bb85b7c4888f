/* pam_ccauth: the one place where core statuses become PAM return codes, and the decision log. */
#include "autoconf.h"

#include <syslog.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "pam_internal.h"

int ccauth_pam_result(enum ccauth_status st)
{
	switch (st) {
	case CCAUTH_OK:
		return PAM_SUCCESS;
	case CCAUTH_E_IDENTITY: /* the token names no user, or not this PAM user */
		return PAM_USER_UNKNOWN;
	case CCAUTH_E_UNAVAILABLE:
		return PAM_AUTHINFO_UNAVAIL;
	case CCAUTH_E_CONFIG:
		return PAM_SERVICE_ERR;
	case CCAUTH_E_NOMEM:
		return PAM_BUF_ERR;
	case CCAUTH_E_MALFORMED:
	case CCAUTH_E_ALGORITHM:
	case CCAUTH_E_UNKNOWN_KEY:
	case CCAUTH_E_SIGNATURE:
	case CCAUTH_E_EXPIRED:
	case CCAUTH_E_NOT_YET_VALID:
	case CCAUTH_E_ISSUER:
	case CCAUTH_E_AUDIENCE:
	case CCAUTH_E_SCOPE:
	case CCAUTH_E_CLIENT:
	case CCAUTH_E_TYPE:
	case CCAUTH_E_INACTIVE:
	case CCAUTH_E_DENIED: /* mode=secret: the AS refused the client_id/secret */
	case CCAUTH_E_INTERNAL:
		return PAM_AUTH_ERR;
	}
	return PAM_AUTH_ERR;
}

const char *ccauth_pam_code_name(int code)
{
	switch (code) {
	case PAM_SUCCESS:
		return "PAM_SUCCESS";
	case PAM_AUTH_ERR:
		return "PAM_AUTH_ERR";
	case PAM_USER_UNKNOWN:
		return "PAM_USER_UNKNOWN";
	case PAM_AUTHINFO_UNAVAIL:
		return "PAM_AUTHINFO_UNAVAIL";
	case PAM_SERVICE_ERR:
		return "PAM_SERVICE_ERR";
	case PAM_BUF_ERR:
		return "PAM_BUF_ERR";
	case PAM_PERM_DENIED:
		return "PAM_PERM_DENIED";
	case PAM_ACCT_EXPIRED:
		return "PAM_ACCT_EXPIRED";
	case PAM_CONV_ERR:
		return "PAM_CONV_ERR";
	default:
		return "PAM_OTHER";
	}
}

/* "-" for nothing; "(unprintable)" for text with control bytes, so that a user name from the
 * application or a client_id from a token cannot forge a second syslog line */
static const char *dash(const char *s)
{
	if (s == NULL || s[0] == '\0')
		return "-";
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return "(unprintable)";
	return s;
}

void ccauth_pam_log_decision(pam_handle_t *pamh, int code, enum ccauth_status st, const struct ccauth_pam_decision *d)
{
	pam_syslog(pamh, code == PAM_SUCCESS ? LOG_INFO : (code == PAM_SERVICE_ERR ? LOG_ERR : LOG_NOTICE),
	           "%s %s: result=%s reason=%s user=%.256s fpr=%s issuer=%.128s client_id=%.128s%s%.256s", d->phase,
	           code == PAM_SUCCESS ? "granted" : "denied", ccauth_pam_code_name(code), ccauth_status_reason(st),
	           dash(d->user), dash(d->fpr), dash(d->issuer), dash(d->client_id),
	           d->detail != NULL && d->detail[0] ? ": " : "", d->detail != NULL ? d->detail : "");
}
