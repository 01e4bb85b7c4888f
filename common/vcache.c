/* vcache: to be written */
#include "config.h"
#include "vcache.h"
