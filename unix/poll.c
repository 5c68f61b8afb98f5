/* The poll(2) backend: for Unix systems with neither epoll nor kqueue
 * (illumos, Solaris, Haiku, AIX, the Hurd), and on Linux with
 * -Dbackend=poll. It fills core/backend.h, as unix/epoll.c does.
 *
 * poll(2) keeps no state in the kernel, so this file keeps it all: a dense
 * array of registrations (the set each wait hands to poll(), O(registered)
 * per wait as poll itself is) and a table from descriptor number to slot.
 * The modes are emulated the way the Windows backend emulates them over
 * AFD's one-shot polls (and mio's poll(2) selector over poll(2)): a
 * registration keeps the bits it may still report ("armed"); level mode
 * re-reports whatever holds, edge mode disarms a bit once reported until
 * afdio_poller_rearm() (which net/ calls on would-block) or a reregister,
 * oneshot mode disarms everything until a reregister. Disarming happens
 * under the lock, so with several threads waiting, an edge or oneshot event
 * goes to one of them.
 *
 * The kernel does not see a registration change made while a thread is
 * blocked in poll(): the thread polls its own copy of the set. So every
 * change made while threads poll signals the "kick" wake descriptor, which
 * is in every copy (level-triggered, at slot 0): the blocked threads wake,
 * take the new set and poll again. The last thread out drains it. Delete
 * signals it too, and then it is never drained.
 *
 * Wakers are wake descriptors in the set; the thread whose drain finds a
 * signal (under the lock) reports the wake, so wakes coalesce and each
 * goes to one thread.
 *
 * A registration remembers its open file (st_dev, st_ino). A number closed
 * while registered and reused by a new file is told apart: before an event
 * is reported (one fstat() per event), and by register, reregister and
 * deregister, which treat the old entry as gone, as epoll does.
 *
 * Differences from epoll, each the price of having no kernel-side state:
 * - A registration belongs to the descriptor number, not to the open file:
 *   a socket still open through dup() stops being watched when the
 *   registered number is closed (epoll keeps watching it).
 * - A TCP socket that has never connected or listened (Linux reports such
 *   a socket as hung up: unix/unconnected.h) is left out of the set and
 *   looked at again by every round; while there is one, a round sleeps at
 *   most POLL__UNCONNECTED_MS, so a connect() made during a blocked wait
 *   is seen within that. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/backend.h"
#include "core/deadline.h"
#include "unix/error.h"
#include "unix/unconnected.h"
#include "unix/wakefd.h"

/* The longest single poll(), well inside an int; longer waits loop. */
#define POLL__MAX_MS (INT_MAX / 2)

/* The longest sleep of a round while a never-connected socket is left out
 * of the set (see above). */
#define POLL__UNCONNECTED_MS 10

/* The event-only bits: reported whatever the interest. */
#define POLL__EVENT_ONLY (AFDIO_ERROR | AFDIO_READ_CLOSED | AFDIO_WRITE_CLOSED)

#if defined(POLLRDHUP)
#define POLL__RDHUP POLLRDHUP
#else
#define POLL__RDHUP 0
#endif

/* WASI's poll() has no urgent data: PRIORITY is never reported there. */
#if defined(POLLPRI)
#define POLL__PRI POLLPRI
#else
#define POLL__PRI 0
#endif

typedef struct poll__reg {
  int fd;
  uint32_t interest; /* as registered, mode included */
  uint32_t armed;    /* the event bits it may still report */
  uint64_t token;
  dev_t dev; /* the open file registered, to tell a reused number */
  ino_t ino;
  afdio_waker_t *waker;      /* a waker's descriptor, else NULL */
  unsigned char dead;        /* seen closed (POLLNVAL): left out */
  unsigned char unconnected; /* never connected: left out, looked at */
} poll__reg_t;

/* A waiting thread's copy of the set, kept for reuse so that a wait
 * allocates only when the set has grown past every copy made so far. */
typedef struct poll__buf {
  struct pollfd *fds;
  size_t cap;
  struct poll__buf *next;
} poll__buf_t;

struct afdio_poller {
  afdio__poller_base_t base; /* base.lock guards everything below */
  poll__reg_t *regs;         /* dense, in no order */
  size_t count, cap;
  size_t *slot_of; /* fd -> slot + 1, 0 for none */
  size_t slots;    /* entries in slot_of */
  afdio__wakefd_t kick;
  poll__buf_t *bufs; /* copies not in use */
  size_t cursor;     /* where the next round starts reporting, for fairness */
  int polling;       /* threads inside poll() */
  unsigned char kicked, closing;
};

struct afdio_waker {
  afdio__waker_base_t base;
  afdio__wakefd_t wakefd;
  uint64_t token;
};

/* On WASI (preview 1) this is the backend too: wasi-libc's poll() is one
 * poll_oneoff() call with a subscription per descriptor and one for the
 * timeout. There are no threads, so no kick descriptor and no wakers
 * (unix/wakefd_none.c). */
#if defined(__wasi__)
const char afdio__backend_name[] = "wasi";
#else
const char afdio__backend_name[] = "poll";
#endif
const int afdio__backend_edge_needs_rearm = 1; /* edges are emulated */

/* ------------------------------------------------------------------------ */
/* Bits at the boundary                                                      */

/* POLLRDHUP (Linux) is always asked for, so that a peer's FIN shows as
 * READ_CLOSED whatever the interest, as on epoll. */
static short poll__native(uint32_t bits) {
  short native = POLL__RDHUP;
  if (bits & AFDIO_READABLE)
    native |= POLLIN;
  if (bits & AFDIO_WRITABLE)
    native |= POLLOUT;
  if (bits & AFDIO_PRIORITY)
    native |= POLL__PRI;
  return native;
}

/* As unix/epoll.c translates the same bits: POLLHUP closes both ways. */
static uint32_t poll__events_from_native(short native) {
  uint32_t events = 0;
  if (native & POLLIN)
    events |= AFDIO_READABLE;
  if (native & POLLOUT)
    events |= AFDIO_WRITABLE;
  if (native & POLL__PRI)
    events |= AFDIO_PRIORITY;
  if (native & POLLERR)
    events |= AFDIO_ERROR;
  if (native & (POLL__RDHUP | POLLHUP))
    events |= AFDIO_READ_CLOSED;
  if (native & POLLHUP)
    events |= AFDIO_WRITE_CLOSED;
  return events;
}

/* Everything a fresh or re-armed registration may report. */
static uint32_t poll__all(uint32_t interest) {
  return (interest & AFDIO__INTEREST_EVENTS) | POLL__EVENT_ONLY;
}

/* ------------------------------------------------------------------------ */
/* The set (under the lock)                                                  */

static poll__reg_t *poll__find(afdio_poller_t *p, int fd) {
  if (fd < 0 || (size_t)fd >= p->slots || p->slot_of[fd] == 0)
    return NULL;
  return &p->regs[p->slot_of[fd] - 1];
}

/* Makes room for one more registration of fd. */
static int poll__reserve(afdio_poller_t *p, int fd) {
  if ((size_t)fd >= p->slots) {
    size_t slots = p->slots < 64 ? 64 : p->slots;
    while (slots <= (size_t)fd)
      slots *= 2;
    size_t *grown = realloc(p->slot_of, slots * sizeof *grown);
    if (grown == NULL)
      return AFDIO_ENOMEM;
    memset(grown + p->slots, 0, (slots - p->slots) * sizeof *grown);
    p->slot_of = grown;
    p->slots = slots;
  }
  if (p->count == p->cap) {
    size_t cap = p->cap < 16 ? 16 : p->cap * 2;
    poll__reg_t *grown = realloc(p->regs, cap * sizeof *grown);
    if (grown == NULL)
      return AFDIO_ENOMEM;
    p->regs = grown;
    p->cap = cap;
  }
  return 0;
}

/* Appends a registration; poll__reserve() made room. */
static poll__reg_t *poll__append(afdio_poller_t *p, int fd) {
  poll__reg_t *r = &p->regs[p->count++];
  memset(r, 0, sizeof *r);
  r->fd = fd;
  p->slot_of[fd] = p->count;
  return r;
}

/* Removes a registration: the last one takes its slot. */
static void poll__erase(afdio_poller_t *p, poll__reg_t *r) {
  size_t slot = (size_t)(r - p->regs);
  p->slot_of[r->fd] = 0;
  if (slot != --p->count) {
    *r = p->regs[p->count];
    p->slot_of[r->fd] = slot + 1;
  }
}

/* Threads blocked in poll() hold an old copy of the set: wake them to
 * take the new one. One signal until the last of them drains it. */
static void poll__changed(afdio_poller_t *p) {
  if (p->polling > 0 && !p->kicked) {
    p->kicked = 1;
    afdio__wakefd_signal(&p->kick);
  }
}

/* The open file behind fd, for telling a reused number apart. Errors:
 * AFDIO_EBADF (closed), AFDIO_ENOTSOCK (a regular file or a directory,
 * which poll() would call always ready: refused, as epoll refuses them). */
static int poll__identify(int fd, dev_t *dev, ino_t *ino) {
  struct stat st;
  if (fstat(fd, &st) != 0)
    return errno == EBADF ? AFDIO_EBADF : AFDIO_EIO;
  if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))
    return AFDIO_ENOTSOCK;
  *dev = st.st_dev;
  *ino = st.st_ino;
  return 0;
}

/* Whether r still stands for the open file it was registered with. */
static int poll__same_file(const poll__reg_t *r) {
  dev_t dev;
  ino_t ino;
  return !r->dead && poll__identify(r->fd, &dev, &ino) == 0 && dev == r->dev &&
         ino == r->ino;
}

static void poll__arm(poll__reg_t *r, uint64_t token, uint32_t interest) {
  r->token = token;
  r->interest = interest;
  r->armed = poll__all(interest);
  r->dead = 0;
  r->unconnected = (unsigned char)afdio__tcp_unconnected(r->fd);
}

/* ------------------------------------------------------------------------ */
/* Poller lifetime                                                           */

const size_t afdio__backend_size = sizeof(struct afdio_poller);

/* Without a kick (AFDIO_ENOSYS: no threads) the backend still works. */
int afdio__backend_open(afdio_poller_t *p) {
  p->kick.read_fd = p->kick.write_fd = -1;
  int err = afdio__wakefd_open(&p->kick);
  return err == AFDIO_ENOSYS ? 0 : err;
}

void afdio__backend_wake_all(afdio_poller_t *p) {
  afdio__lock(&p->base.lock);
  p->closing = 1;
  afdio__wakefd_signal(&p->kick);
  afdio__unlock(&p->base.lock);
}

void afdio__backend_close(afdio_poller_t *p) {
  while (p->bufs != NULL) {
    poll__buf_t *b = p->bufs;
    p->bufs = b->next;
    free(b->fds);
    free(b);
  }
  afdio__wakefd_close(&p->kick);
  free(p->regs);
  free(p->slot_of);
}

/* ------------------------------------------------------------------------ */
/* Registrations (under the lock)                                            */

/* An entry whose descriptor was closed (or whose number now names another
 * file) is stale: it is replaced, as the kernel forgets a closed fd on
 * epoll. */
int afdio__backend_add(afdio_poller_t *p, afdio_socket_t fd, uint64_t token,
                       uint32_t interest) {
  dev_t dev;
  ino_t ino;
  int err = poll__identify(fd, &dev, &ino);
  if (err != 0)
    return err;
  poll__reg_t *r = poll__find(p, fd);
  if (r != NULL && (r->waker != NULL || poll__same_file(r)))
    return AFDIO_EEXIST;
  if (r == NULL) {
    err = poll__reserve(p, fd);
    if (err != 0)
      return err;
    r = poll__append(p, fd);
  }
  r->dev = dev;
  r->ino = ino;
  poll__arm(r, token, interest);
  poll__changed(p);
  return 0;
}

/* A registration that is not the registered file any more (closed, or its
 * number reused) is dropped: AFDIO_ENOENT, as on every backend. */
static poll__reg_t *poll__find_live(afdio_poller_t *p, int fd) {
  poll__reg_t *r = poll__find(p, fd);
  if (r == NULL || r->waker != NULL)
    return NULL;
  if (!poll__same_file(r)) {
    poll__erase(p, r);
    return NULL;
  }
  return r;
}

int afdio__backend_modify(afdio_poller_t *p, afdio_socket_t fd, uint64_t token,
                          uint32_t interest) {
  poll__reg_t *r = poll__find_live(p, fd);
  if (r == NULL)
    return AFDIO_ENOENT;
  poll__arm(r, token, interest);
  poll__changed(p);
  return 0;
}

/* A round that polled the socket before this returned looks it up again
 * under the lock before reporting, and finds nothing. */
int afdio__backend_remove(afdio_poller_t *p, afdio_socket_t fd) {
  poll__reg_t *r = poll__find_live(p, fd);
  if (r == NULL)
    return AFDIO_ENOENT;
  poll__erase(p, r);
  poll__changed(p);
  return 0;
}

/* Edge mode: the bits are armed again, so their next readiness (or the
 * one that holds now) is reported. Only the table answers "registered?",
 * as on epoll. */
int afdio__backend_rearm(afdio_poller_t *p, afdio_socket_t fd,
                         uint32_t events) {
  poll__reg_t *r = poll__find(p, fd);
  if (r == NULL || r->waker != NULL)
    return AFDIO_ENOENT;
  if (r->interest & (AFDIO_LEVEL | AFDIO_ONESHOT))
    return 0;
  uint32_t armed = r->armed | (events & r->interest);
  if (armed != r->armed) {
    r->armed = armed;
    poll__changed(p);
  }
  return 0;
}

/* ------------------------------------------------------------------------ */
/* Waiting                                                                   */

/* A copy of the set for one round: the kick first, then every
 * registration with something armed. *unconnected is set when a
 * never-connected socket was left out. NULL when out of memory. */
static poll__buf_t *poll__copy(afdio_poller_t *p, nfds_t *n, int *unconnected) {
  poll__buf_t *b = p->bufs;
  if (b != NULL)
    p->bufs = b->next;
  else if ((b = calloc(1, sizeof *b)) == NULL)
    return NULL;
  if (b->cap < p->count + 1) {
    size_t cap = p->count + 1 < 16 ? 16 : (p->count + 1) * 2;
    struct pollfd *grown = realloc(b->fds, cap * sizeof *grown);
    if (grown == NULL) {
      b->next = p->bufs;
      p->bufs = b;
      return NULL;
    }
    b->fds = grown;
    b->cap = cap;
  }
  b->fds[0] = (struct pollfd){.fd = p->kick.read_fd, .events = POLLIN};
  nfds_t k = 1;
  *unconnected = 0;
  for (size_t i = 0; i < p->count; i++) {
    poll__reg_t *r = &p->regs[i];
    if (r->dead || r->armed == 0)
      continue;
    if (r->unconnected &&
        (r->unconnected = (unsigned char)afdio__tcp_unconnected(r->fd)) != 0) {
      *unconnected = 1;
      continue;
    }
    short events = r->waker != NULL ? POLLIN : poll__native(r->armed);
    b->fds[k++] = (struct pollfd){.fd = r->fd, .events = events};
  }
  *n = k;
  return b;
}

/* What one polled descriptor gives, under the lock: 1 with *ev, or 0.
 * Edge and oneshot bits are disarmed as they are reported. */
static int poll__feed(afdio_poller_t *p, const struct pollfd *pfd,
                      afdio_event_t *ev) {
  poll__reg_t *r = poll__find(p, pfd->fd);
  if (r == NULL || r->dead)
    return 0; /* deregistered since the copy */
  if (pfd->revents & POLLNVAL) {
    /* Closed while registered: left out until registered again. */
    r->dead = fcntl(r->fd, F_GETFD) < 0;
    return 0;
  }
  if (r->waker != NULL) {
    if (!afdio__wakefd_drain(&r->waker->wakefd))
      return 0; /* another thread took this wake */
    *ev = (afdio_event_t){r->token, AFDIO_READABLE, 0};
    return 1;
  }
  uint32_t ready =
      poll__events_from_native(pfd->revents) & poll__all(r->interest);
  uint32_t report = ready & r->armed;
  if (report == 0)
    return 0;
  /* A number closed while registered may name a new file by now: its
   * readiness is not the registration's (one fstat per event, so a close
   * without deregister is exact here as on epoll). */
  if (!poll__same_file(r)) {
    r->dead = 1;
    return 0;
  }
  /* A closing bit comes with whatever readiness holds, as epoll's. */
  if (report & POLL__EVENT_ONLY)
    report |= ready;
  if (r->interest & AFDIO_ONESHOT)
    r->armed = 0;
  else if (!(r->interest & AFDIO_LEVEL))
    r->armed &= ~report;
  *ev = (afdio_event_t){r->token, report, 0};
  return 1;
}

/* One poll() of the registered set; events are taken from the copy under
 * the lock, starting at a rotating place so that a small room does not
 * always serve the same sockets first. */
int afdio__backend_collect(afdio_poller_t *p, afdio_event_t *events, int room,
                           int64_t timeout_ns) {
  nfds_t n = 0;
  int unconnected = 0;
  afdio__lock(&p->base.lock);
  if (p->closing) {
    afdio__unlock(&p->base.lock);
    return 0;
  }
  poll__buf_t *b = poll__copy(p, &n, &unconnected);
  if (b == NULL) {
    afdio__unlock(&p->base.lock);
    return AFDIO_EIO;
  }
  p->polling++;
  afdio__unlock(&p->base.lock);

  int ms = timeout_ns < 0
               ? -1
               : (int)afdio__deadline_ns_to_ms(timeout_ns, POLL__MAX_MS);
  if (unconnected && (ms < 0 || ms > POLL__UNCONNECTED_MS))
    ms = POLL__UNCONNECTED_MS;
  nfds_t first = p->kick.read_fd < 0; /* without a kick, slot 0 is unused */
  int got = poll(b->fds + first, n - first, ms);
  int err = got < 0 && errno != EINTR ? AFDIO_EIO : 0;

  afdio__lock(&p->base.lock);
  p->polling--;
  if (b->fds[0].revents != 0 && p->polling == 0 && !p->closing) {
    afdio__wakefd_drain(&p->kick);
    p->kicked = 0;
  }
  int out = 0;
  if (got > 0 && n > 1) {
    size_t start = p->cursor++ % (n - 1);
    for (size_t i = 0; i < n - 1 && out < room; i++) {
      const struct pollfd *pfd = &b->fds[1 + (start + i) % (n - 1)];
      if (pfd->revents != 0)
        out += poll__feed(p, pfd, &events[out]);
    }
  }
  b->next = p->bufs;
  p->bufs = b;
  afdio__unlock(&p->base.lock);
  return err != 0 ? err : out;
}

/* ------------------------------------------------------------------------ */
/* Wakers                                                                    */

const size_t afdio__backend_waker_size = sizeof(struct afdio_waker);

int afdio__backend_waker_open(afdio_waker_t *w, uint64_t token) {
  afdio_poller_t *p = w->base.poller;
  w->token = token;
  w->wakefd.read_fd = w->wakefd.write_fd = -1;
  int err = afdio__wakefd_open(&w->wakefd);
  if (err != 0)
    return err;
  int fd = w->wakefd.read_fd;
  afdio__lock(&p->base.lock);
  err = poll__reserve(p, fd);
  if (err == 0) {
    /* A stale entry of a closed user descriptor with this number goes. */
    poll__reg_t *old = poll__find(p, fd);
    if (old != NULL)
      poll__erase(p, old);
    poll__reg_t *r = poll__append(p, fd);
    r->waker = w;
    r->token = token;
    r->interest = AFDIO_READABLE | AFDIO_LEVEL;
    r->armed = AFDIO_READABLE;
    poll__changed(p);
  }
  afdio__unlock(&p->base.lock);
  return err;
}

int afdio__backend_waker_wake(afdio_waker_t *w) {
  return afdio__wakefd_signal(&w->wakefd);
}

void afdio__backend_waker_close(afdio_waker_t *w) {
  afdio_poller_t *p = w->base.poller;
  afdio__lock(&p->base.lock);
  poll__reg_t *r = poll__find(p, w->wakefd.read_fd);
  if (r != NULL && r->waker == w) {
    poll__erase(p, r);
    poll__changed(p);
  }
  afdio__unlock(&p->base.lock);
  afdio__wakefd_close(&w->wakefd);
}
