/* credfile: opening and reading the files that hold credentials, with the permission rules. */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "credfile.h"
#include "util.h"

enum ccauth_status ccauth_credfile_open(const char *what, const char *path, int secret, int *out,
                                        struct ccauth_error *err)
{
	enum ccauth_status st;
	struct stat sb;
	int fd;

	*out = -1;
	if (path == NULL || *path == '\0')
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "no %s configured", what);
	if (secret && (st = ccauth_config_check_secret_file(path, err)) != CCAUTH_OK)
		return st;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "%s %.96s cannot be opened (errno %d)", what, path,
		                        errno);
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "%s %.96s is not a regular file", what, path);
	}
	if (secret && ((sb.st_mode & 077) != 0 || (sb.st_uid != 0 && sb.st_uid != geteuid()))) {
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
	size_t n = 0;
	char *buf;
	int fd;

	*out = NULL;
	*outlen = 0;
	if ((st = ccauth_credfile_open(what, path, 1, &fd, err)) != CCAUTH_OK)
		return st;
	if ((buf = malloc(cap + 2)) == NULL) {
		close(fd);
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	}
	while (n < cap + 1) {
		ssize_t r = read(fd, buf + n, cap + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			close(fd);
			ccauth_free_secret(buf, cap + 2);
			return ccauth_error_set(err, CCAUTH_E_CONFIG, "%s %.96s cannot be read (errno %d)", what, path,
			                        e);
		}
		if (r == 0)
			break;
		n += (size_t)r;
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
