/* libFuzzer harness: the configuration parser on arbitrary bytes.  Secret-file checks stat() the
 * paths named in the input; nothing is opened or written. */
#include "autoconf.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ccauth_config *cfg = NULL;
	struct ccauth_error err;

	if (ccauth_config_parse((const char *)data, size, "fuzz", &cfg, &err) != CCAUTH_OK) {
		/* the message is always terminated and names the input */
		if (err.code == CCAUTH_E_CONFIG && strncmp(err.msg, "fuzz", 4) != 0)
			__builtin_trap();
		return 0;
	}
	for (size_t i = 0; i < cfg->nissuers; i++) {
		const struct ccauth_issuer_conf *ic = &cfg->issuers[i];
		if (ccauth_config_issuer(cfg, ic->name) != ic ||
		    ccauth_config_issuer_by_iss(cfg, ic->issuer, strlen(ic->issuer)) != ic)
			__builtin_trap();
	}
	for (size_t i = 0; i < cfg->nclients; i++)
		if (ccauth_config_client(cfg, cfg->clients[i].name) != &cfg->clients[i])
			__builtin_trap();
	ccauth_config_free(cfg);
	return 0;
}
