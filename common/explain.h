/* ccauth verify --explain: every check of a validation reported in order, with the values it
 * compared.  common/ never prints: the checks are handed to a callback (the CLI prints them).
 * Before the signature is verified only the JOSE header is described; the token, its signature
 * and unverified claims never are. */
#ifndef CCAUTH_EXPLAIN_H
#define CCAUTH_EXPLAIN_H

#include <stddef.h>

#include "error.h"
#include "json.h"

struct ccauth_explain_step {
	const char *check;         /* "token", "header", "issuer", "algorithm", "key", "signature", "types",
	                              "rfc9068", "token_type", "time", "audience", "scope", "client",
	                              "identity", "introspection" */
	enum ccauth_status status; /* CCAUTH_OK: passed */
	int skipped;               /* 1: not checked (an earlier failure made it meaningless) */
	const char *detail;        /* what was compared; never the token */
};

typedef void (*ccauth_explain_fn)(void *ctx, const struct ccauth_explain_step *step);

struct ccauth_explainer {
	ccauth_explain_fn fn;
	void *ctx;
	enum ccauth_status first; /* the first failure reported, CCAUTH_OK while there is none */
};

/* Report one check (a NULL explainer does nothing) and remember the first failure. */
void ccauth_explain_report(struct ccauth_explainer *x, const char *check, enum ccauth_status st, const char *detail);

/* Report a check that was not made, with why. */
void ccauth_explain_skip(struct ccauth_explainer *x, const char *check, const char *why);

/* v as compact JSON in buf (cap > 4), control characters escaped; cut with "..." when longer. */
void ccauth_explain_json(const struct ccauth_json *v, char *buf, size_t cap);

#endif
