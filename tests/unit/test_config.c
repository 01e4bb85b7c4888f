/* Configuration file: every key, defaults, a table of invalid files with their exact file:line,
 * file permission checks and lookups. */
#include "autoconf.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"
#include "config_value.h"
#include "credfile.h"
#include "error.h"
#include "jwk.h"
#include "profile.h"
#include "usermap.h"

static const char full_conf[] = "# a full configuration\n"
                                "[global]\n"
                                "ca_file = /etc/ssl/certs/ca-certificates.crt   # trailing comment\n"
                                "ca_path = /etc/ssl/certs\n"
                                "timeout = 7\n"
                                "connect_timeout = 2\n"
                                "clock_skew = 30\n"
                                "cache_dir = /var/tmp/ccauth-cache\n"
                                "jwks_min_refresh = 120\n"
                                "jwks_max_stale = 2592000\n"
                                "introspection_cache = 3600\n"
                                "proxy = socks5h://127.0.0.1:1080\n"
                                "\n"
                                "[client ldap-svc]\n"
                                "issuer = https://sso-abc.example.com/oauth/DIXXXXXXXX\n"
                                "token_endpoint = https://sso-abc.example.com/oauth/DIXXXXXXXX/token\n"
                                "client_id = DIXXXXXXXX\n"
                                "auth_method = private_key_jwt\n"
                                "client_secret_file = /nonexistent/ccauth/ldap.secret\n"
                                "private_key_file = /nonexistent/ccauth/ldap.key\n"
                                "key_id = key-1\n"
                                "signing_alg = ES256\n"
                                "tls_cert_file = /nonexistent/ccauth/ldap.crt\n"
                                "tls_key_file = /nonexistent/ccauth/ldap.tlskey\n"
                                "scope = ldap.read ldap.write\n"
                                "audience = ldap://ldap.example.com\n"
                                "resource = https://ldap.example.com/\n"
                                "refresh_at = 0.75\n"
                                "\r\n"
                                "[issuer duo]\r\n"
                                "  issuer=https://sso-abc.example.com/oauth/DIXXXXXXXX/   \n"
                                "jwks_uri = https://sso-abc.example.com/oauth/DIXXXXXXXX/jwks\n"
                                "jwks_file = /etc/ccauth/duo.jwks\n"
                                "introspection_endpoint = https://sso-abc.example.com/oauth/DIXXXXXXXX/introspect\n"
                                "introspect = always\n"
                                "introspection_client = ldap-svc\n"
                                "audience = ldap://ldap.example.com  ldap://ldap2.example.com\n"
                                "required_scope = ldap.read\n"
                                "allowed_client_ids = DIXXXXXXXX\tDIYYYYYYYY\n"
                                "algorithms = RS256 ES256 EdDSA\n"
                                "strict_rfc9068 = yes\n"
                                "username_claim = sub client_id\n"
                                "username_template = svc-%s\n";

static struct ccauth_config *parse_ok(const char *text)
{
	struct ccauth_config *cfg = NULL;
	struct ccauth_error err = {0};
	enum ccauth_status st = ccauth_config_parse(text, strlen(text), "t.conf", &cfg, &err);

	if (st != CCAUTH_OK)
		fail_msg("unexpected error %d: %s", st, err.msg);
	assert_non_null(cfg);
	return cfg;
}

static void test_full(void **state)
{
	struct ccauth_config *cfg = parse_ok(full_conf);
	const struct ccauth_client_conf *c;
	const struct ccauth_issuer_conf *ic;

	(void)state;
	assert_string_equal(cfg->path, "t.conf");
	assert_string_equal(cfg->ca_file, "/etc/ssl/certs/ca-certificates.crt");
	assert_string_equal(cfg->ca_path, "/etc/ssl/certs");
	assert_int_equal(cfg->timeout, 7);
	assert_int_equal(cfg->connect_timeout, 2);
	assert_int_equal(cfg->clock_skew, 30);
	assert_string_equal(cfg->cache_dir, "/var/tmp/ccauth-cache");
	assert_int_equal(cfg->jwks_min_refresh, 120);
	assert_int_equal(cfg->jwks_max_stale, 2592000);
	assert_int_equal(cfg->introspection_cache, 3600);
	assert_string_equal(cfg->proxy, "socks5h://127.0.0.1:1080");

	assert_int_equal(cfg->nclients, 1);
	c = ccauth_config_client(cfg, "ldap-svc");
	assert_ptr_equal(c, &cfg->clients[0]);
	assert_string_equal(c->name, "ldap-svc");
	assert_int_equal(c->line, 14);
	assert_string_equal(c->issuer, "https://sso-abc.example.com/oauth/DIXXXXXXXX");
	assert_string_equal(c->token_endpoint, "https://sso-abc.example.com/oauth/DIXXXXXXXX/token");
	assert_string_equal(c->client_id, "DIXXXXXXXX");
	assert_int_equal(c->auth_method, CCAUTH_AUTH_PRIVATE_KEY_JWT);
	assert_string_equal(c->client_secret_file, "/nonexistent/ccauth/ldap.secret");
	assert_string_equal(c->private_key_file, "/nonexistent/ccauth/ldap.key");
	assert_string_equal(c->key_id, "key-1");
	assert_int_equal(c->signing_alg, CCAUTH_ALG_ES256);
	assert_string_equal(c->tls_cert_file, "/nonexistent/ccauth/ldap.crt");
	assert_string_equal(c->tls_key_file, "/nonexistent/ccauth/ldap.tlskey");
	assert_string_equal(c->scope, "ldap.read ldap.write");
	assert_string_equal(c->audience, "ldap://ldap.example.com");
	assert_string_equal(c->resource, "https://ldap.example.com/");
	assert_true(c->refresh_at == 0.75);

	assert_int_equal(cfg->nissuers, 1);
	ic = ccauth_config_issuer(cfg, "duo");
	assert_ptr_equal(ic, &cfg->issuers[0]);
	assert_int_equal(ic->line, 30);
	assert_string_equal(ic->name, "duo");
	assert_string_equal(ic->issuer, "https://sso-abc.example.com/oauth/DIXXXXXXXX/");
	assert_string_equal(ic->jwks_uri, "https://sso-abc.example.com/oauth/DIXXXXXXXX/jwks");
	assert_string_equal(ic->jwks_file, "/etc/ccauth/duo.jwks");
	assert_string_equal(ic->introspection_endpoint, "https://sso-abc.example.com/oauth/DIXXXXXXXX/introspect");
	assert_int_equal(ic->introspect, CCAUTH_INTROSPECT_ALWAYS);
	assert_string_equal(ic->introspection_client, "ldap-svc");
	assert_int_equal(ic->audience.n, 2);
	assert_string_equal(ic->audience.v[0], "ldap://ldap.example.com");
	assert_string_equal(ic->audience.v[1], "ldap://ldap2.example.com");
	assert_int_equal(ic->required_scope.n, 1);
	assert_string_equal(ic->required_scope.v[0], "ldap.read");
	assert_int_equal(ic->allowed_client_ids.n, 2);
	assert_string_equal(ic->allowed_client_ids.v[0], "DIXXXXXXXX");
	assert_string_equal(ic->allowed_client_ids.v[1], "DIYYYYYYYY");
	assert_int_equal(ic->algorithms, CCAUTH_ALG_BIT(CCAUTH_ALG_RS256) | CCAUTH_ALG_BIT(CCAUTH_ALG_ES256) |
	                                     CCAUTH_ALG_BIT(CCAUTH_ALG_EDDSA));
	assert_int_equal(ic->strict_rfc9068, 1);
	assert_int_equal(ic->username_claim.n, 2);
	assert_string_equal(ic->username_claim.v[0], "sub");
	assert_string_equal(ic->username_claim.v[1], "client_id");
	assert_string_equal(ic->username_template, "svc-%s");

	/* exact (ptr,len) lookup: a prefix, a longer string and a different case do not match */
	assert_ptr_equal(ccauth_config_issuer_by_iss(cfg, "https://sso-abc.example.com/oauth/DIXXXXXXXX/xyz", 45), ic);
	assert_null(ccauth_config_issuer_by_iss(cfg, "https://sso-abc.example.com/oauth/DIXXXXXXXX", 44));
	assert_null(ccauth_config_issuer_by_iss(cfg, "https://sso-abc.example.com/oauth/DIXXXXXXXX/x", 46));
	assert_null(ccauth_config_issuer_by_iss(cfg, "https://SSO-abc.example.com/oauth/DIXXXXXXXX/", 45));
	assert_null(ccauth_config_issuer(cfg, "ldap-svc"));
	assert_null(ccauth_config_client(cfg, "duo"));
	assert_null(ccauth_config_client(cfg, "ldap-svc2"));
	assert_null(ccauth_config_client(NULL, "ldap-svc"));
	ccauth_config_free(cfg);
}

static void test_defaults(void **state)
{
	struct ccauth_config *cfg;
	const struct ccauth_client_conf *c;
	const struct ccauth_issuer_conf *ic;

	(void)state;
	cfg = parse_ok("");
	assert_string_equal(cfg->path, "t.conf");
	assert_null(cfg->ca_file);
	assert_null(cfg->ca_path);
	assert_int_equal(cfg->timeout, 5);
	assert_int_equal(cfg->connect_timeout, 3);
	assert_int_equal(cfg->clock_skew, 60);
	assert_string_equal(cfg->cache_dir, "/var/cache/ccauth");
	assert_int_equal(cfg->jwks_min_refresh, 60);
	assert_int_equal(cfg->jwks_max_stale, 86400);
	assert_int_equal(cfg->introspection_cache, 60);
	assert_null(cfg->proxy);
	assert_int_equal(cfg->nclients, 0);
	assert_int_equal(cfg->nissuers, 0);
	ccauth_config_free(cfg);

	cfg = parse_ok("[global]\ntimeout = 2\ncache_dir =\nproxy =\n"
	               "[client a]\ntoken_endpoint = https://as.example/token\nclient_id = a\n"
	               "client_secret_file = /nonexistent/a.secret\nissuer =\n"
	               "[issuer i]\nissuer = https://as.example\naudience = x\n");
	assert_int_equal(cfg->timeout, 2);
	assert_int_equal(cfg->connect_timeout, 2); /* min(timeout, 3) */
	assert_string_equal(cfg->cache_dir, "");   /* memory only */
	assert_null(cfg->proxy);
	c = ccauth_config_client(cfg, "a");
	assert_non_null(c);
	assert_null(c->issuer);
	assert_int_equal(c->auth_method, CCAUTH_AUTH_CLIENT_SECRET_BASIC);
	assert_int_equal(c->signing_alg, CCAUTH_ALG_RS256);
	assert_true(c->refresh_at == 0.8);
	assert_null(c->private_key_file);
	assert_null(c->key_id);
	assert_null(c->scope);
	assert_null(c->audience);
	assert_null(c->resource);
	ic = ccauth_config_issuer(cfg, "i");
	assert_non_null(ic);
	assert_string_equal(ic->issuer, "https://as.example");
	assert_null(ic->jwks_uri);
	assert_null(ic->jwks_file);
	assert_null(ic->introspection_endpoint);
	assert_int_equal(ic->introspect, CCAUTH_INTROSPECT_OPAQUE);
	assert_null(ic->introspection_client);
	assert_int_equal(ic->audience.n, 1);
	assert_int_equal(ic->required_scope.n, 0);
	assert_int_equal(ic->allowed_client_ids.n, 0);
	assert_int_equal(ic->algorithms, CCAUTH_ALG_ALL);
	assert_int_equal(ic->strict_rfc9068, 0);
	assert_int_equal(ic->username_claim.n, 3);
	assert_string_equal(ic->username_claim.v[0], "client_id");
	assert_string_equal(ic->username_claim.v[1], "azp");
	assert_string_equal(ic->username_claim.v[2], "sub");
	assert_string_equal(ic->username_template, "%s");
	/* profile generic: today's claims */
	assert_int_equal(ic->profile, CCAUTH_PROFILE_GENERIC);
	assert_int_equal(ic->client_id_claims.n, 2);
	assert_string_equal(ic->client_id_claims.v[0], "client_id");
	assert_string_equal(ic->client_id_claims.v[1], "azp");
	assert_int_equal(ic->scope_claims.n, 2);
	assert_string_equal(ic->scope_claims.v[0], "scope");
	assert_null(ic->token_type_claim);
	assert_null(ic->username_map);
	assert_null(ic->usermap);
	ccauth_config_free(cfg);
}

/* Value spellings that must be accepted, and how they are stored. */
/* A list is one allocation (pointers, then the words): separators anywhere, none, only them. */
static void test_strlist(void **state)
{
	struct ccauth_strlist l = {0};
	char *a = NULL, *b = NULL;

	(void)state;
	assert_int_equal(ccauth_strlist_split(" \t a  bb\tccc \t", &l), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[0], "a");
	assert_string_equal(l.v[1], "bb");
	assert_string_equal(l.v[2], "ccc");
	ccauth_strlist_clear(&l);
	assert_null(l.v);
	assert_int_equal(ccauth_strlist_split(" \t ", &l), 0);
	assert_int_equal(l.n, 0);
	assert_null(l.v);
	assert_int_equal(ccauth_strlist_split("", &l), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(ccauth_strlist_split_on("x,y z,,w", ",", &l), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[1], "y z");
	assert_string_equal(l.v[2], "w");
	ccauth_strlist_clear(&l);
	ccauth_strlist_clear(&l); /* twice is fine */

	assert_int_equal(ccauth_strlist_pair(" typ  Bearer ", &a, &b), 0);
	assert_string_equal(a, "typ");
	assert_string_equal(b, "Bearer");
	free(a);
	free(b);
	a = b = NULL;
	assert_int_equal(ccauth_strlist_pair("typ", &a, &b), 1);
	assert_int_equal(ccauth_strlist_pair("a b c", &a, &b), 1);
	assert_null(a);
	assert_null(b);
}

static void test_values(void **state)
{
	struct ccauth_config *cfg;
	const struct ccauth_client_conf *c;
	const struct ccauth_issuer_conf *ic;

	(void)state;
	cfg = parse_ok("  # indented comment\n"
	               "[ global ]\n"
	               "timeout=300\n"
	               "connect_timeout = 300\n"
	               "clock_skew = 0\n"
	               "jwks_min_refresh = 0\n"
	               "jwks_max_stale = 0\n"
	               "introspection_cache = 0\n"
	               "proxy = env\n"
	               "[client c1]\n"
	               "issuer = https://as.example/a\n"
	               "scope = a#b   # a '#' inside a word stays, this comment goes\n"
	               "client_id = c1\n"
	               "auth_method = tls_client_auth\n"
	               "tls_cert_file = /nonexistent/c.crt\n"
	               "tls_key_file = /nonexistent/c.key\n"
	               "refresh_at = 1\n"
	               "signing_alg = EdDSA\n"
	               "[client c2]\n"
	               "issuer = https://as.example/a\n"
	               "client_id = c2\n"
	               "auth_method = client_secret_post\n"
	               "client_secret_file = /nonexistent/c2.secret\n"
	               "refresh_at = 0.000000001\n"
	               "[issuer i1]\n"
	               "issuer = https://as.example/a\n"
	               "introspect = never\n"
	               "allowed_client_ids = c1\n"
	               "strict_rfc9068 = off\n"
	               "algorithms = PS512\n"
	               "username_template = %%svc-%s%%\n"
	               "[issuer i2]\n"
	               "issuer = https://as.example/a/\n"
	               "strict_rfc9068 = 1\n"
	               "audience = a b\n"
	               "username_template = fixed\n");
	assert_int_equal(cfg->timeout, 300);
	assert_int_equal(cfg->connect_timeout, 300);
	assert_int_equal(cfg->clock_skew, 0);
	assert_int_equal(cfg->jwks_max_stale, 0);
	assert_int_equal(cfg->introspection_cache, 0);
	assert_string_equal(cfg->proxy, "env");
	c = ccauth_config_client(cfg, "c1");
	assert_non_null(c);
	assert_string_equal(c->issuer, "https://as.example/a");
	assert_string_equal(c->scope, "a#b");
	assert_int_equal(c->auth_method, CCAUTH_AUTH_TLS_CLIENT_AUTH);
	assert_true(c->refresh_at == 1.0);
	assert_int_equal(c->signing_alg, CCAUTH_ALG_EDDSA);
	c = ccauth_config_client(cfg, "c2");
	assert_non_null(c);
	assert_int_equal(c->auth_method, CCAUTH_AUTH_CLIENT_SECRET_POST);
	assert_true(c->refresh_at > 0.0 && c->refresh_at < 0.00000001);
	ic = ccauth_config_issuer(cfg, "i1");
	assert_int_equal(ic->introspect, CCAUTH_INTROSPECT_NEVER);
	assert_int_equal(ic->strict_rfc9068, 0);
	assert_int_equal(ic->algorithms, CCAUTH_ALG_BIT(CCAUTH_ALG_PS512));
	assert_string_equal(ic->username_template, "%%svc-%s%%");
	ic = ccauth_config_issuer(cfg, "i2");
	assert_int_equal(ic->strict_rfc9068, 1);
	assert_ptr_equal(ccauth_config_issuer_by_iss(cfg, "https://as.example/a/", 21), ic);
	assert_ptr_equal(ccauth_config_issuer_by_iss(cfg, "https://as.example/a", 20), &cfg->issuers[0]);
	ccauth_config_free(cfg);
}

struct bad {
	const char *text;
	const char *where; /* expected "name:LINE" */
};

#define ISS0 "[issuer i]\nissuer = https://as.example\n"
#define ISS  ISS0 "audience = x\n"
#define CLI0 "[client c]\nissuer = https://as.example\nclient_id = c\n"
#define CLI  CLI0 "client_secret_file = /nonexistent/x\n"

static const struct bad bad_configs[] = {
    /* syntax */
    {"timeout = 5\n", "t.conf:1"},
    {"[global]\njunk\n", "t.conf:2"},
    {"[global]\n= 5\n", "t.conf:2"},
    {"[global\n", "t.conf:1"},
    {"[]\n", "t.conf:1"},
    {"[global]]\n", "t.conf:1"},
    {"[server x]\n", "t.conf:1"},
    {"[Global]\n", "t.conf:1"},
    {"[global x]\n", "t.conf:1"},
    {"[global]\n[global]\n", "t.conf:2"},
    {"[client]\n", "t.conf:1"},
    {"[issuer]\n", "t.conf:1"},
    {"[client a b]\n", "t.conf:1"},
    {"[client a/b]\n", "t.conf:1"},
    {"[client "
     "a12345678901234567890123456789012345678901234567890123456789012345]\n",
     "t.conf:1"},
    {ISS ISS, "t.conf:4"},
    {CLI CLI, "t.conf:5"},
    {"[global]\ntimeout = 5\n\n# c\ntimeout = 6\n", "t.conf:5"},
    {"[global]\nTimeout = 5\n", "t.conf:2"},
    {"[global]\nfoo = 5\n", "t.conf:2"},
    {ISS "client_id = x\n", "t.conf:4"},
    {"[global]\nca_file = /x\x01y\n", "t.conf:2"},
    /* [global] values */
    {"[global]\ntimeout = 0\n", "t.conf:2"},
    {"[global]\ntimeout = 301\n", "t.conf:2"},
    {"[global]\ntimeout = 5s\n", "t.conf:2"},
    {"[global]\ntimeout =\n", "t.conf:2"},
    {"[global]\ntimeout = +5\n", "t.conf:2"},
    {"[global]\ntimeout = 99999999999999999999\n", "t.conf:2"},
    {"[global]\ntimeout = 0x10\n", "t.conf:2"},
    {"[global]\nclock_skew = -1\n", "t.conf:2"},
    {"[global]\nclock_skew = 301\n", "t.conf:2"},
    {"[global]\nconnect_timeout = 0\n", "t.conf:2"},
    {"[global]\n\nconnect_timeout = 6\n", "t.conf:3"}, /* exceeds the default timeout 5 */
    {"[global]\njwks_min_refresh = 86401\n", "t.conf:2"},
    {"[global]\njwks_max_stale = 2592001\n", "t.conf:2"},
    {"[global]\nintrospection_cache = 3601\n", "t.conf:2"},
    {"[global]\nca_file = relative/ca.pem\n", "t.conf:2"},
    {"[global]\ncache_dir = var/cache\n", "t.conf:2"},
    {"[global]\nproxy = ftp://proxy:21\n", "t.conf:2"},
    {"[global]\nproxy = http://\n", "t.conf:2"},
    {"[global]\nproxy = environment\n", "t.conf:2"},
    /* [client] values */
    {CLI "issuer = https://as.example\n", "t.conf:5"},
    {"[client c]\nissuer = http://as.example\n", "t.conf:2"},
    {"[client c]\nissuer = https://\n", "t.conf:2"},
    {"[client c]\nissuer = https:///path\n", "t.conf:2"},
    {"[client c]\ntoken_endpoint = https://as.example/to ken\n", "t.conf:2"},
    {"[client c]\ntoken_endpoint = HTTPS://as.example/token\n", "t.conf:2"},
    {"[client c]\nauth_method = client_secret_jwt\n", "t.conf:2"},
    {"[client c]\nsigning_alg = RS384\n", "t.conf:2"},
    {"[client c]\nsigning_alg = HS256\n", "t.conf:2"},
    {"[client c]\nrefresh_at = 0\n", "t.conf:2"},
    {"[client c]\nrefresh_at = 1.01\n", "t.conf:2"},
    {"[client c]\nrefresh_at = 0,8\n", "t.conf:2"},
    {"[client c]\nrefresh_at = .8\n", "t.conf:2"},
    {"[client c]\nrefresh_at = 8e-1\n", "t.conf:2"},
    {"[client c]\nrefresh_at = 0.\n", "t.conf:2"},
    {"[client c]\nclient_secret_file = dir/secret.txt\n", "t.conf:2"},
    {"[client c]\nclient_secret_file = ..\n", "t.conf:2"},
    {"[client c]\nprivate_key_file = a b\n", "t.conf:2"},
    {"[client c]\ntls_key_file = relative.key\n", "t.conf:2"},
    /* [issuer] values */
    {"[issuer i]\nissuer = https://as.example/#frag\n", "t.conf:2"},
    {"[issuer i]\njwks_uri = http://as.example/jwks\n", "t.conf:2"},
    {"[issuer i]\nintrospection_endpoint = as.example/introspect\n", "t.conf:2"},
    {"[issuer i]\nintrospect = sometimes\n", "t.conf:2"},
    {"[issuer i]\nintrospection_client = bad/name\n", "t.conf:2"},
    {"[issuer i]\nalgorithms = RS256 none\n", "t.conf:2"},
    {"[issuer i]\nalgorithms = HS256\n", "t.conf:2"},
    {"[issuer i]\nalgorithms = rs256\n", "t.conf:2"},
    {"[issuer i]\nalgorithms =\n", "t.conf:2"},
    {"[issuer i]\nstrict_rfc9068 = maybe\n", "t.conf:2"},
    {"[issuer i]\nstrict_rfc9068 = YES\n", "t.conf:2"},
    {"[issuer i]\nusername_claim =\n", "t.conf:2"},
    {"[issuer i]\nusername_template = %s-%s\n", "t.conf:2"},
    {"[issuer i]\nusername_template = %d\n", "t.conf:2"},
    {"[issuer i]\nusername_template = svc-%\n", "t.conf:2"},
    {"[issuer i]\nusername_template =\n", "t.conf:2"},
    {"[issuer i]\njwks_file = jwks.json\n", "t.conf:2"},
    /* cross-checks, reported at the section header */
    {"[issuer i]\njwks_file = /etc/ccauth/i.jwks\n", "t.conf:1"},
    {"[global]\n" ISS "introspect = always\n", "t.conf:2"},
    {ISS "introspection_client = nobody\n", "t.conf:1"},
    {CLI "[issuer i]\nissuer = https://as.example\nintrospection_client = C\n", "t.conf:5"},
    {ISS "[issuer j]\nissuer = https://as.example\n", "t.conf:4"},
    /* every issuer restricts whom its tokens are for (RFC 9700 section 2.3) */
    {ISS0, "t.conf:1"},
    {ISS0 "audience =\nallowed_client_ids =\n", "t.conf:1"},
    {ISS0 "profile = entra\n", "t.conf:1"},
    /* profiles */
    {ISS "profile = azure\n", "t.conf:4"},
    {ISS "profile = Entra\n", "t.conf:4"},
    {ISS "profile =\n", "t.conf:4"},
    {ISS0 "profile = cognito\naudience = x\n", "t.conf:1"},
    {ISS0 "profile = cognito\nallowed_client_ids = c\ntoken_type = none\n", "t.conf:1"},
    {ISS0 "profile = cognito\nallowed_client_ids = c\ntoken_type = typ Bearer\n", "t.conf:1"},
    {ISS "token_type = typ\n", "t.conf:4"},
    {ISS "token_type = a b c\n", "t.conf:4"},
    {ISS "token_type =\n", "t.conf:4"},
    {ISS "client_id_claims =\n", "t.conf:4"},
    {ISS "scope_claims =\n", "t.conf:4"},
    {ISS "username_map = users.map\n", "t.conf:4"},
    {ISS "username_map = /nonexistent/ccauth/users.map\n", "t.conf:1"},
    {"[client c]\nissuer = https://as.example\nclient_secret_file = /nonexistent/x\n", "t.conf:1"},
    {"[client c]\nclient_id = c\nclient_secret_file = /nonexistent/x\n", "t.conf:1"},
    {CLI0, "t.conf:1"},
    {CLI0 "auth_method = client_secret_post\n", "t.conf:1"},
    {CLI0 "auth_method = private_key_jwt\nclient_secret_file = /nonexistent/x\n", "t.conf:1"},
    {CLI0 "auth_method = tls_client_auth\ntls_cert_file = /nonexistent/x.crt\n", "t.conf:1"},
    {CLI0 "auth_method = tls_client_auth\ntls_key_file = /nonexistent/x.key\n", "t.conf:1"},
    {"[global]\n" CLI0 "auth_method = private_key_jwt\nprivate_key_file = /k\n" CLI0, "t.conf:7"},
    {"[global]\ntimeout = 2\nconnect_timeout = 3\n", "t.conf:3"},
    /* machines without stored secrets: values, then contradictions at the offending key's line */
    {"[client c]\ngrant = implicit\n", "t.conf:2"},
    {"[client c]\nclient_assertion_type = saml\n", "t.conf:2"},
    {"[client c]\nsubject_token_type = saml2\n", "t.conf:2"},
    {"[client c]\nassertion_audience = both\n", "t.conf:2"},
    {"[client c]\nclient_assertion_url = http://x.example/t\n", "t.conf:2"},
    {"[client c]\nclient_assertion_url = env:1X\n", "t.conf:2"},
    {"[client c]\nclient_assertion_token_env = A-B\n", "t.conf:2"},
    {"[client c]\nrequested_token_type = access token\n", "t.conf:2"},
    {"[client c]\nclient_assertion_file = relative.jwt\n", "t.conf:2"},
    {CLI0 "auth_method = client_assertion\nclient_assertion_file = /a\nclient_secret_file = /nonexistent/x\n",
     "t.conf:6"},
    {CLI0 "auth_method = client_assertion\nclient_assertion_file = /a\nprivate_key_file = /nonexistent/k\n",
     "t.conf:6"},
    {CLI0 "tls_cert_file = /c.pem\nauth_method = client_assertion\nclient_assertion_file = /a\n", "t.conf:4"},
    {CLI0 "auth_method = client_assertion\n", "t.conf:1"},
    {CLI0 "auth_method = client_assertion\nclient_assertion_file = /a\nclient_assertion_url = https://x.example/t\n"
          "client_assertion_token_env = T\n",
     "t.conf:6"},
    {CLI0 "auth_method = client_assertion\nclient_assertion_url = https://x.example/t\n", "t.conf:5"},
    {CLI0 "auth_method = client_assertion\nclient_assertion_file = /a\nclient_assertion_token_env = T\n", "t.conf:6"},
    {"[client c]\ntoken_endpoint = https://as.example/t\nauth_method = client_assertion\n"
     "client_assertion_url = env:U\nclient_assertion_token_env = T\n",
     "t.conf:4"},
    {CLI0 "client_assertion_file = /a\n", "t.conf:4"},
    {CLI0 "client_assertion_type = jwt-spiffe\n", "t.conf:4"},
    {CLI0 "auth_method = none\n", "t.conf:4"},
    {CLI0 "grant = token_exchange\nauth_method = none\n", "t.conf:1"},
    {CLI0 "subject_token_type = jwt\n", "t.conf:4"},
    {CLI0 "auth_method = none\nsubject_token_file = /s\n", "t.conf:5"},
    {CLI0 "assertion_audience = token_endpoint\nclient_secret_file = /nonexistent/x\n", "t.conf:4"},
    {"[client c]\ntoken_endpoint = https://as.example/t\nclient_id = c\nauth_method = private_key_jwt\n"
     "private_key_file = /k\n",
     "t.conf:1"},
    {"[client c]\ntoken_endpoint = https://as.example/t\nauth_method = private_key_jwt\nprivate_key_file = /k\n"
     "assertion_audience = token_endpoint\n",
     "t.conf:1"}, /* private_key_jwt still needs client_id */
};

static void check_bad(const char *text, size_t len, const char *where)
{
	struct ccauth_config *cfg = (struct ccauth_config *)(uintptr_t)1;
	struct ccauth_error err = {0};
	enum ccauth_status st = ccauth_config_parse(text, len, "t.conf", &cfg, &err);
	size_t wl = strlen(where);

	if (st != CCAUTH_E_CONFIG || strncmp(err.msg, where, wl) != 0 || strncmp(err.msg + wl, ": ", 2) != 0)
		fail_msg("config <<%s>>: got status %d \"%s\", want %s", text, st, err.msg, where);
	assert_int_equal(err.code, CCAUTH_E_CONFIG);
	assert_null(cfg);
}

static void test_invalid_table(void **state)
{
	size_t n = sizeof(bad_configs) / sizeof(bad_configs[0]);

	(void)state;
	assert_true(n >= 40);
	for (size_t i = 0; i < n; i++)
		check_bad(bad_configs[i].text, strlen(bad_configs[i].text), bad_configs[i].where);
}

/* Every control byte (and DEL) at every offset of a line is refused at that line, whatever its
 * place in the 8-byte words the line is scanned by; bytes 0x80-0xff and tabs are not. */
static void test_control_bytes(void **state)
{
	static const unsigned char bad[] = {0x00, 0x01, 0x08, 0x0b, 0x0c, 0x0e, 0x1b, 0x1f, 0x7f};
	static const char line[] = "cache_dir = /var/cache/ccauth-abcdefghijklmnopq";
	char text[128];
	size_t ll = sizeof(line) - 1;

	(void)state;
	for (size_t k = 0; k < ll; k++) {
		for (size_t b = 0; b < sizeof(bad); b++) {
			int n = snprintf(text, sizeof(text), "[global]\n%s\n", line);

			text[9 + k] = (char)bad[b];
			check_bad(text, (size_t)n, "t.conf:2");
		}
	}
	for (size_t k = 13; k < ll; k++) {
		static const unsigned char good[] = {0x80, 0xc3, 0xfe, 0xff};

		for (size_t b = 0; b < sizeof(good); b++) {
			struct ccauth_config *cfg;

			snprintf(text, sizeof(text), "[global]\n%s\t \n", line);
			text[9 + k] = (char)good[b];
			cfg = parse_ok(text);
			ccauth_config_free(cfg);
		}
	}
}

/* Limits: NUL byte, line length, file size. */
static void test_limits(void **state)
{
	static const char nul[] = "[global]\n# x\ntimeout = 5\0\n";
	size_t big = CCAUTH_CONFIG_MAX_BYTES + 1;
	char *buf = malloc(big);
	struct ccauth_config *cfg;

	(void)state;
	assert_non_null(buf);
	check_bad(nul, sizeof(nul) - 1, "t.conf:3");

	/* a comment line of exactly the maximum is fine, one byte more is not */
	memset(buf, ' ', CCAUTH_CONFIG_MAX_LINE + 1);
	buf[0] = '#';
	memcpy(buf + CCAUTH_CONFIG_MAX_LINE, "\n", 2);
	cfg = parse_ok(buf);
	ccauth_config_free(cfg);
	memcpy(buf + CCAUTH_CONFIG_MAX_LINE, " \n", 3);
	check_bad(buf, strlen(buf), "t.conf:1");
	memcpy(buf, "\n\n[global]\n", 11);
	memset(buf + 11, ' ', CCAUTH_CONFIG_MAX_LINE + 1);
	buf[11] = '#';
	memcpy(buf + 12 + CCAUTH_CONFIG_MAX_LINE, "\r\n", 3);
	check_bad(buf, strlen(buf), "t.conf:4");
	/* exactly the maximum, then \r\n: fine */
	memcpy(buf + 11 + CCAUTH_CONFIG_MAX_LINE, "\r\n", 3);
	cfg = parse_ok(buf);
	ccauth_config_free(cfg);

	/* 1 MiB of comment lines is fine, one byte more is refused */
	for (size_t i = 0; i < big; i += 64) {
		size_t n = big - i < 64 ? big - i : 64;
		memset(buf + i, '#', n);
		buf[i + n - 1] = '\n';
	}
	assert_int_equal(ccauth_config_parse(buf, CCAUTH_CONFIG_MAX_BYTES, "t.conf", &cfg, NULL), CCAUTH_OK);
	ccauth_config_free(cfg);
	check_bad(buf, big, "t.conf:16385");
	free(buf);
}

static char tmpdir[64];

static char *tmp_path(const char *name)
{
	size_t n = strlen(tmpdir) + strlen(name) + 2;
	char *p = malloc(n);

	assert_non_null(p);
	snprintf(p, n, "%s/%s", tmpdir, name);
	return p;
}

static char *write_file(const char *name, const char *text, mode_t mode)
{
	char *p = tmp_path(name);
	FILE *f;

	unlink(p);
	f = fopen(p, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(p, mode), 0);
	return p;
}

static enum ccauth_status load(const char *path, struct ccauth_error *err)
{
	struct ccauth_config *cfg = NULL;
	enum ccauth_status st = ccauth_config_load(path, &cfg, err);

	if (st == CCAUTH_OK) {
		assert_non_null(cfg);
		assert_string_equal(cfg->path, path);
		ccauth_config_free(cfg);
	} else {
		assert_null(cfg);
	}
	return st;
}

static void test_file_permissions(void **state)
{
	struct ccauth_error err = {0};
	char *conf, *secret, *missing, *text, *dir;
	size_t tl;

	(void)state;
	conf = write_file("ok.conf", "[global]\ntimeout = 9\n", 0644);
	assert_int_equal(load(conf, &err), CCAUTH_OK);
	assert_int_equal(chmod(conf, 0600), 0);
	assert_int_equal(load(conf, &err), CCAUTH_OK);
	assert_int_equal(chmod(conf, 0666), 0);
	assert_int_equal(load(conf, &err), CCAUTH_E_CONFIG);
	assert_non_null(strstr(err.msg, "writable by group or others"));
	assert_int_equal(chmod(conf, 0664), 0);
	assert_int_equal(load(conf, &err), CCAUTH_E_CONFIG);
	assert_int_equal(chmod(conf, 0644), 0);
	if (geteuid() == 0) {
		assert_int_equal(chown(conf, 12345, 12345), 0);
		assert_int_equal(load(conf, &err), CCAUTH_E_CONFIG);
		assert_non_null(strstr(err.msg, "owned by uid 12345"));
		assert_int_equal(chown(conf, 0, 0), 0);
		assert_int_equal(load(conf, &err), CCAUTH_OK);
	}
	/* missing file, directory */
	missing = tmp_path("missing.conf");
	assert_int_equal(load(missing, &err), CCAUTH_E_CONFIG);
	assert_non_null(strstr(err.msg, "no such file"));
	dir = tmp_path("");
	assert_int_equal(load(dir, &err), CCAUTH_E_CONFIG);
	/* a parse error through load names the path and line */
	free(conf);
	conf = write_file("bad.conf", "[global]\n\ntimeout = x\n", 0644);
	assert_int_equal(load(conf, &err), CCAUTH_E_CONFIG);
	assert_true(strncmp(err.msg, conf, strlen(conf)) == 0);
	assert_true(strncmp(err.msg + strlen(conf), ":3: ", 4) == 0);
	free(conf);

	/* secret files are judged when read, by the reader (credfile.c): never at load */
	secret = write_file("c.secret", "s3cret", 0644);
	tl = strlen(secret) + 200;
	text = malloc(tl);
	assert_non_null(text);
	snprintf(text, tl, "[client c]\nissuer = https://as.example\nclient_id = c\n\nclient_secret_file = %s\n",
	         secret);
	conf = write_file("secret.conf", text, 0644);
	assert_int_equal(load(conf, &err), CCAUTH_OK);
	assert_int_equal(ccauth_credfile_check_secret(secret, &err), CCAUTH_E_CONFIG);
	assert_non_null(strstr(err.msg, "is readable or writable by others (mode 0644): chmod o-rwx it"));
	assert_true(strncmp(err.msg, "secret file ", 12) == 0);
	assert_null(strstr(err.msg, "s3cret"));
	assert_int_equal(chmod(secret, 0602), 0);
	assert_int_equal(ccauth_credfile_check_secret(secret, &err), CCAUTH_E_CONFIG);
	assert_int_equal(chmod(secret, 0620), 0);
	assert_int_equal(ccauth_credfile_check_secret(secret, &err), CCAUTH_E_CONFIG);
	assert_non_null(strstr(err.msg, "writable by its group (mode 0620): chmod g-w it"));
	assert_int_equal(chmod(secret, 0600), 0);
	assert_int_equal(ccauth_credfile_check_secret(secret, &err), CCAUTH_OK);
	assert_int_equal(chmod(secret, 0400), 0);
	assert_int_equal(ccauth_credfile_check_secret(secret, &err), CCAUTH_OK);
	/* group-readable: only by a group of this process */
	assert_int_equal(chmod(secret, 0640), 0);
	assert_int_equal(chown(secret, (uid_t)-1, getegid()), 0);
	assert_int_equal(ccauth_credfile_check_secret(secret, &err), CCAUTH_OK);
	if (geteuid() == 0) {
		assert_int_equal(chown(secret, 0, 54321), 0);
		assert_int_equal(ccauth_credfile_check_secret(secret, &err), CCAUTH_E_CONFIG);
		assert_non_null(strstr(err.msg, "is readable by group 54321, which uid 0 is not in"));
		assert_int_equal(chmod(secret, 0600), 0);
		assert_int_equal(ccauth_credfile_check_secret(secret, &err), CCAUTH_OK);
		/* another user's, 0600: refused; root's is fine */
		assert_int_equal(chown(secret, 12345, 12345), 0);
		assert_int_equal(load(conf, &err), CCAUTH_OK);
		assert_int_equal(ccauth_credfile_check_secret(secret, &err), CCAUTH_E_CONFIG);
		assert_non_null(strstr(err.msg, "is owned by uid 12345, not root or this process's uid 0"));
		assert_int_equal(chown(secret, 0, 0), 0);
		assert_int_equal(ccauth_credfile_check_secret(secret, &err), CCAUTH_OK);
	}
	assert_int_equal(unlink(secret), 0);
	assert_int_equal(load(conf, &err), CCAUTH_OK);
	assert_int_equal(ccauth_credfile_check_secret(secret, &err), CCAUTH_E_CONFIG);
	assert_int_equal(ccauth_credfile_check_secret(dir, &err), CCAUTH_E_CONFIG);
	assert_non_null(strstr(err.msg, "not a regular file"));
	assert_int_equal(ccauth_credfile_check_secret(NULL, &err), CCAUTH_E_CONFIG);
	unlink(conf);
	free(conf);
	free(text);
	free(secret);
	free(missing);
	free(dir);
}

/* parse "[global]\nKEY = PATH\n": the status, the message in err */
static enum ccauth_status parse_global(const char *key, const char *path, struct ccauth_error *err)
{
	struct ccauth_config *cfg = NULL;
	char text[512];
	enum ccauth_status st;

	snprintf(text, sizeof(text), "[global]\n%s = %s\n", key, path);
	memset(err, 0, sizeof(*err));
	st = ccauth_config_parse(text, strlen(text), "t.conf", &cfg, err);
	ccauth_config_free(cfg);
	return st;
}

/* ca_file and ca_path choose whom we trust: the jwks_file rule, checked when the path exists */
static void test_trust_anchors(void **state)
{
	struct ccauth_error err;
	char *ca = write_file("ca.pem", "-----BEGIN CERTIFICATE-----\n", 0644), *dir = tmp_path("capath"),
	     *missing = tmp_path("missing.pem");

	(void)state;
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(parse_global("ca_file", ca, &err), CCAUTH_OK);
	assert_int_equal(parse_global("ca_path", dir, &err), CCAUTH_OK);
	assert_int_equal(parse_global("ca_file", missing, &err), CCAUTH_OK);
	assert_int_equal(parse_global("ca_path", missing, &err), CCAUTH_OK);
	assert_int_equal(chmod(ca, 0444), 0);
	assert_int_equal(parse_global("ca_file", ca, &err), CCAUTH_OK);

	const struct {
		const char *key, *path, *prefix;
		mode_t mode;
	} loose[] = {
	    {"ca_file", ca, "t.conf:2: ca_file ", 0664},  {"ca_file", ca, "t.conf:2: ca_file ", 0646},
	    {"ca_file", ca, "t.conf:2: ca_file ", 0666},  {"ca_path", dir, "t.conf:2: ca_path ", 0775},
	    {"ca_path", dir, "t.conf:2: ca_path ", 0757}, {"ca_path", dir, "t.conf:2: ca_path ", 01777},
	};
	for (size_t i = 0; i < sizeof(loose) / sizeof(loose[0]); i++) {
		assert_int_equal(chmod(loose[i].path, loose[i].mode), 0);
		assert_int_equal(parse_global(loose[i].key, loose[i].path, &err), CCAUTH_E_CONFIG);
		assert_true(strncmp(err.msg, loose[i].prefix, strlen(loose[i].prefix)) == 0);
		assert_non_null(strstr(err.msg, "is writable by group or others, or not owned by root"));
	}
	assert_int_equal(chmod(ca, 0644), 0);
	assert_int_equal(chmod(dir, 0755), 0);
	if (geteuid() == 0) {
		assert_int_equal(chown(ca, 12345, 12345), 0);
		assert_int_equal(parse_global("ca_file", ca, &err), CCAUTH_E_CONFIG);
		assert_non_null(strstr(err.msg, "not owned by root or the current user"));
		assert_int_equal(chown(dir, 12345, 12345), 0);
		assert_int_equal(parse_global("ca_path", dir, &err), CCAUTH_E_CONFIG);
		assert_non_null(strstr(err.msg, "not owned by root or the current user"));
		assert_int_equal(chown(ca, 0, 0), 0);
		assert_int_equal(chown(dir, 0, 0), 0);
		assert_int_equal(parse_global("ca_file", ca, &err), CCAUTH_OK);
	}
	/* the wrong kind of file */
	assert_int_equal(parse_global("ca_file", dir, &err), CCAUTH_E_CONFIG);
	assert_non_null(strstr(err.msg, "is not a regular file"));
	assert_int_equal(parse_global("ca_path", ca, &err), CCAUTH_E_CONFIG);
	assert_non_null(strstr(err.msg, "is not a directory"));
	assert_int_equal(unlink(ca), 0);
	assert_int_equal(rmdir(dir), 0);
	free(ca);
	free(dir);
	free(missing);
}

/* profile = NAME fills what the section leaves unset; an explicit key wins */
static void test_profiles(void **state)
{
	static const struct {
		const char *profile, *cid0, *scope0, *user0, *tt;
	} want[] = {
	    {"generic", "client_id", "scope", "client_id", NULL},
	    {"entra", "azp", "roles", "azp", NULL},
	    {"okta", "cid", "scp", "cid", NULL},
	    {"keycloak", "azp", "scope", "azp", "typ"},
	    {"auth0", "azp", "scope", "azp", NULL},
	    {"cognito", "client_id", "scope", "client_id", "token_use"},
	    {"duo", "client_id", "scope", "client_id", NULL},
	};
	char text[256];
	struct ccauth_config *cfg;
	const struct ccauth_issuer_conf *ic;

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		snprintf(text, sizeof(text),
		         "[issuer i]\nprofile = %s\nissuer = https://as.example\n"
		         "allowed_client_ids = c\n",
		         want[i].profile);
		cfg = parse_ok(text);
		ic = ccauth_config_issuer(cfg, "i");
		assert_int_equal(ic->profile, ccauth_profile_from_name(want[i].profile));
		assert_string_equal(ic->client_id_claims.v[0], want[i].cid0);
		assert_string_equal(ic->scope_claims.v[0], want[i].scope0);
		assert_string_equal(ic->username_claim.v[0], want[i].user0);
		if (want[i].tt == NULL)
			assert_null(ic->token_type_claim);
		else
			assert_string_equal(ic->token_type_claim, want[i].tt);
		ccauth_config_free(cfg);
	}
	/* explicit keys win over the profile, in any order */
	cfg = parse_ok("[issuer i]\nscope_claims = roles\nclient_id_claims = appid\nusername_claim = oid\n"
	               "profile = entra\nissuer = https://as.example\naudience = api://x\n");
	ic = ccauth_config_issuer(cfg, "i");
	assert_int_equal(ic->scope_claims.n, 1);
	assert_string_equal(ic->scope_claims.v[0], "roles");
	assert_int_equal(ic->client_id_claims.n, 1);
	assert_string_equal(ic->client_id_claims.v[0], "appid");
	assert_string_equal(ic->username_claim.v[0], "oid");
	ccauth_config_free(cfg);
	/* keycloak's token type may be replaced or dropped; cognito's may be restated */
	cfg = parse_ok("[issuer i]\nprofile = keycloak\nissuer = https://as.example\naudience = x\ntoken_type = none\n"
	               "[issuer j]\nprofile = keycloak\nissuer = https://as.example/j\naudience = x\n"
	               "token_type = token_kind access\n"
	               "[issuer k]\nprofile = cognito\nissuer = https://as.example/k\nallowed_client_ids = c\n"
	               "token_type = token_use access\n");
	assert_null(ccauth_config_issuer(cfg, "i")->token_type_claim);
	assert_string_equal(ccauth_config_issuer(cfg, "j")->token_type_claim, "token_kind");
	assert_string_equal(ccauth_config_issuer(cfg, "j")->token_type_value, "access");
	assert_string_equal(ccauth_config_issuer(cfg, "k")->token_type_value, "access");
	ccauth_config_free(cfg);
}

static char *map_conf(const char *map)
{
	static char text[512];

	snprintf(text, sizeof(text), "[issuer i]\nissuer = https://as.example\naudience = x\n\nusername_map = %s\n",
	         map);
	return text;
}

/* username_map = FILE: VALUE NAME pairs; bad lines, duplicates and loose permissions refuse the
 * whole configuration, naming the map's line */
static void test_username_map(void **state)
{
	static const struct {
		const char *text;
		const char *msg; /* NULL: accepted */
	} maps[] = {
	    {"# comment\n\n6f1d9c3e-0b2a  svc-backup\r\n  0oa5x\tsvc-okta   # trailing comment\n", NULL},
	    {"", NULL},
	    {"a b\na c\n", ":2: value already mapped on line 1"},
	    {"a b\nb c\n# x\na d\n", ":4: value already mapped on line 1"},
	    {"a\n", ":1: expected VALUE NAME"},
	    {"a b c\n", ":1: expected VALUE NAME"},
	    {"a b/c\n", ":1: name is not"},
	    {"a ..\n", ":1: name is not"},
	    {"a svc:x\n", ":1: name is not"},
	};
	struct ccauth_config *cfg = NULL;
	struct ccauth_error err = {0};
	const struct ccauth_issuer_conf *ic;
	char *path, *text;

	(void)state;
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		path = write_file("users.map", maps[i].text, 0644);
		text = map_conf(path);
		if (maps[i].msg == NULL) {
			cfg = parse_ok(text);
			ic = ccauth_config_issuer(cfg, "i");
			assert_non_null(ic->usermap);
			if (i == 0) {
				assert_int_equal(ccauth_usermap_size(ic->usermap), 2);
				assert_string_equal(ccauth_usermap_lookup(ic->usermap, "6f1d9c3e-0b2a", 13),
				                    "svc-backup");
				assert_string_equal(ccauth_usermap_lookup(ic->usermap, "0oa5x", 5), "svc-okta");
				assert_null(ccauth_usermap_lookup(ic->usermap, "0oa5", 4));
				assert_null(ccauth_usermap_lookup(ic->usermap, "svc-okta", 8));
			}
			ccauth_config_free(cfg);
		} else {
			assert_int_equal(ccauth_config_parse(text, strlen(text), "t.conf", &cfg, &err),
			                 CCAUTH_E_CONFIG);
			/* the section's line in the config, then the map's own path:line */
			assert_true(strncmp(err.msg, "t.conf:1: username_map ", 23) == 0 ||
			            strncmp(err.msg, "t.conf:1: ", 10) == 0);
			if (strstr(err.msg, maps[i].msg) == NULL || strstr(err.msg, path) == NULL)
				fail_msg("map <<%s>>: \"%s\", want %s", maps[i].text, err.msg, maps[i].msg);
		}
		unlink(path);
		free(path);
	}
	/* the config file's permission rule */
	path = write_file("users.map", "a b\n", 0664);
	text = map_conf(path);
	assert_int_equal(ccauth_config_parse(text, strlen(text), "t.conf", &cfg, &err), CCAUTH_E_CONFIG);
	assert_non_null(strstr(err.msg, "writable by group or others"));
	assert_int_equal(chmod(path, 0600), 0);
	cfg = parse_ok(text);
	ccauth_config_free(cfg);
	if (geteuid() == 0) {
		assert_int_equal(chown(path, 12345, 12345), 0);
		assert_int_equal(ccauth_config_parse(text, strlen(text), "t.conf", &cfg, &err), CCAUTH_E_CONFIG);
		assert_non_null(strstr(err.msg, "owned by uid 12345"));
	}
	unlink(path);
	free(path);
}

/* Machines without stored secrets: what a valid section sets, and the line of each key. */
static void test_secretless(void **state)
{
	static const char conf[] = "[client pod]\n"
	                           "issuer = https://as.example\n"
	                           "auth_method = client_assertion\n"
	                           "client_assertion_file = /var/run/secrets/tokens/t\n"
	                           "client_assertion_type = jwt-spiffe\n"
	                           "\n"
	                           "[client gha]\n"
	                           "issuer = https://as.example\n"
	                           "auth_method = client_assertion\n"
	                           "client_assertion_url = env:ACTIONS_ID_TOKEN_REQUEST_URL\n"
	                           "client_assertion_token_env = ACTIONS_ID_TOKEN_REQUEST_TOKEN\n"
	                           "client_assertion_audience = api://AzureADTokenExchange\n"
	                           "\n"
	                           "[client sts]\n"
	                           "token_endpoint = https://sts.example/v1/token\n"
	                           "grant = token_exchange\n"
	                           "auth_method = none\n"
	                           "subject_token_file = /t\n"
	                           "subject_token_type = id_token\n"
	                           "requested_token_type = urn:ietf:params:oauth:token-type:jwt\n"
	                           "\n"
	                           "[client legacy]\n"
	                           "token_endpoint = https://as.example/token\n"
	                           "client_id = c\n"
	                           "auth_method = private_key_jwt\n"
	                           "private_key_file = /k\n"
	                           "assertion_audience = token_endpoint\n";
	struct ccauth_config *cfg = NULL;
	struct ccauth_error err = {0};
	const struct ccauth_client_conf *c;

	(void)state;
	assert_int_equal(ccauth_config_parse(conf, sizeof(conf) - 1, "t.conf", &cfg, &err), CCAUTH_OK);
	c = ccauth_config_client(cfg, "pod");
	assert_non_null(c);
	assert_null(c->client_id); /* optional with a federated assertion */
	assert_int_equal(c->auth_method, CCAUTH_AUTH_CLIENT_ASSERTION);
	assert_int_equal(c->client_assertion_type, CCAUTH_ASSERTION_JWT_SPIFFE);
	assert_string_equal(c->client_assertion_file, "/var/run/secrets/tokens/t");
	assert_int_equal(c->grant, CCAUTH_GRANT_CLIENT_CREDENTIALS);
	c = ccauth_config_client(cfg, "gha");
	assert_string_equal(c->client_assertion_url, "env:ACTIONS_ID_TOKEN_REQUEST_URL");
	assert_string_equal(c->client_assertion_token_env, "ACTIONS_ID_TOKEN_REQUEST_TOKEN");
	assert_string_equal(c->client_assertion_audience, "api://AzureADTokenExchange");
	assert_int_equal(c->client_assertion_type, CCAUTH_ASSERTION_JWT_BEARER);
	c = ccauth_config_client(cfg, "sts");
	assert_int_equal(c->grant, CCAUTH_GRANT_TOKEN_EXCHANGE);
	assert_int_equal(c->auth_method, CCAUTH_AUTH_NONE);
	assert_int_equal(c->subject_token_type, CCAUTH_SUBJECT_ID_TOKEN);
	assert_string_equal(c->requested_token_type, "urn:ietf:params:oauth:token-type:jwt");
	c = ccauth_config_client(cfg, "legacy");
	assert_int_equal(c->assertion_audience, CCAUTH_ASSERTION_AUD_TOKEN_ENDPOINT);
	ccauth_config_free(cfg);
}

static void test_default_path(void **state)
{
	const char *p;

	(void)state;
	assert_string_equal(ccauth_config_default_path("/x/y.conf"), "/x/y.conf");
	assert_int_equal(setenv("CCAUTH_CONF", "/env/ccauth.conf", 1), 0);
	assert_string_equal(ccauth_config_default_path(NULL), "/env/ccauth.conf");
	assert_string_equal(ccauth_config_default_path("/x/y.conf"), "/x/y.conf");
	assert_int_equal(setenv("CCAUTH_CONF", "", 1), 0);
	p = ccauth_config_default_path(NULL);
	assert_int_equal(unsetenv("CCAUTH_CONF"), 0);
	assert_string_equal(ccauth_config_default_path(NULL), p);
	assert_string_equal(p, CCAUTH_DEFAULT_CONFIG);
}

/* drop-ins: conf.d next to the main file, *.conf only, bytewise order, one configuration whose
 * errors name the drop-in and its line */
static void test_dropins(void **state)
{
	struct ccauth_config *cfg = NULL;
	struct ccauth_error err = {0};
	char *conf, *dir, *a, *b, *hidden, *other;
	size_t bl;

	(void)state;
	conf = write_file("main.conf", "[issuer one]\nissuer = https://as.example/1\naudience = x\n", 0644);
	dir = tmp_path("conf.d");
	assert_int_equal(mkdir(dir, 0755), 0);
	b = write_file("conf.d/20-b.conf",
	               "[client b]\ntoken_endpoint = https://as.example/token\nclient_id = b\n"
	               "client_secret_file = b.secret\n",
	               0644);
	a = write_file("conf.d/10-a.conf", "[issuer two]\nissuer = https://as.example/2\naudience = x\n", 0644);
	hidden = write_file("conf.d/.hidden.conf", "garbage\n", 0644);
	other = write_file("conf.d/README", "garbage\n", 0644);
	bl = strlen(b);

	assert_int_equal(ccauth_config_load(conf, &cfg, &err), CCAUTH_OK);
	assert_int_equal(cfg->nfiles, 3);
	assert_string_equal(cfg->files[0], conf);
	assert_string_equal(cfg->files[1], a);
	assert_string_equal(cfg->files[2], b);
	assert_int_equal(cfg->nissuers, 2);
	assert_string_equal(cfg->issuers[1].name, "two");
	assert_int_equal(cfg->issuers[1].file, 1);
	assert_int_equal(cfg->nclients, 1);
	/* a credential name for $CREDENTIALS_DIRECTORY, not looked at when loading */
	assert_string_equal(cfg->clients[0].client_secret_file, "b.secret");
	ccauth_config_free(cfg);

	/* a cross-check names the drop-in that holds the section */
	free(b);
	b = write_file("conf.d/20-b.conf", "\n[client b]\ntoken_endpoint = https://as.example/token\n", 0644);
	assert_int_equal(load(conf, &err), CCAUTH_E_CONFIG);
	assert_true(strncmp(err.msg, b, bl) == 0);
	assert_string_equal(err.msg + bl, ":2: [client] needs client_id");
	/* a section of another file, a second [global], a key with no section of its own file */
	free(b);
	b = write_file("conf.d/20-b.conf", "[issuer one]\nissuer = https://as.example/3\naudience = x\n", 0644);
	assert_int_equal(load(conf, &err), CCAUTH_E_CONFIG);
	assert_string_equal(err.msg + bl, ":1: duplicate section [issuer]");
	free(b);
	b = write_file("conf.d/20-b.conf", "timeout = 3\n", 0644);
	assert_int_equal(load(conf, &err), CCAUTH_E_CONFIG);
	assert_string_equal(err.msg + bl, ":1: key outside of a section");
	free(b);
	b = write_file("conf.d/20-b.conf", "[global]\ntimeout = 3\n", 0644);
	assert_int_equal(load(conf, &err), CCAUTH_OK);
	/* the rule of the main file, for each drop-in and for conf.d */
	assert_int_equal(chmod(b, 0664), 0);
	assert_int_equal(load(conf, &err), CCAUTH_E_CONFIG);
	assert_true(strncmp(err.msg, b, bl) == 0);
	assert_int_equal(chmod(b, 0644), 0);
	assert_int_equal(chmod(dir, 0777), 0);
	assert_int_equal(load(conf, &err), CCAUTH_E_CONFIG);
	assert_non_null(strstr(err.msg, "conf.d: writable by group or others"));
	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(load(conf, &err), CCAUTH_OK);

	unlink(a);
	unlink(b);
	unlink(hidden);
	unlink(other);
	assert_int_equal(rmdir(dir), 0);
	unlink(conf);
	free(a);
	free(b);
	free(hidden);
	free(other);
	free(dir);
	free(conf);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_config.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	char *p;

	(void)state;
	p = tmp_path("ok.conf");
	unlink(p);
	free(p);
	p = tmp_path("bad.conf");
	unlink(p);
	free(p);
	return rmdir(tmpdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full),          cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_strlist),
	    cmocka_unit_test(test_control_bytes),
	    cmocka_unit_test(test_values),        cmocka_unit_test(test_invalid_table),
	    cmocka_unit_test(test_limits),        cmocka_unit_test(test_file_permissions),
	    cmocka_unit_test(test_trust_anchors), cmocka_unit_test(test_default_path),
	    cmocka_unit_test(test_dropins),
	    cmocka_unit_test(test_profiles),      cmocka_unit_test(test_username_map),
	    cmocka_unit_test(test_secretless),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
