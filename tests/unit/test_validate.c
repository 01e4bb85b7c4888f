/* End to end through ccauth_validator_new: a config from ccauth_config_parse, JWKS files written
 * to a temp dir, tokens minted by testutil (independent of common/jws.c).  Routing by iss, issuer
 * restriction, key choice, the cache, and the identity handed out. */
#include "autoconf.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "testutil.h"
#include "validate.h"

#define NOW  INT64_C(1700000000)
#define ISS1 "https://as1.example/oauth/t1"
#define ISS2 "https://as2.example"
#define ISS3 "https://as3.example"

struct fx {
	EVP_PKEY *r1, *r1b, *e1, *ed, *r2;
	char *jwks1, *jwks2, *jwks_empty, *conf;
	struct ccauth_config *cfg;
	char dirs[8][256];
	int ndirs;
};

static struct fx F;

static char *xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		fail_msg("vasprintf");
	return s;
}

static char *write_temp(const char *name, const char *text)
{
	char *path = tu_write_temp(name, text), *slash = strrchr(path, '/');

	snprintf(F.dirs[F.ndirs++], sizeof(F.dirs[0]), "%.*s", (int)(slash - path), path);
	return path;
}

static char *jwks_of(int n, ...)
{
	va_list ap;
	char *out = xprintf("{\"keys\":[");

	va_start(ap, n);
	for (int i = 0; i < n; i++) {
		EVP_PKEY *k = va_arg(ap, EVP_PKEY *);
		const char *kid = va_arg(ap, const char *);
		char *jwk = tu_jwk_json(k, kid, NULL), *next = xprintf("%s%s%s", out, i ? "," : "", jwk);

		free(jwk);
		free(out);
		out = next;
	}
	va_end(ap);
	{
		char *done = xprintf("%s]}", out);

		free(out);
		return done;
	}
}

static int setup(void **state)
{
	char *j, *text;
	struct ccauth_error err = {0};

	(void)state;
	F.r1 = tu_genkey("RSA2048");
	F.r1b = tu_genkey("RSA2048");
	F.e1 = tu_genkey("P-256");
	F.ed = tu_genkey("Ed25519");
	F.r2 = tu_genkey("RSA2048");

	j = jwks_of(4, F.r1, "r1", F.r1b, "r1b", F.e1, "e1", F.ed, "ed");
	F.jwks1 = write_temp("t1.jwks", j);
	free(j);
	j = jwks_of(1, F.r2, "r2");
	F.jwks2 = write_temp("t2.jwks", j);
	free(j);
	F.jwks_empty = write_temp("empty.jwks", "{\"keys\":[{\"kty\":\"oct\",\"k\":\"AAAA\",\"kid\":\"h\"}]}");

	text = xprintf("[global]\nclock_skew = 60\ncache_dir =\n\n"
	               "[issuer t1]\nissuer = " ISS1 "\njwks_file = %s\naudience = ldap://ldap.example.com\n"
	               "required_scope = ldap.read\n\n"
	               "[issuer t2]\nissuer = " ISS2 "\njwks_file = %s\nalgorithms = RS256\nallowed_client_ids = cid2\n"
	               "username_claim = sub\nusername_template = svc-%%s\n\n"
	               "[issuer t3]\nissuer = " ISS3 "\njwks_uri = https://127.0.0.1:1/jwks\nallowed_client_ids = a\n",
	               F.jwks1, F.jwks2);
	if (ccauth_config_parse(text, strlen(text), "test.conf", &F.cfg, &err) != CCAUTH_OK)
		fail_msg("config: %s", err.msg);
	free(text);
	return 0;
}

static int teardown(void **state)
{
	char *files[] = {F.jwks1, F.jwks2, F.jwks_empty};

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		unlink(files[i]);
		free(files[i]);
	}
	for (int i = 0; i < F.ndirs; i++)
		rmdir(F.dirs[i]);
	ccauth_config_free(F.cfg);
	EVP_PKEY_free(F.r1);
	EVP_PKEY_free(F.r1b);
	EVP_PKEY_free(F.e1);
	EVP_PKEY_free(F.ed);
	EVP_PKEY_free(F.r2);
	return 0;
}

/* header with alg, optional kid and typ */
static char *mint(EVP_PKEY *key, const char *alg, const char *kid, const char *payload)
{
	char *hdr = kid ? xprintf("{\"alg\":\"%s\",\"kid\":\"%s\",\"typ\":\"at+jwt\"}", alg, kid)
	                : xprintf("{\"alg\":\"%s\",\"typ\":\"at+jwt\"}", alg);
	char *tok = tu_sign(key, alg, hdr, payload);

	free(hdr);
	return tok;
}

static char *payload1(int64_t exp)
{
	return tu_payload(ISS1, "ldap://ldap.example.com", "svc-a", "openid ldap.read", NOW - 10, exp);
}

static struct ccauth_validator *validator(const char *const *issuers, size_t cache)
{
	struct ccauth_validator_opts opts = {.issuers = issuers, .cache_entries = cache};
	struct ccauth_validator *v = NULL;
	struct ccauth_error err = {0};

	if (ccauth_validator_new(F.cfg, &opts, &v, &err) != CCAUTH_OK)
		fail_msg("validator: %s", err.msg);
	return v;
}

static enum ccauth_status run(struct ccauth_validator *v, const char *tok, int64_t now,
                              const struct ccauth_identity **id, struct ccauth_error *err)
{
	return ccauth_validate(v, tok, strlen(tok), now, id, err);
}

#define EXPECT(v, tok, now, want)                                                                                      \
	do {                                                                                                           \
		const struct ccauth_identity *id_ = NULL;                                                              \
		struct ccauth_error e_ = {0};                                                                          \
		enum ccauth_status st_ = run((v), (tok), (now), &id_, &e_);                                            \
		if (st_ != (want))                                                                                     \
			fail_msg("line %d: got %s, want %s (%s)", __LINE__, ccauth_status_reason(st_),                 \
			         ccauth_status_reason(want), e_.msg);                                                  \
		if (st_ == CCAUTH_OK)                                                                                  \
			assert_non_null(id_);                                                                          \
		else                                                                                                   \
			assert_null(id_);                                                                              \
		ccauth_identity_release(id_);                                                                          \
	} while (0)

static void test_accept_and_identity(void **state)
{
	struct ccauth_validator *v = validator(NULL, SIZE_MAX);
	char *p = payload1(NOW + 3600);
	const char *algs[][3] = {
	    {"RS256", "r1", NULL}, {"PS384", "r1b", NULL}, {"ES256", "e1", NULL}, {"EdDSA", "ed", NULL}};
	EVP_PKEY *keys[] = {F.r1, F.r1b, F.e1, F.ed};

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		char *tok = mint(keys[i], algs[i][0], algs[i][1], p);
		const struct ccauth_identity *id = NULL;
		struct ccauth_error err = {0};

		if (run(v, tok, NOW, &id, &err) != CCAUTH_OK)
			fail_msg("%s: %s", algs[i][0], err.msg);
		assert_string_equal(id->user, "svc-a");
		assert_string_equal(id->issuer_name, "t1");
		assert_string_equal(id->iss, ISS1);
		assert_string_equal(id->sub, "svc-a");
		assert_string_equal(id->client_id, "svc-a");
		assert_int_equal(id->naud, 1);
		assert_string_equal(id->aud[0], "ldap://ldap.example.com");
		assert_null(id->aud[1]);
		assert_string_equal(id->scope, "openid ldap.read");
		assert_non_null(id->jti);
		assert_int_equal(id->exp, NOW + 3600);
		assert_int_equal(id->iat, NOW - 10);
		assert_int_equal(id->via, CCAUTH_VIA_JWT);
		assert_int_equal(strlen(id->fpr), 16);
		assert_int_equal(strspn(id->fpr, "0123456789abcdef"), 16);
		ccauth_identity_release(id);
		free(tok);
	}
	free(p);
	ccauth_validator_free(v);
}

static void test_routing(void **state)
{
	struct ccauth_validator *v = validator(NULL, 0);
	char *p2 = tu_payload(ISS2, NULL, "cid2", NULL, NOW, NOW + 600), *p1 = payload1(NOW + 600);
	char *t2 = mint(F.r2, "RS256", "r2", p2), *t2_nokid = mint(F.r2, "RS256", NULL, p2);
	char *t2_by_k1 = mint(F.r1, "RS256", "r1", p2), *t1_by_k2 = mint(F.r2, "RS256", "r2", p1);
	char *t2_ps = mint(F.r2, "PS256", "r2", p2);
	const struct ccauth_identity *id = NULL;

	(void)state;
	assert_int_equal(run(v, t2, NOW, &id, NULL), CCAUTH_OK);
	assert_string_equal(id->issuer_name, "t2");
	assert_string_equal(id->user, "svc-cid2"); /* username_claim sub, template svc-%s */
	assert_int_equal(id->naud, 0);
	assert_null(id->aud[0]);
	assert_null(id->scope);
	ccauth_identity_release(id);
	EXPECT(v, t2_nokid, NOW, CCAUTH_OK);            /* the only key for RS256 in t2 */
	EXPECT(v, t2_by_k1, NOW, CCAUTH_E_UNKNOWN_KEY); /* t1's kid means nothing in t2 */
	EXPECT(v, t1_by_k2, NOW, CCAUTH_E_UNKNOWN_KEY);
	EXPECT(v, t2_ps, NOW, CCAUTH_E_ALGORITHM); /* t2 allows RS256 only */
	free(p1);
	free(p2);
	free(t2);
	free(t2_nokid);
	free(t2_by_k1);
	free(t1_by_k2);
	free(t2_ps);
	ccauth_validator_free(v);
}

static void test_keys_and_signature(void **state)
{
	struct ccauth_validator *v = validator(NULL, 0);
	char *p = payload1(NOW + 600);
	char *nokid_rsa = mint(F.r1, "RS256", NULL, p); /* t1 holds two RSA keys */
	char *nokid_ec = mint(F.e1, "ES256", NULL, p);  /* but one P-256 key */
	char *kid_wrong_kty = mint(F.r1, "RS256", "e1", p);
	char *kid_unknown = mint(F.r1, "RS256", "../../etc/passwd", p);
	char *other_key = mint(F.r1b, "RS256", "r1", p);
	char *good = mint(F.r1, "RS256", "r1", p);
	char *tampered = strdup(good);
	char *dot = strrchr(tampered, '.');

	(void)state;
	EXPECT(v, nokid_rsa, NOW, CCAUTH_E_UNKNOWN_KEY);
	EXPECT(v, nokid_ec, NOW, CCAUTH_OK);
	EXPECT(v, kid_wrong_kty, NOW, CCAUTH_E_ALGORITHM);
	EXPECT(v, kid_unknown, NOW, CCAUTH_E_UNKNOWN_KEY);
	EXPECT(v, other_key, NOW, CCAUTH_E_SIGNATURE);
	dot[5] = dot[5] == 'A' ? 'B' : 'A';
	EXPECT(v, tampered, NOW, CCAUTH_E_SIGNATURE);
	EXPECT(v, good, NOW, CCAUTH_OK);
	free(p);
	free(nokid_rsa);
	free(nokid_ec);
	free(kid_wrong_kty);
	free(kid_unknown);
	free(other_key);
	free(good);
	free(tampered);
	ccauth_validator_free(v);
}

static void test_order_and_policy(void **state)
{
	struct ccauth_validator *v = validator(NULL, 0);
	char big[CCAUTH_TOKEN_MAX + 2];
	char *p_noiss = xprintf("{\"exp\":%lld,\"client_id\":\"a\"}", (long long)NOW + 60);
	char *p_issnum = xprintf("{\"iss\":5,\"exp\":%lld}", (long long)NOW + 60);
	char *p_other = tu_payload("https://evil.example", NULL, "a", NULL, NOW, NOW + 60);
	char *p_expired = payload1(NOW - 61);
	char *p_noscope = tu_payload(ISS1, "ldap://ldap.example.com", "a", "openid", NOW, NOW + 60);
	char *p_noaud = tu_payload(ISS1, "ldap://other", "a", "ldap.read", NOW, NOW + 60);
	char *p_badname = tu_payload(ISS1, "ldap://ldap.example.com", "a b", "ldap.read", NOW, NOW + 60);
	char *t_noiss = mint(F.r1, "RS256", "r1", p_noiss), *t_issnum = mint(F.r1, "RS256", "r1", p_issnum);
	char *t_other = mint(F.r1, "RS256", "r1", p_other), *t_expired = mint(F.r1, "RS256", "r1", p_expired);
	char *t_noscope = mint(F.r1, "RS256", "r1", p_noscope), *t_noaud = mint(F.r1, "RS256", "r1", p_noaud);
	char *t_badname = mint(F.r1, "RS256", "r1", p_badname);
	char *t_ws = xprintf("%s ", t_expired);
	const struct ccauth_identity *id = (const void *)1;

	(void)state;
	memset(big, 'A', sizeof(big));
	big[CCAUTH_TOKEN_MAX + 1] = '\0';
	assert_int_equal(ccauth_validate(v, "", 0, NOW, &id, NULL), CCAUTH_E_MALFORMED);
	assert_null(id);
	assert_int_equal(ccauth_validate(v, "a.b\0c", 5, NOW, &id, NULL), CCAUTH_E_MALFORMED);
	EXPECT(v, big, NOW, CCAUTH_E_MALFORMED);
	EXPECT(v, t_ws, NOW, CCAUTH_E_MALFORMED); /* whitespace beats expiry */
	EXPECT(v, "opaque-token-abc", NOW, CCAUTH_E_MALFORMED);
	/* every whitespace byte and NUL at every position of a word-sized scan (and the tail) */
	{
		static const char bad_bytes[] = {'\0', ' ', '\t', '\n', '\v', '\f', '\r'};
		char *copy = strdup(t_expired);
		size_t len = strlen(copy);

		for (size_t b = 0; b < sizeof(bad_bytes); b++) {
			for (size_t pos = 0; pos < 20; pos++) {
				size_t at = pos < 10 ? pos : len - 20 + pos;
				char keep = copy[at];

				copy[at] = bad_bytes[b];
				assert_int_equal(ccauth_validate(v, copy, len, NOW, &id, NULL), CCAUTH_E_MALFORMED);
				copy[at] = keep;
			}
		}
		free(copy);
	}
	EXPECT(v, t_noiss, NOW, CCAUTH_E_ISSUER);
	EXPECT(v, t_issnum, NOW, CCAUTH_E_MALFORMED);
	EXPECT(v, t_other, NOW, CCAUTH_E_ISSUER);
	EXPECT(v, t_expired, NOW, CCAUTH_E_EXPIRED);
	EXPECT(v, t_noscope, NOW, CCAUTH_E_SCOPE);
	EXPECT(v, t_noaud, NOW, CCAUTH_E_AUDIENCE);
	EXPECT(v, t_badname, NOW, CCAUTH_E_IDENTITY);
	free(p_noiss);
	free(p_issnum);
	free(p_other);
	free(p_expired);
	free(p_noscope);
	free(p_noaud);
	free(p_badname);
	free(t_noiss);
	free(t_issnum);
	free(t_other);
	free(t_expired);
	free(t_noscope);
	free(t_noaud);
	free(t_badname);
	free(t_ws);
	ccauth_validator_free(v);
}

static void test_issuer_restriction(void **state)
{
	static const char *const only2[] = {"t2", NULL};
	static const char *const nope[] = {"t2", "nope", NULL};
	struct ccauth_validator *v = validator(only2, 0), *bad = NULL;
	char *p1 = payload1(NOW + 600), *t1 = mint(F.r1, "RS256", "r1", p1);
	struct ccauth_validator_opts opts = {.issuers = nope};
	struct ccauth_error err = {0};

	(void)state;
	EXPECT(v, t1, NOW, CCAUTH_E_ISSUER); /* t1 exists but is not trusted here */
	ccauth_validator_free(v);
	assert_int_equal(ccauth_validator_new(F.cfg, &opts, &bad, &err), CCAUTH_E_CONFIG);
	assert_null(bad);
	assert_non_null(strstr(err.msg, "nope"));
	free(p1);
	free(t1);
}

static void test_remote_issuer_unavailable(void **state)
{
	static const char *const only3[] = {"t3", NULL};
	struct ccauth_validator *v = validator(only3, 0);
	char *p = tu_payload(ISS3, NULL, "a", NULL, NOW, NOW + 60), *t = mint(F.r1, "RS256", "r1", p);
	const struct ccauth_identity *id = NULL;
	struct ccauth_error err = {0};

	(void)state;
	assert_int_equal(run(v, t, NOW, &id, &err), CCAUTH_E_UNAVAILABLE);
	assert_non_null(strstr(err.msg, "127.0.0.1:1")); /* closed loopback port: no network */
	assert_null(id);
	free(p);
	free(t);
	ccauth_validator_free(v);
}

/* A token of [issuer x], whose jwks_file is at path, validated by a fresh validator: the status */
static enum ccauth_status validate_x(struct ccauth_config *cfg, struct ccauth_error *err)
{
	char *p = tu_payload("https://x.example", "ldap://ldap.example.com", "svc-a", "openid", NOW - 10, NOW + 100);
	char *t = mint(F.ed, "EdDSA", "ed", p);
	struct ccauth_validator *v = NULL;
	const struct ccauth_identity *id = NULL;
	enum ccauth_status st;

	/* the validator is made whatever the file: it is read when a token names the issuer */
	assert_int_equal(ccauth_validator_new(cfg, NULL, &v, err), CCAUTH_OK);
	st = run(v, t, NOW, &id, err);
	if (st != CCAUTH_OK)
		assert_null(id);
	ccauth_identity_release(id);
	ccauth_validator_free(v);
	free(p);
	free(t);
	return st;
}

/* An unreadable or keyless jwks_file fails closed, as a configuration error of the tokens of
 * that issuer (when one names it), never as an unknown key or a temporary failure. */
static void test_bad_jwks_file(void **state)
{
	const char *paths[] = {F.jwks_empty, "/nonexistent/ccauth/jwks.json"};

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		char *text =
		    xprintf("[issuer x]\nissuer = https://x.example\njwks_file = %s\naudience = x\n", paths[i]);
		struct ccauth_config *cfg = NULL;
		struct ccauth_error err = {0};

		if (ccauth_config_parse(text, strlen(text), "bad.conf", &cfg, &err) == CCAUTH_OK) {
			assert_int_equal(validate_x(cfg, &err), CCAUTH_E_CONFIG);
			assert_non_null(strstr(err.msg, "[issuer x]"));
		} else {
			assert_int_equal(err.code, CCAUTH_E_CONFIG); /* refused already by the config */
		}
		ccauth_config_free(cfg);
		free(text);
	}
}

/* jwks_file is a trust anchor: one that others may write is refused like a loose config file */
static void test_writable_jwks_file(void **state)
{
	char *j = jwks_of(1, F.ed, "ed"), *path = write_temp("loose.jwks", j);
	char *text = xprintf(
	    "[issuer x]\nissuer = https://x.example\njwks_file = %s\naudience = ldap://ldap.example.com\n", path);
	const mode_t modes[] = {0620, 0602, 0644};
	const enum ccauth_status want[] = {CCAUTH_E_CONFIG, CCAUTH_E_CONFIG, CCAUTH_OK};
	struct ccauth_config *cfg = NULL;
	struct ccauth_error err = {0};

	(void)state;
	if (ccauth_config_parse(text, strlen(text), "loose.conf", &cfg, &err) != CCAUTH_OK)
		fail_msg("config: %s", err.msg);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(chmod(path, modes[i]), 0);
		assert_int_equal(validate_x(cfg, &err), want[i]);
		if (want[i] != CCAUTH_OK)
			assert_non_null(strstr(err.msg, "writable by group or others"));
	}
	ccauth_config_free(cfg);
	unlink(path);
	free(path);
	free(text);
	free(j);
}

/* Keys are read only for the issuer a token names, on first use: a broken jwks_file of another
 * issuer costs nothing and refuses nothing; the broken one is tried again with each of its tokens
 * (fixing the file needs no restart), and a loaded set stays. */
static void test_jwks_file_on_first_use(void **state)
{
	char *good = jwks_of(1, F.ed, "ed"), *gpath = write_temp("good.jwks", good);
	char *bpath = write_temp("broken.jwks", "{\"keys\": [");
	char *text =
	    xprintf("[issuer a]\nissuer = " ISS1 "\njwks_file = %s\naudience = ldap://ldap.example.com\n\n"
	            "[issuer x]\nissuer = https://x.example\njwks_file = %s\naudience = ldap://ldap.example.com\n",
	            gpath, bpath);
	char *pa = payload1(NOW + 100), *ta = mint(F.ed, "EdDSA", "ed", pa);
	char *px = tu_payload("https://x.example", "ldap://ldap.example.com", "svc-a", "openid", NOW - 10, NOW + 100);
	char *tx = mint(F.ed, "EdDSA", "ed", px);
	struct ccauth_config *cfg = NULL;
	struct ccauth_validator *v = NULL;
	const struct ccauth_identity *id = NULL;
	struct ccauth_error err = {0};

	(void)state;
	if (ccauth_config_parse(text, strlen(text), "lazy.conf", &cfg, &err) != CCAUTH_OK)
		fail_msg("config: %s", err.msg);
	assert_int_equal(ccauth_validator_new(cfg, NULL, &v, &err), CCAUTH_OK);
	assert_int_equal(run(v, ta, NOW, &id, &err), CCAUTH_OK);
	ccauth_identity_release(id);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(run(v, tx, NOW, &id, &err), CCAUTH_E_CONFIG);
		assert_non_null(strstr(err.msg, "[issuer x] jwks_file"));
	}
	/* fixed in place: the next token of x loads it */
	{
		FILE *f = fopen(bpath, "w");

		assert_non_null(f);
		assert_int_equal(fputs(good, f) >= 0, 1);
		assert_int_equal(fclose(f), 0);
	}
	assert_int_equal(run(v, tx, NOW, &id, &err), CCAUTH_OK);
	ccauth_identity_release(id);
	/* loaded once: breaking the file again changes nothing for this validator */
	assert_int_equal(truncate(gpath, 0), 0);
	assert_int_equal(run(v, ta, NOW + 1, &id, &err), CCAUTH_OK);
	ccauth_identity_release(id);
	ccauth_validator_free(v);
	ccauth_config_free(cfg);
	unlink(gpath);
	unlink(bpath);
	free(gpath);
	free(bpath);
	free(text);
	free(good);
	free(pa);
	free(ta);
	free(px);
	free(tx);
}

/* b is a copy of a: equal fields, its own storage (NULL where a has NULL) */
static void assert_same_str(const char *a, const char *b)
{
	if (a == NULL) {
		assert_null(b);
		return;
	}
	assert_non_null(b);
	assert_ptr_not_equal(a, b);
	assert_string_equal(a, b);
}

static void assert_same_identity(const struct ccauth_identity *a, const struct ccauth_identity *b)
{
	assert_ptr_not_equal(a, b);
	assert_same_str(a->user, b->user);
	assert_same_str(a->issuer_name, b->issuer_name);
	assert_same_str(a->iss, b->iss);
	assert_same_str(a->sub, b->sub);
	assert_same_str(a->client_id, b->client_id);
	assert_same_str(a->scope, b->scope);
	assert_same_str(a->jti, b->jti);
	assert_int_equal(a->naud, b->naud);
	for (size_t i = 0; i < a->naud; i++)
		assert_same_str(a->aud[i], b->aud[i]);
	assert_null(b->aud[b->naud]);
	assert_int_equal(a->exp, b->exp);
	assert_int_equal(a->iat, b->iat);
	assert_int_equal(a->via, b->via);
	assert_string_equal(a->fpr, b->fpr);
}

static void test_cache(void **state)
{
	struct ccauth_validator *v = validator(NULL, 0), *nocache = validator(NULL, SIZE_MAX);
	char *p = payload1(NOW + 100), *t = mint(F.ed, "EdDSA", "ed", p);
	const struct ccauth_identity *a = NULL, *b = NULL, *c = NULL;

	(void)state;
	assert_int_equal(run(v, t, NOW, &a, NULL), CCAUTH_OK);
	assert_int_equal(run(v, t, NOW + 1, &b, NULL), CCAUTH_OK);
	assert_same_identity(a, b); /* a hit hands out a copy of the cached identity */
	ccauth_identity_release(b);
	/* at exp the cache no longer answers; the full check still accepts (skew) with a new identity */
	assert_int_equal(run(v, t, NOW + 100, &c, NULL), CCAUTH_OK);
	assert_ptr_not_equal(a, c);
	assert_string_equal(a->user, c->user);
	ccauth_identity_release(c);
	EXPECT(v, t, NOW + 161, CCAUTH_E_EXPIRED);
	/* the first identity outlives the validator that cached it */
	ccauth_validator_free(v);
	assert_string_equal(a->user, "svc-a");
	ccauth_identity_release(a);

	assert_int_equal(run(nocache, t, NOW, &a, NULL), CCAUTH_OK);
	assert_int_equal(run(nocache, t, NOW, &b, NULL), CCAUTH_OK);
	assert_ptr_not_equal(a, b);
	ccauth_identity_release(a);
	ccauth_identity_release(b);
	ccauth_validator_free(nocache);
	free(p);
	free(t);
}

/* The token hash fails (an OpenSSL failure): never an answer from an uninitialised hash, which
 * could be the previous token's and so hit its cache entry.  ccauth_sha256 is wrapped for this
 * test program (-Wl,--wrap in tests/Makefile.am). */
static int fail_digest;
int __real_ccauth_sha256(const void *data, size_t len, unsigned char md[32]);
int __wrap_ccauth_sha256(const void *data, size_t len, unsigned char md[32]);

int __wrap_ccauth_sha256(const void *data, size_t len, unsigned char md[32])
{
	return fail_digest ? -1 : __real_ccauth_sha256(data, len, md);
}

static void test_hash_failure(void **state)
{
	struct ccauth_validator *v = validator(NULL, 0);
	char *p = payload1(NOW + 100), *t = mint(F.ed, "EdDSA", "ed", p);

	(void)state;
	EXPECT(v, t, NOW, CCAUTH_OK); /* now in the cache */
	fail_digest = 1;
	EXPECT(v, t, NOW, CCAUTH_E_INTERNAL);
	EXPECT(v, "opaque-token-never-seen", NOW, CCAUTH_E_INTERNAL);
	fail_digest = 0;
	EXPECT(v, t, NOW, CCAUTH_OK);
	ccauth_validator_free(v);
	free(p);
	free(t);
}

/* A realistic ~800-byte RFC 9068 token. */
static char *realistic_token(EVP_PKEY *key, const char *alg, const char *kid)
{
	char *p = xprintf(
	    "{\"iss\":\"" ISS1 "\",\"aud\":[\"ldap://ldap.example.com\",\"https://api.example.com/v1\"],"
	    "\"sub\":\"DI9Q2X7F0YV3K4B8RLM1\",\"client_id\":\"DI9Q2X7F0YV3K4B8RLM1\",\"azp\":\"DI9Q2X7F0YV3K4B8RLM1\","
	    "\"jti\":\"2b1e1b0c-6b7a-4f4e-9d0a-8f1f6b9d2c31\",\"iat\":%lld,\"nbf\":%lld,\"exp\":%lld,"
	    "\"scope\":\"openid ldap.read ldap.write mail.send api.read api.write\","
	    "\"auth_time\":%lld,\"acr\":\"urn:example:acr:mfa\",\"tenant\":\"example-tenant-0001\"}",
	    (long long)NOW - 5, (long long)NOW - 5, (long long)NOW + 3600, (long long)NOW - 5);
	char *t = mint(key, alg, kid, p);

	free(p);
	return t;
}

/* A hit's copy carries every field (two audiences, scope, jti, iat) and outlives the identity it
 * was copied from, the validator and its cache. */
static void test_cache_copy(void **state)
{
	struct ccauth_validator *v = validator(NULL, 0);
	char *t = realistic_token(F.ed, "EdDSA", "ed");
	const struct ccauth_identity *a = NULL, *b = NULL, *c = NULL;

	(void)state;
	assert_int_equal(run(v, t, NOW, &a, NULL), CCAUTH_OK);
	assert_int_equal(run(v, t, NOW, &b, NULL), CCAUTH_OK);
	assert_int_equal(a->naud, 2);
	assert_non_null(a->jti);
	assert_same_identity(a, b);
	ccauth_identity_release(a);
	assert_int_equal(run(v, t, NOW, &c, NULL), CCAUTH_OK);
	ccauth_validator_free(v);
	assert_same_identity(b, c);
	assert_string_equal(c->aud[1], "https://api.example.com/v1");
	ccauth_identity_release(b);
	ccauth_identity_release(c);
	free(t);
}

/* A copy (what a cache hit hands out) never reads the reference count that other threads change
 * at the same time: the ThreadSanitizer build (build-tsan) fails this when ccauth_identity_copy
 * copies the whole block, count included. */
static void *ref_churn(void *arg)
{
	const struct ccauth_identity *id = arg;

	for (int i = 0; i < 20000; i++)
		ccauth_identity_release(ccauth_identity_ref(id));
	return NULL;
}

static void test_copy_while_referenced(void **state)
{
	struct ccauth_validator *v = validator(NULL, 0);
	char *t = realistic_token(F.ed, "EdDSA", "ed");
	const struct ccauth_identity *id = NULL;
	pthread_t churn;

	(void)state;
	assert_int_equal(run(v, t, NOW, &id, NULL), CCAUTH_OK);
	assert_int_equal(pthread_create(&churn, NULL, ref_churn, (void *)(uintptr_t)id), 0);
	for (int i = 0; i < 20000; i++) {
		const struct ccauth_identity *c = ccauth_identity_copy(id);

		assert_non_null(c);
		assert_same_identity(c, id);
		ccauth_identity_release(c);
	}
	assert_int_equal(pthread_join(churn, NULL), 0);
	ccauth_identity_release(id);
	ccauth_validator_free(v);
	free(t);
}

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* CPU time: the figures survive a busy machine */
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Figures for the report (diagnostics, not pass/fail: they depend on the machine and valgrind). */
static void test_perf(void **state)
{
	struct ccauth_validator *v = validator(NULL, 0), *nocache = validator(NULL, SIZE_MAX);
	char *t = realistic_token(F.ed, "EdDSA", "ed");
	size_t len = strlen(t), n = 0;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char sig[64];
	size_t siglen = sizeof(sig);
	double t0, hit, full, raw, steps;
	const struct ccauth_identity *id;

	(void)state;
	assert_int_equal(run(v, t, NOW, &id, NULL), CCAUTH_OK);
	ccauth_identity_release(id);
	for (t0 = mono(); mono() - t0 < 0.2;) {
		for (int i = 0; i < 1000; i++, n++) {
			ccauth_validate(v, t, len, NOW, &id, NULL);
			ccauth_identity_release(id);
		}
	}
	hit = (double)n / (mono() - t0);

	for (n = 0, t0 = mono(); mono() - t0 < 0.2; n++) {
		assert_int_equal(ccauth_validate(nocache, t, len, NOW, &id, NULL), CCAUTH_OK);
		ccauth_identity_release(id);
	}
	full = (double)n / (mono() - t0);

	assert_int_equal(EVP_DigestSignInit(md, NULL, NULL, NULL, F.ed), 1);
	assert_int_equal(EVP_DigestSign(md, sig, &siglen, (const unsigned char *)t, 600), 1);
	for (n = 0, t0 = mono(); mono() - t0 < 0.2; n++) {
		EVP_MD_CTX_reset(md);
		EVP_DigestVerifyInit(md, NULL, NULL, NULL, F.ed);
		assert_int_equal(EVP_DigestVerify(md, sig, siglen, (const unsigned char *)t, 600), 1);
	}
	raw = (double)n / (mono() - t0);
	/* the non-crypto steps alone: parse, claims policy, mapping (plus the hash, ~1/hit) */
	for (n = 0, t0 = mono(); mono() - t0 < 0.2; n++) {
		struct ccauth_jws jws;
		char user[CCAUTH_USER_MAX + 1];

		memset(&jws, 0, sizeof(jws));
		assert_int_equal(ccauth_jws_parse(t, len, &jws, NULL), CCAUTH_OK);
		assert_int_equal(ccauth_validate_claims(&F.cfg->issuers[0], jws.payload, jws.typ, NOW, 60, NULL),
		                 CCAUTH_OK);
		assert_int_equal(ccauth_map_identity(&F.cfg->issuers[0], jws.payload, user, NULL), CCAUTH_OK);
		ccauth_jws_clear(&jws);
	}
	steps = (double)n / (mono() - t0);
	printf("# %zu-byte token (CPU time): cache hit %.0f/s; EdDSA full %.0f/s, raw verify %.0f/s; "
	       "parse+claims+map %.2f us, + hash %.2f us\n",
	       len, hit, full, raw, 1e6 / steps, 1e6 / hit);
	EVP_MD_CTX_free(md);
	free(t);
	ccauth_validator_free(v);
	ccauth_validator_free(nocache);
}

struct mt {
	struct ccauth_validator *v;
	char **toks;
	int bad;
};

static void *mt_thread(void *arg)
{
	struct mt *m = arg;

	for (int i = 0; i < 400; i++) {
		const struct ccauth_identity *id = NULL;
		const char *t = m->toks[i % 8];

		if (ccauth_validate(m->v, t, strlen(t), NOW, &id, NULL) != CCAUTH_OK || strcmp(id->user, "svc-a") != 0)
			m->bad++;
		ccauth_identity_release(id);
	}
	return NULL;
}

static void test_threads(void **state)
{
	struct ccauth_validator *v = validator(NULL, 64);
	char *p[8], *toks[8];
	struct mt m[2] = {{v, toks, 0}, {v, toks, 0}};
	pthread_t th[2];

	(void)state;
	for (int i = 0; i < 8; i++) {
		p[i] = payload1(NOW + 600 + i);
		toks[i] = mint(i % 2 ? F.e1 : F.ed, i % 2 ? "ES256" : "EdDSA", i % 2 ? "e1" : "ed", p[i]);
	}
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, mt_thread, &m[i]), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	assert_int_equal(m[0].bad + m[1].bad, 0);
	ccauth_validator_free(v);
	for (int i = 0; i < 8; i++) {
		free(p[i]);
		free(toks[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_accept_and_identity),
	    cmocka_unit_test(test_routing),
	    cmocka_unit_test(test_keys_and_signature),
	    cmocka_unit_test(test_order_and_policy),
	    cmocka_unit_test(test_issuer_restriction),
	    cmocka_unit_test(test_remote_issuer_unavailable),
	    cmocka_unit_test(test_bad_jwks_file),
	    cmocka_unit_test(test_writable_jwks_file),
	    cmocka_unit_test(test_jwks_file_on_first_use),
	    cmocka_unit_test(test_cache),
	    cmocka_unit_test(test_cache_copy),
	    cmocka_unit_test(test_copy_while_referenced),
	    cmocka_unit_test(test_hash_failure),
	    cmocka_unit_test(test_threads),
	    cmocka_unit_test(test_perf),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
