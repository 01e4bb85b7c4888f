/* Identity mapping: the first usable username claim, through the template, checked against a
 * conservative character set so the result is safe as an LDAP RDN value, a PAM user or a path part. */
#include "autoconf.h"

#include <string.h>

#include "config.h"
#include "map.h"
#include "util.h"
#include "usermap.h"

static const char *const default_claims[] = {"client_id", "azp", "sub"};

int ccauth_map_name_ok(const char *s, size_t len)
{
	return ccauth_name_ok(s, len);
}

int ccauth_map_template_ok(const char *tmpl)
{
	int subst = 0;

	if (tmpl == NULL)
		return 0;
	for (const char *p = tmpl; *p != '\0'; p++) {
		if (*p != '%')
			continue;
		p++;
		if (*p == 's') {
			if (++subst > 1)
				return 0;
		} else if (*p != '%') {
			return 0; /* also a lone trailing '%' */
		}
	}
	return 1;
}

/* Expand tmpl with value into out (CCAUTH_USER_MAX + 1).  -1: bad template or result too long. */
static int expand(const char *tmpl, const char *value, size_t vlen, char *out)
{
	size_t n = 0;
	int subst = 0;

	for (const char *p = tmpl; *p != '\0'; p++) {
		const char *piece = p;
		size_t plen = 1;

		if (*p == '%') {
			p++;
			if (*p == 's' && subst++ == 0) {
				piece = value;
				plen = vlen;
			} else if (*p == '%') {
				piece = p;
			} else {
				return -1;
			}
		}
		if (plen > CCAUTH_USER_MAX - n)
			return -1;
		memcpy(out + n, piece, plen);
		n += plen;
	}
	out[n] = '\0';
	return (int)n;
}

enum ccauth_status ccauth_map_identity(const struct ccauth_issuer_conf *ic, const struct ccauth_json *claims,
                                       char out[CCAUTH_USER_MAX + 1], struct ccauth_error *err)
{
	const char *const *names = default_claims;
	size_t nnames = sizeof(default_claims) / sizeof(default_claims[0]);
	const char *tmpl = "%s";
	const struct ccauth_json *v = NULL;
	const char *claim = NULL;
	int n;

	out[0] = '\0';
	if (ic != NULL && ic->username_claim.n > 0) {
		names = (const char *const *)ic->username_claim.v;
		nnames = ic->username_claim.n;
	}
	if (ic != NULL && ic->username_template != NULL)
		tmpl = ic->username_template;
	if (claims == NULL || claims->type != CCAUTH_JSON_OBJECT)
		return ccauth_error_set(err, CCAUTH_E_IDENTITY, "no claims to map");

	for (size_t i = 0; i < nnames; i++) {
		const struct ccauth_json *c = ccauth_json_get(claims, names[i]);

		if (c == NULL)
			continue;
		if (c->type != CCAUTH_JSON_STRING)
			return ccauth_error_set(err, CCAUTH_E_IDENTITY, "username claim %s is not a string", names[i]);
		if (c->len == 0)
			continue;
		v = c;
		claim = names[i];
		break;
	}
	if (v == NULL)
		return ccauth_error_set(err, CCAUTH_E_IDENTITY, "none of the username claims is present");

	/* username_map: only listed values have an identity; the mapped name goes through the template */
	if (ic != NULL && ic->usermap != NULL) {
		const char *mapped = ccauth_usermap_lookup(ic->usermap, v->str, v->len);

		if (mapped == NULL)
			return ccauth_error_set(err, CCAUTH_E_IDENTITY, "the value of claim %s is not in username_map",
			                        claim);
		n = expand(tmpl, mapped, strlen(mapped), out);
	} else {
		n = expand(tmpl, v->str, v->len, out);
	}
	if (n < 0) {
		out[0] = '\0';
		return ccauth_error_set(err, CCAUTH_E_IDENTITY,
		                        "username from claim %s: template or length (max %d) refused", claim,
		                        CCAUTH_USER_MAX);
	}
	if (!ccauth_map_name_ok(out, (size_t)n)) {
		out[0] = '\0';
		return ccauth_error_set(err, CCAUTH_E_IDENTITY,
		                        "username from claim %s has characters outside [A-Za-z0-9._@-]", claim);
	}
	return CCAUTH_OK;
}
