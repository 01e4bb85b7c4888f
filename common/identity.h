/* The identity a validated token yields, shared by the validator and the validated-token cache. */
#ifndef CCAUTH_IDENTITY_H
#define CCAUTH_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "json.h"

enum ccauth_via { CCAUTH_VIA_JWT, CCAUTH_VIA_INTROSPECTION };

/* The result of a successful validation.  Immutable and reference counted: a cache hit hands out
 * a copy of the cached object.  Strings are NUL-terminated; absent claims are NULL. */
struct ccauth_identity {
	const char *user;        /* mapped identity */
	const char *issuer_name; /* [issuer NAME] */
	const char *iss;
	const char *sub;
	const char *client_id;
	const char *const *aud;
	size_t naud;
	const char *scope;
	const char *jti;
	int64_t exp;
	int64_t iat; /* 0 when absent */
	enum ccauth_via via;
	char fpr[17]; /* token fingerprint: hex of SHA-256[0..8) */
};

void ccauth_identity_release(const struct ccauth_identity *id); /* NULL-safe */
const struct ccauth_identity *ccauth_identity_ref(const struct ccauth_identity *id);
/* A private copy with its own reference (NULL for NULL or out of memory): the validated-token
 * cache hands one out per hit, so that a hit writes nothing that other threads share. */
const struct ccauth_identity *ccauth_identity_copy(const struct ccauth_identity *id);

/* The claims an identity copies, already type-checked by the policy. */
struct ccauth_claimset {
	const struct ccauth_json *sub, *client_id, *azp, *jti, *aud;
	const struct ccauth_json *cid;   /* the first present of the issuer's client_id_claims */
	const struct ccauth_json *scope; /* the first present of its scope_claims: a string or an array */
	int64_t exp, nbf, iat;
	int has_nbf, has_iat;
};

/* Build an identity (refs = 1) from claims the policy has already type-checked: one allocation
 * holding the struct, the aud pointers and copies of every string. */
enum ccauth_status ccauth_identity_build(const char *issuer_name, const char *iss, size_t isslen,
                                         const struct ccauth_claimset *cs, const char *user, const char *fpr,
                                         enum ccauth_via via, const struct ccauth_identity **out,
                                         struct ccauth_error *err);

#endif
