/* Monotonic deadlines: see core/deadline.h. */
#include "core/deadline.h"

#include "core/sys.h"

#define DEADLINE__NS_PER_MS INT64_C(1000000)

int64_t afdio__deadline_from_ms(int64_t timeout_ms) {
  int64_t now = afdio__sys_now_ns();
  if (timeout_ms > (INT64_MAX - now) / DEADLINE__NS_PER_MS)
    return INT64_MAX;
  return now + timeout_ms * DEADLINE__NS_PER_MS;
}

int64_t afdio__deadline_remaining_ns(int64_t deadline) {
  int64_t now = afdio__sys_now_ns();
  return now >= deadline ? 0 : deadline - now;
}

int64_t afdio__deadline_ns_to_ms(int64_t ns, int64_t max_ms) {
  if (ns <= 0)
    return 0;
  int64_t ms = ns / DEADLINE__NS_PER_MS + (ns % DEADLINE__NS_PER_MS != 0);
  return ms > max_ms ? max_ms : ms;
}
