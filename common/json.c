/* A strict RFC 8259 reader for untrusted input (see json.h for what it rejects and why).
 *
 * One pass over (ptr,len), no recursion: containers being filled live on an explicit stack
 * (64 frames on the C stack, grown on the heap only for callers that allow deeper nesting).
 * Nodes and unescaped strings go into an arena owned by the document.  The document header and
 * the first arena block share one allocation sized from the input length, so a token part costs
 * one malloc; larger documents (JWKS) chain further blocks.  The arena may hold secrets (an AS
 * token response carries access_token), so it is wiped before it is freed.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"

#define FIRST_BLOCK_MIN 2048
#define FIRST_BLOCK_MAX 16384
#define BLOCK_MIN       16384
#define BLOCK_MAX       (1024 * 1024)
#define STACK_INLINE    64
#define DUP_LINEAR_MAX  32 /* objects with more members are checked for duplicates by sorting */
#define NODE_ALIGN      _Alignof(struct ccauth_json)

struct block {
	struct block *next; /* older block */
	size_t cap;
	size_t used;
	/* data follows; the header size keeps it aligned for nodes */
};

struct ccauth_json_doc {
	struct block *cur; /* newest block; the oldest one also holds this header */
	struct ccauth_json *root;
};

struct frame {
	struct ccauth_json *node;
	struct ccauth_json *tail;
	uint64_t seen[4]; /* objects: a 256-bit filter of member keys, so most keys skip the scan */
};

struct parser {
	const unsigned char *in;
	size_t len;
	struct ccauth_json_doc *doc;
	struct ccauth_error *err;
};

_Static_assert(sizeof(struct block) % _Alignof(struct ccauth_json) == 0, "block header breaks node alignment");

static unsigned char *block_data(struct block *b)
{
	return (unsigned char *)(b + 1);
}

/* Unaligned bytes from the arena. */
static void *arena_alloc(struct ccauth_json_doc *doc, size_t n)
{
	struct block *b = doc->cur;
	void *r;

	if (b->cap - b->used < n) {
		size_t cap = b->cap < BLOCK_MAX / 2 ? b->cap * 2 : BLOCK_MAX;

		if (cap < BLOCK_MIN)
			cap = BLOCK_MIN;
		if (cap < n)
			cap = n;
		if (cap > SIZE_MAX - sizeof(struct block))
			return NULL;
		b = malloc(sizeof(struct block) + cap);
		if (b == NULL)
			return NULL;
		b->next = doc->cur;
		b->cap = cap;
		b->used = 0;
		doc->cur = b;
	}
	r = block_data(b) + b->used;
	b->used += n;
	return r;
}

/* Give back the last n bytes of the most recent allocation. */
static void arena_trim(struct ccauth_json_doc *doc, size_t n)
{
	doc->cur->used -= n;
}

static void *arena_alloc_aligned(struct ccauth_json_doc *doc, size_t n)
{
	struct block *b = doc->cur;
	size_t a = (b->used + (NODE_ALIGN - 1)) & ~(size_t)(NODE_ALIGN - 1);

	b->used = a <= b->cap ? a : b->cap;
	return arena_alloc(doc, n);
}

static struct ccauth_json *new_node(struct ccauth_json_doc *doc)
{
	struct ccauth_json *n = arena_alloc_aligned(doc, sizeof(*n));

	if (n != NULL)
		memset(n, 0, sizeof(*n));
	return n;
}

static enum ccauth_status fail(struct parser *ps, size_t off, const char *what)
{
	return ccauth_error_set(ps->err, CCAUTH_E_MALFORMED, "JSON: %s at offset %zu", what, off);
}

static enum ccauth_status nomem(struct parser *ps)
{
	return ccauth_error_set(ps->err, CCAUTH_E_NOMEM, "JSON: out of memory");
}

static size_t skip_ws(const struct parser *ps, size_t pos)
{
	while (pos < ps->len) {
		unsigned char c = ps->in[pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		pos++;
	}
	return pos;
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Four hex digits at p (caller checked the bounds); -1 if any is not hex. */
static long hex4(const unsigned char *p)
{
	long v = 0;

	for (int k = 0; k < 4; k++) {
		int h = hexval(p[k]);

		if (h < 0)
			return -1;
		v = v << 4 | h;
	}
	return v;
}

/* Length of the well-formed UTF-8 sequence (RFC 3629 table) starting at p with a lead byte
 * >= 0x80, or 0 if it is not one: overlongs, UTF-16 surrogates, > U+10FFFF, truncation. */
static size_t utf8_seq(const unsigned char *p, size_t avail)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xBF;
	size_t n;

	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else
		return 0;
	if (avail < n || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t k = 2; k < n; k++)
		if (p[k] < 0x80 || p[k] > 0xBF)
			return 0;
	return n;
}

static size_t put_utf8(unsigned char *d, unsigned long cp)
{
	if (cp < 0x80) {
		d[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		d[0] = (unsigned char)(0xC0 | cp >> 6);
		d[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		d[0] = (unsigned char)(0xE0 | cp >> 12);
		d[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		d[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	d[0] = (unsigned char)(0xF0 | cp >> 18);
	d[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
	d[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
	d[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

#define ONES  0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Non-zero when p[0..n) holds a byte < 0x20, a backslash or a byte >= 0x80. */
static uint64_t has_special(const unsigned char *p, size_t n)
{
	uint64_t acc = 0, w, x;
	size_t k = 0;

	for (; n - k >= 8; k += 8) {
		memcpy(&w, p + k, 8);
		x = w ^ (ONES * '\\');
		acc |= w | ((w - ONES * 0x20) & ~w) | ((x - ONES) & ~x);
	}
	for (; k < n; k++)
		acc |= (uint64_t)(p[k] < 0x20 || p[k] == '\\' || p[k] >= 0x80) << 7;
	return acc & HIGHS;
}

/* The string whose opening quote is at *pos: unescaped, validated and NUL-terminated in the
 * arena.  Unescaping never grows the text, so the raw length bounds the allocation; the unused
 * tail is given back. */
static enum ccauth_status parse_string(struct parser *ps, size_t *pos, const char **out, size_t *outlen)
{
	const unsigned char *in = ps->in;
	size_t start = *pos + 1, end = start, o = 0, i;
	unsigned char *dst;
	const unsigned char *q = memchr(in + start, '"', ps->len - start);
	uint64_t special;

	/* Fast path: no escape, control or non-ASCII byte before the first quote - a plain copy.
	 * Checked eight bytes at a time (exact "some byte is zero / below n" word tricks). */
	if (q == NULL)
		return fail(ps, *pos, "unterminated string");
	special = has_special(in + start, (size_t)(q - in) - start);
	if (!special) {
		end = (size_t)(q - in);
		dst = arena_alloc(ps->doc, end - start + 1);
		if (dst == NULL)
			return nomem(ps);
		memcpy(dst, in + start, end - start);
		dst[end - start] = '\0';
		*out = (const char *)dst;
		*outlen = end - start;
		*pos = end + 1;
		return CCAUTH_OK;
	}
	for (;;) {
		if (end >= ps->len)
			return fail(ps, *pos, "unterminated string");
		if (in[end] == '"')
			break;
		end += in[end] == '\\' ? 2 : 1;
	}
	dst = arena_alloc(ps->doc, end - start + 1);
	if (dst == NULL)
		return nomem(ps);
	i = start;
	while (i < end) {
		unsigned char c = in[i];
		unsigned long cp;
		long hv;

		if (c >= 0x80) {
			size_t n = utf8_seq(in + i, end - i);

			if (n == 0)
				return fail(ps, i, "invalid UTF-8 in string");
			memcpy(dst + o, in + i, n);
			o += n;
			i += n;
			continue;
		}
		if (c < 0x20)
			return fail(ps, i, "control character in string");
		if (c != '\\') {
			dst[o++] = c;
			i++;
			continue;
		}
		/* the scan above guarantees i + 1 < end */
		switch (in[i + 1]) {
		case '"':
		case '\\':
		case '/':
			dst[o++] = in[i + 1];
			i += 2;
			continue;
		case 'b':
			dst[o++] = '\b';
			i += 2;
			continue;
		case 'f':
			dst[o++] = '\f';
			i += 2;
			continue;
		case 'n':
			dst[o++] = '\n';
			i += 2;
			continue;
		case 'r':
			dst[o++] = '\r';
			i += 2;
			continue;
		case 't':
			dst[o++] = '\t';
			i += 2;
			continue;
		case 'u':
			break;
		default:
			return fail(ps, i, "invalid escape in string");
		}
		hv = end - i < 6 ? -1 : hex4(in + i + 2);
		if (hv < 0)
			return fail(ps, i, "invalid \\u escape in string");
		cp = (unsigned long)hv;
		if (cp == 0)
			return fail(ps, i, "\\u0000 in string");
		if (cp >= 0xDC00 && cp <= 0xDFFF)
			return fail(ps, i, "unpaired surrogate escape in string");
		if (cp >= 0xD800 && cp <= 0xDBFF) {
			long lo;

			if (end - i < 12 || in[i + 6] != '\\' || in[i + 7] != 'u' || (lo = hex4(in + i + 8)) < 0xDC00 ||
			    lo > 0xDFFF)
				return fail(ps, i, "unpaired surrogate escape in string");
			cp = 0x10000 + ((cp - 0xD800) << 10) + ((unsigned long)lo - 0xDC00);
			i += 6;
		}
		o += put_utf8(dst + o, cp);
		i += 6;
	}
	dst[o] = '\0';
	arena_trim(ps->doc, end - start - o);
	*out = (const char *)dst;
	*outlen = o;
	*pos = end + 1;
	return CCAUTH_OK;
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static enum ccauth_status parse_number(struct parser *ps, size_t *pos, struct ccauth_json *node)
{
	const unsigned char *in = ps->in;
	size_t start = *pos, i = start, len = ps->len;
	uint64_t mag = 0, limit = INT64_MAX;
	int neg = 0, is_int = 1, ovf = 0;
	char *text;

	if (in[i] == '-') {
		neg = 1;
		limit = (uint64_t)INT64_MAX + 1;
		i++;
	}
	if (i >= len || !is_digit(in[i]))
		return fail(ps, i, "digit expected in number");
	if (in[i] == '0') {
		i++;
		if (i < len && is_digit(in[i]))
			return fail(ps, i, "leading zero in number");
	} else {
		while (i < len && is_digit(in[i])) {
			unsigned d = in[i] - '0';

			if (ovf || mag > (limit - d) / 10)
				ovf = 1;
			else
				mag = mag * 10 + d;
			i++;
		}
	}
	if (i < len && in[i] == '.') {
		i++;
		if (i >= len || !is_digit(in[i]))
			return fail(ps, i, "digit expected after decimal point");
		while (i < len && is_digit(in[i]))
			i++;
		is_int = 0;
	}
	if (i < len && (in[i] == 'e' || in[i] == 'E')) {
		i++;
		if (i < len && (in[i] == '+' || in[i] == '-'))
			i++;
		if (i >= len || !is_digit(in[i]))
			return fail(ps, i, "digit expected in exponent");
		while (i < len && is_digit(in[i]))
			i++;
		is_int = 0;
	}
	text = arena_alloc(ps->doc, i - start + 1);
	if (text == NULL)
		return nomem(ps);
	memcpy(text, in + start, i - start);
	text[i - start] = '\0';
	node->type = CCAUTH_JSON_NUMBER;
	node->str = text;
	node->len = i - start;
	if (is_int && !ovf) {
		node->is_int = 1;
		if (!neg)
			node->i = (int64_t)mag;
		else if (mag == (uint64_t)INT64_MAX + 1)
			node->i = INT64_MIN;
		else
			node->i = -(int64_t)mag;
	}
	*pos = i;
	return CCAUTH_OK;
}

static int literal(const struct parser *ps, size_t pos, const char *word, size_t n)
{
	return ps->len - pos >= n && memcmp(ps->in + pos, word, n) == 0;
}

/* 8 bits from the length and three bytes of a key: cheap, and distinct for typical claim names. */
static unsigned key_filter_hash(const char *key, size_t len)
{
	const unsigned char *k = (const unsigned char *)key;

	if (len == 0)
		return 0;
	return (unsigned)(len * 151 + k[0] * 7 + k[len / 2] * 31 + k[len - 1]) & 255;
}

static int key_cmp(const void *a, const void *b)
{
	const struct ccauth_json *x = *(const struct ccauth_json *const *)a;
	const struct ccauth_json *y = *(const struct ccauth_json *const *)b;

	if (x->keylen != y->keylen)
		return x->keylen < y->keylen ? -1 : 1;
	return memcmp(x->key, y->key, x->keylen);
}

/* Duplicate check for an object too large for the per-member linear scan: sort and compare
 * neighbours, O(n log n) whatever the keys are. */
static enum ccauth_status check_dups_sorted(struct parser *ps, const struct ccauth_json *obj, size_t endpos)
{
	const struct ccauth_json **v;
	const struct ccauth_json *m;
	size_t n = 0, bytes;
	int dup = 0;

	if (obj->count > SIZE_MAX / sizeof(*v))
		return nomem(ps);
	bytes = obj->count * sizeof(*v);
	v = arena_alloc_aligned(ps->doc, bytes);
	if (v == NULL)
		return nomem(ps);
	for (m = obj->child; m != NULL; m = m->next)
		v[n++] = m;
	qsort(v, n, sizeof(*v), key_cmp);
	for (size_t k = 1; k < n && !dup; k++)
		dup = key_cmp(&v[k - 1], &v[k]) == 0;
	arena_trim(ps->doc, bytes);
	if (dup)
		return fail(ps, endpos, "duplicate key in object ending");
	return CCAUTH_OK;
}

static enum ccauth_status parse(struct parser *ps, unsigned max_depth)
{
	const unsigned char *in = ps->in;
	struct frame inline_stack[STACK_INLINE], *stack = inline_stack, *f;
	size_t stackcap = STACK_INLINE, depth = 0, pos, keylen = 0;
	const char *key = NULL;
	struct ccauth_json *node;
	enum ccauth_status st = CCAUTH_OK;

	pos = skip_ws(ps, 0);
	if (pos == ps->len)
		return fail(ps, pos, "empty input");

value:
	node = new_node(ps->doc);
	if (node == NULL) {
		st = nomem(ps);
		goto out;
	}
	if (depth == 0) {
		ps->doc->root = node;
	} else {
		f = &stack[depth - 1];
		if (f->tail != NULL)
			f->tail->next = node;
		else
			f->node->child = node;
		f->tail = node;
		f->node->count++;
		node->key = key;
		node->keylen = keylen;
		key = NULL;
		keylen = 0;
	}
	if (pos >= ps->len) {
		st = fail(ps, pos, "unexpected end of input");
		goto out;
	}
	switch (in[pos]) {
	case '{':
	case '[':
		if (depth >= max_depth) {
			st = fail(ps, pos, "nesting too deep");
			goto out;
		}
		if (depth == stackcap) {
			size_t ncap = stackcap * 2 < max_depth ? stackcap * 2 : max_depth;
			struct frame *ns = malloc(ncap * sizeof(*ns));

			if (ns == NULL) {
				st = nomem(ps);
				goto out;
			}
			memcpy(ns, stack, depth * sizeof(*ns));
			if (stack != inline_stack)
				free(stack);
			stack = ns;
			stackcap = ncap;
		}
		node->type = in[pos] == '{' ? CCAUTH_JSON_OBJECT : CCAUTH_JSON_ARRAY;
		memset(&stack[depth], 0, sizeof(stack[depth]));
		stack[depth].node = node;
		depth++;
		pos = skip_ws(ps, pos + 1);
		if (pos < ps->len && in[pos] == (node->type == CCAUTH_JSON_OBJECT ? '}' : ']')) {
			pos++;
			depth--;
			goto after_value;
		}
		if (node->type == CCAUTH_JSON_OBJECT)
			goto member_key;
		goto value;
	case '"':
		node->type = CCAUTH_JSON_STRING;
		st = parse_string(ps, &pos, &node->str, &node->len);
		if (st != CCAUTH_OK)
			goto out;
		break;
	case 't':
		if (!literal(ps, pos, "true", 4)) {
			st = fail(ps, pos, "invalid literal");
			goto out;
		}
		node->type = CCAUTH_JSON_TRUE;
		pos += 4;
		break;
	case 'f':
		if (!literal(ps, pos, "false", 5)) {
			st = fail(ps, pos, "invalid literal");
			goto out;
		}
		node->type = CCAUTH_JSON_FALSE;
		pos += 5;
		break;
	case 'n':
		if (!literal(ps, pos, "null", 4)) {
			st = fail(ps, pos, "invalid literal");
			goto out;
		}
		node->type = CCAUTH_JSON_NULL;
		pos += 4;
		break;
	case '-':
	case '0':
	case '1':
	case '2':
	case '3':
	case '4':
	case '5':
	case '6':
	case '7':
	case '8':
	case '9':
		st = parse_number(ps, &pos, node);
		if (st != CCAUTH_OK)
			goto out;
		break;
	default:
		st = fail(ps, pos, "unexpected character");
		goto out;
	}

after_value:
	if (depth == 0)
		goto done;
	pos = skip_ws(ps, pos);
	if (pos >= ps->len) {
		st = fail(ps, pos, "unexpected end of input");
		goto out;
	}
	f = &stack[depth - 1];
	if (in[pos] == ',') {
		pos = skip_ws(ps, pos + 1);
		if (f->node->type == CCAUTH_JSON_OBJECT)
			goto member_key;
		goto value;
	}
	if (f->node->type == CCAUTH_JSON_OBJECT) {
		if (in[pos] != '}') {
			st = fail(ps, pos, "expected ',' or '}'");
			goto out;
		}
		if (f->node->count > DUP_LINEAR_MAX) {
			st = check_dups_sorted(ps, f->node, pos);
			if (st != CCAUTH_OK)
				goto out;
		}
	} else if (in[pos] != ']') {
		st = fail(ps, pos, "expected ',' or ']'");
		goto out;
	}
	pos++;
	depth--;
	goto after_value;

member_key:
	if (pos >= ps->len || in[pos] != '"') {
		st = fail(ps, pos, "expected string key");
		goto out;
	}
	{
		size_t keypos = pos;
		const struct ccauth_json *m;

		st = parse_string(ps, &pos, &key, &keylen);
		if (st != CCAUTH_OK)
			goto out;
		f = &stack[depth - 1];
		if (f->node->count < DUP_LINEAR_MAX) {
			unsigned h = key_filter_hash(key, keylen);

			if (f->seen[h >> 6] & (uint64_t)1 << (h & 63)) {
				for (m = f->node->child; m != NULL; m = m->next) {
					if (m->keylen == keylen && memcmp(m->key, key, keylen) == 0) {
						st = fail(ps, keypos, "duplicate key");
						goto out;
					}
				}
			}
			f->seen[h >> 6] |= (uint64_t)1 << (h & 63);
		}
	}
	pos = skip_ws(ps, pos);
	if (pos >= ps->len || in[pos] != ':') {
		st = fail(ps, pos, "expected ':'");
		goto out;
	}
	pos = skip_ws(ps, pos + 1);
	goto value;

done:
	pos = skip_ws(ps, pos);
	if (pos != ps->len)
		st = fail(ps, pos, "trailing data");
out:
	if (stack != inline_stack)
		free(stack);
	return st;
}

enum ccauth_status ccauth_json_parse(const char *in, size_t len, size_t max_len, unsigned max_depth,
                                     struct ccauth_json_doc **out, struct ccauth_error *err)
{
	struct parser ps;
	struct ccauth_json_doc *doc;
	struct block *b;
	size_t cap;
	enum ccauth_status st;

	if (out == NULL)
		return ccauth_error_set(err, CCAUTH_E_INTERNAL, "JSON: no output document");
	*out = NULL;
	if (in == NULL || len == 0)
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "JSON: empty input at offset 0");
	if (max_len != 0 && len > max_len)
		return ccauth_error_set(err, CCAUTH_E_MALFORMED, "JSON: input longer than %zu bytes at offset %zu",
		                        max_len, max_len);
	if (max_depth == 0)
		max_depth = CCAUTH_JSON_MAX_DEPTH;

	/* Room for the nodes and strings of a typical token part in the first (and only) block. */
	cap = len < (FIRST_BLOCK_MAX - 1024) / 6 ? len * 6 + 1024 : FIRST_BLOCK_MAX;
	if (cap < FIRST_BLOCK_MIN)
		cap = FIRST_BLOCK_MIN;
	b = malloc(sizeof(*b) + cap);
	if (b == NULL)
		return ccauth_error_set(err, CCAUTH_E_NOMEM, "JSON: out of memory");
	b->next = NULL;
	b->cap = cap;
	b->used = (sizeof(*doc) + NODE_ALIGN - 1) & ~(size_t)(NODE_ALIGN - 1);
	doc = (struct ccauth_json_doc *)block_data(b);
	doc->cur = b;
	doc->root = NULL;

	ps.in = (const unsigned char *)in;
	ps.len = len;
	ps.doc = doc;
	ps.err = err;
	st = parse(&ps, max_depth);
	if (st != CCAUTH_OK) {
		ccauth_json_free(doc);
		return st;
	}
	*out = doc;
	return CCAUTH_OK;
}

const struct ccauth_json *ccauth_json_root(const struct ccauth_json_doc *doc)
{
	return doc != NULL ? doc->root : NULL;
}

void ccauth_json_free(struct ccauth_json_doc *doc)
{
	struct block *b, *next;

	if (doc == NULL)
		return;
	/* The header lives in the oldest block: read the chain before wiping anything. */
	for (b = doc->cur; b != NULL; b = next) {
		next = b->next;
		ccauth_wipe(b, sizeof(*b) + b->used);
		free(b);
	}
}

const struct ccauth_json *ccauth_json_get(const struct ccauth_json *obj, const char *key)
{
	const struct ccauth_json *m;
	size_t n;

	if (obj == NULL || key == NULL || obj->type != CCAUTH_JSON_OBJECT)
		return NULL;
	n = strlen(key);
	for (m = obj->child; m != NULL; m = m->next)
		if (m->keylen == n && memcmp(m->key, key, n) == 0)
			return m;
	return NULL;
}

/* The member for a typed getter.  A NULL obj has no members; a non-object obj is malformed. */
static enum ccauth_status member(const struct ccauth_json *obj, const char *key, const struct ccauth_json **m,
                                 int *present)
{
	*m = NULL;
	if (present != NULL)
		*present = 0;
	if (obj == NULL)
		return CCAUTH_OK;
	if (obj->type != CCAUTH_JSON_OBJECT || key == NULL)
		return CCAUTH_E_MALFORMED;
	*m = ccauth_json_get(obj, key);
	if (*m != NULL && present != NULL)
		*present = 1;
	return CCAUTH_OK;
}

enum ccauth_status ccauth_json_get_string(const struct ccauth_json *obj, const char *key, const char **out,
                                          size_t *outlen, int *present)
{
	const struct ccauth_json *m;
	enum ccauth_status st = member(obj, key, &m, present);

	if (st != CCAUTH_OK || m == NULL)
		return st;
	if (m->type != CCAUTH_JSON_STRING)
		return CCAUTH_E_MALFORMED;
	if (out != NULL)
		*out = m->str;
	if (outlen != NULL)
		*outlen = m->len;
	return CCAUTH_OK;
}

enum ccauth_status ccauth_json_get_int(const struct ccauth_json *obj, const char *key, int64_t min, int64_t max,
                                       int64_t *out, int *present)
{
	const struct ccauth_json *m;
	enum ccauth_status st = member(obj, key, &m, present);

	if (st != CCAUTH_OK || m == NULL)
		return st;
	if (m->type != CCAUTH_JSON_NUMBER || !m->is_int || m->i < min || m->i > max)
		return CCAUTH_E_MALFORMED;
	if (out != NULL)
		*out = m->i;
	return CCAUTH_OK;
}

enum ccauth_status ccauth_json_get_bool(const struct ccauth_json *obj, const char *key, int *out, int *present)
{
	const struct ccauth_json *m;
	enum ccauth_status st = member(obj, key, &m, present);

	if (st != CCAUTH_OK || m == NULL)
		return st;
	if (m->type != CCAUTH_JSON_TRUE && m->type != CCAUTH_JSON_FALSE)
		return CCAUTH_E_MALFORMED;
	if (out != NULL)
		*out = m->type == CCAUTH_JSON_TRUE;
	return CCAUTH_OK;
}
