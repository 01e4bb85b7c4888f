/* bench/issuers: what the number of trusted issuers costs one validation.
 *
 * For 1, 100 and 1,000 issuers it writes a config in which every issuer has its own jwks_file
 * (kind "jwks_file"), and one in which all but the token's issuer are remote (jwks_uri, never
 * contacted: kind "jwks_uri"), and a token of the last issuer.  It measures:
 *   parse    ccauth_config_parse of the config text
 *   inproc   what a process does per token with a fresh validator, as PAM does per login:
 *            ccauth_config_load + ccauth_validator_new + ccauth_validate + free
 *   fresh    a fresh `ccauth -c CONFIG verify TOKEN` process, wall clock (exec, libraries, all)
 * and prints each next to its ratio to one issuer of the same kind.  Only same-run ratios mean
 * anything on a shared machine.
 *
 * Usage: bench/issuers [RUNS]   (fresh processes per figure, default 100)
 * CCAUTH_BIN=path runs another ccauth binary for "fresh" (say, a copy of the one before a change).
 */
#include "autoconf.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "b64url.h"
#include "config.h"
#include "validate.h"

#define MAX_ISSUERS 1000
#define CCAUTH      TOP_BUILDDIR "/tools/ccauth"

extern char **environ;

static void die(const char *what)
{
	fprintf(stderr, "bench/issuers: %s\n", what);
	exit(1);
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void b64_into(const void *data, size_t len, char *out, size_t outsz)
{
	if (CCAUTH_B64URL_ENCODED_LEN(len) + 1 > outsz)
		die("buffer too small");
	ccauth_b64url_encode(data, len, out);
}

static void write_file(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || write(fd, text, len) != (ssize_t)len || close(fd) != 0)
		die("cannot write a bench file");
}

/* An EdDSA access token of issuer number iss_no (RFC 9068 claims). */
static char *mint(EVP_PKEY *key, int iss_no)
{
	char header[] = "{\"alg\":\"EdDSA\",\"typ\":\"at+jwt\",\"kid\":\"k1\"}", payload[512], input[2048], sig64[128];
	unsigned char sig[64];
	size_t siglen = sizeof(sig), n;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int64_t now = (int64_t)time(NULL);
	char *token;

	snprintf(payload, sizeof(payload),
	         "{\"iss\":\"https://idp.example.com/t/%d\",\"sub\":\"svc-bench\",\"aud\":\"ldap://ldap.example.com\","
	         "\"client_id\":\"svc-bench\",\"scope\":\"ldap.read\",\"iat\":%lld,\"exp\":%lld,\"jti\":\"j-%d\"}",
	         iss_no, (long long)now - 10, (long long)now + 3600, iss_no);
	b64_into(header, strlen(header), input, sizeof(input));
	n = strlen(input);
	input[n++] = '.';
	b64_into(payload, strlen(payload), input + n, sizeof(input) - n);
	n = strlen(input);
	if (md == NULL || EVP_DigestSignInit(md, NULL, NULL, NULL, key) != 1 ||
	    EVP_DigestSign(md, sig, &siglen, (const unsigned char *)input, n) != 1)
		die("signing");
	EVP_MD_CTX_free(md);
	b64_into(sig, siglen, sig64, sizeof(sig64));
	if ((token = malloc(n + strlen(sig64) + 2)) == NULL)
		die("out of memory");
	snprintf(token, n + strlen(sig64) + 2, "%s.%s", input, sig64);
	return token;
}

/* CONFIG text for n issuers; the last one has a jwks_file, the others too unless remote. */
static char *config_text(const char *dir, int n, int remote, size_t *lenp)
{
	size_t cap = 256 + (size_t)n * 256, len;
	char *text = malloc(cap);

	if (text == NULL)
		die("out of memory");
	len = (size_t)snprintf(text, cap, "[global]\ncache_dir =\n"); /* memory only: nothing left behind */
	for (int i = 0; i < n; i++) {
		len += (size_t)snprintf(text + len, cap - len,
		                        "\n[issuer i%d]\nissuer = https://idp.example.com/t/%d\n", i, i);
		if (remote && i != n - 1)
			len += (size_t)snprintf(text + len, cap - len, "jwks_uri = https://idp.example.com/t/%d/keys\n",
			                        i);
		else
			len += (size_t)snprintf(text + len, cap - len, "jwks_file = %s/jwks-%d.json\n", dir, i);
		len += (size_t)snprintf(text + len, cap - len, "audience = ldap://ldap.example.com\n");
		if (len >= cap)
			die("config buffer");
	}
	*lenp = len;
	return text;
}

/* mean microseconds of a fresh `ccauth -c conf verify token` (exit 0 required) */
static double fresh_us(const char *conf, const char *token, int runs)
{
	char *argv[] = {"ccauth", "-c", (char *)conf, "verify", (char *)token, NULL};
	const char *bin = getenv("CCAUTH_BIN") != NULL ? getenv("CCAUTH_BIN") : CCAUTH;
	posix_spawn_file_actions_t fa;
	double t0;

	if (posix_spawn_file_actions_init(&fa) != 0 ||
	    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0) != 0)
		die("posix_spawn_file_actions");
	t0 = now_us();
	for (int r = 0; r < runs; r++) {
		pid_t pid;
		int status = 0;

		if (posix_spawn(&pid, bin, &fa, NULL, argv, environ) != 0 || waitpid(pid, &status, 0) != pid)
			die("cannot run ccauth (CCAUTH_BIN)");
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			die("ccauth verify did not accept the token");
	}
	posix_spawn_file_actions_destroy(&fa);
	return (now_us() - t0) / runs;
}

/* mean microseconds of load + validator + validate + free, and of the parse alone */
static double inproc_us(const char *conf, const char *text, size_t textlen, const char *token, double *parse)
{
	struct ccauth_validator_opts opts = {.cache_entries = SIZE_MAX};
	struct ccauth_error err = {0};
	double t0, t1;
	long n = 0;

	t0 = now_us();
	do {
		struct ccauth_config *cfg = NULL;

		if (ccauth_config_parse(text, textlen, "bench", &cfg, &err) != CCAUTH_OK)
			die(err.msg);
		ccauth_config_free(cfg);
		n++;
	} while ((t1 = now_us()) - t0 < 300000);
	*parse = (t1 - t0) / n;
	n = 0;
	t0 = now_us();
	do {
		struct ccauth_config *cfg = NULL;
		struct ccauth_validator *v = NULL;
		const struct ccauth_identity *id = NULL;

		if (ccauth_config_load(conf, &cfg, &err) != CCAUTH_OK ||
		    ccauth_validator_new(cfg, &opts, &v, &err) != CCAUTH_OK ||
		    ccauth_validate(v, token, strlen(token), (int64_t)time(NULL), &id, &err) != CCAUTH_OK)
			die(err.msg);
		ccauth_identity_release(id);
		ccauth_validator_free(v);
		ccauth_config_free(cfg);
		n++;
	} while ((t1 = now_us()) - t0 < 300000);
	return (t1 - t0) / n;
}

int main(int argc, char **argv)
{
	static const int sizes[] = {1, 100, MAX_ISSUERS};
	char dir[] = "/tmp/ccauth-issuers-XXXXXX", path[256], jwks[512], x[64];
	unsigned char pub[32];
	size_t publen = sizeof(pub);
	int runs = argc > 1 ? atoi(argv[1]) : 100;
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");

	if (runs < 1 || runs > 100000)
		die("usage: bench/issuers [RUNS]");
	if (key == NULL || !EVP_PKEY_get_raw_public_key(key, pub, &publen))
		die("key generation");
	umask(077);
	if (mkdtemp(dir) == NULL)
		die("mkdtemp");
	b64_into(pub, publen, x, sizeof(x));
	snprintf(jwks, sizeof(jwks), "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"k1\",\"x\":\"%s\"}]}",
	         x);
	for (int i = 0; i < MAX_ISSUERS; i++) {
		snprintf(path, sizeof(path), "%s/jwks-%d.json", dir, i);
		write_file(path, jwks, strlen(jwks));
	}

	printf("bench/issuers: %d fresh processes per figure; the token names the last issuer\n\n", runs);
	printf("%-9s %7s %12s %8s %14s %8s %14s %8s\n", "kind", "issuers", "parse us", "ratio", "inproc us", "ratio",
	       "fresh ms", "ratio");
	for (int remote = 0; remote < 2; remote++) {
		double base_parse = 0, base_in = 0, base_fresh = 0;

		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			int n = sizes[s];
			size_t len;
			char *text = config_text(dir, n, remote, &len), *token = mint(key, n - 1);
			double parse, in, fresh;

			snprintf(path, sizeof(path), "%s/ccauth-%d-%d.conf", dir, n, remote);
			write_file(path, text, len);
			in = inproc_us(path, text, len, token, &parse);
			fresh = fresh_us(path, token, runs);
			if (s == 0)
				base_parse = parse, base_in = in, base_fresh = fresh;
			printf("%-9s %7d %12.1f %7.2fx %14.1f %7.2fx %14.2f %7.2fx\n",
			       remote ? "jwks_uri" : "jwks_file", n, parse, parse / base_parse, in, in / base_in,
			       fresh / 1000, fresh / base_fresh);
			unlink(path);
			free(text);
			free(token);
		}
	}
	for (int i = 0; i < MAX_ISSUERS; i++) {
		snprintf(path, sizeof(path), "%s/jwks-%d.json", dir, i);
		unlink(path);
	}
	rmdir(dir);
	EVP_PKEY_free(key);
	return 0;
}
