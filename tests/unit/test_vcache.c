/* The validated-token cache in isolation.  The identity reference functions are replaced here by
 * counting ones (the core's validate.o is then not linked in), so every reference the cache takes
 * or drops is visible. */
#include "autoconf.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vcache.h"

struct mock_id {
	int refs;
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
	if (id != NULL)
		__atomic_sub_fetch(&mock_of(id)->refs, 1, __ATOMIC_ACQ_REL);
}

static int refs(const struct mock_id *m)
{
	return __atomic_load_n(&m->refs, __ATOMIC_ACQUIRE);
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
	assert_ptr_equal(got, &a.pub);
	assert_int_equal(refs(&a), 3); /* the caller's reference */
	ccauth_identity_release(got);
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
	const struct ccauth_identity *got;

	(void)state;
	init_id(&a, 1000);
	make_key(7, k);
	ccauth_vcache_put(c, k, &a.pub);
	got = ccauth_vcache_get(c, k, 999);
	assert_ptr_equal(got, &a.pub);
	ccauth_identity_release(got);
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
	const struct ccauth_identity *got;

	(void)state;
	init_id(&a, 1000);
	init_id(&b, 2000);
	make_key(9, k);
	ccauth_vcache_put(c, k, &a.pub);
	ccauth_vcache_put(c, k, &b.pub);
	assert_int_equal(refs(&a), 1);
	assert_int_equal(refs(&b), 2);
	got = ccauth_vcache_get(c, k, 1500);
	assert_ptr_equal(got, &b.pub);
	ccauth_identity_release(got);
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
	const struct ccauth_identity *got;
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
	got = ccauth_vcache_get(c, k, 0);
	assert_ptr_equal(got, &ids[N - 1].pub);
	ccauth_identity_release(got);
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
		assert_ptr_equal(got, &ids[i].pub);
		ccauth_identity_release(got);
	}
	ccauth_vcache_free(c);
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
			if (got != &s->ids[which].pub || refs(mock_of(got)) < 2)
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
	for (int i = 0; i < STRESS_IDS; i++)
		init_id(&ids[i], i % 2 ? 1000 : 3000);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, stress_thread, &s[i]), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(s[0].bad + s[1].bad, 0);
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
	    cmocka_unit_test(test_two_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
