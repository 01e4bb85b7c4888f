/* slapd bind throughput from a libldap client (run by bench/ldap_bind.sh, which starts slapd).
 *
 *   ldap_bind URI N reuse|new simple DN PASSWORD
 *   ldap_bind URI N reuse|new external
 *   ldap_bind URI N reuse|new oauth TOKEN            the same token every time (validated-token cache)
 *   ldap_bind URI N reuse|new oauth-fresh KEY.pem ISS AUD CLIENT_ID
 *                                                    N different RS256 tokens minted before timing
 *                                                    (unique jti): every bind verifies a signature
 *   ldap_bind URI N reuse|new floor TOKEN            mechanism X-CCAUTH-FLOOR (bench/floor_mech.c,
 *                                                    which ignores it) with the bytes an OAUTHBEARER
 *                                                    bind of TOKEN sends: the floor of a SASL bind
 *   ldap_bind URI N reuse|new oauth-raw TOKEN        the same bytes to OAUTHBEARER, sent as floor's
 *                                                    are (no libsasl on this side): the two modes
 *                                                    differ only in slapd's mechanism
 *
 * One untimed bind of the same mode comes first (plugin loading is not a bind's cost).
 *
 * reuse: one connection, N binds on it; new: connect, bind, unbind N times.  Each bind's result is
 * checked (a failed bind aborts the run).  The token of "oauth" is held in memory and handed to
 * libldap's SASL_INTERACT prompt at every bind, as a long-running client holding its token would
 * (the plugin's password mode: no [client] section, no token fetch, no disk).  With an ldap://
 * URI the SASL security properties are "none" (OAUTHBEARER without TLS: for this bench only).
 * Prints one line:
 *   MODE CONN binds N seconds S per_bind_ms M binds_per_s R client_cpu_us C
 * (C: this process's user+system CPU per bind, a figure the machine's load hardly moves).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/resource.h>
#include <sys/time.h>

#include <ldap.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <sasl/sasl.h>

struct tok {
	const char *token;
};

static int interact(LDAP *ld, unsigned flags, void *defaults, void *in)
{
	const struct tok *t = defaults;

	for (sasl_interact_t *p = in; p->id != SASL_CB_LIST_END; p++) {
		p->result = p->id == SASL_CB_PASS && t != NULL ? t->token : "";
		p->len = (unsigned)strlen(p->result);
	}
	return LDAP_SUCCESS;
}

static char *b64url(const unsigned char *in, size_t len)
{
	char *out = malloc(4 * ((len + 2) / 3) + 1);
	size_t n, j = 0;

	if (out == NULL)
		return NULL;
	n = (size_t)EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	for (size_t i = 0; i < n; i++) {
		if (out[i] == '=')
			break;
		out[j++] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
	}
	out[j] = '\0';
	return out;
}

/* header.payload.signature, RS256 with key */
static char *mint(EVP_PKEY *key, const char *iss, const char *aud, const char *client_id, long now)
{
	static const char header[] = "{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"k1\"}";
	unsigned char rnd[12], sig[1024];
	char payload[1024], *h, *p, *s, *jti, *signing, *out;
	size_t siglen = sizeof(sig), n;
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	if (md == NULL || RAND_bytes(rnd, sizeof(rnd)) != 1)
		return NULL;
	jti = b64url(rnd, sizeof(rnd));
	snprintf(payload, sizeof(payload),
	         "{\"iss\":\"%s\",\"sub\":\"%s\",\"client_id\":\"%s\",\"aud\":\"%s\",\"scope\":\"ldap\",\"jti\":\"%s\","
	         "\"iat\":%ld,\"exp\":%ld}",
	         iss, client_id, client_id, aud, jti, now, now + 3600);
	h = b64url((const unsigned char *)header, strlen(header));
	p = b64url((const unsigned char *)payload, strlen(payload));
	n = strlen(h) + strlen(p) + 2;
	signing = malloc(n);
	snprintf(signing, n, "%s.%s", h, p);
	if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(md, sig, &siglen, (const unsigned char *)signing, strlen(signing)) != 1)
		return NULL;
	s = b64url(sig, siglen);
	n = strlen(signing) + strlen(s) + 2;
	out = malloc(n);
	snprintf(out, n, "%s.%s", signing, s);
	free(jti);
	free(h);
	free(p);
	free(s);
	free(signing);
	EVP_MD_CTX_free(md);
	return out;
}

static LDAP *open_ld(const char *uri)
{
	LDAP *ld = NULL;
	int v3 = LDAP_VERSION3;

	/* slapd 2.5 can lose a request on a new connection now and then (seen once in some 100,000
	 * connections: the request unread in its socket, its read event off, every worker idle):
	 * a run that waited forever would hang the bench, so a bind gives up after 10 s */
	struct timeval limit = {10, 0};

	if (ldap_initialize(&ld, uri) != LDAP_SUCCESS)
		return NULL;
	ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
	ldap_set_option(ld, LDAP_OPT_TIMEOUT, &limit);
	/* plain TCP (bench only, slapd runs with sasl-secprops none): let libsasl offer OAUTHBEARER
	 * without TLS; over ldapi:// the socket's own SSF already allows it */
	if (strncmp(uri, "ldap://", 7) == 0 &&
	    ldap_set_option(ld, LDAP_OPT_X_SASL_SECPROPS, "none") != LDAP_OPT_SUCCESS) {
		ldap_unbind_ext_s(ld, NULL, NULL);
		return NULL;
	}
	return ld;
}

enum mode { M_SIMPLE, M_EXTERNAL, M_OAUTH, M_OAUTH_FRESH, M_FLOOR, M_OAUTH_RAW };

static int bind_once(LDAP *ld, enum mode m, const char *dn, const char *pw, const char *token)
{
	struct tok t = {token};
	struct berval cred;

	switch (m) {
	case M_SIMPLE:
		cred.bv_val = (char *)pw;
		cred.bv_len = strlen(pw);
		return ldap_sasl_bind_s(ld, dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
	case M_EXTERNAL:
		return ldap_sasl_interactive_bind_s(ld, NULL, "EXTERNAL", NULL, NULL, LDAP_SASL_QUIET, interact, NULL);
	case M_FLOOR: /* token: the whole RFC 7628 client message, sent as is (no libsasl here) */
	case M_OAUTH_RAW:
		cred.bv_val = (char *)token;
		cred.bv_len = strlen(token);
		return ldap_sasl_bind_s(ld, NULL, m == M_FLOOR ? "X-CCAUTH-FLOOR" : "OAUTHBEARER", &cred, NULL, NULL, NULL);
	default:
		return ldap_sasl_interactive_bind_s(ld, NULL, "OAUTHBEARER", NULL, NULL, LDAP_SASL_QUIET, interact, &t);
	}
}

int main(int argc, char **argv)
{
	const char *uri, *dn = NULL, *pw = NULL, *token = NULL;
	char **tokens = NULL;
	long n;
	int newconn;
	enum mode m;
	struct timespec t0, t1;
	struct rusage ru0, ru1;
	LDAP *ld = NULL;
	double secs, cpu;

	if (argc < 5)
		goto usage;
	uri = argv[1];
	n = strtol(argv[2], NULL, 10);
	newconn = strcmp(argv[3], "new") == 0;
	if (n < 1 || (!newconn && strcmp(argv[3], "reuse") != 0))
		goto usage;
	if (strcmp(argv[4], "simple") == 0 && argc == 7) {
		m = M_SIMPLE;
		dn = argv[5];
		pw = argv[6];
	} else if (strcmp(argv[4], "external") == 0 && argc == 5) {
		m = M_EXTERNAL;
	} else if (strcmp(argv[4], "oauth") == 0 && argc == 6) {
		m = M_OAUTH;
		token = argv[5];
	} else if ((strcmp(argv[4], "floor") == 0 || strcmp(argv[4], "oauth-raw") == 0) && argc == 6) {
		/* what the OAUTHBEARER client sends for this token: gs2 header, auth=Bearer, 2 x kvsep */
		size_t len = strlen(argv[5]) + sizeof("n,,\001auth=Bearer \001\001");
		char *msg = malloc(len);

		if (msg == NULL)
			return 2;
		snprintf(msg, len, "n,,\001auth=Bearer %s\001\001", argv[5]);
		m = strcmp(argv[4], "floor") == 0 ? M_FLOOR : M_OAUTH_RAW;
		token = msg;
	} else if (strcmp(argv[4], "oauth-fresh") == 0 && argc == 9) {
		FILE *f = fopen(argv[5], "r");
		EVP_PKEY *key = f != NULL ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
		long now = (long)time(NULL);

		if (f != NULL)
			fclose(f);
		if (key == NULL) {
			fprintf(stderr, "ldap_bind: cannot read %s\n", argv[5]);
			return 2;
		}
		m = M_OAUTH_FRESH;
		tokens = calloc((size_t)n + 1, sizeof(*tokens)); /* tokens[n]: the warm-up bind's */
		for (long i = 0; tokens != NULL && i <= n; i++)
			if ((tokens[i] = mint(key, argv[6], argv[7], argv[8], now)) == NULL)
				return 2;
		EVP_PKEY_free(key);
		if (tokens == NULL)
			return 2;
	} else {
		goto usage;
	}

	/* one untimed bind first: libldap initializes libsasl, which loads its plugins (ours pulls in
	 * libcurl and OpenSSL), at the first SASL bind - a long-running client has done that long ago */
	if ((ld = open_ld(uri)) == NULL) {
		fprintf(stderr, "ldap_bind: cannot open %s\n", uri);
		return 1;
	}
	if (bind_once(ld, m, dn, pw, m == M_OAUTH_FRESH ? tokens[n] : token) != LDAP_SUCCESS) {
		fprintf(stderr, "ldap_bind: %s warm-up bind failed\n", argv[4]);
		return 1;
	}
	if (newconn) {
		ldap_unbind_ext_s(ld, NULL, NULL);
		ld = NULL;
	}
	getrusage(RUSAGE_SELF, &ru0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++) {
		int rc;

		if (ld == NULL && (ld = open_ld(uri)) == NULL) {
			fprintf(stderr, "ldap_bind: cannot open %s\n", uri);
			return 1;
		}
		rc = bind_once(ld, m, dn, pw, m == M_OAUTH_FRESH ? tokens[i] : token);
		if (rc != LDAP_SUCCESS) {
			fprintf(stderr, "ldap_bind: %s bind %ld: %s\n", argv[4], i, ldap_err2string(rc));
			return 1;
		}
		if (newconn) {
			ldap_unbind_ext_s(ld, NULL, NULL);
			ld = NULL;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	getrusage(RUSAGE_SELF, &ru1);
	if (ld != NULL)
		ldap_unbind_ext_s(ld, NULL, NULL);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	cpu = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec + ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) * 1e6 +
	      (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec + ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec);
	printf("%s %s binds %ld seconds %.3f per_bind_ms %.3f binds_per_s %.0f client_cpu_us %.1f\n", argv[4], argv[3],
	       n, secs, secs * 1000 / (double)n, (double)n / secs, cpu / (double)n);
	for (long i = 0; tokens != NULL && i <= n; i++)
		free(tokens[i]);
	free(tokens);
	if (m == M_FLOOR || m == M_OAUTH_RAW)
		free((char *)token);
	return 0;
usage:
	fprintf(stderr, "usage: ldap_bind URI N reuse|new simple DN PW | external | oauth TOKEN |"
	                " oauth-fresh KEY ISS AUD CLIENT_ID | floor TOKEN | oauth-raw TOKEN\n");
	return 2;
}
