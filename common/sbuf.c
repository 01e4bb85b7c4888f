/* sbuf: the one growing buffer for bytes that may be secret (form bodies, Basic credentials, HTTP
 * response bodies, disk cache entries), and the application/x-www-form-urlencoded encoder. */
#include "autoconf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sbuf.h"
#include "util.h"

void ccauth_sbuf_wipe(struct ccauth_sbuf *b)
{
	if (b->p != NULL)
		ccauth_free_secret(b->p, b->cap);
	memset(b, 0, sizeof(*b));
}

void ccauth_sbuf_add(struct ccauth_sbuf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (n > SIZE_MAX / 4 - b->len || (b->max != 0 && n > b->max - b->len)) {
		ccauth_sbuf_wipe(b);
		b->failed = 1;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		size_t nc = b->cap < 256 ? 256 : b->cap;
		char *nb;

		while (nc < b->len + n + 1)
			nc *= 2;
		if (b->max != 0 && nc > b->max + 1)
			nc = b->max + 1;
		if ((nb = calloc(1, nc)) == NULL) {
			ccauth_sbuf_wipe(b);
			b->failed = 1;
			return;
		}
		if (b->p != NULL)
			memcpy(nb, b->p, b->len);
		if (b->p != NULL)
			ccauth_free_secret(b->p, b->cap);
		b->p = nb;
		b->cap = nc;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void ccauth_sbuf_str(struct ccauth_sbuf *b, const char *s)
{
	ccauth_sbuf_add(b, s, strlen(s));
}

void ccauth_sbuf_urlencode(struct ccauth_sbuf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n && !b->failed; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
		    c == '.' || c == '_' || c == '~') {
			ccauth_sbuf_add(b, (const char *)&c, 1);
		} else {
			char e[3] = {'%', hex[c >> 4], hex[c & 0xf]};
			ccauth_sbuf_add(b, e, 3);
		}
	}
}

int ccauth_form_append(char **buf, size_t *buflen, const char *s, size_t len)
{
	struct ccauth_sbuf b = {0};

	if (*buf != NULL)
		ccauth_sbuf_add(&b, *buf, *buflen);
	ccauth_sbuf_urlencode(&b, s, len);
	if (!b.failed && b.p == NULL)
		ccauth_sbuf_add(&b, "", 0);
	if (*buf != NULL)
		ccauth_free_secret(*buf, *buflen + 1);
	*buf = NULL;
	*buflen = 0;
	if (b.failed)
		return -1;
	/* the caller knows the size as len + 1: hand over an exact copy */
	if ((*buf = malloc(b.len + 1)) == NULL) {
		ccauth_sbuf_wipe(&b);
		return -1;
	}
	memcpy(*buf, b.p, b.len + 1);
	*buflen = b.len;
	ccauth_sbuf_wipe(&b);
	return 0;
}

void ccauth_sbuf_param(struct ccauth_sbuf *b, const char *name, const char *val, size_t vlen)
{
	if (b->len > 0)
		ccauth_sbuf_add(b, "&", 1);
	ccauth_sbuf_str(b, name);
	ccauth_sbuf_add(b, "=", 1);
	ccauth_sbuf_urlencode(b, val, vlen);
}
