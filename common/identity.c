/* The result of a successful validation (struct ccauth_identity): one reference-counted
 * allocation, the public struct followed by the aud pointers and the strings.  Below both the
 * validator, which builds it, and the validated-token cache, which keeps it. */
#include "autoconf.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "identity.h"

struct identity_impl {
	int refs;    /* atomic */
	size_t size; /* of the whole allocation, for ccauth_identity_copy */
	struct ccauth_identity pub;
};

static struct identity_impl *impl_of(const struct ccauth_identity *id)
{
	return (struct identity_impl *)(void *)((char *)(uintptr_t)id - offsetof(struct identity_impl, pub));
}

const struct ccauth_identity *ccauth_identity_ref(const struct ccauth_identity *id)
{
	if (id != NULL)
		__atomic_add_fetch(&impl_of(id)->refs, 1, __ATOMIC_RELAXED);
	return id;
}

void ccauth_identity_release(const struct ccauth_identity *id)
{
	struct identity_impl *im;

	if (id == NULL)
		return;
	im = impl_of(id);
	if (__atomic_sub_fetch(&im->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(im);
}

/* p pointed into the allocation at from; the same place in the copy at to */
static const char *moved(const char *p, const struct identity_impl *from, struct identity_impl *to)
{
	return p != NULL ? (const char *)to + (p - (const char *)from) : NULL;
}

const struct ccauth_identity *ccauth_identity_copy(const struct ccauth_identity *id)
{
	const struct identity_impl *src;
	struct identity_impl *im;
	const char **aud;

	if (id == NULL)
		return NULL;
	src = impl_of(id);
	/* one block holds the struct, the aud pointers and the strings: copy it and move the pointers.
	 * Not refs: other threads take and drop references to src meanwhile (atomically), and a plain
	 * read of it would race with them (ThreadSanitizer caught the memcpy that read it). */
	if ((im = malloc(src->size)) == NULL)
		return NULL;
	memcpy((char *)im + offsetof(struct identity_impl, size),
	       (const char *)src + offsetof(struct identity_impl, size),
	       src->size - offsetof(struct identity_impl, size));
	im->refs = 1;
	aud = (const char **)(void *)(im + 1);
	for (size_t i = 0; i < id->naud; i++)
		aud[i] = moved(id->aud[i], src, im);
	im->pub.aud = aud;
	im->pub.user = moved(id->user, src, im);
	im->pub.issuer_name = moved(id->issuer_name, src, im);
	im->pub.iss = moved(id->iss, src, im);
	im->pub.sub = moved(id->sub, src, im);
	im->pub.client_id = moved(id->client_id, src, im);
	im->pub.scope = moved(id->scope, src, im);
	im->pub.jti = moved(id->jti, src, im);
	return &im->pub;
}

struct packer {
	char *p;
};

static const char *pack(struct packer *pk, const char *s, size_t len)
{
	char *d = pk->p;

	memcpy(d, s, len);
	d[len] = '\0';
	pk->p += len + 1;
	return d;
}

static const char *pack_json(struct packer *pk, const struct ccauth_json *v)
{
	return v != NULL ? pack(pk, v->str, v->len) : NULL;
}

static size_t json_strsize(const struct ccauth_json *v)
{
	return v != NULL ? v->len + 1 : 0;
}

/* scope as one string: the first scope claim, an array joined by spaces */
static size_t scp_size(const struct ccauth_json *scp)
{
	size_t n = 0;

	for (const struct ccauth_json *e = scp->child; e != NULL; e = e->next)
		n += e->len + 1;
	return n > 0 ? n : 1;
}

static const char *pack_scp(struct packer *pk, const struct ccauth_json *scp)
{
	char *d = pk->p, *q = d;

	for (const struct ccauth_json *e = scp->child; e != NULL; e = e->next) {
		if (q != d)
			*q++ = ' ';
		memcpy(q, e->str, e->len);
		q += e->len;
	}
	*q = '\0';
	pk->p = q + 1;
	return d;
}

enum ccauth_status ccauth_identity_build(const char *issuer_name, const char *iss, size_t isslen,
                                         const struct ccauth_claimset *cs, const char *user, const char *fpr,
                                         enum ccauth_via via, const struct ccauth_identity **out,
                                         struct ccauth_error *err)
{
	size_t naud = 0, size, userlen = strlen(user);
	struct identity_impl *im;
	struct ccauth_identity *id;
	const char **aud;
	struct packer pk;

	if (cs->aud != NULL)
		naud = cs->aud->type == CCAUTH_JSON_STRING ? 1 : cs->aud->count;
	size = sizeof(*im) + (naud + 1) * sizeof(char *) + userlen + 1 + strlen(issuer_name) + 1 + isslen + 1 +
	       json_strsize(cs->sub) + json_strsize(cs->cid) + json_strsize(cs->jti);
	if (cs->scope != NULL && cs->scope->type == CCAUTH_JSON_STRING)
		size += json_strsize(cs->scope);
	else if (cs->scope != NULL)
		size += scp_size(cs->scope);
	if (cs->aud != NULL && cs->aud->type == CCAUTH_JSON_STRING)
		size += cs->aud->len + 1;
	else if (cs->aud != NULL)
		for (const struct ccauth_json *e = cs->aud->child; e != NULL; e = e->next)
			size += e->len + 1;

	im = malloc(size);
	if (im == NULL)
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory building the identity");
	im->refs = 1;
	im->size = size;
	id = &im->pub;
	aud = (const char **)(void *)(im + 1);
	pk.p = (char *)(aud + naud + 1);

	id->user = pack(&pk, user, userlen);
	id->issuer_name = pack(&pk, issuer_name, strlen(issuer_name));
	id->iss = pack(&pk, iss, isslen);
	id->sub = pack_json(&pk, cs->sub);
	id->client_id = pack_json(&pk, cs->cid);
	id->jti = pack_json(&pk, cs->jti);
	if (cs->scope != NULL && cs->scope->type == CCAUTH_JSON_STRING)
		id->scope = pack_json(&pk, cs->scope);
	else if (cs->scope != NULL)
		id->scope = pack_scp(&pk, cs->scope);
	else
		id->scope = NULL;
	if (cs->aud != NULL && cs->aud->type == CCAUTH_JSON_STRING) {
		aud[0] = pack_json(&pk, cs->aud);
	} else if (cs->aud != NULL) {
		size_t i = 0;

		for (const struct ccauth_json *e = cs->aud->child; e != NULL && i < naud; e = e->next)
			aud[i++] = pack_json(&pk, e);
		naud = i;
	}
	aud[naud] = NULL;
	id->aud = aud;
	id->naud = naud;
	id->exp = cs->exp;
	id->iat = cs->has_iat ? cs->iat : 0;
	id->via = via;
	memcpy(id->fpr, fpr, sizeof(id->fpr));
	*out = id;
	return CCAUTH_OK;
}
