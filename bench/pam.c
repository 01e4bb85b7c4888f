/* bench/pam: what pam_ccauth.so costs per login.
 *
 *   ./bench/pam [N]
 *
 * 1. N pam_start -> pam_authenticate -> pam_end cycles in one process with pam_ccauth.so and its
 *    keys on disk (a jwks_file; the issuer URL is a closed port on 127.0.0.1, so a single network
 *    call would fail the authentication: every success proves 0 network calls), against the same
 *    cycles with pam_permit.so.
 * 2. The part of a cycle that per-handle state could save: config load + validator build, against
 *    the validation alone on a long-lived validator.
 * 3. A fresh process per login (fork + exec of this program with --one), as sshd and su do.
 * Figures and ratios against the pam_permit.so baseline measured in the same run.
 *
 *   ./bench/pam [N] --remote CONFIG TOKEN_FILE
 *
 * also measures 1 and 3 with CONFIG: an issuer with a jwks_uri whose JWKS the disk cache
 * (cache_dir) already holds and whose server is stopped.  Failed cycles are counted, not fatal.
 *
 *   ./bench/pam --prime CONFIG TOKEN_FILE
 *
 * one authentication with CONFIG (fetches the JWKS into cache_dir); exit 0 on PAM_SUCCESS.
 * bench/pam.sh drives both with the fault server.
 */
#include "autoconf.h"

#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <security/pam_appl.h>

#include "b64url.h"
#include "config.h"
#include "validate.h"

#define ISS "https://127.0.0.1:1/bench"

static char dir[PATH_MAX], svcdir[PATH_MAX + 8], conf[PATH_MAX + 16];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fail(const char *what)
{
	fprintf(stderr, "bench/pam: %s\n", what);
	exit(1);
}

static char *b64(const unsigned char *p, size_t n)
{
	char *s = malloc(n * 4 / 3 + 4);

	if (s == NULL)
		fail("out of memory");
	s[ccauth_b64url_encode(p, n, s)] = '\0';
	return s;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
		fail(path);
	chmod(path, 0600);
}

/* RS256 key, its JWKS in dir/jwks.json, and a token valid for an hour. */
static char *setup_keys(void)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	BIGNUM *n = NULL, *e = NULL;
	unsigned char nb[512], eb[8], sig[512];
	char *nn, *ee, *h, *p, *s, *tok, payload[512], path[PATH_MAX + 16], jwks[2048];
	size_t siglen = sizeof(sig), tl;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int64_t t = (int64_t)time(NULL);

	if (key == NULL || md == NULL || !EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n) ||
	    !EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e))
		fail("keygen");
	nn = b64(nb, (size_t)BN_bn2bin(n, nb));
	ee = b64(eb, (size_t)BN_bn2bin(e, eb));
	snprintf(jwks, sizeof(jwks),
	         "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"k1\",\"alg\":\"RS256\",\"n\":\"%s\",\"e\":\"%s\"}]}", nn, ee);
	snprintf(path, sizeof(path), "%s/jwks.json", dir);
	write_file(path, jwks);
	snprintf(payload, sizeof(payload),
	         "{\"iss\":\"" ISS
	         "\",\"aud\":\"urn:bench\",\"client_id\":\"svc-a\",\"sub\":\"svc-a\",\"scope\":\"login\","
	         "\"iat\":%" PRId64 ",\"exp\":%" PRId64 "}",
	         t, t + 3600);
	h = b64((const unsigned char *)"{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"k1\"}", 41);
	p = b64((const unsigned char *)payload, strlen(payload));
	tl = strlen(h) + strlen(p) + 1;
	if ((tok = malloc(tl + 1024)) == NULL)
		fail("out of memory");
	snprintf(tok, tl + 1, "%s.%s", h, p);
	if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(md, sig, &siglen, (const unsigned char *)tok, tl) != 1)
		fail("sign");
	s = b64(sig, siglen);
	snprintf(tok + tl, 1024, ".%s", s);
	free(nn), free(ee), free(h), free(p), free(s);
	BN_free(n), BN_free(e);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	return tok;
}

static const char *answer;

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *appdata)
{
	struct pam_response *r = calloc((size_t)n, sizeof(*r));

	if (r == NULL)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++)
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF && (r[i].resp = strdup(answer)) == NULL)
			return PAM_BUF_ERR;
	*resp = r;
	return PAM_SUCCESS;
}

static int cycle(const char *service)
{
	struct pam_conv pc = {conv, NULL};
	pam_handle_t *pamh = NULL;
	int rc;

#ifdef HAVE_PAM_START_CONFDIR
	if ((rc = pam_start_confdir(service, "svc-a", &pc, svcdir, &pamh)) != PAM_SUCCESS)
		return rc;
#else
	(void)pc;
	return PAM_SYSTEM_ERR;
#endif
	rc = pam_authenticate(pamh, PAM_SILENT);
	pam_end(pamh, rc);
	return rc;
}

/* N cycles; seconds per cycle.  Failed cycles are added to *failed, or fatal when failed is NULL. */
static double run_counted(const char *service, long n, long *failed)
{
	double t0 = now_s();

	for (long i = 0; i < n; i++)
		if (cycle(service) != PAM_SUCCESS) {
			if (failed == NULL)
				fail("an authentication failed");
			(*failed)++;
		}
	return (now_s() - t0) / (double)n;
}

static double run(const char *service, long n)
{
	return run_counted(service, n, NULL);
}

static double fresh_counted(const char *self, const char *service, long n, long *failed)
{
	double t0 = now_s();

	for (long i = 0; i < n; i++) {
		int st;
		pid_t pid = fork();
		if (pid < 0)
			fail("fork");
		if (pid == 0) {
			execl(self, self, "--one", service, svcdir, answer, (char *)NULL);
			_exit(127);
		}
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			if (failed == NULL)
				fail("a fresh-process authentication failed");
			(*failed)++;
		}
	}
	return (now_s() - t0) / (double)n;
}

static double fresh(const char *self, const char *service, long n)
{
	return fresh_counted(self, service, n, NULL);
}

/* The token in path, without a trailing newline (at most 16 KiB). */
static char *read_token(const char *path)
{
	char *t = malloc(16385);
	FILE *f = fopen(path, "r");
	size_t len;

	if (t == NULL || f == NULL)
		fail(path);
	len = fread(t, 1, 16384, f);
	fclose(f);
	while (len > 0 && (t[len - 1] == '\n' || t[len - 1] == '\r'))
		len--;
	if (len == 0)
		fail("empty token file");
	t[len] = '\0';
	return t;
}

static void make_dirs(void)
{
	snprintf(dir, sizeof(dir), "%s/ccauth-bench-pam.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL)
		fail("mkdtemp");
	snprintf(svcdir, sizeof(svcdir), "%s/pam.d", dir);
	mkdir(svcdir, 0700);
}

static void write_service(const char *name, const char *config)
{
	char p1[PATH_MAX + 32], line[2 * PATH_MAX + 64];

	snprintf(p1, sizeof(p1), "%s/%s", svcdir, name);
	if (config != NULL) {
		snprintf(line, sizeof(line), "auth required %s/pam/.libs/pam_ccauth.so config=%s\n", TOP_BUILDDIR,
		         config);
		write_file(p1, line);
	} else {
		write_file(p1, "auth required pam_permit.so\n");
	}
}

static void remove_dirs(void)
{
	char buf[PATH_MAX + 16];

	snprintf(buf, sizeof(buf), "rm -rf '%s'", dir);
	if (system(buf) != 0)
		fail("cleanup");
}

/* --prime CONFIG TOKEN_FILE: one authentication, which leaves the issuer's JWKS in cache_dir. */
static int prime(const char *config, const char *token_file)
{
	char *tok = read_token(token_file);
	int rc;

	make_dirs();
	write_service("remote", config);
	answer = tok;
	rc = cycle("remote");
	remove_dirs();
	free(tok);
	if (rc != PAM_SUCCESS)
		fprintf(stderr, "bench/pam: priming authentication failed: %s\n", pam_strerror(NULL, rc));
	return rc == PAM_SUCCESS ? 0 : 1;
}

static double core_rebuild(const char *tok, long n, int rebuild)
{
	struct ccauth_config *cfg = NULL;
	struct ccauth_validator *v = NULL;
	struct ccauth_validator_opts vo = {.cache_entries = SIZE_MAX};
	double t0;

	if (!rebuild && (ccauth_config_load(conf, &cfg, NULL) != CCAUTH_OK ||
	                 ccauth_validator_new(cfg, &vo, &v, NULL) != CCAUTH_OK))
		fail("core setup");
	t0 = now_s();
	for (long i = 0; i < n; i++) {
		const struct ccauth_identity *id = NULL;
		if (rebuild && (ccauth_config_load(conf, &cfg, NULL) != CCAUTH_OK ||
		                ccauth_validator_new(cfg, &vo, &v, NULL) != CCAUTH_OK))
			fail("core setup");
		if (ccauth_validate(v, tok, strlen(tok), (int64_t)time(NULL), &id, NULL) != CCAUTH_OK)
			fail("validation failed");
		ccauth_identity_release(id);
		if (rebuild) {
			ccauth_validator_free(v);
			ccauth_config_free(cfg);
		}
	}
	t0 = (now_s() - t0) / (double)n;
	if (!rebuild) {
		ccauth_validator_free(v);
		ccauth_config_free(cfg);
	}
	return t0;
}

/* The warm-disk-cache case of --remote: the same cycles with CONFIG's issuer, failures counted.
 * base: seconds per cycle of the jwks_file case and pam_permit.so, then the same for fresh processes. */
static int remote_report(const char *self, const char *config, const char *token_file, long n, long nf,
                         const double base[4])
{
	char *rtok = read_token(token_file);
	long failed = 0, ffailed = 0;
	double r, fr;

	write_service("remote", config);
	answer = rtok;
	run_counted("remote", 20, &failed); /* untimed warm-up, counted */
	r = run_counted("remote", n, &failed);
	fr = fresh_counted(self, "remote", nf, &ffailed);
	printf("warm disk JWKS cache of a remote issuer (jwks_uri, server stopped), %ld + 20 warm-up cycles in one "
	       "process:\n",
	       n);
	printf(
	    "  pam_ccauth.so   %9.1f us/cycle   %8.0f/s   %6.2fx pam_permit   %5.2fx jwks_file   failed: %ld of %ld\n",
	    r * 1e6, 1 / r, r / base[1], r / base[0], failed, n + 20);
	printf("fresh process per login, warm disk JWKS, %ld runs:\n", nf);
	printf("  pam_ccauth.so   %9.1f us/login   %6.2fx pam_permit   %5.2fx jwks_file   failed: %ld of %ld\n",
	       fr * 1e6, fr / base[3], fr / base[2], ffailed, nf);
	if (failed == 0 && ffailed == 0)
		printf(
		    "  network calls: 0 per authentication (the issuer's server is stopped; every cycle succeeded)\n");
	else
		printf("  network calls: NOT proven 0 (%ld cycles failed with the server stopped)\n", failed + ffailed);
	free(rtok);
	return failed == 0 && ffailed == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	const char *rconf = NULL, *rtokfile = NULL;
	long n = argc > 1 && argv[1][0] != '-' ? strtol(argv[1], NULL, 10) : 2000, nf;
	char buf[2 * PATH_MAX + 128], self[PATH_MAX];
	char *tok;
	double c, p, fc, fp, rb, kept;
	ssize_t sl;
	int status = 0;

	if (argc == 5 && strcmp(argv[1], "--one") == 0) {
		snprintf(svcdir, sizeof(svcdir), "%s", argv[3]);
		answer = argv[4];
		return cycle(argv[2]) == PAM_SUCCESS ? 0 : 1;
	}
	if (argc == 4 && strcmp(argv[1], "--prime") == 0)
		return prime(argv[2], argv[3]);
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--remote") == 0) {
			if (i + 2 >= argc)
				fail("usage: bench/pam [N] [--remote CONFIG TOKEN_FILE] | --prime CONFIG TOKEN_FILE");
			rconf = argv[i + 1];
			rtokfile = argv[i + 2];
			break;
		}
#ifndef HAVE_PAM_START_CONFDIR
	fail("libpam has no pam_start_confdir");
#endif
	if (n < 10)
		n = 10;
	nf = n / 20 < 20 ? 20 : n / 20;
	if ((sl = readlink("/proc/self/exe", self, sizeof(self) - 1)) < 0)
		fail("readlink /proc/self/exe");
	self[sl] = '\0';
	make_dirs();
	tok = setup_keys();
	answer = tok;
	snprintf(conf, sizeof(conf), "%s/ccauth.conf", dir);
	snprintf(buf, sizeof(buf),
	         "[global]\ncache_dir =\ntimeout = 1\n[issuer b]\nissuer = " ISS "\njwks_file = %s/jwks.json\n"
	         "audience = urn:bench\nrequired_scope = login\n",
	         dir);
	write_file(conf, buf);
	write_service("ccauth", conf);
	write_service("permit", NULL);
	snprintf(buf, sizeof(buf), "%s/other", svcdir);
	write_file(buf, "auth required pam_deny.so\n");

	run("ccauth", 20); /* warm up: page cache, dynamic loader */
	run("permit", 20);
	c = run("ccauth", n);
	p = run("permit", n);
	rb = core_rebuild(tok, n, 1);
	kept = core_rebuild(tok, n, 0);
	fc = fresh(self, "ccauth", nf);
	fp = fresh(self, "permit", nf);

	printf("bench/pam: %ld cycles pam_start -> pam_authenticate -> pam_end in one process, RS256, keys on disk\n",
	       n);
	printf("  pam_ccauth.so   %9.1f us/cycle   %8.0f/s   %6.2fx pam_permit\n", c * 1e6, 1 / c, c / p);
	printf("  pam_permit.so   %9.1f us/cycle   %8.0f/s\n", p * 1e6, 1 / p);
	printf("  network calls: 0 per authentication (issuer on a closed port; every cycle succeeded)\n");
	printf("core, per authentication:\n");
	printf("  config load + validator build + validate   %9.1f us\n", rb * 1e6);
	printf("  validate on a kept validator (no cache)    %9.1f us   (state kept across handles would save %.1f us, "
	       "%.0f%% of a cycle)\n",
	       kept * 1e6, (rb - kept) * 1e6, 100 * (rb - kept) / c);
	printf("fresh process per login (fork + exec + one cycle), %ld runs:\n", nf);
	printf("  pam_ccauth.so   %9.1f us/login   %6.2fx pam_permit\n", fc * 1e6, fc / fp);
	printf("  pam_permit.so   %9.1f us/login\n", fp * 1e6);
	if (rconf != NULL)
		status = remote_report(self, rconf, rtokfile, n, nf, (const double[4]){c, p, fc, fp});

	remove_dirs();
	free(tok);
	return status;
}
