/* Wakers: a posted completion packet, coalesced by an atomic flag. */
#ifndef AFDIO_IOCP_WAKER_H
#define AFDIO_IOCP_WAKER_H

#include "afd/queue.h"
#include "afdio.h"
#include "iocp/port.h"

/* A dequeued waker packet: re-arms the flag and returns 1 with the event,
 * or frees a deleted waker and returns 0. Under the poller's lock. */
int afdio__waker_feed(afdio__op_t *op, afdio_event_t *ev);

/* Frees every waker on the list (poller teardown, after the drain). */
void afdio__waker_free_all(afdio__queue_node_t *wakers);

#endif
