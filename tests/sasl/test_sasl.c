/* The SASL plugin driven through the real libsasl2, in one process: sasl_client_new and
 * sasl_server_new with SASL_CB_GETPATH pointing at the build tree's sasl/.libs and a
 * SASL_CB_GETOPT callback naming the test config.  Tokens are minted here with a fresh RSA key.
 *
 * Covers: success (OAUTHBEARER and XOAUTH2, callbacks and SASL_INTERACT), the RFC 7628 error round
 * trip for expired / wrong-audience / forged tokens, malformed client messages fed straight to
 * the server (exact result codes), authzid escaping and proxy authorization, mech_avail without
 * an issuer, and that no log line or error text carries token text.
 */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <sasl/sasl.h>
#include <sasl/saslplug.h> /* sasl_callback_ft */

#include "config.h"
#include "testutil.h"

#ifndef TOP_BUILDDIR
#error TOP_BUILDDIR
#endif

#define ISS "https://as.test/tenant"
#define AUD "ldap://ldap.test"
#define KV  "\x01"
/* libsasl callbacks are stored as int (*)(void); void (*)(void) converts without a warning */
#define CB(f) ((sasl_callback_ft)(void (*)(void))(f))

static EVP_PKEY *key, *other_key;
static char *conf_path, *conf_noissuer_path;
static char *good, *expired, *wrong_aud, *forged, *svc2;

/* options answered by the global getopt callback */
static const char *opt_config, *opt_scope, *opt_client, *opt_issuers;

/* every log line libsasl and the plugin wrote during a test */
static char logbuf[65536];
static size_t loglen;

static int cb_getpath(void *ctx, const char **path)
{
	*path = TOP_BUILDDIR "/sasl/.libs";
	return SASL_OK;
}

static int cb_getopt(void *ctx, const char *plugin, const char *option, const char **result, unsigned *len)
{
	const char *v = NULL;

	if (strcmp(option, "ccauth_config") == 0)
		v = opt_config;
	else if (strcmp(option, "ccauth_scope") == 0)
		v = opt_scope;
	else if (strcmp(option, "ccauth_client") == 0)
		v = opt_client;
	else if (strcmp(option, "ccauth_issuers") == 0)
		v = opt_issuers;
	else if (strcmp(option, "log_level") == 0)
		v = "7";
	if (v == NULL)
		return SASL_FAIL;
	*result = v;
	if (len)
		*len = (unsigned)strlen(v);
	return SASL_OK;
}

static int cb_log(void *ctx, int level, const char *msg)
{
	size_t n = strlen(msg);

	if (loglen + n + 2 < sizeof(logbuf)) {
		memcpy(logbuf + loglen, msg, n);
		loglen += n;
		logbuf[loglen++] = '\n';
		logbuf[loglen] = '\0';
	}
	return SASL_OK;
}

static sasl_callback_t global_cbs[] = {
    {SASL_CB_GETPATH, CB(cb_getpath), NULL},
    {SASL_CB_GETOPT, CB(cb_getopt), NULL},
    {SASL_CB_LOG, CB(cb_log), NULL},
    {SASL_CB_LIST_END, NULL, NULL},
};

/* ---- the client's answers ---- */

struct creds {
	const char *authname; /* NULL: no callback */
	const char *authzid;
	const char *pass;
	int interact; /* 1: register no callbacks, answer SASL_INTERACT prompts instead */
};

static int cb_simple(void *ctx, int id, const char **result, unsigned *len)
{
	const struct creds *c = ctx;
	const char *v = id == SASL_CB_AUTHNAME ? c->authname : c->authzid;

	*result = v != NULL ? v : "";
	if (len)
		*len = (unsigned)strlen(*result);
	return SASL_OK;
}

static int cb_pass(sasl_conn_t *conn, void *ctx, int id, sasl_secret_t **psecret)
{
	static __thread sasl_secret_t *s;
	const struct creds *c = ctx;
	size_t n = strlen(c->pass);

	free(s);
	s = malloc(sizeof(*s) + n);
	if (s == NULL)
		return SASL_NOMEM;
	s->len = n;
	memcpy(s->data, c->pass, n + 1);
	*psecret = s;
	return SASL_OK;
}

/* ---- the server's proxy policy ---- */

struct proxy {
	int allow; /* let any authid act as any authzid */
	char seen_authid[256];
	char seen_authzid[256];
};

static int cb_proxy(sasl_conn_t *conn, void *ctx, const char *requested_user, unsigned rlen, const char *auth_identity,
                    unsigned alen, const char *def_realm, unsigned urlen, struct propctx *propctx)
{
	struct proxy *p = ctx;

	snprintf(p->seen_authid, sizeof(p->seen_authid), "%.*s", (int)alen, auth_identity);
	snprintf(p->seen_authzid, sizeof(p->seen_authzid), "%.*s", (int)rlen, requested_user);
	if (p->allow || (alen == rlen && memcmp(requested_user, auth_identity, alen) == 0))
		return SASL_OK;
	sasl_seterror(conn, 0, "not allowed");
	return SASL_NOAUTHZ;
}

/* ---- one exchange ---- */

struct result {
	int client_rc;     /* last client result */
	int server_rc;     /* last server result */
	char user[256];    /* server's SASL_USERNAME on success */
	char authid[256];  /* server's SASL_AUTHUSER */
	char first[70000]; /* the client's first message */
	unsigned firstlen;
	char challenge[8192]; /* the server's last challenge */
	unsigned challen;
	int rounds;
};

static void fill_prompts(sasl_interact_t *p, const struct creds *c)
{
	for (; p->id != SASL_CB_LIST_END; p++) {
		const char *v = p->id == SASL_CB_PASS ? c->pass : p->id == SASL_CB_AUTHNAME ? c->authname : c->authzid;

		p->result = v != NULL ? v : "";
		p->len = (unsigned)strlen(p->result);
	}
}

static sasl_conn_t *server_new(struct proxy *proxy, sasl_callback_t *cbs)
{
	sasl_conn_t *sc = NULL;

	cbs[0] = (sasl_callback_t){SASL_CB_PROXY_POLICY, CB(cb_proxy), proxy};
	cbs[1] = (sasl_callback_t){SASL_CB_LIST_END, NULL, NULL};
	assert_int_equal(sasl_server_new("ldap", "localhost", NULL, "127.0.0.1;3890", "127.0.0.1;40000", cbs, 0, &sc),
	                 SASL_OK);
	return sc;
}

static void secprops(sasl_conn_t *conn)
{
	sasl_security_properties_t sp = {0};

	sp.max_ssf = 256;
	sp.maxbufsize = 65536;
	assert_int_equal(sasl_setprop(conn, SASL_SEC_PROPS, &sp), SASL_OK);
}

static void exchange(const char *mech, const struct creds *c, struct proxy *proxy, struct result *r)
{
	sasl_callback_t ccbs[4], scbs[2];
	sasl_conn_t *cc = NULL, *sc;
	sasl_interact_t *prompts = NULL;
	const char *out = NULL, *sout = NULL, *chosen = NULL;
	unsigned outlen = 0, soutlen = 0;
	struct proxy defproxy = {0};
	int n = 0;

	memset(r, 0, sizeof(*r));
	/* interact: the ids are listed without a function, as libldap does: the answers come through
	 * SASL_INTERACT prompts */
	ccbs[n++] = (sasl_callback_t){SASL_CB_AUTHNAME, c->interact ? NULL : CB(cb_simple), (void *)c};
	ccbs[n++] = (sasl_callback_t){SASL_CB_USER, c->interact ? NULL : CB(cb_simple), (void *)c};
	if (c->pass != NULL || c->interact)
		ccbs[n++] = (sasl_callback_t){SASL_CB_PASS, c->interact ? NULL : CB(cb_pass), (void *)c};
	ccbs[n] = (sasl_callback_t){SASL_CB_LIST_END, NULL, NULL};
	assert_int_equal(sasl_client_new("ldap", "localhost", "127.0.0.1;40000", "127.0.0.1;3890", ccbs, 0, &cc),
	                 SASL_OK);
	secprops(cc);
	sc = server_new(proxy != NULL ? proxy : &defproxy, scbs);
	secprops(sc);

	do {
		r->client_rc = sasl_client_start(cc, mech, &prompts, &out, &outlen, &chosen);
		if (r->client_rc == SASL_INTERACT)
			fill_prompts(prompts, c);
	} while (r->client_rc == SASL_INTERACT);
	if (r->client_rc != SASL_CONTINUE && r->client_rc != SASL_OK)
		goto done;
	memcpy(r->first, out, outlen);
	r->firstlen = outlen;
	r->server_rc = sasl_server_start(sc, mech, out, outlen, &sout, &soutlen);
	while (r->server_rc == SASL_CONTINUE && r->rounds < 5) {
		r->rounds++;
		if (soutlen < sizeof(r->challenge)) {
			memcpy(r->challenge, sout, soutlen);
			r->challen = soutlen;
		}
		r->client_rc = sasl_client_step(cc, sout, soutlen, &prompts, &out, &outlen);
		if (r->client_rc != SASL_CONTINUE && r->client_rc != SASL_OK)
			goto done;
		r->server_rc = sasl_server_step(sc, out, outlen, &sout, &soutlen);
	}
	if (r->server_rc == SASL_OK) {
		const void *v = NULL;

		/* the protocol's success: the client finishes with no data, as libldap does */
		r->client_rc = sasl_client_step(cc, NULL, 0, &prompts, &out, &outlen);
		if (sasl_getprop(sc, SASL_USERNAME, &v) == SASL_OK && v != NULL)
			snprintf(r->user, sizeof(r->user), "%s", (const char *)v);
		if (sasl_getprop(sc, SASL_AUTHUSER, &v) == SASL_OK && v != NULL)
			snprintf(r->authid, sizeof(r->authid), "%s", (const char *)v);
	}
done:
	if (getenv("TEST_SASL_VERBOSE") != NULL)
		fprintf(stderr, "# client %d (%s) server %d (%s)\n%s", r->client_rc, sasl_errdetail(cc), r->server_rc,
		        sasl_errdetail(sc), logbuf);
	sasl_dispose(&cc);
	sasl_dispose(&sc);
}

/* the error challenge of the last server_raw round trip */
static char raw_challenge[8192];
static unsigned raw_challen;

/* Feed one raw client message to the server: the server's result, after the \x01 ack when the
 * server answered with an error challenge (*roundtrip set, the challenge in raw_challenge). */
static int server_raw(const char *mech, const char *msg, size_t len, int *roundtrip)
{
	sasl_callback_t scbs[2];
	struct proxy proxy = {0};
	sasl_conn_t *sc = server_new(&proxy, scbs);
	const char *sout = NULL;
	unsigned soutlen = 0;
	int rc;

	secprops(sc);
	*roundtrip = 0;
	rc = sasl_server_start(sc, mech, msg, (unsigned)len, &sout, &soutlen);
	if (rc == SASL_CONTINUE && soutlen > 0) {
		*roundtrip = 1;
		raw_challen = soutlen < sizeof(raw_challenge) ? soutlen : 0;
		memcpy(raw_challenge, sout, raw_challen);
		rc = sasl_server_step(sc, strcmp(mech, "XOAUTH2") == 0 ? "" : KV, strcmp(mech, "XOAUTH2") == 0 ? 0 : 1,
		                      &sout, &soutlen);
	}
	sasl_dispose(&sc);
	return rc;
}

/* ---- fixtures ---- */

static char *mint(EVP_PKEY *k, const char *aud, const char *client_id, int64_t iat, int64_t exp)
{
	char *payload = tu_payload(ISS, aud, client_id, "ldap.read", iat, exp);
	char *tok = tu_sign(k, "RS256", "{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"k1\"}", payload);

	free(payload);
	return tok;
}

static char *write_conf(const char *name, const char *text)
{
	return tu_write_temp(name, text);
}

static int group_setup(void **state)
{
	char *jwk, *jwks, *jwks_path, *conf;
	int64_t now = (int64_t)time(NULL);
	size_t n;

	key = tu_genkey("RSA2048");
	other_key = tu_genkey("RSA2048");
	jwk = tu_jwk_json(key, "k1", "RS256");
	n = strlen(jwk) + 32;
	jwks = malloc(n);
	snprintf(jwks, n, "{\"keys\":[%s]}", jwk);
	jwks_path = tu_write_temp("jwks.json", jwks);
	n = strlen(jwks_path) + 512;
	conf = malloc(n);
	snprintf(conf, n,
	         "[global]\ncache_dir =\n\n[issuer main]\nissuer = " ISS "\njwks_file = %s\naudience = " AUD
	         "\nrequired_scope = ldap.read\n",
	         jwks_path);
	conf_path = write_conf("ccauth.conf", conf);
	conf_noissuer_path = write_conf("noissuer.conf", "[global]\ncache_dir =\n");
	good = mint(key, AUD, "svc-1", now, now + 600);
	svc2 = mint(key, AUD, "svc-2", now, now + 600);
	expired = mint(key, AUD, "svc-1", now - 7200, now - 3600);
	wrong_aud = mint(key, "ldap://elsewhere", "svc-1", now, now + 600);
	forged = mint(other_key, AUD, "svc-1", now, now + 600);
	free(jwk);
	free(jwks);
	free(jwks_path);
	free(conf);
	return 0;
}

static int group_teardown(void **state)
{
	EVP_PKEY_free(key);
	EVP_PKEY_free(other_key);
	free(conf_path);
	free(conf_noissuer_path);
	free(good);
	free(svc2);
	free(expired);
	free(wrong_aud);
	free(forged);
	return 0;
}

/* Each test starts libsasl afresh, so every test also loads and frees the plugin. */
static int setup(void **state)
{
	opt_config = conf_path;
	opt_scope = NULL;
	opt_client = NULL;
	opt_issuers = NULL;
	loglen = 0;
	logbuf[0] = '\0';
	assert_int_equal(sasl_server_init(global_cbs, "ccauth-test"), SASL_OK);
	assert_int_equal(sasl_client_init(global_cbs), SASL_OK);
	return 0;
}

static int teardown(void **state)
{
	/* no token, nor its signature part, ever reaches a log */
	const char *toks[] = {good, svc2, expired, wrong_aud, forged};

	for (size_t i = 0; i < sizeof(toks) / sizeof(toks[0]); i++) {
		const char *sig = strrchr(toks[i], '.') + 1;

		assert_null(strstr(logbuf, sig));
		assert_null(strstr(logbuf, toks[i]));
	}
	sasl_server_done();
	sasl_client_done();
	return 0;
}

/* ---- tests ---- */

static void test_mechs_listed(void **state)
{
	sasl_callback_t scbs[2];
	struct proxy proxy = {0};
	sasl_conn_t *sc = server_new(&proxy, scbs);
	const char *list = NULL;

	secprops(sc);
	assert_int_equal(sasl_listmech(sc, NULL, "", " ", "", &list, NULL, NULL), SASL_OK);
	assert_non_null(strstr(list, "OAUTHBEARER"));
	assert_non_null(strstr(list, "XOAUTH2"));
	sasl_dispose(&sc);
}

static void test_noplain_secprops_hide_mech(void **state)
{
	/* honest flags: a client demanding noplaintext (libldap's default without TLS) cannot use it */
	sasl_callback_t scbs[2];
	struct proxy proxy = {0};
	sasl_conn_t *sc = server_new(&proxy, scbs);
	sasl_security_properties_t sp = {0};
	const char *list = NULL;

	sp.max_ssf = 256;
	sp.maxbufsize = 65536;
	sp.security_flags = SASL_SEC_NOPLAINTEXT;
	assert_int_equal(sasl_setprop(sc, SASL_SEC_PROPS, &sp), SASL_OK);
	assert_int_equal(sasl_listmech(sc, NULL, "", " ", "", &list, NULL, NULL) == SASL_OK && list != NULL &&
	                     strstr(list, "OAUTHBEARER") != NULL,
	                 0);
	sasl_dispose(&sc);
}

static void test_oauthbearer_ok(void **state)
{
	struct creds c = {.pass = good};
	struct result r;

	exchange("OAUTHBEARER", &c, NULL, &r);
	assert_int_equal(r.server_rc, SASL_OK);
	assert_int_equal(r.client_rc, SASL_OK);
	assert_string_equal(r.user, "svc-1");
	assert_string_equal(r.authid, "svc-1");
	assert_int_equal(r.rounds, 0);
	/* the client sent host and port (RFC 7628 3.1) */
	assert_non_null(memmem(r.first, r.firstlen, KV "host=localhost" KV "port=3890" KV "auth=Bearer ", 36));
	assert_non_null(strstr(logbuf, "accepted token"));
}

static void test_oauthbearer_interact(void **state)
{
	struct creds c = {.pass = good, .interact = 1};
	struct result r;

	exchange("OAUTHBEARER", &c, NULL, &r);
	assert_int_equal(r.server_rc, SASL_OK);
	assert_int_equal(r.client_rc, SASL_OK);
	assert_string_equal(r.user, "svc-1");
}

static void check_rejected(const char *mech, const char *token, const char *want_challenge)
{
	struct creds c = {.authname = "svc-1", .pass = token};
	struct result r;

	exchange(mech, &c, NULL, &r);
	assert_int_equal(r.rounds, 1);
	assert_int_equal(r.server_rc, SASL_BADAUTH);
	assert_int_equal(r.client_rc, SASL_CONTINUE); /* the client answered the error */
	assert_int_equal(r.challen, strlen(want_challenge));
	assert_memory_equal(r.challenge, want_challenge, r.challen);
	assert_non_null(strstr(logbuf, "rejected token"));
}

static void test_expired(void **state)
{
	check_rejected("OAUTHBEARER", expired,
	               "{\"status\":\"invalid_token\","
	               "\"openid-configuration\":\"" ISS "/.well-known/openid-configuration\"}");
	assert_non_null(strstr(logbuf, "expired"));
}

static void test_wrong_audience(void **state)
{
	opt_scope = "ldap.read";
	check_rejected("OAUTHBEARER", wrong_aud,
	               "{\"status\":\"invalid_token\",\"scope\":\"ldap.read\","
	               "\"openid-configuration\":\"" ISS "/.well-known/openid-configuration\"}");
	assert_non_null(strstr(logbuf, "audience"));
}

static void test_forged(void **state)
{
	check_rejected("OAUTHBEARER", forged,
	               "{\"status\":\"invalid_token\","
	               "\"openid-configuration\":\"" ISS "/.well-known/openid-configuration\"}");
	assert_non_null(strstr(logbuf, "signature"));
}

static void test_not_a_jwt(void **state)
{
	check_rejected("OAUTHBEARER", "opaque-token-xyz",
	               "{\"status\":\"invalid_token\","
	               "\"openid-configuration\":\"" ISS "/.well-known/openid-configuration\"}");
}

static void test_xoauth2_ok(void **state)
{
	struct creds c = {.authname = "svc-1", .pass = good};
	struct result r;

	exchange("XOAUTH2", &c, NULL, &r);
	assert_int_equal(r.server_rc, SASL_OK);
	assert_int_equal(r.client_rc, SASL_OK);
	assert_string_equal(r.user, "svc-1");
	assert_int_equal(r.firstlen, strlen("user=svc-1" KV "auth=Bearer " KV KV) + strlen(good));
}

static void test_xoauth2_rejected(void **state)
{
	check_rejected("XOAUTH2", forged, "{\"status\":\"401\",\"schemes\":\"bearer\"}");
}

static void test_xoauth2_other_user_needs_proxy(void **state)
{
	/* user= names someone else: proxy authorization decides (default: refused) */
	struct creds c = {.authname = "root", .pass = good};
	struct proxy proxy = {0};
	struct result r;

	exchange("XOAUTH2", &c, &proxy, &r);
	assert_int_equal(r.server_rc, SASL_NOAUTHZ);
	assert_string_equal(proxy.seen_authid, "svc-1");
	assert_string_equal(proxy.seen_authzid, "root");
}

static void test_authzid_same(void **state)
{
	struct creds c = {.authzid = "svc-1", .pass = good};
	struct result r;

	exchange("OAUTHBEARER", &c, NULL, &r);
	assert_int_equal(r.server_rc, SASL_OK);
	assert_string_equal(r.user, "svc-1");
	assert_non_null(memmem(r.first, r.firstlen, "n,a=svc-1," KV, 11));
}

static void test_authzid_refused(void **state)
{
	struct creds c = {.authzid = "admin", .pass = good};
	struct proxy proxy = {0};
	struct result r;

	exchange("OAUTHBEARER", &c, &proxy, &r);
	assert_int_equal(r.server_rc, SASL_NOAUTHZ);
	assert_string_equal(proxy.seen_authid, "svc-1");
	assert_string_equal(proxy.seen_authzid, "admin");
}

static void test_authzid_escaped_proxy(void **state)
{
	/* ',' and '=' are escaped by the client and unescaped by the server */
	struct creds c = {.authzid = "uid=a,b", .pass = good};
	struct proxy proxy = {.allow = 1};
	struct result r;

	exchange("OAUTHBEARER", &c, &proxy, &r);
	assert_int_equal(r.server_rc, SASL_OK);
	assert_int_equal(r.client_rc, SASL_OK);
	assert_memory_equal(r.first, "n,a=uid=3Da=2Cb," KV, 17);
	assert_string_equal(proxy.seen_authzid, "uid=a,b");
	assert_string_equal(r.user, "uid=a,b");
	assert_string_equal(r.authid, "svc-1");
}

static void test_authzid_utf8_proxy(void **state)
{
	struct creds c = {.authzid = "j\xc3\xbcrgen", .pass = svc2};
	struct proxy proxy = {.allow = 1};
	struct result r;

	exchange("OAUTHBEARER", &c, &proxy, &r);
	assert_int_equal(r.server_rc, SASL_OK);
	assert_string_equal(r.user, "j\xc3\xbcrgen");
	assert_string_equal(r.authid, "svc-2");
}

static void test_no_token_no_section(void **state)
{
	/* no [client] section and no password: the client refuses before sending anything */
	struct creds c = {.authname = "svc-1"};
	struct result r;

	exchange("OAUTHBEARER", &c, NULL, &r);
	assert_int_equal(r.client_rc, SASL_BADPARAM);
}

static void test_interact_empty_password(void **state)
{
	/* the prompts were answered, but with nothing usable: refused, and the prompt list freed
	 * (sasl_valgrind.sh) */
	struct creds c = {.pass = "", .interact = 1};
	struct result r;

	exchange("OAUTHBEARER", &c, NULL, &r);
	assert_int_equal(r.client_rc, SASL_BADPARAM);
}

static void test_named_client_missing(void **state)
{
	struct creds c = {.pass = good};
	struct result r;

	opt_client = "nosuch";
	exchange("OAUTHBEARER", &c, NULL, &r);
	assert_int_equal(r.client_rc, SASL_FAIL);
}

static void test_no_issuer_nomech(void **state)
{
	sasl_callback_t scbs[2];
	struct proxy proxy = {0};
	sasl_conn_t *sc;
	const char *list = NULL, *sout = NULL;
	unsigned soutlen = 0;

	opt_config = conf_noissuer_path;
	sc = server_new(&proxy, scbs);
	secprops(sc);
	if (sasl_listmech(sc, NULL, "", " ", "", &list, NULL, NULL) == SASL_OK && list != NULL)
		assert_null(strstr(list, "OAUTHBEARER"));
	assert_int_equal(sasl_server_start(sc, "OAUTHBEARER", "n,,\x01\x01", 5, &sout, &soutlen), SASL_NOMECH);
	sasl_dispose(&sc);
	assert_non_null(strstr(logbuf, "no [issuer] section"));
}

static void test_missing_config_nomech(void **state)
{
	sasl_callback_t scbs[2];
	struct proxy proxy = {0};
	sasl_conn_t *sc;
	const char *sout = NULL;
	unsigned soutlen = 0;

	opt_config = "/nonexistent/ccauth.conf";
	sc = server_new(&proxy, scbs);
	secprops(sc);
	assert_int_equal(sasl_server_start(sc, "XOAUTH2", "user=a\x01\x01", 8, &sout, &soutlen), SASL_NOMECH);
	sasl_dispose(&sc);
	assert_non_null(strstr(logbuf, "cannot open"));
}

static void test_issuers_option(void **state)
{
	struct creds c = {.pass = good};
	struct result r;

	opt_issuers = "main";
	exchange("OAUTHBEARER", &c, NULL, &r);
	assert_int_equal(r.server_rc, SASL_OK);
	assert_string_equal(r.user, "svc-1");
}

static void test_issuers_option_unknown(void **state)
{
	struct creds c = {.pass = good};
	struct result r;

	opt_issuers = "main nosuch";
	exchange("OAUTHBEARER", &c, NULL, &r);
	assert_int_equal(r.server_rc, SASL_NOMECH);
	assert_non_null(strstr(logbuf, "ccauth_issuers: no [issuer nosuch]"));
}

static void test_empty_initial_response(void **state)
{
	/* no initial response: one empty challenge, then the message */
	sasl_callback_t scbs[2];
	struct proxy proxy = {0};
	sasl_conn_t *sc = server_new(&proxy, scbs);
	const char *sout = NULL;
	unsigned soutlen = 99;
	size_t n = strlen(good) + 32;
	char *msg = malloc(n);
	int len = snprintf(msg, n, "n,," KV "auth=bearer %s" KV KV, good);

	secprops(sc);
	assert_int_equal(sasl_server_start(sc, "OAUTHBEARER", NULL, 0, &sout, &soutlen), SASL_CONTINUE);
	assert_int_equal(soutlen, 0);
	/* lowercase scheme is fine */
	assert_int_equal(sasl_server_step(sc, msg, (unsigned)len, &sout, &soutlen), SASL_OK);
	sasl_dispose(&sc);
	free(msg);
}

static void test_empty_messages(void **state)
{
	/* No client-resp is empty (RFC 7628 3.1).  An absent initial response (NULL) gets libsasl's
	 * empty challenge (WANT_CLIENT_FIRST); a present but empty one (non-NULL, length 0) reaches
	 * the plugin and is a protocol error, and so is an empty answer to that challenge. */
	for (int mech = 0; mech < 2; mech++) {
		const char *name = mech ? "XOAUTH2" : "OAUTHBEARER";
		sasl_callback_t scbs[2];
		struct proxy proxy = {0};
		sasl_conn_t *sc = server_new(&proxy, scbs);
		const char *sout = NULL;
		unsigned soutlen = 99;

		secprops(sc);
		assert_int_equal(sasl_server_start(sc, name, NULL, 0, &sout, &soutlen), SASL_CONTINUE);
		assert_int_equal(soutlen, 0);
		assert_int_equal(sasl_server_step(sc, "", 0, &sout, &soutlen), SASL_BADPROT);
		sasl_dispose(&sc);

		sc = server_new(&proxy, scbs);
		secprops(sc);
		assert_int_equal(sasl_server_start(sc, name, "", 0, &sout, &soutlen), SASL_BADPROT);
		sasl_dispose(&sc);
	}
}

/* A client that has sent its first OAUTHBEARER message (token from c, callbacks in ccbs[2], which
 * must outlive it); the caller steps it on. */
static sasl_conn_t *client_started(struct creds *c, sasl_callback_t *ccbs)
{
	sasl_conn_t *cc = NULL;
	sasl_interact_t *prompts = NULL;
	const char *out = NULL, *chosen = NULL;
	unsigned outlen = 0;

	ccbs[0] = (sasl_callback_t){SASL_CB_PASS, CB(cb_pass), c};
	ccbs[1] = (sasl_callback_t){SASL_CB_LIST_END, NULL, NULL};
	assert_int_equal(sasl_client_new("ldap", "localhost", NULL, NULL, ccbs, 0, &cc), SASL_OK);
	secprops(cc);
	assert_int_equal(sasl_client_start(cc, "OAUTHBEARER", &prompts, &out, &outlen, &chosen), SASL_CONTINUE);
	return cc;
}

/* A grammatical message whose auth value is not a bearer token gets the RFC 7628 3.2.2 error
 * challenge, exactly as an invalid token does; "auth=" is how libpq-style clients ask for it
 * (discovery): challenge with openid-configuration, the client's kvsep, then SASL_BADAUTH. */
static void test_discovery_round_trip(void **state)
{
	static const char *const msgs[] = {
	    "n,," KV "auth=" KV KV,
	    "y,," KV "auth=" KV KV,
	    "n,," KV "host=localhost" KV "port=3890" KV "auth=" KV KV,
	    "n,," KV "auth=Bearer hello!" KV KV,
	};
	static const char want[] = "{\"status\":\"invalid_token\",\"scope\":\"ldap.read\","
	                           "\"openid-configuration\":\"" ISS "/.well-known/openid-configuration\"}";

	opt_scope = "ldap.read";
	for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		int rt;

		/* the challenge, the client's kvsep, then SASL_BADAUTH (never SASL_OK) */
		assert_int_equal(server_raw("OAUTHBEARER", msgs[i], strlen(msgs[i]), &rt), SASL_BADAUTH);
		assert_int_equal(rt, 1);
		assert_int_equal(raw_challen, strlen(want));
		assert_memory_equal(raw_challenge, want, raw_challen);
	}
	assert_non_null(strstr(logbuf, "discovery request (empty auth)"));
	assert_non_null(strstr(logbuf, "auth is not Bearer b64token"));
}

/* The client side of the same round trip, through libsasl: the client plugin reads the
 * challenge and answers with the kvsep. */
static void test_client_reads_discovery_challenge(void **state)
{
	struct creds c = {.pass = good};
	sasl_callback_t ccbs[2];
	sasl_conn_t *cc;
	sasl_interact_t *prompts = NULL;
	const char *out = NULL;
	unsigned outlen = 0;
	static const char ch[] =
	    "{\"status\":\"invalid_token\",\"openid-configuration\":\"" ISS "/.well-known/openid-configuration\"}";

	cc = client_started(&c, ccbs);
	assert_int_equal(sasl_client_step(cc, ch, sizeof(ch) - 1, &prompts, &out, &outlen), SASL_CONTINUE);
	assert_int_equal(outlen, 1);
	assert_memory_equal(out, KV, 1);
	sasl_dispose(&cc);
}

static void test_bad_ack(void **state)
{
	/* after the error challenge anything but \x01 is a protocol error */
	sasl_callback_t scbs[2];
	struct proxy proxy = {0};
	sasl_conn_t *sc = server_new(&proxy, scbs);
	const char *sout = NULL;
	unsigned soutlen = 0;
	const char msg[] = "n,," KV "auth=Bearer abc" KV KV;

	secprops(sc);
	assert_int_equal(sasl_server_start(sc, "OAUTHBEARER", msg, sizeof(msg) - 1, &sout, &soutlen), SASL_CONTINUE);
	assert_true(soutlen > 0);
	assert_int_equal(sasl_server_step(sc, KV KV, 2, &sout, &soutlen), SASL_BADPROT);
	sasl_dispose(&sc);
}

/* A failed exchange stays failed: a further step with a good token after the error round trip,
 * a bad ack, a grammar error or an empty response must not authenticate.  libsasl 2.1.28
 * disposes the mechanism context after a failure and still calls mech_step, with NULL. */
static void test_no_success_after_failure(void **state)
{
	static const struct {
		const char *first;
		size_t firstlen;
		const char *second; /* NULL: straight to the good message */
		size_t secondlen;
	} cases[] = {
#define M(lit) lit, sizeof(lit) - 1
	    {M("n,," KV "auth=Bearer abc" KV KV), M(KV)},              /* error round trip, then BADAUTH */
	    {M("n,," KV "auth=Bearer abc" KV KV), M(KV KV)},           /* error challenge, bad ack */
	    {M("n,," KV "k3y=x" KV "auth=Bearer abc" KV KV), NULL, 0}, /* grammar error */
	    {M(""), NULL, 0}, /* an empty answer to libsasl's empty challenge */
#undef M
	};
	size_t n = strlen(good) + 32;
	char *msg = malloc(n);
	int len = snprintf(msg, n, "n,," KV "auth=Bearer %s" KV KV, good);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sasl_callback_t scbs[2];
		struct proxy proxy = {0};
		sasl_conn_t *sc = server_new(&proxy, scbs);
		const char *sout = NULL;
		const void *v = NULL;
		unsigned soutlen = 0;
		int rc;

		secprops(sc);
		rc = sasl_server_start(sc, "OAUTHBEARER", cases[i].firstlen ? cases[i].first : NULL,
		                       (unsigned)cases[i].firstlen, &sout, &soutlen);
		if (cases[i].firstlen == 0) /* libsasl's own empty challenge, then the plugin's */
			rc = sasl_server_step(sc, "", 0, &sout, &soutlen);
		if (cases[i].second != NULL) {
			assert_int_equal(rc, SASL_CONTINUE);
			rc = sasl_server_step(sc, cases[i].second, (unsigned)cases[i].secondlen, &sout, &soutlen);
		}
		assert_true(rc != SASL_OK && rc != SASL_CONTINUE);
		rc = sasl_server_step(sc, msg, (unsigned)len, &sout, &soutlen);
		if (rc != SASL_BADPROT)
			fail_msg("case %zu: step after failure gave %d", i, rc);
		assert_true(sasl_getprop(sc, SASL_USERNAME, &v) != SASL_OK || v == NULL);
		sasl_dispose(&sc);
	}
	free(msg);
}

/* The client side too: after a server challenge it cannot parse, a further step is no success. */
static void test_client_no_success_after_bad_challenge(void **state)
{
	struct creds c = {.pass = good};
	sasl_callback_t ccbs[2];
	sasl_conn_t *cc = client_started(&c, ccbs);
	sasl_interact_t *prompts = NULL;
	const char *out = NULL;
	unsigned outlen = 0;

	assert_int_equal(sasl_client_step(cc, "{not json", 9, &prompts, &out, &outlen), SASL_BADPROT);
	assert_int_not_equal(sasl_client_step(cc, NULL, 0, &prompts, &out, &outlen), SASL_OK);
	sasl_dispose(&cc);
}

/* Malformed client messages: never a crash, exact result.  BADPROT for grammar; ROUNDTRIP
 * (error challenge, \x01, then BADAUTH) for a well-formed message whose token is bad. */
#define ROUNDTRIP 1000
#define T(name, lit, want)                                                                                             \
	{                                                                                                              \
		name, lit, sizeof(lit) - 1, want                                                                       \
	}
#define AUTH "auth=Bearer abc.def.ghi"

static const struct malformed {
	const char *name;
	const char *msg;
	size_t len;
	int want;
} oauthbearer_bad[] =
    {
        T("empty (present, not absent)", "", SASL_BADPROT),
        T("just the kvsep", KV, SASL_BADPROT),
        T("flag only", "n", SASL_BADPROT),
        T("one comma", "n," KV AUTH KV KV, SASL_BADPROT),
        T("no kvsep after the header", "n,," AUTH KV KV, SASL_BADPROT),
        T("channel binding p", "p=tls-unique,," KV AUTH KV KV, SASL_BADPROT),
        T("unknown flag", "x,," KV AUTH KV KV, SASL_BADPROT),
        T("GSS F prefix", "F,n,," KV AUTH KV KV, SASL_BADPROT),
        T("empty authzid", "n,a=," KV AUTH KV KV, SASL_BADPROT),
        T("bad escape", "n,a=a=2Xb," KV AUTH KV KV, SASL_BADPROT),
        T("lowercase escape", "n,a=a=2cb," KV AUTH KV KV, SASL_BADPROT),
        T("raw = in authzid", "n,a=a=b," KV AUTH KV KV, SASL_BADPROT),
        T("control char in authzid", "n,a=a\tb," KV AUTH KV KV, SASL_BADPROT),
        T("invalid UTF-8 in authzid", "n,a=\xff\xfe," KV AUTH KV KV, SASL_BADPROT),
        T("no auth", "n,," KV KV, SASL_BADPROT),
        T("only host", "n,," KV "host=x" KV KV, SASL_BADPROT),
        T("two auth", "n,," KV AUTH KV AUTH KV KV, SASL_BADPROT),
        T("missing final kvsep", "n,," KV AUTH KV, SASL_BADPROT),
        T("trailing data", "n,," KV AUTH KV KV "x", SASL_BADPROT),
        T("extra kvsep", "n,," KV AUTH KV KV KV, SASL_BADPROT),
        T("empty key", "n,," KV "=x" KV AUTH KV KV, SASL_BADPROT),
        T("digit in key", "n,," KV "k3y=x" KV AUTH KV KV, SASL_BADPROT),
        T("key without =", "n,," KV "auth" KV KV, SASL_BADPROT),
        T("empty host", "n,," KV "host=" KV AUTH KV KV, SASL_BADPROT),
        T("port too big", "n,," KV "port=99999" KV AUTH KV KV, SASL_BADPROT),
        T("port not a number", "n,," KV "port=ldap" KV AUTH KV KV, SASL_BADPROT),
        T("two hosts", "n,," KV "host=a" KV "host=b" KV AUTH KV KV, SASL_BADPROT),
        T("NUL in the token", "n,," KV "auth=Bearer ab\0c" KV KV, SASL_BADPROT),
        T("NUL in the header", "n,\0," KV AUTH KV KV, SASL_BADPROT),
        T("DEL in a value", "n,," KV "x=\x7f" KV AUTH KV KV, SASL_BADPROT),
        T("XOAUTH2 message sent to OAUTHBEARER", "user=a" KV AUTH KV KV, SASL_BADPROT),
        T("control char in auth", "n,," KV "auth=Bearer a\002b" KV KV, SASL_BADPROT),
        T("8-bit byte in auth", "n,," KV "auth=Bearer caf\303\251" KV KV, SASL_BADPROT),
        T("two auth, the first empty", "n,," KV "auth=" KV AUTH KV KV, SASL_BADPROT),
        /* well-formed, bad token: round trip */
        T("channel binding y (none offered)", "y,," KV AUTH KV KV, ROUNDTRIP),
        /* a grammatical value that is no bearer credential: round trip (RFC 7628 3.1) */
        T("empty auth (discovery)", "n,," KV "auth=" KV KV, ROUNDTRIP),
        T("Bearer and a space, no token", "n,," KV "auth=Bearer " KV KV, ROUNDTRIP),
        T("Bearer alone", "n,," KV "auth=Bearer" KV KV, ROUNDTRIP),
        T("= inside the token", "n,," KV "auth=Bearer a===b" KV KV, ROUNDTRIP),
        T("! in the token", "n,," KV "auth=Bearer hello!" KV KV, ROUNDTRIP),
        T("trailing space", "n,," KV "auth=Bearer abc " KV KV, ROUNDTRIP),
        T("trailing tab", "n,," KV "auth=Bearer abc\t" KV KV, ROUNDTRIP),
        T("Beare", "n,," KV "auth=Beare x" KV KV, ROUNDTRIP),
        T("OAuth scheme", "n,," KV "auth=OAuth realm=\"x\"" KV KV, ROUNDTRIP),
        T("Basic scheme", "n,," KV "auth=Basic abc" KV KV, ROUNDTRIP),
        T("no space", "n,," KV "auth=Bearerabc" KV KV, ROUNDTRIP),
        T("two tokens", "n,," KV "auth=Bearer abc def" KV KV, ROUNDTRIP),
        T("comma in the token", "n,," KV "auth=Bearer a,b" KV KV, ROUNDTRIP),
        T("garbage token", "n,," KV AUTH KV KV, ROUNDTRIP),
        T("not even a JWT", "n,," KV "auth=Bearer abc" KV KV, ROUNDTRIP),
        T("padding token", "n,," KV "auth=Bearer abc==" KV KV, ROUNDTRIP),
        T("BEARER upper case", "n,," KV "auth=BEARER abc" KV KV, ROUNDTRIP),
        T("several spaces", "n,," KV "auth=Bearer    abc" KV KV, ROUNDTRIP),
        T("unknown key ignored", "n,," KV "foo=bar baz" KV AUTH KV KV, ROUNDTRIP),
        T("host and port", "n,," KV "host=ldap.test" KV "port=636" KV AUTH KV KV, ROUNDTRIP),
        T("authzid with escapes", "n,a=a=2Cb=3Dc," KV AUTH KV KV, ROUNDTRIP),
},
  xoauth2_bad[] = {
      T("empty (present, not absent)", "", SASL_BADPROT),
      T("empty user", "user=" KV AUTH KV KV, SASL_BADPROT),
      T("empty auth", "user=a" KV "auth=" KV KV, SASL_BADPROT),
      T("no user", AUTH KV KV, SASL_BADPROT),
      T("no auth", "user=a" KV KV, SASL_BADPROT),
      T("auth first", AUTH KV "user=a" KV KV, SASL_BADPROT),
      T("Basic scheme", "user=a" KV "auth=Basic abc" KV KV, SASL_BADPROT),
      T("missing final kvsep", "user=a" KV AUTH KV, SASL_BADPROT),
      T("trailing data", "user=a" KV AUTH KV KV "x", SASL_BADPROT),
      T("control in user", "user=a\tb" KV AUTH KV KV, SASL_BADPROT),
      T("NUL", "user=a" KV "auth=Bearer a\0b" KV KV, SASL_BADPROT),
      T("OAUTHBEARER message", "n,," KV AUTH KV KV, SASL_BADPROT),
      T("bad token", "user=a" KV AUTH KV KV, ROUNDTRIP),
};

static void run_table(const char *mech, const struct malformed *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int roundtrip, rc = server_raw(mech, t[i].msg, t[i].len, &roundtrip);
		int want_rt = t[i].want == ROUNDTRIP;
		int want_rc = want_rt ? SASL_BADAUTH : t[i].want;

		if (rc != want_rc || roundtrip != want_rt)
			fail_msg("%s %s: rc %d roundtrip %d, want %d %d", mech, t[i].name, rc, roundtrip, want_rc,
			         want_rt);
	}
}

static void test_malformed_oauthbearer(void **state)
{
	run_table("OAUTHBEARER", oauthbearer_bad, sizeof(oauthbearer_bad) / sizeof(oauthbearer_bad[0]));
}

static void test_malformed_xoauth2(void **state)
{
	run_table("XOAUTH2", xoauth2_bad, sizeof(xoauth2_bad) / sizeof(xoauth2_bad[0]));
}

static void test_too_long(void **state)
{
	size_t n = 70000;
	char *msg = malloc(n);
	int rt;

	memset(msg, 'a', n);
	memcpy(msg, "n,," KV "auth=Bearer ", 16);
	msg[n - 2] = '\x01';
	msg[n - 1] = '\x01';
	assert_int_equal(server_raw("OAUTHBEARER", msg, n, &rt), SASL_BADPROT);
	assert_int_equal(rt, 0);
	free(msg);
}

static void test_bad_token_not_in_log(void **state)
{
	/* a distinctive token the server rejects: neither it nor a part of it is logged */
	const char msg[] = "n,," KV "auth=Bearer SeCrEtToKeNvAlUe.eyJpc3MiOiJ4In0.c2lnbmF0dXJl" KV KV;
	int rt;

	assert_int_equal(server_raw("OAUTHBEARER", msg, sizeof(msg) - 1, &rt), SASL_BADAUTH);
	assert_int_equal(rt, 1);
	assert_null(strstr(logbuf, "SeCrEtToKeNvAlUe"));
	assert_null(strstr(logbuf, "c2lnbmF0dXJl"));
	assert_non_null(strstr(logbuf, "rejected token"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_mechs_listed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_noplain_secprops_hide_mech, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_oauthbearer_ok, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_oauthbearer_interact, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_expired, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wrong_audience, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_forged, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_not_a_jwt, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_xoauth2_ok, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_xoauth2_rejected, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_xoauth2_other_user_needs_proxy, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_authzid_same, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_authzid_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_authzid_escaped_proxy, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_authzid_utf8_proxy, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_token_no_section, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_interact_empty_password, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_named_client_missing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_issuer_nomech, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_missing_config_nomech, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_issuers_option, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_issuers_option_unknown, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_empty_initial_response, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_empty_messages, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_discovery_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_client_reads_discovery_challenge, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_ack, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_success_after_failure, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_client_no_success_after_bad_challenge, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_malformed_oauthbearer, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_malformed_xoauth2, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_too_long, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_token_not_in_log, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
