/* credfile: opening and reading the files that hold credentials, with the permission rules. */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "credfile.h"
#include "util.h"

int ccauth_credfile_owner_ok(const struct stat *sb)
{
	return sb->st_uid == 0 || sb->st_uid == geteuid();
}

int ccauth_credfile_is_private(const struct stat *sb)
{
	return (sb->st_mode & 077) == 0 && ccauth_credfile_owner_ok(sb);
}

int ccauth_credfile_is_trusted(const struct stat *sb)
{
	return (sb->st_mode & 022) == 0 && ccauth_credfile_owner_ok(sb);
}

const char *ccauth_credfile_secret_problem(const char *path, int missing_ok)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		if (errno == ENOENT && missing_ok)
			return NULL;
		return errno == ENOENT ? "does not exist" : "cannot be examined";
	}
	if (!S_ISREG(st.st_mode))
		return "is not a regular file";
	if ((st.st_mode & 077) != 0)
		return "is readable by group or others";
	/* another user could change it, or read it: it is not ours to prove ourselves with */
	if (!ccauth_credfile_owner_ok(&st))
		return "is owned by another user (not root or the current user)";
	return NULL;
}

enum ccauth_status ccauth_credfile_check_secret(const char *path, struct ccauth_error *err)
{
	const char *what;

	if (path == NULL || *path == '\0')
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "no secret file configured");
	if ((what = ccauth_credfile_secret_problem(path, 0)) != NULL)
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "secret file %.96s %s", path, what);
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
	enum ccauth_status st;
	struct stat sb;
	int fd;

	*out = -1;
	if (path == NULL || *path == '\0')
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "no %s configured", what);
	if (secret && (st = ccauth_credfile_check_secret(path, err)) != CCAUTH_OK)
		return st;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "%s %.96s cannot be opened (errno %d)", what, path,
		                        errno);
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "%s %.96s is not a regular file", what, path);
	}
	if (secret && !ccauth_credfile_is_private(&sb)) {
		close(fd);
		return ccauth_error_set(err, CCAUTH_E_CONFIG,
		                        "%s %.96s is not a regular file private to root or the current user", what,
		                        path);
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
