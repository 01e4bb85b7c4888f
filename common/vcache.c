/* Validated-token cache: 16 shards, each a fixed array of 4-way sets under its own mutex.
 * Bounded by construction (no lists, no allocation after _new), so a flood of distinct valid
 * tokens evicts instead of growing.  A hit costs one lock, a 32-byte compare and an atomic ref. */
#include "config.h"

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
	pthread_mutex_t mu;
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
		if (s->slots == NULL || pthread_mutex_init(&s->mu, NULL) != 0) {
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
		pthread_mutex_destroy(&s->mu);
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

const struct ccauth_identity *ccauth_vcache_get(struct ccauth_vcache *c, const unsigned char key[32], int64_t now)
{
	const struct ccauth_identity *hit = NULL, *stale = NULL;
	struct shard *s;
	struct slot *set;

	if (c == NULL)
		return NULL;
	set = set_for(c, key, &s);
	pthread_mutex_lock(&s->mu);
	for (size_t w = 0; w < WAYS; w++) {
		struct slot *e = &set[w];

		if (e->id == NULL || memcmp(e->key, key, 32) != 0)
			continue;
		if (now < e->exp) {
			hit = ccauth_identity_ref(e->id);
		} else {
			stale = e->id; /* never served at or after exp: drop it */
			e->id = NULL;
		}
		break;
	}
	pthread_mutex_unlock(&s->mu);
	ccauth_identity_release(stale);
	return hit;
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
	pthread_mutex_lock(&s->mu);
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
	pthread_mutex_unlock(&s->mu);
	ccauth_identity_release(old);
}
