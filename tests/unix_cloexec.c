/* Every descriptor afdio opens is close-on-exec, and deleting a poller or a
 * waker closes what it opened. The descriptors are found by scanning the
 * descriptor table before and after (no /proc needed). */
#include <criterion/criterion.h>

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define T .timeout = 10, .fini = util_fini

enum { SCAN = 1024 };

/* open[fd] = 1 for every open descriptor below SCAN. */
static void scan(unsigned char open_fds[SCAN]) {
  for (int fd = 0; fd < SCAN; fd++)
    open_fds[fd] = fcntl(fd, F_GETFD) >= 0;
}

/* Asserts that every descriptor open now but not in `before` is CLOEXEC;
 * returns how many there are. */
static int check_new_fds(const unsigned char before[SCAN]) {
  unsigned char now[SCAN];
  scan(now);
  int count = 0;
  for (int fd = 0; fd < SCAN; fd++) {
    if (!now[fd] || before[fd])
      continue;
    count++;
    int flags = fcntl(fd, F_GETFD);
    cr_assert(flags & FD_CLOEXEC, "descriptor %d is not close-on-exec", fd);
  }
  return count;
}

static void assert_same_fds(const unsigned char before[SCAN]) {
  unsigned char now[SCAN];
  scan(now);
  for (int fd = 0; fd < SCAN; fd++)
    cr_assert_eq(now[fd], before[fd], "descriptor %d %s", fd,
                 now[fd] ? "left open" : "closed by afdio");
}

Test(unix_cloexec, the_poller_descriptor_is_close_on_exec_and_closed, T) {
  unsigned char before[SCAN];
  scan(before);
  afdio_poller_t *p;
  cr_assert_eq(afdio_poller_new(&p), 0);
  cr_assert_geq(check_new_fds(before), 1, "no descriptor for the poller");
  cr_assert_eq(afdio_poller_delete(p), 0);
  assert_same_fds(before);
}

Test(unix_cloexec, waker_descriptors_are_close_on_exec_and_closed, T) {
  unsigned char at_start[SCAN], before[SCAN];
  scan(at_start);
  afdio_poller_t *p;
  cr_assert_eq(afdio_poller_new(&p), 0);
  scan(before);
  afdio_waker_t *w1, *w2;
  cr_assert_eq(afdio_waker_new(p, 1, &w1), 0);
  cr_assert_eq(afdio_waker_new(p, 2, &w2), 0);
  /* An eventfd or a pipe per waker; none with EVFILT_USER. */
  check_new_fds(before);
  cr_assert_eq(afdio_waker_delete(w1), 0);
  cr_assert_eq(afdio_waker_delete(w2), 0);
  assert_same_fds(before);
  /* The poller deletes the wakers left to it, and their descriptors. */
  cr_assert_eq(afdio_waker_new(p, 3, &w1), 0);
  cr_assert_eq(afdio_poller_delete(p), 0);
  assert_same_fds(at_start);
}

Test(unix_cloexec, deleting_a_poller_leaves_registered_sockets_open, T) {
  afdio_poller_t *p;
  cr_assert_eq(afdio_poller_new(&p), 0);
  int fds[2];
  cr_assert_eq(pipe(fds), 0);
  cr_assert_eq(afdio_poller_register(p, fds[0], 1, AFDIO_READABLE), 0);
  cr_assert_eq(afdio_poller_delete(p), 0);
  cr_assert_geq(fcntl(fds[0], F_GETFD), 0, "the registered pipe was closed");
  close(fds[0]);
  close(fds[1]);
}
