/* pam_ccauth option handling: conf=FILE first, then argv, through one setter. */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "pam_options.h"
#include "util.h"

#define CONF_LINE_MAX      1024
#define NAME_MAX_LEN       64
#define IDENTITY_CHARS     "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._@-"
#define USER_NAME_MAX      256
#define NAME_SHOWN         16 /* characters of an unknown option's name that are logged */
#define SECRET_MIN_LEN     16
#define SECRET_MIN_ENTROPY 3.0 /* bits per byte; English-like option names stay below with few classes */

enum source { FROM_FILE, FROM_ARGV };

static int is_name(const char *s)
{
	size_t n = 0;

	for (; s[n] != '\0'; n++) {
		char c = s[n];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '_' || c == '-'))
			return 0;
	}
	return n > 0 && n <= NAME_MAX_LEN;
}

static int is_printable(const char *s, size_t max)
{
	size_t n = 0;

	for (; s[n] != '\0'; n++)
		if ((unsigned char)s[n] < 0x20 || (unsigned char)s[n] == 0x7f || n >= max)
			return 0;
	return 1;
}

static void bad(pam_handle_t *pamh, struct ccauth_pam_options *o, const char *where, const char *name, const char *why)
{
	pam_syslog(pamh, LOG_ERR, "%s: option %s: %s", where, name, why);
	o->bad = 1;
}

static int replace(struct ccauth_pam_options *o, char **dst, const char *value)
{
	char *s = strdup(value);

	if (s == NULL) {
		o->nomem = 1;
		return -1;
	}
	free(*dst);
	*dst = s;
	return 0;
}

/* "a,b,c" into l (replacing it); "" is the empty list.  Names as a mapped identity may be:
 * [A-Za-z0-9._@-]{1,256}.  -1 on a bad name (l emptied) or no memory (o->nomem). */
static int user_list(struct ccauth_pam_options *o, const char *v, struct ccauth_strlist *l)
{
	ccauth_strlist_clear(l);
	for (const char *p = v; *p != '\0';) {
		size_t n = strcspn(p, ",");

		if (n == 0 || n > USER_NAME_MAX || strspn(p, IDENTITY_CHARS) < n)
			return -1;
		p += n;
		if (*p == ',' && *++p == '\0')
			return -1;
	}
	if (ccauth_strlist_split_on(v, ",", l) != 0) {
		o->nomem = 1;
		return -1;
	}
	return 0;
}

/* A bare word that looks like a credential: long, several character classes, and high entropy
 * (Shannon, over its bytes).  Option names are lowercase words with '_' and at most 14 bytes. */
static int looks_secret(const char *s, size_t n)
{
	unsigned counts[256] = {0};
	int lower = 0, upper = 0, digit = 0;
	double h = 0;

	if (n < SECRET_MIN_LEN)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		counts[c]++;
		lower |= c >= 'a' && c <= 'z';
		upper |= c >= 'A' && c <= 'Z';
		digit |= c >= '0' && c <= '9';
	}
	for (size_t i = 0; i < 256; i++)
		if (counts[i] > 0) {
			double p = (double)counts[i] / (double)n;
			h -= p * log2(p);
		}
	return lower + upper + digit >= 2 && h >= SECRET_MIN_ENTROPY;
}

/* Name an unknown option without echoing a credential: an admin may have pasted a secret into the
 * wrong place.  Never the value after '='; at most NAME_SHOWN printable characters of the name;
 * nothing of a bare word that looks like a secret. */
static void unknown(pam_handle_t *pamh, const char *opt, size_t klen, int has_value, const char *where)
{
	char shown[NAME_SHOWN + 1];
	size_t n = 0;

	if (!has_value && looks_secret(opt, klen)) {
		pam_syslog(pamh, LOG_ERR,
		           "%s: unknown option of %zu bytes, not shown (it looks like a secret); ignored", where, klen);
		return;
	}
	while (n < klen && n < NAME_SHOWN && (unsigned char)opt[n] >= 0x20 && (unsigned char)opt[n] < 0x7f) {
		shown[n] = opt[n];
		n++;
	}
	shown[n] = '\0';
	pam_syslog(pamh, LOG_ERR, "%s: unknown option \"%s\"%s%s; ignored", where, shown, n < klen ? "..." : "",
	           has_value ? "=(value not shown)" : "");
}

/* The one setter.  name is "key" or "key=value" as written. */
static void set_option(pam_handle_t *pamh, struct ccauth_pam_options *o, const char *opt, enum source src,
                       const char *where)
{
	const char *eq = strchr(opt, '=');
	size_t klen = eq != NULL ? (size_t)(eq - opt) : strlen(opt);
	const char *v = eq != NULL ? eq + 1 : NULL;

#define KEY(k) (klen == sizeof(k) - 1 && memcmp(opt, k, klen) == 0)
	if (KEY("config") && v != NULL) {
		if (v[0] != '/' || !is_printable(v, 4096))
			bad(pamh, o, where, "config", "must be an absolute path");
		else
			replace(o, &o->config, v);
	} else if (KEY("conf") && v != NULL) {
		if (src == FROM_FILE)
			pam_syslog(pamh, LOG_ERR, "%s: conf= is only valid as a module argument; ignored", where);
		/* argv: already handled before the file was read */
	} else if (KEY("issuer") && v != NULL) {
		if (!is_name(v)) {
			bad(pamh, o, where, "issuer", "not an [issuer] section name");
			return;
		}
		if (src == FROM_ARGV && !o->issuers_from_argv) {
			for (size_t i = 0; i < o->nissuers; i++) {
				free(o->issuers[i]);
				o->issuers[i] = NULL;
			}
			o->nissuers = 0;
			o->issuers_from_argv = 1;
		}
		if (o->nissuers >= CCAUTH_PAM_MAX_ISSUERS) {
			bad(pamh, o, where, "issuer", "too many");
			return;
		}
		if ((o->issuers[o->nissuers] = strdup(v)) == NULL) {
			o->nomem = 1;
			return;
		}
		o->nissuers++;
	} else if (KEY("mode") && v != NULL) {
		if (strcmp(v, "token") == 0)
			o->mode = CCAUTH_PAM_MODE_TOKEN;
		else if (strcmp(v, "secret") == 0)
			o->mode = CCAUTH_PAM_MODE_SECRET;
		else
			bad(pamh, o, where, "mode", "must be token or secret");
	} else if (KEY("prompt") && v != NULL) {
		if (!is_printable(v, CCAUTH_PAM_PROMPT_MAX))
			pam_syslog(pamh, LOG_ERR, "%s: option prompt: too long or not printable; ignored", where);
		else
			replace(o, &o->prompt, v);
	} else if ((KEY("deny_users") || KEY("allow_users")) && v != NULL) {
		int deny = KEY("deny_users");
		struct ccauth_strlist *l = deny ? &o->deny_users : &o->allow_users;

		if (user_list(o, v, l) != 0)
			bad(pamh, o, where, deny ? "deny_users" : "allow_users",
			    "must be user names separated by commas");
		else if (deny)
			o->deny_users_set = 1;
		else
			o->allow_users_set = 1;
	} else if (KEY("min_uid") && v != NULL) {
		char *end;
		long n;

		errno = 0;
		n = strtol(v, &end, 10);
		if (errno != 0 || end == v || *end != '\0' || n < 0 || n > 0x7fffffffL)
			bad(pamh, o, where, "min_uid", "must be a number from 0 to 2147483647");
		else
			o->min_uid = n;
	} else if (KEY("use_first_pass") && v == NULL) {
		o->use_first_pass = 1;
	} else if (KEY("try_first_pass") && v == NULL) {
		o->try_first_pass = 1;
	} else if (KEY("debug") && v == NULL) {
		o->debug = 1;
	} else {
		unknown(pamh, opt, klen, v != NULL, where);
	}
#undef KEY
}

void ccauth_pam_options_parse_conf(pam_handle_t *pamh, struct ccauth_pam_options *o, const char *buf, size_t len)
{
	char line[CONF_LINE_MAX + 1];
	size_t lineno = 0;

	for (size_t i = 0; i < len;) {
		size_t j = i, a, b;
		char where[64];

		while (j < len && buf[j] != '\n')
			j++;
		lineno++;
		snprintf(where, sizeof(where), "conf line %zu", lineno);
		a = i;
		b = j;
		i = j + 1;
		if (memchr(buf + a, '\0', b - a) != NULL || b - a > CONF_LINE_MAX) {
			bad(pamh, o, where, "-", "line too long or holds a NUL byte");
			continue;
		}
		while (a < b && (buf[a] == ' ' || buf[a] == '\t'))
			a++;
		if (a == b || buf[a] == '#')
			continue;
		while (b > a && (buf[b - 1] == ' ' || buf[b - 1] == '\t' || buf[b - 1] == '\r'))
			b--;
		/* "key = value" -> "key=value" */
		{
			size_t k = a, n = 0;
			while (k < b && buf[k] != '=' && buf[k] != ' ' && buf[k] != '\t')
				line[n++] = buf[k++];
			while (k < b && (buf[k] == ' ' || buf[k] == '\t'))
				k++;
			if (k < b && buf[k] == '=') {
				line[n++] = buf[k++];
				while (k < b && (buf[k] == ' ' || buf[k] == '\t'))
					k++;
			} else if (k < b) {
				bad(pamh, o, where, "-", "expected key = value");
				continue;
			}
			while (k < b)
				line[n++] = buf[k++];
			line[n] = '\0';
		}
		set_option(pamh, o, line, FROM_FILE, where);
	}
}

/* The options file: one option per line ("key = value", "key=value" or "flag"), # comments.  It
 * sets security-relevant options, so it must be a regular file owned by root (or us) and not
 * writable by group or others. */
static int read_conf(pam_handle_t *pamh, struct ccauth_pam_options *o, const char *path)
{
	char *buf = NULL;
	struct stat st;
	size_t len = 0;
	int fd, rc = PAM_SERVICE_ERR;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		pam_syslog(pamh, LOG_ERR, "conf=%s: cannot open (errno %d)", path, errno);
		return PAM_SERVICE_ERR;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		pam_syslog(pamh, LOG_ERR, "conf=%s: not a regular file", path);
		goto out;
	}
	if ((st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		pam_syslog(pamh, LOG_ERR, "conf=%s: must be owned by root and not writable by group or others", path);
		goto out;
	}
	if (st.st_size > CCAUTH_PAM_CONF_MAX) {
		pam_syslog(pamh, LOG_ERR, "conf=%s: larger than %d bytes", path, CCAUTH_PAM_CONF_MAX);
		goto out;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		rc = PAM_BUF_ERR;
		goto out;
	}
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	ccauth_pam_options_parse_conf(pamh, o, buf, len);
	rc = o->nomem ? PAM_BUF_ERR : PAM_SUCCESS;
out:
	free(buf);
	close(fd);
	return rc;
}

int ccauth_pam_options_parse(pam_handle_t *pamh, int argc, const char **argv, struct ccauth_pam_options *o)
{
	const char *conf = NULL;
	int rc;

	memset(o, 0, sizeof(*o));
	o->min_uid = -1;
	for (int i = 0; i < argc; i++)
		if (strncmp(argv[i], "conf=", 5) == 0)
			conf = argv[i] + 5;
	if (conf != NULL) {
		if (conf[0] != '/') {
			pam_syslog(pamh, LOG_ERR, "option conf: must be an absolute path");
			return PAM_SERVICE_ERR;
		}
		if ((rc = read_conf(pamh, o, conf)) != PAM_SUCCESS)
			return rc;
	}
	for (int i = 0; i < argc; i++)
		set_option(pamh, o, argv[i], FROM_ARGV, "argument");
	if (o->nomem)
		return PAM_BUF_ERR;
	if (o->use_first_pass && o->try_first_pass)
		o->try_first_pass = 0; /* the stricter one wins */
	return o->bad ? PAM_SERVICE_ERR : PAM_SUCCESS;
}

void ccauth_pam_options_free(struct ccauth_pam_options *o)
{
	if (o == NULL)
		return;
	free(o->config);
	for (size_t i = 0; i < o->nissuers; i++)
		free(o->issuers[i]);
	free(o->prompt);
	ccauth_strlist_clear(&o->deny_users);
	ccauth_strlist_clear(&o->allow_users);
	memset(o, 0, sizeof(*o));
}
