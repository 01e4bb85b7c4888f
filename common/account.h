/* Identity safety where a mapped identity becomes a local account (PAM): RFC 9700 section 4.15
 * ("Client Impersonating Resource Owner", https://www.rfc-editor.org/rfc/rfc9700#section-4.15).
 * A client that can choose its client_id (dynamic registration, a self-service portal) can call
 * itself "root" or "postgres"; with the default username_claim its token then names that local
 * account.  So a mapped identity is refused when it is in deny_users (default: root) or names an
 * existing account below min_uid (default: UID_MIN of /etc/login.defs, else 1000), unless it is
 * in allow_users: an explicit list is the only way to let a token log in as a system account.
 *
 * SASL identities are not local accounts: slapd maps them into its own namespace
 * (uid=ID,cn=oauthbearer,cn=auth, then authz-regexp), Postfix uses them as SASL login names,
 * so the uid rule has nothing to check there; saslauthd -a pam goes through PAM and gets it. */
#ifndef CCAUTH_ACCOUNT_H
#define CCAUTH_ACCOUNT_H

#include "config_value.h"
#include "error.h"

#define CCAUTH_ACCOUNT_UID_MIN_DEFAULT 1000
#define CCAUTH_ACCOUNT_LOGIN_DEFS      "/etc/login.defs"

struct ccauth_account_policy {
	const struct ccauth_strlist *deny_users;  /* NULL: none */
	const struct ccauth_strlist *allow_users; /* NULL: none */
	long min_uid;                             /* < 0: ccauth_account_uid_min(CCAUTH_ACCOUNT_LOGIN_DEFS) */
};

/* UID_MIN from a login.defs file, else CCAUTH_ACCOUNT_UID_MIN_DEFAULT (missing file, no or bad
 * value). */
long ccauth_account_uid_min(const char *login_defs);

/* May the identity user become a local login?  CCAUTH_OK; CCAUTH_E_IDENTITY with the reason in
 * err (deny_users, or the uid of an existing system account); CCAUTH_E_UNAVAILABLE when the
 * account database could not be asked (fail closed: NSS down is not "no such account"). */
enum ccauth_status ccauth_account_check(const struct ccauth_account_policy *p, const char *user,
                                        struct ccauth_error *err);

#endif
