/* The Windows poller: AFD polls through a completion port.
 *
 * Polls are armed at the wait. Register, reregister, rearm and the
 * processing of a completion only change a socket's state in user space
 * and put it on the update queue; afdio_poller_wait() flushes the queue
 * (one submission per socket that needs one) before it blocks, as wepoll
 * (port_wait) and mio (mio#1140) do. So an event is returned with no poll
 * in flight for its socket: a level registration is polled again by the
 * next wait, after the caller has read, and reports only what still holds;
 * an edge socket re-armed after would-block and a oneshot reregistered
 * cost one submission and no cancel (AFD-NOTES 11: a cancel happens only
 * when an interest grows while a poll is in flight). When another thread
 * is blocked in the wait, every change is flushed at once by the thread
 * that made it (wepoll port__update_events_if_polling), so a blocked
 * waiter sees it without waiting for its timeout.
 *
 * Locking: one lock guards the map, the queues, the poll groups and every
 * socket state. It is held while submitting, cancelling and processing
 * completions, never while a thread is blocked in
 * GetQueuedCompletionStatusEx, so several threads can wait at once.
 *
 * Closing a registered socket: a poll in flight completes with
 * AFD_POLL_LOCAL_CLOSE and the state is dropped; a socket with no poll in
 * flight (its event just returned, or parked: a disarmed oneshot, an edge
 * registration with everything reported) is dropped by the next
 * submission, which fails on the closed handle. Until then its value
 * still maps to the old state: a new socket that reuses the value gets
 * AFDIO_EEXIST from register (after a non-blocking look at the port for a
 * LOCAL_CLOSE packet of the old state, kept in the stash for the waits),
 * and deregistering the value is the recovery. Windows gives no cheap way
 * to tell two sockets of one value apart; wepoll and mio have the same
 * window. afdio's net/ close functions deregister first, so net/ objects
 * never meet it.
 *
 * Never two polls on one socket (AFD-NOTES 8, wepoll#35): a deregistered
 * state whose cancelled poll has not delivered its packet yet (a zombie)
 * stays mapped; a register of the same value links the new state behind it
 * and, while the zombie's poll is still in the kernel, holds the new poll
 * back until the zombie's packet is dequeued (selector__free queues it).
 *
 * A poll that completes inside NtDeviceIoControlFile (STATUS_SUCCESS, which
 * Wine 8 returns for a socket already ready) is still taken from its packet
 * (see sock_state__submit). Wine 8 puts that packet on the port only once
 * the issuing thread has run a server APC, which the first zero-timeout
 * dequeue does before reporting "nothing": a zero-timeout wait therefore
 * makes a second non-blocking dequeue before it returns 0.
 *
 * Deleting the poller while other threads wait: they are woken by a posted
 * CLOSE packet (each passes it on to the next), return AFDIO_ECANCELED,
 * and the delete frees nothing before the last of them has left. */
#include <stdlib.h>

#include "afd/afd.h"
#include "afd/base_socket.h"
#include "afd/poll_group.h"
#include "core/backend.h"
#include "core/deadline.h"
#include "core/pipe_name.h"
#include "core/timer.h"
#include "iocp/pipe.h"
#include "iocp/port.h"
#include "iocp/sock_map.h"
#include "iocp/sock_state.h"
#include "iocp/waker.h"
#include "iocp/winsock.h"

/* Packets taken per GetQueuedCompletionStatusEx call (stack array). */
#define SELECTOR__BATCH 64

/* Events after which the poll is put back before they are reported. */
#define SELECTOR__CLOSING_EVENTS                                               \
  (AFDIO_READ_CLOSED | AFDIO_WRITE_CLOSED | AFDIO_ERROR)

struct afdio_poller {
  HANDLE port;
  CRITICAL_SECTION lock;
  CONDITION_VARIABLE left; /* signalled when the last waiter leaves */
  afdio__sock_map_t map;
  afdio__poll_group_set_t groups;
  afdio__queue_node_t updates;   /* states to update at the next flush */
  afdio__queue_node_t graveyard; /* deleted states awaiting their packet */
  afdio__queue_node_t stash;     /* dequeued packets kept for later */
  afdio__queue_node_t wakers;
  afdio__pipe_set_t pipes; /* named pipes bound to the port (iocp/pipe.c) */
  afdio__op_t probe_op; /* the creation probe's poll (see selector__probe) */
  afdio__afd_poll_info_t probe_info;
  afdio__op_t stash_op; /* posted to send a blocked waiter to the stash */
  afdio__op_t close_op; /* posted by delete to wake the waiters */
  unsigned batch;       /* packets to ask the port for (selector__batch) */
  unsigned fills;       /* dequeues in a row that filled a batch of 1 */
  unsigned waiters;     /* threads inside afdio_poller_wait() */
  unsigned polling;     /* of which blocked in the port */
  unsigned char probe_busy;
  unsigned char stash_posted;
  unsigned char closing;
  afdio__timers_t *timers; /* core/timer.c's, NULL until the first timer */
};

const char *afdio_backend(void) { return "afd"; }

afdio__timers_t **afdio__poller_timers(afdio_poller_t *p) {
  return &p->timers;
}

/* ------------------------------------------------------------------------ */
/* State bookkeeping (under the lock)                                        */

static void selector__queue(afdio_poller_t *p, afdio__sock_state_t *s) {
  afdio__queue_push_back(&p->updates, afdio__sock_state_node(s));
}

/* Frees a state with no packet to come. While it was the newest state of
 * its value the map goes back to its predecessor (a zombie still awaiting
 * its packet), or forgets the value. A successor that waited for this
 * state's poll to leave the kernel is queued now. */
static void selector__free(afdio_poller_t *p, afdio__sock_state_t *s) {
  uintptr_t sock = afdio__sock_state_socket(s);
  afdio__sock_state_t *pred = afdio__sock_state_pred(s);
  afdio__sock_state_t *succ;
  if (afdio__sock_map_get(&p->map, sock) == s) {
    if (pred != NULL)
      afdio__sock_map_set(&p->map, sock, pred);
    else
      afdio__sock_map_remove(&p->map, sock);
  }
  succ = afdio__sock_state_unlink(s);
  afdio__queue_remove(afdio__sock_state_node(s));
  afdio__sock_state_free(s);
  if (succ != NULL && afdio__sock_state_stale(succ))
    selector__queue(p, succ);
}

/* Deletes a state (cancelling its poll) and frees it unless a packet for it
 * is still to come; then it waits in the graveyard as a zombie, and stays
 * mapped while it is the newest state of its value, so that a register of
 * the same value finds it and does not put a second poll on the socket.
 * A failed cancel is tried again by the next flush (the update queue), so
 * a later register of the value is not held back for ever. */
static void selector__drop(afdio_poller_t *p, afdio__sock_state_t *s) {
  int err = afdio__sock_state_delete(s);
  if (!afdio__sock_state_busy(s))
    selector__free(p, s);
  else if (err < 0)
    selector__queue(p, s);
  else
    afdio__queue_push_back(&p->graveyard, afdio__sock_state_node(s));
}

static void selector__pipes_flush(afdio_poller_t *p);

/* Makes every queued state's poll match what it wants. A state whose
 * update failed (a cancel or a post) stays queued for the next flush. */
static void selector__flush(afdio_poller_t *p) {
  afdio__queue_node_t todo, *n;
  selector__pipes_flush(p);
  afdio__queue_init(&todo);
  while ((n = afdio__queue_pop_front(&p->updates)) != NULL)
    afdio__queue_push_back(&todo, n);
  while ((n = afdio__queue_pop_front(&todo)) != NULL) {
    afdio__sock_state_t *s = afdio__sock_state_from_node(n);
    int rc = afdio__sock_state_update(s, p->port);
    if (rc == AFDIO__SOCK_GONE)
      selector__free(p, s); /* no packet comes for a failed submission */
    else if (rc < 0)
      selector__queue(p, s);
    else if (afdio__sock_state_deleted(s))
      afdio__queue_push_back(&p->graveyard, n); /* its cancel went out */
  }
}

/* A change made while another thread is blocked in the port reaches the
 * kernel now, so that thread sees it (AFD-NOTES 12). */
static void selector__flush_if_polling(afdio_poller_t *p) {
  if (p->polling > 0 && (!afdio__queue_empty(&p->updates) ||
                         !afdio__queue_empty(&p->pipes.pending)))
    selector__flush(p);
}

/* Processes one dequeued packet. Returns 1 with *ev, or 0. */
static int selector__feed(afdio_poller_t *p, afdio__op_t *op,
                          afdio_event_t *ev) {
  afdio__sock_state_t *s;
  int got;
  if (op == NULL || !afdio__op_check(op))
    return 0;
  afdio__queue_remove(&op->ready);
  switch (op->kind) {
  case AFDIO__OP_WAKER:
    return afdio__waker_feed(op, ev);
  case AFDIO__OP_PROBE:
    p->probe_busy = 0;
    return 0;
  case AFDIO__OP_STASH:
    p->stash_posted = 0;
    return 0;
  case AFDIO__OP_CLOSE:
    return 0;
  case AFDIO__OP_PIPE_READ:
  case AFDIO__OP_PIPE_WRITE:
  case AFDIO__OP_PIPE_CONNECT:
  case AFDIO__OP_PIPE_EVENT:
    return afdio__pipe_feed(op, ev);
  default:
    break;
  }
  s = afdio__sock_state_from_op(op);
  got = afdio__sock_state_feed(s, ev);
  /* After an end of stream, a reset or a failed connect the caller usually
   * closes the socket, often without deregistering, and may reuse its value
   * at once (accept). A poll put in flight now, before reporting, makes
   * that close complete it with LOCAL_CLOSE, so a register of the reused
   * value finds the old state closed instead of failing with AFDIO_EEXIST.
   * One submission per connection's end; and if the socket is already
   * closed, its stale event is dropped here. */
  if (got && (ev->events & SELECTOR__CLOSING_EVENTS) &&
      afdio__sock_state_watch_close(s, p->port) == AFDIO__SOCK_GONE) {
    got = 0;
  }
  if (afdio__sock_state_deleted(s))
    selector__free(p, s);
  else if (afdio__sock_state_stale(s))
    selector__queue(p, s);
  return got;
}

/* Processes packets kept in the stash by an earlier drain. */
static size_t selector__take_stash(afdio_poller_t *p, afdio_event_t *events,
                                   size_t capacity) {
  size_t n = 0;
  afdio__queue_node_t *node;
  while (n < capacity && (node = afdio__queue_pop_front(&p->stash)) != NULL)
    n += (size_t)selector__feed(
        p, AFDIO__CONTAINER_OF(node, afdio__op_t, ready), &events[n]);
  return n;
}

/* Moves every packet already on the port to the stash, without blocking.
 * If a thread is blocked in the port meanwhile, a STASH packet sends it to
 * the stash, so nothing moved there waits for the next wait call. */
static void selector__drain_to_stash(afdio_poller_t *p) {
  OVERLAPPED_ENTRY entries[SELECTOR__BATCH];
  int got, i, rounds, empty = 0;
  /* Until two calls in a row find nothing: under Wine 8 a completion
   * reaches the port only when the issuing thread has run the server's
   * APC, which a zero-timeout call does and then reports "nothing". */
  for (rounds = 0; rounds < 1024 && empty < 2; rounds++) {
    got = afdio__port_get_many(p->port, entries, SELECTOR__BATCH, 0);
    empty = got > 0 ? 0 : empty + 1;
    for (i = 0; i < got; i++) {
      afdio__op_t *op = afdio__op_from_entry(&entries[i]);
      if (op != NULL)
        afdio__queue_push_back(&p->stash, &op->ready);
    }
  }
  if (p->polling > 0 && !p->stash_posted &&
      !afdio__queue_empty(&p->stash) &&
      afdio__port_post(p->port, &p->stash_op) == 0)
    p->stash_posted = 1;
}

/* A value still mapped at register: is the old socket closed (wepoll#34)?
 * Only a poll in flight can tell; its LOCAL_CLOSE packet may already be on
 * the port. Returns 1 when the old state was dropped. */
static int selector__drop_if_closed(afdio_poller_t *p, afdio__sock_state_t *s) {
  if (!afdio__sock_state_busy(s))
    return 0;
  if (!afdio__sock_state_closed(s))
    selector__drain_to_stash(p);
  if (!afdio__sock_state_closed(s))
    return 0;
  selector__drop(p, s);
  return 1;
}

/* ------------------------------------------------------------------------ */
/* Creation and teardown                                                     */

/* A first poll, so that a system whose AFD cannot poll (Wine 6.11-7.12
 * answer STATUS_BAD_DEVICE_TYPE) fails at creation, not at register. Its
 * packet (kind PROBE) is ignored when dequeued, so its buffers live in the
 * poller. */
static int selector__probe(afdio_poller_t *p) {
  afdio__poll_group_t *group;
  int err = afdio__poll_group_acquire(&p->groups, &group);
  if (err < 0)
    return err;
  err = afdio__afd_probe(afdio__poll_group_handle(group), &p->probe_info,
                         &p->probe_op.iosb);
  p->probe_busy = err == 0;
  afdio__poll_group_release(group);
  return err;
}

static void selector__op_init(afdio__op_t *op, afdio__op_kind_t kind) {
  op->kind = kind;
  afdio__queue_init(&op->ready);
}

static int selector__init(afdio_poller_t *p) {
  int err = afdio__winsock_init();
  if (err == 0)
    err = afdio__nt_global_init();
  if (err == 0)
    err = afdio__port_new(&p->port);
  if (err < 0)
    return err;
  InitializeCriticalSection(&p->lock);
  InitializeConditionVariable(&p->left);
  afdio__sock_map_init(&p->map);
  afdio__poll_group_set_init(&p->groups, p->port);
  afdio__queue_init(&p->updates);
  afdio__queue_init(&p->graveyard);
  afdio__queue_init(&p->stash);
  afdio__queue_init(&p->wakers);
  afdio__pipe_set_init(&p->pipes);
  selector__op_init(&p->probe_op, AFDIO__OP_PROBE);
  selector__op_init(&p->stash_op, AFDIO__OP_STASH);
  selector__op_init(&p->close_op, AFDIO__OP_CLOSE);
  p->batch = 1;
  return 0;
}

int afdio_poller_new(afdio_poller_t **out) {
  afdio_poller_t *p;
  int err;
  if (out == NULL)
    return AFDIO_EINVAL;
  *out = NULL;
  p = calloc(1, sizeof *p);
  if (p == NULL)
    return AFDIO_ENOMEM;
  err = selector__init(p);
  if (err < 0) {
    free(p);
    return err;
  }
  err = selector__probe(p);
  if (err < 0) {
    afdio_poller_delete(p);
    return err;
  }
  *out = p;
  return 0;
}

/* Waits for the packet of every cancelled poll (AFD-NOTES 15): freeing a
 * state whose poll is still in flight would let the kernel write into freed
 * memory. Gives up (and leaks) only if nothing arrives for 10 s. */
static void selector__drain_all(afdio_poller_t *p) {
  OVERLAPPED_ENTRY entries[SELECTOR__BATCH];
  afdio_event_t ignored;
  afdio__queue_node_t *n;
  int idle = 0, got, i;
  while ((n = afdio__queue_pop_front(&p->stash)) != NULL)
    (void)selector__feed(p, AFDIO__CONTAINER_OF(n, afdio__op_t, ready),
                         &ignored);
  while ((!afdio__queue_empty(&p->graveyard) || p->probe_busy ||
          afdio__pipe_set_busy(&p->pipes)) &&
         idle < 10) {
    got = afdio__port_get_many(p->port, entries, SELECTOR__BATCH, 1000);
    idle = got > 0 ? 0 : idle + 1;
    for (i = 0; i < got; i++)
      (void)selector__feed(p, afdio__op_from_entry(&entries[i]), &ignored);
  }
}

/* Teardown: every state is deleted (its poll cancelled) and freed, or, with
 * a packet still to come, left in the graveyard for selector__drain_all.
 * Everything goes to one list first: freeing while walking the map would
 * reshuffle it. */
static void selector__drop_all(afdio_poller_t *p) {
  afdio__queue_node_t all, *n;
  size_t i;
  afdio__queue_init(&all);
  for (i = 0; i < afdio__sock_map_capacity(&p->map); i++) {
    afdio__sock_state_t *s = afdio__sock_map_at(&p->map, i);
    if (s != NULL)
      afdio__queue_push_back(&all, afdio__sock_state_node(s));
  }
  while ((n = afdio__queue_pop_front(&p->updates)) != NULL)
    afdio__queue_push_back(&all, n);
  while ((n = afdio__queue_pop_front(&p->graveyard)) != NULL)
    afdio__queue_push_back(&all, n);
  afdio__sock_map_cleanup(&p->map);
  while ((n = afdio__queue_pop_front(&all)) != NULL) {
    afdio__sock_state_t *s = afdio__sock_state_from_node(n);
    (void)afdio__sock_state_delete(s);
    if (afdio__sock_state_busy(s))
      afdio__queue_push_back(&p->graveyard, n);
    else
      selector__free(p, s);
  }
  /* selector__free may have queued a successor (deleted: nothing to do). */
  afdio__queue_init(&p->updates);
}

/* Threads blocked in the port leave with AFDIO_ECANCELED: one CLOSE packet
 * wakes one of them, which passes another on while others still poll. */
static void selector__send_waiters_away(afdio_poller_t *p) {
  p->closing = 1;
  if (p->waiters == 0)
    return;
  if (p->polling > 0)
    (void)afdio__port_post(p->port, &p->close_op);
  while (p->waiters > 0)
    SleepConditionVariableCS(&p->left, &p->lock, INFINITE);
}

int afdio_poller_delete(afdio_poller_t *p) {
  afdio__queue_node_t *n;
  int leaked;
  if (p == NULL)
    return AFDIO_EINVAL;
  if (p->port == NULL) {
    free(p);
    return 0;
  }
  afdio__poller_gone(p); /* net/ objects forget it (core/pipe_name.h) */
  EnterCriticalSection(&p->lock);
  selector__send_waiters_away(p);
  afdio__timers_delete(p); /* timer hook (core/timer.h): no waiter is left */
  afdio__pipe_set_cancel(&p->pipes);
  selector__drop_all(p);
  selector__drain_all(p);
  leaked = !afdio__queue_empty(&p->graveyard) || p->probe_busy ||
           afdio__pipe_set_busy(&p->pipes);
  if (!leaked)
    afdio__pipe_set_cleanup(&p->pipes);
  while ((n = afdio__queue_pop_front(&p->wakers)) != NULL)
    afdio__waker_free(afdio__waker_from_node(n));
  LeaveCriticalSection(&p->lock);
  /* Leaked states keep their group (and its handle): a poll may still
   * write into them. */
  if (!leaked)
    afdio__poll_group_set_cleanup(&p->groups);
  CloseHandle(p->port);
  DeleteCriticalSection(&p->lock);
  if (!leaked)
    free(p);
  return 0;
}

/* ------------------------------------------------------------------------ */
/* Registration                                                              */

static int selector__add(afdio_poller_t *p, afdio_socket_t sock, uintptr_t base,
                         uint64_t token, uint32_t interest) {
  afdio__sock_state_t *s;
  afdio__sock_state_t *old = afdio__sock_map_get(&p->map, sock);
  afdio__poll_group_t *group;
  int err;
  if (old != NULL && !afdio__sock_state_deleted(old) &&
      !selector__drop_if_closed(p, old))
    return AFDIO_EEXIST;
  /* What is left mapped is a zombie: a deleted state of this value whose
   * packet is still to come. */
  old = afdio__sock_map_get(&p->map, sock);
  err = afdio__poll_group_acquire(&p->groups, &group);
  if (err < 0)
    return err;
  err = afdio__sock_state_new(group, sock, base, &s);
  if (err < 0) {
    afdio__poll_group_release(group);
    return err;
  }
  if (old != NULL) {
    afdio__sock_state_link(old, s);
    afdio__sock_map_set(&p->map, sock, s);
  } else if ((err = afdio__sock_map_put(&p->map, sock, s)) < 0) {
    afdio__sock_state_free(s);
    return err;
  }
  afdio__sock_state_set(s, token, interest);
  selector__queue(p, s);
  return 0;
}

int afdio_poller_register(afdio_poller_t *p, afdio_socket_t sock,
                          uint64_t token, uint32_t interest) {
  uintptr_t base;
  int err = afdio__poller_check_register(p, sock, interest);
  if (err < 0)
    return err;
  /* Outside the lock: these are system calls (server round trips under
   * Wine) that other threads need not wait for. The one kernel call of a
   * registration: the poll itself goes out with the next wait. */
  err = afdio__base_socket_get(sock, &base);
  if (err < 0)
    return err;
  EnterCriticalSection(&p->lock);
  err = selector__add(p, sock, base, token, interest);
  selector__flush_if_polling(p);
  LeaveCriticalSection(&p->lock);
  return err;
}

/* The live state registered for sock, or NULL. A state whose poll shows the
 * socket closed counts as gone. */
static afdio__sock_state_t *selector__find(afdio_poller_t *p,
                                           afdio_socket_t sock) {
  afdio__sock_state_t *s = afdio__sock_map_get(&p->map, sock);
  if (s != NULL && afdio__sock_state_deleted(s))
    return NULL; /* a zombie */
  if (s != NULL && afdio__sock_state_closed(s)) {
    selector__drop(p, s);
    return NULL;
  }
  return s;
}

/* Queues s if it now needs an update, and flushes for a blocked waiter. */
static void selector__changed(afdio_poller_t *p, afdio__sock_state_t *s) {
  if (afdio__sock_state_stale(s))
    selector__queue(p, s);
  selector__flush_if_polling(p);
}

int afdio_poller_reregister(afdio_poller_t *p, afdio_socket_t sock,
                            uint64_t token, uint32_t interest) {
  afdio__sock_state_t *s;
  int err = afdio__poller_check_register(p, sock, interest);
  if (err < 0)
    return err;
  EnterCriticalSection(&p->lock);
  s = selector__find(p, sock);
  if (s == NULL) {
    err = AFDIO_ENOENT;
  } else {
    /* A result dequeued but not reported yet (in the stash) is taken with
     * the new token and interest. */
    afdio__sock_state_set(s, token, interest);
    selector__changed(p, s);
  }
  LeaveCriticalSection(&p->lock);
  return err;
}

int afdio_poller_deregister(afdio_poller_t *p, afdio_socket_t sock) {
  afdio__sock_state_t *s;
  if (afdio__poller_check_socket(p, sock) < 0)
    return AFDIO_EINVAL;
  EnterCriticalSection(&p->lock);
  s = selector__find(p, sock);
  if (s != NULL) {
    selector__drop(p, s);
    selector__flush_if_polling(p);
  }
  LeaveCriticalSection(&p->lock);
  return s == NULL ? AFDIO_ENOENT : 0;
}

int afdio_poller_rearm(afdio_poller_t *p, afdio_socket_t sock,
                       uint32_t events) {
  afdio__sock_state_t *s;
  int err = afdio__poller_check_rearm(p, sock, events);
  if (err < 0)
    return err;
  EnterCriticalSection(&p->lock);
  s = selector__find(p, sock);
  if (s == NULL)
    err = AFDIO_ENOENT;
  else if (afdio__sock_state_rearm(s, events))
    selector__changed(p, s);
  LeaveCriticalSection(&p->lock);
  return err;
}

/* ------------------------------------------------------------------------ */
/* Wakers                                                                    */

int afdio_waker_new(afdio_poller_t *poller, uint64_t token,
                    afdio_waker_t **out) {
  afdio_waker_t *w;
  int err;
  if (out != NULL)
    *out = NULL;
  if (poller == NULL || out == NULL)
    return AFDIO_EINVAL;
  err = afdio__waker_new(poller->port, poller, token, &w);
  if (err < 0)
    return err;
  EnterCriticalSection(&poller->lock);
  afdio__queue_push_back(&poller->wakers, afdio__waker_node(w));
  LeaveCriticalSection(&poller->lock);
  *out = w;
  return 0;
}

int afdio_waker_delete(afdio_waker_t *waker) {
  afdio_poller_t *poller;
  if (waker == NULL)
    return AFDIO_EINVAL;
  poller = afdio__waker_owner(waker);
  EnterCriticalSection(&poller->lock);
  afdio__waker_free(waker);
  LeaveCriticalSection(&poller->lock);
  return 0;
}

/* ------------------------------------------------------------------------ */
/* Waiting                                                                   */

/* Milliseconds left until deadline (core/deadline.h), rounded up so a wait
 * never ends before the deadline; capped below INFINITE so a huge finite
 * timeout stays finite (AFD-NOTES 18). */
static DWORD selector__remaining(int64_t deadline) {
  return (DWORD)afdio__deadline_ns_to_ms(
      afdio__deadline_remaining_ns(deadline), (int64_t)INFINITE - 1);
}

static size_t selector__process(afdio_poller_t *p, OVERLAPPED_ENTRY *entries,
                                int got, afdio_event_t *events) {
  size_t n = 0;
  int i;
  for (i = 0; i < got; i++) {
    n += (size_t)selector__feed(p, afdio__op_from_entry(&entries[i]),
                                &events[n]);
  }
  return n;
}

/* How many packets to ask the port for. Asking for more than are queued
 * costs nothing on Windows, but under Wine the dequeue is one server
 * request per packet plus one that finds the queue empty: with one packet
 * per wait (a few busy sockets) that empty request is a sixth of what an
 * event costs through the port (bench/wine_requests.sh). So the batch
 * follows what the port gives: it drops to what the last dequeue found
 * when that was less than asked, and grows again (doubling) once a batch
 * of 1 was filled 8 times in a row, or any larger batch once. A burst on
 * Windows pays at most 8 extra dequeue calls before batches are large. */
static ULONG selector__batch(const afdio_poller_t *p, size_t capacity) {
  unsigned b = p->batch;
  if (b > capacity)
    b = (unsigned)capacity; /* each packet gives at most one event */
  return (ULONG)(b < 1 ? 1 : b);
}

static void selector__batch_learn(afdio_poller_t *p, int asked, int got) {
  if (got <= 0)
    return; /* a timeout says nothing about the backlog */
  if (got < asked) {
    p->batch = (unsigned)got;
    p->fills = 0;
  } else if (asked > 1 || ++p->fills >= 8) {
    p->batch = asked * 2 > SELECTOR__BATCH ? SELECTOR__BATCH : asked * 2;
    p->fills = 0;
  }
}

/* One blocking round in the port, the lock released around it. Returns the
 * packets dequeued, or AFDIO_E*. */
static int selector__poll_port(afdio_poller_t *p, OVERLAPPED_ENTRY *entries,
                               size_t capacity, DWORD wait_ms) {
  ULONG asked = selector__batch(p, capacity);
  int got;
  p->polling++;
  LeaveCriticalSection(&p->lock);
  got = afdio__port_get_many(p->port, entries, asked, wait_ms);
  EnterCriticalSection(&p->lock);
  p->polling--;
  selector__batch_learn(p, (int)asked, got);
  return got;
}

/* The wait loop proper, under the lock: flush, then dequeue until there is
 * an event, the deadline passes or the poller is being deleted. */
static int selector__wait(afdio_poller_t *p, afdio_event_t *events,
                          size_t capacity, int64_t timeout_ms) {
  OVERLAPPED_ENTRY entries[SELECTOR__BATCH];
  int64_t deadline = 0;
  DWORD wait_ms = 0;
  size_t n;
  int got, empty_rounds = 0;
  afdio__timers_round_t round = {0, 0}; /* timer hook */
  if (timeout_ms > 0)
    deadline = afdio__deadline_from_ms(timeout_ms);
  selector__flush(p);
  n = selector__take_stash(p, events, capacity);
  while (n == 0) {
    if (timeout_ms < 0)
      wait_ms = INFINITE;
    else if (timeout_ms > 0)
      wait_ms = selector__remaining(deadline);
    /* Timer hook (core/timer.h): the earlier of this and the next timer;
     * INFINITE is -1 there and back. */
    wait_ms = (DWORD)afdio__timers_wait_ms(
        p, wait_ms == INFINITE ? -1 : (int64_t)wait_ms, (int)capacity, &round);
    got = round.room > 0
              ? selector__poll_port(p, entries, (size_t)round.room, wait_ms)
              : 0;
    if (got < 0)
      return AFDIO_EIO;
    n = selector__process(p, entries, got, events);
    if (p->closing) {
      /* Pass the wake-up on to the next blocked waiter. */
      if (p->polling > 0)
        (void)afdio__port_post(p->port, &p->close_op);
      return AFDIO_ECANCELED;
    }
    if (n == 0) {
      selector__flush(p);
      n = selector__take_stash(p, events, (size_t)round.room);
    }
    /* Timer hook: drops its wake-ups, appends expired timers. */
    n = (size_t)afdio__timers_collect(p, events, (int)n, (int)capacity, &round);
    /* A zero-timeout round that found nothing gets one more: under Wine 8
     * the first call only runs the server APC that posts a completion of
     * this thread's poll (see selector__drain_to_stash); on Windows it
     * costs one more empty system call. */
    if (wait_ms == 0 && got == 0 && empty_rounds++ > 0)
      break;
  }
  /* What this round queued (a level socket to poll again) is left for the
   * caller's next wait, after it has read; but threads still blocked here
   * must see it now. */
  selector__flush_if_polling(p);
  return (int)n;
}

int afdio_poller_wait(afdio_poller_t *p, afdio_event_t *events,
                      size_t capacity, int64_t timeout_ms) {
  int rc = afdio__poller_check_wait(p, events, capacity);
  if (rc < 0)
    return rc;
  if (capacity > INT32_MAX)
    capacity = INT32_MAX;
  EnterCriticalSection(&p->lock);
  if (p->closing) {
    LeaveCriticalSection(&p->lock);
    return AFDIO_ECANCELED;
  }
  p->waiters++;
  rc = selector__wait(p, events, capacity, timeout_ms);
  if (--p->waiters == 0 && p->closing)
    WakeAllConditionVariable(&p->left);
  LeaveCriticalSection(&p->lock);
  return rc;
}

/* ------------------------------------------------------------------------ */
/* Named pipes (iocp/pipe.c, iocp/pipe_listener.c)                           */
/*                                                                           */
/* Pipes have no AFD poll: their readiness comes from their own completion   */
/* packets (fed above by kind), and what no packet brings (a rearm, a level  */
/* event again, a reregister) from the pipe's EVENT op, which the flush puts */
/* on the stash, posting STASH for a thread blocked in the port.             */

static void selector__pipes_flush(afdio_poller_t *p) {
  afdio__pipe_set_flush(&p->pipes, &p->stash);
  if (p->polling > 0 && !p->stash_posted && !afdio__queue_empty(&p->stash) &&
      afdio__port_post(p->port, &p->stash_op) == 0)
    p->stash_posted = 1;
}

void afdio__selector_lock(afdio_poller_t *p) { EnterCriticalSection(&p->lock); }

void afdio__selector_unlock(afdio_poller_t *p) {
  LeaveCriticalSection(&p->lock);
}

HANDLE afdio__selector_port(afdio_poller_t *p) { return p->port; }

afdio__pipe_set_t *afdio__selector_pipes(afdio_poller_t *p) {
  return &p->pipes;
}

void afdio__selector_pipes_changed(afdio_poller_t *p) {
  if (p->polling > 0)
    selector__pipes_flush(p);
}
