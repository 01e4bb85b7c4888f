/* Authorization-server profiles (doc/as/): where a vendor's access tokens keep the client, the
 * granted permissions and the token type.  A profile only supplies defaults for keys the
 * [issuer] section does not set; it never removes a check. */
#ifndef CCAUTH_PROFILE_H
#define CCAUTH_PROFILE_H

enum ccauth_profile {
	CCAUTH_PROFILE_GENERIC,
	CCAUTH_PROFILE_ENTRA,
	CCAUTH_PROFILE_OKTA,
	CCAUTH_PROFILE_KEYCLOAK,
	CCAUTH_PROFILE_AUTH0,
	CCAUTH_PROFILE_COGNITO,
	CCAUTH_PROFILE_DUO,
};

struct ccauth_profile_defaults {
	const char *name;
	const char *client_id_claims; /* space-separated */
	const char *scope_claims;     /* space-separated */
	const char *username_claim;   /* space-separated */
	const char *token_type;       /* "CLAIM VALUE", or NULL */
	int fixed_token_type;         /* 1: token_type may not be changed (cognito) */
	int needs_client_ids;         /* 1: allowed_client_ids is required (no aud in its tokens) */
};

/* The profile named name, or -1 when there is none. */
int ccauth_profile_from_name(const char *name);

/* The defaults of profile p (a valid enum value). */
const struct ccauth_profile_defaults *ccauth_profile_defaults(enum ccauth_profile p);

#endif
