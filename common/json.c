/* json: to be written */
#include "config.h"
#include "json.h"
