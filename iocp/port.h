/* The completion port, and the head every operation we submit or post
 * starts with: the IO_STATUS_BLOCK first (the kernel writes it and hands
 * its address back as lpOverlapped), then a kind tag to route the packet
 * (STYLE 8). */
#ifndef AFDIO_IOCP_PORT_H
#define AFDIO_IOCP_PORT_H

#include <stdint.h>

#include "afd/nt.h"
#include "afd/queue.h"

/* Distinct, unlikely values, so that a packet for memory that was freed or
 * reused shows as an unknown kind (see afdio__op_check). */
typedef enum afdio__op_kind {
  AFDIO__OP_POLL = 0x41464450,    /* an IOCTL_AFD_POLL of one socket */
  AFDIO__OP_WAKER = 0x41464457,   /* a posted wake-up */
  AFDIO__OP_PROBE = 0x41464442,   /* the poller's creation probe: ignored */
  AFDIO__OP_STASH = 0x41464453,   /* posted: packets wait in the stash */
  AFDIO__OP_CLOSE = 0x41464443,   /* posted: the poller is being deleted */
  /* Named pipes (iocp/pipe.c): a read, a write, a server instance's
   * connect, and a pipe's report put on the stash (never a packet). */
  AFDIO__OP_PIPE_READ = 0x50495052,
  AFDIO__OP_PIPE_WRITE = 0x50495057,
  AFDIO__OP_PIPE_CONNECT = 0x50495043,
  AFDIO__OP_PIPE_EVENT = 0x50495045,
  AFDIO__OP_FREED = 0x46524545    /* written into an op just before free */
} afdio__op_kind_t;

typedef struct afdio__op {
  afdio__iosb_t iosb; /* first: lpOverlapped points here */
  afdio__op_kind_t kind;
  /* Links a dequeued packet whose processing is postponed (the poller's
   * stash). */
  afdio__queue_node_t ready;
} afdio__op_t;

/* Returns 0 and a new port in *out, or AFDIO_E*. */
int afdio__port_new(HANDLE *out);

/* Dequeues up to count packets, waiting at most timeout_ms (INFINITE for
 * ever). Returns how many, 0 on timeout, or AFDIO_E*. */
int afdio__port_get_many(HANDLE port, OVERLAPPED_ENTRY *entries, ULONG count,
                         DWORD timeout_ms);

/* Posts a packet whose lpOverlapped is op. Returns 0 or AFDIO_E*. */
int afdio__port_post(HANDLE port, afdio__op_t *op);

/* The op of a dequeued packet; NULL for a packet posted by someone else
 * with no OVERLAPPED (AFD-NOTES 19), which the poller ignores. */
static inline afdio__op_t *afdio__op_from_entry(const OVERLAPPED_ENTRY *e) {
  return (afdio__op_t *)(void *)e->lpOverlapped;
}

/* A packet whose op has a kind we never wrote is memory corruption (an op
 * freed while its packet was still to come): debug builds stop at once, so
 * it cannot hide; release builds ignore the packet. Returns 1 when known. */
int afdio__op_check(const afdio__op_t *op);

#endif
