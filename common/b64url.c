/* b64url: to be written */
#include "config.h"
#include "b64url.h"
