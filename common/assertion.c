/* Federated client assertions and subject tokens, see assertion.h. */
#include "autoconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "assertion.h"
#include "credfile.h"
#include "json.h"
#include "jws.h"
#include "sbuf.h"
#include "util.h"

#define URL_MAX 2048 /* bytes of the URL source with its audience parameter */

/* printable ASCII of (s, len) into out[size], cut to fit */
static void printable(const char *s, size_t len, char *out, size_t size)
{
	size_t n = 0;

	for (size_t i = 0; i < len && n + 1 < size; i++)
		out[n++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	out[n] = '\0';
}

static void fill_info(const struct ccauth_json *payload, struct ccauth_assertion_info *info)
{
	const struct ccauth_json *aud = ccauth_json_get(payload, "aud"), *v;
	const char *s;
	size_t len;
	int has;

	if (ccauth_json_get_string(payload, "iss", &s, &len, &has) == CCAUTH_OK && has)
		printable(s, len, info->iss, sizeof(info->iss));
	if (ccauth_json_get_string(payload, "sub", &s, &len, &has) == CCAUTH_OK && has)
		printable(s, len, info->sub, sizeof(info->sub));
	if (aud != NULL && aud->type == CCAUTH_JSON_STRING) {
		printable(aud->str, aud->len, info->aud, sizeof(info->aud));
	} else if (aud != NULL && aud->type == CCAUTH_JSON_ARRAY && (v = aud->child) != NULL &&
	           v->type == CCAUTH_JSON_STRING) {
		char more[32] = "";

		if (aud->count > 1)
			snprintf(more, sizeof(more), " (+%zu more)", aud->count - 1);
		printable(v->str, v->len, info->aud, sizeof(info->aud) - strlen(more));
		memcpy(info->aud + strlen(info->aud), more, strlen(more) + 1);
	}
}

enum ccauth_status ccauth_assertion_check(const char *jwt, size_t len, int64_t now, struct ccauth_assertion_info *info,
                                          struct ccauth_error *err)
{
	struct ccauth_jws jws;
	enum ccauth_status st;
	int64_t exp = 0;
	int has = 0;

	if (info != NULL)
		memset(info, 0, sizeof(*info));
	memset(&jws, 0, sizeof(jws));
	if (len > CCAUTH_ASSERTION_MAX)
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "longer than %d bytes", CCAUTH_ASSERTION_MAX);
	/* alg none and HS* are refused here too: no platform issues such workload identities */
	if ((st = ccauth_jws_parse(jwt, len, &jws, err)) != CCAUTH_OK) {
		ccauth_jws_clear(&jws);
		return st == CCAUTH_E_NOMEM ? st : CCAUTH_E_MALFORMED;
	}
	if (info != NULL)
		fill_info(jws.payload, info);
	if (ccauth_json_get_int(jws.payload, "exp", 0, INT64_MAX / 2, &exp, &has) != CCAUTH_OK || !has) {
		ccauth_jws_clear(&jws);
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "no integer exp claim");
	}
	ccauth_jws_clear(&jws);
	if (info != NULL)
		info->exp = exp;
	if (exp <= now)
		return ccauth_error_set(err, CCAUTH_E_EXPIRED, "expired %lld s ago", (long long)(now - exp));
	return CCAUTH_OK;
}

/* cut white space at both ends of (s, *len) in place (a writer may end the file with a newline) */
static char *trim(char *s, size_t *len)
{
	static const char ws[] = " \t\r\n";

	while (*len > 0 && memchr(ws, s[*len - 1], sizeof(ws) - 1) != NULL)
		s[--*len] = '\0';
	while (*len > 0 && memchr(ws, s[0], sizeof(ws) - 1) != NULL) {
		s++;
		--*len;
	}
	return s;
}

enum ccauth_status ccauth_assertion_read_file(const char *what, const char *path, int64_t now, char **out,
                                              struct ccauth_assertion_info *info, struct ccauth_error *err)
{
	struct ccauth_error e2 = {0};
	enum ccauth_status st;
	struct stat sb;
	char *buf, *jwt;
	size_t n = 0;
	int fd;

	*out = NULL;
	if (info != NULL)
		memset(info, 0, sizeof(*info));
	/* a regular file, checked on the open file: the name may point elsewhere a moment later */
	if ((st = ccauth_credfile_open(what, path, 0, &fd, err)) != CCAUTH_OK)
		return st;
	if (fstat(fd, &sb) != 0) {
		close(fd);
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "%s %.96s cannot be examined (errno %d)", what, path,
		                        errno);
	}
	/* a bearer credential of this host: nobody else may replace it or read it (a group may read
	 * it: Kubernetes gives projected tokens to the pod's fsGroup) */
	if (!ccauth_credfile_owner_ok(&sb) || (sb.st_mode & 0026) != 0) {
		close(fd);
		return ccauth_error_set(
		    err, CCAUTH_E_CONFIG,
		    "%s %.96s (mode %04o, owner uid %lu) must be owned by root or the current user, "
		    "writable by no one else and not readable by others (a Kubernetes projected "
		    "volume: defaultMode 0440)",
		    what, path, (unsigned)(sb.st_mode & 07777), (unsigned long)sb.st_uid);
	}
	if ((st = ccauth_credfile_read_all(what, path, fd, CCAUTH_ASSERTION_MAX, &buf, &n, err)) != CCAUTH_OK)
		return st;
	jwt = trim(buf, &n);
	if (n == 0) {
		ccauth_free_secret(buf, CCAUTH_ASSERTION_MAX + 2);
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "%s %.96s is empty; is the writer running?", what, path);
	}
	st = ccauth_assertion_check(jwt, n, now, info, &e2);
	if (st == CCAUTH_E_EXPIRED)
		st = ccauth_error_set(err, CCAUTH_E_CONFIG, "the %s in %.96s %s; is the writer running?",
		                      strcmp(what, "subject_token_file") == 0 ? "subject token" : "assertion", path,
		                      e2.msg);
	else if (st == CCAUTH_E_NOMEM)
		st = ccauth_error_set(err, st, "out of memory");
	else if (st != CCAUTH_OK)
		st = ccauth_error_set(err, CCAUTH_E_CONFIG, "%s %.96s does not hold a JWT (%s)", what, path, e2.msg);
	if (st == CCAUTH_OK && (*out = ccauth_strndup_checked(jwt, n)) == NULL)
		st = ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	ccauth_free_secret(buf, CCAUTH_ASSERTION_MAX + 2);
	return st;
}

/* NAME of "env:NAME", else NULL */
static const char *env_ref(const char *url)
{
	return strncmp(url, "env:", 4) == 0 ? url + 4 : NULL;
}

enum ccauth_status ccauth_assertion_fetch_url(struct ccauth_http *http, const char *url, const char *token_env,
                                              const char *audience, int64_t now, char **out,
                                              struct ccauth_assertion_info *info, struct ccauth_error *err)
{
	struct ccauth_http_response resp = {0};
	struct ccauth_http_cred cred = {0};
	struct ccauth_json_doc *doc = NULL;
	struct ccauth_error e2 = {0};
	const char *base = url, *name, *reqtok, *v;
	struct ccauth_sbuf full = {0};
	char *auth = NULL;
	size_t vlen = 0, authlen;
	enum ccauth_status st;
	int has = 0;

	*out = NULL;
	if (info != NULL)
		memset(info, 0, sizeof(*info));
	if ((name = env_ref(url)) != NULL && ((base = getenv(name)) == NULL || *base == '\0'))
		return ccauth_error_set(err, CCAUTH_E_CONFIG,
		                        "client_assertion_url: the environment variable %.64s is not set", name);
	if (token_env == NULL || (reqtok = getenv(token_env)) == NULL || *reqtok == '\0')
		return ccauth_error_set(err, CCAUTH_E_CONFIG,
		                        "client_assertion_token_env: the environment variable %.64s is not set",
		                        token_env != NULL ? token_env : "(none)");
	if (strlen(base) > URL_MAX || strchr(base, '#') != NULL)
		return ccauth_error_set(err, CCAUTH_E_CONFIG,
		                        "client_assertion_url is longer than %d bytes or has a "
		                        "fragment",
		                        URL_MAX);
	/* the URL first, then "&audience=" or "?audience=" and the encoded audience */
	ccauth_sbuf_str(&full, base);
	if (audience != NULL) {
		ccauth_sbuf_str(&full, strchr(base, '?') != NULL ? "&audience=" : "?audience=");
		ccauth_sbuf_urlencode(&full, audience, strlen(audience));
	}
	if (full.failed)
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	authlen = sizeof("bearer ") + strlen(reqtok);
	if ((auth = malloc(authlen)) == NULL) {
		ccauth_sbuf_wipe(&full);
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	}
	snprintf(auth, authlen, "bearer %s", reqtok);
	cred.authorization = auth;
	st = ccauth_http_get_cred(http, full.p, &cred, &resp, err);
	ccauth_free_secret(auth, authlen);
	ccauth_sbuf_wipe(&full);
	if (st != CCAUTH_OK) {
		ccauth_http_response_free(&resp);
		return st == CCAUTH_E_NOMEM || st == CCAUTH_E_CONFIG ? st : CCAUTH_E_UNAVAILABLE;
	}
	if (ccauth_json_parse(resp.body, resp.len, CCAUTH_HTTP_MAX_BODY, 4, &doc, NULL) != CCAUTH_OK ||
	    ccauth_json_root(doc)->type != CCAUTH_JSON_OBJECT ||
	    ccauth_json_get_string(ccauth_json_root(doc), "value", &v, &vlen, &has) != CCAUTH_OK || !has) {
		st = ccauth_error_set(err, CCAUTH_E_UNAVAILABLE,
		                      "%s: the assertion URL did not answer a JSON object with a string \"value\"",
		                      resp.host);
	} else if ((st = ccauth_assertion_check(v, vlen, now, info, &e2)) != CCAUTH_OK) {
		st = st == CCAUTH_E_NOMEM
		         ? ccauth_error_set(err, st, "out of memory")
		         : ccauth_error_set(err, CCAUTH_E_UNAVAILABLE,
		                            "%s: the assertion URL answered an unusable JWT (%s)", resp.host, e2.msg);
	} else if ((*out = ccauth_strndup_checked(v, vlen)) == NULL) {
		st = ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	}
	ccauth_json_free(doc);
	ccauth_http_response_free(&resp);
	return st;
}
