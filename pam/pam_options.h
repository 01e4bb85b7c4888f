/* pam_ccauth options: an optional options file (conf=FILE) is read first, then the module
 * arguments override it; one setter serves both (the Linux-PAM pam_faillock pattern). */
#ifndef CCAUTH_PAM_OPTIONS_H
#define CCAUTH_PAM_OPTIONS_H

#include <security/pam_modules.h>

#include "config_value.h"

#define CCAUTH_PAM_MAX_ISSUERS 16
#define CCAUTH_PAM_PROMPT_MAX  128
#define CCAUTH_PAM_CONF_MAX    (64 * 1024) /* bytes of a conf= options file */

enum ccauth_pam_mode { CCAUTH_PAM_MODE_TOKEN, CCAUTH_PAM_MODE_SECRET };

struct ccauth_pam_options {
	char *config;                              /* ccauth.conf; NULL: the compiled-in default (never $CCAUTH_CONF) */
	char *issuers[CCAUTH_PAM_MAX_ISSUERS + 1]; /* NULL-terminated [issuer NAME]s; none: all */
	size_t nissuers;
	int issuers_from_argv; /* argv's issuer= list replaces the options file's */
	enum ccauth_pam_mode mode;
	int use_first_pass;
	int try_first_pass;
	int debug;
	char *prompt; /* NULL: "Access token: " or "Client secret: " */
	/* identity safety (account.h); each overrides the [global] key of the same name when set */
	struct ccauth_strlist deny_users, allow_users; /* deny_users=a,b allow_users=c (comma-separated) */
	int deny_users_set, allow_users_set;
	long min_uid; /* -1: not given */
	int bad;      /* a security-relevant value was bad: the module refuses (PAM_SERVICE_ERR) */
	int nomem;
};

/* Fill o from conf= (when given) then argv.  Unknown options and harmless bad values are logged at
 * LOG_ERR and ignored.  Returns PAM_SUCCESS, PAM_SERVICE_ERR (a bad security-relevant value, an
 * unusable options file) or PAM_BUF_ERR; o is always safe to pass to ccauth_pam_options_free. */
int ccauth_pam_options_parse(pam_handle_t *pamh, int argc, const char **argv, struct ccauth_pam_options *o);
void ccauth_pam_options_free(struct ccauth_pam_options *o);

/* The conf= file's lines from memory (read_conf reads the file with its checks, then calls this):
 * options are set in o, problems logged and flagged in o->bad / o->nomem.  For the fuzz target. */
void ccauth_pam_options_parse_conf(pam_handle_t *pamh, struct ccauth_pam_options *o, const char *buf, size_t len);

#endif
