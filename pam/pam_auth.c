/* pam_ccauth: the auth and account logic.  Everything lives on the stack or in the PAM handle
 * (pam_set_data): the module keeps no globals, and the core's config and validator are built per
 * call (a cycle with a jwks_file or a warm disk cache makes no network call). */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "account.h"
#include "config.h"
#include "deadline.h"
#include "pam_internal.h"
#include "token.h"
#include "util.h"
#include "validate.h"

/* What auth leaves in the handle for account. */
struct auth_data {
	int64_t exp;
	int64_t skew;
	char user[CCAUTH_PAM_USER_MAX + 1];
};

static void data_cleanup(pam_handle_t *pamh, void *data, int error_status)
{
	free(data);
}

static void core_log(void *ctx, int priority, const char *msg)
{
	pam_syslog((pam_handle_t *)ctx, priority, "%s", msg);
}

/* Printable ASCII without spaces, 1..max bytes. */
static int plain_string(const char *s, size_t max)
{
	size_t n = 0;

	if (s == NULL)
		return 0;
	for (; s[n] != '\0'; n++)
		if (n >= max || (unsigned char)s[n] <= 0x20 || (unsigned char)s[n] >= 0x7f)
			return 0;
	return n > 0;
}

/* Lengths at which conversation functions and daemons cut input (Debian 12's misc_conv keeps 4095
 * bytes; fixed buffers of 128/256/512/1024/8192 are common): a rejected token of such a length was
 * most likely cut. */
static int looks_truncated(size_t len)
{
	static const size_t cuts[] = {127, 128, 255, 256, 511, 512, 1023, 1024, 2047, 2048, 4095, 4096, 8191, 8192};

	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++)
		if (len == cuts[i])
			return 1;
	return 0;
}

/* The password, as pam_unix reads it: with use_first_pass or try_first_pass the PAM_AUTHTOK an
 * earlier module stored (use_first_pass: only that); otherwise always asked through the
 * conversation, so another module's password is never sent to an AS as a token unless the admin
 * says so.  *pw points into the PAM item. */
static int get_password(pam_handle_t *pamh, const struct ccauth_pam_options *o, const char **pw)
{
	const void *item = NULL;
	char *resp = NULL;
	int rc;

	*pw = NULL;
	if (o->use_first_pass || o->try_first_pass) {
		if (pam_get_item(pamh, PAM_AUTHTOK, &item) == PAM_SUCCESS && item != NULL) {
			*pw = item;
			return PAM_SUCCESS;
		}
		if (o->use_first_pass)
			return PAM_AUTH_ERR;
	}
	rc = pam_prompt(pamh, PAM_PROMPT_ECHO_OFF, &resp, "%s",
	                o->prompt != NULL ? o->prompt
	                                  : (o->mode == CCAUTH_PAM_MODE_SECRET ? "Client secret: " : "Access token: "));
	if (rc != PAM_SUCCESS || resp == NULL) {
		ccauth_free_secret_str(resp);
		return rc == PAM_BUF_ERR ? PAM_BUF_ERR : PAM_CONV_ERR;
	}
	rc = pam_set_item(pamh, PAM_AUTHTOK, resp);
	ccauth_free_secret_str(resp);
	if (rc != PAM_SUCCESS)
		return rc;
	if (pam_get_item(pamh, PAM_AUTHTOK, &item) != PAM_SUCCESS || item == NULL)
		return PAM_AUTH_ERR;
	*pw = item;
	return PAM_SUCCESS;
}

static void set_env(pam_handle_t *pamh, const char *name, const char *value)
{
	char buf[1024];

	/* Only printable values (no newlines for the application's environment); else unset. */
	if (value != NULL) {
		size_t n = 0;
		for (; value[n] != '\0'; n++)
			if ((unsigned char)value[n] < 0x20 || (unsigned char)value[n] == 0x7f)
				break;
		if (value[n] != '\0')
			value = NULL;
	}
	if (value == NULL || snprintf(buf, sizeof(buf), "%s=%s", name, value) >= (int)sizeof(buf)) {
		if (pam_getenv(pamh, name) != NULL)
			(void)pam_putenv(pamh, name);
		return;
	}
	(void)pam_putenv(pamh, buf);
}

static void clear_env(pam_handle_t *pamh)
{
	static const char *const names[] = {"CCAUTH_CLIENT_ID", "CCAUTH_ISSUER", "CCAUTH_SCOPE"};

	/* pam_putenv logs an error for deleting an unset name */
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (pam_getenv(pamh, names[i]) != NULL)
			(void)pam_putenv(pamh, names[i]);
}

static enum ccauth_status check_issuers(const struct ccauth_config *cfg, const struct ccauth_pam_options *o,
                                        struct ccauth_error *err)
{
	for (size_t i = 0; i < o->nissuers; i++)
		if (ccauth_config_issuer(cfg, o->issuers[i]) == NULL)
			return ccauth_error_set(err, CCAUTH_E_CONFIG, "issuer=%s: no such [issuer] section",
			                        o->issuers[i]);
	if (cfg->nissuers == 0)
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "%s has no [issuer] section", cfg->path);
	return CCAUTH_OK;
}

/* Identity safety (account.h): the module arguments override the [global] keys. */
static enum ccauth_status account_ok(const struct ccauth_config *cfg, const struct ccauth_pam_options *o,
                                     const char *user, struct ccauth_error *err)
{
	struct ccauth_account_policy p = {
	    .deny_users = o->deny_users_set ? &o->deny_users : &cfg->deny_users,
	    .allow_users = o->allow_users_set ? &o->allow_users : &cfg->allow_users,
	    .min_uid = o->min_uid >= 0 ? o->min_uid : cfg->min_uid,
	};

	return ccauth_account_check(&p, user, err);
}

static char *join(const struct ccauth_strlist *l)
{
	size_t n = 1;
	char *s, *p;

	for (size_t i = 0; i < l->n; i++)
		n += strlen(l->v[i]) + 1;
	if ((s = p = malloc(n)) == NULL)
		return NULL;
	*p = '\0';
	for (size_t i = 0; i < l->n; i++) {
		size_t k = strlen(l->v[i]);
		if (i > 0)
			*p++ = ' ';
		memcpy(p, l->v[i], k);
		p += k;
		*p = '\0';
	}
	return s;
}

/* mode=secret: the client-credentials grant with (user, secret) at the one trusted issuer; the
 * issued token is returned for validation. */
static enum ccauth_status grant(const struct ccauth_config *cfg, const struct ccauth_pam_options *o,
                                const struct ccauth_log *log, const char *user, const char *secret, size_t secretlen,
                                int64_t now, struct ccauth_token **tok, struct ccauth_error *err)
{
	const struct ccauth_issuer_conf *ic = NULL;
	struct ccauth_client_conf cc;
	struct ccauth_tokens *t = NULL;
	struct ccauth_tokens_opts topts = {.log = log, .memory_only = 1};
	enum ccauth_status st;

	if (o->nissuers == 1)
		ic = ccauth_config_issuer(cfg, o->issuers[0]);
	else if (o->nissuers == 0 && cfg->nissuers == 1)
		ic = &cfg->issuers[0];
	if (ic == NULL)
		return ccauth_error_set(err, CCAUTH_E_CONFIG,
		                        "mode=secret needs exactly one trusted issuer (issuer=NAME)");
	if (secretlen > CCAUTH_TOKEN_SECRET_MAX)
		return ccauth_error_set(err, CCAUTH_E_DENIED, "secret longer than %d bytes", CCAUTH_TOKEN_SECRET_MAX);

	memset(&cc, 0, sizeof(cc));
	cc.name = (char *)"pam";
	cc.issuer = ic->issuer;
	cc.client_id = (char *)user;
	cc.auth_method = CCAUTH_AUTH_CLIENT_SECRET_BASIC;
	cc.refresh_at = 0.8;
	/* A [client] section for this client_id at this issuer may name the endpoint and the method. */
	for (size_t i = 0; i < cfg->nclients; i++) {
		const struct ccauth_client_conf *c = &cfg->clients[i];
		if (c->client_id != NULL && strcmp(c->client_id, user) == 0 && c->issuer != NULL &&
		    strcmp(c->issuer, ic->issuer) == 0) {
			cc.token_endpoint = c->token_endpoint;
			if (c->auth_method == CCAUTH_AUTH_CLIENT_SECRET_POST)
				cc.auth_method = c->auth_method;
			break;
		}
	}
	if (ic->required_scope.n > 0 && (cc.scope = join(&ic->required_scope)) == NULL)
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	if (ic->audience.n > 0) {
		cc.audience = ic->audience.v[0];
		/* RFC 8707 wants an absolute URI; Auth0-style ASes read audience. */
		if (strchr(ic->audience.v[0], ':') != NULL)
			cc.resource = ic->audience.v[0];
	}
	st = ccauth_tokens_new(cfg, &topts, &t, err);
	if (st == CCAUTH_OK)
		st = ccauth_token_get_with_secret(t, &cc, secret, secretlen, now, tok, err);
	ccauth_tokens_free(t);
	free(cc.scope);
	return st;
}

int ccauth_pam_authenticate(pam_handle_t *pamh, const struct ccauth_pam_options *o)
{
	struct ccauth_log log = {.fn = core_log, .ctx = pamh, .debug = o->debug};
	struct ccauth_pam_decision d = {.phase = o->mode == CCAUTH_PAM_MODE_SECRET ? "auth(secret)" : "auth"};
	struct ccauth_error err;
	struct ccauth_config *cfg = NULL;
	struct ccauth_validator *v = NULL;
	struct ccauth_token *tok = NULL;
	const struct ccauth_identity *id = NULL;
	struct auth_data *data = NULL;
	const void *item = NULL;
	const char *user = NULL, *pw = NULL;
	char fpr[CCAUTH_FPR_HEXLEN + 1] = "";
	size_t pwlen = 0;
	int64_t now = (int64_t)time(NULL);
	enum ccauth_status st = CCAUTH_OK;
	int rc;

	ccauth_error_clear(&err);
	/* Fail closed: a failed auth forgets an earlier success in this handle. */
	(void)pam_set_data(pamh, CCAUTH_PAM_DATA, NULL, NULL);

	if (o->mode == CCAUTH_PAM_MODE_SECRET) {
		rc = pam_get_user(pamh, &user, NULL);
		if (rc != PAM_SUCCESS || user == NULL) {
			st = CCAUTH_E_IDENTITY;
			ccauth_error_set(&err, st, "no user name (client_id)");
			rc = rc == PAM_SUCCESS ? PAM_USER_UNKNOWN : rc;
			goto decide_rc;
		}
	} else if (pam_get_item(pamh, PAM_USER, &item) == PAM_SUCCESS && item != NULL) {
		user = item;
	}
	if (user != NULL && !plain_string(user, CCAUTH_PAM_USER_MAX)) {
		st = ccauth_error_set(&err, CCAUTH_E_IDENTITY, "user name is empty, too long or not printable");
		user = NULL; /* never log it */
		d.user = "(invalid)";
		goto decide;
	}
	d.user = user;

	if ((rc = get_password(pamh, o, &pw)) != PAM_SUCCESS) {
		st = CCAUTH_E_MALFORMED;
		ccauth_error_set(&err, st,
		                 o->use_first_pass ? "no password from an earlier module (use_first_pass)"
		                                   : "the conversation gave no password");
		goto decide_rc;
	}
	pwlen = strnlen(pw, CCAUTH_PAM_TOKEN_MAX + 1);
	if (pwlen == 0 || pwlen > CCAUTH_PAM_TOKEN_MAX) {
		st = ccauth_error_set(&err, CCAUTH_E_MALFORMED,
		                      pwlen == 0 ? "empty password" : "password longer than %d bytes",
		                      CCAUTH_PAM_TOKEN_MAX);
		goto decide;
	}
	if (o->mode == CCAUTH_PAM_MODE_TOKEN)
		ccauth_fingerprint(pw, pwlen, fpr);
	d.fpr = fpr;
	if (o->debug)
		pam_syslog(pamh, LOG_DEBUG, "password of %zu bytes", pwlen);

	if ((st = ccauth_config_load(o->config != NULL ? o->config : CCAUTH_DEFAULT_CONFIG, &cfg, &err)) != CCAUTH_OK)
		goto decide;
	if ((st = check_issuers(cfg, o, &err)) != CCAUTH_OK)
		goto decide;
	/* a PAM user that no token may become is refused before anything goes to the network (in
	 * mode=secret, before the AS sees the password) */
	if (user != NULL && (st = account_ok(cfg, o, user, &err)) != CCAUTH_OK)
		goto decide;
	{
		struct ccauth_validator_opts vo = {
		    .issuers = o->nissuers > 0 ? (const char *const *)o->issuers : NULL,
		    .log = &log,
		    .cache_entries = SIZE_MAX, /* one token per handle: a cache would only hold it longer */
		};
		if ((st = ccauth_validator_new(cfg, &vo, &v, &err)) != CCAUTH_OK)
			goto decide;
	}

	if (o->mode == CCAUTH_PAM_MODE_SECRET) {
		/* one deadline for the token request and the JWKS fetch together (deadline.h) */
		int64_t dl = ccauth_deadline_begin(cfg->timeout);

		st = grant(cfg, o, &log, user, pw, pwlen, now, &tok, &err);
		if (st == CCAUTH_OK)
			st = ccauth_validate(v, tok->access_token, tok->len, now, &id, &err);
		ccauth_deadline_end(dl);
		if (st != CCAUTH_OK)
			goto decide;
	} else {
		st = ccauth_validate(v, pw, pwlen, now, &id, &err);
		if (st != CCAUTH_OK && ccauth_status_is_rejection(st) && looks_truncated(pwlen))
			pam_syslog(pamh, LOG_NOTICE,
			           "the token is exactly %zu bytes long and was rejected: the application or its "
			           "conversation function probably cut it (Debian 12: misc_conv keeps 4095 bytes, "
			           "saslauthd refuses passwords over 256, sshd over 1024; see pam_ccauth(8))",
			           pwlen);
	}
	if (st != CCAUTH_OK)
		goto decide;
	d.fpr = id->fpr;
	d.issuer = id->issuer_name;
	d.client_id = id->client_id;

	if (user == NULL) {
		if ((st = account_ok(cfg, o, id->user, &err)) != CCAUTH_OK) {
			d.user = id->user;
			goto decide;
		}
		if (pam_set_item(pamh, PAM_USER, id->user) != PAM_SUCCESS) {
			st = ccauth_error_set(&err, CCAUTH_E_NOMEM, "cannot set PAM_USER");
			goto decide;
		}
		d.user = id->user;
	} else if (strcmp(user, id->user) != 0) {
		st = ccauth_error_set(&err, CCAUTH_E_IDENTITY, "the token names %.256s, not the PAM user", id->user);
		goto decide;
	}

	if ((data = calloc(1, sizeof(*data))) == NULL) {
		st = ccauth_error_set(&err, CCAUTH_E_NOMEM, "out of memory");
		goto decide;
	}
	data->exp = id->exp;
	data->skew = cfg->clock_skew;
	ccauth_strlcpy(data->user, id->user, sizeof(data->user));
	if (pam_set_data(pamh, CCAUTH_PAM_DATA, data, data_cleanup) != PAM_SUCCESS) {
		free(data);
		st = ccauth_error_set(&err, CCAUTH_E_NOMEM, "pam_set_data failed");
		goto decide;
	}
	set_env(pamh, "CCAUTH_CLIENT_ID", id->client_id);
	set_env(pamh, "CCAUTH_ISSUER", id->iss);
	set_env(pamh, "CCAUTH_SCOPE", id->scope != NULL ? id->scope : "");

decide:
	rc = ccauth_pam_result(st);
decide_rc:
	if (rc != PAM_SUCCESS) {
		(void)pam_set_data(pamh, CCAUTH_PAM_DATA, NULL, NULL);
		clear_env(pamh);
		if (st == CCAUTH_OK) /* a PAM-level failure without a core status: never success */
			st = CCAUTH_E_INTERNAL;
	}
	d.detail = err.msg;
	ccauth_pam_log_decision(pamh, rc, st, &d);
	ccauth_identity_release(id);
	ccauth_token_free(tok);
	ccauth_validator_free(v);
	ccauth_config_free(cfg);
	return rc;
}

int ccauth_pam_account(pam_handle_t *pamh, const struct ccauth_pam_options *o)
{
	struct ccauth_pam_decision d = {.phase = "account"};
	const struct auth_data *data = NULL;
	const void *item = NULL, *dp = NULL;
	enum ccauth_status st;
	int rc;

	if (pam_get_data(pamh, CCAUTH_PAM_DATA, &dp) != PAM_SUCCESS || dp == NULL) {
		d.detail = "no successful pam_ccauth authentication in this handle";
		ccauth_pam_log_decision(pamh, PAM_PERM_DENIED, CCAUTH_E_IDENTITY, &d);
		return PAM_PERM_DENIED;
	}
	data = dp;
	d.user = data->user;
	if (pam_get_item(pamh, PAM_USER, &item) != PAM_SUCCESS || item == NULL || strcmp(item, data->user) != 0) {
		d.detail = "PAM_USER changed since authentication";
		ccauth_pam_log_decision(pamh, PAM_PERM_DENIED, CCAUTH_E_IDENTITY, &d);
		return PAM_PERM_DENIED;
	}
	if ((int64_t)time(NULL) > data->exp + data->skew) {
		st = CCAUTH_E_EXPIRED;
		rc = PAM_ACCT_EXPIRED;
		d.detail = "the token has expired since authentication";
	} else {
		st = CCAUTH_OK;
		rc = PAM_SUCCESS;
	}
	ccauth_pam_log_decision(pamh, rc, st, &d);
	return rc;
}
