/* AS metadata discovery, see discovery.h. */
#include "autoconf.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "discovery.h"
#include "json.h"
#include "util.h"

#define ISSUER_MAX  2048
#define MEM_MAX     64 /* issuers remembered in memory */
#define WK_AS       "/.well-known/oauth-authorization-server"
#define WK_OIDC     "/.well-known/openid-configuration"
#define DISK_PREFIX "discovery\n"

struct mem_entry {
	struct ccauth_metadata *m;
	time_t stale;
	struct mem_entry *next;
};

struct ccauth_discovery {
	struct ccauth_http *http;
	struct ccauth_cache *cache;
	const struct ccauth_log *log;
	int max_stale;
	pthread_mutex_t lock;
	struct mem_entry *mem;
	size_t nmem;
};

long ccauth_discovery_ttl(long max_age)
{
	if (max_age < 0)
		return CCAUTH_DISCOVERY_TTL_DEFAULT;
	if (max_age < CCAUTH_DISCOVERY_TTL_MIN)
		return CCAUTH_DISCOVERY_TTL_MIN;
	if (max_age > CCAUTH_DISCOVERY_TTL_MAX)
		return CCAUTH_DISCOVERY_TTL_MAX;
	return max_age;
}

static char *concat3(const char *a, size_t al, const char *b, const char *c, size_t cl)
{
	size_t bl = strlen(b);
	char *s = malloc(al + bl + cl + 1);

	if (s == NULL)
		return NULL;
	memcpy(s, a, al);
	memcpy(s + al, b, bl);
	memcpy(s + al + bl, c, cl);
	s[al + bl + cl] = '\0';
	return s;
}

enum ccauth_status ccauth_discovery_urls(const char *issuer, char **rfc8414, char **oidc, struct ccauth_error *err)
{
	const char *auth, *path;
	size_t len, alen, plen;

	*rfc8414 = *oidc = NULL;
	if (issuer == NULL || strncmp(issuer, "https://", 8) != 0)
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "issuer is not an https URL");
	len = strlen(issuer);
	if (len > ISSUER_MAX)
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "issuer longer than %d bytes", ISSUER_MAX);
	if (strpbrk(issuer, "?# \t\r\n") != NULL)
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "issuer has a query, fragment or white space");
	auth = issuer + 8;
	path = strchr(auth, '/');
	if (path == NULL)
		path = issuer + len;
	alen = (size_t)(path - issuer);
	if (alen == 8)
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "issuer has no host");
	plen = strlen(path);
	/* RFC 8414 section 3.1: a terminating "/" is removed before inserting the well-known part */
	while (plen > 0 && path[plen - 1] == '/')
		plen--;
	*rfc8414 = concat3(issuer, alen, WK_AS, path, plen);
	*oidc = concat3(issuer, alen + plen, WK_OIDC, "", 0);
	if (*rfc8414 == NULL || *oidc == NULL) {
		free(*rfc8414);
		free(*oidc);
		*rfc8414 = *oidc = NULL;
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	}
	return CCAUTH_OK;
}

void ccauth_metadata_free(struct ccauth_metadata *m)
{
	if (m == NULL)
		return;
	free(m->issuer);
	free(m->token_endpoint);
	free(m->jwks_uri);
	free(m->introspection_endpoint);
	free(m);
}

static int dup_or_null(const char *s, char **out)
{
	*out = NULL;
	if (s == NULL)
		return 0;
	*out = strdup(s);
	return *out == NULL ? -1 : 0;
}

static struct ccauth_metadata *metadata_copy(const struct ccauth_metadata *m)
{
	struct ccauth_metadata *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	if (dup_or_null(m->issuer, &c->issuer) != 0 || dup_or_null(m->token_endpoint, &c->token_endpoint) != 0 ||
	    dup_or_null(m->jwks_uri, &c->jwks_uri) != 0 ||
	    dup_or_null(m->introspection_endpoint, &c->introspection_endpoint) != 0) {
		ccauth_metadata_free(c);
		return NULL;
	}
	c->expires = m->expires;
	c->from = m->from;
	return c;
}

/* An optional https endpoint member. */
static enum ccauth_status get_endpoint(const struct ccauth_json *root, const char *name, char **out,
                                       struct ccauth_error *err)
{
	char host[256];
	const char *s = NULL;
	size_t len = 0;
	int present = 0;

	*out = NULL;
	if (ccauth_json_get_string(root, name, &s, &len, &present) != CCAUTH_OK)
		return ccauth_error_set(err, CCAUTH_E_UNAVAILABLE, "metadata: %s is not a string", name);
	if (!present)
		return CCAUTH_OK;
	if (len > ISSUER_MAX || ccauth_http_check_url(s, host, sizeof(host), NULL) != CCAUTH_OK)
		return ccauth_error_set(err, CCAUTH_E_UNAVAILABLE, "metadata: %s is not an https URL", name);
	if ((*out = ccauth_strndup_checked(s, len)) == NULL)
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	return CCAUTH_OK;
}

enum ccauth_status ccauth_metadata_parse(const char *issuer, const char *doc, size_t len, struct ccauth_metadata **out,
                                         struct ccauth_error *err)
{
	struct ccauth_json_doc *jd = NULL;
	const struct ccauth_json *root;
	struct ccauth_metadata *m = NULL;
	enum ccauth_status st;
	const char *iss = NULL;
	size_t isslen = 0;
	int present = 0;

	*out = NULL;
	st = ccauth_json_parse(doc, len, CCAUTH_HTTP_MAX_BODY, CCAUTH_JSON_MAX_DEPTH, &jd, err);
	if (st != CCAUTH_OK)
		return st == CCAUTH_E_NOMEM ? st : ccauth_error_set(err, CCAUTH_E_UNAVAILABLE, "metadata: not JSON");
	root = ccauth_json_root(jd);
	if (root == NULL || root->type != CCAUTH_JSON_OBJECT) {
		st = ccauth_error_set(err, CCAUTH_E_UNAVAILABLE, "metadata: not a JSON object");
		goto out;
	}
	if (ccauth_json_get_string(root, "issuer", &iss, &isslen, &present) != CCAUTH_OK || !present) {
		st = ccauth_error_set(err, CCAUTH_E_UNAVAILABLE, "metadata: no issuer string");
		goto out;
	}
	/* exact equality: the document must not speak for another issuer (never echo its text) */
	if (isslen != strlen(issuer) || memcmp(iss, issuer, isslen) != 0) {
		st = ccauth_error_set(err, CCAUTH_E_CONFIG, "metadata: issuer in the document differs from %s", issuer);
		goto out;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL || (m->issuer = strdup(issuer)) == NULL) {
		st = ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
		goto out;
	}
	if ((st = get_endpoint(root, "token_endpoint", &m->token_endpoint, err)) != CCAUTH_OK ||
	    (st = get_endpoint(root, "jwks_uri", &m->jwks_uri, err)) != CCAUTH_OK ||
	    (st = get_endpoint(root, "introspection_endpoint", &m->introspection_endpoint, err)) != CCAUTH_OK)
		goto out;
	*out = m;
	m = NULL;
out:
	ccauth_metadata_free(m);
	ccauth_json_free(jd);
	return st;
}

enum ccauth_status ccauth_discovery_new(struct ccauth_http *http, struct ccauth_cache *cache,
                                        const struct ccauth_log *log, int max_stale, struct ccauth_discovery **out,
                                        struct ccauth_error *err)
{
	struct ccauth_discovery *d;

	*out = NULL;
	if (http == NULL)
		return ccauth_error_set(err, CCAUTH_E_INTERNAL, "discovery: no http context");
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	if (pthread_mutex_init(&d->lock, NULL) != 0) {
		free(d);
		return ccauth_error_set(err, CCAUTH_E_INTERNAL, "mutex initialisation failed");
	}
	d->http = http;
	d->cache = cache;
	d->log = log;
	d->max_stale = max_stale > 0 ? max_stale : 0;
	*out = d;
	return CCAUTH_OK;
}

void ccauth_discovery_free(struct ccauth_discovery *d)
{
	struct mem_entry *e, *n;

	if (d == NULL)
		return;
	for (e = d->mem; e != NULL; e = n) {
		n = e->next;
		ccauth_metadata_free(e->m);
		free(e);
	}
	pthread_mutex_destroy(&d->lock);
	free(d);
}

/* A copy of the memory entry when fresh (or, with allow_stale, not past its stale time). */
static struct ccauth_metadata *mem_lookup(struct ccauth_discovery *d, const char *issuer, time_t now, int allow_stale)
{
	struct ccauth_metadata *m = NULL;

	pthread_mutex_lock(&d->lock);
	for (struct mem_entry *e = d->mem; e != NULL; e = e->next) {
		if (strcmp(e->m->issuer, issuer) != 0)
			continue;
		if (now < e->m->expires || (allow_stale && now < e->stale))
			m = metadata_copy(e->m);
		break;
	}
	pthread_mutex_unlock(&d->lock);
	return m;
}

static void mem_store(struct ccauth_discovery *d, const struct ccauth_metadata *m, time_t stale)
{
	struct ccauth_metadata *c = metadata_copy(m);
	struct mem_entry *e, **pp;

	if (c == NULL)
		return;
	pthread_mutex_lock(&d->lock);
	for (pp = &d->mem; *pp != NULL; pp = &(*pp)->next) {
		if (strcmp((*pp)->m->issuer, m->issuer) == 0) {
			ccauth_metadata_free((*pp)->m);
			(*pp)->m = c;
			(*pp)->stale = stale;
			c = NULL;
			break;
		}
	}
	if (c != NULL && (e = calloc(1, sizeof(*e))) != NULL) {
		if (d->nmem >= MEM_MAX) {
			/* drop the oldest (the tail) */
			struct mem_entry **last = &d->mem;

			while ((*last)->next != NULL)
				last = &(*last)->next;
			ccauth_metadata_free((*last)->m);
			free(*last);
			*last = NULL;
			d->nmem--;
		}
		e->m = c;
		e->stale = stale;
		e->next = d->mem;
		d->mem = e;
		d->nmem++;
		c = NULL;
	}
	pthread_mutex_unlock(&d->lock);
	ccauth_metadata_free(c);
}

static char *disk_key(const char *issuer, size_t *len)
{
	char *k = concat3(DISK_PREFIX, sizeof(DISK_PREFIX) - 1, issuer, "", 0);

	*len = k != NULL ? strlen(k) : 0;
	return k;
}

/* From the disk cache: fresh, or with allow_stale within its stale time. */
static struct ccauth_metadata *disk_lookup(struct ccauth_discovery *d, const char *issuer, time_t now, int allow_stale,
                                           time_t *stale)
{
	struct ccauth_cache_entry e;
	struct ccauth_metadata *m = NULL;
	size_t kl;
	char *k;
	int found = 0;

	if (d->cache == NULL || (k = disk_key(issuer, &kl)) == NULL)
		return NULL;
	if (ccauth_cache_get(d->cache, k, kl, &e, &found, NULL) == CCAUTH_OK && found &&
	    (now < e.expires || (allow_stale && now < e.stale)) &&
	    ccauth_metadata_parse(issuer, e.data, e.len, &m, NULL) == CCAUTH_OK) {
		m->expires = e.expires;
		*stale = e.stale;
	}
	ccauth_cache_entry_free(&e);
	free(k);
	return m;
}

/* One URL: 1 in *answered when the server gave an HTTP answer (so trying the other URL is cheap). */
static enum ccauth_status fetch_one(struct ccauth_discovery *d, const char *issuer, const char *url,
                                    struct ccauth_metadata **out, long *max_age, char **body, size_t *bodylen,
                                    int *answered, struct ccauth_error *err)
{
	struct ccauth_http_response r;
	enum ccauth_status st;

	*answered = 0;
	st = ccauth_http_get(d->http, url, &r, err);
	*answered = r.status != 0;
	if (st == CCAUTH_OK)
		st = ccauth_metadata_parse(issuer, r.body, r.len, out, err);
	if (st == CCAUTH_OK) {
		*max_age = r.max_age;
		*body = r.body;
		*bodylen = r.len;
		r.body = NULL;
	}
	ccauth_http_response_free(&r);
	return st;
}

enum ccauth_status ccauth_discovery_get(struct ccauth_discovery *d, const char *issuer, struct ccauth_metadata **out,
                                        struct ccauth_error *err)
{
	struct ccauth_metadata *m = NULL;
	char *u1 = NULL, *u2 = NULL, *body = NULL;
	size_t bodylen = 0;
	long max_age = -1;
	time_t now = time(NULL), stale = 0;
	enum ccauth_status st;
	int answered = 0;

	*out = NULL;
	if (d == NULL || issuer == NULL)
		return ccauth_error_set(err, CCAUTH_E_INTERNAL, "discovery: no context");
	if ((m = mem_lookup(d, issuer, now, 0)) != NULL) {
		m->from = CCAUTH_META_MEMORY;
		*out = m;
		return CCAUTH_OK;
	}
	if ((m = disk_lookup(d, issuer, now, 0, &stale)) != NULL) {
		m->from = CCAUTH_META_DISK;
		mem_store(d, m, stale);
		*out = m;
		return CCAUTH_OK;
	}
	if ((st = ccauth_discovery_urls(issuer, &u1, &u2, err)) != CCAUTH_OK)
		return st;
	st = fetch_one(d, issuer, u1, &m, &max_age, &body, &bodylen, &answered, err);
	if (st != CCAUTH_OK && st != CCAUTH_E_NOMEM && answered)
		st = fetch_one(d, issuer, u2, &m, &max_age, &body, &bodylen, &answered, err);
	free(u1);
	free(u2);
	if (st == CCAUTH_OK) {
		m->expires = now + ccauth_discovery_ttl(max_age);
		m->from = CCAUTH_META_NETWORK;
		stale = m->expires + d->max_stale;
		mem_store(d, m, stale);
		if (d->cache != NULL) {
			struct ccauth_error cerr;
			size_t kl;
			char *k = disk_key(issuer, &kl);

			if (k != NULL &&
			    ccauth_cache_put(d->cache, k, kl, body, bodylen, m->expires, stale, &cerr) != CCAUTH_OK)
				ccauth_log(d->log, LOG_WARNING, "discovery: %s", cerr.msg);
			free(k);
		}
		free(body);
		*out = m;
		/* the first URL may have failed (a 404 before the OIDC form answered): success carries
		 * no error text, or a caller would log it on its success line */
		ccauth_error_clear(err);
		return CCAUTH_OK;
	}
	free(body);
	/* the AS cannot be reached or talks nonsense: an earlier good document still serves */
	if (st == CCAUTH_E_UNAVAILABLE && d->max_stale > 0) {
		if ((m = mem_lookup(d, issuer, now, 1)) == NULL)
			m = disk_lookup(d, issuer, now, 1, &stale);
		if (m != NULL) {
			ccauth_log(d->log, LOG_WARNING, "discovery: %s; using the cached metadata of %s",
			           err != NULL ? err->msg : "fetch failed", issuer);
			m->from = CCAUTH_META_STALE;
			*out = m;
			ccauth_error_clear(err); /* logged above */
			return CCAUTH_OK;
		}
	}
	return st;
}

enum ccauth_status ccauth_discovery_endpoint(struct ccauth_discovery *d, const char *issuer, const char *configured,
                                             enum ccauth_endpoint which, char **out, struct ccauth_error *err)
{
	struct ccauth_metadata *md = NULL;
	const char *url = configured;
	enum ccauth_status st;

	*out = NULL;
	if (url == NULL) {
		if ((st = ccauth_discovery_get(d, issuer, &md, err)) != CCAUTH_OK)
			return st;
		url = which == CCAUTH_ENDPOINT_TOKEN  ? md->token_endpoint
		      : which == CCAUTH_ENDPOINT_JWKS ? md->jwks_uri
		                                      : md->introspection_endpoint;
		if (url == NULL) {
			ccauth_metadata_free(md);
			return CCAUTH_OK;
		}
	}
	*out = strdup(url);
	ccauth_metadata_free(md);
	return *out != NULL ? CCAUTH_OK : ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
}
