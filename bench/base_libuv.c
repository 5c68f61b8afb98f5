/*
 * libuv as a baseline: one uv_poll_t per socket (libuv's readiness API, the
 * counterpart of afdio's poller), level-triggered as libuv is, one recv per
 * callback. The loop runs one iteration per uv_run(UV_RUN_ONCE).
 */
#include "bench.h"

#include <stdlib.h>
#include <uv.h>

typedef struct libuv_bench {
  uv_loop_t loop;
  uv_timer_t guard;
  bench_pp_t *pp;
  uv_poll_t *polls;
  size_t count;
  int error;
} libuv_bench_t;

static int libuv__error(int uv_err) {
  return uv_err == UV_ENOMEM ? AFDIO_ENOMEM : uv_err == UV_EMFILE ? AFDIO_EMFILE
                                                                  : AFDIO_EIO;
}

static void libuv__on_poll(uv_poll_t *h, int status, int events) {
  libuv_bench_t *s = h->loop->data;
  (void)events;
  if (status < 0) {
    s->error = libuv__error(status);
    return;
  }
  int rc = bench_pp_readable(s->pp, (size_t)(h - s->polls), 0);
  if (rc < 0)
    s->error = rc;
}

/* A wait never blocks for ever, even if the ping-pong stopped. */
static void libuv__on_guard(uv_timer_t *t) { (void)t; }

static void libuv__free(libuv_bench_t *s) {
  for (size_t i = 0; i < s->count; i++)
    uv_close((uv_handle_t *)&s->polls[i], NULL);
  uv_close((uv_handle_t *)&s->guard, NULL);
  uv_run(&s->loop, UV_RUN_DEFAULT);
  uv_loop_close(&s->loop);
  free(s->polls);
  free(s);
}

static int libuv__open(bench_pp_t *pp, void **state) {
  libuv_bench_t *s = calloc(1, sizeof *s);
  if (s == NULL)
    return AFDIO_ENOMEM;
  int rc = uv_loop_init(&s->loop);
  if (rc < 0) {
    free(s);
    return libuv__error(rc);
  }
  s->loop.data = s;
  s->pp = pp;
  uv_timer_init(&s->loop, &s->guard);
  uv_timer_start(&s->guard, libuv__on_guard, 1000, 1000);
  s->polls = calloc(pp->count, sizeof *s->polls);
  if (s->polls == NULL) {
    libuv__free(s);
    return AFDIO_ENOMEM;
  }
  for (; s->count < pp->count; s->count++) {
    rc = uv_poll_init_socket(&s->loop, &s->polls[s->count],
                             pp->socks[s->count]);
    if (rc == 0 && (rc = uv_poll_start(&s->polls[s->count], UV_READABLE,
                                       libuv__on_poll)) < 0)
      s->count++;
    if (rc < 0) {
      libuv__free(s);
      return libuv__error(rc);
    }
  }
  *state = s;
  return 0;
}

static int libuv__run(bench_pp_t *pp, void *state, double stop_at) {
  libuv_bench_t *s = state;
  while (s->error == 0 && bench_now() < stop_at) {
    uv_run(&s->loop, UV_RUN_ONCE);
    pp->waits++;
  }
  return s->error;
}

static void libuv__close(bench_pp_t *pp, void *state) {
  (void)pp;
  libuv__free(state);
}

static void libuv__noop(uv_poll_t *h, int status, int events) {
  (void)h;
  (void)status;
  (void)events;
}

/* regmod: init, start, start again with another mask (libuv's modify),
 * stop, close. A closed handle is released only by a loop iteration, so
 * every cycle runs one (UV_RUN_NOWAIT) even without with_wait. */
static int libuv__churn_regmod(afdio_socket_t sock, int with_wait,
                               double stop_at, uint64_t *cycles) {
  uv_loop_t loop;
  uv_poll_t h;
  uint64_t n = 0;
  int rc = uv_loop_init(&loop);
  while (rc == 0 && bench_now() < stop_at) {
    for (int i = 0; rc == 0 && i < 64; i++, n++) {
      rc = uv_poll_init_socket(&loop, &h, sock);
      if (rc == 0)
        rc = uv_poll_start(&h, UV_READABLE, libuv__noop);
      if (rc == 0 && with_wait)
        uv_run(&loop, UV_RUN_NOWAIT);
      if (rc == 0)
        rc = uv_poll_start(&h, UV_READABLE | UV_PRIORITIZED, libuv__noop);
      if (rc == 0 && with_wait)
        uv_run(&loop, UV_RUN_NOWAIT);
      uv_poll_stop(&h);
      uv_close((uv_handle_t *)&h, NULL);
      uv_run(&loop, UV_RUN_NOWAIT);
    }
  }
  uv_loop_close(&loop);
  *cycles = n;
  return rc < 0 ? libuv__error(rc) : 0;
}

static int libuv__churn_create(double stop_at, uint64_t *cycles) {
  uv_loop_t loop;
  uv_poll_t h;
  uint64_t n = 0;
  int rc = uv_loop_init(&loop);
  while (rc == 0 && bench_now() < stop_at) {
    afdio_socket_t s;
    if ((rc = bench_tcp_socket(&s)) < 0)
      break;
    rc = uv_poll_init_socket(&loop, &h, s);
    if (rc == 0) {
      rc = uv_poll_start(&h, UV_READABLE, libuv__noop);
      uv_run(&loop, UV_RUN_NOWAIT);
      uv_close((uv_handle_t *)&h, NULL);
      uv_run(&loop, UV_RUN_NOWAIT);
    }
    bench_close(s);
    n++;
  }
  uv_loop_close(&loop);
  *cycles = n;
  return rc == 0 ? 0 : rc < 0 && rc > -1000 ? libuv__error(rc) : rc;
}

const bench_backend_t bench_libuv = {
    .churn_regmod = libuv__churn_regmod,
    .churn_create = libuv__churn_create,
    .name = "libuv",
    .open = libuv__open,
    .run = libuv__run,
    .close = libuv__close,
};

/* ------------------------------------------------------------------------ */
/* Timers: uv_timer_t, the counterpart of afdio's timers                     */

static void libuv__on_timer(uv_timer_t *t) {
  ++*(size_t *)t->loop->data;
}

static int libuv__timers_make(uv_loop_t *loop, uv_timer_t **t, size_t count) {
  int rc = uv_loop_init(loop);
  *t = rc == 0 ? calloc(count, sizeof **t) : NULL;
  if (rc == 0 && *t == NULL)
    rc = UV_ENOMEM;
  for (size_t i = 0; rc == 0 && i < count; i++)
    rc = uv_timer_init(loop, &(*t)[i]);
  return rc;
}

static void libuv__timers_free(uv_loop_t *loop, uv_timer_t *t, size_t count) {
  for (size_t i = 0; t != NULL && i < count; i++)
    uv_close((uv_handle_t *)&t[i], NULL);
  uv_run(loop, UV_RUN_DEFAULT);
  uv_loop_close(loop);
  free(t);
}

static int libuv__arm_disarm(const uint64_t *delays, size_t others,
                             uint64_t cycles, double *secs, long long *allocs) {
  uv_loop_t loop;
  uv_timer_t *t = NULL;
  int rc = libuv__timers_make(&loop, &t, others + 1);
  for (size_t i = 0; rc == 0 && i < others; i++)
    rc = uv_timer_start(&t[i], libuv__on_timer, 3600000 + delays[i], 0);
  long long a0 = bench_allocs();
  double start = bench_now();
  for (uint64_t c = 0; rc == 0 && c < cycles; c++) {
    rc = uv_timer_start(&t[others], libuv__on_timer,
                        3600000 + delays[c % others], 0);
    if (rc == 0)
      rc = uv_timer_stop(&t[others]);
  }
  *secs = bench_now() - start;
  *allocs = bench_allocs() - a0;
  libuv__timers_free(&loop, t, others + 1);
  return rc < 0 ? libuv__error(rc) : 0;
}

static int libuv__fire(const uint64_t *delays, size_t count, double *arm_s,
                       double *fire_s) {
  uv_loop_t loop;
  uv_timer_t *t = NULL;
  size_t fired = 0;
  uint64_t spread = 0;
  int rc = libuv__timers_make(&loop, &t, count);
  loop.data = &fired;
  uv_update_time(&loop);
  double start = bench_now();
  for (size_t i = 0; rc == 0 && i < count; i++) {
    rc = uv_timer_start(&t[i], libuv__on_timer, delays[i], 0);
    spread = delays[i] > spread ? delays[i] : spread;
  }
  *arm_s = bench_now() - start;
  while (rc == 0 && bench_now() < start + (double)(spread + 2) / 1000)
    ; /* until every timer is due: not measured */
  start = bench_now();
  while (rc == 0 && fired < count)
    uv_run(&loop, UV_RUN_ONCE);
  *fire_s = bench_now() - start;
  libuv__timers_free(&loop, t, count);
  return rc < 0 ? libuv__error(rc) : 0;
}

const bench_timer_backend_t bench_libuv_timers = {
    .name = "libuv",
    .arm_disarm = libuv__arm_disarm,
    .fire = libuv__fire,
};
