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
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "cache.h"
#include "deadline.h"
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
	unsigned char md[32] = {0};

	/* should hashing fail (it cannot without EVP, which only OpenSSL built without its deprecated
	 * API falls back to), a random name: an entry no other key finds rather than a shared one */
	if (ccauth_sha256(key, keylen, md) != 0)
		(void)RAND_bytes(md, sizeof(md));
	ccauth_hex_encode(md, sizeof(md), out);
}

/* Layout (issue #12: no user may disable or poison another uid's cache, root's included).
 *
 * cache_dir is owned by root (or by the one user who configured a private cache_dir) and is not
 * writable by anyone else: 0711 when ccauth creates it, and systemd-tmpfiles creates it so too
 * ("d /var/cache/ccauth 0711 root root -", README).  The per-uid directory cache_dir/uid-N (0700,
 * owned by N) is created only by the owner of cache_dir: root makes its own uid-0 on first use,
 * and an administrator provisions uid-N for a service account that should share the system
 * cache (install -d -o USER -m 0700, or a tmpfiles "d" line).  Nobody else can write in
 * cache_dir, so nobody can pre-create, replace or point a symlink at another uid's directory:
 * the /run/user/UID model (made by a privileged component, never by the user next door).
 *
 * A user whose cache_dir/uid-N does not exist, or cannot be used, falls back to a location that
 * only that user controls: ~/.cache/ccauth (home from the password database, never from $HOME or
 * $XDG_CACHE_HOME: the environment is the caller's in a setuid program, and one location per
 * user keeps single flight across cron jobs, sessions and daemons).  No usable home: memory only.
 *
 * Upgrades from the old layout (cache_dir 01777, users making their own uid-N): the owner of
 * cache_dir tightens it to 0711, and a uid-N that is not a directory owned by N (someone
 * squatted it) is renamed aside and made anew; for other users the old 01777 directory is not
 * theirs and not safe, so they use their fallback until root has run once. */
#define CACHE_DIR_MODE 0711

static const char missing[] = "does not exist";

/* Open dir as a directory (never following a symlink at its last component) and check it:
 * owned by euid, and (when strict) no group/other write.  Returns the fd or -1 (why set). */
static int open_own_dir(int at, const char *name, uid_t euid, int fix_mode, const char **why)
{
	struct stat st;
	int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0) {
		*why = errno == ENOENT ? missing : "not a directory, or a symlink";
		return -1;
	}
	if (fstat(fd, &st) != 0 || st.st_uid != euid) {
		close(fd);
		*why = "not owned by us";
		return -1;
	}
	if ((st.st_mode & 077) != 0 && fix_mode) {
		/* ours: tightening it is safe, and every file in it is checked on its own anyway */
		if (fchmod(fd, 0700) != 0) {
			close(fd);
			*why = "its mode cannot be fixed";
			return -1;
		}
	} else if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		close(fd);
		*why = "writable by group or others";
		return -1;
	}
	return fd;
}

/* cache_dir itself.  Others may only search a 0711 directory, not read it: O_PATH is enough for
 * fstat and the *at calls (only the owner, who can read it, ever needs fchmod). */
static int open_parent(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 && errno == EACCES)
		fd = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd;
}

/* cache_dir/uid-N.  *fd >= 0 on success; else why names the reason. */
static enum ccauth_status open_system(const char *dir, const char *name, uid_t euid, const struct ccauth_log *log,
                                      int *out, struct ccauth_error *err)
{
	struct stat st;
	const char *why = NULL;
	int pfd, fd, owner;

	*out = -1;
	pfd = open_parent(dir);
	if (pfd < 0 && errno == ENOENT && euid == 0) {
		/* only root creates a missing cache_dir; mkdir is subject to the umask */
		if (mkdir(dir, CACHE_DIR_MODE) != 0 && errno != EEXIST)
			return ccauth_error_set(err, CCAUTH_E_CONFIG, "cache_dir %s: cannot create it (errno %d)", dir,
			                        errno);
		pfd = open_parent(dir);
	}
	if (pfd < 0)
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "cache_dir %s: %s", dir,
		                        errno == ENOENT ? "does not exist" : "not a directory, or a symlink");
	if (fstat(pfd, &st) != 0 || (st.st_uid != 0 && st.st_uid != euid)) {
		close(pfd);
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "cache_dir %s: refused (owner must be root or us)", dir);
	}
	owner = st.st_uid == euid;
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		if (!owner || fchmod(pfd, CACHE_DIR_MODE) != 0) {
			close(pfd);
			return ccauth_error_set(err, CCAUTH_E_CONFIG,
			                        "cache_dir %s: refused (mode %04o: writable by others; its owner "
			                        "tightens it to %04o on its next use)",
			                        dir, (unsigned)(st.st_mode & 07777), CACHE_DIR_MODE);
		}
		ccauth_log(log, LOG_WARNING,
		           "cache: %s had mode %04o (anyone could squat another uid's directory), "
		           "set to %04o",
		           dir, (unsigned)(st.st_mode & 07777), CACHE_DIR_MODE);
	}
	fd = open_own_dir(pfd, name, euid, 1, &why);
	if (fd < 0 && owner) {
		if (why != missing) {
			/* made by someone else while cache_dir was open to all (old layout): move it aside;
			 * only we can write in cache_dir, so it cannot come back */
			char aside[64];
			unsigned char rnd[4] = {0};

			(void)RAND_bytes(rnd, sizeof(rnd));
			snprintf(aside, sizeof(aside), ".refused-%s-%02x%02x%02x%02x", name, rnd[0], rnd[1], rnd[2],
			         rnd[3]);
			if (renameat(pfd, name, pfd, aside) != 0) {
				close(pfd);
				return ccauth_error_set(err, CCAUTH_E_CONFIG,
				                        "cache_dir %s/%s: %s, cannot move it aside", dir, name, why);
			}
			ccauth_log(log, LOG_WARNING, "cache: %s/%s %s: moved aside to %s/%s", dir, name, why, dir,
			           aside);
		}
		if (mkdirat(pfd, name, 0700) != 0 && errno != EEXIST) {
			close(pfd);
			return ccauth_error_set(err, CCAUTH_E_CONFIG, "cache_dir %s/%s: cannot create it (errno %d)",
			                        dir, name, errno);
		}
		fd = open_own_dir(pfd, name, euid, 1, &why);
	}
	close(pfd);
	if (fd < 0)
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "cache_dir %s/%s: %s%s", dir, name, why,
		                        owner ? "" : " (only the owner of cache_dir creates it)");
	*out = fd;
	return CCAUTH_OK;
}

/* ~/.cache/ccauth of the effective uid, from the password database. */
static enum ccauth_status open_home(uid_t euid, char **path, int *out, struct ccauth_error *err)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	const char *why = NULL;
	int hfd = -1, cfd = -1, fd = -1;
	size_t hl;

	*out = -1;
	if (getpwuid_r(euid, &pw, buf, sizeof(buf), &res) != 0 || res == NULL || pw.pw_dir == NULL ||
	    pw.pw_dir[0] != '/')
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "uid %lu has no home directory", (unsigned long)euid);
	/* the home itself may be reached through a symlink the administrator made */
	hfd = open(pw.pw_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (hfd >= 0) {
		struct stat st;

		if (fstat(hfd, &st) != 0 || st.st_uid != euid || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
			why = "home directory not ours, or writable by others";
		else if (mkdirat(hfd, ".cache", 0700) != 0 && errno != EEXIST)
			why = "cannot create ~/.cache";
		else if ((cfd = open_own_dir(hfd, ".cache", euid, 0, &why)) >= 0) {
			if (mkdirat(cfd, "ccauth", 0700) != 0 && errno != EEXIST)
				why = "cannot create ~/.cache/ccauth";
			else
				fd = open_own_dir(cfd, "ccauth", euid, 1, &why);
		}
	} else {
		why = "home directory cannot be opened";
	}
	if (hfd >= 0)
		close(hfd);
	if (cfd >= 0)
		close(cfd);
	if (fd < 0)
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "%s/.cache/ccauth: %s", pw.pw_dir,
		                        why != NULL ? why : "unusable");
	hl = strlen(pw.pw_dir);
	if ((*path = malloc(hl + sizeof("/.cache/ccauth"))) == NULL) {
		close(fd);
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	}
	memcpy(*path, pw.pw_dir, hl);
	memcpy(*path + hl, "/.cache/ccauth", sizeof("/.cache/ccauth"));
	*out = fd;
	return CCAUTH_OK;
}

enum ccauth_status ccauth_cache_open(const char *cache_dir, const struct ccauth_log *log, struct ccauth_cache **out,
                                     struct ccauth_error *err)
{
	struct ccauth_error serr, herr;
	char name[32], *path = NULL;
	struct ccauth_cache *c;
	uid_t euid = geteuid();
	int fd = -1;

	*out = NULL;
	if (cache_dir == NULL || cache_dir[0] == '\0')
		return CCAUTH_OK;
	snprintf(name, sizeof(name), "uid-%lu", (unsigned long)euid);
	if (open_system(cache_dir, name, euid, log, &fd, &serr) == CCAUTH_OK) {
		size_t dl = strlen(cache_dir);

		if ((path = malloc(dl + 1 + strlen(name) + 1)) == NULL) {
			close(fd);
			return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
		}
		memcpy(path, cache_dir, dl);
		path[dl] = '/';
		memcpy(path + dl + 1, name, strlen(name) + 1);
	} else if (open_home(euid, &path, &fd, &herr) == CCAUTH_OK) {
		ccauth_log(log, LOG_DEBUG, "cache: %s; using %s", serr.msg, path);
	} else {
		if (herr.code == CCAUTH_E_NOMEM)
			return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "%s; and %s", serr.msg, herr.msg);
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		free(path);
		close(fd);
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	}
	c->path = path;
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

int ccauth_cache_entry_parse(const char *buf, size_t len, int64_t *expires, int64_t *stale, const char **data,
                             size_t *datalen)
{
	const char *p = buf + sizeof(MAGIC) - 1, *end = buf + len;
	int64_t n;

	if (len < sizeof(MAGIC) - 1 || memcmp(buf, MAGIC, sizeof(MAGIC) - 1) != 0 ||
	    parse_num(&p, end, ' ', expires) != 0 || parse_num(&p, end, ' ', stale) != 0 ||
	    parse_num(&p, end, '\n', &n) != 0 || n != end - p || *stale < *expires)
		return -1;
	*data = p;
	*datalen = (size_t)n;
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
	int64_t exp, stale;
	const char *data;
	size_t got = 0, dlen;
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
	if (got != (size_t)st.st_size || ccauth_cache_entry_parse(buf, got, &exp, &stale, &data, &dlen) != 0) {
		ccauth_free_secret(buf, (size_t)st.st_size + 1);
		refuse(c, name, "malformed or torn");
		return CCAUTH_OK;
	}
	/* the data moves to the front of the buffer, which is handed over */
	memmove(buf, data, dlen);
	memset(buf + dlen, 0, (size_t)st.st_size + 1 - dlen);
	e->data = buf;
	e->len = dlen;
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
	wait_ms = (int)ccauth_deadline_clamp_ms(wait_ms); /* a lock wait draws from the call's deadline */
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

void ccauth_cache_mark_failed(struct ccauth_cache *c, const char *key, size_t keylen, const struct ccauth_log *log)
{
	struct ccauth_error lerr;

	/* expires is when the fetch failed; the stale time only keeps the marker on disk */
	if (c != NULL && ccauth_cache_put(c, key, keylen, "1", 1, time(NULL), time(NULL) + 60, &lerr) != CCAUTH_OK)
		ccauth_log(log, LOG_DEBUG, "cache: failure marker not stored: %s", lerr.msg);
}

int ccauth_cache_failed_since(struct ccauth_cache *c, const char *key, size_t keylen, time_t since)
{
	struct ccauth_cache_entry m = {0};
	int found = 0, r;

	if (c == NULL)
		return 0;
	r = ccauth_cache_get(c, key, keylen, &m, &found, NULL) == CCAUTH_OK && found && (time_t)m.expires >= since;
	ccauth_cache_entry_free(&m);
	return r;
}
