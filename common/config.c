/* config: to be written */
#include "config.h"
#include "config.h"
