/* The per-user disk cache (design.md "Disk cache"): JWKS, metadata and tokens shared by all
 * processes of one user.
 *
 * Layout (the decision and its reasons are at the top of cache.c): cache_dir is owned by root and
 * writable by nobody else (0711; root creates it when missing); cache_dir/uid-N/ (0700, owned by
 * uid N) is created only by the owner of cache_dir, so by root for itself or by an administrator
 * for a service account.  Other users fall back to ~/.cache/ccauth (from the password database),
 * else memory only.  Each holds one file per key, named by the hex SHA-256 of the key string,
 * plus KEY.lock files for single flight.
 * Files are opened O_NOFOLLOW and checked with fstat: a regular file owned by the effective uid,
 * no group/other bits.  Anything else (a symlink, another owner, a loose mode, a torn file) is
 * refused, logged, and removed - safe because the directory is ours and 0700.  Writes go to an
 * O_EXCL temp file (0600) renamed over the old one, so readers see the old or the new file.
 *
 * Every function is NULL-safe on the cache: a NULL cache (cache_dir = "") misses and stores
 * nothing.  Cache trouble is never fatal for the caller; it just means going to the network.
 */
#ifndef CCAUTH_CACHE_H
#define CCAUTH_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "error.h"
#include "log.h"

#define CCAUTH_CACHE_MAX_ENTRY (512 * 1024) /* bytes of data per file */
#define CCAUTH_CACHE_KEYHEX    64

struct ccauth_cache;

struct ccauth_cache_entry {
	char *data; /* malloc'd, NUL-terminated (not counted in len); may hold a token: wiped on free */
	size_t len;
	time_t expires; /* fresh until */
	time_t stale;   /* usable as a fallback until (>= expires) */
};

struct ccauth_cache_lock {
	int fd; /* -1 when not held */
};

/* Open cache_dir/uid-<euid> (creating it, and cache_dir, only when we own cache_dir or are root),
 * else ~/.cache/ccauth.  cache_dir NULL or "" gives *out = NULL and CCAUTH_OK (memory only); no
 * usable location gives CCAUTH_E_CONFIG naming both reasons (the caller runs from memory).  log (may be NULL) must outlive the cache; refusals are logged there. */
enum ccauth_status ccauth_cache_open(const char *cache_dir, const struct ccauth_log *log, struct ccauth_cache **out,
                                     struct ccauth_error *err);
void ccauth_cache_close(struct ccauth_cache *c);

/* The user directory (for messages and tests); NULL for a NULL cache. */
const char *ccauth_cache_dir(const struct ccauth_cache *c);

/* Hex SHA-256 of the key string: the file name.  out has room for CCAUTH_CACHE_KEYHEX + 1. */
void ccauth_cache_key(const char *key, size_t keylen, char out[CCAUTH_CACHE_KEYHEX + 1]);

/* Read the entry for key.  *found = 1 and e filled on a hit (expired entries are returned too:
 * the caller compares e->expires and e->stale with the clock); *found = 0 on a miss or a refused
 * file.  Errors other than CCAUTH_E_NOMEM are reported as a miss and logged. */
enum ccauth_status ccauth_cache_get(struct ccauth_cache *c, const char *key, size_t keylen,
                                    struct ccauth_cache_entry *e, int *found, struct ccauth_error *err);

/* Store data (len <= CCAUTH_CACHE_MAX_ENTRY) atomically. */
enum ccauth_status ccauth_cache_put(struct ccauth_cache *c, const char *key, size_t keylen, const void *data,
                                    size_t len, time_t expires, time_t stale, struct ccauth_error *err);

/* Remove the entry (a missing file is fine). */
enum ccauth_status ccauth_cache_remove(struct ccauth_cache *c, const char *key, size_t keylen,
                                       struct ccauth_error *err);

void ccauth_cache_entry_free(struct ccauth_cache_entry *e);

/* A failure marker under key: a fetch made under the cross-process lock failed as "unavailable".
 * Those who were waiting for that fetch share its failure instead of asking the AS again.
 * _mark_failed records now (best effort, logged; kept on disk for a minute); _failed_since is 1
 * when the last failure was at or after since.  Used for JWKS and token fetches alike. */
void ccauth_cache_mark_failed(struct ccauth_cache *c, const char *key, size_t keylen, const struct ccauth_log *log);
int ccauth_cache_failed_since(struct ccauth_cache *c, const char *key, size_t keylen, time_t since);

/* The file format: "CCAUTH-CACHE 1 EXPIRES STALE LEN\n" then LEN bytes of data (decimal numbers,
 * STALE >= EXPIRES).  0 and the fields (data points into buf) for a whole, well-formed file;
 * -1 otherwise.  Exposed for the fuzz target. */
int ccauth_cache_entry_parse(const char *buf, size_t len, int64_t *expires, int64_t *stale, const char **data,
                             size_t *datalen);

/* Exclusive lock for key, across threads and processes (flock on KEY.lock; each call opens its
 * own descriptor).  Waits up to wait_ms; CCAUTH_E_UNAVAILABLE when still busy.  A NULL cache
 * gives CCAUTH_OK with l->fd = -1 (no cross-process single flight without a disk cache). */
enum ccauth_status ccauth_cache_lock(struct ccauth_cache *c, const char *key, size_t keylen, int wait_ms,
                                     struct ccauth_cache_lock *l, struct ccauth_error *err);
void ccauth_cache_unlock(struct ccauth_cache_lock *l);

#endif
