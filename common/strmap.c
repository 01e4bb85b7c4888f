/* Open addressing, linear probing, at most half full.  The keys are the administrator's (issuer
 * URLs, section names): a lookup of an attacker's string (the unverified `iss` of a token) costs
 * one probe run of that table, so FNV-1a needs no secret seed here. */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "strmap.h"

#define MIN_SLOTS 16

static uint64_t hash_of(const char *s, size_t len)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

void ccauth_strmap_clear(struct ccauth_strmap *m)
{
	if (m == NULL)
		return;
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

static struct ccauth_strmap_slot *probe(const struct ccauth_strmap *m, const char *key, size_t len, uint64_t h)
{
	for (size_t i = (size_t)h & m->mask;; i = (i + 1) & m->mask) {
		struct ccauth_strmap_slot *s = &m->slots[i];

		if (s->key == NULL || (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0))
			return s;
	}
}

static int grow(struct ccauth_strmap *m)
{
	size_t nslots = m->slots != NULL ? (m->mask + 1) * 2 : MIN_SLOTS;
	struct ccauth_strmap bigger = {0};

	if (nslots > SIZE_MAX / 2 / sizeof(*bigger.slots) ||
	    (bigger.slots = calloc(nslots, sizeof(*bigger.slots))) == NULL)
		return -1;
	bigger.mask = nslots - 1;
	bigger.n = m->n;
	for (size_t i = 0; m->slots != NULL && i <= m->mask; i++)
		if (m->slots[i].key != NULL)
			*probe(&bigger, m->slots[i].key, m->slots[i].len, m->slots[i].hash) = m->slots[i];
	free(m->slots);
	*m = bigger;
	return 0;
}

int ccauth_strmap_add(struct ccauth_strmap *m, const char *key, size_t len, size_t val, size_t *val_out)
{
	uint64_t h = hash_of(key, len);
	struct ccauth_strmap_slot *s;

	if ((m->slots == NULL || (m->n + 1) * 2 > m->mask + 1) && grow(m) != 0)
		return -1;
	s = probe(m, key, len, h);
	if (s->key != NULL) {
		if (val_out != NULL)
			*val_out = s->val;
		return 0;
	}
	*s = (struct ccauth_strmap_slot){.key = key, .len = len, .val = val, .hash = h};
	m->n++;
	return 1;
}

int ccauth_strmap_get(const struct ccauth_strmap *m, const char *key, size_t len, size_t *val_out)
{
	const struct ccauth_strmap_slot *s;

	if (m->slots == NULL)
		return 0;
	s = probe(m, key, len, hash_of(key, len));
	if (s->key == NULL)
		return 0;
	*val_out = s->val;
	return 1;
}
