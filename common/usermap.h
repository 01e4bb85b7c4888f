/* username_map = FILE: claim values mapped to local names, one "VALUE NAME" pair a line, '#'
 * comments.  Loaded with the configuration; a value absent from the map is no identity. */
#ifndef CCAUTH_USERMAP_H
#define CCAUTH_USERMAP_H

#include <stddef.h>

#include "error.h"

#define CCAUTH_USERMAP_MAX_BYTES (1024 * 1024)
#define CCAUTH_USERMAP_MAX_VALUE 1024

struct ccauth_usermap;

/* Read path with the config file's rules (a regular file, not writable by group or others, owned
 * by root or the effective uid).  A line that is not two fields, a value longer than
 * CCAUTH_USERMAP_MAX_VALUE, a name outside [A-Za-z0-9._@-]{1,256} (or "." ".."), or a value given
 * twice is CCAUTH_E_CONFIG naming path:line. */
enum ccauth_status ccauth_usermap_load(const char *path, struct ccauth_usermap **out, struct ccauth_error *err);

/* Parse a buffer; name is used in messages.  No file checks (tests, fuzzing). */
enum ccauth_status ccauth_usermap_parse(const char *buf, size_t len, const char *name, struct ccauth_usermap **out,
                                        struct ccauth_error *err);

/* The local name for value (ptr,len), or NULL. */
const char *ccauth_usermap_lookup(const struct ccauth_usermap *m, const char *value, size_t len);

size_t ccauth_usermap_size(const struct ccauth_usermap *m);

void ccauth_usermap_free(struct ccauth_usermap *m);

#endif
