/* Remote JWKS per issuer: memory, disk, network; cooldown, single flight, stale keys.  See keys.h. */
#include "autoconf.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deadline.h"
#include "keys.h"

#define LOCK_WAIT_DEFAULT 6000

struct ccauth_keys {
	struct ccauth_keys_env env;
	char *name, *issuer, *jwks_uri;
	char *ckey, *fkey, *nkey; /* disk cache keys: the JWKS, the forced-refresh marker, the last failure */
	size_t ckeylen, fkeylen, nkeylen;

	/* set and st are written under mu and rw (write); the fresh path reads them under rw only */
	pthread_rwlock_t rw;
	struct ccauth_jwks *set;
	char sethash[CCAUTH_CACHE_KEYHEX + 1]; /* SHA-256 of the document the set came from */
	struct ccauth_keys_state st;

	pthread_mutex_t mu;
	pthread_cond_t cv;
	int fetching;
};

long ccauth_keys_ttl(long max_age)
{
	if (max_age < 0)
		return CCAUTH_KEYS_TTL_DEFAULT;
	if (max_age < CCAUTH_KEYS_TTL_MIN)
		return CCAUTH_KEYS_TTL_MIN;
	if (max_age > CCAUTH_KEYS_TTL_MAX)
		return CCAUTH_KEYS_TTL_MAX;
	return max_age;
}

int ccauth_keys_usable(const struct ccauth_keys_state *s, int64_t now)
{
	return s->have && now < s->stale;
}

enum ccauth_keys_plan ccauth_keys_plan(const struct ccauth_keys_state *s, int64_t now, int force, int min_refresh)
{
	if (force && s->have) {
		/* an unknown kid: one refetch, then nothing for min_refresh; never faster than the
		 * failure retry either */
		if ((s->forced != 0 && now < s->forced + min_refresh) || now < s->retry)
			return CCAUTH_KEYS_USE;
		return CCAUTH_KEYS_FETCH;
	}
	if (s->have && now < s->expires)
		return CCAUTH_KEYS_USE;
	if (now < s->retry)
		return ccauth_keys_usable(s, now) ? CCAUTH_KEYS_USE : CCAUTH_KEYS_FAIL;
	return CCAUTH_KEYS_FETCH;
}

static char *key_string(const char *tag, const char *issuer, const char *uri, size_t *len)
{
	size_t n = strlen(tag) + strlen(issuer) + (uri != NULL ? strlen(uri) : 0) + 3;
	char *s = malloc(n);
	int r;

	if (s == NULL)
		return NULL;
	r = snprintf(s, n, "%s\n%s\n%s", tag, issuer, uri != NULL ? uri : "");
	if (r < 0 || (size_t)r >= n) {
		free(s);
		return NULL;
	}
	*len = (size_t)r;
	return s;
}

enum ccauth_status ccauth_keys_new(const struct ccauth_keys_env *env, const char *name, const char *issuer,
                                   const char *jwks_uri, struct ccauth_keys **out, struct ccauth_error *err)
{
	struct ccauth_keys *k;

	*out = NULL;
	if (env == NULL || env->http == NULL || name == NULL || issuer == NULL)
		return ccauth_error_set(err, CCAUTH_E_INTERNAL, "keys: missing argument");
	if (jwks_uri == NULL && env->disc == NULL)
		return ccauth_error_set(err, CCAUTH_E_INTERNAL, "keys: no jwks_uri and no discovery");
	k = calloc(1, sizeof(*k));
	if (k == NULL)
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	/* glibc's init functions cannot fail with default attributes */
	pthread_rwlock_init(&k->rw, NULL);
	pthread_mutex_init(&k->mu, NULL);
	pthread_cond_init(&k->cv, NULL);
	k->env = *env;
	if (k->env.lock_wait_ms <= 0)
		k->env.lock_wait_ms = LOCK_WAIT_DEFAULT;
	if (k->env.max_stale < 0)
		k->env.max_stale = 0;
	k->name = strdup(name);
	k->issuer = strdup(issuer);
	k->jwks_uri = jwks_uri != NULL ? strdup(jwks_uri) : NULL;
	k->ckey = key_string("jwks", issuer, jwks_uri, &k->ckeylen);
	k->fkey = key_string("jwks-forced", issuer, jwks_uri, &k->fkeylen);
	k->nkey = key_string("jwks-failed", issuer, jwks_uri, &k->nkeylen);
	if (k->name == NULL || k->issuer == NULL || (jwks_uri != NULL && k->jwks_uri == NULL) || k->ckey == NULL ||
	    k->fkey == NULL || k->nkey == NULL) {
		ccauth_keys_free(k);
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	}
	*out = k;
	return CCAUTH_OK;
}

void ccauth_keys_free(struct ccauth_keys *k)
{
	if (k == NULL)
		return;
	ccauth_jwks_unref(k->set);
	pthread_rwlock_destroy(&k->rw);
	pthread_mutex_destroy(&k->mu);
	pthread_cond_destroy(&k->cv);
	free(k->name);
	free(k->issuer);
	free(k->jwks_uri);
	free(k->ckey);
	free(k->fkey);
	free(k->nkey);
	free(k);
}

/* What one refresh found. */
struct fetched {
	struct ccauth_jwks *set; /* NULL: nothing new */
	char hash[CCAUTH_CACHE_KEYHEX + 1];
	int64_t expires;
	int network_failed;
	int forced_marked; /* a forced refetch happened (here or, per the marker, in another process) */
	int64_t forced_at;
};

/* Parse a JWKS document; a set without a usable key counts as nonsense. */
static enum ccauth_status parse_set(struct ccauth_keys *k, const char *doc, size_t len, struct fetched *f,
                                    struct ccauth_error *err)
{
	struct ccauth_error e;
	enum ccauth_status st;

	st = ccauth_jwks_parse(doc, len, k->env.log, &f->set, &e);
	if (st == CCAUTH_E_NOMEM)
		return ccauth_error_set(err, st, "out of memory");
	if (st != CCAUTH_OK)
		return ccauth_error_set(err, CCAUTH_E_UNAVAILABLE, "[issuer %s]: JWKS: %s", k->name, e.msg);
	if (f->set->nkeys == 0) {
		ccauth_jwks_unref(f->set);
		f->set = NULL;
		return ccauth_error_set(err, CCAUTH_E_UNAVAILABLE, "[issuer %s]: JWKS has no usable key", k->name);
	}
	ccauth_cache_key(doc, len, f->hash);
	return CCAUTH_OK;
}

static enum ccauth_status resolve_uri(struct ccauth_keys *k, char **uri, struct ccauth_error *err)
{
	enum ccauth_status st;

	st = ccauth_discovery_endpoint(k->env.disc, k->issuer, k->jwks_uri, CCAUTH_ENDPOINT_JWKS, uri, err);
	if (st == CCAUTH_OK && *uri == NULL)
		return ccauth_error_set(err, CCAUTH_E_UNAVAILABLE, "[issuer %s]: the metadata has no jwks_uri",
		                        k->name);
	return st;
}

static enum ccauth_status from_network(struct ccauth_keys *k, int64_t now, struct fetched *f, struct ccauth_error *err)
{
	struct ccauth_http_response resp = {0};
	enum ccauth_status st;
	struct ccauth_error cerr;
	char *uri = NULL;
	long ttl;

	if ((st = resolve_uri(k, &uri, err)) != CCAUTH_OK)
		return st;
	st = ccauth_http_get(k->env.http, uri, &resp, err);
	if (st == CCAUTH_OK)
		st = parse_set(k, resp.body, resp.len, f, err);
	if (st == CCAUTH_OK) {
		ttl = ccauth_keys_ttl(resp.max_age);
		f->expires = now + ttl;
		ccauth_log(k->env.log, LOG_DEBUG, "[issuer %s]: %zu keys from %s, fresh for %ld s", k->name,
		           f->set->nkeys, resp.host, ttl);
		if (ccauth_cache_put(k->env.cache, k->ckey, k->ckeylen, resp.body, resp.len, (time_t)f->expires,
		                     (time_t)(f->expires + k->env.max_stale), &cerr) != CCAUTH_OK)
			ccauth_log(k->env.log, LOG_WARNING, "[issuer %s]: JWKS not stored on disk: %s", k->name,
			           cerr.msg);
	}
	ccauth_http_response_free(&resp);
	free(uri);
	return st;
}

/* A fresh disk entry (for force: one that differs from what we hold) into f; e keeps the entry
 * for the stale fallback. */
static int from_disk(struct ccauth_keys *k, int64_t now, int force, const char *curhash, struct ccauth_cache_entry *e,
                     int *found, struct fetched *f)
{
	char h[CCAUTH_CACHE_KEYHEX + 1];
	struct ccauth_error lerr;

	ccauth_cache_entry_free(e);
	*found = 0;
	if (ccauth_cache_get(k->env.cache, k->ckey, k->ckeylen, e, found, NULL) != CCAUTH_OK || !*found ||
	    now >= (int64_t)e->expires)
		return 0;
	ccauth_cache_key(e->data, e->len, h);
	if ((force && strcmp(h, curhash) == 0) || parse_set(k, e->data, e->len, f, &lerr) != CCAUTH_OK)
		return 0;
	f->expires = e->expires;
	return 1;
}

/* The refresh, outside the in-process lock: disk (the common case for a new process: no lock
 * needed), then under the cross-process lock the disk again (another process may have refreshed
 * while we waited), the forced-refresh marker, the network, and the disk's stale copy as the
 * last resort. */
static enum ccauth_status refresh(struct ccauth_keys *k, int force, int64_t now, const char *curhash, int have,
                                  struct fetched *f, struct ccauth_error *err)
{
	struct ccauth_cache_lock lk = {-1};
	struct ccauth_cache_entry e = {0}, m = {0};
	struct ccauth_error lerr;
	int found = 0, mfound = 0;
	enum ccauth_status st = CCAUTH_OK;
	time_t waiting_since;
	struct timespec t0, t1;
	int waited;

	memset(f, 0, sizeof(*f));
	if (!force && from_disk(k, now, force, curhash, &e, &found, f))
		goto out;
	waiting_since = time(NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (ccauth_cache_lock(k->env.cache, k->ckey, k->ckeylen, k->env.lock_wait_ms, &lk, &lerr) != CCAUTH_OK) {
		if (ccauth_deadline_left_ms() == 0) {
			/* the call's deadline ran out while another process fetched: do not fetch too */
			st = ccauth_error_set(err, CCAUTH_E_UNAVAILABLE, "[issuer %s]: %s (deadline reached)", k->name,
			                      lerr.msg);
			f->network_failed = 1;
			goto stale;
		}
		ccauth_log(k->env.log, LOG_DEBUG, "[issuer %s]: %s; refreshing without the lock", k->name, lerr.msg);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* a free lock is taken at once; a busy one costs at least one poll (cache.c) */
	waited = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 >= 5;
	if (from_disk(k, now, force, curhash, &e, &found, f))
		goto out;
	/* the process we waited for failed: share its failure instead of asking the AS again (a short
	 * negative cache: only for those that were already waiting) */
	if (waited && ccauth_cache_failed_since(k->env.cache, k->nkey, k->nkeylen, waiting_since)) {
		st = ccauth_error_set(err, CCAUTH_E_UNAVAILABLE,
		                      "[issuer %s]: the JWKS fetch of another process just failed", k->name);
		f->network_failed = 1;
		goto stale;
	}
	if (force && have) {
		/* the marker's expires is when some process last forced a refetch (its stale time only
		 * keeps it on disk): each reader applies its own min_refresh */
		if (ccauth_cache_get(k->env.cache, k->fkey, k->fkeylen, &m, &mfound, NULL) == CCAUTH_OK && mfound &&
		    now >= (int64_t)m.expires && now < (int64_t)m.expires + k->env.min_refresh) {
			/* another process did the forced refetch a moment ago: nothing new to find */
			f->forced_marked = 1;
			f->forced_at = (int64_t)m.expires;
			st = CCAUTH_OK;
			goto out;
		}
		f->forced_marked = 1;
		f->forced_at = now;
		if (ccauth_cache_put(k->env.cache, k->fkey, k->fkeylen, "1", 1, (time_t)now, (time_t)(now + 86400),
		                     &lerr) != CCAUTH_OK)
			ccauth_log(k->env.log, LOG_DEBUG, "[issuer %s]: refresh marker not stored: %s", k->name,
			           lerr.msg);
	}
	st = from_network(k, now, f, err);
	if (st == CCAUTH_OK || st == CCAUTH_E_NOMEM)
		goto out;
	f->network_failed = 1;
	ccauth_cache_mark_failed(k->env.cache, k->nkey, k->nkeylen, k->env.log);
stale:
	/* a process starting while the AS is down: the disk's expired copy, within max_stale */
	if (!have && found && now < (int64_t)e.expires + k->env.max_stale &&
	    parse_set(k, e.data, e.len, f, &lerr) == CCAUTH_OK) {
		f->expires = e.expires;
	}
out:
	ccauth_cache_entry_free(&e);
	ccauth_cache_entry_free(&m);
	ccauth_cache_unlock(&lk);
	return st;
}

/* Under k->mu: take over what refresh found. */
static void install(struct ccauth_keys *k, const struct fetched *f, int64_t now)
{
	struct ccauth_jwks *old = NULL;

	pthread_rwlock_wrlock(&k->rw);
	if (f->set != NULL) {
		old = k->set;
		k->set = f->set;
		memcpy(k->sethash, f->hash, sizeof(k->sethash));
		k->st.have = 1;
		k->st.expires = f->expires;
		k->st.stale = f->expires + k->env.max_stale;
	}
	if (f->forced_marked)
		k->st.forced = f->forced_at;
	k->st.retry = f->network_failed ? now + CCAUTH_KEYS_RETRY : 0;
	pthread_rwlock_unlock(&k->rw);
	ccauth_jwks_unref(old);
}

enum ccauth_status ccauth_keys_get(struct ccauth_keys *k, int force, int64_t now, struct ccauth_jwks **out,
                                   struct ccauth_error *err)
{
	struct ccauth_error ferr = {0};
	enum ccauth_status fst = CCAUTH_OK;
	enum ccauth_keys_plan plan;
	struct fetched f;
	int waited = 0;

	*out = NULL;
	if (!force) {
		pthread_rwlock_rdlock(&k->rw);
		if (k->st.have && now < k->st.expires)
			*out = ccauth_jwks_ref(k->set);
		pthread_rwlock_unlock(&k->rw);
		if (*out != NULL)
			return CCAUTH_OK;
	}

	pthread_mutex_lock(&k->mu);
	while (k->fetching) {
		/* single flight: the result of the fetch in progress answers this request too */
		pthread_cond_wait(&k->cv, &k->mu);
		waited = 1;
	}
	plan = waited ? CCAUTH_KEYS_USE : ccauth_keys_plan(&k->st, now, force, k->env.min_refresh);
	if (plan == CCAUTH_KEYS_FETCH) {
		char curhash[CCAUTH_CACHE_KEYHEX + 1];
		int have = k->st.have;

		memcpy(curhash, k->sethash, sizeof(curhash));
		k->fetching = 1;
		pthread_mutex_unlock(&k->mu);
		fst = refresh(k, force, now, curhash, have, &f, &ferr);
		pthread_mutex_lock(&k->mu);
		if (fst != CCAUTH_E_NOMEM)
			install(k, &f, now);
		else
			ccauth_jwks_unref(f.set);
		k->fetching = 0;
		pthread_cond_broadcast(&k->cv);
	}
	if (ccauth_keys_usable(&k->st, now)) {
		if (now >= k->st.expires)
			ccauth_log(k->env.log, LOG_WARNING,
			           "[issuer %s]: keys could not be refreshed (%s); using keys %lld s past their TTL",
			           k->name, fst != CCAUTH_OK ? ferr.msg : "retry later",
			           (long long)(now - k->st.expires));
		pthread_rwlock_rdlock(&k->rw);
		*out = ccauth_jwks_ref(k->set);
		pthread_rwlock_unlock(&k->rw);
	}
	pthread_mutex_unlock(&k->mu);
	if (*out != NULL)
		return CCAUTH_OK;
	if (fst == CCAUTH_E_NOMEM || fst == CCAUTH_E_CONFIG)
		return ccauth_error_set(err, fst, "%s", ferr.msg);
	if (fst != CCAUTH_OK)
		return ccauth_error_set(err, CCAUTH_E_UNAVAILABLE, "%s", ferr.msg);
	return ccauth_error_set(err, CCAUTH_E_UNAVAILABLE, "[issuer %s]: no usable keys (the AS could not be reached)",
	                        k->name);
}
