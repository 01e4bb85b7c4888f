/* OAUTHBEARER / XOAUTH2 client messages and error challenges.  Every accepted message is rebuilt
 * and reparsed; the fields must survive unchanged (abort() is how a harness reports). */
#include "autoconf.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../sasl/gs2.h"
#include "util.h"
#include "validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_oauthbearer(const char *msg, size_t len)
{
	struct ccauth_oauthbearer_msg m, m2;
	char *host = NULL, *out = NULL;
	size_t n = 0;

	if (ccauth_gs2_parse_client(msg, len, &m, NULL) != CCAUTH_OK) {
		if (m.authzid != NULL || m.token != NULL || m.reason == CCAUTH_GS2_R_OK)
			abort();
		return;
	}
	/* a grammatical message without a bearer token (the server answers it with the error
	 * challenge): nothing to rebuild */
	if (m.cred != CCAUTH_GS2_CRED_BEARER) {
		if (m.token != NULL || m.token_len != 0 || m.token_scan != 0)
			abort();
		ccauth_gs2_msg_clear(&m);
		return;
	}
	if (m.token == NULL || m.token_len == 0 || m.token < msg || m.token + m.token_len > msg + len)
		abort();
	/* what the one scan told the validator must be true of every byte */
	if (!(m.token_scan & CCAUTH_TOKEN_SCAN_CHARS) || !ccauth_token_chars_ok(m.token, m.token_len))
		abort();
	for (size_t i = 0; i < m.token_len; i++) {
		unsigned char c = (unsigned char)m.token[i];
		int jwt = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
		          c == '_' || c == '.';

		if ((m.token_scan & CCAUTH_TOKEN_SCAN_JWT_CHARS) && !jwt)
			abort();
	}
	if (m.host != NULL) {
		host = malloc(m.host_len + 1);
		if (host == NULL)
			abort();
		memcpy(host, m.host, m.host_len);
		host[m.host_len] = '\0';
	}
	if (ccauth_gs2_build_client(m.authzid, host, m.port, m.token, m.token_len, &out, &n, NULL) != CCAUTH_OK)
		abort();
	if (ccauth_gs2_parse_client(out, n, &m2, NULL) != CCAUTH_OK)
		abort();
	if ((m.authzid == NULL) != (m2.authzid == NULL) || (m.authzid && strcmp(m.authzid, m2.authzid) != 0))
		abort();
	if (m.token_len != m2.token_len || memcmp(m.token, m2.token, m.token_len) != 0)
		abort();
	if (m.host_len != m2.host_len || (m.host && memcmp(m.host, m2.host, m.host_len) != 0))
		abort();
	if (m.port != m2.port)
		abort();
	ccauth_gs2_msg_clear(&m2);
	ccauth_gs2_msg_clear(&m);
	free(host);
	free(out);
}

static void check_xoauth2(const char *msg, size_t len)
{
	struct ccauth_xoauth2_msg x, x2;
	char *out = NULL;
	size_t n = 0;

	if (ccauth_xoauth2_parse_client(msg, len, &x, NULL) != CCAUTH_OK)
		return;
	if (x.user == NULL || x.token == NULL)
		abort();
	if (ccauth_xoauth2_build_client(x.user, x.token, x.token_len, &out, &n, NULL) != CCAUTH_OK)
		abort();
	/* strict grammar: the canonical form differs only in the scheme's case and the spaces */
	if (ccauth_xoauth2_parse_client(out, n, &x2, NULL) != CCAUTH_OK || strcmp(x.user, x2.user) != 0 ||
	    x.token_len != x2.token_len || memcmp(x.token, x2.token, x.token_len) != 0)
		abort();
	ccauth_xoauth2_msg_clear(&x2);
	ccauth_xoauth2_msg_clear(&x);
	free(out);
}

static void check_challenge(const char *msg, size_t len)
{
	struct ccauth_oauth_challenge c;
	char *out = NULL;
	size_t n = 0;

	if (ccauth_gs2_parse_challenge(msg, len, &c, NULL) != CCAUTH_OK)
		return;
	if (c.status == NULL)
		abort();
	if (ccauth_gs2_build_error(c.status[0] ? c.status : "x", c.scope, c.openid_configuration, &out, &n, NULL) ==
	    CCAUTH_OK) {
		struct ccauth_oauth_challenge c2;

		if (ccauth_gs2_parse_challenge(out, n, &c2, NULL) == CCAUTH_OK) {
			if ((c.scope == NULL) != (c2.scope == NULL) || (c.scope && strcmp(c.scope, c2.scope) != 0))
				abort();
			ccauth_gs2_challenge_clear(&c2);
		}
		free(out);
	}
	ccauth_gs2_challenge_clear(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *msg = (const char *)data;

	check_oauthbearer(msg, size);
	check_xoauth2(msg, size);
	check_challenge(msg, size);
	(void)ccauth_gs2_parse_error_ack(msg, size, NULL);
	return 0;
}
