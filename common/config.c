/* The configuration file: INI parser, value checks, defaults and cross-checks.
 *
 * Keys beyond design.md that we decided on (all in [global]):
 *   ca_path             hashed CA directory (CURLOPT_CAPATH)
 *   connect_timeout     seconds, 1..300, default min(timeout, 3); may not exceed timeout
 *   introspection_cache seconds, 0..3600, default 60: the longest a positive introspection result
 *                       is cached (never beyond the token's exp)
 *   deny_users, allow_users, min_uid
 *                       identity safety where a token becomes a local account (account.h): in
 *                       [global] because the rule is about this host's accounts, not about one
 *                       issuer; PAM module arguments of the same names override them
 * Syntax notes: '#' starts a comment at the start of a line or after a space or tab (so a '#'
 * inside a value such as a URL is kept); a trailing '\r' is dropped; file paths must be absolute;
 * an empty value ("token_endpoint =") leaves an optional string unset.
 */

#include "autoconf.h" /* first: brings _GNU_SOURCE, CCAUTH_DEFAULT_CONFIG */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "config_value.h"
#include "credfile.h"
#include "jwk.h"
#include "util.h"

#ifndef CCAUTH_DEFAULT_CONFIG
#error "CCAUTH_DEFAULT_CONFIG is not defined: autoconf.h was not included"
#endif

#define NAME_MAX_LEN      64
#define DEFAULT_CACHE_DIR "/var/cache/ccauth"
#define MAX_STALE_LIMIT   (30 * 86400)

enum section { SEC_NONE, SEC_GLOBAL, SEC_CLIENT, SEC_ISSUER };

enum vtype {
	V_INT,        /* int, range min..max */
	V_STR,        /* any string, empty = unset */
	V_PATH,       /* absolute path, empty = unset */
	V_SECRET,     /* absolute path of a secret file, checked */
	V_TRUSTFILE,  /* absolute path of a file of trust anchors (ca_file), checked when it exists */
	V_TRUSTDIR,   /* absolute path of a directory of trust anchors (ca_path), checked when it exists */
	V_CACHEDIR,   /* absolute path or "" */
	V_URL,        /* https URL, empty = unset */
	V_PROXY,      /* "", "env" or a proxy URL */
	V_NAME,       /* a section name */
	V_LIST,       /* space-separated list, may be empty */
	V_LIST1,      /* space-separated list, at least one element */
	V_BOOL,       /* int 0/1 */
	V_AUTH,       /* enum ccauth_auth_method */
	V_INTROSPECT, /* enum ccauth_introspect_mode */
	V_ALGS,       /* unsigned bitmask */
	V_SIGNALG,    /* int enum ccauth_alg */
	V_FRACTION,   /* double in (0,1] */
	V_TEMPLATE,   /* username template */
};

struct key {
	const char *name;
	enum vtype type;
	size_t off;
	int min, max;
};

#define G(f) offsetof(struct ccauth_config, f)
#define C(f) offsetof(struct ccauth_client_conf, f)
#define I(f) offsetof(struct ccauth_issuer_conf, f)

static const struct key global_keys[] = {
    {"ca_file", V_TRUSTFILE, G(ca_file), 0, 0},
    {"ca_path", V_TRUSTDIR, G(ca_path), 0, 0},
    {"timeout", V_INT, G(timeout), 1, 300},
    {"connect_timeout", V_INT, G(connect_timeout), 1, 300},
    {"clock_skew", V_INT, G(clock_skew), 0, 300},
    {"cache_dir", V_CACHEDIR, G(cache_dir), 0, 0},
    {"jwks_min_refresh", V_INT, G(jwks_min_refresh), 0, 86400},
    {"jwks_max_stale", V_INT, G(jwks_max_stale), 0, MAX_STALE_LIMIT},
    {"introspection_cache", V_INT, G(introspection_cache), 0, 3600},
    {"proxy", V_PROXY, G(proxy), 0, 0},
    {"deny_users", V_LIST, G(deny_users), 0, 0},
    {"allow_users", V_LIST, G(allow_users), 0, 0},
    {"min_uid", V_INT, G(min_uid), 0, INT_MAX},
    {NULL, V_INT, 0, 0, 0},
};

static const struct key client_keys[] = {
    {"issuer", V_URL, C(issuer), 0, 0},
    {"token_endpoint", V_URL, C(token_endpoint), 0, 0},
    {"client_id", V_STR, C(client_id), 0, 0},
    {"auth_method", V_AUTH, C(auth_method), 0, 0},
    {"client_secret_file", V_SECRET, C(client_secret_file), 0, 0},
    {"private_key_file", V_SECRET, C(private_key_file), 0, 0},
    {"key_id", V_STR, C(key_id), 0, 0},
    {"signing_alg", V_SIGNALG, C(signing_alg), 0, 0},
    {"tls_cert_file", V_PATH, C(tls_cert_file), 0, 0},
    {"tls_key_file", V_SECRET, C(tls_key_file), 0, 0},
    {"scope", V_STR, C(scope), 0, 0},
    {"audience", V_STR, C(audience), 0, 0},
    {"resource", V_STR, C(resource), 0, 0},
    {"refresh_at", V_FRACTION, C(refresh_at), 0, 0},
    {NULL, V_INT, 0, 0, 0},
};

static const struct key issuer_keys[] = {
    {"issuer", V_URL, I(issuer), 0, 0},
    {"jwks_uri", V_URL, I(jwks_uri), 0, 0},
    {"jwks_file", V_PATH, I(jwks_file), 0, 0},
    {"introspection_endpoint", V_URL, I(introspection_endpoint), 0, 0},
    {"introspect", V_INTROSPECT, I(introspect), 0, 0},
    {"introspection_client", V_NAME, I(introspection_client), 0, 0},
    {"audience", V_LIST, I(audience), 0, 0},
    {"required_scope", V_LIST, I(required_scope), 0, 0},
    {"allowed_client_ids", V_LIST, I(allowed_client_ids), 0, 0},
    {"algorithms", V_ALGS, I(algorithms), 0, 0},
    {"strict_rfc9068", V_BOOL, I(strict_rfc9068), 0, 0},
    {"username_claim", V_LIST1, I(username_claim), 0, 0},
    {"username_template", V_TEMPLATE, I(username_template), 0, 0},
    {NULL, V_INT, 0, 0, 0},
};

struct parser {
	struct ccauth_config *cfg;
	const char *name;
	int line;
	enum section sec;
	void *cur;        /* the struct the current section's keys go to */
	uint32_t seen;    /* keys of the current section already set (bit = table index) */
	int global_seen;  /* [global] appeared */
	int connect_set;  /* connect_timeout given */
	int connect_line; /* its line, for the cross-check */
	struct ccauth_error *err;
};

static enum ccauth_status perr(struct parser *p, const char *what)
{
	return ccauth_error_set(p->err, CCAUTH_E_CONFIG, "%.128s:%d: %s", p->name, p->line, what);
}

static enum ccauth_status pnomem(struct parser *p)
{
	return ccauth_error_set(p->err, CCAUTH_E_NOMEM, "%.128s:%d: out of memory", p->name, p->line);
}

static int is_ws(char c)
{
	return c == ' ' || c == '\t';
}

static int name_ok(const char *s, size_t len)
{
	if (len == 0 || len > NAME_MAX_LEN)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

static enum ccauth_status check_secret(const char *path, int missing_ok, struct ccauth_error *err, const char *pfx,
                                       int line)
{
	const char *what = ccauth_credfile_secret_problem(path, missing_ok);

	if (what == NULL)
		return CCAUTH_OK;
	return ccauth_error_set(err, CCAUTH_E_CONFIG, "%.128s:%d: secret file %.96s %s", pfx, line, path, what);
}

/* Trust anchors (ca_file, ca_path): the rule of the config file and of jwks_file - whoever may
 * write them chooses whom we trust.  A path we cannot examine cannot be read by libcurl either,
 * so it adds no trust: only an existing one is checked (with its symlinks followed). */
static enum ccauth_status check_trust(struct parser *p, const char *key, const char *path, int dir)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return CCAUTH_OK;
	if (dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
		return ccauth_error_set(p->err, CCAUTH_E_CONFIG, "%.128s:%d: %s %.96s is not a %s", p->name, p->line,
		                        key, path, dir ? "directory" : "regular file");
	if (!ccauth_credfile_is_trusted(&st))
		return ccauth_error_set(p->err, CCAUTH_E_CONFIG,
		                        "%.128s:%d: %s %.96s is writable by group or others, or not owned by root or "
		                        "the current user",
		                        p->name, p->line, key, path);
	return CCAUTH_OK;
}

/* Store one value (v, NUL-terminated, trimmed) for key k into the struct at base. */
static enum ccauth_status set_value(struct parser *p, const struct key *k, void *base, const char *v)
{
	char *field = (char *)base + k->off;
	char **sp = (char **)(void *)field;
	int iv;

	switch (k->type) {
	case V_INT:
		if (ccauth_config_parse_int(v, k->min, k->max, &iv) != 0)
			return perr(p, "bad value: expected an integer in range");
		*(int *)(void *)field = iv;
		return CCAUTH_OK;
	case V_BOOL:
		if (ccauth_config_parse_bool(v, &iv) != 0)
			return perr(p, "bad value: expected yes or no");
		*(int *)(void *)field = iv;
		return CCAUTH_OK;
	case V_FRACTION:
		if (ccauth_config_parse_fraction(v, (double *)(void *)field) != 0)
			return perr(p, "bad value: expected a decimal in (0,1]");
		return CCAUTH_OK;
	case V_AUTH: {
		static const char *const names[] = {"client_secret_basic", "client_secret_post", "private_key_jwt",
		                                    "tls_client_auth"};
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strcmp(v, names[i]) == 0)
				return *(enum ccauth_auth_method *)(void *)field = (enum ccauth_auth_method)i,
				                                         CCAUTH_OK;
		return perr(p, "bad value: unknown auth_method");
	}
	case V_INTROSPECT: {
		static const char *const names[] = {"never", "opaque", "always"};
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strcmp(v, names[i]) == 0)
				return *(enum ccauth_introspect_mode *)(void *)field = (enum ccauth_introspect_mode)i,
				                                             CCAUTH_OK;
		return perr(p, "bad value: expected never, opaque or always");
	}
	case V_SIGNALG: {
		int a = ccauth_alg_from_name(v, strlen(v));
		if (a != CCAUTH_ALG_RS256 && a != CCAUTH_ALG_PS256 && a != CCAUTH_ALG_ES256 && a != CCAUTH_ALG_EDDSA)
			return perr(p, "bad value: signing_alg must be RS256, PS256, ES256 or EdDSA");
		*(int *)(void *)field = a;
		return CCAUTH_OK;
	}
	case V_ALGS:
		if (ccauth_config_parse_algs(v, (unsigned *)(void *)field) != 0)
			return perr(p, "bad value: unknown or forbidden algorithm");
		return CCAUTH_OK;
	case V_LIST:
	case V_LIST1: {
		struct ccauth_strlist *l = (struct ccauth_strlist *)(void *)field;
		ccauth_strlist_clear(l); /* a default (deny_users) is replaced, not extended */
		if (ccauth_strlist_split(v, l) != 0)
			return pnomem(p);
		if (k->type == V_LIST1 && l->n == 0)
			return perr(p, "bad value: empty list");
		return CCAUTH_OK;
	}
	case V_STR:
		break;
	case V_PATH:
	case V_SECRET:
	case V_TRUSTFILE:
	case V_TRUSTDIR:
		if (*v != '\0' && *v != '/')
			return perr(p, "bad value: expected an absolute path");
		break;
	case V_CACHEDIR:
		if (*v != '\0' && *v != '/')
			return perr(p, "bad value: expected an absolute path or nothing");
		if ((*sp = strdup(v)) == NULL)
			return pnomem(p);
		return CCAUTH_OK;
	case V_URL:
		if (*v != '\0' && !ccauth_config_https_url_ok(v))
			return perr(p, "bad value: expected an https:// URL without fragment");
		break;
	case V_PROXY:
		if (*v != '\0' && strcmp(v, "env") != 0 && !ccauth_config_proxy_ok(v))
			return perr(p, "bad value: expected nothing, env or a proxy URL");
		break;
	case V_NAME:
		if (*v != '\0' && !name_ok(v, strlen(v)))
			return perr(p, "bad value: not a section name");
		break;
	case V_TEMPLATE:
		if (!ccauth_config_template_ok(v))
			return perr(p, "bad value: template allows one %s and %% only");
		break;
	}
	if (*v == '\0')
		return CCAUTH_OK; /* unset */
	if ((*sp = strdup(v)) == NULL)
		return pnomem(p);
	if (k->type == V_SECRET)
		return check_secret(*sp, 1, p->err, p->name, p->line);
	if (k->type == V_TRUSTFILE || k->type == V_TRUSTDIR)
		return check_trust(p, k->name, *sp, k->type == V_TRUSTDIR);
	return CCAUTH_OK;
}

/* ---- lines ---- */

static void *grow(void *arr, size_t n, size_t size)
{
	if (n > SIZE_MAX / size - 1)
		return NULL;
	return realloc(arr, (n + 1) * size);
}

static enum ccauth_status start_section(struct parser *p, const char *s, size_t len)
{
	const char *kind = s, *nm;
	size_t kl, nl;
	struct ccauth_config *cfg = p->cfg;
	char *name;

	kl = 0;
	while (kl < len && !is_ws(kind[kl]))
		kl++;
	nm = kind + kl;
	nl = len - kl;
	while (nl > 0 && is_ws(*nm))
		nm++, nl--;

	p->seen = 0;
	if (kl == 6 && memcmp(kind, "global", 6) == 0) {
		if (nl != 0)
			return perr(p, "[global] takes no name");
		if (p->global_seen)
			return perr(p, "duplicate section [global]");
		p->global_seen = 1;
		p->sec = SEC_GLOBAL;
		p->cur = cfg;
		return CCAUTH_OK;
	}
	if (!((kl == 6 && memcmp(kind, "client", 6) == 0) || (kl == 6 && memcmp(kind, "issuer", 6) == 0)))
		return perr(p, "unknown section");
	if (nl == 0)
		return perr(p, "section needs a name");
	if (!name_ok(nm, nl))
		return perr(p, "bad section name (allowed: A-Z a-z 0-9 . _ -, at most 64)");
	if ((name = ccauth_strndup_checked(nm, nl)) == NULL)
		return pnomem(p);

	if (kind[0] == 'c') {
		struct ccauth_client_conf *c;
		if (ccauth_config_client(cfg, name) != NULL) {
			free(name);
			return perr(p, "duplicate section [client]");
		}
		if ((c = grow(cfg->clients, cfg->nclients, sizeof(*c))) == NULL) {
			free(name);
			return pnomem(p);
		}
		cfg->clients = c;
		c += cfg->nclients++;
		memset(c, 0, sizeof(*c));
		c->name = name;
		c->line = p->line;
		c->auth_method = CCAUTH_AUTH_CLIENT_SECRET_BASIC;
		c->signing_alg = CCAUTH_ALG_RS256;
		c->refresh_at = 0.8;
		p->sec = SEC_CLIENT;
		p->cur = c;
	} else {
		struct ccauth_issuer_conf *ic;
		if (ccauth_config_issuer(cfg, name) != NULL) {
			free(name);
			return perr(p, "duplicate section [issuer]");
		}
		if ((ic = grow(cfg->issuers, cfg->nissuers, sizeof(*ic))) == NULL) {
			free(name);
			return pnomem(p);
		}
		cfg->issuers = ic;
		ic += cfg->nissuers++;
		memset(ic, 0, sizeof(*ic));
		ic->name = name;
		ic->line = p->line;
		ic->introspect = CCAUTH_INTROSPECT_OPAQUE;
		ic->algorithms = CCAUTH_ALG_ALL;
		p->sec = SEC_ISSUER;
		p->cur = ic;
	}
	return CCAUTH_OK;
}

static enum ccauth_status key_value(struct parser *p, const char *s, size_t len)
{
	const char *eq = memchr(s, '=', len);
	const struct key *tab;
	size_t kl, vl, i;
	const char *v;
	char *val;
	enum ccauth_status st;

	if (eq == NULL)
		return perr(p, "expected key = value or [section]");
	kl = (size_t)(eq - s);
	while (kl > 0 && is_ws(s[kl - 1]))
		kl--;
	if (kl == 0)
		return perr(p, "missing key before '='");
	v = eq + 1;
	vl = len - (size_t)(v - s);
	while (vl > 0 && is_ws(*v))
		v++, vl--;

	switch (p->sec) {
	case SEC_GLOBAL:
		tab = global_keys;
		break;
	case SEC_CLIENT:
		tab = client_keys;
		break;
	case SEC_ISSUER:
		tab = issuer_keys;
		break;
	default:
		return perr(p, "key outside of a section");
	}
	for (i = 0; tab[i].name != NULL; i++)
		if (strlen(tab[i].name) == kl && memcmp(tab[i].name, s, kl) == 0)
			break;
	if (tab[i].name == NULL)
		return perr(p, "unknown key");
	if (p->seen & (UINT32_C(1) << i))
		return perr(p, "duplicate key");
	p->seen |= UINT32_C(1) << i;
	if (p->sec == SEC_GLOBAL && tab[i].off == G(connect_timeout)) {
		p->connect_set = 1;
		p->connect_line = p->line;
	}
	if ((val = ccauth_strndup_checked(v, vl)) == NULL)
		return pnomem(p);
	st = set_value(p, &tab[i], p->cur, val);
	free(val);
	return st;
}

static enum ccauth_status parse_line(struct parser *p, const char *s, size_t len)
{
	size_t i;

	if (len > 0 && s[len - 1] == '\r')
		len--;
	if (len > CCAUTH_CONFIG_MAX_LINE)
		return perr(p, "line too long");
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\0')
			return perr(p, "NUL byte");
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return perr(p, "control character");
	}
	while (len > 0 && is_ws(*s))
		s++, len--;
	if (len > 0 && *s == '#')
		return CCAUTH_OK;
	for (i = 1; i < len; i++)
		if (s[i] == '#' && is_ws(s[i - 1])) {
			len = i;
			break;
		}
	while (len > 0 && is_ws(s[len - 1]))
		len--;
	if (len == 0)
		return CCAUTH_OK;
	if (*s == '[') {
		if (s[len - 1] != ']')
			return perr(p, "section header without ']'");
		s++;
		len -= 2;
		while (len > 0 && is_ws(*s))
			s++, len--;
		while (len > 0 && is_ws(s[len - 1]))
			len--;
		if (memchr(s, '[', len) != NULL || memchr(s, ']', len) != NULL)
			return perr(p, "bad section header");
		return start_section(p, s, len);
	}
	return key_value(p, s, len);
}

/* ---- cross-checks and defaults ---- */

static enum ccauth_status finish(struct parser *p)
{
	struct ccauth_config *cfg = p->cfg;
	static const char *const def_claims[] = {"client_id", "azp", "sub"};

	if (p->connect_set) {
		if (cfg->connect_timeout > cfg->timeout) {
			p->line = p->connect_line;
			return perr(p, "connect_timeout exceeds timeout");
		}
	} else {
		cfg->connect_timeout = cfg->timeout < 3 ? cfg->timeout : 3;
	}
	if (cfg->cache_dir == NULL && (cfg->cache_dir = strdup(DEFAULT_CACHE_DIR)) == NULL)
		return pnomem(p);

	for (size_t i = 0; i < cfg->nclients; i++) {
		const struct ccauth_client_conf *c = &cfg->clients[i];
		const char *need = NULL;

		p->line = c->line;
		if (c->client_id == NULL)
			return perr(p, "[client] needs client_id");
		if (c->issuer == NULL && c->token_endpoint == NULL)
			return perr(p, "[client] needs issuer or token_endpoint");
		switch (c->auth_method) {
		case CCAUTH_AUTH_CLIENT_SECRET_BASIC:
		case CCAUTH_AUTH_CLIENT_SECRET_POST:
			if (c->client_secret_file == NULL)
				need = "[client] needs client_secret_file for its auth_method";
			break;
		case CCAUTH_AUTH_PRIVATE_KEY_JWT:
			if (c->private_key_file == NULL)
				need = "[client] needs private_key_file for private_key_jwt";
			break;
		case CCAUTH_AUTH_TLS_CLIENT_AUTH:
			if (c->tls_cert_file == NULL || c->tls_key_file == NULL)
				need = "[client] needs tls_cert_file and tls_key_file for tls_client_auth";
			break;
		}
		if (need != NULL)
			return perr(p, need);
	}

	for (size_t i = 0; i < cfg->nissuers; i++) {
		struct ccauth_issuer_conf *ic = &cfg->issuers[i];

		p->line = ic->line;
		/* A key source is always available: jwks_file, jwks_uri, or discovery from the https
		 * issuer, so requiring issuer is enough. */
		if (ic->issuer == NULL)
			return perr(p, "[issuer] needs issuer");
		for (size_t j = 0; j < i; j++)
			if (strcmp(cfg->issuers[j].issuer, ic->issuer) == 0)
				return perr(p, "issuer already used by another [issuer] section");
		if (ic->introspection_client != NULL && ccauth_config_client(cfg, ic->introspection_client) == NULL)
			return perr(p, "introspection_client names no [client] section");
		if (ic->introspect == CCAUTH_INTROSPECT_ALWAYS && ic->introspection_client == NULL)
			return perr(p, "introspect = always needs introspection_client");
		if (ic->username_template == NULL && (ic->username_template = strdup("%s")) == NULL)
			return pnomem(p);
		if (ic->username_claim.n == 0) {
			ic->username_claim.v = calloc(3, sizeof(char *));
			if (ic->username_claim.v == NULL)
				return pnomem(p);
			for (size_t k = 0; k < 3; k++, ic->username_claim.n++)
				if ((ic->username_claim.v[k] = strdup(def_claims[k])) == NULL)
					return pnomem(p);
		}
	}
	return CCAUTH_OK;
}

static size_t count_lines(const char *buf, size_t len)
{
	size_t n = 1;
	for (const char *q = buf; (q = memchr(q, '\n', len - (size_t)(q - buf))) != NULL; q++)
		n++;
	return n;
}

enum ccauth_status ccauth_config_parse(const char *buf, size_t len, const char *name, struct ccauth_config **out,
                                       struct ccauth_error *err)
{
	struct parser p;
	enum ccauth_status st = CCAUTH_OK;
	size_t off = 0;

	if (out == NULL)
		return ccauth_error_set(err, CCAUTH_E_INTERNAL, "ccauth_config_parse: no output");
	*out = NULL;
	if (name == NULL)
		name = "config";
	memset(&p, 0, sizeof(p));
	p.name = name;
	p.err = err;
	if (buf == NULL && len != 0)
		return ccauth_error_set(err, CCAUTH_E_INTERNAL, "ccauth_config_parse: no input");
	if (len > CCAUTH_CONFIG_MAX_BYTES) {
		size_t l = count_lines(buf, CCAUTH_CONFIG_MAX_BYTES);
		p.line = l > INT_MAX ? INT_MAX : (int)l;
		return perr(&p, "file larger than 1 MiB");
	}
	if ((p.cfg = calloc(1, sizeof(*p.cfg))) == NULL)
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "%.128s: out of memory", name);
	p.cfg->timeout = 5;
	p.cfg->clock_skew = 60;
	p.cfg->jwks_min_refresh = 60;
	p.cfg->jwks_max_stale = 86400;
	p.cfg->introspection_cache = 60;
	p.cfg->min_uid = -1; /* UID_MIN of /etc/login.defs, read where it is used (account.c) */
	if ((p.cfg->path = strdup(name)) == NULL || ccauth_strlist_split("root", &p.cfg->deny_users) != 0) {
		st = ccauth_error_set(err, CCAUTH_E_NOMEM, "%.128s: out of memory", name);
		goto fail;
	}

	while (off < len) {
		const char *s = buf + off, *nl = memchr(s, '\n', len - off);
		size_t ll = nl ? (size_t)(nl - s) : len - off;

		p.line++;
		if ((st = parse_line(&p, s, ll)) != CCAUTH_OK)
			goto fail;
		off += ll + (nl ? 1 : 0);
	}
	if ((st = finish(&p)) != CCAUTH_OK)
		goto fail;
	*out = p.cfg;
	return CCAUTH_OK;
fail:
	ccauth_config_free(p.cfg);
	return st;
}

static const char *errno_text(int e)
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

enum ccauth_status ccauth_config_load(const char *path, struct ccauth_config **out, struct ccauth_error *err)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	enum ccauth_status rc;
	int fd, e;

	if (out == NULL)
		return ccauth_error_set(err, CCAUTH_E_INTERNAL, "ccauth_config_load: no output");
	*out = NULL;
	path = ccauth_config_default_path(path);
	/* Symlinks are followed on purpose (/etc layouts use them); the checks apply to the file. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "%.128s: cannot open: %s", path, errno_text(errno));
	if (fstat(fd, &st) != 0) {
		rc = ccauth_error_set(err, CCAUTH_E_CONFIG, "%.128s: cannot stat: %s", path, errno_text(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = ccauth_error_set(err, CCAUTH_E_CONFIG, "%.128s: not a regular file", path);
		goto out;
	}
	if ((st.st_mode & 022) != 0) {
		rc = ccauth_error_set(err, CCAUTH_E_CONFIG, "%.128s: writable by group or others", path);
		goto out;
	}
	if (!ccauth_credfile_owner_ok(&st)) {
		rc = ccauth_error_set(err, CCAUTH_E_CONFIG, "%.128s: owned by uid %lu, not root or the current user",
		                      path, (unsigned long)st.st_uid);
		goto out;
	}
	if ((buf = malloc(CCAUTH_CONFIG_MAX_BYTES + 1)) == NULL) {
		rc = ccauth_error_set(err, CCAUTH_E_NOMEM, "%.128s: out of memory", path);
		goto out;
	}
	/* Read one byte past the limit so the parser sees (and reports) an oversized file. */
	if ((e = ccauth_credfile_read_fd(fd, buf, CCAUTH_CONFIG_MAX_BYTES, &len)) != 0) {
		rc = ccauth_error_set(err, CCAUTH_E_CONFIG, "%.128s: cannot read: %s", path, errno_text(e));
		goto out;
	}
	rc = ccauth_config_parse(buf, len, path, out, err);
out:
	free(buf);
	close(fd);
	return rc;
}

static void client_clear(struct ccauth_client_conf *c)
{
	free(c->name);
	free(c->issuer);
	free(c->token_endpoint);
	free(c->client_id);
	free(c->client_secret_file);
	free(c->private_key_file);
	free(c->key_id);
	free(c->tls_cert_file);
	free(c->tls_key_file);
	free(c->scope);
	free(c->audience);
	free(c->resource);
}

static void issuer_clear(struct ccauth_issuer_conf *ic)
{
	free(ic->name);
	free(ic->issuer);
	free(ic->jwks_uri);
	free(ic->jwks_file);
	free(ic->introspection_endpoint);
	free(ic->introspection_client);
	ccauth_strlist_clear(&ic->audience);
	ccauth_strlist_clear(&ic->required_scope);
	ccauth_strlist_clear(&ic->allowed_client_ids);
	ccauth_strlist_clear(&ic->username_claim);
	free(ic->username_template);
}

void ccauth_config_free(struct ccauth_config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < cfg->nclients; i++)
		client_clear(&cfg->clients[i]);
	for (size_t i = 0; i < cfg->nissuers; i++)
		issuer_clear(&cfg->issuers[i]);
	free(cfg->clients);
	free(cfg->issuers);
	free(cfg->path);
	free(cfg->ca_file);
	free(cfg->ca_path);
	free(cfg->cache_dir);
	free(cfg->proxy);
	ccauth_strlist_clear(&cfg->deny_users);
	ccauth_strlist_clear(&cfg->allow_users);
	free(cfg);
}

const struct ccauth_client_conf *ccauth_config_client(const struct ccauth_config *cfg, const char *name)
{
	if (cfg == NULL || name == NULL)
		return NULL;
	for (size_t i = 0; i < cfg->nclients; i++)
		if (strcmp(cfg->clients[i].name, name) == 0)
			return &cfg->clients[i];
	return NULL;
}

const struct ccauth_issuer_conf *ccauth_config_issuer(const struct ccauth_config *cfg, const char *name)
{
	if (cfg == NULL || name == NULL)
		return NULL;
	for (size_t i = 0; i < cfg->nissuers; i++)
		if (strcmp(cfg->issuers[i].name, name) == 0)
			return &cfg->issuers[i];
	return NULL;
}

const struct ccauth_issuer_conf *ccauth_config_issuer_by_iss(const struct ccauth_config *cfg, const char *iss,
                                                             size_t isslen)
{
	if (cfg == NULL || iss == NULL)
		return NULL;
	for (size_t i = 0; i < cfg->nissuers; i++) {
		const char *s = cfg->issuers[i].issuer;
		if (s != NULL && strlen(s) == isslen && memcmp(s, iss, isslen) == 0)
			return &cfg->issuers[i];
	}
	return NULL;
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
