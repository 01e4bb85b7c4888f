/* Helpers shared by the server and client mechanisms: options, logging, status mapping. */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "plugin.h"

const char *ccauth_sasl_getopt(const sasl_utils_t *utils, const char *option)
{
	const char *val = NULL;
	unsigned len = 0;

	if (utils == NULL || utils->getopt == NULL)
		return NULL;
	if (utils->getopt(utils->getopt_context, "ccauth", option, &val, &len) != SASL_OK || val == NULL)
		return NULL;
	if (len == 0)
		len = (unsigned)strlen(val);
	/* libsasl hands out NUL-terminated config values; an embedded NUL would be an app bug */
	if (len == 0 || memchr(val, '\0', len) != NULL)
		return NULL;
	return val;
}

int ccauth_sasl_result(enum ccauth_status st)
{
	if (st == CCAUTH_OK)
		return SASL_OK;
	if (st == CCAUTH_E_MALFORMED)
		return SASL_BADPROT;
	if (ccauth_status_is_rejection(st))
		return SASL_BADAUTH;
	switch (st) {
	case CCAUTH_E_UNAVAILABLE:
		return SASL_UNAVAIL;
	case CCAUTH_E_NOMEM:
		return SASL_NOMEM;
	case CCAUTH_E_DENIED:
		return SASL_BADAUTH;
	default:
		return SASL_FAIL;
	}
}

/* The connection whose exchange this thread is running, while the core works for it. */
static _Thread_local struct {
	const sasl_utils_t *utils;
	int level;
} cur;

void ccauth_sasl_log_enter(const sasl_utils_t *utils, int level)
{
	cur.utils = utils;
	cur.level = level;
}

void ccauth_sasl_log_leave(void)
{
	cur.utils = NULL;
	cur.level = SASL_LOG_NONE;
}

static int sasl_level(int priority)
{
	switch (priority) {
	case LOG_EMERG:
	case LOG_ALERT:
	case LOG_CRIT:
	case LOG_ERR:
		return SASL_LOG_ERR;
	case LOG_WARNING:
		return SASL_LOG_WARN;
	case LOG_NOTICE:
	case LOG_INFO:
		return SASL_LOG_NOTE;
	default:
		return SASL_LOG_DEBUG;
	}
}

int ccauth_sasl_log_wants(int conn_level, int level)
{
	return level <= SASL_LOG_FAIL || level <= conn_level;
}

/* A core message goes to the connection the thread works for, through the application's own log
 * callback (ccauth_sasl_log_wants decides).  libsasl formats whatever it
 * is handed, and with no connection it bypasses the application's callback and writes to syslog
 * itself, unfiltered (lib/common.c: _sasl_getcallback, _sasl_syslog): so outside an exchange only
 * what the global log_level asks for is forwarded. */
static void log_forward(void *ctx, int priority, const char *msg)
{
	const struct ccauth_sasl_log *l = ctx;
	int level = sasl_level(priority);

	if (cur.utils != NULL) {
		if (ccauth_sasl_log_wants(cur.level, level))
			cur.utils->log(cur.utils->conn, level, "ccauth: %s", msg);
	} else if (level <= l->level) {
		l->utils->log(NULL, level, "ccauth: %s", msg);
	}
}

int ccauth_sasl_log_level(const sasl_utils_t *utils)
{
	const char *v = ccauth_sasl_getopt(utils, "log_level");
	char *end;
	long n;

	if (v == NULL)
		return SASL_LOG_ERR; /* libsasl's default */
	n = strtol(v, &end, 10);
	if (end == v || n < SASL_LOG_NONE)
		return SASL_LOG_ERR;
	return n > SASL_LOG_PASS ? SASL_LOG_PASS : (int)n;
}

void ccauth_sasl_log_init(struct ccauth_sasl_log *l, const sasl_utils_t *utils)
{
	l->utils = utils;
	l->level = ccauth_sasl_log_level(utils);
	l->log.fn = (utils != NULL && utils->log != NULL) ? log_forward : NULL;
	l->log.ctx = l;
	/* the core formats a debug message only when someone will read it */
	l->log.debug = l->level >= SASL_LOG_DEBUG;
}

void ccauth_sasl_oparams_done(sasl_out_params_t *op)
{
	op->doneflag = 1;
	op->mech_ssf = 0;
	op->maxoutbuf = 0;
	op->encode_context = NULL;
	op->encode = NULL;
	op->decode_context = NULL;
	op->decode = NULL;
	op->param_version = 0;
}
