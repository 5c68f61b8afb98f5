/* Wakers and cross-thread use: changes made on one thread take effect in a
 * wait blocked on another, wakes are coalesced, and with several waiting
 * threads each oneshot event goes to exactly one of them. Worker threads
 * never assert: they record, and the test thread checks after joining. */
#include <criterion/criterion.h>

#include <string.h>

#include "util.h"

#define T .timeout = 15, .fini = util_fini

static void pair(afdio_socket_t *a, afdio_socket_t *b) {
  int rc = util_tcp_pair(a, b);
  cr_assert_eq(rc, 0, "util_tcp_pair: %s", afdio_err_name(rc));
}

static afdio_waker_t *waker(afdio_poller_t *p, uint64_t token) {
  afdio_waker_t *w = NULL;
  int rc = afdio_waker_new(p, token, &w);
  cr_assert_eq(rc, 0, "afdio_waker_new: %s", afdio_err_name(rc));
  cr_assert_not_null(w);
  return w;
}

static util_thread_t *start(void (*fn)(void *), void *arg) {
  util_thread_t *t = NULL;
  int rc = util_thread_start(&t, fn, arg);
  cr_assert_eq(rc, 0, "util_thread_start: %s", afdio_err_name(rc));
  return t;
}

/* ------------------------------------------------------------------------ */
/* Wakers                                                                    */

Test(poller_threads, one_wake_gives_one_event_with_its_token, T) {
  afdio_poller_t *p = util_poller();
  afdio_waker_t *w = waker(p, 42);
  cr_assert_eq(afdio_waker_wake(w), 0);
  afdio_event_t ev[4];
  int n = afdio_poller_wait(p, ev, 4, 2000);
  cr_assert_eq(n, 1, "wait returned %d", n);
  cr_assert_eq(ev[0].token, (uint64_t)42);
  cr_assert_eq(ev[0].events, AFDIO_READABLE, "events 0x%x", ev[0].events);
  util_expect_no_events(p, 50);
  /* And again: a waker is reusable. */
  cr_assert_eq(afdio_waker_wake(w), 0);
  util_expect_event(p, 42, AFDIO_READABLE, 2000);
  util_expect_no_events(p, 50);
}

Test(poller_threads, many_wakes_before_a_wait_give_exactly_one_event, T) {
  afdio_poller_t *p = util_poller();
  afdio_waker_t *w = waker(p, 7);
  for (int i = 0; i < 1000; i++)
    cr_assert_eq(afdio_waker_wake(w), 0, "wake %d", i);
  int n = util_count_events_for(p, 7, 100, NULL);
  cr_assert_eq(n, 1, "1000 wakes gave %d events", n);
}

Test(poller_threads, two_wakers_report_their_own_tokens, T) {
  afdio_poller_t *p = util_poller();
  afdio_waker_t *w1 = waker(p, 1), *w2 = waker(p, 2);
  cr_assert_eq(afdio_waker_wake(w2), 0);
  util_expect_event(p, 2, AFDIO_READABLE, 2000);
  util_expect_no_events(p, 50);
  cr_assert_eq(afdio_waker_wake(w1), 0);
  cr_assert_eq(afdio_waker_wake(w2), 0);
  afdio_event_t ev[4];
  int got1 = 0, got2 = 0;
  double deadline = util_now_ms() + 2000;
  while (!(got1 && got2) && util_now_ms() < deadline) {
    int n = afdio_poller_wait(p, ev, 4, 500);
    cr_assert_geq(n, 0);
    for (int i = 0; i < n; i++) {
      got1 += ev[i].token == 1;
      got2 += ev[i].token == 2;
    }
  }
  cr_assert_eq(got1, 1);
  cr_assert_eq(got2, 1);
}

Test(poller_threads, a_deleted_waker_reports_nothing, T) {
  afdio_poller_t *p = util_poller();
  afdio_waker_t *w = waker(p, 5);
  cr_assert_eq(afdio_waker_wake(w), 0);
  cr_assert_eq(afdio_waker_delete(w), 0);
  util_expect_no_events(p, 100);
  /* A new waker on the same poller works. */
  w = waker(p, 6);
  cr_assert_eq(afdio_waker_wake(w), 0);
  util_expect_event(p, 6, AFDIO_READABLE, 2000);
}

Test(poller_threads, deleting_the_poller_deletes_its_wakers, T) {
  afdio_poller_t *p = util_poller();
  waker(p, 1);
  afdio_waker_t *w = waker(p, 2);
  cr_assert_eq(afdio_waker_wake(w), 0);
  cr_assert_eq(util_poller_delete(p), 0);
}

struct wake_storm {
  afdio_waker_t *waker;
  util_atomic_t failures;
};

static void wake_storm_thread(void *arg) {
  struct wake_storm *s = arg;
  for (int i = 0; i < 200; i++)
    if (afdio_waker_wake(s->waker) != 0)
      util_atomic_add(&s->failures, 1);
}

Test(poller_threads, wakes_from_many_threads_coalesce_into_one_event, T) {
  enum { THREADS = 8 };
  afdio_poller_t *p = util_poller();
  struct wake_storm s = {.waker = waker(p, 9)};
  util_thread_t *t[THREADS];
  for (int i = 0; i < THREADS; i++)
    t[i] = start(wake_storm_thread, &s);
  for (int i = 0; i < THREADS; i++)
    cr_assert_eq(util_thread_join(t[i]), 0);
  cr_assert_eq(util_atomic_load(&s.failures), 0L);
  int n = util_count_events_for(p, 9, 100, NULL);
  cr_assert_eq(n, 1, "%d wakes before the wait gave %d events", THREADS * 200,
               n);
}

Test(poller_threads, wakes_racing_a_waiting_thread_are_never_lost, T) {
  enum { THREADS = 4 };
  afdio_poller_t *p = util_poller();
  struct wake_storm s = {.waker = waker(p, 9)};
  util_thread_t *t[THREADS];
  for (int i = 0; i < THREADS; i++)
    t[i] = start(wake_storm_thread, &s);
  /* Waits race the wakes; at least one event, and no error. */
  int events = 0;
  for (int round = 0; round < 50; round++) {
    afdio_event_t ev[4];
    int n = afdio_poller_wait(p, ev, 4, 5);
    cr_expect_geq(n, 0, "wait: %s", afdio_err_name(n));
    for (int i = 0; i < n; i++)
      events += ev[i].token == 9;
  }
  for (int i = 0; i < THREADS; i++)
    cr_assert_eq(util_thread_join(t[i]), 0);
  cr_assert_eq(util_atomic_load(&s.failures), 0L);
  /* After the last wake, one more wake is always reported. */
  cr_assert_eq(afdio_waker_wake(s.waker), 0);
  util_expect_event(p, 9, AFDIO_READABLE, 2000);
  cr_log_info("%d wake events during the race", events);
}

/* ------------------------------------------------------------------------ */
/* A wait blocked in one thread, a change made in another                    */

/* Starts a wait on p in another thread (util_blocked_wait_start). */
static util_thread_t *start_blocked_wait(util_blocked_wait_t *b,
                                         afdio_poller_t *p) {
  util_thread_t *t = util_blocked_wait_start(b, p);
  cr_assert_not_null(t, "util_blocked_wait_start");
  return t;
}

Test(poller_threads, a_wait_blocked_in_another_thread_returns_promptly_on_wake,
     T) {
  afdio_poller_t *p = util_poller();
  afdio_waker_t *w = waker(p, 3);
  util_blocked_wait_t b = {.result = -100};
  util_thread_t *t = start_blocked_wait(&b, p);
  double t0 = util_now_ms();
  int woke = afdio_waker_wake(w);
  cr_assert_eq(util_thread_join(t), 0);
  double after_wake = util_now_ms() - t0;
  cr_assert_eq(woke, 0);
  cr_assert_eq(b.result, 1, "blocked wait returned %d", b.result);
  cr_assert_eq(b.ev[0].token, (uint64_t)3);
  cr_assert_lt(after_wake, 1000.0, "wait returned %.1f ms after the wake",
               after_wake);
}

Test(poller_threads, negative_and_huge_timeouts_block_until_woken, T) {
  /* -1 waits forever; the others are finite but must not be clamped to
   * INFINITE's neighbours or truncated to 32 bits (2^32 would become 0). */
  static const int64_t timeouts[] = {-1, INT64_MAX, 4294967296ll, 4294967295ll,
                                     2147483648ll};
  afdio_poller_t *p = util_poller();
  afdio_waker_t *w = waker(p, 4);
  for (size_t i = 0; i < sizeof timeouts / sizeof timeouts[0]; i++) {
    util_blocked_wait_t b = {.result = -100, .timeout_ms = timeouts[i]};
    util_thread_t *t = start_blocked_wait(&b, p);
    long early = util_atomic_load(&b.done);
    int woke = afdio_waker_wake(w);
    cr_assert_eq(util_thread_join(t), 0);
    cr_assert_eq(early, 0L, "timeout %lld: the wait returned %d after %.1f ms",
                 (long long)timeouts[i], b.result, b.took_ms);
    cr_assert_eq(woke, 0);
    cr_assert_eq(b.result, 1, "timeout %lld: wait returned %d",
                 (long long)timeouts[i], b.result);
    cr_assert_eq(b.ev[0].token, (uint64_t)4);
  }
}

Test(poller_threads, register_from_another_thread_reaches_a_blocked_wait, T) {
  afdio_poller_t *p = util_poller();
  afdio_socket_t a, b;
  pair(&a, &b);
  util_send_all(b, 1);
  cr_assert_eq(util_wait_readable(a, 2000), 1);
  util_blocked_wait_t bw = {.result = -100};
  util_thread_t *t = start_blocked_wait(&bw, p);
  double t0 = util_now_ms();
  int rc = afdio_poller_register(p, a, 11, AFDIO_READABLE);
  cr_assert_eq(util_thread_join(t), 0);
  double took = util_now_ms() - t0;
  cr_assert_eq(rc, 0, "register: %s", afdio_err_name(rc));
  cr_assert_eq(bw.result, 1, "blocked wait returned %d", bw.result);
  cr_assert_eq(bw.ev[0].token, (uint64_t)11);
  cr_assert_neq(bw.ev[0].events & AFDIO_READABLE, 0u);
  cr_assert_lt(took, 2000.0, "the event came %.1f ms after register", took);
}

Test(poller_threads, reregister_from_another_thread_reaches_a_blocked_wait, T) {
  afdio_poller_t *p = util_poller();
  afdio_socket_t a, b;
  pair(&a, &b);
  util_send_all(b, 1);
  cr_assert_eq(util_wait_readable(a, 2000), 1);
  /* Readable, but the interest is PRIORITY only: nothing to report. */
  cr_assert_eq(afdio_poller_register(p, a, 1, AFDIO_PRIORITY), 0);
  util_expect_no_events(p, 0);
  util_blocked_wait_t bw = {.result = -100};
  util_thread_t *t = start_blocked_wait(&bw, p);
  double t0 = util_now_ms();
  int rc = afdio_poller_reregister(p, a, 12, AFDIO_READABLE);
  cr_assert_eq(util_thread_join(t), 0);
  double took = util_now_ms() - t0;
  cr_assert_eq(rc, 0, "reregister: %s", afdio_err_name(rc));
  cr_assert_eq(bw.result, 1, "blocked wait returned %d", bw.result);
  cr_assert_eq(bw.ev[0].token, (uint64_t)12);
  cr_assert_lt(took, 2000.0, "the event came %.1f ms after reregister", took);
}

/* Edge mode with raw I/O: after a drain, the rearm made on would-block
 * reaches a wait already blocked in another thread (on poll(2) and AFD the
 * rearm is what lets the next readiness through; epoll and kqueue see the
 * new data's edge by themselves). */
Test(poller_threads, rearm_from_another_thread_reaches_a_blocked_wait, T) {
  afdio_poller_t *p = util_poller();
  afdio_socket_t a, b;
  pair(&a, &b);
  util_send_all(b, 1);
  cr_assert_eq(afdio_poller_register(p, a, 13, AFDIO_READABLE), 0);
  util_expect_event(p, 13, AFDIO_READABLE, 2000);
  int eof = 0;
  cr_assert_eq(util_drain(a, &eof), 1);
  util_blocked_wait_t bw = {.result = -100};
  util_thread_t *t = start_blocked_wait(&bw, p);
  double t0 = util_now_ms();
  util_send_all(b, 1);
  int readable = util_wait_readable(a, 2000);
  int rc = afdio_poller_rearm(p, a, AFDIO_READABLE);
  cr_assert_eq(util_thread_join(t), 0);
  double took = util_now_ms() - t0;
  cr_assert_eq(readable, 1);
  cr_assert_eq(rc, 0, "rearm: %s", afdio_err_name(rc));
  cr_assert_eq(bw.result, 1, "blocked wait returned %d", bw.result);
  cr_assert_eq(bw.ev[0].token, (uint64_t)13);
  cr_assert_lt(took, 2000.0, "the event came %.1f ms after rearm", took);
}

Test(poller_threads, deregister_from_another_thread_silences_a_blocked_wait,
     T) {
  afdio_poller_t *p = util_poller();
  afdio_waker_t *w = waker(p, 99);
  afdio_socket_t a, b;
  pair(&a, &b);
  cr_assert_eq(afdio_poller_register(p, a, 1, AFDIO_READABLE), 0);
  util_expect_no_events(p, 0);
  util_blocked_wait_t bw = {.result = -100};
  util_thread_t *t = start_blocked_wait(&bw, p);
  /* No fatal assertion until the thread is joined. */
  double t0 = util_now_ms();
  int rc = afdio_poller_deregister(p, a);
  long sent = util_send(b, "x", 1);
  int readable = util_wait_readable(a, 2000);
  int woke = afdio_waker_wake(w);
  cr_assert_eq(util_thread_join(t), 0);
  double took = util_now_ms() - t0;
  cr_assert_eq(rc, 0, "deregister: %s", afdio_err_name(rc));
  cr_assert_eq(sent, 1L);
  cr_assert_eq(readable, 1);
  cr_assert_eq(woke, 0);
  cr_assert_geq(bw.result, 1, "blocked wait returned %d", bw.result);
  for (int i = 0; i < bw.result; i++)
    cr_assert_eq(bw.ev[i].token, (uint64_t)99,
                 "event %d for token %llu after deregister", i,
                 (unsigned long long)bw.ev[i].token);
  cr_assert_lt(took, 2000.0, "the wake came %.1f ms late", took);
  util_expect_no_events(p, 50);
}

/* ------------------------------------------------------------------------ */
/* Several threads waiting on one poller                                     */

enum { SHARED_SOCKETS = 32, SHARED_THREADS = 4 };

struct shared_wait {
  afdio_poller_t *poller;
  util_atomic_t stop;
  util_atomic_t errors;
  util_atomic_t total;
  util_atomic_t count[SHARED_SOCKETS];
  util_atomic_t unknown;
};

static void shared_wait_thread(void *arg) {
  struct shared_wait *s = arg;
  afdio_event_t ev[4];
  for (int round = 0; round < 10000 && !util_atomic_load(&s->stop); round++) {
    int n = afdio_poller_wait(s->poller, ev, 4, 20);
    if (n < 0)
      util_atomic_add(&s->errors, 1);
    for (int i = 0; i < n; i++) {
      if (ev[i].token < SHARED_SOCKETS) {
        util_atomic_add(&s->count[ev[i].token], 1);
        util_atomic_add(&s->total, 1);
      } else {
        util_atomic_add(&s->unknown, 1);
      }
    }
  }
}

/* Lets the waiting threads collect every event (3 s at most), keeps them
 * waiting 100 ms more so that a duplicate would show, stops and joins them,
 * then checks each socket was reported exactly once, under a known token. */
static void finish_shared_waits(struct shared_wait *s, util_thread_t **t) {
  double deadline = util_now_ms() + 3000;
  while (util_atomic_load(&s->total) < SHARED_SOCKETS &&
         util_now_ms() < deadline)
    util_sleep_ms(5);
  util_sleep_ms(100);
  util_atomic_store(&s->stop, 1);
  for (int i = 0; i < SHARED_THREADS; i++)
    cr_assert_eq(util_thread_join(t[i]), 0);
  cr_assert_eq(util_atomic_load(&s->errors), 0L);
  cr_assert_eq(util_atomic_load(&s->unknown), 0L);
  for (int i = 0; i < SHARED_SOCKETS; i++)
    cr_expect_eq(util_atomic_load(&s->count[i]), 1L,
                 "socket %d was reported %ld times", i,
                 util_atomic_load(&s->count[i]));
}

Test(poller_threads, each_oneshot_event_goes_to_exactly_one_waiting_thread, T) {
  afdio_poller_t *p = util_poller();
  static struct shared_wait s;
  memset(&s, 0, sizeof s);
  s.poller = p;
  afdio_socket_t a[SHARED_SOCKETS], b[SHARED_SOCKETS];
  for (int i = 0; i < SHARED_SOCKETS; i++) {
    pair(&a[i], &b[i]);
    cr_assert_eq(afdio_poller_register(p, a[i], (uint64_t)i,
                                       AFDIO_READABLE | AFDIO_ONESHOT),
                 0);
  }
  util_thread_t *t[SHARED_THREADS];
  for (int i = 0; i < SHARED_THREADS; i++)
    t[i] = start(shared_wait_thread, &s);
  /* No fatal assertion until the threads are joined. */
  int failed = 0;
  for (int i = 0; i < SHARED_SOCKETS; i++)
    failed += util_send(b[i], "x", 1) != 1;
  finish_shared_waits(&s, t);
  cr_assert_eq(failed, 0, "%d sends failed", failed);
}

Test(poller_threads, concurrent_registers_and_waits_lose_nothing, T) {
  /* Registration from the test thread while four threads wait: every
   * oneshot event arrives exactly once. */
  afdio_poller_t *p = util_poller();
  static struct shared_wait s;
  memset(&s, 0, sizeof s);
  s.poller = p;
  afdio_socket_t a[SHARED_SOCKETS], b[SHARED_SOCKETS];
  for (int i = 0; i < SHARED_SOCKETS; i++) {
    pair(&a[i], &b[i]);
    util_send_all(b[i], 1);
  }
  util_thread_t *t[SHARED_THREADS];
  for (int i = 0; i < SHARED_THREADS; i++)
    t[i] = start(shared_wait_thread, &s);
  int failed = 0;
  for (int i = 0; i < SHARED_SOCKETS; i++)
    failed += afdio_poller_register(p, a[i], (uint64_t)i,
                                    AFDIO_READABLE | AFDIO_ONESHOT) != 0;
  finish_shared_waits(&s, t);
  cr_assert_eq(failed, 0, "%d registers failed", failed);
}

/* ------------------------------------------------------------------------ */
/* Deleting a poller while other threads wait on it                          */

/* Servers delete the poller at shutdown while worker threads are blocked
 * in afdio_poller_wait(), as wepoll allows for epoll_close(). Each blocked
 * wait returns AFDIO_ECANCELED (no event, never a stale one), and delete
 * frees the poller only after the last one has left, which ASan and TSan
 * check (make check-asan, make check-tsan). */
Test(poller_threads, deleting_the_poller_ends_blocked_waits_with_ecanceled, T) {
  enum { WAITERS = 3 };
  afdio_poller_t *p = util_poller();
  afdio_socket_t a, b;
  pair(&a, &b);
  /* A registration that could fire, but does not before the delete. */
  cr_assert_eq(afdio_poller_register(p, a, 1, AFDIO_READABLE | AFDIO_LEVEL), 0);
  util_blocked_wait_t bw[WAITERS];
  util_thread_t *t[WAITERS];
  for (int i = 0; i < WAITERS; i++) {
    memset(&bw[i], 0, sizeof bw[i]);
    bw[i].result = -100;
    bw[i].timeout_ms = -1; /* only the delete can end these waits */
    t[i] = start_blocked_wait(&bw[i], p);
  }
  /* A wait that had not yet begun when delete returned would be the
   * caller's error (as a call after free): give the threads time to be
   * inside the wait, beyond the 50 ms each start already waited. */
  util_sleep_ms(100);
  double t0 = util_now_ms();
  int rc = util_poller_delete(p);
  double took = util_now_ms() - t0;
  for (int i = 0; i < WAITERS; i++)
    cr_assert_eq(util_thread_join(t[i]), 0);
  cr_assert_eq(rc, 0, "delete: %s", afdio_err_name(rc));
  for (int i = 0; i < WAITERS; i++)
    cr_assert_eq(bw[i].result, AFDIO_ECANCELED, "waiter %d returned %s", i,
                 afdio_err_name(bw[i].result));
  cr_assert_lt(took, 2000.0, "delete took %.1f ms", took);
}
