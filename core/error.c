/* The error table's two lookups and the version queries: portable, no
 * platform code. */
#include "afdio.h"

const char *afdio_strerror(int err) {
  switch (err) {
  case 0:
    return "success";
#define ERROR__MSG(name, value, msg)                                           \
  case AFDIO_##name:                                                           \
    return msg;
    AFDIO_ERROR_TABLE(ERROR__MSG)
#undef ERROR__MSG
  default:
    return "unknown error";
  }
}

const char *afdio_err_name(int err) {
  switch (err) {
  case 0:
    return "AFDIO_OK";
#define ERROR__NAME(name, value, msg)                                          \
  case AFDIO_##name:                                                           \
    return "AFDIO_" #name;
    AFDIO_ERROR_TABLE(ERROR__NAME)
#undef ERROR__NAME
  default:
    return "AFDIO_EUNKNOWN";
  }
}

unsigned afdio_version(void) { return AFDIO_VERSION_HEX; }

const char *afdio_version_string(void) { return AFDIO_VERSION_STRING; }
