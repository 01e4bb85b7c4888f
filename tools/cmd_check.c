/* ccauth check [--token] (design.md "The ccauth command"): check the configuration, its files,
 * the cache directory, every endpoint, the keys, the clock and the TLS certificates.
 *
 * Each finding is one line on stdout, "ok: ...", "warn: ..." or "fail: ...".  Nothing printed
 * is a secret: file names, URLs, counts and the core's error messages (safe by construction).
 * Without --token the only requests are GETs of public documents and of the token and
 * introspection endpoints (any HTTP answer proves them reachable); nothing is cached on disk.
 * Each request is bounded by the configured timeouts, each URL is asked once, and a host that
 * gave no HTTP answer is not asked again, so the whole run is bounded by the number of hosts. */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "assertion.h"
#include "cache.h"
#include "commands.h"
#include "config.h"
#include "credfile.h"
#include "discovery.h"
#include "http.h"
#include "jwks.h"
#include "token.h"
#include "util.h"

enum { EXIT_FAILED = 1, EXIT_USAGE = 2 };
enum { OK, WARN, FAIL };

#define CERT_WARN_DAYS 30
#define MAX_HOSTS      64

static const char check_usage[] =
    "usage: ccauth [-c FILE] check [--token]\n"
    "\n"
    "Check the configuration and print one line per finding on stdout: \"ok: ...\", \"warn: ...\" or\n"
    "\"fail: ...\".  Checked: the configuration and its drop-ins load (their mode and owner), each\n"
    "credential file as this user may use it (fail: nobody may, e.g. world-readable; warn: it belongs\n"
    "to another user, who may be the one using that section), each file is readable, cache_dir is\n"
    "usable; for each\n"
    "[issuer]: metadata by discovery, the keys (jwks_file or jwks_uri: how many are usable with the\n"
    "configured algorithms), the introspection endpoint when introspect is not never, the audience\n"
    "and what the section risks under its profile (an Entra multi-tenant issuer, a Keycloak section\n"
    "without audience, ...: doc/as/), the username_map;\n"
    "for each [client]: the token endpoint answers.  For every server contacted: its Date header\n"
    "against the local clock (warn beyond clock_skew/2, fail beyond clock_skew) and the expiry of\n"
    "its TLS certificate (warn within 30 days, fail when expired).\n"
    "\n"
    "No token is requested unless --token is given: then each [client] runs the client-credentials\n"
    "grant once (nothing is cached) and the line says whether a token was issued, or the AS's error\n"
    "code.  Secrets and tokens are never printed.\n"
    "\n"
    "exit status: 0 no fail line (warnings allowed); 1 at least one fail line (a configuration that\n"
    "does not load is one fail line); 2 usage error.\n";

struct host_seen {
	char host[256];
	int answered;
};

struct memo {
	char *issuer;
	struct ccauth_metadata *m;
	enum ccauth_status st;
	char msg[CCAUTH_ERRMSG_MAX];
};

struct checker {
	const struct ccauth_config *cfg;
	const struct ccauth_log *log;
	struct ccauth_http *http;
	int nfail, nwarn;
	struct host_seen hosts[MAX_HOSTS];
	size_t nhosts;
	struct memo *memo;
	size_t nmemo, memocap;
};

static void finding(struct checker *c, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void finding(struct checker *c, int level, const char *fmt, ...)
{
	static const char *const names[] = {"ok", "warn", "fail"};
	va_list ap;

	if (level == FAIL)
		c->nfail++;
	else if (level == WARN)
		c->nwarn++;
	printf("%s: ", names[level]);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* ---- files ----------------------------------------------------------------------------------- */

static int readable(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/* what: "client NAME: client_secret_file"; secret: a credential (credfile.h rules). */
static void check_file(struct checker *c, const char *what, const char *name, int secret)
{
	char buf[PATH_MAX];
	const char *path;
	struct stat sb;

	if (name == NULL || name[0] == '\0')
		return;
	if ((path = ccauth_credfile_path(name, buf, sizeof(buf))) == NULL) {
		finding(c, WARN, "%s %s: a credential name, looked up in $CREDENTIALS_DIRECTORY, which is not set here",
		        what, name);
		return;
	}
	if (stat(path, &sb) != 0) {
		finding(c, FAIL, "%s %s: cannot stat it (errno %d)", what, path, errno);
		return;
	}
	if (secret) {
		/* checked by the process that uses the section, when it reads the file: a file fit for
		 * another user is a warning here, one fit for nobody a failure */
		char why[200];
		enum ccauth_credfile_verdict v = ccauth_credfile_judge(&sb, why, sizeof(why));

		if (v != CCAUTH_CREDFILE_OK) {
			finding(c, v == CCAUTH_CREDFILE_UNFIT ? FAIL : WARN, "%s %s %s%s", what, path, why,
			        v == CCAUTH_CREDFILE_UNFIT ? "" : " (fine if only that user uses this section)");
			return;
		}
	}
	if (readable(path) != 0) {
		finding(c, FAIL, "%s %s: not readable by uid %lu (errno %d)", what, path, (unsigned long)geteuid(),
		        errno);
		return;
	}
	finding(c, OK, "%s %s: mode %04o, owner uid %lu, readable", what, path, (unsigned)(sb.st_mode & 07777),
	        (unsigned long)sb.st_uid);
}

static void check_config_file(struct checker *c)
{
	const struct ccauth_config *cfg = c->cfg;
	struct stat sb;

	if (stat(cfg->path, &sb) == 0)
		finding(c, OK, "config %s: loaded (mode %04o, owner uid %lu; %zu [client], %zu [issuer])", cfg->path,
		        (unsigned)(sb.st_mode & 07777), (unsigned long)sb.st_uid, cfg->nclients, cfg->nissuers);
	else
		finding(c, OK, "config %s: loaded (%zu [client], %zu [issuer])", cfg->path, cfg->nclients,
		        cfg->nissuers);
}

static void check_global(struct checker *c)
{
	const struct ccauth_config *cfg = c->cfg;
	struct ccauth_cache *cache = NULL;
	struct ccauth_error err = {0};
	struct stat sb;

	check_file(c, "ca_file", cfg->ca_file, 0);
	if (cfg->ca_path != NULL && cfg->ca_path[0] != '\0') {
		if (stat(cfg->ca_path, &sb) != 0 || !S_ISDIR(sb.st_mode))
			finding(c, FAIL, "ca_path %s: not a directory", cfg->ca_path);
		else
			finding(c, OK, "ca_path %s: a directory", cfg->ca_path);
	}
	if (cfg->cache_dir == NULL || cfg->cache_dir[0] == '\0') {
		finding(c, OK, "cache_dir is empty: tokens, keys and metadata are cached in memory only");
		return;
	}
	/* the same open every command does (it creates the directories when missing) */
	if (ccauth_cache_open(cfg->cache_dir, c->log, &cache, &err) != CCAUTH_OK) {
		finding(c, FAIL, "%s", err.msg);
		return;
	}
	if (stat(ccauth_cache_dir(cache), &sb) == 0)
		finding(c, OK, "cache_dir %s: usable (%s mode %04o, owner uid %lu)", cfg->cache_dir,
		        ccauth_cache_dir(cache), (unsigned)(sb.st_mode & 07777), (unsigned long)sb.st_uid);
	else
		finding(c, OK, "cache_dir %s: usable", cfg->cache_dir);
	ccauth_cache_close(cache);
}

/* ---- network --------------------------------------------------------------------------------- */

static struct host_seen *host_find(struct checker *c, const char *host)
{
	for (size_t i = 0; i < c->nhosts; i++)
		if (strcmp(c->hosts[i].host, host) == 0)
			return &c->hosts[i];
	return NULL;
}

/* A host that did not answer before is not asked again: the run stays bounded. */
static int host_down(struct checker *c, const char *url, char *host, size_t hostsize)
{
	struct host_seen *h;

	if (ccauth_http_check_url(url, host, hostsize, NULL) != CCAUTH_OK)
		return 0;
	h = host_find(c, host);
	return h != NULL && !h->answered;
}

static void fmt_day(time_t t, char *buf, size_t size)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, size, "%Y-%m-%d", &tm) == 0)
		ccauth_strlcpy(buf, "?", size);
}

/* The first time a host answers: its clock and its certificates. */
static void host_report(struct checker *c, const struct ccauth_cmd_probe *p)
{
	struct host_seen *h = NULL;
	char day[32];

	if (p->host[0] == '\0' || (h = host_find(c, p->host)) != NULL) {
		if (h != NULL && p->status != 0)
			h->answered = 1;
		return;
	}
	if (c->nhosts < MAX_HOSTS) {
		h = &c->hosts[c->nhosts++];
		ccauth_strlcpy(h->host, p->host, sizeof(h->host));
		h->answered = p->status != 0;
	}
	if (p->status == 0)
		return;
	if (p->date == 0) {
		finding(c, WARN, "clock: %s sent no Date header; the clock is not compared", p->host);
	} else {
		long skew = (long)(p->date - p->received), mag = skew < 0 ? -skew : skew;
		int level = mag > c->cfg->clock_skew ? FAIL : 2 * mag > c->cfg->clock_skew ? WARN : OK;

		finding(c, level, "clock: the Date header of %s is %ld s %s the local clock (clock_skew %d s)", p->host,
		        mag, skew < 0 ? "behind" : "ahead of", c->cfg->clock_skew);
	}
	if (p->cert_expiry == 0) {
		finding(c, WARN, "certificate of %s: expiry unknown", p->host);
	} else {
		long days = (long)((p->cert_expiry - p->received) / 86400);

		fmt_day(p->cert_expiry, day, sizeof(day));
		if (p->cert_expiry <= p->received)
			finding(c, FAIL, "certificate of %s: expired on %s", p->host, day);
		else
			finding(c, days < CERT_WARN_DAYS ? WARN : OK, "certificate of %s: valid until %s (%ld days)",
			        p->host, day, days);
	}
}

/* GET url: CCAUTH_OK for a usable JSON answer; *answered when any HTTP answer came. */
static enum ccauth_status probe(struct checker *c, const char *url, struct ccauth_http_response *resp, int *answered,
                                struct ccauth_error *err)
{
	struct ccauth_cmd_probe p;
	enum ccauth_status st;
	char host[256];

	memset(resp, 0, sizeof(*resp));
	*answered = 0;
	if (host_down(c, url, host, sizeof(host)))
		return ccauth_error_set(err, CCAUTH_E_UNAVAILABLE, "%s: not asked again, it did not answer before",
		                        host);
	st = ccauth_cmd_probe_get(c->http, url, resp, &p, err);
	*answered = p.status != 0;
	host_report(c, &p);
	return st;
}

/* Discovery once per issuer string; the result is borrowed from the memo. */
static const struct ccauth_metadata *discover(struct checker *c, const char *issuer, struct ccauth_error *err)
{
	struct ccauth_cmd_probe p;
	struct memo *mm;
	char host[256];
	int form = -1;

	for (size_t i = 0; i < c->nmemo; i++) {
		if (strcmp(c->memo[i].issuer, issuer) == 0) {
			if (c->memo[i].m == NULL)
				ccauth_error_set(err, c->memo[i].st, "%s", c->memo[i].msg);
			return c->memo[i].m;
		}
	}
	if (c->nmemo == c->memocap) {
		size_t cap = c->memocap ? c->memocap * 2 : 8;
		struct memo *n = realloc(c->memo, cap * sizeof(*n));

		if (n == NULL) {
			ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
			return NULL;
		}
		c->memo = n;
		c->memocap = cap;
	}
	mm = &c->memo[c->nmemo];
	memset(mm, 0, sizeof(*mm));
	if ((mm->issuer = strdup(issuer)) == NULL) {
		ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
		return NULL;
	}
	c->nmemo++;
	if (host_down(c, issuer, host, sizeof(host))) {
		mm->st =
		    ccauth_error_set(err, CCAUTH_E_UNAVAILABLE, "%s: not asked again, it did not answer before", host);
	} else {
		mm->st = ccauth_cmd_discover_issuer(c->http, issuer, &mm->m, &form, &p, err);
		host_report(c, &p);
	}
	if (mm->m == NULL)
		ccauth_strlcpy(mm->msg, err->msg, sizeof(mm->msg));
	else
		finding(c, OK, "discovery of %s: metadata from the %s form", issuer, ccauth_cmd_discovery_form(form));
	return mm->m;
}

/* ---- issuers --------------------------------------------------------------------------------- */

struct warn_count {
	const struct ccauth_log *next;
	int n;
};

static void count_warnings(void *ctx, int priority, const char *msg)
{
	struct warn_count *w = ctx;

	if (priority <= LOG_WARNING)
		w->n++;
	ccauth_log(w->next, priority, "%s", msg);
}

static void report_keys(struct checker *c, const struct ccauth_issuer_conf *ic, const char *source,
                        const struct ccauth_jwks *set, int skipped)
{
	size_t allowed = 0;

	for (size_t i = 0; i < set->nkeys; i++)
		for (int a = 0; a < CCAUTH_ALG_COUNT; a++)
			if ((ic->algorithms & CCAUTH_ALG_BIT(a)) &&
			    ccauth_jwk_allows(&set->keys[i], (enum ccauth_alg)a)) {
				allowed++;
				break;
			}
	if (set->nkeys == 0)
		finding(c, WARN, "issuer %s: %s: no usable key (%d skipped)", ic->name, source, skipped);
	else if (allowed == 0)
		finding(c, FAIL, "issuer %s: %s: %zu usable key%s, none for the configured algorithms", ic->name,
		        source, set->nkeys, set->nkeys == 1 ? "" : "s");
	else
		finding(c, OK, "issuer %s: %s: %zu usable key%s (%zu for the configured algorithms, %d skipped)",
		        ic->name, source, set->nkeys, set->nkeys == 1 ? "" : "s", allowed, skipped);
}

static void check_keys(struct checker *c, const struct ccauth_issuer_conf *ic, const struct ccauth_metadata *m)
{
	struct warn_count wc = {c->log, 0};
	struct ccauth_log counting = {.fn = count_warnings, .ctx = &wc, .debug = c->log != NULL && c->log->debug};
	struct ccauth_http_response r;
	struct ccauth_jwks *set = NULL;
	struct ccauth_error err = {0};
	const char *uri = ic->jwks_uri;
	char source[CCAUTH_ERRMSG_MAX];
	int answered;

	if (ic->jwks_file != NULL) {
		if (ccauth_jwks_load_file(ic->jwks_file, &counting, &set, &err) != CCAUTH_OK) {
			finding(c, FAIL, "issuer %s: jwks_file %s: %s", ic->name, ic->jwks_file, err.msg);
			return;
		}
		snprintf(source, sizeof(source), "jwks_file %s", ic->jwks_file);
		report_keys(c, ic, source, set, wc.n);
		ccauth_jwks_unref(set);
		return;
	}
	if (uri == NULL && m != NULL)
		uri = m->jwks_uri;
	if (uri == NULL) {
		finding(c, FAIL, "issuer %s: no jwks_uri (not configured%s)", ic->name,
		        m != NULL ? ", not in the metadata" : ", no metadata");
		return;
	}
	snprintf(source, sizeof(source), "jwks_uri %s", uri);
	if (probe(c, uri, &r, &answered, &err) != CCAUTH_OK)
		finding(c, FAIL, "issuer %s: %s: %s", ic->name, source, err.msg);
	else if (ccauth_jwks_parse(r.body, r.len, &counting, &set, &err) != CCAUTH_OK)
		finding(c, FAIL, "issuer %s: %s: %s", ic->name, source, err.msg);
	else
		report_keys(c, ic, source, set, wc.n);
	ccauth_jwks_unref(set);
	ccauth_http_response_free(&r);
}

/* An endpoint that only takes POSTs: any HTTP answer to a GET shows it is there. */
static void check_endpoint(struct checker *c, const char *what, const char *url)
{
	struct ccauth_http_response r;
	struct ccauth_error err = {0};
	int answered;
	enum ccauth_status st = probe(c, url, &r, &answered, &err);

	if (st == CCAUTH_OK || answered)
		finding(c, OK, "%s %s: reachable (HTTP %ld to a GET)", what, url, r.status);
	else
		finding(c, FAIL, "%s %s: %s", what, url, err.msg);
	ccauth_http_response_free(&r);
}

static void check_introspection(struct checker *c, const struct ccauth_issuer_conf *ic, const struct ccauth_metadata *m)
{
	const char *ep = ic->introspection_endpoint != NULL ? ic->introspection_endpoint
	                 : m != NULL                        ? m->introspection_endpoint
	                                                    : NULL;
	int level = ic->introspect == CCAUTH_INTROSPECT_ALWAYS ? FAIL : WARN;
	const char *mode = ic->introspect == CCAUTH_INTROSPECT_ALWAYS ? "always" : "opaque";
	char what[CCAUTH_ERRMSG_MAX];

	if (ic->introspect == CCAUTH_INTROSPECT_NEVER) {
		finding(c, OK, "issuer %s: introspect = never", ic->name);
		return;
	}
	if (ep == NULL) {
		finding(c, level, "issuer %s: introspect = %s but no introspection endpoint (not configured%s)",
		        ic->name, mode, m != NULL ? ", not in the metadata" : ", no metadata");
		return;
	}
	if (ic->introspection_client == NULL)
		finding(c, level, "issuer %s: introspect = %s but no introspection_client to authenticate the calls",
		        ic->name, mode);
	snprintf(what, sizeof(what), "issuer %s: introspection endpoint", ic->name);
	check_endpoint(c, what, ep);
}

static void check_algorithms(struct checker *c, const struct ccauth_issuer_conf *ic)
{
	char list[CCAUTH_ERRMSG_MAX] = "";
	size_t n = 0;

	if (ic->algorithms == CCAUTH_ALG_ALL) {
		finding(c, OK, "issuer %s: algorithms: every asymmetric JWS algorithm (the default)", ic->name);
		return;
	}
	for (int a = 0; a < CCAUTH_ALG_COUNT; a++)
		if (ic->algorithms & CCAUTH_ALG_BIT(a)) {
			int k = snprintf(list + n, sizeof(list) - n, " %s", ccauth_alg_name((enum ccauth_alg)a));

			if (k > 0 && (size_t)k < sizeof(list) - n)
				n += (size_t)k;
		}
	if (n == 0)
		finding(c, FAIL, "issuer %s: algorithms: none allowed, no JWT can validate", ic->name);
	else
		finding(c, OK, "issuer %s: algorithms:%s", ic->name, list);
}

static void emit_finding(void *ctx, int level, const char *msg)
{
	finding(ctx, level, "%s", msg);
}

static void check_issuer(struct checker *c, const struct ccauth_issuer_conf *ic)
{
	const struct ccauth_metadata *m = NULL;
	struct ccauth_error err = {0};
	int need_keys = ic->jwks_file == NULL && ic->jwks_uri == NULL;
	int need_ie = ic->introspect != CCAUTH_INTROSPECT_NEVER && ic->introspection_endpoint == NULL;

	/* discovery only when something must come from it: air-gapped hosts have jwks_file */
	if (need_keys || need_ie) {
		m = discover(c, ic->issuer, &err);
		if (m == NULL)
			finding(c, need_keys ? FAIL : WARN, "issuer %s: discovery of %s: %s", ic->name, ic->issuer,
			        err.msg);
	}
	check_keys(c, ic, m);
	check_algorithms(c, ic);
	check_introspection(c, ic, m);
	ccauth_check_profile(ic, emit_finding, c);
}

/* ---- clients --------------------------------------------------------------------------------- */

static void check_client_files(struct checker *c, const struct ccauth_client_conf *cc)
{
	char what[CCAUTH_ERRMSG_MAX];

	snprintf(what, sizeof(what), "client %s: client_secret_file", cc->name);
	check_file(c, what, cc->client_secret_file, 1);
	snprintf(what, sizeof(what), "client %s: private_key_file", cc->name);
	check_file(c, what, cc->private_key_file, 1);
	snprintf(what, sizeof(what), "client %s: tls_cert_file", cc->name);
	check_file(c, what, cc->tls_cert_file, 0);
	snprintf(what, sizeof(what), "client %s: tls_key_file", cc->name);
	check_file(c, what, cc->tls_key_file, 1);
}

/* A federated assertion or subject token: where it is from, for whom, how long it lasts; never
 * its text. */
static void assertion_report(struct checker *c, const char *what, enum ccauth_status st,
                             const struct ccauth_assertion_info *info, const struct ccauth_error *err)
{
	long long left = (long long)(info->exp - (int64_t)time(NULL));

	if (st != CCAUTH_OK)
		finding(c, FAIL, "%s: %s", what, err->msg);
	else
		finding(c, left < 60 ? WARN : OK, "%s: a JWT from %s for %s, expires in %lld s", what,
		        info->iss[0] != '\0' ? info->iss : "(no iss)", info->aud[0] != '\0' ? info->aud : "(no aud)",
		        left);
}

static void check_assertions(struct checker *c, const struct ccauth_client_conf *cc)
{
	struct ccauth_assertion_info info;
	struct ccauth_error err = {0};
	enum ccauth_status st;
	char what[CCAUTH_ERRMSG_MAX], *jwt = NULL;

	if (cc->auth_method == CCAUTH_AUTH_CLIENT_ASSERTION && cc->client_assertion_file != NULL) {
		snprintf(what, sizeof(what), "client %s: client_assertion_file %s", cc->name,
		         cc->client_assertion_file);
		st = ccauth_assertion_read_file("client_assertion_file", cc->client_assertion_file, (int64_t)time(NULL),
		                                &jwt, &info, &err);
		assertion_report(c, what, st, &info, &err);
		ccauth_free_secret_str(jwt);
		jwt = NULL;
	} else if (cc->auth_method == CCAUTH_AUTH_CLIENT_ASSERTION && cc->client_assertion_url != NULL) {
		snprintf(what, sizeof(what), "client %s: client_assertion_url %s", cc->name, cc->client_assertion_url);
		st = ccauth_assertion_fetch_url(c->http, cc->client_assertion_url, cc->client_assertion_token_env,
		                                cc->client_assertion_audience != NULL ? cc->client_assertion_audience
		                                                                      : cc->issuer,
		                                (int64_t)time(NULL), &jwt, &info, &err);
		assertion_report(c, what, st, &info, &err);
		ccauth_free_secret_str(jwt);
		jwt = NULL;
	}
	if (cc->grant == CCAUTH_GRANT_TOKEN_EXCHANGE) {
		snprintf(what, sizeof(what), "client %s: subject_token_file %s", cc->name,
		         cc->subject_token_file != NULL ? cc->subject_token_file : "-");
		st = ccauth_assertion_read_file("subject_token_file", cc->subject_token_file, (int64_t)time(NULL), &jwt,
		                                &info, &err);
		assertion_report(c, what, st, &info, &err);
		ccauth_free_secret_str(jwt);
	}
}

static void check_token(struct checker *c, struct ccauth_tokens *tokens, const struct ccauth_client_conf *cc)
{
	struct ccauth_token *tok = NULL;
	struct ccauth_error err = {0};
	enum ccauth_status st;

	st = ccauth_token_get(tokens, cc, (int64_t)time(NULL), CCAUTH_TOKEN_FORCE_NEW, &tok, &err);
	if (st == CCAUTH_OK)
		finding(c, OK, "client %s: token issued (lifetime %lld s%s%s)", cc->name,
		        (long long)(tok->expires - tok->issued), tok->scope != NULL ? ", scope " : "",
		        tok->scope != NULL ? tok->scope : "");
	else
		finding(c, FAIL, "client %s: token: %s", cc->name, err.msg[0] != '\0' ? err.msg : "failed");
	ccauth_token_free(tok);
}

static void check_client(struct checker *c, const struct ccauth_client_conf *cc, struct ccauth_tokens *tokens)
{
	const struct ccauth_metadata *m = NULL;
	struct ccauth_error err = {0};
	const char *ep = cc->token_endpoint;
	char what[CCAUTH_ERRMSG_MAX];

	check_client_files(c, cc);
	check_assertions(c, cc);
	if (ep == NULL && cc->issuer != NULL) {
		if ((m = discover(c, cc->issuer, &err)) == NULL) {
			finding(c, FAIL, "client %s: discovery of %s: %s", cc->name, cc->issuer, err.msg);
			return;
		}
		ep = m->token_endpoint;
	}
	if (ep == NULL) {
		finding(c, FAIL, "client %s: no token endpoint (not configured, not in the metadata)", cc->name);
		return;
	}
	snprintf(what, sizeof(what), "client %s: token endpoint", cc->name);
	check_endpoint(c, what, ep);
	if (tokens != NULL)
		check_token(c, tokens, cc);
}

/* ---- the command ----------------------------------------------------------------------------- */

static void run_checks(struct checker *c, int want_token)
{
	struct ccauth_tokens_opts topts = {.log = c->log, .http = c->http, .memory_only = 1};
	struct ccauth_tokens *tokens = NULL;
	struct ccauth_http_opts hopts;
	struct ccauth_error err = {0};

	check_config_file(c);
	check_global(c);
	ccauth_http_opts_from_config(c->cfg, &hopts);
	if (ccauth_http_new(&hopts, &c->http, &err) != CCAUTH_OK) {
		finding(c, FAIL, "http: %s", err.msg);
		return;
	}
	topts.http = c->http;
	if (want_token && ccauth_tokens_new(c->cfg, &topts, &tokens, &err) != CCAUTH_OK)
		finding(c, FAIL, "token: %s", err.msg);
	for (size_t i = 0; i < c->cfg->nissuers; i++)
		check_issuer(c, &c->cfg->issuers[i]);
	for (size_t i = 0; i < c->cfg->nclients; i++)
		check_client(c, &c->cfg->clients[i], tokens);
	if (c->cfg->nissuers == 0 && c->cfg->nclients == 0)
		finding(c, WARN, "config %s: no [client] and no [issuer] section", c->cfg->path);
	ccauth_tokens_free(tokens);
}

int ccauth_cmd_check(const char *config_path, const struct ccauth_log *log, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"token", no_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct ccauth_config *cfg = NULL;
	struct ccauth_error err = {0};
	struct checker c;
	int ch, want_token = 0;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		if (ch == 't') {
			want_token = 1;
			continue;
		}
		if (ch == 'h') {
			fputs(check_usage, stdout);
			return 0;
		}
		fputs("ccauth: check: bad option\nTry 'ccauth check --help'.\n", stderr);
		return EXIT_USAGE;
	}
	if (argc - optind != 0) {
		fputs("ccauth: check: no arguments expected\nTry 'ccauth check --help'.\n", stderr);
		return EXIT_USAGE;
	}
	memset(&c, 0, sizeof(c));
	c.log = log;
	if (ccauth_config_load(config_path, &cfg, &err) != CCAUTH_OK) {
		finding(&c, FAIL, "config: %s", err.msg);
	} else {
		c.cfg = cfg;
		run_checks(&c, want_token);
	}
	fflush(stdout);
	for (size_t i = 0; i < c.nmemo; i++) {
		free(c.memo[i].issuer);
		ccauth_metadata_free(c.memo[i].m);
	}
	free(c.memo);
	ccauth_http_free(c.http);
	ccauth_config_free(cfg);
	return c.nfail > 0 ? EXIT_FAILED : 0;
}
