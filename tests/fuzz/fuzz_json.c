/* libFuzzer harness for common/json.c: parse with the token depth cap, then walk the tree and
 * check what the reader promises (NUL-terminated strings without embedded NUL, valid UTF-8,
 * consistent counts, unique keys, exact int64 values), calling every getter on every member. */
#include "autoconf.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

/* Independent, deliberately naive UTF-8 decoder: well-formed and no U+0000. */
static int utf8_ok(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned long cp;
		size_t len;

		if (s[i] < 0x80) {
			cp = s[i];
			len = 1;
		} else if ((s[i] & 0xE0) == 0xC0) {
			cp = s[i] & 0x1F;
			len = 2;
		} else if ((s[i] & 0xF0) == 0xE0) {
			cp = s[i] & 0x0F;
			len = 3;
		} else if ((s[i] & 0xF8) == 0xF0) {
			cp = s[i] & 0x07;
			len = 4;
		} else
			return 0;
		if (n - i < len)
			return 0;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3F);
		}
		if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000))
			return 0;
		i += len;
	}
	return 1;
}

static void check_text(const char *s, size_t n)
{
	check(s != NULL);
	check(s[n] == '\0');
	check(strlen(s) == n);
	check(utf8_ok((const unsigned char *)s, n));
}

static void walk(const struct ccauth_json *v, unsigned depth)
{
	const struct ccauth_json *m;
	size_t count = 0;

	check(depth <= CCAUTH_JSON_MAX_DEPTH);
	switch (v->type) {
	case CCAUTH_JSON_STRING:
		check_text(v->str, v->len);
		break;
	case CCAUTH_JSON_NUMBER:
		check(v->str != NULL && v->len > 0 && v->str[v->len] == '\0' && strlen(v->str) == v->len);
		if (v->is_int) {
			char buf[32];

			snprintf(buf, sizeof(buf), "%" PRId64, v->i);
			check(strcmp(buf, v->str) == 0 || (strcmp(v->str, "-0") == 0 && v->i == 0));
		} else {
			check(v->i == 0);
		}
		break;
	case CCAUTH_JSON_OBJECT:
	case CCAUTH_JSON_ARRAY:
		for (m = v->child; m != NULL; m = m->next) {
			count++;
			if (v->type == CCAUTH_JSON_OBJECT) {
				const char *s = NULL;
				size_t sl = 0;
				int64_t i = 0;
				int b = 0, present = 0;
				enum ccauth_status st;

				check_text(m->key, m->keylen);
				/* keys are unique, so lookup finds this very member */
				check(ccauth_json_get(v, m->key) == m);
				st = ccauth_json_get_string(v, m->key, &s, &sl, &present);
				check(present == 1);
				check(st == (m->type == CCAUTH_JSON_STRING ? CCAUTH_OK : CCAUTH_E_MALFORMED));
				check(st != CCAUTH_OK || (s == m->str && sl == m->len));
				st = ccauth_json_get_int(v, m->key, INT64_MIN, INT64_MAX, &i, &present);
				check(st ==
				      (m->type == CCAUTH_JSON_NUMBER && m->is_int ? CCAUTH_OK : CCAUTH_E_MALFORMED));
				check(st != CCAUTH_OK || i == m->i);
				if (st == CCAUTH_OK && m->i < INT64_MAX)
					check(ccauth_json_get_int(v, m->key, m->i + 1, INT64_MAX, &i, NULL) ==
					      CCAUTH_E_MALFORMED);
				st = ccauth_json_get_bool(v, m->key, &b, &present);
				check(st == (m->type == CCAUTH_JSON_TRUE || m->type == CCAUTH_JSON_FALSE
				                 ? CCAUTH_OK
				                 : CCAUTH_E_MALFORMED));
			} else {
				check(m->key == NULL);
			}
			walk(m, depth + 1);
		}
		check(count == v->count);
		break;
	default:
		check(v->type == CCAUTH_JSON_NULL || v->type == CCAUTH_JSON_TRUE || v->type == CCAUTH_JSON_FALSE);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ccauth_json_doc *doc = NULL;
	struct ccauth_error err = {0};
	enum ccauth_status st;

	st = ccauth_json_parse((const char *)data, size, 1024 * 1024, CCAUTH_JSON_MAX_DEPTH, &doc, &err);
	if (st != CCAUTH_OK) {
		check(doc == NULL);
		check(st == CCAUTH_E_MALFORMED || st == CCAUTH_E_NOMEM);
		check(strncmp(err.msg, "JSON: ", 6) == 0 && strstr(err.msg, " at offset ") != NULL);
		return 0;
	}
	check(doc != NULL && ccauth_json_root(doc) != NULL);
	walk(ccauth_json_root(doc), 0);
	ccauth_json_free(doc);
	return 0;
}
