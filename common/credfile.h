/* Credential files (client secrets, private keys, TLS keys and certificates): open and read them
 * with the permission rules of design.md, never following a check with an unchecked open. */
#ifndef CCAUTH_CREDFILE_H
#define CCAUTH_CREDFILE_H

#include <stddef.h>

#include "error.h"

/* Open a credential file (what names it in messages); a secret one after the permission check, and
 * checked again on the open file (it may have changed since the check).  *out is an O_CLOEXEC fd. */
enum ccauth_status ccauth_credfile_open(const char *what, const char *path, int secret, int *out,
                                        struct ccauth_error *err);

/* Read a secret file (after the permission check) into a malloc'd, NUL-terminated buffer of at most
 * cap bytes; the buffer is cap + 2 bytes long (free with ccauth_free_secret(*out, cap + 2)). */
enum ccauth_status ccauth_credfile_read_secret(const char *what, const char *path, size_t cap, char **out,
                                               size_t *outlen, struct ccauth_error *err);

#endif
