/* An epoll port on an afdio poller.
 *
 * Every registration is an afdio *edge* registration, whatever its epoll
 * mode, and the epoll modes are made here from afdio's masking:
 * - level-triggered and EPOLLET: the bits an epoll_wait reported are
 *   re-armed (afdio_poller_rearm) when the next epoll_wait starts, or at
 *   once if another thread is blocked in epoll_wait, as wepoll resubmits
 *   its polls (wepoll src/port.c, port__update_events_if_polling);
 * - EPOLLONESHOT: the first event reported disarms the record; MOD re-arms;
 * - EPOLLET | AFDIO_EPOLLEXACT: only afdio_epoll_rearm() or MOD re-arm.
 * afdio reports some conditions whatever the interest (read-closed, for
 * one); on an afdio level registration one that epoll must not report
 * (EPOLLOUT only, peer sent FIN) would come back on every wait. On an edge
 * registration it is reported once, filtered out here and stays masked. */
#include "compat/epoll_port.h"

#include <stdlib.h>

#include "afdio.h"
#include "compat/epoll_table.h"

/* Never a record's token: a record index is always below the table's size. */
#define EPOLL_PORT__WAKER_TOKEN UINT64_MAX
/* afdio events taken per afdio_poller_wait, on the stack (wepoll also
 * keeps up to 256 completions on the stack). */
#define EPOLL_PORT__CHUNK 256

#define EPOLL_PORT__MODE_BITS (EPOLLONESHOT | EPOLLET | AFDIO_EPOLLEXACT)

struct afdio__epoll_port {
  afdio_poller_t *poller;
  afdio_waker_t *waker; /* wakes waiters when the port is closed */
  HANDLE handle;
  SRWLOCK lock; /* everything below */
  CONDITION_VARIABLE unused; /* signalled when refs drops to 0 */
  afdio__epoll_table_t table;
  int32_t rearm_head; /* records with bits to re-arm */
  long refs;
  int waiters; /* threads inside afdio_poller_wait */
  int closing;
};

int afdio__epoll_port_new(afdio__epoll_port_t **out, HANDLE *handle) {
  afdio__epoll_port_t *p = calloc(1, sizeof *p);
  int rc;
  if (p == NULL)
    return AFDIO_ENOMEM;
  InitializeSRWLock(&p->lock);
  InitializeConditionVariable(&p->unused);
  afdio__epoll_table_init(&p->table);
  p->rearm_head = AFDIO__EPOLL_NONE;
  if ((rc = afdio_poller_new(&p->poller)) < 0)
    goto err_free;
  if ((rc = afdio_waker_new(p->poller, EPOLL_PORT__WAKER_TOKEN, &p->waker)) < 0)
    goto err_poller;
  /* A real handle, so that handle checks behave as with wepoll's port: an
   * event object is the cheapest kernel object. */
  p->handle = CreateEventW(NULL, TRUE, FALSE, NULL);
  if (p->handle == NULL) {
    rc = GetLastError() == ERROR_NOT_ENOUGH_MEMORY ? AFDIO_ENOMEM : AFDIO_EMFILE;
    goto err_poller;
  }
  *out = p;
  *handle = p->handle;
  return 0;
err_poller:
  afdio_poller_delete(p->poller);
err_free:
  free(p);
  return rc;
}

void afdio__epoll_port_ref(afdio__epoll_port_t *p) {
  AcquireSRWLockExclusive(&p->lock);
  p->refs++;
  ReleaseSRWLockExclusive(&p->lock);
}

void afdio__epoll_port_release(afdio__epoll_port_t *p) {
  AcquireSRWLockExclusive(&p->lock);
  if (--p->refs == 0 && p->closing)
    WakeAllConditionVariable(&p->unused);
  ReleaseSRWLockExclusive(&p->lock);
}

void afdio__epoll_port_close(afdio__epoll_port_t *p) {
  AcquireSRWLockExclusive(&p->lock);
  p->closing = 1;
  if (p->waiters > 0)
    afdio_waker_wake(p->waker);
  while (p->refs > 0)
    SleepConditionVariableSRW(&p->unused, &p->lock, INFINITE, 0);
  ReleaseSRWLockExclusive(&p->lock);
  afdio_poller_delete(p->poller); /* drops the waker and registrations */
  afdio__epoll_table_cleanup(&p->table);
  CloseHandle(p->handle);
  free(p);
}

/* ------------------------------------------------------------------------ */
/* Bits                                                                      */

/* The afdio interest for an epoll mask. afdio needs a non-empty one: with
 * none of IN, OUT, PRI asked (a mask of 0, or EPOLLRDHUP alone), PRIORITY
 * stands in, being the rarest; urgent data then reported is filtered out
 * and stays masked. Read-closed, hang-up and errors come whatever it is.
 * A oneshot registration always adds PRIORITY: once its event masked the
 * rest, an afdio edge registration with every interest bit masked keeps
 * no poll in the kernel, and a raw close would go unnoticed; wepoll keeps
 * watching a fired oneshot socket for its close, and so does this poll. A
 * MOD made before the next wait costs nothing for it: polls are armed at
 * the wait. */
static uint32_t epoll_port__interest(uint32_t ev) {
  uint32_t i = 0;
  if (ev & (EPOLLIN | EPOLLRDNORM))
    i |= AFDIO_READABLE;
  if (ev & (EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND))
    i |= AFDIO_WRITABLE;
  if (ev & (EPOLLPRI | EPOLLRDBAND | EPOLLONESHOT))
    i |= AFDIO_PRIORITY;
  return i != 0 ? i : AFDIO_PRIORITY;
}

/* afdio events as epoll bits, the way wepoll maps AFD's (src/sock.c): a
 * failed connect (afdio: READABLE | WRITABLE | ERROR) is IN | OUT | ERR |
 * RDNORM | WRNORM | RDHUP, which is also what Linux reports. A reset
 * (afdio: those and both closed bits) adds HUP: Linux's set; wepoll
 * reports HUP alone there. */
static uint32_t epoll_port__epoll_bits(uint32_t e) {
  uint32_t out = 0;
  if (e & AFDIO_ERROR) {
    out |= EPOLLERR;
    if (e & AFDIO_READABLE)
      out |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;
    if (e & AFDIO_WRITABLE)
      out |= EPOLLOUT | EPOLLWRNORM;
  } else {
    if (e & AFDIO_READABLE)
      out |= EPOLLIN | EPOLLRDNORM;
    if (e & AFDIO_WRITABLE)
      out |= EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND;
  }
  if (e & AFDIO_READ_CLOSED)
    out |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;
  if (e & AFDIO_PRIORITY)
    out |= EPOLLPRI | EPOLLRDBAND;
  if (e & AFDIO_WRITE_CLOSED)
    out |= EPOLLHUP;
  return out;
}

/* The afdio bits to re-arm for what was reported. EPOLLERR or EPOLLHUP
 * alone: any re-arm unmasks them, so re-arm the interest. */
static uint32_t epoll_port__rearm_bits(uint32_t reported, uint32_t native) {
  uint32_t b = 0;
  if (reported & (EPOLLIN | EPOLLRDNORM | EPOLLRDHUP))
    b |= AFDIO_READABLE;
  if (reported & (EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND))
    b |= AFDIO_WRITABLE;
  if (reported & (EPOLLPRI | EPOLLRDBAND))
    b |= AFDIO_PRIORITY;
  return b != 0 ? b : native;
}

/* ------------------------------------------------------------------------ */
/* The re-arm list                                                           */

static void epoll_port__list(afdio__epoll_port_t *p, int32_t index) {
  afdio__epoll_rec_t *r = afdio__epoll_table_rec(&p->table, index);
  if (r->listed)
    return;
  r->listed = 1;
  r->prev = AFDIO__EPOLL_NONE;
  r->next = p->rearm_head;
  if (p->rearm_head != AFDIO__EPOLL_NONE)
    afdio__epoll_table_rec(&p->table, p->rearm_head)->prev = index;
  p->rearm_head = index;
}

static void epoll_port__unlist(afdio__epoll_port_t *p, int32_t index) {
  afdio__epoll_rec_t *r = afdio__epoll_table_rec(&p->table, index);
  if (!r->listed)
    return;
  if (r->prev != AFDIO__EPOLL_NONE)
    afdio__epoll_table_rec(&p->table, r->prev)->next = r->next;
  else
    p->rearm_head = r->next;
  if (r->next != AFDIO__EPOLL_NONE)
    afdio__epoll_table_rec(&p->table, r->next)->prev = r->prev;
  r->listed = 0;
  r->rearm = 0;
}

static void epoll_port__drop(afdio__epoll_port_t *p, int32_t index) {
  epoll_port__unlist(p, index);
  afdio__epoll_table_free(&p->table, index);
}

/* Re-arms every listed record. A socket afdio no longer knows was closed
 * and dropped there: drop its record too. */
static void epoll_port__flush(afdio__epoll_port_t *p) {
  while (p->rearm_head != AFDIO__EPOLL_NONE) {
    int32_t index = p->rearm_head;
    afdio__epoll_rec_t *r = afdio__epoll_table_rec(&p->table, index);
    uint32_t bits = r->rearm;
    epoll_port__unlist(p, index);
    if (afdio_poller_rearm(p->poller, r->socket, bits) == AFDIO_ENOENT)
      epoll_port__drop(p, index);
  }
}

/* ------------------------------------------------------------------------ */
/* Control                                                                   */

int afdio__epoll_port_add(afdio__epoll_port_t *p, SOCKET sock,
                          const struct epoll_event *ev) {
  afdio__epoll_rec_t *r;
  int32_t index, old;
  int rc;
  AcquireSRWLockExclusive(&p->lock);
  if ((rc = afdio__epoll_table_alloc(&p->table, sock, &index)) < 0)
    goto out;
  r = afdio__epoll_table_rec(&p->table, index);
  r->data = ev->data.u64;
  r->events = ev->events | EPOLLERR | EPOLLHUP;
  r->native = epoll_port__interest(r->events);
  rc = afdio_poller_register(p->poller, sock,
                             afdio__epoll_table_token(&p->table, index),
                             r->native | AFDIO_EDGE);
  if (rc < 0) {
    afdio__epoll_table_free(&p->table, index);
    goto out;
  }
  /* afdio accepted the socket, so any record left for its value belongs to
   * a socket closed without EPOLL_CTL_DEL. */
  if ((old = afdio__epoll_table_find(&p->table, sock)) != AFDIO__EPOLL_NONE)
    epoll_port__drop(p, old);
  afdio__epoll_table_insert(&p->table, index);
out:
  ReleaseSRWLockExclusive(&p->lock);
  return rc;
}

int afdio__epoll_port_mod(afdio__epoll_port_t *p, SOCKET sock,
                          const struct epoll_event *ev) {
  uint32_t events = ev->events | EPOLLERR | EPOLLHUP;
  uint32_t native = epoll_port__interest(events);
  afdio__epoll_rec_t *r;
  int32_t index;
  int rc = AFDIO_ENOENT;
  AcquireSRWLockExclusive(&p->lock);
  if ((index = afdio__epoll_table_find(&p->table, sock)) == AFDIO__EPOLL_NONE)
    goto out;
  rc = afdio_poller_reregister(p->poller, sock,
                               afdio__epoll_table_token(&p->table, index),
                               native | AFDIO_EDGE);
  if (rc == AFDIO_ENOENT)
    epoll_port__drop(p, index);
  if (rc < 0)
    goto out;
  /* reregister re-armed every bit: nothing is left to re-arm. */
  epoll_port__unlist(p, index);
  r = afdio__epoll_table_rec(&p->table, index);
  r->data = ev->data.u64;
  r->events = events;
  r->native = native;
  r->disarmed = 0;
out:
  ReleaseSRWLockExclusive(&p->lock);
  return rc;
}

int afdio__epoll_port_del(afdio__epoll_port_t *p, SOCKET sock) {
  int32_t index;
  int rc = AFDIO_ENOENT;
  AcquireSRWLockExclusive(&p->lock);
  if ((index = afdio__epoll_table_find(&p->table, sock)) == AFDIO__EPOLL_NONE)
    goto out;
  rc = afdio_poller_deregister(p->poller, sock);
  if (rc == 0 || rc == AFDIO_ENOENT)
    epoll_port__drop(p, index);
out:
  ReleaseSRWLockExclusive(&p->lock);
  return rc;
}

int afdio__epoll_port_rearm(afdio__epoll_port_t *p, SOCKET sock,
                            uint32_t events) {
  uint32_t bits = 0;
  int32_t index;
  int rc = AFDIO_ENOENT;
  if (events & (EPOLLIN | EPOLLRDNORM))
    bits |= AFDIO_READABLE;
  if (events & (EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND))
    bits |= AFDIO_WRITABLE;
  if (events & (EPOLLPRI | EPOLLRDBAND))
    bits |= AFDIO_PRIORITY;
  AcquireSRWLockExclusive(&p->lock);
  if ((index = afdio__epoll_table_find(&p->table, sock)) == AFDIO__EPOLL_NONE)
    goto out;
  if (bits == 0) {
    rc = AFDIO_EINVAL;
    goto out;
  }
  rc = afdio_poller_rearm(p->poller, sock, bits);
  if (rc == AFDIO_ENOENT)
    epoll_port__drop(p, index);
out:
  ReleaseSRWLockExclusive(&p->lock);
  return rc;
}

/* ------------------------------------------------------------------------ */
/* Waiting                                                                   */

/* Turns afdio events into epoll events, in place order; drops those of
 * deleted records, of disarmed oneshot ones, and those with nothing the
 * registration asked for. Sets *woken when the port's waker was among
 * them. Under the lock. */
static int epoll_port__translate(afdio__epoll_port_t *p, const afdio_event_t *in,
                                 int n, struct epoll_event *out, int *woken) {
  int m = 0;
  for (int i = 0; i < n; i++) {
    afdio__epoll_rec_t *r;
    uint32_t bits;
    if (in[i].token == EPOLL_PORT__WAKER_TOKEN) {
      *woken = 1;
      continue;
    }
    r = afdio__epoll_table_by_token(&p->table, in[i].token);
    if (r == NULL || r->disarmed)
      continue;
    bits = epoll_port__epoll_bits(in[i].events) & r->events & ~EPOLL_PORT__MODE_BITS;
    if (bits == 0)
      continue;
    if (r->events & EPOLLONESHOT) {
      r->disarmed = 1;
    } else if ((r->events & (EPOLLET | AFDIO_EPOLLEXACT)) !=
               (EPOLLET | AFDIO_EPOLLEXACT)) {
      r->rearm |= epoll_port__rearm_bits(bits, r->native);
      epoll_port__list(p, (int32_t)(r - p->table.recs));
    }
    out[m].events = bits;
    out[m].data.u64 = r->data;
    m++;
  }
  return m;
}

int afdio__epoll_port_wait(afdio__epoll_port_t *p, struct epoll_event *events,
                           int maxevents, int timeout) {
  afdio_event_t buf[EPOLL_PORT__CHUNK];
  size_t cap = maxevents < EPOLL_PORT__CHUNK ? (size_t)maxevents : EPOLL_PORT__CHUNK;
  ULONGLONG deadline = timeout > 0 ? GetTickCount64() + (ULONGLONG)timeout : 0;
  int64_t ms = timeout < 0 ? -1 : timeout;
  int first = 1;
  for (;;) {
    int n, m, woken = 0;
    AcquireSRWLockExclusive(&p->lock);
    if (p->closing) {
      ReleaseSRWLockExclusive(&p->lock);
      return AFDIO_EBADF;
    }
    /* Only at the start of the call: a re-arm made later could bring a
     * socket twice into one result. */
    if (first)
      epoll_port__flush(p);
    first = 0;
    p->waiters++;
    ReleaseSRWLockExclusive(&p->lock);

    n = afdio_poller_wait(p->poller, buf, cap, ms);

    AcquireSRWLockExclusive(&p->lock);
    p->waiters--;
    m = n > 0 ? epoll_port__translate(p, buf, n, events, &woken) : 0;
    if (woken && p->closing) {
      afdio_waker_wake(p->waker); /* wakes are coalesced: pass it on */
      ReleaseSRWLockExclusive(&p->lock);
      return AFDIO_EBADF;
    }
    /* A thread still blocked must not miss a level event: re-arm now. */
    if (m > 0 && p->waiters > 0)
      epoll_port__flush(p);
    ReleaseSRWLockExclusive(&p->lock);
    if (n < 0)
      return n;
    if (m > 0 || n == 0 || timeout == 0)
      return m;
    if (timeout > 0) {
      ULONGLONG now = GetTickCount64();
      if (now >= deadline)
        return 0;
      ms = (int64_t)(deadline - now);
    }
  }
}
