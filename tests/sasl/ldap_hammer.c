/* Concurrency client for integration/sasl_slapd.sh: THREADS threads, each with its own StartTLS
 * connection, do BINDS OAUTHBEARER binds each, alternating a good and a bad token (every third
 * bind bad).  A good bind must make ldap_whoami return exactly DN; a bad one must fail with
 * invalidCredentials (49).  Prints one line "binds N wrong W errors E seconds S" and exits 0 only
 * when W and E are 0.  TLS trust comes from the environment (LDAPTLS_CACERT).
 *
 *   ldap_hammer URI THREADS BINDS GOOD_TOKEN BAD_TOKEN DN
 */
#include "autoconf.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ldap.h>
#include <sasl/sasl.h>

struct job {
	const char *uri, *good, *bad, *dn;
	long binds;
	long wrong, errors;
};

struct tokctx {
	const char *token;
};

static int interact(LDAP *ld, unsigned flags, void *defaults, void *in)
{
	const struct tokctx *t = defaults;

	for (sasl_interact_t *p = in; p->id != SASL_CB_LIST_END; p++) {
		p->result = p->id == SASL_CB_PASS ? t->token : "";
		p->len = (unsigned)strlen(p->result);
	}
	return LDAP_SUCCESS;
}

static LDAP *connect_tls(const char *uri)
{
	LDAP *ld = NULL;
	int v3 = LDAP_VERSION3;

	if (ldap_initialize(&ld, uri) != LDAP_SUCCESS)
		return NULL;
	ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
	if (ldap_start_tls_s(ld, NULL, NULL) != LDAP_SUCCESS) {
		ldap_unbind_ext_s(ld, NULL, NULL);
		return NULL;
	}
	return ld;
}

static void *worker(void *arg)
{
	struct job *j = arg;
	LDAP *ld = connect_tls(j->uri);

	if (ld == NULL) {
		j->errors = j->binds;
		return NULL;
	}
	for (long i = 0; i < j->binds; i++) {
		int bad = i % 3 == 2;
		struct tokctx t = {bad ? j->bad : j->good};
		int rc =
		    ldap_sasl_interactive_bind_s(ld, NULL, "OAUTHBEARER", NULL, NULL, LDAP_SASL_QUIET, interact, &t);

		if (bad) {
			if (rc != LDAP_INVALID_CREDENTIALS)
				j->wrong++;
			continue;
		}
		if (rc != LDAP_SUCCESS) {
			j->wrong++;
			continue;
		}
		struct berval *who = NULL;
		if (ldap_whoami_s(ld, &who, NULL, NULL) != LDAP_SUCCESS || who == NULL) {
			j->errors++;
		} else {
			size_t n = strlen(j->dn);
			if (who->bv_len != n + 3 || memcmp(who->bv_val, "dn:", 3) != 0 ||
			    memcmp(who->bv_val + 3, j->dn, n) != 0)
				j->wrong++;
		}
		ber_bvfree(who);
	}
	ldap_unbind_ext_s(ld, NULL, NULL);
	return NULL;
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	long threads, binds, wrong = 0, errors = 0;
	pthread_t *tid;
	struct job *jobs;

	if (argc != 7) {
		fprintf(stderr, "usage: ldap_hammer URI THREADS BINDS GOOD_TOKEN BAD_TOKEN DN\n");
		return 2;
	}
	threads = strtol(argv[2], NULL, 10);
	binds = strtol(argv[3], NULL, 10);
	if (threads < 1 || threads > 256 || binds < 1)
		return 2;
	tid = calloc((size_t)threads, sizeof(*tid));
	jobs = calloc((size_t)threads, sizeof(*jobs));
	if (tid == NULL || jobs == NULL)
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < threads; i++) {
		jobs[i] = (struct job){argv[1], argv[4], argv[5], argv[6], binds, 0, 0};
		if (pthread_create(&tid[i], NULL, worker, &jobs[i]) != 0)
			return 2;
	}
	for (long i = 0; i < threads; i++) {
		pthread_join(tid[i], NULL);
		wrong += jobs[i].wrong;
		errors += jobs[i].errors;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("binds %ld wrong %ld errors %ld seconds %.2f\n", threads * binds, wrong, errors,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	free(tid);
	free(jobs);
	return wrong == 0 && errors == 0 ? 0 : 1;
}
