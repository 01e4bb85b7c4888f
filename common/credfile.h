/* Credential files (client secrets, private keys, TLS keys and certificates): open and read them
 * with the permission rules of design.md, never following a check with an unchecked open. */
#ifndef CCAUTH_CREDFILE_H
#define CCAUTH_CREDFILE_H

#include <stddef.h>
#include <sys/stat.h>

#include "error.h"

/* Trusted (what decides whom we trust: the config file, jwks_file, ca_file, ca_path): owned by root
 * or the effective uid, not writable by group or others. */
int ccauth_credfile_owner_ok(const struct stat *sb);
int ccauth_credfile_is_trusted(const struct stat *sb);
/* A short reason for errno e after an open, stat or read failed ("no such file", ...), for messages. */
const char *ccauth_credfile_errno_text(int e);

/* A credential (client secret, private key, TLS key) is judged by the process that reads it, when it
 * reads it (design.md "Secrets", issue #8): a regular file owned by root or the effective uid,
 * nothing for others, not writable by its group, and readable by its group only when that group is
 * one of this process's groups (the Debian ssl-cert pattern: root:GROUP 0640).  UNFIT: wrong for
 * any reader; NOT_MINE: perhaps right for another user, not for this process.  why gets what is
 * wrong and the fix. */
enum ccauth_credfile_verdict { CCAUTH_CREDFILE_OK, CCAUTH_CREDFILE_UNFIT, CCAUTH_CREDFILE_NOT_MINE };
enum ccauth_credfile_verdict ccauth_credfile_judge(const struct stat *sb, char *why, size_t whysize);

/* The file a configured credential path names: an absolute path as it is; a plain name (no '/') in
 * $CREDENTIALS_DIRECTORY, where systemd's LoadCredential= puts a unit's credentials
 * (https://systemd.io/CREDENTIALS/), built in buf.  NULL when that variable is unset or not
 * absolute, or the result does not fit. */
const char *ccauth_credfile_path(const char *path, char *buf, size_t size);

/* CCAUTH_E_CONFIG "secret file PATH WHAT: FIX" unless path names a credential this process may use
 * (ccauth_credfile_judge).  Checked before each read; never when the configuration is loaded. */
enum ccauth_status ccauth_credfile_check_secret(const char *path, struct ccauth_error *err);

/* Read fd to its end, or to cap + 1 bytes (so that the caller sees a file over the cap), into buf
 * (at least cap + 1 bytes); *len is what was read.  0, or the errno of the failed read. */
int ccauth_credfile_read_fd(int fd, char *buf, size_t cap, size_t *len);

/* Read a trusted file the administrator writes (the config file, username_map) into a malloc'd
 * buffer of cap + 1 bytes (free it), so that the caller sees a file over the cap.  Refused
 * (CCAUTH_E_CONFIG, "LABELPATH: why"): not a regular file, not trusted (writable by group or
 * others, owned by another user).  Symlinks are followed (/etc layouts use them); the checks apply
 * to the open file. */
enum ccauth_status ccauth_credfile_read_trusted(const char *label, const char *path, size_t cap, char **out,
                                                size_t *outlen, struct ccauth_error *err);

/* Open a credential file (what names it in messages; a plain name as ccauth_credfile_path); a secret
 * one after the permission check, and checked again on the open file (it may have changed since the
 * check).  *out is an O_CLOEXEC fd. */
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
