/* OAUTHBEARER / XOAUTH2 codec: table-driven malformed messages with exact reasons, good
 * messages with exact fields, build/parse round trips, error JSON escaping. */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../sasl/gs2.h"
#include "error.h"
#include "validate.h"

#define KV   "\001"
#define AUTH "auth=Bearer abc" KV
#define M(name, lit, reason)                                                                                           \
	{                                                                                                              \
		name, lit, sizeof(lit) - 1, reason                                                                     \
	}

struct bad_case {
	const char *name;
	const char *msg;
	size_t len;
	enum ccauth_gs2_reason reason;
};

static const struct bad_case bad_oauthbearer[] = {
    M("empty", "", CCAUTH_GS2_R_GRAMMAR),
    M("kvsep only (that is the error ack)", KV, CCAUTH_GS2_R_GRAMMAR),
    M("no gs2 header", AUTH KV, CCAUTH_GS2_R_GRAMMAR),
    M("gs2 header without kvsep", "n,," AUTH KV, CCAUTH_GS2_R_GRAMMAR),
    M("p flag", "p=tls-unique,," KV AUTH KV, CCAUTH_GS2_R_CHANNEL_BINDING),
    M("nonstandard F flag", "F,n,," KV AUTH KV, CCAUTH_GS2_R_GRAMMAR),
    M("uppercase N", "N,," KV AUTH KV, CCAUTH_GS2_R_GRAMMAR),
    M("flag only", "n", CCAUTH_GS2_R_GRAMMAR),
    M("flag then semicolon", "n;," KV AUTH KV, CCAUTH_GS2_R_GRAMMAR),
    M("one comma", "n," KV AUTH KV, CCAUTH_GS2_R_GRAMMAR),
    M("a without =", "n,a,," KV AUTH KV, CCAUTH_GS2_R_GRAMMAR),
    M("b= instead of a=", "n,b=user,," KV AUTH KV, CCAUTH_GS2_R_GRAMMAR),
    M("empty authzid", "n,a=," KV AUTH KV, CCAUTH_GS2_R_AUTHZID),
    M("lowercase =2c", "n,a=us=2cer," KV AUTH KV, CCAUTH_GS2_R_AUTHZID),
    M("lowercase =3d", "n,a=us=3der," KV AUTH KV, CCAUTH_GS2_R_AUTHZID),
    M("other escape =41", "n,a=us=41er," KV AUTH KV, CCAUTH_GS2_R_AUTHZID),
    M("truncated escape", "n,a=user=2," KV AUTH KV, CCAUTH_GS2_R_AUTHZID),
    M("trailing =", "n,a=user=," KV AUTH KV, CCAUTH_GS2_R_AUTHZID),
    M("raw comma in authzid", "n,a=us,er," KV AUTH KV, CCAUTH_GS2_R_GRAMMAR),
    M("tab in authzid", "n,a=us\ter," KV AUTH KV, CCAUTH_GS2_R_AUTHZID),
    M("DEL in authzid", "n,a=us\177er," KV AUTH KV, CCAUTH_GS2_R_AUTHZID),
    M("invalid UTF-8 authzid", "n,a=\377," KV AUTH KV, CCAUTH_GS2_R_AUTHZID),
    M("overlong UTF-8 authzid", "n,a=\300\257," KV AUTH KV, CCAUTH_GS2_R_AUTHZID),
    M("surrogate in authzid", "n,a=\355\240\200," KV AUTH KV, CCAUTH_GS2_R_AUTHZID),
    M("authzid without closing comma", "n,a=user" KV AUTH KV, CCAUTH_GS2_R_GRAMMAR),
    M("extra comma after header", "n,a=u,," KV AUTH KV, CCAUTH_GS2_R_GRAMMAR),
    M("missing final kvsep", "n,," KV AUTH, CCAUTH_GS2_R_GRAMMAR),
    M("missing kvsep after value", "n,," KV "auth=Bearer abc", CCAUTH_GS2_R_GRAMMAR),
    M("data after final kvsep", "n,," KV AUTH KV "x", CCAUTH_GS2_R_GRAMMAR),
    M("third kvsep", "n,," KV AUTH KV KV, CCAUTH_GS2_R_GRAMMAR),
    M("no kvpairs at all", "n,," KV KV, CCAUTH_GS2_R_AUTH),
    M("no auth key", "n,," KV "host=example.com" KV KV, CCAUTH_GS2_R_AUTH),
    M("AUTH key is not auth", "n,," KV "AUTH=Bearer abc" KV KV, CCAUTH_GS2_R_AUTH),
    M("two auth keys", "n,," KV AUTH AUTH KV, CCAUTH_GS2_R_AUTH),
    M("two auth keys, the first empty", "n,," KV "auth=" KV AUTH KV, CCAUTH_GS2_R_AUTH),
    M("control char in auth", "n,," KV "auth=Bearer a\002b" KV KV, CCAUTH_GS2_R_KVPAIR),
    M("8-bit byte in auth", "n,," KV "auth=Bearer caf\303\251" KV KV, CCAUTH_GS2_R_KVPAIR),
    M("auth without kvsep", "n,," KV "auth=Bearer abc", CCAUTH_GS2_R_GRAMMAR),
    M("key with digit", "n,," KV "auth2=x" KV AUTH KV, CCAUTH_GS2_R_KVPAIR),
    M("key with underscore", "n,," KV "my_key=x" KV AUTH KV, CCAUTH_GS2_R_KVPAIR),
    M("empty key", "n,," KV "=x" KV AUTH KV, CCAUTH_GS2_R_KVPAIR),
    M("key without =", "n,," KV "auth" KV KV, CCAUTH_GS2_R_KVPAIR),
    M("control char in value", "n,," KV "xyz=a\002b" KV AUTH KV, CCAUTH_GS2_R_KVPAIR),
    M("DEL in value", "n,," KV "xyz=a\177b" KV AUTH KV, CCAUTH_GS2_R_KVPAIR),
    M("8-bit byte in value", "n,," KV "xyz=caf\303\251" KV AUTH KV, CCAUTH_GS2_R_KVPAIR),
    M("NUL in the middle", "n,," KV "auth=Bearer a\000bc" KV KV, CCAUTH_GS2_R_NUL),
    M("NUL at the end", "n,," KV AUTH KV "\000", CCAUTH_GS2_R_NUL),
    M("NUL in authzid", "n,a=u\000," KV AUTH KV, CCAUTH_GS2_R_NUL),
    M("empty host", "n,," KV "host=" KV AUTH KV, CCAUTH_GS2_R_KVPAIR),
    M("host twice", "n,," KV "host=a" KV "host=b" KV AUTH KV, CCAUTH_GS2_R_KVPAIR),
    M("port letters", "n,," KV "port=http" KV AUTH KV, CCAUTH_GS2_R_KVPAIR),
    M("port 0", "n,," KV "port=0" KV AUTH KV, CCAUTH_GS2_R_KVPAIR),
    M("port 65536", "n,," KV "port=65536" KV AUTH KV, CCAUTH_GS2_R_KVPAIR),
    M("port six digits", "n,," KV "port=000143" KV AUTH KV, CCAUTH_GS2_R_KVPAIR),
    M("port empty", "n,," KV "port=" KV AUTH KV, CCAUTH_GS2_R_KVPAIR),
    M("port negative", "n,," KV "port=-1" KV AUTH KV, CCAUTH_GS2_R_KVPAIR),
    M("port twice", "n,," KV "port=1" KV "port=2" KV AUTH KV, CCAUTH_GS2_R_KVPAIR),
};

static const struct bad_case bad_xoauth2[] = {
    M("empty", "", CCAUTH_GS2_R_GRAMMAR),
    M("no user=", "auth=Bearer abc" KV KV, CCAUTH_GS2_R_GRAMMAR),
    M("User= capitalised", "User=a" KV AUTH KV, CCAUTH_GS2_R_GRAMMAR),
    M("gs2 header instead", "n,," KV AUTH KV, CCAUTH_GS2_R_GRAMMAR),
    M("empty user", "user=" KV AUTH KV, CCAUTH_GS2_R_USER),
    M("control char in user", "user=a\tb" KV AUTH KV, CCAUTH_GS2_R_USER),
    M("bad UTF-8 user", "user=\377" KV AUTH KV, CCAUTH_GS2_R_USER),
    M("user without kvsep", "user=a", CCAUTH_GS2_R_GRAMMAR),
    M("host between user and auth", "user=a" KV "host=x" KV AUTH KV, CCAUTH_GS2_R_GRAMMAR),
    M("auth without kvsep", "user=a" KV "auth=Bearer abc", CCAUTH_GS2_R_GRAMMAR),
    M("missing final kvsep", "user=a" KV AUTH, CCAUTH_GS2_R_GRAMMAR),
    M("data after final kvsep", "user=a" KV AUTH KV "x", CCAUTH_GS2_R_GRAMMAR),
    M("auth Basic", "user=a" KV "auth=Basic abc" KV KV, CCAUTH_GS2_R_AUTH),
    M("Bearer no token", "user=a" KV "auth=Bearer " KV KV, CCAUTH_GS2_R_AUTH),
    M("token with space", "user=a" KV "auth=Bearer a b" KV KV, CCAUTH_GS2_R_AUTH),
    M("empty auth", "user=a" KV "auth=" KV KV, CCAUTH_GS2_R_AUTH),
    M("control char in token", "user=a" KV "auth=Bearer a\002b" KV KV, CCAUTH_GS2_R_AUTH),
    M("NUL", "user=a\000" KV AUTH KV, CCAUTH_GS2_R_NUL),
};

static void test_bad_oauthbearer(void **state)
{
	struct ccauth_oauthbearer_msg m;
	struct ccauth_error err;

	for (size_t i = 0; i < sizeof(bad_oauthbearer) / sizeof(bad_oauthbearer[0]); i++) {
		const struct bad_case *c = &bad_oauthbearer[i];
		enum ccauth_status st;

		memset(&err, 0, sizeof(err));
		st = ccauth_gs2_parse_client(c->msg, c->len, &m, &err);
		if (st != CCAUTH_E_MALFORMED || m.reason != c->reason)
			fail_msg("case '%s': status %d reason %d, want %d reason %d", c->name, st, m.reason,
			         CCAUTH_E_MALFORMED, c->reason);
		assert_int_equal(err.code, CCAUTH_E_MALFORMED);
		assert_null(m.authzid);
		assert_null(m.token);
		assert_null(strstr(err.msg, "abc")); /* never echoes the token */
	}
	assert_true(sizeof(bad_oauthbearer) / sizeof(bad_oauthbearer[0]) >= 30);
}

/* RFC 7628 3.1: any value is grammatical, so a message whose auth value is not "Bearer" 1*SP
 * b64token (RFC 6750 2.1) parses; cred says what it held and the server answers with the error
 * challenge.  Cases after PostgreSQL's server-side OAUTHBEARER tests, among others. */
static const struct cred_case {
	const char *name;
	const char *msg;
	size_t len;
	enum ccauth_gs2_cred cred;
	const char *token; /* CCAUTH_GS2_CRED_BEARER: the token view */
	unsigned scan;
} cred_cases[] = {
#define C(name, lit, cred, tok, scan)                                                                                  \
	{                                                                                                              \
		name, "n,," KV lit KV KV, sizeof("n,," KV lit KV KV) - 1, cred, tok, scan                              \
	}
#define MAL(name, lit) C(name, lit, CCAUTH_GS2_CRED_MALFORMED, NULL, 0)
#define CH_            CCAUTH_TOKEN_SCAN_CHARS
#define JWT_           (CCAUTH_TOKEN_SCAN_CHARS | CCAUTH_TOKEN_SCAN_JWT_CHARS)
    C("empty auth: discovery", "auth=", CCAUTH_GS2_CRED_EMPTY, NULL, 0),
    MAL("Bearer and a space, no token", "auth=Bearer "),
    MAL("Bearer and spaces, no token", "auth=Bearer    "),
    MAL("Bearer alone", "auth=Bearer"),
    MAL("= inside the token", "auth=Bearer a===b"),
    MAL("only =", "auth=Bearer =="),
    MAL("! in the token", "auth=Bearer hello!"),
    MAL("trailing space", "auth=Bearer abc "),
    MAL("trailing tab", "auth=Bearer abc\t"),
    MAL("trailing CR LF", "auth=Bearer abc\r\n"),
    MAL("two tokens", "auth=Bearer abc def"),
    MAL("comma in the token", "auth=Bearer a,b"),
    MAL("Beare", "auth=Beare x"),
    MAL("no space after Bearer", "auth=Bearerabc"),
    MAL("tab after Bearer", "auth=Bearer\tabc"),
    MAL("leading space", "auth= Bearer abc"),
    MAL("Basic scheme", "auth=Basic dXNlcjpwYXNz"),
    MAL("OAuth scheme with params", "auth=OAuth realm=\"x\", oauth_token=\"abc\""),
    MAL("no scheme", "auth=abc"),
    MAL("a quoted token", "auth=Bearer \"abc\""),
    C("JWT shape", "auth=Bearer eyJ.eyJ.sig", CCAUTH_GS2_CRED_BEARER, "eyJ.eyJ.sig", JWT_),
    C("lower case, several spaces", "auth=bearer   a-b_c", CCAUTH_GS2_CRED_BEARER, "a-b_c", JWT_),
    C("~ + / are b64token, not base64url", "auth=Bearer a~b+c/d", CCAUTH_GS2_CRED_BEARER, "a~b+c/d", CH_),
    C("trailing padding", "auth=Bearer abc==", CCAUTH_GS2_CRED_BEARER, "abc==", CH_),
    C("long token, odd length", "auth=Bearer 0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-_",
      CCAUTH_GS2_CRED_BEARER, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-_", JWT_),
    C("one character", "auth=Bearer x", CCAUTH_GS2_CRED_BEARER, "x", JWT_),
#undef C
#undef MAL
#undef CH_
#undef JWT_
};

static void test_credentials(void **state)
{
	for (size_t i = 0; i < sizeof(cred_cases) / sizeof(cred_cases[0]); i++) {
		const struct cred_case *c = &cred_cases[i];
		struct ccauth_oauthbearer_msg m;
		struct ccauth_error err = {0};

		if (ccauth_gs2_parse_client(c->msg, c->len, &m, &err) != CCAUTH_OK)
			fail_msg("case '%s': refused: %s", c->name, err.msg);
		if (m.cred != c->cred)
			fail_msg("case '%s': cred %d, want %d", c->name, m.cred, c->cred);
		if (c->token == NULL) {
			assert_null(m.token);
			assert_int_equal(m.token_len, 0);
		} else {
			assert_int_equal(m.token_len, strlen(c->token));
			assert_memory_equal(m.token, c->token, m.token_len);
			if (m.token_scan != c->scan)
				fail_msg("case '%s': scan %#x, want %#x", c->name, m.token_scan, c->scan);
		}
		ccauth_gs2_msg_clear(&m);
	}
}

static void test_y_flag(void **state)
{
	/* RFC 5801 4: "y" (the client could bind, thinks the server cannot) is fine without -PLUS */
	struct ccauth_oauthbearer_msg m;
	static const char y[] = "y,," KV AUTH KV, ya[] = "y,a=u," KV AUTH KV;

	assert_int_equal(ccauth_gs2_parse_client(y, sizeof(y) - 1, &m, NULL), CCAUTH_OK);
	assert_int_equal(m.cred, CCAUTH_GS2_CRED_BEARER);
	assert_int_equal(m.token_len, 3);
	ccauth_gs2_msg_clear(&m);
	assert_int_equal(ccauth_gs2_parse_client(ya, sizeof(ya) - 1, &m, NULL), CCAUTH_OK);
	assert_string_equal(m.authzid, "u");
	ccauth_gs2_msg_clear(&m);
}

static void test_bad_xoauth2(void **state)
{
	struct ccauth_xoauth2_msg m;
	struct ccauth_error err;

	for (size_t i = 0; i < sizeof(bad_xoauth2) / sizeof(bad_xoauth2[0]); i++) {
		const struct bad_case *c = &bad_xoauth2[i];
		enum ccauth_status st = ccauth_xoauth2_parse_client(c->msg, c->len, &m, &err);

		if (st != CCAUTH_E_MALFORMED || m.reason != c->reason)
			fail_msg("case '%s': status %d reason %d, want %d reason %d", c->name, st, m.reason,
			         CCAUTH_E_MALFORMED, c->reason);
		assert_null(m.user);
		assert_null(m.token);
		assert_null(strstr(err.msg, "abc"));
	}
}

static void test_too_long(void **state)
{
	struct ccauth_oauthbearer_msg m;
	struct ccauth_xoauth2_msg x;
	size_t n = CCAUTH_GS2_MAX_MSG + 1, pre = strlen("n,," KV "auth=Bearer ");
	char *buf = malloc(n);

	assert_non_null(buf);
	memcpy(buf, "n,," KV "auth=Bearer ", pre);
	memset(buf + pre, 'a', n - pre - 2);
	memcpy(buf + n - 2, KV KV, 2);
	assert_int_equal(ccauth_gs2_parse_client(buf, n, &m, NULL), CCAUTH_E_MALFORMED);
	assert_int_equal(m.reason, CCAUTH_GS2_R_TOO_LONG);
	/* exactly at the cap is fine */
	memcpy(buf + n - 3, KV KV, 2);
	assert_int_equal(ccauth_gs2_parse_client(buf, n - 1, &m, NULL), CCAUTH_OK);
	assert_int_equal(m.token_len, n - 1 - pre - 2);
	ccauth_gs2_msg_clear(&m);

	memcpy(buf, "user=u" KV "auth=Bearer ", pre = strlen("user=u" KV "auth=Bearer "));
	memset(buf + pre, 'a', n - pre - 2);
	memcpy(buf + n - 2, KV KV, 2);
	assert_int_equal(ccauth_xoauth2_parse_client(buf, n, &x, NULL), CCAUTH_E_MALFORMED);
	assert_int_equal(x.reason, CCAUTH_GS2_R_TOO_LONG);
	free(buf);
}

static void expect_good(const char *msg, size_t len, const char *authzid, const char *token, const char *host,
                        unsigned port)
{
	struct ccauth_oauthbearer_msg m;
	struct ccauth_error err = {0};

	if (ccauth_gs2_parse_client(msg, len, &m, &err) != CCAUTH_OK)
		fail_msg("refused: %s", err.msg);
	assert_int_equal(m.reason, CCAUTH_GS2_R_OK);
	if (authzid == NULL)
		assert_null(m.authzid);
	else
		assert_string_equal(m.authzid, authzid);
	assert_int_equal(m.token_len, strlen(token));
	assert_memory_equal(m.token, token, m.token_len);
	assert_true(m.token >= msg && m.token + m.token_len <= msg + len); /* a view, not a copy */
	if (host == NULL) {
		assert_null(m.host);
	} else {
		assert_int_equal(m.host_len, strlen(host));
		assert_memory_equal(m.host, host, m.host_len);
	}
	assert_int_equal(m.port, port);
	ccauth_gs2_msg_clear(&m);
	assert_null(m.authzid);
}

#define GOOD(lit, az, tok, host, port) expect_good(lit, sizeof(lit) - 1, az, tok, host, port)

static void test_good_oauthbearer(void **state)
{
	GOOD("n,," KV AUTH KV, NULL, "abc", NULL, 0);
	GOOD("n,a=user@example.com," KV AUTH KV, "user@example.com", "abc", NULL, 0);
	GOOD("n,a=a=2Cb=3Dc," KV AUTH KV, "a,b=c", "abc", NULL, 0);
	GOOD("n,a==3D=2C," KV AUTH KV, "=,", "abc", NULL, 0);
	GOOD("n,a=j\303\274rgen," KV AUTH KV, "j\303\274rgen", "abc", NULL, 0);
	GOOD("n,," KV "host=ldap.example.com" KV "port=389" KV AUTH KV, NULL, "abc", "ldap.example.com", 389);
	GOOD("n,," KV AUTH "port=65535" KV "host=h" KV KV, NULL, "abc", "h", 65535);
	GOOD("n,," KV "port=00143" KV AUTH KV, NULL, "abc", NULL, 143);
	GOOD("n,," KV "auth=bearer abc" KV KV, NULL, "abc", NULL, 0);
	GOOD("n,," KV "auth=BEARER abc" KV KV, NULL, "abc", NULL, 0);
	GOOD("n,," KV "auth=bEaReR   abc" KV KV, NULL, "abc", NULL, 0);
	GOOD("n,," KV "auth=Bearer eyJ.a-b_c~d+e/f==" KV KV, NULL, "eyJ.a-b_c~d+e/f==", NULL, 0);
	/* unknown keys (any ALPHA key, any value chars including CR LF HTAB SP) are ignored */
	GOOD("n,," KV "mfa=x y\t\r\n!~" KV AUTH "Auth=whatever" KV "empty=" KV KV, NULL, "abc", NULL, 0);
	GOOD("n,," KV "xyz=1" KV "xyz=2" KV AUTH KV, NULL, "abc", NULL, 0);
	/* host value may hold any value chars (an IPv6 literal with brackets and a zone, say) */
	GOOD("n,," KV "host=[fe80::1%eth0]" KV AUTH KV, NULL, "abc", "[fe80::1%eth0]", 0);
}

static void test_good_xoauth2(void **state)
{
	struct ccauth_xoauth2_msg m;
	static const char msg[] =
	    "user=someuser@example.com" KV "auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg" KV KV;
	static const char msg2[] = "user=j\303\274rgen x" KV "auth=bearer  t0k==" KV KV;

	assert_int_equal(ccauth_xoauth2_parse_client(msg, sizeof(msg) - 1, &m, NULL), CCAUTH_OK);
	assert_string_equal(m.user, "someuser@example.com");
	assert_int_equal(m.token_len, strlen("ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg"));
	assert_memory_equal(m.token, "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg", m.token_len);
	ccauth_xoauth2_msg_clear(&m);
	assert_null(m.user);

	assert_int_equal(ccauth_xoauth2_parse_client(msg2, sizeof(msg2) - 1, &m, NULL), CCAUTH_OK);
	assert_string_equal(m.user, "j\303\274rgen x");
	assert_int_equal(m.token_len, 5);
	assert_memory_equal(m.token, "t0k==", 5);
	ccauth_xoauth2_msg_clear(&m);
}

static void test_build_exact(void **state)
{
	char *out = NULL;
	size_t n = 0;
	static const char want1[] =
	    "n,a=svc=2Cx=3Dy," KV "host=ldap.example.com" KV "port=636" KV "auth=Bearer tok" KV KV;
	static const char want2[] = "n,," KV "auth=Bearer tok" KV KV;
	static const char want3[] = "user=svc@example.com" KV "auth=Bearer tok" KV KV;

	assert_int_equal(ccauth_gs2_build_client("svc,x=y", "ldap.example.com", 636, "tok", 3, &out, &n, NULL),
	                 CCAUTH_OK);
	assert_int_equal(n, sizeof(want1) - 1);
	assert_memory_equal(out, want1, n);
	assert_int_equal(out[n], '\0');
	free(out);

	assert_int_equal(ccauth_gs2_build_client(NULL, "", 0, "tok", 3, &out, &n, NULL), CCAUTH_OK);
	assert_int_equal(n, sizeof(want2) - 1);
	assert_memory_equal(out, want2, n);
	free(out);

	assert_int_equal(ccauth_xoauth2_build_client("svc@example.com", "tok", 3, &out, &n, NULL), CCAUTH_OK);
	assert_int_equal(n, sizeof(want3) - 1);
	assert_memory_equal(out, want3, n);
	free(out);
}

static void test_build_refuses(void **state)
{
	char *out = (char *)"sentinel";
	size_t n = 99;
	struct ccauth_error err;
	char *big = malloc(CCAUTH_GS2_MAX_MSG);

	assert_non_null(big);
	assert_int_equal(ccauth_gs2_build_client(NULL, NULL, 0, "a b", 3, &out, &n, &err), CCAUTH_E_MALFORMED);
	assert_null(out);
	assert_int_equal(n, 0);
	assert_null(strstr(err.msg, "a b"));
	assert_int_equal(ccauth_gs2_build_client(NULL, NULL, 0, "", 0, &out, &n, NULL), CCAUTH_E_MALFORMED);
	assert_int_equal(ccauth_gs2_build_client(NULL, NULL, 0, "a=b", 3, &out, &n, NULL), CCAUTH_E_MALFORMED);
	assert_int_equal(ccauth_gs2_build_client("a\tb", NULL, 0, "t", 1, &out, &n, NULL), CCAUTH_E_MALFORMED);
	assert_int_equal(ccauth_gs2_build_client("\377", NULL, 0, "t", 1, &out, &n, NULL), CCAUTH_E_MALFORMED);
	assert_int_equal(ccauth_gs2_build_client(NULL, "h\001x", 0, "t", 1, &out, &n, NULL), CCAUTH_E_MALFORMED);
	assert_int_equal(ccauth_gs2_build_client(NULL, "h\303\251", 0, "t", 1, &out, &n, NULL), CCAUTH_E_MALFORMED);
	assert_int_equal(ccauth_gs2_build_client(NULL, NULL, 65536, "t", 1, &out, &n, NULL), CCAUTH_E_MALFORMED);
	memset(big, 'a', CCAUTH_GS2_MAX_MSG);
	assert_int_equal(ccauth_gs2_build_client(NULL, NULL, 0, big, CCAUTH_GS2_MAX_MSG, &out, &n, NULL),
	                 CCAUTH_E_MALFORMED);
	assert_int_equal(ccauth_xoauth2_build_client("", "t", 1, &out, &n, NULL), CCAUTH_E_MALFORMED);
	assert_int_equal(ccauth_xoauth2_build_client("u\001", "t", 1, &out, &n, NULL), CCAUTH_E_MALFORMED);
	assert_int_equal(ccauth_xoauth2_build_client("u", "t t", 3, &out, &n, NULL), CCAUTH_E_MALFORMED);
	assert_null(out);
	free(big);
}

static void test_round_trip(void **state)
{
	static const struct {
		const char *authzid, *host, *token;
		unsigned port;
	} rt[] = {
	    {NULL, NULL, "a", 0},
	    {"u", "h", "eyJhbGciOi.eyJzdWIi.sig-_~+/==", 1},
	    {",", "host with spaces\tand\r\nbreaks", "t", 65535},
	    {"=", NULL, "t=", 389},
	    {"a,b=c,,==", "x", "ZZ", 0},
	    {"\344\275\240\345\245\275 \360\237\224\221", "ldap", "t", 0},
	};

	for (size_t i = 0; i < sizeof(rt) / sizeof(rt[0]); i++) {
		char *out;
		size_t n;
		struct ccauth_oauthbearer_msg m;
		struct ccauth_xoauth2_msg x;

		assert_int_equal(ccauth_gs2_build_client(rt[i].authzid, rt[i].host, rt[i].port, rt[i].token,
		                                         strlen(rt[i].token), &out, &n, NULL),
		                 CCAUTH_OK);
		assert_int_equal(ccauth_gs2_parse_client(out, n, &m, NULL), CCAUTH_OK);
		if (rt[i].authzid)
			assert_string_equal(m.authzid, rt[i].authzid);
		else
			assert_null(m.authzid);
		if (rt[i].host) {
			assert_int_equal(m.host_len, strlen(rt[i].host));
			assert_memory_equal(m.host, rt[i].host, m.host_len);
		} else {
			assert_null(m.host);
		}
		assert_int_equal(m.port, rt[i].port);
		assert_int_equal(m.token_len, strlen(rt[i].token));
		assert_memory_equal(m.token, rt[i].token, m.token_len);
		ccauth_gs2_msg_clear(&m);
		free(out);

		if (rt[i].authzid == NULL)
			continue;
		assert_int_equal(
		    ccauth_xoauth2_build_client(rt[i].authzid, rt[i].token, strlen(rt[i].token), &out, &n, NULL),
		    CCAUTH_OK);
		assert_int_equal(ccauth_xoauth2_parse_client(out, n, &x, NULL), CCAUTH_OK);
		assert_string_equal(x.user, rt[i].authzid);
		assert_memory_equal(x.token, rt[i].token, x.token_len);
		ccauth_xoauth2_msg_clear(&x);
		free(out);
	}
}

static void test_error_json(void **state)
{
	char *out;
	size_t n;

	assert_int_equal(ccauth_gs2_build_error("invalid_token", "ldap.read \"admin\" a\\b\n",
	                                        "https://as.example.com/.well-known/openid-configuration", &out, &n,
	                                        NULL),
	                 CCAUTH_OK);
	assert_string_equal(out,
	                    "{\"status\":\"invalid_token\",\"scope\":\"ldap.read \\\"admin\\\" a\\\\b\\n\","
	                    "\"openid-configuration\":\"https://as.example.com/.well-known/openid-configuration\"}");
	assert_int_equal(n, strlen(out));
	free(out);

	assert_int_equal(ccauth_gs2_build_error("invalid_token", NULL, NULL, &out, &n, NULL), CCAUTH_OK);
	assert_string_equal(out, "{\"status\":\"invalid_token\"}");
	free(out);

	assert_int_equal(ccauth_gs2_build_error("invalid_token", "\377", NULL, &out, &n, NULL), CCAUTH_E_CONFIG);
	assert_null(out);
	assert_int_equal(ccauth_gs2_build_error(NULL, "s", NULL, &out, &n, NULL), CCAUTH_E_INTERNAL);

	assert_int_equal(ccauth_xoauth2_build_error("https://mail.example.com/", &out, &n, NULL), CCAUTH_OK);
	assert_string_equal(out, "{\"status\":\"401\",\"schemes\":\"bearer\",\"scope\":\"https://mail.example.com/\"}");
	free(out);
	assert_int_equal(ccauth_xoauth2_build_error(NULL, &out, &n, NULL), CCAUTH_OK);
	assert_string_equal(out, "{\"status\":\"401\",\"schemes\":\"bearer\"}");
	free(out);
}

#define CH(lit) lit, sizeof(lit) - 1

static void test_challenge(void **state)
{
	struct ccauth_oauth_challenge c;
	char *built;
	size_t n;
	char *big;

	assert_int_equal(ccauth_gs2_parse_challenge(CH("{\"status\":\"invalid_token\",\"scope\":\"a \\\"b\\\"\","
	                                               "\"openid-configuration\":\"https://x/\",\"extra\":[1,{}]}"),
	                                            &c, NULL),
	                 CCAUTH_OK);
	assert_string_equal(c.status, "invalid_token");
	assert_string_equal(c.scope, "a \"b\"");
	assert_string_equal(c.openid_configuration, "https://x/");
	ccauth_gs2_challenge_clear(&c);
	assert_null(c.status);

	/* what we build, we parse */
	assert_int_equal(ccauth_gs2_build_error("invalid_token", "s\"\\\t", NULL, &built, &n, NULL), CCAUTH_OK);
	assert_int_equal(ccauth_gs2_parse_challenge(built, n, &c, NULL), CCAUTH_OK);
	assert_string_equal(c.scope, "s\"\\\t");
	assert_null(c.openid_configuration);
	ccauth_gs2_challenge_clear(&c);
	free(built);
	assert_int_equal(ccauth_xoauth2_build_error("sc", &built, &n, NULL), CCAUTH_OK);
	assert_int_equal(ccauth_gs2_parse_challenge(built, n, &c, NULL), CCAUTH_OK);
	assert_string_equal(c.status, "401");
	assert_string_equal(c.scope, "sc");
	ccauth_gs2_challenge_clear(&c);
	free(built);

	assert_int_equal(ccauth_gs2_parse_challenge(CH("[\"status\"]"), &c, NULL), CCAUTH_E_MALFORMED);
	assert_int_equal(ccauth_gs2_parse_challenge(CH("\"invalid_token\""), &c, NULL), CCAUTH_E_MALFORMED);
	assert_int_equal(ccauth_gs2_parse_challenge(CH("{\"status\":\"x\""), &c, NULL), CCAUTH_E_MALFORMED);
	assert_int_equal(ccauth_gs2_parse_challenge(CH("{\"status\":\"x\"} x"), &c, NULL), CCAUTH_E_MALFORMED);
	assert_int_equal(ccauth_gs2_parse_challenge(CH("{\"scope\":\"x\"}"), &c, NULL), CCAUTH_E_MALFORMED);
	assert_int_equal(ccauth_gs2_parse_challenge(CH("{\"status\":401}"), &c, NULL), CCAUTH_E_MALFORMED);
	assert_int_equal(ccauth_gs2_parse_challenge(CH("{\"status\":\"x\",\"scope\":[]}"), &c, NULL),
	                 CCAUTH_E_MALFORMED);
	assert_null(c.status); /* nothing leaks out of a failure */
	assert_int_equal(ccauth_gs2_parse_challenge(CH("{\"status\":\"x\",\"status\":\"y\"}"), &c, NULL),
	                 CCAUTH_E_MALFORMED);
	assert_int_equal(ccauth_gs2_parse_challenge(CH("{\"status\":\"x\\u0000y\"}"), &c, NULL), CCAUTH_E_MALFORMED);
	assert_int_equal(ccauth_gs2_parse_challenge(CH(""), &c, NULL), CCAUTH_E_MALFORMED);

	big = malloc(CCAUTH_GS2_MAX_CHALLENGE + 1);
	assert_non_null(big);
	memset(big, ' ', CCAUTH_GS2_MAX_CHALLENGE + 1);
	memcpy(big, "{\"status\":\"x\"}", 14);
	assert_int_equal(ccauth_gs2_parse_challenge(big, CCAUTH_GS2_MAX_CHALLENGE + 1, &c, NULL), CCAUTH_E_MALFORMED);
	assert_int_equal(ccauth_gs2_parse_challenge(big, CCAUTH_GS2_MAX_CHALLENGE, &c, NULL), CCAUTH_OK);
	ccauth_gs2_challenge_clear(&c);
	free(big);
}

static void test_error_ack(void **state)
{
	assert_int_equal(ccauth_gs2_parse_error_ack(CH(KV), NULL), CCAUTH_OK);
	assert_int_equal(ccauth_gs2_parse_error_ack(CH(""), NULL), CCAUTH_E_MALFORMED);
	assert_int_equal(ccauth_gs2_parse_error_ack(CH(KV KV), NULL), CCAUTH_E_MALFORMED);
	assert_int_equal(ccauth_gs2_parse_error_ack(CH("n,," KV AUTH KV), NULL), CCAUTH_E_MALFORMED);
	assert_int_equal(ccauth_gs2_parse_error_ack(NULL, 1, NULL), CCAUTH_E_MALFORMED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bad_oauthbearer), cmocka_unit_test(test_bad_xoauth2),
	    cmocka_unit_test(test_too_long),        cmocka_unit_test(test_good_oauthbearer),
	    cmocka_unit_test(test_good_xoauth2),    cmocka_unit_test(test_build_exact),
	    cmocka_unit_test(test_build_refuses),   cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_error_json),      cmocka_unit_test(test_challenge),
	    cmocka_unit_test(test_error_ack),       cmocka_unit_test(test_credentials),
	    cmocka_unit_test(test_y_flag),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
