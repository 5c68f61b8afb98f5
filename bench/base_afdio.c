/*
 * afdio's poller as a benchmark backend, in three modes:
 * - "afdio": edge mode, each event drained to AFDIO_EAGAIN, then
 *   afdio_poller_rearm() (raw I/O, so the benchmark re-arms itself, as the
 *   net layer does);
 * - "afdio-level": level mode, one recv per event, no re-arm;
 * - "afdio-oneshot": oneshot mode, one recv per event, then
 *   afdio_poller_reregister() to arm the socket again (the EPOLLONESHOT +
 *   EPOLL_CTL_MOD pattern of thread-pool servers).
 * Tokens are slots. Portable: the same file for every platform.
 */
#include "bench.h"

#include <stdlib.h>

#define AFDIO_BENCH_EVENTS 1024

typedef enum afdio_bench_mode {
  AFDIO_BENCH_EDGE,
  AFDIO_BENCH_LEVEL,
  AFDIO_BENCH_ONESHOT
} afdio_bench_mode_t;

static const uint32_t afdio__mode_bits[] = {AFDIO_EDGE, AFDIO_LEVEL,
                                             AFDIO_ONESHOT};

typedef struct afdio_bench {
  afdio_poller_t *poller;
  afdio_bench_mode_t mode;
  afdio_event_t events[AFDIO_BENCH_EVENTS];
} afdio_bench_t;

static int afdio__open(bench_pp_t *pp, void **state, afdio_bench_mode_t mode) {
  afdio_bench_t *s = calloc(1, sizeof *s);
  if (s == NULL)
    return AFDIO_ENOMEM;
  s->mode = mode;
  int rc = afdio_poller_new(&s->poller);
  uint32_t interest = AFDIO_READABLE | afdio__mode_bits[mode];
  for (size_t i = 0; rc == 0 && i < pp->count; i++)
    rc = afdio_poller_register(s->poller, pp->socks[i], i, interest);
  if (rc < 0) {
    if (s->poller != NULL)
      afdio_poller_delete(s->poller);
    free(s);
    return rc;
  }
  *state = s;
  return 0;
}

static int afdio__open_edge(bench_pp_t *pp, void **state) {
  return afdio__open(pp, state, AFDIO_BENCH_EDGE);
}

static int afdio__open_level(bench_pp_t *pp, void **state) {
  return afdio__open(pp, state, AFDIO_BENCH_LEVEL);
}

static int afdio__open_oneshot(bench_pp_t *pp, void **state) {
  return afdio__open(pp, state, AFDIO_BENCH_ONESHOT);
}

/* What a mode does after handling one event; readable is what
 * bench_pp_readable() returned (1: it saw AFDIO_EAGAIN). */
static int afdio__after_event(afdio_bench_t *s, bench_pp_t *pp, size_t slot,
                              int readable) {
  switch (s->mode) {
  case AFDIO_BENCH_EDGE:
    return readable == 1 ? afdio_poller_rearm(s->poller, pp->socks[slot],
                                              AFDIO_READABLE)
                         : 0;
  case AFDIO_BENCH_ONESHOT:
    return afdio_poller_reregister(s->poller, pp->socks[slot], slot,
                                   AFDIO_READABLE | AFDIO_ONESHOT);
  default:
    return 0;
  }
}

static int afdio__run(bench_pp_t *pp, void *state, double stop_at) {
  afdio_bench_t *s = state;
  while (bench_now() < stop_at) {
    int n = afdio_poller_wait(s->poller, s->events, AFDIO_BENCH_EVENTS, 1000);
    if (n < 0)
      return n;
    pp->waits++;
    for (int i = 0; i < n; i++) {
      size_t slot = (size_t)s->events[i].token;
      int rc = bench_pp_readable(pp, slot, s->mode == AFDIO_BENCH_EDGE);
      if (rc >= 0)
        rc = afdio__after_event(s, pp, slot, rc);
      if (rc < 0)
        return rc;
    }
  }
  return 0;
}

/* Deleting the poller drops every registration (the sockets stay open), as
 * closing an epoll descriptor does: the teardown a server pays at exit. */
static void afdio__close(bench_pp_t *pp, void *state) {
  afdio_bench_t *s = state;
  (void)pp;
  afdio_poller_delete(s->poller);
  free(s);
}

/* Zero-timeout wait, events ignored: it flushes queued registration work. */
static int afdio__flush(afdio_poller_t *p) {
  afdio_event_t ev[8];
  int n = afdio_poller_wait(p, ev, 8, 0);
  return n < 0 ? n : 0;
}

static int afdio__churn_regmod(afdio_socket_t sock, int with_wait,
                               double stop_at, uint64_t *cycles) {
  afdio_poller_t *p;
  int rc = afdio_poller_new(&p);
  if (rc < 0)
    return rc;
  uint64_t n = 0;
  /* PRIORITY is added and removed: an idle socket has neither, so the
   * modify changes the poll without making an event. */
  while (rc == 0 && bench_now() < stop_at) {
    for (int i = 0; rc == 0 && i < 64; i++, n++) {
      rc = afdio_poller_register(p, sock, 1, AFDIO_READABLE);
      if (rc == 0 && with_wait)
        rc = afdio__flush(p);
      if (rc == 0)
        rc = afdio_poller_reregister(p, sock, 2,
                                     AFDIO_READABLE | AFDIO_PRIORITY);
      if (rc == 0 && with_wait)
        rc = afdio__flush(p);
      if (rc == 0)
        rc = afdio_poller_deregister(p, sock);
      if (rc == 0 && with_wait)
        rc = afdio__flush(p);
    }
  }
  afdio_poller_delete(p);
  *cycles = n;
  return rc;
}

static int afdio__churn_create(double stop_at, uint64_t *cycles) {
  afdio_poller_t *p;
  int rc = afdio_poller_new(&p);
  if (rc < 0)
    return rc;
  uint64_t n = 0;
  while (rc == 0 && bench_now() < stop_at) {
    afdio_socket_t s;
    if ((rc = bench_tcp_socket(&s)) < 0)
      break;
    rc = afdio_poller_register(p, s, n, AFDIO_READABLE);
    if (rc == 0)
      rc = afdio__flush(p);
    bench_close(s); /* closing deregisters implicitly */
    n++;
  }
  if (rc == 0)
    rc = afdio__flush(p);
  afdio_poller_delete(p);
  *cycles = n;
  return rc;
}

const bench_backend_t bench_afdio_edge = {
    .name = "afdio",
    .open = afdio__open_edge,
    .run = afdio__run,
    .close = afdio__close,
    .churn_regmod = afdio__churn_regmod,
    .churn_create = afdio__churn_create,
};

const bench_backend_t bench_afdio_level = {
    .name = "afdio-level",
    .open = afdio__open_level,
    .run = afdio__run,
    .close = afdio__close,
};

const bench_backend_t bench_afdio_oneshot = {
    .name = "afdio-oneshot",
    .open = afdio__open_oneshot,
    .run = afdio__run,
    .close = afdio__close,
};

/* ------------------------------------------------------------------------ */
/* Timers                                                                    */

/* Timers for the arm/disarm cycles and the fire run; freed with the poller. */
static int afdio__timers_make(afdio_poller_t *p, afdio_timer_t **t,
                              size_t count) {
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < count; i++)
    rc = afdio_timer_new(p, i, &t[i]);
  return rc;
}

static int afdio__arm_disarm(const uint64_t *delays, size_t others,
                             uint64_t cycles, double *secs, long long *allocs) {
  afdio_poller_t *p = NULL;
  afdio_timer_t **t = calloc(others + 1, sizeof *t);
  int rc = t == NULL ? AFDIO_ENOMEM : afdio_poller_new(&p);
  if (rc == 0)
    rc = afdio__timers_make(p, t, others + 1);
  /* The others far out (an hour plus their delay): never due here. */
  for (size_t i = 0; rc == 0 && i < others; i++)
    rc = afdio_timer_arm(t[i], 3600000 + (int64_t)delays[i], 0);
  long long a0 = bench_allocs();
  double start = bench_now();
  for (uint64_t c = 0; rc == 0 && c < cycles; c++) {
    rc = afdio_timer_arm(t[others], 3600000 + (int64_t)delays[c % others], 0);
    if (rc == 0)
      rc = afdio_timer_disarm(t[others]) == 1 ? 0 : AFDIO_EIO;
  }
  *secs = bench_now() - start;
  *allocs = bench_allocs() - a0;
  if (p != NULL)
    afdio_poller_delete(p);
  free(t);
  return rc;
}

static int afdio__fire(const uint64_t *delays, size_t count, double *arm_s,
                       double *fire_s) {
  afdio_poller_t *p = NULL;
  afdio_timer_t **t = calloc(count, sizeof *t);
  afdio_event_t *ev = calloc(AFDIO_BENCH_EVENTS, sizeof *ev);
  uint64_t spread = 0;
  int rc = t == NULL || ev == NULL ? AFDIO_ENOMEM : afdio_poller_new(&p);
  if (rc == 0)
    rc = afdio__timers_make(p, t, count);
  double start = bench_now();
  for (size_t i = 0; rc == 0 && i < count; i++) {
    rc = afdio_timer_arm(t[i], (int64_t)delays[i], 0);
    spread = delays[i] > spread ? delays[i] : spread;
  }
  *arm_s = bench_now() - start;
  while (rc == 0 && bench_now() < start + (double)(spread + 2) / 1000)
    ; /* until every timer is due: not measured */
  size_t fired = 0;
  start = bench_now();
  while (rc == 0 && fired < count) {
    int n = afdio_poller_wait(p, ev, AFDIO_BENCH_EVENTS, 1000);
    rc = n < 0 ? n : n == 0 ? AFDIO_ETIMEDOUT : 0;
    fired += n > 0 ? (size_t)n : 0;
  }
  *fire_s = bench_now() - start;
  if (p != NULL)
    afdio_poller_delete(p);
  free(t);
  free(ev);
  return rc;
}

const bench_timer_backend_t bench_afdio_timers = {
    .name = "afdio",
    .arm_disarm = afdio__arm_disarm,
    .fire = afdio__fire,
};
