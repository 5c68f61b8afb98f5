/* The wake descriptor where there is none: WASI preview 1 has no threads,
 * so nothing could wake a wait from outside, and neither pipe() nor
 * eventfd. Wakers give AFDIO_ENOSYS there; the poll(2) backend then runs
 * without its kick descriptor (no other thread can change the set during a
 * wait), and timers without a wake-up (core/timer.c). */
#include "afdio.h"
#include "unix/wakefd.h"

int afdio__wakefd_open(afdio__wakefd_t *wakefd) {
  wakefd->read_fd = wakefd->write_fd = -1;
  return AFDIO_ENOSYS;
}

int afdio__wakefd_signal(const afdio__wakefd_t *wakefd) {
  (void)wakefd;
  return AFDIO_ENOSYS;
}

int afdio__wakefd_drain(const afdio__wakefd_t *wakefd) {
  (void)wakefd;
  return 0;
}

void afdio__wakefd_close(afdio__wakefd_t *wakefd) {
  wakefd->read_fd = wakefd->write_fd = -1;
}
