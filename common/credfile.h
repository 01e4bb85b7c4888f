/* Credential files (client secrets, private keys, TLS keys and certificates): open and read them
 * with the permission rules of design.md, never following a check with an unchecked open. */
#ifndef CCAUTH_CREDFILE_H
#define CCAUTH_CREDFILE_H

#include <stddef.h>
#include <sys/stat.h>

#include "error.h"

/* The permission rules (design.md).  Both want the owner to be root or the effective uid.
 * Private (a secret: client secret, private keys): not readable by group or others.
 * Trusted (what decides whom we trust: the config file, jwks_file, ca_file, ca_path): not writable
 * by group or others. */
int ccauth_credfile_owner_ok(const struct stat *sb);
int ccauth_credfile_is_private(const struct stat *sb);
int ccauth_credfile_is_trusted(const struct stat *sb);

/* NULL when path is a regular file that is private, else what is wrong with it ("does not exist",
 * "is readable by group or others", ...); a missing file is fine when missing_ok. */
const char *ccauth_credfile_secret_problem(const char *path, int missing_ok);

/* CCAUTH_E_CONFIG "secret file PATH WHAT" unless path names a private regular file.  Used when the
 * configuration is loaded and again before each read. */
enum ccauth_status ccauth_credfile_check_secret(const char *path, struct ccauth_error *err);

/* Read fd to its end, or to cap + 1 bytes (so that the caller sees a file over the cap), into buf
 * (at least cap + 1 bytes); *len is what was read.  0, or the errno of the failed read. */
int ccauth_credfile_read_fd(int fd, char *buf, size_t cap, size_t *len);

/* Open a credential file (what names it in messages); a secret one after the permission check, and
 * checked again on the open file (it may have changed since the check).  *out is an O_CLOEXEC fd. */
enum ccauth_status ccauth_credfile_open(const char *what, const char *path, int secret, int *out,
                                        struct ccauth_error *err);

/* Read the open file fd (of what, path; closed here) into a malloc'd, NUL-terminated buffer of at
 * most cap bytes; the buffer is cap + 2 bytes long (free with ccauth_free_secret(*out, cap + 2)). */
enum ccauth_status ccauth_credfile_read_all(const char *what, const char *path, int fd, size_t cap, char **out,
                                            size_t *outlen, struct ccauth_error *err);

/* Read a secret file (after the permission check) into a malloc'd, NUL-terminated buffer of at most
 * cap bytes; the buffer is cap + 2 bytes long (free with ccauth_free_secret(*out, cap + 2)). */
enum ccauth_status ccauth_credfile_read_secret(const char *what, const char *path, size_t cap, char **out,
                                               size_t *outlen, struct ccauth_error *err);

#endif
