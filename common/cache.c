/* Per-user disk cache, see cache.h.
 *
 * No fsync before rename: the cache only saves network round trips.  After a crash a file may be
 * empty or torn; the header records the data length, so such a file is refused and removed, and
 * the caller fetches again.  Paying an fsync on every token or JWKS write would cost more than
 * that rare refetch.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>
#include <openssl/sha.h>

#include "cache.h"
#include "util.h"

#define MAGIC        "CCAUTH-CACHE 1 "
#define HEADER_MAX   96
#define LOCK_POLL_MS 10

struct ccauth_cache {
	int dirfd; /* cache_dir/uid-N, checked at open */
	char *path;
	const struct ccauth_log *log;
};

void ccauth_cache_key(const char *key, size_t keylen, char out[CCAUTH_CACHE_KEYHEX + 1])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256((const unsigned char *)key, keylen, md);
	ccauth_hex_encode(md, sizeof(md), out);
}

static enum ccauth_status open_parent(const char *dir, struct ccauth_error *err, int *out)
{
	struct stat st;
	int fd;

	if (mkdir(dir, 01777) == 0) {
		/* mkdir is subject to the umask; the sticky world-writable mode is intended */
		if (chmod(dir, 01777) != 0)
			return ccauth_error_set(err, CCAUTH_E_CONFIG, "cache_dir %s: cannot set its mode", dir);
	} else if (errno != EEXIST) {
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "cache_dir %s: cannot create it (errno %d)", dir, errno);
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "cache_dir %s: not a directory or a symlink", dir);
	if (fstat(fd, &st) != 0 || (st.st_uid != 0 && st.st_uid != geteuid()) ||
	    ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 && (st.st_mode & S_ISVTX) == 0)) {
		close(fd);
		return ccauth_error_set(
		    err, CCAUTH_E_CONFIG,
		    "cache_dir %s: refused (owner must be root or us; writable by others only if sticky)", dir);
	}
	*out = fd;
	return CCAUTH_OK;
}

enum ccauth_status ccauth_cache_open(const char *cache_dir, const struct ccauth_log *log, struct ccauth_cache **out,
                                     struct ccauth_error *err)
{
	char name[32];
	struct ccauth_cache *c;
	enum ccauth_status st;
	struct stat sb;
	size_t dl;
	int pfd = -1, fd;

	*out = NULL;
	if (cache_dir == NULL || cache_dir[0] == '\0')
		return CCAUTH_OK;
	if ((st = open_parent(cache_dir, err, &pfd)) != CCAUTH_OK)
		return st;
	snprintf(name, sizeof(name), "uid-%lu", (unsigned long)geteuid());
	if (mkdirat(pfd, name, 0700) != 0 && errno != EEXIST) {
		close(pfd);
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "cache_dir %s/%s: cannot create it (errno %d)", cache_dir,
		                        name, errno);
	}
	fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	close(pfd);
	if (fd < 0)
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "cache_dir %s/%s: not a directory or a symlink",
		                        cache_dir, name);
	if (fstat(fd, &sb) != 0 || sb.st_uid != geteuid()) {
		close(fd);
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "cache_dir %s/%s: refused, not owned by uid %lu",
		                        cache_dir, name, (unsigned long)geteuid());
	}
	if ((sb.st_mode & 077) != 0) {
		/* ours: tightening it is safe, and every file in it is checked on its own anyway */
		if (fchmod(fd, 0700) != 0) {
			close(fd);
			return ccauth_error_set(err, CCAUTH_E_CONFIG, "cache_dir %s/%s: mode %03o cannot be fixed",
			                        cache_dir, name, (unsigned)(sb.st_mode & 0777));
		}
		ccauth_log(log, LOG_WARNING, "cache: %s/%s had mode %03o, set to 0700", cache_dir, name,
		           (unsigned)(sb.st_mode & 0777));
	}
	c = calloc(1, sizeof(*c));
	dl = strlen(cache_dir);
	if (c == NULL || (c->path = malloc(dl + 1 + strlen(name) + 1)) == NULL) {
		free(c);
		close(fd);
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	}
	memcpy(c->path, cache_dir, dl);
	c->path[dl] = '/';
	memcpy(c->path + dl + 1, name, strlen(name) + 1);
	c->dirfd = fd;
	c->log = log;
	*out = c;
	return CCAUTH_OK;
}

void ccauth_cache_close(struct ccauth_cache *c)
{
	if (c == NULL)
		return;
	close(c->dirfd);
	free(c->path);
	free(c);
}

const char *ccauth_cache_dir(const struct ccauth_cache *c)
{
	return c != NULL ? c->path : NULL;
}

void ccauth_cache_entry_free(struct ccauth_cache_entry *e)
{
	if (e == NULL)
		return;
	if (e->data != NULL)
		ccauth_free_secret(e->data, e->len + 1);
	memset(e, 0, sizeof(*e));
}

/* A non-negative decimal ending at a space or newline; *p advanced past the terminator. */
static int parse_num(const char **p, const char *end, char term, int64_t *out)
{
	int64_t v = 0;
	const char *s = *p;

	if (s >= end || *s < '0' || *s > '9')
		return -1;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		if (v > (INT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	if (s >= end || *s != term)
		return -1;
	*p = s + 1;
	*out = v;
	return 0;
}

/* Remove a refused file: safe, the directory is ours and 0700, unlinkat never follows. */
static void refuse(struct ccauth_cache *c, const char *name, const char *why)
{
	int rc = unlinkat(c->dirfd, name, 0);

	ccauth_log(c->log, LOG_WARNING, "cache: %s/%s refused (%s)%s", c->path, name, why, rc == 0 ? ", removed" : "");
}

enum ccauth_status ccauth_cache_get(struct ccauth_cache *c, const char *key, size_t keylen,
                                    struct ccauth_cache_entry *e, int *found, struct ccauth_error *err)
{
	char name[CCAUTH_CACHE_KEYHEX + 1];
	int64_t exp, stale, len;
	const char *p, *end;
	size_t got = 0;
	struct stat st;
	char *buf;
	int fd;

	memset(e, 0, sizeof(*e));
	*found = 0;
	if (c == NULL)
		return CCAUTH_OK;
	ccauth_cache_key(key, keylen, name);
	fd = openat(c->dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ELOOP)
			refuse(c, name, "symlink");
		else if (errno != ENOENT)
			ccauth_log(c->log, LOG_WARNING, "cache: %s/%s cannot be opened (errno %d)", c->path, name,
			           errno);
		return CCAUTH_OK;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		refuse(c, name, "not a regular file");
		return CCAUTH_OK;
	}
	if (st.st_uid != geteuid()) {
		close(fd);
		refuse(c, name, "wrong owner");
		return CCAUTH_OK;
	}
	if ((st.st_mode & 077) != 0) {
		close(fd);
		refuse(c, name, "mode allows group or others");
		return CCAUTH_OK;
	}
	if (st.st_size < (off_t)sizeof(MAGIC) || st.st_size > HEADER_MAX + CCAUTH_CACHE_MAX_ENTRY) {
		close(fd);
		refuse(c, name, "bad size");
		return CCAUTH_OK;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		close(fd);
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	end = buf + got;
	p = buf + sizeof(MAGIC) - 1;
	if (got != (size_t)st.st_size || memcmp(buf, MAGIC, sizeof(MAGIC) - 1) != 0 ||
	    parse_num(&p, end, ' ', &exp) != 0 || parse_num(&p, end, ' ', &stale) != 0 ||
	    parse_num(&p, end, '\n', &len) != 0 || len != end - p || stale < exp) {
		ccauth_free_secret(buf, (size_t)st.st_size + 1);
		refuse(c, name, "malformed or torn");
		return CCAUTH_OK;
	}
	/* the data moves to the front of the buffer, which is handed over */
	memmove(buf, p, (size_t)len);
	memset(buf + len, 0, (size_t)st.st_size + 1 - (size_t)len);
	e->data = buf;
	e->len = (size_t)len;
	e->expires = (time_t)exp;
	e->stale = (time_t)stale;
	*found = 1;
	return CCAUTH_OK;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

enum ccauth_status ccauth_cache_put(struct ccauth_cache *c, const char *key, size_t keylen, const void *data,
                                    size_t len, time_t expires, time_t stale, struct ccauth_error *err)
{
	char name[CCAUTH_CACHE_KEYHEX + 1], tmp[CCAUTH_CACHE_KEYHEX + 32], hdr[HEADER_MAX];
	unsigned char rnd[4];
	int fd, hl, ok;

	if (c == NULL)
		return CCAUTH_OK;
	if (len > CCAUTH_CACHE_MAX_ENTRY)
		return ccauth_error_set(err, CCAUTH_E_INTERNAL, "cache: entry of %zu bytes too large", len);
	if (expires < 0)
		expires = 0;
	if (stale < expires)
		stale = expires;
	ccauth_cache_key(key, keylen, name);
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		memset(rnd, 0, sizeof(rnd));
	snprintf(tmp, sizeof(tmp), ".tmp-%.16s-%lu-%02x%02x%02x%02x", name, (unsigned long)getpid(), rnd[0], rnd[1],
	         rnd[2], rnd[3]);
	hl = snprintf(hdr, sizeof(hdr), MAGIC "%lld %lld %zu\n", (long long)expires, (long long)stale, len);
	if (hl < 0 || (size_t)hl >= sizeof(hdr))
		return ccauth_error_set(err, CCAUTH_E_INTERNAL, "cache: header too long");
	fd = openat(c->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return ccauth_error_set(err, CCAUTH_E_UNAVAILABLE, "cache: cannot create a file in %s (errno %d)",
		                        c->path, errno);
	ok = fchmod(fd, 0600) == 0 && write_all(fd, hdr, (size_t)hl) == 0 && write_all(fd, data, len) == 0;
	ok = close(fd) == 0 && ok;
	if (!ok || renameat(c->dirfd, tmp, c->dirfd, name) != 0) {
		int e = errno;

		unlinkat(c->dirfd, tmp, 0);
		return ccauth_error_set(err, CCAUTH_E_UNAVAILABLE, "cache: cannot write %s/%s (errno %d)", c->path,
		                        name, e);
	}
	return CCAUTH_OK;
}

enum ccauth_status ccauth_cache_remove(struct ccauth_cache *c, const char *key, size_t keylen, struct ccauth_error *err)
{
	char name[CCAUTH_CACHE_KEYHEX + 1];

	if (c == NULL)
		return CCAUTH_OK;
	ccauth_cache_key(key, keylen, name);
	if (unlinkat(c->dirfd, name, 0) != 0 && errno != ENOENT)
		return ccauth_error_set(err, CCAUTH_E_UNAVAILABLE, "cache: cannot remove %s/%s (errno %d)", c->path,
		                        name, errno);
	return CCAUTH_OK;
}

enum ccauth_status ccauth_cache_lock(struct ccauth_cache *c, const char *key, size_t keylen, int wait_ms,
                                     struct ccauth_cache_lock *l, struct ccauth_error *err)
{
	char name[CCAUTH_CACHE_KEYHEX + 6];
	struct timespec ts = {0, LOCK_POLL_MS * 1000000L};
	struct stat st;
	int fd, waited = 0;

	l->fd = -1;
	if (c == NULL)
		return CCAUTH_OK;
	ccauth_cache_key(key, keylen, name);
	memcpy(name + CCAUTH_CACHE_KEYHEX, ".lock", 6);
	fd = openat(c->dirfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno == ELOOP) {
		refuse(c, name, "symlink");
		fd = openat(c->dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	}
	if (fd < 0)
		return ccauth_error_set(err, CCAUTH_E_UNAVAILABLE, "cache: cannot open lock %s/%s (errno %d)", c->path,
		                        name, errno);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		close(fd);
		refuse(c, name, "lock file not ours");
		return ccauth_error_set(err, CCAUTH_E_UNAVAILABLE, "cache: lock %s/%s refused", c->path, name);
	}
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			l->fd = fd;
			return CCAUTH_OK;
		}
		if (errno != EWOULDBLOCK && errno != EINTR)
			break;
		if (waited >= wait_ms) {
			close(fd);
			return ccauth_error_set(err, CCAUTH_E_UNAVAILABLE, "cache: lock busy after %d ms", waited);
		}
		nanosleep(&ts, NULL);
		waited += LOCK_POLL_MS;
	}
	waited = errno;
	close(fd);
	return ccauth_error_set(err, CCAUTH_E_UNAVAILABLE, "cache: flock failed (errno %d)", waited);
}

void ccauth_cache_unlock(struct ccauth_cache_lock *l)
{
	if (l == NULL || l->fd < 0)
		return;
	/* closing the descriptor releases the flock */
	close(l->fd);
	l->fd = -1;
}
