/* The only exported symbols of libccauth.so.  Stub until issue #5: no mechanisms yet. */
#include "config.h"

#include <sasl/sasl.h>
#include <sasl/saslplug.h>

#define CCAUTH_EXPORT __attribute__((visibility("default")))

CCAUTH_EXPORT int sasl_server_plug_init(const sasl_utils_t *utils, int maxversion, int *out_version,
					sasl_server_plug_t **pluglist, int *plugcount);
CCAUTH_EXPORT int sasl_client_plug_init(const sasl_utils_t *utils, int maxversion, int *out_version,
					sasl_client_plug_t **pluglist, int *plugcount);

int sasl_server_plug_init(const sasl_utils_t *utils, int maxversion, int *out_version, sasl_server_plug_t **pluglist,
			  int *plugcount)
{
	return SASL_NOMECH;
}

int sasl_client_plug_init(const sasl_utils_t *utils, int maxversion, int *out_version, sasl_client_plug_t **pluglist,
			  int *plugcount)
{
	return SASL_NOMECH;
}
