/* Reporting for ccauth verify --explain (explain.h). */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>

#include "explain.h"

void ccauth_explain_report(struct ccauth_explainer *x, const char *check, enum ccauth_status st, const char *detail)
{
	struct ccauth_explain_step s = {check, st, 0, detail != NULL ? detail : ""};

	if (x == NULL)
		return;
	if (st != CCAUTH_OK && x->first == CCAUTH_OK)
		x->first = st;
	x->fn(x->ctx, &s);
}

void ccauth_explain_skip(struct ccauth_explainer *x, const char *check, const char *why)
{
	struct ccauth_explain_step s = {check, CCAUTH_OK, 1, why};

	if (x != NULL)
		x->fn(x->ctx, &s);
}

struct out {
	char *p;
	size_t left; /* bytes still free, the NUL excluded */
	int cut;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (n > o->left) {
		n = o->left;
		o->cut = 1;
	}
	memcpy(o->p, s, n);
	o->p += n;
	o->left -= n;
}

static void put_string(struct out *o, const char *s, size_t len)
{
	put(o, "\"", 1);
	for (size_t i = 0; i < len && !o->cut; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(o, esc, 2);
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			put(o, esc, 6);
		} else {
			put(o, (const char *)&s[i], 1);
		}
	}
	put(o, "\"", 1);
}

static void put_value(struct out *o, const struct ccauth_json *v, unsigned depth)
{
	if (o->cut)
		return;
	switch (v->type) {
	case CCAUTH_JSON_NULL:
		put(o, "null", 4);
		return;
	case CCAUTH_JSON_FALSE:
		put(o, "false", 5);
		return;
	case CCAUTH_JSON_TRUE:
		put(o, "true", 4);
		return;
	case CCAUTH_JSON_NUMBER:
		put(o, v->str, strlen(v->str));
		return;
	case CCAUTH_JSON_STRING:
		put_string(o, v->str, v->len);
		return;
	case CCAUTH_JSON_ARRAY:
	case CCAUTH_JSON_OBJECT:
		break;
	}
	if (depth >= 4) {
		put(o, v->type == CCAUTH_JSON_ARRAY ? "[...]" : "{...}", 5);
		return;
	}
	put(o, v->type == CCAUTH_JSON_ARRAY ? "[" : "{", 1);
	for (const struct ccauth_json *e = v->child; e != NULL && !o->cut; e = e->next) {
		if (e != v->child)
			put(o, ",", 1);
		if (v->type == CCAUTH_JSON_OBJECT) {
			put_string(o, e->key, e->keylen);
			put(o, ":", 1);
		}
		put_value(o, e, depth + 1);
	}
	put(o, v->type == CCAUTH_JSON_ARRAY ? "]" : "}", 1);
}

void ccauth_explain_json(const struct ccauth_json *v, char *buf, size_t cap)
{
	struct out o = {buf, cap - 4, 0};

	if (v == NULL) {
		snprintf(buf, cap, "absent");
		return;
	}
	put_value(&o, v, 0);
	if (o.cut)
		memcpy(o.p, "...", 3), o.p += 3;
	*o.p = '\0';
}
