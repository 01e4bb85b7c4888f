/* Hostile tokens against ccauth_validate: one table, one exact enum ccauth_status per row, checked
 * against the order in briefs/validation-order.md.  Every row also checks that no identity comes
 * back on a rejection and that the error message does not echo the token.  Positive controls (one
 * per algorithm) live in the same table so a verifier that rejects everything cannot pass.
 *
 * Tokens are minted with tests/testutil.c (EVP directly, independent of common/jws.c).  Time is a
 * fixed NOW passed to ccauth_validate, never the wall clock. */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "config.h"
#include "error.h"
#include "jws.h"
#include "testutil.h"
#include "validate.h"

#define NOW INT64_C(1700000000)

/* ---- the claims every row starts from ---------------------------------------------------- */

/* A restricts by audience, C by client (every issuer must: RFC 9700 section 2.3) */
#define ISS_A        "\"iss\":\"https://as.example.test/a\",\"aud\":\"urn:test:a\""
#define ISS_B        "\"iss\":\"https://as.example.test/b\""
#define ISS_C        "\"iss\":\"https://as.example.test/c\""
#define SUBJ         ",\"sub\":\"svc-app\",\"client_id\":\"svc-app\",\"jti\":\"j-1\""
#define TIMES        ",\"iat\":$IAT,\"exp\":$EXP"
#define BASE         SUBJ TIMES
#define PA           "{" ISS_A BASE "}"
#define PA_EXP(x)    "{" ISS_A SUBJ ",\"iat\":$IAT,\"exp\":" x "}"
#define PA_WITH(x)   "{" ISS_A BASE "," x "}"
#define PA_CLIENT(x) "{" ISS_A ",\"sub\":\"svc-sub\",\"client_id\":" x ",\"jti\":\"j-1\"" TIMES "}"
#define PB_WITH(x)   "{" ISS_B BASE "," x "}"
#define PB_AUD(x)    PB_WITH("\"aud\":" x ",\"scope\":\"ldap.read\"")
#define PB_SCOPE(x)  PB_WITH("\"aud\":\"urn:test:rs\",\"scope\":" x)
#define PB           PB_AUD("\"urn:test:rs\"")
#define PC           "{" ISS_C BASE "}"
#define P_ISS(x)     "{\"iss\":" x BASE "}"

#define HDR(alg, kid) "{\"alg\":\"" alg "\",\"kid\":\"" kid "\"}"
#define H_RS          HDR("RS256", "rsa-1")
#define H_ES          HDR("ES256", "ec-1")
#define H_ED          HDR("EdDSA", "ed-1")
#define H_C(typ)      "{\"alg\":\"RS256\",\"kid\":\"rsa-1\",\"typ\":" typ "}"

#define USER "svc-app"

/* How a row's token is built after minting "b64(header).b64(payload).sig". */
enum mut {
	M_NONE,
	M_UNSIGNED_EMPTY,  /* no key: b64(h).b64(p). */
	M_UNSIGNED_JUNK,   /* no key: b64(h).b64(p).b64("junk") */
	M_UNSIGNED_RSASIG, /* no key: b64(h).b64(p) + an RS256 signature over that input by rsa-1 */
	M_HS_PEM,          /* no key: HMAC-SHA256 keyed with rsa-1's public PEM (RS/HS confusion) */
	M_HS_JWK,          /* no key: HMAC-SHA256 keyed with rsa-1's public JWK text */
	M_HS_N,            /* no key: HMAC-SHA256 keyed with rsa-1's raw modulus */
	M_PSS_SALTMAX,     /* PS256 by rsa-1 with the maximum salt length instead of the digest length */
	M_SIG_DER,         /* ES*: the raw R||S re-encoded as DER */
	M_SIG_ZERO,        /* same length, all zero */
	M_SIG_FF,          /* same length, all 0xff */
	M_SIG_R_ZERO,      /* ES*: R = 0, S kept */
	M_SIG_TRUNC,       /* one byte shorter */
	M_SIG_EXTEND,      /* one byte (0x00) appended */
	M_SIG_PREPEND0,    /* 0x00 prepended */
	M_SIG_FLIP,        /* one bit flipped in the middle */
	M_SIG_EMPTY,       /* signature part removed, dot kept */
	M_SWAP_PAYLOAD,    /* payload part of a second valid token by the same key */
	M_SWAP_HEADER,     /* header part of a second valid token by the same key (other kid-free header) */
	M_TWO_PARTS,       /* header.payload */
	M_FOUR_PARTS,      /* header.payload.sig.sig */
	M_FIVE_PARTS,      /* JWE-shaped: header.payload.sig.sig.sig */
	M_EMPTY,           /* len 0 */
	M_DOTS,            /* ".." */
	M_OPAQUE,          /* a random-looking opaque token */
	M_PAD_HEADER,      /* '=' appended to the header part */
	M_PAD_PAYLOAD,     /* '=' appended to the payload part */
	M_PAD_SIG,         /* standard '=' padding on the signature part */
	M_STD_ALPHABET,    /* '-' -> '+', '_' -> '/' throughout */
	M_NEWLINE,         /* '\n' after the first dot */
	M_CRLF_END,        /* "\r\n" appended */
	M_SPACE_END,       /* ' ' appended */
	M_TAB_MID,         /* '\t' inside the payload part */
	M_NUL_MID,         /* '\0' inside the payload part, counted in len */
	M_NUL_END,         /* the terminating '\0' counted in len */
	M_OVER_MAX,        /* signature part padded so the token is CCAUTH_TOKEN_MAX + 1 bytes */
	M_HEADER_GARBAGE,  /* header part not base64url at all */
};

struct row {
	const char *name;
	const char *key; /* which key signs; NULL: the mutation builds the token */
	const char *alg;
	const char *hdr; /* raw JSON (with $VARS) */
	const char *pay;
	enum mut mut;
	enum ccauth_status want;
	const char *user; /* expected user when want == CCAUTH_OK */
};

/* clang-format off */
static const struct row rows[] = {
	/* ---- positive controls: every algorithm the keys support ---- */
	{"ok RS256", "rsa", "RS256", H_RS, PA, M_NONE, CCAUTH_OK, USER},
	{"ok RS384", "rsa", "RS384", HDR("RS384", "rsa-1"), PA, M_NONE, CCAUTH_OK, USER},
	{"ok RS512", "rsa", "RS512", HDR("RS512", "rsa-1"), PA, M_NONE, CCAUTH_OK, USER},
	{"ok PS256", "rsa", "PS256", HDR("PS256", "rsa-1"), PA, M_NONE, CCAUTH_OK, USER},
	{"ok PS384", "rsa", "PS384", HDR("PS384", "rsa-1"), PA, M_NONE, CCAUTH_OK, USER},
	{"ok PS512", "rsa", "PS512", HDR("PS512", "rsa-1"), PA, M_NONE, CCAUTH_OK, USER},
	{"ok ES256", "ec", "ES256", H_ES, PA, M_NONE, CCAUTH_OK, USER},
	{"ok ES384", "ec384", "ES384", HDR("ES384", "ec384-1"), PA, M_NONE, CCAUTH_OK, USER},
	{"ok ES512", "ec521", "ES512", HDR("ES512", "ec521-1"), PA, M_NONE, CCAUTH_OK, USER},
	{"ok EdDSA", "ed", "EdDSA", H_ED, PA, M_NONE, CCAUTH_OK, USER},
	{"ok RS256 no kid (one RSA key allows RS256)", "rsa", "RS256", "{\"alg\":\"RS256\"}", PA, M_NONE, CCAUTH_OK, USER},
	{"ok ES384 no kid (one P-384 key)", "ec384", "ES384", "{\"alg\":\"ES384\"}", PA, M_NONE, CCAUTH_OK, USER},
	{"ok PS256 by the PS256-pinned key", "rsapin", "PS256", HDR("PS256", "rsa-pin"), PA, M_NONE, CCAUTH_OK, USER},
	{"ok typ JWT ignored when not strict", "rsa", "RS256", "{\"alg\":\"RS256\",\"kid\":\"rsa-1\",\"typ\":\"JWT\"}", PA, M_NONE, CCAUTH_OK, USER},
	{"ok jku present but ignored (signed by the trusted key)", "rsa", "RS256", "{\"alg\":\"RS256\",\"kid\":\"rsa-1\",\"jku\":\"https://attacker.test/jwks\"}", PA, M_NONE, CCAUTH_OK, USER},
	{"ok B aud string, scope", "rsa", "RS256", H_RS, PB, M_NONE, CCAUTH_OK, USER},
	{"ok B aud array holding it", "rsa", "RS256", H_RS, PB_AUD("[\"urn:other\",\"urn:test:rs\"]"), M_NONE, CCAUTH_OK, USER},
	{"ok B scope among others", "rsa", "RS256", H_RS, PB_SCOPE("\"openid ldap.write ldap.read\""), M_NONE, CCAUTH_OK, USER},
	{"ok C typ at+jwt", "rsa", "RS256", H_C("\"at+jwt\""), PC, M_NONE, CCAUTH_OK, USER},
	{"ok C typ application/at+jwt", "rsa", "RS256", H_C("\"application/at+jwt\""), PC, M_NONE, CCAUTH_OK, USER},
	{"ok C typ AT+JWT (case-insensitive)", "rsa", "RS256", H_C("\"AT+JWT\""), PC, M_NONE, CCAUTH_OK, USER},
	{"ok exp = now - skew (boundary)", "rsa", "RS256", H_RS, PA_EXP("$M60"), M_NONE, CCAUTH_OK, USER},
	{"ok exp at the top of the range", "rsa", "RS256", H_RS, PA_EXP("253402300799"), M_NONE, CCAUTH_OK, USER},
	{"ok nbf = now + skew (boundary)", "rsa", "RS256", H_RS, PA_WITH("\"nbf\":$P60"), M_NONE, CCAUTH_OK, USER},
	{"ok client_id of 256 chars", "rsa", "RS256", H_RS, PA_CLIENT("\"$A256\""), M_NONE, CCAUTH_OK, "$A256"},
	{"ok empty client_id falls back to sub", "rsa", "RS256", H_RS, PA_CLIENT("\"\""), M_NONE, CCAUTH_OK, "svc-sub"},

	/* ---- step 1: length, NUL, whitespace ---- */
	{"empty token", NULL, NULL, NULL, NULL, M_EMPTY, CCAUTH_E_MALFORMED, NULL},
	{"1 MiB token", "rsa", "RS256", H_RS, PA_WITH("\"pad\":\"$PAD1M\""), M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"CCAUTH_TOKEN_MAX + 1 bytes", "rsa", "RS256", H_RS, PA, M_OVER_MAX, CCAUTH_E_MALFORMED, NULL},
	{"newline inside", "rsa", "RS256", H_RS, PA, M_NEWLINE, CCAUTH_E_MALFORMED, NULL},
	{"CRLF at the end", "rsa", "RS256", H_RS, PA, M_CRLF_END, CCAUTH_E_MALFORMED, NULL},
	{"space at the end", "rsa", "RS256", H_RS, PA, M_SPACE_END, CCAUTH_E_MALFORMED, NULL},
	{"tab inside", "rsa", "RS256", H_RS, PA, M_TAB_MID, CCAUTH_E_MALFORMED, NULL},
	{"NUL inside (len includes it)", "rsa", "RS256", H_RS, PA, M_NUL_MID, CCAUTH_E_MALFORMED, NULL},
	{"terminating NUL counted in len", "rsa", "RS256", H_RS, PA, M_NUL_END, CCAUTH_E_MALFORMED, NULL},
	{"100000-deep payload (over the size cap)", "rsa", "RS256", H_RS, PA_WITH("\"x\":$DEEP100K"), M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"100000-deep header (over the size cap)", "rsa", "RS256", "{\"alg\":\"RS256\",\"kid\":\"rsa-1\",\"x\":$DEEP100K}", PA, M_NONE, CCAUTH_E_MALFORMED, NULL},

	/* ---- step 3: not JWT-shaped (no issuer introspects) ---- */
	{"2 parts", "rsa", "RS256", H_RS, PA, M_TWO_PARTS, CCAUTH_E_MALFORMED, NULL},
	{"4 parts", "rsa", "RS256", H_RS, PA, M_FOUR_PARTS, CCAUTH_E_MALFORMED, NULL},
	{"5 parts (JWE-shaped)", "rsa", "RS256", H_RS, PA, M_FIVE_PARTS, CCAUTH_E_MALFORMED, NULL},
	{"only dots", NULL, NULL, NULL, NULL, M_DOTS, CCAUTH_E_MALFORMED, NULL},
	{"opaque token", NULL, NULL, NULL, NULL, M_OPAQUE, CCAUTH_E_MALFORMED, NULL},
	{"header not base64url", "rsa", "RS256", H_RS, PA, M_HEADER_GARBAGE, CCAUTH_E_MALFORMED, NULL},

	/* ---- step 4: parse ---- */
	{"padding '=' on header", "rsa", "RS256", H_RS, PA, M_PAD_HEADER, CCAUTH_E_MALFORMED, NULL},
	{"padding '=' on payload", "rsa", "RS256", H_RS, PA, M_PAD_PAYLOAD, CCAUTH_E_MALFORMED, NULL},
	{"padding '=' on signature", "rsa", "RS256", H_RS, PA, M_PAD_SIG, CCAUTH_E_MALFORMED, NULL},
	{"standard alphabet '+' '/'", "rsa", "RS256", "{\"alg\":\"RS256\",\"kid\":\"rsa-1\",\"x\":\"~~~?\"}", PA_WITH("\"y\":\"~~~?\""), M_STD_ALPHABET, CCAUTH_E_MALFORMED, NULL},
	{"signature part empty (RS256)", "rsa", "RS256", H_RS, PA, M_SIG_EMPTY, CCAUTH_E_MALFORMED, NULL},
	{"duplicate alg in header", "rsa", "RS256", "{\"alg\":\"RS256\",\"alg\":\"RS256\",\"kid\":\"rsa-1\"}", PA, M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"duplicate kid in header", "rsa", "RS256", "{\"alg\":\"RS256\",\"kid\":\"x\",\"kid\":\"rsa-1\"}", PA, M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"duplicate iss in payload", "rsa", "RS256", H_RS, "{\"iss\":\"https://evil.test\"," ISS_A BASE "}", M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"duplicate exp in payload", "rsa", "RS256", H_RS, PA_WITH("\"exp\":$M61"), M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"payload is a JSON array", "rsa", "RS256", H_RS, "[" PA "]", M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"payload is null", "rsa", "RS256", H_RS, "null", M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"payload is not JSON", "rsa", "RS256", H_RS, "iss=https://as.example.test/a", M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"payload with trailing garbage", "rsa", "RS256", H_RS, PA "x", M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"header is a JSON array", "rsa", "RS256", "[\"RS256\"]", PA, M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"invalid UTF-8 in sub", "rsa", "RS256", H_RS, "{" ISS_A ",\"sub\":\"svc\xff\",\"client_id\":\"svc-app\",\"jti\":\"j-1\"" TIMES "}", M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"overlong UTF-8 in client_id", "rsa", "RS256", H_RS, PA_CLIENT("\"svc\xc0\xaf\""), M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"lone surrogate escape in sub", "rsa", "RS256", H_RS, "{" ISS_A ",\"sub\":\"a\\ud800b\",\"client_id\":\"svc-app\",\"jti\":\"j-1\"" TIMES "}", M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"\\u0000 inside sub", "rsa", "RS256", H_RS, "{" ISS_A ",\"sub\":\"svc-app\\u0000root\",\"client_id\":\"svc-app\",\"jti\":\"j-1\"" TIMES "}", M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"2000-deep payload (depth cap)", "rsa", "RS256", H_RS, PA_WITH("\"x\":$DEEP2K"), M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"2000-deep header (depth cap)", "rsa", "RS256", "{\"alg\":\"RS256\",\"kid\":\"rsa-1\",\"x\":$DEEP2K}", PA, M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"crit with an unknown extension", "rsa", "RS256", "{\"alg\":\"RS256\",\"kid\":\"rsa-1\",\"crit\":[\"urn:x:ext\"],\"urn:x:ext\":1}", PA, M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"crit not an array", "rsa", "RS256", "{\"alg\":\"RS256\",\"kid\":\"rsa-1\",\"crit\":\"exp\"}", PA, M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"crit empty array", "rsa", "RS256", "{\"alg\":\"RS256\",\"kid\":\"rsa-1\",\"crit\":[]}", PA, M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"kid not a string", "rsa", "RS256", "{\"alg\":\"RS256\",\"kid\":1}", PA, M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"kid an array", "rsa", "RS256", "{\"alg\":\"RS256\",\"kid\":[\"rsa-1\"]}", PA, M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"typ not a string", "rsa", "RS256", "{\"alg\":\"RS256\",\"kid\":\"rsa-1\",\"typ\":1}", PA, M_NONE, CCAUTH_E_MALFORMED, NULL},
	/* alg */
	{"alg none, empty signature", NULL, NULL, "{\"alg\":\"none\"}", PA, M_UNSIGNED_EMPTY, CCAUTH_E_ALGORITHM, NULL},
	{"alg none, junk signature", NULL, NULL, "{\"alg\":\"none\"}", PA, M_UNSIGNED_JUNK, CCAUTH_E_ALGORITHM, NULL},
	{"alg None, empty signature", NULL, NULL, "{\"alg\":\"None\"}", PA, M_UNSIGNED_EMPTY, CCAUTH_E_ALGORITHM, NULL},
	{"alg NONE, real RSA signature", NULL, NULL, "{\"alg\":\"NONE\",\"kid\":\"rsa-1\"}", PA, M_UNSIGNED_RSASIG, CCAUTH_E_ALGORITHM, NULL},
	{"alg nOnE, junk signature", NULL, NULL, "{\"alg\":\"nOnE\"}", PA, M_UNSIGNED_JUNK, CCAUTH_E_ALGORITHM, NULL},
	{"alg nOnE, empty signature", NULL, NULL, "{\"alg\":\"nOnE\"}", PA, M_UNSIGNED_EMPTY, CCAUTH_E_ALGORITHM, NULL},
	{"HS256 keyed with the RSA public PEM", NULL, NULL, "{\"alg\":\"HS256\",\"kid\":\"rsa-1\"}", PA, M_HS_PEM, CCAUTH_E_ALGORITHM, NULL},
	{"HS256 keyed with the RSA public JWK", NULL, NULL, "{\"alg\":\"HS256\",\"kid\":\"rsa-1\"}", PA, M_HS_JWK, CCAUTH_E_ALGORITHM, NULL},
	{"HS256 keyed with the RSA modulus, no kid", NULL, NULL, "{\"alg\":\"HS256\"}", PA, M_HS_N, CCAUTH_E_ALGORITHM, NULL},
	{"HS512 keyed with the RSA public PEM", NULL, NULL, "{\"alg\":\"HS512\",\"kid\":\"rsa-1\"}", PA, M_HS_PEM, CCAUTH_E_ALGORITHM, NULL},
	{"alg missing", NULL, NULL, "{\"kid\":\"rsa-1\"}", PA, M_UNSIGNED_RSASIG, CCAUTH_E_ALGORITHM, NULL},
	{"alg a number", NULL, NULL, "{\"alg\":256,\"kid\":\"rsa-1\"}", PA, M_UNSIGNED_RSASIG, CCAUTH_E_ALGORITHM, NULL},
	{"alg null", NULL, NULL, "{\"alg\":null,\"kid\":\"rsa-1\"}", PA, M_UNSIGNED_RSASIG, CCAUTH_E_ALGORITHM, NULL},
	{"alg an array", NULL, NULL, "{\"alg\":[\"RS256\"],\"kid\":\"rsa-1\"}", PA, M_UNSIGNED_RSASIG, CCAUTH_E_ALGORITHM, NULL},
	{"alg RS1", NULL, NULL, "{\"alg\":\"RS1\",\"kid\":\"rsa-1\"}", PA, M_UNSIGNED_RSASIG, CCAUTH_E_ALGORITHM, NULL},
	{"alg ES256K", "ec", "ES256", "{\"alg\":\"ES256K\",\"kid\":\"ec-1\"}", PA, M_NONE, CCAUTH_E_ALGORITHM, NULL},
	{"alg rs256 (case)", NULL, NULL, "{\"alg\":\"rs256\",\"kid\":\"rsa-1\"}", PA, M_UNSIGNED_RSASIG, CCAUTH_E_ALGORITHM, NULL},
	{"alg empty string", NULL, NULL, "{\"alg\":\"\",\"kid\":\"rsa-1\"}", PA, M_UNSIGNED_RSASIG, CCAUTH_E_ALGORITHM, NULL},
	{"alg 'RS256 ' (trailing space)", NULL, NULL, "{\"alg\":\"RS256 \",\"kid\":\"rsa-1\"}", PA, M_UNSIGNED_RSASIG, CCAUTH_E_ALGORITHM, NULL},

	/* ---- step 5: iss ---- */
	{"iss missing", "rsa", "RS256", H_RS, "{\"sub\":\"svc-app\",\"client_id\":\"svc-app\",\"jti\":\"j-1\"" TIMES "}", M_NONE, CCAUTH_E_ISSUER, NULL},
	{"iss trailing slash", "rsa", "RS256", H_RS, P_ISS("\"https://as.example.test/a/\""), M_NONE, CCAUTH_E_ISSUER, NULL},
	{"iss different case", "rsa", "RS256", H_RS, P_ISS("\"https://AS.example.test/a\""), M_NONE, CCAUTH_E_ISSUER, NULL},
	{"iss trailing space", "rsa", "RS256", H_RS, P_ISS("\"https://as.example.test/a \""), M_NONE, CCAUTH_E_ISSUER, NULL},
	{"iss a prefix", "rsa", "RS256", H_RS, P_ISS("\"https://as.example.test/\""), M_NONE, CCAUTH_E_ISSUER, NULL},
	{"iss extended", "rsa", "RS256", H_RS, P_ISS("\"https://as.example.test/ab\""), M_NONE, CCAUTH_E_ISSUER, NULL},
	{"iss http instead of https", "rsa", "RS256", H_RS, P_ISS("\"http://as.example.test/a\""), M_NONE, CCAUTH_E_ISSUER, NULL},
	{"iss empty", "rsa", "RS256", H_RS, P_ISS("\"\""), M_NONE, CCAUTH_E_ISSUER, NULL},
	{"iss a number", "rsa", "RS256", H_RS, P_ISS("1"), M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"iss an array", "rsa", "RS256", H_RS, P_ISS("[\"https://as.example.test/a\"]"), M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"iss null", "rsa", "RS256", H_RS, P_ISS("null"), M_NONE, CCAUTH_E_MALFORMED, NULL},

	/* ---- step 6: allow-list of [issuer b] (RS256 PS256 ES256 EdDSA) ---- */
	{"RS384 not allowed for B", "rsa", "RS384", HDR("RS384", "rsa-1"), PB, M_NONE, CCAUTH_E_ALGORITHM, NULL},
	{"ES384 not allowed for B", "ec384", "ES384", HDR("ES384", "ec384-1"), PB, M_NONE, CCAUTH_E_ALGORITHM, NULL},

	/* ---- step 7: key ---- */
	{"kid unknown", "rsa", "RS256", HDR("RS256", "rsa-2"), PA, M_NONE, CCAUTH_E_UNKNOWN_KEY, NULL},
	{"kid ../../etc/passwd", "rsa", "RS256", HDR("RS256", "../../etc/passwd"), PA, M_NONE, CCAUTH_E_UNKNOWN_KEY, NULL},
	{"kid /dev/null", "rsa", "RS256", HDR("RS256", "/dev/null"), PA, M_NONE, CCAUTH_E_UNKNOWN_KEY, NULL},
	{"kid empty", "rsa", "RS256", HDR("RS256", ""), PA, M_NONE, CCAUTH_E_UNKNOWN_KEY, NULL},
	{"kid a prefix of rsa-1", "rsa", "RS256", HDR("RS256", "rsa-"), PA, M_NONE, CCAUTH_E_UNKNOWN_KEY, NULL},
	{"kid rsa-1 with SQL", "rsa", "RS256", HDR("RS256", "rsa-1' OR '1'='1"), PA, M_NONE, CCAUTH_E_UNKNOWN_KEY, NULL},
	{"no kid, two keys allow PS256", "rsa", "PS256", "{\"alg\":\"PS256\"}", PA, M_NONE, CCAUTH_E_UNKNOWN_KEY, NULL},
	{"embedded jwk with attacker kid", "atk_rsa", "RS256", "{\"alg\":\"RS256\",\"kid\":\"attacker\",\"jwk\":$JWK_ATK_RSA}", PA, M_NONE, CCAUTH_E_UNKNOWN_KEY, NULL},
	{"ES256 with kid rsa-1", "ec", "ES256", HDR("ES256", "rsa-1"), PA, M_NONE, CCAUTH_E_ALGORITHM, NULL},
	{"RS256 with kid ec-1", "rsa", "RS256", HDR("RS256", "ec-1"), PA, M_NONE, CCAUTH_E_ALGORITHM, NULL},
	{"EdDSA with kid ec-1", "ed", "EdDSA", HDR("EdDSA", "ec-1"), PA, M_NONE, CCAUTH_E_ALGORITHM, NULL},
	{"ES384 with kid ec-1 (P-256)", "ec384", "ES384", HDR("ES384", "ec-1"), PA, M_NONE, CCAUTH_E_ALGORITHM, NULL},
	{"ES256 with kid ed-1", "ec", "ES256", HDR("ES256", "ed-1"), PA, M_NONE, CCAUTH_E_ALGORITHM, NULL},
	{"RS256 with kid rsa-pin (pinned PS256)", "rsapin", "RS256", HDR("RS256", "rsa-pin"), PA, M_NONE, CCAUTH_E_ALGORITHM, NULL},

	/* ---- step 8: signature ---- */
	{"embedded jwk, no kid, signed by attacker", "atk_rsa", "RS256", "{\"alg\":\"RS256\",\"jwk\":$JWK_ATK_RSA}", PA, M_NONE, CCAUTH_E_SIGNATURE, NULL},
	{"embedded jwk, kid rsa-1, signed by attacker", "atk_rsa", "RS256", "{\"alg\":\"RS256\",\"kid\":\"rsa-1\",\"jwk\":$JWK_ATK_RSA}", PA, M_NONE, CCAUTH_E_SIGNATURE, NULL},
	{"embedded EC jwk, no kid, signed by attacker", "atk_ec", "ES256", "{\"alg\":\"ES256\",\"jwk\":$JWK_ATK_EC}", PA, M_NONE, CCAUTH_E_SIGNATURE, NULL},
	{"jku elsewhere, signed by attacker", "atk_rsa", "RS256", "{\"alg\":\"RS256\",\"kid\":\"rsa-1\",\"jku\":\"https://attacker.test/jwks.json\"}", PA, M_NONE, CCAUTH_E_SIGNATURE, NULL},
	{"x5u elsewhere, signed by attacker", "atk_rsa", "RS256", "{\"alg\":\"RS256\",\"kid\":\"rsa-1\",\"x5u\":\"https://attacker.test/cert.pem\"}", PA, M_NONE, CCAUTH_E_SIGNATURE, NULL},
	{"ES256 signature DER-encoded", "ec", "ES256", H_ES, PA, M_SIG_DER, CCAUTH_E_SIGNATURE, NULL},
	{"ES256 R||S all zero", "ec", "ES256", H_ES, PA, M_SIG_ZERO, CCAUTH_E_SIGNATURE, NULL},
	{"ES256 R||S all 0xff", "ec", "ES256", H_ES, PA, M_SIG_FF, CCAUTH_E_SIGNATURE, NULL},
	{"ES256 R = 0", "ec", "ES256", H_ES, PA, M_SIG_R_ZERO, CCAUTH_E_SIGNATURE, NULL},
	{"ES256 truncated by one byte", "ec", "ES256", H_ES, PA, M_SIG_TRUNC, CCAUTH_E_SIGNATURE, NULL},
	{"ES256 extended by one byte", "ec", "ES256", H_ES, PA, M_SIG_EXTEND, CCAUTH_E_SIGNATURE, NULL},
	{"ES256 bit flipped", "ec", "ES256", H_ES, PA, M_SIG_FLIP, CCAUTH_E_SIGNATURE, NULL},
	{"ES512 signature DER-encoded", "ec521", "ES512", HDR("ES512", "ec521-1"), PA, M_SIG_DER, CCAUTH_E_SIGNATURE, NULL},
	{"ES512 truncated by one byte", "ec521", "ES512", HDR("ES512", "ec521-1"), PA, M_SIG_TRUNC, CCAUTH_E_SIGNATURE, NULL},
	{"RS256 truncated by one byte", "rsa", "RS256", H_RS, PA, M_SIG_TRUNC, CCAUTH_E_SIGNATURE, NULL},
	{"RS256 with a leading zero byte", "rsa", "RS256", H_RS, PA, M_SIG_PREPEND0, CCAUTH_E_SIGNATURE, NULL},
	{"RS256 all zero", "rsa", "RS256", H_RS, PA, M_SIG_ZERO, CCAUTH_E_SIGNATURE, NULL},
	{"RS256 bit flipped", "rsa", "RS256", H_RS, PA, M_SIG_FLIP, CCAUTH_E_SIGNATURE, NULL},
	{"PS256 signature under an RS256 header", "rsa", "PS256", H_RS, PA, M_NONE, CCAUTH_E_SIGNATURE, NULL},
	{"RS256 signature under a PS256 header", "rsa", "RS256", HDR("PS256", "rsa-1"), PA, M_NONE, CCAUTH_E_SIGNATURE, NULL},
	{"PS256 with maximum salt length", NULL, NULL, HDR("PS256", "rsa-1"), PA, M_PSS_SALTMAX, CCAUTH_E_SIGNATURE, NULL},
	{"EdDSA bit flipped", "ed", "EdDSA", H_ED, PA, M_SIG_FLIP, CCAUTH_E_SIGNATURE, NULL},
	{"EdDSA truncated by one byte", "ed", "EdDSA", H_ED, PA, M_SIG_TRUNC, CCAUTH_E_SIGNATURE, NULL},
	{"payload swapped from another valid token", "rsa", "RS256", H_RS, PA, M_SWAP_PAYLOAD, CCAUTH_E_SIGNATURE, NULL},
	{"header swapped from another valid token", "ec", "ES256", H_ES, PA, M_SWAP_HEADER, CCAUTH_E_SIGNATURE, NULL},
	{"signed by the attacker with kid ec-1", "atk_ec", "ES256", H_ES, PA, M_NONE, CCAUTH_E_SIGNATURE, NULL},

	/* ---- step 9: claim types ---- */
	{"exp a string", "rsa", "RS256", H_RS, PA_EXP("\"9999999999\""), M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"exp a float", "rsa", "RS256", H_RS, PA_EXP("1700003600.5"), M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"exp a float with .0", "rsa", "RS256", H_RS, PA_EXP("1700003600.0"), M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"exp 1e10", "rsa", "RS256", H_RS, PA_EXP("1e10"), M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"exp 99999999999999999999", "rsa", "RS256", H_RS, PA_EXP("99999999999999999999"), M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"exp one past the range", "rsa", "RS256", H_RS, PA_EXP("253402300800"), M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"exp -1", "rsa", "RS256", H_RS, PA_EXP("-1"), M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"exp true", "rsa", "RS256", H_RS, PA_EXP("true"), M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"exp null", "rsa", "RS256", H_RS, PA_EXP("null"), M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"exp missing", "rsa", "RS256", H_RS, "{" ISS_A SUBJ ",\"iat\":$IAT}", M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"nbf a string", "rsa", "RS256", H_RS, PA_WITH("\"nbf\":\"0\""), M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"iat a float", "rsa", "RS256", H_RS, "{" ISS_A SUBJ ",\"iat\":1699999990.0,\"exp\":$EXP}", M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"iat negative", "rsa", "RS256", H_RS, "{" ISS_A SUBJ ",\"iat\":-5,\"exp\":$EXP}", M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"aud a number", "rsa", "RS256", H_RS, PB_WITH("\"aud\":5,\"scope\":\"ldap.read\""), M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"scope an array of numbers (A, no required scope)", "rsa", "RS256", H_RS, PA_WITH("\"scope\":[1]"), M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"scope an object (A, no required scope)", "rsa", "RS256", H_RS, PA_WITH("\"scope\":{\"ldap.read\":true}"), M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"client_id a number", "rsa", "RS256", H_RS, PA_CLIENT("7"), M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"sub an object", "rsa", "RS256", H_RS, "{" ISS_A ",\"sub\":{},\"client_id\":\"svc-app\",\"jti\":\"j-1\"" TIMES "}", M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"jti a number", "rsa", "RS256", H_RS, "{" ISS_A ",\"sub\":\"svc-app\",\"client_id\":\"svc-app\",\"jti\":1" TIMES "}", M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"azp a bool", "rsa", "RS256", H_RS, PA_WITH("\"azp\":true"), M_NONE, CCAUTH_E_MALFORMED, NULL},

	/* ---- step 10: strict_rfc9068 ([issuer c]) ---- */
	{"C typ missing", "rsa", "RS256", H_RS, PC, M_NONE, CCAUTH_E_TYPE, NULL},
	{"C typ JWT", "rsa", "RS256", H_C("\"JWT\""), PC, M_NONE, CCAUTH_E_TYPE, NULL},
	{"C typ at+jwt with trailing space", "rsa", "RS256", H_C("\"at+jwt \""), PC, M_NONE, CCAUTH_E_TYPE, NULL},
	{"C typ application/jwt", "rsa", "RS256", H_C("\"application/jwt\""), PC, M_NONE, CCAUTH_E_TYPE, NULL},
	{"C typ at+jwt in the payload only", "rsa", "RS256", H_RS, "{" ISS_C BASE ",\"typ\":\"at+jwt\"}", M_NONE, CCAUTH_E_TYPE, NULL},
	{"C jti missing", "rsa", "RS256", H_C("\"at+jwt\""), "{" ISS_C ",\"sub\":\"svc-app\",\"client_id\":\"svc-app\"" TIMES "}", M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"C client_id missing", "rsa", "RS256", H_C("\"at+jwt\""), "{" ISS_C ",\"sub\":\"svc-app\",\"jti\":\"j-1\"" TIMES "}", M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"C iat missing", "rsa", "RS256", H_C("\"at+jwt\""), "{" ISS_C SUBJ ",\"exp\":$EXP}", M_NONE, CCAUTH_E_MALFORMED, NULL},

	/* ---- step 11: time ---- */
	{"expired by skew + 1", "rsa", "RS256", H_RS, PA_EXP("$M61"), M_NONE, CCAUTH_E_EXPIRED, NULL},
	{"exp 0", "rsa", "RS256", H_RS, PA_EXP("0"), M_NONE, CCAUTH_E_EXPIRED, NULL},
	{"nbf in the future", "rsa", "RS256", H_RS, PA_WITH("\"nbf\":$P61"), M_NONE, CCAUTH_E_NOT_YET_VALID, NULL},
	{"iat in the future", "rsa", "RS256", H_RS, "{" ISS_A SUBJ ",\"iat\":$P61,\"exp\":$EXP}", M_NONE, CCAUTH_E_NOT_YET_VALID, NULL},

	/* ---- step 12: audience ([issuer b]: urn:test:rs) ---- */
	{"B aud missing", "rsa", "RS256", H_RS, PB_WITH("\"scope\":\"ldap.read\""), M_NONE, CCAUTH_E_AUDIENCE, NULL},
	{"B aud wrong", "rsa", "RS256", H_RS, PB_AUD("\"urn:test:other\""), M_NONE, CCAUTH_E_AUDIENCE, NULL},
	{"B aud a prefix", "rsa", "RS256", H_RS, PB_AUD("\"urn:test:r\""), M_NONE, CCAUTH_E_AUDIENCE, NULL},
	{"B aud extended", "rsa", "RS256", H_RS, PB_AUD("\"urn:test:rsx\""), M_NONE, CCAUTH_E_AUDIENCE, NULL},
	{"B aud different case", "rsa", "RS256", H_RS, PB_AUD("\"URN:test:rs\""), M_NONE, CCAUTH_E_AUDIENCE, NULL},
	{"B aud array without it", "rsa", "RS256", H_RS, PB_AUD("[\"urn:a\",\"urn:b\"]"), M_NONE, CCAUTH_E_AUDIENCE, NULL},
	{"B aud empty array", "rsa", "RS256", H_RS, PB_AUD("[]"), M_NONE, CCAUTH_E_AUDIENCE, NULL},
	{"B aud array with a non-string element", "rsa", "RS256", H_RS, PB_AUD("[\"urn:test:rs\",1]"), M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"B aud nested array", "rsa", "RS256", H_RS, PB_AUD("[[\"urn:test:rs\"]]"), M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"B aud null", "rsa", "RS256", H_RS, PB_AUD("null"), M_NONE, CCAUTH_E_MALFORMED, NULL},

	/* ---- step 13: scope ([issuer b]: ldap.read) ---- */
	{"B scope ldap", "rsa", "RS256", H_RS, PB_SCOPE("\"ldap\""), M_NONE, CCAUTH_E_SCOPE, NULL},
	{"B scope ldap.readx", "rsa", "RS256", H_RS, PB_SCOPE("\"ldap.readx\""), M_NONE, CCAUTH_E_SCOPE, NULL},
	{"B scope ldap.rea", "rsa", "RS256", H_RS, PB_SCOPE("\"ldap.rea\""), M_NONE, CCAUTH_E_SCOPE, NULL},
	{"B scope joined with a comma", "rsa", "RS256", H_RS, PB_SCOPE("\"openid,ldap.read\""), M_NONE, CCAUTH_E_SCOPE, NULL},
	{"B scope empty", "rsa", "RS256", H_RS, PB_SCOPE("\"\""), M_NONE, CCAUTH_E_SCOPE, NULL},
	{"B scope missing", "rsa", "RS256", H_RS, PB_WITH("\"aud\":\"urn:test:rs\""), M_NONE, CCAUTH_E_SCOPE, NULL},
	/* a scope claim may be an array of strings (Okta scp, Auth0 permissions): exact elements */
	{"B scope as array", "rsa", "RS256", H_RS, PB_SCOPE("[\"ldap.read\"]"), M_NONE, CCAUTH_OK, USER},
	{"B scope as array lacking it", "rsa", "RS256", H_RS, PB_SCOPE("[\"ldap.read.x\",\"ldap\"]"), M_NONE, CCAUTH_E_SCOPE, NULL},
	{"B scope array holding the string", "rsa", "RS256", H_RS, PB_SCOPE("[\"mail ldap.read\"]"), M_NONE, CCAUTH_E_SCOPE, NULL},
	{"B scope a number", "rsa", "RS256", H_RS, PB_SCOPE("1"), M_NONE, CCAUTH_E_MALFORMED, NULL},

	/* ---- step 15: identity ---- */
	{"client_id with a space", "rsa", "RS256", H_RS, PA_CLIENT("\"svc app\""), M_NONE, CCAUTH_E_IDENTITY, NULL},
	{"client_id with a slash", "rsa", "RS256", H_RS, PA_CLIENT("\"svc/app\""), M_NONE, CCAUTH_E_IDENTITY, NULL},
	{"client_id ../root", "rsa", "RS256", H_RS, PA_CLIENT("\"../root\""), M_NONE, CCAUTH_E_IDENTITY, NULL},
	{"client_id with a colon", "rsa", "RS256", H_RS, PA_CLIENT("\"svc:app\""), M_NONE, CCAUTH_E_IDENTITY, NULL},
	{"client_id non-ASCII", "rsa", "RS256", H_RS, PA_CLIENT("\"svc\xc3\xa9\""), M_NONE, CCAUTH_E_IDENTITY, NULL},
	{"client_id with an escaped newline", "rsa", "RS256", H_RS, PA_CLIENT("\"svc\\napp\""), M_NONE, CCAUTH_E_IDENTITY, NULL},
	{"client_id of 257 chars", "rsa", "RS256", H_RS, PA_CLIENT("\"$A257\""), M_NONE, CCAUTH_E_IDENTITY, NULL},
	{"no identity claim at all", "rsa", "RS256", H_RS, "{" ISS_A ",\"jti\":\"j-1\"" TIMES "}", M_NONE, CCAUTH_E_IDENTITY, NULL},

	/* ---- order: the first failing check decides ---- */
	{"order: alg none beats unknown iss", NULL, NULL, "{\"alg\":\"none\"}", P_ISS("\"https://evil.test\""), M_UNSIGNED_JUNK, CCAUTH_E_ALGORITHM, NULL},
	{"order: unknown iss beats unknown kid", "rsa", "RS256", HDR("RS256", "nope"), P_ISS("\"https://evil.test\""), M_NONE, CCAUTH_E_ISSUER, NULL},
	{"order: unknown iss beats key-type confusion", "ec", "ES256", HDR("ES256", "rsa-1"), P_ISS("\"https://evil.test\""), M_NONE, CCAUTH_E_ISSUER, NULL},
	{"order: alg allow-list beats unknown kid (B)", "rsa", "RS384", HDR("RS384", "nope"), PB, M_NONE, CCAUTH_E_ALGORITHM, NULL},
	{"order: bad signature beats bad exp type", "rsa", "RS256", H_RS, PA_EXP("\"x\""), M_SIG_FLIP, CCAUTH_E_SIGNATURE, NULL},
	{"order: bad signature beats expired", "rsa", "RS256", H_RS, PA_EXP("$M61"), M_SIG_FLIP, CCAUTH_E_SIGNATURE, NULL},
	{"order: claim type beats strict typ (C)", "rsa", "RS256", H_C("\"JWT\""), "{" ISS_C SUBJ ",\"iat\":$IAT,\"exp\":\"1\"}", M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"order: strict typ beats expired (C)", "rsa", "RS256", H_C("\"JWT\""), "{" ISS_C SUBJ ",\"iat\":$IAT,\"exp\":$M61}", M_NONE, CCAUTH_E_TYPE, NULL},
	{"order: strict jti beats expired (C)", "rsa", "RS256", H_C("\"at+jwt\""), "{" ISS_C ",\"sub\":\"svc-app\",\"client_id\":\"svc-app\",\"iat\":$IAT,\"exp\":$M61}", M_NONE, CCAUTH_E_MALFORMED, NULL},
	{"order: expired beats wrong aud (B)", "rsa", "RS256", H_RS, "{" ISS_B SUBJ ",\"iat\":$IAT,\"exp\":$M61,\"aud\":\"x\",\"scope\":\"x\"}", M_NONE, CCAUTH_E_EXPIRED, NULL},
	{"order: nbf beats wrong aud (B)", "rsa", "RS256", H_RS, PB_WITH("\"nbf\":$P61,\"aud\":\"x\",\"scope\":\"x\""), M_NONE, CCAUTH_E_NOT_YET_VALID, NULL},
	{"order: wrong aud beats wrong scope (B)", "rsa", "RS256", H_RS, PB_WITH("\"aud\":\"x\",\"scope\":\"x\""), M_NONE, CCAUTH_E_AUDIENCE, NULL},
	{"order: wrong scope beats bad identity (B)", "rsa", "RS256", H_RS, "{" ISS_B ",\"sub\":\"a b\",\"client_id\":\"a b\",\"jti\":\"j\"" TIMES ",\"aud\":\"urn:test:rs\",\"scope\":\"x\"}", M_NONE, CCAUTH_E_SCOPE, NULL},
};
/* clang-format on */

#define NROWS (sizeof(rows) / sizeof(rows[0]))

/* ---- fixture: keys, JWKS, config, validator ---------------------------------------------- */

struct fixture {
	EVP_PKEY *rsa, *rsapin, *ec, *ec384, *ec521, *ed, *atk_rsa, *atk_ec;
	char *jwk_rsa_pub;    /* rsa-1 public JWK text (the HS "secret") */
	char *pem_rsa_pub;    /* rsa-1 public PEM text (the HS "secret") */
	unsigned char *rsa_n; /* rsa-1 raw modulus (the HS "secret") */
	size_t rsa_nlen;
	char *jwk_atk_rsa, *jwk_atk_ec; /* the attacker's public JWKs, embedded in headers */
	char *jwks_path, *conf_path;
	struct ccauth_config *cfg;
	struct ccauth_validator *v;
	char *vars[16][2]; /* $NAME -> value */
	size_t nvars;
};

static struct fixture fx;

static char *xstrdup(const char *s)
{
	char *p = strdup(s);

	assert_non_null(p);
	return p;
}

/* Concatenate C strings up to a NULL. */
static char *cat(const char *first, ...)
{
	va_list ap;
	size_t n = 0;
	char *out;

	va_start(ap, first);
	for (const char *a = first; a != NULL; a = va_arg(ap, const char *))
		n += strlen(a);
	va_end(ap);
	out = malloc(n + 1);
	assert_non_null(out);
	n = 0;
	va_start(ap, first);
	for (const char *a = first; a != NULL; a = va_arg(ap, const char *)) {
		memcpy(out + n, a, strlen(a));
		n += strlen(a);
	}
	va_end(ap);
	out[n] = '\0';
	return out;
}

static char *slice(const char *s, size_t len)
{
	char *p = strndup(s, len);

	assert_non_null(p);
	return p;
}

static char *num(int64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	return xstrdup(buf);
}

static char *repeat(const char *a, size_t na, const char *b, size_t nb)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = malloc(la * na + lb * nb + 1), *p = s;

	assert_non_null(s);
	for (size_t i = 0; i < na; i++, p += la)
		memcpy(p, a, la);
	for (size_t i = 0; i < nb; i++, p += lb)
		memcpy(p, b, lb);
	*p = '\0';
	return s;
}

static void addvar(const char *name, char *value)
{
	assert_true(fx.nvars < sizeof(fx.vars) / sizeof(fx.vars[0]));
	fx.vars[fx.nvars][0] = xstrdup(name);
	fx.vars[fx.nvars][1] = value;
	fx.nvars++;
}

/* Replace $NAME (uppercase letters, digits) by its value. */
static char *expand(const char *t)
{
	size_t cap = strlen(t) + 1, n = 0;
	char *out;

	for (const char *p = t; *p; p++)
		if (*p == '$')
			for (size_t i = 0; i < fx.nvars; i++)
				cap += strlen(fx.vars[i][1]);
	out = malloc(cap);
	assert_non_null(out);
	for (const char *p = t; *p;) {
		if (*p == '$') {
			size_t nl = 1, i;

			while ((p[nl] >= 'A' && p[nl] <= 'Z') || (p[nl] >= '0' && p[nl] <= '9') || p[nl] == '_')
				nl++;
			for (i = 0; i < fx.nvars; i++)
				if (strlen(fx.vars[i][0]) == nl && memcmp(fx.vars[i][0], p, nl) == 0)
					break;
			if (i == fx.nvars)
				fail_msg("unknown template variable in %s", t);
			memcpy(out + n, fx.vars[i][1], strlen(fx.vars[i][1]));
			n += strlen(fx.vars[i][1]);
			p += nl;
		} else {
			out[n++] = *p++;
		}
	}
	out[n] = '\0';
	return out;
}

static EVP_PKEY *key_by_name(const char *name)
{
	const struct {
		const char *name;
		EVP_PKEY *key;
	} keys[] = {{"rsa", fx.rsa},     {"rsapin", fx.rsapin}, {"ec", fx.ec},           {"ec384", fx.ec384},
	            {"ec521", fx.ec521}, {"ed", fx.ed},         {"atk_rsa", fx.atk_rsa}, {"atk_ec", fx.atk_ec}};

	for (size_t i = 0; name != NULL && i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(name, keys[i].name) == 0)
			return keys[i].key;
	fail_msg("unknown key %s", name ? name : "(null)");
	return NULL;
}

static void rm_temp(char *path)
{
	char *slash;

	if (path == NULL)
		return;
	unlink(path);
	slash = strrchr(path, '/');
	if (slash != NULL) {
		*slash = '\0';
		rmdir(path);
	}
	free(path);
}

static int group_setup(void **state)
{
	char *jwks, *conf, *ks[7];
	struct ccauth_error err = {0};
	BIO *bio;
	BIGNUM *n = NULL;
	char *pem;
	long pemlen;

	fx.rsa = tu_genkey("RSA2048");
	fx.rsapin = tu_genkey("RSA2048");
	fx.ec = tu_genkey("P-256");
	fx.ec384 = tu_genkey("P-384");
	fx.ec521 = tu_genkey("P-521");
	fx.ed = tu_genkey("Ed25519");
	fx.atk_rsa = tu_genkey("RSA2048");
	fx.atk_ec = tu_genkey("P-256");

	ks[0] = tu_jwk_json(fx.rsa, "rsa-1", NULL);
	ks[1] = tu_jwk_json(fx.ec, "ec-1", NULL);
	ks[2] = tu_jwk_json(fx.ed, "ed-1", NULL);
	ks[3] = tu_jwk_json(fx.ec384, "ec384-1", NULL);
	ks[4] = tu_jwk_json(fx.ec521, "ec521-1", NULL);
	ks[5] = tu_jwk_json(fx.rsapin, "rsa-pin", "PS256");
	jwks = cat("{\"keys\":[", ks[0], ",", ks[1], ",", ks[2], ",", ks[3], ",", ks[4], ",", ks[5], "]}", NULL);
	fx.jwk_rsa_pub = ks[0];
	for (int i = 1; i < 6; i++)
		free(ks[i]);
	fx.jwks_path = tu_write_temp("jwks.json", jwks);
	free(jwks);

	fx.jwk_atk_rsa = tu_jwk_json(fx.atk_rsa, NULL, NULL);
	fx.jwk_atk_ec = tu_jwk_json(fx.atk_ec, NULL, NULL);

	bio = BIO_new(BIO_s_mem());
	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_PUBKEY(bio, fx.rsa), 1);
	pemlen = BIO_get_mem_data(bio, &pem);
	fx.pem_rsa_pub = malloc((size_t)pemlen + 1);
	assert_non_null(fx.pem_rsa_pub);
	memcpy(fx.pem_rsa_pub, pem, (size_t)pemlen);
	fx.pem_rsa_pub[pemlen] = '\0';
	BIO_free(bio);
	assert_int_equal(EVP_PKEY_get_bn_param(fx.rsa, "n", &n), 1);
	fx.rsa_nlen = (size_t)BN_num_bytes(n);
	fx.rsa_n = malloc(fx.rsa_nlen);
	assert_non_null(fx.rsa_n);
	BN_bn2bin(n, fx.rsa_n);
	BN_free(n);

	conf = cat("[global]\n"
	           "cache_dir =\n"
	           "clock_skew = 60\n"
	           "\n"
	           "[issuer a]\n"
	           "issuer = https://as.example.test/a\n"
	           "introspect = never\n"
	           "audience = urn:test:a\n"
	           "jwks_file = ",
	           fx.jwks_path,
	           "\n"
	           "\n"
	           "[issuer b]\n"
	           "issuer = https://as.example.test/b\n"
	           "introspect = never\n"
	           "audience = urn:test:rs\n"
	           "required_scope = ldap.read\n"
	           "algorithms = RS256 PS256 ES256 EdDSA\n"
	           "jwks_file = ",
	           fx.jwks_path,
	           "\n"
	           "\n"
	           "[issuer c]\n"
	           "issuer = https://as.example.test/c\n"
	           "introspect = never\n"
	           "allowed_client_ids = svc-app\n"
	           "strict_rfc9068 = yes\n"
	           "jwks_file = ",
	           fx.jwks_path, "\n", NULL);
	if (ccauth_config_parse(conf, strlen(conf), "hostile.conf", &fx.cfg, &err) != CCAUTH_OK)
		fail_msg("config: %s", err.msg);
	free(conf);
	if (ccauth_validator_new(fx.cfg, NULL, &fx.v, &err) != CCAUTH_OK)
		fail_msg("validator: %s", err.msg);

	addvar("$NOW", num(NOW));
	addvar("$IAT", num((NOW - 10)));
	addvar("$EXP", num((NOW + 3600)));
	addvar("$P60", num((NOW + 60)));
	addvar("$P61", num((NOW + 61)));
	addvar("$M60", num((NOW - 60)));
	addvar("$M61", num((NOW - 61)));
	addvar("$A256", repeat("a", 256, "", 0));
	addvar("$A257", repeat("a", 257, "", 0));
	addvar("$PAD1M", repeat("x", 1024 * 1024, "", 0));
	addvar("$DEEP100K", repeat("[", 100000, "]", 100000));
	addvar("$DEEP2K", repeat("[", 2000, "]", 2000));
	addvar("$JWK_ATK_RSA", xstrdup(fx.jwk_atk_rsa));
	addvar("$JWK_ATK_EC", xstrdup(fx.jwk_atk_ec));
	(void)state;
	return 0;
}

static int group_teardown(void **state)
{
	ccauth_validator_free(fx.v);
	ccauth_config_free(fx.cfg);
	EVP_PKEY_free(fx.rsa);
	EVP_PKEY_free(fx.rsapin);
	EVP_PKEY_free(fx.ec);
	EVP_PKEY_free(fx.ec384);
	EVP_PKEY_free(fx.ec521);
	EVP_PKEY_free(fx.ed);
	EVP_PKEY_free(fx.atk_rsa);
	EVP_PKEY_free(fx.atk_ec);
	free(fx.jwk_rsa_pub);
	free(fx.pem_rsa_pub);
	free(fx.rsa_n);
	free(fx.jwk_atk_rsa);
	free(fx.jwk_atk_ec);
	rm_temp(fx.jwks_path);
	for (size_t i = 0; i < fx.nvars; i++) {
		free(fx.vars[i][0]);
		free(fx.vars[i][1]);
	}
	(void)state;
	return 0;
}

/* ---- token surgery --------------------------------------------------------------------- */

struct tok {
	char *p;
	size_t len;
};

/* base64url decode for test surgery (input is our own minting output) */
static unsigned char *b64url_dec(const char *s, size_t len, size_t *outlen)
{
	unsigned char *out = malloc(len * 3 / 4 + 3);
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;

	assert_non_null(out);
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		int v = c >= 'A' && c <= 'Z'   ? c - 'A'
		        : c >= 'a' && c <= 'z' ? c - 'a' + 26
		        : c >= '0' && c <= '9' ? c - '0' + 52
		        : c == '-'             ? 62
		        : c == '_'             ? 63
		                               : -1;
		assert_true(v >= 0);
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	*outlen = n;
	return out;
}

static void tok_set(struct tok *t, const char *data, size_t len)
{
	char *p = malloc(len + 1);

	assert_non_null(p);
	memcpy(p, data, len);
	p[len] = '\0';
	free(t->p);
	t->p = p;
	t->len = len;
}

/* Replace the signature part by b64url(sig). */
static void set_sig(struct tok *t, const unsigned char *sig, size_t siglen)
{
	char *dot = strrchr(t->p, '.');
	char *s = tu_b64url(sig, siglen);
	char *head = slice(t->p, (size_t)(dot - t->p));
	char *n = cat(head, ".", s, NULL);

	free(head);
	free(s);
	free(t->p);
	t->p = n;
	t->len = strlen(n);
}

static unsigned char *get_sig(const struct tok *t, size_t *siglen)
{
	const char *dot = strrchr(t->p, '.');

	return b64url_dec(dot + 1, strlen(dot + 1), siglen);
}

/* Insert text at byte offset off (counting len, so NUL may be inserted). */
static void insert_at(struct tok *t, size_t off, const char *ins, size_t inslen)
{
	char *n = malloc(t->len + inslen + 1);

	assert_non_null(n);
	memcpy(n, t->p, off);
	memcpy(n + off, ins, inslen);
	memcpy(n + off + inslen, t->p + off, t->len - off);
	n[t->len + inslen] = '\0';
	free(t->p);
	t->p = n;
	t->len += inslen;
}

static char *unsigned_input(const char *hdr, const char *pay)
{
	char *h = tu_b64url_str(hdr), *p = tu_b64url_str(pay);
	char *in = cat(h, ".", p, NULL);

	free(h);
	free(p);
	return in;
}

static void hmac_token(struct tok *t, const char *hdr, const char *pay, const void *secret, size_t secretlen)
{
	char *in = unsigned_input(hdr, pay);
	unsigned char mac[EVP_MAX_MD_SIZE];
	size_t maclen = 0;
	const char *md = strstr(hdr, "HS512") ? "SHA512" : strstr(hdr, "HS384") ? "SHA384" : "SHA256";
	char *s, *n;

	assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, md, NULL, secret, secretlen, (const unsigned char *)in,
	                          strlen(in), mac, sizeof(mac), &maclen));
	s = tu_b64url(mac, maclen);
	n = cat(in, ".", s, NULL);
	tok_set(t, n, strlen(n));
	free(in);
	free(s);
	free(n);
}

static void rsa_sign_input(struct tok *t, const char *in, int pss_saltmax)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char sig[512];
	size_t siglen = sizeof(sig);
	char *s, *n;

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestSignInit(ctx, &pctx, EVP_sha256(), NULL, fx.rsa), 1);
	if (pss_saltmax) {
		assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
		assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_MAX), 1);
	}
	assert_int_equal(EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)in, strlen(in)), 1);
	EVP_MD_CTX_free(ctx);
	s = tu_b64url(sig, siglen);
	n = cat(in, ".", s, NULL);
	tok_set(t, n, strlen(n));
	free(s);
	free(n);
}

/* Keep part `which` (0 header, 1 payload) of `other` in place of the one in t. */
static void splice_part(struct tok *t, const char *other, int which)
{
	const char *d1 = strchr(t->p, '.'), *d2 = strrchr(t->p, '.');
	const char *o1 = strchr(other, '.'), *o2 = strrchr(other, '.');
	char *n, *head = NULL, *mid = NULL;

	if (which == 1)
		n = cat(head = slice(t->p, (size_t)(d1 - t->p)), ".", mid = slice(o1 + 1, (size_t)(o2 - o1 - 1)), d2,
		        NULL);
	else
		n = cat(head = slice(other, (size_t)(o1 - other)), d1, NULL);
	free(head);
	free(mid);
	assert_string_not_equal(n, t->p);
	tok_set(t, n, strlen(n));
	free(n);
}

static void mutate(const struct row *r, struct tok *t, const char *hdr, const char *pay)
{
	unsigned char *sig = NULL;
	size_t siglen = 0;
	char *s = NULL;

	switch (r->mut) {
	case M_NONE:
		break;
	case M_UNSIGNED_EMPTY:
	case M_UNSIGNED_JUNK:
		s = unsigned_input(hdr, pay);
		free(t->p);
		t->p = cat(s, ".", r->mut == M_UNSIGNED_JUNK ? "anVuay1zaWduYXR1cmU" : "", NULL);
		t->len = strlen(t->p);
		break;
	case M_UNSIGNED_RSASIG:
		s = unsigned_input(hdr, pay);
		rsa_sign_input(t, s, 0);
		break;
	case M_PSS_SALTMAX:
		s = unsigned_input(hdr, pay);
		rsa_sign_input(t, s, 1);
		break;
	case M_HS_PEM:
		hmac_token(t, hdr, pay, fx.pem_rsa_pub, strlen(fx.pem_rsa_pub));
		break;
	case M_HS_JWK:
		hmac_token(t, hdr, pay, fx.jwk_rsa_pub, strlen(fx.jwk_rsa_pub));
		break;
	case M_HS_N:
		hmac_token(t, hdr, pay, fx.rsa_n, fx.rsa_nlen);
		break;
	case M_SIG_DER: {
		ECDSA_SIG *es = ECDSA_SIG_new();
		unsigned char *der = NULL;
		int derlen;

		sig = get_sig(t, &siglen);
		assert_non_null(es);
		assert_int_equal(ECDSA_SIG_set0(es, BN_bin2bn(sig, (int)siglen / 2, NULL),
		                                BN_bin2bn(sig + siglen / 2, (int)siglen / 2, NULL)),
		                 1);
		derlen = i2d_ECDSA_SIG(es, &der);
		assert_true(derlen > 0);
		set_sig(t, der, (size_t)derlen);
		OPENSSL_free(der);
		ECDSA_SIG_free(es);
		break;
	}
	case M_SIG_ZERO:
	case M_SIG_FF:
	case M_SIG_R_ZERO:
		sig = get_sig(t, &siglen);
		memset(sig, r->mut == M_SIG_FF ? 0xff : 0, r->mut == M_SIG_R_ZERO ? siglen / 2 : siglen);
		set_sig(t, sig, siglen);
		break;
	case M_SIG_TRUNC:
		sig = get_sig(t, &siglen);
		set_sig(t, sig, siglen - 1);
		break;
	case M_SIG_EXTEND:
		sig = get_sig(t, &siglen);
		sig = realloc(sig, siglen + 1);
		assert_non_null(sig);
		sig[siglen] = 0;
		set_sig(t, sig, siglen + 1);
		break;
	case M_SIG_PREPEND0: {
		unsigned char *n;

		sig = get_sig(t, &siglen);
		n = calloc(1, siglen + 1);
		assert_non_null(n);
		memcpy(n + 1, sig, siglen);
		set_sig(t, n, siglen + 1);
		free(n);
		break;
	}
	case M_SIG_FLIP:
		sig = get_sig(t, &siglen);
		sig[siglen / 2] ^= 0x10;
		set_sig(t, sig, siglen);
		break;
	case M_SIG_EMPTY:
		t->len = (size_t)(strrchr(t->p, '.') - t->p) + 1;
		t->p[t->len] = '\0';
		break;
	case M_SWAP_PAYLOAD: {
		char *p2 = expand(PA_CLIENT("\"svc-root\""));

		s = tu_sign(key_by_name(r->key), r->alg, hdr, p2);
		free(p2);
		splice_part(t, s, 1);
		break;
	}
	case M_SWAP_HEADER:
		s = tu_sign(key_by_name(r->key), r->alg, "{\"alg\":\"ES256\",\"kid\":\"ec-1\",\"typ\":\"JWT\"}", pay);
		splice_part(t, s, 0);
		break;
	case M_TWO_PARTS:
		t->len = (size_t)(strrchr(t->p, '.') - t->p);
		t->p[t->len] = '\0';
		break;
	case M_FOUR_PARTS:
	case M_FIVE_PARTS: {
		const char *dot = strrchr(t->p, '.');

		s = cat(t->p, dot, r->mut == M_FIVE_PARTS ? dot : "", NULL);
		tok_set(t, s, strlen(s));
		break;
	}
	case M_EMPTY:
		tok_set(t, "", 0);
		break;
	case M_DOTS:
		tok_set(t, "..", 2);
		break;
	case M_OPAQUE:
		tok_set(t, "2YotnFZFEjr1zCsicMWpAA", 22);
		break;
	case M_PAD_HEADER:
		insert_at(t, (size_t)(strchr(t->p, '.') - t->p), "=", 1);
		break;
	case M_PAD_PAYLOAD:
		insert_at(t, (size_t)(strrchr(t->p, '.') - t->p), "=", 1);
		break;
	case M_PAD_SIG: {
		size_t l = strlen(strrchr(t->p, '.') + 1);

		if (l % 4 == 0) /* no room for real padding: any '=' is still wrong */
			insert_at(t, t->len, "==", 2);
		else
			insert_at(t, t->len, "===", 4 - l % 4);
		break;
	}
	case M_STD_ALPHABET: {
		int changed = 0;

		for (size_t i = 0; i < t->len; i++) {
			if (t->p[i] == '-' || t->p[i] == '_') {
				t->p[i] = t->p[i] == '-' ? '+' : '/';
				changed = 1;
			}
		}
		assert_true(changed);
		break;
	}
	case M_NEWLINE:
		insert_at(t, (size_t)(strchr(t->p, '.') - t->p) + 1, "\n", 1);
		break;
	case M_CRLF_END:
		insert_at(t, t->len, "\r\n", 2);
		break;
	case M_SPACE_END:
		insert_at(t, t->len, " ", 1);
		break;
	case M_TAB_MID:
		insert_at(t, (size_t)(strchr(t->p, '.') - t->p) + 5, "\t", 1);
		break;
	case M_NUL_MID:
		insert_at(t, (size_t)(strchr(t->p, '.') - t->p) + 5, "", 1);
		break;
	case M_NUL_END:
		t->len++; /* the terminating NUL is part of the allocation */
		break;
	case M_OVER_MAX: {
		size_t want = CCAUTH_TOKEN_MAX + 1;
		char *pad;

		assert_true(t->len < want);
		pad = repeat("A", want - t->len, "", 0);
		insert_at(t, t->len, pad, want - t->len);
		free(pad);
		assert_int_equal(t->len, want);
		break;
	}
	case M_HEADER_GARBAGE:
		s = cat("!!", strchr(t->p, '.'), NULL);
		tok_set(t, s, strlen(s));
		break;
	}
	free(sig);
	free(s);
}

/* The error message must not carry any part of the token. */
static void assert_no_echo(const struct row *r, const char *orig, const char *msg)
{
	const char *d1 = strchr(orig, '.'), *d2 = strrchr(orig, '.');
	const char *parts[3];
	size_t lens[3];

	if (d1 == NULL || d2 == NULL || d1 == d2)
		return;
	parts[0] = orig;
	lens[0] = (size_t)(d1 - orig);
	parts[1] = d1 + 1;
	lens[1] = (size_t)(d2 - d1 - 1);
	parts[2] = d2 + 1;
	lens[2] = strlen(d2 + 1);
	for (int i = 0; i < 3; i++) {
		/* any 12-byte window of a part is an echo */
		for (size_t off = 0; lens[i] >= 12 && off + 12 <= lens[i]; off += 6) {
			if (memmem(msg, strlen(msg), parts[i] + off, 12) != NULL)
				fail_msg("%s: error message echoes token part %d: %s", r->name, i, msg);
		}
	}
}

static void run_row(void **state)
{
	const struct row *r = *state;
	struct tok t = {NULL, 0};
	char *hdr = r->hdr ? expand(r->hdr) : NULL, *pay = r->pay ? expand(r->pay) : NULL;
	char *orig;
	const struct ccauth_identity *id = NULL;
	struct ccauth_error err;
	enum ccauth_status st;

	if (r->key != NULL) {
		t.p = tu_sign(key_by_name(r->key), r->alg, hdr, pay);
		t.len = strlen(t.p);
	}
	orig = xstrdup(t.p ? t.p : "");
	mutate(r, &t, hdr, pay);
	if (r->mut == M_UNSIGNED_EMPTY || r->mut == M_UNSIGNED_JUNK || r->mut == M_UNSIGNED_RSASIG ||
	    r->mut == M_HS_PEM || r->mut == M_HS_JWK || r->mut == M_HS_N || r->mut == M_PSS_SALTMAX) {
		free(orig);
		orig = xstrdup(t.p);
	}

	memset(&err, 0, sizeof(err));
	st = ccauth_validate(fx.v, t.p ? t.p : "", t.len, NOW, &id, &err);
	if (st != r->want)
		fail_msg("%s: want %s, got %s (%s)", r->name, ccauth_status_reason(r->want), ccauth_status_reason(st),
		         err.msg);
	if (st == CCAUTH_OK) {
		char *user = expand(r->user);

		assert_non_null(id);
		assert_string_equal(id->user, user);
		assert_int_equal(id->via, CCAUTH_VIA_JWT);
		assert_non_null(id->iss);
		assert_true(strncmp(id->iss, "https://as.example.test/", 24) == 0);
		free(user);
		ccauth_identity_release(id);
	} else {
		if (id != NULL)
			fail_msg("%s: an identity came back with a rejection", r->name);
		assert_int_equal(err.code, st);
		assert_true(err.msg[0] != '\0');
		assert_no_echo(r, orig, err.msg);
		if (t.p != NULL && strlen(t.p) + 1 < t.len) /* a NUL inside: also check what follows it */
			assert_no_echo(r, t.p + strlen(t.p) + 1, err.msg);
	}
	free(orig);
	free(t.p);
	free(hdr);
	free(pay);
}

int main(void)
{
	static struct CMUnitTest tests[NROWS];

	for (size_t i = 0; i < NROWS; i++) {
		tests[i].name = rows[i].name;
		tests[i].test_func = run_row;
		tests[i].setup_func = NULL;
		tests[i].teardown_func = NULL;
		tests[i].initial_state = (void *)&rows[i];
	}
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
