/* The syntax of one configuration value.  Each returns 0 (ok) or -1; the *_ok ones 1 or 0.  Values
 * are NUL-terminated and already trimmed by the INI parser. */
#ifndef CCAUTH_CONFIG_VALUE_H
#define CCAUTH_CONFIG_VALUE_H

#include <stddef.h>

/* A space-separated list value, split. */
struct ccauth_strlist {
	char **v;
	size_t n;
};

/* decimal, optional '-', in min..max */
int ccauth_config_parse_int(const char *v, int min, int max, int *out);
/* digits ['.' digits], locale-independent, in (0,1] */
int ccauth_config_parse_fraction(const char *v, double *out);
/* yes/true/1/on, no/false/0/off */
int ccauth_config_parse_bool(const char *v, int *out);
/* absolute https URL with a non-empty host, no whitespace, control characters or fragment */
int ccauth_config_https_url_ok(const char *v);
/* an http, https or socks proxy URL under the same rules */
int ccauth_config_proxy_ok(const char *v);
/* an environment variable name: [A-Za-z_][A-Za-z0-9_]*, at most 128 characters */
int ccauth_config_env_name_ok(const char *v);
/* an absolute URI, loosely (RFC 3986 scheme ":" then printable ASCII without space, '"' or '\\'):
 * a token type identifier such as urn:ietf:params:oauth:token-type:jwt */
int ccauth_config_uri_ok(const char *v);
/* a username template: at most one %s; '%' only in %s and %% (the rule of ccauth_map_template_ok) */
int ccauth_config_template_ok(const char *t);
/* space-separated algorithm names into a CCAUTH_ALG_BIT mask, at least one */
int ccauth_config_parse_algs(const char *v, unsigned *out);

/* Split v on spaces/tabs (or on any byte of seps) into l, which is empty; empty words are skipped.
 * 0, or -1 on ENOMEM (l stays empty).  The words share l->v's allocation: a list is made only
 * here and freed only by ccauth_strlist_clear. */
int ccauth_strlist_split(const char *v, struct ccauth_strlist *l);
int ccauth_strlist_split_on(const char *v, const char *seps, struct ccauth_strlist *l);
void ccauth_strlist_clear(struct ccauth_strlist *l);
/* v is exactly two words: 0 with *a and *b malloc'd copies; 1 when not two words; -1 ENOMEM */
int ccauth_strlist_pair(const char *v, char **a, char **b);

#endif
