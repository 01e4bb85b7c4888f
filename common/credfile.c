/* credfile: opening and reading the files that hold credentials, with the permission rules. */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "credfile.h"
#include "util.h"

int ccauth_credfile_owner_ok(const struct stat *sb)
{
	return sb->st_uid == 0 || sb->st_uid == geteuid();
}

int ccauth_credfile_is_trusted(const struct stat *sb)
{
	return (sb->st_mode & 022) == 0 && ccauth_credfile_owner_ok(sb);
}

/* gid is this process's effective group or one of its supplementary groups. */
static int in_my_groups(gid_t gid)
{
	gid_t *v;
	int n, found = 0;

	if (gid == getegid())
		return 1;
	n = getgroups(0, NULL);
	if (n <= 0 || (v = calloc((size_t)n, sizeof(*v))) == NULL)
		return 0; /* cannot tell: not ours */
	n = getgroups(n, v);
	for (int i = 0; i < n && !found; i++)
		found = v[i] == gid;
	free(v);
	return found;
}

enum ccauth_credfile_verdict ccauth_credfile_judge(const struct stat *sb, char *why, size_t whysize)
{
	unsigned mode = (unsigned)(sb->st_mode & 07777);

	if (!S_ISREG(sb->st_mode)) {
		snprintf(why, whysize, "is not a regular file");
		return CCAUTH_CREDFILE_UNFIT;
	}
	if ((mode & 007) != 0) {
		snprintf(why, whysize, "is readable or writable by others (mode %04o): chmod o-rwx it", mode);
		return CCAUTH_CREDFILE_UNFIT;
	}
	if ((mode & 020) != 0) {
		snprintf(why, whysize, "is writable by its group (mode %04o): chmod g-w it", mode);
		return CCAUTH_CREDFILE_UNFIT;
	}
	/* another user could change it, or read it: it is not ours to prove ourselves with */
	if (!ccauth_credfile_owner_ok(sb)) {
		snprintf(why, whysize,
		         "is owned by uid %lu, not root or this process's uid %lu: chown it to one of them",
		         (unsigned long)sb->st_uid, (unsigned long)geteuid());
		return CCAUTH_CREDFILE_NOT_MINE;
	}
	if ((mode & 040) != 0 && !in_my_groups(sb->st_gid)) {
		snprintf(why, whysize,
		         "is readable by group %lu, which uid %lu is not in: chgrp it to a group of that user, or "
		         "chmod g-r it",
		         (unsigned long)sb->st_gid, (unsigned long)geteuid());
		return CCAUTH_CREDFILE_NOT_MINE;
	}
	return CCAUTH_CREDFILE_OK;
}

const char *ccauth_credfile_path(const char *path, char *buf, size_t size)
{
	const char *dir;
	int n;

	if (path == NULL || path[0] == '/')
		return path;
	/* a plain name (config.c admits no other relative path): a systemd credential */
	dir = secure_getenv("CREDENTIALS_DIRECTORY");
	if (dir == NULL || dir[0] != '/')
		return NULL;
	n = snprintf(buf, size, "%s/%s", dir, path);
	return n > 0 && (size_t)n < size ? buf : NULL;
}

/* The file a configured credential path names (into buf), or an error that says what is missing. */
static enum ccauth_status resolve(const char *what, const char *path, char *buf, size_t size, const char **out,
                                  struct ccauth_error *err)
{
	if (path == NULL || *path == '\0')
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "no %s configured", what);
	if ((*out = ccauth_credfile_path(path, buf, size)) == NULL)
		return ccauth_error_set(err, CCAUTH_E_CONFIG,
		                        "%s %.96s is a plain name, looked up in $CREDENTIALS_DIRECTORY, which is not "
		                        "set here: give an absolute path, or LoadCredential= in the unit",
		                        what, path);
	return CCAUTH_OK;
}

enum ccauth_status ccauth_credfile_check_secret(const char *path, struct ccauth_error *err)
{
	char buf[PATH_MAX], why[200];
	enum ccauth_status st;
	const char *full;
	struct stat sb;

	if ((st = resolve("secret file", path, buf, sizeof(buf), &full, err)) != CCAUTH_OK)
		return st;
	if (stat(full, &sb) != 0)
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "secret file %.96s %s", full,
		                        errno == ENOENT ? "does not exist" : "cannot be examined");
	if (ccauth_credfile_judge(&sb, why, sizeof(why)) != CCAUTH_CREDFILE_OK)
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "secret file %.96s %s", full, why);
	return CCAUTH_OK;
}

int ccauth_credfile_read_fd(int fd, char *buf, size_t cap, size_t *len)
{
	size_t n = 0;

	*len = 0;
	while (n < cap + 1) {
		ssize_t r = read(fd, buf + n, cap + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return errno;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*len = n;
	return 0;
}

enum ccauth_status ccauth_credfile_open(const char *what, const char *path, int secret, int *out,
                                        struct ccauth_error *err)
{
	char buf[PATH_MAX], why[200];
	enum ccauth_status st;
	const char *full;
	struct stat sb;
	int fd;

	*out = -1;
	if ((st = resolve(what, path, buf, sizeof(buf), &full, err)) != CCAUTH_OK)
		return st;
	if (secret && (st = ccauth_credfile_check_secret(full, err)) != CCAUTH_OK)
		return st;
	fd = open(full, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "%s %.96s cannot be opened (errno %d)", what, full,
		                        errno);
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "%s %.96s is not a regular file", what, full);
	}
	/* again on the open file: it may have changed since the check */
	if (secret && ccauth_credfile_judge(&sb, why, sizeof(why)) != CCAUTH_CREDFILE_OK) {
		close(fd);
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "%s %.96s %s", what, full, why);
	}
	*out = fd;
	return CCAUTH_OK;
}

enum ccauth_status ccauth_credfile_read_secret(const char *what, const char *path, size_t cap, char **out,
                                               size_t *outlen, struct ccauth_error *err)
{
	enum ccauth_status st;
	int fd;

	*out = NULL;
	*outlen = 0;
	if ((st = ccauth_credfile_open(what, path, 1, &fd, err)) != CCAUTH_OK)
		return st;
	return ccauth_credfile_read_all(what, path, fd, cap, out, outlen, err);
}

enum ccauth_status ccauth_credfile_read_all(const char *what, const char *path, int fd, size_t cap, char **out,
                                            size_t *outlen, struct ccauth_error *err)
{
	size_t n = 0;
	char *buf;
	int e;

	*out = NULL;
	*outlen = 0;
	if ((buf = malloc(cap + 2)) == NULL) {
		close(fd);
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	}
	if ((e = ccauth_credfile_read_fd(fd, buf, cap, &n)) != 0) {
		close(fd);
		ccauth_free_secret(buf, cap + 2);
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "%s %.96s cannot be read (errno %d)", what, path, e);
	}
	close(fd);
	if (n > cap) {
		ccauth_free_secret(buf, cap + 2);
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "%s %.96s is longer than %zu bytes", what, path, cap);
	}
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	return CCAUTH_OK;
}

const char *ccauth_credfile_errno_text(int e)
{
	switch (e) {
	case ENOENT:
		return "no such file";
	case EACCES:
		return "permission denied";
	case EISDIR:
		return "is a directory";
	case ELOOP:
		return "too many symbolic links";
	case ENOMEM:
		return "out of memory";
	default:
		return "cannot read";
	}
}

enum ccauth_status ccauth_credfile_read_trusted(const char *label, const char *path, size_t cap, char **out,
                                                size_t *outlen, struct ccauth_error *err)
{
	enum ccauth_status rc = CCAUTH_OK;
	struct stat st;
	char *buf = NULL;
	int fd, e;

	*out = NULL;
	*outlen = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "%s%.128s: cannot open: %s", label, path,
		                        ccauth_credfile_errno_text(errno));
	if (fstat(fd, &st) != 0)
		rc = ccauth_error_set(err, CCAUTH_E_CONFIG, "%s%.128s: cannot stat: %s", label, path,
		                      ccauth_credfile_errno_text(errno));
	else if (!S_ISREG(st.st_mode))
		rc = ccauth_error_set(err, CCAUTH_E_CONFIG, "%s%.128s: not a regular file", label, path);
	else if ((st.st_mode & 022) != 0)
		rc = ccauth_error_set(err, CCAUTH_E_CONFIG, "%s%.128s: writable by group or others: chmod go-w it",
		                      label, path);
	else if (!ccauth_credfile_owner_ok(&st))
		rc = ccauth_error_set(err, CCAUTH_E_CONFIG, "%s%.128s: owned by uid %lu, not root or the current user",
		                      label, path, (unsigned long)st.st_uid);
	else if ((buf = malloc(cap + 1)) == NULL)
		rc = ccauth_error_set(err, CCAUTH_E_NOMEM, "%s%.128s: out of memory", label, path);
	else if ((e = ccauth_credfile_read_fd(fd, buf, cap, outlen)) != 0)
		rc = ccauth_error_set(err, CCAUTH_E_CONFIG, "%s%.128s: cannot read: %s", label, path,
		                      ccauth_credfile_errno_text(e));
	close(fd);
	if (rc != CCAUTH_OK) {
		free(buf);
		*outlen = 0;
		return rc;
	}
	*out = buf;
	return CCAUTH_OK;
}
