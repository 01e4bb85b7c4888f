/* The configuration file: the key tables, the INI syntax (sections, key = value), one file parsed,
 * and the result freed and looked up.  A value is stored by config_store.c, the defaults and
 * cross-checks after the last file are config_check.c's, reading the files is config_load.c's.
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

#include "autoconf.h"

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_parse.h"
#include "config_value.h"
#include "jwk.h"
#include "strmap.h"
#include "usermap.h"
#include "util.h"

#define MAX_STALE_LIMIT (30 * 86400)

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
    {"client_secret_file", V_CREDFILE, C(client_secret_file), 0, 0},
    {"private_key_file", V_CREDFILE, C(private_key_file), 0, 0},
    {"key_id", V_STR, C(key_id), 0, 0},
    {"signing_alg", V_SIGNALG, C(signing_alg), 0, 0},
    {"tls_cert_file", V_PATH, C(tls_cert_file), 0, 0},
    {"tls_key_file", V_SECRET, C(tls_key_file), 0, 0},
    {"scope", V_STR, C(scope), 0, 0},
    {"audience", V_STR, C(audience), 0, 0},
    {"resource", V_STR, C(resource), 0, 0},
    {"refresh_at", V_FRACTION, C(refresh_at), 0, 0},
    {"grant", V_GRANT, C(grant), 0, 0},
    {"client_assertion_file", V_PATH, C(client_assertion_file), 0, 0},
    {"client_assertion_url", V_ASSERTURL, C(client_assertion_url), 0, 0},
    {"client_assertion_token_env", V_ENVNAME, C(client_assertion_token_env), 0, 0},
    {"client_assertion_audience", V_STR, C(client_assertion_audience), 0, 0},
    {"client_assertion_type", V_ASSERTTYPE, C(client_assertion_type), 0, 0},
    {"subject_token_file", V_PATH, C(subject_token_file), 0, 0},
    {"subject_token_type", V_SUBJTYPE, C(subject_token_type), 0, 0},
    {"requested_token_type", V_URI, C(requested_token_type), 0, 0},
    {"assertion_audience", V_ASSERTAUD, C(assertion_audience), 0, 0},
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
    {"profile", V_PROFILE, I(profile), 0, 0},
    {"client_id_claims", V_LIST1, I(client_id_claims), 0, 0},
    {"scope_claims", V_LIST1, I(scope_claims), 0, 0},
    {"token_type", V_TOKENTYPE, I(token_type_claim), 0, 0},
    {"username_map", V_PATH, I(username_map), 0, 0},
    {NULL, V_INT, 0, 0, 0},
};

static int is_ws(char c)
{
	return c == ' ' || c == '\t';
}

/* ---- lines ---- */

/* room for element n of *arr (capacity *cap, doubled when full); NULL when out of memory */
void *ccauth_config_grow(void *arr, size_t n, size_t *cap, size_t size)
{
	size_t want = *cap > 0 ? *cap * 2 : 8;

	if (n < *cap)
		return arr;
	if (want > SIZE_MAX / size || (arr = realloc(arr, want * size)) == NULL)
		return NULL;
	*cap = want;
	return arr;
}

/* 0 when name is new to map (now added), else the error to return */
enum ccauth_status ccauth_config_new_name(struct ccauth_config_parser *p, struct ccauth_strmap *map, const char *name,
                                          const char *dup)
{
	switch (ccauth_strmap_add(map, name, strlen(name), 0, NULL)) {
	case 1:
		return CCAUTH_OK;
	case 0:
		return perr(p, dup);
	default:
		return pnomem(p);
	}
}

static enum ccauth_status start_section(struct ccauth_config_parser *p, const char *s, size_t len)
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
	if (!ccauth_config_name_ok(nm, nl))
		return perr(p, "bad section name (allowed: A-Z a-z 0-9 . _ -, at most 64)");
	if ((name = ccauth_strndup_checked(nm, nl)) == NULL)
		return pnomem(p);

	if (kind[0] == 'c') {
		struct ccauth_client_conf *c;
		enum ccauth_status st = ccauth_config_new_name(p, &p->client_names, name, "duplicate section [client]");

		if (st != CCAUTH_OK) {
			free(name);
			return st;
		}
		if ((c = ccauth_config_grow(cfg->clients, cfg->nclients, &p->clients_cap, sizeof(*c))) == NULL) {
			free(name);
			return pnomem(p);
		}
		cfg->clients = c;
		c += cfg->nclients++;
		memset(c, 0, sizeof(*c));
		c->name = name;
		c->line = p->line;
		c->file = p->file;
		c->auth_method = CCAUTH_AUTH_CLIENT_SECRET_BASIC;
		c->signing_alg = CCAUTH_ALG_RS256;
		c->refresh_at = 0.8;
		p->sec = SEC_CLIENT;
		p->cur = c;
	} else {
		struct ccauth_issuer_conf *ic;
		enum ccauth_status st = ccauth_config_new_name(p, &p->issuer_names, name, "duplicate section [issuer]");

		if (st != CCAUTH_OK) {
			free(name);
			return st;
		}
		if ((ic = ccauth_config_grow(cfg->issuers, cfg->nissuers, &p->issuers_cap, sizeof(*ic))) == NULL) {
			free(name);
			return pnomem(p);
		}
		cfg->issuers = ic;
		ic += cfg->nissuers++;
		memset(ic, 0, sizeof(*ic));
		ic->name = name;
		ic->line = p->line;
		ic->file = p->file;
		ic->introspect = CCAUTH_INTROSPECT_OPAQUE;
		ic->algorithms = CCAUTH_ALG_ALL;
		p->sec = SEC_ISSUER;
		p->cur = ic;
	}
	return CCAUTH_OK;
}

static enum ccauth_status key_value(struct ccauth_config_parser *p, const char *s, size_t len)
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
	if (p->sec == SEC_CLIENT)
		((struct ccauth_client_conf *)p->cur)->key_line[i] = p->line;
	if (p->sec == SEC_GLOBAL && tab[i].off == G(connect_timeout)) {
		p->connect_set = 1;
		p->connect_line = p->line;
		p->connect_file = p->file;
	}
	if ((val = ccauth_strndup_checked(v, vl)) == NULL)
		return pnomem(p);
	st = ccauth_config_set_value(p, &tab[i], p->cur, &val);
	free(val);
	return st;
}

/* 1 when one of the 8 bytes of w is below 0x20 (NUL and tab included) or is 0x7f: the usual
 * "has a byte less than n" and "has a zero byte" word tricks, exact as a yes/no */
static int word_has_control(uint64_t w)
{
	const uint64_t ones = UINT64_C(0x0101010101010101), high = ones * 0x80;
	uint64_t del = w ^ (ones * 0x7f);

	return ((((w - ones * 0x20) & ~w) | ((del - ones) & ~del)) & high) != 0;
}

static enum ccauth_status parse_line(struct ccauth_config_parser *p, const char *s, size_t len)
{
	size_t i = 0;

	if (len > 0 && s[len - 1] == '\r')
		len--;
	if (len > CCAUTH_CONFIG_MAX_LINE)
		return perr(p, "line too long");
	/* eight bytes at a time until a word holds a control byte (or a tab), then byte by byte: a
	 * config of 1,000 issuers has some 4,000 lines */
	for (uint64_t w; i + 8 <= len && (memcpy(&w, s + i, 8), !word_has_control(w)); i += 8)
		;
	for (; i < len; i++) {
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
	for (const char *h = len > 1 ? memchr(s + 1, '#', len - 1) : NULL; h != NULL;
	     h = memchr(h + 1, '#', len - (size_t)(h + 1 - s)))
		if (is_ws(h[-1])) {
			len = (size_t)(h - s);
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

/* The line of client key name (else the section header's), for a cross-check's message. */
int ccauth_config_client_key_line(const struct ccauth_client_conf *c, const char *name)
{
	for (size_t i = 0; client_keys[i].name != NULL; i++)
		if (strcmp(client_keys[i].name, name) == 0 && c->key_line[i] != 0)
			return c->key_line[i];
	return c->line;
}

/* key name is set in c (a non-empty value) */
int ccauth_config_client_has(const struct ccauth_client_conf *c, const char *name)
{
	for (size_t i = 0; client_keys[i].name != NULL; i++)
		if (strcmp(client_keys[i].name, name) == 0) {
			const char *field = (const char *)c + client_keys[i].off;

			switch (client_keys[i].type) {
			case V_STR:
			case V_PATH:
			case V_SECRET:
			case V_URL:
			case V_ASSERTURL:
			case V_ENVNAME:
			case V_URI:
				return *(char *const *)(const void *)field != NULL;
			default:
				return c->key_line[i] != 0;
			}
		}
	return 0;
}

static size_t count_lines(const char *buf, size_t len)
{
	size_t n = 1;
	for (const char *q = buf; (q = memchr(q, '\n', len - (size_t)(q - buf))) != NULL; q++)
		n++;
	return n;
}

/* A parser with an empty configuration and its defaults. */
enum ccauth_status ccauth_config_parser_start(struct ccauth_config_parser *p, const char *path,
                                              struct ccauth_error *err)
{
	memset(p, 0, sizeof(*p));
	p->name = path;
	p->err = err;
	if ((p->cfg = calloc(1, sizeof(*p->cfg))) == NULL || (p->cfg->path = strdup(path)) == NULL)
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "%.128s: out of memory", path);
	p->cfg->timeout = 5;
	p->cfg->clock_skew = 60;
	p->cfg->jwks_min_refresh = 60;
	p->cfg->jwks_max_stale = 86400;
	p->cfg->introspection_cache = 60;
	p->cfg->min_uid = -1; /* UID_MIN of /etc/login.defs, read where it is used (account.c) */
	if (ccauth_strlist_split("root", &p->cfg->deny_users) != 0)
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "%.128s: out of memory", path);
	return CCAUTH_OK;
}

/* What only the parse needs: the name maps. */
void ccauth_config_parser_end(struct ccauth_config_parser *p)
{
	ccauth_strmap_clear(&p->client_names);
	ccauth_strmap_clear(&p->issuer_names);
}

/* One file into the configuration: it starts outside any section (a section never continues into
 * the next file), its name is kept for the messages of the cross-checks. */
enum ccauth_status ccauth_config_parse_file(struct ccauth_config_parser *p, const char *buf, size_t len,
                                            const char *name)
{
	struct ccauth_config *cfg = p->cfg;
	enum ccauth_status st;
	size_t off = 0;
	char **files;

	p->line = 0;
	p->name = name;
	if (buf == NULL && len != 0)
		return ccauth_error_set(p->err, CCAUTH_E_INTERNAL, "ccauth_config_parse: no input");
	if (len > CCAUTH_CONFIG_MAX_BYTES) {
		size_t l = count_lines(buf, CCAUTH_CONFIG_MAX_BYTES);
		p->line = l > INT_MAX ? INT_MAX : (int)l;
		return perr(p, "file larger than 1 MiB");
	}
	if ((files = ccauth_config_grow(cfg->files, cfg->nfiles, &p->files_cap, sizeof(*files))) == NULL)
		return pnomem(p);
	cfg->files = files;
	if ((files[cfg->nfiles] = strdup(name)) == NULL)
		return pnomem(p);
	p->file = cfg->nfiles++;
	p->name = files[p->file];
	p->sec = SEC_NONE;
	p->cur = NULL;
	p->seen = 0;
	while (off < len) {
		const char *s = buf + off, *nl = memchr(s, '\n', len - off);
		size_t ll = nl ? (size_t)(nl - s) : len - off;

		p->line++;
		if ((st = parse_line(p, s, ll)) != CCAUTH_OK)
			return st;
		off += ll + (nl ? 1 : 0);
	}
	return CCAUTH_OK;
}

enum ccauth_status ccauth_config_parse(const char *buf, size_t len, const char *name, struct ccauth_config **out,
                                       struct ccauth_error *err)
{
	struct ccauth_config_parser p;
	enum ccauth_status st;

	if (out == NULL)
		return ccauth_error_set(err, CCAUTH_E_INTERNAL, "ccauth_config_parse: no output");
	*out = NULL;
	if ((st = ccauth_config_parser_start(&p, name != NULL ? name : "config", err)) != CCAUTH_OK ||
	    (st = ccauth_config_parse_file(&p, buf, len, p.cfg->path)) != CCAUTH_OK ||
	    (st = ccauth_config_finish(&p)) != CCAUTH_OK) {
		ccauth_config_parser_end(&p);
		ccauth_config_free(p.cfg);
		return st;
	}
	ccauth_config_parser_end(&p);
	*out = p.cfg;
	return CCAUTH_OK;
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
	free(c->client_assertion_file);
	free(c->client_assertion_url);
	free(c->client_assertion_token_env);
	free(c->client_assertion_audience);
	free(c->subject_token_file);
	free(c->requested_token_type);
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
	ccauth_strlist_clear(&ic->client_id_claims);
	ccauth_strlist_clear(&ic->scope_claims);
	free(ic->token_type_claim);
	free(ic->token_type_value);
	free(ic->username_map);
	ccauth_usermap_free(ic->usermap);
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
	for (size_t i = 0; i < cfg->nfiles; i++)
		free(cfg->files[i]);
	free(cfg->files);
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
