/* The per-socket poll state machine. */
#include "iocp/sock_state.h"

#include <stdlib.h>

#include "afd/afd.h"

typedef enum sock_state__status {
  SOCK_STATE__IDLE = 0, /* no poll in flight */
  SOCK_STATE__PENDING,  /* a poll in flight */
  SOCK_STATE__CANCELLED /* cancelled, its packet not yet dequeued */
} sock_state__status_t;

struct afdio__sock_state {
  afdio__op_t op; /* first, so the packet's lpOverlapped is the state */
  afdio__afd_poll_info_t info;
  afdio__poll_group_t *group;
  uintptr_t socket;
  uintptr_t base;
  uint64_t token;
  uint32_t interest; /* AFDIO_READABLE | AFDIO_WRITABLE | AFDIO_PRIORITY */
  uint32_t mode;     /* AFDIO_EDGE, AFDIO_LEVEL or AFDIO_ONESHOT */
  ULONG masked;      /* edge: AFD bits reported and not re-armed yet */
  ULONG polled;      /* AFD bits of the poll in flight */
  sock_state__status_t status;
  unsigned char disarmed; /* oneshot: reported once, waits for reregister */
  unsigned char failed;   /* edge: a failed poll was reported, until rearm */
  unsigned char deleted;
  afdio__queue_node_t node; /* the poller's update queue or graveyard */
  /* The older (deleted) and newer state of the same socket value, while
   * the older one's packet is still to come (see afdio__sock_state_link). */
  afdio__sock_state_t *pred;
  afdio__sock_state_t *succ;
};

/* Requested with every poll: LOCAL_CLOSE so closing the socket completes
 * the poll (AFD-NOTES 4, wepoll src/sock.c), and the conditions that are
 * reported whatever the interest. AFD_POLL_CONNECT is never requested: it
 * is reported on every poll of a connected socket (wepoll 8b7b340). */
#define SOCK_STATE__ALWAYS                                                     \
  (AFDIO__AFD_POLL_DISCONNECT | AFDIO__AFD_POLL_ABORT |                        \
   AFDIO__AFD_POLL_CONNECT_FAIL)

#define SOCK_STATE__EVENT_ONLY                                                 \
  (AFDIO_ERROR | AFDIO_READ_CLOSED | AFDIO_WRITE_CLOSED)

static ULONG sock_state__afd_bits(uint32_t events) {
  ULONG afd = 0;
  if (events & AFDIO_READABLE)
    afd |= AFDIO__AFD_POLL_RECEIVE | AFDIO__AFD_POLL_ACCEPT;
  if (events & AFDIO_WRITABLE)
    afd |= AFDIO__AFD_POLL_SEND;
  if (events & AFDIO_PRIORITY)
    afd |= AFDIO__AFD_POLL_RECEIVE_EXPEDITED;
  return afd;
}

/* AFD results as afdio events (AFD-NOTES 4, 21, 25; mio afd.rs). ABORT (a
 * reset) is sticky and closes both directions; like epoll after a reset it
 * also wakes readers and writers, who then see the error. CONNECT_FAIL is
 * what epoll reports for a failed connect. */
static uint32_t sock_state__events(ULONG afd) {
  uint32_t ev = 0;
  if (afd & (AFDIO__AFD_POLL_RECEIVE | AFDIO__AFD_POLL_ACCEPT))
    ev |= AFDIO_READABLE;
  if (afd & AFDIO__AFD_POLL_RECEIVE_EXPEDITED)
    ev |= AFDIO_PRIORITY;
  if (afd & AFDIO__AFD_POLL_SEND)
    ev |= AFDIO_WRITABLE;
  if (afd & AFDIO__AFD_POLL_DISCONNECT)
    ev |= AFDIO_READABLE | AFDIO_READ_CLOSED;
  /* A reset is an error on every backend, as epoll's EPOLLERR and kqueue's
   * EV_EOF with an errno say; mio and wepoll leave ERROR out here (mio
   * src/sys/windows/event.rs ERROR_FLAGS, wepoll src/sock.c), so afdio
   * differs from them on purpose. ABORT is sticky, so ERROR is too. */
  if (afd & AFDIO__AFD_POLL_ABORT)
    ev |= AFDIO_READABLE | AFDIO_WRITABLE | AFDIO_READ_CLOSED |
          AFDIO_WRITE_CLOSED | AFDIO_ERROR;
  if (afd & AFDIO__AFD_POLL_CONNECT_FAIL)
    ev |= AFDIO_READABLE | AFDIO_WRITABLE | AFDIO_ERROR;
  return ev;
}

/* What the state's poll must watch; 0 when it needs no poll at all: a
 * deleted state, a disarmed oneshot, an edge state whose every interest
 * was reported and not re-armed (it waits for a rearm, which a caller
 * that reads or writes until would-block always makes), an edge state
 * whose failed poll was reported. Such a parked state keeps no poll in
 * the kernel, so it costs nothing, and a raw close of its socket is only
 * noticed by the submission that follows its next re-arm. */
static ULONG sock_state__wanted(const afdio__sock_state_t *s) {
  ULONG want;
  if (s->deleted || s->disarmed || s->failed)
    return 0;
  want = sock_state__afd_bits(s->interest) & ~s->masked;
  if (want == 0)
    return 0;
  return want | (SOCK_STATE__ALWAYS & ~s->masked) | AFDIO__AFD_POLL_LOCAL_CLOSE;
}

int afdio__sock_state_new(afdio__poll_group_t *group, uintptr_t socket,
                          uintptr_t base, afdio__sock_state_t **out) {
  afdio__sock_state_t *s = calloc(1, sizeof *s);
  if (s == NULL)
    return AFDIO_ENOMEM;
  s->op.kind = AFDIO__OP_POLL;
  afdio__queue_init(&s->op.ready);
  afdio__queue_init(&s->node);
  s->group = group;
  s->socket = socket;
  s->base = base;
  *out = s;
  return 0;
}

void afdio__sock_state_free(afdio__sock_state_t *s) {
  afdio__poll_group_release(s->group);
  s->op.kind = AFDIO__OP_FREED;
  free(s);
}

void afdio__sock_state_set(afdio__sock_state_t *s, uint64_t token,
                           uint32_t interest) {
  s->token = token;
  s->interest = interest & (AFDIO_READABLE | AFDIO_WRITABLE | AFDIO_PRIORITY);
  s->mode = interest & (AFDIO_LEVEL | AFDIO_ONESHOT);
  s->masked = 0;
  s->disarmed = 0;
  s->failed = 0;
}

int afdio__sock_state_rearm(afdio__sock_state_t *s, uint32_t events) {
  ULONG unmask = sock_state__afd_bits(events) | AFDIO__AFD_POLL_ABORT |
                 AFDIO__AFD_POLL_CONNECT_FAIL;
  ULONG before = s->masked;
  int failed = s->failed;
  if (s->mode != AFDIO_EDGE)
    return 0;
  /* The read side also re-arms end of stream: a read that would block has
   * not seen it yet. */
  if (events & AFDIO_READABLE)
    unmask |= AFDIO__AFD_POLL_DISCONNECT;
  s->masked &= ~unmask;
  s->failed = 0;
  return s->masked != before || failed;
}

/* 1 while the state's poll is in the kernel: submitted and its IOSB not
 * yet written. Once written the IRP is done, even if its packet is still
 * to be dequeued. */
static int sock_state__in_kernel(const afdio__sock_state_t *s) {
  return s->status != SOCK_STATE__IDLE &&
         afdio__iosb_status(&s->op.iosb) == AFDIO__STATUS_PENDING;
}

int afdio__sock_state_stale(const afdio__sock_state_t *s) {
  ULONG want = sock_state__wanted(s);
  switch (s->status) {
  case SOCK_STATE__IDLE:
    return want != 0;
  case SOCK_STATE__PENDING:
    /* Only a poll that misses wanted bits is cancelled: one that watches
     * more than needed completes in time and is filtered (AFD-NOTES 11). */
    return s->deleted || (want & ~s->polled) != 0;
  default:
    return 0;
  }
}

static int sock_state__submit(afdio__sock_state_t *s, ULONG want,
                              HANDLE port) {
  afdio__ntstatus_t st;
  int err;
  st = afdio__afd_poll(afdio__poll_group_handle(s->group), s->base, want,
                       &s->info, &s->op.iosb);
  s->polled = want;
  if (!AFDIO__NT_ERROR(st)) {
    /* STATUS_SUCCESS (completed inside the call, as Wine 8 does for a
     * socket already ready) is handled like STATUS_PENDING, as mio does:
     * a packet comes either way, and the result is taken from it. */
    s->status = SOCK_STATE__PENDING;
    return AFDIO__SOCK_OK;
  }
  /* An error status queues no packet. The socket is closed:
   * STATUS_INVALID_HANDLE on Windows (wepoll src/sock.c), and
   * STATUS_OBJECT_TYPE_MISMATCH under Wine 8. */
  if (st == AFDIO__STATUS_INVALID_HANDLE ||
      st == AFDIO__STATUS_OBJECT_TYPE_MISMATCH) {
    s->deleted = 1;
    return AFDIO__SOCK_GONE;
  }
  /* Any other failure (STATUS_INSUFFICIENT_RESOURCES, ...) is the poll's,
   * not the socket's: it is delivered as a packet of our own carrying the
   * status, and reported as ERROR like a poll that completed with it. */
  s->op.iosb.u.Status = st;
  err = afdio__port_post(port, &s->op);
  if (err < 0)
    return err;
  s->status = SOCK_STATE__PENDING;
  return AFDIO__SOCK_OK;
}

int afdio__sock_state_watch_close(afdio__sock_state_t *s, HANDLE port) {
  ULONG want = sock_state__wanted(s);
  if (s->status != SOCK_STATE__IDLE || s->deleted || s->failed ||
      (s->pred != NULL && sock_state__in_kernel(s->pred)))
    return AFDIO__SOCK_OK;
  return sock_state__submit(s, want != 0 ? want : AFDIO__AFD_POLL_LOCAL_CLOSE,
                            port);
}

int afdio__sock_state_update(afdio__sock_state_t *s, HANDLE port) {
  int err;
  if (!afdio__sock_state_stale(s))
    return AFDIO__SOCK_OK;
  if (s->status == SOCK_STATE__IDLE) {
    if (s->pred != NULL && sock_state__in_kernel(s->pred))
      return AFDIO__SOCK_DEFERRED;
    return sock_state__submit(s, sock_state__wanted(s), port);
  }
  err = afdio__afd_cancel(afdio__poll_group_handle(s->group), &s->op.iosb);
  if (err < 0)
    return err;
  s->status = SOCK_STATE__CANCELLED;
  return AFDIO__SOCK_OK;
}

/* The afdio events in a completed poll, before mode rules. */
static uint32_t sock_state__result(afdio__sock_state_t *s, ULONG *afd) {
  afdio__ntstatus_t st = afdio__iosb_status(&s->op.iosb);
  *afd = 0;
  if (st == AFDIO__STATUS_CANCELLED)
    return 0;
  if (!AFDIO__NT_SUCCESS(st))
    return AFDIO_ERROR; /* the poll itself failed (wepoll src/sock.c) */
  if (s->info.NumberOfHandles < 1)
    return 0;
  *afd = s->info.Handles[0].Events & s->polled;
  if (*afd & AFDIO__AFD_POLL_LOCAL_CLOSE) {
    s->deleted = 1;
    return 0;
  }
  *afd &= ~s->masked;
  return sock_state__events(*afd);
}

int afdio__sock_state_feed(afdio__sock_state_t *s, afdio_event_t *ev) {
  uint32_t events;
  ULONG afd;
  s->status = SOCK_STATE__IDLE;
  if (s->deleted)
    return 0;
  events = sock_state__result(s, &afd);
  if (s->deleted || s->disarmed)
    return 0;
  events &= s->interest | SOCK_STATE__EVENT_ONLY;
  if (events == 0)
    return 0;
  /* Edge: what was reported stays quiet until rearmed, whichever AFD bit
   * brought it: WRITABLE reported through ABORT must not come again
   * through SEND (both map to it). A failed poll (ERROR with no AFD bit)
   * parks the state until a rearm, or it would be reported on every wait. */
  if (s->mode == AFDIO_EDGE) {
    s->masked |= afd | sock_state__afd_bits(events);
    if (afd == 0)
      s->failed = 1;
  } else if (s->mode == AFDIO_ONESHOT) {
    s->disarmed = 1;
  }
  ev->token = s->token;
  ev->events = events;
  ev->reserved_ = 0;
  return 1;
}

int afdio__sock_state_delete(afdio__sock_state_t *s) {
  int err;
  s->deleted = 1;
  if (s->status != SOCK_STATE__PENDING)
    return 0;
  err = afdio__afd_cancel(afdio__poll_group_handle(s->group), &s->op.iosb);
  if (err == 0)
    s->status = SOCK_STATE__CANCELLED;
  return err;
}

int afdio__sock_state_deleted(const afdio__sock_state_t *s) {
  return s->deleted;
}

int afdio__sock_state_busy(const afdio__sock_state_t *s) {
  return s->status != SOCK_STATE__IDLE;
}

int afdio__sock_state_closed(const afdio__sock_state_t *s) {
  afdio__ntstatus_t st = afdio__iosb_status(&s->op.iosb);
  if (s->status == SOCK_STATE__IDLE || st == AFDIO__STATUS_PENDING)
    return 0;
  return AFDIO__NT_SUCCESS(st) && s->info.NumberOfHandles >= 1 &&
         (s->info.Handles[0].Events & AFDIO__AFD_POLL_LOCAL_CLOSE) != 0;
}

void afdio__sock_state_link(afdio__sock_state_t *pred,
                            afdio__sock_state_t *succ) {
  pred->succ = succ;
  succ->pred = pred;
}

afdio__sock_state_t *afdio__sock_state_unlink(afdio__sock_state_t *s) {
  afdio__sock_state_t *succ = s->succ;
  if (s->pred != NULL)
    s->pred->succ = succ;
  if (succ != NULL)
    succ->pred = s->pred;
  s->pred = NULL;
  s->succ = NULL;
  return succ;
}

afdio__sock_state_t *afdio__sock_state_pred(const afdio__sock_state_t *s) {
  return s->pred;
}

uintptr_t afdio__sock_state_socket(const afdio__sock_state_t *s) {
  return s->socket;
}

afdio__sock_state_t *afdio__sock_state_from_op(afdio__op_t *op) {
  return AFDIO__CONTAINER_OF(op, afdio__sock_state_t, op);
}

afdio__queue_node_t *afdio__sock_state_node(afdio__sock_state_t *s) {
  return &s->node;
}

afdio__sock_state_t *afdio__sock_state_from_node(afdio__queue_node_t *n) {
  return AFDIO__CONTAINER_OF(n, afdio__sock_state_t, node);
}

