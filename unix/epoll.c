/* The epoll backend (Linux). The kernel does nearly everything: EPOLLET is
 * edge mode, EPOLLONESHOT oneshot mode (one event, to one waiting thread,
 * until EPOLL_CTL_MOD), and events beyond a wait's capacity stay queued.
 * This file fills core/backend.h (core/poller.c does the checks, the lock,
 * the waker list and the wait loop): it translates bits at the boundary (in
 * the caller's array, so a wait needs no buffer of its own) and keeps a
 * small table of registrations for afdio_poller_rearm(). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "core/backend.h"
#include "core/deadline.h"
#include "unix/epoll_parked.h"
#include "unix/error.h"
#include "unix/fdtable.h"
#include "unix/wakefd.h"

/* epoll_wait() writes into the caller's own array (see
 * afdio__backend_collect), so a native event must not be larger than an
 * afdio_event_t. */
_Static_assert(sizeof(struct epoll_event) <= sizeof(afdio_event_t),
               "epoll events are translated in place");

/* The kernel refuses more than this many events per call (EP_MAX_EVENTS). */
#define EPOLL__MAX_EVENTS ((int)(INT_MAX / sizeof(struct epoll_event)))

/* The longest single epoll_wait(), well inside an int; longer waits loop
 * until their deadline (core/poller.c), so a huge finite timeout never
 * becomes -1 (infinite) by overflow or clamping. */
#define EPOLL__MAX_MS (INT_MAX / 2)

struct afdio_poller {
  afdio__poller_base_t base; /* base.lock guards table and parking */
  int epfd;
  int parked; /* the parking epoll (unix/epoll_parked.h), -1 until needed */
  afdio__fdtable_t *table;
  afdio__wakefd_t closing; /* signalled once by delete, watched level */
};

/* A table entry's mark for a parked registration. afdio__interest_check()
 * never lets this bit into an interest. */
#define EPOLL__PARKED 0x80000000u

struct afdio_waker {
  afdio__waker_base_t base;
  afdio__wakefd_t wakefd;
};

const char afdio__backend_name[] = "epoll";
const int afdio__backend_edge_needs_rearm = 0; /* EPOLLET */

/* ------------------------------------------------------------------------ */
/* Bits at the boundary                                                      */

/* EPOLLRDHUP is always asked for, so that a peer's FIN shows as
 * READ_CLOSED whatever the interest, as AFD_POLL_DISCONNECT does. */
static uint32_t epoll__native_interest(uint32_t interest) {
  uint32_t native = EPOLLRDHUP;
  if (interest & AFDIO_READABLE)
    native |= EPOLLIN;
  if (interest & AFDIO_WRITABLE)
    native |= EPOLLOUT;
  if (interest & AFDIO_PRIORITY)
    native |= EPOLLPRI;
  if (interest & AFDIO_ONESHOT)
    native |= EPOLLONESHOT;
  else if (!(interest & AFDIO_LEVEL))
    native |= EPOLLET;
  return native;
}

/* The kernel reports EPOLLIN/EPOLLOUT/EPOLLPRI only when asked for. After a
 * reset or a failed connect it sets EPOLLIN and EPOLLOUT itself along with
 * EPOLLHUP (and EPOLLERR), which gives the bits the Windows backend reports
 * for AFD_POLL_ABORT and AFD_POLL_CONNECT_FAIL. EPOLLHUP means both
 * directions are closed. */
static uint32_t epoll__events_from_native(uint32_t native) {
  uint32_t events = 0;
  if (native & EPOLLIN)
    events |= AFDIO_READABLE;
  if (native & EPOLLOUT)
    events |= AFDIO_WRITABLE;
  if (native & EPOLLPRI)
    events |= AFDIO_PRIORITY;
  if (native & EPOLLERR)
    events |= AFDIO_ERROR;
  if (native & (EPOLLRDHUP | EPOLLHUP))
    events |= AFDIO_READ_CLOSED;
  if (native & EPOLLHUP)
    events |= AFDIO_WRITE_CLOSED;
  return events;
}

/* epoll_ctl() errors, as afdio.h documents them. EPERM is what epoll says
 * for a descriptor it cannot watch (a regular file, a directory). */
static int epoll__ctl_error(int errnum) {
  switch (errnum) {
  case EPERM:
    return AFDIO_ENOTSOCK;
  case ENOSPC: /* /proc/sys/fs/epoll/max_user_watches reached */
    return AFDIO_ENOMEM;
  case EINVAL: /* the poller's own epoll fd */
  case ELOOP:  /* epoll instances watching each other */
    return AFDIO_EINVAL;
  case EEXIST:
  case ENOENT:
  case EBADF:
  case ENOMEM:
    return afdio__unix_error(errnum);
  default:
    return AFDIO_EIO;
  }
}

/* Watches fd with the given bits and 64-bit data; AFDIO_ENOMEM or
 * AFDIO_EIO, for the descriptors of the poller itself. */
static int epoll__watch(int epfd, int fd, uint32_t native, uint64_t data) {
  struct epoll_event ev = {.events = native};
  ev.data.u64 = data;
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) == 0)
    return 0;
  return errno == ENOMEM || errno == ENOSPC ? AFDIO_ENOMEM : AFDIO_EIO;
}

/* ------------------------------------------------------------------------ */
/* Poller lifetime                                                           */

/* The descriptor delete signals to wake every waiter. Level-triggered, so
 * that each waiting thread sees it (epoll wakes one waiter per event, and
 * the next one while the event still holds); its event is never reported,
 * as a wait that sees the poller closing returns AFDIO_ECANCELED. */
static int epoll__closing_open(afdio_poller_t *poller) {
  int err = afdio__wakefd_open(&poller->closing);
  if (err != 0)
    return err;
  err = epoll__watch(poller->epfd, poller->closing.read_fd, EPOLLIN, 0);
  if (err != 0)
    afdio__wakefd_close(&poller->closing);
  return err;
}

const size_t afdio__backend_size = sizeof(struct afdio_poller);

int afdio__backend_open(afdio_poller_t *poller) {
  poller->parked = -1;
  poller->closing.read_fd = poller->closing.write_fd = -1;
  poller->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (poller->epfd < 0)
    return afdio__unix_create_error(errno);
  int err = afdio__fdtable_new(&poller->table);
  return err != 0 ? err : epoll__closing_open(poller);
}

void afdio__backend_wake_all(afdio_poller_t *poller) {
  afdio__wakefd_signal(&poller->closing);
}

void afdio__backend_close(afdio_poller_t *poller) {
  afdio__wakefd_close(&poller->closing);
  if (poller->parked >= 0)
    close(poller->parked);
  if (poller->epfd >= 0)
    close(poller->epfd);
  afdio__fdtable_delete(poller->table);
}

/* ------------------------------------------------------------------------ */
/* Registrations (under the lock)                                            */

/* Whether the table's parked entry for fd is still this open file in the
 * parking epoll (not closed since). */
static int epoll__is_parked(afdio_poller_t *poller, afdio_socket_t socket) {
  uint32_t entry = afdio__fdtable_get(poller->table, socket, NULL);
  return (entry & EPOLL__PARKED) && afdio__parked_has(poller->parked, socket);
}

/* Parks socket when it is a TCP socket that has never connected or
 * listened, opening the parking epoll on first use. Returns 1 when parked,
 * 0 when the socket belongs in the poller's epoll, or AFDIO_E*. */
static int epoll__park(afdio_poller_t *poller, afdio_socket_t socket) {
  if (!afdio__tcp_unconnected(socket))
    return 0;
  if (poller->parked < 0) {
    int err = afdio__parked_open(poller->epfd, &poller->parked);
    if (err != 0)
      return err;
  }
  int err = afdio__parked_add(poller->parked, socket);
  return err == 0 ? 1 : err;
}

/* Moves a parked socket into the poller's epoll with its registration.
 * EPOLL_CTL_ADD evaluates readiness at once, so what the socket's first
 * state change brought (a connect's completion, data) is reported as in
 * any mode. On failure it stays parked. */
static int epoll__unpark(afdio_poller_t *poller, afdio_socket_t socket,
                         uint64_t token, uint32_t interest) {
  struct epoll_event ev = {.events = epoll__native_interest(interest)};
  ev.data.u64 = token;
  if (epoll_ctl(poller->epfd, EPOLL_CTL_ADD, socket, &ev) < 0)
    return epoll__ctl_error(errno);
  afdio__parked_remove(poller->parked, socket);
  afdio__fdtable_set(poller->table, socket, interest, token);
  return 0;
}

/* Run by a wait that saw the parking epoll's event: each parked socket
 * whose state changed and that is no longer unconnected is unparked. The
 * lock makes this one step against a register or close on another thread;
 * a descriptor number reused since is skipped by the checks. */
static void epoll__unpark_changed(afdio_poller_t *poller) {
  enum { BATCH = 32 };
  int fds[BATCH], n;
  afdio__lock(&poller->base.lock);
  do {
    n = afdio__parked_changed(poller->parked, fds, BATCH);
    for (int i = 0; i < n; i++) {
      uint64_t token = 0;
      uint32_t entry = afdio__fdtable_get(poller->table, fds[i], &token);
      if (!(entry & EPOLL__PARKED) || afdio__tcp_unconnected(fds[i]) ||
          !afdio__parked_has(poller->parked, fds[i]))
        continue;
      epoll__unpark(poller, fds[i], token, entry & ~EPOLL__PARKED);
    }
  } while (n == BATCH);
  afdio__unlock(&poller->base.lock);
}

/* The kernel decides "already registered" and "not registered": a table
 * entry left behind by a closed fd never makes a register fail. */
int afdio__backend_add(afdio_poller_t *poller, afdio_socket_t socket,
                       uint64_t token, uint32_t interest) {
  struct epoll_event ev = {.events = epoll__native_interest(interest)};
  ev.data.u64 = token;
  int err = afdio__fdtable_reserve(poller->table, socket);
  if (err == 0 && epoll__is_parked(poller, socket))
    err = AFDIO_EEXIST;
  int parked = err == 0 ? epoll__park(poller, socket) : 0;
  if (parked < 0)
    err = parked;
  else if (err == 0 && !parked &&
           epoll_ctl(poller->epfd, EPOLL_CTL_ADD, socket, &ev) < 0)
    err = epoll__ctl_error(errno);
  if (err == 0)
    afdio__fdtable_set(poller->table, socket,
                       interest | (parked ? EPOLL__PARKED : 0u), token);
  return err;
}

/* A parked registration takes the new token and interest; if the socket
 * has left its unconnected state meanwhile, it is unparked at once. */
static int epoll__reregister_parked(afdio_poller_t *poller,
                                    afdio_socket_t socket, uint64_t token,
                                    uint32_t interest) {
  if (!afdio__parked_has(poller->parked, socket))
    return AFDIO_ENOENT; /* closed since */
  if (!afdio__tcp_unconnected(socket))
    return epoll__unpark(poller, socket, token, interest);
  afdio__fdtable_set(poller->table, socket, interest | EPOLL__PARKED, token);
  return 0;
}

/* EPOLL_CTL_MOD re-evaluates readiness: a oneshot registration is armed
 * again and an edge one reports what holds now, as afdio.h promises. A
 * closed fd (EBADF) is "not registered", as on Windows, where a closed
 * SOCKET value is simply unknown to the poller: AFDIO_ENOENT. */
int afdio__backend_modify(afdio_poller_t *poller, afdio_socket_t socket,
                          uint64_t token, uint32_t interest) {
  struct epoll_event ev = {.events = epoll__native_interest(interest)};
  ev.data.u64 = token;
  int err = afdio__fdtable_reserve(poller->table, socket);
  uint32_t entry = afdio__fdtable_get(poller->table, socket, NULL);
  if (err == 0 && (entry & EPOLL__PARKED))
    err = epoll__reregister_parked(poller, socket, token, interest);
  else if (err == 0 && epoll_ctl(poller->epfd, EPOLL_CTL_MOD, socket, &ev) < 0)
    err = errno == EBADF ? AFDIO_ENOENT : epoll__ctl_error(errno);
  else if (err == 0)
    afdio__fdtable_set(poller->table, socket, interest, token);
  if (err == AFDIO_ENOENT)
    afdio__fdtable_clear(poller->table, socket);
  return err;
}

/* EPOLL_CTL_DEL also takes the fd off the ready list, so no later wait
 * reports an event that was already queued. A closed fd was deregistered
 * by the kernel, and a descriptor epoll cannot watch (EPERM: a regular
 * file) was never registered: both are "not registered" (AFDIO_ENOENT),
 * the only codes afdio.h documents here. */
int afdio__backend_remove(afdio_poller_t *poller, afdio_socket_t socket) {
  int err = 0;
  uint32_t entry = afdio__fdtable_get(poller->table, socket, NULL);
  if (entry & EPOLL__PARKED)
    err = afdio__parked_remove(poller->parked, socket);
  else if (epoll_ctl(poller->epfd, EPOLL_CTL_DEL, socket, NULL) < 0)
    err = errno == EBADF || errno == EPERM ? AFDIO_ENOENT
                                           : epoll__ctl_error(errno);
  if (err == 0 || err == AFDIO_ENOENT)
    afdio__fdtable_clear(poller->table, socket);
  return err;
}

/* EPOLLET reports the next edge by itself: nothing to do in the kernel.
 * Only the answer "is it registered?" comes from the table. */
int afdio__backend_rearm(afdio_poller_t *poller, afdio_socket_t socket,
                         uint32_t events) {
  (void)events;
  return afdio__fdtable_registered(poller->table, socket);
}

/* ------------------------------------------------------------------------ */
/* Waiting                                                                   */

/* One epoll_wait(), for the whole room. The kernel writes its events
 * straight into the caller's array, and they are translated in place from
 * the last to the first: native event i is copied out before slot i is
 * written, and slot i (at 16 * i) lies past every native event j < i still
 * to be read (they end by 12 or 16 * i). The parking epoll's event (tagged)
 * is taken out of the array and acted on. */
int afdio__backend_collect(afdio_poller_t *poller, afdio_event_t *events,
                           int room, int64_t timeout_ns) {
  unsigned char *raw = (unsigned char *)events;
  int max = room < EPOLL__MAX_EVENTS ? room : EPOLL__MAX_EVENTS;
  int ms = timeout_ns < 0
               ? -1
               : (int)afdio__deadline_ns_to_ms(timeout_ns, EPOLL__MAX_MS);
  int n = epoll_wait(poller->epfd, (struct epoll_event *)(void *)raw, max, ms);
  if (n < 0)
    return errno == EINTR ? 0 : AFDIO_EIO;
  int tagged = -1;
  for (int i = n - 1; i >= 0; i--) {
    struct epoll_event native;
    memcpy(&native, raw + (size_t)i * sizeof native, sizeof native);
    afdio_event_t event = {native.data.u64,
                           epoll__events_from_native(native.events), 0};
    if (native.events & AFDIO__PARKED_TAG)
      tagged = i;
    memcpy(raw + (size_t)i * sizeof event, &event, sizeof event);
  }
  if (tagged < 0)
    return n;
  /* One watch, so at most one such event: close the gap it leaves. */
  memmove(events + tagged, events + tagged + 1,
          (size_t)(n - tagged - 1) * sizeof *events);
  epoll__unpark_changed(poller);
  return n - 1;
}

/* ------------------------------------------------------------------------ */
/* Wakers                                                                    */

/* The wake descriptor is watched in edge mode, outside the registration
 * table: each wake is a new edge, and wakes before a wait coalesce into the
 * one queued event, which goes to exactly one waiting thread. */
const size_t afdio__backend_waker_size = sizeof(struct afdio_waker);

int afdio__backend_waker_open(afdio_waker_t *waker, uint64_t token) {
  waker->wakefd.read_fd = waker->wakefd.write_fd = -1;
  int err = afdio__wakefd_open(&waker->wakefd);
  if (err == 0)
    err = epoll__watch(waker->base.poller->epfd, waker->wakefd.read_fd,
                       EPOLLIN | EPOLLET, token);
  return err;
}

int afdio__backend_waker_wake(afdio_waker_t *waker) {
  return afdio__wakefd_signal(&waker->wakefd);
}

/* Closing the descriptor takes its queued event off the ready list. */
void afdio__backend_waker_close(afdio_waker_t *waker) {
  afdio__wakefd_close(&waker->wakefd);
}
