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

/* The profile's claim lists (config.c fills them); an issuer made by hand gets generic's. */
static const char *const generic_cid[] = {"client_id", "azp"};
static const char *const generic_scope[] = {"scope", "scp"};

struct names {
	const char *const *v;
	size_t n;
};

static struct names names_of(const struct ccauth_strlist *l, const char *const *def, size_t ndef)
{
	struct names r = {def, ndef};

	if (l->n > 0) {
		r.v = (const char *const *)l->v;
		r.n = l->n;
	}
	return r;
}

static struct names cid_names(const struct ccauth_issuer_conf *ic)
{
	return names_of(&ic->client_id_claims, generic_cid, 2);
}

static struct names scope_names(const struct ccauth_issuer_conf *ic)
{
	return names_of(&ic->scope_claims, generic_scope, 2);
}

/* Step 9: types before any policy. */
static enum ccauth_status claim_types(const struct ccauth_issuer_conf *ic, const struct ccauth_json *claims,
                                      struct ccauth_claimset *cs, struct ccauth_error *err)
{
	static const char *const strs[] = {"sub", "client_id", "azp", "jti"};
	const struct ccauth_json **slots[] = {&cs->sub, &cs->client_id, &cs->azp, &cs->jti};
	struct names sn = scope_names(ic), cn = cid_names(ic);
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
	for (size_t i = 0; i < sn.n; i++) {
		const struct ccauth_json *v = ccauth_json_get(claims, sn.v[i]);

		if (v != NULL && v->type != CCAUTH_JSON_STRING && !array_of_strings(v))
			return ccauth_error_set(err, CCAUTH_E_MALFORMED,
			                        "%s is neither a string nor an array of strings", sn.v[i]);
		if (cs->scope == NULL)
			cs->scope = v;
	}
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		*slots[i] = claim_str(claims, strs[i], &bad);
		if (bad)
			return ccauth_error_set(err, CCAUTH_E_MALFORMED, "%s is not a string", strs[i]);
	}
	for (size_t i = 0; i < cn.n; i++) {
		const struct ccauth_json *v = claim_str(claims, cn.v[i], &bad);

		if (bad)
			return ccauth_error_set(err, CCAUTH_E_MALFORMED, "%s is not a string", cn.v[i]);
		if (cs->cid == NULL && v != NULL && v->len > 0)
			cs->cid = v;
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

/* want is in a scope claim: an element of a space-separated string, or of an array */
static int scope_in(const struct ccauth_json *v, const char *want)
{
	if (v->type == CCAUTH_JSON_STRING)
		return scope_has(v->str, v->len, want);
	for (const struct ccauth_json *e = v->child; e != NULL; e = e->next)
		if (json_str_eq(e, want))
			return 1;
	return 0;
}

/* What one check looks at.  verbose (explain) asks for a description of a passed check too. */
struct policy {
	const struct ccauth_issuer_conf *ic;
	const struct ccauth_json *claims;
	const struct ccauth_claimset *cs;
	const char *typ;
	int check_typ; /* 0 for introspection answers: no JWS header */
	int64_t now, skew;
	int verbose;
};

/* Step 10: the RFC 9068 profile */
static enum ccauth_status check_rfc9068(const struct policy *p, struct ccauth_error *err)
{
	const struct ccauth_claimset *cs = p->cs;

	if (!p->ic->strict_rfc9068)
		return p->verbose ? ccauth_error_set(err, CCAUTH_OK, "strict_rfc9068 = no") : CCAUTH_OK;
	if (p->check_typ && !typ_ok(p->typ))
		return ccauth_error_set(err, CCAUTH_E_TYPE, "typ is not at+jwt (strict_rfc9068)");
	if (cs->client_id == NULL)
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "client_id is missing (strict_rfc9068)");
	if (cs->jti == NULL)
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "jti is missing (strict_rfc9068)");
	if (!cs->has_iat)
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "iat is missing (strict_rfc9068)");
	return p->verbose ? ccauth_error_set(err, CCAUTH_OK, "typ at+jwt; client_id, jti, iat present") : CCAUTH_OK;
}

/* Step 10b: token_type = CLAIM VALUE (keycloak typ Bearer, cognito token_use access); JWTs only */
static enum ccauth_status check_token_type(const struct policy *p, struct ccauth_error *err)
{
	const struct ccauth_issuer_conf *ic = p->ic;
	const struct ccauth_json *v;
	char shown[96];

	if (ic->token_type_claim == NULL || !p->check_typ)
		return p->verbose
		           ? ccauth_error_set(err, CCAUTH_OK, "%s",
		                              ic->token_type_claim == NULL ? "token_type not configured"
		                                                           : "not checked in introspection answers")
		           : CCAUTH_OK;
	v = ccauth_json_get(p->claims, ic->token_type_claim);
	if (v != NULL && v->type == CCAUTH_JSON_STRING && json_str_eq(v, ic->token_type_value))
		return p->verbose ? ccauth_error_set(err, CCAUTH_OK, "%.64s \"%.64s\" is %.64s", ic->token_type_claim,
		                                     v->str, ic->token_type_value)
		                  : CCAUTH_OK;
	if (!p->verbose)
		return ccauth_error_set(err, CCAUTH_E_TYPE, "%.64s is not %.64s (token_type)", ic->token_type_claim,
		                        ic->token_type_value);
	ccauth_explain_json(v, shown, sizeof(shown));
	return ccauth_error_set(err, CCAUTH_E_TYPE, "%.64s %s, not %.64s", ic->token_type_claim, shown,
	                        ic->token_type_value);
}

/* Step 11: time; every value is within [0, TIME_MAX] and skew is small, so no overflow */
static enum ccauth_status check_time(const struct policy *p, struct ccauth_error *err)
{
	const struct ccauth_claimset *cs = p->cs;
	int64_t now = p->now, skew = p->skew;

	if (now > cs->exp + skew)
		return ccauth_error_set(err, CCAUTH_E_EXPIRED, "expired %lld s ago", (long long)(now - cs->exp));
	if (cs->has_nbf && cs->nbf > now + skew)
		return ccauth_error_set(err, CCAUTH_E_NOT_YET_VALID, "nbf is %lld s in the future",
		                        (long long)(cs->nbf - now));
	if (cs->has_iat && cs->iat > now + skew)
		return ccauth_error_set(err, CCAUTH_E_NOT_YET_VALID, "iat is %lld s in the future",
		                        (long long)(cs->iat - now));
	if (!p->verbose)
		return CCAUTH_OK;
	return ccauth_error_set(err, CCAUTH_OK, "exp %s %lld s%s, clock_skew %lld s", cs->exp >= now ? "in" : "passed",
	                        (long long)(cs->exp >= now ? cs->exp - now : now - cs->exp),
	                        cs->exp >= now ? "" : " ago (within the skew)", (long long)skew);
}

/* Step 12: aud holds one of the configured audiences */
static enum ccauth_status check_audience(const struct policy *p, struct ccauth_error *err)
{
	const struct ccauth_issuer_conf *ic = p->ic;
	const struct ccauth_json *aud = p->cs->aud, *hit = NULL;
	char shown[160];

	if (ic->audience.n == 0)
		return p->verbose ? ccauth_error_set(err, CCAUTH_OK,
		                                     "audience not configured (allowed_client_ids "
		                                     "restricts this issuer)")
		                  : CCAUTH_OK;
	if (aud != NULL && aud->type == CCAUTH_JSON_STRING)
		hit = list_has(&ic->audience, aud) ? aud : NULL;
	else if (aud != NULL)
		for (const struct ccauth_json *e = aud->child; e != NULL && hit == NULL; e = e->next)
			hit = list_has(&ic->audience, e) ? e : NULL;
	if (!p->verbose)
		return hit != NULL ? CCAUTH_OK
		                   : ccauth_error_set(err, CCAUTH_E_AUDIENCE,
		                                      "aud holds none of the audiences of [issuer %s]", ic->name);
	ccauth_explain_json(aud, shown, sizeof(shown));
	if (hit != NULL)
		return ccauth_error_set(err, CCAUTH_OK, "aud %s holds %.64s", shown, hit->str);
	return ccauth_error_set(err, CCAUTH_E_AUDIENCE, "aud %s lacks %.64s%s", shown, ic->audience.v[0],
	                        ic->audience.n > 1 ? " (and every other audience)" : "");
}

/* Step 13: every required scope is an element of one of the scope claims */
static enum ccauth_status check_scope(const struct policy *p, struct ccauth_error *err)
{
	const struct ccauth_issuer_conf *ic = p->ic;
	struct names sn = scope_names(ic);
	const char *missing = NULL;
	char seen[160] = "", shown[96];
	size_t used = 0;

	for (size_t i = 0; i < ic->required_scope.n && missing == NULL; i++) {
		int found = 0;

		for (size_t k = 0; k < sn.n && !found; k++) {
			const struct ccauth_json *v = ccauth_json_get(p->claims, sn.v[k]);

			found = v != NULL && scope_in(v, ic->required_scope.v[i]);
		}
		if (!found)
			missing = ic->required_scope.v[i];
	}
	if (!p->verbose)
		return missing == NULL ? CCAUTH_OK
		                       : ccauth_error_set(err, CCAUTH_E_SCOPE, "required scope %s is missing", missing);
	if (ic->required_scope.n == 0)
		return ccauth_error_set(err, CCAUTH_OK, "required_scope not configured");
	for (size_t k = 0; k < sn.n && used < sizeof(seen); k++) {
		const struct ccauth_json *v = ccauth_json_get(p->claims, sn.v[k]);
		int n;

		if (v == NULL)
			continue;
		ccauth_explain_json(v, shown, sizeof(shown));
		n = snprintf(seen + used, sizeof(seen) - used, "%s%.32s %s", used > 0 ? ", " : "", sn.v[k], shown);
		used += n > 0 ? (size_t)n : 0;
	}
	if (used == 0)
		snprintf(seen, sizeof(seen), "no %s claim", sn.v[0]);
	if (missing != NULL)
		return ccauth_error_set(err, CCAUTH_E_SCOPE, "%s lacks %.64s", seen, missing);
	return ccauth_error_set(err, CCAUTH_OK, "%s holds %.64s%s", seen, ic->required_scope.v[0],
	                        ic->required_scope.n > 1 ? " and the rest of required_scope" : "");
}

/* Step 14: the client (the first of client_id_claims) is allow-listed */
static enum ccauth_status check_client(const struct policy *p, struct ccauth_error *err)
{
	const struct ccauth_issuer_conf *ic = p->ic;
	const struct ccauth_json *cid = p->cs->cid;

	if (ic->allowed_client_ids.n == 0)
		return p->verbose ? ccauth_error_set(err, CCAUTH_OK, "allowed_client_ids not configured") : CCAUTH_OK;
	if (cid == NULL) {
		struct names cn = cid_names(ic);

		return ccauth_error_set(err, CCAUTH_E_CLIENT, "no %.32s%s%.32s (allowed_client_ids is set)", cn.v[0],
		                        cn.n > 1 ? " or " : "", cn.n > 1 ? cn.v[1] : "");
	}
	if (!list_has(&ic->allowed_client_ids, cid))
		return p->verbose ? ccauth_error_set(err, CCAUTH_E_CLIENT,
		                                     "client \"%.64s\" is not in allowed_client_ids", cid->str)
		                  : ccauth_error_set(err, CCAUTH_E_CLIENT, "client is not in allowed_client_ids");
	return p->verbose ? ccauth_error_set(err, CCAUTH_OK, "client \"%.64s\" is in allowed_client_ids", cid->str)
	                  : CCAUTH_OK;
}

/* Steps 5 (iss, for introspection results) and 9-14, in order.  Without an explainer the first
 * failing check decides; with one, every check after the claim types is reported and the first
 * failure is still the result. */
static enum ccauth_status claims_policy(const struct ccauth_issuer_conf *ic, const struct ccauth_json *claims,
                                        const char *typ, int check_typ, int64_t now, int64_t skew,
                                        struct ccauth_claimset *cs, struct ccauth_explainer *x,
                                        struct ccauth_error *err)
{
	static const struct {
		const char *name;
		enum ccauth_status (*fn)(const struct policy *, struct ccauth_error *);
	} steps[] = {
	    {"rfc9068", check_rfc9068},   {"token_type", check_token_type}, {"time", check_time},
	    {"audience", check_audience}, {"scope", check_scope},           {"client", check_client},
	};
	const struct policy pol = {ic, claims, cs, typ, check_typ, now, skew, x != NULL};
	const struct ccauth_json *iss;
	struct ccauth_error e;
	enum ccauth_status st, first = CCAUTH_OK;

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

	/* 9: types before any policy; nothing after it can be judged when they are wrong */
	st = claim_types(ic, claims, cs, err);
	ccauth_explain_report(x, "types", st,
	                      st == CCAUTH_OK ? "exp, nbf, iat, aud, scope and client claims well typed"
	                      : err != NULL   ? err->msg
	                                      : "");
	if (st != CCAUTH_OK)
		return st;
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		ccauth_error_clear(&e);
		st = steps[i].fn(&pol, x != NULL ? &e : err);
		if (x == NULL) {
			if (st != CCAUTH_OK)
				return st;
			continue;
		}
		ccauth_explain_report(x, steps[i].name, st, e.msg);
		if (st != CCAUTH_OK && first == CCAUTH_OK) {
			first = st;
			ccauth_error_set(err, st, "%s", e.msg);
		}
	}
	return first;
}

enum ccauth_status ccauth_validate_claims(const struct ccauth_issuer_conf *ic, const struct ccauth_json *claims,
                                          const char *typ, int64_t now, int64_t skew, struct ccauth_error *err)
{
	struct ccauth_claimset cs;

	return claims_policy(ic, claims, typ, 1, now, skew, &cs, NULL, err);
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
	struct ccauth_strmap by_iss; /* iss -> index in iss: the registry lookup of step 5 */
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
	for (size_t i = 0; i < HASH_SLOTS; i++) {
		if (v->hash[i].ctx != NULL) {
			EVP_MD_CTX_free(v->hash[i].ctx);
			pthread_mutex_destroy(&v->hash[i].mu);
		}
	}
	EVP_MD_free(v->sha256);
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
	st = claims_policy(rt->ic, jws.payload, jws.typ, 1, now, v->skew, &cs, x, err);
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
		if ((st = claims_policy(ic, root, NULL, 0, now, v->skew, &cs, NULL, err)) == CCAUTH_OK &&
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
	if (token_hash(v, token, len, md) != 0)
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
	else if (token_hash(v, token, len, md) != 0)
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
