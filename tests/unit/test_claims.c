/* The claims policy (validation-order.md steps 9-14, plus the iss check it repeats for
 * introspection results), one table row per case, each with the exact reason. */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "json.h"
#include "validate.h"

#define NOW  INT64_C(1700000000)
#define SKEW 60
#define ISS  "\"iss\":\"https://as.example/t1\""
/* exp one hour ahead of NOW */
#define EXP "\"exp\":1700003600"

enum policy {
	P_BASE,
	P_AUD,
	P_SCOPE,
	P_CLIENTS,
	P_STRICT,
	P_ALL,
	/* the claim lists of the profiles (profile.c), as config.c fills them in */
	P_ENTRA,
	P_OKTA,
	P_KEYCLOAK,
	P_AUTH0,
	P_COGNITO,
	P_COGNITO_AUD, /* cognito with an audience too: a profile never drops a configured check */
};

struct claims_case {
	const char *name;
	enum policy policy;
	const char *typ;
	const char *claims;
	enum ccauth_status want;
};

static const struct claims_case cases[] = {
    /* positive controls */
    {"minimal", P_BASE, NULL, "{" ISS "," EXP "}", CCAUTH_OK},
    {"everything satisfied", P_ALL, "at+jwt",
     "{" ISS "," EXP ",\"iat\":1700000000,\"nbf\":1700000000,\"jti\":\"j\",\"client_id\":\"c1\",\"sub\":\"s\","
     "\"aud\":[\"x\",\"ldap://b\"],\"scope\":\"mail ldap.read\"}",
     CCAUTH_OK},
    /* iss (step 5, repeated for introspection) */
    {"iss missing", P_BASE, NULL, "{" EXP "}", CCAUTH_E_ISSUER},
    {"iss not a string", P_BASE, NULL, "{\"iss\":1," EXP "}", CCAUTH_E_MALFORMED},
    {"iss trailing slash", P_BASE, NULL, "{\"iss\":\"https://as.example/t1/\"," EXP "}", CCAUTH_E_ISSUER},
    {"iss case", P_BASE, NULL, "{\"iss\":\"https://AS.example/t1\"," EXP "}", CCAUTH_E_ISSUER},
    {"iss prefix", P_BASE, NULL, "{\"iss\":\"https://as.example/t\"," EXP "}", CCAUTH_E_ISSUER},
    /* step 9: types */
    {"exp missing", P_BASE, NULL, "{" ISS "}", CCAUTH_E_MALFORMED},
    {"exp string", P_BASE, NULL, "{" ISS ",\"exp\":\"1700003600\"}", CCAUTH_E_MALFORMED},
    {"exp float", P_BASE, NULL, "{" ISS ",\"exp\":1700003600.5}", CCAUTH_E_MALFORMED},
    {"exp exponent", P_BASE, NULL, "{" ISS ",\"exp\":1.7e9}", CCAUTH_E_MALFORMED},
    {"exp bool", P_BASE, NULL, "{" ISS ",\"exp\":true}", CCAUTH_E_MALFORMED},
    {"exp null", P_BASE, NULL, "{" ISS ",\"exp\":null}", CCAUTH_E_MALFORMED},
    {"exp negative", P_BASE, NULL, "{" ISS ",\"exp\":-1}", CCAUTH_E_MALFORMED},
    {"exp past year 9999", P_BASE, NULL, "{" ISS ",\"exp\":253402300800}", CCAUTH_E_MALFORMED},
    {"exp at year 9999 limit", P_BASE, NULL, "{" ISS ",\"exp\":253402300799}", CCAUTH_OK},
    {"exp huge", P_BASE, NULL, "{" ISS ",\"exp\":99999999999999999999999}", CCAUTH_E_MALFORMED},
    {"exp wrong type wins over expired", P_BASE, NULL, "{" ISS ",\"exp\":\"1\"}", CCAUTH_E_MALFORMED},
    {"nbf string", P_BASE, NULL, "{" ISS "," EXP ",\"nbf\":\"0\"}", CCAUTH_E_MALFORMED},
    {"nbf negative", P_BASE, NULL, "{" ISS "," EXP ",\"nbf\":-5}", CCAUTH_E_MALFORMED},
    {"iat float", P_BASE, NULL, "{" ISS "," EXP ",\"iat\":1.5}", CCAUTH_E_MALFORMED},
    {"aud number", P_BASE, NULL, "{" ISS "," EXP ",\"aud\":5}", CCAUTH_E_MALFORMED},
    {"aud array with number", P_BASE, NULL, "{" ISS "," EXP ",\"aud\":[\"a\",5]}", CCAUTH_E_MALFORMED},
    {"aud object", P_BASE, NULL, "{" ISS "," EXP ",\"aud\":{}}", CCAUTH_E_MALFORMED},
    {"aud wrong type wins over audience policy", P_AUD, NULL, "{" ISS "," EXP ",\"aud\":[1]}", CCAUTH_E_MALFORMED},
    /* a scope claim may be a string or an array of strings (Okta scp, Entra roles, Auth0 permissions) */
    {"scope array", P_BASE, NULL, "{" ISS "," EXP ",\"scope\":[\"a\"]}", CCAUTH_OK},
    {"scope array of numbers", P_BASE, NULL, "{" ISS "," EXP ",\"scope\":[1]}", CCAUTH_E_MALFORMED},
    {"scp a number", P_BASE, NULL, "{" ISS "," EXP ",\"scp\":1}", CCAUTH_E_MALFORMED},
    {"scope number", P_SCOPE, NULL, "{" ISS "," EXP ",\"scope\":1}", CCAUTH_E_MALFORMED},
    {"scp a string", P_BASE, NULL, "{" ISS "," EXP ",\"scp\":\"a\"}", CCAUTH_OK},
    {"scp array with a null", P_BASE, NULL, "{" ISS "," EXP ",\"scp\":[\"a\",null]}", CCAUTH_E_MALFORMED},
    {"client_id number", P_BASE, NULL, "{" ISS "," EXP ",\"client_id\":1}", CCAUTH_E_MALFORMED},
    {"azp array", P_BASE, NULL, "{" ISS "," EXP ",\"azp\":[\"a\"]}", CCAUTH_E_MALFORMED},
    {"sub object", P_BASE, NULL, "{" ISS "," EXP ",\"sub\":{}}", CCAUTH_E_MALFORMED},
    {"jti number", P_BASE, NULL, "{" ISS "," EXP ",\"jti\":7}", CCAUTH_E_MALFORMED},
    {"types before time", P_BASE, NULL, "{" ISS ",\"exp\":1,\"sub\":5}", CCAUTH_E_MALFORMED},
    /* step 10: strict RFC 9068 */
    {"strict: typ missing", P_STRICT, NULL, "{" ISS "," EXP ",\"iat\":1700000000,\"jti\":\"j\",\"client_id\":\"c\"}",
     CCAUTH_E_TYPE},
    {"strict: typ JWT", P_STRICT, "JWT", "{" ISS "," EXP ",\"iat\":1700000000,\"jti\":\"j\",\"client_id\":\"c\"}",
     CCAUTH_E_TYPE},
    {"strict: typ at+jwt", P_STRICT, "at+jwt", "{" ISS "," EXP ",\"iat\":1700000000,\"jti\":\"j\",\"client_id\":\"c\"}",
     CCAUTH_OK},
    {"strict: typ AT+JWT", P_STRICT, "AT+JWT", "{" ISS "," EXP ",\"iat\":1700000000,\"jti\":\"j\",\"client_id\":\"c\"}",
     CCAUTH_OK},
    {"strict: typ application/at+jwt", P_STRICT, "Application/AT+JWT",
     "{" ISS "," EXP ",\"iat\":1700000000,\"jti\":\"j\",\"client_id\":\"c\"}", CCAUTH_OK},
    {"strict: typ at+jwt with junk", P_STRICT, "at+jwt ",
     "{" ISS "," EXP ",\"iat\":1700000000,\"jti\":\"j\",\"client_id\":\"c\"}", CCAUTH_E_TYPE},
    {"strict: client_id missing", P_STRICT, "at+jwt",
     "{" ISS "," EXP ",\"iat\":1700000000,\"jti\":\"j\",\"azp\":\"c\"}", CCAUTH_E_MALFORMED},
    {"strict: jti missing", P_STRICT, "at+jwt", "{" ISS "," EXP ",\"iat\":1700000000,\"client_id\":\"c\"}",
     CCAUTH_E_MALFORMED},
    {"strict: iat missing", P_STRICT, "at+jwt", "{" ISS "," EXP ",\"jti\":\"j\",\"client_id\":\"c\"}",
     CCAUTH_E_MALFORMED},
    {"strict: typ before expiry", P_STRICT, "JWT", "{" ISS ",\"exp\":1,\"iat\":1,\"jti\":\"j\",\"client_id\":\"c\"}",
     CCAUTH_E_TYPE},
    {"not strict: typ ignored", P_BASE, "JWT", "{" ISS "," EXP "}", CCAUTH_OK},
    /* step 11: time (NOW = 1700000000, skew 60) */
    {"exp = now", P_BASE, NULL, "{" ISS ",\"exp\":1700000000}", CCAUTH_OK},
    {"exp = now - skew", P_BASE, NULL, "{" ISS ",\"exp\":1699999940}", CCAUTH_OK},
    {"exp = now - skew - 1", P_BASE, NULL, "{" ISS ",\"exp\":1699999939}", CCAUTH_E_EXPIRED},
    {"exp = 0", P_BASE, NULL, "{" ISS ",\"exp\":0}", CCAUTH_E_EXPIRED},
    {"nbf = now + skew", P_BASE, NULL, "{" ISS "," EXP ",\"nbf\":1700000060}", CCAUTH_OK},
    {"nbf = now + skew + 1", P_BASE, NULL, "{" ISS "," EXP ",\"nbf\":1700000061}", CCAUTH_E_NOT_YET_VALID},
    {"iat = now + skew + 1", P_BASE, NULL, "{" ISS "," EXP ",\"iat\":1700000061}", CCAUTH_E_NOT_YET_VALID},
    {"iat = now + skew", P_BASE, NULL, "{" ISS "," EXP ",\"iat\":1700000060}", CCAUTH_OK},
    {"expired before audience", P_AUD, NULL, "{" ISS ",\"exp\":1,\"aud\":\"nope\"}", CCAUTH_E_EXPIRED},
    {"not yet valid before audience", P_AUD, NULL, "{" ISS "," EXP ",\"nbf\":1800000000}", CCAUTH_E_NOT_YET_VALID},
    /* step 12: audience */
    {"aud string match", P_AUD, NULL, "{" ISS "," EXP ",\"aud\":\"ldap://a\"}", CCAUTH_OK},
    {"aud array second element", P_AUD, NULL, "{" ISS "," EXP ",\"aud\":[\"x\",\"ldap://b\"]}", CCAUTH_OK},
    {"aud missing", P_AUD, NULL, "{" ISS "," EXP "}", CCAUTH_E_AUDIENCE},
    {"aud empty array", P_AUD, NULL, "{" ISS "," EXP ",\"aud\":[]}", CCAUTH_E_AUDIENCE},
    {"aud trailing slash", P_AUD, NULL, "{" ISS "," EXP ",\"aud\":\"ldap://a/\"}", CCAUTH_E_AUDIENCE},
    {"aud prefix", P_AUD, NULL, "{" ISS "," EXP ",\"aud\":\"ldap://\"}", CCAUTH_E_AUDIENCE},
    {"aud case", P_AUD, NULL, "{" ISS "," EXP ",\"aud\":\"LDAP://a\"}", CCAUTH_E_AUDIENCE},
    {"aud not checked without audience", P_BASE, NULL, "{" ISS "," EXP ",\"aud\":\"whatever\"}", CCAUTH_OK},
    {"audience before scope", P_ALL, "at+jwt",
     "{" ISS "," EXP ",\"iat\":1700000000,\"jti\":\"j\",\"client_id\":\"zz\",\"aud\":\"x\"}", CCAUTH_E_AUDIENCE},
    /* step 13: scope */
    {"scope all present", P_SCOPE, NULL, "{" ISS "," EXP ",\"scope\":\"mail ldap.read other\"}", CCAUTH_OK},
    {"scope one missing", P_SCOPE, NULL, "{" ISS "," EXP ",\"scope\":\"ldap.read\"}", CCAUTH_E_SCOPE},
    {"scope absent", P_SCOPE, NULL, "{" ISS "," EXP "}", CCAUTH_E_SCOPE},
    {"scope empty", P_SCOPE, NULL, "{" ISS "," EXP ",\"scope\":\"\"}", CCAUTH_E_SCOPE},
    {"scope prefix ldap", P_SCOPE, NULL, "{" ISS "," EXP ",\"scope\":\"mail ldap\"}", CCAUTH_E_SCOPE},
    {"scope ldap.readx", P_SCOPE, NULL, "{" ISS "," EXP ",\"scope\":\"mail ldap.readx\"}", CCAUTH_E_SCOPE},
    {"scope substring xmail", P_SCOPE, NULL, "{" ISS "," EXP ",\"scope\":\"xmail ldap.read\"}", CCAUTH_E_SCOPE},
    {"scope comma separated", P_SCOPE, NULL, "{" ISS "," EXP ",\"scope\":\"mail,ldap.read\"}", CCAUTH_E_SCOPE},
    {"scope double spaces", P_SCOPE, NULL, "{" ISS "," EXP ",\"scope\":\" mail  ldap.read \"}", CCAUTH_OK},
    {"scp array", P_SCOPE, NULL, "{" ISS "," EXP ",\"scp\":[\"ldap.read\",\"mail\"]}", CCAUTH_OK},
    {"scp array missing one", P_SCOPE, NULL, "{" ISS "," EXP ",\"scp\":[\"ldap.read\"]}", CCAUTH_E_SCOPE},
    {"scope before client", P_ALL, "at+jwt",
     "{" ISS "," EXP ",\"iat\":1700000000,\"jti\":\"j\",\"client_id\":\"zz\",\"aud\":\"ldap://a\"}", CCAUTH_E_SCOPE},
    /* step 14: allowed_client_ids */
    {"client_id listed", P_CLIENTS, NULL, "{" ISS "," EXP ",\"client_id\":\"c2\"}", CCAUTH_OK},
    {"azp listed", P_CLIENTS, NULL, "{" ISS "," EXP ",\"azp\":\"c1\"}", CCAUTH_OK},
    {"client_id wins over azp", P_CLIENTS, NULL, "{" ISS "," EXP ",\"client_id\":\"evil\",\"azp\":\"c1\"}",
     CCAUTH_E_CLIENT},
    {"client_id not listed", P_CLIENTS, NULL, "{" ISS "," EXP ",\"client_id\":\"c3\"}", CCAUTH_E_CLIENT},
    {"client_id prefix", P_CLIENTS, NULL, "{" ISS "," EXP ",\"client_id\":\"c\"}", CCAUTH_E_CLIENT},
    {"no client_id nor azp", P_CLIENTS, NULL, "{" ISS "," EXP ",\"sub\":\"c1\"}", CCAUTH_E_CLIENT},
    /* entra: app roles in roles, delegated scopes in scp; the client is azp (v2.0), else appid (v1.0) */
    {"entra roles hold it", P_ENTRA, "JWT", "{" ISS "," EXP ",\"azp\":\"c1\",\"roles\":[\"Read\",\"Backup.Write\"]}",
     CCAUTH_OK},
    {"entra roles lack it", P_ENTRA, "JWT", "{" ISS "," EXP ",\"azp\":\"c1\",\"roles\":[\"Read\"]}", CCAUTH_E_SCOPE},
    {"entra no roles", P_ENTRA, "JWT", "{" ISS "," EXP ",\"azp\":\"c1\"}", CCAUTH_E_SCOPE},
    {"entra delegated scp", P_ENTRA, "JWT", "{" ISS "," EXP ",\"azp\":\"c1\",\"scp\":\"User.Read Backup.Write\"}",
     CCAUTH_OK},
    {"entra ignores scope", P_ENTRA, "JWT", "{" ISS "," EXP ",\"azp\":\"c1\",\"scope\":\"Backup.Write\"}",
     CCAUTH_E_SCOPE},
    {"entra roles not strings", P_ENTRA, "JWT", "{" ISS "," EXP ",\"azp\":\"c1\",\"roles\":[{}]}", CCAUTH_E_MALFORMED},
    {"entra v1 appid", P_ENTRA, "JWT", "{" ISS "," EXP ",\"appid\":\"c2\",\"roles\":[\"Backup.Write\"]}", CCAUTH_OK},
    {"entra azp before appid", P_ENTRA, "JWT",
     "{" ISS "," EXP ",\"azp\":\"evil\",\"appid\":\"c1\",\"roles\":[\"Backup.Write\"]}", CCAUTH_E_CLIENT},
    {"entra ignores client_id", P_ENTRA, "JWT", "{" ISS "," EXP ",\"client_id\":\"c1\",\"roles\":[\"Backup.Write\"]}",
     CCAUTH_E_CLIENT},
    {"entra appid not a string", P_ENTRA, "JWT", "{" ISS "," EXP ",\"appid\":1,\"roles\":[\"Backup.Write\"]}",
     CCAUTH_E_MALFORMED},
    /* okta: cid, scp array */
    {"okta cid and scp", P_OKTA, NULL, "{" ISS "," EXP ",\"cid\":\"c1\",\"scp\":[\"ldap.read\"]}", CCAUTH_OK},
    {"okta client_id is not cid", P_OKTA, NULL, "{" ISS "," EXP ",\"client_id\":\"c1\",\"scp\":[\"ldap.read\"]}",
     CCAUTH_E_CLIENT},
    {"okta scp lacks it", P_OKTA, NULL, "{" ISS "," EXP ",\"cid\":\"c1\",\"scp\":[\"ldap.write\"]}", CCAUTH_E_SCOPE},
    /* keycloak: payload typ Bearer */
    {"keycloak Bearer", P_KEYCLOAK, "JWT", "{" ISS "," EXP ",\"typ\":\"Bearer\",\"azp\":\"c1\"}", CCAUTH_OK},
    {"keycloak ID token", P_KEYCLOAK, "JWT", "{" ISS "," EXP ",\"typ\":\"ID\",\"azp\":\"c1\"}", CCAUTH_E_TYPE},
    {"keycloak no typ", P_KEYCLOAK, "JWT", "{" ISS "," EXP ",\"azp\":\"c1\"}", CCAUTH_E_TYPE},
    {"keycloak typ bearer lowercase", P_KEYCLOAK, "JWT", "{" ISS "," EXP ",\"typ\":\"bearer\",\"azp\":\"c1\"}",
     CCAUTH_E_TYPE},
    {"keycloak typ not a string", P_KEYCLOAK, "JWT", "{" ISS "," EXP ",\"typ\":[\"Bearer\"],\"azp\":\"c1\"}",
     CCAUTH_E_TYPE},
    {"keycloak client_id when azp is empty", P_KEYCLOAK, "JWT",
     "{" ISS "," EXP ",\"typ\":\"Bearer\",\"azp\":\"\",\"client_id\":\"c2\"}", CCAUTH_OK},
    /* auth0: scope or permissions */
    {"auth0 permissions hold it", P_AUTH0, NULL,
     "{" ISS "," EXP ",\"azp\":\"c1\",\"scope\":\"read\",\"permissions\":[\"ldap.read\",\"mail\"]}", CCAUTH_OK},
    {"auth0 split over both", P_AUTH0, NULL,
     "{" ISS "," EXP ",\"azp\":\"c1\",\"scope\":\"mail\",\"permissions\":[\"ldap.read\"]}", CCAUTH_OK},
    {"auth0 neither", P_AUTH0, NULL, "{" ISS "," EXP ",\"azp\":\"c1\",\"scope\":\"mail\",\"permissions\":[]}",
     CCAUTH_E_SCOPE},
    {"auth0 permissions not strings", P_AUTH0, NULL, "{" ISS "," EXP ",\"azp\":\"c1\",\"permissions\":[true]}",
     CCAUTH_E_MALFORMED},
    /* cognito: token_use access, client_id allow-listed, no aud */
    {"cognito access", P_COGNITO, NULL, "{" ISS "," EXP ",\"token_use\":\"access\",\"client_id\":\"c1\"}", CCAUTH_OK},
    {"cognito id token", P_COGNITO, NULL, "{" ISS "," EXP ",\"token_use\":\"id\",\"aud\":\"c1\"}", CCAUTH_E_TYPE},
    {"cognito no token_use", P_COGNITO, NULL, "{" ISS "," EXP ",\"client_id\":\"c1\"}", CCAUTH_E_TYPE},
    {"cognito type before time", P_COGNITO, NULL, "{" ISS ",\"exp\":1,\"token_use\":\"id\"}", CCAUTH_E_TYPE},
    {"cognito other client", P_COGNITO, NULL, "{" ISS "," EXP ",\"token_use\":\"access\",\"client_id\":\"c3\"}",
     CCAUTH_E_CLIENT},
    {"cognito azp is not the client", P_COGNITO, NULL, "{" ISS "," EXP ",\"token_use\":\"access\",\"azp\":\"c1\"}",
     CCAUTH_E_CLIENT},
    {"cognito keeps a configured audience", P_COGNITO_AUD, NULL,
     "{" ISS "," EXP ",\"token_use\":\"access\",\"client_id\":\"c1\"}", CCAUTH_E_AUDIENCE},
};

static char *aud_v[] = {"ldap://a", "ldap://b"};
static char *scope_v[] = {"ldap.read", "mail"};
static char *client_v[] = {"c1", "c2"};
static char *write_v[] = {"Backup.Write"};
static char *ldap_read_v[] = {"ldap.read"};
static char *entra_cid[] = {"azp", "appid"}, *entra_scope[] = {"roles", "scp"};
static char *okta_cid[] = {"cid"}, *okta_scope[] = {"scp"};
static char *kc_cid[] = {"azp", "client_id"}, *kc_scope[] = {"scope"};
static char *a0_scope[] = {"scope", "permissions"};
static char *cg_cid[] = {"client_id"};

#define LIST(a) ((struct ccauth_strlist){a, sizeof(a) / sizeof(a[0])})

static void make_profile(struct ccauth_issuer_conf *ic, enum policy p)
{
	ic->allowed_client_ids = LIST(client_v);
	switch (p) {
	case P_ENTRA:
		ic->client_id_claims = LIST(entra_cid);
		ic->scope_claims = LIST(entra_scope);
		ic->required_scope = LIST(write_v);
		break;
	case P_OKTA:
		ic->client_id_claims = LIST(okta_cid);
		ic->scope_claims = LIST(okta_scope);
		ic->required_scope = LIST(ldap_read_v);
		break;
	case P_KEYCLOAK:
		ic->client_id_claims = LIST(kc_cid);
		ic->scope_claims = LIST(kc_scope);
		ic->token_type_claim = "typ";
		ic->token_type_value = "Bearer";
		break;
	case P_AUTH0:
		ic->client_id_claims = LIST(kc_cid);
		ic->scope_claims = LIST(a0_scope);
		ic->required_scope = LIST(ldap_read_v);
		break;
	case P_COGNITO_AUD:
		ic->audience = LIST(aud_v);
		/* fall through */
	case P_COGNITO:
		ic->client_id_claims = LIST(cg_cid);
		ic->scope_claims = LIST(kc_scope);
		ic->token_type_claim = "token_use";
		ic->token_type_value = "access";
		break;
	default:
		break;
	}
}

static void make_ic(struct ccauth_issuer_conf *ic, enum policy p)
{
	memset(ic, 0, sizeof(*ic));
	ic->name = "t1";
	ic->issuer = "https://as.example/t1";
	if (p == P_AUD || p == P_ALL)
		ic->audience = (struct ccauth_strlist){aud_v, 2};
	if (p == P_SCOPE || p == P_ALL)
		ic->required_scope = (struct ccauth_strlist){scope_v, 2};
	if (p == P_CLIENTS || p == P_ALL)
		ic->allowed_client_ids = (struct ccauth_strlist){client_v, 2};
	ic->strict_rfc9068 = p == P_STRICT || p == P_ALL;
	if (p >= P_ENTRA)
		make_profile(ic, p);
}

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct claims_case *c = &cases[i];
		struct ccauth_issuer_conf ic;
		struct ccauth_json_doc *doc = NULL;
		struct ccauth_error err = {0};
		enum ccauth_status st;

		if (ccauth_json_parse(c->claims, strlen(c->claims), 0, CCAUTH_JSON_MAX_DEPTH, &doc, &err) !=
		    CCAUTH_OK) {
			/* "exp huge" may be refused by the reader itself: the same reason either way */
			assert_int_equal(c->want, CCAUTH_E_MALFORMED);
			continue;
		}
		make_ic(&ic, c->policy);
		st = ccauth_validate_claims(&ic, ccauth_json_root(doc), c->typ, NOW, SKEW, &err);
		if (st != c->want)
			fail_msg("case '%s': got %s, want %s (%s)", c->name, ccauth_status_reason(st),
			         ccauth_status_reason(c->want), err.msg);
		if (st != CCAUTH_OK) {
			assert_int_equal(err.code, st);
			assert_true(err.msg[0] != '\0');
		}
		ccauth_json_free(doc);
	}
}

/* Zero skew: the boundaries move to now itself. */
static void test_zero_skew(void **state)
{
	static const struct {
		const char *claims;
		enum ccauth_status want;
	} t[] = {
	    {"{" ISS ",\"exp\":1700000000}", CCAUTH_OK},
	    {"{" ISS ",\"exp\":1699999999}", CCAUTH_E_EXPIRED},
	    {"{" ISS "," EXP ",\"nbf\":1700000001}", CCAUTH_E_NOT_YET_VALID},
	    {"{" ISS "," EXP ",\"nbf\":1700000000}", CCAUTH_OK},
	};
	struct ccauth_issuer_conf ic;

	(void)state;
	make_ic(&ic, P_BASE);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct ccauth_json_doc *doc = NULL;

		assert_int_equal(ccauth_json_parse(t[i].claims, strlen(t[i].claims), 0, 32, &doc, NULL), CCAUTH_OK);
		assert_int_equal(ccauth_validate_claims(&ic, ccauth_json_root(doc), NULL, NOW, 0, NULL), t[i].want);
		ccauth_json_free(doc);
	}
}

static void test_not_object(void **state)
{
	struct ccauth_issuer_conf ic;
	struct ccauth_json_doc *doc = NULL;

	(void)state;
	make_ic(&ic, P_BASE);
	assert_int_equal(ccauth_json_parse("[1]", 3, 0, 32, &doc, NULL), CCAUTH_OK);
	assert_int_equal(ccauth_validate_claims(&ic, ccauth_json_root(doc), NULL, NOW, SKEW, NULL), CCAUTH_E_MALFORMED);
	assert_int_equal(ccauth_validate_claims(&ic, NULL, NULL, NOW, SKEW, NULL), CCAUTH_E_MALFORMED);
	ccauth_json_free(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_zero_skew),
	    cmocka_unit_test(test_not_object),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
