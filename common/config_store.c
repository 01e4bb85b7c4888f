/* One configuration value stored into its field by the type of its key (config_parse.h): numbers,
 * names of enums, paths, credential names, lists, templates, profiles; trust anchors (ca_file,
 * ca_path) are checked here when they exist.  The syntax of a value alone is config_value.c's. */

#include "autoconf.h"

#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "config_parse.h"
#include "config_value.h"
#include "credfile.h"
#include "jwk.h"
#include "profile.h"
#include "util.h"

#define NAME_MAX_LEN 64

int ccauth_config_name_ok(const char *s, size_t len)
{
	if (len == 0 || len > NAME_MAX_LEN)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* A systemd credential name: no '/', not . or .., printable (systemd.exec(5) "Credentials"). */
static int credential_name_ok(const char *v)
{
	if (strcmp(v, ".") == 0 || strcmp(v, "..") == 0 || strlen(v) > NAME_MAX)
		return 0;
	for (; *v != '\0'; v++)
		if (*v == '/' || *v == ' ' || *v == '\t')
			return 0;
	return 1;
}

/* Trust anchors (ca_file, ca_path): the rule of the config file and of jwks_file - whoever may
 * write them chooses whom we trust.  A path we cannot examine cannot be read by libcurl either,
 * so it adds no trust: only an existing one is checked (with its symlinks followed). */
static enum ccauth_status check_trust(struct ccauth_config_parser *p, const char *key, const char *path, int dir)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return CCAUTH_OK;
	if (dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
		return ccauth_error_set(p->err, CCAUTH_E_CONFIG, "%.128s:%d: %s %.96s is not a %s", p->name, p->line,
		                        key, path, dir ? "directory" : "regular file");
	if (!ccauth_credfile_is_trusted(&st))
		return ccauth_error_set(p->err, CCAUTH_E_CONFIG,
		                        "%.128s:%d: %s %.96s is writable by group or others, or not owned by root or "
		                        "the current user",
		                        p->name, p->line, key, path);
	return CCAUTH_OK;
}

/* token_type = CLAIM VALUE (two words) or none */
static enum ccauth_status token_type_value(struct ccauth_config_parser *p, struct ccauth_issuer_conf *ic, const char *v)
{
	int rc;

	ic->token_type_set = 1;
	if (strcmp(v, "none") == 0)
		return CCAUTH_OK;
	rc = ccauth_strlist_pair(v, &ic->token_type_claim, &ic->token_type_value);
	if (rc < 0)
		return pnomem(p);
	return rc == 0 ? CCAUTH_OK : perr(p, "bad value: expected CLAIM VALUE or none");
}

static const char *const *enum_names(enum vtype t, size_t *n)
{
	static const char *const grant[] = {"client_credentials", "token_exchange"};
	static const char *const atype[] = {"jwt-bearer", "jwt-spiffe"};
	static const char *const stype[] = {"jwt", "access_token", "id_token"};
	static const char *const aud[] = {"issuer", "token_endpoint"};

	switch (t) {
	case V_GRANT:
		return *n = 2, grant;
	case V_ASSERTTYPE:
		return *n = 2, atype;
	case V_SUBJTYPE:
		return *n = 3, stype;
	default:
		return *n = 2, aud;
	}
}

static const char *enum_help(enum vtype t)
{
	switch (t) {
	case V_GRANT:
		return "bad value: expected client_credentials or token_exchange";
	case V_ASSERTTYPE:
		return "bad value: expected jwt-bearer or jwt-spiffe";
	case V_SUBJTYPE:
		return "bad value: expected jwt, access_token or id_token";
	default:
		return "bad value: expected issuer or token_endpoint";
	}
}

enum ccauth_status ccauth_config_set_value(struct ccauth_config_parser *p, const struct key *k, void *base, char **vp)
{
	const char *v = *vp;
	char *field = (char *)base + k->off;
	char **sp = (char **)(void *)field;
	int iv;

	switch (k->type) {
	case V_INT:
		if (ccauth_config_parse_int(v, k->min, k->max, &iv) != 0)
			return perr(p, "bad value: expected an integer in range");
		*(int *)(void *)field = iv;
		return CCAUTH_OK;
	case V_BOOL:
		if (ccauth_config_parse_bool(v, &iv) != 0)
			return perr(p, "bad value: expected yes or no");
		*(int *)(void *)field = iv;
		return CCAUTH_OK;
	case V_FRACTION:
		if (ccauth_config_parse_fraction(v, (double *)(void *)field) != 0)
			return perr(p, "bad value: expected a decimal in (0,1]");
		return CCAUTH_OK;
	case V_AUTH: {
		static const char *const names[] = {"client_secret_basic", "client_secret_post", "private_key_jwt",
		                                    "tls_client_auth",     "client_assertion",   "none"};
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strcmp(v, names[i]) == 0)
				return *(enum ccauth_auth_method *)(void *)field = (enum ccauth_auth_method)i,
				                                         CCAUTH_OK;
		return perr(p, "bad value: unknown auth_method");
	}
	case V_GRANT:
	case V_ASSERTTYPE:
	case V_SUBJTYPE:
	case V_ASSERTAUD: {
		size_t n;
		const char *const *names = enum_names(k->type, &n);
		for (size_t i = 0; i < n; i++)
			if (strcmp(v, names[i]) == 0)
				return *(int *)(void *)field = (int)i, CCAUTH_OK;
		return perr(p, enum_help(k->type));
	}
	case V_ASSERTURL:
		if (strncmp(v, "env:", 4) == 0) {
			if (!ccauth_config_env_name_ok(v + 4))
				return perr(p, "bad value: env: must be followed by an environment variable name");
		} else if (*v != '\0' && !ccauth_config_https_url_ok(v)) {
			return perr(p, "bad value: expected an https:// URL without fragment, or env:NAME");
		}
		break;
	case V_ENVNAME:
		if (*v != '\0' && !ccauth_config_env_name_ok(v))
			return perr(p, "bad value: expected an environment variable name ([A-Za-z_][A-Za-z0-9_]*)");
		break;
	case V_URI:
		if (*v != '\0' && !ccauth_config_uri_ok(v))
			return perr(p,
			            "bad value: expected an absolute URI such as urn:ietf:params:oauth:token-type:jwt");
		break;
	case V_INTROSPECT: {
		static const char *const names[] = {"never", "opaque", "always"};
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strcmp(v, names[i]) == 0)
				return *(enum ccauth_introspect_mode *)(void *)field = (enum ccauth_introspect_mode)i,
				                                             CCAUTH_OK;
		return perr(p, "bad value: expected never, opaque or always");
	}
	case V_SIGNALG: {
		int a = ccauth_alg_from_name(v, strlen(v));
		if (a != CCAUTH_ALG_RS256 && a != CCAUTH_ALG_PS256 && a != CCAUTH_ALG_ES256 && a != CCAUTH_ALG_EDDSA)
			return perr(p, "bad value: signing_alg must be RS256, PS256, ES256 or EdDSA");
		*(int *)(void *)field = a;
		return CCAUTH_OK;
	}
	case V_ALGS:
		if (ccauth_config_parse_algs(v, (unsigned *)(void *)field) != 0)
			return perr(p, "bad value: unknown or forbidden algorithm");
		return CCAUTH_OK;
	case V_LIST:
	case V_LIST1: {
		struct ccauth_strlist *l = (struct ccauth_strlist *)(void *)field;
		ccauth_strlist_clear(l); /* a default (deny_users) is replaced, not extended */
		if (ccauth_strlist_split(v, l) != 0)
			return pnomem(p);
		if (k->type == V_LIST1 && l->n == 0)
			return perr(p, "bad value: empty list");
		return CCAUTH_OK;
	}
	case V_STR:
		break;
	case V_PATH:
	case V_SECRET:
	case V_TRUSTFILE:
	case V_TRUSTDIR:
		if (*v != '\0' && *v != '/')
			return perr(p, "bad value: expected an absolute path");
		break;
	case V_CREDFILE:
		if (*v != '\0' && *v != '/' && !credential_name_ok(v))
			return perr(p, "bad value: expected an absolute path, or a credential name (no '/')");
		break;
	case V_CACHEDIR:
		if (*v != '\0' && *v != '/')
			return perr(p, "bad value: expected an absolute path or nothing");
		*sp = *vp; /* "" too: an empty cache_dir means memory only */
		*vp = NULL;
		return CCAUTH_OK;
	case V_URL:
		if (*v != '\0' && !ccauth_config_https_url_ok(v))
			return perr(p, "bad value: expected an https:// URL without fragment");
		break;
	case V_PROXY:
		if (*v != '\0' && strcmp(v, "env") != 0 && !ccauth_config_proxy_ok(v))
			return perr(p, "bad value: expected nothing, env or a proxy URL");
		break;
	case V_NAME:
		if (*v != '\0' && !ccauth_config_name_ok(v, strlen(v)))
			return perr(p, "bad value: not a section name");
		break;
	case V_TEMPLATE:
		if (!ccauth_config_template_ok(v))
			return perr(p, "bad value: template allows one %s and %% only");
		break;
	case V_PROFILE:
		if ((iv = ccauth_profile_from_name(v)) < 0)
			return perr(p,
			            "bad value: unknown profile (generic, entra, okta, keycloak, auth0, cognito, duo)");
		*(int *)(void *)field = iv;
		return CCAUTH_OK;
	case V_TOKENTYPE:
		return token_type_value(p, (struct ccauth_issuer_conf *)base, v);
	}
	if (*v == '\0')
		return CCAUTH_OK; /* unset */
	*sp = *vp;
	*vp = NULL;
	if (k->type == V_TRUSTFILE || k->type == V_TRUSTDIR)
		return check_trust(p, k->name, *sp, k->type == V_TRUSTDIR);
	return CCAUTH_OK;
}
