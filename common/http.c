/* HTTPS client, see http.h.
 *
 * fork(): a child must not use or clean up a curl handle made by its parent.  curl_easy_cleanup
 * on a live TLS connection sends a close_notify on the socket the parent still uses and frees TLS
 * state the parent still owns a copy of, corrupting the parent's connection.  So the pool records
 * the pid that filled it, and a process that finds another pid there abandons those handles (a
 * bounded leak of at most POOL_MAX handles, once per fork) and starts afresh.  Sockets are opened
 * with SOCK_CLOEXEC so an exec'd child inherits none.  No pthread_atfork handler: the PAM module
 * can be unloaded, and a handler left pointing into unmapped code is worse than the leak.
 */
#include "autoconf.h"

#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "config.h"
#include "deadline.h"
#include "http.h"
#include "sbuf.h"
#include "util.h"

#define POOL_MAX        4
#define HEADER_LINE_MAX 1024 /* longer header lines are not ones we read */

struct ccauth_http {
	pthread_mutex_t lock;
	pid_t pid; /* the process whose handles are in idle[] */
	CURL *idle[POOL_MAX];
	size_t nidle;
	char *ca_file;
	char *ca_path;
	char *proxy; /* NULL: none */
	int proxy_env;
	long timeout;
	long connect_timeout;
	size_t max_body;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;
static int curl_threadsafe;

static void curl_init_once(void)
{
	const curl_version_info_data *vi;

	curl_init_rc = curl_global_init(CURL_GLOBAL_ALL);
	vi = curl_version_info(CURLVERSION_NOW);
#ifdef CURL_VERSION_THREADSAFE
	curl_threadsafe = vi != NULL && (vi->features & CURL_VERSION_THREADSAFE) != 0;
#else
	/* built against a libcurl older than 7.84 that cannot say; our own init is under pthread_once */
	curl_threadsafe = vi != NULL;
#endif
}

static enum ccauth_status curl_ready(struct ccauth_error *err)
{
	if (pthread_once(&curl_once, curl_init_once) != 0 || curl_init_rc != CURLE_OK)
		return ccauth_error_set(err, CCAUTH_E_INTERNAL, "libcurl initialisation failed");
	if (!curl_threadsafe)
		return ccauth_error_set(err, CCAUTH_E_INTERNAL, "libcurl is not built with thread-safe initialisation");
	return CCAUTH_OK;
}

void ccauth_http_opts_from_config(const struct ccauth_config *cfg, struct ccauth_http_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	if (cfg == NULL)
		return;
	opts->ca_file = cfg->ca_file;
	opts->ca_path = cfg->ca_path;
	opts->timeout = cfg->timeout;
	opts->connect_timeout = cfg->connect_timeout;
	opts->proxy = cfg->proxy;
}

static int dup_opt(const char *in, char **out)
{
	*out = NULL;
	if (in == NULL || in[0] == '\0')
		return 0;
	*out = strdup(in);
	return *out == NULL ? -1 : 0;
}

enum ccauth_status ccauth_http_new(const struct ccauth_http_opts *opts, struct ccauth_http **out,
                                   struct ccauth_error *err)
{
	struct ccauth_http_opts none;
	struct ccauth_http *h;
	enum ccauth_status st;

	*out = NULL;
	if ((st = curl_ready(err)) != CCAUTH_OK)
		return st;
	if (opts == NULL) {
		memset(&none, 0, sizeof(none));
		opts = &none;
	}
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	if (pthread_mutex_init(&h->lock, NULL) != 0) {
		free(h);
		return ccauth_error_set(err, CCAUTH_E_INTERNAL, "mutex initialisation failed");
	}
	h->pid = getpid();
	h->timeout = opts->timeout > 0 ? opts->timeout : 5;
	h->connect_timeout = opts->connect_timeout > 0 ? opts->connect_timeout : (h->timeout < 3 ? h->timeout : 3);
	h->max_body = opts->max_body > 0 ? opts->max_body : CCAUTH_HTTP_MAX_BODY;
	h->proxy_env = opts->proxy != NULL && strcmp(opts->proxy, "env") == 0;
	if (dup_opt(opts->ca_file, &h->ca_file) != 0 || dup_opt(opts->ca_path, &h->ca_path) != 0 ||
	    (!h->proxy_env && dup_opt(opts->proxy, &h->proxy) != 0)) {
		ccauth_http_free(h);
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	}
	if (h->ca_file == NULL && h->ca_path == NULL && (h->ca_path = strdup(CCAUTH_HTTP_DEFAULT_CAPATH)) == NULL) {
		ccauth_http_free(h);
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	}
	*out = h;
	return CCAUTH_OK;
}

void ccauth_http_free(struct ccauth_http *h)
{
	if (h == NULL)
		return;
	/* handles of another process are abandoned, see the top of this file */
	if (h->pid == getpid())
		for (size_t i = 0; i < h->nidle; i++)
			curl_easy_cleanup(h->idle[i]);
	pthread_mutex_destroy(&h->lock);
	free(h->ca_file);
	free(h->ca_path);
	free(h->proxy);
	free(h);
}

static CURL *handle_get(struct ccauth_http *h)
{
	CURL *c = NULL;

	pthread_mutex_lock(&h->lock);
	if (h->pid != getpid()) {
		h->nidle = 0;
		h->pid = getpid();
	}
	if (h->nidle > 0)
		c = h->idle[--h->nidle];
	pthread_mutex_unlock(&h->lock);
	return c != NULL ? c : curl_easy_init();
}

/* Back to the pool with its live connections (curl_easy_reset keeps them), or cleaned up. */
static void handle_put(struct ccauth_http *h, CURL *c, pid_t owner)
{
	if (owner != getpid())
		return;
	curl_easy_reset(c);
	pthread_mutex_lock(&h->lock);
	if (h->pid == owner && h->nidle < POOL_MAX) {
		h->idle[h->nidle++] = c;
		c = NULL;
	}
	pthread_mutex_unlock(&h->lock);
	if (c != NULL)
		curl_easy_cleanup(c);
}

int ccauth_http_is_json_type(const char *ct)
{
	size_t n;

	if (ct == NULL)
		return 0;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	n = strcspn(ct, "; \t");
	if (ct[n] != '\0') {
		/* only whitespace may sit between the media type and its parameters */
		size_t k = n + strspn(ct + n, " \t");
		if (ct[k] != '\0' && ct[k] != ';')
			return 0;
	}
	if (n == 16 && strncasecmp(ct, "application/json", 16) == 0)
		return 1;
	/* application/<x>+json, x not empty */
	return n > 17 && strncasecmp(ct, "application/", 12) == 0 && strncasecmp(ct + n - 5, "+json", 5) == 0 &&
	       memchr(ct + 12, '/', n - 12) == NULL;
}

enum ccauth_status ccauth_http_check_url(const char *url, char *host, size_t hostsize, struct ccauth_error *err)
{
	enum ccauth_status st = CCAUTH_OK;
	char *scheme = NULL, *hostpart = NULL, *port = NULL, *user = NULL;
	CURLU *u;

	if (hostsize > 0)
		host[0] = '\0';
	if (url == NULL || url[0] == '\0')
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "empty URL");
	if (strncasecmp(url, "https://", 8) != 0)
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "URL is not https");
	if ((st = curl_ready(err)) != CCAUTH_OK)
		return st;
	u = curl_url();
	if (u == NULL)
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &hostpart, 0) != CURLUE_OK || hostpart[0] == '\0') {
		st = ccauth_error_set(err, CCAUTH_E_CONFIG, "malformed URL");
		goto out;
	}
	if (strcasecmp(scheme, "https") != 0) {
		st = ccauth_error_set(err, CCAUTH_E_CONFIG, "URL is not https");
		goto out;
	}
	if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK) {
		st = ccauth_error_set(err, CCAUTH_E_CONFIG, "URL carries user information");
		goto out;
	}
	if (hostsize > 0) {
		size_t hl = strlen(hostpart);
		int fit = hl < hostsize;

		if (fit)
			memcpy(host, hostpart, hl + 1);
		if (fit && curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK) {
			size_t pl = strlen(port);

			fit = hl + 1 + pl < hostsize;
			if (fit) {
				host[hl] = ':';
				memcpy(host + hl + 1, port, pl + 1);
			}
		}
		if (!fit) {
			host[0] = '\0';
			st = ccauth_error_set(err, CCAUTH_E_CONFIG, "URL host name too long");
		}
	}
out:
	curl_free(scheme);
	curl_free(hostpart);
	curl_free(port);
	curl_free(user);
	curl_url_cleanup(u);
	return st;
}

/* --- one transfer -------------------------------------------------------------------------- */

struct xfer {
	struct ccauth_http_response *resp;
	struct ccauth_sbuf body; /* may hold a token: wiped */
	size_t max;
	int too_big;
	int nomem;
};

static size_t on_write(char *p, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;
	size_t k = size * n;

	if (k > x->max - x->body.len) {
		x->too_big = 1;
		return 0;
	}
	ccauth_sbuf_add(&x->body, p, k);
	if (x->body.failed) {
		x->nomem = 1;
		return 0;
	}
	return k;
}

/* Cache-Control: max-age=N, or no-store / no-cache (0).  Bounded digits; anything odd is ignored. */
static void parse_cache_control(const char *v, struct ccauth_http_response *r)
{
	while (*v != '\0') {
		size_t n;

		v += strspn(v, " \t,");
		n = strcspn(v, ",");
		if ((n >= 8 && strncasecmp(v, "no-store", 8) == 0) || (n >= 8 && strncasecmp(v, "no-cache", 8) == 0)) {
			r->max_age = 0;
			return;
		}
		if (n > 8 && strncasecmp(v, "max-age=", 8) == 0 && r->max_age != 0) {
			long a = 0;
			size_t i = 8;

			if (v[i] == '"')
				i++;
			if (v[i] >= '0' && v[i] <= '9') {
				for (; i < n && v[i] >= '0' && v[i] <= '9'; i++)
					a = a > (LONG_MAX - 9) / 10 ? LONG_MAX : a * 10 + (v[i] - '0');
				r->max_age = a;
			}
		}
		v += n;
	}
}

void ccauth_http_parse_header(const char *p, size_t len, struct ccauth_http_response *r)
{
	char line[HEADER_LINE_MAX];
	char *v;

	while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == '\n'))
		len--;
	if (len >= sizeof(line) || memchr(p, '\0', len) != NULL)
		return; /* not a header we read */
	memcpy(line, p, len);
	line[len] = '\0';
	if (strncmp(line, "HTTP/", 5) == 0) {
		/* a new response (after 100 Continue): forget the previous one's headers */
		r->date = 0;
		r->max_age = -1;
		return;
	}
	v = strchr(line, ':');
	if (v == NULL)
		return;
	*v++ = '\0';
	v += strspn(v, " \t");
	if (strcasecmp(line, "Date") == 0) {
		time_t t = curl_getdate(v, NULL);
		r->date = t > 0 ? t : 0;
	} else if (strcasecmp(line, "Cache-Control") == 0) {
		parse_cache_control(v, r);
	}
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;

	ccauth_http_parse_header(p, size * n, x->resp);
	return size * n;
}

static curl_socket_t open_cloexec(void *clientp, curlsocktype purpose, struct curl_sockaddr *a)
{
	(void)clientp;
	(void)purpose;
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

/* SIGPIPE blocked for this thread during the transfer; one raised by it is consumed. */
struct sigpipe_state {
	sigset_t old;
	int was_pending;
	int ok;
};

static void sigpipe_block(struct sigpipe_state *s)
{
	sigset_t set, pending;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	s->ok = pthread_sigmask(SIG_BLOCK, &set, &s->old) == 0;
	s->was_pending = 1;
	if (s->ok && sigpending(&pending) == 0)
		s->was_pending = sigismember(&pending, SIGPIPE) == 1;
}

static void sigpipe_restore(struct sigpipe_state *s)
{
	sigset_t set, pending;
	struct timespec zero = {0, 0};

	if (!s->ok)
		return;
	if (!s->was_pending && sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
		sigemptyset(&set);
		sigaddset(&set, SIGPIPE);
		(void)sigtimedwait(&set, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &s->old, NULL);
}

#define SET(opt, val)                                                                                                  \
	do {                                                                                                           \
		if (curl_easy_setopt(c, opt, val) != CURLE_OK)                                                         \
			goto setopt_failed;                                                                            \
	} while (0)

static enum ccauth_status transfer_error(CURL *c, CURLcode rc, const struct xfer *x, const struct ccauth_http *h,
                                         struct ccauth_error *err)
{
	const char *host = x->resp->host;
	long vr = 0;

	if (x->too_big || rc == CURLE_FILESIZE_EXCEEDED)
		return ccauth_error_set(err, CCAUTH_E_UNAVAILABLE, "%s: response larger than %zu bytes", host, x->max);
	if (x->nomem || rc == CURLE_OUT_OF_MEMORY)
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "%s: out of memory", host);
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		return ccauth_error_set(err, CCAUTH_E_UNAVAILABLE,
		                        "%s: timed out (connect %ld s, total %ld s, or the call's deadline)", host,
		                        h->connect_timeout, h->timeout);
	case CURLE_COULDNT_RESOLVE_HOST:
		return ccauth_error_set(err, CCAUTH_E_UNAVAILABLE, "%s: cannot resolve host name", host);
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
		return ccauth_error_set(err, CCAUTH_E_UNAVAILABLE, "%s: cannot connect", host);
	case CURLE_PEER_FAILED_VERIFICATION:
		/* libcurl checks the name itself after the chain and then reports no X509 code, or
		 * X509_V_ERR_UNSPECIFIED, depending on the version */
		if (curl_easy_getinfo(c, CURLINFO_SSL_VERIFYRESULT, &vr) == CURLE_OK && vr != X509_V_OK &&
		    vr != X509_V_ERR_UNSPECIFIED && vr != X509_V_ERR_HOSTNAME_MISMATCH &&
		    vr != X509_V_ERR_IP_ADDRESS_MISMATCH)
			return ccauth_error_set(err, CCAUTH_E_UNAVAILABLE, "%s: TLS certificate not trusted (%s)", host,
			                        X509_verify_cert_error_string(vr));
		return ccauth_error_set(err, CCAUTH_E_UNAVAILABLE, "%s: TLS certificate does not match the host name",
		                        host);
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "%s: cannot use the local certificate, key or CA file",
		                        host);
	case CURLE_UNSUPPORTED_PROTOCOL:
		return ccauth_error_set(err, CCAUTH_E_UNAVAILABLE, "%s: protocol refused", host);
	default:
		return ccauth_error_set(err, CCAUTH_E_UNAVAILABLE, "%s: %s", host, curl_easy_strerror(rc));
	}
}

static void wipe_slist(struct curl_slist *l)
{
	for (struct curl_slist *i = l; i != NULL; i = i->next)
		if (i->data != NULL)
			OPENSSL_cleanse(i->data, strlen(i->data));
	curl_slist_free_all(l);
}

/* notAfter of the server's own certificate (the first libcurl reports); 0 if unknown. */
static time_t leaf_expiry(CURL *c)
{
	struct curl_certinfo *ci = NULL;

	if (curl_easy_getinfo(c, CURLINFO_CERTINFO, &ci) != CURLE_OK || ci == NULL || ci->num_of_certs < 1)
		return 0;
	for (struct curl_slist *l = ci->certinfo[0]; l != NULL; l = l->next)
		if (strncmp(l->data, "Expire date:", 12) == 0) {
			time_t t = curl_getdate(l->data + 12 + strspn(l->data + 12, " "), NULL);

			return t > 0 ? t : 0;
		}
	return 0;
}

/* cert_expiry: NULL, or ask for the server's chain (ccauth_http_get_certinfo). */
static enum ccauth_status request(struct ccauth_http *h, const char *url, const char *form, size_t formlen,
                                  const struct ccauth_http_cred *cred, struct ccauth_http_response *resp,
                                  time_t *cert_expiry, struct ccauth_error *err)
{
	struct xfer x;
	struct curl_slist *hdrs = NULL, *tmp;
	struct sigpipe_state sp;
	enum ccauth_status st;
	char *ct = NULL;
	char *auth = NULL;
	size_t authlen = 0;
	CURLcode rc;
	pid_t owner;
	CURL *c;

	if (cert_expiry != NULL)
		*cert_expiry = 0;
	if (h == NULL || resp == NULL)
		return ccauth_error_set(err, CCAUTH_E_INTERNAL, "http: no context");
	memset(resp, 0, sizeof(*resp));
	resp->max_age = -1;
	if ((st = ccauth_http_check_url(url, resp->host, sizeof(resp->host), err)) != CCAUTH_OK)
		return st;

	memset(&x, 0, sizeof(x));
	x.resp = resp;
	x.max = h->max_body;
	x.body.max = h->max_body;

	owner = getpid();
	c = handle_get(h);
	if (c == NULL)
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "%s: cannot create a curl handle", resp->host);

	SET(CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
	SET(CURLOPT_PROTOCOLS_STR, "https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "https");
#else
	SET(CURLOPT_PROTOCOLS, (long)CURLPROTO_HTTPS);
	SET(CURLOPT_REDIR_PROTOCOLS, (long)CURLPROTO_HTTPS);
#endif
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	/* CAINFO NULL drops the compiled-in bundle: loading it costs ~20 ms per new connection */
	SET(CURLOPT_CAINFO, h->ca_file);
	SET(CURLOPT_CAPATH, h->ca_path);
	SET(CURLOPT_NOSIGNAL, 1L);
	/* each request gets timeout, but never more than the call's deadline has left (deadline.h) */
	SET(CURLOPT_CONNECTTIMEOUT_MS, ccauth_deadline_clamp_ms(h->connect_timeout * 1000));
	SET(CURLOPT_TIMEOUT_MS, ccauth_deadline_clamp_ms(h->timeout * 1000));
	if (!h->proxy_env) {
		SET(CURLOPT_PROXY, h->proxy != NULL ? h->proxy : "");
		SET(CURLOPT_NOPROXY, "");
	}
	SET(CURLOPT_OPENSOCKETFUNCTION, open_cloexec);
	SET(CURLOPT_WRITEFUNCTION, on_write);
	SET(CURLOPT_WRITEDATA, &x);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, &x);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)h->max_body);
	SET(CURLOPT_USERAGENT, "ccauth");
	SET(CURLOPT_ACCEPT_ENCODING, NULL);

	if ((tmp = curl_slist_append(hdrs, "Accept: application/json")) == NULL)
		goto nomem;
	hdrs = tmp;
	if (form != NULL) {
		if ((tmp = curl_slist_append(hdrs, "Content-Type: application/x-www-form-urlencoded")) == NULL)
			goto nomem;
		hdrs = tmp;
		SET(CURLOPT_POST, 1L);
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)formlen);
		SET(CURLOPT_POSTFIELDS, form);
	}
	if (cred != NULL && cred->authorization != NULL) {
		size_t vl = strlen(cred->authorization);

		authlen = sizeof("Authorization: ") + vl;
		if ((auth = malloc(authlen)) == NULL)
			goto nomem;
		memcpy(auth, "Authorization: ", sizeof("Authorization: ") - 1);
		memcpy(auth + sizeof("Authorization: ") - 1, cred->authorization, vl + 1);
		tmp = curl_slist_append(hdrs, auth);
		ccauth_free_secret(auth, authlen);
		auth = NULL;
		if (tmp == NULL)
			goto nomem;
		hdrs = tmp;
	}
	if (cred != NULL && cred->tls_cert_file != NULL) {
		SET(CURLOPT_SSLCERTTYPE, "PEM");
		SET(CURLOPT_SSLCERT, cred->tls_cert_file);
		SET(CURLOPT_SSLKEYTYPE, "PEM");
		SET(CURLOPT_SSLKEY, cred->tls_key_file != NULL ? cred->tls_key_file : cred->tls_cert_file);
	}
	SET(CURLOPT_HTTPHEADER, hdrs);
	if (cert_expiry != NULL) {
		/* a reused connection or a resumed session would not show the chain again */
		SET(CURLOPT_CERTINFO, 1L);
		SET(CURLOPT_FRESH_CONNECT, 1L);
		SET(CURLOPT_SSL_SESSIONID_CACHE, 0L);
	}

	if (ccauth_deadline_left_ms() == 0) {
		st = ccauth_error_set(err, CCAUTH_E_UNAVAILABLE,
		                      "%s: no time left for this request (deadline of %ld%% of timeout)", resp->host,
		                      (long)CCAUTH_DEADLINE_PERCENT);
		goto done;
	}
	sigpipe_block(&sp);
	rc = curl_easy_perform(c);
	sigpipe_restore(&sp);
	if (cert_expiry != NULL)
		*cert_expiry = leaf_expiry(c);

	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
	if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct != NULL)
		(void)ccauth_strlcpy(resp->content_type, ct, sizeof(resp->content_type));

	if (rc != CURLE_OK) {
		st = transfer_error(c, rc, &x, h, err);
	} else if (resp->status >= 300 && resp->status < 400) {
		st = ccauth_error_set(err, CCAUTH_E_UNAVAILABLE, "%s: redirect refused (HTTP %ld)", resp->host,
		                      resp->status);
	} else if (form != NULL && ccauth_http_is_refusal(resp->status)) {
		/* a refusal whatever the body: an empty 401 or a 403 text/html page is as definite as an
		 * OAuth error object, and must never read as "the AS is down" */
		st = ccauth_error_set(err, CCAUTH_E_DENIED, "%s: HTTP %ld", resp->host, resp->status);
	} else if (resp->status != 200) {
		st = ccauth_error_set(err, CCAUTH_E_UNAVAILABLE, "%s: HTTP %ld", resp->host, resp->status);
	} else if (!ccauth_http_is_json_type(resp->content_type)) {
		st = ccauth_error_set(err, CCAUTH_E_UNAVAILABLE, "%s: HTTP %ld with a content type that is not JSON",
		                      resp->host, resp->status);
	} else {
		st = CCAUTH_OK;
	}
	if ((st == CCAUTH_OK || st == CCAUTH_E_DENIED) && x.body.p == NULL) {
		/* an empty body: still a valid NUL-terminated string for the caller */
		ccauth_sbuf_add(&x.body, "", 0);
		if (x.body.failed)
			st = ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	}
	if (st == CCAUTH_OK || st == CCAUTH_E_DENIED) {
		resp->body = x.body.p;
		resp->len = x.body.len;
		x.body.p = NULL;
	}
	goto done;

setopt_failed:
	st = ccauth_error_set(err, CCAUTH_E_INTERNAL, "%s: libcurl refused an option", resp->host);
	goto done;
nomem:
	st = ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
done:
	/* the handle must not keep pointers to our stack or the caller's buffers */
	handle_put(h, c, owner);
	wipe_slist(hdrs);
	ccauth_sbuf_wipe(&x.body);
	return st;
}

int ccauth_http_is_refusal(long status)
{
	return status == 400 || status == 401 || status == 403;
}

enum ccauth_status ccauth_http_get(struct ccauth_http *h, const char *url, struct ccauth_http_response *resp,
                                   struct ccauth_error *err)
{
	return request(h, url, NULL, 0, NULL, resp, NULL, err);
}

enum ccauth_status ccauth_http_get_cred(struct ccauth_http *h, const char *url, const struct ccauth_http_cred *cred,
                                        struct ccauth_http_response *resp, struct ccauth_error *err)
{
	return request(h, url, NULL, 0, cred, resp, NULL, err);
}

enum ccauth_status ccauth_http_get_certinfo(struct ccauth_http *h, const char *url, struct ccauth_http_response *resp,
                                            time_t *cert_expiry, struct ccauth_error *err)
{
	time_t dummy;

	return request(h, url, NULL, 0, NULL, resp, cert_expiry != NULL ? cert_expiry : &dummy, err);
}

enum ccauth_status ccauth_http_post_form(struct ccauth_http *h, const char *url, const char *form, size_t formlen,
                                         const struct ccauth_http_cred *cred, struct ccauth_http_response *resp,
                                         struct ccauth_error *err)
{
	if (form == NULL)
		form = "";
	return request(h, url, form, formlen, cred, resp, NULL, err);
}

void ccauth_http_response_free(struct ccauth_http_response *resp)
{
	if (resp == NULL)
		return;
	if (resp->body != NULL)
		ccauth_free_secret(resp->body, resp->len + 1);
	memset(resp, 0, sizeof(*resp));
}
