/* config_value: the syntax of one configuration value (integers, fractions, booleans, URLs,
 * lists, algorithm lists, username templates), apart from the INI parser that applies them. */
#include "autoconf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config_value.h"
#include "jwk.h"
#include "util.h"

static int is_ws(char c)
{
	return c == ' ' || c == '\t';
}

int ccauth_config_parse_int(const char *v, int min, int max, int *out)
{
	char *end;
	long n;

	if (!((v[0] >= '0' && v[0] <= '9') || (v[0] == '-' && v[1] >= '0' && v[1] <= '9')))
		return -1;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < min || n > max)
		return -1;
	*out = (int)n;
	return 0;
}

/* digits ['.' digits], locale-independent, in (0,1]. */
int ccauth_config_parse_fraction(const char *v, double *out)
{
	double ip = 0, fp = 0, scale = 1;
	size_t nd = 0, nf = 0;
	const char *s = v;

	for (; *s >= '0' && *s <= '9'; s++, nd++) {
		if (nd >= 9)
			return -1;
		ip = ip * 10 + (*s - '0');
	}
	if (nd == 0)
		return -1;
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++, nf++) {
			if (nf >= 9)
				return -1;
			fp = fp * 10 + (*s - '0');
			scale *= 10;
		}
		if (nf == 0)
			return -1;
	}
	if (*s != '\0')
		return -1;
	ip += fp / scale;
	if (!(ip > 0.0 && ip <= 1.0))
		return -1;
	*out = ip;
	return 0;
}

int ccauth_config_parse_bool(const char *v, int *out)
{
	static const char *const yes[] = {"yes", "true", "1", "on"};
	static const char *const no[] = {"no", "false", "0", "off"};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(v, yes[i]) == 0)
			return *out = 1, 0;
		if (strcmp(v, no[i]) == 0)
			return *out = 0, 0;
	}
	return -1;
}

/* Absolute https URL with a non-empty host, no whitespace, control characters or fragment. */
static int url_rest_ok(const char *v, size_t skip)
{
	const char *h = v + skip;
	size_t hl = strcspn(h, "/?");

	if (hl == 0)
		return 0;
	for (const char *s = v; *s; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f || *s == '#')
			return 0;
	return 1;
}

int ccauth_config_https_url_ok(const char *v)
{
	return strncmp(v, "https://", 8) == 0 && url_rest_ok(v, 8);
}

int ccauth_config_proxy_ok(const char *v)
{
	static const char *const schemes[] = {"http://",    "https://",  "socks4://",
	                                      "socks4a://", "socks5://", "socks5h://"};

	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		size_t n = strlen(schemes[i]);
		if (strncmp(v, schemes[i], n) == 0)
			return url_rest_ok(v, n);
	}
	return 0;
}

int ccauth_config_env_name_ok(const char *v)
{
	if (!((*v >= 'A' && *v <= 'Z') || (*v >= 'a' && *v <= 'z') || *v == '_'))
		return 0;
	for (size_t i = 1; v[i] != '\0'; i++)
		if (i >= 128 || !((v[i] >= 'A' && v[i] <= 'Z') || (v[i] >= 'a' && v[i] <= 'z') ||
		                  (v[i] >= '0' && v[i] <= '9') || v[i] == '_'))
			return 0;
	return 1;
}

int ccauth_config_uri_ok(const char *v)
{
	size_t i = 0;

	if (!((v[0] >= 'a' && v[0] <= 'z') || (v[0] >= 'A' && v[0] <= 'Z')))
		return 0;
	while ((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') || (v[i] >= '0' && v[i] <= '9') ||
	       v[i] == '+' || v[i] == '-' || v[i] == '.')
		i++;
	if (v[i] != ':' || v[i + 1] == '\0')
		return 0;
	for (; v[i] != '\0'; i++)
		if (v[i] <= 0x20 || v[i] >= 0x7f || v[i] == '"' || v[i] == '\\')
			return 0;
	return 1;
}

/* Same rule as ccauth_map_template_ok (map.c): at most one %s; '%' only in %s and %%.  Kept
 * here so the config does not depend on map.c. */
int ccauth_config_template_ok(const char *t)
{
	int n = 0;

	if (*t == '\0')
		return 0;
	for (; *t; t++) {
		if (*t != '%')
			continue;
		t++;
		if (*t == '%')
			continue;
		if (*t == 's' && n++ == 0)
			continue;
		return 0;
	}
	return 1;
}

void ccauth_strlist_clear(struct ccauth_strlist *l)
{
	free(l->v); /* the words live in the same block */
	l->v = NULL;
	l->n = 0;
}

/* One allocation per list: the pointers, then the words with their NULs.  A config of 1,000
 * issuers splits some 4,000 lists, the profile's claim names included. */
int ccauth_strlist_split_on(const char *v, const char *seps, struct ccauth_strlist *l)
{
	size_t n = 0, chars = 0;
	char *w;

	for (const char *p = v + strspn(v, seps); *p != '\0'; p += strspn(p, seps)) {
		size_t k = strcspn(p, seps);

		n++;
		chars += k + 1;
		p += k;
	}
	if (n == 0)
		return 0;
	if ((l->v = malloc(n * sizeof(*l->v) + chars)) == NULL)
		return -1;
	w = (char *)(l->v + n);
	for (const char *p = v + strspn(v, seps); *p != '\0'; p += strspn(p, seps)) {
		size_t k = strcspn(p, seps);

		memcpy(w, p, k);
		w[k] = '\0';
		l->v[l->n++] = w;
		w += k + 1;
		p += k;
	}
	return 0;
}

int ccauth_strlist_split(const char *v, struct ccauth_strlist *l)
{
	return ccauth_strlist_split_on(v, " \t", l);
}

int ccauth_strlist_pair(const char *v, char **a, char **b)
{
	struct ccauth_strlist l = {0};
	int rc = 1;

	if (ccauth_strlist_split(v, &l) != 0)
		return -1;
	if (l.n == 2) {
		*a = strdup(l.v[0]);
		*b = strdup(l.v[1]);
		rc = *a != NULL && *b != NULL ? 0 : -1;
		if (rc != 0) {
			free(*a);
			free(*b);
			*a = *b = NULL;
		}
	}
	ccauth_strlist_clear(&l);
	return rc;
}

int ccauth_config_parse_algs(const char *v, unsigned *out)
{
	unsigned mask = 0;

	while (*v) {
		size_t n;
		int a;
		while (is_ws(*v))
			v++;
		n = strcspn(v, " \t");
		if (n == 0)
			break;
		if ((a = ccauth_alg_from_name(v, n)) < 0)
			return -1;
		mask |= CCAUTH_ALG_BIT(a);
		v += n;
	}
	if (mask == 0)
		return -1;
	*out = mask;
	return 0;
}
