/* Token validation: the issuer registry, the keys of each issuer, and the glue that runs the checks
 * in the order of validation-order.md (the first failing check decides the reason); the claims
 * policy (steps 9-14) is claims.c's. */
#include "autoconf.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>


#include "cache.h"
#include "claims.h"
#include "config.h"
#include "deadline.h"
#include "discovery.h"
#include "explain.h"
#include "http.h"
#include "identity.h"
#include "introspect.h"
#include "keys.h"
#include "strmap.h"
#include "util.h"
#include "validate.h"
#include "vcache.h"

#define DEFAULT_CACHE_ENTRIES 4096

enum ccauth_status ccauth_validate_claims(const struct ccauth_issuer_conf *ic, const struct ccauth_json *claims,
                                          const char *typ, int64_t now, int64_t skew, struct ccauth_error *err)
{
	struct ccauth_claimset cs;

	return ccauth_claims_policy(ic, claims, typ, 1, now, skew, &cs, NULL, err);
}

/* ---- the registry */

/* One trusted issuer.  A jwks_file is read when a token first names the issuer, not when the
 * validator is made: a process that validates one token (PAM, ccauth verify) opens one file,
 * whatever the number of issuers.  Once loaded the set never changes; a load that fails is a
 * configuration error of that token's validation and is tried again with the next token. */
struct issuer_rt {
	const struct ccauth_issuer_conf *ic;
	struct ccauth_jwks *keys;   /* jwks_file: NULL until loaded, then set once (atomic, under load_mu) */
	pthread_mutex_t load_mu;    /* jwks_file: one thread loads, the others wait for its set */
	struct ccauth_keys *remote; /* jwks_uri / discovery (keys.h: refresh, single flight, stale keys) */
};

struct ccauth_validator {
	const struct ccauth_config *cfg;
	struct issuer_rt *iss;
	size_t niss;
	struct ccauth_strmap by_iss; /* iss -> index in iss: the registry lookup of step 5 */
	struct ccauth_vcache *cache; /* NULL: disabled */
	struct ccauth_log log;
	int64_t skew;
	/* remote issuers and introspection: made with the first issuer that needs them; no I/O */
	struct ccauth_http *http;
	struct ccauth_cache *dcache;
	struct ccauth_discovery *disc;
	struct ccauth_introspector *intro;
	struct ccauth_keys_env keys_env;
};

/* The jwks_file of rt, loaded now if no thread has yet.  Fails closed: a file that cannot be read,
 * is not trusted (owner, mode) or holds no usable key is a configuration error, never "no key". */
static enum ccauth_status static_keys(const struct ccauth_validator *v, struct issuer_rt *rt,
                                      struct ccauth_jwks **set_out, struct ccauth_error *err)
{
	const struct ccauth_issuer_conf *ic = rt->ic;
	struct ccauth_jwks *set;
	enum ccauth_status st = CCAUTH_OK;
	struct ccauth_error e;

	if ((*set_out = __atomic_load_n(&rt->keys, __ATOMIC_ACQUIRE)) != NULL)
		return CCAUTH_OK;
	pthread_mutex_lock(&rt->load_mu);
	if ((set = rt->keys) == NULL) {
		if ((st = ccauth_jwks_load_file(ic->jwks_file, &v->log, &set, &e)) != CCAUTH_OK)
			st = ccauth_error_set(err, st == CCAUTH_E_NOMEM ? st : CCAUTH_E_CONFIG,
			                      "[issuer %s] jwks_file: %s", ic->name, e.msg);
		else if (set->nkeys == 0)
			st = ccauth_error_set(err, CCAUTH_E_CONFIG, "[issuer %s] jwks_file %s has no usable key",
			                      ic->name, ic->jwks_file);
		if (st == CCAUTH_OK)
			__atomic_store_n(&rt->keys, set, __ATOMIC_RELEASE);
		else
			ccauth_jwks_unref(set);
	}
	pthread_mutex_unlock(&rt->load_mu);
	*set_out = st == CCAUTH_OK ? set : NULL;
	return st;
}

/* A referenced key set for rt (release with ccauth_jwks_unref).  force_refresh asks a remote source
 * to refetch (rate-limited there); a static set ignores it. */
static enum ccauth_status issuer_keys(const struct ccauth_validator *v, struct issuer_rt *rt, int force_refresh,
                                      int64_t now, struct ccauth_jwks **ref_out, struct ccauth_error *err)
{
	struct ccauth_jwks *set;
	enum ccauth_status st;

	*ref_out = NULL;
	if (rt->remote != NULL)
		return ccauth_keys_get(rt->remote, force_refresh, now, ref_out, err);
	if ((st = static_keys(v, rt, &set, err)) != CCAUTH_OK)
		return st;
	*ref_out = ccauth_jwks_ref(set);
	return CCAUTH_OK;
}

static void issuer_rt_clear(struct issuer_rt *rt)
{
	ccauth_keys_free(rt->remote);
	rt->remote = NULL;
	ccauth_jwks_unref(rt->keys);
	rt->keys = NULL;
	pthread_mutex_destroy(&rt->load_mu);
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

	memset(rt, 0, sizeof(*rt));
	rt->ic = ic;
	if (pthread_mutex_init(&rt->load_mu, NULL) != 0)
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	if (ic->issuer == NULL || ic->issuer[0] == '\0')
		st = ccauth_error_set(err, CCAUTH_E_CONFIG, "[issuer %s] has no issuer", ic->name);
	else if (ic->jwks_file == NULL || ccauth_introspect_enabled(ic))
		st = remote_env(v, err);
	else
		st = CCAUTH_OK; /* jwks_file: read when a token first names this issuer (static_keys) */
	if (st == CCAUTH_OK && ic->jwks_file == NULL) /* jwks_uri or discovery: fetched on first use */
		st = ccauth_keys_new(&v->keys_env, ic->name, ic->issuer, ic->jwks_uri, &rt->remote, err);
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
	ccauth_strmap_clear(&v->by_iss);
	ccauth_introspector_free(v->intro);
	ccauth_discovery_free(v->disc);
	ccauth_cache_close(v->dcache);
	ccauth_http_free(v->http);
	ccauth_vcache_free(v->cache);
	free(v);
}

enum ccauth_status ccauth_validator_new(const struct ccauth_config *cfg, const struct ccauth_validator_opts *opts,
                                        struct ccauth_validator **out, struct ccauth_error *err)
{
	const struct ccauth_validator_opts defaults = {0};
	struct ccauth_validator *v;
	enum ccauth_status st;
	size_t want;
	int added;

	*out = NULL;
	if (opts == NULL)
		opts = &defaults;
	if (cfg == NULL)
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "no configuration");
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	v->cfg = cfg;
	v->skew = cfg->clock_skew;
	if (opts->log != NULL)
		v->log = *opts->log;


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
		/* the config has one section per iss: a section named twice (-i a -i a) is listed once */
		if (ic->issuer != NULL &&
		    (added = ccauth_strmap_add(&v->by_iss, ic->issuer, strlen(ic->issuer), v->niss, NULL)) <= 0) {
			if (added == 0)
				continue;
			st = ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
			goto fail;
		}
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
/* exact, byte for byte: one hash lookup, whatever the number of issuers */
static struct issuer_rt *route(struct ccauth_validator *v, const char *iss, size_t isslen)
{
	size_t i;

	return ccauth_strmap_get(&v->by_iss, iss, isslen, &i) ? &v->iss[i] : NULL;
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

/* A failure before the signature is verified: with an explainer, the checks that cannot be made
 * are listed as not checked.  Returns st. */
static enum ccauth_status stop_unverified(struct ccauth_explainer *x, const char *check, enum ccauth_status st,
                                          struct ccauth_error *err)
{
	static const char *const order[] = {"header", "issuer", "algorithm", "key", "signature", "claims", "identity"};
	size_t i = 0;

	if (x == NULL)
		return st;
	ccauth_explain_report(x, check, st, err != NULL ? err->msg : "");
	while (i < sizeof(order) / sizeof(order[0]) && strcmp(order[i], check) != 0)
		i++;
	while (++i < sizeof(order) / sizeof(order[0]))
		ccauth_explain_skip(x, order[i], "not checked: the signature is not verified");
	return st;
}

/* Step 8 again after a signature failure on a remote key: the AS may have put new key material
 * under the old kid (a restart, a botched rotation).  One forced refetch, under the same
 * jwks_min_refresh limit as an unknown kid (keys.c: across threads and processes), then one more
 * check if the set changed.  *keys is replaced by the new set; a forged token costs at most one
 * refetch per jwks_min_refresh, and whatever happens it stays a "signature" rejection unless the
 * new key verifies it. */
static enum ccauth_status verify_rekeyed(struct ccauth_validator *v, struct issuer_rt *rt, const struct ccauth_jws *jws,
                                         int64_t now, struct ccauth_jwks **keys, struct ccauth_error *err)
{
	struct ccauth_jwks *fresh = NULL;
	const struct ccauth_jwk *key = NULL;
	struct ccauth_error ferr = {0};
	enum ccauth_status st = CCAUTH_E_SIGNATURE;

	if (issuer_keys(v, rt, 1, now, &fresh, &ferr) != CCAUTH_OK || fresh == *keys ||
	    pick_key(fresh, jws, &key, &ferr) != CCAUTH_OK) {
		ccauth_jwks_unref(fresh);
		return st; /* err still says why the signature failed */
	}
	ccauth_jwks_unref(*keys);
	*keys = fresh;
	return ccauth_jws_verify(jws, *keys, key, err);
}

static enum ccauth_status verify_jwt(struct ccauth_validator *v, const char *token, size_t len,
                                     const unsigned char md[32], int64_t now, const char *fpr, int *cacheable,
                                     struct ccauth_explainer *x, const struct ccauth_identity **out,
                                     struct ccauth_error *err)
{
	struct ccauth_jws jws;
	struct ccauth_jwks *keys = NULL;
	const struct ccauth_jwk *key = NULL;
	const struct ccauth_json *iss;
	struct issuer_rt *rt;
	struct ccauth_claimset cs;
	char user[CCAUTH_USER_MAX + 1], detail[CCAUTH_USER_MAX + 64];
	enum ccauth_status st;
	int forced = 0;

	memset(&jws, 0, sizeof(jws));
	/* 4 */
	st = ccauth_jws_parse(token, len, &jws, err);
	if (st != CCAUTH_OK) {
		st = stop_unverified(x, "header", st, err);
		goto done;
	}
	if (x != NULL) {
		/* the header is all an unverified token may show */
		ccauth_explain_json(jws.header, detail, sizeof(detail));
		ccauth_explain_report(x, "header", CCAUTH_OK, detail);
	}
	/* 5: iss picks the registry entry; nothing is trusted yet */
	iss = ccauth_json_get(jws.payload, "iss");
	if (iss == NULL) {
		st = stop_unverified(x, "issuer", ccauth_error_set(err, CCAUTH_E_ISSUER, "iss is missing"), err);
		goto done;
	}
	if (iss->type != CCAUTH_JSON_STRING) {
		st =
		    stop_unverified(x, "issuer", ccauth_error_set(err, CCAUTH_E_MALFORMED, "iss is not a string"), err);
		goto done;
	}
	rt = route(v, iss->str, iss->len);
	if (rt == NULL) {
		st = ccauth_error_set(err, CCAUTH_E_ISSUER, "iss matches no trusted issuer");
		if (x != NULL)
			ccauth_error_set(err, st,
			                 "iss matches no trusted [issuer] (its value stays unshown: "
			                 "no key can verify it)");
		st = stop_unverified(x, "issuer", st, err);
		goto done;
	}
	if (x != NULL) {
		snprintf(detail, sizeof(detail), "iss selects [issuer %.64s]", rt->ic->name);
		ccauth_explain_report(x, "issuer", CCAUTH_OK, detail);
	}
	/* 6 */
	if (!(rt->ic->algorithms & CCAUTH_ALG_BIT(jws.alg))) {
		st = stop_unverified(x, "algorithm",
		                     ccauth_error_set(err, CCAUTH_E_ALGORITHM, "%s is not allowed for [issuer %s]",
		                                      ccauth_alg_name(jws.alg), rt->ic->name),
		                     err);
		goto done;
	}
	if (x != NULL) {
		snprintf(detail, sizeof(detail), "%s is allowed for [issuer %.64s]", ccauth_alg_name(jws.alg),
		         rt->ic->name);
		ccauth_explain_report(x, "algorithm", CCAUTH_OK, detail);
	}
	/* 7: an unknown kid may be a rotation: a remote source gets one forced refresh (issue #3) */
	st = issuer_keys(v, rt, 0, now, &keys, err);
	if (st == CCAUTH_OK)
		st = pick_key(keys, &jws, &key, err);
	if (st == CCAUTH_E_UNKNOWN_KEY && rt->remote != NULL) {
		ccauth_jwks_unref(keys);
		forced = 1;
		st = issuer_keys(v, rt, 1, now, &keys, err);
		if (st == CCAUTH_OK)
			st = pick_key(keys, &jws, &key, err);
	}
	if (st != CCAUTH_OK) {
		st = stop_unverified(x, "key", st, err);
		goto done;
	}
	if (x != NULL) {
		snprintf(detail, sizeof(detail), "%s%.*s%s, one of %zu keys",
		         jws.kid != NULL ? "kid \"" : "the only key",
		         jws.kid != NULL ? (int)(jws.kidlen > 64 ? 64 : jws.kidlen) : 0, jws.kid != NULL ? jws.kid : "",
		         jws.kid != NULL ? "\"" : " for the algorithm", keys->nkeys);
		ccauth_explain_report(x, "key", CCAUTH_OK, detail);
	}
	/* 8 */
	st = ccauth_jws_verify(&jws, keys, key, err);
	if (st == CCAUTH_E_SIGNATURE && rt->remote != NULL && !forced)
		st = verify_rekeyed(v, rt, &jws, now, &keys, err);
	if (st != CCAUTH_OK) {
		st = stop_unverified(x, "signature", st, err);
		goto done;
	}
	ccauth_explain_report(x, "signature", CCAUTH_OK, "verified: the claims below can be shown");
	/* 9-14 */
	st = ccauth_claims_policy(rt->ic, jws.payload, jws.typ, 1, now, v->skew, &cs, x, err);
	/* explaining goes on to the identity, unless the claims could not even be read */
	if (st != CCAUTH_OK && (x == NULL || st == CCAUTH_E_MALFORMED || st == CCAUTH_E_ISSUER))
		goto done;
	/* 15 */
	{
		struct ccauth_error e;
		enum ccauth_status ist = ccauth_map_identity(rt->ic, jws.payload, user, x != NULL ? &e : err);

		if (x != NULL) {
			if (ist == CCAUTH_OK)
				snprintf(detail, sizeof(detail), "user %s", user);
			ccauth_explain_report(x, "identity", ist, ist == CCAUTH_OK ? detail : e.msg);
			if (ist != CCAUTH_OK && st == CCAUTH_OK)
				st = ccauth_error_set(err, ist, "%s", e.msg);
		} else {
			st = ist;
		}
	}
	if (st != CCAUTH_OK)
		goto done;
	/* introspect = always: the AS must also call it active (introspect.h); its answer is cached
	 * there for at most introspection_cache, so the identity must not outlive that here */
	if (rt->ic->introspect == CCAUTH_INTROSPECT_ALWAYS) {
		struct ccauth_json_doc *doc = NULL;

		st = ccauth_introspect(v->intro, rt->ic, token, len, md, now, v->skew, &doc, err);
		ccauth_json_free(doc);
		ccauth_explain_report(x, "introspection", st,
		                      st == CCAUTH_OK ? "the AS calls it active"
		                      : err != NULL   ? err->msg
		                                      : "");
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
		if ((st = ccauth_claims_policy(ic, root, NULL, 0, now, v->skew, &cs, NULL, err)) == CCAUTH_OK &&
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

static enum ccauth_status validate(struct ccauth_validator *v, const char *token, size_t len, unsigned scan,
                                   int64_t now, const struct ccauth_identity **out, struct ccauth_error *err);

enum ccauth_status ccauth_validate(struct ccauth_validator *v, const char *token, size_t len, int64_t now,
                                   const struct ccauth_identity **out, struct ccauth_error *err)
{
	return ccauth_validate_scanned(v, token, len, 0, now, out, err);
}

enum ccauth_status ccauth_validate_scanned(struct ccauth_validator *v, const char *token, size_t len, unsigned scan,
                                           int64_t now, const struct ccauth_identity **out, struct ccauth_error *err)
{
	enum ccauth_status st;
	int64_t dl;

	if (out == NULL)
		return ccauth_error_set(err, CCAUTH_E_INTERNAL, "no result pointer");
	*out = NULL;
	if (v == NULL)
		return ccauth_error_set(err, CCAUTH_E_INTERNAL, "no validator");
	dl = ccauth_deadline_begin(v->cfg->timeout);
	st = validate(v, token, len, scan, now, out, err);
	ccauth_deadline_end(dl);
	return st;
}

/* ccauth_validate_scanned within its deadline (deadline.h). */
static enum ccauth_status validate(struct ccauth_validator *v, const char *token, size_t len, unsigned scan,
                                   int64_t now, const struct ccauth_identity **out, struct ccauth_error *err)
{
	int jwt;
	unsigned char md[32];
	char fpr[17];
	enum ccauth_status st;
	int cacheable = 1;

	/* 1 */
	if (token == NULL || len == 0)
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "empty token");
	if (len > CCAUTH_TOKEN_MAX)
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "token longer than %d bytes", CCAUTH_TOKEN_MAX);
	if (!(scan & CCAUTH_TOKEN_SCAN_CHARS) && !ccauth_token_chars_ok(token, len))
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "token contains NUL or whitespace");
	/* 2: one hash serves as cache key and as fingerprint */
	if (ccauth_sha256(token, len, md) != 0)
		return ccauth_error_set(err, CCAUTH_E_INTERNAL, "cannot hash the token (OpenSSL failure)");
	*out = ccauth_vcache_get(v->cache, md, now);
	if (*out != NULL)
		return CCAUTH_OK;
	ccauth_hex_encode(md, 8, fpr);
	/* 3: opaque tokens go to introspection, never into the validated-token cache (the
	 * introspector keeps answers for at most introspection_cache) */
	if (!(scan & CCAUTH_TOKEN_SCAN_CHARS))
		jwt = ccauth_jws_looks_like_jwt(token, len);
	else
		jwt = (scan & CCAUTH_TOKEN_SCAN_JWT_CHARS) && ccauth_jws_looks_like_jwt_scanned(token, len);
	if (!jwt) {
		st = verify_opaque(v, token, len, md, now, fpr, out, err);
	} else {
		st = verify_jwt(v, token, len, md, now, fpr, &cacheable, NULL, out, err);
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

static enum ccauth_status explain(struct ccauth_validator *v, const char *token, size_t len, int64_t now,
                                  struct ccauth_explainer *xp, const struct ccauth_identity **out,
                                  struct ccauth_error *err);

enum ccauth_status ccauth_validate_explain(struct ccauth_validator *v, const char *token, size_t len, int64_t now,
                                           ccauth_explain_fn fn, void *ctx, const struct ccauth_identity **out,
                                           struct ccauth_error *err)
{
	struct ccauth_explainer x = {fn, ctx, CCAUTH_OK};
	enum ccauth_status st;
	int64_t dl;

	*out = NULL;
	if (v == NULL || fn == NULL)
		return ccauth_error_set(err, CCAUTH_E_INTERNAL, "no validator or no explain callback");
	dl = ccauth_deadline_begin(v->cfg->timeout);
	st = explain(v, token, len, now, &x, out, err);
	ccauth_deadline_end(dl);
	return st;
}

/* ccauth_validate_explain within its deadline (deadline.h). */
static enum ccauth_status explain(struct ccauth_validator *v, const char *token, size_t len, int64_t now,
                                  struct ccauth_explainer *xp, const struct ccauth_identity **out,
                                  struct ccauth_error *err)
{
	struct ccauth_explainer x = *xp;
	unsigned char md[32];
	char fpr[17], detail[64];
	enum ccauth_status st;
	int cacheable = 0;

	/* 1: the same checks as ccauth_validate */
	if (token == NULL || len == 0)
		st = ccauth_error_set(err, CCAUTH_E_MALFORMED, "empty token");
	else if (len > CCAUTH_TOKEN_MAX)
		st = ccauth_error_set(err, CCAUTH_E_MALFORMED, "token longer than %d bytes", CCAUTH_TOKEN_MAX);
	else if (!ccauth_token_chars_ok(token, len))
		st = ccauth_error_set(err, CCAUTH_E_MALFORMED, "token contains NUL or whitespace");
	else if (ccauth_sha256(token, len, md) != 0)
		return ccauth_error_set(err, CCAUTH_E_INTERNAL, "cannot hash the token (OpenSSL failure)");
	else
		st = CCAUTH_OK;
	if (st != CCAUTH_OK)
		return stop_unverified(&x, "token", st, err);
	ccauth_hex_encode(md, 8, fpr);
	snprintf(detail, sizeof(detail), "%zu bytes, fingerprint %s, %s", len, fpr,
	         ccauth_jws_looks_like_jwt(token, len) ? "a JWT" : "opaque");
	ccauth_explain_report(&x, "token", CCAUTH_OK, detail);
	/* 2 (the validated-token cache) is skipped: every check runs */
	if (!ccauth_jws_looks_like_jwt(token, len)) {
		st = verify_opaque(v, token, len, md, now, fpr, out, err);
		ccauth_explain_report(&x, "introspection", st,
		                      st == CCAUTH_OK ? "active at its issuer; its claims passed"
		                      : err != NULL   ? err->msg
		                                      : "");
		return st;
	}
	st = verify_jwt(v, token, len, md, now, fpr, &cacheable, &x, out, err);
	if (st == CCAUTH_OK && x.first != CCAUTH_OK) /* never: a failed check fails the token */
		st = ccauth_error_set(err, x.first, "a check failed");
	if (st != CCAUTH_OK) {
		ccauth_identity_release(*out);
		*out = NULL;
	}
	return st;
}
