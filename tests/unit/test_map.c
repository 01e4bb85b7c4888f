/* Identity mapping: claim order, template, character set, length limits, wrong types. */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "json.h"
#include "map.h"

struct map_case {
	const char *name;
	const char *claims_list; /* space separated; NULL: default */
	const char *tmpl;        /* NULL: default */
	const char *claims;      /* JSON */
	enum ccauth_status want;
	const char *user; /* expected on success */
};

static const struct map_case cases[] = {
    {"default order: client_id first", NULL, NULL, "{\"sub\":\"s1\",\"azp\":\"a1\",\"client_id\":\"c1\"}", CCAUTH_OK,
     "c1"},
    {"default order: azp before sub", NULL, NULL, "{\"sub\":\"s1\",\"azp\":\"a1\"}", CCAUTH_OK, "a1"},
    {"default order: sub last", NULL, NULL, "{\"sub\":\"s1\"}", CCAUTH_OK, "s1"},
    {"empty client_id is skipped", NULL, NULL, "{\"client_id\":\"\",\"sub\":\"s1\"}", CCAUTH_OK, "s1"},
    {"configured order", "sub client_id", NULL, "{\"sub\":\"s1\",\"client_id\":\"c1\"}", CCAUTH_OK, "s1"},
    {"custom claim", "email", NULL, "{\"email\":\"svc@example.com\",\"sub\":\"s1\"}", CCAUTH_OK, "svc@example.com"},
    {"none present", "email", NULL, "{\"sub\":\"s1\"}", CCAUTH_E_IDENTITY, NULL},
    {"no claims at all", NULL, NULL, "{}", CCAUTH_E_IDENTITY, NULL},
    {"only empty strings", NULL, NULL, "{\"client_id\":\"\",\"azp\":\"\",\"sub\":\"\"}", CCAUTH_E_IDENTITY, NULL},
    {"wrong type: number", "uid", NULL, "{\"uid\":42,\"sub\":\"s\"}", CCAUTH_E_IDENTITY, NULL},
    {"wrong type: array", "groups", NULL, "{\"groups\":[\"a\"]}", CCAUTH_E_IDENTITY, NULL},
    {"wrong type: null", "name", NULL, "{\"name\":null,\"sub\":\"s\"}", CCAUTH_E_IDENTITY, NULL},
    {"wrong type: object", "name", NULL, "{\"name\":{}}", CCAUTH_E_IDENTITY, NULL},
    {"wrong type: bool", "name", NULL, "{\"name\":true}", CCAUTH_E_IDENTITY, NULL},
    {"template prefix", NULL, "svc-%s", "{\"client_id\":\"abc\"}", CCAUTH_OK, "svc-abc"},
    {"template suffix", NULL, "%s@ldap", "{\"client_id\":\"abc\"}", CCAUTH_OK, "abc@ldap"},
    {"template %% literal is then refused by the charset", NULL, "a%%b%s", "{\"client_id\":\"x\"}", CCAUTH_E_IDENTITY,
     NULL},
    {"template without %s", NULL, "fixed", "{\"client_id\":\"x\"}", CCAUTH_OK, "fixed"},
    {"template two %s", NULL, "%s%s", "{\"client_id\":\"x\"}", CCAUTH_E_IDENTITY, NULL},
    {"template %d", NULL, "%d", "{\"client_id\":\"x\"}", CCAUTH_E_IDENTITY, NULL},
    {"template trailing %", NULL, "x%", "{\"client_id\":\"x\"}", CCAUTH_E_IDENTITY, NULL},
    {"charset: space", NULL, NULL, "{\"client_id\":\"a b\"}", CCAUTH_E_IDENTITY, NULL},
    {"charset: comma (LDAP DN)", NULL, NULL, "{\"client_id\":\"a,cn=admin\"}", CCAUTH_E_IDENTITY, NULL},
    {"charset: slash", NULL, NULL, "{\"client_id\":\"../etc\"}", CCAUTH_E_IDENTITY, NULL},
    {"charset: non-ASCII", NULL, NULL, "{\"client_id\":\"caf\\u00e9\"}", CCAUTH_E_IDENTITY, NULL},
    {"charset: newline", NULL, NULL, "{\"client_id\":\"a\\nb\"}", CCAUTH_E_IDENTITY, NULL},
    {"charset: plus", NULL, NULL, "{\"client_id\":\"a+b\"}", CCAUTH_E_IDENTITY, NULL},
    {"charset: all allowed", NULL, NULL, "{\"client_id\":\"Az09._@-\"}", CCAUTH_OK, "Az09._@-"},
    {"bad value not rescued by later claim", NULL, NULL, "{\"client_id\":\"a b\",\"sub\":\"ok\"}", CCAUTH_E_IDENTITY,
     NULL},
};

static struct ccauth_json_doc *parse(const char *text)
{
	struct ccauth_json_doc *doc = NULL;
	struct ccauth_error err;

	assert_int_equal(ccauth_json_parse(text, strlen(text), 0, CCAUTH_JSON_MAX_DEPTH, &doc, &err), CCAUTH_OK);
	return doc;
}

/* ic with its username_claim list split out of a space-separated string held in buf */
static void make_ic(struct ccauth_issuer_conf *ic, char *buf, char **vec, const char *list, const char *tmpl)
{
	memset(ic, 0, sizeof(*ic));
	ic->name = (char *)"test";
	ic->username_template = (char *)tmpl;
	if (list == NULL)
		return;
	snprintf(buf, 256, "%s", list);
	for (char *save = NULL, *t = strtok_r(buf, " ", &save); t != NULL; t = strtok_r(NULL, " ", &save))
		vec[ic->username_claim.n++] = t;
	ic->username_claim.v = vec;
}

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct map_case *c = &cases[i];
		struct ccauth_issuer_conf ic;
		struct ccauth_json_doc *doc = parse(c->claims);
		struct ccauth_error err = {0};
		char buf[256], *vec[8], out[CCAUTH_USER_MAX + 1];
		enum ccauth_status st;

		make_ic(&ic, buf, vec, c->claims_list, c->tmpl);
		st = ccauth_map_identity(&ic, ccauth_json_root(doc), out, &err);
		if (st != c->want)
			fail_msg("case '%s': got %s, want %s (%s)", c->name, ccauth_status_reason(st),
			         ccauth_status_reason(c->want), err.msg);
		if (c->user != NULL)
			assert_string_equal(out, c->user);
		else
			assert_int_equal(err.code, CCAUTH_E_IDENTITY);
		ccauth_json_free(doc);
	}
}

static void map_value(const char *tmpl, size_t vlen, enum ccauth_status want)
{
	struct ccauth_issuer_conf ic;
	struct ccauth_json_doc *doc;
	char *json = malloc(vlen + 32), out[CCAUTH_USER_MAX + 1];
	size_t n;

	assert_non_null(json);
	n = (size_t)snprintf(json, vlen + 32, "{\"sub\":\"");
	memset(json + n, 'a', vlen);
	snprintf(json + n + vlen, 32, "\"}");
	doc = parse(json);
	make_ic(&ic, NULL, NULL, NULL, tmpl);
	assert_int_equal(ccauth_map_identity(&ic, ccauth_json_root(doc), out, NULL), want);
	if (want == CCAUTH_OK)
		assert_int_equal(strlen(out), vlen + (tmpl ? strlen(tmpl) - 2 : 0));
	ccauth_json_free(doc);
	free(json);
}

static void test_lengths(void **state)
{
	(void)state;
	map_value(NULL, 1, CCAUTH_OK);
	map_value(NULL, 256, CCAUTH_OK);
	map_value(NULL, 257, CCAUTH_E_IDENTITY);
	map_value(NULL, 10000, CCAUTH_E_IDENTITY);
	map_value("x-%s", 254, CCAUTH_OK);
	map_value("x-%s", 255, CCAUTH_E_IDENTITY);
}

static void test_name_ok(void **state)
{
	char big[300];

	(void)state;
	memset(big, 'a', sizeof(big));
	assert_int_equal(ccauth_map_name_ok("svc-a.b_c@d", 11), 1);
	assert_int_equal(ccauth_map_name_ok("", 0), 0);
	assert_int_equal(ccauth_map_name_ok(NULL, 3), 0);
	assert_int_equal(ccauth_map_name_ok(big, 256), 1);
	assert_int_equal(ccauth_map_name_ok(big, 257), 0);
	assert_int_equal(ccauth_map_name_ok("a\0b", 3), 0);
	assert_int_equal(ccauth_map_name_ok("a=b", 3), 0);
	assert_int_equal(ccauth_map_name_ok("a*", 2), 0);
	/* path parts that name a directory, not a user (home directories, files named by user) */
	assert_int_equal(ccauth_map_name_ok(".", 1), 0);
	assert_int_equal(ccauth_map_name_ok("..", 2), 0);
	assert_int_equal(ccauth_map_name_ok("...", 3), 1);
	assert_int_equal(ccauth_map_name_ok(".a", 2), 1);
}

static void test_template_ok(void **state)
{
	(void)state;
	assert_int_equal(ccauth_map_template_ok("%s"), 1);
	assert_int_equal(ccauth_map_template_ok("svc-%s"), 1);
	assert_int_equal(ccauth_map_template_ok("fixed"), 1);
	assert_int_equal(ccauth_map_template_ok("100%%-%s"), 1);
	assert_int_equal(ccauth_map_template_ok(""), 1);
	assert_int_equal(ccauth_map_template_ok("%s%s"), 0);
	assert_int_equal(ccauth_map_template_ok("%d"), 0);
	assert_int_equal(ccauth_map_template_ok("%"), 0);
	assert_int_equal(ccauth_map_template_ok("a%"), 0);
	assert_int_equal(ccauth_map_template_ok("%1s"), 0);
	assert_int_equal(ccauth_map_template_ok("%S"), 0);
	assert_int_equal(ccauth_map_template_ok(NULL), 0);
}

static void test_not_object(void **state)
{
	struct ccauth_json_doc *doc = parse("[\"a\"]");
	char out[CCAUTH_USER_MAX + 1];

	(void)state;
	assert_int_equal(ccauth_map_identity(NULL, ccauth_json_root(doc), out, NULL), CCAUTH_E_IDENTITY);
	assert_int_equal(ccauth_map_identity(NULL, NULL, out, NULL), CCAUTH_E_IDENTITY);
	ccauth_json_free(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),       cmocka_unit_test(test_lengths),    cmocka_unit_test(test_name_ok),
	    cmocka_unit_test(test_template_ok), cmocka_unit_test(test_not_object),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
