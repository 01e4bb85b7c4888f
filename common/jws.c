/* jws: to be written */
#include "config.h"
#include "jws.h"
