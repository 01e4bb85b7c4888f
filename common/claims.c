/* The claims policy of an access token (doc/validation.md steps 9-14, and the iss check of step 5
 * that introspection results repeat): claim types first, then strict_rfc9068, token_type, times,
 * audience, scopes and client.  The order of the checks around it is validate.c's. */
#include "autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "claims.h"
#include "config.h"
#include "explain.h"
#include "identity.h"
#include "json.h"
#include "util.h"

#define TIME_MAX INT64_C(253402300799) /* 9999-12-31T23:59:59Z */

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
enum ccauth_status ccauth_claims_policy(const struct ccauth_issuer_conf *ic, const struct ccauth_json *claims,
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
