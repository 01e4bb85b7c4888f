/* bench/verify: what a token validation costs, against the physical limit measured in the same run.
 *
 * For RS256, PS256, ES256 and EdDSA it measures, for 1 and 2 threads:
 *   raw    EVP_DigestVerify on the same key, data and signature (the floor: crypto only)
 *   full   ccauth_validate with the validated-token cache off (parse, verify, claims, map)
 * and the validated-token cache: a hit through ccauth_validate (SHA-256 of the token, lookup, the
 * caller's identity) and the lookup alone (ccauth_vcache_get), each on 1 thread and on 2 threads
 * that hit the same token (one popular client) or each its own (two clients; the keys sit in two
 * different shards).  Same-token scaling close to own-token scaling means hits share no writes.
 * Figures are operations per second and ratios, because these machines are noisy: only ratios
 * measured in one run mean anything.
 *
 * Usage: bench/verify [--hits] [seconds-per-measurement]   (default 1.0; --hits: the cache only)
 *        bench/verify --once raw|full|hit|lookup ALG N
 * --once runs N operations of one kind in this thread, untimed, for instruction counts
 * (valgrind --tool=callgrind bench/verify --once full RS256 1000): full - raw per operation is
 * what ccauth adds to the crypto.
 */
#include "autoconf.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "b64url.h"
#include "config.h"
#include "jws.h"
#include "validate.h"
#include "vcache.h"

#define NOW         1790000000
#define MAX_THREADS 2
#define ISSUER      "https://idp.example.com/oauth2/default"

struct alg_case {
	const char *alg;
	const char *keygen; /* EVP_PKEY_Q_keygen type */
	const char *kid;
	EVP_PKEY *key;
	char *token;
	size_t token_len;
	char *token2; /* RS256 only: another client's token (own-token hits), in another cache shard */
	size_t token2_len;
	size_t signing_len;
	unsigned char sig[1024]; /* as in the JWS */
	size_t siglen;
	unsigned char rawsig[1024]; /* as EVP_DigestVerify wants it (DER for ECDSA) */
	size_t rawsiglen;
	const EVP_MD *md;
	int pss;
};

static double seconds = 1.0;

static void die(const char *what)
{
	fprintf(stderr, "bench/verify: %s\n", what);
	exit(1);
}

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now_s(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

static char *b64(const void *data, size_t len)
{
	char *out = malloc(CCAUTH_B64URL_ENCODED_LEN(len) + 1);

	if (out == NULL)
		die("out of memory");
	ccauth_b64url_encode(data, len, out);
	return out;
}

static char *bn_param_b64(EVP_PKEY *key, const char *name)
{
	BIGNUM *bn = NULL;
	unsigned char buf[1024];
	int n;

	if (!EVP_PKEY_get_bn_param(key, name, &bn))
		die("get_bn_param");
	n = BN_bn2bin(bn, buf);
	BN_free(bn);
	return b64(buf, (size_t)n);
}

/* The public JWK of c->key, as a JWKS member. */
static void jwk_json(struct alg_case *c, char *out, size_t outsz)
{
	if (strcmp(c->keygen, "RSA") == 0) {
		char *n = bn_param_b64(c->key, OSSL_PKEY_PARAM_RSA_N), *e = bn_param_b64(c->key, OSSL_PKEY_PARAM_RSA_E);
		snprintf(out, outsz, "{\"kty\":\"RSA\",\"kid\":\"%s\",\"use\":\"sig\",\"n\":\"%s\",\"e\":\"%s\"}",
		         c->kid, n, e);
		free(n);
		free(e);
	} else if (strcmp(c->keygen, "EC") == 0) {
		unsigned char pub[133];
		size_t publen = 0;
		char *x, *y;

		if (!EVP_PKEY_get_octet_string_param(c->key, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub), &publen) ||
		    publen != 65)
			die("EC public key");
		x = b64(pub + 1, 32);
		y = b64(pub + 33, 32);
		snprintf(out, outsz, "{\"kty\":\"EC\",\"kid\":\"%s\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"}",
		         c->kid, x, y);
		free(x);
		free(y);
	} else {
		unsigned char pub[32];
		size_t publen = sizeof(pub);
		char *x;

		if (!EVP_PKEY_get_raw_public_key(c->key, pub, &publen))
			die("Ed25519 public key");
		x = b64(pub, publen);
		snprintf(out, outsz, "{\"kty\":\"OKP\",\"kid\":\"%s\",\"crv\":\"Ed25519\",\"x\":\"%s\"}", c->kid, x);
		free(x);
	}
}

/* Sign with EVP directly (independent of common/jws.c); ECDSA DER -> raw R||S. */
static void sign(struct alg_case *c, const char *input, size_t len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char der[1024];
	size_t derlen = sizeof(der);

	if (ctx == NULL || EVP_DigestSignInit(ctx, &pctx, c->md, NULL, c->key) != 1)
		die("DigestSignInit");
	if (c->pss && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	               EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1))
		die("PSS params");
	if (EVP_DigestSign(ctx, der, &derlen, (const unsigned char *)input, len) != 1)
		die("DigestSign");
	EVP_MD_CTX_free(ctx);
	if (strcmp(c->keygen, "EC") == 0) {
		const unsigned char *p = der;
		ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
		const BIGNUM *r, *s;

		if (es == NULL)
			die("d2i_ECDSA_SIG");
		ECDSA_SIG_get0(es, &r, &s);
		BN_bn2binpad(r, c->sig, 32);
		BN_bn2binpad(s, c->sig + 32, 32);
		c->siglen = 64;
		ECDSA_SIG_free(es);
	} else {
		memcpy(c->sig, der, derlen);
		c->siglen = derlen;
	}
	memcpy(c->rawsig, der, derlen);
	c->rawsiglen = derlen;
}

/* A realistic RFC 9068 access token (about 800 bytes with RS256): the required iss, exp, aud, sub,
 * client_id, iat and jti, plus nbf and scope. */
static char *mint(struct alg_case *c, int variant, size_t *lenp)
{
	char header[128], payload[1024], input[2048], *h, *p, *s, *token;
	size_t len;
	int n;

	snprintf(header, sizeof(header), "{\"alg\":\"%s\",\"typ\":\"at+jwt\",\"kid\":\"%s\"}", c->alg, c->kid);
	snprintf(payload, sizeof(payload),
	         "{\"iss\":\"" ISSUER "\",\"sub\":\"DI6VJ2CN4OXH0PEKRSLU\","
	         "\"aud\":[\"ldap://ldap.example.com\",\"urn:example:mail\"],\"client_id\":\"DI6VJ2CN4OXH0PEKRSLU\","
	         "\"scope\":\"ldap.read ldap.write mail.send\",\"iat\":%d,\"nbf\":%d,\"exp\":%d,"
	         "\"jti\":\"b7c1e0a4-5d3f-4e2b-9a61-0f8c2d7e3%03d\"}",
	         NOW - 60, NOW - 60, NOW + 3600, variant % 1000);
	h = b64(header, strlen(header));
	p = b64(payload, strlen(payload));
	n = snprintf(input, sizeof(input), "%s.%s", h, p);
	c->signing_len = (size_t)n;
	sign(c, input, c->signing_len);
	s = b64(c->sig, c->siglen);
	len = c->signing_len + 1 + strlen(s);
	if ((token = malloc(len + 1)) == NULL)
		die("out of memory");
	snprintf(token, len + 1, "%s.%s", input, s);
	free(h);
	free(p);
	free(s);
	*lenp = len;
	return token;
}

static void token_key(const char *token, size_t len, unsigned char key[32])
{
	unsigned int mdlen;

	if (EVP_Digest(token, len, key, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		die("SHA-256");
}

/* A second token of the same client shape whose cache key falls in another shard than the first
 * (vcache.c picks the shard from the low 4 bits of the key's first byte), so that own-token hits
 * measure two threads that share nothing. */
static void mint_other(struct alg_case *c)
{
	unsigned char k1[32], k2[32];

	token_key(c->token, c->token_len, k1);
	for (int variant = 1;; variant++) {
		c->token2 = mint(c, variant, &c->token2_len);
		token_key(c->token2, c->token2_len, k2);
		if ((k1[0] & 15) != (k2[0] & 15))
			return;
		free(c->token2);
	}
}

enum mode { RAW, FULL, HIT, LOOKUP };

struct job {
	enum mode mode;
	struct alg_case *c;
	int own; /* HIT, LOOKUP: the second thread uses token2 */
	struct ccauth_validator *v;
	struct ccauth_vcache *vc;        /* LOOKUP */
	unsigned char key[32], key2[32]; /* LOOKUP: the cache keys of token and token2 */
	const EVP_MD *md;                /* prefetched */
	volatile int *stop;
	uint64_t ops;
	double cpu; /* this thread's CPU seconds */
	int failed;
} __attribute__((aligned(64))); /* the threads' jobs never share a cache line (ops is written per op) */

/* One operation of j->mode; ctx is the thread's reusable context for RAW.  0 on failure. */
static int one_op(struct job *j, EVP_MD_CTX *ctx)
{
	struct alg_case *c = j->c;
	int ok;

	if (j->mode == RAW) {
		EVP_PKEY_CTX *pctx = NULL;

		ok = EVP_DigestVerifyInit(ctx, &pctx, j->md, NULL, c->key) == 1;
		if (ok && c->pss)
			ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
			     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
		/* ECDSA: OpenSSL's own DER form, converted once outside the loop */
		ok = ok && EVP_DigestVerify(ctx, c->rawsig, c->rawsiglen, (const unsigned char *)c->token,
		                            c->signing_len) == 1;
		EVP_MD_CTX_reset(ctx);
	} else if (j->mode == LOOKUP) {
		const struct ccauth_identity *id = ccauth_vcache_get(j->vc, j->own ? j->key2 : j->key, NOW);

		ok = id != NULL;
		ccauth_identity_release(id);
	} else {
		const struct ccauth_identity *id = NULL;
		const char *t = j->own ? c->token2 : c->token;
		size_t tlen = j->own ? c->token2_len : c->token_len;

		ok = ccauth_validate(j->v, t, tlen, NOW, &id, NULL) == CCAUTH_OK;
		ccauth_identity_release(id);
	}
	return ok;
}

static void *worker(void *arg)
{
	struct job *j = arg;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	double c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);

	while (!*j->stop) {
		for (int i = 0; i < 16; i++) {
			if (!one_op(j, ctx))
				j->failed = 1;
			j->ops++;
		}
	}
	j->cpu = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
	EVP_MD_CTX_free(ctx);
	return NULL;
}

/* Operations per second with nthreads running tmpl's mode for `seconds` (with tmpl->own, the second
 * thread uses the second token or key); *per_cpu: operations per CPU second of the worker threads,
 * which other load disturbs less (it still shares the cores). */
static double measure(const struct job *tmpl, int nthreads, double *per_cpu)
{
	pthread_t th[MAX_THREADS];
	struct job jobs[MAX_THREADS];
	volatile int stop = 0;
	double t0, t1, cpu = 0;
	uint64_t total = 0;
	EVP_MD *md = NULL;
	const struct alg_case *c = tmpl->c;

	if (c->md != NULL && (md = EVP_MD_fetch(NULL, EVP_MD_get0_name(c->md), NULL)) == NULL)
		die("EVP_MD_fetch");
	t0 = now_s();
	for (int i = 0; i < nthreads; i++) {
		jobs[i] = *tmpl;
		jobs[i].own = tmpl->own && i == 1;
		jobs[i].md = md;
		jobs[i].stop = &stop;
		if (pthread_create(&th[i], NULL, worker, &jobs[i]) != 0)
			die("pthread_create");
	}
	while (now_s() - t0 < seconds)
		usleep(10000);
	stop = 1;
	for (int i = 0; i < nthreads; i++) {
		pthread_join(th[i], NULL);
		total += jobs[i].ops;
		cpu += jobs[i].cpu;
		if (jobs[i].failed)
			die("a verification failed during the benchmark");
	}
	t1 = now_s();
	EVP_MD_free(md);
	*per_cpu = cpu > 0 ? (double)total / cpu : 0;
	return (double)total / (t1 - t0);
}

static struct ccauth_validator *validator(const char *jwks_path, size_t cache_entries, struct ccauth_config **cfgp)
{
	char conf[1024];
	struct ccauth_validator *v = NULL;
	struct ccauth_error err;
	struct ccauth_validator_opts opts = {.cache_entries = cache_entries};

	snprintf(conf, sizeof(conf),
	         "[issuer duo]\n"
	         "issuer = " ISSUER "\n"
	         "jwks_file = %s\n"
	         "audience = ldap://ldap.example.com\n"
	         "required_scope = ldap.read\n"
	         "strict_rfc9068 = yes\n",
	         jwks_path);
	if (ccauth_config_parse(conf, strlen(conf), "bench", cfgp, &err) != CCAUTH_OK ||
	    ccauth_validator_new(*cfgp, &opts, &v, &err) != CCAUTH_OK) {
		fprintf(stderr, "bench/verify: %s\n", err.msg);
		exit(1);
	}
	return v;
}

/* The counted loop: callgrind --toggle-collect=run_n counts exactly these n operations. */
__attribute__((noinline)) static int run_n(struct job *j, EVP_MD_CTX *ctx, long n)
{
	for (long i = 0; i < n; i++)
		if (!one_op(j, ctx))
			return 0;
	return 1;
}

/* --once MODE ALG N: N operations in this thread, untimed (for callgrind / malloc counts). */
static int run_once(const char *mode, const char *alg, const char *count, struct alg_case *cases, size_t ncases,
                    struct ccauth_validator *v_full, struct ccauth_validator *v_hit, struct ccauth_vcache *vc)
{
	struct job j = {0};
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_MD *md = NULL;
	long n = strtol(count, NULL, 10);

	for (size_t i = 0; i < ncases; i++)
		if (strcmp(cases[i].alg, alg) == 0)
			j.c = &cases[i];
	if (j.c == NULL || n <= 0 || ctx == NULL)
		die("--once: unknown ALG, bad N or no memory");
	if (strcmp(mode, "raw") == 0)
		j.mode = RAW;
	else if (strcmp(mode, "full") == 0)
		j.mode = FULL, j.v = v_full;
	else if (strcmp(mode, "hit") == 0)
		j.mode = HIT, j.v = v_hit;
	else if (strcmp(mode, "lookup") == 0 && vc != NULL)
		j.mode = LOOKUP, j.vc = vc, token_key(j.c->token, j.c->token_len, j.key);
	else
		die("--once: MODE is raw, full, hit or lookup (RS256)");
	if (j.c->md != NULL && (md = EVP_MD_fetch(NULL, EVP_MD_get0_name(j.c->md), NULL)) == NULL)
		die("EVP_MD_fetch");
	j.md = md;
	/* warm up: first-use costs (provider loading, the cache fill for hit) stay out of the count */
	if (!one_op(&j, ctx) || !one_op(&j, ctx))
		die("--once: the operation failed");
	if (!run_n(&j, ctx, n))
		die("--once: the operation failed");
	printf("%s %s: %ld operations, token %zu B\n", mode, alg, n, j.c->token_len);
	EVP_MD_free(md);
	EVP_MD_CTX_free(ctx);
	return 0;
}

/* Cache hits of the RS256 token: through ccauth_validate (v_hit) and ccauth_vcache_get alone (vc). */
static void run_hits(struct alg_case *c, struct ccauth_validator *v_hit, struct ccauth_vcache *vc)
{
	struct job hit = {.mode = HIT, .c = c, .v = v_hit}, look = {.mode = LOOKUP, .c = c, .vc = vc};
	double w1, c1, same, samec, own, ownc;

	token_key(c->token, c->token_len, look.key);
	token_key(c->token2, c->token2_len, look.key2);
	printf("\n%-44s %12s %20s %20s\n", "cache hits, RS256 token (2 threads / 1)", "1 thread", "2 threads, same",
	       "2 threads, own");
	for (int i = 0; i < 2; i++) {
		struct job *j = i == 0 ? &hit : &look;

		j->own = 0;
		w1 = measure(j, 1, &c1);
		same = measure(j, 2, &samec);
		j->own = 1;
		own = measure(j, 2, &ownc);
		printf("%-44s %10.0f/s %10.0f/s %6.2fx %10.0f/s %6.2fx\n",
		       i == 0 ? "ccauth_validate (SHA-256 + lookup), wall" : "ccauth_vcache_get alone, wall", w1, same,
		       same / w1, own, own / w1);
		printf("%-44s %12.0f %12.0f %6.2fx %12.0f %6.2fx\n", "  per CPU second", c1, samec, samec / c1, ownc,
		       ownc / c1);
	}
	printf("(2-thread figures are totals: 2.00x is perfect scaling; per CPU second, 1.00x means a second "
	       "thread costs the first nothing)\n");
}

static void run_all(struct alg_case *cases, size_t ncases, struct ccauth_validator *v_full)
{
	double raw[2], full[2], rawc[2], fullc[2];

	printf("\n(wall: operations per second; cpu: per CPU second of the busy threads - less disturbed by other "
	       "load, but a shared core still slows them)\n\n%-6s %7s %12s %12s %7s %12s %12s %7s %10s\n",
	       "alg", "threads", "raw/s", "ccauth/s", "ratio", "raw/cpu-s", "ccauth/cpu-s", "ratio", "extra us");
	for (size_t i = 0; i < ncases; i++) {
		struct job r = {.mode = RAW, .c = &cases[i]}, f = {.mode = FULL, .c = &cases[i], .v = v_full};

		for (int t = 1; t <= MAX_THREADS; t++) {
			raw[t - 1] = measure(&r, t, &rawc[t - 1]);
			full[t - 1] = measure(&f, t, &fullc[t - 1]);
			printf("%-6s %7d %12.0f %12.0f %6.3fx %12.0f %12.0f %6.3fx %10.2f\n", cases[i].alg, t,
			       raw[t - 1], full[t - 1], full[t - 1] / raw[t - 1], rawc[t - 1], fullc[t - 1],
			       fullc[t - 1] / rawc[t - 1], 1e6 / fullc[t - 1] - 1e6 / rawc[t - 1]);
		}
		printf("%-6s  2 threads / 1 thread (wall): raw %.2fx, ccauth %.2fx\n", cases[i].alg, raw[1] / raw[0],
		       full[1] / full[0]);
	}
}

int main(int argc, char **argv)
{
	struct alg_case cases[] = {
	    {.alg = "RS256", .keygen = "RSA", .kid = "rsa"},
	    {.alg = "PS256", .keygen = "RSA", .kid = "rsa", .pss = 1},
	    {.alg = "ES256", .keygen = "EC", .kid = "ec"},
	    {.alg = "EdDSA", .keygen = "ED25519", .kid = "ed"},
	};
	const size_t ncases = sizeof(cases) / sizeof(cases[0]);
	char dir[] = "/tmp/ccauth-bench-XXXXXX", path[256], jwks[16384], one[4096];
	size_t off;
	FILE *f;
	struct ccauth_config *cfg_full = NULL, *cfg_hit = NULL;
	struct ccauth_validator *v_full, *v_hit;
	struct ccauth_vcache *vc = NULL;
	int rc = 0, once = argc == 5 && strcmp(argv[1], "--once") == 0, hits_only = 0;

	if (!once && argc > 1 && strcmp(argv[1], "--hits") == 0) {
		hits_only = 1;
		argc--, argv++;
	}
	if (argc > 1 && !once)
		seconds = strtod(argv[1], NULL);
	if (!(seconds > 0.05 && seconds < 60) || (argc > 2 && !once))
		die("usage: bench/verify [--hits] [seconds] | bench/verify --once raw|full|hit|lookup ALG N");

	/* one RSA key for RS256 and PS256; --once makes only the key it needs (keygen is slow under valgrind) */
	for (size_t i = 0; i < ncases; i++) {
		if (once && strcmp(cases[i].alg, argv[3]) != 0)
			continue;
		if (i == 1 && cases[0].key != NULL)
			cases[1].key = EVP_PKEY_dup(cases[0].key);
		else
			cases[i].key =
			    strcmp(cases[i].keygen, "RSA") == 0  ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048)
			    : strcmp(cases[i].keygen, "EC") == 0 ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")
			                                         : EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		if (cases[i].key == NULL)
			die("key generation");
		cases[i].md = strcmp(cases[i].keygen, "ED25519") == 0 ? NULL : EVP_sha256();
		cases[i].token = mint(&cases[i], 0, &cases[i].token_len);
		if (i == 0)
			mint_other(&cases[i]);
	}

	off = (size_t)snprintf(jwks, sizeof(jwks), "{\"keys\":[");
	for (size_t i = 0; i < ncases; i++) {
		if (cases[i].key == NULL || (i == 1 && cases[0].key != NULL))
			continue; /* not made, or the same key as RS256 */
		jwk_json(&cases[i], one, sizeof(one));
		off += (size_t)snprintf(jwks + off, sizeof(jwks) - off, "%s%s", off > 9 ? "," : "", one);
	}
	snprintf(jwks + off, sizeof(jwks) - off, "]}");
	if (mkdtemp(dir) == NULL)
		die("mkdtemp");
	snprintf(path, sizeof(path), "%s/jwks.json", dir);
	if ((f = fopen(path, "w")) == NULL || fputs(jwks, f) < 0 || fclose(f) != 0)
		die("writing the JWKS");
	v_full = validator(path, SIZE_MAX, &cfg_full); /* cache off: every call does the whole job */
	v_hit = validator(path, 0, &cfg_hit);          /* the JWKS file is read by the first token: kept to the end */

	if (cases[0].key != NULL) {
		/* the lookup-alone cache: both RS256 tokens' identities under their keys */
		const struct ccauth_identity *id = NULL;
		unsigned char k[32];

		if ((vc = ccauth_vcache_new(0)) == NULL)
			die("out of memory");
		for (int i = 0; i < 2; i++) {
			const char *t = i ? cases[0].token2 : cases[0].token;
			size_t tlen = i ? cases[0].token2_len : cases[0].token_len;

			if (ccauth_validate(v_full, t, tlen, NOW, &id, NULL) != CCAUTH_OK)
				die("the RS256 token does not validate");
			token_key(t, tlen, k);
			ccauth_vcache_put(vc, k, id);
			ccauth_identity_release(id);
		}
	}

	if (once) {
		rc = run_once(argv[2], argv[3], argv[4], cases, ncases, v_full, v_hit, vc);
	} else {
		printf("bench/verify: %.1f s per figure, %ld online CPUs, token sizes:", seconds,
		       sysconf(_SC_NPROCESSORS_ONLN));
		for (size_t i = 0; i < ncases; i++)
			printf(" %s %zu B", cases[i].alg, cases[i].token_len);
		printf("\n");
		if (!hits_only)
			run_all(cases, ncases, v_full);
		run_hits(&cases[0], v_hit, vc);
	}
	unlink(path);
	rmdir(dir);
	ccauth_vcache_free(vc);
	ccauth_validator_free(v_full);
	ccauth_validator_free(v_hit);
	ccauth_config_free(cfg_full);
	ccauth_config_free(cfg_hit);
	for (size_t i = 0; i < ncases; i++) {
		EVP_PKEY_free(cases[i].key);
		free(cases[i].token);
		free(cases[i].token2);
	}
	return rc;
}
