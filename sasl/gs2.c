/* OAUTHBEARER (RFC 7628) and XOAUTH2 message codec.  The grammar and every choice beyond it are
 * written down in gs2.h; this file parses (ptr,len) input byte by byte and never echoes it. */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json_object.h>

#include "gs2.h"
#include "json.h"
#include "util.h"
#include "validate.h"

#define KVSEP           CCAUTH_GS2_KVSEP
#define BEARER          "Bearer"
#define BEARER_LEN      (sizeof(BEARER) - 1)
#define CHALLENGE_DEPTH 8

/* Where and why a parse failed; the wrapper turns it into the error struct. */
struct refusal {
	enum ccauth_gs2_reason reason;
	const char *what;
	size_t off;
};

static int refuse(struct refusal *r, enum ccauth_gs2_reason reason, const char *what, size_t off)
{
	r->reason = reason;
	r->what = what;
	r->off = off;
	return -1;
}

/* The grammar's character classes, computed at compile time by the same expressions a per-byte
 * test would use, so a scan costs one table load per byte.  A token (~1 KiB per bind) is scanned
 * once: the same pass finds the end of its value, checks the value grammar, and tells whether it is
 * a b64token and whether it is in the JWS alphabet; the validator is told, and scans no more. */
enum { C_ALPHA = 1, C_DIGIT = 2, C_B64 = 4, C_VALUE = 8, C_JWT = 16 };

#define ALPHA_(c) (((c) >= 'A' && (c) <= 'Z') || ((c) >= 'a' && (c) <= 'z'))
#define DIGIT_(c) ((c) >= '0' && (c) <= '9')
/* RFC 6750 b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
#define B64_(c)                                                                                                        \
	(ALPHA_(c) || DIGIT_(c) || (c) == '-' || (c) == '.' || (c) == '_' || (c) == '~' || (c) == '+' || (c) == '/')
/* RFC 7628 value = *(VCHAR / SP / HTAB / CR / LF) */
#define VALUE_(c) (((c) >= 0x21 && (c) <= 0x7e) || (c) == ' ' || (c) == '\t' || (c) == '\r' || (c) == '\n')
/* the compact JWS alphabet: base64url (RFC 7515 2) and the '.' between the parts */
#define JWT_(c) (ALPHA_(c) || DIGIT_(c) || (c) == '-' || (c) == '_' || (c) == '.')
#define CLS(c)                                                                                                         \
	((ALPHA_(c) ? C_ALPHA : 0) | (DIGIT_(c) ? C_DIGIT : 0) | (B64_(c) ? C_B64 : 0) | (VALUE_(c) ? C_VALUE : 0) |   \
	 (JWT_(c) ? C_JWT : 0))
#define ROW(b)                                                                                                         \
	CLS(b), CLS(b + 1), CLS(b + 2), CLS(b + 3), CLS(b + 4), CLS(b + 5), CLS(b + 6), CLS(b + 7), CLS(b + 8),        \
	    CLS(b + 9), CLS(b + 10), CLS(b + 11), CLS(b + 12), CLS(b + 13), CLS(b + 14), CLS(b + 15)

static const unsigned char char_class[256] = {ROW(0x00), ROW(0x10), ROW(0x20), ROW(0x30), ROW(0x40), ROW(0x50),
                                              ROW(0x60), ROW(0x70), ROW(0x80), ROW(0x90), ROW(0xa0), ROW(0xb0),
                                              ROW(0xc0), ROW(0xd0), ROW(0xe0), ROW(0xf0)};

static int is_alpha(unsigned char c)
{
	return (char_class[c] & C_ALPHA) != 0;
}

static int is_digit(unsigned char c)
{
	return (char_class[c] & C_DIGIT) != 0;
}

static int is_value_char(unsigned char c)
{
	return (char_class[c] & C_VALUE) != 0;
}

/* 1 when every byte of s[0..n) has class bit cls (branch-free, four at a time). */
static int all_of_class(const char *s, size_t n, unsigned cls)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned all = cls;
	size_t i = 0;

	for (; i + 4 <= n; i += 4)
		all &=
		    (unsigned)(char_class[u[i]] & char_class[u[i + 1]] & char_class[u[i + 2]] & char_class[u[i + 3]]);
	for (; i < n; i++)
		all &= char_class[u[i]];
	return (all & cls) != 0;
}

static int is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* Length of the well-formed UTF-8 sequence (RFC 3629: no overlongs, no surrogates, at most
 * U+10FFFF) starting a multi-byte character at p, or 0. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	size_t k;
	unsigned char lo = 0x80, hi = 0xbf;

	if (c >= 0xc2 && c <= 0xdf)
		k = 2;
	else if (c >= 0xe0 && c <= 0xef)
		k = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		k = 4;
	else
		return 0;
	if (n < k)
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < k; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return k;
}

/* Well-formed UTF-8; with controls_ok 0 also no control characters. */
static int text_ok(const char *s, size_t n, int controls_ok)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;

	while (i < n) {
		if (p[i] < 0x80) {
			if (!controls_ok && is_control(p[i]))
				return 0;
			i++;
			continue;
		}
		if ((k = utf8_seq(p + i, n - i)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

/* An identity string (authzid, XOAUTH2 user): non-empty UTF-8 without control characters. */
static int identity_ok(const char *s, size_t n)
{
	return n > 0 && text_ok(s, n, 0);
}

static int b64token_ok(const char *t, size_t n)
{
	/* 1*b64char *"=": without its trailing '='s, a non-empty run of b64token characters */
	while (n > 0 && t[n - 1] == '=')
		n--;
	return n > 0 && all_of_class(t, n, C_B64);
}

/* Length of "Bearer" (any case) 1*SP at the start of v[0..n), or 0 when it is not there. */
static size_t bearer_prefix(const char *v, size_t n)
{
	size_t i;

	if (n <= BEARER_LEN)
		return 0;
	for (i = 0; i < BEARER_LEN; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (c != (unsigned char)("bearer"[i]))
			return 0;
	}
	if (v[i] != ' ')
		return 0;
	while (i < n && v[i] == ' ')
		i++;
	return i;
}

/* Scan value characters from p: the offset of the first byte that is not one (the kvsep, a bad
 * byte, or len), and in *acc the AND of the classes of every byte scanned.  Four bytes per step,
 * byte by byte only for the last few. */
static size_t scan_value(const char *s, size_t p, size_t len, unsigned *acc)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned all = C_ALPHA | C_DIGIT | C_B64 | C_VALUE | C_JWT;

	for (; p + 4 <= len; p += 4) {
		unsigned a = char_class[u[p]] & char_class[u[p + 1]] & char_class[u[p + 2]] & char_class[u[p + 3]];
		if (!(a & C_VALUE))
			break;
		all &= a;
	}
	for (; p < len && (char_class[u[p]] & C_VALUE); p++)
		all &= char_class[u[p]];
	*acc = all;
	return p;
}

/* The auth value v[0..n) whose token part starts at t (after bearer_prefix; 0: no prefix) and
 * whose token bytes have the classes acc: "Bearer" 1*SP b64token or not (RFC 6750 2.1).  A
 * b64token tells the validator what the scan proved (validate.h CCAUTH_TOKEN_SCAN_*). */
static enum ccauth_gs2_cred classify_auth(const char *v, size_t n, size_t t, unsigned acc, const char **tok,
                                          size_t *toklen, unsigned *scan)
{
	size_t e = n;

	if (n == 0)
		return CCAUTH_GS2_CRED_EMPTY;
	if (t == 0 || t == n)
		return CCAUTH_GS2_CRED_MALFORMED;
	if (acc & C_B64) {
		*scan = CCAUTH_TOKEN_SCAN_CHARS | ((acc & C_JWT) ? CCAUTH_TOKEN_SCAN_JWT_CHARS : 0);
	} else {
		/* b64token = 1*b64char *"=": only trailing '=' may fall outside the class (a second,
		 * rare pass: padded tokens are opaque, never JWS) */
		while (e > t && v[e - 1] == '=')
			e--;
		if (e == t || e == n || !all_of_class(v + t, e - t, C_B64))
			return CCAUTH_GS2_CRED_MALFORMED;
		*scan = CCAUTH_TOKEN_SCAN_CHARS;
	}
	*tok = v + t;
	*toklen = n - t;
	return CCAUTH_GS2_CRED_BEARER;
}

/* port = 1*5DIGIT, 1..65535 */
static int port_ok(const char *v, size_t n, unsigned *port)
{
	unsigned val = 0;

	if (n == 0 || n > 5)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit((unsigned char)v[i]))
			return 0;
		val = val * 10 + (unsigned)(v[i] - '0');
	}
	if (val == 0 || val > 65535)
		return 0;
	*port = val;
	return 1;
}

/* saslname -> authzid.  0 ok, -1 invalid, -2 no memory. */
static int unescape_saslname(const char *p, size_t n, char **out)
{
	char *buf;
	size_t i = 0, j = 0;

	if (n == 0)
		return -1;
	buf = malloc(n + 1);
	if (buf == NULL)
		return -2;
	while (i < n) {
		if (p[i] == '=') {
			if (n - i < 3)
				goto bad;
			if (p[i + 1] == '2' && p[i + 2] == 'C')
				buf[j++] = ',';
			else if (p[i + 1] == '3' && p[i + 2] == 'D')
				buf[j++] = '=';
			else
				goto bad;
			i += 3;
		} else {
			buf[j++] = p[i++];
		}
	}
	buf[j] = '\0';
	/* checked after unescaping: the escapes only produce ',' and '=' */
	if (!identity_ok(buf, j))
		goto bad;
	*out = buf;
	return 0;
bad:
	free(buf);
	return -1;
}

static int msg_common_checks(const char *msg, size_t len, struct refusal *r)
{
	if (len > CCAUTH_GS2_MAX_MSG)
		return refuse(r, CCAUTH_GS2_R_TOO_LONG, "message too long", CCAUTH_GS2_MAX_MSG);
	if (len == 0 || msg == NULL)
		return refuse(r, CCAUTH_GS2_R_GRAMMAR, "empty message", 0);
	if (memchr(msg, '\0', len) != NULL)
		return refuse(r, CCAUTH_GS2_R_NUL, "NUL byte", (size_t)((const char *)memchr(msg, '\0', len) - msg));
	return 0;
}

/* gs2-header kvsep; returns the offset after it, or -1.  -2: no memory. */
static int parse_gs2_header(const char *msg, size_t len, size_t *pos, char **authzid, struct refusal *r)
{
	size_t p = 0;

	/* "y": the client could bind but thinks we cannot; right, we offer no -PLUS (RFC 5801 4) */
	if (msg[0] == 'p')
		return refuse(r, CCAUTH_GS2_R_CHANNEL_BINDING, "channel binding requested", 0);
	if (msg[0] != 'n' && msg[0] != 'y')
		return refuse(r, CCAUTH_GS2_R_GRAMMAR, "gs2-cb-flag expected", 0);
	if (len < 2 || msg[1] != ',')
		return refuse(r, CCAUTH_GS2_R_GRAMMAR, "',' expected", 1);
	p = 2;
	if (p < len && msg[p] == 'a') {
		size_t start;
		int rc;

		if (p + 1 >= len || msg[p + 1] != '=')
			return refuse(r, CCAUTH_GS2_R_GRAMMAR, "'a=' expected", p + 1);
		start = p += 2;
		while (p < len && msg[p] != ',' && msg[p] != KVSEP)
			p++;
		if (p >= len || msg[p] != ',')
			return refuse(r, CCAUTH_GS2_R_GRAMMAR, "',' after authzid expected", p);
		rc = unescape_saslname(msg + start, p - start, authzid);
		if (rc == -2)
			return -2;
		if (rc != 0)
			return refuse(r, CCAUTH_GS2_R_AUTHZID, "bad authzid", start);
	}
	if (p >= len || msg[p] != ',')
		return refuse(r, CCAUTH_GS2_R_GRAMMAR, "',' expected", p);
	p++;
	if (p >= len || msg[p] != KVSEP)
		return refuse(r, CCAUTH_GS2_R_GRAMMAR, "kvsep after gs2-header expected", p);
	*pos = p + 1;
	return 0;
}

static int keyis(const char *k, size_t klen, const char *name)
{
	return klen == strlen(name) && memcmp(k, name, klen) == 0;
}

static int parse_kvpairs(const char *msg, size_t len, size_t p, struct ccauth_oauthbearer_msg *out, struct refusal *r)
{
	int seen_auth = 0, seen_host = 0, seen_port = 0;

	for (;;) {
		size_t kstart = p, klen, vstart, vlen, tstart;
		unsigned acc;
		int is_auth;

		if (p >= len)
			return refuse(r, CCAUTH_GS2_R_GRAMMAR, "final kvsep missing", p);
		if (msg[p] == KVSEP) {
			if (p + 1 != len)
				return refuse(r, CCAUTH_GS2_R_GRAMMAR, "data after final kvsep", p + 1);
			break;
		}
		while (p < len && is_alpha((unsigned char)msg[p]))
			p++;
		if (p == kstart)
			return refuse(r, CCAUTH_GS2_R_KVPAIR, "key expected", p);
		if (p >= len || msg[p] != '=')
			return refuse(r, CCAUTH_GS2_R_KVPAIR, "bad key", p);
		klen = p - kstart;
		vstart = ++p;
		is_auth = keyis(msg + kstart, klen, "auth");
		/* the auth value's token part is scanned on its own, so the scan classifies the token */
		tstart = is_auth ? bearer_prefix(msg + vstart, len - vstart) : 0;
		p = scan_value(msg, vstart + tstart, len, &acc);
		if (p >= len)
			return refuse(r, CCAUTH_GS2_R_GRAMMAR, "kvsep missing", p);
		if (msg[p] != KVSEP)
			return refuse(r, CCAUTH_GS2_R_KVPAIR, "bad character in value", p);
		vlen = p - vstart;
		p++;

		if (is_auth) {
			if (seen_auth++)
				return refuse(r, CCAUTH_GS2_R_AUTH, "auth repeated", kstart);
			/* any other value is still a grammatical client response: the server answers it
			 * with the error challenge like an invalid token (RFC 7628 3.1, RFC 6750 3.1) */
			out->cred = classify_auth(msg + vstart, vlen, tstart, acc, &out->token, &out->token_len,
			                          &out->token_scan);
		} else if (keyis(msg + kstart, klen, "host")) {
			if (seen_host++)
				return refuse(r, CCAUTH_GS2_R_KVPAIR, "host repeated", kstart);
			if (vlen == 0)
				return refuse(r, CCAUTH_GS2_R_KVPAIR, "empty host", vstart);
			out->host = msg + vstart;
			out->host_len = vlen;
		} else if (keyis(msg + kstart, klen, "port")) {
			if (seen_port++)
				return refuse(r, CCAUTH_GS2_R_KVPAIR, "port repeated", kstart);
			if (!port_ok(msg + vstart, vlen, &out->port))
				return refuse(r, CCAUTH_GS2_R_KVPAIR, "bad port", vstart);
		}
		/* other keys: ignored (RFC 7628 3.1) */
	}
	if (!seen_auth)
		return refuse(r, CCAUTH_GS2_R_AUTH, "auth missing", p);
	return 0;
}

enum ccauth_status ccauth_gs2_parse_client(const char *msg, size_t len, struct ccauth_oauthbearer_msg *out,
                                           struct ccauth_error *err)
{
	struct refusal r = {CCAUTH_GS2_R_OK, NULL, 0};
	char *authzid = NULL;
	size_t p = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = msg_common_checks(msg, len, &r);
	if (rc == 0)
		rc = parse_gs2_header(msg, len, &p, &authzid, &r);
	if (rc == 0)
		rc = parse_kvpairs(msg, len, p, out, &r);
	if (rc == -2)
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "OAUTHBEARER: out of memory");
	if (rc != 0) {
		free(authzid);
		memset(out, 0, sizeof(*out));
		out->reason = r.reason;
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "OAUTHBEARER message refused: %s at byte %zu", r.what,
		                        r.off);
	}
	out->authzid = authzid;
	return CCAUTH_OK;
}

void ccauth_gs2_msg_clear(struct ccauth_oauthbearer_msg *m)
{
	if (m == NULL)
		return;
	free(m->authzid);
	memset(m, 0, sizeof(*m));
}

enum ccauth_status ccauth_gs2_parse_error_ack(const char *msg, size_t len, struct ccauth_error *err)
{
	if (msg == NULL || len != 1 || msg[0] != KVSEP)
		return ccauth_error_set(err, CCAUTH_E_MALFORMED,
		                        "OAUTHBEARER: client did not answer the error with kvsep");
	return CCAUTH_OK;
}

/* A bounded output buffer: sized up front, every append checked. */
struct obuf {
	char *p;
	size_t len, cap;
};

static void put(struct obuf *b, const char *s, size_t n)
{
	if (b->len + n > b->cap)
		return; /* cannot happen: cap is computed from the same inputs */
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void puts_(struct obuf *b, const char *s)
{
	put(b, s, strlen(s));
}

static enum ccauth_status finish(struct obuf *b, char **out, size_t *outlen, struct ccauth_error *err)
{
	if (b->len + 1 != b->cap) {
		ccauth_free_secret(b->p, b->cap);
		return ccauth_error_set(err, CCAUTH_E_INTERNAL, "SASL message size mismatch");
	}
	b->p[b->len] = '\0';
	*out = b->p;
	if (outlen != NULL)
		*outlen = b->len;
	return CCAUTH_OK;
}

enum ccauth_status ccauth_gs2_build_client(const char *authzid, const char *host, unsigned port, const char *token,
                                           size_t tlen, char **out, size_t *outlen, struct ccauth_error *err)
{
	struct obuf b = {NULL, 0, 0};
	size_t alen = 0, hlen = 0, escaped = 0;
	char portbuf[8];

	*out = NULL;
	if (outlen != NULL)
		*outlen = 0;
	if (authzid != NULL && *authzid != '\0') {
		alen = strlen(authzid);
		if (alen > CCAUTH_GS2_MAX_MSG || !identity_ok(authzid, alen))
			return ccauth_error_set(err, CCAUTH_E_MALFORMED,
			                        "OAUTHBEARER: authzid is not a valid identity");
		for (size_t i = 0; i < alen; i++)
			if (authzid[i] == ',' || authzid[i] == '=')
				escaped++;
	}
	if (host != NULL && *host != '\0') {
		hlen = strlen(host);
		if (hlen > CCAUTH_GS2_MAX_MSG)
			return ccauth_error_set(err, CCAUTH_E_MALFORMED, "OAUTHBEARER: host too long");
		for (size_t i = 0; i < hlen; i++)
			if (!is_value_char((unsigned char)host[i]))
				return ccauth_error_set(err, CCAUTH_E_MALFORMED, "OAUTHBEARER: bad character in host");
	}
	if (port > 65535)
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "OAUTHBEARER: bad port");
	if (token == NULL || tlen > CCAUTH_GS2_MAX_MSG || !b64token_ok(token, tlen))
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "OAUTHBEARER: token is not an RFC 6750 b64token");
	snprintf(portbuf, sizeof(portbuf), "%u", port);

	/* "n," ["a=" saslname] "," kvsep ["host=" H kvsep] ["port=" P kvsep] "auth=Bearer " T kvsep kvsep NUL */
	b.cap = 3 + (alen ? 2 + alen + 2 * escaped : 0) + 1 + (hlen ? 5 + hlen + 1 : 0) +
	        (port ? 5 + strlen(portbuf) + 1 : 0) + 5 + BEARER_LEN + 1 + tlen + 2 + 1;
	if (b.cap - 1 > CCAUTH_GS2_MAX_MSG)
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "OAUTHBEARER: message would exceed %d bytes",
		                        CCAUTH_GS2_MAX_MSG);
	if ((b.p = malloc(b.cap)) == NULL)
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "OAUTHBEARER: out of memory");
	puts_(&b, "n,");
	if (alen) {
		puts_(&b, "a=");
		for (size_t i = 0; i < alen; i++) {
			if (authzid[i] == ',')
				puts_(&b, "=2C");
			else if (authzid[i] == '=')
				puts_(&b, "=3D");
			else
				put(&b, authzid + i, 1);
		}
	}
	puts_(&b, ",\x01");
	if (hlen) {
		puts_(&b, "host=");
		put(&b, host, hlen);
		puts_(&b, "\x01");
	}
	if (port) {
		puts_(&b, "port=");
		puts_(&b, portbuf);
		puts_(&b, "\x01");
	}
	puts_(&b, "auth=" BEARER " ");
	put(&b, token, tlen);
	puts_(&b, "\x01\x01");
	return finish(&b, out, outlen, err);
}

static int add_str(struct json_object *obj, const char *key, const char *val)
{
	struct json_object *s;

	if (val == NULL)
		return 0;
	if ((s = json_object_new_string(val)) == NULL)
		return -1;
	if (json_object_object_add(obj, key, s) != 0) {
		json_object_put(s);
		return -1;
	}
	return 0;
}

/* Serialise members (key, value) pairs, NULL values omitted, with json-c's escaping. */
static enum ccauth_status build_json(const char *const *kv, size_t n, char **out, size_t *outlen,
                                     struct ccauth_error *err)
{
	struct json_object *obj;
	const char *text;
	size_t tl;
	enum ccauth_status st = CCAUTH_OK;

	*out = NULL;
	if (outlen != NULL)
		*outlen = 0;
	for (size_t i = 1; i < n; i += 2)
		if (kv[i] != NULL && (!text_ok(kv[i], strlen(kv[i]), 1) || strlen(kv[i]) > CCAUTH_GS2_MAX_CHALLENGE))
			return ccauth_error_set(err, CCAUTH_E_CONFIG, "SASL error challenge: %s is not short UTF-8",
			                        kv[i - 1]);
	if ((obj = json_object_new_object()) == NULL)
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "SASL error challenge: out of memory");
	for (size_t i = 0; i + 1 < n; i += 2)
		if (add_str(obj, kv[i], kv[i + 1]) != 0) {
			st = ccauth_error_set(err, CCAUTH_E_NOMEM, "SASL error challenge: out of memory");
			goto done;
		}
	text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (text == NULL) {
		st = ccauth_error_set(err, CCAUTH_E_NOMEM, "SASL error challenge: out of memory");
		goto done;
	}
	tl = strlen(text);
	if ((*out = malloc(tl + 1)) == NULL) {
		st = ccauth_error_set(err, CCAUTH_E_NOMEM, "SASL error challenge: out of memory");
		goto done;
	}
	memcpy(*out, text, tl + 1);
	if (outlen != NULL)
		*outlen = tl;
done:
	json_object_put(obj);
	return st;
}

enum ccauth_status ccauth_gs2_build_error(const char *status, const char *scope, const char *openid_configuration,
                                          char **out, size_t *outlen, struct ccauth_error *err)
{
	const char *kv[] = {"status", status, "scope", scope, "openid-configuration", openid_configuration};

	if (status == NULL || *status == '\0') {
		*out = NULL;
		return ccauth_error_set(err, CCAUTH_E_INTERNAL, "OAUTHBEARER error challenge without status");
	}
	return build_json(kv, sizeof(kv) / sizeof(kv[0]), out, outlen, err);
}

enum ccauth_status ccauth_xoauth2_build_error(const char *scope, char **out, size_t *outlen, struct ccauth_error *err)
{
	const char *kv[] = {"status", "401", "schemes", "bearer", "scope", scope};

	return build_json(kv, sizeof(kv) / sizeof(kv[0]), out, outlen, err);
}

static enum ccauth_status copy_member(const struct ccauth_json *root, const char *key, int required, char **dst,
                                      struct ccauth_error *err)
{
	const char *s = NULL;
	size_t n = 0;
	int present = 0;

	if (ccauth_json_get_string(root, key, &s, &n, &present) != CCAUTH_OK)
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "SASL error challenge: \"%s\" is not a string", key);
	if (!present)
		return required ? ccauth_error_set(err, CCAUTH_E_MALFORMED, "SASL error challenge: \"%s\" missing", key)
		                : CCAUTH_OK;
	if ((*dst = ccauth_strndup_checked(s, n)) == NULL)
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "SASL error challenge: out of memory");
	return CCAUTH_OK;
}

enum ccauth_status ccauth_gs2_parse_challenge(const char *msg, size_t len, struct ccauth_oauth_challenge *out,
                                              struct ccauth_error *err)
{
	struct ccauth_json_doc *doc = NULL;
	const struct ccauth_json *root;
	enum ccauth_status st;

	memset(out, 0, sizeof(*out));
	if (msg == NULL || len > CCAUTH_GS2_MAX_CHALLENGE)
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "SASL error challenge: longer than %d bytes",
		                        CCAUTH_GS2_MAX_CHALLENGE);
	st = ccauth_json_parse(msg, len, CCAUTH_GS2_MAX_CHALLENGE, CHALLENGE_DEPTH, &doc, err);
	if (st != CCAUTH_OK)
		return st;
	root = ccauth_json_root(doc);
	if (root == NULL || root->type != CCAUTH_JSON_OBJECT) {
		st = ccauth_error_set(err, CCAUTH_E_MALFORMED, "SASL error challenge: not a JSON object");
		goto done;
	}
	st = copy_member(root, "status", 1, &out->status, err);
	if (st == CCAUTH_OK)
		st = copy_member(root, "scope", 0, &out->scope, err);
	if (st == CCAUTH_OK)
		st = copy_member(root, "openid-configuration", 0, &out->openid_configuration, err);
done:
	ccauth_json_free(doc);
	if (st != CCAUTH_OK)
		ccauth_gs2_challenge_clear(out);
	return st;
}

void ccauth_gs2_challenge_clear(struct ccauth_oauth_challenge *c)
{
	if (c == NULL)
		return;
	free(c->status);
	free(c->scope);
	free(c->openid_configuration);
	memset(c, 0, sizeof(*c));
}

static int parse_xoauth2(const char *msg, size_t len, struct ccauth_xoauth2_msg *out, struct refusal *r)
{
	size_t p, ustart, vstart, tstart;
	unsigned acc;

	if (msg_common_checks(msg, len, r) != 0)
		return -1;
	if (len < 5 || memcmp(msg, "user=", 5) != 0)
		return refuse(r, CCAUTH_GS2_R_GRAMMAR, "'user=' expected", 0);
	ustart = p = 5;
	while (p < len && msg[p] != KVSEP)
		p++;
	if (p >= len)
		return refuse(r, CCAUTH_GS2_R_GRAMMAR, "kvsep after user missing", p);
	if (!identity_ok(msg + ustart, p - ustart))
		return refuse(r, CCAUTH_GS2_R_USER, "bad user", ustart);
	p++;
	if (len - p < 5 || memcmp(msg + p, "auth=", 5) != 0)
		return refuse(r, CCAUTH_GS2_R_GRAMMAR, "'auth=' expected", p);
	vstart = p += 5;
	tstart = bearer_prefix(msg + vstart, len - vstart);
	p = scan_value(msg, vstart + tstart, len, &acc);
	if (p >= len)
		return refuse(r, CCAUTH_GS2_R_GRAMMAR, "kvsep after auth missing", p);
	/* XOAUTH2 has no RFC to be lenient towards: anything but Bearer b64token is refused */
	if (msg[p] != KVSEP || classify_auth(msg + vstart, p - vstart, tstart, acc, &out->token, &out->token_len,
	                                     &out->token_scan) != CCAUTH_GS2_CRED_BEARER)
		return refuse(r, CCAUTH_GS2_R_AUTH, "auth is not Bearer b64token", vstart);
	p++;
	if (p >= len || msg[p] != KVSEP)
		return refuse(r, CCAUTH_GS2_R_GRAMMAR, "final kvsep missing", p);
	if (p + 1 != len)
		return refuse(r, CCAUTH_GS2_R_GRAMMAR, "data after final kvsep", p + 1);
	if ((out->user = ccauth_strndup_checked(msg + ustart, vstart - 6 - ustart)) == NULL)
		return -2;
	return 0;
}

enum ccauth_status ccauth_xoauth2_parse_client(const char *msg, size_t len, struct ccauth_xoauth2_msg *out,
                                               struct ccauth_error *err)
{
	struct refusal r = {CCAUTH_GS2_R_OK, NULL, 0};
	int rc;

	memset(out, 0, sizeof(*out));
	rc = parse_xoauth2(msg, len, out, &r);
	if (rc == 0)
		return CCAUTH_OK;
	memset(out, 0, sizeof(*out));
	if (rc == -2)
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "XOAUTH2: out of memory");
	out->reason = r.reason;
	return ccauth_error_set(err, CCAUTH_E_MALFORMED, "XOAUTH2 message refused: %s at byte %zu", r.what, r.off);
}

void ccauth_xoauth2_msg_clear(struct ccauth_xoauth2_msg *m)
{
	if (m == NULL)
		return;
	free(m->user);
	memset(m, 0, sizeof(*m));
}

enum ccauth_status ccauth_xoauth2_build_client(const char *user, const char *token, size_t tlen, char **out,
                                               size_t *outlen, struct ccauth_error *err)
{
	struct obuf b = {NULL, 0, 0};
	size_t ulen;

	*out = NULL;
	if (outlen != NULL)
		*outlen = 0;
	if (user == NULL || (ulen = strlen(user)) > CCAUTH_GS2_MAX_MSG || !identity_ok(user, ulen))
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "XOAUTH2: user is not a valid identity");
	if (token == NULL || tlen > CCAUTH_GS2_MAX_MSG || !b64token_ok(token, tlen))
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "XOAUTH2: token is not an RFC 6750 b64token");
	/* "user=" U kvsep "auth=Bearer " T kvsep kvsep NUL */
	b.cap = 5 + ulen + 1 + 5 + BEARER_LEN + 1 + tlen + 2 + 1;
	if (b.cap - 1 > CCAUTH_GS2_MAX_MSG)
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "XOAUTH2: message would exceed %d bytes",
		                        CCAUTH_GS2_MAX_MSG);
	if ((b.p = malloc(b.cap)) == NULL)
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "XOAUTH2: out of memory");
	puts_(&b, "user=");
	put(&b, user, ulen);
	puts_(&b, "\x01"
	          "auth=" BEARER " ");
	put(&b, token, tlen);
	puts_(&b, "\x01\x01");
	return finish(&b, out, outlen, err);
}
