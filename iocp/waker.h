/* Wakers: a posted completion packet, coalesced by an atomic flag. The
 * waker knows its port (to post) and its owner (an opaque pointer the
 * poller uses to find its lock); the poller keeps the list of its wakers
 * and routes their packets here. */
#ifndef AFDIO_IOCP_WAKER_H
#define AFDIO_IOCP_WAKER_H

#include "afd/queue.h"
#include "afdio.h"
#include "iocp/port.h"

/* A new waker posting to port. Returns 0 and *out, or AFDIO_ENOMEM. */
int afdio__waker_new(HANDLE port, afdio_poller_t *owner, uint64_t token,
                     afdio_waker_t **out);

/* Frees the waker, or, while its packet is still to be dequeued, marks it
 * deleted so that afdio__waker_feed() frees it. Under the owner's lock. */
void afdio__waker_free(afdio_waker_t *w);

/* A dequeued waker packet: re-arms the flag and returns 1 with the event,
 * or frees a deleted waker and returns 0. Under the owner's lock. */
int afdio__waker_feed(afdio__op_t *op, afdio_event_t *ev);

afdio_poller_t *afdio__waker_owner(const afdio_waker_t *w);
afdio__queue_node_t *afdio__waker_node(afdio_waker_t *w);
afdio_waker_t *afdio__waker_from_node(afdio__queue_node_t *n);

#endif
