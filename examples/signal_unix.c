/* The Unix half of the examples' platform glue: SIGINT / SIGTERM wake the
 * event loop, and the monotonic clock. */
#include "example.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

/* Set once before the handlers are installed, read only by them. */
static afdio_waker_t *signal__waker;

/* afdio_waker_wake() on epoll and kqueue is one write() to an eventfd or a
 * pipe, which is async-signal-safe; errno is kept for the code we
 * interrupted. */
static void signal__handler(int signum) {
  int saved = errno;
  (void)signum;
  afdio_waker_wake(signal__waker);
  errno = saved;
}

int example_stop_on_signals(afdio_waker_t *waker) {
  struct sigaction sa;
  signal__waker = waker;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = signal__handler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0)
    return AFDIO_EIO;
  return 0;
}

double example_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
