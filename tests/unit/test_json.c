/* common/json.c: the strict reader.  Table-driven rejections (each with its status and the byte
 * offset named in the message), accepted documents of every type, the typed getters, and the
 * hostile shapes: deep nesting, huge strings, big objects, int64 edges. */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "json.h"

#define S(lit) lit, sizeof(lit) - 1

struct reject_case {
	const char *name;
	const char *in;
	size_t len;
	size_t max_len;
	unsigned max_depth;
	enum ccauth_status want;
	size_t offset;
};

/* clang-format off */
static const struct reject_case rejects[] = {
	{ "whitespace only", S("  \n\t "), 0, 32, CCAUTH_E_MALFORMED, 5 },
	{ "truncated literal", S("nul"), 0, 32, CCAUTH_E_MALFORMED, 0 },
	{ "capitalised literal", S("True"), 0, 32, CCAUTH_E_MALFORMED, 0 },
	{ "literal with trailing letter", S("nulll"), 0, 32, CCAUTH_E_MALFORMED, 4 },
	{ "NaN", S("NaN"), 0, 32, CCAUTH_E_MALFORMED, 0 },
	{ "Infinity", S("Infinity"), 0, 32, CCAUTH_E_MALFORMED, 0 },
	{ "-Infinity", S("-Infinity"), 0, 32, CCAUTH_E_MALFORMED, 1 },
	{ "leading plus", S("+1"), 0, 32, CCAUTH_E_MALFORMED, 0 },
	{ "leading zero", S("01"), 0, 32, CCAUTH_E_MALFORMED, 1 },
	{ "negative leading zero", S("-01"), 0, 32, CCAUTH_E_MALFORMED, 2 },
	{ "leading zero in array", S("[007]"), 0, 32, CCAUTH_E_MALFORMED, 2 },
	{ "dot without fraction", S("1."), 0, 32, CCAUTH_E_MALFORMED, 2 },
	{ "dot without integer", S(".5"), 0, 32, CCAUTH_E_MALFORMED, 0 },
	{ "dot then exponent", S("1.e5"), 0, 32, CCAUTH_E_MALFORMED, 2 },
	{ "empty exponent", S("1e"), 0, 32, CCAUTH_E_MALFORMED, 2 },
	{ "signed empty exponent", S("1e+"), 0, 32, CCAUTH_E_MALFORMED, 3 },
	{ "lone minus", S("-"), 0, 32, CCAUTH_E_MALFORMED, 1 },
	{ "double minus", S("--1"), 0, 32, CCAUTH_E_MALFORMED, 1 },
	{ "hex number", S("0x10"), 0, 32, CCAUTH_E_MALFORMED, 1 },
	{ "two fractions", S("1.5.2"), 0, 32, CCAUTH_E_MALFORMED, 3 },
	{ "trailing comma in array", S("[1,]"), 0, 32, CCAUTH_E_MALFORMED, 3 },
	{ "leading comma in array", S("[,1]"), 0, 32, CCAUTH_E_MALFORMED, 1 },
	{ "double comma", S("[1,,2]"), 0, 32, CCAUTH_E_MALFORMED, 3 },
	{ "missing comma", S("[1 2]"), 0, 32, CCAUTH_E_MALFORMED, 3 },
	{ "trailing comma in object", S("{\"a\":1,}"), 0, 32, CCAUTH_E_MALFORMED, 7 },
	{ "member without value", S("{\"a\"}"), 0, 32, CCAUTH_E_MALFORMED, 4 },
	{ "member without colon", S("{\"a\" 1}"), 0, 32, CCAUTH_E_MALFORMED, 5 },
	{ "unquoted key", S("{a:1}"), 0, 32, CCAUTH_E_MALFORMED, 1 },
	{ "number key", S("{1:2}"), 0, 32, CCAUTH_E_MALFORMED, 1 },
	{ "single quotes", S("'a'"), 0, 32, CCAUTH_E_MALFORMED, 0 },
	{ "mismatched bracket", S("[1}"), 0, 32, CCAUTH_E_MALFORMED, 2 },
	{ "mismatched brace", S("{\"a\":1]"), 0, 32, CCAUTH_E_MALFORMED, 6 },
	{ "unclosed array", S("[1"), 0, 32, CCAUTH_E_MALFORMED, 2 },
	{ "unclosed object", S("{"), 0, 32, CCAUTH_E_MALFORMED, 1 },
	{ "unclosed after colon", S("{\"a\":"), 0, 32, CCAUTH_E_MALFORMED, 5 },
	{ "trailing garbage", S("[1] x"), 0, 32, CCAUTH_E_MALFORMED, 4 },
	{ "two documents", S("{} {}"), 0, 32, CCAUTH_E_MALFORMED, 3 },
	{ "trailing NUL", "[1]\0", 4, 0, 32, CCAUTH_E_MALFORMED, 3 },
	{ "trailing comment", S("[1]//"), 0, 32, CCAUTH_E_MALFORMED, 3 },
	{ "byte order mark", S("\xef\xbb\xbf{}"), 0, 32, CCAUTH_E_MALFORMED, 0 },
	{ "form feed is not whitespace", S("\f[]"), 0, 32, CCAUTH_E_MALFORMED, 0 },
	{ "unterminated string", S("\"abc"), 0, 32, CCAUTH_E_MALFORMED, 0 },
	{ "unterminated after escaped quote", S("\"\\\""), 0, 32, CCAUTH_E_MALFORMED, 0 },
	{ "unknown escape", S("\"a\\x\""), 0, 32, CCAUTH_E_MALFORMED, 2 },
	{ "escaped apostrophe", S("\"\\'\""), 0, 32, CCAUTH_E_MALFORMED, 1 },
	{ "short \\u", S("\"\\u12\""), 0, 32, CCAUTH_E_MALFORMED, 1 },
	{ "non-hex \\u", S("\"\\u12g4\""), 0, 32, CCAUTH_E_MALFORMED, 1 },
	{ "\\u0000", S("\"a\\u0000b\""), 0, 32, CCAUTH_E_MALFORMED, 2 },
	{ "\\u0000 in key", S("{\"\\u0000\":1}"), 0, 32, CCAUTH_E_MALFORMED, 2 },
	{ "raw NUL in string", "\"a\0b\"", 5, 0, 32, CCAUTH_E_MALFORMED, 2 },
	{ "raw 0x01 in string", S("\"\x01\""), 0, 32, CCAUTH_E_MALFORMED, 1 },
	{ "raw tab in string", S("\"a\tb\""), 0, 32, CCAUTH_E_MALFORMED, 2 },
	{ "raw newline in string", S("\"a\nb\""), 0, 32, CCAUTH_E_MALFORMED, 2 },
	{ "raw 0x1f in string", S("\"\x1f\""), 0, 32, CCAUTH_E_MALFORMED, 1 },
	{ "lone high surrogate", S("\"\\ud800\""), 0, 32, CCAUTH_E_MALFORMED, 1 },
	{ "lone low surrogate", S("\"\\udc00\""), 0, 32, CCAUTH_E_MALFORMED, 1 },
	{ "high surrogate then letter", S("\"\\ud83dx\""), 0, 32, CCAUTH_E_MALFORMED, 1 },
	{ "high surrogate then BMP escape", S("\"\\ud800\\u0041\""), 0, 32, CCAUTH_E_MALFORMED, 1 },
	{ "two high surrogates", S("\"\\ud800\\ud800\""), 0, 32, CCAUTH_E_MALFORMED, 1 },
	{ "swapped surrogate pair", S("\"\\ude00\\ud83d\""), 0, 32, CCAUTH_E_MALFORMED, 1 },
	{ "high surrogate at end", S("\"\\ud83d\\ude0\""), 0, 32, CCAUTH_E_MALFORMED, 1 },
	{ "overlong 2-byte", S("\"\xc0\xaf\""), 0, 32, CCAUTH_E_MALFORMED, 1 },
	{ "overlong 2-byte C1", S("\"\xc1\xbf\""), 0, 32, CCAUTH_E_MALFORMED, 1 },
	{ "overlong 3-byte", S("\"\xe0\x80\xaf\""), 0, 32, CCAUTH_E_MALFORMED, 1 },
	{ "overlong 4-byte", S("\"\xf0\x80\x80\xaf\""), 0, 32, CCAUTH_E_MALFORMED, 1 },
	{ "UTF-8 encoded surrogate", S("\"\xed\xa0\x80\""), 0, 32, CCAUTH_E_MALFORMED, 1 },
	{ "UTF-8 encoded low surrogate", S("\"ab\xed\xbf\xbf\""), 0, 32, CCAUTH_E_MALFORMED, 3 },
	{ "above U+10FFFF", S("\"\xf4\x90\x80\x80\""), 0, 32, CCAUTH_E_MALFORMED, 1 },
	{ "lead byte F5", S("\"\xf5\x80\x80\x80\""), 0, 32, CCAUTH_E_MALFORMED, 1 },
	{ "byte FF", S("\"\xff\""), 0, 32, CCAUTH_E_MALFORMED, 1 },
	{ "lone continuation byte", S("\"a\x80\""), 0, 32, CCAUTH_E_MALFORMED, 2 },
	{ "truncated 3-byte sequence", S("\"\xe2\x82\""), 0, 32, CCAUTH_E_MALFORMED, 1 },
	{ "truncated 4-byte before ASCII", S("\"\xf0\x9f\x98" "a\""), 0, 32, CCAUTH_E_MALFORMED, 1 },
	{ "UTF-8 outside string", S("[\xc3\xa9]"), 0, 32, CCAUTH_E_MALFORMED, 1 },
	{ "duplicate key", S("{\"a\":1,\"a\":2}"), 0, 32, CCAUTH_E_MALFORMED, 7 },
	{ "duplicate key via escape", S("{\"a\":1,\"\\u0061\":2}"), 0, 32, CCAUTH_E_MALFORMED, 7 },
	{ "duplicate key via \\/", S("{\"a/b\":1,\"a\\/b\":2}"), 0, 32, CCAUTH_E_MALFORMED, 9 },
	{ "duplicate key, different types", S("{\"k\":null,\"x\":0,\"k\":{}}"), 0, 32, CCAUTH_E_MALFORMED, 16 },
	{ "duplicate key nested", S("[{\"x\":{\"b\":1,\"b\":2}}]"), 0, 32, CCAUTH_E_MALFORMED, 13 },
	{ "duplicate empty key", S("{\"\":1,\"\":2}"), 0, 32, CCAUTH_E_MALFORMED, 6 },
	{ "depth 3 with max 2", S("[[[]]]"), 0, 2, CCAUTH_E_MALFORMED, 2 },
	{ "object depth 2 with max 1", S("{\"a\":{}}"), 0, 1, CCAUTH_E_MALFORMED, 5 },
	{ "input longer than max_len", S("[1,2,3]"), 6, 32, CCAUTH_E_MALFORMED, 6 },
};
/* clang-format on */

static void check_msg(const struct ccauth_error *err, size_t offset)
{
	char want[64];

	snprintf(want, sizeof(want), " at offset %zu", offset);
	assert_int_equal(strncmp(err->msg, "JSON: ", 6), 0);
	assert_non_null(strstr(err->msg, want));
	/* and the offset is the last thing in the message */
	assert_string_equal(err->msg + strlen(err->msg) - strlen(want), want);
}

static void test_rejects(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof(rejects) / sizeof(rejects[0]); k++) {
		const struct reject_case *c = &rejects[k];
		struct ccauth_json_doc *doc = (struct ccauth_json_doc *)&doc;
		struct ccauth_error err = {0};
		enum ccauth_status st = ccauth_json_parse(c->in, c->len, c->max_len, c->max_depth, &doc, &err);

		char want[64];

		snprintf(want, sizeof(want), " at offset %zu", c->offset);
		if (st != c->want || strstr(err.msg, want) == NULL)
			print_error("case \"%s\": status %d, want offset %zu, message \"%s\"\n", c->name, st, c->offset,
			            err.msg);
		assert_int_equal(st, c->want);
		assert_null(doc);
		assert_int_equal(err.code, c->want);
		check_msg(&err, c->offset);
	}
	assert_true(sizeof(rejects) / sizeof(rejects[0]) >= 40);
}

static void test_empty_and_null(void **state)
{
	struct ccauth_json_doc *doc = NULL;
	struct ccauth_error err = {0};

	(void)state;
	assert_int_equal(ccauth_json_parse("", 0, 0, 32, &doc, &err), CCAUTH_E_MALFORMED);
	assert_null(doc);
	assert_string_equal(err.msg, "JSON: empty input at offset 0");
	assert_int_equal(ccauth_json_parse(NULL, 5, 0, 32, &doc, &err), CCAUTH_E_MALFORMED);
	assert_null(doc);
	assert_int_equal(ccauth_json_parse("{}", 2, 0, 32, NULL, &err), CCAUTH_E_INTERNAL);
	/* err may be NULL */
	assert_int_equal(ccauth_json_parse("[", 1, 0, 32, &doc, NULL), CCAUTH_E_MALFORMED);
	assert_null(ccauth_json_root(NULL));
	ccauth_json_free(NULL);
}

static const struct ccauth_json *parse_ok(struct ccauth_json_doc **doc, const char *in, size_t len)
{
	struct ccauth_error err = {0};
	enum ccauth_status st = ccauth_json_parse(in, len, 0, CCAUTH_JSON_MAX_DEPTH, doc, &err);

	if (st != CCAUTH_OK)
		print_error("parse failed: %s\n", err.msg);
	assert_int_equal(st, CCAUTH_OK);
	assert_non_null(*doc);
	assert_non_null(ccauth_json_root(*doc));
	return ccauth_json_root(*doc);
}

static void test_scalars(void **state)
{
	struct ccauth_json_doc *doc;
	const struct ccauth_json *r;

	(void)state;
	r = parse_ok(&doc, S("null"));
	assert_int_equal(r->type, CCAUTH_JSON_NULL);
	ccauth_json_free(doc);
	r = parse_ok(&doc, S(" true "));
	assert_int_equal(r->type, CCAUTH_JSON_TRUE);
	ccauth_json_free(doc);
	r = parse_ok(&doc, S("\r\n\tfalse\n"));
	assert_int_equal(r->type, CCAUTH_JSON_FALSE);
	ccauth_json_free(doc);
	r = parse_ok(&doc, S("\"\""));
	assert_int_equal(r->type, CCAUTH_JSON_STRING);
	assert_int_equal(r->len, 0);
	assert_string_equal(r->str, "");
	ccauth_json_free(doc);
	r = parse_ok(&doc, S("{}"));
	assert_int_equal(r->type, CCAUTH_JSON_OBJECT);
	assert_int_equal(r->count, 0);
	assert_null(r->child);
	ccauth_json_free(doc);
	r = parse_ok(&doc, S("[ ]"));
	assert_int_equal(r->type, CCAUTH_JSON_ARRAY);
	assert_int_equal(r->count, 0);
	assert_null(r->child);
	ccauth_json_free(doc);
}

struct num_case {
	const char *in;
	int is_int;
	int64_t i;
};

static void test_numbers(void **state)
{
	static const struct num_case cases[] = {
	    {"0", 1, 0},
	    {"-0", 1, 0},
	    {"7", 1, 7},
	    {"-42", 1, -42},
	    {"1700000000", 1, 1700000000},
	    {"9223372036854775807", 1, INT64_MAX},
	    {"-9223372036854775808", 1, INT64_MIN},
	    {"9223372036854775806", 1, INT64_MAX - 1},
	    {"-9223372036854775807", 1, INT64_MIN + 1},
	    {"9223372036854775808", 0, 0},
	    {"-9223372036854775809", 0, 0},
	    {"18446744073709551615", 0, 0},
	    {"18446744073709551616", 0, 0},
	    {"92233720368547758070", 0, 0},
	    {"100000000000000000000000000000000000000000000000000000000000", 0, 0},
	    {"1.0", 0, 0},
	    {"1e3", 0, 0},
	    {"1E3", 0, 0},
	    {"0.5", 0, 0},
	    {"-0.0", 0, 0},
	    {"1e-2", 0, 0},
	    {"-1.5e+10", 0, 0},
	    {"0e0", 0, 0},
	    {"1E-0", 0, 0},
	};

	(void)state;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct ccauth_json_doc *doc;
		const struct ccauth_json *r = parse_ok(&doc, cases[k].in, strlen(cases[k].in));

		assert_int_equal(r->type, CCAUTH_JSON_NUMBER);
		assert_string_equal(r->str, cases[k].in);
		assert_int_equal(r->len, strlen(cases[k].in));
		assert_int_equal(r->is_int, cases[k].is_int);
		if (cases[k].is_int)
			assert_true(r->i == cases[k].i);
		else
			assert_true(r->i == 0);
		ccauth_json_free(doc);
	}
}

struct str_case {
	const char *in;
	const char *out;
	size_t outlen;
};

static void test_strings(void **state)
{
	static const struct str_case cases[] = {
	    {"\"abc\"", "abc", 3},
	    {"\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\b\f\n\r\t", 8},
	    {"\"\\u0041\\u00e9\\u20AC\"", "A\xc3\xa9\xe2\x82\xac", 6},
	    {"\"\\u007f\\u0080\\u07ff\\u0800\\uffff\"", "\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf", 11},
	    {"\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80", 4},
	    {"\"\\uD800\\uDC00\"", "\xf0\x90\x80\x80", 4},
	    {"\"\\udbff\\udfff\"", "\xf4\x8f\xbf\xbf", 4},
	    {"\"x\\ud83d\\ude00y\"", "x\xf0\x9f\x98\x80y", 6},
	    {"\"\\u0001\\u001f\"", "\x01\x1f", 2},
	    {"\"\xc2\x80\xdf\xbf\"", "\xc2\x80\xdf\xbf", 4},
	    {"\"\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf\"", "\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf",
	     12},
	    {"\"\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\"", "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf", 8},
	    {"\"\xf0\x9f\x98\x80\"", "\xf0\x9f\x98\x80", 4},
	    {"\"\x7f\"", "\x7f", 1},
	};

	(void)state;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct ccauth_json_doc *doc;
		const struct ccauth_json *r = parse_ok(&doc, cases[k].in, strlen(cases[k].in));

		assert_int_equal(r->type, CCAUTH_JSON_STRING);
		assert_int_equal(r->len, cases[k].outlen);
		assert_memory_equal(r->str, cases[k].out, cases[k].outlen);
		assert_int_equal(r->str[r->len], '\0');
		ccauth_json_free(doc);
	}
}

static void test_structure(void **state)
{
	static const char in[] = "{\"iss\":\"https://as.example\",\"aud\":[\"a\",\"b\",3,null],\"n\":{\"x\":true,"
	                         "\"y\":false},\"\\u00e9\\n\":\"k\",\"e\":{},\"z\":[]}";
	struct ccauth_json_doc *doc;
	const struct ccauth_json *r, *m, *e;

	(void)state;
	r = parse_ok(&doc, S(in));
	assert_int_equal(r->type, CCAUTH_JSON_OBJECT);
	assert_int_equal(r->count, 6);
	assert_null(r->key);
	/* document order, keys attached to the member values */
	m = r->child;
	assert_string_equal(m->key, "iss");
	assert_int_equal(m->keylen, 3);
	assert_string_equal(m->str, "https://as.example");
	m = m->next;
	assert_string_equal(m->key, "aud");
	assert_int_equal(m->type, CCAUTH_JSON_ARRAY);
	assert_int_equal(m->count, 4);
	e = m->child;
	assert_string_equal(e->str, "a");
	assert_null(e->key);
	e = e->next;
	assert_string_equal(e->str, "b");
	e = e->next;
	assert_int_equal(e->type, CCAUTH_JSON_NUMBER);
	assert_int_equal(e->i, 3);
	e = e->next;
	assert_int_equal(e->type, CCAUTH_JSON_NULL);
	assert_null(e->next);
	m = m->next;
	assert_string_equal(m->key, "n");
	assert_int_equal(m->count, 2);
	assert_int_equal(m->child->type, CCAUTH_JSON_TRUE);
	assert_int_equal(m->child->next->type, CCAUTH_JSON_FALSE);
	m = m->next;
	assert_int_equal(m->keylen, 3);
	assert_memory_equal(m->key, "\xc3\xa9\n", 4);
	m = m->next;
	assert_int_equal(m->type, CCAUTH_JSON_OBJECT);
	assert_int_equal(m->count, 0);
	m = m->next;
	assert_int_equal(m->type, CCAUTH_JSON_ARRAY);
	assert_null(m->next);

	assert_ptr_equal(ccauth_json_get(r, "iss"), r->child);
	assert_non_null(ccauth_json_get(r, "\xc3\xa9\n"));
	assert_null(ccauth_json_get(r, "is"));
	assert_null(ccauth_json_get(r, "isss"));
	assert_null(ccauth_json_get(r, "ISS"));
	assert_null(ccauth_json_get(ccauth_json_get(r, "aud"), "a"));
	assert_null(ccauth_json_get(NULL, "iss"));
	assert_ptr_equal(ccauth_json_get(ccauth_json_get(r, "n"), "y"), r->child->next->next->child->next);
	ccauth_json_free(doc);
}

static void test_getters(void **state)
{
	static const char in[] = "{\"s\":\"val\",\"i\":1700000000,\"neg\":-5,\"f\":1.0,\"e\":1e3,\"si\":\"123\","
	                         "\"t\":true,\"fa\":false,\"nu\":null,\"big\":9223372036854775808,\"o\":{\"k\":1},"
	                         "\"a\":[1]}";
	struct ccauth_json_doc *doc;
	const struct ccauth_json *r;
	const char *s = "untouched";
	size_t sl = 99;
	int64_t i = 77;
	int b = 5, present = 9;

	(void)state;
	r = parse_ok(&doc, S(in));
	/* string */
	assert_int_equal(ccauth_json_get_string(r, "s", &s, &sl, &present), CCAUTH_OK);
	assert_string_equal(s, "val");
	assert_int_equal(sl, 3);
	assert_int_equal(present, 1);
	s = "untouched";
	assert_int_equal(ccauth_json_get_string(r, "missing", &s, &sl, &present), CCAUTH_OK);
	assert_int_equal(present, 0);
	assert_string_equal(s, "untouched");
	assert_int_equal(ccauth_json_get_string(r, "i", &s, &sl, &present), CCAUTH_E_MALFORMED);
	assert_int_equal(present, 1);
	assert_int_equal(ccauth_json_get_string(r, "nu", &s, &sl, NULL), CCAUTH_E_MALFORMED);
	assert_int_equal(ccauth_json_get_string(r, "o", &s, &sl, NULL), CCAUTH_E_MALFORMED);
	assert_int_equal(ccauth_json_get_string(r, "a", &s, &sl, NULL), CCAUTH_E_MALFORMED);
	assert_int_equal(ccauth_json_get_string(r, "t", &s, NULL, NULL), CCAUTH_E_MALFORMED);
	assert_string_equal(s, "untouched");
	/* int */
	assert_int_equal(ccauth_json_get_int(r, "i", 0, INT64_MAX, &i, &present), CCAUTH_OK);
	assert_true(i == 1700000000);
	assert_int_equal(present, 1);
	assert_int_equal(ccauth_json_get_int(r, "neg", -5, -5, &i, NULL), CCAUTH_OK);
	assert_true(i == -5);
	i = 77;
	assert_int_equal(ccauth_json_get_int(r, "neg", 0, 10, &i, &present), CCAUTH_E_MALFORMED);
	assert_int_equal(present, 1);
	assert_int_equal(ccauth_json_get_int(r, "i", 0, 1699999999, &i, NULL), CCAUTH_E_MALFORMED);
	assert_int_equal(ccauth_json_get_int(r, "i", 1700000001, INT64_MAX, &i, NULL), CCAUTH_E_MALFORMED);
	assert_int_equal(ccauth_json_get_int(r, "f", INT64_MIN, INT64_MAX, &i, NULL), CCAUTH_E_MALFORMED);
	assert_int_equal(ccauth_json_get_int(r, "e", INT64_MIN, INT64_MAX, &i, NULL), CCAUTH_E_MALFORMED);
	assert_int_equal(ccauth_json_get_int(r, "si", INT64_MIN, INT64_MAX, &i, NULL), CCAUTH_E_MALFORMED);
	assert_int_equal(ccauth_json_get_int(r, "big", INT64_MIN, INT64_MAX, &i, NULL), CCAUTH_E_MALFORMED);
	assert_int_equal(ccauth_json_get_int(r, "t", INT64_MIN, INT64_MAX, &i, NULL), CCAUTH_E_MALFORMED);
	assert_int_equal(ccauth_json_get_int(r, "nu", INT64_MIN, INT64_MAX, &i, NULL), CCAUTH_E_MALFORMED);
	assert_true(i == 77);
	assert_int_equal(ccauth_json_get_int(r, "nope", INT64_MIN, INT64_MAX, &i, &present), CCAUTH_OK);
	assert_int_equal(present, 0);
	assert_true(i == 77);
	/* bool */
	assert_int_equal(ccauth_json_get_bool(r, "t", &b, &present), CCAUTH_OK);
	assert_int_equal(b, 1);
	assert_int_equal(present, 1);
	assert_int_equal(ccauth_json_get_bool(r, "fa", &b, NULL), CCAUTH_OK);
	assert_int_equal(b, 0);
	b = 5;
	assert_int_equal(ccauth_json_get_bool(r, "s", &b, NULL), CCAUTH_E_MALFORMED);
	assert_int_equal(ccauth_json_get_bool(r, "i", &b, NULL), CCAUTH_E_MALFORMED);
	assert_int_equal(ccauth_json_get_bool(r, "nu", &b, NULL), CCAUTH_E_MALFORMED);
	assert_int_equal(b, 5);
	assert_int_equal(ccauth_json_get_bool(r, "nope", &b, &present), CCAUTH_OK);
	assert_int_equal(present, 0);
	assert_int_equal(b, 5);
	/* a NULL object has no members; a non-object is malformed */
	present = 9;
	assert_int_equal(ccauth_json_get_string(NULL, "s", &s, &sl, &present), CCAUTH_OK);
	assert_int_equal(present, 0);
	assert_int_equal(ccauth_json_get_int(ccauth_json_get(r, "a"), "s", 0, 1, &i, &present), CCAUTH_E_MALFORMED);
	assert_int_equal(present, 0);
	assert_int_equal(ccauth_json_get_bool(ccauth_json_get(r, "s"), "s", &b, NULL), CCAUTH_E_MALFORMED);
	ccauth_json_free(doc);
}

static char *deep(size_t n, int closed)
{
	char *s = malloc(2 * n + 2);

	assert_non_null(s);
	memset(s, '[', n);
	if (closed)
		memset(s + n, ']', n);
	s[closed ? 2 * n : n] = '\0';
	return s;
}

static void test_deep_nesting(void **state)
{
	struct ccauth_json_doc *doc = NULL;
	struct ccauth_error err = {0};
	char *s = deep(100000, 0);
	const struct ccauth_json *r;

	(void)state;
	assert_int_equal(ccauth_json_parse(s, 100000, 0, CCAUTH_JSON_MAX_DEPTH, &doc, &err), CCAUTH_E_MALFORMED);
	assert_null(doc);
	assert_string_equal(err.msg, "JSON: nesting too deep at offset 32");
	/* max_depth 0 means the default cap */
	assert_int_equal(ccauth_json_parse(s, 100000, 0, 0, &doc, &err), CCAUTH_E_MALFORMED);
	assert_string_equal(err.msg, "JSON: nesting too deep at offset 32");
	/* a caller that allows deep nesting still does not recurse: unclosed fails at the end */
	assert_int_equal(ccauth_json_parse(s, 100000, 0, 1000000, &doc, &err), CCAUTH_E_MALFORMED);
	assert_string_equal(err.msg, "JSON: unexpected end of input at offset 100000");
	free(s);

	s = deep(100000, 1);
	assert_int_equal(ccauth_json_parse(s, 200000, 0, 100000, &doc, &err), CCAUTH_OK);
	r = ccauth_json_root(doc);
	for (int d = 1; d < 100000; d++) {
		assert_int_equal(r->type, CCAUTH_JSON_ARRAY);
		assert_int_equal(r->count, 1);
		r = r->child;
	}
	assert_int_equal(r->count, 0);
	ccauth_json_free(doc);
	assert_int_equal(ccauth_json_parse(s, 200000, 0, 99999, &doc, &err), CCAUTH_E_MALFORMED);
	assert_string_equal(err.msg, "JSON: nesting too deep at offset 99999");
	free(s);

	/* exactly at the cap is fine */
	s = deep(32, 1);
	assert_int_equal(ccauth_json_parse(s, 64, 0, 32, &doc, &err), CCAUTH_OK);
	ccauth_json_free(doc);
	assert_int_equal(ccauth_json_parse(s, 64, 0, 31, &doc, &err), CCAUTH_E_MALFORMED);
	free(s);
}

static void test_huge_string(void **state)
{
	size_t n = 1024 * 1024;
	char *s = malloc(n + 2);
	struct ccauth_json_doc *doc = NULL;
	struct ccauth_error err = {0};
	const struct ccauth_json *r;

	(void)state;
	assert_non_null(s);
	s[0] = '"';
	memset(s + 1, 'x', n);
	s[n + 1] = '"';
	assert_int_equal(ccauth_json_parse(s, n + 2, 65536, 32, &doc, &err), CCAUTH_E_MALFORMED);
	assert_null(doc);
	assert_string_equal(err.msg, "JSON: input longer than 65536 bytes at offset 65536");
	assert_int_equal(ccauth_json_parse(s, n + 2, n + 2, 32, &doc, &err), CCAUTH_OK);
	r = ccauth_json_root(doc);
	assert_int_equal(r->len, n);
	assert_int_equal(r->str[n - 1], 'x');
	assert_int_equal(r->str[n], '\0');
	ccauth_json_free(doc);
	free(s);
}

/* An array of many members spans several arena blocks; every value must survive. */
static void test_many_nodes(void **state)
{
	size_t n = 20000, cap = n * 40 + 16, o = 0;
	char *s = malloc(cap);
	struct ccauth_json_doc *doc;
	const struct ccauth_json *r, *e;
	size_t k = 0;

	(void)state;
	assert_non_null(s);
	s[o++] = '[';
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(s + o, cap - o, "%s{\"v\":\"s%zu\",\"n\":%zu}", i ? "," : "", i, i);
	s[o++] = ']';
	r = parse_ok(&doc, s, o);
	assert_int_equal(r->count, n);
	for (e = r->child; e != NULL; e = e->next, k++) {
		char want[32];
		int64_t v;

		snprintf(want, sizeof(want), "s%zu", k);
		assert_string_equal(ccauth_json_get(e, "v")->str, want);
		assert_int_equal(ccauth_json_get_int(e, "n", 0, INT64_MAX, &v, NULL), CCAUTH_OK);
		assert_true(v == (int64_t)k);
	}
	assert_int_equal(k, n);
	ccauth_json_free(doc);
	free(s);
}

/* Objects beyond the linear-scan size are checked by sorting: duplicates anywhere are found. */
static void test_big_objects(void **state)
{
	size_t n = 5000, cap = n * 24 + 64;
	char *s = malloc(cap);
	struct ccauth_json_doc *doc = NULL;
	struct ccauth_error err = {0};

	(void)state;
	assert_non_null(s);
	for (size_t members = 31; members <= n; members = members < 40 ? members + 1 : members * 5) {
		size_t o = 0;

		s[o++] = '{';
		for (size_t i = 0; i < members; i++)
			o += (size_t)snprintf(s + o, cap - o, "%s\"k%zu\":%zu", i ? "," : "", i, i);
		s[o++] = '}';
		assert_int_equal(ccauth_json_parse(s, o, 0, 32, &doc, &err), CCAUTH_OK);
		assert_int_equal(ccauth_json_root(doc)->count, members);
		assert_non_null(ccauth_json_get(ccauth_json_root(doc), "k0"));
		ccauth_json_free(doc);
		/* now repeat the first key as the last member */
		o--;
		o += (size_t)snprintf(s + o, cap - o, ",\"k0\":1}");
		assert_int_equal(ccauth_json_parse(s, o, 0, 32, &doc, &err), CCAUTH_E_MALFORMED);
		assert_null(doc);
		assert_non_null(strstr(err.msg, "duplicate key"));
		/* and two keys differing only in an escape, in the middle */
		o = 0;
		s[o++] = '{';
		for (size_t i = 0; i < members; i++)
			o += (size_t)snprintf(s + o, cap - o, "%s\"k%zu\":%zu", i ? "," : "", i, i);
		o += (size_t)snprintf(s + o, cap - o, ",\"k\\u0031\":0}");
		assert_int_equal(ccauth_json_parse(s, o, 0, 32, &doc, &err), CCAUTH_E_MALFORMED);
	}
	free(s);
}

/* Messages name offsets only, never input text (tokens and AS responses pass through here). */
static void test_no_echo(void **state)
{
	static const char *const ins[] = {
	    "{\"SECRETKEY\":1,\"SECRETKEY\":2}",
	    "{\"access_token\":\"SECRETVALUE",
	    "{\"access_token\":\"SECRETVALUE\\q\"}",
	    "[SECRETVALUE]",
	    "{\"a\":1} SECRETVALUE",
	};

	(void)state;
	for (size_t k = 0; k < sizeof(ins) / sizeof(ins[0]); k++) {
		struct ccauth_json_doc *doc;
		struct ccauth_error err = {0};

		assert_int_equal(ccauth_json_parse(ins[k], strlen(ins[k]), 0, 32, &doc, &err), CCAUTH_E_MALFORMED);
		assert_null(strstr(err.msg, "SECRET"));
		assert_non_null(strstr(err.msg, " at offset "));
	}
}

/* A realistic access-token payload parses into a single document with the expected claims. */
static void test_token_payload(void **state)
{
	static const char in[] =
	    "{\"iss\":\"https://sso-abc.sso.duosecurity.com/oauth/"
	    "DIXXXXXXXXXXXXXXXXXX\",\"sub\":\"DIXXXXXXXXXXXXXXXXXX\","
	    "\"aud\":[\"ldap://ldap.example.com\",\"https://api.example.com\"],\"client_id\":\"DIXXXXXXXXXXXXXXXXXX\","
	    "\"scope\":\"ldap.read ldap.write openid\",\"iat\":1700000000,\"nbf\":1700000000,\"exp\":1700003600,"
	    "\"jti\":\"6c1f2a9e-0b9b-4a3d-9a53-1b5d2f7c8e41\",\"typ\":\"at+jwt\",\"auth_time\":1700000000,"
	    "\"cnf\":{\"x5t#S256\":\"bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2\"},\"active\":true}";
	struct ccauth_json_doc *doc;
	const struct ccauth_json *r;
	int64_t exp;
	const char *iss;

	(void)state;
	r = parse_ok(&doc, S(in));
	assert_int_equal(r->count, 13);
	assert_int_equal(ccauth_json_get_int(r, "exp", 0, INT64_MAX, &exp, NULL), CCAUTH_OK);
	assert_true(exp == 1700003600);
	assert_int_equal(ccauth_json_get_string(r, "iss", &iss, NULL, NULL), CCAUTH_OK);
	assert_string_equal(iss, "https://sso-abc.sso.duosecurity.com/oauth/DIXXXXXXXXXXXXXXXXXX");
	assert_int_equal(ccauth_json_get(r, "aud")->count, 2);
	ccauth_json_free(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rejects),       cmocka_unit_test(test_empty_and_null),
	    cmocka_unit_test(test_scalars),       cmocka_unit_test(test_numbers),
	    cmocka_unit_test(test_strings),       cmocka_unit_test(test_structure),
	    cmocka_unit_test(test_getters),       cmocka_unit_test(test_deep_nesting),
	    cmocka_unit_test(test_huge_string),   cmocka_unit_test(test_many_nodes),
	    cmocka_unit_test(test_big_objects),   cmocka_unit_test(test_no_echo),
	    cmocka_unit_test(test_token_payload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
