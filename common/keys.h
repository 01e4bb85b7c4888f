/* The remote key source of one issuer: its JWKS from jwks_uri (configured, else from discovery),
 * cached in memory and in the per-user disk cache.
 *
 * - Lazy: ccauth_keys_new does no I/O; the first ccauth_keys_get fetches.
 * - Fresh for Cache-Control max-age bounded to [CCAUTH_KEYS_TTL_MIN, CCAUTH_KEYS_TTL_MAX]
 *   (CCAUTH_KEYS_TTL_DEFAULT without max-age).  The disk entry is keyed by issuer and jwks_uri,
 *   so a process that finds it fresh makes no request at all (not even discovery).
 * - An unknown kid or a failed signature (force) refetches once, then not again for min_refresh
 *   seconds.  The cooldown is kept in memory and as a marker in the disk cache, so many
 *   short-lived processes (PAM, ccauth verify) hammered with unknown kids or forged signatures
 *   make one request per min_refresh together.
 * - Single flight: one thread per source fetches while the others wait for its result; across
 *   processes the fetcher holds the cache flock for the source and, once it has it, reads the
 *   disk again (another process may have just refreshed).
 * - While the AS cannot be reached (or answers nonsense) the last good keys stay usable up to
 *   max_stale seconds after their freshness ended; network attempts are spaced by
 *   CCAUTH_KEYS_RETRY.  After that: CCAUTH_E_UNAVAILABLE (fail closed, not a rejection).
 * - Thread-safe; the fresh path takes only a read lock.
 */
#ifndef CCAUTH_KEYS_H
#define CCAUTH_KEYS_H

#include <stdint.h>

#include "cache.h"
#include "discovery.h"
#include "error.h"
#include "http.h"
#include "jwks.h"
#include "log.h"

#define CCAUTH_KEYS_TTL_MIN     300
#define CCAUTH_KEYS_TTL_MAX     86400
#define CCAUTH_KEYS_TTL_DEFAULT 3600
#define CCAUTH_KEYS_RETRY       10 /* seconds between network attempts while fetching fails */

/* Shared by every source of a validator; all members borrowed and must outlive the sources. */
struct ccauth_keys_env {
	struct ccauth_http *http;
	struct ccauth_discovery *disc; /* for issuers without jwks_uri */
	struct ccauth_cache *cache;    /* NULL: memory only, no cross-process single flight */
	const struct ccauth_log *log;
	int min_refresh;  /* jwks_min_refresh */
	int max_stale;    /* jwks_max_stale */
	int lock_wait_ms; /* how long to wait for another process's fetch; <= 0: 6000 */
};

struct ccauth_keys;

/* name is the [issuer NAME] (messages), issuer its issuer string, jwks_uri may be NULL (discovery).
 * The strings are copied; env is copied too (its pointers are borrowed). */
enum ccauth_status ccauth_keys_new(const struct ccauth_keys_env *env, const char *name, const char *issuer,
                                   const char *jwks_uri, struct ccauth_keys **out, struct ccauth_error *err);
void ccauth_keys_free(struct ccauth_keys *k); /* NULL-safe */

/* A referenced key set (ccauth_jwks_unref) usable at now.  force: the caller met an unknown kid,
 * or a signature that failed with a key of this set (new material under an old kid).
 * CCAUTH_E_UNAVAILABLE when no key set is usable. */
enum ccauth_status ccauth_keys_get(struct ccauth_keys *k, int force, int64_t now, struct ccauth_jwks **out,
                                   struct ccauth_error *err);

/* ---- pure parts, exported for the unit tests ---- */

/* Cache-Control max-age (-1 absent) to seconds of freshness within the bounds. */
long ccauth_keys_ttl(long max_age);

struct ccauth_keys_state {
	int have;        /* a key set is loaded */
	int64_t expires; /* fresh until */
	int64_t stale;   /* usable until (expires + max_stale) */
	int64_t forced;  /* last forced refetch attempt; 0: never */
	int64_t retry;   /* no network attempt before this (set after a failure) */
};

enum ccauth_keys_plan {
	CCAUTH_KEYS_USE,   /* hand out the loaded set (fresh, or stale within max_stale) */
	CCAUTH_KEYS_FETCH, /* refresh (disk, then network) */
	CCAUTH_KEYS_FAIL,  /* nothing usable and no attempt allowed yet */
};

/* What a request at now should do. */
enum ccauth_keys_plan ccauth_keys_plan(const struct ccauth_keys_state *s, int64_t now, int force, int min_refresh);

/* 1 when the state holds keys usable at now (fresh or within their stale time). */
int ccauth_keys_usable(const struct ccauth_keys_state *s, int64_t now);

#endif
