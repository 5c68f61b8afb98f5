/* Criterion keeps cr_log_* here; the shim declares them in criterion.h. */
#include "criterion.h"
