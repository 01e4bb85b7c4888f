/* verifyctx: set-up signature verify contexts, and a table of them prepared per key.
 *
 * Below jws.c (which verifies with them) and jwks.c (which prepares each key it loads), so the two
 * do not depend on each other. */
#include "autoconf.h"

#include <pthread.h>
#include <stdlib.h>

#include <openssl/err.h>
#include <openssl/rsa.h>

#include "verifyctx.h"

static int is_pss(enum ccauth_alg alg)
{
	return alg == CCAUTH_ALG_PS256 || alg == CCAUTH_ALG_PS384 || alg == CCAUTH_ALG_PS512;
}

static int is_rsa(enum ccauth_alg alg)
{
	return is_pss(alg) || alg == CCAUTH_ALG_RS256 || alg == CCAUTH_ALG_RS384 || alg == CCAUTH_ALG_RS512;
}

int ccauth_verifyctx_init(EVP_MD_CTX *ctx, enum ccauth_alg alg, EVP_PKEY *pkey, const EVP_MD *md)
{
	EVP_PKEY_CTX *pctx = NULL;
	int rc;

	rc = EVP_DigestVerifyInit_ex(ctx, &pctx, md ? EVP_MD_get0_name(md) : NULL, NULL, NULL, pkey, NULL) == 1;
	if (rc && is_rsa(alg))
		rc = EVP_PKEY_CTX_set_rsa_padding(pctx, is_pss(alg) ? RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING) > 0;
	if (rc && is_pss(alg))
		rc = EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) > 0 &&
		     EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) > 0;
	return rc;
}

/* ---- prepared keys: a set-up verify context per (key, algorithm), made on first use.
 * EVP_DigestVerifyInit_ex looks the signature and digest up by name and builds two provider
 * contexts every time (about 30k instructions for RSA, 50k with the PSS parameters); copying a
 * ready context costs about 2.5k.  A key gets its (empty) table when the JWKS is loaded; a
 * template is built the first time a token uses that algorithm, so a short-lived validator (one
 * PAM authentication) pays for one algorithm, not for the six an unpinned RSA key allows.  A
 * published template is only ever read (EVP_MD_CTX_copy_ex does not modify its source) and each
 * thread verifies with its own copy.  Templates are built on a duplicate of the key: a template
 * holds a reference to its key, and one to the key that owns it would keep that key alive forever. */

struct sig_prep {
	EVP_MD_CTX *tmpl[CCAUTH_ALG_COUNT]; /* published with release/acquire; NULL until first use */
	const EVP_MD *md[CCAUTH_ALG_COUNT]; /* the set's digest for each algorithm, fixed at load */
	unsigned allowed;                   /* CCAUTH_ALG_BIT of what the key can do */
	unsigned failed;                    /* algorithms whose template could not be built */
	EVP_PKEY *dup;                      /* built lazily under lock */
	pthread_mutex_t lock;               /* serialises building; readers never take it */
};

static pthread_once_t prep_once = PTHREAD_ONCE_INIT;
static int prep_index = -1;

static void prep_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	struct sig_prep *p = ptr;

	(void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
	if (p == NULL)
		return;
	for (size_t i = 0; i < CCAUTH_ALG_COUNT; i++)
		EVP_MD_CTX_free(p->tmpl[i]);
	EVP_PKEY_free(p->dup);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/* A copied EVP_PKEY (EVP_PKEY_dup) must not share the templates: it gets none. */
static int prep_dup(CRYPTO_EX_DATA *to, const CRYPTO_EX_DATA *from, void **from_d, int idx, long argl, void *argp)
{
	(void)to, (void)from, (void)idx, (void)argl, (void)argp;
	*from_d = NULL;
	return 1;
}

static void prep_index_init(void)
{
	prep_index = CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_EVP_PKEY, 0, NULL, NULL, prep_dup, prep_free);
}

void ccauth_verifyctx_prepare_key(struct ccauth_jwk *key, const EVP_MD *const md_of[CCAUTH_ALG_COUNT])
{
	struct sig_prep *p;

	if (md_of == NULL || key == NULL || key->pkey == NULL || pthread_once(&prep_once, prep_index_init) != 0 ||
	    prep_index < 0 || EVP_PKEY_get_ex_data(key->pkey, prep_index) != NULL)
		return;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return;
	if (pthread_mutex_init(&p->lock, NULL) != 0) {
		free(p);
		return;
	}
	for (int a = 0; a < CCAUTH_ALG_COUNT; a++) {
		const EVP_MD *md = a == CCAUTH_ALG_EDDSA ? NULL : md_of[a];

		if (ccauth_jwk_allows(key, (enum ccauth_alg)a) && (a == CCAUTH_ALG_EDDSA || md != NULL)) {
			p->allowed |= CCAUTH_ALG_BIT(a);
			p->md[a] = md;
		}
	}
	ERR_set_mark();
	if (p->allowed == 0 || EVP_PKEY_set_ex_data(key->pkey, prep_index, p) != 1)
		prep_free(NULL, p, NULL, 0, 0, NULL);
	ERR_pop_to_mark();
}

const EVP_MD_CTX *ccauth_verifyctx_get(EVP_PKEY *pkey, enum ccauth_alg alg, const EVP_MD *md)
{
	struct sig_prep *p;
	EVP_MD_CTX *t;

	if (pthread_once(&prep_once, prep_index_init) != 0 || prep_index < 0)
		return NULL;
	p = EVP_PKEY_get_ex_data(pkey, prep_index);
	if (p == NULL || !(p->allowed & CCAUTH_ALG_BIT(alg)) || p->md[alg] != md)
		return NULL;
	t = __atomic_load_n(&p->tmpl[alg], __ATOMIC_ACQUIRE);
	if (t != NULL)
		return t;
	if (pthread_mutex_lock(&p->lock) != 0)
		return NULL;
	t = p->tmpl[alg];
	if (t == NULL && !(p->failed & CCAUTH_ALG_BIT(alg))) {
		ERR_set_mark();
		if (p->dup == NULL)
			p->dup = EVP_PKEY_dup(pkey);
		if (p->dup != NULL && (t = EVP_MD_CTX_new()) != NULL && !ccauth_verifyctx_init(t, alg, p->dup, md)) {
			EVP_MD_CTX_free(t);
			t = NULL;
		}
		if (t != NULL)
			__atomic_store_n(&p->tmpl[alg], t, __ATOMIC_RELEASE);
		else
			p->failed |= CCAUTH_ALG_BIT(alg);
		ERR_pop_to_mark();
	}
	pthread_mutex_unlock(&p->lock);
	return t;
}
