/* The threads inside afdio_poller_wait() of one Unix poller, counted so
 * that afdio_poller_delete() can wake them and free the poller only after
 * the last one has left (as wepoll's epoll_close does for its port). Used
 * by unix/epoll.c and unix/kqueue.c under the poller's own mutex; each
 * backend wakes its waiters its own way (a level-triggered wake
 * descriptor, a user knote), then drains.
 *
 * The hot path costs one lock/unlock at entry and one at exit of a wait;
 * the count is never touched inside the kernel wait. */
#ifndef AFDIO_UNIX_WAITERS_H
#define AFDIO_UNIX_WAITERS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "afdio.h"

typedef struct afdio__waiters {
  pthread_mutex_t *lock; /* the poller's */
  pthread_cond_t idle; /* signalled when the last waiter leaves a closing poller */
  int count;           /* threads inside a wait; under the lock */
  int closing;         /* set once by delete; read atomically */
} afdio__waiters_t;

/* lock is the poller's mutex. Errors: AFDIO_ENOMEM. */
int afdio__waiters_init(afdio__waiters_t *w, pthread_mutex_t *lock);
void afdio__waiters_cleanup(afdio__waiters_t *w);

/* A wait begins: AFDIO_ECANCELED when the poller is being deleted, else 0
 * and the thread is counted until afdio__waiters_leave(). Takes the lock. */
int afdio__waiters_enter(afdio__waiters_t *w);

/* A wait ends; the last one out of a closing poller wakes the deleter.
 * Takes the lock. */
void afdio__waiters_leave(afdio__waiters_t *w);

/* A backend's wait proper: capacity is at most INT_MAX. */
typedef int (*afdio__waiters_wait_fn)(afdio_poller_t *poller,
                                      afdio_event_t *events, int capacity,
                                      int64_t timeout_ms);

/* afdio_poller_wait() once its arguments are checked: enters, runs wait,
 * leaves. The capacity is clamped to INT_MAX. */
int afdio__waiters_wait(afdio__waiters_t *w, afdio__waiters_wait_fn wait,
                        afdio_poller_t *poller, afdio_event_t *events,
                        size_t capacity, int64_t timeout_ms);

/* 1 once delete has begun; any thread, without the lock (checked after each
 * kernel wait, so a woken waiter returns AFDIO_ECANCELED). */
int afdio__waiters_closing(const afdio__waiters_t *w);

/* Delete begins: marks the poller closing and returns how many waiters are
 * inside (the caller then wakes them, and drains). Lock held. */
int afdio__waiters_close(afdio__waiters_t *w);

/* Blocks until every waiter has left. Lock held (released while blocked). */
void afdio__waiters_drain(afdio__waiters_t *w);

#endif
