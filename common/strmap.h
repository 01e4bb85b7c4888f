/* A set of strings with an index each, found in O(1): the issuer registry by `iss`, and the
 * duplicate checks of the config parser.  The map does not copy its keys: they must outlive it. */
#ifndef CCAUTH_STRMAP_H
#define CCAUTH_STRMAP_H

#include <stddef.h>
#include <stdint.h>

struct ccauth_strmap_slot {
	const char *key; /* NULL: empty */
	size_t len;
	size_t val;
	uint64_t hash;
};

struct ccauth_strmap {
	struct ccauth_strmap_slot *slots;
	size_t mask, n;
};

/* Empty map ({0} is one too); free with ccauth_strmap_clear (NULL-safe, leaves an empty map). */
void ccauth_strmap_clear(struct ccauth_strmap *m);

/* Add (key,len) -> val.  1: added; 0: key already there (*val_out, when not NULL, holds its index;
 * nothing changes); -1: out of memory. */
int ccauth_strmap_add(struct ccauth_strmap *m, const char *key, size_t len, size_t val, size_t *val_out);

/* 1 and *val_out when (key,len) is in the map, else 0. */
int ccauth_strmap_get(const struct ccauth_strmap *m, const char *key, size_t len, size_t *val_out);

#endif
