/* The validated-token cache in isolation.  The identity functions are replaced here by counting
 * ones (the core's identity.o is then not linked in), so every reference the cache takes or drops
 * is visible, and so is each copy a hit hands out (a hit takes no reference on the cached one). */
#include "autoconf.h"

#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "vcache.h"

struct mock_id {
	int refs;
	const struct mock_id *origin; /* a copy: what it was copied from (freed at its last release) */
	struct ccauth_identity pub;
};

static struct mock_id *mock_of(const struct ccauth_identity *id)
{
	return (struct mock_id *)(void *)((char *)(uintptr_t)id - offsetof(struct mock_id, pub));
}

const struct ccauth_identity *ccauth_identity_ref(const struct ccauth_identity *id)
{
	if (id != NULL)
		__atomic_add_fetch(&mock_of(id)->refs, 1, __ATOMIC_RELAXED);
	return id;
}

void ccauth_identity_release(const struct ccauth_identity *id)
{
	struct mock_id *m;

	if (id == NULL)
		return;
	m = mock_of(id);
	if (__atomic_sub_fetch(&m->refs, 1, __ATOMIC_ACQ_REL) == 0 && m->origin != NULL)
		free(m);
}

/* copy_hook, when set, runs inside each copy: the cache calls it while a reader is inside */
static void (*copy_hook)(void);
static int copied_unheld; /* copies made of an identity the cache no longer held a reference to */

static int refs(const struct mock_id *m)
{
	return __atomic_load_n(&m->refs, __ATOMIC_ACQUIRE);
}

const struct ccauth_identity *ccauth_identity_copy(const struct ccauth_identity *id)
{
	const struct mock_id *src = mock_of(id);
	struct mock_id *m = malloc(sizeof(*m));

	if (copy_hook != NULL)
		copy_hook();
	/* the entry a reader found keeps its reference until the reader leaves, even if replaced */
	if (refs(src) < 2)
		__atomic_add_fetch(&copied_unheld, 1, __ATOMIC_RELAXED);
	if (m == NULL)
		return NULL;
	m->refs = 1;
	m->origin = src;
	m->pub = src->pub;
	return &m->pub;
}

/* the cached identity got was copied from, and got released */
static const struct mock_id *origin_of(const struct ccauth_identity *got)
{
	const struct mock_id *o;

	assert_non_null(got);
	o = mock_of(got)->origin;
	assert_non_null(o);
	assert_int_equal(got->exp, o->pub.exp);
	ccauth_identity_release(got);
	return o;
}

static void init_id(struct mock_id *m, int64_t exp)
{
	memset(m, 0, sizeof(*m));
	m->refs = 1;
	m->pub.user = "u";
	m->pub.exp = exp;
}

/* a key from a counter, spread like a hash (splitmix64 over all four words) */
static void make_key(uint64_t n, unsigned char key[32])
{
	for (int i = 0; i < 4; i++) {
		uint64_t z = n * 4 + (uint64_t)i + 0x9e3779b97f4a7c15ull;

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		z ^= z >> 31;
		memcpy(key + 8 * i, &z, 8);
	}
}

static void test_hit_miss(void **state)
{
	struct ccauth_vcache *c = ccauth_vcache_new(16);
	struct mock_id a;
	unsigned char k1[32], k2[32];
	const struct ccauth_identity *got;

	(void)state;
	assert_non_null(c);
	init_id(&a, 1000);
	make_key(1, k1);
	make_key(2, k2);
	assert_null(ccauth_vcache_get(c, k1, 10));
	ccauth_vcache_put(c, k1, &a.pub);
	assert_int_equal(refs(&a), 2); /* the cache's own reference */
	got = ccauth_vcache_get(c, k1, 10);
	assert_ptr_not_equal(got, &a.pub);
	assert_int_equal(refs(&a), 2); /* a hit takes no reference: the caller has a copy */
	assert_ptr_equal(origin_of(got), &a);
	assert_null(ccauth_vcache_get(c, k2, 10));
	k2[0] = k1[0]; /* same shard and set bits differ only in the tail: still a miss */
	memcpy(k2, k1, 31);
	assert_null(ccauth_vcache_get(c, k2, 10));
	assert_null(ccauth_vcache_get(NULL, k1, 10));
	ccauth_vcache_put(NULL, k1, &a.pub);
	assert_int_equal(refs(&a), 2);
	ccauth_vcache_free(c);
	assert_int_equal(refs(&a), 1); /* free drops the cache's references */
	ccauth_vcache_free(NULL);
}

static void test_expiry(void **state)
{
	struct ccauth_vcache *c = ccauth_vcache_new(0);
	struct mock_id a;
	unsigned char k[32];

	(void)state;
	init_id(&a, 1000);
	make_key(7, k);
	ccauth_vcache_put(c, k, &a.pub);
	assert_ptr_equal(origin_of(ccauth_vcache_get(c, k, 999)), &a);
	assert_null(ccauth_vcache_get(c, k, 1000)); /* never at exp */
	assert_int_equal(refs(&a), 1);              /* and the stale entry is dropped */
	assert_null(ccauth_vcache_get(c, k, 999));  /* gone for good */
	ccauth_vcache_put(c, k, &a.pub);
	assert_null(ccauth_vcache_get(c, k, INT64_MAX));
	assert_int_equal(refs(&a), 1);
	ccauth_vcache_free(c);
	assert_int_equal(refs(&a), 1);
}

static void test_replace(void **state)
{
	struct ccauth_vcache *c = ccauth_vcache_new(64);
	struct mock_id a, b;
	unsigned char k[32];

	(void)state;
	init_id(&a, 1000);
	init_id(&b, 2000);
	make_key(9, k);
	ccauth_vcache_put(c, k, &a.pub);
	ccauth_vcache_put(c, k, &b.pub);
	assert_int_equal(refs(&a), 1);
	assert_int_equal(refs(&b), 2);
	assert_ptr_equal(origin_of(ccauth_vcache_get(c, k, 1500)), &b);
	ccauth_vcache_free(c);
	assert_int_equal(refs(&b), 1);
}

/* fill with far more keys than the capacity: entries held == capacity rounded up, never more */
static void fill_and_count(size_t capacity, int expect)
{
	enum { N = 20000 };
	struct mock_id *ids = calloc(N, sizeof(*ids));
	struct ccauth_vcache *c = ccauth_vcache_new(capacity);
	unsigned char k[32];
	long held = 0;

	assert_non_null(ids);
	assert_non_null(c);
	for (int i = 0; i < N; i++) {
		init_id(&ids[i], 100000 + i);
		make_key((uint64_t)i, k);
		ccauth_vcache_put(c, k, &ids[i].pub);
	}
	for (int i = 0; i < N; i++)
		held += refs(&ids[i]) - 1;
	assert_int_equal(held, expect);
	/* the newest entry survives: eviction takes the way that expires first */
	make_key(N - 1, k);
	assert_ptr_equal(origin_of(ccauth_vcache_get(c, k, 0)), &ids[N - 1]);
	ccauth_vcache_free(c);
	for (int i = 0; i < N; i++)
		assert_int_equal(refs(&ids[i]), 1);
	free(ids);
}

static void test_bounded(void **state)
{
	(void)state;
	fill_and_count(1, 64); /* minimum: 16 shards x 4 ways */
	fill_and_count(64, 64);
	fill_and_count(100, 128);
	fill_and_count(0, 4096); /* default */
}

static void test_evicts_expiring_first(void **state)
{
	struct ccauth_vcache *c = ccauth_vcache_new(64); /* one 4-way set per shard */
	struct mock_id ids[5];
	unsigned char keys[5][32];
	const struct ccauth_identity *got;
	uint64_t n = 0;

	(void)state;
	/* five keys for the same shard (one set per shard at this size) */
	for (int i = 0; i < 5; i++) {
		do
			make_key(n++, keys[i]);
		while ((keys[i][0] & 15) != 3);
	}
	init_id(&ids[0], 5000);
	init_id(&ids[1], 100); /* expires first: the victim */
	init_id(&ids[2], 6000);
	init_id(&ids[3], 7000);
	init_id(&ids[4], 8000);
	for (int i = 0; i < 5; i++)
		ccauth_vcache_put(c, keys[i], &ids[i].pub);
	assert_int_equal(refs(&ids[1]), 1);
	for (int i = 0; i < 5; i++) {
		got = ccauth_vcache_get(c, keys[i], 50);
		if (i == 1) {
			assert_null(got);
			continue;
		}
		assert_ptr_equal(origin_of(got), &ids[i]);
	}
	ccauth_vcache_free(c);
}

/* ---- a reader inside keeps what it found (epoch-based reclamation) */

static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int gate_inside, gate_open;

/* the copy hook of the slow reader: say it is inside, then wait to be let go */
static void gate(void)
{
	pthread_mutex_lock(&gate_mu);
	gate_inside = 1;
	pthread_cond_broadcast(&gate_cv);
	while (!gate_open)
		pthread_cond_wait(&gate_cv, &gate_mu);
	pthread_mutex_unlock(&gate_mu);
}

struct slow {
	struct ccauth_vcache *c;
	unsigned char key[32];
	const struct ccauth_identity *got;
	struct mock_id *id; /* churn: put this */
	int started, done;
};

static void *slow_reader(void *arg)
{
	struct slow *s = arg;

	s->got = ccauth_vcache_get(s->c, s->key, 10);
	return NULL;
}

static void *one_put(void *arg)
{
	struct slow *s = arg;

	__atomic_store_n(&s->started, 1, __ATOMIC_RELEASE);
	ccauth_vcache_put(s->c, s->key, &s->id->pub);
	__atomic_store_n(&s->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void test_reader_keeps_entry(void **state)
{
	enum { N = CCAUTH_VCACHE_RETIRED_MAX + 2 };
	struct mock_id *ids = calloc(N, sizeof(*ids));
	struct ccauth_vcache *c = ccauth_vcache_new(64);
	struct slow r = {.c = c}, w = {.c = c};
	pthread_t rt, wt;
	int held[3], writer_done;

	(void)state;
	assert_non_null(ids);
	for (int i = 0; i < N; i++)
		init_id(&ids[i], 1000 + i);
	make_key(5, r.key);
	memcpy(w.key, r.key, 32);
	ccauth_vcache_put(c, r.key, &ids[0].pub);

	/* a reader finds ids[0] and stays inside its copy */
	copy_hook = gate;
	assert_int_equal(pthread_create(&rt, NULL, slow_reader, &r), 0);
	pthread_mutex_lock(&gate_mu);
	while (!gate_inside)
		pthread_cond_wait(&gate_cv, &gate_mu);
	pthread_mutex_unlock(&gate_mu);

	/* replaced under it: retired, not released, while the reader is inside */
	for (int i = 1; i <= CCAUTH_VCACHE_RETIRED_MAX; i++)
		ccauth_vcache_put(c, r.key, &ids[i].pub);
	held[0] = refs(&ids[0]);
	held[1] = refs(&ids[CCAUTH_VCACHE_RETIRED_MAX - 1]);
	held[2] = refs(&ids[CCAUTH_VCACHE_RETIRED_MAX]); /* the current entry */

	/* one retired entry more than the bound: that writer waits for the reader */
	w.id = &ids[N - 1];
	assert_int_equal(pthread_create(&wt, NULL, one_put, &w), 0);
	while (!__atomic_load_n(&w.started, __ATOMIC_ACQUIRE))
		usleep(1000);
	usleep(200000);
	writer_done = __atomic_load_n(&w.done, __ATOMIC_ACQUIRE);

	/* let the reader go before asserting anything, so that a failure leaves no thread behind */
	pthread_mutex_lock(&gate_mu);
	gate_open = 1;
	pthread_cond_broadcast(&gate_cv);
	pthread_mutex_unlock(&gate_mu);
	assert_int_equal(pthread_join(rt, NULL), 0);
	assert_int_equal(pthread_join(wt, NULL), 0);
	copy_hook = NULL;
	assert_int_equal(held[0], 2);
	assert_int_equal(held[1], 2);
	assert_int_equal(held[2], 2);
	assert_int_equal(writer_done, 0);
	assert_ptr_equal(origin_of(r.got), &ids[0]);
	assert_int_equal(copied_unheld, 0);

	/* the reader has left: everything replaced is released, only the newest entry is held */
	for (int i = 0; i < N - 1; i++)
		assert_int_equal(refs(&ids[i]), 1);
	assert_int_equal(refs(&ids[N - 1]), 2);
	ccauth_vcache_free(c);
	assert_int_equal(refs(&ids[N - 1]), 1);
	free(ids);
}

/* the stress threads' copy hook: now and then a reader is descheduled inside, as in slapd */
static void sometimes_yield(void)
{
	static __thread unsigned n;

	if (++n % 64 == 0)
		sched_yield();
}

#define STRESS_IDS 512
#define STRESS_OPS 300000

struct stress {
	struct ccauth_vcache *c;
	struct mock_id *ids;
	unsigned seed;
	long hits;
	int bad;
};

static void *stress_thread(void *arg)
{
	struct stress *s = arg;
	unsigned char k[32];

	for (int i = 0; i < STRESS_OPS; i++) {
		unsigned r = s->seed = s->seed * 1103515245u + 12345u;
		unsigned which = (r >> 8) % STRESS_IDS;
		const struct ccauth_identity *got;

		make_key(which, k);
		if ((r >> 4) % 4 == 0) {
			ccauth_vcache_put(s->c, k, &s->ids[which].pub);
			continue;
		}
		got = ccauth_vcache_get(s->c, k, (r >> 20) % 2 ? 10 : 2000);
		if (got != NULL) {
			/* a copy of this key's identity, taken while the cache still held it */
			if (mock_of(got)->origin != &s->ids[which] || got->exp != s->ids[which].pub.exp ||
			    refs(mock_of(got)) != 1)
				s->bad++;
			s->hits++;
			ccauth_identity_release(got);
		}
	}
	return NULL;
}

static void test_two_threads(void **state)
{
	struct mock_id *ids = calloc(STRESS_IDS, sizeof(*ids));
	struct ccauth_vcache *c = ccauth_vcache_new(256); /* smaller than the key space: evictions race too */
	struct stress s[2] = {{c, ids, 1, 0, 0}, {c, ids, 2, 0, 0}};
	pthread_t t[2];

	(void)state;
	copied_unheld = 0;
	for (int i = 0; i < STRESS_IDS; i++)
		init_id(&ids[i], i % 2 ? 1000 : 3000);
	copy_hook = sometimes_yield;
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, stress_thread, &s[i]), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	copy_hook = NULL;
	assert_int_equal(s[0].bad + s[1].bad, 0);
	assert_int_equal(copied_unheld, 0);
	assert_true(s[0].hits > 0 && s[1].hits > 0);
	ccauth_vcache_free(c);
	for (int i = 0; i < STRESS_IDS; i++)
		assert_int_equal(refs(&ids[i]), 1); /* no reference leaked or lost */
	free(ids);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hit_miss),
	    cmocka_unit_test(test_expiry),
	    cmocka_unit_test(test_replace),
	    cmocka_unit_test(test_bounded),
	    cmocka_unit_test(test_evicts_expiring_first),
	    cmocka_unit_test(test_reader_keeps_entry),
	    cmocka_unit_test(test_two_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
