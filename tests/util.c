/*
 * The portable half of the test helpers: tracking and cleanup, atomics, the
 * byte-pump helpers built on util_send/util_recv, and the event assertions.
 */
#include "util.h"

#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Atomics: the GCC/Clang builtins exist for every target zig builds.       */

long util_atomic_load(util_atomic_t *a) {
  return __atomic_load_n(&a->value, __ATOMIC_SEQ_CST);
}

void util_atomic_store(util_atomic_t *a, long v) {
  __atomic_store_n(&a->value, v, __ATOMIC_SEQ_CST);
}

long util_atomic_add(util_atomic_t *a, long delta) {
  return __atomic_add_fetch(&a->value, delta, __ATOMIC_SEQ_CST);
}

/* ------------------------------------------------------------------------ */
/* Setup, tracking and cleanup                                               */

#define UTIL__MAX_SOCKETS 4096
#define UTIL__MAX_POLLERS 16

static util_atomic_t util__init_state; /* 0 not done, 1 running, 2 done */
static int util__init_result;
static util_atomic_t util__lock;
static afdio_socket_t util__sockets[UTIL__MAX_SOCKETS];
static size_t util__socket_count;
static afdio_poller_t *util__pollers[UTIL__MAX_POLLERS];

int util_init(void) {
  long expected = 0;
  if (__atomic_compare_exchange_n(&util__init_state.value, &expected, 1, 0,
                                  __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
    util__init_result = util__platform_init();
    util_atomic_store(&util__init_state, 2);
  }
  while (util_atomic_load(&util__init_state) != 2)
    util_sleep_ms(1);
  return util__init_result;
}

static void util__lock_take(void) {
  long expected = 0;
  while (!__atomic_compare_exchange_n(&util__lock.value, &expected, 1, 0,
                                      __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
    expected = 0;
}

static void util__lock_give(void) {
  util_atomic_store(&util__lock, 0);
}

void util__track(afdio_socket_t s) {
  util__lock_take();
  /* A full table only means util_fini() will not close this one. */
  if (util__socket_count < UTIL__MAX_SOCKETS)
    util__sockets[util__socket_count++] = s;
  util__lock_give();
}

void util__untrack(afdio_socket_t s) {
  util__lock_take();
  for (size_t i = 0; i < util__socket_count; i++) {
    if (util__sockets[i] == s) {
      util__sockets[i] = util__sockets[--util__socket_count];
      break;
    }
  }
  util__lock_give();
}

afdio_poller_t *util_poller(void) {
  afdio_poller_t *p = NULL;
  cr_assert_eq(util_init(), 0, "platform setup failed");
  int rc = afdio_poller_new(&p);
  cr_assert_eq(rc, 0, "afdio_poller_new: %s (backend %s)", afdio_err_name(rc),
               afdio_backend());
  cr_assert_not_null(p);
  for (size_t i = 0; i < UTIL__MAX_POLLERS; i++) {
    if (util__pollers[i] == NULL) {
      util__pollers[i] = p;
      return p;
    }
  }
  return p;
}

int util_poller_delete(afdio_poller_t *poller) {
  for (size_t i = 0; i < UTIL__MAX_POLLERS; i++)
    if (util__pollers[i] == poller)
      util__pollers[i] = NULL;
  return afdio_poller_delete(poller);
}

void util_fini(void) {
  /* Pollers first: their registrations must not outlive the sockets. */
  for (size_t i = 0; i < UTIL__MAX_POLLERS; i++) {
    if (util__pollers[i] != NULL) {
      afdio_poller_delete(util__pollers[i]);
      util__pollers[i] = NULL;
    }
  }
  util__lock_take();
  for (size_t i = 0; i < util__socket_count; i++)
    util__close_raw(util__sockets[i]);
  util__socket_count = 0;
  util__lock_give();
}

/* ------------------------------------------------------------------------ */
/* Byte pumps                                                                */

long util_drain(afdio_socket_t s, int *eof) {
  char buf[16384];
  long total = 0;
  if (eof != NULL)
    *eof = 0;
  /* Bounded: loopback buffers hold at most a few MB. */
  for (int i = 0; i < 100000; i++) {
    long n = util_recv(s, buf, sizeof buf);
    if (n == AFDIO_EAGAIN)
      return total;
    if (n < 0)
      return n;
    if (n == 0) {
      if (eof != NULL)
        *eof = 1;
      return total;
    }
    total += n;
  }
  return total;
}

long util_fill(afdio_socket_t s) {
  static char buf[65536];
  long total = 0;
  for (int i = 0; i < 100000; i++) {
    long n = util_send(s, buf, sizeof buf);
    if (n == AFDIO_EAGAIN)
      return total;
    if (n < 0)
      return n;
    total += n;
  }
  return total;
}

void util_send_all(afdio_socket_t s, size_t len) {
  char buf[4096];
  for (size_t i = 0; i < sizeof buf; i++)
    buf[i] = (char)('a' + i % 26);
  size_t sent = 0;
  for (int tries = 0; sent < len && tries < 1000; tries++) {
    size_t chunk = len - sent < sizeof buf ? len - sent : sizeof buf;
    long n = util_send(s, buf, chunk);
    if (n == AFDIO_EAGAIN) {
      util_sleep_ms(1);
      continue;
    }
    cr_assert_geq(n, 0, "util_send: %s", afdio_err_name((int)n));
    sent += (size_t)n;
  }
  cr_assert_eq(sent, len, "util_send_all: the socket buffer stayed full");
}

/* ------------------------------------------------------------------------ */
/* Events                                                                    */

const char *util_events_str(uint32_t events, char *buf, size_t size) {
  static const struct {
    uint32_t bit;
    const char *name;
  } names[] = {
      {AFDIO_READABLE, "READABLE"},       {AFDIO_WRITABLE, "WRITABLE"},
      {AFDIO_PRIORITY, "PRIORITY"},       {AFDIO_ERROR, "ERROR"},
      {AFDIO_READ_CLOSED, "READ_CLOSED"}, {AFDIO_WRITE_CLOSED, "WRITE_CLOSED"},
  };
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    if ((events & names[i].bit) == 0)
      continue;
    int n = snprintf(buf + used, size - used, "%s%s", used ? "|" : "",
                     names[i].name);
    if (n < 0 || (size_t)n >= size - used)
      return buf;
    used += (size_t)n;
    events &= ~names[i].bit;
  }
  if (events != 0 || used == 0)
    snprintf(buf + used, size - used, "%s0x%x", used ? "|" : "",
             (unsigned)events);
  return buf;
}

/* A log of the events a helper saw, printed when its assertion fails. */
struct util__seen {
  char text[1024];
  size_t used;
  int count;
};

static void util__seen_add(struct util__seen *seen, const afdio_event_t *ev,
                           double at_ms) {
  char bits[128];
  seen->count++;
  if (seen->used + 100 >= sizeof seen->text)
    return;
  int n = snprintf(seen->text + seen->used, sizeof seen->text - seen->used,
                   "\n      at %.1f ms: token %llu events %s", at_ms,
                   (unsigned long long)ev->token,
                   util_events_str(ev->events, bits, sizeof bits));
  if (n > 0)
    seen->used += (size_t)n;
}

/* Milliseconds left until deadline, rounded up; 0 once it passed. */
static int64_t util__remaining(double deadline) {
  double left = deadline - util_now_ms();
  return left <= 0 ? 0 : (int64_t)left + 1;
}

uint32_t util_expect_event(afdio_poller_t *poller, uint64_t token,
                           uint32_t must_have, int timeout_ms) {
  afdio_event_t evs[64];
  struct util__seen seen = {.used = 0};
  double start = util_now_ms(), deadline = start + timeout_ms;
  uint32_t bits = 0;
  int found = 0;
  for (int round = 0; round < 100000; round++) {
    int n = afdio_poller_wait(poller, evs, 64, util__remaining(deadline));
    cr_assert_geq(n, 0, "afdio_poller_wait: %s", afdio_err_name(n));
    for (int i = 0; i < n; i++) {
      util__seen_add(&seen, &evs[i], util_now_ms() - start);
      if (evs[i].token == token) {
        found = 1;
        bits |= evs[i].events;
      }
    }
    if (found && (bits & must_have) == must_have)
      return bits;
    if (util_now_ms() >= deadline)
      break;
  }
  char want[128], got[128];
  cr_assert_fail("no event for token %llu with %s within %d ms (bits seen for "
                 "it: %s); %d event(s) seen:%s",
                 (unsigned long long)token,
                 util_events_str(must_have, want, sizeof want), timeout_ms,
                 found ? util_events_str(bits, got, sizeof got) : "none",
                 seen.count, seen.count ? seen.text : " none");
  return bits;
}

void util_expect_no_events(afdio_poller_t *poller, int timeout_ms) {
  afdio_event_t evs[64];
  struct util__seen seen = {.used = 0};
  double start = util_now_ms();
  int n = afdio_poller_wait(poller, evs, 64, timeout_ms);
  cr_assert_geq(n, 0, "afdio_poller_wait: %s", afdio_err_name(n));
  for (int i = 0; i < n; i++)
    util__seen_add(&seen, &evs[i], util_now_ms() - start);
  if (n != 0)
    cr_assert_fail("expected no event within %d ms; %d event(s) seen:%s",
                   timeout_ms, n, seen.text);
}

int util_count_events_for(afdio_poller_t *poller, uint64_t token,
                          int timeout_ms, uint32_t *bits) {
  afdio_event_t evs[64];
  double deadline = util_now_ms() + timeout_ms;
  int count = 0;
  if (bits != NULL)
    *bits = 0;
  /* At least one wait, so a zero timeout polls once. */
  for (int round = 0; round < 100000; round++) {
    int64_t left = util__remaining(deadline);
    if (left == 0 && round > 0)
      break;
    int n = afdio_poller_wait(poller, evs, 64, left);
    cr_assert_geq(n, 0, "afdio_poller_wait: %s", afdio_err_name(n));
    for (int i = 0; i < n; i++) {
      if (evs[i].token != token)
        continue;
      count++;
      if (bits != NULL)
        *bits |= evs[i].events;
    }
  }
  return count;
}

void util_expect_no_event_for(afdio_poller_t *poller, uint64_t token,
                              int timeout_ms) {
  afdio_event_t evs[64];
  struct util__seen seen = {.used = 0};
  double start = util_now_ms(), deadline = start + timeout_ms;
  int hits = 0;
  /* At least one wait, so a zero timeout polls once. */
  for (int round = 0; round < 100000; round++) {
    int64_t left = util__remaining(deadline);
    if (left == 0 && round > 0)
      break;
    int n = afdio_poller_wait(poller, evs, 64, left);
    cr_assert_geq(n, 0, "afdio_poller_wait: %s", afdio_err_name(n));
    for (int i = 0; i < n; i++) {
      util__seen_add(&seen, &evs[i], util_now_ms() - start);
      hits += evs[i].token == token;
    }
  }
  if (hits != 0)
    cr_assert_fail("expected no event for token %llu within %d ms; %d event(s) "
                   "seen:%s",
                   (unsigned long long)token, timeout_ms, seen.count,
                   seen.text);
}

static void util__blocked_wait_thread(void *arg) {
  util_blocked_wait_t *b = arg;
  util_atomic_store(&b->started, 1);
  double t0 = util_now_ms();
  b->result = afdio_poller_wait(b->poller, b->ev, 8, b->timeout_ms);
  b->took_ms = util_now_ms() - t0;
  util_atomic_store(&b->done, 1);
}

util_thread_t *util_blocked_wait_start(util_blocked_wait_t *b,
                                       afdio_poller_t *p) {
  util_thread_t *t = NULL;
  b->poller = p;
  if (b->timeout_ms == 0)
    b->timeout_ms = 5000;
  if (util_thread_start(&t, util__blocked_wait_thread, b) != 0)
    return NULL;
  for (int i = 0; i < 2000 && util_atomic_load(&b->started) == 0; i++)
    util_sleep_ms(1);
  util_sleep_ms(50);
  return t;
}

const char *util_pipe_name(char *buf, size_t size, const char *tag) {
  char short_name[64];
  snprintf(short_name, sizeof short_name, "afdio-test-%ld-%s", util_pid(),
           tag);
  cr_assert_gt(afdio_pipe_name(buf, size, short_name), 0,
               "afdio_pipe_name(%s)", short_name);
  return buf;
}
