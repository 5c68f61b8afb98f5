/* The kqueue backend (macOS, FreeBSD and the other BSDs). Same structure
 * as unix/epoll.c, function by function. A registration is one or two
 * knotes: EVFILT_READ for READABLE/PRIORITY, EVFILT_WRITE for WRITABLE.
 * EV_CLEAR is edge mode, EV_DISPATCH oneshot mode (the knote is disabled
 * after its event and kept, so deregister still finds it), EVFILT_USER the
 * waker. Every change is applied with EV_RECEIPT, so kevent() answers each
 * change with its own error and never returns pending events in its place.
 *
 * Unlike epoll, kqueue cannot say "already registered" (EV_ADD on a knote
 * modifies it), so the registration table answers that, checked against
 * the kernel when it may be stale (see kqueue__still_registered). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/types.h> /* before sys/event.h on the older BSDs */
#include <sys/event.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "afdio.h"
#include "core/pipe_name.h"
#include "core/interest.h"
#include "core/timer.h"
#include "unix/deadline.h"
#include "unix/error.h"
#include "unix/fdtable.h"
#include "unix/waiters.h"
#include "unix/wakefd.h"

/* The 64-bit token travels in udata, a pointer. A 32-bit kqueue target
 * would need the token in the registration table instead. */
_Static_assert(sizeof(void *) >= sizeof(uint64_t),
               "the kqueue backend keeps the token in kevent.udata");

/* Native events read per wait, on the waiting thread's stack (several
 * threads may wait at once, so no shared buffer; struct kevent is larger
 * than afdio_event_t, so the caller's array cannot hold them as on epoll).
 * A larger capacity gets at most this many; the rest stay queued. */
#define KQUEUE__BATCH 128

/* The longest single kevent() wait, in seconds; longer waits loop until
 * their deadline, so a huge finite timeout never turns into an infinite
 * one (and time_t never overflows). */
#define KQUEUE__MAX_SECONDS (INT64_C(86400) * 365)

struct afdio_poller {
  int kq;
  pthread_mutex_t lock; /* guards table and wakers, never held in a wait */
  afdio__fdtable_t *table;
  afdio_waker_t *wakers;
  afdio__waiters_t waiters;
  afdio__wakefd_t closing; /* only without EVFILT_USER; else both -1 */
  afdio__timers_t *timers; /* core/timer.c's, NULL until the first timer */
};

struct afdio_waker {
  afdio_poller_t *poller;
  uint64_t token;
  afdio__wakefd_t wakefd; /* only without EVFILT_USER; else both -1 */
  afdio_waker_t *prev, *next;
};

const char *afdio_backend(void) { return "kqueue"; }

afdio__timers_t **afdio__poller_timers(afdio_poller_t *p) {
  return &p->timers;
}

/* ------------------------------------------------------------------------ */
/* Bits at the boundary                                                      */

/* The flags of every knote a registration adds: its mode. */
static unsigned kqueue__native_flags(uint32_t interest) {
  unsigned flags = EV_ADD | EV_ENABLE;
  if (interest & AFDIO_ONESHOT)
    flags |= EV_DISPATCH;
  else if (!(interest & AFDIO_LEVEL))
    flags |= EV_CLEAR;
  return flags;
}

/* EV_EOF on the read filter is the peer's FIN, on the write filter "cannot
 * send". With a socket error in fflags (a reset, a failed connect) both
 * halves are closed, as AFD_POLL_ABORT and AFD_POLL_CONNECT_FAIL say on
 * Windows. */
static uint32_t kqueue__events_from_native(const struct kevent *ev) {
  uint32_t events = 0;
  int eof = (ev->flags & EV_EOF) != 0;
  if (ev->filter == EVFILT_READ) {
    events |= AFDIO_READABLE | (eof ? AFDIO_READ_CLOSED : 0u);
#if defined(EV_OOBAND)
    if (ev->flags & EV_OOBAND)
      events |= AFDIO_PRIORITY;
#endif
  } else if (ev->filter == EVFILT_WRITE) {
    events |= AFDIO_WRITABLE | (eof ? AFDIO_WRITE_CLOSED : 0u);
  } else {
    events |= AFDIO_READABLE; /* a waker */
  }
  if (eof && ev->fflags != 0)
    events |= AFDIO_ERROR | AFDIO_READ_CLOSED | AFDIO_WRITE_CLOSED;
  if (ev->flags & EV_ERROR)
    events |= AFDIO_ERROR;
  return events;
}

/* Receipt errors, as afdio.h documents them. */
static int kqueue__change_error(int errnum) {
  switch (errnum) {
  case ENOMEM:
  case EBADF:
  case ENOENT:
    return afdio__unix_error(errnum);
  case EINVAL: /* a descriptor kqueue cannot watch */
  case ENODEV:
  case ENOTSUP:
    return AFDIO_ENOTSOCK;
  default:
    return AFDIO_EIO;
  }
}

/* Arguments, then the descriptor: a regular file or a directory is always
 * "ready" for kqueue, but epoll refuses it, so it is refused here too. */
static int kqueue__check(afdio_poller_t *poller, afdio_socket_t socket,
                         uint32_t interest) {
  if (poller == NULL || socket < 0)
    return AFDIO_EINVAL;
  int err = afdio__interest_check(interest);
  if (err != 0)
    return err;
  struct stat st;
  if (fstat(socket, &st) != 0)
    return errno == EBADF ? AFDIO_EBADF : AFDIO_EIO;
  if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))
    return AFDIO_ENOTSOCK;
  return 0;
}

/* Applies n changes with EV_RECEIPT; each receipt replaces its change in
 * changes[], with EV_ERROR set and data 0 or an errno. Returns how many
 * receipts came. A call interrupted by a signal has applied its changes
 * but returns no receipts: 0, read as "no errors". */
static int kqueue__apply(int kq, struct kevent *changes, int n) {
  static const struct timespec zero = {0, 0};
  for (int i = 0; i < n; i++)
    changes[i].flags |= EV_RECEIPT;
  int got = kevent(kq, changes, n, changes, n, &zero);
  if (got < 0)
    return errno == EINTR ? 0 : afdio__unix_error(errno);
  return got;
}

/* The errno of a receipt, 0 for success. */
static int kqueue__receipt_errno(const struct kevent *receipt) {
  return (receipt->flags & EV_ERROR) ? (int)receipt->data : 0;
}

/* The knotes of an interest, as changes with the given flags: EVFILT_READ
 * first, then EVFILT_WRITE. Returns how many (1 or 2). On macOS a read
 * knote added for PRIORITY carries EV_OOBAND, so that it fires for urgent
 * data too; elsewhere PRIORITY is plain read readiness. */
static int kqueue__changes(struct kevent out[2], afdio_socket_t socket,
                           uint32_t interest, unsigned flags, uint64_t token) {
  int n = 0;
  void *udata = (void *)(uintptr_t)token;
  unsigned read_flags = flags;
#if defined(EV_OOBAND)
  if ((flags & EV_ADD) && (interest & AFDIO_PRIORITY))
    read_flags |= EV_OOBAND;
#endif
  if (interest & (AFDIO_READABLE | AFDIO_PRIORITY))
    EV_SET(&out[n++], socket, EVFILT_READ, read_flags, 0, 0, udata);
  if (interest & AFDIO_WRITABLE)
    EV_SET(&out[n++], socket, EVFILT_WRITE, flags, 0, 0, udata);
  return n;
}

/* ------------------------------------------------------------------------ */
/* Poller lifetime                                                           */

/* kqueuex(KQUEUE_CLOEXEC) exists only on recent FreeBSD: set FD_CLOEXEC
 * right away instead (kqueue descriptors are not inherited by fork()). */
static int kqueue__open(void) {
  int kq = kqueue();
  if (kq < 0)
    return -1;
  int flags = fcntl(kq, F_GETFD);
  if (flags < 0 || fcntl(kq, F_SETFD, flags | FD_CLOEXEC) < 0) {
    int saved = errno;
    close(kq);
    errno = saved;
    return -1;
  }
  return kq;
}

/* The knote delete triggers to wake every waiter: a user knote identified
 * by the poller's address (wakers use their own), or a pipe. No EV_CLEAR:
 * once triggered it stays so, and every waiting thread sees it. Its event
 * is never reported, as a wait that sees the poller closing returns
 * AFDIO_ECANCELED. */
static void kqueue__closing_change(afdio_poller_t *poller, struct kevent *out,
                                   unsigned flags, unsigned fflags) {
#if defined(EVFILT_USER)
  EV_SET(out, (uintptr_t)poller, EVFILT_USER, flags, fflags, 0, NULL);
#else
  (void)fflags;
  EV_SET(out, poller->closing.read_fd, EVFILT_READ, flags, 0, 0, NULL);
#endif
}

static int kqueue__closing_add(afdio_poller_t *poller) {
#if !defined(EVFILT_USER)
  int err = afdio__wakefd_open(&poller->closing);
  if (err != 0)
    return err;
#endif
  struct kevent change;
  kqueue__closing_change(poller, &change, EV_ADD, 0);
  int got = kqueue__apply(poller->kq, &change, 1);
  int errnum = got == 1 ? kqueue__receipt_errno(&change) : 0;
  if (got >= 0 && errnum == 0)
    return 0;
  afdio__wakefd_close(&poller->closing);
  return got == AFDIO_ENOMEM || errnum == ENOMEM ? AFDIO_ENOMEM : AFDIO_EIO;
}

static void kqueue__closing_trigger(afdio_poller_t *poller) {
#if defined(EVFILT_USER)
  struct kevent change;
  kqueue__closing_change(poller, &change, 0, NOTE_TRIGGER);
  kevent(poller->kq, &change, 1, NULL, 0, NULL);
#else
  afdio__wakefd_signal(&poller->closing);
#endif
}

static int kqueue__is_closing_event(const afdio_poller_t *poller,
                                    const struct kevent *ev) {
#if defined(EVFILT_USER)
  return ev->filter == EVFILT_USER && ev->ident == (uintptr_t)poller;
#else
  return ev->filter == EVFILT_READ &&
         ev->ident == (uintptr_t)poller->closing.read_fd;
#endif
}

int afdio_poller_new(afdio_poller_t **out) {
  if (out == NULL)
    return AFDIO_EINVAL;
  *out = NULL;
  afdio_poller_t *poller = calloc(1, sizeof *poller);
  if (poller == NULL)
    return AFDIO_ENOMEM;
  int err = afdio__fdtable_new(&poller->table);
  if (err != 0)
    goto fail_table;
  poller->closing.read_fd = poller->closing.write_fd = -1;
  if (pthread_mutex_init(&poller->lock, NULL) != 0) {
    err = AFDIO_ENOMEM;
    goto fail_lock;
  }
  poller->kq = kqueue__open();
  if (poller->kq < 0) {
    err = afdio__unix_error(errno);
    err = err == AFDIO_EMFILE || err == AFDIO_ENOMEM ? err : AFDIO_EIO;
    goto fail_kqueue;
  }
  err = kqueue__closing_add(poller);
  if (err != 0)
    goto fail_closing;
  *out = poller;
  return 0;

fail_closing:
  close(poller->kq);
fail_kqueue:
  pthread_mutex_destroy(&poller->lock);
fail_lock:
  afdio__fdtable_delete(poller->table);
fail_table:
  free(poller);
  return err;
}

static void kqueue__waker_free(afdio_waker_t *waker) {
  afdio__wakefd_close(&waker->wakefd);
  free(waker);
}

/* Threads blocked in a wait are woken and leave with AFDIO_ECANCELED;
 * nothing is freed before the last one has left (unix/waiters.h). */
int afdio_poller_delete(afdio_poller_t *poller) {
  if (poller == NULL)
    return AFDIO_EINVAL;
  afdio__poller_gone(poller); /* net/ objects forget it (core/pipe_name.h) */
  if (afdio__waiters_close(&poller->waiters) > 0) {
    kqueue__closing_trigger(poller);
    afdio__waiters_drain(&poller->waiters);
  }
  afdio__timers_delete(poller); /* no waiter is left */
  while (poller->wakers != NULL) {
    afdio_waker_t *waker = poller->wakers;
    poller->wakers = waker->next;
    kqueue__waker_free(waker);
  }
  afdio__wakefd_close(&poller->closing);
  close(poller->kq);
  pthread_mutex_destroy(&poller->lock);
  afdio__fdtable_delete(poller->table);
  free(poller);
  return 0;
}

/* ------------------------------------------------------------------------ */
/* Registrations                                                             */

/* Whether the knotes behind a table entry still exist. Closing a fd drops
 * its knotes, and the number may come back as a new descriptor: then the
 * entry is stale. The probe is EV_ENABLE on the first knote, with the flags
 * and token it was added with: on an existing knote it changes nothing,
 * except that a oneshot knote that fired is armed again (this only runs
 * when the caller registers a registered fd; one extra event then). */
static int kqueue__still_registered(afdio_poller_t *poller,
                                    afdio_socket_t socket) {
  uint64_t token = 0;
  uint32_t entry = afdio__fdtable_get(poller->table, socket, &token);
  if (entry == 0)
    return 0;
  struct kevent probe[2];
  unsigned flags = kqueue__native_flags(entry) & ~(unsigned)EV_ADD;
  kqueue__changes(probe, socket, entry, flags, token);
  int got = kqueue__apply(poller->kq, probe, 1);
  if (got <= 0)
    return 1; /* interrupted, or no answer: trust the table */
  int errnum = kqueue__receipt_errno(&probe[0]);
  return errnum != ENOENT && errnum != EBADF;
}

/* Adds the knotes of interest. On a failure, the knotes that were added
 * are deleted again. EPIPE is ignored: old macOS refuses EVFILT_WRITE on a
 * pipe whose reader is gone, and that pipe is still "registered". */
static int kqueue__add(afdio_poller_t *poller, afdio_socket_t socket,
                       uint64_t token, uint32_t interest) {
  struct kevent changes[2];
  int n = kqueue__changes(changes, socket, interest,
                          kqueue__native_flags(interest), token);
  int got = kqueue__apply(poller->kq, changes, n);
  if (got < 0)
    return got;
  int err = 0;
  for (int i = 0; i < got && err == 0; i++) {
    int errnum = kqueue__receipt_errno(&changes[i]);
    if (errnum != 0 && errnum != EPIPE)
      err = kqueue__change_error(errnum);
  }
  if (err != 0) {
    n = kqueue__changes(changes, socket, interest, EV_DELETE, 0);
    kqueue__apply(poller->kq, changes, n);
  }
  return err;
}

/* Deletes the knotes of an entry. Returns 0, or AFDIO_ENOENT when none of
 * them existed (the fd was closed, or its number reused). */
static int kqueue__delete(afdio_poller_t *poller, afdio_socket_t socket,
                          uint32_t entry) {
  struct kevent changes[2];
  int n = kqueue__changes(changes, socket, entry, EV_DELETE, 0);
  int got = kqueue__apply(poller->kq, changes, n);
  if (got <= 0)
    return got;
  int missing = 0;
  for (int i = 0; i < got; i++) {
    int errnum = kqueue__receipt_errno(&changes[i]);
    missing += errnum == ENOENT || errnum == EBADF;
  }
  return missing == got ? AFDIO_ENOENT : 0;
}

int afdio_poller_register(afdio_poller_t *poller, afdio_socket_t socket,
                          uint64_t token, uint32_t interest) {
  int err = kqueue__check(poller, socket, interest);
  if (err != 0)
    return err;
  pthread_mutex_lock(&poller->lock);
  err = afdio__fdtable_reserve(poller->table, socket);
  if (err == 0 && kqueue__still_registered(poller, socket))
    err = AFDIO_EEXIST;
  if (err == 0)
    err = kqueue__add(poller, socket, token, interest);
  if (err == 0)
    afdio__fdtable_set(poller->table, socket, interest, token);
  pthread_mutex_unlock(&poller->lock);
  return err;
}

/* Knote flags (EV_CLEAR, EV_DISPATCH) cannot be changed by EV_ADD on an
 * existing knote (FreeBSD keeps them), so the old knotes are deleted and
 * new ones added. Adding a knote evaluates readiness at once: a oneshot
 * registration is armed again and an edge one reports what holds now. A
 * closed fd is "not registered" (AFDIO_ENOENT), as on every backend. */
int afdio_poller_reregister(afdio_poller_t *poller, afdio_socket_t socket,
                            uint64_t token, uint32_t interest) {
  int err = kqueue__check(poller, socket, interest);
  if (err != 0 && err != AFDIO_EBADF)
    return err;
  pthread_mutex_lock(&poller->lock);
  uint32_t entry = afdio__fdtable_get(poller->table, socket, NULL);
  if (err == 0)
    err = entry == 0 ? AFDIO_ENOENT : kqueue__delete(poller, socket, entry);
  else
    err = AFDIO_ENOENT; /* closed: its knotes went with it (as epoll.c) */
  if (err == 0)
    err = kqueue__add(poller, socket, token, interest);
  if (err == 0)
    afdio__fdtable_set(poller->table, socket, interest, token);
  else
    afdio__fdtable_clear(poller->table, socket);
  pthread_mutex_unlock(&poller->lock);
  return err;
}

/* EV_DELETE also drops an event already queued for the knote. */
int afdio_poller_deregister(afdio_poller_t *poller, afdio_socket_t socket) {
  if (poller == NULL || socket < 0)
    return AFDIO_EINVAL;
  pthread_mutex_lock(&poller->lock);
  uint32_t entry = afdio__fdtable_get(poller->table, socket, NULL);
  int err = entry == 0 ? AFDIO_ENOENT : kqueue__delete(poller, socket, entry);
  afdio__fdtable_clear(poller->table, socket);
  pthread_mutex_unlock(&poller->lock);
  return err < 0 && err != AFDIO_ENOENT ? AFDIO_EIO : err;
}

/* EV_CLEAR reports the next change by itself: nothing to do in the kernel.
 * Only the answer "is it registered?" comes from the table. */
int afdio_poller_rearm(afdio_poller_t *poller, afdio_socket_t socket,
                       uint32_t events) {
  if (poller == NULL || socket < 0)
    return AFDIO_EINVAL;
  int err = afdio__rearm_check(events);
  if (err != 0)
    return err;
  pthread_mutex_lock(&poller->lock);
  uint32_t interest = afdio__fdtable_get(poller->table, socket, NULL);
  pthread_mutex_unlock(&poller->lock);
  return interest == 0 ? AFDIO_ENOENT : 0;
}

/* ------------------------------------------------------------------------ */
/* Waiting                                                                   */

/* One kevent() of up to *timeout (NULL: forever), for at most one batch.
 * It must be one call: a second call in the same wait would report every
 * level registration again (kqueue queues it anew once reported). Returns
 * the count, 0 when nothing came or a signal interrupted the call, or
 * AFDIO_EIO. */
static int kqueue__collect(afdio_poller_t *poller, afdio_event_t *events,
                           int capacity, const struct timespec *timeout) {
  struct kevent native[KQUEUE__BATCH];
  int max = capacity < KQUEUE__BATCH ? capacity : KQUEUE__BATCH;
  int n = kevent(poller->kq, NULL, 0, native, max, timeout);
  if (n < 0)
    return errno == EINTR ? 0 : AFDIO_EIO;
  int out = 0;
  for (int i = 0; i < n; i++) {
    if (kqueue__is_closing_event(poller, &native[i]))
      continue;
    events[out].token = (uint64_t)(uintptr_t)native[i].udata;
    events[out].events = kqueue__events_from_native(&native[i]);
    events[out].reserved_ = 0;
    out++;
  }
  return out;
}

/* The timespec for the next kevent(): NULL forever, zero for a poll, else
 * what remains of the deadline, capped, or less when a timer is due first
 * (*round: for the kevent() capacity and afdio__timers_collect()). */
static const struct timespec *
kqueue__next_timeout(afdio_poller_t *poller, int64_t timeout_ms,
                     int64_t deadline, struct timespec *ts, int cap,
                     afdio__timers_round_t *round) {
  int64_t left = timeout_ms <= 0 ? timeout_ms
                                 : afdio__deadline_remaining_ns(deadline);
  int64_t want = left <= 0 ? left : afdio__deadline_ns_to_ms(left, INT_MAX);
  int64_t ms = afdio__timers_wait_ms(poller, want, cap, round);
  if (ms != want)
    left = ms * INT64_C(1000000);
  if (left < 0)
    return NULL;
  int64_t seconds = left / INT64_C(1000000000);
  if (seconds > KQUEUE__MAX_SECONDS)
    seconds = KQUEUE__MAX_SECONDS;
  ts->tv_sec = (time_t)seconds;
  ts->tv_nsec = (long)(left % INT64_C(1000000000));
  return ts;
}

/* The wait proper; a poller being deleted ends it with AFDIO_ECANCELED. */
static int kqueue__wait(afdio_poller_t *poller, afdio_event_t *events,
                        int capacity, int64_t timeout_ms) {
  int64_t deadline = timeout_ms > 0 ? afdio__deadline_from_ms(timeout_ms) : 0;
  for (;;) {
    struct timespec ts;
    afdio__timers_round_t round;
    const struct timespec *tp = kqueue__next_timeout(
        poller, timeout_ms, deadline, &ts, capacity, &round);
    int n = round.room > 0 ? kqueue__collect(poller, events, round.room, tp)
                           : 0;
    n = afdio__timers_collect(poller, events, n, capacity, &round);
    if (afdio__waiters_closing(&poller->waiters))
      return AFDIO_ECANCELED;
    if (n != 0)
      return n;
    if (timeout_ms == 0)
      return 0;
    if (timeout_ms > 0 && afdio__deadline_remaining_ns(deadline) == 0)
      return 0;
  }
}

int afdio_poller_wait(afdio_poller_t *poller, afdio_event_t *events,
                      size_t capacity, int64_t timeout_ms) {
  if (poller == NULL || events == NULL || capacity == 0)
    return AFDIO_EINVAL;
  if (!afdio__waiters_enter(&poller->waiters))
    return AFDIO_ECANCELED;
  int n = kqueue__wait(poller, events, capacity > INT_MAX ? INT_MAX : (int)capacity,
                     timeout_ms);
  afdio__waiters_leave(&poller->waiters);
  return n;
}

/* ------------------------------------------------------------------------ */
/* Wakers                                                                    */

/* With EVFILT_USER the waker is a user knote identified by its address:
 * NOTE_TRIGGER fires it, EV_CLEAR resets it once reported, so wakes before
 * a wait coalesce into one event for one thread. Without it, a pipe is
 * watched with EV_CLEAR (unix/wakefd_pipe.c). */
static int kqueue__waker_add(afdio_waker_t *waker) {
  struct kevent change;
  void *udata = (void *)(uintptr_t)waker->token;
#if defined(EVFILT_USER)
  waker->wakefd.read_fd = waker->wakefd.write_fd = -1;
  EV_SET(&change, (uintptr_t)waker, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0,
         udata);
#else
  int err = afdio__wakefd_open(&waker->wakefd);
  if (err != 0)
    return err;
  EV_SET(&change, waker->wakefd.read_fd, EVFILT_READ, EV_ADD | EV_CLEAR, 0, 0,
         udata);
#endif
  int got = kqueue__apply(waker->poller->kq, &change, 1);
  if (got < 0)
    return got == AFDIO_ENOMEM || got == AFDIO_EMFILE ? got : AFDIO_EIO;
  int errnum = got == 1 ? kqueue__receipt_errno(&change) : 0;
  if (errnum != 0)
    return errnum == ENOMEM ? AFDIO_ENOMEM : AFDIO_EIO;
  return 0;
}

int afdio_waker_new(afdio_poller_t *poller, uint64_t token,
                    afdio_waker_t **out) {
  if (out != NULL)
    *out = NULL;
  if (poller == NULL || out == NULL)
    return AFDIO_EINVAL;
  afdio_waker_t *waker = calloc(1, sizeof *waker);
  if (waker == NULL)
    return AFDIO_ENOMEM;
  waker->poller = poller;
  waker->token = token;
  waker->wakefd.read_fd = waker->wakefd.write_fd = -1;
  int err = kqueue__waker_add(waker);
  if (err != 0) {
    kqueue__waker_free(waker);
    return err;
  }
  pthread_mutex_lock(&poller->lock);
  waker->next = poller->wakers;
  if (waker->next != NULL)
    waker->next->prev = waker;
  poller->wakers = waker;
  pthread_mutex_unlock(&poller->lock);
  *out = waker;
  return 0;
}

/* A trigger is not a registration change, so no receipt is asked for. It
 * carries the token again: FreeBSD stores the udata of every change made
 * to an existing knote, a trigger included. */
int afdio_waker_wake(afdio_waker_t *waker) {
  if (waker == NULL)
    return AFDIO_EINVAL;
#if defined(EVFILT_USER)
  struct kevent change;
  void *udata = (void *)(uintptr_t)waker->token;
  EV_SET(&change, (uintptr_t)waker, EVFILT_USER, 0, NOTE_TRIGGER, 0, udata);
  /* EINTR: interrupted after applying its change. */
  if (kevent(waker->poller->kq, &change, 1, NULL, 0, NULL) == 0 ||
      errno == EINTR)
    return 0;
  return AFDIO_EIO;
#else
  return afdio__wakefd_signal(&waker->wakefd);
#endif
}

/* Deleting the knote (or closing the pipe) drops its queued event. */
int afdio_waker_delete(afdio_waker_t *waker) {
  if (waker == NULL)
    return AFDIO_EINVAL;
  afdio_poller_t *poller = waker->poller;
  pthread_mutex_lock(&poller->lock);
  if (waker->prev != NULL)
    waker->prev->next = waker->next;
  else
    poller->wakers = waker->next;
  if (waker->next != NULL)
    waker->next->prev = waker->prev;
  pthread_mutex_unlock(&poller->lock);
#if defined(EVFILT_USER)
  struct kevent change;
  EV_SET(&change, (uintptr_t)waker, EVFILT_USER, EV_DELETE, 0, 0, NULL);
  kqueue__apply(poller->kq, &change, 1);
#endif
  kqueue__waker_free(waker);
  return 0;
}
