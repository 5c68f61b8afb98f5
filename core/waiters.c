/* Counting the threads inside a wait: see core/waiters.h. */
#include "core/waiters.h"

#include <time.h>

int afdio__waiters_close(afdio__waiters_t *w) {
  __atomic_store_n(&w->closing, 1, __ATOMIC_SEQ_CST);
  return __atomic_load_n(&w->count, __ATOMIC_SEQ_CST);
}

void afdio__waiters_drain(afdio__waiters_t *w) {
  static const struct timespec brief = {0, 200 * 1000};
  while (__atomic_load_n(&w->count, __ATOMIC_SEQ_CST) > 0)
    nanosleep(&brief, NULL);
}
