/* The portable poller: the public afdio_poller_* and afdio_waker_* calls
 * for every backend that fills core/backend.h (epoll, kqueue, poll). What
 * is the same everywhere is here, written once; the backend does the
 * kernel's part. */
#include <limits.h>
#include <stdlib.h>

#include "core/backend.h"
#include "core/deadline.h"
#include "core/pipe_name.h"

/* The longest timeout in milliseconds a round asks the timers about; a
 * longer wait loops until its deadline. */
#define POLLER__MAX_MS (INT_MAX / 2)

static afdio__poller_base_t *poller__base(afdio_poller_t *p) {
  return (afdio__poller_base_t *)(void *)p;
}

static afdio__waker_base_t *poller__waker_base(afdio_waker_t *w) {
  return (afdio__waker_base_t *)(void *)w;
}

const char *afdio_backend(void) {
  return afdio__backend_name;
}

afdio__timers_t **afdio__poller_timers(afdio_poller_t *p) {
  return &poller__base(p)->timers;
}

/* ------------------------------------------------------------------------ */
/* Lifetime                                                                  */

int afdio_poller_new(afdio_poller_t **out) {
  if (out == NULL)
    return AFDIO_EINVAL;
  *out = NULL;
  afdio_poller_t *p = calloc(1, afdio__backend_size);
  if (p == NULL)
    return AFDIO_ENOMEM;
  afdio__lock_init(&poller__base(p)->lock);
  int err = afdio__backend_open(p);
  if (err != 0) {
    afdio__backend_close(p);
    afdio__lock_destroy(&poller__base(p)->lock);
    free(p);
    return err;
  }
  *out = p;
  return 0;
}

/* Threads blocked in a wait are woken and leave with AFDIO_ECANCELED;
 * nothing is freed before the last one has left (core/waiters.h). */
int afdio_poller_delete(afdio_poller_t *p) {
  if (p == NULL)
    return AFDIO_EINVAL;
  afdio__poller_base_t *base = poller__base(p);
  afdio__poller_gone(p); /* net/ objects forget it (core/pipe_name.h) */
  if (afdio__waiters_close(&base->waiters) > 0) {
    afdio__backend_wake_all(p);
    afdio__waiters_drain(&base->waiters);
  }
  afdio__timers_delete(p); /* no waiter is left */
  while (base->wakers != NULL) {
    afdio_waker_t *w = base->wakers;
    base->wakers = poller__waker_base(w)->next;
    afdio__backend_waker_close(w);
    free(w);
  }
  afdio__backend_close(p);
  afdio__lock_destroy(&base->lock);
  free(p);
  return 0;
}

/* ------------------------------------------------------------------------ */
/* Registrations: checked, then the backend's change under the lock, so that
 * concurrent calls on one socket leave the backend's table as the kernel
 * has it.                                                                   */

int afdio_poller_register(afdio_poller_t *p, afdio_socket_t s, uint64_t token,
                          uint32_t interest) {
  int err = afdio__poller_check_register(p, s, interest);
  if (err != 0)
    return err;
  afdio__lock(&poller__base(p)->lock);
  err = afdio__backend_add(p, s, token, interest);
  afdio__unlock(&poller__base(p)->lock);
  return err;
}

int afdio_poller_reregister(afdio_poller_t *p, afdio_socket_t s, uint64_t token,
                            uint32_t interest) {
  int err = afdio__poller_check_register(p, s, interest);
  if (err != 0)
    return err;
  afdio__lock(&poller__base(p)->lock);
  err = afdio__backend_modify(p, s, token, interest);
  afdio__unlock(&poller__base(p)->lock);
  return err;
}

int afdio_poller_deregister(afdio_poller_t *p, afdio_socket_t s) {
  int err = afdio__poller_check_socket(p, s);
  if (err != 0)
    return err;
  afdio__lock(&poller__base(p)->lock);
  err = afdio__backend_remove(p, s);
  afdio__unlock(&poller__base(p)->lock);
  return err;
}

int afdio_poller_rearm(afdio_poller_t *p, afdio_socket_t s, uint32_t events) {
  int err = afdio__poller_check_rearm(p, s, events);
  if (err != 0)
    return err;
  afdio__lock(&poller__base(p)->lock);
  err = afdio__backend_rearm(p, s, events);
  afdio__unlock(&poller__base(p)->lock);
  return err;
}

/* ------------------------------------------------------------------------ */
/* Waiting                                                                   */

/* The nanoseconds the next round may sleep: -1 for ever, 0 for a poll,
 * else what remains of the deadline, or less when a timer is due first
 * (*round: for the backend's capacity and afdio__timers_collect()). */
static int64_t poller__next_timeout(afdio_poller_t *p, int64_t timeout_ms,
                                    int64_t deadline, int capacity,
                                    afdio__timers_round_t *round) {
  int64_t left = timeout_ms <= 0 ? (timeout_ms < 0 ? -1 : 0)
                                 : afdio__deadline_remaining_ns(deadline);
  int64_t want =
      left <= 0 ? left : afdio__deadline_ns_to_ms(left, POLLER__MAX_MS);
  int64_t ms = afdio__timers_wait_ms(p, want, capacity, round);
  if (ms != want)
    left = ms * INT64_C(1000000);
  return left;
}

/* The wait proper; a poller being deleted ends it with AFDIO_ECANCELED. */
static int poller__wait(afdio_poller_t *p, afdio_event_t *events, int capacity,
                        int64_t timeout_ms) {
  int64_t deadline = timeout_ms > 0 ? afdio__deadline_from_ms(timeout_ms) : 0;
  for (;;) {
    afdio__timers_round_t round;
    int64_t ns =
        poller__next_timeout(p, timeout_ms, deadline, capacity, &round);
    int n =
        round.room > 0 ? afdio__backend_collect(p, events, round.room, ns) : 0;
    n = afdio__timers_collect(p, events, n, capacity, &round);
    if (afdio__waiters_closing(&poller__base(p)->waiters))
      return AFDIO_ECANCELED;
    if (n != 0)
      return n;
    if (timeout_ms == 0)
      return 0;
    if (timeout_ms > 0 && afdio__deadline_remaining_ns(deadline) == 0)
      return 0;
  }
}

int afdio_poller_wait(afdio_poller_t *p, afdio_event_t *events, size_t capacity,
                      int64_t timeout_ms) {
  int err = afdio__poller_check_wait(p, events, capacity);
  if (err != 0)
    return err;
  afdio__waiters_t *waiters = &poller__base(p)->waiters;
  if (!afdio__waiters_enter(waiters))
    return AFDIO_ECANCELED;
  int n = poller__wait(p, events, capacity > INT_MAX ? INT_MAX : (int)capacity,
                       timeout_ms);
  afdio__waiters_leave(waiters);
  return n;
}

/* ------------------------------------------------------------------------ */
/* Wakers                                                                    */

int afdio_waker_new(afdio_poller_t *p, uint64_t token, afdio_waker_t **out) {
  if (out != NULL)
    *out = NULL;
  if (p == NULL || out == NULL)
    return AFDIO_EINVAL;
  afdio_waker_t *w = calloc(1, afdio__backend_waker_size);
  if (w == NULL)
    return AFDIO_ENOMEM;
  afdio__poller_base_t *base = poller__base(p);
  afdio__waker_base_t *wb = poller__waker_base(w);
  wb->poller = p;
  int err = afdio__backend_waker_open(w, token);
  if (err != 0) {
    afdio__backend_waker_close(w);
    free(w);
    return err;
  }
  afdio__lock(&base->lock);
  wb->next = base->wakers;
  if (wb->next != NULL)
    poller__waker_base(wb->next)->prev = w;
  base->wakers = w;
  afdio__unlock(&base->lock);
  *out = w;
  return 0;
}

int afdio_waker_wake(afdio_waker_t *w) {
  return w == NULL ? AFDIO_EINVAL : afdio__backend_waker_wake(w);
}

int afdio_waker_delete(afdio_waker_t *w) {
  if (w == NULL)
    return AFDIO_EINVAL;
  afdio__waker_base_t *wb = poller__waker_base(w);
  afdio__poller_base_t *base = poller__base(wb->poller);
  afdio__lock(&base->lock);
  if (wb->prev != NULL)
    poller__waker_base(wb->prev)->next = wb->next;
  else
    base->wakers = wb->next;
  if (wb->next != NULL)
    poller__waker_base(wb->next)->prev = wb->prev;
  afdio__unlock(&base->lock);
  afdio__backend_waker_close(w);
  free(w);
  return 0;
}
