/* A growing string that may hold secrets (curl's lib/dynbuf.c is the model): never realloc'd (the
 * old copy is wiped), every byte up to cap is written before free, an optional ceiling, and
 * allocation failure sticks (later calls do nothing; check failed once at the end). */
#ifndef CCAUTH_SBUF_H
#define CCAUTH_SBUF_H

#include <stddef.h>

struct ccauth_sbuf {
	char *p; /* NUL-terminated; NULL until the first byte; calloc'd, so the slack after len is zero */
	size_t len, cap;
	size_t max; /* 0: no ceiling; else the buffer never grows past max + 1 bytes */
	int failed;
};

void ccauth_sbuf_wipe(struct ccauth_sbuf *b); /* wipes cap bytes, frees, zeroes the struct */
/* Append n bytes; on failure (no memory, or over max) the buffer is wiped and failed set. */
void ccauth_sbuf_add(struct ccauth_sbuf *b, const char *s, size_t n);
void ccauth_sbuf_str(struct ccauth_sbuf *b, const char *s);
/* application/x-www-form-urlencoded (s, n): unreserved ALPHA DIGIT - . _ ~ kept, everything else
 * (space included) as %XX. */
void ccauth_sbuf_urlencode(struct ccauth_sbuf *b, const char *s, size_t n);
/* "&" when not empty, then name "=" urlencode(val). */
void ccauth_sbuf_param(struct ccauth_sbuf *b, const char *name, const char *val, size_t vlen);

/* urlencode (s,len) appended to *buf (malloc'd, NUL-terminated, wiped when it grows); *buflen is
 * updated.  -1 on ENOMEM (then *buf is wiped and freed). */
int ccauth_form_append(char **buf, size_t *buflen, const char *s, size_t len);

#endif
