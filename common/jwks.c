/* jwks: to be written */
#include "config.h"
#include "jwks.h"
