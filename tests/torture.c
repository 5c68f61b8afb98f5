/* Thread torture: mutator threads register, reregister, deregister and
 * close+recreate their own sockets (and make them ready) while waiter
 * threads wait on the same poller and a waker thread wakes it, for a
 * bounded time (AFDIO_TORTURE_MS, default 1500 ms). Checked:
 * - no event carries a registration that ended (deregister, reregister or
 *   close returned) before the wait that reported it started: tokens carry
 *   a generation, and each generation's end is stamped with a global
 *   sequence number that waits read when they start;
 * - no event carries a generation not yet begun;
 * - no lost wake-up: the last wake is observed; waker events never exceed
 *   wakes;
 * - no crash, no wait error. Built also under ThreadSanitizer (zig build
 *   test-tsan) with the pthread shim runner, as Criterion cannot run there.
 * Threads other than the test's record failures; the test thread asserts. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define MUTATORS 2
#define WAITERS 2
#define SLOTS_PER_MUTATOR 12
#define SLOTS (MUTATORS * SLOTS_PER_MUTATOR)
#define GENS 256 /* generations remembered per slot */
#define WAKER_TOKEN 0xABCD000000000000ull

typedef struct slot {
  afdio_socket_t a, b;
  int registered;
  util_atomic_t cur_gen;          /* the generation being (or last) registered */
  util_atomic_t end_seq[GENS];    /* when generation g ended (0: not yet) */
} slot_t;

static slot_t slots[SLOTS];
static afdio_poller_t *poller;
static afdio_waker_t *waker;
static util_atomic_t seq, stop, failures, wakes, wake_events, pending_wake;
static util_atomic_t events_seen, mutations;
static char first_failure[512];

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#include <stdarg.h>
static void fail(const char *fmt, ...) {
  if (util_atomic_add(&failures, 1) == 1) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(first_failure, sizeof first_failure, fmt, ap);
    va_end(ap);
  }
}

static uint64_t token_of(int slot, long gen) {
  return ((uint64_t)(slot + 1) << 40) | (uint64_t)gen;
}

static uint32_t xorshift(uint32_t *x) {
  *x ^= *x << 13;
  *x ^= *x >> 17;
  *x ^= *x << 5;
  return *x;
}

/* ------------------------------------------------------------------------ */
/* Waiters                                                                   */

static void check_event(const afdio_event_t *ev, long wait_start) {
  if (ev->token == WAKER_TOKEN) {
    util_atomic_store(&pending_wake, 0);
    if (util_atomic_add(&wake_events, 1) > util_atomic_load(&wakes))
      fail("more waker events than wakes");
    return;
  }
  uint64_t idx = (ev->token >> 40) - 1;
  long gen = (long)(ev->token & 0xFFFFFFFFFFull);
  if (idx >= SLOTS) {
    fail("event with an unknown token 0x%llx", (unsigned long long)ev->token);
    return;
  }
  slot_t *s = &slots[idx];
  long cur = util_atomic_load(&s->cur_gen);
  if (gen > cur) {
    fail("slot %d: event for generation %ld, not begun (current %ld)",
         (int)idx, gen, cur);
    return;
  }
  if (cur - gen >= GENS) {
    fail("slot %d: event for generation %ld, %ld generations old", (int)idx,
         gen, cur - gen);
    return;
  }
  long ended = util_atomic_load(&s->end_seq[gen % GENS]);
  if (ended != 0 && ended < wait_start)
    fail("slot %d: event for generation %ld, which ended (seq %ld) before "
         "the wait started (seq %ld)", (int)idx, gen, ended, wait_start);
}

static void waiter(void *arg) {
  afdio_event_t evs[16];
  (void)arg;
  while (!util_atomic_load(&stop)) {
    long start = util_atomic_add(&seq, 1);
    int n = afdio_poller_wait(poller, evs, 16, 10);
    if (n < 0) {
      fail("afdio_poller_wait: %s", afdio_err_name(n));
      return;
    }
    for (int i = 0; i < n; i++)
      check_event(&evs[i], start);
    util_atomic_add(&events_seen, n);
  }
}

/* ------------------------------------------------------------------------ */
/* Mutators: each owns its slots, so per-socket calls are never concurrent. */

static void end_gen(slot_t *s) {
  long g = util_atomic_load(&s->cur_gen);
  util_atomic_store(&s->end_seq[g % GENS], util_atomic_add(&seq, 1));
}

static void begin_gen(slot_t *s) {
  long g = util_atomic_load(&s->cur_gen) + 1;
  util_atomic_store(&s->end_seq[g % GENS], 0);
  util_atomic_store(&s->cur_gen, g);
}

static uint32_t pick_interest(uint32_t *x) {
  static const uint32_t modes[] = {AFDIO_EDGE, AFDIO_LEVEL, AFDIO_ONESHOT};
  uint32_t set = 1 + xorshift(x) % 3;
  return set | modes[xorshift(x) % 3];
}

static void mutate(int idx, uint32_t *x) {
  slot_t *s = &slots[idx];
  char buf[512];
  int rc;
  switch (xorshift(x) % 6) {
  case 0: /* register or reregister with a new generation */
    begin_gen(s);
    if (s->registered) {
      /* The old generation ends when reregister returns. */
      long old = util_atomic_load(&s->cur_gen) - 1;
      rc = afdio_poller_reregister(poller, s->a, token_of(idx, old + 1),
                                   pick_interest(x));
      util_atomic_store(&s->end_seq[old % GENS], util_atomic_add(&seq, 1));
    } else {
      rc = afdio_poller_register(poller, s->a,
                                 token_of(idx, util_atomic_load(&s->cur_gen)),
                                 pick_interest(x));
    }
    if (rc != 0)
      fail("slot %d: (re)register: %s", idx, afdio_err_name(rc));
    s->registered = 1;
    break;
  case 1: /* deregister */
    if (!s->registered)
      break;
    rc = afdio_poller_deregister(poller, s->a);
    end_gen(s);
    if (rc != 0)
      fail("slot %d: deregister: %s", idx, afdio_err_name(rc));
    s->registered = 0;
    break;
  case 2: /* close (tidily) and make a new pair */
    if (s->registered) {
      rc = afdio_poller_deregister(poller, s->a);
      end_gen(s);
      if (rc != 0)
        fail("slot %d: deregister before close: %s", idx, afdio_err_name(rc));
      s->registered = 0;
    }
    util_close(s->a);
    util_close(s->b);
    rc = util_tcp_pair(&s->a, &s->b);
    if (rc != 0) {
      fail("slot %d: util_tcp_pair: %s", idx, afdio_err_name(rc));
      util_atomic_store(&stop, 1);
    }
    break;
  case 3:
  case 4: /* make it readable */
    util_send(s->b, "torture", 7);
    break;
  default: /* drain, and rearm as the edge contract asks */
    for (int i = 0; i < 64; i++) {
      long n = util_recv(s->a, buf, sizeof buf);
      if (n == AFDIO_EAGAIN && s->registered) {
        rc = afdio_poller_rearm(poller, s->a, AFDIO_READABLE);
        if (rc != 0)
          fail("slot %d: rearm: %s", idx, afdio_err_name(rc));
      }
      if (n <= 0)
        break;
    }
    break;
  }
  util_atomic_add(&mutations, 1);
}

static void mutator(void *arg) {
  int base = (int)(intptr_t)arg * SLOTS_PER_MUTATOR;
  uint32_t x = 0x9E3779B9u ^ (uint32_t)(base + 1) * 2654435761u;
  while (!util_atomic_load(&stop))
    mutate(base + (int)(xorshift(&x) % SLOTS_PER_MUTATOR), &x);
}

static void waking(void *arg) {
  (void)arg;
  while (!util_atomic_load(&stop)) {
    util_atomic_store(&pending_wake, 1);
    util_atomic_add(&wakes, 1);
    int rc = afdio_waker_wake(waker);
    if (rc != 0)
      fail("afdio_waker_wake: %s", afdio_err_name(rc));
    util_sleep_ms(1);
  }
}

static long env_ms(void) {
  const char *v = getenv("AFDIO_TORTURE_MS");
  long ms = v != NULL ? strtol(v, NULL, 10) : 0;
  return ms > 0 ? ms : 1500;
}

static void fini(void) {
  for (int i = 0; i < SLOTS; i++) {
    if (slots[i].a != 0 || slots[i].b != 0) {
      util_close(slots[i].a);
      util_close(slots[i].b);
    }
  }
  memset(slots, 0, sizeof slots);
  if (poller != NULL)
    afdio_poller_delete(poller);
  poller = NULL;
  util_fini();
}

Test(torture, registrations_waits_and_wakes_from_many_threads, .timeout = 30,
     .fini = fini) {
  util_thread_t *threads[MUTATORS + WAITERS + 1];
  int nthreads = 0;
  cr_assert_eq(util_init(), 0);
  cr_assert_eq(afdio_poller_new(&poller), 0);
  cr_assert_eq(afdio_waker_new(poller, WAKER_TOKEN, &waker), 0);
  for (int i = 0; i < SLOTS; i++) {
    int rc = util_tcp_pair(&slots[i].a, &slots[i].b);
    cr_assert_eq(rc, 0, "util_tcp_pair: %s", afdio_err_name(rc));
  }
  for (int i = 0; i < WAITERS; i++)
    cr_assert_eq(util_thread_start(&threads[nthreads++], waiter, NULL), 0);
  for (int i = 0; i < MUTATORS; i++)
    cr_assert_eq(util_thread_start(&threads[nthreads++], mutator,
                                   (void *)(intptr_t)i), 0);
  cr_assert_eq(util_thread_start(&threads[nthreads++], waking, NULL), 0);
  double end = util_now_ms() + (double)env_ms();
  while (util_now_ms() < end && !util_atomic_load(&failures))
    util_sleep_ms(10);
  util_atomic_store(&stop, 1);
  for (int i = 0; i < nthreads; i++)
    util_thread_join(threads[i]);

  /* No lost wake-up: a wake not yet observed must come now. */
  if (util_atomic_load(&pending_wake)) {
    afdio_event_t evs[64];
    double deadline = util_now_ms() + 2000;
    int seen = 0;
    while (!seen && util_now_ms() < deadline) {
      long start = util_atomic_add(&seq, 1);
      int n = afdio_poller_wait(poller, evs, 64, 50);
      cr_assert_geq(n, 0);
      for (int i = 0; i < n; i++) {
        seen |= evs[i].token == WAKER_TOKEN;
        check_event(&evs[i], start);
      }
    }
    cr_expect(seen, "the last wake was never reported (lost wake-up)");
  }
  cr_log_info("torture: %ld mutations, %ld events, %ld wakes, %ld waker "
              "events in %ld ms", util_atomic_load(&mutations),
              util_atomic_load(&events_seen), util_atomic_load(&wakes),
              util_atomic_load(&wake_events), env_ms());
  cr_assert_eq(util_atomic_load(&failures), 0, "%ld failure(s); first: %s",
               util_atomic_load(&failures), first_failure);
  cr_assert_gt(util_atomic_load(&mutations), 100, "the mutators barely ran");
  cr_assert_gt(util_atomic_load(&wake_events), 0, "no waker event at all");
}
