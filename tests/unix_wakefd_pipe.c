/* The pipe wake descriptor (unix/wakefd_pipe.c) is the waker of kqueue
 * systems without EVFILT_USER and of poll(2) off Linux, so no native build
 * here uses it. It is
 * compiled into this test under other names and watched by the native
 * poller in edge mode, as a backend would watch it. */
#include <criterion/criterion.h>

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define afdio__wakefd_open pipe_wakefd_open
#define afdio__wakefd_signal pipe_wakefd_signal
#define afdio__wakefd_close pipe_wakefd_close
#define afdio__wakefd_drain pipe_wakefd_drain
#include "unix/wakefd_pipe.c"

#define T .timeout = 10, .fini = util_fini

/* Kernel edges (epoll, kqueue) are what these tests watch the pipe with;
 * the poll(2) backend watches wake descriptors level-triggered and drains
 * them (a_drain_finds_the_signals_once), and its edge mode is emulated: a
 * write to an undrained pipe is no new readiness there. */
static void skip_on_poll(void) {
  if (strcmp(afdio_backend(), "poll") == 0)
    cr_skip_test("poll(2): no kernel edges; see a_drain_finds_the_signals_once");
}

Test(unix_wakefd_pipe, both_ends_are_non_blocking_and_close_on_exec, T) {
  afdio__wakefd_t w;
  cr_assert_eq(pipe_wakefd_open(&w), 0);
  int ends[2] = {w.read_fd, w.write_fd};
  for (int i = 0; i < 2; i++) {
    cr_assert(fcntl(ends[i], F_GETFD) & FD_CLOEXEC, "end %d", i);
    cr_assert(fcntl(ends[i], F_GETFL) & O_NONBLOCK, "end %d", i);
  }
  pipe_wakefd_close(&w);
  cr_assert_eq(w.read_fd, -1);
  cr_assert_lt(fcntl(ends[0], F_GETFD), 0, "the read end is still open");
  cr_assert_lt(fcntl(ends[1], F_GETFD), 0, "the write end is still open");
}

Test(unix_wakefd_pipe, signals_before_a_wait_coalesce_into_one_edge, T) {
  skip_on_poll();
  afdio_poller_t *p = util_poller();
  afdio__wakefd_t w;
  cr_assert_eq(pipe_wakefd_open(&w), 0);
  cr_assert_eq(afdio_poller_register(p, w.read_fd, 5, AFDIO_READABLE), 0);
  for (int i = 0; i < 10; i++)
    cr_assert_eq(pipe_wakefd_signal(&w), 0);
  cr_assert_eq(util_count_events_for(p, 5, 100, NULL), 1);
  cr_assert_eq(pipe_wakefd_signal(&w), 0);
  util_expect_event(p, 5, AFDIO_READABLE, 2000);
  cr_assert_eq(afdio_poller_deregister(p, w.read_fd), 0);
  pipe_wakefd_close(&w);
}

Test(unix_wakefd_pipe, a_full_pipe_is_drained_and_the_wake_still_arrives, T) {
  skip_on_poll();
  afdio_poller_t *p = util_poller();
  afdio__wakefd_t w;
  cr_assert_eq(pipe_wakefd_open(&w), 0);
  /* Fill the pipe behind the wake descriptor's back. */
  char block[4096] = {0};
  while (write(w.write_fd, block, sizeof block) > 0) {
  }
  cr_assert_eq(afdio_poller_register(p, w.read_fd, 6, AFDIO_READABLE), 0);
  util_expect_event(p, 6, AFDIO_READABLE, 2000); /* the data already there */
  util_expect_no_events(p, 50);
  /* The pipe is full: the signal must drain it and write again, which is a
   * new edge. */
  cr_assert_eq(pipe_wakefd_signal(&w), 0);
  util_expect_event(p, 6, AFDIO_READABLE, 2000);
  cr_assert_eq(afdio_poller_deregister(p, w.read_fd), 0);
  pipe_wakefd_close(&w);
}

/* The poll(2) backend reports a wake to the thread whose drain found it:
 * a drain says 1 once for any number of signals, then 0. */
Test(unix_wakefd_pipe, a_drain_finds_the_signals_once, T) {
  afdio__wakefd_t w;
  cr_assert_eq(afdio__wakefd_open(&w), 0);
  cr_assert_eq(afdio__wakefd_drain(&w), 0);
  for (int i = 0; i < 3; i++)
    cr_assert_eq(afdio__wakefd_signal(&w), 0);
  cr_assert_eq(afdio__wakefd_drain(&w), 1);
  cr_assert_eq(afdio__wakefd_drain(&w), 0);
  afdio__wakefd_close(&w);
}
