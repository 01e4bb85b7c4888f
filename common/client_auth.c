/* client_auth: how a client proves itself to the AS (RFC 6749 §2.3): the token request form, the
 * Basic header, private_key_jwt assertions (RFC 7523) and what the credentials are, for the cache. */
#include "autoconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "assertion.h"
#include "b64url.h"
#include "client_auth.h"
#include "credfile.h"
#include "jwk.h"
#include "sbuf.h"
#include "util.h"

#define ASSERT_TYPE     "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#define SPIFFE_TYPE     "urn:ietf:params:oauth:client-assertion-type:jwt-spiffe" /* draft-ietf-oauth-spiffe-client-auth */
#define EXCHANGE        "urn:ietf:params:oauth:grant-type:token-exchange"        /* RFC 8693 §2.1 */
#define TT_ACCESS       "urn:ietf:params:oauth:token-type:access_token"          /* RFC 8693 §3 */
#define CLIENT_AUTH_TYP "client-authentication+jwt"                              /* RFC 10070 */
#define CRED_HASH_MAX   (1024 * 1024) /* bytes of a credential file hashed for the cache key */

enum ccauth_status ccauth_token_basic_auth(const char *client_id, const char *secret, size_t secretlen, char **out,
                                           struct ccauth_error *err)
{
	struct ccauth_sbuf b = {0};
	char *hdr;
	size_t hl;

	*out = NULL;
	ccauth_sbuf_urlencode(&b, client_id, strlen(client_id));
	ccauth_sbuf_add(&b, ":", 1);
	ccauth_sbuf_urlencode(&b, secret, secretlen);
	if (b.failed || b.len > SIZE_MAX / 2) {
		ccauth_sbuf_wipe(&b);
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	}
	hl = 6 + CCAUTH_B64STD_ENCODED_LEN(b.len) + 1;
	if ((hdr = malloc(hl)) == NULL) {
		ccauth_sbuf_wipe(&b);
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	}
	memcpy(hdr, "Basic ", 6);
	ccauth_b64std_encode((const unsigned char *)b.p, b.len, hdr + 6);
	ccauth_sbuf_wipe(&b);
	*out = hdr;
	return CCAUTH_OK;
}

const char *ccauth_token_subject_type_urn(int subject_token_type)
{
	switch (subject_token_type) {
	case CCAUTH_SUBJECT_ACCESS_TOKEN:
		return TT_ACCESS;
	case CCAUTH_SUBJECT_ID_TOKEN:
		return "urn:ietf:params:oauth:token-type:id_token";
	default:
		return "urn:ietf:params:oauth:token-type:jwt";
	}
}

const char *ccauth_token_requested_type(const struct ccauth_client_conf *client)
{
	return client->requested_token_type != NULL ? client->requested_token_type : TT_ACCESS;
}

enum ccauth_status ccauth_token_form(const struct ccauth_client_conf *client, const char *secret, size_t secretlen,
                                     const char *assertion, char **out, size_t *outlen, struct ccauth_error *err)
{
	return ccauth_token_form_ex(client, secret, secretlen, assertion, NULL, out, outlen, err);
}

enum ccauth_status ccauth_token_form_ex(const struct ccauth_client_conf *client, const char *secret, size_t secretlen,
                                        const char *assertion, const char *subject, char **out, size_t *outlen,
                                        struct ccauth_error *err)
{
	struct ccauth_sbuf b = {0};
	const char *t;

	*out = NULL;
	*outlen = 0;
	if (client->grant == CCAUTH_GRANT_TOKEN_EXCHANGE) {
		if (subject == NULL)
			return ccauth_error_set(err, CCAUTH_E_INTERNAL, "token_exchange without a subject token");
		ccauth_sbuf_param(&b, "grant_type", EXCHANGE, sizeof(EXCHANGE) - 1);
		ccauth_sbuf_param(&b, "subject_token", subject, strlen(subject));
		t = ccauth_token_subject_type_urn(client->subject_token_type);
		ccauth_sbuf_param(&b, "subject_token_type", t, strlen(t));
		t = ccauth_token_requested_type(client);
		ccauth_sbuf_param(&b, "requested_token_type", t, strlen(t));
	} else {
		ccauth_sbuf_param(&b, "grant_type", "client_credentials", 18);
	}
	if (client->scope != NULL)
		ccauth_sbuf_param(&b, "scope", client->scope, strlen(client->scope));
	if (client->audience != NULL)
		ccauth_sbuf_param(&b, "audience", client->audience, strlen(client->audience));
	if (client->resource != NULL)
		ccauth_sbuf_param(&b, "resource", client->resource, strlen(client->resource));
	switch (client->auth_method) {
	case CCAUTH_AUTH_CLIENT_SECRET_BASIC:
		break;
	case CCAUTH_AUTH_CLIENT_SECRET_POST:
		ccauth_sbuf_param(&b, "client_id", client->client_id, strlen(client->client_id));
		if (secret == NULL) {
			ccauth_sbuf_wipe(&b);
			return ccauth_error_set(err, CCAUTH_E_INTERNAL, "client_secret_post without a secret");
		}
		ccauth_sbuf_param(&b, "client_secret", secret, secretlen);
		break;
	case CCAUTH_AUTH_PRIVATE_KEY_JWT:
	case CCAUTH_AUTH_CLIENT_ASSERTION:
		if (assertion == NULL) {
			ccauth_sbuf_wipe(&b);
			return ccauth_error_set(err, CCAUTH_E_INTERNAL, "client authentication without an assertion");
		}
		/* client_id is optional with an assertion (RFC 7521 §4.2) but some servers want it */
		if (client->client_id != NULL)
			ccauth_sbuf_param(&b, "client_id", client->client_id, strlen(client->client_id));
		t = client->auth_method == CCAUTH_AUTH_CLIENT_ASSERTION &&
		            client->client_assertion_type == CCAUTH_ASSERTION_JWT_SPIFFE
		        ? SPIFFE_TYPE
		        : ASSERT_TYPE;
		ccauth_sbuf_param(&b, "client_assertion_type", t, strlen(t));
		ccauth_sbuf_param(&b, "client_assertion", assertion, strlen(assertion));
		break;
	case CCAUTH_AUTH_TLS_CLIENT_AUTH:
		ccauth_sbuf_param(&b, "client_id", client->client_id, strlen(client->client_id));
		break;
	case CCAUTH_AUTH_NONE:
		/* config.c admits it only with token_exchange; never a client_credentials request without */
		if (client->grant != CCAUTH_GRANT_TOKEN_EXCHANGE) {
			ccauth_sbuf_wipe(&b);
			return ccauth_error_set(err, CCAUTH_E_CONFIG,
			                        "auth_method = none without grant = token_exchange");
		}
		break;
	default:
		ccauth_sbuf_wipe(&b);
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "unknown auth_method");
	}
	if (b.failed) {
		ccauth_sbuf_wipe(&b);
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	}
	/* the slack after len + 1 was never written (calloc), so wiping len + 1 bytes is enough */
	*out = b.p;
	*outlen = b.len;
	return CCAUTH_OK;
}

size_t ccauth_client_cred_files(const struct ccauth_client_conf *client, struct ccauth_cred_file f[2])
{
	switch (client->auth_method) {
	case CCAUTH_AUTH_CLIENT_SECRET_BASIC:
	case CCAUTH_AUTH_CLIENT_SECRET_POST:
		f[0] = (struct ccauth_cred_file){"client_secret_file", client->client_secret_file, 1};
		return 1;
	case CCAUTH_AUTH_PRIVATE_KEY_JWT:
		f[0] = (struct ccauth_cred_file){"private_key_file", client->private_key_file, 1};
		return 1;
	case CCAUTH_AUTH_TLS_CLIENT_AUTH:
		f[0] = (struct ccauth_cred_file){"tls_cert_file", client->tls_cert_file, 0};
		f[1] = (struct ccauth_cred_file){"tls_key_file", client->tls_key_file, 1};
		return 2;
	case CCAUTH_AUTH_CLIENT_ASSERTION:
	case CCAUTH_AUTH_NONE:
		/* the assertion's source is in the cache key, its content is not: the platform rewrites it */
		return 0;
	}
	return 0;
}

/* ---- private_key_jwt ---- */

static char *b64url_of(const void *data, size_t len)
{
	char *s = malloc(CCAUTH_B64URL_ENCODED_LEN(len) + 1);

	if (s != NULL)
		ccauth_b64url_encode(data, len, s);
	return s;
}

static char *json_b64(struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

	return s != NULL ? b64url_of(s, strlen(s)) : NULL;
}

static int key_fits(EVP_PKEY *pkey, int alg)
{
	char group[64];
	size_t gl = 0;

	switch (alg) {
	case CCAUTH_ALG_RS256:
	case CCAUTH_ALG_PS256:
		return (EVP_PKEY_is_a(pkey, "RSA") || (alg == CCAUTH_ALG_PS256 && EVP_PKEY_is_a(pkey, "RSA-PSS"))) &&
		       EVP_PKEY_get_bits(pkey) >= 2048;
	case CCAUTH_ALG_ES256:
		return EVP_PKEY_is_a(pkey, "EC") && EVP_PKEY_get_group_name(pkey, group, sizeof(group), &gl) == 1 &&
		       (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0);
	case CCAUTH_ALG_EDDSA:
		return EVP_PKEY_is_a(pkey, "ED25519") || EVP_PKEY_is_a(pkey, "ED448");
	default:
		return 0;
	}
}

/* Sign data; ES256 turned from DER into raw R||S.  *sig malloc'd. */
static enum ccauth_status sign(EVP_PKEY *pkey, int alg, const char *data, size_t len, unsigned char **sig,
                               size_t *siglen, struct ccauth_error *err)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	const EVP_MD *h = alg == CCAUTH_ALG_EDDSA ? NULL : EVP_sha256();
	unsigned char *buf = NULL;
	size_t bl = 0;
	int ok;

	*sig = NULL;
	ok = md != NULL && EVP_DigestSignInit(md, &pctx, h, NULL, pkey) == 1;
	if (ok && alg == CCAUTH_ALG_PS256)
		ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
		     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
	ok = ok && EVP_DigestSign(md, NULL, &bl, (const unsigned char *)data, len) == 1 && (buf = malloc(bl)) != NULL &&
	     EVP_DigestSign(md, buf, &bl, (const unsigned char *)data, len) == 1;
	EVP_MD_CTX_free(md);
	if (!ok) {
		free(buf);
		return ccauth_error_set(err, CCAUTH_E_INTERNAL, "private_key_jwt: signing failed");
	}
	if (alg == CCAUTH_ALG_ES256) {
		const unsigned char *p = buf;
		ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)bl);
		const BIGNUM *r, *s;
		unsigned char *raw = malloc(64);

		ok = es != NULL && raw != NULL && p == buf + bl;
		if (ok) {
			ECDSA_SIG_get0(es, &r, &s);
			ok = BN_bn2binpad(r, raw, 32) == 32 && BN_bn2binpad(s, raw + 32, 32) == 32;
		}
		ECDSA_SIG_free(es);
		free(buf);
		if (!ok) {
			free(raw);
			return ccauth_error_set(err, CCAUTH_E_INTERNAL, "private_key_jwt: bad ECDSA signature");
		}
		buf = raw;
		bl = 64;
	}
	*sig = buf;
	*siglen = bl;
	return CCAUTH_OK;
}

enum ccauth_status ccauth_token_assertion(const struct ccauth_client_conf *client, const char *token_endpoint,
                                          EVP_PKEY *pkey, int64_t now, char **out, struct ccauth_error *err)
{
	struct json_object *hdr = NULL, *cl = NULL;
	unsigned char jti[16], *sig = NULL;
	char jtis[CCAUTH_B64URL_ENCODED_LEN(16) + 1], *h64 = NULL, *c64 = NULL, *s64 = NULL;
	struct ccauth_sbuf b = {0};
	enum ccauth_status st;
	size_t siglen = 0;
	int alg = client->signing_alg;
	/* RFC 10070: aud is the issuer identifier alone, and the explicit type says so; the old form
	 * (aud = the endpoint, typ JWT) only where assertion_audience = token_endpoint */
	int rfc10070 = client->assertion_audience == CCAUTH_ASSERTION_AUD_ISSUER && client->issuer != NULL;

	*out = NULL;
	if (alg != CCAUTH_ALG_RS256 && alg != CCAUTH_ALG_PS256 && alg != CCAUTH_ALG_ES256 && alg != CCAUTH_ALG_EDDSA)
		return ccauth_error_set(err, CCAUTH_E_CONFIG,
		                        "private_key_jwt: signing_alg must be RS256, PS256, ES256 or EdDSA");
	if (!key_fits(pkey, alg))
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "private_key_jwt: the key in %.96s cannot sign %s",
		                        client->private_key_file != NULL ? client->private_key_file : "(memory)",
		                        ccauth_alg_name((enum ccauth_alg)alg));
	if (RAND_bytes(jti, sizeof(jti)) != 1)
		return ccauth_error_set(err, CCAUTH_E_INTERNAL, "private_key_jwt: no random bytes for jti");
	ccauth_b64url_encode(jti, sizeof(jti), jtis);

	hdr = json_object_new_object();
	cl = json_object_new_object();
	st = ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	if (hdr == NULL || cl == NULL)
		goto out;
	json_object_object_add(hdr, "alg", json_object_new_string(ccauth_alg_name((enum ccauth_alg)alg)));
	json_object_object_add(hdr, "typ", json_object_new_string(rfc10070 ? CLIENT_AUTH_TYP : "JWT"));
	if (client->key_id != NULL)
		json_object_object_add(hdr, "kid", json_object_new_string(client->key_id));
	json_object_object_add(cl, "iss", json_object_new_string(client->client_id));
	json_object_object_add(cl, "sub", json_object_new_string(client->client_id));
	json_object_object_add(cl, "aud", json_object_new_string(rfc10070 ? client->issuer : token_endpoint));
	json_object_object_add(cl, "jti", json_object_new_string(jtis));
	json_object_object_add(cl, "iat", json_object_new_int64(now));
	json_object_object_add(cl, "exp", json_object_new_int64(now + CCAUTH_TOKEN_ASSERTION_TTL));
	if ((h64 = json_b64(hdr)) == NULL || (c64 = json_b64(cl)) == NULL)
		goto out;
	ccauth_sbuf_str(&b, h64);
	ccauth_sbuf_add(&b, ".", 1);
	ccauth_sbuf_str(&b, c64);
	if (b.failed)
		goto out;
	if ((st = sign(pkey, alg, b.p, b.len, &sig, &siglen, err)) != CCAUTH_OK)
		goto out;
	st = ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	if ((s64 = b64url_of(sig, siglen)) == NULL)
		goto out;
	ccauth_sbuf_add(&b, ".", 1);
	ccauth_sbuf_str(&b, s64);
	if (b.failed)
		goto out;
	*out = b.p;
	b.p = NULL;
	st = CCAUTH_OK;
	if (err != NULL)
		ccauth_error_clear(err);
out:
	json_object_put(hdr);
	json_object_put(cl);
	free(h64);
	free(c64);
	free(s64);
	free(sig);
	ccauth_sbuf_wipe(&b);
	return st;
}

enum ccauth_status ccauth_client_read_secret(const char *path, char **out, size_t *outlen, struct ccauth_error *err)
{
	enum ccauth_status st =
	    ccauth_credfile_read_secret("client_secret_file", path, CCAUTH_TOKEN_SECRET_MAX, out, outlen, err);
	char *s = *out;
	size_t n = *outlen;

	if (st != CCAUTH_OK)
		return st;
	/* one trailing newline (as echo writes it) is not part of the secret */
	if (n > 0 && s[n - 1] == '\n') {
		s[--n] = '\0';
		if (n > 0 && s[n - 1] == '\r')
			s[--n] = '\0';
	}
	if (n == 0 || memchr(s, '\0', n) != NULL || memchr(s, '\n', n) != NULL) {
		ccauth_free_secret(s, CCAUTH_TOKEN_SECRET_MAX + 2);
		*out = NULL;
		*outlen = 0;
		return ccauth_error_set(err, CCAUTH_E_CONFIG,
		                        "client_secret_file %.96s is empty or holds a NUL or more than one line", path);
	}
	*outlen = n;
	return CCAUTH_OK;
}

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1; /* encrypted keys are refused: never prompt on a terminal */
}

enum ccauth_status ccauth_client_load_private_key(const char *path, EVP_PKEY **out, struct ccauth_error *err)
{
	enum ccauth_status st;
	char *pem = NULL;
	size_t len = 0;
	BIO *bio;

	*out = NULL;
	if ((st = ccauth_credfile_read_secret("private_key_file", path, CCAUTH_TOKEN_KEYFILE_MAX, &pem, &len, err)) !=
	    CCAUTH_OK)
		return st;
	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio != NULL)
		*out = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	ccauth_free_secret(pem, CCAUTH_TOKEN_KEYFILE_MAX + 2);
	if (*out == NULL)
		return ccauth_error_set(err, CCAUTH_E_CONFIG,
		                        "private_key_file %.96s: not an unencrypted PEM private key", path);
	return CCAUTH_OK;
}

/* ---- the credential's identity, for the cache key ---- */

/* SHA-256 of a credential file's content (at most CRED_HASH_MAX bytes). */
static enum ccauth_status hash_file(const struct ccauth_cred_file *f, unsigned char md[32], struct ccauth_error *err)
{
	unsigned char buf[4096];
	EVP_MD_CTX *ctx;
	enum ccauth_status st;
	size_t total = 0;
	int fd, ok, e = 0;

	if ((st = ccauth_credfile_open(f->what, f->path, f->secret, &fd, err)) != CCAUTH_OK)
		return st;
	ctx = EVP_MD_CTX_new();
	ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;
	while (ok) {
		ssize_t r = read(fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			e = errno;
			break;
		}
		if (r == 0)
			break;
		total += (size_t)r;
		if (total > CRED_HASH_MAX)
			break;
		ok = EVP_DigestUpdate(ctx, buf, (size_t)r) == 1;
	}
	ok = ok && e == 0 && total <= CRED_HASH_MAX && EVP_DigestFinal_ex(ctx, md, NULL) == 1;
	OPENSSL_cleanse(buf, sizeof(buf));
	EVP_MD_CTX_free(ctx);
	close(fd);
	if (ok)
		return CCAUTH_OK;
	if (e != 0)
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "%s %.96s cannot be read (errno %d)", f->what, f->path,
		                        e);
	if (total > CRED_HASH_MAX)
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "%s %.96s is longer than %d bytes", f->what, f->path,
		                        CRED_HASH_MAX);
	return ccauth_error_set(err, CCAUTH_E_INTERNAL, "cannot hash %s (OpenSSL failure)", f->what);
}

enum ccauth_status ccauth_token_credential_id(const struct ccauth_client_conf *client, unsigned char out[32],
                                              struct ccauth_error *err)
{
	static const char tag[] = "ccauth token credential 1\n";
	unsigned char in[sizeof(tag) - 1 + 1 + 2 * 32];
	struct ccauth_cred_file f[2];
	size_t n = ccauth_client_cred_files(client, f), len = sizeof(tag) - 1;
	enum ccauth_status st = CCAUTH_OK;

	memset(out, 0, 32);
	if (n == 0 && client->auth_method != CCAUTH_AUTH_CLIENT_ASSERTION && client->auth_method != CCAUTH_AUTH_NONE)
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "[client] has an unknown auth_method");
	memcpy(in, tag, len);
	in[len++] = (unsigned char)client->auth_method;
	for (size_t i = 0; i < n && st == CCAUTH_OK; i++, len += 32)
		st = hash_file(&f[i], in + len, err);
	/* a hash over fixed-size digests: no file's content can pose as another's */
	if (st == CCAUTH_OK && ccauth_sha256(in, len, out) != 0)
		st = ccauth_error_set(err, CCAUTH_E_INTERNAL, "cannot hash the credential (OpenSSL failure)");
	OPENSSL_cleanse(in, sizeof(in));
	return st;
}

/* ---- client authentication for other endpoints (introspection) ---- */

void ccauth_client_auth_clear(struct ccauth_client_auth *a)
{
	if (a == NULL)
		return;
	ccauth_free_secret_str(a->authorization);
	if (a->form != NULL)
		ccauth_free_secret(a->form, a->formcap);
	memset(a, 0, sizeof(*a));
}

enum ccauth_status ccauth_token_client_auth(const struct ccauth_client_conf *client, const char *endpoint, int64_t now,
                                            struct ccauth_client_auth *out, struct ccauth_error *err)
{
	struct ccauth_sbuf b = {0};
	char *secret = NULL, *assertion = NULL;
	size_t secretlen = 0;
	EVP_PKEY *pkey = NULL;
	enum ccauth_status st = CCAUTH_OK;

	memset(out, 0, sizeof(*out));
	if (client->client_id == NULL && client->auth_method != CCAUTH_AUTH_CLIENT_ASSERTION)
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "[client] has no client_id");
	switch (client->auth_method) {
	case CCAUTH_AUTH_CLIENT_SECRET_BASIC:
		if ((st = ccauth_client_read_secret(client->client_secret_file, &secret, &secretlen, err)) == CCAUTH_OK)
			st = ccauth_token_basic_auth(client->client_id, secret, secretlen, &out->authorization, err);
		break;
	case CCAUTH_AUTH_CLIENT_SECRET_POST:
		if ((st = ccauth_client_read_secret(client->client_secret_file, &secret, &secretlen, err)) != CCAUTH_OK)
			break;
		ccauth_sbuf_param(&b, "client_id", client->client_id, strlen(client->client_id));
		ccauth_sbuf_param(&b, "client_secret", secret, secretlen);
		break;
	case CCAUTH_AUTH_PRIVATE_KEY_JWT:
		if ((st = ccauth_client_load_private_key(client->private_key_file, &pkey, err)) != CCAUTH_OK ||
		    (st = ccauth_token_assertion(client, endpoint, pkey, now, &assertion, err)) != CCAUTH_OK)
			break;
		ccauth_sbuf_param(&b, "client_id", client->client_id, strlen(client->client_id));
		ccauth_sbuf_param(&b, "client_assertion_type", ASSERT_TYPE, sizeof(ASSERT_TYPE) - 1);
		ccauth_sbuf_param(&b, "client_assertion", assertion, strlen(assertion));
		break;
	case CCAUTH_AUTH_TLS_CLIENT_AUTH:
		if ((st = ccauth_credfile_check_secret(client->tls_key_file, err)) != CCAUTH_OK)
			break;
		out->cred.tls_cert_file = client->tls_cert_file;
		out->cred.tls_key_file = client->tls_key_file;
		ccauth_sbuf_param(&b, "client_id", client->client_id, strlen(client->client_id));
		break;
	case CCAUTH_AUTH_CLIENT_ASSERTION:
		if (client->client_assertion_file == NULL) {
			st = ccauth_error_set(err, CCAUTH_E_CONFIG,
			                      "[client %s]: only client_assertion_file can authenticate introspection",
			                      client->name);
			break;
		}
		if ((st = ccauth_assertion_read_file("client_assertion_file", client->client_assertion_file, now,
		                                     &assertion, NULL, err)) != CCAUTH_OK)
			break;
		if (client->client_id != NULL)
			ccauth_sbuf_param(&b, "client_id", client->client_id, strlen(client->client_id));
		if (client->client_assertion_type == CCAUTH_ASSERTION_JWT_SPIFFE)
			ccauth_sbuf_param(&b, "client_assertion_type", SPIFFE_TYPE, sizeof(SPIFFE_TYPE) - 1);
		else
			ccauth_sbuf_param(&b, "client_assertion_type", ASSERT_TYPE, sizeof(ASSERT_TYPE) - 1);
		ccauth_sbuf_param(&b, "client_assertion", assertion, strlen(assertion));
		break;
	case CCAUTH_AUTH_NONE:
	default:
		st = ccauth_error_set(err, CCAUTH_E_CONFIG,
		                      "[client %s] has no client authentication for introspection", client->name);
		break;
	}
	if (st == CCAUTH_OK && b.p == NULL && !b.failed)
		ccauth_sbuf_add(&b, "", 0); /* Basic: no parameters, but always a buffer */
	if (st == CCAUTH_OK && b.failed)
		st = ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	if (secret != NULL)
		ccauth_free_secret(secret, CCAUTH_TOKEN_SECRET_MAX + 2);
	ccauth_free_secret_str(assertion);
	EVP_PKEY_free(pkey);
	if (st != CCAUTH_OK) {
		ccauth_sbuf_wipe(&b);
		ccauth_client_auth_clear(out);
		return st;
	}
	out->form = b.p;
	out->formlen = b.len;
	out->formcap = b.cap;
	out->cred.authorization = out->authorization;
	return CCAUTH_OK;
}
