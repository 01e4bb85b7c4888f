/* A strict JSON reader for untrusted input (tokens, JWKS, AS responses).
 *
 * Why not json-c for input: json-c silently keeps the last of duplicate keys, lets "\u0000"
 * hide inside strings, and turns out-of-range integers into saturated or double values.  Tokens
 * must be rejected for all three, which would need a second scanner in front of json-c anyway.
 * This reader does it in one pass over (ptr,len) into an arena owned by the document: one
 * allocation for a typical token part.  json-c is used where ccauth *writes* JSON.
 *
 * Rejects (RFC 8259 strict): duplicate keys in any object; any string containing U+0000;
 * invalid UTF-8 (overlongs, surrogates, > U+10FFFF) raw or as lone \u surrogate escapes;
 * NaN/Infinity; leading zeros; trailing garbage; control characters in strings; nesting deeper
 * than max_depth; input longer than max_len.
 */
#ifndef CCAUTH_JSON_H
#define CCAUTH_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define CCAUTH_JSON_MAX_DEPTH 32 /* default depth cap for tokens and AS documents */

enum ccauth_json_type {
	CCAUTH_JSON_NULL,
	CCAUTH_JSON_FALSE,
	CCAUTH_JSON_TRUE,
	CCAUTH_JSON_NUMBER,
	CCAUTH_JSON_STRING,
	CCAUTH_JSON_ARRAY,
	CCAUTH_JSON_OBJECT,
};

struct ccauth_json {
	enum ccauth_json_type type;
	/* STRING: unescaped UTF-8, NUL-terminated, no embedded NUL.  NUMBER: the raw text (NUL-terminated). */
	const char *str;
	size_t len;
	/* NUMBER: is_int is 1 when the text is an integer (no fraction, no exponent) that fits int64. */
	int is_int;
	int64_t i;
	/* members of an OBJECT / elements of an ARRAY, in document order */
	struct ccauth_json *child;
	size_t count;
	/* next sibling; for object members, the member's key */
	struct ccauth_json *next;
	const char *key;
	size_t keylen;
};

struct ccauth_json_doc; /* owns every node and string */

/* Parse.  max_len 0 means no size cap beyond SIZE_MAX.  On error returns CCAUTH_E_MALFORMED
 * (or CCAUTH_E_NOMEM) with a message naming the byte offset, never echoing input text. */
enum ccauth_status ccauth_json_parse(const char *in, size_t len, size_t max_len, unsigned max_depth,
				     struct ccauth_json_doc **out, struct ccauth_error *err);
const struct ccauth_json *ccauth_json_root(const struct ccauth_json_doc *doc);
void ccauth_json_free(struct ccauth_json_doc *doc);

/* Member lookup in an OBJECT (exact key bytes); NULL if absent or obj is not an object. */
const struct ccauth_json *ccauth_json_get(const struct ccauth_json *obj, const char *key);

/* Typed getters.  Return CCAUTH_OK, or CCAUTH_E_MALFORMED when the member exists with the wrong
 * type / out of range.  *present (may be NULL) says whether the member exists at all; a missing
 * member returns CCAUTH_OK with *present = 0 and leaves *out untouched. */
enum ccauth_status ccauth_json_get_string(const struct ccauth_json *obj, const char *key, const char **out,
					  size_t *outlen, int *present);
/* A JSON integer (no fraction/exponent, not a string) in [min, max]. */
enum ccauth_status ccauth_json_get_int(const struct ccauth_json *obj, const char *key, int64_t min, int64_t max,
				       int64_t *out, int *present);
/* A JSON boolean. */
enum ccauth_status ccauth_json_get_bool(const struct ccauth_json *obj, const char *key, int *out, int *present);

#endif
