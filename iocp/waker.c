/* Wakers. */
#include "iocp/waker.h"

#include <stdlib.h>

#include "iocp/selector.h"

struct afdio_waker {
  afdio__op_t op; /* first: the packet's lpOverlapped */
  afdio_poller_t *poller;
  uint64_t token;
  volatile LONG pending; /* 1 while a packet is posted and not processed */
  int deleted;           /* deleted with a packet posted: freed at dequeue */
  afdio__queue_node_t node;
};

int afdio_waker_new(afdio_poller_t *poller, uint64_t token,
                    afdio_waker_t **out) {
  afdio_waker_t *w;
  if (out != NULL)
    *out = NULL;
  if (poller == NULL || out == NULL)
    return AFDIO_EINVAL;
  w = calloc(1, sizeof *w);
  if (w == NULL)
    return AFDIO_ENOMEM;
  w->op.kind = AFDIO__OP_WAKER;
  afdio__queue_init(&w->op.ready);
  w->poller = poller;
  w->token = token;
  afdio__queue_init(&w->node);
  afdio__selector_lock(poller);
  afdio__queue_push_back(afdio__selector_wakers(poller), &w->node);
  afdio__selector_unlock(poller);
  *out = w;
  return 0;
}

int afdio_waker_wake(afdio_waker_t *waker) {
  int err;
  if (waker == NULL)
    return AFDIO_EINVAL;
  /* Coalesce: only the wake that raises the flag posts a packet; the flag
   * drops when the packet is processed, so later wakes post again. */
  if (InterlockedExchange(&waker->pending, 1) != 0)
    return 0;
  err = afdio__port_post(afdio__selector_port(waker->poller), &waker->op);
  if (err < 0) {
    InterlockedExchange(&waker->pending, 0);
    return AFDIO_EIO;
  }
  return 0;
}

int afdio_waker_delete(afdio_waker_t *waker) {
  afdio_poller_t *poller;
  if (waker == NULL)
    return AFDIO_EINVAL;
  poller = waker->poller;
  afdio__selector_lock(poller);
  /* A posted packet points at the waker: it must stay allocated until the
   * packet is dequeued (or the poller is deleted). */
  if (InterlockedCompareExchange(&waker->pending, 1, 1) != 0) {
    waker->deleted = 1;
  } else {
    afdio__queue_remove(&waker->node);
    afdio__queue_remove(&waker->op.ready);
    free(waker);
  }
  afdio__selector_unlock(poller);
  return 0;
}

int afdio__waker_feed(afdio__op_t *op, afdio_event_t *ev) {
  afdio_waker_t *w = AFDIO__CONTAINER_OF(op, afdio_waker_t, op);
  InterlockedExchange(&w->pending, 0);
  if (w->deleted) {
    afdio__queue_remove(&w->node);
    free(w);
    return 0;
  }
  ev->token = w->token;
  ev->events = AFDIO_READABLE;
  ev->reserved_ = 0;
  return 1;
}

void afdio__waker_free_all(afdio__queue_node_t *wakers) {
  afdio__queue_node_t *n;
  while ((n = afdio__queue_pop_front(wakers)) != NULL)
    free(AFDIO__CONTAINER_OF(n, afdio_waker_t, node));
}
