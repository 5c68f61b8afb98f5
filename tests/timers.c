/* Timers on the poller: never early, never lost, reported earliest first
 * (100,000 random deadlines), repeats without drift, disarm that holds
 * against a timer firing on another thread, cross-thread arming that wakes
 * a blocked wait, timers mixed with socket events, and the arguments. */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "afdio.h"
#include "util.h"

#define T .timeout = 60, .fini = fini

static afdio_timer_t *timers[8];

static void fini(void) {
  for (size_t i = 0; i < 8; i++)
    if (timers[i] != NULL)
      afdio_timer_delete(timers[i]);
  memset(timers, 0, sizeof timers);
  util_fini();
}

static afdio_timer_t *timer(afdio_poller_t *p, uint64_t token) {
  afdio_timer_t *t = NULL;
  cr_assert_eq(afdio_timer_new(p, token, &t), 0);
  for (size_t i = 0; i < 8; i++)
    if (timers[i] == NULL)
      return timers[i] = t;
  cr_assert_fail("timer table full");
  return t;
}

/* One wait of up to ms; returns the number of events for token. */
static int wait_for(afdio_poller_t *p, uint64_t token, int64_t ms) {
  afdio_event_t ev[8];
  int n = afdio_poller_wait(p, ev, 8, ms), hits = 0;
  cr_assert_geq(n, 0, "wait: %s", afdio_err_name(n));
  for (int i = 0; i < n; i++)
    if (ev[i].token == token) {
      cr_assert_eq(ev[i].events, AFDIO_READABLE);
      hits++;
    }
  return hits;
}

Test(timers, a_timer_fires_once_not_before_its_deadline, T) {
  afdio_poller_t *p = util_poller();
  afdio_timer_t *t = timer(p, 7);
  int64_t start = afdio_clock_ms();
  cr_assert_eq(afdio_timer_arm(t, 40, 0), 0);
  /* The caller's 5 s bound is cut to the timer's 40 ms. */
  cr_assert_eq(wait_for(p, 7, 5000), 1);
  int64_t took = afdio_clock_ms() - start;
  cr_assert_geq(took, 40, "fired after %lld ms", (long long)took);
  cr_assert_lt(took, 2000, "fired after %lld ms", (long long)took);
  util_expect_no_event_for(p, 7, 60);
  cr_assert_eq(afdio_timer_disarm(t), 0, "a fired one-shot is disarmed");
}

Test(timers, a_shorter_caller_timeout_still_returns_first, T) {
  afdio_poller_t *p = util_poller();
  afdio_timer_t *t = timer(p, 7);
  cr_assert_eq(afdio_timer_arm(t, 300, 0), 0);
  double start = util_now_ms();
  cr_assert_eq(afdio_poller_wait(p, (afdio_event_t[1]){{0}}, 1, 20), 0);
  cr_assert_geq(util_now_ms() - start, 20.0);
  cr_assert_eq(wait_for(p, 7, 5000), 1);
}

Test(timers, an_absolute_deadline_fires_once_the_clock_reaches_it, T) {
  afdio_poller_t *p = util_poller();
  afdio_timer_t *t = timer(p, 9), *past = timer(p, 10);
  int64_t at = afdio_clock_ms() + 30;
  cr_assert_eq(afdio_timer_arm_at(t, at, 0), 0);
  cr_assert_eq(afdio_timer_arm_at(past, 0, 0), 0);
  /* A deadline already past expires at the next wait, without blocking. */
  cr_assert_eq(wait_for(p, 10, 0), 1);
  cr_assert_eq(wait_for(p, 9, 5000), 1);
  cr_assert_geq(afdio_clock_ms(), at);
}

Test(timers, disarm_and_rearm_replace_the_deadline, T) {
  afdio_poller_t *p = util_poller();
  afdio_timer_t *t = timer(p, 3);
  cr_assert_eq(afdio_timer_arm(t, 20, 0), 0);
  cr_assert_eq(afdio_timer_disarm(t), 1);
  cr_assert_eq(afdio_timer_disarm(t), 0);
  util_expect_no_event_for(p, 3, 80);
  cr_assert_eq(afdio_timer_arm(t, 1000000, 0), 0);
  cr_assert_eq(afdio_timer_arm(t, 10, 0), 0); /* earlier: replaces */
  cr_assert_eq(wait_for(p, 3, 5000), 1);
  util_expect_no_event_for(p, 3, 50);
}

/* A late loop gets one event for the periods it missed, and the next
 * deadline stays on the first deadline's grid: first + k * period, not
 * "now + period" (which would drift by each wait's lateness). */
Test(timers, a_repeating_timer_stays_on_its_grid_when_the_loop_is_late, T) {
  afdio_poller_t *p = util_poller();
  afdio_timer_t *t = timer(p, 5);
  int64_t t0 = afdio_clock_ms();
  cr_assert_eq(afdio_timer_arm_at(t, t0 + 100, 100), 0);
  cr_assert_eq(wait_for(p, 5, 5000), 1);
  util_sleep_ms(250); /* busy elsewhere: periods at 200 and 300 pass */
  int64_t late = afdio_clock_ms();
  cr_assert_eq(wait_for(p, 5, 0), 1, "the missed periods are one event");
  cr_assert_eq(wait_for(p, 5, 0), 0);
  cr_assert_eq(wait_for(p, 5, 5000), 1);
  int64_t next = afdio_clock_ms();
  cr_assert_geq(next, t0 + 400, "early: %lld ms", (long long)(next - t0));
  /* The grid says 400; "late + period" would say >= 450. */
  cr_assert_lt(next, late + 100,
               "off the grid: %lld ms after the late wait "
               "at %lld ms",
               (long long)(next - t0), (long long)(late - t0));
  cr_assert_eq(afdio_timer_disarm(t), 1, "a repeating timer stays armed");
}

Test(timers, repeats_keep_their_count_over_many_periods, T) {
  afdio_poller_t *p = util_poller();
  afdio_timer_t *t = timer(p, 5);
  int64_t t0 = afdio_clock_ms();
  cr_assert_eq(afdio_timer_arm_at(t, t0 + 20, 20), 0);
  int got = 0;
  for (int i = 0; i < 200 && got < 15; i++)
    got += wait_for(p, 5, 1000);
  int64_t end = afdio_clock_ms();
  cr_assert_eq(got, 15);
  /* Event k comes at or after t0 + 20 k; with coalescing under load the
   * count can only fall behind the grid, never run ahead of it. */
  cr_assert_geq(end, t0 + 20 * 15);
}

/* 100,000 timers with random deadlines in the next 300 ms: each reported
 * exactly once, none before its deadline, earliest deadline first. */
Test(timers,
     a_hundred_thousand_random_timers_fire_in_order_none_early_none_lost,
     .timeout = 120, .fini = fini) {
  enum { N = 100000 };
  afdio_poller_t *p = util_poller();
  afdio_timer_t **all = calloc(N, sizeof *all);
  int64_t *at = calloc(N, sizeof *at);
  unsigned char *seen = calloc(N, 1);
  cr_assert(all != NULL && at != NULL && seen != NULL);
  unsigned seed = 12345;
  int64_t base = afdio_clock_ms();
  for (int i = 0; i < N; i++) {
    seed = seed * 1103515245u + 12345u;
    at[i] = base + 20 + (int64_t)((seed >> 8) % 300);
    cr_assert_eq(afdio_timer_new(p, (uint64_t)i, &all[i]), 0);
    cr_assert_eq(afdio_timer_arm_at(all[i], at[i], 0), 0);
  }
  afdio_event_t ev[256];
  int64_t prev = 0;
  int fired = 0, early = 0, out_of_order = 0;
  for (int round = 0; round < 100000 && fired < N; round++) {
    int n = afdio_poller_wait(p, ev, 256, 2000);
    cr_assert_gt(n, 0, "wait: %s after %d timers", afdio_err_name(n), fired);
    int64_t now = afdio_clock_ms();
    for (int k = 0; k < n; k++) {
      uint64_t i = ev[k].token;
      cr_assert_lt(i, (uint64_t)N);
      cr_assert_eq(seen[i], 0, "timer %llu reported twice",
                   (unsigned long long)i);
      seen[i] = 1;
      early += now < at[i];
      out_of_order += at[i] < prev;
      prev = at[i];
      fired++;
    }
  }
  cr_log_info("%d timers fired over %lld ms", fired,
              (long long)(afdio_clock_ms() - base));
  cr_expect_eq(fired, N);
  cr_expect_eq(early, 0, "%d timers fired early", early);
  cr_expect_eq(out_of_order, 0, "%d timers came after a later one",
               out_of_order);
  for (int i = 0; i < N; i++)
    afdio_timer_delete(all[i]);
  free(all);
  free(at);
  free(seen);
}

/* ------------------------------------------------------------------------ */
/* Threads                                                                   */

Test(timers, arming_from_another_thread_wakes_a_blocked_wait, T) {
  afdio_poller_t *p = util_poller();
  afdio_timer_t *t = timer(p, 11);
  util_blocked_wait_t b = {0};
  b.timeout_ms = 10000;
  util_thread_t *th = util_blocked_wait_start(&b, p);
  cr_assert_not_null(th);
  cr_assert_eq(afdio_timer_arm(t, 20, 0), 0);
  cr_assert_eq(util_thread_join(th), 0);
  cr_assert_eq(b.result, 1, "the blocked wait gave %d", b.result);
  cr_assert_eq(b.ev[0].token, 11);
  cr_assert_lt(b.took_ms, 5000.0, "the wait was not woken (%.0f ms)",
               b.took_ms);
}

/* The first timer of a poller is created while a wait is already blocked:
 * the wait must still see it. */
Test(timers, the_first_timer_of_a_poller_reaches_a_wait_already_blocked, T) {
  afdio_poller_t *p = util_poller();
  util_blocked_wait_t b = {0};
  b.timeout_ms = 10000;
  util_thread_t *th = util_blocked_wait_start(&b, p);
  cr_assert_not_null(th);
  afdio_timer_t *t = timer(p, 12);
  cr_assert_eq(afdio_timer_arm(t, 20, 0), 0);
  cr_assert_eq(util_thread_join(th), 0);
  cr_assert_eq(b.result, 1, "the blocked wait gave %d", b.result);
  cr_assert_eq(b.ev[0].token, 12);
  cr_assert_lt(b.took_ms, 5000.0);
}

typedef struct race {
  afdio_timer_t *timer;
  util_atomic_t seq; /* odd while armed, even once a disarm has returned */
  util_atomic_t done;
  int rounds;
} race_t;

static void race_thread(void *arg) {
  race_t *r = arg;
  for (int i = 0; i < r->rounds; i++) {
    util_atomic_add(&r->seq, 1); /* odd: about to arm */
    (void)afdio_timer_arm(r->timer, i % 3, 0);
    for (volatile int spin = 0; spin < (i % 7) * 2000; spin++) {
    }
    (void)afdio_timer_disarm(r->timer);
    util_atomic_add(&r->seq, 1); /* even: disarmed */
    if (i % 50 == 0)
      util_sleep_ms(1);
  }
  util_atomic_store(&r->done, 1);
}

/* While another thread arms and disarms, every event for the timer comes
 * from a wait that began while it was armed (or was armed during it): a
 * wait that starts after a disarm returned, with no arm since, must not
 * report it. */
Test(timers, after_disarm_returns_no_later_wait_reports_the_timer, T) {
  afdio_poller_t *p = util_poller();
  race_t r = {.timer = timer(p, 21), .rounds = 3000};
  util_thread_t *th = NULL;
  cr_assert_eq(util_thread_start(&th, race_thread, &r), 0);
  int fired = 0, violations = 0;
  for (int i = 0; i < 200000 && util_atomic_load(&r.done) == 0; i++) {
    long before = util_atomic_load(&r.seq);
    int hits = wait_for(p, 21, 5);
    long after = util_atomic_load(&r.seq);
    fired += hits;
    if (hits > 0 && before == after && before % 2 == 0)
      violations++;
  }
  cr_assert_eq(util_thread_join(th), 0);
  cr_log_info("%d expiries seen over %d arm/disarm rounds", fired, r.rounds);
  cr_assert_eq(violations, 0, "%d events after a disarm had returned",
               violations);
  cr_assert_gt(fired, 0, "no timer ever fired: the race was not exercised");
  cr_assert_eq(wait_for(p, 21, 30), 0);
}

/* ------------------------------------------------------------------------ */
/* With sockets, and the arguments                                           */

Test(timers, timers_and_socket_events_share_one_wait, T) {
  afdio_poller_t *p = util_poller();
  afdio_socket_t a, b;
  cr_assert_eq(util_tcp_pair(&a, &b), 0);
  cr_assert_eq(afdio_poller_register(p, b, 1, AFDIO_READABLE), 0);
  afdio_timer_t *t = timer(p, 2);
  cr_assert_eq(afdio_timer_arm(t, 30, 0), 0);
  util_send_all(a, 1);
  util_expect_event(p, 1, AFDIO_READABLE, 2000);
  util_expect_event(p, 2, AFDIO_READABLE, 2000);
  cr_assert_eq(afdio_timer_arm(t, 0, 0), 0);
  util_send_all(a, 1);
  uint32_t bits = 0;
  /* Both in the next wait or two; neither is lost. */
  int n1 = util_count_events_for(p, 2, 100, &bits);
  cr_assert_eq(n1, 1);
  cr_assert_eq(afdio_poller_deregister(p, b), 0);
}

Test(timers, bad_arguments_are_refused, T) {
  afdio_poller_t *p = util_poller();
  afdio_timer_t *t = (afdio_timer_t *)&t;
  cr_assert_eq(afdio_timer_new(NULL, 1, &t), AFDIO_EINVAL);
  cr_assert_null(t);
  cr_assert_eq(afdio_timer_new(p, 1, NULL), AFDIO_EINVAL);
  t = timer(p, 1);
  cr_assert_eq(afdio_timer_arm(NULL, 1, 0), AFDIO_EINVAL);
  cr_assert_eq(afdio_timer_arm(t, -1, 0), AFDIO_EINVAL);
  cr_assert_eq(afdio_timer_arm(t, 1, -1), AFDIO_EINVAL);
  cr_assert_eq(afdio_timer_arm_at(NULL, 1, 0), AFDIO_EINVAL);
  cr_assert_eq(afdio_timer_arm_at(t, -1, 0), AFDIO_EINVAL);
  cr_assert_eq(afdio_timer_arm_at(t, 1, -5), AFDIO_EINVAL);
  cr_assert_eq(afdio_timer_disarm(NULL), AFDIO_EINVAL);
  cr_assert_eq(afdio_timer_delete(NULL), AFDIO_EINVAL);
  /* Huge values saturate: armed, never due. */
  cr_assert_eq(afdio_timer_arm(t, INT64_MAX, INT64_MAX), 0);
  util_expect_no_event_for(p, 1, 20);
  cr_assert_eq(afdio_timer_disarm(t), 1);
  cr_assert_geq(afdio_clock_ms(), 0);
}

Test(timers, deleting_the_poller_frees_its_timers, T) {
  afdio_poller_t *p = NULL;
  afdio_timer_t *t[4];
  cr_assert_eq(afdio_poller_new(&p), 0);
  for (int i = 0; i < 4; i++) {
    cr_assert_eq(afdio_timer_new(p, (uint64_t)i, &t[i]), 0);
    cr_assert_eq(afdio_timer_arm(t[i], i * 10, i % 2 ? 5 : 0), 0);
  }
  afdio_event_t ev[4];
  cr_assert_geq(afdio_poller_wait(p, ev, 4, 0), 1);
  cr_assert_eq(afdio_timer_delete(t[3]), 0);
  cr_assert_eq(afdio_poller_delete(p), 0); /* the rest go with it */
}

/* Sockets that are always ready fill every wait's capacity (level mode
 * reports them on every wait): due timers must still get their share of
 * the events, or they would wait for ever. */
Test(timers, due_timers_are_not_starved_by_always_ready_sockets, T) {
  enum { SOCKS = 8 };
  afdio_poller_t *p = util_poller();
  afdio_socket_t a[SOCKS], b[SOCKS];
  for (int i = 0; i < SOCKS; i++) {
    cr_assert_eq(util_tcp_pair(&a[i], &b[i]), 0);
    util_send_all(a[i], 1); /* never read: readable on every wait */
    cr_assert_eq(afdio_poller_register(p, b[i], (uint64_t)i,
                                       AFDIO_READABLE | AFDIO_LEVEL),
                 0);
  }
  afdio_timer_t *t = timer(p, 100);
  cr_assert_eq(afdio_timer_arm(t, 10, 5), 0);
  afdio_event_t ev[2];
  int fired = 0, io = 0;
  double end = util_now_ms() + 3000;
  for (long round = 0; round < 10000000 && fired < 5 && util_now_ms() < end;
       round++) {
    for (int cap = 1; cap <= 2; cap++) {
      int n = afdio_poller_wait(p, ev, (size_t)cap, 100);
      cr_assert_geq(n, 0);
      for (int k = 0; k < n; k++)
        ev[k].token == 100 ? fired++ : io++;
    }
  }
  cr_log_info("%d timer and %d socket events", fired, io);
  cr_assert_geq(fired, 5, "the timer fired %d times in 3 s", fired);
  cr_assert_gt(io, 0, "the sockets were starved instead");
  for (int i = 0; i < SOCKS; i++)
    cr_assert_eq(afdio_poller_deregister(p, b[i]), 0);
}
