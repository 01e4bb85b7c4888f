/* Validated-token cache: 16 shards, each a fixed array of 4-way sets of entry pointers.  Bounded:
 * a flood of distinct valid tokens evicts instead of growing.
 *
 * A hit writes nothing that another CPU reads.  The rwlock it replaces cost four atomic writes per
 * hit on two lines every thread shared (the reader count, the identity's reference count): two
 * threads hitting one popular token slowed each other down 13-fold (issue #13).  Now:
 *
 * - Entries are immutable once published.  A writer (put, or a get dropping an expired entry)
 *   holds the shard's mutex, publishes a new entry with one atomic pointer store and unlinks the
 *   old one the same way.  A reader loads the pointer and reads the entry in place.  No seqlock:
 *   a reader never sees a half-written entry, so there is nothing to retry and every plain read
 *   is of memory nobody writes (data-race-free, which TSan can check; a seqlock's optimistic reads
 *   of fields being rewritten are races unless each one is atomic).
 * - An unlinked entry is freed only after every reader that may have seen it has left
 *   (epoch-based reclamation, in the way of Linux SRCU): a reader counts itself in the counter of
 *   its CPU (one cache line per CPU) for the current epoch's parity; the epoch advances only once
 *   the previous parity has drained everywhere, and an entry retired in epoch t is freed when the
 *   epoch has moved past t and parity t has drained.  Every access to the epoch, the counters
 *   and the slots is sequentially consistent: the proof is the store-buffering argument (a reader
 *   that counts itself after a writer's drain check loads the slot after the writer's unlink and
 *   cannot see the old entry), which needs a single total order.  On x86 those loads are plain
 *   moves; the two counter updates are the only writes of a hit, to the CPU's own line.
 * - No reference is taken on a hit: the caller gets a private copy of the identity
 *   (ccauth_identity_copy, one allocation from the thread's malloc cache), made inside the read.
 */
#include "autoconf.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vcache.h"

#define SHARDS           16
#define WAYS             4
#define DEFAULT_CAPACITY 4096
#define MAX_CAPACITY     (1u << 24)
#define MAX_READERS      256 /* reader counters: one per CPU up to this many, then shared */
#define FIRST_EPOCH      2   /* so that epoch - 1 never wraps */

struct entry {
	unsigned char key[32];
	int64_t exp;
	const struct ccauth_identity *id; /* the cache's reference */
	/* set once retired (unlinked): readers never look at these two */
	struct entry *next;
	uint64_t epoch;
};

struct shard {
	struct entry **slots; /* nsets * WAYS, accessed atomically; NULL: empty */
	size_t set_mask;
	pthread_mutex_t lock __attribute__((aligned(64))); /* writers only: off the line readers use */
} __attribute__((aligned(64)));

struct reader {
	unsigned long active[2]; /* readers inside, by epoch parity */
} __attribute__((aligned(64)));

struct ccauth_vcache {
	struct shard shard[SHARDS];
	uint64_t epoch __attribute__((aligned(64))); /* read by every hit, written when it advances */
	struct {
		pthread_mutex_t lock;
		struct entry *list; /* newest first, so epochs never increase along it */
		size_t n;
	} retired __attribute__((aligned(64)));
	struct reader *readers;
	size_t reader_mask;
};

static size_t round_pow2(size_t n, size_t max)
{
	size_t p = 1;

	while (p < n && p < max)
		p <<= 1;
	return p;
}

static void entry_free(struct entry *e)
{
	if (e != NULL)
		ccauth_identity_release(e->id);
	free(e);
}

struct ccauth_vcache *ccauth_vcache_new(size_t capacity)
{
	struct ccauth_vcache *c;
	size_t per_shard_sets, nreaders;
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);

	if (capacity == 0)
		capacity = DEFAULT_CAPACITY;
	capacity = round_pow2(capacity, MAX_CAPACITY);
	if (capacity < SHARDS * WAYS)
		capacity = SHARDS * WAYS;
	per_shard_sets = capacity / (SHARDS * WAYS);
	nreaders = round_pow2(ncpu > 0 ? (size_t)ncpu : 1, MAX_READERS);

	if (posix_memalign((void **)&c, 64, sizeof(*c)) != 0)
		return NULL;
	memset(c, 0, sizeof(*c));
	c->epoch = FIRST_EPOCH;
	if (posix_memalign((void **)&c->readers, 64, nreaders * sizeof(*c->readers)) != 0) {
		free(c);
		return NULL;
	}
	memset(c->readers, 0, nreaders * sizeof(*c->readers));
	c->reader_mask = nreaders - 1;
	if (pthread_mutex_init(&c->retired.lock, NULL) != 0) {
		free(c->readers);
		free(c);
		return NULL;
	}
	for (size_t i = 0; i < SHARDS; i++) {
		struct shard *s = &c->shard[i];

		s->slots = calloc(per_shard_sets * WAYS, sizeof(*s->slots));
		if (s->slots == NULL || pthread_mutex_init(&s->lock, NULL) != 0) {
			free(s->slots);
			s->slots = NULL;
			ccauth_vcache_free(c);
			return NULL;
		}
		s->set_mask = per_shard_sets - 1;
	}
	return c;
}

/* No thread may use c any more: no reader is inside, so everything goes now. */
void ccauth_vcache_free(struct ccauth_vcache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < SHARDS; i++) {
		struct shard *s = &c->shard[i];

		if (s->slots == NULL)
			continue; /* never initialised: _new failed here */
		for (size_t j = 0; j < (s->set_mask + 1) * WAYS; j++)
			entry_free(s->slots[j]);
		free(s->slots);
		pthread_mutex_destroy(&s->lock);
	}
	while (c->retired.list != NULL) {
		struct entry *e = c->retired.list;

		c->retired.list = e->next;
		entry_free(e);
	}
	pthread_mutex_destroy(&c->retired.lock);
	free(c->readers);
	free(c);
}

/* ---- readers */

/* Count this thread in as a reader of the current epoch; returns the counter to leave by.  The
 * epoch is read again after counting: a reader counted under epoch e was counted while the epoch
 * was e, so the advance past e + 1 (which waits for parity e to drain) waits for it. */
static unsigned long *read_enter(struct ccauth_vcache *c)
{
	int cpu = sched_getcpu(); /* a hint only: a thread that migrates still leaves by the same counter */
	struct reader *r = &c->readers[(size_t)(cpu >= 0 ? cpu : 0) & c->reader_mask];

	for (;;) {
		uint64_t e = __atomic_load_n(&c->epoch, __ATOMIC_RELAXED);
		unsigned long *n = &r->active[e & 1];

		__atomic_add_fetch(n, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&c->epoch, __ATOMIC_SEQ_CST) == e)
			return n;
		__atomic_sub_fetch(n, 1, __ATOMIC_RELEASE); /* the epoch moved meanwhile: count again */
	}
}

/* release: the reads inside happen before a writer that sees the counter drained frees anything */
static void read_leave(unsigned long *n)
{
	__atomic_sub_fetch(n, 1, __ATOMIC_RELEASE);
}

/* ---- writers: retire unlinked entries, free them when no reader can hold them */

static int drained(const struct ccauth_vcache *c, unsigned parity)
{
	for (size_t i = 0; i <= c->reader_mask; i++)
		if (__atomic_load_n(&c->readers[i].active[parity], __ATOMIC_SEQ_CST) != 0)
			return 0;
	return 1;
}

/* Under retired.lock: move the entries no reader can hold to *dead, advancing the epoch while
 * that frees more (twice at most: with no reader inside, an entry retired now goes at once). */
static void reclaim(struct ccauth_vcache *c, struct entry **dead)
{
	for (int round = 0; round < 2; round++) {
		uint64_t e = c->epoch; /* only written under this lock */
		struct entry **pp = &c->retired.list;

		if (!drained(c, (unsigned)((e - 1) & 1)))
			return;
		/* readers counted under e - 1 or earlier are gone: entries retired before e are free */
		while (*pp != NULL && (*pp)->epoch >= e)
			pp = &(*pp)->next;
		while (*pp != NULL) {
			struct entry *x = *pp;

			*pp = x->next;
			x->next = *dead;
			*dead = x;
			c->retired.n--;
		}
		if (c->retired.list == NULL)
			return;
		__atomic_store_n(&c->epoch, e + 1, __ATOMIC_SEQ_CST);
	}
}

/* x is unlinked from its slot.  Past CCAUTH_VCACHE_RETIRED_MAX waiting entries (a reader is slow
 * to leave: descheduled inside), wait for it rather than grow without bound. */
static void retire(struct ccauth_vcache *c, struct entry *x)
{
	struct entry *dead = NULL;

	pthread_mutex_lock(&c->retired.lock);
	x->epoch = c->epoch;
	x->next = c->retired.list;
	c->retired.list = x;
	c->retired.n++;
	reclaim(c, &dead);
	while (c->retired.n > CCAUTH_VCACHE_RETIRED_MAX) {
		pthread_mutex_unlock(&c->retired.lock);
		sched_yield();
		pthread_mutex_lock(&c->retired.lock);
		reclaim(c, &dead);
	}
	pthread_mutex_unlock(&c->retired.lock);
	while (dead != NULL) {
		x = dead;
		dead = x->next;
		entry_free(x);
	}
}

/* ---- the cache */

/* The key is SHA-256 output: its bytes are already uniform, so pick shard and set from them. */
static struct entry **set_for(struct ccauth_vcache *c, const unsigned char key[32], struct shard **sh)
{
	uint64_t h;

	memcpy(&h, key + 8, sizeof(h));
	*sh = &c->shard[key[0] & (SHARDS - 1)];
	return &(*sh)->slots[(h & (*sh)->set_mask) * WAYS];
}

static struct entry *load(struct entry **slot)
{
	return __atomic_load_n(slot, __ATOMIC_SEQ_CST);
}

static void store(struct entry **slot, struct entry *e)
{
	__atomic_store_n(slot, e, __ATOMIC_SEQ_CST);
}

/* The way of set holding key (its entry in *out), or -1.  For a reader inside, or a writer holding
 * the shard lock.  *out is the entry that matched: loading the slot again could give another. */
static int find(struct entry **set, const unsigned char key[32], struct entry **out)
{
	for (int w = 0; w < WAYS; w++) {
		struct entry *e = load(&set[w]);

		if (e != NULL && memcmp(e->key, key, 32) == 0) {
			*out = e;
			return w;
		}
	}
	*out = NULL;
	return -1;
}

const struct ccauth_identity *ccauth_vcache_get(struct ccauth_vcache *c, const unsigned char key[32], int64_t now)
{
	const struct ccauth_identity *copy = NULL;
	struct entry **set, *x = NULL;
	struct shard *s;
	unsigned long *reading;
	int w, expired = 0;

	if (c == NULL)
		return NULL;
	set = set_for(c, key, &s);
	reading = read_enter(c);
	if (find(set, key, &x) >= 0) {
		if (now < x->exp)
			copy = ccauth_identity_copy(x->id); /* NULL (out of memory) reads as a miss */
		else
			expired = 1;
	}
	read_leave(reading);
	if (!expired)
		return copy;
	/* never served at or after exp; drop it (it may have been replaced meanwhile) */
	pthread_mutex_lock(&s->lock);
	if ((w = find(set, key, &x)) >= 0 && now >= x->exp)
		store(&set[w], NULL);
	else
		x = NULL;
	pthread_mutex_unlock(&s->lock);
	if (x != NULL)
		retire(c, x);
	return NULL;
}

void ccauth_vcache_put(struct ccauth_vcache *c, const unsigned char key[32], const struct ccauth_identity *id)
{
	struct entry **set, *x, *old;
	struct shard *s;
	int victim = -1;

	if (c == NULL || id == NULL || (x = malloc(sizeof(*x))) == NULL)
		return; /* out of memory: the token is validated again next time */
	memcpy(x->key, key, 32);
	x->exp = id->exp;
	x->id = ccauth_identity_ref(id);
	x->next = NULL;
	x->epoch = 0;
	set = set_for(c, key, &s);
	pthread_mutex_lock(&s->lock);
	/* same key, else an empty way, else the way that expires first */
	if ((victim = find(set, key, &old)) < 0) {
		for (int w = 0; w < WAYS; w++) {
			const struct entry *e = load(&set[w]), *v = victim >= 0 ? load(&set[victim]) : NULL;

			if (victim < 0 || (v != NULL && (e == NULL || e->exp < v->exp)))
				victim = w;
		}
	}
	old = load(&set[victim]);
	store(&set[victim], x);
	pthread_mutex_unlock(&s->lock);
	if (old != NULL)
		retire(c, old);
}
