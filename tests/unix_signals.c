/* A signal delivered to a waiting thread (its handler installed without
 * SA_RESTART, so the system call fails with EINTR) never ends the wait
 * early and is never reported: the wait goes on for what remains. */
#include <criterion/criterion.h>

#include <pthread.h>
#include <signal.h>
#include <string.h>

#include "util.h"

#define T .timeout = 10, .fini = util_fini

static volatile sig_atomic_t signals_seen;

static void on_signal(int sig) {
  (void)sig;
  signals_seen++;
}

static void install_handler(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0; /* no SA_RESTART: the wait sees EINTR */
  cr_assert_eq(sigaction(SIGUSR1, &sa, NULL), 0);
}

typedef struct interrupter {
  pthread_t target;
  int count;
  int every_ms;
  afdio_waker_t *then_wake; /* may be NULL */
} interrupter_t;

static void interrupt_main(void *arg) {
  interrupter_t *it = arg;
  for (int i = 0; i < it->count; i++) {
    util_sleep_ms(it->every_ms);
    pthread_kill(it->target, SIGUSR1);
  }
  if (it->then_wake != NULL) {
    util_sleep_ms(it->every_ms);
    afdio_waker_wake(it->then_wake);
  }
}

Test(unix_signals, a_signal_does_not_end_a_timed_wait_early, T) {
  install_handler();
  afdio_poller_t *p = util_poller();
  interrupter_t it = {pthread_self(), 4, 50, NULL};
  util_thread_t *thread;
  cr_assert_eq(util_thread_start(&thread, interrupt_main, &it), 0);
  afdio_event_t ev[4];
  double start = util_now_ms();
  int n = afdio_poller_wait(p, ev, 4, 400);
  double elapsed = util_now_ms() - start;
  cr_assert_eq(util_thread_join(thread), 0);
  cr_assert_eq(n, 0, "wait: %d (%s)", n, n < 0 ? afdio_err_name(n) : "events");
  cr_assert_geq(elapsed, 400.0, "the wait ended after %.1f ms", elapsed);
  cr_assert_geq(signals_seen, 1, "no signal reached the waiting thread");
}

Test(unix_signals, a_signal_does_not_end_an_infinite_wait, T) {
  install_handler();
  afdio_poller_t *p = util_poller();
  afdio_waker_t *w;
  cr_assert_eq(afdio_waker_new(p, 42, &w), 0);
  interrupter_t it = {pthread_self(), 3, 50, w};
  util_thread_t *thread;
  cr_assert_eq(util_thread_start(&thread, interrupt_main, &it), 0);
  afdio_event_t ev[4];
  double start = util_now_ms();
  int n = afdio_poller_wait(p, ev, 4, -1);
  double elapsed = util_now_ms() - start;
  cr_assert_eq(util_thread_join(thread), 0);
  cr_assert_eq(n, 1, "wait: %d", n);
  cr_assert_eq(ev[0].token, 42ull);
  cr_assert_geq(elapsed, 150.0, "the wait ended after %.1f ms", elapsed);
  cr_assert_geq(signals_seen, 1, "no signal reached the waiting thread");
}
