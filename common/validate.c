/* validate: to be written */
#include "config.h"
#include "validate.h"
