/* ccauth check: what an [issuer] section risks under its profile (doc/as/).  The configuration
 * already refuses what is wrong everywhere (no audience and no allowed_client_ids); these are the
 * layouts that load but do not do what the administrator probably wants. */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "config.h"
#include "profile.h"
#include "usermap.h"

enum { OK, WARN, FAIL };

static void say(ccauth_check_emit emit, void *ctx, int level, const char *name, const char *msg)
{
	char line[512];

	snprintf(line, sizeof(line), "issuer %s: %s", name, msg);
	emit(ctx, level, line);
}

/* Entra's tenant-independent endpoints: their metadata names a {tenantid} template, no token's iss */
static int entra_multitenant(const char *iss)
{
	static const char *const names[] = {"/common/", "/organizations/", "/consumers/", "{tenantid}"};
	char buf[512];

	snprintf(buf, sizeof(buf), "%s/", iss);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strstr(buf, names[i]) != NULL)
			return 1;
	return 0;
}

static void audience_advice(const struct ccauth_issuer_conf *ic, ccauth_check_emit emit, void *ctx)
{
	char msg[256];

	if (ic->audience.n > 0) {
		snprintf(msg, sizeof(msg), "audience: %zu value%s configured", ic->audience.n,
		         ic->audience.n == 1 ? "" : "s");
		say(emit, ctx, ic->profile == CCAUTH_PROFILE_COGNITO ? WARN : OK, ic->name,
		    ic->profile == CCAUTH_PROFILE_COGNITO
		        ? "audience is set, but Cognito access tokens have no aud: every one is refused"
		        : msg);
		return;
	}
	snprintf(msg, sizeof(msg), "no audience: allowed_client_ids (%zu) alone restricts it",
	         ic->allowed_client_ids.n);
	switch (ic->profile) {
	case CCAUTH_PROFILE_COGNITO:
		say(emit, ctx, OK, ic->name, msg); /* the only way with Cognito */
		break;
	case CCAUTH_PROFILE_KEYCLOAK:
		say(emit, ctx, WARN, ic->name,
		    "no audience: Keycloak puts no aud for this service in its tokens unless an audience mapper "
		    "does; add one and set audience, or an allowed client's token meant for another service is "
		    "accepted here (doc/as/keycloak.md)");
		break;
	default:
		say(emit, ctx, WARN, ic->name,
		    "no audience: an allowed client's token meant for another service is accepted here");
		break;
	}
}

void ccauth_check_profile(const struct ccauth_issuer_conf *ic, ccauth_check_emit emit, void *ctx)
{
	const char *iss = ic->issuer != NULL ? ic->issuer : "";
	size_t len = strlen(iss);
	char msg[256];

	snprintf(msg, sizeof(msg), "profile %s", ccauth_profile_defaults((enum ccauth_profile)ic->profile)->name);
	say(emit, ctx, OK, ic->name, msg);
	audience_advice(ic, emit, ctx);
	switch (ic->profile) {
	case CCAUTH_PROFILE_ENTRA:
		if (entra_multitenant(iss))
			say(emit, ctx, FAIL, ic->name,
			    "a multi-tenant endpoint (common, organizations, consumers): no token carries this iss; "
			    "add one [issuer] per tenant, https://login.microsoftonline.com/TENANT/v2.0 "
			    "(doc/as/entra.md)");
		else if (strncmp(iss, "https://sts.windows.net/", 24) != 0 &&
		         (len < 5 || strcmp(iss + len - 5, "/v2.0") != 0))
			say(emit, ctx, WARN, ic->name,
			    "neither a v2.0 issuer (.../TENANT/v2.0) nor a v1.0 one (https://sts.windows.net/TENANT/)");
		break;
	case CCAUTH_PROFILE_OKTA:
		if (strstr(iss, "/oauth2/") == NULL)
			say(emit, ctx, WARN, ic->name,
			    "the org authorization server: its tokens are for Okta's own APIs; use a custom "
			    "authorization "
			    "server, https://ORG.okta.com/oauth2/ID (doc/as/okta.md)");
		break;
	case CCAUTH_PROFILE_KEYCLOAK:
		if (strstr(iss, "/realms/") == NULL)
			say(emit, ctx, WARN, ic->name, "a Keycloak issuer ends in /realms/REALM");
		break;
	case CCAUTH_PROFILE_AUTH0:
		if (len == 0 || iss[len - 1] != '/')
			say(emit, ctx, WARN, ic->name, "Auth0 issuers end with '/': tokens will not match this one");
		break;
	default:
		break;
	}
	if (ic->usermap != NULL) {
		size_t n = ccauth_usermap_size(ic->usermap);

		snprintf(msg, sizeof(msg), "username_map %.128s: %zu value%s mapped%s", ic->username_map, n,
		         n == 1 ? "" : "s", n == 0 ? ": every token is refused" : "");
		say(emit, ctx, n == 0 ? WARN : OK, ic->name, msg);
	}
}
