#include "autoconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

static const char *const reasons[] = {
	[CCAUTH_OK] = "ok",
	[CCAUTH_E_MALFORMED] = "malformed",
	[CCAUTH_E_ALGORITHM] = "algorithm",
	[CCAUTH_E_UNKNOWN_KEY] = "unknown_key",
	[CCAUTH_E_SIGNATURE] = "signature",
	[CCAUTH_E_EXPIRED] = "expired",
	[CCAUTH_E_NOT_YET_VALID] = "not_yet_valid",
	[CCAUTH_E_ISSUER] = "issuer",
	[CCAUTH_E_AUDIENCE] = "audience",
	[CCAUTH_E_SCOPE] = "scope",
	[CCAUTH_E_CLIENT] = "client",
	[CCAUTH_E_TYPE] = "type",
	[CCAUTH_E_INACTIVE] = "inactive",
	[CCAUTH_E_IDENTITY] = "identity",
	[CCAUTH_E_CONFIG] = "config",
	[CCAUTH_E_UNAVAILABLE] = "unavailable",
	[CCAUTH_E_DENIED] = "denied",
	[CCAUTH_E_NOMEM] = "nomem",
	[CCAUTH_E_INTERNAL] = "internal",
};

const char *ccauth_status_reason(enum ccauth_status st)
{
	if ((unsigned)st < sizeof(reasons) / sizeof(reasons[0]) && reasons[st])
		return reasons[st];
	return "internal";
}

int ccauth_status_is_rejection(enum ccauth_status st)
{
	return st >= CCAUTH_E_MALFORMED && st <= CCAUTH_E_IDENTITY;
}

enum ccauth_status ccauth_error_set(struct ccauth_error *err, enum ccauth_status code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	err->code = code;
	va_start(ap, fmt);
	if (vsnprintf(err->msg, sizeof(err->msg), fmt, ap) < 0)
		err->msg[0] = '\0';
	va_end(ap);
	return code;
}

void ccauth_error_clear(struct ccauth_error *err)
{
	if (err == NULL)
		return;
	err->code = CCAUTH_OK;
	err->msg[0] = '\0';
}
