/* The only exported symbols of libccauth.so: the two entry points libsasl looks up.  They check
 * the plugin API version and hand over to the mechanism tables (server.c, client.c). */
#include "autoconf.h"

#include "plugin.h"

#define CCAUTH_EXPORT __attribute__((visibility("default")))

CCAUTH_EXPORT int sasl_server_plug_init(const sasl_utils_t *utils, int maxversion, int *out_version,
                                        sasl_server_plug_t **pluglist, int *plugcount);
CCAUTH_EXPORT int sasl_client_plug_init(const sasl_utils_t *utils, int maxversion, int *out_version,
                                        sasl_client_plug_t **pluglist, int *plugcount);

int sasl_server_plug_init(const sasl_utils_t *utils, int maxversion, int *out_version, sasl_server_plug_t **pluglist,
                          int *plugcount)
{
	if (utils == NULL || out_version == NULL || pluglist == NULL || plugcount == NULL)
		return SASL_BADPARAM;
	if (maxversion < SASL_SERVER_PLUG_VERSION) {
		utils->seterror(utils->conn, 0, "ccauth: server plugin API version %d too old", maxversion);
		return SASL_BADVERS;
	}
	*out_version = SASL_SERVER_PLUG_VERSION;
	return ccauth_sasl_server_plugs(utils, pluglist, plugcount);
}

int sasl_client_plug_init(const sasl_utils_t *utils, int maxversion, int *out_version, sasl_client_plug_t **pluglist,
                          int *plugcount)
{
	if (utils == NULL || out_version == NULL || pluglist == NULL || plugcount == NULL)
		return SASL_BADPARAM;
	if (maxversion < SASL_CLIENT_PLUG_VERSION) {
		utils->seterror(utils->conn, 0, "ccauth: client plugin API version %d too old", maxversion);
		return SASL_BADVERS;
	}
	*out_version = SASL_CLIENT_PLUG_VERSION;
	return ccauth_sasl_client_plugs(utils, pluglist, plugcount);
}
