/* token_cache: the key a token is cached under, and its entry in the disk cache (a small JSON
 * object read back with the strict reader). */
#include "autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "client_auth.h"
#include "json.h"
#include "jws.h"
#include "sbuf.h"
#include "token_cache.h"
#include "util.h"

static void key_field(struct ccauth_sbuf *b, const char *tag, const char *v)
{
	char num[32];

	ccauth_sbuf_str(b, tag);
	if (v == NULL) {
		ccauth_sbuf_add(b, "-\n", 2);
		return;
	}
	snprintf(num, sizeof(num), "%zu:", strlen(v));
	ccauth_sbuf_str(b, num);
	ccauth_sbuf_str(b, v);
	ccauth_sbuf_add(b, "\n", 1);
}

static void build_key(struct ccauth_sbuf *b, const char *token_endpoint, const struct ccauth_client_conf *client)
{
	static const char *const methods[] = {"client_secret_basic", "client_secret_post", "private_key_jwt",
	                                      "tls_client_auth",     "client_assertion",   "none"};
	struct ccauth_cred_file f[2];
	size_t n = ccauth_client_cred_files(client, f);

	ccauth_sbuf_str(b, "token 2\n");
	key_field(b, "endpoint=", token_endpoint);
	key_field(b, "client_id=", client->client_id);
	key_field(b, "scope=", client->scope);
	key_field(b, "audience=", client->audience);
	key_field(b, "resource=", client->resource);
	key_field(b, "auth_method=",
	          (size_t)client->auth_method < sizeof(methods) / sizeof(methods[0]) ? methods[client->auth_method]
	                                                                             : NULL);
	for (size_t i = 0; i < n; i++) {
		ccauth_sbuf_str(b, f[i].what);
		key_field(b, "=", f[i].path);
	}
	/* the sources of federated assertions and subject tokens, never their content (fields only a
	 * section using them has, so the keys of every other section are unchanged) */
	if (client->auth_method == CCAUTH_AUTH_CLIENT_ASSERTION) {
		key_field(b, "client_assertion_type=",
		          client->client_assertion_type == CCAUTH_ASSERTION_JWT_SPIFFE ? "jwt-spiffe" : "jwt-bearer");
		key_field(b, "client_assertion_file=", client->client_assertion_file);
		key_field(b, "client_assertion_url=", client->client_assertion_url);
		key_field(b, "client_assertion_token_env=", client->client_assertion_token_env);
		key_field(b, "client_assertion_audience=", client->client_assertion_audience);
	}
	if (client->grant == CCAUTH_GRANT_TOKEN_EXCHANGE) {
		key_field(b, "grant=", "token_exchange");
		key_field(b, "subject_token_file=", client->subject_token_file);
		key_field(b, "subject_token_type=", ccauth_token_subject_type_urn(client->subject_token_type));
		key_field(b, "requested_token_type=", ccauth_token_requested_type(client));
	}
}

char *ccauth_token_cache_key(const char *token_endpoint, const struct ccauth_client_conf *client, size_t *len)
{
	struct ccauth_sbuf b = {0};

	build_key(&b, token_endpoint, client);
	if (b.failed)
		return NULL;
	*len = b.len;
	return b.p;
}

/* The key a token is cached under: ccauth_token_cache_key() and the credential id.  Wipe it
 * (ccauth_free_secret(*out, *outlen + 1)): it holds a hash of the secret. */
enum ccauth_status ccauth_token_cache_full_key(const char *endpoint, const struct ccauth_client_conf *client,
                                               char **out, size_t *outlen, struct ccauth_error *err)
{
	unsigned char id[32];
	char idhex[2 * sizeof(id) + 1];
	struct ccauth_sbuf b = {0};
	enum ccauth_status st;

	*out = NULL;
	*outlen = 0;
	if ((st = ccauth_token_credential_id(client, id, err)) != CCAUTH_OK)
		return st;
	ccauth_hex_encode(id, sizeof(id), idhex);
	build_key(&b, endpoint, client);
	key_field(&b, "credential=", idhex);
	OPENSSL_cleanse(id, sizeof(id));
	OPENSSL_cleanse(idhex, sizeof(idhex));
	if (b.failed)
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	*out = b.p;
	*outlen = b.len;
	return CCAUTH_OK;
}

/* ---- disk entries: a small JSON object read back with the strict reader ---- */

static char *disk_encode(const struct ccauth_token *tok, size_t *len)
{
	struct ccauth_sbuf b = {0};
	char num[96];

	snprintf(num, sizeof(num), "{\"v\":1,\"issued\":%lld,\"refresh\":%lld,\"expires\":%lld,",
	         (long long)tok->issued, (long long)tok->refresh, (long long)tok->expires);
	ccauth_sbuf_str(&b, num);
	if (tok->scope != NULL) {
		/* ccauth_token_scope_chars_ok() excluded '"' and '\\': nothing to escape */
		ccauth_sbuf_str(&b, "\"scope\":\"");
		ccauth_sbuf_str(&b, tok->scope);
		ccauth_sbuf_str(&b, "\",");
	}
	ccauth_sbuf_str(&b, "\"access_token\":\"");
	for (size_t i = 0; i < tok->len; i++) {
		if (tok->access_token[i] == '"' || tok->access_token[i] == '\\')
			ccauth_sbuf_add(&b, "\\", 1);
		ccauth_sbuf_add(&b, tok->access_token + i, 1);
	}
	ccauth_sbuf_str(&b, "\"}");
	if (b.failed)
		return NULL;
	*len = b.len;
	return b.p; /* the caller wipes len + 1 bytes: the slack was never written (calloc) */
}

struct ccauth_token *ccauth_token_disk_decode(const char *data, size_t len)
{
	struct ccauth_json_doc *doc = NULL;
	const struct ccauth_json *root;
	const char *at = NULL, *sc = NULL;
	size_t atlen = 0, sclen = 0;
	int64_t v = 0, issued = 0, refresh = 0, expires = 0;
	int has_v = 0, has_i = 0, has_r = 0, has_e = 0, has_at = 0, has_sc = 0;
	struct ccauth_token *tok = NULL;

	if (ccauth_json_parse(data, len, CCAUTH_TOKEN_MAX * 2 + 4096, 4, &doc, NULL) != CCAUTH_OK)
		return NULL;
	root = ccauth_json_root(doc);
	if (root->type == CCAUTH_JSON_OBJECT && ccauth_json_get_int(root, "v", 1, 1, &v, &has_v) == CCAUTH_OK &&
	    ccauth_json_get_int(root, "issued", 0, INT64_MAX / 2, &issued, &has_i) == CCAUTH_OK &&
	    ccauth_json_get_int(root, "refresh", 0, INT64_MAX / 2, &refresh, &has_r) == CCAUTH_OK &&
	    ccauth_json_get_int(root, "expires", 0, INT64_MAX / 2, &expires, &has_e) == CCAUTH_OK &&
	    ccauth_json_get_string(root, "access_token", &at, &atlen, &has_at) == CCAUTH_OK &&
	    ccauth_json_get_string(root, "scope", &sc, &sclen, &has_sc) == CCAUTH_OK && has_v && has_i && has_r &&
	    has_e && has_at && expires > issued && refresh >= issued && refresh <= expires &&
	    expires - issued <= CCAUTH_TOKEN_MAX_LIFETIME && atlen > 0 && atlen <= CCAUTH_TOKEN_MAX &&
	    ccauth_token_chars_ok(at, atlen) && (!has_sc || ccauth_token_scope_chars_ok(sc, sclen)) &&
	    (tok = calloc(1, sizeof(*tok))) != NULL) {
		tok->len = atlen; /* before any free: ccauth_token_free wipes len + 1 bytes */
		tok->access_token = ccauth_strndup_checked(at, atlen);
		tok->scope = has_sc ? ccauth_strndup_checked(sc, sclen) : NULL;
		if (tok->access_token == NULL || (has_sc && tok->scope == NULL)) {
			ccauth_token_free(tok);
			tok = NULL;
		} else {
			tok->issued = issued;
			tok->refresh = refresh;
			tok->expires = expires;
			tok->from = CCAUTH_TOKEN_FROM_DISK;
		}
	}
	ccauth_json_free(doc);
	return tok;
}

struct ccauth_token *ccauth_token_disk_load(struct ccauth_cache *cache, const struct ccauth_log *log, const char *key,
                                            size_t keylen)
{
	struct ccauth_cache_entry e;
	struct ccauth_token *tok = NULL;
	int found = 0;

	if (cache == NULL || ccauth_cache_get(cache, key, keylen, &e, &found, NULL) != CCAUTH_OK || !found)
		return NULL;
	tok = ccauth_token_disk_decode(e.data, e.len);
	if (tok == NULL)
		ccauth_log(log, LOG_WARNING, "token cache: an entry in %s is malformed, ignored",
		           ccauth_cache_dir(cache));
	ccauth_cache_entry_free(&e);
	return tok;
}

void ccauth_token_disk_store(struct ccauth_cache *cache, const struct ccauth_log *log, const char *key, size_t keylen,
                             const struct ccauth_token *tok)
{
	struct ccauth_error err = {0};
	size_t len = 0;
	char *data;

	if (cache == NULL)
		return;
	if ((data = disk_encode(tok, &len)) == NULL)
		return;
	if (ccauth_cache_put(cache, key, keylen, data, len, (time_t)tok->refresh,
	                     (time_t)ccauth_token_usable_until(tok->issued, tok->expires), &err) != CCAUTH_OK)
		ccauth_log(log, LOG_WARNING, "token cache: %s", err.msg);
	ccauth_free_secret(data, len + 1);
}

static char *failed_key(const char *key, size_t keylen, size_t *len)
{
	char *k = malloc(keylen + sizeof("\nfailed"));

	if (k != NULL) {
		memcpy(k, key, keylen);
		memcpy(k + keylen, "\nfailed", sizeof("\nfailed"));
		*len = keylen + sizeof("\nfailed") - 1;
	}
	return k;
}

int ccauth_token_disk_failed_since(struct ccauth_cache *cache, const char *key, size_t keylen, time_t since)
{
	size_t len = 0;
	char *k;
	int r;

	if (cache == NULL || (k = failed_key(key, keylen, &len)) == NULL)
		return 0;
	r = ccauth_cache_failed_since(cache, k, len, since);
	free(k);
	return r;
}

void ccauth_token_disk_mark_failed(struct ccauth_cache *cache, const struct ccauth_log *log, const char *key,
                                   size_t keylen)
{
	size_t len = 0;
	char *k;

	if (cache == NULL || (k = failed_key(key, keylen, &len)) == NULL)
		return;
	ccauth_cache_mark_failed(cache, k, len, log);
	free(k);
}
