/* Identity mapping: claims -> local user name. */
#ifndef CCAUTH_MAP_H
#define CCAUTH_MAP_H

#include <stddef.h>

#include "config.h"
#include "error.h"
#include "json.h"

#define CCAUTH_USER_MAX 256

/* Take the first claim of ic->username_claim (default client_id azp sub) that is present as a
 * non-empty string, replace it by its name in ic->usermap when there is one (a value absent from
 * the map is CCAUTH_E_IDENTITY), apply ic->username_template ("%s" replaced once, "%%" a literal '%'), and check
 * the result against [A-Za-z0-9._@-]{1,256}.  out needs CCAUTH_USER_MAX + 1 bytes.
 * A present claim of the wrong type, no claim at all, or a result outside the character set is
 * CCAUTH_E_IDENTITY. */
enum ccauth_status ccauth_map_identity(const struct ccauth_issuer_conf *ic, const struct ccauth_json *claims,
				       char out[CCAUTH_USER_MAX + 1], struct ccauth_error *err);

/* 1 if s (len) is a valid mapped name: [A-Za-z0-9._@-]{1,256}, except "." and "..". */
int ccauth_map_name_ok(const char *s, size_t len);

/* Validate a template at config time: at most one %s, only %s and %%. */
int ccauth_map_template_ok(const char *tmpl);

#endif
