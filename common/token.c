/* Client-credentials grant and token cache, see token.h. */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "b64url.h"
#include "config.h"
#include "jwk.h"
#include "jws.h"
#include "json.h"
#include "token.h"
#include "util.h"

#define MEM_MAX       64 /* tokens remembered in memory per context */
#define ASSERT_TYPE   "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#define ERRCODE_MAX   64
#define CRED_HASH_MAX (1024 * 1024) /* bytes of a credential file hashed for the cache key */

struct mem_entry {
	char keyhex[CCAUTH_CACHE_KEYHEX + 1];
	struct ccauth_token *tok; /* NULL: nothing cached */
	int fetching;             /* a thread is getting a new token for this key */
	int waiters;
	unsigned gen; /* bumped by invalidate: a fetch that began before it is not cached */
	struct mem_entry *next;
};

struct ccauth_tokens {
	const struct ccauth_config *cfg;
	const struct ccauth_log *log;
	struct ccauth_http *http;
	struct ccauth_discovery *disc;
	struct ccauth_cache *cache;
	int own_http, own_disc, own_cache;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct mem_entry *mem;
	size_t nmem;
};

/* ---- small helpers ---- */

void ccauth_token_free(struct ccauth_token *tok)
{
	if (tok == NULL)
		return;
	if (tok->access_token != NULL)
		ccauth_free_secret(tok->access_token, tok->len + 1);
	free(tok->scope);
	free(tok);
}

static struct ccauth_token *token_copy(const struct ccauth_token *src, int from)
{
	struct ccauth_token *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	*t = *src;
	t->access_token = ccauth_strndup_checked(src->access_token, src->len);
	t->scope = src->scope != NULL ? strdup(src->scope) : NULL;
	t->from = from;
	if (t->access_token == NULL || (src->scope != NULL && t->scope == NULL)) {
		ccauth_token_free(t);
		return NULL;
	}
	return t;
}

static uint32_t random_u32(void)
{
	unsigned char b[4];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return 0; /* no jitter rather than no token */
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* RFC 6749 scope: scope-tokens of %x21 / %x23-5B / %x5D-7E separated by spaces. */
static int scope_chars_ok(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c > 0x7e || c == '"' || c == '\\')
			return 0;
	}
	return 1;
}

/* ---- form encoding ---- */

/* A growing string that may hold secrets: never realloc'd (the old copy is wiped), every byte up
 * to cap is written before free, and allocation failure sticks. */
struct sbuf {
	char *p;
	size_t len, cap;
	int failed;
};

static void sb_wipe(struct sbuf *b)
{
	if (b->p != NULL)
		ccauth_free_secret(b->p, b->cap);
	memset(b, 0, sizeof(*b));
}

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (n > SIZE_MAX / 4 - b->len) {
		sb_wipe(b);
		b->failed = 1;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		size_t nc = b->cap < 256 ? 256 : b->cap;
		char *nb;

		while (nc < b->len + n + 1)
			nc *= 2;
		if ((nb = calloc(1, nc)) == NULL) {
			sb_wipe(b);
			b->failed = 1;
			return;
		}
		if (b->p != NULL)
			memcpy(nb, b->p, b->len);
		if (b->p != NULL)
			ccauth_free_secret(b->p, b->cap);
		b->p = nb;
		b->cap = nc;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void sb_enc(struct sbuf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n && !b->failed; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
		    c == '.' || c == '_' || c == '~') {
			sb_add(b, (const char *)&c, 1);
		} else {
			char e[3] = {'%', hex[c >> 4], hex[c & 0xf]};
			sb_add(b, e, 3);
		}
	}
}

int ccauth_token_form_append(char **buf, size_t *buflen, const char *s, size_t len)
{
	struct sbuf b = {0};

	if (*buf != NULL)
		sb_add(&b, *buf, *buflen);
	sb_enc(&b, s, len);
	if (!b.failed && b.p == NULL)
		sb_add(&b, "", 0);
	if (*buf != NULL)
		ccauth_free_secret(*buf, *buflen + 1);
	*buf = NULL;
	*buflen = 0;
	if (b.failed)
		return -1;
	/* the caller knows the size as len + 1: hand over an exact copy */
	if ((*buf = malloc(b.len + 1)) == NULL) {
		sb_wipe(&b);
		return -1;
	}
	memcpy(*buf, b.p, b.len + 1);
	*buflen = b.len;
	sb_wipe(&b);
	return 0;
}

enum ccauth_status ccauth_token_basic_auth(const char *client_id, const char *secret, size_t secretlen, char **out,
                                           struct ccauth_error *err)
{
	struct sbuf b = {0};
	char *hdr;
	size_t hl;

	*out = NULL;
	sb_enc(&b, client_id, strlen(client_id));
	sb_add(&b, ":", 1);
	sb_enc(&b, secret, secretlen);
	if (b.failed || b.len > SIZE_MAX / 2) {
		sb_wipe(&b);
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	}
	hl = 6 + CCAUTH_B64STD_ENCODED_LEN(b.len) + 1;
	if ((hdr = malloc(hl)) == NULL) {
		sb_wipe(&b);
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	}
	memcpy(hdr, "Basic ", 6);
	ccauth_b64std_encode((const unsigned char *)b.p, b.len, hdr + 6);
	sb_wipe(&b);
	*out = hdr;
	return CCAUTH_OK;
}

static void sb_param(struct sbuf *b, const char *name, const char *val, size_t vlen)
{
	if (b->len > 0)
		sb_add(b, "&", 1);
	sb_str(b, name);
	sb_add(b, "=", 1);
	sb_enc(b, val, vlen);
}

enum ccauth_status ccauth_token_form(const struct ccauth_client_conf *client, const char *secret, size_t secretlen,
                                     const char *assertion, char **out, size_t *outlen, struct ccauth_error *err)
{
	struct sbuf b = {0};

	*out = NULL;
	*outlen = 0;
	sb_param(&b, "grant_type", "client_credentials", 18);
	if (client->scope != NULL)
		sb_param(&b, "scope", client->scope, strlen(client->scope));
	if (client->audience != NULL)
		sb_param(&b, "audience", client->audience, strlen(client->audience));
	if (client->resource != NULL)
		sb_param(&b, "resource", client->resource, strlen(client->resource));
	switch (client->auth_method) {
	case CCAUTH_AUTH_CLIENT_SECRET_BASIC:
		break;
	case CCAUTH_AUTH_CLIENT_SECRET_POST:
		sb_param(&b, "client_id", client->client_id, strlen(client->client_id));
		if (secret == NULL) {
			sb_wipe(&b);
			return ccauth_error_set(err, CCAUTH_E_INTERNAL, "client_secret_post without a secret");
		}
		sb_param(&b, "client_secret", secret, secretlen);
		break;
	case CCAUTH_AUTH_PRIVATE_KEY_JWT:
		if (assertion == NULL) {
			sb_wipe(&b);
			return ccauth_error_set(err, CCAUTH_E_INTERNAL, "private_key_jwt without an assertion");
		}
		/* client_id is optional with an assertion (RFC 7521 §4.2) but some servers want it */
		sb_param(&b, "client_id", client->client_id, strlen(client->client_id));
		sb_param(&b, "client_assertion_type", ASSERT_TYPE, sizeof(ASSERT_TYPE) - 1);
		sb_param(&b, "client_assertion", assertion, strlen(assertion));
		break;
	case CCAUTH_AUTH_TLS_CLIENT_AUTH:
		sb_param(&b, "client_id", client->client_id, strlen(client->client_id));
		break;
	}
	if (b.failed) {
		sb_wipe(&b);
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	}
	/* the slack after len + 1 was never written (calloc), so wiping len + 1 bytes is enough */
	*out = b.p;
	*outlen = b.len;
	return CCAUTH_OK;
}

/* ---- cache key and timing ---- */

static void key_field(struct sbuf *b, const char *tag, const char *v)
{
	char num[32];

	sb_str(b, tag);
	if (v == NULL) {
		sb_add(b, "-\n", 2);
		return;
	}
	snprintf(num, sizeof(num), "%zu:", strlen(v));
	sb_str(b, num);
	sb_str(b, v);
	sb_add(b, "\n", 1);
}

/* The files that prove client's identity, in a fixed order: the secret (both client_secret
 * methods), the private key (private_key_jwt), or the certificate and its key (tls_client_auth). */
struct cred_file {
	const char *what, *path;
	int secret; /* checked like a secret file: private to root or us */
};

static size_t cred_files(const struct ccauth_client_conf *client, struct cred_file f[2])
{
	switch (client->auth_method) {
	case CCAUTH_AUTH_CLIENT_SECRET_BASIC:
	case CCAUTH_AUTH_CLIENT_SECRET_POST:
		f[0] = (struct cred_file){"client_secret_file", client->client_secret_file, 1};
		return 1;
	case CCAUTH_AUTH_PRIVATE_KEY_JWT:
		f[0] = (struct cred_file){"private_key_file", client->private_key_file, 1};
		return 1;
	case CCAUTH_AUTH_TLS_CLIENT_AUTH:
		f[0] = (struct cred_file){"tls_cert_file", client->tls_cert_file, 0};
		f[1] = (struct cred_file){"tls_key_file", client->tls_key_file, 1};
		return 2;
	}
	return 0;
}

static void build_key(struct sbuf *b, const char *token_endpoint, const struct ccauth_client_conf *client)
{
	static const char *const methods[] = {"client_secret_basic", "client_secret_post", "private_key_jwt",
	                                      "tls_client_auth"};
	struct cred_file f[2];
	size_t n = cred_files(client, f);

	sb_str(b, "token 2\n");
	key_field(b, "endpoint=", token_endpoint);
	key_field(b, "client_id=", client->client_id);
	key_field(b, "scope=", client->scope);
	key_field(b, "audience=", client->audience);
	key_field(b, "resource=", client->resource);
	key_field(b, "auth_method=",
	          (size_t)client->auth_method < sizeof(methods) / sizeof(methods[0]) ? methods[client->auth_method]
	                                                                             : NULL);
	for (size_t i = 0; i < n; i++) {
		sb_str(b, f[i].what);
		key_field(b, "=", f[i].path);
	}
}

char *ccauth_token_cache_key(const char *token_endpoint, const struct ccauth_client_conf *client, size_t *len)
{
	struct sbuf b = {0};

	build_key(&b, token_endpoint, client);
	if (b.failed)
		return NULL;
	*len = b.len;
	return b.p;
}

int64_t ccauth_token_usable_until(int64_t issued, int64_t expires)
{
	int64_t life = expires - issued, margin = life / 10;

	if (margin > CCAUTH_TOKEN_SAFETY)
		margin = CCAUTH_TOKEN_SAFETY;
	if (margin < 1)
		margin = 1;
	return expires - margin;
}

int64_t ccauth_token_refresh_time(int64_t issued, int64_t lifetime, double refresh_at, uint32_t rnd)
{
	int64_t r, jitter, until = ccauth_token_usable_until(issued, issued + lifetime);

	if (!(refresh_at > 0.0 && refresh_at <= 1.0))
		refresh_at = 0.8;
	r = issued + (int64_t)((double)lifetime * refresh_at);
	jitter = (int64_t)((double)lifetime * CCAUTH_TOKEN_JITTER);
	r -= (int64_t)(rnd % (uint64_t)(jitter + 1));
	if (r > until)
		r = until;
	if (r < issued)
		r = issued;
	return r;
}

/* ---- responses ---- */

enum ccauth_status ccauth_token_parse_response(const char *body, size_t len, int64_t now, double refresh_at,
                                               uint32_t rnd, const struct ccauth_log *log, struct ccauth_token **out,
                                               struct ccauth_error *err)
{
	struct ccauth_json_doc *doc = NULL;
	const struct ccauth_json *root;
	const char *at = NULL, *tt = NULL, *sc = NULL;
	size_t atlen = 0, ttlen = 0, sclen = 0;
	int64_t life = 0;
	int has_at = 0, has_tt = 0, has_sc = 0, has_exp = 0;
	struct ccauth_token *tok;
	struct ccauth_error jerr;
	enum ccauth_status st;

	*out = NULL;
	if (ccauth_json_parse(body, len, CCAUTH_HTTP_MAX_BODY, CCAUTH_JSON_MAX_DEPTH, &doc, &jerr) != CCAUTH_OK)
		return ccauth_error_set(err, CCAUTH_E_UNAVAILABLE, "token response: not strict JSON (%s)", jerr.msg);
	root = ccauth_json_root(doc);
	st = CCAUTH_E_UNAVAILABLE;
	if (root->type != CCAUTH_JSON_OBJECT) {
		ccauth_error_set(err, st, "token response: not a JSON object");
	} else if (ccauth_json_get_string(root, "access_token", &at, &atlen, &has_at) != CCAUTH_OK || !has_at) {
		ccauth_error_set(err, st, "token response: access_token missing or not a string");
	} else if (atlen == 0 || atlen > CCAUTH_TOKEN_MAX || !ccauth_token_chars_ok(at, atlen)) {
		ccauth_error_set(err, st, "token response: access_token empty, longer than %d or not printable",
		                 CCAUTH_TOKEN_MAX);
	} else if (ccauth_json_get_string(root, "token_type", &tt, &ttlen, &has_tt) != CCAUTH_OK || !has_tt) {
		ccauth_error_set(err, st, "token response: token_type missing or not a string");
	} else if (ttlen != 6 || strncasecmp(tt, "Bearer", 6) != 0) {
		ccauth_error_set(err, st, "token response: token_type is not Bearer");
	} else if (ccauth_json_get_int(root, "expires_in", 1, CCAUTH_TOKEN_MAX_LIFETIME, &life, &has_exp) !=
	           CCAUTH_OK) {
		ccauth_error_set(err, st, "token response: expires_in not an integer in 1..%d",
		                 CCAUTH_TOKEN_MAX_LIFETIME);
	} else if (ccauth_json_get_string(root, "scope", &sc, &sclen, &has_sc) != CCAUTH_OK ||
	           (has_sc && (sclen > CCAUTH_TOKEN_MAX || !scope_chars_ok(sc, sclen)))) {
		ccauth_error_set(err, st, "token response: scope not a valid scope string");
	} else {
		st = CCAUTH_OK;
	}
	if (st != CCAUTH_OK) {
		ccauth_json_free(doc);
		return st;
	}
	if (!has_exp) {
		life = CCAUTH_TOKEN_DEFAULT_LIFETIME;
		ccauth_log(log, LOG_DEBUG, "token response without expires_in: assuming %d s",
		           CCAUTH_TOKEN_DEFAULT_LIFETIME);
	}
	if ((tok = calloc(1, sizeof(*tok))) != NULL)
		tok->len = atlen; /* before any free: ccauth_token_free wipes len + 1 bytes */
	if (tok == NULL || (tok->access_token = ccauth_strndup_checked(at, atlen)) == NULL ||
	    (has_sc && (tok->scope = ccauth_strndup_checked(sc, sclen)) == NULL)) {
		ccauth_token_free(tok);
		ccauth_json_free(doc); /* the arena holds the token: json.c wipes its arena */
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	}
	ccauth_json_free(doc);
	tok->issued = now;
	tok->expires = now + life;
	tok->refresh = ccauth_token_refresh_time(now, life, refresh_at, rnd);
	tok->from = CCAUTH_TOKEN_FROM_NETWORK;
	*out = tok;
	return CCAUTH_OK;
}

/* Printable ASCII only, at most max characters ("..." appended when cut). */
static void sanitize(const char *in, size_t len, char *out, size_t max)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o < max; i++)
		out[o++] = (in[i] >= 0x20 && in[i] <= 0x7e) ? in[i] : '?';
	if (len > max) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

static int contains(const char *hay, size_t hl, const char *needle, size_t nl)
{
	return needle != NULL && nl > 0 && memmem(hay, hl, needle, nl) != NULL;
}

static int contains_any(const char *hay, size_t hl, const struct ccauth_avoid *avoid, size_t navoid)
{
	for (size_t i = 0; i < navoid; i++)
		if (contains(hay, hl, avoid[i].p, avoid[i].len))
			return 1;
	return 0;
}

enum ccauth_status ccauth_token_parse_error(long status, const char *body, size_t len, const char *avoid,
                                            size_t avoidlen, struct ccauth_error *err)
{
	struct ccauth_avoid a = {avoid, avoidlen};

	return ccauth_token_parse_error_avoiding(status, body, len, &a, 1, err);
}

enum ccauth_status ccauth_token_parse_error_avoiding(long status, const char *body, size_t len,
                                                     const struct ccauth_avoid *avoid, size_t navoid,
                                                     struct ccauth_error *err)
{
	struct ccauth_json_doc *doc = NULL;
	const struct ccauth_json *root;
	const char *code = NULL, *desc = NULL;
	size_t codelen = 0, desclen = 0;
	int has_code = 0, has_desc = 0;
	char c[ERRCODE_MAX + 4], d[CCAUTH_TOKEN_DESC_MAX + 4];

	if (body == NULL ||
	    ccauth_json_parse(body, len, CCAUTH_HTTP_MAX_BODY, CCAUTH_JSON_MAX_DEPTH, &doc, NULL) != CCAUTH_OK)
		return ccauth_error_set(err, CCAUTH_E_UNAVAILABLE, "AS answered HTTP %ld without a JSON error", status);
	root = ccauth_json_root(doc);
	if (root->type != CCAUTH_JSON_OBJECT ||
	    ccauth_json_get_string(root, "error", &code, &codelen, &has_code) != CCAUTH_OK || !has_code ||
	    codelen == 0) {
		ccauth_json_free(doc);
		return ccauth_error_set(err, CCAUTH_E_UNAVAILABLE, "AS answered HTTP %ld without an OAuth error code",
		                        status);
	}
	if (ccauth_json_get_string(root, "error_description", &desc, &desclen, &has_desc) != CCAUTH_OK)
		has_desc = 0;
	sanitize(code, codelen, c, ERRCODE_MAX);
	if (contains_any(code, codelen, avoid, navoid))
		ccauth_strlcpy(c, "(withheld)", sizeof(c));
	if (has_desc && desclen > 0) {
		sanitize(desc, desclen, d, CCAUTH_TOKEN_DESC_MAX);
		/* never repeat what we sent, even if the AS does */
		if (contains_any(desc, desclen, avoid, navoid) || contains_any(d, strlen(d), avoid, navoid))
			ccauth_strlcpy(d, "description withheld: it quotes our credentials", sizeof(d));
		ccauth_error_set(err, CCAUTH_E_DENIED, "AS refused: %s (%s)", c, d);
	} else {
		ccauth_error_set(err, CCAUTH_E_DENIED, "AS refused: %s (HTTP %ld)", c, status);
	}
	ccauth_json_free(doc);
	return CCAUTH_E_DENIED;
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
	struct sbuf b = {0};
	enum ccauth_status st;
	size_t siglen = 0;
	int alg = client->signing_alg;

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
	json_object_object_add(hdr, "typ", json_object_new_string("JWT"));
	if (client->key_id != NULL)
		json_object_object_add(hdr, "kid", json_object_new_string(client->key_id));
	json_object_object_add(cl, "iss", json_object_new_string(client->client_id));
	json_object_object_add(cl, "sub", json_object_new_string(client->client_id));
	json_object_object_add(cl, "aud", json_object_new_string(token_endpoint));
	json_object_object_add(cl, "jti", json_object_new_string(jtis));
	json_object_object_add(cl, "iat", json_object_new_int64(now));
	json_object_object_add(cl, "exp", json_object_new_int64(now + CCAUTH_TOKEN_ASSERTION_TTL));
	if ((h64 = json_b64(hdr)) == NULL || (c64 = json_b64(cl)) == NULL)
		goto out;
	sb_str(&b, h64);
	sb_add(&b, ".", 1);
	sb_str(&b, c64);
	if (b.failed)
		goto out;
	if ((st = sign(pkey, alg, b.p, b.len, &sig, &siglen, err)) != CCAUTH_OK)
		goto out;
	st = ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	if ((s64 = b64url_of(sig, siglen)) == NULL)
		goto out;
	sb_add(&b, ".", 1);
	sb_str(&b, s64);
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
	sb_wipe(&b);
	return st;
}

/* ---- secret and key files ---- */

/* Read a secret file (after the permission check) into a malloc'd, NUL-terminated buffer of at most
 * cap bytes; the buffer is cap + 2 bytes long (free with ccauth_free_secret(*out, cap + 2)). */
/* Open a credential file; a secret one after the permission check, and checked again on the open
 * file (it may have changed since the check). */
static enum ccauth_status open_credential(const char *what, const char *path, int secret, int *out,
                                          struct ccauth_error *err)
{
	enum ccauth_status st;
	struct stat sb;
	int fd;

	*out = -1;
	if (path == NULL || *path == '\0')
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "no %s configured", what);
	if (secret && (st = ccauth_config_check_secret_file(path, err)) != CCAUTH_OK)
		return st;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "%s %.96s cannot be opened (errno %d)", what, path,
		                        errno);
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "%s %.96s is not a regular file", what, path);
	}
	if (secret && ((sb.st_mode & 077) != 0 || (sb.st_uid != 0 && sb.st_uid != geteuid()))) {
		close(fd);
		return ccauth_error_set(err, CCAUTH_E_CONFIG,
		                        "%s %.96s is not a regular file private to root or the current user", what,
		                        path);
	}
	*out = fd;
	return CCAUTH_OK;
}

static enum ccauth_status read_secret_file(const char *what, const char *path, size_t cap, char **out, size_t *outlen,
                                           struct ccauth_error *err)
{
	enum ccauth_status st;
	size_t n = 0;
	char *buf;
	int fd;

	*out = NULL;
	*outlen = 0;
	if ((st = open_credential(what, path, 1, &fd, err)) != CCAUTH_OK)
		return st;
	if ((buf = malloc(cap + 2)) == NULL) {
		close(fd);
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	}
	while (n < cap + 1) {
		ssize_t r = read(fd, buf + n, cap + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			close(fd);
			ccauth_free_secret(buf, cap + 2);
			return ccauth_error_set(err, CCAUTH_E_CONFIG, "%s %.96s cannot be read (errno %d)", what, path,
			                        e);
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (n > cap) {
		ccauth_free_secret(buf, cap + 2);
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "%s %.96s is longer than %zu bytes", what, path, cap);
	}
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	return CCAUTH_OK;
}

static enum ccauth_status read_client_secret(const char *path, char **out, size_t *outlen, struct ccauth_error *err)
{
	enum ccauth_status st = read_secret_file("client_secret_file", path, CCAUTH_TOKEN_SECRET_MAX, out, outlen, err);
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

static enum ccauth_status load_private_key(const char *path, EVP_PKEY **out, struct ccauth_error *err)
{
	enum ccauth_status st;
	char *pem = NULL;
	size_t len = 0;
	BIO *bio;

	*out = NULL;
	if ((st = read_secret_file("private_key_file", path, CCAUTH_TOKEN_KEYFILE_MAX, &pem, &len, err)) != CCAUTH_OK)
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
static enum ccauth_status hash_file(const struct cred_file *f, unsigned char md[32], struct ccauth_error *err)
{
	unsigned char buf[4096];
	EVP_MD_CTX *ctx;
	enum ccauth_status st;
	size_t total = 0;
	int fd, ok, e = 0;

	if ((st = open_credential(f->what, f->path, f->secret, &fd, err)) != CCAUTH_OK)
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
	struct cred_file f[2];
	size_t n = cred_files(client, f), len = sizeof(tag) - 1;
	enum ccauth_status st = CCAUTH_OK;

	memset(out, 0, 32);
	if (n == 0)
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "[client] has an unknown auth_method");
	memcpy(in, tag, len);
	in[len++] = (unsigned char)client->auth_method;
	for (size_t i = 0; i < n && st == CCAUTH_OK; i++, len += 32)
		st = hash_file(&f[i], in + len, err);
	/* a hash over fixed-size digests: no file's content can pose as another's */
	if (st == CCAUTH_OK && EVP_Digest(in, len, out, NULL, EVP_sha256(), NULL) != 1)
		st = ccauth_error_set(err, CCAUTH_E_INTERNAL, "cannot hash the credential (OpenSSL failure)");
	OPENSSL_cleanse(in, sizeof(in));
	return st;
}

/* The key a token is cached under: ccauth_token_cache_key() and the credential id.  Wipe it
 * (ccauth_free_secret(*out, *outlen + 1)): it holds a hash of the secret. */
static enum ccauth_status full_key(const char *endpoint, const struct ccauth_client_conf *client, char **out,
                                   size_t *outlen, struct ccauth_error *err)
{
	unsigned char id[32];
	char idhex[2 * sizeof(id) + 1];
	struct sbuf b = {0};
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

/* ---- the request ---- */

static enum ccauth_status fetch(struct ccauth_tokens *t, const struct ccauth_client_conf *client, const char *endpoint,
                                const char *xsecret, size_t xsecretlen, int64_t now, struct ccauth_token **out,
                                struct ccauth_error *err)
{
	struct ccauth_http_cred cred = {0};
	struct ccauth_http_response resp = {0};
	char *secret = NULL, *auth = NULL, *assertion = NULL, *form = NULL, fpr[CCAUTH_FPR_HEXLEN + 1];
	const char *sec = xsecret;
	size_t secretlen = xsecretlen, formlen = 0;
	EVP_PKEY *pkey = NULL;
	enum ccauth_status st = CCAUTH_OK;

	*out = NULL;
	switch (client->auth_method) {
	case CCAUTH_AUTH_CLIENT_SECRET_BASIC:
	case CCAUTH_AUTH_CLIENT_SECRET_POST:
		if (sec == NULL) {
			if ((st = read_client_secret(client->client_secret_file, &secret, &secretlen, err)) !=
			    CCAUTH_OK)
				goto out;
			sec = secret;
		} else if (secretlen == 0 || secretlen > CCAUTH_TOKEN_SECRET_MAX) {
			st = ccauth_error_set(err, CCAUTH_E_CONFIG, "client secret empty or longer than %d bytes",
			                      CCAUTH_TOKEN_SECRET_MAX);
			goto out;
		}
		if (client->auth_method == CCAUTH_AUTH_CLIENT_SECRET_BASIC) {
			if ((st = ccauth_token_basic_auth(client->client_id, sec, secretlen, &auth, err)) != CCAUTH_OK)
				goto out;
			cred.authorization = auth;
			st = ccauth_token_form(client, NULL, 0, NULL, &form, &formlen, err);
		} else {
			st = ccauth_token_form(client, sec, secretlen, NULL, &form, &formlen, err);
		}
		break;
	case CCAUTH_AUTH_PRIVATE_KEY_JWT:
		if ((st = load_private_key(client->private_key_file, &pkey, err)) != CCAUTH_OK ||
		    (st = ccauth_token_assertion(client, endpoint, pkey, now, &assertion, err)) != CCAUTH_OK)
			goto out;
		st = ccauth_token_form(client, NULL, 0, assertion, &form, &formlen, err);
		break;
	case CCAUTH_AUTH_TLS_CLIENT_AUTH:
		if ((st = ccauth_config_check_secret_file(client->tls_key_file, err)) != CCAUTH_OK)
			goto out;
		cred.tls_cert_file = client->tls_cert_file;
		cred.tls_key_file = client->tls_key_file;
		st = ccauth_token_form(client, NULL, 0, NULL, &form, &formlen, err);
		break;
	default: /* config.c admits none, but never POST without client authentication */
		st = ccauth_error_set(err, CCAUTH_E_CONFIG, "[client %s]: unknown auth_method", client->name);
		break;
	}
	if (st != CCAUTH_OK)
		goto out;

	st = ccauth_http_post_form(t->http, endpoint, form, formlen, &cred, &resp, err);
	if (st == CCAUTH_OK) {
		st = ccauth_token_parse_response(resp.body, resp.len, now, client->refresh_at, random_u32(), t->log,
		                                 out, err);
		if (st == CCAUTH_OK) {
			ccauth_fingerprint((*out)->access_token, (*out)->len, fpr);
			ccauth_log(t->log, LOG_DEBUG, "token: client %s: new token %s from %s, lifetime %lld s",
			           client->name != NULL ? client->name : client->client_id, fpr, resp.host,
			           (long long)((*out)->expires - (*out)->issued));
		}
	} else if (st == CCAUTH_E_DENIED && resp.body != NULL) {
		/* never repeat what we sent, in any of the forms it travelled in */
		struct sbuf enc = {0};
		struct ccauth_avoid avoid[4] = {{0}};

		if (sec != NULL)
			sb_enc(&enc, sec, secretlen);
		avoid[0].p = sec;
		avoid[0].len = sec != NULL ? secretlen : 0;
		avoid[1].p = enc.p;
		avoid[1].len = enc.failed ? 0 : enc.len;
		avoid[2].p = auth != NULL ? auth + 6 : NULL; /* after "Basic " */
		avoid[2].len = auth != NULL ? strlen(auth + 6) : 0;
		avoid[3].p = assertion;
		avoid[3].len = assertion != NULL ? strlen(assertion) : 0;
		if (enc.failed)
			st = ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
		else
			st = ccauth_token_parse_error_avoiding(resp.status, resp.body, resp.len, avoid, 4, err);
		sb_wipe(&enc);
		if (st != CCAUTH_E_DENIED && st != CCAUTH_E_NOMEM)
			st = CCAUTH_E_UNAVAILABLE;
	} else if (st == CCAUTH_E_DENIED) {
		st = ccauth_error_set(err, CCAUTH_E_UNAVAILABLE, "AS answered HTTP %ld without a body", resp.status);
	}
out:
	ccauth_http_response_free(&resp);
	if (secret != NULL)
		ccauth_free_secret(secret, CCAUTH_TOKEN_SECRET_MAX + 2);
	ccauth_free_secret_str(auth);
	ccauth_free_secret_str(assertion);
	if (form != NULL)
		ccauth_free_secret(form, formlen + 1);
	EVP_PKEY_free(pkey);
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
	struct sbuf b = {0};
	char *secret = NULL, *assertion = NULL;
	size_t secretlen = 0;
	EVP_PKEY *pkey = NULL;
	enum ccauth_status st = CCAUTH_OK;

	memset(out, 0, sizeof(*out));
	if (client->client_id == NULL)
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "[client] has no client_id");
	switch (client->auth_method) {
	case CCAUTH_AUTH_CLIENT_SECRET_BASIC:
		if ((st = read_client_secret(client->client_secret_file, &secret, &secretlen, err)) == CCAUTH_OK)
			st = ccauth_token_basic_auth(client->client_id, secret, secretlen, &out->authorization, err);
		break;
	case CCAUTH_AUTH_CLIENT_SECRET_POST:
		if ((st = read_client_secret(client->client_secret_file, &secret, &secretlen, err)) != CCAUTH_OK)
			break;
		sb_param(&b, "client_id", client->client_id, strlen(client->client_id));
		sb_param(&b, "client_secret", secret, secretlen);
		break;
	case CCAUTH_AUTH_PRIVATE_KEY_JWT:
		if ((st = load_private_key(client->private_key_file, &pkey, err)) != CCAUTH_OK ||
		    (st = ccauth_token_assertion(client, endpoint, pkey, now, &assertion, err)) != CCAUTH_OK)
			break;
		sb_param(&b, "client_id", client->client_id, strlen(client->client_id));
		sb_param(&b, "client_assertion_type", ASSERT_TYPE, sizeof(ASSERT_TYPE) - 1);
		sb_param(&b, "client_assertion", assertion, strlen(assertion));
		break;
	case CCAUTH_AUTH_TLS_CLIENT_AUTH:
		if ((st = ccauth_config_check_secret_file(client->tls_key_file, err)) != CCAUTH_OK)
			break;
		out->cred.tls_cert_file = client->tls_cert_file;
		out->cred.tls_key_file = client->tls_key_file;
		sb_param(&b, "client_id", client->client_id, strlen(client->client_id));
		break;
	}
	if (st == CCAUTH_OK && b.p == NULL && !b.failed)
		sb_add(&b, "", 0); /* Basic: no parameters, but always a buffer */
	if (st == CCAUTH_OK && b.failed)
		st = ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	if (secret != NULL)
		ccauth_free_secret(secret, CCAUTH_TOKEN_SECRET_MAX + 2);
	ccauth_free_secret_str(assertion);
	EVP_PKEY_free(pkey);
	if (st != CCAUTH_OK) {
		sb_wipe(&b);
		ccauth_client_auth_clear(out);
		return st;
	}
	out->form = b.p;
	out->formlen = b.len;
	out->formcap = b.cap;
	out->cred.authorization = out->authorization;
	return CCAUTH_OK;
}

/* ---- disk entries: a small JSON object read back with the strict reader ---- */

static char *disk_encode(const struct ccauth_token *tok, size_t *len)
{
	struct sbuf b = {0};
	char num[96];

	snprintf(num, sizeof(num), "{\"v\":1,\"issued\":%lld,\"refresh\":%lld,\"expires\":%lld,",
	         (long long)tok->issued, (long long)tok->refresh, (long long)tok->expires);
	sb_str(&b, num);
	if (tok->scope != NULL) {
		/* scope_chars_ok() excluded '"' and '\\': nothing to escape */
		sb_str(&b, "\"scope\":\"");
		sb_str(&b, tok->scope);
		sb_str(&b, "\",");
	}
	sb_str(&b, "\"access_token\":\"");
	for (size_t i = 0; i < tok->len; i++) {
		if (tok->access_token[i] == '"' || tok->access_token[i] == '\\')
			sb_add(&b, "\\", 1);
		sb_add(&b, tok->access_token + i, 1);
	}
	sb_str(&b, "\"}");
	if (b.failed)
		return NULL;
	*len = b.len;
	return b.p; /* the caller wipes len + 1 bytes: the slack was never written (calloc) */
}

static struct ccauth_token *disk_decode(const char *data, size_t len)
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
	    ccauth_token_chars_ok(at, atlen) && (!has_sc || scope_chars_ok(sc, sclen)) &&
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

static struct ccauth_token *disk_load(struct ccauth_tokens *t, const char *key, size_t keylen)
{
	struct ccauth_cache_entry e;
	struct ccauth_token *tok = NULL;
	int found = 0;

	if (t->cache == NULL || ccauth_cache_get(t->cache, key, keylen, &e, &found, NULL) != CCAUTH_OK || !found)
		return NULL;
	tok = disk_decode(e.data, e.len);
	if (tok == NULL)
		ccauth_log(t->log, LOG_WARNING, "token cache: an entry in %s is malformed, ignored",
		           ccauth_cache_dir(t->cache));
	ccauth_cache_entry_free(&e);
	return tok;
}

static void disk_store(struct ccauth_tokens *t, const char *key, size_t keylen, const struct ccauth_token *tok)
{
	struct ccauth_error err = {0};
	size_t len = 0;
	char *data;

	if (t->cache == NULL)
		return;
	if ((data = disk_encode(tok, &len)) == NULL)
		return;
	if (ccauth_cache_put(t->cache, key, keylen, data, len, (time_t)tok->refresh,
	                     (time_t)ccauth_token_usable_until(tok->issued, tok->expires), &err) != CCAUTH_OK)
		ccauth_log(t->log, LOG_WARNING, "token cache: %s", err.msg);
	ccauth_free_secret(data, len + 1);
}

/* ---- context ---- */

enum ccauth_status ccauth_tokens_new(const struct ccauth_config *cfg, const struct ccauth_tokens_opts *opts,
                                     struct ccauth_tokens **out, struct ccauth_error *err)
{
	struct ccauth_tokens_opts none = {0};
	struct ccauth_http_opts hopts;
	struct ccauth_tokens *t;
	struct ccauth_error cerr = {0};
	enum ccauth_status st;

	*out = NULL;
	if (opts == NULL)
		opts = &none;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	if (pthread_mutex_init(&t->mu, NULL) != 0) {
		free(t);
		return ccauth_error_set(err, CCAUTH_E_INTERNAL, "mutex initialisation failed");
	}
	if (pthread_cond_init(&t->cv, NULL) != 0) {
		pthread_mutex_destroy(&t->mu);
		free(t);
		return ccauth_error_set(err, CCAUTH_E_INTERNAL, "condition variable initialisation failed");
	}
	t->cfg = cfg;
	t->log = opts->log;
	t->http = opts->http;
	if (t->http == NULL) {
		ccauth_http_opts_from_config(cfg, &hopts);
		if ((st = ccauth_http_new(&hopts, &t->http, err)) != CCAUTH_OK)
			goto fail;
		t->own_http = 1;
	}
	t->cache = opts->cache;
	if (t->cache == NULL && !opts->memory_only) {
		if (ccauth_cache_open(cfg->cache_dir, t->log, &t->cache, &cerr) != CCAUTH_OK) {
			if (cerr.code == CCAUTH_E_NOMEM) {
				st = ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
				goto fail;
			}
			ccauth_log(t->log, LOG_WARNING, "token cache: %s; tokens are kept in memory only", cerr.msg);
			t->cache = NULL;
		}
		t->own_cache = t->cache != NULL;
	}
	t->disc = opts->discovery;
	if (t->disc == NULL) {
		if ((st = ccauth_discovery_new(t->http, t->cache, t->log, cfg->jwks_max_stale, &t->disc, err)) !=
		    CCAUTH_OK)
			goto fail;
		t->own_disc = 1;
	}
	*out = t;
	return CCAUTH_OK;
fail:
	ccauth_tokens_free(t);
	return st;
}

void ccauth_tokens_free(struct ccauth_tokens *t)
{
	struct mem_entry *e, *n;

	if (t == NULL)
		return;
	for (e = t->mem; e != NULL; e = n) {
		n = e->next;
		ccauth_token_free(e->tok);
		free(e);
	}
	if (t->own_disc)
		ccauth_discovery_free(t->disc);
	if (t->own_cache)
		ccauth_cache_close(t->cache);
	if (t->own_http)
		ccauth_http_free(t->http);
	pthread_cond_destroy(&t->cv);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

static enum ccauth_status resolve_endpoint(struct ccauth_tokens *t, const struct ccauth_client_conf *client, char **out,
                                           struct ccauth_error *err)
{
	struct ccauth_metadata *md = NULL;
	enum ccauth_status st;

	*out = NULL;
	if (client->client_id == NULL)
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "[client] has no client_id");
	if (client->token_endpoint != NULL) {
		if ((*out = strdup(client->token_endpoint)) == NULL)
			return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
		return CCAUTH_OK;
	}
	if (client->issuer == NULL)
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "[client] needs issuer or token_endpoint");
	if ((st = ccauth_discovery_get(t->disc, client->issuer, &md, err)) != CCAUTH_OK)
		return st;
	if (md->token_endpoint == NULL) {
		ccauth_metadata_free(md);
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "the metadata of %.128s has no token_endpoint",
		                        client->issuer);
	}
	*out = strdup(md->token_endpoint);
	ccauth_metadata_free(md);
	return *out != NULL ? CCAUTH_OK : ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
}

/* Under t->mu. */
static struct mem_entry *mem_find(struct ccauth_tokens *t, const char *keyhex)
{
	for (struct mem_entry *e = t->mem; e != NULL; e = e->next)
		if (strcmp(e->keyhex, keyhex) == 0)
			return e;
	return NULL;
}

/* Under t->mu: find or add; NULL when memory is short (then no memory caching). */
static struct mem_entry *mem_get(struct ccauth_tokens *t, const char *keyhex)
{
	struct mem_entry *e = mem_find(t, keyhex), **pp, **victim = NULL;

	if (e != NULL)
		return e;
	if (t->nmem >= MEM_MAX) {
		for (pp = &t->mem; *pp != NULL; pp = &(*pp)->next)
			if (!(*pp)->fetching && (*pp)->waiters == 0)
				victim = pp;
		if (victim == NULL)
			return NULL;
		e = *victim;
		*victim = e->next;
		ccauth_token_free(e->tok);
		free(e);
		t->nmem--;
	}
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	memcpy(e->keyhex, keyhex, sizeof(e->keyhex));
	e->next = t->mem;
	t->mem = e;
	t->nmem++;
	return e;
}

static int usable(const struct ccauth_token *tok, int64_t now)
{
	return tok != NULL && now < ccauth_token_usable_until(tok->issued, tok->expires);
}

static int fresh(const struct ccauth_token *tok, int64_t now)
{
	return tok != NULL && now < tok->refresh && usable(tok, now);
}

/* Whole seconds of CLOCK_MONOTONIC: what a wait cost, added to the caller's `now` (which may be
 * injected by tests) so a token is never judged against the time before a long wait. */
static int64_t mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

/* Memory missed: disk, then the AS under the cross-process lock.  fallback (ours, may be NULL) is a
 * still-usable older token. */
static enum ccauth_status obtain(struct ccauth_tokens *t, const struct ccauth_client_conf *client, const char *endpoint,
                                 const char *key, size_t keylen, int64_t now, unsigned flags,
                                 struct ccauth_token *fallback, struct ccauth_token **out, struct ccauth_error *err)
{
	struct ccauth_cache_lock lk = {-1};
	struct ccauth_error lerr = {0};
	struct ccauth_token *tok = NULL;
	enum ccauth_status st;
	int force = (flags & CCAUTH_TOKEN_FORCE_NEW) != 0, locked;
	int64_t waited;

	if (!force) {
		tok = disk_load(t, key, keylen);
		if (fresh(tok, now))
			goto done;
		if (usable(tok, now) && !usable(fallback, now)) {
			ccauth_token_free(fallback);
			fallback = tok;
		} else {
			ccauth_token_free(tok);
		}
		tok = NULL;
	}
	waited = mono_s();
	locked = ccauth_cache_lock(t->cache, key, keylen, (t->cfg->timeout + 1) * 1000, &lk, &lerr) == CCAUTH_OK;
	now += mono_s() - waited;
	if (locked && !force && t->cache != NULL) {
		/* another process may have fetched while we waited */
		tok = disk_load(t, key, keylen);
		if (fresh(tok, now))
			goto done;
		ccauth_token_free(tok);
		tok = NULL;
	}
	if (!locked) {
		ccauth_log(t->log, LOG_NOTICE, "token: %s", lerr.msg);
		if (usable(fallback, now)) {
			tok = fallback;
			fallback = NULL;
			goto done;
		}
	}
	st = fetch(t, client, endpoint, NULL, 0, now, &tok, err);
	if (st == CCAUTH_OK) {
		disk_store(t, key, keylen, tok);
	} else if (st == CCAUTH_E_UNAVAILABLE && usable(fallback, now)) {
		ccauth_log(t->log, LOG_WARNING, "token: %s; using the cached token until it expires",
		           err != NULL ? err->msg : "AS unavailable");
		if (err != NULL)
			ccauth_error_clear(err);
		tok = fallback;
		fallback = NULL;
	} else {
		ccauth_cache_unlock(&lk);
		ccauth_token_free(fallback);
		return st;
	}
done:
	ccauth_cache_unlock(&lk);
	ccauth_token_free(fallback);
	*out = tok;
	return CCAUTH_OK;
}

static void deadline_after(struct timespec *ts, int seconds)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += seconds;
}

enum ccauth_status ccauth_token_get(struct ccauth_tokens *t, const struct ccauth_client_conf *client, int64_t now,
                                    unsigned flags, struct ccauth_token **out, struct ccauth_error *err)
{
	char keyhex[CCAUTH_CACHE_KEYHEX + 1], fpr[CCAUTH_FPR_HEXLEN + 1];
	struct ccauth_token *tok = NULL, *fallback = NULL;
	struct mem_entry *e;
	char *endpoint = NULL, *key = NULL;
	size_t keylen = 0;
	enum ccauth_status st;
	int force = (flags & CCAUTH_TOKEN_FORCE_NEW) != 0, claimed = 0;
	unsigned gen;

	*out = NULL;
	if ((st = resolve_endpoint(t, client, &endpoint, err)) != CCAUTH_OK)
		return st;
	if ((st = full_key(endpoint, client, &key, &keylen, err)) != CCAUTH_OK) {
		free(endpoint);
		return st;
	}
	ccauth_cache_key(key, keylen, keyhex);

	pthread_mutex_lock(&t->mu);
	e = mem_get(t, keyhex);
	if (e != NULL && !force) {
		struct timespec dl;
		int64_t waited = mono_s();

		deadline_after(&dl, t->cfg->timeout + 1);
		e->waiters++;
		while (e->fetching && !fresh(e->tok, now))
			if (pthread_cond_timedwait(&t->cv, &t->mu, &dl) != 0)
				break;
		e->waiters--;
		now += mono_s() - waited;
		if (fresh(e->tok, now) || (e->fetching && usable(e->tok, now)))
			tok = token_copy(e->tok, CCAUTH_TOKEN_FROM_MEMORY);
		else if (usable(e->tok, now))
			fallback = token_copy(e->tok, CCAUTH_TOKEN_FROM_MEMORY);
	}
	if (tok == NULL && e != NULL && !e->fetching)
		claimed = e->fetching = 1;
	gen = e != NULL ? e->gen : 0;
	pthread_mutex_unlock(&t->mu);

	if (tok == NULL)
		st = obtain(t, client, endpoint, key, keylen, now, flags, fallback, &tok, err);

	pthread_mutex_lock(&t->mu);
	e = mem_find(t, keyhex);
	if (st == CCAUTH_OK && tok->from != CCAUTH_TOKEN_FROM_MEMORY && e != NULL && e->gen == gen) {
		struct ccauth_token *copy = token_copy(tok, tok->from);
		if (copy != NULL) {
			ccauth_token_free(e->tok);
			e->tok = copy;
		}
	}
	if (claimed && e != NULL) {
		e->fetching = 0;
		pthread_cond_broadcast(&t->cv);
	}
	pthread_mutex_unlock(&t->mu);

	free(endpoint);
	ccauth_free_secret(key, keylen + 1);
	if (st != CCAUTH_OK) {
		ccauth_token_free(tok);
		return st;
	}
	if (tok == NULL)
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	ccauth_fingerprint(tok->access_token, tok->len, fpr);
	ccauth_log(t->log, LOG_DEBUG, "token: client %s: token %s from %s, expires in %lld s",
	           client->name != NULL ? client->name : client->client_id, fpr,
	           tok->from == CCAUTH_TOKEN_FROM_MEMORY ? "memory"
	           : tok->from == CCAUTH_TOKEN_FROM_DISK ? "disk"
	                                                 : "the AS",
	           (long long)(tok->expires - now));
	*out = tok;
	return CCAUTH_OK;
}

enum ccauth_status ccauth_token_get_with_secret(struct ccauth_tokens *t, const struct ccauth_client_conf *client,
                                                const char *secret, size_t secretlen, int64_t now,
                                                struct ccauth_token **out, struct ccauth_error *err)
{
	char *endpoint = NULL;
	enum ccauth_status st;

	*out = NULL;
	if (secret == NULL || (client->auth_method != CCAUTH_AUTH_CLIENT_SECRET_BASIC &&
	                       client->auth_method != CCAUTH_AUTH_CLIENT_SECRET_POST))
		return ccauth_error_set(err, CCAUTH_E_CONFIG,
		                        "an explicit secret needs client_secret_basic or client_secret_post");
	if ((st = resolve_endpoint(t, client, &endpoint, err)) != CCAUTH_OK)
		return st;
	st = fetch(t, client, endpoint, secret, secretlen, now, out, err);
	free(endpoint);
	return st;
}

enum ccauth_status ccauth_token_invalidate(struct ccauth_tokens *t, const struct ccauth_client_conf *client,
                                           struct ccauth_error *err)
{
	char keyhex[CCAUTH_CACHE_KEYHEX + 1];
	char *endpoint = NULL, *key;
	size_t keylen = 0;
	struct mem_entry *e;
	enum ccauth_status st;

	if ((st = resolve_endpoint(t, client, &endpoint, err)) != CCAUTH_OK)
		return st;
	st = full_key(endpoint, client, &key, &keylen, err);
	free(endpoint);
	if (st != CCAUTH_OK)
		return st;
	ccauth_cache_key(key, keylen, keyhex);
	pthread_mutex_lock(&t->mu);
	if ((e = mem_find(t, keyhex)) != NULL) {
		ccauth_token_free(e->tok);
		e->tok = NULL;
		e->gen++;
	}
	pthread_mutex_unlock(&t->mu);
	st = ccauth_cache_remove(t->cache, key, keylen, err);
	ccauth_free_secret(key, keylen + 1);
	return st;
}
