/* Loading the configuration: which file (ccauth_config_default_path), reading it with the file
 * checks (credfile.c), then the drop-ins of conf.d next to it in bytewise order, all into one
 * parser (config.c) before the cross-checks (config_check.c). */

#include "autoconf.h" /* first: brings _GNU_SOURCE, CCAUTH_DEFAULT_CONFIG */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "config_parse.h"
#include "credfile.h"

#ifndef CCAUTH_DEFAULT_CONFIG
#error "CCAUTH_DEFAULT_CONFIG is not defined: autoconf.h was not included"
#endif

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* The drop-ins of dir (conf.d next to the main file): the names ending in ".conf" and not starting
 * with '.', sorted bytewise (lexical order whatever the locale).  A missing dir has none; one that
 * others may write is refused like a config file that others may write. */
static enum ccauth_status list_dropins(const char *dir, char ***out, size_t *nout, struct ccauth_error *err)
{
	char **names = NULL, **grown;
	size_t n = 0, cap = 0;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd;

	*out = NULL;
	*nout = 0;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return CCAUTH_OK;
	if (fd < 0)
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "%.128s: cannot open: %s", dir,
		                        ccauth_credfile_errno_text(errno));
	if (fstat(fd, &st) != 0 || !ccauth_credfile_is_trusted(&st)) {
		close(fd);
		return ccauth_error_set(err, CCAUTH_E_CONFIG,
		                        "%.128s: writable by group or others, or not owned by root or the current "
		                        "user: chmod go-w it",
		                        dir);
	}
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "%.128s: out of memory", dir);
	}
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);

		if (de->d_name[0] == '.' || l <= 5 || strcmp(de->d_name + l - 5, ".conf") != 0)
			continue;
		if (n == CCAUTH_CONFIG_MAX_DROPINS) {
			closedir(d);
			free_names(names, n);
			return ccauth_error_set(err, CCAUTH_E_CONFIG, "%.128s: more than %d drop-ins", dir,
			                        CCAUTH_CONFIG_MAX_DROPINS);
		}
		if ((grown = ccauth_config_grow(names, n, &cap, sizeof(*names))) == NULL ||
		    (names = grown, names[n] = strdup(de->d_name)) == NULL) {
			closedir(d);
			free_names(names, n);
			return ccauth_error_set(err, CCAUTH_E_NOMEM, "%.128s: out of memory", dir);
		}
		n++;
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), name_cmp);
	*out = names;
	*nout = n;
	return CCAUTH_OK;
}

enum ccauth_status ccauth_config_load(const char *path, struct ccauth_config **out, struct ccauth_error *err)
{
	struct ccauth_config_parser p = {0};
	char *buf = NULL, *dir = NULL, **names = NULL, *slash;
	size_t len = 0, nnames = 0, dl;
	enum ccauth_status rc;

	if (out == NULL)
		return ccauth_error_set(err, CCAUTH_E_INTERNAL, "ccauth_config_load: no output");
	*out = NULL;
	path = ccauth_config_default_path(path);
	if ((rc = ccauth_credfile_read_trusted("", path, CCAUTH_CONFIG_MAX_BYTES, &buf, &len, err)) != CCAUTH_OK)
		return rc;
	if ((rc = ccauth_config_parser_start(&p, path, err)) != CCAUTH_OK ||
	    (rc = ccauth_config_parse_file(&p, buf, len, path)) != CCAUTH_OK)
		goto out;

	/* drop-ins: DIR/conf.d/X.conf for the main file DIR/NAME */
	slash = strrchr(path, '/');
	dl = slash != NULL ? (size_t)(slash - path) + 1 : 0;
	if ((dir = malloc(dl + sizeof("conf.d/") + NAME_MAX + 1)) == NULL) {
		rc = ccauth_error_set(err, CCAUTH_E_NOMEM, "%.128s: out of memory", path);
		goto out;
	}
	memcpy(dir, path, dl);
	memcpy(dir + dl, "conf.d", sizeof("conf.d"));
	if ((rc = list_dropins(dir, &names, &nnames, err)) != CCAUTH_OK)
		goto out;
	for (size_t i = 0; i < nnames && rc == CCAUTH_OK; i++) {
		snprintf(dir + dl, sizeof("conf.d/") + NAME_MAX + 1, "conf.d/%s", names[i]);
		free(buf);
		if ((rc = ccauth_credfile_read_trusted("", dir, CCAUTH_CONFIG_MAX_BYTES, &buf, &len, err)) == CCAUTH_OK)
			rc = ccauth_config_parse_file(&p, buf, len, dir);
	}
	if (rc == CCAUTH_OK)
		rc = ccauth_config_finish(&p);
out:
	ccauth_config_parser_end(&p);
	free_names(names, nnames);
	free(dir);
	free(buf);
	if (rc != CCAUTH_OK) {
		ccauth_config_free(p.cfg);
		return rc;
	}
	*out = p.cfg;
	return CCAUTH_OK;
}

const char *ccauth_config_default_path(const char *explicit_path)
{
	const char *env;

	if (explicit_path != NULL && *explicit_path != '\0')
		return explicit_path;
	env = secure_getenv("CCAUTH_CONF");
	if (env != NULL && *env != '\0')
		return env;
	return CCAUTH_DEFAULT_CONFIG;
}
