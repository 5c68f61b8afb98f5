/*
 * The portable half of the leak tests (tests/unix_fds.c, tests/win_handles.c):
 * cycles that make and drop afdio resources, measured before and after by
 * the platform file's own counters (open descriptors or kernel handles, and
 * heap allocations). Included by exactly one .c file per executable.
 *
 * A leak of one handle or one allocation per cycle shows as a difference
 * of N after N cycles; the tests allow a small constant (lazy one-time
 * set-up inside the system) and nothing that grows with N.
 */
#ifndef AFDIO_TESTS_LEAKS_CORE_H
#define AFDIO_TESTS_LEAKS_CORE_H

#include <criterion/criterion.h>

#include <stdlib.h>

#include "util.h"

/* How many cycles: AFDIO_LEAK_CYCLES, or the given default (CI-sized). */
static long leaks_cycles(long fallback) {
  const char *v = getenv("AFDIO_LEAK_CYCLES");
  long n = v != NULL ? strtol(v, NULL, 10) : 0;
  return n > 0 ? n : fallback;
}

/* One socket: create, register (mode by i), then close it, registered
 * (implicit deregistration) on odd i, deregistered first on even i. */
static void leaks_socket_cycle(afdio_poller_t *p, long i) {
  static const uint32_t modes[] = {AFDIO_EDGE, AFDIO_LEVEL, AFDIO_ONESHOT};
  afdio_socket_t s;
  int rc = util_tcp_socket(&s);
  cr_assert_eq(rc, 0, "cycle %ld: util_tcp_socket: %s", i, afdio_err_name(rc));
  rc = afdio_poller_register(p, s, (uint64_t)i,
                             AFDIO_READABLE | AFDIO_WRITABLE | modes[i % 3]);
  cr_assert_eq(rc, 0, "cycle %ld: register: %s", i, afdio_err_name(rc));
  if (i % 2 == 0)
    cr_assert_eq(afdio_poller_deregister(p, s), 0);
  cr_assert_eq(util_close(s), 0);
  /* A raw close is seen by the next wait (on Windows a register of the
   * reused value before it would get AFDIO_EEXIST: README, "Closing a
   * registered socket"); tidy closes are waited for now and then, as a real
   * loop would. */
  if (i % 2 == 1 || i % 64 == 62) {
    afdio_event_t ev[16];
    cr_assert_geq(afdio_poller_wait(p, ev, 16, 0), 0);
  }
}

/* One plain socket adopted as a stream, listener or datagram socket (by
 * i), registered, released (deregistered, object freed), closed raw. */
static void leaks_adopt_cycle(afdio_poller_t *p, long i) {
  int kind = (int)(i % 3), rc;
  uint16_t port;
  afdio_socket_t s, back = AFDIO_INVALID_SOCKET;
  rc = util_plain_socket(kind == 2 ? UTIL_DGRAM : UTIL_STREAM, &s);
  cr_assert_eq(rc, 0, "cycle %ld: socket: %s", i, afdio_err_name(rc));
  const uint32_t in = AFDIO_READABLE;
  if (kind == 0) {
    afdio_stream_t *st;
    cr_assert_eq(afdio_stream_adopt(&st, s), 0, "cycle %ld", i);
    cr_assert_eq(afdio_stream_register(st, p, (uint64_t)i, in), 0);
    cr_assert_eq(afdio_stream_release(st, &back), 0);
  } else if (kind == 1) {
    afdio_listener_t *l;
    cr_assert_eq(util_plain_listen(s, UTIL_STREAM, &port), 0, "cycle %ld", i);
    cr_assert_eq(afdio_listener_adopt(&l, s), 0, "cycle %ld", i);
    cr_assert_eq(afdio_listener_register(l, p, (uint64_t)i, in), 0);
    cr_assert_eq(afdio_listener_release(l, &back), 0);
  } else {
    afdio_datagram_t *d;
    cr_assert_eq(afdio_datagram_adopt(&d, s), 0, "cycle %ld", i);
    cr_assert_eq(afdio_datagram_register(d, p, (uint64_t)i, in), 0);
    cr_assert_eq(afdio_datagram_release(d, &back), 0);
  }
  cr_assert_eq(back, s);
  cr_assert_eq(util_close(s), 0);
  /* Let the poller collect the cancelled polls, as a real loop would. */
  if (i % 64 == 63) {
    afdio_event_t ev[16];
    cr_assert_geq(afdio_poller_wait(p, ev, 16, 0), 0);
  }
}

/* One poller with polls in flight, a waker with a wake queued, a repeating
 * timer armed, and registered connected sockets, deleted while all of that
 * is pending. */
static void leaks_poller_cycle(afdio_socket_t *socks, int nsocks, long i) {
  afdio_poller_t *p = NULL;
  afdio_waker_t *w = NULL;
  cr_assert_eq(afdio_poller_new(&p), 0, "cycle %ld", i);
  cr_assert_eq(afdio_waker_new(p, 999, &w), 0);
  afdio_timer_t *t = NULL; /* left armed: the poller frees it */
  cr_assert_eq(afdio_timer_new(p, 998, &t), 0);
  cr_assert_eq(afdio_timer_arm(t, i % 2, 1), 0);
  for (int k = 0; k < nsocks; k++)
    cr_assert_eq(afdio_poller_register(p, socks[k], (uint64_t)k,
                                       AFDIO_READABLE | (k % 2 ? AFDIO_LEVEL : 0)),
                 0);
  cr_assert_eq(afdio_waker_wake(w), 0);
  if (i % 2 == 0) {
    afdio_event_t ev[8];
    cr_assert_geq(afdio_poller_wait(p, ev, 8, 0), 0);
  }
  cr_assert_eq(afdio_poller_delete(p), 0);
}

/* One pipe connection: connect, accept (waiting on the listener, which is
 * registered level-triggered on p), register both on even i with a byte
 * in flight, then close both, in either order. A closed Windows pipe with
 * a read in flight is freed when its packet is dequeued: the waits of the
 * following cycles do that, and the caller's final wait. */
static void leaks_pipe_cycle(afdio_poller_t *p, afdio_pipe_listener_t *l,
                             const char *name, long i) {
  afdio_pipe_t *c, *s = NULL;
  afdio_event_t ev[16];
  int rc = afdio_pipe_connect(&c, name, NULL);
  cr_assert_eq(rc, 0, "cycle %ld: connect: %s", i, afdio_err_name(rc));
  for (int k = 0; k < 500 && s == NULL; k++)
    if (afdio_pipe_listener_accept(l, &s) == AFDIO_EAGAIN)
      cr_assert_geq(afdio_poller_wait(p, ev, 16, 10), 0);
  cr_assert_not_null(s, "cycle %ld: nothing to accept", i);
  if (i % 2 == 0) {
    cr_assert_eq(afdio_pipe_register(c, p, 1, AFDIO_READABLE), 0);
    cr_assert_eq(afdio_pipe_register(s, p, 2, AFDIO_READABLE), 0);
    cr_assert_eq(afdio_pipe_write(c, "x", 1), 1);
  }
  cr_assert_eq(afdio_pipe_close(i % 4 < 2 ? c : s), 0);
  cr_assert_eq(afdio_pipe_close(i % 4 < 2 ? s : c), 0);
}

/* A listener on a fresh name, registered level-triggered on p. */
static afdio_pipe_listener_t *leaks_pipe_listener(afdio_poller_t *p,
                                                  char *name, size_t size) {
  afdio_pipe_listener_t *l;
  util_pipe_name(name, size, "leaks");
  cr_assert_eq(afdio_pipe_listener_bind(&l, name, NULL), 0);
  cr_assert_eq(afdio_pipe_listener_register(l, p, 99,
                                            AFDIO_READABLE | AFDIO_LEVEL),
               0);
  return l;
}

/* A poller deleted with pipes bound to it, reads and writes in flight and
 * a connect not yet accepted; the pipes are closed afterwards. */
static void leaks_pipe_poller_cycle(long i) {
  char name[AFDIO_PIPE_NAME_MAX], buf[4096] = {0};
  afdio_poller_t *p = NULL;
  afdio_pipe_t *c, *s = NULL, *late;
  afdio_event_t ev[8];
  cr_assert_eq(afdio_poller_new(&p), 0, "cycle %ld", i);
  afdio_pipe_listener_t *l = leaks_pipe_listener(p, name, sizeof name);
  cr_assert_eq(afdio_pipe_connect(&c, name, NULL), 0);
  for (int k = 0; k < 500 && s == NULL; k++)
    if (afdio_pipe_listener_accept(l, &s) == AFDIO_EAGAIN)
      cr_assert_geq(afdio_poller_wait(p, ev, 8, 10), 0);
  cr_assert_not_null(s);
  cr_assert_eq(afdio_pipe_register(c, p, 1, AFDIO_READABLE), 0);
  cr_assert_eq(afdio_pipe_register(s, p, 2, AFDIO_READABLE), 0);
  for (int k = 0; k < 64 && afdio_pipe_write(c, buf, sizeof buf) > 0; k++) {
  }
  cr_assert_eq(afdio_pipe_connect(&late, name, NULL), 0);
  cr_assert_eq(afdio_poller_delete(p), 0);
  cr_assert_eq(afdio_pipe_close(c), 0);
  cr_assert_eq(afdio_pipe_close(s), 0);
  cr_assert_eq(afdio_pipe_close(late), 0);
  cr_assert_eq(afdio_pipe_listener_close(l), 0);
}

#endif
