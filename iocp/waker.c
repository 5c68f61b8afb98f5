/* Wakers. */
#include "iocp/waker.h"

#include <stdlib.h>

struct afdio_waker {
  afdio__op_t op; /* first: the packet's lpOverlapped */
  HANDLE port;
  afdio_poller_t *owner;
  uint64_t token;
  volatile LONG pending; /* 1 while a packet is posted and not processed */
  int deleted;           /* deleted with a packet posted: freed at dequeue */
  afdio__queue_node_t node; /* the owner's list of wakers */
};

int afdio__waker_new(HANDLE port, afdio_poller_t *owner, uint64_t token,
                     afdio_waker_t **out) {
  afdio_waker_t *w = calloc(1, sizeof *w);
  if (w == NULL)
    return AFDIO_ENOMEM;
  w->op.kind = AFDIO__OP_WAKER;
  afdio__queue_init(&w->op.ready);
  w->port = port;
  w->owner = owner;
  w->token = token;
  afdio__queue_init(&w->node);
  *out = w;
  return 0;
}

static void waker__release(afdio_waker_t *w) {
  afdio__queue_remove(&w->node);
  afdio__queue_remove(&w->op.ready);
  w->op.kind = AFDIO__OP_FREED;
  free(w);
}

void afdio__waker_free(afdio_waker_t *w) {
  /* A posted packet points at the waker: it must stay allocated until the
   * packet is dequeued (or the poller is deleted, after its drain). */
  if (InterlockedCompareExchange(&w->pending, 1, 1) != 0)
    w->deleted = 1;
  else
    waker__release(w);
}

int afdio_waker_wake(afdio_waker_t *waker) {
  int err;
  if (waker == NULL)
    return AFDIO_EINVAL;
  /* Coalesce: only the wake that raises the flag posts a packet; the flag
   * drops when the packet is processed, so later wakes post again. */
  if (InterlockedExchange(&waker->pending, 1) != 0)
    return 0;
  err = afdio__port_post(waker->port, &waker->op);
  if (err < 0) {
    InterlockedExchange(&waker->pending, 0);
    return AFDIO_EIO;
  }
  return 0;
}

int afdio__waker_feed(afdio__op_t *op, afdio_event_t *ev) {
  afdio_waker_t *w = AFDIO__CONTAINER_OF(op, afdio_waker_t, op);
  InterlockedExchange(&w->pending, 0);
  if (w->deleted) {
    waker__release(w);
    return 0;
  }
  ev->token = w->token;
  ev->events = AFDIO_READABLE;
  ev->reserved_ = 0;
  return 1;
}

afdio_poller_t *afdio__waker_owner(const afdio_waker_t *w) { return w->owner; }

afdio__queue_node_t *afdio__waker_node(afdio_waker_t *w) { return &w->node; }

afdio_waker_t *afdio__waker_from_node(afdio__queue_node_t *n) {
  return AFDIO__CONTAINER_OF(n, afdio_waker_t, node);
}
