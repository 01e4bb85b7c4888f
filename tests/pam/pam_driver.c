/* pam_ccauth against the real libpam: pam_start_confdir() with service files generated in a temp
 * dir (Linux-PAM's tst-*-retval pattern), exact return codes for the issue #4 matrix, TAP output.
 *
 *   pam_driver                 the matrix (secret mode needs PAM_TEST_AS_ISSUER, PAM_TEST_AS_JWKS,
 *                              PAM_TEST_AS_CA from tests/integration/pam_matrix.sh, else skipped)
 *   pam_driver --loop N        N authentications with a valid token, for valgrind
 *   pam_driver --mint DIR      write DIR/jwks.json, DIR/ccauth.conf and tokens (for the shell tests)
 *   pam_driver --secret-at ISSUER TOKEN_ENDPOINT CA_FILE [TIMEOUT]
 *                              one mode=secret authentication (service-a / secret-a) whose grant
 *                              goes to TOKEN_ENDPOINT; prints the PAM code name (tests/integration/
 *                              as_status.sh: the status x body table).  With TIMEOUT: that timeout
 *                              and the issuer's keys from its jwks_uri, and prints the milliseconds
 *                              pam_authenticate took after the code (as_deadline.sh)
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "testutil.h"

#define ISS   "https://issuer.test/t1"
#define AUD   "urn:test:pam"
#define SCOPE "pam.login"
#define USER  "svc-a"

static char dir[PATH_MAX];
static char svcdir[PATH_MAX];
static char mod[PATH_MAX];
static int ntests, nfailed;
static int capfd = -1;
static EVP_PKEY *key;
static const char *alg = "RS256"; /* ES256 with --loop: P-256 keys are generated fast under valgrind */

static void die(const char *what)
{
	fprintf(stdout, "Bail out! %s: %s\n", what, strerror(errno));
	exit(1);
}

static void result(int good, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void result(int good, const char *fmt, ...)
{
	va_list ap;

	ntests++;
	if (!good)
		nfailed++;
	printf("%s %d - ", good ? "ok" : "not ok", ntests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* snprintf into an array, dying on truncation (tests only) */
#define FMT(buf, ...)                                                                                                  \
	do {                                                                                                           \
		if (snprintf((buf), sizeof(buf), __VA_ARGS__) >= (int)sizeof(buf))                                     \
			die("string too long");                                                                        \
	} while (0)

static void skip(const char *name, const char *why)
{
	ntests++;
	printf("ok %d - %s # SKIP %s\n", ntests, name, why);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	size_t len = strlen(text);

	if (fd < 0 || write(fd, text, len) != (ssize_t)len || fchmod(fd, mode) != 0 || close(fd) != 0)
		die(path);
}

static char *path_of(const char *name)
{
	static char buf[8][PATH_MAX];
	static int i;
	char *p = buf[i++ % 8];

	if (snprintf(p, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX)
		die("path too long");
	return p;
}

/* A service file: every "MOD" in text becomes the module's absolute path. */
static void service(const char *name, const char *text)
{
	char out[16384], p[PATH_MAX + 64];
	size_t n = 0;

	for (const char *s = text; *s != '\0' && n < sizeof(out) - PATH_MAX;) {
		if (strncmp(s, "MOD", 3) == 0) {
			n += (size_t)snprintf(out + n, sizeof(out) - n, "%s", mod);
			s += 3;
		} else {
			out[n++] = *s++;
		}
	}
	out[n] = '\0';
	FMT(p, "%s/%s", svcdir, name);
	write_file(p, out, 0644);
}

static char *token(const char *iss, const char *aud, const char *client_id, int64_t exp_in)
{
	int64_t now = (int64_t)time(NULL);
	char *payload = tu_payload(iss, aud, client_id, SCOPE, now, now + exp_in);
	char header[80], *t;

	FMT(header, "{\"alg\":\"%s\",\"typ\":\"at+jwt\",\"kid\":\"k1\"}", alg);
	t = tu_sign(key, alg, header, payload);

	free(payload);
	return t;
}

/* A valid token of exactly len bytes (a "pad" claim, and header padding for the lengths base64url
 * cannot reach). */
static char *token_of_len(size_t len)
{
	int64_t now = (int64_t)time(NULL);

	for (int h = 0; h < 4; h++) {
		for (size_t pad = len > 700 ? (len - 700) * 3 / 4 : 0; pad < len; pad++) {
			char header[128], *payload, *padding, *t;
			size_t tl;

			FMT(header, "{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"k1\",\"h\":\"%.*s\"}", h, "xxxx");
			padding = malloc(pad + 1);
			memset(padding, 'p', pad);
			padding[pad] = '\0';
			if (asprintf(&payload,
			             "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"" USER
			             "\",\"client_id\":\"" USER "\",\"iat\":%" PRId64 ",\"exp\":%" PRId64
			             ",\"scope\":\"" SCOPE "\",\"pad\":\"%s\"}",
			             now, now + 600, padding) < 0)
				die("asprintf");
			free(padding);
			t = tu_sign(key, "RS256", header, payload);
			free(payload);
			tl = strlen(t);
			if (tl == len)
				return t;
			free(t);
			if (tl > len)
				break;
		}
	}
	return NULL;
}

/* ---- one PAM transaction ---- */

struct conv_data {
	const char *answer; /* NULL: the conversation fails */
	size_t len;         /* may hold NUL bytes */
	int calls;
};

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *appdata)
{
	struct conv_data *cd = appdata;
	struct pam_response *r = calloc((size_t)n, sizeof(*r));

	if (r == NULL)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++) {
		if (msg[i]->msg_style != PAM_PROMPT_ECHO_OFF && msg[i]->msg_style != PAM_PROMPT_ECHO_ON)
			continue;
		cd->calls++;
		if (cd->answer == NULL)
			goto fail;
		if ((r[i].resp = malloc(cd->len + 1)) == NULL)
			goto fail;
		memcpy(r[i].resp, cd->answer, cd->len);
		r[i].resp[cd->len] = '\0';
	}
	*resp = r;
	return PAM_SUCCESS;
fail:
	for (int i = 0; i < n; i++)
		free(r[i].resp);
	free(r);
	return PAM_CONV_ERR;
}

struct tx {
	const char *service;
	const char *user; /* NULL: none */
	const char *pw;   /* answer of the conversation */
	size_t pwlen;     /* 0: strlen(pw) */
	int account;      /* also run pam_acct_mgmt */
	int sleep_before_acct;
	/* results */
	int auth_rc, acct_rc, conv_calls;
	char pam_user[300];
	char env_client_id[300], env_issuer[300], env_scope[300];
};

static void getenv_copy(pam_handle_t *pamh, const char *name, char *out, size_t size)
{
	const char *v = pam_getenv(pamh, name);

	if (snprintf(out, size, "%s", v != NULL ? v : "(unset)") >= (int)size)
		die("env too long");
}

static void quiet_begin(int saved[2])
{
	fflush(stdout);
	fflush(stderr);
	saved[0] = dup(1);
	saved[1] = dup(2);
	dup2(capfd, 1);
	dup2(capfd, 2);
}

static void quiet_end(int saved[2])
{
	fflush(stdout);
	fflush(stderr);
	dup2(saved[0], 1);
	dup2(saved[1], 2);
	close(saved[0]);
	close(saved[1]);
}

static void run(struct tx *t)
{
	struct conv_data cd = {.answer = t->pw};
	struct pam_conv pc = {conv, &cd};
	pam_handle_t *pamh = NULL;
	const void *u = NULL;
	int saved[2], rc;

	cd.len = t->pw != NULL ? (t->pwlen ? t->pwlen : strlen(t->pw)) : 0;
	t->auth_rc = t->acct_rc = -1;
	quiet_begin(saved);
#ifdef HAVE_PAM_START_CONFDIR
	rc = pam_start_confdir(t->service, t->user, &pc, svcdir, &pamh);
#else
	rc = PAM_SYSTEM_ERR;
#endif
	if (rc != PAM_SUCCESS) {
		quiet_end(saved);
		result(0, "pam_start_confdir(%s): %s", t->service, pam_strerror(NULL, rc));
		return;
	}
	t->auth_rc = pam_authenticate(pamh, 0);
	if (t->account) {
		if (t->sleep_before_acct)
			sleep((unsigned)t->sleep_before_acct);
		t->acct_rc = pam_acct_mgmt(pamh, 0);
	}
	t->conv_calls = cd.calls;
	if (pam_get_item(pamh, PAM_USER, &u) != PAM_SUCCESS || u == NULL)
		u = "(unset)";
	FMT(t->pam_user, "%.290s", (const char *)u);
	getenv_copy(pamh, "CCAUTH_CLIENT_ID", t->env_client_id, sizeof(t->env_client_id));
	getenv_copy(pamh, "CCAUTH_ISSUER", t->env_issuer, sizeof(t->env_issuer));
	getenv_copy(pamh, "CCAUTH_SCOPE", t->env_scope, sizeof(t->env_scope));
	pam_end(pamh, t->auth_rc);
	quiet_end(saved);
}

static const char *code(int rc)
{
	switch (rc) {
	case PAM_SUCCESS:
		return "PAM_SUCCESS";
	case PAM_AUTH_ERR:
		return "PAM_AUTH_ERR";
	case PAM_USER_UNKNOWN:
		return "PAM_USER_UNKNOWN";
	case PAM_AUTHINFO_UNAVAIL:
		return "PAM_AUTHINFO_UNAVAIL";
	case PAM_SERVICE_ERR:
		return "PAM_SERVICE_ERR";
	case PAM_BUF_ERR:
		return "PAM_BUF_ERR";
	case PAM_PERM_DENIED:
		return "PAM_PERM_DENIED";
	case PAM_ACCT_EXPIRED:
		return "PAM_ACCT_EXPIRED";
	case PAM_CONV_ERR:
		return "PAM_CONV_ERR";
	case PAM_IGNORE:
		return "PAM_IGNORE";
	default:
		return "other";
	}
}

/* auth on service with password pw as user; expect exactly want. */
static void expect_auth(const char *name, const char *svc, const char *user, const char *pw, int want)
{
	struct tx t = {.service = svc, .user = user, .pw = pw};

	run(&t);
	result(t.auth_rc == want, "%s: auth %s (want %s)", name, code(t.auth_rc), code(want));
}

/* ---- setup ---- */

#define CONF_MAIN                                                                                                      \
	"[global]\ncache_dir =\nclock_skew = 0\n"                                                                      \
	"[issuer test]\nissuer = " ISS "\njwks_file = %s\naudience = " AUD "\nrequired_scope = " SCOPE "\n"

static void setup(void)
{
	char buf[4096], *jwk;

	FMT(dir, "%s/ccauth-pam.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL)
		die("mkdtemp");
	FMT(svcdir, "%s/pam.d", dir);
	if (mkdir(svcdir, 0755) != 0)
		die("mkdir");
	/* PAM_TEST_MODULE: another build's module, for before/after figures (as_deadline.sh) */
	FMT(mod, "%s",
	    getenv("PAM_TEST_MODULE") != NULL ? getenv("PAM_TEST_MODULE") : TOP_BUILDDIR "/pam/.libs/pam_ccauth.so");
	if (access(mod, R_OK) != 0)
		die(mod);
	if ((capfd = open(path_of("stdio.out"), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		die("capture file");

	key = tu_genkey(strcmp(alg, "ES256") == 0 ? "P-256" : "RSA2048");
	jwk = tu_jwk_json(key, "k1", alg);
	FMT(buf, "{\"keys\":[%s]}", jwk);
	free(jwk);
	write_file(path_of("jwks.json"), buf, 0644);
	FMT(buf, CONF_MAIN, path_of("jwks.json"));
	write_file(path_of("ccauth.conf"), buf, 0644);
	service("other", "auth required pam_deny.so\naccount required pam_deny.so\n");
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(p);
}

static void cleanup(void)
{
	if (dir[0] != '\0' && getenv("PAM_TEST_KEEP") == NULL)
		nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void conf(const char *name, const char *text, mode_t mode)
{
	write_file(path_of(name), text, mode);
}

/* ---- the matrix ---- */

static void token_cases(void)
{
	char svc[2 * PATH_MAX];
	char *good = token(ISS, AUD, USER, 600), *t;
	struct tx x;

	FMT(svc, "auth required MOD config=%s\naccount required MOD config=%s\n", path_of("ccauth.conf"),
	    path_of("ccauth.conf"));
	service("tok", svc);

	/* valid token: success, environment, account */
	x = (struct tx){.service = "tok", .user = USER, .pw = good, .account = 1};
	run(&x);
	result(x.auth_rc == PAM_SUCCESS, "valid token: auth %s", code(x.auth_rc));
	result(x.acct_rc == PAM_SUCCESS, "account after auth: %s", code(x.acct_rc));
	result(strcmp(x.env_client_id, USER) == 0, "CCAUTH_CLIENT_ID=%s", x.env_client_id);
	result(strcmp(x.env_issuer, ISS) == 0, "CCAUTH_ISSUER=%s", x.env_issuer);
	result(strcmp(x.env_scope, SCOPE) == 0, "CCAUTH_SCOPE=%s", x.env_scope);
	result(x.conv_calls == 1, "the conversation was asked once (%d)", x.conv_calls);

	/* the application gave no user: the module sets PAM_USER */
	x = (struct tx){.service = "tok", .user = NULL, .pw = good, .account = 1};
	run(&x);
	result(x.auth_rc == PAM_SUCCESS && strcmp(x.pam_user, USER) == 0, "no PAM user: auth %s, PAM_USER=%s",
	       code(x.auth_rc), x.pam_user);
	result(x.acct_rc == PAM_SUCCESS, "no PAM user: account %s", code(x.acct_rc));

	/* Linux-PAM lets only modules set PAM_AUTHTOK: an application hands over a long token through
	 * its own conversation function. */
	{
		struct conv_data cd = {0};
		struct pam_conv pc = {conv, &cd};
		pam_handle_t *pamh = NULL;
		int rc = -1;
#ifdef HAVE_PAM_START_CONFDIR
		if (pam_start_confdir("tok", USER, &pc, svcdir, &pamh) == PAM_SUCCESS) {
			rc = pam_set_item(pamh, PAM_AUTHTOK, good);
			pam_end(pamh, PAM_SUCCESS);
		}
#endif
		result(rc == PAM_BAD_ITEM, "an application cannot set PAM_AUTHTOK: %s", pam_strerror(NULL, rc));
	}

	/* wrong user */
	x = (struct tx){.service = "tok", .user = "svc-b", .pw = good, .account = 1};
	run(&x);
	result(x.auth_rc == PAM_USER_UNKNOWN, "wrong user: auth %s", code(x.auth_rc));
	result(x.acct_rc == PAM_PERM_DENIED, "wrong user: account %s", code(x.acct_rc));
	result(strcmp(x.env_client_id, "(unset)") == 0, "wrong user: no CCAUTH_CLIENT_ID (%s)", x.env_client_id);

	t = token(ISS, AUD, USER, -120);
	expect_auth("expired", "tok", USER, t, PAM_AUTH_ERR);
	free(t);
	t = token(ISS, "urn:test:other", USER, 600);
	expect_auth("wrong audience", "tok", USER, t, PAM_AUTH_ERR);
	free(t);
	t = token("https://issuer.test/unknown", AUD, USER, 600);
	expect_auth("unknown issuer", "tok", USER, t, PAM_AUTH_ERR);
	free(t);
	{
		/* another key with the same kid: signature */
		EVP_PKEY *k0 = key;
		key = tu_genkey("RSA2048");
		t = token(ISS, AUD, USER, 600);
		EVP_PKEY_free(key);
		key = k0;
		expect_auth("bad signature", "tok", USER, t, PAM_AUTH_ERR);
		free(t);
	}
	expect_auth("garbage", "tok", USER, "not-a-token", PAM_AUTH_ERR);
	expect_auth("empty password", "tok", USER, "", PAM_AUTH_ERR);
	expect_auth("user with a newline", "tok", "svc-a\nforged", good, PAM_USER_UNKNOWN);

	/* account phase */
	x = (struct tx){.service = "tok", .user = USER, .pw = "garbage", .account = 1};
	run(&x);
	result(x.auth_rc == PAM_AUTH_ERR && x.acct_rc == PAM_PERM_DENIED, "account after a failed auth: %s",
	       code(x.acct_rc));
	{
		struct conv_data cd = {0};
		struct pam_conv pc = {conv, &cd};
		pam_handle_t *pamh = NULL;
		int saved[2], rc = PAM_SYSTEM_ERR, rc2 = PAM_SYSTEM_ERR, rc3 = PAM_SYSTEM_ERR;

		quiet_begin(saved);
#ifdef HAVE_PAM_START_CONFDIR
		if (pam_start_confdir("tok", USER, &pc, svcdir, &pamh) == PAM_SUCCESS) {
			rc = pam_acct_mgmt(pamh, 0);
			/* success, then a failed auth in the same handle: account must deny again */
			cd.answer = good;
			cd.len = strlen(good);
			if (pam_authenticate(pamh, 0) == PAM_SUCCESS)
				rc2 = pam_acct_mgmt(pamh, 0);
			pam_set_item(pamh, PAM_AUTHTOK, NULL);
			cd.answer = "garbage";
			cd.len = 7;
			pam_authenticate(pamh, 0);
			rc3 = pam_acct_mgmt(pamh, 0);
			pam_end(pamh, rc3);
		}
#endif
		quiet_end(saved);
		result(rc == PAM_PERM_DENIED, "account without auth: %s", code(rc));
		result(rc2 == PAM_SUCCESS && rc3 == PAM_PERM_DENIED, "success then failed auth: account %s then %s",
		       code(rc2), code(rc3));
	}
	t = token(ISS, AUD, USER, 2);
	x = (struct tx){.service = "tok", .user = USER, .pw = t, .account = 1, .sleep_before_acct = 3};
	run(&x);
	result(x.auth_rc == PAM_SUCCESS && x.acct_rc == PAM_ACCT_EXPIRED,
	       "token expired after auth: auth %s, account %s", code(x.auth_rc), code(x.acct_rc));
	free(t);

	/* 16 KiB */
	t = token_of_len(16384);
	if (t == NULL) {
		result(0, "could not mint a 16384-byte token");
	} else {
		expect_auth("16384-byte token through the conversation", "tok", USER, t, PAM_SUCCESS);
		free(t);
	}
	t = token_of_len(16385);
	if (t != NULL) {
		expect_auth("16385-byte valid token through the conversation", "tok", USER, t, PAM_AUTH_ERR);
		free(t);
	}
	/* a token cut by a conversation function */
	t = strndup(good, 511);
	expect_auth("token cut to 511 bytes", "tok", USER, t, PAM_AUTH_ERR);
	free(t);

	/* bad input */
	{
		size_t n = 1024 * 1024, gl = strlen(good);
		char *huge = malloc(n + 1), *nul = malloc(gl + 8);

		memset(huge, 'A', n);
		huge[n] = '\0';
		expect_auth("1 MiB password through the conversation", "tok", USER, huge, PAM_AUTH_ERR);
		free(huge);

		memcpy(nul, "abc", 3);
		nul[3] = '\0';
		memcpy(nul + 4, good, gl);
		x = (struct tx){.service = "tok", .user = USER, .pw = nul, .pwlen = gl + 4};
		run(&x);
		result(x.auth_rc == PAM_AUTH_ERR, "NUL byte before a valid token: %s", code(x.auth_rc));
		memcpy(nul, good, gl);
		nul[100] = '\0';
		x = (struct tx){.service = "tok", .user = USER, .pw = nul, .pwlen = gl};
		run(&x);
		result(x.auth_rc == PAM_AUTH_ERR, "NUL byte inside a valid token: %s", code(x.auth_rc));
		free(nul);
	}
	{
		char bin[256];
		for (int i = 0; i < 255; i++)
			bin[i] = (char)(i + 1);
		bin[255] = '\0';
		expect_auth("binary garbage", "tok", USER, bin, PAM_AUTH_ERR);
	}

	/* use_first_pass / try_first_pass */
	FMT(svc, "auth required MOD config=%s use_first_pass\n", path_of("ccauth.conf"));
	service("ufp", svc);
	x = (struct tx){.service = "ufp", .user = USER, .pw = good};
	run(&x);
	result(x.auth_rc == PAM_AUTH_ERR && x.conv_calls == 0, "use_first_pass without a password: %s, %d prompts",
	       code(x.auth_rc), x.conv_calls);
	/* a second module: pam_unix's semantics, only try_first_pass / use_first_pass take the first
	 * module's password */
	{
		static const struct {
			const char *opt;
			int prompts;
		} chain[] = {{"use_first_pass", 1}, {"try_first_pass", 1}, {"", 2}};
		for (size_t i = 0; i < sizeof(chain) / sizeof(chain[0]); i++) {
			FMT(svc, "auth required MOD config=%s\nauth required MOD config=%s %s\n",
			    path_of("ccauth.conf"), path_of("ccauth.conf"), chain[i].opt);
			service("chain", svc);
			x = (struct tx){.service = "chain", .user = USER, .pw = good};
			run(&x);
			result(x.auth_rc == PAM_SUCCESS && x.conv_calls == chain[i].prompts,
			       "second module with [%s]: %s, %d prompts (want %d)", chain[i].opt, code(x.auth_rc),
			       x.conv_calls, chain[i].prompts);
		}
	}

	/* stacking */
	FMT(svc, "auth required MOD config=%s\nauth required pam_deny.so\n", path_of("ccauth.conf"));
	service("req-deny", svc);
	FMT(svc, "auth sufficient MOD config=%s\nauth required pam_deny.so\n", path_of("ccauth.conf"));
	service("suff-deny", svc);
	FMT(svc, "auth required MOD config=%s\nauth required pam_permit.so\n", path_of("ccauth.conf"));
	service("req-permit", svc);
	expect_auth("required + pam_deny, valid token", "req-deny", USER, good, PAM_AUTH_ERR);
	expect_auth("sufficient + pam_deny, valid token", "suff-deny", USER, good, PAM_SUCCESS);
	expect_auth("sufficient + pam_deny, garbage", "suff-deny", USER, "garbage", PAM_AUTH_ERR);
	expect_auth("required + pam_permit, valid token", "req-permit", USER, good, PAM_SUCCESS);
	expect_auth("required + pam_permit, garbage", "req-permit", USER, "garbage", PAM_AUTH_ERR);
	expect_auth("required + pam_permit, wrong user", "req-permit", "svc-b", good, PAM_USER_UNKNOWN);
	free(good);
}

/* After fork (sshd, su and saslauthd fork after PAM work): the child can run account on a handle
 * the parent authenticated, and authenticate anew; the parent's handle is unaffected. */
static void fork_cases(void)
{
	char *good = token(ISS, AUD, USER, 600);
	struct conv_data cd = {.answer = good, .len = strlen(good)};
	struct pam_conv pc = {conv, &cd};
	pam_handle_t *pamh = NULL;
	int saved[2], auth_rc = -1, acct_rc, status = 0;
	pid_t pid;

	quiet_begin(saved);
#ifdef HAVE_PAM_START_CONFDIR
	if (pam_start_confdir("tok", USER, &pc, svcdir, &pamh) == PAM_SUCCESS)
		auth_rc = pam_authenticate(pamh, 0);
#endif
	quiet_end(saved);
	result(auth_rc == PAM_SUCCESS, "before fork: auth %s", code(auth_rc));
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		struct tx x = {.service = "tok", .user = USER, .pw = good, .account = 1};
		int bits = 0;

		quiet_begin(saved);
		if (pamh == NULL || pam_acct_mgmt(pamh, 0) != PAM_SUCCESS)
			bits |= 1;
		quiet_end(saved);
		run(&x);
		if (x.auth_rc != PAM_SUCCESS || x.acct_rc != PAM_SUCCESS)
			bits |= 2;
		_exit(bits);
	}
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid");
	result(WIFEXITED(status) && !(WEXITSTATUS(status) & 1), "after fork, child: account on the parent's handle");
	result(WIFEXITED(status) && !(WEXITSTATUS(status) & 2), "after fork, child: a new auth + account");
	quiet_begin(saved);
	acct_rc = pamh != NULL ? pam_acct_mgmt(pamh, 0) : -1;
	if (pamh != NULL)
		pam_end(pamh, acct_rc);
	quiet_end(saved);
	result(acct_rc == PAM_SUCCESS, "after fork, parent: account on its own handle %s", code(acct_rc));
	free(good);
}

static void availability_cases(void)
{
	char buf[4096];
	char *tdown, *twarm;

	/* AS down, nothing cached: jwks_uri on a closed port */
	FMT(buf, "[global]\ncache_dir =\ntimeout = 2\n[issuer down]\nissuer = https://127.0.0.1:1/down\n"
	         "jwks_uri = https://127.0.0.1:1/down/jwks\naudience = " AUD "\n");
	conf("down.conf", buf, 0600);
	FMT(buf, "auth required MOD config=%s\n", path_of("down.conf"));
	service("down", buf);
	tdown = tu_sign(key, "RS256", "{\"alg\":\"RS256\",\"kid\":\"k1\"}",
	                "{\"iss\":\"https://127.0.0.1:1/down\",\"aud\":\"" AUD "\",\"client_id\":\"" USER
	                "\",\"exp\":4102444800}");
	expect_auth("AS down, cold cache", "down", USER, tdown, PAM_AUTHINFO_UNAVAIL);
	FMT(buf, "auth sufficient MOD config=%s\nauth required pam_deny.so\n", path_of("down.conf"));
	service("down-suff", buf);
	expect_auth("AS down, sufficient + pam_deny", "down-suff", USER, tdown, PAM_AUTH_ERR);

	/* AS down, keys on this host (jwks_file): no network needed */
	FMT(buf,
	    "[global]\ncache_dir =\ntimeout = 2\n[issuer warm]\nissuer = https://127.0.0.1:1/down\n"
	    "jwks_file = %s\naudience = " AUD "\n",
	    path_of("jwks.json"));
	conf("warm.conf", buf, 0600);
	FMT(buf, "auth required MOD config=%s\n", path_of("warm.conf"));
	service("warm", buf);
	twarm = tdown;
	expect_auth("AS down, warm keys", "warm", USER, twarm, PAM_SUCCESS);

	/* uid-0 squatted by someone else in an old-layout (01777) cache_dir, AS down: root moves it aside
	 * and uses its own (cold) directory, so the decision is still "unavailable", never a success */
	if (geteuid() == 0) {
		char cdir[PATH_MAX], udir[PATH_MAX + 16];
		FMT(cdir, "%s/cache", dir);
		FMT(udir, "%s/uid-%u", cdir, (unsigned)geteuid());
		if (mkdir(cdir, 01777) != 0 || chmod(cdir, 01777) != 0 || mkdir(udir, 0700) != 0 ||
		    chown(udir, 65534, 65534) != 0)
			die("cache dir");
		FMT(buf,
		    "[global]\ncache_dir = %s\ntimeout = 2\n[issuer down]\nissuer = https://127.0.0.1:1/down\n"
		    "jwks_uri = https://127.0.0.1:1/down/jwks\naudience = " AUD "\n",
		    cdir);
		conf("owner.conf", buf, 0600);
		FMT(buf, "auth required MOD config=%s\n", path_of("owner.conf"));
		service("owner", buf);
		expect_auth("squatted uid-0, AS down", "owner", USER, tdown, PAM_AUTHINFO_UNAVAIL);
		{
			struct stat sb;
			result(stat(udir, &sb) == 0 && sb.st_uid == 0 && (sb.st_mode & 07777) == 0700,
			       "  the squatted uid-0 was replaced by root's own (0700)");
		}
	} else {
		skip("squatted uid-0, AS down", "needs root to chown");
	}
	free(tdown);
}

/* Identity safety (issue #12 item 7, RFC 9700 section 4.15): a token whose identity is root or a
 * system account is refused with reason identity, unless allow_users names it. */
static void identity_cases(void)
{
	char buf[4096], svc[2 * PATH_MAX];
	static const struct {
		const char *name, *who, *pam_user, *conf_extra, *args;
		int want;
	} cases[] = {
	    {"token for root, PAM user root", "root", "root", "", "", PAM_USER_UNKNOWN},
	    {"token for root, no PAM user", "root", NULL, "", "", PAM_USER_UNKNOWN},
	    {"token for daemon (uid 1 < UID_MIN)", "daemon", "daemon", "", "", PAM_USER_UNKNOWN},
	    {"token for daemon, no PAM user", "daemon", NULL, "", "", PAM_USER_UNKNOWN},
	    {"token for daemon, allow_users = daemon", "daemon", "daemon", "allow_users = daemon\n", "", PAM_SUCCESS},
	    {"token for root, allow_users=root argument", "root", "root", "", "allow_users=root", PAM_SUCCESS},
	    {"token for root, deny_users= and min_uid=0 arguments", "root", NULL, "", "deny_users= min_uid=0",
	     PAM_SUCCESS},
	    {"token for daemon, min_uid = 0 in the config", "daemon", "daemon", "min_uid = 0\n", "", PAM_SUCCESS},
	    {"token for svc-a, deny_users = svc-a", USER, USER, "deny_users = svc-a\n", "", PAM_USER_UNKNOWN},
	    {"  ... deny_users=other argument overrides", USER, USER, "deny_users = svc-a\n", "deny_users=other",
	     PAM_SUCCESS},
	    {"token for svc-a (no such account), defaults", USER, USER, "", "", PAM_SUCCESS},
	    {"allow_users= with a bad name", USER, USER, "", "allow_users=a/b", PAM_SERVICE_ERR},
	    {"min_uid=-1", USER, USER, "", "min_uid=-1", PAM_SERVICE_ERR},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *t = token(ISS, AUD, cases[i].who, 600);
		struct tx x = {.service = "ident", .user = cases[i].pam_user, .pw = t};

		FMT(buf,
		    "[global]\ncache_dir =\nclock_skew = 0\n%s[issuer test]\nissuer = " ISS "\njwks_file = %s\n"
		    "audience = " AUD "\n",
		    cases[i].conf_extra, path_of("jwks.json"));
		conf("ident.conf", buf, 0600);
		FMT(svc, "auth required MOD config=%s %s\n", path_of("ident.conf"), cases[i].args);
		service("ident", svc);
		run(&x);
		result(x.auth_rc == cases[i].want, "identity: %s: auth %s (want %s), PAM_USER=%s", cases[i].name,
		       code(x.auth_rc), code(cases[i].want), x.pam_user);
		free(t);
	}
	/* mode=secret as root: refused before anything is sent (the AS at port 1 would give UNAVAIL) */
	FMT(buf,
	    "[global]\ncache_dir =\ntimeout = 2\n[issuer down]\nissuer = https://127.0.0.1:1\n"
	    "jwks_file = %s\naudience = urn:test:rs256\n",
	    path_of("jwks.json"));
	conf("ident-sec.conf", buf, 0600);
	FMT(svc, "auth required MOD config=%s mode=secret\n", path_of("ident-sec.conf"));
	service("ident-sec", svc);
	expect_auth("identity: mode=secret as root, refused before the AS is asked", "ident-sec", "root", "secret",
	            PAM_USER_UNKNOWN);
}

static void config_cases(void)
{
	char buf[4096], svc[2 * PATH_MAX];
	char *good = token(ISS, AUD, USER, 600);
	static const struct {
		const char *name, *args;
		int want;
	} args[] = {
	    {"config= missing file", "config=/nonexistent/ccauth.conf", PAM_SERVICE_ERR},
	    {"config= relative path", "config=ccauth.conf", PAM_SERVICE_ERR},
	    {"mode=bogus", "config=@ mode=bogus", PAM_SERVICE_ERR},
	    {"issuer=nosuch", "config=@ issuer=nosuch", PAM_SERVICE_ERR},
	    {"issuer= with a bad name", "config=@ issuer=a/b", PAM_SERVICE_ERR},
	    {"unknown option ignored", "config=@ frobnicate=1", PAM_SUCCESS},
	    {"issuer=test", "config=@ issuer=test", PAM_SUCCESS},
	    {"conf= missing file", "conf=/nonexistent/pam_ccauth.conf", PAM_SERVICE_ERR},
	    {"conf= relative", "conf=pam.conf", PAM_SERVICE_ERR},
	    {"conf= file, argv overrides mode and issuer", "conf=% mode=token issuer=test", PAM_SUCCESS},
	    {"conf= file's issuer=nosuch applies", "conf=% mode=token", PAM_SERVICE_ERR},
	    {"conf= group-writable", "conf=&", PAM_SERVICE_ERR},
	    {"syntax error in config", "config=!", PAM_SERVICE_ERR},
	    {"world-writable config", "config=~", PAM_SERVICE_ERR},
	    {"world-readable secret of a [client] PAM does not use (#8: not judged)", "config=^", PAM_SUCCESS},
	    {"missing secret file of a [client] PAM does not use", "config=*", PAM_SUCCESS},
	};

	/* conf= options file: config=, mode=secret and an issuer= that does not exist */
	FMT(buf, "# pam_ccauth options\nconfig = %s\nmode = secret\nissuer = nosuch\n  debug\n",
	    path_of("ccauth.conf"));
	conf("pam.conf", buf, 0644);
	conf("pam-gw.conf", buf, 0664);
	conf("syntax.conf", "[global]\ntimeout = soon\n", 0600);
	FMT(buf, CONF_MAIN, path_of("jwks.json"));
	conf("ww.conf", buf, 0666);
	chmod(path_of("ww.conf"), 0666);
	conf("loose.secret", "s3cret\n", 0644);
	FMT(buf,
	    "[client c]\nissuer = https://issuer.test/t1\nclient_id = c\nclient_secret_file = %s\n" /* */
	    "[issuer test]\nissuer = " ISS "\njwks_file = %s\naudience = " AUD "\n",
	    path_of("loose.secret"), path_of("jwks.json"));
	conf("loose.conf", buf, 0600);
	FMT(buf,
	    "[client c]\nissuer = https://issuer.test/t1\nclient_id = c\nclient_secret_file = %s/none.secret\n"
	    "[issuer test]\nissuer = " ISS "\njwks_file = %s\naudience = " AUD "\n",
	    dir, path_of("jwks.json"));
	conf("nosecret.conf", buf, 0600);

	for (size_t i = 0; i < sizeof(args) / sizeof(args[0]); i++) {
		char a[1024];
		size_t n = 0;
		for (const char *s = args[i].args; *s != '\0' && n < sizeof(a) - PATH_MAX; s++) {
			const char *f = NULL;
			switch (*s) {
			case '@':
				f = "ccauth.conf";
				break;
			case '%':
				f = "pam.conf";
				break;
			case '&':
				f = "pam-gw.conf";
				break;
			case '!':
				f = "syntax.conf";
				break;
			case '~':
				f = "ww.conf";
				break;
			case '^':
				f = "loose.conf";
				break;
			case '*':
				f = "nosecret.conf";
				break;
			}
			if (f != NULL)
				n += (size_t)snprintf(a + n, sizeof(a) - n, "%s", path_of(f));
			else
				a[n++] = *s;
		}
		a[n] = '\0';
		FMT(svc, "auth required MOD %s\n", a);
		service("cfg", svc);
		expect_auth(args[i].name, "cfg", USER, good, args[i].want);
	}
	free(good);
}

static void secret_cases(void)
{
	const char *iss = getenv("PAM_TEST_AS_ISSUER"), *jwks = getenv("PAM_TEST_AS_JWKS"),
	           *ca = getenv("PAM_TEST_AS_CA");
	char buf[4096], svc[2 * PATH_MAX];

	/* no trusted issuer entry usable: two issuers and no issuer= */
	FMT(buf, CONF_MAIN "[issuer other]\nissuer = https://issuer.test/t2\njwks_file = %s\naudience = " AUD "\n",
	    path_of("jwks.json"), path_of("jwks.json"));
	conf("two.conf", buf, 0600);
	FMT(svc, "auth required MOD config=%s mode=secret\n", path_of("two.conf"));
	service("sec-two", svc);
	expect_auth("secret mode, two issuers and no issuer=", "sec-two", "service-a", "secret-a", PAM_SERVICE_ERR);

	/* AS down */
	FMT(buf,
	    "[global]\ncache_dir =\ntimeout = 2\n[issuer down]\nissuer = https://127.0.0.1:1\n"
	    "jwks_file = %s\naudience = urn:test:rs256\n",
	    path_of("jwks.json"));
	conf("sec-down.conf", buf, 0600);
	FMT(svc, "auth required MOD config=%s mode=secret\n", path_of("sec-down.conf"));
	service("sec-down", svc);
	expect_auth("secret mode, AS down", "sec-down", "service-a", "secret-a", PAM_AUTHINFO_UNAVAIL);

	if (iss == NULL || jwks == NULL || ca == NULL) {
		skip("secret mode with the test AS", "PAM_TEST_AS_ISSUER unset (run through pam_matrix.sh)");
		return;
	}
	FMT(buf,
	    "[global]\nca_file = %s\ncache_dir =\n[issuer as]\nissuer = %s\njwks_file = %s\n"
	    "audience = urn:test:rs256\nrequired_scope = ldap.read\n",
	    ca, iss, jwks);
	conf("sec.conf", buf, 0600);
	FMT(svc, "auth required MOD config=%s mode=secret issuer=as\naccount required MOD\n", path_of("sec.conf"));
	service("sec", svc);
	{
		struct tx x = {.service = "sec", .user = "service-a", .pw = "secret-a", .account = 1};
		run(&x);
		result(x.auth_rc == PAM_SUCCESS, "secret mode, good secret: %s", code(x.auth_rc));
		result(x.acct_rc == PAM_SUCCESS, "secret mode, account: %s", code(x.acct_rc));
		result(strcmp(x.env_client_id, "service-a") == 0 && strcmp(x.env_scope, "ldap.read") == 0,
		       "secret mode, CCAUTH_CLIENT_ID=%s CCAUTH_SCOPE=%s", x.env_client_id, x.env_scope);
	}
	expect_auth("secret mode, bad secret", "sec", "service-a", "wrong-secret", PAM_AUTH_ERR);
	expect_auth("secret mode, unknown client", "sec", "no-such-client", "secret-a", PAM_AUTH_ERR);
	expect_auth("secret mode, another client's secret", "sec", "service-a", "rs-secret", PAM_AUTH_ERR);
	/* the issued token maps to another name than the PAM user */
	FMT(buf,
	    "[global]\nca_file = %s\ncache_dir =\n[issuer as]\nissuer = %s\njwks_file = %s\n"
	    "audience = urn:test:rs256\nrequired_scope = ldap.read\nusername_template = svc-%%s\n",
	    ca, iss, jwks);
	conf("sec-tmpl.conf", buf, 0600);
	FMT(svc, "auth required MOD config=%s mode=secret\n", path_of("sec-tmpl.conf"));
	service("sec-tmpl", svc);
	expect_auth("secret mode, identity differs from the PAM user", "sec-tmpl", "service-a", "secret-a",
	            PAM_USER_UNKNOWN);
	/* the issuer's policy rejects the issued token */
	FMT(buf,
	    "[global]\nca_file = %s\ncache_dir =\n[issuer as]\nissuer = %s\njwks_file = %s\n"
	    "audience = urn:test:rs256\nallowed_client_ids = someone-else\n",
	    ca, iss, jwks);
	conf("sec-aud.conf", buf, 0600);
	FMT(svc, "auth required MOD config=%s mode=secret\n", path_of("sec-aud.conf"));
	service("sec-aud", svc);
	expect_auth("secret mode, issued token fails the issuer policy", "sec-aud", "service-a", "secret-a",
	            PAM_AUTH_ERR);
}

/* Remote keys: a first authentication fills the disk cache; with the AS stopped, a new handle still
 * succeeds from the disk cache, and a cold cache gives PAM_AUTHINFO_UNAVAIL.  Runs last: it stops the AS. */
static void warm_disk_cases(void)
{
	const char *iss = getenv("PAM_TEST_AS_ISSUER"), *ca = getenv("PAM_TEST_AS_CA"),
	           *tok = getenv("PAM_TEST_AS_TOKEN"), *pids = getenv("PAM_TEST_AS_PID");
	char buf[4096], svc[2 * PATH_MAX];
	pid_t pid;
	int n = 0;

	if (iss == NULL || ca == NULL || tok == NULL || tok[0] == '\0' || pids == NULL) {
		skip("AS down, keys in the disk cache", "no test AS");
		return;
	}
	FMT(buf,
	    "[global]\nca_file = %s\ncache_dir = %s/wcache\ntimeout = 2\n[issuer as]\nissuer = %s\n"
	    "audience = urn:test:rs256\nrequired_scope = ldap.read\n",
	    ca, dir, iss);
	conf("wd.conf", buf, 0600);
	FMT(buf,
	    "[global]\nca_file = %s\ncache_dir = %s/wcold\ntimeout = 2\n[issuer as]\nissuer = %s\n"
	    "audience = urn:test:rs256\nrequired_scope = ldap.read\n",
	    ca, dir, iss);
	conf("wcold.conf", buf, 0600);
	FMT(svc, "auth required MOD config=%s\n", path_of("wd.conf"));
	service("wd", svc);
	FMT(svc, "auth required MOD config=%s\n", path_of("wcold.conf"));
	service("wcold", svc);
	expect_auth("AS up, remote keys fetched into the disk cache", "wd", "service-a", tok, PAM_SUCCESS);
	pid = (pid_t)strtol(pids, NULL, 10);
	if (pid > 1 && kill(pid, SIGTERM) == 0)
		while (kill(pid, 0) == 0 && n++ < 100)
			usleep(50000);
	expect_auth("AS down, keys in the disk cache (new handle)", "wd", "service-a", tok, PAM_SUCCESS);
	expect_auth("AS down, cold disk cache", "wcold", "service-a", tok, PAM_AUTHINFO_UNAVAIL);
}

static int loop(long n)
{
	char svc[PATH_MAX + 64], *good = token(ISS, AUD, USER, 3600);
	int fails = 0;

	FMT(svc, "auth required MOD config=%s\naccount required MOD\n", path_of("ccauth.conf"));
	service("tok", svc);
	for (long i = 0; i < n; i++) {
		struct tx x = {.service = "tok", .user = USER, .pw = good, .account = 1};
		run(&x);
		if (x.auth_rc != PAM_SUCCESS || x.acct_rc != PAM_SUCCESS)
			fails++;
		if (i % 10 == 0) {
			x = (struct tx){.service = "tok", .user = "svc-b", .pw = good, .account = 1};
			run(&x);
			if (x.auth_rc != PAM_USER_UNKNOWN)
				fails++;
		}
	}
	free(good);
	result(fails == 0, "%ld authentications, %d unexpected results", n, fails);
	return fails;
}

/* --secret-at: one mode=secret authentication against a given token endpoint. */
static int secret_at(const char *iss, const char *endpoint, const char *ca, const char *timeout)
{
	char buf[4096], svc[2 * PATH_MAX], keys[PATH_MAX + 16];
	struct tx x = {.service = "sec-at", .user = "service-a", .pw = "secret-a"};
	struct timespec t0, t1;

	conf("at.secret", "secret-a\n", 0600);
	if (timeout != NULL)
		keys[0] = '\0'; /* jwks_uri by discovery */
	else
		FMT(keys, "jwks_file = %s\n", path_of("jwks.json"));
	FMT(buf,
	    "[global]\nca_file = %s\ncache_dir =\ntimeout = %s\n[issuer f]\nissuer = %s\n%s"
	    "audience = " AUD "\n[client c]\nissuer = %s\nclient_id = service-a\ntoken_endpoint = %s\n"
	    "client_secret_file = %s\n",
	    ca, timeout != NULL ? timeout : "5", iss, keys, iss, endpoint, path_of("at.secret"));
	conf("sec-at.conf", buf, 0600);
	FMT(svc, "auth required MOD config=%s mode=secret\n", path_of("sec-at.conf"));
	service("sec-at", svc);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	run(&x);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* with TIMEOUT: how long pam_authenticate took (the set-up, e.g. an RSA key, is not counted) */
	if (timeout != NULL)
		printf("%s %lld\n", code(x.auth_rc),
		       (long long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000));
	else
		printf("%s\n", code(x.auth_rc));
	return 0;
}

int main(int argc, char **argv)
{
	struct stat st;

#ifndef HAVE_PAM_START_CONFDIR
	printf("1..0 # SKIP libpam has no pam_start_confdir\n");
	return 0;
#endif
	if (argc == 3 && strcmp(argv[1], "--loop") == 0)
		alg = "ES256";
	setup();
	if ((argc == 5 || argc == 6) && strcmp(argv[1], "--secret-at") == 0) {
		int rc = secret_at(argv[2], argv[3], argv[4], argc == 6 ? argv[5] : NULL);
		EVP_PKEY_free(key);
		close(capfd);
		cleanup();
		return rc;
	}
	if (argc == 3 && strcmp(argv[1], "--loop") == 0) {
		loop(strtol(argv[2], NULL, 10));
	} else {
		token_cases();
		fork_cases();
		availability_cases();
		identity_cases();
		config_cases();
		secret_cases();
		warm_disk_cases();
	}
	if (fstat(capfd, &st) != 0)
		die("fstat");
	result(st.st_size == 0, "the module wrote nothing on stdout/stderr (%lld bytes)", (long long)st.st_size);
	printf("1..%d\n", ntests);
	EVP_PKEY_free(key);
	close(capfd);
	cleanup();
	return nfailed == 0 ? 0 : 1;
}
