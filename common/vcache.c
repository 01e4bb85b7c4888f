/* Validated-token cache: 16 shards, each a fixed array of 4-way sets under its own rwlock.
 * Bounded by construction (no lists, no allocation after _new), so a flood of distinct valid
 * tokens evicts instead of growing.  A hit costs a read lock, a 32-byte compare and an atomic
 * ref: threads hitting the same shard (the same popular token) never wait for each other, where
 * a mutex put the second one to sleep in the kernel. */
#include "autoconf.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "vcache.h"

#define SHARDS           16
#define WAYS             4
#define DEFAULT_CAPACITY 4096
#define MAX_CAPACITY     (1u << 24)

struct slot {
	unsigned char key[32];
	const struct ccauth_identity *id; /* NULL: empty */
	int64_t exp;
};

struct shard {
	pthread_rwlock_t lock;
	struct slot *slots; /* nsets * WAYS */
	size_t set_mask;
} __attribute__((aligned(64)));

struct ccauth_vcache {
	struct shard shard[SHARDS];
};

static size_t round_pow2(size_t n)
{
	size_t p = 1;

	while (p < n && p < MAX_CAPACITY)
		p <<= 1;
	return p;
}

struct ccauth_vcache *ccauth_vcache_new(size_t capacity)
{
	struct ccauth_vcache *c;
	size_t per_shard_sets;

	if (capacity == 0)
		capacity = DEFAULT_CAPACITY;
	capacity = round_pow2(capacity);
	if (capacity < SHARDS * WAYS)
		capacity = SHARDS * WAYS;
	per_shard_sets = capacity / (SHARDS * WAYS);

	if (posix_memalign((void **)&c, 64, sizeof(*c)) != 0)
		return NULL;
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < SHARDS; i++) {
		struct shard *s = &c->shard[i];

		s->slots = calloc(per_shard_sets * WAYS, sizeof(*s->slots));
		if (s->slots == NULL || pthread_rwlock_init(&s->lock, NULL) != 0) {
			free(s->slots);
			s->slots = NULL;
			ccauth_vcache_free(c);
			return NULL;
		}
		s->set_mask = per_shard_sets - 1;
	}
	return c;
}

void ccauth_vcache_free(struct ccauth_vcache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < SHARDS; i++) {
		struct shard *s = &c->shard[i];

		if (s->slots == NULL)
			continue; /* never initialised: _new failed here */
		for (size_t j = 0; j <= s->set_mask; j++)
			for (size_t w = 0; w < WAYS; w++)
				ccauth_identity_release(s->slots[j * WAYS + w].id);
		free(s->slots);
		pthread_rwlock_destroy(&s->lock);
	}
	free(c);
}

/* The key is SHA-256 output: its bytes are already uniform, so pick shard and set from them. */
static struct slot *set_for(struct ccauth_vcache *c, const unsigned char key[32], struct shard **sh)
{
	uint64_t h;

	memcpy(&h, key + 8, sizeof(h));
	*sh = &c->shard[key[0] & (SHARDS - 1)];
	return &(*sh)->slots[(h & (*sh)->set_mask) * WAYS];
}

/* The way holding key in set, or NULL. */
static struct slot *find(struct slot *set, const unsigned char key[32])
{
	for (size_t w = 0; w < WAYS; w++)
		if (set[w].id != NULL && memcmp(set[w].key, key, 32) == 0)
			return &set[w];
	return NULL;
}

const struct ccauth_identity *ccauth_vcache_get(struct ccauth_vcache *c, const unsigned char key[32], int64_t now)
{
	const struct ccauth_identity *hit = NULL, *stale = NULL;
	struct shard *s;
	struct slot *set, *e;

	if (c == NULL)
		return NULL;
	set = set_for(c, key, &s);
	pthread_rwlock_rdlock(&s->lock);
	e = find(set, key);
	if (e != NULL && now < e->exp)
		hit = ccauth_identity_ref(e->id);
	pthread_rwlock_unlock(&s->lock);
	if (e == NULL || hit != NULL)
		return hit;
	/* expired: never served at or after exp; drop it (it may have been replaced meanwhile) */
	pthread_rwlock_wrlock(&s->lock);
	e = find(set, key);
	if (e != NULL && now >= e->exp) {
		stale = e->id;
		e->id = NULL;
	}
	pthread_rwlock_unlock(&s->lock);
	ccauth_identity_release(stale);
	return NULL;
}

void ccauth_vcache_put(struct ccauth_vcache *c, const unsigned char key[32], const struct ccauth_identity *id)
{
	const struct ccauth_identity *old;
	struct slot *set, *victim = NULL;
	struct shard *s;

	if (c == NULL || id == NULL)
		return;
	id = ccauth_identity_ref(id);
	set = set_for(c, key, &s);
	pthread_rwlock_wrlock(&s->lock);
	/* same key, else an empty way, else the way that expires first */
	for (size_t w = 0; w < WAYS; w++) {
		struct slot *e = &set[w];

		if (e->id != NULL && memcmp(e->key, key, 32) == 0) {
			victim = e;
			break;
		}
		if (victim == NULL || (victim->id != NULL && (e->id == NULL || e->exp < victim->exp)))
			victim = e;
	}
	old = victim->id;
	memcpy(victim->key, key, 32);
	victim->id = id;
	victim->exp = id->exp;
	pthread_rwlock_unlock(&s->lock);
	ccauth_identity_release(old);
}
