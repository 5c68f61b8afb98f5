/* http_wsapoll: examples/http_hello.c over WSAPoll instead of afdio, the
 * baseline of bench/http_wine.sh. Windows only.
 *
 *   http_wsapoll [--duration SECONDS] [--max-conns N] ADDR
 *
 * What a client sees is http_hello's: the same parser and answers
 * (examples/http_parse.c, examples/http_reply.c), the same keep-alive,
 * pipelining and close rules, the same options (it stops after --duration
 * or when killed) and "listening on" line. What differs is the event loop,
 * wsapoll_server.c's: level-triggered, so one recv per readiness (no
 * budget is needed for fairness), and POLLWRNORM asked for only while a
 * response waits for room.
 */
#include <stdio.h>
#include <stdlib.h>

#include "http_reply.h"
#include "wsapoll_server.h"

typedef struct conn {
  int draining;  /* sending side shut: read until the client closes */
  int peer_done; /* the client sent its last byte */
  http_buffers_t http;
} conn_t;

static unsigned long requests;

/* Sends the queued responses. 1: all sent; 0: would block; -1: broken. */
static int conn_flush(conn_t *c, SOCKET s) {
  http_buffers_t *h = &c->http;
  while (h->out_head < h->out_tail) {
    int n = send(s, h->out + h->out_head, (int)(h->out_tail - h->out_head), 0);
    if (n < 0)
      return wsapoll_would_block() ? 0 : -1;
    h->out_head += (size_t)n;
  }
  h->out_head = h->out_tail = 0;
  return 1;
}

/* One recv for a readable connection (none while a close is pending and
 * not yet shut down, as http_hello reads nothing then either). */
static int conn_read(conn_t *c, SOCKET s) {
  http_buffers_t *h = &c->http;
  char sink[4096];
  int n;
  if (c->draining) {
    n = recv(s, sink, sizeof sink, 0);
    return n > 0 || (n < 0 && wsapoll_would_block()) ? WSAPOLL_CONN_KEEP
                                                     : WSAPOLL_CONN_DONE;
  }
  if (h->closing || c->peer_done)
    return WSAPOLL_CONN_KEEP;
  n = recv(s, h->in + h->in_len, (int)(sizeof h->in - h->in_len), 0);
  if (n < 0)
    return wsapoll_would_block() ? WSAPOLL_CONN_KEEP : -1;
  if (n == 0)
    c->peer_done = 1;
  h->in_len += (size_t)n;
  return WSAPOLL_CONN_KEEP;
}

/* After a read or a writable event: answer, send, shut down as
 * http_hello's pump does; then ask for what the connection waits for. */
static int conn_progress(conn_t *c, SOCKET s, short *events) {
  http_buffers_t *h = &c->http;
  for (;;) {
    int r = conn_flush(c, s);
    if (r < 0)
      return -1;
    if (r == 0) {
      *events = POLLWRNORM;
      return WSAPOLL_CONN_KEEP;
    }
    if (c->draining)
      break;
    if (h->closing) {
      c->draining = 1;
      shutdown(s, SD_SEND);
      continue;
    }
    requests += http_reply_answer(h);
    if (h->out_tail > 0)
      continue;
    if (c->peer_done)
      return WSAPOLL_CONN_DONE; /* all answered; a partial request is dropped */
    break;
  }
  *events = POLLRDNORM;
  return WSAPOLL_CONN_KEEP;
}

static int conn_ready(void *conn, SOCKET s, short revents, short *events) {
  int r = WSAPOLL_CONN_KEEP;
  if (revents & (POLLRDNORM | POLLHUP | POLLERR))
    r = conn_read(conn, s);
  return r == WSAPOLL_CONN_KEEP ? conn_progress(conn, s, events) : r;
}

static void *conn_open(SOCKET s) {
  (void)s;
  return calloc(1, sizeof(conn_t));
}

static void conn_close(void *conn, int result) {
  (void)result; /* finished or broken: both just close */
  free(conn);
}

int main(int argc, char **argv) {
  wsapoll_server_t srv = {.prog = "http_wsapoll",
                          .open = conn_open,
                          .ready = conn_ready,
                          .close = conn_close};
  const char *addr;
  long duration, max_conns;
  int rc = wsapoll_server_args(srv.prog, argc, argv, &addr, &duration,
                               &max_conns, NULL);
  if (rc == 0)
    rc = wsapoll_server_open(&srv, addr, (size_t)max_conns);
  if (rc == 0)
    rc = wsapoll_server_run(&srv, (double)duration);
  printf("%s: %lu connections, %lu requests\n", srv.prog, srv.accepted,
         requests);
  wsapoll_server_close(&srv);
  return rc;
}
