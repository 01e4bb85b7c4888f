/* RFC 7662 introspection: request, answer checks, answer cache.  See introspect.h. */
#include "autoconf.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "b64url.h"
#include "client_auth.h"
#include "config.h"
#include "introspect.h"
#include "sbuf.h"
#include "token_response.h"
#include "util.h"

#define TIME_MAX INT64_C(253402300799)
#define HINT     "&token_type_hint=access_token"

struct slot {
	unsigned char md[32];
	const struct ccauth_issuer_conf *ic; /* NULL: empty */
	int64_t until;
	enum ccauth_status st; /* CCAUTH_OK: body holds the active answer; else the cached rejection */
	char *body;
	size_t len;
};

struct ccauth_introspector {
	const struct ccauth_config *cfg;
	struct ccauth_http *http;
	struct ccauth_discovery *disc;
	const struct ccauth_log *log;
	pthread_mutex_t mu;
	struct slot slots[CCAUTH_INTROSPECT_SLOTS];
};

int ccauth_introspect_enabled(const struct ccauth_issuer_conf *ic)
{
	return ic != NULL && ic->introspect != CCAUTH_INTROSPECT_NEVER && ic->introspection_client != NULL;
}

int64_t ccauth_introspect_cache_until(int64_t now, int64_t exp, int cache_secs)
{
	int64_t until = now + (cache_secs > 0 ? cache_secs : 0);

	if (exp < until)
		until = exp;
	return until < now ? now : until;
}

enum ccauth_status ccauth_introspect_parse(const struct ccauth_issuer_conf *ic, const char *body, size_t len,
                                           int64_t now, int64_t skew, struct ccauth_json_doc **doc, int64_t *exp,
                                           struct ccauth_error *err)
{
	const struct ccauth_json *root, *active, *iss, *e;
	struct ccauth_error jerr;
	enum ccauth_status st;

	*doc = NULL;
	st = ccauth_json_parse(body, len, CCAUTH_HTTP_MAX_BODY, CCAUTH_JSON_MAX_DEPTH, doc, &jerr);
	if (st == CCAUTH_E_NOMEM)
		return ccauth_error_set(err, st, "out of memory");
	if (st != CCAUTH_OK)
		return ccauth_error_set(err, CCAUTH_E_UNAVAILABLE, "introspection answer: %s", jerr.msg);
	root = ccauth_json_root(*doc);
	if (root->type != CCAUTH_JSON_OBJECT) {
		st = ccauth_error_set(err, CCAUTH_E_UNAVAILABLE, "introspection answer is not a JSON object");
		goto fail;
	}
	active = ccauth_json_get(root, "active");
	if (active == NULL || (active->type != CCAUTH_JSON_TRUE && active->type != CCAUTH_JSON_FALSE)) {
		st = ccauth_error_set(err, CCAUTH_E_INACTIVE, "introspection: active is %s, not a JSON boolean",
		                      active == NULL ? "missing" : "present");
		goto fail;
	}
	if (active->type != CCAUTH_JSON_TRUE) {
		st = ccauth_error_set(err, CCAUTH_E_INACTIVE, "introspection: [issuer %s] says the token is not active",
		                      ic->name);
		goto fail;
	}
	iss = ccauth_json_get(root, "iss");
	if (iss != NULL && iss->type != CCAUTH_JSON_STRING) {
		st = ccauth_error_set(err, CCAUTH_E_MALFORMED, "introspection: iss is not a string");
		goto fail;
	}
	if (iss != NULL &&
	    (ic->issuer == NULL || strlen(ic->issuer) != iss->len || memcmp(ic->issuer, iss->str, iss->len) != 0)) {
		st = ccauth_error_set(err, CCAUTH_E_ISSUER, "introspection: iss does not match [issuer %s]", ic->name);
		goto fail;
	}
	e = ccauth_json_get(root, "exp");
	if (e == NULL) {
		st = ccauth_error_set(err, CCAUTH_E_MALFORMED, "introspection: exp is missing");
		goto fail;
	}
	if (e->type != CCAUTH_JSON_NUMBER || !e->is_int || e->i < 0 || e->i > TIME_MAX) {
		st = ccauth_error_set(err, CCAUTH_E_MALFORMED, "introspection: exp is not an integer in range");
		goto fail;
	}
	if (now > e->i + skew) {
		st = ccauth_error_set(err, CCAUTH_E_EXPIRED, "expired %lld s ago", (long long)(now - e->i));
		goto fail;
	}
	*exp = e->i;
	return CCAUTH_OK;
fail:
	ccauth_json_free(*doc);
	*doc = NULL;
	return st;
}

enum ccauth_status ccauth_introspector_new(const struct ccauth_config *cfg, struct ccauth_http *http,
                                           struct ccauth_discovery *disc, const struct ccauth_log *log,
                                           struct ccauth_introspector **out, struct ccauth_error *err)
{
	struct ccauth_introspector *in;

	*out = NULL;
	if (cfg == NULL || http == NULL)
		return ccauth_error_set(err, CCAUTH_E_INTERNAL, "introspection: missing argument");
	in = calloc(1, sizeof(*in));
	if (in == NULL)
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	if (pthread_mutex_init(&in->mu, NULL) != 0) {
		free(in);
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "cannot create a lock");
	}
	in->cfg = cfg;
	in->http = http;
	in->disc = disc;
	in->log = log;
	*out = in;
	return CCAUTH_OK;
}

static void slot_clear(struct slot *s)
{
	if (s->body != NULL)
		ccauth_free_secret(s->body, s->len + 1);
	memset(s, 0, sizeof(*s));
}

void ccauth_introspector_free(struct ccauth_introspector *in)
{
	if (in == NULL)
		return;
	for (size_t i = 0; i < CCAUTH_INTROSPECT_SLOTS; i++)
		slot_clear(&in->slots[i]);
	pthread_mutex_destroy(&in->mu);
	free(in);
}

static struct slot *slot_for(struct ccauth_introspector *in, const struct ccauth_issuer_conf *ic,
                             const unsigned char md[32])
{
	size_t h = ((size_t)md[0] | (size_t)md[1] << 8) ^ (size_t)((uintptr_t)ic >> 4);

	return &in->slots[h % CCAUTH_INTROSPECT_SLOTS];
}

/* Under in->mu. */
static int slot_hit(const struct slot *s, const struct ccauth_issuer_conf *ic, const unsigned char md[32], int64_t now)
{
	return s->ic == ic && memcmp(s->md, md, 32) == 0 && now < s->until;
}

/* Remember an answer (body only for an active one). */
static void remember(struct ccauth_introspector *in, const struct ccauth_issuer_conf *ic, const unsigned char md[32],
                     enum ccauth_status st, const char *body, size_t len, int64_t until)
{
	char *copy = NULL;
	struct slot *s;

	if (body != NULL && (copy = malloc(len + 1)) == NULL)
		return;
	if (copy != NULL) {
		memcpy(copy, body, len);
		copy[len] = '\0';
	}
	pthread_mutex_lock(&in->mu);
	s = slot_for(in, ic, md);
	slot_clear(s);
	memcpy(s->md, md, 32);
	s->ic = ic;
	s->until = until;
	s->st = st;
	s->body = copy;
	s->len = copy != NULL ? len : 0;
	pthread_mutex_unlock(&in->mu);
}

/* A cached answer: 1 with *st set (and *body a copy when active), 0 on a miss. */
static int recall(struct ccauth_introspector *in, const struct ccauth_issuer_conf *ic, const unsigned char md[32],
                  int64_t now, enum ccauth_status *st, char **body, size_t *len)
{
	struct slot *s;
	int hit = 0;

	*body = NULL;
	pthread_mutex_lock(&in->mu);
	s = slot_for(in, ic, md);
	if (slot_hit(s, ic, md, now)) {
		hit = 1;
		*st = s->st;
		if (s->body != NULL && (*body = malloc(s->len + 1)) != NULL) {
			memcpy(*body, s->body, s->len + 1);
			*len = s->len;
		} else if (s->body != NULL) {
			hit = 0;
		}
	}
	pthread_mutex_unlock(&in->mu);
	return hit;
}

static enum ccauth_status endpoint_of(struct ccauth_introspector *in, const struct ccauth_issuer_conf *ic, char **out,
                                      struct ccauth_error *err)
{
	enum ccauth_status st;

	*out = NULL;
	if (ic->introspection_endpoint == NULL && in->disc == NULL)
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "[issuer %s] has no introspection_endpoint", ic->name);
	st = ccauth_discovery_endpoint(in->disc, ic->issuer, ic->introspection_endpoint, CCAUTH_ENDPOINT_INTROSPECTION,
	                               out, err);
	if (st == CCAUTH_OK && *out == NULL)
		return ccauth_error_set(err, CCAUTH_E_CONFIG,
		                        "[issuer %s]: no introspection_endpoint, configured or in the metadata",
		                        ic->name);
	return st;
}

/* token=<token>&token_type_hint=access_token[&<client authentication>]; wipe with len + 1 */
static char *request_body(const char *token, size_t len, const struct ccauth_client_auth *auth, size_t *outlen)
{
	char *enc = malloc(7), *form;
	size_t enclen = 6, n;

	if (enc == NULL)
		return NULL;
	memcpy(enc, "token=", 7);
	if (ccauth_form_append(&enc, &enclen, token, len) != 0)
		return NULL;
	n = enclen + sizeof(HINT) - 1 + (auth->formlen > 0 ? auth->formlen + 1 : 0);
	if ((form = malloc(n + 1)) != NULL) {
		memcpy(form, enc, enclen);
		memcpy(form + enclen, HINT, sizeof(HINT) - 1);
		if (auth->formlen > 0) {
			form[enclen + sizeof(HINT) - 1] = '&';
			memcpy(form + enclen + sizeof(HINT), auth->form, auth->formlen);
		}
		form[n] = '\0';
		*outlen = n;
	}
	ccauth_free_secret(enc, enclen + 1);
	return form;
}

#define AVOID_FORM_MAX 4

/* The secret values among the client authentication parameters (a=b&c=d: client_secret,
 * client_assertion) into out[AVOID_FORM_MAX]; client_id is public and may be short. */
static size_t form_values(const char *form, size_t len, struct ccauth_avoid *out)
{
	size_t n = 0, i = 0;

	while (form != NULL && i < len && n < AVOID_FORM_MAX) {
		const char *amp = memchr(form + i, '&', len - i), *eq;
		size_t end = amp != NULL ? (size_t)(amp - form) : len;

		eq = memchr(form + i, '=', end - i);
		if (eq != NULL && (size_t)(eq + 1 - form) < end &&
		    (((size_t)(eq - form) - i == 13 && memcmp(form + i, "client_secret", 13) == 0) ||
		     ((size_t)(eq - form) - i == 16 && memcmp(form + i, "client_assertion", 16) == 0))) {
			out[n].p = eq + 1;
			out[n].len = end - (size_t)(eq + 1 - form);
			n++;
		}
		i = end + 1;
	}
	return n;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Percent-decode (s, n) into out (n bytes suffice; out may be s); the decoded length. */
static size_t pct_decode(const char *s, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int hi = -1, lo = -1;

		if (s[i] == '%' && n - i > 2 && (hi = hexval(s[i + 1])) >= 0 && (lo = hexval(s[i + 2])) >= 0) {
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	return o;
}

/* The secrets as the AS decodes them (and may quote them): avoid[first..n) (form values)
 * percent-decoded, and the secret inside the Basic credentials (base64 of urlencode(client_id) ":"
 * urlencode(secret)).  dec (cap bytes) holds formlen + strlen(authorization) bytes.  The new count. */
static size_t decoded_secrets(const struct ccauth_client_auth *auth, struct ccauth_avoid *avoid, size_t first, size_t n,
                              char *dec, size_t cap)
{
	size_t used = 0, end = n;

	for (size_t i = first; i < end; i++) {
		avoid[n].p = dec + used;
		avoid[n].len = pct_decode(avoid[i].p, avoid[i].len, dec + used);
		used += avoid[n++].len;
	}
	if (auth->authorization != NULL) {
		const char *b64 = auth->authorization + 6; /* after "Basic " */
		size_t blen = strlen(b64), dlen = 0;
		char *colon;

		if (ccauth_b64std_decode(b64, blen, (unsigned char *)dec + used, cap - used, &dlen) == 0 &&
		    (colon = memchr(dec + used, ':', dlen)) != NULL) {
			avoid[n].p = colon + 1;
			avoid[n].len = pct_decode(colon + 1, dlen - (size_t)(colon + 1 - (dec + used)), colon + 1);
			n++;
		}
	}
	return n;
}

/* One request; CCAUTH_OK with the body in resp. */
static enum ccauth_status ask(struct ccauth_introspector *in, const struct ccauth_issuer_conf *ic, const char *token,
                              size_t len, int64_t now, struct ccauth_http_response *resp, struct ccauth_error *err)
{
	const struct ccauth_client_conf *client = ccauth_config_client(in->cfg, ic->introspection_client);
	struct ccauth_client_auth auth = {0};
	char *endpoint = NULL, *form = NULL;
	size_t formlen = 0;
	enum ccauth_status st;

	if (client == NULL)
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "[issuer %s]: introspection_client names no [client]",
		                        ic->name);
	if ((st = endpoint_of(in, ic, &endpoint, err)) != CCAUTH_OK)
		return st;
	if ((st = ccauth_token_client_auth(client, endpoint, now, &auth, err)) != CCAUTH_OK)
		goto out;
	if ((form = request_body(token, len, &auth, &formlen)) == NULL) {
		st = ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
		goto out;
	}
	st = ccauth_http_post_form(in->http, endpoint, form, formlen, &auth.cred, resp, err);
	if (st == CCAUTH_E_DENIED) {
		struct ccauth_avoid avoid[3 + 2 * AVOID_FORM_MAX + 1];
		struct ccauth_error derr;
		size_t navoid, declen = auth.formlen + (auth.authorization != NULL ? strlen(auth.authorization) : 0);
		char *dec = malloc(declen + 1);

		/* the AS may quote what we sent: the token raw and as it travelled (form-encoded, after
		 * "token=" up to the next '&'), our Basic credentials, our form values */
		avoid[0].p = token;
		avoid[0].len = len;
		avoid[1].p = form + 6;
		avoid[1].len = strcspn(form + 6, "&");
		avoid[2].p = auth.authorization != NULL ? auth.authorization + 6 : NULL; /* after "Basic " */
		avoid[2].len = auth.authorization != NULL ? strlen(auth.authorization + 6) : 0;
		navoid = 3 + form_values(auth.form, auth.formlen, avoid + 3);
		/* ... and our secrets as the AS decoded them */
		if (dec != NULL)
			navoid = decoded_secrets(&auth, avoid, 3, navoid, dec, declen);
		/* The AS refused the request (RFC 7662 §2.3: 401 for our credentials, some answer 400
		 * or 403): a definite "no", reason denied, never "unavailable" -- a stack with
		 * [authinfo_unavail=ignore] would otherwise let the next module decide. */
		if (dec == NULL)
			st = ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
		else if ((st = ccauth_token_parse_error_avoiding(resp->status, resp->body, resp->len, avoid, navoid,
		                                                 &derr)) == CCAUTH_E_DENIED)
			st = ccauth_error_set(err, CCAUTH_E_DENIED, "introspection at %s as [client %s]: %s",
			                      resp->host, client->name, derr.msg);
		else
			st = ccauth_error_set(err, st, "%s", derr.msg);
		if (dec != NULL)
			ccauth_free_secret(dec, declen + 1);
	}
out:
	if (form != NULL)
		ccauth_free_secret(form, formlen + 1);
	ccauth_client_auth_clear(&auth);
	free(endpoint);
	return st;
}

enum ccauth_status ccauth_introspect(struct ccauth_introspector *in, const struct ccauth_issuer_conf *ic,
                                     const char *token, size_t len, const unsigned char md[32], int64_t now,
                                     int64_t skew, struct ccauth_json_doc **doc, struct ccauth_error *err)
{
	struct ccauth_http_response resp = {0};
	enum ccauth_status st, cst;
	char *body = NULL;
	size_t blen = 0;
	int64_t exp = 0;

	*doc = NULL;
	if (in == NULL || !ccauth_introspect_enabled(ic))
		return ccauth_error_set(err, CCAUTH_E_INTERNAL, "introspection is not enabled for this issuer");
	if (recall(in, ic, md, now, &cst, &body, &blen)) {
		if (cst != CCAUTH_OK)
			return ccauth_error_set(
			    err, cst, "introspection: [issuer %s] rejected the token (cached answer)", ic->name);
		st = ccauth_introspect_parse(ic, body, blen, now, skew, doc, &exp, err);
		ccauth_free_secret(body, blen + 1);
		return st;
	}
	st = ask(in, ic, token, len, now, &resp, err);
	if (st == CCAUTH_OK) {
		st = ccauth_introspect_parse(ic, resp.body, resp.len, now, skew, doc, &exp, err);
		if (st == CCAUTH_OK)
			remember(in, ic, md, st, resp.body, resp.len,
			         ccauth_introspect_cache_until(now, exp, in->cfg->introspection_cache));
		else if (ccauth_status_is_rejection(st))
			remember(in, ic, md, st, NULL, 0, now + CCAUTH_INTROSPECT_NEG_TTL);
		ccauth_log(in->log, LOG_DEBUG, "introspection at %s for [issuer %s]: %s", resp.host, ic->name,
		           ccauth_status_reason(st));
	}
	ccauth_http_response_free(&resp);
	return st;
}
