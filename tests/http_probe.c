/* Test driver for common/http and common/discovery, used by integration/as_http.sh until the
 * `ccauth discover` command covers the same ground.
 *
 *   http_probe [options] get URL
 *   http_probe [options] post URL FORM [AUTHORIZATION]
 *   http_probe [options] discover ISSUER [ISSUER...]   (one context: the second call may hit memory)
 * options: --ca-file F --ca-path D --timeout N --connect-timeout N --proxy P --cache DIR
 *          --max-stale N --cert F --key F
 * Prints one line per call: "ok ..." or "error REASON: MESSAGE".  Exit 0 when every call
 * succeeded, else 10 + the ccauth_status of the last failure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "discovery.h"
#include "http.h"
#include "log.h"

static void log_stderr(void *ctx, int prio, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "log(%d): %s\n", prio, msg);
}

static int num(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0 || v > 100000) {
		fprintf(stderr, "bad number %s\n", s);
		exit(2);
	}
	return (int)v;
}

static int fail(enum ccauth_status st, const struct ccauth_error *err)
{
	printf("error %s: %s\n", ccauth_status_reason(st), err->msg);
	return 10 + (int)st;
}

int main(int argc, char **argv)
{
	struct ccauth_log log = {log_stderr, NULL, 1};
	struct ccauth_http_opts o;
	struct ccauth_http_cred cred;
	struct ccauth_http *h = NULL;
	struct ccauth_cache *cache = NULL;
	struct ccauth_discovery *d = NULL;
	struct ccauth_error err;
	const char *cache_dir = NULL;
	enum ccauth_status st;
	int i, max_stale = 0, rc = 0;

	memset(&o, 0, sizeof(o));
	memset(&cred, 0, sizeof(cred));
	memset(&err, 0, sizeof(err));
	for (i = 1; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];

		if (strcmp(k, "--ca-file") == 0)
			o.ca_file = v;
		else if (strcmp(k, "--ca-path") == 0)
			o.ca_path = v;
		else if (strcmp(k, "--timeout") == 0)
			o.timeout = num(v);
		else if (strcmp(k, "--connect-timeout") == 0)
			o.connect_timeout = num(v);
		else if (strcmp(k, "--proxy") == 0)
			o.proxy = v;
		else if (strcmp(k, "--cache") == 0)
			cache_dir = v;
		else if (strcmp(k, "--max-stale") == 0)
			max_stale = num(v);
		else if (strcmp(k, "--cert") == 0)
			cred.tls_cert_file = v;
		else if (strcmp(k, "--key") == 0)
			cred.tls_key_file = v;
		else {
			fprintf(stderr, "unknown option %s\n", k);
			return 2;
		}
	}
	if (i + 1 >= argc) {
		fprintf(stderr, "usage: http_probe [options] get|post|discover ARG...\n");
		return 2;
	}
	if ((st = ccauth_http_new(&o, &h, &err)) != CCAUTH_OK ||
	    (st = ccauth_cache_open(cache_dir, &log, &cache, &err)) != CCAUTH_OK)
		return fail(st, &err);

	if (strcmp(argv[i], "get") == 0 || strcmp(argv[i], "post") == 0) {
		struct ccauth_http_response r;

		if (argv[i][0] == 'g') {
			st = ccauth_http_get(h, argv[i + 1], &r, &err);
		} else {
			if (i + 2 >= argc) {
				fprintf(stderr, "post needs a form body\n");
				return 2;
			}
			cred.authorization = i + 3 < argc ? argv[i + 3] : NULL;
			st = ccauth_http_post_form(h, argv[i + 1], argv[i + 2], strlen(argv[i + 2]), &cred, &r, &err);
		}
		if (st == CCAUTH_OK || st == CCAUTH_E_DENIED)
			printf("%s status=%ld len=%zu max_age=%ld date=%s type=%s body=%.200s\n",
			       st == CCAUTH_OK ? "ok" : "denied", r.status, r.len, r.max_age, r.date > 0 ? "yes" : "no",
			       r.content_type, r.body);
		if (st != CCAUTH_OK)
			rc = fail(st, &err);
		ccauth_http_response_free(&r);
	} else if (strcmp(argv[i], "discover") == 0) {
		if ((st = ccauth_discovery_new(h, cache, &log, max_stale, &d, &err)) != CCAUTH_OK)
			return fail(st, &err);
		for (i++; i < argc; i++) {
			static const char *const from[] = {"network", "memory", "disk", "stale"};
			struct ccauth_metadata *m;

			st = ccauth_discovery_get(d, argv[i], &m, &err);
			if (st != CCAUTH_OK) {
				rc = fail(st, &err);
				continue;
			}
			printf("ok from=%s issuer=%s token_endpoint=%s jwks_uri=%s introspection_endpoint=%s\n",
			       from[m->from], m->issuer, m->token_endpoint ? m->token_endpoint : "-",
			       m->jwks_uri ? m->jwks_uri : "-",
			       m->introspection_endpoint ? m->introspection_endpoint : "-");
			ccauth_metadata_free(m);
		}
	} else {
		fprintf(stderr, "unknown command %s\n", argv[i]);
		rc = 2;
	}
	ccauth_discovery_free(d);
	ccauth_cache_close(cache);
	ccauth_http_free(h);
	return rc;
}
