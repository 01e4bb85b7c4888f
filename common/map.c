/* map: to be written */
#include "config.h"
#include "map.h"
