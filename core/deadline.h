/* Wait deadlines on the monotonic clock (afdio__sys_now_ns(): CLOCK_MONOTONIC
 * on Unix, QueryPerformanceCounter on Windows), for every backend's wait
 * loop: a wait interrupted by a signal, or woken early by the kernel, goes
 * on for what remains, and a huge timeout stays finite (it saturates). */
#ifndef AFDIO_CORE_DEADLINE_H
#define AFDIO_CORE_DEADLINE_H

#include <stdint.h>

/* The monotonic time, in nanoseconds, timeout_ms (> 0) from now; saturates
 * at INT64_MAX instead of overflowing. */
int64_t afdio__deadline_from_ms(int64_t timeout_ms);

/* Nanoseconds left until deadline, 0 once it has passed. */
int64_t afdio__deadline_remaining_ns(int64_t deadline);

/* Nanoseconds rounded UP to whole milliseconds, at most max_ms: a wait of
 * the result never ends before the nanoseconds have passed, unless capped. */
int64_t afdio__deadline_ns_to_ms(int64_t ns, int64_t max_ms);

#endif
