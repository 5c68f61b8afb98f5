/* Counting the threads inside a wait: see unix/waiters.h. */
#include "unix/waiters.h"

#include <limits.h>

#include "afdio.h"

int afdio__waiters_init(afdio__waiters_t *w, pthread_mutex_t *lock) {
  w->lock = lock;
  w->count = 0;
  w->closing = 0;
  return pthread_cond_init(&w->idle, NULL) == 0 ? 0 : AFDIO_ENOMEM;
}

void afdio__waiters_cleanup(afdio__waiters_t *w) {
  pthread_cond_destroy(&w->idle);
}

int afdio__waiters_enter(afdio__waiters_t *w) {
  int err = 0;
  pthread_mutex_lock(w->lock);
  if (afdio__waiters_closing(w))
    err = AFDIO_ECANCELED;
  else
    w->count++;
  pthread_mutex_unlock(w->lock);
  return err;
}

void afdio__waiters_leave(afdio__waiters_t *w) {
  pthread_mutex_lock(w->lock);
  if (--w->count == 0 && afdio__waiters_closing(w))
    pthread_cond_signal(&w->idle);
  pthread_mutex_unlock(w->lock);
}

int afdio__waiters_closing(const afdio__waiters_t *w) {
  return __atomic_load_n(&w->closing, __ATOMIC_ACQUIRE);
}

int afdio__waiters_close(afdio__waiters_t *w) {
  __atomic_store_n(&w->closing, 1, __ATOMIC_RELEASE);
  return w->count;
}

void afdio__waiters_drain(afdio__waiters_t *w) {
  while (w->count > 0)
    pthread_cond_wait(&w->idle, w->lock);
}

int afdio__waiters_wait(afdio__waiters_t *w, afdio__waiters_wait_fn wait,
                        afdio_poller_t *poller, afdio_event_t *events,
                        size_t capacity, int64_t timeout_ms) {
  int n = afdio__waiters_enter(w);
  if (n != 0)
    return n;
  n = wait(poller, events, capacity > INT_MAX ? INT_MAX : (int)capacity,
           timeout_ms);
  afdio__waiters_leave(w);
  return n;
}
