/* Server side of OAUTHBEARER (RFC 7628) and XOAUTH2.
 *
 * Exchange: the client's first message is parsed by gs2.c (grammar errors: SASL_BADPROT) and the
 * token validated by the core.  Valid: the mapped identity becomes the authentication id, a
 * requested authorization id goes to libsasl's proxy authorization.  Rejected, or no bearer
 * token in a grammatical message (an empty "auth=" asks for the issuer): the error JSON is sent as
 * a challenge, the client must answer with \x01 (XOAUTH2: an empty response), and then the
 * exchange fails with SASL_BADAUTH (RFC 7628 3.2.2).
 *
 * Every line goes to the connection's log callback, checked before it is formatted (libsasl
 * formats all it is handed): per-bind notes and debug lines only when log_level asks for them.
 *
 * Shared state (config, validator with its key and token caches) is loaded on first use under
 * the glob mutex and then used by every thread; a failed load is retried at most every
 * RETRY_SECONDS so a broken config does not cost a file parse per bind.
 */
#include "autoconf.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "discovery.h"
#include "gs2.h"
#include "plugin.h"
#include "util.h"
#include "validate.h"

#define RETRY_SECONDS    10
#define MAX_ISSUER_NAMES 64

struct server_glob {
	sasl_server_plug_t plugs[2];
	pthread_mutex_t lock;
	int refs;  /* mech_free calls still to come */
	int state; /* 0 not loaded, 1 ready, -1 failed */
	time_t retry_at;
	const sasl_utils_t *utils; /* libsasl's global utils: outlive the plugin */
	struct ccauth_sasl_log log;
	struct ccauth_config *cfg;
	struct ccauth_validator *validator;
	char **issuers; /* NULL-terminated, from ccauth_issuers; NULL: all */
	char *scope;    /* ccauth_scope, for the error JSON */
	char *oidc_url; /* openid-configuration when exactly one https issuer is trusted */
	char why[CCAUTH_ERRMSG_MAX];
};

/* ST_FINISHED: the exchange ended (success or failure); libsasl still calls mech_step when an
 * application steps on after a failure, and that must never authenticate. */
enum { ST_START, ST_ERROR_SENT, ST_FINISHED };

struct server_conn {
	struct server_glob *glob; /* mech_step gets no glob_context */
	enum ccauth_sasl_mech mech;
	int state;
	char *challenge; /* the error JSON we sent; ours to free */
	size_t challenge_len;
};

static void strv_free(char **v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* Split a space-separated ccauth_issuers value and check every name names an [issuer]. */
static enum ccauth_status issuer_names(const struct ccauth_config *cfg, const char *val, char ***out,
                                       struct ccauth_error *err)
{
	char **v = calloc(MAX_ISSUER_NAMES + 1, sizeof(*v));
	size_t n = 0;
	const char *p = val;

	if (v == NULL)
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	while (*p != '\0') {
		size_t len;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		len = strcspn(p, " \t,");
		if (len == 0)
			break;
		if (n == MAX_ISSUER_NAMES) {
			strv_free(v);
			return ccauth_error_set(err, CCAUTH_E_CONFIG, "ccauth_issuers: more than %d names",
			                        MAX_ISSUER_NAMES);
		}
		v[n] = ccauth_strndup_checked(p, len);
		if (v[n] == NULL) {
			strv_free(v);
			return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
		}
		if (ccauth_config_issuer(cfg, v[n]) == NULL) {
			ccauth_error_set(err, CCAUTH_E_CONFIG, "ccauth_issuers: no [issuer %.64s] in %.128s", v[n],
			                 cfg->path != NULL ? cfg->path : "the config");
			strv_free(v);
			return CCAUTH_E_CONFIG;
		}
		n++;
		p += len;
	}
	if (n == 0) {
		strv_free(v);
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "ccauth_issuers names no issuer");
	}
	*out = v;
	return CCAUTH_OK;
}

/* The one trusted issuer when there is exactly one, else NULL. */
static const struct ccauth_issuer_conf *single_issuer(const struct server_glob *g)
{
	if (g->issuers != NULL)
		return g->issuers[1] == NULL ? ccauth_config_issuer(g->cfg, g->issuers[0]) : NULL;
	return g->cfg->nissuers == 1 ? &g->cfg->issuers[0] : NULL;
}

static void glob_unload(struct server_glob *g)
{
	ccauth_validator_free(g->validator);
	g->validator = NULL;
	ccauth_config_free(g->cfg);
	g->cfg = NULL;
	strv_free(g->issuers);
	g->issuers = NULL;
	free(g->scope);
	g->scope = NULL;
	free(g->oidc_url);
	g->oidc_url = NULL;
}

static enum ccauth_status glob_load(struct server_glob *g, const sasl_utils_t *utils, struct ccauth_error *err)
{
	const char *path = ccauth_config_default_path(ccauth_sasl_getopt(utils, "ccauth_config"));
	const char *names = ccauth_sasl_getopt(utils, "ccauth_issuers");
	const char *scope = ccauth_sasl_getopt(utils, "ccauth_scope");
	const struct ccauth_issuer_conf *one;
	struct ccauth_validator_opts opts = {0};
	enum ccauth_status st;

	/* the global log_level, read now that the application's config is loaded */
	ccauth_sasl_log_init(&g->log, g->utils);
	st = ccauth_config_load(path, &g->cfg, err);
	if (st != CCAUTH_OK)
		return st;
	if (names != NULL && (st = issuer_names(g->cfg, names, &g->issuers, err)) != CCAUTH_OK)
		return st;
	if (g->issuers == NULL && g->cfg->nissuers == 0)
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "%.128s: no [issuer] section", path);
	if (scope != NULL && (g->scope = strdup(scope)) == NULL)
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	one = single_issuer(g);
	if (one != NULL && strncmp(one->issuer, "https://", 8) == 0) {
		char *rfc8414 = NULL;

		/* best effort: without it the error JSON just omits the member */
		if (ccauth_discovery_urls(one->issuer, &rfc8414, &g->oidc_url, NULL) != CCAUTH_OK)
			g->oidc_url = NULL;
		free(rfc8414);
	}
	opts.issuers = (const char *const *)g->issuers;
	opts.log = &g->log.log;
	return ccauth_validator_new(g->cfg, &opts, &g->validator, err);
}

/* Load once; SASL_OK when ready.  On failure *why says why (for utils->log, never a token). */
static int glob_ready(struct server_glob *g, const sasl_utils_t *utils)
{
	struct ccauth_error err = {0};
	time_t now;
	int rc;

	pthread_mutex_lock(&g->lock);
	if (g->state == 1) {
		pthread_mutex_unlock(&g->lock);
		return SASL_OK;
	}
	now = time(NULL);
	if (g->state == -1 && now < g->retry_at) {
		pthread_mutex_unlock(&g->lock);
		return SASL_NOMECH;
	}
	if (glob_load(g, utils, &err) == CCAUTH_OK) {
		g->state = 1;
		rc = SASL_OK;
	} else {
		glob_unload(g);
		g->state = -1;
		g->retry_at = now + RETRY_SECONDS;
		ccauth_strlcpy(g->why, err.msg, sizeof(g->why));
		utils->log(utils->conn, SASL_LOG_ERR, "ccauth: OAUTHBEARER/XOAUTH2 unavailable: %s", g->why);
		rc = SASL_NOMECH;
	}
	pthread_mutex_unlock(&g->lock);
	return rc;
}

static int server_mech_avail(void *glob_context, sasl_server_params_t *sparams, void **conn_context)
{
	return glob_ready(glob_context, sparams->utils);
}

static int server_mech_new(void *glob_context, sasl_server_params_t *sparams, const char *challenge, unsigned challen,
                           void **conn_context)
{
	struct server_glob *g = glob_context;
	struct server_conn *c;

	if (conn_context == NULL)
		return SASL_BADPARAM;
	if (glob_ready(g, sparams->utils) != SASL_OK) {
		sparams->utils->seterror(sparams->utils->conn, 0, "ccauth: mechanism not configured");
		return SASL_NOMECH;
	}
	c = sparams->utils->malloc(sizeof(*c));
	if (c == NULL)
		return SASL_NOMEM;
	memset(c, 0, sizeof(*c));
	c->glob = g;
	*conn_context = c;
	return SASL_OK;
}

static void conn_clear_challenge(struct server_conn *c)
{
	free(c->challenge);
	c->challenge = NULL;
	c->challenge_len = 0;
}

static void server_mech_dispose(void *conn_context, const sasl_utils_t *utils)
{
	struct server_conn *c = conn_context;

	if (c == NULL)
		return;
	conn_clear_challenge(c);
	utils->free(c);
}

static void server_mech_free(void *glob_context, const sasl_utils_t *utils)
{
	struct server_glob *g = glob_context;
	int last;

	if (g == NULL)
		return;
	pthread_mutex_lock(&g->lock);
	last = --g->refs <= 0;
	pthread_mutex_unlock(&g->lock);
	if (!last)
		return;
	glob_unload(g);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

static const char *mech_name(enum ccauth_sasl_mech m)
{
	return m == CCAUTH_MECH_XOAUTH2 ? CCAUTH_SASL_XOAUTH2 : CCAUTH_SASL_OAUTHBEARER;
}

/* The mapped identity as authid; a different requested authzid (GS2 a=, XOAUTH2 user=) goes
 * through canon_user and then libsasl's proxy authorization after this step returns. */
static int set_identity(sasl_server_params_t *sp, const char *user, const char *authzid, sasl_out_params_t *op)
{
	int rc;

	if (authzid == NULL || *authzid == '\0' || strcmp(authzid, user) == 0) {
		rc = sp->canon_user(sp->utils->conn, user, 0,
		                    SASL_CU_AUTHID | SASL_CU_AUTHZID | SASL_CU_EXTERNALLY_VERIFIED, op);
	} else {
		rc = sp->canon_user(sp->utils->conn, user, 0, SASL_CU_AUTHID | SASL_CU_EXTERNALLY_VERIFIED, op);
		/* an authzid unknown to the auxprop store is not a failure here: whether the token's
		 * identity may act as it is the proxy policy's decision, made after this step */
		if (rc == SASL_OK)
			rc = sp->canon_user(sp->utils->conn, authzid, 0, SASL_CU_AUTHZID | SASL_CU_EXTERNALLY_VERIFIED,
			                    op);
	}
	if (rc != SASL_OK)
		return rc;
	ccauth_sasl_oparams_done(op);
	return SASL_OK;
}

/* A rejected token: remember and send the error challenge, then wait for the client's ack. */
static int send_error(struct server_glob *g, struct server_conn *c, sasl_server_params_t *sp, const char **out,
                      unsigned *outlen)
{
	struct ccauth_error err = {0};
	enum ccauth_status st;

	conn_clear_challenge(c);
	if (c->mech == CCAUTH_MECH_XOAUTH2)
		st = ccauth_xoauth2_build_error(g->scope, &c->challenge, &c->challenge_len, &err);
	else
		st = ccauth_gs2_build_error("invalid_token", g->scope, g->oidc_url, &c->challenge, &c->challenge_len,
		                            &err);
	if (st != CCAUTH_OK)
		return ccauth_sasl_result(st);
	c->state = ST_ERROR_SENT;
	*out = c->challenge;
	*outlen = (unsigned)c->challenge_len;
	return SASL_CONTINUE;
}

static int error_ack(struct server_conn *c, sasl_server_params_t *sp, const char *in, unsigned inlen)
{
	conn_clear_challenge(c);
	/* XOAUTH2 clients answer the error with an empty response; OAUTHBEARER with exactly \x01 */
	if (c->mech == CCAUTH_MECH_XOAUTH2 && inlen == 0) {
	} else if (in == NULL || ccauth_gs2_parse_error_ack(in, inlen, NULL) != CCAUTH_OK) {
		sp->utils->seterror(sp->utils->conn, 0, "%s: bad answer to the error challenge", mech_name(c->mech));
		return SASL_BADPROT;
	}
	sp->utils->seterror(sp->utils->conn, 0, "%s: token rejected", mech_name(c->mech));
	return SASL_BADAUTH;
}

static int step(struct server_conn *c, sasl_server_params_t *sp, const char *in, unsigned inlen, const char **out,
                unsigned *outlen, sasl_out_params_t *op)
{
	struct server_glob *g = c->glob;
	struct ccauth_oauthbearer_msg ob = {0};
	struct ccauth_xoauth2_msg xo = {0};
	struct ccauth_error err = {0};
	const struct ccauth_identity *id = NULL;
	const char *token, *authzid;
	size_t tlen;
	unsigned scan;
	char fpr[CCAUTH_FPR_HEXLEN + 1];
	enum ccauth_status st;
	int rc, level;

	if (c->state == ST_ERROR_SENT)
		return error_ack(c, sp, in, inlen);
	if (in == NULL || inlen == 0) {
		/* An absent initial response never gets here: libsasl answers it with the empty
		 * challenge itself (SASL_FEAT_WANT_CLIENT_FIRST; lib/server.c sasl_server_start calls
		 * mech_step only when clientin is not NULL).  So this is an empty message the client
		 * sent, initial or after that challenge, and no client-resp is empty (RFC 7628 3.1). */
		sp->utils->seterror(sp->utils->conn, 0, "%s: empty client response", mech_name(c->mech));
		return SASL_BADPROT;
	}
	if (c->mech == CCAUTH_MECH_XOAUTH2) {
		st = ccauth_xoauth2_parse_client(in, inlen, &xo, &err);
		token = xo.token;
		tlen = xo.token_len;
		scan = xo.token_scan;
		authzid = xo.user;
	} else {
		st = ccauth_gs2_parse_client(in, inlen, &ob, &err);
		token = ob.token;
		tlen = ob.token_len;
		scan = ob.token_scan;
		authzid = ob.authzid;
	}
	if (st != CCAUTH_OK) {
		/* err.msg names an offset, never input bytes */
		sp->utils->seterror(sp->utils->conn, 0, "%s: %s", mech_name(c->mech), err.msg);
		rc = ccauth_sasl_result(st); /* CCAUTH_E_MALFORMED: SASL_BADPROT */
		goto out;
	}
	if (c->mech == CCAUTH_MECH_OAUTHBEARER && ob.cred != CCAUTH_GS2_CRED_BEARER) {
		/* a discovery request (empty auth) is routine for libpq-style clients: debug only */
		level = ob.cred == CCAUTH_GS2_CRED_EMPTY ? SASL_LOG_DEBUG : SASL_LOG_FAIL;
		if (ccauth_sasl_log_wants(sp->log_level, level))
			sp->utils->log(sp->utils->conn, level, "ccauth: %s %s: sending the error challenge",
			               mech_name(c->mech),
			               ob.cred == CCAUTH_GS2_CRED_EMPTY ? "discovery request (empty auth)"
			                                                : "auth is not Bearer b64token");
		rc = send_error(g, c, sp, out, outlen);
		goto out;
	}
	/* the core's own lines (keys, introspection) go to this connection at its level */
	ccauth_sasl_log_enter(sp->utils, sp->log_level);
	st = ccauth_validate_scanned(g->validator, token, tlen, scan, (int64_t)time(NULL), &id, &err);
	ccauth_sasl_log_leave();
	if (st == CCAUTH_OK) {
		if (ccauth_sasl_log_wants(sp->log_level, SASL_LOG_NOTE))
			sp->utils->log(sp->utils->conn, SASL_LOG_NOTE,
			               "ccauth: %s accepted token %s for %s (issuer %s)", mech_name(c->mech), id->fpr,
			               id->user, id->issuer_name);
		rc = set_identity(sp, id->user, authzid, op);
		ccauth_identity_release(id);
		goto out;
	}
	level = ccauth_status_is_rejection(st) ? SASL_LOG_FAIL : SASL_LOG_ERR;
	if (ccauth_sasl_log_wants(sp->log_level, level)) {
		ccauth_fingerprint(token, tlen, fpr);
		sp->utils->log(sp->utils->conn, level, "ccauth: %s rejected token %s: %s: %s", mech_name(c->mech), fpr,
		               ccauth_status_reason(st), err.msg);
	}
	if (ccauth_status_is_rejection(st))
		rc = send_error(g, c, sp, out, outlen);
	else {
		sp->utils->seterror(sp->utils->conn, 0, "%s: %s", mech_name(c->mech), ccauth_status_reason(st));
		rc = ccauth_sasl_result(st);
	}
out:
	ccauth_gs2_msg_clear(&ob);
	ccauth_xoauth2_msg_clear(&xo);
	return rc;
}

static int server_mech_step(void *conn_context, sasl_server_params_t *sp, const char *in, unsigned inlen,
                            const char **out, unsigned *outlen, sasl_out_params_t *op)
{
	struct server_conn *c = conn_context;
	int rc;

	*out = NULL;
	*outlen = 0;
	/* NULL: libsasl disposed the context after a failed sasl_server_start and the application
	 * stepped on anyway */
	if (c == NULL || c->state == ST_FINISHED) {
		sp->utils->seterror(sp->utils->conn, 0, "ccauth: step after the end of the exchange");
		return SASL_BADPROT;
	}
	rc = step(c, sp, in, inlen, out, outlen, op);
	if (rc != SASL_CONTINUE) {
		conn_clear_challenge(c);
		c->state = ST_FINISHED;
	}
	return rc;
}

static int oauthbearer_new(void *glob_context, sasl_server_params_t *sparams, const char *challenge, unsigned challen,
                           void **conn_context)
{
	int rc = server_mech_new(glob_context, sparams, challenge, challen, conn_context);

	if (rc == SASL_OK)
		((struct server_conn *)*conn_context)->mech = CCAUTH_MECH_OAUTHBEARER;
	return rc;
}

static int xoauth2_new(void *glob_context, sasl_server_params_t *sparams, const char *challenge, unsigned challen,
                       void **conn_context)
{
	int rc = server_mech_new(glob_context, sparams, challenge, challen, conn_context);

	if (rc == SASL_OK)
		((struct server_conn *)*conn_context)->mech = CCAUTH_MECH_XOAUTH2;
	return rc;
}

static const sasl_server_plug_t server_template[2] = {
    {
        .mech_name = CCAUTH_SASL_OAUTHBEARER,
        .max_ssf = 0,
        .security_flags = CCAUTH_SASL_SEC_FLAGS,
        .features = CCAUTH_SASL_FEATURES,
        .mech_new = oauthbearer_new,
        .mech_step = server_mech_step,
        .mech_dispose = server_mech_dispose,
        .mech_free = server_mech_free,
        .mech_avail = server_mech_avail,
    },
    {
        .mech_name = CCAUTH_SASL_XOAUTH2,
        .max_ssf = 0,
        .security_flags = CCAUTH_SASL_SEC_FLAGS,
        .features = CCAUTH_SASL_FEATURES,
        .mech_new = xoauth2_new,
        .mech_step = server_mech_step,
        .mech_dispose = server_mech_dispose,
        .mech_free = server_mech_free,
        .mech_avail = server_mech_avail,
    },
};

int ccauth_sasl_server_plugs(const sasl_utils_t *utils, sasl_server_plug_t **pluglist, int *plugcount)
{
	struct server_glob *g = calloc(1, sizeof(*g));

	if (g == NULL)
		return SASL_NOMEM;
	if (pthread_mutex_init(&g->lock, NULL) != 0) {
		free(g);
		return SASL_FAIL;
	}
	memcpy(g->plugs, server_template, sizeof(g->plugs));
	g->plugs[0].glob_context = g;
	g->plugs[1].glob_context = g;
	g->refs = 2;
	g->utils = utils;
	ccauth_sasl_log_init(&g->log, utils);
	*pluglist = g->plugs;
	*plugcount = 2;
	return SASL_OK;
}
