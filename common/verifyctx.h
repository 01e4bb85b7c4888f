/* Signature verify contexts for the JWS algorithms, and the per-key table of prepared ones. */
#ifndef CCAUTH_VERIFYCTX_H
#define CCAUTH_VERIFYCTX_H

#include <openssl/evp.h>

#include "jwk.h"

/* Set ctx up to verify alg with pkey (md NULL for EdDSA): what every token needs before the hashing.
 * 1 on success. */
int ccauth_verifyctx_init(EVP_MD_CTX *ctx, enum ccauth_alg alg, EVP_PKEY *pkey, const EVP_MD *md);

/* Prepare key for fast verification, once, when its set is loaded and before the key is shared:
 * attaches to key->pkey an empty table of verify contexts, one per algorithm the key allows with the
 * digest md_of[alg] (the set's; ignored for EdDSA).  The first token of each algorithm builds its
 * context (thread-safe); later tokens copy it instead of setting up from scratch.  Best effort: a
 * key left unprepared (no memory, or never passed here) verifies the same way, only slower. */
void ccauth_verifyctx_prepare_key(struct ccauth_jwk *key, const EVP_MD *const md_of[CCAUTH_ALG_COUNT]);

/* The template for (pkey, alg) when pkey was prepared with this very digest: the published one, or
 * one built now.  NULL: verify the slow way (unprepared key, other digest, or building failed).
 * The template is only read: copy it (EVP_MD_CTX_copy_ex) into a context of your own. */
const EVP_MD_CTX *ccauth_verifyctx_get(EVP_PKEY *pkey, enum ccauth_alg alg, const EVP_MD *md);

#endif
