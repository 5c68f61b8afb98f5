/* The kqueue backend (macOS, FreeBSD and the other BSDs). It fills
 * core/backend.h, as unix/epoll.c does. A registration is one or two
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
#include <stdlib.h>
#include <sys/types.h> /* before sys/event.h on the older BSDs */
#include <sys/event.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "core/backend.h"
#include "unix/error.h"
#include "unix/fdtable.h"
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
 * their deadline (core/poller.c), so a huge finite timeout never turns
 * into an infinite one (and time_t never overflows). */
#define KQUEUE__MAX_SECONDS (INT64_C(86400) * 365)

struct afdio_poller {
  afdio__poller_base_t base; /* base.lock guards table */
  int kq;
  afdio__fdtable_t *table;
  afdio__wakefd_t closing; /* only without EVFILT_USER; else both -1 */
};

struct afdio_waker {
  afdio__waker_base_t base;
  uint64_t token;
  afdio__wakefd_t wakefd; /* only without EVFILT_USER; else both -1 */
};

const char afdio__backend_name[] = "kqueue";
const int afdio__backend_edge_needs_rearm = 0; /* EV_CLEAR */

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

/* The descriptor: a regular file or a directory is always "ready" for
 * kqueue, but epoll refuses it, so it is refused here too. */
static int kqueue__check(afdio_socket_t socket) {
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

void afdio__backend_wake_all(afdio_poller_t *poller) {
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

const size_t afdio__backend_size = sizeof(struct afdio_poller);

/* Descriptors are marked -1 first: afdio__backend_close() after a failure
 * closes only what was made. */
int afdio__backend_open(afdio_poller_t *poller) {
  poller->kq = -1;
  poller->closing.read_fd = poller->closing.write_fd = -1;
  int err = afdio__fdtable_new(&poller->table);
  if (err == 0 && (poller->kq = kqueue__open()) < 0)
    err = afdio__unix_create_error(errno);
  return err != 0 ? err : kqueue__closing_add(poller);
}

void afdio__backend_close(afdio_poller_t *poller) {
  afdio__wakefd_close(&poller->closing);
  if (poller->kq >= 0)
    close(poller->kq);
  afdio__fdtable_delete(poller->table);
}

/* ------------------------------------------------------------------------ */
/* Registrations (under the lock)                                            */

/* A knote with EV_CLEAR fires again at the next change without help, so
 * a rearm asks nothing of kqueue; whether the socket is registered is the
 * table's answer. */
int afdio__backend_rearm(afdio_poller_t *poller, afdio_socket_t socket,
                         uint32_t events) {
  (void)events;
  return afdio__fdtable_registered(poller->table, socket);
}

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

int afdio__backend_add(afdio_poller_t *poller, afdio_socket_t socket,
                       uint64_t token, uint32_t interest) {
  int err = kqueue__check(socket);
  if (err == 0)
    err = afdio__fdtable_reserve(poller->table, socket);
  if (err == 0 && kqueue__still_registered(poller, socket))
    err = AFDIO_EEXIST;
  if (err == 0)
    err = kqueue__add(poller, socket, token, interest);
  if (err == 0)
    afdio__fdtable_set(poller->table, socket, interest, token);
  return err;
}

/* Knote flags (EV_CLEAR, EV_DISPATCH) cannot be changed by EV_ADD on an
 * existing knote (FreeBSD keeps them), so the old knotes are deleted and
 * new ones added. Adding a knote evaluates readiness at once: a oneshot
 * registration is armed again and an edge one reports what holds now. A
 * closed fd is "not registered" (AFDIO_ENOENT), as on every backend. */
int afdio__backend_modify(afdio_poller_t *poller, afdio_socket_t socket,
                          uint64_t token, uint32_t interest) {
  int err = kqueue__check(socket);
  if (err != 0 && err != AFDIO_EBADF)
    return err;
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
  return err;
}

/* EV_DELETE also drops an event already queued for the knote. */
int afdio__backend_remove(afdio_poller_t *poller, afdio_socket_t socket) {
  uint32_t entry = afdio__fdtable_get(poller->table, socket, NULL);
  int err = entry == 0 ? AFDIO_ENOENT : kqueue__delete(poller, socket, entry);
  afdio__fdtable_clear(poller->table, socket);
  return err < 0 && err != AFDIO_ENOENT ? AFDIO_EIO : err;
}

/* ------------------------------------------------------------------------ */
/* Waiting                                                                   */

/* One kevent() of up to timeout_ns, for at most one batch. The closing
 * knote's event is never reported. */
int afdio__backend_collect(afdio_poller_t *poller, afdio_event_t *events,
                           int room, int64_t timeout_ns) {
  struct kevent native[KQUEUE__BATCH];
  struct timespec ts, *tp = NULL;
  if (timeout_ns >= 0) {
    int64_t seconds = timeout_ns / INT64_C(1000000000);
    ts.tv_sec =
        (time_t)(seconds > KQUEUE__MAX_SECONDS ? KQUEUE__MAX_SECONDS : seconds);
    ts.tv_nsec = (long)(timeout_ns % INT64_C(1000000000));
    tp = &ts;
  }
  int max = room < KQUEUE__BATCH ? room : KQUEUE__BATCH;
  int n = kevent(poller->kq, NULL, 0, native, max, tp);
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
  int got = kqueue__apply(waker->base.poller->kq, &change, 1);
  if (got < 0)
    return got == AFDIO_ENOMEM || got == AFDIO_EMFILE ? got : AFDIO_EIO;
  int errnum = got == 1 ? kqueue__receipt_errno(&change) : 0;
  if (errnum != 0)
    return errnum == ENOMEM ? AFDIO_ENOMEM : AFDIO_EIO;
  return 0;
}

const size_t afdio__backend_waker_size = sizeof(struct afdio_waker);

int afdio__backend_waker_open(afdio_waker_t *waker, uint64_t token) {
  waker->token = token;
  waker->wakefd.read_fd = waker->wakefd.write_fd = -1;
  return kqueue__waker_add(waker);
}

/* A trigger is not a registration change, so no receipt is asked for. It
 * carries the token again: FreeBSD stores the udata of every change made
 * to an existing knote, a trigger included. */
int afdio__backend_waker_wake(afdio_waker_t *waker) {
#if defined(EVFILT_USER)
  struct kevent change;
  void *udata = (void *)(uintptr_t)waker->token;
  EV_SET(&change, (uintptr_t)waker, EVFILT_USER, 0, NOTE_TRIGGER, 0, udata);
  /* EINTR: interrupted after applying its change. */
  if (kevent(waker->base.poller->kq, &change, 1, NULL, 0, NULL) == 0 ||
      errno == EINTR)
    return 0;
  return AFDIO_EIO;
#else
  return afdio__wakefd_signal(&waker->wakefd);
#endif
}

/* Deleting the knote (or closing the pipe) drops its queued event. */
void afdio__backend_waker_close(afdio_waker_t *waker) {
#if defined(EVFILT_USER)
  struct kevent change;
  EV_SET(&change, (uintptr_t)waker, EVFILT_USER, EV_DELETE, 0, 0, NULL);
  kqueue__apply(waker->base.poller->kq, &change, 1);
#endif
  afdio__wakefd_close(&waker->wakefd);
}
