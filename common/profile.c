/* Profile defaults.  Where each claim name comes from is in doc/as/VENDOR.md, with the vendor's
 * documentation page for every fact. */
#include "autoconf.h"

#include <string.h>

#include "profile.h"

static const struct ccauth_profile_defaults profiles[] = {
    /* RFC 9068: client_id (azp in OIDC-style tokens), scope string (scp array accepted) */
    [CCAUTH_PROFILE_GENERIC] = {"generic", "client_id azp", "scope scp", "client_id azp sub", NULL, 0, 0},
    /* app-only tokens: azp (v2.0) or appid (v1.0); app roles in roles, delegated scopes in scp */
    [CCAUTH_PROFILE_ENTRA] = {"entra", "azp appid", "roles scp", "azp appid", NULL, 0, 0},
    /* custom authorization server: cid, scp array */
    [CCAUTH_PROFILE_OKTA] = {"okta", "cid", "scp", "cid", NULL, 0, 0},
    /* azp always, client_id from the service_account scope; payload typ Bearer vs ID */
    [CCAUTH_PROFILE_KEYCLOAK] = {"keycloak", "azp client_id", "scope", "azp client_id", "typ Bearer", 0, 0},
    /* azp (Auth0 dialect) or client_id (RFC 9068 dialect); RBAC permissions array */
    [CCAUTH_PROFILE_AUTH0] = {"auth0", "azp client_id", "scope permissions", "azp client_id", NULL, 0, 0},
    /* no aud in access tokens: client_id must be allow-listed; token_use tells access from id */
    [CCAUTH_PROFILE_COGNITO] = {"cognito", "client_id", "scope", "client_id", "token_use access", 1, 1},
    /* one authorization server per client: the generic shape, many [issuer] sections */
    [CCAUTH_PROFILE_DUO] = {"duo", "client_id azp", "scope scp", "client_id azp sub", NULL, 0, 0},
};

int ccauth_profile_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++)
		if (strcmp(profiles[i].name, name) == 0)
			return (int)i;
	return -1;
}

const struct ccauth_profile_defaults *ccauth_profile_defaults(enum ccauth_profile p)
{
	return &profiles[p];
}
