/*
 * afdio_epoll, the wepoll-compatible epoll API (compat/), as a benchmark
 * backend of the Windows build, in the three ways a program can use it:
 * - "epoll-api": level-triggered, one recv per event (as "afdio-level");
 * - "epoll-api-et": EPOLLET as a Linux program uses it, drained to
 *   would-block, never telling the poller (as "afdio", minus the rearm);
 * - "epoll-api-exact": EPOLLET | AFDIO_EPOLLEXACT, drained, then
 *   afdio_epoll_rearm() (the same calls as "afdio").
 * Its cost over afdio's native API is the difference to those two.
 */
#include "bench.h"

#include <winsock2.h>

#include <stdlib.h>

#include "afdio_epoll.h"

#define EPOLL_API_BENCH_EVENTS 1024

typedef struct epoll_api_bench {
  HANDLE port;
  uint32_t mode; /* 0, EPOLLET or EPOLLET | AFDIO_EPOLLEXACT */
  struct epoll_event events[EPOLL_API_BENCH_EVENTS];
} epoll_api_bench_t;

static int epoll_api__open(bench_pp_t *pp, void **state, uint32_t mode) {
  epoll_api_bench_t *s = calloc(1, sizeof *s);
  if (s == NULL)
    return AFDIO_ENOMEM;
  s->mode = mode;
  s->port = epoll_create1(0);
  int rc = s->port != NULL ? 0 : AFDIO_EIO;
  for (size_t i = 0; rc == 0 && i < pp->count; i++) {
    struct epoll_event ev = {.events = EPOLLIN | mode, .data.u64 = i};
    if (epoll_ctl(s->port, EPOLL_CTL_ADD, (SOCKET)pp->socks[i], &ev) < 0)
      rc = AFDIO_EIO;
  }
  if (rc < 0) {
    if (s->port != NULL)
      epoll_close(s->port);
    free(s);
    return rc;
  }
  *state = s;
  return 0;
}

static int epoll_api__open_level(bench_pp_t *pp, void **state) {
  return epoll_api__open(pp, state, 0);
}

static int epoll_api__open_et(bench_pp_t *pp, void **state) {
  return epoll_api__open(pp, state, EPOLLET);
}

static int epoll_api__open_exact(bench_pp_t *pp, void **state) {
  return epoll_api__open(pp, state, EPOLLET | AFDIO_EPOLLEXACT);
}

static int epoll_api__run(bench_pp_t *pp, void *state, double stop_at) {
  epoll_api_bench_t *s = state;
  int drain = s->mode != 0;
  while (bench_now() < stop_at) {
    int n = epoll_wait(s->port, s->events, EPOLL_API_BENCH_EVENTS, 1000);
    if (n < 0)
      return AFDIO_EIO;
    pp->waits++;
    for (int i = 0; i < n; i++) {
      size_t slot = (size_t)s->events[i].data.u64;
      int rc = bench_pp_readable(pp, slot, drain);
      if (rc < 0)
        return rc;
      if ((s->mode & AFDIO_EPOLLEXACT) && rc == 1 &&
          afdio_epoll_rearm(s->port, (SOCKET)pp->socks[slot], EPOLLIN) < 0)
        return AFDIO_EIO;
    }
  }
  return 0;
}

static void epoll_api__close(bench_pp_t *pp, void *state) {
  epoll_api_bench_t *s = state;
  (void)pp;
  epoll_close(s->port);
  free(s);
}

const bench_backend_t bench_epoll_api_level = {
    .name = "epoll-api",
    .open = epoll_api__open_level,
    .run = epoll_api__run,
    .close = epoll_api__close,
};

const bench_backend_t bench_epoll_api_et = {
    .name = "epoll-api-et",
    .open = epoll_api__open_et,
    .run = epoll_api__run,
    .close = epoll_api__close,
};

const bench_backend_t bench_epoll_api_exact = {
    .name = "epoll-api-exact",
    .open = epoll_api__open_exact,
    .run = epoll_api__run,
    .close = epoll_api__close,
};
