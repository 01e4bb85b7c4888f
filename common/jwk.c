/* jwk: to be written */
#include "config.h"
#include "jwk.h"
