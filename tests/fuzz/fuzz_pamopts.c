/* libFuzzer harness for pam_ccauth's options: the conf= file's lines, then module arguments.
 * Input: the options file, optionally followed by "\0\0" and NUL-separated arguments.  pam_syslog
 * is replaced here (pam/pam_options.c is linked in without libpam): every line the module would
 * log must be one printable line, so a hostile argument cannot forge a second syslog entry. */
#include "autoconf.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <security/pam_ext.h>

#include "pam_options.h"

#define MAX_ARGS 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

void pam_syslog(const pam_handle_t *pamh, int priority, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	(void)pamh;
	(void)priority;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (const unsigned char *p = (const unsigned char *)line; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ccauth_pam_options o;
	const char *argv[MAX_ARGS];
	char *copy;
	size_t conflen = size;
	int argc = 0, rc;

	for (size_t i = 0; i + 1 < size; i++)
		if (data[i] == 0 && data[i + 1] == 0) {
			conflen = i;
			break;
		}
	if ((copy = malloc(size + 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	memset(&o, 0, sizeof(o));
	ccauth_pam_options_parse_conf(NULL, &o, copy, conflen);
	ccauth_pam_options_free(&o);
	/* the arguments: conf= would read a file, so it is left out */
	for (size_t i = conflen + 2; i < size && argc < MAX_ARGS; i += strlen(copy + i) + 1)
		if (strncmp(copy + i, "conf=", 5) != 0)
			argv[argc++] = copy + i;
	rc = ccauth_pam_options_parse(NULL, argc, argv, &o);
	if (rc != 0 && rc != PAM_SERVICE_ERR && rc != PAM_BUF_ERR)
		abort();
	if (o.nissuers > CCAUTH_PAM_MAX_ISSUERS || (o.use_first_pass && o.try_first_pass))
		abort();
	ccauth_pam_options_free(&o);
	free(copy);
	return 0;
}
