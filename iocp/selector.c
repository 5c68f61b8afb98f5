/* The Windows poller: AFD polls through a completion port.
 *
 * Locking: one lock guards the map, the queues, the poll groups and every
 * socket state. It is held while submitting, cancelling and processing
 * completions, never while a thread is blocked in
 * GetQueuedCompletionStatusEx, so several threads can wait at once and
 * (re)register calls go through while they wait.
 *
 * Polls are submitted at once by register, reregister and rearm, and
 * resubmitted before a wait returns, not batched until the next wait
 * (mio#1140 and wepoll flush a queue before waiting). This keeps a poll
 * carrying AFD_POLL_LOCAL_CLOSE in flight for every registered socket
 * whenever the caller runs, so a closed socket is always noticed; that is
 * what makes SOCKET value reuse safe (wepoll#34): a register that finds the
 * value still mapped first drains the port without blocking (the packets
 * are kept for later waits) and then looks at the old state's IOSB; if its
 * poll completed with LOCAL_CLOSE, the old state is dropped and the new
 * socket registers. The gap left: a socket whose poll has completed (its
 * packet not processed yet, or being cancelled for an interest change) has
 * no LOCAL_CLOSE poll in flight; closed and its value reused before the
 * next wait, the new socket cannot be told from the old one by value (a
 * resubmitted poll succeeds on the new socket), so its register sees
 * AFDIO_EEXIST. Deregistering before closing avoids it, as afdio's net
 * close functions do (tests/win_afd.c, the disabled reuse test).
 *
 * Never two polls on one socket (AFD-NOTES 8, wepoll#35): a deregistered
 * state whose cancelled poll has not delivered its packet yet (a zombie)
 * stays mapped; a register of the same value links the new state behind it
 * and, while the zombie's poll is still in the kernel, holds the new poll
 * back until the zombie's packet is dequeued (selector__free submits it).
 *
 * A poll that completes inside NtDeviceIoControlFile (STATUS_SUCCESS, which
 * Wine 8 returns for a socket already ready) is still taken from its packet
 * (see sock_state__submit). Wine 8 puts that packet on the port only once
 * the issuing thread has run a server APC, which the first zero-timeout
 * dequeue does before reporting "nothing": a zero-timeout wait therefore
 * makes a second non-blocking dequeue before it returns 0. */
#include <stdlib.h>

#include "afd/afd.h"
#include "core/interest.h"
#include "afd/base_socket.h"
#include "afd/poll_group.h"
#include "afd/sock_state.h"
#include "iocp/port.h"
#include "iocp/selector.h"
#include "iocp/sock_map.h"
#include "iocp/waker.h"
#include "iocp/winsock.h"

/* Packets taken per GetQueuedCompletionStatusEx call (stack array). */
#define SELECTOR__BATCH 64

struct afdio_poller {
  HANDLE port;
  CRITICAL_SECTION lock;
  afdio__sock_map_t map;
  afdio__poll_group_set_t groups;
  afdio__queue_node_t updates;   /* states to resubmit (state node) */
  afdio__queue_node_t graveyard; /* deleted states awaiting their packet */
  afdio__queue_node_t stash;     /* dequeued packets kept for later */
  afdio__queue_node_t wakers;
  afdio__op_t probe_op; /* the creation probe's poll (see selector__probe) */
  afdio__afd_poll_info_t probe_info;
  int probe_busy;
};

const char *afdio_backend(void) { return "afd"; }

HANDLE afdio__selector_port(afdio_poller_t *p) { return p->port; }
void afdio__selector_lock(afdio_poller_t *p) { EnterCriticalSection(&p->lock); }
void afdio__selector_unlock(afdio_poller_t *p) { LeaveCriticalSection(&p->lock); }
afdio__queue_node_t *afdio__selector_wakers(afdio_poller_t *p) {
  return &p->wakers;
}

/* ------------------------------------------------------------------------ */
/* State bookkeeping (under the lock)                                        */

static int selector__update(afdio_poller_t *p, afdio__sock_state_t *s);

/* Frees a state with no packet to come. While it was the newest state of
 * its value the map goes back to its predecessor (a zombie still awaiting
 * its packet), or forgets the value. A successor that waited for this
 * state's poll to leave the kernel is submitted now, in the same locked
 * section, so a register deferred behind a deregister takes effect as soon
 * as the cancelled packet is dequeued, by whichever thread dequeues it. */
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
  if (succ != NULL && !afdio__sock_state_deleted(succ) &&
      !afdio__sock_state_busy(succ))
    (void)selector__update(p, succ);
}

/* A deleted state is freed unless a packet for it is still to come; then
 * it waits in the graveyard as a zombie, and stays mapped while it is the
 * newest state of its value, so that a register of the same value finds it
 * and does not put a second poll on the socket (see selector__add). A
 * packet already in the stash stays there: processing it frees the state
 * (it is "busy" until then). */
static void selector__bury(afdio_poller_t *p, afdio__sock_state_t *s) {
  if (afdio__sock_state_busy(s))
    afdio__queue_push_back(&p->graveyard, afdio__sock_state_node(s));
  else
    selector__free(p, s);
}

/* Runs the state's update and acts on its outcome. A deferred submission
 * (AFDIO__SOCK_DEFERRED) is a success: selector__free submits it. */
static int selector__update(afdio_poller_t *p, afdio__sock_state_t *s) {
  int rc = afdio__sock_state_update(s);
  if (rc == AFDIO__SOCK_GONE) {
    selector__bury(p, s);
    return AFDIO_EBADF;
  }
  return rc < 0 ? rc : 0;
}

static void selector__flush(afdio_poller_t *p) {
  afdio__queue_node_t *n;
  while ((n = afdio__queue_pop_front(&p->updates)) != NULL)
    (void)selector__update(p, afdio__sock_state_from_node(n));
}

/* Processes one dequeued packet. Returns 1 with *ev, or 0. */
static int selector__feed(afdio_poller_t *p, afdio__op_t *op,
                          afdio_event_t *ev) {
  afdio__sock_state_t *s;
  int got;
  afdio__queue_remove(&op->ready);
  if (op->kind == AFDIO__OP_WAKER)
    return afdio__waker_feed(op, ev);
  if (op->kind == AFDIO__OP_PROBE) {
    p->probe_busy = 0;
    return 0;
  }
  s = afdio__sock_state_from_op(op);
  got = afdio__sock_state_feed(s, ev);
  if (afdio__sock_state_deleted(s)) {
    selector__bury(p, s);
    return 0;
  }
  if (got == 0) {
    if (!afdio__sock_state_busy(s))
      afdio__queue_push_back(&p->updates, afdio__sock_state_node(s));
    return 0;
  }
  /* Resubmit before reporting: a socket closed after its poll completed
   * (the event still queued) fails the submission at once, and its stale
   * event is dropped instead of reported for a dead socket. */
  if (!afdio__sock_state_busy(s) && selector__update(p, s) == AFDIO_EBADF)
    return 0;
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

/* Moves every packet already on the port to the stash, without blocking. */
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
      afdio__queue_push_back(&p->stash, &op->ready);
    }
  }
}

/* A value still mapped at register: is the old socket closed (wepoll#34)?
 * Returns 1 when the old state was dropped. */
static int selector__drop_if_closed(afdio_poller_t *p, afdio__sock_state_t *s) {
  if (!afdio__sock_state_closed(s))
    selector__drain_to_stash(p);
  if (!afdio__sock_state_closed(s))
    return 0;
  afdio__sock_state_delete(s);
  selector__bury(p, s);
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

static int selector__init(afdio_poller_t *p) {
  int err = afdio__winsock_init();
  if (err == 0)
    err = afdio__nt_global_init();
  if (err == 0)
    err = afdio__port_new(&p->port);
  if (err < 0)
    return err;
  InitializeCriticalSection(&p->lock);
  afdio__sock_map_init(&p->map);
  afdio__poll_group_set_init(&p->groups, p->port);
  afdio__queue_init(&p->updates);
  afdio__queue_init(&p->graveyard);
  afdio__queue_init(&p->stash);
  afdio__queue_init(&p->wakers);
  p->probe_op.kind = AFDIO__OP_PROBE;
  afdio__queue_init(&p->probe_op.ready);
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

/* Routes one packet during teardown: only what frees memory matters. */
static void selector__drain_one(afdio_poller_t *p, afdio__op_t *op) {
  afdio_event_t ignored;
  (void)selector__feed(p, op, &ignored);
}

/* Waits for the packet of every cancelled poll (AFD-NOTES 15): freeing a
 * state whose poll is still in flight would let the kernel write into freed
 * memory. Gives up (and leaks) only if nothing arrives for 10 s. */
static void selector__drain_all(afdio_poller_t *p) {
  OVERLAPPED_ENTRY entries[SELECTOR__BATCH];
  afdio__queue_node_t *n;
  int idle = 0, got, i;
  while ((n = afdio__queue_pop_front(&p->stash)) != NULL)
    selector__drain_one(p, AFDIO__CONTAINER_OF(n, afdio__op_t, ready));
  while ((!afdio__queue_empty(&p->graveyard) || p->probe_busy) && idle < 10) {
    got = afdio__port_get_many(p->port, entries, SELECTOR__BATCH, 1000);
    idle = got > 0 ? 0 : idle + 1;
    for (i = 0; i < got; i++)
      selector__drain_one(p, afdio__op_from_entry(&entries[i]));
  }
}

/* Teardown: frees the graveyard's states that have no packet to come (a
 * deferred successor, a state whose poll never went out). */
static void selector__free_idle(afdio_poller_t *p) {
  afdio__queue_node_t all, *n;
  afdio__queue_init(&all);
  while ((n = afdio__queue_pop_front(&p->graveyard)) != NULL)
    afdio__queue_push_back(&all, n);
  while ((n = afdio__queue_pop_front(&all)) != NULL)
    selector__bury(p, afdio__sock_state_from_node(n));
}

int afdio_poller_delete(afdio_poller_t *p) {
  size_t i;
  int leaked;
  if (p == NULL)
    return AFDIO_EINVAL;
  if (p->port == NULL) {
    free(p);
    return 0;
  }
  EnterCriticalSection(&p->lock);
  /* Every mapped state goes to the graveyard first (zombies are there
   * already): freeing while iterating would reshuffle the map. */
  for (i = 0; i < afdio__sock_map_capacity(&p->map); i++) {
    afdio__sock_state_t *s = afdio__sock_map_at(&p->map, i);
    if (s == NULL)
      continue;
    afdio__sock_state_delete(s);
    afdio__queue_push_back(&p->graveyard, afdio__sock_state_node(s));
  }
  afdio__sock_map_cleanup(&p->map);
  selector__free_idle(p);
  selector__drain_all(p);
  leaked = !afdio__queue_empty(&p->graveyard) || p->probe_busy;
  LeaveCriticalSection(&p->lock);
  afdio__waker_free_all(&p->wakers);
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
  /* The first poll goes out now: "takes effect at once", and a closed
   * socket is then noticed from the start. Only while the zombie's poll is
   * still in the kernel (cancelled, not completed yet) does it wait for
   * that poll's packet, never two polls on one socket (AFD-NOTES 8). */
  return selector__update(p, s);
}

int afdio_poller_register(afdio_poller_t *p, afdio_socket_t sock,
                          uint64_t token, uint32_t interest) {
  uintptr_t base;
  int err;
  if (p == NULL || sock == AFDIO_INVALID_SOCKET)
    return AFDIO_EINVAL;
  err = afdio__interest_check(interest);
  if (err < 0)
    return err;
  /* Outside the lock: these are system calls (server round trips under
   * Wine) that other threads need not wait for. */
  err = afdio__base_socket_get(sock, &base);
  if (err < 0)
    return err;
  EnterCriticalSection(&p->lock);
  err = selector__add(p, sock, base, token, interest);
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
    afdio__sock_state_delete(s);
    selector__bury(p, s);
    return NULL;
  }
  return s;
}

int afdio_poller_reregister(afdio_poller_t *p, afdio_socket_t sock,
                            uint64_t token, uint32_t interest) {
  afdio__sock_state_t *s;
  int err;
  if (p == NULL || sock == AFDIO_INVALID_SOCKET)
    return AFDIO_EINVAL;
  err = afdio__interest_check(interest);
  if (err < 0)
    return err;
  EnterCriticalSection(&p->lock);
  s = selector__find(p, sock);
  if (s == NULL) {
    err = AFDIO_ENOENT;
  } else {
    afdio__sock_state_set(s, token, interest);
    /* A result taken but not reported yet carries the old token and
     * interest: it is dropped and the new poll reports what holds now. */
    err = selector__update(p, s);
  }
  LeaveCriticalSection(&p->lock);
  return err;
}

int afdio_poller_deregister(afdio_poller_t *p, afdio_socket_t sock) {
  afdio__sock_state_t *s;
  if (p == NULL || sock == AFDIO_INVALID_SOCKET)
    return AFDIO_EINVAL;
  EnterCriticalSection(&p->lock);
  s = selector__find(p, sock);
  if (s != NULL) {
    afdio__sock_state_delete(s);
    selector__bury(p, s);
  }
  LeaveCriticalSection(&p->lock);
  return s == NULL ? AFDIO_ENOENT : 0;
}

int afdio_poller_rearm(afdio_poller_t *p, afdio_socket_t sock,
                       uint32_t events) {
  afdio__sock_state_t *s;
  int err = 0;
  if (p == NULL || sock == AFDIO_INVALID_SOCKET || afdio__rearm_check(events))
    return AFDIO_EINVAL;
  EnterCriticalSection(&p->lock);
  s = selector__find(p, sock);
  if (s == NULL)
    err = AFDIO_ENOENT;
  else if (afdio__sock_state_rearm(s, events))
    err = selector__update(p, s);
  LeaveCriticalSection(&p->lock);
  return err;
}

/* ------------------------------------------------------------------------ */
/* Waiting                                                                   */

/* Milliseconds left until deadline (QueryPerformanceCounter ticks), rounded
 * up so a wait never ends before the deadline; capped below INFINITE so a
 * huge finite timeout stays finite (AFD-NOTES 18). */
static DWORD selector__remaining(LONGLONG deadline, LONGLONG freq) {
  LARGE_INTEGER now;
  LONGLONG left;
  QueryPerformanceCounter(&now);
  left = deadline - now.QuadPart;
  if (left <= 0)
    return 0;
  left = (left * 1000 + freq - 1) / freq;
  return left >= (LONGLONG)INFINITE ? INFINITE - 1 : (DWORD)left;
}

static LONGLONG selector__deadline(int64_t timeout_ms, LONGLONG *freq) {
  LARGE_INTEGER f, now;
  QueryPerformanceFrequency(&f);
  QueryPerformanceCounter(&now);
  *freq = f.QuadPart;
  /* About three years: long enough to be "huge", short enough that the
   * tick arithmetic below cannot overflow. */
  if (timeout_ms > 100000000000LL)
    timeout_ms = 100000000000LL;
  return now.QuadPart + timeout_ms / 1000 * f.QuadPart +
         (timeout_ms % 1000 * f.QuadPart + 999) / 1000;
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

int afdio_poller_wait(afdio_poller_t *p, afdio_event_t *events,
                      size_t capacity, int64_t timeout_ms) {
  OVERLAPPED_ENTRY entries[SELECTOR__BATCH];
  LONGLONG deadline = 0, freq = 1;
  DWORD wait_ms;
  size_t n;
  int got, empty_rounds = 0;
  if (p == NULL || events == NULL || capacity == 0)
    return AFDIO_EINVAL;
  if (capacity > INT32_MAX)
    capacity = INT32_MAX;
  if (timeout_ms > 0)
    deadline = selector__deadline(timeout_ms, &freq);
  EnterCriticalSection(&p->lock);
  selector__flush(p);
  n = selector__take_stash(p, events, capacity);
  for (wait_ms = 0; n == 0;) {
    if (timeout_ms < 0)
      wait_ms = INFINITE;
    else if (timeout_ms > 0)
      wait_ms = selector__remaining(deadline, freq);
    LeaveCriticalSection(&p->lock);
    /* Each packet gives at most one event: never take more than fit. */
    got = afdio__port_get_many(
        p->port, entries,
        (ULONG)(capacity < SELECTOR__BATCH ? capacity : SELECTOR__BATCH),
        wait_ms);
    EnterCriticalSection(&p->lock);
    if (got < 0) {
      LeaveCriticalSection(&p->lock);
      return AFDIO_EIO;
    }
    n = selector__process(p, entries, got, events);
    selector__flush(p);
    if (n == 0)
      n = selector__take_stash(p, events, capacity);
    /* A zero-timeout round that found nothing gets one more: under Wine 8
     * the first call only runs the server APC that posts a completion of
     * this thread's poll (see selector__drain_to_stash); on Windows it
     * costs one more empty system call. */
    if (wait_ms == 0 && got == 0 && empty_rounds++ > 0)
      break;
  }
  LeaveCriticalSection(&p->lock);
  return (int)n;
}
