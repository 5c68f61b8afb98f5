/* The threads inside afdio_poller_wait() of one poller, counted so that
 * afdio_poller_delete() can wake them and free the poller only after the
 * last one has left (as wepoll's epoll_close does for its port). Used by
 * core/poller.c for every backend that fills core/backend.h (each wakes its
 * waiters its own way: afdio__backend_wake_all()), then drains. The
 * Windows selector counts its waiters under its own lock instead.
 *
 * The hot path is two atomic additions per wait and two loads, no lock: a
 * waiter counts itself in, then looks at the closing flag; delete sets the
 * flag, then looks at the count (both sequentially consistent), so either
 * the waiter sees the flag and leaves, or delete sees the waiter and waits
 * for it. A waiter touches nothing of the poller after counting itself
 * out. A call that only begins while delete runs is the caller's race, as
 * for free(). */
#ifndef AFDIO_CORE_WAITERS_H
#define AFDIO_CORE_WAITERS_H

typedef struct afdio__waiters {
  int count;   /* threads inside a wait */
  int closing; /* set once by delete */
} afdio__waiters_t;

/* A wait begins: 0 when the poller is being deleted (return
 * AFDIO_ECANCELED), else 1 and the thread is counted until
 * afdio__waiters_leave(). Inline: this is on every wait. */
static inline int afdio__waiters_enter(afdio__waiters_t *w) {
  __atomic_add_fetch(&w->count, 1, __ATOMIC_SEQ_CST);
  if (!__atomic_load_n(&w->closing, __ATOMIC_SEQ_CST))
    return 1;
  __atomic_sub_fetch(&w->count, 1, __ATOMIC_SEQ_CST);
  return 0;
}

/* A wait ends: the thread's last touch of the poller, which delete may
 * free right after. */
static inline void afdio__waiters_leave(afdio__waiters_t *w) {
  __atomic_sub_fetch(&w->count, 1, __ATOMIC_SEQ_CST);
}

/* 1 once delete has begun; checked after each kernel wait, so a woken
 * waiter returns AFDIO_ECANCELED. */
static inline int afdio__waiters_closing(const afdio__waiters_t *w) {
  return __atomic_load_n(&w->closing, __ATOMIC_SEQ_CST);
}

/* Delete begins: marks the poller closing and returns how many waiters are
 * inside (the caller then wakes them, and drains). */
int afdio__waiters_close(afdio__waiters_t *w);

/* Returns once every waiter has left. They have been woken, so this is
 * short: it polls the count with brief sleeps, which keeps the waiters'
 * way out a single atomic subtraction. */
void afdio__waiters_drain(afdio__waiters_t *w);

#endif
