/* The smallest afdio program: create a poller and a waker, wake it, wait for
 * the wake, then show that an empty wait honours its timeout. */
#include <stdio.h>
#include <time.h>

#include "afdio.h"

static double now_ms(void) {
  struct timespec ts;
  timespec_get(&ts, TIME_UTC);
  return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static int fail(const char *what, int err) {
  fprintf(stderr, "poll_hello: %s: %s (%s)\n", what, afdio_strerror(err),
          afdio_err_name(err));
  return 1;
}

int main(void) {
  afdio_poller_t *poller;
  afdio_waker_t *waker;
  afdio_event_t events[4];
  int r;

  printf("afdio %s, backend %s\n", afdio_version_string(), afdio_backend());
  if ((r = afdio_poller_new(&poller)) < 0)
    return fail("afdio_poller_new", r);
  if ((r = afdio_waker_new(poller, 42, &waker)) < 0)
    return fail("afdio_waker_new", r);
  for (int i = 0; i < 3; i++) /* coalesced into one event */
    if ((r = afdio_waker_wake(waker)) < 0)
      return fail("afdio_waker_wake", r);
  r = afdio_poller_wait(poller, events, 4, 1000);
  if (r != 1 || events[0].token != 42)
    return fail("wait for the waker", r < 0 ? r : AFDIO_EIO);
  printf("woken: 1 event, token %llu\n", (unsigned long long)events[0].token);

  double start = now_ms();
  r = afdio_poller_wait(poller, events, 4, 50);
  double took = now_ms() - start;
  if (r != 0)
    return fail("empty wait", r < 0 ? r : AFDIO_EIO);
  printf("empty wait: 0 events after %.1f ms (timeout 50 ms)\n", took);
  afdio_poller_delete(poller);
  return 0;
}
