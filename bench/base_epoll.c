/*
 * Raw epoll, the floor natively, in two modes:
 * - "epoll": EPOLLET, each event drained to EAGAIN: the same I/O pattern
 *   as afdio's edge mode, so the difference is the poller's own cost;
 * - "epoll-lt": level-triggered, one recv per event.
 */
#include "bench.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#define EPOLL_BENCH_EVENTS 1024

typedef struct epoll_bench {
  int epfd;
  int edge;
  struct epoll_event events[EPOLL_BENCH_EVENTS];
} epoll_bench_t;

static int epoll__error(void) {
  return errno == ENOMEM ? AFDIO_ENOMEM : errno == EMFILE ? AFDIO_EMFILE
                                                          : AFDIO_EIO;
}

static int epoll__open(bench_pp_t *pp, void **state, int edge) {
  epoll_bench_t *s = calloc(1, sizeof *s);
  if (s == NULL)
    return AFDIO_ENOMEM;
  s->edge = edge;
  s->epfd = epoll_create1(EPOLL_CLOEXEC);
  int rc = s->epfd < 0 ? epoll__error() : 0;
  for (size_t i = 0; rc == 0 && i < pp->count; i++) {
    struct epoll_event ev = {.events = EPOLLIN | (edge ? EPOLLET : 0u),
                             .data.u64 = i};
    if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, pp->socks[i], &ev) < 0)
      rc = epoll__error();
  }
  if (rc < 0) {
    if (s->epfd >= 0)
      close(s->epfd);
    free(s);
    return rc;
  }
  *state = s;
  return 0;
}

static int epoll__open_et(bench_pp_t *pp, void **state) {
  return epoll__open(pp, state, 1);
}

static int epoll__open_lt(bench_pp_t *pp, void **state) {
  return epoll__open(pp, state, 0);
}

static int epoll__run(bench_pp_t *pp, void *state, double stop_at) {
  epoll_bench_t *s = state;
  while (bench_now() < stop_at) {
    int n = epoll_wait(s->epfd, s->events, EPOLL_BENCH_EVENTS, 1000);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return epoll__error();
    }
    pp->waits++;
    for (int i = 0; i < n; i++) {
      int rc = bench_pp_readable(pp, (size_t)s->events[i].data.u64, s->edge);
      if (rc < 0)
        return rc;
    }
  }
  return 0;
}

static void epoll__close(bench_pp_t *pp, void *state) {
  epoll_bench_t *s = state;
  (void)pp;
  close(s->epfd);
  free(s);
}

static int epoll__ctl(int epfd, int op, int fd, uint32_t events) {
  struct epoll_event ev = {.events = events, .data.u64 = 1};
  return epoll_ctl(epfd, op, fd, &ev) == 0 ? 0 : epoll__error();
}

static int epoll__flush(int epfd) {
  struct epoll_event ev[8];
  return epoll_wait(epfd, ev, 8, 0) < 0 ? epoll__error() : 0;
}

static int epoll__churn_regmod(afdio_socket_t sock, int with_wait,
                               double stop_at, uint64_t *cycles) {
  int epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0)
    return epoll__error();
  uint64_t n = 0;
  int rc = 0;
  while (rc == 0 && bench_now() < stop_at) {
    for (int i = 0; rc == 0 && i < 64; i++, n++) {
      rc = epoll__ctl(epfd, EPOLL_CTL_ADD, sock, EPOLLIN | EPOLLET);
      if (rc == 0 && with_wait)
        rc = epoll__flush(epfd);
      if (rc == 0)
        rc = epoll__ctl(epfd, EPOLL_CTL_MOD, sock, EPOLLIN | EPOLLPRI | EPOLLET);
      if (rc == 0 && with_wait)
        rc = epoll__flush(epfd);
      if (rc == 0)
        rc = epoll__ctl(epfd, EPOLL_CTL_DEL, sock, 0);
      if (rc == 0 && with_wait)
        rc = epoll__flush(epfd);
    }
  }
  close(epfd);
  *cycles = n;
  return rc;
}

static int epoll__churn_create(double stop_at, uint64_t *cycles) {
  int epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0)
    return epoll__error();
  uint64_t n = 0;
  int rc = 0;
  while (rc == 0 && bench_now() < stop_at) {
    afdio_socket_t s;
    if ((rc = bench_tcp_socket(&s)) < 0)
      break;
    rc = epoll__ctl(epfd, EPOLL_CTL_ADD, s, EPOLLIN | EPOLLET);
    if (rc == 0)
      rc = epoll__flush(epfd);
    bench_close(s);
    n++;
  }
  close(epfd);
  *cycles = n;
  return rc;
}

const bench_backend_t bench_epoll_et = {
    .name = "epoll",
    .open = epoll__open_et,
    .run = epoll__run,
    .close = epoll__close,
    .churn_regmod = epoll__churn_regmod,
    .churn_create = epoll__churn_create,
};

const bench_backend_t bench_epoll_lt = {
    .name = "epoll-lt",
    .open = epoll__open_lt,
    .run = epoll__run,
    .close = epoll__close,
};
