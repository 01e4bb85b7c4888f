/* Identity safety for local accounts, see account.h. */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "account.h"

#define LOGIN_DEFS_MAX (64 * 1024)

static int listed(const struct ccauth_strlist *l, const char *user)
{
	if (l == NULL)
		return 0;
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], user) == 0)
			return 1;
	return 0;
}

long ccauth_account_uid_min(const char *login_defs)
{
	char buf[LOGIN_DEFS_MAX + 1];
	long uid_min = CCAUTH_ACCOUNT_UID_MIN_DEFAULT;
	size_t len = 0;
	int fd = open(login_defs, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return uid_min;
	for (;;) {
		ssize_t n = read(fd, buf + len, LOGIN_DEFS_MAX - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == LOGIN_DEFS_MAX)
			break;
	}
	close(fd);
	buf[len] = '\0';
	/* "UID_MIN <spaces> number" at the start of a line (shadow's login.defs(5) syntax) */
	for (char *line = buf; line != NULL && *line != '\0';) {
		char *next = strchr(line, '\n');

		if (next != NULL)
			*next++ = '\0';
		line += strspn(line, " \t");
		if (strncmp(line, "UID_MIN", 7) == 0 && (line[7] == ' ' || line[7] == '\t')) {
			char *end;
			long v;

			errno = 0;
			v = strtol(line + 7, &end, 10);
			end += strspn(end, " \t\r");
			if (errno == 0 && *end == '\0' && v >= 0 && v <= 0x7fffffffL)
				uid_min = v;
		}
		line = next;
	}
	return uid_min;
}

enum ccauth_status ccauth_account_check(const struct ccauth_account_policy *p, const char *user,
                                        struct ccauth_error *err)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	long min_uid;
	int rc;

	if (listed(p->allow_users, user))
		return CCAUTH_OK;
	if (listed(p->deny_users, user))
		return ccauth_error_set(err, CCAUTH_E_IDENTITY,
		                        "identity %.64s is in deny_users (only allow_users lets a token log in as it)",
		                        user);
	min_uid = p->min_uid >= 0 ? p->min_uid : ccauth_account_uid_min(CCAUTH_ACCOUNT_LOGIN_DEFS);
	if (min_uid == 0)
		return CCAUTH_OK;
	do {
		rc = getpwnam_r(user, &pw, buf, sizeof(buf), &res);
	} while (rc == EINTR);
	/* getpwnam_r(3): 0 with no result, ENOENT, ESRCH, EBADF or EPERM all mean "no such name" */
	if (res == NULL) {
		if (rc == 0 || rc == ENOENT || rc == ESRCH || rc == EBADF || rc == EPERM)
			return CCAUTH_OK; /* not a local account: nothing to protect here */
		return ccauth_error_set(err, CCAUTH_E_UNAVAILABLE,
		                        "identity %.64s: the account database cannot be read (errno %d)", user, rc);
	}
	if ((long)pw.pw_uid < min_uid)
		return ccauth_error_set(err, CCAUTH_E_IDENTITY,
		                        "identity %.64s is a system account (uid %lu < min_uid %ld; only allow_users "
		                        "lets a token log in as it)",
		                        user, (unsigned long)pw.pw_uid, min_uid);
	return CCAUTH_OK;
}
