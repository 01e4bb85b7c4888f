/* In-memory validated-token cache: SHA-256(token) -> identity, never beyond exp, bounded,
 * thread-safe (writers lock a shard; a hit takes no lock and writes nothing other CPUs read).
 * Only ever holds results of successful validations. */
#ifndef CCAUTH_VCACHE_H
#define CCAUTH_VCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "identity.h"

struct ccauth_vcache;

/* Replaced or evicted entries wait until no reader can hold them; past this many, a writer waits
 * for a slow reader instead of letting them pile up. */
#define CCAUTH_VCACHE_RETIRED_MAX 1024

struct ccauth_vcache *ccauth_vcache_new(size_t capacity);
void ccauth_vcache_free(struct ccauth_vcache *c);

/* A private copy of the cached identity for key (released by the caller) when present and
 * now < its exp, else NULL.  The cached identity's own reference count is not touched. */
const struct ccauth_identity *ccauth_vcache_get(struct ccauth_vcache *c, const unsigned char key[32], int64_t now);

/* Insert (takes its own reference).  Evicts within the bounded set.  Out of memory: nothing. */
void ccauth_vcache_put(struct ccauth_vcache *c, const unsigned char key[32], const struct ccauth_identity *id);

#endif
