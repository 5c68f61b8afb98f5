/* Named pipes on the Windows poller: readiness emulated over completion
 * (the design of mio src/sys/windows/named_pipe.rs; our own code). What
 * the pipe files share (pipe_src.c: registration, modes and the
 * per-poller set; pipe.c: pipes and their requests; pipe_listener.c:
 * listeners), and the few hooks selector.c gives and takes.
 *
 * Every pipe handle is bound to its poller's completion port (completion
 * key 0, as the AFD handles). Its I/O goes out through ntdll (NtReadFile,
 * NtWriteFile, NtFsControlFile(FSCTL_PIPE_LISTEN)) with an afdio__op_t as
 * the APC context and its IO_STATUS_BLOCK as the status block, so the
 * packet's lpOverlapped is the op and its kind routes it, as for AFD polls
 * (an OVERLAPPED could not start with the op's kind tag). A request that
 * does not fail at once queues exactly one packet; the op stays "busy" and
 * its pipe allocated until that packet is fed.
 *
 * All pipe state is guarded by the poller's lock, which selector.c holds
 * while it feeds packets. */
#ifndef AFDIO_IOCP_PIPE_H
#define AFDIO_IOCP_PIPE_H

#include <stdint.h>

#include "afd/queue.h"
#include "afdio.h"
#include "iocp/port.h"

/* A pipe or a listener as the poller sees it: its registration, and the
 * EVENT op that sits on the poller's stash while it has something to
 * report that no packet will bring (after a rearm, a reregister, a level
 * event). */
typedef struct afdio__pipe_src afdio__pipe_src_t;

typedef struct afdio__pipe_src_ops {
  uint32_t (*ready)(afdio__pipe_src_t *s);  /* what holds now */
  void (*cancel)(afdio__pipe_src_t *s);     /* poller delete: cancel I/O */
  int (*busy)(const afdio__pipe_src_t *s);  /* a packet is still to come */
  void (*orphan)(afdio__pipe_src_t *s);     /* after the drain: let go */
  void (*arm)(afdio__pipe_src_t *s);        /* flush: issue its read, or NULL */
} afdio__pipe_src_ops_t;

struct afdio__pipe_src {
  afdio__op_t ev; /* kind AFDIO__OP_PIPE_EVENT */
  const afdio__pipe_src_ops_t *ops;
  afdio_poller_t *poller; /* bound to its port; NULL before */
  uint64_t token;
  uint32_t interest; /* AFDIO_READABLE | AFDIO_WRITABLE */
  uint32_t mode;     /* AFDIO_EDGE, AFDIO_LEVEL, AFDIO_ONESHOT */
  uint32_t masked;   /* edge: reported, not re-armed */
  unsigned char registered;
  unsigned char disarmed; /* oneshot: reported */
  unsigned char orphan;   /* its poller was deleted */
  afdio__queue_node_t pending; /* the set's list to look at next flush */
  afdio__queue_node_t all;     /* the set's list of everything bound */
};

/* The poller's pipes and listeners (in selector.c's poller). */
typedef struct afdio__pipe_set {
  afdio__queue_node_t all;
  afdio__queue_node_t pending;
} afdio__pipe_set_t;

/* --- for selector.c (under the poller's lock) ---------------------------- */

void afdio__pipe_set_init(afdio__pipe_set_t *set);

/* Arms every pending source (a pipe's read goes out here, see
 * pipe__read_locked) and puts the EVENT op of those with something to
 * report on stash. */
void afdio__pipe_set_flush(afdio__pipe_set_t *set, afdio__queue_node_t *stash);

/* Processes a dequeued packet of kind PIPE_*. Returns 1 with *ev, or 0. */
int afdio__pipe_feed(afdio__op_t *op, afdio_event_t *ev);

/* Poller delete: cancels all pipe I/O (cancel), says whether a packet is
 * still to come (busy), and after the drain frees what was closed and
 * detaches the rest (cleanup). */
void afdio__pipe_set_cancel(afdio__pipe_set_t *set);
int afdio__pipe_set_busy(const afdio__pipe_set_t *set);
void afdio__pipe_set_cleanup(afdio__pipe_set_t *set);

/* --- from selector.c, for the pipe files --------------------------------- */

void afdio__selector_lock(afdio_poller_t *p);
void afdio__selector_unlock(afdio_poller_t *p);
HANDLE afdio__selector_port(afdio_poller_t *p);
afdio__pipe_set_t *afdio__selector_pipes(afdio_poller_t *p);
/* A source became pending: a thread blocked in the port sees it now. */
void afdio__selector_pipes_changed(afdio_poller_t *p);

/* --- pipe_src.c, for pipe.c and pipe_listener.c -------------------------- */

void afdio__pipe_src_init(afdio__pipe_src_t *s, const afdio__pipe_src_ops_t *ops);
/* Binds s to poller p (adds it to the set). */
void afdio__pipe_src_bind(afdio__pipe_src_t *s, afdio_poller_t *p);
/* Register / reregister / deregister / rearm of a bound source. */
int afdio__pipe_src_register(afdio__pipe_src_t *s, afdio_poller_t *p,
                             uint64_t token, uint32_t interest);
int afdio__pipe_src_reregister(afdio__pipe_src_t *s, uint64_t token,
                               uint32_t interest);
int afdio__pipe_src_deregister(afdio__pipe_src_t *s);
void afdio__pipe_src_rearm(afdio__pipe_src_t *s, uint32_t events);
/* Marks s to be looked at by the next flush. */
void afdio__pipe_src_changed(afdio__pipe_src_t *s);
/* Takes s out of every list of the poller (before free). */
void afdio__pipe_src_unlink(afdio__pipe_src_t *s);
/* Reports what holds now, by the mode's rules. Returns 1 with *ev. */
int afdio__pipe_src_report(afdio__pipe_src_t *s, afdio_event_t *ev);

/* --- pipe.c, for pipe_listener.c ----------------------------------------- */

/* ntdll's file calls, looked up once. Returns 0 or AFDIO_ENOSYS. */
int afdio__pipe_nt_init(void);

/* A server instance or a client end. */
int afdio__pipe_new(HANDLE h, unsigned buffer_size, afdio_pipe_t **out);
/* Binds the pipe's handle to p's port. Returns 0 or AFDIO_E*. */
int afdio__pipe_bind(afdio_pipe_t *pipe, afdio_poller_t *p);
/* Issues the connect (FSCTL_PIPE_LISTEN) of a bound server instance.
 * Returns 1 when a client is connected already, 0 when pending, or
 * AFDIO_E*. */
int afdio__pipe_listen(afdio_pipe_t *pipe);
/* Starts the first read of a connected, bound pipe (accept). */
void afdio__pipe_start(afdio_pipe_t *pipe);
/* The instance's listener (NULL once accepted) and the node that links it
 * in the listener's lists. */
void afdio__pipe_set_listener(afdio_pipe_t *pipe, afdio_pipe_listener_t *l);
afdio__queue_node_t *afdio__pipe_inst_node(afdio_pipe_t *pipe);
afdio_pipe_t *afdio__pipe_from_inst_node(afdio__queue_node_t *n);
/* Closes under the lock (or unbound): what afdio_pipe_close does. */
void afdio__pipe_close_locked(afdio_pipe_t *pipe);
/* --- pipe_listener.c, for pipe.c ----------------------------------------- */

/* A connect of one of its instances completed (ok 1) or failed (ok 0).
 * Returns 1 with *ev when the listener reports. */
int afdio__pipe_listener_connected(afdio_pipe_listener_t *l,
                                   afdio_pipe_t *inst, int ok,
                                   afdio_event_t *ev);

#endif
