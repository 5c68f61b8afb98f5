/* One registered socket: its poll (at most one in flight, AFD-NOTES 8), its
 * interest and trigger mode, and the rules that turn AFD results into
 * afdio events. The poller owns the containers (map, queues) and the lock,
 * and decides when a state is updated (at the wait, see selector.c); this
 * module owns the state machine. */
#ifndef AFDIO_IOCP_SOCK_STATE_H
#define AFDIO_IOCP_SOCK_STATE_H

#include <stdint.h>

#include "afd/poll_group.h"
#include "afd/queue.h"
#include "afdio.h"
#include "iocp/port.h"

typedef struct afdio__sock_state afdio__sock_state_t;

/* What afdio__sock_state_update() did, when it did not fail. */
typedef enum afdio__sock_update {
  AFDIO__SOCK_OK = 0,      /* a poll is in flight, or none is needed */
  AFDIO__SOCK_GONE = 1,    /* the submission showed the socket closed: no
                              packet comes, the state is deleted */
  AFDIO__SOCK_DEFERRED = 2 /* not submitted: a predecessor's poll on the
                              same socket is still in the kernel */
} afdio__sock_update_t;

/* A new state, not yet polling. Returns 0 and *out, or AFDIO_ENOMEM. */
int afdio__sock_state_new(afdio__poll_group_t *group, uintptr_t socket,
                          uintptr_t base, afdio__sock_state_t **out);

/* Frees a state that has no packet outstanding; gives back its group slot. */
void afdio__sock_state_free(afdio__sock_state_t *s);

/* Sets token and interest (mode included) and re-arms: clears the edge
 * mask, the oneshot disarm and a reported poll failure. Takes effect at the
 * next update. */
void afdio__sock_state_set(afdio__sock_state_t *s, uint64_t token,
                           uint32_t interest);

/* Edge mode: the given AFDIO_READABLE/WRITABLE/PRIORITY may be reported
 * again. Returns 1 when that changes what must be polled, else 0. */
int afdio__sock_state_rearm(afdio__sock_state_t *s, uint32_t events);

/* 1 when the state needs an update: it wants a poll and has none, or its
 * poll in flight no longer matches what it wants. A parked state (a
 * disarmed oneshot, an edge state with everything reported) wants none. */
int afdio__sock_state_stale(const afdio__sock_state_t *s);

/* Makes the poll in flight match what the state wants: submits one when
 * idle, cancels one that does not cover it (its packet comes back as "no
 * events", after which the state is idle and stale), leaves a covering one
 * alone (AFD-NOTES 11). A deleted state's poll is cancelled. An idle state
 * whose predecessor's poll is still in the kernel is not submitted
 * (DEFERRED): two polls on one socket can lose events (AFD-NOTES 8,
 * wepoll#35). A submission that fails for another reason than a closed
 * socket posts the op to port with the failure as its status, so it is
 * reported as an ERROR event through the usual path, never dropped.
 * Returns afdio__sock_update_t, or AFDIO_E* (a failed cancel or post: the
 * caller tries again later). */
int afdio__sock_state_update(afdio__sock_state_t *s, HANDLE port);

/* Submits at once the poll the next update would (one watching only
 * LOCAL_CLOSE for a parked state), so that closing the socket is seen even
 * before the next wait. For events after which callers usually close the
 * socket (see selector__feed). Returns as afdio__sock_state_update(). */
int afdio__sock_state_watch_close(afdio__sock_state_t *s, HANDLE port);

/* Takes the result of the poll from its dequeued packet. Returns 1 and *ev
 * when there is an event to report, else 0. Afterwards the state is idle;
 * the caller checks afdio__sock_state_deleted() (LOCAL_CLOSE marks the
 * state deleted) and afdio__sock_state_stale(). */
int afdio__sock_state_feed(afdio__sock_state_t *s, afdio_event_t *ev);

/* Marks the state deleted (deregistered or closed) and cancels its poll.
 * Returns 0, or AFDIO_E* when the cancel failed: the poll is still in
 * flight, and afdio__sock_state_update() tries the cancel again. */
int afdio__sock_state_delete(afdio__sock_state_t *s);

int afdio__sock_state_deleted(const afdio__sock_state_t *s);

/* 1 while a packet for this state is still to be dequeued. */
int afdio__sock_state_busy(const afdio__sock_state_t *s);

/* 1 when the poll in flight has visibly completed with LOCAL_CLOSE, that
 * is the socket was closed, though its packet is not processed yet. */
int afdio__sock_state_closed(const afdio__sock_state_t *s);

/* Predecessors: a deleted state whose packet is still to come (a zombie)
 * and the newer state registered for the same socket value meanwhile.
 * link makes succ the successor of pred (pred deleted, succ new). unlink
 * takes s out of its chain (before freeing it) and returns its successor,
 * which the caller updates, or NULL. */
void afdio__sock_state_link(afdio__sock_state_t *pred,
                            afdio__sock_state_t *succ);
afdio__sock_state_t *afdio__sock_state_unlink(afdio__sock_state_t *s);
afdio__sock_state_t *afdio__sock_state_pred(const afdio__sock_state_t *s);

uintptr_t afdio__sock_state_socket(const afdio__sock_state_t *s);
afdio__sock_state_t *afdio__sock_state_from_op(afdio__op_t *op);
afdio__queue_node_t *afdio__sock_state_node(afdio__sock_state_t *s);
afdio__sock_state_t *afdio__sock_state_from_node(afdio__queue_node_t *n);

#endif
