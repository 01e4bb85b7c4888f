/* Token validation: the issuer registry, the claims policy, and the glue that runs
 * the checks in the order of validation-order.md (the first failing check decides the reason). */
#include "autoconf.h"

#include <pthread.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "cache.h"
#include "config.h"
#include "discovery.h"
#include "http.h"
#include "identity.h"
#include "introspect.h"
#include "keys.h"
#include "util.h"
#include "validate.h"
#include "vcache.h"

#define TIME_MAX              INT64_C(253402300799) /* 9999-12-31T23:59:59Z */
#define DEFAULT_CACHE_ENTRIES 4096
#define HASH_SLOTS            16

/* ---- claims policy (validation-order.md steps 9-14) */

/* 0 absent, 1 ok, -1 wrong type or out of range */
static int claim_time(const struct ccauth_json *claims, const char *name, int64_t *out)
{
	const struct ccauth_json *v = ccauth_json_get(claims, name);

	if (v == NULL)
		return 0;
	if (v->type != CCAUTH_JSON_NUMBER || !v->is_int || v->i < 0 || v->i > TIME_MAX)
		return -1;
	*out = v->i;
	return 1;
}

/* a string claim: NULL when absent; *bad set when present with another type */
static const struct ccauth_json *claim_str(const struct ccauth_json *claims, const char *name, int *bad)
{
	const struct ccauth_json *v = ccauth_json_get(claims, name);

	if (v != NULL && v->type != CCAUTH_JSON_STRING) {
		*bad = 1;
		return NULL;
	}
	return v;
}

static int array_of_strings(const struct ccauth_json *v)
{
	if (v->type != CCAUTH_JSON_ARRAY)
		return 0;
	for (const struct ccauth_json *e = v->child; e != NULL; e = e->next)
		if (e->type != CCAUTH_JSON_STRING)
			return 0;
	return 1;
}

static enum ccauth_status claim_types(const struct ccauth_json *claims, struct ccauth_claimset *cs, struct ccauth_error *err)
{
	static const char *const strs[] = {"sub", "client_id", "azp", "jti"};
	const struct ccauth_json **slots[] = {&cs->sub, &cs->client_id, &cs->azp, &cs->jti};
	int r, bad = 0;

	memset(cs, 0, sizeof(*cs));
	r = claim_time(claims, "exp", &cs->exp);
	if (r == 0)
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "exp is missing");
	if (r < 0)
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "exp is not an integer in range");
	r = claim_time(claims, "nbf", &cs->nbf);
	if (r < 0)
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "nbf is not an integer in range");
	cs->has_nbf = r;
	r = claim_time(claims, "iat", &cs->iat);
	if (r < 0)
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "iat is not an integer in range");
	cs->has_iat = r;

	cs->aud = ccauth_json_get(claims, "aud");
	if (cs->aud != NULL && cs->aud->type != CCAUTH_JSON_STRING && !array_of_strings(cs->aud))
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "aud is neither a string nor an array of strings");
	cs->scope = claim_str(claims, "scope", &bad);
	if (bad)
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "scope is not a string");
	cs->scp = ccauth_json_get(claims, "scp");
	if (cs->scp != NULL && !array_of_strings(cs->scp))
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "scp is not an array of strings");
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		*slots[i] = claim_str(claims, strs[i], &bad);
		if (bad)
			return ccauth_error_set(err, CCAUTH_E_MALFORMED, "%s is not a string", strs[i]);
	}
	return CCAUTH_OK;
}

static int typ_ok(const char *typ)
{
	return typ != NULL && (strcasecmp(typ, "at+jwt") == 0 || strcasecmp(typ, "application/at+jwt") == 0);
}

static int json_str_eq(const struct ccauth_json *v, const char *s)
{
	size_t n = strlen(s);

	return v->len == n && memcmp(v->str, s, n) == 0;
}

static int list_has(const struct ccauth_strlist *l, const struct ccauth_json *v)
{
	for (size_t i = 0; i < l->n; i++)
		if (json_str_eq(v, l->v[i]))
			return 1;
	return 0;
}

static int aud_ok(const struct ccauth_issuer_conf *ic, const struct ccauth_json *aud)
{
	if (aud == NULL)
		return 0;
	if (aud->type == CCAUTH_JSON_STRING)
		return list_has(&ic->audience, aud);
	for (const struct ccauth_json *e = aud->child; e != NULL; e = e->next)
		if (list_has(&ic->audience, e))
			return 1;
	return 0;
}

/* want is one element of the space-separated scope string (exact element match) */
static int scope_has(const char *scope, size_t len, const char *want)
{
	size_t wl = strlen(want), i = 0;

	while (i < len) {
		size_t j = i;

		while (j < len && scope[j] != ' ')
			j++;
		if (j - i == wl && memcmp(scope + i, want, wl) == 0)
			return 1;
		i = j + 1;
	}
	return 0;
}

static int scopes_ok(const struct ccauth_issuer_conf *ic, const struct ccauth_claimset *cs, const char **missing)
{
	for (size_t i = 0; i < ic->required_scope.n; i++) {
		const char *want = ic->required_scope.v[i];
		int found = 0;

		if (cs->scope != NULL) {
			found = scope_has(cs->scope->str, cs->scope->len, want);
		} else if (cs->scp != NULL) {
			for (const struct ccauth_json *e = cs->scp->child; e != NULL && !found; e = e->next)
				found = json_str_eq(e, want);
		}
		if (!found) {
			*missing = want;
			return 0;
		}
	}
	return 1;
}

/* Steps 5 (iss, for introspection results) and 9-14.  check_typ is 0 only for introspection
 * results, which have no JWS header. */
static enum ccauth_status claims_policy(const struct ccauth_issuer_conf *ic, const struct ccauth_json *claims,
                                        const char *typ, int check_typ, int64_t now, int64_t skew, struct ccauth_claimset *cs,
                                        struct ccauth_error *err)
{
	const struct ccauth_json *iss, *cid;
	const char *missing = NULL;
	enum ccauth_status st;

	if (ic == NULL || claims == NULL || claims->type != CCAUTH_JSON_OBJECT)
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "claims are not a JSON object");
	iss = ccauth_json_get(claims, "iss");
	/* RFC 7662 makes iss optional in an introspection answer: the AS we asked speaks for its entry */
	if (iss == NULL && check_typ)
		return ccauth_error_set(err, CCAUTH_E_ISSUER, "iss is missing");
	if (iss != NULL && iss->type != CCAUTH_JSON_STRING)
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "iss is not a string");
	if (iss != NULL && (ic->issuer == NULL || !json_str_eq(iss, ic->issuer)))
		return ccauth_error_set(err, CCAUTH_E_ISSUER, "iss does not match [issuer %s]", ic->name);

	/* 9: types before any policy */
	st = claim_types(claims, cs, err);
	if (st != CCAUTH_OK)
		return st;

	/* 10: RFC 9068 profile */
	if (ic->strict_rfc9068) {
		if (check_typ && !typ_ok(typ))
			return ccauth_error_set(err, CCAUTH_E_TYPE, "typ is not at+jwt (strict_rfc9068)");
		if (cs->client_id == NULL)
			return ccauth_error_set(err, CCAUTH_E_MALFORMED, "client_id is missing (strict_rfc9068)");
		if (cs->jti == NULL)
			return ccauth_error_set(err, CCAUTH_E_MALFORMED, "jti is missing (strict_rfc9068)");
		if (!cs->has_iat)
			return ccauth_error_set(err, CCAUTH_E_MALFORMED, "iat is missing (strict_rfc9068)");
	}

	/* 11: time; every value is within [0, TIME_MAX] and skew is small, so no overflow */
	if (now > cs->exp + skew)
		return ccauth_error_set(err, CCAUTH_E_EXPIRED, "expired %lld s ago", (long long)(now - cs->exp));
	if (cs->has_nbf && cs->nbf > now + skew)
		return ccauth_error_set(err, CCAUTH_E_NOT_YET_VALID, "nbf is %lld s in the future",
		                        (long long)(cs->nbf - now));
	if (cs->has_iat && cs->iat > now + skew)
		return ccauth_error_set(err, CCAUTH_E_NOT_YET_VALID, "iat is %lld s in the future",
		                        (long long)(cs->iat - now));

	/* 12 */
	if (ic->audience.n > 0 && !aud_ok(ic, cs->aud))
		return ccauth_error_set(err, CCAUTH_E_AUDIENCE, "aud holds none of the audiences of [issuer %s]",
		                        ic->name);
	/* 13 */
	if (!scopes_ok(ic, cs, &missing))
		return ccauth_error_set(err, CCAUTH_E_SCOPE, "required scope %s is missing", missing);
	/* 14 */
	if (ic->allowed_client_ids.n > 0) {
		cid = cs->client_id != NULL ? cs->client_id : cs->azp;
		if (cid == NULL)
			return ccauth_error_set(err, CCAUTH_E_CLIENT,
			                        "no client_id or azp (allowed_client_ids is set)");
		if (!list_has(&ic->allowed_client_ids, cid))
			return ccauth_error_set(err, CCAUTH_E_CLIENT, "client is not in allowed_client_ids");
	}
	return CCAUTH_OK;
}

enum ccauth_status ccauth_validate_claims(const struct ccauth_issuer_conf *ic, const struct ccauth_json *claims,
                                          const char *typ, int64_t now, int64_t skew, struct ccauth_error *err)
{
	struct ccauth_claimset cs;

	return claims_policy(ic, claims, typ, 1, now, skew, &cs, err);
}

/* ---- the registry */

struct issuer_rt {
	const struct ccauth_issuer_conf *ic;
	struct ccauth_jwks *keys;   /* jwks_file: loaded once, never changes; NULL for a remote issuer */
	struct ccauth_keys *remote; /* jwks_uri / discovery (keys.h: refresh, single flight, stale keys) */
};

/* EVP_MD_CTX pool for the token hash: one reused context per slot beats the one-shot SHA256()
 * (which fetches the digest every call) by 2x and allocates nothing per token. */
struct hash_slot {
	pthread_mutex_t mu;
	EVP_MD_CTX *ctx;
} __attribute__((aligned(64)));

struct ccauth_validator {
	struct hash_slot hash[HASH_SLOTS];
	const struct ccauth_config *cfg;
	struct issuer_rt *iss;
	size_t niss;
	struct ccauth_vcache *cache; /* NULL: disabled */
	struct ccauth_log log;
	int64_t skew;
	EVP_MD *sha256;
	/* remote issuers and introspection: made with the first issuer that needs them; no I/O */
	struct ccauth_http *http;
	struct ccauth_cache *dcache;
	struct ccauth_discovery *disc;
	struct ccauth_introspector *intro;
	struct ccauth_keys_env keys_env;
};

/* A referenced key set for rt (release with ccauth_jwks_unref).  force_refresh asks a remote source
 * to refetch (rate-limited there); a static set ignores it. */
static enum ccauth_status issuer_keys(struct issuer_rt *rt, int force_refresh, int64_t now,
                                      struct ccauth_jwks **ref_out, struct ccauth_error *err)
{
	*ref_out = NULL;
	if (rt->remote != NULL)
		return ccauth_keys_get(rt->remote, force_refresh, now, ref_out, err);
	if (rt->keys == NULL)
		return ccauth_error_set(err, CCAUTH_E_UNAVAILABLE, "[issuer %s]: no keys available", rt->ic->name);
	*ref_out = ccauth_jwks_ref(rt->keys);
	return CCAUTH_OK;
}

static void issuer_rt_clear(struct issuer_rt *rt)
{
	ccauth_keys_free(rt->remote);
	rt->remote = NULL;
	ccauth_jwks_unref(rt->keys);
	rt->keys = NULL;
}

/* The HTTP client, disk cache, discovery and introspector shared by the remote issuers.  Nothing
 * here touches the network (a PAM module must not at pam_start); a cache_dir that cannot be used
 * is logged and the validator works from memory. */
static enum ccauth_status remote_env(struct ccauth_validator *v, struct ccauth_error *err)
{
	const struct ccauth_config *cfg = v->cfg;
	struct ccauth_http_opts ho;
	struct ccauth_error cerr;
	enum ccauth_status st;

	if (v->http != NULL)
		return CCAUTH_OK;
	ccauth_http_opts_from_config(cfg, &ho);
	if ((st = ccauth_http_new(&ho, &v->http, err)) != CCAUTH_OK)
		return st;
	if (ccauth_cache_open(cfg->cache_dir, &v->log, &v->dcache, &cerr) != CCAUTH_OK) {
		ccauth_log(&v->log, LOG_WARNING, "disk cache not used: %s", cerr.msg);
		v->dcache = NULL;
	}
	if ((st = ccauth_discovery_new(v->http, v->dcache, &v->log, cfg->jwks_max_stale, &v->disc, err)) != CCAUTH_OK ||
	    (st = ccauth_introspector_new(cfg, v->http, v->disc, &v->log, &v->intro, err)) != CCAUTH_OK)
		return st;
	v->keys_env.http = v->http;
	v->keys_env.disc = v->disc;
	v->keys_env.cache = v->dcache;
	v->keys_env.log = &v->log;
	v->keys_env.min_refresh = cfg->jwks_min_refresh;
	v->keys_env.max_stale = cfg->jwks_max_stale;
	v->keys_env.lock_wait_ms = (cfg->timeout > 0 ? cfg->timeout : 5) * 1000 + 1000;
	return CCAUTH_OK;
}

static enum ccauth_status issuer_rt_init(struct ccauth_validator *v, struct issuer_rt *rt,
                                         const struct ccauth_issuer_conf *ic, struct ccauth_error *err)
{
	enum ccauth_status st;
	struct ccauth_error e;

	memset(rt, 0, sizeof(*rt));
	rt->ic = ic;
	if (ic->issuer == NULL || ic->issuer[0] == '\0')
		st = ccauth_error_set(err, CCAUTH_E_CONFIG, "[issuer %s] has no issuer", ic->name);
	else if (ic->jwks_file == NULL || ccauth_introspect_enabled(ic))
		st = remote_env(v, err);
	else
		st = CCAUTH_OK;
	if (st == CCAUTH_OK && ic->jwks_file == NULL) /* jwks_uri or discovery: fetched on first use */
		st = ccauth_keys_new(&v->keys_env, ic->name, ic->issuer, ic->jwks_uri, &rt->remote, err);
	else if (st == CCAUTH_OK && (st = ccauth_jwks_load_file(ic->jwks_file, &v->log, &rt->keys, &e)) != CCAUTH_OK)
		st = ccauth_error_set(err, st == CCAUTH_E_NOMEM ? st : CCAUTH_E_CONFIG, "[issuer %s] jwks_file: %s",
		                      ic->name, e.msg);
	else if (st == CCAUTH_OK && rt->keys->nkeys == 0)
		st = ccauth_error_set(err, CCAUTH_E_CONFIG, "[issuer %s] jwks_file %s has no usable key", ic->name,
		                      ic->jwks_file);
	if (st != CCAUTH_OK)
		issuer_rt_clear(rt);
	return st;
}

void ccauth_validator_free(struct ccauth_validator *v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < v->niss; i++)
		issuer_rt_clear(&v->iss[i]);
	free(v->iss);
	ccauth_introspector_free(v->intro);
	ccauth_discovery_free(v->disc);
	ccauth_cache_close(v->dcache);
	ccauth_http_free(v->http);
	ccauth_vcache_free(v->cache);
	for (size_t i = 0; i < HASH_SLOTS; i++) {
		if (v->hash[i].ctx != NULL) {
			EVP_MD_CTX_free(v->hash[i].ctx);
			pthread_mutex_destroy(&v->hash[i].mu);
		}
	}
	EVP_MD_free(v->sha256);
	free(v);
}

static int already_listed(const struct ccauth_validator *v, const struct ccauth_issuer_conf *ic)
{
	for (size_t i = 0; i < v->niss; i++)
		if (v->iss[i].ic == ic)
			return 1;
	return 0;
}

enum ccauth_status ccauth_validator_new(const struct ccauth_config *cfg, const struct ccauth_validator_opts *opts,
                                        struct ccauth_validator **out, struct ccauth_error *err)
{
	const struct ccauth_validator_opts defaults = {0};
	struct ccauth_validator *v;
	enum ccauth_status st;
	size_t want;

	*out = NULL;
	if (opts == NULL)
		opts = &defaults;
	if (cfg == NULL)
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "no configuration");
	if (posix_memalign((void **)&v, alignof(struct hash_slot), sizeof(*v)) != 0)
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	memset(v, 0, sizeof(*v));
	v->cfg = cfg;
	v->skew = cfg->clock_skew;
	if (opts->log != NULL)
		v->log = *opts->log;

	v->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (v->sha256 == NULL) {
		st = ccauth_error_set(err, CCAUTH_E_INTERNAL, "SHA-256 is not available");
		goto fail;
	}
	for (size_t i = 0; i < HASH_SLOTS; i++) {
		if (pthread_mutex_init(&v->hash[i].mu, NULL) != 0 || (v->hash[i].ctx = EVP_MD_CTX_new()) == NULL) {
			st = ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
			goto fail;
		}
	}

	want = cfg->nissuers;
	if (opts->issuers != NULL)
		for (want = 0; opts->issuers[want] != NULL; want++)
			;
	if (want == 0) {
		st = ccauth_error_set(err, CCAUTH_E_CONFIG, "%s: no [issuer] to trust",
		                      cfg->path ? cfg->path : "config");
		goto fail;
	}
	v->iss = calloc(want, sizeof(*v->iss));
	if (v->iss == NULL) {
		st = ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < want; i++) {
		const struct ccauth_issuer_conf *ic;

		if (opts->issuers != NULL) {
			ic = ccauth_config_issuer(cfg, opts->issuers[i]);
			if (ic == NULL) {
				st = ccauth_error_set(err, CCAUTH_E_CONFIG, "no [issuer %s] in the configuration",
				                      opts->issuers[i]);
				goto fail;
			}
		} else {
			ic = &cfg->issuers[i];
		}
		if (already_listed(v, ic))
			continue;
		st = issuer_rt_init(v, &v->iss[v->niss], ic, err);
		if (st != CCAUTH_OK)
			goto fail;
		v->niss++;
	}

	if (opts->cache_entries != SIZE_MAX) {
		v->cache = ccauth_vcache_new(opts->cache_entries ? opts->cache_entries : DEFAULT_CACHE_ENTRIES);
		if (v->cache == NULL) {
			st = ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
			goto fail;
		}
	}
	*out = v;
	return CCAUTH_OK;
fail:
	ccauth_validator_free(v);
	return st;
}

/* ---- validation */

/* 0, or -1 when OpenSSL failed: md is then garbage (maybe a previous token's hash) and unusable. */
static int token_hash(struct ccauth_validator *v, const char *token, size_t len, unsigned char md[32])
{
	/* Threads' pthread_self() values are a stack size apart (low bits all equal): mix them so
	 * that concurrent threads start at different slots instead of all fighting over one. */
	uint64_t t = (uint64_t)(uintptr_t)pthread_self() * UINT64_C(0x9E3779B97F4A7C15);
	size_t start = (size_t)(t >> 60) % HASH_SLOTS;
	unsigned int mdlen;

	for (size_t i = 0; i < HASH_SLOTS; i++) {
		struct hash_slot *s = &v->hash[(start + i) % HASH_SLOTS];

		if (pthread_mutex_trylock(&s->mu) != 0)
			continue;
		if (EVP_DigestInit_ex2(s->ctx, v->sha256, NULL) == 1 && EVP_DigestUpdate(s->ctx, token, len) == 1 &&
		    EVP_DigestFinal_ex(s->ctx, md, &mdlen) == 1) {
			pthread_mutex_unlock(&s->mu);
			return 0;
		}
		pthread_mutex_unlock(&s->mu);
		break;
	}
	return EVP_Digest(token, len, md, &mdlen, v->sha256, NULL) == 1 && mdlen == 32 ? 0 : -1;
}

static struct issuer_rt *route(struct ccauth_validator *v, const char *iss, size_t isslen)
{
	for (size_t i = 0; i < v->niss; i++) {
		const char *s = v->iss[i].ic->issuer;

		if (s != NULL && strlen(s) == isslen && memcmp(s, iss, isslen) == 0)
			return &v->iss[i];
	}
	return NULL;
}

/* Step 7: kid -> exactly that kid (ALGORITHM when it cannot do alg); no kid -> the only key for alg. */
static enum ccauth_status pick_key(const struct ccauth_jwks *set, const struct ccauth_jws *jws,
                                   const struct ccauth_jwk **out, struct ccauth_error *err)
{
	const struct ccauth_jwk *found = NULL;
	int kid_seen = 0;
	size_t usable = 0;

	for (size_t i = 0; i < set->nkeys; i++) {
		const struct ccauth_jwk *k = &set->keys[i];

		if (jws->kid != NULL) {
			if (k->kid == NULL || k->kidlen != jws->kidlen || memcmp(k->kid, jws->kid, jws->kidlen) != 0)
				continue;
			kid_seen = 1;
			if (ccauth_jwk_allows(k, jws->alg)) {
				*out = k;
				return CCAUTH_OK;
			}
		} else if (ccauth_jwk_allows(k, jws->alg)) {
			found = k;
			usable++;
		}
	}
	if (jws->kid != NULL && kid_seen)
		return ccauth_error_set(err, CCAUTH_E_ALGORITHM, "the key named by kid cannot do %s",
		                        ccauth_alg_name(jws->alg));
	if (jws->kid != NULL)
		return ccauth_error_set(err, CCAUTH_E_UNKNOWN_KEY, "no key with this kid");
	if (usable != 1)
		return ccauth_error_set(err, CCAUTH_E_UNKNOWN_KEY, "no kid, and %zu keys can do %s", usable,
		                        ccauth_alg_name(jws->alg));
	*out = found;
	return CCAUTH_OK;
}

static enum ccauth_status verify_jwt(struct ccauth_validator *v, const char *token, size_t len,
                                     const unsigned char md[32], int64_t now, const char *fpr, int *cacheable,
                                     const struct ccauth_identity **out, struct ccauth_error *err)
{
	struct ccauth_jws jws;
	struct ccauth_jwks *keys = NULL;
	const struct ccauth_jwk *key = NULL;
	const struct ccauth_json *iss;
	struct issuer_rt *rt;
	struct ccauth_claimset cs;
	char user[CCAUTH_USER_MAX + 1];
	enum ccauth_status st;

	memset(&jws, 0, sizeof(jws));
	/* 4 */
	st = ccauth_jws_parse(token, len, &jws, err);
	if (st != CCAUTH_OK)
		goto done;
	/* 5: iss picks the registry entry; nothing is trusted yet */
	iss = ccauth_json_get(jws.payload, "iss");
	if (iss == NULL) {
		st = ccauth_error_set(err, CCAUTH_E_ISSUER, "iss is missing");
		goto done;
	}
	if (iss->type != CCAUTH_JSON_STRING) {
		st = ccauth_error_set(err, CCAUTH_E_MALFORMED, "iss is not a string");
		goto done;
	}
	rt = route(v, iss->str, iss->len);
	if (rt == NULL) {
		st = ccauth_error_set(err, CCAUTH_E_ISSUER, "iss matches no trusted issuer");
		goto done;
	}
	/* 6 */
	if (!(rt->ic->algorithms & CCAUTH_ALG_BIT(jws.alg))) {
		st = ccauth_error_set(err, CCAUTH_E_ALGORITHM, "%s is not allowed for [issuer %s]",
		                      ccauth_alg_name(jws.alg), rt->ic->name);
		goto done;
	}
	/* 7: an unknown kid may be a rotation: a remote source gets one forced refresh (issue #3) */
	st = issuer_keys(rt, 0, now, &keys, err);
	if (st != CCAUTH_OK)
		goto done;
	st = pick_key(keys, &jws, &key, err);
	if (st == CCAUTH_E_UNKNOWN_KEY && rt->remote != NULL) {
		ccauth_jwks_unref(keys);
		st = issuer_keys(rt, 1, now, &keys, err);
		if (st == CCAUTH_OK)
			st = pick_key(keys, &jws, &key, err);
	}
	if (st != CCAUTH_OK)
		goto done;
	/* 8 */
	st = ccauth_jws_verify(&jws, keys, key, err);
	if (st != CCAUTH_OK)
		goto done;
	/* 9-14 */
	st = claims_policy(rt->ic, jws.payload, jws.typ, 1, now, v->skew, &cs, err);
	if (st != CCAUTH_OK)
		goto done;
	/* 15 */
	st = ccauth_map_identity(rt->ic, jws.payload, user, err);
	if (st != CCAUTH_OK)
		goto done;
	/* introspect = always: the AS must also call it active (introspect.h); its answer is cached
	 * there for at most introspection_cache, so the identity must not outlive that here */
	if (rt->ic->introspect == CCAUTH_INTROSPECT_ALWAYS) {
		struct ccauth_json_doc *doc = NULL;

		st = ccauth_introspect(v->intro, rt->ic, token, len, md, now, v->skew, &doc, err);
		ccauth_json_free(doc);
		if (st != CCAUTH_OK)
			goto done;
		*cacheable = 0;
	}
	st = ccauth_identity_build(rt->ic->name, iss->str, iss->len, &cs, user, fpr, CCAUTH_VIA_JWT, out, err);
done:
	ccauth_jwks_unref(keys);
	ccauth_jws_clear(&jws);
	return st;
}

/* Step 3: an opaque token goes to the introspecting issuers in file order.  The first that calls
 * it active with its own iss decides (its claims policy and mapping apply); "inactive" or another
 * iss sends it on to the next.  Nobody active: INACTIVE, unless an AS could not be asked (then its
 * error: the token may be active there). */
static enum ccauth_status verify_opaque(struct ccauth_validator *v, const char *token, size_t len,
                                        const unsigned char md[32], int64_t now, const char *fpr,
                                        const struct ccauth_identity **out, struct ccauth_error *err)
{
	struct ccauth_error first = {0};
	enum ccauth_status st, first_st = CCAUTH_OK; /* the first AS that could not be asked */
	size_t asked = 0;

	for (size_t i = 0; i < v->niss; i++) {
		const struct ccauth_issuer_conf *ic = v->iss[i].ic;
		struct ccauth_json_doc *doc = NULL;
		const struct ccauth_json *root, *iss;
		char user[CCAUTH_USER_MAX + 1];
		struct ccauth_error e = {0};
		struct ccauth_claimset cs;

		if (!ccauth_introspect_enabled(ic))
			continue;
		asked++;
		st = ccauth_introspect(v->intro, ic, token, len, md, now, v->skew, &doc, &e);
		if (st == CCAUTH_E_INACTIVE || st == CCAUTH_E_ISSUER)
			continue;
		if (st == CCAUTH_E_NOMEM || ccauth_status_is_rejection(st))
			return ccauth_error_set(err, st, "%s", e.msg);
		if (st != CCAUTH_OK) {
			/* the status decides, never whether e.code was set */
			if (first_st == CCAUTH_OK) {
				first_st = st;
				first = e;
			}
			continue;
		}
		root = ccauth_json_root(doc);
		iss = ccauth_json_get(root, "iss");
		if ((st = claims_policy(ic, root, NULL, 0, now, v->skew, &cs, err)) == CCAUTH_OK &&
		    (st = ccauth_map_identity(ic, root, user, err)) == CCAUTH_OK)
			st = ccauth_identity_build(ic->name, iss != NULL ? iss->str : ic->issuer,
			                    iss != NULL ? iss->len : strlen(ic->issuer), &cs, user, fpr,
			                    CCAUTH_VIA_INTROSPECTION, out, err);
		ccauth_json_free(doc);
		return st;
	}
	if (asked == 0)
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "not a JWT (and no issuer introspects opaque tokens)");
	if (first_st != CCAUTH_OK)
		return ccauth_error_set(err, first_st, "%s", first.msg);
	return ccauth_error_set(err, CCAUTH_E_INACTIVE, "no introspecting issuer calls the token active");
}

enum ccauth_status ccauth_validate(struct ccauth_validator *v, const char *token, size_t len, int64_t now,
                                   const struct ccauth_identity **out, struct ccauth_error *err)
{
	unsigned char md[32];
	char fpr[17];
	enum ccauth_status st;
	int cacheable = 1;

	if (out == NULL)
		return ccauth_error_set(err, CCAUTH_E_INTERNAL, "no result pointer");
	*out = NULL;
	if (v == NULL)
		return ccauth_error_set(err, CCAUTH_E_INTERNAL, "no validator");
	/* 1 */
	if (token == NULL || len == 0)
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "empty token");
	if (len > CCAUTH_TOKEN_MAX)
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "token longer than %d bytes", CCAUTH_TOKEN_MAX);
	if (!ccauth_token_chars_ok(token, len))
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "token contains NUL or whitespace");
	/* 2: one hash serves as cache key and as fingerprint */
	if (token_hash(v, token, len, md) != 0)
		return ccauth_error_set(err, CCAUTH_E_INTERNAL, "cannot hash the token (OpenSSL failure)");
	*out = ccauth_vcache_get(v->cache, md, now);
	if (*out != NULL)
		return CCAUTH_OK;
	ccauth_hex_encode(md, 8, fpr);
	/* 3: opaque tokens go to introspection, never into the validated-token cache (the
	 * introspector keeps answers for at most introspection_cache) */
	if (!ccauth_jws_looks_like_jwt(token, len)) {
		st = verify_opaque(v, token, len, md, now, fpr, out, err);
	} else {
		st = verify_jwt(v, token, len, md, now, fpr, &cacheable, out, err);
		if (st == CCAUTH_OK && cacheable)
			ccauth_vcache_put(v->cache, md, *out);
	}
	if (st == CCAUTH_OK) {
		/* a step that failed before a retry succeeded (an unknown kid, then the refetched keys)
		 * left its text in err: an accepted token carries none */
		ccauth_error_clear(err);
		ccauth_log(&v->log, LOG_DEBUG, "token %s: accepted as %s ([issuer %s])", fpr, (*out)->user,
		           (*out)->issuer_name);
	} else
		ccauth_log(&v->log, LOG_DEBUG, "token %s: rejected: %s", fpr, ccauth_status_reason(st));
	return st;
}
