/*
 * The backend contract: what a readiness backend implements, and what the
 * portable poller (core/poller.c) does for all of them.
 *
 * core/poller.c owns the public afdio_poller_* and afdio_waker_* functions:
 * allocation, the argument and interest checks (core/interest.h), the lock
 * around every registration change, the waker list, the count of waiting
 * threads for a safe delete (core/waiters.h), the deadline arithmetic
 * (core/deadline.h) and the timer hooks (core/timer.h). A backend fills the
 * functions below, each short, the way redis's ae_epoll.c / ae_kqueue.c /
 * ae_select.c fill one interface. One backend is linked per build (build.zig
 * picks it), so the calls are direct, not through a table of pointers.
 *
 * Backends: unix/epoll.c, unix/kqueue.c, unix/poll.c (also WASI's). The Windows
 * selector (iocp/selector.c) arms its polls inside the wait under its own lock
 * and keeps its own public functions; it shares the checks of this header
 * (afdio__poller_check_*) and the deadline arithmetic.
 *
 * Layout: a backend's struct afdio_poller begins with an afdio__poller_base_t
 * named base, and its struct afdio_waker with an afdio__waker_base_t named
 * base, so the portable code reaches them by a cast.
 *
 * Rules for every afdio__backend_* function:
 * - Errors are negative AFDIO_E* codes as afdio.h documents them for the
 *   public call it serves; a system error with no documented meaning there
 *   is AFDIO_EIO. Never errno.
 * - Arguments are checked already: poller and waker non-NULL, socket a
 *   valid value, interest and rearm sets valid (core/interest.h).
 * - "Under the lock": base.lock is held by the caller. It is never held
 *   across a blocking wait, so a registration change on another thread
 *   takes effect while a thread waits; a backend whose kernel does not see
 *   such a change by itself (poll(2)) wakes the waiters to pick it up.
 */
#ifndef AFDIO_CORE_BACKEND_H
#define AFDIO_CORE_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "afdio.h"
#include "core/interest.h"
#include "core/sys.h"
#include "core/timer.h"
#include "core/waiters.h"

typedef struct afdio__poller_base {
  afdio__lock_t lock;       /* registration changes and the waker list */
  afdio_waker_t *wakers;    /* every live waker, for delete */
  afdio__waiters_t waiters; /* threads inside afdio_poller_wait() */
  afdio__timers_t *timers;  /* core/timer.c's, NULL until the first timer */
} afdio__poller_base_t;

typedef struct afdio__waker_base {
  afdio_poller_t *poller;
  afdio_waker_t *prev, *next;
} afdio__waker_base_t;

/* The checks every backend (the Windows selector included) makes first, so
 * all of them refuse the same inputs with AFDIO_EINVAL before they look at
 * any state. */
static inline int afdio__poller_check_register(const afdio_poller_t *p,
                                               afdio_socket_t s,
                                               uint32_t interest) {
  if (p == NULL || AFDIO__SYS_SOCKET_INVALID(s))
    return AFDIO_EINVAL;
  return afdio__interest_check(interest);
}

static inline int afdio__poller_check_socket(const afdio_poller_t *p,
                                             afdio_socket_t s) {
  return p == NULL || AFDIO__SYS_SOCKET_INVALID(s) ? AFDIO_EINVAL : 0;
}

static inline int afdio__poller_check_rearm(const afdio_poller_t *p,
                                            afdio_socket_t s, uint32_t events) {
  if (p == NULL || AFDIO__SYS_SOCKET_INVALID(s))
    return AFDIO_EINVAL;
  return afdio__rearm_check(events);
}

static inline int afdio__poller_check_wait(const afdio_poller_t *p,
                                           const afdio_event_t *events,
                                           size_t capacity) {
  return p == NULL || events == NULL || capacity == 0 ? AFDIO_EINVAL : 0;
}

/* ------------------------------------------------------------------------ */
/* What a backend implements                                                 */

/* The name afdio_backend() returns. */
extern const char afdio__backend_name[];

/* 1 when edge mode needs afdio_poller_rearm() after would-block or a short
 * count to report the next readiness (poll(2), which emulates edges), 0
 * when the kernel reports new edges by itself (epoll, kqueue): net/ may
 * then skip the rearm's lock on its hot paths (net/pipe_unix.c). */
extern const int afdio__backend_edge_needs_rearm;

/* Lifetime. core/poller.c allocates afdio__backend_size bytes, zeroed, and
 * initialises base. open() makes what the kernel needs; AFDIO_ENOMEM,
 * AFDIO_EMFILE, AFDIO_ENOSYS or AFDIO_EIO. close() releases what open()
 * made, also after an open() that failed halfway (so open() marks its
 * descriptors -1 before it makes any); it runs when no thread waits any
 * more and every waker and timer is gone, and core frees the memory.
 * wake_all() makes every thread blocked in collect() return, now and in
 * every later round, without reporting anything (afdio_poller_delete()
 * calls it once, after base.waiters says the poller is closing). */
extern const size_t afdio__backend_size;
int afdio__backend_open(afdio_poller_t *p);
void afdio__backend_close(afdio_poller_t *p);
void afdio__backend_wake_all(afdio_poller_t *p);

/* Registrations, under the lock. add(): AFDIO_EEXIST when the socket is
 * registered, else as afdio_poller_register(). modify(): replaces token
 * and interest and re-arms (a oneshot armed again, an edge one reporting
 * what holds now); AFDIO_ENOENT when not registered, a closed socket
 * included. remove(): AFDIO_ENOENT when not registered; no event for the
 * socket is reported by a collect() that starts afterwards. rearm(): the
 * events would block again (edge mode); AFDIO_ENOENT when not registered. */
int afdio__backend_add(afdio_poller_t *p, afdio_socket_t s, uint64_t token,
                       uint32_t interest);
int afdio__backend_modify(afdio_poller_t *p, afdio_socket_t s, uint64_t token,
                          uint32_t interest);
int afdio__backend_remove(afdio_poller_t *p, afdio_socket_t s);
int afdio__backend_rearm(afdio_poller_t *p, afdio_socket_t s, uint32_t events);

/* One blocking round, not under the lock: waits up to timeout_ns (negative:
 * for ever, 0: not at all) and stores at most room (>= 1) events. One
 * system wait per round, never two: a second one would report every level
 * registration again. Returns the count; 0 when nothing came, the time
 * passed, a signal interrupted it or wake_all() was called; or AFDIO_EIO.
 * Several threads may be in it at once; each event goes to one of them. */
int afdio__backend_collect(afdio_poller_t *p, afdio_event_t *events, int room,
                           int64_t timeout_ns);

/* Wakers. core/poller.c allocates afdio__backend_waker_size bytes, zeroed,
 * sets base.poller, and links the waker under the lock once open()
 * succeeded. waker_open() makes wakes give { token, AFDIO_READABLE },
 * coalesced, to one waiting thread; not under the lock. On failure core
 * calls waker_close() (so open() marks its descriptors -1 first) and frees.
 * waker_wake() from any thread. waker_close() stops reporting the waker
 * and drops a queued wake (also at delete); core frees the memory. */
extern const size_t afdio__backend_waker_size;
int afdio__backend_waker_open(afdio_waker_t *w, uint64_t token);
int afdio__backend_waker_wake(afdio_waker_t *w);
void afdio__backend_waker_close(afdio_waker_t *w);

#endif
