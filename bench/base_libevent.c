/*
 * libevent as a baseline: one persistent EV_READ event per socket, on the
 * default event_base (epoll here), level-triggered, one recv per callback.
 * The loop runs one iteration per event_base_loop(EVLOOP_ONCE).
 */
#include "bench.h"

#include <event2/event.h>
#include <stdlib.h>

typedef struct libevent_bench {
  struct event_base *base;
  bench_pp_t *pp;
  struct event **events;
  size_t count;
  int error;
} libevent_bench_t;

typedef struct libevent_slot {
  libevent_bench_t *s;
  size_t slot;
} libevent_slot_t;

static libevent_slot_t *libevent__slots;

static void libevent__on_read(evutil_socket_t fd, short what, void *arg) {
  libevent_slot_t *slot = arg;
  (void)fd;
  (void)what;
  int rc = bench_pp_readable(slot->s->pp, slot->slot, 0);
  if (rc < 0)
    slot->s->error = rc;
}

static void libevent__free(libevent_bench_t *s) {
  for (size_t i = 0; i < s->count; i++)
    event_free(s->events[i]);
  if (s->base != NULL)
    event_base_free(s->base);
  free(s->events);
  free(libevent__slots);
  libevent__slots = NULL;
  free(s);
}

static int libevent__open(bench_pp_t *pp, void **state) {
  libevent_bench_t *s = calloc(1, sizeof *s);
  if (s == NULL)
    return AFDIO_ENOMEM;
  s->pp = pp;
  s->base = event_base_new();
  s->events = calloc(pp->count, sizeof *s->events);
  libevent__slots = calloc(pp->count, sizeof *libevent__slots);
  if (s->base == NULL || s->events == NULL || libevent__slots == NULL) {
    libevent__free(s);
    return AFDIO_ENOMEM;
  }
  for (; s->count < pp->count; s->count++) {
    libevent_slot_t *slot = &libevent__slots[s->count];
    slot->s = s;
    slot->slot = s->count;
    struct event *ev = event_new(s->base, pp->socks[s->count],
                                 EV_READ | EV_PERSIST, libevent__on_read, slot);
    if (ev == NULL || event_add(ev, NULL) < 0) {
      if (ev != NULL)
        event_free(ev);
      libevent__free(s);
      return AFDIO_EIO;
    }
    s->events[s->count] = ev;
  }
  *state = s;
  return 0;
}

static int libevent__run(bench_pp_t *pp, void *state, double stop_at) {
  libevent_bench_t *s = state;
  while (s->error == 0 && bench_now() < stop_at) {
    if (event_base_loop(s->base, EVLOOP_ONCE) < 0)
      return AFDIO_EIO;
    pp->waits++;
  }
  return s->error;
}

static void libevent__close(bench_pp_t *pp, void *state) {
  (void)pp;
  libevent__free(state);
}

static void libevent__noop(evutil_socket_t fd, short what, void *arg) {
  (void)fd;
  (void)what;
  (void)arg;
}

/* regmod: libevent has no modify, so a change of mask is event_del,
 * event_assign with the new mask, event_add. EV_CLOSED stands for the
 * second interest (EPOLLRDHUP here): an idle socket has neither. */
static int libevent__churn_regmod(afdio_socket_t sock, int with_wait,
                                  double stop_at, uint64_t *cycles) {
  struct event_base *base = event_base_new();
  struct event *ev = event_new(base, sock, EV_READ | EV_PERSIST,
                               libevent__noop, NULL);
  uint64_t n = 0;
  int rc = base != NULL && ev != NULL ? 0 : AFDIO_ENOMEM;
  while (rc == 0 && bench_now() < stop_at) {
    for (int i = 0; rc == 0 && i < 64; i++, n++) {
      event_assign(ev, base, sock, EV_READ | EV_PERSIST, libevent__noop, NULL);
      if (event_add(ev, NULL) < 0)
        rc = AFDIO_EIO;
      if (rc == 0 && with_wait)
        event_base_loop(base, EVLOOP_NONBLOCK);
      event_del(ev);
      event_assign(ev, base, sock, EV_READ | EV_CLOSED | EV_PERSIST,
                   libevent__noop, NULL);
      if (rc == 0 && event_add(ev, NULL) < 0)
        rc = AFDIO_EIO;
      if (rc == 0 && with_wait)
        event_base_loop(base, EVLOOP_NONBLOCK);
      event_del(ev);
      if (rc == 0 && with_wait)
        event_base_loop(base, EVLOOP_NONBLOCK);
    }
  }
  if (ev != NULL)
    event_free(ev);
  if (base != NULL)
    event_base_free(base);
  *cycles = n;
  return rc;
}

/* No create cycle: with a never-connected TCP socket (which epoll reports
 * as EPOLLHUP at once), event_base_loop(EVLOOP_NONBLOCK) did not return
 * here (libevent 2.1.12); not investigated further. */

const bench_backend_t bench_libevent = {
    .churn_regmod = libevent__churn_regmod,
    .name = "libevent",
    .open = libevent__open,
    .run = libevent__run,
    .close = libevent__close,
};
