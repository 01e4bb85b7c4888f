/* username_map files: a sorted array of (value, name) searched with bsearch. */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "credfile.h"
#include "util.h"
#include "usermap.h"

struct entry {
	char *value;
	size_t vlen;
	char *name;
	int line;
};

struct ccauth_usermap {
	struct entry *e;
	size_t n;
};

void ccauth_usermap_free(struct ccauth_usermap *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n; i++) {
		free(m->e[i].value);
		free(m->e[i].name);
	}
	free(m->e);
	free(m);
}

size_t ccauth_usermap_size(const struct ccauth_usermap *m)
{
	return m != NULL ? m->n : 0;
}

static int cmp_bytes(const char *a, size_t al, const char *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);

	return c != 0 ? c : (al > bl) - (al < bl);
}

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c = cmp_bytes(x->value, x->vlen, y->value, y->vlen);

	return c != 0 ? c : (x->line > y->line) - (x->line < y->line);
}

static int is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Split one line (without its newline) into its two fields; 0 ok, -1 not two fields. */
static int fields(const char *s, size_t len, const char **f, size_t *fl)
{
	size_t i = 0;

	for (int k = 0; k < 2; k++) {
		size_t start;

		while (i < len && is_space(s[i]))
			i++;
		start = i;
		while (i < len && !is_space(s[i]))
			i++;
		f[k] = s + start;
		fl[k] = i - start;
		if (fl[k] == 0)
			return -1;
	}
	while (i < len && is_space(s[i]))
		i++;
	/* a comment may follow after white space */
	return i == len || s[i] == '#' ? 0 : -1;
}

static enum ccauth_status add_line(struct ccauth_usermap *m, size_t *cap, const char *s, size_t len, const char *name,
                                   int line, struct ccauth_error *err)
{
	const char *f[2];
	size_t fl[2];
	struct entry *e;

	if (len > 0 && s[len - 1] == '\r')
		len--;
	while (len > 0 && is_space(*s))
		s++, len--;
	if (len == 0 || *s == '#')
		return CCAUTH_OK;
	if (memchr(s, '\0', len) != NULL || fields(s, len, f, fl) != 0)
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "%.128s:%d: expected VALUE NAME", name, line);
	if (fl[0] > CCAUTH_USERMAP_MAX_VALUE)
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "%.128s:%d: value longer than %d bytes", name, line,
		                        CCAUTH_USERMAP_MAX_VALUE);
	if (!ccauth_name_ok(f[1], fl[1]))
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "%.128s:%d: name is not [A-Za-z0-9._@-]{1,256}", name,
		                        line);
	if (m->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		struct entry *ne = realloc(m->e, nc * sizeof(*ne));
		if (ne == NULL)
			return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
		m->e = ne;
		*cap = nc;
	}
	e = &m->e[m->n];
	e->value = strndup(f[0], fl[0]);
	e->name = strndup(f[1], fl[1]);
	e->vlen = fl[0];
	e->line = line;
	if (e->value == NULL || e->name == NULL) {
		free(e->value);
		free(e->name);
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	}
	m->n++;
	return CCAUTH_OK;
}

enum ccauth_status ccauth_usermap_parse(const char *buf, size_t len, const char *name, struct ccauth_usermap **out,
                                        struct ccauth_error *err)
{
	struct ccauth_usermap *m;
	enum ccauth_status st = CCAUTH_OK;
	size_t cap = 0, i = 0;
	int line = 0;

	*out = NULL;
	if (len > CCAUTH_USERMAP_MAX_BYTES)
		return ccauth_error_set(err, CCAUTH_E_CONFIG, "%.128s: larger than %d bytes", name,
		                        CCAUTH_USERMAP_MAX_BYTES);
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "out of memory");
	while (i < len && st == CCAUTH_OK) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t ll = nl != NULL ? (size_t)(nl - (buf + i)) : len - i;

		st = add_line(m, &cap, buf + i, ll, name, ++line, err);
		i += ll + 1;
	}
	if (st == CCAUTH_OK && m->n > 1) {
		qsort(m->e, m->n, sizeof(*m->e), cmp_entry);
		for (size_t k = 1; k < m->n && st == CCAUTH_OK; k++)
			if (cmp_bytes(m->e[k].value, m->e[k].vlen, m->e[k - 1].value, m->e[k - 1].vlen) == 0)
				st =
				    ccauth_error_set(err, CCAUTH_E_CONFIG, "%.128s:%d: value already mapped on line %d",
				                     name, m->e[k].line, m->e[k - 1].line);
	}
	if (st != CCAUTH_OK) {
		ccauth_usermap_free(m);
		return st;
	}
	*out = m;
	return CCAUTH_OK;
}

enum ccauth_status ccauth_usermap_load(const char *path, struct ccauth_usermap **out, struct ccauth_error *err)
{
	char *buf = NULL;
	size_t len = 0;
	enum ccauth_status rc;

	*out = NULL;
	rc = ccauth_credfile_read_trusted("username_map ", path, CCAUTH_USERMAP_MAX_BYTES, &buf, &len, err);
	if (rc == CCAUTH_OK)
		rc = ccauth_usermap_parse(buf, len, path, out, err);
	free(buf);
	return rc;
}

const char *ccauth_usermap_lookup(const struct ccauth_usermap *m, const char *value, size_t len)
{
	size_t lo = 0, hi = m != NULL ? m->n : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_bytes(value, len, m->e[mid].value, m->e[mid].vlen);

		if (c == 0)
			return m->e[mid].name;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}
