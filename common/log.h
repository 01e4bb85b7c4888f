/* Logging: common/ never prints.  Front ends inject a callback (PAM: pam_syslog, SASL:
 * utils->log, CLI: stderr).  Messages must never contain a token or a secret. */
#ifndef CCAUTH_LOG_H
#define CCAUTH_LOG_H

#include <syslog.h> /* LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG */

typedef void (*ccauth_log_fn)(void *ctx, int priority, const char *msg);

struct ccauth_log {
	ccauth_log_fn fn; /* NULL: discard */
	void *ctx;
	int debug; /* pass LOG_DEBUG messages on only when set */
};

/* NULL-safe; formats into a bounded stack buffer. */
void ccauth_log(const struct ccauth_log *log, int priority, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
