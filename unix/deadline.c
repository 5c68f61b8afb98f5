/* Monotonic deadlines. CLOCK_MONOTONIC exists on every supported Unix and
 * does not jump when the wall clock is set. */
#include "unix/deadline.h"

#include <time.h>

#define DEADLINE__NS_PER_MS INT64_C(1000000)

static int64_t deadline__now_ns(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
    return 0;
  return (int64_t)ts.tv_sec * INT64_C(1000000000) + (int64_t)ts.tv_nsec;
}

int64_t afdio__deadline_from_ms(int64_t timeout_ms) {
  int64_t now = deadline__now_ns();
  if (timeout_ms > (INT64_MAX - now) / DEADLINE__NS_PER_MS)
    return INT64_MAX;
  return now + timeout_ms * DEADLINE__NS_PER_MS;
}

int64_t afdio__deadline_remaining_ns(int64_t deadline) {
  int64_t now = deadline__now_ns();
  return now >= deadline ? 0 : deadline - now;
}

int afdio__deadline_ns_to_ms(int64_t ns, int max_ms) {
  if (ns <= 0)
    return 0;
  int64_t ms = ns / DEADLINE__NS_PER_MS + (ns % DEADLINE__NS_PER_MS != 0);
  return ms > (int64_t)max_ms ? max_ms : (int)ms;
}
