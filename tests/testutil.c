/* Test helpers: files, keys, and minting tokens with OpenSSL directly.
 *
 * Deliberately independent of common/: its own base64url, EVP_DigestSign, and its own ECDSA
 * DER -> R||S conversion, so that a bug in the verifier cannot be masked by the same bug here. */
#include "autoconf.h"
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#ifndef TEST_SRCDIR
#define TEST_SRCDIR "."
#endif

static void die(const char *what) __attribute__((noreturn));

static void die(const char *what)
{
	fprintf(stderr, "testutil: %s\n", what);
	ERR_print_errors_fp(stderr);
	abort();
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		die("out of memory");
	return p;
}

/* printf into a fresh buffer */
static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	int n;
	char *s;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		die("vsnprintf");
	s = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

char *tu_read_file(const char *path, size_t *len)
{
	char *full = path[0] == '/' ? xasprintf("%s", path) : xasprintf("%s/%s", TEST_SRCDIR, path);
	FILE *f = fopen(full, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (f == NULL) {
		fprintf(stderr, "testutil: cannot open %s\n", full);
		abort();
	}
	for (;;) {
		size_t got;

		if (cap - n < 4096) {
			char *nb;

			cap = cap ? cap * 2 : 8192;
			nb = realloc(buf, cap);
			if (nb == NULL)
				die("out of memory");
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f))
		die("read error");
	fclose(f);
	free(full);
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
}

EVP_PKEY *tu_genkey(const char *kind)
{
	EVP_PKEY *pkey = NULL;

	if (strcmp(kind, "RSA2048") == 0)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	else if (strcmp(kind, "RSA3072") == 0)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
	else if (strcmp(kind, "RSA1024") == 0)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	else if (strcmp(kind, "P-256") == 0)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	else if (strcmp(kind, "P-384") == 0)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	else if (strcmp(kind, "P-521") == 0)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
	else if (strcmp(kind, "Ed25519") == 0)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	else if (strcmp(kind, "Ed448") == 0)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED448");
	else
		die("tu_genkey: unknown kind");
	if (pkey == NULL)
		die("tu_genkey: keygen failed");
	return pkey;
}

char *tu_b64url(const void *data, size_t len)
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const unsigned char *p = data;
	char *out = xmalloc(len / 3 * 4 + 5);
	size_t i = 0, o = 0;

	for (; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

		out[o++] = tbl[v >> 18 & 63];
		out[o++] = tbl[v >> 12 & 63];
		out[o++] = tbl[v >> 6 & 63];
		out[o++] = tbl[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)p[i] << 16;

		out[o++] = tbl[v >> 18 & 63];
		out[o++] = tbl[v >> 12 & 63];
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;

		out[o++] = tbl[v >> 18 & 63];
		out[o++] = tbl[v >> 12 & 63];
		out[o++] = tbl[v >> 6 & 63];
	}
	out[o] = '\0';
	return out;
}

char *tu_b64url_str(const char *s)
{
	return tu_b64url(s, strlen(s));
}

static char *b64_bn_param(EVP_PKEY *key, const char *name)
{
	BIGNUM *bn = NULL;
	unsigned char *buf;
	int n;
	char *s;

	if (!EVP_PKEY_get_bn_param(key, name, &bn))
		die("EVP_PKEY_get_bn_param");
	n = BN_num_bytes(bn);
	buf = xmalloc((size_t)n);
	BN_bn2bin(bn, buf);
	s = tu_b64url(buf, (size_t)n);
	free(buf);
	BN_free(bn);
	return s;
}

static const char *ec_curve_name(EVP_PKEY *key, size_t *fieldlen)
{
	char group[64];

	if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL))
		die("EC group name");
	if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0) {
		*fieldlen = 32;
		return "P-256";
	}
	if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0) {
		*fieldlen = 48;
		return "P-384";
	}
	if (strcmp(group, "secp521r1") == 0 || strcmp(group, "P-521") == 0) {
		*fieldlen = 66;
		return "P-521";
	}
	die("unsupported EC group");
}

char *tu_jwk_json(EVP_PKEY *key, const char *kid, const char *alg)
{
	char *kidm = kid ? xasprintf(",\"kid\":\"%s\"", kid) : xasprintf("%s", "");
	char *algm = alg ? xasprintf(",\"alg\":\"%s\"", alg) : xasprintf("%s", "");
	char *out;

	if (EVP_PKEY_is_a(key, "RSA") || EVP_PKEY_is_a(key, "RSA-PSS")) {
		char *n = b64_bn_param(key, OSSL_PKEY_PARAM_RSA_N);
		char *e = b64_bn_param(key, OSSL_PKEY_PARAM_RSA_E);

		out = xasprintf("{\"kty\":\"RSA\"%s%s,\"use\":\"sig\",\"n\":\"%s\",\"e\":\"%s\"}", kidm, algm, n, e);
		free(n);
		free(e);
	} else if (EVP_PKEY_is_a(key, "EC")) {
		unsigned char pt[1 + 2 * 66];
		size_t ptlen = 0, flen;
		const char *crv = ec_curve_name(key, &flen);
		char *x, *y;

		if (!EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt), &ptlen))
			die("EC public point");
		if (ptlen != 1 + 2 * flen || pt[0] != 0x04)
			die("EC point not uncompressed");
		x = tu_b64url(pt + 1, flen);
		y = tu_b64url(pt + 1 + flen, flen);
		out = xasprintf("{\"kty\":\"EC\"%s%s,\"use\":\"sig\",\"crv\":\"%s\",\"x\":\"%s\",\"y\":\"%s\"}", kidm,
		                algm, crv, x, y);
		free(x);
		free(y);
	} else if (EVP_PKEY_is_a(key, "ED25519") || EVP_PKEY_is_a(key, "ED448")) {
		unsigned char pub[57];
		size_t publen = sizeof(pub);
		const char *crv = EVP_PKEY_is_a(key, "ED25519") ? "Ed25519" : "Ed448";
		char *x;

		if (!EVP_PKEY_get_raw_public_key(key, pub, &publen))
			die("raw public key");
		x = tu_b64url(pub, publen);
		out =
		    xasprintf("{\"kty\":\"OKP\"%s%s,\"use\":\"sig\",\"crv\":\"%s\",\"x\":\"%s\"}", kidm, algm, crv, x);
		free(x);
	} else {
		die("tu_jwk_json: unsupported key type");
	}
	free(kidm);
	free(algm);
	return out;
}

/* ECDSA: OpenSSL gives DER SEQUENCE{r,s}; JWS wants R||S, each left-padded to the field size. */
static unsigned char *der_to_raw(const unsigned char *der, size_t derlen, size_t flen, size_t *outlen)
{
	const unsigned char *p = der;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
	const BIGNUM *r, *s;
	unsigned char *raw;

	if (es == NULL)
		die("d2i_ECDSA_SIG");
	ECDSA_SIG_get0(es, &r, &s);
	raw = xmalloc(2 * flen);
	if (BN_bn2binpad(r, raw, (int)flen) != (int)flen || BN_bn2binpad(s, raw + flen, (int)flen) != (int)flen)
		die("BN_bn2binpad");
	ECDSA_SIG_free(es);
	*outlen = 2 * flen;
	return raw;
}

char *tu_sign(EVP_PKEY *key, const char *alg, const char *header, const char *payload)
{
	const EVP_MD *md = NULL;
	int pss = 0, ec = 0, ed = 0;
	size_t want_flen = 0;
	char *h, *p, *input, *sigb64, *tok;
	EVP_MD_CTX *ctx;
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char *sig;
	size_t siglen = 0;

	if (strlen(alg) == 5 && (alg[0] == 'R' || alg[0] == 'P' || alg[0] == 'E') && alg[1] == 'S') {
		if (strcmp(alg + 2, "256") == 0)
			md = EVP_sha256();
		else if (strcmp(alg + 2, "384") == 0)
			md = EVP_sha384();
		else if (strcmp(alg + 2, "512") == 0)
			md = EVP_sha512();
		else
			die("tu_sign: unsupported alg");
		pss = alg[0] == 'P';
		ec = alg[0] == 'E';
	} else if (strcmp(alg, "EdDSA") == 0) {
		ed = 1;
	} else {
		die("tu_sign: unsupported alg");
	}
	if (ec) {
		size_t flen;

		if (!EVP_PKEY_is_a(key, "EC"))
			die("tu_sign: ES* needs an EC key");
		ec_curve_name(key, &flen);
		want_flen = flen;
	}

	h = tu_b64url_str(header);
	p = tu_b64url_str(payload);
	input = xasprintf("%s.%s", h, p);
	free(h);
	free(p);

	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		die("EVP_MD_CTX_new");
	if (EVP_DigestSignInit(ctx, &pctx, ed ? NULL : md, NULL, key) != 1)
		die("EVP_DigestSignInit");
	if (pss) {
		if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
		    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, EVP_MD_get_size(md)) != 1)
			die("PSS parameters");
	}
	if (EVP_DigestSign(ctx, NULL, &siglen, (const unsigned char *)input, strlen(input)) != 1)
		die("EVP_DigestSign (size)");
	sig = xmalloc(siglen);
	if (EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)input, strlen(input)) != 1)
		die("EVP_DigestSign");
	EVP_MD_CTX_free(ctx);

	if (ec) {
		size_t rawlen;
		unsigned char *raw = der_to_raw(sig, siglen, want_flen, &rawlen);

		sigb64 = tu_b64url(raw, rawlen);
		free(raw);
	} else {
		sigb64 = tu_b64url(sig, siglen);
	}
	free(sig);
	tok = xasprintf("%s.%s", input, sigb64);
	free(input);
	free(sigb64);
	return tok;
}

char *tu_payload(const char *iss, const char *aud, const char *client_id, const char *scope, int64_t iat, int64_t exp)
{
	unsigned char rnd[12];
	char *jti, *audm, *scopem, *out;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		die("RAND_bytes");
	jti = tu_b64url(rnd, sizeof(rnd));
	audm = aud ? xasprintf("\"aud\":\"%s\",", aud) : xasprintf("%s", "");
	scopem = scope ? xasprintf(",\"scope\":\"%s\"", scope) : xasprintf("%s", "");
	out = xasprintf("{\"iss\":\"%s\",%s\"sub\":\"%s\",\"client_id\":\"%s\",\"jti\":\"%s\",\"iat\":%" PRId64
	                ",\"exp\":%" PRId64 "%s}",
	                iss, audm, client_id, client_id, jti, iat, exp, scopem);
	free(jti);
	free(audm);
	free(scopem);
	return out;
}

/* Temp dirs made here are removed when the test process exits (not in forked children). */
static char *temp_dirs[256];
static size_t ntemp_dirs;
static pid_t temp_owner;

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(p);
}

static void remove_temp_dirs(void)
{
	for (size_t i = 0; i < ntemp_dirs; i++) {
		if (getpid() == temp_owner && getenv("CCAUTH_TEST_KEEP") == NULL)
			nftw(temp_dirs[i], rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		free(temp_dirs[i]);
	}
	ntemp_dirs = 0;
}

static void remember_temp_dir(const char *dir)
{
	if (ntemp_dirs == 0 && temp_owner == 0) {
		temp_owner = getpid();
		atexit(remove_temp_dirs);
	}
	if (ntemp_dirs < sizeof(temp_dirs) / sizeof(temp_dirs[0]))
		temp_dirs[ntemp_dirs++] = xasprintf("%s", dir);
}

char *tu_write_temp(const char *name, const char *text)
{
	const char *tmp = getenv("TMPDIR");
	char *dir = xasprintf("%s/ccauth-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	char *path;
	size_t len = strlen(text), off = 0;
	int fd;

	if (mkdtemp(dir) == NULL)
		die("mkdtemp");
	remember_temp_dir(dir);
	path = xasprintf("%s/%s", dir, name);
	free(dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		die("open temp file");
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("write temp file");
		off += (size_t)w;
	}
	if (close(fd) != 0)
		die("close temp file");
	return path;
}
