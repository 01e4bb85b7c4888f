/* ccauth discover URL (design.md "The ccauth command"): print an issuer's metadata as JSON.
 *
 * The lookup follows common/discovery.c (RFC 8414 path insertion, then the OIDC form, the second
 * URL asked only when the first gave an HTTP answer that is not a usable document, the issuer
 * compared exactly) but without any cache, and it reports which URL answered.  ccauth check
 * uses the same lookup (ccauth_cmd_discover_issuer) so that both tell the same story. */
#include "autoconf.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h> /* not common/json.h: output only */

#include "commands.h"
#include "config.h"
#include "discovery.h"
#include "http.h"
#include "util.h"

enum { EXIT_USAGE = 2, EXIT_TEMPFAIL = 3 };

static const char discover_usage[] =
    "usage: ccauth [-c FILE] discover [--ca-file FILE] [--ca-path DIR] [--timeout SECONDS] URL\n"
    "\n"
    "Look up the authorization server metadata of the issuer URL: first the RFC 8414 form\n"
    "(https://host/.well-known/oauth-authorization-server/path), then the OpenID Connect form\n"
    "(https://host/path/.well-known/openid-configuration).  Print, as JSON on stdout, the issuer,\n"
    "token_endpoint, jwks_uri, introspection_endpoint (null when absent), the URL that answered\n"
    "(discovery_url) and its form (\"rfc8414\" or \"oidc\").  Nothing is cached.\n"
    "\n"
    "The [global] ca_file, ca_path, proxy and timeout of the configuration are used when it loads;\n"
    "otherwise the defaults (CA directory " CCAUTH_HTTP_DEFAULT_CAPATH ", no proxy, 5 s).  --ca-file and\n"
    "--ca-path replace the configured CAs; --timeout the configured timeout.\n"
    "\n"
    "exit status: 0 metadata printed; 2 usage error (including a URL that is not https);\n"
    "3 the server could not be reached, or answered nonsense: an error status, a document that is\n"
    "not JSON, or a document for another issuer (then URL is not that issuer's identifier).\n";

static int discover_usage_error(const char *msg)
{
	fprintf(stderr, "ccauth: discover: %s\nTry 'ccauth discover --help'.\n", msg);
	return EXIT_USAGE;
}

enum ccauth_status ccauth_cmd_probe_get(struct ccauth_http *http, const char *url, struct ccauth_http_response *resp,
                                        struct ccauth_cmd_probe *probe, struct ccauth_error *err)
{
	enum ccauth_status st = ccauth_http_get_certinfo(http, url, resp, &probe->cert_expiry, err);

	probe->status = resp->status;
	probe->date = resp->date;
	probe->received = time(NULL);
	(void)ccauth_strlcpy(probe->host, resp->host, sizeof(probe->host));
	return st;
}

enum ccauth_status ccauth_cmd_discover_issuer(struct ccauth_http *http, const char *issuer,
                                              struct ccauth_metadata **meta, int *form, struct ccauth_cmd_probe *probe,
                                              struct ccauth_error *err)
{
	struct ccauth_error e[2] = {{0}, {0}};
	enum ccauth_status st;
	char *urls[2] = {NULL, NULL};

	*meta = NULL;
	*form = -1;
	memset(probe, 0, sizeof(*probe));
	if ((st = ccauth_discovery_urls(issuer, &urls[0], &urls[1], err)) != CCAUTH_OK)
		return st;
	for (int i = 0; i < 2; i++) {
		struct ccauth_http_response r;

		st = ccauth_cmd_probe_get(http, urls[i], &r, probe, &e[i]);
		if (st == CCAUTH_OK)
			st = ccauth_metadata_parse(issuer, r.body, r.len, meta, &e[i]);
		ccauth_http_response_free(&r);
		/* an issuer mismatch is a config error for the core; here it is an answer that does not fit */
		if (st == CCAUTH_E_CONFIG && probe->status != 0)
			st = CCAUTH_E_UNAVAILABLE;
		if (st == CCAUTH_OK) {
			*form = i;
		} else if (i == 1) {
			ccauth_error_set(err, st, "%s (RFC 8414 form: %s)", e[1].msg, e[0].msg);
		} else if (st == CCAUTH_E_NOMEM || probe->status == 0) {
			/* no HTTP answer (connect, TLS, timeout): the other URL would only double the wait */
			ccauth_error_set(err, st, "%s", e[0].msg);
			break;
		}
		if (st == CCAUTH_OK)
			break;
	}
	free(urls[0]);
	free(urls[1]);
	return st;
}

const char *ccauth_cmd_discovery_form(int form)
{
	return form == 0 ? "rfc8414" : form == 1 ? "oidc" : "none";
}

static void add_str(struct json_object *o, const char *key, const char *val)
{
	json_object_object_add(o, key, val != NULL ? json_object_new_string(val) : NULL);
}

static int print_metadata(const struct ccauth_metadata *m, const char *url, int form)
{
	struct json_object *o = json_object_new_object();
	const char *s;
	int rc = 0;

	if (o == NULL)
		return -1;
	add_str(o, "issuer", m->issuer);
	add_str(o, "token_endpoint", m->token_endpoint);
	add_str(o, "jwks_uri", m->jwks_uri);
	add_str(o, "introspection_endpoint", m->introspection_endpoint);
	add_str(o, "discovery_url", url);
	add_str(o, "discovery", ccauth_cmd_discovery_form(form));
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
	                                          JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s == NULL || printf("%s\n", s) < 0 || fflush(stdout) != 0)
		rc = -1;
	json_object_put(o);
	return rc;
}

/* The configuration's HTTP settings when the file exists and loads; a missing file is silent. */
static struct ccauth_config *load_optional(const char *config_path)
{
	struct ccauth_config *cfg = NULL;
	struct ccauth_error err = {0};
	struct stat sb;

	if (config_path == NULL || (stat(config_path, &sb) != 0 && errno == ENOENT))
		return NULL;
	if (ccauth_config_load(config_path, &cfg, &err) != CCAUTH_OK) {
		fprintf(stderr, "ccauth: warning: %s; using the default HTTP settings\n", err.msg);
		return NULL;
	}
	return cfg;
}

int ccauth_cmd_discover(const char *config_path, const struct ccauth_log *log, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"ca-file", required_argument, NULL, 'f'},
	    {"ca-path", required_argument, NULL, 'p'},
	    {"timeout", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *ca_file = NULL, *ca_path = NULL;
	struct ccauth_http_opts hopts;
	struct ccauth_config *cfg = NULL;
	struct ccauth_http *http = NULL;
	struct ccauth_metadata *m = NULL;
	struct ccauth_cmd_probe probe;
	struct ccauth_error err = {0};
	enum ccauth_status st;
	char *u[2] = {NULL, NULL};
	long timeout = 0;
	int c, rc, form = -1;

	(void)log;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		char *end;

		switch (c) {
		case 'f':
			ca_file = optarg;
			break;
		case 'p':
			ca_path = optarg;
			break;
		case 't':
			errno = 0;
			timeout = strtol(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' || timeout < 1 || timeout > 300)
				return discover_usage_error("--timeout takes 1 to 300 seconds");
			break;
		case 'h':
			fputs(discover_usage, stdout);
			return 0;
		default:
			return discover_usage_error("bad option");
		}
	}
	if (argc - optind != 1)
		return discover_usage_error("one issuer URL expected");
	/* refuse a bad URL before touching the configuration or the network */
	if ((st = ccauth_discovery_urls(argv[optind], &u[0], &u[1], &err)) != CCAUTH_OK)
		return discover_usage_error(err.msg);

	cfg = load_optional(config_path);
	ccauth_http_opts_from_config(cfg, &hopts);
	if (ca_file != NULL || ca_path != NULL) {
		hopts.ca_file = ca_file;
		hopts.ca_path = ca_path;
	}
	if (timeout > 0)
		hopts.timeout = (int)timeout;
	if ((st = ccauth_http_new(&hopts, &http, &err)) != CCAUTH_OK ||
	    (st = ccauth_cmd_discover_issuer(http, argv[optind], &m, &form, &probe, &err)) != CCAUTH_OK) {
		fprintf(stderr, "ccauth: %s: %s\n", ccauth_status_reason(st), err.msg[0] != '\0' ? err.msg : "failed");
		rc = st == CCAUTH_E_CONFIG ? EXIT_USAGE : EXIT_TEMPFAIL;
		goto out;
	}
	rc = 0;
	if (print_metadata(m, u[form], form) != 0) {
		fputs("ccauth: discover: cannot write the result\n", stderr);
		rc = EXIT_TEMPFAIL;
	}
out:
	ccauth_metadata_free(m);
	ccauth_http_free(http);
	ccauth_config_free(cfg);
	free(u[0]);
	free(u[1]);
	return rc;
}
