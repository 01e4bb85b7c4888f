/* The claims policy (doc/validation.md steps 9-14): the payload of a verified JWT, or an
 * introspection answer, judged against its [issuer] section. */
#ifndef CCAUTH_CLAIMS_H
#define CCAUTH_CLAIMS_H

#include <stdint.h>

#include "error.h"

struct ccauth_claimset;
struct ccauth_explainer;
struct ccauth_issuer_conf;
struct ccauth_json;

/* Steps 5 (iss) and 9-14 in order, filling cs with the claims the identity is built from.  typ is
 * the JWT header's typ (NULL for introspection); check_typ 0 for an introspection answer (no typ,
 * iss optional).  With an explainer x every check after the types is reported; the first failure
 * is the result either way. */
enum ccauth_status ccauth_claims_policy(const struct ccauth_issuer_conf *ic, const struct ccauth_json *claims,
                                        const char *typ, int check_typ, int64_t now, int64_t skew,
                                        struct ccauth_claimset *cs, struct ccauth_explainer *x,
                                        struct ccauth_error *err);

#endif
