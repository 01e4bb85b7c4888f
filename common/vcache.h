/* In-memory validated-token cache: SHA-256(token) -> identity, never beyond exp, bounded,
 * thread-safe (sharded locks).  Only ever holds results of successful validations. */
#ifndef CCAUTH_VCACHE_H
#define CCAUTH_VCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "identity.h"

struct ccauth_vcache;

struct ccauth_vcache *ccauth_vcache_new(size_t capacity);
void ccauth_vcache_free(struct ccauth_vcache *c);

/* A new reference to the cached identity for key when present and now <= its exp, else NULL. */
const struct ccauth_identity *ccauth_vcache_get(struct ccauth_vcache *c, const unsigned char key[32], int64_t now);

/* Insert (takes its own reference).  Evicts within the bounded set. */
void ccauth_vcache_put(struct ccauth_vcache *c, const unsigned char key[32], const struct ccauth_identity *id);

#endif
