/* What pipes and listeners share as the poller sees them (iocp/pipe.h):
 * registration, the trigger modes, and the per-poller set whose flush
 * arms pending sources and puts their reports on the poller's stash. The
 * rules are the sockets' (iocp/sock_state.c): edge masks what it reported
 * until a rearm, oneshot disarms until a reregister, level is looked at
 * again by every wait while its condition holds. */
#include "iocp/pipe.h"

#include <string.h>

#define PIPE_SRC__EVENT_ONLY                                                   \
  (AFDIO_ERROR | AFDIO_READ_CLOSED | AFDIO_WRITE_CLOSED)

/* ------------------------------------------------------------------------ */
/* Sources: registration and modes, for pipes and listeners alike            */

void afdio__pipe_src_init(afdio__pipe_src_t *s,
                          const afdio__pipe_src_ops_t *ops) {
  memset(s, 0, sizeof *s);
  s->ev.kind = AFDIO__OP_PIPE_EVENT;
  afdio__queue_init(&s->ev.ready);
  afdio__queue_init(&s->pending);
  afdio__queue_init(&s->all);
  s->ops = ops;
}

void afdio__pipe_src_bind(afdio__pipe_src_t *s, afdio_poller_t *p) {
  s->poller = p;
  afdio__queue_push_back(&afdio__selector_pipes(p)->all, &s->all);
}

void afdio__pipe_src_changed(afdio__pipe_src_t *s) {
  if (s->poller == NULL)
    return;
  afdio__queue_push_back(&afdio__selector_pipes(s->poller)->pending,
                         &s->pending);
  afdio__selector_pipes_changed(s->poller);
}

static void pipe_src__set(afdio__pipe_src_t *s, uint64_t token,
                          uint32_t interest) {
  s->token = token;
  s->interest = interest & (AFDIO_READABLE | AFDIO_WRITABLE | AFDIO_PRIORITY);
  s->mode = interest & (AFDIO_LEVEL | AFDIO_ONESHOT);
  s->masked = 0;
  s->disarmed = 0;
  s->registered = 1;
  afdio__pipe_src_changed(s);
}

int afdio__pipe_src_register(afdio__pipe_src_t *s, afdio_poller_t *p,
                             uint64_t token, uint32_t interest) {
  if (s->registered || (s->poller != NULL && s->poller != p))
    return AFDIO_EEXIST;
  if (s->orphan)
    return AFDIO_ECANCELED;
  pipe_src__set(s, token, interest);
  return 0;
}

int afdio__pipe_src_reregister(afdio__pipe_src_t *s, uint64_t token,
                               uint32_t interest) {
  if (!s->registered)
    return AFDIO_ENOENT;
  pipe_src__set(s, token, interest);
  return 0;
}

int afdio__pipe_src_deregister(afdio__pipe_src_t *s) {
  if (!s->registered)
    return AFDIO_ENOENT;
  s->registered = 0;
  afdio__queue_remove(&s->pending);
  afdio__queue_remove(&s->ev.ready); /* a queued report is dropped */
  return 0;
}

/* The read side re-arms the end and errors too: a read that would block
 * has not seen them yet (as for sockets' DISCONNECT). */
void afdio__pipe_src_rearm(afdio__pipe_src_t *s, uint32_t events) {
  uint32_t unmask = events & (AFDIO_READABLE | AFDIO_WRITABLE);
  if (!s->registered || s->mode != AFDIO_EDGE)
    return;
  if (events & AFDIO_READABLE)
    unmask |= AFDIO_READ_CLOSED | AFDIO_ERROR;
  if (events & AFDIO_WRITABLE)
    unmask |= AFDIO_WRITE_CLOSED | AFDIO_ERROR;
  if ((s->masked & unmask) == 0)
    return;
  s->masked &= ~unmask;
  afdio__pipe_src_changed(s);
}

void afdio__pipe_src_unlink(afdio__pipe_src_t *s) {
  afdio__queue_remove(&s->pending);
  afdio__queue_remove(&s->ev.ready);
  afdio__queue_remove(&s->all);
}

static uint32_t pipe_src__due(afdio__pipe_src_t *s) {
  if (!s->registered || s->disarmed || s->orphan)
    return 0;
  return s->ops->ready(s) & (s->interest | PIPE_SRC__EVENT_ONLY) & ~s->masked;
}

int afdio__pipe_src_report(afdio__pipe_src_t *s, afdio_event_t *ev) {
  uint32_t due = pipe_src__due(s);
  afdio__queue_remove(&s->ev.ready); /* this report covers a queued one */
  if (due == 0)
    return 0;
  if (s->mode == AFDIO_EDGE)
    s->masked |= due;
  else if (s->mode == AFDIO_ONESHOT)
    s->disarmed = 1;
  else /* level: looked at again by the next wait's flush */
    afdio__queue_push_back(&afdio__selector_pipes(s->poller)->pending,
                           &s->pending);
  ev->token = s->token;
  ev->events = due;
  ev->reserved_ = 0;
  return 1;
}

/* ------------------------------------------------------------------------ */
/* The set                                                                   */

void afdio__pipe_set_init(afdio__pipe_set_t *set) {
  afdio__queue_init(&set->all);
  afdio__queue_init(&set->pending);
}

void afdio__pipe_set_flush(afdio__pipe_set_t *set, afdio__queue_node_t *stash) {
  afdio__queue_node_t *n;
  while ((n = afdio__queue_pop_front(&set->pending)) != NULL) {
    afdio__pipe_src_t *s = AFDIO__CONTAINER_OF(n, afdio__pipe_src_t, pending);
    if (s->ops->arm != NULL && !s->orphan)
      s->ops->arm(s);
    if (!afdio__queue_linked(&s->ev.ready) && pipe_src__due(s) != 0)
      afdio__queue_push_back(stash, &s->ev.ready);
  }
}

void afdio__pipe_set_cancel(afdio__pipe_set_t *set) {
  afdio__queue_node_t *n;
  for (n = set->all.next; n != &set->all; n = n->next) {
    afdio__pipe_src_t *s = AFDIO__CONTAINER_OF(n, afdio__pipe_src_t, all);
    s->orphan = 1;
    s->ops->cancel(s);
  }
}

int afdio__pipe_set_busy(const afdio__pipe_set_t *set) {
  const afdio__queue_node_t *n;
  for (n = set->all.next; n != &set->all; n = n->next) {
    if (AFDIO__CONTAINER_OF(n, afdio__pipe_src_t, all)->ops->busy(
            AFDIO__CONTAINER_OF(n, afdio__pipe_src_t, all)))
      return 1;
  }
  return 0;
}

void afdio__pipe_set_cleanup(afdio__pipe_set_t *set) {
  afdio__queue_node_t *n;
  while ((n = afdio__queue_pop_front(&set->all)) != NULL) {
    afdio__pipe_src_t *s = AFDIO__CONTAINER_OF(n, afdio__pipe_src_t, all);
    afdio__queue_remove(&s->pending);
    afdio__queue_remove(&s->ev.ready);
    s->registered = 0;
    s->poller = NULL;
    s->ops->orphan(s);
  }
  afdio__queue_init(&set->pending);
}

