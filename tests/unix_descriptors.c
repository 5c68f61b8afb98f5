/* The Unix backends watch any descriptor the kernel can poll (pipes here,
 * the wakers' eventfd or pipe), refuse the ones it cannot (regular files,
 * directories: AFDIO_ENOTSOCK) and closed ones (AFDIO_EBADF). */
#include <criterion/criterion.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define T .timeout = 10, .fini = util_fini

/* A non-blocking pipe: p[0] the read end, p[1] the write end. */
static void make_pipe(int p[2]) {
  cr_assert_eq(pipe(p), 0);
  for (int i = 0; i < 2; i++) {
    int flags = fcntl(p[i], F_GETFL);
    cr_assert_eq(fcntl(p[i], F_SETFL, flags | O_NONBLOCK), 0);
  }
}

Test(unix_descriptors, pipe_read_end_reports_readable_after_a_write, T) {
  afdio_poller_t *p = util_poller();
  int fds[2];
  make_pipe(fds);
  cr_assert_eq(afdio_poller_register(p, fds[0], 7, AFDIO_READABLE), 0);
  util_expect_no_events(p, 50);
  cr_assert_eq(write(fds[1], "x", 1), 1);
  util_expect_event(p, 7, AFDIO_READABLE, 2000);
  close(fds[0]);
  close(fds[1]);
}

Test(unix_descriptors, pipe_write_end_reports_writable, T) {
  afdio_poller_t *p = util_poller();
  int fds[2];
  make_pipe(fds);
  cr_assert_eq(afdio_poller_register(p, fds[1], 8, AFDIO_WRITABLE), 0);
  util_expect_event(p, 8, AFDIO_WRITABLE, 2000);
  close(fds[0]);
  close(fds[1]);
}

Test(unix_descriptors, closing_the_write_end_reports_read_closed_on_the_read_end,
     T) {
  afdio_poller_t *p = util_poller();
  int fds[2];
  make_pipe(fds);
  cr_assert_eq(afdio_poller_register(p, fds[0], 9, AFDIO_READABLE), 0);
  util_expect_no_events(p, 0);
  close(fds[1]);
  util_expect_event(p, 9, AFDIO_READ_CLOSED, 2000);
  close(fds[0]);
}

Test(unix_descriptors, a_regular_file_gives_enotsock, T) {
  afdio_poller_t *p = util_poller();
  char path[] = "/tmp/afdio-unix-XXXXXX";
  int fd = mkstemp(path);
  cr_assert_geq(fd, 0);
  unlink(path);
  int rc = afdio_poller_register(p, fd, 1, AFDIO_READABLE);
  cr_assert_eq(rc, AFDIO_ENOTSOCK, "register: %s", afdio_err_name(rc));
  rc = afdio_poller_rearm(p, fd, AFDIO_READABLE);
  cr_assert_eq(rc, AFDIO_ENOENT, "rearm: %s", afdio_err_name(rc));
  close(fd);
}

Test(unix_descriptors, a_directory_gives_enotsock, T) {
  afdio_poller_t *p = util_poller();
  int fd = open("/", O_RDONLY);
  cr_assert_geq(fd, 0);
  int rc = afdio_poller_register(p, fd, 1, AFDIO_READABLE);
  cr_assert_eq(rc, AFDIO_ENOTSOCK, "register: %s", afdio_err_name(rc));
  close(fd);
}

Test(unix_descriptors, a_closed_descriptor_gives_ebadf, T) {
  afdio_poller_t *p = util_poller();
  int fds[2];
  make_pipe(fds);
  close(fds[0]);
  close(fds[1]);
  int rc = afdio_poller_register(p, fds[0], 1, AFDIO_READABLE);
  cr_assert_eq(rc, AFDIO_EBADF, "register: %s", afdio_err_name(rc));
  /* Registering a closed descriptor is a bad descriptor; asking about its
   * registration is "not registered", as on every backend. */
  rc = afdio_poller_reregister(p, fds[0], 1, AFDIO_READABLE);
  cr_assert_eq(rc, AFDIO_ENOENT, "reregister: %s", afdio_err_name(rc));
  rc = afdio_poller_deregister(p, fds[0]);
  cr_assert_eq(rc, AFDIO_ENOENT, "deregister: %s", afdio_err_name(rc));
}

Test(unix_descriptors, a_closed_registered_pipe_number_can_be_registered_again,
     T) {
  afdio_poller_t *p = util_poller();
  int a[2], b[2];
  make_pipe(a);
  cr_assert_eq(afdio_poller_register(p, a[0], 1, AFDIO_READABLE), 0);
  close(a[0]);
  close(a[1]);
  make_pipe(b); /* the lowest free numbers: the same two */
  cr_assert_eq(b[0], a[0], "the descriptor number was not reused");
  int rc = afdio_poller_register(p, b[0], 2, AFDIO_READABLE);
  cr_assert_eq(rc, 0, "register the reused number: %s", afdio_err_name(rc));
  cr_assert_eq(write(b[1], "x", 1), 1);
  util_expect_event(p, 2, AFDIO_READABLE, 2000);
  util_expect_no_event_for(p, 1, 50);
  close(b[0]);
  close(b[1]);
}

Test(unix_descriptors, level_pipe_reports_until_drained_edge_only_once, T) {
  afdio_poller_t *p = util_poller();
  int lv[2], ed[2];
  make_pipe(lv);
  make_pipe(ed);
  cr_assert_eq(afdio_poller_register(p, lv[0], 1, AFDIO_READABLE | AFDIO_LEVEL),
               0);
  cr_assert_eq(afdio_poller_register(p, ed[0], 2, AFDIO_READABLE), 0);
  cr_assert_eq(write(lv[1], "x", 1), 1);
  cr_assert_eq(write(ed[1], "x", 1), 1);
  cr_assert_eq(util_count_events_for(p, 2, 200, NULL), 1);
  util_expect_event(p, 1, AFDIO_READABLE, 2000);
  util_expect_event(p, 1, AFDIO_READABLE, 2000);
  char c;
  cr_assert_eq(read(lv[0], &c, 1), 1);
  util_expect_no_event_for(p, 1, 50);
  for (int i = 0; i < 2; i++) {
    close(lv[i]);
    close(ed[i]);
  }
}

Test(unix_descriptors, a_large_wait_never_reports_a_descriptor_twice, T) {
  /* More ready level registrations than one kernel batch of the kqueue
   * backend (128) and a larger capacity: epoll returns them all in one call;
   * no backend may report one twice in a wait (a second kernel call in the
   * same wait would report every level registration again). */
  enum { N = 200 };
  afdio_poller_t *p = util_poller();
  static int fds[N][2];
  for (int i = 0; i < N; i++) {
    make_pipe(fds[i]);
    cr_assert_eq(afdio_poller_register(p, fds[i][0], (uint64_t)i,
                                       AFDIO_READABLE | AFDIO_LEVEL), 0);
    cr_assert_eq(write(fds[i][1], "x", 1), 1);
  }
  static afdio_event_t ev[N + 50];
  static int seen_ever[N];
  int distinct = 0;
  for (int round = 0; round < 10 && distinct < N; round++) {
    int n = afdio_poller_wait(p, ev, N + 50, 2000);
    cr_assert_gt(n, 0, "wait: %d", n);
    cr_assert_leq(n, N, "one wait returned %d events for %d pipes", n, N);
    int seen[N] = {0};
    for (int i = 0; i < n; i++) {
      cr_assert_lt(ev[i].token, (uint64_t)N);
      cr_assert_eq(seen[ev[i].token]++, 0, "token %llu twice in one wait",
                   (unsigned long long)ev[i].token);
      distinct += seen_ever[ev[i].token]++ == 0;
    }
  }
  cr_assert_eq(distinct, N);
  for (int i = 0; i < N; i++) {
    close(fds[i][0]);
    close(fds[i][1]);
  }
}

/* Closed while registered, without deregistering: "not registered" for
 * reregister, deregister and rearm, as after a deregister (issue 16, item
 * 4); on the AFD backend this raw close is README's documented window. */
Test(unix_descriptors, a_descriptor_closed_while_registered_is_not_registered,
     T) {
  afdio_poller_t *p = util_poller();
  afdio_socket_t a, b;
  cr_assert_eq(util_tcp_pair(&a, &b), 0);
  cr_assert_eq(afdio_poller_register(p, a, 1, AFDIO_READABLE), 0);
  cr_assert_eq(util_close(a), 0);
  int rc = afdio_poller_reregister(p, a, 1, AFDIO_READABLE);
  cr_assert_eq(rc, AFDIO_ENOENT, "reregister: %s", afdio_err_name(rc));
  rc = afdio_poller_deregister(p, a);
  cr_assert_eq(rc, AFDIO_ENOENT, "deregister: %s", afdio_err_name(rc));
  rc = afdio_poller_rearm(p, a, AFDIO_READABLE);
  cr_assert_eq(rc, AFDIO_ENOENT, "rearm: %s", afdio_err_name(rc));
}

/* Issue 16, item 3: closing a registered descriptor while the socket stays
 * open through another descriptor (dup(), a forked child, SCM_RIGHTS).
 * epoll registers the open file, not the number: the registration lives on,
 * its token keeps being reported (here, level: on every wait), and afdio
 * can no longer remove it, since deregister needs the number, now closed
 * (AFDIO_ENOENT). It ends when the last descriptor of the socket is closed
 * (or the poller is deleted). kqueue drops knotes by number at close
 * (FreeBSD kern_descrip.c closefp -> knote_fdclose), so there it is exact.
 * README: "Closing a registered socket". */
Test(unix_descriptors, closing_a_duplicated_registered_socket, T) {
  afdio_poller_t *p = util_poller();
  afdio_socket_t a, b, d;
  cr_assert_eq(util_tcp_pair(&a, &b), 0);
  cr_assert_eq(util_dup(a, &d), 0);
  cr_assert_eq(afdio_poller_register(p, a, 1, AFDIO_READABLE | AFDIO_LEVEL), 0);
  cr_assert_eq(util_close(a), 0);
  util_send_all(b, 1);
  cr_assert_eq(util_wait_readable(d, 2000), 1);
  int rc = afdio_poller_deregister(p, a);
  cr_assert_eq(rc, AFDIO_ENOENT, "deregister: %s", afdio_err_name(rc));
  int n = util_count_events_for(p, 1, 100, NULL);
  if (strcmp(afdio_backend(), "epoll") == 0)
    cr_assert_gt(n, 1, "epoll: the registration of the open file lives on");
  else
    cr_assert_eq(n, 0, "%d events after close on %s", n, afdio_backend());
  cr_assert_eq(util_close(d), 0);
  util_expect_no_event_for(p, 1, 100);
}
