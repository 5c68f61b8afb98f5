/* Windows pipes (client ends and accepted server instances) and the
 * per-poller set that turns their completions into readiness. See
 * iocp/pipe.h for the model; the facts below are mio's
 * (src/sys/windows/named_pipe.rs) unless said otherwise.
 *
 * A pipe keeps one read into its internal buffer pending; once it
 * completes, the bytes are handed out by afdio_pipe_read() and the next
 * read goes out when they are all taken, so at most one read is ever in
 * the kernel and the pipe is readable exactly while bytes (or the end)
 * wait in the buffer. A write copies into the internal write buffer and,
 * when no write is in flight, writes the whole buffer; bytes taken while
 * one is in flight are appended and go out when it completes. The pipe is
 * writable while that buffer has room: so a peer that does not read
 * throttles the writer (back-pressure) at the pipe's own buffer plus ours. */
#include "iocp/pipe.h"

#include <stdlib.h>
#include <string.h>

#include "afd/error.h"
#include "afd/nt.h"
#include "core/interest.h"

/* Statuses of pipe requests, from the Windows SDK's ntstatus.h. */
#define PIPE__STATUS_END_OF_FILE ((afdio__ntstatus_t)0xC0000011L)
#define PIPE__STATUS_PIPE_DISCONNECTED ((afdio__ntstatus_t)0xC00000B0L)
#define PIPE__STATUS_PIPE_CLOSING ((afdio__ntstatus_t)0xC00000B1L)
#define PIPE__STATUS_PIPE_CONNECTED ((afdio__ntstatus_t)0xC00000B2L)
#define PIPE__STATUS_PIPE_BROKEN ((afdio__ntstatus_t)0xC000014BL)
#define PIPE__FSCTL_PIPE_LISTEN 0x00110008u

/* rerr / werr value for "the other end is gone": reads give 0 (mio maps
 * ERROR_BROKEN_PIPE to a read of 0), writes AFDIO_EPIPE. */
#define PIPE__GONE 1

typedef afdio__ntstatus_t(NTAPI *pipe__rw_fn)(HANDLE file, HANDLE event,
                                              afdio__io_apc_routine_t apc,
                                              PVOID apc_context,
                                              afdio__iosb_t *iosb, PVOID buf,
                                              ULONG len, LARGE_INTEGER *offset,
                                              ULONG *key);

static pipe__rw_fn pipe__nt_read, pipe__nt_write;
static afdio__nt_device_io_control_file_fn pipe__nt_fsctl;

typedef struct pipe__op {
  afdio__op_t op; /* first: the packet's lpOverlapped */
  afdio_pipe_t *pipe;
  unsigned char busy; /* submitted, packet not yet fed */
} pipe__op_t;

struct afdio_pipe {
  afdio__pipe_src_t src;
  pipe__op_t rd, wr, cn;
  HANDLE h;
  size_t cap;          /* bytes in each internal buffer */
  unsigned char *rbuf; /* cap bytes: what the last read brought */
  unsigned char *wbuf; /* cap bytes: taken by write, not yet written */
  size_t rpos, rlen;   /* rbuf[rpos, rlen) is still to be read */
  size_t wlen;         /* wbuf[0, wlen) is to be written */
  int rerr, werr;      /* 0, PIPE__GONE, or AFDIO_E* of a failed request */
  unsigned char closing;
  unsigned char skip; /* no packet for a request that succeeds at once */
  afdio_pipe_listener_t *listener; /* a server instance not yet accepted */
  afdio__queue_node_t inst;        /* in its listener's lists */
};

/* ------------------------------------------------------------------------ */
/* ntdll                                                                     */

/* NtReadFile and NtWriteFile take an IO_STATUS_BLOCK and an APC context
 * where ReadFile takes an OVERLAPPED, which is what lets the op's kind
 * follow its status block. They and NtFsControlFile are exported by every
 * ntdll since NT 3.1 (and by Wine's). */
int afdio__pipe_nt_init(void) {
  HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  FARPROC r, w, f;
  int err = afdio__nt_global_init();
  if (err < 0)
    return err;
  if (pipe__nt_fsctl != NULL)
    return 0;
  if (ntdll == NULL)
    return AFDIO_ENOSYS;
  r = GetProcAddress(ntdll, "NtReadFile");
  w = GetProcAddress(ntdll, "NtWriteFile");
  f = GetProcAddress(ntdll, "NtFsControlFile");
  if (r == NULL || w == NULL || f == NULL)
    return AFDIO_ENOSYS;
  memcpy(&pipe__nt_read, &r, sizeof r);
  memcpy(&pipe__nt_write, &w, sizeof w);
  memcpy(&pipe__nt_fsctl, &f, sizeof f);
  return 0;
}

/* ------------------------------------------------------------------------ */
/* Pipe requests                                                             */

static int pipe__busy(const afdio_pipe_t *p) {
  return p->rd.busy || p->wr.busy || p->cn.busy;
}

/* A failed request's status as rerr / werr. */
static int pipe__failure(afdio__ntstatus_t st) {
  if (st == PIPE__STATUS_PIPE_BROKEN || st == PIPE__STATUS_PIPE_CLOSING ||
      st == PIPE__STATUS_PIPE_DISCONNECTED || st == PIPE__STATUS_END_OF_FILE)
    return PIPE__GONE;
  if (st == AFDIO__STATUS_CANCELLED)
    return AFDIO_ECANCELED;
  return afdio__nt_error(st);
}

/* What a submission's status means for its packet. An error status
 * queues none (AFD-NOTES, the NT rule); pending and warnings queue one;
 * success queues one unless the handle skips completions on success
 * (FILE_SKIP_COMPLETION_PORT_ON_SUCCESS), and then the result is taken
 * at once. Returns 1 when a packet will come (the op is busy), 0 when the
 * request is done now (its IOSB holds the result), or -1 on failure. */
static int pipe__submitted(afdio_pipe_t *p, pipe__op_t *op,
                           afdio__ntstatus_t st) {
  if (AFDIO__NT_ERROR(st))
    return -1;
  if (p->skip && AFDIO__NT_SUCCESS(st) && st != AFDIO__STATUS_PENDING) {
    op->op.iosb.u.Status = st; /* written already; said again for clarity */
    return 0;
  }
  op->busy = 1;
  return 1;
}

static void pipe__read_done(afdio_pipe_t *p);
static void pipe__write_done(afdio_pipe_t *p);

/* Issues the read when none is out and the buffer is empty. Returns 1
 * when it completed at once (bytes, the end or a failure: the state
 * changed), else 0. */
static int pipe__read_start(afdio_pipe_t *p) {
  LARGE_INTEGER zero;
  afdio__ntstatus_t st = 0;
  int rc = 0;
  if (p->rd.busy || p->rerr != 0 || p->rpos < p->rlen || p->closing ||
      p->src.orphan || p->src.poller == NULL || p->listener != NULL)
    return 0;
  p->rpos = p->rlen = 0;
  /* A read that brings 0 bytes at once (an empty write of the peer) is
   * followed by another, a few times. */
  for (int tries = 0; tries < 4; tries++) {
    zero.QuadPart = 0;
    p->rd.op.iosb.u.Status = AFDIO__STATUS_PENDING;
    p->rd.op.iosb.Information = 0;
    st = pipe__nt_read(p->h, NULL, NULL, &p->rd.op, &p->rd.op.iosb, p->rbuf,
                       (ULONG)p->cap, &zero, NULL);
    rc = pipe__submitted(p, &p->rd, st);
    if (rc == 1)
      return 0;
    if (rc < 0 || p->rd.op.iosb.Information > 0)
      break;
  }
  if (rc == 0) /* bytes were waiting: readable now, no packet */
    pipe__read_done(p);
  else
    p->rerr = pipe__failure(st);
  return 1;
}

static void pipe__read_submit(afdio_pipe_t *p) {
  if (pipe__read_start(p))
    afdio__pipe_src_changed(&p->src);
}

/* Writes what the buffer holds; writes that complete at once (the pipe had
 * room) are taken in a loop, bounded by the buffer's bytes. */
static void pipe__write_submit(afdio_pipe_t *p) {
  LARGE_INTEGER zero;
  afdio__ntstatus_t st;
  int rc = 0;
  while (rc == 0 && !p->wr.busy && p->wlen > 0 && p->werr == 0 &&
         !p->src.orphan) {
    zero.QuadPart = 0;
    p->wr.op.iosb.u.Status = AFDIO__STATUS_PENDING;
    p->wr.op.iosb.Information = 0;
    st = pipe__nt_write(p->h, NULL, NULL, &p->wr.op, &p->wr.op.iosb, p->wbuf,
                        (ULONG)p->wlen, &zero, NULL);
    rc = pipe__submitted(p, &p->wr, st);
    if (rc == 0 && p->wr.op.iosb.Information == 0)
      rc = AFDIO_EIO; /* no progress: a failure, not a loop */
    if (rc == 0)
      pipe__write_done(p);
    else if (rc < 0) {
      p->werr = rc == -1 ? pipe__failure(st) : AFDIO_EIO;
      p->wlen = 0;
      afdio__pipe_src_changed(&p->src);
    }
  }
}

int afdio__pipe_listen(afdio_pipe_t *p) {
  afdio__ntstatus_t st;
  int rc;
  p->cn.op.iosb.u.Status = AFDIO__STATUS_PENDING;
  st = pipe__nt_fsctl(p->h, NULL, NULL, &p->cn.op, &p->cn.op.iosb,
                      PIPE__FSCTL_PIPE_LISTEN, NULL, 0, NULL, 0);
  rc = pipe__submitted(p, &p->cn, st);
  if (rc >= 0)
    return rc == 1 ? 0 : 1;
  /* A client came before the listen (ERROR_PIPE_CONNECTED), or came and
   * left already (ERROR_NO_DATA): both are connections to accept (mio
   * connect_overlapped); the second one reads its end at once. */
  if (st == PIPE__STATUS_PIPE_CONNECTED || st == PIPE__STATUS_PIPE_CLOSING)
    return 1;
  return afdio__nt_error(st);
}

static void pipe__cancel_op(afdio_pipe_t *p, pipe__op_t *op) {
  afdio__iosb_t cancel;
  if (op->busy && p->h != NULL)
    (void)afdio__nt_cancel_io_file_ex(p->h, &op->op.iosb, &cancel);
}

/* Frees a closed pipe once no packet is to come; a write still going out
 * (a close does not drop written data) keeps the handle open until then. */
static void pipe__maybe_free(afdio_pipe_t *p) {
  if (!p->closing)
    return;
  if (p->h != NULL && !p->wr.busy) {
    CloseHandle(p->h);
    p->h = NULL;
  }
  if (pipe__busy(p))
    return;
  afdio__pipe_src_unlink(&p->src);
  afdio__queue_remove(&p->inst);
  p->rd.op.kind = p->wr.op.kind = p->cn.op.kind = AFDIO__OP_FREED;
  p->src.ev.kind = AFDIO__OP_FREED;
  free(p);
}

/* ------------------------------------------------------------------------ */
/* Completions                                                               */

static void pipe__read_done(afdio_pipe_t *p) {
  afdio__ntstatus_t st = afdio__iosb_status(&p->rd.op.iosb);
  if (AFDIO__NT_SUCCESS(st)) {
    p->rpos = 0;
    p->rlen = (size_t)p->rd.op.iosb.Information;
    if (p->rlen == 0) /* an empty write of the peer: read on */
      pipe__read_submit(p);
  } else if (!p->closing && !p->src.orphan) {
    p->rerr = pipe__failure(st);
  }
}

static void pipe__write_done(afdio_pipe_t *p) {
  afdio__ntstatus_t st = afdio__iosb_status(&p->wr.op.iosb);
  size_t n = (size_t)p->wr.op.iosb.Information;
  if (AFDIO__NT_SUCCESS(st) && n <= p->wlen) {
    memmove(p->wbuf, p->wbuf + n, p->wlen - n);
    p->wlen -= n;
  } else {
    p->werr = AFDIO__NT_SUCCESS(st) ? AFDIO_EIO : pipe__failure(st);
    p->wlen = 0;
  }
}

int afdio__pipe_feed(afdio__op_t *op, afdio_event_t *ev) {
  afdio__pipe_src_t *s;
  pipe__op_t *pop;
  afdio_pipe_t *p;
  if (op->kind == AFDIO__OP_PIPE_EVENT) {
    s = AFDIO__CONTAINER_OF(op, afdio__pipe_src_t, ev);
    return afdio__pipe_src_report(s, ev);
  }
  pop = (pipe__op_t *)(void *)op;
  p = pop->pipe;
  pop->busy = 0;
  if (op->kind == AFDIO__OP_PIPE_READ) {
    pipe__read_done(p);
  } else if (op->kind == AFDIO__OP_PIPE_WRITE) {
    pipe__write_done(p);
    pipe__write_submit(p); /* what was taken meanwhile */
  }
  if (p->closing) {
    pipe__maybe_free(p);
    return 0;
  }
  if (op->kind == AFDIO__OP_PIPE_CONNECT) {
    afdio__ntstatus_t st = afdio__iosb_status(&op->iosb);
    int ok = AFDIO__NT_SUCCESS(st) || st == PIPE__STATUS_PIPE_CLOSING;
    if (p->listener == NULL || p->src.orphan)
      return 0;
    return afdio__pipe_listener_connected(p->listener, p, ok, ev);
  }
  return afdio__pipe_src_report(&p->src, ev);
}

/* ------------------------------------------------------------------------ */
/* The pipe as a source                                                      */

static uint32_t pipe__ready(afdio__pipe_src_t *s) {
  afdio_pipe_t *p = AFDIO__CONTAINER_OF(s, afdio_pipe_t, src);
  uint32_t ev = 0;
  if (p->rpos < p->rlen)
    ev |= AFDIO_READABLE;
  if (p->rerr != 0)
    ev |= AFDIO_READABLE | AFDIO_READ_CLOSED | AFDIO_WRITE_CLOSED |
          (p->rerr != PIPE__GONE ? AFDIO_ERROR : 0);
  if (p->werr != 0)
    ev |= AFDIO_WRITABLE | AFDIO_WRITE_CLOSED |
          (p->werr != PIPE__GONE ? AFDIO_ERROR : 0);
  else if (p->wlen < p->cap)
    ev |= AFDIO_WRITABLE;
  return ev;
}

static void pipe__cancel(afdio__pipe_src_t *s) {
  afdio_pipe_t *p = AFDIO__CONTAINER_OF(s, afdio_pipe_t, src);
  pipe__cancel_op(p, &p->rd);
  pipe__cancel_op(p, &p->wr);
  pipe__cancel_op(p, &p->cn);
}

static int pipe__src_busy(const afdio__pipe_src_t *s) {
  return pipe__busy(AFDIO__CONTAINER_OF(s, afdio_pipe_t, src));
}

/* After the poller's drain: a closed pipe is freed; an open one stays the
 * caller's (or its listener's), cut off: its I/O gives AFDIO_ECANCELED. */
static void pipe__orphan(afdio__pipe_src_t *s) {
  afdio_pipe_t *p = AFDIO__CONTAINER_OF(s, afdio_pipe_t, src);
  s->orphan = 1;
  if (p->closing && !pipe__busy(p)) {
    if (p->h != NULL)
      CloseHandle(p->h);
    p->h = NULL;
    pipe__maybe_free(p);
  }
}

static void pipe__arm(afdio__pipe_src_t *s) {
  (void)pipe__read_start(AFDIO__CONTAINER_OF(s, afdio_pipe_t, src));
}

static const afdio__pipe_src_ops_t pipe__src_ops = {
    pipe__ready, pipe__cancel, pipe__src_busy, pipe__orphan, pipe__arm};

/* ------------------------------------------------------------------------ */
/* Life                                                                      */

static void pipe__op_init(pipe__op_t *op, afdio_pipe_t *p,
                          afdio__op_kind_t kind) {
  op->op.kind = kind;
  afdio__queue_init(&op->op.ready);
  op->pipe = p;
  op->busy = 0;
}

/* One allocation per pipe, buffers included: nothing is allocated while
 * it runs. */
int afdio__pipe_new(HANDLE h, unsigned buffer_size, afdio_pipe_t **out) {
  afdio_pipe_t *p = malloc(sizeof *p + 2 * (size_t)buffer_size);
  if (p == NULL)
    return AFDIO_ENOMEM;
  memset(p, 0, sizeof *p);
  afdio__pipe_src_init(&p->src, &pipe__src_ops);
  pipe__op_init(&p->rd, p, AFDIO__OP_PIPE_READ);
  pipe__op_init(&p->wr, p, AFDIO__OP_PIPE_WRITE);
  pipe__op_init(&p->cn, p, AFDIO__OP_PIPE_CONNECT);
  afdio__queue_init(&p->inst);
  p->h = h;
  p->cap = buffer_size;
  p->rbuf = (unsigned char *)(p + 1);
  p->wbuf = p->rbuf + buffer_size;
  *out = p;
  return 0;
}

/* A handle is bound to one completion port for its life (AFD-NOTES 17).
 * Completion key 0, as for the AFD handles: packets are told apart by the
 * op kind. */
int afdio__pipe_bind(afdio_pipe_t *p, afdio_poller_t *poller) {
  if (CreateIoCompletionPort(p->h, afdio__selector_port(poller), 0, 0) ==
      NULL)
    return afdio__win_error(GetLastError());
  /* A request that succeeds at once (a write the pipe had room for, a read
   * of bytes already there) then queues no packet: under Wine each packet
   * costs server requests to post and to dequeue. Where the call fails,
   * every request still gets its packet, which is handled the same. */
  p->skip = SetFileCompletionNotificationModes(
                p->h, FILE_SKIP_COMPLETION_PORT_ON_SUCCESS |
                          FILE_SKIP_SET_EVENT_ON_HANDLE) != 0;
  afdio__pipe_src_bind(&p->src, poller);
  return 0;
}

void afdio__pipe_start(afdio_pipe_t *p) { pipe__read_submit(p); }

void afdio__pipe_set_listener(afdio_pipe_t *p, afdio_pipe_listener_t *l) {
  p->listener = l;
}

afdio__queue_node_t *afdio__pipe_inst_node(afdio_pipe_t *p) { return &p->inst; }

afdio_pipe_t *afdio__pipe_from_inst_node(afdio__queue_node_t *n) {
  return AFDIO__CONTAINER_OF(n, afdio_pipe_t, inst);
}

void afdio__pipe_close_locked(afdio_pipe_t *p) {
  (void)afdio__pipe_src_deregister(&p->src);
  afdio__queue_remove(&p->inst);
  p->listener = NULL;
  p->closing = 1;
  if (p->src.poller == NULL) { /* unbound or orphaned: nothing in flight */
    if (p->h != NULL)
      CloseHandle(p->h);
    p->h = NULL;
    afdio__queue_remove(&p->src.all);
    free(p);
    return;
  }
  pipe__cancel_op(p, &p->rd);
  pipe__cancel_op(p, &p->cn);
  pipe__maybe_free(p);
}

/* ------------------------------------------------------------------------ */
/* The public calls                                                          */

/* 0 for a pipe that can do I/O; AFDIO_EAGAIN for one not bound to a
 * poller yet (mio: I/O before registration would block), AFDIO_ECANCELED
 * for one whose poller was deleted. */
static int pipe__usable(const afdio_pipe_t *p) {
  if (p->src.orphan)
    return AFDIO_ECANCELED;
  return p->src.poller == NULL ? AFDIO_EAGAIN : 0;
}

/* Copies what the buffer holds. Once it is empty the next read is armed
 * at the next wait (the flush), not now, as the poller arms AFD polls:
 * bytes the other end writes meanwhile are then taken by a read that
 * completes at once, which under Wine costs one server request, where a
 * read left pending costs about five when it completes (an APC in the
 * issuing thread, get_async_result, the packet). So AFDIO_EAGAIN here
 * means "wait": the wait arms the read and reports what it finds. */
static ptrdiff_t pipe__read_locked(afdio_pipe_t *p, void *buf, size_t len) {
  size_t n = p->rlen - p->rpos;
  if (n == 0) {
    if (p->rerr == PIPE__GONE)
      return 0;
    if (p->rerr != 0)
      return p->rerr;
    afdio__pipe_src_rearm(&p->src, AFDIO_READABLE);
    afdio__pipe_src_changed(&p->src); /* the flush arms the read */
    return AFDIO_EAGAIN;
  }
  if (n > len)
    n = len;
  memcpy(buf, p->rbuf + p->rpos, n);
  p->rpos += n;
  if (p->rpos == p->rlen)
    afdio__pipe_src_changed(&p->src); /* the flush arms the next read */
  if (n < len)
    afdio__pipe_src_rearm(&p->src, AFDIO_READABLE);
  return (ptrdiff_t)n;
}

static ptrdiff_t pipe__write_locked(afdio_pipe_t *p, const void *buf,
                                    size_t len) {
  size_t n = p->cap - p->wlen;
  if (p->werr != 0)
    return p->werr == PIPE__GONE ? AFDIO_EPIPE : p->werr;
  if (p->rerr == PIPE__GONE)
    return AFDIO_EPIPE;
  if (n == 0) {
    afdio__pipe_src_rearm(&p->src, AFDIO_WRITABLE);
    return AFDIO_EAGAIN;
  }
  if (n > len)
    n = len;
  memcpy(p->wbuf + p->wlen, buf, n);
  p->wlen += n;
  pipe__write_submit(p);
  if (p->werr != 0) /* refused at once: the bytes are dropped */
    return p->werr == PIPE__GONE ? AFDIO_EPIPE : p->werr;
  if (n < len)
    afdio__pipe_src_rearm(&p->src, AFDIO_WRITABLE);
  return (ptrdiff_t)n;
}

/* What read and write share: the argument checks, then the call under
 * the lock of the pipe's poller (the poller's lock guards all pipe state,
 * as it is held while completions are fed). */
static ptrdiff_t pipe__io(afdio_pipe_t *p, void *buf, size_t len,
                          int writing) {
  ptrdiff_t rc;
  afdio_poller_t *poller;
  if (p == NULL || (buf == NULL && len > 0))
    return AFDIO_EINVAL;
  if (len == 0)
    return 0;
  if ((rc = pipe__usable(p)) < 0)
    return rc;
  poller = p->src.poller;
  afdio__selector_lock(poller);
  if ((rc = pipe__usable(p)) == 0)
    rc = writing ? pipe__write_locked(p, buf, len)
                 : pipe__read_locked(p, buf, len);
  afdio__selector_unlock(poller);
  return rc;
}

ptrdiff_t afdio_pipe_read(afdio_pipe_t *p, void *buf, size_t len) {
  return pipe__io(p, buf, len, 0);
}

ptrdiff_t afdio_pipe_write(afdio_pipe_t *p, const void *buf, size_t len) {
  return pipe__io(p, (void *)(uintptr_t)buf, len, 1);
}

int afdio_pipe_register(afdio_pipe_t *p, afdio_poller_t *poller,
                        uint64_t token, uint32_t interest) {
  int rc;
  if (p == NULL || poller == NULL || afdio__interest_check(interest) < 0)
    return AFDIO_EINVAL;
  if (p->src.orphan)
    return AFDIO_ECANCELED;
  if (p->src.registered || (p->src.poller != NULL && p->src.poller != poller))
    return AFDIO_EEXIST;
  afdio__selector_lock(poller);
  rc = p->src.poller == NULL ? afdio__pipe_bind(p, poller) : 0;
  if (rc == 0)
    rc = afdio__pipe_src_register(&p->src, poller, token, interest);
  if (rc == 0)
    pipe__read_submit(p);
  afdio__selector_unlock(poller);
  return rc;
}

int afdio_pipe_reregister(afdio_pipe_t *p, uint64_t token, uint32_t interest) {
  afdio_poller_t *poller;
  int rc;
  if (p == NULL || afdio__interest_check(interest) < 0)
    return AFDIO_EINVAL;
  if (!p->src.registered)
    return AFDIO_ENOENT;
  poller = p->src.poller;
  afdio__selector_lock(poller);
  rc = afdio__pipe_src_reregister(&p->src, token, interest);
  afdio__selector_unlock(poller);
  return rc;
}

int afdio_pipe_deregister(afdio_pipe_t *p) {
  afdio_poller_t *poller;
  int rc;
  if (p == NULL)
    return AFDIO_EINVAL;
  if (!p->src.registered)
    return AFDIO_ENOENT;
  poller = p->src.poller;
  afdio__selector_lock(poller);
  rc = afdio__pipe_src_deregister(&p->src);
  afdio__selector_unlock(poller);
  return rc;
}

int afdio_pipe_close(afdio_pipe_t *p) {
  afdio_poller_t *poller;
  if (p == NULL)
    return AFDIO_EINVAL;
  poller = p->src.poller;
  if (poller != NULL)
    afdio__selector_lock(poller);
  afdio__pipe_close_locked(p);
  if (poller != NULL)
    afdio__selector_unlock(poller);
  return 0;
}
