/* The WASI (preview 1) backend under a real runtime: tests/wasi/run.py runs
 * this module in wasmtime with the runner's pipe as stdin. No Criterion
 * (it has no WASI build): each check prints a line, and the last line is
 * "N passed, N failed", the shim runner's summary that tests/run-suite.sh
 * reads.
 *
 * What it covers: the backend's name, wakers refused (no threads), a zero
 * timeout, a finite timeout that is never cut short, a timer, and
 * poll_oneoff readiness of a real descriptor: stdin, a host pipe, edge
 * mode with its rearm, data verified byte for byte, then end of stream.
 * The runner writes to the pipe only after the module says it waits, so
 * nothing depends on timing. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "afdio.h"

static int passed, failed;

#define CHECK(cond, ...)                                                       \
  do {                                                                         \
    if (cond) {                                                                \
      passed++;                                                                \
    } else {                                                                   \
      failed++;                                                                \
      printf("[FAIL] %s:%d: %s: ", __FILE__, __LINE__, #cond);                \
      printf(__VA_ARGS__);                                                     \
      printf("\n");                                                            \
    }                                                                          \
  } while (0)

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* One wait; prints and counts the outcome's consistency, returns n. */
static int wait_for(afdio_poller_t *p, afdio_event_t *ev, int64_t ms) {
  return afdio_poller_wait(p, ev, 1, ms);
}

int main(void) {
  afdio_poller_t *p = NULL;
  afdio_event_t ev;
  CHECK(strcmp(afdio_backend(), "wasi") == 0, "backend %s", afdio_backend());
  CHECK(afdio_poller_new(&p) == 0, "poller_new");
  if (p == NULL)
    return 1;

  /* No threads: a waker could never wake a wait from outside. */
  afdio_waker_t *w = (afdio_waker_t *)&ev;
  CHECK(afdio_waker_new(p, 1, &w) == AFDIO_ENOSYS && w == NULL,
        "waker_new gave a waker");

  double t0 = now_ms();
  int n = wait_for(p, &ev, 0);
  CHECK(n == 0, "zero timeout gave %d", n);
  t0 = now_ms();
  n = wait_for(p, &ev, 30);
  double took = now_ms() - t0;
  CHECK(n == 0 && took >= 30.0, "30 ms timeout: %d after %.1f ms", n, took);

  afdio_timer_t *t = NULL;
  CHECK(afdio_timer_new(p, 77, &t) == 0, "timer_new");
  CHECK(afdio_timer_arm(t, 20, 0) == 0, "timer_arm");
  t0 = now_ms();
  n = wait_for(p, &ev, 5000);
  took = now_ms() - t0;
  CHECK(n == 1 && ev.token == 77 && took >= 20.0,
        "timer: %d, token %llu, after %.1f ms", n,
        (unsigned long long)ev.token, took);
  CHECK(afdio_timer_delete(t) == 0, "timer_delete");

  /* stdin: a pipe of the runner. Nothing is written before we say so. */
  CHECK(afdio_poller_register(p, 0, 5, AFDIO_READABLE) == 0, "register stdin");
  CHECK(afdio_poller_register(p, 0, 5, AFDIO_READABLE) == AFDIO_EEXIST,
        "register twice");
  n = wait_for(p, &ev, 0);
  CHECK(n == 0, "stdin readable before anything was written: %d", n);
  printf("READY\n");
  fflush(stdout);
  n = wait_for(p, &ev, 10000);
  CHECK(n == 1 && ev.token == 5 && (ev.events & AFDIO_READABLE),
        "stdin data: %d events, token %llu, bits 0x%x", n,
        (unsigned long long)ev.token, n == 1 ? ev.events : 0u);
  char buf[64] = {0};
  ssize_t got = read(0, buf, sizeof buf);
  CHECK(got == 12 && memcmp(buf, "ping wasi 1\n", 12) == 0,
        "read %zd bytes", got);
  /* Edge mode: a short read counts as would-block, as net/ does. */
  CHECK(afdio_poller_rearm(p, 0, AFDIO_READABLE) == 0, "rearm");
  printf("READY-EOF\n");
  fflush(stdout);
  n = wait_for(p, &ev, 10000);
  CHECK(n == 1 && ev.token == 5, "end of stream: %d events", n);
  got = read(0, buf, sizeof buf);
  CHECK(got == 0, "read at end of stream gave %zd", got);
  CHECK(afdio_poller_deregister(p, 0) == 0, "deregister");
  CHECK(afdio_poller_deregister(p, 0) == AFDIO_ENOENT, "deregister twice");
  CHECK(afdio_poller_delete(p) == 0, "delete");

  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
