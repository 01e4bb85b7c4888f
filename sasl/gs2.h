/* The OAUTHBEARER (RFC 7628) and XOAUTH2 message codec: pure C, no libsasl.
 *
 * Grammar (RFC 7628 3.1, https://www.rfc-editor.org/rfc/rfc7628#section-3.1; RFC 5801 4,
 * https://www.rfc-editor.org/rfc/rfc5801#section-4):
 *   client-resp = (gs2-header kvsep *kvpair kvsep) / kvsep
 *   gs2-header  = gs2-cb-flag "," [ "a=" saslname ] ","      ; "n" or "y", see below
 *   saslname    = 1*(UTF8-char-safe / "=2C" / "=3D")         ; hex upper case, as RFC 5801 writes it
 *   kvpair      = key "=" value kvsep
 *   key         = 1*ALPHA
 *   value       = *(VCHAR / SP / HTAB / CR / LF)
 *   kvsep       = %x01
 * and the "auth" value (RFC 7235 credentials with RFC 6750 2.1 b64token,
 * https://www.rfc-editor.org/rfc/rfc6750#section-2.1):
 *   auth-value  = "Bearer" 1*SP b64token                     ; scheme case-insensitive
 *   b64token    = 1*(ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/") *"="
 *
 * The grammar of the message and the form of the credential are two questions.  A message that
 * breaks the grammar is refused as CCAUTH_E_MALFORMED (the plugin answers SASL_BADPROT).  An
 * "auth" value is any value: one that is not "Bearer" 1*SP b64token (empty included: "auth=" is
 * how libpq-style clients ask for the issuer) parses, with cred saying so, and the server answers
 * it like an invalid token: the RFC 7628 3.2.2 error challenge, then failure (RFC 6750 3.1 calls a
 * malformed token invalid_token).
 *
 * Choices beyond the ABNF, refused as CCAUTH_E_MALFORMED:
 * - "p=" (channel binding); "y" is accepted like "n": it says the client could bind but thinks the
 *   server cannot, which is true, as no -PLUS variant is offered (RFC 5801 4).  "F," (GSS) refused.
 * - control characters (%x00-1F, %x7F) and invalid UTF-8 in the authzid, although
 *   UTF8-1-safe admits them: an authorization identity with controls is a log injection.
 * - exactly one "auth" (none or two is a protocol error, as RFC 7628 3.1 requires it once);
 *   a repeated "host" or "port" is refused too; unknown keys are ignored.
 * - "host" must not be empty; "port" is 1*5DIGIT in 1..65535.
 * - a NUL byte anywhere; more than CCAUTH_GS2_MAX_MSG bytes.
 * XOAUTH2 (no RFC) stays strict: its auth value must be "Bearer" 1*SP b64token.
 *
 * Ownership: parsed tokens and host are (ptr,len) views into the caller's message, not copies:
 * the caller owns and wipes that buffer (it holds the token).  authzid / user are malloc'd,
 * NUL-terminated copies released by the matching _clear function.  Built messages are malloc'd;
 * they contain the token: release them with ccauth_free_secret(out, outlen).
 * Error messages never quote the input; they name a byte offset.
 */
#ifndef CCAUTH_GS2_H
#define CCAUTH_GS2_H

#include <stddef.h>

#include "error.h"

#define CCAUTH_GS2_MAX_MSG       65536 /* cap on a client response, OAUTHBEARER and XOAUTH2 */
#define CCAUTH_GS2_MAX_CHALLENGE 8192  /* cap on an error challenge the client accepts */
#define CCAUTH_GS2_KVSEP         '\x01'

/* Why a client message was refused (all map to CCAUTH_E_MALFORMED). */
enum ccauth_gs2_reason {
	CCAUTH_GS2_R_OK = 0,
	CCAUTH_GS2_R_GRAMMAR,         /* framing: header, separators, trailing data */
	CCAUTH_GS2_R_CHANNEL_BINDING, /* gs2-cb-flag "p=..." */
	CCAUTH_GS2_R_AUTHZID,         /* bad saslname (escape, empty, controls, UTF-8) */
	CCAUTH_GS2_R_KVPAIR,          /* bad key or value characters, bad host/port, repeated key */
	CCAUTH_GS2_R_AUTH,            /* auth missing, repeated; XOAUTH2: not "Bearer" 1*SP b64token */
	CCAUTH_GS2_R_USER,            /* XOAUTH2: bad user */
	CCAUTH_GS2_R_NUL,             /* NUL byte in the message */
	CCAUTH_GS2_R_TOO_LONG,        /* longer than CCAUTH_GS2_MAX_MSG */
};

/* What a grammatical OAUTHBEARER message carried as its "auth" value. */
enum ccauth_gs2_cred {
	CCAUTH_GS2_CRED_BEARER = 0, /* "Bearer" 1*SP b64token: token is set */
	CCAUTH_GS2_CRED_EMPTY,      /* "auth=": a discovery request */
	CCAUTH_GS2_CRED_MALFORMED,  /* anything else */
};

struct ccauth_oauthbearer_msg {
	char *authzid; /* unescaped, malloc'd; NULL when absent */
	enum ccauth_gs2_cred cred;
	const char *token; /* view into the message; the b64token after "Bearer" and spaces; NULL
	                    * unless cred is CCAUTH_GS2_CRED_BEARER */
	size_t token_len;
	unsigned token_scan; /* what the parser's one scan proved: validate.h CCAUTH_TOKEN_SCAN_* */
	const char *host;    /* view into the message; NULL when absent */
	size_t host_len;
	unsigned port; /* 0 when absent */
	enum ccauth_gs2_reason reason;
};

struct ccauth_xoauth2_msg {
	char *user;        /* malloc'd; never NULL on success */
	const char *token; /* view into the message */
	size_t token_len;
	unsigned token_scan; /* as in struct ccauth_oauthbearer_msg */
	enum ccauth_gs2_reason reason;
};

/* A parsed RFC 7628 3.2.2 / XOAUTH2 error challenge; malloc'd strings, NULL when absent. */
struct ccauth_oauth_challenge {
	char *status;
	char *scope;
	char *openid_configuration;
};

/* Server side: the client's initial response.  out is zeroed first and, on failure, left empty
 * except for out->reason.  CCAUTH_OK means grammatical: check out->cred before using the token. */
enum ccauth_status ccauth_gs2_parse_client(const char *msg, size_t len, struct ccauth_oauthbearer_msg *out,
                                           struct ccauth_error *err);
void ccauth_gs2_msg_clear(struct ccauth_oauthbearer_msg *m);

/* Server side: the client's answer to an error challenge must be exactly one kvsep. */
enum ccauth_status ccauth_gs2_parse_error_ack(const char *msg, size_t len, struct ccauth_error *err);

/* Client side: "n," [a=authzid] "," kvsep [host=H kvsep] [port=P kvsep] auth=Bearer T kvsep kvsep.
 * authzid and host may be NULL (or ""), port 0 omits it.  Inputs the parser would refuse are
 * refused here with CCAUTH_E_MALFORMED, so a built message always parses. */
enum ccauth_status ccauth_gs2_build_client(const char *authzid, const char *host, unsigned port, const char *token,
                                           size_t tlen, char **out, size_t *outlen, struct ccauth_error *err);

/* Server side: the RFC 7628 3.2.2 error JSON, e.g. {"status":"invalid_token","scope":"a b",
 * "openid-configuration":"https://..."}.  scope and url may be NULL (member omitted).  Sent raw:
 * libsasl base64-encodes challenges for protocols that need it. */
enum ccauth_status ccauth_gs2_build_error(const char *status, const char *scope, const char *openid_configuration,
                                          char **out, size_t *outlen, struct ccauth_error *err);

/* Client side: parse an error challenge (OAUTHBEARER or XOAUTH2): a JSON object whose "status"
 * is a string; "scope" and "openid-configuration" optional strings; other members ignored.
 * Strict JSON (common/json.h), at most CCAUTH_GS2_MAX_CHALLENGE bytes. */
enum ccauth_status ccauth_gs2_parse_challenge(const char *msg, size_t len, struct ccauth_oauth_challenge *out,
                                              struct ccauth_error *err);
void ccauth_gs2_challenge_clear(struct ccauth_oauth_challenge *c);

/* XOAUTH2 (Google's format): "user=" user kvsep "auth=" auth-value kvsep kvsep, strictly.  user is
 * 1* of printable ASCII / SP / valid UTF-8, no controls. */
enum ccauth_status ccauth_xoauth2_parse_client(const char *msg, size_t len, struct ccauth_xoauth2_msg *out,
                                               struct ccauth_error *err);
void ccauth_xoauth2_msg_clear(struct ccauth_xoauth2_msg *m);
enum ccauth_status ccauth_xoauth2_build_client(const char *user, const char *token, size_t tlen, char **out,
                                               size_t *outlen, struct ccauth_error *err);

/* XOAUTH2 error: {"status":"401","schemes":"bearer","scope":"..."} (scope may be NULL).  IMAP and
 * SMTP carry it base64-encoded; SASL does that encoding at the protocol layer, so this is the raw
 * JSON the plugin hands to libsasl as its challenge. */
enum ccauth_status ccauth_xoauth2_build_error(const char *scope, char **out, size_t *outlen, struct ccauth_error *err);

#endif
