/*
 * WSAPoll as a baseline (Windows): one WSAPOLLFD array over every socket,
 * passed whole on each call and scanned whole after it, as a WSAPoll loop
 * is written; level-triggered, one recv per ready socket.
 */
#include "bench.h"

#include <winsock2.h>

#include <stdlib.h>

typedef struct wsapoll_bench {
  WSAPOLLFD *fds;
  size_t count;
} wsapoll_bench_t;

static int wsapoll__open(bench_pp_t *pp, void **state) {
  wsapoll_bench_t *s = calloc(1, sizeof *s);
  if (s == NULL)
    return AFDIO_ENOMEM;
  s->fds = calloc(pp->count, sizeof *s->fds);
  if (s->fds == NULL) {
    free(s);
    return AFDIO_ENOMEM;
  }
  s->count = pp->count;
  for (size_t i = 0; i < pp->count; i++) {
    s->fds[i].fd = (SOCKET)pp->socks[i];
    s->fds[i].events = POLLRDNORM;
  }
  *state = s;
  return 0;
}

static int wsapoll__run(bench_pp_t *pp, void *state, double stop_at) {
  wsapoll_bench_t *s = state;
  while (bench_now() < stop_at) {
    int n = WSAPoll(s->fds, (ULONG)s->count, 1000);
    if (n < 0)
      return AFDIO_EIO;
    pp->waits++;
    for (size_t i = 0; n > 0 && i < s->count; i++) {
      if (s->fds[i].revents == 0)
        continue;
      n--;
      int rc = bench_pp_readable(pp, i, 0);
      if (rc < 0)
        return rc;
    }
  }
  return 0;
}

static void wsapoll__close(bench_pp_t *pp, void *state) {
  wsapoll_bench_t *s = state;
  (void)pp;
  free(s->fds);
  free(s);
}

/* create, for comparison: a WSAPoll program "registers" by adding the
 * socket to its array, so the cycle is socket, a zero-timeout WSAPoll on
 * it, close. */
static int wsapoll__churn_create(double stop_at, uint64_t *cycles) {
  uint64_t n = 0;
  int rc = 0;
  while (rc == 0 && bench_now() < stop_at) {
    afdio_socket_t s;
    if ((rc = bench_tcp_socket(&s)) < 0)
      break;
    WSAPOLLFD fd = {.fd = (SOCKET)s, .events = POLLRDNORM};
    if (WSAPoll(&fd, 1, 0) < 0)
      rc = AFDIO_EIO;
    bench_close(s);
    n++;
  }
  *cycles = n;
  return rc;
}

const bench_backend_t bench_wsapoll = {
    .churn_create = wsapoll__churn_create,
    .name = "wsapoll",
    .open = wsapoll__open,
    .run = wsapoll__run,
    .close = wsapoll__close,
};
