/* X-CCAUTH-FLOOR: a SASL server mechanism that does no work, for bench/ldap_bind.sh only (never
 * installed).  It takes the client's first message (the bench sends the very bytes of an
 * OAUTHBEARER bind), ignores it and hands libsasl a fixed identity through canon_user with the
 * flags the ccauth plugin uses.  What slapd spends on such a bind is what any mechanism other than
 * EXTERNAL costs it: reading the credentials, libsasl's conn and canon_user, and slapd turning
 * the name into uid=NAME,cn=MECH,cn=auth and normalising that DN (slap_sasl_getdn), which slapd
 * skips for EXTERNAL only.  OAUTHBEARER minus this floor is the plugin's own share of a bind. */
#include "autoconf.h"

#include <sasl/sasl.h>
#include <sasl/saslplug.h>

#define FLOOR_EXPORT __attribute__((visibility("default")))
#define FLOOR_NAME   "svc-bench"

FLOOR_EXPORT int sasl_server_plug_init(const sasl_utils_t *utils, int maxversion, int *out_version,
                                       sasl_server_plug_t **pluglist, int *plugcount);

static int floor_new(void *glob, sasl_server_params_t *sp, const char *challenge, unsigned challen, void **conn)
{
	(void)glob;
	(void)sp;
	(void)challenge;
	(void)challen;
	*conn = NULL;
	return SASL_OK;
}

static int floor_step(void *conn, sasl_server_params_t *sp, const char *in, unsigned inlen, const char **out,
                      unsigned *outlen, sasl_out_params_t *op)
{
	int rc;

	(void)conn;
	*out = NULL;
	*outlen = 0;
	if (in == NULL || inlen == 0)
		return SASL_BADPROT;
	rc = sp->canon_user(sp->utils->conn, FLOOR_NAME, 0,
	                    SASL_CU_AUTHID | SASL_CU_AUTHZID | SASL_CU_EXTERNALLY_VERIFIED, op);
	if (rc != SASL_OK)
		return rc;
	op->doneflag = 1;
	op->mech_ssf = 0;
	op->maxoutbuf = 0;
	op->encode = NULL;
	op->decode = NULL;
	return SASL_OK;
}

static sasl_server_plug_t floor_plug[1] = {{
    .mech_name = "X-CCAUTH-FLOOR",
    .security_flags = SASL_SEC_NOANONYMOUS | SASL_SEC_PASS_CREDENTIALS,
    .features = SASL_FEAT_WANT_CLIENT_FIRST,
    .mech_new = floor_new,
    .mech_step = floor_step,
}};

int sasl_server_plug_init(const sasl_utils_t *utils, int maxversion, int *out_version, sasl_server_plug_t **pluglist,
                          int *plugcount)
{
	(void)utils;
	if (maxversion < SASL_SERVER_PLUG_VERSION)
		return SASL_BADVERS;
	*out_version = SASL_SERVER_PLUG_VERSION;
	*pluglist = floor_plug;
	*plugcount = 1;
	return SASL_OK;
}
