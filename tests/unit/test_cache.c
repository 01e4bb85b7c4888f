/* Disk cache: directory and file modes, refusal of symlinks, foreign owners and loose modes,
 * atomic replace, torn files, the lock helper. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cache.h"

struct fx {
	char root[64];
	char dir[128];  /* root/c: the cache_dir */
	char user[160]; /* root/c/uid-N */
	struct ccauth_cache *c;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct ccauth_error err;

	assert_non_null(f);
	snprintf(f->root, sizeof(f->root), "/tmp/ccauth-cache-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	snprintf(f->dir, sizeof(f->dir), "%s/c", f->root);
	snprintf(f->user, sizeof(f->user), "%s/uid-%lu", f->dir, (unsigned long)geteuid());
	/* our own cache_dir: we are its owner, so we create uid-N in it (as root does in the system
	 * one); without it a non-root run would fall back to ~/.cache/ccauth */
	assert_int_equal(mkdir(f->dir, 0755), 0);
	assert_int_equal(ccauth_cache_open(f->dir, NULL, &f->c, &err), CCAUTH_OK);
	assert_non_null(f->c);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	ccauth_cache_close(f->c);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void file_path(const struct fx *f, const char *key, char *out, size_t size)
{
	char hex[CCAUTH_CACHE_KEYHEX + 1];

	ccauth_cache_key(key, strlen(key), hex);
	snprintf(out, size, "%s/%s", f->user, hex);
}

static int count_entries(const char *dir)
{
	char cmd[256];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", dir);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%d", &n), 1);
	pclose(p);
	return n;
}

static void test_dir_modes(void **state)
{
	struct fx *f = *state;
	struct stat st;

	assert_int_equal(stat(f->dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	assert_int_equal(stat(f->user, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(st.st_uid, geteuid());
	assert_string_equal(ccauth_cache_dir(f->c), f->user);
}

static void test_key_is_sha256_hex(void **state)
{
	char hex[CCAUTH_CACHE_KEYHEX + 1];

	(void)state;
	ccauth_cache_key("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_roundtrip(void **state)
{
	struct fx *f = *state;
	struct ccauth_cache_entry e;
	struct ccauth_error err;
	char path[256];
	struct stat st;
	int found = -1;

	assert_int_equal(ccauth_cache_put(f->c, "k1", 2, "hello\0world", 11, 1000, 5000, &err), CCAUTH_OK);
	file_path(f, "k1", path, sizeof(path));
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(ccauth_cache_get(f->c, "k1", 2, &e, &found, &err), CCAUTH_OK);
	assert_int_equal(found, 1);
	assert_int_equal(e.len, 11);
	assert_memory_equal(e.data, "hello\0world", 11);
	assert_int_equal(e.data[11], '\0');
	assert_int_equal(e.expires, 1000);
	assert_int_equal(e.stale, 5000);
	ccauth_cache_entry_free(&e);
	assert_null(e.data);
	/* a stale time before the expiry is raised to it */
	assert_int_equal(ccauth_cache_put(f->c, "k1", 2, "x", 1, 2000, 10, &err), CCAUTH_OK);
	assert_int_equal(ccauth_cache_get(f->c, "k1", 2, &e, &found, &err), CCAUTH_OK);
	assert_int_equal(e.expires, 2000);
	assert_int_equal(e.stale, 2000);
	ccauth_cache_entry_free(&e);
	/* absent key */
	assert_int_equal(ccauth_cache_get(f->c, "nope", 4, &e, &found, &err), CCAUTH_OK);
	assert_int_equal(found, 0);
	assert_null(e.data);
	assert_int_equal(ccauth_cache_remove(f->c, "k1", 2, &err), CCAUTH_OK);
	assert_int_equal(ccauth_cache_get(f->c, "k1", 2, &e, &found, &err), CCAUTH_OK);
	assert_int_equal(found, 0);
	assert_int_equal(ccauth_cache_remove(f->c, "k1", 2, &err), CCAUTH_OK);
}

static void test_atomic_replace(void **state)
{
	struct fx *f = *state;
	struct ccauth_cache_entry e;
	struct ccauth_error err;
	struct stat a, b;
	char path[256];
	int found;

	file_path(f, "r", path, sizeof(path));
	assert_int_equal(ccauth_cache_put(f->c, "r", 1, "old", 3, 10, 10, &err), CCAUTH_OK);
	assert_int_equal(stat(path, &a), 0);
	assert_int_equal(ccauth_cache_put(f->c, "r", 1, "new!", 4, 20, 20, &err), CCAUTH_OK);
	assert_int_equal(stat(path, &b), 0);
	/* a new inode renamed over the old one, not the old file rewritten in place */
	assert_true(a.st_ino != b.st_ino);
	assert_int_equal(ccauth_cache_get(f->c, "r", 1, &e, &found, &err), CCAUTH_OK);
	assert_int_equal(found, 1);
	assert_int_equal(e.len, 4);
	assert_memory_equal(e.data, "new!", 4);
	ccauth_cache_entry_free(&e);
	/* no temp file left behind */
	assert_int_equal(count_entries(f->user), 1);
}

static void test_symlink_refused(void **state)
{
	struct fx *f = *state;
	struct ccauth_cache_entry e;
	struct ccauth_error err;
	char path[256], target[256];
	struct stat st;
	FILE *t;
	int found = -1;

	snprintf(target, sizeof(target), "%s/target", f->root);
	t = fopen(target, "w");
	assert_non_null(t);
	fputs("CCAUTH-CACHE 1 10 10 3\nabc", t);
	fclose(t);
	chmod(target, 0600);
	file_path(f, "s", path, sizeof(path));
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(ccauth_cache_get(f->c, "s", 1, &e, &found, &err), CCAUTH_OK);
	assert_int_equal(found, 0);
	assert_null(e.data);
	/* the link is gone, its target untouched */
	assert_int_equal(lstat(path, &st), -1);
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_size, 26);
	/* a write through a planted symlink replaces the link, never writes the target */
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(ccauth_cache_put(f->c, "s", 1, "zz", 2, 10, 10, &err), CCAUTH_OK);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_size, 26);
}

static void test_wrong_owner_refused(void **state)
{
	struct fx *f = *state;
	struct ccauth_cache_entry e;
	struct ccauth_error err;
	char path[256];
	struct stat st;
	int found = -1;

	if (geteuid() != 0)
		skip();
	assert_int_equal(ccauth_cache_put(f->c, "o", 1, "mine", 4, 10, 10, &err), CCAUTH_OK);
	file_path(f, "o", path, sizeof(path));
	assert_int_equal(chown(path, 1, 1), 0);
	assert_int_equal(ccauth_cache_get(f->c, "o", 1, &e, &found, &err), CCAUTH_OK);
	assert_int_equal(found, 0);
	assert_int_equal(lstat(path, &st), -1);
}

static void test_loose_mode_refused(void **state)
{
	struct fx *f = *state;
	struct ccauth_cache_entry e;
	struct ccauth_error err;
	char path[256];
	struct stat st;
	int found = -1;

	assert_int_equal(ccauth_cache_put(f->c, "m", 1, "data", 4, 10, 10, &err), CCAUTH_OK);
	file_path(f, "m", path, sizeof(path));
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(ccauth_cache_get(f->c, "m", 1, &e, &found, &err), CCAUTH_OK);
	assert_int_equal(found, 0);
	assert_int_equal(lstat(path, &st), -1);
}

static void test_torn_and_malformed_refused(void **state)
{
	static const char *const bad[] = {
	    "",                            /* empty (crash before write) */
	    "CCAUTH-CACHE 1 10 10 5\nabc", /* torn: shorter than the header says */
	    "CCAUTH-CACHE 1 10 10 2\nabc", /* longer */
	    "CCAUTH-CACHE 2 10 10 3\nabc", /* other version */
	    "CCAUTH-CACHE 1 -1 10 3\nabc", /* sign */
	    "CCAUTH-CACHE 1 20 10 3\nabc", /* stale before expiry */
	    "CCAUTH-CACHE 1 99999999999999999999 10 3\nabc",
	};
	struct fx *f = *state;
	struct ccauth_cache_entry e;
	struct ccauth_error err;
	char path[256];
	struct stat st;
	FILE *t;
	int found;

	file_path(f, "t", path, sizeof(path));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = fopen(path, "w");
		assert_non_null(t);
		fputs(bad[i], t);
		fclose(t);
		assert_int_equal(chmod(path, 0600), 0);
		found = -1;
		assert_int_equal(ccauth_cache_get(f->c, "t", 1, &e, &found, &err), CCAUTH_OK);
		assert_int_equal(found, 0);
		assert_int_equal(lstat(path, &st), -1);
	}
}

static void test_size_cap(void **state)
{
	struct fx *f = *state;
	struct ccauth_error err;
	char *big = calloc(1, CCAUTH_CACHE_MAX_ENTRY + 1);

	assert_non_null(big);
	assert_int_equal(ccauth_cache_put(f->c, "b", 1, big, CCAUTH_CACHE_MAX_ENTRY + 1, 1, 1, &err),
	                 CCAUTH_E_INTERNAL);
	assert_int_equal(ccauth_cache_put(f->c, "b", 1, big, CCAUTH_CACHE_MAX_ENTRY, 1, 1, &err), CCAUTH_OK);
	free(big);
}

/* The path of the one entry of dir whose name starts with prefix, or "" */
static void find_prefixed(const char *dir, const char *prefix, char *out, size_t size)
{
	char cmd[320];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' | grep '^%s' | head -1", dir, prefix);
	p = popen(cmd, "r");
	assert_non_null(p);
	out[0] = '\0';
	if (fgets(out, (int)size, p) != NULL)
		out[strcspn(out, "\n")] = '\0';
	pclose(p);
}

static void test_user_dir_checks(void **state)
{
	struct fx *f = *state;
	struct ccauth_cache *c2 = NULL;
	struct ccauth_error err;
	char aside[128];
	struct stat st;

	/* a loose mode on our own directory is tightened */
	assert_int_equal(chmod(f->user, 0755), 0);
	assert_int_equal(ccauth_cache_open(f->dir, NULL, &c2, &err), CCAUTH_OK);
	ccauth_cache_close(c2);
	assert_int_equal(stat(f->user, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	if (geteuid() == 0) {
		/* uid-N owned by someone else (squatted while cache_dir was open to all): the owner of
		 * cache_dir moves it aside and makes its own */
		assert_int_equal(chown(f->user, 1, 1), 0);
		assert_int_equal(ccauth_cache_open(f->dir, NULL, &c2, &err), CCAUTH_OK);
		assert_non_null(c2);
		ccauth_cache_close(c2);
		assert_int_equal(stat(f->user, &st), 0);
		assert_int_equal(st.st_uid, 0);
		assert_int_equal(st.st_mode & 07777, 0700);
		find_prefixed(f->dir, ".refused-uid-", aside, sizeof(aside));
		assert_true(aside[0] != '\0');
	}
	/* a cache_dir writable by others (the old 01777 layout) is tightened by its owner to 0711 */
	assert_int_equal(chmod(f->dir, 0777), 0);
	assert_int_equal(ccauth_cache_open(f->dir, NULL, &c2, &err), CCAUTH_OK);
	ccauth_cache_close(c2);
	assert_int_equal(stat(f->dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0711);
	assert_int_equal(chmod(f->dir, 01777), 0);
	assert_int_equal(ccauth_cache_open(f->dir, NULL, &c2, &err), CCAUTH_OK);
	ccauth_cache_close(c2);
	assert_int_equal(stat(f->dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0711);
}

/* Root creates a missing cache_dir 0711 (the tmpfiles line in README says the same). */
static void test_missing_dir_created_by_root(void **state)
{
	struct fx *f = *state;
	struct ccauth_cache *c2 = NULL;
	struct ccauth_error err;
	char dir2[128];
	struct stat st;

	if (geteuid() != 0)
		skip();
	snprintf(dir2, sizeof(dir2), "%s/new", f->root);
	assert_int_equal(ccauth_cache_open(dir2, NULL, &c2, &err), CCAUTH_OK);
	ccauth_cache_close(c2);
	assert_int_equal(stat(dir2, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0711);
	assert_int_equal(st.st_uid, 0);
}

static void test_user_dir_symlink_refused(void **state)
{
	struct fx *f = *state;
	struct ccauth_cache *c2 = NULL;
	struct ccauth_error err;
	char dir2[128], other[160], link[192], aside[128];
	struct stat st;

	/* a symlink squatting uid-N in a cache_dir we own: moved aside, never followed */
	snprintf(dir2, sizeof(dir2), "%s/c2", f->root);
	snprintf(other, sizeof(other), "%s/elsewhere", f->root);
	snprintf(link, sizeof(link), "%s/uid-%lu", dir2, (unsigned long)geteuid());
	assert_int_equal(mkdir(dir2, 0755), 0);
	assert_int_equal(mkdir(other, 0700), 0);
	assert_int_equal(symlink(other, link), 0);
	assert_int_equal(ccauth_cache_open(dir2, NULL, &c2, &err), CCAUTH_OK);
	assert_non_null(c2);
	assert_int_equal(ccauth_cache_put(c2, "k", 1, "v", 1, 1, 1, &err), CCAUTH_OK);
	ccauth_cache_close(c2);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(count_entries(other), 0);
	find_prefixed(dir2, ".refused-uid-", aside, sizeof(aside));
	assert_true(aside[0] != '\0');
}

/* The file envelope (the fuzz target's contract). */
static void test_entry_parse(void **state)
{
	static const struct {
		const char *in;
		int ok;
	} cases[] = {
	    {"CCAUTH-CACHE 1 10 20 3\nabc", 1},
	    {"CCAUTH-CACHE 1 10 20 0\n", 1},
	    {"CCAUTH-CACHE 1 10 20 4\nabc", 0},
	    {"CCAUTH-CACHE 1 10 20 2\nabc", 0},
	    {"CCAUTH-CACHE 1 20 10 3\nabc", 0},
	    {"CCAUTH-CACHE 2 10 20 3\nabc", 0},
	    {"CCAUTH-CACHE 1 -1 20 3\nabc", 0},
	    {"CCAUTH-CACHE 1 10 20 3 abc", 0},
	    {"CCAUTH-CACHE 1 99999999999999999999 99999999999999999999 0\n", 0},
	    {"CCAUTH-CACHE 1 ", 0},
	    {"", 0},
	};
	int64_t exp, stale;
	const char *d;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = ccauth_cache_entry_parse(cases[i].in, strlen(cases[i].in), &exp, &stale, &d, &n);
		assert_int_equal(rc == 0, cases[i].ok);
	}
	assert_int_equal(ccauth_cache_entry_parse("CCAUTH-CACHE 1 10 20 3\nabc", 26, &exp, &stale, &d, &n), 0);
	assert_int_equal(exp, 10);
	assert_int_equal(stale, 20);
	assert_int_equal(n, 3);
	assert_memory_equal(d, "abc", 3);
}

static void test_null_cache(void **state)
{
	struct ccauth_cache *c = (struct ccauth_cache *)1;
	struct ccauth_cache_entry e;
	struct ccauth_cache_lock l;
	struct ccauth_error err;
	int found = -1;

	(void)state;
	assert_int_equal(ccauth_cache_open("", NULL, &c, &err), CCAUTH_OK);
	assert_null(c);
	assert_int_equal(ccauth_cache_put(NULL, "k", 1, "v", 1, 1, 1, &err), CCAUTH_OK);
	assert_int_equal(ccauth_cache_get(NULL, "k", 1, &e, &found, &err), CCAUTH_OK);
	assert_int_equal(found, 0);
	assert_int_equal(ccauth_cache_lock(NULL, "k", 1, 0, &l, &err), CCAUTH_OK);
	assert_int_equal(l.fd, -1);
	ccauth_cache_unlock(&l);
	assert_null(ccauth_cache_dir(NULL));
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_lock(void **state)
{
	struct fx *f = *state;
	struct ccauth_cache_lock a, b;
	struct ccauth_error err;
	double t0, dt;

	assert_int_equal(ccauth_cache_lock(f->c, "tok", 3, 0, &a, &err), CCAUTH_OK);
	assert_true(a.fd >= 0);
	/* held: a second taker (own descriptor, as another process would) waits, then gives up */
	t0 = now_s();
	assert_int_equal(ccauth_cache_lock(f->c, "tok", 3, 100, &b, &err), CCAUTH_E_UNAVAILABLE);
	dt = now_s() - t0;
	assert_int_equal(b.fd, -1);
	assert_true(dt >= 0.09 && dt < 1.0);
	/* another key is independent */
	assert_int_equal(ccauth_cache_lock(f->c, "other", 5, 0, &b, &err), CCAUTH_OK);
	ccauth_cache_unlock(&b);
	ccauth_cache_unlock(&a);
	assert_int_equal(a.fd, -1);
	assert_int_equal(ccauth_cache_lock(f->c, "tok", 3, 0, &b, &err), CCAUTH_OK);
	ccauth_cache_unlock(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_dir_modes, setup, teardown),
	    cmocka_unit_test(test_key_is_sha256_hex),
	    cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_atomic_replace, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_symlink_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wrong_owner_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_loose_mode_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_torn_and_malformed_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_size_cap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_user_dir_checks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_user_dir_symlink_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_missing_dir_created_by_root, setup, teardown),
	    cmocka_unit_test(test_entry_parse),
	    cmocka_unit_test(test_null_cache),
	    cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
