/* Client side of OAUTHBEARER (RFC 7628) and XOAUTH2.
 *
 * The token comes from a [client NAME] section (design.md "SASL"): NAME from the ccauth_client
 * option, else $CCAUTH_CLIENT, else the authname when a section of that name or client_id exists,
 * else the only [client] section.  The token is taken from the shared memory + disk cache
 * (common/token.h) or fetched with the client-credentials grant.  With no usable section the
 * application's password (ldapwhoami -w, SASL_CB_PASS) is the bearer token.
 *
 * Exchange: send the initial response and return SASL_CONTINUE; an empty server answer (or the
 * protocol's success) ends it with SASL_OK.  An error challenge is parsed, the cached token
 * dropped so the next bind fetches a fresh one, and answered with \x01 (XOAUTH2: empty); the
 * server then fails the exchange.
 */
#include "autoconf.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "gs2.h"
#include "plugin.h"
#include "token.h"
#include "util.h"

#define MAX_NAME 1024

struct client_glob {
	sasl_client_plug_t plugs[2];
	pthread_mutex_t lock;
	int refs;
	struct ccauth_sasl_log log;
	/* the config of the first exchange, kept for the life of the plugin (the token cache lives
	 * in tokens); an exchange naming another file loads its own copy */
	char *path;
	struct ccauth_config *cfg;
	struct ccauth_tokens *tokens;
};

enum { ST_START, ST_SENT, ST_ACKED, ST_FAILED };

struct client_conn {
	struct client_glob *glob;
	enum ccauth_sasl_mech mech;
	int state;
	struct ccauth_config *own_cfg; /* when the exchange's config path differs from the glob's */
	struct ccauth_tokens *own_tokens;
	const struct ccauth_config *cfg;
	struct ccauth_tokens *tokens;
	const struct ccauth_client_conf *client; /* NULL: password mode */
	int decided;                             /* client (or password mode) chosen */
	char *authname;                          /* copies of the prompt/callback answers */
	char *authzid;
	char *out; /* the message sent: holds the token, wiped */
	size_t outlen;
};

static const char *mech_name(enum ccauth_sasl_mech m)
{
	return m == CCAUTH_MECH_XOAUTH2 ? CCAUTH_SASL_XOAUTH2 : CCAUTH_SASL_OAUTHBEARER;
}

/* ---- configuration and token context ---- */

static enum ccauth_status load_pair(const char *path, const struct ccauth_log *log, struct ccauth_config **cfg,
                                    struct ccauth_tokens **tokens, struct ccauth_error *err)
{
	struct ccauth_tokens_opts opts = {0};
	enum ccauth_status st;

	st = ccauth_config_load(path, cfg, err);
	if (st != CCAUTH_OK)
		return st;
	opts.log = log;
	st = ccauth_tokens_new(*cfg, &opts, tokens, err);
	if (st != CCAUTH_OK) {
		ccauth_config_free(*cfg);
		*cfg = NULL;
	}
	return st;
}

/* Point c->cfg/c->tokens at the config for this exchange.  A config that cannot be loaded is
 * not an error here: the client then has no usable section and falls back to the password. */
static void conn_config(struct client_conn *c, const sasl_utils_t *utils)
{
	struct client_glob *g = c->glob;
	const char *path = ccauth_config_default_path(ccauth_sasl_getopt(utils, "ccauth_config"));
	struct ccauth_error err = {0};
	enum ccauth_status st = CCAUTH_OK;
	int loaded;

	pthread_mutex_lock(&g->lock);
	if (g->cfg == NULL) {
		st = load_pair(path, &g->log.log, &g->cfg, &g->tokens, &err);
		if (st == CCAUTH_OK && (g->path = strdup(path)) == NULL) {
			ccauth_tokens_free(g->tokens);
			g->tokens = NULL;
			ccauth_config_free(g->cfg);
			g->cfg = NULL;
			st = ccauth_error_set(&err, CCAUTH_E_NOMEM, "out of memory");
		}
	}
	if (g->cfg != NULL && strcmp(g->path, path) == 0) {
		c->cfg = g->cfg;
		c->tokens = g->tokens;
		pthread_mutex_unlock(&g->lock);
		return;
	}
	loaded = g->cfg != NULL; /* read under the lock: another thread may be loading it */
	pthread_mutex_unlock(&g->lock);
	if (loaded) /* loaded, but another file: this exchange's own copy */
		st = load_pair(path, &g->log.log, &c->own_cfg, &c->own_tokens, &err);
	if (st == CCAUTH_OK) {
		c->cfg = c->own_cfg;
		c->tokens = c->own_tokens;
	} else {
		utils->log(utils->conn, SASL_LOG_DEBUG, "ccauth: no client configuration (%s)", err.msg);
	}
}

/* ---- callbacks and SASL_INTERACT ---- */

static sasl_interact_t *find_prompt(sasl_interact_t **prompts, unsigned long id)
{
	if (prompts == NULL || *prompts == NULL)
		return NULL;
	for (sasl_interact_t *p = *prompts; p->id != SASL_CB_LIST_END; p++)
		if (p->id == id)
			return p;
	return NULL;
}

/* SASL_OK (*res may be NULL: not given), SASL_INTERACT (ask the application) or an error. */
static int get_simple(const sasl_utils_t *utils, sasl_interact_t **prompts, unsigned long id, const char **res)
{
	sasl_interact_t *p = find_prompt(prompts, id);
	sasl_getsimple_t *cb = NULL;
	void *ctx = NULL;
	unsigned len = 0;
	int rc;

	*res = NULL;
	if (p != NULL) {
		*res = p->result;
		return SASL_OK;
	}
	rc = utils->getcallback(utils->conn, id, (sasl_callback_ft *)&cb, &ctx);
	if (rc == SASL_INTERACT)
		return prompts != NULL ? SASL_INTERACT : SASL_OK;
	if (rc != SASL_OK || cb == NULL)
		return SASL_OK;
	rc = cb(ctx, (int)id, res, &len);
	return rc == SASL_OK ? SASL_OK : rc;
}

/* The application's password as (ptr,len) borrowed from the prompt or the callback's secret. */
static int get_pass(const sasl_utils_t *utils, sasl_interact_t **prompts, const char **res, size_t *len)
{
	sasl_interact_t *p = find_prompt(prompts, SASL_CB_PASS);
	sasl_getsecret_t *cb = NULL;
	sasl_secret_t *secret = NULL;
	void *ctx = NULL;
	int rc;

	*res = NULL;
	*len = 0;
	if (p != NULL) {
		if (p->result != NULL) {
			*res = p->result;
			*len = p->len != 0 ? p->len : strlen(p->result);
		}
		return SASL_OK;
	}
	rc = utils->getcallback(utils->conn, SASL_CB_PASS, (sasl_callback_ft *)&cb, &ctx);
	if (rc == SASL_INTERACT)
		return prompts != NULL ? SASL_INTERACT : SASL_OK;
	if (rc != SASL_OK || cb == NULL)
		return SASL_OK;
	rc = cb(utils->conn, ctx, SASL_CB_PASS, &secret);
	if (rc != SASL_OK)
		return rc;
	if (secret != NULL) {
		*res = (const char *)secret->data;
		*len = secret->len;
	}
	return SASL_OK;
}

static int keep_copy(const sasl_utils_t *utils, const char *s, char **dst)
{
	size_t len;

	if (s == NULL || *dst != NULL)
		return SASL_OK;
	len = strnlen(s, MAX_NAME + 1);
	if (len > MAX_NAME)
		return SASL_BADPARAM;
	*dst = utils->malloc(len + 1);
	if (*dst == NULL)
		return SASL_NOMEM;
	memcpy(*dst, s, len + 1);
	return SASL_OK;
}

/* Ask for what is missing.  ids: SASL_CB_* terminated by 0. */
static int make_prompts(const sasl_utils_t *utils, sasl_interact_t **prompt_need, const unsigned long *ids)
{
	size_t n = 0;
	sasl_interact_t *p;

	while (ids[n] != 0)
		n++;
	p = utils->malloc((n + 1) * sizeof(*p));
	if (p == NULL)
		return SASL_NOMEM;
	memset(p, 0, (n + 1) * sizeof(*p));
	for (size_t i = 0; i < n; i++) {
		p[i].id = ids[i];
		p[i].challenge = "OAuth 2.0 bearer token";
		p[i].prompt = ids[i] == SASL_CB_PASS       ? "Access token"
		              : ids[i] == SASL_CB_AUTHNAME ? "Client name"
		                                           : "Authorization name";
	}
	p[n].id = SASL_CB_LIST_END;
	*prompt_need = p;
	return SASL_INTERACT;
}

/* The section NAME names; authname matches a section name or a client_id. */
static const struct ccauth_client_conf *client_by_authname(const struct ccauth_config *cfg, const char *authname)
{
	const struct ccauth_client_conf *cc = ccauth_config_client(cfg, authname);

	if (cc != NULL)
		return cc;
	for (size_t i = 0; i < cfg->nclients; i++)
		if (cfg->clients[i].client_id != NULL && strcmp(cfg->clients[i].client_id, authname) == 0)
			return &cfg->clients[i];
	return NULL;
}

/* ---- the exchange ---- */

static int client_mech_new(void *glob_context, sasl_client_params_t *params, void **conn_context)
{
	struct client_conn *c;

	if (conn_context == NULL)
		return SASL_BADPARAM;
	c = params->utils->malloc(sizeof(*c));
	if (c == NULL)
		return SASL_NOMEM;
	memset(c, 0, sizeof(*c));
	c->glob = glob_context;
	*conn_context = c;
	return SASL_OK;
}

static int oauthbearer_new(void *glob_context, sasl_client_params_t *params, void **conn_context)
{
	int rc = client_mech_new(glob_context, params, conn_context);

	if (rc == SASL_OK)
		((struct client_conn *)*conn_context)->mech = CCAUTH_MECH_OAUTHBEARER;
	return rc;
}

static int xoauth2_new(void *glob_context, sasl_client_params_t *params, void **conn_context)
{
	int rc = client_mech_new(glob_context, params, conn_context);

	if (rc == SASL_OK)
		((struct client_conn *)*conn_context)->mech = CCAUTH_MECH_XOAUTH2;
	return rc;
}

static void conn_clear_out(struct client_conn *c)
{
	ccauth_free_secret(c->out, c->outlen);
	c->out = NULL;
	c->outlen = 0;
}

static void client_mech_dispose(void *conn_context, const sasl_utils_t *utils)
{
	struct client_conn *c = conn_context;

	if (c == NULL)
		return;
	conn_clear_out(c);
	ccauth_tokens_free(c->own_tokens);
	ccauth_config_free(c->own_cfg);
	utils->free(c->authname);
	utils->free(c->authzid);
	utils->free(c);
}

static void client_mech_free(void *glob_context, const sasl_utils_t *utils)
{
	struct client_glob *g = glob_context;
	int last;

	if (g == NULL)
		return;
	pthread_mutex_lock(&g->lock);
	last = --g->refs <= 0;
	pthread_mutex_unlock(&g->lock);
	if (!last)
		return;
	ccauth_tokens_free(g->tokens);
	ccauth_config_free(g->cfg);
	free(g->path);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

/* The port from SASL_IPREMOTEPORT ("addr;port"), 0 when unknown.  Read from the params, where
 * libsasl keeps it (as its own Kerberos plugins do): utils->getprop of a property the application
 * never set formats an error message first (2.3k instructions per bind over ldapi). */
static unsigned remote_port(const sasl_client_params_t *params)
{
	const char *v = params->ipremoteport;
	const char *semi;
	unsigned port = 0;

	if (v == NULL)
		return 0;
	semi = strrchr(v, ';');
	if (semi == NULL || semi[1] == '\0')
		return 0;
	for (const char *p = semi + 1; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || port > 6553)
			return 0;
		port = port * 10 + (unsigned)(*p - '0');
	}
	return port <= 65535 ? port : 0;
}

/* The [client] section named by the ccauth_client option or $CCAUTH_CLIENT: SASL_OK with
 * *named 0 when neither is set, SASL_FAIL when the named section does not exist. */
static int named_client(struct client_conn *c, const sasl_utils_t *utils, int *named)
{
	const char *name = ccauth_sasl_getopt(utils, "ccauth_client");

	if (name == NULL)
		name = secure_getenv("CCAUTH_CLIENT");
	*named = name != NULL && *name != '\0';
	if (!*named)
		return SASL_OK;
	c->client = c->cfg != NULL ? ccauth_config_client(c->cfg, name) : NULL;
	if (c->client == NULL) {
		utils->seterror(utils->conn, 0, "ccauth: no [client %.64s] in the configuration", name);
		return SASL_FAIL;
	}
	return SASL_OK;
}

static int finish_identity(struct client_conn *c, sasl_client_params_t *params, sasl_out_params_t *oparams)
{
	const char *authid = c->authname;
	int rc;

	if (authid == NULL || *authid == '\0')
		authid = c->client != NULL && c->client->client_id != NULL ? c->client->client_id : NULL;
	if (authid == NULL || *authid == '\0')
		authid = c->authzid != NULL && *c->authzid != '\0' ? c->authzid : "bearer";
	if (c->authzid != NULL && *c->authzid != '\0' && strcmp(c->authzid, authid) != 0) {
		rc = params->canon_user(params->utils->conn, authid, 0, SASL_CU_AUTHID, oparams);
		if (rc == SASL_OK)
			rc = params->canon_user(params->utils->conn, c->authzid, 0, SASL_CU_AUTHZID, oparams);
	} else {
		rc = params->canon_user(params->utils->conn, authid, 0, SASL_CU_AUTHID | SASL_CU_AUTHZID, oparams);
	}
	return rc;
}

static int first_message(struct client_conn *c, sasl_client_params_t *params, sasl_interact_t **prompt_need,
                         const char **clientout, unsigned *clientoutlen, sasl_out_params_t *oparams)
{
	const sasl_utils_t *utils = params->utils;
	const char *authname = NULL, *authzid = NULL, *pass = NULL, *user;
	size_t passlen = 0;
	struct ccauth_token *tok = NULL;
	struct ccauth_error err = {0};
	enum ccauth_status st;
	int rc_authname = SASL_OK, rc_authzid = SASL_OK, rc_pass = SASL_OK, rc;
	unsigned long ask[4] = {0};
	size_t nask = 0;

	if (params->props.min_ssf > params->external_ssf) {
		utils->seterror(utils->conn, 0, "%s: no security layer; SSF requested", mech_name(c->mech));
		return SASL_TOOWEAK;
	}
	if (c->cfg == NULL && c->own_cfg == NULL)
		conn_config(c, utils);

	if (c->authzid == NULL) {
		rc_authzid = get_simple(utils, prompt_need, SASL_CB_USER, &authzid);
		if (rc_authzid != SASL_OK && rc_authzid != SASL_INTERACT)
			return rc_authzid;
		if ((rc = keep_copy(utils, authzid, &c->authzid)) != SASL_OK)
			return rc;
	}
	if (!c->decided) {
		int named;

		if ((rc = named_client(c, utils, &named)) != SASL_OK)
			return rc;
		if (named)
			c->decided = 1;
		else if (c->cfg == NULL || c->cfg->nclients <= 1) {
			/* none: password mode; one: an authname could only pick that one too */
			c->client = c->cfg != NULL && c->cfg->nclients == 1 ? &c->cfg->clients[0] : NULL;
			c->decided = 1;
		} else {
			/* several sections: the authname picks one (name or client_id), else the password */
			rc_authname = get_simple(utils, prompt_need, SASL_CB_AUTHNAME, &authname);
			if (rc_authname != SASL_OK && rc_authname != SASL_INTERACT)
				return rc_authname;
			if ((rc = keep_copy(utils, authname, &c->authname)) != SASL_OK)
				return rc;
			if (rc_authname == SASL_OK) {
				c->client = c->authname != NULL ? client_by_authname(c->cfg, c->authname) : NULL;
				c->decided = 1;
			}
		}
	}
	if (c->decided && c->client == NULL) {
		/* password mode; XOAUTH2 also needs the user name */
		rc_pass = get_pass(utils, prompt_need, &pass, &passlen);
		if (rc_pass != SASL_OK && rc_pass != SASL_INTERACT)
			return rc_pass;
		if (c->mech == CCAUTH_MECH_XOAUTH2 && c->authname == NULL) {
			rc_authname = get_simple(utils, prompt_need, SASL_CB_AUTHNAME, &authname);
			if (rc_authname != SASL_OK && rc_authname != SASL_INTERACT)
				return rc_authname;
			if ((rc = keep_copy(utils, authname, &c->authname)) != SASL_OK)
				return rc;
		}
	}
	if (rc_authzid == SASL_INTERACT)
		ask[nask++] = SASL_CB_USER;
	if (rc_authname == SASL_INTERACT)
		ask[nask++] = SASL_CB_AUTHNAME;
	if (rc_pass == SASL_INTERACT)
		ask[nask++] = SASL_CB_PASS;
	if (nask > 0) {
		/* the prompt results we read were copied (the password is asked again): the old
		 * list can go */
		if (prompt_need != NULL && *prompt_need != NULL) {
			utils->free(*prompt_need);
			*prompt_need = NULL;
		}
		return make_prompts(utils, prompt_need, ask);
	}

	if (c->client != NULL) {
		st = ccauth_token_get(c->tokens, c->client, (int64_t)time(NULL), 0, &tok, &err);
		if (st != CCAUTH_OK) {
			utils->seterror(utils->conn, 0, "ccauth: no token for [client %.64s]: %s", c->client->name,
			                err.msg);
			rc = ccauth_sasl_result(st);
			goto fail;
		}
		pass = tok->access_token;
		passlen = tok->len;
	} else if (pass == NULL || passlen == 0) {
		utils->seterror(utils->conn, 0, "%s: no [client] section and no password to use as the token",
		                mech_name(c->mech));
		rc = SASL_BADPARAM;
		goto fail;
	}

	conn_clear_out(c);
	if (c->mech == CCAUTH_MECH_XOAUTH2) {
		user = c->authname != NULL && *c->authname != '\0' ? c->authname
		       : c->client != NULL                         ? c->client->client_id
		                                                   : NULL;
		if (user == NULL) {
			utils->seterror(utils->conn, 0, "XOAUTH2: no user name");
			rc = SASL_BADPARAM;
			goto fail;
		}
		st = ccauth_xoauth2_build_client(user, pass, passlen, &c->out, &c->outlen, &err);
	} else {
		unsigned port = remote_port(params);
		const char *host = params->serverFQDN;

		st = ccauth_gs2_build_client(c->authzid, host, port, pass, passlen, &c->out, &c->outlen, &err);
		if (st == CCAUTH_E_MALFORMED && host != NULL) /* a host name the grammar refuses: leave it out */
			st = ccauth_gs2_build_client(c->authzid, NULL, port, pass, passlen, &c->out, &c->outlen, &err);
	}
	ccauth_token_free(tok);
	tok = NULL;
	if (st != CCAUTH_OK) {
		utils->seterror(utils->conn, 0, "%s: %s", mech_name(c->mech), err.msg);
		rc = ccauth_sasl_result(st);
		goto fail;
	}
	rc = finish_identity(c, params, oparams);
	if (rc != SASL_OK)
		goto fail;
	if (prompt_need != NULL && *prompt_need != NULL) {
		utils->free(*prompt_need);
		*prompt_need = NULL;
	}
	c->state = ST_SENT;
	*clientout = c->out;
	*clientoutlen = (unsigned)c->outlen;
	return SASL_CONTINUE;
fail:
	ccauth_token_free(tok);
	return rc;
}

static int step(void *conn_context, sasl_client_params_t *params, const char *serverin, unsigned serverinlen,
                sasl_interact_t **prompt_need, const char **clientout, unsigned *clientoutlen,
                sasl_out_params_t *oparams)
{
	struct client_conn *c = conn_context;
	const sasl_utils_t *utils = params->utils;
	struct ccauth_oauth_challenge ch = {0};
	struct ccauth_error err = {0};

	*clientout = NULL;
	*clientoutlen = 0;
	switch (c->state) {
	case ST_START: {
		int rc = first_message(c, params, prompt_need, clientout, clientoutlen, oparams);

		/* a failure after SASL_INTERACT: the prompt list we made is ours to free */
		if (rc != SASL_INTERACT && rc != SASL_CONTINUE && prompt_need != NULL && *prompt_need != NULL) {
			utils->free(*prompt_need);
			*prompt_need = NULL;
		}
		return rc;
	}
	case ST_SENT:
		conn_clear_out(c);
		if (serverin == NULL || serverinlen == 0) {
			/* no error challenge: the server accepted */
			ccauth_sasl_oparams_done(oparams);
			return SASL_OK;
		}
		if (ccauth_gs2_parse_challenge(serverin, serverinlen, &ch, &err) != CCAUTH_OK) {
			utils->seterror(utils->conn, 0, "%s: bad server challenge: %s", mech_name(c->mech), err.msg);
			c->state = ST_FAILED; /* a later step must not report success */
			return SASL_BADPROT;
		}
		/* the server refused the token: the next bind must not get it again */
		if (c->client != NULL && ccauth_token_invalidate(c->tokens, c->client, &err) != CCAUTH_OK)
			utils->log(utils->conn, SASL_LOG_WARN, "ccauth: could not drop the cached token: %s", err.msg);
		utils->seterror(utils->conn, 0, "%s: server rejected the token: status %.64s%s%.128s",
		                mech_name(c->mech), ch.status != NULL ? ch.status : "?",
		                ch.scope != NULL ? ", scope " : "", ch.scope != NULL ? ch.scope : "");
		ccauth_gs2_challenge_clear(&ch);
		c->state = ST_ACKED;
		if (c->mech == CCAUTH_MECH_XOAUTH2) {
			*clientout = "";
			*clientoutlen = 0;
		} else {
			*clientout = "\x01";
			*clientoutlen = 1;
		}
		return SASL_CONTINUE;
	default:
		utils->seterror(utils->conn, 0, "%s: exchange continued after it failed", mech_name(c->mech));
		return SASL_BADAUTH;
	}
}

/* The core's messages (token fetch, cache) go to this connection at its log_level. */
static int client_mech_step(void *conn_context, sasl_client_params_t *params, const char *serverin,
                            unsigned serverinlen, sasl_interact_t **prompt_need, const char **clientout,
                            unsigned *clientoutlen, sasl_out_params_t *oparams)
{
	int rc;

	ccauth_sasl_log_enter(params->utils, params->log_level);
	rc = step(conn_context, params, serverin, serverinlen, prompt_need, clientout, clientoutlen, oparams);
	ccauth_sasl_log_leave();
	return rc;
}

/* nothing is required up front: a fetched token needs no prompt (NULL would mean libsasl's
 * default, authname and password) */
static const unsigned long no_prompts[] = {SASL_CB_LIST_END};

static const sasl_client_plug_t client_template[2] = {
    {
        .mech_name = CCAUTH_SASL_OAUTHBEARER,
        .max_ssf = 0,
        .security_flags = CCAUTH_SASL_SEC_FLAGS,
        .features = CCAUTH_SASL_FEATURES,
        .required_prompts = no_prompts,
        .mech_new = oauthbearer_new,
        .mech_step = client_mech_step,
        .mech_dispose = client_mech_dispose,
        .mech_free = client_mech_free,
    },
    {
        .mech_name = CCAUTH_SASL_XOAUTH2,
        .max_ssf = 0,
        .security_flags = CCAUTH_SASL_SEC_FLAGS,
        .features = CCAUTH_SASL_FEATURES,
        .required_prompts = no_prompts,
        .mech_new = xoauth2_new,
        .mech_step = client_mech_step,
        .mech_dispose = client_mech_dispose,
        .mech_free = client_mech_free,
    },
};

int ccauth_sasl_client_plugs(const sasl_utils_t *utils, sasl_client_plug_t **pluglist, int *plugcount)
{
	struct client_glob *g = calloc(1, sizeof(*g));

	if (g == NULL)
		return SASL_NOMEM;
	if (pthread_mutex_init(&g->lock, NULL) != 0) {
		free(g);
		return SASL_FAIL;
	}
	memcpy(g->plugs, client_template, sizeof(g->plugs));
	g->plugs[0].glob_context = g;
	g->plugs[1].glob_context = g;
	g->refs = 2;
	ccauth_sasl_log_init(&g->log, utils);
	*pluglist = g->plugs;
	*plugcount = 2;
	return SASL_OK;
}
