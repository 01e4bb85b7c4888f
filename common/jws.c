/* jws: JWS compact serialization (RFC 7515 §7.1): split, decode, verify.
 *
 * Parsing costs two JSON documents (header, payload) and no other allocation for ordinary
 * tokens: parts are decoded into a stack buffer and the signature into the struct. */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include "b64url.h"
#include "jws.h"
#include "verifyctx.h"

#define STACK_DECODE 4096 /* decoded header/payload up to this size need no malloc */

/* 1 for the base64url alphabet, 3 for '.', 0 for everything else: AND-ing the classes of a run
 * of bytes gives 0 exactly when one of them is neither. */
/* clang-format off */
static const unsigned char jwt_class[256] = {
	['-'] = 1, ['_'] = 1, ['.'] = 3,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1,
	['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1,
	['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1,
	['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1,
	['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};
/* clang-format on */

/* 1 when every byte of s[0..len) is a base64url character or '.' (branch-free, four at a time). */
static int jwt_chars_only(const unsigned char *s, size_t len)
{
	unsigned all = 1;
	size_t i = 0;

	for (; i + 4 <= len; i += 4)
		all &= (unsigned)(jwt_class[s[i]] & jwt_class[s[i + 1]] & jwt_class[s[i + 2]] & jwt_class[s[i + 3]]);
	for (; i < len; i++)
		all &= jwt_class[s[i]];
	return all != 0;
}

static int is_json_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int ccauth_jws_looks_like_jwt(const char *token, size_t len)
{
	if (token == NULL || len == 0 || len > CCAUTH_TOKEN_MAX || !jwt_chars_only((const unsigned char *)token, len))
		return 0;
	return ccauth_jws_looks_like_jwt_scanned(token, len);
}

int ccauth_jws_looks_like_jwt_scanned(const char *token, size_t len)
{
	const char *dot1, *dot2;
	unsigned char buf[48];
	size_t hlen, pos, outlen;

	if (token == NULL || len == 0 || len > CCAUTH_TOKEN_MAX)
		return 0;
	/* exactly two dots, the first not at the start */
	dot1 = memchr(token, '.', len);
	dot2 = dot1 != NULL ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
	if (dot2 == NULL || dot1 == token || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)) != NULL)
		return 0;
	hlen = (size_t)(dot1 - token);
	/* decode the header 64 characters at a time until the first non-blank byte */
	for (pos = 0; pos < hlen; pos += 64) {
		size_t chunk = hlen - pos > 64 ? 64 : hlen - pos;
		if (ccauth_b64url_decode(token + pos, chunk, buf, sizeof(buf), &outlen) != 0)
			return 0;
		for (size_t i = 0; i < outlen; i++)
			if (!is_json_ws(buf[i]))
				return buf[i] == '{';
	}
	return 0;
}

/* Decode one base64url part and parse it as a JSON object. */
static enum ccauth_status decode_object(const char *part, size_t len, const char *what, struct ccauth_json_doc **doc,
                                        const struct ccauth_json **obj, struct ccauth_error *err)
{
	unsigned char stackbuf[STACK_DECODE], *buf = stackbuf;
	size_t cap = CCAUTH_B64URL_DECODED_MAX(len), outlen = 0;
	enum ccauth_status st;

	if (cap > sizeof(stackbuf) && (buf = malloc(cap)) == NULL)
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	if (ccauth_b64url_decode(part, len, buf, cap, &outlen) != 0) {
		st = ccauth_error_set(err, CCAUTH_E_MALFORMED, "JWS %s is not valid base64url", what);
		goto out;
	}
	st = ccauth_json_parse((const char *)buf, outlen, CCAUTH_TOKEN_MAX, CCAUTH_JSON_MAX_DEPTH, doc, err);
	if (st == CCAUTH_E_MALFORMED)
		ccauth_error_set(err, st, "JWS %s is not valid JSON", what);
	if (st != CCAUTH_OK)
		goto out;
	*obj = ccauth_json_root(*doc);
	if (*obj == NULL || (*obj)->type != CCAUTH_JSON_OBJECT)
		st = ccauth_error_set(err, CCAUTH_E_MALFORMED, "JWS %s is not a JSON object", what);
out:
	if (buf != stackbuf)
		free(buf);
	return st;
}

static int is_none(const char *s, size_t len)
{
	static const char none[] = "none";

	if (len != 4)
		return 0;
	for (size_t i = 0; i < 4; i++)
		if ((s[i] | 0x20) != none[i])
			return 0;
	return 1;
}

static enum ccauth_status check_header(struct ccauth_jws *out, struct ccauth_error *err)
{
	const struct ccauth_json *h = out->header, *crit;
	const char *alg = NULL;
	size_t alglen = 0;
	int present = 0, a;

	if (ccauth_json_get_string(h, "alg", &alg, &alglen, &present) != CCAUTH_OK || !present)
		return ccauth_error_set(err, CCAUTH_E_ALGORITHM, "JWS header has no \"alg\" string");
	if (is_none(alg, alglen))
		return ccauth_error_set(err, CCAUTH_E_ALGORITHM, "JWS \"alg\" none is refused");
	if ((a = ccauth_alg_from_name(alg, alglen)) < 0) {
		if (alglen >= 2 && alg[0] == 'H' && alg[1] == 'S')
			return ccauth_error_set(err, CCAUTH_E_ALGORITHM, "JWS \"alg\" HMAC is refused");
		return ccauth_error_set(err, CCAUTH_E_ALGORITHM, "JWS \"alg\" is not supported");
	}
	out->alg = (enum ccauth_alg)a;
	/* We implement no extension (RFC 7515 §4.1.11), so any crit is one we do not understand. */
	if ((crit = ccauth_json_get(h, "crit")) != NULL) {
		int wellformed = crit->type == CCAUTH_JSON_ARRAY && crit->count > 0;
		for (const struct ccauth_json *c = wellformed ? crit->child : NULL; c != NULL; c = c->next)
			if (c->type != CCAUTH_JSON_STRING)
				wellformed = 0;
		return ccauth_error_set(err, CCAUTH_E_MALFORMED,
		                        wellformed ? "JWS \"crit\" names an extension we do not understand"
		                                   : "JWS \"crit\" is not a non-empty array of strings");
	}
	if (ccauth_json_get_string(h, "kid", &out->kid, &out->kidlen, NULL) != CCAUTH_OK)
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "JWS \"kid\" is not a string");
	if (ccauth_json_get_string(h, "typ", &out->typ, NULL, NULL) != CCAUTH_OK)
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "JWS \"typ\" is not a string");
	return CCAUTH_OK;
}

enum ccauth_status ccauth_jws_parse(const char *token, size_t len, struct ccauth_jws *out, struct ccauth_error *err)
{
	const char *dot1, *dot2, *sigpart;
	unsigned char sigbuf[CCAUTH_B64URL_DECODED_MAX(CCAUTH_B64URL_ENCODED_LEN(CCAUTH_JWS_SIG_MAX))];
	size_t siglen, sigplen;
	enum ccauth_status st;

	if (out == NULL)
		return ccauth_error_set(err, CCAUTH_E_INTERNAL, "no output");
	memset(out, 0, sizeof(*out));
	if (token == NULL || len == 0)
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "empty token");
	if (len > CCAUTH_TOKEN_MAX)
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "token longer than %d bytes", CCAUTH_TOKEN_MAX);
	dot1 = memchr(token, '.', len);
	dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
	if (dot2 == NULL || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)) != NULL)
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "JWS does not have exactly three parts");
	out->token = token;
	out->len = len;
	out->signing_input_len = (size_t)(dot2 - token);

	st = decode_object(token, (size_t)(dot1 - token), "header", &out->header_doc, &out->header, err);
	if (st == CCAUTH_OK)
		st = check_header(out, err);
	if (st == CCAUTH_OK)
		st = decode_object(dot1 + 1, (size_t)(dot2 - dot1 - 1), "payload", &out->payload_doc, &out->payload,
		                   err);
	if (st != CCAUTH_OK)
		goto fail;

	sigpart = dot2 + 1;
	sigplen = len - (size_t)(sigpart - token);
	if (sigplen == 0) {
		st = ccauth_error_set(err, CCAUTH_E_MALFORMED, "JWS signature is empty");
		goto fail;
	}
	if (sigplen > CCAUTH_B64URL_ENCODED_LEN(CCAUTH_JWS_SIG_MAX) ||
	    ccauth_b64url_decode(sigpart, sigplen, sigbuf, sizeof(sigbuf), &siglen) != 0 || siglen == 0 ||
	    siglen > CCAUTH_JWS_SIG_MAX) {
		st = ccauth_error_set(err, CCAUTH_E_MALFORMED, "JWS signature is not valid base64url of 1..%d bytes",
		                      CCAUTH_JWS_SIG_MAX);
		goto fail;
	}
	memcpy(out->sig, sigbuf, siglen);
	out->siglen = siglen;
	return CCAUTH_OK;
fail:
	ccauth_jws_clear(out);
	return st;
}

void ccauth_jws_clear(struct ccauth_jws *jws)
{
	if (jws == NULL)
		return;
	ccauth_json_free(jws->header_doc);
	ccauth_json_free(jws->payload_doc);
	memset(jws, 0, sizeof(*jws));
}

/* Append a DER INTEGER for the big-endian unsigned v[0..len) (leading zeros dropped); 0 if v is zero. */
static size_t der_int(unsigned char *p, const unsigned char *v, size_t len)
{
	size_t n = 0;

	while (len > 0 && v[0] == 0) {
		v++;
		len--;
	}
	if (len == 0)
		return 0;
	p[n++] = 0x02;
	p[n++] = (unsigned char)(len + (v[0] & 0x80 ? 1 : 0));
	if (v[0] & 0x80)
		p[n++] = 0x00;
	memcpy(p + n, v, len);
	return n + len;
}

/* Raw R||S (RFC 7518 §3.4) to a DER ECDSA-Sig-Value.  Integers are at most 67 bytes, so each
 * INTEGER has a short-form length; the SEQUENCE may need 0x81. */
static size_t ecdsa_raw_to_der(const unsigned char *sig, size_t half, unsigned char der[160])
{
	unsigned char body[2 * (3 + 66)];
	size_t r, s, n = 0;

	if ((r = der_int(body, sig, half)) == 0 || (s = der_int(body + r, sig + half, half)) == 0)
		return 0;
	der[n++] = 0x30;
	if (r + s >= 0x80)
		der[n++] = 0x81;
	der[n++] = (unsigned char)(r + s);
	memcpy(der + n, body, r + s);
	return n + r + s;
}

static enum ccauth_status do_verify(enum ccauth_alg alg, EVP_PKEY *pkey, const EVP_MD *md, const unsigned char *data,
                                    size_t datalen, const unsigned char *sig, size_t siglen, struct ccauth_error *err)
{
	unsigned char der[160];
	size_t half = 0, mdlen = 0;
	int id = EVP_PKEY_get_base_id(pkey), rc;
	const EVP_MD_CTX *tmpl;
	EVP_MD_CTX *ctx;

	switch (alg) {
	case CCAUTH_ALG_PS256:
	case CCAUTH_ALG_PS384:
	case CCAUTH_ALG_PS512:
	case CCAUTH_ALG_RS256:
	case CCAUTH_ALG_RS384:
	case CCAUTH_ALG_RS512:
		mdlen = alg == CCAUTH_ALG_RS256 || alg == CCAUTH_ALG_PS256   ? 32
		        : alg == CCAUTH_ALG_RS384 || alg == CCAUTH_ALG_PS384 ? 48
		                                                             : 64;
		if (id != EVP_PKEY_RSA || EVP_PKEY_get_bits(pkey) < 2048)
			return ccauth_error_set(err, CCAUTH_E_ALGORITHM, "key cannot verify %s", ccauth_alg_name(alg));
		/* RFC 8017 §8.2.2 step 1: the signature is exactly k octets */
		if ((int)siglen != EVP_PKEY_get_size(pkey))
			return ccauth_error_set(err, CCAUTH_E_SIGNATURE, "%s signature has the wrong length",
			                        ccauth_alg_name(alg));
		break;
	case CCAUTH_ALG_ES256:
	case CCAUTH_ALG_ES384:
	case CCAUTH_ALG_ES512:
		half = alg == CCAUTH_ALG_ES256 ? 32 : alg == CCAUTH_ALG_ES384 ? 48 : 66;
		mdlen = alg == CCAUTH_ALG_ES256 ? 32 : alg == CCAUTH_ALG_ES384 ? 48 : 64;
		if (id != EVP_PKEY_EC || EVP_PKEY_get_bits(pkey) != (alg == CCAUTH_ALG_ES512 ? 521 : (int)half * 8))
			return ccauth_error_set(err, CCAUTH_E_ALGORITHM, "key cannot verify %s", ccauth_alg_name(alg));
		if (siglen != 2 * half)
			return ccauth_error_set(err, CCAUTH_E_SIGNATURE, "%s signature is not %zu bytes of R||S",
			                        ccauth_alg_name(alg), 2 * half);
		siglen = ecdsa_raw_to_der(sig, half, der);
		if (siglen == 0)
			return ccauth_error_set(err, CCAUTH_E_SIGNATURE, "%s signature has a zero component",
			                        ccauth_alg_name(alg));
		sig = der;
		break;
	case CCAUTH_ALG_EDDSA:
		if (id == EVP_PKEY_ED25519)
			half = 32;
		else if (id == EVP_PKEY_ED448)
			half = 57;
		else
			return ccauth_error_set(err, CCAUTH_E_ALGORITHM, "key cannot verify EdDSA");
		if (siglen != 2 * half)
			return ccauth_error_set(err, CCAUTH_E_SIGNATURE, "EdDSA signature has the wrong length");
		md = NULL;
		break;
	default:
		return ccauth_error_set(err, CCAUTH_E_ALGORITHM, "unsupported algorithm");
	}
	if (alg != CCAUTH_ALG_EDDSA && (md == NULL || (size_t)EVP_MD_get_size(md) != mdlen))
		return ccauth_error_set(err, CCAUTH_E_INTERNAL, "no digest for %s", ccauth_alg_name(alg));

	tmpl = ccauth_verifyctx_get(pkey, alg, md);
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	rc = tmpl != NULL && EVP_MD_CTX_copy_ex(ctx, tmpl) == 1;
	if (!rc && tmpl != NULL) { /* start again from a clean context */
		EVP_MD_CTX_free(ctx);
		if ((ctx = EVP_MD_CTX_new()) == NULL)
			return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	}
	if (!rc && !ccauth_verifyctx_init(ctx, alg, pkey, md)) {
		EVP_MD_CTX_free(ctx);
		return ccauth_error_set(err, CCAUTH_E_INTERNAL, "cannot set up %s verification", ccauth_alg_name(alg));
	}
	rc = EVP_DigestVerify(ctx, sig, siglen, data, datalen);
	EVP_MD_CTX_free(ctx);
	if (rc != 1)
		return ccauth_error_set(err, CCAUTH_E_SIGNATURE, "%s signature does not verify", ccauth_alg_name(alg));
	return CCAUTH_OK;
}

enum ccauth_status ccauth_sig_verify(enum ccauth_alg alg, EVP_PKEY *pkey, const EVP_MD *md, const unsigned char *data,
                                     size_t datalen, const unsigned char *sig, size_t siglen, struct ccauth_error *err)
{
	enum ccauth_status st;

	if (pkey == NULL || (data == NULL && datalen > 0) || sig == NULL)
		return ccauth_error_set(err, CCAUTH_E_INTERNAL, "missing key, data or signature");
	/* keep OpenSSL's error queue as the caller left it: a bad signature is not an OpenSSL error */
	ERR_set_mark();
	st = do_verify(alg, pkey, md, data, datalen, sig, siglen, err);
	ERR_pop_to_mark();
	return st;
}

enum ccauth_status ccauth_jws_verify(const struct ccauth_jws *jws, const struct ccauth_jwks *set,
                                     const struct ccauth_jwk *key, struct ccauth_error *err)
{
	const EVP_MD *md = NULL;

	if (jws == NULL || key == NULL || jws->token == NULL)
		return ccauth_error_set(err, CCAUTH_E_INTERNAL, "nothing to verify");
	if (!ccauth_jwk_allows(key, jws->alg))
		return ccauth_error_set(err, CCAUTH_E_ALGORITHM, "key does not allow %s", ccauth_alg_name(jws->alg));
	if (jws->alg != CCAUTH_ALG_EDDSA && (md = ccauth_jwks_md(set, jws->alg)) == NULL)
		return ccauth_error_set(err, CCAUTH_E_INTERNAL, "no prefetched digest for %s",
		                        ccauth_alg_name(jws->alg));
	return ccauth_sig_verify(jws->alg, key->pkey, md, (const unsigned char *)jws->token, jws->signing_input_len,
	                         jws->sig, jws->siglen, err);
}
