/* token: the client-credentials grant (one request, see fetch) and the per-context memory cache
 * in front of the disk cache, with one fetch per key at a time; see token.h. */
#include "autoconf.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "assertion.h"
#include "client_auth.h"
#include "config.h"
#include "credfile.h"
#include "deadline.h"
#include "sbuf.h"
#include "token.h"
#include "token_cache.h"
#include "token_response.h"
#include "util.h"

#define MEM_MAX 64 /* tokens remembered in memory per context */

struct mem_entry {
	char keyhex[CCAUTH_CACHE_KEYHEX + 1];
	struct ccauth_token *tok; /* NULL: nothing cached */
	int fetching;             /* a thread is getting a new token for this key */
	int waiters;
	unsigned gen; /* bumped by invalidate: a fetch that began before it is not cached */
	struct mem_entry *next;
};

struct ccauth_tokens {
	const struct ccauth_config *cfg;
	const struct ccauth_log *log;
	struct ccauth_http *http;
	struct ccauth_discovery *disc;
	struct ccauth_cache *cache;
	int own_http, own_disc, own_cache;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct mem_entry *mem;
	size_t nmem;
};

static struct ccauth_token *token_copy(const struct ccauth_token *src, int from)
{
	struct ccauth_token *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	*t = *src;
	t->access_token = ccauth_strndup_checked(src->access_token, src->len);
	t->scope = src->scope != NULL ? strdup(src->scope) : NULL;
	t->from = from;
	if (t->access_token == NULL || (src->scope != NULL && t->scope == NULL)) {
		ccauth_token_free(t);
		return NULL;
	}
	return t;
}

static uint32_t random_u32(void)
{
	unsigned char b[4];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return 0; /* no jitter rather than no token */
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* ---- the request ---- */

static enum ccauth_status fetch(struct ccauth_tokens *t, const struct ccauth_client_conf *client, const char *endpoint,
                                const char *xsecret, size_t xsecretlen, int64_t now, struct ccauth_token **out,
                                struct ccauth_error *err)
{
	struct ccauth_http_cred cred = {0};
	struct ccauth_http_response resp = {0};
	char *secret = NULL, *auth = NULL, *assertion = NULL, *subject = NULL, *form = NULL, fpr[CCAUTH_FPR_HEXLEN + 1];
	const char *sec = xsecret;
	size_t secretlen = xsecretlen, formlen = 0;
	EVP_PKEY *pkey = NULL;
	enum ccauth_status st = CCAUTH_OK;

	*out = NULL;
	/* read afresh for this request only: the platform rewrites the file before it expires */
	if (client->grant == CCAUTH_GRANT_TOKEN_EXCHANGE &&
	    (st = ccauth_assertion_read_file("subject_token_file", client->subject_token_file, now, &subject, NULL,
	                                     err)) != CCAUTH_OK)
		goto out;
	switch (client->auth_method) {
	case CCAUTH_AUTH_CLIENT_SECRET_BASIC:
	case CCAUTH_AUTH_CLIENT_SECRET_POST:
		if (sec == NULL) {
			if ((st = ccauth_client_read_secret(client->client_secret_file, &secret, &secretlen, err)) !=
			    CCAUTH_OK)
				goto out;
			sec = secret;
		} else if (secretlen == 0 || secretlen > CCAUTH_TOKEN_SECRET_MAX) {
			st = ccauth_error_set(err, CCAUTH_E_CONFIG, "client secret empty or longer than %d bytes",
			                      CCAUTH_TOKEN_SECRET_MAX);
			goto out;
		}
		if (client->auth_method == CCAUTH_AUTH_CLIENT_SECRET_BASIC) {
			if ((st = ccauth_token_basic_auth(client->client_id, sec, secretlen, &auth, err)) != CCAUTH_OK)
				goto out;
			cred.authorization = auth;
			st = ccauth_token_form_ex(client, NULL, 0, NULL, subject, &form, &formlen, err);
		} else {
			st = ccauth_token_form_ex(client, sec, secretlen, NULL, subject, &form, &formlen, err);
		}
		break;
	case CCAUTH_AUTH_PRIVATE_KEY_JWT:
		if ((st = ccauth_client_load_private_key(client->private_key_file, &pkey, err)) != CCAUTH_OK ||
		    (st = ccauth_token_assertion(client, endpoint, pkey, now, &assertion, err)) != CCAUTH_OK)
			goto out;
		st = ccauth_token_form_ex(client, NULL, 0, assertion, subject, &form, &formlen, err);
		break;
	case CCAUTH_AUTH_TLS_CLIENT_AUTH:
		if ((st = ccauth_credfile_check_secret(client->tls_key_file, err)) != CCAUTH_OK)
			goto out;
		cred.tls_cert_file = client->tls_cert_file;
		cred.tls_key_file = client->tls_key_file;
		st = ccauth_token_form_ex(client, NULL, 0, NULL, subject, &form, &formlen, err);
		break;
	case CCAUTH_AUTH_CLIENT_ASSERTION:
		/* a source that fails stops here: no request goes out without the client's authentication */
		if (client->client_assertion_file != NULL)
			st = ccauth_assertion_read_file("client_assertion_file", client->client_assertion_file, now,
			                                &assertion, NULL, err);
		else
			st = ccauth_assertion_fetch_url(
			    t->http, client->client_assertion_url, client->client_assertion_token_env,
			    client->client_assertion_audience != NULL ? client->client_assertion_audience
			                                              : client->issuer,
			    now, &assertion, NULL, err);
		if (st != CCAUTH_OK)
			goto out;
		st = ccauth_token_form_ex(client, NULL, 0, assertion, subject, &form, &formlen, err);
		break;
	case CCAUTH_AUTH_NONE:
		/* ccauth_token_form_ex refuses it for anything but a token exchange */
		st = ccauth_token_form_ex(client, NULL, 0, NULL, subject, &form, &formlen, err);
		break;
	default: /* config.c admits none, but never POST without client authentication */
		st = ccauth_error_set(err, CCAUTH_E_CONFIG, "[client %s]: unknown auth_method", client->name);
		break;
	}
	if (st != CCAUTH_OK)
		goto out;

	st = ccauth_http_post_form(t->http, endpoint, form, formlen, &cred, &resp, err);
	if (st == CCAUTH_OK || st == CCAUTH_E_DENIED) {
		/* never repeat what we sent, in any of the forms it travelled in */
		struct ccauth_sbuf enc = {0};
		struct ccauth_avoid avoid[5] = {{0}};

		if (sec != NULL)
			ccauth_sbuf_urlencode(&enc, sec, secretlen);
		avoid[0].p = sec;
		avoid[0].len = sec != NULL ? secretlen : 0;
		avoid[1].p = enc.p;
		avoid[1].len = enc.failed ? 0 : enc.len;
		avoid[2].p = auth != NULL ? auth + 6 : NULL; /* after "Basic " */
		avoid[2].len = auth != NULL ? strlen(auth + 6) : 0;
		avoid[3].p = assertion;
		avoid[3].len = assertion != NULL ? strlen(assertion) : 0;
		avoid[4].p = subject;
		avoid[4].len = subject != NULL ? strlen(subject) : 0;
		if (enc.failed)
			st = ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
		else
			st = ccauth_token_parse_answer(
			    &resp, now, client->refresh_at, random_u32(),
			    client->grant == CCAUTH_GRANT_TOKEN_EXCHANGE ? ccauth_token_requested_type(client) : NULL,
			    t->log, avoid, 5, out, err);
		ccauth_sbuf_wipe(&enc);
		if (st == CCAUTH_OK) {
			ccauth_fingerprint((*out)->access_token, (*out)->len, fpr);
			ccauth_log(t->log, LOG_DEBUG, "token: client %s: new token %s from %s, lifetime %lld s",
			           client->name != NULL ? client->name : client->client_id, fpr, resp.host,
			           (long long)((*out)->expires - (*out)->issued));
		}
	}
out:
	ccauth_http_response_free(&resp);
	if (secret != NULL)
		ccauth_free_secret(secret, CCAUTH_TOKEN_SECRET_MAX + 2);
	ccauth_free_secret_str(auth);
	ccauth_free_secret_str(assertion);
	ccauth_free_secret_str(subject);
	if (form != NULL)
		ccauth_free_secret(form, formlen + 1);
	EVP_PKEY_free(pkey);
	return st;
}

/* ---- context ---- */

enum ccauth_status ccauth_tokens_new(const struct ccauth_config *cfg, const struct ccauth_tokens_opts *opts,
                                     struct ccauth_tokens **out, struct ccauth_error *err)
{
	struct ccauth_tokens_opts none = {0};
	struct ccauth_http_opts hopts;
	struct ccauth_tokens *t;
	struct ccauth_error cerr = {0};
	enum ccauth_status st;

	*out = NULL;
	if (opts == NULL)
		opts = &none;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	if (pthread_mutex_init(&t->mu, NULL) != 0) {
		free(t);
		return ccauth_error_set(err, CCAUTH_E_INTERNAL, "mutex initialisation failed");
	}
	if (pthread_cond_init(&t->cv, NULL) != 0) {
		pthread_mutex_destroy(&t->mu);
		free(t);
		return ccauth_error_set(err, CCAUTH_E_INTERNAL, "condition variable initialisation failed");
	}
	t->cfg = cfg;
	t->log = opts->log;
	t->http = opts->http;
	if (t->http == NULL) {
		ccauth_http_opts_from_config(cfg, &hopts);
		if ((st = ccauth_http_new(&hopts, &t->http, err)) != CCAUTH_OK)
			goto fail;
		t->own_http = 1;
	}
	t->cache = opts->cache;
	if (t->cache == NULL && !opts->memory_only) {
		if (ccauth_cache_open(cfg->cache_dir, t->log, &t->cache, &cerr) != CCAUTH_OK) {
			if (cerr.code == CCAUTH_E_NOMEM) {
				st = ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
				goto fail;
			}
			ccauth_log(t->log, LOG_WARNING, "token cache: %s; tokens are kept in memory only", cerr.msg);
			t->cache = NULL;
		}
		t->own_cache = t->cache != NULL;
	}
	t->disc = opts->discovery;
	if (t->disc == NULL) {
		if ((st = ccauth_discovery_new(t->http, t->cache, t->log, cfg->jwks_max_stale, &t->disc, err)) !=
		    CCAUTH_OK)
			goto fail;
		t->own_disc = 1;
	}
	*out = t;
	return CCAUTH_OK;
fail:
	ccauth_tokens_free(t);
	return st;
}

void ccauth_tokens_free(struct ccauth_tokens *t)
{
	struct mem_entry *e, *n;

	if (t == NULL)
		return;
	for (e = t->mem; e != NULL; e = n) {
		n = e->next;
		ccauth_token_free(e->tok);
		free(e);
	}
	if (t->own_disc)
		ccauth_discovery_free(t->disc);
	if (t->own_cache)
		ccauth_cache_close(t->cache);
	if (t->own_http)
		ccauth_http_free(t->http);
	pthread_cond_destroy(&t->cv);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

static enum ccauth_status resolve_endpoint(struct ccauth_tokens *t, const struct ccauth_client_conf *client, char **out,
                                           struct ccauth_error *err)
{
	enum ccauth_status st;

	*out = NULL;
	/* a federated assertion or no client authentication need no client_id */
	if (client->client_id == NULL && client->auth_method != CCAUTH_AUTH_CLIENT_ASSERTION &&
	    client->auth_method != CCAUTH_AUTH_NONE)
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "[client] has no client_id");
	if (client->token_endpoint == NULL && client->issuer == NULL)
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "[client] needs issuer or token_endpoint");
	st =
	    ccauth_discovery_endpoint(t->disc, client->issuer, client->token_endpoint, CCAUTH_ENDPOINT_TOKEN, out, err);
	if (st == CCAUTH_OK && *out == NULL)
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "the metadata of %.128s has no token_endpoint",
		                        client->issuer);
	return st;
}

/* Under t->mu. */
static struct mem_entry *mem_find(struct ccauth_tokens *t, const char *keyhex)
{
	for (struct mem_entry *e = t->mem; e != NULL; e = e->next)
		if (strcmp(e->keyhex, keyhex) == 0)
			return e;
	return NULL;
}

/* Under t->mu: find or add; NULL when memory is short (then no memory caching). */
static struct mem_entry *mem_get(struct ccauth_tokens *t, const char *keyhex)
{
	struct mem_entry *e = mem_find(t, keyhex), **pp, **victim = NULL;

	if (e != NULL)
		return e;
	if (t->nmem >= MEM_MAX) {
		for (pp = &t->mem; *pp != NULL; pp = &(*pp)->next)
			if (!(*pp)->fetching && (*pp)->waiters == 0)
				victim = pp;
		if (victim == NULL)
			return NULL;
		e = *victim;
		*victim = e->next;
		ccauth_token_free(e->tok);
		free(e);
		t->nmem--;
	}
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	memcpy(e->keyhex, keyhex, sizeof(e->keyhex));
	e->next = t->mem;
	t->mem = e;
	t->nmem++;
	return e;
}

static int usable(const struct ccauth_token *tok, int64_t now)
{
	return tok != NULL && now < ccauth_token_usable_until(tok->issued, tok->expires);
}

static int fresh(const struct ccauth_token *tok, int64_t now)
{
	return tok != NULL && now < tok->refresh && usable(tok, now);
}

/* Whole seconds of CLOCK_MONOTONIC: what a wait cost, added to the caller's `now` (which may be
 * injected by tests) so a token is never judged against the time before a long wait. */
static int64_t mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

/* Memory missed: disk, then the AS under the cross-process lock.  fallback (ours, may be NULL) is a
 * still-usable older token. */
static enum ccauth_status obtain(struct ccauth_tokens *t, const struct ccauth_client_conf *client, const char *endpoint,
                                 const char *key, size_t keylen, int64_t now, unsigned flags,
                                 struct ccauth_token *fallback, struct ccauth_token **out, struct ccauth_error *err)
{
	struct ccauth_cache_lock lk = {-1};
	struct ccauth_error lerr = {0};
	struct ccauth_token *tok = NULL;
	enum ccauth_status st;
	int force = (flags & CCAUTH_TOKEN_FORCE_NEW) != 0, locked;
	int64_t waited;
	time_t waiting_since;
	struct timespec t0, t1;

	if (!force) {
		tok = ccauth_token_disk_load(t->cache, t->log, key, keylen);
		if (fresh(tok, now))
			goto done;
		if (usable(tok, now) && !usable(fallback, now)) {
			ccauth_token_free(fallback);
			fallback = tok;
		} else {
			ccauth_token_free(tok);
		}
		tok = NULL;
	}
	waited = mono_s();
	waiting_since = time(NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	locked = ccauth_cache_lock(t->cache, key, keylen, (t->cfg->timeout + 1) * 1000, &lk, &lerr) == CCAUTH_OK;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	now += mono_s() - waited;
	if (locked && !force && t->cache != NULL) {
		/* another process may have fetched while we waited */
		tok = ccauth_token_disk_load(t->cache, t->log, key, keylen);
		if (fresh(tok, now))
			goto done;
		ccauth_token_free(tok);
		tok = NULL;
		/* or failed: share its failure instead of asking the AS again (a free lock is taken at
		 * once, a busy one costs at least one poll of cache.c: only those who waited see it) */
		if ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 >= 5 &&
		    ccauth_token_disk_failed_since(t->cache, key, keylen, waiting_since)) {
			st = ccauth_error_set(err, CCAUTH_E_UNAVAILABLE,
			                      "the token request of another process just failed");
			goto failed;
		}
	}
	if (!locked) {
		ccauth_log(t->log, LOG_NOTICE, "token: %s", lerr.msg);
		if (usable(fallback, now)) {
			tok = fallback;
			fallback = NULL;
			goto done;
		}
	}
	st = fetch(t, client, endpoint, NULL, 0, now, &tok, err);
	if (st == CCAUTH_OK) {
		ccauth_token_disk_store(t->cache, t->log, key, keylen, tok);
		goto done;
	}
	if (st == CCAUTH_E_UNAVAILABLE && locked)
		ccauth_token_disk_mark_failed(t->cache, t->log, key, keylen);
failed:
	if (st == CCAUTH_E_UNAVAILABLE && usable(fallback, now)) {
		ccauth_log(t->log, LOG_WARNING, "token: %s; using the cached token until it expires",
		           err != NULL ? err->msg : "AS unavailable");
		if (err != NULL)
			ccauth_error_clear(err);
		tok = fallback;
		fallback = NULL;
		goto done;
	}
	ccauth_cache_unlock(&lk);
	ccauth_token_free(fallback);
	return st;
done:
	ccauth_cache_unlock(&lk);
	ccauth_token_free(fallback);
	*out = tok;
	return CCAUTH_OK;
}

/* The wait for another thread's fetch: (timeout + 1) s, within the call's deadline. */
static void deadline_after(struct timespec *ts, int seconds)
{
	long ms = ccauth_deadline_clamp_ms((long)seconds * 1000);

	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static enum ccauth_status token_get(struct ccauth_tokens *t, const struct ccauth_client_conf *client, int64_t now,
                                    unsigned flags, struct ccauth_token **out, struct ccauth_error *err);

enum ccauth_status ccauth_token_get(struct ccauth_tokens *t, const struct ccauth_client_conf *client, int64_t now,
                                    unsigned flags, struct ccauth_token **out, struct ccauth_error *err)
{
	int64_t dl = ccauth_deadline_begin(t->cfg->timeout);
	enum ccauth_status st = token_get(t, client, now, flags, out, err);

	ccauth_deadline_end(dl);
	return st;
}

/* ccauth_token_get within its deadline (deadline.h). */
static enum ccauth_status token_get(struct ccauth_tokens *t, const struct ccauth_client_conf *client, int64_t now,
                                    unsigned flags, struct ccauth_token **out, struct ccauth_error *err)
{
	char keyhex[CCAUTH_CACHE_KEYHEX + 1], fpr[CCAUTH_FPR_HEXLEN + 1];
	struct ccauth_token *tok = NULL, *fallback = NULL;
	struct mem_entry *e;
	char *endpoint = NULL, *key = NULL;
	size_t keylen = 0;
	enum ccauth_status st;
	int force = (flags & CCAUTH_TOKEN_FORCE_NEW) != 0, claimed = 0;
	unsigned gen;

	*out = NULL;
	if ((st = resolve_endpoint(t, client, &endpoint, err)) != CCAUTH_OK)
		return st;
	if ((st = ccauth_token_cache_full_key(endpoint, client, &key, &keylen, err)) != CCAUTH_OK) {
		free(endpoint);
		return st;
	}
	ccauth_cache_key(key, keylen, keyhex);

	pthread_mutex_lock(&t->mu);
	e = mem_get(t, keyhex);
	if (e != NULL && !force) {
		struct timespec dl;
		int64_t waited = mono_s();

		deadline_after(&dl, t->cfg->timeout + 1);
		e->waiters++;
		while (e->fetching && !fresh(e->tok, now))
			if (pthread_cond_timedwait(&t->cv, &t->mu, &dl) != 0)
				break;
		e->waiters--;
		now += mono_s() - waited;
		if (fresh(e->tok, now) || (e->fetching && usable(e->tok, now)))
			tok = token_copy(e->tok, CCAUTH_TOKEN_FROM_MEMORY);
		else if (usable(e->tok, now))
			fallback = token_copy(e->tok, CCAUTH_TOKEN_FROM_MEMORY);
	}
	if (tok == NULL && e != NULL && !e->fetching)
		claimed = e->fetching = 1;
	gen = e != NULL ? e->gen : 0;
	pthread_mutex_unlock(&t->mu);

	if (tok == NULL)
		st = obtain(t, client, endpoint, key, keylen, now, flags, fallback, &tok, err);

	pthread_mutex_lock(&t->mu);
	e = mem_find(t, keyhex);
	if (st == CCAUTH_OK && tok->from != CCAUTH_TOKEN_FROM_MEMORY && e != NULL && e->gen == gen) {
		struct ccauth_token *copy = token_copy(tok, tok->from);
		if (copy != NULL) {
			ccauth_token_free(e->tok);
			e->tok = copy;
		}
	}
	if (claimed && e != NULL) {
		e->fetching = 0;
		pthread_cond_broadcast(&t->cv);
	}
	pthread_mutex_unlock(&t->mu);

	free(endpoint);
	ccauth_free_secret(key, keylen + 1);
	if (st != CCAUTH_OK) {
		ccauth_token_free(tok);
		return st;
	}
	if (tok == NULL)
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	ccauth_fingerprint(tok->access_token, tok->len, fpr);
	ccauth_log(t->log, LOG_DEBUG, "token: client %s: token %s from %s, expires in %lld s",
	           client->name != NULL ? client->name : client->client_id, fpr,
	           tok->from == CCAUTH_TOKEN_FROM_MEMORY ? "memory"
	           : tok->from == CCAUTH_TOKEN_FROM_DISK ? "disk"
	                                                 : "the AS",
	           (long long)(tok->expires - now));
	*out = tok;
	return CCAUTH_OK;
}

enum ccauth_status ccauth_token_get_with_secret(struct ccauth_tokens *t, const struct ccauth_client_conf *client,
                                                const char *secret, size_t secretlen, int64_t now,
                                                struct ccauth_token **out, struct ccauth_error *err)
{
	char *endpoint = NULL;
	enum ccauth_status st;
	int64_t dl;

	*out = NULL;
	if (secret == NULL || (client->auth_method != CCAUTH_AUTH_CLIENT_SECRET_BASIC &&
	                       client->auth_method != CCAUTH_AUTH_CLIENT_SECRET_POST))
		return ccauth_error_set(err, CCAUTH_E_CONFIG,
		                        "an explicit secret needs client_secret_basic or client_secret_post");
	dl = ccauth_deadline_begin(t->cfg->timeout);
	if ((st = resolve_endpoint(t, client, &endpoint, err)) == CCAUTH_OK)
		st = fetch(t, client, endpoint, secret, secretlen, now, out, err);
	ccauth_deadline_end(dl);
	free(endpoint);
	return st;
}

enum ccauth_status ccauth_token_invalidate(struct ccauth_tokens *t, const struct ccauth_client_conf *client,
                                           struct ccauth_error *err)
{
	char keyhex[CCAUTH_CACHE_KEYHEX + 1];
	char *endpoint = NULL, *key;
	size_t keylen = 0;
	struct mem_entry *e;
	enum ccauth_status st;

	if ((st = resolve_endpoint(t, client, &endpoint, err)) != CCAUTH_OK)
		return st;
	st = ccauth_token_cache_full_key(endpoint, client, &key, &keylen, err);
	free(endpoint);
	if (st != CCAUTH_OK)
		return st;
	ccauth_cache_key(key, keylen, keyhex);
	pthread_mutex_lock(&t->mu);
	if ((e = mem_find(t, keyhex)) != NULL) {
		ccauth_token_free(e->tok);
		e->tok = NULL;
		e->gen++;
	}
	pthread_mutex_unlock(&t->mu);
	st = ccauth_cache_remove(t->cache, key, keylen, err);
	ccauth_free_secret(key, keylen + 1);
	return st;
}
