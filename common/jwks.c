/* jwks: a JSON Web Key Set parsed once into prepared keys, shared by reference count. */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "credfile.h"
#include "jwks.h"
#include "verifyctx.h"

/* A kid is public, but it is still text from the network: log it only when it is short and
 * printable ASCII. */
static const char *printable_kid(const char *kid, size_t kidlen)
{
	if (kid == NULL)
		return "(none)";
	if (kidlen > 64)
		return "(long)";
	for (size_t i = 0; i < kidlen; i++)
		if (kid[i] < 0x20 || kid[i] > 0x7e || kid[i] == '"')
			return "(unprintable)";
	return kid;
}

static void set_free(struct ccauth_jwks *set)
{
	if (set == NULL)
		return;
	for (size_t i = 0; i < set->nkeys; i++)
		ccauth_jwk_clear(&set->keys[i]);
	free(set->keys);
	for (int i = 0; i < 3; i++)
		EVP_MD_free(set->md[i]);
	free(set);
}

enum ccauth_status ccauth_jwks_parse(const char *json, size_t len, const struct ccauth_log *log,
                                     struct ccauth_jwks **out, struct ccauth_error *err)
{
	static const char *const md_names[3] = {"SHA2-256", "SHA2-384", "SHA2-512"};
	struct ccauth_json_doc *doc = NULL;
	const struct ccauth_json *root, *keys, *k;
	struct ccauth_jwks *set = NULL;
	const EVP_MD *md_of[CCAUTH_ALG_COUNT];
	enum ccauth_status st;
	size_t idx;

	if (out == NULL)
		return ccauth_error_set(err, CCAUTH_E_INTERNAL, "no output set");
	*out = NULL;
	if (json == NULL || len > CCAUTH_JWKS_MAX_BYTES)
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "JWKS larger than %d bytes", CCAUTH_JWKS_MAX_BYTES);
	if ((st = ccauth_json_parse(json, len, CCAUTH_JWKS_MAX_BYTES, CCAUTH_JSON_MAX_DEPTH, &doc, err)) != CCAUTH_OK)
		return st;
	root = ccauth_json_root(doc);
	if (root == NULL || root->type != CCAUTH_JSON_OBJECT) {
		st = ccauth_error_set(err, CCAUTH_E_MALFORMED, "JWKS is not a JSON object");
		goto out;
	}
	keys = ccauth_json_get(root, "keys");
	if (keys == NULL || keys->type != CCAUTH_JSON_ARRAY) {
		st = ccauth_error_set(err, CCAUTH_E_MALFORMED, "JWKS has no \"keys\" array");
		goto out;
	}
	if (keys->count > CCAUTH_JWKS_MAX_KEYS) {
		st = ccauth_error_set(err, CCAUTH_E_MALFORMED, "JWKS has %zu keys (at most %d)", keys->count,
		                      CCAUTH_JWKS_MAX_KEYS);
		goto out;
	}
	set = calloc(1, sizeof(*set));
	if (set == NULL || (keys->count > 0 && (set->keys = calloc(keys->count, sizeof(*set->keys))) == NULL)) {
		st = ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
		goto out;
	}
	set->refs = 1;
	for (int i = 0; i < 3; i++) {
		set->md[i] = EVP_MD_fetch(NULL, md_names[i], NULL);
		if (set->md[i] == NULL) {
			st = ccauth_error_set(err, CCAUTH_E_INTERNAL, "OpenSSL has no %s", md_names[i]);
			goto out;
		}
	}
	for (int a = 0; a < CCAUTH_ALG_COUNT; a++)
		md_of[a] = ccauth_jwks_md(set, (enum ccauth_alg)a);
	for (k = keys->child, idx = 0; k != NULL; k = k->next, idx++) {
		struct ccauth_error kerr = {0};
		const char *kid = NULL;
		size_t kidlen = 0;

		if (k->type == CCAUTH_JSON_OBJECT && ccauth_json_get_string(k, "kid", &kid, &kidlen, NULL) != CCAUTH_OK)
			kid = NULL;
		st = ccauth_jwk_from_json(k, &set->keys[set->nkeys], &kerr);
		if (st == CCAUTH_E_NOMEM || st == CCAUTH_E_INTERNAL) {
			if (err != NULL)
				*err = kerr;
			goto out;
		}
		if (st != CCAUTH_OK) {
			ccauth_log(log, LOG_WARNING, "JWKS key %zu (kid %s) skipped: %s", idx,
			           printable_kid(kid, kidlen), kerr.msg);
			continue;
		}
		ccauth_verifyctx_prepare_key(&set->keys[set->nkeys], md_of);
		set->nkeys++;
	}
	st = CCAUTH_OK;
	*out = set;
	set = NULL;
out:
	set_free(set);
	ccauth_json_free(doc);
	return st;
}

enum ccauth_status ccauth_jwks_load_file(const char *path, const struct ccauth_log *log, struct ccauth_jwks **out,
                                         struct ccauth_error *err)
{
	struct stat sb;
	char *buf = NULL;
	size_t len = 0;
	enum ccauth_status st;
	int fd, e;

	if (out != NULL)
		*out = NULL;
	if (path == NULL)
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "no JWKS file");
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		e = errno;
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "cannot open JWKS file %s (errno %d)", path, e);
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "JWKS file %s is not a regular file", path);
	}
	/* the keys we trust: the same rule as for the config file */
	if (!ccauth_credfile_is_trusted(&sb)) {
		close(fd);
		return ccauth_error_set(err, CCAUTH_E_CONFIG,
		                        "JWKS file %s is writable by group or others, or not owned by root or us",
		                        path);
	}
	if (sb.st_size > CCAUTH_JWKS_MAX_BYTES) {
		close(fd);
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "JWKS file %s is larger than %d bytes", path,
		                        CCAUTH_JWKS_MAX_BYTES);
	}
	buf = malloc(CCAUTH_JWKS_MAX_BYTES + 1);
	if (buf == NULL) {
		close(fd);
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	}
	/* read to the cap + 1 regardless of st_size: the file may grow between fstat and read */
	if ((e = ccauth_credfile_read_fd(fd, buf, CCAUTH_JWKS_MAX_BYTES, &len)) != 0) {
		close(fd);
		free(buf);
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "cannot read JWKS file %s (errno %d)", path, e);
	}
	close(fd);
	if (len > CCAUTH_JWKS_MAX_BYTES) {
		free(buf);
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "JWKS file %s is larger than %d bytes", path,
		                        CCAUTH_JWKS_MAX_BYTES);
	}
	st = ccauth_jwks_parse(buf, len, log, out, err);
	free(buf);
	return st;
}

const struct ccauth_jwk *ccauth_jwks_find(const struct ccauth_jwks *set, const char *kid, size_t kidlen,
                                          enum ccauth_alg alg)
{
	const struct ccauth_jwk *found = NULL;

	if (set == NULL)
		return NULL;
	/* Two keys that both fit (same kid, or no kid and several candidates) are ambiguous: we
	 * refuse rather than guess. */
	for (size_t i = 0; i < set->nkeys; i++) {
		const struct ccauth_jwk *k = &set->keys[i];

		if (kid != NULL && (k->kid == NULL || k->kidlen != kidlen || memcmp(k->kid, kid, kidlen) != 0))
			continue;
		if (!ccauth_jwk_allows(k, alg))
			continue;
		if (found != NULL)
			return NULL;
		found = k;
	}
	return found;
}

const EVP_MD *ccauth_jwks_md(const struct ccauth_jwks *set, enum ccauth_alg alg)
{
	if (set == NULL)
		return NULL;
	switch (alg) {
	case CCAUTH_ALG_RS256:
	case CCAUTH_ALG_PS256:
	case CCAUTH_ALG_ES256:
		return set->md[0];
	case CCAUTH_ALG_RS384:
	case CCAUTH_ALG_PS384:
	case CCAUTH_ALG_ES384:
		return set->md[1];
	case CCAUTH_ALG_RS512:
	case CCAUTH_ALG_PS512:
	case CCAUTH_ALG_ES512:
		return set->md[2];
	default:
		return NULL;
	}
}

struct ccauth_jwks *ccauth_jwks_ref(struct ccauth_jwks *set)
{
	if (set != NULL)
		__atomic_add_fetch(&set->refs, 1, __ATOMIC_RELAXED);
	return set;
}

void ccauth_jwks_unref(struct ccauth_jwks *set)
{
	if (set != NULL && __atomic_sub_fetch(&set->refs, 1, __ATOMIC_ACQ_REL) == 0)
		set_free(set);
}
