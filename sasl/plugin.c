/* Helpers shared by the server and client mechanisms: options, logging, status mapping. */
#include "autoconf.h"

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

static void log_forward(void *ctx, int priority, const char *msg)
{
	const sasl_utils_t *utils = ctx;
	int level;

	switch (priority) {
	case LOG_EMERG:
	case LOG_ALERT:
	case LOG_CRIT:
	case LOG_ERR:
		level = SASL_LOG_ERR;
		break;
	case LOG_WARNING:
		level = SASL_LOG_WARN;
		break;
	case LOG_NOTICE:
	case LOG_INFO:
		level = SASL_LOG_NOTE;
		break;
	default:
		level = SASL_LOG_DEBUG;
		break;
	}
	utils->log(NULL, level, "ccauth: %s", msg);
}

void ccauth_sasl_log_init(struct ccauth_log *log, const sasl_utils_t *utils)
{
	log->fn = (utils != NULL && utils->log != NULL) ? log_forward : NULL;
	log->ctx = (void *)utils;
	/* libsasl filters by its own log_level option */
	log->debug = 1;
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
