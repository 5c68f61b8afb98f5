/* The argument rules of afdio.h for interests and rearm sets, shared by
 * every backend and by net/, so all of them reject the same inputs with
 * AFDIO_EINVAL, and do so before looking at any state. */
#ifndef AFDIO_CORE_INTEREST_H
#define AFDIO_CORE_INTEREST_H

#include <stdint.h>

#include "afdio.h"

#define AFDIO__INTEREST_EVENTS (AFDIO_READABLE | AFDIO_WRITABLE | AFDIO_PRIORITY)
#define AFDIO__INTEREST_MODES (AFDIO_LEVEL | AFDIO_ONESHOT)

/* 0 for a valid afdio_poller_register() interest: a non-empty set of
 * READABLE/WRITABLE/PRIORITY and at most one mode; else AFDIO_EINVAL. */
static inline int afdio__interest_check(uint32_t interest) {
  if ((interest & AFDIO__INTEREST_EVENTS) == 0 ||
      (interest & ~(AFDIO__INTEREST_EVENTS | AFDIO__INTEREST_MODES)) != 0 ||
      (interest & AFDIO__INTEREST_MODES) == AFDIO__INTEREST_MODES)
    return AFDIO_EINVAL;
  return 0;
}

/* 0 for a valid afdio_poller_rearm() set, else AFDIO_EINVAL. */
static inline int afdio__rearm_check(uint32_t events) {
  if (events == 0 || (events & ~AFDIO__INTEREST_EVENTS) != 0)
    return AFDIO_EINVAL;
  return 0;
}

#endif
