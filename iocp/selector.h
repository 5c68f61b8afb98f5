/* What the waker module needs from the poller (iocp/selector.c). */
#ifndef AFDIO_IOCP_SELECTOR_H
#define AFDIO_IOCP_SELECTOR_H

#include "afd/nt.h"
#include "afd/queue.h"
#include "afdio.h"

HANDLE afdio__selector_port(afdio_poller_t *poller);
void afdio__selector_lock(afdio_poller_t *poller);
void afdio__selector_unlock(afdio_poller_t *poller);
/* The poller's list of wakers (guarded by its lock). */
afdio__queue_node_t *afdio__selector_wakers(afdio_poller_t *poller);

#endif
