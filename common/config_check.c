/* The configuration after its last file: the defaults that depend on the whole file (connect_timeout,
 * cache_dir, each [issuer]'s profile) and the cross-checks between keys and sections ([client] keys
 * per auth_method and grant, [issuer] references).  An error names the file and line of the key. */

#include "autoconf.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_parse.h"
#include "profile.h"
#include "strmap.h"
#include "usermap.h"
#include "util.h"

#define DEFAULT_CACHE_DIR "/var/cache/ccauth"

/* The profile's defaults for what the section leaves unset, then the rules every profile shares:
 * the section restricts whom its tokens are for (RFC 9700 section 2.3), and a profile whose tokens
 * have no aud (cognito) must name its clients.  Loads username_map. */
static enum ccauth_status issuer_profile(struct ccauth_config_parser *p, struct ccauth_issuer_conf *ic)
{
	const struct ccauth_profile_defaults *d = ccauth_profile_defaults((enum ccauth_profile)ic->profile);
	struct ccauth_strlist *lists[] = {&ic->client_id_claims, &ic->scope_claims, &ic->username_claim};
	const char *defs[] = {d->client_id_claims, d->scope_claims, d->username_claim};

	for (size_t k = 0; k < sizeof(lists) / sizeof(lists[0]); k++)
		if (lists[k]->n == 0 && ccauth_strlist_split(defs[k], lists[k]) != 0)
			return pnomem(p);
	if (ic->username_template == NULL && (ic->username_template = strdup("%s")) == NULL)
		return pnomem(p);
	if (d->token_type != NULL && ic->token_type_set && d->fixed_token_type &&
	    (ic->token_type_claim == NULL || strcmp(ic->token_type_claim, "token_use") != 0 ||
	     strcmp(ic->token_type_value, "access") != 0))
		return perr(p, "token_type cannot be changed with this profile");
	if (d->token_type != NULL && !ic->token_type_set &&
	    ccauth_strlist_pair(d->token_type, &ic->token_type_claim, &ic->token_type_value) != 0)
		return pnomem(p);
	if (ic->audience.n == 0 && ic->allowed_client_ids.n == 0)
		return perr(p, "[issuer] needs audience or allowed_client_ids: it must refuse tokens meant for "
		               "others (RFC 9700 section 2.3)");
	if (d->needs_client_ids && ic->allowed_client_ids.n == 0)
		return perr(p, "this profile needs allowed_client_ids: its access tokens have no aud");
	if (ic->username_map != NULL) {
		struct ccauth_error e;
		enum ccauth_status st = ccauth_usermap_load(ic->username_map, &ic->usermap, &e);

		if (st != CCAUTH_OK)
			return ccauth_error_set(p->err, st, "%.128s:%d: %s", p->name, p->line, e.msg);
	}
	return CCAUTH_OK;
}

static enum ccauth_status key_err(struct ccauth_config_parser *p, const struct ccauth_client_conf *c, const char *key,
                                  const char *what)
{
	p->line = ccauth_config_client_key_line(c, key);
	return ccauth_error_set(p->err, CCAUTH_E_CONFIG, "%.128s:%d: %s %s", p->name, p->line, key, what);
}

/* Which keys each auth_method needs and which it refuses: a key that belongs to another method is
 * an error at its own line, never silently ignored (a client_secret_file left next to
 * client_assertion would read as if the secret were still in use). */
static enum ccauth_status check_client(struct ccauth_config_parser *p, const struct ccauth_client_conf *c)
{
	static const char *const secret_keys[] = {"client_secret_file"};
	static const char *const pkjwt_keys[] = {"private_key_file", "key_id", "signing_alg", "assertion_audience"};
	static const char *const tls_keys[] = {"tls_cert_file", "tls_key_file"};
	static const char *const assert_keys[] = {"client_assertion_file", "client_assertion_url",
	                                          "client_assertion_token_env", "client_assertion_audience",
	                                          "client_assertion_type"};
	static const char *const exch_keys[] = {"subject_token_file", "subject_token_type", "requested_token_type"};
	static const char *const method_names[] = {"client_secret_basic", "client_secret_post", "private_key_jwt",
	                                           "tls_client_auth",     "client_assertion",   "none"};
	int federated = c->auth_method == CCAUTH_AUTH_CLIENT_ASSERTION || c->auth_method == CCAUTH_AUTH_NONE;
	const struct {
		const char *const *keys;
		size_t n;
		int allowed; /* for this client's auth_method */
	} groups[] = {
	    /* the keys of the older methods stay tolerated among themselves, as they always were */
	    {secret_keys, 1, !federated},
	    {pkjwt_keys, 3, !federated},
	    {pkjwt_keys + 3, 1, c->auth_method == CCAUTH_AUTH_PRIVATE_KEY_JWT},
	    {tls_keys, 2, !federated},
	    {assert_keys, 5, c->auth_method == CCAUTH_AUTH_CLIENT_ASSERTION},
	    {exch_keys, 3, c->grant == CCAUTH_GRANT_TOKEN_EXCHANGE},
	};
	const char *method = (size_t)c->auth_method < sizeof(method_names) / sizeof(method_names[0])
	                         ? method_names[c->auth_method]
	                         : "?";
	char what[96];
	int has_file, has_url;

	p->line = c->line;
	p->name = p->cfg->files[c->file];
	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
		for (size_t k = 0; k < groups[g].n; k++)
			if (!groups[g].allowed && ccauth_config_client_has(c, groups[g].keys[k])) {
				if (groups[g].keys == exch_keys)
					return key_err(p, c, groups[g].keys[k], "needs grant = token_exchange");
				snprintf(what, sizeof(what), "does not go with auth_method = %s", method);
				return key_err(p, c, groups[g].keys[k], what);
			}
	if (c->client_id == NULL && c->auth_method != CCAUTH_AUTH_CLIENT_ASSERTION &&
	    c->auth_method != CCAUTH_AUTH_NONE)
		return perr(p, "[client] needs client_id");
	if (c->issuer == NULL && c->token_endpoint == NULL)
		return perr(p, "[client] needs issuer or token_endpoint");
	switch (c->auth_method) {
	case CCAUTH_AUTH_CLIENT_SECRET_BASIC:
	case CCAUTH_AUTH_CLIENT_SECRET_POST:
		if (c->client_secret_file == NULL)
			return perr(p, "[client] needs client_secret_file for its auth_method");
		break;
	case CCAUTH_AUTH_PRIVATE_KEY_JWT:
		if (c->private_key_file == NULL)
			return perr(p, "[client] needs private_key_file for private_key_jwt");
		/* RFC 10070: the aud is the issuer identifier; without one only the old form is left */
		if (c->issuer == NULL && c->assertion_audience == CCAUTH_ASSERTION_AUD_ISSUER)
			return perr(p, "[client] with private_key_jwt needs issuer (the assertion's aud, RFC 10070), "
			               "or assertion_audience = token_endpoint");
		break;
	case CCAUTH_AUTH_TLS_CLIENT_AUTH:
		if (c->tls_cert_file == NULL || c->tls_key_file == NULL)
			return perr(p, "[client] needs tls_cert_file and tls_key_file for tls_client_auth");
		break;
	case CCAUTH_AUTH_CLIENT_ASSERTION:
		has_file = c->client_assertion_file != NULL;
		has_url = c->client_assertion_url != NULL;
		if (has_file && has_url)
			return key_err(p, c,
			               ccauth_config_client_key_line(c, "client_assertion_url") >
			                       ccauth_config_client_key_line(c, "client_assertion_file")
			                   ? "client_assertion_url"
			                   : "client_assertion_file",
			               "contradicts the other assertion source: give client_assertion_file or "
			               "client_assertion_url, not both");
		if (!has_file && !has_url)
			return perr(p, "[client] with auth_method = client_assertion needs client_assertion_file or "
			               "client_assertion_url");
		if (has_url && c->client_assertion_token_env == NULL)
			return key_err(p, c, "client_assertion_url", "needs client_assertion_token_env");
		if (has_file && (ccauth_config_client_has(c, "client_assertion_token_env") ||
		                 ccauth_config_client_has(c, "client_assertion_audience")))
			return key_err(p, c,
			               ccauth_config_client_has(c, "client_assertion_token_env")
			                   ? "client_assertion_token_env"
			                   : "client_assertion_audience",
			               "belongs to client_assertion_url, not to client_assertion_file");
		if (has_url && c->client_assertion_audience == NULL && c->issuer == NULL)
			return key_err(p, c, "client_assertion_url",
			               "needs client_assertion_audience when the section has no issuer");
		break;
	case CCAUTH_AUTH_NONE:
		if (c->grant != CCAUTH_GRANT_TOKEN_EXCHANGE)
			return key_err(p, c, "auth_method",
			               "= none needs grant = token_exchange (a client_credentials "
			               "request always authenticates the client)");
		break;
	}
	if (c->grant == CCAUTH_GRANT_TOKEN_EXCHANGE && c->subject_token_file == NULL)
		return perr(p, "[client] with grant = token_exchange needs subject_token_file");
	return CCAUTH_OK;
}

enum ccauth_status ccauth_config_finish(struct ccauth_config_parser *p)
{
	struct ccauth_config *cfg = p->cfg;
	enum ccauth_status st;

	if (p->connect_set) {
		if (cfg->connect_timeout > cfg->timeout) {
			p->line = p->connect_line;
			p->name = cfg->files[p->connect_file];
			return perr(p, "connect_timeout exceeds timeout");
		}
	} else {
		cfg->connect_timeout = cfg->timeout < 3 ? cfg->timeout : 3;
	}
	if (cfg->cache_dir == NULL && (cfg->cache_dir = strdup(DEFAULT_CACHE_DIR)) == NULL)
		return pnomem(p);

	for (size_t i = 0; i < cfg->nclients; i++)
		if ((st = check_client(p, &cfg->clients[i])) != CCAUTH_OK)
			return st;

	for (size_t i = 0; i < cfg->nissuers; i++) {
		struct ccauth_issuer_conf *ic = &cfg->issuers[i];
		size_t unused;

		p->line = ic->line;
		p->name = cfg->files[ic->file];
		/* A key source is always available: jwks_file, jwks_uri, or discovery from the https
		 * issuer, so requiring issuer is enough. */
		if (ic->issuer == NULL)
			return perr(p, "[issuer] needs issuer");
		/* the registry finds an issuer by iss: one section per iss (issuer_names is done with) */
		if (i == 0)
			ccauth_strmap_clear(&p->issuer_names);
		if ((st = ccauth_config_new_name(p, &p->issuer_names, ic->issuer,
		                                 "issuer already used by another [issuer] section")) != CCAUTH_OK)
			return st;
		if (ic->introspection_client != NULL && !ccauth_strmap_get(&p->client_names, ic->introspection_client,
		                                                           strlen(ic->introspection_client), &unused))
			return perr(p, "introspection_client names no [client] section");
		if (ic->introspect == CCAUTH_INTROSPECT_ALWAYS && ic->introspection_client == NULL)
			return perr(p, "introspect = always needs introspection_client");
		if ((st = issuer_profile(p, ic)) != CCAUTH_OK)
			return st;
	}
	return CCAUTH_OK;
}
