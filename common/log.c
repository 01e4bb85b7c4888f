#include "autoconf.h"

#include <stdarg.h>
#include <stdio.h>

#include "log.h"

void ccauth_log(const struct ccauth_log *log, int priority, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (log == NULL || log->fn == NULL || (priority == LOG_DEBUG && !log->debug))
		return;
	va_start(ap, fmt);
	if (vsnprintf(buf, sizeof(buf), fmt, ap) < 0)
		buf[0] = '\0';
	va_end(ap);
	log->fn(log->ctx, priority, buf);
}
